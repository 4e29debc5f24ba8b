/*
 * fuzz_mlflow_meta.c: the MLflow file-store readers of lib/ml: a model
 * version's meta.yaml (listing and models:/ resolution) and an MLmodel file
 * (model_file lookup), fed through the public API from a scratch mlruns/.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ml/iforest.h"
#include "ml/mlflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char root[256];

static void cleanup(void)
{
    static const char *const rel[] = {
        "mlruns/models/m/version-1/meta.yaml", "mlruns/models/m/version-1",
        "mlruns/models/m", "mlruns/models", "mlruns/.trash", "mlruns",
        "model/MLmodel", "model", ""};
    char p[512];
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", root, rel[i]);
        if (unlink(p) != 0)
            rmdir(p);
    }
}

static void put(const char *rel, const uint8_t *data, size_t size)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "wb");
    if (!f)
        abort();
    if (size)
        fwrite(data, 1, size, f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    if (!root[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(root, sizeof(root), "%s/fuzz-mlflow-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(root))
            abort();
        atexit(cleanup);
        char p[512];
        snprintf(p, sizeof(p), "%s/mlruns/models/m/version-1", root);
        for (char *s = p + strlen(root) + 1; *s; s++) {
            if (*s == '/') {
                *s = '\0';
                mkdir(p, 0700);
                *s = '/';
            }
        }
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/model", root);
        mkdir(p, 0700);
    }
    put("mlruns/models/m/version-1/meta.yaml", data, size);
    put("model/MLmodel", data, size);

    char uri[300];
    snprintf(uri, sizeof(uri), "file:%s/mlruns", root);
    struct ml_mlflow *m;
    if (ml_mlflow_open(&m, uri) != 0)
        abort();
    struct ml_model_version *v;
    size_t n;
    if (ml_mlflow_list_versions(m, NULL, &v, &n) == 0)
        ml_model_versions_free(v, n);
    char *dir = NULL;
    bool dl;
    int64_t ver;
    if (ml_mlflow_resolve_model(m, "models:/m/latest", &dir, &ver, &dl) == 0)
        free(dir);
    ml_mlflow_free(m);

    char mp[300];
    snprintf(mp, sizeof(mp), "%s/model", root);
    struct ml_iforest *f;
    if (ml_model_dir_load(mp, &f) == 0)
        ml_iforest_free(f);
    return 0;
}
