/*
 * test_delta_parallel.c: the threaded parts of lib/lake's tables: several
 * batches appended at once (files written on worker threads, added all or
 * none, the failing column named) and scans with read-ahead (files handed
 * to the callback in order, a bad file or a stopping callback ending the
 * scan cleanly).
 */
#include "testsupport.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/mem.h"

static struct lake_schema *make_schema(void)
{
    struct lake_schema *s = lake_schema_new();
    struct lake_field st, x;

    lake_schema_add_simple(s, "id", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "p", LAKE_TYPE_STRING, true);
    lake_field_init(&st, "st", LAKE_TYPE_STRUCT, true);
    lake_field_init(&x, "x", LAKE_TYPE_LONG, false);
    lake_field_add_child(&st, &x);
    lake_schema_add(s, &st);
    lake_field_release(&x);
    lake_field_release(&st);
    return s;
}

/* n rows with ids from..from+n-1; p cycles through parts (a string of
 * one-letter partition values); bad_row >= 0 gets a null st.x. */
static struct lake_batch *make_batch(const struct lake_schema *s, int64_t from,
                                     int n, const char *parts, int bad_row)
{
    struct lake_batch *b = lake_batch_new(s);
    size_t np = strlen(parts);
    int i;

    for (i = 0; i < n; i++) {
        lake_batch_append_i64(&b->columns[0], from + i);
        lake_batch_append_str(&b->columns[1], parts + (size_t)i % np, 1);
        lake_batch_append_struct(&b->columns[2]);
        if (i == bad_row)
            lake_batch_append_null(&b->columns[2].children[0]);
        else
            lake_batch_append_i64(&b->columns[2].children[0], (from + i) * 2);
    }
    assert_int_equal(lake_batch_seal(b), 0);
    return b;
}

static char *new_table(struct lake_table **t, char **dir)
{
    char *path;
    struct lake_schema *s = make_schema();
    const char *parts[] = {"p"};

    *dir = jt_tmpdir();
    path = ju_xasprintf("%s/t", *dir);
    assert_int_equal(lake_table_create_if_absent(t, path, s, parts, 1, NULL),
                     0);
    lake_schema_free(s);
    return path;
}

static size_t count_parquet(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (!d)
        return 0;
    while ((e = readdir(d))) {
        char *p;
        struct stat sb;
        if (e->d_name[0] == '.')
            continue;
        p = ju_xasprintf("%s/%s", dir, e->d_name);
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            n += count_parquet(p);
        else if (strstr(e->d_name, ".parquet"))
            n++;
        free(p);
    }
    closedir(d);
    return n;
}

struct seen {
    int64_t *ids;
    size_t n, cap;
    size_t files;
    size_t stop_after; /* return 7 after this many files; 0 = never */
    int bad_partition;
};

static int collect(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    struct seen *sn = ud;
    size_t r;

    for (r = 0; r < b->num_rows; r++) {
        size_t n;
        const char *p = lake_column_get_str(&b->columns[1], r, &n);
        JU_ALLOC_GROW(sn->ids, sn->n + 1, sn->cap);
        sn->ids[sn->n++] = lake_column_get_i64(&b->columns[0], r);
        if (f->npart != 1 || !f->part[0].value || n != 1 ||
            p[0] != f->part[0].value[0] ||
            lake_column_get_i64(&b->columns[2].children[0], r) !=
                2 * lake_column_get_i64(&b->columns[0], r))
            sn->bad_partition = 1;
    }
    sn->files++;
    return sn->stop_after && sn->files == sn->stop_after ? 7 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return x < y ? -1 : x > y;
}

static void test_delta_parallel_append_batches(void **state)
{
    struct lake_table *t;
    struct lake_txn *tx;
    char *dir, *path = new_table(&t, &dir);
    struct lake_schema *s = make_schema();
    struct lake_batch *b[3];
    struct seen sn;
    size_t i;

    (void)state;
    b[0] = make_batch(s, 0, 1000, "a", -1);
    b[1] = make_batch(s, 1000, 3000, "abc", -1);
    b[2] = make_batch(s, 4000, 500, "c", -1);
    assert_int_equal(lake_txn_begin(t, &tx), 0);
    assert_int_equal(
        lake_txn_append_batches(tx, (const struct lake_batch *const *)b, 3), 0);
    assert_int_equal(lake_txn_commit(tx, NULL, NULL, NULL), 0);
    /* one file per batch and partition value */
    assert_int_equal(lake_table_snapshot(t)->nfiles, 5);
    assert_int_equal(count_parquet(path), 5);

    memset(&sn, 0, sizeof(sn));
    assert_int_equal(lake_table_scan(t, NULL, collect, &sn, NULL), 0);
    assert_int_equal(sn.files, 5);
    assert_int_equal(sn.n, 4500);
    assert_false(sn.bad_partition);
    qsort(sn.ids, sn.n, sizeof(int64_t), cmp_i64);
    for (i = 0; i < sn.n; i++)
        assert_int_equal(sn.ids[i], (int64_t)i);
    free(sn.ids);
    for (i = 0; i < 3; i++)
        lake_batch_free(b[i]);
    lake_schema_free(s);
    lake_table_close(t);
    jt_rmtree(dir);
    free(dir);
    free(path);
}

static void test_delta_parallel_append_all_or_nothing(void **state)
{
    struct lake_table *t;
    struct lake_txn *tx;
    char *dir, *path = new_table(&t, &dir);
    struct lake_schema *s = make_schema();
    struct lake_batch *b[4];
    size_t i;
    int rc;

    (void)state;
    b[0] = make_batch(s, 0, 2000, "ab", -1);
    b[1] = make_batch(s, 2000, 2000, "c", 1500); /* null st.x */
    b[2] = make_batch(s, 4000, 2000, "de", -1);
    b[3] = make_batch(s, 6000, 10, "f", -1);
    assert_int_equal(lake_txn_begin(t, &tx), 0);
    rc = lake_txn_append_batches(tx, (const struct lake_batch *const *)b, 4);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(jc_err_last(), "st.x"));
    /* the other batches' files were written on other threads: all gone */
    assert_int_equal(count_parquet(path), 0);
    lake_txn_abort(tx);
    assert_int_equal(lake_table_version(t), 0);

    /* the same transaction shape without the bad batch commits */
    assert_int_equal(lake_txn_begin(t, &tx), 0);
    b[1] = (lake_batch_free(b[1]), make_batch(s, 2000, 2000, "c", -1));
    assert_int_equal(
        lake_txn_append_batches(tx, (const struct lake_batch *const *)b, 4), 0);
    assert_int_equal(lake_txn_commit(tx, NULL, NULL, NULL), 0);
    assert_int_equal(count_parquet(path), 6);
    for (i = 0; i < 4; i++)
        lake_batch_free(b[i]);
    lake_schema_free(s);
    lake_table_close(t);
    jt_rmtree(dir);
    free(dir);
    free(path);
}

static void test_delta_parallel_scan_in_order_and_stops(void **state)
{
    struct lake_table *t;
    char *dir, *path = new_table(&t, &dir);
    struct lake_schema *s = make_schema();
    const struct lake_snapshot *snap;
    char *victim = NULL;
    struct seen sn;
    size_t i;
    int v, rc;

    (void)state;
    for (v = 0; v < 12; v++) {
        struct lake_batch *b = make_batch(s, v * 100, 100, "q", -1);
        assert_int_equal(lake_table_append(t, b, 0, NULL), 0);
        lake_batch_free(b);
    }
    /* changes are handed over in commit order */
    memset(&sn, 0, sizeof(sn));
    assert_int_equal(lake_table_scan_changes(t, 0, NULL, collect, &sn, NULL),
                     0);
    assert_int_equal(sn.files, 12);
    for (i = 0; i < sn.n; i++)
        assert_int_equal(sn.ids[i], (int64_t)i);
    free(sn.ids);

    /* a callback that stops: its value comes back, nothing more is read */
    memset(&sn, 0, sizeof(sn));
    sn.stop_after = 3;
    assert_int_equal(lake_table_scan_changes(t, 0, NULL, collect, &sn, NULL),
                     7);
    assert_int_equal(sn.files, 3);
    free(sn.ids);

    /* a damaged file: the error names it; the files before it were seen */
    snap = lake_table_snapshot(t);
    for (i = 0; i < snap->nfiles; i++) {
        struct lake_batch *b = NULL;
        assert_int_equal(lake_table_read_file(t, &snap->files[i], NULL, &b), 0);
        if (lake_column_get_i64(&b->columns[0], 0) == 600)
            victim = ju_xasprintf("%s/%s", path, snap->files[i].path);
        lake_batch_free(b);
    }
    assert_non_null(victim);
    jt_write_file(victim, "not parquet");
    memset(&sn, 0, sizeof(sn));
    rc = lake_table_scan_changes(t, 0, NULL, collect, &sn, NULL);
    assert_int_not_equal(rc, 0);
    assert_non_null(strstr(jc_err_last(), strrchr(victim, '/') + 1));
    assert_int_equal(sn.files, 6);
    free(sn.ids);
    free(victim);
    lake_schema_free(s);
    lake_table_close(t);
    jt_rmtree(dir);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta_parallel_append_batches),
        cmocka_unit_test(test_delta_parallel_append_all_or_nothing),
        cmocka_unit_test(test_delta_parallel_scan_in_order_and_stops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
