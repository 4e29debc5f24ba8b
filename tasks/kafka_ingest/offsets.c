/*
 * offsets.c: Kafka offsets kept inside the Delta tables. Each table
 * carries txn(appId "<group>:<topic>:<partition>", version = next offset)
 * in the same commit as the rows, so data and offsets move together; on
 * restart each table resumes from its own offsets. The commits run on a
 * writer thread while the consumer fills the next micro-batch.
 */
#include "ingest.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
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

/* "<group>:<cluster id>:<topic>:<partition>": offsets belong to one
 * cluster; a new cluster (e.g. a restarted embedded broker, whose topic
 * starts again at offset 0) starts from its beginning. */
char *ingest_app_id(const struct ingest_state *st, int32_t partition)
{
    return ju_xasprintf("%s:%s:%s:%d", st->opts.group, st->opts.cluster,
                        st->opts.topic, (int)partition);
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
        pt->bronze_next = pt->skip_bronze = txn_or(st->bronze, app, 0);
        pt->quar_next = pt->skip_quar = txn_or(st->quar, app, 0);
        free(app);
    }
    return 0;
}

/* Add one txn per partition that moved past the table's offset. */
static int set_txns(struct ingest_state *st, const struct ingest_set *set,
                    struct lake_txn *tx, int quar, int *any)
{
    size_t i;
    int rc;

    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        int64_t have = quar ? pt->quar_next : pt->bronze_next;
        char *app;
        if (set->consumed[i] <= have && !pt->reset)
            continue;
        app = ingest_app_id(st, pt->id);
        rc = lake_txn_set_app_txn(tx, app, set->consumed[i]);
        free(app);
        if (rc)
            return rc;
        *any = 1;
    }
    return 0;
}

static void advance(struct ingest_state *st, const struct ingest_set *set,
                    int quar)
{
    size_t i;

    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        int64_t *have = quar ? &pt->quar_next : &pt->bronze_next;
        if (set->consumed[i] > *have || pt->reset)
            *have = set->consumed[i];
    }
}

static int replay_rejected(const char *table)
{
    return jc_err_set(JC_ECONFLICT,
                      "'%s': offsets already committed by another writer "
                      "(replay rejected by the txn check); stopping, a "
                      "re-run resumes from the committed offsets",
                      table);
}

static int commit_bronze(struct ingest_state *st, struct ingest_set *set)
{
    struct lake_txn *tx;
    int any = 0, rc;
    int64_t v;

    rc = lake_txn_begin(st->bronze, &tx);
    if (rc)
        return rc;
    if (st->opts.codec && (rc = lake_txn_set_codec(tx, st->opts.codec))) {
        lake_txn_abort(tx);
        return rc;
    }
    lake_txn_set_dictionary(tx, st->opts.dictionary);
    if (set->bronze_rows) {
        rc = lake_batch_seal(set->bronze);
        if (!rc)
            rc = lake_txn_append(tx, set->bronze);
        if (rc) {
            lake_txn_abort(tx);
            return rc;
        }
        any = 1;
    }
    rc = set_txns(st, set, tx, 0, &any);
    if (rc || !any) {
        lake_txn_abort(tx);
        return rc;
    }
    ingest_crash_point("before_commit");
    ingest_hold_point();
    rc = lake_txn_commit(tx, "STREAMING UPDATE", NULL, &v);
    if (rc == JC_EEXIST)
        return replay_rejected(INGEST_BRONZE);
    if (rc)
        return rc;
    st->bronze_version = v;
    advance(st, set, 0);
    return 0;
}

static int commit_quarantine(struct ingest_state *st, struct ingest_set *set,
                             int final)
{
    struct lake_txn *tx;
    int any = 0, rc;
    int64_t v;
    int has_rows = set->quarantine && set->quarantine->columns[0].length;

    /* Without rows the offsets may lag (a restart re-reads and filters);
     * a txn-only commit every 16 batches and at the end catches up. */
    if (!has_rows && !final && st->n_batches % 16 != 15)
        return 0;
    rc = lake_txn_begin(st->quar, &tx);
    if (rc)
        return rc;
    if (has_rows) {
        rc = lake_batch_seal(set->quarantine);
        if (!rc)
            rc = lake_txn_append(tx, set->quarantine);
        if (rc) {
            lake_txn_abort(tx);
            return rc;
        }
        any = 1;
    }
    rc = set_txns(st, set, tx, 1, &any);
    if (rc || !any) {
        lake_txn_abort(tx);
        return rc;
    }
    rc = lake_txn_commit(tx, "STREAMING UPDATE", NULL, &v);
    if (rc == JC_EEXIST)
        return replay_rejected(INGEST_QUARANTINE);
    if (rc)
        return rc;
    st->quar_version = v;
    advance(st, set, 1);
    return 0;
}

/* Commit one set (bronze, then quarantine). Runs on the writer thread. */
static int commit_set(struct ingest_state *st, struct ingest_set *set)
{
    double t0 = task_mono();
    int any_reset = 0, rc;
    size_t i;

    rc = commit_bronze(st, set);
    if (rc)
        return jc_err_wrap(rc, "cannot commit to '%s'", INGEST_BRONZE);
    ingest_crash_point("between_commits");
    for (i = 0; i < st->nparts; i++)
        any_reset |= st->parts[i].reset;
    rc = commit_quarantine(st, set, set->final || any_reset);
    if (rc)
        return jc_err_wrap(rc, "cannot commit to '%s'", INGEST_QUARANTINE);
    for (i = 0; i < st->nparts; i++)
        st->parts[i].reset = 0;
    st->n_batches++;
    log_debug("micro-batch %lld committed rows=%lld seconds=%.3f",
              (long long)st->n_batches, (long long)set->rows, task_mono() - t0);
    return 0;
}

static void *writer_main(void *arg)
{
    struct ingest_state *st = arg;

    pthread_mutex_lock(&st->mu);
    for (;;) {
        struct ingest_set *set;
        int rc;

        while (!st->pending && !st->quit)
            pthread_cond_wait(&st->cv, &st->mu);
        if (!st->pending)
            break;
        set = st->pending;
        st->pending = NULL;
        st->busy = 1;
        pthread_mutex_unlock(&st->mu);
        st->t_writer -= task_mono();
        rc = st->writer_rc ? st->writer_rc : commit_set(st, set);
        st->t_writer += task_mono();
        pthread_mutex_lock(&st->mu);
        if (rc && !st->writer_rc) {
            st->writer_rc = rc;
            snprintf(st->writer_err, sizeof(st->writer_err), "%s",
                     jc_err_last());
        }
        st->busy = 0;
        pthread_cond_broadcast(&st->cv);
    }
    pthread_mutex_unlock(&st->mu);
    lake_codec_thread_release();
    return NULL;
}

void ingest_writer_start(struct ingest_state *st)
{
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cv, NULL);
    ingest_set_init(&st->sets[0], st->nparts);
    ingest_set_init(&st->sets[1], st->nparts);
    st->cur = &st->sets[0];
    st->cur->ingest_time = task_now_us();
    if (pthread_create(&st->writer, NULL, writer_main, st))
        JC_BUG("cannot start the writer thread");
}

int ingest_flush(struct ingest_state *st, int final)
{
    struct ingest_set *set = st->cur;
    size_t i;
    int rc;

    for (i = 0; i < st->nparts; i++) {
        set->consumed[i] = st->parts[i].consumed;
        st->parts[i].flushed = st->parts[i].consumed;
    }
    set->final = final;
    st->t_flush_wait -= task_mono();
    pthread_mutex_lock(&st->mu);
    while (st->pending || st->busy)
        pthread_cond_wait(&st->cv, &st->mu);
    st->t_flush_wait += task_mono();
    rc = st->writer_rc;
    if (!rc) {
        st->pending = set;
        pthread_cond_broadcast(&st->cv);
    }
    pthread_mutex_unlock(&st->mu);
    if (rc)
        return jc_err_set(rc, "%s", st->writer_err);
    st->n_flushed++;
    /* The other set is idle: the writer finished it before taking this. */
    st->cur = set == &st->sets[0] ? &st->sets[1] : &st->sets[0];
    ingest_set_reset(st->cur, st->nparts);
    st->cur->ingest_time = task_now_us();
    return 0;
}

int ingest_writer_stop(struct ingest_state *st)
{
    int rc;

    pthread_mutex_lock(&st->mu);
    while (st->pending || st->busy)
        pthread_cond_wait(&st->cv, &st->mu);
    st->quit = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->writer, NULL);
    rc = st->writer_rc;
    if (rc)
        jc_err_set(rc, "%s", st->writer_err);
    ingest_set_release(&st->sets[0], st->nparts);
    ingest_set_release(&st->sets[1], st->nparts);
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cv);
    return rc;
}
