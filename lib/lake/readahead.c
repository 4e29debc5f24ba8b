/*
 * readahead.c: table scans with a reader thread: while the caller's
 * callback handles file i, the next files are opened, decompressed and
 * decoded (up to LAKE_READAHEAD_DEPTH ahead), so reading and processing
 * use two cores. Files are handed over strictly in order.
 */
#include "readahead.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "delta_int.h"
#include "jobctl/err.h"
#include "lake/parquet.h"

#define RING (LAKE_READAHEAD_DEPTH + 1)

struct ra_slot {
    struct lake_batch *b;
    int rc;
    char err[1024];
};

struct readahead {
    const struct lake_table *t;
    const struct lake_file *const *files;
    size_t n;
    const struct lake_scan_opts *opts;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t produced; /* files read (or failed) by the reader */
    size_t consumed; /* files whose callback returned */
    int stop;
    struct ra_slot ring[RING];
};

static void *reader_main(void *arg)
{
    struct readahead *ra = arg;
    size_t i;

    for (i = 0; i < ra->n; i++) {
        struct ra_slot *s = &ra->ring[i % RING];
        struct lake_batch *b = NULL;
        int rc;

        pthread_mutex_lock(&ra->mu);
        while (!ra->stop && i - ra->consumed >= RING)
            pthread_cond_wait(&ra->cv, &ra->mu);
        if (ra->stop) {
            pthread_mutex_unlock(&ra->mu);
            break;
        }
        pthread_mutex_unlock(&ra->mu);
        rc = lake_table__read_path(ra->t, ra->files[i], ra->opts, &b);
        s->b = b;
        s->rc = rc;
        if (rc)
            snprintf(s->err, sizeof(s->err), "%s", jc_err_last());
        pthread_mutex_lock(&ra->mu);
        ra->produced = i + 1;
        pthread_cond_broadcast(&ra->cv);
        pthread_mutex_unlock(&ra->mu);
        if (rc)
            break;
    }
    lake_codec_thread_release();
    return NULL;
}

static int scan_inline(const struct lake_table *t,
                       const struct lake_file *const *files, size_t n,
                       const struct lake_scan_opts *opts, lake_scan_cb cb,
                       void *ud, struct lake_scan_stats *st)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct lake_batch *b = NULL;
        int rc = lake_table__read_path(t, files[i], opts, &b);

        if (rc)
            return rc;
        st->files_read++;
        st->rows_read += (int64_t)b->num_rows;
        rc = cb(ud, files[i], b);
        lake_batch_free(b);
        if (rc)
            return rc;
    }
    return 0;
}

int lake_readahead_scan(const struct lake_table *t,
                        const struct lake_file *const *files, size_t n,
                        const struct lake_scan_opts *opts, lake_scan_cb cb,
                        void *ud, struct lake_scan_stats *st)
{
    struct readahead *ra;
    pthread_t th;
    size_t i;
    int rc = 0;

    if (n < 2 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return scan_inline(t, files, n, opts, cb, ud, st);
    ra = calloc(1, sizeof(*ra));
    if (!ra)
        return scan_inline(t, files, n, opts, cb, ud, st);
    ra->t = t;
    ra->files = files;
    ra->n = n;
    ra->opts = opts;
    pthread_mutex_init(&ra->mu, NULL);
    pthread_cond_init(&ra->cv, NULL);
    if (pthread_create(&th, NULL, reader_main, ra)) {
        pthread_mutex_destroy(&ra->mu);
        pthread_cond_destroy(&ra->cv);
        free(ra);
        return scan_inline(t, files, n, opts, cb, ud, st);
    }
    for (i = 0; i < n && !rc; i++) {
        struct ra_slot *s = &ra->ring[i % RING];

        pthread_mutex_lock(&ra->mu);
        while (ra->produced <= i)
            pthread_cond_wait(&ra->cv, &ra->mu);
        pthread_mutex_unlock(&ra->mu);
        if (s->rc) {
            rc = jc_err_set(s->rc, "%s", s->err);
            break;
        }
        st->files_read++;
        st->rows_read += (int64_t)s->b->num_rows;
        rc = cb(ud, files[i], s->b);
        lake_batch_free(s->b);
        s->b = NULL;
        pthread_mutex_lock(&ra->mu);
        ra->consumed = i + 1;
        pthread_cond_broadcast(&ra->cv);
        pthread_mutex_unlock(&ra->mu);
    }
    pthread_mutex_lock(&ra->mu);
    ra->stop = 1;
    pthread_cond_broadcast(&ra->cv);
    pthread_mutex_unlock(&ra->mu);
    pthread_join(th, NULL);
    for (i = 0; i < RING; i++)
        lake_batch_free(ra->ring[i].b);
    pthread_mutex_destroy(&ra->mu);
    pthread_cond_destroy(&ra->cv);
    free(ra);
    return rc;
}
