/*
 * cmd_costs.c: `jobctl costs [--job J] [--since DATE] [--by task|job|day]
 * [--json]`: what finished task attempts used and cost, from SQLite
 * (jc_accounting_summary), priced with $JOBCTL_HOME/config.yaml at the
 * time each attempt ended (docs/COSTS.md).
 */
#include "cli/cmd.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "jobctl/accounting.h"
#include "jobctl/err.h"
#include "jobctl/pricing.h"
#include "jobctl/store.h"

static const char *fmt_dur(double s, char *buf, size_t n)
{
    if (s < 60)
        snprintf(buf, n, "%.2fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    return buf;
}

static const char *fmt_kb(json_int_t kb, char *buf, size_t n)
{
    if (kb < 1024)
        snprintf(buf, n, "%lld KiB", (long long)kb);
    else if (kb < 1024 * 1024)
        snprintf(buf, n, "%.1f MiB", (double)kb / 1024.0);
    else
        snprintf(buf, n, "%.2f GiB", (double)kb / (1024.0 * 1024.0));
    return buf;
}

static void print_row(const char *key, json_t *o, const char *currency)
{
    char w[32], c[32], m[32];

    printf("%-28s %8lld %6lld %6lld %10s %10s %10s %12.6f %s\n", key,
           (long long)json_integer_value(json_object_get(o, "attempts")),
           (long long)json_integer_value(json_object_get(o, "failed")),
           (long long)json_integer_value(json_object_get(o, "remote")),
           fmt_dur(json_real_value(json_object_get(o, "wall_seconds")), w,
                   sizeof(w)),
           fmt_dur(json_real_value(json_object_get(o, "cpu_seconds")), c,
                   sizeof(c)),
           fmt_kb(json_integer_value(json_object_get(o, "max_rss_kb")), m,
                  sizeof(m)),
           json_real_value(json_object_get(o, "cost")), currency);
}

int cmd_costs(int argc, char **argv)
{
    struct jc_costs_query q = JC_COSTS_QUERY_INIT;
    struct jc_store *store = NULL;
    struct jc_pricing p;
    json_t *res = NULL;
    bool json = false;
    int a, rc = 2;

    jc_pricing_defaults(&p);
    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char *val = NULL;

#define OPT(name)                                                              \
    ((!strcmp(arg, name) && a + 1 < argc && (val = argv[++a])) ||              \
     (!strncmp(arg, name "=", strlen(name) + 1) &&                             \
      (val = arg + strlen(name) + 1)))
        if (OPT("--job")) {
            q.job = val;
        } else if (OPT("--since")) {
            struct timespec ts;

            clock_gettime(CLOCK_REALTIME, &ts);
            if (jc_accounting_parse_since(val,
                                          (int64_t)ts.tv_sec * 1000 +
                                              ts.tv_nsec / 1000000,
                                          &q.since_ms) < 0) {
                fprintf(stderr, "jobctl: costs: %s\n", jc_err_last());
                goto out;
            }
        } else if (OPT("--by")) {
            if (strcmp(val, "task") && strcmp(val, "job") &&
                strcmp(val, "day")) {
                fprintf(stderr,
                        "jobctl: costs: bad --by '%s': use task, job or day\n",
                        val);
                goto out;
            }
            q.by = val;
        } else if (!strcmp(arg, "--json")) {
            json = true;
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            rc = jc_cli_usage("costs");
            goto out;
        } else {
            fprintf(stderr, "jobctl: costs: unknown argument '%s'\n", arg);
            rc = jc_cli_usage("costs");
            goto out;
        }
#undef OPT
    }
    rc = 1;
    if (jc_store_open_nosettle(&store, NULL) < 0) {
        fprintf(stderr, "jobctl: %s\n", jc_err_last());
        goto out;
    }
    jc_pricing_release(&p);
    if (jc_pricing_load(&p, jc_store_home_dir(store)) < 0) {
        fprintf(stderr, "jobctl: warning: %s (using default prices)\n",
                jc_err_last());
    }
    if (jc_accounting_summary(store, &q, &res) < 0) {
        fprintf(stderr, "jobctl: costs: %s\n", jc_err_last());
        goto out;
    }
    json_object_set_new(res, "currency", json_string(p.currency));
    if (json) {
        char *s = json_dumps(res, JSON_INDENT(2) | JSON_REAL_PRECISION(10));

        puts(s);
        free(s);
    } else {
        json_t *rows = json_object_get(res, "rows");
        json_t *o;
        size_t i;

        printf("%-28s %8s %6s %6s %10s %10s %10s %12s\n",
               !strcmp(q.by, "day")   ? "DAY (UTC)"
               : !strcmp(q.by, "job") ? "JOB"
                                      : "TASK",
               "ATTEMPTS", "FAILED", "REMOTE", "WALL", "CPU", "MAX RSS",
               "COST");
        json_array_foreach(rows, i, o)
        {
            const char *job = json_string_value(json_object_get(o, "job"));
            const char *key = json_string_value(json_object_get(o, "key"));
            char name[256];

            /* by task: "job/task", since task keys repeat across jobs */
            if (job && *job)
                snprintf(name, sizeof(name), "%s/%s", job, key);
            else
                snprintf(name, sizeof(name), "%s", key);
            print_row(name, o, p.currency);
        }
        print_row("TOTAL", json_object_get(res, "total"), p.currency);
    }
    rc = 0;
out:
    json_decref(res);
    jc_pricing_release(&p);
    jc_store_close(store);
    return rc;
}
