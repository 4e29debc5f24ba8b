/*
 * test_write_choices.c: what the Parquet writer decides per column chunk:
 * a dictionary is kept for columns that repeat and dropped (no dictionary
 * page) for columns that do not, the values read back either way, and
 * string min/max statistics order bytes like memcmp + length whatever the
 * strings' shared prefixes, lengths, zero or high bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/parquet.h"
#include "parquet_int.h"
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

static const struct pq_chunk *chunk_of(const struct lake_parquet_reader *r,
                                       size_t rg, size_t col)
{
    assert_true(rg < r->meta.n_rg);
    assert_true(col < r->meta.rgs[rg].n_chunks);
    return &r->meta.rgs[rg].chunks[col];
}

static void test_dictionary_kept_only_where_values_repeat(void **state)
{
    static const char *const types[] = {"click", "purchase", "view"};
    struct lake_schema s;
    struct lake_batch *b;
    struct lake_batch *got;
    struct lake_parquet_reader *r;
    char *p = path_of("choice.parquet");
    size_t i;
    size_t rg;

    (void)state;
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "id", LAKE_TYPE_STRING, false);
    lake_schema_add_simple(&s, "type", LAKE_TYPE_STRING, false);
    lake_schema_add_simple(&s, "topic", LAKE_TYPE_STRING, false);
    lake_schema_add_simple(&s, "offset", LAKE_TYPE_LONG, false);
    lake_schema_add_simple(&s, "partition", LAKE_TYPE_INTEGER, false);
    b = lake_batch_new(&s);
    for (i = 0; i < 50000; i++) {
        char id[32];
        int n = snprintf(id, sizeof(id), "%zu", i * 7919 % 100003);
        lake_batch_append_str(&b->columns[0], id, (size_t)n);
        lake_batch_append_str(&b->columns[1], types[i * 31 % 3],
                              strlen(types[i * 31 % 3]));
        lake_batch_append_str(&b->columns[2], "stream-input", 12);
        lake_batch_append_i64(&b->columns[3], (int64_t)i);
        lake_batch_append_i32(&b->columns[4], (int32_t)(i / 20000));
    }
    assert_int_equal(lake_batch_seal(b), 0);
    assert_int_equal(lake_parquet_write_file(p, b, NULL, NULL), 0);

    assert_int_equal(lake_parquet_reader_open(&r, p), 0);
    for (rg = 0; rg < r->meta.n_rg; rg++) {
        /* unique ids and offsets: PLAIN from the first sample on */
        assert_false(chunk_of(r, rg, 0)->has_dict_offset);
        assert_false(chunk_of(r, rg, 3)->has_dict_offset);
        /* three types, one topic, three partitions: dictionary */
        assert_true(chunk_of(r, rg, 1)->has_dict_offset);
        assert_true(chunk_of(r, rg, 2)->has_dict_offset);
        assert_true(chunk_of(r, rg, 4)->has_dict_offset);
    }
    lake_parquet_reader_free(r);

    assert_int_equal(lake_parquet_read_file(p, NULL, 0, &got), 0);
    assert_int_equal(got->num_rows, 50000);
    for (i = 0; i < 50000; i++) {
        size_t n1;
        size_t n2;
        const char *x = lake_column_get_str(&got->columns[0], i, &n1);
        const char *y = lake_column_get_str(&b->columns[0], i, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(x, y, n1);
        x = lake_column_get_str(&got->columns[1], i, &n1);
        assert_int_equal(n1, strlen(types[i * 31 % 3]));
        assert_memory_equal(x, types[i * 31 % 3], n1);
        assert_int_equal(lake_column_get_i64(&got->columns[3], i), (int64_t)i);
        assert_int_equal(lake_column_get_i64(&got->columns[4], i),
                         (int64_t)(i / 20000));
    }
    lake_batch_free(got);
    lake_batch_free(b);
    lake_schema_release(&s);
    free(p);
}

static int ref_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t n = an < bn ? an : bn;
    int c = n ? memcmp(a, b, n) : 0;

    if (c)
        return c;
    return an < bn ? -1 : an > bn;
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Strings over a few byte values (a different pick each round), with a
 * shared run of 'a' of random length in front: many share 8-byte
 * prefixes, are prefixes of each other or differ only after the prefix. */
static size_t gen_string(uint64_t *x, const char *alpha, size_t na,
                         size_t shared, char *out)
{
    size_t n = 1 + (size_t)(rnd(x) % 13);
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = i < shared ? 'a' : alpha[rnd(x) % na];
    return n;
}

static void test_string_stats_match_memcmp_order(void **state)
{
    struct lake_schema s;
    struct lake_parquet_write_opts o = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_parquet_file_stats st;
    const struct lake_column_stats *c;
    char *p = path_of("stats.parquet");
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int round;

    (void)state;
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "s", LAKE_TYPE_BINARY, false);
    for (round = 0; round < 200; round++) {
        struct lake_batch *b = lake_batch_new(&s);
        char mn[16], mx[16];
        size_t mnl = 0, mxl = 0;
        size_t i;
        static const char bytes[] = {'\0', 'a', 'b', '\x7f', '\x80', '\xff'};
        char alpha[3];
        size_t na = 2 + (size_t)(rnd(&x) % 2);
        size_t shared = (size_t)(rnd(&x) % 10);
        for (i = 0; i < na; i++)
            alpha[i] = bytes[rnd(&x) % sizeof(bytes)];
        o.dictionary = round % 2 == 0;
        o.row_group_rows = round % 3 == 0 ? 97 : 0; /* merge across groups */
        for (i = 0; i < 2000; i++) {
            char v[16];
            size_t n = gen_string(&x, alpha, na, shared, v);
            lake_batch_append_str(&b->columns[0], v, n);
            if (i == 0 || ref_cmp(v, n, mn, mnl) < 0) {
                memcpy(mn, v, n);
                mnl = n;
            }
            if (i == 0 || ref_cmp(v, n, mx, mxl) > 0) {
                memcpy(mx, v, n);
                mxl = n;
            }
        }
        assert_int_equal(lake_batch_seal(b), 0);
        assert_int_equal(lake_parquet_write_file(p, b, &o, &st), 0);
        c = lake_parquet_file_stats_find(&st, "s");
        assert_non_null(c);
        assert_true(c->has_min_max);
        assert_int_equal(c->min.len, mnl);
        assert_memory_equal(c->min.str, mn, mnl);
        assert_int_equal(c->max.len, mxl);
        assert_memory_equal(c->max.str, mx, mxl);
        lake_parquet_file_stats_release(&st);
        lake_batch_free(b);
    }
    lake_schema_release(&s);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dictionary_kept_only_where_values_repeat),
        cmocka_unit_test(test_string_stats_match_memcmp_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
