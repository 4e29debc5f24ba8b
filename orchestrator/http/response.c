/*
 * response.c: building and serialising HTTP/1.1 responses: status line,
 * Content-Type/Length, keep-alive, extra headers, HEAD without a body.
 */
#include "http/http.h"

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

    ju_buf_addf(out, "HTTP/1.1 %d %s\r\nServer: jobctl\r\n", resp->status,
                jc_http_status_text(resp->status));
    if (resp->content_type)
        ju_buf_addf(out, "Content-Type: %s\r\n", resp->content_type);
    if (!nobody)
        ju_buf_addf(out, "Content-Length: %zu\r\n", resp->body.len);
    ju_buf_adds(out, ka ? "Connection: keep-alive\r\n"
                        : "Connection: close\r\n");
    ju_buf_add(out, ju_buf_str(&resp->headers), resp->headers.len);
    ju_buf_adds(out, "\r\n");
    if (!head_only && !nobody)
        ju_buf_add(out, ju_buf_str(&resp->body), resp->body.len);
    return 0;
}
