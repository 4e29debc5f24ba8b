/*
 * fuzz_http_request.c: feeds arbitrary bytes to the HTTP request parser,
 * whole and split at a data-dependent point (as TCP would deliver them),
 * and serialises a response for every request it yields.
 */
#include <stdint.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void on_req(struct jc_http_request *req, void *ud)
{
    struct jc_http_response resp;
    struct ju_buf out = JU_BUF_INIT;
    char *q;
    char *c;

    (void)ud;
    q = jc_http_query_get(req, "limit");
    c = jc_http_cookie_get(req, "jobctl_session");
    jc_http_resp_init(&resp);
    jc_http_resp_text(&resp, 200, "text/plain", req->path);
    jc_http_resp_header(&resp, "X-Method", req->method);
    jc_http_resp_serialize(&resp, req->keep_alive,
                           !strcmp(req->method, "HEAD"), &out);
    jc_http_resp_release(&resp);
    ju_buf_release(&out);
    free(q);
    free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jc_http_reqparser *p;
    size_t split;

    if (size > (1 << 20))
        return 0;
    p = jc_http_reqparser_new(on_req, NULL);
    jc_http_reqparser_feed(p, (const char *)data, size);
    jc_http_reqparser_free(p);

    split = size ? data[0] % (size + 1) : 0;
    p = jc_http_reqparser_new(on_req, NULL);
    if (!jc_http_reqparser_feed(p, (const char *)data, split))
        jc_http_reqparser_feed(p, (const char *)data + split, size - split);
    jc_http_reqparser_free(p);
    return 0;
}
