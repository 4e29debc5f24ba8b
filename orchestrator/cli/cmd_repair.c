/*
 * cmd_repair.c: `jobctl repair RUN_ID [--task KEY]... [--param k=v]...
 * [--workspace DIR] [--parallel N] [--json]`: re-run the failed (or the
 * named) tasks of a finished run and everything downstream of them, under
 * the same run_id with a new repair id, in the foreground.
 */
#include "cli/cmd.h"
#include "cli/daemon_client.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/accounting.h"
#include "jobctl/err.h"
#include "jobctl/spec.h"
#include "util/mem.h"

int cmd_repair(int argc, char **argv)
{
    int daemon_exit = 0;
    struct jc_run_opts ro = JC_RUN_OPTS_INIT;
    struct jc_cli_progress prog = {false, false, 0};
    struct jc_diags d = JC_DIAGS_INIT;
    const char **tasks = ju_xcalloc((size_t)argc + 1, sizeof(char *));
    struct jc_kv *params = ju_xcalloc((size_t)argc + 1, sizeof(*params));
    struct jc_store *s = NULL;
    struct jc_run_row row;
    struct jc_job *job = NULL;
    struct jc_run *run = NULL;
    struct jc_accounting *acct = NULL;
    enum jc_result result = JC_RESULT_FAILED;
    json_t *settings = NULL;
    int64_t id = -1;
    size_t ntasks = 0, nparams = 0, i;
    bool json = false, have_row = false;
    int a, rc = 2;

    /* A running `jobctl serve` takes the command (JOBCTL_NO_DAEMON=1: never). */
    if (jc_cli_daemon_dispatch("repair", argc, argv, &daemon_exit))
        return daemon_exit;

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];

        if (!strcmp(arg, "--task") && a + 1 < argc) {
            tasks[ntasks++] = argv[++a];
        } else if (!strcmp(arg, "--param") && a + 1 < argc) {
            const char *v = argv[++a], *eq = strchr(v, '=');
            if (!eq || eq == v)
                goto usage;
            params[nparams].key = ju_xstrndup(v, (size_t)(eq - v));
            params[nparams].value = ju_xstrdup(eq + 1);
            nparams++;
        } else if (!strcmp(arg, "--workspace") && a + 1 < argc) {
            ro.workspace = argv[++a];
        } else if (!strcmp(arg, "--parallel") && a + 1 < argc) {
            int64_t n = jc_cli_parse_id(argv[++a]);
            if (n <= 0 || n > 4096)
                goto usage;
            ro.parallel = (int)n;
        } else if (!strcmp(arg, "--json")) {
            json = true;
        } else if (id < 0 && (id = jc_cli_parse_id(arg)) > 0) {
            ;
        } else {
            goto usage;
        }
    }
    if (id <= 0)
        goto usage;
    if (!(s = jc_cli_open_store())) {
        rc = 1;
        goto out;
    }
    if (jc_store_run_get(s, id, &row)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 1;
        goto out;
    }
    have_row = true;
    settings = row.settings_json ? json_loads(row.settings_json, 0, NULL) : NULL;
    if (!settings || jc_spec_from_settings(&job, settings, &d) < 0) {
        for (i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.items[i].msg);
        fprintf(stderr, "jobctl: run %lld has no usable job settings\n",
                (long long)id);
        rc = 1;
        goto out;
    }
    if (!ro.workspace)
        ro.workspace = row.workspace;
    prog.quiet = json;
    prog.brief = !isatty(2) && !getenv("JOBCTL_PROGRESS");
    ro.on_task = jc_cli_progress_cb;
    ro.arg = &prog;
    ro.params = params;
    ro.nparams = nparams;
    ro.trigger = "RETRY";
    if (jc_accounting_attach(&acct, &ro, job, uv_default_loop(), s, NULL)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 2;
        goto out;
    }
    if (jc_run_repair_create(&run, s, job, id, tasks, ntasks, &ro)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 1;
        goto out;
    }
    if (!json)
        fprintf(stderr, "run %lld: repair %lld\n", (long long)id,
                (long long)jc_run_repair_id(run));
    if (jc_run_drive(run, &result)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 1;
        goto out;
    }
    if (json) {
        jc_cli_print_run_json(s, id);
    } else {
        struct jc_run_row r2;
        if (!jc_store_run_get(s, id, &r2)) {
            printf("run %lld %s: %s (repair %lld)\n", (long long)id,
                   jc_result_name(result), r2.state_message,
                   (long long)jc_run_repair_id(run));
            jc_run_row_release(&r2);
        }
    }
    rc = jc_cli_result_exit(result);
    goto out;
usage:
    rc = jc_cli_usage("repair");
out:
    jc_run_free(run);
    jc_accounting_finish(acct);
    jc_job_free(job);
    json_decref(settings);
    if (have_row)
        jc_run_row_release(&row);
    jc_store_close(s);
    jc_diags_release(&d);
    for (i = 0; i < nparams; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    free(tasks);
    return rc;
}
