/*
 * api_static.c: the status page's embedded assets (web/ via
 * jc_web_asset_find). Without a session the page answers with the login
 * form when JOBCTL_TOKEN is set.
 */
#include "api/api_int.h"

#include <string.h>

#include "web/assets.h"

void api_static(struct api_ctx *c)
{
    const struct jc_web_asset *a;

    if (strcmp(c->req->method, "GET") && strcmp(c->req->method, "HEAD")) {
        api_error(c->resp, 405, "BAD_REQUEST", "method %s not allowed",
                  c->req->method);
        return;
    }
    a = jc_web_asset_find(c->req->path);
    if (!a) {
        api_error(c->resp, 404, "ENDPOINT_NOT_FOUND", "no page at '%s'",
                  c->req->path);
        return;
    }
    if (!api_page_allowed(c) && strstr(a->path, ".html")) {
        if (!c->api->token)
            api_error(c->resp, 403, "PERMISSION_DENIED",
                      "JOBCTL_TOKEN is not set: only loopback clients "
                      "allowed");
        else
            api_auth_login_page(c, NULL);
        return;
    }
    c->resp->status = 200;
    c->resp->content_type = a->content_type;
    jc_http_resp_header(c->resp, "Cache-Control", "no-cache");
    jc_http_resp_header(c->resp, "X-Content-Type-Options", "nosniff");
    jc_http_resp_header(c->resp, "Content-Security-Policy",
                        "default-src 'self'; img-src 'self' data:; "
                        "style-src 'self' 'unsafe-inline'");
    ju_buf_add(&c->resp->body, a->data, a->len);
}
