/*
 * bench_parquet.c: Parquet write/scan benchmark for bench/lake/run.sh.
 *   bench_parquet write OUT ROWS   bronze-schema rows, ZSTD; prints seconds
 *                                  spent in the writer (generation excluded)
 *   bench_parquet scan FILE        decode every column of every row group;
 *                                  prints seconds and a checksum
 * Built by run.sh with cc against the build's liblake.a; not part of CMake.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobctl/err.h"
#include "lake/parquet.h"

#define BATCH 65536

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void bronze_schema(struct lake_schema *s)
{
    lake_schema_init(s);
    lake_schema_add_simple(s, "event_id", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "event_type", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "timestamp", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "value", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "kafka_topic", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "kafka_partition", LAKE_TYPE_INTEGER, true);
    lake_schema_add_simple(s, "kafka_offset", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "kafka_timestamp", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "ingest_time", LAKE_TYPE_TIMESTAMP, true);
}

static const char *const types[] = {"click",    "view",   "purchase",
                                    "login",    "logout", "add_to_cart",
                                    "checkout", "error"};

static void fill(struct lake_batch *b, size_t first, size_t n)
{
    const int64_t base = 1735689600000000LL; /* 2025-01-01 */
    size_t i;

    lake_batch_reset(b);
    for (i = first; i < first + n; i++) {
        uint64_t r = mix(i);
        uint64_t r2 = mix(r);
        char id[40];
        char val[64];
        int idn = snprintf(id, sizeof(id), "%08x-%04x-%04x-%04x-%012llx",
                           (unsigned)(r >> 32), (unsigned)(r >> 16) & 0xffff,
                           (unsigned)r & 0xffff, (unsigned)(r2 >> 48),
                           (unsigned long long)(r2 & 0xffffffffffffULL));
        int vn =
            snprintf(val, sizeof(val), "%llu.%02u",
                     (unsigned long long)(r2 % 100000), (unsigned)(r % 100));
        const char *t = types[(r >> 7) % 8];
        int64_t ts = base + (int64_t)i * 1000 + (int64_t)(r % 1000);
        lake_batch_append_str(&b->columns[0], id, (size_t)idn);
        lake_batch_append_str(&b->columns[1], t, strlen(t));
        lake_batch_append_i64(&b->columns[2], ts);
        if (r % 50 == 0)
            lake_batch_append_null(&b->columns[3]);
        else
            lake_batch_append_str(&b->columns[3], val, (size_t)vn);
        lake_batch_append_str(&b->columns[4], "events", 6);
        lake_batch_append_i32(&b->columns[5], (int32_t)(i % 12));
        lake_batch_append_i64(&b->columns[6], (int64_t)(i / 12));
        lake_batch_append_i64(&b->columns[7], ts + 1500);
        lake_batch_append_i64(&b->columns[8],
                              base + (int64_t)(first / BATCH) * 60000000LL);
    }
    if (lake_batch_seal(b) != 0)
        abort();
}

static int bench_write(const char *out, size_t rows)
{
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_parquet_writer *w;
    struct lake_parquet_file_stats st;
    struct lake_schema s;
    struct lake_batch *b;
    double t = 0;
    double t0;
    size_t done;

    o.codec = LAKE_CODEC_ZSTD;
    bronze_schema(&s);
    b = lake_batch_new(&s);
    t0 = now();
    if (lake_parquet_writer_open(&w, out, &s, &o) != 0)
        goto fail;
    t += now() - t0;
    for (done = 0; done < rows; done += BATCH) {
        size_t n = rows - done < BATCH ? rows - done : BATCH;
        fill(b, done, n);
        t0 = now();
        if (lake_parquet_writer_write(w, b) != 0) {
            lake_parquet_writer_abort(w);
            goto fail;
        }
        t += now() - t0;
    }
    t0 = now();
    if (lake_parquet_writer_close(w, &st) != 0)
        goto fail;
    t += now() - t0;
    printf("%.3f %llu\n", t, (unsigned long long)st.file_size);
    lake_parquet_file_stats_release(&st);
    lake_batch_free(b);
    lake_schema_release(&s);
    return 0;
fail:
    fprintf(stderr, "error: %s\n", jc_err_last());
    return 1;
}

static int bench_scan(const char *path)
{
    struct lake_parquet_reader *r;
    struct lake_batch *b;
    double t0 = now();
    size_t g;
    size_t j;
    uint64_t sum = 0;
    size_t rows = 0;

    if (lake_parquet_reader_open(&r, path) != 0)
        goto fail;
    b = lake_batch_new(lake_parquet_reader_batch_schema(r));
    for (g = 0; g < lake_parquet_reader_num_row_groups(r); g++) {
        lake_batch_reset(b);
        if (lake_parquet_reader_read_row_group_into(r, g, b) != 0)
            goto fail;
        rows += b->num_rows;
        /* touch every column so nothing is optimised away */
        for (j = 0; j < b->n_columns; j++) {
            const struct lake_column *c = &b->columns[j];
            sum += c->data_len + c->null_count;
            if (c->length && c->width == 8)
                sum += (uint64_t)((const int64_t *)c->values)[c->length - 1];
        }
    }
    printf("%.3f %zu %llu\n", now() - t0, rows, (unsigned long long)sum);
    lake_batch_free(b);
    lake_parquet_reader_free(r);
    return 0;
fail:
    fprintf(stderr, "error: %s\n", jc_err_last());
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return bench_write(argv[2], strtoul(argv[3], NULL, 10));
    if (argc == 3 && strcmp(argv[1], "scan") == 0)
        return bench_scan(argv[2]);
    fprintf(stderr, "usage: bench_parquet write OUT ROWS | scan FILE\n");
    return 2;
}
