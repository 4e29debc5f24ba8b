/*
 * databricks_exec.c: the "databricks" executor (jobctl/executor.h). Each
 * attempt becomes one runs/submit on the task's cluster, followed by the
 * async remote-run state machine (client/databricks_run.c); life-cycle
 * changes and the run output (notebook result, error, error_trace, logs)
 * are written to the attempt's log; stop() cancels the run on Databricks.
 * Task values do not come back from remote tasks (docs/readme/70-remote.md).
 */
#include "jobctl/databricks.h"

#include "jobctl/err.h"
#include "jobctl/executor.h"
#include "jobctl/spec.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct dbx_exec {
    struct jc_executor base;
    struct jc_dbx *client;
    struct jc_dbx_run_opts ropts;
    char scope[20]; /* random per executor: idempotency token scope */
};

struct jc_attempt {
    struct dbx_exec *ex;
    struct jc_dbx_run *run;
    jc_attempt_done_cb cb;
    void *arg;
    char *log_path;
    char *task_key;
    int64_t start_ms;
    int64_t remote_run_id;
    json_t *cluster; /* {"new_cluster": ...} or {"existing_cluster_id": ..} */
    bool stop_requested;
    enum jc_stop_reason stop_why;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void mkdirs_for(const char *path)
{
    char *d = ju_xstrdup(path);
    char *p;

    for (p = d + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(d, 0755) < 0 && errno != EEXIST)
            break;
        *p = '/';
    }
    free(d);
}

/* Append text to the attempt's log (created with its directory). */
static void log_append(struct jc_attempt *a, const char *text)
{
    FILE *f;

    if (!a->log_path || !text || !*text)
        return;
    mkdirs_for(a->log_path);
    f = fopen(a->log_path, "a");
    if (!f) {
        log_warn("cannot open '%s': %s", a->log_path, strerror(errno));
        return;
    }
    fputs(text, f);
    fclose(f);
}

/* As soon as the run exists there: a record that outlives a crash. */
static void write_active_sidecar(struct jc_attempt *a, int64_t run_id)
{
    char *path;
    json_t *j;

    if (!a->log_path)
        return;
    path = jc_dbx_sidecar_path(a->log_path);
    j = json_pack("{sI ss sb}", "run_id", (json_int_t)run_id, "host",
                  jc_dbx_host(a->ex->client), "active", 1);
    mkdirs_for(path);
    if (!j || json_dump_file(j, path, JSON_COMPACT) < 0)
        log_warn("cannot write '%s'", path);
    json_decref(j);
    free(path);
}

static void on_state(void *ud, int64_t run_id, const char *lc)
{
    struct jc_attempt *a = ud;
    char line[160];

    if (!a->remote_run_id && run_id)
        write_active_sidecar(a, run_id);
    a->remote_run_id = run_id;
    snprintf(line, sizeof(line), "databricks run %lld: %s\n",
             (long long)run_id, lc);
    log_append(a, line);
}

static enum jc_attempt_outcome map_outcome(struct jc_attempt *a,
                                           const struct jc_dbx_run_result *r)
{
    switch (r->outcome) {
    case JC_DBX_SUCCESS:
        return JC_ATTEMPT_SUCCESS;
    case JC_DBX_FAILED:
        return JC_ATTEMPT_FAILED;
    case JC_DBX_TIMEDOUT:
        return JC_ATTEMPT_TIMEDOUT;
    case JC_DBX_CANCELED:
        if (a->stop_requested && a->stop_why == JC_STOP_TIMEOUT)
            return JC_ATTEMPT_TIMEDOUT;
        return JC_ATTEMPT_CANCELED;
    case JC_DBX_API_ERROR:
        if (a->stop_requested)
            return a->stop_why == JC_STOP_TIMEOUT ? JC_ATTEMPT_TIMEDOUT
                                                  : JC_ATTEMPT_CANCELED;
        /* a rejected submit will not get better by retrying */
        return r->run_id ? JC_ATTEMPT_INTERNAL_ERROR : JC_ATTEMPT_START_FAILED;
    case JC_DBX_INTERNAL_ERROR:
        return JC_ATTEMPT_INTERNAL_ERROR;
    }
    return JC_ATTEMPT_FAILED;
}

static void attempt_free(struct jc_attempt *a)
{
    jc_dbx_run_free(a->run);
    json_decref(a->cluster);
    free(a->log_path);
    free(a->task_key);
    free(a);
}

/* The run facts the accounting reads back (jc_dbx_sidecar_path). */
static void write_sidecar(struct jc_attempt *a,
                          const struct jc_dbx_run_result *r)
{
    char *path;
    json_t *j;

    if (!a->log_path)
        return;
    path = jc_dbx_sidecar_path(a->log_path);
    j = json_pack("{sI sI ss ss ss sI sI sI sI sI sI ss sO* ss sb}",
                  "run_id",
                  (json_int_t)r->run_id, "task_run_id",
                  (json_int_t)r->task_run_id, "outcome",
                  jc_dbx_outcome_name(r->outcome), "life_cycle_state",
                  r->life_cycle_state, "result_state", r->result_state,
                  "start_time", (json_int_t)r->start_time_ms, "end_time",
                  (json_int_t)r->end_time_ms, "setup_duration",
                  (json_int_t)r->setup_ms, "execution_duration",
                  (json_int_t)r->execution_ms, "cleanup_duration",
                  (json_int_t)r->cleanup_ms, "queue_duration",
                  (json_int_t)r->queue_ms, "run_page_url", r->run_page_url,
                  "cluster", a->cluster, "host", jc_dbx_host(a->ex->client),
                  "active", 0);
    mkdirs_for(path);
    if (!j || json_dump_file(j, path, JSON_COMPACT) < 0)
        log_warn("cannot write '%s'", path);
    json_decref(j);
    free(path);
}

static void on_run_done(void *ud, const struct jc_dbx_run_result *r)
{
    struct jc_attempt *a = ud;
    struct jc_attempt_result res;
    struct ju_buf msg = JU_BUF_INIT;
    struct ju_buf log = JU_BUF_INIT;

    memset(&res, 0, sizeof(res));
    res.outcome = map_outcome(a, r);
    res.exit_code = -1;
    res.start_ms = r->start_time_ms > 0 ? r->start_time_ms : a->start_ms;
    res.end_ms = r->end_time_ms > 0 ? r->end_time_ms : now_ms();
    if (res.end_ms < res.start_ms)
        res.end_ms = res.start_ms;
    res.read_bytes = -1;
    res.write_bytes = -1;
    snprintf(res.executor, sizeof(res.executor), "databricks");
    if (r->run_id)
        snprintf(res.remote_run_id, sizeof(res.remote_run_id), "%lld",
                 (long long)r->run_id);

    /* state message: what a user needs to see in `jobctl runs show` */
    if (r->outcome == JC_DBX_API_ERROR) {
        ju_buf_addf(&msg, "databricks %s", r->error);
    } else {
        ju_buf_addf(&msg, "databricks run %lld %s", (long long)r->run_id,
                    r->result_state[0] ? r->result_state
                                       : r->life_cycle_state);
        if (*r->error)
            ju_buf_addf(&msg, ": %s", r->error);
        else if (*r->state_message && r->outcome != JC_DBX_SUCCESS)
            ju_buf_addf(&msg, ": %s", r->state_message);
    }
    snprintf(res.state_message, sizeof(res.state_message), "%s",
             ju_buf_str(&msg));

    ju_buf_addf(&log, "databricks run %lld finished: %s %s (setup %lld ms, "
                      "execution %lld ms, cleanup %lld ms)%s%s\n",
                (long long)r->run_id, r->life_cycle_state, r->result_state,
                (long long)r->setup_ms, (long long)r->execution_ms,
                (long long)r->cleanup_ms, *r->run_page_url ? " " : "",
                r->run_page_url);
    if (r->outcome == JC_DBX_API_ERROR)
        ju_buf_addf(&log, "error: %s\n", r->error);
    ju_buf_adds(&log, r->output);
    log_append(a, ju_buf_str(&log));
    write_sidecar(a, r);
    log_debug("task '%s': %s", a->task_key, ju_buf_str(&msg));
    ju_buf_release(&msg);
    ju_buf_release(&log);
    a->cb(a, &res, a->arg);
    attempt_free(a);
}

/* Overlay the engine's resolved parameters onto the submit task. */
static void apply_resolved(json_t *body, json_t *resolved)
{
    json_t *task = json_array_get(json_object_get(body, "tasks"), 0);
    const char *k;
    json_t *v;

    if (!json_is_object(resolved) || !task)
        return;
    json_object_foreach(resolved, k, v)
    {
        json_t *dst = json_object_get(task, k);

        if (json_is_object(dst) && json_is_object(v))
            json_object_update(dst, v);
    }
}

/* {{job.id}} {{run.id}} {{task.name}} {{job.parameters.x}} (defaults). */
struct subst_ctx {
    const struct jc_attempt_req *req;
};

static char *subst(void *ud, const char *s)
{
    struct subst_ctx *c = ud;
    struct ju_buf b = JU_BUF_INIT;
    const char *p = s;
    const char *open;
    bool changed = false;

    while ((open = strstr(p, "{{"))) {
        const char *close = strstr(open, "}}");
        char name[256];
        size_t n;
        const char *val = NULL;
        char num[32];
        size_t i;

        if (!close)
            break;
        ju_buf_add(&b, p, (size_t)(open - p));
        n = (size_t)(close - open - 2);
        while (n && open[2] == ' ') {
            open++;
            n--;
        }
        while (n && open[2 + n - 1] == ' ')
            n--;
        snprintf(name, sizeof(name), "%.*s", (int)n, open + 2);
        if (!strcmp(name, "job.id") || !strcmp(name, "job_id")) {
            snprintf(num, sizeof(num), "%lld", (long long)c->req->job_id);
            val = num;
        } else if (!strcmp(name, "run.id") || !strcmp(name, "run_id") ||
                   !strcmp(name, "job.run_id")) {
            snprintf(num, sizeof(num), "%lld", (long long)c->req->run_id);
            val = num;
        } else if (!strcmp(name, "task.name") || !strcmp(name, "task_key")) {
            val = c->req->task_key;
        } else if (!strncmp(name, "job.parameters.", 15) && c->req->job) {
            for (i = 0; i < c->req->job->nparams; i++)
                if (!strcmp(c->req->job->params[i].name, name + 15))
                    val = c->req->job->params[i].default_value;
        }
        if (val) {
            ju_buf_adds(&b, val);
            changed = true;
        } else {
            ju_buf_add(&b, open, (size_t)(close + 2 - open));
        }
        p = close + 2;
    }
    if (!changed) {
        ju_buf_release(&b);
        return NULL;
    }
    ju_buf_adds(&b, p);
    return ju_buf_detach(&b, NULL);
}

static int dbx_start(struct jc_executor *base, const struct jc_attempt_req *req,
                     jc_attempt_done_cb done_cb, void *arg,
                     struct jc_attempt **out)
{
    struct dbx_exec *ex = base->impl;
    struct jc_attempt *a;
    struct jc_dbx_run_opts ro = ex->ropts;
    struct subst_ctx sc = {req};
    json_t *body = NULL;
    json_t *clusters;
    char token[80];
    char *run_name;
    int rc;

    if (!req->task || !req->task->raw)
        return jc_err_set(JC_EINVAL, "databricks executor needs the task "
                                     "definition");
    clusters = req->job && req->job->settings
                   ? json_object_get(req->job->settings, "job_clusters")
                   : NULL;
    jc_dbx_idempotency_token(token, sizeof(token), ex->scope, req->run_id,
                             req->task_key, req->attempt);
    run_name = ju_xasprintf("%s/%s (jobctl run %lld)",
                            req->job && req->job->name ? req->job->name
                                                       : "jobctl",
                            req->task_key, (long long)req->run_id);
    rc = jc_dbx_submit_body(&body, req->task->raw, clusters, run_name, token,
                            req->task->timeout_seconds, subst, &sc);
    free(run_name);
    if (rc < 0)
        return rc;
    apply_resolved(body, req->resolved);

    a = ju_xcalloc(1, sizeof(*a));
    a->ex = ex;
    a->cb = done_cb;
    a->arg = arg;
    a->log_path = req->log_path ? ju_xstrdup(req->log_path) : NULL;
    a->task_key = ju_xstrdup(req->task_key);
    a->start_ms = now_ms();
    {
        json_t *t = json_array_get(json_object_get(body, "tasks"), 0);
        json_t *nc = json_object_get(t, "new_cluster");
        json_t *ec = json_object_get(t, "existing_cluster_id");

        a->cluster = nc   ? json_pack("{sO}", "new_cluster", nc)
                     : ec ? json_pack("{sO}", "existing_cluster_id", ec)
                          : json_object();
    }
    ro.on_state = on_state;
    ro.timeout_s = 0; /* the engine's timer calls stop(JC_STOP_TIMEOUT) */
    {
        char line[200];

        snprintf(line, sizeof(line),
                 "submitting '%s' attempt %d to Databricks "
                 "(idempotency_token %s)\n",
                 req->task_key, req->attempt, token);
        log_append(a, line);
    }
    rc = jc_dbx_run_start(&a->run, ex->client, body, &ro, on_run_done, a);
    json_decref(body);
    if (rc < 0) {
        a->run = NULL;
        attempt_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

static int dbx_stop(struct jc_executor *base, struct jc_attempt *a,
                    enum jc_stop_reason why)
{
    (void)base;
    if (!a->stop_requested) {
        a->stop_requested = true;
        a->stop_why = why;
        log_append(a, why == JC_STOP_TIMEOUT
                          ? "timeout: cancelling the Databricks run\n"
                          : "cancel: cancelling the Databricks run\n");
    }
    jc_dbx_run_cancel(a->run);
    return 0;
}

static void dbx_info(struct jc_executor *base, struct jc_attempt *a,
                     struct jc_attempt_result *out)
{
    (void)base;
    snprintf(out->executor, sizeof(out->executor), "databricks");
    out->start_ms = a->start_ms;
    out->pid = 0;
    out->pgid = 0;
    if (a->remote_run_id)
        snprintf(out->remote_run_id, sizeof(out->remote_run_id), "%lld",
                 (long long)a->remote_run_id);
}

static void dbx_destroy(struct jc_executor *base)
{
    struct dbx_exec *ex;

    if (!base)
        return;
    ex = base->impl;
    jc_dbx_free(ex->client);
    free(ex);
}

struct jc_dbx *jc_executor_databricks_client(struct jc_executor *base)
{
    return ((struct dbx_exec *)base->impl)->client;
}

static const struct jc_executor_ops dbx_ops = {
    "databricks", dbx_start, dbx_stop, dbx_info, dbx_destroy};

int jc_executor_databricks_new(struct jc_executor **out, uv_loop_t *loop,
                               const struct jc_dbx_opts *opts,
                               const struct jc_dbx_run_opts *run_opts)
{
    struct dbx_exec *ex = ju_xcalloc(1, sizeof(*ex));
    struct jc_dbx_run_opts def = JC_DBX_RUN_OPTS_INIT;
    int rc;

    rc = jc_dbx_new(&ex->client, loop, opts);
    if (rc < 0) {
        free(ex);
        return rc;
    }
    ex->ropts = run_opts ? *run_opts : def;
    {
        uint64_t r = 0;
        struct timespec ts;

        if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
            clock_gettime(CLOCK_REALTIME, &ts);
            r = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                (uint64_t)getpid();
        }
        snprintf(ex->scope, sizeof(ex->scope), "%08x", (unsigned)(r >> 32));
    }
    ex->base.ops = &dbx_ops;
    ex->base.loop = loop;
    ex->base.impl = ex;
    *out = &ex->base;
    return 0;
}
