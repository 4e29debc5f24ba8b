/*
 * api_metrics.c: GET /metrics in the Prometheus text format: runs by
 * state, task attempt durations (histogram), queue length, scheduler lag,
 * HTTP request counts and webhook outcomes.
 */
#include "api/api_int.h"

#include <sqlite3.h>
#include <string.h>

#include "jobctl/store.h"

static const double buckets[] = {0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static void runs_by_state(struct jc_api *api, struct ju_buf *b)
{
    sqlite3 *db = jc_store_db(api->store);
    sqlite3_stmt *st = NULL;

    ju_buf_adds(b, "# HELP jobctl_runs Job runs by life-cycle and result "
                   "state.\n# TYPE jobctl_runs gauge\n");
    if (sqlite3_prepare_v2(db,
                           "SELECT life_cycle_state, coalesce(result_state,"
                           " ''), count(*) FROM runs GROUP BY 1, 2",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW)
        ju_buf_addf(b,
                    "jobctl_runs{life_cycle_state=\"%s\",result_state=\"%s\"}"
                    " %lld\n",
                    (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1),
                    (long long)sqlite3_column_int64(st, 2));
    sqlite3_finalize(st);
}

static void task_durations(struct jc_api *api, struct ju_buf *b)
{
    sqlite3 *db = jc_store_db(api->store);
    sqlite3_stmt *st = NULL;
    unsigned long long counts[NBUCKETS] = {0};
    unsigned long long n = 0;
    double sum = 0;
    size_t i;

    ju_buf_adds(b, "# HELP jobctl_task_duration_seconds Duration of "
                   "finished task attempts.\n"
                   "# TYPE jobctl_task_duration_seconds histogram\n");
    if (sqlite3_prepare_v2(db,
                           "SELECT (end_ms - start_ms) / 1000.0 FROM "
                           "task_runs WHERE end_ms > 0 AND start_ms > 0",
                           -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            double d = sqlite3_column_double(st, 0);

            n++;
            sum += d;
            for (i = 0; i < NBUCKETS; i++)
                if (d <= buckets[i])
                    counts[i]++;
        }
        sqlite3_finalize(st);
    }
    for (i = 0; i < NBUCKETS; i++)
        ju_buf_addf(b, "jobctl_task_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    buckets[i], counts[i]);
    ju_buf_addf(b, "jobctl_task_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                n);
    ju_buf_addf(b, "jobctl_task_duration_seconds_sum %.3f\n", sum);
    ju_buf_addf(b, "jobctl_task_duration_seconds_count %llu\n", n);
}

void api_metrics(struct api_ctx *c)
{
    struct jc_api *api = c->api;
    struct ju_buf *b = &c->resp->body;
    size_t i;

    if (!api_method(c, "GET"))
        return;
    runs_by_state(api, b);
    task_durations(api, b);
    ju_buf_addf(b, "# HELP jobctl_queue_length Runs waiting in job queues.\n"
                   "# TYPE jobctl_queue_length gauge\njobctl_queue_length "
                   "%zu\n",
                api->be.queue_length ? api->be.queue_length(api->be.ud) : 0);
    ju_buf_addf(b, "# HELP jobctl_scheduler_lag_seconds Delay between the "
                   "last scheduled fire time and the run start.\n"
                   "# TYPE jobctl_scheduler_lag_seconds gauge\n"
                   "jobctl_scheduler_lag_seconds %.3f\n",
                api->be.scheduler_lag_s ? api->be.scheduler_lag_s(api->be.ud)
                                        : 0.0);
    ju_buf_addf(b, "# HELP jobctl_http_requests_total HTTP requests "
                   "served.\n# TYPE jobctl_http_requests_total counter\n"
                   "jobctl_http_requests_total %llu\n",
                (unsigned long long)api->requests);
    ju_buf_adds(b, "# HELP jobctl_http_responses_total Responses by status "
                   "class.\n# TYPE jobctl_http_responses_total counter\n");
    for (i = 1; i <= 5; i++)
        ju_buf_addf(b, "jobctl_http_responses_total{code=\"%zuxx\"} %llu\n",
                    i, (unsigned long long)api->responses_by_class[i]);
    ju_buf_addf(b, "# HELP jobctl_webhooks_total Webhook deliveries.\n"
                   "# TYPE jobctl_webhooks_total counter\n"
                   "jobctl_webhooks_total{outcome=\"accepted\"} %llu\n"
                   "jobctl_webhooks_total{outcome=\"rejected\"} %llu\n",
                (unsigned long long)api->hooks_accepted,
                (unsigned long long)api->hooks_rejected);
    c->resp->status = 200;
    c->resp->content_type = "text/plain; version=0.0.4";
}
