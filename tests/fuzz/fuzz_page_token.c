/*
 * fuzz_page_token.c: arbitrary page_token values (API 2.2 array paging)
 * sent to GET /api/2.2/jobs/get and /api/2.2/jobs/runs/get of a scratch
 * store holding one job of 150 tasks. The first byte picks the endpoint;
 * the rest is the token. A bad token must be a 400, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "jobctl/err.h"
#include "jobctl/store.h"
#include "util/buf.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

static int handle(const char *method, const char *path, const char *query,
                  const char *body)
{
    struct jc_http_request req;
    struct jc_http_header hdr = {"Host", "127.0.0.1"}; /* loopback */
    struct jc_http_response resp;
    int status;

    memset(&req, 0, sizeof(req));
    req.headers = &hdr;
    req.nheaders = 1;
    req.loopback_peer = true;
    req.keep_alive = true;
    req.path = (char *)path;
    req.url = (char *)path;
    snprintf(req.method, sizeof(req.method), "%s", method);
    req.query = (char *)query;
    req.body = (char *)body;
    req.body_len = strlen(body);
    jc_http_resp_init(&resp);
    jc_api_handle(&req, &resp, api);
    status = resp.status;
    if (getenv("FUZZ_PAGE_DEBUG"))
        fprintf(stderr, "%d %.*s\n", status, (int)resp.body.len,
                resp.body.data);
    jc_http_resp_release(&resp);
    return status;
}

/* The job of the corpus tokens: tasks t000..t149 running "true". */
static void setup(void)
{
    struct jc_api_backend be;
    struct jc_api_opts o;
    struct ju_buf b = JU_BUF_INIT;
    char *dir;
    int i;

    snprintf(home, sizeof(home), "/tmp/jobctl-fuzz-page-XXXXXX");
    dir = mkdtemp(home);
    if (!dir || jc_store_open(&store, dir))
        abort();
    atexit(cleanup);
    memset(&be, 0, sizeof(be));
    memset(&o, 0, sizeof(o));
    o.home = dir;
    api = jc_api_new(store, &be, &o);
    ju_buf_adds(&b, "{\"name\":\"big\",\"tasks\":[");
    for (i = 0; i < 150; i++)
        ju_buf_addf(&b, "%s{\"task_key\":\"t%03d\",\"command_task\":"
                        "{\"command\":[\"true\"]}}",
                    i ? "," : "", i);
    ju_buf_adds(&b, "]}");
    if (handle("POST", "/api/2.1/jobs/create", NULL, ju_buf_str(&b)) != 200) {
        fprintf(stderr, "cannot create the job: %s\n", jc_err_last());
        abort();
    }
    ju_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tok;
    char *query;
    int st;
    bool run;

    if (size > (1 << 20) || size < 1)
        return 0;
    if (!api)
        setup();
    run = data[0] & 1;
    tok = ju_xstrndup((const char *)data + 1, size - 1);
    query = ju_xasprintf("%s=1&page_token=%s", run ? "run_id" : "job_id",
                         tok);
    st = handle("GET", run ? "/api/2.2/jobs/runs/get" : "/api/2.2/jobs/get",
                query, "");
    if (st != 200 && st != 400)
        abort();
    free(query);
    free(tok);
    return 0;
}
