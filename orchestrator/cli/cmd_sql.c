/*
 * cmd_sql.c: `jobctl sql "QUERY" [--format table|jsonl|csv] [--stats]`:
 * SQLite (in-memory) over every Delta table under $JOBCTL_HOME/lake (the
 * lake/sql.h virtual tables) plus read-only views runs / task_runs of the
 * run history; DESCRIBE HISTORY t is answered from the table's log.
 */
#include "cli/cmd.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cli/cli_out.h"
#include "jobctl/err.h"
#include "lake/delta.h"
#include "lake/sql.h"
#include "util/buf.h"
#include "util/fmt.h"
#include "util/mem.h"

static int usage(void)
{
    fprintf(stderr, "usage: jobctl sql QUERY [--format table|jsonl|csv] "
                    "[--stats]\n");
    return 2;
}

static char *hex(const unsigned char *p, int n)
{
    char *o = ju_xmalloc((size_t)n * 2 + 1);
    int i;

    for (i = 0; i < n; i++)
        snprintf(o + 2 * i, 3, "%02x", p[i]);
    o[2 * n] = '\0';
    return o;
}

static char *cell(sqlite3_stmt *st, int c)
{
    switch (sqlite3_column_type(st, c)) {
    case SQLITE_NULL:
        return NULL;
    case SQLITE_BLOB:
        return hex(sqlite3_column_blob(st, c), sqlite3_column_bytes(st, c));
    case SQLITE_FLOAT: {
        char b[64];

        ju_fmt_double(b, sizeof(b), sqlite3_column_double(st, c), false);
        return ju_xstrdup(b);
    }
    default:
        return ju_xstrdup((const char *)sqlite3_column_text(st, c));
    }
}

static int run_query(sqlite3 *db, const char *q, enum jc_cli_fmt fmt)
{
    sqlite3_stmt *st = NULL;
    const char *tail = q;
    int rc = SQLITE_OK;

    while (tail && *tail) {
        int nc, c;
        char ***rows = NULL;
        size_t nrows = 0, arows = 0, r;

        rc = sqlite3_prepare_v2(db, tail, -1, &st, &tail);
        if (rc != SQLITE_OK) {
            fprintf(stderr, "jobctl: sql: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        if (!st)
            break; /* whitespace / comment */
        nc = sqlite3_column_count(st);
        if (fmt == JC_CLI_FMT_CSV && nc) {
            for (c = 0; c < nc; c++) {
                if (c)
                    putchar(',');
                jc_cli_csv_field(sqlite3_column_name(st, c));
            }
            putchar('\n');
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (fmt == JC_CLI_FMT_JSONL) {
                json_t *o = json_object();
                char *d;

                for (c = 0; c < nc; c++) {
                    json_t *v;

                    switch (sqlite3_column_type(st, c)) {
                    case SQLITE_INTEGER:
                        v = json_integer(sqlite3_column_int64(st, c));
                        break;
                    case SQLITE_FLOAT:
                        v = json_real(sqlite3_column_double(st, c));
                        break;
                    case SQLITE_NULL:
                        v = json_null();
                        break;
                    case SQLITE_BLOB: {
                        char *h = hex(sqlite3_column_blob(st, c),
                                      sqlite3_column_bytes(st, c));

                        v = json_string(h);
                        free(h);
                        break;
                    }
                    default:
                        v = json_stringn(
                            (const char *)sqlite3_column_text(st, c),
                            (size_t)sqlite3_column_bytes(st, c));
                        if (!v)
                            v = json_null();
                    }
                    json_object_set_new(o, sqlite3_column_name(st, c), v);
                }
                d = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17));
                printf("%s\n", d);
                free(d);
                json_decref(o);
            } else if (fmt == JC_CLI_FMT_CSV) {
                for (c = 0; c < nc; c++) {
                    char *s = cell(st, c);

                    if (c)
                        putchar(',');
                    jc_cli_csv_field(s);
                    free(s);
                }
                putchar('\n');
            } else {
                char **row = ju_xcalloc((size_t)nc + 1, sizeof(char *));

                for (c = 0; c < nc; c++)
                    row[c] = cell(st, c);
                JU_ALLOC_GROW(rows, nrows + 1, arows);
                rows[nrows++] = row;
            }
        }
        if (rc != SQLITE_DONE) {
            fprintf(stderr, "jobctl: sql: %s\n", sqlite3_errmsg(db));
            sqlite3_finalize(st);
            for (r = 0; r < nrows; r++) {
                for (c = 0; c < nc; c++)
                    free(rows[r][c]);
                free(rows[r]);
            }
            free(rows);
            return 1;
        }
        if (fmt == JC_CLI_FMT_TABLE && nc) {
            const char **names = ju_xcalloc((size_t)nc + 1, sizeof(char *));

            for (c = 0; c < nc; c++)
                names[c] = sqlite3_column_name(st, c);
            jc_cli_print_grid(names, rows, nrows, (size_t)nc, 0);
            free(names);
            printf("(%zu row%s)\n", nrows, nrows == 1 ? "" : "s");
        }
        for (r = 0; r < nrows; r++) {
            for (c = 0; c < nc; c++)
                free(rows[r][c]);
            free(rows[r]);
        }
        free(rows);
        sqlite3_finalize(st);
        st = NULL;
    }
    return 0;
}

/* Views runs / task_runs over $JOBCTL_HOME/jobctl.db (read-only). */
static void attach_history(sqlite3 *db)
{
    const char *home = getenv("JOBCTL_HOME");
    char *path;
    char *uri;
    char *q;
    struct stat st;
    static const char *const views[] = {"runs", "task_runs"};
    size_t i;

    if (!home || !*home)
        home = "./.jobctl";
    path = ju_xasprintf("%s/jobctl.db", home);
    if (stat(path, &st) != 0) {
        free(path);
        return;
    }
    uri = sqlite3_mprintf("file:%s?mode=ro", path);
    q = sqlite3_mprintf("ATTACH DATABASE %Q AS jobctl_db", uri);
    if (sqlite3_exec(db, q, NULL, NULL, NULL) == SQLITE_OK) {
        for (i = 0; i < 2; i++) {
            sqlite3_stmt *s = NULL;
            char *chk = sqlite3_mprintf(
                "SELECT 1 FROM jobctl_db.sqlite_master WHERE type='table' "
                "AND name=%Q",
                views[i]);

            if (sqlite3_prepare_v2(db, chk, -1, &s, NULL) == SQLITE_OK &&
                sqlite3_step(s) == SQLITE_ROW) {
                char *v = sqlite3_mprintf(
                    "CREATE TEMP VIEW IF NOT EXISTS \"%w\" AS SELECT * FROM "
                    "jobctl_db.\"%w\"",
                    views[i], views[i]);

                (void)sqlite3_exec(db, v, NULL, NULL, NULL);
                sqlite3_free(v);
            }
            sqlite3_finalize(s);
            sqlite3_free(chk);
        }
    }
    sqlite3_free(q);
    sqlite3_free(uri);
    free(path);
}

/* "DESCRIBE HISTORY t" -> the table's history as a result set. */
static int describe_history(const char *q, enum jc_cli_fmt fmt)
{
    const char *p = q;
    char name[512];
    size_t n = 0;
    char *path;
    struct lake_table *t = NULL;
    struct lake_history_entry *h = NULL;
    size_t nh = 0, k;
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL;
    int rc;

    while (isspace((unsigned char)*p))
        p++;
    p += strlen("describe");
    while (isspace((unsigned char)*p))
        p++;
    p += strlen("history");
    while (isspace((unsigned char)*p))
        p++;
    while (*p && !isspace((unsigned char)*p) && *p != ';' &&
           n + 1 < sizeof(name)) {
        if (*p != '`' && *p != '"')
            name[n++] = *p;
        p++;
    }
    name[n] = '\0';
    if (!n)
        return usage();
    path = lake_table_resolve(name);
    rc = lake_table_open(&t, path);
    free(path);
    if (rc || lake_table_history(t, 0, &h, &nh)) {
        fprintf(stderr, "jobctl: sql: %s\n", jc_err_last());
        lake_table_close(t);
        return 1;
    }
    sqlite3_open(":memory:", &db);
    sqlite3_exec(db,
                 "CREATE TABLE history(version INTEGER, timestamp TEXT, "
                 "operation TEXT, operationParameters TEXT, readVersion "
                 "INTEGER, isBlindAppend INTEGER, operationMetrics TEXT, "
                 "engineInfo TEXT)",
                 NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO history VALUES(?,?,?,?,?,?,?,?)", -1,
                       &ins, NULL);
    for (k = 0; k < nh; k++) {
        json_t *ci =
            h[k].commit_info ? json_loads(h[k].commit_info, 0, NULL) : NULL;
        char ts[48];
        char *pp = NULL, *mm = NULL;
        json_t *rv = json_object_get(ci, "readVersion");
        json_t *ba = json_object_get(ci, "isBlindAppend");
        json_t *ei = json_object_get(ci, "engineInfo");

        lake_format_timestamp(ts, sizeof(ts), h[k].timestamp_ms * 1000);
        if (json_object_get(ci, "operationParameters"))
            pp = json_dumps(json_object_get(ci, "operationParameters"),
                            JSON_COMPACT);
        if (json_object_get(ci, "operationMetrics"))
            mm = json_dumps(json_object_get(ci, "operationMetrics"),
                            JSON_COMPACT);
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, h[k].version);
        sqlite3_bind_text(ins, 2, ts, -1, SQLITE_TRANSIENT);
        if (h[k].operation)
            sqlite3_bind_text(ins, 3, h[k].operation, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 3);
        if (pp)
            sqlite3_bind_text(ins, 4, pp, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 4);
        if (json_is_integer(rv))
            sqlite3_bind_int64(ins, 5, json_integer_value(rv));
        else
            sqlite3_bind_null(ins, 5);
        if (json_is_boolean(ba))
            sqlite3_bind_int(ins, 6, json_is_true(ba));
        else
            sqlite3_bind_null(ins, 6);
        if (mm)
            sqlite3_bind_text(ins, 7, mm, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 7);
        if (json_is_string(ei))
            sqlite3_bind_text(ins, 8, json_string_value(ei), -1,
                              SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(ins, 8);
        sqlite3_step(ins);
        free(pp);
        free(mm);
        json_decref(ci);
    }
    sqlite3_finalize(ins);
    rc = run_query(db, "SELECT * FROM history ORDER BY version DESC", fmt);
    sqlite3_close(db);
    lake_history_free(h, nh);
    lake_table_close(t);
    return rc;
}

static int is_describe_history(const char *q)
{
    const char *p = q;

    while (isspace((unsigned char)*p))
        p++;
    if (strncasecmp(p, "describe", 8) || !isspace((unsigned char)p[8]))
        return 0;
    p += 8;
    while (isspace((unsigned char)*p))
        p++;
    return !strncasecmp(p, "history", 7) && isspace((unsigned char)p[7]);
}

int cmd_sql(int argc, char **argv)
{
    const char *query = NULL;
    enum jc_cli_fmt fmt = JC_CLI_FMT_TABLE;
    int stats = 0;
    sqlite3 *db = NULL;
    char *root;
    int rc;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            if (jc_cli_parse_format(argv[++i], &fmt) < 0)
                return usage();
        } else if (!strcmp(argv[i], "--stats")) {
            stats = 1;
        } else if (!query) {
            query = argv[i];
        } else {
            return usage();
        }
    }
    if (!query)
        return usage();
    if (is_describe_history(query))
        return describe_history(query, fmt);
    if (sqlite3_open_v2(":memory:", &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_URI,
                        NULL) != SQLITE_OK) {
        fprintf(stderr, "jobctl: sql: cannot open an in-memory database\n");
        return 1;
    }
    root = lake_root_dir();
    lake_sql_stats_reset();
    rc = lake_sql_attach_root(db, root, NULL);
    free(root);
    if (rc) {
        fprintf(stderr, "jobctl: sql: %s\n", jc_err_last());
        sqlite3_close(db);
        return 1;
    }
    attach_history(db);
    rc = run_query(db, query, fmt);
    if (stats) {
        struct lake_sql_stats s;

        lake_sql_stats_get(&s);
        fprintf(stderr,
                "stats: scans=%zu files_total=%zu files_skipped=%zu "
                "files_read=%zu rows_read=%lld\n",
                s.scans, s.files_total, s.files_skipped, s.files_read,
                (long long)s.rows_read);
    }
    sqlite3_close(db);
    return rc;
}
