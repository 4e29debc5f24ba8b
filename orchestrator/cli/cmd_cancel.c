/*
 * cmd_cancel.c: `jobctl cancel RUN_ID [--no-wait]`: ask the process that
 * owns a run to cancel it (it polls the store and SIGTERMs its task
 * groups), then wait up to 60 s for the run to end. A run whose owner is
 * gone is settled at once.
 */
#include "cli/cmd.h"
#include "cli/daemon_client.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jobctl/err.h"

int cmd_cancel(int argc, char **argv)
{
    int daemon_exit = 0;
    struct jc_store *s;
    struct jc_run_row row;
    int64_t id = -1, deadline;
    bool wait = true;
    int a;

    /* A running `jobctl serve` takes the command (JOBCTL_NO_DAEMON=1: never). */
    if (jc_cli_daemon_dispatch("cancel", argc, argv, &daemon_exit))
        return daemon_exit;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--no-wait"))
            wait = false;
        else if (id < 0 && (id = jc_cli_parse_id(argv[a])) > 0)
            ;
        else
            return jc_cli_usage("cancel");
    }
    if (id <= 0)
        return jc_cli_usage("cancel");
    if (!(s = jc_cli_open_store()))
        return 1;
    if (jc_store_run_get(s, id, &row)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        jc_store_close(s);
        return 1;
    }
    if (jc_life_cycle_terminal(row.life_cycle_state)) {
        printf("run %lld already %s %s\n", (long long)id, row.life_cycle_state,
               row.result_state ? row.result_state : "");
        jc_run_row_release(&row);
        jc_store_close(s);
        return 0;
    }
    jc_run_row_release(&row);
    if (jc_store_run_request_cancel(s, id)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        jc_store_close(s);
        return 1;
    }
    printf("cancel requested for run %lld\n", (long long)id);
    deadline = jc_now_ms() + 60000;
    while (wait && jc_now_ms() < deadline) {
        struct timespec ts = {0, 100 * 1000000L};
        bool done;

        jc_store_settle_orphans(s);
        if (jc_store_run_get(s, id, &row))
            break;
        done = jc_life_cycle_terminal(row.life_cycle_state);
        if (done)
            printf("run %lld %s %s\n", (long long)id, row.life_cycle_state,
                   row.result_state ? row.result_state : "");
        jc_run_row_release(&row);
        if (done)
            break;
        nanosleep(&ts, NULL);
    }
    jc_store_close(s);
    return 0;
}
