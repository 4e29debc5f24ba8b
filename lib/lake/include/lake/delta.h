/*
 * delta.h: Delta Lake tables on a local filesystem: log replay (JSON
 * commits + Parquet checkpoints), snapshots with time travel, reads into
 * lake_batch, write transactions with put-if-absent commits and txn
 * (exactly-once) markers, OPTIMIZE/ZORDER, VACUUM and a consistency check.
 */
#ifndef JOBCTL_LAKE_DELTA_H
#define JOBCTL_LAKE_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "lake/column.h"

struct ju_buf; /* util/buf.h */

/* ---------------------------------------------------------------------
 * Snapshot: the replayed state of a table at one version. Read-only for
 * callers; owned by the lake_table it came from.
 * ------------------------------------------------------------------- */

/* One key/value pair (partition values, configuration, tags). value may
 * be NULL (a null partition value). */
struct lake_kv {
    char *key;
    char *value;
};

/* An active data file (an `add` that survived replay). */
struct lake_file {
    char *path;           /* as written in the log (URI-encoded) */
    struct lake_kv *part; /* partitionValues, in the log's order */
    size_t npart;
    int64_t size;              /* bytes */
    int64_t modification_time; /* ms since epoch */
    int data_change;
    char *stats;         /* the stats JSON string, or NULL */
    int64_t num_records; /* from stats; -1 when unknown */
    int has_dv;          /* carries a deletionVector */
};

/* A remove tombstone still in the snapshot. */
struct lake_tombstone {
    char *path;
    int64_t deletion_timestamp; /* ms; 0 when absent */
};

/* Latest txn per appId. */
struct lake_app_txn {
    char *app_id;
    int64_t version;
    int64_t last_updated; /* ms; 0 when absent */
};

struct lake_snapshot {
    int64_t version;
    int64_t timestamp_ms; /* commit time of `version` (file mtime) */
    int min_reader_version;
    int min_writer_version;
    char **reader_features; /* NULL-terminated list or NULL */
    char **writer_features;
    char *metadata_id;
    char *name;                 /* metaData.name or NULL */
    char *schema_string;        /* raw metaData.schemaString (JSON) */
    struct lake_schema *schema; /* parsed schema (partition columns included) */
    char **partition_cols;      /* in metaData order */
    size_t npartition_cols;
    struct lake_kv *config; /* metaData.configuration */
    size_t nconfig;
    int64_t created_time;    /* ms; 0 when absent */
    struct lake_file *files; /* active files, sorted by path */
    size_t nfiles;
    struct lake_tombstone *tombstones;
    size_t ntombstones;
    struct lake_app_txn *txns;
    size_t ntxns;
    int64_t checkpoint_version; /* checkpoint replay started from; -1 none */
    int checkpoint_parts;       /* 1 classic, >1 multi-part, 0 none */
    int64_t commits_replayed;   /* JSON commit files read */
};

/* ---------------------------------------------------------------------
 * Tables
 * ------------------------------------------------------------------- */

struct lake_table; /* opaque: path + the snapshot it was opened at */

/* Resolve a table argument: a path containing '/' is used as is; a bare
 * name is the table of that name under the lake root ($JOBCTL_HOME/lake,
 * JOBCTL_HOME default "./.jobctl"), unless no such table exists and a
 * directory of that name exists in the working directory. Caller frees. */
char *lake_table_resolve(const char *name_or_path);
/* The lake root directory ($JOBCTL_HOME/lake). Caller frees. */
char *lake_root_dir(void);

/* Open the latest snapshot. JC_ENOTFOUND "not a Delta table",
 * JC_EUNSUPPORTED for reader features we do not implement (the message
 * names them), JC_EPARSE for a malformed log (message names the file). */
int lake_table_open(struct lake_table **out, const char *path);
/* Time travel to a version, or to the latest version committed at or
 * before timestamp_ms (commit times = commit file mtimes, made strictly
 * increasing, as Spark does). */
int lake_table_open_version(struct lake_table **out, const char *path,
                            int64_t version);
int lake_table_open_timestamp(struct lake_table **out, const char *path,
                              int64_t timestamp_ms);
/* Open the table, creating version 0 (protocol 1/2 + metaData, no files)
 * if no log exists yet. A racing creator is fine: whoever loses reopens
 * the winner's table. schema lists every column, partition columns
 * included. config: NULL or a NULL-terminated list k1, v1, k2, v2, ...
 * (e.g. "delta.checkpointInterval", "10"). An existing table is opened
 * as is (schema not compared). */
int lake_table_create_if_absent(struct lake_table **out, const char *path,
                                const struct lake_schema *schema,
                                const char *const *partition_cols,
                                size_t npartition_cols,
                                const char *const *config);
/* Advance to the newest version: only commits after the current one are
 * read (a newer checkpoint means a full load); no new commit = no work.
 * The snapshot pointer from lake_table_snapshot() is invalidated when the
 * version changes. */
int lake_table_refresh(struct lake_table *t);
void lake_table_close(struct lake_table *t);

const char *lake_table_path(const struct lake_table *t);
const struct lake_snapshot *lake_table_snapshot(const struct lake_table *t);
int64_t lake_table_version(const struct lake_table *t);
const struct lake_schema *lake_table_schema(const struct lake_table *t);
/* Latest txn version recorded for app_id: 0 and *version set, or
 * JC_ENOTFOUND (never committed). */
int lake_table_txn_version(const struct lake_table *t, const char *app_id,
                           int64_t *version);
/* Configuration value or NULL. */
const char *lake_table_config(const struct lake_table *t, const char *key);

/* ---------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------- */

enum lake_pred_op {
    LAKE_PRED_EQ,
    LAKE_PRED_LT,
    LAKE_PRED_LE,
    LAKE_PRED_GT,
    LAKE_PRED_GE,
    LAKE_PRED_IS_NULL,
    LAKE_PRED_NOT_NULL
};

enum lake_pred_kind {
    LAKE_PV_INT,    /* integers; date = days; timestamp = micros UTC */
    LAKE_PV_DOUBLE, /* float/double/decimal (compared approximately,
                       skipping stays conservative) */
    LAKE_PV_STRING  /* strings (bytewise) */
};

/* "column op value". Used only to skip whole files (partition values
 * and min/max/nullCount stats); rows of files that are read are NOT
 * filtered, so callers re-check their predicate on each row. */
struct lake_pred {
    const char *column;
    enum lake_pred_op op;
    enum lake_pred_kind kind;
    int64_t i;
    double d;
    const char *s;
};

struct lake_scan_opts {
    const char *const *columns; /* projection (schema names); NULL = all */
    size_t ncolumns;
    const struct lake_pred *preds; /* ANDed; NULL/0 = none */
    size_t npreds;
};

struct lake_scan_stats {
    size_t files_total;   /* active files in the snapshot */
    size_t files_skipped; /* ruled out by partition values / stats */
    size_t files_read;
    int64_t rows_read;
};

/* True when `file` might hold rows matching all preds (partition values
 * first, then stats). Exposed for the SQL layer and tests. */
int lake_file_may_match(const struct lake_table *t, const struct lake_file *f,
                        const struct lake_pred *preds, size_t npreds);

/* Called once per data file read; batch has the projected columns in
 * schema order (partition columns filled from the log; columns missing
 * from an older file are null). The callback borrows batch (freed after
 * it returns). Return non-zero to stop; that value is returned. */
typedef int (*lake_scan_cb)(void *ud, const struct lake_file *file,
                            struct lake_batch *batch);
int lake_table_scan(struct lake_table *t, const struct lake_scan_opts *opts,
                    lake_scan_cb cb, void *ud, struct lake_scan_stats *st);
/* Read one file of the snapshot into *out (caller frees with
 * lake_batch_free). opts: projection only (preds ignored). */
int lake_table_read_file(struct lake_table *t, const struct lake_file *f,
                         const struct lake_scan_opts *opts,
                         struct lake_batch **out);
/* Changes feed for incremental consumers: every file added with
 * dataChange=true by commits in (from_version, current version], in
 * version order. Fails with JC_ENOTFOUND when a needed commit file was
 * cleaned up. */
int lake_table_scan_changes(struct lake_table *t, int64_t from_version,
                            const struct lake_scan_opts *opts, lake_scan_cb cb,
                            void *ud, struct lake_scan_stats *st);

/* ---------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------- */

struct lake_txn; /* opaque */

/* Start a transaction reading the table's current snapshot. */
int lake_txn_begin(struct lake_table *t, struct lake_txn **out);
/* Write batch as new data files (one per partition value combination,
 * Hive-style directories with Spark escaping; partition columns are
 * not stored in the files). batch columns are matched to the table
 * schema by name; all schema columns must be present. Files are written
 * and fsync'ed now; they become visible only at commit. */
int lake_txn_append(struct lake_txn *tx, const struct lake_batch *batch);
/* lake_txn_append of several batches at once: their files (one per batch
 * and partition value combination) are written on up to one thread per
 * CPU; all or none are added. */
int lake_txn_append_batches(struct lake_txn *tx,
                            const struct lake_batch *const *batches, size_t n);
/* Parquet codec for files this transaction writes: "snappy" (default, or
 * the table's jobctl.parquet.codec property), "zstd", "gzip",
 * "uncompressed". JC_EINVAL for other names. */
int lake_txn_set_codec(struct lake_txn *tx, const char *codec);
/* Dictionary encoding for files this transaction writes (default on, or
 * the table's jobctl.parquet.dictionary property "true"/"false"). Off
 * saves the dictionary attempt on high-cardinality data. */
void lake_txn_set_dictionary(struct lake_txn *tx, int on);
/* Record txn(app_id, version) in the commit (exactly-once marker). */
int lake_txn_set_app_txn(struct lake_txn *tx, const char *app_id,
                         int64_t version);
/* Remove every file of the read snapshot (overwrite when combined with
 * appends). */
int lake_txn_remove_all(struct lake_txn *tx);
/* Remove one active file of the read snapshot (dataChange=true), e.g. to
 * rewrite only the files holding rows being replaced. f must come from
 * lake_table_snapshot() of the transaction's table (copied). A concurrent
 * commit that removed the same file makes the commit fail with
 * JC_ECONFLICT. */
int lake_txn_remove_file(struct lake_txn *tx, const struct lake_file *f);
/* Commit: put-if-absent of _delta_log/<v>.json (link(2), fallback
 * renameat2 RENAME_NOREPLACE / O_EXCL), fsync. On a lost race the log is
 * re-read: blind appends (no removes) retry at the next version; any
 * removes of ours that the winner also touched, or a metadata/protocol
 * change -> JC_ECONFLICT. If a newer commit already recorded one of our
 * app txns with version >= ours, returns JC_EEXIST ("already
 * committed": nothing written, data files deleted). operation defaults
 * to "WRITE"; operation_parameters is a JSON object text (NULL = derived
 * from the transaction: mode Append/Overwrite). On success the table is
 * refreshed to the new version, *version_out (if non-NULL) set, and a
 * checkpoint written when version % delta.checkpointInterval (default
 * 10) == 0. tx is always freed; on failure written files are deleted. */
int lake_txn_commit(struct lake_txn *tx, const char *operation,
                    const char *operation_parameters, int64_t *version_out);
/* Drop the transaction and delete files it wrote. */
void lake_txn_abort(struct lake_txn *tx);

/* Convenience: one-shot append (mode "append") or overwrite. */
int lake_table_append(struct lake_table *t, const struct lake_batch *batch,
                      int overwrite, int64_t *version_out);

/* ---------------------------------------------------------------------
 * History, maintenance
 * ------------------------------------------------------------------- */

struct lake_history_entry {
    int64_t version;
    int64_t timestamp_ms; /* commit file mtime (monotonic-adjusted) */
    char *operation;      /* commitInfo.operation or NULL */
    char *commit_info;    /* compact JSON of commitInfo or NULL */
};

/* Newest first; limit 0 = all available versions. */
int lake_table_history(struct lake_table *t, size_t limit,
                       struct lake_history_entry **out, size_t *n);
void lake_history_free(struct lake_history_entry *h, size_t n);

/* Write <v>.checkpoint.parquet for the current version +
 * _last_checkpoint. */
int lake_table_checkpoint(struct lake_table *t);

struct lake_optimize_result {
    int64_t version; /* new version, or -1 if nothing to do */
    size_t files_removed;
    size_t files_added;
    int64_t bytes_removed;
    int64_t bytes_added;
};
/* Bin-pack small files (fewer than target_rows rows) per partition when a
 * partition has two or more; with zorder_cols, rewrite every
 * file of each partition ordered by the Z-order (interleaved per-column
 * rank bits) and cut into files of target_rows rows (0 = default
 * 100000). Commit with dataChange=false. */
int lake_table_optimize(struct lake_table *t, const char *const *zorder_cols,
                        size_t nzorder, int64_t target_rows,
                        struct lake_optimize_result *res);

struct lake_vacuum_result {
    char **files; /* relative paths deleted (or to delete if dry_run) */
    size_t nfiles;
    int64_t bytes;
};
/* Delete files under the table not referenced by the current snapshot
 * and older than retain_hours (< 0: the table's
 * delta.deletedFileRetentionDuration, default 168). Retention below
 * 168 hours is refused (JC_EINVAL) unless force. */
int lake_table_vacuum(struct lake_table *t, double retain_hours, int dry_run,
                      int force, struct lake_vacuum_result *res);
void lake_vacuum_result_free(struct lake_vacuum_result *res);

/* Check the log and every active file (exists, size matches, Parquet
 * row count == numRecords, partition columns absent from the file).
 * Appends one line per finding to report. Returns 0 when clean,
 * JC_ERR when problems were found. */
int lake_table_check(struct lake_table *t, struct ju_buf *report);

/* ---------------------------------------------------------------------
 * Helpers (also used by the CLI and SQL layer)
 * ------------------------------------------------------------------- */

/* Delta schemaString <-> lake_schema. */
int lake_delta_schema_parse(const char *schema_string,
                            struct lake_schema **out);
char *lake_delta_schema_string(const struct lake_schema *schema);
/* Hive directory escaping of a partition value (Spark's rule) and URI
 * encoding/decoding of log paths. Caller frees. */
char *lake_delta_hive_escape(const char *value);
char *lake_delta_uri_encode(const char *path);
char *lake_delta_uri_decode(const char *path);
/* Parse partition-value / stats text: "YYYY-MM-DD[ T]HH:MM:SS[.f][Z|+hh:mm]"
 * (zone-less = UTC) to micros; "YYYY-MM-DD" to days; decimal text (also
 * "0E-10") to an unscaled value at scale. 0 or JC_EPARSE. */
int lake_delta_parse_timestamp(const char *s, int64_t *micros);
int lake_delta_parse_date(const char *s, int32_t *days);
int lake_delta_parse_decimal(const char *s, int scale, lake_i128 *out);

#endif
