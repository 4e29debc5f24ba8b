/*
 * run_engine.h: the private state of struct jc_run shared by run.c
 * (scheduling, finish, cancel), run_create.c (create, repair) and
 * run_cmd.c, run_attempt.c, run_child.c and run_foreach.c (building and
 * launching attempts).
 */
#ifndef JOBCTL_CORE_RUN_ENGINE_H
#define JOBCTL_CORE_RUN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/run_int.h"
#include "jobctl/run.h"

struct jc_dag;
struct foreach_state;

enum task_state {
    TS_BLOCKED = 0, /* waiting for parents */
    TS_READY,       /* in the ready queue */
    TS_RUNNING,     /* attempt in flight */
    TS_RETRY_WAIT,  /* between attempts */
    TS_DONE         /* terminal */
};

struct task_timer {
    uv_timer_t timer;
    struct jc_run *run;
    size_t idx;
};

struct rtask {
    const struct jc_task *t;
    struct jc_run *run;
    size_t idx;
    enum task_state st;
    enum jc_result result;
    bool selected;       /* runs in this run / repair */
    bool ignored;        /* --only: not part of the run at all */
    bool stop_requested;
    size_t pending;      /* selected parents not terminal yet */
    int attempt;         /* attempt number of the current/next attempt */
    int tries;           /* attempts made in this run / repair */
    int64_t task_run_id;
    int64_t attempt_start_ms;
    int64_t start_ms, end_ms;
    struct jc_attempt *att;
    struct jc_executor *ex;
    struct task_timer *timer;
    const char *outcome; /* condition result "true"/"false" */
    char *outcome_buf;
    char *message;
    struct jc_tv *vals;  /* latest task values */
    size_t nvals;
    struct jc_task_run_row row; /* of the attempt in flight (borrowed strs) */
    char *log_path;
    char *tv_path;
    char *resolved;
    /* run_job_task: the child run in flight and what it borrows */
    struct jc_run *child;
    struct jc_job *child_job;
    json_t *child_settings;
    bool child_timedout;
    struct foreach_state *fe; /* for_each_task in flight */
};

struct jc_run {
    struct jc_store *store;
    const struct jc_job *job;
    struct jc_dag *dag;
    struct rtask *tasks;
    size_t n;
    struct jc_run_opts opts;
    char *home, *workspace, *lake;
    int run_dirfd;        /* $home/logs/<run_id>, or -1 */
    struct jc_kv *params; /* effective job parameters */
    size_t nparams;
    char **base_env;      /* inherited env minus JOBCTL_* run variables */
    size_t nbase_env;
    int64_t run_id, job_id, repair_id, repair_count;
    int64_t start_ms;
    void *done_arg;       /* overrides opts.arg for on_done (jc_run_drive) */
    size_t *ready;
    size_t rhead, rtail;
    size_t *work;
    size_t parallel, nrunning, ndone, nselected;
    uv_loop_t *loop;
    struct jc_executor *local;
    bool own_local;
    uv_timer_t flush_timer, job_timer, cancel_poll;
    bool flush_inited, job_timer_inited, poll_inited;
    int open_handles;
    bool started, finished, done_called, pumping, in_txn;
    bool cancelling, timed_out;
    char *cancel_why;
    enum jc_result result;
};

void jc_run_flush(struct jc_run *r);
void jc_run_dirty(struct jc_run *r);
void jc_run_emit(struct jc_run *r, size_t i, const char *life,
                 enum jc_result res, const char *msg, int64_t dur);
void jc_run_task_terminal(struct jc_run *r, size_t i, enum jc_result res);
void jc_run_close_task_timer(struct jc_run *r, size_t i);
uv_timer_t *jc_run_task_timer(struct jc_run *r, size_t i);
void jc_run_schedule_retry(struct jc_run *r, size_t i);
void jc_run_pump(struct jc_run *r);
void jc_run_maybe_done(struct jc_run *r);
/* run_attempt.c */
void jc_run_launch(struct jc_run *r, size_t i);
/* Stop a running attempt (or run_job_task child run). */
void jc_run_stop_task(struct jc_run *r, size_t i, enum jc_stop_reason why);
/* Expand {{job.*}} references in job parameter values (at start). */
void jc_run_expand_params(struct jc_run *r);

/* ---- shared by run_cmd.c, run_attempt.c, run_child.c, run_foreach.c ---- */

/* What {{...}} references resolve against: task i ((size_t)-1 for job
 * parameter defaults) and, in a for_each iteration, its input. */
struct ref_ctx {
    struct jc_run *r;
    size_t i;
    json_t *input; /* for_each element, or NULL */
};

/* A growable NULL-terminated string vector. */
struct strv {
    char **v;
    size_t n, alloc;
};

struct cmd {
    struct strv argv;
    struct strv env; /* extra env, owned; base env appended borrowed */
    char **envp;     /* extra + base, for the executor */
    char *cwd;
    json_t *resolved;
};

/* run_cmd.c: expand the references in `in` (a copy when there are none). */
int jc_run_ref_expand(struct ref_ctx *ctx, const char *in, char **out);
/* run_cmd.c: argv, env, cwd and resolved parameters of task t; remote:
 * resolved parameters only (no workspace resolution, any task type). */
int jc_run_build_cmd(struct jc_run *r, const struct jc_task *t,
                     struct ref_ctx *pctx, struct cmd *c, bool remote);
void jc_run_cmd_release(struct cmd *c);
/* run_cmd.c: append the JOBCTL_* variables and build c->envp. */
void jc_run_add_env(struct jc_run *r, const char *key, int attempt,
                    int64_t task_run_id, const char *tv_path, struct cmd *c);
/* run_attempt.c */
void jc_run_set_msg(struct rtask *rt, const char *msg);
/* Fail an attempt that did not start (inserted: its row exists). */
void jc_run_fail_before_start(struct jc_run *r, size_t i, const char *msg,
                              bool inserted);
/* Retry policy, then terminal state; then fill free slots. */
void jc_run_finish_attempt(struct jc_run *r, size_t i, enum jc_result result,
                           bool retryable);
/* uv timer callback of a task's timeout_seconds (data: struct task_timer). */
void jc_run_on_timeout(uv_timer_t *t);
/* run_child.c: run_job_task as a local child run. */
void jc_run_launch_child(struct jc_run *r, size_t i);
/* run_foreach.c: for_each_task iterations. */
void jc_run_launch_foreach(struct jc_run *r, size_t i);
void jc_run_foreach_stop(struct foreach_state *fe, enum jc_stop_reason why);

#endif
