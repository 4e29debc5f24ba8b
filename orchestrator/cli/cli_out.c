/*
 * cli_out.c: result-set output shared by `jobctl table show` and
 * `jobctl sql` (see cli_out.h).
 */
#include "cli/cli_out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

int jc_cli_parse_format(const char *s, enum jc_cli_fmt *f)
{
    if (!strcmp(s, "table"))
        *f = JC_CLI_FMT_TABLE;
    else if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
        *f = JC_CLI_FMT_JSONL;
    else if (!strcmp(s, "csv"))
        *f = JC_CLI_FMT_CSV;
    else
        return -1;
    return 0;
}

void jc_cli_csv_field(const char *s)
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

size_t jc_cli_utf8_width(const char *s)
{
    size_t n = 0;

    for (; *s; s++) {
        if (((unsigned char)*s & 0xc0) != 0x80)
            n++;
    }
    return n;
}

void jc_cli_print_grid(const char *const *names, char ***cells, size_t nrows,
                       size_t ncols, size_t cap)
{
    size_t nc = ncols;
    size_t *w = ju_xcalloc(nc + 1, sizeof(size_t));
    size_t r, c;

    for (c = 0; c < nc; c++)
        w[c] = jc_cli_utf8_width(names[c]);
    for (r = 0; r < nrows; r++) {
        for (c = 0; c < nc; c++) {
            size_t l = cells[r][c] ? jc_cli_utf8_width(cells[r][c]) : 4;

            if (cap && l > cap)
                l = cap;
            if (l > w[c])
                w[c] = l;
        }
    }
    for (c = 0; c < nc; c++)
        printf("%s%-*s", c ? "  " : "", c + 1 < nc ? (int)w[c] : 0, names[c]);
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
            size_t l = jc_cli_utf8_width(s);

            printf("%s%s", c ? "  " : "", s);
            for (; c + 1 < nc && l < w[c]; l++)
                putchar(' ');
        }
        printf("\n");
    }
    free(w);
}
