/*
 * store_int.h: private declarations of the SQLite store (migrations table
 * and the struct behind struct jc_store). Not for use outside store/.
 */
#ifndef JOBCTL_STORE_STORE_INT_H
#define JOBCTL_STORE_STORE_INT_H

#include <stddef.h>
#include <sqlite3.h>

struct jc_migration {
    int version;
    const char *name;
    const char *sql;
};
extern const struct jc_migration jc_migrations[];
extern const size_t jc_nmigrations;

enum jc_stmt_id {
    ST_TASK_RUN_INSERT = 0,
    ST_TASK_RUN_UPDATE,
    ST_RUN_SET_STATE,
    ST_EVENT_ADD,
    ST_TV_SET,
    ST_CANCEL_Q,
    ST_COUNT_
};

struct jc_store {
    sqlite3 *db;
    char *home;
    int txn_depth;
    sqlite3_stmt *stmts[ST_COUNT_];
};

#endif
