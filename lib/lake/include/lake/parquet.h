/*
 * parquet.h: read and write Apache Parquet files from/to lake_batch.
 * Writer: streaming (many batches), row groups cut by size, PLAIN +
 * RLE_DICTIONARY, SNAPPY/ZSTD/GZIP/none, nested struct/list/map, footer
 * statistics. Reader: file or memory, projection by top-level name, one row
 * group at a time. Not a query engine: no predicates beyond exposing stats.
 */
#ifndef JOBCTL_LAKE_PARQUET_H
#define JOBCTL_LAKE_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lake/column.h"

/* Values are the Parquet CompressionCodec numbers. */
enum lake_codec {
    LAKE_CODEC_UNCOMPRESSED = 0,
    LAKE_CODEC_SNAPPY = 1,
    LAKE_CODEC_GZIP = 2,
    LAKE_CODEC_ZSTD = 6
};

/* "uncompressed", "snappy", "gzip", "zstd"; parse returns JC_EINVAL. */
const char *lake_codec_name(enum lake_codec c);
int lake_codec_parse(enum lake_codec *out, const char *name);
/* Free the calling thread's ZSTD contexts (kept per thread between pages).
 * Threads that read or write Parquet call it before they exit. */
void lake_codec_thread_release(void);

struct lake_parquet_write_opts {
    enum lake_codec codec;
    int compression_level;   /* zstd/gzip level; 0 = codec default */
    bool dictionary;         /* try RLE_DICTIONARY, fall back to PLAIN */
    size_t row_group_bytes;  /* cut a row group when buffered data exceeds */
    size_t page_bytes;       /* target uncompressed data page size */
    size_t dictionary_bytes; /* fall back to PLAIN past this dict size */
    const char *created_by;  /* NULL = "jobctl version 0.1.0" */
    bool write_field_ids;    /* write lake_field.field_id when >= 0 */
    size_t row_group_rows;   /* also cut a row group after this many rows
                                (rounded up to 8192); 0 = no row limit */
};

#define LAKE_PARQUET_CREATED_BY "jobctl version 0.1.0"

#define LAKE_PARQUET_WRITE_OPTS_INIT                                           \
    {                                                                          \
        LAKE_CODEC_ZSTD, 0, true, (size_t)128 << 20, (size_t)1 << 20,          \
            (size_t)1 << 20, NULL, true, (size_t)1 << 17                       \
    }

/*
 * A typed scalar for statistics. Integer-like types (BOOLEAN..LONG, DATE,
 * TIMESTAMP*, DECIMAL p <= 18 unscaled) use i64, FLOAT/DOUBLE use f64,
 * DECIMAL p > 18 uses i128, STRING/BINARY use str/len (owned by the stats).
 */
struct lake_value {
    enum lake_type type;
    bool is_null;
    int64_t i64;
    double f64;
    lake_i128 i128;
    char *str;
    size_t len;
};

/*
 * Statistics of one leaf column (a primitive field, possibly inside
 * structs, lists or maps). path[] are the field names from the top level
 * down (list/map levels appear as the Delta field names: "element", "key",
 * "value"); dotted is the same joined with '.'.
 * has_min_max is false when all values are null or the type has no order
 * (BOOLEAN has min/max; BINARY has them too but Delta ignores them).
 * in_repeated: the leaf is inside an ARRAY or MAP (Delta skips those).
 */
struct lake_column_stats {
    char **path;
    size_t path_len;
    char *dotted;
    enum lake_type type;
    int precision;
    int scale;
    bool in_repeated;
    int64_t null_count; /* null leaf values (incl. null parents) */
    int64_t num_values; /* leaf entries incl. nulls */
    bool has_min_max;
    struct lake_value min;
    struct lake_value max;
};

/* What a finished file (or one row group) contains. */
struct lake_parquet_file_stats {
    uint64_t file_size; /* bytes on disk */
    int64_t num_rows;
    size_t num_row_groups;
    size_t n_columns; /* leaves in schema order (depth first) */
    struct lake_column_stats *columns;
    size_t n_top;            /* == schema.n_fields */
    int64_t *top_null_count; /* null entries per top-level field */
};

void lake_parquet_file_stats_release(struct lake_parquet_file_stats *s);
/* Stats of the leaf with this dotted path, or NULL. Borrowed. */
const struct lake_column_stats *
lake_parquet_file_stats_find(const struct lake_parquet_file_stats *s,
                             const char *dotted);

/* ------------------------------------------------------------ writer */

struct lake_parquet_writer;

/*
 * Create path (O_EXCL is not used: the Delta layer writes unique names) and
 * prepare to write schema. opts may be NULL for defaults.
 * Errors: JC_EIO (cannot create), JC_EINVAL (bad schema/options),
 * JC_EUNSUPPORTED (a type we cannot write).
 */
int lake_parquet_writer_open(struct lake_parquet_writer **out, const char *path,
                             const struct lake_schema *schema,
                             const struct lake_parquet_write_opts *opts);
/*
 * Append all rows of batch (schema must equal the writer's). The batch is
 * borrowed; its data is encoded before returning. A row group is flushed
 * whenever the buffered encoded size exceeds opts.row_group_bytes.
 */
int lake_parquet_writer_write(struct lake_parquet_writer *w,
                              const struct lake_batch *batch);
/* Add a key/value pair to the footer's key_value_metadata (copied). */
int lake_parquet_writer_set_kv(struct lake_parquet_writer *w, const char *key,
                               const char *value);
/*
 * Flush, write the footer, fsync and close the file, free w (always, even on
 * error). stats_out (may be NULL) receives file size, rows and per-leaf
 * statistics over the whole file; release it with
 * lake_parquet_file_stats_release.
 */
int lake_parquet_writer_close(struct lake_parquet_writer *w,
                              struct lake_parquet_file_stats *stats_out);
/* Abandon: close and unlink the partial file, free w. Accepts NULL. */
void lake_parquet_writer_abort(struct lake_parquet_writer *w);

/* One-shot helper: write batch to path. */
int lake_parquet_write_file(const char *path, const struct lake_batch *batch,
                            const struct lake_parquet_write_opts *opts,
                            struct lake_parquet_file_stats *stats_out);

/* ------------------------------------------------------------ reader */

struct lake_parquet_reader;

/* Caps on sizes taken from files. */
#define LAKE_PARQUET_MAX_FOOTER ((size_t)64 << 20)
#define LAKE_PARQUET_MAX_PAGE ((size_t)256 << 20) /* bytes, uncompressed */
#define LAKE_PARQUET_MAX_PAGE_VALUES ((size_t)64 << 20)
#define LAKE_PARQUET_MAX_COLUMNS 10000

/*
 * Open a file: reads and validates the footer and schema. Errors name the
 * file: JC_EIO, JC_EPARSE (malformed), JC_ETOOBIG (a size cap),
 * JC_EUNSUPPORTED (valid Parquet using a feature we do not read).
 */
int lake_parquet_reader_open(struct lake_parquet_reader **out,
                             const char *path);
/* Same over a memory buffer (borrowed: must outlive the reader); name is
 * used in error messages. */
int lake_parquet_reader_open_mem(struct lake_parquet_reader **out,
                                 const void *data, size_t len,
                                 const char *name);
void lake_parquet_reader_free(struct lake_parquet_reader *r);

/* Logical schema of the file (borrowed). */
const struct lake_schema *
lake_parquet_reader_schema(const struct lake_parquet_reader *r);
int64_t lake_parquet_reader_num_rows(const struct lake_parquet_reader *r);
size_t lake_parquet_reader_num_row_groups(const struct lake_parquet_reader *r);
int64_t lake_parquet_reader_row_group_rows(const struct lake_parquet_reader *r,
                                           size_t rg);
/* created_by string from the footer, or "" (borrowed). */
const char *lake_parquet_reader_created_by(const struct lake_parquet_reader *r);
/* Footer key_value_metadata value for key, or NULL (borrowed). */
const char *lake_parquet_reader_kv(const struct lake_parquet_reader *r,
                                   const char *key);

/*
 * Footer statistics of row group rg (per leaf, decoded to typed values when
 * the file has them; has_min_max false otherwise). Release with
 * lake_parquet_file_stats_release.
 */
int lake_parquet_reader_row_group_stats(const struct lake_parquet_reader *r,
                                        size_t rg,
                                        struct lake_parquet_file_stats *out);

/*
 * Projection: read only these top-level fields, in this order (names are
 * copied). names == NULL or n == 0 selects all. JC_ENOTFOUND for an unknown
 * name.
 */
int lake_parquet_reader_select(struct lake_parquet_reader *r,
                               const char *const *names, size_t n);
/* Schema of the projected batch (borrowed; changes after select). */
const struct lake_schema *
lake_parquet_reader_batch_schema(const struct lake_parquet_reader *r);

/* Decode row group rg into a new batch (caller frees). */
int lake_parquet_reader_read_row_group(struct lake_parquet_reader *r, size_t rg,
                                       struct lake_batch **out);
/* Decode row group rg appending to an existing batch of the projected
 * schema (reuse: lake_batch_reset it between calls). */
int lake_parquet_reader_read_row_group_into(struct lake_parquet_reader *r,
                                            size_t rg, struct lake_batch *b);
/* Decode all row groups into one new batch. */
int lake_parquet_reader_read_all(struct lake_parquet_reader *r,
                                 struct lake_batch **out);

/* One-shot helper: open, select (names may be NULL), read all, close. */
int lake_parquet_read_file(const char *path, const char *const *names, size_t n,
                           struct lake_batch **out);

#endif
