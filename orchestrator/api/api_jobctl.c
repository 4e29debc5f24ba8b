/*
 * api_jobctl.c: small JSON endpoints the status page needs beyond the
 * Jobs API, under /api/jobctl/: logs (tail from an offset), values (task
 * values of a run), events, tables (Delta tables under $JOBCTL_HOME/lake
 * with versions and history read from their _delta_log commits) and
 * scores (anomaly score histogram from the gold table's stats).
 */
#include "api/api_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/store.h"
#include "util/mem.h"

#define LOG_CHUNK (64 * 1024)
#define MAX_TABLES 256
#define HISTORY_MAX 20

/* Text as a JSON string with invalid UTF-8 bytes replaced by '?'. */
static json_t *json_text(char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    size_t i;

    if (j)
        return j;
    for (i = 0; i < n; i++)
        if ((unsigned char)s[i] >= 0x80 || s[i] == '\0')
            s[i] = '?';
    return json_stringn(s, n);
}

static void logs(struct api_ctx *c)
{
    int64_t run_id = 0;
    int64_t attempt = -1;
    int64_t offset = -1;
    char *task;
    struct jc_task_run_row *rows = NULL;
    size_t n = 0;
    size_t i;
    const char *path = NULL;
    int fd;
    struct stat sb;
    char *buf;
    ssize_t got;
    json_t *out;

    if (!api_method(c, "GET") || api_query_int64(c, "run_id", &run_id) < 0 ||
        api_query_int64(c, "attempt", &attempt) < 0 ||
        api_query_int64(c, "offset", &offset) < 0)
        return;
    task = jc_http_query_get(c->req, "task_key");
    if (!run_id || !task) {
        free(task);
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "run_id and task_key are required");
        return;
    }
    jc_store_task_run_list(c->api->store, run_id, &rows, &n);
    for (i = 0; i < n; i++)
        if (!strcmp(rows[i].task_key, task) &&
            (attempt < 0 || rows[i].attempt_number == attempt) &&
            rows[i].log_path)
            path = rows[i].log_path;
    if (!path) {
        api_error(c->resp, 404, "RESOURCE_DOES_NOT_EXIST",
                  "no log for task '%s' of run %lld", task,
                  (long long)run_id);
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &sb)) {
        if (fd >= 0)
            close(fd);
        api_json(c->resp, 200, json_pack("{s:s, s:I, s:I}", "data", "",
                                         "offset", (json_int_t)0, "size",
                                         (json_int_t)0));
        goto out;
    }
    /* default: the last chunk; else from offset */
    if (offset < 0 || offset > sb.st_size)
        offset = sb.st_size > LOG_CHUNK ? sb.st_size - LOG_CHUNK : 0;
    buf = ju_xmalloc(LOG_CHUNK + 1);
    got = pread(fd, buf, LOG_CHUNK, offset);
    close(fd);
    if (got < 0)
        got = 0;
    out = json_pack("{s:o, s:I, s:I}", "data", json_text(buf, (size_t)got),
                    "offset", (json_int_t)(offset + got), "size",
                    (json_int_t)sb.st_size);
    free(buf);
    api_json(c->resp, 200, out);
out:
    jc_task_run_rows_free(rows, n);
    free(task);
}

static void values(struct api_ctx *c)
{
    int64_t run_id = 0;
    struct jc_task_value *vals = NULL;
    size_t n = 0;
    size_t i;
    json_t *arr;

    if (!api_method(c, "GET") || api_query_int64(c, "run_id", &run_id) < 0)
        return;
    arr = json_array();
    if (!jc_store_task_value_list(c->api->store, run_id, &vals, &n))
        for (i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:s, s:s, s:o, s:i}", "task_key",
                               vals[i].task_key, "key", vals[i].key, "value",
                               json_text(vals[i].value, strlen(vals[i].value)),
                               "attempt", vals[i].attempt));
    jc_task_values_free(vals, n);
    api_json(c->resp, 200, json_pack("{s:o}", "values", arr));
}

static void events(struct api_ctx *c)
{
    int64_t run_id = 0;
    int64_t after = 0;
    struct jc_event_row *rows = NULL;
    size_t n = 0;
    size_t i;
    json_t *arr;

    if (!api_method(c, "GET") || api_query_int64(c, "run_id", &run_id) < 0 ||
        api_query_int64(c, "after", &after) < 0)
        return;
    arr = json_array();
    if (!jc_store_event_list(c->api->store, run_id, after, 500, &rows, &n))
        for (i = 0; i < n; i++)
            json_array_append_new(
                arr, json_pack("{s:I, s:I, s:I, s:s?, s:s, s:s}", "id",
                               (json_int_t)rows[i].event_id, "ts",
                               (json_int_t)rows[i].ts_ms, "run_id",
                               (json_int_t)rows[i].run_id, "task_key",
                               rows[i].task_key, "type", rows[i].type,
                               "message",
                               rows[i].message ? rows[i].message : ""));
    jc_event_rows_free(rows, n);
    api_json(c->resp, 200, json_pack("{s:o}", "events", arr));
}

static bool is_commit_name(const char *s, int64_t *version)
{
    size_t i;
    char *end;

    if (strlen(s) != 25 || strcmp(s + 20, ".json"))
        return false;
    for (i = 0; i < 20; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    *version = strtoll(s, &end, 10);
    return true;
}

/* Read one commit file: commitInfo + add/remove record counts. */
static json_t *commit_summary(const char *path, int64_t version,
                              int64_t *rows_delta)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    json_t *out = json_pack("{s:I}", "version", (json_int_t)version);
    int64_t added = 0;
    int64_t removed = 0;

    *rows_delta = 0;
    if (!f)
        return out;
    while ((len = getline(&line, &cap, f)) > 0) {
        json_t *j = json_loadb(line, (size_t)len, 0, NULL);
        json_t *ci;
        json_t *add;
        json_t *rm;

        if (!j)
            continue;
        if ((ci = json_object_get(j, "commitInfo"))) {
            json_object_set(out, "operation",
                            json_object_get(ci, "operation"));
            json_object_set(out, "timestamp",
                            json_object_get(ci, "timestamp"));
            json_object_set(out, "operationMetrics",
                            json_object_get(ci, "operationMetrics"));
        }
        if ((add = json_object_get(j, "add"))) {
            const char *st = json_string_value(json_object_get(add, "stats"));
            json_t *sj = st ? json_loads(st, 0, NULL) : NULL;

            added += json_integer_value(json_object_get(sj, "numRecords"));
            json_decref(sj);
        }
        if ((rm = json_object_get(j, "remove"))) {
            const char *st = json_string_value(json_object_get(rm, "stats"));
            json_t *sj = st ? json_loads(st, 0, NULL) : NULL;

            removed += json_integer_value(json_object_get(sj, "numRecords"));
            json_decref(sj);
        }
        json_decref(j);
    }
    free(line);
    fclose(f);
    json_object_set_new(out, "rows_added", json_integer(added));
    *rows_delta = added - removed;
    return out;
}

static json_t *table_info(const char *name, const char *dir, bool history)
{
    char logdir[4096];
    DIR *dh;
    struct dirent *de;
    int64_t maxv = -1;
    int64_t ncommits = 0;
    json_t *t;

    snprintf(logdir, sizeof(logdir), "%s/_delta_log", dir);
    dh = opendir(logdir);
    if (!dh)
        return NULL;
    while ((de = readdir(dh))) {
        int64_t v;

        if (is_commit_name(de->d_name, &v)) {
            ncommits++;
            if (v > maxv)
                maxv = v;
        }
    }
    closedir(dh);
    t = json_pack("{s:s, s:I}", "name", name, "version", (json_int_t)maxv);
    if (history) {
        json_t *h = json_array();
        int64_t v;
        int64_t rows = 0;
        bool exact = ncommits == maxv + 1;

        /* row count by replaying the JSON commits (exact only when every
         * commit is still present; else the newest commits are shown) */
        for (v = 0; v <= maxv; v++) {
            char p[4200];
            int64_t delta;
            json_t *cs;

            snprintf(p, sizeof(p), "%s/%020lld.json", logdir, (long long)v);
            if (!exact && maxv - v >= HISTORY_MAX)
                continue;
            cs = commit_summary(p, v, &delta);
            rows += delta;
            if (maxv - v < HISTORY_MAX)
                json_array_insert_new(h, 0, cs);
            else
                json_decref(cs);
        }
        json_object_set_new(t, "history", h);
        if (exact)
            json_object_set_new(t, "rows", json_integer(rows));
    }
    return t;
}

static void tables(struct api_ctx *c)
{
    char lake[4096];
    char *name = jc_http_query_get(c->req, "name");
    DIR *dh;
    struct dirent *de;
    json_t *arr = json_array();
    size_t count = 0;

    if (!api_method(c, "GET")) {
        free(name);
        json_decref(arr);
        return;
    }
    snprintf(lake, sizeof(lake), "%s/lake", c->api->home);
    dh = opendir(lake);
    while (dh && (de = readdir(dh)) && count < MAX_TABLES) {
        char dir[4200];
        json_t *t;

        if (de->d_name[0] == '.')
            continue;
        if (name && strcmp(name, de->d_name))
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", lake, de->d_name);
        t = table_info(de->d_name, dir, true);
        if (t) {
            json_array_append_new(arr, t);
            count++;
        }
    }
    if (dh)
        closedir(dh);
    free(name);
    api_json(c->resp, 200, json_pack("{s:o}", "tables", arr));
}

void api_jobctl_dispatch(struct api_ctx *c, const char *what)
{
    if (!strcmp(what, "logs"))
        logs(c);
    else if (!strcmp(what, "values"))
        values(c);
    else if (!strcmp(what, "events"))
        events(c);
    else if (!strcmp(what, "tables"))
        tables(c);
    else if (!strcmp(what, "scores"))
        api_scores(c);
    else
        api_error(c->resp, 404, "ENDPOINT_NOT_FOUND",
                  "no API found for '%s %s'", c->req->method, c->req->path);
}
