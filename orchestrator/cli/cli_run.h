/*
 * cli_run.h: helpers shared by the run/runs/show/logs/cancel/repair/jobs
 * commands: progress lines, JUnit XML, run printing, argument parsing.
 */
#ifndef JOBCTL_CLI_CLI_RUN_H
#define JOBCTL_CLI_CLI_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "jobctl/run.h"
#include "jobctl/store.h"

/* Progress printer state for jc_task_event_cb (prints to stderr). */
struct jc_cli_progress {
    bool quiet;   /* --json: nothing */
    bool brief;   /* not a terminal: only failures and retries */
    int64_t t0_ms;
};
void jc_cli_progress_cb(void *arg, const struct jc_task_event *ev);

/* Write JUnit XML (one testcase per task, latest attempt) for run_id. */
int jc_cli_write_junit(struct jc_store *s, int64_t run_id, const char *path);
/* Human summary of a run and its tasks on out. */
void jc_cli_print_run(struct jc_store *s, int64_t run_id, FILE *out);
/* Print run_id as JSON (Jobs API shape) on stdout. */
int jc_cli_print_run_json(struct jc_store *s, int64_t run_id);
/* Parse a positive integer argument; -1 when invalid. */
int64_t jc_cli_parse_id(const char *s);
/* Exit code for a result: 0 SUCCESS, 1 otherwise. */
int jc_cli_result_exit(enum jc_result r);
/* Open the store at $JOBCTL_HOME, printing the error. NULL on failure. */
struct jc_store *jc_cli_open_store(void);
/* Format a duration in ms as "1.23s" / "2m03s" into buf. */
const char *jc_cli_dur(int64_t ms, char *buf, size_t n);

#endif
