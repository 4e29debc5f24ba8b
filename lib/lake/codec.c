/*
 * codec.c: page compression for Parquet: UNCOMPRESSED, SNAPPY (raw block
 * format via snappy-c.h), ZSTD (one frame per page), GZIP (zlib, gzip
 * wrapper on write, gzip or zlib accepted on read). Decompression always
 * targets a caller-sized buffer and fails if the size does not match.
 */
#include "parquet_int.h"

#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "jobctl/err.h"

static _Thread_local ZSTD_CCtx *tl_cctx;
static _Thread_local ZSTD_DCtx *tl_dctx;

void lake_codec_thread_release(void)
{
    ZSTD_freeCCtx(tl_cctx);
    ZSTD_freeDCtx(tl_dctx);
    tl_cctx = NULL;
    tl_dctx = NULL;
}

const char *lake_codec_name(enum lake_codec c)
{
    switch (c) {
    case LAKE_CODEC_UNCOMPRESSED:
        return "uncompressed";
    case LAKE_CODEC_SNAPPY:
        return "snappy";
    case LAKE_CODEC_GZIP:
        return "gzip";
    case LAKE_CODEC_ZSTD:
        return "zstd";
    }
    return "unknown";
}

int lake_codec_parse(enum lake_codec *out, const char *name)
{
    if (strcasecmp(name, "uncompressed") == 0 || strcasecmp(name, "none") == 0)
        *out = LAKE_CODEC_UNCOMPRESSED;
    else if (strcasecmp(name, "snappy") == 0)
        *out = LAKE_CODEC_SNAPPY;
    else if (strcasecmp(name, "gzip") == 0)
        *out = LAKE_CODEC_GZIP;
    else if (strcasecmp(name, "zstd") == 0)
        *out = LAKE_CODEC_ZSTD;
    else
        return jc_err_set(JC_EINVAL, "unknown compression codec '%s'", name);
    return 0;
}

bool lake_codec__supported(int codec)
{
    return codec == LAKE_CODEC_UNCOMPRESSED || codec == LAKE_CODEC_SNAPPY ||
           codec == LAKE_CODEC_GZIP || codec == LAKE_CODEC_ZSTD;
}

int lake_codec__compress(int codec, int level, const void *in, size_t n,
                         struct ju_buf *out)
{
    size_t bound;
    size_t got;
    int rc;

    switch (codec) {
    case LAKE_CODEC_UNCOMPRESSED:
        return ju_buf_add(out, in, n);
    case LAKE_CODEC_SNAPPY:
        bound = snappy_max_compressed_length(n);
        rc = ju_buf_grow(out, bound);
        if (rc)
            return rc;
        got = bound;
        if (snappy_compress(in, n, out->data + out->len, &got) != SNAPPY_OK)
            return jc_err_set(JC_ERR, "snappy compression failed");
        out->len += got;
        return 0;
    case LAKE_CODEC_ZSTD:
        if (!tl_cctx)
            tl_cctx = ZSTD_createCCtx();
        bound = ZSTD_compressBound(n);
        rc = ju_buf_grow(out, bound);
        if (rc)
            return rc;
        got = ZSTD_compressCCtx(tl_cctx, out->data + out->len, bound, in, n,
                                level ? level : 1);
        if (ZSTD_isError(got))
            return jc_err_set(JC_ERR, "zstd compression failed: %s",
                              ZSTD_getErrorName(got));
        out->len += got;
        return 0;
    case LAKE_CODEC_GZIP: {
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (deflateInit2(&zs, level ? level : 6, Z_DEFLATED, 31, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return jc_err_set(JC_ERR, "gzip init failed");
        bound = deflateBound(&zs, n) + 32;
        rc = ju_buf_grow(out, bound);
        if (rc) {
            deflateEnd(&zs);
            return rc;
        }
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)bound;
        if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
            deflateEnd(&zs);
            return jc_err_set(JC_ERR, "gzip compression failed");
        }
        out->len += zs.total_out;
        deflateEnd(&zs);
        return 0;
    }
    default:
        return jc_err_set(JC_EUNSUPPORTED, "unsupported codec %d", codec);
    }
}

int lake_codec__decompress(int codec, const void *in, size_t n, void *out,
                           size_t out_n)
{
    size_t got;

    switch (codec) {
    case LAKE_CODEC_UNCOMPRESSED:
        if (n != out_n)
            return jc_err_set(JC_EPARSE, "uncompressed page size %zu != %zu", n,
                              out_n);
        memcpy(out, in, n);
        return 0;
    case LAKE_CODEC_SNAPPY:
        if (snappy_uncompressed_length(in, n, &got) != SNAPPY_OK ||
            got != out_n)
            return jc_err_set(
                JC_EPARSE, "snappy data does not decode to %zu bytes", out_n);
        got = out_n;
        if (snappy_uncompress(in, n, out, &got) != SNAPPY_OK || got != out_n)
            return jc_err_set(JC_EPARSE, "corrupt snappy data");
        return 0;
    case LAKE_CODEC_ZSTD:
        if (!tl_dctx)
            tl_dctx = ZSTD_createDCtx();
        got = ZSTD_decompressDCtx(tl_dctx, out, out_n, in, n);
        if (ZSTD_isError(got))
            return jc_err_set(JC_EPARSE, "corrupt zstd data: %s",
                              ZSTD_getErrorName(got));
        if (got != out_n)
            return jc_err_set(JC_EPARSE,
                              "zstd data decodes to %zu bytes, "
                              "expected %zu",
                              got, out_n);
        return 0;
    case LAKE_CODEC_GZIP: {
        z_stream zs;
        int zr;
        memset(&zs, 0, sizeof(zs));
        if (inflateInit2(&zs, 47) != Z_OK)
            return jc_err_set(JC_ERR, "gzip init failed");
        zs.next_in = (Bytef *)(uintptr_t)in;
        zs.avail_in = (uInt)n;
        zs.next_out = out;
        zs.avail_out = (uInt)out_n;
        zr = inflate(&zs, Z_FINISH);
        got = zs.total_out;
        inflateEnd(&zs);
        if (zr != Z_STREAM_END || got != out_n)
            return jc_err_set(JC_EPARSE, "corrupt gzip data");
        return 0;
    }
    default:
        return jc_err_set(JC_EUNSUPPORTED, "unsupported compression codec %d",
                          codec);
    }
}
