/*
 * rules.c: silver's row rules (the seed's cleanse step): accepted event
 * types, value cast to double, timestamp_unix, and the table schemas.
 */
#include "cleanse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *const cleanse_types[CLEANSE_NTYPES] = {"click", "purchase", "view"};

int cleanse_event_type(const char *p, size_t n)
{
    int i;

    for (i = 0; i < CLEANSE_NTYPES; i++)
        if (strlen(cleanse_types[i]) == n && !memcmp(cleanse_types[i], p, n))
            return i;
    return -1;
}

/* Exact fast path for [-]digits[.digits] with at most 15 significant
 * digits: the integer and the power of ten are exact doubles, so one
 * division is correctly rounded, the same value strtod gives. */
static int fast_decimal(const char *p, size_t n, double *out)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3, 1e4,  1e5,
                                   1e6,  1e7,  1e8,  1e9, 1e10, 1e11,
                                   1e12, 1e13, 1e14, 1e15};
    size_t i = 0;
    int neg = 0, digits = 0, frac = -1;
    int64_t m = 0;

    if (p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == n)
        return -1;
    for (; i < n; i++) {
        char c = p[i];
        if (c >= '0' && c <= '9') {
            m = m * 10 + (c - '0');
            if (m && ++digits > 15)
                return -1;
            if (frac >= 0)
                frac++;
        } else if (c == '.' && frac < 0) {
            frac = 0;
        } else {
            return -1;
        }
    }
    if (frac == 0 || (p[neg] == '.') || frac > 15)
        return -1; /* "1." or ".5": leave to strtod */
    *out = (double)m / pow10[frac > 0 ? frac : 0];
    if (neg)
        *out = -*out;
    return 0;
}

int cleanse_parse_value(const char *p, size_t n, double *out)
{
    char buf[64], *end;
    size_t i;
    double v;

    if (n == 0 || n >= sizeof(buf))
        return -1;
    if (!fast_decimal(p, n, out))
        return 0;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' ||
              c == 'e' || c == 'E'))
            return -1;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    errno = 0;
    v = strtod(buf, &end);
    if (end != buf + n || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

int64_t cleanse_unix_seconds(int64_t micros)
{
    int64_t s = micros / 1000000;

    if (micros % 1000000 < 0)
        s--;
    return s;
}

void cleanse_silver_schema(struct lake_schema *s)
{
    lake_schema_init(s);
    lake_schema_add_simple(s, "event_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "event_type", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "timestamp", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "value", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "timestamp_unix", LAKE_TYPE_LONG, true);
}

void cleanse_benchmark_schema(struct lake_schema *s)
{
    lake_schema_init(s);
    lake_schema_add_simple(s, "task", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "elapsed_seconds", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "run_time", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "run_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "rows", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "bytes", LAKE_TYPE_LONG, true);
}
