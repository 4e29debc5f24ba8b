/*
 * sched.c: fires Quartz schedules (jobs-api.md section 8) in their time
 * zone, honouring pause_status. The last fire time of each job is kept in
 * SQLite as a "schedule.fire" event; after downtime at most one missed
 * tick (younger than the catch-up window) fires, then the schedule goes
 * on from the current time.
 */
#include "daemon/daemon_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>

#include "jobctl/cron.h"
#include "jobctl/err.h"
#include "jobctl/tz.h"
#include "util/log.h"
#include "util/mem.h"

struct sched_ent {
    int64_t job_id;
    char *expr;
    char *tz_name;
    bool paused;
    bool valid;
    struct jc_cron *cron;
    const struct jc_tz *tz;
    int64_t next; /* UTC seconds of the next fire; 0 = none */
    int64_t last; /* UTC seconds of the last fire; 0 = never */
    bool seen;
    struct sched_ent *next_ent;
};

static void ent_free(struct sched_ent *e)
{
    jc_cron_free(e->cron);
    free(e->expr);
    free(e->tz_name);
    free(e);
}

static struct sched_ent *find_ent(struct jc_daemon *d, int64_t job_id)
{
    struct sched_ent *e;

    for (e = d->sched; e; e = e->next_ent)
        if (e->job_id == job_id)
            return e;
    return NULL;
}

static int64_t now_s(void)
{
    return jc_now_ms() / 1000;
}

/* Last fire per job from the event log. */
static void load_last_fires(struct jc_daemon *d)
{
    sqlite3 *db = jc_store_db(d->store);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db,
                           "SELECT message FROM events WHERE type = "
                           "'schedule.fire' ORDER BY event_id",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        const char *p;
        char *end;
        long long job;
        long long at;
        struct sched_ent *e;

        if (!m || strncmp(m, "job_id=", 7))
            continue;
        job = strtoll(m + 7, &end, 10);
        p = strstr(end, "fire_utc=");
        if (!p)
            continue;
        at = strtoll(p + 9, &end, 10);
        e = find_ent(d, job);
        if (!e) {
            e = ju_xcalloc(1, sizeof(*e));
            e->job_id = job;
            e->next_ent = d->sched;
            d->sched = e;
        }
        e->last = at;
    }
    sqlite3_finalize(st);
}

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Compute next fire after a (re)configuration. */
static void plan_next(struct jc_daemon *d, struct sched_ent *e, bool startup)
{
    int64_t now = now_s();
    int64_t n;

    e->next = 0;
    if (!e->valid || e->paused)
        return;
    if (startup && e->last > 0 && !jc_cron_next(e->cron, e->tz, e->last, &n) &&
        n <= now && now - n <= d->opts.catchup_window_s) {
        /* one missed tick while we were down: fire it now, once */
        e->next = n;
        return;
    }
    if (jc_cron_next(e->cron, e->tz, now, &n))
        return;
    e->next = n;
}

static void configure(struct jc_daemon *d, int64_t job_id, json_t *settings,
                      bool startup)
{
    json_t *sch = json_object_get(settings, "schedule");
    const char *expr =
        json_string_value(json_object_get(sch, "quartz_cron_expression"));
    const char *tz = json_string_value(json_object_get(sch, "timezone_id"));
    const char *ps = json_string_value(json_object_get(sch, "pause_status"));
    bool paused = ps && !strcmp(ps, "PAUSED");
    struct sched_ent *e = find_ent(d, job_id);
    char err[256];

    if (!tz)
        tz = "UTC";
    if (!e) {
        e = ju_xcalloc(1, sizeof(*e));
        e->job_id = job_id;
        e->next_ent = d->sched;
        d->sched = e;
    }
    e->seen = true;
    if (str_eq(e->expr, expr) && str_eq(e->tz_name, tz) &&
        e->paused == paused && !startup)
        return;
    jc_cron_free(e->cron);
    e->cron = NULL;
    free(e->expr);
    free(e->tz_name);
    e->expr = expr ? ju_xstrdup(expr) : NULL;
    e->tz_name = ju_xstrdup(tz);
    e->paused = paused;
    e->valid = false;
    if (expr) {
        if (jc_cron_parse(&e->cron, expr, err, sizeof(err))) {
            log_warn("bad schedule: job=%lld error='%s'", (long long)job_id,
                     err);
        } else if (jc_tz_load(&e->tz, tz)) {
            log_warn("unknown timezone: job=%lld tz='%s'", (long long)job_id,
                     tz);
        } else {
            e->valid = true;
        }
    }
    plan_next(d, e, startup);
    if (e->valid)
        log_info("schedule: job=%lld cron='%s' tz=%s paused=%d "
                 "next=%lld",
                 (long long)job_id, e->expr, e->tz_name, (int)e->paused,
                 (long long)e->next);
}

static void refresh(struct jc_daemon *d, bool startup)
{
    struct jc_job_row *rows = NULL;
    size_t n = 0;
    size_t i;
    struct sched_ent *e;
    struct sched_ent **pp;

    if (jc_store_job_list(d->store, &rows, &n))
        return;
    for (e = d->sched; e; e = e->next_ent)
        e->seen = false;
    for (i = 0; i < n; i++) {
        json_t *s = json_loads(
            rows[i].settings_json ? rows[i].settings_json : "{}", 0, NULL);

        configure(d, rows[i].job_id, s, startup);
        json_decref(s);
    }
    jc_job_rows_free(rows, n);
    /* jobs that were deleted lose their schedule */
    for (pp = &d->sched; *pp;) {
        if (!(*pp)->seen) {
            e = *pp;
            *pp = e->next_ent;
            ent_free(e);
        } else {
            pp = &(*pp)->next_ent;
        }
    }
    d->sched_dirty = false;
}

void dm_sched_init(struct jc_daemon *d)
{
    load_last_fires(d);
    refresh(d, true);
}

void dm_sched_job_changed(struct jc_daemon *d, int64_t job_id)
{
    (void)job_id;
    d->sched_dirty = true;
}

static void fire(struct jc_daemon *d, struct sched_ent *e, int64_t at)
{
    struct jc_job *job = NULL;
    int64_t run_id = 0;
    char msg[96];
    int rc;

    d->last_lag_s = (double)(jc_now_ms() - at * 1000) / 1000.0;
    snprintf(msg, sizeof(msg), "job_id=%lld fire_utc=%lld",
             (long long)e->job_id, (long long)at);
    rc = dm_load_job(d, e->job_id, &job);
    /* the fire time is stored with the run it started (one transaction):
     * a crash in between cannot make the restart run the tick again */
    if (!rc)
        rc = dm_trigger_ev(d, job, e->job_id, NULL, NULL, "PERIODIC", "JOB_RUN",
                           "schedule.fire", msg, &run_id);
    if (rc) {
        log_warn("scheduled run failed to start: job=%lld error='%s'",
                 (long long)e->job_id, jc_err_last());
        /* the tick is spent all the same (not retried on every loop) */
        jc_store_event_add(d->store, 0, NULL, "schedule.fire", msg);
    } else {
        log_info("scheduled run: job=%lld run=%lld at=%lld",
                 (long long)e->job_id, (long long)run_id, (long long)at);
    }
    e->last = at;
}

void dm_sched_tick(struct jc_daemon *d)
{
    struct sched_ent *e;
    int64_t now_ms = jc_now_ms();

    if (d->sched_dirty || d->ticks % 20 == 0)
        refresh(d, false);
    for (e = d->sched; e; e = e->next_ent) {
        int64_t at;
        int64_t n;

        if (!e->valid || e->paused || !e->next || e->next * 1000 > now_ms)
            continue;
        at = e->next;
        fire(d, e, at);
        /* skip any other ticks already past: at most one run per tick */
        e->next = 0;
        if (!jc_cron_next(e->cron, e->tz,
                          at > now_ms / 1000 ? at : now_ms / 1000, &n))
            e->next = n;
    }
}

void dm_sched_free(struct jc_daemon *d)
{
    while (d->sched) {
        struct sched_ent *e = d->sched;

        d->sched = e->next_ent;
        ent_free(e);
    }
}
