/*
 * api_health.c: GET /healthz, a cheap liveness answer for load balancers
 * and the benchmark (no store access).
 */
#include "api/api_int.h"

void api_health(struct api_ctx *c)
{
    if (!api_method(c, "GET"))
        return;
    jc_http_resp_text(c->resp, 200, "application/json",
                      "{\"status\":\"ok\"}");
}
