/*
 * fuzz_iforest_model.c: the isolation forest model file reader
 * (ml_iforest_read_mem, docs/MODEL-FORMAT.md). Accepted models must score
 * without faults and re-serialise to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ml/iforest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ml_iforest *f;
    if (size > (1u << 20))
        return 0;
    if (ml_iforest_read_mem(&f, data, size) != 0)
        return 0;
    size_t nf = ml_iforest_n_features(f);
    double *x = calloc(4 * nf, sizeof(*x));
    for (size_t i = 0; i < 4 * nf; i++)
        x[i] = (double)i * 37.5 - 50.0;
    x[0] = 1e300;
    double s[4], d[4];
    int32_t p[4];
    ml_iforest_score(f, x, 4, s, d, p, 1);
    char *out;
    size_t len;
    ml_iforest_write_mem(f, &out, &len);
    if (len != size || memcmp(out, data, size) != 0)
        abort(); /* the reader keeps every byte it accepted */
    free(out);
    free(x);
    ml_iforest_free(f);
    return 0;
}
