/*
 * delta_checkpoint.c: V1 checkpoints. Reading: classic or multi-part
 * Parquet files, columns found by name, rows turned into actions for the
 * replay. Writing: Spark's checkpoint schema (txn, add, remove, metaData,
 * protocol) through the nested Parquet writer, then _last_checkpoint.
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "util/mem.h"

static int read_part(struct lake_replay *r, const char *path)
{
    static const char *const want[] = {"protocol", "metaData", "txn", "add",
                                       "remove"};
    struct lake_parquet_reader *pr = NULL;
    const struct lake_schema *fs;
    const char *names[5];
    size_t n = 0;
    size_t i;
    size_t rg;
    int rc = lake_parquet_reader_open(&pr, path);

    if (rc)
        return rc;
    fs = lake_parquet_reader_schema(pr);
    for (i = 0; i < 5; i++) {
        if (lake_schema_find(fs, want[i]) >= 0)
            names[n++] = want[i];
    }
    if (n == 0) {
        lake_parquet_reader_free(pr);
        return jc_err_set(JC_EPARSE, "'%s': checkpoint has no action columns",
                          path);
    }
    rc = lake_parquet_reader_select(pr, names, n);
    for (rg = 0; rc == 0 && rg < lake_parquet_reader_num_row_groups(pr); rg++) {
        struct lake_batch *b = NULL;

        rc = lake_parquet_reader_read_row_group(pr, rg, &b);
        if (rc == 0)
            rc = lake_replay_checkpoint_batch(r, b, path);
        if (b)
            lake_batch_free(b);
    }
    lake_parquet_reader_free(pr);
    return rc;
}

int lake_ckpt_read(struct lake_replay *r, const char *log_dir, int64_t version,
                   int parts)
{
    int k;

    if (parts <= 1) {
        char *p = lake_log_ckpt_path(log_dir, version, 1, 1);
        int rc = read_part(r, p);

        free(p);
        return rc;
    }
    for (k = 1; k <= parts; k++) {
        char *p = lake_log_ckpt_path(log_dir, version, k, parts);
        int rc = read_part(r, p);

        free(p);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- writing ---- */

static void add_str(struct lake_field *parent, const char *name)
{
    struct lake_field f;

    lake_field_init(&f, name, LAKE_TYPE_STRING, true);
    lake_field_add_child(parent, &f);
    lake_field_release(&f);
}

static void add_prim(struct lake_field *parent, const char *name,
                     enum lake_type t)
{
    struct lake_field f;

    lake_field_init(&f, name, t, true);
    lake_field_add_child(parent, &f);
    lake_field_release(&f);
}

static void add_strmap(struct lake_field *parent, const char *name)
{
    struct lake_field k, v, m;

    lake_field_init(&k, "key", LAKE_TYPE_STRING, false);
    lake_field_init(&v, "value", LAKE_TYPE_STRING, true);
    lake_field_init_map(&m, name, &k, &v, true);
    lake_field_add_child(parent, &m);
    lake_field_release(&k);
    lake_field_release(&v);
    lake_field_release(&m);
}

static void add_strlist(struct lake_field *parent, const char *name)
{
    struct lake_field e, a;

    lake_field_init(&e, "element", LAKE_TYPE_STRING, true);
    lake_field_init_array(&a, name, &e, true);
    lake_field_add_child(parent, &a);
    lake_field_release(&e);
    lake_field_release(&a);
}

static struct lake_schema *ckpt_schema(void)
{
    struct lake_schema *s = lake_schema_new();
    struct lake_field f, fmt;

    lake_field_init(&f, "txn", LAKE_TYPE_STRUCT, true);
    add_str(&f, "appId");
    add_prim(&f, "version", LAKE_TYPE_LONG);
    add_prim(&f, "lastUpdated", LAKE_TYPE_LONG);
    lake_schema_add(s, &f);
    lake_field_release(&f);

    lake_field_init(&f, "add", LAKE_TYPE_STRUCT, true);
    add_str(&f, "path");
    add_strmap(&f, "partitionValues");
    add_prim(&f, "size", LAKE_TYPE_LONG);
    add_prim(&f, "modificationTime", LAKE_TYPE_LONG);
    add_prim(&f, "dataChange", LAKE_TYPE_BOOLEAN);
    add_str(&f, "stats");
    add_strmap(&f, "tags");
    lake_schema_add(s, &f);
    lake_field_release(&f);

    lake_field_init(&f, "remove", LAKE_TYPE_STRUCT, true);
    add_str(&f, "path");
    add_prim(&f, "deletionTimestamp", LAKE_TYPE_LONG);
    add_prim(&f, "dataChange", LAKE_TYPE_BOOLEAN);
    lake_schema_add(s, &f);
    lake_field_release(&f);

    lake_field_init(&f, "metaData", LAKE_TYPE_STRUCT, true);
    add_str(&f, "id");
    add_str(&f, "name");
    add_str(&f, "description");
    lake_field_init(&fmt, "format", LAKE_TYPE_STRUCT, true);
    add_str(&fmt, "provider");
    add_strmap(&fmt, "options");
    lake_field_add_child(&f, &fmt);
    lake_field_release(&fmt);
    add_str(&f, "schemaString");
    add_strlist(&f, "partitionColumns");
    add_strmap(&f, "configuration");
    add_prim(&f, "createdTime", LAKE_TYPE_LONG);
    lake_schema_add(s, &f);
    lake_field_release(&f);

    lake_field_init(&f, "protocol", LAKE_TYPE_STRUCT, true);
    add_prim(&f, "minReaderVersion", LAKE_TYPE_INTEGER);
    add_prim(&f, "minWriterVersion", LAKE_TYPE_INTEGER);
    add_strlist(&f, "readerFeatures");
    add_strlist(&f, "writerFeatures");
    lake_schema_add(s, &f);
    lake_field_release(&f);
    return s;
}

static void put_str(struct lake_column *c, const char *s)
{
    if (s)
        lake_batch_append_str(c, s, strlen(s));
    else
        lake_batch_append_null(c);
}

static void put_kv(struct lake_column *m, const struct lake_kv *kv, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        put_str(&m->children[0], kv[i].key);
        put_str(&m->children[1], kv[i].value);
    }
    lake_batch_end_list(m);
}

static void put_list(struct lake_column *a, char **v)
{
    size_t i;

    if (!v) {
        lake_batch_append_null(a);
        return;
    }
    for (i = 0; v[i]; i++)
        put_str(&a->children[0], v[i]);
    lake_batch_end_list(a);
}

enum { C_TXN, C_ADD, C_REMOVE, C_META, C_PROTO, C_N };

/* Append one row where only column `which` is non-null; fill via cb. */
static void null_others(struct lake_batch *b, int which)
{
    int i;

    for (i = 0; i < C_N; i++) {
        if (i != which)
            lake_batch_append_null(&b->columns[i]);
    }
}

int lake_ckpt_write(const char *log_dir, const struct lake_snapshot *s)
{
    struct lake_schema *schema = ckpt_schema();
    struct lake_batch *b = lake_batch_new(schema);
    struct lake_parquet_write_opts opts = LAKE_PARQUET_WRITE_OPTS_INIT;
    char *final = lake_log_ckpt_path(log_dir, s->version, 1, 1);
    char *tmp;
    char uuid[37];
    char *lc;
    char *lcj;
    size_t i;
    int rc;
    struct lake_column *c;
    int64_t expire_before =
        lake_fs_now_ms() -
        (int64_t)(lake_delta__retention_hours(s) * 3600.0 * 1000.0);

    /* protocol */
    null_others(b, C_PROTO);
    c = &b->columns[C_PROTO];
    lake_batch_append_struct(c);
    lake_batch_append_i32(&c->children[0], s->min_reader_version);
    lake_batch_append_i32(&c->children[1], s->min_writer_version);
    put_list(&c->children[2], s->reader_features);
    put_list(&c->children[3], s->writer_features);
    /* metaData */
    null_others(b, C_META);
    c = &b->columns[C_META];
    lake_batch_append_struct(c);
    put_str(&c->children[0], s->metadata_id);
    put_str(&c->children[1], s->name);
    lake_batch_append_null(&c->children[2]);
    lake_batch_append_struct(&c->children[3]);
    put_str(&c->children[3].children[0], "parquet");
    lake_batch_end_list(&c->children[3].children[1]);
    put_str(&c->children[4], s->schema_string);
    {
        struct lake_column *pl = &c->children[5];

        for (i = 0; i < s->npartition_cols; i++)
            put_str(&pl->children[0], s->partition_cols[i]);
        lake_batch_end_list(pl);
    }
    put_kv(&c->children[6], s->config, s->nconfig);
    lake_batch_append_i64(&c->children[7], s->created_time);
    /* txns */
    for (i = 0; i < s->ntxns; i++) {
        null_others(b, C_TXN);
        c = &b->columns[C_TXN];
        lake_batch_append_struct(c);
        put_str(&c->children[0], s->txns[i].app_id);
        lake_batch_append_i64(&c->children[1], s->txns[i].version);
        lake_batch_append_i64(&c->children[2], s->txns[i].last_updated);
    }
    /* adds */
    for (i = 0; i < s->nfiles; i++) {
        const struct lake_file *f = &s->files[i];

        null_others(b, C_ADD);
        c = &b->columns[C_ADD];
        lake_batch_append_struct(c);
        put_str(&c->children[0], f->path);
        put_kv(&c->children[1], f->part, f->npart);
        lake_batch_append_i64(&c->children[2], f->size);
        lake_batch_append_i64(&c->children[3], f->modification_time);
        lake_batch_append_bool(&c->children[4], 0);
        put_str(&c->children[5], f->stats);
        lake_batch_append_null(&c->children[6]);
    }
    /* tombstones still inside the retention window (older ones can no
     * longer protect anything from VACUUM) */
    for (i = 0; i < s->ntombstones; i++) {
        if (s->tombstones[i].deletion_timestamp < expire_before)
            continue;
        null_others(b, C_REMOVE);
        c = &b->columns[C_REMOVE];
        lake_batch_append_struct(c);
        put_str(&c->children[0], s->tombstones[i].path);
        lake_batch_append_i64(&c->children[1],
                              s->tombstones[i].deletion_timestamp);
        lake_batch_append_bool(&c->children[2], 0);
    }
    rc = lake_batch_seal(b);
    if (rc)
        goto out;
    opts.codec = LAKE_CODEC_SNAPPY;
    lake_fs_uuid4(uuid);
    tmp = ju_xasprintf("%s/.%020lld.checkpoint.%s.parquet.tmp", log_dir,
                       (long long)s->version, uuid);
    rc = lake_parquet_write_file(tmp, b, &opts, NULL);
    if (rc == 0 && rename(tmp, final) < 0)
        rc = jc_err_set(JC_EIO, "cannot rename checkpoint into '%s'", final);
    if (rc)
        unlink(tmp);
    free(tmp);
    if (rc)
        goto out;
    lc = ju_xasprintf("%s/_last_checkpoint", log_dir);
    lcj = ju_xasprintf("{\"version\":%lld,\"size\":%zu}\n",
                       (long long)s->version, b->num_rows);
    rc = lake_fs_write_replace(lc, lcj, strlen(lcj));
    free(lc);
    free(lcj);
out:
    lake_batch_free(b);
    lake_schema_free(schema);
    free(final);
    return rc;
}
