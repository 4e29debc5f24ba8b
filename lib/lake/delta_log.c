/*
 * delta_log.c: the _delta_log directory: exact parsing of commit and
 * checkpoint file names (20-digit versions; temp files, .crc, V2 and
 * compacted files ignored), per-version commit times, DESCRIBE HISTORY.
 */
#include "delta_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

static int parse_digits(const char *s, size_t n, int64_t *out)
{
    int64_t v = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a;
    int64_t y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static int cmp_ckpt(const void *a, const void *b)
{
    const struct lake_log_ckpt *x = a;
    const struct lake_log_ckpt *y = b;

    if (x->version != y->version)
        return x->version < y->version ? -1 : 1;
    return x->parts - y->parts;
}

static void add_ckpt(struct lake_log_listing *l, size_t *alloc, int64_t v,
                     int parts)
{
    size_t i;

    for (i = 0; i < l->nckpts; i++) {
        if (l->ckpts[i].version == v && l->ckpts[i].parts == parts) {
            l->ckpts[i].have++;
            return;
        }
    }
    JU_ALLOC_GROW(l->ckpts, l->nckpts + 1, *alloc);
    l->ckpts[l->nckpts].version = v;
    l->ckpts[l->nckpts].parts = parts;
    l->ckpts[l->nckpts].have = 1;
    l->nckpts++;
}

int lake_log_list(const char *log_dir, struct lake_log_listing *out)
{
    DIR *d = opendir(log_dir);
    struct dirent *e;
    size_t calloc_ = 0;
    size_t kalloc = 0;

    memset(out, 0, sizeof(*out));
    if (!d) {
        if (errno == ENOENT || errno == ENOTDIR)
            return jc_err_set(JC_ENOTFOUND, "not a Delta table: no '%s'",
                              log_dir);
        return jc_err_set(JC_EIO, "cannot list '%s': %s", log_dir,
                          strerror(errno));
    }
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        int64_t v;
        int64_t k, p;

        if (len < 25 || parse_digits(n, 20, &v) < 0 || n[20] != '.')
            continue;
        if (len == 25 && !strcmp(n + 20, ".json")) {
            JU_ALLOC_GROW(out->commits, out->ncommits + 1, calloc_);
            out->commits[out->ncommits++] = v;
        } else if (!strcmp(n + 20, ".checkpoint.parquet")) {
            add_ckpt(out, &kalloc, v, 1);
        } else if (len == 20 + 12 + 10 + 1 + 10 + 8 &&
                   !strncmp(n + 20, ".checkpoint.", 12) &&
                   parse_digits(n + 32, 10, &k) == 0 && n[42] == '.' &&
                   parse_digits(n + 43, 10, &p) == 0 &&
                   !strcmp(n + 53, ".parquet") && p >= 1 && k >= 1 && k <= p &&
                   p < 100000) {
            add_ckpt(out, &kalloc, v, (int)p);
        }
    }
    closedir(d);
    if (out->ncommits)
        qsort(out->commits, out->ncommits, sizeof(int64_t), cmp_i64);
    if (out->nckpts)
        qsort(out->ckpts, out->nckpts, sizeof(*out->ckpts), cmp_ckpt);
    return 0;
}

void lake_log_listing_release(struct lake_log_listing *l)
{
    free(l->commits);
    free(l->ckpts);
    memset(l, 0, sizeof(*l));
}

char *lake_log_commit_path(const char *log_dir, int64_t version)
{
    return ju_xasprintf("%s/%020lld.json", log_dir, (long long)version);
}

char *lake_log_ckpt_path(const char *log_dir, int64_t version, int part,
                         int parts)
{
    if (parts <= 1)
        return ju_xasprintf("%s/%020lld.checkpoint.parquet", log_dir,
                            (long long)version);
    return ju_xasprintf("%s/%020lld.checkpoint.%010d.%010d.parquet", log_dir,
                        (long long)version, part, parts);
}

int lake_log_has_commit(const struct lake_log_listing *l, int64_t v)
{
    size_t lo = 0;
    size_t hi = l->ncommits;

    while (lo < hi) {
        size_t mid = (lo + hi) / 2;

        if (l->commits[mid] == v)
            return 1;
        if (l->commits[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int lake_log_version_times(const char *log_dir,
                           const struct lake_log_listing *l, int64_t **times,
                           int64_t **versions, size_t *n)
{
    size_t i;
    int64_t prev = INT64_MIN;

    *times = ju_xcalloc(l->ncommits ? l->ncommits : 1, sizeof(int64_t));
    *versions = ju_xcalloc(l->ncommits ? l->ncommits : 1, sizeof(int64_t));
    for (i = 0; i < l->ncommits; i++) {
        char *p = lake_log_commit_path(log_dir, l->commits[i]);
        int64_t ms = 0;

        (void)lake_fs_mtime_ms(p, &ms);
        free(p);
        /* Spark: adjust upwards so that times increase with versions */
        if (ms <= prev)
            ms = prev + 1;
        prev = ms;
        (*times)[i] = ms;
        (*versions)[i] = l->commits[i];
    }
    *n = l->ncommits;
    return 0;
}

int lake_table_history(struct lake_table *t, size_t limit,
                       struct lake_history_entry **out, size_t *n)
{
    struct lake_log_listing l;
    int64_t *times = NULL;
    int64_t *versions = NULL;
    size_t nv = 0;
    size_t i;
    size_t cnt = 0;
    struct lake_history_entry *h;
    int rc = lake_log_list(t->log_dir, &l);

    *out = NULL;
    *n = 0;
    if (rc)
        return rc;
    lake_log_version_times(t->log_dir, &l, &times, &versions, &nv);
    h = ju_xcalloc(nv ? nv : 1, sizeof(*h));
    for (i = nv; i-- > 0;) {
        char *p;
        char *data = NULL;
        size_t len = 0;
        const char *line;

        if (limit && cnt >= limit)
            break;
        if (versions[i] > t->snap->version)
            continue;
        h[cnt].version = versions[i];
        h[cnt].timestamp_ms = times[i];
        p = lake_log_commit_path(t->log_dir, versions[i]);
        if (lake_fs_read_file(p, LAKE_DELTA_COMMIT_CAP, &data, &len) == 0) {
            line = data;
            while (line && *line) {
                const char *nl =
                    memchr(line, '\n', len - (size_t)(line - data));
                size_t ll = nl ? (size_t)(nl - line) : strlen(line);
                json_t *j = json_loadb(line, ll, 0, NULL);
                json_t *ci = j ? json_object_get(j, "commitInfo") : NULL;

                if (ci) {
                    json_t *op = json_object_get(ci, "operation");
                    char *s = json_dumps(ci, JSON_COMPACT);

                    if (json_is_string(op))
                        h[cnt].operation = ju_xstrdup(json_string_value(op));
                    h[cnt].commit_info = ju_xstrdup(s);
                    free(s);
                }
                json_decref(j);
                if (ci)
                    break;
                line = nl ? nl + 1 : NULL;
            }
            free(data);
        }
        free(p);
        cnt++;
    }
    free(times);
    free(versions);
    lake_log_listing_release(&l);
    *out = h;
    *n = cnt;
    return 0;
}

void lake_history_free(struct lake_history_entry *h, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(h[i].operation);
        free(h[i].commit_info);
    }
    free(h);
}
