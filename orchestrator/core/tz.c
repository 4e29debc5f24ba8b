/*
 * tz.c: a small TZif (RFC 8536, v1-v4) reader with a process-wide cache.
 * Transitions after the file's last one come from its POSIX TZ footer,
 * expanded up to 2100, so lookups are a binary search over one table.
 */
#include "jobctl/tz.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

#define TZ_MAX_FILE (1024 * 1024)
#define TZ_MAX_TRANS 20000
#define TZ_MAX_TYPES 256
#define TZ_EXPAND_UNTIL_YEAR 2100

struct jc_tz {
    char *name;
    int64_t *trans;
    uint8_t *tidx;
    size_t ntrans;
    int32_t offs[TZ_MAX_TYPES];
    uint8_t isdst[TZ_MAX_TYPES];
    size_t ntypes;
    int32_t off_min;
    int32_t off_max;
    struct jc_tz *next; /* cache list */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct jc_tz *cache;

/* ---- civil dates (H. Hinnant's algorithms) ---------------------------- */

int64_t jc_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void jc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era;
    unsigned doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* 0 = Sunday */
static unsigned weekday(int64_t days)
{
    int64_t w = (days + 4) % 7;

    return (unsigned)(w < 0 ? w + 7 : w);
}

static unsigned month_len(int64_t y, unsigned m)
{
    static const unsigned ml[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : ml[m - 1];
}

/* ---- lookups ---------------------------------------------------------- */

/* Number of transitions <= u: period index. */
static size_t period_of(const struct jc_tz *tz, int64_t u)
{
    size_t lo = 0, hi = tz->ntrans;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (tz->trans[mid] <= u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int32_t period_off(const struct jc_tz *tz, size_t p)
{
    return p == 0 ? tz->offs[0] : tz->offs[tz->tidx[p - 1]];
}

int32_t jc_tz_offset_at(const struct jc_tz *tz, int64_t utc)
{
    if (!tz)
        return 0;
    return period_off(tz, period_of(tz, utc));
}

int jc_tz_local_to_utc(const struct jc_tz *tz, int64_t wall, int64_t *earliest)
{
    size_t p, p0, p1;
    int count = 0;

    if (!tz) {
        *earliest = wall;
        return 1;
    }
    p0 = period_of(tz, wall - tz->off_max);
    p1 = period_of(tz, wall - tz->off_min);
    for (p = p0; p <= p1; p++) {
        int64_t u = wall - period_off(tz, p);

        if (period_of(tz, u) != p)
            continue;
        if (count == 0 || u < *earliest)
            *earliest = u;
        count++;
    }
    return count;
}

void jc_tz_offset_range(const struct jc_tz *tz, int32_t *min, int32_t *max)
{
    *min = tz ? tz->off_min : 0;
    *max = tz ? tz->off_max : 0;
}

void jc_tz_offset_range_from(const struct jc_tz *tz, int64_t utc, int32_t *min,
                             int32_t *max)
{
    size_t p;

    if (!tz) {
        *min = *max = 0;
        return;
    }
    p = period_of(tz, utc);
    *min = *max = period_off(tz, p);
    for (p = p + 1; p <= tz->ntrans; p++) {
        int32_t o = period_off(tz, p);

        if (o < *min)
            *min = o;
        if (o > *max)
            *max = o;
    }
}

const char *jc_tz_name(const struct jc_tz *tz)
{
    return tz ? tz->name : "UTC";
}

void jc_tz_format(const struct jc_tz *tz, int64_t utc, bool local, char *buf,
                  unsigned long len)
{
    int32_t off = local ? jc_tz_offset_at(tz, utc) : 0;
    int64_t t = utc + off, days = floordiv(t, 86400), y;
    int64_t sod = t - days * 86400;
    unsigned m, d;

    jc_civil_from_days(days, &y, &m, &d);
    if (!local) {
        snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m,
                 d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    } else {
        int32_t a = off < 0 ? -off : off;

        snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02d:%02d",
                 (long long)y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60),
                 (int)(sod % 60), off < 0 ? '-' : '+', (int)(a / 3600),
                 (int)(a / 60 % 60));
    }
}

/* ---- TZif parsing ----------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
           ((uint32_t)p[2] << 8) | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)(((uint64_t)be32(p) << 32) | be32(p + 4));
}

struct tzhead {
    uint32_t isut, isstd, leap, time, type, chars;
};

static int read_head(const unsigned char *p, size_t len, struct tzhead *h)
{
    if (len < 44 || memcmp(p, "TZif", 4))
        return JC_EPARSE;
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    if (h->time > TZ_MAX_TRANS || h->type == 0 || h->type > TZ_MAX_TYPES ||
        h->chars > 65536 || h->leap > 10000 ||
        (h->isut && h->isut != h->type) || (h->isstd && h->isstd != h->type))
        return JC_EPARSE;
    return 0;
}

static size_t body_len(const struct tzhead *h, unsigned tsize)
{
    return (size_t)h->time * tsize + h->time + (size_t)h->type * 6 + h->chars +
           (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

/* POSIX TZ string pieces */
static const char *ptz_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');

        return e ? e + 1 : NULL;
    }
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')))
        return NULL;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
        s++;
    return s;
}

static const char *ptz_time(const char *s, int32_t *out)
{
    int sign = 1;
    long v[3] = {0, 0, 0};
    int i;
    char *end;

    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    for (i = 0; i < 3; i++) {
        if (*s < '0' || *s > '9')
            return NULL;
        v[i] = strtol(s, &end, 10);
        if (v[i] > 167)
            return NULL;
        s = end;
        if (*s != ':')
            break;
        s++;
    }
    *out = (int32_t)(sign * (v[0] * 3600 + v[1] * 60 + v[2]));
    return s;
}

struct ptz_rule {
    char kind; /* 'J', 'N', 'M' */
    int a, b, c;
    int32_t time;
};

static const char *ptz_rule(const char *s, struct ptz_rule *r)
{
    char *end;

    r->time = 7200;
    if (*s == 'J') {
        r->kind = 'J';
        r->a = (int)strtol(s + 1, &end, 10);
        if (end == s + 1 || r->a < 1 || r->a > 365)
            return NULL;
        s = end;
    } else if (*s == 'M') {
        r->kind = 'M';
        r->a = (int)strtol(s + 1, &end, 10);
        if (end == s + 1 || *end != '.' || r->a < 1 || r->a > 12)
            return NULL;
        s = end + 1;
        r->b = (int)strtol(s, &end, 10);
        if (end == s || *end != '.' || r->b < 1 || r->b > 5)
            return NULL;
        s = end + 1;
        r->c = (int)strtol(s, &end, 10);
        if (end == s || r->c < 0 || r->c > 6)
            return NULL;
        s = end;
    } else if (*s >= '0' && *s <= '9') {
        r->kind = 'N';
        r->a = (int)strtol(s, &end, 10);
        if (r->a > 365)
            return NULL;
        s = end;
    } else {
        return NULL;
    }
    if (*s == '/') {
        s = ptz_time(s + 1, &r->time);
        if (!s)
            return NULL;
    }
    return s;
}

/* Local seconds (since epoch, local clock) of the rule's instant in y. */
static int64_t rule_local(const struct ptz_rule *r, int64_t y)
{
    int64_t day;

    if (r->kind == 'J') {
        day = jc_days_from_civil(y, 1, 1) + r->a - 1;
        if (month_len(y, 2) == 29 && r->a >= 60)
            day++;
    } else if (r->kind == 'N') {
        day = jc_days_from_civil(y, 1, 1) + r->a;
    } else {
        int64_t first = jc_days_from_civil(y, (unsigned)r->a, 1);
        unsigned wd0 = weekday(first);
        int64_t dom = 1 + ((unsigned)r->c + 7 - wd0) % 7 + 7 * (r->b - 1);

        while (dom > month_len(y, (unsigned)r->a))
            dom -= 7;
        day = first + dom - 1;
    }
    return day * 86400 + r->time;
}

static int type_for(struct jc_tz *tz, int32_t off, uint8_t isdst)
{
    size_t i;

    for (i = 0; i < tz->ntypes; i++)
        if (tz->offs[i] == off && tz->isdst[i] == isdst)
            return (int)i;
    if (tz->ntypes >= TZ_MAX_TYPES)
        return -1;
    tz->offs[tz->ntypes] = off;
    tz->isdst[tz->ntypes] = isdst;
    return (int)tz->ntypes++;
}

struct gen {
    int64_t t;
    int type;
};

static int gen_cmp(const void *a, const void *b)
{
    const struct gen *x = a, *y = b;

    return x->t < y->t ? -1 : x->t > y->t;
}

/* Expand the footer rule; quietly ignores footers it does not grasp. */
static void apply_footer(struct jc_tz *tz, const char *s)
{
    int32_t std, dst;
    struct ptz_rule r1, r2;
    const char *p = ptz_name(s);
    int tstd, tdst;
    int64_t y, y0 = 1970, last;
    struct gen *g;
    size_t ng = 0, i;
    unsigned m, d;

    if (!p || !(p = ptz_time(p, &std)))
        return;
    std = -std;
    if (!*p) {
        /* no DST: make sure the time after the last transition is std */
        if (tz->ntrans && tz->offs[tz->tidx[tz->ntrans - 1]] != std) {
            int t = type_for(tz, std, 0);

            if (t < 0)
                return;
            tz->trans =
                ju_xrealloc(tz->trans, (tz->ntrans + 1) * sizeof(*tz->trans));
            tz->tidx = ju_xrealloc(tz->tidx, tz->ntrans + 1);
            tz->trans[tz->ntrans] = tz->trans[tz->ntrans - 1] + 1;
            tz->tidx[tz->ntrans++] = (uint8_t)t;
        } else if (!tz->ntrans) {
            tz->offs[0] = std;
        }
        return;
    }
    p = ptz_name(p);
    if (!p)
        return;
    dst = std + 3600;
    if (*p && *p != ',') {
        if (!(p = ptz_time(p, &dst)))
            return;
        dst = -dst;
    }
    if (*p != ',' || !(p = ptz_rule(p + 1, &r1)) || *p != ',' ||
        !(p = ptz_rule(p + 1, &r2)) || *p)
        return;
    tstd = type_for(tz, std, 0);
    tdst = type_for(tz, dst, 1);
    if (tstd < 0 || tdst < 0)
        return;
    last = tz->ntrans ? tz->trans[tz->ntrans - 1] : INT64_MIN;
    if (tz->ntrans) {
        jc_civil_from_days(floordiv(last, 86400), &y0, &m, &d);
    }
    g = ju_xcalloc((size_t)(TZ_EXPAND_UNTIL_YEAR - y0 + 2) * 2, sizeof(*g));
    for (y = y0; y <= TZ_EXPAND_UNTIL_YEAR; y++) {
        g[ng].t = rule_local(&r1, y) - std;
        g[ng++].type = tdst;
        g[ng].t = rule_local(&r2, y) - dst;
        g[ng++].type = tstd;
    }
    qsort(g, ng, sizeof(*g), gen_cmp);
    tz->trans = ju_xrealloc(tz->trans, (tz->ntrans + ng) * sizeof(*tz->trans));
    tz->tidx = ju_xrealloc(tz->tidx, tz->ntrans + ng);
    for (i = 0; i < ng; i++) {
        if (g[i].t <= last)
            continue;
        tz->trans[tz->ntrans] = g[i].t;
        tz->tidx[tz->ntrans++] = (uint8_t)g[i].type;
        last = g[i].t;
    }
    if (!tz->ntrans)
        tz->offs[0] = std;
    free(g);
}

static int parse_tzif(struct jc_tz *tz, const unsigned char *p, size_t len)
{
    struct tzhead h;
    unsigned tsize = 4;
    size_t off = 44, i;
    const unsigned char *tt, *ti, *ty;
    char footer[256] = "";

    if (read_head(p, len, &h) < 0)
        return JC_EPARSE;
    if (p[4] >= '2') {
        size_t v1 = body_len(&h, 4);

        if (44 + v1 > len || read_head(p + 44 + v1, len - 44 - v1, &h) < 0)
            return JC_EPARSE;
        off = 44 + v1 + 44;
        tsize = 8;
    }
    if (off + body_len(&h, tsize) > len)
        return JC_EPARSE;
    tt = p + off;
    ti = tt + (size_t)h.time * tsize;
    ty = ti + h.time;
    tz->ntrans = h.time;
    tz->trans = ju_xcalloc(h.time + 1, sizeof(*tz->trans));
    tz->tidx = ju_xcalloc(h.time + 1, 1);
    for (i = 0; i < h.time; i++) {
        tz->trans[i] =
            tsize == 8 ? be64(tt + i * 8) : (int64_t)(int32_t)be32(tt + i * 4);
        tz->tidx[i] = ti[i];
        if (ti[i] >= h.type || (i && tz->trans[i] <= tz->trans[i - 1]))
            return JC_EPARSE;
    }
    tz->ntypes = h.type;
    for (i = 0; i < h.type; i++) {
        int32_t o = (int32_t)be32(ty + i * 6);

        if (o < -25 * 3600 || o > 26 * 3600)
            return JC_EPARSE;
        tz->offs[i] = o;
        tz->isdst[i] = ty[i * 6 + 4] ? 1 : 0;
    }
    if (tsize == 8) {
        size_t fo = off + body_len(&h, 8);

        if (fo < len && p[fo] == '\n') {
            const unsigned char *e = memchr(p + fo + 1, '\n', len - fo - 1);

            if (e && (size_t)(e - (p + fo + 1)) < sizeof(footer)) {
                memcpy(footer, p + fo + 1, (size_t)(e - (p + fo + 1)));
                footer[e - (p + fo + 1)] = '\0';
            }
        }
    }
    if (footer[0])
        apply_footer(tz, footer);
    tz->off_min = tz->off_max = tz->offs[0];
    for (i = 0; i < tz->ntypes; i++) {
        if (tz->offs[i] < tz->off_min)
            tz->off_min = tz->offs[i];
        if (tz->offs[i] > tz->off_max)
            tz->off_max = tz->offs[i];
    }
    return 0;
}

static bool name_ok(const char *name)
{
    const char *s;

    if (!name || !*name || strlen(name) > 200 || name[0] == '/' ||
        strstr(name, ".."))
        return false;
    for (s = name; *s; s++) {
        char c = *s;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '+' ||
              c == '/'))
            return false;
    }
    return true;
}

static void tz_free(struct jc_tz *tz)
{
    if (!tz)
        return;
    free(tz->name);
    free(tz->trans);
    free(tz->tidx);
    free(tz);
}

static int load_uncached(struct jc_tz **out, const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    unsigned char *data;
    size_t len = 0, n;
    FILE *f;
    struct jc_tz *tz;
    int rc;

    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "rb");
    if (!f) {
        if (!strcmp(name, "UTC") || !strcmp(name, "Etc/UTC") ||
            !strcmp(name, "GMT")) {
            tz = ju_xcalloc(1, sizeof(*tz));
            tz->name = ju_xstrdup(name);
            tz->ntypes = 1;
            *out = tz;
            return 0;
        }
        return jc_err_set(JC_ENOTFOUND, "unknown time zone '%s'", name);
    }
    data = ju_xmalloc(TZ_MAX_FILE);
    while ((n = fread(data + len, 1, TZ_MAX_FILE - len, f)) > 0)
        len += n;
    fclose(f);
    tz = ju_xcalloc(1, sizeof(*tz));
    tz->name = ju_xstrdup(name);
    rc = parse_tzif(tz, data, len);
    free(data);
    if (rc < 0) {
        tz_free(tz);
        if (len < 4)
            return jc_err_set(JC_ENOTFOUND, "unknown time zone '%s'", name);
        return jc_err_set(JC_EPARSE, "time zone file '%s' is not valid TZif",
                          path);
    }
    *out = tz;
    return 0;
}

int jc_tz_load(const struct jc_tz **out, const char *name)
{
    struct jc_tz *tz;
    int rc;

    *out = NULL;
    if (!name_ok(name))
        return jc_err_set(JC_ENOTFOUND, "unknown time zone '%s'",
                          name ? name : "");
    pthread_mutex_lock(&cache_lock);
    for (tz = cache; tz; tz = tz->next) {
        if (!strcmp(tz->name, name)) {
            pthread_mutex_unlock(&cache_lock);
            *out = tz;
            return 0;
        }
    }
    rc = load_uncached(&tz, name);
    if (rc == 0) {
        tz->next = cache;
        cache = tz;
        *out = tz;
    }
    pthread_mutex_unlock(&cache_lock);
    return rc;
}
