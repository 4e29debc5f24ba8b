/*
 * test_iforest_io.c: the model file (docs/MODEL-FORMAT.md) round-trips
 * bit-exactly, and the reader rejects malformed files with a message that
 * names the byte offset instead of crashing (truncation, bad magic, cyclic
 * or out-of-range children, bad feature index, trailing bytes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "ml/iforest.h"
#include "testsupport.h"

static struct ml_iforest *small_model(void)
{
    double x[200];
    for (int i = 0; i < 100; i++) {
        x[2 * i] = i * 1.5;
        x[2 * i + 1] = (i * 37) % 100;
    }
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.n_estimators = 5;
    o.contamination = 0.1;
    o.seed = 1;
    struct ml_iforest *f;
    assert_int_equal(ml_iforest_fit(&f, x, 100, 2, &o, NULL), 0);
    return f;
}

static void test_iforest_io_roundtrip(void **state)
{
    (void)state;
    struct ml_iforest *f = small_model();
    char *dir = jt_tmpdir();
    char *path = malloc(strlen(dir) + 32);
    snprintf(path, strlen(dir) + 32, "%s/m.jcif", dir);
    assert_int_equal(ml_iforest_save(f, path), 0);
    struct ml_iforest *g;
    assert_int_equal(ml_iforest_load(&g, path), 0);
    assert_true(ml_iforest_offset(f) == ml_iforest_offset(g));
    assert_true(ml_iforest_contamination(g) == 0.1);
    assert_int_equal(ml_iforest_n_nodes(f), ml_iforest_n_nodes(g));
    double x[4] = {3, 4, 500, -2};
    double a[2], b[2];
    ml_iforest_score(f, x, 2, a, NULL, NULL, 1);
    ml_iforest_score(g, x, 2, b, NULL, NULL, 1);
    assert_memory_equal(a, b, sizeof(a));
    ml_iforest_free(g);
    assert_int_equal(ml_iforest_load(&g, "/nonexistent/m.jcif"),
                     JC_ENOTFOUND);
    jt_rmtree(dir);
    free(dir);
    free(path);
    ml_iforest_free(f);
}

static void put32(char *p, uint32_t v)
{
    memcpy(p, &v, 4); /* tests run on little-endian hosts */
}

static void test_iforest_io_rejects_malformed(void **state)
{
    (void)state;
    struct ml_iforest *f = small_model();
    char *data;
    size_t len;
    ml_iforest_write_mem(f, &data, &len);
    struct ml_iforest *g;
    char *c = malloc(len + 8);

    /* every truncation fails cleanly */
    for (size_t l = 0; l < len; l += (l < 64 ? 1 : 97)) {
        assert_int_not_equal(ml_iforest_read_mem(&g, data, l), 0);
        assert_null(g);
    }
    /* bad magic */
    memcpy(c, data, len);
    c[0] = 'X';
    assert_int_equal(ml_iforest_read_mem(&g, c, len), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "magic"));
    /* trailing data */
    memcpy(c, data, len);
    assert_int_equal(ml_iforest_read_mem(&g, c, len + 1), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "trailing"));
    /* root's left child pointing at itself (a cycle) */
    memcpy(c, data, len);
    put32(c + 56 + 4, 0);
    assert_int_equal(ml_iforest_read_mem(&g, c, len), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "byte"));
    /* feature out of range */
    memcpy(c, data, len);
    put32(c + 56 + 4 + 8, 7);
    assert_int_equal(ml_iforest_read_mem(&g, c, len), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "feature"));
    /* huge node count */
    memcpy(c, data, len);
    put32(c + 56, 0x7fffffff);
    assert_int_not_equal(ml_iforest_read_mem(&g, c, len), 0);
    /* unknown version */
    memcpy(c, data, len);
    put32(c + 8, 99);
    assert_int_equal(ml_iforest_read_mem(&g, c, len), JC_EUNSUPPORTED);
    /* intact copy still loads */
    memcpy(c, data, len);
    assert_int_equal(ml_iforest_read_mem(&g, c, len), 0);
    ml_iforest_free(g);
    free(c);
    free(data);
    ml_iforest_free(f);
}

/* Fuzz finding: a one-tree model of depth 2 made the AVX2 scorer read
 * past its threshold planes (corpus shallow_tree_crash.jcif). */
static void test_iforest_io_shallow_tree_scores(void **state)
{
    (void)state;
    char path[4096];
    snprintf(path, sizeof(path),
             "%s/tests/fuzz/corpus/iforest_model/shallow_tree_crash.jcif",
             jt_source_dir());
    struct ml_iforest *f;
    assert_int_equal(ml_iforest_load(&f, path), 0);
    double x[128];
    for (int i = 0; i < 128; i++)
        x[i] = i * 0.01;
    double s[64];
    ml_iforest_score(f, x, 64, s, NULL, NULL, 1);
    for (int i = 0; i < 64; i++)
        assert_true(s[i] < 0 && s[i] >= -1);
    ml_iforest_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iforest_io_roundtrip),
        cmocka_unit_test(test_iforest_io_rejects_malformed),
        cmocka_unit_test(test_iforest_io_shallow_tree_scores),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
