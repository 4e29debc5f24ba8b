/*
 * delta_stats.c: add.stats JSON from the Parquet writer's per-leaf
 * statistics, following Spark: first delta.dataSkippingNumIndexedCols
 * (default 32, -1 = all) leaf columns, min/max for
 * numbers/decimals/dates/timestamps/strings (strings cut to 32 code points,
 * max with a tie-breaker), timestamps at ms precision, exact decimals.
 */
#include "delta_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/parquet.h"
#include "util/buf.h"
#include "util/mem.h"

#define STATS_PREFIX 32

static size_t leaf_count(const struct lake_field *f)
{
    size_t i, n = 0;

    if (!f->n_children)
        return 1;
    for (i = 0; i < f->n_children; i++)
        n += leaf_count(&f->children[i]);
    return n;
}

static void add_json_str(struct ju_buf *b, const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    char *d;

    if (!j) {
        ju_buf_adds(b, "null");
        return;
    }
    d = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
    ju_buf_adds(b, d);
    free(d);
    json_decref(j);
}

/* Byte length of the first n code points of s (len bytes); sets *cut. */
static size_t utf8_prefix(const char *s, size_t len, size_t n, int *cut)
{
    size_t i = 0;
    size_t cp = 0;

    while (i < len && cp < n) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x80)
            i += 1;
        else if ((c & 0xe0) == 0xc0)
            i += 2;
        else if ((c & 0xf0) == 0xe0)
            i += 3;
        else
            i += 4;
        cp++;
    }
    if (i > len)
        i = len;
    *cut = i < len;
    return i;
}

static int value_json(struct ju_buf *b, const struct lake_column_stats *cs,
                      const struct lake_value *v, int is_max)
{
    char tmp[64];

    switch (cs->type) {
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
        ju_buf_addf(b, "%lld", (long long)v->i64);
        return 0;
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
        if (!isfinite(v->f64))
            return -1;
        ju_buf_addf(b, "%.17g", v->f64);
        return 0;
    case LAKE_TYPE_DATE:
        lake_format_date(tmp, sizeof(tmp), (int32_t)v->i64);
        ju_buf_addf(b, "\"%s\"", tmp);
        return 0;
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ: {
        /* ms precision: floor to the millisecond */
        int64_t us = v->i64;
        int64_t ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
        size_t n;

        lake_format_timestamp(tmp, sizeof(tmp), ms * 1000);
        /* "YYYY-MM-DDTHH:MM:SS.ffffffZ" -> ".fffZ" */
        n = strlen(tmp);
        if (n >= 8 && tmp[n - 8] == '.') {
            tmp[n - 4] = 'Z';
            tmp[n - 3] = '\0';
        }
        ju_buf_addf(b, "\"%s\"", tmp);
        return 0;
    }
    case LAKE_TYPE_DECIMAL:
        lake_format_decimal(tmp, sizeof(tmp),
                            cs->precision <= LAKE_DECIMAL64_MAX_PRECISION
                                ? (lake_i128)v->i64
                                : v->i128,
                            cs->scale);
        ju_buf_adds(b, tmp);
        return 0;
    case LAKE_TYPE_STRING: {
        int cut;
        size_t n =
            utf8_prefix(v->str ? v->str : "", v->len, STATS_PREFIX, &cut);

        if (!cut) {
            add_json_str(b, v->str ? v->str : "", v->len);
            return 0;
        }
        if (!is_max) {
            add_json_str(b, v->str, n);
            return 0;
        }
        {
            char *t = ju_xmalloc(n + 5);
            unsigned char next = (unsigned char)v->str[n];

            memcpy(t, v->str, n);
            if (next < 0x7f) {
                t[n] = 0x7f;
                add_json_str(b, t, n + 1);
            } else {
                memcpy(t + n, "\xf4\x8f\xbf\xbf", 4);
                add_json_str(b, t, n + 4);
            }
            free(t);
        }
        return 0;
    }
    default:
        return -1;
    }
}

enum { P_MIN, P_MAX, P_NULL };

/* Emit "name":{...} / "name":value for field f whose first leaf is
 * stats->columns[*leaf]. Returns 1 if something was emitted. */
static int emit_field(struct ju_buf *b, const struct lake_field *f,
                      const struct lake_parquet_file_stats *st, size_t *leaf,
                      size_t max_leaves, int pass, int first, int64_t top_nulls)
{
    size_t nl = leaf_count(f);
    size_t start = b->len;

    if (*leaf >= max_leaves || *leaf + nl > st->n_columns) {
        *leaf += nl;
        return 0;
    }
    if (!first)
        ju_buf_addc(b, ',');
    add_json_str(b, f->name, strlen(f->name));
    ju_buf_addc(b, ':');
    if (f->type == LAKE_TYPE_STRUCT) {
        size_t i;
        int any = 0;

        ju_buf_addc(b, '{');
        for (i = 0; i < f->n_children; i++)
            any |= emit_field(b, &f->children[i], st, leaf, max_leaves, pass,
                              !any, -1);
        ju_buf_addc(b, '}');
        if (!any) {
            b->len = start;
            b->data[start] = '\0';
        }
        return any;
    }
    if (f->type == LAKE_TYPE_ARRAY || f->type == LAKE_TYPE_MAP) {
        *leaf += nl;
        if (pass == P_NULL && top_nulls >= 0) {
            ju_buf_addf(b, "%lld", (long long)top_nulls);
            return 1;
        }
        b->len = start;
        b->data[start] = '\0';
        return 0;
    }
    {
        const struct lake_column_stats *cs = &st->columns[*leaf];
        int ok = 0;

        (*leaf)++;
        if (pass == P_NULL) {
            ju_buf_addf(b, "%lld", (long long)cs->null_count);
            ok = 1;
        } else if (cs->has_min_max && f->type != LAKE_TYPE_BOOLEAN &&
                   f->type != LAKE_TYPE_BINARY) {
            ok = value_json(b, cs, pass == P_MIN ? &cs->min : &cs->max,
                            pass == P_MAX) == 0;
        }
        if (!ok) {
            b->len = start;
            b->data[start] = '\0';
        }
        return ok;
    }
}

char *lake_delta__stats_from_parquet(const struct lake_schema *schema,
                                     const struct lake_parquet_file_stats *st,
                                     int num_indexed)
{
    struct ju_buf b = JU_BUF_INIT;
    static const char *const names[] = {"minValues", "maxValues", "nullCount"};
    int pass;
    size_t max_leaves = num_indexed < 0 ? (size_t)-1 : (size_t)num_indexed;

    ju_buf_addf(&b, "{\"numRecords\":%lld", (long long)st->num_rows);
    for (pass = 0; pass < 3; pass++) {
        size_t leaf = 0;
        size_t i;
        int any = 0;

        ju_buf_addf(&b, ",\"%s\":{", names[pass]);
        for (i = 0; i < schema->n_fields; i++) {
            int64_t tn = (st->top_null_count && i < st->n_top)
                             ? st->top_null_count[i]
                             : -1;

            any |= emit_field(&b, &schema->fields[i], st, &leaf, max_leaves,
                              pass, !any, tn);
        }
        ju_buf_addc(&b, '}');
    }
    ju_buf_addc(&b, '}');
    return ju_buf_detach(&b, NULL);
}
