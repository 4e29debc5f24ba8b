/*
 * cmd.h: the jobctl subcommands. Each lives in cmd_<name>.c and has one
 * row in jobctl.c's table (git builtin/ + commands[]; tmux cmd_entry).
 * A command returns the process exit code: 0 OK, 1 failure, 2 usage.
 */
#ifndef JOBCTL_CLI_CMD_H
#define JOBCTL_CLI_CMD_H

struct jc_cmd {
    const char *name;
    const char *usage;   /* one line, after "jobctl " */
    const char *summary; /* for `jobctl help` */
    int (*exec)(int argc, char **argv); /* argv[0] is the command name */
};

int cmd_validate(int argc, char **argv);
int cmd_schedule(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_jobs(int argc, char **argv);
int cmd_table(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_kafka_broker(int argc, char **argv);
int cmd_produce(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_costs(int argc, char **argv);

/* Print "jobctl: usage: jobctl <usage>" for name to stderr; returns 2. */
int jc_cli_usage(const char *name);

#endif
