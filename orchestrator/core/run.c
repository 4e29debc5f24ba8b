/*
 * run.c: the DAG run engine. Event driven on a libuv loop: a ready queue
 * and per-task pending-parent counters make every task event O(children);
 * store writes are batched into one transaction flushed every 50 ms.
 * run_if, retries, timeouts, cancel and repair follow jobs-api.md 4.2/4.3.
 * Command building (parameters, references, env) is in run_cmd.c.
 */
#include "core/run_int.h"
#include "core/run_engine.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "jobctl/exec.h"
#include "util/log.h"
#include "util/mem.h"

#define FLUSH_MS 50
#define CANCEL_POLL_MS 500

const char *jc_result_name(enum jc_result r)
{
    switch (r) {
    case JC_RESULT_NONE: return "";
    case JC_RESULT_SUCCESS: return "SUCCESS";
    case JC_RESULT_FAILED: return "FAILED";
    case JC_RESULT_TIMEDOUT: return "TIMEDOUT";
    case JC_RESULT_CANCELED: return "CANCELED";
    case JC_RESULT_EXCLUDED: return "EXCLUDED";
    case JC_RESULT_UPSTREAM_FAILED: return "UPSTREAM_FAILED";
    case JC_RESULT_UPSTREAM_CANCELED: return "UPSTREAM_CANCELED";
    case JC_RESULT_DISABLED: return "DISABLED";
    case JC_RESULT_SUCCESS_WITH_FAILURES: return "SUCCESS_WITH_FAILURES";
    case JC_RESULT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    }
    return "";
}

int jc_result_parse(const char *s, enum jc_result *out)
{
    int i;

    for (i = JC_RESULT_SUCCESS; i <= JC_RESULT_INTERNAL_ERROR; i++) {
        if (s && !strcmp(s, jc_result_name((enum jc_result)i))) {
            *out = (enum jc_result)i;
            return 0;
        }
    }
    *out = JC_RESULT_NONE;
    return JC_EINVAL;
}

int jc_result_is_failure(enum jc_result r)
{
    return r == JC_RESULT_FAILED || r == JC_RESULT_TIMEDOUT ||
           r == JC_RESULT_UPSTREAM_FAILED || r == JC_RESULT_INTERNAL_ERROR;
}

static int is_canceled(enum jc_result r)
{
    return r == JC_RESULT_CANCELED || r == JC_RESULT_UPSTREAM_CANCELED;
}

int jc_run_if_eval(enum jc_run_if run_if, const enum jc_result *res,
                   const bool *outcome_ok, size_t n, enum jc_result *skip)
{
    size_t s = 0, f = 0, c = 0, excl = 0, ran = 0, i;
    int ok;

    for (i = 0; i < n; i++) {
        enum jc_result r = res[i];
        bool mismatch = outcome_ok && !outcome_ok[i] && r == JC_RESULT_SUCCESS;

        if (mismatch || r == JC_RESULT_EXCLUDED || r == JC_RESULT_DISABLED) {
            excl++;
            s++; /* excluded parents count as successful (rule 1) */
            continue;
        }
        if (r == JC_RESULT_SUCCESS)
            s++;
        else if (jc_result_is_failure(r))
            f++;
        else if (is_canceled(r))
            c++;
        if (r != JC_RESULT_UPSTREAM_FAILED && r != JC_RESULT_UPSTREAM_CANCELED)
            ran++;
    }
    if (n && excl == n) {
        *skip = JC_RESULT_EXCLUDED;
        return 0;
    }
    switch (run_if) {
    case JC_RUN_IF_AT_LEAST_ONE_SUCCESS: ok = s >= 1; break;
    case JC_RUN_IF_NONE_FAILED: ok = f == 0 && c == 0 && ran >= 1; break;
    case JC_RUN_IF_ALL_DONE: ok = 1; break;
    case JC_RUN_IF_AT_LEAST_ONE_FAILED: ok = f >= 1; break;
    case JC_RUN_IF_ALL_FAILED: ok = f == n; break;
    case JC_RUN_IF_ALL_SUCCESS:
    default: ok = s == n; break;
    }
    if (n == 0)
        ok = 1;
    if (ok)
        return 1;
    if (run_if == JC_RUN_IF_AT_LEAST_ONE_FAILED ||
        run_if == JC_RUN_IF_ALL_FAILED)
        *skip = JC_RESULT_EXCLUDED;
    else if (c > 0)
        *skip = JC_RESULT_UPSTREAM_CANCELED;
    else
        *skip = JC_RESULT_UPSTREAM_FAILED;
    return 0;
}

enum jc_result jc_run_job_result(const enum jc_result *all, size_t nall,
                                 const enum jc_result *leaves, size_t nleaves)
{
    size_t i;
    bool any_bad = false;

    for (i = 0; i < nleaves; i++) {
        if (jc_result_is_failure(leaves[i]) || is_canceled(leaves[i]))
            return JC_RESULT_FAILED;
    }
    for (i = 0; i < nall; i++) {
        if (jc_result_is_failure(all[i]) || is_canceled(all[i]))
            any_bad = true;
    }
    return any_bad ? JC_RESULT_SUCCESS_WITH_FAILURES : JC_RESULT_SUCCESS;
}

bool jc_run_task_is_remote(const struct jc_job *job, const struct jc_task *t,
                           bool force_remote)
{
    const char *host = getenv("DATABRICKS_HOST");

    if (!(force_remote || (job && job->remote)) || !host || !*host)
        return false;
    return t->compute == JC_COMPUTE_EXISTING_CLUSTER ||
           t->compute == JC_COMPUTE_NEW_CLUSTER ||
           t->compute == JC_COMPUTE_JOB_CLUSTER;
}

/* ---- store batching ---- */

static void flush_cb(uv_timer_t *t)
{
    jc_run_flush(t->data);
}

void jc_run_flush(struct jc_run *r)
{
    if (r->in_txn) {
        r->in_txn = false;
        if (jc_store_commit(r->store))
            log_error("store commit failed: %s", jc_err_last());
    }
}

void jc_run_dirty(struct jc_run *r)
{
    if (!r->in_txn) {
        if (jc_store_begin(r->store)) {
            log_error("store begin failed: %s", jc_err_last());
            return;
        }
        r->in_txn = true;
        if (r->flush_inited && !uv_is_active((uv_handle_t *)&r->flush_timer))
            uv_timer_start(&r->flush_timer, flush_cb, FLUSH_MS, 0);
    }
}

/* ---- ready queue ---- */

static void ready_push(struct jc_run *r, size_t i)
{
    r->ready[r->rtail] = i;
    r->rtail = (r->rtail + 1) % (r->n + 1);
    r->tasks[i].st = TS_READY;
}

static bool ready_pop(struct jc_run *r, size_t *i)
{
    if (r->rhead == r->rtail)
        return false;
    *i = r->ready[r->rhead];
    r->rhead = (r->rhead + 1) % (r->n + 1);
    return true;
}

/* ---- events ---- */

void jc_run_emit(struct jc_run *r, size_t i, const char *life,
                 enum jc_result res, const char *msg, int64_t dur)
{
    struct rtask *rt = &r->tasks[i];
    struct jc_task_event ev;

    if (!r->opts.on_task)
        return;
    ev.run_id = r->run_id;
    ev.task_key = rt->t->task_key;
    ev.attempt = rt->attempt;
    ev.life_cycle_state = life;
    ev.result = res;
    ev.message = msg ? msg : "";
    ev.duration_ms = dur;
    r->opts.on_task(r->opts.arg, &ev);
}

/* Record a task that never executes (skip, disabled, canceled before start). */
static void record_skip(struct jc_run *r, size_t i, enum jc_result res,
                        const char *msg)
{
    struct rtask *rt = &r->tasks[i];
    struct jc_task_run_row row;
    int64_t now = jc_now_ms();

    memset(&row, 0, sizeof(row));
    row.run_id = r->run_id;
    row.task_key = rt->t->task_key;
    row.attempt_number = rt->attempt;
    row.repair_id = r->repair_id;
    row.life_cycle_state = (char *)"TERMINATED";
    row.result_state = (char *)jc_result_name(res);
    row.state_message = (char *)(msg ? msg : "");
    row.start_ms = now;
    row.end_ms = now;
    row.exit_code = -1;
    row.executor = (char *)"local";
    row.read_bytes = -1;
    row.write_bytes = -1;
    jc_run_dirty(r);
    if (jc_store_task_run_insert(r->store, &row))
        log_error("store task run failed: %s", jc_err_last());
    rt->task_run_id = row.task_run_id;
    rt->start_ms = rt->end_ms = now;
    free(rt->message);
    rt->message = ju_xstrdup(msg ? msg : "");
}

static void maybe_finish(struct jc_run *r);

/* Evaluate run_if of task i (all parents terminal). 1 = run it. */
static int evaluate(struct jc_run *r, size_t i, enum jc_result *skip,
                    const char **why)
{
    struct rtask *rt = &r->tasks[i];
    const size_t *par;
    size_t np, k, m = 0;
    enum jc_result stack_res[16];
    bool stack_ok[16];
    enum jc_result *res = stack_res;
    bool *ok = stack_ok;
    int run;

    *why = "";
    if (rt->t->disabled) {
        *skip = JC_RESULT_DISABLED;
        *why = "task is disabled";
        return 0;
    }
    par = jc_dag_parents(r->dag, i, &np);
    if (np > 16) {
        res = ju_xmalloc(np * sizeof(*res));
        ok = ju_xmalloc(np * sizeof(*ok));
    }
    for (k = 0; k < np; k++) {
        const struct rtask *p = &r->tasks[par[k]];
        const char *want = k < rt->t->ndeps ? rt->t->deps[k].outcome : NULL;

        if (p->ignored)
            continue;
        res[m] = p->result;
        ok[m] = !want || (p->outcome && !strcmp(p->outcome, want));
        m++;
    }
    run = jc_run_if_eval(rt->t->run_if, res, ok, m, skip);
    if (res != stack_res) {
        free(res);
        free(ok);
    }
    if (!run) {
        switch (*skip) {
        case JC_RESULT_EXCLUDED: *why = "run_if condition not met"; break;
        case JC_RESULT_UPSTREAM_CANCELED: *why = "upstream task canceled"; break;
        default: *why = "upstream task failed"; break;
        }
    }
    return run;
}

/*
 * Task i reached a terminal result: propagate to children with a worklist
 * (no recursion: chains can be 10,000 long).
 */
void jc_run_task_terminal(struct jc_run *r, size_t i, enum jc_result res)
{
    size_t *work = r->work;
    size_t nwork = 0;

    r->tasks[i].result = res;
    work[nwork++] = i;
    while (nwork) {
        size_t j = work[--nwork];
        struct rtask *rt = &r->tasks[j];
        const size_t *ch;
        size_t nch, k;

        rt->st = TS_DONE;
        r->ndone++;
        jc_run_close_task_timer(r, j);
        jc_run_emit(r, j, "TERMINATED", rt->result, rt->message,
                    rt->end_ms - rt->start_ms);
        ch = jc_dag_children(r->dag, j, &nch);
        for (k = 0; k < nch; k++) {
            struct rtask *c = &r->tasks[ch[k]];
            enum jc_result skip;
            const char *why;

            if (!c->selected || c->st != TS_BLOCKED || !c->pending)
                continue;
            if (--c->pending)
                continue;
            if (r->cancelling)
                continue; /* cancel marks it */
            if (evaluate(r, ch[k], &skip, &why)) {
                ready_push(r, ch[k]);
            } else {
                record_skip(r, ch[k], skip, why);
                c->result = skip;
                c->st = TS_DONE; /* counted in ndone when popped */
                work[nwork++] = ch[k];
            }
        }
    }
}

/* ---- timers of a task (retry wait or timeout) ---- */

static void task_timer_close_cb(uv_handle_t *h)
{
    struct jc_run *r = ((struct task_timer *)h->data)->run;

    free(h->data);
    r->open_handles--;
    jc_run_maybe_done(r);
}

void jc_run_close_task_timer(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];

    if (!rt->timer)
        return;
    uv_timer_stop(&rt->timer->timer);
    uv_close((uv_handle_t *)&rt->timer->timer, task_timer_close_cb);
    rt->timer = NULL;
}

uv_timer_t *jc_run_task_timer(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];

    if (!rt->timer) {
        rt->timer = ju_xcalloc(1, sizeof(*rt->timer));
        rt->timer->run = r;
        rt->timer->idx = i;
        uv_timer_init(r->loop, &rt->timer->timer);
        rt->timer->timer.data = rt->timer;
        r->open_handles++;
    }
    return &rt->timer->timer;
}

static void retry_cb(uv_timer_t *t)
{
    struct task_timer *tt = t->data;
    struct jc_run *r = tt->run;
    struct rtask *rt = &r->tasks[tt->idx];
    int64_t wait;

    if (rt->st != TS_RETRY_WAIT)
        return;
    /* Loop time is coarse: never retry before the interval has passed. */
    wait = rt->attempt_start_ms + rt->t->min_retry_interval_millis - jc_now_ms();
    if (wait > 0) {
        uv_timer_start(t, retry_cb, (uint64_t)wait, 0);
        return;
    }
    ready_push(r, tt->idx);
    jc_run_pump(r);
}

void jc_run_schedule_retry(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    int64_t due = rt->attempt_start_ms + rt->t->min_retry_interval_millis;
    int64_t wait = due - jc_now_ms();

    rt->st = TS_RETRY_WAIT;
    jc_run_emit(r, i, "WAITING_FOR_RETRY", JC_RESULT_NONE, rt->message, 0);
    if (wait <= 0) {
        jc_run_close_task_timer(r, i);
        ready_push(r, i);
        return;
    }
    uv_timer_start(jc_run_task_timer(r, i), retry_cb, (uint64_t)wait, 0);
}

/* ---- pump ---- */

void jc_run_pump(struct jc_run *r)
{
    size_t i;

    if (r->pumping || r->finished)
        return;
    r->pumping = true;
    while (!r->cancelling && r->nrunning < r->parallel && ready_pop(r, &i))
        jc_run_launch(r, i);
    r->pumping = false;
    maybe_finish(r);
}

/* ---- finish ---- */

static void handle_close_cb(uv_handle_t *h)
{
    struct jc_run *r = h->data;

    r->open_handles--;
    jc_run_maybe_done(r);
}

void jc_run_maybe_done(struct jc_run *r)
{
    if (!r->finished || r->open_handles || r->done_called)
        return;
    r->done_called = true;
    if (r->opts.on_done)
        r->opts.on_done(r->done_arg ? r->done_arg : r->opts.arg, r, r->result);
}

static char *result_message(struct jc_run *r, size_t nfail, size_t nsel)
{
    switch (r->result) {
    case JC_RESULT_SUCCESS:
        return ju_xasprintf("%zu task(s) succeeded", nsel);
    case JC_RESULT_SUCCESS_WITH_FAILURES:
        return ju_xasprintf("%zu of %zu task(s) failed but every leaf "
                            "succeeded", nfail, nsel);
    case JC_RESULT_CANCELED:
        return ju_xasprintf("run canceled%s%s", r->cancel_why ? ": " : "",
                            r->cancel_why ? r->cancel_why : "");
    case JC_RESULT_TIMEDOUT:
        return ju_xasprintf("run timed out after %lld s",
                            (long long)r->job->timeout_seconds);
    default:
        return ju_xasprintf("%zu of %zu task(s) failed", nfail, nsel);
    }
}

static void update_history(struct jc_run *r, int64_t end)
{
    struct jc_run_row row;
    json_t *h, *last;

    if (jc_store_run_get(r->store, r->run_id, &row))
        return;
    h = json_loads(row.repair_history_json ? row.repair_history_json : "[]", 0,
                   NULL);
    if (!json_is_array(h)) {
        json_decref(h);
        h = json_array();
    }
    last = json_array_get(h, json_array_size(h) - 1);
    if (json_is_object(last)) {
        struct jc_task_run_row *trs;
        size_t ntr, k;
        json_t *ids = json_array();

        if (!jc_store_task_run_list(r->store, r->run_id, &trs, &ntr)) {
            for (k = 0; k < ntr; k++) {
                if (trs[k].repair_id == r->repair_id)
                    json_array_append_new(ids, json_integer(trs[k].task_run_id));
            }
            jc_task_run_rows_free(trs, ntr);
        }
        json_object_set_new(last, "task_run_ids", ids);
        json_object_set_new(last, "end_time", json_integer(end));
        json_object_set_new(last, "state",
                            json_pack("{s:s, s:s}", "life_cycle_state",
                                      "TERMINATED", "result_state",
                                      jc_result_name(r->result)));
    }
    free(row.repair_history_json);
    row.repair_history_json = json_dumps(h, JSON_COMPACT);
    json_decref(h);
    jc_store_run_update(r->store, &row);
    jc_run_row_release(&row);
}

static void maybe_finish(struct jc_run *r)
{
    enum jc_result *all, *leaves;
    size_t nall = 0, nleaves = 0, nfail = 0, i;
    int64_t end;
    char *msg;

    if (r->finished || !r->started || r->ndone < r->nselected || r->nrunning)
        return;
    r->finished = true;
    all = ju_xmalloc((r->n + 1) * sizeof(*all));
    leaves = ju_xmalloc((r->n + 1) * sizeof(*leaves));
    for (i = 0; i < r->n; i++) {
        const struct rtask *rt = &r->tasks[i];
        const size_t *ch;
        size_t nch, k;
        bool leaf = true;

        if (rt->ignored)
            continue;
        all[nall++] = rt->result;
        if (jc_result_is_failure(rt->result) || is_canceled(rt->result))
            nfail++;
        ch = jc_dag_children(r->dag, i, &nch);
        for (k = 0; k < nch; k++) {
            if (!r->tasks[ch[k]].ignored)
                leaf = false;
        }
        if (leaf)
            leaves[nleaves++] = rt->result;
    }
    if (r->timed_out)
        r->result = JC_RESULT_TIMEDOUT;
    else if (r->cancelling)
        r->result = JC_RESULT_CANCELED;
    else
        r->result = jc_run_job_result(all, nall, leaves, nleaves);
    free(all);
    free(leaves);
    end = jc_now_ms();
    msg = result_message(r, nfail, nall);
    jc_run_dirty(r);
    jc_store_run_set_state(r->store, r->run_id, "TERMINATED",
                           jc_result_name(r->result), msg, end);
    update_history(r, end);
    jc_store_event_add(r->store, r->run_id, NULL, "run.end", msg);
    free(msg);
    jc_run_flush(r);
    /* Close loop handles; on_done runs once they are all closed. */
    if (r->flush_inited) {
        uv_timer_stop(&r->flush_timer);
        uv_close((uv_handle_t *)&r->flush_timer, handle_close_cb);
    }
    if (r->job_timer_inited) {
        uv_timer_stop(&r->job_timer);
        uv_close((uv_handle_t *)&r->job_timer, handle_close_cb);
    }
    if (r->poll_inited) {
        uv_timer_stop(&r->cancel_poll);
        uv_close((uv_handle_t *)&r->cancel_poll, handle_close_cb);
    }
    for (i = 0; i < r->n; i++)
        jc_run_close_task_timer(r, i);
    if (r->own_local && r->local) {
        r->local->ops->destroy(r->local);
        r->local = NULL;
    }
    jc_run_maybe_done(r);
}

/* ---- cancel ---- */

static void cancel_all(struct jc_run *r, enum jc_stop_reason why)
{
    size_t i;
    const char *msg = why == JC_STOP_TIMEOUT ? "run timed out" : "run canceled";

    r->cancelling = true;
    r->rhead = r->rtail = 0;
    for (i = 0; i < r->n; i++) {
        struct rtask *rt = &r->tasks[i];

        if (!rt->selected || rt->st == TS_DONE)
            continue;
        if (rt->st == TS_RUNNING) {
            jc_run_stop_task(r, i, why);
            continue;
        }
        /* Blocked, ready or waiting for a retry: never (re)started. */
        if (rt->st == TS_RETRY_WAIT)
            rt->attempt++;
        record_skip(r, i, JC_RESULT_CANCELED, msg);
        rt->result = JC_RESULT_CANCELED;
        rt->st = TS_DONE;
        r->ndone++;
        jc_run_close_task_timer(r, i);
        jc_run_emit(r, i, "TERMINATED", JC_RESULT_CANCELED, msg, 0);
    }
    maybe_finish(r);
}

int jc_run_cancel(struct jc_run *r, const char *why)
{
    if (r->finished)
        return 0;
    if (!r->started) {
        r->cancelling = true;
        return 0;
    }
    if (r->cancelling)
        return 0;
    free(r->cancel_why);
    r->cancel_why = why ? ju_xstrdup(why) : NULL;
    jc_run_dirty(r);
    jc_store_event_add(r->store, r->run_id, NULL, "run.cancel",
                       why ? why : "");
    cancel_all(r, JC_STOP_CANCEL);
    return 0;
}

static void job_timeout_cb(uv_timer_t *t)
{
    struct jc_run *r = t->data;

    if (r->finished || r->cancelling)
        return;
    r->timed_out = true;
    jc_run_dirty(r);
    jc_store_event_add(r->store, r->run_id, NULL, "run.timeout", "");
    cancel_all(r, JC_STOP_TIMEOUT);
}

static void cancel_poll_cb(uv_timer_t *t)
{
    struct jc_run *r = t->data;

    if (r->finished || r->cancelling)
        return;
    if (jc_store_run_cancel_requested(r->store, r->run_id) == 1)
        jc_run_cancel(r, "requested by jobctl cancel");
}

/* ---- start ---- */

int jc_run_start(struct jc_run *r, uv_loop_t *loop)
{
    size_t i;
    int rc;

    if (r->started)
        return jc_err_set(JC_ESTATE, "run %lld already started",
                          (long long)r->run_id);
    r->loop = loop;
    {
        char *dir = ju_xasprintf("%s/logs/%lld", r->home, (long long)r->run_id);
        rc = jc_exec_mkdirs(dir, 0755);
        if (!rc)
            r->run_dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        free(dir);
        if (rc)
            return rc;
    }
    if (!r->local) {
        if ((rc = jc_executor_local_new(&r->local, loop)))
            return rc;
        r->own_local = true;
    }
    uv_timer_init(loop, &r->flush_timer);
    r->flush_timer.data = r;
    r->flush_inited = true;
    r->open_handles++;
    uv_timer_init(loop, &r->cancel_poll);
    r->cancel_poll.data = r;
    r->poll_inited = true;
    r->open_handles++;
    uv_timer_start(&r->cancel_poll, cancel_poll_cb, CANCEL_POLL_MS,
                   CANCEL_POLL_MS);
    uv_unref((uv_handle_t *)&r->cancel_poll);
    if (r->job->timeout_seconds > 0) {
        uv_timer_init(loop, &r->job_timer);
        r->job_timer.data = r;
        r->job_timer_inited = true;
        r->open_handles++;
        uv_timer_start(&r->job_timer, job_timeout_cb,
                       (uint64_t)r->job->timeout_seconds * 1000, 0);
    }
    r->started = true;
    jc_run_expand_params(r);
    jc_run_dirty(r);
    jc_store_run_set_state(r->store, r->run_id, "RUNNING", NULL, "", 0);
    jc_store_event_add(r->store, r->run_id, NULL,
                       r->repair_id ? "run.repair" : "run.start", "");
    if (r->cancelling) {
        r->cancelling = false;
        cancel_all(r, JC_STOP_CANCEL);
        return 0;
    }
    for (i = 0; i < r->n; i++) {
        struct rtask *rt = &r->tasks[i];
        enum jc_result skip;
        const char *why;

        if (!rt->selected || rt->pending || rt->st != TS_BLOCKED)
            continue;
        if (evaluate(r, i, &skip, &why)) {
            ready_push(r, i);
        } else {
            record_skip(r, i, skip, why);
            jc_run_task_terminal(r, i, skip);
        }
    }
    /* Commit the RUNNING state now so `jobctl runs` sees it at once. */
    jc_run_flush(r);
    jc_run_pump(r);
    return 0;
}

int64_t jc_run_id(const struct jc_run *r)
{
    return r->run_id;
}

int64_t jc_run_job_id(const struct jc_run *r)
{
    return r->job_id;
}

int64_t jc_run_repair_id(const struct jc_run *r)
{
    return r->repair_id;
}

bool jc_run_finished(const struct jc_run *r)
{
    return r->finished;
}

enum jc_result jc_run_result(const struct jc_run *r)
{
    return r->result;
}

void jc_run_free(struct jc_run *r)
{
    size_t i;

    if (!r)
        return;
    if (r->in_txn)
        jc_run_flush(r);
    if (r->own_local && r->local)
        r->local->ops->destroy(r->local);
    for (i = 0; i < r->n; i++) {
        struct rtask *rt = &r->tasks[i];

        jc_tvs_free(rt->vals, rt->nvals);
        free(rt->message);
        free(rt->outcome_buf);
        free(rt->log_path);
        free(rt->tv_path);
        free(rt->resolved);
    }
    if (r->run_dirfd >= 0)
        close(r->run_dirfd);
    free(r->tasks);
    free(r->ready);
    free(r->work);
    jc_dag_free(r->dag);
    for (i = 0; i < r->nparams; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    free(r->params);
    jc_strv_free(r->base_env);
    free(r->home);
    free(r->workspace);
    free(r->lake);
    free(r->cancel_why);
    free(r);
}
