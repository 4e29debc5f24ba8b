/*
 * cmd_runs.c: `jobctl runs [--job NAME|ID] [--limit N] [--active] [--json]`:
 * list recorded runs, newest first (opening the store settles runs whose
 * jobctl process died, so none is left RUNNING forever).
 */
#include "cli/cmd.h"
#include "cli/daemon_client.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"

int cmd_runs(int argc, char **argv)
{
    int daemon_exit = 0;
    struct jc_run_filter f = {0, false, 25, 0};
    struct jc_store *s;
    struct jc_run_row *rows;
    const char *job = NULL;
    bool json = false;
    size_t n, i;
    int a;

    /* A running `jobctl serve` takes the command (JOBCTL_NO_DAEMON=1: never). */
    if (jc_cli_daemon_dispatch("runs", argc, argv, &daemon_exit))
        return daemon_exit;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--json")) {
            json = true;
        } else if (!strcmp(argv[a], "--active")) {
            f.active_only = true;
        } else if (!strcmp(argv[a], "--limit") && a + 1 < argc) {
            int64_t v = jc_cli_parse_id(argv[++a]);
            if (v <= 0)
                return jc_cli_usage("runs");
            f.limit = (size_t)v;
        } else if (!strcmp(argv[a], "--job") && a + 1 < argc) {
            job = argv[++a];
        } else {
            return jc_cli_usage("runs");
        }
    }
    if (!(s = jc_cli_open_store()))
        return 1;
    if (job) {
        struct jc_job_row jr;
        int64_t id = jc_cli_parse_id(job);
        if (id > 0 && !jc_store_job_get(s, id, &jr)) {
            f.job_id = jr.job_id;
            jc_job_row_release(&jr);
        } else if (!jc_store_job_find(s, job, &jr)) {
            f.job_id = jr.job_id;
            jc_job_row_release(&jr);
        } else {
            fprintf(stderr, "jobctl: no job '%s'\n", job);
            jc_store_close(s);
            return 1;
        }
    }
    if (jc_store_run_list(s, &f, &rows, &n)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        jc_store_close(s);
        return 1;
    }
    if (json) {
        json_t *arr = json_array();
        for (i = 0; i < n; i++) {
            json_t *j = jc_run_to_json(s, rows[i].run_id, false);
            if (j)
                json_array_append_new(arr, j);
        }
        json_t *o = json_pack("{s:o, s:b}", "runs", arr, "has_more",
                              n == f.limit);
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    } else {
        printf("%-8s %-10s %-28s %-11s %-22s %9s  %s\n", "RUN_ID", "JOB_ID",
               "NAME", "STATE", "RESULT", "DURATION", "TRIGGER");
        for (i = 0; i < n; i++) {
            char d[32];
            int64_t end = rows[i].end_ms ? rows[i].end_ms : jc_now_ms();
            printf("%-8lld %-10lld %-28s %-11s %-22s %9s  %s\n",
                   (long long)rows[i].run_id, (long long)rows[i].job_id,
                   rows[i].run_name ? rows[i].run_name : "",
                   rows[i].life_cycle_state,
                   rows[i].result_state ? rows[i].result_state : "-",
                   jc_cli_dur(end - rows[i].start_ms, d, sizeof(d)),
                   rows[i].trigger ? rows[i].trigger : "");
        }
    }
    jc_run_rows_free(rows, n);
    jc_store_close(s);
    return 0;
}
