/*
 * spec.h: the in-memory job model every input format becomes (Jobs API
 * get-job JSON, bare JobSettings, jobs/create and runs/submit bodies,
 * Asset Bundle YAML), plus loading and validation.
 * The raw JSON (unknown keys included) is kept for round trips; the typed
 * fields are what the runner, scheduler and API use. Owned by core/spec*.c.
 */
#ifndef JOBCTL_JOBCTL_SPEC_H
#define JOBCTL_JOBCTL_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jc_run_if {
    JC_RUN_IF_ALL_SUCCESS = 0, /* default */
    JC_RUN_IF_AT_LEAST_ONE_SUCCESS,
    JC_RUN_IF_NONE_FAILED,
    JC_RUN_IF_ALL_DONE,
    JC_RUN_IF_AT_LEAST_ONE_FAILED,
    JC_RUN_IF_ALL_FAILED
};

enum jc_task_type {
    JC_TASK_NONE = 0, /* no runnable type: a validation error */
    JC_TASK_NOTEBOOK,
    JC_TASK_SPARK_PYTHON,
    JC_TASK_PYTHON_WHEEL,
    JC_TASK_SPARK_JAR,
    JC_TASK_SPARK_SUBMIT,
    JC_TASK_SQL,
    JC_TASK_DBT,
    JC_TASK_RUN_JOB,
    JC_TASK_CONDITION,
    JC_TASK_FOR_EACH,
    JC_TASK_PIPELINE,
    JC_TASK_COMMAND, /* jobctl extension command_task (local only) */
    JC_TASK_OTHER    /* recognised, remote only (dashboard_task, ...) */
};

enum jc_compute {
    JC_COMPUTE_NONE = 0, /* serverless / local */
    JC_COMPUTE_EXISTING_CLUSTER,
    JC_COMPUTE_NEW_CLUSTER,
    JC_COMPUTE_JOB_CLUSTER,
    JC_COMPUTE_ENVIRONMENT
};

/* Where a node came from, for messages "file:line:col: ...". line 0 = unknown.
 */
struct jc_src_loc {
    const char *file; /* borrowed from struct jc_job.source_path */
    int line;
    int col;
};

struct jc_kv {
    char *key;
    char *value;
};

struct jc_dep {
    char *task_key;
    char *outcome; /* "true"/"false" for condition parents, else NULL */
};

struct jc_task {
    char *task_key;
    char *description;
    struct jc_dep *deps;
    size_t ndeps;
    enum jc_run_if run_if;
    bool disabled;
    int64_t timeout_seconds;           /* 0 = none */
    int64_t max_retries;               /* 0 = never, -1 = forever */
    int64_t min_retry_interval_millis; /* from the failed attempt's start */
    bool retry_on_timeout;
    enum jc_task_type type;
    const char *type_key; /* "notebook_task", ... (static string) */

    /* notebook_task */
    char *notebook_path;
    struct jc_kv *base_parameters;
    size_t nbase_parameters;
    /* spark_python_task (python_file + parameters), python_wheel_task
     * (parameters), spark_jar_task (parameters) */
    char *python_file;
    char **parameters;
    size_t nparameters;
    /* command_task: argv, extra env, cwd (all may hold {{...}} refs) */
    char **command;
    size_t ncommand;
    struct jc_kv *env;
    size_t nenv;
    char *cwd;
    /* condition_task */
    char *cond_op;
    char *cond_left;
    char *cond_right;

    /* compute */
    enum jc_compute compute;
    char *existing_cluster_id;
    char *job_cluster_key;
    char *environment_key;

    /* for_each_task: inputs (JSON array text or a {{...}} reference),
     * concurrency (default 1) and the nested task (never a for_each) */
    char *for_each_inputs;
    int64_t for_each_concurrency;
    struct jc_task *for_each_task;
    /* run_job_task.job_id; pipeline_task.pipeline_id */
    int64_t run_job_id;
    char *pipeline_id;

    json_t *raw;           /* the task object as loaded (owned reference) */
    struct jc_src_loc loc; /* of the task object */
};

struct jc_job_param {
    char *name;
    char *default_value;
};

struct jc_schedule {
    bool present;
    char *quartz_cron_expression;
    char *timezone_id; /* IANA id, e.g. "UTC" */
    bool paused;       /* pause_status == PAUSED */
};

struct jc_spec_priv;

struct jc_job {
    int64_t job_id; /* from a get-job response; 0 when absent */
    char *name;
    struct jc_task *tasks;
    size_t ntasks;
    struct jc_job_param *params;
    size_t nparams;
    struct jc_schedule schedule;
    int64_t timeout_seconds;     /* whole run; 0 = none */
    int64_t max_concurrent_runs; /* default 1 */
    bool queue_enabled;
    bool remote;               /* x-jobctl remote marker / --remote */
    json_t *settings;          /* JobSettings incl. unknown keys (owned) */
    json_t *document;          /* the whole loaded document (owned) */
    char *source_path;         /* file it was loaded from, or NULL */
    char *bundle_job_key;      /* bundle resources.jobs key, or NULL */
    struct jc_spec_priv *priv; /* loader internals (locations, notes) */
};

/* A diagnostic: "file:line:col: message". */
struct jc_diag {
    char *msg;
};

struct jc_diags {
    struct jc_diag *items;
    size_t n;
    size_t alloc;
};

#define JC_DIAGS_INIT                                                          \
    {                                                                          \
        NULL, 0, 0                                                             \
    }
void jc_diags_add(struct jc_diags *d, const struct jc_src_loc *loc,
                  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void jc_diags_release(struct jc_diags *d);

struct jc_spec_load_opts {
    const char *target; /* bundle target; NULL = the default: true one */
    const char **vars;  /* bundle "name=value" overrides */
    size_t nvars;
    const char *job_key; /* bundle resources.jobs key; NULL = first */
};
#define JC_SPEC_LOAD_OPTS_INIT                                                 \
    {                                                                          \
        NULL, NULL, 0, NULL                                                    \
    }

/*
 * Load a job file (format auto-detected: get-job response, JobSettings /
 * jobs/create body, runs/submit body, jobs/list response, bundle YAML or
 * JSON; *.yml / *.yaml or text not starting with '{' is YAML). On syntax
 * errors returns JC_EPARSE with diagnostics carrying file:line:col. On
 * success *out is owned by the caller (jc_job_free). Does not validate
 * semantics: wrongly typed fields (e.g. an invalid run_if, which then
 * reads as ALL_SUCCESS) are only reported by jc_spec_validate(), so call
 * it before running a job.
 */
int jc_spec_load_file(struct jc_job **out, const char *path,
                      const struct jc_spec_load_opts *opts,
                      struct jc_diags *diags);
/* Same for text in memory; name is used in messages. */
int jc_spec_load_buffer(struct jc_job **out, const char *text, size_t len,
                        const char *name, const struct jc_spec_load_opts *opts,
                        struct jc_diags *diags);
/* Build from a JobSettings JSON object (API create/reset). Borrows settings. */
int jc_spec_from_settings(struct jc_job **out, json_t *settings,
                          struct jc_diags *diags);
/* Semantic checks (DESIGN.md section 4); 0 when no diagnostics added. */
int jc_spec_validate(const struct jc_job *job, struct jc_diags *diags);
void jc_job_free(struct jc_job *job);

const struct jc_task *jc_job_find_task(const struct jc_job *job,
                                       const char *task_key);
const char *jc_run_if_name(enum jc_run_if r);
/* "notebook_task", ... or "none" for JC_TASK_NONE. Static. */
const char *jc_task_type_name(enum jc_task_type t);
/*
 * Where a node of job->settings / job->document came from (JSON and YAML
 * inputs). Returns true and fills *out when known; false otherwise
 * (out->file is still set to the job's source path, line = 0).
 */
bool jc_spec_loc(const struct jc_job *job, const json_t *node,
                 struct jc_src_loc *out);
/* Returns 0 and sets *out, or JC_EINVAL for an unknown name. */
int jc_run_if_parse(const char *s, enum jc_run_if *out);

#endif
