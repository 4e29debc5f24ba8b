/*
 * test_column.c: unit tests of lake/column.h: schema construction and
 * comparison, appends of every storage type, nulls (incl. structs), reset
 * for reuse, seal length checks, and the golden JSON value encoding.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "testsupport.h"

static char *row(const struct lake_batch *b, size_t r)
{
    struct ju_buf s = JU_BUF_INIT;

    assert_int_equal(lake_batch_format_row_json(&s, b, r), 0);
    return ju_buf_detach(&s, NULL);
}

static void test_column_schema_equal_and_format(void **state)
{
    struct lake_schema a;
    struct lake_schema b;
    struct lake_field e;
    struct lake_field arr;
    struct ju_buf s = JU_BUF_INIT;

    (void)state;
    lake_schema_init(&a);
    lake_schema_add_simple(&a, "id", LAKE_TYPE_LONG, false);
    lake_field_init(&e, "element", LAKE_TYPE_STRING, true);
    lake_field_init_array(&arr, "tags", &e, true);
    lake_schema_add(&a, &arr);
    lake_schema_copy(&b, &a);
    assert_true(lake_schema_equal(&a, &b));
    assert_int_equal(lake_schema_find(&a, "tags"), 1);
    assert_int_equal(lake_schema_find(&a, "x"), -1);
    b.fields[1].children[0].type = LAKE_TYPE_BINARY;
    assert_false(lake_schema_equal(&a, &b));
    assert_int_equal(lake_schema_format(&s, &a), 0);
    assert_string_equal(ju_buf_str(&s),
                        "id: long not null, tags: array<string>");
    ju_buf_release(&s);
    lake_field_release(&e);
    lake_field_release(&arr);
    lake_schema_release(&a);
    lake_schema_release(&b);
}

static void test_column_append_and_json(void **state)
{
    struct lake_schema s;
    struct lake_batch *b;
    struct lake_field f;
    char *r;

    (void)state;
    lake_schema_init(&s);
    lake_schema_add_simple(&s, "b", LAKE_TYPE_BOOLEAN, true);
    lake_schema_add_simple(&s, "i", LAKE_TYPE_INTEGER, true);
    lake_schema_add_simple(&s, "f", LAKE_TYPE_FLOAT, true);
    lake_schema_add_simple(&s, "d", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(&s, "s", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(&s, "bin", LAKE_TYPE_BINARY, true);
    lake_schema_add_simple(&s, "dt", LAKE_TYPE_DATE, true);
    lake_schema_add_simple(&s, "ts", LAKE_TYPE_TIMESTAMP, true);
    lake_field_init_decimal(&f, "dec", 20, 10, true);
    lake_schema_add(&s, &f);
    lake_field_release(&f);
    b = lake_batch_new(&s);
    lake_batch_append_bool(&b->columns[0], 1);
    lake_batch_append_i32(&b->columns[1], -7);
    lake_batch_append_f32(&b->columns[2], 0.1f);
    lake_batch_append_f64(&b->columns[3], NAN);
    lake_batch_append_str(&b->columns[4], "a\"b", 3);
    lake_batch_append_str(&b->columns[5], "\x01\xab", 2);
    lake_batch_append_i32(&b->columns[6], -1);
    lake_batch_append_i64(&b->columns[7], -1);
    lake_batch_append_i128(&b->columns[8], -5);
    lake_batch_append_nulls(&b->columns[0], 1);
    lake_batch_append_null(&b->columns[1]);
    lake_batch_append_null(&b->columns[2]);
    lake_batch_append_f64(&b->columns[3], 1e300);
    lake_batch_append_null(&b->columns[4]);
    lake_batch_append_str(&b->columns[5], "", 0);
    lake_batch_append_i32(&b->columns[6], 18000);
    lake_batch_append_i64(&b->columns[7], 1700000000123456LL);
    lake_batch_append_i128(&b->columns[8], 0);
    assert_int_equal(lake_batch_seal(b), 0);
    assert_int_equal(b->num_rows, 2);
    r = row(b, 0);
    assert_string_equal(r, "{\"b\":true,\"i\":-7,\"f\":0.1,\"d\":\"NaN\","
                           "\"s\":\"a\\\"b\",\"bin\":\"01ab\",\"dt\":"
                           "\"1969-12-31\",\"ts\":\"1969-12-31T23:59:59."
                           "999999Z\",\"dec\":\"-0.0000000005\"}");
    free(r);
    r = row(b, 1);
    assert_string_equal(r, "{\"b\":null,\"i\":null,\"f\":null,\"d\":1e+300,"
                           "\"s\":null,\"bin\":\"\",\"dt\":\"2019-04-14\","
                           "\"ts\":\"2023-11-14T22:13:20.123456Z\","
                           "\"dec\":\"0.0000000000\"}");
    free(r);
    assert_int_equal(b->columns[1].null_count, 1);
    assert_true(lake_column_is_null(&b->columns[1], 1));
    assert_int_equal(lake_column_get_i64(&b->columns[1], 0), -7);

    /* reset keeps the schema and accepts new rows */
    lake_batch_reset(b);
    assert_int_equal(b->num_rows, 0);
    lake_batch_append_i32(&b->columns[1], 3);
    assert_int_equal(b->columns[1].length, 1);
    assert_false(lake_column_is_null(&b->columns[1], 0));
    /* seal notices unequal columns */
    assert_int_equal(lake_batch_seal(b), JC_EINVAL);
    assert_non_null(strstr(jc_err_last(), "'i'"));
    lake_batch_free(b);
    lake_schema_release(&s);
}

static void test_column_nested_struct_list_map(void **state)
{
    struct lake_schema s;
    struct lake_field st;
    struct lake_field c;
    struct lake_field k;
    struct lake_field v;
    struct lake_field m;
    struct lake_batch *b;
    struct lake_column *sc;
    struct lake_column *mc;
    char *r;

    (void)state;
    lake_schema_init(&s);
    lake_field_init(&st, "s", LAKE_TYPE_STRUCT, true);
    lake_field_init(&c, "x", LAKE_TYPE_LONG, true);
    lake_field_add_child(&st, &c);
    lake_schema_add(&s, &st);
    lake_field_init(&k, "key", LAKE_TYPE_STRING, false);
    lake_field_init(&v, "value", LAKE_TYPE_INTEGER, true);
    lake_field_init_map(&m, "m", &k, &v, true);
    lake_schema_add(&s, &m);
    b = lake_batch_new(&s);
    sc = &b->columns[0];
    mc = &b->columns[1];
    lake_batch_append_struct(sc);
    lake_batch_append_i64(&sc->children[0], 5);
    lake_batch_append_null(sc); /* appends to the child as well */
    lake_batch_append_str(&mc->children[0], "z", 1);
    lake_batch_append_i32(&mc->children[1], 1);
    lake_batch_append_str(&mc->children[0], "a", 1);
    lake_batch_append_null(&mc->children[1]);
    lake_batch_end_list(mc);
    lake_batch_append_null(mc);
    assert_int_equal(lake_batch_seal(b), 0);
    r = row(b, 0);
    /* map entries sorted by the key's JSON text */
    assert_string_equal(r, "{\"s\":{\"x\":5},\"m\":[[\"a\",null],[\"z\",1]]}");
    free(r);
    r = row(b, 1);
    assert_string_equal(r, "{\"s\":null,\"m\":null}");
    free(r);
    assert_int_equal(sc->children[0].length, 2);
    lake_batch_free(b);
    lake_field_release(&st);
    lake_field_release(&c);
    lake_field_release(&k);
    lake_field_release(&v);
    lake_field_release(&m);
    lake_schema_release(&s);
}

static void test_column_format_helpers(void **state)
{
    char tmp[64];

    (void)state;
    lake_format_date(tmp, sizeof(tmp), 0);
    assert_string_equal(tmp, "1970-01-01");
    lake_format_date(tmp, sizeof(tmp), -719162);
    assert_string_equal(tmp, "0001-01-01");
    lake_format_timestamp(tmp, sizeof(tmp), -1000000);
    assert_string_equal(tmp, "1969-12-31T23:59:59.000000Z");
    lake_format_decimal(tmp, sizeof(tmp), -12345, 2);
    assert_string_equal(tmp, "-123.45");
    lake_format_decimal(tmp, sizeof(tmp), 5, 3);
    assert_string_equal(tmp, "0.005");
    assert_int_equal(lake_days_from_civil(2000, 3, 1), 11017);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_column_schema_equal_and_format),
        cmocka_unit_test(test_column_append_and_json),
        cmocka_unit_test(test_column_nested_struct_list_map),
        cmocka_unit_test(test_column_format_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
