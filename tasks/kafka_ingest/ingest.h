/*
 * ingest.h: internal interface of jobctl-bronze-ingest: options, the
 * per-partition state, the micro-batch buffers (batch.c), the Delta
 * offsets and commits (offsets.c) and the Kafka consumer loop (consume.c).
 */
#ifndef JOBCTL_INGEST_INGEST_H
#define JOBCTL_INGEST_INGEST_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "lake/column.h"
#include "lake/delta.h"
#include "parse.h"

#define INGEST_BRONZE "bronze_events"
#define INGEST_QUARANTINE "bronze_quarantine"

struct ingest_opts {
    int continuous;
    long batch_size;  /* rows per micro-batch */
    long linger_ms;   /* max wait before a partial micro-batch commits */
    long max_batches; /* continuous: stop after this many (0 = never) */
    double max_seconds; /* continuous: stop after this long (0 = never) */
    const char *topic;
    const char *group; /* appId prefix */
};

/* One topic-partition being consumed. */
struct ingest_part {
    int32_t id;
    int64_t bronze_next; /* next offset bronze_events still needs */
    int64_t quar_next;   /* next offset bronze_quarantine still needs */
    int64_t start;       /* offset assigned at start */
    int64_t high;        /* available-now: high watermark at start */
    int64_t consumed;    /* next offset after the last message seen */
    int done;            /* available-now: reached high */
    int reset;           /* topic recreated: offsets restart below ours */
    struct lake_batch *bronze; /* rows of this partition in the batch */
    size_t bronze_rows;
};

struct ingest_state {
    struct ingest_opts opts;
    struct ingest_part *parts;
    size_t nparts;
    struct lake_table *bronze;
    struct lake_table *quar;
    struct lake_batch *quarantine; /* all partitions */
    int64_t batch_rows;            /* rows in the open micro-batch */
    int64_t ingest_time;           /* micros, per micro-batch */
    /* totals */
    int64_t n_valid, n_invalid, n_skipped, n_batches;
    int64_t bronze_version, quar_version;
    struct ingest_scratch scratch;
};

/* batch.c */
void ingest_schemas(struct lake_schema *bronze, struct lake_schema *quar);
void ingest_batch_add(struct ingest_state *st, struct ingest_part *pt,
                      const rd_kafka_message_t *m);
void ingest_batch_reset(struct ingest_state *st);

/* offsets.c */
char *ingest_app_id(const struct ingest_state *st, int32_t partition);
int ingest_open_tables(struct ingest_state *st);
int ingest_load_offsets(struct ingest_state *st);
/* Commit the open micro-batch (bronze, then quarantine). final: also
 * commit a txn-only quarantine commit when its offsets lag. */
int ingest_commit(struct ingest_state *st, int final);
/* Test hook: JOBCTL_INGEST_CRASH=<point>[:<n>] kills the process with
 * SIGKILL the n-th time (default 1st) it reaches point. */
void ingest_crash_point(const char *point);
/* Test hook: JOBCTL_INGEST_HOLD=<path>: before the bronze commit, create
 * <path>.waiting and wait (up to 60 s) until <path> exists. */
void ingest_hold_point(void);

/* consume.c */
int ingest_run(struct ingest_state *st, rd_kafka_t *rk);

#endif
