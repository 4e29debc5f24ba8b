/*
 * run_resume.c: resuming a run after crash settling. Works out which tasks
 * of a settled run still have an attempt left under their retry policy
 * (orphaned, or failed and waiting for a retry) or never started, and
 * re-runs them as a repair of the same run_id whose retried tasks wait
 * min_retry_interval_millis from their last attempt's start.
 */
#include "core/run_engine.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

/* Marker on the repair_history entry of a resume (not a user repair). */
#define RESUME_MARK "x_jobctl_resume"

static void strv_push(char ***v, size_t *n, const char *s)
{
    *v = ju_xrealloc(*v, (*n + 2) * sizeof(char *));
    (*v)[(*n)++] = ju_xstrdup(s);
    (*v)[*n] = NULL;
}

static void strv_release(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/*
 * Attempts are counted since the last repair a user asked for (repair ids
 * of resumes carry RESUME_MARK and continue the same retry budget).
 */
static int64_t epoch_base(const char *history)
{
    json_t *h = history ? json_loads(history, 0, NULL) : NULL;
    int64_t base = 0;
    size_t i;
    json_t *e;

    json_array_foreach(h, i, e) {
        const char *type = json_string_value(json_object_get(e, "type"));

        if (!type || strcmp(type, "REPAIR") ||
            json_is_true(json_object_get(e, RESUME_MARK)))
            continue;
        base = json_integer_value(json_object_get(e, "id"));
    }
    json_decref(h);
    return base;
}

static bool retries_left(const struct jc_task *t, int64_t tries)
{
    return t->max_retries < 0 || tries <= t->max_retries;
}

int jc_run_resume_plan(struct jc_store *store, const struct jc_job *job,
                       int64_t run_id, struct jc_resume_plan *p)
{
    struct jc_run_row row;
    struct jc_task_run_row *trs = NULL;
    struct jc_dag *dag = NULL;
    const struct jc_task_run_row **last;
    int64_t *tries;
    size_t ntr = 0, i, k;
    int64_t base;
    int rc;

    memset(p, 0, sizeof(*p));
    if ((rc = jc_store_run_get(store, run_id, &row)))
        return rc;
    base = epoch_base(row.repair_history_json);
    jc_run_row_release(&row);
    if ((rc = jc_dag_new(&dag, job, 0)))
        return rc;
    if ((rc = jc_store_task_run_list(store, run_id, &trs, &ntr))) {
        jc_dag_free(dag);
        return rc;
    }
    last = ju_xcalloc(job->ntasks + 1, sizeof(*last));
    tries = ju_xcalloc(job->ntasks + 1, sizeof(*tries));
    for (i = 0; i < ntr; i++) {
        if (!jc_dag_lookup(dag, trs[i].task_key, &k))
            continue; /* for_each iterations, tasks no longer in the job */
        if (trs[i].repair_id >= base)
            tries[k]++;
        if (!last[k] || trs[i].attempt_number >= last[k]->attempt_number)
            last[k] = &trs[i];
    }
    for (k = 0; k < job->ntasks; k++) {
        const struct jc_task *t = &job->tasks[k];
        enum jc_result res = JC_RESULT_NONE;

        if (!last[k]) {
            strv_push(&p->fresh, &p->nfresh, t->task_key);
            continue;
        }
        p->started = true;
        if (last[k]->repair_id < base || !last[k]->result_state)
            continue;
        jc_result_parse(last[k]->result_state, &res);
        if (last[k]->state_message &&
            !strncmp(last[k]->state_message, "orphaned", 8)) {
            if (retries_left(t, tries[k]))
                strv_push(&p->retry, &p->nretry, t->task_key);
            else
                strv_push(&p->spent, &p->nspent, t->task_key);
            continue;
        }
        /* A failed attempt with retries left: the engine was waiting to
         * retry it when its process died. */
        if ((res == JC_RESULT_FAILED ||
             (res == JC_RESULT_TIMEDOUT && t->retry_on_timeout)) &&
            retries_left(t, tries[k]))
            strv_push(&p->waiting, &p->nwaiting, t->task_key);
    }
    free(last);
    free(tries);
    jc_task_run_rows_free(trs, ntr);
    jc_dag_free(dag);
    p->resumable = p->nretry + p->nwaiting + p->nfresh > 0;
    return 0;
}

void jc_resume_plan_release(struct jc_resume_plan *p)
{
    strv_release(p->retry, p->nretry);
    strv_release(p->waiting, p->nwaiting);
    strv_release(p->fresh, p->nfresh);
    strv_release(p->spent, p->nspent);
    memset(p, 0, sizeof(*p));
}

char *jc_resume_plan_describe(const struct jc_resume_plan *p)
{
    struct ju_buf b;
    const struct {
        const char *label;
        char **keys;
        size_t n;
    } parts[] = {
        {"retry", p->retry, p->nretry},
        {"waiting", p->waiting, p->nwaiting},
        {"not started", p->fresh, p->nfresh},
        {"no retries left", p->spent, p->nspent},
    };
    size_t i, k;

    ju_buf_init(&b, 0);
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!parts[i].n)
            continue;
        if (b.len)
            ju_buf_adds(&b, "; ");
        ju_buf_addf(&b, "%s: ", parts[i].label);
        for (k = 0; k < parts[i].n; k++)
            ju_buf_addf(&b, "%s%s", k ? " " : "", parts[i].keys[k]);
    }
    if (!b.len)
        ju_buf_adds(&b, "nothing to run");
    return ju_buf_detach(&b, NULL);
}

/* Mark the repair_history entry just added as a resume, set the message. */
static int mark_resume(struct jc_run *r)
{
    struct jc_run_row row;
    json_t *h, *last;
    int rc;

    if ((rc = jc_store_run_get(r->store, r->run_id, &row)))
        return rc;
    h = json_loads(row.repair_history_json ? row.repair_history_json : "[]",
                   0, NULL);
    last = json_array_get(h, json_array_size(h) - 1);
    if (json_is_object(last)) {
        json_object_set_new(last, RESUME_MARK, json_true());
        free(row.repair_history_json);
        row.repair_history_json = json_dumps(h, JSON_COMPACT);
    }
    json_decref(h);
    free(row.state_message);
    row.state_message = ju_xasprintf("resumed after a crash (repair %lld)",
                                     (long long)r->repair_id);
    rc = jc_store_run_update(r->store, &row);
    jc_run_row_release(&row);
    return rc;
}

int jc_run_resume_create(struct jc_run **out, struct jc_store *store,
                         const struct jc_job *job, int64_t run_id,
                         const struct jc_resume_plan *p,
                         const struct jc_run_opts *opts)
{
    struct jc_task_run_row *trs = NULL;
    struct jc_run_row row;
    struct jc_run *r;
    const char **keys;
    size_t nkeys = 0, ntr = 0, i, k, idx;
    int64_t base, *start;
    int *tries;
    int rc;

    *out = NULL;
    if (!p->resumable)
        return jc_err_set(JC_EINVAL, "run %lld has no task left to run",
                          (long long)run_id);
    /* before the repair adds its own history entry */
    if ((rc = jc_store_run_get(store, run_id, &row)))
        return rc;
    base = epoch_base(row.repair_history_json);
    jc_run_row_release(&row);
    keys = ju_xcalloc(p->nretry + p->nwaiting + p->nfresh + 1, sizeof(*keys));
    for (i = 0; i < p->nretry; i++)
        keys[nkeys++] = p->retry[i];
    for (i = 0; i < p->nwaiting; i++)
        keys[nkeys++] = p->waiting[i];
    for (i = 0; i < p->nfresh; i++)
        keys[nkeys++] = p->fresh[i];
    rc = jc_run_repair_create(&r, store, job, run_id, keys, nkeys, opts);
    free(keys);
    if (rc)
        return rc;
    if ((rc = jc_store_task_run_list(store, run_id, &trs, &ntr)))
        goto fail;
    /* Retried tasks continue their retry budget and wait for their
     * min_retry_interval_millis from the last attempt's start. */
    tries = ju_xcalloc(r->n + 1, sizeof(*tries));
    start = ju_xcalloc(r->n + 1, sizeof(*start));
    for (i = 0; i < ntr; i++) {
        if (trs[i].repair_id < base ||
            !jc_dag_lookup(r->dag, trs[i].task_key, &idx))
            continue;
        tries[idx]++;
        if (trs[i].start_ms > start[idx])
            start[idx] = trs[i].start_ms;
    }
    for (k = 0; k < p->nretry + p->nwaiting; k++) {
        const char *key = k < p->nretry ? p->retry[k]
                                        : p->waiting[k - p->nretry];
        struct rtask *rt;

        if (!jc_dag_lookup(r->dag, key, &idx))
            continue;
        rt = &r->tasks[idx];
        rt->tries = tries[idx];
        rt->attempt_start_ms = start[idx];
        rt->st = TS_RETRY_WAIT;
    }
    free(tries);
    free(start);
    jc_task_run_rows_free(trs, ntr);
    if ((rc = mark_resume(r)))
        goto fail;
    jc_store_event_add(store, run_id, NULL, "run.resume",
                       "resumed after a crash");
    *out = r;
    return 0;
fail:
    /* the repair made the run PENDING: settle it again, it will not run */
    {
        char *msg = ju_xasprintf("cannot resume after a crash: %s",
                                 jc_err_last());

        jc_store_run_set_state(store, run_id, "TERMINATED", "FAILED", msg,
                               jc_now_ms());
        free(msg);
    }
    jc_run_free(r);
    return rc;
}

int jc_run_resume_start(struct jc_run *r, uv_loop_t *loop)
{
    size_t i;
    int rc;

    if ((rc = jc_run_start(r, loop)))
        return rc;
    if (r->finished)
        return 0;
    for (i = 0; i < r->n; i++) {
        struct rtask *rt = &r->tasks[i];

        if (rt->selected && rt->st == TS_RETRY_WAIT && !rt->timer)
            jc_run_schedule_retry(r, i);
    }
    jc_run_pump(r);
    return 0;
}
