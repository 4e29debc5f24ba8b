/*
 * databricks_submit.c: turn one task of a local job into a runs/submit
 * request (jobs-api.md section 2.3): a single SubmitTask with its cluster
 * (job_cluster_key inlined as new_cluster), libraries and resolved
 * parameters, plus an idempotency token per task attempt.
 */
#include "jobctl/databricks.h"

#include "jobctl/err.h"
#include "util/mem.h"

#include <stdio.h>
#include <string.h>

/* Job-only or scheduling fields that runs/submit must not see. */
static const char *const drop_keys[] = {
    "depends_on", "run_if", "max_retries", "min_retry_interval_millis",
    "retry_on_timeout", "job_cluster_key", "disabled", "x-jobctl", NULL};

char *jc_dbx_sidecar_path(const char *log_path)
{
    size_t n = strlen(log_path);

    if (n > 4 && !strcmp(log_path + n - 4, ".log"))
        n -= 4;
    return ju_xasprintf("%.*s.databricks.json", (int)n, log_path);
}

bool jc_dbx_task_is_remote_capable(json_t *task)
{
    if (!json_is_object(task))
        return false;
    if (json_object_get(task, "command_task"))
        return false;
    return json_is_string(json_object_get(task, "existing_cluster_id")) ||
           json_is_object(json_object_get(task, "new_cluster")) ||
           json_is_string(json_object_get(task, "job_cluster_key"));
}

void jc_dbx_idempotency_token(char *dst, size_t n, const char *scope,
                              int64_t run_id, const char *task_key,
                              int attempt)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
    const unsigned char *p;
    const char *sc = scope ? scope : "";
    const char *dash = scope ? "-" : "";
    int len;

    len = snprintf(dst, n, "jobctl-%s%s%lld-%s-%d", sc, dash,
                   (long long)run_id, task_key, attempt);
    if (len >= 0 && len <= 64 && (size_t)len < n)
        return;
    for (p = (const unsigned char *)task_key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    snprintf(dst, n, "jobctl-%.16s%s%lld-%016llx-%d", sc, dash,
             (long long)run_id, (unsigned long long)h, attempt);
}

/* Replace strings in place below v (objects and arrays). */
static void resolve_all(json_t *v, jc_dbx_resolve_cb resolve, void *ud)
{
    const char *k;
    json_t *x;
    size_t i;

    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            if (json_is_string(x)) {
                char *s = resolve(ud, json_string_value(x));

                if (s) {
                    json_object_set_new(v, k, json_string(s));
                    free(s);
                }
            } else {
                resolve_all(x, resolve, ud);
            }
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if (json_is_string(x)) {
                char *s = resolve(ud, json_string_value(x));

                if (s) {
                    json_array_set_new(v, i, json_string(s));
                    free(s);
                }
            } else {
                resolve_all(x, resolve, ud);
            }
        }
    }
}

static json_t *find_job_cluster(json_t *job_clusters, const char *key)
{
    size_t i;
    json_t *jc;

    if (!json_is_array(job_clusters))
        return NULL;
    json_array_foreach(job_clusters, i, jc)
    {
        json_t *k = json_object_get(jc, "job_cluster_key");

        if (json_is_string(k) && !strcmp(json_string_value(k), key))
            return json_object_get(jc, "new_cluster");
    }
    return NULL;
}

int jc_dbx_submit_body(json_t **out, json_t *task, json_t *job_clusters,
                       const char *run_name, const char *idempotency_token,
                       int64_t timeout_seconds, jc_dbx_resolve_cb resolve,
                       void *ud)
{
    json_t *t;
    json_t *body;
    json_t *tk = json_object_get(task, "task_key");
    const char *key = json_is_string(tk) ? json_string_value(tk) : "?";
    json_t *jck = json_object_get(task, "job_cluster_key");
    const char *k;
    json_t *v;
    size_t i;

    if (!json_is_object(task))
        return jc_err_set(JC_EINVAL, "task is not an object");
    if (json_object_get(task, "command_task"))
        return jc_err_set(JC_EINVAL,
                          "task '%s': command_task cannot run on Databricks",
                          key);
    if (!jc_dbx_task_is_remote_capable(task))
        return jc_err_set(JC_EINVAL,
                          "task '%s' has no existing_cluster_id, new_cluster "
                          "or job_cluster_key to run on Databricks",
                          key);
    t = json_deep_copy(task);
    for (i = 0; drop_keys[i]; i++)
        json_object_del(t, drop_keys[i]);
    if (json_is_string(jck) && !json_object_get(task, "new_cluster") &&
        !json_object_get(task, "existing_cluster_id")) {
        json_t *nc = find_job_cluster(job_clusters, json_string_value(jck));

        if (!nc) {
            json_decref(t);
            return jc_err_set(JC_EINVAL,
                              "task '%s': job cluster '%s' is not defined in "
                              "job_clusters",
                              key, json_string_value(jck));
        }
        json_object_set_new(t, "new_cluster", json_deep_copy(nc));
    }
    if (resolve) {
        json_object_foreach(t, k, v)
        {
            size_t kl = strlen(k);

            if (kl > 5 && !strcmp(k + kl - 5, "_task"))
                resolve_all(v, resolve, ud);
        }
    }
    body = json_object();
    json_object_set_new(body, "run_name",
                        json_string(run_name ? run_name : "jobctl"));
    json_object_set_new(body, "tasks", json_pack("[o]", t));
    if (idempotency_token)
        json_object_set_new(body, "idempotency_token",
                            json_string(idempotency_token));
    if (timeout_seconds > 0)
        json_object_set_new(body, "timeout_seconds",
                            json_integer(timeout_seconds));
    *out = body;
    return 0;
}
