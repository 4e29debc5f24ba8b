/*
 * consume.c: the Kafka side of jobctl-bronze-ingest: manual assignment at
 * the offsets stored in the tables, batch consumption from the consumer
 * queue, micro-batch flushing (size or linger), and the available-now
 * stop condition (every partition at its high watermark seen at start).
 */
#include "ingest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

#define CONSUME_BATCH 4096

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
    (void)sig;
    got_signal = 1;
    stop_requested = 1;
}

static struct ingest_part *find_part(struct ingest_state *st, int32_t id)
{
    /* Partitions are dense 0..n-1 in practice; fall back to a search. */
    if (id >= 0 && (size_t)id < st->nparts && st->parts[id].id == id)
        return &st->parts[id];
    for (size_t i = 0; i < st->nparts; i++)
        if (st->parts[i].id == id)
            return &st->parts[i];
    return NULL;
}

static int all_done(const struct ingest_state *st)
{
    for (size_t i = 0; i < st->nparts; i++)
        if (!st->parts[i].done)
            return 0;
    return 1;
}

static int pending_offsets(const struct ingest_state *st)
{
    for (size_t i = 0; i < st->nparts; i++)
        if (st->parts[i].consumed > st->parts[i].flushed)
            return 1;
    return 0;
}

/* Smallest micro-batch of the shrinking tail (see batch_limit). */
#define TAIL_MIN_ROWS 65536

/*
 * Rows in the micro-batch being started. --available-now knows what is
 * left (high watermarks): the last batch is written after consumption
 * ends, so instead of a full batch the tail halves (each batch half of
 * what is left, down to TAIL_MIN_ROWS), and the writer commits each tail
 * batch while the consumer reads the next one. --continuous: batch_size.
 */
static int64_t batch_limit(const struct ingest_state *st)
{
    int64_t left = 0, lim = st->opts.batch_size;
    size_t i;

    if (st->opts.continuous || lim <= TAIL_MIN_ROWS)
        return lim;
    for (i = 0; i < st->nparts; i++)
        if (!st->parts[i].done && st->parts[i].high > st->parts[i].consumed)
            left += st->parts[i].high - st->parts[i].consumed;
    if (left / 2 < lim)
        lim = left / 2 > TAIL_MIN_ROWS ? left / 2 : TAIL_MIN_ROWS;
    return lim;
}

static void mark_done(struct ingest_state *st, rd_kafka_t *rk,
                      struct ingest_part *pt)
{
    (void)st;
    (void)rk;
    pt->done = 1;
}

int ingest_run(struct ingest_state *st, rd_kafka_t *rk)
{
    rd_kafka_topic_partition_list_t *assign;
    rd_kafka_queue_t *q;
    rd_kafka_message_t **msgs;
    rd_kafka_resp_err_t err;
    double batch_start, run_start = task_mono(), t_wait = 0;
    int64_t limit;
    size_t i;
    int rc = 0, nassigned = 0;

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    assign = rd_kafka_topic_partition_list_new((int)st->nparts);
    for (i = 0; i < st->nparts; i++) {
        struct ingest_part *pt = &st->parts[i];
        int64_t lo = 0, hi = 0;
        pt->start =
            pt->bronze_next < pt->quar_next ? pt->bronze_next : pt->quar_next;
        pt->consumed = pt->flushed = pt->start;
        err = rd_kafka_query_watermark_offsets(rk, st->opts.topic, pt->id, &lo,
                                               &hi, 10000);
        if (err) {
            rd_kafka_topic_partition_list_destroy(assign);
            return jc_err_set(
                JC_EBUSY, "cannot read watermarks of '%s' [%d]: %s",
                st->opts.topic, (int)pt->id, rd_kafka_err2str(err));
        }
        if (pt->start > hi) {
            /* The topic is younger than our offsets (an embedded broker
             * restarted, or the topic was recreated): start over. */
            log_warn("partition %d: committed offset %lld is past the end "
                     "of the topic (%lld); the topic was recreated, "
                     "consuming it from the beginning",
                     (int)pt->id, (long long)pt->start, (long long)hi);
            pt->start = pt->consumed = pt->flushed = lo;
            pt->bronze_next = pt->quar_next = lo;
            pt->skip_bronze = pt->skip_quar = lo;
            pt->reset = 1;
        }
        log_debug("partition %d: bronze_next=%lld quarantine_next=%lld "
                  "low=%lld high=%lld",
                  (int)pt->id, (long long)pt->bronze_next,
                  (long long)pt->quar_next, (long long)lo, (long long)hi);
        if (!st->opts.continuous) {
            pt->high = hi;
            if (pt->start < lo) {
                log_warn("partition %d: offsets %lld..%lld are no longer in "
                         "the topic (retention); resuming at %lld",
                         (int)pt->id, (long long)pt->start, (long long)lo - 1,
                         (long long)lo);
            }
            if (pt->start >= hi && !pt->reset) {
                pt->done = 1;
                continue;
            }
        }
        rd_kafka_topic_partition_list_add(assign, st->opts.topic, pt->id)
            ->offset = pt->start;
        nassigned++;
    }
    ingest_writer_start(st);
    if (!nassigned) {
        int wrc;
        rd_kafka_topic_partition_list_destroy(assign);
        rc = ingest_flush(st, 1);
        wrc = ingest_writer_stop(st);
        return rc ? rc : wrc;
    }
    err = rd_kafka_assign(rk, assign);
    rd_kafka_topic_partition_list_destroy(assign);
    if (err) {
        ingest_writer_stop(st);
        return jc_err_set(JC_EBUSY, "cannot assign partitions: %s",
                          rd_kafka_err2str(err));
    }
    q = rd_kafka_queue_get_consumer(rk);
    msgs = ju_xcalloc(CONSUME_BATCH, sizeof(*msgs));
    batch_start = task_mono();
    limit = batch_limit(st);
    while (!stop_requested) {
        ssize_t n, k;
        int timeout = 100;

        if (!st->opts.continuous && all_done(st))
            break;
        t_wait -= task_mono();
        n = rd_kafka_consume_batch_queue(q, timeout, msgs, CONSUME_BATCH);
        t_wait += task_mono();
        if (n < 0) {
            rc = jc_err_set(JC_EIO, "consume failed: %s",
                            rd_kafka_err2str(rd_kafka_last_error()));
            break;
        }
        if (n > 0)
            ingest_crash_point("consume");
        for (k = 0; k < n; k++) {
            rd_kafka_message_t *m = msgs[k];
            struct ingest_part *pt = find_part(st, m->partition);
            if (m->err) {
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                    if (pt && !st->opts.continuous && m->offset >= pt->high)
                        mark_done(st, rk, pt);
                } else if (m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
                           m->err ==
                               RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
                    rc = jc_err_set(JC_EINVAL, "topic '%s': %s", st->opts.topic,
                                    rd_kafka_err2str(m->err));
                } else {
                    log_warn("kafka: %s", rd_kafka_err2str(m->err));
                }
                rd_kafka_message_destroy(m);
                continue;
            }
            if (!pt || m->offset < pt->consumed) {
                /* Not ours, or a replay of something already consumed. */
                if (pt && m->offset < pt->consumed)
                    st->n_skipped++;
                rd_kafka_message_destroy(m);
                continue;
            }
            ingest_batch_add(st, (size_t)(pt - st->parts), m);
            pt->consumed = m->offset + 1;
            if (!st->opts.continuous && pt->consumed >= pt->high)
                mark_done(st, rk, pt);
            rd_kafka_message_destroy(m);
            if (st->cur->rows >= limit) {
                rc = ingest_flush(st, 0);
                if (rc)
                    break;
                batch_start = task_mono();
                limit = batch_limit(st);
                if (st->opts.max_batches > 0 &&
                    st->n_flushed >= st->opts.max_batches) {
                    stop_requested = 1;
                    break;
                }
            }
        }
        for (k++; k < n; k++) /* messages left after an error or a stop */
            rd_kafka_message_destroy(msgs[k]);
        if (rc || stop_requested)
            break;
        if (st->opts.continuous && pending_offsets(st) &&
            (task_mono() - batch_start) * 1000 >= (double)st->opts.linger_ms) {
            rc = ingest_flush(st, 0);
            if (rc)
                break;
            batch_start = task_mono();
            limit = batch_limit(st);
            if (st->opts.max_batches > 0 &&
                st->n_flushed >= st->opts.max_batches)
                break;
        }
        if (st->opts.continuous && st->opts.max_seconds > 0 &&
            task_mono() - run_start > st->opts.max_seconds &&
            !pending_offsets(st))
            break;
    }
    if (!rc)
        rc = ingest_flush(st, 1);
    if (!rc && got_signal && !st->opts.continuous && !all_done(st))
        rc = jc_err_set(JC_EBUSY, "interrupted before the end of the topic "
                                  "(what was read is committed; a re-run "
                                  "resumes)");
    {
        int wrc = ingest_writer_stop(st);
        if (!rc)
            rc = wrc;
    }
    log_debug("consume wait seconds=%.3f flush wait=%.3f writer busy=%.3f "
              "total=%.3f",
              t_wait, st->t_flush_wait, st->t_writer, task_mono() - run_start);
    free(msgs);
    rd_kafka_queue_destroy(q);
    rd_kafka_assign(rk, NULL);
    return rc;
}
