/*
 * ingest.h: internal interface of jobctl-bronze-ingest: options, the
 * per-partition state, the micro-batch buffers (batch.c), the Delta
 * offsets and commits on a writer thread (offsets.c) and the Kafka
 * consumer loop (consume.c). Two micro-batch sets alternate: the consumer
 * fills one while the writer commits the other.
 */
#ifndef JOBCTL_INGEST_INGEST_H
#define JOBCTL_INGEST_INGEST_H

#include <pthread.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "lake/column.h"
#include "lake/delta.h"
#include "parse.h"

#define INGEST_BRONZE "bronze_events"
#define INGEST_QUARANTINE "bronze_quarantine"

struct ingest_opts {
    int continuous;
    long batch_size;    /* rows per micro-batch */
    long linger_ms;     /* max wait before a partial micro-batch commits */
    long max_batches;   /* continuous: stop after this many (0 = never) */
    double max_seconds; /* continuous: stop after this long (0 = never) */
    const char *topic;
    const char *group; /* appId prefix */
    char *cluster;     /* Kafka cluster id (part of the appId) */
    const char *codec; /* Parquet codec, NULL = the table's default */
    int dictionary;    /* Parquet dictionary encoding for bronze files */
};

/* One topic-partition being consumed. */
struct ingest_part {
    int32_t id;
    /* Owned by the writer thread once consumption starts: */
    int64_t bronze_next; /* next offset bronze_events still needs */
    int64_t quar_next;   /* next offset bronze_quarantine still needs */
    int reset;           /* topic recreated: offsets restart below ours */
    /* Owned by the consumer thread: */
    int64_t skip_bronze; /* offsets below are already in bronze_events */
    int64_t skip_quar;   /* ... already in bronze_quarantine */
    int64_t start;       /* offset assigned at start */
    int64_t high;        /* available-now: high watermark at start */
    int64_t consumed;    /* next offset after the last message seen */
    int64_t flushed;     /* consumed as of the last hand-off */
    int done;            /* available-now: reached high */
};

/* One micro-batch: valid rows of every partition (one bronze file per
 * micro-batch, not one per partition: fewer, bigger files for readers
 * and one fsync), quarantined rows, offsets. */
struct ingest_set {
    struct lake_batch *bronze; /* NULL until a row arrives */
    int64_t bronze_rows;
    struct lake_batch *quarantine;
    int64_t *consumed; /* [nparts] next offset after this set */
    int64_t rows;
    int64_t ingest_time;
    int final;
};

struct ingest_state {
    struct ingest_opts opts;
    size_t topic_len; /* strlen(opts.topic) */
    struct ingest_part *parts;
    size_t nparts;
    struct lake_table *bronze;
    struct lake_table *quar;
    struct ingest_set sets[2];
    struct ingest_set *cur; /* being filled by the consumer */
    int64_t n_flushed;      /* hand-offs by the consumer */
    /* writer thread */
    pthread_t writer;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct ingest_set *pending; /* handed over, not yet taken */
    int busy, quit, writer_rc;
    double t_flush_wait, t_writer; /* seconds, for the debug log */
    char writer_err[512];
    /* totals */
    int64_t n_valid, n_invalid, n_skipped, n_batches;
    int64_t bronze_version, quar_version;
    struct ingest_scratch scratch;
};

/* batch.c */
void ingest_schemas(struct lake_schema *bronze, struct lake_schema *quar);
void ingest_set_init(struct ingest_set *set, size_t nparts);
void ingest_set_release(struct ingest_set *set, size_t nparts);
void ingest_set_reset(struct ingest_set *set, size_t nparts);
void ingest_batch_add(struct ingest_state *st, size_t pi,
                      const rd_kafka_message_t *m);

/* offsets.c */
char *ingest_app_id(const struct ingest_state *st, int32_t partition);
int ingest_open_tables(struct ingest_state *st);
int ingest_load_offsets(struct ingest_state *st);
/* Start / stop the writer thread. */
void ingest_writer_start(struct ingest_state *st);
/* Wait for the writer to finish, stop it; returns its error (message
 * re-set in the calling thread). */
int ingest_writer_stop(struct ingest_state *st);
/* Hand the filled set to the writer (waits while it is busy with the
 * previous one) and continue with the other set. final: the last set
 * (also commits a txn-only quarantine commit when its offsets lag). */
int ingest_flush(struct ingest_state *st, int final);
/* Test hook: JOBCTL_INGEST_CRASH=<point>[:<n>] kills the process with
 * SIGKILL the n-th time (default 1st) it reaches point. */
void ingest_crash_point(const char *point);
/* Test hook: JOBCTL_INGEST_HOLD=<path>: before the bronze commit, create
 * <path>.waiting and wait (up to 60 s) until <path> exists. */
void ingest_hold_point(void);

/* consume.c */
int ingest_run(struct ingest_state *st, rd_kafka_t *rk);

#endif
