/*
 * test_parser.c: unit tests of the HTTP request parser (size caps,
 * pipelining, keep-alive, malformed input), query/cookie helpers and
 * response serialisation.
 */
#include "testsupport.h"

#include <string.h>

#include "http/http.h"
#include "util/mem.h"

struct got {
    int n;
    char method[16][16];
    char path[16][256];
    char query[16][256];
    char body[16][256];
    bool keep_alive[16];
    char host[16][64];
    char *name_param;
};

static void on_req(struct jc_http_request *req, void *ud)
{
    struct got *g = ud;
    const char *h;

    if (g->n >= 16)
        return;
    snprintf(g->method[g->n], 16, "%s", req->method);
    snprintf(g->path[g->n], 256, "%s", req->path);
    snprintf(g->query[g->n], 256, "%s", req->query ? req->query : "");
    snprintf(g->body[g->n], 256, "%.*s", (int)req->body_len, req->body);
    g->keep_alive[g->n] = req->keep_alive;
    h = jc_http_header(req, "host");
    snprintf(g->host[g->n], 64, "%s", h ? h : "");
    if (!g->name_param)
        g->name_param = jc_http_query_get(req, "name");
    g->n++;
}

static int feed(struct got *g, const char *text)
{
    struct jc_http_reqparser *p = jc_http_reqparser_new(on_req, g);
    int rc = jc_http_reqparser_feed(p, text, strlen(text));

    jc_http_reqparser_free(p);
    return rc;
}

static void test_parser_get_with_query(void **state)
{
    struct got g;

    (void)state;
    memset(&g, 0, sizeof(g));
    assert_int_equal(feed(&g, "GET /api/2.1/jobs/runs/list?limit=5&name=a%20b+c"
                              " HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.method[0], "GET");
    assert_string_equal(g.path[0], "/api/2.1/jobs/runs/list");
    assert_string_equal(g.query[0], "limit=5&name=a%20b+c");
    assert_string_equal(g.host[0], "x");
    assert_true(g.keep_alive[0]);
    assert_string_equal(g.name_param, "a b c");
    free(g.name_param);
}

static void test_parser_pipelined_requests_in_order(void **state)
{
    struct got g;

    (void)state;
    memset(&g, 0, sizeof(g));
    assert_int_equal(feed(&g, "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\n"
                              "abcGET /b HTTP/1.1\r\n\r\n"
                              "GET /c HTTP/1.0\r\n\r\n"), 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(g.path[0], "/a");
    assert_string_equal(g.body[0], "abc");
    assert_string_equal(g.path[1], "/b");
    assert_true(g.keep_alive[1]);
    assert_string_equal(g.path[2], "/c");
    assert_false(g.keep_alive[2]); /* HTTP/1.0 without keep-alive */
}

static void test_parser_byte_by_byte(void **state)
{
    const char *text = "POST /x?y=1 HTTP/1.1\r\nTransfer-Encoding: chunked"
                       "\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    struct got g;
    struct jc_http_reqparser *p;
    size_t i;

    (void)state;
    memset(&g, 0, sizeof(g));
    p = jc_http_reqparser_new(on_req, &g);
    for (i = 0; text[i]; i++)
        assert_int_equal(jc_http_reqparser_feed(p, text + i, 1), 0);
    jc_http_reqparser_free(p);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.body[0], "abcde");
    assert_string_equal(g.query[0], "y=1");
}

static void test_parser_rejects_malformed(void **state)
{
    struct got g;

    (void)state;
    memset(&g, 0, sizeof(g));
    assert_int_equal(feed(&g, "GARBAGE\r\n\r\n"), 501);
    assert_int_equal(feed(&g, "GET / HTTP/9x\r\n\r\n"), 400);
    assert_int_equal(feed(&g, "GET /%zz HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(feed(&g, "GET /a%00b HTTP/1.1\r\n\r\n"), 400);
    assert_int_equal(feed(&g, "GET / HTTP/1.1\r\nBad Header\r\n\r\n"), 400);
    assert_int_equal(feed(&g, "GET / HTTP/1.1\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\n\r\n"), 400);
    assert_int_equal(g.n, 0);
}

static void test_parser_caps_headers_and_body(void **state)
{
    struct got g;
    struct ju_buf b = JU_BUF_INIT;
    int i;

    (void)state;
    memset(&g, 0, sizeof(g));
    /* huge header */
    ju_buf_adds(&b, "GET / HTTP/1.1\r\nX-Big: ");
    for (i = 0; i < JC_HTTP_MAX_HEADER_BYTES + 10; i++)
        ju_buf_addc(&b, 'a');
    ju_buf_adds(&b, "\r\n\r\n");
    assert_int_equal(feed(&g, ju_buf_str(&b)), 431);
    /* too many headers */
    ju_buf_reset(&b);
    ju_buf_adds(&b, "GET / HTTP/1.1\r\n");
    for (i = 0; i < JC_HTTP_MAX_HEADERS + 1; i++)
        ju_buf_addf(&b, "X-H%d: v\r\n", i);
    ju_buf_adds(&b, "\r\n");
    assert_int_equal(feed(&g, ju_buf_str(&b)), 431);
    /* declared body over the cap */
    assert_int_equal(feed(&g, "POST / HTTP/1.1\r\nContent-Length: 99999999"
                              "\r\n\r\n"), 413);
    /* long URL */
    ju_buf_reset(&b);
    ju_buf_adds(&b, "GET /");
    for (i = 0; i < JC_HTTP_MAX_URL + 10; i++)
        ju_buf_addc(&b, 'u');
    ju_buf_adds(&b, " HTTP/1.1\r\n\r\n");
    assert_int_equal(feed(&g, ju_buf_str(&b)), 414);
    assert_int_equal(g.n, 0);
    ju_buf_release(&b);
}

static void test_parser_cookie_and_decode(void **state)
{
    struct jc_http_request req;
    struct jc_http_header h[2] = {{"Host", "x"},
                                  {"Cookie", "a=1; jobctl_session=abc; b=2"}};
    char *v;

    (void)state;
    memset(&req, 0, sizeof(req));
    req.headers = h;
    req.nheaders = 2;
    v = jc_http_cookie_get(&req, "jobctl_session");
    assert_string_equal(v, "abc");
    free(v);
    assert_null(jc_http_cookie_get(&req, "missing"));
    v = jc_http_url_decode("a%2Fb+c", 7, true);
    assert_string_equal(v, "a/b c");
    free(v);
    assert_null(jc_http_url_decode("%4", 2, false));
}

static void test_parser_response_serialize(void **state)
{
    struct jc_http_response r;
    struct ju_buf out = JU_BUF_INIT;

    (void)state;
    jc_http_resp_init(&r);
    jc_http_resp_text(&r, 404, "application/json", "{}");
    jc_http_resp_header(&r, "X-A", "1");
    jc_http_resp_header(&r, "X-Evil", "a\r\nSet-Cookie: x=1"); /* dropped */
    jc_http_resp_serialize(&r, true, false, &out);
    assert_non_null(strstr(ju_buf_str(&out), "HTTP/1.1 404 Not Found\r\n"));
    assert_non_null(strstr(ju_buf_str(&out), "Content-Length: 2\r\n"));
    assert_non_null(strstr(ju_buf_str(&out), "Connection: keep-alive\r\n"));
    assert_non_null(strstr(ju_buf_str(&out), "X-A: 1\r\n"));
    assert_null(strstr(ju_buf_str(&out), "Set-Cookie"));
    assert_string_equal(ju_buf_str(&out) + out.len - 6, "\r\n\r\n{}");
    ju_buf_reset(&out);
    jc_http_resp_serialize(&r, false, true, &out); /* HEAD, close */
    assert_non_null(strstr(ju_buf_str(&out), "Connection: close\r\n"));
    assert_string_equal(ju_buf_str(&out) + out.len - 4, "\r\n\r\n");
    ju_buf_release(&out);
    jc_http_resp_release(&r);
}

static void test_parser_listen_address(void **state)
{
    char host[64];
    int port;

    (void)state;
    assert_int_equal(jc_http_parse_listen("127.0.0.1:8080", host,
                                          sizeof(host), &port), 0);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    assert_int_equal(jc_http_parse_listen("[::1]:0", host, sizeof(host),
                                          &port), 0);
    assert_string_equal(host, "::1");
    assert_true(jc_http_parse_listen("nohost", host, sizeof(host), &port) < 0);
    assert_true(jc_http_parse_listen("h:70000", host, sizeof(host), &port) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_get_with_query),
        cmocka_unit_test(test_parser_pipelined_requests_in_order),
        cmocka_unit_test(test_parser_byte_by_byte),
        cmocka_unit_test(test_parser_rejects_malformed),
        cmocka_unit_test(test_parser_caps_headers_and_body),
        cmocka_unit_test(test_parser_cookie_and_decode),
        cmocka_unit_test(test_parser_response_serialize),
        cmocka_unit_test(test_parser_listen_address),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
