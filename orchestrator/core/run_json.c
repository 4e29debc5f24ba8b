/*
 * run_json.c: a stored run in the Jobs API runs/get shape (jobs-api.md 7):
 * state (v1), status (v2), tasks[] with one entry per attempt, times in
 * epoch ms, repair_history, job_parameters. Used by `jobctl show --json`,
 * `jobctl run --json` and the REST API.
 */
#include "core/run_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

static json_t *parse_or(const char *text, json_t *dflt)
{
    json_t *j = text ? json_loads(text, 0, NULL) : NULL;

    if (!j)
        return dflt;
    json_decref(dflt);
    return j;
}

/* v2 termination code for a terminal result (jobs-api.md 7.3 mapping). */
static const char *term_code(const char *result, const char **type)
{
    *type = "SUCCESS";
    if (!result)
        return NULL;
    if (!strcmp(result, "SUCCESS"))
        return "SUCCESS";
    if (!strcmp(result, "SUCCESS_WITH_FAILURES"))
        return "SUCCESS_WITH_FAILURES";
    *type = "CLIENT_ERROR";
    if (!strcmp(result, "FAILED"))
        return "RUN_EXECUTION_ERROR";
    if (!strcmp(result, "TIMEDOUT"))
        return "CANCELED";
    if (!strcmp(result, "CANCELED"))
        return "USER_CANCELED";
    if (!strcmp(result, "DISABLED")) {
        *type = "SUCCESS";
        return "DISABLED";
    }
    if (!strcmp(result, "EXCLUDED") || !strncmp(result, "UPSTREAM_", 9)) {
        *type = "SUCCESS";
        return "SKIPPED";
    }
    if (!strcmp(result, "MAXIMUM_CONCURRENT_RUNS_REACHED"))
        return "MAX_CONCURRENT_RUNS_EXCEEDED";
    *type = "INTERNAL_ERROR";
    return "INTERNAL_ERROR";
}

static json_t *state_json(const char *life, const char *result,
                          const char *msg)
{
    json_t *s = json_pack("{s:s, s:s}", "life_cycle_state", life ? life : "",
                          "state_message", msg ? msg : "");

    if (result) {
        json_object_set_new(s, "result_state", json_string(result));
        json_object_set_new(s, "user_cancelled_or_timedout",
                            json_boolean(!strcmp(result, "CANCELED") ||
                                         !strcmp(result, "TIMEDOUT")));
    }
    return s;
}

static json_t *status_json(const char *life, const char *result,
                           const char *msg)
{
    const char *type, *code;
    json_t *s;

    if (!jc_life_cycle_terminal(life)) {
        const char *st = life ? life : "PENDING";
        if (!strcmp(st, "WAITING_FOR_RETRY"))
            st = "WAITING";
        return json_pack("{s:s}", "state", st);
    }
    code = term_code(result, &type);
    s = json_pack("{s:s}", "state", "TERMINATED");
    if (code)
        json_object_set_new(s, "termination_details",
                            json_pack("{s:s, s:s, s:s}", "code", code, "type",
                                      type, "message", msg ? msg : ""));
    return s;
}

json_t *jc_run_to_json(struct jc_store *s, int64_t run_id, bool with_tasks)
{
    struct jc_run_row run;
    struct jc_task_run_row *trs = NULL;
    size_t ntr = 0, i;
    json_t *j, *tasks;
    int64_t end;

    if (jc_store_run_get(s, run_id, &run))
        return NULL;
    end = run.end_ms ? run.end_ms : jc_now_ms();
    j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I}",
                  "run_id", (json_int_t)run.run_id, "number_in_job",
                  (json_int_t)run.run_id, "run_name",
                  run.run_name ? run.run_name : "", "run_type",
                  run.run_type ? run.run_type : "JOB_RUN", "trigger",
                  run.trigger ? run.trigger : "ONE_TIME", "state",
                  state_json(run.life_cycle_state, run.result_state,
                             run.state_message),
                  "status",
                  status_json(run.life_cycle_state, run.result_state,
                              run.state_message),
                  "start_time", (json_int_t)run.start_ms, "end_time",
                  (json_int_t)run.end_ms, "run_duration",
                  (json_int_t)(end - run.start_ms));
    if (run.job_id)
        json_object_set_new(j, "job_id", json_integer(run.job_id));
    json_object_set_new(j, "setup_duration", json_integer(0));
    json_object_set_new(j, "execution_duration", json_integer(0));
    json_object_set_new(j, "cleanup_duration", json_integer(0));
    json_object_set_new(j, "job_parameters",
                        parse_or(run.job_parameters_json, json_array()));
    json_object_set_new(j, "repair_history",
                        parse_or(run.repair_history_json, json_array()));
    json_object_set_new(j, "run_page_url",
                        json_sprintf("/#/runs/%lld", (long long)run.run_id));
    if (with_tasks && !jc_store_task_run_list(s, run_id, &trs, &ntr)) {
        tasks = json_array();
        for (i = 0; i < ntr; i++) {
            struct jc_task_run_row *t = &trs[i];
            int64_t tend = t->end_ms ? t->end_ms : jc_now_ms();
            json_t *tj = json_pack(
                "{s:s, s:I, s:i, s:o, s:o, s:I, s:I, s:I, s:I}", "task_key",
                t->task_key ? t->task_key : "", "run_id",
                (json_int_t)t->task_run_id, "attempt_number", t->attempt_number,
                "state",
                state_json(t->life_cycle_state, t->result_state,
                           t->state_message),
                "status",
                status_json(t->life_cycle_state, t->result_state,
                            t->state_message),
                "start_time", (json_int_t)t->start_ms, "end_time",
                (json_int_t)t->end_ms, "execution_duration",
                (json_int_t)(tend - t->start_ms), "run_duration",
                (json_int_t)(tend - t->start_ms));
            json_object_set_new(tj, "setup_duration", json_integer(0));
            json_object_set_new(tj, "cleanup_duration", json_integer(0));
            if (t->repair_id)
                json_object_set_new(tj, "repair_id", json_integer(t->repair_id));
            if (t->resolved_params_json)
                json_object_set_new(tj, "resolved_values",
                                    parse_or(t->resolved_params_json,
                                             json_object()));
            json_object_set_new(
                tj, "x_jobctl",
                json_pack("{s:s, s:i, s:f, s:f, s:I, s:I, s:I, s:f, s:s?, "
                          "s:s?, s:i}",
                          "executor", t->executor ? t->executor : "local",
                          "exit_code", t->exit_code, "cpu_user_s",
                          t->cpu_user_s, "cpu_sys_s", t->cpu_sys_s,
                          "max_rss_kb", (json_int_t)t->max_rss_kb,
                          "read_bytes", (json_int_t)t->read_bytes,
                          "write_bytes", (json_int_t)t->write_bytes, "cost",
                          t->cost, "log_path", t->log_path, "remote_run_id",
                          t->remote_run_id, "pid", t->pid));
            json_array_append_new(tasks, tj);
        }
        json_object_set_new(j, "tasks", tasks);
        jc_task_run_rows_free(trs, ntr);
    }
    jc_run_row_release(&run);
    return j;
}
