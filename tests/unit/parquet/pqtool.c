/*
 * pqtool.c: lake-pqtool, a test helper around lib/lake's Parquet API used
 * by tests/integration/parquet and the README: `gen` writes the all-types
 * table, `cat` prints rows as JSON lines with our reader, `schema` prints
 * the schema as JSON, `stats` prints footer statistics. Not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "pq_gen.h"

static void usage(void)
{
    fprintf(stderr,
            "usage: lake-pqtool gen OUT CODEC NULLS [--no-dict] [--rows N] "
            "[--batch N] [--page BYTES] [--rg BYTES]\n"
            "       lake-pqtool cat FILE [COLUMN...]\n"
            "       lake-pqtool schema FILE\n"
            "       lake-pqtool stats FILE\n");
}

static void field_json(struct ju_buf *b, const struct lake_field *f)
{
    size_t i;

    ju_buf_addf(b, "{\"name\":\"%s\",\"type\":\"%s\",\"nullable\":%s", f->name,
                lake_type_name(f->type), f->nullable ? "true" : "false");
    if (f->type == LAKE_TYPE_DECIMAL)
        ju_buf_addf(b, ",\"precision\":%d,\"scale\":%d", f->precision,
                    f->scale);
    if (f->n_children) {
        ju_buf_adds(b, ",\"children\":[");
        for (i = 0; i < f->n_children; i++) {
            if (i)
                ju_buf_addc(b, ',');
            field_json(b, &f->children[i]);
        }
        ju_buf_addc(b, ']');
    }
    ju_buf_addc(b, '}');
}

static void print_schema(const struct lake_schema *s)
{
    struct ju_buf b = JU_BUF_INIT;
    size_t i;

    ju_buf_addc(&b, '[');
    for (i = 0; i < s->n_fields; i++) {
        if (i)
            ju_buf_addc(&b, ',');
        field_json(&b, &s->fields[i]);
    }
    ju_buf_addc(&b, ']');
    printf("%s\n", ju_buf_str(&b));
    ju_buf_release(&b);
}

static void print_rows(const struct lake_batch *b)
{
    struct ju_buf s = JU_BUF_INIT;
    size_t r;

    for (r = 0; r < b->num_rows; r++) {
        ju_buf_reset(&s);
        lake_batch_format_row_json(&s, b, r);
        fputs(ju_buf_str(&s), stdout);
        fputc('\n', stdout);
    }
    ju_buf_release(&s);
}

static int cmd_gen(int argc, char **argv)
{
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_parquet_writer *w;
    struct lake_parquet_file_stats st;
    struct lake_schema s;
    enum lake_codec codec;
    size_t rows = 300;
    size_t batch = 97;
    size_t done;
    int nulls;
    int i;
    int rc;

    if (argc < 5) {
        usage();
        return 2;
    }
    if (lake_codec_parse(&codec, argv[3]) != 0) {
        fprintf(stderr, "error: %s\n", jc_err_last());
        return 2;
    }
    nulls = pq_gen_parse_nulls(argv[4]);
    if (nulls < 0) {
        usage();
        return 2;
    }
    o.codec = codec;
    for (i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--no-dict") == 0)
            o.dictionary = false;
        else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--page") == 0 && i + 1 < argc)
            o.page_bytes = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rg") == 0 && i + 1 < argc)
            o.row_group_bytes = strtoul(argv[++i], NULL, 10);
        else {
            usage();
            return 2;
        }
    }
    if (batch == 0)
        batch = 1;
    pq_gen_schema(&s);
    rc = lake_parquet_writer_open(&w, argv[2], &s, &o);
    lake_schema_release(&s);
    if (rc) {
        fprintf(stderr, "error: %s\n", jc_err_last());
        return 1;
    }
    for (done = 0; done < rows; done += batch) {
        size_t n = rows - done < batch ? rows - done : batch;
        struct lake_batch *b = pq_gen_batch(done, n, (enum pq_gen_nulls)nulls);
        if (!b) {
            fprintf(stderr, "error: %s\n", jc_err_last());
            lake_parquet_writer_abort(w);
            return 1;
        }
        rc = lake_parquet_writer_write(w, b);
        if (rc == 0)
            print_rows(b);
        lake_batch_free(b);
        if (rc) {
            fprintf(stderr, "error: %s\n", jc_err_last());
            lake_parquet_writer_abort(w);
            return 1;
        }
    }
    rc = lake_parquet_writer_close(w, &st);
    if (rc) {
        fprintf(stderr, "error: %s\n", jc_err_last());
        return 1;
    }
    fprintf(stderr, "wrote %s: %llu bytes, %lld rows, %zu row groups\n",
            argv[2], (unsigned long long)st.file_size, (long long)st.num_rows,
            st.num_row_groups);
    lake_parquet_file_stats_release(&st);
    return 0;
}

static void print_value(const struct lake_value *v, int scale)
{
    char tmp[64];

    switch (v->type) {
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
        printf("%.17g", v->f64);
        break;
    case LAKE_TYPE_STRING:
        printf("\"%.*s\"", (int)v->len, v->str);
        break;
    case LAKE_TYPE_BINARY:
        printf("%zu bytes", v->len);
        break;
    case LAKE_TYPE_DATE:
        lake_format_date(tmp, sizeof(tmp), (int32_t)v->i64);
        printf("%s", tmp);
        break;
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        lake_format_timestamp(tmp, sizeof(tmp), v->i64);
        printf("%s", tmp);
        break;
    case LAKE_TYPE_DECIMAL:
        lake_format_decimal(tmp, sizeof(tmp),
                            v->i128 ? v->i128 : (lake_i128)v->i64, scale);
        printf("%s", tmp);
        break;
    default:
        printf("%lld", (long long)v->i64);
    }
}

static int cmd_stats(const char *path)
{
    struct lake_parquet_reader *r;
    size_t g;
    size_t i;
    int rc = lake_parquet_reader_open(&r, path);

    if (rc) {
        fprintf(stderr, "error: %s\n", jc_err_last());
        return 1;
    }
    printf("created_by: %s\nrows: %lld\nrow groups: %zu\n",
           lake_parquet_reader_created_by(r),
           (long long)lake_parquet_reader_num_rows(r),
           lake_parquet_reader_num_row_groups(r));
    for (g = 0; g < lake_parquet_reader_num_row_groups(r); g++) {
        struct lake_parquet_file_stats st;
        rc = lake_parquet_reader_row_group_stats(r, g, &st);
        if (rc)
            break;
        printf("row group %zu: %lld rows\n", g, (long long)st.num_rows);
        for (i = 0; i < st.n_columns; i++) {
            const struct lake_column_stats *c = &st.columns[i];
            printf("  %-24s nulls=%lld", c->dotted, (long long)c->null_count);
            if (c->has_min_max) {
                printf(" min=");
                print_value(&c->min, c->scale);
                printf(" max=");
                print_value(&c->max, c->scale);
            }
            printf("\n");
        }
        lake_parquet_file_stats_release(&st);
    }
    lake_parquet_reader_free(r);
    if (rc) {
        fprintf(stderr, "error: %s\n", jc_err_last());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct lake_batch *b;
    int rc;

    if (argc < 3) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "gen") == 0)
        return cmd_gen(argc, argv);
    if (strcmp(argv[1], "stats") == 0)
        return cmd_stats(argv[2]);
    if (strcmp(argv[1], "schema") == 0) {
        struct lake_parquet_reader *r;
        rc = lake_parquet_reader_open(&r, argv[2]);
        if (rc) {
            fprintf(stderr, "error: %s\n", jc_err_last());
            return 1;
        }
        print_schema(lake_parquet_reader_schema(r));
        lake_parquet_reader_free(r);
        return 0;
    }
    if (strcmp(argv[1], "cat") == 0) {
        rc = lake_parquet_read_file(argv[2], (const char *const *)argv + 3,
                                    (size_t)(argc - 3), &b);
        if (rc) {
            fprintf(stderr, "error: %s\n", jc_err_last());
            return 1;
        }
        print_rows(b);
        lake_batch_free(b);
        return 0;
    }
    usage();
    return 2;
}
