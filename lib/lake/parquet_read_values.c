/*
 * parquet_read_values.c: decoding the values section of a Parquet data or
 * dictionary page into a lake_column: PLAIN, dictionary indices, RLE
 * booleans, DELTA_BINARY_PACKED, DELTA_(LENGTH_)BYTE_ARRAY and
 * BYTE_STREAM_SPLIT, with the physical -> lake type conversions. Levels,
 * nulls and nesting are parquet_read_page.c.
 */
#include "parquet_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

/* ---------------------------------------------------------------- values */

static size_t phys_width(const struct pq_leaf *lf)
{
    switch (lf->phys) {
    case PQ_INT32:
    case PQ_FLOAT:
        return 4;
    case PQ_INT64:
    case PQ_DOUBLE:
        return 8;
    case PQ_INT96:
        return 12;
    case PQ_FLBA:
        return (size_t)lf->type_length;
    default:
        return 0;
    }
}

static lake_i128 be_to_i128(const uint8_t *p, size_t n)
{
    unsigned __int128 x = 0;
    size_t i;

    for (i = 0; i < n; i++)
        x = (x << 8) | p[i];
    if (n > 0 && n < 16 && (p[0] & 0x80))
        x |= ~(unsigned __int128)0 << (8 * n);
    return (lake_i128)x;
}

static void col_reserve(struct lake_column *c, size_t n)
{
    lake_column__grow(c, c->length + n);
    if (c->valid)
        memset(c->valid + c->length, 1, n);
}

/* Append n raw little-endian physical values (width pw) converted. */
static int append_fixed(const struct lake_parquet_reader *r,
                        const struct pq_leaf *lf, struct lake_column *c,
                        const uint8_t *src, size_t n)
{
    size_t i;
    uint8_t *dst;

    if (n == 0)
        return 0;
    col_reserve(c, n);
    dst = c->values ? (uint8_t *)c->values + c->length * c->width : NULL;
    switch (lf->conv) {
    case PQ_CONV_COPY:
        memcpy(dst, src, n * c->width);
        break;
    case PQ_CONV_I32_I8:
        for (i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            ((int8_t *)(void *)dst)[i] = (int8_t)v;
        }
        break;
    case PQ_CONV_I32_I16:
        for (i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            ((int16_t *)(void *)dst)[i] = (int16_t)v;
        }
        break;
    case PQ_CONV_I32_I64:
    case PQ_CONV_U32_I64:
        for (i = 0; i < n; i++) {
            int32_t v;
            int64_t x;
            memcpy(&v, src + 4 * i, 4);
            x = lf->conv == PQ_CONV_U32_I64 ? (int64_t)(uint32_t)v : v;
            memcpy(dst + 8 * i, &x, 8);
        }
        break;
    case PQ_CONV_I32_I128:
    case PQ_CONV_I64_I128:
        for (i = 0; i < n; i++) {
            lake_i128 q;
            if (lf->conv == PQ_CONV_I32_I128) {
                int32_t v;
                memcpy(&v, src + 4 * i, 4);
                q = v;
            } else {
                int64_t v;
                memcpy(&v, src + 8 * i, 8);
                q = v;
            }
            memcpy(dst + 16 * i, &q, 16);
        }
        break;
    case PQ_CONV_I64_MUL1000:
    case PQ_CONV_I64_DIV1000:
        for (i = 0; i < n; i++) {
            int64_t v;
            memcpy(&v, src + 8 * i, 8);
            if (lf->conv == PQ_CONV_I64_MUL1000)
                v = (int64_t)((uint64_t)v * 1000u);
            else
                v = v / 1000 - (v % 1000 < 0 ? 1 : 0);
            memcpy(dst + 8 * i, &v, 8);
        }
        break;
    case PQ_CONV_INT96:
        for (i = 0; i < n; i++) {
            int64_t nanos;
            int32_t day;
            int64_t us;
            memcpy(&nanos, src + 12 * i, 8);
            memcpy(&day, src + 12 * i + 8, 4);
            us = (int64_t)((uint64_t)((int64_t)day - 2440588) * 86400000000ULL +
                           (uint64_t)(nanos / 1000));
            memcpy(dst + 8 * i, &us, 8);
        }
        break;
    case PQ_CONV_BE_DEC64:
    case PQ_CONV_BE_DEC128: {
        size_t tl = (size_t)lf->type_length;
        for (i = 0; i < n; i++) {
            lake_i128 q = be_to_i128(src + tl * i, tl);
            if (c->width == 8) {
                int64_t v = (int64_t)q;
                memcpy(dst + 8 * i, &v, 8);
            } else {
                memcpy(dst + 16 * i, &q, 16);
            }
        }
        break;
    }
    case PQ_CONV_BYTES: {
        /* FLBA as binary/string */
        size_t tl = (size_t)lf->type_length;
        for (i = 0; i < n; i++)
            lake_batch_append_str(c, src + tl * i, tl);
        return 0;
    }
    default:
        return RERR(r, JC_EPARSE, "column '%s': bad conversion", lf->dotted);
    }
    c->length += n;
    return 0;
}

/* Append one BYTE_ARRAY value (string/binary or big-endian decimal). */
static inline int append_bytes(const struct lake_parquet_reader *r,
                               const struct pq_leaf *lf, struct lake_column *c,
                               const uint8_t *p, size_t n)
{
    if (lf->conv == PQ_CONV_BYTES) {
        lake_batch_append_str(c, p, n);
        return 0;
    }
    if (n > 16)
        return RERR(r, JC_EPARSE, "column '%s': decimal of %zu bytes",
                    lf->dotted, n);
    if (c->width == 8)
        lake_batch_append_i64(c, (int64_t)be_to_i128(p, n));
    else
        lake_batch_append_i128(c, be_to_i128(p, n));
    return 0;
}

int lake_parquet__decode_plain(struct lake_parquet_reader *r,
                               const struct pq_leaf *lf, struct lake_column *c,
                               const uint8_t *p, size_t len, size_t n)
{
    size_t pw = phys_width(lf);
    size_t i;

    if (n == 0)
        return 0;
    if (lf->phys == PQ_BOOLEAN) {
        uint8_t *dst;
        if ((n + 7) / 8 > len)
            return RERR(r, JC_EPARSE,
                        "column '%s': %zu booleans exceed "
                        "page data",
                        lf->dotted, n);
        col_reserve(c, n);
        dst = (uint8_t *)c->values + c->length;
        for (i = 0; i < n; i++)
            dst[i] = (p[i >> 3] >> (i & 7)) & 1;
        c->length += n;
        return 0;
    }
    if (lf->phys == PQ_BYTE_ARRAY && lf->conv == PQ_CONV_BYTES) {
        /* fast path: one reservation, no per-value checks */
        size_t pos = 0;
        int64_t *off;
        int64_t dpos;
        col_reserve(c, n);
        lake_column_reserve_data(c, len); /* bytes <= page length */
        off = c->offsets + c->length;
        dpos = (int64_t)c->data_len;
        for (i = 0; i < n; i++) {
            uint32_t l;
            if (len - pos < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array %zu of "
                            "%zu runs past the page",
                            lf->dotted, i, n);
            l = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 |
                (uint32_t)p[pos + 2] << 16 | (uint32_t)p[pos + 3] << 24;
            pos += 4;
            if (l > len - pos)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array length "
                            "%u exceeds the page",
                            lf->dotted, l);
            memcpy(c->data + dpos, p + pos, l);
            dpos += l;
            off[i + 1] = dpos;
            pos += l;
        }
        c->data_len = (size_t)dpos;
        c->length += n;
        return 0;
    }
    if (lf->phys == PQ_BYTE_ARRAY) {
        size_t pos = 0;
        lake_column_reserve(c, n);
        for (i = 0; i < n; i++) {
            uint32_t l;
            int rc;
            if (len - pos < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array %zu of "
                            "%zu runs past the page",
                            lf->dotted, i, n);
            l = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 |
                (uint32_t)p[pos + 2] << 16 | (uint32_t)p[pos + 3] << 24;
            pos += 4;
            if (l > len - pos)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array length "
                            "%u exceeds the page",
                            lf->dotted, l);
            rc = append_bytes(r, lf, c, p + pos, l);
            if (rc)
                return rc;
            pos += l;
        }
        return 0;
    }
    if (pw == 0 || n > len / pw)
        return RERR(r, JC_EPARSE,
                    "column '%s': %zu values of %zu bytes "
                    "exceed page data of %zu bytes",
                    lf->dotted, n, pw, len);
    return append_fixed(r, lf, c, p, n);
}

static int decode_dict_values(struct lake_parquet_reader *r,
                              const struct pq_leaf *lf, struct lake_column *c,
                              const uint8_t *p, size_t len, size_t n)
{
    const struct lake_column *d = &r->dict;
    size_t used;
    size_t i;
    int bw;
    int rc;

    if (!r->dict_valid)
        return RERR(r, JC_EPARSE,
                    "column '%s': dictionary-encoded page "
                    "without a dictionary",
                    lf->dotted);
    if (n == 0)
        return 0;
    if (len < 1)
        return RERR(r, JC_EPARSE, "column '%s': empty dictionary page data",
                    lf->dotted);
    bw = p[0];
    r->idx = lake_parquet__scratch(r->idx, &r->idx_cap, n, sizeof(uint32_t));
    rc = lake_parquet__rle_decode_u32(
        p + 1, len - 1, bw, r->idx, n,
        (uint32_t)d->length ? (uint32_t)d->length : 1, &used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s': dictionary indices", r->name,
                           lf->dotted);
    if (d->length == 0)
        return RERR(r, JC_EPARSE,
                    "column '%s': index into an empty "
                    "dictionary",
                    lf->dotted);
    if (d->type == LAKE_TYPE_STRING || d->type == LAKE_TYPE_BINARY) {
        const int64_t *doff = d->offsets;
        const uint32_t *idx = r->idx;
        size_t total = 0;
        int64_t *off;
        char *data;
        int64_t pos;
        for (i = 0; i < n; i++)
            total += (size_t)(doff[idx[i] + 1] - doff[idx[i]]);
        col_reserve(c, n);
        lake_column_reserve_data(c, total);
        off = c->offsets + c->length;
        data = c->data;
        pos = (int64_t)c->data_len;
        for (i = 0; i < n; i++) {
            int64_t b0 = doff[idx[i]];
            int64_t vl = doff[idx[i] + 1] - b0;
            memcpy(data + pos, d->data + b0, (size_t)vl);
            pos += vl;
            off[i + 1] = pos;
        }
        c->data_len = (size_t)pos;
        c->length += n;
        return 0;
    }
    col_reserve(c, n);
    {
        uint8_t *dst = (uint8_t *)c->values + c->length * c->width;
        const uint8_t *src = d->values;
        switch (c->width) {
        case 1:
            for (i = 0; i < n; i++)
                dst[i] = src[r->idx[i]];
            break;
        case 2:
            for (i = 0; i < n; i++)
                ((uint16_t *)(void *)dst)[i] =
                    ((const uint16_t *)(const void *)src)[r->idx[i]];
            break;
        case 4:
            for (i = 0; i < n; i++)
                ((uint32_t *)(void *)dst)[i] =
                    ((const uint32_t *)(const void *)src)[r->idx[i]];
            break;
        case 8:
            for (i = 0; i < n; i++)
                ((uint64_t *)(void *)dst)[i] =
                    ((const uint64_t *)(const void *)src)[r->idx[i]];
            break;
        default:
            for (i = 0; i < n; i++)
                memcpy(dst + 16 * i, src + 16 * (size_t)r->idx[i], 16);
            break;
        }
    }
    c->length += n;
    return 0;
}

static int decode_delta_ints(struct lake_parquet_reader *r,
                             const struct pq_leaf *lf, struct lake_column *c,
                             const uint8_t *p, size_t len, size_t n)
{
    size_t used;
    size_t i;
    int rc;

    if (lf->phys != PQ_INT32 && lf->phys != PQ_INT64)
        return RERR(r, JC_EPARSE,
                    "column '%s': DELTA_BINARY_PACKED on a "
                    "non-integer column",
                    lf->dotted);
    r->i64 =
        lake_parquet__scratch(r->i64, &r->i64_cap, n ? n : 1, sizeof(int64_t));
    rc = lake_parquet__delta_decode(p, len, r->i64, n, &used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    if (lf->phys == PQ_INT32) {
        r->raw = lake_parquet__scratch(r->raw, &r->raw_cap, 4 * n + 1, 1);
        for (i = 0; i < n; i++) {
            int32_t v = (int32_t)r->i64[i];
            memcpy(r->raw + 4 * i, &v, 4);
        }
        return append_fixed(r, lf, c, r->raw, n);
    }
    return append_fixed(r, lf, c, (const uint8_t *)r->i64, n);
}

/* Lengths via DELTA_BINARY_PACKED, then the bytes. *used = bytes taken. */
static int delta_lengths(struct lake_parquet_reader *r,
                         const struct pq_leaf *lf, const uint8_t *p, size_t len,
                         size_t n, int64_t **lens, size_t *used)
{
    int rc;

    r->i64 =
        lake_parquet__scratch(r->i64, &r->i64_cap, n ? n : 1, sizeof(int64_t));
    rc = lake_parquet__delta_decode(p, len, r->i64, n, used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    *lens = r->i64;
    return 0;
}

static int decode_delta_length(struct lake_parquet_reader *r,
                               const struct pq_leaf *lf, struct lake_column *c,
                               const uint8_t *p, size_t len, size_t n)
{
    int64_t *lens = NULL;
    size_t used;
    size_t pos;
    size_t i;
    int rc = delta_lengths(r, lf, p, len, n, &lens, &used);

    if (rc)
        return rc;
    pos = used;
    for (i = 0; i < n; i++) {
        if (lens[i] < 0 || (uint64_t)lens[i] > len - pos)
            return RERR(r, JC_EPARSE,
                        "column '%s': DELTA_LENGTH_BYTE_ARRAY "
                        "value exceeds the page",
                        lf->dotted);
        rc = append_bytes(r, lf, c, p + pos, (size_t)lens[i]);
        if (rc)
            return rc;
        pos += (size_t)lens[i];
    }
    return 0;
}

static int decode_delta_byte_array(struct lake_parquet_reader *r,
                                   const struct pq_leaf *lf,
                                   struct lake_column *c, const uint8_t *p,
                                   size_t len, size_t n)
{
    int64_t *prefix;
    int64_t *suffix;
    size_t used;
    size_t used2;
    size_t pos;
    size_t i;
    struct ju_buf prev = JU_BUF_INIT;
    struct ju_buf cur = JU_BUF_INIT;
    int rc;

    r->i64 =
        lake_parquet__scratch(r->i64, &r->i64_cap, 2 * n + 1, sizeof(int64_t));
    rc = lake_parquet__delta_decode(p, len, r->i64, n, &used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    prefix = r->i64;
    suffix = r->i64 + n;
    rc = lake_parquet__delta_decode(p + used, len - used, suffix, n, &used2);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    pos = used + used2;
    for (i = 0; i < n && rc == 0; i++) {
        if (prefix[i] < 0 || (uint64_t)prefix[i] > prev.len || suffix[i] < 0 ||
            (uint64_t)suffix[i] > len - pos) {
            rc = RERR(r, JC_EPARSE,
                      "column '%s': bad DELTA_BYTE_ARRAY value "
                      "%zu",
                      lf->dotted, i);
            break;
        }
        ju_buf_reset(&cur);
        if (ju_buf_add(&cur, prev.data ? prev.data : "", (size_t)prefix[i]) ||
            ju_buf_add(&cur, p + pos, (size_t)suffix[i])) {
            rc = RERR(r, JC_ETOOBIG, "column '%s': value too big", lf->dotted);
            break;
        }
        pos += (size_t)suffix[i];
        rc = append_bytes(r, lf, c, (const uint8_t *)(cur.data ? cur.data : ""),
                          cur.len);
        {
            struct ju_buf t = prev;
            prev = cur;
            cur = t;
        }
    }
    ju_buf_release(&prev);
    ju_buf_release(&cur);
    return rc;
}

int lake_parquet__decode_values(struct lake_parquet_reader *r,
                                const struct pq_leaf *lf, struct lake_column *c,
                                int enc, const uint8_t *p, size_t len, size_t n)
{
    if (n == 0)
        return 0; /* all entries null: nothing to decode */
    switch (enc) {
    case PQ_ENC_PLAIN:
        return lake_parquet__decode_plain(r, lf, c, p, len, n);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        return decode_dict_values(r, lf, c, p, len, n);
    case PQ_ENC_RLE: {
        size_t used;
        uint32_t blen;
        int rc;
        if (lf->phys != PQ_BOOLEAN)
            return RERR(r, JC_EUNSUPPORTED,
                        "column '%s': RLE values on a "
                        "non-boolean column",
                        lf->dotted);
        if (len < 4)
            return RERR(r, JC_EPARSE, "column '%s': short RLE boolean data",
                        lf->dotted);
        blen = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
        if (blen > len - 4)
            return RERR(r, JC_EPARSE, "column '%s': RLE length exceeds page",
                        lf->dotted);
        col_reserve(c, n);
        rc = lake_parquet__rle_decode_u8(
            p + 4, blen, 1, (uint8_t *)c->values + c->length, n, &used);
        if (rc)
            return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
        c->length += n;
        return 0;
    }
    case PQ_ENC_DELTA_BINARY_PACKED:
        return decode_delta_ints(r, lf, c, p, len, n);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (lf->phys != PQ_BYTE_ARRAY)
            break;
        return decode_delta_length(r, lf, c, p, len, n);
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (lf->phys != PQ_BYTE_ARRAY && lf->phys != PQ_FLBA)
            break;
        return decode_delta_byte_array(r, lf, c, p, len, n);
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        size_t pw = phys_width(lf);
        size_t i;
        size_t k;
        if (pw == 0 || lf->phys == PQ_INT96 || n > len / pw)
            return RERR(r, JC_EPARSE,
                        "column '%s': bad BYTE_STREAM_SPLIT "
                        "data",
                        lf->dotted);
        r->raw = lake_parquet__scratch(r->raw, &r->raw_cap, n * pw + 1, 1);
        for (k = 0; k < pw; k++)
            for (i = 0; i < n; i++)
                r->raw[i * pw + k] = p[k * n + i];
        return append_fixed(r, lf, c, r->raw, n);
    }
    default:
        break;
    }
    return RERR(r, JC_EUNSUPPORTED, "column '%s': unsupported encoding %d",
                lf->dotted, enc);
}
