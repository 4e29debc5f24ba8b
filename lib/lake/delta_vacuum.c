/*
 * delta_vacuum.c: VACUUM: delete files under the table directory that the
 * current snapshot does not reference (active adds, tombstones still inside
 * the retention window) and that are older than the retention period.
 * Skips hidden paths (only stale temp files of crashed commits are removed
 * from _delta_log); removes empty directories.
 */
#include "delta_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/mem.h"

struct vac {
    char **keep;
    size_t nkeep;
    int64_t cutoff_ms;
    int dry_run;
    struct lake_vacuum_result *res;
    size_t alloc;
    int depth;
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int kept(const struct vac *v, const char *rel)
{
    return bsearch(&rel, v->keep, v->nkeep, sizeof(char *), cmp_str) != NULL;
}

static int walk(struct vac *v, const char *root, const char *rel)
{
    char *dir = rel[0] ? ju_xasprintf("%s/%s", root, rel) : ju_xstrdup(root);
    DIR *d = opendir(dir);
    struct dirent *e;
    int rc = 0;

    if (!d) {
        rc = jc_err_set(JC_EIO, "cannot list '%s': %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        char *r;
        char *full;
        struct stat st;

        if (!strcmp(n, ".") || !strcmp(n, ".."))
            continue;
        r = rel[0] ? ju_xasprintf("%s/%s", rel, n) : ju_xstrdup(n);
        full = ju_xasprintf("%s/%s", root, r);
        if (lstat(full, &st) < 0) {
            free(r);
            free(full);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            /* hidden dirs (_delta_log, .tmp, _change_data) are skipped;
             * partition dirs "col=value" are walked */
            if ((n[0] == '_' || n[0] == '.') && !strchr(n, '='))
                ;
            else if (v->depth < 64) {
                v->depth++;
                rc = walk(v, root, r);
                v->depth--;
                if (!v->dry_run)
                    (void)rmdir(full); /* only succeeds when empty */
            }
        } else if (S_ISREG(st.st_mode) && n[0] != '_' && n[0] != '.' &&
                   !kept(v, r)) {
            int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000 +
                         st.st_mtim.tv_nsec / 1000000;

            if (mt < v->cutoff_ms) {
                if (!v->dry_run && unlink(full) < 0 && errno != ENOENT)
                    rc = jc_err_set(JC_EIO, "cannot delete '%s': %s", full,
                                    strerror(errno));
                if (rc == 0) {
                    JU_ALLOC_GROW(v->res->files, v->res->nfiles + 1, v->alloc);
                    v->res->files[v->res->nfiles++] = ju_xstrdup(r);
                    v->res->bytes += (int64_t)st.st_size;
                }
            }
        }
        free(r);
        free(full);
    }
    closedir(d);
    free(dir);
    return rc;
}

/* Temp files of crashed commits/checkpoints in _delta_log
 * (".<name>.<uuid>.tmp", never read) past the retention cutoff. */
static int clean_log_temps(struct lake_table *t, struct vac *v)
{
    DIR *d = opendir(t->log_dir);
    struct dirent *e;

    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        char *full;
        struct stat st;

        if (e->d_name[0] != '.' || n < 5 || strcmp(e->d_name + n - 4, ".tmp"))
            continue;
        full = ju_xasprintf("%s/%s", t->log_dir, e->d_name);
        if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
            (int64_t)st.st_mtim.tv_sec * 1000 < v->cutoff_ms) {
            if (v->dry_run || unlink(full) == 0) {
                JU_ALLOC_GROW(v->res->files, v->res->nfiles + 1, v->alloc);
                v->res->files[v->res->nfiles++] =
                    ju_xasprintf("_delta_log/%s", e->d_name);
                v->res->bytes += (int64_t)st.st_size;
            }
        }
        free(full);
    }
    closedir(d);
    return 0;
}

/* "interval 1 week", "interval 168 hours", ... -> hours; <0 if bad */
static double parse_interval(const char *s)
{
    double n;
    char unit[32];

    if (!s)
        return -1;
    if (!strncmp(s, "interval ", 9))
        s += 9;
    if (sscanf(s, "%lf %31s", &n, unit) != 2 || n < 0)
        return -1;
    if (!strncmp(unit, "week", 4))
        return n * 168;
    if (!strncmp(unit, "day", 3))
        return n * 24;
    if (!strncmp(unit, "hour", 4))
        return n;
    if (!strncmp(unit, "minute", 6))
        return n / 60;
    if (!strncmp(unit, "second", 6))
        return n / 3600;
    return -1;
}

double lake_delta__retention_hours(const struct lake_snapshot *s)
{
    size_t i;
    double h = -1;

    for (i = 0; i < s->nconfig; i++) {
        if (!strcmp(s->config[i].key, "delta.deletedFileRetentionDuration"))
            h = parse_interval(s->config[i].value);
    }
    return h < 0 ? LAKE_DELTA_DEFAULT_RETENTION_HOURS : h;
}

int lake_table_vacuum(struct lake_table *t, double retain_hours, int dry_run,
                      int force, struct lake_vacuum_result *res)
{
    const struct lake_snapshot *s = t->snap;
    double cfg = parse_interval(
        lake_table_config(t, "delta.deletedFileRetentionDuration"));
    struct vac v;
    int64_t now = lake_fs_now_ms();
    size_t i;
    int rc;

    memset(res, 0, sizeof(*res));
    if (cfg < 0)
        cfg = LAKE_DELTA_DEFAULT_RETENTION_HOURS;
    if (retain_hours < 0)
        retain_hours = cfg;
    if (retain_hours < cfg && !force)
        return jc_err_set(JC_EINVAL,
                          "retention of %g hours is below the table's "
                          "retention period of %g hours "
                          "(delta.deletedFileRetentionDuration); concurrent "
                          "readers or writers could lose files; use force to "
                          "override",
                          retain_hours, cfg);
    rc = lake_snapshot_check_writer(s);
    if (rc)
        return rc;
    memset(&v, 0, sizeof(v));
    v.cutoff_ms = now - (int64_t)(retain_hours * 3600.0 * 1000.0);
    v.dry_run = dry_run;
    v.res = res;
    v.keep = ju_xcalloc(s->nfiles + s->ntombstones + 1, sizeof(char *));
    for (i = 0; i < s->nfiles; i++)
        v.keep[v.nkeep++] = lake_delta_uri_decode(s->files[i].path);
    for (i = 0; i < s->ntombstones; i++) {
        if (s->tombstones[i].deletion_timestamp >= v.cutoff_ms)
            v.keep[v.nkeep++] = lake_delta_uri_decode(s->tombstones[i].path);
    }
    qsort(v.keep, v.nkeep, sizeof(char *), cmp_str);
    rc = walk(&v, t->path, "");
    if (rc == 0)
        rc = clean_log_temps(t, &v);
    for (i = 0; i < v.nkeep; i++)
        free(v.keep[i]);
    free(v.keep);
    return rc;
}

void lake_vacuum_result_free(struct lake_vacuum_result *res)
{
    size_t i;

    for (i = 0; i < res->nfiles; i++)
        free(res->files[i]);
    free(res->files);
    memset(res, 0, sizeof(*res));
}
