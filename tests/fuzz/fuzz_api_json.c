/*
 * fuzz_api_json.c: sends arbitrary bytes as the JSON body (or the query
 * string) of the REST API's endpoints against a scratch store, with a
 * backend that refuses to run anything. The first byte picks the endpoint.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "jobctl/err.h"
#include "jobctl/store.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const endpoints[] = {
    "/api/2.1/jobs/create",       "/api/2.2/jobs/create",
    "/api/2.1/jobs/reset",        "/api/2.1/jobs/update",
    "/api/2.1/jobs/delete",       "/api/2.1/jobs/run-now",
    "/api/2.1/jobs/runs/submit",  "/api/2.1/jobs/runs/cancel",
    "/api/2.1/jobs/runs/cancel-all", "/api/2.1/jobs/runs/repair",
    "/api/2.1/jobs/runs/delete",  "/hooks/github/1",
    "/api/2.1/jobs/list",         "/api/2.1/jobs/get",
    "/api/2.1/jobs/runs/list",    "/api/2.1/jobs/runs/get",
    "/api/2.1/jobs/runs/get-output", "/api/jobctl/logs",
    "/api/jobctl/tables",         "/login",
};
#define NENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

static struct jc_store *store;
static struct jc_api *api;
static char home[64];

/* Remove the scratch store when the process ends (replay in CTest). */
static void cleanup(void)
{
    static const char *const files[] = {"jobctl.db", "jobctl.db-wal",
                                        "jobctl.db-shm"};
    char path[128];
    size_t i;

    jc_api_free(api);
    jc_store_close(store);
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", home, files[i]);
        unlink(path);
    }
    rmdir(home);
}

static int refuse(void *ud, int64_t job_id, json_t *params, const char *tok,
                  const char *trigger, int64_t *run_id)
{
    (void)ud;
    (void)job_id;
    (void)params;
    (void)tok;
    (void)trigger;
    (void)run_id;
    return jc_err_set(JC_EINVAL, "no runs in the fuzzer");
}

static void setup(void)
{
    struct jc_api_backend be;
    struct jc_api_opts o;
    char *dir;

    snprintf(home, sizeof(home), "/tmp/jobctl-fuzz-api-XXXXXX");
    dir = mkdtemp(home);
    if (!dir || jc_store_open(&store, dir))
        abort();
    atexit(cleanup);
    memset(&be, 0, sizeof(be));
    be.run_now = refuse;
    memset(&o, 0, sizeof(o));
    o.home = dir;
    o.webhook_secret = "fuzz";
    api = jc_api_new(store, &be, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jc_http_request req;
    struct jc_http_header hdr = {"Host", "127.0.0.1"};
    struct jc_http_response resp;
    const char *ep;
    char *text;

    if (size > (1 << 20) || size < 1)
        return 0;
    if (!api)
        setup();
    ep = endpoints[data[0] % NENDPOINTS];
    text = ju_xstrndup((const char *)data + 1, size - 1);
    memset(&req, 0, sizeof(req));
    req.headers = &hdr;
    req.nheaders = 1;
    req.loopback_peer = true;
    req.keep_alive = true;
    req.path = (char *)ep;
    req.url = (char *)ep;
    if (strstr(ep, "/list") || strstr(ep, "/get") || strstr(ep, "jobctl")) {
        snprintf(req.method, sizeof(req.method), "GET");
        req.query = text;
        req.body = (char *)"";
    } else {
        snprintf(req.method, sizeof(req.method), "POST");
        req.body = text;
        req.body_len = size - 1;
    }
    jc_http_resp_init(&resp);
    jc_api_handle(&req, &resp, api);
    if (resp.status < 200 || resp.status > 599)
        abort();
    jc_http_resp_release(&resp);
    free(text);
    return 0;
}
