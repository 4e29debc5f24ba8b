/*
 * bench_replay.c: Delta log replay speed. Builds a table with N commits
 * (checkpoints every 10, as jobctl writes them), then times opening the
 * latest snapshot, and the same log with the checkpoints hidden (pure JSON
 * replay) as the baseline. Usage: bench_replay DIR [COMMITS] [REPEAT].
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double time_open(const char *path, int repeat, int64_t *version,
                        size_t *nfiles, int64_t *ckpt)
{
    double *t = calloc((size_t)repeat, sizeof(double));
    double med;
    int i;

    for (i = 0; i < repeat; i++) {
        struct lake_table *tb = NULL;
        double t0 = now_ms();

        if (lake_table_open(&tb, path)) {
            fprintf(stderr, "open '%s': %s\n", path, jc_err_last());
            exit(1);
        }
        t[i] = now_ms() - t0;
        *version = lake_table_version(tb);
        *nfiles = lake_table_snapshot(tb)->nfiles;
        *ckpt = lake_table_snapshot(tb)->checkpoint_version;
        lake_table_close(tb);
    }
    qsort(t, (size_t)repeat, sizeof(double), cmp_d);
    med = t[repeat / 2];
    free(t);
    return med;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/jc-bench-replay";
    int commits = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1000;
    int repeat = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 15;
    char path[4096], json_only[4096], p1[8192], p2[8192];
    struct lake_schema *s = lake_schema_new();
    const char *parts[] = {"p"};
    struct lake_table *t = NULL;
    double t0, build_s, ck, js;
    int64_t v1, v2, c1, c2;
    size_t f1, f2;
    DIR *d;
    struct dirent *e;
    int i, k;

    snprintf(path, sizeof(path), "%s/table", dir);
    snprintf(json_only, sizeof(json_only), "%s/json_only", dir);
    lake_schema_add_simple(s, "id", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "v", LAKE_TYPE_DOUBLE, true);
    lake_schema_add_simple(s, "name", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "p", LAKE_TYPE_STRING, true);
    if (lake_table_create_if_absent(&t, path, s, parts, 1, NULL)) {
        fprintf(stderr, "create: %s\n", jc_err_last());
        return 1;
    }
    t0 = now_ms();
    for (i = 0; i < commits - 1; i++) {
        struct lake_batch *b = lake_batch_new(s);
        char name[32], p[8];

        for (k = 0; k < 10; k++) {
            int n = snprintf(name, sizeof(name), "row-%d-%d", i, k);

            lake_batch_append_i64(&b->columns[0], (int64_t)i * 10 + k);
            lake_batch_append_f64(&b->columns[1], i * 0.5 + k);
            lake_batch_append_str(&b->columns[2], name, (size_t)n);
            n = snprintf(p, sizeof(p), "p%d", i % 4);
            lake_batch_append_str(&b->columns[3], p, (size_t)n);
        }
        lake_batch_seal(b);
        if (lake_table_append(t, b, 0, NULL)) {
            fprintf(stderr, "append: %s\n", jc_err_last());
            return 1;
        }
        lake_batch_free(b);
    }
    build_s = (now_ms() - t0) / 1e3;
    lake_table_close(t);
    /* same log without checkpoints: hard links of the JSON commits */
    snprintf(p1, sizeof(p1), "%s/_delta_log", json_only);
    mkdir(json_only, 0755);
    mkdir(p1, 0755);
    snprintf(p1, sizeof(p1), "%s/_delta_log", path);
    d = opendir(p1);
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);

        if (n == 25 && !strcmp(e->d_name + 20, ".json")) {
            snprintf(p1, sizeof(p1), "%s/_delta_log/%s", path, e->d_name);
            snprintf(p2, sizeof(p2), "%s/_delta_log/%s", json_only, e->d_name);
            if (link(p1, p2) < 0 && errno != EEXIST) {
                perror("link");
                return 1;
            }
        }
    }
    if (d)
        closedir(d);
    ck = time_open(path, repeat, &v1, &f1, &c1);
    js = time_open(json_only, repeat, &v2, &f2, &c2);
    printf("replay of a %d-commit Delta table (%zu active files; built in "
           "%.1f s)\n",
           commits, f1, build_s);
    printf("%-46s %8s %10s\n", "open latest snapshot (median of runs)",
           "version", "ms");
    printf("%-46s %8lld %10.2f\n", "jobctl, from checkpoint + JSON tail",
           (long long)v1, ck);
    printf("%-46s %8lld %10.2f\n", "baseline: jobctl, JSON log only (no ckpt)",
           (long long)v2, js);
    printf("checkpoint used: %lld; speedup vs JSON-only replay: %.1fx; "
           "target 50 ms: %s (%.2f of target)\n",
           (long long)c1, js / ck, ck < 50 ? "met" : "MISSED", ck / 50.0);
    lake_schema_free(s);
    return (v1 == v2 && f1 == f2) ? 0 : 1;
}
