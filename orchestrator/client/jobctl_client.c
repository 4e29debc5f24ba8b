/*
 * jobctl_client.c: blocking libcurl client for the jobctl daemon's REST
 * API (see jobctl/client.h). Error texts never include the token.
 */
#include "jobctl/client.h"

#include <curl/curl.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define RESPONSE_CAP (64 * 1024 * 1024)

struct jc_client {
    CURL *curl;
    char *base;
    char *auth_header; /* "Authorization: Bearer ..." or NULL */
};

int jc_client_new(struct jc_client **out, const char *base_url,
                  const char *token)
{
    struct jc_client *c;
    size_t n;
    static bool inited;

    if (!inited) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        inited = true;
    }
    c = ju_xcalloc(1, sizeof(*c));
    c->curl = curl_easy_init();
    if (!c->curl) {
        free(c);
        return jc_err_set(JC_ERR, "cannot initialise libcurl");
    }
    c->base = ju_xstrdup(base_url);
    n = strlen(c->base);
    while (n && c->base[n - 1] == '/')
        c->base[--n] = '\0';
    if (token && *token)
        c->auth_header = ju_xasprintf("Authorization: Bearer %s", token);
    *out = c;
    return 0;
}

void jc_client_free(struct jc_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    if (c->auth_header) {
        memset(c->auth_header, 0, strlen(c->auth_header));
        free(c->auth_header);
    }
    free(c->base);
    free(c);
}

const char *jc_client_base_url(const struct jc_client *c)
{
    return c->base;
}

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    struct ju_buf *b = ud;

    if (ju_buf_add(b, p, sz * n))
        return 0;
    return sz * n;
}

static int perform(struct jc_client *c, const char *method, const char *path,
                   const char *body, long timeout_ms, long *status,
                   struct ju_buf *resp)
{
    struct curl_slist *h = NULL;
    char *url = ju_xasprintf("%s%s", c->base, path);
    CURLcode rc;

    curl_easy_reset(c->curl);
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "jobctl/0.1");
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout_ms > 0 ? timeout_ms : 5000L);
    if (timeout_ms > 0)
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    else
        curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, 60000L);
    h = curl_slist_append(h, "Accept: application/json");
    if (c->auth_header)
        h = curl_slist_append(h, c->auth_header);
    if (body) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    }
    if (strcmp(method, body ? "POST" : "GET"))
        curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
    rc = curl_easy_perform(c->curl);
    curl_slist_free_all(h);
    free(url);
    if (rc != CURLE_OK)
        return jc_err_set(JC_EIO, "cannot reach jobctl at '%s': %s", c->base,
                          curl_easy_strerror(rc));
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
    return 0;
}

bool jc_client_ping(struct jc_client *c, long timeout_ms)
{
    struct ju_buf b;
    long status = 0;
    bool ok;

    ju_buf_init(&b, 4096);
    ok = !perform(c, "GET", "/healthz", NULL, timeout_ms, &status, &b) &&
         status == 200;
    ju_buf_release(&b);
    return ok;
}

int jc_client_call(struct jc_client *c, const char *method, const char *path,
                   json_t *body, long *status, json_t **out)
{
    struct ju_buf b;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    int rc;

    *out = NULL;
    ju_buf_init(&b, RESPONSE_CAP);
    rc = perform(c, method, path, body ? (text ? text : "{}") : NULL, 0,
                 status, &b);
    free(text);
    if (!rc && b.len)
        *out = json_loadb(b.data, b.len, 0, NULL);
    ju_buf_release(&b);
    return rc;
}

int jc_client_api(struct jc_client *c, const char *method, const char *path,
                  json_t *body, json_t **out)
{
    long status = 0;
    json_t *j = NULL;
    int rc = jc_client_call(c, method, path, body, &status, &j);

    *out = NULL;
    if (rc)
        return rc;
    if (status != 200) {
        const char *code = json_string_value(json_object_get(j, "error_code"));
        const char *msg = json_string_value(json_object_get(j, "message"));

        rc = jc_err_set(status == 400 || status == 404 ? JC_EINVAL : JC_ERR,
                        "%s (HTTP %ld): %s", code ? code : "ERROR", status,
                        msg ? msg : "no message");
        json_decref(j);
        return rc;
    }
    *out = j ? j : json_object();
    return 0;
}

int jc_client_get_raw(struct jc_client *c, const char *path, long *status,
                      char **out, size_t *len)
{
    struct ju_buf b;
    int rc;

    ju_buf_init(&b, RESPONSE_CAP);
    rc = perform(c, "GET", path, NULL, 0, status, &b);
    if (rc) {
        ju_buf_release(&b);
        return rc;
    }
    *out = ju_buf_detach(&b, len);
    return 0;
}
