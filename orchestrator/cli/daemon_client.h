/*
 * daemon_client.h: run CLI commands through a running `jobctl serve`
 * (JOBCTL_URL, default http://127.0.0.1:8080; JOBCTL_NO_DAEMON=1 skips).
 */
#ifndef JOBCTL_CLI_DAEMON_CLIENT_H
#define JOBCTL_CLI_DAEMON_CLIENT_H

/*
 * cmd is "run", "runs", "show", "logs", "cancel" or "repair"; argv[0] is
 * the command name. Returns 1 when a daemon is reachable and handled the
 * command (*exit_code set), 0 to continue in embedded mode.
 */
int jc_cli_daemon_dispatch(const char *cmd, int argc, char **argv,
                           int *exit_code);

#endif
