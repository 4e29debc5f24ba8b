/*
 * api_runs.c: the jobs/runs/... endpoints: submit, list (page_token paging,
 * filters), get (tasks with one entry per attempt, repair_history),
 * get-output, cancel, cancel-all, repair, delete. Also builds the Run JSON
 * the status page reads.
 */
#include "api/api_int.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "jobctl/store.h"
#include "util/mem.h"

#define OUTPUT_LOG_CAP (1024 * 1024)

static int require_run_id(struct api_ctx *c, json_t *body, int64_t *run_id)
{
    int r = body ? api_json_int64(c, body, "run_id", run_id)
                 : api_query_int64(c, "run_id", run_id);

    if (r < 0)
        return -1;
    if (r == 0) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Missing required field: run_id");
        return -1;
    }
    return 0;
}

/* Arrays of a Run that API 2.2 pages (jobs-api.md 1.1). */
static const char *const run_paged[] = {"tasks", "job_clusters",
                                        "job_parameters", "repair_history",
                                        "iterations", NULL};

/*
 * runs/get. Under /api/2.2 at most API_PAGE_SIZE elements of each big
 * array and a next_page_token; the pages of one token chain show the run
 * as of the first page for its attempt list (attempts started later are
 * left out and their tasks stay the placeholders they were), with each
 * element's state as of the page that carries it.
 */
static void runs_get(struct api_ctx *c)
{
    int64_t run_id;
    bool hist = false;
    json_t *j;
    const char *host = jc_http_header(c->req, "Host");
    char *key;
    char *tok;
    bool terminal;
    struct api_page pg;
    int paged = 0;
    struct jc_run_row r;
    int64_t snap = 0;

    if (!api_method(c, "GET") || require_run_id(c, NULL, &run_id))
        return;
    if (api_query_bool(c, "include_history", &hist) < 0)
        return;
    if (c->is_22 && (paged = api_page_from_query(c, 'r', run_id, &pg)) < 0)
        return;
    /* finished runs of big DAGs are expensive to render: cache them until
     * the store changes (a repair or delete invalidates) */
    tok = c->is_22 ? jc_http_query_get(c->req, "page_token") : NULL;
    key = ju_xasprintf("runs/get?%lld&%d&%d&%s|%s", (long long)run_id,
                       (int)hist, (int)c->is_22, tok ? tok : "",
                       host ? host : "");
    free(tok);
    if (api_cache_serve(c, key)) {
        free(key);
        return;
    }
    if (jc_store_run_get(c->api->store, run_id, &r)) {
        api_run_not_exist(c, run_id);
        free(key);
        return;
    }
    j = api_run_from_row(c, &r, true, hist, paged ? pg.snap : -1, &snap);
    jc_run_row_release(&r);
    if (c->is_22) {
        if (!paged)
            pg.snap = snap;
        api_page_apply(j, j, run_paged, &pg, !paged);
    }
    {
        const char *life = json_string_value(json_object_get(
            json_object_get(j, "state"), "life_cycle_state"));

        terminal = life && jc_life_cycle_terminal(life);
        api_json(c->resp, 200, j);
        if (terminal)
            api_cache_put(c->api, key, ju_buf_str(&c->resp->body),
                          c->resp->body.len, 0);
    }
    free(key);
}

static void runs_list(struct api_ctx *c)
{
    sqlite3 *db = jc_store_db(c->api->store);
    sqlite3_stmt *st = NULL;
    int64_t limit = 20;
    int64_t job_id = 0;
    int64_t from = 0;
    int64_t to = 0;
    int64_t after = 0;
    int64_t offset = 0;
    bool active = false;
    bool completed = false;
    bool expand = false;
    char *run_type = NULL;
    char *tok = NULL;
    struct ju_buf sql = JU_BUF_INIT;
    json_t *runs = NULL;
    json_t *out = NULL;
    int64_t last = 0;
    int got = 0;
    int bind = 1;
    char *cache_key = NULL;
    bool any_active = false;

    if (!api_method(c, "GET"))
        return;
    {
        const char *host = jc_http_header(c->req, "Host");

        cache_key = ju_xasprintf("runs/list?%s|%s|%d",
                                 c->req->query ? c->req->query : "",
                                 host ? host : "", (int)c->is_22);
        if (api_cache_serve(c, cache_key)) {
            free(cache_key);
            return;
        }
    }
    if (api_query_int64(c, "limit", &limit) < 0 ||
        api_query_int64(c, "job_id", &job_id) < 0 ||
        api_query_int64(c, "start_time_from", &from) < 0 ||
        api_query_int64(c, "start_time_to", &to) < 0 ||
        api_query_int64(c, "offset", &offset) < 0 ||
        api_query_bool(c, "active_only", &active) < 0 ||
        api_query_bool(c, "completed_only", &completed) < 0 ||
        api_query_bool(c, "expand_tasks", &expand) < 0)
        goto out;
    if (limit < 1 || limit > 25) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Invalid limit %lld - it has to be between 1 and 25.",
                  (long long)limit);
        goto out;
    }
    if (active && completed) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "active_only and completed_only are mutually exclusive");
        goto out;
    }
    if (offset < 0 || offset > 10000) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "The supplied offset %lld is invalid.", (long long)offset);
        goto out;
    }
    run_type = jc_http_query_get(c->req, "run_type");
    if (run_type && strcmp(run_type, "JOB_RUN") &&
        strcmp(run_type, "WORKFLOW_RUN") && strcmp(run_type, "SUBMIT_RUN")) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "invalid run_type '%s'", run_type);
        goto out;
    }
    tok = jc_http_query_get(c->req, "page_token");
    if (tok) {
        char *end;

        errno = 0;
        after = strtoll(tok, &end, 10);
        if (errno || *end || after <= 0) {
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "invalid page_token");
            goto out;
        }
    }
    ju_buf_adds(&sql, "SELECT run_id FROM runs WHERE 1");
    if (job_id)
        ju_buf_adds(&sql, " AND job_id = ?");
    if (active)
        ju_buf_adds(&sql, " AND life_cycle_state NOT IN ('TERMINATED', "
                          "'SKIPPED', 'INTERNAL_ERROR')");
    if (completed)
        ju_buf_adds(&sql, " AND life_cycle_state IN ('TERMINATED', "
                          "'SKIPPED', 'INTERNAL_ERROR')");
    if (run_type)
        ju_buf_adds(&sql, " AND run_type = ?");
    if (from)
        ju_buf_adds(&sql, " AND start_ms >= ?");
    if (to)
        ju_buf_adds(&sql, " AND start_ms <= ?");
    if (after)
        ju_buf_adds(&sql, " AND run_id < ?");
    ju_buf_adds(&sql, " ORDER BY run_id DESC LIMIT ? OFFSET ?");
    if (sqlite3_prepare_v2(db, ju_buf_str(&sql), -1, &st, NULL) != SQLITE_OK) {
        api_error(c->resp, 500, "INTERNAL_ERROR", "cannot list runs: %s",
                  sqlite3_errmsg(db));
        goto out;
    }
    if (job_id)
        sqlite3_bind_int64(st, bind++, job_id);
    if (run_type)
        sqlite3_bind_text(st, bind++, run_type, -1, SQLITE_STATIC);
    if (from)
        sqlite3_bind_int64(st, bind++, from);
    if (to)
        sqlite3_bind_int64(st, bind++, to);
    if (after)
        sqlite3_bind_int64(st, bind++, after);
    sqlite3_bind_int64(st, bind++, limit + 1);
    sqlite3_bind_int64(st, bind++, after ? 0 : offset);
    runs = json_array();
    out = json_object();
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        struct jc_run_row r;

        if (got == limit) {
            char t[32];

            snprintf(t, sizeof(t), "%lld", (long long)last);
            json_object_set_new(out, "next_page_token", json_string(t));
            break;
        }
        if (jc_store_run_get(c->api->store, id, &r))
            continue;
        {
            json_t *item = api_run_from_row(c, &r, expand, false, -1, NULL);

            /* 2.2: big arrays cut to a page, has_more set (jobs-api 1.1) */
            if (expand && c->is_22 && api_page_truncate(item, run_paged))
                json_object_set_new(item, "has_more", json_true());
            json_array_append_new(runs, item);
        }
        if (!jc_life_cycle_terminal(r.life_cycle_state))
            any_active = true;
        jc_run_row_release(&r);
        last = id;
        got++;
    }
    sqlite3_finalize(st);
    json_object_set_new(out, "has_more",
                        json_boolean(json_object_get(out, "next_page_token")));
    if (after) {
        /* the token of the page before is not tracked: restart at the top */
        json_object_set_new(out, "prev_page_token", json_string(""));
        json_object_del(out, "prev_page_token");
    }
    if (json_array_size(runs))
        json_object_set(out, "runs", runs);
    api_json(c->resp, 200, out);
    out = NULL;
    /* active runs show a growing run_duration: cache them briefly only */
    api_cache_put(c->api, cache_key, ju_buf_str(&c->resp->body),
                  c->resp->body.len, any_active ? 250 : 0);
out:
    free(cache_key);
    json_decref(runs);
    json_decref(out);
    ju_buf_release(&sql);
    free(run_type);
    free(tok);
}

static char *read_tail(const char *path, size_t cap, bool *truncated)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    char *buf;
    ssize_t n;
    off_t start = 0;

    *truncated = false;
    if (fd < 0)
        return NULL;
    if (fstat(fd, &sb)) {
        close(fd);
        return NULL;
    }
    if ((size_t)sb.st_size > cap) {
        start = sb.st_size - (off_t)cap;
        *truncated = true;
    }
    buf = ju_xmalloc(cap + 1);
    n = pread(fd, buf, cap, start);
    close(fd);
    if (n < 0)
        n = 0;
    buf[n] = '\0';
    return buf;
}

static void runs_get_output(struct api_ctx *c)
{
    struct jc_task_run_row t;
    struct jc_run_row r;
    int64_t id;
    json_t *out;
    json_t *meta;
    bool found = false;

    if (!api_method(c, "GET") || require_run_id(c, NULL, &id))
        return;
    memset(&t, 0, sizeof(t));
    if (!jc_store_task_run_get(c->api->store, id, &t)) {
        found = true;
    } else if (!jc_store_run_get(c->api->store, id, &r)) {
        struct jc_task_run_row *rows = NULL;
        size_t n = 0;
        size_t i;
        size_t nkeys = 0;
        const char *k0 = NULL;

        jc_store_task_run_list(c->api->store, id, &rows, &n);
        for (i = 0; i < n; i++)
            if (!k0 || strcmp(k0, rows[i].task_key)) {
                if (!k0)
                    nkeys = 1;
                else
                    nkeys++;
                k0 = rows[i].task_key;
            }
        jc_run_row_release(&r);
        if (nkeys != 1) {
            jc_task_run_rows_free(rows, n);
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "Retrieving the output of runs with multiple tasks is "
                      "not supported. Please retrieve the output of each "
                      "individual task run instead.");
            return;
        }
        jc_store_task_run_get(c->api->store, rows[n - 1].task_run_id, &t);
        jc_task_run_rows_free(rows, n);
        found = true;
    }
    if (!found) {
        api_run_not_exist(c, id);
        return;
    }
    meta = api_run_json(c, t.run_id, false, false);
    if (!meta) {
        jc_task_run_row_release(&t);
        return;
    }
    /* metadata is the task run itself, as in Databricks */
    json_object_set_new(meta, "task_key", json_string(t.task_key));
    json_object_set_new(meta, "run_id", json_integer(t.task_run_id));
    json_object_set_new(meta, "job_run_id", json_integer(t.run_id));
    json_object_set_new(meta, "attempt_number",
                        json_integer(t.attempt_number));
    json_object_set_new(meta, "state", api_state_v1(t.life_cycle_state,
                                                t.result_state,
                                                t.state_message));
    json_object_set_new(meta, "status", api_status_v2(t.life_cycle_state,
                                                  t.result_state,
                                                  t.state_message));
    json_object_set_new(meta, "start_time", json_integer(t.start_ms));
    json_object_set_new(meta, "end_time", json_integer(t.end_ms));
    out = json_pack("{s:o}", "metadata", meta);
    if (t.log_path) {
        bool trunc;
        char *log = read_tail(t.log_path, OUTPUT_LOG_CAP, &trunc);

        if (log) {
            json_object_set_new(out, "logs", json_stringn_nocheck(log,
                                                                  strlen(log)));
            if (!json_object_get(out, "logs"))
                json_object_set_new(out, "logs", json_string(""));
            json_object_set_new(out, "logs_truncated", json_boolean(trunc));
            free(log);
        }
    }
    if (t.result_state && strcmp(t.result_state, "SUCCESS") &&
        t.state_message && *t.state_message)
        json_object_set_new(out, "error", json_string(t.state_message));
    {
        struct jc_task_value *vals = NULL;
        size_t n = 0;
        size_t i;
        json_t *tv = json_object();

        if (!jc_store_task_value_list(c->api->store, t.run_id, &vals, &n))
            for (i = 0; i < n; i++)
                if (!strcmp(vals[i].task_key, t.task_key))
                    json_object_set_new(tv, vals[i].key,
                                        json_string(vals[i].value));
        jc_task_values_free(vals, n);
        if (json_object_size(tv)) {
            char *s = json_dumps(tv, JSON_COMPACT);

            json_object_set_new(out, "notebook_output",
                                json_pack("{s:s, s:b}", "result", s ? s : "",
                                          "truncated", 0));
            free(s);
        }
        json_decref(tv);
    }
    jc_task_run_row_release(&t);
    api_json(c->resp, 200, out);
}

static void runs_cancel(struct api_ctx *c)
{
    json_t *body;
    int64_t run_id;
    struct jc_run_row r;
    int rc;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (require_run_id(c, body, &run_id))
        goto out;
    if (jc_store_run_get(c->api->store, run_id, &r)) {
        struct jc_task_run_row t;

        /* a task run id cancels its job run */
        if (jc_store_task_run_get(c->api->store, run_id, &t)) {
            api_run_not_exist(c, run_id);
            goto out;
        }
        run_id = t.run_id;
        jc_task_run_row_release(&t);
    } else {
        jc_run_row_release(&r);
    }
    if (!c->api->be.cancel) {
        api_error(c->resp, 501, "NOT_IMPLEMENTED", "no run engine attached");
        goto out;
    }
    rc = c->api->be.cancel(c->api->be.ud, run_id);
    if (rc)
        api_error_rc(c->resp, rc);
    else
        api_json(c->resp, 200, json_object());
out:
    json_decref(body);
}

static void runs_cancel_all(struct api_ctx *c)
{
    json_t *body;
    int64_t job_id = 0;
    int r;
    int rc;
    bool all_queued;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    r = api_json_int64(c, body, "job_id", &job_id);
    all_queued = json_is_true(json_object_get(body, "all_queued_runs"));
    if (r < 0)
        goto out;
    if (r == 0 && !all_queued) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "job_id or all_queued_runs is required");
        goto out;
    }
    if (job_id) {
        json_t *j = api_job_json(c->api, job_id);

        if (!j) {
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "Job %lld does not exist.", (long long)job_id);
            goto out;
        }
        json_decref(j);
    }
    if (!c->api->be.cancel_all) {
        api_error(c->resp, 501, "NOT_IMPLEMENTED", "no run engine attached");
        goto out;
    }
    rc = c->api->be.cancel_all(c->api->be.ud, job_id, all_queued);
    if (rc)
        api_error_rc(c->resp, rc);
    else
        api_json(c->resp, 200, json_object());
out:
    json_decref(body);
}

static void runs_repair(struct api_ctx *c)
{
    json_t *body;
    json_t *tasks;
    int64_t run_id;
    int64_t latest = 0;
    int64_t repair_id = 0;
    struct jc_run_row r;
    const char **keys = NULL;
    size_t nkeys = 0;
    size_t i;
    size_t k;
    bool all_failed;
    bool dependent;
    int lr;
    int rc;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (require_run_id(c, body, &run_id))
        goto out;
    if (jc_store_run_get(c->api->store, run_id, &r)) {
        api_run_not_exist(c, run_id);
        goto out;
    }
    tasks = json_object_get(body, "rerun_tasks");
    all_failed = json_is_true(json_object_get(body, "rerun_all_failed_tasks"));
    dependent = json_is_true(json_object_get(body, "rerun_dependent_tasks"));
    lr = api_json_int64(c, body, "latest_repair_id", &latest);
    if (lr < 0)
        goto out_row;
    if (!jc_life_cycle_terminal(r.life_cycle_state)) {
        api_error(c->resp, 400, "INVALID_STATE",
                  "Run %lld is still active; only finished runs can be "
                  "repaired.", (long long)run_id);
        goto out_row;
    }
    if (tasks && !json_is_array(tasks)) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "rerun_tasks must be an array of task keys");
        goto out_row;
    }
    if (json_array_size(tasks) && all_failed) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "rerun_tasks and rerun_all_failed_tasks are mutually "
                  "exclusive");
        goto out_row;
    }
    if (r.repair_count > 0 && lr == 0) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "latest_repair_id is required: run %lld was already "
                  "repaired", (long long)run_id);
        goto out_row;
    }
    if (lr == 1) {
        json_t *h = api_json_parse_or(r.repair_history_json, json_array());
        json_t *e;
        int64_t last = 0;

        json_array_foreach(h, i, e) {
            json_t *idv = json_object_get(e, "id");

            if (json_is_integer(idv))
                last = json_integer_value(idv);
        }
        json_decref(h);
        if (latest != last) {
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "latest_repair_id %lld is not the latest repair of "
                      "run %lld", (long long)latest, (long long)run_id);
            goto out_row;
        }
    }
    nkeys = json_array_size(tasks);
    keys = ju_xcalloc(nkeys + 1, sizeof(*keys));
    for (i = 0; i < nkeys; i++) {
        keys[i] = json_string_value(json_array_get(tasks, i));
        if (!keys[i]) {
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "rerun_tasks must be an array of task keys");
            goto out_keys;
        }
        for (k = 0; k < i; k++)
            if (!strcmp(keys[k], keys[i])) {
                api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                          "rerun_tasks cannot contain duplicate task keys");
                goto out_keys;
            }
    }
    if (!c->api->be.repair) {
        api_error(c->resp, 501, "NOT_IMPLEMENTED", "no run engine attached");
        goto out_keys;
    }
    rc = c->api->be.repair(c->api->be.ud, run_id, nkeys ? keys : NULL, nkeys,
                           all_failed, dependent,
                           json_object_get(body, "job_parameters"),
                           &repair_id);
    if (rc)
        api_error_rc(c->resp, rc);
    else
        api_json(c->resp, 200, json_pack("{s:I}", "repair_id",
                                         (json_int_t)repair_id));
out_keys:
    free(keys);
out_row:
    jc_run_row_release(&r);
out:
    json_decref(body);
}

static void runs_submit(struct api_ctx *c)
{
    json_t *body;
    int64_t run_id = 0;
    const char *token;
    int rc;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (!json_is_array(json_object_get(body, "tasks")) ||
        !json_array_size(json_object_get(body, "tasks"))) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "runs/submit needs a non-empty 'tasks' array");
        goto out;
    }
    token = json_string_value(json_object_get(body, "idempotency_token"));
    if (token && strlen(token) > 64) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "idempotency_token must be at most 64 characters");
        goto out;
    }
    if (token && *token &&
        !jc_store_run_find_token(c->api->store, token, &run_id)) {
        api_json(c->resp, 200, json_pack("{s:I}", "run_id",
                                         (json_int_t)run_id));
        goto out;
    }
    if (!c->api->be.submit) {
        api_error(c->resp, 501, "NOT_IMPLEMENTED", "no run engine attached");
        goto out;
    }
    rc = c->api->be.submit(c->api->be.ud, body, token && *token ? token : NULL,
                           &run_id);
    if (rc)
        api_error_rc(c->resp, rc);
    else
        api_json(c->resp, 200, json_pack("{s:I}", "run_id",
                                         (json_int_t)run_id));
out:
    json_decref(body);
}

static void runs_delete(struct api_ctx *c)
{
    json_t *body;
    int64_t run_id;
    struct jc_run_row r;
    int rc;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (require_run_id(c, body, &run_id))
        goto out;
    if (jc_store_run_get(c->api->store, run_id, &r)) {
        api_run_not_exist(c, run_id);
        goto out;
    }
    if (!jc_life_cycle_terminal(r.life_cycle_state)) {
        jc_run_row_release(&r);
        api_error(c->resp, 400, "INVALID_STATE",
                  "Run %lld is active and cannot be deleted.",
                  (long long)run_id);
        goto out;
    }
    jc_run_row_release(&r);
    /* task runs and values go with ON DELETE CASCADE; a run deleted
     * meanwhile by another process is gone all the same */
    rc = jc_store_run_delete(c->api->store, run_id);
    if (rc && rc != JC_ENOTFOUND)
        api_error(c->resp, 500, "INTERNAL_ERROR", "cannot delete run: %s",
                  jc_err_last());
    else
        api_json(c->resp, 200, json_object());
out:
    json_decref(body);
}

void api_runs_dispatch(struct api_ctx *c)
{
    const char *e = c->endpoint + 5;

    if (!strcmp(e, "list"))
        runs_list(c);
    else if (!strcmp(e, "get"))
        runs_get(c);
    else if (!strcmp(e, "get-output"))
        runs_get_output(c);
    else if (!strcmp(e, "submit"))
        runs_submit(c);
    else if (!strcmp(e, "cancel"))
        runs_cancel(c);
    else if (!strcmp(e, "cancel-all"))
        runs_cancel_all(c);
    else if (!strcmp(e, "repair"))
        runs_repair(c);
    else if (!strcmp(e, "delete"))
        runs_delete(c);
    else
        api_error(c->resp, 404, "ENDPOINT_NOT_FOUND",
                  "no API found for '%s %s'", c->req->method, c->req->path);
}
