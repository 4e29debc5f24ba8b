/*
 * databricks.h: asynchronous Databricks Jobs API client (runs/submit,
 * runs/get, runs/get-output, runs/cancel) on libcurl's multi-socket
 * interface driven by a libuv loop (curl docs/examples/multi-uv.c), plus a
 * "remote run" state machine that submits one run and follows it to a
 * terminal state. Nothing here blocks the loop; no threads.
 * The token never appears in logs or error text.
 */
#ifndef JOBCTL_JOBCTL_DATABRICKS_H
#define JOBCTL_JOBCTL_DATABRICKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct jc_dbx;     /* one client: host, token, curl multi handle */
struct jc_dbx_req; /* one logical API call (with its retries) */
struct jc_dbx_run; /* one remote run being followed */

struct jc_dbx_opts {
    const char *host;        /* "https://dbc-x.cloud.databricks.com" */
    const char *token;       /* bearer token; never logged */
    const char *api_version; /* "2.2" (default) or "2.1" */
    double retry_base_s;     /* first backoff for transient errors (1.0) */
    double retry_cap_s;      /* backoff cap (30.0) */
    double retry_budget_s;   /* give up retrying after this long (300) */
    double retry_after_cap_s; /* cap on a server's Retry-After (120) */
    long request_timeout_ms; /* per HTTP attempt (60000) */
};
#define JC_DBX_OPTS_INIT {NULL, NULL, "2.2", 1.0, 30.0, 300.0, 120.0, 60000}

/*
 * Fill host/token from the environment the way the Databricks CLI does:
 * DATABRICKS_HOST / DATABRICKS_TOKEN, else the profile
 * $DATABRICKS_CONFIG_PROFILE (default DEFAULT) of $DATABRICKS_CONFIG_FILE
 * (default ~/.databrickscfg). A host without a scheme gets "https://".
 * DATABRICKS_API_VERSION overrides api_version. Strings are owned by a
 * static cache and live until exit. JC_ENOTFOUND when no host is known.
 */
int jc_dbx_opts_from_env(struct jc_dbx_opts *opts);

/* Create a client on loop. Copies everything it keeps. */
int jc_dbx_new(struct jc_dbx **out, uv_loop_t *loop,
               const struct jc_dbx_opts *opts);
/*
 * Abort outstanding requests (their callbacks are not called) and close
 * the handles; the memory is freed once the loop has run the close
 * callbacks. Accepts NULL.
 */
void jc_dbx_free(struct jc_dbx *c);

/* Outcome of one API call, after retries. Borrowed for the callback only. */
struct jc_dbx_result {
    int status;             /* 0 on HTTP 2xx, else a JC_E* code */
    long http_status;       /* 0 when no response was received */
    json_t *body;           /* parsed JSON response, or NULL */
    const char *error_code; /* Databricks error_code, or NULL */
    const char *message;    /* error text (never NULL when status != 0) */
    int attempts;           /* HTTP attempts made */
};
typedef void (*jc_dbx_cb)(void *ud, const struct jc_dbx_result *res);

/*
 * Start a call: method "GET" (args become the query string; values are
 * strings or integers) or "POST" (args is the JSON body). path is relative
 * to /api/<version>/, e.g. "jobs/runs/get". 429 and 503 are retried after
 * Retry-After (or backoff); connect/reset/timeout errors with exponential
 * backoff; all within retry_budget_s. cb runs exactly once unless the call
 * is abandoned with jc_dbx_req_abandon(). *out (may be NULL) stays valid
 * until cb has run.
 */
int jc_dbx_call(struct jc_dbx *c, struct jc_dbx_req **out, const char *method,
                const char *path, json_t *args, jc_dbx_cb cb, void *ud);
/* Stop a call in flight; its callback will not run. */
void jc_dbx_req_abandon(struct jc_dbx_req *r);

/* The loop the client runs on. */
uv_loop_t *jc_dbx_loop(const struct jc_dbx *c);
/* The workspace URL, without a trailing slash. Borrowed. */
const char *jc_dbx_host(const struct jc_dbx *c);

/* Total HTTP attempts / retries made by the client (for tests and stats). */
uint64_t jc_dbx_stat_attempts(const struct jc_dbx *c);
uint64_t jc_dbx_stat_retries(const struct jc_dbx *c);

/* ---- runs/submit body ---------------------------------------------- */

/* Applied to every string under the task-type object (parameters). */
typedef char *(*jc_dbx_resolve_cb)(void *ud, const char *s);

/*
 * Build a runs/submit request for one task attempt from the task's JSON
 * (as in the job file) and the job's job_clusters array (may be NULL):
 * job_cluster_key is inlined as new_cluster, depends_on/run_if/retry
 * fields are dropped, strings in the task-type object go through resolve
 * (if not NULL; return a malloc'd string or NULL to keep). Refuses
 * command_task and tasks without existing_cluster_id/new_cluster/
 * job_cluster_key (JC_EINVAL with a message). *out is owned by the caller.
 */
int jc_dbx_submit_body(json_t **out, json_t *task, json_t *job_clusters,
                       const char *run_name, const char *idempotency_token,
                       int64_t timeout_seconds, jc_dbx_resolve_cb resolve,
                       void *ud);
/*
 * "jobctl-<scope>-<run>-<task>-<attempt>" ("jobctl-<run>-<task>-<attempt>"
 * when scope is NULL), with the task key hashed when the token would pass
 * Databricks' 64 characters. scope tells apart run ids of different jobctl
 * databases sharing a workspace (the executor uses a random id per process;
 * HTTP retries of one submit reuse the same body, hence the same token).
 */
void jc_dbx_idempotency_token(char *dst, size_t n, const char *scope,
                              int64_t run_id, const char *task_key,
                              int attempt);
/*
 * Where the Databricks executor records an attempt's run as JSON, next
 * to the attempt's log ("<dir>/<attempt>.log" ->
 * "<dir>/<attempt>.databricks.json"): as soon as the run id is known
 * {"run_id", "host", "active": true}; when it ends the run facts (run ids,
 * states, setup/execution/cleanup/queue ms, cluster spec). An "active"
 * record of a finished attempt means jobctl died while the run was live
 * (see jc_accounting_attach). Caller frees.
 */
char *jc_dbx_sidecar_path(const char *log_path);
/* True when the task JSON names a cluster (so it can run remotely). */
bool jc_dbx_task_is_remote_capable(json_t *task);

/* ---- remote runs ------------------------------------------------------ */

enum jc_dbx_outcome {
    JC_DBX_SUCCESS = 0,
    JC_DBX_FAILED,       /* the run failed on Databricks */
    JC_DBX_TIMEDOUT,     /* our timeout (cancelled there) or theirs */
    JC_DBX_CANCELED,     /* cancelled by us (jc_dbx_run_cancel) or a user */
    JC_DBX_API_ERROR,    /* submit/get failed (error_code + message) */
    JC_DBX_INTERNAL_ERROR /* life_cycle_state INTERNAL_ERROR / SKIPPED */
};
const char *jc_dbx_outcome_name(enum jc_dbx_outcome o);

struct jc_dbx_run_result {
    enum jc_dbx_outcome outcome;
    int64_t run_id;        /* Databricks run id (0 if never submitted) */
    int64_t task_run_id;   /* the task run inside it (get-output) */
    char life_cycle_state[32];
    char result_state[40];
    const char *state_message; /* borrowed; may be "" */
    const char *error_code;    /* API error, or NULL */
    const char *error;         /* API message or get-output error, or "" */
    const char *output;        /* notebook result, error, trace, logs */
    int64_t start_time_ms, end_time_ms;
    int64_t setup_ms, execution_ms, cleanup_ms, queue_ms;
    const char *run_page_url;  /* or "" */
    int polls;                 /* runs/get calls made */
};
typedef void (*jc_dbx_run_done_cb)(void *ud, const struct jc_dbx_run_result *r);
/* Called on each observed life-cycle change (e.g. to log or persist). */
typedef void (*jc_dbx_run_state_cb)(void *ud, int64_t run_id,
                                    const char *life_cycle_state);

struct jc_dbx_run_opts {
    double poll_initial_s; /* first runs/get delay (1.0) */
    double poll_max_s;     /* backoff cap (30.0) */
    double timeout_s;      /* 0 = none; else cancel there, outcome TIMEDOUT */
    double cancel_wait_s;  /* wait for a terminal state after cancel (60) */
    jc_dbx_run_state_cb on_state;
};
#define JC_DBX_RUN_OPTS_INIT {1.0, 30.0, 0, 60.0, NULL}

/*
 * Submit body (borrowed; copied) and follow the run. done runs exactly once
 * (also on API errors), after which the caller frees the run with
 * jc_dbx_run_free (not from inside done is fine too).
 */
int jc_dbx_run_start(struct jc_dbx_run **out, struct jc_dbx *c, json_t *body,
                     const struct jc_dbx_run_opts *opts,
                     jc_dbx_run_done_cb done, void *ud);
/* Ask for cancellation: runs/cancel, then wait for the terminal state. */
void jc_dbx_run_cancel(struct jc_dbx_run *r);
/* Free (abandons any call in flight). Accepts NULL. */
void jc_dbx_run_free(struct jc_dbx_run *r);

/*
 * The Databricks executor behind jobctl/executor.h (ops name
 * "databricks", orchestrator/exec/databricks_exec.c): one runs/submit per
 * attempt with an idempotency token from run id + task + attempt; the
 * output goes to the attempt's log; stop() cancels the run there.
 */
struct jc_executor;
int jc_executor_databricks_new(struct jc_executor **out, uv_loop_t *loop,
                               const struct jc_dbx_opts *opts,
                               const struct jc_dbx_run_opts *run_opts);
/* The client of a Databricks executor (borrowed; lives as long as it). */
struct jc_dbx *jc_executor_databricks_client(struct jc_executor *ex);

/* Map a Databricks state onto outcome; exposed for tests. */
enum jc_dbx_outcome jc_dbx_map_state(const char *life_cycle_state,
                                     const char *result_state);

#endif
