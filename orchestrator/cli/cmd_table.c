/*
 * cmd_table.c: `jobctl table list|describe|show|history|import|optimize|
 * vacuum|check`: inspect and maintain Delta tables by path or by name
 * under $JOBCTL_HOME/lake (lib/lake delta.h does the work).
 */
#include "cli/cmd.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/buf.h"
#include "util/mem.h"

#define IMPORT_BATCH_ROWS 100000
#define IMPORT_LINE_CAP ((size_t)16 << 20)
#define INFER_ROWS 1000

static int fail(const char *what)
{
    fprintf(stderr, "jobctl: table %s: %s\n", what, jc_err_last());
    return 1;
}

static int usage(void)
{
    fprintf(
        stderr,
        "usage: jobctl table list [--json]\n"
        "       jobctl table describe T [--version N|--timestamp TS] [--json]\n"
        "       jobctl table show T [--version N|--timestamp TS] "
        "[--limit N] [--format table|jsonl|csv]\n"
        "       jobctl table history T [--limit N] [--json]\n"
        "       jobctl table import T --from FILE.jsonl [--schema SPEC] "
        "[--partition-by COL]... [--mode append|overwrite] "
        "[--app-txn ID:VERSION] [--codec snappy|zstd|gzip|uncompressed]\n"
        "       jobctl table optimize T [--zorder-by COL,...] "
        "[--target-rows N]\n"
        "       jobctl table vacuum T [--retain-hours H] [--dry-run] "
        "[--force]\n"
        "       jobctl table check T\n");
    return 2;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || *end || end == s)
        return -1;
    *out = v;
    return 0;
}

static void iso_ms(char *out, size_t n, int64_t ms)
{
    char tmp[48];
    size_t l;

    lake_format_timestamp(tmp, sizeof(tmp), ms * 1000);
    /* ...SS.ffffffZ -> ...SS.fffZ */
    l = strlen(tmp);
    if (l >= 8 && tmp[l - 8] == '.') {
        tmp[l - 4] = 'Z';
        tmp[l - 3] = '\0';
    }
    snprintf(out, n, "%s", tmp);
}

/* Spark's simpleString of a field type. */
static void simple_type(struct ju_buf *b, const struct lake_field *f)
{
    size_t i;

    switch (f->type) {
    case LAKE_TYPE_DECIMAL:
        ju_buf_addf(b, "decimal(%d,%d)", f->precision, f->scale);
        return;
    case LAKE_TYPE_STRUCT:
        ju_buf_adds(b, "struct<");
        for (i = 0; i < f->n_children; i++) {
            ju_buf_addf(b, "%s%s:", i ? "," : "", f->children[i].name);
            simple_type(b, &f->children[i]);
        }
        ju_buf_addc(b, '>');
        return;
    case LAKE_TYPE_ARRAY:
        ju_buf_adds(b, "array<");
        simple_type(b, &f->children[0]);
        ju_buf_addc(b, '>');
        return;
    case LAKE_TYPE_MAP:
        ju_buf_adds(b, "map<");
        simple_type(b, &f->children[0]);
        ju_buf_addc(b, ',');
        simple_type(b, &f->children[1]);
        ju_buf_addc(b, '>');
        return;
    default:
        ju_buf_adds(b, lake_type_name(f->type));
    }
}

/* ---------------------------------------------------------------- list */

static int do_list(int argc, char **argv)
{
    char *root = lake_root_dir();
    DIR *d = opendir(root);
    struct dirent *e;
    int json = 0;
    int i;
    json_t *arr = json_array();
    char **names = NULL;
    size_t n = 0, a = 0, k;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else
            return usage();
    }
    while (d && (e = readdir(d)) != NULL) {
        char *lp;
        struct stat st;

        if (e->d_name[0] == '.')
            continue;
        lp = ju_xasprintf("%s/%s/_delta_log", root, e->d_name);
        if (stat(lp, &st) == 0 && S_ISDIR(st.st_mode)) {
            JU_ALLOC_GROW(names, n + 1, a);
            names[n++] = ju_xstrdup(e->d_name);
        }
        free(lp);
    }
    if (d)
        closedir(d);
    for (k = 0; k + 1 < n; k++) { /* sort names (small n) */
        size_t j;

        for (j = k + 1; j < n; j++) {
            if (strcmp(names[j], names[k]) < 0) {
                char *t = names[k];

                names[k] = names[j];
                names[j] = t;
            }
        }
    }
    if (!json)
        printf("%-28s %8s %7s %12s %12s\n", "NAME", "VERSION", "FILES", "ROWS",
               "BYTES");
    for (k = 0; k < n; k++) {
        char *p = ju_xasprintf("%s/%s", root, names[k]);
        struct lake_table *t = NULL;

        if (lake_table_open(&t, p) == 0) {
            const struct lake_snapshot *s = lake_table_snapshot(t);
            int64_t rows = 0, bytes = 0;
            size_t f;

            for (f = 0; f < s->nfiles; f++) {
                bytes += s->files[f].size;
                if (s->files[f].num_records > 0)
                    rows += s->files[f].num_records;
            }
            if (json) {
                json_array_append_new(
                    arr,
                    json_pack("{s:s,s:s,s:I,s:I,s:I,s:I}", "name", names[k],
                              "path", p, "version", (json_int_t)s->version,
                              "files", (json_int_t)s->nfiles, "rows",
                              (json_int_t)rows, "bytes", (json_int_t)bytes));
            } else {
                printf("%-28s %8lld %7zu %12lld %12lld\n", names[k],
                       (long long)s->version, s->nfiles, (long long)rows,
                       (long long)bytes);
            }
            lake_table_close(t);
        } else if (!json) {
            printf("%-28s  (unreadable: %s)\n", names[k], jc_err_last());
        }
        free(p);
        free(names[k]);
    }
    free(names);
    if (json) {
        char *s = json_dumps(arr, JSON_INDENT(2));

        printf("%s\n", s);
        free(s);
    }
    json_decref(arr);
    free(root);
    return 0;
}

/* ------------------------------------------------------------ describe */

static json_t *describe_json(const struct lake_snapshot *s, const char *path)
{
    json_t *o = json_object();
    json_t *schema = json_array();
    json_t *pc = json_array();
    json_t *cfg = json_object();
    json_t *files = json_array();
    json_t *txns = json_object();
    json_t *tomb = json_array();
    size_t i, k;

    json_object_set_new(o, "path", json_string(path));
    json_object_set_new(o, "version", json_integer(s->version));
    json_object_set_new(o, "protocol",
                        json_pack("{s:i,s:i}", "minReaderVersion",
                                  s->min_reader_version, "minWriterVersion",
                                  s->min_writer_version));
    json_object_set_new(o, "metadata_id", json_string(s->metadata_id));
    if (s->name)
        json_object_set_new(o, "name", json_string(s->name));
    for (i = 0; i < s->npartition_cols; i++)
        json_array_append_new(pc, json_string(s->partition_cols[i]));
    json_object_set_new(o, "partition_columns", pc);
    for (i = 0; i < s->nconfig; i++)
        json_object_set_new(cfg, s->config[i].key,
                            s->config[i].value ? json_string(s->config[i].value)
                                               : json_null());
    json_object_set_new(o, "configuration", cfg);
    if (s->schema) {
        for (i = 0; i < s->schema->n_fields; i++) {
            struct ju_buf b = JU_BUF_INIT;

            simple_type(&b, &s->schema->fields[i]);
            json_array_append_new(
                schema,
                json_pack("[s,s,b]", s->schema->fields[i].name, ju_buf_str(&b),
                          s->schema->fields[i].nullable));
            ju_buf_release(&b);
        }
    }
    json_object_set_new(o, "schema_simple", schema);
    {
        json_t *sj = json_loads(s->schema_string, 0, NULL);

        json_object_set_new(o, "schema", sj ? sj : json_null());
    }
    json_object_set_new(o, "num_files", json_integer((json_int_t)s->nfiles));
    for (i = 0; i < s->nfiles; i++) {
        const struct lake_file *f = &s->files[i];
        json_t *fo = json_object();
        json_t *pv = json_object();

        for (k = 0; k < f->npart; k++)
            json_object_set_new(pv, f->part[k].key,
                                f->part[k].value ? json_string(f->part[k].value)
                                                 : json_null());
        json_object_set_new(fo, "path", json_string(f->path));
        json_object_set_new(fo, "partitionValues", pv);
        json_object_set_new(fo, "size", json_integer(f->size));
        if (f->num_records >= 0)
            json_object_set_new(fo, "numRecords", json_integer(f->num_records));
        json_array_append_new(files, fo);
    }
    json_object_set_new(o, "files", files);
    for (i = 0; i < s->ntxns; i++)
        json_object_set_new(
            txns, s->txns[i].app_id,
            json_pack("{s:I,s:I}", "version", (json_int_t)s->txns[i].version,
                      "lastUpdated", (json_int_t)s->txns[i].last_updated));
    json_object_set_new(o, "txns", txns);
    for (i = 0; i < s->ntombstones; i++)
        json_array_append_new(tomb, json_string(s->tombstones[i].path));
    json_object_set_new(o, "tombstones", tomb);
    if (s->checkpoint_version >= 0) {
        json_t *cf = json_array();
        int part;

        if (s->checkpoint_parts <= 1)
            json_array_append_new(
                cf, json_sprintf("%020lld.checkpoint.parquet",
                                 (long long)s->checkpoint_version));
        for (part = 1; s->checkpoint_parts > 1 && part <= s->checkpoint_parts;
             part++)
            json_array_append_new(
                cf, json_sprintf("%020lld.checkpoint.%010d.%010d.parquet",
                                 (long long)s->checkpoint_version, part,
                                 s->checkpoint_parts));
        json_object_set_new(
            o, "checkpoint_used",
            json_pack("{s:I,s:s,s:o}", "version",
                      (json_int_t)s->checkpoint_version, "kind",
                      s->checkpoint_parts > 1 ? "multi" : "classic", "files",
                      cf));
    } else {
        json_object_set_new(o, "checkpoint_used", json_null());
    }
    {
        json_t *cr = json_array();
        int64_t v;

        for (v = s->checkpoint_version + 1; v <= s->version; v++)
            json_array_append_new(cr, json_integer(v));
        json_object_set_new(o, "commits_replayed", cr);
    }
    return o;
}

static int open_table_args(const char *arg, int64_t version, int64_t ts_ms,
                           int have_ts, struct lake_table **t)
{
    char *path = lake_table_resolve(arg);
    int rc;

    if (have_ts)
        rc = lake_table_open_timestamp(t, path, ts_ms);
    else if (version >= 0)
        rc = lake_table_open_version(t, path, version);
    else
        rc = lake_table_open(t, path);
    free(path);
    return rc;
}

static int parse_ts_arg(const char *s, int64_t *ms);

static int do_describe(int argc, char **argv)
{
    const char *name = NULL;
    int64_t version = -1, ts = 0;
    int have_ts = 0;
    int json = 0;
    struct lake_table *t = NULL;
    const struct lake_snapshot *s;
    int i;
    size_t k;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--version") && i + 1 < argc) {
            if (parse_i64(argv[++i], &version) < 0 || version < 0)
                return usage();
        } else if (!strcmp(argv[i], "--timestamp") && i + 1 < argc) {
            if (parse_ts_arg(argv[++i], &ts) < 0)
                return usage();
            have_ts = 1;
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return usage();
    }
    if (!name)
        return usage();
    if (open_table_args(name, version, ts, have_ts, &t))
        return fail("describe");
    s = lake_table_snapshot(t);
    if (json) {
        json_t *o = describe_json(s, lake_table_path(t));
        char *d = json_dumps(o, JSON_INDENT(2));

        printf("%s\n", d);
        free(d);
        json_decref(o);
    } else {
        int64_t rows = 0, bytes = 0;
        char when[48];

        for (k = 0; k < s->nfiles; k++) {
            bytes += s->files[k].size;
            if (s->files[k].num_records > 0)
                rows += s->files[k].num_records;
        }
        iso_ms(when, sizeof(when), s->timestamp_ms);
        printf("table:      %s\n", lake_table_path(t));
        printf("version:    %lld (%s)\n", (long long)s->version, when);
        printf("protocol:   reader %d, writer %d\n", s->min_reader_version,
               s->min_writer_version);
        printf("id:         %s\n", s->metadata_id);
        printf("files:      %zu (%lld rows, %lld bytes)\n", s->nfiles,
               (long long)rows, (long long)bytes);
        printf("partitions: ");
        for (k = 0; k < s->npartition_cols; k++)
            printf("%s%s", k ? ", " : "", s->partition_cols[k]);
        printf("%s\n", s->npartition_cols ? "" : "(none)");
        for (k = 0; k < s->nconfig; k++)
            printf("config:     %s = %s\n", s->config[k].key,
                   s->config[k].value ? s->config[k].value : "null");
        for (k = 0; k < s->ntxns; k++)
            printf("txn:        %s = %lld\n", s->txns[k].app_id,
                   (long long)s->txns[k].version);
        if (s->checkpoint_version >= 0)
            printf("checkpoint: %lld (+%lld commits replayed)\n",
                   (long long)s->checkpoint_version,
                   (long long)s->commits_replayed);
        printf("\n%-24s %-28s %s\n", "COLUMN", "TYPE", "NULLABLE");
        for (k = 0; s->schema && k < s->schema->n_fields; k++) {
            struct ju_buf b = JU_BUF_INIT;

            simple_type(&b, &s->schema->fields[k]);
            printf("%-24s %-28s %s\n", s->schema->fields[k].name,
                   ju_buf_str(&b),
                   s->schema->fields[k].nullable ? "yes" : "no");
            ju_buf_release(&b);
        }
    }
    lake_table_close(t);
    return 0;
}

/* ---------------------------------------------------------------- show */

enum fmt { FMT_TABLE, FMT_JSONL, FMT_CSV };

struct show_ctx {
    enum fmt fmt;
    int64_t limit;
    int64_t printed;
    char ***cells; /* FMT_TABLE: buffered rows */
    size_t nrows, arows;
    size_t ncols;
};

/* Plain text of one cell (strings raw, others as their JSON encoding
 * without quotes). NULL for null. */
static char *cell_text(const struct lake_column *c, size_t i)
{
    struct ju_buf b = JU_BUF_INIT;
    char *s;
    size_t n;

    if (lake_column_is_null(c, i))
        return NULL;
    if (c->type == LAKE_TYPE_STRING) {
        const char *p = lake_column_get_str(c, i, &n);

        return ju_xstrndup(p, n);
    }
    lake_column_format_json(&b, c, i);
    s = ju_buf_detach(&b, &n);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"' &&
        c->type != LAKE_TYPE_STRUCT) {
        memmove(s, s + 1, n - 2);
        s[n - 2] = '\0';
    }
    return s;
}

static void csv_field(const char *s)
{
    const char *p;

    if (!s)
        return;
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (p = s; *p; p++) {
        if (*p == '"')
            putchar('"');
        putchar(*p);
    }
    putchar('"');
}

/* Cells of row r: nested values use the row's JSON (field names). */
static char **row_cells(const struct lake_batch *b, size_t r)
{
    char **row = ju_xcalloc(b->n_columns + 1, sizeof(char *));
    json_t *obj = NULL;
    size_t c;

    for (c = 0; c < b->n_columns; c++) {
        if (lake_type_is_nested(b->columns[c].type) &&
            !lake_column_is_null(&b->columns[c], r)) {
            json_t *v;

            if (!obj) {
                struct ju_buf o = JU_BUF_INIT;

                lake_batch_format_row_json(&o, b, r);
                obj = json_loads(ju_buf_str(&o), 0, NULL);
                ju_buf_release(&o);
            }
            v = json_object_get(obj, b->schema.fields[c].name);
            row[c] = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)
                       : cell_text(&b->columns[c], r);
        } else {
            row[c] = cell_text(&b->columns[c], r);
        }
    }
    json_decref(obj);
    return row;
}

static int show_cb(void *ud, const struct lake_file *file, struct lake_batch *b)
{
    struct show_ctx *x = ud;
    size_t r, c;

    (void)file;
    for (r = 0; r < b->num_rows; r++) {
        if (x->limit >= 0 && x->printed >= x->limit)
            return 1;
        x->printed++;
        if (x->fmt == FMT_JSONL) {
            struct ju_buf o = JU_BUF_INIT;

            lake_batch_format_row_json(&o, b, r);
            printf("%s\n", ju_buf_str(&o));
            ju_buf_release(&o);
        } else if (x->fmt == FMT_CSV) {
            char **row = row_cells(b, r);

            for (c = 0; c < b->n_columns; c++) {
                if (c)
                    putchar(',');
                csv_field(row[c]);
                free(row[c]);
            }
            free(row);
            putchar('\n');
        } else {
            char **row = row_cells(b, r);

            JU_ALLOC_GROW(x->cells, x->nrows + 1, x->arows);
            x->cells[x->nrows++] = row;
        }
    }
    return 0;
}

static size_t utf8_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    }
    return n;
}

static void print_table(const struct lake_schema *schema, char ***cells,
                        size_t nrows)
{
    size_t nc = schema->n_fields;
    size_t *w = ju_xcalloc(nc + 1, sizeof(size_t));
    size_t r, c;

    for (c = 0; c < nc; c++)
        w[c] = utf8_width(schema->fields[c].name);
    for (r = 0; r < nrows; r++) {
        for (c = 0; c < nc; c++) {
            size_t l = cells[r][c] ? utf8_width(cells[r][c]) : 4;

            if (l > 60)
                l = 60;
            if (l > w[c])
                w[c] = l;
        }
    }
    for (c = 0; c < nc; c++)
        printf("%s%-*s", c ? "  " : "", c + 1 < nc ? (int)w[c] : 0,
               schema->fields[c].name);
    printf("\n");
    for (c = 0; c < nc; c++) {
        size_t k;

        printf("%s", c ? "  " : "");
        for (k = 0; k < w[c]; k++)
            putchar('-');
    }
    printf("\n");
    for (r = 0; r < nrows; r++) {
        for (c = 0; c < nc; c++) {
            const char *s = cells[r][c] ? cells[r][c] : "NULL";
            size_t l = utf8_width(s);

            printf("%s%s", c ? "  " : "", s);
            for (; c + 1 < nc && l < w[c]; l++)
                putchar(' ');
        }
        printf("\n");
    }
    free(w);
}

static int parse_fmt(const char *s, enum fmt *f)
{
    if (!strcmp(s, "table"))
        *f = FMT_TABLE;
    else if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
        *f = FMT_JSONL;
    else if (!strcmp(s, "csv"))
        *f = FMT_CSV;
    else
        return -1;
    return 0;
}

static int parse_ts_arg(const char *s, int64_t *ms)
{
    int64_t us;

    if (parse_i64(s, ms) == 0)
        return 0;
    if (lake_delta_parse_timestamp(s, &us) == 0) {
        *ms = us / 1000;
        return 0;
    }
    return -1;
}

static int do_show(int argc, char **argv)
{
    const char *name = NULL;
    int64_t version = -1, ts = 0;
    int have_ts = 0;
    struct show_ctx x;
    struct lake_table *t = NULL;
    struct lake_scan_stats st;
    int i, rc;
    size_t r, c;

    memset(&x, 0, sizeof(x));
    x.limit = -1;
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--version") && i + 1 < argc) {
            if (parse_i64(argv[++i], &version) < 0 || version < 0)
                return usage();
        } else if (!strcmp(argv[i], "--timestamp") && i + 1 < argc) {
            if (parse_ts_arg(argv[++i], &ts) < 0) {
                fprintf(stderr, "jobctl: table show: invalid timestamp '%s'\n",
                        argv[i]);
                return 2;
            }
            have_ts = 1;
        } else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            if (parse_i64(argv[++i], &x.limit) < 0 || x.limit < 0)
                return usage();
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            if (parse_fmt(argv[++i], &x.fmt) < 0)
                return usage();
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return usage();
    }
    if (!name)
        return usage();
    if (open_table_args(name, version, ts, have_ts, &t))
        return fail("show");
    if (x.fmt == FMT_CSV) {
        const struct lake_schema *s = lake_table_schema(t);

        for (c = 0; c < s->n_fields; c++) {
            if (c)
                putchar(',');
            csv_field(s->fields[c].name);
        }
        putchar('\n');
    }
    rc = lake_table_scan(t, NULL, show_cb, &x, &st);
    if (rc < 0) {
        lake_table_close(t);
        return fail("show");
    }
    if (x.fmt == FMT_TABLE) {
        print_table(lake_table_schema(t), x.cells, x.nrows);
        printf("(%zu row%s)\n", x.nrows, x.nrows == 1 ? "" : "s");
    }
    for (r = 0; r < x.nrows; r++) {
        for (c = 0; c < lake_table_schema(t)->n_fields; c++)
            free(x.cells[r][c]);
        free(x.cells[r]);
    }
    free(x.cells);
    lake_table_close(t);
    return 0;
}

/* ------------------------------------------------------------- history */

static int do_history(int argc, char **argv)
{
    const char *name = NULL;
    int json = 0;
    int64_t limit = 0;
    struct lake_table *t = NULL;
    struct lake_history_entry *h = NULL;
    size_t n = 0, k;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            if (parse_i64(argv[++i], &limit) < 0 || limit < 0)
                return usage();
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return usage();
    }
    if (!name)
        return usage();
    if (open_table_args(name, -1, 0, 0, &t))
        return fail("history");
    if (lake_table_history(t, (size_t)limit, &h, &n)) {
        lake_table_close(t);
        return fail("history");
    }
    if (json) {
        json_t *arr = json_array();
        char *d;

        for (k = 0; k < n; k++) {
            json_t *ci =
                h[k].commit_info ? json_loads(h[k].commit_info, 0, NULL) : NULL;
            json_t *o = json_object();
            char ts[48];

            iso_ms(ts, sizeof(ts), h[k].timestamp_ms);
            json_object_set_new(o, "version", json_integer(h[k].version));
            json_object_set_new(o, "timestamp", json_string(ts));
            if (json_is_object(ci)) {
                const char *key;
                json_t *v;

                json_object_foreach(ci, key, v)
                {
                    if (strcmp(key, "timestamp"))
                        json_object_set(o, key, v);
                }
            }
            json_decref(ci);
            json_array_append_new(arr, o);
        }
        d = json_dumps(arr, JSON_INDENT(2));
        printf("%s\n", d);
        free(d);
        json_decref(arr);
    } else {
        printf("%-8s %-25s %-22s %s\n", "VERSION", "TIMESTAMP", "OPERATION",
               "PARAMETERS / METRICS");
        for (k = 0; k < n; k++) {
            char ts[48];
            json_t *ci =
                h[k].commit_info ? json_loads(h[k].commit_info, 0, NULL) : NULL;
            char *p = NULL;
            char *m = NULL;

            if (ci) {
                json_t *pp = json_object_get(ci, "operationParameters");
                json_t *mm = json_object_get(ci, "operationMetrics");

                if (pp)
                    p = json_dumps(pp, JSON_COMPACT);
                if (mm && json_object_size(mm))
                    m = json_dumps(mm, JSON_COMPACT);
            }
            iso_ms(ts, sizeof(ts), h[k].timestamp_ms);
            printf("%-8lld %-25s %-22s %s%s%s\n", (long long)h[k].version, ts,
                   h[k].operation ? h[k].operation : "-", p ? p : "",
                   m ? " " : "", m ? m : "");
            free(p);
            free(m);
            json_decref(ci);
        }
    }
    lake_history_free(h, n);
    lake_table_close(t);
    return 0;
}

/* -------------------------------------------------------------- import */

static void skip_ws(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

/* Parse a Spark simple type string ("long", "decimal(10,2)",
 * "array<int>", "map<string,long>", "struct<a:int,b:string>"). */
static int parse_type_str(const char **pp, const char *name,
                          struct lake_field *out, int depth)
{
    static const struct {
        const char *n;
        enum lake_type t;
    } prims[] = {
        {"string", LAKE_TYPE_STRING},
        {"long", LAKE_TYPE_LONG},
        {"bigint", LAKE_TYPE_LONG},
        {"integer", LAKE_TYPE_INTEGER},
        {"int", LAKE_TYPE_INTEGER},
        {"short", LAKE_TYPE_SHORT},
        {"smallint", LAKE_TYPE_SHORT},
        {"byte", LAKE_TYPE_BYTE},
        {"tinyint", LAKE_TYPE_BYTE},
        {"float", LAKE_TYPE_FLOAT},
        {"double", LAKE_TYPE_DOUBLE},
        {"boolean", LAKE_TYPE_BOOLEAN},
        {"bool", LAKE_TYPE_BOOLEAN},
        {"binary", LAKE_TYPE_BINARY},
        {"date", LAKE_TYPE_DATE},
        {"timestamp", LAKE_TYPE_TIMESTAMP},
        {"timestamp_ntz", LAKE_TYPE_TIMESTAMP_NTZ},
    };
    const char *p = *pp;
    char word[32];
    size_t n = 0, k;

    if (depth > 16)
        return jc_err_set(JC_EINVAL, "column '%s': type nested too deep", name);
    skip_ws(&p);
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           p[n] == '_') {
        if (n + 1 >= sizeof(word))
            break;
        word[n] = (char)(p[n] | 0x20);
        n++;
    }
    word[n] = '\0';
    p += n;
    if (!strcmp(word, "decimal")) {
        char *end;
        long prec = 10, sc = 0;

        if (*p == '(') {
            prec = strtol(p + 1, &end, 10);
            p = end;
            skip_ws(&p);
            if (*p++ != ',')
                goto bad;
            sc = strtol(p, &end, 10);
            p = end;
            if (*p++ != ')')
                goto bad;
        }
        if (prec < 1 || prec > 38 || sc < 0 || sc > prec)
            goto bad;
        lake_field_init_decimal(out, name, (int)prec, (int)sc, true);
        *pp = p;
        return 0;
    }
    if (!strcmp(word, "array") && *p == '<') {
        struct lake_field el;

        p++;
        if (parse_type_str(&p, "element", &el, depth + 1))
            return JC_EINVAL;
        skip_ws(&p);
        if (*p++ != '>') {
            lake_field_release(&el);
            goto bad;
        }
        lake_field_init_array(out, name, &el, true);
        lake_field_release(&el);
        *pp = p;
        return 0;
    }
    if (!strcmp(word, "map") && *p == '<') {
        struct lake_field kf, vf;

        p++;
        if (parse_type_str(&p, "key", &kf, depth + 1))
            return JC_EINVAL;
        skip_ws(&p);
        if (*p++ != ',' || parse_type_str(&p, "value", &vf, depth + 1)) {
            lake_field_release(&kf);
            goto bad;
        }
        skip_ws(&p);
        if (*p++ != '>') {
            lake_field_release(&kf);
            lake_field_release(&vf);
            goto bad;
        }
        lake_field_init_map(out, name, &kf, &vf, true);
        lake_field_release(&kf);
        lake_field_release(&vf);
        *pp = p;
        return 0;
    }
    if (!strcmp(word, "struct") && *p == '<') {
        p++;
        lake_field_init(out, name, LAKE_TYPE_STRUCT, true);
        for (;;) {
            char cname[256];
            size_t cn = 0;
            struct lake_field cf;

            skip_ws(&p);
            while (*p && *p != ':' && *p != '>' && *p != ',' &&
                   cn + 1 < sizeof(cname))
                cname[cn++] = *p++;
            cname[cn] = '\0';
            if (*p++ != ':' || !cn ||
                parse_type_str(&p, cname, &cf, depth + 1)) {
                lake_field_release(out);
                goto bad;
            }
            lake_field_add_child(out, &cf);
            lake_field_release(&cf);
            skip_ws(&p);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p++ != '>') {
                lake_field_release(out);
                goto bad;
            }
            break;
        }
        *pp = p;
        return 0;
    }
    for (k = 0; k < sizeof(prims) / sizeof(prims[0]); k++) {
        if (!strcmp(word, prims[k].n)) {
            lake_field_init(out, name, prims[k].t, true);
            *pp = p;
            return 0;
        }
    }
bad:
    return jc_err_set(JC_EINVAL, "column '%s': invalid type near '%s'", name,
                      *pp);
}

/* "a:long,b:decimal(10,2),c:array<string>" */
static int parse_schema_spec(const char *spec, struct lake_schema *s)
{
    const char *p = spec;

    while (*p) {
        char name[256];
        size_t n = 0;
        struct lake_field f;

        skip_ws(&p);
        while (*p && *p != ':' && *p != ',' && n + 1 < sizeof(name))
            name[n++] = *p++;
        name[n] = '\0';
        if (*p != ':' || !n)
            return jc_err_set(JC_EINVAL, "schema item '%s': expected NAME:TYPE",
                              name);
        p++;
        if (parse_type_str(&p, name, &f, 0))
            return JC_EINVAL;
        if (lake_schema_find(s, name) >= 0) {
            lake_field_release(&f);
            return jc_err_set(JC_EINVAL, "duplicate column '%s'", name);
        }
        lake_schema_add(s, &f);
        lake_field_release(&f);
        skip_ws(&p);
        if (*p == ',')
            p++;
        else if (*p)
            return jc_err_set(JC_EINVAL, "schema: unexpected '%s'", p);
    }
    if (!s->n_fields)
        return jc_err_set(JC_EINVAL, "empty schema");
    return 0;
}

static int looks_like_ts(const char *s)
{
    size_t n = strlen(s);

    return n >= 19 && s[4] == '-' && s[7] == '-' &&
           (s[10] == 'T' || s[10] == ' ') && s[13] == ':' && s[16] == ':';
}

static int looks_like_date(const char *s)
{
    return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && s[0] >= '0' &&
           s[0] <= '9';
}

/* Widen types seen in JSON values: long < double; string wins. */
static int infer_schema(json_t **rows, size_t n, struct lake_schema *s)
{
    json_t *order = json_array();
    json_t *types = json_object();
    size_t i, k;
    json_t *v;
    const char *key;

    for (i = 0; i < n; i++) {
        json_object_foreach(rows[i], key, v)
        {
            const char *cur;
            const char *t;

            if (!json_object_get(types, key)) {
                json_array_append_new(order, json_string(key));
                json_object_set_new(types, key, json_string("null"));
            }
            cur = json_string_value(json_object_get(types, key));
            if (json_is_null(v))
                continue;
            if (json_is_integer(v))
                t = "long";
            else if (json_is_real(v))
                t = "double";
            else if (json_is_boolean(v))
                t = "boolean";
            else if (json_is_string(v))
                t = looks_like_ts(json_string_value(v))     ? "timestamp"
                    : looks_like_date(json_string_value(v)) ? "date"
                                                            : "string";
            else
                t = "string";
            if (!strcmp(cur, "null") || !strcmp(cur, t))
                ;
            else if ((!strcmp(cur, "long") && !strcmp(t, "double")) ||
                     (!strcmp(cur, "double") && !strcmp(t, "long")))
                t = "double";
            else
                t = "string";
            json_object_set_new(types, key, json_string(t));
        }
    }
    json_array_foreach(order, k, v)
    {
        const char *name = json_string_value(v);
        const char *t = json_string_value(json_object_get(types, name));
        enum lake_type lt = LAKE_TYPE_STRING;

        if (!strcmp(t, "long"))
            lt = LAKE_TYPE_LONG;
        else if (!strcmp(t, "double"))
            lt = LAKE_TYPE_DOUBLE;
        else if (!strcmp(t, "boolean"))
            lt = LAKE_TYPE_BOOLEAN;
        else if (!strcmp(t, "timestamp"))
            lt = LAKE_TYPE_TIMESTAMP;
        else if (!strcmp(t, "date"))
            lt = LAKE_TYPE_DATE;
        lake_schema_add_simple(s, name, lt, true);
    }
    json_decref(order);
    json_decref(types);
    if (!s->n_fields)
        return jc_err_set(JC_EINVAL, "cannot infer a schema: no columns");
    return 0;
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Append JSON value v to column c of field f. */
static int append_json(struct lake_column *c, const struct lake_field *f,
                       json_t *v, int depth)
{
    if (!v || json_is_null(v)) {
        lake_batch_append_null(c);
        return 0;
    }
    if (depth > LAKE_NESTING_MAX)
        return jc_err_set(JC_ETOOBIG, "value nested too deep");
    switch (f->type) {
    case LAKE_TYPE_BOOLEAN:
        if (!json_is_boolean(v))
            goto bad;
        lake_batch_append_bool(c, json_is_true(v));
        return 0;
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG: {
        json_int_t x;

        if (!json_is_integer(v))
            goto bad;
        x = json_integer_value(v);
        if ((f->type == LAKE_TYPE_BYTE && (x < -128 || x > 127)) ||
            (f->type == LAKE_TYPE_SHORT && (x < -32768 || x > 32767)) ||
            (f->type == LAKE_TYPE_INTEGER &&
             (x < -2147483648LL || x > 2147483647LL)))
            goto bad;
        if (f->type == LAKE_TYPE_BYTE)
            lake_batch_append_i8(c, (int8_t)x);
        else if (f->type == LAKE_TYPE_SHORT)
            lake_batch_append_i16(c, (int16_t)x);
        else if (f->type == LAKE_TYPE_INTEGER)
            lake_batch_append_i32(c, (int32_t)x);
        else
            lake_batch_append_i64(c, (int64_t)x);
        return 0;
    }
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE: {
        double d;

        if (json_is_number(v))
            d = json_number_value(v);
        else if (json_is_string(v) && !strcmp(json_string_value(v), "NaN"))
            d = __builtin_nan("");
        else if (json_is_string(v) && !strcmp(json_string_value(v), "Infinity"))
            d = __builtin_inf();
        else if (json_is_string(v) &&
                 !strcmp(json_string_value(v), "-Infinity"))
            d = -__builtin_inf();
        else
            goto bad;
        if (f->type == LAKE_TYPE_FLOAT)
            lake_batch_append_f32(c, (float)d);
        else
            lake_batch_append_f64(c, d);
        return 0;
    }
    case LAKE_TYPE_STRING:
        if (json_is_string(v)) {
            lake_batch_append_str(c, json_string_value(v),
                                  json_string_length(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

            lake_batch_append_str(c, s, strlen(s));
            free(s);
        }
        return 0;
    case LAKE_TYPE_BINARY: {
        const char *s;
        size_t n, i;
        char *out;

        if (!json_is_string(v))
            goto bad;
        s = json_string_value(v);
        n = json_string_length(v);
        if (n % 2)
            goto bad;
        out = ju_xmalloc(n / 2 + 1);
        for (i = 0; i < n / 2; i++) {
            int hi = hexv((unsigned char)s[2 * i]);
            int lo = hexv((unsigned char)s[2 * i + 1]);

            if (hi < 0 || lo < 0) {
                free(out);
                goto bad;
            }
            out[i] = (char)(hi * 16 + lo);
        }
        lake_batch_append_str(c, out, n / 2);
        free(out);
        return 0;
    }
    case LAKE_TYPE_DATE: {
        int32_t d;

        if (!json_is_string(v) ||
            lake_delta_parse_date(json_string_value(v), &d) < 0)
            goto bad;
        lake_batch_append_i32(c, d);
        return 0;
    }
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ: {
        int64_t us;

        if (json_is_integer(v))
            us = json_integer_value(v);
        else if (!json_is_string(v) ||
                 lake_delta_parse_timestamp(json_string_value(v), &us) < 0)
            goto bad;
        lake_batch_append_i64(c, us);
        return 0;
    }
    case LAKE_TYPE_DECIMAL: {
        lake_i128 x;
        char tmp[64];
        const char *s;

        if (json_is_string(v)) {
            s = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(tmp, sizeof(tmp), "%lld",
                     (long long)json_integer_value(v));
            s = tmp;
        } else if (json_is_real(v)) {
            snprintf(tmp, sizeof(tmp), "%.*f", f->scale, json_real_value(v));
            s = tmp;
        } else {
            goto bad;
        }
        if (lake_delta_parse_decimal(s, f->scale, &x) < 0)
            goto bad;
        if (f->precision <= 18)
            lake_batch_append_i64(c, (int64_t)x);
        else
            lake_batch_append_i128(c, x);
        return 0;
    }
    case LAKE_TYPE_STRUCT: {
        size_t i;

        if (!json_is_object(v))
            goto bad;
        lake_batch_append_struct(c);
        for (i = 0; i < f->n_children; i++) {
            int rc =
                append_json(&c->children[i], &f->children[i],
                            json_object_get(v, f->children[i].name), depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    }
    case LAKE_TYPE_ARRAY: {
        size_t i;
        json_t *e;

        if (!json_is_array(v))
            goto bad;
        json_array_foreach(v, i, e)
        {
            int rc =
                append_json(&c->children[0], &f->children[0], e, depth + 1);
            if (rc)
                return rc;
        }
        lake_batch_end_list(c);
        return 0;
    }
    case LAKE_TYPE_MAP: {
        /* object (string keys) or list of [key, value] pairs */
        size_t i;
        json_t *e;
        const char *k;

        if (json_is_object(v) && f->children[0].type == LAKE_TYPE_STRING) {
            json_object_foreach(v, k, e)
            {
                json_t *kj = json_string(k);
                int rc = append_json(&c->children[0], &f->children[0], kj,
                                     depth + 1);

                json_decref(kj);
                if (rc == 0)
                    rc = append_json(&c->children[1], &f->children[1], e,
                                     depth + 1);
                if (rc)
                    return rc;
            }
        } else if (json_is_array(v)) {
            json_array_foreach(v, i, e)
            {
                int rc;

                if (!json_is_array(e) || json_array_size(e) != 2 ||
                    json_is_null(json_array_get(e, 0)))
                    goto bad;
                rc = append_json(&c->children[0], &f->children[0],
                                 json_array_get(e, 0), depth + 1);
                if (rc == 0)
                    rc = append_json(&c->children[1], &f->children[1],
                                     json_array_get(e, 1), depth + 1);
                if (rc)
                    return rc;
            }
        } else {
            goto bad;
        }
        lake_batch_end_list(c);
        return 0;
    }
    default:
        break;
    }
bad:
    return jc_err_set(JC_EINVAL, "column '%s': value does not fit type %s",
                      f->name, lake_type_name(f->type));
}

struct jsonl {
    FILE *fp;
    const char *name;
    char *line;
    size_t cap;
    long lineno;
};

/* Next JSON object of the file: 1 = *out set, 0 = end, -1 = error. */
static int jsonl_next(struct jsonl *r, json_t **out)
{
    ssize_t len;

    *out = NULL;
    while ((len = getline(&r->line, &r->cap, r->fp)) >= 0) {
        json_error_t jerr;
        json_t *j;

        r->lineno++;
        while (len && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
            r->line[--len] = '\0';
        if (len == 0)
            continue;
        if ((size_t)len > IMPORT_LINE_CAP) {
            jc_err_set(JC_ETOOBIG, "'%s':%ld: line longer than %zu bytes",
                       r->name, r->lineno, IMPORT_LINE_CAP);
            return -1;
        }
        j = json_loadb(r->line, (size_t)len, 0, &jerr);
        if (!j || !json_is_object(j)) {
            jc_err_set(JC_EPARSE, "'%s':%ld:%d: %s", r->name, r->lineno,
                       j ? 1 : jerr.column,
                       j ? "expected a JSON object" : jerr.text);
            json_decref(j);
            return -1;
        }
        *out = j;
        return 1;
    }
    return 0;
}

static int append_row(struct lake_batch *b, json_t *row, const char *from,
                      long lineno)
{
    size_t c;

    for (c = 0; c < b->schema.n_fields; c++) {
        if (append_json(&b->columns[c], &b->schema.fields[c],
                        json_object_get(row, b->schema.fields[c].name), 0))
            return jc_err_wrap(JC_EINVAL, "'%s': row %ld", from, lineno);
    }
    return 0;
}

static int flush_batch(struct lake_txn *tx, struct lake_batch *b,
                       int64_t *total)
{
    if (b->columns[0].length == 0)
        return 0;
    if (lake_batch_seal(b) || lake_txn_append(tx, b))
        return -1;
    *total += (int64_t)b->num_rows;
    lake_batch_reset(b);
    return 0;
}

static int do_import(int argc, char **argv)
{
    const char *name = NULL, *from = NULL, *spec = NULL, *app = NULL;
    const char *codec = NULL;
    const char **pcols = NULL;
    size_t npc = 0;
    int overwrite = 0;
    struct lake_schema schema = LAKE_SCHEMA_INIT;
    json_t **rows = NULL;
    long *rowline = NULL;
    size_t nrows = 0, arows = 0, arl = 0;
    struct jsonl rd;
    struct lake_table *t = NULL;
    struct lake_txn *tx = NULL;
    struct lake_batch *b = NULL;
    char *path = NULL;
    int64_t version = -1;
    int64_t total = 0;
    int rc = 0;
    int i, more;
    size_t k;

    memset(&rd, 0, sizeof(rd));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--from") && i + 1 < argc)
            from = argv[++i];
        else if (!strcmp(argv[i], "--schema") && i + 1 < argc)
            spec = argv[++i];
        else if (!strcmp(argv[i], "--app-txn") && i + 1 < argc)
            app = argv[++i];
        else if (!strcmp(argv[i], "--codec") && i + 1 < argc)
            codec = argv[++i];
        else if (!strcmp(argv[i], "--partition-by") && i + 1 < argc) {
            pcols = ju_xrealloc(pcols, (npc + 1) * sizeof(char *));
            pcols[npc++] = argv[++i];
        } else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "overwrite"))
                overwrite = 1;
            else if (strcmp(argv[i], "append")) {
                free(pcols);
                return usage();
            }
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else {
            free(pcols);
            return usage();
        }
    }
    if (!name || !from) {
        free(pcols);
        return usage();
    }
    rd.name = from;
    rd.fp = strcmp(from, "-") ? fopen(from, "r") : stdin;
    if (!rd.fp) {
        fprintf(stderr, "jobctl: table import: cannot open '%s': %s\n", from,
                strerror(errno));
        free(pcols);
        return 1;
    }
    /* buffer the first rows (schema inference), stream the rest */
    for (;;) {
        json_t *j = NULL;

        if (nrows >= INFER_ROWS)
            break;
        more = jsonl_next(&rd, &j);
        if (more < 0) {
            rc = 1;
            goto out;
        }
        if (more == 0)
            break;
        JU_ALLOC_GROW(rows, nrows + 1, arows);
        JU_ALLOC_GROW(rowline, nrows + 1, arl);
        rows[nrows] = j;
        rowline[nrows++] = rd.lineno;
    }
    if (spec)
        rc = parse_schema_spec(spec, &schema) ? 1 : 0;
    else
        rc = infer_schema(rows, nrows, &schema) ? 1 : 0;
    if (rc)
        goto out;
    path = lake_table_resolve(name);
    if (lake_table_create_if_absent(&t, path, &schema, pcols, npc, NULL)) {
        rc = 1;
        goto out;
    }
    if (app) {
        const char *colon = strrchr(app, ':');
        int64_t av, have;
        char *id;

        if (!colon || colon == app || parse_i64(colon + 1, &av) < 0) {
            jc_err_set(JC_EINVAL, "--app-txn wants APP_ID:VERSION, got '%s'",
                       app);
            rc = 1;
            goto out;
        }
        id = ju_xstrndup(app, (size_t)(colon - app));
        if (lake_table_txn_version(t, id, &have) == 0 && have >= av) {
            printf("already committed: '%s' has txn '%s' version %lld\n",
                   lake_table_path(t), id, (long long)have);
            free(id);
            goto out;
        }
        if (lake_txn_begin(t, &tx)) {
            free(id);
            rc = 1;
            goto out;
        }
        lake_txn_set_app_txn(tx, id, av);
        free(id);
    } else if (lake_txn_begin(t, &tx)) {
        rc = 1;
        goto out;
    }
    if (overwrite)
        lake_txn_remove_all(tx);
    if (codec && lake_txn_set_codec(tx, codec)) {
        rc = 1;
        goto out;
    }
    b = lake_batch_new(lake_table_schema(t));
    for (k = 0; k < nrows; k++) {
        if (append_row(b, rows[k], from, rowline[k])) {
            rc = 1;
            goto out;
        }
        json_decref(rows[k]);
        rows[k] = NULL;
        if (b->columns[0].length >= IMPORT_BATCH_ROWS &&
            flush_batch(tx, b, &total)) {
            rc = 1;
            goto out;
        }
    }
    for (;;) {
        json_t *j = NULL;

        more = jsonl_next(&rd, &j);
        if (more < 0) {
            rc = 1;
            goto out;
        }
        if (more == 0)
            break;
        rc = append_row(b, j, from, rd.lineno) ? 1 : 0;
        json_decref(j);
        if (rc)
            goto out;
        if (b->columns[0].length >= IMPORT_BATCH_ROWS &&
            flush_batch(tx, b, &total)) {
            rc = 1;
            goto out;
        }
    }
    if (flush_batch(tx, b, &total)) {
        rc = 1;
        goto out;
    }
    rc = lake_txn_commit(tx, "WRITE", NULL, &version);
    tx = NULL;
    if (rc == JC_EEXIST) {
        printf("already committed: %s\n", jc_err_last());
        rc = 0;
        goto out;
    }
    rc = rc ? 1 : 0;
    if (rc == 0)
        printf("imported %lld rows into '%s' (version %lld)\n",
               (long long)total, lake_table_path(t), (long long)version);
out:
    if (rc)
        fail("import");
    if (tx)
        lake_txn_abort(tx);
    if (b)
        lake_batch_free(b);
    for (k = 0; k < nrows; k++)
        json_decref(rows[k]);
    free(rows);
    free(rowline);
    free(rd.line);
    if (rd.fp && rd.fp != stdin)
        fclose(rd.fp);
    free(pcols);
    free(path);
    lake_schema_release(&schema);
    lake_table_close(t);
    return rc;
}

/* ------------------------------------------------- optimize/vacuum/check */

static int do_optimize(int argc, char **argv)
{
    const char *name = NULL;
    const char *zarg = "";
    char *zspec = NULL;
    const char *zcols[64];
    size_t nz = 0;
    int64_t target = 0;
    struct lake_table *t = NULL;
    struct lake_optimize_result res;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--zorder-by") && i + 1 < argc) {
            free(zspec);
            zarg = argv[++i];
            zspec = ju_xstrdup(zarg);
        } else if (!strcmp(argv[i], "--target-rows") && i + 1 < argc) {
            if (parse_i64(argv[++i], &target) < 0 || target <= 0) {
                free(zspec);
                return usage();
            }
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else {
            free(zspec);
            return usage();
        }
    }
    if (!name) {
        free(zspec);
        return usage();
    }
    if (zspec) {
        char *p = zspec;

        while (p && *p && nz < 64) {
            char *comma = strchr(p, ',');

            if (comma)
                *comma = '\0';
            while (*p == ' ')
                p++;
            if (*p)
                zcols[nz++] = p;
            p = comma ? comma + 1 : NULL;
        }
    }
    if (open_table_args(name, -1, 0, 0, &t)) {
        free(zspec);
        return fail("optimize");
    }
    if (lake_table_optimize(t, zcols, nz, target, &res)) {
        lake_table_close(t);
        free(zspec);
        return fail("optimize");
    }
    if (res.version < 0)
        printf("nothing to optimize in '%s'\n", lake_table_path(t));
    else
        printf("optimized '%s' (version %lld): removed %zu files (%lld "
               "bytes), added %zu files (%lld bytes)%s%s\n",
               lake_table_path(t), (long long)res.version, res.files_removed,
               (long long)res.bytes_removed, res.files_added,
               (long long)res.bytes_added, nz ? ", z-ordered by " : "",
               nz ? zarg : "");
    lake_table_close(t);
    free(zspec);
    return 0;
}

static int do_vacuum(int argc, char **argv)
{
    const char *name = NULL;
    double hours = -1;
    int dry = 0, force = 0;
    struct lake_table *t = NULL;
    struct lake_vacuum_result res;
    size_t k;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--retain-hours") && i + 1 < argc) {
            char *end;

            hours = strtod(argv[++i], &end);
            if (*end || hours < 0)
                return usage();
        } else if (!strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return usage();
    }
    if (!name)
        return usage();
    if (open_table_args(name, -1, 0, 0, &t))
        return fail("vacuum");
    if (lake_table_vacuum(t, hours, dry, force, &res)) {
        lake_table_close(t);
        return fail("vacuum");
    }
    for (k = 0; k < res.nfiles; k++)
        printf("%s%s\n", dry ? "would delete " : "deleted ", res.files[k]);
    printf("%s %zu file%s (%lld bytes) from '%s'\n",
           dry ? "would delete" : "deleted", res.nfiles,
           res.nfiles == 1 ? "" : "s", (long long)res.bytes,
           lake_table_path(t));
    lake_vacuum_result_free(&res);
    lake_table_close(t);
    return 0;
}

static int do_check(int argc, char **argv)
{
    struct lake_table *t = NULL;
    struct ju_buf rep = JU_BUF_INIT;
    int rc;

    if (argc != 2)
        return usage();
    if (open_table_args(argv[1], -1, 0, 0, &t))
        return fail("check");
    rc = lake_table_check(t, &rep);
    fputs(ju_buf_str(&rep), stdout);
    if (rc)
        fprintf(stderr, "jobctl: table check: '%s': %s\n", lake_table_path(t),
                jc_err_last());
    else
        printf("'%s' version %lld: ok (%zu files)\n", lake_table_path(t),
               (long long)lake_table_version(t),
               lake_table_snapshot(t)->nfiles);
    ju_buf_release(&rep);
    lake_table_close(t);
    return rc ? 1 : 0;
}

int cmd_table(int argc, char **argv)
{
    const char *sub;

    if (argc < 2)
        return usage();
    sub = argv[1];
    argc--;
    argv++;
    if (!strcmp(sub, "list"))
        return do_list(argc, argv);
    if (!strcmp(sub, "describe"))
        return do_describe(argc, argv);
    if (!strcmp(sub, "show"))
        return do_show(argc, argv);
    if (!strcmp(sub, "history"))
        return do_history(argc, argv);
    if (!strcmp(sub, "import"))
        return do_import(argc, argv);
    if (!strcmp(sub, "optimize"))
        return do_optimize(argc, argv);
    if (!strcmp(sub, "vacuum"))
        return do_vacuum(argc, argv);
    if (!strcmp(sub, "check"))
        return do_check(argc, argv);
    return usage();
}
