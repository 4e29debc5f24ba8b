/*
 * delta_path.c: partition directories and log paths: Spark's Hive escaping
 * of partition values, URI encoding of add.path, and conversions between
 * typed values and partitionValues text (dates, timestamps, decimals).
 */
#include "delta_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/fmt.h"
#include "util/mem.h"

static int hive_needs_escape(unsigned char c)
{
    if (c < 0x20 || c == 0x7f)
        return 1;
    return strchr("\"#%'*/:=?\\{[]^", c) != NULL && c != '\0';
}

char *lake_delta_hive_escape(const char *value)
{
    struct ju_buf b = JU_BUF_INIT;
    const unsigned char *p = (const unsigned char *)value;

    if (!value || !*value)
        return ju_xstrdup("__HIVE_DEFAULT_PARTITION__");
    for (; *p; p++) {
        if (hive_needs_escape(*p))
            ju_buf_addf(&b, "%%%02X", *p);
        else
            ju_buf_addc(&b, (char)*p);
    }
    return ju_buf_detach(&b, NULL);
}

char *lake_delta_uri_encode(const char *path)
{
    struct ju_buf b = JU_BUF_INIT;
    const unsigned char *p = (const unsigned char *)path;

    for (; *p; p++) {
        unsigned char c = *p;

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~' || c == '/' || c == '=')
            ju_buf_addc(&b, (char)c);
        else
            ju_buf_addf(&b, "%%%02X", c);
    }
    if (!b.data)
        return ju_xstrdup("");
    return ju_buf_detach(&b, NULL);
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *lake_delta_uri_decode(const char *path)
{
    size_t n = strlen(path);
    char *out = ju_xmalloc(n + 1);
    size_t i;
    size_t o = 0;

    for (i = 0; i < n; i++) {
        if (path[i] == '%' && i + 2 < n &&
            hexval((unsigned char)path[i + 1]) >= 0 &&
            hexval((unsigned char)path[i + 2]) >= 0) {
            out[o++] = (char)(hexval((unsigned char)path[i + 1]) * 16 +
                              hexval((unsigned char)path[i + 2]));
            i += 2;
        } else {
            out[o++] = path[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* ---- typed value <-> text ---- */

static void shortest_double(char *out, size_t n, double v, int is_float)
{
    ju_fmt_double(out, n, v, is_float != 0);
    if (!strpbrk(out, ".eEni"))
        strncat(out, ".0", n - strlen(out) - 1);
}

char *lake_delta__part_value_text(const struct lake_column *c, size_t i)
{
    char tmp[64];

    if (lake_column_is_null(c, i))
        return NULL;
    switch (c->type) {
    case LAKE_TYPE_BOOLEAN:
        return ju_xstrdup(lake_column_get_i64(c, i) ? "true" : "false");
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
        return ju_xasprintf("%lld", (long long)lake_column_get_i64(c, i));
    case LAKE_TYPE_FLOAT:
        shortest_double(tmp, sizeof(tmp), ((const float *)c->values)[i], 1);
        return ju_xstrdup(tmp);
    case LAKE_TYPE_DOUBLE:
        shortest_double(tmp, sizeof(tmp), ((const double *)c->values)[i], 0);
        return ju_xstrdup(tmp);
    case LAKE_TYPE_DATE:
        lake_format_date(tmp, sizeof(tmp), (int32_t)lake_column_get_i64(c, i));
        return ju_xstrdup(tmp);
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ: {
        /* Spark form: "YYYY-MM-DD HH:MM:SS[.fff...]" (UTC) */
        size_t len;

        lake_format_timestamp(tmp, sizeof(tmp), lake_column_get_i64(c, i));
        len = strlen(tmp);
        if (len && tmp[len - 1] == 'Z')
            tmp[--len] = '\0';
        if (len > 10 && tmp[10] == 'T')
            tmp[10] = ' ';
        if (strchr(tmp, '.')) {
            while (len && tmp[len - 1] == '0')
                tmp[--len] = '\0';
            if (len && tmp[len - 1] == '.')
                tmp[--len] = '\0';
        }
        return ju_xstrdup(tmp);
    }
    case LAKE_TYPE_DECIMAL:
        lake_format_decimal(tmp, sizeof(tmp), lake_column_get_i128(c, i),
                            c->scale);
        return ju_xstrdup(tmp);
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY: {
        size_t n;
        const char *s = lake_column_get_str(c, i, &n);

        if (n == 0)
            return NULL; /* Spark: empty partition value is null */
        return ju_xstrndup(s, n);
    }
    default:
        return NULL;
    }
}

static int parse_digits(const char **pp, int n, int *out)
{
    int v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if ((*pp)[i] < '0' || (*pp)[i] > '9')
            return -1;
        v = v * 10 + ((*pp)[i] - '0');
    }
    *pp += n;
    *out = v;
    return 0;
}

int lake_delta__parse_date(const char *s, int32_t *days)
{
    int y, m, d;
    int neg = 0;
    const char *p = s;
    int ylen = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }
    while (p[ylen] >= '0' && p[ylen] <= '9')
        ylen++;
    if (ylen < 4 || ylen > 6 || parse_digits(&p, ylen, &y) < 0)
        return JC_EPARSE;
    if (*p++ != '-' || parse_digits(&p, 2, &m) < 0 || *p++ != '-' ||
        parse_digits(&p, 2, &d) < 0)
        return JC_EPARSE;
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return JC_EPARSE;
    if (*p && *p != ' ' && *p != 'T')
        return JC_EPARSE;
    *days =
        (int32_t)lake_days_from_civil(neg ? -y : y, (unsigned)m, (unsigned)d);
    return 0;
}

int lake_delta__parse_timestamp(const char *s, int64_t *micros)
{
    int32_t days;
    const char *p = s;
    int hh = 0, mm = 0, ss = 0;
    int64_t frac = 0;
    int fd = 0;
    int64_t off = 0;

    if (lake_delta__parse_date(s, &days) < 0)
        return JC_EPARSE;
    if (*p == '-')
        p++;
    while (*p && *p != ' ' && *p != 'T')
        p++;
    if (*p) {
        p++;
        if (parse_digits(&p, 2, &hh) < 0 || *p++ != ':' ||
            parse_digits(&p, 2, &mm) < 0)
            return JC_EPARSE;
        if (*p == ':') {
            p++;
            if (parse_digits(&p, 2, &ss) < 0)
                return JC_EPARSE;
        }
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9') {
                if (fd < 6) {
                    frac = frac * 10 + (*p - '0');
                    fd++;
                }
                p++;
            }
            while (fd < 6) {
                frac *= 10;
                fd++;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om = 0;
            int sign = *p == '-' ? -1 : 1;

            p++;
            if (parse_digits(&p, 2, &oh) < 0)
                return JC_EPARSE;
            if (*p == ':')
                p++;
            if (*p && parse_digits(&p, 2, &om) < 0)
                return JC_EPARSE;
            off = sign * ((int64_t)oh * 3600 + om * 60);
        }
        if (*p)
            return JC_EPARSE;
    }
    if (hh > 23 || mm > 59 || ss > 60)
        return JC_EPARSE;
    *micros =
        ((int64_t)days * 86400 + hh * 3600 + mm * 60 + ss - off) * 1000000 +
        frac;
    return 0;
}

int lake_delta__parse_decimal(const char *s, int scale, lake_i128 *out)
{
    const char *p = s;
    int neg = 0;
    lake_i128 v = 0;
    int frac_digits = 0;
    int seen_dot = 0;
    int ndig = 0;
    long exp10 = 0;
    int shift;

    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (ndig > 38)
                return JC_EPARSE;
            v = v * 10 + (*p - '0');
            if (v != 0 || ndig)
                ndig++;
            if (seen_dot)
                frac_digits++;
        } else if (*p == '.' && !seen_dot) {
            seen_dot = 1;
        } else if (*p == 'e' || *p == 'E') {
            char *end;

            errno = 0;
            exp10 = strtol(p + 1, &end, 10);
            if (errno || *end || end == p + 1 || exp10 > 80 || exp10 < -80)
                return JC_EPARSE;
            break;
        } else {
            return JC_EPARSE;
        }
    }
    shift = scale - frac_digits + (int)exp10;
    while (shift > 0) {
        if (v > (lake_i128)1 << 122)
            return JC_EPARSE;
        v *= 10;
        shift--;
    }
    while (shift < 0) {
        v /= 10;
        shift++;
    }
    *out = neg ? -v : v;
    return 0;
}

int lake_delta__append_part_value(struct lake_column *c,
                                  const struct lake_field *f, const char *text)
{
    char *end;

    if (!text) {
        lake_batch_append_null(c);
        return 0;
    }
    errno = 0;
    switch (f->type) {
    case LAKE_TYPE_BOOLEAN:
        if (!strcmp(text, "true"))
            lake_batch_append_bool(c, 1);
        else if (!strcmp(text, "false"))
            lake_batch_append_bool(c, 0);
        else
            goto bad;
        return 0;
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG: {
        long long v = strtoll(text, &end, 10);

        if (errno || *end || end == text)
            goto bad;
        if (f->type == LAKE_TYPE_BYTE)
            lake_batch_append_i8(c, (int8_t)v);
        else if (f->type == LAKE_TYPE_SHORT)
            lake_batch_append_i16(c, (int16_t)v);
        else if (f->type == LAKE_TYPE_INTEGER)
            lake_batch_append_i32(c, (int32_t)v);
        else
            lake_batch_append_i64(c, (int64_t)v);
        return 0;
    }
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE: {
        double v;

        if (!strcmp(text, "NaN"))
            v = NAN;
        else if (!strcmp(text, "Infinity"))
            v = INFINITY;
        else if (!strcmp(text, "-Infinity"))
            v = -INFINITY;
        else {
            v = strtod(text, &end);
            if (*end || end == text)
                goto bad;
        }
        if (f->type == LAKE_TYPE_FLOAT)
            lake_batch_append_f32(c, (float)v);
        else
            lake_batch_append_f64(c, v);
        return 0;
    }
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY:
        lake_batch_append_str(c, text, strlen(text));
        return 0;
    case LAKE_TYPE_DATE: {
        int32_t d;

        if (lake_delta__parse_date(text, &d) < 0)
            goto bad;
        lake_batch_append_i32(c, d);
        return 0;
    }
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ: {
        int64_t us;

        if (lake_delta__parse_timestamp(text, &us) < 0)
            goto bad;
        lake_batch_append_i64(c, us);
        return 0;
    }
    case LAKE_TYPE_DECIMAL: {
        lake_i128 v;

        if (lake_delta__parse_decimal(text, f->scale, &v) < 0)
            goto bad;
        if (f->precision <= LAKE_DECIMAL64_MAX_PRECISION)
            lake_batch_append_i64(c, (int64_t)v);
        else
            lake_batch_append_i128(c, v);
        return 0;
    }
    default:
        break;
    }
bad:
    return jc_err_set(JC_EPARSE,
                      "partition value '%s' is not a valid %s for column '%s'",
                      text, lake_type_name(f->type), f->name);
}

int lake_delta_parse_timestamp(const char *s, int64_t *micros)
{
    return lake_delta__parse_timestamp(s, micros);
}

int lake_delta_parse_date(const char *s, int32_t *days)
{
    return lake_delta__parse_date(s, days);
}

int lake_delta_parse_decimal(const char *s, int scale, lake_i128 *out)
{
    return lake_delta__parse_decimal(s, scale, out);
}

struct lake_kv *lake_delta__kv_copy(const struct lake_kv *kv, size_t n)
{
    struct lake_kv *o = ju_xcalloc(n + 1, sizeof(*o));
    size_t i;

    for (i = 0; i < n; i++) {
        o[i].key = ju_xstrdup(kv[i].key);
        o[i].value = kv[i].value ? ju_xstrdup(kv[i].value) : NULL;
    }
    return o;
}

void lake_delta__kv_free(struct lake_kv *kv, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}
