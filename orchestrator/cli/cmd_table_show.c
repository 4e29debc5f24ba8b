/*
 * cmd_table_show.c: `jobctl table show T [--format table|jsonl|csv]`: scan
 * a Delta table (optionally at a version or timestamp) and print its rows
 * as an aligned text table, JSON lines or CSV.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_out.h"
#include "cli/cmd_table_int.h"
#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---------------------------------------------------------------- show */

struct show_ctx {
    enum jc_cli_fmt fmt;
    int64_t limit;
    int64_t printed;
    char ***cells; /* JC_CLI_FMT_TABLE: buffered rows */
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
        if (x->fmt == JC_CLI_FMT_JSONL) {
            struct ju_buf o = JU_BUF_INIT;

            lake_batch_format_row_json(&o, b, r);
            printf("%s\n", ju_buf_str(&o));
            ju_buf_release(&o);
        } else if (x->fmt == JC_CLI_FMT_CSV) {
            char **row = row_cells(b, r);

            for (c = 0; c < b->n_columns; c++) {
                if (c)
                    putchar(',');
                jc_cli_csv_field(row[c]);
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

int jc_cli__table_show(int argc, char **argv)
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
            if (jc_cli__parse_i64(argv[++i], &version) < 0 || version < 0)
                return jc_cli__table_usage();
        } else if (!strcmp(argv[i], "--timestamp") && i + 1 < argc) {
            if (jc_cli__parse_ts_arg(argv[++i], &ts) < 0) {
                fprintf(stderr, "jobctl: table show: invalid timestamp '%s'\n",
                        argv[i]);
                return 2;
            }
            have_ts = 1;
        } else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
            if (jc_cli__parse_i64(argv[++i], &x.limit) < 0 || x.limit < 0)
                return jc_cli__table_usage();
        } else if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            if (jc_cli_parse_format(argv[++i], &x.fmt) < 0)
                return jc_cli__table_usage();
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return jc_cli__table_usage();
    }
    if (!name)
        return jc_cli__table_usage();
    if (jc_cli__open_table_args(name, version, ts, have_ts, &t))
        return jc_cli__table_fail("show");
    if (x.fmt == JC_CLI_FMT_CSV) {
        const struct lake_schema *s = lake_table_schema(t);

        for (c = 0; c < s->n_fields; c++) {
            if (c)
                putchar(',');
            jc_cli_csv_field(s->fields[c].name);
        }
        putchar('\n');
    }
    rc = lake_table_scan(t, NULL, show_cb, &x, &st);
    if (rc < 0) {
        lake_table_close(t);
        return jc_cli__table_fail("show");
    }
    if (x.fmt == JC_CLI_FMT_TABLE) {
        const struct lake_schema *s = lake_table_schema(t);
        const char **names = ju_xcalloc(s->n_fields + 1, sizeof(char *));

        for (c = 0; c < s->n_fields; c++)
            names[c] = s->fields[c].name;
        jc_cli_print_grid(names, x.cells, x.nrows, s->n_fields, 60);
        free(names);
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
