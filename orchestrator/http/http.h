/*
 * http.h: jobctl's HTTP/1.1 server on libuv (parsing by the http-parser
 * library). Knows no jobs: it parses requests with size caps and
 * slow-client deadlines, hands each complete request to a synchronous
 * handler, and writes the response (keep-alive, pipelining, HEAD).
 */
#ifndef JOBCTL_HTTP_HTTP_H
#define JOBCTL_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct uv_loop_s;

/* Hard caps on what a client may send. */
#define JC_HTTP_MAX_URL 8192
#define JC_HTTP_MAX_HEADER_BYTES 16384 /* all header names + values */
#define JC_HTTP_MAX_HEADERS 64
#define JC_HTTP_MAX_BODY (1024 * 1024)

struct jc_http_header {
    char *name; /* as sent */
    char *value;
};

struct jc_http_request {
    char method[16];    /* "GET", "POST", ... */
    char *url;          /* raw request target */
    char *path;         /* percent-decoded path, no query */
    char *query;        /* raw query string without '?', or NULL */
    struct jc_http_header *headers;
    size_t nheaders;
    char *body;         /* NUL-terminated; body_len bytes */
    size_t body_len;
    bool keep_alive;
    bool loopback_peer; /* the peer address is 127.0.0.0/8 or ::1 */
};

/*
 * An immutable, reference-counted response body (a cached page): the
 * server writes it straight from this memory and holds a reference until
 * the write completes, so a cached response is never copied per request.
 */
struct jc_http_shared {
    size_t refs;
    size_t len;
    char data[]; /* len bytes + NUL */
};

/* New shared body holding a copy of p (refs = 1). */
struct jc_http_shared *jc_http_shared_new(const void *p, size_t len);
struct jc_http_shared *jc_http_shared_ref(struct jc_http_shared *s);
void jc_http_shared_unref(struct jc_http_shared *s);

struct jc_http_response {
    int status;
    const char *content_type; /* static string; NULL = none */
    struct ju_buf headers;    /* extra "Name: value\r\n" lines */
    struct ju_buf body;
    /* when set, the body is this (body is ignored); released with resp */
    struct jc_http_shared *shared;
    bool close;               /* close the connection after this response */
};

/* Fill resp for req. Must not block. Return value is ignored. */
typedef void (*jc_http_handler_cb)(const struct jc_http_request *req,
                                   struct jc_http_response *resp, void *ud);

/* Case-insensitive header lookup; NULL when absent. Borrowed. */
const char *jc_http_header(const struct jc_http_request *req,
                           const char *name);
/*
 * Query parameter by name, percent-decoded ('+' = space) into a new
 * string the caller frees; NULL when absent.
 */
char *jc_http_query_get(const struct jc_http_request *req, const char *name);
/* Cookie value by name into a new string; NULL when absent. */
char *jc_http_cookie_get(const struct jc_http_request *req, const char *name);
/* Percent-decode n bytes of s into a new string; NULL on a bad escape or NUL. */
char *jc_http_url_decode(const char *s, size_t n, bool plus_is_space);

void jc_http_resp_init(struct jc_http_response *resp);
void jc_http_resp_release(struct jc_http_response *resp);
/* Add a header line; name/value must not contain CR or LF (else ignored). */
void jc_http_resp_header(struct jc_http_response *resp, const char *name,
                         const char *value);
/* Set status, content type and body text in one go. */
void jc_http_resp_text(struct jc_http_response *resp, int status,
                       const char *content_type, const char *text);
/* Set status, content type and a shared body (takes a new reference). */
void jc_http_resp_shared(struct jc_http_response *resp, int status,
                         const char *content_type,
                         struct jc_http_shared *body);
/* The body bytes (shared or not) and their length. */
const char *jc_http_resp_body(const struct jc_http_response *resp,
                              size_t *len);
const char *jc_http_status_text(int status);

/*
 * Serialise a response into out ("HTTP/1.1 ..." + headers + body unless
 * head_only). keep_alive decides the Connection header.
 */
int jc_http_resp_serialize(const struct jc_http_response *resp,
                           bool keep_alive, bool head_only,
                           struct ju_buf *out);

/*
 * The request parser on its own (no sockets), used by the server and the
 * fuzz target. Feed bytes; each complete request goes to on_request.
 * jc_http_reqparser_feed returns 0, or an HTTP status (400, 408, 413, 414,
 * 431, 501) describing why the stream cannot be parsed further.
 */
typedef void (*jc_http_request_cb)(struct jc_http_request *req, void *ud);

struct jc_http_reqparser;
struct jc_http_reqparser *jc_http_reqparser_new(jc_http_request_cb on_request,
                                                void *ud);
void jc_http_reqparser_free(struct jc_http_reqparser *p);
int jc_http_reqparser_feed(struct jc_http_reqparser *p, const char *data,
                           size_t len);
/* True when bytes of an unfinished request have been received. */
bool jc_http_reqparser_in_request(const struct jc_http_reqparser *p);
void jc_http_reqparser_set_loopback(struct jc_http_reqparser *p, bool lo);
/*
 * True once after the headers of a request with "Expect: 100-continue"
 * whose body has not arrived: the server then sends "100 Continue".
 */
bool jc_http_reqparser_take_continue(struct jc_http_reqparser *p);

struct jc_http_server_opts {
    unsigned idle_timeout_ms;    /* keep-alive idle; default 30000 */
    unsigned request_timeout_ms; /* first byte to full request; default 10000 */
    unsigned max_connections;    /* default 4096 */
};
#define JC_HTTP_SERVER_OPTS_INIT {30000, 10000, 4096}

struct jc_http_server;

/*
 * Bind host:port ("127.0.0.1:8080", "[::1]:0", port 0 = any) and start
 * accepting on loop. The handler sees every request.
 */
int jc_http_server_start(struct jc_http_server **out, struct uv_loop_s *loop,
                         const char *listen_addr,
                         const struct jc_http_server_opts *opts,
                         jc_http_handler_cb handler, void *ud);
/* The bound port (useful with port 0). */
int jc_http_server_port(const struct jc_http_server *s);
/* Number of open client connections. */
size_t jc_http_server_nconns(const struct jc_http_server *s);
/* Stop accepting new connections (existing ones keep being served). */
void jc_http_server_stop_accepting(struct jc_http_server *s);
/* Close everything; the struct is freed once libuv has closed the handles. */
void jc_http_server_close(struct jc_http_server *s);

/* Split "host:port" / "[v6]:port" into parts. host is at most hostcap-1. */
int jc_http_parse_listen(const char *addr, char *host, size_t hostcap,
                         int *port);

#endif
