/*
 * delta_commit.c: write transactions: add/remove/txn/commitInfo actions,
 * the put-if-absent commit with optimistic retry for blind appends,
 * conflict and "already committed" (txn appId) detection, checkpoints
 * every N. The data files themselves are delta_write.c.
 */
#include "delta_int.h"
#include "delta_txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAX_COMMIT_ATTEMPTS 100000

static int is_part(const struct lake_snapshot *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->npartition_cols; i++) {
        if (!strcmp(s->partition_cols[i], name))
            return 1;
    }
    return 0;
}

int lake_txn_begin(struct lake_table *t, struct lake_txn **out)
{
    struct lake_txn *tx;
    size_t i;
    int rc;

    *out = NULL;
    rc = lake_snapshot_check_writer(t->snap);
    if (rc)
        return rc;
    if (!t->snap->schema)
        return jc_err_set(JC_EUNSUPPORTED, "'%s': table schema unavailable",
                          t->path);
    tx = ju_xcalloc(1, sizeof(*tx));
    tx->t = t;
    tx->read_version = t->snap->version;
    tx->codec = LAKE_CODEC_SNAPPY;
    tx->num_indexed = 32;
    {
        const char *d = lake_table_config(t, "jobctl.parquet.dictionary");

        tx->dictionary = !(d && !strcmp(d, "false"));
    }
    {
        const char *n =
            lake_table_config(t, "delta.dataSkippingNumIndexedCols");
        char *end;
        long v = n ? strtol(n, &end, 10) : 32;

        if (n && !*end && v >= -1 && v <= 100000)
            tx->num_indexed = (int)v;
    }
    {
        const char *c = lake_table_config(t, "jobctl.parquet.codec");

        if (c && lake_codec_parse(&tx->codec, c) != 0) {
            /* unknown codec in the table config: fall back to snappy */
            tx->codec = LAKE_CODEC_SNAPPY;
            jc_err_clear();
        }
    }
    lake_schema_init(&tx->data_schema);
    for (i = 0; i < t->snap->schema->n_fields; i++) {
        if (!is_part(t->snap, t->snap->schema->fields[i].name))
            lake_schema_add(&tx->data_schema, &t->snap->schema->fields[i]);
    }
    *out = tx;
    return 0;
}

static void txn_free(struct lake_txn *tx, int delete_files)
{
    size_t i;

    for (i = 0; i < tx->nadds; i++) {
        if (delete_files && tx->adds[i].abs_path)
            unlink(tx->adds[i].abs_path);
        free(tx->adds[i].log_path);
        free(tx->adds[i].abs_path);
        lake_delta__kv_free(tx->adds[i].part, tx->adds[i].npart);
        free(tx->adds[i].stats);
    }
    free(tx->adds);
    for (i = 0; i < tx->nremoves; i++) {
        free(tx->removes[i].path);
        lake_delta__kv_free(tx->removes[i].part, tx->removes[i].npart);
    }
    free(tx->removes);
    for (i = 0; i < tx->napps; i++)
        free(tx->apps[i].app_id);
    free(tx->apps);
    lake_schema_release(&tx->data_schema);
    free(tx);
}

void lake_txn_abort(struct lake_txn *tx)
{
    if (tx)
        txn_free(tx, 1);
}

int lake_txn_set_codec(struct lake_txn *tx, const char *codec)
{
    return lake_codec_parse(&tx->codec, codec);
}

void lake_txn_set_dictionary(struct lake_txn *tx, int on)
{
    tx->dictionary = on != 0;
}

int lake_txn_set_app_txn(struct lake_txn *tx, const char *app_id,
                         int64_t version)
{
    size_t i;

    for (i = 0; i < tx->napps; i++) {
        if (!strcmp(tx->apps[i].app_id, app_id)) {
            tx->apps[i].version = version;
            return 0;
        }
    }
    JU_ALLOC_GROW(tx->apps, tx->napps + 1, tx->aapps);
    tx->apps[tx->napps].app_id = ju_xstrdup(app_id);
    tx->apps[tx->napps].version = version;
    tx->apps[tx->napps].last_updated = lake_fs_now_ms();
    tx->napps++;
    return 0;
}

void lake_txn__remove_file(struct lake_txn *tx, const struct lake_file *f,
                           int data_change)
{
    struct pending_remove *pr;

    JU_ALLOC_GROW(tx->removes, tx->nremoves + 1, tx->aremoves);
    pr = &tx->removes[tx->nremoves++];
    pr->path = ju_xstrdup(f->path);
    pr->part = lake_delta__kv_copy(f->part, f->npart);
    pr->npart = f->npart;
    pr->size = f->size;
    pr->data_change = data_change;
}

int lake_txn_remove_all(struct lake_txn *tx)
{
    size_t i;
    const struct lake_snapshot *s = tx->t->snap;

    if (tx->remove_all)
        return 0;
    tx->remove_all = 1;
    for (i = 0; i < s->nfiles; i++)
        lake_txn__remove_file(tx, &s->files[i], 1);
    return 0;
}

int lake_txn_remove_file(struct lake_txn *tx, const struct lake_file *f)
{
    size_t i;

    for (i = 0; i < tx->nremoves; i++) {
        if (!strcmp(tx->removes[i].path, f->path))
            return 0;
    }
    lake_txn__remove_file(tx, f, 1);
    return 0;
}

void lake_txn__set_optimize(struct lake_txn *tx)
{
    tx->optimize = 1;
}

size_t lake_txn__nfiles(const struct lake_txn *tx, int add)
{
    return add ? tx->nadds : tx->nremoves;
}

int64_t lake_txn__bytes(const struct lake_txn *tx, int add)
{
    int64_t n = 0;
    size_t i;

    if (add) {
        for (i = 0; i < tx->nadds; i++)
            n += tx->adds[i].size;
    } else {
        for (i = 0; i < tx->nremoves; i++)
            n += tx->removes[i].size;
    }
    return n;
}

/* ---- commit ---- */

static void add_line(struct ju_buf *b, const char *key, json_t *body)
{
    json_t *a = json_object();
    char *s;

    json_object_set_new(a, key, body);
    s = json_dumps(a, JSON_COMPACT);
    ju_buf_addf(b, "%s\n", s);
    free(s);
    json_decref(a);
}

static json_t *kv_json(const struct lake_kv *kv, size_t n)
{
    json_t *o = json_object();
    size_t i;

    for (i = 0; i < n; i++)
        json_object_set_new(
            o, kv[i].key, kv[i].value ? json_string(kv[i].value) : json_null());
    return o;
}

static char *build_commit(struct lake_txn *tx, const char *operation,
                          const char *op_params)
{
    struct ju_buf b = JU_BUF_INIT;
    json_t *ci = json_object();
    json_t *params = NULL;
    json_t *metrics = json_object();
    int64_t now = lake_fs_now_ms();
    int64_t rows = 0, bytes = 0;
    int blind = tx->nremoves == 0;
    char txn_id[37];
    char num[32];
    size_t i;

    for (i = 0; i < tx->nadds; i++) {
        rows += tx->adds[i].rows;
        bytes += tx->adds[i].size;
    }
    if (op_params)
        params = json_loads(op_params, 0, NULL);
    if (!json_is_object(params)) {
        json_t *pc = json_array();
        char *s;

        json_decref(params);
        params = json_object();
        json_object_set_new(
            params, "mode",
            json_string(tx->remove_all ? "Overwrite" : "Append"));
        for (i = 0; i < tx->t->snap->npartition_cols; i++)
            json_array_append_new(pc,
                                  json_string(tx->t->snap->partition_cols[i]));
        s = json_dumps(pc, JSON_COMPACT);
        json_object_set_new(params, "partitionBy", json_string(s));
        free(s);
        json_decref(pc);
    }
    if (tx->optimize) {
        snprintf(num, sizeof(num), "%zu", tx->nremoves);
        json_object_set_new(metrics, "numRemovedFiles", json_string(num));
        snprintf(num, sizeof(num), "%zu", tx->nadds);
        json_object_set_new(metrics, "numAddedFiles", json_string(num));
        snprintf(num, sizeof(num), "%lld", (long long)bytes);
        json_object_set_new(metrics, "numAddedBytes", json_string(num));
        {
            int64_t rb = 0;

            for (i = 0; i < tx->nremoves; i++)
                rb += tx->removes[i].size;
            snprintf(num, sizeof(num), "%lld", (long long)rb);
            json_object_set_new(metrics, "numRemovedBytes", json_string(num));
        }
    } else {
        snprintf(num, sizeof(num), "%zu", tx->nadds);
        json_object_set_new(metrics, "numFiles", json_string(num));
        snprintf(num, sizeof(num), "%lld", (long long)rows);
        json_object_set_new(metrics, "numOutputRows", json_string(num));
        snprintf(num, sizeof(num), "%lld", (long long)bytes);
        json_object_set_new(metrics, "numOutputBytes", json_string(num));
        if (tx->nremoves) {
            snprintf(num, sizeof(num), "%zu", tx->nremoves);
            json_object_set_new(metrics, "numRemovedFiles", json_string(num));
        }
    }
    lake_fs_uuid4(txn_id);
    json_object_set_new(ci, "timestamp", json_integer(now));
    json_object_set_new(ci, "operation",
                        json_string(operation ? operation : "WRITE"));
    json_object_set_new(ci, "operationParameters", params);
    json_object_set_new(ci, "readVersion", json_integer(tx->read_version));
    json_object_set_new(
        ci, "isolationLevel",
        json_string(tx->optimize ? "SnapshotIsolation" : "Serializable"));
    json_object_set_new(ci, "isBlindAppend", json_boolean(blind));
    json_object_set_new(ci, "operationMetrics", metrics);
    json_object_set_new(ci, "engineInfo", json_string(LAKE_DELTA_ENGINE));
    json_object_set_new(ci, "txnId", json_string(txn_id));
    add_line(&b, "commitInfo", ci);
    for (i = 0; i < tx->napps; i++) {
        json_t *t = json_object();

        json_object_set_new(t, "appId", json_string(tx->apps[i].app_id));
        json_object_set_new(t, "version", json_integer(tx->apps[i].version));
        json_object_set_new(t, "lastUpdated", json_integer(now));
        add_line(&b, "txn", t);
    }
    for (i = 0; i < tx->nremoves; i++) {
        json_t *r = json_object();

        json_object_set_new(r, "path", json_string(tx->removes[i].path));
        json_object_set_new(r, "deletionTimestamp", json_integer(now));
        json_object_set_new(r, "dataChange",
                            json_boolean(tx->removes[i].data_change));
        json_object_set_new(r, "extendedFileMetadata", json_true());
        json_object_set_new(r, "partitionValues",
                            kv_json(tx->removes[i].part, tx->removes[i].npart));
        json_object_set_new(r, "size", json_integer(tx->removes[i].size));
        add_line(&b, "remove", r);
    }
    for (i = 0; i < tx->nadds; i++) {
        const struct pending_add *pa = &tx->adds[i];
        json_t *a = json_object();

        json_object_set_new(a, "path", json_string(pa->log_path));
        json_object_set_new(a, "partitionValues", kv_json(pa->part, pa->npart));
        json_object_set_new(a, "size", json_integer(pa->size));
        json_object_set_new(a, "modificationTime", json_integer(pa->mtime));
        json_object_set_new(a, "dataChange", json_boolean(pa->data_change));
        if (pa->stats)
            json_object_set_new(a, "stats", json_string(pa->stats));
        add_line(&b, "add", a);
    }
    return ju_buf_detach(&b, NULL);
}

/* Check the winning commit v against ours. 0 = retry is safe. */
static int check_conflict(struct lake_txn *tx, int64_t v)
{
    char *p = lake_log_commit_path(tx->t->log_dir, v);
    char *data = NULL;
    size_t len = 0;
    size_t off = 0;
    int rc = lake_fs_read_file(p, LAKE_DELTA_COMMIT_CAP, &data, &len);

    if (rc) {
        free(p);
        return rc;
    }
    while (off < len && rc == 0) {
        const char *line = data + off;
        const char *nl = memchr(line, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - line) : len - off;
        json_t *j = ll ? json_loadb(line, ll, 0, NULL) : NULL;
        json_t *a;
        size_t i;

        off += ll + (nl ? 1 : 0);
        if (!j)
            continue;
        if ((a = json_object_get(j, "txn")) != NULL) {
            const char *id = json_string_value(json_object_get(a, "appId"));
            json_t *ver = json_object_get(a, "version");

            for (i = 0; id && i < tx->napps; i++) {
                if (!strcmp(id, tx->apps[i].app_id) && json_is_integer(ver) &&
                    json_integer_value(ver) >= tx->apps[i].version)
                    rc = jc_err_set(JC_EEXIST,
                                    "txn '%s' version %lld was already "
                                    "committed by version %lld",
                                    id, (long long)tx->apps[i].version,
                                    (long long)v);
            }
        } else if (json_object_get(j, "metaData") ||
                   json_object_get(j, "protocol")) {
            rc = jc_err_set(JC_ECONFLICT,
                            "concurrent commit %lld changed the table's "
                            "metadata or protocol",
                            (long long)v);
        } else if ((a = json_object_get(j, "remove")) != NULL && tx->nremoves) {
            const char *rp = json_string_value(json_object_get(a, "path"));

            for (i = 0; rp && i < tx->nremoves; i++) {
                if (!strcmp(rp, tx->removes[i].path))
                    rc = jc_err_set(JC_ECONFLICT,
                                    "concurrent commit %lld removed '%s' "
                                    "which this transaction read",
                                    (long long)v, rp);
            }
        } else if ((a = json_object_get(j, "add")) != NULL && tx->remove_all &&
                   json_is_true(json_object_get(a, "dataChange"))) {
            rc = jc_err_set(JC_ECONFLICT,
                            "concurrent commit %lld added data to a table "
                            "being overwritten",
                            (long long)v);
        }
        json_decref(j);
    }
    free(data);
    free(p);
    return rc;
}

static int64_t ckpt_interval(const struct lake_table *t)
{
    const char *v = lake_table_config(t, "delta.checkpointInterval");
    long long n;
    char *end;

    if (!v)
        return LAKE_DELTA_DEFAULT_CKPT_INTERVAL;
    n = strtoll(v, &end, 10);
    if (*end || n < 1)
        return LAKE_DELTA_DEFAULT_CKPT_INTERVAL;
    return n;
}

int lake_txn_commit(struct lake_txn *tx, const char *operation,
                    const char *operation_parameters, int64_t *version_out)
{
    struct lake_table *t = tx->t;
    const char *ao = lake_table_config(t, "delta.appendOnly");
    char *text;
    int64_t v;
    int attempts = 0;
    int rc;
    size_t i;

    if (ao && !strcmp(ao, "true")) {
        for (i = 0; i < tx->nremoves; i++) {
            if (tx->removes[i].data_change) {
                txn_free(tx, 1);
                return jc_err_set(JC_EINVAL,
                                  "'%s': table is append-only "
                                  "(delta.appendOnly); cannot remove data",
                                  t->path);
            }
        }
    }
    text = build_commit(tx, operation, operation_parameters);
    v = tx->read_version + 1;
    for (;;) {
        char *cp = lake_log_commit_path(t->log_dir, v);

        rc = lake_fs_put_if_absent(cp, text, strlen(text));
        free(cp);
        if (rc == 0)
            break;
        if (rc != JC_EEXIST)
            goto fail;
        rc = check_conflict(tx, v);
        if (rc)
            goto fail;
        if (++attempts > MAX_COMMIT_ATTEMPTS) {
            rc = jc_err_set(JC_ECONFLICT,
                            "'%s': gave up after %d commit "
                            "attempts",
                            t->path, attempts);
            goto fail;
        }
        v++;
    }
    free(text);
    txn_free(tx, 0);
    if (version_out)
        *version_out = v;
    /* refresh; failures here do not undo the commit */
    if (lake_table_refresh(t) == 0 && v % ckpt_interval(t) == 0) {
        if (t->snap->version == v) {
            (void)lake_ckpt_write(t->log_dir, t->snap);
        } else {
            struct lake_snapshot *s = NULL;

            if (lake_snapshot_load(t->path, v, &s) == 0)
                (void)lake_ckpt_write(t->log_dir, s);
            lake_snapshot_free(s);
        }
    }
    jc_err_clear();
    return 0;
fail:
    free(text);
    txn_free(tx, 1);
    return rc;
}

int lake_table_append(struct lake_table *t, const struct lake_batch *batch,
                      int overwrite, int64_t *version_out)
{
    struct lake_txn *tx = NULL;
    int rc = lake_txn_begin(t, &tx);

    if (rc)
        return rc;
    if (overwrite)
        lake_txn_remove_all(tx);
    rc = lake_txn_append(tx, batch);
    if (rc) {
        lake_txn_abort(tx);
        return rc;
    }
    return lake_txn_commit(tx, "WRITE", NULL, version_out);
}
