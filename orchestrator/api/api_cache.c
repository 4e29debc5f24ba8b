/*
 * api_cache.c: response cache for hot GET endpoints (runs/list). An entry
 * is valid while the store is unchanged: sqlite3_total_changes64() covers
 * writes by the daemon's own connection (run engine, API), PRAGMA
 * data_version covers commits by other processes (an embedded jobctl run).
 * data_version costs file-lock syscalls, so it is re-read at most once per
 * DV_RECHECK_US: another process's commit is seen within that time.
 */
#include "api/api_int.h"

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "jobctl/store.h"
#include "util/mem.h"

#define CACHE_SLOTS 32
#define CACHE_MAX_BODY (4 * 1024 * 1024)
#define CACHE_MAX_TOTAL (32 * 1024 * 1024)
#define DV_RECHECK_US 1000

struct api_cache_ent {
    char *key;
    struct jc_http_shared *body; /* shared with in-flight responses */
    size_t len;
    int64_t changes;
    int64_t data_version;
    int64_t expires_ms; /* 0 = until the store changes */
};

struct api_cache {
    struct api_cache_ent ents[CACHE_SLOTS];
    size_t next;
    size_t total; /* bytes held in bodies */
    sqlite3_stmt *dv; /* PRAGMA data_version */
    int64_t dv_last;   /* its last value (-1 = none) */
    int64_t dv_at_us;  /* when it was read (CLOCK_MONOTONIC) */
};

static struct api_cache *cache_of(struct jc_api *api)
{
    if (!api->cache) {
        api->cache = ju_xcalloc(1, sizeof(*api->cache));
        api->cache->dv_last = -1;
    }
    return api->cache;
}

static int64_t mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void generation(struct jc_api *api, int64_t *changes, int64_t *dv)
{
    struct api_cache *c = cache_of(api);
    sqlite3 *db = jc_store_db(api->store);
    int64_t now = mono_us();

    *changes = sqlite3_total_changes64(db);
    if (c->dv_last >= 0 && now - c->dv_at_us >= 0 &&
        now - c->dv_at_us < DV_RECHECK_US) {
        *dv = c->dv_last;
        return;
    }
    *dv = -1;
    if (!c->dv && sqlite3_prepare_v3(db, "PRAGMA data_version", -1,
                                     SQLITE_PREPARE_PERSISTENT, &c->dv, NULL))
        c->dv = NULL;
    if (c->dv) {
        if (sqlite3_step(c->dv) == SQLITE_ROW)
            *dv = sqlite3_column_int64(c->dv, 0);
        sqlite3_reset(c->dv);
    }
    c->dv_last = *dv;
    c->dv_at_us = now;
}

static struct api_cache_ent *lookup(struct jc_api *api, const char *key)
{
    struct api_cache *c = cache_of(api);
    int64_t changes;
    int64_t dv;
    size_t i;

    generation(api, &changes, &dv);
    for (i = 0; i < CACHE_SLOTS; i++) {
        struct api_cache_ent *e = &c->ents[i];

        if (!e->key || strcmp(e->key, key))
            continue;
        if (e->changes != changes || e->data_version != dv || dv < 0 ||
            (e->expires_ms && jc_now_ms() >= e->expires_ms))
            return NULL;
        return e;
    }
    return NULL;
}

const char *api_cache_get(struct jc_api *api, const char *key, size_t *len)
{
    struct api_cache_ent *e = lookup(api, key);

    if (!e)
        return NULL;
    *len = e->len;
    return e->body->data;
}

bool api_cache_serve(struct api_ctx *c, const char *key)
{
    struct api_cache_ent *e = lookup(c->api, key);

    if (!e)
        return false;
    jc_http_resp_shared(c->resp, 200, "application/json", e->body);
    return true;
}

void api_cache_put(struct jc_api *api, const char *key, const char *body,
                   size_t len, int64_t ttl_ms)
{
    struct api_cache *c = cache_of(api);
    struct api_cache_ent *e = NULL;
    size_t i;

    if (len > CACHE_MAX_BODY)
        return;
    for (i = 0; i < CACHE_SLOTS && !e; i++)
        if (c->ents[i].key && !strcmp(c->ents[i].key, key))
            e = &c->ents[i];
    if (!e) {
        e = &c->ents[c->next];
        c->next = (c->next + 1) % CACHE_SLOTS;
    }
    c->total -= e->len;
    free(e->key);
    jc_http_shared_unref(e->body);
    e->key = NULL;
    e->body = NULL;
    e->len = 0;
    if (c->total + len > CACHE_MAX_TOTAL)
        return;
    c->total += len;
    e->key = ju_xstrdup(key);
    e->body = jc_http_shared_new(body, len);
    e->len = len;
    generation(api, &e->changes, &e->data_version);
    e->expires_ms = ttl_ms > 0 ? jc_now_ms() + ttl_ms : 0;
}

void api_cache_free(struct jc_api *api)
{
    struct api_cache *c = api->cache;
    size_t i;

    if (!c)
        return;
    for (i = 0; i < CACHE_SLOTS; i++) {
        free(c->ents[i].key);
        jc_http_shared_unref(c->ents[i].body);
    }
    sqlite3_finalize(c->dv);
    free(c);
    api->cache = NULL;
}
