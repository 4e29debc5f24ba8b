/*
 * cmd_validate.c: `jobctl validate [-t TARGET] [--var k=v]... [--job KEY]
 * FILE...`: load and check job definitions (JSON or bundle YAML). Each
 * problem is one "file:line:col: message" line on stderr; a valid file
 * prints one summary line on stdout. Exit 0 all valid, 1 errors, 2 usage.
 */
#include "cli/cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/spec.h"
#include "util/mem.h"

static void print_diags(const struct jc_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        fprintf(stderr, "%s\n", d->items[i].msg);
}

static int validate_one(const char *path, const struct jc_spec_load_opts *o)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    int rc;

    rc = jc_spec_load_file(&job, path, o, &d);
    if (rc < 0) {
        if (!d.n)
            fprintf(stderr, "%s: cannot load job\n", path);
        print_diags(&d);
        jc_diags_release(&d);
        return 1;
    }
    if (jc_spec_validate(job, &d) < 0) {
        print_diags(&d);
        jc_diags_release(&d);
        jc_job_free(job);
        return 1;
    }
    printf("%s: ok: job '%s', %zu task%s", path,
           job->name ? job->name : "(unnamed)", job->ntasks,
           job->ntasks == 1 ? "" : "s");
    if (job->schedule.present)
        printf(", schedule '%s' %s%s", job->schedule.quartz_cron_expression,
               job->schedule.timezone_id,
               job->schedule.paused ? " (paused)" : "");
    else
        printf(", no schedule");
    printf("\n");
    jc_diags_release(&d);
    jc_job_free(job);
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    struct jc_spec_load_opts o = JC_SPEC_LOAD_OPTS_INIT;
    const char **vars = ju_xcalloc((size_t)argc + 1, sizeof(char *));
    const char **files = ju_xcalloc((size_t)argc + 1, sizeof(char *));
    size_t nfiles = 0, i;
    int rc = 0, a;

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];

        if ((!strcmp(arg, "-t") || !strcmp(arg, "--target")) && a + 1 < argc) {
            o.target = argv[++a];
        } else if (!strncmp(arg, "--target=", 9)) {
            o.target = arg + 9;
        } else if (!strcmp(arg, "--var") && a + 1 < argc) {
            vars[o.nvars++] = argv[++a];
        } else if (!strncmp(arg, "--var=", 6)) {
            vars[o.nvars++] = arg + 6;
        } else if (!strcmp(arg, "--job") && a + 1 < argc) {
            o.job_key = argv[++a];
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            free(vars);
            free(files);
            return jc_cli_usage("validate");
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "jobctl validate: unknown option '%s'\n", arg);
            free(vars);
            free(files);
            return jc_cli_usage("validate");
        } else {
            files[nfiles++] = arg;
        }
    }
    for (i = 0; i < o.nvars; i++) {
        if (!strchr(vars[i], '=')) {
            fprintf(stderr,
                    "jobctl validate: --var needs name=value, not '%s'\n",
                    vars[i]);
            free(vars);
            free(files);
            return 2;
        }
    }
    o.vars = vars;
    if (!nfiles) {
        free(vars);
        free(files);
        return jc_cli_usage("validate");
    }
    for (i = 0; i < nfiles; i++)
        if (validate_one(files[i], &o))
            rc = 1;
    free(vars);
    free(files);
    return rc;
}
