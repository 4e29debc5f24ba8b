/*
 * cmd_show.c: `jobctl show RUN_ID [--json]`: one run with every task
 * attempt; --json prints the Jobs API runs/get shape.
 */
#include "cli/cmd.h"
#include "cli/daemon_client.h"
#include "cli/cli_run.h"

#include <stdio.h>
#include <string.h>

#include "jobctl/err.h"

int cmd_show(int argc, char **argv)
{
    int daemon_exit = 0;
    struct jc_store *s;
    struct jc_run_row row;
    int64_t id = -1;
    bool json = false;
    int a, rc = 0;

    /* A running `jobctl serve` takes the command (JOBCTL_NO_DAEMON=1: never). */
    if (jc_cli_daemon_dispatch("show", argc, argv, &daemon_exit))
        return daemon_exit;

    for (a = 1; a < argc; a++) {
        if (!strcmp(argv[a], "--json"))
            json = true;
        else if (id < 0 && (id = jc_cli_parse_id(argv[a])) > 0)
            ;
        else
            return jc_cli_usage("show");
    }
    if (id <= 0)
        return jc_cli_usage("show");
    if (!(s = jc_cli_open_store()))
        return 1;
    if (jc_store_run_get(s, id, &row)) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        jc_store_close(s);
        return 1;
    }
    jc_run_row_release(&row);
    if (json)
        rc = jc_cli_print_run_json(s, id);
    else
        jc_cli_print_run(s, id, stdout);
    jc_store_close(s);
    return rc;
}
