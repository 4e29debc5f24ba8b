/*
 * fuzz_parquet_page.c: fuzz target for Parquet page decoding: page
 * headers, decompression, levels, PLAIN/dictionary/DELTA values and nested
 * assembly, by reading every row group of the input file. Must never crash
 * or read out of bounds.
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
    for (g = 0; g < lake_parquet_reader_num_row_groups(r); g++) {
        struct lake_batch *b = NULL;
        /* a few header bytes can claim billions of null rows: decoding
         * those is legitimate but not interesting under the fuzzer */
        if (lake_parquet_reader_row_group_rows(r, g) > 100000)
            continue;
        if (lake_parquet_reader_read_row_group(r, g, &b) == 0) {
            struct ju_buf s = JU_BUF_INIT;
            if (b->num_rows > 0)
                (void)lake_batch_format_row_json(&s, b, b->num_rows - 1);
            ju_buf_release(&s);
            lake_batch_free(b);
        }
    }
    lake_parquet_reader_free(r);
    return 0;
}
