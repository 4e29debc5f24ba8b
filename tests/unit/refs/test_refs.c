/*
 * test_refs.c: dynamic value references: substitution, back-quoted
 * names, whitespace, malformed and unknown-namespace references left
 * literally, errors for unknown names; task values files; conditions;
 * workspace resolution; parameter env names.
 */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/run_int.h"
#include "jobctl/err.h"

static int lookup(void *arg, char **seg, size_t n, char **val)
{
    (void)arg;
    if (n == 2 && !strcmp(seg[0], "job") && !strcmp(seg[1], "run_id")) {
        *val = strdup("77");
        return 0;
    }
    if (n == 3 && !strcmp(seg[0], "job") && !strcmp(seg[1], "parameters")) {
        if (!strcmp(seg[2], "my-param") || !strcmp(seg[2], "a.b")) {
            *val = strdup("P");
            return 0;
        }
        return jc_err_set(JC_ENOTFOUND, "job parameter '%s' is not defined",
                          seg[2]);
    }
    if (!strcmp(seg[0], "job"))
        return jc_err_set(JC_EINVAL, "unknown reference");
    return 1;
}

static void expect(const char *in, const char *want)
{
    char *out = NULL;

    assert_int_equal(jc_refs_expand(in, lookup, NULL, &out), 0);
    assert_string_equal(out, want);
    free(out);
}

static void test_refs_substitution(void **state)
{
    (void)state;
    expect("run {{job.run_id}}!", "run 77!");
    expect("{{ job.run_id }}-{{job.run_id}}", "77-77");
    expect("{{job.parameters.`my-param`}}", "P");
    expect("{{job.parameters.`a.b`}}", "P");
    expect("no refs", "no refs");
    expect("", "");
}

static void test_refs_malformed_left_literally(void **state)
{
    (void)state;
    expect("{{job.run_id", "{{job.run_id");
    expect("{{}}", "{{}}");
    expect("{{a b}}", "{{a b}}");
    expect("{{input.x}} and {{unknown}}", "{{input.x}} and {{unknown}}");
    expect("$(touch /tmp/x); rm -rf {{job.run_id}}", "$(touch /tmp/x); rm -rf 77");
}

static void test_refs_unknown_name_is_error(void **state)
{
    char *out = NULL;

    (void)state;
    assert_true(jc_refs_expand("{{job.naem}}", lookup, NULL, &out) < 0);
    assert_null(out);
    assert_true(jc_refs_expand("{{job.parameters.nope}}", lookup, NULL, &out) < 0);
    assert_non_null(strstr(jc_err_last(), "nope"));
}

static void test_refs_taskvalues_file(void **state)
{
    char *dir = jt_tmpdir();
    char *p = malloc(strlen(dir) + 16);
    struct jc_tv *v;
    size_t n;

    (void)state;
    snprintf(p, strlen(dir) + 16, "%s/tv", dir);
    jt_write_file(p, "a=1\n# comment\n\nb=x=y\na=2\n{\"key\":\"c\",\"value\":[1,2]}\n");
    assert_int_equal(jc_taskvalues_read(p, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(v[0].key, "a");
    assert_string_equal(v[0].value, "2");
    assert_string_equal(v[1].value, "x=y");
    assert_string_equal(v[2].value, "[1,2]");
    jc_tvs_free(v, n);
    jt_write_file(p, "novalue\n");
    assert_int_equal(jc_taskvalues_read(p, &v, &n), JC_EPARSE);
    snprintf(p, strlen(dir) + 16, "%s/missing", dir);
    assert_int_equal(jc_taskvalues_read(p, &v, &n), 0);
    assert_int_equal(n, 0);
    jt_rmtree(dir);
    free(dir);
    free(p);
}

static void test_refs_condition(void **state)
{
    const char *o;

    (void)state;
    assert_int_equal(jc_condition_eval("EQUAL_TO", "12.0", "12", &o), 0);
    assert_string_equal(o, "false");
    assert_int_equal(jc_condition_eval("GREATER_THAN_OR_EQUAL", "12.0", "12", &o), 0);
    assert_string_equal(o, "true");
    assert_int_equal(jc_condition_eval("NOT_EQUAL", "a", "b", &o), 0);
    assert_string_equal(o, "true");
    assert_true(jc_condition_eval("LESS_THAN", "x", "1", &o) < 0);
}

static void test_refs_workspace_and_env_names(void **state)
{
    char *dir = jt_tmpdir();
    char path[512];
    char **argv;
    size_t n;
    char *e;

    (void)state;
    snprintf(path, sizeof(path), "%s/02_cleanse.py", dir);
    jt_write_file(path, "print(1)\n");
    snprintf(path, sizeof(path), "%s/01_ingest", dir);
    jt_write_file(path, "#!/bin/sh\n");
    chmod(path, 0755);
    snprintf(path, sizeof(path), "%s/03_monitor.sh", dir);
    jt_write_file(path, "echo\n");
    assert_int_equal(jc_workspace_resolve(dir, "/Workspace/u/02_cleanse.py", &argv, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(argv[0], "python3");
    jc_strv_free(argv);
    assert_int_equal(jc_workspace_resolve(dir, "/Workspace/u/02_cleanse", &argv, &n), 0);
    assert_string_equal(argv[0], "python3");
    jc_strv_free(argv);
    assert_int_equal(jc_workspace_resolve(dir, "/W/01_ingest", &argv, &n), 0);
    assert_int_equal(n, 1);
    jc_strv_free(argv);
    assert_int_equal(jc_workspace_resolve(dir, "/W/01_ingest.py", &argv, &n), 0);
    assert_int_equal(n, 1);
    jc_strv_free(argv);
    assert_int_equal(jc_workspace_resolve(dir, "03_monitor", &argv, &n), 0);
    assert_string_equal(argv[0], "sh");
    jc_strv_free(argv);
    assert_int_equal(jc_workspace_resolve(dir, "/W/nothing", &argv, &n), JC_ENOTFOUND);
    e = jc_param_env_name("my-param.x");
    assert_string_equal(e, "JOBCTL_PARAM_MY_PARAM_X");
    free(e);
    e = jc_time_arg(1714521600000LL, "iso_date");
    assert_string_equal(e, "2024-05-01");
    free(e);
    e = jc_time_arg(1714521600000LL, "iso_weekday");
    assert_string_equal(e, "3");
    free(e);
    jt_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refs_substitution),
        cmocka_unit_test(test_refs_malformed_left_literally),
        cmocka_unit_test(test_refs_unknown_name_is_error),
        cmocka_unit_test(test_refs_taskvalues_file),
        cmocka_unit_test(test_refs_condition),
        cmocka_unit_test(test_refs_workspace_and_env_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
