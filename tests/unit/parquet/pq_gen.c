/*
 * pq_gen.c: builds the deterministic all-types test batches (see
 * pq_gen.h): extremes (INT64 min/max, 38-digit decimals, pre-1970
 * timestamps, NaN/Infinity, empty and non-ASCII strings, empty lists,
 * lists with null elements, maps) in three null patterns.
 */
#include "pq_gen.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void add(struct lake_schema *s, const char *name, enum lake_type t,
                bool nullable)
{
    lake_schema_add_simple(s, name, t, nullable);
}

static void add_dec(struct lake_schema *s, const char *name, int p, int sc)
{
    struct lake_field f;

    lake_field_init_decimal(&f, name, p, sc, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
}

void pq_gen_schema(struct lake_schema *s)
{
    struct lake_field f;
    struct lake_field c;
    struct lake_field c2;
    struct lake_field e;
    struct lake_field k;
    struct lake_field t;

    lake_schema_init(s);
    add(s, "c_bool", LAKE_TYPE_BOOLEAN, true);
    add(s, "c_byte", LAKE_TYPE_BYTE, true);
    add(s, "c_short", LAKE_TYPE_SHORT, true);
    add(s, "c_int", LAKE_TYPE_INTEGER, true);
    add(s, "c_long", LAKE_TYPE_LONG, true);
    add(s, "c_float", LAKE_TYPE_FLOAT, true);
    add(s, "c_double", LAKE_TYPE_DOUBLE, true);
    add(s, "c_string", LAKE_TYPE_STRING, true);
    add(s, "c_binary", LAKE_TYPE_BINARY, true);
    add(s, "c_date", LAKE_TYPE_DATE, true);
    add(s, "c_ts", LAKE_TYPE_TIMESTAMP, true);
    add_dec(s, "c_dec5", 5, 2);
    add_dec(s, "c_dec18", 18, 6);
    add_dec(s, "c_dec38", 38, 10);
    add(s, "c_ts_ntz", LAKE_TYPE_TIMESTAMP_NTZ, true);
    add(s, "r_long", LAKE_TYPE_LONG, false);
    add(s, "r_string", LAKE_TYPE_STRING, false);

    /* s: struct<a: int, b: string, t: struct<x: double>> */
    lake_field_init(&f, "s", LAKE_TYPE_STRUCT, true);
    lake_field_init(&c, "a", LAKE_TYPE_INTEGER, true);
    lake_field_add_child(&f, &c);
    lake_field_release(&c);
    lake_field_init(&c, "b", LAKE_TYPE_STRING, true);
    lake_field_add_child(&f, &c);
    lake_field_release(&c);
    lake_field_init(&t, "t", LAKE_TYPE_STRUCT, true);
    lake_field_init(&c, "x", LAKE_TYPE_DOUBLE, true);
    lake_field_add_child(&t, &c);
    lake_field_release(&c);
    lake_field_add_child(&f, &t);
    lake_field_release(&t);
    lake_schema_add(s, &f);
    lake_field_release(&f);

    /* arr: array<int> (nullable elements) */
    lake_field_init(&e, "element", LAKE_TYPE_INTEGER, true);
    lake_field_init_array(&f, "arr", &e, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
    lake_field_release(&e);

    /* arr_s: array<struct<v: long, w: string>> */
    lake_field_init(&e, "element", LAKE_TYPE_STRUCT, true);
    lake_field_init(&c, "v", LAKE_TYPE_LONG, true);
    lake_field_add_child(&e, &c);
    lake_field_release(&c);
    lake_field_init(&c, "w", LAKE_TYPE_STRING, true);
    lake_field_add_child(&e, &c);
    lake_field_release(&c);
    lake_field_init_array(&f, "arr_s", &e, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
    lake_field_release(&e);

    /* m: map<string, long> */
    lake_field_init(&k, "key", LAKE_TYPE_STRING, false);
    lake_field_init(&c, "value", LAKE_TYPE_LONG, true);
    lake_field_init_map(&f, "m", &k, &c, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
    lake_field_release(&k);
    lake_field_release(&c);

    /* arr_arr: array<array<int>> */
    lake_field_init(&c2, "element", LAKE_TYPE_INTEGER, true);
    lake_field_init_array(&e, "element", &c2, true);
    lake_field_init_array(&f, "arr_arr", &e, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
    lake_field_release(&e);
    lake_field_release(&c2);

    /* arr_dec: array<decimal(20,4)> (nested FIXED_LEN_BYTE_ARRAY) */
    lake_field_init_decimal(&c2, "element", 20, 4, true);
    lake_field_init_array(&f, "arr_dec", &c2, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
    lake_field_release(&c2);

    /* m_arr: map<int, array<string>> */
    lake_field_init(&k, "key", LAKE_TYPE_INTEGER, false);
    lake_field_init(&c2, "element", LAKE_TYPE_STRING, true);
    lake_field_init_array(&c, "value", &c2, true);
    lake_field_init_map(&f, "m_arr", &k, &c, true);
    lake_schema_add(s, &f);
    lake_field_release(&f);
    lake_field_release(&k);
    lake_field_release(&c);
    lake_field_release(&c2);
}

int pq_gen_parse_nulls(const char *s)
{
    if (strcmp(s, "none") == 0)
        return PQ_GEN_NONE;
    if (strcmp(s, "some") == 0)
        return PQ_GEN_SOME;
    if (strcmp(s, "all") == 0)
        return PQ_GEN_ALL;
    return -1;
}

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Is field j of row i null? */
static bool is_null(enum pq_gen_nulls nulls, size_t i, size_t j)
{
    if (nulls == PQ_GEN_NONE)
        return false;
    if (nulls == PQ_GEN_ALL)
        return true;
    return mix(i * 131 + j) % 4 == 0;
}

static const char *const words[] = {
    "",
    "a",
    "kafka",
    "Zürich",
    "日本語",
    "with \"quotes\" and \\",
    "tab\there",
    "a much longer string value that goes past thirty-two characters",
};

static void str_val(struct lake_column *c, size_t i, uint64_t r)
{
    char tmp[96];

    if (r % 3 == 0) {
        const char *w = words[(r >> 8) % (sizeof(words) / sizeof(words[0]))];
        lake_batch_append_str(c, w, strlen(w));
    } else {
        int n = snprintf(tmp, sizeof(tmp), "v%zu-%llu", i,
                         (unsigned long long)(r % 1000));
        lake_batch_append_str(c, tmp, (size_t)n);
    }
}

struct lake_batch *pq_gen_batch(size_t first, size_t n, enum pq_gen_nulls nulls)
{
    struct lake_schema s;
    struct lake_batch *b;
    size_t i;

    pq_gen_schema(&s);
    b = lake_batch_new(&s);
    lake_schema_release(&s);
    for (i = first; i < first + n; i++) {
        uint64_t r = mix(i);
        size_t j = 0;
        struct lake_column *c = b->columns;
        size_t k;

#define NUL(jj) is_null(nulls, i, (jj))
        /* c_bool */
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_bool(&c[j], (uint8_t)(r & 1));
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i8(&c[j], i % 7 == 0   ? INT8_MIN
                                        : i % 7 == 1 ? INT8_MAX
                                                     : (int8_t)(r >> 3));
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i16(&c[j],
                                  i % 5 == 0 ? INT16_MIN : (int16_t)(r >> 5));
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i32(&c[j], i % 11 == 0   ? INT32_MAX
                                         : i % 11 == 1 ? INT32_MIN
                                                       : (int32_t)(i % 17) - 8);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i64(&c[j], i % 13 == 0   ? INT64_MIN
                                         : i % 13 == 1 ? INT64_MAX
                                                       : (int64_t)r >> 7);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_f32(
                &c[j], i % 9 == 0 ? -0.5f : (float)(int32_t)(r >> 40) / 7.0f);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_f64(&c[j], i % 50 == 7   ? NAN
                                         : i % 50 == 8 ? INFINITY
                                         : i % 50 == 9
                                             ? -INFINITY
                                             : (double)(int64_t)r / 3e9);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            str_val(&c[j], i, r);
        j++;
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            uint8_t bin[8];
            memcpy(bin, &r, 8);
            lake_batch_append_str(&c[j], bin, i % 8);
        }
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i32(&c[j], (int32_t)(r % 73000) - 25000);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i64(&c[j], (int64_t)(r % 4000000000000000ULL) -
                                             1000000000000000LL);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i64(
                &c[j], i % 4 == 0 ? -99999 : (int64_t)(r % 199999) - 99999);
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i64(&c[j], i % 4 == 0 ? 999999999999999999LL
                                                    : (int64_t)r >> 10);
        j++;
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            lake_i128 big = 1;
            for (k = 0; k < 38; k++)
                big *= 10;
            big -= 1; /* 38 nines */
            lake_batch_append_i128(&c[j], i % 4 == 0   ? big
                                          : i % 4 == 1 ? -big
                                                       : (lake_i128)(int64_t)r *
                                                             1000003);
        }
        j++;
        if (NUL(j))
            lake_batch_append_null(&c[j]);
        else
            lake_batch_append_i64(&c[j], (int64_t)(r >> 20) - 2000000000000LL);
        j++;
        /* required columns are never null */
        lake_batch_append_i64(&c[j], (int64_t)i);
        j++;
        str_val(&c[j], i, r >> 1);
        j++;
        /* s */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            struct lake_column *sc = c[j].children;
            lake_batch_append_struct(&c[j]);
            if (NUL(j + 100))
                lake_batch_append_null(&sc[0]);
            else
                lake_batch_append_i32(&sc[0], (int32_t)i);
            if (NUL(j + 101))
                lake_batch_append_null(&sc[1]);
            else
                str_val(&sc[1], i, r >> 2);
            if (NUL(j + 102)) {
                lake_batch_append_null(&sc[2]);
            } else {
                lake_batch_append_struct(&sc[2]);
                if (NUL(j + 103))
                    lake_batch_append_null(&sc[2].children[0]);
                else
                    lake_batch_append_f64(&sc[2].children[0], (double)i / 4);
            }
        }
        j++;
        /* arr: 0..4 elements, some null */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            size_t len = (r >> 12) % 5;
            for (k = 0; k < len; k++) {
                if (NUL(j + 200 + k))
                    lake_batch_append_null(&c[j].children[0]);
                else
                    lake_batch_append_i32(&c[j].children[0],
                                          (int32_t)(i * 10 + k));
            }
            lake_batch_end_list(&c[j]);
        }
        j++;
        /* arr_s */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            size_t len = (r >> 16) % 3;
            struct lake_column *el = &c[j].children[0];
            for (k = 0; k < len; k++) {
                if (NUL(j + 300 + k)) {
                    lake_batch_append_null(el);
                    continue;
                }
                lake_batch_append_struct(el);
                lake_batch_append_i64(&el->children[0], (int64_t)(i + k));
                if (NUL(j + 310 + k))
                    lake_batch_append_null(&el->children[1]);
                else
                    str_val(&el->children[1], i + k, r >> k);
            }
            lake_batch_end_list(&c[j]);
        }
        j++;
        /* m: distinct keys */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            size_t len = (r >> 20) % 4;
            for (k = 0; k < len; k++) {
                char key[16];
                int kn = snprintf(key, sizeof(key), "k%zu", k);
                lake_batch_append_str(&c[j].children[0], key, (size_t)kn);
                if (NUL(j + 400 + k))
                    lake_batch_append_null(&c[j].children[1]);
                else
                    lake_batch_append_i64(&c[j].children[1], (int64_t)(i * k));
            }
            lake_batch_end_list(&c[j]);
        }
        j++;
        /* arr_arr */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            size_t len = (r >> 24) % 3;
            struct lake_column *inner = &c[j].children[0];
            for (k = 0; k < len; k++) {
                size_t q;
                size_t ilen = (r >> (26 + k)) % 3;
                if (NUL(j + 500 + k)) {
                    lake_batch_append_null(inner);
                    continue;
                }
                for (q = 0; q < ilen; q++)
                    lake_batch_append_i32(&inner->children[0],
                                          (int32_t)(k * 100 + q));
                lake_batch_end_list(inner);
            }
            lake_batch_end_list(&c[j]);
        }
        j++;
        /* arr_dec */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            size_t len = (r >> 33) % 3;
            for (k = 0; k < len; k++) {
                if (NUL(j + 700 + k))
                    lake_batch_append_null(&c[j].children[0]);
                else
                    lake_batch_append_i128(&c[j].children[0],
                                           (lake_i128)(int64_t)(r >> k) *
                                               (k ? -1 : 1));
            }
            lake_batch_end_list(&c[j]);
        }
        j++;
        /* m_arr */
        if (NUL(j)) {
            lake_batch_append_null(&c[j]);
        } else {
            size_t len = (r >> 30) % 3;
            struct lake_column *val = &c[j].children[1];
            for (k = 0; k < len; k++) {
                lake_batch_append_i32(&c[j].children[0], (int32_t)k);
                if (NUL(j + 600 + k)) {
                    lake_batch_append_null(val);
                } else {
                    lake_batch_append_str(&val->children[0], "x", 1);
                    if (NUL(j + 610 + k))
                        lake_batch_append_null(&val->children[0]);
                    else
                        str_val(&val->children[0], i, r >> 3);
                    lake_batch_end_list(val);
                }
            }
            lake_batch_end_list(&c[j]);
        }
        j++;
#undef NUL
    }
    if (lake_batch_seal(b) != 0) {
        lake_batch_free(b);
        return NULL;
    }
    return b;
}
