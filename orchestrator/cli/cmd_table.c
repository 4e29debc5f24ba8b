/*
 * cmd_table.c: `jobctl table list|describe|show|history|import|optimize|
 * vacuum|check`: inspect and maintain Delta tables by path or by name
 * under $JOBCTL_HOME/lake (lib/lake delta.h does the work). This file has
 * the dispatcher, list, describe, history and the helpers of
 * cmd_table_int.h; show, import and optimize/vacuum/check have their own.
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

#include "cli/cmd_table_int.h"
#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/buf.h"
#include "util/mem.h"

int jc_cli__table_fail(const char *what)
{
    fprintf(stderr, "jobctl: table %s: %s\n", what, jc_err_last());
    return 1;
}

int jc_cli__table_usage(void)
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

int jc_cli__parse_i64(const char *s, int64_t *out)
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

void jc_cli__iso_ms(char *out, size_t n, int64_t ms)
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
void jc_cli__simple_type(struct ju_buf *b, const struct lake_field *f)
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
            jc_cli__simple_type(b, &f->children[i]);
        }
        ju_buf_addc(b, '>');
        return;
    case LAKE_TYPE_ARRAY:
        ju_buf_adds(b, "array<");
        jc_cli__simple_type(b, &f->children[0]);
        ju_buf_addc(b, '>');
        return;
    case LAKE_TYPE_MAP:
        ju_buf_adds(b, "map<");
        jc_cli__simple_type(b, &f->children[0]);
        ju_buf_addc(b, ',');
        jc_cli__simple_type(b, &f->children[1]);
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
            return jc_cli__table_usage();
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

            jc_cli__simple_type(&b, &s->schema->fields[i]);
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

int jc_cli__open_table_args(const char *arg, int64_t version, int64_t ts_ms,
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
            if (jc_cli__parse_i64(argv[++i], &version) < 0 || version < 0)
                return jc_cli__table_usage();
        } else if (!strcmp(argv[i], "--timestamp") && i + 1 < argc) {
            if (jc_cli__parse_ts_arg(argv[++i], &ts) < 0)
                return jc_cli__table_usage();
            have_ts = 1;
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return jc_cli__table_usage();
    }
    if (!name)
        return jc_cli__table_usage();
    if (jc_cli__open_table_args(name, version, ts, have_ts, &t))
        return jc_cli__table_fail("describe");
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
        jc_cli__iso_ms(when, sizeof(when), s->timestamp_ms);
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

            jc_cli__simple_type(&b, &s->schema->fields[k]);
            printf("%-24s %-28s %s\n", s->schema->fields[k].name,
                   ju_buf_str(&b),
                   s->schema->fields[k].nullable ? "yes" : "no");
            ju_buf_release(&b);
        }
    }
    lake_table_close(t);
    return 0;
}

int jc_cli__parse_ts_arg(const char *s, int64_t *ms)
{
    int64_t us;

    if (jc_cli__parse_i64(s, ms) == 0)
        return 0;
    if (lake_delta_parse_timestamp(s, &us) == 0) {
        *ms = us / 1000;
        return 0;
    }
    return -1;
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
            if (jc_cli__parse_i64(argv[++i], &limit) < 0 || limit < 0)
                return jc_cli__table_usage();
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return jc_cli__table_usage();
    }
    if (!name)
        return jc_cli__table_usage();
    if (jc_cli__open_table_args(name, -1, 0, 0, &t))
        return jc_cli__table_fail("history");
    if (lake_table_history(t, (size_t)limit, &h, &n)) {
        lake_table_close(t);
        return jc_cli__table_fail("history");
    }
    if (json) {
        json_t *arr = json_array();
        char *d;

        for (k = 0; k < n; k++) {
            json_t *ci =
                h[k].commit_info ? json_loads(h[k].commit_info, 0, NULL) : NULL;
            json_t *o = json_object();
            char ts[48];

            jc_cli__iso_ms(ts, sizeof(ts), h[k].timestamp_ms);
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
            jc_cli__iso_ms(ts, sizeof(ts), h[k].timestamp_ms);
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

int cmd_table(int argc, char **argv)
{
    const char *sub;

    if (argc < 2)
        return jc_cli__table_usage();
    sub = argv[1];
    argc--;
    argv++;
    if (!strcmp(sub, "list"))
        return do_list(argc, argv);
    if (!strcmp(sub, "describe"))
        return do_describe(argc, argv);
    if (!strcmp(sub, "show"))
        return jc_cli__table_show(argc, argv);
    if (!strcmp(sub, "history"))
        return do_history(argc, argv);
    if (!strcmp(sub, "import"))
        return jc_cli__table_import(argc, argv);
    if (!strcmp(sub, "optimize"))
        return jc_cli__table_optimize(argc, argv);
    if (!strcmp(sub, "vacuum"))
        return jc_cli__table_vacuum(argc, argv);
    if (!strcmp(sub, "check"))
        return jc_cli__table_check(argc, argv);
    return jc_cli__table_usage();
}
