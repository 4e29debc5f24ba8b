/*
 * accounting.c: costs per attempt and the Delta mirror (accounting.h).
 * The run engine stores every attempt's measures and cost in task_runs;
 * after a run, rows above each Delta table's txn version (appId
 * JC_ACCT_APP_*) are appended in one commit per table. Because the txn
 * version is the highest task_run_id mirrored and rows are taken in id
 * order up to the first attempt still running, a failed or interrupted
 * mirror is redone by the next run without duplicates.
 */
#include "jobctl/accounting.h"

#include "jobctl/databricks.h"
#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/log.h"
#include "util/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIRROR_MAX_ROWS 100000 /* per commit; the rest goes next time */

struct jc_accounting {
    struct jc_pricing pricing;
    struct jc_store *store;
    char *home;
    uv_loop_t *loop;
    struct jc_executor *remote;
    /* chained callbacks of the caller */
    jc_task_event_cb user_on_task;
    jc_run_done_cb user_on_done;
    jc_attempt_account_cb user_on_account;
    void *user_arg;
};

/* ---- cost ----------------------------------------------------------- */

static json_t *task_cluster(const struct jc_job *job, json_t *task,
                            const char **existing)
{
    json_t *nc = json_object_get(task, "new_cluster");
    json_t *jck = json_object_get(task, "job_cluster_key");
    json_t *jcs;
    json_t *jc;
    size_t i;

    *existing = json_string_value(json_object_get(task, "existing_cluster_id"));
    if (json_is_object(nc))
        return nc;
    if (!json_is_string(jck) || !job || !job->settings)
        return NULL;
    jcs = json_object_get(job->settings, "job_clusters");
    json_array_foreach(jcs, i, jc)
    {
        json_t *k = json_object_get(jc, "job_cluster_key");

        if (json_is_string(k) &&
            !strcmp(json_string_value(k), json_string_value(jck)))
            return json_object_get(jc, "new_cluster");
    }
    return NULL;
}

/* The Databricks executor's record of an attempt, or NULL. */
static json_t *load_sidecar(const char *log_path)
{
    char *path;
    json_t *j;

    if (!log_path)
        return NULL;
    path = jc_dbx_sidecar_path(log_path);
    j = json_load_file(path, 0, NULL);
    free(path);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

static int64_t jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

double jc_accounting_cost(const struct jc_pricing *p, const struct jc_job *job,
                          const struct jc_task *task, const char *log_path,
                          const struct jc_attempt_result *res, char *cluster,
                          size_t ncluster)
{
    double wall = res->end_ms > res->start_ms
                      ? (double)(res->end_ms - res->start_ms) / 1000.0
                      : 0;

    if (!strcmp(res->executor, "databricks")) {
        struct jc_remote_cost rc;
        const char *existing = NULL;
        json_t *nc = task && task->raw
                         ? task_cluster(job, task->raw, &existing)
                         : NULL;
        json_t *side = load_sidecar(log_path);
        int64_t billed_ms = jint(side, "setup_duration") +
                            jint(side, "execution_duration") +
                            jint(side, "cleanup_duration");
        json_t *sc = json_object_get(side, "cluster");

        if (!res->remote_run_id[0]) { /* never got a cluster */
            if (cluster)
                snprintf(cluster, ncluster, "databricks");
            json_decref(side);
            return 0;
        }
        /* what was submitted wins over what the job file says now */
        if (json_is_object(json_object_get(sc, "new_cluster")))
            nc = json_object_get(sc, "new_cluster");
        if (json_is_string(json_object_get(sc, "existing_cluster_id")))
            existing =
                json_string_value(json_object_get(sc, "existing_cluster_id"));
        /* Databricks bills setup + execution + cleanup */
        jc_pricing_remote_cost(p, nc, existing,
                               billed_ms > 0 ? (double)billed_ms / 1000.0
                                             : wall,
                               &rc);
        if (cluster)
            snprintf(cluster, ncluster, "databricks:%s", rc.cluster);
        json_decref(side);
        return rc.total;
    }
    if (cluster)
        snprintf(cluster, ncluster, "local");
    return jc_pricing_local_cost(p, res->cpu_user_s, res->cpu_sys_s,
                                 res->max_rss_kb, wall);
}

void jc_accounting_cost_cb(void *arg, const struct jc_attempt_req *req,
                           struct jc_attempt_result *res)
{
    const struct jc_pricing *p = arg;

    res->cost = jc_accounting_cost(p, req->job, req->task, req->log_path, res,
                                   NULL, 0);
}

/* ---- attach / chain -------------------------------------------------- */

static void chain_on_task(void *arg, const struct jc_task_event *ev)
{
    struct jc_accounting *a = arg;

    if (a->user_on_task)
        a->user_on_task(a->user_arg, ev);
}

static void chain_on_done(void *arg, struct jc_run *run, enum jc_result res)
{
    struct jc_accounting *a = arg;

    if (a->user_on_done)
        a->user_on_done(a->user_arg, run, res);
}

static void chain_on_account(void *arg, const struct jc_attempt_req *req,
                             struct jc_attempt_result *res)
{
    struct jc_accounting *a = arg;

    if (a->user_on_account)
        a->user_on_account(a->user_arg, req, res);
    jc_accounting_cost_cb(&a->pricing, req, res);
}

/* ---- remote runs left behind by a dead jobctl ------------------------ */

struct orphan {
    char *sidecar;
    int64_t run_id;
};

static void on_orphan_cancel(void *ud, const struct jc_dbx_result *res)
{
    struct orphan *o = ud;
    json_t *j;

    if (res->status == 0) {
        log_info("cancelled Databricks run %lld left running by a jobctl "
                 "that died",
                 (long long)o->run_id);
        j = json_load_file(o->sidecar, 0, NULL);
        if (json_is_object(j)) {
            json_object_set_new(j, "active", json_false());
            json_object_set_new(j, "orphan_cancelled", json_true());
            if (json_dump_file(j, o->sidecar, JSON_COMPACT) < 0)
                log_warn("cannot write '%s'", o->sidecar);
        }
        json_decref(j);
    } else {
        log_warn("cannot cancel orphaned Databricks run %lld: %s%s%s",
                 (long long)o->run_id, res->error_code ? res->error_code : "",
                 res->error_code ? ": " : "", res->message);
    }
    free(o->sidecar);
    free(o);
}

/*
 * Attempts settled as orphaned (their jobctl died) whose Databricks run was
 * still live then: ask Databricks to cancel those runs. Fire and forget on
 * the loop; a cancel still in flight when the run ends is dropped and
 * retried next time (the record stays "active").
 */
static void cancel_orphans(struct jc_store *store, struct jc_executor *ex)
{
    static const char sql[] =
        "SELECT log_path FROM task_runs WHERE executor = 'databricks' "
        "AND state_message LIKE 'orphaned:%' AND log_path IS NOT NULL "
        "ORDER BY task_run_id DESC LIMIT 200";
    struct jc_dbx *c = jc_executor_databricks_client(ex);
    sqlite3 *db = jc_store_db(store);
    sqlite3_stmt *st = NULL;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *lp = (const char *)sqlite3_column_text(st, 0);
        json_t *side = load_sidecar(lp);
        const char *host = json_string_value(json_object_get(side, "host"));
        int64_t rid = jint(side, "run_id");

        if (json_is_true(json_object_get(side, "active")) && rid > 0 &&
            host && !strcmp(host, jc_dbx_host(c))) {
            struct orphan *o = ju_xcalloc(1, sizeof(*o));
            json_t *args = json_pack("{sI}", "run_id", (json_int_t)rid);

            o->sidecar = jc_dbx_sidecar_path(lp);
            o->run_id = rid;
            if (jc_dbx_call(c, NULL, "POST", "jobs/runs/cancel", args,
                            on_orphan_cancel, o) < 0) {
                free(o->sidecar);
                free(o);
            }
            json_decref(args);
        }
        json_decref(side);
    }
    sqlite3_finalize(st);
}

static bool job_wants_remote(const struct jc_job *job, bool force)
{
    size_t i;

    if (!force && !(job && job->remote))
        return false;
    for (i = 0; job && i < job->ntasks; i++)
        if (job->tasks[i].compute == JC_COMPUTE_EXISTING_CLUSTER ||
            job->tasks[i].compute == JC_COMPUTE_NEW_CLUSTER ||
            job->tasks[i].compute == JC_COMPUTE_JOB_CLUSTER)
            return true;
    return force;
}

static double env_double(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    double d;

    if (!v || !*v)
        return dflt;
    d = strtod(v, &end);
    return *end || d <= 0 ? dflt : d;
}

int jc_accounting_attach(struct jc_accounting **out, struct jc_run_opts *ro,
                         const struct jc_job *job, uv_loop_t *loop,
                         struct jc_store *store, const char *home)
{
    struct jc_accounting *a = ju_xcalloc(1, sizeof(*a));
    int rc;

    a->store = store;
    a->loop = loop;
    if (!home)
        home = store ? jc_store_home_dir(store) : jc_store_home();
    a->home = ju_xstrdup(home);
    rc = jc_pricing_load(&a->pricing, a->home);
    if (rc < 0) {
        log_warn("price table: %s; using the defaults", jc_err_last());
        jc_err_clear();
    }
    if (job_wants_remote(job, ro->force_remote)) {
        struct jc_dbx_opts o = JC_DBX_OPTS_INIT;
        struct jc_dbx_run_opts r = JC_DBX_RUN_OPTS_INIT;

        if (jc_dbx_opts_from_env(&o) < 0) {
            if (ro->force_remote) {
                rc = jc_err_set(JC_EINVAL, "--remote needs DATABRICKS_HOST "
                                           "(and DATABRICKS_TOKEN) or a "
                                           "~/.databrickscfg profile");
                jc_pricing_release(&a->pricing);
                free(a->home);
                free(a);
                return rc;
            }
        } else {
            /* poll/backoff knobs, mostly for tests */
            r.poll_initial_s = env_double("JOBCTL_DATABRICKS_POLL_S", 1.0);
            r.poll_max_s = env_double("JOBCTL_DATABRICKS_POLL_MAX_S", 30.0);
            o.retry_base_s = env_double("JOBCTL_DATABRICKS_RETRY_S", 1.0);
            rc = jc_executor_databricks_new(&a->remote, loop, &o, &r);
            if (rc < 0) {
                jc_pricing_release(&a->pricing);
                free(a->home);
                free(a);
                return rc;
            }
            if (!ro->remote)
                ro->remote = a->remote;
            if (store)
                cancel_orphans(store, a->remote);
            /* jc_run_task_is_remote() consults DATABRICKS_HOST */
            if (!getenv("DATABRICKS_HOST"))
                setenv("DATABRICKS_HOST", o.host, 1);
        }
    }
    a->user_on_task = ro->on_task;
    a->user_on_done = ro->on_done;
    a->user_on_account = ro->on_account;
    a->user_arg = ro->arg;
    ro->on_task = chain_on_task;
    ro->on_done = chain_on_done;
    ro->on_account = chain_on_account;
    ro->arg = a;
    *out = a;
    return 0;
}

void jc_accounting_finish(struct jc_accounting *a)
{
    int64_t n = 0;

    if (!a)
        return;
    if (a->store &&
        jc_accounting_mirror(a->store, a->home, &a->pricing, &n) < 0)
        log_warn("accounting: mirroring to Delta failed (kept in SQLite, "
                 "retried next run): %s",
                 jc_err_last());
    if (a->remote) {
        a->remote->ops->destroy(a->remote);
        uv_run(a->loop, UV_RUN_NOWAIT); /* let the close callbacks run */
    }
    jc_pricing_release(&a->pricing);
    free(a->home);
    free(a);
}

struct fin_work {
    uv_work_t work;
    struct jc_accounting *a;
};

static void fin_work_cb(uv_work_t *w)
{
    struct fin_work *f = w->data;
    struct jc_store *s = NULL;

    /* one store per thread: open our own connection (WAL) */
    if (jc_store_open_nosettle(&s, f->a->home) < 0 ||
        jc_accounting_mirror(s, f->a->home, &f->a->pricing, NULL) < 0)
        log_warn("accounting: mirroring to Delta failed (kept in SQLite, "
                 "retried next run): %s",
                 jc_err_last());
    jc_store_close(s);
}

static void fin_after_cb(uv_work_t *w, int status)
{
    struct fin_work *f = w->data;

    (void)status;
    jc_pricing_release(&f->a->pricing);
    free(f->a->home);
    free(f->a);
    free(f);
}

void jc_accounting_finish_async(struct jc_accounting *a)
{
    struct fin_work *f;

    if (!a)
        return;
    if (a->remote) {
        a->remote->ops->destroy(a->remote); /* closes on the running loop */
        a->remote = NULL;
    }
    f = ju_xcalloc(1, sizeof(*f));
    f->a = a;
    f->work.data = f;
    if (uv_queue_work(a->loop, &f->work, fin_work_cb, fin_after_cb) < 0) {
        log_warn("accounting: cannot queue the Delta mirror");
        fin_after_cb(&f->work, 0);
    }
}

/* ---- Delta mirror ---------------------------------------------------- */

static void cluster_schema(struct lake_schema *s)
{
    lake_schema_init(s);
    lake_schema_add_simple(s, "task_name", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "cluster_name", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "start_time", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "end_time", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "notes", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "cpu_user_s", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "cpu_sys_s", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "max_rss_kb", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "read_bytes", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "write_bytes", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "cost", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "run_id", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "attempt", LAKE_TYPE_INTEGER, true);
    lake_schema_add_simple(s, "executor", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "task_run_id", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "job_name", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "result_state", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "remote_run_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "setup_ms", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "execution_ms", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "cleanup_ms", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "cluster_spec", LAKE_TYPE_STRING, true);
}

static void bench_schema(struct lake_schema *s)
{
    lake_schema_init(s);
    lake_schema_add_simple(s, "task", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "elapsed_seconds", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "run_time", LAKE_TYPE_TIMESTAMP, true);
    /* STRING, as the cleanse task writes it (tasks/cleanse/rules.c) */
    lake_schema_add_simple(s, "run_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "rows", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "bytes", LAKE_TYPE_LONG, true);
}

/*
 * Appends that follow the table's column type, so a table created by
 * another writer with a different (compatible) type for a column (e.g.
 * the cleanse task's benchmark_logs.run_id STRING) still gets sane values;
 * anything else becomes null rather than a mistyped append.
 */
static bool is_int_type(enum lake_type t)
{
    return t == LAKE_TYPE_LONG || t == LAKE_TYPE_TIMESTAMP ||
           t == LAKE_TYPE_TIMESTAMP_NTZ;
}

static void put_str(struct lake_batch *b, const char *col, const char *s)
{
    struct lake_column *c = lake_batch_column(b, col);

    if (!c)
        return;
    if (s && c->type == LAKE_TYPE_STRING)
        lake_batch_append_str(c, s, strlen(s));
    else
        lake_batch_append_null(c);
}

static void put_i64(struct lake_batch *b, const char *col, int64_t v,
                    bool null)
{
    struct lake_column *c = lake_batch_column(b, col);
    char num[32];

    if (!c)
        return;
    if (null) {
        lake_batch_append_null(c);
    } else if (c->type == LAKE_TYPE_INTEGER) {
        lake_batch_append_i32(c, (int32_t)v);
    } else if (is_int_type(c->type)) {
        lake_batch_append_i64(c, v);
    } else if (c->type == LAKE_TYPE_DOUBLE) {
        lake_batch_append_f64(c, (double)v);
    } else if (c->type == LAKE_TYPE_STRING) {
        snprintf(num, sizeof(num), "%lld", (long long)v);
        lake_batch_append_str(c, num, strlen(num));
    } else {
        lake_batch_append_null(c);
    }
}

static void put_f64(struct lake_batch *b, const char *col, double v)
{
    struct lake_column *c = lake_batch_column(b, col);

    if (!c)
        return;
    if (c->type == LAKE_TYPE_DOUBLE)
        lake_batch_append_f64(c, v);
    else if (c->type == LAKE_TYPE_FLOAT)
        lake_batch_append_f32(c, (float)v);
    else
        lake_batch_append_null(c);
}

/* The settings of the run being mirrored, loaded once per run id. */
struct settings_cache {
    struct jc_store *store;
    int64_t run_id;
    json_t *settings;
};

static json_t *cached_settings(struct settings_cache *c, int64_t run_id)
{
    sqlite3 *db = jc_store_db(c->store);
    sqlite3_stmt *st = NULL;

    if (c->run_id == run_id)
        return c->settings;
    json_decref(c->settings);
    c->settings = NULL;
    c->run_id = run_id;
    if (sqlite3_prepare_v2(db, "SELECT settings_json FROM runs WHERE run_id = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        c->settings = json_loads((const char *)sqlite3_column_text(st, 0), 0,
                                 NULL);
    sqlite3_finalize(st);
    return c->settings;
}

/*
 * Cluster description of a remote attempt from its run's settings (only
 * when the executor's record of the submitted cluster is missing).
 */
static void stored_cluster(const struct jc_pricing *p,
                           struct settings_cache *cache, int64_t run_id,
                           const char *task_key, char *out, size_t n)
{
    json_t *s = cached_settings(cache, run_id);
    json_t *t;
    size_t i;

    snprintf(out, n, "databricks");
    json_array_foreach(json_object_get(s, "tasks"), i, t)
    {
        const char *k = json_string_value(json_object_get(t, "task_key"));

        if (k && !strcmp(k, task_key)) {
            struct jc_job fake;
            const char *existing = NULL;
            json_t *nc;
            struct jc_remote_cost rc;

            memset(&fake, 0, sizeof(fake));
            fake.settings = s;
            nc = task_cluster(&fake, t, &existing);
            jc_pricing_remote_cost(p, nc, existing, 0, &rc);
            snprintf(out, n, "databricks:%s", rc.cluster);
            break;
        }
    }
}

struct mirror_row {
    int64_t task_run_id, run_id, start_ms, end_ms, max_rss_kb;
    int64_t read_bytes, write_bytes;
    int attempt;
    double cpu_user_s, cpu_sys_s, cost;
    char *task_key, *result, *message, *executor, *remote_run_id;
    char *job_name;
    char *rows_value;
    char *log_path;
};

static char *col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? ju_xstrdup((const char *)t) : NULL;
}

static void rows_free(struct mirror_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(rows[i].task_key);
        free(rows[i].result);
        free(rows[i].message);
        free(rows[i].executor);
        free(rows[i].remote_run_id);
        free(rows[i].job_name);
        free(rows[i].rows_value);
        free(rows[i].log_path);
    }
    free(rows);
}

/* Terminal attempts with id > after, in id order, up to a running one. */
static int load_rows(struct jc_store *store, int64_t after,
                     struct mirror_row **out, size_t *n)
{
    static const char sql[] =
        "SELECT t.task_run_id, t.run_id, t.task_key, t.attempt_number, "
        "t.life_cycle_state, t.result_state, t.state_message, t.start_ms, "
        "t.end_ms, t.executor, t.remote_run_id, t.cpu_user_s, t.cpu_sys_s, "
        "t.max_rss_kb, t.read_bytes, t.write_bytes, t.cost, r.run_name, "
        "NULL, (SELECT v.value FROM task_values v WHERE "
        "v.run_id = t.run_id AND v.task_key = t.task_key AND v.key = 'rows' "
        "AND v.attempt = t.attempt_number), t.log_path "
        "FROM task_runs t JOIN runs r ON r.run_id = t.run_id "
        "WHERE t.task_run_id > ?1 ORDER BY t.task_run_id LIMIT ?2";
    sqlite3 *db = jc_store_db(store);
    sqlite3_stmt *st = NULL;
    struct mirror_row *rows = NULL;
    size_t nrows = 0, alloc = 0;
    int rc;

    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return jc_err_set(JC_EIO, "cannot read task_runs: %s",
                          sqlite3_errmsg(db));
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, MIRROR_MAX_ROWS);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *lc = sqlite3_column_text(st, 4);
        struct mirror_row *m;

        if (!lc || !jc_life_cycle_terminal((const char *)lc))
            break; /* keep ids contiguous: the rest goes next time */
        JU_ALLOC_GROW(rows, nrows + 1, alloc);
        m = &rows[nrows++];
        memset(m, 0, sizeof(*m));
        m->task_run_id = sqlite3_column_int64(st, 0);
        m->run_id = sqlite3_column_int64(st, 1);
        m->task_key = col_text(st, 2);
        m->attempt = sqlite3_column_int(st, 3);
        m->result = col_text(st, 5);
        m->message = col_text(st, 6);
        m->start_ms = sqlite3_column_int64(st, 7);
        m->end_ms = sqlite3_column_int64(st, 8);
        m->executor = col_text(st, 9);
        m->remote_run_id = col_text(st, 10);
        m->cpu_user_s = sqlite3_column_double(st, 11);
        m->cpu_sys_s = sqlite3_column_double(st, 12);
        m->max_rss_kb = sqlite3_column_int64(st, 13);
        m->read_bytes = sqlite3_column_int64(st, 14);
        m->write_bytes = sqlite3_column_int64(st, 15);
        m->cost = sqlite3_column_double(st, 16);
        m->job_name = col_text(st, 17);
        m->rows_value = col_text(st, 19);
        m->log_path = col_text(st, 20);
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        rc = jc_err_set(JC_EIO, "cannot read task_runs: %s",
                        sqlite3_errmsg(db));
        sqlite3_finalize(st);
        rows_free(rows, nrows);
        return rc;
    }
    sqlite3_finalize(st);
    *out = rows;
    *n = nrows;
    return 0;
}

static void fill_cluster(struct lake_batch *b, const struct jc_pricing *p,
                         struct settings_cache *cache,
                         const struct mirror_row *m)
{
    char cluster[160];
    char *notes;
    json_t *side = NULL;
    json_t *sc;
    char *spec = NULL;
    bool remote = m->executor && !strcmp(m->executor, "databricks");

    snprintf(cluster, sizeof(cluster), "local");
    if (remote)
        side = load_sidecar(m->log_path);
    sc = json_object_get(side, "cluster");
    if (remote && !(json_is_object(sc) && json_object_size(sc)))
        stored_cluster(p, cache, m->run_id, m->task_key, cluster,
                       sizeof(cluster));
    if (json_is_object(sc) && json_object_size(sc)) {
        struct jc_remote_cost rc;

        jc_pricing_remote_cost(
            p, json_object_get(sc, "new_cluster"),
            json_string_value(json_object_get(sc, "existing_cluster_id")), 0,
            &rc);
        snprintf(cluster, sizeof(cluster), "databricks:%s", rc.cluster);
        spec = json_dumps(sc, JSON_COMPACT | JSON_SORT_KEYS);
    }
    notes = ju_xasprintf("%s%s%s", m->result ? m->result : "",
                         m->message && *m->message ? ": " : "",
                         m->message ? m->message : "");
    put_str(b, "task_name", m->task_key);
    put_str(b, "cluster_name", cluster);
    put_i64(b, "start_time", m->start_ms * 1000, !m->start_ms);
    put_i64(b, "end_time", m->end_ms * 1000, !m->end_ms);
    put_str(b, "notes", notes);
    put_f64(b, "cpu_user_s", m->cpu_user_s);
    put_f64(b, "cpu_sys_s", m->cpu_sys_s);
    put_i64(b, "max_rss_kb", m->max_rss_kb, false);
    put_i64(b, "read_bytes", m->read_bytes, m->read_bytes < 0);
    put_i64(b, "write_bytes", m->write_bytes, m->write_bytes < 0);
    put_f64(b, "cost", m->cost);
    put_i64(b, "run_id", m->run_id, false);
    put_i64(b, "attempt", m->attempt, false);
    put_str(b, "executor", m->executor);
    put_i64(b, "task_run_id", m->task_run_id, false);
    put_str(b, "job_name", m->job_name);
    put_str(b, "result_state", m->result);
    put_str(b, "remote_run_id", m->remote_run_id);
    put_i64(b, "setup_ms", jint(side, "setup_duration"), !side);
    put_i64(b, "execution_ms", jint(side, "execution_duration"), !side);
    put_i64(b, "cleanup_ms", jint(side, "cleanup_duration"), !side);
    put_str(b, "cluster_spec", spec);
    free(spec);
    json_decref(side);
    free(notes);
}

static void fill_bench(struct lake_batch *b, const struct mirror_row *m)
{
    char *end = NULL;
    long long rows = m->rows_value ? strtoll(m->rows_value, &end, 10) : 0;
    bool rows_ok = m->rows_value && end && !*end && end != m->rows_value;
    bool bytes_ok = m->read_bytes >= 0 || m->write_bytes >= 0;
    int64_t bytes = (m->read_bytes > 0 ? m->read_bytes : 0) +
                    (m->write_bytes > 0 ? m->write_bytes : 0);

    put_str(b, "task", m->task_key);
    put_f64(b, "elapsed_seconds",
            m->end_ms > m->start_ms ? (double)(m->end_ms - m->start_ms) / 1e3
                                    : 0);
    put_i64(b, "run_time", (m->end_ms ? m->end_ms : m->start_ms) * 1000,
            false);
    put_i64(b, "run_id", m->run_id, false);
    put_i64(b, "rows", rows, !rows_ok);
    put_i64(b, "bytes", bytes, !bytes_ok);
}

static int mirror_table(struct jc_store *store, const char *home,
                        const struct jc_pricing *p, const char *table,
                        const char *app_id, int64_t *nrows)
{
    struct lake_schema schema;
    struct lake_table *t = NULL;
    struct lake_batch *b = NULL;
    struct lake_txn *tx = NULL;
    struct mirror_row *rows = NULL;
    size_t n = 0, i;
    int64_t after = 0;
    char *path = ju_xasprintf("%s/lake/%s", home, table);
    bool cluster = !strcmp(app_id, JC_ACCT_APP_CLUSTER);
    struct settings_cache cache = {store, 0, NULL};
    int rc;

    if (cluster)
        cluster_schema(&schema);
    else
        bench_schema(&schema);
    rc = lake_table_create_if_absent(&t, path, &schema, NULL, 0, NULL);
    if (rc < 0)
        goto out;
    rc = lake_table_txn_version(t, app_id, &after);
    if (rc == JC_ENOTFOUND) {
        after = 0;
        jc_err_clear();
    } else if (rc < 0) {
        goto out;
    }
    rc = load_rows(store, after, &rows, &n);
    if (rc < 0 || !n)
        goto out;
    b = lake_batch_new(lake_table_schema(t));
    for (i = 0; i < n; i++) {
        if (cluster)
            fill_cluster(b, p, &cache, &rows[i]);
        else
            fill_bench(b, &rows[i]);
    }
    /* columns of a wider existing table that we do not know: nulls */
    for (i = 0; i < b->n_columns; i++)
        while (b->columns[i].length < n)
            lake_batch_append_null(&b->columns[i]);
    if ((rc = lake_batch_seal(b)) < 0)
        goto out;
    if ((rc = lake_txn_begin(t, &tx)) < 0)
        goto out;
    if ((rc = lake_txn_append(tx, b)) < 0 ||
        (rc = lake_txn_set_app_txn(tx, app_id, rows[n - 1].task_run_id)) < 0) {
        lake_txn_abort(tx);
        goto out;
    }
    rc = lake_txn_commit(tx, "WRITE", NULL, NULL);
    if (rc == JC_EEXIST) { /* a concurrent mirror got there first */
        jc_err_clear();
        rc = 0;
    } else if (rc == 0 && nrows) {
        *nrows = (int64_t)n;
    }
out:
    if (rc < 0)
        jc_err_wrap(rc, "%s", table);
    json_decref(cache.settings);
    lake_batch_free(b);
    rows_free(rows, n);
    lake_table_close(t);
    lake_schema_release(&schema);
    free(path);
    return rc;
}

/*
 * One mirror at a time per JOBCTL_HOME (CLI runs and the daemon's worker
 * threads alike): two overlapping mirrors could otherwise both read the
 * same txn version and append overlapping ranges.
 */
static int lock_home(const char *home)
{
    char *path = ju_xasprintf("%s/accounting.lock", home);
    int fd;

    if (mkdir(home, 0755) < 0 && errno != EEXIST)
        log_debug("mkdir '%s': %s", home, strerror(errno));
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        jc_err_set(JC_EIO, "cannot open '%s': %s", path, strerror(errno));
    } else if (flock(fd, LOCK_EX) < 0) {
        jc_err_set(JC_EIO, "cannot lock '%s': %s", path, strerror(errno));
        close(fd);
        fd = -1;
    }
    free(path);
    return fd;
}

int jc_accounting_mirror(struct jc_store *store, const char *home,
                         const struct jc_pricing *p, int64_t *nrows)
{
    int rc1;
    int rc2;
    int fd;

    if (!home)
        home = jc_store_home();
    if (nrows)
        *nrows = 0;
    fd = lock_home(home);
    if (fd < 0)
        return JC_EIO;
    rc1 = mirror_table(store, home, p, "cluster_logs", JC_ACCT_APP_CLUSTER,
                       nrows);
    if (rc1 < 0)
        log_warn("accounting: %s", jc_err_last());
    rc2 = mirror_table(store, home, p, "benchmark_logs", JC_ACCT_APP_BENCH,
                       NULL);
    close(fd); /* releases the lock */
    return rc1 < 0 ? rc1 : rc2;
}
