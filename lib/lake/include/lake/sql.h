/*
 * sql.h: SQLite virtual-table module over Delta tables ("delta"), used by
 * `jobctl sql`. WHERE constraints on columns are pushed down to skip files
 * by partition values and min/max stats (SQLite still re-checks each row).
 */
#ifndef JOBCTL_LAKE_SQL_H
#define JOBCTL_LAKE_SQL_H

#include <stddef.h>
#include <stdint.h>

struct sqlite3;

/* File counters summed over every scan since the last reset. */
struct lake_sql_stats {
    size_t scans;
    size_t files_total;
    size_t files_skipped;
    size_t files_read;
    int64_t rows_read;
};

/* Register the "delta" module on db. Tables are then created with
 * CREATE VIRTUAL TABLE temp."name" USING delta('/path/to/table'). */
int lake_sql_register(struct sqlite3 *db);
/* Register the module and create one virtual table per Delta table found
 * directly under root (directory name = table name). *ntables (may be
 * NULL) receives the count. Unreadable tables are skipped. */
int lake_sql_attach_root(struct sqlite3 *db, const char *root, size_t *ntables);
/* Create one virtual table `name` over the table at path. */
int lake_sql_attach_table(struct sqlite3 *db, const char *name,
                          const char *path);
void lake_sql_stats_get(struct lake_sql_stats *out);
void lake_sql_stats_reset(void);

#endif
