/* test_fmt.c: ju_fmt_double prints the shortest text that reads back
 * exactly, and no exponent for ordinary magnitudes. */
#include "testsupport.h"

#include <math.h>
#include <stdlib.h>

#include "util/fmt.h"

static void check(double v, bool single, const char *want)
{
    char b[64];

    ju_fmt_double(b, sizeof(b), v, single);
    assert_string_equal(b, want);
}

static void test_fmt_double_no_exponent_for_ordinary_values(void **state)
{
    (void)state;
    check(510, false, "510");
    check(340, false, "340");
    check(-1984, false, "-1984");
    check(85793.1, false, "85793.1");
    check(0.1, false, "0.1");
    check(1e15, false, "1000000000000000");
    check(0.5f, true, "0.5");
}

static void test_fmt_double_exponent_and_specials(void **state)
{
    (void)state;
    check(1e20, false, "1e+20");
    check(1e-7, false, "1e-07");
    check(NAN, false, "NaN");
    check(INFINITY, false, "Infinity");
    check(-INFINITY, false, "-Infinity");
}

static void test_fmt_double_round_trips(void **state)
{
    double vals[] = {1.0 / 3, 2.0 / 3, 123456789.123456789, 5e-324,
                     1.7976931348623157e308, 0.1 + 0.2, -2.5e-5};
    char b[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        ju_fmt_double(b, sizeof(b), vals[i], false);
        assert_true(strtod(b, NULL) == vals[i]);
    }
    ju_fmt_double(b, sizeof(b), (double)3.1f, true);
    assert_string_equal(b, "3.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fmt_double_no_exponent_for_ordinary_values),
        cmocka_unit_test(test_fmt_double_exponent_and_specials),
        cmocka_unit_test(test_fmt_double_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
