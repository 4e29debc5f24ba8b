/*
 * accounting.h: what every task attempt used and cost. Attaches to a run
 * (struct jc_run_opts): puts a cost on each finished attempt from the
 * price table (pricing.h) through the run engine's on_account hook, sets
 * up the Databricks executor when remote execution is asked for, and
 * after the run mirrors the task_runs rows not yet mirrored into the Delta
 * tables cluster_logs and benchmark_logs (one commit per table, keyed by
 * a txn appId so a retry never duplicates and a failed run is caught up
 * by the next one).
 */
#ifndef JOBCTL_JOBCTL_ACCOUNTING_H
#define JOBCTL_JOBCTL_ACCOUNTING_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "jobctl/executor.h"
#include "jobctl/pricing.h"
#include "jobctl/run.h"
#include "jobctl/store.h"

struct jc_accounting;

/* txn appIds used in the Delta tables (version = last task_run_id). */
#define JC_ACCT_APP_CLUSTER "jobctl-accounting-cluster_logs"
#define JC_ACCT_APP_BENCH "jobctl-accounting-benchmark_logs"

/*
 * Attach to ro (call after ro->on_task/on_done/arg are set: they are
 * chained). Loads the price table from $home/config.yaml (home NULL =
 * the store's home). When ro->force_remote or job->remote asks for remote
 * execution, creates the Databricks executor on loop from DATABRICKS_HOST
 * / DATABRICKS_TOKEN (error JC_EINVAL with a message when --remote is
 * given without a host). *out must be released with
 * jc_accounting_finish() after the run, even when it failed.
 */
int jc_accounting_attach(struct jc_accounting **out, struct jc_run_opts *ro,
                         const struct jc_job *job, uv_loop_t *loop,
                         struct jc_store *store, const char *home);
/*
 * Mirror unmirrored attempts into Delta (errors are logged, not fatal:
 * the rows stay in SQLite and the next run mirrors them), close the
 * remote executor (runs loop until its handles are closed) and free.
 * Accepts NULL.
 */
void jc_accounting_finish(struct jc_accounting *a);
/*
 * The same for code running inside the loop (the daemon's on_done): the
 * executor's handles close on the running loop and the mirror runs on the
 * libuv thread pool with its own store connection; a is freed afterwards.
 * Never calls uv_run. Accepts NULL.
 */
void jc_accounting_finish_async(struct jc_accounting *a);

/* The cost hook alone (pricing p; arg = struct jc_pricing *). */
void jc_accounting_cost_cb(void *arg, const struct jc_attempt_req *req,
                           struct jc_attempt_result *res);
/*
 * Cost and cluster description of one attempt (cluster may be NULL).
 * Databricks attempts are billed for setup + execution + cleanup as
 * recorded next to log_path (jc_dbx_sidecar_path; may be NULL: then the
 * run's end - start) on the submitted cluster; an attempt without a
 * remote run id costs 0.
 */
double jc_accounting_cost(const struct jc_pricing *p, const struct jc_job *job,
                          const struct jc_task *task, const char *log_path,
                          const struct jc_attempt_result *res, char *cluster,
                          size_t ncluster);

/*
 * Mirror task_runs rows with task_run_id above each table's txn version
 * (stopping at the first attempt still running) into
 * $home/lake/cluster_logs and $home/lake/benchmark_logs. *nrows (may be
 * NULL) gets the rows appended to cluster_logs.
 */
int jc_accounting_mirror(struct jc_store *store, const char *home,
                         const struct jc_pricing *p, int64_t *nrows);

/* ---- summaries (jobctl costs, API) -------------------------------- */

struct jc_costs_query {
    const char *job;  /* job id or name; NULL = all */
    int64_t since_ms; /* attempts started at or after; 0 = all */
    const char *by;   /* "task" (default), "job" or "day" (UTC) */
};
#define JC_COSTS_QUERY_INIT {NULL, 0, "task"}

/*
 * Sum finished attempts from SQLite (by task: one row per job and task
 * key): {"by", "rows": [{"key", "job",
 * "attempts", "failed", "remote", "wall_seconds", "cpu_seconds",
 * "max_rss_kb", "read_bytes", "write_bytes", "cost"}], "total": {...}}.
 * JC_EINVAL for a bad "by", JC_ENOTFOUND for an unknown job.
 * *out is owned by the caller.
 */
int jc_accounting_summary(struct jc_store *store,
                          const struct jc_costs_query *q, json_t **out);
/*
 * Parse --since: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (UTC) or a relative
 * "<N>d" / "<N>h" / "<N>m" before now_ms. JC_EINVAL on anything else.
 */
int jc_accounting_parse_since(const char *s, int64_t now_ms, int64_t *out);

#endif
