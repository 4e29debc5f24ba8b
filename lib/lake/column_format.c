/*
 * column_format.c: text forms of column values: dates, timestamps,
 * decimals and the compact JSON "value_encoding" used by the golden
 * expected.json files, the CLI and tests. Not used on hot paths.
 */
#include "lake/column.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"
#include "util/fmt.h"

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t lake_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe;
    unsigned doy;
    unsigned doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe;
    unsigned yoe;
    unsigned doy;
    unsigned mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    *y = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y += *m <= 2;
}

void lake_format_date(char *out, size_t n, int32_t days)
{
    int64_t y;
    unsigned m;
    unsigned d;

    civil_from_days(days, &y, &m, &d);
    snprintf(out, n, "%04lld-%02u-%02u", (long long)y, m, d);
}

void lake_format_timestamp(char *out, size_t n, int64_t micros)
{
    int64_t days = micros / 86400000000LL;
    int64_t rem = micros % 86400000000LL;
    int64_t y;
    unsigned m;
    unsigned d;
    int64_t secs;

    if (rem < 0) {
        rem += 86400000000LL;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    secs = rem / 1000000;
    snprintf(out, n, "%04lld-%02u-%02uT%02d:%02d:%02d.%06dZ", (long long)y, m,
             d, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
             (int)(rem % 1000000));
}

void lake_format_decimal(char *out, size_t n, lake_i128 v, int scale)
{
    char digits[64];
    size_t nd = 0;
    unsigned __int128 u;
    bool neg = v < 0;
    char tmp[96];
    size_t k = 0;
    int i;

    u = neg ? (unsigned __int128)(-(v + 1)) + 1 : (unsigned __int128)v;
    do {
        digits[nd++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u && nd < sizeof(digits));
    if (scale < 0)
        scale = 0;
    if (scale > 40)
        scale = 40;
    while (nd <= (size_t)scale)
        digits[nd++] = '0';
    if (neg)
        tmp[k++] = '-';
    for (i = (int)nd - 1; i >= 0; i--) {
        tmp[k++] = digits[i];
        if (i == scale && scale > 0)
            tmp[k++] = '.';
    }
    tmp[k] = '\0';
    snprintf(out, n, "%s", tmp);
}

static int add_float(struct ju_buf *out, double v, bool single)
{
    char tmp[40];

    if (isnan(v))
        return ju_buf_adds(out, "\"NaN\"");
    if (isinf(v))
        return ju_buf_adds(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    ju_fmt_double(tmp, sizeof(tmp), v, single);
    return ju_buf_adds(out, tmp);
}

static int add_json_string(struct ju_buf *out, const char *s, size_t n)
{
    size_t i;
    int rc = ju_buf_addc(out, '"');

    for (i = 0; rc == 0 && i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            rc = ju_buf_addc(out, '\\');
            if (rc == 0)
                rc = ju_buf_addc(out, (char)ch);
        } else if (ch < 0x20) {
            rc = ju_buf_addf(out, "\\u%04x", ch);
        } else {
            rc = ju_buf_addc(out, (char)ch);
        }
    }
    return rc ? rc : ju_buf_addc(out, '"');
}

struct kv_text {
    char *key;
    char *val;
};

static int cmp_kv(const void *a, const void *b)
{
    const struct kv_text *x = a;
    const struct kv_text *y = b;

    return strcmp(x->key, y->key);
}

static int format_named(struct ju_buf *out, const struct lake_column *c,
                        const struct lake_field *f, size_t i);

/* Entry i of c with struct field names from f, or without (f NULL). */
static int format_elem(struct ju_buf *out, const struct lake_column *c,
                       const struct lake_field *f, size_t i)
{
    return f ? format_named(out, c, f, i) : lake_column_format_json(out, c, i);
}

/* Map entry i as [[key,value],...] sorted by key text; f as in
 * format_elem. */
static int format_map(struct ju_buf *out, const struct lake_column *c,
                      const struct lake_field *f, size_t i)
{
    size_t b;
    size_t e;
    size_t j;
    size_t n;
    struct kv_text *kv;
    int rc = 0;

    lake_column_get_range(c, i, &b, &e);
    n = e - b;
    kv = ju_xcalloc(n ? n : 1, sizeof(*kv));
    for (j = 0; rc == 0 && j < n; j++) {
        struct ju_buf kb = JU_BUF_INIT;
        struct ju_buf vb = JU_BUF_INIT;
        rc = format_elem(&kb, &c->children[0], f ? &f->children[0] : NULL,
                         b + j);
        if (rc == 0)
            rc = format_elem(&vb, &c->children[1], f ? &f->children[1] : NULL,
                             b + j);
        kv[j].key = ju_buf_detach(&kb, NULL);
        kv[j].val = ju_buf_detach(&vb, NULL);
    }
    if (rc == 0)
        qsort(kv, n, sizeof(*kv), cmp_kv);
    if (rc == 0)
        rc = ju_buf_addc(out, '[');
    for (j = 0; rc == 0 && j < n; j++)
        rc = ju_buf_addf(out, "%s[%s,%s]", j ? "," : "", kv[j].key, kv[j].val);
    if (rc == 0)
        rc = ju_buf_addc(out, ']');
    for (j = 0; j < n; j++) {
        free(kv[j].key);
        free(kv[j].val);
    }
    free(kv);
    return rc;
}

int lake_column_format_json(struct ju_buf *out, const struct lake_column *c,
                            size_t i)
{
    char tmp[64];
    size_t n;
    size_t j;
    size_t b;
    size_t e;
    const char *p;
    int rc = 0;

    if (i >= c->length)
        return jc_err_set(JC_EINVAL, "entry %zu out of range (%zu entries)", i,
                          c->length);
    if (lake_column_is_null(c, i))
        return ju_buf_adds(out, "null");
    switch (c->type) {
    case LAKE_TYPE_BOOLEAN:
        return ju_buf_adds(out, lake_column_get_i64(c, i) ? "true" : "false");
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
        return ju_buf_addf(out, "%lld", (long long)lake_column_get_i64(c, i));
    case LAKE_TYPE_FLOAT:
        return add_float(out, ((const float *)c->values)[i], true);
    case LAKE_TYPE_DOUBLE:
        return add_float(out, ((const double *)c->values)[i], false);
    case LAKE_TYPE_DATE:
        lake_format_date(tmp, sizeof(tmp), (int32_t)lake_column_get_i64(c, i));
        return ju_buf_addf(out, "\"%s\"", tmp);
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        lake_format_timestamp(tmp, sizeof(tmp), lake_column_get_i64(c, i));
        return ju_buf_addf(out, "\"%s\"", tmp);
    case LAKE_TYPE_DECIMAL:
        lake_format_decimal(tmp, sizeof(tmp), lake_column_get_i128(c, i),
                            c->scale);
        return ju_buf_addf(out, "\"%s\"", tmp);
    case LAKE_TYPE_STRING:
        p = lake_column_get_str(c, i, &n);
        return add_json_string(out, p, n);
    case LAKE_TYPE_BINARY:
        p = lake_column_get_str(c, i, &n);
        rc = ju_buf_addc(out, '"');
        for (j = 0; rc == 0 && j < n; j++)
            rc = ju_buf_addf(out, "%02x", (unsigned char)p[j]);
        return rc ? rc : ju_buf_addc(out, '"');
    case LAKE_TYPE_STRUCT:
        rc = ju_buf_addc(out, '{');
        for (j = 0; rc == 0 && j < c->n_children; j++) {
            /* field names are not stored in the column; callers that need
             * names use lake_batch_format_row_json */
            rc = ju_buf_addf(out, "%s\"%zu\":", j ? "," : "", j);
            if (rc == 0)
                rc = lake_column_format_json(out, &c->children[j], i);
        }
        return rc ? rc : ju_buf_addc(out, '}');
    case LAKE_TYPE_ARRAY:
        lake_column_get_range(c, i, &b, &e);
        rc = ju_buf_addc(out, '[');
        for (j = b; rc == 0 && j < e; j++) {
            if (j > b)
                rc = ju_buf_addc(out, ',');
            if (rc == 0)
                rc = lake_column_format_json(out, &c->children[0], j);
        }
        return rc ? rc : ju_buf_addc(out, ']');
    case LAKE_TYPE_MAP:
        return format_map(out, c, NULL, i);
    default:
        return jc_err_set(JC_EINVAL, "cannot format type %d", (int)c->type);
    }
}

/* Like lake_column_format_json but with struct field names from f. */
static int format_named(struct ju_buf *out, const struct lake_column *c,
                        const struct lake_field *f, size_t i)
{
    size_t j;
    size_t b;
    size_t e;
    int rc = 0;

    if (lake_column_is_null(c, i))
        return ju_buf_adds(out, "null");
    if (c->type == LAKE_TYPE_STRUCT) {
        rc = ju_buf_addc(out, '{');
        for (j = 0; rc == 0 && j < c->n_children; j++) {
            if (j)
                rc = ju_buf_addc(out, ',');
            if (rc == 0)
                rc = add_json_string(out, f->children[j].name,
                                     strlen(f->children[j].name));
            if (rc == 0)
                rc = ju_buf_addc(out, ':');
            if (rc == 0)
                rc = format_named(out, &c->children[j], &f->children[j], i);
        }
        return rc ? rc : ju_buf_addc(out, '}');
    }
    if (c->type == LAKE_TYPE_ARRAY) {
        lake_column_get_range(c, i, &b, &e);
        rc = ju_buf_addc(out, '[');
        for (j = b; rc == 0 && j < e; j++) {
            if (j > b)
                rc = ju_buf_addc(out, ',');
            if (rc == 0)
                rc = format_named(out, &c->children[0], &f->children[0], j);
        }
        return rc ? rc : ju_buf_addc(out, ']');
    }
    if (c->type == LAKE_TYPE_MAP)
        return format_map(out, c, f, i);
    return lake_column_format_json(out, c, i);
}

int lake_batch_format_row_json(struct ju_buf *out, const struct lake_batch *b,
                               size_t r)
{
    size_t j;
    int rc;

    if (r >= b->num_rows)
        return jc_err_set(JC_EINVAL, "row %zu out of range (%zu rows)", r,
                          b->num_rows);
    rc = ju_buf_addc(out, '{');
    for (j = 0; rc == 0 && j < b->n_columns; j++) {
        const char *name = b->schema.fields[j].name;
        if (j)
            rc = ju_buf_addc(out, ',');
        if (rc == 0)
            rc = add_json_string(out, name, strlen(name));
        if (rc == 0)
            rc = ju_buf_addc(out, ':');
        if (rc == 0)
            rc = format_named(out, &b->columns[j], &b->schema.fields[j], r);
    }
    return rc ? rc : ju_buf_addc(out, '}');
}
