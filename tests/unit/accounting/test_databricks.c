/*
 * test_databricks.c: the Databricks client and remote-run state machine
 * against tests/integration/remote/fakedbx.py (a stdlib HTTP server on
 * loopback): success, failure with its error, timeout cancelled on the
 * server, 429 + Retry-After, a dropped connection, bad token, a malformed
 * request, and the loop staying responsive while runs poll.
 */
#include "testsupport.h"

#include "jobctl/databricks.h"
#include "jobctl/err.h"
#include "util/mem.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct fake {
    char *dir;
    char *scenario;
    char *log;
    pid_t pid;
    char host[64];
};

static void fake_start(struct fake *f, const char *scenario_json)
{
    char *portfile;
    char *script;
    const char *py = getenv("JOBCTL_PYTHON");
    char *argv[12];
    char *errlog;
    posix_spawn_file_actions_t fa;
    int i;

    memset(f, 0, sizeof(*f));
    f->dir = jt_tmpdir();
    f->scenario = ju_xasprintf("%s/scenario.json", f->dir);
    f->log = ju_xasprintf("%s/requests.jsonl", f->dir);
    portfile = ju_xasprintf("%s/port", f->dir);
    errlog = ju_xasprintf("%s/server.err", f->dir);
    script = ju_xasprintf("%s/tests/integration/remote/fakedbx.py",
                          jt_source_dir());
    jt_write_file(f->scenario, scenario_json ? scenario_json : "{}");
    if (!py)
        py = "/usr/bin/python3";
    i = 0;
    argv[i++] = (char *)py;
    argv[i++] = script;
    argv[i++] = (char *)"--port-file";
    argv[i++] = portfile;
    argv[i++] = (char *)"--log";
    argv[i++] = f->log;
    argv[i++] = (char *)"--scenario";
    argv[i++] = f->scenario;
    argv[i++] = (char *)"--token";
    argv[i++] = (char *)"dapi-secret-123";
    argv[i] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errlog, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(posix_spawn(&f->pid, py, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (i = 0; i < 200; i++) { /* up to 10 s for python to start */
        char *p = jt_read_file(portfile, NULL);

        if (p) {
            snprintf(f->host, sizeof(f->host), "http://127.0.0.1:%s", p);
            free(p);
            break;
        }
        usleep(50000);
    }
    assert_true(f->host[0]);
    free(portfile);
    free(errlog);
    free(script);
}

static void fake_stop(struct fake *f)
{
    int st;

    kill(f->pid, SIGTERM);
    waitpid(f->pid, &st, 0);
    jt_rmtree(f->dir);
    free(f->dir);
    free(f->scenario);
    free(f->log);
}

static int count_lines(const char *log, const char *needle)
{
    char *s = jt_read_file(log, NULL);
    int n = 0;
    char *p = s;

    while (p && (p = strstr(p, needle))) {
        n++;
        p += strlen(needle);
    }
    free(s);
    return n;
}

struct done_box {
    bool done;
    enum jc_dbx_outcome outcome;
    char *output;
    char *error;
    char *error_code;
    int64_t run_id;
    int64_t exec_ms;
    int64_t setup_ms;
};

static void on_done(void *ud, const struct jc_dbx_run_result *r)
{
    struct done_box *b = ud;

    b->done = true;
    b->outcome = r->outcome;
    b->output = ju_xstrdup(r->output);
    b->error = ju_xstrdup(r->error);
    b->error_code = r->error_code ? ju_xstrdup(r->error_code) : NULL;
    b->run_id = r->run_id;
    b->exec_ms = r->execution_ms;
    b->setup_ms = r->setup_ms;
}

static void box_release(struct done_box *b)
{
    free(b->output);
    free(b->error);
    free(b->error_code);
}

static unsigned ticks;
static void on_tick(uv_timer_t *t)
{
    (void)t;
    ticks++;
}

static json_t *notebook_body(const char *key)
{
    json_t *task = json_pack(
        "{ss s{ss s{ss}} s{ss ss si}}", "task_key", key, "notebook_task",
        "notebook_path", "/Repos/x/01_ingest", "base_parameters", "p", "1",
        "new_cluster", "spark_version", "15.4.x-scala2.12", "node_type_id",
        "i3.xlarge", "num_workers", 2);
    json_t *body = NULL;
    char tok[80];

    jc_dbx_idempotency_token(tok, sizeof(tok), "a1b2c3d4", 7, key, 1);
    assert_int_equal(
        jc_dbx_submit_body(&body, task, NULL, "t", tok, 0, NULL, NULL), 0);
    json_decref(task);
    return body;
}

/* Run one remote run to completion on a fresh loop. */
static void run_one(struct fake *f, const char *token, json_t *body,
                    double timeout_s, struct done_box *b, uint64_t *retries)
{
    uv_loop_t loop;
    struct jc_dbx *c = NULL;
    struct jc_dbx_opts o = JC_DBX_OPTS_INIT;
    struct jc_dbx_run_opts ro = JC_DBX_RUN_OPTS_INIT;
    struct jc_dbx_run *run = NULL;
    uv_timer_t tick;

    uv_loop_init(&loop);
    o.host = f->host;
    o.token = token;
    o.retry_base_s = 0.1;
    o.retry_budget_s = 20;
    ro.poll_initial_s = 0.1;
    ro.poll_max_s = 0.3;
    ro.timeout_s = timeout_s;
    ro.cancel_wait_s = 10;
    assert_int_equal(jc_dbx_new(&c, &loop, &o), 0);
    assert_int_equal(jc_dbx_run_start(&run, c, body, &ro, on_done, b), 0);
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 20, 20);
    while (!b->done)
        uv_run(&loop, UV_RUN_ONCE);
    uv_timer_stop(&tick);
    uv_close((uv_handle_t *)&tick, NULL);
    if (retries)
        *retries = jc_dbx_stat_retries(c);
    jc_dbx_run_free(run);
    jc_dbx_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_databricks_success(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("ingest");

    (void)state;
    fake_start(&f, "{\"tasks\":{\"ingest\":{\"duration\":0.3}}}");
    ticks = 0;
    run_one(&f, "dapi-secret-123", body, 0, &b, NULL);
    assert_int_equal(b.outcome, JC_DBX_SUCCESS);
    assert_non_null(strstr(b.output, "ok from ingest"));
    assert_true(b.run_id > 0);
    assert_true(b.exec_ms > 0);
    assert_true(ticks > 0); /* the loop kept turning while polling */
    assert_true(count_lines(f.log, "jobs/runs/get-output") == 1);
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static void test_databricks_failure_shows_error(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("boom");

    (void)state;
    fake_start(&f, "{\"tasks\":{\"boom\":{\"mode\":\"fail\"}}}");
    run_one(&f, "dapi-secret-123", body, 0, &b, NULL);
    assert_int_equal(b.outcome, JC_DBX_FAILED);
    assert_non_null(strstr(b.error, "ZeroDivisionError"));
    assert_non_null(strstr(b.output, "Traceback"));
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static void test_databricks_timeout_cancels_on_server(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("slow");

    (void)state;
    fake_start(&f, "{\"tasks\":{\"slow\":{\"mode\":\"hang\"}}}");
    run_one(&f, "dapi-secret-123", body, 1.0, &b, NULL);
    assert_int_equal(b.outcome, JC_DBX_TIMEDOUT);
    assert_int_equal(count_lines(f.log, "\"path\": \"/api/2.2/jobs/runs/"
                                        "cancel\""),
                     1);
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static void test_databricks_retry_after_honoured(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("t429");
    uint64_t retries = 0;
    char *log;
    char *p;
    double t1, t2;

    (void)state;
    fake_start(&f, "{\"faults\":[{\"path\":\"runs/submit\",\"status\":429,"
                   "\"retry_after\":1,\"count\":1}]}");
    run_one(&f, "dapi-secret-123", body, 0, &b, &retries);
    assert_int_equal(b.outcome, JC_DBX_SUCCESS);
    assert_true(retries >= 1);
    assert_int_equal(count_lines(f.log, "runs/submit"), 2);
    /* the second submit came no earlier than Retry-After: 1 */
    log = jt_read_file(f.log, NULL);
    p = strstr(log, "\"t\": ");
    t1 = strtod(p + 5, NULL);
    p = strstr(p + 5, "\"t\": ");
    t2 = strtod(p + 5, NULL);
    assert_true(t2 - t1 >= 0.95);
    free(log);
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static void test_databricks_dropped_connection_retried(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("drop");
    uint64_t retries = 0;

    (void)state;
    fake_start(&f, "{\"faults\":[{\"path\":\"runs/get\",\"drop\":true,"
                   "\"count\":2}]}");
    run_one(&f, "dapi-secret-123", body, 0, &b, &retries);
    assert_int_equal(b.outcome, JC_DBX_SUCCESS);
    /* curl itself re-sends once on a dead reused connection; the rest
     * are ours */
    assert_true(retries >= 1);
    assert_int_equal(count_lines(f.log, "\"dropped\""), 2);
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

/* 400/500 bodies the SDKs call transient are retried; others are not. */
static void test_databricks_transient_body_retried(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("tb");
    uint64_t retries = 0;

    (void)state;
    fake_start(&f, "{\"faults\":[{\"path\":\"runs/get\",\"status\":500,"
                   "\"code\":\"INTERNAL_ERROR\",\"message\":"
                   "\"Timed out after 30s\",\"count\":1},"
                   "{\"path\":\"runs/get-output\",\"status\":400,"
                   "\"code\":\"INVALID_STATE\",\"message\":"
                   "\"ClusterNotReadyException: starting\",\"count\":1}]}");
    run_one(&f, "dapi-secret-123", body, 0, &b, &retries);
    assert_int_equal(b.outcome, JC_DBX_SUCCESS);
    assert_true(retries >= 2);
    assert_non_null(strstr(b.output, "ok from tb"));
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static void test_databricks_bad_token_rejected(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("t");

    (void)state;
    fake_start(&f, NULL);
    run_one(&f, "wrong-token-xyz", body, 0, &b, NULL);
    assert_int_equal(b.outcome, JC_DBX_API_ERROR);
    assert_string_equal(b.error_code, "UNAUTHENTICATED");
    assert_null(strstr(b.error, "wrong-token-xyz"));
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static void test_databricks_malformed_request_rejected(void **state)
{
    struct fake f;
    struct done_box b = {0};
    json_t *body = notebook_body("t");
    json_t *nb = json_object_get(
        json_array_get(json_object_get(body, "tasks"), 0), "notebook_task");

    (void)state;
    json_object_set_new(nb, "notebook_path", json_integer(5));
    fake_start(&f, NULL);
    run_one(&f, "dapi-secret-123", body, 0, &b, NULL);
    assert_int_equal(b.outcome, JC_DBX_API_ERROR);
    assert_string_equal(b.error_code, "MALFORMED_REQUEST");
    assert_non_null(strstr(b.error, "notebook_path"));
    json_decref(body);
    box_release(&b);
    fake_stop(&f);
}

static char *upper_resolve(void *ud, const char *s)
{
    (void)ud;
    if (!strcmp(s, "{{job.id}}"))
        return ju_xstrdup("42");
    return NULL;
}

static void test_databricks_submit_body(void **state)
{
    json_error_t e;
    json_t *task = json_loads(
        "{\"task_key\":\"a\",\"depends_on\":[{\"task_key\":\"b\"}],"
        "\"max_retries\":2,\"job_cluster_key\":\"main\","
        "\"spark_python_task\":{\"python_file\":\"x.py\","
        "\"parameters\":[\"--job\",\"{{job.id}}\"]},"
        "\"libraries\":[{\"pypi\":{\"package\":\"numpy\"}}]}",
        0, &e);
    json_t *jcs = json_loads(
        "[{\"job_cluster_key\":\"main\",\"new_cluster\":{\"spark_version\":"
        "\"15.4\",\"node_type_id\":\"m5.large\",\"num_workers\":3}}]",
        0, &e);
    json_t *cmd = json_loads("{\"task_key\":\"c\",\"existing_cluster_id\":"
                             "\"x\",\"command_task\":{\"command\":[\"ls\"]}}",
                             0, &e);
    json_t *body = NULL;
    json_t *t;
    char tok[128];
    char longkey[200];

    (void)state;
    assert_int_equal(jc_dbx_submit_body(&body, task, jcs, "r", "tok", 60,
                                        upper_resolve, NULL),
                     0);
    t = json_array_get(json_object_get(body, "tasks"), 0);
    assert_null(json_object_get(t, "depends_on"));
    assert_null(json_object_get(t, "job_cluster_key"));
    assert_null(json_object_get(t, "max_retries"));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(t, "new_cluster"), "num_workers")),
                     3);
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_object_get(t, "spark_python_task"),
                            "parameters"),
            1)),
        "42");
    assert_non_null(json_object_get(t, "libraries"));
    assert_int_equal(
        json_integer_value(json_object_get(body, "timeout_seconds")), 60);
    json_decref(body);
    assert_int_equal(
        jc_dbx_submit_body(&body, cmd, NULL, "r", "tok", 0, NULL, NULL),
        JC_EINVAL);
    assert_non_null(strstr(jc_err_last(), "command_task"));

    jc_dbx_idempotency_token(tok, sizeof(tok), NULL, 12, "ingest", 2);
    assert_string_equal(tok, "jobctl-12-ingest-2");
    jc_dbx_idempotency_token(tok, sizeof(tok), "0badcafe", 12, "ingest", 2);
    assert_string_equal(tok, "jobctl-0badcafe-12-ingest-2");
    memset(longkey, 'k', sizeof(longkey) - 1);
    longkey[sizeof(longkey) - 1] = '\0';
    jc_dbx_idempotency_token(tok, sizeof(tok), "0badcafe", 12, longkey, 2);
    assert_true(strlen(tok) <= 64);
    assert_int_equal(strncmp(tok, "jobctl-0badcafe-12-", 19), 0);
    json_decref(task);
    json_decref(jcs);
    json_decref(cmd);
}

static void test_databricks_map_state(void **state)
{
    (void)state;
    assert_int_equal(jc_dbx_map_state("TERMINATED", "SUCCESS"),
                     JC_DBX_SUCCESS);
    assert_int_equal(jc_dbx_map_state("TERMINATED", "FAILED"), JC_DBX_FAILED);
    assert_int_equal(jc_dbx_map_state("TERMINATED", "TIMEDOUT"),
                     JC_DBX_TIMEDOUT);
    assert_int_equal(jc_dbx_map_state("TERMINATED", "CANCELED"),
                     JC_DBX_CANCELED);
    assert_int_equal(jc_dbx_map_state("INTERNAL_ERROR", NULL),
                     JC_DBX_INTERNAL_ERROR);
    assert_int_equal(jc_dbx_map_state("TERMINATED", "SOMETHING_NEW"),
                     JC_DBX_FAILED);
}

struct call_box {
    int calls;
    long http;
    int status;
    char code[64];
    int attempts;
};

static void on_call(void *ud, const struct jc_dbx_result *res)
{
    struct call_box *b = ud;

    b->calls++;
    b->http = res->http_status;
    b->status = res->status;
    b->attempts = res->attempts;
    snprintf(b->code, sizeof(b->code), "%s",
             res->error_code ? res->error_code : "");
}

/* jc_dbx_call directly: query encoding, error shapes, abandon. */
static void test_databricks_call_and_abandon(void **state)
{
    struct fake f;
    uv_loop_t loop;
    struct jc_dbx *c = NULL;
    struct jc_dbx_opts o = JC_DBX_OPTS_INIT;
    struct jc_dbx_req *req = NULL;
    struct call_box b1 = {0}, b2 = {0};
    json_t *q = json_pack("{ss}", "run_id", "12 & x=1");

    (void)state;
    fake_start(&f, NULL);
    uv_loop_init(&loop);
    o.host = f.host;
    o.token = "dapi-secret-123";
    assert_int_equal(jc_dbx_new(&c, &loop, &o), 0);
    assert_ptr_equal(jc_dbx_loop(c), &loop);
    assert_int_equal(jc_dbx_call(c, NULL, "GET", "jobs/runs/get", q, on_call,
                                 &b1),
                     0);
    assert_int_equal(jc_dbx_call(c, &req, "GET", "jobs/runs/get", q, on_call,
                                 &b2),
                     0);
    jc_dbx_req_abandon(req);
    assert_int_equal(jc_dbx_call(c, NULL, "PUT", "jobs/x", NULL, on_call,
                                 &b2),
                     JC_EINVAL);
    while (!b1.calls)
        uv_run(&loop, UV_RUN_ONCE);
    /* "12 & x=1" arrived as one (non-integer) value: it was escaped */
    assert_int_equal(b1.http, 400);
    assert_int_equal(b1.status, JC_EINVAL);
    assert_string_equal(b1.code, "MALFORMED_REQUEST");
    assert_int_equal(b1.attempts, 1); /* 400 is not retried */
    assert_int_equal(b2.calls, 0);    /* abandoned: never called back */
    assert_true(jc_dbx_stat_attempts(c) >= 1);
    jc_dbx_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    assert_int_equal(b2.calls, 0);
    json_decref(q);
    fake_stop(&f);
}

static void test_databricks_api_version(void **state)
{
    struct fake f;
    uv_loop_t loop;
    struct jc_dbx *c = NULL;
    struct jc_dbx_opts o = JC_DBX_OPTS_INIT;
    struct call_box b = {0};
    json_t *q = json_pack("{sI}", "run_id", (json_int_t)424242);

    (void)state;
    fake_start(&f, NULL);
    uv_loop_init(&loop);
    o.host = f.host;
    o.token = "dapi-secret-123";
    o.api_version = "3.0";
    assert_int_equal(jc_dbx_new(&c, &loop, &o), JC_EINVAL);
    o.api_version = "2.1";
    assert_int_equal(jc_dbx_new(&c, &loop, &o), 0);
    assert_int_equal(
        jc_dbx_call(c, NULL, "GET", "jobs/runs/get", q, on_call, &b), 0);
    while (!b.calls)
        uv_run(&loop, UV_RUN_ONCE);
    /* the Jobs quirk: a missing run is 400 INVALID_PARAMETER_VALUE */
    assert_int_equal(b.http, 400);
    assert_string_equal(b.code, "INVALID_PARAMETER_VALUE");
    assert_int_equal(count_lines(f.log, "/api/2.1/jobs/runs/get"), 1);
    jc_dbx_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    json_decref(q);
    fake_stop(&f);
}

static void test_databricks_opts_from_env(void **state)
{
    char *dir = jt_tmpdir();
    char *cfg = ju_xasprintf("%s/databrickscfg", dir);
    struct jc_dbx_opts o = JC_DBX_OPTS_INIT;

    (void)state;
    jt_write_file(cfg, "[DEFAULT]\nhost = https://default.example\n"
                       "token = dapi-default\n\n[dev]\n"
                       "host = dev.example.com\ntoken=dapi-dev\n");
    unsetenv("DATABRICKS_HOST");
    unsetenv("DATABRICKS_TOKEN");
    unsetenv("DATABRICKS_API_VERSION");
    setenv("DATABRICKS_CONFIG_FILE", cfg, 1);
    unsetenv("DATABRICKS_CONFIG_PROFILE");
    assert_int_equal(jc_dbx_opts_from_env(&o), 0);
    assert_string_equal(o.host, "https://default.example");
    assert_string_equal(o.token, "dapi-default");
    setenv("DATABRICKS_CONFIG_PROFILE", "dev", 1);
    assert_int_equal(jc_dbx_opts_from_env(&o), 0);
    assert_string_equal(o.host, "https://dev.example.com");
    assert_string_equal(o.token, "dapi-dev");
    /* the environment wins over the file */
    setenv("DATABRICKS_HOST", "http://127.0.0.1:9", 1);
    setenv("DATABRICKS_TOKEN", "dapi-env", 1);
    setenv("DATABRICKS_API_VERSION", "2.1", 1);
    assert_int_equal(jc_dbx_opts_from_env(&o), 0);
    assert_string_equal(o.host, "http://127.0.0.1:9");
    assert_string_equal(o.token, "dapi-env");
    assert_string_equal(o.api_version, "2.1");
    unsetenv("DATABRICKS_HOST");
    unsetenv("DATABRICKS_TOKEN");
    unsetenv("DATABRICKS_API_VERSION");
    setenv("DATABRICKS_CONFIG_PROFILE", "missing", 1);
    assert_int_equal(jc_dbx_opts_from_env(&o), JC_ENOTFOUND);
    unsetenv("DATABRICKS_CONFIG_PROFILE");
    unsetenv("DATABRICKS_CONFIG_FILE");
    jt_rmtree(dir);
    free(cfg);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_databricks_submit_body),
        cmocka_unit_test(test_databricks_map_state),
        cmocka_unit_test(test_databricks_opts_from_env),
        cmocka_unit_test(test_databricks_call_and_abandon),
        cmocka_unit_test(test_databricks_api_version),
        cmocka_unit_test(test_databricks_success),
        cmocka_unit_test(test_databricks_failure_shows_error),
        cmocka_unit_test(test_databricks_timeout_cancels_on_server),
        cmocka_unit_test(test_databricks_retry_after_honoured),
        cmocka_unit_test(test_databricks_dropped_connection_retried),
        cmocka_unit_test(test_databricks_transient_body_retried),
        cmocka_unit_test(test_databricks_bad_token_rejected),
        cmocka_unit_test(test_databricks_malformed_request_rejected),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
