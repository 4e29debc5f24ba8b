/*
 * parquet_write.c: the streaming Parquet writer. Batches are shredded per
 * leaf into definition/repetition levels and values, encoded as PLAIN or
 * RLE_DICTIONARY (falling back to PLAIN when the dictionary does not pay
 * or grows too big), cut into DATA_PAGE v1 pages, compressed, buffered per
 * column chunk and written one row group at a time; the footer carries
 * statistics. Reading is parquet_read.c.
 */
#include "parquet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/thrift.h"
#include "util/mem.h"

#define STEP_ROWS 8192
#define MAX_STAT_BYTES 4096

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

/* ---------------------------------------------------------------- stats */

static void sacc_release(struct sacc *s)
{
    ju_buf_release(&s->smin);
    ju_buf_release(&s->smax);
}

static void sacc_int(struct sacc *s, int64_t v)
{
    if (!s->has) {
        s->imin = s->imax = v;
        s->has = true;
        return;
    }
    if (v < s->imin)
        s->imin = v;
    if (v > s->imax)
        s->imax = v;
}

static void sacc_i128(struct sacc *s, lake_i128 v)
{
    if (!s->has) {
        s->qmin = s->qmax = v;
        s->has = true;
        return;
    }
    if (v < s->qmin)
        s->qmin = v;
    if (v > s->qmax)
        s->qmax = v;
}

static void sacc_f(struct sacc *s, double v)
{
    if (isnan(v))
        return;
    if (!s->has) {
        s->fmin = s->fmax = v;
        s->has = true;
        return;
    }
    if (v < s->fmin)
        s->fmin = v;
    if (v > s->fmax)
        s->fmax = v;
}

static int bytes_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;

    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static void buf_set(struct ju_buf *b, const char *p, size_t n)
{
    ju_buf_reset(b);
    if (ju_buf_add(b, p, n))
        JC_BUG("stat buffer over cap");
}

static void sacc_bytes(struct sacc *s, const char *p, size_t n)
{
    if (!s->has) {
        buf_set(&s->smin, p, n);
        buf_set(&s->smax, p, n);
        s->has = true;
        return;
    }
    if (bytes_cmp(p, n, s->smin.data, s->smin.len) < 0)
        buf_set(&s->smin, p, n);
    else if (bytes_cmp(p, n, s->smax.data, s->smax.len) > 0)
        buf_set(&s->smax, p, n);
}

static void sacc_merge(struct sacc *dst, const struct sacc *src, int cat)
{
    dst->nulls += src->nulls;
    dst->values += src->values;
    if (!src->has)
        return;
    switch (cat) {
    case 0:
        sacc_int(dst, src->imin);
        sacc_int(dst, src->imax);
        break;
    case 1:
        sacc_i128(dst, src->qmin);
        sacc_i128(dst, src->qmax);
        break;
    case 2:
        sacc_f(dst, src->fmin);
        sacc_f(dst, src->fmax);
        break;
    default:
        sacc_bytes(dst, src->smin.data, src->smin.len);
        sacc_bytes(dst, src->smax.data, src->smax.len);
    }
}

/* 0 integer-like, 1 int128, 2 float, 3 bytes */
static int stat_cat(const struct pq_leaf *lf)
{
    switch (lf->ltype) {
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
        return 2;
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY:
        return 3;
    case LAKE_TYPE_DECIMAL:
        return lf->precision > LAKE_DECIMAL64_MAX_PRECISION ? 1 : 0;
    default:
        return 0;
    }
}

/* Update stats from n contiguous lake-storage values. */
static void stats_fixed(struct sacc *s, const struct wleaf *wl, const void *src,
                        size_t n)
{
    size_t i;

    if (n == 0)
        return;
    switch (wl->lf->ltype) {
    case LAKE_TYPE_FLOAT: {
        const float *v = src;
        for (i = 0; i < n; i++)
            sacc_f(s, v[i]);
        return;
    }
    case LAKE_TYPE_DOUBLE: {
        const double *v = src;
        for (i = 0; i < n; i++)
            sacc_f(s, v[i]);
        return;
    }
    default:
        break;
    }
    if (wl->width == 16) {
        for (i = 0; i < n; i++) {
            lake_i128 q;
            memcpy(&q, (const char *)src + 16 * i, 16);
            sacc_i128(s, q);
        }
        return;
    }
    {
        int64_t mn;
        int64_t mx;
#define MINMAX(T)                                                              \
    do {                                                                       \
        const T *v = src;                                                      \
        mn = mx = v[0];                                                        \
        for (i = 1; i < n; i++) {                                              \
            mn = v[i] < mn ? v[i] : mn;                                        \
            mx = v[i] > mx ? v[i] : mx;                                        \
        }                                                                      \
    } while (0)
        switch (wl->width) {
        case 1:
            if (wl->lf->ltype == LAKE_TYPE_BOOLEAN)
                MINMAX(uint8_t);
            else
                MINMAX(int8_t);
            break;
        case 2:
            MINMAX(int16_t);
            break;
        case 4:
            MINMAX(int32_t);
            break;
        default:
            MINMAX(int64_t);
            break;
        }
#undef MINMAX
        sacc_int(s, mn);
        sacc_int(s, mx);
    }
}

/* ---------------------------------------------------------------- values */

static void *grow_scratch(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need > *cap) {
        size_t n = *cap ? *cap * 2 : 1024;
        while (n < need)
            n *= 2;
        *p = ju_xrealloc(*p, n * elem);
        *cap = n;
    }
    return *p;
}

static void put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Convert n lake-storage values to PLAIN physical bytes at dst. */
static void to_phys(const struct wleaf *wl, const void *src, size_t n,
                    uint8_t *dst)
{
    size_t i;
    const struct pq_leaf *lf = wl->lf;

    if (wl->width == wl->pw && wl->width != 16) {
        memcpy(dst, src, n * wl->width);
        return;
    }
    if (wl->width == 1) {
        const int8_t *v = src;
        for (i = 0; i < n; i++) {
            int32_t x = v[i];
            memcpy(dst + 4 * i, &x, 4);
        }
    } else if (wl->width == 2) {
        const int16_t *v = src;
        for (i = 0; i < n; i++) {
            int32_t x = v[i];
            memcpy(dst + 4 * i, &x, 4);
        }
    } else if (wl->width == 8 && wl->pw == 4) {
        const int64_t *v = src;
        for (i = 0; i < n; i++) {
            int32_t x = (int32_t)v[i];
            memcpy(dst + 4 * i, &x, 4);
        }
    } else if (wl->width == 16) {
        size_t tl = (size_t)lf->type_length;
        for (i = 0; i < n; i++) {
            lake_i128 q;
            unsigned __int128 u;
            size_t k;
            memcpy(&q, (const char *)src + 16 * i, 16);
            u = (unsigned __int128)q;
            for (k = 0; k < tl; k++)
                dst[tl * i + tl - 1 - k] = (uint8_t)(u >> (8 * k));
        }
    }
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0x100000001b3ULL;
        h ^= h >> 29;
    }
    if (i < n) {
        uint64_t w = 0;
        memcpy(&w, p + i, n - i);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    return mix64(h);
}

static void dict_reset(struct wleaf *wl)
{
    ju_buf_reset(&wl->dict_plain);
    wl->dict_n = 0;
    if (wl->slots)
        memset(wl->slots, 0, (wl->slot_mask + 1) * sizeof(uint32_t));
}

static void dict_rehash(struct wleaf *wl)
{
    size_t ns = wl->slot_mask ? (wl->slot_mask + 1) * 2 : 1024;
    size_t i;

    free(wl->slots);
    wl->slots = ju_xcalloc(ns, sizeof(uint32_t));
    wl->slot_mask = ns - 1;
    for (i = 0; i < wl->dict_n; i++) {
        uint64_t h =
            wl->kind == 1
                ? hash_bytes(wl->dict_plain.data + wl->doff[i], wl->dlen[i])
                : mix64(wl->dkeys[i]);
        size_t s = (size_t)h & wl->slot_mask;
        while (wl->slots[s])
            s = (s + 1) & wl->slot_mask;
        wl->slots[s] = (uint32_t)i + 1;
    }
}

static void dict_room(struct wleaf *wl)
{
    if ((wl->dict_n + 1) * 2 > wl->slot_mask + 1)
        dict_rehash(wl);
    if (wl->dict_n + 1 > wl->dcap) {
        wl->dcap = wl->dcap ? wl->dcap * 2 : 1024;
        if (wl->kind == 1) {
            wl->doff = ju_xrealloc(wl->doff, wl->dcap * sizeof(uint32_t));
            wl->dlen = ju_xrealloc(wl->dlen, wl->dcap * sizeof(uint32_t));
        } else {
            wl->dkeys = ju_xrealloc(wl->dkeys, wl->dcap * sizeof(uint64_t));
        }
    }
}

static void idx_push(struct wleaf *wl, uint32_t v)
{
    if (wl->n_idx == wl->cap_idx) {
        wl->cap_idx = wl->cap_idx ? wl->cap_idx * 2 : 4096;
        wl->idx = ju_xrealloc(wl->idx, wl->cap_idx * sizeof(uint32_t));
    }
    wl->idx[wl->n_idx++] = v;
}

/* Dictionary-encode n fixed values into the pending indices. */
static void dict_fixed(struct wleaf *wl, const void *src, size_t n)
{
    size_t i;
    uint8_t phys[16];

    if (wl->cap_idx < wl->n_idx + n) {
        while (wl->cap_idx < wl->n_idx + n)
            wl->cap_idx = wl->cap_idx ? wl->cap_idx * 2 : 4096;
        wl->idx = ju_xrealloc(wl->idx, wl->cap_idx * sizeof(uint32_t));
    }
    if (!wl->slots)
        dict_rehash(wl);
    for (i = 0; i < n; i++) {
        uint64_t key;
        size_t s;
        uint32_t e;
        switch (wl->width) {
        case 1:
            key = (uint64_t)((const uint8_t *)src)[i];
            break;
        case 2:
            key = (uint64_t)((const uint16_t *)src)[i];
            break;
        case 4:
            key = (uint64_t)((const uint32_t *)src)[i];
            break;
        default:
            key = ((const uint64_t *)src)[i];
            break;
        }
        s = (size_t)mix64(key) & wl->slot_mask;
        for (;;) {
            e = wl->slots[s];
            if (!e || wl->dkeys[e - 1] == key)
                break;
            s = (s + 1) & wl->slot_mask;
        }
        if (!e) {
            size_t before = wl->slot_mask;
            dict_room(wl);
            if (wl->slot_mask != before) { /* rehashed: probe again */
                s = (size_t)mix64(key) & wl->slot_mask;
                while (wl->slots[s])
                    s = (s + 1) & wl->slot_mask;
            }
            e = (uint32_t)wl->dict_n + 1;
            wl->dkeys[wl->dict_n] = key;
            wl->slots[s] = e;
            to_phys(wl, (const char *)src + i * wl->width, 1, phys);
            if (ju_buf_add(&wl->dict_plain, phys, wl->pw))
                JC_BUG("dict over cap");
            wl->dict_n++;
        }
        wl->idx[wl->n_idx++] = e - 1;
    }
}

static void dict_bytes(struct wleaf *wl, struct sacc *st,
                       const struct bytes_ref *v, size_t n)
{
    size_t i;

    if (!wl->slots)
        dict_rehash(wl);
    for (i = 0; i < n; i++) {
        uint64_t h = hash_bytes(v[i].p, v[i].n);
        size_t s = (size_t)h & wl->slot_mask;
        uint32_t e;
        for (;;) {
            e = wl->slots[s];
            if (!e)
                break;
            if (wl->dlen[e - 1] == v[i].n &&
                memcmp(wl->dict_plain.data + wl->doff[e - 1], v[i].p, v[i].n) ==
                    0)
                break;
            s = (s + 1) & wl->slot_mask;
        }
        if (!e) {
            uint8_t lenb[4];
            size_t before = wl->slot_mask;
            dict_room(wl);
            if (wl->slot_mask != before) {
                s = (size_t)h & wl->slot_mask;
                while (wl->slots[s])
                    s = (s + 1) & wl->slot_mask;
            }
            put_u32le(lenb, (uint32_t)v[i].n);
            if (ju_buf_add(&wl->dict_plain, lenb, 4) ||
                ju_buf_add(&wl->dict_plain, v[i].p, v[i].n))
                JC_BUG("dict over cap");
            wl->doff[wl->dict_n] = (uint32_t)(wl->dict_plain.len - v[i].n);
            wl->dlen[wl->dict_n] = (uint32_t)v[i].n;
            e = (uint32_t)wl->dict_n + 1;
            wl->slots[s] = e;
            wl->dict_n++;
            sacc_bytes(st, v[i].p, v[i].n);
        }
        idx_push(wl, e - 1);
    }
}

static void plain_bytes(struct wleaf *wl, struct sacc *st,
                        const struct bytes_ref *v, size_t n)
{
    size_t i;
    size_t total = 0;
    uint8_t *out;

    for (i = 0; i < n; i++)
        total += 4 + v[i].n;
    if (ju_buf_grow(&wl->vals, total))
        JC_BUG("page over cap");
    out = (uint8_t *)wl->vals.data + wl->vals.len;
    for (i = 0; i < n; i++) {
        put_u32le(out, (uint32_t)v[i].n);
        memcpy(out + 4, v[i].p, v[i].n);
        out += 4 + v[i].n;
        sacc_bytes(st, v[i].p, v[i].n);
    }
    wl->vals.len += total;
}

static void plain_fixed(struct wleaf *wl, const void *src, size_t n)
{
    if (wl->kind == 2) {
        if (ju_buf_add(&wl->vals, src, n))
            JC_BUG("page over cap");
        return;
    }
    if (ju_buf_grow(&wl->vals, n * wl->pw))
        JC_BUG("page over cap");
    to_phys(wl, src, n, (uint8_t *)wl->vals.data + wl->vals.len);
    wl->vals.len += n * wl->pw;
}

/* ---------------------------------------------------------------- pages */

static int write_all(struct lake_parquet_writer *w, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t k = write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return jc_err_set(JC_EIO, "cannot write '%s': %s", w->path,
                              strerror(errno));
        }
        c += k;
        n -= (size_t)k;
        w->file_pos += (uint64_t)k;
    }
    return 0;
}

static void page_header(struct ju_buf *h, int type, size_t unc, size_t comp,
                        size_t num_values, int encoding, bool dict)
{
    int16_t last = 0;
    int16_t l2 = 0;

    ju_buf_reset(h);
    lake_thrift_field_i32(h, &last, 1, type);
    lake_thrift_field_i32(h, &last, 2, (int32_t)unc);
    lake_thrift_field_i32(h, &last, 3, (int32_t)comp);
    lake_thrift_write_field(h, &last, LAKE_THRIFT_STRUCT, dict ? 7 : 5);
    lake_thrift_field_i32(h, &l2, 1, (int32_t)num_values);
    lake_thrift_field_i32(h, &l2, 2, encoding);
    if (!dict) {
        lake_thrift_field_i32(h, &l2, 3, PQ_ENC_RLE);
        lake_thrift_field_i32(h, &l2, 4, PQ_ENC_RLE);
    }
    lake_thrift_write_stop(h);
    lake_thrift_write_stop(h);
}

static void add_levels(struct lake_parquet_writer *w, struct ju_buf *body,
                       const struct ju_buf *lv, int max)
{
    uint8_t len4[4];
    int width = lake_parquet__bit_width((uint64_t)max);

    ju_buf_reset(&w->lvl);
    lake_parquet__rle_encode_u8(&w->lvl, (const uint8_t *)lv->data, lv->len,
                                width);
    put_u32le(len4, (uint32_t)w->lvl.len);
    if (ju_buf_add(body, len4, 4) || ju_buf_add(body, w->lvl.data, w->lvl.len))
        JC_BUG("page over cap");
}

/* Drop the dictionary: re-encode pending indices as PLAIN. */
static void dict_to_plain(struct wleaf *wl)
{
    size_t i;

    ju_buf_reset(&wl->vals);
    for (i = 0; i < wl->n_idx; i++) {
        uint32_t e = wl->idx[i];
        const char *p;
        size_t n;
        if (wl->kind == 1) {
            p = wl->dict_plain.data + wl->doff[e] - 4;
            n = 4 + wl->dlen[e];
        } else {
            p = wl->dict_plain.data + (size_t)e * wl->pw;
            n = wl->pw;
        }
        if (ju_buf_add(&wl->vals, p, n))
            JC_BUG("page over cap");
    }
    wl->n_idx = 0;
    wl->use_dict = false;
    dict_reset(wl);
}

static int flush_page(struct lake_parquet_writer *w, struct wleaf *wl)
{
    const struct pq_leaf *lf = wl->lf;
    struct ju_buf *body = &w->page;
    int enc;
    int rc;

    if (wl->page_values == 0)
        return 0;
    if (wl->use_dict && !wl->dict_decided) {
        wl->dict_decided = true;
        /* a dictionary that barely repeats costs more than it saves */
        if (wl->dict_n * 10 > wl->page_nonnull * 7 && wl->page_nonnull > 64)
            dict_to_plain(wl);
    }
    ju_buf_reset(body);
    if (lf->max_rep > 0)
        add_levels(w, body, &wl->rep, lf->max_rep);
    if (lf->max_def > 0)
        add_levels(w, body, &wl->def, lf->max_def);
    if (wl->use_dict) {
        uint8_t bw =
            (uint8_t)lake_parquet__bit_width(wl->dict_n ? wl->dict_n - 1 : 0);
        if (bw == 0)
            bw = 1;
        if (ju_buf_add(body, &bw, 1))
            JC_BUG("page over cap");
        lake_parquet__rle_encode_u32(body, wl->idx, wl->n_idx, bw);
        enc = PQ_ENC_RLE_DICTIONARY;
        wl->cm.enc_dict = true;
    } else if (wl->kind == 2) {
        size_t n = wl->vals.len;
        size_t nb = (n + 7) / 8;
        size_t i;
        uint8_t *o;
        if (ju_buf_grow(body, nb))
            JC_BUG("page over cap");
        o = (uint8_t *)body->data + body->len;
        memset(o, 0, nb);
        for (i = 0; i < n; i++)
            if (wl->vals.data[i])
                o[i >> 3] |= (uint8_t)(1u << (i & 7));
        body->len += nb;
        enc = PQ_ENC_PLAIN;
        wl->cm.enc_plain = true;
    } else {
        if (ju_buf_add(body, wl->vals.data, wl->vals.len))
            JC_BUG("page over cap");
        enc = PQ_ENC_PLAIN;
        wl->cm.enc_plain = true;
    }
    if (body->len > LAKE_PARQUET_MAX_PAGE)
        return jc_err_set(JC_ETOOBIG,
                          "'%s': page of column '%s' exceeds "
                          "%zu bytes",
                          w->path, lf->dotted, LAKE_PARQUET_MAX_PAGE);
    ju_buf_reset(&w->comp);
    rc = lake_codec__compress(w->opts.codec, w->opts.compression_level,
                              body->data, body->len, &w->comp);
    if (rc)
        return rc;
    page_header(&w->hdr, PQ_PAGE_DATA, body->len, w->comp.len, wl->page_values,
                enc, false);
    if (ju_buf_add(&wl->chunk, w->hdr.data, w->hdr.len) ||
        ju_buf_add(&wl->chunk, w->comp.data, w->comp.len))
        JC_BUG("chunk over cap");
    wl->cm.uncompressed += (int64_t)(w->hdr.len + body->len);
    wl->cm.compressed += (int64_t)(w->hdr.len + w->comp.len);
    wl->cm.num_values += (int64_t)wl->page_values;
    wl->chunk_pages++;
    ju_buf_reset(&wl->rep);
    ju_buf_reset(&wl->def);
    ju_buf_reset(&wl->vals);
    wl->n_idx = 0;
    wl->page_values = 0;
    wl->page_nonnull = 0;
    if (wl->use_dict && wl->dict_plain.len > w->opts.dictionary_bytes) {
        /* keep the dictionary for earlier pages, PLAIN from here on */
        wl->use_dict = false;
        wl->dict_full = true;
    }
    return 0;
}

static size_t pending_bytes(const struct wleaf *wl)
{
    size_t v = wl->use_dict ? wl->n_idx * 2 : wl->vals.len;

    return v + wl->def.len / 4 + wl->rep.len / 4;
}

/* ---------------------------------------------------------------- shred */

struct shred {
    struct ju_buf *rep;
    struct ju_buf *def;
    size_t *pos;
    size_t n_pos;
    size_t cap_pos;
    const struct pq_leaf *lf;
    bool null_in_required; /* a null entry in a non-nullable nested field */
};

static void emit(struct shred *s, int r, int d)
{
    uint8_t rb = (uint8_t)r;
    uint8_t db = (uint8_t)d;

    if (s->lf->max_rep > 0 && ju_buf_add(s->rep, &rb, 1))
        JC_BUG("levels over cap");
    if (s->lf->max_def > 0 && ju_buf_add(s->def, &db, 1))
        JC_BUG("levels over cap");
}

static void shred_node(struct shred *s, size_t k, const struct lake_column *c,
                       size_t i, int r)
{
    const struct pq_node *n = &s->lf->nodes[k];
    size_t b;
    size_t e;
    size_t j;

    if (lake_column_is_null(c, i)) {
        if (!n->nullable)
            s->null_in_required = true;
        emit(s, r, n->def_present - (n->nullable ? 1 : 0));
        return;
    }
    switch (n->kind) {
    case PQN_STRUCT:
        shred_node(s, k + 1, &c->children[s->lf->nodes[k + 1].child_index], i,
                   r);
        return;
    case PQN_LIST:
        b = (size_t)c->offsets[i];
        e = (size_t)c->offsets[i + 1];
        if (b == e) {
            emit(s, r, n->def_present);
            return;
        }
        for (j = b; j < e; j++)
            shred_node(s, k + 1, &c->children[s->lf->nodes[k + 1].child_index],
                       j, j == b ? r : n->rep);
        return;
    default:
        emit(s, r, n->def_present);
        if (s->n_pos == s->cap_pos) {
            s->cap_pos = s->cap_pos ? s->cap_pos * 2 : 1024;
            s->pos = ju_xrealloc(s->pos, s->cap_pos * sizeof(size_t));
        }
        s->pos[s->n_pos++] = i;
        return;
    }
}

/* Values at positions pos[0..n) of leaf column c into the pending page. */
static void add_values_at(struct wleaf *wl, struct sacc *st,
                          const struct lake_column *c, const size_t *pos,
                          size_t n)
{
    size_t i;

    if (n == 0)
        return;
    if (wl->kind == 1) {
        struct bytes_ref *r = grow_scratch((void **)&wl->refs, &wl->refs_cap, n,
                                           sizeof(*wl->refs));
        for (i = 0; i < n; i++) {
            r[i].p = c->data ? c->data + c->offsets[pos[i]] : "";
            r[i].n = (size_t)(c->offsets[pos[i] + 1] - c->offsets[pos[i]]);
        }
        if (wl->use_dict)
            dict_bytes(wl, st, r, n);
        else
            plain_bytes(wl, st, r, n);
    } else {
        uint8_t *g = grow_scratch((void **)&wl->gather, &wl->gather_cap,
                                  n * wl->width, 1);
        const uint8_t *src = c->values;
        switch (wl->width) {
        case 1:
            for (i = 0; i < n; i++)
                g[i] = src[pos[i]];
            break;
        case 2:
            for (i = 0; i < n; i++)
                memcpy(g + 2 * i, src + 2 * pos[i], 2);
            break;
        case 4:
            for (i = 0; i < n; i++)
                memcpy(g + 4 * i, src + 4 * pos[i], 4);
            break;
        case 8:
            for (i = 0; i < n; i++)
                memcpy(g + 8 * i, src + 8 * pos[i], 8);
            break;
        default:
            for (i = 0; i < n; i++)
                memcpy(g + 16 * i, src + 16 * pos[i], 16);
            break;
        }
        stats_fixed(st, wl, g, n);
        if (wl->use_dict)
            dict_fixed(wl, g, n);
        else
            plain_fixed(wl, g, n);
    }
    wl->page_nonnull += n;
}

/* Contiguous non-null values [a, a+n) of leaf column c. */
static void add_values_range(struct wleaf *wl, struct sacc *st,
                             const struct lake_column *c, size_t a, size_t n)
{
    size_t i;

    if (n == 0)
        return;
    if (wl->kind == 1) {
        struct bytes_ref *r = grow_scratch((void **)&wl->refs, &wl->refs_cap, n,
                                           sizeof(*wl->refs));
        const int64_t *off = c->offsets + a;
        for (i = 0; i < n; i++) {
            r[i].p = c->data ? c->data + off[i] : "";
            r[i].n = (size_t)(off[i + 1] - off[i]);
        }
        if (wl->use_dict)
            dict_bytes(wl, st, r, n);
        else
            plain_bytes(wl, st, r, n);
    } else {
        const uint8_t *src = (const uint8_t *)c->values + a * wl->width;
        stats_fixed(st, wl, src, n);
        if (wl->use_dict)
            dict_fixed(wl, src, n);
        else
            plain_fixed(wl, src, n);
    }
    wl->page_nonnull += n;
}

static const struct lake_column *leaf_column(const struct lake_batch *b,
                                             const struct pq_leaf *lf)
{
    const struct lake_column *c = &b->columns[lf->top];
    size_t k;

    for (k = 1; k < lf->depth; k++)
        c = &c->children[lf->nodes[k].child_index];
    return c;
}

/* Append rows [a, b) of the batch to leaf wl's pending page. */
static int leaf_add_rows(struct lake_parquet_writer *w, struct wleaf *wl,
                         const struct lake_batch *batch, size_t a, size_t b)
{
    const struct pq_leaf *lf = wl->lf;
    struct sacc *st = &wl->cm.st;
    size_t n = b - a;
    size_t i;

    if (lf->depth == 1) {
        const struct lake_column *c = &batch->columns[lf->top];
        size_t nulls = 0;
        if (lf->max_def > 0) {
            uint8_t *d;
            if (ju_buf_grow(&wl->def, n))
                JC_BUG("levels over cap");
            d = (uint8_t *)wl->def.data + wl->def.len;
            if (c->valid && c->null_count) {
                memcpy(d, c->valid + a, n);
                for (i = 0; i < n; i++)
                    nulls += !d[i];
            } else {
                memset(d, 1, n);
            }
            wl->def.len += n;
        }
        if (nulls == 0) {
            add_values_range(wl, st, c, a, n);
        } else {
            size_t k = 0;
            /* runs of valid values are added as ranges (no gather) */
            size_t run = 0;
            for (i = a; i < b; i++) {
                if (c->valid[i]) {
                    if (run == 0)
                        k = i;
                    run++;
                } else if (run) {
                    add_values_range(wl, st, c, k, run);
                    run = 0;
                }
            }
            if (run)
                add_values_range(wl, st, c, k, run);
        }
        wl->page_values += n;
        st->nulls += (int64_t)nulls;
        st->values += (int64_t)n;
    } else {
        struct shred s;
        const struct lake_column *top = &batch->columns[lf->top];
        size_t before = lf->max_def > 0 ? wl->def.len : wl->rep.len;
        size_t entries;
        memset(&s, 0, sizeof(s));
        s.rep = &wl->rep;
        s.def = &wl->def;
        s.lf = lf;
        s.pos = wl->pos;
        s.cap_pos = wl->pos_cap;
        for (i = a; i < b; i++)
            shred_node(&s, 0, top, i, 0);
        wl->pos = s.pos;
        wl->pos_cap = s.cap_pos;
        entries = (lf->max_def > 0 ? wl->def.len : wl->rep.len) - before;
        add_values_at(wl, st, leaf_column(batch, lf), s.pos, s.n_pos);
        wl->page_values += entries;
        st->nulls += (int64_t)(entries - s.n_pos);
        st->values += (int64_t)entries;
        if (s.null_in_required)
            return jc_err_set(JC_EINVAL,
                              "'%s': column '%s' has a null inside a "
                              "non-nullable nested field",
                              w->path, lf->dotted);
    }
    return 0;
}

/* ---------------------------------------------------------------- chunks */

static int flush_row_group(struct lake_parquet_writer *w)
{
    struct rg_meta *rg;
    size_t i;
    int rc;

    if (w->rg_rows == 0)
        return 0;
    w->rgs = ju_xrealloc(w->rgs, (w->n_rgs + 1) * sizeof(*w->rgs));
    rg = &w->rgs[w->n_rgs++];
    memset(rg, 0, sizeof(*rg));
    rg->num_rows = w->rg_rows;
    rg->file_offset = (int64_t)w->file_pos;
    rg->chunks =
        ju_xcalloc(w->lo.n_leaves ? w->lo.n_leaves : 1, sizeof(*rg->chunks));
    for (i = 0; i < w->lo.n_leaves; i++) {
        struct wleaf *wl = &w->leaves[i];
        struct chunk_meta *cm = &rg->chunks[i];
        rc = flush_page(w, wl);
        if (rc)
            return rc;
        cm->dict_page_offset = -1;
        if (wl->cm.enc_dict) {
            ju_buf_reset(&w->comp);
            rc = lake_codec__compress(w->opts.codec, w->opts.compression_level,
                                      wl->dict_plain.data, wl->dict_plain.len,
                                      &w->comp);
            if (rc)
                return rc;
            page_header(&w->hdr, PQ_PAGE_DICTIONARY, wl->dict_plain.len,
                        w->comp.len, wl->dict_n, PQ_ENC_PLAIN, true);
            cm->dict_page_offset = (int64_t)w->file_pos;
            rc = write_all(w, w->hdr.data, w->hdr.len);
            if (rc == 0)
                rc = write_all(w, w->comp.data, w->comp.len);
            if (rc)
                return rc;
            wl->cm.uncompressed += (int64_t)(w->hdr.len + wl->dict_plain.len);
            wl->cm.compressed += (int64_t)(w->hdr.len + w->comp.len);
        }
        wl->cm.data_page_offset = (int64_t)w->file_pos;
        rc = write_all(w, wl->chunk.data, wl->chunk.len);
        if (rc)
            return rc;
        cm->num_values = wl->cm.num_values;
        cm->uncompressed = wl->cm.uncompressed;
        cm->compressed = wl->cm.compressed;
        cm->data_page_offset = wl->cm.data_page_offset;
        cm->enc_plain = wl->cm.enc_plain;
        cm->enc_dict = wl->cm.enc_dict;
        cm->st = wl->cm.st; /* moves the buffers */
        memset(&wl->cm.st, 0, sizeof(wl->cm.st));
        sacc_merge(&wl->file_st, &cm->st, stat_cat(wl->lf));
        rg->total_bytes += cm->uncompressed;
        rg->total_compressed += cm->compressed;
        /* reset the chunk */
        memset(&wl->cm, 0, sizeof(wl->cm));
        ju_buf_reset(&wl->chunk);
        wl->chunk_pages = 0;
        dict_reset(wl);
        wl->use_dict = wl->dict_ok && w->opts.dictionary;
        wl->dict_full = false;
        wl->dict_decided = false;
    }
    w->total_rows += w->rg_rows;
    w->rg_rows = 0;
    return 0;
}

static size_t buffered_bytes(const struct lake_parquet_writer *w)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < w->lo.n_leaves; i++)
        n += w->leaves[i].chunk.len + pending_bytes(&w->leaves[i]) +
             w->leaves[i].dict_plain.len;
    return n;
}

/* ---------------------------------------------------------------- API */

static void leaf_init(struct lake_parquet_writer *w, struct wleaf *wl,
                      const struct pq_leaf *lf)
{
    memset(wl, 0, sizeof(*wl));
    wl->lf = lf;
    ju_buf_init(&wl->rep, 0);
    ju_buf_init(&wl->def, 0);
    ju_buf_init(&wl->vals, 0);
    ju_buf_init(&wl->dict_plain, 0);
    ju_buf_init(&wl->chunk, 0);
    wl->width = lake_type_width(lf->ltype, lf->precision);
    if (lf->ltype == LAKE_TYPE_BOOLEAN) {
        wl->kind = 2;
        wl->pw = 1;
    } else if (lf->phys == PQ_BYTE_ARRAY) {
        wl->kind = 1;
    } else {
        wl->kind = 0;
        wl->pw = lf->phys == PQ_INT32 || lf->phys == PQ_FLOAT ? 4
                 : lf->phys == PQ_FLBA ? (size_t)lf->type_length
                                       : 8;
    }
    wl->dict_ok = wl->kind == 1 || (wl->kind == 0 && wl->width <= 8);
    wl->use_dict = wl->dict_ok && w->opts.dictionary;
}

static void leaf_release(struct wleaf *wl)
{
    ju_buf_release(&wl->rep);
    ju_buf_release(&wl->def);
    ju_buf_release(&wl->vals);
    ju_buf_release(&wl->dict_plain);
    ju_buf_release(&wl->chunk);
    free(wl->idx);
    free(wl->slots);
    free(wl->dkeys);
    free(wl->doff);
    free(wl->dlen);
    free(wl->gather);
    free(wl->refs);
    free(wl->pos);
    sacc_release(&wl->cm.st);
    sacc_release(&wl->file_st);
}

static void writer_free(struct lake_parquet_writer *w)
{
    size_t i;
    size_t k;

    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    for (i = 0; i < w->lo.n_leaves; i++)
        leaf_release(&w->leaves[i]);
    free(w->leaves);
    for (i = 0; i < w->n_rgs; i++) {
        for (k = 0; k < w->lo.n_leaves; k++)
            sacc_release(&w->rgs[i].chunks[k].st);
        free(w->rgs[i].chunks);
    }
    free(w->rgs);
    for (i = 0; i < w->n_kv; i++) {
        free(w->kv_keys[i]);
        free(w->kv_vals[i]);
    }
    free(w->kv_keys);
    free(w->kv_vals);
    free(w->top_nulls);
    lake_parquet__layout_release(&w->lo);
    lake_schema_release(&w->schema);
    ju_buf_release(&w->page);
    ju_buf_release(&w->comp);
    ju_buf_release(&w->hdr);
    ju_buf_release(&w->lvl);
    free(w->created_by);
    free(w->path);
    free(w);
}

int lake_parquet_writer_open(struct lake_parquet_writer **out, const char *path,
                             const struct lake_schema *schema,
                             const struct lake_parquet_write_opts *opts)
{
    struct lake_parquet_write_opts def = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_parquet_writer *w;
    size_t i;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &def;
    if (!lake_codec__supported(opts->codec))
        return jc_err_set(JC_EINVAL, "unsupported codec %d", opts->codec);
    if (schema->n_fields == 0)
        return jc_err_set(JC_EINVAL,
                          "cannot write '%s': schema has no "
                          "columns",
                          path);
    w = ju_xcalloc(1, sizeof(*w));
    w->fd = -1;
    w->path = ju_xstrdup(path);
    w->opts = *opts;
    if (w->opts.page_bytes < 1024)
        w->opts.page_bytes = 1024;
    if (w->opts.page_bytes > ((size_t)256 << 20))
        w->opts.page_bytes = (size_t)256 << 20;
    if (w->opts.row_group_bytes < w->opts.page_bytes)
        w->opts.row_group_bytes = w->opts.page_bytes;
    if (w->opts.dictionary_bytes > ((size_t)512 << 20))
        w->opts.dictionary_bytes = (size_t)512 << 20;
    w->created_by = ju_xstrdup(opts->created_by ? opts->created_by
                                                : LAKE_PARQUET_CREATED_BY);
    w->opts.created_by = NULL;
    lake_schema_copy(&w->schema, schema);
    rc = lake_parquet__layout_from_schema(&w->lo, &w->schema);
    if (rc) {
        jc_err_wrap(rc, "cannot write '%s'", path);
        writer_free(w);
        return rc;
    }
    w->leaves = ju_xcalloc(w->lo.n_leaves, sizeof(*w->leaves));
    for (i = 0; i < w->lo.n_leaves; i++)
        leaf_init(w, &w->leaves[i], &w->lo.leaves[i]);
    w->top_nulls = ju_xcalloc(schema->n_fields, sizeof(int64_t));
    ju_buf_init(&w->page, 0);
    ju_buf_init(&w->comp, 0);
    ju_buf_init(&w->hdr, 0);
    ju_buf_init(&w->lvl, 0);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        rc =
            jc_err_set(JC_EIO, "cannot create '%s': %s", path, strerror(errno));
        writer_free(w);
        return rc;
    }
    rc = write_all(w, "PAR1", 4);
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int lake_parquet_writer_set_kv(struct lake_parquet_writer *w, const char *key,
                               const char *value)
{
    w->kv_keys = ju_xrealloc(w->kv_keys, (w->n_kv + 1) * sizeof(char *));
    w->kv_vals = ju_xrealloc(w->kv_vals, (w->n_kv + 1) * sizeof(char *));
    w->kv_keys[w->n_kv] = ju_xstrdup(key);
    w->kv_vals[w->n_kv] = ju_xstrdup(value ? value : "");
    w->n_kv++;
    return 0;
}

int lake_parquet_writer_write(struct lake_parquet_writer *w,
                              const struct lake_batch *batch)
{
    size_t a;
    size_t i;
    int rc;

    if (w->err)
        return jc_err_set(JC_ESTATE, "'%s': writer failed earlier", w->path);
    if (!lake_schema_equal(&w->schema, &batch->schema))
        return jc_err_set(JC_EINVAL,
                          "'%s': batch schema differs from the "
                          "file schema",
                          w->path);
    for (i = 0; i < batch->n_columns; i++) {
        if (batch->columns[i].length != batch->num_rows)
            return jc_err_set(JC_EINVAL,
                              "'%s': column '%s' has %zu rows, batch has %zu",
                              w->path, batch->schema.fields[i].name,
                              batch->columns[i].length, batch->num_rows);
        if (!w->schema.fields[i].nullable && batch->columns[i].null_count)
            return jc_err_set(JC_EINVAL,
                              "'%s': column '%s' is not nullable but has %zu "
                              "nulls",
                              w->path, batch->schema.fields[i].name,
                              batch->columns[i].null_count);
    }
    for (i = 0; i < batch->n_columns; i++)
        w->top_nulls[i] += (int64_t)batch->columns[i].null_count;
    for (a = 0; a < batch->num_rows;) {
        size_t b = a + STEP_ROWS;
        if (b > batch->num_rows)
            b = batch->num_rows;
        for (i = 0; i < w->lo.n_leaves; i++) {
            struct wleaf *wl = &w->leaves[i];
            rc = leaf_add_rows(w, wl, batch, a, b);
            if (rc) {
                w->err = rc;
                return rc;
            }
            if (pending_bytes(wl) >= w->opts.page_bytes ||
                (wl->use_dict &&
                 wl->dict_plain.len > w->opts.dictionary_bytes)) {
                rc = flush_page(w, wl);
                if (rc) {
                    w->err = rc;
                    return rc;
                }
            }
        }
        w->rg_rows += (int64_t)(b - a);
        a = b;
        if (buffered_bytes(w) >= w->opts.row_group_bytes ||
            (w->opts.row_group_rows &&
             (size_t)w->rg_rows >= w->opts.row_group_rows)) {
            rc = flush_row_group(w);
            if (rc) {
                w->err = rc;
                return rc;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- footer */

static void stat_bytes(const struct wleaf *wl, const struct sacc *s, bool max,
                       struct ju_buf *out)
{
    const struct pq_leaf *lf = wl->lf;
    uint8_t tmp[16];

    ju_buf_reset(out);
    switch (stat_cat(lf)) {
    case 0: {
        int64_t v = max ? s->imax : s->imin;
        if (lf->phys == PQ_BOOLEAN) {
            tmp[0] = (uint8_t)(v != 0);
            ju_buf_add(out, tmp, 1);
        } else if (lf->phys == PQ_INT32) {
            int32_t x = (int32_t)v;
            ju_buf_add(out, &x, 4);
        } else {
            ju_buf_add(out, &v, 8);
        }
        return;
    }
    case 1: {
        lake_i128 q = max ? s->qmax : s->qmin;
        to_phys(wl, &q, 1, tmp);
        ju_buf_add(out, tmp, (size_t)lf->type_length);
        return;
    }
    case 2: {
        double v = max ? s->fmax : s->fmin;
        /* the format asks for -0.0 as a zero min and +0.0 as a zero max */
        if (v == 0.0)
            v = max ? 0.0 : -0.0;
        if (lf->phys == PQ_FLOAT) {
            float f = (float)v;
            ju_buf_add(out, &f, 4);
        } else {
            ju_buf_add(out, &v, 8);
        }
        return;
    }
    default:
        if (max)
            ju_buf_add(out, s->smax.data, s->smax.len);
        else
            ju_buf_add(out, s->smin.data, s->smin.len);
    }
}

static void write_path(struct ju_buf *b, const struct pq_leaf *lf)
{
    size_t k;
    size_t n = lf->path_len;

    for (k = 0; k < lf->depth; k++)
        if (lf->nodes[k].kind == PQN_LIST)
            n++;
    lake_thrift_write_list(b, LAKE_THRIFT_BINARY, n);
    for (k = 0; k < lf->depth; k++) {
        const char *name = lf->path[k];
        if (k > 0 && lf->nodes[k - 1].kind == PQN_LIST &&
            !lf->nodes[k - 1].is_map)
            name = "element";
        lake_thrift_write_binary(b, name, strlen(name));
        if (lf->nodes[k].kind == PQN_LIST) {
            const char *g = lf->nodes[k].is_map ? "key_value" : "list";
            lake_thrift_write_binary(b, g, strlen(g));
        }
    }
}

static void write_chunk_meta(struct lake_parquet_writer *w, struct ju_buf *b,
                             const struct wleaf *wl,
                             const struct chunk_meta *cm)
{
    int16_t last = 0;
    int16_t l2 = 0;
    struct ju_buf sb = JU_BUF_INIT;
    size_t nenc = 1 + (cm->enc_plain ? 1 : 0) + (cm->enc_dict ? 1 : 0);

    /* ColumnChunk */
    lake_thrift_field_i64(b, &last, 2,
                          cm->dict_page_offset >= 0 ? cm->dict_page_offset
                                                    : cm->data_page_offset);
    lake_thrift_write_field(b, &last, LAKE_THRIFT_STRUCT, 3);
    /* ColumnMetaData */
    lake_thrift_field_i32(b, &l2, 1, wl->lf->phys);
    lake_thrift_write_field(b, &l2, LAKE_THRIFT_LIST, 2);
    lake_thrift_write_list(b, LAKE_THRIFT_I32, nenc);
    lake_thrift_write_i32(b, PQ_ENC_RLE);
    if (cm->enc_plain)
        lake_thrift_write_i32(b, PQ_ENC_PLAIN);
    if (cm->enc_dict)
        lake_thrift_write_i32(b, PQ_ENC_RLE_DICTIONARY);
    lake_thrift_write_field(b, &l2, LAKE_THRIFT_LIST, 3);
    write_path(b, wl->lf);
    lake_thrift_field_i32(b, &l2, 4, w->opts.codec);
    lake_thrift_field_i64(b, &l2, 5, cm->num_values);
    lake_thrift_field_i64(b, &l2, 6, cm->uncompressed);
    lake_thrift_field_i64(b, &l2, 7, cm->compressed);
    lake_thrift_field_i64(b, &l2, 9, cm->data_page_offset);
    if (cm->dict_page_offset >= 0)
        lake_thrift_field_i64(b, &l2, 11, cm->dict_page_offset);
    {
        int16_t l3 = 0;
        lake_thrift_write_field(b, &l2, LAKE_THRIFT_STRUCT, 12);
        lake_thrift_field_i64(b, &l3, 3, cm->st.nulls);
        if (cm->st.has && wl->lf->conv != PQ_CONV_INT96) {
            struct ju_buf mx = JU_BUF_INIT;
            stat_bytes(wl, &cm->st, true, &mx);
            stat_bytes(wl, &cm->st, false, &sb);
            if (mx.len <= MAX_STAT_BYTES && sb.len <= MAX_STAT_BYTES) {
                lake_thrift_field_binary(b, &l3, 5, mx.data, mx.len);
                lake_thrift_field_binary(b, &l3, 6, sb.data, sb.len);
            }
            ju_buf_release(&mx);
        }
        lake_thrift_write_stop(b);
    }
    lake_thrift_write_stop(b); /* ColumnMetaData */
    lake_thrift_write_stop(b); /* ColumnChunk */
    ju_buf_release(&sb);
}

static int write_footer(struct lake_parquet_writer *w)
{
    struct ju_buf b = JU_BUF_INIT;
    int16_t last = 0;
    size_t i;
    size_t k;
    uint8_t len4[4];
    int rc;

    lake_thrift_field_i32(&b, &last, 1, 1);
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 2);
    lake_parquet__write_schema(&b, &w->schema, w->opts.write_field_ids);
    lake_thrift_field_i64(&b, &last, 3, w->total_rows);
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 4);
    lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->n_rgs);
    for (i = 0; i < w->n_rgs; i++) {
        const struct rg_meta *rg = &w->rgs[i];
        int16_t l2 = 0;
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_LIST, 1);
        lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->lo.n_leaves);
        for (k = 0; k < w->lo.n_leaves; k++)
            write_chunk_meta(w, &b, &w->leaves[k], &rg->chunks[k]);
        lake_thrift_field_i64(&b, &l2, 2, rg->total_bytes);
        lake_thrift_field_i64(&b, &l2, 3, rg->num_rows);
        lake_thrift_field_i64(&b, &l2, 5, rg->file_offset);
        lake_thrift_field_i64(&b, &l2, 6, rg->total_compressed);
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_I16, 7);
        lake_thrift_write_i32(&b, (int32_t)i);
        lake_thrift_write_stop(&b);
    }
    if (w->n_kv) {
        lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 5);
        lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->n_kv);
        for (i = 0; i < w->n_kv; i++) {
            int16_t l2 = 0;
            lake_thrift_field_string(&b, &l2, 1, w->kv_keys[i]);
            lake_thrift_field_string(&b, &l2, 2, w->kv_vals[i]);
            lake_thrift_write_stop(&b);
        }
    }
    lake_thrift_field_string(&b, &last, 6, w->created_by);
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 7);
    lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->lo.n_leaves);
    for (k = 0; k < w->lo.n_leaves; k++) {
        int16_t l2 = 0;
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_STRUCT, 1);
        lake_thrift_write_stop(&b);
        lake_thrift_write_stop(&b);
    }
    lake_thrift_write_stop(&b);
    put_u32le(len4, (uint32_t)b.len);
    rc = write_all(w, b.data, b.len);
    if (rc == 0)
        rc = write_all(w, len4, 4);
    if (rc == 0)
        rc = write_all(w, "PAR1", 4);
    ju_buf_release(&b);
    return rc;
}

static void fill_value(struct lake_value *v, const struct sacc *s,
                       const struct pq_leaf *lf, bool max)
{
    memset(v, 0, sizeof(*v));
    v->type = lf->ltype;
    switch (stat_cat(lf)) {
    case 0:
        v->i64 = max ? s->imax : s->imin;
        v->f64 = (double)v->i64;
        v->i128 = v->i64;
        break;
    case 1:
        v->i128 = max ? s->qmax : s->qmin;
        v->i64 = (int64_t)v->i128;
        break;
    case 2:
        v->f64 = max ? s->fmax : s->fmin;
        break;
    default: {
        const struct ju_buf *b = max ? &s->smax : &s->smin;
        v->len = b->len;
        v->str = ju_xmalloc(b->len + 1);
        if (b->len)
            memcpy(v->str, b->data, b->len);
        v->str[b->len] = '\0';
    }
    }
}

static void fill_stats(struct lake_parquet_writer *w,
                       struct lake_parquet_file_stats *st)
{
    size_t i;
    size_t k;

    memset(st, 0, sizeof(*st));
    st->file_size = w->file_pos;
    st->num_rows = w->total_rows;
    st->num_row_groups = w->n_rgs;
    st->n_columns = w->lo.n_leaves;
    st->columns =
        ju_xcalloc(w->lo.n_leaves ? w->lo.n_leaves : 1, sizeof(*st->columns));
    for (i = 0; i < w->lo.n_leaves; i++) {
        const struct pq_leaf *lf = &w->lo.leaves[i];
        const struct sacc *s = &w->leaves[i].file_st;
        struct lake_column_stats *c = &st->columns[i];
        c->path_len = lf->path_len;
        c->path = ju_xcalloc(lf->path_len, sizeof(char *));
        for (k = 0; k < lf->path_len; k++)
            c->path[k] = ju_xstrdup(lf->path[k]);
        c->dotted = ju_xstrdup(lf->dotted);
        c->type = lf->ltype;
        c->precision = lf->precision;
        c->scale = lf->scale;
        c->in_repeated = lf->in_repeated;
        c->null_count = s->nulls;
        c->num_values = s->values;
        c->has_min_max = s->has;
        c->min.type = c->max.type = lf->ltype;
        c->min.is_null = c->max.is_null = !s->has;
        if (s->has) {
            fill_value(&c->min, s, lf, false);
            fill_value(&c->max, s, lf, true);
        }
    }
    st->n_top = w->schema.n_fields;
    st->top_null_count = ju_xcalloc(st->n_top, sizeof(int64_t));
    memcpy(st->top_null_count, w->top_nulls, st->n_top * sizeof(int64_t));
}

int lake_parquet_writer_close(struct lake_parquet_writer *w,
                              struct lake_parquet_file_stats *stats_out)
{
    int rc;

    if (stats_out)
        memset(stats_out, 0, sizeof(*stats_out));
    if (!w)
        return jc_err_set(JC_EINVAL, "no writer");
    rc = w->err;
    if (rc == 0)
        rc = flush_row_group(w);
    if (rc == 0)
        rc = write_footer(w);
    if (rc == 0 && fsync(w->fd) != 0)
        rc = jc_err_set(JC_EIO, "cannot fsync '%s': %s", w->path,
                        strerror(errno));
    if (rc == 0) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0)
            rc = jc_err_set(JC_EIO, "cannot close '%s': %s", w->path,
                            strerror(errno));
    }
    if (rc == 0 && stats_out)
        fill_stats(w, stats_out);
    if (rc)
        unlink(w->path);
    writer_free(w);
    return rc;
}

void lake_parquet_writer_abort(struct lake_parquet_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->path);
    writer_free(w);
}

int lake_parquet_write_file(const char *path, const struct lake_batch *batch,
                            const struct lake_parquet_write_opts *opts,
                            struct lake_parquet_file_stats *stats_out)
{
    struct lake_parquet_writer *w;
    int rc = lake_parquet_writer_open(&w, path, &batch->schema, opts);

    if (rc)
        return rc;
    rc = lake_parquet_writer_write(w, batch);
    if (rc) {
        lake_parquet_writer_abort(w);
        return rc;
    }
    return lake_parquet_writer_close(w, stats_out);
}
