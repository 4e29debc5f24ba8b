/*
 * main.c: jobctl-gold-train (notebook 04_train_isolation_forest): fit an
 * Isolation Forest on silver_events (value, timestamp_unix) with the seed's
 * settings, log params, the training_records metric and the model to
 * MLflow, register a new version of iforest_silver_anomaly_detector and
 * publish it as task value model_version.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trainset.h"
#include "jobctl/err.h"
#include "ml/iforest.h"
#include "ml/mlflow.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

#define DEFAULT_MODEL "iforest_silver_anomaly_detector"
#define DEFAULT_EXPERIMENT "gold_anomaly_detection"

static const char *const known[] = {
    "silver",       "model-name",   "model_name",    "experiment",
    "n-estimators", "max-samples",  "contamination", "seed",
    "threads",      "min-rows",     NULL};

static int fail(const char *what, int code)
{
    fprintf(stderr, "jobctl-gold-train: %s: %s\n", what, jc_err_last());
    return code;
}

int main(int argc, char **argv)
{
    ju_log_init_from_env();
    ju_log_set_context(getenv("JOBCTL_JOB_ID"), getenv("JOBCTL_RUN_ID"),
                       getenv("JOBCTL_TASK_KEY"));
    if (task_check_args_ex(argc, argv, known, 0) != 0) {
        fprintf(stderr, "jobctl-gold-train: %s\n", jc_err_last());
        return TASK_EXIT_USAGE;
    }
    long n_est, max_samples, seed, threads, min_rows;
    double contamination;
    if (task_param_long(argc, argv, "n-estimators", 100, 1, 10000, &n_est) ||
        task_param_long(argc, argv, "max-samples", 256, 1, 1 << 24,
                        &max_samples) ||
        task_param_long(argc, argv, "seed", 42, 0, INT64_MAX, &seed) ||
        task_param_long(argc, argv, "threads", 0, 0, 64, &threads) ||
        task_param_long(argc, argv, "min-rows", 1, 1, INT64_MAX, &min_rows) ||
        task_param_double(argc, argv, "contamination", 0.1, 1e-9, 0.5,
                          &contamination)) {
        fprintf(stderr, "jobctl-gold-train: %s\n", jc_err_last());
        return TASK_EXIT_USAGE;
    }
    const char *model_name = task_param(argc, argv, "model-name");
    if (!model_name)
        model_name = task_param(argc, argv, "model_name");
    if (!model_name || !*model_name)
        model_name = DEFAULT_MODEL;
    const char *experiment = task_param(argc, argv, "experiment");
    if (!experiment || !*experiment)
        experiment = DEFAULT_EXPERIMENT;
    const char *silver_arg = task_param(argc, argv, "silver");
    char *silver = silver_arg && *silver_arg
                       ? ju_xstrdup(silver_arg)
                       : task_table_path("silver_events");

    double t0 = task_mono();
    double *x = NULL;
    size_t n = 0;
    long long silver_version = -1;
    int rc = train_read_features(silver, &x, &n, &silver_version);
    if (rc) {
        int code = fail("read silver_events", TASK_EXIT_FAIL);
        free(silver);
        return code;
    }
    if (n < (size_t)min_rows) {
        jc_err_set(JC_EINVAL, "silver_events at '%s' has %zu usable rows "
                              "(need %ld)",
                   silver, n, min_rows);
        free(x);
        free(silver);
        return fail("train", TASK_EXIT_FAIL);
    }
    double t_read = task_mono();

    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.n_estimators = (int)n_est;
    o.max_samples = (int)max_samples;
    o.contamination = contamination;
    o.seed = (uint64_t)seed;
    o.n_threads = (int)threads;
    struct ml_iforest *f = NULL;
    rc = ml_iforest_fit(&f, x, n, TRAIN_N_FEATURES, &o, NULL);
    double t_fit = task_mono();
    if (rc) {
        free(x);
        free(silver);
        return fail("fit", TASK_EXIT_FAIL);
    }

    /* MLflow: run, params, metric, model artifact, registry version */
    struct ml_mlflow *m = NULL;
    char *exp = NULL, *run = NULL, *art = NULL, *source = NULL;
    char *tdir = NULL, *mdir = NULL;
    int64_t version = -1;
    rc = ml_mlflow_open(&m, NULL);
    if (rc == 0)
        rc = ml_mlflow_experiment_ensure(m, experiment, &exp);
    if (rc == 0)
        rc = ml_mlflow_run_create(m, exp, "train_anomaly_model", &run);
    if (rc == 0) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%g", contamination);
        rc = ml_mlflow_log_param(m, run, "contamination", buf);
        if (rc == 0)
            rc = ml_mlflow_log_param(m, run, "features",
                                     "['value', 'timestamp_unix']");
        snprintf(buf, sizeof(buf), "%ld", n_est);
        if (rc == 0)
            rc = ml_mlflow_log_param(m, run, "n_estimators", buf);
        snprintf(buf, sizeof(buf), "%ld", max_samples);
        if (rc == 0)
            rc = ml_mlflow_log_param(m, run, "max_samples", buf);
        snprintf(buf, sizeof(buf), "%ld", seed);
        if (rc == 0)
            rc = ml_mlflow_log_param(m, run, "random_state", buf);
        if (rc == 0)
            rc = ml_mlflow_log_metric(m, run, "training_records", (double)n,
                                      0, 0);
        if (rc == 0)
            rc = ml_mlflow_set_tag(m, run, "mlflow.source.name",
                                   "04_train_isolation_forest");
        snprintf(buf, sizeof(buf), "%lld", silver_version);
        if (rc == 0)
            rc = ml_mlflow_set_tag(m, run, "jobctl.silver_version", buf);
        const char *jr = getenv("JOBCTL_RUN_ID");
        if (rc == 0 && jr && *jr)
            rc = ml_mlflow_set_tag(m, run, "jobctl.run_id", jr);
    }
    if (rc == 0) {
        const char *tmp = getenv("TMPDIR");
        tdir = ju_xasprintf("%s/jobctl-train-XXXXXX",
                            tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tdir)) {
            rc = jc_err_set(JC_EIO, "cannot create a temporary directory");
            JU_FREE(tdir);
        }
    }
    if (rc == 0) {
        static const char *const names[] = {"value", "timestamp_unix"};
        static const char *const types[] = {"double", "long"};
        mdir = ju_xasprintf("%s/model", tdir);
        rc = ml_model_dir_write(mdir, f, names, types, 2, x, run);
        if (rc == 0)
            rc = ml_mlflow_log_artifact(m, run, mdir, "");
    }
    if (rc == 0)
        rc = ml_mlflow_run_artifact_uri(m, run, &art);
    if (rc == 0) {
        source = ju_xasprintf("%s/model", art);
        rc = ml_mlflow_register_version(m, model_name, source, run,
                                        &version);
    }
    if (run)
        ml_mlflow_run_end(m, run, rc == 0 ? ML_RUN_FINISHED : ML_RUN_FAILED);
    int code = TASK_EXIT_OK;
    if (rc) {
        /* the tracking server may be down: worth a retry */
        code = fail("mlflow", ml_mlflow_is_rest(m) && rc == JC_EIO
                                  ? TASK_EXIT_RETRY
                                  : TASK_EXIT_FAIL);
    } else {
        char vbuf[32];
        snprintf(vbuf, sizeof(vbuf), "%" PRId64, version);
        if (task_value_set("model_version", vbuf) != 0 ||
            task_value_set("mlflow_run_id", run) != 0)
            code = fail("task values", TASK_EXIT_FAIL);
        log_info("trained rows=%zu model=%s version=%" PRId64
                 " run_id=%s offset=%.6f read_s=%.3f fit_s=%.3f",
                 n, model_name, version, run, ml_iforest_offset(f),
                 t_read - t0, t_fit - t_read);
        printf("trained %s version %" PRId64 " on %zu rows (run %s)\n",
               model_name, version, n, run);
    }
    if (mdir) {
        /* remove the staged model directory */
        const char *files[] = {"MLmodel", ML_MODEL_FILE,
                               "input_example.json"};
        for (size_t i = 0; i < 3; i++) {
            char *p = ju_xasprintf("%s/%s", mdir, files[i]);
            unlink(p);
            free(p);
        }
        rmdir(mdir);
    }
    if (tdir)
        rmdir(tdir);
    free(mdir);
    free(tdir);
    free(source);
    free(art);
    free(run);
    free(exp);
    ml_mlflow_free(m);
    ml_iforest_free(f);
    free(x);
    free(silver);
    return code;
}
