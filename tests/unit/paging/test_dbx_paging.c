/*
 * test_dbx_paging.c: jc_dbx_call follows API 2.2 next_page_token on GET
 * jobs/get and jobs/runs/get and appends the arrays (settings arrays for a
 * job; tasks or, for a for_each run, iterations), against the fake server
 * tests/integration/remote/fakedbx.py; a token that never advances ends
 * in an error instead of a loop.
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
#include <unistd.h>

extern char **environ;

#define TOKEN "dapi-paging-unit"

struct fake {
    char *dir;
    char *log;
    pid_t pid;
    char host[64];
};

static void fake_start(struct fake *f, const char *scenario_json)
{
    char *portfile;
    char *script;
    char *scenario;
    char *errlog;
    const char *py = getenv("JOBCTL_PYTHON");
    char *argv[12];
    posix_spawn_file_actions_t fa;
    int i;

    memset(f, 0, sizeof(*f));
    f->dir = jt_tmpdir();
    scenario = ju_xasprintf("%s/scenario.json", f->dir);
    f->log = ju_xasprintf("%s/requests.jsonl", f->dir);
    portfile = ju_xasprintf("%s/port", f->dir);
    errlog = ju_xasprintf("%s/server.err", f->dir);
    script = ju_xasprintf("%s/tests/integration/remote/fakedbx.py",
                          jt_source_dir());
    jt_write_file(scenario, scenario_json);
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
    argv[i++] = scenario;
    argv[i++] = (char *)"--token";
    argv[i++] = (char *)TOKEN;
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
    free(scenario);
}

static void fake_stop(struct fake *f)
{
    int st;

    kill(f->pid, SIGTERM);
    waitpid(f->pid, &st, 0);
    jt_rmtree(f->dir);
    free(f->dir);
    free(f->log);
}

/* Requests in the fake's log containing needle. */
static int count(const char *log, const char *needle)
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

struct box {
    int calls;
    int status;
    long http;
    json_t *body;
    char msg[256];
};

static void on_call(void *ud, const struct jc_dbx_result *res)
{
    struct box *b = ud;

    b->calls++;
    b->status = res->status;
    b->http = res->http_status;
    b->body = res->body ? json_incref(res->body) : NULL;
    snprintf(b->msg, sizeof(b->msg), "%s", res->message ? res->message : "");
}

struct client {
    uv_loop_t loop;
    struct jc_dbx *c;
};

static void client_new(struct client *cl, const struct fake *f,
                       const char *version)
{
    struct jc_dbx_opts o = JC_DBX_OPTS_INIT;

    uv_loop_init(&cl->loop);
    o.host = f->host;
    o.token = TOKEN;
    o.api_version = version;
    o.retry_base_s = 0.05;
    assert_int_equal(jc_dbx_new(&cl->c, &cl->loop, &o), 0);
}

static void client_free(struct client *cl)
{
    jc_dbx_free(cl->c);
    uv_run(&cl->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&cl->loop), 0);
}

/* One call, run to completion; args is consumed. */
static void call(struct client *cl, const char *method, const char *path,
                 json_t *args, struct box *b)
{
    memset(b, 0, sizeof(*b));
    assert_int_equal(jc_dbx_call(cl->c, NULL, method, path, args, on_call, b),
                     0);
    json_decref(args);
    while (!b->calls)
        uv_run(&cl->loop, UV_RUN_ONCE);
}

static int64_t submit(struct client *cl, const char *key)
{
    struct box b;
    json_t *body = json_pack(
        "{s:s, s:[{s:s, s:s, s:{s:s}}]}", "run_name", "paging", "tasks",
        "task_key", key, "existing_cluster_id", "0101-abc", "notebook_task",
        "notebook_path", "/x");
    int64_t id;

    call(cl, "POST", "jobs/runs/submit", body, &b);
    assert_int_equal(b.status, 0);
    id = json_integer_value(json_object_get(b.body, "run_id"));
    json_decref(b.body);
    assert_true(id > 0);
    return id;
}

static void check_keys(json_t *arr, const char *fmt, size_t n)
{
    size_t i;
    char want[32];

    assert_int_equal(json_array_size(arr), n);
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(arr, i);
        const char *k = json_string_value(json_object_get(e, "task_key"));

        if (!k)
            k = json_string_value(json_object_get(e, "name"));
        snprintf(want, sizeof(want), fmt, (int)i);
        assert_non_null(k);
        assert_string_equal(k, want);
    }
}

/* A job of 150 tasks / 120 parameters arrives whole; 2.1 cannot read it. */
static void test_dbx_paging_job(void **state)
{
    struct fake f;
    struct client cl;
    struct box b;
    json_t *s;

    (void)state;
    fake_start(&f, "{\"jobs\": {\"7\": {\"name\": \"big\", \"tasks\": 150, "
                   "\"parameters\": 120, \"job_clusters\": 3}}}");
    client_new(&cl, &f, "2.2");
    call(&cl, "GET", "jobs/get", json_pack("{sI}", "job_id", (json_int_t)7),
         &b);
    assert_int_equal(b.status, 0);
    s = json_object_get(b.body, "settings");
    check_keys(json_object_get(s, "tasks"), "t%03d", 150);
    check_keys(json_object_get(s, "parameters"), "p%03d", 120);
    assert_int_equal(json_array_size(json_object_get(s, "job_clusters")), 3);
    assert_null(json_object_get(b.body, "next_page_token"));
    assert_int_equal(json_integer_value(json_object_get(b.body, "job_id")), 7);
    assert_int_equal(count(f.log, "/api/2.2/jobs/get"), 2);
    assert_int_equal(count(f.log, "\"page_token\""), 1);
    json_decref(b.body);
    client_free(&cl);

    client_new(&cl, &f, "2.1");
    call(&cl, "GET", "jobs/get", json_pack("{sI}", "job_id", (json_int_t)7),
         &b);
    assert_int_equal(b.http, 400);
    assert_non_null(strstr(b.msg, "API 2.2"));
    json_decref(b.body);
    client_free(&cl);
    fake_stop(&f);
}

/*
 * A 150-task run: tasks appended in order. A for_each run: its task comes
 * once (every page repeats it), its 250 iterations are appended.
 */
static void test_dbx_paging_runs(void **state)
{
    struct fake f;
    struct client cl;
    struct box b;
    int64_t big;
    int64_t fe;
    json_t *tasks;

    (void)state;
    fake_start(&f, "{\"tasks\": {\"big\": {\"run_tasks\": 150}, "
                   "\"fe\": {\"run_iterations\": 250}}}");
    client_new(&cl, &f, "2.2");
    big = submit(&cl, "big");
    fe = submit(&cl, "fe");
    call(&cl, "GET", "jobs/runs/get",
         json_pack("{sI}", "run_id", (json_int_t)big), &b);
    assert_int_equal(b.status, 0);
    tasks = json_object_get(b.body, "tasks");
    assert_int_equal(json_array_size(tasks), 150);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(tasks, 149), "task_key")),
                        "big");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(tasks, 100), "task_key")),
                        "big__sib100");
    json_decref(b.body);

    call(&cl, "GET", "jobs/runs/get",
         json_pack("{sI}", "run_id", (json_int_t)fe), &b);
    assert_int_equal(b.status, 0);
    assert_int_equal(json_array_size(json_object_get(b.body, "tasks")), 1);
    assert_int_equal(json_array_size(json_object_get(b.body, "iterations")),
                     250);
    assert_int_equal(
        json_integer_value(json_object_get(
            json_array_get(json_object_get(b.body, "iterations"), 249),
            "run_id")),
        fe * 1000 + 5000 + 249);
    json_decref(b.body);
    /* 1 + 1 page for the big run, 1 + 2 for the for_each one */
    assert_int_equal(count(f.log, "\"page_token\""), 3);
    client_free(&cl);
    fake_stop(&f);
}

/* A server whose token never advances: an error, not an endless loop. */
static void test_dbx_paging_stuck(void **state)
{
    struct fake f;
    struct client cl;
    struct box b;
    int64_t id;

    (void)state;
    fake_start(&f, "{\"faults\": [{\"path\": \"runs/get\", "
                   "\"stuck_page_token\": true, \"count\": 1000}]}");
    client_new(&cl, &f, "2.2");
    id = submit(&cl, "t");
    call(&cl, "GET", "jobs/runs/get",
         json_pack("{sI}", "run_id", (json_int_t)id), &b);
    assert_true(b.status < 0);
    assert_null(b.body);
    assert_non_null(strstr(b.msg, "did not end"));
    assert_int_equal(count(f.log, "/jobs/runs/get"), 2);
    client_free(&cl);
    fake_stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dbx_paging_job),
        cmocka_unit_test(test_dbx_paging_runs),
        cmocka_unit_test(test_dbx_paging_stuck),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
