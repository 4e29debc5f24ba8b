/*
 * run_create.c: creating a run (graph checks, effective parameters,
 * environment, the runs row), repairing an earlier run under the same
 * run_id, and driving a run in the foreground with Ctrl-C cancel.
 */
#include "core/run_engine.h"

#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "util/log.h"
#include "util/mem.h"

extern char **environ;

static const char *const run_vars[] = {
    "JOBCTL_RUN_ID=", "JOBCTL_JOB_ID=", "JOBCTL_TASK_KEY=", "JOBCTL_ATTEMPT=",
    "JOBCTL_TASK_VALUES=", "JOBCTL_TASK_RUN_ID=", "JOBCTL_PARAM_",
    "JOBCTL_HOME=", "JOBCTL_LAKE=", NULL,
};

static void build_base_env(struct jc_run *r)
{
    size_t n = 0, i, k;

    for (i = 0; environ[i]; i++)
        n++;
    r->base_env = ju_xcalloc(n + 1, sizeof(char *));
    for (i = 0; environ[i]; i++) {
        bool skip = false;

        for (k = 0; run_vars[k]; k++) {
            if (!strncmp(environ[i], run_vars[k], strlen(run_vars[k])))
                skip = true;
        }
        if (!skip)
            r->base_env[r->nbase_env++] = ju_xstrdup(environ[i]);
    }
}

static char *abs_path(const char *p)
{
    char buf[PATH_MAX];

    if (realpath(p, buf))
        return ju_xstrdup(buf);
    if (p[0] == '/')
        return ju_xstrdup(p);
    if (getcwd(buf, sizeof(buf)))
        return ju_xasprintf("%s/%s", buf, p);
    return ju_xstrdup(p);
}

static void set_param(struct jc_run *r, const char *name, const char *value)
{
    size_t i;

    for (i = 0; i < r->nparams; i++) {
        if (!strcmp(r->params[i].key, name)) {
            free(r->params[i].value);
            r->params[i].value = ju_xstrdup(value ? value : "");
            return;
        }
    }
    r->params = ju_xrealloc(r->params, (r->nparams + 1) * sizeof(*r->params));
    r->params[r->nparams].key = ju_xstrdup(name);
    r->params[r->nparams].value = ju_xstrdup(value ? value : "");
    r->nparams++;
}

static int common_init(struct jc_run **out, struct jc_store *store,
                       const struct jc_job *job, const struct jc_run_opts *opts)
{
    struct jc_run *r;
    size_t i;
    int rc;

    *out = NULL;
    r = ju_xcalloc(1, sizeof(*r));
    r->store = store;
    r->job = job;
    r->run_dirfd = -1;
    if (opts)
        r->opts = *opts;
    r->opts.params = NULL;
    r->opts.nparams = 0;
    r->opts.only = NULL;
    r->opts.nonly = 0;
    if ((rc = jc_dag_new(&r->dag, job, 0))) {
        free(r);
        return rc;
    }
    if (jc_dag_has_cycle(r->dag)) {
        char *path = jc_dag_cycle_path(r->dag, NULL);
        rc = jc_err_set(JC_EINVAL, "job has a dependency cycle: %s",
                        path ? path : "?");
        free(path);
        jc_dag_free(r->dag);
        free(r);
        return rc;
    }
    r->n = job->ntasks;
    r->tasks = ju_xcalloc(r->n + 1, sizeof(*r->tasks));
    r->ready = ju_xcalloc(r->n + 1, sizeof(size_t));
    r->work = ju_xcalloc(r->n + 1, sizeof(size_t));
    for (i = 0; i < r->n; i++) {
        r->tasks[i].t = &job->tasks[i];
        r->tasks[i].run = r;
        r->tasks[i].idx = i;
    }
    r->home = abs_path(opts && opts->home ? opts->home
                                          : jc_store_home_dir(store));
    r->workspace = abs_path(opts && opts->workspace ? opts->workspace
                                                    : "jobs/workspace");
    r->lake = ju_xasprintf("%s/lake", r->home);
    if (opts && opts->parallel > 0) {
        r->parallel = (size_t)opts->parallel;
    } else {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        r->parallel = c > 0 ? (size_t)c : 1;
    }
    if (!r->opts.kill_grace_ms) {
        const char *g = getenv("JOBCTL_KILL_GRACE_MS");
        r->opts.kill_grace_ms = g ? strtoll(g, NULL, 10) : 0;
        if (r->opts.kill_grace_ms <= 0)
            r->opts.kill_grace_ms = 10000;
    }
    for (i = 0; i < job->nparams; i++)
        set_param(r, job->params[i].name, job->params[i].default_value);
    build_base_env(r);
    *out = r;
    return 0;
}

static char *params_json(struct jc_run *r)
{
    json_t *a = json_array();
    size_t i, k;
    char *s;

    for (i = 0; i < r->nparams; i++) {
        const char *def = NULL;

        for (k = 0; k < r->job->nparams; k++) {
            if (!strcmp(r->job->params[k].name, r->params[i].key))
                def = r->job->params[k].default_value;
        }
        json_array_append_new(a, json_pack("{s:s, s:s?, s:s}", "name",
                                           r->params[i].key, "default", def,
                                           "value", r->params[i].value));
    }
    s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s;
}

static void count_pending(struct jc_run *r)
{
    size_t i, k, np;

    r->nselected = 0;
    for (i = 0; i < r->n; i++) {
        struct rtask *rt = &r->tasks[i];
        const size_t *par;

        if (!rt->selected)
            continue;
        r->nselected++;
        par = jc_dag_parents(r->dag, i, &np);
        rt->pending = 0;
        for (k = 0; k < np; k++) {
            if (r->tasks[par[k]].selected)
                rt->pending++;
        }
    }
}

int jc_run_create(struct jc_run **out, struct jc_store *store,
                  const struct jc_job *job, const struct jc_run_opts *opts)
{
    struct jc_run *r;
    struct jc_run_row row;
    char *settings, *src = NULL;
    size_t i;
    int rc;

    if ((rc = common_init(&r, store, job, opts)))
        return rc;
    if (opts) {
        for (i = 0; i < opts->nparams; i++)
            set_param(r, opts->params[i].key, opts->params[i].value);
    }
    for (i = 0; i < r->n; i++)
        r->tasks[i].selected = !(opts && opts->nonly);
    for (i = 0; opts && i < opts->nonly; i++) {
        size_t idx;

        if (!jc_dag_lookup(r->dag, opts->only[i], &idx)) {
            rc = jc_err_set(JC_EINVAL, "--only: no task '%s' in job '%s'",
                            opts->only[i], job->name ? job->name : "");
            jc_run_free(r);
            return rc;
        }
        r->tasks[idx].selected = true;
    }
    for (i = 0; i < r->n; i++)
        r->tasks[i].ignored = !r->tasks[i].selected;
    count_pending(r);

    settings = job->settings ? json_dumps(job->settings, JSON_COMPACT) : NULL;
    if (job->source_path) {
        src = abs_path(job->source_path);
    } else if (job->job_id > 0) {
        /* a job built from its stored settings (the daemon) keeps the file
         * it came from: a restart finds it again instead of a duplicate */
        struct jc_job_row jr;

        if (!jc_store_job_get(store, job->job_id, &jr)) {
            src = jr.source_path;
            jr.source_path = NULL;
            jc_job_row_release(&jr);
        }
    }
    r->job_id = job->job_id > 0 ? job->job_id : 0;
    rc = jc_store_job_put(store, &r->job_id, job->name ? job->name : "job",
                          settings, src);
    free(src);
    if (rc) {
        free(settings);
        jc_run_free(r);
        return rc;
    }
    r->start_ms = jc_now_ms();
    memset(&row, 0, sizeof(row));
    row.job_id = r->job_id;
    row.run_name = (char *)(opts && opts->run_name ? opts->run_name
                            : job->name ? job->name : "run");
    row.run_type = (char *)(opts && opts->run_type ? opts->run_type : "JOB_RUN");
    row.trigger = (char *)(opts && opts->trigger ? opts->trigger : "ONE_TIME");
    row.life_cycle_state = (char *)"PENDING";
    row.start_ms = r->start_ms;
    row.job_parameters_json = params_json(r);
    row.repair_history_json = ju_xasprintf(
        "[{\"type\":\"ORIGINAL\",\"start_time\":%lld}]", (long long)r->start_ms);
    row.settings_json = settings;
    row.idempotency_token = (char *)(opts ? opts->idempotency_token : NULL);
    row.workspace = r->workspace;
    rc = jc_store_run_insert(store, &row);
    free(row.job_parameters_json);
    free(row.repair_history_json);
    free(row.owner_boot_id);
    free(settings);
    if (rc) {
        jc_run_free(r);
        return rc;
    }
    r->run_id = row.run_id;
    *out = r;
    return 0;
}

/* Parameters recorded by the original run: [{name, default, value}]. */
static void params_from_json(struct jc_run *r, const char *text)
{
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    size_t i;
    json_t *e;

    json_array_foreach(a, i, e) {
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *value = json_string_value(json_object_get(e, "value"));
        if (name)
            set_param(r, name, value);
    }
    json_decref(a);
}

int jc_run_repair_create(struct jc_run **out, struct jc_store *store,
                         const struct jc_job *job, int64_t run_id,
                         const char *const *keys, size_t nkeys,
                         const struct jc_run_opts *opts)
{
    struct jc_run *r;
    struct jc_run_row row;
    struct jc_task_run_row *trs = NULL;
    struct jc_task_value *vals = NULL;
    size_t ntr = 0, nvals = 0, i;
    bool *mark;
    int *maxatt;
    json_t *hist;
    char *sql;
    int rc;

    if ((rc = jc_store_run_get(store, run_id, &row)))
        return rc;
    if (!jc_life_cycle_terminal(row.life_cycle_state)) {
        rc = jc_err_set(JC_ESTATE, "run %lld is still %s; cancel it first",
                        (long long)run_id, row.life_cycle_state);
        jc_run_row_release(&row);
        return rc;
    }
    if ((rc = common_init(&r, store, job, opts))) {
        jc_run_row_release(&row);
        return rc;
    }
    params_from_json(r, row.job_parameters_json);
    for (i = 0; opts && i < opts->nparams; i++)
        set_param(r, opts->params[i].key, opts->params[i].value);
    r->run_id = run_id;
    r->job_id = row.job_id;
    r->start_ms = row.start_ms;
    if ((rc = jc_store_task_run_list(store, run_id, &trs, &ntr)))
        goto fail;
    mark = ju_xcalloc(r->n + 1, sizeof(*mark));
    maxatt = ju_xcalloc(r->n + 1, sizeof(*maxatt));
    for (i = 0; i < r->n; i++)
        maxatt[i] = -1;
    for (i = 0; i < ntr; i++) {
        size_t idx;
        enum jc_result res;

        if (!jc_dag_lookup(r->dag, trs[i].task_key, &idx))
            continue;
        if (trs[i].attempt_number > maxatt[idx])
            maxatt[idx] = trs[i].attempt_number;
        jc_result_parse(trs[i].result_state, &res);
        r->tasks[idx].result = res;
        if (trs[i].state_message &&
            !strncmp(trs[i].state_message, "outcome: ", 9)) {
            free(r->tasks[idx].outcome_buf);
            r->tasks[idx].outcome_buf = ju_xstrdup(trs[i].state_message + 9);
            r->tasks[idx].outcome = r->tasks[idx].outcome_buf;
        }
    }
    jc_task_run_rows_free(trs, ntr);
    for (i = 0; i < nkeys; i++) {
        size_t idx;

        if (!jc_dag_lookup(r->dag, keys[i], &idx)) {
            rc = jc_err_set(JC_EINVAL, "no task '%s' in run %lld", keys[i],
                            (long long)run_id);
            free(mark);
            free(maxatt);
            goto fail;
        }
        mark[idx] = true;
    }
    if (!nkeys) {
        for (i = 0; i < r->n; i++) {
            enum jc_result res = r->tasks[i].result;
            if (jc_result_is_failure(res) || res == JC_RESULT_CANCELED ||
                res == JC_RESULT_UPSTREAM_CANCELED ||
                (res == JC_RESULT_NONE && maxatt[i] >= 0))
                mark[i] = true;
        }
    }
    jc_dag_downstream(r->dag, mark);
    for (i = 0; i < r->n; i++) {
        struct rtask *rt = &r->tasks[i];

        rt->attempt = maxatt[i] + 1;
        if (mark[i]) {
            rt->selected = true;
            rt->result = JC_RESULT_NONE;
            rt->outcome = NULL;
        } else if (maxatt[i] < 0) {
            rt->ignored = true;
        } else {
            rt->st = TS_DONE;
        }
    }
    free(mark);
    free(maxatt);
    count_pending(r);
    if (!r->nselected) {
        rc = jc_err_set(JC_EINVAL, "nothing to repair in run %lld: no failed "
                        "tasks", (long long)run_id);
        goto fail;
    }
    if (!jc_store_task_value_list(store, run_id, &vals, &nvals)) {
        for (i = 0; i < nvals; i++) {
            size_t idx;
            struct rtask *rt;

            if (!jc_dag_lookup(r->dag, vals[i].task_key, &idx))
                continue;
            rt = &r->tasks[idx];
            if (rt->selected)
                continue;
            rt->vals = ju_xrealloc(rt->vals, (rt->nvals + 1) * sizeof(*rt->vals));
            rt->vals[rt->nvals].key = ju_xstrdup(vals[i].key);
            rt->vals[rt->nvals].value = ju_xstrdup(vals[i].value);
            rt->nvals++;
        }
        jc_task_values_free(vals, nvals);
    }
    r->repair_count = row.repair_count + 1;
    r->repair_id = r->repair_count;
    hist = json_loads(row.repair_history_json ? row.repair_history_json : "[]",
                      0, NULL);
    if (!json_is_array(hist)) {
        json_decref(hist);
        hist = json_array();
    }
    json_array_append_new(hist, json_pack("{s:s, s:I, s:I}", "type", "REPAIR",
                                          "id", (json_int_t)r->repair_id,
                                          "start_time",
                                          (json_int_t)jc_now_ms()));
    free(row.repair_history_json);
    row.repair_history_json = json_dumps(hist, JSON_COMPACT);
    json_decref(hist);
    free(row.life_cycle_state);
    row.life_cycle_state = ju_xstrdup("PENDING");
    free(row.result_state);
    row.result_state = NULL;
    free(row.state_message);
    row.state_message = ju_xasprintf("repair %lld", (long long)r->repair_id);
    row.end_ms = 0;
    row.repair_count = r->repair_count;
    free(row.owner_boot_id);
    row.owner_boot_id = ju_xcalloc(1, 64);
    jc_store_self_owner(&row.owner_pid, &row.owner_start, row.owner_boot_id, 64);
    if ((rc = jc_store_run_update(store, &row)))
        goto fail;
    sql = ju_xasprintf("UPDATE runs SET cancel_requested = 0 WHERE run_id = %lld",
                       (long long)run_id);
    sqlite3_exec(jc_store_db(store), sql, NULL, NULL, NULL);
    free(sql);
    jc_run_row_release(&row);
    *out = r;
    return 0;
fail:
    jc_run_row_release(&row);
    jc_run_free(r);
    return rc;
}

/* ---- foreground driver ---- */

struct fg {
    uv_signal_t sigint, sigterm;
    struct jc_run *run;
    jc_run_done_cb user_done;
    void *user_arg;
    int nsig;
    bool done;
};

static void fg_signal(uv_signal_t *h, int signum)
{
    struct fg *fg = h->data;

    fg->nsig++;
    log_info("signal %d received, canceling run", signum);
    jc_run_cancel(fg->run, signum == SIGINT ? "interrupted (SIGINT)"
                                            : "terminated (SIGTERM)");
}

static void fg_done(void *arg, struct jc_run *run, enum jc_result res)
{
    struct fg *fg = arg;

    fg->done = true;
    uv_close((uv_handle_t *)&fg->sigint, NULL);
    uv_close((uv_handle_t *)&fg->sigterm, NULL);
    if (fg->user_done)
        fg->user_done(fg->user_arg, run, res);
}

int jc_run_drive(struct jc_run *run, enum jc_result *result)
{
    uv_loop_t *loop = uv_default_loop();
    struct fg fg;
    void *saved_arg = run->opts.arg;
    int rc;

    memset(&fg, 0, sizeof(fg));
    fg.run = run;
    fg.user_done = run->opts.on_done;
    fg.user_arg = saved_arg;
    run->opts.on_done = fg_done;
    /* on_task keeps its own arg; on_done gets fg. */
    run->done_arg = &fg;
    uv_signal_init(loop, &fg.sigint);
    uv_signal_init(loop, &fg.sigterm);
    fg.sigint.data = &fg;
    fg.sigterm.data = &fg;
    uv_signal_start(&fg.sigint, fg_signal, SIGINT);
    uv_signal_start(&fg.sigterm, fg_signal, SIGTERM);
    if ((rc = jc_run_start(run, loop))) {
        uv_close((uv_handle_t *)&fg.sigint, NULL);
        uv_close((uv_handle_t *)&fg.sigterm, NULL);
        uv_run(loop, UV_RUN_DEFAULT);
        return rc;
    }
    uv_run(loop, UV_RUN_DEFAULT);
    run->opts.on_done = fg.user_done;
    run->done_arg = NULL;
    if (!fg.done)
        return jc_err_set(JC_ESTATE, "run loop ended before the run finished");
    *result = run->result;
    return 0;
}

int jc_run_foreground(struct jc_store *store, const struct jc_job *job,
                      const struct jc_run_opts *opts, int64_t *run_id,
                      enum jc_result *result)
{
    struct jc_run *run;
    int rc;

    if ((rc = jc_run_create(&run, store, job, opts)))
        return rc;
    *run_id = run->run_id;
    rc = jc_run_drive(run, result);
    jc_run_free(run);
    return rc;
}

int jc_run_orphans_to_retry(struct jc_store *store, const struct jc_job *job,
                            int64_t run_id, char ***keys, size_t *nkeys)
{
    struct jc_resume_plan p;
    int rc;

    *keys = ju_xcalloc(1, sizeof(char *));
    *nkeys = 0;
    if ((rc = jc_run_resume_plan(store, job, run_id, &p)))
        return rc;
    if (p.nretry) {
        free(*keys);
        *keys = p.retry;
        *nkeys = p.nretry;
        p.retry = NULL;
        p.nretry = 0;
    }
    jc_resume_plan_release(&p);
    return 0;
}
