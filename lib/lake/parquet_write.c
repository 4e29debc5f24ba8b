/*
 * parquet_write.c: the streaming Parquet writer's file layer: the public
 * writer API (open, write, set_kv, close, abort, write_file), row-group
 * assembly (dictionary page + buffered data pages per column chunk) and the
 * FileMetaData footer. Per-leaf level/value encoding into pages is
 * parquet_write_page.c, statistics parquet_write_stats.c; reading is
 * parquet_read.c.
 */
#include "parquet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/thrift.h"
#include "util/mem.h"

#define STEP_ROWS 8192
#define MAX_STAT_BYTES 4096

/* ---------------------------------------------------------------- file */

static int write_all(struct lake_parquet_writer *w, const void *p, size_t n)
{
    const char *c = p;

    while (n) {
        ssize_t k = write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return jc_err_set(JC_EIO, "cannot write '%s': %s", w->path,
                              strerror(errno));
        }
        c += k;
        n -= (size_t)k;
        w->file_pos += (uint64_t)k;
    }
    return 0;
}

/* ---------------------------------------------------------------- chunks */

static int flush_row_group(struct lake_parquet_writer *w)
{
    struct rg_meta *rg;
    size_t i;
    int rc;

    if (w->rg_rows == 0)
        return 0;
    w->rgs = ju_xrealloc(w->rgs, (w->n_rgs + 1) * sizeof(*w->rgs));
    rg = &w->rgs[w->n_rgs++];
    memset(rg, 0, sizeof(*rg));
    rg->num_rows = w->rg_rows;
    rg->file_offset = (int64_t)w->file_pos;
    rg->chunks =
        ju_xcalloc(w->lo.n_leaves ? w->lo.n_leaves : 1, sizeof(*rg->chunks));
    for (i = 0; i < w->lo.n_leaves; i++) {
        struct wleaf *wl = &w->leaves[i];
        struct chunk_meta *cm = &rg->chunks[i];
        rc = lake_parquet__flush_page(w, wl);
        if (rc)
            return rc;
        cm->dict_page_offset = -1;
        if (wl->cm.enc_dict) {
            ju_buf_reset(&w->comp);
            rc = lake_codec__compress(w->opts.codec, w->opts.compression_level,
                                      wl->dict_plain.data, wl->dict_plain.len,
                                      &w->comp);
            if (rc)
                return rc;
            lake_parquet__write_page_header(&w->hdr, PQ_PAGE_DICTIONARY,
                                            wl->dict_plain.len, w->comp.len,
                                            wl->dict_n, PQ_ENC_PLAIN, true);
            cm->dict_page_offset = (int64_t)w->file_pos;
            rc = write_all(w, w->hdr.data, w->hdr.len);
            if (rc == 0)
                rc = write_all(w, w->comp.data, w->comp.len);
            if (rc)
                return rc;
            wl->cm.uncompressed += (int64_t)(w->hdr.len + wl->dict_plain.len);
            wl->cm.compressed += (int64_t)(w->hdr.len + w->comp.len);
        }
        wl->cm.data_page_offset = (int64_t)w->file_pos;
        rc = write_all(w, wl->chunk.data, wl->chunk.len);
        if (rc)
            return rc;
        cm->num_values = wl->cm.num_values;
        cm->uncompressed = wl->cm.uncompressed;
        cm->compressed = wl->cm.compressed;
        cm->data_page_offset = wl->cm.data_page_offset;
        cm->enc_plain = wl->cm.enc_plain;
        cm->enc_dict = wl->cm.enc_dict;
        cm->st = wl->cm.st; /* moves the buffers */
        memset(&wl->cm.st, 0, sizeof(wl->cm.st));
        lake_parquet__sacc_merge(&wl->file_st, &cm->st,
                                 lake_parquet__stat_cat(wl->lf));
        rg->total_bytes += cm->uncompressed;
        rg->total_compressed += cm->compressed;
        /* reset the chunk */
        memset(&wl->cm, 0, sizeof(wl->cm));
        ju_buf_reset(&wl->chunk);
        wl->chunk_pages = 0;
        lake_parquet__dict_reset(wl);
        wl->use_dict = wl->dict_ok && w->opts.dictionary;
        wl->dict_full = false;
        wl->dict_decided = false;
        wl->dict_sampled = false;
    }
    w->total_rows += w->rg_rows;
    w->rg_rows = 0;
    return 0;
}

static size_t buffered_bytes(const struct lake_parquet_writer *w)
{
    size_t i;
    size_t n = 0;

    for (i = 0; i < w->lo.n_leaves; i++)
        n += w->leaves[i].chunk.len +
             lake_parquet__pending_bytes(&w->leaves[i]) +
             w->leaves[i].dict_plain.len;
    return n;
}

/* ---------------------------------------------------------------- API */

static void writer_free(struct lake_parquet_writer *w)
{
    size_t i;
    size_t k;

    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    for (i = 0; i < w->lo.n_leaves; i++)
        lake_parquet__wleaf_release(&w->leaves[i]);
    free(w->leaves);
    for (i = 0; i < w->n_rgs; i++) {
        for (k = 0; k < w->lo.n_leaves; k++)
            lake_parquet__sacc_release(&w->rgs[i].chunks[k].st);
        free(w->rgs[i].chunks);
    }
    free(w->rgs);
    for (i = 0; i < w->n_kv; i++) {
        free(w->kv_keys[i]);
        free(w->kv_vals[i]);
    }
    free(w->kv_keys);
    free(w->kv_vals);
    free(w->top_nulls);
    lake_parquet__layout_release(&w->lo);
    lake_schema_release(&w->schema);
    ju_buf_release(&w->page);
    ju_buf_release(&w->comp);
    ju_buf_release(&w->hdr);
    ju_buf_release(&w->lvl);
    free(w->created_by);
    free(w->path);
    free(w);
}

int lake_parquet_writer_open(struct lake_parquet_writer **out, const char *path,
                             const struct lake_schema *schema,
                             const struct lake_parquet_write_opts *opts)
{
    struct lake_parquet_write_opts def = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_parquet_writer *w;
    size_t i;
    int rc;

    *out = NULL;
    if (!opts)
        opts = &def;
    if (!lake_codec__supported(opts->codec))
        return jc_err_set(JC_EINVAL, "unsupported codec %d", opts->codec);
    if (schema->n_fields == 0)
        return jc_err_set(JC_EINVAL,
                          "cannot write '%s': schema has no "
                          "columns",
                          path);
    w = ju_xcalloc(1, sizeof(*w));
    w->fd = -1;
    w->path = ju_xstrdup(path);
    w->opts = *opts;
    if (w->opts.page_bytes < 1024)
        w->opts.page_bytes = 1024;
    if (w->opts.page_bytes > ((size_t)256 << 20))
        w->opts.page_bytes = (size_t)256 << 20;
    if (w->opts.row_group_bytes < w->opts.page_bytes)
        w->opts.row_group_bytes = w->opts.page_bytes;
    if (w->opts.dictionary_bytes > ((size_t)512 << 20))
        w->opts.dictionary_bytes = (size_t)512 << 20;
    w->created_by = ju_xstrdup(opts->created_by ? opts->created_by
                                                : LAKE_PARQUET_CREATED_BY);
    w->opts.created_by = NULL;
    lake_schema_copy(&w->schema, schema);
    rc = lake_parquet__layout_from_schema(&w->lo, &w->schema);
    if (rc) {
        jc_err_wrap(rc, "cannot write '%s'", path);
        writer_free(w);
        return rc;
    }
    w->leaves = ju_xcalloc(w->lo.n_leaves, sizeof(*w->leaves));
    for (i = 0; i < w->lo.n_leaves; i++)
        lake_parquet__wleaf_init(w, &w->leaves[i], &w->lo.leaves[i]);
    w->top_nulls = ju_xcalloc(schema->n_fields, sizeof(int64_t));
    ju_buf_init(&w->page, 0);
    ju_buf_init(&w->comp, 0);
    ju_buf_init(&w->hdr, 0);
    ju_buf_init(&w->lvl, 0);
    w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        rc =
            jc_err_set(JC_EIO, "cannot create '%s': %s", path, strerror(errno));
        writer_free(w);
        return rc;
    }
    rc = write_all(w, "PAR1", 4);
    if (rc) {
        writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int lake_parquet_writer_set_kv(struct lake_parquet_writer *w, const char *key,
                               const char *value)
{
    w->kv_keys = ju_xrealloc(w->kv_keys, (w->n_kv + 1) * sizeof(char *));
    w->kv_vals = ju_xrealloc(w->kv_vals, (w->n_kv + 1) * sizeof(char *));
    w->kv_keys[w->n_kv] = ju_xstrdup(key);
    w->kv_vals[w->n_kv] = ju_xstrdup(value ? value : "");
    w->n_kv++;
    return 0;
}

int lake_parquet_writer_write(struct lake_parquet_writer *w,
                              const struct lake_batch *batch)
{
    size_t a;
    size_t i;
    int rc;

    if (w->err)
        return jc_err_set(JC_ESTATE, "'%s': writer failed earlier", w->path);
    if (!lake_schema_equal(&w->schema, &batch->schema))
        return jc_err_set(JC_EINVAL,
                          "'%s': batch schema differs from the "
                          "file schema",
                          w->path);
    for (i = 0; i < batch->n_columns; i++) {
        if (batch->columns[i].length != batch->num_rows)
            return jc_err_set(JC_EINVAL,
                              "'%s': column '%s' has %zu rows, batch has %zu",
                              w->path, batch->schema.fields[i].name,
                              batch->columns[i].length, batch->num_rows);
        if (!w->schema.fields[i].nullable && batch->columns[i].null_count)
            return jc_err_set(JC_EINVAL,
                              "'%s': column '%s' is not nullable but has %zu "
                              "nulls",
                              w->path, batch->schema.fields[i].name,
                              batch->columns[i].null_count);
    }
    for (i = 0; i < batch->n_columns; i++)
        w->top_nulls[i] += (int64_t)batch->columns[i].null_count;
    for (a = 0; a < batch->num_rows;) {
        size_t b = a + STEP_ROWS;
        if (b > batch->num_rows)
            b = batch->num_rows;
        for (i = 0; i < w->lo.n_leaves; i++) {
            struct wleaf *wl = &w->leaves[i];
            rc = lake_parquet__leaf_add_rows(w, wl, batch, a, b);
            if (rc) {
                w->err = rc;
                return rc;
            }
            if (lake_parquet__pending_bytes(wl) >= w->opts.page_bytes ||
                (wl->use_dict &&
                 wl->dict_plain.len > w->opts.dictionary_bytes)) {
                rc = lake_parquet__flush_page(w, wl);
                if (rc) {
                    w->err = rc;
                    return rc;
                }
            }
        }
        w->rg_rows += (int64_t)(b - a);
        a = b;
        if (buffered_bytes(w) >= w->opts.row_group_bytes ||
            (w->opts.row_group_rows &&
             (size_t)w->rg_rows >= w->opts.row_group_rows)) {
            rc = flush_row_group(w);
            if (rc) {
                w->err = rc;
                return rc;
            }
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- footer */

static void write_path(struct ju_buf *b, const struct pq_leaf *lf)
{
    size_t k;
    size_t n = lf->path_len;

    for (k = 0; k < lf->depth; k++)
        if (lf->nodes[k].kind == PQN_LIST)
            n++;
    lake_thrift_write_list(b, LAKE_THRIFT_BINARY, n);
    for (k = 0; k < lf->depth; k++) {
        const char *name = lf->path[k];
        if (k > 0 && lf->nodes[k - 1].kind == PQN_LIST &&
            !lf->nodes[k - 1].is_map)
            name = "element";
        lake_thrift_write_binary(b, name, strlen(name));
        if (lf->nodes[k].kind == PQN_LIST) {
            const char *g = lf->nodes[k].is_map ? "key_value" : "list";
            lake_thrift_write_binary(b, g, strlen(g));
        }
    }
}

static void write_chunk_meta(struct lake_parquet_writer *w, struct ju_buf *b,
                             const struct wleaf *wl,
                             const struct chunk_meta *cm)
{
    int16_t last = 0;
    int16_t l2 = 0;
    struct ju_buf sb = JU_BUF_INIT;
    size_t nenc = 1 + (cm->enc_plain ? 1 : 0) + (cm->enc_dict ? 1 : 0);

    /* ColumnChunk */
    lake_thrift_field_i64(b, &last, 2,
                          cm->dict_page_offset >= 0 ? cm->dict_page_offset
                                                    : cm->data_page_offset);
    lake_thrift_write_field(b, &last, LAKE_THRIFT_STRUCT, 3);
    /* ColumnMetaData */
    lake_thrift_field_i32(b, &l2, 1, wl->lf->phys);
    lake_thrift_write_field(b, &l2, LAKE_THRIFT_LIST, 2);
    lake_thrift_write_list(b, LAKE_THRIFT_I32, nenc);
    lake_thrift_write_i32(b, PQ_ENC_RLE);
    if (cm->enc_plain)
        lake_thrift_write_i32(b, PQ_ENC_PLAIN);
    if (cm->enc_dict)
        lake_thrift_write_i32(b, PQ_ENC_RLE_DICTIONARY);
    lake_thrift_write_field(b, &l2, LAKE_THRIFT_LIST, 3);
    write_path(b, wl->lf);
    lake_thrift_field_i32(b, &l2, 4, w->opts.codec);
    lake_thrift_field_i64(b, &l2, 5, cm->num_values);
    lake_thrift_field_i64(b, &l2, 6, cm->uncompressed);
    lake_thrift_field_i64(b, &l2, 7, cm->compressed);
    lake_thrift_field_i64(b, &l2, 9, cm->data_page_offset);
    if (cm->dict_page_offset >= 0)
        lake_thrift_field_i64(b, &l2, 11, cm->dict_page_offset);
    {
        int16_t l3 = 0;
        lake_thrift_write_field(b, &l2, LAKE_THRIFT_STRUCT, 12);
        lake_thrift_field_i64(b, &l3, 3, cm->st.nulls);
        if (cm->st.has && wl->lf->conv != PQ_CONV_INT96) {
            struct ju_buf mx = JU_BUF_INIT;
            lake_parquet__stat_bytes(wl, &cm->st, true, &mx);
            lake_parquet__stat_bytes(wl, &cm->st, false, &sb);
            if (mx.len <= MAX_STAT_BYTES && sb.len <= MAX_STAT_BYTES) {
                lake_thrift_field_binary(b, &l3, 5, mx.data, mx.len);
                lake_thrift_field_binary(b, &l3, 6, sb.data, sb.len);
            }
            ju_buf_release(&mx);
        }
        lake_thrift_write_stop(b);
    }
    lake_thrift_write_stop(b); /* ColumnMetaData */
    lake_thrift_write_stop(b); /* ColumnChunk */
    ju_buf_release(&sb);
}

static int write_footer(struct lake_parquet_writer *w)
{
    struct ju_buf b = JU_BUF_INIT;
    int16_t last = 0;
    size_t i;
    size_t k;
    uint8_t len4[4];
    int rc;

    lake_thrift_field_i32(&b, &last, 1, 1);
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 2);
    lake_parquet__write_schema(&b, &w->schema, w->opts.write_field_ids);
    lake_thrift_field_i64(&b, &last, 3, w->total_rows);
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 4);
    lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->n_rgs);
    for (i = 0; i < w->n_rgs; i++) {
        const struct rg_meta *rg = &w->rgs[i];
        int16_t l2 = 0;
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_LIST, 1);
        lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->lo.n_leaves);
        for (k = 0; k < w->lo.n_leaves; k++)
            write_chunk_meta(w, &b, &w->leaves[k], &rg->chunks[k]);
        lake_thrift_field_i64(&b, &l2, 2, rg->total_bytes);
        lake_thrift_field_i64(&b, &l2, 3, rg->num_rows);
        lake_thrift_field_i64(&b, &l2, 5, rg->file_offset);
        lake_thrift_field_i64(&b, &l2, 6, rg->total_compressed);
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_I16, 7);
        lake_thrift_write_i32(&b, (int32_t)i);
        lake_thrift_write_stop(&b);
    }
    if (w->n_kv) {
        lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 5);
        lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->n_kv);
        for (i = 0; i < w->n_kv; i++) {
            int16_t l2 = 0;
            lake_thrift_field_string(&b, &l2, 1, w->kv_keys[i]);
            lake_thrift_field_string(&b, &l2, 2, w->kv_vals[i]);
            lake_thrift_write_stop(&b);
        }
    }
    lake_thrift_field_string(&b, &last, 6, w->created_by);
    lake_thrift_write_field(&b, &last, LAKE_THRIFT_LIST, 7);
    lake_thrift_write_list(&b, LAKE_THRIFT_STRUCT, w->lo.n_leaves);
    for (k = 0; k < w->lo.n_leaves; k++) {
        int16_t l2 = 0;
        lake_thrift_write_field(&b, &l2, LAKE_THRIFT_STRUCT, 1);
        lake_thrift_write_stop(&b);
        lake_thrift_write_stop(&b);
    }
    lake_thrift_write_stop(&b);
    lake_parquet__put_u32le(len4, (uint32_t)b.len);
    rc = write_all(w, b.data, b.len);
    if (rc == 0)
        rc = write_all(w, len4, 4);
    if (rc == 0)
        rc = write_all(w, "PAR1", 4);
    ju_buf_release(&b);
    return rc;
}

int lake_parquet_writer_close(struct lake_parquet_writer *w,
                              struct lake_parquet_file_stats *stats_out)
{
    int rc;

    if (stats_out)
        memset(stats_out, 0, sizeof(*stats_out));
    if (!w)
        return jc_err_set(JC_EINVAL, "no writer");
    rc = w->err;
    if (rc == 0)
        rc = flush_row_group(w);
    if (rc == 0)
        rc = write_footer(w);
    if (rc == 0 && fsync(w->fd) != 0)
        rc = jc_err_set(JC_EIO, "cannot fsync '%s': %s", w->path,
                        strerror(errno));
    if (rc == 0) {
        int fd = w->fd;
        w->fd = -1;
        if (close(fd) != 0)
            rc = jc_err_set(JC_EIO, "cannot close '%s': %s", w->path,
                            strerror(errno));
    }
    if (rc == 0 && stats_out)
        lake_parquet__fill_stats(w, stats_out);
    if (rc)
        unlink(w->path);
    writer_free(w);
    return rc;
}

void lake_parquet_writer_abort(struct lake_parquet_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0) {
        close(w->fd);
        w->fd = -1;
    }
    unlink(w->path);
    writer_free(w);
}

int lake_parquet_write_file(const char *path, const struct lake_batch *batch,
                            const struct lake_parquet_write_opts *opts,
                            struct lake_parquet_file_stats *stats_out)
{
    struct lake_parquet_writer *w;
    int rc = lake_parquet_writer_open(&w, path, &batch->schema, opts);

    if (rc)
        return rc;
    rc = lake_parquet_writer_write(w, batch);
    if (rc) {
        lake_parquet_writer_abort(w);
        return rc;
    }
    return lake_parquet_writer_close(w, stats_out);
}
