/*
 * parquet_encode.c: Parquet's integer encodings: the RLE/bit-packed hybrid
 * (levels, dictionary indices) in both directions and DELTA_BINARY_PACKED
 * decoding. Decoders never read outside [p, p + len) and fail with
 * JC_EPARSE on short or inconsistent streams.
 */
#include "parquet_int.h"

#include <string.h>

#include "jobctl/err.h"

int lake_parquet__bit_width(uint64_t max)
{
    int w = 0;

    while (max) {
        w++;
        max >>= 1;
    }
    return w;
}

static void put_uleb(struct ju_buf *b, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;

    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    if (ju_buf_add(b, tmp, n))
        JC_BUG("rle buffer over cap");
}

static void put_rle_run(struct ju_buf *b, uint32_t v, size_t count, int width)
{
    uint8_t tmp[4];
    int nb = (width + 7) / 8;
    int i;

    put_uleb(b, (uint64_t)count << 1);
    for (i = 0; i < nb; i++)
        tmp[i] = (uint8_t)(v >> (8 * i));
    if (nb && ju_buf_add(b, tmp, (size_t)nb))
        JC_BUG("rle buffer over cap");
}

/* Bit-pack n values (n multiple of 8 except maybe the tail, padded). */
#define DEFINE_PACK(name, T)                                                   \
    static void name(struct ju_buf *b, const T *v, size_t n, int width)        \
    {                                                                          \
        size_t groups = (n + 7) / 8;                                           \
        size_t nbytes = groups * (size_t)width;                                \
        uint8_t *out;                                                          \
        uint64_t acc = 0;                                                      \
        int bits = 0;                                                          \
        size_t i;                                                              \
        put_uleb(b, ((uint64_t)groups << 1) | 1);                              \
        if (ju_buf_grow(b, nbytes))                                            \
            JC_BUG("rle buffer over cap");                                     \
        out = (uint8_t *)b->data + b->len;                                     \
        for (i = 0; i < groups * 8; i++) {                                     \
            uint64_t x = i < n ? (uint64_t)v[i] : 0;                           \
            acc |= x << bits;                                                  \
            bits += width;                                                     \
            while (bits >= 8) {                                                \
                *out++ = (uint8_t)acc;                                         \
                acc >>= 8;                                                     \
                bits -= 8;                                                     \
            }                                                                  \
        }                                                                      \
        b->len += nbytes;                                                      \
        b->data[b->len] = '\0';                                                \
    }

DEFINE_PACK(pack_u8, uint8_t)
DEFINE_PACK(pack_u32, uint32_t)

/*
 * Runs of >= 8 equal values (starting at a multiple of 8 within the current
 * literal stretch) become RLE runs; everything else is bit-packed.
 */
#define DEFINE_RLE_ENCODE(name, T, pack)                                       \
    void name(struct ju_buf *b, const T *v, size_t n, int width)               \
    {                                                                          \
        size_t i = 0;                                                          \
        size_t lit = 0;                                                        \
        while (i < n) {                                                        \
            size_t run = 1;                                                    \
            while (i + run < n && v[i + run] == v[i])                          \
                run++;                                                         \
            if (run >= 8) {                                                    \
                if (i > lit)                                                   \
                    pack(b, v + lit, i - lit, width);                          \
                put_rle_run(b, v[i], run, width);                              \
                i += run;                                                      \
                lit = i;                                                       \
            } else {                                                           \
                size_t step = 8;                                               \
                if (step > n - i)                                              \
                    step = n - i;                                              \
                i += step;                                                     \
            }                                                                  \
        }                                                                      \
        if (n > lit)                                                           \
            pack(b, v + lit, n - lit, width);                                  \
    }

/* Literal stretches always have a multiple-of-8 length except the last,
 * because the scan advances by 8 from the start of each stretch. */
DEFINE_RLE_ENCODE(lake_parquet__rle_encode_u8, uint8_t, pack_u8)
DEFINE_RLE_ENCODE(lake_parquet__rle_encode_u32, uint32_t, pack_u32)

static int get_uleb(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    unsigned shift = 0;

    for (;;) {
        uint8_t byte;
        if (*pos >= len || shift > 63)
            return -1;
        byte = p[(*pos)++];
        x |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
        shift += 7;
    }
    *v = x;
    return 0;
}

static inline uint64_t load_bits(const uint8_t *p, size_t len, uint64_t bit)
{
    size_t byte = (size_t)(bit >> 3);
    uint64_t x = 0;

    if (byte + 8 <= len) {
        memcpy(&x, p + byte, 8);
    } else {
        size_t k;
        for (k = 0; byte + k < len && k < 8; k++)
            x |= (uint64_t)p[byte + k] << (8 * k);
    }
    return x >> (bit & 7);
}

#define DEFINE_RLE_DECODE(name, T)                                             \
    static int name(const uint8_t *p, size_t len, int width, T *out, size_t n, \
                    uint32_t limit, size_t *used)                              \
    {                                                                          \
        size_t pos = 0;                                                        \
        size_t k = 0;                                                          \
        uint64_t mask = width >= 64 ? ~0ULL : ((1ULL << width) - 1);           \
        if (width < 0 || width > 32)                                           \
            return jc_err_set(JC_EPARSE, "bit width %d out of range", width);  \
        while (k < n) {                                                        \
            uint64_t h;                                                        \
            if (get_uleb(p, len, &pos, &h))                                    \
                return jc_err_set(JC_EPARSE,                                   \
                                  "rle stream ends after %zu of %zu values",   \
                                  k, n);                                       \
            if (h & 1) {                                                       \
                uint64_t groups = h >> 1;                                      \
                size_t cnt;                                                    \
                size_t nbytes;                                                 \
                size_t j;                                                      \
                if (groups == 0 || groups > (len + 1) * 8)                     \
                    return jc_err_set(JC_EPARSE,                               \
                                      "bad bit-packed run of %llu groups",     \
                                      (unsigned long long)groups);             \
                cnt = (size_t)groups * 8;                                      \
                if (cnt > n - k)                                               \
                    cnt = n - k;                                               \
                nbytes = (cnt * (size_t)width + 7) / 8;                        \
                if (nbytes > len - pos)                                        \
                    return jc_err_set(JC_EPARSE,                               \
                                      "bit-packed run exceeds data");          \
                for (j = 0; j < cnt; j++) {                                    \
                    uint64_t x = load_bits(p + pos, len - pos,                 \
                                           (uint64_t)j * (uint64_t)width) &    \
                                 mask;                                         \
                    LIMIT_CHECK(x);                                            \
                    out[k + j] = (T)x;                                         \
                }                                                              \
                k += cnt;                                                      \
                nbytes = (size_t)groups * (size_t)width;                       \
                pos += nbytes < len - pos ? nbytes : len - pos;                \
            } else {                                                           \
                uint64_t cnt = h >> 1;                                         \
                int nb = (width + 7) / 8;                                      \
                uint64_t x = 0;                                                \
                int j;                                                         \
                size_t c;                                                      \
                if (cnt == 0)                                                  \
                    return jc_err_set(JC_EPARSE, "rle run of length 0");       \
                if ((size_t)nb > len - pos)                                    \
                    return jc_err_set(JC_EPARSE, "rle run exceeds data");      \
                for (j = 0; j < nb; j++)                                       \
                    x |= (uint64_t)p[pos + (size_t)j] << (8 * j);              \
                pos += (size_t)nb;                                             \
                x &= mask;                                                     \
                LIMIT_CHECK(x);                                                \
                c = cnt > n - k ? n - k : (size_t)cnt;                         \
                if (sizeof(T) == 1)                                            \
                    memset(out + k, (int)x, c);                                \
                else                                                           \
                    for (size_t q = 0; q < c; q++)                             \
                        out[k + q] = (T)x;                                     \
                k += c;                                                        \
            }                                                                  \
        }                                                                      \
        *used = pos;                                                           \
        return 0;                                                              \
    }

#define LIMIT_CHECK(x)                                                         \
    do {                                                                       \
        if (limit && (x) >= limit)                                             \
            return jc_err_set(JC_EPARSE,                                       \
                              "dictionary index %llu out of range (%u)",       \
                              (unsigned long long)(x), limit);                 \
    } while (0)

DEFINE_RLE_DECODE(rle_decode_u8, uint8_t)
DEFINE_RLE_DECODE(rle_decode_u32, uint32_t)

int lake_parquet__rle_decode_u8(const uint8_t *p, size_t len, int width,
                                uint8_t *out, size_t n, size_t *used)
{
    return rle_decode_u8(p, len, width, out, n, 0, used);
}

int lake_parquet__rle_decode_u32(const uint8_t *p, size_t len, int width,
                                 uint32_t *out, size_t n, uint32_t limit,
                                 size_t *used)
{
    return rle_decode_u32(p, len, width, out, n, limit, used);
}

int lake_parquet__delta_decode(const uint8_t *p, size_t len, int64_t *out,
                               size_t n, size_t *used)
{
    size_t pos = 0;
    uint64_t block;
    uint64_t minis;
    uint64_t total;
    uint64_t first;
    uint64_t per_mini;
    uint64_t last;
    size_t k = 0;

    if (get_uleb(p, len, &pos, &block) || get_uleb(p, len, &pos, &minis) ||
        get_uleb(p, len, &pos, &total) || get_uleb(p, len, &pos, &first))
        return jc_err_set(JC_EPARSE, "truncated DELTA_BINARY_PACKED header");
    if (block == 0 || block % 128 || block > (1u << 20) || minis == 0 ||
        block % minis || (block / minis) % 32)
        return jc_err_set(JC_EPARSE,
                          "bad DELTA_BINARY_PACKED block %llu / %llu",
                          (unsigned long long)block, (unsigned long long)minis);
    if (total != n)
        return jc_err_set(JC_EPARSE,
                          "DELTA_BINARY_PACKED has %llu values, expected %zu",
                          (unsigned long long)total, n);
    per_mini = block / minis;
    last = (first >> 1) ^ (~(first & 1) + 1);
    if (n == 0) {
        *used = pos;
        return 0;
    }
    out[k++] = (int64_t)last;
    while (k < n) {
        uint64_t zz;
        uint64_t min_delta;
        const uint8_t *widths;
        uint64_t m;
        if (get_uleb(p, len, &pos, &zz))
            return jc_err_set(JC_EPARSE, "truncated DELTA_BINARY_PACKED block");
        min_delta = (zz >> 1) ^ (~(zz & 1) + 1);
        if (minis > len - pos)
            return jc_err_set(JC_EPARSE, "truncated DELTA_BINARY_PACKED block");
        widths = p + pos;
        pos += (size_t)minis;
        for (m = 0; m < minis && k < n; m++) {
            int w = widths[m];
            size_t nbytes = (size_t)(per_mini * (uint64_t)w / 8);
            uint64_t mask = w >= 64 ? ~0ULL : ((1ULL << w) - 1);
            uint64_t j;
            if (w > 64)
                return jc_err_set(JC_EPARSE, "delta bit width %d", w);
            if (nbytes > len - pos)
                return jc_err_set(JC_EPARSE,
                                  "DELTA_BINARY_PACKED miniblock exceeds data");
            for (j = 0; j < per_mini && k < n; j++) {
                uint64_t bit = j * (uint64_t)w;
                uint64_t x;
                if (w == 0) {
                    x = 0;
                } else if (w <= 56) {
                    x = load_bits(p + pos, nbytes, bit) & mask;
                } else {
                    uint64_t lo = load_bits(p + pos, nbytes, bit);
                    size_t byte = (size_t)(bit >> 3) + 8;
                    uint64_t hi = byte < nbytes ? p[pos + byte] : 0;
                    unsigned sh = (unsigned)(bit & 7);
                    x = (sh ? (lo | (hi << (64 - sh))) : lo) & mask;
                }
                last = last + min_delta + x;
                out[k++] = (int64_t)last;
            }
            pos += nbytes;
        }
    }
    *used = pos;
    return 0;
}
