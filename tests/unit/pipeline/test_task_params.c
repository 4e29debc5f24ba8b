/*
 * test_task_params.c: the task side of the task protocol: parameters from
 * argv (--name=value, --name value, '-' and '_' alike) or
 * JOBCTL_PARAM_<NAME>, flags, bounds, and unknown-option handling.
 */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "taskcommon/task.h"

static void test_task_params_argv_forms(void **state)
{
    char *argv[] = {"prog",
                    "--batch-size=10",
                    "--linger-ms",
                    "250",
                    "--continuous",
                    "--topic",
                    "--late_threshold_seconds=7",
                    NULL};
    int argc = 7;
    long v;

    (void)state;
    assert_string_equal(task_param(argc, argv, "batch-size"), "10");
    assert_string_equal(task_param(argc, argv, "linger-ms"), "250");
    assert_string_equal(task_param(argc, argv, "continuous"), "");
    assert_true(task_flag(argc, argv, "continuous"));
    /* "--topic" followed by another option is a flag, not "--late..." */
    assert_string_equal(task_param(argc, argv, "topic"), "");
    assert_string_equal(task_param(argc, argv, "late-threshold-seconds"), "7");
    assert_int_equal(task_param_long(argc, argv, "batch-size", 5, 1, 100, &v),
                     0);
    assert_int_equal(v, 10);
    assert_int_equal(task_param_long(argc, argv, "batch-size", 5, 11, 100, &v),
                     JC_EINVAL);
    assert_int_equal(task_param_long(argc, argv, "missing", 5, 1, 100, &v), 0);
    assert_int_equal(v, 5);
}

static void test_task_params_env(void **state)
{
    char *argv[] = {"prog", NULL};
    double d;

    (void)state;
    setenv("JOBCTL_PARAM_LATE_THRESHOLD_SECONDS", "42", 1);
    setenv("JOBCTL_PARAM_FAIL_ON_LATE", "true", 1);
    assert_string_equal(task_param(1, argv, "late-threshold-seconds"), "42");
    assert_true(task_flag(1, argv, "fail-on-late"));
    assert_false(task_flag(1, argv, "optimize"));
    assert_int_equal(
        task_param_double(1, argv, "late-threshold-seconds", 0, 0, 100, &d), 0);
    assert_true(d == 42.0);
    unsetenv("JOBCTL_PARAM_LATE_THRESHOLD_SECONDS");
    unsetenv("JOBCTL_PARAM_FAIL_ON_LATE");
}

static void test_task_params_check_args(void **state)
{
    static const char *const known[] = {"batch-size", "continuous", NULL};
    char *ok[] = {"prog", "--batch_size", "3", "--continuous", NULL};
    char *unknown[] = {"prog", "--env=prod", NULL};
    char *bare[] = {"prog", "stray", NULL};

    (void)state;
    assert_int_equal(task_check_args(4, ok, known), 0);
    assert_int_equal(task_check_args(2, unknown, known), JC_EINVAL);
    assert_int_equal(task_check_args_ex(2, unknown, known, 0), 0);
    assert_int_equal(task_check_args_ex(2, bare, known, 0), JC_EINVAL);
}

static void test_task_params_timestamp_format(void **state)
{
    char buf[40];

    (void)state;
    task_fmt_ts(1743529077000000LL, buf, sizeof(buf));
    assert_string_equal(buf, "2025-04-01T17:37:57.000Z");
    task_fmt_ts(-1000, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_params_argv_forms),
        cmocka_unit_test(test_task_params_env),
        cmocka_unit_test(test_task_params_check_args),
        cmocka_unit_test(test_task_params_timestamp_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
