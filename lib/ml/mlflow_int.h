/*
 * mlflow_int.h: internals shared by mlflow.c (URI handling, dispatch, model
 * directories), mlflow_file.c (mlruns/ file store) and mlflow_rest.c (REST
 * over libcurl). The two backends implement struct ml_mlflow_ops.
 */
#ifndef JOBCTL_ML_MLFLOW_INT_H
#define JOBCTL_ML_MLFLOW_INT_H

#include "ml/mlflow.h"
#include "util/buf.h"

struct ml_mlflow;

struct ml_mlflow_ops {
    int (*experiment_ensure)(struct ml_mlflow *m, const char *name,
                             char **id);
    int (*run_create)(struct ml_mlflow *m, const char *exp_id,
                      const char *run_name, char **run_id);
    int (*log_param)(struct ml_mlflow *m, const char *run_id,
                     const char *key, const char *value);
    int (*log_metric)(struct ml_mlflow *m, const char *run_id,
                      const char *key, double value, int64_t ts_ms,
                      int64_t step);
    int (*set_tag)(struct ml_mlflow *m, const char *run_id, const char *key,
                   const char *value);
    /* one regular file to artifact path rel (full relative path) */
    int (*put_artifact)(struct ml_mlflow *m, const char *run_id,
                        const char *local_file, const char *rel);
    int (*run_end)(struct ml_mlflow *m, const char *run_id,
                   enum ml_run_status status);
    int (*run_artifact_uri)(struct ml_mlflow *m, const char *run_id,
                            char **uri);
    int (*register_version)(struct ml_mlflow *m, const char *name,
                            const char *source, const char *run_id,
                            int64_t *version);
    int (*list_versions)(struct ml_mlflow *m, const char *name,
                         struct ml_model_version **out, size_t *n);
    /* artifact URI (the backend's scheme) -> local dir with the files
     * MLmodel, model.jcif, input_example.json */
    int (*fetch_model)(struct ml_mlflow *m, const char *source, char **dir,
                       bool *downloaded);
    void (*release)(struct ml_mlflow *m);
};

struct ml_mlflow {
    const struct ml_mlflow_ops *ops;
    char *uri;      /* redacted, for messages */
    char *root;     /* file store: absolute mlruns path */
    char *base;     /* REST: base URL without trailing slash */
    char *token;    /* REST: bearer token or NULL (never printed) */
    void *curl;     /* REST: CURL easy handle */
    /* small cache: run_id -> artifact uri (REST) / run dir (file) */
    char *cache_run_id;
    char *cache_value;
};

extern const struct ml_mlflow_ops ml_mlflow__file_ops;
extern const struct ml_mlflow_ops ml_mlflow__rest_ops;

int ml_mlflow__file_init(struct ml_mlflow *m, const char *path);
int ml_mlflow__rest_init(struct ml_mlflow *m, const char *url);

/* helpers (mlflow.c) */
int64_t ml_mlflow__now_ms(void);
void ml_mlflow__new_id(char out[33]);
int ml_mlflow__mkdirs(const char *path);
int ml_mlflow__write_file(const char *path, const char *data, size_t len);
int ml_mlflow__read_file(const char *path, struct ju_buf *out, size_t cap);
int ml_mlflow__copy_file(const char *from, const char *to);
/* YAML scalar quoting for meta.yaml values ('...' with '' escapes). */
void ml_mlflow__yaml_str(struct ju_buf *b, const char *s);
/* Value of top-level key in a flat YAML mapping, unquoted; NULL if absent
 * or null. Caller frees. */
char *ml_mlflow__yaml_get(const char *text, const char *key);
/* Keys and artifact paths: no "..", no leading '/', printable. */
int ml_mlflow__check_key(const char *what, const char *key);
/* "file:///x" / "file:/x" / "file:x" / "x" -> absolute path. Caller frees */
char *ml_mlflow__file_uri_path(const char *uri);
char *ml_mlflow__path_to_file_uri(const char *abs_path);

#endif
