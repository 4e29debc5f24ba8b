/*
 * test_resume.c: resuming a run after crash settling: which tasks the
 * plan retries, waits for, starts fresh or leaves FAILED (attempts counted
 * since the last user repair, resumes keep the budget), and a resumed run
 * on a loop that retries the orphaned task and ends SUCCESS.
 */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "jobctl/run.h"
#include "jobctl/spec.h"
#include "jobctl/store.h"

static struct jc_job *load(const char *text)
{
    struct jc_job *job = NULL;
    struct jc_diags d = JC_DIAGS_INIT;

    if (jc_spec_load_buffer(&job, text, strlen(text), "test.json", NULL, &d) < 0)
        fail_msg("load: %s", d.n ? d.items[0].msg : jc_err_last());
    jc_diags_release(&d);
    return job;
}

static int64_t add_run(struct jc_store *st, const char *history)
{
    struct jc_run_row run;

    memset(&run, 0, sizeof(run));
    run.life_cycle_state = (char *)"TERMINATED";
    run.result_state = (char *)"FAILED";
    run.state_message = (char *)"orphaned: jobctl process 1 died";
    run.repair_history_json = (char *)history;
    assert_int_equal(jc_store_run_insert(st, &run), 0);
    free(run.owner_boot_id);
    return run.run_id;
}

static void add_attempt(struct jc_store *st, int64_t run_id, const char *key,
                        int attempt, int64_t repair_id, const char *result,
                        const char *msg, int64_t start_ms)
{
    struct jc_task_run_row tr;

    memset(&tr, 0, sizeof(tr));
    tr.run_id = run_id;
    tr.task_key = (char *)key;
    tr.attempt_number = attempt;
    tr.repair_id = repair_id;
    tr.life_cycle_state = (char *)"TERMINATED";
    tr.result_state = (char *)result;
    tr.state_message = (char *)msg;
    tr.start_ms = start_ms;
    tr.end_ms = start_ms + 1;
    tr.exit_code = -1;
    assert_int_equal(jc_store_task_run_insert(st, &tr), 0);
}

static void assert_keys(char **keys, size_t n, const char *want)
{
    char buf[256] = "";
    size_t i;

    for (i = 0; i < n; i++) {
        if (i)
            strncat(buf, " ", sizeof(buf) - strlen(buf) - 1);
        strncat(buf, keys[i], sizeof(buf) - strlen(buf) - 1);
    }
    assert_string_equal(buf, want);
    if (n)
        assert_null(keys[n]);
}

static void test_resume_plan_classifies_tasks(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *st;
    struct jc_job *job = load(
        "{\"name\":\"p\",\"tasks\":["
        "{\"task_key\":\"orph\",\"max_retries\":1,\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"spent\",\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"wait\",\"max_retries\":2,\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"done\",\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"failed\",\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"tout\",\"max_retries\":3,\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"new\",\"depends_on\":[{\"task_key\":\"orph\"}],"
        "\"command_task\":{\"command\":[\"true\"]}}]}");
    struct jc_resume_plan p;
    int64_t run;
    char *desc;
    char **keys;
    size_t nkeys;

    (void)state;
    assert_int_equal(jc_store_open(&st, home), 0);
    run = add_run(st, NULL);
    add_attempt(st, run, "orph", 0, 0, "FAILED", "orphaned: died", 10);
    add_attempt(st, run, "spent", 0, 0, "FAILED", "orphaned: died", 10);
    add_attempt(st, run, "wait", 0, 0, "FAILED", "exit 1", 10);
    add_attempt(st, run, "wait", 1, 0, "FAILED", "exit 1", 20);
    add_attempt(st, run, "done", 0, 0, "SUCCESS", "", 10);
    add_attempt(st, run, "failed", 0, 0, "FAILED", "exit 1", 10);
    /* TIMEDOUT without retry_on_timeout: final */
    add_attempt(st, run, "tout", 0, 0, "TIMEDOUT", "timed out", 10);
    assert_int_equal(jc_run_resume_plan(st, job, run, &p), 0);
    assert_keys(p.retry, p.nretry, "orph");
    assert_keys(p.waiting, p.nwaiting, "wait");
    assert_keys(p.fresh, p.nfresh, "new");
    assert_keys(p.spent, p.nspent, "spent");
    assert_true(p.started);
    assert_true(p.resumable);
    desc = jc_resume_plan_describe(&p);
    assert_string_equal(desc, "retry: orph; waiting: wait; not started: new; "
                              "no retries left: spent");
    free(desc);
    jc_resume_plan_release(&p);
    /* the older API agrees with the plan's retry list */
    assert_int_equal(jc_run_orphans_to_retry(st, job, run, &keys, &nkeys), 0);
    assert_keys(keys, nkeys, "orph");
    free(keys[0]);
    free(keys);
    jc_job_free(job);
    jc_store_close(st);
    jt_rmtree(home);
    free(home);
}

static void test_resume_plan_counts_since_user_repair(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *st;
    struct jc_job *job = load(
        "{\"name\":\"e\",\"tasks\":["
        "{\"task_key\":\"a\",\"max_retries\":1,\"command_task\":{\"command\":[\"true\"]}}]}");
    struct jc_resume_plan p;
    int64_t run;

    (void)state;
    assert_int_equal(jc_store_open(&st, home), 0);
    /* two attempts before a user repair, one orphaned after it: the
     * repair gave a fresh budget, so one retry is left */
    run = add_run(st, "[{\"type\":\"ORIGINAL\",\"start_time\":1},"
                      "{\"type\":\"REPAIR\",\"id\":1,\"start_time\":2}]");
    add_attempt(st, run, "a", 0, 0, "FAILED", "exit 1", 10);
    add_attempt(st, run, "a", 1, 0, "FAILED", "exit 1", 20);
    add_attempt(st, run, "a", 2, 1, "FAILED", "orphaned: died", 30);
    assert_int_equal(jc_run_resume_plan(st, job, run, &p), 0);
    assert_keys(p.retry, p.nretry, "a");
    jc_resume_plan_release(&p);
    /* a resume (marked) does not reset it: attempts 2 and 3 are spent */
    run = add_run(st, "[{\"type\":\"ORIGINAL\",\"start_time\":1},"
                      "{\"type\":\"REPAIR\",\"id\":1,\"start_time\":2},"
                      "{\"type\":\"REPAIR\",\"id\":2,\"start_time\":3,"
                      "\"x_jobctl_resume\":true}]");
    add_attempt(st, run, "a", 0, 1, "FAILED", "orphaned: died", 10);
    add_attempt(st, run, "a", 1, 2, "FAILED", "orphaned: died", 20);
    assert_int_equal(jc_run_resume_plan(st, job, run, &p), 0);
    assert_int_equal(p.nretry, 0);
    assert_keys(p.spent, p.nspent, "a");
    assert_false(p.resumable);
    jc_resume_plan_release(&p);
    /* a queued run that never started: everything is fresh */
    run = add_run(st, NULL);
    assert_int_equal(jc_run_resume_plan(st, job, run, &p), 0);
    assert_keys(p.fresh, p.nfresh, "a");
    assert_false(p.started);
    assert_true(p.resumable);
    jc_resume_plan_release(&p);
    jc_job_free(job);
    jc_store_close(st);
    jt_rmtree(home);
    free(home);
}

struct seen {
    int done;
    enum jc_result result;
};

static void on_done(void *arg, struct jc_run *run, enum jc_result r)
{
    struct seen *s = arg;

    (void)run;
    s->done++;
    s->result = r;
}

static void test_resume_run_retries_orphan(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *st;
    struct jc_job *job = load(
        "{\"name\":\"r\",\"tasks\":["
        "{\"task_key\":\"a\",\"max_retries\":1,\"min_retry_interval_millis\":200,"
        "\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"b\",\"depends_on\":[{\"task_key\":\"a\"}],"
        "\"command_task\":{\"command\":[\"true\"]}}]}");
    struct jc_run_opts o = JC_RUN_OPTS_INIT;
    struct jc_resume_plan p;
    struct jc_task_run_row *trs;
    struct jc_run_row row;
    struct jc_run *r;
    struct seen s;
    uv_loop_t loop;
    int64_t run, now = jc_now_ms();
    size_t n;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(jc_store_open(&st, home), 0);
    run = add_run(st, NULL);
    add_attempt(st, run, "a", 0, 0, "FAILED", "orphaned: died", now);
    assert_int_equal(jc_run_resume_plan(st, job, run, &p), 0);
    uv_loop_init(&loop);
    o.home = home;
    o.on_done = on_done;
    o.arg = &s;
    assert_int_equal(jc_run_resume_create(&r, st, job, run, &p, &o), 0);
    jc_resume_plan_release(&p);
    assert_int_equal(jc_run_resume_start(r, &loop), 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(s.done, 1);
    assert_int_equal(s.result, JC_RESULT_SUCCESS);
    assert_int_equal(jc_store_task_run_list(st, run, &trs, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(trs[1].task_key, "a");
    assert_int_equal(trs[1].attempt_number, 1);
    assert_int_equal(trs[1].repair_id, 1);
    assert_string_equal(trs[1].result_state, "SUCCESS");
    assert_true(trs[1].start_ms >= now + 200);
    assert_string_equal(trs[2].task_key, "b");
    assert_int_equal(trs[2].attempt_number, 0);
    jc_task_run_rows_free(trs, n);
    assert_int_equal(jc_store_run_get(st, run, &row), 0);
    assert_string_equal(row.result_state, "SUCCESS");
    assert_non_null(strstr(row.repair_history_json, "\"x_jobctl_resume\":true"));
    jc_run_row_release(&row);
    jc_run_free(r);
    assert_int_equal(uv_loop_close(&loop), 0);
    jc_job_free(job);
    jc_store_close(st);
    jt_rmtree(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resume_plan_classifies_tasks),
        cmocka_unit_test(test_resume_plan_counts_since_user_repair),
        cmocka_unit_test(test_resume_run_retries_orphan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
