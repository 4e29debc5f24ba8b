/*
 * parquet_write_stats.c: column statistics for the Parquet writer: the
 * min/max/null accumulator updated while values are encoded, merged per
 * row group and file, and turned into footer min/max bytes and the
 * lake_parquet_file_stats the caller gets. Typed stats values shared with
 * the reader (copy, release, decoding) are parquet_stats.c.
 */
#include "parquet_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

void lake_parquet__sacc_release(struct sacc *s)
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

/* The first 8 bytes of a string as a big-endian number, zero-padded: if
 * two prefixes differ they order the strings as memcmp + length does. */
static uint64_t bytes_prefix(const char *p, size_t n)
{
    uint64_t x = 0;

    if (n >= 8)
        memcpy(&x, p, 8);
    else
        memcpy(&x, p, n);
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(x);
#else
    {
        unsigned char b[8];
        memcpy(b, &x, 8);
        return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 |
               (uint64_t)b[2] << 40 | (uint64_t)b[3] << 32 |
               (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
               (uint64_t)b[6] << 8 | (uint64_t)b[7];
    }
#endif
}

void lake_parquet__sacc_bytes(struct sacc *s, const char *p, size_t n)
{
    uint64_t k;

    if (!s->has) {
        buf_set(&s->smin, p, n);
        buf_set(&s->smax, p, n);
        s->pmin = s->pmax = bytes_prefix(p, n);
        s->has = true;
        return;
    }
    /* most values fall strictly between min and max on the prefix alone */
    k = bytes_prefix(p, n);
    if (k > s->pmin && k < s->pmax)
        return;
    if (k <= s->pmin && bytes_cmp(p, n, s->smin.data, s->smin.len) < 0) {
        buf_set(&s->smin, p, n);
        s->pmin = k;
    } else if (k >= s->pmax && bytes_cmp(p, n, s->smax.data, s->smax.len) > 0) {
        buf_set(&s->smax, p, n);
        s->pmax = k;
    }
}

void lake_parquet__sacc_merge(struct sacc *dst, const struct sacc *src, int cat)
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
        lake_parquet__sacc_bytes(dst, src->smin.data, src->smin.len);
        lake_parquet__sacc_bytes(dst, src->smax.data, src->smax.len);
    }
}

/* 0 integer-like, 1 int128, 2 float, 3 bytes */
int lake_parquet__stat_cat(const struct pq_leaf *lf)
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
void lake_parquet__stats_fixed(struct sacc *s, const struct wleaf *wl,
                               const void *src, size_t n)
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

void lake_parquet__stat_bytes(const struct wleaf *wl, const struct sacc *s,
                              bool max, struct ju_buf *out)
{
    const struct pq_leaf *lf = wl->lf;
    uint8_t tmp[16];

    ju_buf_reset(out);
    switch (lake_parquet__stat_cat(lf)) {
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
        lake_parquet__to_phys(wl, &q, 1, tmp);
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

static void fill_value(struct lake_value *v, const struct sacc *s,
                       const struct pq_leaf *lf, bool max)
{
    memset(v, 0, sizeof(*v));
    v->type = lf->ltype;
    switch (lake_parquet__stat_cat(lf)) {
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

/* Name, path and type of one leaf column in a stats record (shared by the
 * writer's close and the reader's row-group stats). */
void lake_parquet__stats_describe_leaf(struct lake_column_stats *c,
                                       const struct pq_leaf *lf)
{
    size_t k;

    c->path_len = lf->path_len;
    c->path = ju_xcalloc(lf->path_len, sizeof(char *));
    for (k = 0; k < lf->path_len; k++)
        c->path[k] = ju_xstrdup(lf->path[k]);
    c->dotted = ju_xstrdup(lf->dotted);
    c->type = lf->ltype;
    c->precision = lf->precision;
    c->scale = lf->scale;
    c->in_repeated = lf->in_repeated;
}

void lake_parquet__fill_stats(struct lake_parquet_writer *w,
                              struct lake_parquet_file_stats *st)
{
    size_t i;

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
        lake_parquet__stats_describe_leaf(c, lf);
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
