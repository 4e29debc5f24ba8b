/*
 * test_spec.c: the job loaders: every accepted JSON shape, the seed file,
 * unknown keys kept, 64-bit ids, syntax errors with file:line:col.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsupport.h"

#include "jobctl/err.h"
#include "jobctl/spec.h"

static struct jc_job *load_text(const char *text, const char *name)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    int rc = jc_spec_load_buffer(&job, text, strlen(text), name, NULL, &d);

    if (rc < 0 && d.n)
        fprintf(stderr, "%s\n", d.items[0].msg);
    assert_int_equal(rc, 0);
    jc_diags_release(&d);
    return job;
}

static void test_spec_seed_get_job_response(void **state)
{
    char path[4096];
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    const struct jc_task *t;

    (void)state;
    snprintf(path, sizeof(path), "%s/seeds/full_streaming_pipeline.json",
             jt_shared_dir());
    assert_int_equal(jc_spec_load_file(&job, path, NULL, &d), 0);
    assert_int_equal(d.n, 0);
    assert_true(job->job_id == 514481533365670LL);
    assert_string_equal(job->name, "full_streaming_pipeline");
    assert_int_equal(job->ntasks, 3);
    assert_true(job->schedule.present);
    assert_string_equal(job->schedule.quartz_cron_expression,
                        "15 30 * * * ?");
    assert_string_equal(job->schedule.timezone_id, "UTC");
    assert_false(job->schedule.paused);
    assert_int_equal(job->max_concurrent_runs, 1);
    assert_true(job->queue_enabled);
    assert_false(job->remote);
    t = jc_job_find_task(job, "bronze_to_silver_cleanse");
    assert_non_null(t);
    assert_int_equal(t->type, JC_TASK_NOTEBOOK);
    assert_string_equal(t->type_key, "notebook_task");
    assert_string_equal(t->notebook_path,
                        "/Workspace/Users/data.engineer@example.com/"
                        "02_bronze_to_silver_cleanse.py");
    assert_int_equal(t->ndeps, 1);
    assert_string_equal(t->deps[0].task_key, "stream_kafka_to_bronze");
    assert_null(t->deps[0].outcome);
    assert_int_equal(t->run_if, JC_RUN_IF_ALL_SUCCESS);
    assert_int_equal(t->compute, JC_COMPUTE_EXISTING_CLUSTER);
    assert_string_equal(t->existing_cluster_id, "0401-191135-8jg69zn4");
    /* the task object is the second of the tasks array, line 1 */
    assert_string_equal(t->loc.file, path);
    assert_int_equal(t->loc.line, 1);
    assert_true(t->loc.col > 1);
    /* unknown key at the top level is kept in the document */
    assert_true(json_is_true(json_object_get(job->document, "run_as_owner")));
    assert_non_null(json_object_get(job->settings, "format"));
    assert_int_equal(jc_spec_validate(job, &d), 0);
    jc_job_free(job);
    jc_diags_release(&d);
}

static void test_spec_bare_settings_and_task_fields(void **state)
{
    const char *text =
        "{\n"
        "  \"name\": \"j\", \"max_concurrent_runs\": 3,\n"
        "  \"x-jobctl\": {\"remote\": true}, \"future_field\": {\"a\": 1},\n"
        "  \"parameters\": [{\"name\": \"run_date\", \"default\": \"x\"}],\n"
        "  \"tasks\": [\n"
        "    {\"task_key\": \"a\", \"command_task\": {\"command\": [\"echo\","
        " \"hi\"], \"env\": {\"K\": \"v\", \"N\": 5}, \"cwd\": \"/tmp\"},\n"
        "     \"max_retries\": -1, \"min_retry_interval_millis\": 500,\n"
        "     \"retry_on_timeout\": true, \"timeout_seconds\": 30},\n"
        "    {\"task_key\": \"c\", \"condition_task\": {\"op\": \"EQUAL_TO\","
        " \"left\": \"{{tasks.a.values.n}}\", \"right\": 1}},\n"
        "    {\"task_key\": \"b\", \"depends_on\": [{\"task_key\": \"c\","
        " \"outcome\": \"true\"}], \"run_if\": \"ALL_DONE\","
        " \"spark_python_task\": {\"python_file\": \"x.py\","
        " \"parameters\": [\"--n\", \"1\"]}, \"job_cluster_key\": \"jc\"},\n"
        "    {\"task_key\": \"d\", \"dashboard_task\": {}}\n"
        "  ]\n"
        "}\n";
    struct jc_job *job = load_text(text, "bare.json");
    const struct jc_task *t;

    assert_int_equal(job->job_id, 0);
    assert_string_equal(job->name, "j");
    assert_int_equal(job->max_concurrent_runs, 3);
    assert_true(job->remote);
    assert_int_equal(job->nparams, 1);
    assert_string_equal(job->params[0].name, "run_date");
    assert_string_equal(job->params[0].default_value, "x");
    assert_non_null(json_object_get(job->settings, "future_field"));
    t = jc_job_find_task(job, "a");
    assert_int_equal(t->type, JC_TASK_COMMAND);
    assert_int_equal(t->ncommand, 2);
    assert_string_equal(t->command[1], "hi");
    assert_int_equal(t->nenv, 2);
    assert_string_equal(t->env[1].value, "5");
    assert_string_equal(t->cwd, "/tmp");
    assert_int_equal(t->max_retries, -1);
    assert_int_equal(t->min_retry_interval_millis, 500);
    assert_true(t->retry_on_timeout);
    assert_int_equal(t->timeout_seconds, 30);
    assert_int_equal(t->compute, JC_COMPUTE_NONE);
    assert_int_equal(t->loc.line, 6);
    assert_int_equal(t->loc.col, 5);
    t = jc_job_find_task(job, "c");
    assert_int_equal(t->type, JC_TASK_CONDITION);
    assert_string_equal(t->cond_op, "EQUAL_TO");
    assert_string_equal(t->cond_right, "1");
    t = jc_job_find_task(job, "b");
    assert_int_equal(t->run_if, JC_RUN_IF_ALL_DONE);
    assert_string_equal(t->deps[0].outcome, "true");
    assert_int_equal(t->type, JC_TASK_SPARK_PYTHON);
    assert_string_equal(t->python_file, "x.py");
    assert_int_equal(t->nparameters, 2);
    assert_int_equal(t->compute, JC_COMPUTE_JOB_CLUSTER);
    assert_string_equal(t->job_cluster_key, "jc");
    t = jc_job_find_task(job, "d");
    assert_int_equal(t->type, JC_TASK_OTHER);
    assert_null(jc_job_find_task(job, "zz"));
    jc_job_free(job);
}

static void test_spec_submit_and_list_shapes(void **state)
{
    struct jc_spec_load_opts o = JC_SPEC_LOAD_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    const char *list =
        "{\"jobs\": [{\"job_id\": 9007199254740993, \"settings\": {\"name\":"
        " \"one\", \"tasks\": []}}, {\"job_id\": 2, \"settings\": {\"name\":"
        " \"two\", \"tasks\": [{\"task_key\": \"t\", \"notebook_task\":"
        " {\"notebook_path\": \"/x\"}}]}}], \"has_more\": false}";
    struct jc_job *job;

    (void)state;
    job = load_text("{\"run_name\": \"once\", \"tasks\": [{\"task_key\":"
                    " \"x\", \"notebook_task\": {\"notebook_path\":"
                    " \"/n\"}}]}",
                    "submit.json");
    assert_string_equal(job->name, "once");
    assert_int_equal(job->ntasks, 1);
    jc_job_free(job);

    job = load_text(list, "list.json");
    assert_string_equal(job->name, "one");
    /* 2^53 + 1 is not representable as a double: kept exact */
    assert_true(job->job_id == 9007199254740993LL);
    jc_job_free(job);

    o.job_key = "two";
    assert_int_equal(jc_spec_load_buffer(&job, list, strlen(list), "l.json",
                                         &o, &d), 0);
    assert_int_equal(job->job_id, 2);
    assert_int_equal(job->ntasks, 1);
    jc_job_free(job);
    jc_diags_release(&d);
}

static void test_spec_syntax_error_has_line_col(void **state)
{
    const char *text = "{\n  \"name\": \"x\",\n  \"tasks\": [,]\n}\n";
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    (void)state;
    assert_int_equal(jc_spec_load_buffer(&job, text, strlen(text), "bad.json",
                                         NULL, &d), JC_EPARSE);
    assert_null(job);
    assert_int_equal(d.n, 1);
    assert_true(strncmp(d.items[0].msg, "bad.json:3:", 11) == 0);
    jc_diags_release(&d);

    text = "{\"tasks\": [], \"name\": \"a\", \"name\": \"b\"}";
    assert_int_equal(jc_spec_load_buffer(&job, text, strlen(text), "dup.json",
                                         NULL, &d), JC_EPARSE);
    assert_non_null(strstr(d.items[0].msg, "duplicate"));
    jc_diags_release(&d);

    text = "{\"hello\": 1}";
    assert_int_equal(jc_spec_load_buffer(&job, text, strlen(text), "u.json",
                                         NULL, &d), JC_EPARSE);
    assert_non_null(strstr(d.items[0].msg, "cannot tell the job format"));
    jc_diags_release(&d);
}

static void test_spec_run_if_names(void **state)
{
    enum jc_run_if r;

    (void)state;
    assert_int_equal(jc_run_if_parse("AT_LEAST_ONE_FAILED", &r), 0);
    assert_int_equal(r, JC_RUN_IF_AT_LEAST_ONE_FAILED);
    assert_string_equal(jc_run_if_name(r), "AT_LEAST_ONE_FAILED");
    assert_int_equal(jc_run_if_parse("all_success", &r), JC_EINVAL);
    assert_int_equal(jc_run_if_parse(NULL, &r), JC_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_seed_get_job_response),
        cmocka_unit_test(test_spec_bare_settings_and_task_fields),
        cmocka_unit_test(test_spec_submit_and_list_shapes),
        cmocka_unit_test(test_spec_syntax_error_has_line_col),
        cmocka_unit_test(test_spec_run_if_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
