/*
 * daemon_int.h: state shared by the daemon's files (loop.c: runs,
 * signals; sched.c: Quartz schedules; jobsdir.c: job files; resume.c:
 * runs of a daemon that died). Private.
 */
#ifndef JOBCTL_DAEMON_DAEMON_INT_H
#define JOBCTL_DAEMON_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "api/api.h"
#include "jobctl/accounting.h"
#include "daemon/daemon.h"
#include "http/http.h"
#include "jobctl/executor.h"
#include "jobctl/run.h"
#include "jobctl/spec.h"
#include "jobctl/store.h"

struct jc_daemon;

/* A run this daemon drives (running, queued or just finished). */
struct drun {
    struct jc_daemon *d;
    struct jc_run *run;
    struct jc_job *job;         /* owned; outlives the run */
    struct jc_accounting *acct; /* cost, remote executor, Delta mirror */
    int64_t job_id;             /* 0 for runs/submit */
    int64_t run_id;
    struct jc_kv *params;
    size_t nparams;
    char *token;
    bool queued;
    bool started;
    bool finished;
    bool cancel_sent;
    bool resume; /* a resumed run: started with jc_run_resume_start */
    struct drun *next;
};

struct sched_ent;
struct jobfile;

struct jc_daemon {
    struct jc_daemon_opts opts;
    uv_loop_t *loop;
    struct jc_store *store;
    struct jc_executor *executor;
    struct jc_api *api;
    struct jc_http_server *http;
    char *home;
    struct drun *runs;
    uv_timer_t tick;
    uv_timer_t reaper;
    uv_timer_t grace;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uint64_t ticks;
    bool stopping;
    double last_lag_s;
    /* scheduler */
    struct sched_ent *sched;
    bool sched_dirty;
    /* job files */
    struct jobfile *files;
};

/* Build the job model of a stored job (owned by the caller). */
int dm_load_job(struct jc_daemon *d, int64_t job_id, struct jc_job **out);
/*
 * Create a run of job (ownership of job passes to the daemon) and start,
 * queue or skip it per max_concurrent_runs and queue.enabled.
 */
int dm_trigger(struct jc_daemon *d, struct jc_job *job, int64_t job_id,
               json_t *params, const char *token, const char *trigger,
               const char *run_type, int64_t *run_id);
/* dm_trigger that also adds event (ev_type, ev_msg) for the new run in the
 * transaction that creates it. */
int dm_trigger_ev(struct jc_daemon *d, struct jc_job *job, int64_t job_id,
                  json_t *params, const char *token, const char *trigger,
                  const char *run_type, const char *ev_type, const char *ev_msg,
                  int64_t *run_id);
/* Run options of r (callbacks, accounting); trigger/run_type may be NULL. */
int dm_fill_opts(struct jc_daemon *d, struct drun *r, struct jc_run_opts *o,
                 const char *trigger, const char *run_type);
/*
 * Link a created run into the daemon and start it, or queue it when its
 * job is at max_concurrent_runs (queue.enabled or always_queue), else
 * skip it (SKIPPED, MAXIMUM_CONCURRENT_RUNS_REACHED).
 */
int dm_enqueue(struct jc_daemon *d, struct drun *r, bool always_queue);
void dm_drun_free(struct drun *r);
/* At start: resume the runs of a daemon that died (resume.c). */
void dm_resume_orphans(struct jc_daemon *d);
void dm_reap(uv_timer_t *t);
void dm_maybe_exit(struct jc_daemon *d);

void dm_sched_init(struct jc_daemon *d);
void dm_sched_tick(struct jc_daemon *d);
void dm_sched_job_changed(struct jc_daemon *d, int64_t job_id);
void dm_sched_free(struct jc_daemon *d);

void dm_jobsdir_scan(struct jc_daemon *d);
void dm_jobsdir_free(struct jc_daemon *d);

#endif
