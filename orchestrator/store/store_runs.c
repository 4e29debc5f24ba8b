/*
 * store_runs.c: runs, task runs (attempts), task values and events in the
 * SQLite store. Hot statements (attempt insert/update, events, values) are
 * prepared once and cached in struct jc_store.
 */
#include "jobctl/store.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "store/store_int.h"
#include "util/mem.h"

static int db_err(struct jc_store *s, const char *what)
{
    return jc_err_set(JC_EIO, "sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? ju_xstrdup((const char *)t) : NULL;
}

static void bind_str(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static sqlite3_stmt *cached(struct jc_store *s, enum jc_stmt_id id,
                            const char *sql)
{
    if (!s->stmts[id]) {
        if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                               &s->stmts[id], NULL) != SQLITE_OK) {
            s->stmts[id] = NULL;
            return NULL;
        }
    } else {
        sqlite3_reset(s->stmts[id]);
        sqlite3_clear_bindings(s->stmts[id]);
    }
    return s->stmts[id];
}

static int step_done(struct jc_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, what);
}

bool jc_life_cycle_terminal(const char *life)
{
    return life && (!strcmp(life, "TERMINATED") || !strcmp(life, "SKIPPED") ||
                    !strcmp(life, "INTERNAL_ERROR"));
}

/* ---- runs ---- */

/*
 * Job runs and task runs share one id space, like Databricks run ids: the
 * next id is above both AUTOINCREMENT sequences (writers are serialised by
 * SQLite's write lock, and an explicit rowid advances the sequence).
 */
#define NEXT_ID                                                                \
    "(SELECT coalesce(max(seq), 0) + 1 FROM sqlite_sequence WHERE name IN "    \
    "('runs', 'task_runs'))"

#define RUN_COLS                                                               \
    "run_id, job_id, run_name, run_type, trigger, life_cycle_state, "          \
    "result_state, state_message, start_ms, end_ms, job_parameters_json, "     \
    "repair_history_json, settings_json, idempotency_token, workspace, "       \
    "repair_count, owner_pid, owner_start, owner_boot_id"

static void run_from_row(sqlite3_stmt *st, struct jc_run_row *r)
{
    r->run_id = sqlite3_column_int64(st, 0);
    r->job_id = sqlite3_column_int64(st, 1);
    r->run_name = col_str(st, 2);
    r->run_type = col_str(st, 3);
    r->trigger = col_str(st, 4);
    r->life_cycle_state = col_str(st, 5);
    r->result_state = col_str(st, 6);
    r->state_message = col_str(st, 7);
    r->start_ms = sqlite3_column_int64(st, 8);
    r->end_ms = sqlite3_column_int64(st, 9);
    r->job_parameters_json = col_str(st, 10);
    r->repair_history_json = col_str(st, 11);
    r->settings_json = col_str(st, 12);
    r->idempotency_token = col_str(st, 13);
    r->workspace = col_str(st, 14);
    r->repair_count = sqlite3_column_int64(st, 15);
    r->owner_pid = sqlite3_column_int(st, 16);
    r->owner_start = sqlite3_column_int64(st, 17);
    r->owner_boot_id = col_str(st, 18);
}

static void bind_run(sqlite3_stmt *st, const struct jc_run_row *r)
{
    if (r->job_id > 0)
        sqlite3_bind_int64(st, 2, r->job_id);
    else
        sqlite3_bind_null(st, 2);
    bind_str(st, 3, r->run_name);
    bind_str(st, 4, r->run_type ? r->run_type : "JOB_RUN");
    bind_str(st, 5, r->trigger ? r->trigger : "ONE_TIME");
    bind_str(st, 6, r->life_cycle_state ? r->life_cycle_state : "PENDING");
    bind_str(st, 7, r->result_state);
    bind_str(st, 8, r->state_message ? r->state_message : "");
    sqlite3_bind_int64(st, 9, r->start_ms);
    sqlite3_bind_int64(st, 10, r->end_ms);
    bind_str(st, 11, r->job_parameters_json ? r->job_parameters_json : "[]");
    bind_str(st, 12, r->repair_history_json ? r->repair_history_json : "[]");
    bind_str(st, 13, r->settings_json);
    bind_str(st, 14, r->idempotency_token);
    bind_str(st, 15, r->workspace);
    sqlite3_bind_int64(st, 16, r->repair_count);
    sqlite3_bind_int(st, 17, r->owner_pid);
    sqlite3_bind_int64(st, 18, r->owner_start);
    bind_str(st, 19, r->owner_boot_id);
}

int jc_store_run_insert(struct jc_store *s, struct jc_run_row *r)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO runs (" RUN_COLS ") VALUES (" NEXT_ID
                           ", ?2, ?3, "
                           "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                           "?15, ?16, ?17, ?18, ?19)",
                           -1, &st, NULL))
        return db_err(s, "run insert");
    if (r->owner_pid <= 0) {
        char bid[64];

        jc_store_self_owner(&r->owner_pid, &r->owner_start, bid, sizeof(bid));
        free(r->owner_boot_id);
        r->owner_boot_id = ju_xstrdup(bid);
    }
    sqlite3_bind_null(st, 1);
    bind_run(st, r);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_CONSTRAINT)
        return jc_err_set(JC_EEXIST, "a run with idempotency token '%s' exists",
                          r->idempotency_token ? r->idempotency_token : "");
    if (rc != SQLITE_DONE)
        return db_err(s, "run insert");
    r->run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int jc_store_run_update(struct jc_store *s, const struct jc_run_row *r)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET job_id = ?2, run_name = ?3, "
                           "run_type = ?4, trigger = ?5, life_cycle_state = ?6, "
                           "result_state = ?7, state_message = ?8, "
                           "start_ms = ?9, end_ms = ?10, "
                           "job_parameters_json = ?11, "
                           "repair_history_json = ?12, settings_json = ?13, "
                           "idempotency_token = ?14, workspace = ?15, "
                           "repair_count = ?16, owner_pid = ?17, "
                           "owner_start = ?18, owner_boot_id = ?19 "
                           "WHERE run_id = ?1",
                           -1, &st, NULL))
        return db_err(s, "run update");
    sqlite3_bind_int64(st, 1, r->run_id);
    bind_run(st, r);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, "run update");
}

int jc_store_run_set_state(struct jc_store *s, int64_t run_id,
                           const char *life, const char *result,
                           const char *msg, int64_t end_ms)
{
    sqlite3_stmt *st = cached(s, ST_RUN_SET_STATE,
                              "UPDATE runs SET life_cycle_state = ?2, "
                              "result_state = ?3, state_message = "
                              "coalesce(?4, state_message), end_ms = ?5 "
                              "WHERE run_id = ?1");

    if (!st)
        return db_err(s, "run state");
    sqlite3_bind_int64(st, 1, run_id);
    bind_str(st, 2, life);
    bind_str(st, 3, result);
    bind_str(st, 4, msg);
    sqlite3_bind_int64(st, 5, end_ms);
    return step_done(s, st, "run state");
}

int jc_store_run_get(struct jc_store *s, int64_t run_id, struct jc_run_row *out)
{
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(s->db, "SELECT " RUN_COLS " FROM runs WHERE run_id = ?",
                           -1, &st, NULL))
        return db_err(s, "run get");
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        run_from_row(st, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = jc_err_set(JC_ENOTFOUND, "run %lld not found", (long long)run_id);
    } else {
        rc = db_err(s, "run get");
    }
    sqlite3_finalize(st);
    return rc;
}

int jc_store_run_list(struct jc_store *s, const struct jc_run_filter *f,
                      struct jc_run_row **rows, size_t *n)
{
    sqlite3_stmt *st;
    size_t alloc = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(
            s->db,
            "SELECT " RUN_COLS " FROM runs WHERE (?1 = 0 OR job_id = ?1) AND "
            "(?2 = 0 OR life_cycle_state NOT IN ('TERMINATED', 'SKIPPED', "
            "'INTERNAL_ERROR')) ORDER BY run_id DESC LIMIT ?3 OFFSET ?4",
            -1, &st, NULL))
        return db_err(s, "run list");
    sqlite3_bind_int64(st, 1, f ? f->job_id : 0);
    sqlite3_bind_int(st, 2, f && f->active_only);
    sqlite3_bind_int64(st, 3, (f && f->limit) ? (int64_t)f->limit : 25);
    sqlite3_bind_int64(st, 4, f ? (int64_t)f->offset : 0);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        JU_ALLOC_GROW(*rows, *n + 1, alloc);
        memset(&(*rows)[*n], 0, sizeof(**rows));
        run_from_row(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, "run list");
}

int jc_store_run_find_token(struct jc_store *s, const char *token,
                            int64_t *run_id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "SELECT run_id FROM runs WHERE idempotency_token = ?",
                           -1, &st, NULL))
        return db_err(s, "run token");
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        rc = 0;
    } else {
        rc = JC_ENOTFOUND;
    }
    sqlite3_finalize(st);
    return rc;
}

int jc_store_run_request_cancel(struct jc_store *s, int64_t run_id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db,
                           "UPDATE runs SET cancel_requested = 1 WHERE "
                           "run_id = ?",
                           -1, &st, NULL))
        return db_err(s, "run cancel");
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, "run cancel");
    if (!sqlite3_changes(s->db))
        return jc_err_set(JC_ENOTFOUND, "run %lld not found",
                          (long long)run_id);
    return jc_store_event_add(s, run_id, NULL, "run.cancel_requested", "");
}

int jc_store_run_cancel_requested(struct jc_store *s, int64_t run_id)
{
    sqlite3_stmt *st = cached(s, ST_CANCEL_Q,
                              "SELECT cancel_requested FROM runs WHERE "
                              "run_id = ?");
    int rc, v = 0;

    if (!st)
        return db_err(s, "run cancel query");
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_err(s, "run cancel query");
    return v ? 1 : 0;
}

int jc_store_run_delete(struct jc_store *s, int64_t run_id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db, "DELETE FROM runs WHERE run_id = ?", -1, &st,
                           NULL))
        return db_err(s, "run delete");
    sqlite3_bind_int64(st, 1, run_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, "run delete");
    if (!sqlite3_changes(s->db))
        return jc_err_set(JC_ENOTFOUND, "run %lld not found",
                          (long long)run_id);
    return 0;
}

void jc_run_row_release(struct jc_run_row *r)
{
    if (!r)
        return;
    free(r->run_name);
    free(r->run_type);
    free(r->trigger);
    free(r->life_cycle_state);
    free(r->result_state);
    free(r->state_message);
    free(r->job_parameters_json);
    free(r->repair_history_json);
    free(r->settings_json);
    free(r->idempotency_token);
    free(r->workspace);
    free(r->owner_boot_id);
    memset(r, 0, sizeof(*r));
}

void jc_run_rows_free(struct jc_run_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        jc_run_row_release(&rows[i]);
    free(rows);
}

/* ---- task runs ---- */

#define TR_COLS                                                                \
    "task_run_id, run_id, task_key, attempt_number, repair_id, "               \
    "life_cycle_state, result_state, state_message, start_ms, end_ms, "        \
    "exit_code, executor, remote_run_id, log_path, cpu_user_s, cpu_sys_s, "    \
    "max_rss_kb, read_bytes, write_bytes, cost, resolved_params_json, pid, "   \
    "pgid"

static void bind_tr(sqlite3_stmt *st, const struct jc_task_run_row *r)
{
    sqlite3_bind_int64(st, 2, r->run_id);
    bind_str(st, 3, r->task_key);
    sqlite3_bind_int(st, 4, r->attempt_number);
    sqlite3_bind_int64(st, 5, r->repair_id);
    bind_str(st, 6, r->life_cycle_state ? r->life_cycle_state : "PENDING");
    bind_str(st, 7, r->result_state);
    bind_str(st, 8, r->state_message ? r->state_message : "");
    sqlite3_bind_int64(st, 9, r->start_ms);
    sqlite3_bind_int64(st, 10, r->end_ms);
    sqlite3_bind_int(st, 11, r->exit_code);
    bind_str(st, 12, r->executor ? r->executor : "local");
    bind_str(st, 13, r->remote_run_id);
    bind_str(st, 14, r->log_path);
    sqlite3_bind_double(st, 15, r->cpu_user_s);
    sqlite3_bind_double(st, 16, r->cpu_sys_s);
    sqlite3_bind_int64(st, 17, r->max_rss_kb);
    sqlite3_bind_int64(st, 18, r->read_bytes);
    sqlite3_bind_int64(st, 19, r->write_bytes);
    sqlite3_bind_double(st, 20, r->cost);
    bind_str(st, 21, r->resolved_params_json);
    sqlite3_bind_int(st, 22, r->pid);
    sqlite3_bind_int(st, 23, r->pgid);
}

int jc_store_task_run_insert(struct jc_store *s, struct jc_task_run_row *r)
{
    sqlite3_stmt *st = cached(s, ST_TASK_RUN_INSERT,
                              "INSERT INTO task_runs (" TR_COLS ") VALUES "
                              "(" NEXT_ID ", ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
                              "?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
                              "?21, ?22, ?23)");
    int rc;

    if (!st)
        return db_err(s, "task run insert");
    sqlite3_bind_null(st, 1);
    bind_tr(st, r);
    if ((rc = step_done(s, st, "task run insert")))
        return rc;
    r->task_run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int jc_store_task_run_update(struct jc_store *s, const struct jc_task_run_row *r)
{
    sqlite3_stmt *st = cached(
        s, ST_TASK_RUN_UPDATE,
        /* run_id, task_key, attempt_number (?2-?4) are the attempt's
         * identity and indexed: never rewritten. */
        "UPDATE task_runs SET "
        "repair_id = ?5, life_cycle_state = ?6, result_state = ?7, "
        "state_message = ?8, start_ms = ?9, end_ms = ?10, exit_code = ?11, "
        "executor = ?12, remote_run_id = ?13, log_path = ?14, "
        "cpu_user_s = ?15, cpu_sys_s = ?16, max_rss_kb = ?17, "
        "read_bytes = ?18, write_bytes = ?19, cost = ?20, "
        "resolved_params_json = ?21, pid = ?22, pgid = ?23 "
        "WHERE task_run_id = ?1");

    if (!st)
        return db_err(s, "task run update");
    sqlite3_bind_int64(st, 1, r->task_run_id);
    bind_tr(st, r);
    return step_done(s, st, "task run update");
}

static void tr_from_row(sqlite3_stmt *st, struct jc_task_run_row *r)
{
    r->task_run_id = sqlite3_column_int64(st, 0);
    r->run_id = sqlite3_column_int64(st, 1);
    r->task_key = col_str(st, 2);
    r->attempt_number = sqlite3_column_int(st, 3);
    r->repair_id = sqlite3_column_int64(st, 4);
    r->life_cycle_state = col_str(st, 5);
    r->result_state = col_str(st, 6);
    r->state_message = col_str(st, 7);
    r->start_ms = sqlite3_column_int64(st, 8);
    r->end_ms = sqlite3_column_int64(st, 9);
    r->exit_code = sqlite3_column_int(st, 10);
    r->executor = col_str(st, 11);
    r->remote_run_id = col_str(st, 12);
    r->log_path = col_str(st, 13);
    r->cpu_user_s = sqlite3_column_double(st, 14);
    r->cpu_sys_s = sqlite3_column_double(st, 15);
    r->max_rss_kb = sqlite3_column_int64(st, 16);
    r->read_bytes = sqlite3_column_int64(st, 17);
    r->write_bytes = sqlite3_column_int64(st, 18);
    r->cost = sqlite3_column_double(st, 19);
    r->resolved_params_json = col_str(st, 20);
    r->pid = sqlite3_column_int(st, 21);
    r->pgid = sqlite3_column_int(st, 22);
}

int jc_store_task_run_get(struct jc_store *s, int64_t task_run_id,
                          struct jc_task_run_row *out)
{
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " TR_COLS " FROM task_runs WHERE task_run_id = ?",
                           -1, &st, NULL))
        return db_err(s, "task run get");
    sqlite3_bind_int64(st, 1, task_run_id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        tr_from_row(st, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = jc_err_set(JC_ENOTFOUND, "task run %lld not found",
                        (long long)task_run_id);
    } else {
        rc = db_err(s, "task run get");
    }
    sqlite3_finalize(st);
    return rc;
}

int jc_store_task_run_list(struct jc_store *s, int64_t run_id,
                           struct jc_task_run_row **rows, size_t *n)
{
    sqlite3_stmt *st;
    size_t alloc = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " TR_COLS " FROM task_runs WHERE run_id = ? "
                           "ORDER BY task_run_id",
                           -1, &st, NULL))
        return db_err(s, "task run list");
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        JU_ALLOC_GROW(*rows, *n + 1, alloc);
        memset(&(*rows)[*n], 0, sizeof(**rows));
        tr_from_row(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, "task run list");
}

void jc_task_run_row_release(struct jc_task_run_row *r)
{
    if (!r)
        return;
    free(r->task_key);
    free(r->life_cycle_state);
    free(r->result_state);
    free(r->state_message);
    free(r->executor);
    free(r->remote_run_id);
    free(r->log_path);
    free(r->resolved_params_json);
    memset(r, 0, sizeof(*r));
}

void jc_task_run_rows_free(struct jc_task_run_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        jc_task_run_row_release(&rows[i]);
    free(rows);
}

/* ---- task values ---- */

int jc_store_task_value_set(struct jc_store *s, int64_t run_id,
                            const char *task_key, int attempt,
                            const char *key, const char *value)
{
    sqlite3_stmt *st = cached(s, ST_TV_SET,
                              "INSERT OR REPLACE INTO task_values (run_id, "
                              "task_key, attempt, key, value, set_ms) VALUES "
                              "(?1, ?2, ?3, ?4, ?5, ?6)");

    if (!st)
        return db_err(s, "task value set");
    sqlite3_bind_int64(st, 1, run_id);
    bind_str(st, 2, task_key);
    sqlite3_bind_int(st, 3, attempt);
    bind_str(st, 4, key);
    bind_str(st, 5, value);
    sqlite3_bind_int64(st, 6, jc_now_ms());
    return step_done(s, st, "task value set");
}

int jc_store_task_value_get(struct jc_store *s, int64_t run_id,
                            const char *task_key, const char *key, char **out)
{
    sqlite3_stmt *st;
    int rc;

    *out = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT value FROM task_values WHERE run_id = ? AND "
                           "task_key = ? AND key = ? ORDER BY attempt DESC "
                           "LIMIT 1",
                           -1, &st, NULL))
        return db_err(s, "task value get");
    sqlite3_bind_int64(st, 1, run_id);
    bind_str(st, 2, task_key);
    bind_str(st, 3, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = col_str(st, 0);
        rc = 0;
    } else {
        rc = JC_ENOTFOUND;
    }
    sqlite3_finalize(st);
    return rc;
}

int jc_store_task_value_list(struct jc_store *s, int64_t run_id,
                             struct jc_task_value **vals, size_t *n)
{
    sqlite3_stmt *st;
    size_t alloc = 0;
    int rc;

    *vals = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT task_key, key, value, max(attempt) FROM "
                           "task_values WHERE run_id = ? GROUP BY task_key, key "
                           "ORDER BY task_key, key",
                           -1, &st, NULL))
        return db_err(s, "task value list");
    sqlite3_bind_int64(st, 1, run_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct jc_task_value *v;

        JU_ALLOC_GROW(*vals, *n + 1, alloc);
        v = &(*vals)[(*n)++];
        v->task_key = col_str(st, 0);
        v->key = col_str(st, 1);
        v->value = col_str(st, 2);
        v->attempt = sqlite3_column_int(st, 3);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, "task value list");
}

void jc_task_values_free(struct jc_task_value *vals, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(vals[i].task_key);
        free(vals[i].key);
        free(vals[i].value);
    }
    free(vals);
}

/* ---- events ---- */

int jc_store_event_add(struct jc_store *s, int64_t run_id, const char *task_key,
                       const char *type, const char *message)
{
    sqlite3_stmt *st = cached(s, ST_EVENT_ADD,
                              "INSERT INTO events (ts_ms, run_id, task_key, "
                              "type, message) VALUES (?1, ?2, ?3, ?4, ?5)");

    if (!st)
        return db_err(s, "event add");
    sqlite3_bind_int64(st, 1, jc_now_ms());
    if (run_id > 0)
        sqlite3_bind_int64(st, 2, run_id);
    else
        sqlite3_bind_null(st, 2);
    bind_str(st, 3, task_key);
    bind_str(st, 4, type);
    bind_str(st, 5, message ? message : "");
    return step_done(s, st, "event add");
}

int jc_store_event_list(struct jc_store *s, int64_t run_id, int64_t after_id,
                        size_t limit, struct jc_event_row **rows, size_t *n)
{
    sqlite3_stmt *st;
    size_t alloc = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT event_id, ts_ms, run_id, task_key, type, "
                           "message FROM events WHERE (?1 = 0 OR run_id = ?1) "
                           "AND event_id > ?2 ORDER BY event_id LIMIT ?3",
                           -1, &st, NULL))
        return db_err(s, "event list");
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 1000);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct jc_event_row *e;

        JU_ALLOC_GROW(*rows, *n + 1, alloc);
        e = &(*rows)[(*n)++];
        e->event_id = sqlite3_column_int64(st, 0);
        e->ts_ms = sqlite3_column_int64(st, 1);
        e->run_id = sqlite3_column_int64(st, 2);
        e->task_key = col_str(st, 3);
        e->type = col_str(st, 4);
        e->message = col_str(st, 5);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, "event list");
}

void jc_event_rows_free(struct jc_event_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(rows[i].task_key);
        free(rows[i].type);
        free(rows[i].message);
    }
    free(rows);
}
