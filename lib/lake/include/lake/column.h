/*
 * column.h: the in-memory columnar format shared by every lake layer
 * (Parquet, Delta, pipeline tasks, gold, SQL). Arrow-like: a schema of
 * typed fields, one struct lake_column per field holding a validity array,
 * a fixed-width values array or offsets + bytes, and children for nesting.
 * Not a query engine: it only stores, appends and reads values.
 */
#ifndef JOBCTL_LAKE_COLUMN_H
#define JOBCTL_LAKE_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/buf.h"

/*
 * Delta/Spark logical types. Storage of each in struct lake_column.values:
 *   BOOLEAN          uint8_t (0/1)
 *   BYTE             int8_t
 *   SHORT            int16_t
 *   INTEGER, DATE    int32_t (DATE = days since 1970-01-01)
 *   LONG             int64_t
 *   TIMESTAMP        int64_t microseconds since 1970-01-01T00:00:00Z
 *   TIMESTAMP_NTZ    int64_t microseconds, no zone
 *   FLOAT / DOUBLE   float / double
 *   DECIMAL(p,s)     unscaled int64_t when p <= 18, else 16-byte
 *                    __int128 (native endian) when p <= 38
 *   STRING, BINARY   offsets[length + 1] (int64_t) into data
 *   STRUCT           no values; children[i] per field, same length
 *   ARRAY            offsets[length + 1] into children[0] ("element")
 *   MAP              offsets[length + 1] into children[0] ("key") and
 *                    children[1] ("value"), which have equal lengths
 */
enum lake_type {
    LAKE_TYPE_BOOLEAN = 0,
    LAKE_TYPE_BYTE,
    LAKE_TYPE_SHORT,
    LAKE_TYPE_INTEGER,
    LAKE_TYPE_LONG,
    LAKE_TYPE_FLOAT,
    LAKE_TYPE_DOUBLE,
    LAKE_TYPE_STRING,
    LAKE_TYPE_BINARY,
    LAKE_TYPE_DATE,
    LAKE_TYPE_TIMESTAMP,
    LAKE_TYPE_TIMESTAMP_NTZ,
    LAKE_TYPE_DECIMAL,
    LAKE_TYPE_STRUCT,
    LAKE_TYPE_ARRAY,
    LAKE_TYPE_MAP,
    LAKE_TYPE_COUNT_ /* keep last */
};

#define LAKE_DECIMAL_MAX_PRECISION 38
#define LAKE_DECIMAL64_MAX_PRECISION 18

/*
 * The one scalar typedef (STYLE allows none but _cb): a signed 128-bit
 * integer for DECIMAL(p > 18), spelled so that -pedantic accepts it.
 */
__extension__ typedef __int128 lake_i128;
#define LAKE_NESTING_MAX 32 /* cap on schema depth (input from files) */

/*
 * One field of a schema. STRUCT has n_children fields; ARRAY has exactly one
 * child named "element" (its nullable = containsNull); MAP has two children
 * "key" (not nullable) and "value" (nullable = valueContainsNull).
 * field_id is the Parquet field_id / Delta column-mapping id, -1 if none.
 */
struct lake_field {
    char *name;
    enum lake_type type;
    int precision; /* DECIMAL only */
    int scale;     /* DECIMAL only */
    bool nullable;
    int32_t field_id;
    size_t n_children;
    struct lake_field *children;
};

/* A schema is the list of top-level fields (an implicit root struct). */
struct lake_schema {
    size_t n_fields;
    struct lake_field *fields;
};

#define LAKE_SCHEMA_INIT                                                       \
    {                                                                          \
        0, NULL                                                                \
    }

/* Name used in Delta schemaString ("integer", "decimal", "struct", ...). */
const char *lake_type_name(enum lake_type t);
/* Bytes per value in lake_column.values; 0 for var-length and nested. */
size_t lake_type_width(enum lake_type t, int precision);
bool lake_type_is_nested(enum lake_type t);

/* Field constructors: fill *f (caller-owned); name is copied. */
void lake_field_init(struct lake_field *f, const char *name,
                     enum lake_type type, bool nullable);
void lake_field_init_decimal(struct lake_field *f, const char *name,
                             int precision, int scale, bool nullable);
/* Append a copy of child to f->children (for STRUCT/ARRAY/MAP). Returns
 * the stored child so that it can be filled further. */
struct lake_field *lake_field_add_child(struct lake_field *f,
                                        const struct lake_field *child);
/* ARRAY of element type (element nullable = contains_null). */
void lake_field_init_array(struct lake_field *f, const char *name,
                           const struct lake_field *element, bool nullable);
/* MAP key -> value; the key is forced non-nullable. */
void lake_field_init_map(struct lake_field *f, const char *name,
                         const struct lake_field *key,
                         const struct lake_field *value, bool nullable);
void lake_field_copy(struct lake_field *dst, const struct lake_field *src);
void lake_field_release(struct lake_field *f);
bool lake_field_equal(const struct lake_field *a, const struct lake_field *b);

void lake_schema_init(struct lake_schema *s);
/* Append a copy of f; returns the stored field. */
struct lake_field *lake_schema_add(struct lake_schema *s,
                                   const struct lake_field *f);
/* Append a field built in place by the helper (name copied). */
struct lake_field *lake_schema_add_simple(struct lake_schema *s,
                                          const char *name, enum lake_type type,
                                          bool nullable);
void lake_schema_copy(struct lake_schema *dst, const struct lake_schema *src);
void lake_schema_release(struct lake_schema *s);
struct lake_schema *lake_schema_new(void);
void lake_schema_free(struct lake_schema *s);
/* Index of the top-level field named name, or -1. */
int lake_schema_find(const struct lake_schema *s, const char *name);
bool lake_schema_equal(const struct lake_schema *a,
                       const struct lake_schema *b);
/* Human-readable one-line form, e.g. "id: long, s: struct<x: double>". */
int lake_schema_format(struct ju_buf *out, const struct lake_schema *s);

/*
 * A column of values. Validity is one byte per entry (1 = valid, 0 = null)
 * and valid == NULL means "no nulls so far" (allocated on the first null).
 * Byte-per-entry was chosen over a bitmap because appends and level
 * encoding/decoding then need no bit twiddling.
 *
 * For fixed-width types values holds `length` elements; a null entry still
 * occupies a slot (contents zero). For STRING/BINARY/ARRAY/MAP, offsets
 * holds length + 1 entries (offsets[0] == 0); a null entry has an empty
 * range. For STRUCT, every child has the same length as the parent and a
 * null struct entry has null/zero entries in its children.
 * All buffers are owned by the column.
 */
struct lake_column {
    enum lake_type type;
    int precision;
    int scale;
    size_t length;     /* number of entries */
    size_t null_count; /* number of entries with valid[i] == 0 */
    size_t cap;        /* entries allocated in valid/values/offsets */
    uint8_t *valid;    /* NULL = all valid */
    void *values;      /* fixed-width storage (see enum lake_type) */
    size_t width;      /* bytes per element in values; 0 if none */
    int64_t *offsets;  /* var-length and ARRAY/MAP: cap + 1 entries */
    char *data;        /* STRING/BINARY bytes */
    size_t data_len;
    size_t data_cap;
    size_t n_children;
    struct lake_column *children;
};

/* A set of equal-length columns with their schema (owned copy). */
struct lake_batch {
    struct lake_schema schema;
    size_t num_rows;
    size_t n_columns; /* == schema.n_fields */
    struct lake_column *columns;
};

/* Set up a column (and its children) for field f; empty. */
void lake_column_init(struct lake_column *c, const struct lake_field *f);
void lake_column_release(struct lake_column *c);
/* Drop all entries, keep memory (for reuse). */
void lake_column_reset(struct lake_column *c);
/* Make room for n more entries (values/offsets/valid as needed). */
void lake_column_reserve(struct lake_column *c, size_t n);
/* Make room for n more bytes of string/binary data. */
void lake_column_reserve_data(struct lake_column *c, size_t n);

/* New batch with no rows for schema (copied). Free with lake_batch_free. */
struct lake_batch *lake_batch_new(const struct lake_schema *schema);
void lake_batch_free(struct lake_batch *b);
/* Drop all rows, keep schema and memory. */
void lake_batch_reset(struct lake_batch *b);
/* Column for top-level field name, or NULL. Borrowed. */
struct lake_column *lake_batch_column(struct lake_batch *b, const char *name);
/*
 * After appending rows column by column, set num_rows from the columns.
 * Fails with JC_EINVAL (message names the column) if the top-level columns
 * or struct children differ in length.
 */
int lake_batch_seal(struct lake_batch *b);

/* ---- appends (inline: the hot path for writers of millions of rows) ---- */

void lake_column__grow(struct lake_column *c, size_t need);
void lake_column__grow_data(struct lake_column *c, size_t need);
void lake_column__make_valid(struct lake_column *c);

static inline void lake_column__ensure(struct lake_column *c)
{
    if (c->length >= c->cap)
        lake_column__grow(c, c->length + 1);
}

static inline void lake_column__mark_valid(struct lake_column *c)
{
    if (c->valid)
        c->valid[c->length] = 1;
}

#define LAKE__APPEND_FIXED(name, ctype)                                        \
    static inline void lake_batch_append_##name(struct lake_column *c,         \
                                                ctype v)                       \
    {                                                                          \
        lake_column__ensure(c);                                                \
        lake_column__mark_valid(c);                                            \
        ((ctype *)c->values)[c->length++] = v;                                 \
    }

/* Each helper requires the column's storage type to match (see lake_type). */
LAKE__APPEND_FIXED(bool, uint8_t)
LAKE__APPEND_FIXED(i8, int8_t)
LAKE__APPEND_FIXED(i16, int16_t)
LAKE__APPEND_FIXED(i32, int32_t)
LAKE__APPEND_FIXED(i64, int64_t)
LAKE__APPEND_FIXED(f32, float)
LAKE__APPEND_FIXED(f64, double)
#undef LAKE__APPEND_FIXED

/* DECIMAL with precision > 18 (16-byte storage). */
static inline void lake_batch_append_i128(struct lake_column *c, lake_i128 v)
{
    lake_column__ensure(c);
    lake_column__mark_valid(c);
    memcpy((char *)c->values + c->length * 16, &v, 16);
    c->length++;
}

/* STRING or BINARY: copies n bytes from p. */
static inline void lake_batch_append_str(struct lake_column *c, const void *p,
                                         size_t n)
{
    lake_column__ensure(c);
    if (c->data_len + n > c->data_cap)
        lake_column__grow_data(c, c->data_len + n);
    lake_column__mark_valid(c);
    if (n)
        memcpy(c->data + c->data_len, p, n);
    c->data_len += n;
    c->offsets[++c->length] = (int64_t)c->data_len;
}

/*
 * ARRAY/MAP: append one non-null entry made of the child entries appended
 * since the previous entry (append the elements / keys+values first, then
 * call this).
 */
static inline void lake_batch_end_list(struct lake_column *c)
{
    lake_column__ensure(c);
    lake_column__mark_valid(c);
    c->offsets[c->length + 1] = (int64_t)c->children[0].length;
    c->length++;
}

/* STRUCT: append one non-null entry; append one entry to every child too. */
static inline void lake_batch_append_struct(struct lake_column *c)
{
    lake_column__ensure(c);
    lake_column__mark_valid(c);
    c->length++;
}

/*
 * Append a null entry to any column. For STRUCT this also appends a null
 * entry to every child (recursively), so do not append to children.
 */
void lake_batch_append_null(struct lake_column *c);
/* Append n nulls (fast path for all-null columns). */
void lake_batch_append_nulls(struct lake_column *c, size_t n);

/* ---- row-wise access (tests, CLI, SQL; not for hot loops) ---- */

static inline bool lake_column_is_null(const struct lake_column *c, size_t i)
{
    return c->valid && !c->valid[i];
}
/* Integer-like value widened to int64 (BOOLEAN..LONG, DATE, TIMESTAMP*,
 * DECIMAL p <= 18 unscaled). 0 for null or other types. */
int64_t lake_column_get_i64(const struct lake_column *c, size_t i);
/* Numeric value as double (decimals scaled). */
double lake_column_get_f64(const struct lake_column *c, size_t i);
/* DECIMAL unscaled value at any precision. */
lake_i128 lake_column_get_i128(const struct lake_column *c, size_t i);
/* STRING/BINARY bytes (borrowed, not NUL-terminated); *n = length. */
const char *lake_column_get_str(const struct lake_column *c, size_t i,
                                size_t *n);
/* ARRAY/MAP: child range [*begin, *end) of entry i. */
void lake_column_get_range(const struct lake_column *c, size_t i, size_t *begin,
                           size_t *end);

/*
 * Append entry i as compact JSON using the golden value_encoding of
 * testdata/delta/README.md: integers as numbers, float shortest round-trip,
 * NaN/Infinity as strings, decimal as string with exactly `scale` digits,
 * binary lower-case hex, date "YYYY-MM-DD", timestamp
 * "YYYY-MM-DDTHH:MM:SS.ffffffZ", struct as object, array as list, map as
 * list of [key, value] sorted by the key's JSON text, null as null.
 * A column does not know its field names, so struct entries are keyed
 * "0", "1", ... here; lake_batch_format_row_json uses the real names.
 */
int lake_column_format_json(struct ju_buf *out, const struct lake_column *c,
                            size_t i);
/* Row r of the batch as a JSON object in field order. */
int lake_batch_format_row_json(struct ju_buf *out, const struct lake_batch *b,
                               size_t r);

/* Text helpers shared with Delta stats and partition values. */
/* "YYYY-MM-DD" for days since epoch; out needs 16 bytes. */
void lake_format_date(char *out, size_t n, int32_t days);
/* "YYYY-MM-DDTHH:MM:SS.ffffffZ"; out needs 40 bytes. */
void lake_format_timestamp(char *out, size_t n, int64_t micros);
/* Unscaled decimal with scale fraction digits ("-12.340"); out >= 48. */
void lake_format_decimal(char *out, size_t n, lake_i128 v, int scale);
/* Days since epoch for a civil date (proleptic Gregorian). */
int64_t lake_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
