/*
 * accounting_report.c: cost summaries for `jobctl costs` (and the API):
 * finished attempts from task_runs grouped by task, job or UTC day.
 * Read-only SQL through jc_store_db(); nothing here writes.
 */
#include "jobctl/accounting.h"

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int jc_accounting_parse_since(const char *s, int64_t now_ms, int64_t *out)
{
    struct tm tm;
    const char *end;
    char *e;
    long long n;

    if (!s || !*s)
        return jc_err_set(JC_EINVAL, "empty --since");
    errno = 0;
    n = strtoll(s, &e, 10);
    if (!errno && e != s && n >= 0 && e[0] && !e[1] &&
        (e[0] == 'd' || e[0] == 'h' || e[0] == 'm') && n < 100000) {
        int64_t unit = e[0] == 'd' ? 86400000 : e[0] == 'h' ? 3600000 : 60000;

        *out = now_ms - (int64_t)n * unit;
        return 0;
    }
    memset(&tm, 0, sizeof(tm));
    end = strptime(s, "%Y-%m-%d", &tm);
    if (end && (*end == 'T' || *end == ' ')) {
        const char *e2 = strptime(end + 1, "%H:%M:%S", &tm);

        if (!e2)
            e2 = strptime(end + 1, "%H:%M", &tm);
        end = e2;
        if (end && *end == 'Z')
            end++;
    }
    if (!end || *end)
        return jc_err_set(JC_EINVAL,
                          "bad date '%s': use YYYY-MM-DD[THH:MM[:SS]] (UTC) "
                          "or a relative age like 7d, 12h, 30m",
                          s);
    *out = (int64_t)timegm(&tm) * 1000;
    return 0;
}

static void add_num(json_t *o, const char *k, double v)
{
    json_object_set_new(o, k, json_real(v));
}

int jc_accounting_summary(struct jc_store *store,
                          const struct jc_costs_query *q, json_t **out)
{
    sqlite3 *db = jc_store_db(store);
    sqlite3_stmt *st = NULL;
    struct ju_buf sql = JU_BUF_INIT;
    const char *by = q->by && *q->by ? q->by : "task";
    const char *key;
    int64_t job_id = 0;
    json_t *res;
    json_t *rows;
    json_t *total;
    double tw = 0, tc = 0, tcost = 0;
    int64_t ta = 0, tf = 0, tr = 0, trss = 0, trb = 0, twb = 0;
    int rc;

    if (!strcmp(by, "task"))
        key = "t.task_key";
    else if (!strcmp(by, "job"))
        key = "COALESCE(j.name, r.run_name, '(unknown)')";
    else if (!strcmp(by, "day"))
        key = "strftime('%Y-%m-%d', t.start_ms / 1000, 'unixepoch')";
    else
        return jc_err_set(JC_EINVAL, "bad --by '%s': use task, job or day",
                          by);
    if (q->job && *q->job) {
        char *e;
        long long id;

        errno = 0;
        id = strtoll(q->job, &e, 10);
        if (!errno && !*e && id > 0) {
            job_id = id;
        } else {
            struct jc_job_row jr;

            if (jc_store_job_find(store, q->job, &jr) < 0)
                return jc_err_set(JC_ENOTFOUND, "no job named '%s'", q->job);
            job_id = jr.job_id;
            jc_job_row_release(&jr);
        }
    }
    ju_buf_addf(&sql,
                "SELECT %s, %s, COUNT(*), "
                "SUM(CASE WHEN t.result_state <> 'SUCCESS' THEN 1 ELSE 0 "
                "END), "
                "SUM(CASE WHEN t.executor = 'databricks' THEN 1 ELSE 0 END), "
                "SUM(MAX(t.end_ms - t.start_ms, 0)) / 1000.0, "
                "SUM(t.cpu_user_s + t.cpu_sys_s), MAX(t.max_rss_kb), "
                "SUM(MAX(t.read_bytes, 0)), SUM(MAX(t.write_bytes, 0)), "
                "SUM(t.cost) "
                "FROM task_runs t JOIN runs r ON r.run_id = t.run_id "
                "LEFT JOIN jobs j ON j.job_id = r.job_id "
                "WHERE t.end_ms > 0 AND (?1 = 0 OR r.job_id = ?1) "
                "AND t.start_ms >= ?2 GROUP BY 2, 1 ORDER BY 2, 1",
                key,
                !strcmp(by, "task")
                    ? "COALESCE(j.name, r.run_name, '')"
                    : "''");
    if (sqlite3_prepare_v2(db, ju_buf_str(&sql), -1, &st, NULL) !=
        SQLITE_OK) {
        rc = jc_err_set(JC_EIO, "cannot query costs: %s", sqlite3_errmsg(db));
        ju_buf_release(&sql);
        return rc;
    }
    ju_buf_release(&sql);
    sqlite3_bind_int64(st, 1, job_id);
    sqlite3_bind_int64(st, 2, q->since_ms);
    res = json_object();
    rows = json_array();
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *o = json_object();
        const unsigned char *k = sqlite3_column_text(st, 0);
        const unsigned char *jn = sqlite3_column_text(st, 1);
        int64_t a = sqlite3_column_int64(st, 2);
        int64_t f = sqlite3_column_int64(st, 3);
        int64_t rm = sqlite3_column_int64(st, 4);
        double w = sqlite3_column_double(st, 5);
        double c = sqlite3_column_double(st, 6);
        int64_t rss = sqlite3_column_int64(st, 7);
        int64_t rb = sqlite3_column_int64(st, 8);
        int64_t wb = sqlite3_column_int64(st, 9);
        double cost = sqlite3_column_double(st, 10);

        json_object_set_new(o, "key", json_string(k ? (const char *)k : ""));
        if (jn && *jn)
            json_object_set_new(o, "job", json_string((const char *)jn));
        json_object_set_new(o, "attempts", json_integer(a));
        json_object_set_new(o, "failed", json_integer(f));
        json_object_set_new(o, "remote", json_integer(rm));
        add_num(o, "wall_seconds", w);
        add_num(o, "cpu_seconds", c);
        json_object_set_new(o, "max_rss_kb", json_integer(rss));
        json_object_set_new(o, "read_bytes", json_integer(rb));
        json_object_set_new(o, "write_bytes", json_integer(wb));
        add_num(o, "cost", cost);
        json_array_append_new(rows, o);
        ta += a;
        tf += f;
        tr += rm;
        tw += w;
        tc += c;
        if (rss > trss)
            trss = rss;
        trb += rb;
        twb += wb;
        tcost += cost;
    }
    if (rc != SQLITE_DONE) {
        rc = jc_err_set(JC_EIO, "cannot query costs: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        json_decref(rows);
        json_decref(res);
        return rc;
    }
    sqlite3_finalize(st);
    total = json_object();
    json_object_set_new(total, "attempts", json_integer(ta));
    json_object_set_new(total, "failed", json_integer(tf));
    json_object_set_new(total, "remote", json_integer(tr));
    add_num(total, "wall_seconds", tw);
    add_num(total, "cpu_seconds", tc);
    json_object_set_new(total, "max_rss_kb", json_integer(trss));
    json_object_set_new(total, "read_bytes", json_integer(trb));
    json_object_set_new(total, "write_bytes", json_integer(twb));
    add_num(total, "cost", tcost);
    json_object_set_new(res, "by", json_string(by));
    json_object_set_new(res, "rows", rows);
    json_object_set_new(res, "total", total);
    *out = res;
    return 0;
}
