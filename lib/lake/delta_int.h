/*
 * delta_int.h: internals shared by the delta_*.c, fs_ops.c and table*.c
 * files of lib/lake (log listing, replay state, path escaping, file
 * system primitives). Not a public header.
 */
#ifndef JOBCTL_LAKE_DELTA_INT_H
#define JOBCTL_LAKE_DELTA_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "lake/column.h"
#include "lake/delta.h"

#define LAKE_DELTA_ENGINE "jobctl/0.1.0"
#define LAKE_DELTA_COMMIT_CAP ((size_t)256 << 20) /* one commit file */
#define LAKE_DELTA_LINE_CAP ((size_t)64 << 20)    /* one action line */
#define LAKE_DELTA_MAX_VERSION ((int64_t)99999999999999999LL)
#define LAKE_DELTA_DEFAULT_CKPT_INTERVAL 10
#define LAKE_DELTA_DEFAULT_RETENTION_HOURS 168.0

struct lake_table {
    char *path;    /* table root, no trailing '/' */
    char *log_dir; /* path/_delta_log */
    struct lake_snapshot *snap;
};

/* ---- fs_ops.c ---- */
int lake_fs_mkdirs(const char *path);
int lake_fs_fsync_dir(const char *dir);
/* Read a whole file (cap bytes max); *out NUL-terminated, caller frees. */
int lake_fs_read_file(const char *path, size_t cap, char **out, size_t *len);
/* Create `path` with data only if it does not exist: JC_EEXIST if it
 * does. Atomic: readers see nothing or the whole file. */
int lake_fs_put_if_absent(const char *path, const void *data, size_t n);
/* Replace `path` atomically (temp + rename) with data, fsync'ed. */
int lake_fs_write_replace(const char *path, const void *data, size_t n);
void lake_fs_uuid4(char out[37]);
int64_t lake_fs_now_ms(void);
/* mtime of a file in ms; JC_ENOTFOUND when missing. */
int lake_fs_mtime_ms(const char *path, int64_t *ms);

/* ---- delta_path.c ---- */
/* Deep copy of n partition values (NULL-terminated array) and its free. */
struct lake_kv *lake_delta__kv_copy(const struct lake_kv *kv, size_t n);
void lake_delta__kv_free(struct lake_kv *kv, size_t n);
/* Text of a partition value for column c at row i (NULL for null). */
char *lake_delta__part_value_text(const struct lake_column *c, size_t i);
/* Append the value text of a partition string to column c (typed). */
int lake_delta__append_part_value(struct lake_column *c,
                                  const struct lake_field *f, const char *text);
/* Parse "YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+hh:mm]" to micros UTC. */
int lake_delta__parse_timestamp(const char *s, int64_t *micros);
int lake_delta__parse_date(const char *s, int32_t *days);
/* Parse a decimal text into an unscaled value at `scale`. */
int lake_delta__parse_decimal(const char *s, int scale, lake_i128 *out);

/* ---- delta_log.c ---- */
struct lake_log_listing {
    int64_t *commits; /* sorted versions with a commit file */
    size_t ncommits;
    struct lake_log_ckpt {
        int64_t version;
        int parts; /* 1 = classic */
        int have;  /* parts found (complete when have == parts) */
    } * ckpts;
    size_t nckpts;
};
int lake_log_list(const char *log_dir, struct lake_log_listing *out);
void lake_log_listing_release(struct lake_log_listing *l);
char *lake_log_commit_path(const char *log_dir, int64_t version);
char *lake_log_ckpt_path(const char *log_dir, int64_t version, int part,
                         int parts);
int lake_log_has_commit(const struct lake_log_listing *l, int64_t v);

/* ---- replay: delta_replay.c, delta_checkpoint_rows.c, delta_snapshot.c */
struct lake_replay; /* opaque replay state */
struct lake_replay *lake_replay_new(void);
void lake_replay_free(struct lake_replay *r);
/* Apply one parsed action object ({"add": {...}} etc.). where names
 * the source for messages ("file:line"). */
int lake_replay_apply(struct lake_replay *r, json_t *action, const char *where);
/* Parse a commit file's text and apply every line. name for messages. */
int lake_replay_commit_text(struct lake_replay *r, const char *name,
                            const char *data, size_t len);
/* Apply checkpoint rows from a batch with columns add/remove/metaData/
 * protocol/txn/domainMetadata (any subset). */
int lake_replay_checkpoint_batch(struct lake_replay *r,
                                 const struct lake_batch *b, const char *name);
/* Turn the state into a snapshot (checks protocol support unless
 * no_protocol_check). */
int lake_replay_finish(struct lake_replay *r, int64_t version,
                       struct lake_snapshot **out);
void lake_snapshot_free(struct lake_snapshot *s);
/* Load a snapshot at version (-1 latest) from a table directory. */
int lake_snapshot_load(const char *path, int64_t version,
                       struct lake_snapshot **out);
/* Newer snapshot from base by applying only the commits after it (or a
 * full load when a newer checkpoint exists). *out NULL: unchanged. */
int lake_snapshot_advance(const char *path, const struct lake_snapshot *base,
                          struct lake_snapshot **out);
/* Check protocol/features; JC_EUNSUPPORTED naming the feature. */
int lake_snapshot_check_reader(const struct lake_snapshot *s);
int lake_snapshot_check_writer(const struct lake_snapshot *s);
/* Commit timestamps (ms) for versions 0..latest available, monotone. */
int lake_log_version_times(const char *log_dir,
                           const struct lake_log_listing *l, int64_t **times,
                           int64_t **versions, size_t *n);

/* ---- delta_checkpoint.c ---- */
int lake_ckpt_read(struct lake_replay *r, const char *log_dir, int64_t version,
                   int parts);
int lake_ckpt_write(const char *log_dir, const struct lake_snapshot *s);

/* ---- delta_vacuum.c ---- */
/* delta.deletedFileRetentionDuration in hours (default 168). */
double lake_delta__retention_hours(const struct lake_snapshot *s);

/* ---- delta_stats.c ---- */
struct lake_parquet_file_stats;
/* Build the add.stats JSON of a data file from the Parquet writer's
 * statistics; schema = the file's (data column) schema. */
char *lake_delta__stats_from_parquet(const struct lake_schema *schema,
                                     const struct lake_parquet_file_stats *st,
                                     int num_indexed);

/* ---- delta_commit.c (internal transaction hooks for OPTIMIZE) ---- */
/* Write batch (data columns only, already one partition) as one file in
 * the partition given by part; records an add with data_change. */
int lake_txn__write_file(struct lake_txn *tx, const struct lake_batch *data,
                         const struct lake_kv *part, size_t npart,
                         int data_change);
/* Record a remove of an active file. */
void lake_txn__remove_file(struct lake_txn *tx, const struct lake_file *f,
                           int data_change);
/* Isolation level / blind-append flag written to commitInfo. */
void lake_txn__set_optimize(struct lake_txn *tx);
/* Files/bytes added (add=1) or removed (add=0) so far. */
size_t lake_txn__nfiles(const struct lake_txn *tx, int add);
int64_t lake_txn__bytes(const struct lake_txn *tx, int add);
/* Copy row i of src to the end of dst (same type). */
void lake_column__copy_row(struct lake_column *dst,
                           const struct lake_column *src, size_t i);

/* ---- table_read.c ---- */
int lake_table__read_path(const struct lake_table *t, const struct lake_file *f,
                          const struct lake_scan_opts *opts,
                          struct lake_batch **out);

/* ---- delta_replay.c: shared with delta_snapshot.c and
 * delta_checkpoint_rows.c ---- */
/* Record the checkpoint the state was started from. */
void lake_replay_set_checkpoint(struct lake_replay *r, int64_t v, int parts);
/* Insert an add (key = path, no deletion vector) whose fields are already
 * allocated; takes ownership of nf's contents. */
void lake_replay_insert_add(struct lake_replay *r, struct lake_file *nf);
/* Replay state equal to snapshot s, or NULL when s has a file with a
 * deletion vector (its identity is not kept: replay fully). */
struct lake_replay *lake_replay_from_snapshot(const struct lake_snapshot *s);
/* Free a NULL-terminated string vector (NULL is fine). */
void lake_delta__strv_free(char **v);
/* Free the fields of f and zero it. */
void lake_delta__file_release(struct lake_file *f);

#endif
