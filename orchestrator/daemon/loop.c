/*
 * loop.c: the daemon's event loop: HTTP server + API, the run manager
 * (max_concurrent_runs with queue or skip, cancel, repair), signals and
 * shutdown. The scheduler and the job directory watcher live in sched.c
 * and jobsdir.c and are driven by the tick timer here.
 */
#include "daemon/daemon_int.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/log.h"
#include "util/mem.h"

#define TICK_MS 250

/* ---- job models ---- */

int dm_load_job(struct jc_daemon *d, int64_t job_id, struct jc_job **out)
{
    struct jc_job_row row;
    json_t *settings;
    struct jc_diags diags = JC_DIAGS_INIT;
    int rc;

    rc = jc_store_job_get(d->store, job_id, &row);
    if (rc)
        return jc_err_set(JC_ENOTFOUND, "Job %lld does not exist.",
                          (long long)job_id);
    settings =
        json_loads(row.settings_json ? row.settings_json : "{}", 0, NULL);
    jc_job_row_release(&row);
    if (!settings)
        return jc_err_set(JC_EINVAL, "job %lld has unreadable settings",
                          (long long)job_id);
    rc = jc_spec_from_settings(out, settings, &diags);
    json_decref(settings);
    if (rc) {
        if (diags.n)
            jc_err_set(JC_EINVAL, "%s", diags.items[0].msg);
        jc_diags_release(&diags);
        return rc ? rc : JC_EINVAL;
    }
    jc_diags_release(&diags);
    (*out)->job_id = job_id;
    return 0;
}

/* ---- the run manager ---- */

static struct drun *find_run(struct jc_daemon *d, int64_t run_id)
{
    struct drun *r;

    for (r = d->runs; r; r = r->next)
        if (r->run_id == run_id)
            return r;
    return NULL;
}

static size_t active_runs_of(struct jc_daemon *d, int64_t job_id)
{
    struct drun *r;
    size_t n = 0;

    for (r = d->runs; r; r = r->next)
        if (r->job_id == job_id && r->started && !r->finished)
            n++;
    return n;
}

static void unlink_run(struct jc_daemon *d, struct drun *r)
{
    struct drun **pp;

    for (pp = &d->runs; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            return;
        }
}

void dm_drun_free(struct drun *r)
{
    size_t i;

    if (r->run)
        jc_run_free(r->run);
    /* inside the loop: mirror to Delta on the thread pool, never uv_run */
    jc_accounting_finish_async(r->acct);
    r->acct = NULL;
    jc_job_free(r->job);
    for (i = 0; i < r->nparams; i++) {
        free(r->params[i].key);
        free(r->params[i].value);
    }
    free(r->params);
    free(r->token);
    free(r);
}

static void on_run_done(void *arg, struct jc_run *run, enum jc_result result)
{
    struct drun *r = arg;
    struct jc_daemon *d = r->d;

    (void)run;
    r->finished = true;
    log_info("run finished: run=%lld job=%lld result=%s", (long long)r->run_id,
             (long long)r->job_id, jc_result_name(result));
    /* free and start queued runs outside the engine's callback */
    uv_timer_start(&d->reaper, dm_reap, 0, 0);
}

static int start_run(struct jc_daemon *d, struct drun *r)
{
    int rc = r->resume ? jc_run_resume_start(r->run, d->loop)
                       : jc_run_start(r->run, d->loop);

    if (rc) {
        jc_store_run_set_state(d->store, r->run_id, "INTERNAL_ERROR", "FAILED",
                               jc_err_last(), jc_now_ms());
        r->finished = true;
        r->started = true;
        uv_timer_start(&d->reaper, dm_reap, 0, 0);
        return rc;
    }
    r->started = true;
    r->queued = false;
    return 0;
}

static int queue_capacity(const struct jc_job *job)
{
    return job->max_concurrent_runs > 0 ? (int)job->max_concurrent_runs : 1;
}

/* Start queued runs whose job has a free slot, oldest first. */
static void start_queued(struct jc_daemon *d)
{
    struct drun *r;
    bool progress = true;

    if (d->stopping)
        return;
    while (progress) {
        struct drun *oldest = NULL;

        progress = false;
        for (r = d->runs; r; r = r->next) {
            if (!r->queued || r->finished)
                continue;
            if ((int)active_runs_of(d, r->job_id) >= queue_capacity(r->job))
                continue;
            if (!oldest || r->run_id < oldest->run_id)
                oldest = r;
        }
        if (oldest) {
            start_run(d, oldest);
            progress = true;
        }
    }
}

void dm_reap(uv_timer_t *t)
{
    struct jc_daemon *d = t->data;
    struct drun *r;
    struct drun *next;

    for (r = d->runs; r; r = next) {
        next = r->next;
        if (r->finished) {
            unlink_run(d, r);
            dm_drun_free(r);
        }
    }
    start_queued(d);
    dm_maybe_exit(d);
}

static void params_from_json(struct drun *r, json_t *params)
{
    const char *k;
    json_t *v;

    r->nparams = 0;
    if (!json_is_object(params))
        return;
    r->params = ju_xcalloc(json_object_size(params) + 1, sizeof(*r->params));
    json_object_foreach(params, k, v)
    {
        r->params[r->nparams].key = ju_xstrdup(k);
        if (json_is_string(v))
            r->params[r->nparams].value = ju_xstrdup(json_string_value(v));
        else
            r->params[r->nparams].value =
                json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!r->params[r->nparams].value)
            r->params[r->nparams].value = ju_xstrdup("");
        r->nparams++;
    }
}

int dm_fill_opts(struct jc_daemon *d, struct drun *r, struct jc_run_opts *o,
                 const char *trigger, const char *run_type)
{
    memset(o, 0, sizeof(*o));
    o->home = d->home;
    o->workspace = d->opts.workspace;
    o->params = r->params;
    o->nparams = r->nparams;
    o->parallel = d->opts.parallel;
    o->trigger = trigger;
    o->run_type = run_type;
    o->idempotency_token = r->token;
    o->local = d->executor;
    o->on_done = on_run_done;
    o->arg = r;
    /* chains on_done/arg: cost per attempt, remote executor, Delta mirror */
    return jc_accounting_attach(&r->acct, o, r->job, d->loop, d->store, NULL);
}

int dm_trigger(struct jc_daemon *d, struct jc_job *job, int64_t job_id,
               json_t *params, const char *token, const char *trigger,
               const char *run_type, int64_t *run_id)
{
    return dm_trigger_ev(d, job, job_id, params, token, trigger, run_type, NULL,
                         NULL, run_id);
}

int dm_trigger_ev(struct jc_daemon *d, struct jc_job *job, int64_t job_id,
                  json_t *params, const char *token, const char *trigger,
                  const char *run_type, const char *ev_type, const char *ev_msg,
                  int64_t *run_id)
{
    struct drun *r;
    struct jc_run_opts o;
    int rc;

    if (d->stopping) {
        jc_job_free(job);
        return jc_err_set(JC_EBUSY, "jobctl is shutting down");
    }
    r = ju_xcalloc(1, sizeof(*r));
    r->d = d;
    r->job = job;
    r->job_id = job_id;
    r->token = token ? ju_xstrdup(token) : NULL;
    params_from_json(r, params);
    rc = dm_fill_opts(d, r, &o, trigger, run_type);
    /* the run and the caller's event (a schedule's fire time) are stored
     * in one transaction: a crash leaves both or neither */
    if (!rc && ev_type)
        rc = jc_store_begin(d->store);
    if (!rc) {
        rc = jc_run_create(&r->run, d->store, job, &o);
        if (!rc && ev_type &&
            jc_store_event_add(d->store, jc_run_id(r->run), NULL, ev_type,
                               ev_msg))
            log_warn("cannot record %s for run %lld: %s", ev_type,
                     (long long)jc_run_id(r->run), jc_err_last());
        /* no rollback: the connection's transaction may also hold other
         * runs' batched writes; a failed statement undid itself */
        if (ev_type && jc_store_in_txn(d->store) && jc_store_commit(d->store))
            log_warn("store commit failed: %s", jc_err_last());
    }
    if (rc) {
        r->run = NULL;
        dm_drun_free(r);
        return rc;
    }
    r->run_id = jc_run_id(r->run);
    *run_id = r->run_id;
    return dm_enqueue(d, r, false);
}

int dm_enqueue(struct jc_daemon *d, struct drun *r, bool always_queue)
{
    size_t active;

    r->next = d->runs;
    d->runs = r;
    active = active_runs_of(d, r->job_id);
    if (r->job_id && (int)active >= queue_capacity(r->job)) {
        if (r->job->queue_enabled || always_queue) {
            r->queued = true;
            jc_store_run_set_state(d->store, r->run_id, "QUEUED", NULL,
                                   "Queued due to reaching maximum concurrent "
                                   "runs of the job.",
                                   0);
            jc_store_event_add(d->store, r->run_id, NULL, "run.queued", "");
            log_info("run queued: run=%lld job=%lld", (long long)r->run_id,
                     (long long)r->job_id);
            return 0;
        }
        jc_store_run_set_state(d->store, r->run_id, "SKIPPED",
                               "MAXIMUM_CONCURRENT_RUNS_REACHED",
                               "Run skipped: the job already has its maximum "
                               "number of concurrent runs.",
                               jc_now_ms());
        jc_store_event_add(d->store, r->run_id, NULL, "run.skipped",
                           "MAXIMUM_CONCURRENT_RUNS_REACHED");
        r->finished = true;
        r->started = true;
        uv_timer_start(&d->reaper, dm_reap, 0, 0);
        return 0;
    }
    return start_run(d, r);
}

/* ---- API backend ---- */

static int be_run_now(void *ud, int64_t job_id, json_t *params,
                      const char *token, const char *trigger, int64_t *run_id)
{
    struct jc_daemon *d = ud;
    struct jc_job *job = NULL;
    int rc = dm_load_job(d, job_id, &job);

    if (rc)
        return rc;
    return dm_trigger(d, job, job_id, params, token, trigger, "JOB_RUN",
                      run_id);
}

static int be_submit(void *ud, json_t *body, const char *token, int64_t *run_id)
{
    struct jc_daemon *d = ud;
    struct jc_job *job = NULL;
    struct jc_diags diags = JC_DIAGS_INIT;
    json_t *settings = json_deep_copy(body);
    int rc;

    json_object_del(settings, "idempotency_token");
    json_object_del(settings, "access_control_list");
    if (json_is_string(json_object_get(settings, "run_name")) &&
        !json_object_get(settings, "name"))
        json_object_set(settings, "name",
                        json_object_get(settings, "run_name"));
    if (!json_object_get(settings, "name"))
        json_object_set_new(settings, "name", json_string("Untitled"));
    rc = jc_spec_from_settings(&job, settings, &diags);
    json_decref(settings);
    if (!rc && (jc_spec_validate(job, &diags) || diags.n))
        rc = JC_EINVAL;
    if (rc) {
        jc_err_set(JC_EINVAL, "%s",
                   diags.n ? diags.items[0].msg : jc_err_last());
        jc_diags_release(&diags);
        jc_job_free(job);
        return JC_EINVAL;
    }
    jc_diags_release(&diags);
    job->max_concurrent_runs = 1000;
    job->job_id = 0;
    return dm_trigger(d, job, 0, NULL, token, "ONE_TIME", "SUBMIT_RUN", run_id);
}

static void finish_queued(struct jc_daemon *d, struct drun *r, const char *msg)
{
    jc_store_run_set_state(d->store, r->run_id, "TERMINATED", "CANCELED", msg,
                           jc_now_ms());
    jc_store_event_add(d->store, r->run_id, NULL, "run.cancel", msg);
    r->queued = false;
    r->finished = true;
    r->started = true;
    uv_timer_start(&d->reaper, dm_reap, 0, 0);
}

static int be_cancel(void *ud, int64_t run_id)
{
    struct jc_daemon *d = ud;
    struct drun *r = find_run(d, run_id);
    struct jc_run_row row;

    if (r) {
        if (r->finished)
            return 0;
        if (r->queued) {
            finish_queued(d, r, "Run canceled while queued.");
            return 0;
        }
        return jc_run_cancel(r->run, "canceled through the API");
    }
    if (jc_store_run_get(d->store, run_id, &row))
        return jc_err_set(JC_ENOTFOUND, "Run %lld does not exist.",
                          (long long)run_id);
    if (!jc_life_cycle_terminal(row.life_cycle_state))
        /* not driven by this daemon (e.g. an embedded `jobctl run`) */
        jc_store_run_set_state(d->store, run_id, "TERMINATED", "CANCELED",
                               "canceled through the API", jc_now_ms());
    jc_run_row_release(&row);
    return 0;
}

static int be_cancel_all(void *ud, int64_t job_id, bool all_queued)
{
    struct jc_daemon *d = ud;
    struct drun *r;

    for (r = d->runs; r; r = r->next) {
        if (r->finished)
            continue;
        if (job_id && r->job_id != job_id)
            continue;
        if (!job_id && all_queued && !r->queued)
            continue;
        if (job_id && all_queued && !r->queued)
            continue;
        if (r->queued)
            finish_queued(d, r, "Run canceled while queued.");
        else
            jc_run_cancel(r->run, "canceled through the API (cancel-all)");
    }
    return 0;
}

static int be_repair(void *ud, int64_t run_id, const char *const *tasks,
                     size_t ntasks, bool all_failed, bool dependent,
                     json_t *params, int64_t *repair_id)
{
    struct jc_daemon *d = ud;
    struct jc_run_row row;
    struct jc_job *job = NULL;
    struct drun *r;
    struct jc_run_opts o;
    int rc;

    (void)all_failed;
    (void)dependent;
    if (find_run(d, run_id))
        return jc_err_set(JC_ESTATE, "Run %lld is still active.",
                          (long long)run_id);
    if (jc_store_run_get(d->store, run_id, &row))
        return jc_err_set(JC_ENOTFOUND, "Run %lld does not exist.",
                          (long long)run_id);
    if (row.job_id && !dm_load_job(d, row.job_id, &job)) {
        /* the current settings of the job, as Databricks does */
    } else {
        json_t *s =
            json_loads(row.settings_json ? row.settings_json : "{}", 0, NULL);
        struct jc_diags diags = JC_DIAGS_INIT;

        rc = s ? jc_spec_from_settings(&job, s, &diags) : JC_EINVAL;
        json_decref(s);
        jc_diags_release(&diags);
        if (rc) {
            jc_run_row_release(&row);
            return jc_err_set(JC_EINVAL,
                              "cannot load the settings of run "
                              "%lld",
                              (long long)run_id);
        }
        job->job_id = row.job_id;
    }
    r = ju_xcalloc(1, sizeof(*r));
    r->d = d;
    r->job = job;
    r->job_id = row.job_id;
    jc_run_row_release(&row);
    params_from_json(r, params);
    rc = dm_fill_opts(d, r, &o, "RETRY", NULL);
    if (!rc)
        rc = jc_run_repair_create(&r->run, d->store, job, run_id, tasks, ntasks,
                                  &o);
    if (rc) {
        r->run = NULL;
        dm_drun_free(r);
        return rc;
    }
    r->run_id = run_id;
    *repair_id = jc_run_repair_id(r->run);
    r->next = d->runs;
    d->runs = r;
    return start_run(d, r);
}

static void be_job_changed(void *ud, int64_t job_id)
{
    dm_sched_job_changed(ud, job_id);
}

static size_t be_queue_length(void *ud)
{
    struct jc_daemon *d = ud;
    struct drun *r;
    size_t n = 0;

    for (r = d->runs; r; r = r->next)
        if (r->queued && !r->finished)
            n++;
    return n;
}

static double be_lag(void *ud)
{
    return ((struct jc_daemon *)ud)->last_lag_s;
}

/* ---- tick, signals, shutdown ---- */

static void on_tick(uv_timer_t *t)
{
    struct jc_daemon *d = t->data;

    if (d->stopping)
        return;
    d->ticks++;
    if (d->opts.jobs_dir && d->ticks % 4 == 1)
        dm_jobsdir_scan(d);
    dm_sched_tick(d);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void dm_maybe_exit(struct jc_daemon *d)
{
    if (!d->stopping || d->runs)
        return;
    if (d->http) {
        jc_http_server_close(d->http);
        d->http = NULL;
    }
    uv_stop(d->loop);
}

static void on_grace(uv_timer_t *t)
{
    struct jc_daemon *d = t->data;
    struct drun *r;

    for (r = d->runs; r; r = r->next)
        if (!r->finished && r->started && !r->cancel_sent) {
            r->cancel_sent = true;
            jc_run_cancel(r->run, "jobctl serve is shutting down");
        }
}

static void on_signal(uv_signal_t *s, int signum)
{
    struct jc_daemon *d = s->data;
    struct drun *r;

    if (d->stopping) {
        if (signum == SIGINT || signum == SIGTERM)
            on_grace(&d->grace);
        return;
    }
    log_info("shutting down: signal=%d queued=%zu", signum, be_queue_length(d));
    d->stopping = true;
    if (d->http)
        jc_http_server_stop_accepting(d->http);
    for (r = d->runs; r; r = r->next)
        if (r->queued && !r->finished)
            finish_queued(d, r,
                          "jobctl serve shut down before the run "
                          "started.");
    uv_timer_start(&d->grace, on_grace,
                   (uint64_t)(d->opts.shutdown_grace_ms > 0
                                  ? d->opts.shutdown_grace_ms
                                  : 0),
                   0);
    uv_timer_start(&d->reaper, dm_reap, 0, 0);
}

static int write_port_file(const char *path, int port)
{
    char tmp[4096];
    char buf[32];
    int fd;
    int n;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return jc_err_set(JC_EIO, "cannot write '%s': %s", tmp,
                          strerror(errno));
    n = snprintf(buf, sizeof(buf), "%d\n", port);
    if (write(fd, buf, (size_t)n) != n) {
        close(fd);
        return jc_err_set(JC_EIO, "cannot write '%s'", tmp);
    }
    close(fd);
    if (rename(tmp, path))
        return jc_err_set(JC_EIO, "cannot rename '%s': %s", tmp,
                          strerror(errno));
    return 0;
}

static bool listen_is_loopback(const char *listen)
{
    char host[256];
    int port;

    if (jc_http_parse_listen(listen, host, sizeof(host), &port))
        return false;
    return !strncmp(host, "127.", 4) || !strcmp(host, "::1") ||
           !strcmp(host, "localhost");
}

int jc_daemon_run(const struct jc_daemon_opts *opts)
{
    struct jc_daemon d;
    struct jc_api_backend be;
    struct jc_api_opts ao;
    struct jc_http_server_opts hopts = JC_HTTP_SERVER_OPTS_INIT;
    int rc;

    memset(&d, 0, sizeof(d));
    d.opts = *opts;
    if (!d.opts.listen)
        d.opts.listen = "127.0.0.1:8080";
    if (!d.opts.catchup_window_s)
        d.opts.catchup_window_s = 86400;
    if ((!opts->token || !*opts->token) && !listen_is_loopback(d.opts.listen))
        return jc_err_set(JC_EINVAL,
                          "refusing to listen on '%s' without JOBCTL_TOKEN: "
                          "set a token or bind 127.0.0.1",
                          d.opts.listen);
    d.loop = ju_xcalloc(1, sizeof(*d.loop));
    uv_loop_init(d.loop);
    rc = jc_store_open(&d.store, opts->home);
    if (rc)
        goto out_loop;
    d.home = ju_xstrdup(jc_store_home_dir(d.store));
    rc = jc_executor_local_new(&d.executor, d.loop);
    if (rc)
        goto out_store;

    memset(&be, 0, sizeof(be));
    be.ud = &d;
    be.run_now = be_run_now;
    be.submit = be_submit;
    be.cancel = be_cancel;
    be.cancel_all = be_cancel_all;
    be.repair = be_repair;
    be.job_changed = be_job_changed;
    be.queue_length = be_queue_length;
    be.scheduler_lag_s = be_lag;
    memset(&ao, 0, sizeof(ao));
    ao.token = opts->token;
    ao.webhook_secret = opts->webhook_secret;
    ao.home = d.home;
    d.api = jc_api_new(d.store, &be, &ao);

    if (d.opts.jobs_dir)
        dm_jobsdir_scan(&d);
    dm_sched_init(&d);

    hopts.request_timeout_ms = opts->request_timeout_ms;
    hopts.idle_timeout_ms = opts->idle_timeout_ms;
    rc = jc_http_server_start(&d.http, d.loop, d.opts.listen, &hopts,
                              jc_api_handle, d.api);
    if (rc)
        goto out_api;
    /* runs of a daemon that died: retried per their policy */
    dm_resume_orphans(&d);
    log_info("listening: addr=%s port=%d home=%s", d.opts.listen,
             jc_http_server_port(d.http), d.home);
    fprintf(stderr, "jobctl serve: listening on http://%s (port %d)\n",
            d.opts.listen, jc_http_server_port(d.http));
    if (opts->port_file &&
        (rc = write_port_file(opts->port_file, jc_http_server_port(d.http))))
        goto out_http;

    uv_timer_init(d.loop, &d.tick);
    d.tick.data = &d;
    uv_timer_start(&d.tick, on_tick, TICK_MS, TICK_MS);
    uv_timer_init(d.loop, &d.reaper);
    d.reaper.data = &d;
    uv_timer_init(d.loop, &d.grace);
    d.grace.data = &d;
    uv_signal_init(d.loop, &d.sigterm);
    d.sigterm.data = &d;
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    uv_signal_init(d.loop, &d.sigint);
    d.sigint.data = &d;
    uv_signal_start(&d.sigint, on_signal, SIGINT);

    uv_run(d.loop, UV_RUN_DEFAULT);
    log_info("stopped");
    rc = 0;
out_http:
    if (d.http)
        jc_http_server_close(d.http);
    d.http = NULL;
out_api:
    dm_sched_free(&d);
    dm_jobsdir_free(&d);
    jc_api_free(d.api);
    if (d.executor && d.executor->ops->destroy)
        d.executor->ops->destroy(d.executor);
    uv_walk(d.loop, close_walk, NULL);
    uv_run(d.loop, UV_RUN_DEFAULT);
out_store:
    jc_store_close(d.store);
    free(d.home);
out_loop:
    uv_loop_close(d.loop);
    free(d.loop);
    return rc;
}
