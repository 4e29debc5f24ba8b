/*
 * main.c: jobctl-gold-score (notebook 05_batch_inference_to_gold): load
 * models:/iforest_silver_anomaly_detector/<version|latest>, score every
 * silver_events row, OVERWRITE gold_anomaly_predictions (silver columns +
 * anomaly_score, anomaly_flag), APPEND to gold_events_scored (partitioned
 * by event_type), and log num_rows, avg_anomaly_score and a histogram to
 * MLflow. anomaly_score is sklearn's decision_function (< 0 = anomaly).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "ml/iforest.h"
#include "ml/mlflow.h"
#include "score.h"
#include "taskcommon/task.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/mem.h"

#define DEFAULT_MODEL "iforest_silver_anomaly_detector"
#define DEFAULT_EXPERIMENT "gold_anomaly_detection"

static const char *const known[] = {
    "silver",     "model-version", "model_version", "model-name",
    "model_name", "model-uri",     "experiment",    "predictions",
    "scored",     "threads",       NULL};

struct collect {
    struct lake_batch *pred; /* silver columns + anomaly_score/flag */
    size_t n_silver_cols;    /* copied leading columns */
    int *src_index;          /* pred column i <- silver batch column */
};

static int fail(const char *what, int code)
{
    fprintf(stderr, "jobctl-gold-score: %s: %s\n", what, jc_err_last());
    return code;
}

/* Append entry r of src to dst (same logical type). */
static void copy_value(struct lake_column *dst, const struct lake_column *src,
                       size_t r)
{
    if (lake_column_is_null(src, r)) {
        lake_batch_append_null(dst);
        return;
    }
    if (src->type == LAKE_TYPE_STRING || src->type == LAKE_TYPE_BINARY) {
        size_t len;
        const char *p = lake_column_get_str(src, r, &len);
        lake_batch_append_str(dst, p, len);
        return;
    }
    lake_column__ensure(dst);
    lake_column__mark_valid(dst);
    memcpy((char *)dst->values + dst->length * dst->width,
           (const char *)src->values + r * src->width, dst->width);
    dst->length++;
}

static int on_silver(void *ud, const struct lake_file *file,
                     struct lake_batch *b)
{
    struct collect *c = ud;
    (void)file;
    for (size_t i = 0; i < c->n_silver_cols; i++) {
        const char *name = c->pred->schema.fields[i].name;
        struct lake_column *src = lake_batch_column(b, name);
        struct lake_column *dst = &c->pred->columns[i];
        if (!src) {
            lake_batch_append_nulls(dst, b->num_rows);
            continue;
        }
        if (src->type != dst->type)
            return jc_err_set(JC_EINVAL,
                              "silver column '%s' changed type between files",
                              name);
        for (size_t r = 0; r < b->num_rows; r++)
            copy_value(dst, src, r);
    }
    return 0;
}

static char *model_uri_from_params(int argc, char **argv)
{
    const char *uri = task_param(argc, argv, "model-uri");
    if (uri && *uri)
        return ju_xstrdup(uri);
    const char *name = task_param(argc, argv, "model-name");
    if (!name)
        name = task_param(argc, argv, "model_name");
    if (!name || !*name)
        name = DEFAULT_MODEL;
    const char *ver = task_param(argc, argv, "model-version");
    if (!ver)
        ver = task_param(argc, argv, "model_version");
    /* an unresolved {{tasks...}} reference (task run on its own) */
    if (!ver || !*ver || strstr(ver, "{{")) {
        if (ver && strstr(ver, "{{"))
            log_warn("unresolved model version, using latest: "
                     "value=\"%s\"",
                     ver);
        ver = "latest";
    }
    return ju_xasprintf("models:/%s/%s", name, ver);
}

static struct lake_schema *scored_schema(void)
{
    struct lake_schema *s = lake_schema_new();
    lake_schema_add_simple(s, "event_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "event_type", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "timestamp", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "value", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "anomaly_score", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "inference_ts", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "mlflow_run_id", LAKE_TYPE_STRING, true);
    return s;
}

/* Overwrite gold_anomaly_predictions with batch. */
static int write_predictions(const char *path, struct lake_batch *b,
                             int64_t *version)
{
    struct lake_table *t;
    int rc = lake_table_create_if_absent(&t, path, &b->schema, NULL, 0, NULL);
    if (rc)
        return rc;
    struct lake_txn *tx;
    rc = lake_txn_begin(t, &tx);
    if (rc == 0) {
        rc = lake_txn_remove_all(tx);
        if (rc == 0 && b->num_rows > 0)
            rc = lake_txn_append(tx, b);
        if (rc == 0)
            rc = lake_txn_commit(tx, "WRITE",
                                 "{\"mode\":\"Overwrite\","
                                 "\"partitionBy\":\"[]\"}",
                                 version);
        else
            lake_txn_abort(tx);
    }
    lake_table_close(t);
    return rc;
}

/* Append to gold_events_scored (partitioned by event_type); exactly once
 * per jobctl run through a txn marker. */
static int write_scored(const char *path, struct lake_batch *b,
                        int64_t *version)
{
    struct lake_table *t;
    static const char *const parts[] = {"event_type"};
    int rc = lake_table_create_if_absent(&t, path, &b->schema, parts, 1,
                                         NULL);
    if (rc)
        return rc;
    struct lake_txn *tx;
    rc = lake_txn_begin(t, &tx);
    if (rc == 0) {
        if (b->num_rows > 0)
            rc = lake_txn_append(tx, b);
        const char *jr = getenv("JOBCTL_RUN_ID");
        if (rc == 0 && jr && *jr) {
            char *app = ju_xasprintf("gold_score:%s", jr);
            rc = lake_txn_set_app_txn(tx, app, 1);
            free(app);
        }
        if (rc == 0)
            rc = lake_txn_commit(tx, "WRITE",
                                 "{\"mode\":\"Append\",\"partitionBy\":"
                                 "\"[\\\"event_type\\\"]\"}",
                                 version);
        else
            lake_txn_abort(tx);
        if (rc == JC_EEXIST) { /* this jobctl run already appended */
            log_warn("gold_events_scored already has this run's rows");
            jc_err_clear();
            rc = 0;
        }
    }
    lake_table_close(t);
    return rc;
}

int main(int argc, char **argv)
{
    ju_log_init_from_env();
    ju_log_set_context(getenv("JOBCTL_JOB_ID"), getenv("JOBCTL_RUN_ID"),
                       getenv("JOBCTL_TASK_KEY"));
    if (task_check_args_ex(argc, argv, known, 0) != 0) {
        fprintf(stderr, "jobctl-gold-score: %s\n", jc_err_last());
        return TASK_EXIT_USAGE;
    }
    long threads;
    if (task_param_long(argc, argv, "threads", 0, 0, 64, &threads)) {
        fprintf(stderr, "jobctl-gold-score: %s\n", jc_err_last());
        return TASK_EXIT_USAGE;
    }
    const char *p;
    char *silver = (p = task_param(argc, argv, "silver")) && *p
                       ? ju_xstrdup(p)
                       : task_table_path("silver_events");
    char *pred_path = (p = task_param(argc, argv, "predictions")) && *p
                          ? ju_xstrdup(p)
                          : task_table_path("gold_anomaly_predictions");
    char *scored_path = (p = task_param(argc, argv, "scored")) && *p
                            ? ju_xstrdup(p)
                            : task_table_path("gold_events_scored");
    const char *experiment = task_param(argc, argv, "experiment");
    if (!experiment || !*experiment)
        experiment = DEFAULT_EXPERIMENT;
    char *model_uri = model_uri_from_params(argc, argv);

    int code = TASK_EXIT_OK;
    struct ml_mlflow *m = NULL;
    struct ml_iforest *f = NULL;
    struct lake_table *st = NULL;
    struct collect c = {NULL, 0, NULL};
    struct lake_batch *scored = NULL;
    struct lake_schema *sschema = NULL;
    char *model_dir = NULL, *exp = NULL, *run = NULL;
    double *x = NULL, *dec = NULL;
    int32_t *flag = NULL;
    bool downloaded = false;
    int64_t model_version = -1;
    double t0 = task_mono();

    int rc = ml_mlflow_open(&m, NULL);
    if (rc == 0)
        rc = ml_mlflow_resolve_model(m, model_uri, &model_dir, &model_version,
                                     &downloaded);
    if (rc == 0)
        rc = ml_model_dir_load(model_dir, &f);
    if (rc) {
        code = fail("load model", ml_mlflow_is_rest(m) && rc == JC_EIO
                                      ? TASK_EXIT_RETRY
                                      : TASK_EXIT_FAIL);
        goto out;
    }
    if (ml_iforest_n_features(f) != 2) {
        jc_err_set(JC_EINVAL, "model '%s' has %zu features, expected 2",
                   model_uri, ml_iforest_n_features(f));
        code = fail("load model", TASK_EXIT_FAIL);
        goto out;
    }

    /* silver -> prediction batch (silver's flat columns + 2) */
    rc = lake_table_open(&st, silver);
    if (rc) {
        code = fail("open silver_events", TASK_EXIT_FAIL);
        goto out;
    }
    const struct lake_schema *ss = lake_table_schema(st);
    if (lake_schema_find(ss, "value") < 0 ||
        lake_schema_find(ss, "timestamp_unix") < 0) {
        jc_err_set(JC_EINVAL, "'%s' has no value/timestamp_unix columns",
                   silver);
        code = fail("open silver_events", TASK_EXIT_FAIL);
        goto out;
    }
    struct lake_schema ps = LAKE_SCHEMA_INIT;
    lake_schema_init(&ps);
    for (size_t i = 0; i < ss->n_fields; i++)
        if (!lake_type_is_nested(ss->fields[i].type) &&
            strcmp(ss->fields[i].name, "anomaly_score") != 0 &&
            strcmp(ss->fields[i].name, "anomaly_flag") != 0)
            lake_schema_add(&ps, &ss->fields[i]);
    c.n_silver_cols = ps.n_fields;
    lake_schema_add_simple(&ps, "anomaly_score", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(&ps, "anomaly_flag", LAKE_TYPE_INTEGER, true);
    c.pred = lake_batch_new(&ps);
    lake_schema_release(&ps);
    rc = lake_table_scan(st, NULL, on_silver, &c, NULL);
    if (rc) {
        code = fail("read silver_events", TASK_EXIT_FAIL);
        goto out;
    }
    size_t n = c.pred->columns[0].length;
    struct lake_column *cv = lake_batch_column(c.pred, "value");
    struct lake_column *ct = lake_batch_column(c.pred, "timestamp_unix");
    x = ju_xmalloc((n ? n : 1) * 2 * sizeof(*x));
    dec = ju_xmalloc((n ? n : 1) * sizeof(*dec));
    flag = ju_xmalloc((n ? n : 1) * sizeof(*flag));
    for (size_t r = 0; r < n; r++) {
        x[2 * r] = lake_column_get_f64(cv, r);
        x[2 * r + 1] = (double)lake_column_get_i64(ct, r);
    }
    double t_read = task_mono();
    ml_iforest_score(f, x, n, NULL, dec, flag, (int)threads);
    double t_score = task_mono();
    struct lake_column *cs = lake_batch_column(c.pred, "anomaly_score");
    struct lake_column *cf = lake_batch_column(c.pred, "anomaly_flag");
    double sum = 0;
    size_t n_anom = 0, n_scored = 0;
    for (size_t r = 0; r < n; r++) {
        if (lake_column_is_null(cv, r) || lake_column_is_null(ct, r)) {
            lake_batch_append_null(cs);
            lake_batch_append_null(cf);
            continue;
        }
        lake_batch_append_f64(cs, dec[r]);
        lake_batch_append_i32(cf, flag[r]);
        sum += dec[r];
        n_scored++;
        if (flag[r] < 0)
            n_anom++;
    }
    if (lake_batch_seal(c.pred) != 0) {
        code = fail("build predictions", TASK_EXIT_FAIL);
        goto out;
    }

    /* MLflow run first: gold_events_scored carries its id */
    rc = ml_mlflow_experiment_ensure(m, experiment, &exp);
    if (rc == 0)
        rc = ml_mlflow_run_create(m, exp, "Batch Inference: Silver to Gold",
                                  &run);
    if (rc) {
        code = fail("mlflow", ml_mlflow_is_rest(m) && rc == JC_EIO
                                  ? TASK_EXIT_RETRY
                                  : TASK_EXIT_FAIL);
        goto out;
    }

    sschema = scored_schema();
    scored = lake_batch_new(sschema);
    int64_t now_us = task_now_us();
    struct lake_column *sid = lake_batch_column(c.pred, "event_id");
    struct lake_column *sty = lake_batch_column(c.pred, "event_type");
    struct lake_column *sts = lake_batch_column(c.pred, "timestamp");
    for (size_t r = 0; r < n; r++) {
        if (lake_column_is_null(cs, r))
            continue;
        if (sid)
            copy_value(&scored->columns[0], sid, r);
        else
            lake_batch_append_null(&scored->columns[0]);
        if (sty)
            copy_value(&scored->columns[1], sty, r);
        else
            lake_batch_append_null(&scored->columns[1]);
        if (sts && sts->type == LAKE_TYPE_TIMESTAMP)
            copy_value(&scored->columns[2], sts, r);
        else
            lake_batch_append_null(&scored->columns[2]);
        lake_batch_append_f64(&scored->columns[3], x[2 * r]);
        lake_batch_append_f64(&scored->columns[4], dec[r]);
        lake_batch_append_i64(&scored->columns[5], now_us);
        lake_batch_append_str(&scored->columns[6], run, strlen(run));
    }
    if (lake_batch_seal(scored) != 0) {
        code = fail("build gold_events_scored", TASK_EXIT_FAIL);
        goto out;
    }

    int64_t v_pred = -1, v_scored = -1;
    rc = write_predictions(pred_path, c.pred, &v_pred);
    if (rc) {
        code = fail("write gold_anomaly_predictions",
                    rc == JC_ECONFLICT ? TASK_EXIT_RETRY : TASK_EXIT_FAIL);
        goto end_run;
    }
    rc = write_scored(scored_path, scored, &v_scored);
    if (rc) {
        code = fail("write gold_events_scored",
                    rc == JC_ECONFLICT ? TASK_EXIT_RETRY : TASK_EXIT_FAIL);
        goto end_run;
    }
    double t_write = task_mono();

    char buf[64];
    rc = ml_mlflow_log_param(m, run, "model_uri", model_uri);
    snprintf(buf, sizeof(buf), "%" PRId64, model_version);
    if (rc == 0 && model_version > 0)
        rc = ml_mlflow_log_param(m, run, "model_version", buf);
    if (rc == 0)
        rc = ml_mlflow_log_param(m, run, "anomaly_score",
                                 "decision_function");
    if (rc == 0)
        rc = ml_mlflow_log_metric(m, run, "num_rows", (double)n_scored, 0, 0);
    if (rc == 0 && n_scored > 0)
        rc = ml_mlflow_log_metric(m, run, "avg_anomaly_score",
                                  sum / (double)n_scored, 0, 0);
    if (rc == 0)
        rc = ml_mlflow_log_metric(m, run, "num_anomalies", (double)n_anom, 0,
                                  0);
    if (rc == 0)
        rc = ml_mlflow_set_tag(m, run, "mlflow.source.name",
                               "05_batch_inference_to_gold");
    if (rc == 0) {
        const char *tmp = getenv("TMPDIR");
        char *tdir = ju_xasprintf("%s/jobctl-score-XXXXXX",
                                  tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tdir)) {
            rc = jc_err_set(JC_EIO, "cannot create a temporary directory");
        } else {
            struct ju_buf svg = JU_BUF_INIT;
            double *valid = ju_xmalloc((n_scored ? n_scored : 1) *
                                       sizeof(*valid));
            size_t k = 0;
            for (size_t r = 0; r < n; r++)
                if (!lake_column_is_null(cs, r))
                    valid[k++] = dec[r];
            score_histogram_svg(&svg, valid, k, 40,
                                "Anomaly score distribution");
            free(valid);
            char *hp = ju_xasprintf("%s/anomaly_score_hist.svg", tdir);
            FILE *fp = fopen(hp, "we");
            if (!fp || fwrite(svg.data, 1, svg.len, fp) != svg.len) {
                rc = jc_err_set(JC_EIO, "cannot write '%s'", hp);
                if (fp)
                    fclose(fp);
            } else {
                fclose(fp);
                rc = ml_mlflow_log_artifact(m, run, hp, "");
            }
            unlink(hp);
            rmdir(tdir);
            free(hp);
            ju_buf_release(&svg);
        }
        free(tdir);
    }
    if (rc) {
        code = fail("mlflow", ml_mlflow_is_rest(m) && rc == JC_EIO
                                  ? TASK_EXIT_RETRY
                                  : TASK_EXIT_FAIL);
        goto end_run;
    }
    task_value_set("mlflow_run_id", run);
    snprintf(buf, sizeof(buf), "%zu", n_anom);
    task_value_set("num_anomalies", buf);
    log_info("scored rows=%zu anomalies=%zu avg_score=%.6f model=%s "
             "predictions_version=%" PRId64 " scored_version=%" PRId64
             " read_s=%.3f score_s=%.3f write_s=%.3f",
             n_scored, n_anom, n_scored ? sum / (double)n_scored : 0.0,
             model_uri, v_pred, v_scored, t_read - t0, t_score - t_read,
             t_write - t_score);
    printf("scored %zu rows with %s: %zu anomalies, avg anomaly_score "
           "%.4f (run %s)\n",
           n_scored, model_uri, n_anom,
           n_scored ? sum / (double)n_scored : 0.0, run);
end_run:
    if (run)
        ml_mlflow_run_end(m, run,
                          code == TASK_EXIT_OK ? ML_RUN_FINISHED
                                               : ML_RUN_FAILED);
out:
    if (downloaded && model_dir) {
        const char *files[] = {"MLmodel", ML_MODEL_FILE};
        for (size_t i = 0; i < 2; i++) {
            char *fp = ju_xasprintf("%s/%s", model_dir, files[i]);
            unlink(fp);
            free(fp);
        }
        rmdir(model_dir);
    }
    lake_batch_free(scored);
    lake_schema_free(sschema);
    lake_batch_free(c.pred);
    lake_table_close(st);
    free(x);
    free(dec);
    free(flag);
    free(run);
    free(exp);
    free(model_dir);
    ml_iforest_free(f);
    ml_mlflow_free(m);
    free(model_uri);
    free(silver);
    free(pred_path);
    free(scored_path);
    return code;
}
