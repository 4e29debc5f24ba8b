/*
 * cmd_table_int.h: private to the `jobctl table` command files: cmd_table.c
 * (dispatcher, list, describe, history and the shared helpers below),
 * cmd_table_show.c, cmd_table_import.c and cmd_table_maint.c.
 */
#ifndef JOBCTL_CLI_CMD_TABLE_INT_H
#define JOBCTL_CLI_CMD_TABLE_INT_H

#include <stdint.h>

#include "lake/column.h"
#include "lake/delta.h"
#include "util/buf.h"

/* Print "jobctl: table <what>: <last error>" to stderr; returns 1. */
int jc_cli__table_fail(const char *what);
/* Print the `jobctl table` usage to stderr; returns 2. */
int jc_cli__table_usage(void);
/* Whole-string base-10 integer; -1 when invalid. */
int jc_cli__parse_i64(const char *s, int64_t *out);
/* --timestamp argument: epoch milliseconds or a Delta timestamp string. */
int jc_cli__parse_ts_arg(const char *s, int64_t *ms);
/* ISO-8601 UTC text of ms with millisecond precision. */
void jc_cli__iso_ms(char *out, size_t n, int64_t ms);
/* Spark's simpleString of a field type, appended to b. */
void jc_cli__simple_type(struct ju_buf *b, const struct lake_field *f);
/* Open table arg (path or name) at a version (>= 0), a timestamp
 * (have_ts) or the latest version. */
int jc_cli__open_table_args(const char *arg, int64_t version, int64_t ts_ms,
                            int have_ts, struct lake_table **t);

/* Subcommands (argv[0] is the subcommand name). */
int jc_cli__table_show(int argc, char **argv);
int jc_cli__table_import(int argc, char **argv);
int jc_cli__table_optimize(int argc, char **argv);
int jc_cli__table_vacuum(int argc, char **argv);
int jc_cli__table_check(int argc, char **argv);

#endif
