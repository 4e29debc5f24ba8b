/*
 * test_remote_run.c: a mixed local/remote DAG through the real run engine
 * (jc_run_*) with accounting attached, against the fake Databricks server
 * (tests/integration/remote/fakedbx.py): remote success, a remote failure
 * retried with its error shown, a remote timeout cancelled on the server,
 * local tasks progressing while remote runs poll, and one accounting row
 * per attempt in SQLite and in both Delta tables with the right costs.
 */
#include "testsupport.h"

#include "jobctl/accounting.h"
#include "jobctl/databricks.h"
#include "jobctl/err.h"
#include "jobctl/pricing.h"
#include "jobctl/run.h"
#include "jobctl/spec.h"
#include "jobctl/store.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/mem.h"

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char job_json[] =
    "{\"name\": \"mixed\",\n"
    " \"job_clusters\": [{\"job_cluster_key\": \"main\", \"new_cluster\":\n"
    "   {\"spark_version\": \"15.4.x-scala2.12\", \"node_type_id\":\n"
    "    \"m5.xlarge\", \"num_workers\": 2}}],\n"
    " \"tasks\": [\n"
    "  {\"task_key\": \"local_a\", \"command_task\": {\"command\":\n"
    "    [\"/bin/sleep\", \"0.3\"]}},\n"
    "  {\"task_key\": \"r_ok\", \"existing_cluster_id\": \"0101-abc\",\n"
    "   \"notebook_task\": {\"notebook_path\": \"/Repos/x/ok\",\n"
    "    \"base_parameters\": {\"run\": \"{{run.id}}\"}}},\n"
    "  {\"task_key\": \"r_fail\", \"job_cluster_key\": \"main\",\n"
    "   \"max_retries\": 1,\n"
    "   \"spark_python_task\": {\"python_file\": \"/Repos/x/f.py\"}},\n"
    "  {\"task_key\": \"r_slow\", \"timeout_seconds\": 1,\n"
    "   \"new_cluster\": {\"spark_version\": \"15.4.x-scala2.12\",\n"
    "    \"node_type_id\": \"i3.xlarge\", \"num_workers\": 1},\n"
    "   \"notebook_task\": {\"notebook_path\": \"/Repos/x/slow\"}},\n"
    "  {\"task_key\": \"after\", \"depends_on\": [{\"task_key\": \"r_ok\"}],\n"
    "   \"command_task\": {\"command\": [\"/bin/true\"]}}\n"
    " ]}\n";

static const char scenario[] =
    "{\"tasks\": {\"r_ok\": {\"duration\": 1.5},"
    " \"r_fail\": {\"mode\": \"fail\", \"duration\": 0.2},"
    " \"r_slow\": {\"mode\": \"hang\"}}}";

static pid_t start_fake(const char *dir, char *host, size_t n)
{
    char *portfile = ju_xasprintf("%s/port", dir);
    char *log = ju_xasprintf("%s/requests.jsonl", dir);
    char *sc = ju_xasprintf("%s/scenario.json", dir);
    char *errlog = ju_xasprintf("%s/server.err", dir);
    char *script = ju_xasprintf("%s/tests/integration/remote/fakedbx.py",
                                jt_source_dir());
    const char *py = getenv("JOBCTL_PYTHON") ? getenv("JOBCTL_PYTHON")
                                             : "/usr/bin/python3";
    char *argv[] = {(char *)py, script, (char *)"--port-file", portfile,
                    (char *)"--log", log, (char *)"--scenario", sc,
                    (char *)"--token", (char *)"dapi-secret-123", NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int i;

    jt_write_file(sc, scenario);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, errlog, O_WRONLY | O_CREAT, 0644);
    assert_int_equal(posix_spawn(&pid, py, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    host[0] = '\0';
    for (i = 0; i < 200 && !host[0]; i++) {
        char *p = jt_read_file(portfile, NULL);

        if (p) {
            snprintf(host, n, "http://127.0.0.1:%s", p);
            free(p);
        } else {
            usleep(50000);
        }
    }
    assert_true(host[0]);
    free(portfile);
    free(log);
    free(sc);
    free(errlog);
    free(script);
    return pid;
}

static const struct jc_task_run_row *find(const struct jc_task_run_row *rows,
                                          size_t n, const char *key,
                                          int attempt)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!strcmp(rows[i].task_key, key) &&
            rows[i].attempt_number == attempt)
            return &rows[i];
    fail_msg("no attempt %d of '%s'", attempt, key);
    return NULL;
}

static int count_cb(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    size_t *n = ud;

    (void)f;
    *n += b->num_rows;
    return 0;
}

static size_t delta_rows(const char *home, const char *table)
{
    char *path = ju_xasprintf("%s/lake/%s", home, table);
    struct lake_table *t = NULL;
    size_t n = 0;

    assert_int_equal(lake_table_open(&t, path), 0);
    assert_int_equal(lake_table_scan(t, NULL, count_cb, &n, NULL), 0);
    lake_table_close(t);
    free(path);
    return n;
}

static void test_remote_run_mixed_dag(void **state)
{
    char *dir = jt_tmpdir();
    char *home = ju_xasprintf("%s/home", dir);
    char host[64];
    pid_t pid = start_fake(dir, host, sizeof(host));
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    struct jc_store *store = NULL;
    struct jc_run_opts ro = JC_RUN_OPTS_INIT;
    struct jc_accounting *acct = NULL;
    struct jc_run *run = NULL;
    enum jc_result result = JC_RESULT_NONE;
    struct jc_task_run_row *rows = NULL;
    size_t n = 0;
    const struct jc_task_run_row *ok, *la, *f0, *f1, *slow;
    struct jc_pricing p;
    struct jc_remote_cost rc;
    char *reqlog;
    char *log;
    int st;

    (void)state;
    setenv("DATABRICKS_HOST", host, 1);
    setenv("DATABRICKS_TOKEN", "dapi-secret-123", 1);
    setenv("JOBCTL_DATABRICKS_POLL_S", "0.1", 1);
    setenv("JOBCTL_DATABRICKS_POLL_MAX_S", "0.3", 1);
    setenv("JOBCTL_DATABRICKS_RETRY_S", "0.1", 1);
    setenv("JOBCTL_HOME", home, 1);
    assert_int_equal(jc_spec_load_buffer(&job, job_json, strlen(job_json),
                                         "mixed.json", NULL, &d),
                     0);
    assert_int_equal(jc_store_open(&store, home), 0);
    ro.home = home;
    ro.force_remote = true;
    ro.kill_grace_ms = 1000;
    assert_int_equal(jc_accounting_attach(&acct, &ro, job, uv_default_loop(),
                                          store, home),
                     0);
    assert_int_equal(jc_run_create(&run, store, job, &ro), 0);
    assert_int_equal(jc_run_drive(run, &result), 0);
    assert_int_equal(result, JC_RESULT_FAILED);
    assert_int_equal(jc_store_task_run_list(store, jc_run_id(run), &rows, &n),
                     0);
    jc_accounting_finish(acct);

    /* one row per attempt: local_a, r_ok, r_fail x2, r_slow, after */
    assert_int_equal(n, 6);
    ok = find(rows, n, "r_ok", 0);
    la = find(rows, n, "local_a", 0);
    f0 = find(rows, n, "r_fail", 0);
    f1 = find(rows, n, "r_fail", 1);
    slow = find(rows, n, "r_slow", 0);
    find(rows, n, "after", 0);
    assert_string_equal(ok->result_state, "SUCCESS");
    assert_string_equal(ok->executor, "databricks");
    assert_non_null(ok->remote_run_id);
    assert_string_equal(la->executor, "local");
    /* the local task ran and finished while the remote one was polled */
    assert_true(la->end_ms < ok->end_ms);
    assert_string_equal(f0->result_state, "FAILED");
    assert_string_equal(f1->result_state, "FAILED");
    assert_non_null(strstr(f1->state_message, "ZeroDivisionError"));
    assert_string_equal(slow->result_state, "TIMEDOUT");

    /* the failure's trace is in the attempt log */
    log = jt_read_file(f0->log_path, NULL);
    assert_non_null(log);
    assert_non_null(strstr(log, "Traceback"));
    free(log);

    /* the timed-out run was cancelled on the server; idempotency tokens */
    reqlog = ju_xasprintf("%s/requests.jsonl", dir);
    log = jt_read_file(reqlog, NULL);
    assert_non_null(strstr(log, "/jobs/runs/cancel"));
    assert_non_null(strstr(log, "\"idempotency_token\": \"jobctl-"));
    assert_null(strstr(log, "job_cluster_key")); /* inlined as new_cluster */
    free(log);
    free(reqlog);

    /* costs follow the price table */
    jc_pricing_defaults(&p);
    {
        /* billed: setup + execution + cleanup, as the executor recorded */
        char *side = jc_dbx_sidecar_path(ok->log_path);
        json_t *j = json_load_file(side, 0, NULL);
        int64_t ms;

        assert_non_null(j);
        ms = json_integer_value(json_object_get(j, "setup_duration")) +
             json_integer_value(json_object_get(j, "execution_duration")) +
             json_integer_value(json_object_get(j, "cleanup_duration"));
        assert_true(ms > 0);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(j, "cluster"),
                                "existing_cluster_id")),
                            "0101-abc");
        jc_pricing_remote_cost(&p, NULL, "0101-abc", (double)ms / 1000.0,
                               &rc);
        json_decref(j);
        free(side);
    }
    assert_true(ok->cost > 0);
    assert_true(fabs(ok->cost - rc.total) < 1e-9);
    assert_true(la->cost >= 0);
    jc_pricing_release(&p);

    /* mirrored: every attempt in both Delta tables */
    assert_int_equal(delta_rows(home, "cluster_logs"), 6);
    assert_int_equal(delta_rows(home, "benchmark_logs"), 6);

    jc_task_run_rows_free(rows, n);
    jc_run_free(run);
    jc_store_close(store);
    jc_job_free(job);
    jc_diags_release(&d);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    jt_rmtree(dir);
    free(dir);
    free(home);
}

static void cancel_cb(uv_timer_t *t)
{
    jc_run_cancel(t->data, "cancelled by test");
    uv_close((uv_handle_t *)t, NULL);
}

/* A user cancel while a remote task runs: runs/cancel there, CANCELED
 * here, and the cancelled attempt is still accounted for. */
static void test_remote_run_user_cancel(void **state)
{
    static const char one[] =
        "{\"name\": \"cancel-me\", \"tasks\": [{\"task_key\": \"r_slow\",\n"
        " \"new_cluster\": {\"spark_version\": \"15.4\", \"node_type_id\":\n"
        " \"i3.xlarge\", \"num_workers\": 1}, \"notebook_task\":\n"
        " {\"notebook_path\": \"/Repos/x/slow\"}}]}";
    char *dir = jt_tmpdir();
    char *home = ju_xasprintf("%s/home", dir);
    char host[64];
    pid_t pid = start_fake(dir, host, sizeof(host));
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    struct jc_store *store = NULL;
    struct jc_run_opts ro = JC_RUN_OPTS_INIT;
    struct jc_accounting *acct = NULL;
    struct jc_run *run = NULL;
    enum jc_result result = JC_RESULT_NONE;
    struct jc_task_run_row *rows = NULL;
    size_t n = 0;
    uv_timer_t timer;
    char *reqlog;
    char *log;
    int st;

    (void)state;
    setenv("DATABRICKS_HOST", host, 1);
    setenv("DATABRICKS_TOKEN", "dapi-secret-123", 1);
    setenv("JOBCTL_HOME", home, 1);
    assert_int_equal(
        jc_spec_load_buffer(&job, one, strlen(one), "c.json", NULL, &d), 0);
    assert_int_equal(jc_store_open(&store, home), 0);
    ro.home = home;
    ro.force_remote = true;
    assert_int_equal(jc_accounting_attach(&acct, &ro, job, uv_default_loop(),
                                          store, home),
                     0);
    assert_int_equal(jc_run_create(&run, store, job, &ro), 0);
    uv_timer_init(uv_default_loop(), &timer);
    timer.data = run;
    uv_timer_start(&timer, cancel_cb, 800, 0);
    assert_int_equal(jc_run_drive(run, &result), 0);
    assert_int_equal(result, JC_RESULT_CANCELED);
    assert_int_equal(jc_store_task_run_list(store, jc_run_id(run), &rows, &n),
                     0);
    /* the daemon's way: mirror on the thread pool, never uv_run inside */
    jc_accounting_finish_async(acct);
    uv_run(uv_default_loop(), UV_RUN_DEFAULT);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].result_state, "CANCELED");
    assert_non_null(rows[0].remote_run_id);
    assert_true(rows[0].cost > 0);
    reqlog = ju_xasprintf("%s/requests.jsonl", dir);
    log = jt_read_file(reqlog, NULL);
    assert_non_null(strstr(log, "/jobs/runs/cancel"));
    free(log);
    free(reqlog);
    assert_int_equal(delta_rows(home, "cluster_logs"), 1);
    assert_int_equal(delta_rows(home, "benchmark_logs"), 1);
    jc_task_run_rows_free(rows, n);
    jc_run_free(run);
    jc_store_close(store);
    jc_job_free(job);
    jc_diags_release(&d);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    jt_rmtree(dir);
    free(dir);
    free(home);
}

static void on_submitted(void *ud, const struct jc_dbx_result *res)
{
    int64_t *id = ud;

    assert_int_equal(res->status, 0);
    *id = (int64_t)json_integer_value(json_object_get(res->body, "run_id"));
}

/* A Databricks run left live by a jobctl that died (its attempt settled
 * as orphaned) is cancelled there by the next remote-capable run. */
static void test_remote_run_cancels_orphans(void **state)
{
    static const char one[] =
        "{\"name\": \"after-crash\", \"tasks\": [{\"task_key\": \"l\",\n"
        " \"command_task\": {\"command\": [\"/bin/sleep\", \"0.5\"]}}]}";
    char *dir = jt_tmpdir();
    char *home = ju_xasprintf("%s/home", dir);
    char *log_path = ju_xasprintf("%s/logs/1/r_slow/0.log", home);
    char host[64];
    pid_t pid = start_fake(dir, host, sizeof(host));
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    struct jc_store *store = NULL;
    struct jc_run_opts ro = JC_RUN_OPTS_INIT;
    struct jc_accounting *acct = NULL;
    struct jc_run *run = NULL;
    enum jc_result result = JC_RESULT_NONE;
    struct jc_run_row rr;
    struct jc_task_run_row tr;
    struct jc_dbx_opts o = JC_DBX_OPTS_INIT;
    struct jc_dbx *c = NULL;
    uv_loop_t loop;
    int64_t live = 0;
    json_t *body;
    char *side;
    char *reqlog;
    char *log;
    char needle[64];
    json_t *j;
    int st;

    (void)state;
    setenv("DATABRICKS_HOST", host, 1);
    setenv("DATABRICKS_TOKEN", "dapi-secret-123", 1);
    setenv("JOBCTL_HOME", home, 1);
    /* a run that never ends on its own, as if submitted before a crash */
    uv_loop_init(&loop);
    o.host = host;
    o.token = "dapi-secret-123";
    assert_int_equal(jc_dbx_new(&c, &loop, &o), 0);
    body = json_loads("{\"tasks\": [{\"task_key\": \"r_slow\", "
                      "\"existing_cluster_id\": \"x\", \"notebook_task\": "
                      "{\"notebook_path\": \"/x\"}}]}",
                      0, NULL);
    assert_int_equal(jc_dbx_call(c, NULL, "POST", "jobs/runs/submit", body,
                                 on_submitted, &live),
                     0);
    while (!live)
        uv_run(&loop, UV_RUN_ONCE);
    jc_dbx_free(c);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    json_decref(body);

    /* the store as settle_orphans leaves it, and the executor's record */
    assert_int_equal(jc_store_open(&store, home), 0);
    memset(&rr, 0, sizeof(rr));
    rr.run_name = (char *)"crashed";
    rr.life_cycle_state = (char *)"TERMINATED";
    rr.result_state = (char *)"FAILED";
    rr.start_ms = 1;
    rr.owner_pid = 1;
    assert_int_equal(jc_store_run_insert(store, &rr), 0);
    memset(&tr, 0, sizeof(tr));
    tr.run_id = rr.run_id;
    tr.task_key = (char *)"r_slow";
    tr.life_cycle_state = (char *)"TERMINATED";
    tr.result_state = (char *)"FAILED";
    tr.state_message =
        (char *)"orphaned: jobctl process 1 died while the task ran";
    tr.start_ms = 1;
    tr.end_ms = 2;
    tr.exit_code = -1;
    tr.executor = (char *)"databricks";
    tr.log_path = log_path;
    tr.read_bytes = -1;
    tr.write_bytes = -1;
    assert_int_equal(jc_store_task_run_insert(store, &tr), 0);
    side = jc_dbx_sidecar_path(log_path);
    j = json_pack("{sI ss sb}", "run_id", (json_int_t)live, "host", host,
                  "active", 1);
    jt_write_file(side, "");
    assert_int_equal(json_dump_file(j, side, 0), 0);
    json_decref(j);

    assert_int_equal(
        jc_spec_load_buffer(&job, one, strlen(one), "a.json", NULL, &d), 0);
    ro.home = home;
    ro.force_remote = true;
    assert_int_equal(jc_accounting_attach(&acct, &ro, job, uv_default_loop(),
                                          store, home),
                     0);
    assert_int_equal(jc_run_create(&run, store, job, &ro), 0);
    assert_int_equal(jc_run_drive(run, &result), 0);
    assert_int_equal(result, JC_RESULT_SUCCESS);
    jc_accounting_finish(acct);

    reqlog = ju_xasprintf("%s/requests.jsonl", dir);
    log = jt_read_file(reqlog, NULL);
    snprintf(needle, sizeof(needle), "\"run_id\": %lld}", (long long)live);
    assert_non_null(strstr(log, "/jobs/runs/cancel"));
    assert_non_null(strstr(strstr(log, "/jobs/runs/cancel"), needle));
    j = json_load_file(side, 0, NULL);
    assert_true(json_is_false(json_object_get(j, "active")));
    assert_true(json_is_true(json_object_get(j, "orphan_cancelled")));
    json_decref(j);
    free(log);
    free(reqlog);
    free(side);
    jc_run_free(run);
    jc_store_close(store);
    jc_job_free(job);
    jc_diags_release(&d);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    jt_rmtree(dir);
    free(dir);
    free(home);
    free(log_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remote_run_mixed_dag),
        cmocka_unit_test(test_remote_run_user_cancel),
        cmocka_unit_test(test_remote_run_cancels_orphans),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
