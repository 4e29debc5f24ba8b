/*
 * trainset.c: silver_events -> feature matrix for the isolation forest
 * (value as double, timestamp_unix as long widened to double), skipping
 * rows where either is null.
 */
#include "trainset.h"

#include <stdlib.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/mem.h"

struct acc {
    double *x;
    size_t n, alloc;
};

static int on_batch(void *ud, const struct lake_file *file,
                    struct lake_batch *b)
{
    struct acc *a = ud;
    (void)file;
    struct lake_column *v = lake_batch_column(b, "value");
    struct lake_column *t = lake_batch_column(b, "timestamp_unix");
    if (!v || !t)
        return jc_err_set(JC_EINVAL,
                          "silver file lacks 'value' or 'timestamp_unix'");
    JU_ALLOC_GROW(a->x, 2 * (a->n + b->num_rows), a->alloc);
    for (size_t r = 0; r < b->num_rows; r++) {
        if (lake_column_is_null(v, r) || lake_column_is_null(t, r))
            continue;
        a->x[2 * a->n] = lake_column_get_f64(v, r);
        a->x[2 * a->n + 1] = (double)lake_column_get_i64(t, r);
        a->n++;
    }
    return 0;
}

int train_read_features(const char *path, double **x, size_t *n,
                        long long *version)
{
    struct lake_table *t;
    *x = NULL;
    *n = 0;
    int rc = lake_table_open(&t, path);
    if (rc)
        return rc;
    *version = (long long)lake_table_version(t);
    static const char *const cols[] = {"value", "timestamp_unix"};
    struct lake_scan_opts o = {cols, 2, NULL, 0};
    struct acc a = {NULL, 0, 0};
    rc = lake_table_scan(t, &o, on_batch, &a, NULL);
    lake_table_close(t);
    if (rc) {
        free(a.x);
        return rc;
    }
    *x = a.x;
    *n = a.n;
    return 0;
}
