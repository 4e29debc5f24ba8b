/*
 * store.h: the SQLite state store at $JOBCTL_HOME/jobctl.db (WAL, foreign
 * keys, busy timeout, versioned embedded migrations): jobs, runs, task runs
 * (one row per attempt), task values and an append-only event log.
 * Opening the store also settles runs left RUNNING by a dead jobctl.
 * Not thread-safe: one struct jc_store per thread. Strings in rows are
 * owned by the row (release with the matching *_release function).
 */
#ifndef JOBCTL_JOBCTL_STORE_H
#define JOBCTL_JOBCTL_STORE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jc_store;

/* Latest schema version the migrations bring a database to. */
int jc_store_schema_latest(void);

/*
 * Open (creating home and the db) $home/jobctl.db; home NULL means
 * jc_store_home(). Runs migrations and then jc_store_settle_orphans().
 */
int jc_store_open(struct jc_store **out, const char *home);
/* Same but without settling (tests, read-only tools). */
int jc_store_open_nosettle(struct jc_store **out, const char *home);
void jc_store_close(struct jc_store *s);
/* $JOBCTL_HOME, else "./.jobctl". Borrowed (environment or static). */
const char *jc_store_home(void);
const char *jc_store_home_dir(const struct jc_store *s);
/* Raw handle for read-only queries by other modules (sql, costs, api). */
sqlite3 *jc_store_db(struct jc_store *s);
int jc_store_schema_version(struct jc_store *s);

/*
 * Transactions nest by count: only the outermost begin/commit touch
 * SQLite. The run engine batches its writes this way.
 */
int jc_store_begin(struct jc_store *s);
int jc_store_commit(struct jc_store *s);
int jc_store_rollback(struct jc_store *s);
/* Whether a transaction is open (a failed statement may have rolled the
 * whole transaction back already). */
bool jc_store_in_txn(const struct jc_store *s);

/* ---- jobs ---- */
struct jc_job_row {
    int64_t job_id;
    char *name;
    char *settings_json; /* JobSettings (secrets never stored) */
    char *source_path;   /* NULL when created through the API */
    int64_t created_ms;
    int64_t updated_ms;
};
/*
 * Insert or update. *job_id > 0: that id (inserted if new). *job_id == 0:
 * the job with the same source_path (if given) else the same name is
 * updated, otherwise a new id is allocated; *job_id receives it.
 */
int jc_store_job_put(struct jc_store *s, int64_t *job_id, const char *name,
                     const char *settings_json, const char *source_path);
int jc_store_job_get(struct jc_store *s, int64_t job_id,
                     struct jc_job_row *out);
int jc_store_job_find(struct jc_store *s, const char *name,
                      struct jc_job_row *out);
int jc_store_job_list(struct jc_store *s, struct jc_job_row **rows, size_t *n);
int jc_store_job_delete(struct jc_store *s, int64_t job_id);
void jc_job_row_release(struct jc_job_row *r);
void jc_job_rows_free(struct jc_job_row *rows, size_t n);

/* ---- runs ---- */
struct jc_run_row {
    int64_t run_id; /* unique, never reused; shared with task runs */
    int64_t job_id;
    char *run_name;
    char *run_type;         /* JOB_RUN | SUBMIT_RUN */
    char *trigger;          /* ONE_TIME | PERIODIC | RETRY ... */
    char *life_cycle_state; /* QUEUED PENDING RUNNING TERMINATING TERMINATED ...
                             */
    char *result_state;     /* NULL while not terminal */
    char *state_message;
    int64_t start_ms;
    int64_t end_ms;            /* 0 while running */
    char *job_parameters_json; /* [{name, default, value}] */
    char *repair_history_json; /* [{type, id, start_time, end_time, ...}] */
    char *settings_json;       /* JobSettings snapshot the run used */
    char *idempotency_token;
    char *workspace; /* local workspace dir used */
    int64_t repair_count;
    int owner_pid;       /* process driving the run */
    int64_t owner_start; /* its /proc start time (clock ticks) */
    char *owner_boot_id;
};
/*
 * Insert; run_id allocated into r->run_id. NULL strings stored as NULL.
 * owner_pid 0: the calling process becomes the owner (owner_boot_id is
 * then replaced with a malloc'd string the caller releases).
 */
int jc_store_run_insert(struct jc_store *s, struct jc_run_row *r);
/* Update state columns; result/msg may be NULL; end_ms 0 keeps running. */
int jc_store_run_set_state(struct jc_store *s, int64_t run_id, const char *life,
                           const char *result, const char *msg, int64_t end_ms);
/* Rewrite every column of r (by r->run_id). */
int jc_store_run_update(struct jc_store *s, const struct jc_run_row *r);
int jc_store_run_get(struct jc_store *s, int64_t run_id,
                     struct jc_run_row *out);
struct jc_run_filter {
    int64_t job_id;   /* 0 = any */
    bool active_only; /* life_cycle_state not terminal */
    size_t limit;     /* 0 = 25 */
    size_t offset;
};
/* Newest first. */
int jc_store_run_list(struct jc_store *s, const struct jc_run_filter *f,
                      struct jc_run_row **rows, size_t *n);
/* run_id of a run created with that idempotency token, or JC_ENOTFOUND. */
int jc_store_run_find_token(struct jc_store *s, const char *token,
                            int64_t *run_id);
/*
 * Runs of job_id other than except_run_id that are not terminal and whose
 * owner process is alive (max_concurrent_runs accounting).
 */
int jc_store_active_runs(struct jc_store *s, int64_t job_id,
                         int64_t except_run_id, size_t *n);
/* Delete a run with its attempts, values (ON DELETE CASCADE). */
int jc_store_run_delete(struct jc_store *s, int64_t run_id);
/* Ask the run's owner to cancel it (it polls); JC_ENOTFOUND if no run. */
int jc_store_run_request_cancel(struct jc_store *s, int64_t run_id);
/* 1 when a cancel was requested, 0 when not, or a JC_E* code. */
int jc_store_run_cancel_requested(struct jc_store *s, int64_t run_id);
void jc_run_row_release(struct jc_run_row *r);
void jc_run_rows_free(struct jc_run_row *rows, size_t n);
/* True for TERMINATED, SKIPPED, INTERNAL_ERROR. */
bool jc_life_cycle_terminal(const char *life);

/* ---- task runs (one row per attempt) ---- */
struct jc_task_run_row {
    int64_t task_run_id; /* allocated on insert, never equal to a run_id */
    int64_t run_id;
    char *task_key;
    int attempt_number; /* 0-based */
    int64_t repair_id;  /* 0 = original run */
    char *life_cycle_state;
    char *result_state;
    char *state_message;
    int64_t start_ms;
    int64_t end_ms;
    int exit_code;  /* -1 = none */
    char *executor; /* "local" | "databricks" */
    char *remote_run_id;
    char *log_path;
    double cpu_user_s;
    double cpu_sys_s;
    int64_t max_rss_kb;
    int64_t read_bytes; /* -1 = unknown */
    int64_t write_bytes;
    double cost;
    char *resolved_params_json;
    int pid;
    int pgid;
};
int jc_store_task_run_insert(struct jc_store *s, struct jc_task_run_row *r);
/* Rewrite every column of r (by r->task_run_id). */
int jc_store_task_run_update(struct jc_store *s,
                             const struct jc_task_run_row *r);
int jc_store_task_run_get(struct jc_store *s, int64_t task_run_id,
                          struct jc_task_run_row *out);
/* All attempts of a run ordered by task_run_id. */
int jc_store_task_run_list(struct jc_store *s, int64_t run_id,
                           struct jc_task_run_row **rows, size_t *n);
void jc_task_run_row_release(struct jc_task_run_row *r);
void jc_task_run_rows_free(struct jc_task_run_row *rows, size_t n);

/* ---- task values ---- */
/* value is the literal text written by the task (stored as given). */
int jc_store_task_value_set(struct jc_store *s, int64_t run_id,
                            const char *task_key, int attempt, const char *key,
                            const char *value);
/* Latest attempt's value; JC_ENOTFOUND when unset. *out malloc'd. */
int jc_store_task_value_get(struct jc_store *s, int64_t run_id,
                            const char *task_key, const char *key, char **out);
struct jc_task_value {
    char *task_key;
    char *key;
    char *value;
    int attempt;
};
/* Latest value of every (task_key, key) in a run. */
int jc_store_task_value_list(struct jc_store *s, int64_t run_id,
                             struct jc_task_value **vals, size_t *n);
void jc_task_values_free(struct jc_task_value *vals, size_t n);

/* ---- events (append-only) ---- */
struct jc_event_row {
    int64_t event_id;
    int64_t ts_ms;
    int64_t run_id; /* 0 = none */
    char *task_key; /* NULL = run level */
    char *type;     /* "run.start", "task.end", ... */
    char *message;
};
int jc_store_event_add(struct jc_store *s, int64_t run_id, const char *task_key,
                       const char *type, const char *message);
/* Events with event_id > after_id (run_id 0 = all), oldest first. */
int jc_store_event_list(struct jc_store *s, int64_t run_id, int64_t after_id,
                        size_t limit, struct jc_event_row **rows, size_t *n);
void jc_event_rows_free(struct jc_event_row *rows, size_t n);

/* ---- crash settling ---- */
/* Identity of the calling process for runs.owner_*. */
void jc_store_self_owner(int *pid, int64_t *start, char *boot_id, size_t n);
/* True when that owner process is still alive (same boot, same start). */
bool jc_store_owner_alive(int pid, int64_t start, const char *boot_id);
/*
 * Find non-terminal runs whose owner is dead: kill leftover task process
 * groups, mark their open attempts FAILED ("orphaned") and the run
 * FAILED. Returns the number of runs settled (>= 0) or a JC_E* code.
 */
int jc_store_settle_orphans(struct jc_store *s);
/* Same, and *ids (malloc'd, may be NULL) gets the run ids settled. */
int jc_store_settle_orphans_ex(struct jc_store *s, int64_t **ids, size_t *nids);

int64_t jc_now_ms(void);

#endif
