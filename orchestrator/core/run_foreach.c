/*
 * run_foreach.c: for_each_task run locally: the inputs array expanded and
 * parsed, iterations of the nested task launched up to the concurrency
 * (each retried on its own, each recorded as <task_key>[i]), the nested
 * task's timeout per iteration, and the for_each task's own result.
 */
#include "core/run_engine.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "jobctl/exec.h"
#include "util/mem.h"

#define FE_MAX_ITERATIONS 10000

struct fe_iter {
    struct foreach_state *fe;
    size_t idx;
    int64_t started_ms;
    bool timed_out;
    char *key; /* "<task_key>[<idx>]" */
    int attempt;
    int tries;
    struct jc_attempt *att;
    struct jc_task_run_row row;
    char *log_path;
    char *resolved;
    char *msg;
};

struct foreach_state {
    struct jc_run *r;
    size_t i;       /* the for_each task */
    json_t *inputs; /* the array */
    size_t n, next, running, done, failed;
    size_t conc;
    struct fe_iter *its;
    bool stopping;
    enum jc_stop_reason why;
    uv_timer_t tick; /* nested task timeout_seconds, per iteration */
    bool tick_inited;
};

static void fe_pump(struct foreach_state *fe);
static int fe_launch(struct foreach_state *fe, struct fe_iter *it);

static void fe_free(struct foreach_state *fe)
{
    size_t k;

    for (k = 0; k < fe->n; k++) {
        free(fe->its[k].key);
        free(fe->its[k].log_path);
        free(fe->its[k].resolved);
        free(fe->its[k].msg);
    }
    free(fe->its);
    json_decref(fe->inputs);
    free(fe);
}

static void fe_tick_closed(uv_handle_t *h)
{
    struct foreach_state *fe = h->data;
    struct jc_run *r = fe->r;

    fe_free(fe);
    r->open_handles--;
    jc_run_maybe_done(r);
}

/* Stop iterations running longer than the nested task's timeout. */
static void fe_tick(uv_timer_t *t)
{
    struct foreach_state *fe = t->data;
    struct jc_run *r = fe->r;
    int64_t limit = r->tasks[fe->i].t->for_each_task->timeout_seconds * 1000;
    int64_t now = jc_now_ms();
    size_t k;

    for (k = 0; k < fe->n; k++) {
        struct fe_iter *it = &fe->its[k];

        if (it->att && !it->timed_out && now - it->started_ms >= limit) {
            it->timed_out = true;
            r->local->ops->stop(r->local, it->att, JC_STOP_TIMEOUT);
        }
    }
}

static void fe_finish(struct foreach_state *fe)
{
    struct jc_run *r = fe->r;
    size_t i = fe->i;
    struct rtask *rt = &r->tasks[i];
    enum jc_result result;
    char *m;

    if (fe->stopping)
        result = fe->why == JC_STOP_TIMEOUT ? JC_RESULT_TIMEDOUT
                                            : JC_RESULT_CANCELED;
    else
        result = fe->failed ? JC_RESULT_FAILED : JC_RESULT_SUCCESS;
    m = ju_xasprintf("%zu of %zu iteration(s) succeeded", fe->done - fe->failed,
                     fe->n);
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
    rt->fe = NULL;
    if (fe->tick_inited) {
        uv_timer_stop(&fe->tick);
        r->open_handles++;
        uv_close((uv_handle_t *)&fe->tick, fe_tick_closed);
    } else {
        fe_free(fe);
    }
    r->nrunning--;
    if (rt->timer)
        uv_timer_stop(&rt->timer->timer);
    /* Iterations retried themselves: the for_each task is not retried. */
    jc_run_finish_attempt(r, i, result, false);
}

static void fe_iter_done(struct jc_attempt *a,
                         const struct jc_attempt_result *res0, void *arg)
{
    struct fe_iter *it = arg;
    struct foreach_state *fe = it->fe;
    struct jc_run *r = fe->r;
    const struct jc_task *nt = r->tasks[fe->i].t->for_each_task;
    struct jc_attempt_result res = *res0;
    bool ok = res.outcome == JC_ATTEMPT_SUCCESS;
    const char *result;

    (void)a;
    it->att = NULL;
    fe->running--;
    if (r->opts.on_account) {
        struct jc_attempt_req req;

        memset(&req, 0, sizeof(req));
        req.run_id = r->run_id;
        req.job_id = r->job_id;
        req.task_run_id = it->row.task_run_id;
        req.task_key = it->key;
        req.attempt = it->attempt;
        req.job = r->job;
        req.task = nt;
        req.log_path = it->log_path;
        r->opts.on_account(r->opts.arg, &req, &res);
    }
    switch (res.outcome) {
    case JC_ATTEMPT_SUCCESS:
        result = "SUCCESS";
        break;
    case JC_ATTEMPT_TIMEDOUT:
        result = "TIMEDOUT";
        break;
    case JC_ATTEMPT_CANCELED:
        result = "CANCELED";
        break;
    default:
        result = "FAILED";
        break;
    }
    free(it->msg);
    it->msg = ju_xstrdup(res.state_message);
    it->row.state_message = it->msg;
    it->row.life_cycle_state = (char *)"TERMINATED";
    it->row.result_state = (char *)result;
    it->row.start_ms = res.start_ms ? res.start_ms : it->row.start_ms;
    it->row.end_ms = res.end_ms ? res.end_ms : jc_now_ms();
    it->row.exit_code = res.exit_code;
    it->row.cpu_user_s = res.cpu_user_s;
    it->row.cpu_sys_s = res.cpu_sys_s;
    it->row.max_rss_kb = res.max_rss_kb;
    it->row.read_bytes = res.read_bytes;
    it->row.write_bytes = res.write_bytes;
    it->row.cost = res.cost;
    it->row.pid = res.pid;
    it->row.pgid = res.pgid;
    jc_run_dirty(r);
    jc_store_task_run_update(r->store, &it->row);
    if (!ok && !fe->stopping && !r->cancelling &&
        res.outcome != JC_ATTEMPT_START_FAILED &&
        (res.outcome != JC_ATTEMPT_TIMEDOUT || nt->retry_on_timeout) &&
        (nt->max_retries < 0 || it->tries <= nt->max_retries)) {
        /* Retry this iteration at once, in the slot it just freed. */
        it->attempt++;
        if (fe_launch(fe, it) == 0)
            return;
    }
    fe->done++;
    if (!ok)
        fe->failed++;
    if (fe->done == fe->n || (fe->stopping && !fe->running)) {
        fe_finish(fe);
        return;
    }
    fe_pump(fe);
}

static int fe_launch(struct foreach_state *fe, struct fe_iter *it)
{
    struct jc_run *r = fe->r;
    struct rtask *rt = &r->tasks[fe->i];
    const struct jc_task *nt = rt->t->for_each_task;
    struct ref_ctx ctx = {r, fe->i, json_array_get(fe->inputs, it->idx)};
    struct jc_attempt_req req;
    struct jc_attempt_result info;
    struct cmd c;
    char *tv;
    int rc;

    memset(&c, 0, sizeof(c));
    it->tries++;
    it->timed_out = false;
    it->started_ms = jc_now_ms();
    free(it->log_path);
    it->log_path = ju_xasprintf("%s/logs/%lld/%s/%d.log", r->home,
                                (long long)r->run_id, it->key, it->attempt);
    tv = ju_xasprintf("%s/logs/%lld/%s.%d.values", r->home,
                      (long long)r->run_id, it->key, it->attempt);
    memset(&it->row, 0, sizeof(it->row));
    it->row.run_id = r->run_id;
    it->row.task_key = it->key;
    it->row.attempt_number = it->attempt;
    it->row.repair_id = r->repair_id;
    it->row.life_cycle_state = (char *)"RUNNING";
    it->row.start_ms = jc_now_ms();
    it->row.exit_code = -1;
    it->row.log_path = it->log_path;
    it->row.read_bytes = -1;
    it->row.write_bytes = -1;
    it->row.executor = (char *)"local";
    rc = jc_run_build_cmd(r, nt, &ctx, &c, false);
    free(it->resolved);
    it->resolved = c.resolved ? json_dumps(c.resolved, JSON_COMPACT) : NULL;
    it->row.resolved_params_json = it->resolved;
    jc_run_dirty(r);
    if (rc) {
        free(it->msg);
        it->msg = ju_xstrdup(jc_err_last());
        it->row.state_message = it->msg;
        it->row.life_cycle_state = (char *)"TERMINATED";
        it->row.result_state = (char *)"FAILED";
        it->row.end_ms = it->row.start_ms;
        jc_store_task_run_insert(r->store, &it->row);
        jc_run_cmd_release(&c);
        free(tv);
        return rc;
    }
    jc_store_task_run_insert(r->store, &it->row);
    jc_run_add_env(r, it->key, it->attempt, it->row.task_run_id, tv, &c);
    memset(&req, 0, sizeof(req));
    req.run_id = r->run_id;
    req.job_id = r->job_id;
    req.task_run_id = it->row.task_run_id;
    req.task_key = it->key;
    req.attempt = it->attempt;
    req.job = r->job;
    req.task = nt;
    req.argv = c.argv.v;
    req.env = c.envp;
    req.cwd = c.cwd;
    req.log_path = it->log_path;
    req.kill_grace_ms = r->opts.kill_grace_ms;
    rc = r->local->ops->start(r->local, &req, fe_iter_done, it, &it->att);
    jc_run_cmd_release(&c);
    free(tv);
    if (rc) {
        free(it->msg);
        it->msg = ju_xstrdup(jc_err_last());
        it->row.state_message = it->msg;
        it->row.life_cycle_state = (char *)"TERMINATED";
        it->row.result_state = (char *)"FAILED";
        it->row.end_ms = jc_now_ms();
        jc_store_task_run_update(r->store, &it->row);
        return rc;
    }
    memset(&info, 0, sizeof(info));
    r->local->ops->info(r->local, it->att, &info);
    it->row.pid = info.pid;
    it->row.pgid = info.pgid;
    jc_store_task_run_update(r->store, &it->row);
    fe->running++;
    return 0;
}

static void fe_pump(struct foreach_state *fe)
{
    while (!fe->stopping && fe->running < fe->conc && fe->next < fe->n) {
        struct fe_iter *it = &fe->its[fe->next++];

        if (fe_launch(fe, it)) {
            fe->done++;
            fe->failed++;
        }
    }
    if (fe->done == fe->n || (fe->stopping && !fe->running))
        fe_finish(fe);
}

void jc_run_foreach_stop(struct foreach_state *fe, enum jc_stop_reason why)
{
    struct jc_run *r = fe->r;
    size_t k;

    fe->stopping = true;
    fe->why = why;
    for (k = 0; k < fe->n; k++) {
        if (fe->its[k].att)
            r->local->ops->stop(r->local, fe->its[k].att, why);
    }
    if (!fe->running)
        fe_finish(fe);
}

void jc_run_launch_foreach(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    struct ref_ctx ctx = {r, i, NULL};
    struct foreach_state *fe;
    json_error_t jerr;
    json_t *arr;
    char *text = NULL, *m;
    size_t k;

    if (!t->for_each_task || !t->for_each_inputs) {
        jc_run_fail_before_start(r, i, "for_each_task needs inputs and a task",
                                 false);
        return;
    }
    if (jc_run_task_is_remote(r->job, t->for_each_task, r->opts.force_remote)) {
        jc_run_fail_before_start(r, i,
                                 "for_each_task with a remote nested task "
                                 "runs on Databricks only",
                                 false);
        return;
    }
    if (jc_run_ref_expand(&ctx, t->for_each_inputs, &text)) {
        m = ju_xasprintf("for_each inputs: %s", jc_err_last());
        jc_run_fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    arr = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!json_is_array(arr) || json_array_size(arr) > FE_MAX_ITERATIONS) {
        m = ju_xasprintf("for_each inputs must be a JSON array of at most %d "
                         "elements: %s",
                         FE_MAX_ITERATIONS,
                         arr ? "not an array or too long" : jerr.text);
        json_decref(arr);
        free(text);
        jc_run_fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    free(text);
    fe = ju_xcalloc(1, sizeof(*fe));
    fe->r = r;
    fe->i = i;
    fe->inputs = arr;
    fe->n = json_array_size(arr);
    fe->conc =
        t->for_each_concurrency > 0 ? (size_t)t->for_each_concurrency : 1;
    fe->its = ju_xcalloc(fe->n + 1, sizeof(*fe->its));
    for (k = 0; k < fe->n; k++) {
        fe->its[k].fe = fe;
        fe->its[k].idx = k;
        fe->its[k].key = ju_xasprintf("%s[%zu]", t->task_key, k);
    }
    {
        json_t *rv = json_pack("{s:{s:O}}", "for_each_task", "inputs", arr);
        rt->resolved = json_dumps(rv, JSON_COMPACT);
        json_decref(rv);
    }
    rt->row.resolved_params_json = rt->resolved;
    m = ju_xasprintf("%zu iteration(s), concurrency %zu", fe->n, fe->conc);
    jc_run_set_msg(rt, m);
    free(m);
    rt->row.executor = (char *)"local";
    jc_run_dirty(r);
    jc_store_task_run_insert(r->store, &rt->row);
    rt->task_run_id = rt->row.task_run_id;
    if (t->for_each_task->timeout_seconds > 0) {
        uv_timer_init(r->loop, &fe->tick);
        fe->tick.data = fe;
        fe->tick_inited = true;
        uv_timer_start(&fe->tick, fe_tick, 250, 250);
    }
    rt->fe = fe;
    rt->st = TS_RUNNING;
    r->nrunning++;
    if (t->timeout_seconds > 0)
        uv_timer_start(jc_run_task_timer(r, i), jc_run_on_timeout,
                       (uint64_t)t->timeout_seconds * 1000, 0);
    jc_run_emit(r, i, "RUNNING", JC_RESULT_NONE, "", 0);
    fe_pump(fe);
}
