/*
 * api_run_json.c: the Databricks Run object of a stored run (state v1,
 * status v2, one tasks[] entry per attempt plus placeholders for tasks
 * without an attempt, job_parameters, repair_history), shared by
 * runs/get, runs/list, runs/get-output and the status page.
 */
#include "api/api_int.h"

#include <string.h>

#include "jobctl/err.h"
#include "jobctl/store.h"
#include "util/mem.h"

void api_run_not_exist(struct api_ctx *c, int64_t run_id)
{
    api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
              "Run %lld does not exist.", (long long)run_id);
}

/* v1 state object and v2 status object from life/result/message. */
json_t *api_state_v1(const char *life, const char *result, const char *msg)
{
    json_t *s = json_pack("{s:s, s:s}", "life_cycle_state",
                          life ? life : "PENDING", "state_message",
                          msg ? msg : "");

    if (result && *result) {
        json_object_set_new(s, "result_state", json_string(result));
        json_object_set_new(s, "user_cancelled_or_timedout",
                            json_boolean(!strcmp(result, "CANCELED") ||
                                         !strcmp(result, "TIMEDOUT")));
    }
    if (life && !strcmp(life, "QUEUED"))
        json_object_set_new(s, "queue_reason",
                            json_string("Queued due to reaching maximum "
                                        "concurrent runs of the job."));
    return s;
}

json_t *api_status_v2(const char *life, const char *result, const char *msg)
{
    const char *state = life ? life : "PENDING";
    const char *code = NULL;
    const char *type = "SUCCESS";
    json_t *st;

    if (!strcmp(state, "WAITING_FOR_RETRY"))
        state = "WAITING";
    if (!strcmp(state, "SKIPPED") || !strcmp(state, "INTERNAL_ERROR"))
        state = "TERMINATED";
    st = json_pack("{s:s}", "state", state);
    if (life && !strcmp(life, "QUEUED"))
        json_object_set_new(st, "queue_details",
                            json_pack("{s:s, s:s}", "code",
                                      "MAX_CONCURRENT_RUNS_REACHED", "message",
                                      "waiting for an active run to finish"));
    if (!result || !*result) {
        if (life && !strcmp(life, "INTERNAL_ERROR")) {
            code = "INTERNAL_ERROR";
            type = "INTERNAL_ERROR";
        }
    } else if (!strcmp(result, "SUCCESS")) {
        code = "SUCCESS";
    } else if (!strcmp(result, "SUCCESS_WITH_FAILURES")) {
        code = "SUCCESS_WITH_FAILURES";
    } else if (!strcmp(result, "FAILED")) {
        code = "RUN_EXECUTION_ERROR";
        type = "CLIENT_ERROR";
    } else if (!strcmp(result, "TIMEDOUT")) {
        code = "CANCELED";
        type = "CLIENT_ERROR";
    } else if (!strcmp(result, "CANCELED")) {
        code = "USER_CANCELED";
    } else if (!strcmp(result, "MAXIMUM_CONCURRENT_RUNS_REACHED")) {
        code = "MAX_CONCURRENT_RUNS_EXCEEDED";
        type = "CLIENT_ERROR";
    } else if (!strcmp(result, "DISABLED")) {
        code = "DISABLED";
    } else if (!strcmp(result, "INTERNAL_ERROR")) {
        code = "INTERNAL_ERROR";
        type = "INTERNAL_ERROR";
    } else {
        code = "SKIPPED";
    }
    if (code)
        json_object_set_new(st, "termination_details",
                            json_pack("{s:s, s:s, s:s}", "code", code, "type",
                                      type, "message", msg ? msg : ""));
    return st;
}

json_t *api_json_parse_or(const char *s, json_t *dflt)
{
    json_t *j = s ? json_loads(s, 0, NULL) : NULL;

    if (!j)
        return dflt;
    json_decref(dflt);
    return j;
}

/* task_key -> task definition object, for O(1) lookups on big DAGs. */
static json_t *task_index(json_t *settings)
{
    json_t *idx = json_object();
    size_t i;
    json_t *t;

    json_array_foreach(json_object_get(settings, "tasks"), i, t) {
        const char *k = json_string_value(json_object_get(t, "task_key"));

        if (k)
            json_object_set(idx, k, t);
    }
    return idx;
}

static json_t *task_entry(const struct jc_task_run_row *t, json_t *def,
                          int64_t run_id, int64_t job_id)
{
    json_t *e = def ? json_deep_copy(def) : json_object();
    int64_t end = t->end_ms;
    int64_t dur = t->start_ms && end ? end - t->start_ms : 0;

    json_object_set_new(e, "task_key", json_string(t->task_key));
    json_object_set_new(e, "run_id", json_integer(t->task_run_id));
    json_object_set_new(e, "job_run_id", json_integer(run_id));
    if (job_id)
        json_object_set_new(e, "job_id", json_integer(job_id));
    json_object_set_new(e, "attempt_number", json_integer(t->attempt_number));
    json_object_set_new(e, "repair_id", json_integer(t->repair_id));
    json_object_set_new(e, "state",
                        api_state_v1(t->life_cycle_state, t->result_state,
                                 t->state_message));
    json_object_set_new(e, "status",
                        api_status_v2(t->life_cycle_state, t->result_state,
                                  t->state_message));
    json_object_set_new(e, "start_time", json_integer(t->start_ms));
    json_object_set_new(e, "end_time", json_integer(end));
    json_object_set_new(e, "setup_duration", json_integer(0));
    json_object_set_new(e, "execution_duration", json_integer(dur));
    json_object_set_new(e, "cleanup_duration", json_integer(0));
    json_object_set_new(e, "run_duration", json_integer(dur));
    json_object_set_new(e, "queue_duration", json_integer(0));
    json_object_set_new(
        e, "x-jobctl",
        json_pack("{s:s, s:i, s:f, s:f, s:I, s:I, s:I, s:f, s:s?}",
                  "executor", t->executor ? t->executor : "local",
                  "exit_code", t->exit_code, "cpu_user_s", t->cpu_user_s,
                  "cpu_sys_s", t->cpu_sys_s, "max_rss_kb",
                  (json_int_t)t->max_rss_kb, "read_bytes",
                  (json_int_t)t->read_bytes, "write_bytes",
                  (json_int_t)t->write_bytes, "cost", t->cost,
                  "remote_run_id", t->remote_run_id));
    if (t->resolved_params_json)
        json_object_set_new(e, "resolved_values",
                            api_json_parse_or(t->resolved_params_json,
                                          json_object()));
    return e;
}

json_t *api_run_from_row(struct api_ctx *c, const struct jc_run_row *r,
                         bool with_tasks, bool include_history,
                         int64_t max_trid, int64_t *snap_trid)
{
    json_t *j = json_object();
    int64_t now = jc_now_ms();
    int64_t dur = r->start_ms ? (r->end_ms ? r->end_ms : now) - r->start_ms
                              : 0;
    const char *host = jc_http_header(c->req, "Host");
    char url[512];
    json_t *settings = api_json_parse_or(r->settings_json, json_object());

    if (r->job_id)
        json_object_set_new(j, "job_id", json_integer(r->job_id));
    json_object_set_new(j, "run_id", json_integer(r->run_id));
    json_object_set_new(j, "number_in_job", json_integer(r->run_id));
    json_object_set_new(j, "original_attempt_run_id",
                        json_integer(r->run_id));
    json_object_set_new(j, "job_run_id", json_integer(r->run_id));
    json_object_set_new(j, "creator_user_name", json_string("jobctl"));
    json_object_set_new(j, "run_name",
                        json_string(r->run_name ? r->run_name : "Untitled"));
    json_object_set_new(j, "run_type",
                        json_string(r->run_type ? r->run_type : "JOB_RUN"));
    json_object_set_new(j, "trigger",
                        json_string(r->trigger ? r->trigger : "ONE_TIME"));
    json_object_set_new(j, "state", api_state_v1(r->life_cycle_state,
                                             r->result_state,
                                             r->state_message));
    json_object_set_new(j, "status", api_status_v2(r->life_cycle_state,
                                               r->result_state,
                                               r->state_message));
    json_object_set_new(j, "start_time", json_integer(r->start_ms));
    json_object_set_new(j, "end_time", json_integer(r->end_ms));
    json_object_set_new(j, "setup_duration", json_integer(0));
    json_object_set_new(j, "execution_duration", json_integer(0));
    json_object_set_new(j, "cleanup_duration", json_integer(0));
    json_object_set_new(j, "run_duration", json_integer(dur < 0 ? 0 : dur));
    json_object_set_new(j, "job_parameters",
                        api_json_parse_or(r->job_parameters_json, json_array()));
    if (json_object_get(settings, "schedule") && r->trigger &&
        !strcmp(r->trigger, "PERIODIC"))
        json_object_set(j, "schedule", json_object_get(settings, "schedule"));
    if (host && strlen(host) < 256 && !strpbrk(host, "\"<>'\\ ")) {
        snprintf(url, sizeof(url), "http://%s/#/runs/%lld", host,
                 (long long)r->run_id);
        json_object_set_new(j, "run_page_url", json_string(url));
    }
    if (with_tasks) {
        struct jc_task_run_row *rows = NULL;
        size_t n = 0;
        size_t i;
        json_t *tasks = json_array();
        json_t *defs = task_index(settings);
        json_t *seen_keys = json_object();
        json_t *later_keys = json_object(); /* started after the snapshot */
        double cost = 0;

        if (snap_trid)
            *snap_trid = 0;
        if (!jc_store_task_run_list(c->api->store, r->run_id, &rows, &n)) {
            for (i = 0; i < n; i++) {
                /* attempts created after a paging snapshot are left out:
                 * rows are ordered by task_run_id and never removed */
                if (max_trid >= 0 && rows[i].task_run_id > max_trid) {
                    json_object_set_new(later_keys, rows[i].task_key,
                                        json_true());
                    continue;
                }
                if (snap_trid)
                    *snap_trid = rows[i].task_run_id;
                json_array_append_new(
                    tasks, task_entry(&rows[i],
                                      json_object_get(defs, rows[i].task_key),
                                      r->run_id, r->job_id));
                json_object_set_new(seen_keys, rows[i].task_key, json_true());
                cost += rows[i].cost;
            }
        }
        /* tasks with no attempt yet: listed once so the DAG is complete */
        {
            json_t *t;
            size_t k;

            json_array_foreach(json_object_get(settings, "tasks"), k, t) {
                const char *key =
                    json_string_value(json_object_get(t, "task_key"));
                json_t *e;
                bool active = !jc_life_cycle_terminal(r->life_cycle_state) ||
                              (key && json_object_get(later_keys, key));

                if (!key || json_object_get(seen_keys, key))
                    continue;
                e = json_deep_copy(t);
                json_object_set_new(e, "attempt_number", json_integer(0));
                json_object_set_new(
                    e, "state",
                    api_state_v1(active ? "BLOCKED" : "SKIPPED",
                                 active ? NULL : "EXCLUDED", ""));
                json_object_set_new(
                    e, "status",
                    api_status_v2(active ? "BLOCKED" : "TERMINATED",
                                  active ? NULL : "EXCLUDED", ""));
                json_object_set_new(e, "start_time", json_integer(0));
                json_object_set_new(e, "end_time", json_integer(0));
                json_array_append_new(tasks, e);
            }
        }
        jc_task_run_rows_free(rows, n);
        json_decref(defs);
        json_decref(seen_keys);
        json_decref(later_keys);
        json_object_set_new(j, "tasks", tasks);
        json_object_set_new(j, "x-jobctl",
                            json_pack("{s:f, s:I}", "cost", cost,
                                      "repair_count",
                                      (json_int_t)r->repair_count));
    }
    if (include_history) {
        json_t *h = api_json_parse_or(r->repair_history_json, json_array());

        if (!json_array_size(h))
            json_array_append_new(
                h, json_pack("{s:s, s:I, s:I, s:o, s:o}", "type", "ORIGINAL",
                             "start_time", (json_int_t)r->start_ms, "end_time",
                             (json_int_t)r->end_ms, "state",
                             api_state_v1(r->life_cycle_state, r->result_state,
                                      r->state_message),
                             "status",
                             api_status_v2(r->life_cycle_state, r->result_state,
                                       r->state_message)));
        json_object_set_new(j, "repair_history", h);
    }
    json_decref(settings);
    return j;
}

json_t *api_run_json(struct api_ctx *c, int64_t run_id, bool with_tasks,
                     bool include_history)
{
    struct jc_run_row r;
    json_t *j;

    if (jc_store_run_get(c->api->store, run_id, &r)) {
        api_run_not_exist(c, run_id);
        return NULL;
    }
    j = api_run_from_row(c, &r, with_tasks, include_history, -1, NULL);
    jc_run_row_release(&r);
    return j;
}
