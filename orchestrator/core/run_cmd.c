/*
 * run_cmd.c: launching one attempt: dynamic references, parameters (env
 * JOBCTL_PARAM_<NAME> and argv --name=value), workspace resolution, the
 * task environment, the task_runs row; and handling its completion
 * (measures, task values, accounting hook, retry policy).
 */
#include "core/run_engine.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "jobctl/exec.h"
#include "util/log.h"
#include "util/mem.h"

struct ref_ctx {
    struct jc_run *r;
    size_t i;
    json_t *input; /* for_each element, or NULL */
};

static void finish_attempt(struct jc_run *r, size_t i, enum jc_result result,
                           bool retryable);
struct foreach_state;
static void fe_stop(struct foreach_state *fe, enum jc_stop_reason why);

static char *lower(const char *s)
{
    char *d = ju_xstrdup(s ? s : "");
    char *p;

    for (p = d; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return d;
}

static int unknown(char **seg, size_t n)
{
    struct ju_buf_tmp {
        char b[256];
    } t;
    size_t i, off = 0;

    t.b[0] = '\0';
    for (i = 0; i < n && off < sizeof(t.b); i++)
        off += (size_t)snprintf(t.b + off, sizeof(t.b) - off, "%s%s",
                                i ? "." : "", seg[i]);
    return jc_err_set(JC_EINVAL, "unknown reference '{{%s}}'", t.b);
}

static int time_ref(int64_t ms, char **seg, size_t n, size_t at, char **val)
{
    if (n != at + 1 || !(*val = jc_time_arg(ms, seg[at])))
        return unknown(seg, n);
    return 0;
}

static int task_ref(struct jc_run *r, size_t idx, char **seg, size_t n,
                    size_t at, char **val)
{
    struct rtask *rt = &r->tasks[idx];
    const char *f;
    size_t k;

    if (n < at + 1)
        return unknown(seg, n);
    f = seg[at];
    if (n == at + 1) {
        if (!strcmp(f, "name") || !strcmp(f, "task_key"))
            *val = ju_xstrdup(rt->t->task_key);
        else if (!strcmp(f, "run_id"))
            *val = ju_xasprintf("%lld", (long long)rt->task_run_id);
        else if (!strcmp(f, "notebook_path"))
            *val = ju_xstrdup(rt->t->notebook_path ? rt->t->notebook_path : "");
        else if (!strcmp(f, "execution_count"))
            *val = ju_xasprintf("%d", rt->tries);
        else if (!strcmp(f, "result_state"))
            *val = lower(jc_result_name(rt->result));
        else if (!strcmp(f, "error_code"))
            *val = ju_xstrdup(jc_result_is_failure(rt->result) && rt->message
                                  ? rt->message : "");
        else
            return unknown(seg, n);
        return 0;
    }
    if (!strcmp(f, "values") && n == at + 2) {
        for (k = rt->nvals; k-- > 0;) {
            if (!strcmp(rt->vals[k].key, seg[at + 1])) {
                *val = ju_xstrdup(rt->vals[k].value);
                return 0;
            }
        }
        return jc_err_set(JC_ENOTFOUND, "task value '%s' of task '%s' is not "
                          "set", seg[at + 1], rt->t->task_key);
    }
    return unknown(seg, n);
}

static int lookup(void *arg, char **seg, size_t n, char **val)
{
    struct ref_ctx *c = arg;
    struct jc_run *r = c->r;
    struct rtask *rt;
    const char *ns = seg[0];
    size_t k;

    if (c->i == (size_t)-1) {
        /* Job parameter defaults: only run-level references resolve. */
        if (!strcmp(ns, "task") || !strcmp(ns, "tasks") ||
            (!strcmp(ns, "job") && n >= 2 && !strcmp(seg[1], "parameters")))
            return jc_err_set(JC_EINVAL, "job parameters may only refer to "
                              "the job and the run");
        if (n == 1)
            return 1;
    }
    rt = c->i == (size_t)-1 ? NULL : &r->tasks[c->i];
    if (!strcmp(ns, "input") && c->input) {
        json_t *v = c->input;

        if (n == 2) {
            v = json_is_object(c->input) ? json_object_get(c->input, seg[1])
                                         : NULL;
            if (!v)
                return jc_err_set(JC_ENOTFOUND, "for_each input has no field "
                                  "'%s'", seg[1]);
        } else if (n > 2) {
            return unknown(seg, n);
        }
        *val = json_is_string(v) ? ju_xstrdup(json_string_value(v))
                                 : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        return 0;
    }
    if (n == 1) {
        if (!strcmp(ns, "job_id"))
            *val = ju_xasprintf("%lld", (long long)r->job_id);
        else if (!strcmp(ns, "run_id") || !strcmp(ns, "parent_run_id"))
            *val = ju_xasprintf("%lld", (long long)r->run_id);
        else if (!strcmp(ns, "start_date"))
            *val = jc_time_arg(r->start_ms, "iso_date");
        else if (!strcmp(ns, "start_time"))
            *val = ju_xasprintf("%lld", (long long)r->start_ms);
        else if (!strcmp(ns, "task_retry_count"))
            *val = ju_xasprintf("%d", rt->tries - 1);
        else if (!strcmp(ns, "task_key"))
            *val = ju_xstrdup(rt->t->task_key);
        else
            return 1;
        return 0;
    }
    if (!strcmp(ns, "job")) {
        const char *f = seg[1];
        if (n == 2 && !strcmp(f, "id"))
            *val = ju_xasprintf("%lld", (long long)r->job_id);
        else if (n == 2 && !strcmp(f, "name"))
            *val = ju_xstrdup(r->job->name ? r->job->name : "");
        else if (n == 2 && !strcmp(f, "run_id"))
            *val = ju_xasprintf("%lld", (long long)r->run_id);
        else if (n == 2 && !strcmp(f, "repair_count"))
            *val = ju_xasprintf("%lld", (long long)r->repair_count);
        else if (!strcmp(f, "start_time"))
            return time_ref(r->start_ms, seg, n, 2, val);
        else if (n == 3 && !strcmp(f, "trigger") && !strcmp(seg[2], "type"))
            *val = lower(r->opts.trigger ? r->opts.trigger : "ONE_TIME");
        else if (n >= 3 && !strcmp(f, "trigger") && !strcmp(seg[2], "time"))
            return time_ref(r->start_ms, seg, n, 3, val);
        else if (n == 3 && !strcmp(f, "parameters")) {
            for (k = 0; k < r->nparams; k++) {
                if (!strcmp(r->params[k].key, seg[2])) {
                    *val = ju_xstrdup(r->params[k].value);
                    return 0;
                }
            }
            return jc_err_set(JC_ENOTFOUND, "job parameter '%s' is not "
                              "defined", seg[2]);
        } else
            return unknown(seg, n);
        return 0;
    }
    if (!strcmp(ns, "run")) {
        if (n == 2 && !strcmp(seg[1], "id"))
            *val = ju_xasprintf("%lld", (long long)r->run_id);
        else
            return unknown(seg, n);
        return 0;
    }
    if (!strcmp(ns, "task"))
        return task_ref(r, c->i, seg, n, 1, val);
    if (!strcmp(ns, "tasks")) {
        size_t idx;
        if (n < 3)
            return unknown(seg, n);
        if (!jc_dag_lookup(r->dag, seg[1], &idx))
            return jc_err_set(JC_ENOTFOUND, "reference to unknown task '%s'",
                              seg[1]);
        return task_ref(r, idx, seg, n, 2, val);
    }
    if (!strcmp(ns, "workspace")) {
        if (n == 2 && !strcmp(seg[1], "id"))
            *val = ju_xstrdup("0");
        else if (n == 2 && !strcmp(seg[1], "url"))
            *val = ju_xasprintf("file://%s", r->workspace);
        else
            return unknown(seg, n);
        return 0;
    }
    return 1;
}

/* A growable NULL-terminated string vector. */
struct strv {
    char **v;
    size_t n, alloc;
};

static void strv_push(struct strv *s, char *x)
{
    JU_ALLOC_GROW(s->v, s->n + 2, s->alloc);
    s->v[s->n++] = x;
    s->v[s->n] = NULL;
}

static void strv_release(struct strv *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof(*s));
}

struct cmd {
    struct strv argv;
    struct strv env;   /* extra env, owned; base env appended borrowed */
    char **envp;       /* extra + base, for the executor */
    char *cwd;
    json_t *resolved;
};

static void cmd_release(struct cmd *c)
{
    strv_release(&c->argv);
    strv_release(&c->env);
    free(c->envp);
    free(c->cwd);
    json_decref(c->resolved);
}

static int expand(struct ref_ctx *ctx, const char *in, char **out)
{
    if (!jc_refs_has(in)) {
        *out = ju_xstrdup(in ? in : "");
        return 0;
    }
    return jc_refs_expand(in, lookup, ctx, out);
}

static int build_cmd_for(struct jc_run *r, const struct jc_task *t,
                         struct ref_ctx *pctx, struct cmd *c, bool remote)
{
    struct ref_ctx ctx = *pctx;
    json_t *params = json_object();
    char **prefix = NULL;
    size_t np = 0, k;
    int rc = 0;

    c->resolved = json_object();
    /* Key/value parameters: job parameters win over base_parameters. */
    if (t->type == JC_TASK_NOTEBOOK) {
        for (k = 0; k < t->nbase_parameters; k++) {
            char *v;
            if ((rc = expand(&ctx, t->base_parameters[k].value, &v)))
                goto out;
            json_object_set_new(params, t->base_parameters[k].key,
                                json_string(v));
            free(v);
        }
    }
    for (k = 0; k < r->nparams; k++)
        json_object_set_new(params, r->params[k].key,
                            json_string(r->params[k].value));
    {
        const char *key;
        json_t *v;
        json_object_foreach(params, key, v) {
            char *name = jc_param_env_name(key);
            strv_push(&c->env, ju_xasprintf("%s=%s", name, json_string_value(v)));
            free(name);
        }
    }
    switch (t->type) {
    case JC_TASK_NOTEBOOK: {
        const char *key;
        json_t *v;
        if (!remote && (rc = jc_workspace_resolve(r->workspace,
                                                  t->notebook_path, &prefix,
                                                  &np)))
            goto out;
        for (k = 0; k < np; k++)
            strv_push(&c->argv, ju_xstrdup(prefix[k]));
        json_object_foreach(params, key, v)
            strv_push(&c->argv, ju_xasprintf("--%s=%s", key,
                                             json_string_value(v)));
        json_object_set_new(c->resolved, "notebook_task",
                            json_pack("{s:O}", "base_parameters", params));
        break;
    }
    case JC_TASK_SPARK_PYTHON: {
        json_t *a = json_array();
        if (!remote && (rc = jc_workspace_resolve(r->workspace, t->python_file,
                                                  &prefix, &np))) {
            json_decref(a);
            goto out;
        }
        for (k = 0; k < np; k++)
            strv_push(&c->argv, ju_xstrdup(prefix[k]));
        for (k = 0; k < t->nparameters; k++) {
            char *v;
            if ((rc = expand(&ctx, t->parameters[k], &v))) {
                json_decref(a);
                goto out;
            }
            json_array_append_new(a, json_string(v));
            strv_push(&c->argv, v);
        }
        json_object_set_new(c->resolved, "spark_python_task",
                            json_pack("{s:o}", "parameters", a));
        break;
    }
    case JC_TASK_COMMAND: {
        json_t *a = json_array(), *e = json_object();
        for (k = 0; k < t->ncommand; k++) {
            char *v;
            if ((rc = expand(&ctx, t->command[k], &v)))
                break;
            json_array_append_new(a, json_string(v));
            strv_push(&c->argv, v);
        }
        for (k = 0; !rc && k < t->nenv; k++) {
            char *v;
            if ((rc = expand(&ctx, t->env[k].value, &v)))
                break;
            json_object_set_new(e, t->env[k].key, json_string(v));
            strv_push(&c->env, ju_xasprintf("%s=%s", t->env[k].key, v));
            free(v);
        }
        if (!rc && t->cwd) {
            rc = expand(&ctx, t->cwd, &c->cwd);
        }
        json_object_set_new(c->resolved, "command_task",
                            json_pack("{s:o, s:o, s:s?}", "command", a, "env", e,
                                      "cwd", c->cwd));
        if (rc)
            goto out;
        if (!c->argv.n) {
            rc = jc_err_set(JC_EINVAL, "command_task of '%s' has an empty "
                            "command", t->task_key);
            goto out;
        }
        break;
    }
    default:
        if (remote)
            break; /* the Databricks executor sends the task as defined */
        rc = jc_err_set(JC_EUNSUPPORTED, "%s cannot run locally; run it on "
                        "Databricks with --remote",
                        t->type_key ? t->type_key : "this task type");
        goto out;
    }
out:
    jc_strv_free(prefix);
    json_decref(params);
    return rc;
}

static int build_cmd(struct jc_run *r, size_t i, struct cmd *c, bool remote)
{
    struct ref_ctx ctx = {r, i, NULL};

    return build_cmd_for(r, r->tasks[i].t, &ctx, c, remote);
}

static void add_env(struct jc_run *r, const char *key, int attempt,
                    int64_t task_run_id, const char *tv_path, struct cmd *c)
{
    size_t k, n;

    strv_push(&c->env, ju_xasprintf("JOBCTL_RUN_ID=%lld", (long long)r->run_id));
    strv_push(&c->env, ju_xasprintf("JOBCTL_JOB_ID=%lld", (long long)r->job_id));
    strv_push(&c->env, ju_xasprintf("JOBCTL_TASK_KEY=%s", key));
    strv_push(&c->env, ju_xasprintf("JOBCTL_ATTEMPT=%d", attempt));
    strv_push(&c->env, ju_xasprintf("JOBCTL_TASK_RUN_ID=%lld",
                                    (long long)task_run_id));
    strv_push(&c->env, ju_xasprintf("JOBCTL_HOME=%s", r->home));
    strv_push(&c->env, ju_xasprintf("JOBCTL_LAKE=%s", r->lake));
    strv_push(&c->env, ju_xasprintf("JOBCTL_TASK_VALUES=%s", tv_path));
    n = c->env.n + r->nbase_env;
    c->envp = ju_xcalloc(n + 1, sizeof(char *));
    for (k = 0; k < c->env.n; k++)
        c->envp[k] = c->env.v[k];
    for (k = 0; k < r->nbase_env; k++)
        c->envp[c->env.n + k] = r->base_env[k];
}

static void set_msg(struct rtask *rt, const char *msg)
{
    free(rt->message);
    rt->message = ju_xstrdup(msg ? msg : "");
    rt->row.state_message = rt->message;
}

/* Finish the attempt in flight bookkeeping for a non-started attempt. */
static void fail_before_start(struct jc_run *r, size_t i, const char *msg,
                              bool inserted)
{
    struct rtask *rt = &r->tasks[i];

    set_msg(rt, msg);
    rt->end_ms = jc_now_ms();
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)"FAILED";
    rt->row.end_ms = rt->end_ms;
    jc_run_dirty(r);
    if (inserted)
        jc_store_task_run_update(r->store, &rt->row);
    else
        jc_store_task_run_insert(r->store, &rt->row);
    rt->task_run_id = rt->row.task_run_id;
    jc_store_event_add(r->store, r->run_id, rt->t->task_key, "task.end", msg);
    if (rt->log_path) {
        FILE *f;
        char *d = ju_xstrdup(rt->log_path);
        char *sl = strrchr(d, '/');
        if (sl) {
            *sl = '\0';
            jc_exec_mkdirs(d, 0755);
        }
        free(d);
        f = fopen(rt->log_path, "a");
        if (f) {
            fprintf(f, "jobctl: %s\n", msg);
            fclose(f);
        }
    }
    jc_run_task_terminal(r, i, JC_RESULT_FAILED);
}

void jc_run_stop_task(struct jc_run *r, size_t i, enum jc_stop_reason why)
{
    struct rtask *rt = &r->tasks[i];

    if (rt->st != TS_RUNNING || rt->stop_requested)
        return;
    if (rt->fe) {
        rt->stop_requested = true;
        fe_stop(rt->fe, why);
    } else if (rt->child) {
        rt->stop_requested = true;
        rt->child_timedout = why == JC_STOP_TIMEOUT;
        jc_run_cancel(rt->child, why == JC_STOP_TIMEOUT
                                     ? "run_job_task timed out"
                                     : "parent run canceled");
    } else if (rt->att && rt->ex) {
        rt->stop_requested = true;
        rt->ex->ops->stop(rt->ex, rt->att, why);
    }
}

static void on_timeout(uv_timer_t *t)
{
    struct task_timer *tt = t->data;

    jc_run_stop_task(tt->run, tt->idx, JC_STOP_TIMEOUT);
}

static void ingest_values(struct jc_run *r, struct rtask *rt)
{
    struct jc_tv *vals;
    size_t n, k, j;

    /* Most tasks set no values: a short faccessat(2) under the run dir. */
    if (r->run_dirfd >= 0) {
        char name[512];
        snprintf(name, sizeof(name), "%s.%d.values", rt->t->task_key,
                 rt->attempt);
        if (faccessat(r->run_dirfd, name, F_OK, 0) && errno == ENOENT)
            return;
    }
    if (jc_taskvalues_read(rt->tv_path, &vals, &n)) {
        jc_store_event_add(r->store, r->run_id, rt->t->task_key,
                           "task.values_error", jc_err_last());
        return;
    }
    for (k = 0; k < n; k++) {
        jc_store_task_value_set(r->store, r->run_id, rt->t->task_key,
                                rt->attempt, vals[k].key, vals[k].value);
        for (j = 0; j < rt->nvals; j++) {
            if (!strcmp(rt->vals[j].key, vals[k].key))
                break;
        }
        if (j == rt->nvals) {
            rt->vals = ju_xrealloc(rt->vals, (rt->nvals + 1) * sizeof(*rt->vals));
            rt->vals[rt->nvals].key = vals[k].key;
            rt->vals[rt->nvals].value = vals[k].value;
            rt->nvals++;
        } else {
            free(rt->vals[j].value);
            free(vals[k].key);
            rt->vals[j].value = vals[k].value;
        }
    }
    free(vals);
}

static void on_attempt_done(struct jc_attempt *a, const struct jc_attempt_result *res0,
                            void *arg)
{
    struct rtask *rt = arg;
    struct jc_run *r = rt->run;
    size_t i = rt->idx;
    const struct jc_task *t = rt->t;
    struct jc_attempt_result res = *res0;
    enum jc_result result;

    (void)a;
    rt->att = NULL;
    r->nrunning--;
    if (rt->timer)
        uv_timer_stop(&rt->timer->timer);
    if (r->opts.on_account) {
        struct jc_attempt_req req;

        memset(&req, 0, sizeof(req));
        req.run_id = r->run_id;
        req.job_id = r->job_id;
        req.task_run_id = rt->task_run_id;
        req.task_key = t->task_key;
        req.attempt = rt->attempt;
        req.job = r->job;
        req.task = t;
        req.log_path = rt->log_path;
        r->opts.on_account(r->opts.arg, &req, &res);
    }
    jc_run_dirty(r);
    ingest_values(r, rt);
    switch (res.outcome) {
    case JC_ATTEMPT_SUCCESS: result = JC_RESULT_SUCCESS; break;
    case JC_ATTEMPT_TIMEDOUT: result = JC_RESULT_TIMEDOUT; break;
    case JC_ATTEMPT_CANCELED: result = JC_RESULT_CANCELED; break;
    default: result = JC_RESULT_FAILED; break;
    }
    rt->end_ms = res.end_ms ? res.end_ms : jc_now_ms();
    if (res.start_ms) {
        rt->start_ms = res.start_ms;
        if (res.start_ms > rt->attempt_start_ms)
            rt->attempt_start_ms = res.start_ms; /* as recorded */
    }
    set_msg(rt, res.state_message);
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)jc_result_name(result);
    rt->row.start_ms = rt->start_ms;
    rt->row.end_ms = rt->end_ms;
    rt->row.exit_code = res.exit_code;
    rt->row.cpu_user_s = res.cpu_user_s;
    rt->row.cpu_sys_s = res.cpu_sys_s;
    rt->row.max_rss_kb = res.max_rss_kb;
    rt->row.read_bytes = res.read_bytes;
    rt->row.write_bytes = res.write_bytes;
    rt->row.cost = res.cost;
    if (res.pid)
        rt->row.pid = res.pid;
    if (res.pgid)
        rt->row.pgid = res.pgid;
    if (res.remote_run_id[0])
        rt->row.remote_run_id = res.remote_run_id;
    if (res.executor[0])
        rt->row.executor = res.executor;
    jc_store_task_run_update(r->store, &rt->row);
    rt->row.remote_run_id = NULL;
    rt->row.executor = NULL;
    /* The attempt row is the record; the event log keeps the exceptions. */
    if (result != JC_RESULT_SUCCESS)
        jc_store_event_add(r->store, r->run_id, t->task_key, "task.end",
                           rt->message && *rt->message ? rt->message
                                                       : jc_result_name(result));
    finish_attempt(r, i, result, res.outcome != JC_ATTEMPT_START_FAILED);
}

/* Retry policy, then terminal state; then fill free slots. */
static void finish_attempt(struct jc_run *r, size_t i, enum jc_result result,
                           bool retryable)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    bool retry = false;

    if (!r->cancelling) {
        if (result == JC_RESULT_FAILED && retryable)
            retry = true;
        if (result == JC_RESULT_TIMEDOUT && t->retry_on_timeout)
            retry = true;
        if (retry && t->max_retries >= 0 && rt->tries > t->max_retries)
            retry = false;
    }
    if (retry) {
        jc_run_emit(r, i, "TERMINATED", result, rt->message,
                    rt->end_ms - rt->start_ms);
        rt->attempt++;
        jc_run_schedule_retry(r, i);
    } else {
        jc_run_task_terminal(r, i, result);
    }
    jc_run_pump(r);
}

/* ---- run_job_task: a child run of another known job ---- */

struct child_reaper {
    uv_timer_t t;
    struct jc_run *r;
    struct jc_run *child;
    struct jc_job *job;
    json_t *settings;
};

static void reaper_closed(uv_handle_t *h)
{
    struct child_reaper *c = h->data;
    struct jc_run *r = c->r;

    free(c);
    r->open_handles--;
    jc_run_maybe_done(r);
}

static void reaper_cb(uv_timer_t *t)
{
    struct child_reaper *c = t->data;

    jc_run_free(c->child);
    jc_job_free(c->job);
    json_decref(c->settings);
    uv_close((uv_handle_t *)&c->t, reaper_closed);
}

static void on_child_done(void *arg, struct jc_run *child, enum jc_result res)
{
    struct rtask *rt = arg;
    struct jc_run *r = rt->run;
    struct child_reaper *c = ju_xcalloc(1, sizeof(*c));
    enum jc_result result;
    char *m;

    /* The child cannot be freed inside its own callback. */
    c->r = r;
    c->child = child;
    c->job = rt->child_job;
    c->settings = rt->child_settings;
    uv_timer_init(r->loop, &c->t);
    c->t.data = c;
    r->open_handles++;
    uv_timer_start(&c->t, reaper_cb, 0, 0);
    rt->child = NULL;
    rt->child_job = NULL;
    rt->child_settings = NULL;
    r->nrunning--;
    if (rt->timer)
        uv_timer_stop(&rt->timer->timer);
    /* SUCCESS_WITH_FAILURES: every leaf of the child succeeded. */
    if (res == JC_RESULT_SUCCESS || res == JC_RESULT_SUCCESS_WITH_FAILURES)
        result = JC_RESULT_SUCCESS;
    else if (res == JC_RESULT_CANCELED && rt->child_timedout)
        result = JC_RESULT_TIMEDOUT;
    else if (res == JC_RESULT_CANCELED)
        result = JC_RESULT_CANCELED;
    else
        result = JC_RESULT_FAILED;
    m = ju_xasprintf("run %lld: %s", (long long)jc_run_id(child),
                     jc_result_name(res));
    set_msg(rt, m);
    free(m);
    rt->end_ms = jc_now_ms();
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)jc_result_name(result);
    rt->row.end_ms = rt->end_ms;
    jc_run_dirty(r);
    jc_store_task_run_update(r->store, &rt->row);
    if (result != JC_RESULT_SUCCESS)
        jc_store_event_add(r->store, r->run_id, rt->t->task_key, "task.end",
                           rt->message);
    finish_attempt(r, rt->idx, result, true);
}

static void launch_child(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    struct ref_ctx ctx = {r, i, NULL};
    struct jc_run_opts o = JC_RUN_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job_row jr;
    struct jc_kv *params = NULL;
    size_t np = 0, k;
    json_t *body, *jp, *v, *resolved, *rp;
    const char *key;
    char *m;
    int rc;

    if (t->run_job_id <= 0) {
        fail_before_start(r, i, "run_job_task needs a job_id", false);
        return;
    }
    if (jc_store_job_get(r->store, t->run_job_id, &jr)) {
        m = ju_xasprintf("run_job_task: job %lld is not known in this "
                         "JOBCTL_HOME (run it once or create it through the "
                         "API)", (long long)t->run_job_id);
        fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    rt->child_settings = json_loads(jr.settings_json, 0, NULL);
    jc_job_row_release(&jr);
    if (!rt->child_settings ||
        jc_spec_from_settings(&rt->child_job, rt->child_settings, &d) < 0 ||
        jc_spec_validate(rt->child_job, &d) < 0) {
        m = ju_xasprintf("run_job_task: job %lld: %s", (long long)t->run_job_id,
                         d.n ? d.items[0].msg : "invalid settings");
        jc_diags_release(&d);
        jc_job_free(rt->child_job);
        rt->child_job = NULL;
        json_decref(rt->child_settings);
        rt->child_settings = NULL;
        fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    jc_diags_release(&d);
    rt->child_job->job_id = t->run_job_id;
    body = t->raw ? json_object_get(t->raw, "run_job_task") : NULL;
    jp = body ? json_object_get(body, "job_parameters") : NULL;
    rp = json_object();
    if (json_is_object(jp)) {
        params = ju_xcalloc(json_object_size(jp) + 1, sizeof(*params));
        json_object_foreach(jp, key, v) {
            char *val = NULL;
            const char *raw = json_is_string(v) ? json_string_value(v) : NULL;
            char *num = raw ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

            rc = expand(&ctx, raw ? raw : (num ? num : ""), &val);
            free(num);
            if (rc) {
                m = ju_xstrdup(jc_err_last());
                for (k = 0; k < np; k++) {
                    free(params[k].key);
                    free(params[k].value);
                }
                free(params);
                json_decref(rp);
                jc_job_free(rt->child_job);
                rt->child_job = NULL;
                json_decref(rt->child_settings);
                rt->child_settings = NULL;
                fail_before_start(r, i, m, false);
                free(m);
                return;
            }
            params[np].key = ju_xstrdup(key);
            params[np].value = val;
            json_object_set_new(rp, key, json_string(val));
            np++;
        }
    }
    o.home = r->home;
    o.workspace = r->workspace;
    o.params = params;
    o.nparams = np;
    o.parallel = (int)r->parallel;
    o.trigger = "RUN_JOB_TASK";
    o.kill_grace_ms = r->opts.kill_grace_ms;
    o.local = r->local;
    o.remote = r->opts.remote;
    o.force_remote = r->opts.force_remote;
    o.on_done = on_child_done;
    o.arg = rt;
    rc = jc_run_create(&rt->child, r->store, rt->child_job, &o);
    for (k = 0; k < np; k++) {
        free(params[k].key);
        free(params[k].value);
    }
    free(params);
    resolved = json_pack("{s:{s:I, s:o}}", "run_job_task", "job_id",
                         (json_int_t)t->run_job_id, "job_parameters", rp);
    rt->resolved = json_dumps(resolved, JSON_COMPACT);
    json_decref(resolved);
    rt->row.resolved_params_json = rt->resolved;
    if (rc) {
        m = ju_xasprintf("run_job_task: %s", jc_err_last());
        rt->child = NULL;
        jc_job_free(rt->child_job);
        rt->child_job = NULL;
        json_decref(rt->child_settings);
        rt->child_settings = NULL;
        fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    m = ju_xasprintf("run %lld", (long long)jc_run_id(rt->child));
    set_msg(rt, m);
    free(m);
    rt->row.executor = (char *)"local";
    jc_run_dirty(r);
    jc_store_task_run_insert(r->store, &rt->row);
    rt->task_run_id = rt->row.task_run_id;
    rt->st = TS_RUNNING;
    r->nrunning++;
    if (t->timeout_seconds > 0)
        uv_timer_start(jc_run_task_timer(r, i), on_timeout,
                       (uint64_t)t->timeout_seconds * 1000, 0);
    jc_run_emit(r, i, "RUNNING", JC_RESULT_NONE, "", 0);
    if (jc_run_start(rt->child, r->loop)) {
        /* Not started: on_done will not come; finish here. */
        struct jc_run *c = rt->child;
        rt->child = NULL;
        r->nrunning--;
        m = ju_xasprintf("run_job_task: %s", jc_err_last());
        set_msg(rt, m);
        free(m);
        rt->row.life_cycle_state = (char *)"TERMINATED";
        rt->row.result_state = (char *)"FAILED";
        rt->end_ms = rt->row.end_ms = jc_now_ms();
        jc_store_task_run_update(r->store, &rt->row);
        jc_run_free(c);
        jc_job_free(rt->child_job);
        rt->child_job = NULL;
        json_decref(rt->child_settings);
        rt->child_settings = NULL;
        jc_run_task_terminal(r, i, JC_RESULT_FAILED);
    }
}

/* ---- for_each_task: iterations of the nested task ---- */

#define FE_MAX_ITERATIONS 10000

struct fe_iter {
    struct foreach_state *fe;
    size_t idx;
    int64_t started_ms;
    bool timed_out;
    char *key;           /* "<task_key>[<idx>]" */
    int attempt;
    int tries;
    struct jc_attempt *att;
    struct jc_task_run_row row;
    char *log_path;
    char *resolved;
    char *msg;
};

struct foreach_state {
    struct jc_run *r;
    size_t i;            /* the for_each task */
    json_t *inputs;      /* the array */
    size_t n, next, running, done, failed;
    size_t conc;
    struct fe_iter *its;
    bool stopping;
    enum jc_stop_reason why;
    uv_timer_t tick;     /* nested task timeout_seconds, per iteration */
    bool tick_inited;
};

static void fe_pump(struct foreach_state *fe);
static int fe_launch(struct foreach_state *fe, struct fe_iter *it);

static void fe_free(struct foreach_state *fe)
{
    size_t k;

    for (k = 0; k < fe->n; k++) {
        free(fe->its[k].key);
        free(fe->its[k].log_path);
        free(fe->its[k].resolved);
        free(fe->its[k].msg);
    }
    free(fe->its);
    json_decref(fe->inputs);
    free(fe);
}

static void fe_tick_closed(uv_handle_t *h)
{
    struct foreach_state *fe = h->data;
    struct jc_run *r = fe->r;

    fe_free(fe);
    r->open_handles--;
    jc_run_maybe_done(r);
}

/* Stop iterations running longer than the nested task's timeout. */
static void fe_tick(uv_timer_t *t)
{
    struct foreach_state *fe = t->data;
    struct jc_run *r = fe->r;
    int64_t limit = r->tasks[fe->i].t->for_each_task->timeout_seconds * 1000;
    int64_t now = jc_now_ms();
    size_t k;

    for (k = 0; k < fe->n; k++) {
        struct fe_iter *it = &fe->its[k];

        if (it->att && !it->timed_out && now - it->started_ms >= limit) {
            it->timed_out = true;
            r->local->ops->stop(r->local, it->att, JC_STOP_TIMEOUT);
        }
    }
}

static void fe_finish(struct foreach_state *fe)
{
    struct jc_run *r = fe->r;
    size_t i = fe->i;
    struct rtask *rt = &r->tasks[i];
    enum jc_result result;
    char *m;

    if (fe->stopping)
        result = fe->why == JC_STOP_TIMEOUT ? JC_RESULT_TIMEDOUT
                                            : JC_RESULT_CANCELED;
    else
        result = fe->failed ? JC_RESULT_FAILED : JC_RESULT_SUCCESS;
    m = ju_xasprintf("%zu of %zu iteration(s) succeeded", fe->done - fe->failed,
                     fe->n);
    set_msg(rt, m);
    free(m);
    rt->end_ms = jc_now_ms();
    rt->row.life_cycle_state = (char *)"TERMINATED";
    rt->row.result_state = (char *)jc_result_name(result);
    rt->row.end_ms = rt->end_ms;
    jc_run_dirty(r);
    jc_store_task_run_update(r->store, &rt->row);
    if (result != JC_RESULT_SUCCESS)
        jc_store_event_add(r->store, r->run_id, rt->t->task_key, "task.end",
                           rt->message);
    rt->fe = NULL;
    if (fe->tick_inited) {
        uv_timer_stop(&fe->tick);
        r->open_handles++;
        uv_close((uv_handle_t *)&fe->tick, fe_tick_closed);
    } else {
        fe_free(fe);
    }
    r->nrunning--;
    if (rt->timer)
        uv_timer_stop(&rt->timer->timer);
    /* Iterations retried themselves: the for_each task is not retried. */
    finish_attempt(r, i, result, false);
}

static void fe_iter_done(struct jc_attempt *a, const struct jc_attempt_result *res0,
                         void *arg)
{
    struct fe_iter *it = arg;
    struct foreach_state *fe = it->fe;
    struct jc_run *r = fe->r;
    const struct jc_task *nt = r->tasks[fe->i].t->for_each_task;
    struct jc_attempt_result res = *res0;
    bool ok = res.outcome == JC_ATTEMPT_SUCCESS;
    const char *result;

    (void)a;
    it->att = NULL;
    fe->running--;
    if (r->opts.on_account) {
        struct jc_attempt_req req;

        memset(&req, 0, sizeof(req));
        req.run_id = r->run_id;
        req.job_id = r->job_id;
        req.task_run_id = it->row.task_run_id;
        req.task_key = it->key;
        req.attempt = it->attempt;
        req.job = r->job;
        req.task = nt;
        req.log_path = it->log_path;
        r->opts.on_account(r->opts.arg, &req, &res);
    }
    switch (res.outcome) {
    case JC_ATTEMPT_SUCCESS: result = "SUCCESS"; break;
    case JC_ATTEMPT_TIMEDOUT: result = "TIMEDOUT"; break;
    case JC_ATTEMPT_CANCELED: result = "CANCELED"; break;
    default: result = "FAILED"; break;
    }
    free(it->msg);
    it->msg = ju_xstrdup(res.state_message);
    it->row.state_message = it->msg;
    it->row.life_cycle_state = (char *)"TERMINATED";
    it->row.result_state = (char *)result;
    it->row.start_ms = res.start_ms ? res.start_ms : it->row.start_ms;
    it->row.end_ms = res.end_ms ? res.end_ms : jc_now_ms();
    it->row.exit_code = res.exit_code;
    it->row.cpu_user_s = res.cpu_user_s;
    it->row.cpu_sys_s = res.cpu_sys_s;
    it->row.max_rss_kb = res.max_rss_kb;
    it->row.read_bytes = res.read_bytes;
    it->row.write_bytes = res.write_bytes;
    it->row.cost = res.cost;
    it->row.pid = res.pid;
    it->row.pgid = res.pgid;
    jc_run_dirty(r);
    jc_store_task_run_update(r->store, &it->row);
    if (!ok && !fe->stopping && !r->cancelling &&
        res.outcome != JC_ATTEMPT_START_FAILED &&
        (res.outcome != JC_ATTEMPT_TIMEDOUT || nt->retry_on_timeout) &&
        (nt->max_retries < 0 || it->tries <= nt->max_retries)) {
        /* Retry this iteration at once, in the slot it just freed. */
        it->attempt++;
        if (fe_launch(fe, it) == 0)
            return;
    }
    fe->done++;
    if (!ok)
        fe->failed++;
    if (fe->done == fe->n || (fe->stopping && !fe->running)) {
        fe_finish(fe);
        return;
    }
    fe_pump(fe);
}

static int fe_launch(struct foreach_state *fe, struct fe_iter *it)
{
    struct jc_run *r = fe->r;
    struct rtask *rt = &r->tasks[fe->i];
    const struct jc_task *nt = rt->t->for_each_task;
    struct ref_ctx ctx = {r, fe->i, json_array_get(fe->inputs, it->idx)};
    struct jc_attempt_req req;
    struct jc_attempt_result info;
    struct cmd c;
    char *tv;
    int rc;

    memset(&c, 0, sizeof(c));
    it->tries++;
    it->timed_out = false;
    it->started_ms = jc_now_ms();
    free(it->log_path);
    it->log_path = ju_xasprintf("%s/logs/%lld/%s/%d.log", r->home,
                                (long long)r->run_id, it->key, it->attempt);
    tv = ju_xasprintf("%s/logs/%lld/%s.%d.values", r->home,
                      (long long)r->run_id, it->key, it->attempt);
    memset(&it->row, 0, sizeof(it->row));
    it->row.run_id = r->run_id;
    it->row.task_key = it->key;
    it->row.attempt_number = it->attempt;
    it->row.repair_id = r->repair_id;
    it->row.life_cycle_state = (char *)"RUNNING";
    it->row.start_ms = jc_now_ms();
    it->row.exit_code = -1;
    it->row.log_path = it->log_path;
    it->row.read_bytes = -1;
    it->row.write_bytes = -1;
    it->row.executor = (char *)"local";
    rc = build_cmd_for(r, nt, &ctx, &c, false);
    free(it->resolved);
    it->resolved = c.resolved ? json_dumps(c.resolved, JSON_COMPACT) : NULL;
    it->row.resolved_params_json = it->resolved;
    jc_run_dirty(r);
    if (rc) {
        free(it->msg);
        it->msg = ju_xstrdup(jc_err_last());
        it->row.state_message = it->msg;
        it->row.life_cycle_state = (char *)"TERMINATED";
        it->row.result_state = (char *)"FAILED";
        it->row.end_ms = it->row.start_ms;
        jc_store_task_run_insert(r->store, &it->row);
        cmd_release(&c);
        free(tv);
        return rc;
    }
    jc_store_task_run_insert(r->store, &it->row);
    add_env(r, it->key, it->attempt, it->row.task_run_id, tv, &c);
    memset(&req, 0, sizeof(req));
    req.run_id = r->run_id;
    req.job_id = r->job_id;
    req.task_run_id = it->row.task_run_id;
    req.task_key = it->key;
    req.attempt = it->attempt;
    req.job = r->job;
    req.task = nt;
    req.argv = c.argv.v;
    req.env = c.envp;
    req.cwd = c.cwd;
    req.log_path = it->log_path;
    req.kill_grace_ms = r->opts.kill_grace_ms;
    rc = r->local->ops->start(r->local, &req, fe_iter_done, it, &it->att);
    cmd_release(&c);
    free(tv);
    if (rc) {
        free(it->msg);
        it->msg = ju_xstrdup(jc_err_last());
        it->row.state_message = it->msg;
        it->row.life_cycle_state = (char *)"TERMINATED";
        it->row.result_state = (char *)"FAILED";
        it->row.end_ms = jc_now_ms();
        jc_store_task_run_update(r->store, &it->row);
        return rc;
    }
    memset(&info, 0, sizeof(info));
    r->local->ops->info(r->local, it->att, &info);
    it->row.pid = info.pid;
    it->row.pgid = info.pgid;
    jc_store_task_run_update(r->store, &it->row);
    fe->running++;
    return 0;
}

static void fe_pump(struct foreach_state *fe)
{
    while (!fe->stopping && fe->running < fe->conc && fe->next < fe->n) {
        struct fe_iter *it = &fe->its[fe->next++];

        if (fe_launch(fe, it)) {
            fe->done++;
            fe->failed++;
        }
    }
    if (fe->done == fe->n || (fe->stopping && !fe->running))
        fe_finish(fe);
}

static void fe_stop(struct foreach_state *fe, enum jc_stop_reason why)
{
    struct jc_run *r = fe->r;
    size_t k;

    fe->stopping = true;
    fe->why = why;
    for (k = 0; k < fe->n; k++) {
        if (fe->its[k].att)
            r->local->ops->stop(r->local, fe->its[k].att, why);
    }
    if (!fe->running)
        fe_finish(fe);
}

static void launch_foreach(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    struct ref_ctx ctx = {r, i, NULL};
    struct foreach_state *fe;
    json_error_t jerr;
    json_t *arr;
    char *text = NULL, *m;
    size_t k;

    if (!t->for_each_task || !t->for_each_inputs) {
        fail_before_start(r, i, "for_each_task needs inputs and a task", false);
        return;
    }
    if (jc_run_task_is_remote(r->job, t->for_each_task, r->opts.force_remote)) {
        fail_before_start(r, i, "for_each_task with a remote nested task "
                          "runs on Databricks only", false);
        return;
    }
    if (expand(&ctx, t->for_each_inputs, &text)) {
        m = ju_xasprintf("for_each inputs: %s", jc_err_last());
        fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    arr = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!json_is_array(arr) || json_array_size(arr) > FE_MAX_ITERATIONS) {
        m = ju_xasprintf("for_each inputs must be a JSON array of at most %d "
                         "elements: %s", FE_MAX_ITERATIONS,
                         arr ? "not an array or too long" : jerr.text);
        json_decref(arr);
        free(text);
        fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    free(text);
    fe = ju_xcalloc(1, sizeof(*fe));
    fe->r = r;
    fe->i = i;
    fe->inputs = arr;
    fe->n = json_array_size(arr);
    fe->conc = t->for_each_concurrency > 0 ? (size_t)t->for_each_concurrency : 1;
    fe->its = ju_xcalloc(fe->n + 1, sizeof(*fe->its));
    for (k = 0; k < fe->n; k++) {
        fe->its[k].fe = fe;
        fe->its[k].idx = k;
        fe->its[k].key = ju_xasprintf("%s[%zu]", t->task_key, k);
    }
    {
        json_t *rv = json_pack("{s:{s:O}}", "for_each_task", "inputs", arr);
        rt->resolved = json_dumps(rv, JSON_COMPACT);
        json_decref(rv);
    }
    rt->row.resolved_params_json = rt->resolved;
    m = ju_xasprintf("%zu iteration(s), concurrency %zu", fe->n, fe->conc);
    set_msg(rt, m);
    free(m);
    rt->row.executor = (char *)"local";
    jc_run_dirty(r);
    jc_store_task_run_insert(r->store, &rt->row);
    rt->task_run_id = rt->row.task_run_id;
    if (t->for_each_task->timeout_seconds > 0) {
        uv_timer_init(r->loop, &fe->tick);
        fe->tick.data = fe;
        fe->tick_inited = true;
        uv_timer_start(&fe->tick, fe_tick, 250, 250);
    }
    rt->fe = fe;
    rt->st = TS_RUNNING;
    r->nrunning++;
    if (t->timeout_seconds > 0)
        uv_timer_start(jc_run_task_timer(r, i), on_timeout,
                       (uint64_t)t->timeout_seconds * 1000, 0);
    jc_run_emit(r, i, "RUNNING", JC_RESULT_NONE, "", 0);
    fe_pump(fe);
}

void jc_run_expand_params(struct jc_run *r)
{
    struct ref_ctx ctx = {r, (size_t)-1, NULL};
    size_t k;

    for (k = 0; k < r->nparams; k++) {
        char *v = NULL;

        if (!jc_refs_has(r->params[k].value))
            continue;
        if (jc_refs_expand(r->params[k].value, lookup, &ctx, &v) == 0) {
            free(r->params[k].value);
            r->params[k].value = v;
        }
    }
}

void jc_run_launch(struct jc_run *r, size_t i)
{
    struct rtask *rt = &r->tasks[i];
    const struct jc_task *t = rt->t;
    struct jc_attempt_req req;
    struct jc_attempt_result info;
    struct jc_executor *ex = r->local;
    struct cmd c;
    char *dir;
    int rc;

    memset(&c, 0, sizeof(c));
    rt->stop_requested = false;
    rt->tries++;
    rt->start_ms = rt->attempt_start_ms = jc_now_ms();
    rt->end_ms = 0;
    free(rt->log_path);
    free(rt->tv_path);
    free(rt->resolved);
    rt->resolved = NULL;
    dir = ju_xasprintf("%s/logs/%lld/%s", r->home, (long long)r->run_id,
                       t->task_key);
    rt->log_path = ju_xasprintf("%s/%d.log", dir, rt->attempt);
    /* The task dir appears with the first byte of output; values live in
     * the run dir, which exists from the start. */
    rt->tv_path = ju_xasprintf("%s/logs/%lld/%s.%d.values", r->home,
                               (long long)r->run_id, t->task_key, rt->attempt);
    memset(&rt->row, 0, sizeof(rt->row));
    rt->row.run_id = r->run_id;
    rt->row.task_key = t->task_key;
    rt->row.attempt_number = rt->attempt;
    rt->row.repair_id = r->repair_id;
    rt->row.life_cycle_state = (char *)"RUNNING";
    rt->row.start_ms = rt->start_ms;
    rt->row.exit_code = -1;
    rt->row.log_path = rt->log_path;
    rt->row.read_bytes = -1;
    rt->row.write_bytes = -1;
    set_msg(rt, "");

    if (t->disabled) {
        free(dir);
        jc_run_task_terminal(r, i, JC_RESULT_DISABLED);
        return;
    }
    free(dir);

    if (t->type == JC_TASK_CONDITION) {
        struct ref_ctx ctx = {r, i, NULL};
        char *l = NULL, *rr = NULL;
        const char *outcome;
        json_t *j;

        if ((rc = expand(&ctx, t->cond_left, &l)) ||
            (rc = expand(&ctx, t->cond_right, &rr)) ||
            (rc = jc_condition_eval(t->cond_op, l, rr, &outcome))) {
            free(l);
            free(rr);
            fail_before_start(r, i, jc_err_last(), false);
            return;
        }
        j = json_pack("{s:{s:s, s:s, s:s}}", "condition_task", "op",
                      t->cond_op, "left", l, "right", rr);
        rt->resolved = json_dumps(j, JSON_COMPACT);
        json_decref(j);
        free(l);
        free(rr);
        free(rt->outcome_buf);
        rt->outcome_buf = ju_xstrdup(outcome);
        rt->outcome = rt->outcome_buf;
        {
            char *m = ju_xasprintf("outcome: %s", outcome);
            set_msg(rt, m);
            free(m);
        }
        rt->end_ms = jc_now_ms();
        rt->row.life_cycle_state = (char *)"TERMINATED";
        rt->row.result_state = (char *)"SUCCESS";
        rt->row.end_ms = rt->end_ms;
        rt->row.resolved_params_json = rt->resolved;
        jc_run_dirty(r);
        jc_store_task_run_insert(r->store, &rt->row);
        rt->task_run_id = rt->row.task_run_id;
        jc_run_task_terminal(r, i, JC_RESULT_SUCCESS);
        return;
    }

    if (t->type == JC_TASK_RUN_JOB &&
        !jc_run_task_is_remote(r->job, t, r->opts.force_remote)) {
        launch_child(r, i);
        return;
    }
    if (t->type == JC_TASK_FOR_EACH) {
        launch_foreach(r, i);
        return;
    }
    if (jc_run_task_is_remote(r->job, t, r->opts.force_remote)) {
        if (!r->opts.remote) {
            fail_before_start(r, i, "remote execution requested but no "
                              "Databricks executor is available", false);
            return;
        }
        ex = r->opts.remote;
        /* Resolved parameters only (the executor merges them). */
        if ((rc = build_cmd(r, i, &c, true))) {
            char *m = ju_xstrdup(jc_err_last());
            cmd_release(&c);
            fail_before_start(r, i, m, false);
            free(m);
            return;
        }
    } else if ((rc = build_cmd(r, i, &c, false))) {
        char *m = ju_xstrdup(jc_err_last());
        cmd_release(&c);
        fail_before_start(r, i, m, false);
        free(m);
        return;
    }
    rt->resolved = json_dumps(c.resolved, JSON_COMPACT);
    rt->row.resolved_params_json = rt->resolved;
    rt->row.executor = (char *)ex->ops->name;
    jc_run_dirty(r);
    if (jc_store_task_run_insert(r->store, &rt->row)) {
        char *m = ju_xstrdup(jc_err_last());
        cmd_release(&c);
        fail_before_start(r, i, m, true);
        free(m);
        return;
    }
    rt->task_run_id = rt->row.task_run_id;
    if (ex == r->local)
        add_env(r, t->task_key, rt->attempt, rt->task_run_id, rt->tv_path, &c);

    memset(&req, 0, sizeof(req));
    req.run_id = r->run_id;
    req.job_id = r->job_id;
    req.task_run_id = rt->task_run_id;
    req.task_key = t->task_key;
    req.attempt = rt->attempt;
    req.job = r->job;
    req.task = t;
    req.resolved = c.resolved;
    req.argv = c.argv.v;
    req.env = c.envp;
    req.cwd = c.cwd;
    req.log_path = rt->log_path;
    req.kill_grace_ms = r->opts.kill_grace_ms;
    rc = ex->ops->start(ex, &req, on_attempt_done, rt, &rt->att);
    cmd_release(&c);
    if (rc) {
        char *m = ju_xstrdup(jc_err_last());
        rt->att = NULL;
        fail_before_start(r, i, m, true);
        free(m);
        return;
    }
    rt->ex = ex;
    rt->st = TS_RUNNING;
    r->nrunning++;
    memset(&info, 0, sizeof(info));
    ex->ops->info(ex, rt->att, &info);
    rt->row.pid = info.pid;
    rt->row.pgid = info.pgid;
    if (info.remote_run_id[0])
        rt->row.remote_run_id = info.remote_run_id;
    rt->row.executor = (char *)ex->ops->name;
    jc_store_task_run_update(r->store, &rt->row);
    rt->row.remote_run_id = NULL;
    if (t->timeout_seconds > 0)
        uv_timer_start(jc_run_task_timer(r, i), on_timeout,
                       (uint64_t)t->timeout_seconds * 1000, 0);
    jc_run_emit(r, i, "RUNNING", JC_RESULT_NONE, "", 0);
}
