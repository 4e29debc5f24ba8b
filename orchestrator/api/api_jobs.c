/*
 * api_jobs.c: jobs/list, get, create, reset, update, delete and run-now
 * with Databricks request/response shapes. Settings are validated with
 * the core loader before they are stored.
 */
#include "api/api_int.h"

#include <sqlite3.h>
#include <string.h>
#include <strings.h>

#include "jobctl/err.h"
#include "jobctl/spec.h"
#include "jobctl/store.h"
#include "util/mem.h"

/* The job JSON; *hash (may be NULL) gets a fingerprint of the stored
 * settings text (API 2.2 paging: a job changed between pages). */
/*
 * The settings of the job read last through 2.2 jobs/get, parsed: the
 * pages of a big job then cost one parse, not one per page. Keyed by the
 * hash of the stored text, so a changed job is parsed again. Process-wide
 * (one loop thread); callers get a shallow copy.
 */
static struct {
    int64_t job_id;
    int64_t hash;
    json_t *settings;
} parsed;

static json_t *job_json(struct jc_api *api, int64_t job_id, int64_t *hash)
{
    struct jc_job_row row;
    json_t *settings = NULL;
    json_t *j;
    int64_t h = 0;

    if (jc_store_job_get(api->store, job_id, &row))
        return NULL;
    if (hash) {
        h = api_page_hash(row.settings_json ? row.settings_json : "");
        *hash = h;
        if (parsed.settings && parsed.job_id == job_id && parsed.hash == h)
            settings = json_copy(parsed.settings);
    }
    if (!settings) {
        settings = json_loads(row.settings_json ? row.settings_json : "{}",
                              0, NULL);
        if (!json_is_object(settings)) {
            json_decref(settings);
            settings = json_object();
        }
        if (hash) {
            json_decref(parsed.settings);
            parsed.settings = json_copy(settings);
            parsed.job_id = job_id;
            parsed.hash = h;
        }
    }
    j = json_pack("{s:I, s:s, s:I, s:o}", "job_id", (json_int_t)row.job_id,
                  "creator_user_name", "jobctl", "created_time",
                  (json_int_t)row.created_ms, "settings", settings);
    if (row.source_path)
        json_object_set_new(j, "x-jobctl-source", json_string(row.source_path));
    jc_job_row_release(&row);
    return j;
}

json_t *api_job_json(struct jc_api *api, int64_t job_id)
{
    return job_json(api, job_id, NULL);
}

static void not_exist(struct api_ctx *c, int64_t job_id)
{
    api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
              "Job %lld does not exist.", (long long)job_id);
}

static int require_job_id(struct api_ctx *c, json_t *body, int64_t *job_id)
{
    int r = api_json_int64(c, body, "job_id", job_id);

    if (r < 0)
        return -1;
    if (r == 0) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Missing required field: job_id");
        return -1;
    }
    return 0;
}

/* Validate settings with the core loader; responds 400 on problems. */
static int check_settings(struct api_ctx *c, json_t *settings)
{
    struct jc_job *job = NULL;
    struct jc_diags d = JC_DIAGS_INIT;
    int rc;

    rc = jc_spec_from_settings(&job, settings, &d);
    if (!rc)
        jc_spec_validate(job, &d);
    if (rc || d.n) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE", "%s",
                  d.n ? d.items[0].msg : jc_err_last());
        jc_diags_release(&d);
        jc_job_free(job);
        return -1;
    }
    jc_job_free(job);
    return 0;
}

static const char *settings_name(json_t *settings)
{
    const char *n = json_string_value(json_object_get(settings, "name"));

    return n ? n : "Untitled";
}

/* Next job id, never reusing a deleted one. */
static int64_t next_job_id(struct jc_api *api)
{
    sqlite3 *db = jc_store_db(api->store);
    sqlite3_stmt *st = NULL;
    int64_t id = 0;

    if (sqlite3_prepare_v2(db,
                           "SELECT max(coalesce((SELECT seq FROM "
                           "sqlite_sequence WHERE name = 'jobs'), 0), "
                           "coalesce((SELECT max(job_id) FROM jobs), 0))",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return id + 1;
}

static int store_settings(struct api_ctx *c, int64_t *job_id,
                          json_t *settings, const char *source)
{
    char *s = json_dumps(settings, JSON_COMPACT);
    int rc = jc_store_job_put(c->api->store, job_id, settings_name(settings),
                              s, source);

    free(s);
    if (rc)
        api_error_rc(c->resp, rc);
    else if (c->api->be.job_changed)
        c->api->be.job_changed(c->api->be.ud, *job_id);
    return rc;
}

static void jobs_create(struct api_ctx *c)
{
    json_t *body;
    int64_t job_id;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    json_object_del(body, "access_control_list");
    if (c->is_22 && !json_object_get(body, "queue"))
        json_object_set_new(body, "queue", json_pack("{s:b}", "enabled", 1));
    if (!json_object_get(body, "name"))
        json_object_set_new(body, "name", json_string("Untitled"));
    if (check_settings(c, body)) {
        json_decref(body);
        return;
    }
    job_id = next_job_id(c->api);
    if (!store_settings(c, &job_id, body, NULL))
        api_json(c->resp, 200, json_pack("{s:I}", "job_id",
                                         (json_int_t)job_id));
    json_decref(body);
}

static json_t *stored_settings(struct api_ctx *c, int64_t job_id,
                               char **source)
{
    struct jc_job_row row;
    json_t *s;

    if (jc_store_job_get(c->api->store, job_id, &row)) {
        not_exist(c, job_id);
        return NULL;
    }
    s = json_loads(row.settings_json ? row.settings_json : "{}", 0, NULL);
    if (!json_is_object(s)) {
        json_decref(s);
        s = json_object();
    }
    *source = row.source_path ? ju_xstrdup(row.source_path) : NULL;
    jc_job_row_release(&row);
    return s;
}

static void jobs_reset(struct api_ctx *c)
{
    json_t *body;
    json_t *ns;
    json_t *old;
    char *source = NULL;
    int64_t job_id;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (require_job_id(c, body, &job_id))
        goto out;
    ns = json_object_get(body, "new_settings");
    if (!json_is_object(ns)) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Missing required field: new_settings");
        goto out;
    }
    if (!(old = stored_settings(c, job_id, &source)))
        goto out;
    json_decref(old);
    if (!json_object_get(ns, "name"))
        json_object_set_new(ns, "name", json_string("Untitled"));
    if (!check_settings(c, ns) && !store_settings(c, &job_id, ns, source))
        api_json(c->resp, 200, json_object());
out:
    free(source);
    json_decref(body);
}

/* Merge arrays of objects keyed by key: replace same key, append new. */
static void merge_keyed(json_t *dst, json_t *src, const char *key)
{
    size_t i;
    size_t k;
    json_t *s;
    json_t *d;

    json_array_foreach(src, i, s) {
        const char *sk = json_string_value(json_object_get(s, key));
        bool done = false;

        if (sk) {
            json_array_foreach(dst, k, d) {
                const char *dk = json_string_value(json_object_get(d, key));

                if (dk && !strcmp(dk, sk)) {
                    json_array_set(dst, k, s);
                    done = true;
                    break;
                }
            }
        }
        if (!done)
            json_array_append(dst, s);
    }
}

static void remove_keyed(json_t *arr, const char *key, const char *val)
{
    size_t k;
    json_t *d;

    json_array_foreach(arr, k, d) {
        const char *dk = json_string_value(json_object_get(d, key));

        if (dk && !strcmp(dk, val)) {
            json_array_remove(arr, k);
            return;
        }
    }
}

static void jobs_update(struct api_ctx *c)
{
    json_t *body;
    json_t *ns;
    json_t *rm;
    json_t *cur = NULL;
    char *source = NULL;
    int64_t job_id;
    const char *k;
    json_t *v;
    size_t i;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (require_job_id(c, body, &job_id))
        goto out;
    if (!(cur = stored_settings(c, job_id, &source)))
        goto out;
    ns = json_object_get(body, "new_settings");
    if (ns && !json_is_object(ns)) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "new_settings must be an object");
        goto out;
    }
    json_object_foreach(ns, k, v) {
        const char *key = !strcmp(k, "tasks") ? "task_key"
                          : !strcmp(k, "job_clusters") ? "job_cluster_key"
                          : NULL;
        json_t *dst = json_object_get(cur, k);

        if (key && json_is_array(v) && json_is_array(dst))
            merge_keyed(dst, v, key);
        else
            json_object_set(cur, k, v);
    }
    rm = json_object_get(body, "fields_to_remove");
    json_array_foreach(rm, i, v) {
        const char *f = json_string_value(v);

        if (!f)
            continue;
        if (!strncmp(f, "tasks/", 6))
            remove_keyed(json_object_get(cur, "tasks"), "task_key", f + 6);
        else if (!strncmp(f, "job_clusters/", 13))
            remove_keyed(json_object_get(cur, "job_clusters"),
                         "job_cluster_key", f + 13);
        else
            json_object_del(cur, f);
    }
    if (!check_settings(c, cur) && !store_settings(c, &job_id, cur, source))
        api_json(c->resp, 200, json_object());
out:
    json_decref(cur);
    free(source);
    json_decref(body);
}

static void jobs_delete(struct api_ctx *c)
{
    json_t *body;
    int64_t job_id;
    int rc;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (!require_job_id(c, body, &job_id)) {
        rc = jc_store_job_delete(c->api->store, job_id);
        if (rc == JC_ENOTFOUND)
            not_exist(c, job_id);
        else if (rc)
            api_error_rc(c->resp, rc);
        else {
            if (c->api->be.job_changed)
                c->api->be.job_changed(c->api->be.ud, job_id);
            api_json(c->resp, 200, json_object());
        }
    }
    json_decref(body);
}

/* Arrays of JobSettings that API 2.2 pages (jobs-api.md 1.1). */
static const char *const job_paged[] = {"tasks", "job_clusters", "parameters",
                                        "environments", NULL};

/*
 * jobs/get. Under /api/2.2 at most API_PAGE_SIZE elements of each big
 * settings array and a next_page_token; a page_token of a job that was
 * reset or updated since is refused (400) rather than mixing two versions.
 */
static void jobs_get(struct api_ctx *c)
{
    int64_t job_id = 0;
    int r;
    int paged = 0;
    json_t *j;
    json_t *settings;
    struct api_page pg;
    int64_t hash = 0;

    if (!api_method(c, "GET"))
        return;
    r = api_query_int64(c, "job_id", &job_id);
    if (r < 0)
        return;
    if (r == 0) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Missing required field: job_id");
        return;
    }
    if (c->is_22 && (paged = api_page_from_query(c, 'j', job_id, &pg)) < 0)
        return;
    j = job_json(c->api, job_id, &hash);
    if (!j) {
        not_exist(c, job_id);
        return;
    }
    if (c->is_22) {
        settings = json_object_get(j, "settings");
        if (!paged) {
            pg.snap = hash;
        } else if (pg.snap != hash) {
            json_decref(j);
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "Invalid page_token: job %lld was changed after the "
                      "first page was read; read it again without "
                      "page_token",
                      (long long)job_id);
            return;
        }
        api_page_apply(j, settings, job_paged, &pg, !paged);
    }
    api_json(c->resp, 200, j);
}

static void jobs_list(struct api_ctx *c)
{
    struct jc_job_row *rows = NULL;
    size_t n = 0;
    size_t i;
    int64_t limit = 20;
    int64_t offset = 0;
    bool expand = false;
    char *name;
    char *tok;
    json_t *jobs;
    json_t *out;
    size_t matched = 0;
    int rc;

    if (!api_method(c, "GET"))
        return;
    if (api_query_int64(c, "limit", &limit) < 0 ||
        api_query_int64(c, "offset", &offset) < 0 ||
        api_query_bool(c, "expand_tasks", &expand) < 0)
        return;
    if (limit < 1 || limit > 100) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "Invalid limit %lld - it has to be between 1 and 100.",
                  (long long)limit);
        return;
    }
    tok = jc_http_query_get(c->req, "page_token");
    if (tok) {
        char *end;

        offset = strtoll(tok, &end, 10);
        if (*end || offset < 0) {
            free(tok);
            api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                      "invalid page_token");
            return;
        }
        free(tok);
    }
    if (offset < 0)
        offset = 0;
    rc = jc_store_job_list(c->api->store, &rows, &n);
    if (rc) {
        api_error_rc(c->resp, rc);
        return;
    }
    name = jc_http_query_get(c->req, "name");
    jobs = json_array();
    out = json_object();
    for (i = 0; i < n; i++) {
        json_t *j;

        if (name && strcasecmp(rows[i].name, name))
            continue;
        matched++;
        if (matched <= (size_t)offset)
            continue;
        if (json_array_size(jobs) == (size_t)limit) {
            char t[32];

            snprintf(t, sizeof(t), "%lld", (long long)(offset + limit));
            json_object_set_new(out, "next_page_token", json_string(t));
            break;
        }
        j = api_job_json(c->api, rows[i].job_id);
        if (!j)
            continue;
        if (!expand) {
            json_t *s = json_object_get(j, "settings");

            json_object_del(s, "tasks");
            json_object_del(s, "job_clusters");
        } else if (c->is_22 &&
                   api_page_truncate(json_object_get(j, "settings"),
                                     job_paged)) {
            json_object_set_new(j, "has_more", json_true());
        }
        json_array_append_new(jobs, j);
    }
    free(name);
    jc_job_rows_free(rows, n);
    json_object_set_new(out, "has_more",
                        json_boolean(json_object_get(out, "next_page_token")));
    if (offset > 0) {
        char t[32];

        snprintf(t, sizeof(t), "%lld",
                 (long long)(offset > limit ? offset - limit : 0));
        json_object_set_new(out, "prev_page_token", json_string(t));
    }
    if (json_array_size(jobs))
        json_object_set_new(out, "jobs", jobs);
    else
        json_decref(jobs);
    api_json(c->resp, 200, out);
}

static void run_now(struct api_ctx *c)
{
    struct jc_api *api = c->api;
    json_t *body;
    json_t *params;
    const char *token;
    int64_t job_id;
    int64_t run_id = 0;
    json_t *job;
    int rc;

    if (!api_method(c, "POST") || !(body = api_body(c)))
        return;
    if (require_job_id(c, body, &job_id))
        goto out;
    params = json_object_get(body, "job_parameters");
    if (params && !json_is_object(params)) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "job_parameters must be an object of strings");
        goto out;
    }
    if (!params && json_is_object(json_object_get(body, "notebook_params")))
        params = json_object_get(body, "notebook_params");
    token = json_string_value(json_object_get(body, "idempotency_token"));
    if (json_object_get(body, "idempotency_token") && !token) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "idempotency_token must be a string");
        goto out;
    }
    if (token && strlen(token) > 64) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "idempotency_token must be at most 64 characters");
        goto out;
    }
    job = api_job_json(api, job_id);
    if (!job) {
        not_exist(c, job_id);
        goto out;
    }
    json_decref(job);
    if (token && *token &&
        !jc_store_run_find_token(api->store, token, &run_id)) {
        api_json(c->resp, 200,
                 json_pack("{s:I, s:I}", "run_id", (json_int_t)run_id,
                           "number_in_job", (json_int_t)run_id));
        goto out;
    }
    if (!api->be.run_now) {
        api_error(c->resp, 501, "NOT_IMPLEMENTED", "no run engine attached");
        goto out;
    }
    rc = api->be.run_now(api->be.ud, job_id, params,
                         token && *token ? token : NULL, "ONE_TIME", &run_id);
    if (rc == JC_ENOTFOUND)
        not_exist(c, job_id);
    else if (rc)
        api_error_rc(c->resp, rc);
    else
        api_json(c->resp, 200,
                 json_pack("{s:I, s:I}", "run_id", (json_int_t)run_id,
                           "number_in_job", (json_int_t)run_id));
out:
    json_decref(body);
}

void api_jobs_dispatch(struct api_ctx *c)
{
    const char *e = c->endpoint;

    if (!strcmp(e, "list"))
        jobs_list(c);
    else if (!strcmp(e, "get"))
        jobs_get(c);
    else if (!strcmp(e, "create"))
        jobs_create(c);
    else if (!strcmp(e, "reset"))
        jobs_reset(c);
    else if (!strcmp(e, "update"))
        jobs_update(c);
    else if (!strcmp(e, "delete"))
        jobs_delete(c);
    else if (!strcmp(e, "run-now"))
        run_now(c);
    else
        api_error(c->resp, 404, "ENDPOINT_NOT_FOUND",
                  "no API found for '%s %s'", c->req->method, c->req->path);
}
