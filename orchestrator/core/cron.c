/*
 * cron.c: Quartz cron parsing (seconds, ? L W # LW L-n nL, names, ranges
 * with wrap-around, steps, years 1970-2099) into bit sets, and next-fire
 * search over local wall-clock days in a jc_tz zone (gaps skipped,
 * overlaps fire once at the earlier instant).
 */
#include "jobctl/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "jobctl/err.h"
#include "util/mem.h"

enum { F_SEC, F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F_YEAR, F_COUNT };

static const char *const field_names[F_COUNT] = {
    "seconds", "minutes",     "hours", "day-of-month",
    "month",   "day-of-week", "year"};
static const int fld_min[F_COUNT] = {0, 0, 0, 1, 1, 1, 1970};
static const int fld_max[F_COUNT] = {59, 59, 23, 31, 12, 7, 2099};

enum dom_kind { DOM_SET, DOM_LAST, DOM_NEAREST_WD, DOM_LAST_WD };
enum dow_kind { DOW_SET, DOW_LAST_OF, DOW_NTH };

struct jc_cron {
    uint64_t bits[F_COUNT][3]; /* value - fld_min */
    bool dom_q;                /* day-of-month is '?' */
    bool dow_q;
    enum dom_kind dom_kind;
    int dom_arg; /* L-n offset or W day */
    enum dow_kind dow_kind;
    int dow_day; /* 1..7 for nL / n#k */
    int dow_nth; /* k for n#k */
};

struct pstate {
    const char *expr;
    char *err;
    size_t errlen;
    int field;
};

static int perr(struct pstate *ps, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(struct pstate *ps, const char *at, const char *fmt, ...)
{
    char msg[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ps->err && ps->errlen) {
        if (ps->field >= 0)
            snprintf(ps->err, ps->errlen, "%s field at column %d: %s",
                     field_names[ps->field], (int)(at - ps->expr) + 1, msg);
        else
            snprintf(ps->err, ps->errlen, "%s", msg);
    }
    return JC_EPARSE;
}

static void setbit(struct jc_cron *c, int f, int v)
{
    int i = v - fld_min[f];

    c->bits[f][i / 64] |= (uint64_t)1 << (i % 64);
}

static bool hasbit(const struct jc_cron *c, int f, int v)
{
    int i = v - fld_min[f];

    if (v < fld_min[f] || v > fld_max[f])
        return false;
    return (c->bits[f][i / 64] >> (i % 64)) & 1;
}

static const char *const mon_names[] = {"JAN", "FEB", "MAR", "APR",
                                        "MAY", "JUN", "JUL", "AUG",
                                        "SEP", "OCT", "NOV", "DEC"};
static const char *const dow_names[] = {"SUN", "MON", "TUE", "WED",
                                        "THU", "FRI", "SAT"};

/* A number or (month/day-of-week) name at *p; advances *p. */
static int parse_value(struct pstate *ps, const char **p, const char *end,
                       int *out)
{
    const char *s = *p;

    if (s < end && isdigit((unsigned char)*s)) {
        long v = 0;

        while (s < end && isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > 100000)
                return perr(ps, *p, "number too large");
            s++;
        }
        if (v < fld_min[ps->field] || v > fld_max[ps->field])
            return perr(ps, *p, "value %ld out of range %d-%d", v,
                        fld_min[ps->field], fld_max[ps->field]);
        *out = (int)v;
        *p = s;
        return 0;
    }
    if (s + 3 <= end && (ps->field == F_MON || ps->field == F_DOW) &&
        isalpha((unsigned char)*s)) {
        const char *const *names = ps->field == F_MON ? mon_names : dow_names;
        int n = ps->field == F_MON ? 12 : 7, i;

        for (i = 0; i < n; i++) {
            if (!strncasecmp(s, names[i], 3) &&
                (s + 3 == end || !isalpha((unsigned char)s[3]))) {
                *out = i + 1;
                *p = s + 3;
                return 0;
            }
        }
        {
            const char *e = s;

            while (e < end && isalpha((unsigned char)*e))
                e++;
            return perr(ps, s, "unknown name '%.*s'", (int)(e - s), s);
        }
    }
    if (s >= end)
        return perr(ps, s, "value expected");
    return perr(ps, s, "unexpected '%c'", *s);
}

static int parse_uint(struct pstate *ps, const char **p, const char *end,
                      int lo, int hi, int *out)
{
    const char *s = *p;
    long v = 0;

    if (s >= end || !isdigit((unsigned char)*s))
        return perr(ps, s, "number expected");
    while (s < end && isdigit((unsigned char)*s)) {
        v = v * 10 + (*s - '0');
        if (v > 100000)
            return perr(ps, *p, "number too large");
        s++;
    }
    if (v < lo || v > hi)
        return perr(ps, *p, "value %ld out of range %d-%d", v, lo, hi);
    *out = (int)v;
    *p = s;
    return 0;
}

/* One comma-separated item of a plain field: * | v | v-w, optional /n. */
static int parse_item(struct pstate *ps, struct jc_cron *c, const char *s,
                      const char *end)
{
    int f = ps->field, a, b, step = 1, v, i;
    const char *p = s;
    bool star = false, range = false;

    if (p < end && *p == '*') {
        star = true;
        a = fld_min[f];
        b = fld_max[f];
        p++;
    } else {
        if (parse_value(ps, &p, end, &a) < 0)
            return JC_EPARSE;
        b = a;
        if (p < end && *p == '-') {
            p++;
            if (parse_value(ps, &p, end, &b) < 0)
                return JC_EPARSE;
            range = true;
            if (b < a && f == F_YEAR)
                return perr(ps, s, "year range %d-%d goes backwards", a, b);
        }
    }
    if (p < end && *p == '/') {
        p++;
        if (parse_uint(ps, &p, end, 1, fld_max[f] - fld_min[f] + 1, &step) < 0)
            return JC_EPARSE;
        if (!star && !range)
            b = fld_max[f]; /* a/n: from a to the end, no wrap */
    }
    if (p != end)
        return perr(ps, p, "unexpected '%c'", *p);
    if (a <= b) {
        for (v = a; v <= b; v += step)
            setbit(c, f, v);
    } else {
        /* wrap-around range, e.g. hours 22-2 or FRI-MON */
        int span = fld_max[f] - fld_min[f] + 1;
        int len = (b - a + span) % span;

        for (i = 0; i <= len; i += step)
            setbit(c, f, fld_min[f] + (a - fld_min[f] + i) % span);
    }
    return 0;
}

static bool has_char(const char *s, const char *end, char ch)
{
    return memchr(s, ch, (size_t)(end - s)) != NULL;
}

static int parse_dom_special(struct pstate *ps, struct jc_cron *c,
                             const char *s, const char *end)
{
    const char *p = s;
    int v;

    if (has_char(s, end, ','))
        return perr(ps, s, "'L' and 'W' cannot be used in a list");
    if (end - s == 2 && !strncasecmp(s, "LW", 2)) {
        c->dom_kind = DOM_LAST_WD;
        return 0;
    }
    if (*p == 'L' || *p == 'l') {
        p++;
        c->dom_kind = DOM_LAST;
        c->dom_arg = 0;
        if (p == end)
            return 0;
        if (*p != '-')
            return perr(ps, p, "expected 'L', 'L-n' or 'LW'");
        p++;
        if (parse_uint(ps, &p, end, 0, 30, &c->dom_arg) < 0)
            return JC_EPARSE;
        if (p != end)
            return perr(ps, p, "unexpected '%c'", *p);
        return 0;
    }
    if (parse_uint(ps, &p, end, 1, 31, &v) < 0)
        return JC_EPARSE;
    if (p < end && (*p == 'W' || *p == 'w') && p + 1 == end) {
        c->dom_kind = DOM_NEAREST_WD;
        c->dom_arg = v;
        return 0;
    }
    return perr(ps, p, "'W' needs a single day, e.g. '15W'");
}

static int parse_dow_special(struct pstate *ps, struct jc_cron *c,
                             const char *s, const char *end)
{
    const char *p = s;
    int v;

    if (has_char(s, end, ','))
        return perr(ps, s, "'L' and '#' cannot be used in a list");
    if (end - s == 1 && (*s == 'L' || *s == 'l')) {
        setbit(c, F_DOW, 7); /* L alone = Saturday */
        return 0;
    }
    if (parse_value(ps, &p, end, &v) < 0)
        return JC_EPARSE;
    if (p < end && (*p == 'L' || *p == 'l') && p + 1 == end) {
        c->dow_kind = DOW_LAST_OF;
        c->dow_day = v;
        return 0;
    }
    if (p < end && *p == '#') {
        p++;
        c->dow_kind = DOW_NTH;
        c->dow_day = v;
        if (parse_uint(ps, &p, end, 1, 5, &c->dow_nth) < 0)
            return JC_EPARSE;
        if (p != end)
            return perr(ps, p, "unexpected '%c'", *p);
        return 0;
    }
    return perr(ps, p, "expected 'nL' or 'n#k'");
}

static int parse_field(struct pstate *ps, struct jc_cron *c, const char *s,
                       const char *end)
{
    int f = ps->field;
    const char *item = s;

    if (end - s == 1 && *s == '?') {
        if (f == F_DOM)
            c->dom_q = true;
        else if (f == F_DOW)
            c->dow_q = true;
        else
            return perr(ps, s,
                        "'?' is only allowed in day-of-month and "
                        "day-of-week");
        return 0;
    }
    if (has_char(s, end, '?'))
        return perr(ps, s, "'?' must stand alone");
    if (f == F_DOM && (has_char(s, end, 'L') || has_char(s, end, 'l') ||
                       has_char(s, end, 'W') || has_char(s, end, 'w')))
        return parse_dom_special(ps, c, s, end);
    if (f == F_DOW && (has_char(s, end, '#') ||
                       (end > s && (end[-1] == 'L' || end[-1] == 'l'))))
        return parse_dow_special(ps, c, s, end);
    while (item <= end) {
        const char *comma = memchr(item, ',', (size_t)(end - item));
        const char *iend = comma ? comma : end;

        if (iend == item)
            return perr(ps, item, "empty list item");
        if (parse_item(ps, c, item, iend) < 0)
            return JC_EPARSE;
        if (!comma)
            break;
        item = comma + 1;
    }
    return 0;
}

int jc_cron_parse(struct jc_cron **out, const char *expr, char *err,
                  size_t errlen)
{
    struct jc_cron *c;
    struct pstate ps;
    const char *p = expr, *starts[F_COUNT + 1], *ends[F_COUNT + 1];
    int n = 0, i;

    *out = NULL;
    ps.expr = expr ? expr : "";
    ps.err = err;
    ps.errlen = errlen;
    ps.field = -1;
    if (err && errlen)
        err[0] = '\0';
    if (!expr)
        return perr(&ps, ps.expr, "empty cron expression");
    if (strlen(expr) > 1024)
        return perr(&ps, expr, "cron expression longer than 1024 bytes");
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        if (n == F_COUNT)
            return perr(&ps, p,
                        "expected 6 or 7 fields (seconds minutes hours "
                        "day-of-month month day-of-week [year]), got more");
        starts[n] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
        ends[n++] = p;
    }
    if (n < 6)
        return perr(&ps, p,
                    "expected 6 or 7 fields (seconds minutes hours "
                    "day-of-month month day-of-week [year]), got %d",
                    n);
    c = ju_xcalloc(1, sizeof(*c));
    for (i = 0; i < n; i++) {
        ps.field = i;
        if (parse_field(&ps, c, starts[i], ends[i]) < 0) {
            jc_cron_free(c);
            return JC_EPARSE;
        }
    }
    if (n == 6) {
        for (i = fld_min[F_YEAR]; i <= fld_max[F_YEAR]; i++)
            setbit(c, F_YEAR, i);
    }
    ps.field = -1;
    if (c->dom_q && c->dow_q) {
        jc_cron_free(c);
        return perr(&ps, expr,
                    "day-of-month and day-of-week cannot both "
                    "be '?'");
    }
    if (!c->dom_q && !c->dow_q) {
        jc_cron_free(c);
        return perr(&ps, expr,
                    "one of day-of-month and day-of-week must be '?' "
                    "(Quartz does not support both)");
    }
    *out = c;
    return 0;
}

void jc_cron_free(struct jc_cron *cron)
{
    free(cron);
}

/* ---- next fire -------------------------------------------------------- */

static unsigned mlen(int64_t y, unsigned m)
{
    static const unsigned ml[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : ml[m - 1];
}

/* wd: 0 = Sunday for day d; last: days in the month */
static bool day_matches(const struct jc_cron *c, int64_t y, unsigned m,
                        unsigned d, unsigned wd, unsigned last)
{
    if (!c->dom_q) {
        switch (c->dom_kind) {
        case DOM_SET:
            return hasbit(c, F_DOM, (int)d);
        case DOM_LAST:
            return (int)d == (int)last - c->dom_arg;
        case DOM_NEAREST_WD: {
            int t = c->dom_arg;
            unsigned twd;

            if (t > (int)last)
                return false;
            twd = (unsigned)(((int)wd + t - (int)d) % 7 + 7) % 7;
            if (twd == 6)
                t = t == 1 ? t + 2 : t - 1;
            else if (twd == 0)
                t = t == (int)last ? t - 2 : t + 1;
            return (int)d == t;
        }
        case DOM_LAST_WD: {
            unsigned lwd = (wd + last - d) % 7;
            unsigned t = last;

            if (lwd == 6)
                t = last - 1;
            else if (lwd == 0)
                t = last - 2;
            return d == t;
        }
        }
        return false;
    }
    (void)y;
    (void)m;
    switch (c->dow_kind) {
    case DOW_SET:
        return hasbit(c, F_DOW, (int)wd + 1);
    case DOW_LAST_OF:
        return (int)wd + 1 == c->dow_day && d + 7 > last;
    case DOW_NTH:
        return (int)wd + 1 == c->dow_day &&
               (int)((d - 1) / 7 + 1) == c->dow_nth;
    }
    return false;
}

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int jc_cron_next(const struct jc_cron *c, const struct jc_tz *tz, int64_t after,
                 int64_t *next)
{
    int32_t off_min, off_max;
    int64_t day, y;
    unsigned m, d;
    int h, mi, s;

    if (after < -((int64_t)1 << 40) || after > ((int64_t)1 << 40))
        return jc_err_set(JC_EINVAL, "time out of range");
    /* offsets of instants after `after` only: tight pruning bounds */
    jc_tz_offset_range_from(tz, after, &off_min, &off_max);
    (void)off_max;
    day = fdiv(after + 1 + off_min, 86400);
    for (;;) {
        int64_t base;
        unsigned wd;

        jc_civil_from_days(day, &y, &m, &d);
        if (y > 2099)
            return jc_err_set(JC_ENOTFOUND, "the schedule never fires again");
        if (y < 1970) {
            day = jc_days_from_civil(1970, 1, 1);
            continue;
        }
        if (!hasbit(c, F_YEAR, (int)y)) {
            day = jc_days_from_civil(y + 1, 1, 1);
            continue;
        }
        if (!hasbit(c, F_MON, (int)m)) {
            day = m == 12 ? jc_days_from_civil(y + 1, 1, 1)
                          : jc_days_from_civil(y, m + 1, 1);
            continue;
        }
        wd = (unsigned)(((day + 4) % 7 + 7) % 7);
        base = day * 86400;
        if (!day_matches(c, y, m, d, wd, mlen(y, m)) ||
            base + 86399 - off_min <= after) {
            day++;
            continue;
        }
        for (h = 0; h < 24; h++) {
            int64_t hb = base + h * 3600;

            if (!hasbit(c, F_HOUR, h) || hb + 3599 - off_min <= after)
                continue;
            for (mi = 0; mi < 60; mi++) {
                int64_t mb = hb + mi * 60;

                if (!hasbit(c, F_MIN, mi) || mb + 59 - off_min <= after)
                    continue;
                for (s = 0; s < 60; s++) {
                    int64_t w = mb + s, u;

                    if (!hasbit(c, F_SEC, s) || w - off_min <= after)
                        continue;
                    if (jc_tz_local_to_utc(tz, w, &u) > 0 && u > after) {
                        *next = u;
                        return 0;
                    }
                }
            }
        }
        day++;
    }
}
