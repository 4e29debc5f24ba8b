/*
 * test_parquet.c: unit tests of lib/lake's Parquet layer: round trips of
 * all types and null patterns through every codec, streaming row groups,
 * projection, statistics, and malformed files failing with messages that
 * name the file (never crashing).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "pq_gen.h"
#include "testsupport.h"

static char *g_dir;

static int setup(void **state)
{
    (void)state;
    g_dir = jt_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    jt_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static char *path_of(const char *name)
{
    size_t n = strlen(g_dir) + strlen(name) + 2;
    char *p = malloc(n);

    snprintf(p, n, "%s/%s", g_dir, name);
    return p;
}

/* All rows of a batch as JSON lines. */
static char *rows_json(const struct lake_batch *b)
{
    struct ju_buf s = JU_BUF_INIT;
    size_t r;

    for (r = 0; r < b->num_rows; r++) {
        assert_int_equal(lake_batch_format_row_json(&s, b, r), 0);
        ju_buf_addc(&s, '\n');
    }
    return ju_buf_detach(&s, NULL);
}

static void roundtrip(enum lake_codec codec, enum pq_gen_nulls nulls, bool dict)
{
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_batch *b = pq_gen_batch(0, 200, nulls);
    struct lake_batch *got = NULL;
    struct lake_parquet_file_stats st;
    char *p = path_of("rt.parquet");
    char *want;
    char *have;

    assert_non_null(b);
    o.codec = codec;
    o.dictionary = dict;
    assert_int_equal(lake_parquet_write_file(p, b, &o, &st), 0);
    assert_int_equal(st.num_rows, 200);
    assert_true(st.file_size > 12);
    assert_int_equal(lake_parquet_read_file(p, NULL, 0, &got), 0);
    assert_true(lake_schema_equal(&got->schema, &b->schema));
    want = rows_json(b);
    have = rows_json(got);
    assert_string_equal(have, want);
    free(want);
    free(have);
    lake_parquet_file_stats_release(&st);
    lake_batch_free(got);
    lake_batch_free(b);
    free(p);
}

static void test_parquet_roundtrip_all_codecs_and_nulls(void **state)
{
    static const enum lake_codec codecs[] = {LAKE_CODEC_UNCOMPRESSED,
                                             LAKE_CODEC_SNAPPY, LAKE_CODEC_GZIP,
                                             LAKE_CODEC_ZSTD};
    size_t c;
    int n;

    (void)state;
    for (c = 0; c < 4; c++)
        for (n = 0; n < 3; n++) {
            roundtrip(codecs[c], (enum pq_gen_nulls)n, true);
            roundtrip(codecs[c], (enum pq_gen_nulls)n, false);
        }
}

static void test_parquet_streaming_row_groups(void **state)
{
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_parquet_writer *w;
    struct lake_parquet_reader *r;
    struct lake_parquet_file_stats st;
    struct lake_schema s;
    char *p = path_of("rg.parquet");
    size_t total = 0;
    size_t g;
    int i;

    (void)state;
    o.page_bytes = 1024;
    o.row_group_bytes = 8192;
    pq_gen_schema(&s);
    assert_int_equal(lake_parquet_writer_open(&w, p, &s, &o), 0);
    for (i = 0; i < 10; i++) {
        struct lake_batch *b = pq_gen_batch((size_t)i * 50, 50, PQ_GEN_SOME);
        assert_int_equal(lake_parquet_writer_write(w, b), 0);
        lake_batch_free(b);
    }
    assert_int_equal(lake_parquet_writer_set_kv(w, "app", "jobctl"), 0);
    assert_int_equal(lake_parquet_writer_close(w, &st), 0);
    assert_int_equal(st.num_rows, 500);
    assert_true(st.num_row_groups > 1);
    lake_parquet_file_stats_release(&st);

    assert_int_equal(lake_parquet_reader_open(&r, p), 0);
    assert_int_equal(lake_parquet_reader_num_rows(r), 500);
    assert_string_equal(lake_parquet_reader_created_by(r),
                        "jobctl version 0.1.0");
    assert_true(lake_parquet_reader_num_row_groups(r) > 1);
    assert_string_equal(lake_parquet_reader_kv(r, "app"), "jobctl");
    assert_null(lake_parquet_reader_kv(r, "nope"));
    for (g = 0; g < lake_parquet_reader_num_row_groups(r); g++) {
        struct lake_batch *b;
        struct lake_column *c;
        assert_int_equal(lake_parquet_reader_read_row_group(r, g, &b), 0);
        c = lake_batch_column(b, "r_long");
        assert_non_null(c);
        /* r_long is the row number: row groups come back in order */
        assert_int_equal(lake_column_get_i64(c, 0), (int64_t)total);
        total += b->num_rows;
        lake_batch_free(b);
    }
    assert_int_equal(total, 500);
    lake_parquet_reader_free(r);
    lake_schema_release(&s);
    free(p);
}

static void test_parquet_projection(void **state)
{
    struct lake_batch *b = pq_gen_batch(0, 30, PQ_GEN_SOME);
    struct lake_batch *got;
    const char *names[] = {"m", "c_string"};
    char *p = path_of("proj.parquet");
    size_t i;

    (void)state;
    assert_int_equal(lake_parquet_write_file(p, b, NULL, NULL), 0);
    assert_int_equal(lake_parquet_read_file(p, names, 2, &got), 0);
    assert_int_equal(got->n_columns, 2);
    assert_string_equal(got->schema.fields[0].name, "m");
    assert_int_equal(got->num_rows, 30);
    for (i = 0; i < 30; i++) {
        size_t n1;
        size_t n2;
        const char *a = lake_column_get_str(&got->columns[1], i, &n1);
        const char *e =
            lake_column_get_str(lake_batch_column(b, "c_string"), i, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(a, e, n1);
    }
    lake_batch_free(got);
    names[0] = "nope";
    assert_int_equal(lake_parquet_read_file(p, names, 1, &got), JC_ENOTFOUND);
    assert_non_null(strstr(jc_err_last(), "nope"));
    lake_batch_free(b);
    free(p);
}

static void test_parquet_stats(void **state)
{
    struct lake_schema s;
    struct lake_batch *b;
    struct lake_parquet_file_stats st;
    struct lake_parquet_reader *r;
    const struct lake_column_stats *c;
    char *p = path_of("stats.parquet");
    int64_t i;

    (void)state;
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "id", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(&s, "name", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(&s, "none", LAKE_TYPE_DOUBLE, true);
    b = lake_batch_new(&s);
    for (i = 0; i < 100; i++) {
        char tmp[16];
        int n = snprintf(tmp, sizeof(tmp), "n%03d", (int)(99 - i));
        if (i % 10 == 0)
            lake_batch_append_null(&b->columns[0]);
        else
            lake_batch_append_i64(&b->columns[0], i - 50);
        lake_batch_append_str(&b->columns[1], tmp, (size_t)n);
        lake_batch_append_null(&b->columns[2]);
    }
    assert_int_equal(lake_batch_seal(b), 0);
    assert_int_equal(lake_parquet_write_file(p, b, NULL, &st), 0);
    c = lake_parquet_file_stats_find(&st, "id");
    assert_non_null(c);
    assert_int_equal(c->null_count, 10);
    assert_true(c->has_min_max);
    assert_int_equal(c->min.i64, -49);
    assert_int_equal(c->max.i64, 49);
    c = lake_parquet_file_stats_find(&st, "name");
    assert_string_equal(c->min.str, "n000");
    assert_string_equal(c->max.str, "n099");
    c = lake_parquet_file_stats_find(&st, "none");
    assert_int_equal(c->null_count, 100);
    assert_false(c->has_min_max);
    assert_int_equal(st.top_null_count[2], 100);
    lake_parquet_file_stats_release(&st);

    /* the same statistics come back from the footer */
    assert_int_equal(lake_parquet_reader_open(&r, p), 0);
    assert_int_equal(lake_parquet_reader_row_group_stats(r, 0, &st), 0);
    c = lake_parquet_file_stats_find(&st, "id");
    assert_int_equal(c->null_count, 10);
    assert_int_equal(c->min.i64, -49);
    assert_int_equal(c->max.i64, 49);
    c = lake_parquet_file_stats_find(&st, "name");
    assert_string_equal(c->max.str, "n099");
    lake_parquet_file_stats_release(&st);
    lake_parquet_reader_free(r);
    lake_batch_free(b);
    lake_schema_release(&s);
    free(p);
}

/* Write a valid small file and return its bytes. */
static char *valid_file(size_t *len)
{
    struct lake_batch *b = pq_gen_batch(0, 20, PQ_GEN_SOME);
    char *p = path_of("valid.parquet");
    char *data;
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;

    o.codec = LAKE_CODEC_UNCOMPRESSED;
    assert_int_equal(lake_parquet_write_file(p, b, &o, NULL), 0);
    data = jt_read_file(p, len);
    assert_non_null(data);
    lake_batch_free(b);
    free(p);
    return data;
}

/* Open from memory and read all; must fail with a message naming "bad". */
static int read_mem(const char *data, size_t len)
{
    struct lake_parquet_reader *r;
    struct lake_batch *b = NULL;
    int rc = lake_parquet_reader_open_mem(&r, data, len, "bad.parquet");

    if (rc == 0) {
        rc = lake_parquet_reader_read_all(r, &b);
        lake_batch_free(b);
        lake_parquet_reader_free(r);
    }
    if (rc)
        assert_non_null(strstr(jc_err_last(), "bad.parquet"));
    return rc;
}

static void test_parquet_malformed_files(void **state)
{
    size_t len;
    char *data = valid_file(&len);
    char *copy = malloc(len);
    size_t cut;
    size_t i;
    uint32_t flen;

    (void)state;
    assert_int_equal(read_mem(data, len), 0);
    /* truncated anywhere */
    for (cut = 0; cut < len; cut += 7)
        assert_true(read_mem(data, cut) < 0);
    /* bad magic */
    memcpy(copy, data, len);
    copy[0] = 'X';
    assert_int_equal(read_mem(copy, len), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "magic"));
    /* huge footer length */
    memcpy(copy, data, len);
    copy[len - 5] = 0x7f;
    assert_true(read_mem(copy, len) < 0);
    assert_non_null(strstr(jc_err_last(), "footer length"));
    /* garbage thrift in the footer */
    memcpy(copy, data, len);
    memcpy(&flen, data + len - 8, 4);
    memset(copy + len - 8 - flen, 0xff, flen);
    assert_true(read_mem(copy, len) < 0);
    /* flipping every byte of the data area never crashes */
    for (i = 4; i < len - 8 - flen; i++) {
        memcpy(copy, data, len);
        copy[i] ^= 0x5a;
        (void)read_mem(copy, len);
    }
    /* and of the footer */
    for (i = len - 8 - flen; i < len - 8; i++) {
        memcpy(copy, data, len);
        copy[i] = (char)(copy[i] + 1);
        (void)read_mem(copy, len);
    }
    free(copy);
    free(data);
}

static void test_parquet_page_size_error_names_offset(void **state)
{
    size_t len;
    char *data = valid_file(&len);
    char *bad = malloc(len + 8);
    size_t pos = 4;
    size_t vlen = 0;
    static const char huge[] = {(char)0xfe, (char)0xff, (char)0xff, (char)0xff,
                                0x0f};

    (void)state;
    /* First page header at offset 4: 0x15 type, 0x15 uncompressed size,
     * 0x15 compressed size (field headers of i32 fields 1, 2, 3). */
    assert_int_equal((unsigned char)data[pos], 0x15);
    pos += 2;
    assert_int_equal((unsigned char)data[pos], 0x15);
    pos++;
    while ((unsigned char)data[pos] & 0x80)
        pos++;
    pos++;
    assert_int_equal((unsigned char)data[pos], 0x15);
    pos++;
    while ((unsigned char)data[pos + vlen] & 0x80)
        vlen++;
    vlen++;
    /* replace the compressed size by a 5-byte varint of 2^30 - 1 */
    memcpy(bad, data, pos);
    memcpy(bad + pos, huge, sizeof(huge));
    memcpy(bad + pos + sizeof(huge), data + pos + vlen, len - pos - vlen);
    assert_true(read_mem(bad, len - vlen + sizeof(huge)) < 0);
    assert_non_null(strstr(jc_err_last(), "page header at offset 4"));
    assert_non_null(
        strstr(jc_err_last(), "compressed size 2147483647 exceeds chunk"));
    free(bad);
    free(data);
}

static void test_parquet_open_errors(void **state)
{
    struct lake_parquet_reader *r;
    char *p = path_of("missing.parquet");
    char *q = path_of("empty.parquet");

    (void)state;
    assert_int_equal(lake_parquet_reader_open(&r, p), JC_ENOTFOUND);
    assert_non_null(strstr(jc_err_last(), "missing.parquet"));
    jt_write_file(q, "");
    assert_int_equal(lake_parquet_reader_open(&r, q), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "empty.parquet"));
    free(p);
    free(q);
}

static void test_parquet_writer_rejects_other_schema(void **state)
{
    struct lake_schema s;
    struct lake_parquet_writer *w;
    struct lake_batch *b = pq_gen_batch(0, 3, PQ_GEN_NONE);
    char *p = path_of("other.parquet");

    (void)state;
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "x", LAKE_TYPE_INTEGER, true);
    assert_int_equal(lake_parquet_writer_open(&w, p, &s, NULL), 0);
    assert_int_equal(lake_parquet_writer_write(w, b), JC_EINVAL);
    lake_parquet_writer_abort(w);
    assert_int_not_equal(access(p, F_OK), 0);
    lake_schema_release(&s);

    /* a required column holding a null is refused, naming the column */
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "req", LAKE_TYPE_LONG, false);
    lake_batch_free(b);
    b = lake_batch_new(&s);
    lake_batch_append_i64(&b->columns[0], 1);
    lake_batch_append_null(&b->columns[0]);
    assert_int_equal(lake_batch_seal(b), 0);
    assert_int_equal(lake_parquet_write_file(p, b, NULL, NULL), JC_EINVAL);
    assert_non_null(strstr(jc_err_last(), "'req' is not nullable"));
    assert_int_not_equal(access(p, F_OK), 0);
    lake_schema_release(&s);

    /* so is a null element in an array whose elements are not nullable */
    {
        struct lake_field el;
        struct lake_field arr;
        lake_field_init(&el, "element", LAKE_TYPE_INTEGER, false);
        lake_field_init_array(&arr, "a", &el, true);
        lake_schema_init(&s);
        lake_schema_add(&s, &arr);
        lake_batch_free(b);
        b = lake_batch_new(&s);
        lake_batch_append_i32(&b->columns[0].children[0], 1);
        lake_batch_append_null(&b->columns[0].children[0]);
        lake_batch_end_list(&b->columns[0]);
        assert_int_equal(lake_batch_seal(b), 0);
        assert_int_equal(lake_parquet_write_file(p, b, NULL, NULL), JC_EINVAL);
        assert_non_null(strstr(jc_err_last(), "non-nullable nested"));
        lake_field_release(&el);
        lake_field_release(&arr);
        lake_schema_release(&s);
    }
    lake_batch_free(b);
    free(p);
}

static void test_parquet_large_dictionary_fallback(void **state)
{
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_schema s;
    struct lake_batch *b;
    struct lake_batch *got;
    char *p = path_of("fallback.parquet");
    size_t i;

    (void)state;
    o.dictionary_bytes = 4096;
    o.page_bytes = 2048;
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "k", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(&s, "v", LAKE_TYPE_LONG, false);
    b = lake_batch_new(&s);
    for (i = 0; i < 20000; i++) {
        char tmp[32];
        /* repeating at first (dictionary pays), then unique */
        int n = snprintf(tmp, sizeof(tmp), "key-%zu", i < 5000 ? i % 10 : i);
        lake_batch_append_str(&b->columns[0], tmp, (size_t)n);
        lake_batch_append_i64(&b->columns[1], (int64_t)(i % 3));
    }
    assert_int_equal(lake_batch_seal(b), 0);
    assert_int_equal(lake_parquet_write_file(p, b, &o, NULL), 0);
    assert_int_equal(lake_parquet_read_file(p, NULL, 0, &got), 0);
    assert_int_equal(got->num_rows, 20000);
    for (i = 0; i < 20000; i += 997) {
        size_t n1;
        size_t n2;
        const char *x = lake_column_get_str(&got->columns[0], i, &n1);
        const char *y = lake_column_get_str(&b->columns[0], i, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(x, y, n1);
        assert_int_equal(lake_column_get_i64(&got->columns[1], i),
                         (int64_t)(i % 3));
    }
    lake_batch_free(got);
    lake_batch_free(b);
    lake_schema_release(&s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parquet_roundtrip_all_codecs_and_nulls),
        cmocka_unit_test(test_parquet_streaming_row_groups),
        cmocka_unit_test(test_parquet_projection),
        cmocka_unit_test(test_parquet_stats),
        cmocka_unit_test(test_parquet_malformed_files),
        cmocka_unit_test(test_parquet_page_size_error_names_offset),
        cmocka_unit_test(test_parquet_open_errors),
        cmocka_unit_test(test_parquet_writer_rejects_other_schema),
        cmocka_unit_test(test_parquet_large_dictionary_fallback),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
