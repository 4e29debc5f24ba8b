/*
 * test_iforest.c: isolation forest behaviour users rely on: sklearn's
 * path-length and percentile definitions, deterministic fits for a seed,
 * outliers scoring below inliers, contamination setting offset_ so that the
 * expected share is flagged, and identical results for 1 and N threads.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "ml/iforest.h"
#include "ml/rng.h"
#include "testsupport.h"

static void test_iforest_rng_is_seeded_and_bounded(void **state)
{
    (void)state;
    struct ml_rng a, b;
    ml_rng_init(&a, 42);
    ml_rng_init(&b, 42);
    for (int i = 0; i < 100; i++)
        assert_true(ml_rng_next(&a) == ml_rng_next(&b));
    int hist[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t v = ml_rng_below(&a, 7);
        assert_true(v < 7);
        hist[v]++;
        double u = ml_rng_uniform(&a);
        assert_true(u >= 0.0 && u < 1.0);
    }
    for (int k = 0; k < 7; k++)
        assert_true(hist[k] > 9000 && hist[k] < 11000);
    ml_rng_init(&b, 43);
    assert_true(ml_rng_next(&a) != ml_rng_next(&b));
}

static void test_iforest_average_path_length(void **state)
{
    (void)state;
    assert_true(ml_iforest_average_path_length(0) == 0.0);
    assert_true(ml_iforest_average_path_length(1) == 0.0);
    assert_true(ml_iforest_average_path_length(2) == 1.0);
    /* 2 (ln 255 + gamma) - 2 * 255 / 256, as sklearn computes */
    double want = 2.0 * (log(255.0) + 0.5772156649015329) -
                  2.0 * 255.0 / 256.0;
    assert_true(fabs(ml_iforest_average_path_length(256) - want) < 1e-12);
}

static void test_iforest_percentile_matches_numpy(void **state)
{
    (void)state;
    double v[] = {5, 1, 4, 2, 3};
    /* numpy.percentile([1..5], q): 10 -> 1.4, 50 -> 3, 0 -> 1, 100 -> 5 */
    double c[5];
    memcpy(c, v, sizeof(v));
    assert_true(fabs(ml_percentile(c, 5, 10.0) - 1.4) < 1e-12);
    memcpy(c, v, sizeof(v));
    assert_true(ml_percentile(c, 5, 50.0) == 3.0);
    memcpy(c, v, sizeof(v));
    assert_true(ml_percentile(c, 5, 0.0) == 1.0);
    memcpy(c, v, sizeof(v));
    assert_true(ml_percentile(c, 5, 100.0) == 5.0);
    double one = 7.0;
    assert_true(ml_percentile(&one, 1, 10.0) == 7.0);
    /* many duplicates */
    double d[1000];
    for (int i = 0; i < 1000; i++)
        d[i] = (double)(i % 3);
    assert_true(ml_percentile(d, 1000, 50.0) == 1.0);
}

static double *make_data(size_t n, size_t n_out, uint64_t seed)
{
    struct ml_rng r;
    ml_rng_init(&r, seed);
    double *x = malloc(2 * (n + n_out) * sizeof(*x));
    for (size_t i = 0; i < n; i++) {
        x[2 * i] = 100.0 + 10.0 * (ml_rng_uniform(&r) - 0.5);
        x[2 * i + 1] = 1.7e9 + 3600.0 * ml_rng_uniform(&r);
    }
    for (size_t i = n; i < n + n_out; i++) {
        x[2 * i] = 1000.0 + 100.0 * ml_rng_uniform(&r);
        x[2 * i + 1] = 1.7e9 + 3600.0 * ml_rng_uniform(&r);
    }
    return x;
}

static void test_iforest_fit_is_deterministic(void **state)
{
    (void)state;
    size_t n = 2000;
    double *x = make_data(n, 20, 1);
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.seed = 42;
    o.contamination = 0.1;
    struct ml_iforest *a, *b;
    assert_int_equal(ml_iforest_fit(&a, x, n + 20, 2, &o, NULL), 0);
    assert_int_equal(ml_iforest_fit(&b, x, n + 20, 2, &o, NULL), 0);
    char *da, *db;
    size_t la, lb;
    ml_iforest_write_mem(a, &da, &la);
    ml_iforest_write_mem(b, &db, &lb);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    assert_int_equal(ml_iforest_n_estimators(a), 100);
    assert_int_equal(ml_iforest_max_samples(a), 256);
    /* depth limit ceil(log2(256)) = 8 -> at most 511 nodes per tree */
    assert_true(ml_iforest_n_nodes(a) <= 100 * 511);
    o.seed = 43;
    struct ml_iforest *c;
    assert_int_equal(ml_iforest_fit(&c, x, n + 20, 2, &o, NULL), 0);
    char *dc;
    size_t lc;
    ml_iforest_write_mem(c, &dc, &lc);
    assert_true(lc != la || memcmp(da, dc, la) != 0);
    free(da);
    free(db);
    free(dc);
    ml_iforest_free(a);
    ml_iforest_free(b);
    ml_iforest_free(c);
    free(x);
}

static void test_iforest_outliers_score_lower(void **state)
{
    (void)state;
    size_t n = 5000, k = 50;
    double *x = make_data(n, k, 7);
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.seed = 42;
    o.contamination = 0.01;
    struct ml_iforest *f;
    double *train = malloc((n + k) * sizeof(*train));
    assert_int_equal(ml_iforest_fit(&f, x, n + k, 2, &o, train), 0);
    double *s = malloc((n + k) * sizeof(*s));
    double *d = malloc((n + k) * sizeof(*d));
    int32_t *p = malloc((n + k) * sizeof(*p));
    ml_iforest_score(f, x, n + k, s, d, p, 2);
    double in_mean = 0, out_max = -1;
    size_t flagged = 0, out_flagged = 0;
    for (size_t i = 0; i < n + k; i++) {
        assert_true(s[i] == train[i]);
        assert_true(s[i] < 0 && s[i] >= -1.0);
        assert_true(d[i] == s[i] - ml_iforest_offset(f));
        assert_int_equal(p[i], d[i] < 0 ? -1 : 1);
        if (i < n)
            in_mean += s[i] / (double)n;
        else if (s[i] > out_max)
            out_max = s[i];
        if (p[i] == -1) {
            flagged++;
            if (i >= n)
                out_flagged++;
        }
    }
    assert_true(out_max < in_mean);
    /* offset is the 1st percentile: about 1% flagged, all outliers among */
    assert_true(flagged >= (n + k) / 100 - 2 && flagged <= (n + k) / 100 + 2);
    assert_true(out_flagged >= k - 2);
    free(s);
    free(d);
    free(p);
    free(train);
    ml_iforest_free(f);
    free(x);
}

static void test_iforest_threads_agree(void **state)
{
    (void)state;
    size_t n = 30000;
    double *x = make_data(n, 0, 3);
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.seed = 5;
    struct ml_iforest *f;
    assert_int_equal(ml_iforest_fit(&f, x, n, 2, &o, NULL), 0);
    assert_true(ml_iforest_offset(f) == -0.5); /* contamination 'auto' */
    double *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
    ml_iforest_score(f, x, n, a, NULL, NULL, 1);
    ml_iforest_score(f, x, n, b, NULL, NULL, 4);
    assert_memory_equal(a, b, n * sizeof(*a));
    free(a);
    free(b);
    ml_iforest_free(f);
    free(x);
}

static void test_iforest_rejects_bad_options(void **state)
{
    (void)state;
    double x[4] = {1, 2, 3, 4};
    struct ml_iforest *f;
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    assert_int_equal(ml_iforest_fit(&f, x, 0, 2, &o, NULL), JC_EINVAL);
    o.contamination = 0.7;
    assert_int_equal(ml_iforest_fit(&f, x, 2, 2, &o, NULL), JC_EINVAL);
    assert_non_null(strstr(jc_err_last(), "contamination"));
    o = (struct ml_iforest_opts)ML_IFOREST_OPTS_INIT;
    o.n_estimators = 0;
    assert_int_equal(ml_iforest_fit(&f, x, 2, 2, &o, NULL), JC_EINVAL);
    /* constant data: every tree is one leaf; scores are all equal */
    o = (struct ml_iforest_opts)ML_IFOREST_OPTS_INIT;
    double c[6] = {1, 1, 1, 1, 1, 1};
    assert_int_equal(ml_iforest_fit(&f, c, 3, 2, &o, NULL), 0);
    double s[3];
    ml_iforest_score(f, c, 3, s, NULL, NULL, 1);
    assert_true(s[0] == s[1] && s[1] == s[2]);
    ml_iforest_free(f);
}

static void test_iforest_max_features_subset(void **state)
{
    (void)state;
    size_t n = 1000;
    struct ml_rng r;
    ml_rng_init(&r, 9);
    double *x = malloc(n * 4 * sizeof(*x));
    for (size_t i = 0; i < n * 4; i++)
        x[i] = ml_rng_uniform(&r);
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.max_features = 0.5;
    o.bootstrap = true;
    o.max_samples = 100;
    struct ml_iforest *f;
    assert_int_equal(ml_iforest_fit(&f, x, n, 4, &o, NULL), 0);
    assert_int_equal(ml_iforest_n_features(f), 4);
    assert_int_equal(ml_iforest_max_samples(f), 100);
    double s[10];
    ml_iforest_score(f, x, 10, s, NULL, NULL, 1);
    for (int i = 0; i < 10; i++)
        assert_true(s[i] < 0 && s[i] > -1);
    ml_iforest_free(f);
    free(x);
}

/* The AVX2, scalar masked and generic traversals give identical bits. */
static void test_iforest_paths_agree(void **state)
{
    (void)state;
    size_t n = 4000;
    double *x = make_data(n, 40, 11);
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    o.seed = 8;
    struct ml_iforest *f;
    assert_int_equal(ml_iforest_fit(&f, x, n, 2, &o, NULL), 0);
    double *a = malloc(n * sizeof(*a)), *b = malloc(n * sizeof(*b));
    unsetenv("JOBCTL_ML_NO_AVX2");
    ml_iforest_score(f, x, n, a, NULL, NULL, 1);
    setenv("JOBCTL_ML_NO_AVX2", "1", 1);
    ml_iforest_score(f, x, n, b, NULL, NULL, 1);
    unsetenv("JOBCTL_ML_NO_AVX2");
    assert_memory_equal(a, b, n * sizeof(*a));
    /* a NaN in a block switches that block to the generic traversal */
    double keep = x[2 * 5];
    x[2 * 5] = NAN;
    ml_iforest_score(f, x, n, b, NULL, NULL, 1);
    x[2 * 5] = keep;
    for (size_t i = 0; i < n; i++)
        if (i != 5)
            assert_true(a[i] == b[i]);
    assert_false(isnan(b[5]));
    free(a);
    free(b);
    ml_iforest_free(f);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_iforest_rng_is_seeded_and_bounded),
        cmocka_unit_test(test_iforest_average_path_length),
        cmocka_unit_test(test_iforest_percentile_matches_numpy),
        cmocka_unit_test(test_iforest_fit_is_deterministic),
        cmocka_unit_test(test_iforest_outliers_score_lower),
        cmocka_unit_test(test_iforest_threads_agree),
        cmocka_unit_test(test_iforest_rejects_bad_options),
        cmocka_unit_test(test_iforest_max_features_subset),
        cmocka_unit_test(test_iforest_paths_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
