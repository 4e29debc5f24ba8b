/*
 * api_page.c: API 2.2 array paging inside one object (jobs/get, runs/get):
 * at most API_PAGE_SIZE elements of each big array per response and an
 * opaque, checksummed next_page_token that records, per array, the next
 * offset and the array's length when the first page was read.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/mem.h"

#define TOKEN_MAX 1024 /* hex characters accepted in a page_token */

static uint64_t fnv1a(const char *s, size_t n, uint64_t h)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static uint64_t checksum(const char *s, size_t n)
{
    static const char salt[] = "jobctl-page-token-v1";

    return fnv1a(s, n, fnv1a(salt, sizeof(salt) - 1, 1469598103934665603ULL));
}

int64_t api_page_hash(const char *s)
{
    return (int64_t)(checksum(s, strlen(s)) & 0x7fffffffffffffffULL);
}

char *api_page_token(const struct api_page *p)
{
    struct ju_buf t = JU_BUF_INIT;
    struct ju_buf hex = JU_BUF_INIT;
    size_t i;
    uint64_t sum;

    ju_buf_addf(&t, "%c.%lld.%lld", p->kind, (long long)p->id,
                (long long)p->snap);
    for (i = 0; i < API_PAGE_NARRAYS; i++)
        ju_buf_addf(&t, ".%lld.%lld", (long long)p->off[i],
                    (long long)p->end[i]);
    sum = checksum(t.data, t.len);
    ju_buf_addf(&t, ".%016llx", (unsigned long long)sum);
    for (i = 0; i < t.len; i++)
        ju_buf_addf(&hex, "%02x", (unsigned char)t.data[i]);
    ju_buf_release(&t);
    return ju_buf_detach(&hex, NULL);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

/* Parse "<int>" up to the next '.' or the end; advances *s. */
static bool next_int(const char **s, int64_t *out)
{
    char *end;
    long long v;

    if (**s != '.')
        return false;
    (*s)++;
    if (!(**s >= '0' && **s <= '9'))
        return false;
    errno = 0;
    v = strtoll(*s, &end, 10);
    if (errno || v < 0)
        return false;
    *s = end;
    *out = v;
    return true;
}

/* Decode and check a token; false when it is not one of ours. */
static bool decode(const char *tok, struct api_page *p)
{
    size_t n = strlen(tok);
    char text[TOKEN_MAX / 2 + 1];
    const char *s;
    const char *dot;
    size_t i;
    char *end;
    unsigned long long sum;

    if (!n || n > TOKEN_MAX || n % 2)
        return false;
    for (i = 0; i < n; i += 2) {
        int hi = hexval(tok[i]);
        int lo = hexval(tok[i + 1]);

        if (hi < 0 || lo < 0)
            return false;
        text[i / 2] = (char)(hi << 4 | lo);
        if (!text[i / 2])
            return false;
    }
    text[n / 2] = '\0';
    dot = strrchr(text, '.');
    if (!dot || strlen(dot + 1) != 16)
        return false;
    errno = 0;
    sum = strtoull(dot + 1, &end, 16);
    if (errno || *end || sum != checksum(text, (size_t)(dot - text)))
        return false;
    memset(p, 0, sizeof(*p));
    p->kind = text[0];
    s = text + 1;
    if (!next_int(&s, &p->id) || !next_int(&s, &p->snap))
        return false;
    for (i = 0; i < API_PAGE_NARRAYS; i++) {
        if (!next_int(&s, &p->off[i]) || !next_int(&s, &p->end[i]))
            return false;
        if (p->off[i] > p->end[i] || p->end[i] > API_PAGE_MAX_ELEMS)
            return false;
    }
    return s == dot;
}

static const char *kind_name(char kind)
{
    return kind == 'j' ? "jobs/get" : kind == 'r' ? "runs/get" : "?";
}

static const char *id_name(char kind)
{
    return kind == 'j' ? "job" : "run";
}

int api_page_from_query(struct api_ctx *c, char kind, int64_t id,
                        struct api_page *p)
{
    char *tok = jc_http_query_get(c->req, "page_token");
    struct api_page t;

    memset(p, 0, sizeof(*p));
    p->kind = kind;
    p->id = id;
    if (!tok || !*tok) {
        free(tok);
        return 0;
    }
    if (!decode(tok, &t)) {
        free(tok);
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Invalid page_token: not a token returned by this "
                  "server's %s",
                  kind_name(kind));
        return -1;
    }
    free(tok);
    if (t.kind != kind) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Invalid page_token: it was returned by %s, not %s",
                  kind_name(t.kind), kind_name(kind));
        return -1;
    }
    if (t.id != id) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Invalid page_token: it belongs to %s %lld, not %s %lld",
                  id_name(kind), (long long)t.id, id_name(kind),
                  (long long)id);
        return -1;
    }
    *p = t;
    return 1;
}

void api_page_apply(json_t *root, json_t *obj, const char *const *names,
                    struct api_page *p, bool first)
{
    size_t i;
    bool more = false;

    for (i = 0; i < API_PAGE_NARRAYS && names[i]; i++) {
        json_t *arr = json_object_get(obj, names[i]);
        size_t len = json_is_array(arr) ? json_array_size(arr) : 0;
        size_t end;
        size_t from;
        size_t to;
        json_t *slice;
        size_t k;

        if (first) {
            p->off[i] = 0;
            p->end[i] = len > API_PAGE_MAX_ELEMS ? API_PAGE_MAX_ELEMS
                                                 : (int64_t)len;
        }
        end = (size_t)p->end[i] < len ? (size_t)p->end[i] : len;
        from = (size_t)p->off[i] < end ? (size_t)p->off[i] : end;
        to = end - from > API_PAGE_SIZE ? from + API_PAGE_SIZE : end;
        if (!json_is_array(arr))
            continue;
        if (!first && from == to) {
            json_object_del(obj, names[i]); /* exhausted: omitted */
            continue;
        }
        if (from != 0 || to != len) {
            slice = json_array();
            for (k = from; k < to; k++)
                json_array_append(slice, json_array_get(arr, k));
            json_object_set_new(obj, names[i], slice);
        }
        p->off[i] = (int64_t)to;
        if (to < (size_t)p->end[i] && to < len)
            more = true;
    }
    if (more) {
        char *t = api_page_token(p);

        json_object_set_new(root, "next_page_token", json_string(t));
        free(t);
    } else {
        json_object_del(root, "next_page_token");
    }
}

bool api_page_truncate(json_t *obj, const char *const *names)
{
    bool cut = false;
    size_t i;

    for (i = 0; names[i]; i++) {
        json_t *arr = json_object_get(obj, names[i]);

        while (json_is_array(arr) && json_array_size(arr) > API_PAGE_SIZE) {
            json_array_remove(arr, json_array_size(arr) - 1);
            cut = true;
        }
    }
    return cut;
}
