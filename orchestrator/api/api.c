/*
 * api.c: the API object and request routing: /api/2.1|2.2/jobs/...,
 * /api/jobctl/..., /healthz, /metrics, /hooks/github/<job>, the status
 * page; plus the JSON and error helpers every api_*.c uses.
 */
#include "api/api_int.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

struct jc_api *jc_api_new(struct jc_store *store,
                          const struct jc_api_backend *backend,
                          const struct jc_api_opts *opts)
{
    struct jc_api *api = ju_xcalloc(1, sizeof(*api));

    api->store = store;
    if (backend)
        api->be = *backend;
    if (opts && opts->token && *opts->token)
        api->token = ju_xstrdup(opts->token);
    if (opts && opts->webhook_secret && *opts->webhook_secret)
        api->webhook_secret = ju_xstrdup(opts->webhook_secret);
    api->home = ju_xstrdup(opts && opts->home ? opts->home : ".jobctl");
    return api;
}

static void free_secret(char *s)
{
    if (!s)
        return;
    memset(s, 0, strlen(s));
    free(s);
}

void jc_api_free(struct jc_api *api)
{
    if (!api)
        return;
    api_cache_free(api);
    free_secret(api->token);
    free_secret(api->webhook_secret);
    memset(api->sessions, 0, sizeof(api->sessions));
    free(api->home);
    free(api);
}

uint64_t jc_api_requests(const struct jc_api *api)
{
    return api->requests;
}

void api_json(struct jc_http_response *resp, int status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);

    resp->status = status;
    resp->content_type = "application/json";
    ju_buf_reset(&resp->body);
    ju_buf_adds(&resp->body, s ? s : "{}");
    free(s);
    json_decref(j);
}

void api_error(struct jc_http_response *resp, int status, const char *code,
               const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    api_json(resp, status,
             json_pack("{s:s, s:s}", "error_code", code, "message", msg));
}

void api_error_rc(struct jc_http_response *resp, int rc)
{
    const char *m = jc_err_last();

    if (!*m)
        m = jc_strerror(rc);
    switch (rc) {
    case JC_ENOTFOUND:
    case JC_EINVAL:
    case JC_EPARSE:
        api_error(resp, 400, "INVALID_PARAMETER_VALUE", "%s", m);
        break;
    case JC_ESTATE:
        api_error(resp, 400, "INVALID_STATE", "%s", m);
        break;
    case JC_EEXIST:
        api_error(resp, 409, "RESOURCE_ALREADY_EXISTS", "%s", m);
        break;
    case JC_ETOOBIG:
        api_error(resp, 400, "QUOTA_EXCEEDED", "%s", m);
        break;
    case JC_EBUSY:
        api_error(resp, 503, "TEMPORARILY_UNAVAILABLE", "%s", m);
        break;
    case JC_EUNSUPPORTED:
        api_error(resp, 501, "NOT_IMPLEMENTED", "%s", m);
        break;
    default:
        api_error(resp, 500, "INTERNAL_ERROR", "%s", m);
        break;
    }
}

json_t *api_body(struct api_ctx *c)
{
    json_error_t e;
    json_t *j;

    if (!c->req->body_len) {
        api_error(c->resp, 400, "MALFORMED_REQUEST",
                  "request body must be a JSON object");
        return NULL;
    }
    j = json_loadb(c->req->body, c->req->body_len,
                   JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        api_error(c->resp, 400, "MALFORMED_REQUEST",
                  "invalid JSON in request body at line %d column %d: %s",
                  e.line, e.column, e.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        api_error(c->resp, 400, "MALFORMED_REQUEST",
                  "request body must be a JSON object");
        return NULL;
    }
    return j;
}

bool api_method(struct api_ctx *c, const char *method)
{
    if (!strcmp(c->req->method, method) ||
        (!strcmp(method, "GET") && !strcmp(c->req->method, "HEAD")))
        return true;
    jc_http_resp_header(c->resp, "Allow", method);
    api_error(c->resp, 405, "BAD_REQUEST", "method %s not allowed for '%s'",
              c->req->method, c->req->path);
    return false;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (!*s)
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int api_json_int64(struct api_ctx *c, json_t *obj, const char *key,
                   int64_t *out)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_string(v) && !parse_i64(json_string_value(v), out))
        return 1;
    api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
              "invalid value for '%s': expected an integer", key);
    return -1;
}

int api_query_int64(struct api_ctx *c, const char *name, int64_t *out)
{
    char *v = jc_http_query_get(c->req, name);
    int rc;

    if (!v)
        return 0;
    rc = parse_i64(v, out);
    free(v);
    if (rc) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "invalid value for '%s': expected an integer", name);
        return -1;
    }
    return 1;
}

int api_query_bool(struct api_ctx *c, const char *name, bool *out)
{
    char *v = jc_http_query_get(c->req, name);
    int rc = 1;

    if (!v)
        return 0;
    if (!strcmp(v, "true") || !strcmp(v, "1"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0"))
        *out = false;
    else {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "invalid value for '%s': expected true or false", name);
        rc = -1;
    }
    free(v);
    return rc;
}

static void not_found(struct api_ctx *c)
{
    api_error(c->resp, 404, "ENDPOINT_NOT_FOUND", "no API found for '%s %s'",
              c->req->method, c->req->path);
}

static void route(struct api_ctx *c)
{
    const char *p = c->req->path;

    if (!strcmp(p, "/healthz")) {
        api_health(c);
        return;
    }
    if (!strncmp(p, "/.well-known/", 13)) {
        /* SDKs probe /.well-known/databricks-config: say we have none */
        not_found(c);
        return;
    }
    if (!strncmp(p, "/hooks/github/", 14)) {
        api_hooks_github(c, p + 14);
        return;
    }
    if (!strcmp(p, "/login")) {
        if (!api_auth_login(c))
            api_auth_login_page(c, NULL);
        return;
    }
    if (!strcmp(p, "/") && jc_http_header(c->req, "Host") &&
        c->req->query && strstr(c->req->query, "token=")) {
        api_auth_login(c);
        return;
    }
    if (!strncmp(p, "/api/", 5) || !strcmp(p, "/metrics")) {
        if (!api_auth_check(c))
            return;
        if (!strcmp(p, "/metrics")) {
            api_metrics(c);
            return;
        }
        if (!strncmp(p, "/api/2.1/jobs/", 14) ||
            !strncmp(p, "/api/2.2/jobs/", 14)) {
            c->is_22 = p[7] == '2';
            c->endpoint = p + 14;
            if (!strncmp(c->endpoint, "runs/", 5))
                api_runs_dispatch(c);
            else
                api_jobs_dispatch(c);
            return;
        }
        if (!strncmp(p, "/api/jobctl/", 12)) {
            api_jobctl_dispatch(c, p + 12);
            return;
        }
        not_found(c);
        return;
    }
    api_static(c);
}

void jc_api_handle(const struct jc_http_request *req,
                   struct jc_http_response *resp, void *ud)
{
    struct api_ctx c;
    struct jc_api *api = ud;
    int cls;

    memset(&c, 0, sizeof(c));
    c.api = api;
    c.req = req;
    c.resp = resp;
    api->requests++;
    jc_err_clear();
    route(&c);
    cls = resp->status / 100;
    if (cls >= 1 && cls <= 5)
        api->responses_by_class[cls]++;
}
