/*
 * api.h: the REST API (Jobs API 2.1/2.2 subset with Databricks shapes,
 * /healthz, /metrics, webhooks, status page assets, /api/jobctl/...).
 * It reads state from the SQLite store and asks a backend (the daemon's
 * run engine and scheduler) to start, cancel and repair runs.
 */
#ifndef JOBCTL_API_API_H
#define JOBCTL_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http/http.h"

struct jc_store;

/*
 * What the API needs from whoever runs jobs. Every function returns 0 or
 * a negative JC_E* with jc_err_set() detail: JC_ENOTFOUND (missing job or
 * run), JC_EINVAL (bad parameter), JC_ESTATE (wrong state, e.g. repair of
 * an active run). Any member may be NULL (the API answers 501).
 */
struct jc_api_backend {
    void *ud;
    /* Start a run of a saved job. params: object name -> string (may be
     * NULL). token: idempotency token or NULL. trigger: "ONE_TIME" ... */
    int (*run_now)(void *ud, int64_t job_id, json_t *params,
                   const char *token, const char *trigger, int64_t *run_id);
    /* One-time run from a runs/submit body. */
    int (*submit)(void *ud, json_t *body, const char *token,
                  int64_t *run_id);
    int (*cancel)(void *ud, int64_t run_id);
    /* job_id 0 with all_queued: every queued run. */
    int (*cancel_all)(void *ud, int64_t job_id, bool all_queued);
    /* tasks NULL/0 = failed tasks and everything downstream. */
    int (*repair)(void *ud, int64_t run_id, const char *const *tasks,
                  size_t ntasks, bool rerun_all_failed, bool rerun_dependent,
                  json_t *params, int64_t *repair_id);
    /* A job was created/reset/updated/deleted through the API. */
    void (*job_changed)(void *ud, int64_t job_id);
    /* For /metrics: runs waiting in queues, scheduler lag in seconds. */
    size_t (*queue_length)(void *ud);
    double (*scheduler_lag_s)(void *ud);
};

struct jc_api_opts {
    const char *token;          /* JOBCTL_TOKEN; NULL/"" = open (loopback) */
    const char *webhook_secret; /* JOBCTL_WEBHOOK_SECRET; NULL = hooks off */
    const char *home;           /* JOBCTL_HOME (logs, lake) */
};

struct jc_api;

struct jc_api *jc_api_new(struct jc_store *store,
                          const struct jc_api_backend *backend,
                          const struct jc_api_opts *opts);
void jc_api_free(struct jc_api *api);
/* The jc_http_handler_cb of the daemon: ud is the struct jc_api. */
void jc_api_handle(const struct jc_http_request *req,
                   struct jc_http_response *resp, void *ud);
/* Count of requests served (for /metrics). */
uint64_t jc_api_requests(const struct jc_api *api);

/* ---- helpers shared by api_*.c (not for other components) ---- */

/* Constant-time equality of two NUL-terminated strings. */
bool jc_api_secret_eq(const char *a, const char *b);
/* "sha256=<hex>" of HMAC-SHA256(secret, body); out must hold 72 bytes. */
void jc_api_hmac_sha256_hex(const char *secret, const void *body, size_t len,
                            char *out, size_t outcap);
/* Verify an X-Hub-Signature-256 header value (constant time). */
bool jc_api_verify_github_signature(const char *secret, const void *body,
                                    size_t len, const char *header);

#endif
