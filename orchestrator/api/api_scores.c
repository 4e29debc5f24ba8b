/*
 * api_scores.c: GET /api/jobctl/scores?table=T: the anomaly score
 * distribution of a gold table (gold_anomaly_predictions by default),
 * read through lib/lake's Delta reader, as a 20-bin histogram. Reads at
 * most SCORES_MAX_ROWS rows and caches the answer per table version, so
 * the loop is blocked only once per new version.
 */
#include "api/api_int.h"

#include <math.h>
#include <string.h>

#include "lake/column.h"
#include "lake/delta.h"
#include "util/mem.h"

#define SCORES_MAX_ROWS 500000
#define NBINS 20

struct score_acc {
    double *v;
    size_t n;
    size_t alloc;
    size_t total;
};

static int on_batch(void *ud, const struct lake_file *file,
                    struct lake_batch *batch)
{
    struct score_acc *a = ud;
    struct lake_column *c = lake_batch_column(batch, "anomaly_score");
    size_t i;

    (void)file;
    if (!c)
        return 0;
    for (i = 0; i < c->length; i++) {
        double x;

        if (c->valid && !c->valid[i])
            continue;
        if (c->type == LAKE_TYPE_DOUBLE)
            x = ((const double *)c->values)[i];
        else if (c->type == LAKE_TYPE_FLOAT)
            x = ((const float *)c->values)[i];
        else
            return 0;
        a->total++;
        if (a->n >= SCORES_MAX_ROWS || !isfinite(x))
            continue;
        JU_ALLOC_GROW(a->v, a->n + 1, a->alloc);
        a->v[a->n++] = x;
    }
    return 0;
}

void api_scores(struct api_ctx *c)
{
    char *name = jc_http_query_get(c->req, "table");
    const char *t = name && *name ? name : "gold_anomaly_predictions";
    char path[4096];
    char key[600];
    struct lake_table *tab = NULL;
    struct lake_scan_opts so;
    const char *cols[] = {"anomaly_score"};
    struct score_acc acc = {NULL, 0, 0, 0};
    const char *hit;
    size_t hitlen;
    json_t *bins;
    json_t *out;
    double lo = 0, hi = 0;
    size_t counts[NBINS] = {0};
    size_t i;
    int64_t version;
    int rc;

    if (!api_method(c, "GET"))
        goto done;
    if (strchr(t, '/') || t[0] == '.' || strlen(t) > 200) {
        api_error(c->resp, 400, "INVALID_PARAMETER_VALUE",
                  "invalid table name");
        goto done;
    }
    snprintf(path, sizeof(path), "%s/lake/%s", c->api->home, t);
    rc = lake_table_open(&tab, path);
    if (rc) {
        api_json(c->resp, 200, json_pack("{s:s, s:b}", "table", t, "exists",
                                         0));
        goto done;
    }
    version = lake_table_version(tab);
    snprintf(key, sizeof(key), "scores|%s|%lld", t, (long long)version);
    hit = api_cache_get(c->api, key, &hitlen);
    if (hit) {
        c->resp->status = 200;
        c->resp->content_type = "application/json";
        ju_buf_add(&c->resp->body, hit, hitlen);
        goto done;
    }
    memset(&so, 0, sizeof(so));
    so.columns = cols;
    so.ncolumns = 1;
    rc = lake_table_scan(tab, &so, on_batch, &acc, NULL);
    if (rc) {
        api_error(c->resp, 500, "INTERNAL_ERROR", "cannot read '%s'", t);
        goto done;
    }
    for (i = 0; i < acc.n; i++) {
        if (!i || acc.v[i] < lo)
            lo = acc.v[i];
        if (!i || acc.v[i] > hi)
            hi = acc.v[i];
    }
    for (i = 0; i < acc.n; i++) {
        size_t b = hi > lo ? (size_t)((acc.v[i] - lo) / (hi - lo) * NBINS) : 0;

        counts[b >= NBINS ? NBINS - 1 : b]++;
    }
    bins = json_array();
    for (i = 0; i < NBINS && acc.n; i++)
        json_array_append_new(
            bins, json_pack("{s:f, s:f, s:I}", "lo",
                            lo + (hi - lo) * (double)i / NBINS, "hi",
                            lo + (hi - lo) * (double)(i + 1) / NBINS, "count",
                            (json_int_t)counts[i]));
    out = json_pack("{s:s, s:b, s:I, s:I, s:I, s:f, s:f, s:o}", "table", t,
                    "exists", 1, "version", (json_int_t)version, "rows",
                    (json_int_t)acc.total, "sampled", (json_int_t)acc.n,
                    "min", lo, "max", hi, "bins", bins);
    api_json(c->resp, 200, out);
    api_cache_put(c->api, key, ju_buf_str(&c->resp->body), c->resp->body.len,
                  60000);
done:
    if (tab)
        lake_table_close(tab);
    free(acc.v);
    free(name);
}
