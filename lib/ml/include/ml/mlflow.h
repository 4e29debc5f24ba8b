/*
 * mlflow.h: a small MLflow tracking + model registry client. Two backends
 * behind one API: the file store (MLflow's mlruns/ layout, readable by
 * `mlflow ui`) for file: URIs and plain paths, and the REST API over
 * libcurl for http(s) URIs (bearer MLFLOW_TRACKING_TOKEN, never logged).
 */
#ifndef JOBCTL_ML_MLFLOW_H
#define JOBCTL_ML_MLFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ml_mlflow; /* opaque client */

/* Run statuses as MLflow names them (meta.yaml stores 1..5). */
enum ml_run_status {
    ML_RUN_RUNNING = 1,
    ML_RUN_SCHEDULED = 2,
    ML_RUN_FINISHED = 3,
    ML_RUN_FAILED = 4,
    ML_RUN_KILLED = 5
};

/* One registered model version (as listed or resolved). */
struct ml_model_version {
    char *name;
    int64_t version;
    char *run_id;      /* may be "" */
    char *source;      /* artifact URI of the model directory */
    char *stage;       /* current_stage, "None" by default */
    char *status;      /* "READY" */
    int64_t creation_timestamp; /* ms */
};

/*
 * Open a client. uri NULL: $MLFLOW_TRACKING_URI, else
 * "file:$JOBCTL_HOME/mlruns" (JOBCTL_HOME default ./.jobctl).
 * Accepted: http://, https://, file:///abs, file:rel, file:/abs, a path.
 * The file store root is created on first write.
 */
int ml_mlflow_open(struct ml_mlflow **out, const char *uri);
void ml_mlflow_free(struct ml_mlflow *m);
bool ml_mlflow_is_rest(const struct ml_mlflow *m);
/* Tracking URI with any credentials removed (for messages). Borrowed. */
const char *ml_mlflow_uri(const struct ml_mlflow *m);

/* Experiment id for name, created if missing. Caller frees *id. */
int ml_mlflow_experiment_ensure(struct ml_mlflow *m, const char *name,
                                char **id);
/* Start a run (status RUNNING). run_name may be NULL. Caller frees. */
int ml_mlflow_run_create(struct ml_mlflow *m, const char *experiment_id,
                         const char *run_name, char **run_id);
int ml_mlflow_log_param(struct ml_mlflow *m, const char *run_id,
                        const char *key, const char *value);
/* ts_ms 0 = now. */
int ml_mlflow_log_metric(struct ml_mlflow *m, const char *run_id,
                         const char *key, double value, int64_t ts_ms,
                         int64_t step);
int ml_mlflow_set_tag(struct ml_mlflow *m, const char *run_id,
                      const char *key, const char *value);
/* Upload a local file or directory (recursively) as artifact
 * artifact_path/<basename>; artifact_path "" or NULL = the root. */
int ml_mlflow_log_artifact(struct ml_mlflow *m, const char *run_id,
                           const char *local_path, const char *artifact_path);
int ml_mlflow_run_end(struct ml_mlflow *m, const char *run_id,
                      enum ml_run_status status);
/* Artifact URI of the run's root (file:///.../artifacts or
 * mlflow-artifacts:/...). Caller frees. */
int ml_mlflow_run_artifact_uri(struct ml_mlflow *m, const char *run_id,
                               char **uri);

/* Register a new version of name (the registered model is created when
 * missing). source: artifact URI of the model directory. */
int ml_mlflow_register_version(struct ml_mlflow *m, const char *name,
                               const char *source, const char *run_id,
                               int64_t *version);
/* Versions of name (NULL = every registered model), sorted by name then
 * version. Free with ml_model_versions_free. */
int ml_mlflow_list_versions(struct ml_mlflow *m, const char *name,
                            struct ml_model_version **out, size_t *n);
void ml_model_versions_free(struct ml_model_version *v, size_t n);
/* Parse one MLflow model-versions/search response body (REST backend;
 * exposed for tests and the fuzz target). Entries need a string name and
 * a version >= 1 (string or number). *next_page_token: NULL or malloc'd.
 * JC_EPARSE on malformed bodies, JC_ETOOBIG past 100000 entries. */
int ml_mlflow_parse_versions_json(const char *body, size_t len,
                                  struct ml_model_version **out, size_t *n,
                                  char **next_page_token);

/*
 * Resolve a model URI to a local directory holding MLmodel and the model
 * file: "models:/NAME/VERSION", "models:/NAME/latest", "runs:/RUN/PATH",
 * or a local directory / model file (returned as is). REST backends
 * download the artifacts into a fresh directory under $TMPDIR (the caller
 * may remove it; *downloaded says so). *version_out (may be NULL) gets the
 * resolved registry version or -1. Caller frees *dir.
 */
int ml_mlflow_resolve_model(struct ml_mlflow *m, const char *model_uri,
                            char **dir, int64_t *version_out,
                            bool *downloaded);

/* ---- model directories (MLmodel + model file) ---- */

#define ML_MODEL_FILE "model.jcif"
#define ML_MODEL_FLAVOR "jobctl_iforest"

struct ml_iforest;
/* Write dir/MLmodel, dir/model.jcif and dir/input_example.json for a
 * model over the named features (feature_types: "double", "long", ...).
 * example: one row of feature values, may be NULL. run_id may be NULL. */
int ml_model_dir_write(const char *dir, const struct ml_iforest *f,
                       const char *const *features,
                       const char *const *feature_types, size_t n_features,
                       const double *example, const char *run_id);
/* Load the model of a directory (reads MLmodel's model_file) or a model
 * file path. */
int ml_model_dir_load(const char *path, struct ml_iforest **out);

#endif
