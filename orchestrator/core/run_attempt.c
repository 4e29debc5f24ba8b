/*
 * run_attempt.c: launching one attempt of a task (condition tasks inline,
 * command/notebook/python through the local or Databricks executor, the
 * task_runs row) and handling its completion: measures, task values, the
 * accounting hook and the retry policy; stopping a task in flight.
 */
#include "core/run_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "jobctl/exec.h"
#include "util/mem.h"

void jc_run_set_msg(struct rtask *rt, const char *msg)
{
    free(rt->message);
    rt->message = ju_xstrdup(msg ? msg : "");
    rt->row.state_message = rt->message;
}

/* Finish the attempt in flight bookkeeping for a non-started attempt. */
void jc_run_fail_before_start(struct jc_run *r, size_t i, const char *msg,
                              bool inserted)
{
    struct rtask *rt = &r->tasks[i];

    jc_run_set_msg(rt, msg);
    rt->end_ms = jc_now_ms();
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)"FAILED";
    rt->row.end_ms = rt->end_ms;
    jc_run_dirty(r);
    if (inserted)
        jc_store_task_run_update(r->store, &rt->row);
    else
        jc_store_task_run_insert(r->store, &rt->row);
    rt->task_run_id = rt->row.task_run_id;
    jc_store_event_add(r->store, r->run_id, rt->t->task_key, "task.end", msg);
    if (rt->log_path) {
        FILE *f;
        char *d = ju_xstrdup(rt->log_path);
        char *sl = strrchr(d, '/');
        if (sl) {
            *sl = '\0';
            jc_exec_mkdirs(d, 0755);
        }
        free(d);
        f = fopen(rt->log_path, "a");
        if (f) {
            fprintf(f, "jobctl: %s\n", msg);
            fclose(f);
        }
    }
    jc_run_task_terminal(r, i, JC_RESULT_FAILED);
}

void jc_run_stop_task(struct jc_run *r, size_t i, enum jc_stop_reason why)
{
    struct rtask *rt = &r->tasks[i];

    if (rt->st != TS_RUNNING || rt->stop_requested)
        return;
    if (rt->fe) {
        rt->stop_requested = true;
        jc_run_foreach_stop(rt->fe, why);
    } else if (rt->child) {
        rt->stop_requested = true;
        rt->child_timedout = why == JC_STOP_TIMEOUT;
        jc_run_cancel(rt->child, why == JC_STOP_TIMEOUT
                                     ? "run_job_task timed out"
                                     : "parent run canceled");
    } else if (rt->att && rt->ex) {
        rt->stop_requested = true;
        rt->ex->ops->stop(rt->ex, rt->att, why);
    }
}

void jc_run_on_timeout(uv_timer_t *t)
{
    struct task_timer *tt = t->data;

    jc_run_stop_task(tt->run, tt->idx, JC_STOP_TIMEOUT);
}

static void ingest_values(struct jc_run *r, struct rtask *rt)
{
    struct jc_tv *vals;
    size_t n, k, j;

    /* Most tasks set no values: a short faccessat(2) under the run dir. */
    if (r->run_dirfd >= 0) {
        char name[512];
        snprintf(name, sizeof(name), "%s.%d.values", rt->t->task_key,
                 rt->attempt);
        if (faccessat(r->run_dirfd, name, F_OK, 0) && errno == ENOENT)
            return;
    }
    if (jc_taskvalues_read(rt->tv_path, &vals, &n)) {
        jc_store_event_add(r->store, r->run_id, rt->t->task_key,
                           "task.values_error", jc_err_last());
        return;
    }
    for (k = 0; k < n; k++) {
        jc_store_task_value_set(r->store, r->run_id, rt->t->task_key,
                                rt->attempt, vals[k].key, vals[k].value);
        for (j = 0; j < rt->nvals; j++) {
            if (!strcmp(rt->vals[j].key, vals[k].key))
                break;
        }
        if (j == rt->nvals) {
            rt->vals =
                ju_xrealloc(rt->vals, (rt->nvals + 1) * sizeof(*rt->vals));
            rt->vals[rt->nvals].key = vals[k].key;
            rt->vals[rt->nvals].value = vals[k].value;
            rt->nvals++;
        } else {
            free(rt->vals[j].value);
            free(vals[k].key);
            rt->vals[j].value = vals[k].value;
        }
    }
    free(vals);
}

static void on_attempt_done(struct jc_attempt *a,
                            const struct jc_attempt_result *res0, void *arg)
{
    struct rtask *rt = arg;
    struct jc_run *r = rt->run;
    size_t i = rt->idx;
    const struct jc_task *t = rt->t;
    struct jc_attempt_result res = *res0;
    enum jc_result result;

    (void)a;
    rt->att = NULL;
    r->nrunning--;
    if (rt->timer)
        uv_timer_stop(&rt->timer->timer);
    if (r->opts.on_account) {
        struct jc_attempt_req req;

        memset(&req, 0, sizeof(req));
        req.run_id = r->run_id;
        req.job_id = r->job_id;
        req.task_run_id = rt->task_run_id;
        req.task_key = t->task_key;
        req.attempt = rt->attempt;
        req.job = r->job;
        req.task = t;
        req.log_path = rt->log_path;
        r->opts.on_account(r->opts.arg, &req, &res);
    }
    jc_run_dirty(r);
    ingest_values(r, rt);
    switch (res.outcome) {
    case JC_ATTEMPT_SUCCESS:
        result = JC_RESULT_SUCCESS;
        break;
    case JC_ATTEMPT_TIMEDOUT:
        result = JC_RESULT_TIMEDOUT;
        break;
    case JC_ATTEMPT_CANCELED:
        result = JC_RESULT_CANCELED;
        break;
    default:
        result = JC_RESULT_FAILED;
        break;
    }
    rt->end_ms = res.end_ms ? res.end_ms : jc_now_ms();
    if (res.start_ms) {
        rt->start_ms = res.start_ms;
        if (res.start_ms > rt->attempt_start_ms)
            rt->attempt_start_ms = res.start_ms; /* as recorded */
    }
    jc_run_set_msg(rt, res.state_message);
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)jc_result_name(result);
    rt->row.start_ms = rt->start_ms;
    rt->row.end_ms = rt->end_ms;
    rt->row.exit_code = res.exit_code;
    rt->row.cpu_user_s = res.cpu_user_s;
    rt->row.cpu_sys_s = res.cpu_sys_s;
    rt->row.max_rss_kb = res.max_rss_kb;
    rt->row.read_bytes = res.read_bytes;
    rt->row.write_bytes = res.write_bytes;
    rt->row.cost = res.cost;
    if (res.pid)
        rt->row.pid = res.pid;
    if (res.pgid)
        rt->row.pgid = res.pgid;
    if (res.remote_run_id[0])
        rt->row.remote_run_id = res.remote_run_id;
    if (res.executor[0])
        rt->row.executor = res.executor;
    jc_store_task_run_update(r->store, &rt->row);
    rt->row.remote_run_id = NULL;
    rt->row.executor = NULL;
    /* The attempt row is the record; the event log keeps the exceptions. */
    if (result != JC_RESULT_SUCCESS)
        jc_store_event_add(
            r->store, r->run_id, t->task_key, "task.end",
            rt->message && *rt->message ? rt->message : jc_result_name(result));
    jc_run_finish_attempt(r, i, result, res.outcome != JC_ATTEMPT_START_FAILED);
}

/* Retry policy, then terminal state; then fill free slots. */
void jc_run_finish_attempt(struct jc_run *r, size_t i, enum jc_result result,
                           bool retryable)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    bool retry = false;

    if (!r->cancelling) {
        if (result == JC_RESULT_FAILED && retryable)
            retry = true;
        if (result == JC_RESULT_TIMEDOUT && t->retry_on_timeout)
            retry = true;
        if (retry && t->max_retries >= 0 && rt->tries > t->max_retries)
            retry = false;
    }
    if (retry) {
        jc_run_emit(r, i, "TERMINATED", result, rt->message,
                    rt->end_ms - rt->start_ms);
        rt->attempt++;
        jc_run_schedule_retry(r, i);
    } else {
        jc_run_task_terminal(r, i, result);
    }
    jc_run_pump(r);
}

static int build_cmd(struct jc_run *r, size_t i, struct cmd *c, bool remote)
{
    struct ref_ctx ctx = {r, i, NULL};

    return jc_run_build_cmd(r, r->tasks[i].t, &ctx, c, remote);
}

void jc_run_launch(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    struct jc_attempt_req req;
    struct jc_attempt_result info;
    struct jc_executor *ex = r->local;
    struct cmd c;
    char *dir;
    int rc;

    memset(&c, 0, sizeof(c));
    rt->stop_requested = false;
    rt->tries++;
    rt->start_ms = rt->attempt_start_ms = jc_now_ms();
    rt->end_ms = 0;
    free(rt->log_path);
    free(rt->tv_path);
    free(rt->resolved);
    rt->resolved = NULL;
    dir = ju_xasprintf("%s/logs/%lld/%s", r->home, (long long)r->run_id,
                       t->task_key);
    rt->log_path = ju_xasprintf("%s/%d.log", dir, rt->attempt);
    /* The task dir appears with the first byte of output; values live in
     * the run dir, which exists from the start. */
    rt->tv_path = ju_xasprintf("%s/logs/%lld/%s.%d.values", r->home,
                               (long long)r->run_id, t->task_key, rt->attempt);
    memset(&rt->row, 0, sizeof(rt->row));
    rt->row.run_id = r->run_id;
    rt->row.task_key = t->task_key;
    rt->row.attempt_number = rt->attempt;
    rt->row.repair_id = r->repair_id;
    rt->row.life_cycle_state = (char *)"RUNNING";
    rt->row.start_ms = rt->start_ms;
    rt->row.exit_code = -1;
    rt->row.log_path = rt->log_path;
    rt->row.read_bytes = -1;
    rt->row.write_bytes = -1;
    jc_run_set_msg(rt, "");

    if (t->disabled) {
        free(dir);
        jc_run_task_terminal(r, i, JC_RESULT_DISABLED);
        return;
    }
    free(dir);

    if (t->type == JC_TASK_CONDITION) {
        struct ref_ctx ctx = {r, i, NULL};
        char *l = NULL, *rr = NULL;
        const char *outcome;
        json_t *j;

        if ((rc = jc_run_ref_expand(&ctx, t->cond_left, &l)) ||
            (rc = jc_run_ref_expand(&ctx, t->cond_right, &rr)) ||
            (rc = jc_condition_eval(t->cond_op, l, rr, &outcome))) {
            free(l);
            free(rr);
            jc_run_fail_before_start(r, i, jc_err_last(), false);
            return;
        }
        j = json_pack("{s:{s:s, s:s, s:s}}", "condition_task", "op", t->cond_op,
                      "left", l, "right", rr);
        rt->resolved = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        free(l);
        free(rr);
        free(rt->outcome_buf);
        rt->outcome_buf = ju_xstrdup(outcome);
        rt->outcome = rt->outcome_buf;
        {
            char *m = ju_xasprintf("outcome: %s", outcome);
            jc_run_set_msg(rt, m);
            free(m);
        }
        rt->end_ms = jc_now_ms();
        rt->row.life_cycle_state = (char *)"TERMINATED";
        rt->row.result_state = (char *)"SUCCESS";
        rt->row.end_ms = rt->end_ms;
        rt->row.resolved_params_json = rt->resolved;
        jc_run_dirty(r);
        jc_store_task_run_insert(r->store, &rt->row);
        rt->task_run_id = rt->row.task_run_id;
        jc_run_task_terminal(r, i, JC_RESULT_SUCCESS);
        return;
    }

    if (t->type == JC_TASK_RUN_JOB &&
        !jc_run_task_is_remote(r->job, t, r->opts.force_remote)) {
        jc_run_launch_child(r, i);
        return;
    }
    if (t->type == JC_TASK_FOR_EACH) {
        jc_run_launch_foreach(r, i);
        return;
    }
    if (jc_run_task_is_remote(r->job, t, r->opts.force_remote)) {
        if (!r->opts.remote) {
            jc_run_fail_before_start(r, i,
                                     "remote execution requested but no "
                                     "Databricks executor is available",
                                     false);
            return;
        }
        ex = r->opts.remote;
        /* Resolved parameters only (the executor merges them). */
        if ((rc = build_cmd(r, i, &c, true))) {
            char *m = ju_xstrdup(jc_err_last());
            jc_run_cmd_release(&c);
            jc_run_fail_before_start(r, i, m, false);
            free(m);
            return;
        }
    } else if ((rc = build_cmd(r, i, &c, false))) {
        char *m = ju_xstrdup(jc_err_last());
        jc_run_cmd_release(&c);
        jc_run_fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    rt->resolved = json_dumps(c.resolved, JSON_COMPACT);
    rt->row.resolved_params_json = rt->resolved;
    rt->row.executor = (char *)ex->ops->name;
    jc_run_dirty(r);
    if (jc_store_task_run_insert(r->store, &rt->row)) {
        char *m = ju_xstrdup(jc_err_last());
        jc_run_cmd_release(&c);
        jc_run_fail_before_start(r, i, m, true);
        free(m);
        return;
    }
    rt->task_run_id = rt->row.task_run_id;
    if (ex == r->local)
        jc_run_add_env(r, t->task_key, rt->attempt, rt->task_run_id,
                       rt->tv_path, &c);

    memset(&req, 0, sizeof(req));
    req.run_id = r->run_id;
    req.job_id = r->job_id;
    req.task_run_id = rt->task_run_id;
    req.task_key = t->task_key;
    req.attempt = rt->attempt;
    req.job = r->job;
    req.task = t;
    req.resolved = c.resolved;
    req.argv = c.argv.v;
    req.env = c.envp;
    req.cwd = c.cwd;
    req.log_path = rt->log_path;
    req.kill_grace_ms = r->opts.kill_grace_ms;
    rc = ex->ops->start(ex, &req, on_attempt_done, rt, &rt->att);
    jc_run_cmd_release(&c);
    if (rc) {
        char *m = ju_xstrdup(jc_err_last());
        rt->att = NULL;
        jc_run_fail_before_start(r, i, m, true);
        free(m);
        return;
    }
    rt->ex = ex;
    rt->st = TS_RUNNING;
    r->nrunning++;
    memset(&info, 0, sizeof(info));
    ex->ops->info(ex, rt->att, &info);
    rt->row.pid = info.pid;
    rt->row.pgid = info.pgid;
    if (info.remote_run_id[0])
        rt->row.remote_run_id = info.remote_run_id;
    rt->row.executor = (char *)ex->ops->name;
    jc_store_task_run_update(r->store, &rt->row);
    rt->row.remote_run_id = NULL;
    if (t->timeout_seconds > 0)
        uv_timer_start(jc_run_task_timer(r, i), jc_run_on_timeout,
                       (uint64_t)t->timeout_seconds * 1000, 0);
    jc_run_emit(r, i, "RUNNING", JC_RESULT_NONE, "", 0);
}
