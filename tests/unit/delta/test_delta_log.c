/*
 * test_delta_log.c: log listing and replay (ignored names, gaps, malformed
 * lines named by file and line, protocol refusal), write transactions
 * (blind-append retry, remove conflicts, txn "already committed"),
 * checkpoints (written every 10 commits, replay from them, fallback when
 * corrupt), time travel errors and the string-stats truncation rule.
 */
#include "testsupport.h"

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

    lake_schema_add_simple(s, "id", LAKE_TYPE_LONG, true);
    lake_schema_add_simple(s, "s", LAKE_TYPE_STRING, true);
    lake_schema_add_simple(s, "p", LAKE_TYPE_STRING, true);
    return s;
}

static struct lake_batch *make_batch(const struct lake_schema *s, int64_t from,
                                     int n, const char *p, const char *str)
{
    struct lake_batch *b = lake_batch_new(s);
    int i;

    for (i = 0; i < n; i++) {
        lake_batch_append_i64(&b->columns[0], from + i);
        lake_batch_append_str(&b->columns[1], str, strlen(str));
        lake_batch_append_str(&b->columns[2], p, strlen(p));
    }
    assert_int_equal(lake_batch_seal(b), 0);
    return b;
}

static char *new_table(struct lake_table **t)
{
    char *dir = jt_tmpdir();
    char *path = ju_xasprintf("%s/t", dir);
    struct lake_schema *s = make_schema();
    const char *parts[] = {"p"};

    assert_int_equal(lake_table_create_if_absent(t, path, s, parts, 1, NULL),
                     0);
    assert_int_equal(lake_table_version(*t), 0);
    lake_schema_free(s);
    free(path);
    return dir;
}

static void append(struct lake_table *t, int64_t from, int n, const char *p)
{
    struct lake_batch *b = make_batch(lake_table_schema(t), from, n, p, "x");
    int64_t v = -1;

    assert_int_equal(lake_table_append(t, b, 0, &v), 0);
    assert_int_equal(v, lake_table_version(t));
    lake_batch_free(b);
}

static void test_delta_log_listing_and_errors(void **state)
{
    char *dir = jt_tmpdir();
    char *p;
    struct lake_table *t = NULL;

    (void)state;
    p = ju_xasprintf("%s/_delta_log/00000000000000000000.json", dir);
    jt_write_file(
        p, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
           "{\"metaData\":{\"id\":\"x\",\"schemaString\":\"{\\\"type\\\":"
           "\\\"struct\\\",\\\"fields\\\":[]}\",\"partitionColumns\":[],"
           "\"configuration\":{}}}\n");
    free(p);
    /* names that are not commits: temp dir, crc, short names */
    p = ju_xasprintf("%s/_delta_log/.tmp/00000000000000000001.json", dir);
    jt_write_file(p, "garbage");
    free(p);
    p = ju_xasprintf("%s/_delta_log/00000000000000000001.crc", dir);
    jt_write_file(p, "garbage");
    free(p);
    p = ju_xasprintf("%s/_delta_log/0001.json", dir);
    jt_write_file(p, "garbage");
    free(p);
    assert_int_equal(lake_table_open(&t, dir), 0);
    assert_int_equal(lake_table_version(t), 0);
    lake_table_close(t);
    /* a gap: version 2 without 1 */
    p = ju_xasprintf("%s/_delta_log/00000000000000000002.json", dir);
    jt_write_file(p, "{\"commitInfo\":{}}\n");
    free(p);
    assert_int_equal(lake_table_open(&t, dir), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "gap"));
    assert_non_null(strstr(jc_err_last(), "00000000000000000001.json"));
    /* a malformed line names the file and the line */
    p = ju_xasprintf("%s/_delta_log/00000000000000000001.json", dir);
    jt_write_file(
        p,
        "{\"commitInfo\":{}}\n{\"add\":{\"path\":\"a\",\"size\":\"big\"}}\n");
    free(p);
    assert_int_equal(lake_table_open(&t, dir), JC_EPARSE);
    assert_non_null(
        strstr(jc_err_last(), "00000000000000000001.json': line 2"));
    assert_non_null(strstr(jc_err_last(), "'size'"));
    p = ju_xasprintf("%s/_delta_log/00000000000000000001.json", dir);
    jt_write_file(p, "{\"commitInfo\":{}}\n\n");
    free(p);
    assert_int_equal(lake_table_open(&t, dir), JC_EPARSE);
    assert_non_null(strstr(jc_err_last(), "blank line"));
    /* not a table */
    p = ju_xasprintf("%s/nothing", dir);
    assert_int_equal(lake_table_open(&t, p), JC_ENOTFOUND);
    assert_non_null(strstr(jc_err_last(), "not a Delta table"));
    free(p);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_refuses_features(void **state)
{
    char *dir = jt_tmpdir();
    char *p = ju_xasprintf("%s/_delta_log/00000000000000000000.json", dir);
    struct lake_table *t = NULL;

    (void)state;
    jt_write_file(
        p, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,"
           "\"readerFeatures\":[\"deletionVectors\",\"timestampNtz\"],"
           "\"writerFeatures\":[\"deletionVectors\"]}}\n"
           "{\"metaData\":{\"id\":\"x\",\"schemaString\":\"{}\"}}\n");
    assert_int_equal(lake_table_open(&t, dir), JC_EUNSUPPORTED);
    assert_non_null(strstr(jc_err_last(), "[deletionVectors]"));
    assert_null(strstr(jc_err_last(), "timestampNtz"));
    free(p);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_blind_append_retries(void **state)
{
    struct lake_table *t = NULL, *t2 = NULL;
    char *dir = new_table(&t);
    struct lake_txn *a = NULL, *b = NULL;
    struct lake_batch *ba = make_batch(lake_table_schema(t), 0, 3, "x", "a");
    struct lake_batch *bb = make_batch(lake_table_schema(t), 10, 2, "y", "b");
    int64_t va = -1, vb = -1;

    (void)state;
    assert_int_equal(lake_table_open(&t2, lake_table_path(t)), 0);
    assert_int_equal(lake_txn_begin(t, &a), 0);
    assert_int_equal(lake_txn_begin(t2, &b), 0);
    assert_int_equal(lake_txn_append(a, ba), 0);
    assert_int_equal(lake_txn_append(b, bb), 0);
    assert_int_equal(lake_txn_commit(a, NULL, NULL, &va), 0);
    /* b read version 0 too: its blind append lands at version 2 */
    assert_int_equal(lake_txn_commit(b, NULL, NULL, &vb), 0);
    assert_int_equal(va, 1);
    assert_int_equal(vb, 2);
    assert_int_equal(lake_table_refresh(t), 0);
    assert_int_equal(lake_table_snapshot(t)->nfiles, 2);
    lake_batch_free(ba);
    lake_batch_free(bb);
    lake_table_close(t);
    lake_table_close(t2);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_txn_already_committed(void **state)
{
    struct lake_table *t = NULL, *t2 = NULL;
    char *dir = new_table(&t);
    struct lake_txn *a = NULL, *b = NULL;
    struct lake_batch *bt = make_batch(lake_table_schema(t), 0, 3, "x", "a");
    int64_t v = -1, got = -1;

    (void)state;
    assert_int_equal(lake_table_txn_version(t, "ingest-0", &got), JC_ENOTFOUND);
    assert_int_equal(lake_table_open(&t2, lake_table_path(t)), 0);
    assert_int_equal(lake_txn_begin(t, &a), 0);
    assert_int_equal(lake_txn_begin(t2, &b), 0);
    assert_int_equal(lake_txn_append(a, bt), 0);
    assert_int_equal(lake_txn_append(b, bt), 0);
    lake_txn_set_app_txn(a, "ingest-0", 5);
    lake_txn_set_app_txn(b, "ingest-0", 5);
    assert_int_equal(lake_txn_commit(a, NULL, NULL, &v), 0);
    assert_int_equal(lake_txn_commit(b, NULL, NULL, &v), JC_EEXIST);
    assert_non_null(strstr(jc_err_last(), "already committed"));
    assert_int_equal(lake_table_refresh(t), 0);
    assert_int_equal(lake_table_version(t), 1);
    assert_int_equal(lake_table_snapshot(t)->nfiles, 1);
    assert_int_equal(lake_table_txn_version(t, "ingest-0", &got), 0);
    assert_true(got == 5);
    lake_batch_free(bt);
    lake_table_close(t);
    lake_table_close(t2);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_remove_conflict(void **state)
{
    struct lake_table *t = NULL, *t2 = NULL;
    char *dir = new_table(&t);
    struct lake_txn *a = NULL, *b = NULL;
    int64_t v = -1;

    (void)state;
    append(t, 0, 4, "x");
    assert_int_equal(lake_table_open(&t2, lake_table_path(t)), 0);
    assert_int_equal(lake_txn_begin(t, &a), 0);
    assert_int_equal(lake_txn_begin(t2, &b), 0);
    assert_int_equal(lake_txn_remove_file(a, &lake_table_snapshot(t)->files[0]),
                     0);
    assert_int_equal(
        lake_txn_remove_file(b, &lake_table_snapshot(t2)->files[0]), 0);
    assert_int_equal(lake_txn_commit(a, "DELETE", NULL, &v), 0);
    assert_int_equal(lake_txn_commit(b, "DELETE", NULL, &v), JC_ECONFLICT);
    assert_int_equal(lake_table_refresh(t), 0);
    assert_int_equal(lake_table_version(t), 2);
    assert_int_equal(lake_table_snapshot(t)->nfiles, 0);
    assert_int_equal(lake_table_snapshot(t)->ntombstones, 1);
    lake_table_close(t);
    lake_table_close(t2);
    jt_rmtree(dir);
    free(dir);
}

static int count_rows(void *ud, const struct lake_file *f, struct lake_batch *b)
{
    (void)f;
    *(int64_t *)ud += (int64_t)b->num_rows;
    return 0;
}

static void test_delta_log_checkpoints(void **state)
{
    struct lake_table *t = NULL, *old = NULL;
    char *dir = new_table(&t);
    char *cp;
    int64_t rows = 0;
    int i;

    (void)state;
    for (i = 0; i < 11; i++)
        append(t, i * 10, 2, i % 2 ? "odd" : "even");
    cp = ju_xasprintf("%s/_delta_log/00000000000000000010.checkpoint.parquet",
                      lake_table_path(t));
    assert_int_equal(access(cp, F_OK), 0);
    /* the writer's handle advanced commit by commit */
    assert_int_equal(lake_table_version(t), 11);
    assert_int_equal(lake_table_snapshot(t)->nfiles, 11);
    /* a fresh open replays checkpoint 10 + one commit: same state */
    assert_int_equal(lake_table_open(&old, lake_table_path(t)), 0);
    assert_int_equal(lake_table_version(old), 11);
    assert_int_equal(lake_table_snapshot(old)->checkpoint_version, 10);
    assert_int_equal(lake_table_snapshot(old)->commits_replayed, 1);
    assert_int_equal(lake_table_snapshot(old)->nfiles, 11);
    for (i = 0; i < 11; i++)
        assert_string_equal(lake_table_snapshot(old)->files[i].path,
                            lake_table_snapshot(t)->files[i].path);
    assert_int_equal(lake_table_scan(old, NULL, count_rows, &rows, NULL), 0);
    assert_int_equal(rows, 22);
    lake_table_close(old);
    /* refresh with no new commit keeps the snapshot */
    assert_int_equal(lake_table_refresh(t), 0);
    assert_int_equal(lake_table_version(t), 11);
    /* time travel before the checkpoint replays JSON only */
    assert_int_equal(lake_table_open_version(&old, lake_table_path(t), 3), 0);
    assert_int_equal(lake_table_snapshot(old)->checkpoint_version, -1);
    assert_int_equal(lake_table_snapshot(old)->nfiles, 3);
    lake_table_close(old);
    assert_int_equal(lake_table_open_version(&old, lake_table_path(t), 99),
                     JC_ENOTFOUND);
    assert_non_null(strstr(jc_err_last(), "version 99 does not exist"));
    /* a corrupt checkpoint is skipped: replay falls back to the JSON log */
    jt_write_file(cp, "PAR1 not really PAR1");
    assert_int_equal(lake_table_open(&old, lake_table_path(t)), 0);
    assert_int_equal(lake_table_snapshot(old)->checkpoint_version, -1);
    assert_int_equal(lake_table_snapshot(old)->nfiles, 11);
    lake_table_close(old);
    free(cp);
    lake_table_close(t);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_string_stats_truncated(void **state)
{
    struct lake_table *t = NULL;
    char *dir = new_table(&t);
    char long_s[64];
    struct lake_batch *b;
    const struct lake_file *f;

    (void)state;
    memset(long_s, 'z', 40);
    long_s[40] = '\0';
    b = make_batch(lake_table_schema(t), 1, 3, "x", long_s);
    assert_int_equal(lake_table_append(t, b, 0, NULL), 0);
    lake_batch_free(b);
    f = &lake_table_snapshot(t)->files[0];
    assert_int_equal(f->num_records, 3);
    assert_non_null(f->stats);
    /* min: 32-char prefix; max: prefix + U+007F tie-breaker */
    assert_non_null(
        strstr(f->stats, "\"s\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\""));
    assert_non_null(strstr(f->stats, "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\x7f\""));
    assert_null(strstr(f->stats, "\"p\""));
    lake_table_close(t);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_codec_and_dictionary(void **state)
{
    struct lake_table *t = NULL;
    char *dir = new_table(&t);
    struct lake_txn *tx = NULL;
    struct lake_batch *b = make_batch(lake_table_schema(t), 0, 50, "x", "v");
    struct lake_batch *back = NULL;
    const struct lake_file *f;

    (void)state;
    assert_int_equal(lake_txn_begin(t, &tx), 0);
    assert_int_equal(lake_txn_set_codec(tx, "zstd"), 0);
    assert_int_not_equal(lake_txn_set_codec(tx, "lzo9"), 0);
    lake_txn_set_dictionary(tx, 0);
    assert_int_equal(lake_txn_append(tx, b), 0);
    assert_int_equal(lake_txn_commit(tx, NULL, NULL, NULL), 0);
    f = &lake_table_snapshot(t)->files[0];
    assert_non_null(strstr(f->path, ".zstd.parquet"));
    assert_int_equal(lake_table_read_file(t, f, NULL, &back), 0);
    assert_int_equal(back->num_rows, 50);
    lake_batch_free(back);
    lake_batch_free(b);
    lake_table_close(t);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_num_indexed_cols(void **state)
{
    char *dir = jt_tmpdir();
    char *path = ju_xasprintf("%s/t", dir);
    struct lake_schema *s = make_schema();
    const char *conf[] = {"delta.dataSkippingNumIndexedCols", "1", NULL};
    struct lake_table *t = NULL;
    struct lake_batch *b;
    const struct lake_file *f;

    (void)state;
    assert_int_equal(lake_table_create_if_absent(&t, path, s, NULL, 0, conf),
                     0);
    assert_string_equal(
        lake_table_config(t, "delta.dataSkippingNumIndexedCols"), "1");
    b = make_batch(s, 5, 2, "x", "abc");
    assert_int_equal(lake_table_append(t, b, 0, NULL), 0);
    f = &lake_table_snapshot(t)->files[0];
    assert_non_null(strstr(f->stats, "\"minValues\":{\"id\":5}"));
    assert_null(strstr(f->stats, "\"s\""));
    lake_batch_free(b);
    lake_schema_free(s);
    lake_table_close(t);
    free(path);
    jt_rmtree(dir);
    free(dir);
}

static void test_delta_log_writer_rules(void **state)
{
    char *dir = jt_tmpdir();
    char *path = ju_xasprintf("%s/t", dir);
    char *p;
    struct lake_schema *s = make_schema();
    const char *conf[] = {"delta.appendOnly", "true", NULL};
    struct lake_table *t = NULL;
    struct lake_txn *tx = NULL;
    struct lake_batch *b = make_batch(s, 1, 2, "x", "v");

    (void)state;
    /* appendOnly: appends work, removing data is refused */
    assert_int_equal(lake_table_create_if_absent(&t, path, s, NULL, 0, conf),
                     0);
    assert_int_equal(lake_table_append(t, b, 0, NULL), 0);
    assert_int_equal(lake_table_append(t, b, 1, NULL), JC_EINVAL);
    assert_non_null(strstr(jc_err_last(), "append-only"));
    assert_int_equal(lake_table_version(t), 1);
    lake_table_close(t);
    /* a writer version we do not implement: readable, not writable */
    p = ju_xasprintf("%s/w/_delta_log/00000000000000000000.json", dir);
    jt_write_file(
        p, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":3}}\n"
           "{\"metaData\":{\"id\":\"x\",\"schemaString\":\"{\\\"type\\\":"
           "\\\"struct\\\",\\\"fields\\\":[]}\",\"partitionColumns\":[],"
           "\"configuration\":{}}}\n");
    free(p);
    p = ju_xasprintf("%s/w", dir);
    assert_int_equal(lake_table_open(&t, p), 0);
    assert_int_equal(lake_txn_begin(t, &tx), JC_EUNSUPPORTED);
    assert_non_null(strstr(jc_err_last(), "writer version 3"));
    lake_table_close(t);
    free(p);
    lake_batch_free(b);
    lake_schema_free(s);
    free(path);
    jt_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta_log_listing_and_errors),
        cmocka_unit_test(test_delta_log_refuses_features),
        cmocka_unit_test(test_delta_log_blind_append_retries),
        cmocka_unit_test(test_delta_log_txn_already_committed),
        cmocka_unit_test(test_delta_log_remove_conflict),
        cmocka_unit_test(test_delta_log_checkpoints),
        cmocka_unit_test(test_delta_log_string_stats_truncated),
        cmocka_unit_test(test_delta_log_num_indexed_cols),
        cmocka_unit_test(test_delta_log_codec_and_dictionary),
        cmocka_unit_test(test_delta_log_writer_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
