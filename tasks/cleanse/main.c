/*
 * main.c: jobctl-silver-cleanse: bronze_events -> silver_events. Reads only
 * the bronze commits after the version recorded in silver's txn
 * (appId silver_cleanse:bronze_events), filters and casts, keeps one row
 * per event_id with the latest timestamp (also against silver), writes
 * partitioned by event_type, logs the step to benchmark_logs, and
 * optionally runs OPTIMIZE [ZORDER BY].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanse.h"
#include "jobctl/err.h"
#include "lake/delta.h"
#include "taskcommon/tablelog.h"
#include "taskcommon/task.h"
#include "util/log.h"
#include "util/mem.h"

#define APP_ID "silver_cleanse:bronze_events"
#define PREFETCH_BLOCK 32

enum { S_ID, S_TYPE, S_TS, S_VALUE, S_UNIX };

/*
 * Candidate silver rows are staged per event_type, so that each stage is
 * one silver partition written as is (no regrouping or copies); the dedup
 * index refers to CLEANSE_ROW(type, row). Rows superseded by a later
 * duplicate are flagged dead and compacted away before the write.
 */
struct cleanse {
    struct lake_batch *stage[CLEANSE_NTYPES];
    const struct lake_column *keys[CLEANSE_NTYPES]; /* stage event_ids */
    uint8_t *alive[CLEANSE_NTYPES];
    size_t alive_cap[CLEANSE_NTYPES];
    struct cleanse_index ix;
    int64_t read, filtered, dups, replaced, stale;
    int need_rewrite;
    char **affected; /* paths of silver files holding replaced rows */
    size_t naffected, affected_cap;
    struct lake_batch *kept; /* rows of rewritten silver files that stay */
};

static const char *const known_opts[] = {"optimize", "zorder-by", "bronze",
                                         "silver", NULL};

/* Rows in bronze files added after version last (from the stats; used
 * only to pre-size the dedup index). */
static size_t expected_rows(struct lake_table *bronze, int64_t last)
{
    const struct lake_snapshot *snap = lake_table_snapshot(bronze);
    size_t i, n = 0;

    (void)last;
    for (i = 0; i < snap->nfiles; i++)
        if (snap->files[i].num_records > 0)
            n += (size_t)snap->files[i].num_records;
    return n;
}

/* Timestamp of staged row j (a CLEANSE_ROW). */
static int64_t staged_ts(const struct cleanse *cx, int64_t j)
{
    const struct lake_column *c = &cx->stage[CLEANSE_ROW_COL(j)]->columns[S_TS];

    return ((const int64_t *)c->values)[CLEANSE_ROW_IDX(j)];
}

static uint8_t *staged_alive(struct cleanse *cx, int64_t j)
{
    return &cx->alive[CLEANSE_ROW_COL(j)][CLEANSE_ROW_IDX(j)];
}

/* Room for one more row must be reserved in the index (on_bronze does it
 * per block of rows). */
static void stage_row(struct cleanse *cx, const char *id, size_t idn, int type,
                      int64_t ts, double v, uint64_t h)
{
    struct lake_column *c = cx->stage[type]->columns;
    int64_t j;
    size_t slot = cleanse_index_find_h(&cx->ix, cx->keys, id, idn, h, &j);
    size_t row;

    if (j >= 0) {
        if (ts <= staged_ts(cx, j)) {
            cx->dups++;
            return;
        }
        *staged_alive(cx, j) = 0;
        cx->dups++;
    }
    row = c[S_ID].length;
    lake_batch_append_str(&c[S_ID], id, idn);
    lake_batch_append_str(&c[S_TYPE], cleanse_types[type],
                          strlen(cleanse_types[type]));
    lake_batch_append_i64(&c[S_TS], ts);
    lake_batch_append_f64(&c[S_VALUE], v);
    lake_batch_append_i64(&c[S_UNIX], cleanse_unix_seconds(ts));
    JU_ALLOC_GROW(cx->alive[type], row + 1, cx->alive_cap[type]);
    cx->alive[type][row] = 1;
    cleanse_index_set(&cx->ix, slot, h, CLEANSE_ROW(type, row));
}

static int on_bronze(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    struct cleanse *cx = ud;
    struct lake_column *id = lake_batch_column(b, "event_id");
    struct lake_column *ty = lake_batch_column(b, "event_type");
    struct lake_column *ts = lake_batch_column(b, "timestamp");
    struct lake_column *va = lake_batch_column(b, "value");
    size_t r;

    uint64_t hashes[PREFETCH_BLOCK];
    size_t r0;

    (void)f;
    if (!id || !ty || !ts || !va)
        return jc_err_set(JC_EINVAL, "bronze file lacks event columns");
    /* Blocks of rows: hash and prefetch every key's slot first, so the
     * cache misses of the probes overlap. */
    for (r0 = 0; r0 < b->num_rows; r0 += PREFETCH_BLOCK) {
        size_t r1 = r0 + PREFETCH_BLOCK < b->num_rows ? r0 + PREFETCH_BLOCK
                                                      : b->num_rows;
        cleanse_index_reserve(&cx->ix, r1 - r0);
        for (r = r0; r < r1; r++) {
            size_t n = 0;
            const char *p = "";
            if (!lake_column_is_null(id, r))
                p = lake_column_get_str(id, r, &n);
            hashes[r - r0] = cleanse_index_hash(p, n);
            cleanse_index_prefetch(&cx->ix, hashes[r - r0]);
        }
        for (r = r0; r < r1; r++) {
            const char *idp, *typ, *vap;
            size_t idn, tyn, van;
            int type;
            double v;

            cx->read++;
            if (lake_column_is_null(id, r) || lake_column_is_null(ty, r) ||
                lake_column_is_null(ts, r) || lake_column_is_null(va, r)) {
                cx->filtered++;
                continue;
            }
            idp = lake_column_get_str(id, r, &idn);
            typ = lake_column_get_str(ty, r, &tyn);
            vap = lake_column_get_str(va, r, &van);
            type = cleanse_event_type(typ, tyn);
            if (!idn || type < 0 || cleanse_parse_value(vap, van, &v)) {
                cx->filtered++;
                continue;
            }
            stage_row(cx, idp, idn, type, ((int64_t *)ts->values)[r], v,
                      hashes[r - r0]);
        }
    }
    return 0;
}

/* Pass 1 over silver: drop staged rows that silver already has with a
 * newer or equal timestamp; note rows that need replacing. */
static int on_silver_keys(void *ud, const struct lake_file *f,
                          struct lake_batch *b)
{
    struct cleanse *cx = ud;
    struct lake_column *id = lake_batch_column(b, "event_id");
    struct lake_column *ts = lake_batch_column(b, "timestamp");
    size_t r;
    int noted = 0;

    for (r = 0; r < b->num_rows; r++) {
        const char *p;
        size_t n;
        int64_t j;
        if (lake_column_is_null(id, r))
            continue;
        p = lake_column_get_str(id, r, &n);
        j = cleanse_index_get(&cx->ix, cx->keys, p, n);
        if (j < 0 || !*staged_alive(cx, j))
            continue;
        if (((int64_t *)ts->values)[r] >= staged_ts(cx, j)) {
            *staged_alive(cx, j) = 0;
            cx->stale++;
        } else {
            cx->need_rewrite = 1;
            cx->replaced++;
            if (!noted) {
                JU_ALLOC_GROW(cx->affected, cx->naffected + 1,
                              cx->affected_cap);
                cx->affected[cx->naffected++] = ju_xstrdup(f->path);
                noted = 1;
            }
        }
    }
    return 0;
}

static void copy_value(struct lake_column *dst, const struct lake_column *src,
                       size_t r)
{
    if (lake_column_is_null(src, r)) {
        lake_batch_append_null(dst);
        return;
    }
    switch (dst->type) {
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY: {
        size_t n;
        const char *p = lake_column_get_str(src, r, &n);
        lake_batch_append_str(dst, p, n);
        break;
    }
    case LAKE_TYPE_DOUBLE:
        lake_batch_append_f64(dst, lake_column_get_f64(src, r));
        break;
    default:
        lake_batch_append_i64(dst, lake_column_get_i64(src, r));
        break;
    }
}

/* Pass 2 (affected files only): keep the rows that are not replaced. */
static int keep_rows(struct cleanse *cx, struct lake_batch *b)
{
    struct lake_column *src[5];
    static const char *const names[5] = {"event_id", "event_type", "timestamp",
                                         "value", "timestamp_unix"};
    size_t r, k;

    for (k = 0; k < 5; k++) {
        src[k] = lake_batch_column(b, names[k]);
        if (!src[k])
            return jc_err_set(JC_EINVAL, "silver file lacks column '%s'",
                              names[k]);
    }
    for (r = 0; r < b->num_rows; r++) {
        if (!lake_column_is_null(src[0], r)) {
            size_t n;
            const char *p = lake_column_get_str(src[0], r, &n);
            int64_t j = cleanse_index_get(&cx->ix, cx->keys, p, n);
            if (j >= 0 && *staged_alive(cx, j))
                continue; /* replaced by a newer staged row */
        }
        for (k = 0; k < 5; k++)
            copy_value(&cx->kept->columns[k], src[k], r);
    }
    return 0;
}

static int path_cmp(const void *a, const void *b);

/* Rewrite only the silver files holding replaced rows: their other rows
 * go into cx->kept and the files are removed in the same commit. */
static int rewrite_affected(struct cleanse *cx, struct lake_table *silver,
                            struct lake_txn *tx)
{
    const struct lake_snapshot *snap = lake_table_snapshot(silver);
    size_t i;
    int rc = 0;

    qsort(cx->affected, cx->naffected, sizeof(*cx->affected), path_cmp);
    for (i = 0; i < snap->nfiles && !rc; i++) {
        const struct lake_file *f = &snap->files[i];
        const char *p = f->path;
        struct lake_batch *b = NULL;
        if (!bsearch(&p, cx->affected, cx->naffected, sizeof(char *), path_cmp))
            continue;
        rc = lake_table_read_file(silver, f, NULL, &b);
        if (!rc)
            rc = keep_rows(cx, b);
        if (b)
            lake_batch_free(b);
        if (!rc)
            rc = lake_txn_remove_file(tx, f);
    }
    return rc;
}

/* Drop the rows of b flagged 0 in alive, in place (flat columns without
 * nulls, as staged). */
static void compact(struct lake_batch *b, const uint8_t *alive)
{
    size_t n = b->columns[0].length, k, r, w;

    for (k = 0; k < b->n_columns; k++) {
        struct lake_column *c = &b->columns[k];
        if (c->offsets) {
            int64_t *off = c->offsets, a = off[0], pos = off[0];
            for (r = 0, w = 0; r < n; r++) {
                int64_t e = off[r + 1];
                if (alive[r]) {
                    if (pos != a)
                        memmove(c->data + pos, c->data + a, (size_t)(e - a));
                    pos += e - a;
                    off[++w] = pos;
                }
                a = e;
            }
            c->data_len = (size_t)pos;
        } else {
            char *v = c->values;
            for (r = 0, w = 0; r < n; r++) {
                if (alive[r]) {
                    if (w != r)
                        memcpy(v + w * c->width, v + r * c->width, c->width);
                    w++;
                }
            }
        }
        c->length = w;
    }
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int log_benchmark(double elapsed, int64_t rows, int64_t bytes)
{
    struct lake_schema s;
    struct lake_table *t;
    struct lake_batch *b;
    int rc;

    cleanse_benchmark_schema(&s);
    rc = task_log_open("benchmark_logs", &s, &t, &b);
    lake_schema_release(&s);
    if (rc)
        return rc;
    lake_batch_append_str(&b->columns[0], "silver_write", 12);
    lake_batch_append_f64(&b->columns[1], elapsed);
    lake_batch_append_i64(&b->columns[2], task_now_us());
    task_log_append_run_id(&b->columns[3]);
    lake_batch_append_i64(&b->columns[4], rows);
    lake_batch_append_i64(&b->columns[5], bytes);
    return task_log_commit(t, b);
}

static int run(int argc, char **argv)
{
    const char *bronze_name = task_param(argc, argv, "bronze");
    const char *silver_name = task_param(argc, argv, "silver");
    const char *zorder = task_param(argc, argv, "zorder-by");
    static const char *const part_cols[] = {"event_type"};
    static const char *const bcols[] = {"event_id", "event_type", "timestamp",
                                        "value"};
    static const char *const kcols[] = {"event_id", "timestamp"};
    struct lake_scan_opts bopts = {bcols, 4, NULL, 0};
    struct lake_scan_opts kopts = {kcols, 2, NULL, 0};
    struct lake_table *bronze = NULL, *silver = NULL;
    struct lake_schema schema;
    struct lake_txn *tx = NULL;
    struct cleanse cx;
    char *bpath, *spath, **before = NULL, buf[64];
    size_t nbefore = 0, i;
    int before_owned = 0;
    int64_t last = -1, bronze_v, silver_v = -1, bytes = 0, written = 0;
    double t0 = task_mono(), elapsed;
    int rc;

    memset(&cx, 0, sizeof(cx));
    bpath = task_table_path(bronze_name && *bronze_name ? bronze_name
                                                        : "bronze_events");
    spath = task_table_path(silver_name && *silver_name ? silver_name
                                                        : "silver_events");
    rc = lake_table_open(&bronze, bpath);
    if (rc) {
        jc_err_wrap(rc, "cannot open bronze table '%s'", bpath);
        goto out;
    }
    bronze_v = lake_table_version(bronze);
    cleanse_silver_schema(&schema);
    rc = lake_table_create_if_absent(&silver, spath, &schema, part_cols, 1,
                                     NULL);
    if (rc) {
        lake_schema_release(&schema);
        jc_err_wrap(rc, "cannot open silver table '%s'", spath);
        goto out;
    }
    if (lake_table_txn_version(silver, APP_ID, &last))
        last = -1;
    for (i = 0; i < CLEANSE_NTYPES; i++) {
        cx.stage[i] = lake_batch_new(&schema);
        cx.keys[i] = &cx.stage[i]->columns[S_ID];
    }
    cleanse_index_init(&cx.ix, expected_rows(bronze, last));
    if (last >= bronze_v) {
        log_info("bronze_events v%lld already processed", (long long)last);
        silver_v = lake_table_version(silver);
        lake_schema_release(&schema);
        goto done;
    }
    rc = lake_table_scan_changes(bronze, last, &bopts, on_bronze, &cx, NULL);
    if (rc) {
        lake_schema_release(&schema);
        jc_err_wrap(rc, "cannot read bronze changes after v%lld",
                    (long long)last);
        goto out;
    }
    rc = lake_txn_begin(silver, &tx);
    if (!rc)
        rc = lake_table_scan(silver, &kopts, on_silver_keys, &cx, NULL);
    if (!rc) {
        const struct lake_snapshot *snap = lake_table_snapshot(silver);
        nbefore = snap->nfiles;
        before = ju_xcalloc(nbefore + 1, sizeof(*before));
        for (i = 0; i < nbefore; i++)
            before[i] = snap->files[i].path;
    }
    if (!rc) {
        cx.kept = lake_batch_new(&schema);
        if (cx.need_rewrite)
            rc = rewrite_affected(&cx, silver, tx);
        written = (int64_t)cx.kept->columns[0].length;
        for (i = 0; i < CLEANSE_NTYPES && !rc; i++) {
            compact(cx.stage[i], cx.alive[i]);
            written += (int64_t)cx.stage[i]->columns[0].length;
        }
        for (i = 0; i < CLEANSE_NTYPES + 1 && !rc; i++)
            rc = lake_batch_seal(i < CLEANSE_NTYPES ? cx.stage[i] : cx.kept);
        if (!rc) {
            /* the partitions' files are written in parallel */
            const struct lake_batch *all[CLEANSE_NTYPES + 1];
            for (i = 0; i < CLEANSE_NTYPES; i++)
                all[i] = cx.stage[i];
            all[CLEANSE_NTYPES] = cx.kept;
            rc = lake_txn_append_batches(tx, all, CLEANSE_NTYPES + 1);
        }
    }
    lake_schema_release(&schema);
    if (!rc)
        rc = lake_txn_set_app_txn(tx, APP_ID, bronze_v);
    if (rc) {
        if (tx)
            lake_txn_abort(tx);
        goto out;
    }
    /* Paths of the files before the commit (sorted copy: the snapshot is
     * replaced by the commit). */
    for (i = 0; i < nbefore; i++)
        before[i] = ju_xstrdup(before[i]);
    before_owned = 1;
    rc = lake_txn_commit(tx, cx.need_rewrite ? "MERGE" : "WRITE", NULL,
                         &silver_v);
    tx = NULL;
    if (rc == JC_EEXIST) {
        log_warn("bronze_events v%lld was already processed by another run",
                 (long long)bronze_v);
        rc = 0;
        silver_v = lake_table_version(silver);
    } else if (rc) {
        goto out;
    } else {
        const struct lake_snapshot *snap = lake_table_snapshot(silver);
        qsort(before, nbefore, sizeof(*before), path_cmp);
        for (i = 0; i < snap->nfiles; i++) {
            const char *p = snap->files[i].path;
            if (!bsearch(&p, before, nbefore, sizeof(*before), path_cmp))
                bytes += snap->files[i].size;
        }
    }
done:
    elapsed = task_mono() - t0;
    rc = log_benchmark(elapsed, written, bytes);
    if (rc) {
        jc_err_wrap(rc, "cannot append to 'benchmark_logs'");
        goto out;
    }
    if (task_flag(argc, argv, "optimize")) {
        struct lake_optimize_result res;
        const char *cols[16];
        char *copy = NULL, *save = NULL, *tok;
        size_t nz = 0;
        if (zorder && *zorder) {
            copy = ju_xstrdup(zorder);
            for (tok = strtok_r(copy, ",", &save); tok && nz < 16;
                 tok = strtok_r(NULL, ",", &save))
                cols[nz++] = tok;
        }
        rc = lake_table_optimize(silver, cols, nz, 0, &res);
        free(copy);
        if (rc) {
            jc_err_wrap(rc, "cannot optimize '%s'", spath);
            goto out;
        }
        printf("optimized silver_events: %zu files -> %zu files%s\n",
               res.files_removed, res.files_added, nz ? " (z-ordered)" : "");
        if (res.version >= 0)
            silver_v = res.version;
    }
    printf("cleansed bronze_events v%lld..v%lld: read %lld rows, filtered "
           "%lld, dropped %lld duplicates and %lld older than silver, "
           "replaced %lld (rewrote %zu files); wrote %lld rows (%lld bytes) "
           "in %.2fs; silver_events v%lld\n",
           (long long)(last + 1), (long long)bronze_v, (long long)cx.read,
           (long long)cx.filtered, (long long)cx.dups, (long long)cx.stale,
           (long long)cx.replaced, cx.naffected, (long long)written,
           (long long)bytes, elapsed, (long long)silver_v);
    snprintf(buf, sizeof(buf), "%lld", (long long)written);
    task_value_set("silver_rows_written", buf);
    snprintf(buf, sizeof(buf), "%lld", (long long)silver_v);
    task_value_set("silver_version", buf);
out:
    if (before) {
        if (before_owned)
            for (i = 0; i < nbefore; i++)
                free(before[i]);
        free(before);
    }
    for (i = 0; i < CLEANSE_NTYPES; i++) {
        if (cx.stage[i])
            lake_batch_free(cx.stage[i]);
        free(cx.alive[i]);
    }
    if (cx.kept)
        lake_batch_free(cx.kept);
    for (i = 0; i < cx.naffected; i++)
        free(cx.affected[i]);
    free(cx.affected);
    if (cx.ix.slots)
        cleanse_index_release(&cx.ix);
    if (bronze)
        lake_table_close(bronze);
    if (silver)
        lake_table_close(silver);
    free(bpath);
    free(spath);
    return rc;
}

int main(int argc, char **argv)
{
    int rc;

    ju_log_init_from_env();
    if (task_check_args_ex(argc, argv, known_opts, 0)) {
        fprintf(stderr, "jobctl-silver-cleanse: %s\n", jc_err_last());
        fprintf(stderr, "usage: jobctl-silver-cleanse [--optimize "
                        "[--zorder-by COL,...]] [--bronze T] [--silver T]\n");
        return TASK_EXIT_USAGE;
    }
    rc = run(argc, argv);
    if (rc) {
        fprintf(stderr, "jobctl-silver-cleanse: %s\n", jc_err_last());
        return rc == JC_ECONFLICT || rc == JC_EBUSY ? TASK_EXIT_RETRY
                                                    : TASK_EXIT_FAIL;
    }
    return TASK_EXIT_OK;
}
