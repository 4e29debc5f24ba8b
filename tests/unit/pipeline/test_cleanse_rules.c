/*
 * test_cleanse_rules.c: silver's row rules (accepted event types, value
 * cast, timestamp_unix) and the event_id dedup index.
 */
#include "testsupport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanse.h"

static void test_cleanse_rules_event_type(void **state)
{
    (void)state;
    assert_int_equal(cleanse_event_type("click", 5), 0);
    assert_int_equal(cleanse_event_type("purchase", 8), 1);
    assert_int_equal(cleanse_event_type("view", 4), 2);
    assert_int_equal(cleanse_event_type("Click", 5), -1);
    assert_int_equal(cleanse_event_type("clicks", 6), -1);
    assert_int_equal(cleanse_event_type("", 0), -1);
}

static void test_cleanse_rules_value(void **state)
{
    static const char *const bad[] = {"",      "abc",  "1,5",  "nan",
                                      "inf",   "0x10", " 1",   "1 ",
                                      "1e999", "--1",  "1.2.3"};
    double v;
    size_t i;

    (void)state;
    assert_int_equal(cleanse_parse_value("1984", 4, &v), 0);
    assert_true(v == 1984.0);
    assert_int_equal(cleanse_parse_value("-80462.9", 8, &v), 0);
    assert_true(v == -80462.9);
    assert_int_equal(cleanse_parse_value("1e3", 3, &v), 0);
    assert_true(v == 1000.0);
    /* Not NUL-terminated input: only n bytes are looked at. */
    assert_int_equal(cleanse_parse_value("12x", 2, &v), 0);
    assert_true(v == 12.0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cleanse_parse_value(bad[i], strlen(bad[i]), &v) == 0)
            fail_msg("accepted value '%s'", bad[i]);
}

/* The fast decimal path must give exactly what strtod gives. */
static void test_cleanse_rules_value_matches_strtod(void **state)
{
    static const char *const cases[] = {"0",
                                        "-0",
                                        "7",
                                        "1984",
                                        "-80462.9",
                                        "85793.1",
                                        "0.1",
                                        "0.3",
                                        "123456789012345",
                                        "1234567890123456",
                                        "99999.99999",
                                        "-0.000001",
                                        "1.",
                                        ".5",
                                        "00012.50",
                                        "9007199254740993",
                                        "3.141592653589793"};
    unsigned seed = 12345;
    char buf[40];
    double a, b;
    size_t i;
    int k;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cleanse_parse_value(cases[i], strlen(cases[i]), &a))
            fail_msg("rejected '%s'", cases[i]);
        b = strtod(cases[i], NULL);
        if (a != b)
            fail_msg("'%s': %.17g != strtod %.17g", cases[i], a, b);
    }
    for (k = 0; k < 20000; k++) {
        int n;
        seed = seed * 1103515245u + 12345u;
        n = snprintf(buf, sizeof(buf), "%s%u.%0*u", (seed >> 3) & 1 ? "-" : "",
                     seed % 100000u, (int)(seed >> 28) % 7 + 1,
                     (seed / 7u) % 1000000u);
        assert_int_equal(cleanse_parse_value(buf, (size_t)n, &a), 0);
        b = strtod(buf, NULL);
        if (a != b)
            fail_msg("'%s': %.17g != strtod %.17g", buf, a, b);
    }
}

static void test_cleanse_rules_unix_seconds(void **state)
{
    (void)state;
    assert_int_equal(cleanse_unix_seconds(1743529077999999LL), 1743529077);
    assert_int_equal(cleanse_unix_seconds(0), 0);
    assert_int_equal(cleanse_unix_seconds(-1), -1);
    assert_int_equal(cleanse_unix_seconds(-1000000), -1);
    assert_int_equal(cleanse_unix_seconds(-1000001), -2);
}

static void test_cleanse_rules_index(void **state)
{
    struct lake_field f;
    struct lake_column keys, more;
    const struct lake_column *k[2] = {&keys, &more};
    struct cleanse_index ix;
    char buf[32];
    int i, n;

    (void)state;
    lake_field_init(&f, "event_id", LAKE_TYPE_STRING, true);
    lake_column_init(&keys, &f);
    lake_column_init(&more, &f);
    cleanse_index_init(&ix, 0);
    for (i = 0; i < 20000; i++) {
        n = snprintf(buf, sizeof(buf), "id-%d", i);
        assert_int_equal(cleanse_index_get(&ix, k, buf, (size_t)n), -1);
        lake_batch_append_str(&keys, buf, (size_t)n);
        cleanse_index_put(&ix, k, buf, (size_t)n, i);
    }
    assert_int_equal(ix.n, 20000);
    for (i = 0; i < 20000; i += 7) {
        n = snprintf(buf, sizeof(buf), "id-%d", i);
        assert_int_equal(cleanse_index_get(&ix, k, buf, (size_t)n), i);
    }
    /* Overwrite keeps one entry per key. */
    lake_batch_append_str(&keys, "id-5", 4);
    cleanse_index_put(&ix, k, "id-5", 4, 20000);
    assert_int_equal(ix.n, 20000);
    assert_int_equal(cleanse_index_get(&ix, k, "id-5", 4), 20000);
    assert_int_equal(cleanse_index_get(&ix, k, "", 0), -1);
    /* Rows of a second key column: CLEANSE_ROW(1, i). */
    lake_batch_append_str(&more, "other", 5);
    lake_batch_append_str(&more, "id-7", 4);
    cleanse_index_put(&ix, k, "other", 5, CLEANSE_ROW(1, 0));
    cleanse_index_put(&ix, k, "id-7", 4, CLEANSE_ROW(1, 1));
    assert_int_equal(ix.n, 20001);
    assert_int_equal(cleanse_index_get(&ix, k, "other", 5), CLEANSE_ROW(1, 0));
    assert_int_equal(cleanse_index_get(&ix, k, "id-7", 4), CLEANSE_ROW(1, 1));
    assert_int_equal(cleanse_index_get(&ix, k, "id-8", 4), 8);
    cleanse_index_release(&ix);
    lake_column_release(&keys);
    lake_column_release(&more);
    lake_field_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cleanse_rules_event_type),
        cmocka_unit_test(test_cleanse_rules_value),
        cmocka_unit_test(test_cleanse_rules_value_matches_strtod),
        cmocka_unit_test(test_cleanse_rules_unix_seconds),
        cmocka_unit_test(test_cleanse_rules_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
