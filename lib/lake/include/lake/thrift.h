/*
 * thrift.h: a minimal Thrift compact protocol reader and writer, enough for
 * Parquet footers and page headers. The reader never reads past its end,
 * caps nesting and list sizes and reports the byte offset of any problem;
 * the writer appends to a ju_buf. No IDL, no generated code.
 */
#ifndef JOBCTL_LAKE_THRIFT_H
#define JOBCTL_LAKE_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum lake_thrift_type {
    LAKE_THRIFT_STOP = 0,
    LAKE_THRIFT_TRUE = 1,
    LAKE_THRIFT_FALSE = 2,
    LAKE_THRIFT_I8 = 3,
    LAKE_THRIFT_I16 = 4,
    LAKE_THRIFT_I32 = 5,
    LAKE_THRIFT_I64 = 6,
    LAKE_THRIFT_DOUBLE = 7,
    LAKE_THRIFT_BINARY = 8,
    LAKE_THRIFT_LIST = 9,
    LAKE_THRIFT_SET = 10,
    LAKE_THRIFT_MAP = 11,
    LAKE_THRIFT_STRUCT = 12
};

#define LAKE_THRIFT_MAX_DEPTH 64
#define LAKE_THRIFT_MAX_LIST 10000000

/*
 * Reader over [base, base + len). Functions return 0 or JC_EPARSE /
 * JC_ETOOBIG with a message "thrift at byte N: ..." (N relative to
 * base + origin, so callers can pass file offsets).
 */
struct lake_thrift_reader {
    const uint8_t *base;
    size_t len;
    size_t pos;
    uint64_t origin; /* added to pos in messages */
    int depth;
};

void lake_thrift_reader_init(struct lake_thrift_reader *r, const void *data,
                             size_t len, uint64_t origin);
/* Enter a struct: resets the field id delta base (keep *last_id local). */
int lake_thrift_struct_begin(struct lake_thrift_reader *r);
void lake_thrift_struct_end(struct lake_thrift_reader *r);
/* Next field header; *type == LAKE_THRIFT_STOP at the end of the struct.
 * For bool fields the value is in *type (TRUE/FALSE). */
int lake_thrift_field(struct lake_thrift_reader *r, int16_t *last_id, int *type,
                      int16_t *id);
int lake_thrift_read_varint(struct lake_thrift_reader *r, uint64_t *v);
int lake_thrift_read_i64(struct lake_thrift_reader *r, int64_t *v);
/* i8/i16/i32 (zigzag varint, range checked). */
int lake_thrift_read_i32(struct lake_thrift_reader *r, int32_t *v);
int lake_thrift_read_i8(struct lake_thrift_reader *r, int8_t *v);
int lake_thrift_read_double(struct lake_thrift_reader *r, double *v);
/* Borrowed pointer into the buffer. */
int lake_thrift_read_binary(struct lake_thrift_reader *r, const uint8_t **p,
                            size_t *n);
/* List/set header: element type and count (count capped). */
int lake_thrift_read_list(struct lake_thrift_reader *r, int *elem_type,
                          size_t *count);
/* Bool inside a list (one byte). */
int lake_thrift_read_bool_elem(struct lake_thrift_reader *r, bool *v);
/* Skip a value of the given type (recursively, depth capped). */
int lake_thrift_skip(struct lake_thrift_reader *r, int type);

/* Writer. Structs nest: pass a local int16_t last_id per struct level. */
void lake_thrift_write_field(struct ju_buf *b, int16_t *last_id, int type,
                             int16_t id);
void lake_thrift_write_stop(struct ju_buf *b);
void lake_thrift_write_varint(struct ju_buf *b, uint64_t v);
void lake_thrift_write_i32(struct ju_buf *b, int32_t v);
void lake_thrift_write_i64(struct ju_buf *b, int64_t v);
void lake_thrift_write_binary(struct ju_buf *b, const void *p, size_t n);
void lake_thrift_write_list(struct ju_buf *b, int elem_type, size_t count);
/* Field helpers: header + value. */
void lake_thrift_field_i32(struct ju_buf *b, int16_t *last_id, int16_t id,
                           int32_t v);
void lake_thrift_field_i64(struct ju_buf *b, int16_t *last_id, int16_t id,
                           int64_t v);
void lake_thrift_field_bool(struct ju_buf *b, int16_t *last_id, int16_t id,
                            bool v);
void lake_thrift_field_binary(struct ju_buf *b, int16_t *last_id, int16_t id,
                              const void *p, size_t n);
void lake_thrift_field_string(struct ju_buf *b, int16_t *last_id, int16_t id,
                              const char *s);

#endif
