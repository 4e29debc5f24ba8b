/*
 * run_child.c: run_job_task run locally: a child run of another job known
 * in this JOBCTL_HOME, with its job_parameters expanded, started on the
 * parent's loop; its result becomes the task's result.
 */
#include "core/run_engine.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

struct child_reaper {
    uv_timer_t t;
    struct jc_run *r;
    struct jc_run *child;
    struct jc_job *job;
    json_t *settings;
};

static void reaper_closed(uv_handle_t *h)
{
    struct child_reaper *c = h->data;
    struct jc_run *r = c->r;

    free(c);
    r->open_handles--;
    jc_run_maybe_done(r);
}

static void reaper_cb(uv_timer_t *t)
{
    struct child_reaper *c = t->data;

    jc_run_free(c->child);
    jc_job_free(c->job);
    json_decref(c->settings);
    uv_close((uv_handle_t *)&c->t, reaper_closed);
}

static void on_child_done(void *arg, struct jc_run *child, enum jc_result res)
{
    struct rtask *rt = arg;
    struct jc_run *r = rt->run;
    struct child_reaper *c = ju_xcalloc(1, sizeof(*c));
    enum jc_result result;
    char *m;

    /* The child cannot be freed inside its own callback. */
    c->r = r;
    c->child = child;
    c->job = rt->child_job;
    c->settings = rt->child_settings;
    uv_timer_init(r->loop, &c->t);
    c->t.data = c;
    r->open_handles++;
    uv_timer_start(&c->t, reaper_cb, 0, 0);
    rt->child = NULL;
    rt->child_job = NULL;
    rt->child_settings = NULL;
    r->nrunning--;
    if (rt->timer)
        uv_timer_stop(&rt->timer->timer);
    /* SUCCESS_WITH_FAILURES: every leaf of the child succeeded. */
    if (res == JC_RESULT_SUCCESS || res == JC_RESULT_SUCCESS_WITH_FAILURES)
        result = JC_RESULT_SUCCESS;
    else if (res == JC_RESULT_CANCELED && rt->child_timedout)
        result = JC_RESULT_TIMEDOUT;
    else if (res == JC_RESULT_CANCELED)
        result = JC_RESULT_CANCELED;
    else
        result = JC_RESULT_FAILED;
    m = ju_xasprintf("run %lld: %s", (long long)jc_run_id(child),
                     jc_result_name(res));
    jc_run_set_msg(rt, m);
    free(m);
    rt->end_ms = jc_now_ms();
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)jc_result_name(result);
    rt->row.end_ms = rt->end_ms;
    jc_run_dirty(r);
    jc_store_task_run_update(r->store, &rt->row);
    if (result != JC_RESULT_SUCCESS)
        jc_store_event_add(r->store, r->run_id, rt->t->task_key, "task.end",
                           rt->message);
    jc_run_finish_attempt(r, rt->idx, result, true);
}

void jc_run_launch_child(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    struct ref_ctx ctx = {r, i, NULL};
    struct jc_run_opts o = JC_RUN_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job_row jr;
    struct jc_kv *params = NULL;
    size_t np = 0, k;
    json_t *body, *jp, *v, *resolved, *rp;
    const char *key;
    char *m;
    int rc;

    if (t->run_job_id <= 0) {
        jc_run_fail_before_start(r, i, "run_job_task needs a job_id", false);
        return;
    }
    if (jc_store_job_get(r->store, t->run_job_id, &jr)) {
        m = ju_xasprintf("run_job_task: job %lld is not known in this "
                         "JOBCTL_HOME (run it once or create it through the "
                         "API)",
                         (long long)t->run_job_id);
        jc_run_fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    rt->child_settings = json_loads(jr.settings_json, 0, NULL);
    jc_job_row_release(&jr);
    if (!rt->child_settings ||
        jc_spec_from_settings(&rt->child_job, rt->child_settings, &d) < 0 ||
        jc_spec_validate(rt->child_job, &d) < 0) {
        m = ju_xasprintf("run_job_task: job %lld: %s", (long long)t->run_job_id,
                         d.n ? d.items[0].msg : "invalid settings");
        jc_diags_release(&d);
        jc_job_free(rt->child_job);
        rt->child_job = NULL;
        json_decref(rt->child_settings);
        rt->child_settings = NULL;
        jc_run_fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    jc_diags_release(&d);
    rt->child_job->job_id = t->run_job_id;
    body = t->raw ? json_object_get(t->raw, "run_job_task") : NULL;
    jp = body ? json_object_get(body, "job_parameters") : NULL;
    rp = json_object();
    if (json_is_object(jp)) {
        params = ju_xcalloc(json_object_size(jp) + 1, sizeof(*params));
        json_object_foreach(jp, key, v)
        {
            char *val = NULL;
            const char *raw = json_is_string(v) ? json_string_value(v) : NULL;
            char *num =
                raw ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

            rc = jc_run_ref_expand(&ctx, raw ? raw : (num ? num : ""), &val);
            free(num);
            if (rc) {
                m = ju_xstrdup(jc_err_last());
                for (k = 0; k < np; k++) {
                    free(params[k].key);
                    free(params[k].value);
                }
                free(params);
                json_decref(rp);
                jc_job_free(rt->child_job);
                rt->child_job = NULL;
                json_decref(rt->child_settings);
                rt->child_settings = NULL;
                jc_run_fail_before_start(r, i, m, false);
                free(m);
                return;
            }
            params[np].key = ju_xstrdup(key);
            params[np].value = val;
            json_object_set_new(rp, key, json_string(val));
            np++;
        }
    }
    o.home = r->home;
    o.workspace = r->workspace;
    o.params = params;
    o.nparams = np;
    o.parallel = (int)r->parallel;
    o.trigger = "RUN_JOB_TASK";
    o.kill_grace_ms = r->opts.kill_grace_ms;
    o.local = r->local;
    o.remote = r->opts.remote;
    o.force_remote = r->opts.force_remote;
    o.on_done = on_child_done;
    o.arg = rt;
    rc = jc_run_create(&rt->child, r->store, rt->child_job, &o);
    for (k = 0; k < np; k++) {
        free(params[k].key);
        free(params[k].value);
    }
    free(params);
    resolved = json_pack("{s:{s:I, s:o}}", "run_job_task", "job_id",
                         (json_int_t)t->run_job_id, "job_parameters", rp);
    rt->resolved = json_dumps(resolved, JSON_COMPACT);
    json_decref(resolved);
    rt->row.resolved_params_json = rt->resolved;
    if (rc) {
        m = ju_xasprintf("run_job_task: %s", jc_err_last());
        rt->child = NULL;
        jc_job_free(rt->child_job);
        rt->child_job = NULL;
        json_decref(rt->child_settings);
        rt->child_settings = NULL;
        jc_run_fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    m = ju_xasprintf("run %lld", (long long)jc_run_id(rt->child));
    jc_run_set_msg(rt, m);
    free(m);
    rt->row.executor = (char *)"local";
    jc_run_dirty(r);
    jc_store_task_run_insert(r->store, &rt->row);
    rt->task_run_id = rt->row.task_run_id;
    rt->st = TS_RUNNING;
    r->nrunning++;
    if (t->timeout_seconds > 0)
        uv_timer_start(jc_run_task_timer(r, i), jc_run_on_timeout,
                       (uint64_t)t->timeout_seconds * 1000, 0);
    jc_run_emit(r, i, "RUNNING", JC_RESULT_NONE, "", 0);
    if (jc_run_start(rt->child, r->loop)) {
        /* Not started: on_done will not come; finish here. */
        struct jc_run *c = rt->child;
        rt->child = NULL;
        r->nrunning--;
        m = ju_xasprintf("run_job_task: %s", jc_err_last());
        jc_run_set_msg(rt, m);
        free(m);
        rt->row.life_cycle_state = (char *)"TERMINATED";
        rt->row.result_state = (char *)"FAILED";
        rt->end_ms = rt->row.end_ms = jc_now_ms();
        jc_store_task_run_update(r->store, &rt->row);
        jc_run_free(c);
        jc_job_free(rt->child_job);
        rt->child_job = NULL;
        json_decref(rt->child_settings);
        rt->child_settings = NULL;
        jc_run_task_terminal(r, i, JC_RESULT_FAILED);
    }
}
