/*
 * daemon_client.c: the CLI through a running `jobctl serve`. When the
 * daemon at JOBCTL_URL (default http://127.0.0.1:8080) answers /healthz,
 * run/runs/show/logs/cancel/repair go through its REST API; otherwise the
 * caller continues in embedded mode. `run --wait` follows the run and
 * exits with its result; `--junit FILE` writes JUnit XML.
 */
#include "cli/daemon_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/client.h"
#include "jobctl/err.h"
#include "jobctl/spec.h"
#include "util/buf.h"
#include "util/mem.h"

#define DEFAULT_URL "http://127.0.0.1:8080"

static int fail(const char *what)
{
    fprintf(stderr, "jobctl: %s: %s\n", what, jc_err_last());
    return 1;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || !*s || *end)
        return false;
    *out = v;
    return true;
}

static const char *state_str(json_t *run, const char *field)
{
    const char *s = json_string_value(
        json_object_get(json_object_get(run, "state"), field));

    return s ? s : "";
}

static void fmt_time(int64_t ms, char *buf, size_t n)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    if (!ms) {
        snprintf(buf, n, "-");
        return;
    }
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fmt_dur(int64_t ms, char *buf, size_t n)
{
    if (ms < 1000)
        snprintf(buf, n, "%lldms", (long long)(ms < 0 ? 0 : ms));
    else
        snprintf(buf, n, "%.1fs", (double)ms / 1000.0);
}

static void print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2));

    if (s)
        printf("%s\n", s);
    free(s);
}

/* Latest attempt of each task, in the order tasks first appear. */
static json_t *latest_attempts(json_t *run)
{
    json_t *out = json_array();
    size_t i;
    size_t k;
    json_t *t;

    json_array_foreach(json_object_get(run, "tasks"), i, t) {
        const char *key = json_string_value(json_object_get(t, "task_key"));
        bool replaced = false;
        json_t *o;

        json_array_foreach(out, k, o) {
            const char *ok = json_string_value(json_object_get(o, "task_key"));

            if (key && ok && !strcmp(key, ok)) {
                json_array_set(out, k, t);
                replaced = true;
                break;
            }
        }
        if (!replaced)
            json_array_append(out, t);
    }
    return out;
}

static void print_run(json_t *run)
{
    json_t *tasks = latest_attempts(run);
    size_t i;
    json_t *t;
    char st[32];
    char du[32];

    fmt_time(json_integer_value(json_object_get(run, "start_time")), st,
             sizeof(st));
    fmt_dur(json_integer_value(json_object_get(run, "run_duration")), du,
            sizeof(du));
    printf("run %lld  job %lld  %s  %s %s  started %s  %s\n",
           (long long)json_integer_value(json_object_get(run, "run_id")),
           (long long)json_integer_value(json_object_get(run, "job_id")),
           json_string_value(json_object_get(run, "run_name"))
               ? json_string_value(json_object_get(run, "run_name")) : "",
           state_str(run, "life_cycle_state"), state_str(run, "result_state"),
           st, du);
    json_array_foreach(tasks, i, t) {
        int64_t s = json_integer_value(json_object_get(t, "start_time"));
        int64_t e = json_integer_value(json_object_get(t, "end_time"));

        fmt_dur(s && e ? e - s : 0, du, sizeof(du));
        printf("  %-24s attempt %lld  %-11s %-16s %8s\n",
               json_string_value(json_object_get(t, "task_key")),
               (long long)json_integer_value(
                   json_object_get(t, "attempt_number")),
               state_str(t, "life_cycle_state"), state_str(t, "result_state"),
               du);
    }
    json_decref(tasks);
}

static void xml_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                fputc(*s, f);
        }
    }
}

static int write_junit(const char *path, json_t *run)
{
    json_t *tasks = latest_attempts(run);
    FILE *f = fopen(path, "w");
    size_t i;
    json_t *t;
    size_t failures = 0;
    size_t skipped = 0;

    if (!f) {
        json_decref(tasks);
        return jc_err_set(JC_EIO, "cannot write '%s': %s", path,
                          strerror(errno));
    }
    json_array_foreach(tasks, i, t) {
        const char *r = state_str(t, "result_state");

        if (!strcmp(r, "EXCLUDED") || !strncmp(r, "UPSTREAM_", 9) || !*r)
            skipped++;
        else if (strcmp(r, "SUCCESS"))
            failures++;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites>\n<testsuite name=\"");
    xml_escape(f, json_string_value(json_object_get(run, "run_name")));
    fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\" "
               "time=\"%.3f\">\n",
            json_array_size(tasks), failures, skipped,
            (double)json_integer_value(json_object_get(run, "run_duration")) /
                1000.0);
    json_array_foreach(tasks, i, t) {
        const char *r = state_str(t, "result_state");
        int64_t s = json_integer_value(json_object_get(t, "start_time"));
        int64_t e = json_integer_value(json_object_get(t, "end_time"));

        fprintf(f, "  <testcase classname=\"");
        xml_escape(f, json_string_value(json_object_get(run, "run_name")));
        fprintf(f, "\" name=\"");
        xml_escape(f, json_string_value(json_object_get(t, "task_key")));
        fprintf(f, "\" time=\"%.3f\">",
                s && e ? (double)(e - s) / 1000.0 : 0.0);
        if (!strcmp(r, "EXCLUDED") || !strncmp(r, "UPSTREAM_", 9) || !*r) {
            fprintf(f, "<skipped message=\"");
            xml_escape(f, *r ? r : "not run");
            fprintf(f, "\"/>");
        } else if (strcmp(r, "SUCCESS")) {
            fprintf(f, "<failure message=\"");
            xml_escape(f, r);
            fprintf(f, "\">");
            xml_escape(f, state_str(t, "state_message"));
            fprintf(f, "</failure>");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "</testsuite>\n</testsuites>\n");
    json_decref(tasks);
    if (fclose(f))
        return jc_err_set(JC_EIO, "cannot write '%s'", path);
    return 0;
}

/* Find the job by name on the daemon; create or reset it to the file. */
static int sync_job(struct jc_client *c, const char *file, int64_t *job_id)
{
    struct jc_job *job = NULL;
    struct jc_diags d = JC_DIAGS_INIT;
    json_t *res = NULL;
    json_t *jobs;
    char *path;
    char *enc;
    int rc;

    rc = jc_spec_load_file(&job, file, NULL, &d);
    if (rc) {
        size_t i;

        for (i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.items[i].msg);
        jc_diags_release(&d);
        return rc;
    }
    jc_diags_release(&d);
    /* name lookup: percent-encode the name for the query */
    {
        struct ju_buf b = JU_BUF_INIT;
        const unsigned char *p = (const unsigned char *)(job->name ? job->name
                                                                   : "");

        for (; *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
                *p == '.')
                ju_buf_addc(&b, (char)*p);
            else
                ju_buf_addf(&b, "%%%02X", *p);
        }
        enc = ju_buf_detach(&b, NULL);
    }
    path = ju_xasprintf("/api/2.1/jobs/list?limit=100&name=%s", enc);
    free(enc);
    rc = jc_client_api(c, "GET", path, NULL, &res);
    free(path);
    if (rc)
        goto out;
    jobs = json_object_get(res, "jobs");
    if (json_array_size(jobs)) {
        json_t *body;

        *job_id = json_integer_value(
            json_object_get(json_array_get(jobs, 0), "job_id"));
        json_decref(res);
        body = json_pack("{s:I, s:O}", "job_id", (json_int_t)*job_id,
                         "new_settings", job->settings);
        rc = jc_client_api(c, "POST", "/api/2.1/jobs/reset", body, &res);
        json_decref(body);
    } else {
        json_decref(res);
        rc = jc_client_api(c, "POST", "/api/2.1/jobs/create", job->settings,
                           &res);
        if (!rc)
            *job_id = json_integer_value(json_object_get(res, "job_id"));
    }
    json_decref(res);
out:
    jc_job_free(job);
    return rc;
}

static int cli_run(struct jc_client *c, int argc, char **argv, int *exit_code)
{
    const char *file = NULL;
    const char *junit = NULL;
    bool wait = false;
    bool as_json = false;
    json_t *params = json_object();
    json_t *body;
    json_t *res = NULL;
    int64_t job_id = 0;
    int64_t run_id;
    int i;
    int rc;
    char last_state[64] = "";
    unsigned delay_ms = 200;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--wait")) {
            wait = true;
        } else if (!strcmp(argv[i], "--json")) {
            as_json = true;
        } else if (!strcmp(argv[i], "--junit") && i + 1 < argc) {
            junit = argv[++i];
            wait = true;
        } else if (!strcmp(argv[i], "--param") && i + 1 < argc) {
            char *kv = argv[++i];
            char *eq = strchr(kv, '=');

            if (!eq) {
                json_decref(params);
                return 0; /* let embedded mode print the usage error */
            }
            *eq = '\0';
            json_object_set_new(params, kv, json_string(eq + 1));
            *eq = '=';
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            /* --only, --workspace, --remote, --parallel: embedded mode */
            json_decref(params);
            return 0;
        }
    }
    if (!file) {
        json_decref(params);
        return 0;
    }
    rc = sync_job(c, file, &job_id);
    if (rc) {
        json_decref(params);
        *exit_code = rc == JC_EPARSE || rc == JC_EINVAL ? 2 : 1;
        if (*jc_err_last())
            fail("run");
        return 1;
    }
    body = json_pack("{s:I, s:o}", "job_id", (json_int_t)job_id,
                     "job_parameters", params);
    rc = jc_client_api(c, "POST", "/api/2.1/jobs/run-now", body, &res);
    json_decref(body);
    if (rc) {
        *exit_code = fail("run");
        return 1;
    }
    run_id = json_integer_value(json_object_get(res, "run_id"));
    json_decref(res);
    if (!wait) {
        if (as_json)
            printf("{\"run_id\": %lld, \"job_id\": %lld}\n",
                   (long long)run_id, (long long)job_id);
        else
            printf("run %lld started on %s (job %lld)\n", (long long)run_id,
                   jc_client_base_url(c), (long long)job_id);
        *exit_code = 0;
        return 1;
    }
    if (!as_json)
        fprintf(stderr, "run %lld started on %s; waiting\n", (long long)run_id,
                jc_client_base_url(c));
    for (;;) {
        char *path = ju_xasprintf("/api/2.1/jobs/runs/get?run_id=%lld",
                                  (long long)run_id);
        const char *life;

        rc = jc_client_api(c, "GET", path, NULL, &res);
        free(path);
        if (rc) {
            *exit_code = fail("run");
            return 1;
        }
        life = state_str(res, "life_cycle_state");
        if (!as_json && strcmp(life, last_state)) {
            fprintf(stderr, "run %lld: %s\n", (long long)run_id, life);
            snprintf(last_state, sizeof(last_state), "%s", life);
        }
        if (!strcmp(life, "TERMINATED") || !strcmp(life, "SKIPPED") ||
            !strcmp(life, "INTERNAL_ERROR"))
            break;
        json_decref(res);
        usleep(delay_ms * 1000);
        if (delay_ms < 2000)
            delay_ms += delay_ms / 2;
    }
    if (as_json)
        print_json(res);
    else
        print_run(res);
    *exit_code = strcmp(state_str(res, "result_state"), "SUCCESS") ? 1 : 0;
    if (junit && write_junit(junit, res))
        *exit_code = fail("run");
    json_decref(res);
    return 1;
}

static int cli_runs(struct jc_client *c, int argc, char **argv,
                    int *exit_code)
{
    int64_t limit = 20;
    const char *job = NULL;
    bool as_json = false;
    json_t *res = NULL;
    struct ju_buf q = JU_BUF_INIT;
    size_t i;
    json_t *r;
    int k;

    for (k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--json"))
            as_json = true;
        else if (!strcmp(argv[k], "--limit") && k + 1 < argc &&
                 parse_i64(argv[k + 1], &limit))
            k++;
        else if (!strcmp(argv[k], "--job") && k + 1 < argc)
            job = argv[++k];
        else
            return 0;
    }
    if (limit < 1)
        limit = 1;
    if (limit > 25)
        limit = 25;
    ju_buf_addf(&q, "/api/2.1/jobs/runs/list?limit=%lld", (long long)limit);
    if (job) {
        int64_t id;

        if (!parse_i64(job, &id)) {
            ju_buf_release(&q);
            return 0; /* by name: embedded mode knows names */
        }
        ju_buf_addf(&q, "&job_id=%lld", (long long)id);
    }
    if (jc_client_api(c, "GET", ju_buf_str(&q), NULL, &res)) {
        ju_buf_release(&q);
        *exit_code = fail("runs");
        return 1;
    }
    ju_buf_release(&q);
    if (as_json) {
        print_json(json_object_get(res, "runs") ? json_object_get(res, "runs")
                                                : json_array());
    } else {
        printf("%-8s %-8s %-28s %-12s %-16s %-20s %s\n", "RUN", "JOB", "NAME",
               "STATE", "RESULT", "STARTED", "DURATION");
        json_array_foreach(json_object_get(res, "runs"), i, r) {
            char st[32];

            char du[32];

            fmt_time(json_integer_value(json_object_get(r, "start_time")), st,
                     sizeof(st));
            fmt_dur(json_integer_value(json_object_get(r, "run_duration")), du,
                    sizeof(du));
            printf("%-8lld %-8lld %-28.28s %-12s %-16s %-20s %s\n",
                   (long long)json_integer_value(json_object_get(r, "run_id")),
                   (long long)json_integer_value(json_object_get(r, "job_id")),
                   json_string_value(json_object_get(r, "run_name")),
                   state_str(r, "life_cycle_state"),
                   state_str(r, "result_state"), st, du);
        }
    }
    json_decref(res);
    *exit_code = 0;
    return 1;
}

static int cli_show(struct jc_client *c, int argc, char **argv,
                    int *exit_code)
{
    int64_t run_id = 0;
    bool as_json = false;
    json_t *res;
    char *path;
    int k;

    for (k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--json"))
            as_json = true;
        else if (!run_id && parse_i64(argv[k], &run_id))
            ;
        else
            return 0;
    }
    if (!run_id)
        return 0;
    path = ju_xasprintf("/api/2.1/jobs/runs/get?run_id=%lld&include_history="
                        "true", (long long)run_id);
    if (jc_client_api(c, "GET", path, NULL, &res)) {
        free(path);
        *exit_code = fail("show");
        return 1;
    }
    free(path);
    if (as_json)
        print_json(res);
    else
        print_run(res);
    json_decref(res);
    *exit_code = 0;
    return 1;
}

static int print_log(struct jc_client *c, int64_t run_id, const char *task,
                     int64_t attempt)
{
    int64_t offset = 0;

    for (;;) {
        char *path = ju_xasprintf("/api/jobctl/logs?run_id=%lld&task_key=%s"
                                  "&offset=%lld%s%lld", (long long)run_id,
                                  task, (long long)offset,
                                  attempt >= 0 ? "&attempt=" : "&x=",
                                  (long long)attempt);
        json_t *res;
        const char *data;
        int64_t size;
        int64_t next;

        if (jc_client_api(c, "GET", path, NULL, &res)) {
            free(path);
            return -1;
        }
        free(path);
        data = json_string_value(json_object_get(res, "data"));
        size = json_integer_value(json_object_get(res, "size"));
        next = json_integer_value(json_object_get(res, "offset"));
        if (data)
            fputs(data, stdout);
        json_decref(res);
        if (next <= offset || next >= size)
            break;
        offset = next;
    }
    return 0;
}

static int cli_logs(struct jc_client *c, int argc, char **argv,
                    int *exit_code)
{
    int64_t run_id = 0;
    int64_t attempt = -1;
    const char *task = NULL;
    json_t *res;
    json_t *tasks;
    char *path;
    size_t i;
    json_t *t;
    int k;

    for (k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--attempt") && k + 1 < argc &&
            parse_i64(argv[k + 1], &attempt))
            k++;
        else if (!run_id && parse_i64(argv[k], &run_id))
            ;
        else if (!task && argv[k][0] != '-')
            task = argv[k];
        else
            return 0;
    }
    if (!run_id)
        return 0;
    if (task && strpbrk(task, "&#?% "))
        return 0;
    *exit_code = 0;
    if (task) {
        if (print_log(c, run_id, task, attempt))
            *exit_code = fail("logs");
        return 1;
    }
    path = ju_xasprintf("/api/2.1/jobs/runs/get?run_id=%lld",
                        (long long)run_id);
    if (jc_client_api(c, "GET", path, NULL, &res)) {
        free(path);
        *exit_code = fail("logs");
        return 1;
    }
    free(path);
    tasks = latest_attempts(res);
    json_array_foreach(tasks, i, t) {
        const char *key = json_string_value(json_object_get(t, "task_key"));

        if (!key || strpbrk(key, "&#?% ") ||
            !json_integer_value(json_object_get(t, "start_time")))
            continue;
        printf("==> %s (attempt %lld) <==\n", key,
               (long long)json_integer_value(
                   json_object_get(t, "attempt_number")));
        fflush(stdout);
        print_log(c, run_id, key, json_integer_value(
                                      json_object_get(t, "attempt_number")));
    }
    json_decref(tasks);
    json_decref(res);
    return 1;
}

static int cli_cancel(struct jc_client *c, int argc, char **argv,
                      int *exit_code)
{
    int64_t run_id;
    json_t *body;
    json_t *res;

    if (argc != 2 || !parse_i64(argv[1], &run_id))
        return 0;
    body = json_pack("{s:I}", "run_id", (json_int_t)run_id);
    if (jc_client_api(c, "POST", "/api/2.1/jobs/runs/cancel", body, &res)) {
        json_decref(body);
        *exit_code = fail("cancel");
        return 1;
    }
    json_decref(body);
    json_decref(res);
    printf("run %lld: cancel requested\n", (long long)run_id);
    *exit_code = 0;
    return 1;
}

static int cli_repair(struct jc_client *c, int argc, char **argv,
                      int *exit_code)
{
    int64_t run_id = 0;
    json_t *tasks = json_array();
    json_t *body;
    json_t *res;
    json_t *hist;
    json_t *e;
    char *path;
    int64_t latest = 0;
    size_t i;
    int k;

    for (k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--task") && k + 1 < argc)
            json_array_append_new(tasks, json_string(argv[++k]));
        else if (!run_id && parse_i64(argv[k], &run_id))
            ;
        else {
            json_decref(tasks);
            return 0;
        }
    }
    if (!run_id) {
        json_decref(tasks);
        return 0;
    }
    path = ju_xasprintf("/api/2.1/jobs/runs/get?run_id=%lld&include_history="
                        "true", (long long)run_id);
    if (jc_client_api(c, "GET", path, NULL, &res)) {
        free(path);
        json_decref(tasks);
        *exit_code = fail("repair");
        return 1;
    }
    free(path);
    hist = json_object_get(res, "repair_history");
    json_array_foreach(hist, i, e)
        if (json_is_integer(json_object_get(e, "id")))
            latest = json_integer_value(json_object_get(e, "id"));
    json_decref(res);
    body = json_pack("{s:I}", "run_id", (json_int_t)run_id);
    if (json_array_size(tasks))
        json_object_set(body, "rerun_tasks", tasks);
    else
        json_object_set_new(body, "rerun_all_failed_tasks", json_true());
    if (latest)
        json_object_set_new(body, "latest_repair_id", json_integer(latest));
    json_decref(tasks);
    if (jc_client_api(c, "POST", "/api/2.1/jobs/runs/repair", body, &res)) {
        json_decref(body);
        *exit_code = fail("repair");
        return 1;
    }
    json_decref(body);
    printf("run %lld: repair %lld started\n", (long long)run_id,
           (long long)json_integer_value(json_object_get(res, "repair_id")));
    json_decref(res);
    *exit_code = 0;
    return 1;
}

int jc_cli_daemon_dispatch(const char *cmd, int argc, char **argv,
                           int *exit_code)
{
    const char *url = getenv("JOBCTL_URL");
    const char *off = getenv("JOBCTL_NO_DAEMON");
    struct jc_client *c = NULL;
    int handled = 0;

    if (off && *off && strcmp(off, "0"))
        return 0;
    if (!url || !*url)
        url = DEFAULT_URL;
    if (jc_client_new(&c, url, getenv("JOBCTL_TOKEN")))
        return 0;
    if (!jc_client_ping(c, 500)) {
        jc_client_free(c);
        return 0;
    }
    *exit_code = 0;
    if (!strcmp(cmd, "run"))
        handled = cli_run(c, argc, argv, exit_code);
    else if (!strcmp(cmd, "runs"))
        handled = cli_runs(c, argc, argv, exit_code);
    else if (!strcmp(cmd, "show"))
        handled = cli_show(c, argc, argv, exit_code);
    else if (!strcmp(cmd, "logs"))
        handled = cli_logs(c, argc, argv, exit_code);
    else if (!strcmp(cmd, "cancel"))
        handled = cli_cancel(c, argc, argv, exit_code);
    else if (!strcmp(cmd, "repair"))
        handled = cli_repair(c, argc, argv, exit_code);
    jc_client_free(c);
    fflush(stdout);
    return handled;
}
