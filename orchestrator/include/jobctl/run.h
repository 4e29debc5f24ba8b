/*
 * run.h: the DAG run engine. A struct jc_run executes one job run on a
 * caller-supplied libuv loop (so the daemon can drive several runs in one
 * loop): run_if evaluation, retries, task/job timeouts, cancel, repair,
 * task values and dynamic references, all recorded in the store.
 * Embedded mode (`jobctl run`) drives one run on a default loop.
 */
#ifndef JOBCTL_JOBCTL_RUN_H
#define JOBCTL_JOBCTL_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "jobctl/executor.h"
#include "jobctl/spec.h"
#include "jobctl/store.h"

struct jc_run;

/* Task result as the engine tracks it (names = Databricks result_state). */
enum jc_result {
    JC_RESULT_NONE = 0, /* not terminal */
    JC_RESULT_SUCCESS,
    JC_RESULT_FAILED,
    JC_RESULT_TIMEDOUT,
    JC_RESULT_CANCELED,
    JC_RESULT_EXCLUDED,
    JC_RESULT_UPSTREAM_FAILED,
    JC_RESULT_UPSTREAM_CANCELED,
    JC_RESULT_DISABLED,
    JC_RESULT_SUCCESS_WITH_FAILURES, /* job level only */
    JC_RESULT_INTERNAL_ERROR         /* lifecycle INTERNAL_ERROR (a failure) */
};
const char *jc_result_name(enum jc_result r); /* "SUCCESS", ... */

/* One task event: a task started, finished, is waiting for retry... */
struct jc_task_event {
    int64_t run_id;
    const char *task_key;
    int attempt;
    const char *life_cycle_state; /* RUNNING, TERMINATED, WAITING_FOR_RETRY */
    enum jc_result result;        /* JC_RESULT_NONE while not terminal */
    const char *message;          /* state message, may be "" */
    int64_t duration_ms;          /* of the attempt, when finished */
};
typedef void (*jc_task_event_cb)(void *arg, const struct jc_task_event *ev);
/* Called once when the run is terminal (result is the job result). */
typedef void (*jc_run_done_cb)(void *arg, struct jc_run *run,
                               enum jc_result result);

struct jc_run_opts {
    const char *home;       /* JOBCTL_HOME; NULL = jc_store_home() */
    const char *workspace;  /* NULL = "jobs/workspace" */
    const struct jc_kv *params; /* job parameter overrides */
    size_t nparams;
    const char *const *only; /* run only these task keys (others EXCLUDED) */
    size_t nonly;
    int parallel;           /* max attempts at once; 0 = CPU count */
    const char *trigger;    /* NULL = "ONE_TIME" */
    const char *run_type;   /* NULL = "JOB_RUN" */
    const char *run_name;   /* NULL = job name */
    const char *idempotency_token;
    int64_t kill_grace_ms;  /* 0 = $JOBCTL_KILL_GRACE_MS or 10000 */
    struct jc_executor *local; /* NULL: the run creates a local executor */
    struct jc_executor *remote; /* used for tasks jc_run_task_is_remote() */
    bool force_remote;      /* --remote */
    jc_task_event_cb on_task;
    jc_run_done_cb on_done;
    jc_attempt_account_cb on_account;
    void *arg;              /* passed to the three callbacks */
};
#define JC_RUN_OPTS_INIT {0}

/*
 * Create a run of job (borrowed; must outlive the run): records the job
 * and a PENDING run in the store, assigns the run_id. Nothing executes
 * until jc_run_start(). Fails with JC_EINVAL on an invalid job (cycle,
 * unknown dependency, unknown --only task).
 */
int jc_run_create(struct jc_run **out, struct jc_store *store,
                  const struct jc_job *job, const struct jc_run_opts *opts);
/*
 * Repair run_id: re-run tasks (NULL/0 = the failed/canceled/timed-out ones)
 * and everything downstream of them, under the same run_id with a new
 * repair id. Other tasks keep their earlier results and task values.
 */
int jc_run_repair_create(struct jc_run **out, struct jc_store *store,
                         const struct jc_job *job, int64_t run_id,
                         const char *const *tasks, size_t ntasks,
                         const struct jc_run_opts *opts);
/*
 * After crash settling (jc_store_settle_orphans_ex): the task keys of
 * run_id whose latest attempt was orphaned and whose retry policy allows
 * another attempt (max_retries -1, or attempts made since the last user
 * repair <= max_retries): jc_run_resume_plan()'s retry list.
 * A process that can run the job (the daemon) repairs the run with them:
 * jc_run_repair_create(..., keys, n, ...). *keys is NULL-terminated and
 * freed with free() on each key and the array. 0 keys: nothing to retry.
 */
int jc_run_orphans_to_retry(struct jc_store *store, const struct jc_job *job,
                            int64_t run_id, char ***keys, size_t *nkeys);
/*
 * Resuming a run after crash settling (what `jobctl serve` does at start
 * for the runs of a daemon that died). The plan sorts the tasks of job in
 * run_id's latest repair epoch (attempts since the last user repair):
 * retry: latest attempt orphaned, the policy allows another attempt;
 * waiting: latest attempt FAILED (or TIMEDOUT with retry_on_timeout) with
 * retries left, so the dead process was waiting to retry it; fresh: no
 * attempt at all (the run was queued, or the task was blocked); spent:
 * orphaned with no attempt left (stays FAILED). Each list is
 * NULL-terminated and in job task order.
 */
struct jc_resume_plan {
    char **retry;
    size_t nretry;
    char **waiting;
    size_t nwaiting;
    char **fresh;
    size_t nfresh;
    char **spent;
    size_t nspent;
    bool started;   /* some task of the run had an attempt */
    bool resumable; /* retry, waiting or fresh is not empty */
};
int jc_run_resume_plan(struct jc_store *store, const struct jc_job *job,
                       int64_t run_id, struct jc_resume_plan *plan);
void jc_resume_plan_release(struct jc_resume_plan *plan);
/* "retry: a b; not started: c; no retries left: d" (malloc'd). */
char *jc_resume_plan_describe(const struct jc_resume_plan *plan);
/*
 * Repair run_id with the plan's retry, waiting and fresh tasks (and what
 * runs downstream of them) under a new repair id marked
 * "x_jobctl_resume": true in repair_history (it does not reset the retry
 * budget). Retried tasks keep counting attempts and wait until
 * min_retry_interval_millis after their last attempt's start. Records a
 * "run.resume" event. Start it with jc_run_resume_start().
 */
int jc_run_resume_create(struct jc_run **out, struct jc_store *store,
                         const struct jc_job *job, int64_t run_id,
                         const struct jc_resume_plan *plan,
                         const struct jc_run_opts *opts);
/* jc_run_start() for a resumed run: also arms the retry waits. */
int jc_run_resume_start(struct jc_run *run, uv_loop_t *loop);
/* Start on loop; completion is reported through on_done. */
int jc_run_start(struct jc_run *run, uv_loop_t *loop);
/* Cancel: stop running attempts (SIGTERM, SIGKILL after grace), skip the rest. */
int jc_run_cancel(struct jc_run *run, const char *why);
int64_t jc_run_id(const struct jc_run *run);
int64_t jc_run_job_id(const struct jc_run *run);
int64_t jc_run_repair_id(const struct jc_run *run);
bool jc_run_finished(const struct jc_run *run);
enum jc_result jc_run_result(const struct jc_run *run);
/* Free a finished (or never started) run. */
void jc_run_free(struct jc_run *run);

/* Tasks that would go to the remote executor under these options. */
bool jc_run_task_is_remote(const struct jc_job *job, const struct jc_task *t,
                           bool force_remote);

/*
 * run_if evaluation (jobs-api.md 4.2) for one task whose parents are all
 * terminal. parent_results[i] is parent i's result; outcome_ok[i] false
 * when a condition-task outcome edge did not match (may be NULL).
 * Returns 1 when the task must run, else 0 with *skip set to the result.
 */
int jc_run_if_eval(enum jc_run_if run_if, const enum jc_result *parent_results,
                   const bool *outcome_ok, size_t n, enum jc_result *skip);
/* Job result from leaf task results (jobs-api.md 4.3). */
enum jc_result jc_run_job_result(const enum jc_result *all, size_t nall,
                                 const enum jc_result *leaves, size_t nleaves);

/*
 * A stored run in the Jobs API runs/get shape (run_id, state, status,
 * tasks[] one entry per attempt with task_key/attempt_number/state/times
 * in epoch ms, job_parameters, repair_history; jobctl measures under
 * tasks[].x_jobctl). NULL when the run does not exist. Caller decrefs.
 */
json_t *jc_run_to_json(struct jc_store *s, int64_t run_id, bool with_tasks);

/*
 * Start run on uv_default_loop() and run the loop until it is done;
 * SIGINT/SIGTERM cancel it. *result gets the job result.
 */
int jc_run_drive(struct jc_run *run, enum jc_result *result);

/*
 * Convenience for embedded mode: run job on a private loop until done,
 * SIGINT/SIGTERM cancel it. Returns 0 and sets *result and *run_id.
 */
int jc_run_foreground(struct jc_store *store, const struct jc_job *job,
                      const struct jc_run_opts *opts, int64_t *run_id,
                      enum jc_result *result);

#endif
