/*
 * response.c: building and serialising HTTP/1.1 responses: status line,
 * Content-Type/Length, keep-alive, extra headers, HEAD without a body.
 */
#include "http/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

void jc_http_resp_init(struct jc_http_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->status = 200;
    ju_buf_init(&resp->headers, 64 * 1024);
    ju_buf_init(&resp->body, 0);
}

void jc_http_resp_release(struct jc_http_response *resp)
{
    ju_buf_release(&resp->headers);
    ju_buf_release(&resp->body);
    jc_http_shared_unref(resp->shared);
    resp->shared = NULL;
}

struct jc_http_shared *jc_http_shared_new(const void *p, size_t len)
{
    struct jc_http_shared *s = ju_xmalloc(sizeof(*s) + len + 1);

    s->refs = 1;
    s->len = len;
    if (len)
        memcpy(s->data, p, len);
    s->data[len] = '\0';
    return s;
}

struct jc_http_shared *jc_http_shared_ref(struct jc_http_shared *s)
{
    if (s)
        s->refs++;
    return s;
}

void jc_http_shared_unref(struct jc_http_shared *s)
{
    if (s && --s->refs == 0)
        free(s);
}

void jc_http_resp_shared(struct jc_http_response *resp, int status,
                         const char *content_type,
                         struct jc_http_shared *body)
{
    resp->status = status;
    resp->content_type = content_type;
    ju_buf_reset(&resp->body);
    jc_http_shared_unref(resp->shared);
    resp->shared = jc_http_shared_ref(body);
}

const char *jc_http_resp_body(const struct jc_http_response *resp,
                              size_t *len)
{
    if (resp->shared) {
        *len = resp->shared->len;
        return resp->shared->data;
    }
    *len = resp->body.len;
    return ju_buf_str(&resp->body);
}

static bool safe_header_text(const char *s)
{
    return !strpbrk(s, "\r\n");
}

void jc_http_resp_header(struct jc_http_response *resp, const char *name,
                         const char *value)
{
    if (!safe_header_text(name) || !safe_header_text(value))
        return;
    ju_buf_addf(&resp->headers, "%s: %s\r\n", name, value);
}

void jc_http_resp_text(struct jc_http_response *resp, int status,
                       const char *content_type, const char *text)
{
    resp->status = status;
    resp->content_type = content_type;
    ju_buf_reset(&resp->body);
    ju_buf_adds(&resp->body, text);
    jc_http_shared_unref(resp->shared);
    resp->shared = NULL;
}

const char *jc_http_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

int jc_http_resp_serialize(const struct jc_http_response *resp,
                           bool keep_alive, bool head_only,
                           struct ju_buf *out)
{
    bool ka = keep_alive && !resp->close;
    bool nobody = resp->status == 204 || resp->status == 304;
    size_t blen;
    const char *body = jc_http_resp_body(resp, &blen);
    char line[160];
    int n;

    /* one formatted line for status + fixed headers, then plain copies */
    n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\nServer: jobctl\r\n",
                 resp->status, jc_http_status_text(resp->status));
    ju_buf_grow(out, (size_t)n + resp->headers.len + 128 +
                         (resp->content_type ? strlen(resp->content_type)
                                             : 0));
    ju_buf_add(out, line, (size_t)n);
    if (resp->content_type) {
        ju_buf_adds(out, "Content-Type: ");
        ju_buf_adds(out, resp->content_type);
        ju_buf_adds(out, "\r\n");
    }
    if (!nobody) {
        n = snprintf(line, sizeof(line), "Content-Length: %zu\r\n", blen);
        ju_buf_add(out, line, (size_t)n);
    }
    ju_buf_adds(out, ka ? "Connection: keep-alive\r\n"
                        : "Connection: close\r\n");
    ju_buf_add(out, ju_buf_str(&resp->headers), resp->headers.len);
    ju_buf_adds(out, "\r\n");
    if (!head_only && !nobody)
        ju_buf_add(out, body, blen);
    return 0;
}
