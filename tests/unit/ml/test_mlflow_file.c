/*
 * test_mlflow_file.c: the MLflow file store writes MLflow's mlruns/ layout
 * (experiment and run meta.yaml, params/, metrics/ "ts value step" lines,
 * tags/, artifacts/, models/<name>/version-<n>/meta.yaml) and reads it
 * back: versions list, models:/NAME/latest and /N resolve to the model.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobctl/err.h"
#include "ml/iforest.h"
#include "ml/mlflow.h"
#include "testsupport.h"

static char *pathf(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

static char *read_rel(const char *root, const char *rel)
{
    char *p = pathf(root, rel);
    char *s = jt_read_file(p, NULL);
    free(p);
    return s;
}

static void test_mlflow_file_layout_roundtrip(void **state)
{
    (void)state;
    char *tmp = jt_tmpdir();
    char *root = pathf(tmp, "mlruns");
    char *uri = malloc(strlen(root) + 8);
    snprintf(uri, strlen(root) + 8, "file:%s", root);
    struct ml_mlflow *m;
    assert_int_equal(ml_mlflow_open(&m, uri), 0);
    assert_false(ml_mlflow_is_rest(m));

    char *exp, *exp2, *run;
    assert_int_equal(ml_mlflow_experiment_ensure(m, "gold", &exp), 0);
    assert_string_equal(exp, "1");
    assert_int_equal(ml_mlflow_experiment_ensure(m, "gold", &exp2), 0);
    assert_string_equal(exp2, "1");
    char *s = read_rel(root, "0/meta.yaml");
    assert_non_null(strstr(s, "name: 'Default'"));
    free(s);
    s = read_rel(root, "1/meta.yaml");
    assert_non_null(strstr(s, "experiment_id: '1'"));
    assert_non_null(strstr(s, "lifecycle_stage: active"));
    assert_non_null(strstr(s, "artifact_location: 'file://"));
    free(s);

    assert_int_equal(ml_mlflow_run_create(m, exp, "train", &run), 0);
    assert_int_equal(strlen(run), 32);
    assert_int_equal(ml_mlflow_log_param(m, run, "contamination", "0.1"), 0);
    /* params are immutable: same value ok, new value refused */
    assert_int_equal(ml_mlflow_log_param(m, run, "contamination", "0.1"), 0);
    assert_int_equal(ml_mlflow_log_param(m, run, "contamination", "0.2"),
                     JC_EINVAL);
    assert_int_equal(ml_mlflow_log_metric(m, run, "training_records", 1020,
                                          1700000000000LL, 0),
                     0);
    assert_int_equal(ml_mlflow_log_metric(m, run, "training_records", 1021,
                                          1700000000001LL, 1),
                     0);
    assert_int_equal(ml_mlflow_set_tag(m, run, "team", "data"), 0);
    assert_int_equal(ml_mlflow_log_param(m, run, "../escape", "x"),
                     JC_EINVAL);

    char rel[128];
    snprintf(rel, sizeof(rel), "1/%s/params/contamination", run);
    s = read_rel(root, rel);
    assert_string_equal(s, "0.1");
    free(s);
    snprintf(rel, sizeof(rel), "1/%s/metrics/training_records", run);
    s = read_rel(root, rel);
    assert_string_equal(s, "1700000000000 1020 0\n1700000000001 1021 1\n");
    free(s);
    snprintf(rel, sizeof(rel), "1/%s/tags/mlflow.runName", run);
    s = read_rel(root, rel);
    assert_string_equal(s, "train");
    free(s);

    /* a model directory as artifact, then registered twice */
    double x[40];
    for (int i = 0; i < 20; i++) {
        x[2 * i] = i;
        x[2 * i + 1] = 1000 + i * i;
    }
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.n_estimators = 3;
    struct ml_iforest *f;
    assert_int_equal(ml_iforest_fit(&f, x, 20, 2, &o, NULL), 0);
    const char *names[] = {"value", "timestamp_unix"};
    const char *types[] = {"double", "long"};
    char *mdir = pathf(tmp, "model");
    assert_int_equal(ml_model_dir_write(mdir, f, names, types, 2, x, run), 0);
    assert_int_equal(ml_mlflow_log_artifact(m, run, mdir, ""), 0);
    snprintf(rel, sizeof(rel), "1/%s/artifacts/model/MLmodel", run);
    s = read_rel(root, rel);
    assert_non_null(s);
    assert_non_null(strstr(s, "jobctl_iforest:"));
    assert_non_null(strstr(s, "\"name\": \"timestamp_unix\""));
    free(s);

    char *art;
    assert_int_equal(ml_mlflow_run_artifact_uri(m, run, &art), 0);
    char *src = pathf(art, "model");
    int64_t v1, v2;
    assert_int_equal(ml_mlflow_register_version(m, "iforest_x", src, run,
                                                &v1),
                     0);
    assert_int_equal(ml_mlflow_register_version(m, "iforest_x", src, run,
                                                &v2),
                     0);
    assert_int_equal(v1, 1);
    assert_int_equal(v2, 2);
    assert_int_equal(ml_mlflow_run_end(m, run, ML_RUN_FINISHED), 0);
    snprintf(rel, sizeof(rel), "1/%s/meta.yaml", run);
    s = read_rel(root, rel);
    assert_non_null(strstr(s, "status: 3"));
    assert_null(strstr(s, "end_time: null"));
    assert_non_null(strstr(s, "run_name: 'train'"));
    free(s);
    s = read_rel(root, "models/iforest_x/version-2/meta.yaml");
    assert_non_null(strstr(s, "version: 2"));
    assert_non_null(strstr(s, "current_stage: None"));
    assert_non_null(strstr(s, "status: READY"));
    free(s);
    s = read_rel(root, "models/iforest_x/meta.yaml");
    assert_non_null(strstr(s, "name: 'iforest_x'"));
    free(s);

    struct ml_model_version *vs;
    size_t n;
    assert_int_equal(ml_mlflow_list_versions(m, NULL, &vs, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(vs[0].name, "iforest_x");
    assert_int_equal(vs[1].version, 2);
    assert_string_equal(vs[1].run_id, run);
    ml_model_versions_free(vs, n);
    assert_int_equal(ml_mlflow_list_versions(m, "nope", &vs, &n),
                     JC_ENOTFOUND);

    char *dir;
    bool dl;
    int64_t ver;
    assert_int_equal(ml_mlflow_resolve_model(m, "models:/iforest_x/latest",
                                             &dir, &ver, &dl),
                     0);
    assert_int_equal(ver, 2);
    assert_false(dl);
    struct ml_iforest *g;
    assert_int_equal(ml_model_dir_load(dir, &g), 0);
    assert_int_equal(ml_iforest_n_nodes(g), ml_iforest_n_nodes(f));
    ml_iforest_free(g);
    free(dir);
    assert_int_equal(ml_mlflow_resolve_model(m, "models:/iforest_x/7", &dir,
                                             &ver, &dl),
                     JC_ENOTFOUND);
    assert_int_equal(ml_mlflow_resolve_model(m, "models:/iforest_x", &dir,
                                             &ver, &dl),
                     JC_EINVAL);
    char runs_uri[128];
    snprintf(runs_uri, sizeof(runs_uri), "runs:/%s/model", run);
    assert_int_equal(ml_mlflow_resolve_model(m, runs_uri, &dir, &ver, &dl),
                     0);
    assert_int_equal(ml_model_dir_load(dir, &g), 0);
    ml_iforest_free(g);
    free(dir);

    ml_iforest_free(f);
    free(src);
    free(art);
    free(mdir);
    free(exp);
    free(exp2);
    free(run);
    ml_mlflow_free(m);
    jt_rmtree(tmp);
    free(tmp);
    free(root);
    free(uri);
}

static void test_mlflow_file_rejects_bad_uris(void **state)
{
    (void)state;
    struct ml_mlflow *m;
    assert_int_equal(ml_mlflow_open(&m, "s3://bucket/x"), JC_EUNSUPPORTED);
    assert_int_equal(ml_mlflow_open(&m, "https://user:pw@example.com/"), 0);
    assert_true(ml_mlflow_is_rest(m));
    assert_null(strstr(ml_mlflow_uri(m), "pw"));
    ml_mlflow_free(m);
}

static void test_mlflow_file_parse_versions_json(void **state)
{
    (void)state;
    const char *ok = "{\"model_versions\":[{\"name\":\"m\",\"version\":"
                     "\"2\",\"source\":\"mlflow-artifacts:/1/r/artifacts/"
                     "model\",\"run_id\":\"r\"},{\"name\":\"m\","
                     "\"version\":1}],\"next_page_token\":\"t\"}";
    struct ml_model_version *v;
    size_t n;
    char *next;
    assert_int_equal(ml_mlflow_parse_versions_json(ok, strlen(ok), &v, &n,
                                                   &next),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(v[0].version, 2);
    assert_int_equal(v[1].version, 1);
    assert_string_equal(v[0].source, "mlflow-artifacts:/1/r/artifacts/model");
    assert_string_equal(v[1].source, "");
    assert_string_equal(next, "t");
    ml_model_versions_free(v, n);
    free(next);
    const char *zero = "{\"model_versions\":[{\"name\":\"m\","
                       "\"version\":\"0\"}]}";
    const char *bad[] = {"", "[1]", "{\"model_versions\":{}}",
                         "{\"model_versions\":[{\"name\":1}]}", zero};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(ml_mlflow_parse_versions_json(bad[i],
                                                       strlen(bad[i]), &v,
                                                       &n, &next),
                         JC_EPARSE);
        assert_null(v);
        assert_null(next);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mlflow_file_layout_roundtrip),
        cmocka_unit_test(test_mlflow_file_rejects_bad_uris),
        cmocka_unit_test(test_mlflow_file_parse_versions_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
