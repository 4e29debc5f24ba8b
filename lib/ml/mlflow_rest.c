/*
 * mlflow_rest.c: the MLflow REST backend (api/2.0/mlflow/... and the
 * artifact proxy api/2.0/mlflow-artifacts/artifacts/...) over a blocking
 * libcurl easy handle. Errors carry MLflow's error_code; the bearer token
 * (MLFLOW_TRACKING_TOKEN) is sent in a header and never put in messages.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "mlflow_int.h"
#include "util/mem.h"

#define RESPONSE_CAP ((size_t)16 << 20)  /* JSON responses */
#define DOWNLOAD_CAP ((size_t)1 << 30)   /* one artifact */
#define MAX_ATTEMPTS 3

struct response {
    struct ju_buf body;
    size_t cap;
    int too_big;
};

static size_t on_data(char *p, size_t sz, size_t nm, void *ud)
{
    struct response *r = ud;
    size_t n = sz * nm;
    if (r->body.len + n > r->cap) {
        r->too_big = 1;
        return 0;
    }
    ju_buf_add(&r->body, p, n);
    return n;
}

static char *escape(struct ml_mlflow *m, const char *s)
{
    char *e = curl_easy_escape(m->curl, s, 0);
    char *r = ju_xstrdup(e ? e : "");
    curl_free(e);
    return r;
}

/* Path segments keep their '/' separators, each segment escaped. */
static char *escape_path(struct ml_mlflow *m, const char *path)
{
    struct ju_buf b = JU_BUF_INIT;
    const char *p = path;
    while (*p) {
        size_t l = strcspn(p, "/");
        char *seg = ju_xstrndup(p, l);
        char *e = escape(m, seg);
        ju_buf_adds(&b, e);
        free(e);
        free(seg);
        p += l;
        if (*p == '/') {
            ju_buf_addc(&b, '/');
            p++;
        }
    }
    if (!b.data)
        ju_buf_adds(&b, "");
    return ju_buf_detach(&b, NULL);
}

/*
 * One HTTP exchange. method GET/POST/PATCH/PUT; body_json or (PUT)
 * upload_file. 2xx: 0 and *out parsed (if out). 4xx/5xx: MLflow's
 * {error_code, message} mapped to JC_ENOTFOUND (RESOURCE_DOES_NOT_EXIST),
 * JC_EEXIST (RESOURCE_ALREADY_EXISTS), JC_EINVAL (INVALID_PARAMETER_VALUE
 * and other 4xx) or JC_EIO. Transport errors and 429/5xx are retried.
 */
static int request_ex(struct ml_mlflow *m, const char *method,
                      const char *path, json_t *body_json,
                      const char *upload_file, const char *download_file,
                      json_t **out, struct ju_buf *raw);

static int request(struct ml_mlflow *m, const char *method, const char *path,
                   json_t *body_json, const char *upload_file,
                   const char *download_file, json_t **out)
{
    return request_ex(m, method, path, body_json, upload_file, download_file,
                      out, NULL);
}

/* GET path; the 2xx body is appended to raw unparsed. */
static int request_raw(struct ml_mlflow *m, const char *path,
                       struct ju_buf *raw)
{
    return request_ex(m, "GET", path, NULL, NULL, NULL, NULL, raw);
}

static int request_ex(struct ml_mlflow *m, const char *method,
                      const char *path, json_t *body_json,
                      const char *upload_file, const char *download_file,
                      json_t **out, struct ju_buf *raw)
{
    if (out)
        *out = NULL;
    char *url = ju_xasprintf("%s%s", m->base, path);
    char *body = body_json ? json_dumps(body_json, JSON_COMPACT) : NULL;
    struct ju_buf upload = JU_BUF_INIT;
    int rc = 0;
    if (upload_file) {
        rc = ml_mlflow__read_file(upload_file, &upload, DOWNLOAD_CAP);
        if (rc)
            goto done;
    }
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        CURL *c = m->curl;
        struct response r;
        ju_buf_init(&r.body, 0);
        r.cap = download_file ? DOWNLOAD_CAP : RESPONSE_CAP;
        r.too_big = 0;
        curl_easy_reset(c);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 300L);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "jobctl-mlflow/1");
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        struct curl_slist *h = NULL;
        if (m->token) {
            char *auth = ju_xasprintf("Authorization: Bearer %s", m->token);
            h = curl_slist_append(h, auth);
            memset(auth, 0, strlen(auth));
            free(auth);
        }
        if (upload_file) {
            h = curl_slist_append(h, "Content-Type: application/octet-stream");
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
            curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                             upload.data ? upload.data : "");
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                             (curl_off_t)upload.len);
        } else if (strcmp(method, "GET") != 0) {
            h = curl_slist_append(h, "Content-Type: application/json");
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "{}");
        }
        h = curl_slist_append(h, "Expect:");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        CURLcode cc = curl_easy_perform(c);
        curl_slist_free_all(h);
        long status = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if (cc != CURLE_OK) {
            if (r.too_big)
                rc = jc_err_set(JC_ETOOBIG, "%s %s: response too large",
                                method, path);
            else
                rc = jc_err_set(JC_EIO, "%s %s: %s", method, path,
                                curl_easy_strerror(cc));
            ju_buf_release(&r.body);
            if (r.too_big || attempt == MAX_ATTEMPTS)
                break;
        } else if (status >= 200 && status < 300) {
            rc = 0;
            if (raw) {
                ju_buf_add(raw, r.body.data ? r.body.data : "", r.body.len);
            } else if (download_file) {
                rc = ml_mlflow__write_file(download_file,
                                           r.body.data ? r.body.data : "",
                                           r.body.len);
            } else if (out) {
                json_error_t je;
                *out = json_loadb(r.body.data ? r.body.data : "{}",
                                  r.body.len ? r.body.len : 2, 0, &je);
                if (!*out || !json_is_object(*out)) {
                    json_decref(*out);
                    *out = NULL;
                    rc = jc_err_set(JC_EPARSE,
                                    "%s %s: invalid JSON response at byte "
                                    "%d: %s",
                                    method, path, je.position, je.text);
                }
            }
            ju_buf_release(&r.body);
            break;
        } else {
            json_t *err = json_loadb(r.body.data ? r.body.data : "",
                                     r.body.len, 0, NULL);
            const char *code = json_string_value(json_object_get(err,
                                                                 "error_code"));
            const char *msg = json_string_value(json_object_get(err,
                                                                "message"));
            int jc = JC_EIO;
            if (code && strcmp(code, "RESOURCE_DOES_NOT_EXIST") == 0)
                jc = JC_ENOTFOUND;
            else if (code && strcmp(code, "RESOURCE_ALREADY_EXISTS") == 0)
                jc = JC_EEXIST;
            else if (status == 404)
                jc = JC_ENOTFOUND;
            else if (status >= 400 && status < 500 && status != 429)
                jc = JC_EINVAL;
            rc = jc_err_set(jc, "%s %s: HTTP %ld%s%s%s%.300s", method, path,
                            status, code ? " " : "", code ? code : "",
                            msg ? ": " : "", msg ? msg : "");
            json_decref(err);
            ju_buf_release(&r.body);
            if (!(status == 429 || status >= 500) || attempt == MAX_ATTEMPTS)
                break;
        }
        struct timespec ts = {0, 200000000L * attempt};
        nanosleep(&ts, NULL);
    }
done:
    ju_buf_release(&upload);
    free(body);
    free(url);
    return rc;
}

static int rest_experiment_ensure(struct ml_mlflow *m, const char *name,
                                  char **id)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        char *en = escape(m, name);
        char *path = ju_xasprintf(
            "/api/2.0/mlflow/experiments/get-by-name?experiment_name=%s", en);
        free(en);
        json_t *res;
        int rc = request(m, "GET", path, NULL, NULL, NULL, &res);
        free(path);
        if (rc == 0) {
            const char *eid = json_string_value(json_object_get(
                json_object_get(res, "experiment"), "experiment_id"));
            if (eid)
                *id = ju_xstrdup(eid);
            else
                rc = jc_err_set(JC_EPARSE,
                                "experiments/get-by-name: no "
                                "experiment.experiment_id in response");
            json_decref(res);
            return rc;
        }
        if (rc != JC_ENOTFOUND)
            return rc;
        json_t *req = json_pack("{s:s}", "name", name);
        rc = request(m, "POST", "/api/2.0/mlflow/experiments/create", req,
                     NULL, NULL, &res);
        json_decref(req);
        if (rc == 0) {
            const char *eid =
                json_string_value(json_object_get(res, "experiment_id"));
            if (eid)
                *id = ju_xstrdup(eid);
            else
                rc = jc_err_set(JC_EPARSE, "experiments/create: no "
                                           "experiment_id in response");
            json_decref(res);
            return rc;
        }
        if (rc != JC_EEXIST)
            return rc;
        jc_err_clear(); /* created concurrently: look it up again */
    }
    return jc_err_set(JC_EBUSY, "cannot create experiment '%s'", name);
}

static void cache_artifact_uri(struct ml_mlflow *m, const char *run_id,
                               const char *uri)
{
    free(m->cache_run_id);
    free(m->cache_value);
    m->cache_run_id = ju_xstrdup(run_id);
    m->cache_value = ju_xstrdup(uri);
}

static int rest_run_create(struct ml_mlflow *m, const char *exp_id,
                           const char *run_name, char **run_id)
{
    const char *user = getenv("USER");
    json_t *req = json_pack("{s:s, s:I}", "experiment_id", exp_id,
                            "start_time", (json_int_t)ml_mlflow__now_ms());
    json_t *tags = json_array();
    if (run_name && *run_name) {
        json_object_set_new(req, "run_name", json_string(run_name));
        json_array_append_new(tags, json_pack("{s:s, s:s}", "key",
                                              "mlflow.runName", "value",
                                              run_name));
    }
    if (user && *user)
        json_object_set_new(req, "user_id", json_string(user));
    json_object_set_new(req, "tags", tags);
    json_t *res;
    int rc = request(m, "POST", "/api/2.0/mlflow/runs/create", req, NULL,
                     NULL, &res);
    json_decref(req);
    if (rc)
        return rc;
    json_t *info = json_object_get(json_object_get(res, "run"), "info");
    const char *id = json_string_value(json_object_get(info, "run_id"));
    if (!id)
        id = json_string_value(json_object_get(info, "run_uuid"));
    const char *art = json_string_value(json_object_get(info, "artifact_uri"));
    if (!id) {
        rc = jc_err_set(JC_EPARSE, "runs/create: no run.info.run_id in "
                                   "response");
    } else {
        *run_id = ju_xstrdup(id);
        if (art)
            cache_artifact_uri(m, id, art);
    }
    json_decref(res);
    return rc;
}

static int log_batch(struct ml_mlflow *m, const char *run_id,
                     const char *kind, json_t *item)
{
    json_t *req = json_pack("{s:s, s:[], s:[], s:[]}", "run_id", run_id,
                            "metrics", "params", "tags");
    json_array_append_new(json_object_get(req, kind), item);
    json_t *res = NULL;
    int rc = request(m, "POST", "/api/2.0/mlflow/runs/log-batch", req, NULL,
                     NULL, &res);
    json_decref(res);
    json_decref(req);
    return rc;
}

static int rest_log_param(struct ml_mlflow *m, const char *run_id,
                          const char *key, const char *value)
{
    return log_batch(m, run_id, "params",
                     json_pack("{s:s, s:s}", "key", key, "value", value));
}

static int rest_set_tag(struct ml_mlflow *m, const char *run_id,
                        const char *key, const char *value)
{
    return log_batch(m, run_id, "tags",
                     json_pack("{s:s, s:s}", "key", key, "value", value));
}

static int rest_log_metric(struct ml_mlflow *m, const char *run_id,
                           const char *key, double value, int64_t ts_ms,
                           int64_t step)
{
    if (!isfinite(value))
        return jc_err_set(JC_EINVAL, "metric '%s' is not a finite number",
                          key);
    return log_batch(m, run_id, "metrics",
                     json_pack("{s:s, s:f, s:I, s:I}", "key", key, "value",
                               value, "timestamp", (json_int_t)ts_ms, "step",
                               (json_int_t)step));
}

static int rest_run_artifact_uri(struct ml_mlflow *m, const char *run_id,
                                 char **uri)
{
    if (m->cache_run_id && strcmp(m->cache_run_id, run_id) == 0) {
        *uri = ju_xstrdup(m->cache_value);
        return 0;
    }
    char *e = escape(m, run_id);
    char *path = ju_xasprintf("/api/2.0/mlflow/runs/get?run_id=%s", e);
    free(e);
    json_t *res;
    int rc = request(m, "GET", path, NULL, NULL, NULL, &res);
    free(path);
    if (rc)
        return rc;
    const char *art = json_string_value(json_object_get(
        json_object_get(json_object_get(res, "run"), "info"),
        "artifact_uri"));
    if (!art)
        rc = jc_err_set(JC_EPARSE, "runs/get: no run.info.artifact_uri");
    else {
        *uri = ju_xstrdup(art);
        cache_artifact_uri(m, run_id, art);
    }
    json_decref(res);
    return rc;
}

/* "mlflow-artifacts:/a/b" or "mlflow-artifacts://host/a/b" -> "a/b" */
static int artifact_proxy_path(const char *uri, const char **rel)
{
    const char *p = uri;
    if (strncmp(p, "mlflow-artifacts:", 17) != 0)
        return jc_err_set(JC_EUNSUPPORTED,
                          "artifact location '%.200s' is not served by the "
                          "MLflow artifact proxy (mlflow-artifacts:)",
                          uri);
    p += 17;
    if (strncmp(p, "//", 2) == 0) {
        p = strchr(p + 2, '/');
        if (!p)
            p = "";
    }
    while (*p == '/')
        p++;
    *rel = p;
    return 0;
}

static int rest_put_artifact(struct ml_mlflow *m, const char *run_id,
                             const char *local_file, const char *rel)
{
    char *base;
    int rc = rest_run_artifact_uri(m, run_id, &base);
    if (rc)
        return rc;
    const char *bp;
    rc = artifact_proxy_path(base, &bp);
    if (rc == 0) {
        char *full = ju_xasprintf("%s/%s", bp, rel);
        char *ep = escape_path(m, full);
        char *path = ju_xasprintf("/api/2.0/mlflow-artifacts/artifacts/%s",
                                  ep);
        json_t *res = NULL;
        rc = request(m, "PUT", path, NULL, local_file, NULL, &res);
        json_decref(res);
        free(path);
        free(ep);
        free(full);
    }
    free(base);
    return rc;
}

static int rest_run_end(struct ml_mlflow *m, const char *run_id,
                        enum ml_run_status status)
{
    static const char *names[] = {"", "RUNNING", "SCHEDULED", "FINISHED",
                                  "FAILED", "KILLED"};
    const char *s = status >= 1 && status <= 5 ? names[status] : "FINISHED";
    json_t *req = json_pack("{s:s, s:s, s:s, s:I}", "run_id", run_id,
                            "run_uuid", run_id, "status", s, "end_time",
                            (json_int_t)ml_mlflow__now_ms());
    json_t *res = NULL;
    int rc = request(m, "POST", "/api/2.0/mlflow/runs/update", req, NULL,
                     NULL, &res);
    json_decref(res);
    json_decref(req);
    return rc;
}

static int rest_register_version(struct ml_mlflow *m, const char *name,
                                 const char *source, const char *run_id,
                                 int64_t *version)
{
    json_t *req = json_pack("{s:s}", "name", name);
    json_t *res = NULL;
    int rc = request(m, "POST", "/api/2.0/mlflow/registered-models/create",
                     req, NULL, NULL, &res);
    json_decref(req);
    json_decref(res);
    if (rc == JC_EEXIST) {
        jc_err_clear();
        rc = 0;
    }
    if (rc)
        return rc;
    req = json_pack("{s:s, s:s}", "name", name, "source", source);
    if (run_id && *run_id)
        json_object_set_new(req, "run_id", json_string(run_id));
    rc = request(m, "POST", "/api/2.0/mlflow/model-versions/create", req,
                 NULL, NULL, &res);
    json_decref(req);
    if (rc)
        return rc;
    json_t *v = json_object_get(json_object_get(res, "model_version"),
                                "version");
    /* the proto says string; accept a number too */
    if (json_is_string(v))
        *version = strtoll(json_string_value(v), NULL, 10);
    else if (json_is_integer(v))
        *version = json_integer_value(v);
    else
        rc = jc_err_set(JC_EPARSE, "model-versions/create: no "
                                   "model_version.version in response");
    json_decref(res);
    return rc;
}

static char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return ju_xstrdup(s ? s : "");
}

static int64_t jint(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_string(v))
        return strtoll(json_string_value(v), NULL, 10);
    return 0;
}

static int cmp_version(const void *a, const void *b)
{
    const struct ml_model_version *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->version > y->version) - (x->version < y->version);
}

int ml_mlflow_parse_versions_json(const char *body, size_t len,
                                  struct ml_model_version **out, size_t *n,
                                  char **next_page_token)
{
    *out = NULL;
    *n = 0;
    *next_page_token = NULL;
    json_error_t je;
    json_t *res = json_loadb(body, len, 0, &je);
    if (!res || !json_is_object(res)) {
        json_decref(res);
        return jc_err_set(JC_EPARSE,
                          "model-versions/search: invalid JSON at byte %d",
                          res ? 0 : je.position);
    }
    json_t *arr = json_object_get(res, "model_versions");
    int rc = 0;
    if (arr && !json_is_array(arr)) {
        rc = jc_err_set(JC_EPARSE, "model-versions/search: "
                                   "'model_versions' is not an array");
    } else if (json_array_size(arr) > 100000) {
        rc = jc_err_set(JC_ETOOBIG, "model-versions/search: too many "
                                    "versions");
    } else {
        size_t i, alloc = 0;
        json_t *mv;
        json_array_foreach(arr, i, mv)
        {
            int64_t ver = jint(mv, "version");
            if (!json_is_object(mv) ||
                !json_is_string(json_object_get(mv, "name")) || ver < 1) {
                rc = jc_err_set(JC_EPARSE,
                                "model-versions/search: entry %zu has no "
                                "name or valid version",
                                i);
                break;
            }
            JU_ALLOC_GROW(*out, *n + 1, alloc);
            struct ml_model_version *v = &(*out)[(*n)++];
            v->name = jstr(mv, "name");
            v->version = ver;
            v->run_id = jstr(mv, "run_id");
            v->source = jstr(mv, "source");
            v->stage = jstr(mv, "current_stage");
            v->status = jstr(mv, "status");
            v->creation_timestamp = jint(mv, "creation_timestamp");
        }
    }
    const char *npt =
        json_string_value(json_object_get(res, "next_page_token"));
    if (rc == 0 && npt && *npt)
        *next_page_token = ju_xstrdup(npt);
    json_decref(res);
    if (rc) {
        ml_model_versions_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int rest_list_versions(struct ml_mlflow *m, const char *name,
                              struct ml_model_version **out, size_t *n)
{
    size_t alloc = 0;
    char *token = NULL;
    int rc = 0;
    for (int page = 0; page < 1000; page++) {
        struct ju_buf p = JU_BUF_INIT;
        ju_buf_adds(&p, "/api/2.0/mlflow/model-versions/search?"
                        "max_results=200");
        if (name) {
            char *filter = ju_xasprintf("name='%s'", name);
            char *e = escape(m, filter);
            ju_buf_addf(&p, "&filter=%s", e);
            free(e);
            free(filter);
        }
        if (token) {
            char *e = escape(m, token);
            ju_buf_addf(&p, "&page_token=%s", e);
            free(e);
            JU_FREE(token);
        }
        struct ju_buf body = JU_BUF_INIT;
        rc = request_raw(m, ju_buf_str(&p), &body);
        ju_buf_release(&p);
        if (rc == 0) {
            struct ml_model_version *page_v;
            size_t page_n;
            rc = ml_mlflow_parse_versions_json(
                body.data ? body.data : "", body.len, &page_v, &page_n,
                &token);
            if (rc == 0 && *n + page_n > 100000)
                rc = jc_err_set(JC_ETOOBIG, "model-versions/search: too "
                                            "many versions");
            if (rc == 0) {
                JU_ALLOC_GROW(*out, *n + page_n, alloc);
                if (page_n)
                    memcpy(*out + *n, page_v, page_n * sizeof(*page_v));
                *n += page_n;
                free(page_v);
            } else {
                ml_model_versions_free(page_v, page_n);
            }
        }
        ju_buf_release(&body);
        if (rc || !token)
            break;
    }
    free(token);
    if (rc == 0 && name && *n == 0)
        rc = jc_err_set(JC_ENOTFOUND, "registered model '%s' not found",
                        name);
    if (rc == 0 && *n > 1)
        qsort(*out, *n, sizeof(**out), cmp_version);
    return rc;
}

static int rest_fetch_model(struct ml_mlflow *m, const char *source,
                            char **dir, bool *downloaded)
{
    if (strncmp(source, "runs:/", 6) == 0) {
        /* runs:/RUN_ID/PATH (older registrations): via the run's root */
        const char *rest = source + 6;
        const char *slash = strchr(rest, '/');
        if (!slash || slash == rest)
            return jc_err_set(JC_EINVAL, "invalid model source '%s'", source);
        char *run = ju_xstrndup(rest, (size_t)(slash - rest));
        char *base = NULL;
        int rc = rest_run_artifact_uri(m, run, &base);
        free(run);
        if (rc)
            return rc;
        char *full = ju_xasprintf("%s/%s", base, slash + 1);
        free(base);
        if (strncmp(full, "runs:/", 6) == 0)
            rc = jc_err_set(JC_EINVAL, "invalid model source '%s'", source);
        else
            rc = rest_fetch_model(m, full, dir, downloaded);
        free(full);
        return rc;
    }
    const char *rel;
    int rc = artifact_proxy_path(source, &rel);
    if (rc)
        return rc;
    const char *tmp = getenv("TMPDIR");
    char *tdir = ju_xasprintf("%s/jobctl-model-XXXXXX",
                              tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tdir)) {
        rc = jc_err_set(JC_EIO, "cannot create a temporary directory: %s",
                        strerror(errno));
        free(tdir);
        return rc;
    }
    static const char *files[] = {"MLmodel", ML_MODEL_FILE};
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        char *full = ju_xasprintf("%s/%s", rel, files[i]);
        char *ep = escape_path(m, full);
        char *path = ju_xasprintf("/api/2.0/mlflow-artifacts/artifacts/%s",
                                  ep);
        char *local = ju_xasprintf("%s/%s", tdir, files[i]);
        rc = request(m, "GET", path, NULL, NULL, local, NULL);
        free(local);
        free(path);
        free(ep);
        free(full);
    }
    if (rc) {
        char *p = ju_xasprintf("%s/MLmodel", tdir);
        unlink(p);
        free(p);
        p = ju_xasprintf("%s/%s", tdir, ML_MODEL_FILE);
        unlink(p);
        free(p);
        rmdir(tdir);
        free(tdir);
        return rc;
    }
    *dir = tdir;
    *downloaded = true;
    return 0;
}

static void rest_release(struct ml_mlflow *m)
{
    if (m->curl)
        curl_easy_cleanup(m->curl);
    m->curl = NULL;
}

int ml_mlflow__rest_init(struct ml_mlflow *m, const char *url)
{
    static int global_done;
    if (!global_done) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        global_done = 1;
    }
    /* redact userinfo for messages */
    const char *scheme_end = strstr(url, "://") + 3;
    const char *at = strchr(scheme_end, '@');
    const char *slash = strchr(scheme_end, '/');
    if (at && (!slash || at < slash))
        m->uri = ju_xasprintf("%.*s***@%s", (int)(scheme_end - url), url,
                              at + 1);
    else
        m->uri = ju_xstrdup(url);
    m->base = ju_xstrdup(url);
    size_t l = strlen(m->base);
    while (l > 0 && m->base[l - 1] == '/')
        m->base[--l] = '\0';
    const char *tok = getenv("MLFLOW_TRACKING_TOKEN");
    if (tok && *tok)
        m->token = ju_xstrdup(tok);
    m->curl = curl_easy_init();
    if (!m->curl)
        return jc_err_set(JC_ERR, "cannot initialise libcurl");
    return 0;
}

const struct ml_mlflow_ops ml_mlflow__rest_ops = {
    rest_experiment_ensure, rest_run_create,     rest_log_param,
    rest_log_metric,        rest_set_tag,        rest_put_artifact,
    rest_run_end,           rest_run_artifact_uri, rest_register_version,
    rest_list_versions,     rest_fetch_model,    rest_release,
};
