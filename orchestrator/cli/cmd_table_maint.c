/*
 * cmd_table_maint.c: `jobctl table optimize|vacuum|check T`: compact (and
 * z-order) a Delta table, delete unreferenced files, verify the table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_table_int.h"
#include "jobctl/err.h"
#include "lake/delta.h"
#include "util/buf.h"
#include "util/mem.h"

/* ------------------------------------------------- optimize/vacuum/check */

int jc_cli__table_optimize(int argc, char **argv)
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
            if (jc_cli__parse_i64(argv[++i], &target) < 0 || target <= 0) {
                free(zspec);
                return jc_cli__table_usage();
            }
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else {
            free(zspec);
            return jc_cli__table_usage();
        }
    }
    if (!name) {
        free(zspec);
        return jc_cli__table_usage();
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
    if (jc_cli__open_table_args(name, -1, 0, 0, &t)) {
        free(zspec);
        return jc_cli__table_fail("optimize");
    }
    if (lake_table_optimize(t, zcols, nz, target, &res)) {
        lake_table_close(t);
        free(zspec);
        return jc_cli__table_fail("optimize");
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

int jc_cli__table_vacuum(int argc, char **argv)
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
                return jc_cli__table_usage();
        } else if (!strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (!strcmp(argv[i], "--force"))
            force = 1;
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return jc_cli__table_usage();
    }
    if (!name)
        return jc_cli__table_usage();
    if (jc_cli__open_table_args(name, -1, 0, 0, &t))
        return jc_cli__table_fail("vacuum");
    if (lake_table_vacuum(t, hours, dry, force, &res)) {
        lake_table_close(t);
        return jc_cli__table_fail("vacuum");
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

int jc_cli__table_check(int argc, char **argv)
{
    struct lake_table *t = NULL;
    struct ju_buf rep = JU_BUF_INIT;
    int rc;

    if (argc != 2)
        return jc_cli__table_usage();
    if (jc_cli__open_table_args(argv[1], -1, 0, 0, &t))
        return jc_cli__table_fail("check");
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
