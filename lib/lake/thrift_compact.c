/*
 * thrift_compact.c: Thrift compact protocol primitives (see thrift.h).
 * Reading is bounds-checked everywhere; writing appends to a ju_buf with
 * no cap (callers bound what they write) and aborts only on OOM.
 */
#include "lake/thrift.h"

#include <string.h>

#include "jobctl/err.h"

#define PERR(r, ...) perr_at((r), __VA_ARGS__)

static int perr_at(struct lake_thrift_reader *r, const char *what)
{
    return jc_err_set(JC_EPARSE, "thrift at byte %llu: %s",
                      (unsigned long long)(r->origin + r->pos), what);
}

void lake_thrift_reader_init(struct lake_thrift_reader *r, const void *data,
                             size_t len, uint64_t origin)
{
    r->base = data;
    r->len = len;
    r->pos = 0;
    r->origin = origin;
    r->depth = 0;
}

int lake_thrift_struct_begin(struct lake_thrift_reader *r)
{
    if (++r->depth > LAKE_THRIFT_MAX_DEPTH)
        return PERR(r, "structs nested too deeply");
    return 0;
}

void lake_thrift_struct_end(struct lake_thrift_reader *r)
{
    if (r->depth > 0)
        r->depth--;
}

int lake_thrift_read_varint(struct lake_thrift_reader *r, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift = 0;

    for (;;) {
        uint8_t byte;
        if (r->pos >= r->len)
            return PERR(r, "unexpected end of data in varint");
        byte = r->base[r->pos++];
        if (shift >= 64 || (shift == 63 && (byte & 0x7e)))
            return PERR(r, "varint too long");
        x |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
        shift += 7;
    }
    *v = x;
    return 0;
}

int lake_thrift_read_i64(struct lake_thrift_reader *r, int64_t *v)
{
    uint64_t u;
    int rc = lake_thrift_read_varint(r, &u);

    if (rc)
        return rc;
    *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    return 0;
}

int lake_thrift_read_i32(struct lake_thrift_reader *r, int32_t *v)
{
    int64_t x;
    int rc = lake_thrift_read_i64(r, &x);

    if (rc)
        return rc;
    if (x < INT32_MIN || x > INT32_MAX)
        return PERR(r, "i32 out of range");
    *v = (int32_t)x;
    return 0;
}

int lake_thrift_read_i8(struct lake_thrift_reader *r, int8_t *v)
{
    if (r->pos >= r->len)
        return PERR(r, "unexpected end of data in i8");
    *v = (int8_t)r->base[r->pos++];
    return 0;
}

int lake_thrift_read_double(struct lake_thrift_reader *r, double *v)
{
    if (r->len - r->pos < 8)
        return PERR(r, "unexpected end of data in double");
    memcpy(v, r->base + r->pos, 8);
    r->pos += 8;
    return 0;
}

int lake_thrift_read_binary(struct lake_thrift_reader *r, const uint8_t **p,
                            size_t *n)
{
    uint64_t len;
    int rc = lake_thrift_read_varint(r, &len);

    if (rc)
        return rc;
    if (len > r->len - r->pos)
        return PERR(r, "binary length exceeds data");
    *p = r->base + r->pos;
    *n = (size_t)len;
    r->pos += (size_t)len;
    return 0;
}

int lake_thrift_read_list(struct lake_thrift_reader *r, int *elem_type,
                          size_t *count)
{
    uint8_t h;
    uint64_t n;
    int rc;

    if (r->pos >= r->len)
        return PERR(r, "unexpected end of data in list header");
    h = r->base[r->pos++];
    *elem_type = h & 0x0f;
    n = h >> 4;
    if (n == 15) {
        rc = lake_thrift_read_varint(r, &n);
        if (rc)
            return rc;
    }
    if (n > LAKE_THRIFT_MAX_LIST || n > r->len - r->pos)
        return jc_err_set(JC_ETOOBIG,
                          "thrift at byte %llu: list of %llu elements exceeds "
                          "data",
                          (unsigned long long)(r->origin + r->pos),
                          (unsigned long long)n);
    *count = (size_t)n;
    return 0;
}

int lake_thrift_read_bool_elem(struct lake_thrift_reader *r, bool *v)
{
    if (r->pos >= r->len)
        return PERR(r, "unexpected end of data in bool");
    *v = r->base[r->pos++] == 1;
    return 0;
}

int lake_thrift_field(struct lake_thrift_reader *r, int16_t *last_id, int *type,
                      int16_t *id)
{
    uint8_t h;
    int delta;

    if (r->pos >= r->len)
        return PERR(r, "unexpected end of data in field header");
    h = r->base[r->pos++];
    *type = h & 0x0f;
    if (*type == LAKE_THRIFT_STOP) {
        *id = 0;
        return 0;
    }
    delta = h >> 4;
    if (delta) {
        int v = *last_id + delta;
        if (v > INT16_MAX)
            return PERR(r, "field id overflow");
        *id = (int16_t)v;
    } else {
        int32_t v;
        int rc = lake_thrift_read_i32(r, &v);
        if (rc)
            return rc;
        if (v < INT16_MIN || v > INT16_MAX)
            return PERR(r, "field id out of range");
        *id = (int16_t)v;
    }
    if (*type > LAKE_THRIFT_STRUCT)
        return PERR(r, "unknown field type");
    *last_id = *id;
    return 0;
}

int lake_thrift_skip(struct lake_thrift_reader *r, int type)
{
    uint64_t u;
    const uint8_t *p;
    size_t n;
    size_t i;
    int et;
    int rc = 0;

    switch (type) {
    case LAKE_THRIFT_TRUE:
    case LAKE_THRIFT_FALSE:
        return 0;
    case LAKE_THRIFT_I8:
        if (r->pos >= r->len)
            return PERR(r, "unexpected end of data");
        r->pos++;
        return 0;
    case LAKE_THRIFT_I16:
    case LAKE_THRIFT_I32:
    case LAKE_THRIFT_I64:
        return lake_thrift_read_varint(r, &u);
    case LAKE_THRIFT_DOUBLE:
        if (r->len - r->pos < 8)
            return PERR(r, "unexpected end of data");
        r->pos += 8;
        return 0;
    case LAKE_THRIFT_BINARY:
        return lake_thrift_read_binary(r, &p, &n);
    case LAKE_THRIFT_LIST:
    case LAKE_THRIFT_SET:
        rc = lake_thrift_read_list(r, &et, &n);
        if (rc)
            return rc;
        if (++r->depth > LAKE_THRIFT_MAX_DEPTH)
            return PERR(r, "nesting too deep");
        for (i = 0; rc == 0 && i < n; i++) {
            if (et == LAKE_THRIFT_TRUE || et == LAKE_THRIFT_FALSE) {
                bool b;
                rc = lake_thrift_read_bool_elem(r, &b);
            } else {
                rc = lake_thrift_skip(r, et);
            }
        }
        r->depth--;
        return rc;
    case LAKE_THRIFT_MAP: {
        uint8_t kv;
        rc = lake_thrift_read_varint(r, &u);
        if (rc)
            return rc;
        if (u == 0)
            return 0;
        if (u > r->len - r->pos)
            return PERR(r, "map size exceeds data");
        if (r->pos >= r->len)
            return PERR(r, "unexpected end of data");
        kv = r->base[r->pos++];
        if (++r->depth > LAKE_THRIFT_MAX_DEPTH)
            return PERR(r, "nesting too deep");
        for (i = 0; rc == 0 && i < u; i++) {
            rc = lake_thrift_skip(r, kv >> 4);
            if (rc == 0)
                rc = lake_thrift_skip(r, kv & 0x0f);
        }
        r->depth--;
        return rc;
    }
    case LAKE_THRIFT_STRUCT: {
        int16_t last = 0;
        int16_t id;
        int ft;
        rc = lake_thrift_struct_begin(r);
        while (rc == 0) {
            rc = lake_thrift_field(r, &last, &ft, &id);
            if (rc || ft == LAKE_THRIFT_STOP)
                break;
            rc = lake_thrift_skip(r, ft);
        }
        lake_thrift_struct_end(r);
        return rc;
    }
    default:
        return PERR(r, "cannot skip unknown type");
    }
}

/* ---------------------------------------------------------------- writer */

static void put(struct ju_buf *b, const void *p, size_t n)
{
    if (ju_buf_add(b, p, n) != 0)
        JC_BUG("thrift buffer over cap");
}

void lake_thrift_write_varint(struct ju_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    put(b, tmp, n);
}

void lake_thrift_write_i64(struct ju_buf *b, int64_t v)
{
    lake_thrift_write_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void lake_thrift_write_i32(struct ju_buf *b, int32_t v)
{
    lake_thrift_write_i64(b, v);
}

void lake_thrift_write_field(struct ju_buf *b, int16_t *last_id, int type,
                             int16_t id)
{
    int delta = id - *last_id;
    uint8_t h;

    if (delta > 0 && delta <= 15) {
        h = (uint8_t)((delta << 4) | type);
        put(b, &h, 1);
    } else {
        h = (uint8_t)type;
        put(b, &h, 1);
        lake_thrift_write_i32(b, id);
    }
    *last_id = id;
}

void lake_thrift_write_stop(struct ju_buf *b)
{
    uint8_t z = 0;

    put(b, &z, 1);
}

void lake_thrift_write_binary(struct ju_buf *b, const void *p, size_t n)
{
    lake_thrift_write_varint(b, n);
    if (n)
        put(b, p, n);
}

void lake_thrift_write_list(struct ju_buf *b, int elem_type, size_t count)
{
    uint8_t h;

    if (count < 15) {
        h = (uint8_t)((count << 4) | (size_t)elem_type);
        put(b, &h, 1);
    } else {
        h = (uint8_t)(0xf0 | elem_type);
        put(b, &h, 1);
        lake_thrift_write_varint(b, count);
    }
}

void lake_thrift_field_i32(struct ju_buf *b, int16_t *last_id, int16_t id,
                           int32_t v)
{
    lake_thrift_write_field(b, last_id, LAKE_THRIFT_I32, id);
    lake_thrift_write_i32(b, v);
}

void lake_thrift_field_i64(struct ju_buf *b, int16_t *last_id, int16_t id,
                           int64_t v)
{
    lake_thrift_write_field(b, last_id, LAKE_THRIFT_I64, id);
    lake_thrift_write_i64(b, v);
}

void lake_thrift_field_bool(struct ju_buf *b, int16_t *last_id, int16_t id,
                            bool v)
{
    lake_thrift_write_field(b, last_id,
                            v ? LAKE_THRIFT_TRUE : LAKE_THRIFT_FALSE, id);
}

void lake_thrift_field_binary(struct ju_buf *b, int16_t *last_id, int16_t id,
                              const void *p, size_t n)
{
    lake_thrift_write_field(b, last_id, LAKE_THRIFT_BINARY, id);
    lake_thrift_write_binary(b, p, n);
}

void lake_thrift_field_string(struct ju_buf *b, int16_t *last_id, int16_t id,
                              const char *s)
{
    lake_thrift_field_binary(b, last_id, id, s, strlen(s));
}
