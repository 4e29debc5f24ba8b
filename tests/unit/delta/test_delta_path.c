/*
 * test_delta_path.c: partition directory escaping (Spark's Hive rule), log
 * path URI encoding/decoding, and the text parsers for partition values
 * and stats (timestamps with zones, dates, exact decimals).
 */
#include "testsupport.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/delta.h"

static void test_delta_path_hive_escape(void **state)
{
    char *s;

    (void)state;
    s = lake_delta_hive_escape("A/A");
    assert_string_equal(s, "A%2FA");
    free(s);
    s = lake_delta_hive_escape("2021-09-08 11:11:11");
    assert_string_equal(s, "2021-09-08 11%3A11%3A11");
    free(s);
    s = lake_delta_hive_escape("a=b#c%d\"e'f*g?h\\i{j[k]l^m");
    assert_string_equal(s, "a%3Db%23c%25d%22e%27f%2Ag%3Fh%5Ci%7Bj%5Bk%5Dl%5Em");
    free(s);
    s = lake_delta_hive_escape(NULL);
    assert_string_equal(s, "__HIVE_DEFAULT_PARTITION__");
    free(s);
    s = lake_delta_hive_escape("");
    assert_string_equal(s, "__HIVE_DEFAULT_PARTITION__");
    free(s);
}

static void test_delta_path_uri_roundtrip(void **state)
{
    char *e, *d;

    (void)state;
    /* the golden double encoding: directory x=A%2FA -> log x=A%252FA */
    e = lake_delta_uri_encode("x=A%2FA/part-0.parquet");
    assert_string_equal(e, "x=A%252FA/part-0.parquet");
    d = lake_delta_uri_decode(e);
    assert_string_equal(d, "x=A%2FA/part-0.parquet");
    free(e);
    free(d);
    e = lake_delta_uri_encode("as_timestamp=2021-09-08 11%3A11%3A11/f");
    assert_string_equal(e, "as_timestamp=2021-09-08%2011%253A11%253A11/f");
    free(e);
    /* decoding is exactly once and tolerates stray '%' */
    d = lake_delta_uri_decode("a%2520b%zz%");
    assert_string_equal(d, "a%20b%zz%");
    free(d);
}

static void test_delta_path_timestamps(void **state)
{
    int64_t us;
    int32_t days;

    (void)state;
    assert_int_equal(lake_delta_parse_timestamp("1970-01-01 00:00:00", &us), 0);
    assert_true(us == 0);
    assert_int_equal(lake_delta_parse_timestamp("2020-01-01 08:09:10.001", &us),
                     0);
    assert_true(us == 1577866150001000LL);
    /* Spark stats carry the session offset */
    assert_int_equal(
        lake_delta_parse_timestamp("2000-01-01T00:00:00.000-08:00", &us), 0);
    assert_true(us == 946713600000000LL);
    assert_int_equal(
        lake_delta_parse_timestamp("1969-12-31T23:59:59.999999Z", &us), 0);
    assert_true(us == -1);
    assert_int_equal(lake_delta_parse_timestamp("2020-13-01 00:00:00", &us),
                     JC_EPARSE);
    assert_int_equal(lake_delta_parse_timestamp("yesterday", &us), JC_EPARSE);
    assert_int_equal(lake_delta_parse_date("2021-09-08", &days), 0);
    assert_int_equal(days, 18878);
    assert_int_equal(lake_delta_parse_date("1969-12-31", &days), 0);
    assert_int_equal(days, -1);
    assert_int_equal(lake_delta_parse_date("2021-9-8", &days), JC_EPARSE);
}

static void test_delta_path_decimals(void **state)
{
    lake_i128 v;

    (void)state;
    assert_int_equal(lake_delta_parse_decimal("-2342342.23423", 5, &v), 0);
    assert_true(v == -234234223423LL);
    assert_int_equal(lake_delta_parse_decimal("0E-10", 10, &v), 0);
    assert_true(v == 0);
    assert_int_equal(lake_delta_parse_decimal("234", 5, &v), 0);
    assert_true(v == 23400000LL);
    /* exact beyond int64 / double */
    assert_int_equal(lake_delta_parse_decimal("-9999999999.9999999999", 10, &v),
                     0);
    assert_true(v == -(((lake_i128)99999999999LL) * 1000000000 + 999999999));
    assert_int_equal(lake_delta_parse_decimal("1.5e2", 1, &v), 0);
    assert_true(v == 1500);
    assert_int_equal(lake_delta_parse_decimal("12a", 0, &v), JC_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta_path_hive_escape),
        cmocka_unit_test(test_delta_path_uri_roundtrip),
        cmocka_unit_test(test_delta_path_timestamps),
        cmocka_unit_test(test_delta_path_decimals),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
