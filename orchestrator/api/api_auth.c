/*
 * api_auth.c: bearer-token auth for the API and the status page. The
 * token (JOBCTL_TOKEN) is compared in constant time; the page logs in
 * with GET /?token=T or the login form, which sets an HttpOnly,
 * SameSite=Strict session cookie holding a random session id.
 */
#include "api/api_int.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>
#include <strings.h>

#include "util/mem.h"

#define COOKIE_NAME "jobctl_session"

bool jc_api_secret_eq(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    unsigned char diff = la != lb;
    size_t i;

    /* compare over b's length whatever a is, so timing reveals nothing */
    for (i = 0; i < lb; i++)
        diff |= (unsigned char)(a[i < la ? i : 0] ^ b[i]);
    return diff == 0 && la == lb;
}

static bool session_valid(struct jc_api *api, const char *sid)
{
    size_t i;
    bool ok = false;

    if (strlen(sid) != 64)
        return false;
    for (i = 0; i < API_MAX_SESSIONS; i++)
        if (api->sessions[i][0] && !CRYPTO_memcmp(api->sessions[i], sid, 64))
            ok = true;
    return ok;
}

/*
 * Without a token the daemon is open to loopback clients only. The Host
 * header must name the loopback too, so a web page that rebinds its DNS
 * name to 127.0.0.1 cannot use the API through a victim's browser.
 */
static bool loopback_host(const struct jc_http_request *req)
{
    const char *h = jc_http_header(req, "Host");
    size_t n;

    if (!h)
        return true; /* HTTP/1.0 tools */
    n = strcspn(h, ":");
    if (h[0] == '[')
        return !strncmp(h, "[::1]", 5);
    return (n == 9 && !strncmp(h, "localhost", 9)) ||
           (n >= 4 && !strncmp(h, "127.", 4));
}

bool api_auth_check(struct api_ctx *c)
{
    struct jc_api *api = c->api;
    const char *authz;
    char *sid;

    if (!api->token) {
        if (c->req->loopback_peer && loopback_host(c->req))
            return true;
        api_error(c->resp, 403, "PERMISSION_DENIED",
                  "JOBCTL_TOKEN is not set: only loopback clients allowed");
        return false;
    }
    authz = jc_http_header(c->req, "Authorization");
    if (authz) {
        if (strncasecmp(authz, "Bearer ", 7)) {
            api_error(c->resp, 401, "UNAUTHENTICATED",
                      "authorization must be a bearer token");
            return false;
        }
        authz += 7;
        while (*authz == ' ')
            authz++;
        if (jc_api_secret_eq(authz, api->token))
            return true;
        api_error(c->resp, 403, "PERMISSION_DENIED", "invalid access token");
        return false;
    }
    sid = jc_http_cookie_get(c->req, COOKIE_NAME);
    if (sid) {
        bool ok = session_valid(api, sid);

        free(sid);
        if (ok)
            return true;
        api_error(c->resp, 403, "PERMISSION_DENIED", "invalid session");
        return false;
    }
    jc_http_resp_header(c->resp, "WWW-Authenticate", "Bearer");
    api_error(c->resp, 401, "UNAUTHENTICATED",
              "missing credentials: send 'Authorization: Bearer <token>'");
    return false;
}

/* true when the page (not the API) may be shown. */
static bool page_allowed(struct api_ctx *c)
{
    char *sid;
    bool ok;

    if (!c->api->token)
        return c->req->loopback_peer && loopback_host(c->req);
    sid = jc_http_cookie_get(c->req, COOKIE_NAME);
    if (!sid)
        return false;
    ok = session_valid(c->api, sid);
    free(sid);
    return ok;
}

static void new_session(struct jc_api *api, struct jc_http_response *resp)
{
    unsigned char raw[32];
    char *slot = api->sessions[api->next_session];
    char cookie[160];
    size_t i;

    if (RAND_bytes(raw, sizeof(raw)) != 1)
        abort();
    for (i = 0; i < sizeof(raw); i++)
        snprintf(slot + 2 * i, 3, "%02x", raw[i]);
    api->next_session = (api->next_session + 1) % API_MAX_SESSIONS;
    snprintf(cookie, sizeof(cookie),
             COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict", slot);
    jc_http_resp_header(resp, "Set-Cookie", cookie);
}

static char *form_field(const char *body, size_t len, const char *name)
{
    struct jc_http_request fake;

    memset(&fake, 0, sizeof(fake));
    fake.query = ju_xstrndup(body, len);
    {
        char *v = jc_http_query_get(&fake, name);

        free(fake.query);
        return v;
    }
}

bool api_auth_login(struct api_ctx *c)
{
    char *tok = NULL;

    if (!strcmp(c->req->method, "POST"))
        tok = form_field(c->req->body, c->req->body_len, "token");
    else
        tok = jc_http_query_get(c->req, "token");
    if (!tok)
        return false;
    if (!c->api->token || !jc_api_secret_eq(tok, c->api->token)) {
        free(tok);
        api_auth_login_page(c, "wrong token");
        c->resp->status = 403;
        return true;
    }
    free(tok);
    new_session(c->api, c->resp);
    /* redirect to the page without the token in the address bar */
    jc_http_resp_header(c->resp, "Location", "/");
    jc_http_resp_header(c->resp, "Cache-Control", "no-store");
    jc_http_resp_text(c->resp, 303, "text/plain; charset=utf-8",
                      "logged in\n");
    return true;
}

void api_auth_login_page(struct api_ctx *c, const char *msg)
{
    struct ju_buf *b = &c->resp->body;

    c->resp->status = 401;
    c->resp->content_type = "text/html; charset=utf-8";
    ju_buf_reset(b);
    ju_buf_adds(b, "<!doctype html><html><head><meta charset=\"utf-8\">"
                   "<title>jobctl: log in</title></head><body>"
                   "<h1>jobctl</h1>");
    if (msg)
        ju_buf_addf(b, "<p class=\"error\">%s</p>", msg);
    ju_buf_adds(b, "<form method=\"post\" action=\"/login\">"
                   "<label>Token <input type=\"password\" name=\"token\">"
                   "</label> <button type=\"submit\">Log in</button>"
                   "</form></body></html>");
}

bool api_page_allowed(struct api_ctx *c)
{
    return page_allowed(c);
}
