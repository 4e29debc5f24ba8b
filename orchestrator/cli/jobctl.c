/*
 * jobctl.c: entry point and command table. Dispatches argv[1] to the
 * matching cmd_<name>(); reads .env from the working directory first
 * (DESIGN.md section 3) without overriding variables already set.
 */
#include "cli/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

static const struct jc_cmd commands[] = {
    {"validate", "validate FILE...", "check job definitions", cmd_validate},
    {"run",
     "run FILE [--param k=v]... [--only TASK]... [--workspace DIR] "
     "[--parallel N] [--junit FILE] [--json] [--remote] [--wait]",
     "run a job in the foreground", cmd_run},
    {"runs", "runs [--job NAME] [--limit N] [--json]", "list runs", cmd_runs},
    {"show", "show RUN_ID [--json]", "show one run and its tasks", cmd_show},
    {"logs", "logs RUN_ID [TASK] [--attempt N]", "print task logs", cmd_logs},
    {"cancel", "cancel RUN_ID", "cancel a running run", cmd_cancel},
    {"repair", "repair RUN_ID [--task KEY]...",
     "re-run failed (or named) tasks and everything downstream", cmd_repair},
    {"jobs", "jobs [--json]", "list known jobs", cmd_jobs},
    {"schedule", "schedule next FILE [-n N]", "print upcoming fire times",
     cmd_schedule},
    {"table",
     "table list|describe|show|history|import|optimize|vacuum|check ...",
     "inspect and maintain Delta tables", cmd_table},
    {"sql", "sql QUERY [--format table|jsonl|csv]",
     "query Delta tables and run history with SQL", cmd_sql},
    {"kafka-broker", "kafka-broker [--partitions N] [--topic T]...",
     "run the embedded Kafka broker", cmd_kafka_broker},
    {"produce", "produce [--count N] [--rate EPS] ...",
     "send synthetic events to Kafka", cmd_produce},
    {"model", "model import-sklearn|list|score ...",
     "manage Isolation Forest models", cmd_model},
    {"serve", "serve [--listen ADDR] [--jobs-dir DIR] [--workspace DIR]",
     "run the scheduler daemon and REST API", cmd_serve},
    {"costs", "costs [--job J] [--since DATE] [--by task|job|day] [--json]",
     "summarise recorded costs", cmd_costs},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int jc_cli_usage(const char *name)
{
    size_t i;

    for (i = 0; i < NCOMMANDS; i++) {
        if (!strcmp(commands[i].name, name)) {
            fprintf(stderr, "usage: jobctl %s\n", commands[i].usage);
            return 2;
        }
    }
    fprintf(stderr, "usage: jobctl %s ...\n", name);
    return 2;
}

static void help(FILE *out)
{
    size_t i;

    fprintf(out, "usage: jobctl <command> [args]\n\ncommands:\n");
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
}

/* KEY=VALUE lines; # comments; optional quotes; existing env wins. */
static void load_dotenv(void)
{
    FILE *f = fopen(".env", "r");
    char line[4096];

    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        char *eq;
        char *v;
        size_t n;

        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '#' || *p == '\n' || !*p)
            continue;
        if (!strncmp(p, "export ", 7))
            p += 7;
        eq = strchr(p, '=');
        if (!eq)
            continue;
        *eq = '\0';
        v = eq + 1;
        n = strlen(v);
        while (n && (v[n - 1] == '\n' || v[n - 1] == '\r'))
            v[--n] = '\0';
        if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
            v[n - 1] = '\0';
            v++;
        }
        setenv(p, v, 0);
    }
    fclose(f);
}

int main(int argc, char **argv)
{
    size_t i;

    ju_log_init_from_env();
    if (argc < 2) {
        help(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
        !strcmp(argv[1], "-h")) {
        help(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("jobctl 0.1.0\n");
        return 0;
    }
    load_dotenv();
    for (i = 0; i < NCOMMANDS; i++) {
        if (!strcmp(commands[i].name, argv[1]))
            return commands[i].exec(argc - 1, argv + 1);
    }
    fprintf(stderr, "jobctl: '%s' is not a jobctl command; see 'jobctl help'\n",
            argv[1]);
    return 2;
}
