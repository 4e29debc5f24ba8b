/*
 * test_encode.c: unit tests of the Parquet building blocks: Thrift compact
 * varints, zigzag, field headers and skipping; the RLE/bit-packed hybrid
 * both ways; DELTA_BINARY_PACKED decoding; codecs round trips.
 */
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/thrift.h"
#include "parquet_int.h"
#include "testsupport.h"

static void test_encode_thrift_roundtrip(void **state)
{
    struct ju_buf b = JU_BUF_INIT;
    struct lake_thrift_reader r;
    int16_t last = 0;
    int16_t id;
    int type;
    int64_t v64;
    int32_t v32;
    const uint8_t *p;
    size_t n;

    (void)state;
    lake_thrift_field_i64(&b, &last, 1, INT64_MIN);
    lake_thrift_field_i32(&b, &last, 40, -3); /* long delta: id follows */
    lake_thrift_field_string(&b, &last, 41, "hi");
    /* an unknown nested struct with a list that the reader must skip */
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_STRUCT, 42);
    {
        int16_t l2 = 0;
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_LIST, 1);
        lake_thrift_write_list(&b, LAKE_THRIFT_I32, 20);
        for (int i = 0; i < 20; i++)
            lake_thrift_write_i32(&b, i);
        lake_thrift_field_bool(&b, &l2, 2, true);
        lake_thrift_write_stop(&b);
    }
    lake_thrift_field_i32(&b, &last, 43, 7);
    lake_thrift_write_stop(&b);

    lake_thrift_reader_init(&r, b.data, b.len, 100);
    last = 0;
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(lake_thrift_read_i64(&r, &v64), 0);
    assert_true(v64 == INT64_MIN);
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(id, 40);
    assert_int_equal(lake_thrift_read_i32(&r, &v32), 0);
    assert_int_equal(v32, -3);
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(lake_thrift_read_binary(&r, &p, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(p, "hi", 2);
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(id, 42);
    assert_int_equal(lake_thrift_skip(&r, type), 0);
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(id, 43);
    assert_int_equal(lake_thrift_read_i32(&r, &v32), 0);
    assert_int_equal(v32, 7);
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(type, LAKE_THRIFT_STOP);

    /* truncation is reported with the byte offset */
    lake_thrift_reader_init(&r, b.data, 3, 100);
    last = 0;
    assert_int_equal(lake_thrift_field(&r, &last, &type, &id), 0);
    assert_int_equal(lake_thrift_read_i64(&r, &v64), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "thrift at byte 103"));
    ju_buf_release(&b);
}

static void test_encode_thrift_rejects_deep_nesting(void **state)
{
    uint8_t deep[400];
    struct lake_thrift_reader r;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(deep); i++)
        deep[i] = 0x1c; /* field 1, struct, forever */
    lake_thrift_reader_init(&r, deep, sizeof(deep), 0);
    assert_int_equal(lake_thrift_skip(&r, LAKE_THRIFT_STRUCT), JC_EPARSE);
}

static void rle_roundtrip(const uint32_t *v, size_t n, int width)
{
    struct ju_buf b = JU_BUF_INIT;
    uint32_t *out = calloc(n + 1, sizeof(uint32_t));
    uint8_t *v8 = calloc(n + 1, 1);
    uint8_t *o8 = calloc(n + 1, 1);
    size_t used;
    size_t i;

    lake_parquet__rle_encode_u32(&b, v, n, width);
    assert_int_equal(lake_parquet__rle_decode_u32((const uint8_t *)b.data,
                                                  b.len, width, out, n, 0,
                                                  &used),
                     0);
    assert_memory_equal(out, v, n * sizeof(uint32_t));
    if (width <= 8) {
        for (i = 0; i < n; i++)
            v8[i] = (uint8_t)v[i];
        ju_buf_reset(&b);
        lake_parquet__rle_encode_u8(&b, v8, n, width);
        assert_int_equal(lake_parquet__rle_decode_u8((const uint8_t *)b.data,
                                                     b.len, width, o8, n,
                                                     &used),
                         0);
        assert_memory_equal(o8, v8, n);
    }
    ju_buf_release(&b);
    free(out);
    free(v8);
    free(o8);
}

static void test_encode_rle_hybrid(void **state)
{
    uint32_t v[1000];
    size_t i;
    int w;

    (void)state;
    for (w = 1; w <= 20; w++) {
        uint32_t mask = (1u << w) - 1;
        for (i = 0; i < 1000; i++)
            v[i] = (uint32_t)((i * 2654435761u) >> 7) & mask;
        for (i = 100; i < 300; i++)
            v[i] = 1 & mask; /* a long run */
        rle_roundtrip(v, 1000, w);
        rle_roundtrip(v, 13, w);
        rle_roundtrip(v + 100, 200, w);
    }
}

static void test_encode_rle_rejects_bad_streams(void **state)
{
    uint32_t out[16];
    size_t used;
    const uint8_t zero_run[] = {0x00, 0x05};
    const uint8_t short_pack[] = {0x03, 0xff};
    const uint8_t big_index[] = {0x10, 0x09}; /* run of 8 x value 9 */

    (void)state;
    assert_int_equal(
        lake_parquet__rle_decode_u32(zero_run, 2, 3, out, 4, 0, &used),
        JC_EPARSE);
    assert_int_equal(
        lake_parquet__rle_decode_u32(short_pack, 2, 8, out, 8, 0, &used),
        JC_EPARSE);
    assert_int_equal(
        lake_parquet__rle_decode_u32(big_index, 2, 4, out, 8, 5, &used),
        JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "out of range"));
    assert_int_equal(
        lake_parquet__rle_decode_u32(big_index, 2, 4, out, 8, 10, &used), 0);
}

static void test_encode_delta_binary_packed(void **state)
{
    /* block 128, 4 miniblocks, 5 values, first 7; deltas 1 -> min 1,
     * width 0: values 7 8 9 10 11 */
    const uint8_t enc[] = {0x80, 0x01, 0x04, 0x05, 0x0e,
                           0x02, 0x00, 0x00, 0x00, 0x00};
    int64_t out[5];
    size_t used;
    size_t i;

    (void)state;
    assert_int_equal(
        lake_parquet__delta_decode(enc, sizeof(enc), out, 5, &used), 0);
    for (i = 0; i < 5; i++)
        assert_int_equal(out[i], 7 + (int64_t)i);
    assert_int_equal(lake_parquet__delta_decode(enc, 4, out, 5, &used),
                     JC_EPARSE);
    assert_int_equal(
        lake_parquet__delta_decode(enc, sizeof(enc), out, 4, &used), JC_EPARSE);
}

static void test_encode_codecs(void **state)
{
    static const int codecs[] = {LAKE_CODEC_UNCOMPRESSED, LAKE_CODEC_SNAPPY,
                                 LAKE_CODEC_GZIP, LAKE_CODEC_ZSTD};
    char in[5000];
    char out[5000];
    size_t i;
    size_t c;
    enum lake_codec parsed;

    (void)state;
    for (i = 0; i < sizeof(in); i++)
        in[i] = (char)("abcabcabd"[i % 9] + (i % 97 == 0));
    for (c = 0; c < 4; c++) {
        struct ju_buf b = JU_BUF_INIT;
        assert_int_equal(lake_codec__compress(codecs[c], 0, in, sizeof(in), &b),
                         0);
        assert_int_equal(
            lake_codec__decompress(codecs[c], b.data, b.len, out, sizeof(out)),
            0);
        assert_memory_equal(in, out, sizeof(in));
        /* wrong expected size or corrupt data is an error, not a crash */
        if (codecs[c] != LAKE_CODEC_UNCOMPRESSED) {
            assert_true(lake_codec__decompress(codecs[c], b.data, b.len, out,
                                               sizeof(out) - 1) < 0);
            b.data[b.len / 2] ^= 0x55;
            (void)lake_codec__decompress(codecs[c], b.data, b.len, out,
                                         sizeof(out));
        }
        ju_buf_release(&b);
    }
    assert_int_equal(lake_codec_parse(&parsed, "ZSTD"), 0);
    assert_int_equal(parsed, LAKE_CODEC_ZSTD);
    assert_int_equal(lake_codec_parse(&parsed, "lzo"), JC_EINVAL);
    assert_string_equal(lake_codec_name(LAKE_CODEC_SNAPPY), "snappy");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_thrift_roundtrip),
        cmocka_unit_test(test_encode_thrift_rejects_deep_nesting),
        cmocka_unit_test(test_encode_rle_hybrid),
        cmocka_unit_test(test_encode_rle_rejects_bad_streams),
        cmocka_unit_test(test_encode_delta_binary_packed),
        cmocka_unit_test(test_encode_codecs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
