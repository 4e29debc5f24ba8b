/*
 * main.c: jobctl-silver-monitor: counts silver events older than the late
 * threshold (default 5 minutes) relative to now, plus totals, the newest
 * event time and freshness; appends one row to monitor_logs, prints the
 * seed's message and writes task value late_events. --fail-on-late exits 1
 * when late events exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "taskcommon/tablelog.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

struct monitor {
    int64_t cutoff; /* micros: older than this is late */
    int64_t late, total, nulls;
    int64_t newest; /* micros; INT64_MIN when none */
};

static const char *const known_opts[] = {"late-threshold-seconds",
                                         "fail-on-late", "silver", NULL};

static int on_rows(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    struct monitor *m = ud;
    struct lake_column *ts = lake_batch_column(b, "timestamp");
    const int64_t *v;
    size_t r;

    (void)f;
    if (!ts)
        return jc_err_set(JC_EINVAL, "silver file lacks column 'timestamp'");
    v = ts->values;
    for (r = 0; r < b->num_rows; r++) {
        if (lake_column_is_null(ts, r)) {
            m->nulls++;
            continue;
        }
        m->total++;
        if (v[r] < m->cutoff)
            m->late++;
        if (v[r] > m->newest)
            m->newest = v[r];
    }
    return 0;
}

static void monitor_schema(struct lake_schema *s)
{
    lake_schema_init(s);
    lake_schema_add_simple(s, "run_time", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "late_events", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "total_events", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "newest_event_time", LAKE_TYPE_TIMESTAMP, true);
    lake_schema_add_simple(s, "freshness_seconds", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "late_threshold_seconds", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "healthy", LAKE_TYPE_BOOLEAN, true);
    lake_schema_add_simple(s, "run_id", LAKE_TYPE_STRING, true);
}

static int write_log(const struct monitor *m, int64_t now, long threshold,
                     double freshness, int healthy)
{
    struct lake_schema s;
    struct lake_table *t;
    struct lake_batch *b;
    int rc;

    monitor_schema(&s);
    rc = task_log_open("monitor_logs", &s, &t, &b);
    lake_schema_release(&s);
    if (rc)
        return rc;
    lake_batch_append_i64(&b->columns[0], now);
    lake_batch_append_i64(&b->columns[1], m->late);
    lake_batch_append_i64(&b->columns[2], m->total);
    if (m->total) {
        lake_batch_append_i64(&b->columns[3], m->newest);
        lake_batch_append_f64(&b->columns[4], freshness);
    } else {
        lake_batch_append_null(&b->columns[3]);
        lake_batch_append_null(&b->columns[4]);
    }
    lake_batch_append_i64(&b->columns[5], threshold);
    lake_batch_append_bool(&b->columns[6], healthy ? 1 : 0);
    task_log_append_run_id(&b->columns[7]);
    return task_log_commit(t, b);
}

int main(int argc, char **argv)
{
    static const char *const cols[] = {"timestamp"};
    struct lake_scan_opts opts = {cols, 1, NULL, 0};
    struct lake_table *t = NULL;
    struct monitor m;
    const char *silver = task_param(argc, argv, "silver");
    char *path, buf[64], newest[48];
    long threshold;
    int64_t now;
    double freshness = 0;
    int rc, healthy;

    ju_log_init_from_env();
    if (task_check_args_ex(argc, argv, known_opts, 0) ||
        task_param_long(argc, argv, "late-threshold-seconds", 300, 0,
                        100L * 365 * 86400, &threshold)) {
        fprintf(stderr, "jobctl-silver-monitor: %s\n", jc_err_last());
        fprintf(stderr, "usage: jobctl-silver-monitor "
                        "[--late-threshold-seconds N] [--fail-on-late]\n");
        return TASK_EXIT_USAGE;
    }
    now = task_now_us();
    memset(&m, 0, sizeof(m));
    m.cutoff = now - (int64_t)threshold * 1000000;
    m.newest = INT64_MIN;
    path = task_table_path(silver && *silver ? silver : "silver_events");
    rc = lake_table_open(&t, path);
    if (!rc)
        rc = lake_table_scan(t, &opts, on_rows, &m, NULL);
    if (t)
        lake_table_close(t);
    if (rc) {
        fprintf(stderr, "jobctl-silver-monitor: cannot read '%s': %s\n", path,
                jc_err_last());
        free(path);
        return TASK_EXIT_FAIL;
    }
    free(path);
    if (m.total)
        freshness = (double)(now - m.newest) / 1e6;
    healthy = m.late == 0;
    rc = write_log(&m, now, threshold, freshness, healthy);
    if (rc) {
        fprintf(stderr,
                "jobctl-silver-monitor: cannot append to "
                "'monitor_logs': %s\n",
                jc_err_last());
        return TASK_EXIT_FAIL;
    }
    if (m.total)
        task_fmt_ts(m.newest, newest, sizeof(newest));
    else
        snprintf(newest, sizeof(newest), "none");
    if (healthy)
        printf("healthy: no late events (threshold %lds)\n", threshold);
    else
        printf("%lld late events detected (older than %lds)\n",
               (long long)m.late, threshold);
    printf("total_events=%lld late_events=%lld newest_event_time=%s "
           "freshness_seconds=%.1f\n",
           (long long)m.total, (long long)m.late, newest, freshness);
    snprintf(buf, sizeof(buf), "%lld", (long long)m.late);
    task_value_set("late_events", buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)m.total);
    task_value_set("total_events", buf);
    task_value_set("healthy", healthy ? "true" : "false");
    if (!healthy && task_flag(argc, argv, "fail-on-late"))
        return TASK_EXIT_FAIL;
    return TASK_EXIT_OK;
}
