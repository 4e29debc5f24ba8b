/*
 * test_local.c: the local subprocess executor: exit codes and outcomes,
 * output captured in the log file, argv passed without a shell, rusage
 * measures, start failures, and stop killing the whole process group
 * (forked grandchildren included) with SIGTERM then SIGKILL.
 */
#include "testsupport.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "jobctl/exec.h"
#include "jobctl/executor.h"

struct done {
    int called;
    struct jc_attempt_result res;
};

static void on_done(struct jc_attempt *a, const struct jc_attempt_result *res,
                    void *arg)
{
    struct done *d = arg;

    (void)a;
    d->called++;
    d->res = *res;
}

static struct jc_attempt_result run_argv(char *const *argv, const char *log,
                                         bool stop, int64_t grace_ms)
{
    uv_loop_t loop;
    struct jc_executor *ex;
    struct jc_attempt *a;
    struct jc_attempt_req req;
    struct done d;

    memset(&d, 0, sizeof(d));
    uv_loop_init(&loop);
    assert_int_equal(jc_executor_local_new(&ex, &loop), 0);
    memset(&req, 0, sizeof(req));
    req.task_key = "t";
    req.argv = argv;
    req.log_path = log;
    req.kill_grace_ms = grace_ms;
    assert_int_equal(ex->ops->start(ex, &req, on_done, &d, &a), 0);
    assert_int_equal(d.called, 0); /* never inside start */
    if (stop) {
        /* Wait until the task has forked its children (log line). */
        int i;
        for (i = 0; i < 500; i++) {
            char *t;
            bool ready;

            uv_run(&loop, UV_RUN_NOWAIT); /* output is relayed by the loop */
            t = jt_read_file(log, NULL);
            ready = t && strstr(t, "ready");
            free(t);
            if (ready)
                break;
            usleep(10000);
        }
        ex->ops->stop(ex, a, JC_STOP_CANCEL);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(d.called, 1);
    ex->ops->destroy(ex);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return d.res;
}

static void test_local_exit_codes_and_log(void **state)
{
    char *dir = jt_tmpdir();
    char log[512];
    char *out;
    char *ok[] = {"sh", "-c", "echo out; echo err >&2; exit 0", NULL};
    char *retry[] = {"sh", "-c", "exit 75", NULL};
    char *fail[] = {"sh", "-c", "exit 3", NULL};
    char *sig[] = {"sh", "-c", "kill -SEGV $$", NULL};
    char *lit[] = {"printf", "%s|", "$(touch /tmp/jc-never)", "a b", NULL};
    struct jc_attempt_result r;

    (void)state;
    snprintf(log, sizeof(log), "%s/logs/1/t/0.log", dir);
    r = run_argv(ok, log, false, 0);
    assert_int_equal(r.outcome, JC_ATTEMPT_SUCCESS);
    assert_int_equal(r.exit_code, 0);
    assert_true(r.pid > 0);
    assert_int_equal(r.pgid, r.pid);
    out = jt_read_file(log, NULL);
    assert_string_equal(out, "out\nerr\n");
    free(out);
    r = run_argv(retry, log, false, 0);
    assert_int_equal(r.outcome, JC_ATTEMPT_RETRYABLE);
    assert_int_equal(r.exit_code, 75);
    r = run_argv(fail, log, false, 0);
    assert_int_equal(r.outcome, JC_ATTEMPT_FAILED);
    assert_string_equal(r.state_message, "exit code 3");
    r = run_argv(sig, log, false, 0);
    assert_int_equal(r.outcome, JC_ATTEMPT_FAILED);
    assert_int_equal(r.term_signal, SIGSEGV);
    r = run_argv(lit, log, false, 0);
    out = jt_read_file(log, NULL);
    assert_string_equal(out, "$(touch /tmp/jc-never)|a b|");
    free(out);
    assert_int_not_equal(access("/tmp/jc-never", F_OK), 0);
    jt_rmtree(dir);
    free(dir);
}

static void test_local_measures_cpu(void **state)
{
    char *dir = jt_tmpdir();
    char log[512];
    char *busy[] = {"sh", "-c",
                    "i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done", NULL};
    struct jc_attempt_result r;

    (void)state;
    snprintf(log, sizeof(log), "%s/busy.log", dir);
    r = run_argv(busy, log, false, 0);
    assert_int_equal(r.outcome, JC_ATTEMPT_SUCCESS);
    assert_true(r.cpu_user_s + r.cpu_sys_s > 0.002);
    assert_true(r.max_rss_kb > 0);
    assert_true(r.end_ms >= r.start_ms);
    jt_rmtree(dir);
    free(dir);
}

static void test_local_big_output_fully_logged(void **state)
{
    char *dir = jt_tmpdir();
    char log[512];
    char *big[] = {"sh", "-c", "head -c 5000000 /dev/zero | tr '\\0' x; echo end",
                   NULL};
    struct jc_attempt_result r;
    size_t len = 0;
    char *out;

    (void)state;
    snprintf(log, sizeof(log), "%s/big.log", dir);
    r = run_argv(big, log, false, 0);
    assert_int_equal(r.outcome, JC_ATTEMPT_SUCCESS);
    out = jt_read_file(log, &len);
    assert_non_null(out);
    assert_int_equal(len, 5000004);
    assert_memory_equal(out + 5000000, "end\n", 4);
    free(out);
    jt_rmtree(dir);
    free(dir);
}

static void test_local_start_failure(void **state)
{
    uv_loop_t loop;
    struct jc_executor *ex;
    struct jc_attempt *a;
    struct jc_attempt_req req;
    struct done d;
    char *argv[] = {"/nonexistent/prog", NULL};

    (void)state;
    memset(&d, 0, sizeof(d));
    uv_loop_init(&loop);
    assert_int_equal(jc_executor_local_new(&ex, &loop), 0);
    memset(&req, 0, sizeof(req));
    req.argv = argv;
    req.log_path = "/dev/null";
    assert_true(ex->ops->start(ex, &req, on_done, &d, &a) < 0);
    assert_non_null(strstr(jc_err_last(), "/nonexistent/prog"));
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(d.called, 0);
    ex->ops->destroy(ex);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
}

static void test_local_stop_kills_whole_group(void **state)
{
    char *dir = jt_tmpdir();
    char log[512];
    /* Grandchildren ignore SIGTERM: SIGKILL after the grace must get them. */
    char *forker[] = {"sh", "-c",
                      "trap '' TERM; sleep 1000 & sleep 1000 & echo ready; wait",
                      NULL};
    struct jc_attempt_result r;

    (void)state;
    snprintf(log, sizeof(log), "%s/f.log", dir);
    r = run_argv(forker, log, true, 200);
    assert_int_equal(r.outcome, JC_ATTEMPT_CANCELED);
    {
        int i;
        for (i = 0; i < 200 && jc_exec_group_alive(r.pgid); i++)
            usleep(10000);
    }
    assert_false(jc_exec_group_alive(r.pgid));
    jt_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_exit_codes_and_log),
        cmocka_unit_test(test_local_measures_cpu),
        cmocka_unit_test(test_local_big_output_fully_logged),
        cmocka_unit_test(test_local_start_failure),
        cmocka_unit_test(test_local_stop_kills_whole_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
