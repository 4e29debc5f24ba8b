/*
 * run_cmd.c: building one attempt's command: dynamic value references
 * ({{job.*}}, {{tasks.<key>.values.*}}, {{input}}...), parameters (env
 * JOBCTL_PARAM_<NAME> and argv --name=value), workspace resolution and the
 * task environment (JOBCTL_* variables).
 */
#include "core/run_engine.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "util/mem.h"

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
                                  ? rt->message
                                  : "");
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
        return jc_err_set(JC_ENOTFOUND,
                          "task value '%s' of task '%s' is not "
                          "set",
                          seg[at + 1], rt->t->task_key);
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
                return jc_err_set(JC_ENOTFOUND,
                                  "for_each input has no field "
                                  "'%s'",
                                  seg[1]);
        } else if (n > 2) {
            return unknown(seg, n);
        }
        *val = json_is_string(v)
                   ? ju_xstrdup(json_string_value(v))
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
            return jc_err_set(JC_ENOTFOUND,
                              "job parameter '%s' is not "
                              "defined",
                              seg[2]);
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

void jc_run_cmd_release(struct cmd *c)
{
    strv_release(&c->argv);
    strv_release(&c->env);
    free(c->envp);
    free(c->cwd);
    json_decref(c->resolved);
}

int jc_run_ref_expand(struct ref_ctx *ctx, const char *in, char **out)
{
    if (!jc_refs_has(in)) {
        *out = ju_xstrdup(in ? in : "");
        return 0;
    }
    return jc_refs_expand(in, lookup, ctx, out);
}

int jc_run_build_cmd(struct jc_run *r, const struct jc_task *t,
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
            if ((rc = jc_run_ref_expand(&ctx, t->base_parameters[k].value, &v)))
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
        json_object_foreach(params, key, v)
        {
            char *name = jc_param_env_name(key);
            strv_push(&c->env,
                      ju_xasprintf("%s=%s", name, json_string_value(v)));
            free(name);
        }
    }
    switch (t->type) {
    case JC_TASK_NOTEBOOK: {
        const char *key;
        json_t *v;
        if (!remote && (rc = jc_workspace_resolve(
                            r->workspace, t->notebook_path, &prefix, &np)))
            goto out;
        for (k = 0; k < np; k++)
            strv_push(&c->argv, ju_xstrdup(prefix[k]));
        json_object_foreach(params, key, v) strv_push(
            &c->argv, ju_xasprintf("--%s=%s", key, json_string_value(v)));
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
            if ((rc = jc_run_ref_expand(&ctx, t->parameters[k], &v))) {
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
            if ((rc = jc_run_ref_expand(&ctx, t->command[k], &v)))
                break;
            json_array_append_new(a, json_string(v));
            strv_push(&c->argv, v);
        }
        for (k = 0; !rc && k < t->nenv; k++) {
            char *v;
            if ((rc = jc_run_ref_expand(&ctx, t->env[k].value, &v)))
                break;
            json_object_set_new(e, t->env[k].key, json_string(v));
            strv_push(&c->env, ju_xasprintf("%s=%s", t->env[k].key, v));
            free(v);
        }
        if (!rc && t->cwd) {
            rc = jc_run_ref_expand(&ctx, t->cwd, &c->cwd);
        }
        json_object_set_new(c->resolved, "command_task",
                            json_pack("{s:o, s:o, s:s?}", "command", a, "env",
                                      e, "cwd", c->cwd));
        if (rc)
            goto out;
        if (!c->argv.n) {
            rc = jc_err_set(JC_EINVAL,
                            "command_task of '%s' has an empty "
                            "command",
                            t->task_key);
            goto out;
        }
        break;
    }
    default:
        if (remote)
            break; /* the Databricks executor sends the task as defined */
        rc = jc_err_set(JC_EUNSUPPORTED,
                        "%s cannot run locally; run it on "
                        "Databricks with --remote",
                        t->type_key ? t->type_key : "this task type");
        goto out;
    }
out:
    jc_strv_free(prefix);
    json_decref(params);
    return rc;
}

void jc_run_add_env(struct jc_run *r, const char *key, int attempt,
                    int64_t task_run_id, const char *tv_path, struct cmd *c)
{
    size_t k, n;

    strv_push(&c->env,
              ju_xasprintf("JOBCTL_RUN_ID=%lld", (long long)r->run_id));
    strv_push(&c->env,
              ju_xasprintf("JOBCTL_JOB_ID=%lld", (long long)r->job_id));
    strv_push(&c->env, ju_xasprintf("JOBCTL_TASK_KEY=%s", key));
    strv_push(&c->env, ju_xasprintf("JOBCTL_ATTEMPT=%d", attempt));
    strv_push(&c->env,
              ju_xasprintf("JOBCTL_TASK_RUN_ID=%lld", (long long)task_run_id));
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
