/*
 * tablelog.h: append one row to a small log table in the lake
 * (monitor_logs, benchmark_logs), creating the table on first use. Its own
 * library (jt_tasklog) because it needs lib/lake, which the Kafka-only
 * programs do not link.
 */
#ifndef JOBCTL_TASKCOMMON_TABLELOG_H
#define JOBCTL_TASKCOMMON_TABLELOG_H

#include "lake/column.h"
#include "lake/delta.h"

/* Open <lake>/<table> (task_table_path), creating it with schema s when
 * absent, and a new batch of s for the row. On error *t and *b are NULL. */
int task_log_open(const char *table, const struct lake_schema *s,
                  struct lake_table **t, struct lake_batch **b);
/* Append $JOBCTL_RUN_ID to column c, or null when it is unset or empty. */
void task_log_append_run_id(struct lake_column *c);
/* Seal b and append it to t (one commit); frees b and closes t. */
int task_log_commit(struct lake_table *t, struct lake_batch *b);

#endif
