/*
 * databricks.c: the Databricks REST transport. libcurl's multi-socket API
 * is driven from libuv (curl docs/examples/multi-uv.c): curl tells us which
 * sockets to watch (CURLMOPT_SOCKETFUNCTION -> uv_poll) and when to wake it
 * (CURLMOPT_TIMERFUNCTION -> uv_timer). Retries (429/503 honouring
 * Retry-After, transport errors with backoff) are timers too, so nothing
 * blocks the loop. The bearer token lives only in a curl header list.
 * GET jobs/get and jobs/runs/get follow API 2.2's array paging: the call
 * re-issues itself with page_token and appends the arrays, so its callback
 * sees the whole object (a no-op under 2.1 or for small objects).
 */
#include "jobctl/databricks.h"

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DBX_MAX_RESPONSE (32u << 20) /* get-output: 5 MB logs + 5 MB result */
#define DBX_MAX_PAGES 100 /* jobs/get, runs/get: 100 x 100 elements per array */

enum dbx_paged { PAGED_NONE, PAGED_JOB, PAGED_RUN };

struct dbx_sock {
    uv_poll_t poll;
    curl_socket_t fd;
    struct jc_dbx *c;
};

struct jc_dbx {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer; /* curl's timeout; owner freed in its close cb */
    char *base;       /* host + "/api/<version>/" */
    char *host;
    char *auth;       /* "Authorization: Bearer ..." (never logged) */
    char *token;
    struct jc_dbx_opts opts;
    struct jc_dbx_req *reqs; /* doubly linked, for jc_dbx_free */
    uint64_t attempts;
    uint64_t retries;
    unsigned int seed;
};

struct jc_dbx_req {
    struct jc_dbx *c;
    struct jc_dbx_req *prev, *next;
    uv_timer_t retry; /* owner freed in its close cb */
    CURL *easy;
    struct curl_slist *hdrs;
    char *method;
    char *url;
    char *body;
    struct ju_buf resp;
    char errbuf[CURL_ERROR_SIZE];
    long retry_after_s; /* -1 = none */
    int attempt;
    double t0;
    jc_dbx_cb cb;
    void *ud;
    bool dead;
    enum dbx_paged paged;
    char *url0;  /* URL of the first page (paged calls) */
    json_t *acc; /* the object so far (paged calls) */
    int pages;   /* pages received */
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- curl <-> libuv glue ------------------------------------------- */

static void check_multi_info(struct jc_dbx *c);

static void sock_close_cb(uv_handle_t *h)
{
    free(h->data);
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    struct dbx_sock *s = p->data;
    struct jc_dbx *c = s->c;
    int flags = 0;
    int running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (!status && (events & UV_READABLE))
        flags |= CURL_CSELECT_IN;
    if (!status && (events & UV_WRITABLE))
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, s->fd, flags, &running);
    check_multi_info(c);
}

static int on_socket(CURL *easy, curl_socket_t fd, int action, void *userp,
                     void *socketp)
{
    struct jc_dbx *c = userp;
    struct dbx_sock *s = socketp;
    int events = 0;

    (void)easy;
    if (action == CURL_POLL_REMOVE) {
        if (s) {
            uv_poll_stop(&s->poll);
            uv_close((uv_handle_t *)&s->poll, sock_close_cb);
            curl_multi_assign(c->multi, fd, NULL);
        }
        return 0;
    }
    if (!s) {
        s = ju_xcalloc(1, sizeof(*s));
        s->fd = fd;
        s->c = c;
        if (uv_poll_init_socket(c->loop, &s->poll, fd) < 0) {
            free(s);
            return -1;
        }
        s->poll.data = s;
        curl_multi_assign(c->multi, fd, s);
    }
    if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
        events |= UV_READABLE;
    if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
        events |= UV_WRITABLE;
    uv_poll_start(&s->poll, events, on_poll);
    return 0;
}

static void on_curl_timeout(uv_timer_t *t)
{
    struct jc_dbx *c = t->data;
    int running;

    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi_info(c);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct jc_dbx *c = userp;

    (void)multi;
    if (timeout_ms < 0) {
        uv_timer_stop(&c->timer);
        return 0;
    }
    /* 0 means "now": never call socket_action from inside this callback */
    uv_timer_start(&c->timer, on_curl_timeout,
                   timeout_ms == 0 ? 1 : (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- options / client ---------------------------------------------- */

static char *ini_lookup(const char *path, const char *profile,
                        const char *key)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    bool in = false;
    char *val = NULL;

    if (!f)
        return NULL;
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        char *e;
        size_t n;

        while (*p == ' ' || *p == '\t')
            p++;
        n = strcspn(p, "\r\n");
        p[n] = '\0';
        if (*p == '[') {
            e = strchr(p, ']');
            in = e && (size_t)(e - p - 1) == strlen(profile) &&
                 !strncmp(p + 1, profile, strlen(profile));
            continue;
        }
        if (!in || *p == '#' || *p == ';')
            continue;
        e = strchr(p, '=');
        if (!e)
            continue;
        n = (size_t)(e - p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if (n != strlen(key) || strncmp(p, key, n))
            continue;
        e++;
        while (*e == ' ' || *e == '\t')
            e++;
        n = strlen(e);
        while (n && (e[n - 1] == ' ' || e[n - 1] == '\t'))
            n--;
        free(val);
        val = ju_xstrndup(e, n);
    }
    fclose(f);
    return val;
}

int jc_dbx_opts_from_env(struct jc_dbx_opts *opts)
{
    static char *host_cache, *token_cache;
    const char *host = getenv("DATABRICKS_HOST");
    const char *token = getenv("DATABRICKS_TOKEN");
    const char *ver = getenv("DATABRICKS_API_VERSION");
    const char *profile = getenv("DATABRICKS_CONFIG_PROFILE");
    const char *cfg = getenv("DATABRICKS_CONFIG_FILE");
    char *path = NULL;

    if (!profile || !*profile)
        profile = "DEFAULT";
    if (cfg && *cfg) {
        path = ju_xstrdup(cfg);
    } else if (getenv("HOME")) {
        path = ju_xasprintf("%s/.databrickscfg", getenv("HOME"));
    }
    if ((!host || !*host) && path) {
        free(host_cache);
        host_cache = ini_lookup(path, profile, "host");
        host = host_cache;
    }
    if ((!token || !*token) && path) {
        free(token_cache);
        token_cache = ini_lookup(path, profile, "token");
        token = token_cache;
    }
    free(path);
    if (!host || !*host)
        return jc_err_set(JC_ENOTFOUND, "no Databricks host: set "
                                        "DATABRICKS_HOST or ~/.databrickscfg");
    if (strncmp(host, "http://", 7) && strncmp(host, "https://", 8)) {
        char *h = ju_xasprintf("https://%s", host);

        if (host == host_cache)
            free(host_cache);
        host_cache = h;
        host = h;
    }
    opts->host = host;
    opts->token = token;
    if (ver && *ver)
        opts->api_version = ver;
    return 0;
}

static void client_close_cb(uv_handle_t *h)
{
    struct jc_dbx *c = h->data;

    free(c->base);
    free(c->host);
    if (c->auth) {
        memset(c->auth, 0, strlen(c->auth));
        free(c->auth);
    }
    if (c->token) {
        memset(c->token, 0, strlen(c->token));
        free(c->token);
    }
    free(c);
}

int jc_dbx_new(struct jc_dbx **out, uv_loop_t *loop,
               const struct jc_dbx_opts *opts)
{
    static bool global_done;
    struct jc_dbx *c;
    size_t n;
    const char *ver;

    if (!opts->host || !*opts->host)
        return jc_err_set(JC_EINVAL, "no Databricks host given");
    ver = opts->api_version && *opts->api_version ? opts->api_version : "2.2";
    if (strcmp(ver, "2.1") && strcmp(ver, "2.2") && strcmp(ver, "2.0"))
        return jc_err_set(JC_EINVAL, "unsupported Jobs API version '%s'",
                          ver);
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = true;
    }
    c = ju_xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->opts = *opts;
    c->host = ju_xstrdup(opts->host);
    n = strlen(c->host);
    while (n && c->host[n - 1] == '/')
        c->host[--n] = '\0';
    c->base = ju_xasprintf("%s/api/%s/", c->host, ver);
    if (opts->token && *opts->token) {
        c->token = ju_xstrdup(opts->token);
        c->auth = ju_xasprintf("Authorization: Bearer %s", opts->token);
    }
    c->opts.host = NULL;
    c->opts.token = NULL;
    c->opts.api_version = NULL;
    if (c->opts.retry_base_s <= 0)
        c->opts.retry_base_s = 1.0;
    if (c->opts.retry_cap_s <= 0)
        c->opts.retry_cap_s = 30.0;
    if (c->opts.retry_budget_s < 0)
        c->opts.retry_budget_s = 0;
    if (c->opts.retry_after_cap_s <= 0)
        c->opts.retry_after_cap_s = 120.0;
    if (c->opts.request_timeout_ms <= 0)
        c->opts.request_timeout_ms = 60000;
    c->seed = (unsigned int)time(NULL) ^ (unsigned int)(uintptr_t)c;
    c->multi = curl_multi_init();
    if (!c->multi)
        JC_BUG("curl_multi_init failed");
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    *out = c;
    return 0;
}

uv_loop_t *jc_dbx_loop(const struct jc_dbx *c)
{
    return c->loop;
}

const char *jc_dbx_host(const struct jc_dbx *c)
{
    return c->host;
}

uint64_t jc_dbx_stat_attempts(const struct jc_dbx *c)
{
    return c->attempts;
}

uint64_t jc_dbx_stat_retries(const struct jc_dbx *c)
{
    return c->retries;
}

/* ---- requests -------------------------------------------------------- */

static void req_close_cb(uv_handle_t *h)
{
    struct jc_dbx_req *r = h->data;

    curl_slist_free_all(r->hdrs);
    free(r->method);
    free(r->url);
    free(r->url0);
    json_decref(r->acc);
    free(r->body);
    ju_buf_release(&r->resp);
    free(r);
}

static void req_drop_easy(struct jc_dbx_req *r)
{
    if (r->easy) {
        curl_multi_remove_handle(r->c->multi, r->easy);
        curl_easy_cleanup(r->easy);
        r->easy = NULL;
    }
}

/* Unlink and schedule the memory for release. */
static void req_destroy(struct jc_dbx_req *r)
{
    struct jc_dbx *c = r->c;

    req_drop_easy(r);
    if (r->prev)
        r->prev->next = r->next;
    else if (c->reqs == r)
        c->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    uv_timer_stop(&r->retry);
    uv_close((uv_handle_t *)&r->retry, req_close_cb);
}

void jc_dbx_free(struct jc_dbx *c)
{
    if (!c)
        return;
    while (c->reqs) {
        c->reqs->dead = true;
        req_destroy(c->reqs);
    }
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->timer, client_close_cb);
}

void jc_dbx_req_abandon(struct jc_dbx_req *r)
{
    if (!r || r->dead)
        return;
    r->dead = true;
    req_destroy(r);
}

static size_t on_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct jc_dbx_req *r = ud;
    size_t n = size * nmemb;

    if (ju_buf_add(&r->resp, ptr, n) < 0)
        return 0; /* too big: curl reports CURLE_WRITE_ERROR */
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nitems, void *ud)
{
    struct jc_dbx_req *r = ud;
    size_t n = size * nitems;
    static const char name[] = "retry-after:";

    if (n > sizeof(name) - 1 && !strncasecmp(ptr, name, sizeof(name) - 1)) {
        char tmp[64];
        size_t len = n - (sizeof(name) - 1);
        char *end;
        long v;

        if (len >= sizeof(tmp))
            len = sizeof(tmp) - 1;
        memcpy(tmp, ptr + sizeof(name) - 1, len);
        tmp[len] = '\0';
        errno = 0;
        v = strtol(tmp, &end, 10);
        while (*end == ' ' || *end == '\r' || *end == '\n')
            end++;
        if (!errno && end != tmp && !*end && v >= 0)
            r->retry_after_s = v;
    }
    return n;
}

static int start_attempt(struct jc_dbx_req *r)
{
    struct jc_dbx *c = r->c;
    CURL *e = curl_easy_init();

    if (!e)
        return jc_err_set(JC_ERR, "curl_easy_init failed");
    r->easy = e;
    r->attempt++;
    c->attempts++;
    r->retry_after_s = -1;
    r->errbuf[0] = '\0';
    ju_buf_reset(&r->resp);
    curl_easy_setopt(e, CURLOPT_URL, r->url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
    curl_easy_setopt(e, CURLOPT_USERAGENT,
                     "jobctl/0.1 libcurl/" LIBCURL_VERSION);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->opts.request_timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    if (!strcmp(r->method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "{}");
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    if (curl_multi_add_handle(c->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        r->easy = NULL;
        return jc_err_set(JC_ERR, "curl_multi_add_handle failed");
    }
    return 0;
}

static void on_retry_timer(uv_timer_t *t)
{
    struct jc_dbx_req *r = t->data;
    struct jc_dbx_result res;

    if (start_attempt(r) == 0)
        return;
    memset(&res, 0, sizeof(res));
    res.status = JC_ERR;
    res.message = jc_err_last();
    res.attempts = r->attempt;
    r->dead = true;
    r->cb(r->ud, &res);
    req_destroy(r);
}

static bool transient_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/*
 * 400/5xx bodies the Databricks SDKs treat as transient (jobs-api.md 1.3):
 * the cluster or the control plane was briefly not ready.
 */
static bool transient_body(const struct jc_dbx_req *r)
{
    static const char *const pats[] = {
        "ClusterNotReadyException", "Timed out after ", "deadline exceeded",
        "DEADLINE_EXCEEDED", "worker env WorkerEnvId", "TEMPORARILY_UNAVAILABLE",
        NULL};
    size_t i;

    if (!r->resp.len)
        return false;
    for (i = 0; pats[i]; i++)
        if (memmem(r->resp.data, r->resp.len, pats[i], strlen(pats[i])))
            return true;
    return false;
}

/* Copy s with every occurrence of the token replaced by "***". */
static char *redact(const struct jc_dbx *c, const char *s)
{
    struct ju_buf b = JU_BUF_INIT;
    size_t tl = c->token ? strlen(c->token) : 0;
    const char *p = s;
    const char *hit;

    if (!tl)
        return ju_xstrdup(s);
    while ((hit = strstr(p, c->token))) {
        ju_buf_add(&b, p, (size_t)(hit - p));
        ju_buf_adds(&b, "***");
        p = hit + tl;
    }
    ju_buf_adds(&b, p);
    return ju_buf_detach(&b, NULL);
}

static int status_code_for_http(long http)
{
    switch (http) {
    case 400:
        return JC_EINVAL;
    case 401:
    case 403:
        return JC_EINVAL;
    case 404:
        return JC_ENOTFOUND;
    case 409:
        return JC_ECONFLICT;
    case 429:
    case 503:
        return JC_EBUSY;
    case 504:
        return JC_ETIMEDOUT;
    default:
        return JC_ERR;
    }
}

/* ---- API 2.2 array paging (jobs-api.md 1.1) ------------------------- */

static const char *const job_arrays[] = {"tasks", "job_clusters",
                                         "parameters", "environments", NULL};
static const char *const run_arrays[] = {"tasks", "job_clusters",
                                         "job_parameters", "repair_history",
                                         "iterations", NULL};

/*
 * Append page's arrays to acc's. A for_each task run pages its iterations
 * and repeats the for_each task itself in tasks: then tasks are not
 * appended (as the Databricks Python SDK does).
 */
static void merge_page(json_t *acc, json_t *page, enum dbx_paged kind)
{
    const char *const *names = kind == PAGED_JOB ? job_arrays : run_arrays;
    json_t *dst_obj = kind == PAGED_JOB ? json_object_get(acc, "settings")
                                        : acc;
    json_t *src_obj = kind == PAGED_JOB ? json_object_get(page, "settings")
                                        : page;
    bool iterating = json_array_size(json_object_get(acc, "iterations")) > 0;
    size_t i;

    if (!json_is_object(dst_obj) || !json_is_object(src_obj))
        return;
    for (i = 0; names[i]; i++) {
        json_t *src = json_object_get(src_obj, names[i]);
        json_t *dst = json_object_get(dst_obj, names[i]);

        if (!json_is_array(src) || !json_array_size(src))
            continue;
        if (kind == PAGED_RUN && iterating && !strcmp(names[i], "tasks"))
            continue;
        if (!json_is_array(dst)) {
            dst = json_array();
            json_object_set_new(dst_obj, names[i], dst);
        }
        json_array_extend(dst, src);
    }
}

/*
 * After a 2xx page of a paged call: 1 when the next page was requested
 * (nothing to deliver yet), 0 when *body (replaced by the assembled
 * object) is to be delivered, -1 on an error (*msg set).
 */
static int page_step(struct jc_dbx_req *r, json_t **body, char **msg)
{
    const char *tok = json_string_value(json_object_get(*body,
                                                        "next_page_token"));
    char *etok;
    const char *prev;

    r->pages++;
    if (!r->acc)
        r->acc = json_incref(*body);
    else
        merge_page(r->acc, *body, r->paged);
    if (!tok || !*tok) {
        json_object_del(r->acc, "next_page_token");
        json_decref(*body);
        *body = r->acc;
        r->acc = NULL;
        return 0;
    }
    prev = strstr(r->url, "page_token=");
    etok = curl_easy_escape(NULL, tok, 0);
    json_decref(*body); /* merged into acc; tok is gone with it */
    *body = NULL;
    if (r->pages >= DBX_MAX_PAGES ||
        (prev && !strcmp(prev + strlen("page_token="), etok))) {
        curl_free(etok);
        *msg = ju_xasprintf("paging of '%s' did not end after %d pages",
                            strchr(r->url0 + 8, '/'), r->pages);
        return -1;
    }
    free(r->url);
    r->url = ju_xasprintf("%s%cpage_token=%s", r->url0,
                          strchr(r->url0, '?') ? '&' : '?', etok);
    curl_free(etok);
    r->t0 = now_s(); /* each page has the whole retry budget */
    if (start_attempt(r) < 0) {
        *msg = ju_xstrdup(jc_err_last());
        return -1;
    }
    return 1;
}

static void finish(struct jc_dbx_req *r, CURLcode rc)
{
    struct jc_dbx *c = r->c;
    struct jc_dbx_result res;
    long http = 0;
    json_t *body = NULL;
    json_error_t jerr;
    char *msg = NULL;
    char *code = NULL;
    bool retry = false;
    double delay = 0;

    if (rc == CURLE_OK)
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &http);
    req_drop_easy(r);

    if (rc != CURLE_OK)
        retry = transient_curl(rc);
    else if (http == 429 || http == 503)
        retry = true;
    else if (http == 400 || http == 500 || http == 502 || http == 504)
        retry = transient_body(r);
    if (retry) {
        if (r->retry_after_s >= 0) {
            delay = (double)r->retry_after_s;
            if (delay > c->opts.retry_after_cap_s)
                delay = c->opts.retry_after_cap_s;
        } else {
            double f = 0.75 + 0.25 * (double)rand_r(&c->seed) / RAND_MAX;

            delay = c->opts.retry_base_s * pow(2.0, r->attempt - 1);
            if (delay > c->opts.retry_cap_s)
                delay = c->opts.retry_cap_s;
            delay *= f;
        }
        if (now_s() + delay - r->t0 > c->opts.retry_budget_s)
            retry = false;
    }
    if (retry) {
        c->retries++;
        log_info("databricks %s '%s' attempt %d: %s; retrying in %.1fs",
                 r->method, strchr(r->url + 8, '/'), r->attempt,
                 rc != CURLE_OK ? curl_easy_strerror(rc)
                 : http == 429  ? "HTTP 429"
                 : http == 503  ? "HTTP 503"
                                : "transient error",
                 delay);
        uv_timer_start(&r->retry, on_retry_timer,
                       (uint64_t)(delay * 1000.0), 0);
        return;
    }

    memset(&res, 0, sizeof(res));
    res.http_status = http;
    res.attempts = r->attempt;
    if (rc != CURLE_OK) {
        res.status = rc == CURLE_OPERATION_TIMEDOUT ? JC_ETIMEDOUT
                     : rc == CURLE_WRITE_ERROR      ? JC_ETOOBIG
                                                    : JC_EIO;
        msg = ju_xasprintf("cannot reach '%s': %s", c->host,
                           r->errbuf[0] ? r->errbuf : curl_easy_strerror(rc));
    } else {
        if (r->resp.len)
            body = json_loadb(r->resp.data, r->resp.len, 0, &jerr);
        if (http >= 200 && http < 300) {
            if (!body && r->resp.len) {
                res.status = JC_EPARSE;
                msg = ju_xasprintf("bad JSON from Databricks at byte %d: %s",
                                   jerr.position, jerr.text);
            } else if (!body) {
                body = json_object();
            }
            if (!res.status && r->paged && json_is_object(body)) {
                int ps = page_step(r, &body, &msg);

                if (ps > 0)
                    return; /* the next page is on its way */
                if (ps < 0)
                    res.status = JC_EPARSE;
            }
        } else {
            json_t *ec = body ? json_object_get(body, "error_code") : NULL;
            json_t *m = body ? json_object_get(body, "message") : NULL;

            res.status = status_code_for_http(http);
            if (json_is_string(ec))
                code = ju_xstrdup(json_string_value(ec));
            else if (json_is_integer(ec))
                code = ju_xasprintf("%lld", (long long)json_integer_value(ec));
            if (!json_is_string(m) && body)
                m = json_object_get(body, "error");
            if (json_is_string(m))
                msg = ju_xstrdup(json_string_value(m));
            else
                msg = ju_xasprintf("HTTP %ld from Databricks", http);
        }
    }
    if (msg) {
        char *red = redact(c, msg);

        free(msg);
        msg = red;
    }
    res.body = body;
    res.error_code = code;
    res.message = msg ? msg : "";
    r->dead = true; /* abandon from inside cb is a no-op */
    r->cb(r->ud, &res);
    json_decref(body);
    free(msg);
    free(code);
    req_destroy(r);
}

static void check_multi_info(struct jc_dbx *c)
{
    CURLMsg *m;
    int pending;

    while (c->multi && (m = curl_multi_info_read(c->multi, &pending))) {
        struct jc_dbx_req *r = NULL;

        if (m->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        if (!r || r->dead)
            continue;
        finish(r, m->data.result);
    }
}

static int append_query(struct ju_buf *u, json_t *args)
{
    const char *k;
    json_t *v;
    char sep = '?';

    json_object_foreach(args, k, v)
    {
        char *ek;
        char *ev;
        char num[32];
        const char *s;

        if (json_is_string(v))
            s = json_string_value(v);
        else if (json_is_integer(v)) {
            snprintf(num, sizeof(num), "%lld",
                     (long long)json_integer_value(v));
            s = num;
        } else if (json_is_boolean(v))
            s = json_is_true(v) ? "true" : "false";
        else
            return jc_err_set(JC_EINVAL, "query parameter '%s' must be a "
                                         "string, integer or boolean", k);
        ek = curl_easy_escape(NULL, k, 0);
        ev = curl_easy_escape(NULL, s, 0);
        ju_buf_addf(u, "%c%s=%s", sep, ek, ev);
        curl_free(ek);
        curl_free(ev);
        sep = '&';
    }
    return 0;
}

int jc_dbx_call(struct jc_dbx *c, struct jc_dbx_req **out, const char *method,
                const char *path, json_t *args, jc_dbx_cb cb, void *ud)
{
    struct jc_dbx_req *r;
    struct ju_buf url = JU_BUF_INIT;
    bool post = !strcmp(method, "POST");
    int rc;

    if (!post && strcmp(method, "GET"))
        return jc_err_set(JC_EINVAL, "unsupported method '%s'", method);
    ju_buf_adds(&url, c->base);
    ju_buf_adds(&url, path);
    if (!post && args && (rc = append_query(&url, args)) < 0) {
        ju_buf_release(&url);
        return rc;
    }
    r = ju_xcalloc(1, sizeof(*r));
    r->c = c;
    r->method = ju_xstrdup(method);
    r->url = ju_buf_detach(&url, NULL);
    if (!post && (!strcmp(path, "jobs/get") || !strcmp(path, "jobs/runs/get")) &&
        !json_object_get(args, "page_token")) {
        r->paged = !strcmp(path, "jobs/get") ? PAGED_JOB : PAGED_RUN;
        r->url0 = ju_xstrdup(r->url);
    }
    if (post) {
        r->body = args ? json_dumps(args, JSON_COMPACT) : ju_xstrdup("{}");
        if (!r->body)
            JC_BUG("json_dumps failed");
    }
    ju_buf_init(&r->resp, DBX_MAX_RESPONSE);
    r->hdrs = curl_slist_append(NULL, "Accept: application/json");
    if (post)
        r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/json");
    if (c->auth)
        r->hdrs = curl_slist_append(r->hdrs, c->auth);
    r->hdrs = curl_slist_append(r->hdrs, "Expect:");
    r->cb = cb;
    r->ud = ud;
    r->t0 = now_s();
    uv_timer_init(c->loop, &r->retry);
    r->retry.data = r;
    r->next = c->reqs;
    if (c->reqs)
        c->reqs->prev = r;
    c->reqs = r;
    rc = start_attempt(r);
    if (rc < 0) {
        r->dead = true;
        req_destroy(r);
        return rc;
    }
    if (out)
        *out = r;
    return 0;
}
