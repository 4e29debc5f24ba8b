/*
 * cmd_run.c: `jobctl run FILE [--param k=v]... [--only TASK]...
 * [--workspace DIR] [--parallel N] [--junit FILE] [--json] [--remote]
 * [--wait]`: run a job in the foreground (embedded mode) and exit 0 iff
 * the run result is SUCCESS, 1 otherwise, 2 on usage or validation errors.
 * Ctrl-C cancels the run cleanly (task process groups are killed).
 */
#include "cli/cmd.h"
#include "cli/daemon_client.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "jobctl/accounting.h"
#include "jobctl/err.h"
#include "jobctl/run.h"
#include "jobctl/spec.h"
#include "util/mem.h"

static void print_diags(const struct jc_diags *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        fprintf(stderr, "%s\n", d->items[i].msg);
}

/*
 * max_concurrent_runs (default 1) counts live runs of the same job (the
 * daemon's included): with queue.enabled wait as QUEUED, else the run is
 * SKIPPED with MAXIMUM_CONCURRENT_RUNS_REACHED, like Databricks.
 * 0 = go, 1 = skipped (already recorded).
 */
static int wait_for_slot(struct jc_store *store, const struct jc_job *job,
                         struct jc_run *run, bool json)
{
    int64_t max = job->max_concurrent_runs > 0 ? job->max_concurrent_runs : 1;
    int64_t job_id = jc_run_job_id(run);
    bool told = false;
    size_t n = 0;

    for (;;) {
        struct timespec ts = {0, 200 * 1000000L};

        if (jc_store_active_runs(store, job_id, jc_run_id(run), &n) ||
            (int64_t)n < max)
            break;
        if (!job->queue_enabled) {
            char *m = ju_xasprintf("skipped: %zu run(s) of this job already "
                                   "active (max_concurrent_runs %lld)", n,
                                   (long long)max);
            jc_store_run_set_state(store, jc_run_id(run), "SKIPPED",
                                   "MAXIMUM_CONCURRENT_RUNS_REACHED", m,
                                   jc_now_ms());
            if (json)
                jc_cli_print_run_json(store, jc_run_id(run));
            else
                printf("run %lld MAXIMUM_CONCURRENT_RUNS_REACHED: %s\n",
                       (long long)jc_run_id(run), m);
            free(m);
            return 1;
        }
        if (!told) {
            jc_store_run_set_state(store, jc_run_id(run), "QUEUED", NULL,
                                   "waiting for a concurrent run to finish", 0);
            if (!json)
                fprintf(stderr, "run %lld: queued (%zu active run(s) of job "
                        "'%s', max_concurrent_runs %lld)\n",
                        (long long)jc_run_id(run), n,
                        job->name ? job->name : "", (long long)max);
            told = true;
        }
        nanosleep(&ts, NULL);
    }
    return 0;
}

int cmd_run(int argc, char **argv)
{
    int daemon_exit = 0;
    struct jc_spec_load_opts lo = JC_SPEC_LOAD_OPTS_INIT;
    struct jc_run_opts ro = JC_RUN_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_cli_progress prog = {false, false, 0};
    struct jc_kv *params = ju_xcalloc((size_t)argc + 1, sizeof(*params));
    const char **only = ju_xcalloc((size_t)argc + 1, sizeof(char *));
    const char **vars = ju_xcalloc((size_t)argc + 1, sizeof(char *));
    const char *file = NULL, *junit = NULL;
    struct jc_store *store = NULL;
    struct jc_job *job = NULL;
    struct jc_run *run = NULL;
    struct jc_accounting *acct = NULL;
    enum jc_result result = JC_RESULT_FAILED;
    bool json = false;
    size_t nparams = 0, nonly = 0, i;
    int a, rc = 2;

    /* A running `jobctl serve` takes the command (JOBCTL_NO_DAEMON=1: never). */
    if (jc_cli_daemon_dispatch("run", argc, argv, &daemon_exit))
        return daemon_exit;

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char *val = NULL;

#define OPT(name)                                                              \
    ((!strcmp(arg, name) && a + 1 < argc && (val = argv[++a])) ||              \
     (!strncmp(arg, name "=", strlen(name) + 1) &&                             \
      (val = arg + strlen(name) + 1)))
        if (OPT("--param") || OPT("-p")) {
            const char *eq = strchr(val, '=');
            if (!eq || eq == val) {
                fprintf(stderr, "jobctl: --param needs name=value, got '%s'\n",
                        val);
                goto out;
            }
            params[nparams].key = ju_xstrndup(val, (size_t)(eq - val));
            params[nparams].value = ju_xstrdup(eq + 1);
            nparams++;
        } else if (OPT("--only")) {
            only[nonly++] = val;
        } else if (OPT("--workspace")) {
            ro.workspace = val;
        } else if (OPT("--parallel")) {
            int64_t n = jc_cli_parse_id(val);
            if (n <= 0 || n > 4096) {
                fprintf(stderr, "jobctl: --parallel needs 1..4096, got '%s'\n",
                        val);
                goto out;
            }
            ro.parallel = (int)n;
        } else if (OPT("--junit")) {
            junit = val;
        } else if (OPT("--target") || OPT("-t")) {
            lo.target = val;
        } else if (OPT("--var")) {
            vars[lo.nvars++] = val;
        } else if (OPT("--job")) {
            lo.job_key = val;
        } else if (!strcmp(arg, "--json")) {
            json = true;
        } else if (!strcmp(arg, "--remote")) {
            ro.force_remote = true;
        } else if (!strcmp(arg, "--wait")) {
            /* embedded mode always waits */
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            rc = jc_cli_usage("run");
            goto out;
        } else if (arg[0] == '-' && arg[1]) {
            fprintf(stderr, "jobctl: run: unknown option '%s'\n", arg);
            rc = jc_cli_usage("run");
            goto out;
        } else if (!file) {
            file = arg;
        } else {
            fprintf(stderr, "jobctl: run: more than one job file\n");
            rc = jc_cli_usage("run");
            goto out;
        }
#undef OPT
    }
    if (!file) {
        rc = jc_cli_usage("run");
        goto out;
    }
    lo.vars = vars;
    if (jc_spec_load_file(&job, file, &lo, &d) < 0) {
        if (!d.n)
            fprintf(stderr, "jobctl: %s\n", jc_err_last());
        print_diags(&d);
        goto out;
    }
    if (jc_spec_validate(job, &d) < 0) {
        print_diags(&d);
        goto out;
    }
    if (!(store = jc_cli_open_store())) {
        rc = 1;
        goto out;
    }
    prog.quiet = json;
    prog.brief = !isatty(2) && !getenv("JOBCTL_PROGRESS");
    ro.params = params;
    ro.nparams = nparams;
    ro.only = only;
    ro.nonly = nonly;
    ro.on_task = jc_cli_progress_cb;
    ro.arg = &prog;
    /* Costs per attempt, the Databricks executor for --remote, and the
     * SQLite -> Delta mirror after the run (remote helper's accounting.h). */
    if (jc_accounting_attach(&acct, &ro, job, uv_default_loop(), store, NULL)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 2;
        goto out;
    }
    if (jc_run_create(&run, store, job, &ro)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 2;
        goto out;
    }
    if (wait_for_slot(store, job, run, json)) {
        rc = 1;
        goto out;
    }
    if (!json)
        fprintf(stderr, "run %lld: job '%s' (%zu tasks)\n",
                (long long)jc_run_id(run), job->name ? job->name : "",
                job->ntasks);
    if (jc_run_drive(run, &result)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        rc = 1;
        goto out;
    }
    if (junit && jc_cli_write_junit(store, jc_run_id(run), junit))
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
    if (json) {
        jc_cli_print_run_json(store, jc_run_id(run));
    } else {
        struct jc_run_row row;
        if (!jc_store_run_get(store, jc_run_id(run), &row)) {
            char dur[32];
            printf("run %lld %s: %s (%s)\n", (long long)row.run_id,
                   jc_result_name(result), row.state_message,
                   jc_cli_dur(row.end_ms - row.start_ms, dur, sizeof(dur)));
            jc_run_row_release(&row);
        }
    }
    fflush(stdout); /* the result is known now; the Delta mirror follows */
    if (getenv("JOBCTL_RUSAGE_SELF")) {
        /* For bench/sched: jobctl's own CPU, children excluded. */
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "rusage_self user=%ld.%06ld sys=%ld.%06ld\n",
                (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
                (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
    }
    rc = jc_cli_result_exit(result);
out:
    jc_run_free(run);
    jc_accounting_finish(acct);
    jc_store_close(store);
    jc_job_free(job);
    jc_diags_release(&d);
    for (i = 0; i < nparams; i++) {
        free(params[i].key);
        free(params[i].value);
    }
    free(params);
    free(only);
    free(vars);
    return rc;
}
