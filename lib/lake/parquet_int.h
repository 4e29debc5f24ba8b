/*
 * parquet_int.h: internals shared by the Parquet files of lib/lake:
 * footer/page-header structures (parquet_meta.c), the leaf layout that maps
 * lake fields to Parquet leaves with definition/repetition levels
 * (parquet_schema.c), level/value encodings (parquet_encode.c), codecs, and
 * the reader and writer state shared by parquet_read{,_page,_values}.c and
 * parquet_write{,_page,_stats}.c.
 * Not a public API: only parquet_*.c and codec.c include it.
 */
#ifndef JOBCTL_LAKE_PARQUET_INT_H
#define JOBCTL_LAKE_PARQUET_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lake/column.h"
#include "lake/parquet.h"
#include "util/buf.h"

enum pq_phys {
    PQ_BOOLEAN = 0,
    PQ_INT32 = 1,
    PQ_INT64 = 2,
    PQ_INT96 = 3,
    PQ_FLOAT = 4,
    PQ_DOUBLE = 5,
    PQ_BYTE_ARRAY = 6,
    PQ_FLBA = 7
};

enum pq_repetition { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };

enum pq_encoding {
    PQ_ENC_PLAIN = 0,
    PQ_ENC_PLAIN_DICTIONARY = 2,
    PQ_ENC_RLE = 3,
    PQ_ENC_BIT_PACKED = 4,
    PQ_ENC_DELTA_BINARY_PACKED = 5,
    PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
    PQ_ENC_DELTA_BYTE_ARRAY = 7,
    PQ_ENC_RLE_DICTIONARY = 8,
    PQ_ENC_BYTE_STREAM_SPLIT = 9
};

enum pq_page_type {
    PQ_PAGE_DATA = 0,
    PQ_PAGE_INDEX = 1,
    PQ_PAGE_DICTIONARY = 2,
    PQ_PAGE_DATA_V2 = 3
};

enum pq_converted {
    PQ_CT_NONE = -1,
    PQ_CT_UTF8 = 0,
    PQ_CT_MAP = 1,
    PQ_CT_MAP_KEY_VALUE = 2,
    PQ_CT_LIST = 3,
    PQ_CT_ENUM = 4,
    PQ_CT_DECIMAL = 5,
    PQ_CT_DATE = 6,
    PQ_CT_TIME_MILLIS = 7,
    PQ_CT_TIME_MICROS = 8,
    PQ_CT_TIMESTAMP_MILLIS = 9,
    PQ_CT_TIMESTAMP_MICROS = 10,
    PQ_CT_UINT_8 = 11,
    PQ_CT_UINT_16 = 12,
    PQ_CT_UINT_32 = 13,
    PQ_CT_UINT_64 = 14,
    PQ_CT_INT_8 = 15,
    PQ_CT_INT_16 = 16,
    PQ_CT_INT_32 = 17,
    PQ_CT_INT_64 = 18,
    PQ_CT_JSON = 19,
    PQ_CT_BSON = 20
};

/* LogicalType union member ids. */
enum pq_logical {
    PQ_LT_NONE = 0,
    PQ_LT_STRING = 1,
    PQ_LT_MAP = 2,
    PQ_LT_LIST = 3,
    PQ_LT_ENUM = 4,
    PQ_LT_DECIMAL = 5,
    PQ_LT_DATE = 6,
    PQ_LT_TIME = 7,
    PQ_LT_TIMESTAMP = 8,
    PQ_LT_INTEGER = 10,
    PQ_LT_UNKNOWN = 11,
    PQ_LT_JSON = 12,
    PQ_LT_BSON = 13,
    PQ_LT_UUID = 14
};

enum pq_time_unit { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

/* One SchemaElement. Strings point into the footer buffer copy. */
struct pq_selem {
    int type; /* -1 for groups */
    int32_t type_length;
    int repetition; /* -1 when absent (root) */
    char *name;
    int32_t num_children;
    int converted; /* PQ_CT_NONE when absent */
    int32_t scale;
    int32_t precision;
    int32_t field_id;
    bool has_field_id;
    int logical; /* enum pq_logical */
    int32_t l_scale;
    int32_t l_precision;
    int l_unit;
    bool l_utc;
    int l_bitwidth;
    bool l_signed;
};

struct pq_stats {
    const uint8_t *min;
    const uint8_t *max;
    size_t min_len;
    size_t max_len;
    bool has_min;
    bool has_max;
    bool legacy; /* from deprecated min/max fields */
    bool has_null_count;
    int64_t null_count;
};

struct pq_chunk {
    int type;
    int codec;
    int64_t num_values;
    int64_t total_uncompressed;
    int64_t total_compressed;
    int64_t data_page_offset;
    int64_t dictionary_page_offset;
    bool has_dict_offset;
    bool has_meta;
    struct pq_stats stats;
};

struct pq_rowgroup {
    size_t n_chunks;
    struct pq_chunk *chunks;
    int64_t num_rows;
};

struct pq_filemeta {
    int32_t version;
    size_t n_schema;
    struct pq_selem *schema;
    int64_t num_rows;
    size_t n_rg;
    struct pq_rowgroup *rgs;
    size_t n_kv;
    char **kv_keys;
    char **kv_vals;
    char *created_by;
};

struct pq_page_header {
    int type;
    int32_t uncompressed;
    int32_t compressed;
    int32_t num_values;
    int encoding;
    int32_t num_nulls;
    int32_t num_rows;
    int32_t def_len; /* v2 */
    int32_t rep_len; /* v2 */
    bool is_compressed;
    bool has_data;
    bool has_dict;
    bool has_v2;
};

/* parquet_meta.c */
int lake_parquet__meta_parse(struct pq_filemeta *m, const uint8_t *p, size_t n,
                             uint64_t origin);
void lake_parquet__meta_release(struct pq_filemeta *m);
int lake_parquet__page_header_parse(struct pq_page_header *h, const uint8_t *p,
                                    size_t n, uint64_t origin,
                                    size_t *consumed);

/* ---- layout: the path from a top-level lake field to one leaf ---- */

enum pq_node_kind { PQN_LEAF = 0, PQN_STRUCT = 1, PQN_LIST = 2 };

/* Value conversion from the physical type to the lake storage type. */
enum pq_conv {
    PQ_CONV_COPY = 0, /* same width, memcpy */
    PQ_CONV_BOOL,     /* bit-packed booleans */
    PQ_CONV_I32_I8,
    PQ_CONV_I32_I16,
    PQ_CONV_I32_I64,
    PQ_CONV_U32_I64,
    PQ_CONV_I32_I128,
    PQ_CONV_I64_I128,
    PQ_CONV_I64_MUL1000, /* millis -> micros */
    PQ_CONV_I64_DIV1000, /* nanos -> micros */
    PQ_CONV_INT96,       /* INT96 -> micros */
    PQ_CONV_BYTES,       /* BYTE_ARRAY/FLBA -> STRING/BINARY */
    PQ_CONV_BE_DEC64,    /* big-endian two's complement -> int64 */
    PQ_CONV_BE_DEC128    /* big-endian two's complement -> int128 */
};

struct pq_node {
    int kind;         /* enum pq_node_kind */
    int def_present;  /* def level at which this node is non-null */
    int def_nonempty; /* PQN_LIST: def level with >= 1 element */
    int rep;          /* PQN_LIST: repetition level of its elements */
    int child_index;  /* index of this node in its parent's children */
    bool nullable;
    bool is_map; /* PQN_LIST built from a MAP (key_value group) */
};

struct pq_leaf {
    size_t top;   /* top-level field index */
    size_t depth; /* number of nodes; nodes[depth-1] is the leaf */
    struct pq_node nodes[LAKE_NESTING_MAX + 1];
    size_t own_from; /* nodes[k] for k >= own_from are built by this leaf */
    int max_def;
    int max_rep;
    int start_node[LAKE_NESTING_MAX + 1]; /* per rep level r>0: node index */
    int phys;
    int32_t type_length;
    enum lake_type ltype;
    int precision;
    int scale;
    int conv;
    bool in_repeated;
    size_t path_len;
    char **path; /* Delta-style names: field, "element", "key", "value" */
    char *dotted;
};

struct pq_layout {
    size_t n_leaves;
    struct pq_leaf *leaves;
};

/* parquet_schema.c */
/* Lake schema -> leaves + Parquet schema elements (writer). */
int lake_parquet__layout_from_schema(struct pq_layout *lo,
                                     const struct lake_schema *s);
/* Emit FileMetaData.schema (list<SchemaElement>) for s. */
void lake_parquet__write_schema(struct ju_buf *b, const struct lake_schema *s,
                                bool field_ids);
size_t lake_parquet__count_schema_elems(const struct lake_schema *s);
/* Parquet schema elements -> lake schema + leaves (reader). */
int lake_parquet__layout_from_meta(struct pq_layout *lo,
                                   struct lake_schema *out,
                                   const struct pq_filemeta *m);
void lake_parquet__layout_release(struct pq_layout *lo);
/* Physical type and width for a lake leaf type when writing. */
int lake_parquet__phys_for(enum lake_type t, int precision,
                           int32_t *type_length);
int32_t lake_parquet__decimal_flba_len(int precision);

/* parquet_encode.c: RLE/bit-packed hybrid and friends */
int lake_parquet__bit_width(uint64_t max);
void lake_parquet__rle_encode_u8(struct ju_buf *b, const uint8_t *v, size_t n,
                                 int width);
void lake_parquet__rle_encode_u32(struct ju_buf *b, const uint32_t *v, size_t n,
                                  int width);
/* Decode exactly n values; JC_EPARSE if the stream is short or invalid.
 * *used = bytes consumed. Values >= limit are rejected (limit 0 = none). */
int lake_parquet__rle_decode_u8(const uint8_t *p, size_t len, int width,
                                uint8_t *out, size_t n, size_t *used);
int lake_parquet__rle_decode_u32(const uint8_t *p, size_t len, int width,
                                 uint32_t *out, size_t n, uint32_t limit,
                                 size_t *used);
/* DELTA_BINARY_PACKED into int64 (n values expected); *used bytes. */
int lake_parquet__delta_decode(const uint8_t *p, size_t len, int64_t *out,
                               size_t n, size_t *used);

/* codec.c */
bool lake_codec__supported(int codec);
int lake_codec__compress(int codec, int level, const void *in, size_t n,
                         struct ju_buf *out);
int lake_codec__decompress(int codec, const void *in, size_t n, void *out,
                           size_t out_n);

/* parquet_stats.c */
void lake_parquet__value_release(struct lake_value *v);
void lake_parquet__stats_copy(struct lake_column_stats *dst,
                              const struct lake_column_stats *src);
/* Decode PLAIN stats bytes of leaf into v (false if unusable). */
bool lake_parquet__stat_decode(struct lake_value *v, const struct pq_leaf *lf,
                               const uint8_t *p, size_t n);

/* ---- writer (parquet_write.c, parquet_write_page.c, parquet_write_stats.c) */

/* Statistics accumulator for one leaf. */
struct sacc {
    bool has;
    int64_t nulls;
    int64_t values;
    int64_t imin;
    int64_t imax;
    lake_i128 qmin;
    lake_i128 qmax;
    double fmin;
    double fmax;
    struct ju_buf smin;
    struct ju_buf smax;
    uint64_t pmin; /* bytes_prefix of smin, smax (parquet_write_stats.c) */
    uint64_t pmax;
};

struct bytes_ref {
    const char *p;
    size_t n;
};

struct chunk_meta {
    int64_t num_values;
    int64_t uncompressed;
    int64_t compressed;
    int64_t data_page_offset;
    int64_t dict_page_offset; /* -1 if none */
    bool enc_plain;
    bool enc_dict;
    struct sacc st;
};

struct rg_meta {
    int64_t num_rows;
    int64_t file_offset;
    int64_t total_bytes;
    int64_t total_compressed;
    struct chunk_meta *chunks; /* one per leaf */
};

struct wleaf {
    const struct pq_leaf *lf;
    int kind;     /* 0 fixed, 1 bytes, 2 boolean */
    size_t width; /* lake storage width (fixed) */
    size_t pw;    /* physical width (fixed), 0 for bytes */
    bool dict_ok; /* type allows a dictionary */
    bool use_dict;
    bool dict_full;    /* switched to PLAIN for the rest of the chunk */
    bool dict_decided; /* first page flushed: dictionary kept or dropped */
    bool dict_sampled; /* first DICT_SAMPLE values seen: kept or dropped */
    /* pending page */
    struct ju_buf rep;
    struct ju_buf def;
    struct ju_buf vals; /* PLAIN physical bytes (bools: one byte each) */
    uint32_t *idx;
    size_t n_idx;
    size_t cap_idx;
    size_t page_values;
    size_t page_nonnull;
    /* dictionary (per column chunk) */
    struct ju_buf dict_plain;
    size_t dict_n;
    uint32_t *slots;
    size_t slot_mask; /* slots has slot_mask + 1 entries; 0 = none */
    uint64_t *dkeys;  /* fixed: key per entry */
    uint32_t *doff;   /* bytes: offset of the entry's bytes in dict_plain */
    uint32_t *dlen;
    size_t dcap;
    /* chunk */
    struct ju_buf chunk; /* data pages with headers */
    size_t chunk_pages;
    struct chunk_meta cm;
    /* stats */
    struct sacc file_st;
    /* scratch */
    uint8_t *gather;
    size_t gather_cap;
    struct bytes_ref *refs;
    size_t refs_cap;
    size_t *pos;
    size_t pos_cap;
};

struct lake_parquet_writer {
    int fd;
    char *path;
    struct lake_schema schema;
    struct pq_layout lo;
    struct lake_parquet_write_opts opts;
    char *created_by;
    uint64_t file_pos;
    struct wleaf *leaves;
    int64_t rg_rows;
    int64_t total_rows;
    struct rg_meta *rgs;
    size_t n_rgs;
    int64_t *top_nulls;
    size_t n_kv;
    char **kv_keys;
    char **kv_vals;
    struct ju_buf page; /* uncompressed page body */
    struct ju_buf comp; /* compressed body */
    struct ju_buf hdr;  /* page header */
    struct ju_buf lvl;  /* encoded levels */
    int err;
};

/* parquet_write_page.c: per-leaf encoder */
void lake_parquet__wleaf_init(struct lake_parquet_writer *w, struct wleaf *wl,
                              const struct pq_leaf *lf);
void lake_parquet__wleaf_release(struct wleaf *wl);
/* Append rows [a, b) of the batch to leaf wl's pending page. */
int lake_parquet__leaf_add_rows(struct lake_parquet_writer *w, struct wleaf *wl,
                                const struct lake_batch *batch, size_t a,
                                size_t b);
/* Estimated encoded size of wl's pending page. */
size_t lake_parquet__pending_bytes(const struct wleaf *wl);
/* Encode, compress and append wl's pending page to its chunk buffer. */
int lake_parquet__flush_page(struct lake_parquet_writer *w, struct wleaf *wl);
void lake_parquet__dict_reset(struct wleaf *wl);
void lake_parquet__write_page_header(struct ju_buf *h, int type, size_t unc,
                                     size_t comp, size_t num_values,
                                     int encoding, bool dict);
/* Convert n lake-storage values to PLAIN physical bytes at dst. */
void lake_parquet__to_phys(const struct wleaf *wl, const void *src, size_t n,
                           uint8_t *dst);
void lake_parquet__put_u32le(uint8_t *p, uint32_t v);

/* parquet_write_stats.c: statistics accumulator */
void lake_parquet__sacc_release(struct sacc *s);
void lake_parquet__sacc_bytes(struct sacc *s, const char *p, size_t n);
void lake_parquet__sacc_merge(struct sacc *dst, const struct sacc *src,
                              int cat);
/* 0 integer-like, 1 int128, 2 float, 3 bytes */
int lake_parquet__stat_cat(const struct pq_leaf *lf);
/* Update stats from n contiguous lake-storage values. */
void lake_parquet__stats_fixed(struct sacc *s, const struct wleaf *wl,
                               const void *src, size_t n);
/* PLAIN footer bytes of the min (or max) of s. */
void lake_parquet__stat_bytes(const struct wleaf *wl, const struct sacc *s,
                              bool max, struct ju_buf *out);
void lake_parquet__fill_stats(struct lake_parquet_writer *w,
                              struct lake_parquet_file_stats *st);

/* ---- reader (parquet_read.c, parquet_read_page.c, parquet_read_values.c) */

struct lake_parquet_reader {
    char *name;
    const uint8_t *data;
    size_t size;
    bool mapped;
    size_t footer_start; /* first byte of FileMetaData */
    struct pq_filemeta meta;
    struct lake_schema schema;
    struct pq_layout lo;
    size_t n_sel;
    size_t *sel; /* top-level field index per batch column */
    struct lake_schema batch_schema;
    /* scratch */
    uint8_t *page;
    size_t page_cap;
    uint8_t *rep;
    uint8_t *def;
    uint8_t *mask;
    size_t lvl_cap;
    uint32_t *idx;
    size_t idx_cap;
    int64_t *i64;
    size_t i64_cap;
    uint8_t *raw;
    size_t raw_cap;
    struct lake_column dict;
    bool dict_valid;
};

/* parquet_read.c: errors name the file; scratch buffers grow by doubling */
__attribute__((format(printf, 3, 4))) int
lake_parquet__reader_err(const struct lake_parquet_reader *r, int code,
                         const char *fmt, ...);
#define RERR(r, code, ...) lake_parquet__reader_err((r), (code), __VA_ARGS__)
void *lake_parquet__scratch(void *p, size_t *cap, size_t need, size_t elem);

/* parquet_read_page.c: decode chunk li of row group rg into cols[] (the
 * column of each node of the leaf, cols[0] the top-level column). */
int lake_parquet__read_chunk(struct lake_parquet_reader *r, size_t rg,
                             size_t li, struct lake_column **cols);

/* parquet_read_values.c: n PLAIN values (dictionary pages use it too) */
int lake_parquet__decode_plain(struct lake_parquet_reader *r,
                               const struct pq_leaf *lf, struct lake_column *c,
                               const uint8_t *p, size_t len, size_t n);
/* n non-null values in encoding enc appended to c */
int lake_parquet__decode_values(struct lake_parquet_reader *r,
                                const struct pq_leaf *lf, struct lake_column *c,
                                int enc, const uint8_t *p, size_t len,
                                size_t n);

void lake_parquet__stats_describe_leaf(struct lake_column_stats *c,
                                       const struct pq_leaf *lf);

#endif
