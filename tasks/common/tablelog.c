/*
 * tablelog.c: one-row appends to the lake log tables written by the
 * pipeline tasks (see taskcommon/tablelog.h).
 */
#include "taskcommon/tablelog.h"

#include <stdlib.h>
#include <string.h>

#include "taskcommon/task.h"

int task_log_open(const char *table, const struct lake_schema *s,
                  struct lake_table **t, struct lake_batch **b)
{
    char *path = task_table_path(table);
    int rc;

    *t = NULL;
    *b = NULL;
    rc = lake_table_create_if_absent(t, path, s, NULL, 0, NULL);
    free(path);
    if (rc)
        return rc;
    *b = lake_batch_new(s);
    return 0;
}

void task_log_append_run_id(struct lake_column *c)
{
    const char *run_id = getenv("JOBCTL_RUN_ID");

    if (run_id && *run_id)
        lake_batch_append_str(c, run_id, strlen(run_id));
    else
        lake_batch_append_null(c);
}

int task_log_commit(struct lake_table *t, struct lake_batch *b)
{
    int rc = lake_batch_seal(b);

    if (!rc)
        rc = lake_table_append(t, b, 0, NULL);
    lake_batch_free(b);
    lake_table_close(t);
    return rc;
}
