/*
 * parquet_stats.c: typed statistics values (struct lake_value,
 * lake_column_stats, lake_parquet_file_stats): release, copy, lookup and
 * decoding of footer min/max bytes into typed values.
 */
#include "parquet_int.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void lake_parquet__value_release(struct lake_value *v)
{
    free(v->str);
    v->str = NULL;
    v->len = 0;
}

static void value_copy(struct lake_value *dst, const struct lake_value *src)
{
    *dst = *src;
    if (src->str) {
        dst->str = ju_xmalloc(src->len + 1);
        memcpy(dst->str, src->str, src->len);
        dst->str[src->len] = '\0';
    }
}

void lake_parquet__stats_copy(struct lake_column_stats *dst,
                              const struct lake_column_stats *src)
{
    size_t i;

    *dst = *src;
    dst->path = ju_xcalloc(src->path_len ? src->path_len : 1, sizeof(char *));
    for (i = 0; i < src->path_len; i++)
        dst->path[i] = ju_xstrdup(src->path[i]);
    dst->dotted = ju_xstrdup(src->dotted ? src->dotted : "");
    value_copy(&dst->min, &src->min);
    value_copy(&dst->max, &src->max);
}

void lake_parquet_file_stats_release(struct lake_parquet_file_stats *s)
{
    size_t i;
    size_t k;

    if (!s)
        return;
    for (i = 0; i < s->n_columns; i++) {
        struct lake_column_stats *c = &s->columns[i];
        for (k = 0; k < c->path_len; k++)
            free(c->path[k]);
        free(c->path);
        free(c->dotted);
        lake_parquet__value_release(&c->min);
        lake_parquet__value_release(&c->max);
    }
    free(s->columns);
    free(s->top_null_count);
    memset(s, 0, sizeof(*s));
}

const struct lake_column_stats *
lake_parquet_file_stats_find(const struct lake_parquet_file_stats *s,
                             const char *dotted)
{
    size_t i;

    for (i = 0; i < s->n_columns; i++)
        if (strcmp(s->columns[i].dotted, dotted) == 0)
            return &s->columns[i];
    return NULL;
}

static int64_t le_int(const uint8_t *p, size_t n)
{
    uint64_t x = 0;
    size_t i;

    for (i = 0; i < n; i++)
        x |= (uint64_t)p[i] << (8 * i);
    if (n < 8 && n > 0 && (p[n - 1] & 0x80))
        x |= ~0ULL << (8 * n);
    return (int64_t)x;
}

static lake_i128 be_int(const uint8_t *p, size_t n)
{
    unsigned __int128 x = 0;
    size_t i;

    for (i = 0; i < n; i++)
        x = (x << 8) | p[i];
    if (n > 0 && n < 16 && (p[0] & 0x80))
        x |= ~(unsigned __int128)0 << (8 * n);
    return (lake_i128)x;
}

bool lake_parquet__stat_decode(struct lake_value *v, const struct pq_leaf *lf,
                               const uint8_t *p, size_t n)
{
    memset(v, 0, sizeof(*v));
    v->type = lf->ltype;
    switch (lf->conv) {
    case PQ_CONV_BOOL:
        if (n < 1)
            return false;
        v->i64 = p[0] & 1;
        return true;
    case PQ_CONV_COPY:
    case PQ_CONV_I32_I8:
    case PQ_CONV_I32_I16:
    case PQ_CONV_I32_I64:
    case PQ_CONV_I64_MUL1000:
    case PQ_CONV_I64_DIV1000:
        if (lf->phys == PQ_FLOAT) {
            float f;
            if (n != 4)
                return false;
            memcpy(&f, p, 4);
            v->f64 = f;
            return true;
        }
        if (lf->phys == PQ_DOUBLE) {
            if (n != 8)
                return false;
            memcpy(&v->f64, p, 8);
            return true;
        }
        if ((lf->phys == PQ_INT32 && n != 4) ||
            (lf->phys == PQ_INT64 && n != 8) ||
            (lf->phys != PQ_INT32 && lf->phys != PQ_INT64))
            return false;
        v->i64 = le_int(p, n);
        if (lf->conv == PQ_CONV_I64_MUL1000)
            v->i64 *= 1000;
        else if (lf->conv == PQ_CONV_I64_DIV1000)
            v->i64 /= 1000;
        return true;
    case PQ_CONV_U32_I64:
        if (n != 4)
            return false;
        v->i64 = (int64_t)(uint32_t)le_int(p, 4);
        return true;
    case PQ_CONV_I32_I128:
    case PQ_CONV_I64_I128:
        if (n != 4 && n != 8)
            return false;
        v->i128 = le_int(p, n);
        return true;
    case PQ_CONV_BE_DEC64:
        if (n < 1 || n > 8)
            return false;
        v->i64 = (int64_t)be_int(p, n);
        return true;
    case PQ_CONV_BE_DEC128:
        if (n < 1 || n > 16)
            return false;
        v->i128 = be_int(p, n);
        return true;
    case PQ_CONV_BYTES:
        v->str = ju_xmalloc(n + 1);
        memcpy(v->str, p, n);
        v->str[n] = '\0';
        v->len = n;
        return true;
    default:
        return false; /* INT96: order undefined */
    }
}
