/*
 * server.c: the libuv TCP side of the HTTP server: accept, read into the
 * request parser, call the handler, write responses in order. Slow
 * clients get 408 when a request is not complete within the request
 * timeout; idle keep-alive connections are closed after the idle timeout.
 */
#include "http/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <uv.h>

#include "jobctl/err.h"
#include "util/log.h"
#include "util/mem.h"

#define WRITE_HIGH_WATER (1024 * 1024)

struct conn;

struct jc_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    bool listening;
    bool closing;
    int port;
    struct jc_http_server_opts opts;
    jc_http_handler_cb handler;
    void *ud;
    struct conn *conns; /* doubly linked list */
    size_t nconns;
    int pending_closes; /* handles not yet closed by libuv */
    /* one read buffer for every connection: on_read consumes it fully
     * before returning, and the loop is single-threaded */
    char rbuf[65536];
    bool rbuf_busy;
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct jc_http_server *srv;
    struct jc_http_reqparser *parser;
    struct conn *prev, *next;
    bool closing;
    bool reading;
    bool close_after_write;
    int handles_open;
    bool had_request_start; /* the request timer is armed */
};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

struct wreq {
    uv_write_t req;
    char *data;
    char *body; /* second buffer (response body) or NULL */
    struct jc_http_shared *shared; /* or a shared body (one reference) */
    struct conn *c;
};

static void maybe_free_server(struct jc_http_server *s)
{
    if (s->closing && s->pending_closes == 0 && s->nconns == 0)
        free(s);
}

static void conn_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    struct jc_http_server *s = c->srv;

    if (--c->handles_open > 0)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->nconns--;
    jc_http_reqparser_free(c->parser);
    free(c);
    maybe_free_server(s);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
    uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
}

static void on_write(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;
    struct conn *c = wr->c;

    free(wr->data);
    free(wr->body);
    jc_http_shared_unref(wr->shared);
    free(wr);
    if (c->closing)
        return;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (c->close_after_write && c->tcp.write_queue_size == 0) {
        conn_close(c);
        return;
    }
    if (!c->reading && !c->close_after_write &&
        c->tcp.write_queue_size < WRITE_HIGH_WATER) {
        c->reading = true;
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    }
}

/*
 * Write head (and body, or the shared body, when given) in one uv_write
 * (writev); takes head and body, and one reference to shared.
 */
static void conn_send2(struct conn *c, struct ju_buf *head, struct ju_buf *body,
                       struct jc_http_shared *shared)
{
    struct wreq *wr;
    uv_buf_t b[2];
    size_t len;
    unsigned n = 1;

    if (c->closing) {
        ju_buf_release(head);
        if (body)
            ju_buf_release(body);
        jc_http_shared_unref(shared);
        return;
    }
    wr = ju_xcalloc(1, sizeof(*wr));
    wr->c = c;
    wr->data = ju_buf_detach(head, &len);
    b[0] = uv_buf_init(wr->data, (unsigned)len);
    if (shared) {
        if (body)
            ju_buf_release(body);
        if (shared->len) {
            wr->shared = shared;
            b[1] = uv_buf_init(shared->data, (unsigned)shared->len);
            n = 2;
        } else {
            jc_http_shared_unref(shared);
        }
    } else if (body && body->len) {
        wr->body = ju_buf_detach(body, &len);
        b[1] = uv_buf_init(wr->body, (unsigned)len);
        n = 2;
    } else if (body) {
        ju_buf_release(body);
    }
    if (uv_write(&wr->req, (uv_stream_t *)&c->tcp, b, n, on_write) < 0) {
        free(wr->data);
        free(wr->body);
        jc_http_shared_unref(wr->shared);
        free(wr);
        conn_close(c);
    }
}

static void conn_send(struct conn *c, struct ju_buf *out)
{
    conn_send2(c, out, NULL, NULL);
}

static void send_error(struct conn *c, int status)
{
    struct jc_http_response resp;
    struct ju_buf out = JU_BUF_INIT;
    char body[128];

    jc_http_resp_init(&resp);
    snprintf(body, sizeof(body),
             "{\"error_code\":\"%s\",\"message\":\"%s\"}",
             status == 413 ? "REQUEST_LIMIT_EXCEEDED"
             : status == 408 ? "DEADLINE_EXCEEDED"
             : status == 501 ? "NOT_IMPLEMENTED" : "MALFORMED_REQUEST",
             jc_http_status_text(status));
    jc_http_resp_text(&resp, status, "application/json", body);
    jc_http_resp_serialize(&resp, false, false, &out);
    jc_http_resp_release(&resp);
    c->close_after_write = true;
    conn_send(c, &out);
}

static void arm_idle(struct conn *c);

static void on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;

    if (c->closing)
        return;
    if (jc_http_reqparser_in_request(c->parser)) {
        send_error(c, 408);
        if (c->reading) {
            uv_read_stop((uv_stream_t *)&c->tcp);
            c->reading = false;
        }
    } else {
        conn_close(c);
    }
}

static void arm_idle(struct conn *c)
{
    c->had_request_start = false;
    uv_timer_start(&c->timer, on_timer, c->srv->opts.idle_timeout_ms, 0);
}

static void on_request(struct jc_http_request *req, void *ud)
{
    struct conn *c = ud;
    struct jc_http_response resp;
    struct ju_buf out = JU_BUF_INIT;
    bool head = !strcmp(req->method, "HEAD");
    bool ka;

    if (c->closing || c->close_after_write)
        return;
    jc_http_resp_init(&resp);
    c->srv->handler(req, &resp, c->srv->ud);
    ka = req->keep_alive && !resp.close && !c->srv->closing &&
         c->srv->listening;
    /* headers, then the body as a second buffer (no copy) */
    jc_http_resp_serialize(&resp, ka, true, &out);
    if (!ka)
        c->close_after_write = true;
    if (head || resp.status == 204 || resp.status == 304)
        conn_send(c, &out);
    else
        conn_send2(c, &out, &resp.body, jc_http_shared_ref(resp.shared));
    jc_http_resp_release(&resp);
    arm_idle(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    struct jc_http_server *s = c->srv;

    (void)suggested;
    if (s->rbuf_busy) {
        /* not expected (reads are not nested), but stay correct */
        buf->base = ju_xmalloc(16384);
        buf->len = 16384;
        return;
    }
    s->rbuf_busy = true;
    buf->base = s->rbuf;
    buf->len = sizeof(s->rbuf);
}

static void read_done(struct conn *c, const uv_buf_t *buf)
{
    struct jc_http_server *s = c->srv;

    if (buf->base == s->rbuf)
        s->rbuf_busy = false;
    else
        free(buf->base);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    int rc;

    if (nread < 0) {
        read_done(c, buf);
        if (nread != UV_EOF || !c->tcp.write_queue_size)
            conn_close(c);
        else
            c->close_after_write = true;
        return;
    }
    if (nread == 0 || c->closing || c->close_after_write) {
        read_done(c, buf);
        return;
    }
    if (!c->had_request_start) {
        c->had_request_start = true;
        uv_timer_start(&c->timer, on_timer,
                       c->srv->opts.request_timeout_ms, 0);
    }
    rc = jc_http_reqparser_feed(c->parser, buf->base, (size_t)nread);
    read_done(c, buf);
    if (rc) {
        send_error(c, rc);
        uv_read_stop(st);
        c->reading = false;
        return;
    }
    if (jc_http_reqparser_take_continue(c->parser)) {
        struct ju_buf cont = JU_BUF_INIT;

        ju_buf_adds(&cont, "HTTP/1.1 100 Continue\r\n\r\n");
        conn_send(c, &cont);
    }
    if (jc_http_reqparser_in_request(c->parser) && !c->had_request_start) {
        c->had_request_start = true;
        uv_timer_start(&c->timer, on_timer,
                       c->srv->opts.request_timeout_ms, 0);
    }
    if (c->tcp.write_queue_size > WRITE_HIGH_WATER) {
        /* client is not reading its responses: stop reading requests */
        uv_read_stop(st);
        c->reading = false;
    }
}

static bool peer_is_loopback(uv_tcp_t *t)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);

    if (uv_tcp_getpeername(t, (struct sockaddr *)&ss, &len))
        return false;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

        if (IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
            return in6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

static void on_connection(uv_stream_t *ls, int status)
{
    struct jc_http_server *s = ls->data;
    struct conn *c;

    if (status < 0)
        return;
    c = ju_xcalloc(1, sizeof(*c));
    c->srv = s;
    uv_tcp_init(s->loop, &c->tcp);
    uv_timer_init(s->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    if (uv_accept(ls, (uv_stream_t *)&c->tcp) < 0) {
        conn_close(c);
        return;
    }
    if (s->nconns > s->opts.max_connections || s->closing) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    c->parser = jc_http_reqparser_new(on_request, c);
    jc_http_reqparser_set_loopback(c->parser, peer_is_loopback(&c->tcp));
    arm_idle(c);
    c->reading = true;
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

int jc_http_parse_listen(const char *addr, char *host, size_t hostcap,
                         int *port)
{
    const char *colon;
    const char *h = addr;
    size_t hlen;
    char *end;
    long p;

    if (addr[0] == '[') {
        const char *rb = strchr(addr, ']');

        if (!rb || rb[1] != ':')
            return jc_err_set(JC_EINVAL, "invalid listen address '%s'", addr);
        h = addr + 1;
        hlen = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return jc_err_set(JC_EINVAL,
                              "invalid listen address '%s': expected "
                              "host:port", addr);
        hlen = (size_t)(colon - addr);
    }
    if (hlen == 0 || hlen >= hostcap)
        return jc_err_set(JC_EINVAL, "invalid listen address '%s'", addr);
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
        return jc_err_set(JC_EINVAL, "invalid port in listen address '%s'",
                          addr);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    *port = (int)p;
    return 0;
}

int jc_http_server_start(struct jc_http_server **out, uv_loop_t *loop,
                         const char *listen_addr,
                         const struct jc_http_server_opts *opts,
                         jc_http_handler_cb handler, void *ud)
{
    struct jc_http_server *s;
    struct jc_http_server_opts def = JC_HTTP_SERVER_OPTS_INIT;
    struct sockaddr_storage ss;
    char host[256];
    int port;
    int rc;
    int len = sizeof(ss);

    if ((rc = jc_http_parse_listen(listen_addr, host, sizeof(host), &port)))
        return rc;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&ss) &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss))
        return jc_err_set(JC_EINVAL, "cannot parse listen host '%s'", host);
    s = ju_xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->opts = opts ? *opts : def;
    if (!s->opts.idle_timeout_ms)
        s->opts.idle_timeout_ms = def.idle_timeout_ms;
    if (!s->opts.request_timeout_ms)
        s->opts.request_timeout_ms = def.request_timeout_ms;
    if (!s->opts.max_connections)
        s->opts.max_connections = def.max_connections;
    s->handler = handler;
    s->ud = ud;
    uv_tcp_init(loop, &s->listener);
    s->listener.data = s;
    rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&ss, 0);
    if (!rc)
        rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc) {
        s->closing = true;
        s->pending_closes = 1;
        uv_close((uv_handle_t *)&s->listener, NULL);
        /* freed after the close callback would run; leak-free path: */
        s->pending_closes = 0;
        jc_err_set(JC_EIO, "cannot listen on '%s': %s", listen_addr,
                   uv_strerror(rc));
        /* the handle memory must outlive uv_close: run the loop once */
        uv_run(loop, UV_RUN_NOWAIT);
        free(s);
        return JC_EIO;
    }
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
    s->port = ntohs(ss.ss_family == AF_INET6
                        ? ((struct sockaddr_in6 *)&ss)->sin6_port
                        : ((struct sockaddr_in *)&ss)->sin_port);
    s->listening = true;
    *out = s;
    return 0;
}

int jc_http_server_port(const struct jc_http_server *s)
{
    return s->port;
}

size_t jc_http_server_nconns(const struct jc_http_server *s)
{
    return s->nconns;
}

static void listener_closed(uv_handle_t *h)
{
    struct jc_http_server *s = h->data;

    s->pending_closes--;
    maybe_free_server(s);
}

void jc_http_server_stop_accepting(struct jc_http_server *s)
{
    if (!s->listening)
        return;
    s->listening = false;
    s->pending_closes++;
    uv_close((uv_handle_t *)&s->listener, listener_closed);
}

void jc_http_server_close(struct jc_http_server *s)
{
    struct conn *c;
    struct conn *next;

    if (!s)
        return;
    jc_http_server_stop_accepting(s);
    s->closing = true;
    for (c = s->conns; c; c = next) {
        next = c->next;
        conn_close(c);
    }
    maybe_free_server(s);
}
