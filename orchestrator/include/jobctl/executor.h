/*
 * executor.h: how the run engine starts and stops one task attempt.
 * An executor is an ops table driven by a libuv loop; completion always
 * arrives later from the loop (never inside start), so local subprocesses
 * and remote Databricks runs look the same to the engine. The local
 * subprocess executor is jc_executor_local_new(); remote ones implement
 * struct jc_executor_ops themselves.
 */
#ifndef JOBCTL_JOBCTL_EXECUTOR_H
#define JOBCTL_JOBCTL_EXECUTOR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct jc_job;
struct jc_task;
struct jc_executor;
struct jc_attempt; /* one attempt in flight; opaque, owned by the executor */

/* How an attempt ended, as the executor saw it. */
enum jc_attempt_outcome {
    JC_ATTEMPT_SUCCESS = 0,  /* exit 0 / remote SUCCESS */
    JC_ATTEMPT_FAILED,       /* non-zero exit, signal, remote FAILED */
    JC_ATTEMPT_RETRYABLE,    /* exit 75: failed, retry even if unsure */
    JC_ATTEMPT_TIMEDOUT,     /* stopped by cancel(JC_STOP_TIMEOUT) */
    JC_ATTEMPT_CANCELED,     /* stopped by cancel(JC_STOP_CANCEL) */
    JC_ATTEMPT_START_FAILED, /* could not start (exec ENOENT, bad config) */
    JC_ATTEMPT_INTERNAL_ERROR /* executor/platform failure */
};

enum jc_stop_reason {
    JC_STOP_CANCEL = 0,  /* user cancel: result CANCELED */
    JC_STOP_TIMEOUT      /* task or job timeout: result TIMEDOUT */
};

/* What to run. Everything is borrowed for the duration of start(). */
struct jc_attempt_req {
    int64_t run_id;
    int64_t job_id;
    int64_t task_run_id;
    const char *task_key;
    int attempt;                 /* 0-based, = Databricks attempt_number */
    const struct jc_job *job;    /* for remote executors (may be NULL) */
    const struct jc_task *task;  /* for remote executors (may be NULL) */
    json_t *resolved;            /* resolved parameters (remote; may be NULL) */
    /* local execution (ignored by remote executors) */
    char *const *argv;           /* NULL-terminated; argv[0] via PATH if no '/' */
    char *const *env;            /* NULL-terminated "K=V" (the whole env) */
    const char *cwd;             /* NULL = inherit */
    const char *log_path;        /* stdout+stderr go here (created/truncated) */
    int64_t kill_grace_ms;       /* SIGTERM -> SIGKILL delay; 0 = default 10 s */
};

/* Measures and outcome of a finished attempt. */
struct jc_attempt_result {
    enum jc_attempt_outcome outcome;
    int exit_code;          /* -1 when none (signal, remote, start failure) */
    int term_signal;        /* 0 when none */
    char state_message[512];
    int64_t start_ms;       /* epoch ms */
    int64_t end_ms;
    double cpu_user_s;
    double cpu_sys_s;
    int64_t max_rss_kb;
    int64_t read_bytes;     /* -1 when unknown */
    int64_t write_bytes;    /* -1 when unknown */
    double cost;            /* filled by the accounting hook (0 = none) */
    char remote_run_id[64]; /* "" for local */
    char executor[16];      /* "local" | "databricks" */
    int pid;                /* local leader pid (0 for remote) */
    int pgid;
};

/* Called exactly once per started attempt, from the loop. res is borrowed. */
typedef void (*jc_attempt_done_cb)(struct jc_attempt *a,
                                   const struct jc_attempt_result *res,
                                   void *arg);

struct jc_executor_ops {
    const char *name; /* "local", "databricks" */
    /*
     * Start an attempt. On success *out is valid until done_cb has run.
     * On failure returns a negative JC_E* and done_cb is NOT called; the
     * engine records the attempt as START_FAILED with jc_err_last().
     * Once started, pid/pgid (local) or remote_run_id are available with
     * jc_attempt_info() so the engine can record them.
     */
    int (*start)(struct jc_executor *ex, const struct jc_attempt_req *req,
                 jc_attempt_done_cb done_cb, void *arg,
                 struct jc_attempt **out);
    /* Ask an attempt to stop; done_cb follows with CANCELED/TIMEDOUT. */
    int (*stop)(struct jc_executor *ex, struct jc_attempt *a,
                enum jc_stop_reason why);
    /* Fill pid/pgid/remote_run_id/executor/start_ms of a running attempt. */
    void (*info)(struct jc_executor *ex, struct jc_attempt *a,
                 struct jc_attempt_result *out);
    /* Free the executor (no attempts may be running). */
    void (*destroy)(struct jc_executor *ex);
};

struct jc_executor {
    const struct jc_executor_ops *ops;
    uv_loop_t *loop;
    void *impl;
};

/*
 * The local subprocess executor: posix_spawn into a new process group
 * (pgid = pid; no shell), stdout+stderr relayed to req->log_path (created
 * on the first byte), exits seen through pidfds (SIGCHLD fallback),
 * wait4() rusage, /proc/<pid>/io bytes, group kill escalation SIGTERM ->
 * grace -> SIGKILL, and any process left in the group after the leader
 * exits is killed. One executor can serve several runs on its loop.
 */
int jc_executor_local_new(struct jc_executor **out, uv_loop_t *loop);

/*
 * Accounting hook, called by the run engine for every finished attempt
 * (success, failure, cancel, timeout, start failure) before it is stored;
 * it may set res->cost. req->task/job are set.
 */
typedef void (*jc_attempt_account_cb)(void *arg,
                                      const struct jc_attempt_req *req,
                                      struct jc_attempt_result *res);

const char *jc_attempt_outcome_name(enum jc_attempt_outcome o);

#endif
