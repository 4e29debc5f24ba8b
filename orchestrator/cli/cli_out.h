/*
 * cli_out.h: result-set output shared by `jobctl table show` and
 * `jobctl sql`: the --format choice, CSV fields and the aligned text grid.
 */
#ifndef JOBCTL_CLI_CLI_OUT_H
#define JOBCTL_CLI_CLI_OUT_H

#include <stddef.h>

enum jc_cli_fmt { JC_CLI_FMT_TABLE, JC_CLI_FMT_JSONL, JC_CLI_FMT_CSV };

/* "table", "jsonl" (or "json"), "csv"; -1 for anything else. */
int jc_cli_parse_format(const char *s, enum jc_cli_fmt *f);
/* One CSV field on stdout (RFC 4180 quoting); nothing for NULL. */
void jc_cli_csv_field(const char *s);
/* Width of s in UTF-8 code points. */
size_t jc_cli_utf8_width(const char *s);
/* Header, dashes and rows of cells[nrows][ncols] (NULL cells print as
 * NULL) on stdout, columns two spaces apart, the last one not padded.
 * cap > 0 limits how wide a long cell may make its column. */
void jc_cli_print_grid(const char *const *names, char ***cells, size_t nrows,
                       size_t ncols, size_t cap);

#endif
