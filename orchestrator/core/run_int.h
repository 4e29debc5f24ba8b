/*
 * run_int.h: private helpers of the run engine shared by core/run*.c,
 * refs.c, taskvalues.c, workspace.c and event.c (and their unit tests).
 */
#ifndef JOBCTL_CORE_RUN_INT_H
#define JOBCTL_CORE_RUN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "jobctl/run.h"

/*
 * Dynamic value references "{{ a.b.`c-d` }}". lookup gets the dotted path
 * split into segments (back-quotes removed) and returns 0 with *value
 * (malloc'd), 1 when the namespace is unknown (the reference is left
 * literally, like Databricks), or a negative JC_E* (jc_err_set) when a
 * name inside a known namespace does not resolve: the expansion fails.
 */
typedef int (*jc_ref_lookup_cb)(void *arg, char **seg, size_t nseg,
                                char **value);
int jc_refs_expand(const char *in, jc_ref_lookup_cb lookup, void *arg,
                   char **out);
/* True when s contains "{{" (fast path: nothing to expand). */
int jc_refs_has(const char *s);

/*
 * Resolve a notebook_path / python_file by basename (with or without its
 * extension, also trying .py .sh) in workspace dir. On success *argv is a
 * NULL-terminated malloc'd prefix: {path}, {"python3", path} or
 * {"sh", path}; *n its length. JC_ENOTFOUND with a message otherwise.
 */
int jc_workspace_resolve(const char *workspace, const char *path,
                         char ***argv, size_t *n);
void jc_strv_free(char **v);

/* One parsed task value line. */
struct jc_tv {
    char *key;
    char *value;
};
/*
 * Parse a task values file: "name=value" lines (or JSON lines
 * {"key": k, "value": v}); blank and '#' lines skipped; later lines win.
 * Values over 48 KiB and files over 1 MiB are refused (JC_ETOOBIG).
 * A missing file gives 0 values.
 */
int jc_taskvalues_read(const char *path, struct jc_tv **out, size_t *n);
void jc_tvs_free(struct jc_tv *v, size_t n);

/* Environment variable name for a parameter: JOBCTL_PARAM_<UPPER>. */
char *jc_param_env_name(const char *name);

/* Date argument of {{job.start_time.<arg>}}; NULL for an unknown arg. */
char *jc_time_arg(int64_t ms, const char *arg);

/* Condition task: "true"/"false" into *outcome, or JC_EINVAL. */
int jc_condition_eval(const char *op, const char *left, const char *right,
                      const char **outcome);

/* Result <-> name. */
int jc_result_parse(const char *s, enum jc_result *out);
/* A failure for run_if (FAILED, TIMEDOUT, UPSTREAM_FAILED, INTERNAL_ERROR). */
int jc_result_is_failure(enum jc_result r);

#endif
