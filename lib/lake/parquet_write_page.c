/*
 * parquet_write_page.c: the Parquet writer's column-chunk encoder: shreds
 * batch rows of one leaf into definition/repetition levels and values,
 * encodes values as PLAIN or RLE_DICTIONARY (falling back to PLAIN when the
 * dictionary does not pay or grows too big) and cuts compressed DATA_PAGE
 * v1 pages into the leaf's chunk buffer. Row groups, the footer and file
 * I/O are parquet_write.c; statistics are parquet_write_stats.c.
 */
#include "parquet_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/thrift.h"
#include "util/mem.h"

/* ---------------------------------------------------------------- values */

static void dict_to_plain(struct wleaf *wl);

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

void lake_parquet__put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Convert n lake-storage values to PLAIN physical bytes at dst. */
void lake_parquet__to_phys(const struct wleaf *wl, const void *src, size_t n,
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

void lake_parquet__dict_reset(struct wleaf *wl)
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
        if (i > 0 && wl->dkeys[wl->idx[wl->n_idx - 1]] == key) {
            /* a run of one value: no hashing */
            wl->idx[wl->n_idx] = wl->idx[wl->n_idx - 1];
            wl->n_idx++;
            continue;
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
            lake_parquet__to_phys(wl, (const char *)src + i * wl->width, 1,
                                  phys);
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
        uint64_t h;
        size_t s;
        uint32_t e;
        /* a run of one value (a topic, a constant): no hashing */
        if (i > 0 && v[i].n == v[i - 1].n &&
            !memcmp(v[i].p, v[i - 1].p, v[i].n)) {
            idx_push(wl, wl->idx[wl->n_idx - 1]);
            continue;
        }
        h = hash_bytes(v[i].p, v[i].n);
        s = (size_t)h & wl->slot_mask;
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
            lake_parquet__put_u32le(lenb, (uint32_t)v[i].n);
            if (ju_buf_add(&wl->dict_plain, lenb, 4) ||
                ju_buf_add(&wl->dict_plain, v[i].p, v[i].n))
                JC_BUG("dict over cap");
            wl->doff[wl->dict_n] = (uint32_t)(wl->dict_plain.len - v[i].n);
            wl->dlen[wl->dict_n] = (uint32_t)v[i].n;
            e = (uint32_t)wl->dict_n + 1;
            wl->slots[s] = e;
            wl->dict_n++;
            lake_parquet__sacc_bytes(st, v[i].p, v[i].n);
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
        lake_parquet__put_u32le(out, (uint32_t)v[i].n);
        memcpy(out + 4, v[i].p, v[i].n);
        out += 4 + v[i].n;
        lake_parquet__sacc_bytes(st, v[i].p, v[i].n);
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
    lake_parquet__to_phys(wl, src, n, (uint8_t *)wl->vals.data + wl->vals.len);
    wl->vals.len += n * wl->pw;
}

/* ---------------------------------------------------------------- pages */

void lake_parquet__write_page_header(struct ju_buf *h, int type, size_t unc,
                                     size_t comp, size_t num_values,
                                     int encoding, bool dict)
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
    lake_parquet__put_u32le(len4, (uint32_t)w->lvl.len);
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
    lake_parquet__dict_reset(wl);
}

int lake_parquet__flush_page(struct lake_parquet_writer *w, struct wleaf *wl)
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
    lake_parquet__write_page_header(&w->hdr, PQ_PAGE_DATA, body->len,
                                    w->comp.len, wl->page_values, enc, false);
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

size_t lake_parquet__pending_bytes(const struct wleaf *wl)
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

/*
 * A column chunk starts dictionary-encoded; once DICT_SAMPLE values are in,
 * a dictionary holding most of them (ids, free text, measurements) is
 * dropped for PLAIN, so high-cardinality columns pay for hashing only that
 * sample, while low-cardinality ones (types, topics, constant columns) keep
 * their dictionary. The first page flush checks again over the whole page.
 */
#define DICT_SAMPLE 1024

static void dict_sample_decide(struct wleaf *wl)
{
    if (!wl->use_dict || wl->dict_sampled || wl->page_nonnull < DICT_SAMPLE)
        return;
    wl->dict_sampled = true;
    if (wl->dict_n * 2 > wl->page_nonnull)
        dict_to_plain(wl);
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
        lake_parquet__stats_fixed(st, wl, g, n);
        if (wl->use_dict)
            dict_fixed(wl, g, n);
        else
            plain_fixed(wl, g, n);
    }
    wl->page_nonnull += n;
    dict_sample_decide(wl);
}

/* Contiguous non-null values [a, a+n) of leaf column c. */
static void add_values_range(struct wleaf *wl, struct sacc *st,
                             const struct lake_column *c, size_t a, size_t n)
{
    size_t i;

    if (n == 0)
        return;
    if (wl->use_dict && !wl->dict_sampled &&
        wl->page_nonnull + n > DICT_SAMPLE) {
        /* decide on the sample before hashing the rest */
        size_t k =
            wl->page_nonnull < DICT_SAMPLE ? DICT_SAMPLE - wl->page_nonnull : 0;
        if (k) {
            add_values_range(wl, st, c, a, k);
            a += k;
            n -= k;
        }
        dict_sample_decide(wl);
    }
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
        lake_parquet__stats_fixed(st, wl, src, n);
        if (wl->use_dict)
            dict_fixed(wl, src, n);
        else
            plain_fixed(wl, src, n);
    }
    wl->page_nonnull += n;
    dict_sample_decide(wl);
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
int lake_parquet__leaf_add_rows(struct lake_parquet_writer *w, struct wleaf *wl,
                                const struct lake_batch *batch, size_t a,
                                size_t b)
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

/* ---------------------------------------------------------------- leaf state
 */

void lake_parquet__wleaf_init(struct lake_parquet_writer *w, struct wleaf *wl,
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

void lake_parquet__wleaf_release(struct wleaf *wl)
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
    lake_parquet__sacc_release(&wl->cm.st);
    lake_parquet__sacc_release(&wl->file_st);
}
