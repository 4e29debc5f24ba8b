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
    assert_string_equal(job->schedule.quartz_cron_expression, "15 30 * * * ?");
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
    struct jc_job *job;
    const struct jc_task *t;

    (void)state;
    job = load_text(text, "bare.json");

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
    assert_int_equal(
        jc_spec_load_buffer(&job, list, strlen(list), "l.json", &o, &d), 0);
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
    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "bad.json", NULL, &d),
        JC_EPARSE);
    assert_null(job);
    assert_int_equal(d.n, 1);
    assert_true(strncmp(d.items[0].msg, "bad.json:3:", 11) == 0);
    jc_diags_release(&d);

    text = "{\"tasks\": [], \"name\": \"a\", \"name\": \"b\"}";
    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "dup.json", NULL, &d),
        JC_EPARSE);
    assert_non_null(strstr(d.items[0].msg, "duplicate"));
    jc_diags_release(&d);

    text = "\xEF\xBB\xBF{\"tasks\": []}";
    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "bom.json", NULL, &d), 0);
    jc_job_free(job);

    text = "{\"hello\": 1}";
    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "u.json", NULL, &d),
        JC_EPARSE);
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

static void test_spec_bundle_matches_seed_graph(void **state)
{
    char seed[4096], bundle[4096];
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *a = NULL, *b = NULL;
    size_t i, k;

    (void)state;
    snprintf(seed, sizeof(seed), "%s/seeds/full_streaming_pipeline.json",
             jt_shared_dir());
    snprintf(bundle, sizeof(bundle), "%s/jobs/bundle/databricks.yml",
             jt_source_dir());
    assert_int_equal(jc_spec_load_file(&a, seed, NULL, &d), 0);
    if (jc_spec_load_file(&b, bundle, NULL, &d) < 0)
        fail_msg("%s", d.n ? d.items[0].msg : "load failed");
    assert_int_equal(jc_spec_validate(b, &d), 0);
    assert_string_equal(b->bundle_job_key, "full_streaming_pipeline");
    /* the default target is `mode: development`: "[dev <user>] " prefix
     * and a paused schedule, as the Databricks CLI deploys it */
    assert_int_equal(strncmp(b->name, "[dev ", 5), 0);
    assert_non_null(strstr(b->name, "] "));
    assert_string_equal(strstr(b->name, "] ") + 2, a->name);
    assert_int_equal(a->ntasks, b->ntasks);
    assert_string_equal(a->schedule.quartz_cron_expression,
                        b->schedule.quartz_cron_expression);
    assert_string_equal(a->schedule.timezone_id, b->schedule.timezone_id);
    assert_false(a->schedule.paused);
    assert_true(b->schedule.paused);
    assert_int_equal(a->max_concurrent_runs, b->max_concurrent_runs);
    assert_int_equal(a->queue_enabled, b->queue_enabled);
    for (i = 0; i < a->ntasks; i++) {
        const struct jc_task *x = &a->tasks[i], *y = &b->tasks[i];

        assert_string_equal(x->task_key, y->task_key);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->run_if, y->run_if);
        assert_string_equal(x->notebook_path, y->notebook_path);
        assert_int_equal(x->compute, y->compute);
        assert_string_equal(x->existing_cluster_id, y->existing_cluster_id);
        assert_int_equal(x->ndeps, y->ndeps);
        for (k = 0; k < x->ndeps; k++)
            assert_string_equal(x->deps[k].task_key, y->deps[k].task_key);
    }
    /* locations point into the YAML */
    assert_string_equal(b->tasks[1].loc.file, bundle);
    assert_int_equal(b->tasks[1].loc.line, 37);
    assert_int_equal(b->tasks[1].loc.col, 11);
    jc_job_free(a);
    jc_job_free(b);
    jc_diags_release(&d);
}

static void test_spec_bundle_targets_and_vars(void **state)
{
    char bundle[4096];
    const char *vars[] = {"nb_root=/ws"};
    struct jc_spec_load_opts o = JC_SPEC_LOAD_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    (void)state;
    snprintf(bundle, sizeof(bundle), "%s/jobs/bundle/databricks.yml",
             jt_source_dir());
    o.target = "prod";
    assert_int_equal(jc_spec_load_file(&job, bundle, &o, &d), 0);
    assert_string_equal(job->tasks[0].existing_cluster_id,
                        "0000-000000-prodclus");
    jc_job_free(job);
    setenv("BUNDLE_VAR_cluster_id", "from-env", 1);
    o.target = NULL;
    o.vars = vars;
    o.nvars = 1;
    assert_int_equal(jc_spec_load_file(&job, bundle, &o, &d), 0);
    unsetenv("BUNDLE_VAR_cluster_id");
    assert_string_equal(job->tasks[2].existing_cluster_id, "from-env");
    assert_string_equal(job->tasks[2].notebook_path,
                        "/ws/03_monitor_silver_events");
    jc_job_free(job);
    o.target = "qa";
    o.nvars = 0;
    assert_int_equal(jc_spec_load_file(&job, bundle, &o, &d), JC_EPARSE);
    assert_non_null(strstr(d.items[0].msg, "unknown target 'qa' (defined: "
                                           "dev, prod)"));
    jc_diags_release(&d);
}

static const char *yaml_bundle =
    "bundle: {name: b}\n"
    "variables:\n"
    "  spec: {type: complex, default: {node_type_id: i3, num_workers: 2}}\n"
    "  n: {default: 007}\n"
    "  need: {description: no default}\n"
    "x-defaults: &d\n"
    "  max_retries: 2\n"
    "  timeout_seconds: 60\n"
    "resources:\n"
    "  jobs:\n"
    "    first:\n"
    "      name: ${bundle.name}-${bundle.target}-${var.n}\n"
    "      job_clusters:\n"
    "        - job_cluster_key: main\n"
    "          new_cluster: ${var.spec}\n"
    "      tasks:\n"
    "        - task_key: a\n"
    "          <<: *d\n"
    "          max_retries: 5\n"
    "          job_cluster_key: main\n"
    "          command_task:\n"
    "            command: [echo, yes, 010, '010', 1.5, true, \"{{job.id}}\"]\n"
    "        - task_key: b\n"
    "          depends_on: [{task_key: a}]\n"
    "          command_task: {command: [\"true\"]}\n"
    "targets:\n"
    "  t1:\n"
    "    default: true\n"
    "    resources:\n"
    "      jobs:\n"
    "        first:\n"
    "          tasks:\n"
    "            - task_key: b\n"
    "              run_if: ALL_DONE\n"
    "            - task_key: c\n"
    "              command_task: {command: [ls]}\n";

static void test_spec_yaml_typing_anchors_merge(void **state)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    const struct jc_task *t;
    json_t *nc;

    (void)state;
    assert_int_equal(jc_spec_load_buffer(&job, yaml_bundle, strlen(yaml_bundle),
                                         "b.yml", NULL, &d),
                     0);
    assert_string_equal(job->name, "b-t1-7");
    assert_int_equal(job->ntasks, 3);
    t = jc_job_find_task(job, "a");
    assert_int_equal(t->max_retries, 5);      /* explicit key beats << */
    assert_int_equal(t->timeout_seconds, 60); /* merged from the anchor */
    assert_int_equal(t->ncommand, 7);
    assert_string_equal(t->command[1], "yes"); /* not a boolean */
    assert_string_equal(t->command[2], "10");  /* leading zero: decimal */
    assert_string_equal(t->command[3], "010"); /* quoted: string */
    assert_string_equal(t->command[6], "{{job.id}}");
    assert_true(json_is_real(json_array_get(
        json_object_get(json_object_get(t->raw, "command_task"), "command"),
        4)));
    assert_int_equal(t->loc.line, 17);
    assert_int_equal(t->loc.col, 11);
    nc = json_object_get(
        json_array_get(json_object_get(job->settings, "job_clusters"), 0),
        "new_cluster");
    assert_true(json_is_object(nc)); /* a whole reference keeps its type */
    assert_int_equal(json_integer_value(json_object_get(nc, "num_workers")), 2);
    t = jc_job_find_task(job, "b");
    assert_int_equal(t->run_if, JC_RUN_IF_ALL_DONE); /* merged by task_key */
    assert_int_equal(t->ndeps, 1);
    assert_non_null(jc_job_find_task(job, "c"));
    if (jc_spec_validate(job, &d) != 0)
        fail_msg("%s", d.items[0].msg);
    jc_job_free(job);
    jc_diags_release(&d);
}

static void expect_load_error(const char *text, const char *name,
                              const char *want)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    assert_true(jc_spec_load_buffer(&job, text, strlen(text), name, NULL, &d) <
                0);
    assert_null(job);
    assert_true(d.n >= 1);
    if (strcmp(d.items[0].msg, want))
        fail_msg("got '%s' want '%s'", d.items[0].msg, want);
    jc_diags_release(&d);
}

static void test_spec_yaml_errors_point_at_line_col(void **state)
{
    (void)state;
    expect_load_error("resources:\n  jobs:\n    j:\n      name: a\n"
                      "      name: b\n",
                      "dup.yml",
                      "dup.yml:5:7: duplicate key 'name' (first "
                      "at line 4)");
    expect_load_error("resources:\n  jobs:\n    j:\n      tasks: [\n",
                      "bad.yml",
                      "bad.yml:5:1: while parsing a flow node did not find "
                      "expected node content");
    expect_load_error("variables: {x: {description: d}}\nresources:\n"
                      "  jobs:\n    j:\n      name: ${var.x}\n",
                      "v.yml",
                      "v.yml:5:13: variable 'x' has no value (no default, "
                      "--var or BUNDLE_VAR_x)");
    expect_load_error("resources:\n  jobs:\n    j:\n      name: ${var.y}\n",
                      "u.yml",
                      "u.yml:4:13: reference to undeclared variable 'y'");
    expect_load_error("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                      "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                      "resources: {jobs: {}}\n",
                      "laughs.yml",
                      "laughs.yml:1:32: YAML expands to more than 200000 "
                      "nodes (alias expansion limit)");
}

static void test_spec_bundle_include_glob(void **state)
{
    char *dir = jt_tmpdir();
    char path[4096];
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    (void)state;
    snprintf(path, sizeof(path), "%s/resources/job.yml", dir);
    jt_write_file(path, "resources:\n  jobs:\n    inc:\n      name: inc\n"
                        "      tasks:\n        - task_key: t\n"
                        "          run_if: SOMETIMES\n"
                        "          command_task: {command: [\"true\"]}\n");
    snprintf(path, sizeof(path), "%s/databricks.yml", dir);
    jt_write_file(path, "bundle: {name: x}\ninclude:\n  - resources/*.yml\n");
    assert_int_equal(jc_spec_load_file(&job, path, NULL, &d), 0);
    assert_string_equal(job->name, "inc");
    assert_int_equal(jc_spec_validate(job, &d), JC_EINVAL);
    assert_int_equal(d.n, 1);
    /* the message points into the included file */
    assert_non_null(strstr(d.items[0].msg, "resources/job.yml:7:19: task "
                                           "'t': invalid run_if 'SOMETIMES'"));
    jc_job_free(job);
    jc_diags_release(&d);
    jt_rmtree(dir);
    free(dir);
}

static void test_spec_from_settings_api_body(void **state)
{
    json_error_t e;
    json_t *s = json_loads("{\"name\": \"api\", \"tasks\": [{\"task_key\":"
                           " \"a\", \"run_if\": \"NOPE\", \"command_task\":"
                           " {\"command\": [\"true\"]}}]}",
                           0, &e);
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    (void)state;
    assert_non_null(s);
    assert_int_equal(jc_spec_from_settings(&job, s, &d), 0);
    json_decref(s); /* the job keeps its own reference */
    assert_string_equal(job->name, "api");
    assert_int_equal(job->ntasks, 1);
    assert_int_equal(jc_spec_validate(job, &d), JC_EINVAL);
    /* no file: the message has no location prefix */
    assert_true(
        strncmp(d.items[0].msg, "task 'a': invalid run_if 'NOPE'", 31) == 0);
    jc_job_free(job);
    jc_diags_release(&d);
    assert_int_equal(jc_spec_from_settings(&job, NULL, &d), JC_EINVAL);
    jc_diags_release(&d);
}

static void test_spec_bundle_json_environments_and_job_key(void **state)
{
    const char *text =
        "{\"bundle\": {\"name\": \"jb\"},\n"
        " \"resources\": {\"jobs\": {\n"
        "   \"one\": {\"name\": \"one\", \"tasks\": []},\n"
        "   \"two\": {\"name\": \"${bundle.name}-two\", \"tasks\": [\n"
        "     {\"task_key\": \"t\", \"run_if\": \"BAD\",\n"
        "      \"command_task\": {\"command\": [\"true\"]}}]}}},\n"
        " \"environments\": {\"e\": {\"default\": true, \"resources\":"
        " {\"jobs\": {\"two\": {\"max_concurrent_runs\": 4}}}}}}\n";
    struct jc_spec_load_opts o = JC_SPEC_LOAD_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    (void)state;
    o.job_key = "two";
    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "b.json", &o, &d), 0);
    assert_string_equal(job->bundle_job_key, "two");
    assert_string_equal(job->name, "jb-two");
    assert_int_equal(job->max_concurrent_runs, 4); /* environments: alias */
    assert_int_equal(jc_spec_validate(job, &d), JC_EINVAL);
    assert_string_equal(d.items[0].msg,
                        "b.json:5:34: task 't': invalid run_if 'BAD' "
                        "(expected ALL_SUCCESS, AT_LEAST_ONE_SUCCESS, "
                        "NONE_FAILED, ALL_DONE, AT_LEAST_ONE_FAILED or "
                        "ALL_FAILED)");
    jc_job_free(job);
    jc_diags_release(&d);
    o.job_key = "three";
    assert_int_equal(
        jc_spec_load_buffer(&job, text, strlen(text), "b.json", &o, &d),
        JC_EPARSE);
    assert_non_null(strstr(d.items[0].msg, "no job 'three' in resources.jobs "
                                           "(defined: one, two)"));
    jc_diags_release(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_seed_get_job_response),
        cmocka_unit_test(test_spec_bare_settings_and_task_fields),
        cmocka_unit_test(test_spec_submit_and_list_shapes),
        cmocka_unit_test(test_spec_syntax_error_has_line_col),
        cmocka_unit_test(test_spec_run_if_names),
        cmocka_unit_test(test_spec_bundle_matches_seed_graph),
        cmocka_unit_test(test_spec_bundle_targets_and_vars),
        cmocka_unit_test(test_spec_yaml_typing_anchors_merge),
        cmocka_unit_test(test_spec_yaml_errors_point_at_line_col),
        cmocka_unit_test(test_spec_bundle_include_glob),
        cmocka_unit_test(test_spec_from_settings_api_body),
        cmocka_unit_test(test_spec_bundle_json_environments_and_job_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
