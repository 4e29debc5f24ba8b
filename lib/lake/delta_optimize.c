/*
 * delta_optimize.c: OPTIMIZE: bin-packing of small files per partition and
 * ZORDER BY (rows ordered by interleaving the bits of each column's rank,
 * then cut into files), committed with dataChange=false.
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define DEFAULT_TARGET_ROWS 100000
#define SMALL_FILE_BYTES ((int64_t)128 << 20)

struct pgroup {
    char *key;
    size_t *files; /* indexes into snapshot files */
    size_t nfiles, afiles;
};

static char *part_key(const struct lake_file *f)
{
    struct ju_buf b = JU_BUF_INIT;
    size_t i;

    ju_buf_adds(&b, "");
    for (i = 0; i < f->npart; i++) {
        if (f->part[i].value)
            ju_buf_addf(&b, "%s=\x1f%s\x1e", f->part[i].key, f->part[i].value);
        else
            ju_buf_addf(&b, "%s\x1d\x1e", f->part[i].key);
    }
    return ju_buf_detach(&b, NULL);
}

/* ---- z-order ---- */

static const struct lake_column *g_sort_col; /* qsort has no context arg */

static int cmp_rows(const void *a, const void *b)
{
    size_t i = *(const size_t *)a;
    size_t j = *(const size_t *)b;
    const struct lake_column *c = g_sort_col;
    int ni = lake_column_is_null(c, i);
    int nj = lake_column_is_null(c, j);

    if (ni || nj)
        return nj - ni; /* nulls first */
    switch (c->type) {
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE: {
        double x = lake_column_get_f64(c, i);
        double y = lake_column_get_f64(c, j);

        return x < y ? -1 : x > y;
    }
    case LAKE_TYPE_DECIMAL: {
        lake_i128 x = lake_column_get_i128(c, i);
        lake_i128 y = lake_column_get_i128(c, j);

        return x < y ? -1 : x > y;
    }
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY: {
        size_t nx, ny;
        const char *x = lake_column_get_str(c, i, &nx);
        const char *y = lake_column_get_str(c, j, &ny);
        int r = memcmp(x, y, nx < ny ? nx : ny);

        if (r)
            return r;
        return nx < ny ? -1 : nx > ny;
    }
    default: {
        int64_t x = lake_column_get_i64(c, i);
        int64_t y = lake_column_get_i64(c, j);

        return x < y ? -1 : x > y;
    }
    }
}

static uint64_t *g_keys;

static int cmp_key(const void *a, const void *b)
{
    uint64_t x = g_keys[*(const size_t *)a];
    uint64_t y = g_keys[*(const size_t *)b];

    if (x != y)
        return x < y ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Order of rows of b by the Z-value of the given columns. */
static size_t *zorder(const struct lake_batch *b, const int *cols, size_t nc)
{
    size_t n = b->num_rows;
    size_t *idx = ju_xcalloc(n + 1, sizeof(size_t));
    uint32_t **rank = ju_xcalloc(nc, sizeof(uint32_t *));
    unsigned bits = (unsigned)(nc ? 63 / nc : 63);
    size_t c, r;
    uint64_t *keys = ju_xcalloc(n + 1, sizeof(uint64_t));

    if (bits > 20)
        bits = 20;
    for (c = 0; c < nc; c++) {
        size_t *ord = ju_xcalloc(n + 1, sizeof(size_t));
        size_t dist = 0;

        for (r = 0; r < n; r++)
            ord[r] = r;
        g_sort_col = &b->columns[cols[c]];
        qsort(ord, n, sizeof(size_t), cmp_rows);
        rank[c] = ju_xcalloc(n + 1, sizeof(uint32_t));
        /* equal values share a rank; ranks scaled to `bits` bits */
        for (r = 0; r < n; r++) {
            if (r > 0 && cmp_rows(&ord[r - 1], &ord[r]) != 0)
                dist = r;
            rank[c][ord[r]] =
                (uint32_t)(((uint64_t)dist << bits) / (n ? n : 1));
        }
        free(ord);
    }
    for (r = 0; r < n; r++) {
        uint64_t k = 0;
        int bit;

        for (bit = (int)bits - 1; bit >= 0; bit--) {
            for (c = 0; c < nc; c++)
                k = (k << 1) | ((rank[c][r] >> bit) & 1u);
        }
        keys[r] = k;
        idx[r] = r;
    }
    g_keys = keys;
    qsort(idx, n, sizeof(size_t), cmp_key);
    g_keys = NULL;
    for (c = 0; c < nc; c++)
        free(rank[c]);
    free(rank);
    free(keys);
    return idx;
}

struct collect {
    struct lake_batch *all;
};

static int append_rows(struct lake_batch *dst, const struct lake_batch *src)
{
    size_t c, r;

    for (c = 0; c < dst->n_columns; c++) {
        int k = lake_schema_find(&src->schema, dst->schema.fields[c].name);

        if (k < 0)
            return jc_err_set(JC_EINVAL, "missing column '%s'",
                              dst->schema.fields[c].name);
        lake_column_reserve(&dst->columns[c], src->num_rows);
        for (r = 0; r < src->num_rows; r++)
            lake_column__copy_row(&dst->columns[c], &src->columns[k], r);
    }
    return lake_batch_seal(dst);
}

static int rewrite_group(struct lake_table *t, struct lake_txn *tx,
                         const struct pgroup *g, const struct lake_schema *ds,
                         const int *zcols, size_t nz, int64_t target_rows)
{
    const struct lake_snapshot *s = t->snap;
    struct lake_batch *all = lake_batch_new(ds);
    const char **names = ju_xcalloc(ds->n_fields + 1, sizeof(char *));
    struct lake_scan_opts opts;
    size_t *order = NULL;
    size_t i, r, c;
    int rc = 0;

    memset(&opts, 0, sizeof(opts));
    for (i = 0; i < ds->n_fields; i++)
        names[i] = ds->fields[i].name;
    opts.columns = names;
    opts.ncolumns = ds->n_fields;
    for (i = 0; i < g->nfiles && rc == 0; i++) {
        struct lake_batch *b = NULL;

        rc = lake_table__read_path(t, &s->files[g->files[i]], &opts, &b);
        if (rc == 0)
            rc = append_rows(all, b);
        if (b)
            lake_batch_free(b);
    }
    if (rc)
        goto out;
    if (nz)
        order = zorder(all, zcols, nz);
    for (r = 0; r < all->num_rows && rc == 0;) {
        size_t end = r + (size_t)target_rows;
        struct lake_batch *ob = lake_batch_new(ds);
        const struct lake_file *f0 = &s->files[g->files[0]];

        if (end > all->num_rows)
            end = all->num_rows;
        for (c = 0; c < ob->n_columns; c++) {
            size_t k;

            lake_column_reserve(&ob->columns[c], end - r);
            for (k = r; k < end; k++)
                lake_column__copy_row(&ob->columns[c], &all->columns[c],
                                      order ? order[k] : k);
        }
        rc = lake_batch_seal(ob);
        if (rc == 0)
            rc = lake_txn__write_file(tx, ob, f0->part, f0->npart, 0);
        lake_batch_free(ob);
        r = end;
    }
    for (i = 0; i < g->nfiles && rc == 0; i++)
        lake_txn__remove_file(tx, &s->files[g->files[i]], 0);
out:
    free(order);
    free(names);
    lake_batch_free(all);
    return rc;
}

int lake_table_optimize(struct lake_table *t, const char *const *zorder_cols,
                        size_t nzorder, int64_t target_rows,
                        struct lake_optimize_result *res)
{
    const struct lake_snapshot *s = t->snap;
    struct lake_schema ds = LAKE_SCHEMA_INIT;
    struct pgroup *g = NULL;
    size_t ng = 0, ag = 0;
    struct lake_txn *tx = NULL;
    int *zcols = NULL;
    size_t i, k;
    size_t rewritten = 0;
    int rc;

    memset(res, 0, sizeof(*res));
    res->version = -1;
    if (target_rows <= 0)
        target_rows = DEFAULT_TARGET_ROWS;
    rc = lake_txn_begin(t, &tx);
    if (rc)
        return rc;
    for (i = 0; i < s->schema->n_fields; i++) {
        size_t p;
        int isp = 0;

        for (p = 0; p < s->npartition_cols; p++)
            isp |= !strcmp(s->partition_cols[p], s->schema->fields[i].name);
        if (!isp)
            lake_schema_add(&ds, &s->schema->fields[i]);
    }
    zcols = ju_xcalloc(nzorder + 1, sizeof(int));
    for (i = 0; i < nzorder; i++) {
        zcols[i] = lake_schema_find(&ds, zorder_cols[i]);
        if (zcols[i] < 0) {
            rc = jc_err_set(JC_EINVAL,
                            "cannot z-order by '%s': not a data column of "
                            "the table (partition columns are not allowed)",
                            zorder_cols[i]);
            goto out;
        }
        if (lake_type_is_nested(ds.fields[zcols[i]].type) ||
            ds.fields[zcols[i]].type == LAKE_TYPE_BOOLEAN) {
            rc = jc_err_set(JC_EINVAL, "cannot z-order by '%s' of type %s",
                            zorder_cols[i],
                            lake_type_name(ds.fields[zcols[i]].type));
            goto out;
        }
    }
    for (i = 0; i < s->nfiles; i++) {
        const struct lake_file *f = &s->files[i];
        char *key;

        /* bin-packing only touches small files, so that repeating
         * OPTIMIZE is a no-op; Z-ORDER rewrites whole partitions */
        if (!nzorder && (f->num_records >= 0 ? f->num_records >= target_rows
                                             : f->size >= SMALL_FILE_BYTES))
            continue;
        key = part_key(f);

        for (k = 0; k < ng; k++) {
            if (!strcmp(g[k].key, key))
                break;
        }
        if (k == ng) {
            JU_ALLOC_GROW(g, ng + 1, ag);
            memset(&g[ng], 0, sizeof(g[ng]));
            g[ng].key = key;
            ng++;
        } else {
            free(key);
        }
        JU_ALLOC_GROW(g[k].files, g[k].nfiles + 1, g[k].afiles);
        g[k].files[g[k].nfiles++] = i;
    }
    for (k = 0; k < ng && rc == 0; k++) {
        if (!nzorder && g[k].nfiles < 2)
            continue;
        rc = rewrite_group(t, tx, &g[k], &ds, zcols, nzorder, target_rows);
        rewritten++;
    }
    if (rc == 0 && rewritten) {
        struct ju_buf params = JU_BUF_INIT;
        json_t *zarr = json_array();
        char *zs;
        json_t *po = json_object();
        char *ps;

        for (i = 0; i < nzorder; i++)
            json_array_append_new(zarr, json_string(zorder_cols[i]));
        zs = json_dumps(zarr, JSON_COMPACT);
        json_object_set_new(po, "predicate", json_string("[]"));
        json_object_set_new(po, "zOrderBy", json_string(zs));
        ps = json_dumps(po, JSON_COMPACT);
        free(zs);
        json_decref(zarr);
        json_decref(po);
        lake_txn__set_optimize(tx);
        /* collect metrics before the commit frees tx */
        res->files_added = lake_txn__nfiles(tx, 1);
        res->files_removed = lake_txn__nfiles(tx, 0);
        res->bytes_added = lake_txn__bytes(tx, 1);
        res->bytes_removed = lake_txn__bytes(tx, 0);
        rc = lake_txn_commit(tx, "OPTIMIZE", ps, &res->version);
        tx = NULL;
        free(ps);
        ju_buf_release(&params);
    }
out:
    if (tx)
        lake_txn_abort(tx);
    for (k = 0; k < ng; k++) {
        free(g[k].key);
        free(g[k].files);
    }
    free(g);
    free(zcols);
    lake_schema_release(&ds);
    return rc;
}
