/*
 * delta_check.c: consistency check of a table: every active file exists,
 * has the logged size, is readable Parquet whose row count matches
 * numRecords, and does not store partition columns.
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "util/buf.h"
#include "util/mem.h"

int lake_table_check(struct lake_table *t, struct ju_buf *report)
{
    const struct lake_snapshot *s = t->snap;
    size_t problems = 0;
    size_t i, k;

    for (i = 0; i < s->nfiles; i++) {
        const struct lake_file *f = &s->files[i];
        char *dec = lake_delta_uri_decode(f->path);
        char *abs = dec[0] == '/' ? ju_xstrdup(dec)
                                  : ju_xasprintf("%s/%s", t->path, dec);
        struct stat st;
        struct lake_parquet_reader *pr = NULL;

        free(dec);
        if (stat(abs, &st) < 0) {
            ju_buf_addf(report, "missing file '%s'\n", f->path);
            problems++;
            free(abs);
            continue;
        }
        if (f->size && (int64_t)st.st_size != f->size) {
            ju_buf_addf(report, "'%s': size %lld on disk, %lld in the log\n",
                        f->path, (long long)st.st_size, (long long)f->size);
            problems++;
        }
        if (lake_parquet_reader_open(&pr, abs) != 0) {
            ju_buf_addf(report, "'%s': unreadable: %s\n", f->path,
                        jc_err_last());
            problems++;
            free(abs);
            continue;
        }
        if (f->num_records >= 0 &&
            lake_parquet_reader_num_rows(pr) != f->num_records) {
            ju_buf_addf(report,
                        "'%s': %lld rows in the file, numRecords %lld in "
                        "the log\n",
                        f->path, (long long)lake_parquet_reader_num_rows(pr),
                        (long long)f->num_records);
            problems++;
        }
        for (k = 0; k < s->npartition_cols; k++) {
            if (lake_schema_find(lake_parquet_reader_schema(pr),
                                 s->partition_cols[k]) >= 0) {
                ju_buf_addf(report,
                            "'%s': stores partition column '%s' (ignored; "
                            "values come from the log)\n",
                            f->path, s->partition_cols[k]);
            }
        }
        lake_parquet_reader_free(pr);
        free(abs);
    }
    if (problems)
        return jc_err_set(JC_ERR, "%zu problem%s found", problems,
                          problems == 1 ? "" : "s");
    return 0;
}
