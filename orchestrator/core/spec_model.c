/*
 * spec_model.c: building struct jc_job from a job settings object: task
 * type and run_if names, typed field getters that record a located note
 * per wrong value, task and job parsing, and freeing the model. It does not
 * read files or detect the input format (spec.c) nor judge the finished
 * model (spec_validate.c).
 */
#include "jobctl/spec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spec_int.h"
#include "jobctl/err.h"
#include "util/mem.h"

/* ---- small enums ------------------------------------------------------ */

static const char *const run_if_names[] = {
    "ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED",
    "ALL_DONE",    "AT_LEAST_ONE_FAILED",  "ALL_FAILED"};

const char *jc_run_if_name(enum jc_run_if r)
{
    if ((unsigned)r < sizeof(run_if_names) / sizeof(run_if_names[0]))
        return run_if_names[r];
    return "ALL_SUCCESS";
}

int jc_run_if_parse(const char *s, enum jc_run_if *out)
{
    size_t i;

    for (i = 0; s && i < sizeof(run_if_names) / sizeof(run_if_names[0]); i++) {
        if (!strcmp(s, run_if_names[i])) {
            *out = (enum jc_run_if)i;
            return 0;
        }
    }
    return JC_EINVAL;
}

struct type_entry {
    const char *key;
    enum jc_task_type type;
};

static const struct type_entry task_types[] = {
    {"notebook_task", JC_TASK_NOTEBOOK},
    {"spark_python_task", JC_TASK_SPARK_PYTHON},
    {"python_wheel_task", JC_TASK_PYTHON_WHEEL},
    {"spark_jar_task", JC_TASK_SPARK_JAR},
    {"spark_submit_task", JC_TASK_SPARK_SUBMIT},
    {"sql_task", JC_TASK_SQL},
    {"dbt_task", JC_TASK_DBT},
    {"run_job_task", JC_TASK_RUN_JOB},
    {"condition_task", JC_TASK_CONDITION},
    {"for_each_task", JC_TASK_FOR_EACH},
    {"pipeline_task", JC_TASK_PIPELINE},
    {"command_task", JC_TASK_COMMAND},
    {"dashboard_task", JC_TASK_OTHER},
    {"power_bi_task", JC_TASK_OTHER},
    {"alert_task", JC_TASK_OTHER},
    {"clean_rooms_notebook_task", JC_TASK_OTHER},
    {"dbt_cloud_task", JC_TASK_OTHER},
    {"dbt_platform_task", JC_TASK_OTHER},
    {"gen_ai_compute_task", JC_TASK_OTHER},
    {"ai_runtime_task", JC_TASK_OTHER},
    {"python_operator_task", JC_TASK_OTHER},
};

#define NTASK_TYPES (sizeof(task_types) / sizeof(task_types[0]))

const char *jc_task_type_name(enum jc_task_type t)
{
    size_t i;

    if (t == JC_TASK_NONE)
        return "none";
    if (t == JC_TASK_OTHER)
        return "other";
    for (i = 0; i < NTASK_TYPES; i++)
        if (task_types[i].type == t)
            return task_types[i].key;
    return "none";
}

/* ---- typed field helpers ---------------------------------------------- */

struct bctx {
    struct jc_job *job;
    struct jc_spec_priv *p;
    const char *what; /* "task 'x'" or "job" */
};

static void note(struct bctx *c, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct bctx *c, const json_t *node, const char *fmt, ...)
{
    struct jc_src_loc loc;
    char msg[1024];
    va_list ap;

    jc_spec_loc(c->job, node, &loc);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jc_diags_add(&c->p->notes, &loc, "%s: %s", c->what, msg);
}

/* Scalars become strings (numbers printed); NULL when absent or not scalar. */
static char *scalar_to_str(const json_t *v)
{
    char num[64];

    if (json_is_string(v))
        return ju_xstrndup(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return ju_xstrdup(num);
    }
    if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return ju_xstrdup(num);
    }
    if (json_is_true(v))
        return ju_xstrdup("true");
    if (json_is_false(v))
        return ju_xstrdup("false");
    return NULL;
}

static char *get_str(struct bctx *c, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        note(c, v, "'%s' must be a string", key);
        return NULL;
    }
    return ju_xstrndup(json_string_value(v), json_string_length(v));
}

static int64_t get_int(struct bctx *c, json_t *obj, const char *key,
                       int64_t def)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return def;
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);

        /* 5.0 is accepted as 5; the range check keeps the cast defined */
        if (d > -9.2e18 && d < 9.2e18 && d == (double)(int64_t)d)
            return (int64_t)d;
    }
    note(c, v, "'%s' must be an integer", key);
    return def;
}

static bool get_bool(struct bctx *c, json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return def;
    if (json_is_boolean(v))
        return json_is_true(v);
    note(c, v, "'%s' must be true or false", key);
    return def;
}

static void get_str_array(struct bctx *c, json_t *obj, const char *key,
                          char ***out, size_t *n)
{
    json_t *v = json_object_get(obj, key);
    size_t i;

    if (!v || json_is_null(v))
        return;
    if (!json_is_array(v)) {
        note(c, v, "'%s' must be a list of strings", key);
        return;
    }
    *out = ju_xcalloc(json_array_size(v) + 1, sizeof(char *));
    for (i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        char *s = scalar_to_str(e);

        if (!s) {
            note(c, json_is_null(e) || json_is_boolean(e) ? v : e,
                 "'%s' entries must be strings", key);
            s = ju_xstrdup("");
        }
        (*out)[(*n)++] = s;
    }
}

static void get_kv_map(struct bctx *c, json_t *obj, const char *key,
                       struct jc_kv **out, size_t *n)
{
    json_t *v = json_object_get(obj, key);
    const char *k;
    json_t *val;

    if (!v || json_is_null(v))
        return;
    if (!json_is_object(v)) {
        note(c, v, "'%s' must be a map of strings", key);
        return;
    }
    *out = ju_xcalloc(json_object_size(v) + 1, sizeof(**out));
    json_object_foreach(v, k, val)
    {
        char *s = scalar_to_str(val);

        if (!s) {
            note(c, json_is_null(val) ? v : val, "'%s.%s' must be a string",
                 key, k);
            s = ju_xstrdup("");
        }
        (*out)[*n].key = ju_xstrdup(k);
        (*out)[*n].value = s;
        (*n)++;
    }
}

/* ---- tasks ------------------------------------------------------------ */

static void task_release(struct jc_task *t);

static void parse_task(struct jc_job *job, struct jc_spec_priv *p,
                       struct jc_task *t, json_t *obj, bool nested, size_t idx);

static void parse_type(struct bctx *c, struct jc_task *t, json_t *obj,
                       bool nested)
{
    size_t i;
    json_t *body = NULL;
    const char *first = NULL;

    for (i = 0; i < NTASK_TYPES; i++) {
        json_t *v = json_object_get(obj, task_types[i].key);

        if (!v || json_is_null(v))
            continue;
        if (first) {
            note(c, v, "more than one task type ('%s' and '%s')", first,
                 task_types[i].key);
            continue;
        }
        first = task_types[i].key;
        t->type = task_types[i].type;
        t->type_key = task_types[i].key;
        body = v;
        if (!json_is_object(v)) {
            note(c, v, "'%s' must be an object", first);
            body = NULL;
        }
    }
    if (!body)
        return;
    switch (t->type) {
    case JC_TASK_NOTEBOOK:
        t->notebook_path = get_str(c, body, "notebook_path");
        get_kv_map(c, body, "base_parameters", &t->base_parameters,
                   &t->nbase_parameters);
        break;
    case JC_TASK_SPARK_PYTHON:
        t->python_file = get_str(c, body, "python_file");
        get_str_array(c, body, "parameters", &t->parameters, &t->nparameters);
        break;
    case JC_TASK_PYTHON_WHEEL:
    case JC_TASK_SPARK_JAR:
    case JC_TASK_SPARK_SUBMIT:
        get_str_array(c, body, "parameters", &t->parameters, &t->nparameters);
        break;
    case JC_TASK_COMMAND:
        get_str_array(c, body, "command", &t->command, &t->ncommand);
        get_kv_map(c, body, "env", &t->env, &t->nenv);
        t->cwd = get_str(c, body, "cwd");
        break;
    case JC_TASK_CONDITION: {
        json_t *l = json_object_get(body, "left");
        json_t *r = json_object_get(body, "right");

        t->cond_op = get_str(c, body, "op");
        t->cond_left = scalar_to_str(l);
        t->cond_right = scalar_to_str(r);
        break;
    }
    case JC_TASK_FOR_EACH: {
        json_t *in = json_object_get(body, "inputs");
        json_t *nt = json_object_get(body, "task");

        if (json_is_string(in))
            t->for_each_inputs = ju_xstrdup(json_string_value(in));
        else if (json_is_array(in))
            t->for_each_inputs = json_dumps(in, JSON_COMPACT);
        t->for_each_concurrency = get_int(c, body, "concurrency", 1);
        if (nested) {
            note(c, body,
                 "a for_each_task cannot be nested in a for_each_task");
        } else if (json_is_object(nt)) {
            t->for_each_task = ju_xcalloc(1, sizeof(*t->for_each_task));
            parse_task(c->job, c->p, t->for_each_task, nt, true, 0);
        } else {
            note(c, body, "for_each_task needs a 'task' object");
        }
        break;
    }
    case JC_TASK_RUN_JOB:
        t->run_job_id = get_int(c, body, "job_id", 0);
        break;
    case JC_TASK_PIPELINE:
        t->pipeline_id = get_str(c, body, "pipeline_id");
        break;
    default:
        break;
    }
}

static void parse_task(struct jc_job *job, struct jc_spec_priv *p,
                       struct jc_task *t, json_t *obj, bool nested, size_t idx)
{
    struct bctx c;
    char what[320];
    json_t *v;
    size_t i;
    static const char *const compute_keys[] = {"existing_cluster_id",
                                               "new_cluster", "job_cluster_key",
                                               "environment_key"};
    const char *compute_first = NULL;

    t->raw = json_incref(obj);
    jc_spec_loc(job, obj, &t->loc);
    c.job = job;
    c.p = p;
    c.what = what;
    v = json_object_get(obj, "task_key");
    if (json_is_string(v)) {
        t->task_key = ju_xstrdup(json_string_value(v));
    } else {
        t->task_key = ju_xstrdup("");
        if (nested)
            snprintf(what, sizeof(what), "for_each_task task");
        else
            snprintf(what, sizeof(what), "task #%zu", idx + 1);
        if (!v)
            note(&c, obj, "missing 'task_key'");
        else
            note(&c, v, "'task_key' must be a string");
    }
    snprintf(what, sizeof(what), "task '%.256s'", t->task_key);
    t->description = get_str(&c, obj, "description");

    v = json_object_get(obj, "depends_on");
    if (v && !json_is_null(v)) {
        if (!json_is_array(v)) {
            note(&c, v, "'depends_on' must be a list of {task_key}");
        } else {
            t->deps = ju_xcalloc(json_array_size(v) + 1, sizeof(*t->deps));
            for (i = 0; i < json_array_size(v); i++) {
                json_t *d = json_array_get(v, i);
                json_t *k = json_object_get(d, "task_key");
                json_t *o = json_object_get(d, "outcome");

                if (!json_is_string(k)) {
                    note(&c, d,
                         "'depends_on' entries need a string "
                         "'task_key'");
                    continue;
                }
                t->deps[t->ndeps].task_key = ju_xstrdup(json_string_value(k));
                if (o && !json_is_null(o))
                    t->deps[t->ndeps].outcome = scalar_to_str(o);
                t->ndeps++;
            }
        }
    }

    v = json_object_get(obj, "run_if");
    t->run_if = JC_RUN_IF_ALL_SUCCESS;
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            jc_run_if_parse(json_string_value(v), &t->run_if) < 0) {
            char *s = scalar_to_str(v);

            note(&c, v,
                 "invalid run_if '%s' (expected ALL_SUCCESS, "
                 "AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, "
                 "AT_LEAST_ONE_FAILED or ALL_FAILED)",
                 s ? s : "?");
            free(s);
        }
    }
    t->disabled = get_bool(&c, obj, "disabled", false);
    t->timeout_seconds = get_int(&c, obj, "timeout_seconds", 0);
    t->max_retries = get_int(&c, obj, "max_retries", 0);
    t->min_retry_interval_millis =
        get_int(&c, obj, "min_retry_interval_millis", 0);
    t->retry_on_timeout = get_bool(&c, obj, "retry_on_timeout", false);
    t->for_each_concurrency = 1;

    parse_type(&c, t, obj, nested);

    for (i = 0; i < sizeof(compute_keys) / sizeof(compute_keys[0]); i++) {
        v = json_object_get(obj, compute_keys[i]);
        if (!v || json_is_null(v))
            continue;
        if (compute_first) {
            note(&c, v,
                 "only one of existing_cluster_id, new_cluster, "
                 "job_cluster_key, environment_key may be set "
                 "(found '%s' and '%s')",
                 compute_first, compute_keys[i]);
            continue;
        }
        compute_first = compute_keys[i];
        switch (i) {
        case 0:
            t->compute = JC_COMPUTE_EXISTING_CLUSTER;
            t->existing_cluster_id = get_str(&c, obj, compute_keys[i]);
            break;
        case 1:
            t->compute = JC_COMPUTE_NEW_CLUSTER;
            if (!json_is_object(v))
                note(&c, v, "'new_cluster' must be an object");
            break;
        case 2:
            t->compute = JC_COMPUTE_JOB_CLUSTER;
            t->job_cluster_key = get_str(&c, obj, compute_keys[i]);
            break;
        default:
            t->compute = JC_COMPUTE_ENVIRONMENT;
            t->environment_key = get_str(&c, obj, compute_keys[i]);
            break;
        }
    }
}

static void free_kvs(struct jc_kv *kv, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void free_strv(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void task_release(struct jc_task *t)
{
    size_t i;

    free(t->task_key);
    free(t->description);
    for (i = 0; i < t->ndeps; i++) {
        free(t->deps[i].task_key);
        free(t->deps[i].outcome);
    }
    free(t->deps);
    free(t->notebook_path);
    free_kvs(t->base_parameters, t->nbase_parameters);
    free(t->python_file);
    free_strv(t->parameters, t->nparameters);
    free_strv(t->command, t->ncommand);
    free_kvs(t->env, t->nenv);
    free(t->cwd);
    free(t->cond_op);
    free(t->cond_left);
    free(t->cond_right);
    free(t->existing_cluster_id);
    free(t->job_cluster_key);
    free(t->environment_key);
    free(t->for_each_inputs);
    if (t->for_each_task) {
        task_release(t->for_each_task);
        free(t->for_each_task);
    }
    free(t->pipeline_id);
    json_decref(t->raw);
}

void jc_job_free(struct jc_job *job)
{
    size_t i;

    if (!job)
        return;
    for (i = 0; i < job->ntasks; i++)
        task_release(&job->tasks[i]);
    free(job->tasks);
    for (i = 0; i < job->nparams; i++) {
        free(job->params[i].name);
        free(job->params[i].default_value);
    }
    free(job->params);
    free(job->name);
    free(job->schedule.quartz_cron_expression);
    free(job->schedule.timezone_id);
    json_decref(job->settings);
    json_decref(job->document);
    free(job->source_path);
    free(job->bundle_job_key);
    jc_spec__priv_free(job->priv);
    free(job);
}

const struct jc_task *jc_job_find_task(const struct jc_job *job,
                                       const char *task_key)
{
    size_t i;

    if (!job || !task_key)
        return NULL;
    for (i = 0; i < job->ntasks; i++)
        if (!strcmp(job->tasks[i].task_key, task_key))
            return &job->tasks[i];
    return NULL;
}

/* ---- job -------------------------------------------------------------- */

int jc_spec__build(struct jc_job **out, json_t *document, json_t *settings,
                   int64_t job_id, const char *source,
                   struct jc_spec_priv *priv)
{
    struct jc_job *job = ju_xcalloc(1, sizeof(*job));
    struct bctx c;
    json_t *v;
    size_t i;

    job->priv = priv ? priv : jc_spec__priv_new();
    job->source_path = source ? ju_xstrdup(source) : NULL;
    job->document = json_incref(document ? document : settings);
    job->settings = json_incref(settings);
    job->job_id = job_id;
    c.job = job;
    c.p = job->priv;
    c.what = "job";

    job->name = get_str(&c, settings, "name");
    if (!job->name) {
        v = json_object_get(settings, "run_name");
        if (json_is_string(v))
            job->name = ju_xstrdup(json_string_value(v));
    }
    job->timeout_seconds = get_int(&c, settings, "timeout_seconds", 0);
    job->max_concurrent_runs = get_int(&c, settings, "max_concurrent_runs", 1);
    v = json_object_get(settings, "queue");
    if (json_is_object(v))
        job->queue_enabled = get_bool(&c, v, "enabled", false);
    v = json_object_get(settings, "x-jobctl");
    if (json_is_object(v))
        job->remote = get_bool(&c, v, "remote", false);

    v = json_object_get(settings, "schedule");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v)) {
            note(&c, v, "'schedule' must be an object");
        } else {
            json_t *ps = json_object_get(v, "pause_status");

            job->schedule.present = true;
            job->schedule.quartz_cron_expression =
                get_str(&c, v, "quartz_cron_expression");
            job->schedule.timezone_id = get_str(&c, v, "timezone_id");
            job->schedule.paused =
                json_is_string(ps) && !strcmp(json_string_value(ps), "PAUSED");
        }
    }

    v = json_object_get(settings, "parameters");
    if (v && !json_is_null(v)) {
        if (!json_is_array(v)) {
            note(&c, v, "'parameters' must be a list of {name, default}");
        } else {
            job->params =
                ju_xcalloc(json_array_size(v) + 1, sizeof(*job->params));
            for (i = 0; i < json_array_size(v); i++) {
                json_t *pe = json_array_get(v, i);
                json_t *nm = json_object_get(pe, "name");

                if (!json_is_string(nm)) {
                    note(&c, pe, "job parameters need a string 'name'");
                    continue;
                }
                job->params[job->nparams].name =
                    ju_xstrdup(json_string_value(nm));
                job->params[job->nparams].default_value =
                    scalar_to_str(json_object_get(pe, "default"));
                if (!job->params[job->nparams].default_value)
                    job->params[job->nparams].default_value = ju_xstrdup("");
                job->nparams++;
            }
        }
    }

    v = json_object_get(settings, "tasks");
    if (v && !json_is_null(v) && !json_is_array(v)) {
        note(&c, v, "'tasks' must be a list");
    } else if (v) {
        job->tasks = ju_xcalloc(json_array_size(v) + 1, sizeof(*job->tasks));
        for (i = 0; i < json_array_size(v); i++) {
            json_t *to = json_array_get(v, i);

            if (!json_is_object(to)) {
                note(&c, to, "'tasks' entries must be objects");
                continue;
            }
            parse_task(job, job->priv, &job->tasks[job->ntasks], to, false, i);
            job->ntasks++;
        }
    }
    *out = job;
    return 0;
}

int jc_spec_from_settings(struct jc_job **out, json_t *settings,
                          struct jc_diags *diags)
{
    *out = NULL;
    if (!json_is_object(settings)) {
        jc_diags_add(diags, NULL, "job settings must be a JSON object");
        return jc_err_set(JC_EINVAL, "job settings must be a JSON object");
    }
    return jc_spec__build(out, settings, settings, 0, NULL, NULL);
}
