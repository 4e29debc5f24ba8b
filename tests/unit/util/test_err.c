/* test_err.c: every error code has a unique description; messages wrap. */
#include "testsupport.h"

#include <string.h>

#include "jobctl/err.h"

static void test_err_strerror_unique(void **state)
{
    int i;
    int j;

    (void)state;
    for (i = 0; i < JC_ERR_COUNT_; i++) {
        const char *a = jc_strerror(-i);
        assert_non_null(a);
        assert_string_not_equal(a, "unknown error code");
        for (j = 0; j < i; j++)
            assert_string_not_equal(a, jc_strerror(-j));
    }
    assert_string_equal(jc_strerror(-999), "unknown error code");
}

static void test_err_set_wrap_clear(void **state)
{
    (void)state;
    assert_int_equal(jc_err_set(JC_EPARSE, "bad '%s' at %d:%d", "x", 3, 4),
                     JC_EPARSE);
    assert_string_equal(jc_err_last(), "bad 'x' at 3:4");
    assert_int_equal(jc_err_wrap(JC_EPARSE, "job.json"), JC_EPARSE);
    assert_string_equal(jc_err_last(), "job.json: bad 'x' at 3:4");
    assert_int_equal(jc_err_last_code(), JC_EPARSE);
    jc_err_clear();
    assert_string_equal(jc_err_last(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_strerror_unique),
        cmocka_unit_test(test_err_set_wrap_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
