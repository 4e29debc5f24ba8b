/*
 * fuzz_parquet_footer.c: fuzz target for the Parquet footer path: magic,
 * footer length, FileMetaData Thrift, schema conversion and row-group
 * statistics decoding. The input is a whole file. Must never crash.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lake/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lake_parquet_reader *r;
    size_t g;

    if (size > (1u << 20))
        return 0;
    if (lake_parquet_reader_open_mem(&r, data, size, "fuzz.parquet") != 0)
        return 0;
    (void)lake_parquet_reader_num_rows(r);
    (void)lake_parquet_reader_kv(r, "x");
    for (g = 0; g < lake_parquet_reader_num_row_groups(r); g++) {
        struct lake_parquet_file_stats st;
        if (lake_parquet_reader_row_group_stats(r, g, &st) == 0)
            lake_parquet_file_stats_release(&st);
    }
    lake_parquet_reader_free(r);
    return 0;
}
