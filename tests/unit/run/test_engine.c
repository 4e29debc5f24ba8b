/*
 * test_engine.c: the run engine embedded in a caller's libuv loop (as the
 * daemon does): two runs at once on one loop, task events and the done
 * callback, the accounting hook called for every attempt, cancel, and
 * which orphaned tasks may be retried after crash settling.
 */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "jobctl/run.h"
#include "jobctl/spec.h"
#include "jobctl/store.h"

struct seen {
    int done;
    enum jc_result result;
    int accounted;
    int started;
};

static void on_task(void *arg, const struct jc_task_event *ev)
{
    struct seen *s = arg;

    if (!strcmp(ev->life_cycle_state, "RUNNING"))
        s->started++;
}

static void on_done(void *arg, struct jc_run *run, enum jc_result r)
{
    struct seen *s = arg;

    (void)run;
    s->done++;
    s->result = r;
}

static void on_account(void *arg, const struct jc_attempt_req *req,
                       struct jc_attempt_result *res)
{
    struct seen *s = arg;

    assert_non_null(req->task);
    assert_non_null(req->task_key);
    s->accounted++;
    res->cost = 0.5;
}

static struct jc_job *load(const char *text)
{
    struct jc_job *job = NULL;
    struct jc_diags d = JC_DIAGS_INIT;

    if (jc_spec_load_buffer(&job, text, strlen(text), "test.json", NULL, &d) < 0)
        fail_msg("load: %s", d.n ? d.items[0].msg : jc_err_last());
    jc_diags_release(&d);
    return job;
}

static const char *JOB_OK =
    "{\"name\":\"ok\",\"tasks\":["
    "{\"task_key\":\"a\",\"command_task\":{\"command\":[\"true\"]}},"
    "{\"task_key\":\"b\",\"depends_on\":[{\"task_key\":\"a\"}],"
    "\"max_retries\":1,\"command_task\":{\"command\":[\"false\"]}},"
    "{\"task_key\":\"c\",\"depends_on\":[{\"task_key\":\"b\"}],"
    "\"run_if\":\"ALL_DONE\",\"command_task\":{\"command\":[\"true\"]}}]}";

static const char *JOB_SLOW =
    "{\"name\":\"slow\",\"tasks\":["
    "{\"task_key\":\"s\",\"command_task\":{\"command\":[\"sleep\",\"30\"]}},"
    "{\"task_key\":\"t\",\"depends_on\":[{\"task_key\":\"s\"}],"
    "\"command_task\":{\"command\":[\"true\"]}}]}";

static void cancel_cb(uv_timer_t *t)
{
    jc_run_cancel(t->data, "test");
}

static void test_engine_two_runs_one_loop(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *st;
    struct jc_job *j1 = load(JOB_OK), *j2 = load(JOB_SLOW);
    struct jc_run_opts o1 = JC_RUN_OPTS_INIT, o2 = JC_RUN_OPTS_INIT;
    struct seen s1, s2;
    struct jc_run *r1, *r2;
    struct jc_task_run_row *trs;
    uv_loop_t loop;
    uv_timer_t t;
    size_t n, i;

    (void)state;
    memset(&s1, 0, sizeof(s1));
    memset(&s2, 0, sizeof(s2));
    setenv("JOBCTL_KILL_GRACE_MS", "200", 1);
    assert_int_equal(jc_store_open(&st, home), 0);
    uv_loop_init(&loop);
    o1.home = home;
    o1.on_task = on_task;
    o1.on_done = on_done;
    o1.on_account = on_account;
    o1.arg = &s1;
    o1.parallel = 2;
    o2 = o1;
    o2.arg = &s2;
    assert_int_equal(jc_run_create(&r1, st, j1, &o1), 0);
    assert_int_equal(jc_run_create(&r2, st, j2, &o2), 0);
    assert_true(jc_run_id(r2) > jc_run_id(r1));
    assert_int_equal(jc_run_start(r1, &loop), 0);
    assert_int_equal(jc_run_start(r2, &loop), 0);
    uv_timer_init(&loop, &t);
    t.data = r2;
    uv_timer_start(&t, cancel_cb, 300, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);

    assert_int_equal(s1.done, 1);
    assert_int_equal(s1.result, JC_RESULT_SUCCESS_WITH_FAILURES);
    assert_int_equal(s1.accounted, 4); /* a, b twice, c */
    assert_int_equal(s2.done, 1);
    assert_int_equal(s2.result, JC_RESULT_CANCELED);
    assert_true(jc_run_finished(r1) && jc_run_finished(r2));
    assert_int_equal(jc_store_task_run_list(st, jc_run_id(r1), &trs, &n), 0);
    assert_int_equal(n, 4);
    for (i = 0; i < n; i++)
        assert_true(trs[i].cost == 0.5);
    jc_task_run_rows_free(trs, n);
    jc_run_free(r1);
    jc_run_free(r2);
    assert_int_equal(uv_loop_close(&loop), 0);
    jc_job_free(j1);
    jc_job_free(j2);
    jc_store_close(st);
    jt_rmtree(home);
    free(home);
}

static void test_engine_orphans_to_retry(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *st;
    struct jc_job *job = load(
        "{\"name\":\"o\",\"tasks\":["
        "{\"task_key\":\"r\",\"max_retries\":2,\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"n\",\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"f\",\"max_retries\":-1,\"command_task\":{\"command\":[\"true\"]}},"
        "{\"task_key\":\"ok\",\"max_retries\":3,\"command_task\":{\"command\":[\"true\"]}}]}");
    struct jc_run_row run;
    struct jc_task_run_row tr;
    const char *keys[] = {"r", "n", "f", "ok"};
    char **out;
    size_t nout, i;

    (void)state;
    assert_int_equal(jc_store_open(&st, home), 0);
    memset(&run, 0, sizeof(run));
    run.life_cycle_state = (char *)"TERMINATED";
    assert_int_equal(jc_store_run_insert(st, &run), 0);
    free(run.owner_boot_id);
    for (i = 0; i < 4; i++) {
        memset(&tr, 0, sizeof(tr));
        tr.run_id = run.run_id;
        tr.task_key = (char *)keys[i];
        tr.life_cycle_state = (char *)"TERMINATED";
        tr.result_state = (char *)(i == 3 ? "SUCCESS" : "FAILED");
        tr.state_message = (char *)(i == 3 ? "" : "orphaned: jobctl died");
        assert_int_equal(jc_store_task_run_insert(st, &tr), 0);
    }
    assert_int_equal(jc_run_orphans_to_retry(st, job, run.run_id, &out, &nout), 0);
    /* r (1 of 3 attempts) and f (forever) may retry; n (no retries) not. */
    assert_int_equal(nout, 2);
    assert_string_equal(out[0], "r");
    assert_string_equal(out[1], "f");
    assert_null(out[2]);
    for (i = 0; i < nout; i++)
        free(out[i]);
    free(out);
    jc_job_free(job);
    jc_store_close(st);
    jt_rmtree(home);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_two_runs_one_loop),
        cmocka_unit_test(test_engine_orphans_to_retry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
