/* test_buf.c: growth, formatting, cap and detach of ju_buf. */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"

static void test_buf_append_and_format(void **state)
{
    struct ju_buf b = JU_BUF_INIT;
    int i;

    (void)state;
    assert_string_equal(ju_buf_str(&b), "");
    for (i = 0; i < 1000; i++)
        assert_int_equal(ju_buf_addf(&b, "%d,", i), 0);
    assert_true(b.len > 3000);
    assert_memory_equal(b.data, "0,1,2,", 6);
    assert_int_equal(b.data[b.len], '\0');
    ju_buf_release(&b);
}

static void test_buf_cap_is_enforced(void **state)
{
    struct ju_buf b;

    (void)state;
    ju_buf_init(&b, 8);
    assert_int_equal(ju_buf_adds(&b, "12345678"), 0);
    assert_int_equal(ju_buf_addc(&b, '9'), JC_ETOOBIG);
    assert_int_equal(b.len, 8);
    assert_string_equal(ju_buf_str(&b), "12345678");
    ju_buf_release(&b);
}

static void test_buf_detach(void **state)
{
    struct ju_buf b = JU_BUF_INIT;
    size_t n;
    char *s;

    (void)state;
    s = ju_buf_detach(&b, &n);
    assert_string_equal(s, "");
    assert_int_equal(n, 0);
    free(s);
    ju_buf_adds(&b, "abc");
    s = ju_buf_detach(&b, &n);
    assert_string_equal(s, "abc");
    assert_int_equal(n, 3);
    assert_null(b.data);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append_and_format),
        cmocka_unit_test(test_buf_cap_is_enforced),
        cmocka_unit_test(test_buf_detach),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
