/*
 * cli_exec.h: run a sibling program of jobctl (same directory as the
 * running binary) in place of the current process, with no shell; used by
 * the commands that front a task program (kafka-broker, produce).
 */
#ifndef JOBCTL_CLI_CLI_EXEC_H
#define JOBCTL_CLI_CLI_EXEC_H

/* execv <dir of /proc/self/exe>/name with argv[1..argc-1]. Returns only on
 * failure, after printing why to stderr: exit code 1. */
int jc_cli_exec_sibling(const char *name, int argc, char **argv);

#endif
