/*
 * cmd_logs.c: `jobctl logs RUN_ID [TASK] [--attempt N]`: print the log of
 * each task's latest attempt (or the given attempt), with a header line
 * per task when several are printed.
 */
#include "cli/cmd.h"
#include "cli/daemon_client.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

static void cat_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char buf[65536];
    size_t n;

    if (!f) {
        printf("(no output)\n");
        return;
    }
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
}

int cmd_logs(int argc, char **argv)
{
    int daemon_exit = 0;
    struct jc_store *s;
    struct jc_task_run_row *t;
    const char *task = NULL;
    int64_t id = -1, attempt = -1;
    size_t n, i, k, printed = 0;
    int a;

    /* A running `jobctl serve` takes the command (JOBCTL_NO_DAEMON=1: never). */
    if (jc_cli_daemon_dispatch("logs", argc, argv, &daemon_exit))
        return daemon_exit;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--attempt") && a + 1 < argc) {
            char *end;
            attempt = strtoll(argv[++a], &end, 10);
            if (*end || attempt < 0)
                return jc_cli_usage("logs");
        } else if (id < 0) {
            if ((id = jc_cli_parse_id(argv[a])) <= 0)
                return jc_cli_usage("logs");
        } else if (!task) {
            task = argv[a];
        } else {
            return jc_cli_usage("logs");
        }
    }
    if (id <= 0)
        return jc_cli_usage("logs");
    if (!(s = jc_cli_open_store()))
        return 1;
    if (jc_store_task_run_list(s, id, &t, &n)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        jc_store_close(s);
        return 1;
    }
    for (i = 0; i < n; i++) {
        bool last = true;

        if (task && strcmp(t[i].task_key, task))
            continue;
        if (attempt >= 0) {
            if (t[i].attempt_number != attempt)
                continue;
        } else {
            for (k = i + 1; k < n; k++) {
                if (!strcmp(t[k].task_key, t[i].task_key))
                    last = false;
            }
            if (!last)
                continue;
        }
        if (!t[i].log_path)
            continue;
        if (!task)
            printf("==> %s (attempt %d, %s) <==\n", t[i].task_key,
                   t[i].attempt_number,
                   t[i].result_state ? t[i].result_state : t[i].life_cycle_state);
        cat_file(t[i].log_path);
        printed++;
    }
    jc_task_run_rows_free(t, n);
    jc_store_close(s);
    if (!printed) {
        fprintf(stderr, "jobctl: no logs for run %lld%s%s\n", (long long)id,
                task ? " task " : "", task ? task : "");
        return 1;
    }
    return 0;
}
