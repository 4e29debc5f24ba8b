/*
 * request.c: turn a byte stream into struct jc_http_request values using
 * the http-parser library, enforcing the URL, header and body caps of
 * http.h. No sockets here, so the fuzz target drives it directly.
 */
#include "http/http.h"

#include <ctype.h>
#include <http_parser.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

struct jc_http_reqparser {
    http_parser parser;
    http_parser_settings settings;
    jc_http_request_cb on_request;
    void *ud;
    bool loopback;

    struct jc_http_request req;
    size_t headers_alloc;
    struct ju_buf url;
    struct ju_buf field;
    struct ju_buf value;
    bool in_value;
    size_t header_bytes;
    struct ju_buf body;
    bool in_request;
    bool want_continue; /* Expect: 100-continue seen, not yet answered */
    int fail_status; /* set by callbacks to stop parsing */
};

static void req_reset(struct jc_http_reqparser *p)
{
    size_t i;

    for (i = 0; i < p->req.nheaders; i++) {
        free(p->req.headers[i].name);
        free(p->req.headers[i].value);
    }
    p->req.nheaders = 0;
    JU_FREE(p->req.url);
    JU_FREE(p->req.path);
    p->req.query = NULL;
    p->req.body = NULL;
    p->req.body_len = 0;
    p->req.method[0] = '\0';
    ju_buf_reset(&p->url);
    ju_buf_reset(&p->field);
    ju_buf_reset(&p->value);
    ju_buf_reset(&p->body);
    p->in_value = false;
    p->header_bytes = 0;
}

static struct jc_http_reqparser *from(http_parser *hp)
{
    return hp->data;
}

static int on_message_begin(http_parser *hp)
{
    struct jc_http_reqparser *p = from(hp);

    req_reset(p);
    p->in_request = true;
    return 0;
}

static int on_url(http_parser *hp, const char *at, size_t len)
{
    struct jc_http_reqparser *p = from(hp);

    p->in_request = true;
    if (ju_buf_add(&p->url, at, len)) {
        p->fail_status = 414;
        return -1;
    }
    return 0;
}

static int flush_header(struct jc_http_reqparser *p)
{
    struct jc_http_header *h;

    if (!p->field.len)
        return 0;
    if (p->req.nheaders >= JC_HTTP_MAX_HEADERS) {
        p->fail_status = 431;
        return -1;
    }
    JU_ALLOC_GROW(p->req.headers, p->req.nheaders + 1, p->headers_alloc);
    h = &p->req.headers[p->req.nheaders++];
    h->name = ju_xstrndup(p->field.data, p->field.len);
    h->value = ju_xstrndup(p->value.len ? p->value.data : "", p->value.len);
    ju_buf_reset(&p->field);
    ju_buf_reset(&p->value);
    return 0;
}

static int add_header_bytes(struct jc_http_reqparser *p, size_t len)
{
    p->header_bytes += len;
    if (p->header_bytes > JC_HTTP_MAX_HEADER_BYTES) {
        p->fail_status = 431;
        return -1;
    }
    return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t len)
{
    struct jc_http_reqparser *p = from(hp);

    if (p->in_value) {
        if (flush_header(p))
            return -1;
        p->in_value = false;
    }
    if (add_header_bytes(p, len))
        return -1;
    ju_buf_add(&p->field, at, len);
    return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t len)
{
    struct jc_http_reqparser *p = from(hp);

    p->in_value = true;
    if (add_header_bytes(p, len))
        return -1;
    ju_buf_add(&p->value, at, len);
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct jc_http_reqparser *p = from(hp);
    const char *u;
    const char *q;
    size_t plen;

    if (p->in_value && flush_header(p))
        return -1;
    p->in_value = false;
    if (hp->upgrade) {
        /* websocket / h2c upgrades and CONNECT are not supported */
        p->fail_status = 400;
        return -1;
    }
    if (hp->content_length != (uint64_t)-1 &&
        hp->content_length > JC_HTTP_MAX_BODY) {
        p->fail_status = 413;
        return -1;
    }
    snprintf(p->req.method, sizeof(p->req.method), "%s",
             http_method_str((enum http_method)hp->method));
    p->req.url = ju_xstrndup(ju_buf_str(&p->url), p->url.len);
    u = p->req.url;
    if (u[0] != '/') {
        /* absolute-form "http://host/path" is accepted; '*' is not */
        const char *s = strstr(u, "://");

        if (!s || !(s = strchr(s + 3, '/'))) {
            p->fail_status = 400;
            return -1;
        }
        u = s;
    }
    q = strchr(u, '?');
    plen = q ? (size_t)(q - u) : strlen(u);
    {
        const char *hash = memchr(u, '#', plen);

        if (hash)
            plen = (size_t)(hash - u);
    }
    p->req.path = jc_http_url_decode(u, plen, false);
    if (!p->req.path) {
        p->fail_status = 400;
        return -1;
    }
    p->req.query = q ? (char *)q + 1 : NULL;
    p->req.keep_alive = http_should_keep_alive(hp) != 0;
    {
        const char *ex = jc_http_header(&p->req, "Expect");

        if (ex && !strcasecmp(ex, "100-continue") &&
            hp->content_length != (uint64_t)-1 && hp->content_length > 0)
            p->want_continue = true;
    }
    p->req.loopback_peer = p->loopback;
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t len)
{
    struct jc_http_reqparser *p = from(hp);

    if (ju_buf_add(&p->body, at, len)) {
        p->fail_status = 413;
        return -1;
    }
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    struct jc_http_reqparser *p = from(hp);

    p->req.body = (char *)ju_buf_str(&p->body);
    p->req.body_len = p->body.len;
    p->req.keep_alive = http_should_keep_alive(hp) != 0;
    p->in_request = false;
    p->want_continue = false; /* the body came anyway */
    p->on_request(&p->req, p->ud);
    req_reset(p);
    return 0;
}

struct jc_http_reqparser *jc_http_reqparser_new(jc_http_request_cb on_request,
                                                void *ud)
{
    struct jc_http_reqparser *p = ju_xcalloc(1, sizeof(*p));

    http_parser_init(&p->parser, HTTP_REQUEST);
    p->parser.data = p;
    http_parser_settings_init(&p->settings);
    p->settings.on_message_begin = on_message_begin;
    p->settings.on_url = on_url;
    p->settings.on_header_field = on_header_field;
    p->settings.on_header_value = on_header_value;
    p->settings.on_headers_complete = on_headers_complete;
    p->settings.on_body = on_body;
    p->settings.on_message_complete = on_message_complete;
    p->on_request = on_request;
    p->ud = ud;
    ju_buf_init(&p->url, JC_HTTP_MAX_URL);
    ju_buf_init(&p->field, JC_HTTP_MAX_HEADER_BYTES);
    ju_buf_init(&p->value, JC_HTTP_MAX_HEADER_BYTES);
    ju_buf_init(&p->body, JC_HTTP_MAX_BODY);
    return p;
}

void jc_http_reqparser_free(struct jc_http_reqparser *p)
{
    if (!p)
        return;
    req_reset(p);
    free(p->req.headers);
    ju_buf_release(&p->url);
    ju_buf_release(&p->field);
    ju_buf_release(&p->value);
    ju_buf_release(&p->body);
    free(p);
}

void jc_http_reqparser_set_loopback(struct jc_http_reqparser *p, bool lo)
{
    p->loopback = lo;
}

bool jc_http_reqparser_in_request(const struct jc_http_reqparser *p)
{
    return p->in_request;
}

bool jc_http_reqparser_take_continue(struct jc_http_reqparser *p)
{
    bool w = p->want_continue;

    p->want_continue = false;
    return w;
}

int jc_http_reqparser_feed(struct jc_http_reqparser *p, const char *data,
                           size_t len)
{
    size_t n;
    enum http_errno e;

    if (p->fail_status)
        return p->fail_status;
    if (len && !p->in_request)
        p->in_request = true;
    n = http_parser_execute(&p->parser, &p->settings, data, len);
    e = HTTP_PARSER_ERRNO(&p->parser);
    if (p->fail_status)
        return p->fail_status;
    if (e == HPE_HEADER_OVERFLOW) {
        p->fail_status = 431;
        return 431;
    }
    if (e == HPE_INVALID_METHOD) {
        p->fail_status = 501;
        return 501;
    }
    if (e != HPE_OK || p->parser.upgrade) {
        /* upgrade (websocket, h2c) is not supported: refuse the stream */
        p->fail_status = 400;
        return 400;
    }
    if (n != len) {
        p->fail_status = 400;
        return 400;
    }
    return 0;
}

/* ---- request accessors ---- */

const char *jc_http_header(const struct jc_http_request *req,
                           const char *name)
{
    size_t i;

    for (i = 0; i < req->nheaders; i++)
        if (!strcasecmp(req->headers[i].name, name))
            return req->headers[i].value;
    return NULL;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

char *jc_http_url_decode(const char *s, size_t n, bool plus_is_space)
{
    char *out = ju_xmalloc(n + 1);
    size_t i;
    size_t o = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi;
            int lo;

            if (i + 2 >= n) {
                free(out);
                return NULL;
            }
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else if (c == '\0') {
            free(out);
            return NULL;
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

char *jc_http_query_get(const struct jc_http_request *req, const char *name)
{
    const char *q = req->query;
    size_t nlen = strlen(name);

    if (!q)
        return NULL;
    while (*q) {
        const char *amp = strchr(q, '&');
        const char *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        const char *kend = eq ? eq : end;

        if ((size_t)(kend - q) == nlen && !memcmp(q, name, nlen)) {
            if (!eq)
                return ju_xstrdup("");
            return jc_http_url_decode(eq + 1, (size_t)(end - eq - 1), true);
        }
        if (!amp)
            break;
        q = amp + 1;
    }
    return NULL;
}

char *jc_http_cookie_get(const struct jc_http_request *req, const char *name)
{
    size_t i;
    size_t nlen = strlen(name);

    for (i = 0; i < req->nheaders; i++) {
        const char *c;

        if (strcasecmp(req->headers[i].name, "Cookie"))
            continue;
        c = req->headers[i].value;
        while (*c) {
            const char *semi;
            const char *end;
            const char *eq;

            while (*c == ' ' || *c == ';')
                c++;
            semi = strchr(c, ';');
            end = semi ? semi : c + strlen(c);
            eq = memchr(c, '=', (size_t)(end - c));
            if (eq && (size_t)(eq - c) == nlen && !memcmp(c, name, nlen))
                return ju_xstrndup(eq + 1, (size_t)(end - eq - 1));
            c = end;
        }
    }
    return NULL;
}
