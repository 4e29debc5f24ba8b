/*
 * task.h: the task side of the task protocol (DESIGN.md section 4):
 * parameters from argv (--name=value) or JOBCTL_PARAM_<NAME>, the lake
 * root, task values, and exit codes. Shared by the pipeline programs.
 */
#ifndef JOBCTL_TASKCOMMON_TASK_H
#define JOBCTL_TASKCOMMON_TASK_H

#include <stdint.h>

#define TASK_EXIT_OK 0
#define TASK_EXIT_FAIL 1
#define TASK_EXIT_USAGE 2
#define TASK_EXIT_RETRY 75

/*
 * Value of parameter name: argv "--name=value" or "--name value" (last
 * wins), else env
 * JOBCTL_PARAM_<NAME> (upper-cased, '-' -> '_'), else NULL. A bare
 * "--name" in argv gives "" (a flag). Borrowed.
 */
const char *task_param(int argc, char **argv, const char *name);
/* Flag set: "--name", "--name=1|true|yes", or env param true. */
int task_flag(int argc, char **argv, const char *name);
/* Parse an integer parameter with bounds; 0 or JC_EINVAL (message set). */
int task_param_long(int argc, char **argv, const char *name, long def, long min,
                    long max, long *out);
int task_param_double(int argc, char **argv, const char *name, double def,
                      double min, double max, double *out);
/*
 * Check argv has only known --options (names without "--"; '-' and '_'
 * alike); NULL-ended. An unknown option is an error. A bare word is an
 * error unless it is an option's value.
 */
int task_check_args(int argc, char **argv, const char *const *known);
/* Same; with strict 0 an unknown option is logged and ignored (job
 * parameters reach every task of a job as --name=value). */
int task_check_args_ex(int argc, char **argv, const char *const *known,
                       int strict);

/* $JOBCTL_HOME or "./.jobctl". Malloc'd. */
char *task_home(void);
/* $JOBCTL_LAKE or $JOBCTL_HOME/lake. Malloc'd. */
char *task_lake(void);
/* <lake>/<table>. Malloc'd. */
char *task_table_path(const char *table);
/* Append "name=value\n" to $JOBCTL_TASK_VALUES (no-op when unset). */
int task_value_set(const char *name, const char *value);
/* mkdir -p. */
int task_mkdirs(const char *path);

/* Wall clock in microseconds since the epoch / monotonic seconds. */
int64_t task_now_us(void);
double task_mono(void);
/* ISO-8601 UTC "2025-04-01T17:37:57.000Z" of micros into buf (>= 32). */
void task_fmt_ts(int64_t us, char *buf, size_t n);

#endif
