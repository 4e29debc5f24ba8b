/*
 * delta_write.c: the data files of a write transaction: rows grouped by
 * partition values (Hive directories, Spark escaping), one Parquet file
 * per group, written on up to one thread per CPU, then recorded as add
 * actions in order (delta_commit.c commits them).
 */
#include "delta_int.h"
#include "delta_txn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---- row copy (partition split, OPTIMIZE) ---- */

void lake_column__copy_row(struct lake_column *dst,
                           const struct lake_column *src, size_t i)
{
    size_t k, b, e;

    if (lake_column_is_null(src, i)) {
        lake_batch_append_null(dst);
        return;
    }
    switch (src->type) {
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY: {
        size_t n;
        const char *p = lake_column_get_str(src, i, &n);

        lake_batch_append_str(dst, p, n);
        return;
    }
    case LAKE_TYPE_STRUCT:
        lake_batch_append_struct(dst);
        for (k = 0; k < src->n_children; k++)
            lake_column__copy_row(&dst->children[k], &src->children[k], i);
        return;
    case LAKE_TYPE_ARRAY:
    case LAKE_TYPE_MAP:
        lake_column_get_range(src, i, &b, &e);
        for (; b < e; b++) {
            for (k = 0; k < src->n_children; k++)
                lake_column__copy_row(&dst->children[k], &src->children[k], b);
        }
        lake_batch_end_list(dst);
        return;
    default:
        lake_column__ensure(dst);
        lake_column__mark_valid(dst);
        memcpy((char *)dst->values + dst->length * dst->width,
               (const char *)src->values + i * src->width, src->width);
        dst->length++;
        return;
    }
}

/* ---- writing files ---- */

#define MAX_WRITE_THREADS 4

/* One data file: rows of a batch (all, or the listed ones) with their
 * partition values. Prepared (path, directory) on the calling thread,
 * written on a worker, recorded as an add action on the calling thread. */
struct file_job {
    const struct lake_batch *data; /* table data columns */
    const size_t *rows;            /* rows of data to write; NULL = all */
    size_t nrows;
    const struct lake_kv *part;
    size_t npart;
    int data_change;
    struct ju_buf rel; /* path relative to the table, not URI-encoded */
    char *abs;
    int written;
    int rc;
    char err[1024];
    struct lake_parquet_file_stats st;
};

struct job_queue {
    struct lake_txn *tx;
    struct file_job *jobs;
    size_t n;
    size_t next;
    pthread_mutex_t mu;
};

static int prepare_job(struct lake_txn *tx, struct file_job *j)
{
    char uuid[37];
    size_t i;

    for (i = 0; i < j->npart; i++) {
        char *esc = lake_delta_hive_escape(j->part[i].value);

        ju_buf_addf(&j->rel, "%s=%s/", j->part[i].key, esc);
        free(esc);
    }
    if (j->npart) {
        char *dir = ju_xasprintf("%s/%.*s", tx->t->path, (int)(j->rel.len - 1),
                                 j->rel.data);
        int rc = lake_fs_mkdirs(dir);

        free(dir);
        if (rc)
            return rc;
    }
    lake_fs_uuid4(uuid);
    ju_buf_addf(&j->rel, "part-00000-%s.c000%s.parquet", uuid,
                tx->codec == LAKE_CODEC_SNAPPY ? ".snappy"
                : tx->codec == LAKE_CODEC_ZSTD ? ".zstd"
                : tx->codec == LAKE_CODEC_GZIP ? ".gz"
                                               : "");
    j->abs = ju_xasprintf("%s/%s", tx->t->path, ju_buf_str(&j->rel));
    return 0;
}

/* Write j's file (any thread). */
static void run_job(const struct lake_txn *tx, struct file_job *j)
{
    struct lake_parquet_write_opts opts = LAKE_PARQUET_WRITE_OPTS_INIT;
    struct lake_batch *sub = NULL;
    const struct lake_batch *data = j->data;
    size_t c, r;

    if (j->rows) {
        sub = lake_batch_new(&tx->data_schema);
        for (c = 0; c < data->n_columns; c++) {
            lake_column_reserve(&sub->columns[c], j->nrows);
            for (r = 0; r < j->nrows; r++)
                lake_column__copy_row(&sub->columns[c], &data->columns[c],
                                      j->rows[r]);
        }
        j->rc = lake_batch_seal(sub);
        data = sub;
    }
    opts.codec = tx->codec;
    opts.dictionary = tx->dictionary != 0;
    if (!j->rc)
        j->rc = lake_parquet_write_file(j->abs, data, &opts, &j->st);
    if (j->rc) {
        snprintf(j->err, sizeof(j->err), "%s", jc_err_last());
        unlink(j->abs);
    } else {
        j->written = 1;
    }
    lake_batch_free(sub);
}

static void *write_worker(void *arg)
{
    struct job_queue *q = arg;

    for (;;) {
        size_t k;

        pthread_mutex_lock(&q->mu);
        k = q->next++;
        pthread_mutex_unlock(&q->mu);
        if (k >= q->n)
            break;
        run_job(q->tx, &q->jobs[k]);
    }
    lake_codec_thread_release();
    return NULL;
}

static void record_job(struct lake_txn *tx, struct file_job *j)
{
    struct pending_add *pa;

    JU_ALLOC_GROW(tx->adds, tx->nadds + 1, tx->aadds);
    pa = &tx->adds[tx->nadds++];
    memset(pa, 0, sizeof(*pa));
    pa->abs_path = j->abs;
    j->abs = NULL;
    pa->log_path = lake_delta_uri_encode(ju_buf_str(&j->rel));
    pa->part = lake_delta__kv_copy(j->part, j->npart);
    pa->npart = j->npart;
    pa->size = (int64_t)j->st.file_size;
    pa->mtime = lake_fs_now_ms();
    pa->rows = j->st.num_rows;
    pa->stats = lake_delta__stats_from_parquet(&tx->data_schema, &j->st,
                                               tx->num_indexed);
    pa->data_change = j->data_change;
}

/*
 * Write jobs[0..n): files on min(CPUs, n, MAX_WRITE_THREADS) threads, then
 * their add actions in job order. All or nothing: on any failure the files
 * written here are deleted and the first failure (in job order) returned.
 */
static int write_jobs(struct lake_txn *tx, struct file_job *jobs, size_t n)
{
    struct job_queue q;
    pthread_t th[MAX_WRITE_THREADS];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nth = 0, i;
    int rc = 0;

    for (i = 0; i < n && !rc; i++)
        rc = prepare_job(tx, &jobs[i]);
    if (!rc) {
        memset(&q, 0, sizeof(q));
        q.tx = tx;
        q.jobs = jobs;
        q.n = n;
        pthread_mutex_init(&q.mu, NULL);
        while (n > 1 && ncpu > 1 && nth < (size_t)ncpu && nth < n &&
               nth < MAX_WRITE_THREADS - 1 &&
               !pthread_create(&th[nth], NULL, write_worker, &q))
            nth++;
        /* the calling thread works too */
        for (;;) {
            size_t k;
            pthread_mutex_lock(&q.mu);
            k = q.next++;
            pthread_mutex_unlock(&q.mu);
            if (k >= n)
                break;
            run_job(tx, &jobs[k]);
        }
        for (i = 0; i < nth; i++)
            pthread_join(th[i], NULL);
        pthread_mutex_destroy(&q.mu);
        for (i = 0; i < n && !rc; i++)
            if (jobs[i].rc)
                rc = jc_err_set(jobs[i].rc, "%s", jobs[i].err);
    }
    for (i = 0; i < n; i++) {
        if (!rc)
            record_job(tx, &jobs[i]);
        else if (jobs[i].written)
            unlink(jobs[i].abs);
        free(jobs[i].abs);
        ju_buf_release(&jobs[i].rel);
        lake_parquet_file_stats_release(&jobs[i].st);
    }
    return rc;
}

int lake_txn__write_file(struct lake_txn *tx, const struct lake_batch *data,
                         const struct lake_kv *part, size_t npart,
                         int data_change)
{
    struct file_job j;

    memset(&j, 0, sizeof(j));
    j.data = data;
    j.part = part;
    j.npart = npart;
    j.data_change = data_change;
    return write_jobs(tx, &j, 1);
}

/* Shallow view of batch b with the columns of `schema` (by name). */
static int make_view(const struct lake_schema *schema,
                     const struct lake_batch *b, struct lake_batch *view)
{
    size_t i;

    memset(view, 0, sizeof(*view));
    view->schema = *schema;
    view->n_columns = schema->n_fields;
    view->num_rows = b->num_rows;
    view->columns =
        ju_xcalloc(schema->n_fields + 1, sizeof(struct lake_column));
    for (i = 0; i < schema->n_fields; i++) {
        const struct lake_field *f = &schema->fields[i];
        int k = lake_schema_find(&b->schema, f->name);

        if (k < 0) {
            free(view->columns);
            return jc_err_set(JC_EINVAL, "batch has no column '%s'", f->name);
        }
        if (b->columns[k].type != f->type ||
            (f->type == LAKE_TYPE_DECIMAL &&
             (b->columns[k].precision != f->precision ||
              b->columns[k].scale != f->scale))) {
            free(view->columns);
            return jc_err_set(JC_EINVAL,
                              "column '%s' is %s in the batch but %s in the "
                              "table",
                              f->name, lake_type_name(b->columns[k].type),
                              lake_type_name(f->type));
        }
        view->columns[i] = b->columns[k];
    }
    return 0;
}

/* Raw bytes identifying the partition value of column c at row r (no
 * allocation): a tag byte, then the value's storage bytes. */
static void key_part(struct ju_buf *key, const struct lake_column *c, size_t r)
{
    if (lake_column_is_null(c, r)) {
        ju_buf_addc(key, 0);
        return;
    }
    ju_buf_addc(key, 1);
    if (c->type == LAKE_TYPE_STRING || c->type == LAKE_TYPE_BINARY) {
        size_t n;
        const char *p = lake_column_get_str(c, r, &n);
        uint32_t len = (uint32_t)n;

        ju_buf_add(key, &len, sizeof(len));
        ju_buf_add(key, p, n);
    } else if (c->width) {
        ju_buf_add(key, (const char *)c->values + r * c->width, c->width);
    }
}

/* Whether every row of c holds the same value (or null) as row 0. */
static int column_constant(const struct lake_column *c, size_t nrows)
{
    size_t r;

    if (c->null_count)
        return c->null_count == nrows;
    if (c->type == LAKE_TYPE_STRING || c->type == LAKE_TYPE_BINARY) {
        size_t n0, n;
        const char *p0 = lake_column_get_str(c, 0, &n0);
        for (r = 1; r < nrows; r++) {
            const char *p = lake_column_get_str(c, r, &n);
            if (n != n0 || memcmp(p, p0, n))
                return 0;
        }
        return 1;
    }
    if (!c->width)
        return 0;
    for (r = 1; r < nrows; r++)
        if (memcmp((const char *)c->values + r * c->width, c->values, c->width))
            return 0;
    return 1;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Rows of one partition of a batch. */
struct group {
    char *key;
    size_t keylen;
    struct lake_kv *part;
    size_t *rows;
    size_t nrows, arows;
};

/* Group the rows of batch by the values of its columns pcol[0..npc)
 * (first-seen order). */
static void group_rows(const struct lake_snapshot *s,
                       const struct lake_batch *batch, const int *pcol,
                       struct group **gout, size_t *ngout)
{
    struct group *g = NULL;
    size_t ng = 0, ag = 0, i, r, k;
    size_t nslots = 64;
    size_t *slots = ju_xcalloc(nslots, sizeof(size_t)); /* group + 1 */
    struct ju_buf key = JU_BUF_INIT;

    for (r = 0; r < batch->num_rows; r++) {
        size_t h;

        ju_buf_reset(&key);
        for (i = 0; i < s->npartition_cols; i++)
            key_part(&key, &batch->columns[pcol[i]], r);
        if (!key.data)
            ju_buf_addc(&key, 0);
        h = (size_t)hash_bytes(key.data, key.len) & (nslots - 1);
        while (slots[h]) {
            const struct group *gg = &g[slots[h] - 1];

            if (gg->keylen == key.len && !memcmp(gg->key, key.data, key.len))
                break;
            h = (h + 1) & (nslots - 1);
        }
        if (slots[h]) {
            k = slots[h] - 1;
        } else {
            JU_ALLOC_GROW(g, ng + 1, ag);
            k = ng++;
            memset(&g[k], 0, sizeof(g[k]));
            g[k].key = ju_xmalloc(key.len + 1);
            memcpy(g[k].key, key.data, key.len);
            g[k].keylen = key.len;
            g[k].part = ju_xcalloc(s->npartition_cols, sizeof(struct lake_kv));
            for (i = 0; i < s->npartition_cols; i++) {
                g[k].part[i].key = ju_xstrdup(s->partition_cols[i]);
                g[k].part[i].value =
                    lake_delta__part_value_text(&batch->columns[pcol[i]], r);
            }
            slots[h] = k + 1;
            if (ng * 2 > nslots) {
                size_t q;

                free(slots);
                nslots *= 4;
                slots = ju_xcalloc(nslots, sizeof(size_t));
                for (q = 0; q < ng; q++) {
                    size_t hh = (size_t)hash_bytes(g[q].key, g[q].keylen) &
                                (nslots - 1);

                    while (slots[hh])
                        hh = (hh + 1) & (nslots - 1);
                    slots[hh] = q + 1;
                }
            }
        }
        JU_ALLOC_GROW(g[k].rows, g[k].nrows + 1, g[k].arows);
        g[k].rows[g[k].nrows++] = r;
    }
    ju_buf_release(&key);
    free(slots);
    *gout = g;
    *ngout = ng;
}

int lake_txn_append_batches(struct lake_txn *tx,
                            const struct lake_batch *const *batches, size_t n)
{
    const struct lake_snapshot *s = tx->t->snap;
    struct lake_batch *views = ju_xcalloc(n + 1, sizeof(*views));
    struct group **groups = ju_xcalloc(n + 1, sizeof(*groups));
    size_t *ngroups = ju_xcalloc(n + 1, sizeof(*ngroups));
    struct file_job *jobs = NULL;
    size_t njobs = 0, ajobs = 0, b, i, k;
    int *pcol = ju_xcalloc(s->npartition_cols + 1, sizeof(int));
    int rc = 0;

    for (b = 0; b < n && !rc; b++) {
        const struct lake_batch *batch = batches[b];
        struct file_job *j;

        rc = make_view(&tx->data_schema, batch, &views[b]);
        if (rc || batch->num_rows == 0)
            continue;
        for (i = 0; i < s->npartition_cols && !rc; i++) {
            pcol[i] = lake_schema_find(&batch->schema, s->partition_cols[i]);
            if (pcol[i] < 0)
                rc = jc_err_set(JC_EINVAL, "batch has no partition column '%s'",
                                s->partition_cols[i]);
        }
        if (rc)
            continue;
        for (i = 0; i < s->npartition_cols; i++)
            if (!column_constant(&batch->columns[pcol[i]], batch->num_rows))
                break;
        if (i == s->npartition_cols) {
            /* one partition (no partitions, or a writer that grouped its
             * rows already): the batch as is, without grouping rows */
            struct group *g = ju_xcalloc(1, sizeof(*g));
            g->part = ju_xcalloc(i + 1, sizeof(struct lake_kv));
            for (i = 0; i < s->npartition_cols; i++) {
                g->part[i].key = ju_xstrdup(s->partition_cols[i]);
                g->part[i].value =
                    lake_delta__part_value_text(&batch->columns[pcol[i]], 0);
            }
            groups[b] = g;
            ngroups[b] = 1;
        } else {
            group_rows(s, batch, pcol, &groups[b], &ngroups[b]);
        }
        for (k = 0; k < ngroups[b]; k++) {
            JU_ALLOC_GROW(jobs, njobs + 1, ajobs);
            j = &jobs[njobs++];
            memset(j, 0, sizeof(*j));
            j->data = &views[b];
            j->rows = groups[b][k].rows;
            j->nrows = groups[b][k].nrows;
            j->part = groups[b][k].part;
            j->npart = s->npartition_cols;
            j->data_change = 1;
        }
    }
    if (!rc && njobs)
        rc = write_jobs(tx, jobs, njobs);
    for (b = 0; b < n; b++) {
        for (k = 0; k < ngroups[b]; k++) {
            free(groups[b][k].key);
            lake_delta__kv_free(groups[b][k].part, s->npartition_cols);
            free(groups[b][k].rows);
        }
        free(groups[b]);
        free(views[b].columns);
    }
    free(jobs);
    free(views);
    free(groups);
    free(ngroups);
    free(pcol);
    return rc;
}

int lake_txn_append(struct lake_txn *tx, const struct lake_batch *batch)
{
    return lake_txn_append_batches(tx, &batch, 1);
}
