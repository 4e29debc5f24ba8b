/*
 * resume.c: at start, `jobctl serve` resumes the runs of a daemon that
 * died (settled FAILED "orphaned" when the store was opened): tasks whose
 * retry policy allows another attempt, tasks that were waiting for a
 * retry and tasks that never started run again as a repair of the same
 * run_id; a run with nothing left to run, or whose job cannot be loaded,
 * stays settled with a "run.resume" event saying why.
 */
#include "daemon/daemon_int.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/log.h"
#include "util/mem.h"

#define OWNER_MAX 128
#define MAX_SERVE_STARTS 100000

/* "pid=1 start=2 boot=x": who a daemon was (a "serve.start" event). */
static void owner_str(char *out, size_t n, int pid, int64_t start,
                      const char *boot)
{
    snprintf(out, n, "pid=%d start=%lld boot=%s", pid, (long long)start,
             boot ? boot : "");
}

struct owners {
    char **v;
    size_t n;
};

static void load_serve_starts(struct jc_daemon *d, struct owners *o)
{
    sqlite3_stmt *st = NULL;

    memset(o, 0, sizeof(*o));
    if (sqlite3_prepare_v2(jc_store_db(d->store),
                           "SELECT DISTINCT message FROM events WHERE type = "
                           "'serve.start'", -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW && o->n < MAX_SERVE_STARTS) {
        const char *m = (const char *)sqlite3_column_text(st, 0);

        if (!m)
            continue;
        o->v = ju_xrealloc(o->v, (o->n + 1) * sizeof(*o->v));
        o->v[o->n++] = ju_xstrdup(m);
    }
    sqlite3_finalize(st);
}

static bool owners_has(const struct owners *o, const char *s)
{
    size_t i;

    for (i = 0; i < o->n; i++)
        if (!strcmp(o->v[i], s))
            return true;
    return false;
}

static void owners_free(struct owners *o)
{
    size_t i;

    for (i = 0; i < o->n; i++)
        free(o->v[i]);
    free(o->v);
}

/* Settled, and no "run.resume" decision since the last settling. */
static bool awaiting_resume(struct jc_daemon *d, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    bool yes = false;

    if (sqlite3_prepare_v2(
            jc_store_db(d->store),
            "SELECT (SELECT MAX(event_id) FROM events WHERE run_id = ?1 AND "
            "type = 'run.settled'), (SELECT MAX(event_id) FROM events WHERE "
            "run_id = ?1 AND type = 'run.resume')",
            -1, &st, NULL) != SQLITE_OK)
        return false;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL)
        yes = sqlite3_column_type(st, 1) == SQLITE_NULL ||
              sqlite3_column_int64(st, 1) < sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return yes;
}

/*
 * A run that was being canceled or had timed out when its daemon died is
 * not resumed: the latest start/repair/cancel/timeout event tells.
 */
static const char *stop_reason(struct jc_daemon *d, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    const char *why = NULL;

    if (jc_store_run_cancel_requested(d->store, run_id) == 1)
        return "a cancel was requested";
    if (sqlite3_prepare_v2(
            jc_store_db(d->store),
            "SELECT type FROM events WHERE run_id = ?1 AND type IN "
            "('run.start', 'run.repair', 'run.cancel', 'run.timeout') "
            "ORDER BY event_id DESC LIMIT 1",
            -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);

        if (t && !strcmp(t, "run.cancel"))
            why = "the run was being canceled";
        else if (t && !strcmp(t, "run.timeout"))
            why = "the run had timed out";
    }
    sqlite3_finalize(st);
    return why;
}

/*
 * The job a settled run was running: its own settings snapshot (the run
 * goes on as it started), else the stored job's current settings.
 */
static int load_run_job(struct jc_daemon *d, const struct jc_run_row *row,
                        struct jc_job **out)
{
    json_t *s = row->settings_json ? json_loads(row->settings_json, 0, NULL)
                                   : NULL;
    struct jc_diags diags = JC_DIAGS_INIT;
    int rc = JC_EINVAL;

    *out = NULL;
    if (s) {
        rc = jc_spec_from_settings(out, s, &diags);
        json_decref(s);
        jc_diags_release(&diags);
        if (rc) {
            jc_job_free(*out);
            *out = NULL;
        }
    }
    if (rc && row->job_id > 0)
        rc = dm_load_job(d, row->job_id, out);
    if (rc)
        return jc_err_set(JC_ENOTFOUND, "no job definition for run %lld "
                          "(settings snapshot unreadable, job %lld not "
                          "found)", (long long)row->run_id,
                          (long long)row->job_id);
    (*out)->job_id = row->job_id;
    return 0;
}

static void not_resumed(struct jc_daemon *d, int64_t run_id, const char *why)
{
    char *msg = ju_xasprintf("not resumed: %s", why);

    jc_store_event_add(d->store, run_id, NULL, "run.resume", msg);
    log_warn("orphaned run not resumed: run=%lld reason='%s'",
             (long long)run_id, why);
    free(msg);
}

static void resume_one(struct jc_daemon *d, const struct jc_run_row *row)
{
    struct jc_resume_plan plan;
    struct jc_job *job = NULL;
    struct jc_run_opts o;
    struct drun *r;
    char *desc;
    bool submit = row->run_type && !strcmp(row->run_type, "SUBMIT_RUN");
    const char *stop = stop_reason(d, row->run_id);
    int rc;

    if (stop) {
        not_resumed(d, row->run_id, stop);
        return;
    }
    if (row->trigger && !strcmp(row->trigger, "RUN_JOB_TASK")) {
        /* the retry of its run_job_task starts a new child run */
        not_resumed(d, row->run_id, "child run of a run_job_task");
        return;
    }
    if (load_run_job(d, row, &job)) {
        not_resumed(d, row->run_id, jc_err_last());
        return;
    }
    if (jc_run_resume_plan(d->store, job, row->run_id, &plan)) {
        not_resumed(d, row->run_id, jc_err_last());
        jc_job_free(job);
        return;
    }
    desc = jc_resume_plan_describe(&plan);
    if (!plan.resumable) {
        char *why = ju_xasprintf("no task may run again (%s)", desc);

        not_resumed(d, row->run_id, why);
        free(why);
        goto out;
    }
    if (submit)
        job->max_concurrent_runs = 1000;
    r = ju_xcalloc(1, sizeof(*r));
    r->d = d;
    r->job = job;
    job = NULL;
    r->job_id = submit ? 0 : row->job_id;
    r->run_id = row->run_id;
    r->resume = true;
    rc = dm_fill_opts(d, r, &o, "RETRY", NULL);
    if (!rc)
        rc = jc_run_resume_create(&r->run, d->store, r->job, row->run_id,
                                  &plan, &o);
    if (rc) {
        char *why = ju_xasprintf("cannot repair the run: %s", jc_err_last());

        r->run = NULL;
        dm_drun_free(r);
        not_resumed(d, row->run_id, why);
        free(why);
        goto out;
    }
    log_info("resuming orphaned run: run=%lld job=%lld repair=%lld "
             "tasks='%s'", (long long)row->run_id, (long long)row->job_id,
             (long long)jc_run_repair_id(r->run), desc);
    dm_enqueue(d, r, true);
out:
    free(desc);
    jc_resume_plan_release(&plan);
    jc_job_free(job);
}

void dm_resume_orphans(struct jc_daemon *d)
{
    sqlite3_stmt *st = NULL;
    struct owners starts;
    int64_t *ids = NULL;
    size_t nids = 0, i;
    char me[OWNER_MAX];
    int pid;
    int64_t start;
    char boot[64];

    load_serve_starts(d, &starts);
    /* Runs settled after their jobctl died, oldest first. */
    if (starts.n &&
        sqlite3_prepare_v2(jc_store_db(d->store),
                           "SELECT run_id, owner_pid, owner_start, "
                           "owner_boot_id FROM runs WHERE life_cycle_state "
                           "= 'TERMINATED' AND state_message LIKE "
                           "'orphaned:%' ORDER BY run_id", -1, &st,
                           NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            char who[OWNER_MAX];

            owner_str(who, sizeof(who), sqlite3_column_int(st, 1),
                      sqlite3_column_int64(st, 2),
                      (const char *)sqlite3_column_text(st, 3));
            /* only runs a `jobctl serve` drove (not embedded `jobctl run`) */
            if (!owners_has(&starts, who))
                continue;
            ids = ju_xrealloc(ids, (nids + 1) * sizeof(*ids));
            ids[nids++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
    }
    owners_free(&starts);
    for (i = 0; i < nids; i++) {
        struct jc_run_row row;

        if (!awaiting_resume(d, ids[i]))
            continue;
        if (jc_store_run_get(d->store, ids[i], &row))
            continue;
        resume_one(d, &row);
        jc_run_row_release(&row);
    }
    free(ids);
    /* Remember who this daemon is: its runs are resumed after a crash. */
    jc_store_self_owner(&pid, &start, boot, sizeof(boot));
    owner_str(me, sizeof(me), pid, start, boot);
    jc_store_event_add(d->store, 0, NULL, "serve.start", me);
}
