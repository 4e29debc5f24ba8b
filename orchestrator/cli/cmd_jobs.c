/*
 * cmd_jobs.c: `jobctl jobs [--json]`: jobs known to the store (recorded
 * by `jobctl run`, the daemon or the API) with their latest run.
 */
#include "cli/cmd.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <string.h>

#include "jobctl/err.h"

int cmd_jobs(int argc, char **argv)
{
    struct jc_store *s;
    struct jc_job_row *jobs;
    bool json = false;
    size_t n, i;
    json_t *arr = NULL;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json")))
        return jc_cli_usage("jobs");
    json = argc == 2;
    if (!(s = jc_cli_open_store()))
        return 1;
    if (jc_store_job_list(s, &jobs, &n)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        jc_store_close(s);
        return 1;
    }
    if (json)
        arr = json_array();
    else
        printf("%-18s %-30s %-10s %-22s %s\n", "JOB_ID", "NAME", "LAST_RUN",
               "LAST_RESULT", "SOURCE");
    for (i = 0; i < n; i++) {
        struct jc_run_filter f = {jobs[i].job_id, false, 1, 0};
        struct jc_run_row *r = NULL;
        size_t nr = 0;

        jc_store_run_list(s, &f, &r, &nr);
        if (json) {
            json_t *settings = json_loads(jobs[i].settings_json, 0, NULL);
            json_array_append_new(
                arr, json_pack("{s:I, s:o, s:I, s:s?}", "job_id",
                               (json_int_t)jobs[i].job_id, "settings",
                               settings ? settings : json_object(),
                               "created_time", (json_int_t)jobs[i].created_ms,
                               "x_jobctl_source_path", jobs[i].source_path));
        } else {
            char last[32] = "-";
            if (nr)
                snprintf(last, sizeof(last), "%lld", (long long)r[0].run_id);
            printf("%-18lld %-30s %-10s %-22s %s\n", (long long)jobs[i].job_id,
                   jobs[i].name, last,
                   nr ? (r[0].result_state ? r[0].result_state
                                           : r[0].life_cycle_state)
                      : "-",
                   jobs[i].source_path ? jobs[i].source_path : "-");
        }
        jc_run_rows_free(r, nr);
    }
    if (json) {
        json_t *o = json_pack("{s:o}", "jobs", arr);
        json_dumpf(o, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(o);
    }
    jc_job_rows_free(jobs, n);
    jc_store_close(s);
    return 0;
}
