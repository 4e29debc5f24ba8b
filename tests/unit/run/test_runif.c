/*
 * test_runif.c: truth table of run_if over all six conditions with
 * succeeding, failing, excluded, cancelled, upstream-failed parents and
 * condition-outcome mismatches (jobs-api.md 4.2), and the job result
 * rules from leaf tasks (4.3).
 */
#include "testsupport.h"

#include <string.h>

#include "jobctl/run.h"

#define S JC_RESULT_SUCCESS
#define F JC_RESULT_FAILED
#define T JC_RESULT_TIMEDOUT
#define E JC_RESULT_EXCLUDED
#define C JC_RESULT_CANCELED
#define UF JC_RESULT_UPSTREAM_FAILED
#define UC JC_RESULT_UPSTREAM_CANCELED
#define D JC_RESULT_DISABLED
#define RUN JC_RESULT_NONE /* expected: the task runs */

struct row {
    const char *name;
    enum jc_result parents[3];
    size_t n;
    /* expected per run_if: ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, NONE_FAILED,
     * ALL_DONE, AT_LEAST_ONE_FAILED, ALL_FAILED */
    enum jc_result want[6];
};

static const struct row table[] = {
    {"success,success", {S, S}, 2, {RUN, RUN, RUN, RUN, E, E}},
    {"success,failed", {S, F}, 2, {UF, RUN, UF, RUN, RUN, E}},
    {"failed,failed", {F, F}, 2, {UF, UF, UF, RUN, RUN, RUN}},
    {"timedout,failed", {T, F}, 2, {UF, UF, UF, RUN, RUN, RUN}},
    {"excluded,excluded", {E, E}, 2, {E, E, E, E, E, E}},
    {"disabled,excluded", {D, E}, 2, {E, E, E, E, E, E}},
    {"excluded,success", {E, S}, 2, {RUN, RUN, RUN, RUN, E, E}},
    {"excluded,failed", {E, F}, 2, {UF, RUN, UF, RUN, RUN, E}},
    {"canceled,success", {C, S}, 2, {UC, RUN, UC, RUN, E, E}},
    {"canceled,failed", {C, F}, 2, {UC, UC, UC, RUN, RUN, E}},
    {"upstream_canceled", {UC}, 1, {UC, UC, UC, RUN, E, E}},
    {"upstream_failed", {UF}, 1, {UF, UF, UF, RUN, RUN, RUN}},
    {"upstream_failed,success", {UF, S}, 2, {UF, RUN, UF, RUN, RUN, E}},
    {"success", {S}, 1, {RUN, RUN, RUN, RUN, E, E}},
    {"failed", {F}, 1, {UF, UF, UF, RUN, RUN, RUN}},
    {"canceled", {C}, 1, {UC, UC, UC, RUN, E, E}},
    {"no parents", {S}, 0, {RUN, RUN, RUN, RUN, RUN, RUN}},
};

static const enum jc_run_if conds[6] = {
    JC_RUN_IF_ALL_SUCCESS,  JC_RUN_IF_AT_LEAST_ONE_SUCCESS,
    JC_RUN_IF_NONE_FAILED,  JC_RUN_IF_ALL_DONE,
    JC_RUN_IF_AT_LEAST_ONE_FAILED, JC_RUN_IF_ALL_FAILED,
};

static void test_runif_truth_table(void **state)
{
    size_t i, c;

    (void)state;
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        for (c = 0; c < 6; c++) {
            enum jc_result skip = RUN;
            int run = jc_run_if_eval(conds[c], table[i].parents, NULL,
                                     table[i].n, &skip);
            enum jc_result got = run ? RUN : skip;
            if (got != table[i].want[c])
                fail_msg("parents [%s] run_if %s: want %s got %s",
                         table[i].name, jc_run_if_name(conds[c]),
                         table[i].want[c] == RUN ? "run"
                                                 : jc_result_name(table[i].want[c]),
                         got == RUN ? "run" : jc_result_name(got));
        }
    }
}

static void test_runif_outcome_mismatch_excludes(void **state)
{
    enum jc_result p[2] = {S, S};
    bool ok_one[2] = {false, true};
    bool ok_none[2] = {false, false};
    enum jc_result skip = RUN;
    size_t c;

    (void)state;
    /* Branch not taken on every parent: EXCLUDED whatever run_if says. */
    for (c = 0; c < 6; c++) {
        assert_int_equal(jc_run_if_eval(conds[c], p, ok_none, 2, &skip), 0);
        assert_int_equal(skip, E);
    }
    /* One edge matches: the mismatch counts as an excluded (successful) parent. */
    assert_int_equal(jc_run_if_eval(JC_RUN_IF_ALL_SUCCESS, p, ok_one, 2, &skip), 1);
    assert_int_equal(jc_run_if_eval(JC_RUN_IF_NONE_FAILED, p, ok_one, 2, &skip), 1);
}

static void test_runif_job_result_from_leaves(void **state)
{
    enum jc_result all1[] = {S, S, S};
    enum jc_result all2[] = {S, F, S};
    enum jc_result leaves2[] = {S};
    enum jc_result all3[] = {S, F, UF};
    enum jc_result leaves3[] = {UF};
    enum jc_result all4[] = {S, E};
    enum jc_result leaves4[] = {E};
    enum jc_result all5[] = {S, T};
    enum jc_result leaves5[] = {T};

    (void)state;
    assert_int_equal(jc_run_job_result(all1, 3, all1 + 2, 1), JC_RESULT_SUCCESS);
    assert_int_equal(jc_run_job_result(all2, 3, leaves2, 1),
                     JC_RESULT_SUCCESS_WITH_FAILURES);
    assert_int_equal(jc_run_job_result(all3, 3, leaves3, 1), JC_RESULT_FAILED);
    /* Excluded leaves count as success. */
    assert_int_equal(jc_run_job_result(all4, 2, leaves4, 1), JC_RESULT_SUCCESS);
    assert_int_equal(jc_run_job_result(all5, 2, leaves5, 1), JC_RESULT_FAILED);
}

static void test_runif_result_names(void **state)
{
    (void)state;
    assert_string_equal(jc_result_name(JC_RESULT_UPSTREAM_CANCELED),
                        "UPSTREAM_CANCELED");
    assert_string_equal(jc_result_name(JC_RESULT_SUCCESS_WITH_FAILURES),
                        "SUCCESS_WITH_FAILURES");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runif_truth_table),
        cmocka_unit_test(test_runif_outcome_mismatch_excludes),
        cmocka_unit_test(test_runif_job_result_from_leaves),
        cmocka_unit_test(test_runif_result_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
