/*
 * test_dag.c: the task graph: parents aligned with depends_on, children,
 * topological order, leaves, cycle paths, downstream closure for repair,
 * and a 10,000-task chain built in linear time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsupport.h"

#include "jobctl/dag.h"
#include "jobctl/err.h"
#include "jobctl/spec.h"
#include "util/buf.h"

static struct jc_job *load(const char *text)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "t.json", NULL, &d), 0);
    jc_diags_release(&d);
    return job;
}

#define T(k, deps)                                                             \
    "{\"task_key\": \"" k "\", \"depends_on\": [" deps "],"                    \
    " \"command_task\": {\"command\": [\"true\"]}}"
#define D(k) "{\"task_key\": \"" k "\"}"

static void test_dag_diamond_order_leaves_closure(void **state)
{
    struct jc_job *job = load("{\"tasks\": [" T("d", D("b") "," D("c")) "," T(
        "b", D("a")) "," T("a", "") "," T("c", D("a")) "," T("e", "") "]}");
    struct jc_dag *dag;
    const size_t *order, *p, *leaves;
    size_t n, i, idx;
    bool mark[5] = {false};
    char got[64] = "";

    (void)state;
    assert_int_equal(jc_dag_new(&dag, job, 0), 0);
    assert_int_equal(jc_dag_size(dag), 5);
    assert_true(jc_dag_lookup(dag, "c", &idx));
    assert_int_equal(idx, 3);
    assert_false(jc_dag_lookup(dag, "zz", &idx));
    p = jc_dag_parents(dag, 0, &n);
    assert_int_equal(n, 2);
    assert_int_equal(p[0], 1); /* aligned with depends_on order */
    assert_int_equal(p[1], 3);
    p = jc_dag_children(dag, 2, &n);
    assert_int_equal(n, 2);
    assert_false(jc_dag_has_cycle(dag));
    assert_int_equal(jc_dag_topo(dag, &order, &n), 0);
    assert_int_equal(n, 5);
    for (i = 0; i < n; i++) {
        size_t l = strlen(got);

        snprintf(got + l, sizeof(got) - l, "%s", jc_dag_key(dag, order[i]));
    }
    assert_string_equal(got, "aebcd");
    leaves = jc_dag_leaves(dag, &n);
    assert_int_equal(n, 2);
    assert_string_equal(jc_dag_key(dag, leaves[0]), "d");
    assert_string_equal(jc_dag_key(dag, leaves[1]), "e");
    assert_null(jc_dag_cycle_path(dag, NULL));
    mark[1] = true; /* repair b: b and d */
    jc_dag_downstream(dag, mark);
    assert_true(mark[0] && mark[1] && !mark[2] && !mark[3] && !mark[4]);
    memset(mark, 0, sizeof(mark));
    mark[0] = true;
    jc_dag_upstream(dag, mark);
    assert_true(mark[0] && mark[1] && mark[2] && mark[3] && !mark[4]);
    jc_dag_free(dag);
    jc_job_free(job);
}

static void test_dag_cycle_path_and_strict_errors(void **state)
{
    struct jc_job *job = load("{\"tasks\": [" T("x", "") "," T(
        "b", D("a")) "," T("c", D("b")) "," T("a", D("c") "," D("x")) "]}");
    struct jc_dag *dag;
    const size_t *order;
    size_t n, first;
    char *path;

    (void)state;
    assert_int_equal(jc_dag_new(&dag, job, 0), 0);
    assert_true(jc_dag_has_cycle(dag));
    assert_int_equal(jc_dag_topo(dag, &order, &n), JC_EINVAL);
    path = jc_dag_cycle_path(dag, &first);
    assert_string_equal(path, "b -> c -> a -> b");
    assert_int_equal(first, 1);
    free(path);
    jc_dag_free(dag);
    jc_job_free(job);

    job = load("{\"tasks\": [" T("s", D("s")) "]}");
    assert_int_equal(jc_dag_new(&dag, job, 0), 0);
    path = jc_dag_cycle_path(dag, NULL);
    assert_string_equal(path, "s -> s");
    free(path);
    jc_dag_free(dag);
    jc_job_free(job);

    job = load("{\"tasks\": [" T("a", D("nope")) "," T("a", "") "]}");
    assert_int_equal(jc_dag_new(&dag, job, 0), JC_EINVAL);
    assert_null(dag);
    assert_int_equal(jc_dag_new(&dag, job, JC_DAG_LENIENT), 0);
    assert_int_equal(jc_dag_size(dag), 2);
    jc_dag_free(dag);
    jc_job_free(job);
}

static void test_dag_ten_thousand_task_chain(void **state)
{
    struct ju_buf b = JU_BUF_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    struct jc_dag *dag;
    const size_t *order;
    size_t n, i;
    bool *mark;

    (void)state;
    ju_buf_adds(&b, "{\"tasks\": [");
    for (i = 0; i < 10000; i++) {
        if (i)
            ju_buf_addf(&b,
                        ",{\"task_key\": \"t%zu\", \"depends_on\":"
                        " [{\"task_key\": \"t%zu\"}],"
                        " \"command_task\": {\"command\": [\"true\"]}}",
                        i, i - 1);
        else
            ju_buf_adds(&b, "{\"task_key\": \"t0\", \"command_task\":"
                            " {\"command\": [\"true\"]}}");
    }
    ju_buf_adds(&b, "]}");
    assert_int_equal(
        jc_spec_load_buffer(&job, b.data, b.len, "big.json", NULL, &d), 0);
    assert_int_equal(jc_spec_validate(job, &d), 0);
    assert_int_equal(jc_dag_new(&dag, job, 0), 0);
    assert_int_equal(jc_dag_topo(dag, &order, &n), 0);
    assert_int_equal(n, 10000);
    assert_int_equal(order[9999], 9999);
    mark = calloc(10000, sizeof(bool));
    mark[5000] = true;
    jc_dag_downstream(dag, mark);
    assert_false(mark[4999]);
    assert_true(mark[9999]);
    free(mark);
    jc_dag_free(dag);
    jc_job_free(job);
    jc_diags_release(&d);
    ju_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dag_diamond_order_leaves_closure),
        cmocka_unit_test(test_dag_cycle_path_and_strict_errors),
        cmocka_unit_test(test_dag_ten_thousand_task_chain),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
