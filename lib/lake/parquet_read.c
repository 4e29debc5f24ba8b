/*
 * parquet_read.c: the Parquet reader's file layer: maps the file (or
 * borrows a memory buffer), checks the magic and decodes the footer and
 * schema, column projection, row-group statistics and the public read API
 * (row group / whole file into lake_batch). Decoding a column chunk's pages
 * is parquet_read_page.c, values parquet_read_values.c; writing is
 * parquet_write.c.
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

__attribute__((format(printf, 3, 4))) int
lake_parquet__reader_err(const struct lake_parquet_reader *r, int code,
                         const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return jc_err_set(code, "'%s': %s", r->name, msg);
}

void *lake_parquet__scratch(void *p, size_t *cap, size_t need, size_t elem)
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
        lake_parquet__stats_describe_leaf(c, lf);
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

/* ---------------------------------------------------------------- read */

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
            rc = lake_parquet__read_chunk(r, rg, li, cols);
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
