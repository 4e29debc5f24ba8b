/*
 * table_read.c: reading Delta tables into lake_batch: per-file reads with
 * projection, partition columns filled from partitionValues, columns
 * missing from old files as nulls; file skipping by partition values and
 * min/max/nullCount stats; the incremental changes feed.
 */
#include "delta_int.h"
#include "readahead.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "util/mem.h"

static int is_partition_col(const struct lake_snapshot *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->npartition_cols; i++) {
        if (!strcasecmp(s->partition_cols[i], name))
            return 1;
    }
    return 0;
}

static const struct lake_kv *part_value(const struct lake_file *f,
                                        const char *name)
{
    size_t i;

    for (i = 0; i < f->npart; i++) {
        if (!strcmp(f->part[i].key, name))
            return &f->part[i];
    }
    for (i = 0; i < f->npart; i++) {
        if (!strcasecmp(f->part[i].key, name))
            return &f->part[i];
    }
    return NULL;
}

static char *file_abs_path(const struct lake_table *t, const char *logpath)
{
    char *dec = lake_delta_uri_decode(logpath);
    char *p;

    if (!strncmp(dec, "file://", 7)) {
        p = ju_xstrdup(dec + 7);
        free(dec);
        return p;
    }
    if (!strncmp(dec, "file:", 5)) {
        p = ju_xstrdup(dec + 5);
        free(dec);
        return p;
    }
    if (dec[0] == '/')
        return dec;
    p = ju_xasprintf("%s/%s", t->path, dec);
    free(dec);
    return p;
}

/* Widen integer storage when the file's type is narrower than the table's
 * (e.g. INTEGER data in a LONG column). Returns 0 if converted. */
static int convert_column(struct lake_column *dst, const struct lake_field *f,
                          const struct lake_column *src)
{
    size_t i;

    for (i = 0; i < src->length; i++) {
        if (lake_column_is_null(src, i)) {
            lake_batch_append_null(dst);
            continue;
        }
        switch (f->type) {
        case LAKE_TYPE_SHORT:
            lake_batch_append_i16(dst, (int16_t)lake_column_get_i64(src, i));
            break;
        case LAKE_TYPE_INTEGER:
        case LAKE_TYPE_DATE:
            lake_batch_append_i32(dst, (int32_t)lake_column_get_i64(src, i));
            break;
        case LAKE_TYPE_LONG:
        case LAKE_TYPE_TIMESTAMP:
        case LAKE_TYPE_TIMESTAMP_NTZ:
            lake_batch_append_i64(dst, lake_column_get_i64(src, i));
            break;
        case LAKE_TYPE_DOUBLE:
            lake_batch_append_f64(dst, lake_column_get_f64(src, i));
            break;
        case LAKE_TYPE_FLOAT:
            lake_batch_append_f32(dst, (float)lake_column_get_f64(src, i));
            break;
        default:
            return -1;
        }
    }
    return 0;
}

int lake_table__read_path(const struct lake_table *t, const struct lake_file *f,
                          const struct lake_scan_opts *opts,
                          struct lake_batch **out)
{
    const struct lake_snapshot *s = t->snap;
    struct lake_schema proj = LAKE_SCHEMA_INIT;
    struct lake_parquet_reader *pr = NULL;
    const struct lake_schema *fs;
    struct lake_batch *fb = NULL;
    struct lake_batch *ob = NULL;
    const char **sel = NULL;
    int *src = NULL; /* per output column: index in fb, -1 partition, -2 null */
    size_t nsel = 0;
    size_t i, r;
    int64_t nrows;
    char *abs = NULL;
    int rc = 0;

    *out = NULL;
    if (!s->schema)
        return jc_err_set(JC_EUNSUPPORTED, "'%s': table schema unavailable",
                          t->path);
    if (f->has_dv)
        return jc_err_set(JC_EUNSUPPORTED,
                          "'%s': file '%s' has a deletion vector; this reader "
                          "does not support deletionVectors",
                          t->path, f->path);
    /* projected schema */
    if (opts && opts->columns && opts->ncolumns) {
        for (i = 0; i < opts->ncolumns; i++) {
            int k = lake_schema_find(s->schema, opts->columns[i]);

            if (k < 0) {
                lake_schema_release(&proj);
                return jc_err_set(JC_ENOTFOUND, "'%s': no column '%s'", t->path,
                                  opts->columns[i]);
            }
            lake_schema_add(&proj, &s->schema->fields[k]);
        }
    } else {
        lake_schema_copy(&proj, s->schema);
    }
    abs = file_abs_path(t, f->path);
    rc = lake_parquet_reader_open(&pr, abs);
    if (rc)
        goto out;
    fs = lake_parquet_reader_schema(pr);
    sel = ju_xcalloc(proj.n_fields + 1, sizeof(char *));
    src = ju_xcalloc(proj.n_fields + 1, sizeof(int));
    for (i = 0; i < proj.n_fields; i++) {
        const char *name = proj.fields[i].name;
        int k;
        size_t j;

        if (is_partition_col(s, name)) {
            src[i] = -1;
            continue;
        }
        k = lake_schema_find(fs, name);
        if (k < 0) {
            for (j = 0; j < fs->n_fields; j++) {
                if (!strcasecmp(fs->fields[j].name, name)) {
                    k = (int)j;
                    break;
                }
            }
        }
        if (k < 0) {
            src[i] = -2;
            continue;
        }
        src[i] = (int)nsel;
        sel[nsel++] = fs->fields[k].name;
    }
    nrows = lake_parquet_reader_num_rows(pr);
    if (nsel) {
        rc = lake_parquet_reader_select(pr, sel, nsel);
        if (rc == 0)
            rc = lake_parquet_reader_read_all(pr, &fb);
        if (rc)
            goto out;
        nrows = (int64_t)fb->num_rows;
    }
    ob = lake_batch_new(&proj);
    for (i = 0; i < proj.n_fields; i++) {
        struct lake_column *oc = &ob->columns[i];
        const struct lake_field *fld = &proj.fields[i];

        if (src[i] == -1) {
            const struct lake_kv *kv = part_value(f, fld->name);

            for (r = 0; r < (size_t)nrows; r++) {
                rc = lake_delta__append_part_value(oc, fld,
                                                   kv ? kv->value : NULL);
                if (rc) {
                    jc_err_wrap(rc, "'%s'", f->path);
                    goto out;
                }
            }
        } else if (src[i] == -2) {
            lake_batch_append_nulls(oc, (size_t)nrows);
        } else {
            struct lake_column *fc = &fb->columns[src[i]];

            if (fc->type == fld->type && (fld->type != LAKE_TYPE_DECIMAL ||
                                          (fc->precision == fld->precision &&
                                           fc->scale == fld->scale))) {
                lake_column_release(oc);
                *oc = *fc;
                memset(fc, 0, sizeof(*fc));
            } else if (convert_column(oc, fld, fc) < 0) {
                rc = jc_err_set(JC_EUNSUPPORTED,
                                "'%s': column '%s' is %s in the file but %s in "
                                "the table schema",
                                abs, fld->name, lake_type_name(fc->type),
                                lake_type_name(fld->type));
                goto out;
            }
        }
    }
    rc = lake_batch_seal(ob);
    if (rc == 0) {
        *out = ob;
        ob = NULL;
    }
out:
    if (ob)
        lake_batch_free(ob);
    if (fb)
        lake_batch_free(fb);
    if (pr)
        lake_parquet_reader_free(pr);
    free(sel);
    free(src);
    free(abs);
    lake_schema_release(&proj);
    return rc;
}

int lake_table_read_file(struct lake_table *t, const struct lake_file *f,
                         const struct lake_scan_opts *opts,
                         struct lake_batch **out)
{
    return lake_table__read_path(t, f, opts, out);
}

/* ---- skipping ---- */

static const struct lake_field *top_field(const struct lake_schema *s,
                                          const char *name)
{
    int k = s ? lake_schema_find(s, name) : -1;
    size_t i;

    if (k >= 0)
        return &s->fields[k];
    for (i = 0; s && i < s->n_fields; i++) {
        if (!strcasecmp(s->fields[i].name, name))
            return &s->fields[i];
    }
    return NULL;
}

/* Typed scalar for comparisons. */
struct cval {
    int kind; /* 0 int, 1 double, 2 string */
    int64_t i;
    double d;
    const char *s;
};

static int numeric_type(enum lake_type t)
{
    return t == LAKE_TYPE_BYTE || t == LAKE_TYPE_SHORT ||
           t == LAKE_TYPE_INTEGER || t == LAKE_TYPE_LONG ||
           t == LAKE_TYPE_DATE || t == LAKE_TYPE_TIMESTAMP ||
           t == LAKE_TYPE_TIMESTAMP_NTZ;
}

/* -1, 0, 1; 2 = not comparable */
static int cmp_cval(const struct cval *a, const struct lake_pred *p)
{
    if (a->kind == 2) {
        int c;

        if (p->kind != LAKE_PV_STRING || !p->s)
            return 2;
        c = strcmp(a->s, p->s);
        return c < 0 ? -1 : c > 0;
    }
    if (p->kind == LAKE_PV_STRING)
        return 2;
    if (a->kind == 0 && p->kind == LAKE_PV_INT)
        return a->i < p->i ? -1 : a->i > p->i;
    {
        double x = a->kind == 0 ? (double)a->i : a->d;
        double y = p->kind == LAKE_PV_INT ? (double)p->i : p->d;

        if (isnan(x) || isnan(y))
            return 2;
        return x < y ? -1 : x > y;
    }
}

/* Convert a JSON stats value (or partition text) to a cval of field f. */
static int json_cval(const struct lake_field *f, json_t *v, struct cval *o,
                     int is_max)
{
    memset(o, 0, sizeof(*o));
    if (!v || json_is_null(v))
        return -1;
    if (f->type == LAKE_TYPE_STRING) {
        if (!json_is_string(v))
            return -1;
        o->kind = 2;
        o->s = json_string_value(v);
        return 0;
    }
    if (f->type == LAKE_TYPE_TIMESTAMP || f->type == LAKE_TYPE_TIMESTAMP_NTZ) {
        if (!json_is_string(v) ||
            lake_delta__parse_timestamp(json_string_value(v), &o->i) < 0)
            return -1;
        /* stats are truncated to milliseconds: widen the max */
        if (is_max)
            o->i += 1000;
        return 0;
    }
    if (f->type == LAKE_TYPE_DATE) {
        int32_t d;

        if (!json_is_string(v) ||
            lake_delta__parse_date(json_string_value(v), &d) < 0)
            return -1;
        o->i = d;
        return 0;
    }
    if (numeric_type(f->type) && json_is_integer(v)) {
        o->i = json_integer_value(v);
        return 0;
    }
    if (json_is_number(v)) {
        o->kind = 1;
        o->d = json_number_value(v);
        /* decimals/floats compared approximately: widen by a hair */
        o->d += (is_max ? 1 : -1) * (fabs(o->d) * 1e-12 + 1e-300);
        return 0;
    }
    return -1;
}

static int text_cval(const struct lake_field *f, const char *text,
                     struct cval *o)
{
    char *end;

    memset(o, 0, sizeof(*o));
    switch (f->type) {
    case LAKE_TYPE_STRING:
        o->kind = 2;
        o->s = text;
        return 0;
    case LAKE_TYPE_DATE: {
        int32_t d;

        if (lake_delta__parse_date(text, &d) < 0)
            return -1;
        o->i = d;
        return 0;
    }
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        return lake_delta__parse_timestamp(text, &o->i) < 0 ? -1 : 0;
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
        o->i = strtoll(text, &end, 10);
        return *end ? -1 : 0;
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
    case LAKE_TYPE_DECIMAL:
        o->kind = 1;
        o->d = strtod(text, &end);
        return *end ? -1 : 0;
    default:
        return -1;
    }
}

static int pred_on_value(const struct lake_pred *p, const struct cval *v)
{
    int c = cmp_cval(v, p);

    if (c == 2)
        return 1;
    switch (p->op) {
    case LAKE_PRED_EQ:
        return c == 0;
    case LAKE_PRED_LT:
        return c < 0;
    case LAKE_PRED_LE:
        return c <= 0;
    case LAKE_PRED_GT:
        return c > 0;
    case LAKE_PRED_GE:
        return c >= 0;
    default:
        return 1;
    }
}

int lake_file_may_match(const struct lake_table *t, const struct lake_file *f,
                        const struct lake_pred *preds, size_t npreds)
{
    const struct lake_snapshot *s = t->snap;
    json_t *stats = NULL;
    int parsed = 0;
    int result = 1;
    size_t i;

    for (i = 0; i < npreds && result; i++) {
        const struct lake_pred *p = &preds[i];
        const struct lake_field *fld = top_field(s->schema, p->column);

        if (!fld)
            continue;
        if (is_partition_col(s, fld->name)) {
            const struct lake_kv *kv = part_value(f, fld->name);
            const char *text = kv ? kv->value : NULL;
            struct cval v;

            if (p->op == LAKE_PRED_IS_NULL) {
                result = text == NULL;
                continue;
            }
            if (!text) {
                result = 0; /* null never satisfies a comparison */
                continue;
            }
            if (p->op == LAKE_PRED_NOT_NULL)
                continue;
            if (text_cval(fld, text, &v) == 0)
                result = pred_on_value(p, &v);
            continue;
        }
        if (!parsed) {
            parsed = 1;
            if (f->stats)
                stats = json_loads(f->stats, 0, NULL);
        }
        if (!json_is_object(stats))
            continue;
        {
            json_t *nr = json_object_get(stats, "numRecords");
            json_t *nc =
                json_object_get(json_object_get(stats, "nullCount"), fld->name);
            json_t *mn =
                json_object_get(json_object_get(stats, "minValues"), fld->name);
            json_t *mx =
                json_object_get(json_object_get(stats, "maxValues"), fld->name);
            int64_t nrec = json_is_integer(nr) ? json_integer_value(nr) : -1;
            int64_t nnull = json_is_integer(nc) ? json_integer_value(nc) : -1;
            struct cval vmin, vmax;
            int hmin, hmax;

            if (nrec == 0) {
                result = 0;
                continue;
            }
            if (p->op == LAKE_PRED_IS_NULL) {
                if (nnull == 0)
                    result = 0;
                continue;
            }
            if (nrec > 0 && nnull == nrec) {
                result = 0; /* all null: no comparison or NOT NULL holds */
                continue;
            }
            if (p->op == LAKE_PRED_NOT_NULL)
                continue;
            hmin = json_cval(fld, mn, &vmin, 0) == 0;
            hmax = json_cval(fld, mx, &vmax, 1) == 0;
            if (hmin) {
                int c = cmp_cval(&vmin, p);

                if (c != 2 && ((p->op == LAKE_PRED_EQ && c > 0) ||
                               (p->op == LAKE_PRED_LT && c >= 0) ||
                               (p->op == LAKE_PRED_LE && c > 0)))
                    result = 0;
            }
            if (hmax && result) {
                int c = cmp_cval(&vmax, p);

                if (c != 2 && ((p->op == LAKE_PRED_EQ && c < 0) ||
                               (p->op == LAKE_PRED_GT && c <= 0) ||
                               (p->op == LAKE_PRED_GE && c < 0)))
                    result = 0;
            }
        }
    }
    json_decref(stats);
    return result;
}

int lake_table_scan(struct lake_table *t, const struct lake_scan_opts *opts,
                    lake_scan_cb cb, void *ud, struct lake_scan_stats *st)
{
    struct lake_scan_stats local;
    const struct lake_file **files;
    size_t i, n = 0;
    int rc;

    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    st->files_total = t->snap->nfiles;
    files = ju_xcalloc(t->snap->nfiles + 1, sizeof(*files));
    for (i = 0; i < t->snap->nfiles; i++) {
        const struct lake_file *f = &t->snap->files[i];

        if (opts && opts->npreds &&
            !lake_file_may_match(t, f, opts->preds, opts->npreds)) {
            st->files_skipped++;
            continue;
        }
        files[n++] = f;
    }
    rc = lake_readahead_scan(t, files, n, opts, cb, ud, st);
    free(files);
    return rc;
}

/* The files added with dataChange=true by commit v, appended to *files
 * (owned copies: path and partition values). */
static int changes_of(const struct lake_table *t, int64_t v,
                      struct lake_file **files, size_t *n, size_t *alloc)
{
    char *p = lake_log_commit_path(t->log_dir, v);
    char *data = NULL;
    size_t len = 0;
    size_t off = 0;
    int rc = lake_fs_read_file(p, LAKE_DELTA_COMMIT_CAP, &data, &len);

    free(p);
    if (rc)
        return rc;
    while (off < len) {
        const char *line = data + off;
        const char *nl = memchr(line, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - line) : len - off;
        json_t *j = ll ? json_loadb(line, ll, 0, NULL) : NULL;
        json_t *a = j ? json_object_get(j, "add") : NULL;

        off += ll + (nl ? 1 : 0);
        if (json_is_object(a) &&
            json_is_true(json_object_get(a, "dataChange")) &&
            json_is_string(json_object_get(a, "path"))) {
            json_t *pv = json_object_get(a, "partitionValues");
            struct lake_file *f;
            const char *k;
            json_t *val;
            size_t np = 0;

            JU_ALLOC_GROW(*files, *n + 1, *alloc);
            f = &(*files)[(*n)++];
            memset(f, 0, sizeof(*f));
            f->path = ju_xstrdup(json_string_value(json_object_get(a, "path")));
            f->has_dv = json_is_object(json_object_get(a, "deletionVector"));
            f->part =
                ju_xcalloc(json_object_size(pv) + 1, sizeof(struct lake_kv));
            json_object_foreach(pv, k, val)
            {
                f->part[np].key = ju_xstrdup(k);
                f->part[np].value = json_is_string(val)
                                        ? ju_xstrdup(json_string_value(val))
                                        : NULL;
                np++;
            }
            f->npart = np;
        }
        json_decref(j);
    }
    free(data);
    return 0;
}

int lake_table_scan_changes(struct lake_table *t, int64_t from_version,
                            const struct lake_scan_opts *opts, lake_scan_cb cb,
                            void *ud, struct lake_scan_stats *st)
{
    struct lake_scan_stats local;
    struct lake_file *files = NULL;
    const struct lake_file **order = NULL;
    size_t n = 0, alloc = 0, i, k;
    int64_t v;
    int rc = 0;

    if (!st)
        st = &local;
    memset(st, 0, sizeof(*st));
    for (v = from_version + 1; v <= t->snap->version && !rc; v++)
        rc = changes_of(t, v, &files, &n, &alloc);
    if (!rc) {
        st->files_total = n;
        order = ju_xcalloc(n + 1, sizeof(*order));
        for (i = 0; i < n; i++)
            order[i] = &files[i];
        rc = lake_readahead_scan(t, order, n, opts, cb, ud, st);
    }
    for (i = 0; i < n; i++) {
        for (k = 0; k < files[i].npart; k++) {
            free(files[i].part[k].key);
            free(files[i].part[k].value);
        }
        free(files[i].part);
        free(files[i].path);
    }
    free(files);
    free(order);
    return rc;
}
