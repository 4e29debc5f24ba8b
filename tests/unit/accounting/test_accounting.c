/*
 * test_accounting.c: attempt costs from the price table, the SQLite ->
 * Delta mirror of cluster_logs and benchmark_logs (every attempt incl.
 * failed and cancelled, exactly once, caught up after a failed run), and
 * the `jobctl costs` summary.
 */
#include "testsupport.h"

#include "jobctl/accounting.h"
#include "jobctl/err.h"
#include "jobctl/pricing.h"
#include "jobctl/store.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/mem.h"

#include <math.h>
#include <string.h>

static int64_t add_attempt(struct jc_store *s, int64_t run_id, const char *key,
                           int attempt, const char *life, const char *result,
                           const char *executor, double cost)
{
    struct jc_task_run_row r;

    memset(&r, 0, sizeof(r));
    r.run_id = run_id;
    r.task_key = (char *)key;
    r.attempt_number = attempt;
    r.life_cycle_state = (char *)life;
    r.result_state = (char *)result;
    r.state_message = (char *)(result && strcmp(result, "SUCCESS")
                                   ? "exit code 1"
                                   : "");
    r.start_ms = 1763700000000LL + attempt * 1000;
    r.end_ms = strcmp(life, "RUNNING") ? r.start_ms + 2500 : 0;
    r.exit_code = -1;
    r.executor = (char *)executor;
    r.cpu_user_s = 1.5;
    r.cpu_sys_s = 0.5;
    r.max_rss_kb = 2048;
    r.read_bytes = 100;
    r.write_bytes = 50;
    r.cost = cost;
    assert_int_equal(jc_store_task_run_insert(s, &r), 0);
    return r.task_run_id;
}

static int64_t add_run(struct jc_store *s, const char *name)
{
    struct jc_run_row r;
    int64_t job_id = 0;

    assert_int_equal(jc_store_job_put(s, &job_id, name, "{}", NULL), 0);
    memset(&r, 0, sizeof(r));
    r.job_id = job_id;
    r.run_name = (char *)name;
    r.life_cycle_state = (char *)"TERMINATED";
    r.result_state = (char *)"FAILED";
    r.start_ms = 1763700000000LL;
    r.owner_pid = 1;
    r.settings_json =
        (char *)"{\"tasks\":[{\"task_key\":\"remote\",\"new_cluster\":"
                "{\"node_type_id\":\"i3.xlarge\",\"num_workers\":2}}]}";
    assert_int_equal(jc_store_run_insert(s, &r), 0);
    return r.run_id;
}

struct count {
    size_t rows;
    double cost;
    size_t failed;
};

static int count_cb(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    struct count *c = ud;
    struct lake_column *cost = lake_batch_column(b, "cost");
    struct lake_column *notes = lake_batch_column(b, "notes");
    size_t i;

    (void)f;
    c->rows += b->num_rows;
    for (i = 0; cost && i < b->num_rows; i++)
        c->cost += lake_column_get_f64(cost, i);
    for (i = 0; notes && i < b->num_rows; i++) {
        size_t n;
        const char *s = lake_column_get_str(notes, i, &n);

        if (s && n >= 6 && !strncmp(s, "FAILED", 6))
            c->failed++;
    }
    return 0;
}

static struct count table_rows(const char *home, const char *table)
{
    struct count c = {0, 0, 0};
    char *path = ju_xasprintf("%s/lake/%s", home, table);
    struct lake_table *t = NULL;

    assert_int_equal(lake_table_open(&t, path), 0);
    assert_int_equal(lake_table_scan(t, NULL, count_cb, &c, NULL), 0);
    lake_table_close(t);
    free(path);
    return c;
}

static void test_accounting_mirror_exactly_once(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *s = NULL;
    struct jc_pricing p;
    int64_t run, n = -1;
    struct count c;

    (void)state;
    jc_pricing_defaults(&p);
    assert_int_equal(jc_store_open_nosettle(&s, home), 0);
    run = add_run(s, "acct-job");
    add_attempt(s, run, "a", 0, "TERMINATED", "FAILED", "local", 0.25);
    add_attempt(s, run, "a", 1, "TERMINATED", "SUCCESS", "local", 0.5);
    add_attempt(s, run, "remote", 0, "TERMINATED", "CANCELED", "databricks",
                1.0);
    add_attempt(s, run, "t", 0, "TERMINATED", "TIMEDOUT", "local", 0.125);

    assert_int_equal(jc_accounting_mirror(s, home, &p, &n), 0);
    assert_int_equal(n, 4);
    c = table_rows(home, "cluster_logs");
    assert_int_equal(c.rows, 4);
    assert_true(fabs(c.cost - 1.875) < 1e-9);
    assert_int_equal(c.failed, 1);
    assert_int_equal(table_rows(home, "benchmark_logs").rows, 4);

    /* again: nothing new, nothing duplicated */
    assert_int_equal(jc_accounting_mirror(s, home, &p, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(table_rows(home, "cluster_logs").rows, 4);

    /* an attempt still running blocks later ones until it finishes */
    {
        int64_t id = add_attempt(s, run, "slow", 0, "RUNNING", NULL, "local",
                                 0);
        struct jc_task_run_row r;

        add_attempt(s, run, "after", 0, "TERMINATED", "SUCCESS", "local", 1);
        assert_int_equal(jc_accounting_mirror(s, home, &p, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(jc_store_task_run_get(s, id, &r), 0);
        free(r.life_cycle_state);
        r.life_cycle_state = ju_xstrdup("TERMINATED");
        free(r.result_state);
        r.result_state = ju_xstrdup("SUCCESS");
        r.end_ms = r.start_ms + 10;
        assert_int_equal(jc_store_task_run_update(s, &r), 0);
        jc_task_run_row_release(&r);
        assert_int_equal(jc_accounting_mirror(s, home, &p, &n), 0);
        assert_int_equal(n, 2);
    }
    assert_int_equal(table_rows(home, "cluster_logs").rows, 6);
    assert_int_equal(table_rows(home, "benchmark_logs").rows, 6);

    jc_store_close(s);
    jc_pricing_release(&p);
    jt_rmtree(home);
    free(home);
}

static int run_id_cb(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    char *out = ud;
    struct lake_column *c = lake_batch_column(b, "run_id");
    struct lake_column *x = lake_batch_column(b, "extra");
    size_t n = 0;
    const char *s;

    (void)f;
    assert_non_null(c);
    assert_int_equal(c->type, LAKE_TYPE_STRING);
    s = lake_column_get_str(c, 0, &n);
    snprintf(out, 32, "%.*s", (int)n, s);
    assert_true(lake_column_is_null(x, 0)); /* unknown column: null */
    return 0;
}

/* benchmark_logs created first by another writer (the cleanse task's
 * schema: run_id STRING, plus a column we do not know). */
static void test_accounting_mirror_into_foreign_schema(void **state)
{
    char *home = jt_tmpdir();
    char *path = ju_xasprintf("%s/lake/benchmark_logs", home);
    struct jc_store *s = NULL;
    struct jc_pricing p;
    struct lake_schema sc;
    struct lake_table *t = NULL;
    char run_id[32] = "";
    char want[32];
    int64_t run, n = -1;

    (void)state;
    jc_pricing_defaults(&p);
    lake_schema_init(&sc);
    lake_schema_add_simple(&sc, "task", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(&sc, "elapsed_seconds", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(&sc, "run_time", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(&sc, "run_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(&sc, "rows", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(&sc, "bytes", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(&sc, "extra", LAKE_TYPE_STRING, true);
    assert_int_equal(
        lake_table_create_if_absent(&t, path, &sc, NULL, 0, NULL), 0);
    lake_table_close(t);
    assert_int_equal(jc_store_open_nosettle(&s, home), 0);
    run = add_run(s, "foreign");
    add_attempt(s, run, "a", 0, "TERMINATED", "SUCCESS", "local", 0.5);
    assert_int_equal(jc_accounting_mirror(s, home, &p, &n), 0);
    assert_int_equal(lake_table_open(&t, path), 0);
    assert_int_equal(lake_table_scan(t, NULL, run_id_cb, run_id, NULL), 0);
    lake_table_close(t);
    snprintf(want, sizeof(want), "%lld", (long long)run);
    assert_string_equal(run_id, want);
    jc_store_close(s);
    lake_schema_release(&sc);
    jc_pricing_release(&p);
    jt_rmtree(home);
    free(home);
    free(path);
}

static void test_accounting_summary_sums(void **state)
{
    char *home = jt_tmpdir();
    struct jc_store *s = NULL;
    struct jc_costs_query q = JC_COSTS_QUERY_INIT;
    json_t *res = NULL;
    json_t *rows;
    json_t *total;
    int64_t run;

    (void)state;
    assert_int_equal(jc_store_open_nosettle(&s, home), 0);
    run = add_run(s, "sum-job");
    add_attempt(s, run, "a", 0, "TERMINATED", "FAILED", "local", 0.25);
    add_attempt(s, run, "a", 1, "TERMINATED", "SUCCESS", "local", 0.5);
    add_attempt(s, run, "b", 0, "TERMINATED", "SUCCESS", "databricks", 2);
    add_attempt(s, run, "c", 0, "RUNNING", NULL, "local", 9); /* excluded */

    assert_int_equal(jc_accounting_summary(s, &q, &res), 0);
    rows = json_object_get(res, "rows");
    assert_int_equal(json_array_size(rows), 2);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(rows, 0), "key")),
        "a");
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(rows, 0), "attempts")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(rows, 0), "failed")),
                     1);
    total = json_object_get(res, "total");
    assert_true(fabs(json_real_value(json_object_get(total, "cost")) - 2.75) <
                1e-9);
    assert_int_equal(json_integer_value(json_object_get(total, "remote")), 1);
    json_decref(res);

    /* the same task key in another job is a separate row */
    {
        int64_t run2 = add_run(s, "other-job");

        add_attempt(s, run2, "a", 0, "TERMINATED", "SUCCESS", "local", 1);
        assert_int_equal(jc_accounting_summary(s, &q, &res), 0);
        rows = json_object_get(res, "rows");
        assert_int_equal(json_array_size(rows), 3);
        assert_string_equal(json_string_value(json_object_get(
                                json_array_get(rows, 0), "job")),
                            "other-job");
        json_decref(res);
    }
    q.by = "job";
    q.job = "sum-job";
    assert_int_equal(jc_accounting_summary(s, &q, &res), 0);
    assert_int_equal(json_array_size(json_object_get(res, "rows")), 1);
    json_decref(res);
    q.job = "nope";
    assert_int_equal(jc_accounting_summary(s, &q, &res), JC_ENOTFOUND);
    q.job = NULL;
    q.by = "week";
    assert_int_equal(jc_accounting_summary(s, &q, &res), JC_EINVAL);
    q.by = "day";
    q.since_ms = 1763700000000LL + 5000; /* after every attempt */
    assert_int_equal(jc_accounting_summary(s, &q, &res), 0);
    assert_int_equal(json_array_size(json_object_get(res, "rows")), 0);
    json_decref(res);

    jc_store_close(s);
    jt_rmtree(home);
    free(home);
}

static void test_accounting_cost_local_and_remote(void **state)
{
    struct jc_pricing p;
    struct jc_attempt_result res;
    struct jc_task task;
    json_error_t e;
    char cluster[160];
    double c;

    (void)state;
    jc_pricing_defaults(&p);
    memset(&res, 0, sizeof(res));
    snprintf(res.executor, sizeof(res.executor), "local");
    res.start_ms = 0;
    res.end_ms = 3600 * 1000;
    res.cpu_user_s = 1800;
    res.cpu_sys_s = 1800;
    res.max_rss_kb = 1024 * 1024;
    c = jc_accounting_cost(&p, NULL, NULL, NULL, &res, cluster, sizeof(cluster));
    assert_true(fabs(c - (p.local_core_hour + p.local_gib_hour)) < 1e-9);
    assert_string_equal(cluster, "local");

    memset(&task, 0, sizeof(task));
    task.raw = json_loads("{\"task_key\":\"r\",\"new_cluster\":{"
                          "\"node_type_id\":\"i3.xlarge\",\"num_workers\":1}}",
                          0, &e);
    memset(&res, 0, sizeof(res));
    snprintf(res.executor, sizeof(res.executor), "databricks");
    res.end_ms = 3600 * 1000;
    /* no remote run id: the submit never created a cluster */
    assert_true(jc_accounting_cost(&p, NULL, &task, NULL, &res, NULL, 0) == 0);
    snprintf(res.remote_run_id, sizeof(res.remote_run_id), "1000");
    c = jc_accounting_cost(&p, NULL, &task, NULL, &res, cluster, sizeof(cluster));
    assert_true(fabs(c - (2 * 1.0 * p.dbu_price + 2 * 0.312)) < 1e-9);
    assert_non_null(strstr(cluster, "i3.xlarge x2"));
    json_decref(task.raw);
    jc_pricing_release(&p);
}

static void test_accounting_parse_since(void **state)
{
    int64_t v;

    (void)state;
    assert_int_equal(jc_accounting_parse_since("2025-11-21", 0, &v), 0);
    assert_int_equal(v, 1763683200000LL);
    assert_int_equal(jc_accounting_parse_since("2025-11-21T01:00", 0, &v), 0);
    assert_int_equal(v, 1763683200000LL + 3600000);
    assert_int_equal(jc_accounting_parse_since("2d", 1000LL * 86400 * 3, &v),
                     0);
    assert_int_equal(v, 1000LL * 86400);
    assert_int_equal(jc_accounting_parse_since("yesterday", 0, &v), JC_EINVAL);
    assert_int_equal(jc_accounting_parse_since("2025-13-40", 0, &v),
                     JC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accounting_cost_local_and_remote),
        cmocka_unit_test(test_accounting_parse_since),
        cmocka_unit_test(test_accounting_summary_sums),
        cmocka_unit_test(test_accounting_mirror_exactly_once),
        cmocka_unit_test(test_accounting_mirror_into_foreign_schema),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
