/*
 * api_int.h: what the api_*.c files share: the API object, per-request
 * context, JSON responses and Databricks-shaped errors. Private to api/.
 */
#ifndef JOBCTL_API_API_INT_H
#define JOBCTL_API_API_INT_H

#include "api/api.h"

#define API_MAX_SESSIONS 64

struct jc_api {
    struct jc_store *store;
    struct jc_api_backend be;
    char *token;
    char *webhook_secret;
    char *home;
    char sessions[API_MAX_SESSIONS][65];
    size_t next_session;
    uint64_t requests;
    uint64_t responses_by_class[6]; /* 1xx..5xx */
    uint64_t hooks_accepted;
    uint64_t hooks_rejected;
    struct api_cache *cache; /* GET responses keyed by URL (api_cache.c) */
};

struct api_ctx {
    struct jc_api *api;
    const struct jc_http_request *req;
    struct jc_http_response *resp;
    const char *endpoint; /* path after /api/2.x/jobs/ */
    bool is_22;           /* request came in under /api/2.2 */
};

/* Respond with j (reference stolen) as JSON. */
void api_json(struct jc_http_response *resp, int status, json_t *j);
/* {"error_code": code, "message": msg} */
void api_error(struct jc_http_response *resp, int status, const char *code,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Map a JC_E* from the store/backend to a Databricks error response. */
void api_error_rc(struct jc_http_response *resp, int rc);
/* Parse the POST body as a JSON object; on failure responds 400 and
 * returns NULL. */
json_t *api_body(struct api_ctx *c);
/* Require method; on mismatch responds 405 and returns false. */
bool api_method(struct api_ctx *c, const char *method);
/*
 * Integer field of a JSON object: accepts JSON integers and digit strings
 * (SDKs send both). Returns 1 found, 0 absent, -1 bad (response written).
 */
int api_json_int64(struct api_ctx *c, json_t *obj, const char *key,
                   int64_t *out);
/* Query integer; same return convention. */
int api_query_int64(struct api_ctx *c, const char *name, int64_t *out);
/* Query boolean true/false; 0 absent, 1 found, -1 bad. */
int api_query_bool(struct api_ctx *c, const char *name, bool *out);

/*
 * A small cache of GET response bodies keyed by a string, valid while the
 * store has not changed (this connection's change count and SQLite's
 * data_version for other writers) and, when ttl_ms > 0, until it expires.
 */
const char *api_cache_get(struct jc_api *api, const char *key, size_t *len);
void api_cache_put(struct jc_api *api, const char *key, const char *body,
                   size_t len, int64_t ttl_ms);
/*
 * On a hit, answer 200 application/json with the cached body shared (no
 * copy: the server writes it from the cache entry) and return true.
 */
bool api_cache_serve(struct api_ctx *c, const char *key);
void api_cache_free(struct jc_api *api);

/* endpoints */
void api_jobs_dispatch(struct api_ctx *c);
void api_runs_dispatch(struct api_ctx *c);
void api_health(struct api_ctx *c);
void api_metrics(struct api_ctx *c);
void api_static(struct api_ctx *c);
void api_hooks_github(struct api_ctx *c, const char *job);
void api_jobctl_dispatch(struct api_ctx *c, const char *what);
void api_scores(struct api_ctx *c);

/* auth: true when the request may proceed; otherwise responds 401/403. */
bool api_auth_check(struct api_ctx *c);
/* GET /?token=T and POST /login: set the session cookie and redirect. */
bool api_auth_login(struct api_ctx *c);
/* True when the status page may be shown to this request. */
bool api_page_allowed(struct api_ctx *c);
/* The login form page (401). */
void api_auth_login_page(struct api_ctx *c, const char *msg);

/* Run JSON (Databricks Run shape) of one run id; NULL + error response
 * when it does not exist. include_history adds repair_history. */
json_t *api_run_json(struct api_ctx *c, int64_t run_id, bool with_tasks,
                     bool include_history);
/* Job JSON of a stored job; NULL when missing (no response written). */
json_t *api_job_json(struct jc_api *api, int64_t job_id);

/* ---- run JSON (api_run_json.c) ---- */

struct jc_run_row;

/* 400 INVALID_PARAMETER_VALUE "Run N does not exist." */
void api_run_not_exist(struct api_ctx *c, int64_t run_id);
/* v1 RunState and v2 RunStatus objects from life/result/message. */
json_t *api_state_v1(const char *life, const char *result, const char *msg);
json_t *api_status_v2(const char *life, const char *result, const char *msg);
/* Parse s as JSON; dflt (reference stolen) when s is NULL or bad. */
json_t *api_json_parse_or(const char *s, json_t *dflt);
/*
 * The Run object of r. max_trid >= 0 leaves out attempts with a larger
 * task_run_id (a paging snapshot: their tasks appear as the not-yet-started
 * placeholders they were); -1 includes everything. *snap_trid (may be
 * NULL) gets the largest task_run_id included (0 when none).
 */
json_t *api_run_from_row(struct api_ctx *c, const struct jc_run_row *r,
                         bool with_tasks, bool include_history,
                         int64_t max_trid, int64_t *snap_trid);

/* ---- API 2.2 array paging in jobs/get and runs/get (api_page.c) ---- */

#define API_PAGE_SIZE 100          /* elements per array per page */
#define API_PAGE_NARRAYS 5         /* arrays paged per object, at most */
#define API_PAGE_MAX_ELEMS 1000000 /* cap on lengths read from a token */

/*
 * Paging state, carried in next_page_token (hex of a checksummed text:
 * opaque to clients). off[i] is the next element of the i-th paged array,
 * end[i] its length on the first page (later pages never go past it, so
 * elements appended meanwhile are not mixed in). snap: runs/get, the
 * largest task_run_id of the first page; jobs/get, a hash of the settings
 * (a job changed between pages makes the token stale).
 */
struct api_page {
    char kind; /* 'j' jobs/get, 'r' runs/get */
    int64_t id;
    int64_t snap;
    int64_t off[API_PAGE_NARRAYS];
    int64_t end[API_PAGE_NARRAYS];
};
/* The token text of p (malloc'd). */
char *api_page_token(const struct api_page *p);
/* A non-negative 63-bit hash of s (settings fingerprints). */
int64_t api_page_hash(const char *s);
/*
 * Read the page_token query parameter for (kind, id): 0 absent (*p is a
 * first page), 1 valid, -1 bad or belonging to another object (a 400
 * INVALID_PARAMETER_VALUE response is written).
 */
int api_page_from_query(struct api_ctx *c, char kind, int64_t id,
                        struct api_page *p);
/*
 * Cut obj's arrays names[] (NULL-terminated, at most API_PAGE_NARRAYS) to
 * this page's elements and advance p; on later pages (first == false)
 * arrays with nothing left are removed. Sets root's next_page_token while
 * any array has more, removes it otherwise.
 */
void api_page_apply(json_t *root, json_t *obj, const char *const *names,
                    struct api_page *p, bool first);
/*
 * jobs/list and runs/list with expand_tasks under 2.2: cut obj's arrays
 * names[] (NULL-terminated) to API_PAGE_SIZE elements; true when any was
 * cut (the item then gets "has_more": true).
 */
bool api_page_truncate(json_t *obj, const char *const *names);

#endif
