/*
 * fuzz_delta_checkpoint.c: fuzz target for Delta checkpoint Parquet bytes:
 * open from memory, find the action columns, read every row group and
 * replay the rows; freeze into a snapshot when replay succeeds.
 */
#include <stddef.h>
#include <stdint.h>

#include "delta_int.h"
#include "jobctl/err.h"
#include "lake/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const want[] = {"protocol", "metaData", "txn", "add",
                                       "remove"};
    struct lake_parquet_reader *pr = NULL;
    struct lake_replay *r;
    struct lake_snapshot *s = NULL;
    const char *names[5];
    size_t n = 0, i, rg;
    int rc;

    if (size > ((size_t)1 << 20))
        return 0;
    if (lake_parquet_reader_open_mem(&pr, data, size, "fuzz.checkpoint") != 0) {
        jc_err_clear();
        return 0;
    }
    for (i = 0; i < 5; i++) {
        if (lake_schema_find(lake_parquet_reader_schema(pr), want[i]) >= 0)
            names[n++] = want[i];
    }
    r = lake_replay_new();
    rc = n ? lake_parquet_reader_select(pr, names, n) : -1;
    for (rg = 0; rc == 0 && rg < lake_parquet_reader_num_row_groups(pr); rg++) {
        struct lake_batch *b = NULL;

        rc = lake_parquet_reader_read_row_group(pr, rg, &b);
        if (rc == 0)
            rc = lake_replay_checkpoint_batch(r, b, "fuzz.checkpoint");
        if (b)
            lake_batch_free(b);
    }
    if (rc == 0 && lake_replay_finish(r, 0, &s) == 0)
        lake_snapshot_free(s);
    lake_replay_free(r);
    lake_parquet_reader_free(pr);
    jc_err_clear();
    return 0;
}
