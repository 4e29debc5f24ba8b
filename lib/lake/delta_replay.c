/*
 * delta_replay.c: the log replay state (live files keyed by path and
 * deletion vector, tombstones, app transactions, protocol, metadata) and
 * every change to it: JSON actions from commit lines, freezing it into a
 * struct lake_snapshot, and thawing a snapshot back into it.
 */
#include "delta_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

/* ---- a small string -> index hash map (open addressing) ---- */

struct smap {
    char **keys;
    size_t *vals;
    size_t cap; /* power of two */
    size_t n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

static void smap_grow(struct smap *m);

/* Returns a pointer to the value slot; *found tells whether it existed.
 * key is copied when inserted. */
static size_t *smap_put(struct smap *m, const char *key, int *found)
{
    size_t i;

    if ((m->n + 1) * 2 > m->cap)
        smap_grow(m);
    i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (!strcmp(m->keys[i], key)) {
            *found = 1;
            return &m->vals[i];
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = ju_xstrdup(key);
    m->n++;
    *found = 0;
    return &m->vals[i];
}

static size_t *smap_get(const struct smap *m, const char *key)
{
    size_t i;

    if (!m->cap)
        return NULL;
    i = (size_t)hash_str(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (!strcmp(m->keys[i], key))
            return &m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static void smap_grow(struct smap *m)
{
    struct smap nm;
    size_t i;

    nm.cap = m->cap ? m->cap * 2 : 64;
    nm.n = 0;
    nm.keys = ju_xcalloc(nm.cap, sizeof(char *));
    nm.vals = ju_xcalloc(nm.cap, sizeof(size_t));
    for (i = 0; i < m->cap; i++) {
        if (m->keys[i]) {
            size_t j = (size_t)hash_str(m->keys[i]) & (nm.cap - 1);

            while (nm.keys[j])
                j = (j + 1) & (nm.cap - 1);
            nm.keys[j] = m->keys[i];
            nm.vals[j] = m->vals[i];
            nm.n++;
        }
    }
    free(m->keys);
    free(m->vals);
    *m = nm;
}

static void smap_release(struct smap *m)
{
    size_t i;

    for (i = 0; i < m->cap; i++)
        free(m->keys[i]);
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* ---- replay state ---- */

struct fentry {
    struct lake_file f;
    int live;
};

struct tentry {
    struct lake_tombstone t;
    int live;
};

struct lake_replay {
    int have_protocol;
    int min_reader;
    int min_writer;
    char **reader_features;
    char **writer_features;
    json_t *metadata;
    struct smap fmap;
    struct fentry *files;
    size_t nfiles;
    size_t afiles;
    struct smap tmap;
    struct tentry *tombs;
    size_t ntombs;
    size_t atombs;
    struct lake_app_txn *txns;
    size_t ntxns;
    size_t atxns;
    int64_t checkpoint_version;
    int checkpoint_parts;
    int64_t commits_replayed;
};

struct lake_replay *lake_replay_new(void)
{
    struct lake_replay *r = ju_xcalloc(1, sizeof(*r));

    r->checkpoint_version = -1;
    return r;
}

void lake_delta__strv_free(char **v)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

void lake_delta__file_release(struct lake_file *f)
{
    size_t i;

    free(f->path);
    for (i = 0; i < f->npart; i++) {
        free(f->part[i].key);
        free(f->part[i].value);
    }
    free(f->part);
    free(f->stats);
    memset(f, 0, sizeof(*f));
}

void lake_replay_free(struct lake_replay *r)
{
    size_t i;

    if (!r)
        return;
    lake_delta__strv_free(r->reader_features);
    lake_delta__strv_free(r->writer_features);
    json_decref(r->metadata);
    for (i = 0; i < r->nfiles; i++)
        lake_delta__file_release(&r->files[i].f);
    free(r->files);
    smap_release(&r->fmap);
    for (i = 0; i < r->ntombs; i++)
        free(r->tombs[i].t.path);
    free(r->tombs);
    smap_release(&r->tmap);
    for (i = 0; i < r->ntxns; i++)
        free(r->txns[i].app_id);
    free(r->txns);
    free(r);
}

static int bad(const char *where, const char *action, const char *what)
{
    return jc_err_set(JC_EPARSE, "%s: %s: %s", where, action, what);
}

static int get_i64(json_t *o, const char *k, int64_t *out, int required,
                   const char *where, const char *action)
{
    json_t *v = json_object_get(o, k);

    if (!v || json_is_null(v)) {
        if (required) {
            jc_err_set(JC_EPARSE, "%s: %s: missing '%s'", where, action, k);
            return JC_EPARSE;
        }
        *out = 0;
        return 0;
    }
    if (!json_is_integer(v)) {
        jc_err_set(JC_EPARSE, "%s: %s: '%s' must be an integer", where, action,
                   k);
        return JC_EPARSE;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

static char **strv_from_json(json_t *a)
{
    char **v;
    size_t i, n = 0;
    json_t *e;

    if (!json_is_array(a))
        return NULL;
    v = ju_xcalloc(json_array_size(a) + 1, sizeof(char *));
    json_array_foreach(a, i, e)
    {
        if (json_is_string(e))
            v[n++] = ju_xstrdup(json_string_value(e));
    }
    return v;
}

static int64_t stats_num_records(const char *stats)
{
    const char *p;
    char *end;
    long long v;

    if (!stats)
        return -1;
    p = strstr(stats, "\"numRecords\"");
    if (!p)
        return -1;
    p += 12;
    while (*p == ' ' || *p == ':')
        p++;
    errno = 0;
    v = strtoll(p, &end, 10);
    if (errno || end == p || v < 0)
        return -1;
    return v;
}

/* Key of a logical file: path plus the deletion vector's identity. */
static char *file_key(const char *path, json_t *dv)
{
    if (json_is_object(dv)) {
        json_t *st = json_object_get(dv, "storageType");
        json_t *pd = json_object_get(dv, "pathOrInlineDv");
        json_t *off = json_object_get(dv, "offset");

        return ju_xasprintf(
            "%s\x01%s%s@%lld", path,
            json_is_string(st) ? json_string_value(st) : "",
            json_is_string(pd) ? json_string_value(pd) : "",
            json_is_integer(off) ? (long long)json_integer_value(off) : -1LL);
    }
    return ju_xstrdup(path);
}

static int apply_add(struct lake_replay *r, json_t *a, const char *where)
{
    json_t *jp = json_object_get(a, "path");
    json_t *pv = json_object_get(a, "partitionValues");
    json_t *st = json_object_get(a, "stats");
    json_t *dc = json_object_get(a, "dataChange");
    json_t *dv = json_object_get(a, "deletionVector");
    struct fentry *fe;
    size_t *slot;
    int found;
    char *key;
    int64_t size, mtime;
    size_t *ts;

    if (!json_is_object(a))
        return bad(where, "add", "action body must be an object");
    if (!json_is_string(jp) || !*json_string_value(jp))
        return bad(where, "add", "'path' must be a non-empty string");
    if (pv && !json_is_null(pv) && !json_is_object(pv))
        return bad(where, "add", "'partitionValues' must be an object");
    if (st && !json_is_null(st) && !json_is_string(st))
        return bad(where, "add", "'stats' must be a string");
    if (get_i64(a, "size", &size, 0, where, "add") ||
        get_i64(a, "modificationTime", &mtime, 0, where, "add"))
        return JC_EPARSE;
    if (size < 0)
        return bad(where, "add", "'size' is negative");
    if (json_is_null(dv))
        dv = NULL;
    key = file_key(json_string_value(jp), dv);
    slot = smap_put(&r->fmap, key, &found);
    if (!found) {
        JU_ALLOC_GROW(r->files, r->nfiles + 1, r->afiles);
        *slot = r->nfiles;
        memset(&r->files[r->nfiles], 0, sizeof(r->files[0]));
        r->nfiles++;
    }
    fe = &r->files[*slot];
    lake_delta__file_release(&fe->f);
    fe->live = 1;
    fe->f.path = ju_xstrdup(json_string_value(jp));
    if (json_is_object(pv)) {
        const char *k;
        json_t *v;
        size_t i = 0;

        fe->f.part =
            ju_xcalloc(json_object_size(pv) + 1, sizeof(struct lake_kv));
        json_object_foreach(pv, k, v)
        {
            fe->f.part[i].key = ju_xstrdup(k);
            fe->f.part[i].value =
                json_is_string(v) ? ju_xstrdup(json_string_value(v)) : NULL;
            i++;
        }
        fe->f.npart = i;
    }
    fe->f.size = size;
    fe->f.modification_time = mtime;
    fe->f.data_change = dc ? json_is_true(dc) : 1;
    fe->f.stats = json_is_string(st) ? ju_xstrdup(json_string_value(st)) : NULL;
    fe->f.num_records = stats_num_records(fe->f.stats);
    fe->f.has_dv = dv != NULL;
    /* an add clears a tombstone for the same key */
    ts = smap_get(&r->tmap, key);
    if (ts)
        r->tombs[*ts].live = 0;
    free(key);
    return 0;
}

/* Insert an add (key = path, no deletion vector) whose fields are already
 * allocated; takes ownership of nf's contents. */
void lake_replay_insert_add(struct lake_replay *r, struct lake_file *nf)
{
    struct fentry *fe;
    size_t *slot;
    size_t *ts;
    int found;

    slot = smap_put(&r->fmap, nf->path, &found);
    if (!found) {
        JU_ALLOC_GROW(r->files, r->nfiles + 1, r->afiles);
        *slot = r->nfiles;
        memset(&r->files[r->nfiles], 0, sizeof(r->files[0]));
        r->nfiles++;
    }
    fe = &r->files[*slot];
    lake_delta__file_release(&fe->f);
    fe->live = 1;
    fe->f = *nf;
    fe->f.num_records = stats_num_records(fe->f.stats);
    ts = smap_get(&r->tmap, nf->path);
    if (ts)
        r->tombs[*ts].live = 0;
}

static int apply_remove(struct lake_replay *r, json_t *a, const char *where)
{
    json_t *jp = json_object_get(a, "path");
    json_t *dv = json_object_get(a, "deletionVector");
    size_t *slot;
    int found;
    char *key;
    int64_t dts;
    struct tentry *te;

    if (!json_is_object(a))
        return bad(where, "remove", "action body must be an object");
    if (!json_is_string(jp) || !*json_string_value(jp))
        return bad(where, "remove", "'path' must be a non-empty string");
    if (get_i64(a, "deletionTimestamp", &dts, 0, where, "remove"))
        return JC_EPARSE;
    if (json_is_null(dv))
        dv = NULL;
    key = file_key(json_string_value(jp), dv);
    slot = smap_get(&r->fmap, key);
    if (slot)
        r->files[*slot].live = 0;
    slot = smap_put(&r->tmap, key, &found);
    if (!found) {
        JU_ALLOC_GROW(r->tombs, r->ntombs + 1, r->atombs);
        *slot = r->ntombs;
        memset(&r->tombs[r->ntombs], 0, sizeof(r->tombs[0]));
        r->ntombs++;
    }
    te = &r->tombs[*slot];
    free(te->t.path);
    te->t.path = ju_xstrdup(json_string_value(jp));
    te->t.deletion_timestamp = dts;
    te->live = 1;
    free(key);
    return 0;
}

static int apply_txn(struct lake_replay *r, json_t *a, const char *where)
{
    json_t *id = json_object_get(a, "appId");
    int64_t v, lu;
    size_t i;

    if (!json_is_object(a))
        return bad(where, "txn", "action body must be an object");
    if (!json_is_string(id))
        return bad(where, "txn", "'appId' must be a string");
    if (get_i64(a, "version", &v, 1, where, "txn") ||
        get_i64(a, "lastUpdated", &lu, 0, where, "txn"))
        return JC_EPARSE;
    for (i = 0; i < r->ntxns; i++) {
        if (!strcmp(r->txns[i].app_id, json_string_value(id)))
            break;
    }
    if (i == r->ntxns) {
        JU_ALLOC_GROW(r->txns, r->ntxns + 1, r->atxns);
        r->txns[i].app_id = ju_xstrdup(json_string_value(id));
        r->ntxns++;
    }
    r->txns[i].version = v;
    r->txns[i].last_updated = lu;
    return 0;
}

static int apply_protocol(struct lake_replay *r, json_t *a, const char *where)
{
    int64_t rv, wv;

    if (!json_is_object(a))
        return bad(where, "protocol", "action body must be an object");
    if (get_i64(a, "minReaderVersion", &rv, 1, where, "protocol") ||
        get_i64(a, "minWriterVersion", &wv, 1, where, "protocol"))
        return JC_EPARSE;
    if (rv < 1 || rv > 1000 || wv < 1 || wv > 1000)
        return bad(where, "protocol", "version out of range");
    r->have_protocol = 1;
    r->min_reader = (int)rv;
    r->min_writer = (int)wv;
    lake_delta__strv_free(r->reader_features);
    lake_delta__strv_free(r->writer_features);
    r->reader_features = strv_from_json(json_object_get(a, "readerFeatures"));
    r->writer_features = strv_from_json(json_object_get(a, "writerFeatures"));
    return 0;
}

static int apply_metadata(struct lake_replay *r, json_t *a, const char *where)
{
    json_t *ss = json_object_get(a, "schemaString");
    json_t *pc = json_object_get(a, "partitionColumns");
    json_t *cf = json_object_get(a, "configuration");
    size_t i;
    json_t *e;

    if (!json_is_object(a))
        return bad(where, "metaData", "action body must be an object");
    if (!json_is_string(json_object_get(a, "id")))
        return bad(where, "metaData", "'id' must be a string");
    if (!json_is_string(ss))
        return bad(where, "metaData", "'schemaString' must be a string");
    if (pc && !json_is_null(pc)) {
        if (!json_is_array(pc))
            return bad(where, "metaData", "'partitionColumns' must be a list");
        json_array_foreach(pc, i, e)
        {
            if (!json_is_string(e))
                return bad(where, "metaData",
                           "'partitionColumns' must hold strings");
        }
    }
    if (cf && !json_is_null(cf) && !json_is_object(cf))
        return bad(where, "metaData", "'configuration' must be an object");
    json_decref(r->metadata);
    r->metadata = json_incref(a);
    return 0;
}

int lake_replay_apply(struct lake_replay *r, json_t *action, const char *where)
{
    const char *k;
    json_t *v;

    if (!json_is_object(action))
        return jc_err_set(JC_EPARSE, "%s: action must be a JSON object", where);
    json_object_foreach(action, k, v)
    {
        int rc = 0;

        if (json_is_null(v))
            continue;
        if (!strcmp(k, "add"))
            rc = apply_add(r, v, where);
        else if (!strcmp(k, "remove"))
            rc = apply_remove(r, v, where);
        else if (!strcmp(k, "txn"))
            rc = apply_txn(r, v, where);
        else if (!strcmp(k, "protocol"))
            rc = apply_protocol(r, v, where);
        else if (!strcmp(k, "metaData"))
            rc = apply_metadata(r, v, where);
        /* commitInfo, cdc, domainMetadata and unknown actions: no state */
        if (rc)
            return rc;
    }
    return 0;
}

int lake_replay_commit_text(struct lake_replay *r, const char *name,
                            const char *data, size_t len)
{
    size_t off = 0;
    int line = 0;
    char where[1100];

    while (off < len) {
        const char *p = data + off;
        const char *nl = memchr(p, '\n', len - off);
        size_t ll = nl ? (size_t)(nl - p) : len - off;
        json_error_t jerr;
        json_t *j;
        int rc;

        line++;
        snprintf(where, sizeof(where), "'%s': line %d", name, line);
        if (ll && p[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            return jc_err_set(JC_EPARSE, "%s: blank line", where);
        if (ll > LAKE_DELTA_LINE_CAP)
            return jc_err_set(JC_ETOOBIG, "%s: line longer than %zu bytes",
                              where, LAKE_DELTA_LINE_CAP);
        j = json_loadb(p, ll, 0, &jerr);
        if (!j)
            return jc_err_set(JC_EPARSE, "%s: column %d: invalid JSON: %s",
                              where, jerr.column, jerr.text);
        rc = lake_replay_apply(r, j, where);
        json_decref(j);
        if (rc)
            return rc;
        off += (nl ? (size_t)(nl - p) + 1 : len - off);
    }
    if (line == 0)
        return jc_err_set(JC_EPARSE, "'%s': empty commit file", name);
    r->commits_replayed++;
    return 0;
}

/* ---- replay state -> snapshot ---- */

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const struct lake_file *)a)->path,
                  ((const struct lake_file *)b)->path);
}

static int cmp_tomb(const void *a, const void *b)
{
    return strcmp(((const struct lake_tombstone *)a)->path,
                  ((const struct lake_tombstone *)b)->path);
}

int lake_replay_finish(struct lake_replay *r, int64_t version,
                       struct lake_snapshot **out)
{
    struct lake_snapshot *s;
    json_t *pc, *cf, *jn;
    size_t i, n;
    const char *k;
    json_t *v;
    int rc;

    *out = NULL;
    if (!r->have_protocol)
        return jc_err_set(JC_EPARSE,
                          "version %lld: no protocol action in the "
                          "log",
                          (long long)version);
    if (!r->metadata)
        return jc_err_set(JC_EPARSE,
                          "version %lld: no metaData action in the "
                          "log",
                          (long long)version);
    s = ju_xcalloc(1, sizeof(*s));
    s->version = version;
    s->min_reader_version = r->min_reader;
    s->min_writer_version = r->min_writer;
    s->reader_features = r->reader_features;
    s->writer_features = r->writer_features;
    r->reader_features = NULL;
    r->writer_features = NULL;
    s->metadata_id =
        ju_xstrdup(json_string_value(json_object_get(r->metadata, "id")));
    jn = json_object_get(r->metadata, "name");
    s->name = json_is_string(jn) ? ju_xstrdup(json_string_value(jn)) : NULL;
    s->schema_string = ju_xstrdup(
        json_string_value(json_object_get(r->metadata, "schemaString")));
    jn = json_object_get(r->metadata, "createdTime");
    s->created_time = json_is_integer(jn) ? json_integer_value(jn) : 0;
    pc = json_object_get(r->metadata, "partitionColumns");
    if (json_is_array(pc)) {
        s->partition_cols = ju_xcalloc(json_array_size(pc) + 1, sizeof(char *));
        json_array_foreach(pc, i, v) s->partition_cols[s->npartition_cols++] =
            ju_xstrdup(json_string_value(v));
    }
    cf = json_object_get(r->metadata, "configuration");
    if (json_is_object(cf)) {
        s->config =
            ju_xcalloc(json_object_size(cf) + 1, sizeof(struct lake_kv));
        json_object_foreach(cf, k, v)
        {
            s->config[s->nconfig].key = ju_xstrdup(k);
            s->config[s->nconfig].value =
                json_is_string(v)
                    ? ju_xstrdup(json_string_value(v))
                    : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            s->nconfig++;
        }
    }
    /* files */
    for (i = 0, n = 0; i < r->nfiles; i++)
        n += r->files[i].live;
    s->files = ju_xcalloc(n ? n : 1, sizeof(struct lake_file));
    for (i = 0; i < r->nfiles; i++) {
        if (!r->files[i].live)
            continue;
        s->files[s->nfiles++] = r->files[i].f;
        memset(&r->files[i].f, 0, sizeof(r->files[i].f));
    }
    qsort(s->files, s->nfiles, sizeof(struct lake_file), cmp_file);
    for (i = 0, n = 0; i < r->ntombs; i++)
        n += r->tombs[i].live;
    s->tombstones = ju_xcalloc(n ? n : 1, sizeof(struct lake_tombstone));
    for (i = 0; i < r->ntombs; i++) {
        if (!r->tombs[i].live)
            continue;
        s->tombstones[s->ntombstones++] = r->tombs[i].t;
        r->tombs[i].t.path = NULL;
    }
    qsort(s->tombstones, s->ntombstones, sizeof(struct lake_tombstone),
          cmp_tomb);
    s->txns = r->txns;
    s->ntxns = r->ntxns;
    r->txns = NULL;
    r->ntxns = 0;
    s->checkpoint_version = r->checkpoint_version;
    s->checkpoint_parts = r->checkpoint_parts;
    s->commits_replayed = r->commits_replayed;
    /* schema: only for tables we can read (refused ones may use types or
     * physical names we do not know) */
    if (lake_snapshot_check_reader(s) == 0) {
        rc = lake_delta_schema_parse(s->schema_string, &s->schema);
        if (rc) {
            lake_snapshot_free(s);
            return rc;
        }
    } else {
        jc_err_clear();
    }
    *out = s;
    return 0;
}

void lake_replay_set_checkpoint(struct lake_replay *r, int64_t v, int parts)
{
    r->checkpoint_version = v;
    r->checkpoint_parts = parts;
}

/* ---- snapshot -> replay state (incremental refresh) ---- */

static char **strv_dup(char **v)
{
    size_t n = 0, i;
    char **o;

    if (!v)
        return NULL;
    while (v[n])
        n++;
    o = ju_xcalloc(n + 1, sizeof(char *));
    for (i = 0; i < n; i++)
        o[i] = ju_xstrdup(v[i]);
    return o;
}

/* Replay state equal to snapshot s (so that later commits can be applied
 * on top of it without re-reading the checkpoint). */
struct lake_replay *lake_replay_from_snapshot(const struct lake_snapshot *s)
{
    struct lake_replay *r = lake_replay_new();
    json_t *md = json_object();
    json_t *pc = json_array();
    json_t *cf = json_object();
    size_t i;

    r->have_protocol = 1;
    r->min_reader = s->min_reader_version;
    r->min_writer = s->min_writer_version;
    r->reader_features = strv_dup(s->reader_features);
    r->writer_features = strv_dup(s->writer_features);
    json_object_set_new(md, "id", json_string(s->metadata_id));
    if (s->name)
        json_object_set_new(md, "name", json_string(s->name));
    json_object_set_new(md, "schemaString", json_string(s->schema_string));
    for (i = 0; i < s->npartition_cols; i++)
        json_array_append_new(pc, json_string(s->partition_cols[i]));
    json_object_set_new(md, "partitionColumns", pc);
    for (i = 0; i < s->nconfig; i++)
        json_object_set_new(cf, s->config[i].key,
                            s->config[i].value ? json_string(s->config[i].value)
                                               : json_null());
    json_object_set_new(md, "configuration", cf);
    if (s->created_time)
        json_object_set_new(md, "createdTime", json_integer(s->created_time));
    r->metadata = md;
    r->files = ju_xcalloc(s->nfiles + 1, sizeof(struct fentry));
    r->afiles = s->nfiles + 1;
    for (i = 0; i < s->nfiles; i++) {
        const struct lake_file *f = &s->files[i];
        struct fentry *fe = &r->files[r->nfiles];
        int found;
        size_t *slot;

        if (f->has_dv) {
            /* DV identity is not kept in the snapshot: replay fully */
            lake_replay_free(r);
            return NULL;
        }
        slot = smap_put(&r->fmap, f->path, &found);
        *slot = r->nfiles++;
        fe->live = 1;
        fe->f = *f;
        fe->f.path = ju_xstrdup(f->path);
        fe->f.part = lake_delta__kv_copy(f->part, f->npart);
        fe->f.stats = f->stats ? ju_xstrdup(f->stats) : NULL;
    }
    r->tombs = ju_xcalloc(s->ntombstones + 1, sizeof(struct tentry));
    r->atombs = s->ntombstones + 1;
    for (i = 0; i < s->ntombstones; i++) {
        int found;
        size_t *slot = smap_put(&r->tmap, s->tombstones[i].path, &found);

        *slot = r->ntombs;
        r->tombs[r->ntombs].t.path = ju_xstrdup(s->tombstones[i].path);
        r->tombs[r->ntombs].t.deletion_timestamp =
            s->tombstones[i].deletion_timestamp;
        r->tombs[r->ntombs].live = 1;
        r->ntombs++;
    }
    r->txns = ju_xcalloc(s->ntxns + 1, sizeof(struct lake_app_txn));
    r->atxns = s->ntxns + 1;
    for (i = 0; i < s->ntxns; i++) {
        r->txns[i] = s->txns[i];
        r->txns[i].app_id = ju_xstrdup(s->txns[i].app_id);
    }
    r->ntxns = s->ntxns;
    r->checkpoint_version = s->checkpoint_version;
    r->checkpoint_parts = s->checkpoint_parts;
    r->commits_replayed = s->commits_replayed;
    return r;
}
