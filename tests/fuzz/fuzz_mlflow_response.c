/*
 * fuzz_mlflow_response.c: MLflow REST responses as the client reads them
 * (model-versions/search bodies via ml_mlflow_parse_versions_json).
 */
#include <stdint.h>
#include <stdlib.h>

#include "ml/mlflow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    struct ml_model_version *v;
    size_t n;
    char *next;
    if (ml_mlflow_parse_versions_json((const char *)data, size, &v, &n,
                                      &next) == 0) {
        for (size_t i = 0; i < n; i++)
            if (!v[i].name || !v[i].source || v[i].version < 1)
                abort();
        ml_model_versions_free(v, n);
        free(next);
    }
    return 0;
}
