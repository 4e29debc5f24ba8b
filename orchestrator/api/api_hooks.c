/*
 * api_hooks.c: CI triggers. POST /hooks/github/<job name or id> checks
 * X-Hub-Signature-256 (HMAC-SHA256 of the raw body with
 * JOBCTL_WEBHOOK_SECRET, constant-time compare) and starts the job with
 * the push's ref and sha as job parameters git_ref and git_sha.
 */
#include "api/api_int.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "jobctl/err.h"
#include "jobctl/store.h"
#include "util/log.h"

void jc_api_hmac_sha256_hex(const char *secret, const void *body, size_t len,
                            char *out, size_t outcap)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    size_t i;
    size_t o;

    HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac, &maclen);
    o = (size_t)snprintf(out, outcap, "sha256=");
    for (i = 0; i < maclen && o + 3 <= outcap; i++, o += 2)
        snprintf(out + o, 3, "%02x", mac[i]);
    OPENSSL_cleanse(mac, sizeof(mac));
}

bool jc_api_verify_github_signature(const char *secret, const void *body,
                                    size_t len, const char *header)
{
    char want[80];
    char got[80];
    size_t hl;
    size_t i;

    if (!secret || !*secret || !header)
        return false;
    hl = strlen(header);
    if (hl != 71)
        return false;
    for (i = 0; i < hl; i++)
        got[i] = (char)(header[i] >= 'A' && header[i] <= 'F'
                            ? header[i] - 'A' + 'a' : header[i]);
    got[hl] = '\0';
    jc_api_hmac_sha256_hex(secret, body, len, want, sizeof(want));
    return CRYPTO_memcmp(want, got, 71) == 0;
}

static int find_job(struct jc_api *api, const char *name, int64_t *job_id)
{
    struct jc_job_row row;
    char *end;
    long long id;
    int rc;

    errno = 0;
    id = strtoll(name, &end, 10);
    if (!errno && *name && !*end && id > 0) {
        rc = jc_store_job_get(api->store, id, &row);
        if (!rc) {
            *job_id = row.job_id;
            jc_job_row_release(&row);
            return 0;
        }
    }
    rc = jc_store_job_find(api->store, name, &row);
    if (rc)
        return rc;
    *job_id = row.job_id;
    jc_job_row_release(&row);
    return 0;
}

void api_hooks_github(struct api_ctx *c, const char *job)
{
    struct jc_api *api = c->api;
    const char *sig = jc_http_header(c->req, "X-Hub-Signature-256");
    const char *event = jc_http_header(c->req, "X-GitHub-Event");
    const char *delivery = jc_http_header(c->req, "X-GitHub-Delivery");
    json_t *body;
    json_t *params;
    int64_t job_id = 0;
    int64_t run_id = 0;
    char token[80];
    int rc;

    if (!api_method(c, "POST"))
        return;
    if (!api->webhook_secret) {
        api->hooks_rejected++;
        api_error(c->resp, 403, "PERMISSION_DENIED",
                  "webhooks are disabled: JOBCTL_WEBHOOK_SECRET is not set");
        return;
    }
    if (!jc_api_verify_github_signature(api->webhook_secret, c->req->body,
                                        c->req->body_len, sig)) {
        api->hooks_rejected++;
        log_warn("webhook rejected: job='%s' reason=%s", job,
                 sig ? "bad-signature" : "no-signature");
        api_error(c->resp, 401, "UNAUTHENTICATED",
                  sig ? "X-Hub-Signature-256 does not match"
                      : "missing X-Hub-Signature-256 header");
        return;
    }
    if (event && !strcmp(event, "ping")) {
        api_json(c->resp, 200, json_pack("{s:s}", "message", "pong"));
        return;
    }
    body = api_body(c);
    if (!body)
        return;
    rc = find_job(api, job, &job_id);
    if (rc) {
        json_decref(body);
        api_error(c->resp, 404, "RESOURCE_DOES_NOT_EXIST",
                  "job '%s' does not exist", job);
        return;
    }
    params = json_object();
    if (json_is_string(json_object_get(body, "ref")))
        json_object_set(params, "git_ref", json_object_get(body, "ref"));
    if (json_is_string(json_object_get(body, "after")))
        json_object_set(params, "git_sha", json_object_get(body, "after"));
    else if (json_is_string(json_object_get(body, "sha")))
        json_object_set(params, "git_sha", json_object_get(body, "sha"));
    if (event)
        json_object_set_new(params, "git_event", json_string(event));
    /* a redelivered hook (same delivery id) does not start a second run */
    token[0] = '\0';
    if (delivery && strlen(delivery) < 48)
        snprintf(token, sizeof(token), "github-%s", delivery);
    if (token[0] && !jc_store_run_find_token(api->store, token, &run_id)) {
        json_decref(params);
        json_decref(body);
        api_json(c->resp, 200, json_pack("{s:I, s:I}", "run_id",
                                          (json_int_t)run_id, "number_in_job",
                                          (json_int_t)run_id));
        return;
    }
    if (!api->be.run_now) {
        json_decref(params);
        json_decref(body);
        api_error(c->resp, 501, "NOT_IMPLEMENTED", "no run engine");
        return;
    }
    rc = api->be.run_now(api->be.ud, job_id, params,
                         token[0] ? token : NULL, "ONE_TIME", &run_id);
    json_decref(params);
    json_decref(body);
    if (rc) {
        api_error_rc(c->resp, rc);
        return;
    }
    api->hooks_accepted++;
    api_json(c->resp, 200,
             json_pack("{s:I, s:I}", "run_id", (json_int_t)run_id,
                       "number_in_job", (json_int_t)run_id));
}
