/*
 * parquet_read.c: the Parquet reader. Maps the file (or borrows a memory
 * buffer), decodes the footer and schema, and decodes column chunks page by
 * page (v1 and v2 data pages, dictionary pages, PLAIN / dictionary / RLE /
 * DELTA_* / BYTE_STREAM_SPLIT values) into lake_batch columns, assembling
 * nested columns from definition/repetition levels. Every size taken from
 * the file is bounds-checked; errors name the file and the offset.
 */
#include "parquet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/mem.h"

struct lake_parquet_reader {
    char *name;
    const uint8_t *data;
    size_t size;
    bool mapped;
    size_t footer_start; /* first byte of FileMetaData */
    struct pq_filemeta meta;
    struct lake_schema schema;
    struct pq_layout lo;
    size_t n_sel;
    size_t *sel; /* top-level field index per batch column */
    struct lake_schema batch_schema;
    /* scratch */
    uint8_t *page;
    size_t page_cap;
    uint8_t *rep;
    uint8_t *def;
    uint8_t *mask;
    size_t lvl_cap;
    uint32_t *idx;
    size_t idx_cap;
    int64_t *i64;
    size_t i64_cap;
    uint8_t *raw;
    size_t raw_cap;
    struct lake_column dict;
    bool dict_valid;
};

#define RERR(r, code, ...) reader_err((r), (code), __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static int
reader_err(const struct lake_parquet_reader *r, int code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return jc_err_set(code, "'%s': %s", r->name, msg);
}

static void *scratch(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need > *cap) {
        size_t n = *cap ? *cap : 1024;
        while (n < need)
            n *= 2;
        p = ju_xrealloc(p, n * elem);
        *cap = n;
    }
    return p;
}

/* ---------------------------------------------------------------- open */

static int reader_init(struct lake_parquet_reader *r)
{
    uint32_t flen;
    int rc;

    if (r->size < 12)
        return RERR(r, JC_EPARSE,
                    "file of %zu bytes is too small for "
                    "Parquet",
                    r->size);
    if (memcmp(r->data, "PAR1", 4) != 0)
        return RERR(r, JC_EPARSE,
                    "bad magic at offset 0 (not a Parquet "
                    "file)");
    if (memcmp(r->data + r->size - 4, "PAR1", 4) != 0) {
        if (memcmp(r->data + r->size - 4, "PARE", 4) == 0)
            return RERR(r, JC_EUNSUPPORTED, "encrypted footer");
        return RERR(r, JC_EPARSE,
                    "bad magic at offset %zu (truncated "
                    "file?)",
                    r->size - 4);
    }
    flen = (uint32_t)r->data[r->size - 8] |
           (uint32_t)r->data[r->size - 7] << 8 |
           (uint32_t)r->data[r->size - 6] << 16 |
           (uint32_t)r->data[r->size - 5] << 24;
    if (flen > LAKE_PARQUET_MAX_FOOTER)
        return RERR(r, JC_ETOOBIG, "footer length %u exceeds the cap of %zu",
                    flen, LAKE_PARQUET_MAX_FOOTER);
    if ((size_t)flen > r->size - 12)
        return RERR(r, JC_EPARSE, "footer length %u exceeds file size %zu",
                    flen, r->size);
    r->footer_start = r->size - 8 - flen;
    rc = lake_parquet__meta_parse(&r->meta, r->data + r->footer_start, flen,
                                  r->footer_start);
    if (rc)
        return jc_err_wrap(rc, "'%s': footer", r->name);
    if (r->meta.num_rows < 0)
        return RERR(r, JC_EPARSE, "negative num_rows");
    rc = lake_parquet__layout_from_meta(&r->lo, &r->schema, &r->meta);
    if (rc)
        return jc_err_wrap(rc, "'%s': schema", r->name);
    for (size_t g = 0; g < r->meta.n_rg; g++) {
        if (r->meta.rgs[g].n_chunks != r->lo.n_leaves)
            return RERR(r, JC_EPARSE,
                        "row group %zu has %zu column chunks, schema has %zu "
                        "leaves",
                        g, r->meta.rgs[g].n_chunks, r->lo.n_leaves);
        if (r->meta.rgs[g].num_rows < 0)
            return RERR(r, JC_EPARSE, "row group %zu: negative num_rows", g);
    }
    return lake_parquet_reader_select(r, NULL, 0);
}

int lake_parquet_reader_open_mem(struct lake_parquet_reader **out,
                                 const void *data, size_t len, const char *name)
{
    struct lake_parquet_reader *r = ju_xcalloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    r->name = ju_xstrdup(name ? name : "<memory>");
    r->data = data;
    r->size = len;
    rc = reader_init(r);
    if (rc) {
        lake_parquet_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int lake_parquet_reader_open(struct lake_parquet_reader **out, const char *path)
{
    struct lake_parquet_reader *r;
    struct stat st;
    void *m;
    int fd;
    int rc;

    *out = NULL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jc_err_set(errno == ENOENT ? JC_ENOTFOUND : JC_EIO,
                          "cannot open '%s': %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = jc_err_set(JC_EIO, "cannot stat '%s': %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return jc_err_set(JC_EINVAL, "'%s' is not a regular file", path);
    }
    r = ju_xcalloc(1, sizeof(*r));
    r->name = ju_xstrdup(path);
    r->size = (size_t)st.st_size;
    if (r->size > 0) {
        m = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            rc = jc_err_set(JC_EIO, "cannot map '%s': %s", path,
                            strerror(errno));
            close(fd);
            lake_parquet_reader_free(r);
            return rc;
        }
        r->data = m;
        r->mapped = true;
    } else {
        r->data = (const uint8_t *)"";
    }
    close(fd);
    rc = reader_init(r);
    if (rc) {
        lake_parquet_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void lake_parquet_reader_free(struct lake_parquet_reader *r)
{
    if (!r)
        return;
    if (r->mapped)
        munmap((void *)(uintptr_t)r->data, r->size);
    lake_parquet__meta_release(&r->meta);
    lake_parquet__layout_release(&r->lo);
    lake_schema_release(&r->schema);
    lake_schema_release(&r->batch_schema);
    free(r->sel);
    free(r->page);
    free(r->rep);
    free(r->def);
    free(r->mask);
    free(r->idx);
    free(r->i64);
    free(r->raw);
    lake_column_release(&r->dict);
    free(r->name);
    free(r);
}

const struct lake_schema *
lake_parquet_reader_schema(const struct lake_parquet_reader *r)
{
    return &r->schema;
}

const struct lake_schema *
lake_parquet_reader_batch_schema(const struct lake_parquet_reader *r)
{
    return &r->batch_schema;
}

int64_t lake_parquet_reader_num_rows(const struct lake_parquet_reader *r)
{
    return r->meta.num_rows;
}

size_t lake_parquet_reader_num_row_groups(const struct lake_parquet_reader *r)
{
    return r->meta.n_rg;
}

int64_t lake_parquet_reader_row_group_rows(const struct lake_parquet_reader *r,
                                           size_t rg)
{
    return rg < r->meta.n_rg ? r->meta.rgs[rg].num_rows : 0;
}

const char *lake_parquet_reader_created_by(const struct lake_parquet_reader *r)
{
    return r->meta.created_by ? r->meta.created_by : "";
}

const char *lake_parquet_reader_kv(const struct lake_parquet_reader *r,
                                   const char *key)
{
    size_t i;

    for (i = 0; i < r->meta.n_kv; i++)
        if (r->meta.kv_keys[i] && strcmp(r->meta.kv_keys[i], key) == 0)
            return r->meta.kv_vals[i] ? r->meta.kv_vals[i] : "";
    return NULL;
}

int lake_parquet_reader_select(struct lake_parquet_reader *r,
                               const char *const *names, size_t n)
{
    size_t i;
    size_t *sel;

    if (!names || n == 0) {
        n = r->schema.n_fields;
        sel = ju_xcalloc(n ? n : 1, sizeof(size_t));
        for (i = 0; i < n; i++)
            sel[i] = i;
    } else {
        sel = ju_xcalloc(n, sizeof(size_t));
        for (i = 0; i < n; i++) {
            int k = lake_schema_find(&r->schema, names[i]);
            if (k < 0) {
                free(sel);
                return RERR(r, JC_ENOTFOUND, "no column '%s'", names[i]);
            }
            sel[i] = (size_t)k;
        }
    }
    free(r->sel);
    r->sel = sel;
    r->n_sel = n;
    lake_schema_release(&r->batch_schema);
    lake_schema_init(&r->batch_schema);
    for (i = 0; i < n; i++)
        lake_schema_add(&r->batch_schema, &r->schema.fields[sel[i]]);
    return 0;
}

/* ---------------------------------------------------------------- stats */

int lake_parquet_reader_row_group_stats(const struct lake_parquet_reader *r,
                                        size_t rg,
                                        struct lake_parquet_file_stats *out)
{
    const struct pq_rowgroup *g;
    size_t i;
    size_t k;

    memset(out, 0, sizeof(*out));
    if (rg >= r->meta.n_rg)
        return RERR(r, JC_EINVAL, "no row group %zu", rg);
    g = &r->meta.rgs[rg];
    out->num_rows = g->num_rows;
    out->num_row_groups = 1;
    out->file_size = r->size;
    out->n_columns = r->lo.n_leaves;
    out->columns =
        ju_xcalloc(r->lo.n_leaves ? r->lo.n_leaves : 1, sizeof(*out->columns));
    for (i = 0; i < r->lo.n_leaves; i++) {
        const struct pq_leaf *lf = &r->lo.leaves[i];
        const struct pq_stats *s = &g->chunks[i].stats;
        struct lake_column_stats *c = &out->columns[i];
        c->path_len = lf->path_len;
        c->path = ju_xcalloc(lf->path_len, sizeof(char *));
        for (k = 0; k < lf->path_len; k++)
            c->path[k] = ju_xstrdup(lf->path[k]);
        c->dotted = ju_xstrdup(lf->dotted);
        c->type = lf->ltype;
        c->precision = lf->precision;
        c->scale = lf->scale;
        c->in_repeated = lf->in_repeated;
        c->null_count = s->has_null_count ? s->null_count : -1;
        c->num_values = g->chunks[i].num_values;
        c->min.is_null = c->max.is_null = true;
        /* legacy min/max used signed byte order for strings: unusable */
        if (s->has_min && s->has_max &&
            !(s->legacy && lf->conv == PQ_CONV_BYTES) &&
            lake_parquet__stat_decode(&c->min, lf, s->min, s->min_len) &&
            lake_parquet__stat_decode(&c->max, lf, s->max, s->max_len)) {
            c->has_min_max = true;
        } else {
            lake_parquet__value_release(&c->min);
            lake_parquet__value_release(&c->max);
            memset(&c->min, 0, sizeof(c->min));
            memset(&c->max, 0, sizeof(c->max));
            c->min.is_null = c->max.is_null = true;
        }
        c->min.type = c->max.type = lf->ltype;
    }
    out->n_top = r->schema.n_fields;
    out->top_null_count =
        ju_xcalloc(out->n_top ? out->n_top : 1, sizeof(int64_t));
    for (i = 0; i < out->n_top; i++)
        out->top_null_count[i] = -1;
    return 0;
}

/* ---------------------------------------------------------------- values */

static size_t phys_width(const struct pq_leaf *lf)
{
    switch (lf->phys) {
    case PQ_INT32:
    case PQ_FLOAT:
        return 4;
    case PQ_INT64:
    case PQ_DOUBLE:
        return 8;
    case PQ_INT96:
        return 12;
    case PQ_FLBA:
        return (size_t)lf->type_length;
    default:
        return 0;
    }
}

static lake_i128 be_to_i128(const uint8_t *p, size_t n)
{
    unsigned __int128 x = 0;
    size_t i;

    for (i = 0; i < n; i++)
        x = (x << 8) | p[i];
    if (n > 0 && n < 16 && (p[0] & 0x80))
        x |= ~(unsigned __int128)0 << (8 * n);
    return (lake_i128)x;
}

static void col_reserve(struct lake_column *c, size_t n)
{
    lake_column__grow(c, c->length + n);
    if (c->valid)
        memset(c->valid + c->length, 1, n);
}

/* Append n raw little-endian physical values (width pw) converted. */
static int append_fixed(const struct lake_parquet_reader *r,
                        const struct pq_leaf *lf, struct lake_column *c,
                        const uint8_t *src, size_t n)
{
    size_t i;
    uint8_t *dst;

    if (n == 0)
        return 0;
    col_reserve(c, n);
    dst = c->values ? (uint8_t *)c->values + c->length * c->width : NULL;
    switch (lf->conv) {
    case PQ_CONV_COPY:
        memcpy(dst, src, n * c->width);
        break;
    case PQ_CONV_I32_I8:
        for (i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            ((int8_t *)(void *)dst)[i] = (int8_t)v;
        }
        break;
    case PQ_CONV_I32_I16:
        for (i = 0; i < n; i++) {
            int32_t v;
            memcpy(&v, src + 4 * i, 4);
            ((int16_t *)(void *)dst)[i] = (int16_t)v;
        }
        break;
    case PQ_CONV_I32_I64:
    case PQ_CONV_U32_I64:
        for (i = 0; i < n; i++) {
            int32_t v;
            int64_t x;
            memcpy(&v, src + 4 * i, 4);
            x = lf->conv == PQ_CONV_U32_I64 ? (int64_t)(uint32_t)v : v;
            memcpy(dst + 8 * i, &x, 8);
        }
        break;
    case PQ_CONV_I32_I128:
    case PQ_CONV_I64_I128:
        for (i = 0; i < n; i++) {
            lake_i128 q;
            if (lf->conv == PQ_CONV_I32_I128) {
                int32_t v;
                memcpy(&v, src + 4 * i, 4);
                q = v;
            } else {
                int64_t v;
                memcpy(&v, src + 8 * i, 8);
                q = v;
            }
            memcpy(dst + 16 * i, &q, 16);
        }
        break;
    case PQ_CONV_I64_MUL1000:
    case PQ_CONV_I64_DIV1000:
        for (i = 0; i < n; i++) {
            int64_t v;
            memcpy(&v, src + 8 * i, 8);
            if (lf->conv == PQ_CONV_I64_MUL1000)
                v = (int64_t)((uint64_t)v * 1000u);
            else
                v = v / 1000 - (v % 1000 < 0 ? 1 : 0);
            memcpy(dst + 8 * i, &v, 8);
        }
        break;
    case PQ_CONV_INT96:
        for (i = 0; i < n; i++) {
            int64_t nanos;
            int32_t day;
            int64_t us;
            memcpy(&nanos, src + 12 * i, 8);
            memcpy(&day, src + 12 * i + 8, 4);
            us = (int64_t)((uint64_t)((int64_t)day - 2440588) * 86400000000ULL +
                           (uint64_t)(nanos / 1000));
            memcpy(dst + 8 * i, &us, 8);
        }
        break;
    case PQ_CONV_BE_DEC64:
    case PQ_CONV_BE_DEC128: {
        size_t tl = (size_t)lf->type_length;
        for (i = 0; i < n; i++) {
            lake_i128 q = be_to_i128(src + tl * i, tl);
            if (c->width == 8) {
                int64_t v = (int64_t)q;
                memcpy(dst + 8 * i, &v, 8);
            } else {
                memcpy(dst + 16 * i, &q, 16);
            }
        }
        break;
    }
    case PQ_CONV_BYTES: {
        /* FLBA as binary/string */
        size_t tl = (size_t)lf->type_length;
        for (i = 0; i < n; i++)
            lake_batch_append_str(c, src + tl * i, tl);
        return 0;
    }
    default:
        return RERR(r, JC_EPARSE, "column '%s': bad conversion", lf->dotted);
    }
    c->length += n;
    return 0;
}

/* Append one BYTE_ARRAY value (string/binary or big-endian decimal). */
static inline int append_bytes(const struct lake_parquet_reader *r,
                               const struct pq_leaf *lf, struct lake_column *c,
                               const uint8_t *p, size_t n)
{
    if (lf->conv == PQ_CONV_BYTES) {
        lake_batch_append_str(c, p, n);
        return 0;
    }
    if (n > 16)
        return RERR(r, JC_EPARSE, "column '%s': decimal of %zu bytes",
                    lf->dotted, n);
    if (c->width == 8)
        lake_batch_append_i64(c, (int64_t)be_to_i128(p, n));
    else
        lake_batch_append_i128(c, be_to_i128(p, n));
    return 0;
}

static int decode_plain(struct lake_parquet_reader *r, const struct pq_leaf *lf,
                        struct lake_column *c, const uint8_t *p, size_t len,
                        size_t n)
{
    size_t pw = phys_width(lf);
    size_t i;

    if (n == 0)
        return 0;
    if (lf->phys == PQ_BOOLEAN) {
        uint8_t *dst;
        if ((n + 7) / 8 > len)
            return RERR(r, JC_EPARSE,
                        "column '%s': %zu booleans exceed "
                        "page data",
                        lf->dotted, n);
        col_reserve(c, n);
        dst = (uint8_t *)c->values + c->length;
        for (i = 0; i < n; i++)
            dst[i] = (p[i >> 3] >> (i & 7)) & 1;
        c->length += n;
        return 0;
    }
    if (lf->phys == PQ_BYTE_ARRAY && lf->conv == PQ_CONV_BYTES) {
        /* fast path: one reservation, no per-value checks */
        size_t pos = 0;
        int64_t *off;
        int64_t dpos;
        col_reserve(c, n);
        lake_column_reserve_data(c, len); /* bytes <= page length */
        off = c->offsets + c->length;
        dpos = (int64_t)c->data_len;
        for (i = 0; i < n; i++) {
            uint32_t l;
            if (len - pos < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array %zu of "
                            "%zu runs past the page",
                            lf->dotted, i, n);
            l = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 |
                (uint32_t)p[pos + 2] << 16 | (uint32_t)p[pos + 3] << 24;
            pos += 4;
            if (l > len - pos)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array length "
                            "%u exceeds the page",
                            lf->dotted, l);
            memcpy(c->data + dpos, p + pos, l);
            dpos += l;
            off[i + 1] = dpos;
            pos += l;
        }
        c->data_len = (size_t)dpos;
        c->length += n;
        return 0;
    }
    if (lf->phys == PQ_BYTE_ARRAY) {
        size_t pos = 0;
        lake_column_reserve(c, n);
        for (i = 0; i < n; i++) {
            uint32_t l;
            int rc;
            if (len - pos < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array %zu of "
                            "%zu runs past the page",
                            lf->dotted, i, n);
            l = (uint32_t)p[pos] | (uint32_t)p[pos + 1] << 8 |
                (uint32_t)p[pos + 2] << 16 | (uint32_t)p[pos + 3] << 24;
            pos += 4;
            if (l > len - pos)
                return RERR(r, JC_EPARSE,
                            "column '%s': byte array length "
                            "%u exceeds the page",
                            lf->dotted, l);
            rc = append_bytes(r, lf, c, p + pos, l);
            if (rc)
                return rc;
            pos += l;
        }
        return 0;
    }
    if (pw == 0 || n > len / pw)
        return RERR(r, JC_EPARSE,
                    "column '%s': %zu values of %zu bytes "
                    "exceed page data of %zu bytes",
                    lf->dotted, n, pw, len);
    return append_fixed(r, lf, c, p, n);
}

static int decode_dict_values(struct lake_parquet_reader *r,
                              const struct pq_leaf *lf, struct lake_column *c,
                              const uint8_t *p, size_t len, size_t n)
{
    const struct lake_column *d = &r->dict;
    size_t used;
    size_t i;
    int bw;
    int rc;

    if (!r->dict_valid)
        return RERR(r, JC_EPARSE,
                    "column '%s': dictionary-encoded page "
                    "without a dictionary",
                    lf->dotted);
    if (n == 0)
        return 0;
    if (len < 1)
        return RERR(r, JC_EPARSE, "column '%s': empty dictionary page data",
                    lf->dotted);
    bw = p[0];
    r->idx = scratch(r->idx, &r->idx_cap, n, sizeof(uint32_t));
    rc = lake_parquet__rle_decode_u32(
        p + 1, len - 1, bw, r->idx, n,
        (uint32_t)d->length ? (uint32_t)d->length : 1, &used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s': dictionary indices", r->name,
                           lf->dotted);
    if (d->length == 0)
        return RERR(r, JC_EPARSE,
                    "column '%s': index into an empty "
                    "dictionary",
                    lf->dotted);
    if (d->type == LAKE_TYPE_STRING || d->type == LAKE_TYPE_BINARY) {
        const int64_t *doff = d->offsets;
        const uint32_t *idx = r->idx;
        size_t total = 0;
        int64_t *off;
        char *data;
        int64_t pos;
        for (i = 0; i < n; i++)
            total += (size_t)(doff[idx[i] + 1] - doff[idx[i]]);
        col_reserve(c, n);
        lake_column_reserve_data(c, total);
        off = c->offsets + c->length;
        data = c->data;
        pos = (int64_t)c->data_len;
        for (i = 0; i < n; i++) {
            int64_t b0 = doff[idx[i]];
            int64_t vl = doff[idx[i] + 1] - b0;
            memcpy(data + pos, d->data + b0, (size_t)vl);
            pos += vl;
            off[i + 1] = pos;
        }
        c->data_len = (size_t)pos;
        c->length += n;
        return 0;
    }
    col_reserve(c, n);
    {
        uint8_t *dst = (uint8_t *)c->values + c->length * c->width;
        const uint8_t *src = d->values;
        switch (c->width) {
        case 1:
            for (i = 0; i < n; i++)
                dst[i] = src[r->idx[i]];
            break;
        case 2:
            for (i = 0; i < n; i++)
                ((uint16_t *)(void *)dst)[i] =
                    ((const uint16_t *)(const void *)src)[r->idx[i]];
            break;
        case 4:
            for (i = 0; i < n; i++)
                ((uint32_t *)(void *)dst)[i] =
                    ((const uint32_t *)(const void *)src)[r->idx[i]];
            break;
        case 8:
            for (i = 0; i < n; i++)
                ((uint64_t *)(void *)dst)[i] =
                    ((const uint64_t *)(const void *)src)[r->idx[i]];
            break;
        default:
            for (i = 0; i < n; i++)
                memcpy(dst + 16 * i, src + 16 * (size_t)r->idx[i], 16);
            break;
        }
    }
    c->length += n;
    return 0;
}

static int decode_delta_ints(struct lake_parquet_reader *r,
                             const struct pq_leaf *lf, struct lake_column *c,
                             const uint8_t *p, size_t len, size_t n)
{
    size_t used;
    size_t i;
    int rc;

    if (lf->phys != PQ_INT32 && lf->phys != PQ_INT64)
        return RERR(r, JC_EPARSE,
                    "column '%s': DELTA_BINARY_PACKED on a "
                    "non-integer column",
                    lf->dotted);
    r->i64 = scratch(r->i64, &r->i64_cap, n ? n : 1, sizeof(int64_t));
    rc = lake_parquet__delta_decode(p, len, r->i64, n, &used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    if (lf->phys == PQ_INT32) {
        r->raw = scratch(r->raw, &r->raw_cap, 4 * n + 1, 1);
        for (i = 0; i < n; i++) {
            int32_t v = (int32_t)r->i64[i];
            memcpy(r->raw + 4 * i, &v, 4);
        }
        return append_fixed(r, lf, c, r->raw, n);
    }
    return append_fixed(r, lf, c, (const uint8_t *)r->i64, n);
}

/* Lengths via DELTA_BINARY_PACKED, then the bytes. *used = bytes taken. */
static int delta_lengths(struct lake_parquet_reader *r,
                         const struct pq_leaf *lf, const uint8_t *p, size_t len,
                         size_t n, int64_t **lens, size_t *used)
{
    int rc;

    r->i64 = scratch(r->i64, &r->i64_cap, n ? n : 1, sizeof(int64_t));
    rc = lake_parquet__delta_decode(p, len, r->i64, n, used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    *lens = r->i64;
    return 0;
}

static int decode_delta_length(struct lake_parquet_reader *r,
                               const struct pq_leaf *lf, struct lake_column *c,
                               const uint8_t *p, size_t len, size_t n)
{
    int64_t *lens = NULL;
    size_t used;
    size_t pos;
    size_t i;
    int rc = delta_lengths(r, lf, p, len, n, &lens, &used);

    if (rc)
        return rc;
    pos = used;
    for (i = 0; i < n; i++) {
        if (lens[i] < 0 || (uint64_t)lens[i] > len - pos)
            return RERR(r, JC_EPARSE,
                        "column '%s': DELTA_LENGTH_BYTE_ARRAY "
                        "value exceeds the page",
                        lf->dotted);
        rc = append_bytes(r, lf, c, p + pos, (size_t)lens[i]);
        if (rc)
            return rc;
        pos += (size_t)lens[i];
    }
    return 0;
}

static int decode_delta_byte_array(struct lake_parquet_reader *r,
                                   const struct pq_leaf *lf,
                                   struct lake_column *c, const uint8_t *p,
                                   size_t len, size_t n)
{
    int64_t *prefix;
    int64_t *suffix;
    size_t used;
    size_t used2;
    size_t pos;
    size_t i;
    struct ju_buf prev = JU_BUF_INIT;
    struct ju_buf cur = JU_BUF_INIT;
    int rc;

    r->i64 = scratch(r->i64, &r->i64_cap, 2 * n + 1, sizeof(int64_t));
    rc = lake_parquet__delta_decode(p, len, r->i64, n, &used);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    prefix = r->i64;
    suffix = r->i64 + n;
    rc = lake_parquet__delta_decode(p + used, len - used, suffix, n, &used2);
    if (rc)
        return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
    pos = used + used2;
    for (i = 0; i < n && rc == 0; i++) {
        if (prefix[i] < 0 || (uint64_t)prefix[i] > prev.len || suffix[i] < 0 ||
            (uint64_t)suffix[i] > len - pos) {
            rc = RERR(r, JC_EPARSE,
                      "column '%s': bad DELTA_BYTE_ARRAY value "
                      "%zu",
                      lf->dotted, i);
            break;
        }
        ju_buf_reset(&cur);
        if (ju_buf_add(&cur, prev.data ? prev.data : "", (size_t)prefix[i]) ||
            ju_buf_add(&cur, p + pos, (size_t)suffix[i])) {
            rc = RERR(r, JC_ETOOBIG, "column '%s': value too big", lf->dotted);
            break;
        }
        pos += (size_t)suffix[i];
        rc = append_bytes(r, lf, c, (const uint8_t *)(cur.data ? cur.data : ""),
                          cur.len);
        {
            struct ju_buf t = prev;
            prev = cur;
            cur = t;
        }
    }
    ju_buf_release(&prev);
    ju_buf_release(&cur);
    return rc;
}

static int decode_values(struct lake_parquet_reader *r,
                         const struct pq_leaf *lf, struct lake_column *c,
                         int enc, const uint8_t *p, size_t len, size_t n)
{
    if (n == 0)
        return 0; /* all entries null: nothing to decode */
    switch (enc) {
    case PQ_ENC_PLAIN:
        return decode_plain(r, lf, c, p, len, n);
    case PQ_ENC_PLAIN_DICTIONARY:
    case PQ_ENC_RLE_DICTIONARY:
        return decode_dict_values(r, lf, c, p, len, n);
    case PQ_ENC_RLE: {
        size_t used;
        uint32_t blen;
        int rc;
        if (lf->phys != PQ_BOOLEAN)
            return RERR(r, JC_EUNSUPPORTED,
                        "column '%s': RLE values on a "
                        "non-boolean column",
                        lf->dotted);
        if (len < 4)
            return RERR(r, JC_EPARSE, "column '%s': short RLE boolean data",
                        lf->dotted);
        blen = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
               (uint32_t)p[3] << 24;
        if (blen > len - 4)
            return RERR(r, JC_EPARSE, "column '%s': RLE length exceeds page",
                        lf->dotted);
        col_reserve(c, n);
        rc = lake_parquet__rle_decode_u8(
            p + 4, blen, 1, (uint8_t *)c->values + c->length, n, &used);
        if (rc)
            return jc_err_wrap(rc, "'%s': column '%s'", r->name, lf->dotted);
        c->length += n;
        return 0;
    }
    case PQ_ENC_DELTA_BINARY_PACKED:
        return decode_delta_ints(r, lf, c, p, len, n);
    case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
        if (lf->phys != PQ_BYTE_ARRAY)
            break;
        return decode_delta_length(r, lf, c, p, len, n);
    case PQ_ENC_DELTA_BYTE_ARRAY:
        if (lf->phys != PQ_BYTE_ARRAY && lf->phys != PQ_FLBA)
            break;
        return decode_delta_byte_array(r, lf, c, p, len, n);
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        size_t pw = phys_width(lf);
        size_t i;
        size_t k;
        if (pw == 0 || lf->phys == PQ_INT96 || n > len / pw)
            return RERR(r, JC_EPARSE,
                        "column '%s': bad BYTE_STREAM_SPLIT "
                        "data",
                        lf->dotted);
        r->raw = scratch(r->raw, &r->raw_cap, n * pw + 1, 1);
        for (k = 0; k < pw; k++)
            for (i = 0; i < n; i++)
                r->raw[i * pw + k] = p[k * n + i];
        return append_fixed(r, lf, c, r->raw, n);
    }
    default:
        break;
    }
    return RERR(r, JC_EUNSUPPORTED, "column '%s': unsupported encoding %d",
                lf->dotted, enc);
}

/* ------------------------------------------------------------ assembly */

/* Spread n_vals dense values at [base, base + n_vals) over n_entries
 * entries according to mask (1 = value, 0 = null). */
static void spread(struct lake_column *c, size_t base, size_t n_vals,
                   const uint8_t *mask, size_t n_entries)
{
    size_t i;
    size_t k = n_vals;
    size_t nulls = n_entries - n_vals;

    if (nulls == 0) {
        c->length = base + n_entries;
        return;
    }
    lake_column__grow(c, base + n_entries);
    lake_column__make_valid(c);
    if (c->offsets) {
        for (i = n_entries; i-- > 0;) {
            c->offsets[base + 1 + i] = c->offsets[base + k];
            if (mask[i])
                k--;
        }
    } else {
        size_t w = c->width;
        uint8_t *v = c->values;
        for (i = n_entries; i-- > 0;) {
            if (mask[i]) {
                k--;
                if (k != i)
                    memcpy(v + (base + i) * w, v + (base + k) * w, w);
            } else {
                memset(v + (base + i) * w, 0, w);
            }
        }
    }
    memcpy(c->valid + base, mask, n_entries);
    c->null_count += nulls;
    c->length = base + n_entries;
}

static void append_entry(struct lake_column *c, bool valid)
{
    lake_column__ensure(c);
    if (!valid) {
        lake_column__make_valid(c);
        c->valid[c->length] = 0;
        c->null_count++;
    } else if (c->valid) {
        c->valid[c->length] = 1;
    }
    if (c->offsets)
        c->offsets[c->length + 1] = c->offsets[c->length];
    c->length++;
}

/*
 * Walk the levels of one page for a nested leaf: append entries to the
 * owned ancestor nodes and write the leaf's value/null mask. Returns the
 * number of leaf entries in *n_leaf.
 */
static int assemble(struct lake_parquet_reader *r, const struct pq_leaf *lf,
                    struct lake_column **cols, const uint8_t *rep,
                    const uint8_t *def, size_t n, uint8_t *mask, size_t *n_leaf)
{
    size_t e;
    size_t nl = 0;
    size_t last = lf->depth - 1;

    for (e = 0; e < n; e++) {
        int rl = rep ? rep[e] : 0;
        int d = def ? def[e] : lf->max_def;
        size_t k;
        if (rl > lf->max_rep || d > lf->max_def)
            return RERR(r, JC_EPARSE,
                        "column '%s': level %d/%d above max "
                        "%d/%d",
                        lf->dotted, rl, d, lf->max_rep, lf->max_def);
        k = rl == 0 ? 0 : (size_t)lf->start_node[rl];
        if (rl > 0 &&
            (k == 0 || (k - 1 >= lf->own_from && cols[k - 1]->length == 0)))
            return RERR(r, JC_EPARSE,
                        "column '%s': repetition level %d "
                        "without an open list",
                        lf->dotted, rl);
        for (; k <= last; k++) {
            const struct pq_node *nd = &lf->nodes[k];
            bool owned = k >= lf->own_from;
            if (k > 0 && lf->nodes[k - 1].kind == PQN_LIST &&
                k - 1 >= lf->own_from)
                cols[k - 1]->offsets[cols[k - 1]->length]++;
            if (k == last) {
                mask[nl++] = d >= nd->def_present;
                break;
            }
            if (d < nd->def_present) {
                if (owned)
                    append_entry(cols[k], false);
                if (nd->kind == PQN_STRUCT)
                    continue;
                break;
            }
            if (owned)
                append_entry(cols[k], true);
            if (nd->kind == PQN_LIST && d < nd->def_nonempty)
                break;
        }
    }
    *n_leaf = nl;
    return 0;
}

/* ------------------------------------------------------------ pages */

static int read_dict_page(struct lake_parquet_reader *r,
                          const struct pq_leaf *lf, const uint8_t *p,
                          size_t len, size_t n)
{
    struct lake_field f;

    lake_column_release(&r->dict);
    memset(&f, 0, sizeof(f));
    f.type = lf->ltype;
    f.precision = lf->precision;
    f.scale = lf->scale;
    f.name = (char *)"dict";
    lake_column_init(&r->dict, &f);
    r->dict_valid = false;
    if (decode_plain(r, lf, &r->dict, p, len, n))
        return jc_err_wrap(JC_EPARSE, "dictionary page");
    r->dict_valid = true;
    return 0;
}

/* Number of bytes in v[0..n) equal to x (8 at a time). */
static size_t count_eq(const uint8_t *v, size_t n, uint8_t x)
{
    const uint64_t ones = 0x0101010101010101ULL;
    const uint64_t pat = ones * x;
    size_t i = 0;
    size_t c = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        uint64_t z;
        memcpy(&w, v + i, 8);
        /* bytes equal to x become 0; map each byte to 1 if zero */
        z = w ^ pat;
        z = ((z | (z >> 4)) & 0x0f0f0f0f0f0f0f0fULL);
        z = ((z | (z >> 2)) & 0x0303030303030303ULL);
        z = ((z | (z >> 1)) & ones) ^ ones;
        c += (size_t)((z * ones) >> 56);
    }
    for (; i < n; i++)
        c += v[i] == x;
    return c;
}

static int data_page(struct lake_parquet_reader *r, const struct pq_leaf *lf,
                     struct lake_column **cols, const struct pq_page_header *h,
                     const uint8_t *body, size_t blen, const uint8_t *lv_rep,
                     size_t rep_len, const uint8_t *lv_def, size_t def_len,
                     bool v2)
{
    size_t n = (size_t)h->num_values;
    struct lake_column *leaf = cols[lf->depth - 1];
    const uint8_t *rep = NULL;
    const uint8_t *def = NULL;
    size_t n_vals = n;
    size_t used;
    size_t base;
    size_t i;
    int rc;

    if (n > LAKE_PARQUET_MAX_PAGE_VALUES)
        return RERR(r, JC_ETOOBIG,
                    "column '%s': page of %zu values exceeds "
                    "the cap",
                    lf->dotted, n);
    r->rep = scratch(r->rep, &r->lvl_cap, n + 1, 1);
    if (r->lvl_cap > 0) {
        size_t cap2 = r->lvl_cap;
        r->def = ju_xrealloc(r->def, cap2);
        r->mask = ju_xrealloc(r->mask, cap2);
    }
    if (lf->max_rep > 0) {
        if (!v2) {
            uint32_t l;
            if (blen < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': page too short for "
                            "repetition levels",
                            lf->dotted);
            l = (uint32_t)body[0] | (uint32_t)body[1] << 8 |
                (uint32_t)body[2] << 16 | (uint32_t)body[3] << 24;
            if (l > blen - 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': repetition levels "
                            "length %u exceeds page",
                            lf->dotted, l);
            lv_rep = body + 4;
            rep_len = l;
            body += 4 + l;
            blen -= 4 + l;
        }
        rc = lake_parquet__rle_decode_u8(
            lv_rep, rep_len, lake_parquet__bit_width((uint64_t)lf->max_rep),
            r->rep, n, &used);
        if (rc)
            return jc_err_wrap(rc, "'%s': column '%s': repetition levels",
                               r->name, lf->dotted);
        rep = r->rep;
    }
    if (lf->max_def > 0) {
        if (!v2) {
            uint32_t l;
            if (blen < 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': page too short for "
                            "definition levels",
                            lf->dotted);
            l = (uint32_t)body[0] | (uint32_t)body[1] << 8 |
                (uint32_t)body[2] << 16 | (uint32_t)body[3] << 24;
            if (l > blen - 4)
                return RERR(r, JC_EPARSE,
                            "column '%s': definition levels "
                            "length %u exceeds page",
                            lf->dotted, l);
            lv_def = body + 4;
            def_len = l;
            body += 4 + l;
            blen -= 4 + l;
        }
        rc = lake_parquet__rle_decode_u8(
            lv_def, def_len, lake_parquet__bit_width((uint64_t)lf->max_def),
            r->def, n, &used);
        if (rc)
            return jc_err_wrap(rc, "'%s': column '%s': definition levels",
                               r->name, lf->dotted);
        def = r->def;
        n_vals = count_eq(def, n, (uint8_t)lf->max_def);
    }
    base = leaf->length;
    rc = decode_values(r, lf, leaf, h->encoding, body, blen, n_vals);
    if (rc)
        return rc;
    if (leaf->length != base + n_vals)
        return RERR(r, JC_EPARSE,
                    "column '%s': decoded %zu values, "
                    "expected %zu",
                    lf->dotted, leaf->length - base, n_vals);
    if (lf->depth == 1) {
        if (n_vals != n) {
            for (i = 0; i < n; i++)
                r->mask[i] = def[i] == lf->max_def;
            spread(leaf, base, n_vals, r->mask, n);
        }
        return 0;
    }
    {
        size_t n_leaf = 0;
        size_t ones = 0;
        rc = assemble(r, lf, cols, rep, def, n, r->mask, &n_leaf);
        if (rc)
            return rc;
        for (i = 0; i < n_leaf; i++)
            ones += r->mask[i];
        if (ones != n_vals)
            return RERR(r, JC_EPARSE,
                        "column '%s': levels and values "
                        "disagree",
                        lf->dotted);
        spread(leaf, base, n_vals, r->mask, n_leaf);
    }
    return 0;
}

static int read_chunk(struct lake_parquet_reader *r, size_t rg, size_t li,
                      struct lake_column **cols)
{
    const struct pq_chunk *cc = &r->meta.rgs[rg].chunks[li];
    const struct pq_leaf *lf = &r->lo.leaves[li];
    uint64_t start = (uint64_t)cc->data_page_offset;
    uint64_t end;
    uint64_t pos;
    int64_t seen = 0;
    int rc;

    r->dict_valid = false;
    if (cc->has_dict_offset && cc->dictionary_page_offset > 0 &&
        cc->dictionary_page_offset < cc->data_page_offset)
        start = (uint64_t)cc->dictionary_page_offset;
    if (cc->data_page_offset < 4 || start >= r->footer_start)
        return RERR(r, JC_EPARSE,
                    "column '%s' in row group %zu starts at "
                    "offset %lld, outside the data",
                    lf->dotted, rg, (long long)start);
    if (cc->type != lf->phys)
        return RERR(r, JC_EPARSE,
                    "column '%s': chunk type %d differs from "
                    "schema type %d",
                    lf->dotted, cc->type, lf->phys);
    if (!lake_codec__supported(cc->codec))
        return RERR(r, JC_EUNSUPPORTED, "column '%s': compression codec %d",
                    lf->dotted, cc->codec);
    if (cc->num_values < 0)
        return RERR(r, JC_EPARSE, "column '%s': negative num_values",
                    lf->dotted);
    end = r->footer_start;
    if (cc->total_compressed > 0 &&
        (uint64_t)cc->total_compressed <= end - start)
        end = start + (uint64_t)cc->total_compressed;
    pos = start;
    while (seen < cc->num_values) {
        struct pq_page_header h;
        size_t hlen;
        const uint8_t *body;
        size_t blen;
        if (pos >= end)
            return RERR(r, JC_EPARSE,
                        "column '%s': chunk ends at offset "
                        "%llu after %lld of %lld values",
                        lf->dotted, (unsigned long long)pos, (long long)seen,
                        (long long)cc->num_values);
        rc = lake_parquet__page_header_parse(&h, r->data + pos,
                                             (size_t)(end - pos), pos, &hlen);
        if (rc)
            return jc_err_wrap(rc,
                               "'%s': column '%s': page header at offset "
                               "%llu",
                               r->name, lf->dotted, (unsigned long long)pos);
        pos += hlen;
        if ((uint64_t)h.compressed > end - pos)
            return RERR(r, JC_EPARSE,
                        "page header at offset %llu: "
                        "compressed size %d exceeds chunk",
                        (unsigned long long)(pos - hlen), h.compressed);
        if ((size_t)h.uncompressed > LAKE_PARQUET_MAX_PAGE)
            return RERR(r, JC_ETOOBIG,
                        "page header at offset %llu: "
                        "uncompressed size %d exceeds the cap",
                        (unsigned long long)(pos - hlen), h.uncompressed);
        body = r->data + pos;
        blen = (size_t)h.compressed;
        pos += (uint64_t)h.compressed;
        if (h.type == PQ_PAGE_DICTIONARY || h.type == PQ_PAGE_DATA) {
            if (cc->codec != LAKE_CODEC_UNCOMPRESSED) {
                r->page = scratch(r->page, &r->page_cap,
                                  (size_t)h.uncompressed + 1, 1);
                rc = lake_codec__decompress(cc->codec, body, blen, r->page,
                                            (size_t)h.uncompressed);
                if (rc)
                    return jc_err_wrap(rc,
                                       "'%s': column '%s': page at offset "
                                       "%llu",
                                       r->name, lf->dotted,
                                       (unsigned long long)(pos - blen - hlen));
                body = r->page;
                blen = (size_t)h.uncompressed;
            }
        }
        if (h.type == PQ_PAGE_DICTIONARY) {
            if (!h.has_dict)
                return RERR(r, JC_EPARSE, "dictionary page without header");
            if (h.encoding != PQ_ENC_PLAIN &&
                h.encoding != PQ_ENC_PLAIN_DICTIONARY)
                return RERR(r, JC_EUNSUPPORTED,
                            "column '%s': dictionary "
                            "encoding %d",
                            lf->dotted, h.encoding);
            if ((size_t)h.num_values > blen + 1 && lf->phys != PQ_BOOLEAN)
                return RERR(r, JC_EPARSE,
                            "column '%s': dictionary of %d "
                            "values exceeds its page",
                            lf->dotted, h.num_values);
            rc = read_dict_page(r, lf, body, blen, (size_t)h.num_values);
            if (rc)
                return jc_err_wrap(rc, "'%s': column '%s'", r->name,
                                   lf->dotted);
        } else if (h.type == PQ_PAGE_DATA) {
            if (!h.has_data)
                return RERR(r, JC_EPARSE, "data page without header");
            rc =
                data_page(r, lf, cols, &h, body, blen, NULL, 0, NULL, 0, false);
            if (rc)
                return rc;
            seen += h.num_values;
        } else if (h.type == PQ_PAGE_DATA_V2) {
            size_t lv = (size_t)h.rep_len + (size_t)h.def_len;
            const uint8_t *vals;
            size_t vlen;
            if (!h.has_v2)
                return RERR(r, JC_EPARSE, "data page v2 without header");
            if (lv > blen || (size_t)h.uncompressed < lv)
                return RERR(r, JC_EPARSE,
                            "column '%s': v2 level lengths "
                            "exceed the page",
                            lf->dotted);
            vals = body + lv;
            vlen = blen - lv;
            if (cc->codec != LAKE_CODEC_UNCOMPRESSED && h.is_compressed) {
                size_t un = (size_t)h.uncompressed - lv;
                r->page = scratch(r->page, &r->page_cap, un + 1, 1);
                rc = lake_codec__decompress(cc->codec, vals, vlen, r->page, un);
                if (rc)
                    return jc_err_wrap(rc, "'%s': column '%s': v2 page",
                                       r->name, lf->dotted);
                vals = r->page;
                vlen = un;
            }
            rc = data_page(r, lf, cols, &h, vals, vlen, body, (size_t)h.rep_len,
                           body + h.rep_len, (size_t)h.def_len, true);
            if (rc)
                return rc;
            seen += h.num_values;
        }
        /* index pages and unknown page types are skipped */
    }
    return 0;
}

int lake_parquet_reader_read_row_group_into(struct lake_parquet_reader *r,
                                            size_t rg, struct lake_batch *b)
{
    size_t j;
    size_t li;
    int64_t rows;
    int rc;

    if (rg >= r->meta.n_rg)
        return RERR(r, JC_EINVAL, "no row group %zu", rg);
    if (b->n_columns != r->n_sel)
        return RERR(r, JC_EINVAL, "batch has %zu columns, projection has %zu",
                    b->n_columns, r->n_sel);
    rows = r->meta.rgs[rg].num_rows;
    for (j = 0; j < r->n_sel; j++) {
        size_t top = r->sel[j];
        size_t before = b->columns[j].length;
        for (li = 0; li < r->lo.n_leaves; li++) {
            const struct pq_leaf *lf = &r->lo.leaves[li];
            struct lake_column *cols[LAKE_NESTING_MAX + 1];
            size_t k;
            if (lf->top != top)
                continue;
            cols[0] = &b->columns[j];
            if (lf->depth == 1 && rows > 0 && rows <= ((int64_t)16 << 20)) {
                /* flat column: one allocation for the whole row group */
                const struct pq_chunk *cc = &r->meta.rgs[rg].chunks[li];
                lake_column_reserve(cols[0], (size_t)rows);
                if (cols[0]->type == LAKE_TYPE_STRING ||
                    cols[0]->type == LAKE_TYPE_BINARY) {
                    int64_t un = cc->total_uncompressed;
                    if (un > 0 && (uint64_t)un <= LAKE_PARQUET_MAX_PAGE)
                        lake_column_reserve_data(cols[0], (size_t)un);
                }
            }
            for (k = 1; k < lf->depth; k++)
                cols[k] = &cols[k - 1]->children[lf->nodes[k].child_index];
            rc = read_chunk(r, rg, li, cols);
            if (rc)
                return rc;
        }
        if ((int64_t)(b->columns[j].length - before) != rows)
            return RERR(r, JC_EPARSE,
                        "row group %zu: column '%s' has %zu "
                        "rows, expected %lld",
                        rg, r->schema.fields[top].name,
                        b->columns[j].length - before, (long long)rows);
    }
    if (r->n_sel == 0)
        b->num_rows += (size_t)rows;
    else
        b->num_rows = b->columns[0].length;
    return 0;
}

int lake_parquet_reader_read_row_group(struct lake_parquet_reader *r, size_t rg,
                                       struct lake_batch **out)
{
    struct lake_batch *b = lake_batch_new(&r->batch_schema);
    int rc = lake_parquet_reader_read_row_group_into(r, rg, b);

    if (rc) {
        lake_batch_free(b);
        *out = NULL;
        return rc;
    }
    *out = b;
    return 0;
}

int lake_parquet_reader_read_all(struct lake_parquet_reader *r,
                                 struct lake_batch **out)
{
    struct lake_batch *b = lake_batch_new(&r->batch_schema);
    size_t g;
    int rc = 0;

    for (g = 0; rc == 0 && g < r->meta.n_rg; g++)
        rc = lake_parquet_reader_read_row_group_into(r, g, b);
    if (rc) {
        lake_batch_free(b);
        *out = NULL;
        return rc;
    }
    *out = b;
    return 0;
}

int lake_parquet_read_file(const char *path, const char *const *names, size_t n,
                           struct lake_batch **out)
{
    struct lake_parquet_reader *r;
    int rc;

    *out = NULL;
    rc = lake_parquet_reader_open(&r, path);
    if (rc)
        return rc;
    rc = lake_parquet_reader_select(r, names, n);
    if (rc == 0)
        rc = lake_parquet_reader_read_all(r, out);
    lake_parquet_reader_free(r);
    return rc;
}
