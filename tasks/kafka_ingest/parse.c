/*
 * parse.c: hand-written JSON scanner for the event schema (see parse.h).
 * No allocation and no general-purpose JSON tree: the fast path walks the
 * bytes once and returns slices of the payload; escapes are decoded into
 * a caller-provided scratch buffer.
 */
#include "parse.h"

#include <stdio.h>
#include <string.h>

struct scan {
    const char *p;
    const char *s; /* start, for offsets */
    const char *e;
    char *err;
    size_t errn;
    struct ingest_scratch *scratch;
};

static int fail(struct scan *sc, const char *msg)
{
    snprintf(sc->err, sc->errn, "byte %zu: %s", (size_t)(sc->p - sc->s), msg);
    return -1;
}

static inline void skip_ws(struct scan *sc)
{
    /* Compact payloads have no whitespace: one compare rules it out. */
    while (sc->p < sc->e && (unsigned char)*sc->p <= ' ' &&
           (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\r' ||
            *sc->p == '\t'))
        sc->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int read_hex4(struct scan *sc, unsigned *out)
{
    unsigned v = 0;
    int i;

    if (sc->e - sc->p < 4)
        return fail(sc, "truncated \\u escape");
    for (i = 0; i < 4; i++) {
        int h = hexval(sc->p[i]);
        if (h < 0)
            return fail(sc, "invalid \\u escape");
        v = v << 4 | (unsigned)h;
    }
    sc->p += 4;
    *out = v;
    return 0;
}

/* Length of a valid UTF-8 sequence at p (< e), or 0. */
static size_t utf8_len(const unsigned char *p, const unsigned char *e)
{
    unsigned c = p[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        if (e - p >= 2 && (p[1] & 0xc0) == 0x80)
            return 2;
        return 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (e - p < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && p[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && p[1] >= 0xa0)
            return 0; /* surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (e - p < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
            (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90)
            return 0;
        if (c == 0xf4 && p[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Bytes that end the plain-ASCII fast path of a string: '"', '\\',
 * control characters and non-ASCII (UTF-8 lead/continuation bytes). */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/*
 * Scan a string starting at '"'. When out is non-NULL, the decoded value is
 * stored (slice of the payload when it has no escapes, else in scratch).
 */
static int scan_string(struct scan *sc, struct ingest_str *out)
{
    const char *start;
    char *o = NULL, *ostart = NULL;
    size_t cap = 0;

    if (sc->p >= sc->e || *sc->p != '"')
        return fail(sc, "expected a string");
    start = ++sc->p;
    /* Fast path: plain ASCII without escapes: 8 bytes at a time while none
     * can be '"', '\\', a control character or non-ASCII (the word test
     * may stop early, never late), then one table lookup a byte. */
    {
        const unsigned char *q = (const unsigned char *)sc->p;
        const unsigned char *qe = (const unsigned char *)sc->e;
        const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
        while (qe - q >= 8) {
            uint64_t x, t;
            memcpy(&x, q, 8);
            t = (x - ones * 0x20) | ((x ^ ones * 0x22) - ones) |
                ((x ^ ones * 0x5c) - ones) | x;
            if (t & high)
                break;
            q += 8;
        }
        while (q < qe && !str_stop[*q])
            q++;
        sc->p = (const char *)q;
    }
    if (sc->p < sc->e && *sc->p == '"') {
        if (out) {
            if ((size_t)(sc->p - start) > INGEST_MAX_FIELD)
                return fail(sc, "string too long");
            out->p = start;
            out->n = (size_t)(sc->p - start);
        }
        sc->p++;
        return 0;
    }
    if (sc->p >= sc->e)
        return fail(sc, "unterminated string");
    /* Slow path: escapes or non-ASCII; decode into scratch. */
    if (out) {
        size_t have = (size_t)(sc->p - start);
        cap = INGEST_MAX_FIELD;
        if (have > cap || sc->scratch->used + cap > sizeof(sc->scratch->buf))
            return fail(sc, "string too long");
        ostart = o = sc->scratch->buf + sc->scratch->used;
        memcpy(o, start, have);
        o += have;
    }
    while (sc->p < sc->e) {
        unsigned char c = (unsigned char)*sc->p;
        char tmp[4];
        size_t tn = 0;

        if (c == '"') {
            if (out) {
                out->p = ostart;
                out->n = (size_t)(o - ostart);
                sc->scratch->used += out->n;
            }
            sc->p++;
            return 0;
        }
        if (c < 0x20)
            return fail(sc, "control character in string");
        if (c == '\\') {
            sc->p++;
            if (sc->p >= sc->e)
                return fail(sc, "unterminated string");
            switch (*sc->p++) {
            case '"':
                tmp[0] = '"';
                tn = 1;
                break;
            case '\\':
                tmp[0] = '\\';
                tn = 1;
                break;
            case '/':
                tmp[0] = '/';
                tn = 1;
                break;
            case 'b':
                tmp[0] = '\b';
                tn = 1;
                break;
            case 'f':
                tmp[0] = '\f';
                tn = 1;
                break;
            case 'n':
                tmp[0] = '\n';
                tn = 1;
                break;
            case 'r':
                tmp[0] = '\r';
                tn = 1;
                break;
            case 't':
                tmp[0] = '\t';
                tn = 1;
                break;
            case 'u': {
                unsigned cp, lo;
                if (read_hex4(sc, &cp))
                    return -1;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return fail(sc, "unpaired surrogate in \\u escape");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (sc->e - sc->p < 2 || sc->p[0] != '\\' ||
                        sc->p[1] != 'u')
                        return fail(sc, "unpaired surrogate in \\u escape");
                    sc->p += 2;
                    if (read_hex4(sc, &lo))
                        return -1;
                    if (lo < 0xdc00 || lo > 0xdfff)
                        return fail(sc, "unpaired surrogate in \\u escape");
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                tn = put_utf8(tmp, cp);
                break;
            }
            default:
                sc->p--;
                return fail(sc, "invalid escape");
            }
        } else if (c >= 0x80) {
            size_t k = utf8_len((const unsigned char *)sc->p,
                                (const unsigned char *)sc->e);
            if (!k)
                return fail(sc, "invalid UTF-8 in string");
            memcpy(tmp, sc->p, k);
            tn = k;
            sc->p += k;
        } else {
            tmp[0] = (char)c;
            tn = 1;
            sc->p++;
        }
        if (out) {
            if ((size_t)(o - ostart) + tn > cap)
                return fail(sc, "string too long");
            memcpy(o, tmp, tn);
            o += tn;
        }
    }
    return fail(sc, "unterminated string");
}

static int scan_number(struct scan *sc)
{
    const char *st = sc->p;

    if (sc->p < sc->e && *sc->p == '-')
        sc->p++;
    if (sc->p >= sc->e)
        return fail(sc, "invalid number");
    if (*sc->p == '0') {
        sc->p++;
    } else if (*sc->p >= '1' && *sc->p <= '9') {
        while (sc->p < sc->e && *sc->p >= '0' && *sc->p <= '9')
            sc->p++;
    } else {
        return fail(sc, "invalid number");
    }
    if (sc->p < sc->e && *sc->p == '.') {
        sc->p++;
        if (sc->p >= sc->e || *sc->p < '0' || *sc->p > '9')
            return fail(sc, "invalid number");
        while (sc->p < sc->e && *sc->p >= '0' && *sc->p <= '9')
            sc->p++;
    }
    if (sc->p < sc->e && (*sc->p == 'e' || *sc->p == 'E')) {
        sc->p++;
        if (sc->p < sc->e && (*sc->p == '+' || *sc->p == '-'))
            sc->p++;
        if (sc->p >= sc->e || *sc->p < '0' || *sc->p > '9')
            return fail(sc, "invalid number");
        while (sc->p < sc->e && *sc->p >= '0' && *sc->p <= '9')
            sc->p++;
    }
    (void)st;
    return 0;
}

static int scan_literal(struct scan *sc, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(sc->e - sc->p) < n || memcmp(sc->p, lit, n))
        return fail(sc, "invalid literal");
    sc->p += n;
    return 0;
}

/* Skip any JSON value (unknown fields). */
static int skip_value(struct scan *sc, int depth)
{
    if (depth > INGEST_MAX_DEPTH)
        return fail(sc, "nesting too deep");
    skip_ws(sc);
    if (sc->p >= sc->e)
        return fail(sc, "expected a value");
    switch (*sc->p) {
    case '"':
        return scan_string(sc, NULL);
    case 't':
        return scan_literal(sc, "true");
    case 'f':
        return scan_literal(sc, "false");
    case 'n':
        return scan_literal(sc, "null");
    case '{':
        sc->p++;
        skip_ws(sc);
        if (sc->p < sc->e && *sc->p == '}') {
            sc->p++;
            return 0;
        }
        for (;;) {
            skip_ws(sc);
            if (scan_string(sc, NULL))
                return -1;
            skip_ws(sc);
            if (sc->p >= sc->e || *sc->p != ':')
                return fail(sc, "expected ':'");
            sc->p++;
            if (skip_value(sc, depth + 1))
                return -1;
            skip_ws(sc);
            if (sc->p < sc->e && *sc->p == ',') {
                sc->p++;
                continue;
            }
            if (sc->p < sc->e && *sc->p == '}') {
                sc->p++;
                return 0;
            }
            return fail(sc, "expected ',' or '}'");
        }
    case '[':
        sc->p++;
        skip_ws(sc);
        if (sc->p < sc->e && *sc->p == ']') {
            sc->p++;
            return 0;
        }
        for (;;) {
            if (skip_value(sc, depth + 1))
                return -1;
            skip_ws(sc);
            if (sc->p < sc->e && *sc->p == ',') {
                sc->p++;
                continue;
            }
            if (sc->p < sc->e && *sc->p == ']') {
                sc->p++;
                return 0;
            }
            return fail(sc, "expected ',' or ']'");
        }
    default:
        if (*sc->p == '-' || (*sc->p >= '0' && *sc->p <= '9'))
            return scan_number(sc);
        return fail(sc, "expected a value");
    }
}

static int two(const char *s)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    return (s[0] - '0') * 10 + (s[1] - '0');
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
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

/* The date part "YYYY-MM-DD" of a timestamp (s has >= 10 bytes) to days
 * since the epoch. 0 ok, -1 invalid. */
static int parse_date(const char *s, int64_t *days)
{
    static const unsigned char mdays[12] = {31, 29, 31, 30, 31, 30,
                                            31, 31, 30, 31, 30, 31};
    int y1, y2, mo, d, leap;

    if (s[4] != '-' || s[7] != '-')
        return -1;
    y1 = two(s);
    y2 = two(s + 2);
    mo = two(s + 5);
    d = two(s + 8);
    if (y1 < 0 || y2 < 0 || mo < 1 || mo > 12 || d < 1)
        return -1;
    leap = ((y1 * 100 + y2) % 4 == 0 && (y1 * 100 + y2) % 100 != 0) ||
           (y1 * 100 + y2) % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return -1;
    *days = days_from_civil(y1 * 100 + y2, (unsigned)mo, (unsigned)d);
    return 0;
}

/* The rest after a valid date part: "[T ]HH:MM:SS[.fraction][zone]". */
static int parse_time(const char *s, size_t n, int64_t days, int64_t *us)
{
    int h, mi, se, i;
    int64_t frac = 0, off = 0, secs;
    size_t k;

    if ((s[10] != 'T' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
        return -1;
    h = two(s + 11);
    mi = two(s + 14);
    se = two(s + 17);
    if (h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 || se > 59)
        return -1;
    k = 19;
    if (k < n && s[k] == '.') {
        k++;
        if (k >= n || s[k] < '0' || s[k] > '9')
            return -1;
        for (i = 0; k < n && s[k] >= '0' && s[k] <= '9'; k++, i++) {
            if (i >= 9)
                return -1;
            if (i < 6) /* microseconds: digits past the 6th are dropped */
                frac = frac * 10 + (s[k] - '0');
        }
        for (; i < 6; i++)
            frac *= 10;
    }
    if (k < n) {
        if (s[k] == 'Z' && k + 1 == n) {
            k++;
        } else if (s[k] == '+' || s[k] == '-') {
            int oh, om, sign = s[k] == '-' ? -1 : 1;
            k++;
            if (n - k == 5 && s[k + 2] == ':') {
                oh = two(s + k);
                om = two(s + k + 3);
            } else if (n - k == 4) {
                oh = two(s + k);
                om = two(s + k + 2);
            } else {
                return -1;
            }
            if (oh < 0 || oh > 23 || om < 0 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
            k = n;
        } else {
            return -1;
        }
    }
    if (k != n)
        return -1;
    secs = days * 86400 + h * 3600 + mi * 60 + se - off;
    *us = secs * 1000000 + frac;
    return 0;
}

int ingest_parse_timestamp(const char *s, size_t n, int64_t *us)
{
    int64_t days;

    if (n < 19 || parse_date(s, &days))
        return -1;
    return parse_time(s, n, days, us);
}

/* ingest_parse_timestamp with the scratch's date cache. */
static int parse_timestamp_cached(const char *s, size_t n,
                                  struct ingest_scratch *sc, int64_t *us)
{
    if (n < 19)
        return -1;
    if (!sc->date_ok || memcmp(s, sc->date, 10)) {
        int64_t days;
        if (parse_date(s, &days))
            return -1;
        memcpy(sc->date, s, 10);
        sc->date_days = days;
        sc->date_ok = 1;
    }
    return parse_time(s, n, sc->date_days, us);
}

enum { F_ID = 1, F_TYPE = 2, F_TS = 4, F_VALUE = 8, F_ALL = 15 };

static int field_of(const struct ingest_str *k)
{
    switch (k->n) {
    case 5:
        return !memcmp(k->p, "value", 5) ? F_VALUE : 0;
    case 8:
        return !memcmp(k->p, "event_id", 8) ? F_ID : 0;
    case 9:
        return !memcmp(k->p, "timestamp", 9) ? F_TS : 0;
    case 10:
        return !memcmp(k->p, "event_type", 10) ? F_TYPE : 0;
    default:
        return 0;
    }
}

static size_t key_len(int f)
{
    switch (f) {
    case F_ID:
        return 8;
    case F_TYPE:
        return 10;
    case F_TS:
        return 9;
    default:
        return 5;
    }
}

/* The field whose quoted name starts at p (a '"', the name, a '"'), or 0
 * when it is anything else (other keys, escapes: the general path). */
static inline int key_fast(const char *p, const char *e)
{
    size_t room = (size_t)(e - p);

    if (room < 7 || p[0] != '"')
        return 0;
    switch (p[1]) {
    case 'e':
        if (room >= 10 && !memcmp(p, "\"event_id\"", 10))
            return F_ID;
        if (room >= 12 && !memcmp(p, "\"event_type\"", 12))
            return F_TYPE;
        return 0;
    case 't':
        return room >= 11 && !memcmp(p, "\"timestamp\"", 11) ? F_TS : 0;
    case 'v':
        return !memcmp(p, "\"value\"", 7) ? F_VALUE : 0;
    default:
        return 0;
    }
}

static const char *field_name(int f)
{
    switch (f) {
    case F_ID:
        return "event_id";
    case F_TYPE:
        return "event_type";
    case F_TS:
        return "timestamp";
    default:
        return "value";
    }
}

int ingest_parse_event(const char *p, size_t n, struct ingest_event *ev,
                       struct ingest_scratch *scratch, char *err, size_t errn)
{
    struct scan sc;
    int seen = 0;

    sc.p = sc.s = p;
    sc.e = p + n;
    sc.err = err;
    sc.errn = errn;
    sc.scratch = scratch;
    scratch->used = 0;
    if (n > INGEST_MAX_PAYLOAD) {
        snprintf(err, errn, "payload too large (%zu bytes, limit %d)", n,
                 INGEST_MAX_PAYLOAD);
        return -1;
    }
    skip_ws(&sc);
    if (sc.p >= sc.e || *sc.p != '{')
        return fail(&sc, "expected '{'");
    sc.p++;
    skip_ws(&sc);
    if (sc.p < sc.e && *sc.p == '}') {
        sc.p++;
    } else {
        for (;;) {
            struct ingest_str key;
            struct ingest_str *dst = NULL;
            int f;

            skip_ws(&sc);
            /* Fast path: one of our keys written plainly ("event_id":). */
            f = key_fast(sc.p, sc.e);
            if (f) {
                sc.p += key_len(f) + 2;
            } else {
                if (scan_string(&sc, &key))
                    return -1;
                f = field_of(&key);
            }
            skip_ws(&sc);
            if (sc.p >= sc.e || *sc.p != ':')
                return fail(&sc, "expected ':'");
            sc.p++;
            skip_ws(&sc);
            if (f) {
                if (seen & f) {
                    snprintf(err, errn, "byte %zu: duplicate field '%s'",
                             (size_t)(sc.p - sc.s), field_name(f));
                    return -1;
                }
                seen |= f;
                switch (f) {
                case F_ID:
                    dst = &ev->event_id;
                    break;
                case F_TYPE:
                    dst = &ev->event_type;
                    break;
                case F_TS:
                    dst = &ev->timestamp;
                    break;
                default:
                    dst = &ev->value;
                    break;
                }
                if (sc.p >= sc.e || *sc.p != '"') {
                    snprintf(err, errn, "byte %zu: field '%s' must be a string",
                             (size_t)(sc.p - sc.s), field_name(f));
                    return -1;
                }
                if (scan_string(&sc, dst))
                    return -1;
            } else if (skip_value(&sc, 1)) {
                return -1;
            }
            skip_ws(&sc);
            if (sc.p < sc.e && *sc.p == ',') {
                sc.p++;
                continue;
            }
            if (sc.p < sc.e && *sc.p == '}') {
                sc.p++;
                break;
            }
            return fail(&sc, "expected ',' or '}'");
        }
    }
    skip_ws(&sc);
    if (sc.p != sc.e)
        return fail(&sc, "trailing data after the object");
    if (seen != F_ALL) {
        int f;
        for (f = 1; f < F_ALL; f <<= 1) {
            if (!(seen & f)) {
                snprintf(err, errn, "missing field '%s'", field_name(f));
                return -1;
            }
        }
    }
    if (parse_timestamp_cached(ev->timestamp.p, ev->timestamp.n, scratch,
                               &ev->ts_us)) {
        snprintf(err, errn, "field 'timestamp' is not an ISO-8601 time");
        return -1;
    }
    return 0;
}
