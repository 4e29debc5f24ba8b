/*
 * store.c: opening the SQLite store (WAL, synchronous=NORMAL, foreign keys,
 * busy timeout), running the embedded migrations, transactions and the
 * jobs table. Runs, task runs, values and events are in store_runs.c.
 */
#include "jobctl/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "jobctl/err.h"
#include "store/store_int.h"
#include "util/mem.h"

int64_t jc_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int jc_store_schema_latest(void)
{
    return jc_migrations[jc_nmigrations - 1].version;
}

const char *jc_store_home(void)
{
    const char *h = getenv("JOBCTL_HOME");

    return (h && *h) ? h : ".jobctl";
}

const char *jc_store_home_dir(const struct jc_store *s)
{
    return s->home;
}

sqlite3 *jc_store_db(struct jc_store *s)
{
    return s->db;
}

static int mkdirs(const char *path)
{
    char *p = ju_xstrdup(path);
    char *q;

    for (q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0755) && errno != EEXIST) {
            int e = errno;
            free(p);
            return jc_err_set(JC_EIO, "cannot create '%s': %s", path,
                              strerror(e));
        }
        *q = '/';
    }
    if (mkdir(p, 0755) && errno != EEXIST) {
        int e = errno;
        free(p);
        return jc_err_set(JC_EIO, "cannot create '%s': %s", path, strerror(e));
    }
    free(p);
    return 0;
}

static int exec_sql(struct jc_store *s, const char *sql)
{
    char *msg = NULL;

    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = jc_err_set(JC_EIO, "sqlite: %s", msg ? msg : "error");
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

int jc_store_schema_version(struct jc_store *s)
{
    sqlite3_stmt *st;
    int v = 0;

    if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int migrate(struct jc_store *s)
{
    int cur = jc_store_schema_version(s);
    size_t i;

    if (cur > jc_store_schema_latest())
        return jc_err_set(JC_EUNSUPPORTED,
                          "database schema version %d is newer than this "
                          "jobctl (%d)",
                          cur, jc_store_schema_latest());
    for (i = 0; i < jc_nmigrations; i++) {
        char pragma[64];
        int rc;

        if (jc_migrations[i].version <= cur)
            continue;
        if ((rc = exec_sql(s, "BEGIN IMMEDIATE")))
            return rc;
        /* Another process may have migrated while we waited. */
        if (jc_store_schema_version(s) >= jc_migrations[i].version) {
            exec_sql(s, "COMMIT");
            continue;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
                 jc_migrations[i].version);
        if ((rc = exec_sql(s, jc_migrations[i].sql)) ||
            (rc = exec_sql(s, pragma))) {
            exec_sql(s, "ROLLBACK");
            return jc_err_wrap(rc, "migration '%s'", jc_migrations[i].name);
        }
        if ((rc = exec_sql(s, "COMMIT")))
            return rc;
    }
    return 0;
}

int jc_store_open_nosettle(struct jc_store **out, const char *home)
{
    struct jc_store *s;
    char *path;
    int rc;

    *out = NULL;
    if (!home)
        home = jc_store_home();
    if ((rc = mkdirs(home)))
        return rc;
    s = ju_xcalloc(1, sizeof(*s));
    s->home = ju_xstrdup(home);
    path = ju_xasprintf("%s/jobctl.db", home);
    if (sqlite3_open_v2(path, &s->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                            SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = jc_err_set(JC_EIO, "cannot open '%s': %s", path,
                        s->db ? sqlite3_errmsg(s->db) : "out of memory");
        free(path);
        jc_store_close(s);
        return rc;
    }
    free(path);
    sqlite3_busy_timeout(s->db, 10000);
    if ((rc = exec_sql(s, "PRAGMA journal_mode=WAL")) ||
        (rc = exec_sql(s, "PRAGMA synchronous=NORMAL")) ||
        (rc = exec_sql(s, "PRAGMA foreign_keys=ON")) || (rc = migrate(s))) {
        jc_store_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int jc_store_open(struct jc_store **out, const char *home)
{
    int rc = jc_store_open_nosettle(out, home);

    if (rc)
        return rc;
    rc = jc_store_settle_orphans(*out);
    if (rc < 0) {
        jc_store_close(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

void jc_store_close(struct jc_store *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < ST_COUNT_; i++)
        sqlite3_finalize(s->stmts[i]);
    if (s->txn_depth)
        exec_sql(s, "ROLLBACK");
    sqlite3_close(s->db);
    free(s->home);
    free(s);
}

int jc_store_begin(struct jc_store *s)
{
    if (s->txn_depth++ == 0) {
        int rc = exec_sql(s, "BEGIN IMMEDIATE");
        if (rc) {
            s->txn_depth = 0;
            return rc;
        }
    }
    return 0;
}

int jc_store_commit(struct jc_store *s)
{
    if (s->txn_depth <= 0)
        return jc_err_set(JC_ESTATE, "commit without a transaction");
    if (--s->txn_depth == 0)
        return exec_sql(s, "COMMIT");
    return 0;
}

bool jc_store_in_txn(const struct jc_store *s)
{
    return s->txn_depth > 0;
}

int jc_store_rollback(struct jc_store *s)
{
    if (s->txn_depth <= 0)
        return jc_err_set(JC_ESTATE, "rollback without a transaction");
    s->txn_depth = 0;
    return exec_sql(s, "ROLLBACK");
}

/* ---- jobs ---- */

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);

    return t ? ju_xstrdup((const char *)t) : NULL;
}

static int db_err(struct jc_store *s, const char *what)
{
    return jc_err_set(JC_EIO, "sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

static void job_from_row(sqlite3_stmt *st, struct jc_job_row *r)
{
    r->job_id = sqlite3_column_int64(st, 0);
    r->name = col_str(st, 1);
    r->settings_json = col_str(st, 2);
    r->source_path = col_str(st, 3);
    r->created_ms = sqlite3_column_int64(st, 4);
    r->updated_ms = sqlite3_column_int64(st, 5);
}

#define JOB_COLS                                                               \
    "job_id, name, settings_json, source_path, created_ms, updated_ms"

static int job_query_one(struct jc_store *s, const char *sql, int64_t id,
                         const char *text, struct jc_job_row *out)
{
    sqlite3_stmt *st;
    int rc;

    memset(out, 0, sizeof(*out));
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
        return db_err(s, "job query");
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        job_from_row(st, out);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = JC_ENOTFOUND;
        if (text)
            jc_err_set(rc, "job '%s' not found", text);
        else
            jc_err_set(rc, "job %lld not found", (long long)id);
    } else {
        rc = db_err(s, "job query");
    }
    sqlite3_finalize(st);
    return rc;
}

int jc_store_job_get(struct jc_store *s, int64_t job_id, struct jc_job_row *out)
{
    return job_query_one(s, "SELECT " JOB_COLS " FROM jobs WHERE job_id = ?",
                         job_id, NULL, out);
}

int jc_store_job_find(struct jc_store *s, const char *name,
                      struct jc_job_row *out)
{
    return job_query_one(s,
                         "SELECT " JOB_COLS " FROM jobs WHERE name = ? "
                         "ORDER BY job_id DESC LIMIT 1",
                         0, name, out);
}

static int64_t find_job_id(struct jc_store *s, const char *sql,
                           const char *text)
{
    sqlite3_stmt *st;
    int64_t id = 0;

    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL))
        return 0;
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id;
}

int jc_store_job_put(struct jc_store *s, int64_t *job_id, const char *name,
                     const char *settings_json, const char *source_path)
{
    sqlite3_stmt *st;
    int64_t id = *job_id;
    int64_t now = jc_now_ms();
    int rc;

    if (!name)
        name = "";
    if (!settings_json)
        settings_json = "{}";
    if (id <= 0 && source_path)
        id = find_job_id(s,
                         "SELECT job_id FROM jobs WHERE source_path = ? "
                         "ORDER BY job_id DESC LIMIT 1",
                         source_path);
    if (id <= 0 && !source_path)
        id = find_job_id(s,
                         "SELECT job_id FROM jobs WHERE name = ? AND "
                         "source_path IS NULL ORDER BY job_id DESC LIMIT 1",
                         name);
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO jobs (job_id, name, settings_json, "
                           "source_path, created_ms, updated_ms) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?5) "
                           "ON CONFLICT(job_id) DO UPDATE SET name = ?2, "
                           "settings_json = ?3, source_path = ?4, "
                           "updated_ms = ?5",
                           -1, &st, NULL))
        return db_err(s, "job put");
    if (id > 0)
        sqlite3_bind_int64(st, 1, id);
    else
        sqlite3_bind_null(st, 1);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, settings_json, -1, SQLITE_STATIC);
    if (source_path)
        sqlite3_bind_text(st, 4, source_path, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_int64(st, 5, now);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, "job put");
    *job_id = id > 0 ? id : sqlite3_last_insert_rowid(s->db);
    return 0;
}

int jc_store_job_list(struct jc_store *s, struct jc_job_row **rows, size_t *n)
{
    sqlite3_stmt *st;
    size_t alloc = 0;
    int rc;

    *rows = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT " JOB_COLS " FROM jobs ORDER BY job_id", -1,
                           &st, NULL))
        return db_err(s, "job list");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        JU_ALLOC_GROW(*rows, *n + 1, alloc);
        job_from_row(st, &(*rows)[(*n)++]);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_err(s, "job list");
}

int jc_store_job_delete(struct jc_store *s, int64_t job_id)
{
    sqlite3_stmt *st;
    int rc;

    if (sqlite3_prepare_v2(s->db, "DELETE FROM jobs WHERE job_id = ?", -1, &st,
                           NULL))
        return db_err(s, "job delete");
    sqlite3_bind_int64(st, 1, job_id);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return db_err(s, "job delete");
    if (!sqlite3_changes(s->db))
        return jc_err_set(JC_ENOTFOUND, "job %lld not found",
                          (long long)job_id);
    return 0;
}

void jc_job_row_release(struct jc_job_row *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->settings_json);
    free(r->source_path);
    memset(r, 0, sizeof(*r));
}

void jc_job_rows_free(struct jc_job_row *rows, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        jc_job_row_release(&rows[i]);
    free(rows);
}
