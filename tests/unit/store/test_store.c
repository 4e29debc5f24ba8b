/*
 * test_store.c: the SQLite store: embedded migrations identical to
 * migrations/NNNN_*.sql, WAL mode, jobs/runs/attempts/values/events round
 * trips, run ids never reused, idempotency tokens, cancel requests and
 * settling of runs whose owner process died (its task group is killed).
 */
#include "testsupport.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "jobctl/store.h"
#include "store/store_int.h"

static void test_store_migrations_match_sql_files(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < jc_nmigrations; i++) {
        char path[1024];
        char *text;

        snprintf(path, sizeof(path), "%s/orchestrator/store/migrations/%s",
                 jt_source_dir(), jc_migrations[i].name);
        text = jt_read_file(path, NULL);
        assert_non_null(text);
        if (strcmp(text, jc_migrations[i].sql))
            fail_msg("migrations.c differs from %s", path);
        free(text);
    }
}

static void test_store_open_migrates_and_uses_wal(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *s;
    sqlite3_stmt *st;

    (void)state;
    assert_int_equal(jc_store_open(&s, home), 0);
    assert_int_equal(jc_store_schema_version(s), jc_store_schema_latest());
    assert_int_equal(sqlite3_prepare_v2(jc_store_db(s), "PRAGMA journal_mode",
                                        -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    jc_store_close(s);
    /* Reopen: no migration re-run. */
    assert_int_equal(jc_store_open(&s, home), 0);
    jc_store_close(s);
    jt_rmtree(home);
    free(home);
}

static void test_store_runs_attempts_values_events(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *s;
    struct jc_run_row r, got;
    struct jc_task_run_row tr, *trs;
    struct jc_task_value *vals;
    struct jc_event_row *ev;
    int64_t job_id = 0, id2 = 0, first;
    size_t n;
    char *v;

    (void)state;
    assert_int_equal(jc_store_open(&s, home), 0);
    assert_int_equal(jc_store_job_put(s, &job_id, "j", "{\"name\":\"j\"}", "/x/j.json"), 0);
    assert_true(job_id > 0);
    assert_int_equal(jc_store_job_put(s, &id2, "j", "{}", "/x/j.json"), 0);
    assert_int_equal(id2, job_id);
    memset(&r, 0, sizeof(r));
    r.job_id = job_id;
    r.run_name = (char *)"j";
    r.life_cycle_state = (char *)"RUNNING";
    r.start_ms = 1000;
    r.idempotency_token = (char *)"tok";
    assert_int_equal(jc_store_run_insert(s, &r), 0);
    free(r.owner_boot_id);
    first = r.run_id;
    assert_int_equal(r.owner_pid, getpid());
    r.owner_pid = 0;
    r.owner_boot_id = NULL;
    assert_int_equal(jc_store_run_insert(s, &r), JC_EEXIST);
    free(r.owner_boot_id);
    assert_int_equal(jc_store_run_find_token(s, "tok", &id2), 0);
    assert_int_equal(id2, first);

    memset(&tr, 0, sizeof(tr));
    tr.run_id = first;
    tr.task_key = (char *)"a";
    tr.life_cycle_state = (char *)"RUNNING";
    tr.exit_code = -1;
    tr.read_bytes = -1;
    tr.write_bytes = -1;
    assert_int_equal(jc_store_task_run_insert(s, &tr), 0);
    /* Job runs and task runs share one id space. */
    assert_true(tr.task_run_id > first);
    tr.life_cycle_state = (char *)"TERMINATED";
    tr.result_state = (char *)"SUCCESS";
    tr.cpu_user_s = 1.5;
    tr.max_rss_kb = 1234;
    assert_int_equal(jc_store_task_run_update(s, &tr), 0);
    assert_int_equal(jc_store_task_run_list(s, first, &trs, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(trs[0].result_state, "SUCCESS");
    assert_true(trs[0].cpu_user_s == 1.5);
    assert_int_equal(trs[0].max_rss_kb, 1234);
    jc_task_run_rows_free(trs, n);

    assert_int_equal(jc_store_task_value_set(s, first, "a", 0, "k", "1"), 0);
    assert_int_equal(jc_store_task_value_set(s, first, "a", 1, "k", "2"), 0);
    assert_int_equal(jc_store_task_value_get(s, first, "a", "k", &v), 0);
    assert_string_equal(v, "2");
    free(v);
    assert_int_equal(jc_store_task_value_get(s, first, "a", "zz", &v), JC_ENOTFOUND);
    assert_int_equal(jc_store_task_value_list(s, first, &vals, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(vals[0].value, "2");
    jc_task_values_free(vals, n);

    assert_int_equal(jc_store_event_add(s, first, "a", "task.end", "ok"), 0);
    assert_int_equal(jc_store_event_list(s, first, 0, 10, &ev, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].type, "task.end");
    jc_event_rows_free(ev, n);

    assert_int_equal(jc_store_run_cancel_requested(s, first), 0);
    assert_int_equal(jc_store_run_request_cancel(s, first), 0);
    assert_int_equal(jc_store_run_cancel_requested(s, first), 1);
    assert_int_equal(jc_store_run_set_state(s, first, "TERMINATED", "SUCCESS",
                                            "done", 2000), 0);
    assert_int_equal(jc_store_run_get(s, first, &got), 0);
    assert_string_equal(got.result_state, "SUCCESS");
    assert_int_equal(got.end_ms, 2000);
    jc_run_row_release(&got);

    /* Run ids are never reused, even after the newest run is deleted. */
    assert_int_equal(jc_store_run_delete(s, first), 0);
    assert_int_equal(jc_store_run_delete(s, first), JC_ENOTFOUND);
    assert_int_equal(jc_store_task_run_list(s, first, &trs, &n), 0);
    assert_int_equal(n, 0); /* cascaded */
    free(trs);
    memset(&r, 0, sizeof(r));
    r.life_cycle_state = (char *)"TERMINATED";
    assert_int_equal(jc_store_run_insert(s, &r), 0);
    free(r.owner_boot_id);
    assert_true(r.run_id > first);
    assert_true(r.run_id > tr.task_run_id);
    jc_store_close(s);
    jt_rmtree(home);
    free(home);
}

static void test_store_owner_identity_is_stable(void **state)
{
    int pid, pid2;
    int64_t start, start2;
    char bid[64], bid2[64];
    void *big;

    (void)state;
    jc_store_self_owner(&pid, &start, bid, sizeof(bid));
    /* Growing the heap must not change the recorded identity. */
    big = malloc(64 << 20);
    memset(big, 1, 64 << 20);
    jc_store_self_owner(&pid2, &start2, bid2, sizeof(bid2));
    free(big);
    assert_int_equal(pid, pid2);
    assert_true(start > 0);
    assert_int_equal(start, start2);
    assert_string_equal(bid, bid2);
    assert_true(jc_store_owner_alive(pid, start, bid));
    assert_false(jc_store_owner_alive(pid, start + 1, bid));
}

static void test_store_settles_dead_owner(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *s;
    struct jc_run_row r, got;
    struct jc_task_run_row tr, *trs;
    pid_t dead, task;
    size_t n;
    int st;

    (void)state;
    /* A "task" in its own process group, and an owner that has exited. */
    task = fork();
    if (task == 0) {
        setpgid(0, 0);
        pause();
        _exit(0);
    }
    setpgid(task, task);
    dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, &st, 0);
    assert_int_equal(jc_store_open(&s, home), 0);
    memset(&r, 0, sizeof(r));
    r.life_cycle_state = (char *)"RUNNING";
    r.owner_pid = dead;
    r.owner_start = 1;
    assert_int_equal(jc_store_run_insert(s, &r), 0);
    memset(&tr, 0, sizeof(tr));
    tr.run_id = r.run_id;
    tr.task_key = (char *)"t";
    tr.life_cycle_state = (char *)"RUNNING";
    tr.pid = task;
    tr.pgid = task;
    assert_int_equal(jc_store_task_run_insert(s, &tr), 0);
    /* A run owned by a live process (us) is left alone. */
    memset(&got, 0, sizeof(got));
    got.life_cycle_state = (char *)"RUNNING";
    assert_int_equal(jc_store_run_insert(s, &got), 0);
    free(got.owner_boot_id);
    assert_int_equal(jc_store_settle_orphans(s), 1);
    assert_int_equal(waitpid(task, &st, 0), task);
    assert_true(WIFSIGNALED(st));
    assert_int_equal(WTERMSIG(st), SIGKILL);
    assert_int_equal(jc_store_task_run_list(s, r.run_id, &trs, &n), 0);
    assert_string_equal(trs[0].result_state, "FAILED");
    assert_non_null(strstr(trs[0].state_message, "orphaned"));
    jc_task_run_rows_free(trs, n);
    {
        struct jc_run_row x;
        assert_int_equal(jc_store_run_get(s, r.run_id, &x), 0);
        assert_string_equal(x.life_cycle_state, "TERMINATED");
        assert_string_equal(x.result_state, "FAILED");
        jc_run_row_release(&x);
        assert_int_equal(jc_store_run_get(s, got.run_id, &x), 0);
        assert_string_equal(x.life_cycle_state, "RUNNING");
        jc_run_row_release(&x);
    }
    jc_store_close(s);
    jt_rmtree(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_migrations_match_sql_files),
        cmocka_unit_test(test_store_open_migrates_and_uses_wal),
        cmocka_unit_test(test_store_runs_attempts_values_events),
        cmocka_unit_test(test_store_owner_identity_is_stable),
        cmocka_unit_test(test_store_settles_dead_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
