/*
 * databricks_run.c: follow one Databricks run from runs/submit to its
 * output. Every step is an async jc_dbx_call or a uv timer, so many remote
 * runs (and local tasks) progress on one loop.
 *
 *   SUBMIT --run_id--> POLL <--timer (backoff 1s..30s)--+
 *     |                 |  \____________________________/
 *     | API error       | terminal life_cycle_state
 *     v                 v
 *   DONE <--------- OUTPUT (runs/get-output, best effort)
 *
 *   cancel / timeout at any point: CANCEL (runs/cancel) -> POLL until
 *   terminal (at most cancel_wait_s) -> OUTPUT -> DONE (CANCELED/TIMEDOUT).
 *   A cancel during SUBMIT is remembered and sent once run_id is known.
 */
#include "jobctl/databricks.h"

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum run_phase { PH_SUBMIT, PH_POLL, PH_CANCEL, PH_OUTPUT, PH_DONE };

struct jc_dbx_run {
    struct jc_dbx *c;
    json_t *body;
    struct jc_dbx_run_opts opts;
    jc_dbx_run_done_cb done;
    void *ud;
    enum run_phase phase;
    struct jc_dbx_req *req; /* call in flight */
    uv_timer_t poll;        /* next runs/get */
    uv_timer_t deadline;    /* timeout_s, then cancel_wait_s */
    int closing;            /* handles still to close before free */
    double delay;
    bool want_cancel;
    bool cancel_sent;
    bool timed_out;
    bool freed;
    bool cancel_wait_expired;
    struct jc_dbx_run_result res;
    char *state_message;
    char *error_code;
    char *error;
    char *run_page_url;
    struct ju_buf output;
};

const char *jc_dbx_outcome_name(enum jc_dbx_outcome o)
{
    switch (o) {
    case JC_DBX_SUCCESS:
        return "SUCCESS";
    case JC_DBX_FAILED:
        return "FAILED";
    case JC_DBX_TIMEDOUT:
        return "TIMEDOUT";
    case JC_DBX_CANCELED:
        return "CANCELED";
    case JC_DBX_API_ERROR:
        return "API_ERROR";
    case JC_DBX_INTERNAL_ERROR:
        return "INTERNAL_ERROR";
    }
    return "UNKNOWN";
}

static bool lc_is_terminal(const char *lc)
{
    return !strcmp(lc, "TERMINATED") || !strcmp(lc, "SKIPPED") ||
           !strcmp(lc, "INTERNAL_ERROR");
}

enum jc_dbx_outcome jc_dbx_map_state(const char *lc, const char *rs)
{
    if (!lc)
        lc = "";
    if (!rs)
        rs = "";
    if (!strcmp(lc, "INTERNAL_ERROR") || !strcmp(lc, "SKIPPED"))
        return JC_DBX_INTERNAL_ERROR;
    if (!strcmp(rs, "SUCCESS") || !strcmp(rs, "SUCCESS_WITH_FAILURES"))
        return JC_DBX_SUCCESS;
    if (!strcmp(rs, "TIMEDOUT"))
        return JC_DBX_TIMEDOUT;
    if (!strcmp(rs, "CANCELED") || !strcmp(rs, "CANCELLED"))
        return JC_DBX_CANCELED;
    return JC_DBX_FAILED;
}

static void run_close_cb(uv_handle_t *h)
{
    struct jc_dbx_run *r = h->data;

    if (--r->closing > 0)
        return;
    json_decref(r->body);
    free(r->state_message);
    free(r->error_code);
    free(r->error);
    free(r->run_page_url);
    ju_buf_release(&r->output);
    free(r);
}

void jc_dbx_run_free(struct jc_dbx_run *r)
{
    if (!r || r->freed)
        return;
    r->freed = true;
    jc_dbx_req_abandon(r->req);
    r->req = NULL;
    uv_timer_stop(&r->poll);
    uv_timer_stop(&r->deadline);
    r->closing = 2;
    uv_close((uv_handle_t *)&r->poll, run_close_cb);
    uv_close((uv_handle_t *)&r->deadline, run_close_cb);
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? ju_xstrdup(s) : NULL;
}

static void finish(struct jc_dbx_run *r, enum jc_dbx_outcome o)
{
    r->phase = PH_DONE;
    uv_timer_stop(&r->poll);
    uv_timer_stop(&r->deadline);
    r->res.outcome = o;
    r->res.state_message = r->state_message ? r->state_message : "";
    r->res.error_code = r->error_code;
    r->res.error = r->error ? r->error : "";
    r->res.output = ju_buf_str(&r->output);
    r->res.run_page_url = r->run_page_url ? r->run_page_url : "";
    r->done(r->ud, &r->res);
}

static enum jc_dbx_outcome final_outcome(struct jc_dbx_run *r)
{
    enum jc_dbx_outcome o =
        jc_dbx_map_state(r->res.life_cycle_state, r->res.result_state);

    if (r->timed_out && (o == JC_DBX_CANCELED || o == JC_DBX_FAILED ||
                         !lc_is_terminal(r->res.life_cycle_state)))
        return JC_DBX_TIMEDOUT;
    if (r->want_cancel && !r->timed_out &&
        (o == JC_DBX_FAILED || !lc_is_terminal(r->res.life_cycle_state)))
        return JC_DBX_CANCELED;
    return o;
}

static void add_section(struct jc_dbx_run *r, const char *title,
                        const char *text)
{
    if (!text || !*text)
        return;
    ju_buf_addf(&r->output, "--- databricks %s ---\n", title);
    ju_buf_adds(&r->output, text);
    if (text[strlen(text) - 1] != '\n')
        ju_buf_addc(&r->output, '\n');
}

static void on_output(void *ud, const struct jc_dbx_result *res)
{
    struct jc_dbx_run *r = ud;

    r->req = NULL;
    if (res->status == 0) {
        json_t *nb = json_object_get(res->body, "notebook_output");
        json_t *err = json_object_get(res->body, "error");

        add_section(r, "notebook_output",
                    json_string_value(json_object_get(nb, "result")));
        add_section(r, "logs",
                    json_string_value(json_object_get(res->body, "logs")));
        add_section(r, "error", json_string_value(err));
        add_section(
            r, "error_trace",
            json_string_value(json_object_get(res->body, "error_trace")));
        if (json_is_string(err) && !r->error)
            set_str(&r->error, json_string_value(err));
    } else {
        ju_buf_addf(&r->output, "--- databricks get-output failed: %s%s%s\n",
                    res->error_code ? res->error_code : "",
                    res->error_code ? ": " : "", res->message);
    }
    finish(r, final_outcome(r));
}

static void fetch_output(struct jc_dbx_run *r)
{
    json_t *args = json_pack("{sI}", "run_id",
                             (json_int_t)(r->res.task_run_id
                                              ? r->res.task_run_id
                                              : r->res.run_id));
    int rc;

    r->phase = PH_OUTPUT;
    uv_timer_stop(&r->deadline);
    rc = jc_dbx_call(r->c, &r->req, "GET", "jobs/runs/get-output", args,
                     on_output, r);
    json_decref(args);
    if (rc < 0) {
        ju_buf_addf(&r->output, "--- databricks get-output failed: %s\n",
                    jc_err_last());
        finish(r, final_outcome(r));
    }
}

static void schedule_poll(struct jc_dbx_run *r);
static void send_cancel(struct jc_dbx_run *r);

static int64_t iget(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

/* Read state (v1, else v2 status) and timings from a Run object. */
static void parse_run(struct jc_dbx_run *r, json_t *run)
{
    json_t *tasks = json_object_get(run, "tasks");
    json_t *t = json_is_array(tasks) && json_array_size(tasks)
                    ? json_array_get(tasks, json_array_size(tasks) - 1)
                    : NULL;
    json_t *src = t ? t : run;
    json_t *st = json_object_get(src, "state");
    json_t *status = json_object_get(src, "status");
    const char *lc = json_string_value(json_object_get(st, "life_cycle_state"));
    const char *rs = json_string_value(json_object_get(st, "result_state"));
    const char *sm = json_string_value(json_object_get(st, "state_message"));
    const char *url = json_string_value(json_object_get(run, "run_page_url"));

    if (!lc && json_is_object(status)) {
        json_t *td = json_object_get(status, "termination_details");
        const char *code = json_string_value(json_object_get(td, "code"));

        lc = json_string_value(json_object_get(status, "state"));
        if (lc && !strcmp(lc, "WAITING"))
            lc = "WAITING_FOR_RETRY";
        if (code) {
            if (!strcmp(code, "SUCCESS") ||
                !strcmp(code, "SUCCESS_WITH_FAILURES"))
                rs = code;
            else if (!strcmp(code, "USER_CANCELED"))
                rs = "CANCELED";
            else if (!strcmp(code, "CANCELED"))
                rs = "TIMEDOUT";
            else
                rs = "FAILED";
        }
        if (!sm)
            sm = json_string_value(json_object_get(td, "message"));
    }
    if (lc)
        snprintf(r->res.life_cycle_state, sizeof(r->res.life_cycle_state),
                 "%s", lc);
    if (rs)
        snprintf(r->res.result_state, sizeof(r->res.result_state), "%s", rs);
    if (sm)
        set_str(&r->state_message, sm);
    if (url)
        set_str(&r->run_page_url, url);
    if (t && iget(t, "run_id"))
        r->res.task_run_id = iget(t, "run_id");
    r->res.start_time_ms = iget(src, "start_time");
    r->res.end_time_ms = iget(src, "end_time");
    r->res.setup_ms = iget(src, "setup_duration");
    r->res.execution_ms = iget(src, "execution_duration");
    r->res.cleanup_ms = iget(src, "cleanup_duration");
    r->res.queue_ms = iget(src, "queue_duration");
    if (!r->res.setup_ms && !r->res.execution_ms && t) {
        r->res.setup_ms = iget(run, "setup_duration");
        r->res.execution_ms = iget(run, "execution_duration");
        r->res.cleanup_ms = iget(run, "cleanup_duration");
    }
}

static void api_failed(struct jc_dbx_run *r, const struct jc_dbx_result *res,
                       const char *what)
{
    set_str(&r->error_code, res->error_code);
    free(r->error);
    r->error = ju_xasprintf("%s failed: %s%s%s", what,
                            res->error_code ? res->error_code : "",
                            res->error_code ? ": " : "", res->message);
}

static void on_get(void *ud, const struct jc_dbx_result *res)
{
    struct jc_dbx_run *r = ud;
    char prev[32];

    r->req = NULL;
    r->res.polls++;
    if (res->status < 0) {
        api_failed(r, res, "runs/get");
        if (r->res.run_id && !r->cancel_sent)
            send_cancel(r); /* do not leave an orphan running there */
        else
            finish(r, JC_DBX_API_ERROR);
        return;
    }
    snprintf(prev, sizeof(prev), "%s", r->res.life_cycle_state);
    parse_run(r, res->body);
    if (strcmp(prev, r->res.life_cycle_state) && r->opts.on_state)
        r->opts.on_state(r->ud, r->res.run_id, r->res.life_cycle_state);
    if (lc_is_terminal(r->res.life_cycle_state)) {
        fetch_output(r);
        return;
    }
    if (r->cancel_wait_expired) {
        free(r->error);
        r->error = ju_xasprintf("run %lld still %s after cancel",
                                (long long)r->res.run_id,
                                r->res.life_cycle_state);
        finish(r, final_outcome(r));
        return;
    }
    schedule_poll(r);
}

static void on_poll_timer(uv_timer_t *t)
{
    struct jc_dbx_run *r = t->data;
    json_t *args = json_pack("{sI}", "run_id", (json_int_t)r->res.run_id);
    int rc;

    rc = jc_dbx_call(r->c, &r->req, "GET", "jobs/runs/get", args, on_get, r);
    json_decref(args);
    if (rc < 0) {
        free(r->error);
        r->error = ju_xstrdup(jc_err_last());
        finish(r, JC_DBX_API_ERROR);
    }
}

static void schedule_poll(struct jc_dbx_run *r)
{
    double d = r->delay;

    r->delay *= 1.5;
    if (r->delay > r->opts.poll_max_s)
        r->delay = r->opts.poll_max_s;
    uv_timer_start(&r->poll, on_poll_timer, (uint64_t)(d * 1000.0), 0);
}

static void on_cancel_wait(uv_timer_t *t)
{
    struct jc_dbx_run *r = t->data;

    r->cancel_wait_expired = true;
}

static void on_cancelled(void *ud, const struct jc_dbx_result *res)
{
    struct jc_dbx_run *r = ud;

    r->req = NULL;
    if (res->status < 0) {
        log_warn("databricks runs/cancel of run %lld failed: %s%s%s",
                 (long long)r->res.run_id,
                 res->error_code ? res->error_code : "",
                 res->error_code ? ": " : "", res->message);
        if (!r->error)
            api_failed(r, res, "runs/cancel");
    }
    /* poll quickly until the run is terminal there */
    r->phase = PH_POLL;
    r->delay = r->opts.poll_initial_s;
    uv_timer_stop(&r->deadline);
    uv_timer_start(&r->deadline, on_cancel_wait,
                   (uint64_t)(r->opts.cancel_wait_s * 1000.0), 0);
    schedule_poll(r);
}

static void send_cancel(struct jc_dbx_run *r)
{
    json_t *args = json_pack("{sI}", "run_id", (json_int_t)r->res.run_id);
    int rc;

    jc_dbx_req_abandon(r->req);
    r->req = NULL;
    uv_timer_stop(&r->poll);
    r->phase = PH_CANCEL;
    r->cancel_sent = true;
    rc = jc_dbx_call(r->c, &r->req, "POST", "jobs/runs/cancel", args,
                     on_cancelled, r);
    json_decref(args);
    if (rc < 0)
        finish(r, final_outcome(r));
}

void jc_dbx_run_cancel(struct jc_dbx_run *r)
{
    if (!r || r->phase == PH_DONE || r->phase == PH_OUTPUT || r->want_cancel)
        return;
    r->want_cancel = true;
    if (r->phase == PH_POLL && r->res.run_id)
        send_cancel(r);
    /* PH_SUBMIT: sent from on_submit once the run id is known */
}

static void on_deadline(uv_timer_t *t)
{
    struct jc_dbx_run *r = t->data;

    r->timed_out = true;
    jc_dbx_run_cancel(r);
}

static void on_submit(void *ud, const struct jc_dbx_result *res)
{
    struct jc_dbx_run *r = ud;
    json_t *id;

    r->req = NULL;
    if (res->status < 0) {
        api_failed(r, res, "runs/submit");
        finish(r, JC_DBX_API_ERROR);
        return;
    }
    id = json_object_get(res->body, "run_id");
    if (!json_is_integer(id)) {
        free(r->error);
        r->error = ju_xstrdup("runs/submit answered without a run_id");
        finish(r, JC_DBX_API_ERROR);
        return;
    }
    r->res.run_id = (int64_t)json_integer_value(id);
    snprintf(r->res.life_cycle_state, sizeof(r->res.life_cycle_state),
             "PENDING");
    if (r->opts.on_state)
        r->opts.on_state(r->ud, r->res.run_id, "PENDING");
    r->phase = PH_POLL;
    if (r->want_cancel) {
        send_cancel(r);
        return;
    }
    schedule_poll(r);
}

int jc_dbx_run_start(struct jc_dbx_run **out, struct jc_dbx *c, json_t *body,
                     const struct jc_dbx_run_opts *opts,
                     jc_dbx_run_done_cb done, void *ud)
{
    struct jc_dbx_run *r = ju_xcalloc(1, sizeof(*r));
    struct jc_dbx_run_opts def = JC_DBX_RUN_OPTS_INIT;
    uv_loop_t *loop;
    int rc;

    r->c = c;
    r->body = json_deep_copy(body);
    r->opts = opts ? *opts : def;
    if (r->opts.poll_initial_s <= 0)
        r->opts.poll_initial_s = 1.0;
    if (r->opts.poll_max_s < r->opts.poll_initial_s)
        r->opts.poll_max_s = r->opts.poll_initial_s;
    if (r->opts.cancel_wait_s <= 0)
        r->opts.cancel_wait_s = 60.0;
    r->delay = r->opts.poll_initial_s;
    r->done = done;
    r->ud = ud;
    ju_buf_init(&r->output, 16u << 20);
    loop = jc_dbx_loop(c);
    uv_timer_init(loop, &r->poll);
    uv_timer_init(loop, &r->deadline);
    r->poll.data = r;
    r->deadline.data = r;
    r->phase = PH_SUBMIT;
    rc = jc_dbx_call(c, &r->req, "POST", "jobs/runs/submit", r->body,
                     on_submit, r);
    if (rc < 0) {
        jc_dbx_run_free(r);
        return rc;
    }
    if (r->opts.timeout_s > 0)
        uv_timer_start(&r->deadline, on_deadline,
                       (uint64_t)(r->opts.timeout_s * 1000.0), 0);
    *out = r;
    return 0;
}
