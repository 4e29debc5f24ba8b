/*
 * offsets.c: Kafka offsets kept inside the Delta tables. Each table
 * carries txn(appId "<group>:<topic>:<partition>", version = next offset)
 * in the same commit as the rows, so data and offsets move together; on
 * restart each table resumes from its own offsets.
 */
#include "ingest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

void ingest_crash_point(const char *point)
{
    static int hits;
    const char *env = getenv("JOBCTL_INGEST_CRASH");
    size_t n = strlen(point);
    long want = 1;

    if (!env || strncmp(env, point, n) || (env[n] && env[n] != ':'))
        return;
    if (env[n] == ':')
        want = strtol(env + n + 1, NULL, 10);
    if (++hits >= want) {
        fprintf(stderr, "jobctl-bronze-ingest: crash point '%s' reached\n",
                point);
        fflush(stderr);
        raise(SIGKILL);
    }
}

void ingest_hold_point(void)
{
    const char *path = getenv("JOBCTL_INGEST_HOLD");
    char *waiting;
    FILE *f;
    int i;

    if (!path || !*path)
        return;
    waiting = ju_xasprintf("%s.waiting", path);
    f = fopen(waiting, "w");
    if (f)
        fclose(f);
    free(waiting);
    for (i = 0; i < 6000 && access(path, F_OK); i++)
        usleep(10000);
}

char *ingest_app_id(const struct ingest_state *st, int32_t partition)
{
    return ju_xasprintf("%s:%s:%d", st->opts.group, st->opts.topic,
                        (int)partition);
}

int ingest_open_tables(struct ingest_state *st)
{
    struct lake_schema bs, qs;
    char *bp = task_table_path(INGEST_BRONZE);
    char *qp = task_table_path(INGEST_QUARANTINE);
    char *lake = task_lake();
    static const char *const conf[] = {"delta.appendOnly", "true", NULL};
    int rc;

    rc = task_mkdirs(lake);
    free(lake);
    ingest_schemas(&bs, &qs);
    if (!rc)
        rc = lake_table_create_if_absent(&st->bronze, bp, &bs, NULL, 0, conf);
    if (!rc)
        rc = lake_table_create_if_absent(&st->quar, qp, &qs, NULL, 0, conf);
    lake_schema_release(&bs);
    lake_schema_release(&qs);
    free(bp);
    free(qp);
    return rc;
}

static int64_t txn_or(struct lake_table *t, const char *app, int64_t def)
{
    int64_t v;

    if (lake_table_txn_version(t, app, &v))
        return def;
    return v;
}

int ingest_load_offsets(struct ingest_state *st)
{
    size_t i;

    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        char *app = ingest_app_id(st, pt->id);
        pt->bronze_next = txn_or(st->bronze, app, 0);
        pt->quar_next = txn_or(st->quar, app, 0);
        free(app);
    }
    return 0;
}

/* Add one txn per partition that moved past the table's offset. */
static int set_txns(struct ingest_state *st, struct lake_txn *tx, int quar,
                    int *any)
{
    size_t i;
    int rc;

    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        int64_t have = quar ? pt->quar_next : pt->bronze_next;
        char *app;
        if (pt->consumed <= have && !pt->reset)
            continue;
        app = ingest_app_id(st, pt->id);
        rc = lake_txn_set_app_txn(tx, app, pt->consumed);
        free(app);
        if (rc)
            return rc;
        *any = 1;
    }
    return 0;
}

static void advance(struct ingest_state *st, int quar)
{
    size_t i;

    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        int64_t *have = quar ? &pt->quar_next : &pt->bronze_next;
        if (pt->consumed > *have)
            *have = pt->consumed;
    }
}

/* After JC_EEXIST (another writer committed our range): re-read offsets
 * and carry on from there; the rows of this batch are dropped. */
static int reload_after_conflict(struct ingest_state *st, struct lake_table *t,
                                 int quar)
{
    size_t i;
    int rc = lake_table_refresh(t);

    if (rc)
        return rc;
    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        char *app = ingest_app_id(st, pt->id);
        int64_t v = txn_or(t, app, 0);
        if (quar)
            pt->quar_next = v;
        else
            pt->bronze_next = v;
        free(app);
    }
    return 0;
}

static int commit_bronze(struct ingest_state *st)
{
    struct lake_txn *tx;
    int any = 0, rc;
    size_t i;
    int64_t v;

    rc = lake_txn_begin(st->bronze, &tx);
    if (rc)
        return rc;
    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        if (!pt->bronze_rows)
            continue;
        rc = lake_batch_seal(pt->bronze);
        if (!rc)
            rc = lake_txn_append(tx, pt->bronze);
        if (rc) {
            lake_txn_abort(tx);
            return rc;
        }
        any = 1;
    }
    rc = set_txns(st, tx, 0, &any);
    if (rc || !any) {
        lake_txn_abort(tx);
        return rc;
    }
    ingest_crash_point("before_commit");
    ingest_hold_point();
    rc = lake_txn_commit(tx, "STREAMING UPDATE", NULL, &v);
    if (rc == JC_EEXIST) {
        log_warn("bronze_events: offsets already committed by another "
                 "writer; batch dropped, reloading offsets");
        return reload_after_conflict(st, st->bronze, 0);
    }
    if (rc)
        return rc;
    st->bronze_version = v;
    advance(st, 0);
    return 0;
}

static int commit_quarantine(struct ingest_state *st, int final)
{
    struct lake_txn *tx;
    int any = 0, rc;
    int64_t v;
    int has_rows = st->quarantine && st->quarantine->columns[0].length;

    /* Without rows the offsets may lag (a restart re-reads and filters);
     * a txn-only commit every 16 batches and at the end catches up. */
    if (!has_rows && !final && st->n_batches % 16 != 15)
        return 0;
    rc = lake_txn_begin(st->quar, &tx);
    if (rc)
        return rc;
    if (has_rows) {
        rc = lake_batch_seal(st->quarantine);
        if (!rc)
            rc = lake_txn_append(tx, st->quarantine);
        if (rc) {
            lake_txn_abort(tx);
            return rc;
        }
        any = 1;
    }
    rc = set_txns(st, tx, 1, &any);
    if (rc || !any) {
        lake_txn_abort(tx);
        return rc;
    }
    rc = lake_txn_commit(tx, "STREAMING UPDATE", NULL, &v);
    if (rc == JC_EEXIST) {
        log_warn("bronze_quarantine: offsets already committed by another "
                 "writer; batch dropped, reloading offsets");
        return reload_after_conflict(st, st->quar, 1);
    }
    if (rc)
        return rc;
    st->quar_version = v;
    advance(st, 1);
    return 0;
}

int ingest_commit(struct ingest_state *st, int final)
{
    double t0 = task_mono();
    int64_t rows = st->batch_rows;
    int rc;

    rc = commit_bronze(st);
    if (rc)
        return jc_err_wrap(rc, "cannot commit to '%s'", INGEST_BRONZE);
    ingest_crash_point("between_commits");
    {
        int any_reset = 0;
        size_t i;
        for (i = 0; i < st->nparts; i++)
            any_reset |= st->parts[i].reset;
        rc = commit_quarantine(st, final || any_reset);
        if (rc)
            return jc_err_wrap(rc, "cannot commit to '%s'",
                               INGEST_QUARANTINE);
        for (i = 0; i < st->nparts; i++)
            st->parts[i].reset = 0;
    }
    st->n_batches++;
    ingest_batch_reset(st);
    log_debug("micro-batch %lld committed rows=%lld seconds=%.3f",
              (long long)st->n_batches, (long long)rows, task_mono() - t0);
    return 0;
}
