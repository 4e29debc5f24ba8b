/*
 * sql_vtab.c: the "delta" SQLite virtual-table module. One vtab per Delta
 * table (snapshot taken at connect); xBestIndex passes column constraints
 * to xFilter, which skips files whose partition values or stats rule them
 * out and streams the remaining files' rows. Timestamps are ISO text.
 */
#include "lake/sql.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "delta_int.h"
#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

static struct lake_sql_stats g_stats;

void lake_sql_stats_get(struct lake_sql_stats *out)
{
    *out = g_stats;
}

void lake_sql_stats_reset(void)
{
    memset(&g_stats, 0, sizeof(g_stats));
}

struct dvtab {
    sqlite3_vtab base;
    struct lake_table *t;
};

struct dcursor {
    sqlite3_vtab_cursor base;
    struct dvtab *vt;
    struct lake_pred *preds;
    size_t npreds;
    char **strs;       /* owned pred strings */
    size_t file;       /* next file index */
    const char **proj; /* projected column names (schema order) */
    size_t nproj;
    int *colmap; /* vtab column -> batch column, -1 = not read */
    struct lake_batch *b;
    size_t row;
    sqlite3_int64 rowid;
    int eof;
};

static const char *sql_type(const struct lake_field *f)
{
    switch (f->type) {
    case LAKE_TYPE_BOOLEAN:
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
        return "INTEGER";
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
    case LAKE_TYPE_DECIMAL:
        return "REAL";
    case LAKE_TYPE_BINARY:
        return "BLOB";
    default:
        return "TEXT";
    }
}

static void quote_ident(struct ju_buf *b, const char *s)
{
    ju_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            ju_buf_addc(b, '"');
        ju_buf_addc(b, *s);
    }
    ju_buf_addc(b, '"');
}

static char *unquote_arg(const char *a)
{
    size_t n = strlen(a);

    if (n >= 2 && (a[0] == '\'' || a[0] == '"') && a[n - 1] == a[0]) {
        struct ju_buf b = JU_BUF_INIT;
        size_t i;

        for (i = 1; i + 1 < n; i++) {
            ju_buf_addc(&b, a[i]);
            if (a[i] == a[0] && i + 2 < n && a[i + 1] == a[0])
                i++;
        }
        if (!b.data)
            return ju_xstrdup("");
        return ju_buf_detach(&b, NULL);
    }
    return ju_xstrdup(a);
}

static int x_connect(sqlite3 *db, void *aux, int argc, const char *const *argv,
                     sqlite3_vtab **out, char **err)
{
    struct dvtab *vt;
    struct ju_buf decl = JU_BUF_INIT;
    const struct lake_schema *s;
    char *path;
    size_t i;
    int rc;

    (void)aux;
    if (argc < 4) {
        *err = sqlite3_mprintf("delta: usage: USING delta('path')");
        return SQLITE_ERROR;
    }
    vt = ju_xcalloc(1, sizeof(*vt));
    path = unquote_arg(argv[3]);
    rc = lake_table_open(&vt->t, path);
    free(path);
    if (rc) {
        *err = sqlite3_mprintf("delta: %s", jc_err_last());
        free(vt);
        return SQLITE_ERROR;
    }
    s = lake_table_schema(vt->t);
    ju_buf_adds(&decl, "CREATE TABLE x(");
    for (i = 0; i < s->n_fields; i++) {
        if (i)
            ju_buf_adds(&decl, ", ");
        quote_ident(&decl, s->fields[i].name);
        ju_buf_addf(&decl, " %s", sql_type(&s->fields[i]));
    }
    ju_buf_adds(&decl, ")");
    rc = sqlite3_declare_vtab(db, ju_buf_str(&decl));
    ju_buf_release(&decl);
    if (rc != SQLITE_OK) {
        *err = sqlite3_mprintf("delta: cannot declare table: %s",
                               sqlite3_errmsg(db));
        lake_table_close(vt->t);
        free(vt);
        return rc;
    }
    *out = &vt->base;
    return SQLITE_OK;
}

static int x_disconnect(sqlite3_vtab *v)
{
    struct dvtab *vt = (struct dvtab *)v;

    lake_table_close(vt->t);
    free(vt);
    return SQLITE_OK;
}

/* idxStr: one char per used constraint: op code, then column index list
 * in idxNum-free form "o<col>," */
static int x_best_index(sqlite3_vtab *v, sqlite3_index_info *info)
{
    struct ju_buf b = JU_BUF_INIT;
    int i;
    int n = 0;

    (void)v;
    /* columns the statement reads: "u<mask>;" then the constraints */
    ju_buf_addf(&b, "u%llx;", (unsigned long long)info->colUsed);
    for (i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        char op;

        if (!c->usable || c->iColumn < 0)
            continue;
        /* file skipping compares bytes: only for the BINARY collation */
        {
            const char *coll = sqlite3_vtab_collation(info, i);

            if (coll && sqlite3_stricmp(coll, "BINARY"))
                continue;
        }
        switch (c->op) {
        case SQLITE_INDEX_CONSTRAINT_EQ:
            op = 'e';
            break;
        case SQLITE_INDEX_CONSTRAINT_LT:
            op = 'l';
            break;
        case SQLITE_INDEX_CONSTRAINT_LE:
            op = 'L';
            break;
        case SQLITE_INDEX_CONSTRAINT_GT:
            op = 'g';
            break;
        case SQLITE_INDEX_CONSTRAINT_GE:
            op = 'G';
            break;
        case SQLITE_INDEX_CONSTRAINT_ISNULL:
            op = 'n';
            break;
        case SQLITE_INDEX_CONSTRAINT_ISNOTNULL:
            op = 'N';
            break;
        default:
            continue;
        }
        info->aConstraintUsage[i].argvIndex = ++n;
        info->aConstraintUsage[i].omit = 0; /* SQLite re-checks rows */
        ju_buf_addf(&b, "%c%d,", op, c->iColumn);
    }
    info->idxStr = sqlite3_mprintf("%s", ju_buf_str(&b));
    info->needToFreeIdxStr = 1;
    if (n)
        info->estimatedCost = 1000.0 / (double)(n + 1);
    else
        info->estimatedCost = 1000000.0;
    info->idxNum = n;
    ju_buf_release(&b);
    return SQLITE_OK;
}

static int x_open(sqlite3_vtab *v, sqlite3_vtab_cursor **out)
{
    struct dcursor *c = ju_xcalloc(1, sizeof(*c));

    c->vt = (struct dvtab *)v;
    *out = &c->base;
    return SQLITE_OK;
}

static void cursor_clear(struct dcursor *c)
{
    size_t i;

    if (c->b)
        lake_batch_free(c->b);
    c->b = NULL;
    for (i = 0; i < c->npreds; i++)
        free(c->strs[i]);
    free(c->strs);
    free(c->preds);
    free(c->proj);
    free(c->colmap);
    c->strs = NULL;
    c->preds = NULL;
    c->proj = NULL;
    c->colmap = NULL;
    c->npreds = 0;
    c->nproj = 0;
}

static int x_close(sqlite3_vtab_cursor *cur)
{
    struct dcursor *c = (struct dcursor *)cur;

    cursor_clear(c);
    free(c);
    return SQLITE_OK;
}

/* Load the next file that may match; sets eof when none is left. */
static int next_file(struct dcursor *c)
{
    const struct lake_snapshot *s = lake_table_snapshot(c->vt->t);

    if (c->b) {
        lake_batch_free(c->b);
        c->b = NULL;
    }
    while (c->file < s->nfiles) {
        const struct lake_file *f = &s->files[c->file++];
        int rc;

        if (c->npreds &&
            !lake_file_may_match(c->vt->t, f, c->preds, c->npreds)) {
            g_stats.files_skipped++;
            continue;
        }
        {
            struct lake_scan_opts o;

            memset(&o, 0, sizeof(o));
            o.columns = c->proj;
            o.ncolumns = c->nproj;
            rc = lake_table_read_file(c->vt->t, f, &o, &c->b);
        }
        if (rc) {
            sqlite3_free(c->vt->base.zErrMsg);
            c->vt->base.zErrMsg = sqlite3_mprintf("delta: %s", jc_err_last());
            return SQLITE_ERROR;
        }
        g_stats.files_read++;
        g_stats.rows_read += (int64_t)c->b->num_rows;
        c->row = 0;
        if (c->b->num_rows > 0)
            return SQLITE_OK;
        lake_batch_free(c->b);
        c->b = NULL;
    }
    c->eof = 1;
    return SQLITE_OK;
}

static int x_filter(sqlite3_vtab_cursor *cur, int idx_num, const char *idx_str,
                    int argc, sqlite3_value **argv)
{
    struct dcursor *c = (struct dcursor *)cur;
    const struct lake_schema *s = lake_table_schema(c->vt->t);
    const char *p = idx_str;
    unsigned long long used = ~0ULL;
    size_t k;
    int i;

    (void)idx_num;
    cursor_clear(c);
    if (p && *p == 'u') {
        used = strtoull(p + 1, (char **)&p, 16);
        if (*p == ';')
            p++;
    }
    /* projection: the columns SQLite will ask for (bit 63 = any later) */
    c->colmap = ju_xcalloc(s->n_fields + 1, sizeof(int));
    c->proj = ju_xcalloc(s->n_fields + 1, sizeof(char *));
    for (k = 0; k < s->n_fields; k++) {
        int want = k < 63 ? (int)((used >> k) & 1) : (int)((used >> 63) & 1);

        c->colmap[k] = -1;
        if (want) {
            c->colmap[k] = (int)c->nproj;
            c->proj[c->nproj++] = s->fields[k].name;
        }
    }
    if (c->nproj == 0 && s->n_fields) {
        /* count(*): read one column for the row count */
        c->colmap[0] = 0;
        c->proj[c->nproj++] = s->fields[0].name;
    }
    c->file = 0;
    c->eof = 0;
    c->rowid = 0;
    c->preds = ju_xcalloc((size_t)argc + 1, sizeof(struct lake_pred));
    c->strs = ju_xcalloc((size_t)argc + 1, sizeof(char *));
    for (i = 0; i < argc && p && *p; i++) {
        char op = *p++;
        long col = strtol(p, (char **)&p, 10);
        struct lake_pred *pr = &c->preds[c->npreds];
        const struct lake_field *f;
        sqlite3_value *v = argv[i];
        int vt = sqlite3_value_type(v);

        if (*p == ',')
            p++;
        if (col < 0 || (size_t)col >= s->n_fields)
            continue;
        f = &s->fields[col];
        memset(pr, 0, sizeof(*pr));
        pr->column = f->name;
        switch (op) {
        case 'e':
            pr->op = LAKE_PRED_EQ;
            break;
        case 'l':
            pr->op = LAKE_PRED_LT;
            break;
        case 'L':
            pr->op = LAKE_PRED_LE;
            break;
        case 'g':
            pr->op = LAKE_PRED_GT;
            break;
        case 'G':
            pr->op = LAKE_PRED_GE;
            break;
        case 'n':
            pr->op = LAKE_PRED_IS_NULL;
            break;
        default:
            pr->op = LAKE_PRED_NOT_NULL;
            break;
        }
        if (pr->op == LAKE_PRED_IS_NULL || pr->op == LAKE_PRED_NOT_NULL) {
            c->npreds++;
            continue;
        }
        if (vt == SQLITE_NULL)
            continue; /* comparisons with NULL match nothing; let SQLite */
        if (f->type == LAKE_TYPE_TIMESTAMP ||
            f->type == LAKE_TYPE_TIMESTAMP_NTZ) {
            /* SQLite compares our ISO text bytewise: push down only the
             * canonical form, whose byte order is the instant order */
            if (vt != SQLITE_TEXT || sqlite3_value_bytes(v) != 27 ||
                ((const char *)sqlite3_value_text(v))[26] != 'Z' ||
                lake_delta__parse_timestamp((const char *)sqlite3_value_text(v),
                                            &pr->i) < 0)
                continue;
            pr->kind = LAKE_PV_INT;
        } else if (f->type == LAKE_TYPE_DATE) {
            int32_t d;

            if (vt != SQLITE_TEXT ||
                lake_delta__parse_date((const char *)sqlite3_value_text(v),
                                       &d) < 0 ||
                sqlite3_value_bytes(v) != 10)
                continue;
            pr->kind = LAKE_PV_INT;
            pr->i = d;
        } else if (f->type == LAKE_TYPE_STRING) {
            if (vt != SQLITE_TEXT)
                continue;
            c->strs[c->npreds] =
                ju_xstrdup((const char *)sqlite3_value_text(v));
            pr->kind = LAKE_PV_STRING;
            pr->s = c->strs[c->npreds];
        } else if (f->type == LAKE_TYPE_BOOLEAN ||
                   f->type == LAKE_TYPE_BINARY ||
                   lake_type_is_nested(f->type)) {
            continue;
        } else if (vt == SQLITE_INTEGER) {
            pr->kind = LAKE_PV_INT;
            pr->i = sqlite3_value_int64(v);
        } else if (vt == SQLITE_FLOAT) {
            pr->kind = LAKE_PV_DOUBLE;
            pr->d = sqlite3_value_double(v);
        } else {
            continue;
        }
        c->npreds++;
    }
    g_stats.scans++;
    g_stats.files_total += lake_table_snapshot(c->vt->t)->nfiles;
    return next_file(c);
}

static int x_next(sqlite3_vtab_cursor *cur)
{
    struct dcursor *c = (struct dcursor *)cur;

    c->rowid++;
    if (c->b && ++c->row < c->b->num_rows)
        return SQLITE_OK;
    return next_file(c);
}

static int x_eof(sqlite3_vtab_cursor *cur)
{
    return ((struct dcursor *)cur)->eof;
}

static int x_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
    struct dcursor *c = (struct dcursor *)cur;
    const struct lake_column *col;
    size_t r = c->row;
    char tmp[64];

    if (!c->b || i < 0 || !c->colmap || c->colmap[i] < 0 ||
        (size_t)c->colmap[i] >= c->b->n_columns) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    col = &c->b->columns[c->colmap[i]];
    if (lake_column_is_null(col, r)) {
        sqlite3_result_null(ctx);
        return SQLITE_OK;
    }
    switch (col->type) {
    case LAKE_TYPE_BOOLEAN:
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
        sqlite3_result_int64(ctx, lake_column_get_i64(col, r));
        break;
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
    case LAKE_TYPE_DECIMAL:
        sqlite3_result_double(ctx, lake_column_get_f64(col, r));
        break;
    case LAKE_TYPE_STRING: {
        size_t n;
        const char *s = lake_column_get_str(col, r, &n);

        sqlite3_result_text64(ctx, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
        break;
    }
    case LAKE_TYPE_BINARY: {
        size_t n;
        const char *s = lake_column_get_str(col, r, &n);

        sqlite3_result_blob64(ctx, s, n, SQLITE_TRANSIENT);
        break;
    }
    case LAKE_TYPE_DATE:
        lake_format_date(tmp, sizeof(tmp),
                         (int32_t)lake_column_get_i64(col, r));
        sqlite3_result_text(ctx, tmp, -1, SQLITE_TRANSIENT);
        break;
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        lake_format_timestamp(tmp, sizeof(tmp), lake_column_get_i64(col, r));
        sqlite3_result_text(ctx, tmp, -1, SQLITE_TRANSIENT);
        break;
    default: {
        struct ju_buf b = JU_BUF_INIT;

        lake_column_format_json(&b, col, r);
        sqlite3_result_text(ctx, ju_buf_str(&b), -1, SQLITE_TRANSIENT);
        ju_buf_release(&b);
        break;
    }
    }
    return SQLITE_OK;
}

static int x_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
    *rowid = ((struct dcursor *)cur)->rowid;
    return SQLITE_OK;
}

static sqlite3_module delta_module = {
    .iVersion = 0,
    .xCreate = x_connect,
    .xConnect = x_connect,
    .xBestIndex = x_best_index,
    .xDisconnect = x_disconnect,
    .xDestroy = x_disconnect,
    .xOpen = x_open,
    .xClose = x_close,
    .xFilter = x_filter,
    .xNext = x_next,
    .xEof = x_eof,
    .xColumn = x_column,
    .xRowid = x_rowid,
};

int lake_sql_register(struct sqlite3 *db)
{
    if (sqlite3_create_module(db, "delta", &delta_module, NULL) != SQLITE_OK)
        return jc_err_set(JC_ERR, "cannot register the delta module: %s",
                          sqlite3_errmsg(db));
    return 0;
}

int lake_sql_attach_table(struct sqlite3 *db, const char *name,
                          const char *path)
{
    struct ju_buf q = JU_BUF_INIT;
    char *err = NULL;
    char *lit = sqlite3_mprintf("%Q", path);
    int rc;

    ju_buf_adds(&q, "CREATE VIRTUAL TABLE temp.");
    quote_ident(&q, name);
    ju_buf_addf(&q, " USING delta(%s)", lit);
    sqlite3_free(lit);
    rc = sqlite3_exec(db, ju_buf_str(&q), NULL, NULL, &err);
    ju_buf_release(&q);
    if (rc != SQLITE_OK) {
        rc = jc_err_set(JC_ERR, "table '%s': %s", name,
                        err ? err : sqlite3_errmsg(db));
        sqlite3_free(err);
        return rc;
    }
    return 0;
}

int lake_sql_attach_root(struct sqlite3 *db, const char *root, size_t *ntables)
{
    DIR *d;
    struct dirent *e;
    size_t n = 0;
    int rc = lake_sql_register(db);

    if (ntables)
        *ntables = 0;
    if (rc)
        return rc;
    d = opendir(root);
    if (!d)
        return 0; /* no lake yet: no tables */
    while ((e = readdir(d)) != NULL) {
        char *lp;
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        lp = ju_xasprintf("%s/%s/_delta_log", root, e->d_name);
        if (stat(lp, &st) == 0 && S_ISDIR(st.st_mode)) {
            char *tp = ju_xasprintf("%s/%s", root, e->d_name);

            if (lake_sql_attach_table(db, e->d_name, tp) == 0)
                n++;
            free(tp);
        }
        free(lp);
    }
    closedir(d);
    jc_err_clear();
    if (ntables)
        *ntables = n;
    return 0;
}
