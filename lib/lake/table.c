/*
 * table.c: struct lake_table: name resolution under $JOBCTL_HOME/lake,
 * opening at the latest version / a version / a timestamp, creating
 * version 0, refreshing, and the snapshot accessors.
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

char *lake_root_dir(void)
{
    const char *home = getenv("JOBCTL_HOME");

    if (!home || !*home)
        home = "./.jobctl";
    return ju_xasprintf("%s/lake", home);
}

char *lake_table_resolve(const char *name_or_path)
{
    struct stat st;
    char *root;
    char *p;
    char *lp;

    if (strchr(name_or_path, '/'))
        return ju_xstrdup(name_or_path);
    /* a bare name: the lake table of that name wins over a directory of
     * the same name in the working directory */
    root = lake_root_dir();
    p = ju_xasprintf("%s/%s", root, name_or_path);
    free(root);
    lp = ju_xasprintf("%s/_delta_log", p);
    if (stat(lp, &st) != 0 && stat(name_or_path, &st) == 0 &&
        S_ISDIR(st.st_mode)) {
        free(lp);
        free(p);
        return ju_xstrdup(name_or_path);
    }
    free(lp);
    return p;
}

static struct lake_table *table_new(const char *path)
{
    struct lake_table *t = ju_xcalloc(1, sizeof(*t));
    size_t n = strlen(path);

    while (n > 1 && path[n - 1] == '/')
        n--;
    t->path = ju_xstrndup(path, n);
    t->log_dir = ju_xasprintf("%s/_delta_log", t->path);
    return t;
}

/* Load t's snapshot at version (-1: the latest) and check that this reader
 * can read it: *out = t, or t is closed. */
static int finish_open(struct lake_table *t, int64_t version,
                       struct lake_table **out)
{
    int rc = lake_snapshot_load(t->path, version, &t->snap);

    if (rc == 0)
        rc = lake_snapshot_check_reader(t->snap);
    if (rc) {
        lake_table_close(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int open_at(struct lake_table **out, const char *path, int64_t version)
{
    *out = NULL;
    return finish_open(table_new(path), version, out);
}

int lake_table_open(struct lake_table **out, const char *path)
{
    return open_at(out, path, -1);
}

int lake_table_open_version(struct lake_table **out, const char *path,
                            int64_t version)
{
    if (version < 0)
        return jc_err_set(JC_EINVAL, "version must be >= 0");
    return open_at(out, path, version);
}

int lake_table_open_timestamp(struct lake_table **out, const char *path,
                              int64_t timestamp_ms)
{
    char *log_dir = ju_xasprintf("%s/_delta_log", path);
    struct lake_log_listing l;
    int64_t *times = NULL;
    int64_t *versions = NULL;
    size_t n = 0;
    size_t i;
    int64_t pick = -1;
    int rc = lake_log_list(log_dir, &l);

    *out = NULL;
    if (rc) {
        free(log_dir);
        if (rc == JC_ENOTFOUND)
            return jc_err_set(JC_ENOTFOUND,
                              "'%s' is not a Delta table (no _delta_log)",
                              path);
        return rc;
    }
    lake_log_version_times(log_dir, &l, &times, &versions, &n);
    for (i = 0; i < n; i++) {
        if (times[i] <= timestamp_ms)
            pick = versions[i];
    }
    if (pick < 0)
        rc = jc_err_set(JC_ENOTFOUND,
                        "'%s': timestamp %lld is before the earliest "
                        "available commit",
                        path, (long long)timestamp_ms);
    free(times);
    free(versions);
    lake_log_listing_release(&l);
    free(log_dir);
    if (rc)
        return rc;
    return open_at(out, path, pick);
}

int lake_table_refresh(struct lake_table *t)
{
    struct lake_snapshot *s = NULL;
    int rc = lake_snapshot_advance(t->path, t->snap, &s);

    if (rc)
        return rc;
    if (!s)
        return 0; /* no new commits */
    rc = lake_snapshot_check_reader(s);
    if (rc) {
        lake_snapshot_free(s);
        return rc;
    }
    lake_snapshot_free(t->snap);
    t->snap = s;
    return 0;
}

void lake_table_close(struct lake_table *t)
{
    if (!t)
        return;
    lake_snapshot_free(t->snap);
    free(t->path);
    free(t->log_dir);
    free(t);
}

const char *lake_table_path(const struct lake_table *t)
{
    return t->path;
}

const struct lake_snapshot *lake_table_snapshot(const struct lake_table *t)
{
    return t->snap;
}

int64_t lake_table_version(const struct lake_table *t)
{
    return t->snap->version;
}

const struct lake_schema *lake_table_schema(const struct lake_table *t)
{
    return t->snap->schema;
}

int lake_table_txn_version(const struct lake_table *t, const char *app_id,
                           int64_t *version)
{
    size_t i;

    for (i = 0; i < t->snap->ntxns; i++) {
        if (!strcmp(t->snap->txns[i].app_id, app_id)) {
            *version = t->snap->txns[i].version;
            return 0;
        }
    }
    return JC_ENOTFOUND;
}

const char *lake_table_config(const struct lake_table *t, const char *key)
{
    size_t i;

    for (i = 0; i < t->snap->nconfig; i++) {
        if (!strcmp(t->snap->config[i].key, key))
            return t->snap->config[i].value;
    }
    return NULL;
}

int lake_table_create_if_absent(struct lake_table **out, const char *path,
                                const struct lake_schema *schema,
                                const char *const *partition_cols,
                                size_t npartition_cols,
                                const char *const *config)
{
    struct lake_table *t = table_new(path);
    json_t *ci, *proto, *meta, *pc, *cf, *op;
    struct ju_buf b = JU_BUF_INIT;
    char *ss;
    char *s;
    char id[37], txn_id[37];
    char *cp;
    int64_t now = lake_fs_now_ms();
    size_t i;
    int rc;

    *out = NULL;
    rc = lake_snapshot_load(t->path, -1, &t->snap);
    if (rc == 0) {
        rc = lake_snapshot_check_reader(t->snap);
        if (rc) {
            lake_table_close(t);
            return rc;
        }
        *out = t;
        return 0;
    }
    if (rc != JC_ENOTFOUND) {
        lake_table_close(t);
        return rc;
    }
    jc_err_clear();
    for (i = 0; i < npartition_cols; i++) {
        if (lake_schema_find(schema, partition_cols[i]) < 0) {
            lake_table_close(t);
            return jc_err_set(JC_EINVAL,
                              "partition column '%s' is not in the schema",
                              partition_cols[i]);
        }
    }
    rc = lake_fs_mkdirs(t->log_dir);
    if (rc) {
        lake_table_close(t);
        return rc;
    }
    lake_fs_uuid4(id);
    lake_fs_uuid4(txn_id);
    pc = json_array();
    for (i = 0; i < npartition_cols; i++)
        json_array_append_new(pc, json_string(partition_cols[i]));
    cf = json_object();
    for (i = 0; config && config[i] && config[i + 1]; i += 2)
        json_object_set_new(cf, config[i], json_string(config[i + 1]));

    op = json_object();
    json_object_set_new(op, "mode", json_string("ErrorIfExists"));
    s = json_dumps(pc, JSON_COMPACT);
    json_object_set_new(op, "partitionBy", json_string(s));
    free(s);
    ci = json_object();
    json_object_set_new(ci, "timestamp", json_integer(now));
    json_object_set_new(ci, "operation", json_string("CREATE TABLE"));
    json_object_set_new(ci, "operationParameters", op);
    json_object_set_new(ci, "isolationLevel", json_string("Serializable"));
    json_object_set_new(ci, "isBlindAppend", json_true());
    json_object_set_new(ci, "operationMetrics", json_object());
    json_object_set_new(ci, "engineInfo", json_string(LAKE_DELTA_ENGINE));
    json_object_set_new(ci, "txnId", json_string(txn_id));
    proto = json_object();
    json_object_set_new(proto, "minReaderVersion", json_integer(1));
    json_object_set_new(proto, "minWriterVersion", json_integer(2));
    ss = lake_delta_schema_string(schema);
    meta = json_object();
    json_object_set_new(meta, "id", json_string(id));
    {
        json_t *fmt = json_object();

        json_object_set_new(fmt, "provider", json_string("parquet"));
        json_object_set_new(fmt, "options", json_object());
        json_object_set_new(meta, "format", fmt);
    }
    json_object_set_new(meta, "schemaString", json_string(ss));
    json_object_set_new(meta, "partitionColumns", pc);
    json_object_set_new(meta, "configuration", cf);
    json_object_set_new(meta, "createdTime", json_integer(now));
    free(ss);
    {
        json_t *a;

        a = json_pack("{s:o}", "commitInfo", ci);
        s = json_dumps(a, JSON_COMPACT);
        ju_buf_addf(&b, "%s\n", s);
        free(s);
        json_decref(a);
        a = json_pack("{s:o}", "protocol", proto);
        s = json_dumps(a, JSON_COMPACT);
        ju_buf_addf(&b, "%s\n", s);
        free(s);
        json_decref(a);
        a = json_pack("{s:o}", "metaData", meta);
        s = json_dumps(a, JSON_COMPACT);
        ju_buf_addf(&b, "%s\n", s);
        free(s);
        json_decref(a);
    }
    cp = lake_log_commit_path(t->log_dir, 0);
    rc = lake_fs_put_if_absent(cp, b.data, b.len);
    free(cp);
    ju_buf_release(&b);
    if (rc && rc != JC_EEXIST) {
        lake_table_close(t);
        return rc;
    }
    /* created, or someone else won the race: open what is there */
    return finish_open(t, -1, out);
}
