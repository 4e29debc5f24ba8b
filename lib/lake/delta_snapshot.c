/*
 * delta_snapshot.c: log replay. Applies actions (from JSON commit lines or
 * checkpoint rows) to a replay state keyed by file path, then freezes it
 * into a struct lake_snapshot; checks reader/writer protocol support.
 */
#include "delta_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/parquet.h"
#include "util/buf.h"
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

static void free_strv(char **v)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

static void file_release(struct lake_file *f)
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
    free_strv(r->reader_features);
    free_strv(r->writer_features);
    json_decref(r->metadata);
    for (i = 0; i < r->nfiles; i++)
        file_release(&r->files[i].f);
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
    file_release(&fe->f);
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
static void insert_add(struct lake_replay *r, struct lake_file *nf)
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
    file_release(&fe->f);
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
    free_strv(r->reader_features);
    free_strv(r->writer_features);
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

/* ---- checkpoint rows -> JSON actions ---- */

static json_t *col_json(const struct lake_column *c, size_t i, int depth)
{
    size_t b, e, k;
    json_t *o;

    if (lake_column_is_null(c, i) || depth > LAKE_NESTING_MAX)
        return json_null();
    switch (c->type) {
    case LAKE_TYPE_BOOLEAN:
        return json_boolean(lake_column_get_i64(c, i));
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG:
    case LAKE_TYPE_DATE:
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        return json_integer(lake_column_get_i64(c, i));
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE:
    case LAKE_TYPE_DECIMAL:
        return json_real(lake_column_get_f64(c, i));
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY: {
        size_t n;
        const char *s = lake_column_get_str(c, i, &n);

        return json_stringn_nocheck(s, n);
    }
    case LAKE_TYPE_ARRAY:
        o = json_array();
        lake_column_get_range(c, i, &b, &e);
        for (k = b; k < e; k++)
            json_array_append_new(o, col_json(&c->children[0], k, depth + 1));
        return o;
    case LAKE_TYPE_MAP:
        o = json_object();
        lake_column_get_range(c, i, &b, &e);
        for (k = b; k < e; k++) {
            size_t n;
            const char *s;
            char *ks;

            if (c->children[0].type != LAKE_TYPE_STRING ||
                lake_column_is_null(&c->children[0], k))
                continue;
            s = lake_column_get_str(&c->children[0], k, &n);
            ks = ju_xstrndup(s, n);
            json_object_set_new(o, ks, col_json(&c->children[1], k, depth + 1));
            free(ks);
        }
        return o;
    case LAKE_TYPE_STRUCT:
        return NULL; /* handled by the caller (needs field names) */
    default:
        return json_null();
    }
}

static json_t *struct_json(const struct lake_field *f,
                           const struct lake_column *c, size_t i, int depth)
{
    json_t *o = json_object();
    size_t k;

    for (k = 0; k < f->n_children && k < c->n_children; k++) {
        const struct lake_column *cc = &c->children[k];
        json_t *v;

        if (lake_column_is_null(cc, i))
            continue;
        if (cc->type == LAKE_TYPE_STRUCT)
            v = depth < LAKE_NESTING_MAX
                    ? struct_json(&f->children[k], cc, i, depth + 1)
                    : json_null();
        else
            v = col_json(cc, i, depth + 1);
        json_object_set_new(o, f->children[k].name, v);
    }
    return o;
}

static int child_index(const struct lake_field *f, const char *name,
                       enum lake_type type)
{
    size_t i;

    for (i = 0; i < f->n_children; i++) {
        if (!strcmp(f->children[i].name, name))
            return f->children[i].type == type ? (int)i : -2;
    }
    return -1;
}

/* Column-wise reading of checkpoint `add` rows (the bulk of a
 * checkpoint) without building JSON. Returns 1 when the column layout is
 * not the expected one (the caller then uses the generic path); rows with
 * a deletion vector are left to the generic path (*done[row] == 0). */
static int fast_adds(struct lake_replay *r, const struct lake_field *f,
                     const struct lake_column *c, size_t nrows, uint8_t *done)
{
    int ip = child_index(f, "path", LAKE_TYPE_STRING);
    int ipv = child_index(f, "partitionValues", LAKE_TYPE_MAP);
    int isz = child_index(f, "size", LAKE_TYPE_LONG);
    int imt = child_index(f, "modificationTime", LAKE_TYPE_LONG);
    int idc = child_index(f, "dataChange", LAKE_TYPE_BOOLEAN);
    int ist = child_index(f, "stats", LAKE_TYPE_STRING);
    int idv = child_index(f, "deletionVector", LAKE_TYPE_STRUCT);
    size_t row;

    if (ip < 0 || ipv == -2 || isz == -2 || imt == -2 || idc == -2 ||
        ist == -2 || idv == -2)
        return 1;
    if (ipv >= 0 && (c->children[ipv].n_children != 2 ||
                     c->children[ipv].children[0].type != LAKE_TYPE_STRING ||
                     c->children[ipv].children[1].type != LAKE_TYPE_STRING))
        return 1;
    for (row = 0; row < nrows; row++) {
        const struct lake_column *cp = &c->children[ip];
        struct lake_file nf;
        const char *sp;
        size_t n;

        if (lake_column_is_null(c, row) || lake_column_is_null(cp, row))
            continue;
        if (idv >= 0 && !lake_column_is_null(&c->children[idv], row))
            continue; /* generic path keys deletion vectors */
        sp = lake_column_get_str(cp, row, &n);
        if (n == 0)
            continue;
        memset(&nf, 0, sizeof(nf));
        nf.path = ju_xstrndup(sp, n);
        if (ipv >= 0 && !lake_column_is_null(&c->children[ipv], row)) {
            const struct lake_column *m = &c->children[ipv];
            size_t b, e, k;

            lake_column_get_range(m, row, &b, &e);
            nf.part = ju_xcalloc(e - b + 1, sizeof(struct lake_kv));
            for (k = b; k < e; k++) {
                const char *ks = lake_column_get_str(&m->children[0], k, &n);

                nf.part[nf.npart].key = ju_xstrndup(ks, n);
                if (!lake_column_is_null(&m->children[1], k)) {
                    ks = lake_column_get_str(&m->children[1], k, &n);
                    nf.part[nf.npart].value = ju_xstrndup(ks, n);
                }
                nf.npart++;
            }
        }
        if (isz >= 0 && !lake_column_is_null(&c->children[isz], row))
            nf.size = lake_column_get_i64(&c->children[isz], row);
        if (imt >= 0 && !lake_column_is_null(&c->children[imt], row))
            nf.modification_time = lake_column_get_i64(&c->children[imt], row);
        nf.data_change = 1;
        if (idc >= 0 && !lake_column_is_null(&c->children[idc], row))
            nf.data_change = (int)lake_column_get_i64(&c->children[idc], row);
        if (ist >= 0 && !lake_column_is_null(&c->children[ist], row)) {
            sp = lake_column_get_str(&c->children[ist], row, &n);
            nf.stats = ju_xstrndup(sp, n);
        }
        if (nf.size < 0) {
            file_release(&nf);
            continue; /* the generic path reports it */
        }
        insert_add(r, &nf);
        done[row] = 1;
    }
    return 0;
}

int lake_replay_checkpoint_batch(struct lake_replay *r,
                                 const struct lake_batch *b, const char *name)
{
    static const char *const acts[] = {"protocol", "metaData", "txn", "add",
                                       "remove"};
    size_t row, a;
    char where[1100];
    uint8_t *done = ju_xcalloc(b->num_rows + 1, 1);
    int add_idx = lake_schema_find(&b->schema, "add");

    /* checkpoints are applied in row order, but a checkpoint holds at most
     * one action per file, so adds can be applied first */
    if (add_idx >= 0 && b->columns[add_idx].type == LAKE_TYPE_STRUCT &&
        fast_adds(r, &b->schema.fields[add_idx], &b->columns[add_idx],
                  b->num_rows, done) != 0)
        memset(done, 0, b->num_rows + 1);
    for (row = 0; row < b->num_rows; row++) {
        for (a = 0; a < sizeof(acts) / sizeof(acts[0]); a++) {
            int idx = lake_schema_find(&b->schema, acts[a]);
            const struct lake_column *c;
            json_t *body;
            json_t *act;
            int rc;

            if (idx < 0)
                continue;
            if (idx == add_idx && done[row])
                continue;
            c = &b->columns[idx];
            if (c->type != LAKE_TYPE_STRUCT || lake_column_is_null(c, row))
                continue;
            body = struct_json(&b->schema.fields[idx], c, row, 0);
            /* Spark writes all-null structs for absent actions in some
             * versions: an add without a path is not an action */
            if ((a >= 3 && !json_is_string(json_object_get(body, "path"))) ||
                (a == 2 && !json_is_string(json_object_get(body, "appId"))) ||
                (a == 1 && !json_is_string(json_object_get(body, "id"))) ||
                (a == 0 && !json_object_get(body, "minReaderVersion"))) {
                json_decref(body);
                continue;
            }
            act = json_object();
            json_object_set_new(act, acts[a], body);
            snprintf(where, sizeof(where), "'%s': row %zu", name, row);
            rc = lake_replay_apply(r, act, where);
            json_decref(act);
            if (rc) {
                free(done);
                return rc;
            }
        }
    }
    free(done);
    return 0;
}

/* ---- snapshot ---- */

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

void lake_snapshot_free(struct lake_snapshot *s)
{
    size_t i;

    if (!s)
        return;
    free_strv(s->reader_features);
    free_strv(s->writer_features);
    free(s->metadata_id);
    free(s->name);
    free(s->schema_string);
    if (s->schema)
        lake_schema_free(s->schema);
    for (i = 0; i < s->npartition_cols; i++)
        free(s->partition_cols[i]);
    free(s->partition_cols);
    for (i = 0; i < s->nconfig; i++) {
        free(s->config[i].key);
        free(s->config[i].value);
    }
    free(s->config);
    for (i = 0; i < s->nfiles; i++)
        file_release(&s->files[i]);
    free(s->files);
    for (i = 0; i < s->ntombstones; i++)
        free(s->tombstones[i].path);
    free(s->tombstones);
    for (i = 0; i < s->ntxns; i++)
        free(s->txns[i].app_id);
    free(s->txns);
    free(s);
}

static const char *cfg_get(const struct lake_snapshot *s, const char *k)
{
    size_t i;

    for (i = 0; i < s->nconfig; i++) {
        if (!strcmp(s->config[i].key, k))
            return s->config[i].value;
    }
    return NULL;
}

int lake_snapshot_check_reader(const struct lake_snapshot *s)
{
    const char *cm = cfg_get(s, "delta.columnMapping.mode");
    int cm_none = !cm || !strcmp(cm, "none");
    struct ju_buf b = JU_BUF_INIT;
    size_t i;
    int n = 0;
    int rc;

    if (s->min_reader_version <= 1)
        return 0;
    if (s->min_reader_version == 2) {
        if (cm_none)
            return 0;
        return jc_err_set(JC_EUNSUPPORTED,
                          "table requires reader version 2 with features "
                          "[columnMapping] (delta.columnMapping.mode '%s'); "
                          "this reader supports version 1",
                          cm);
    }
    if (s->min_reader_version > 3)
        return jc_err_set(JC_EUNSUPPORTED,
                          "table requires reader version %d; this reader "
                          "supports version 1",
                          s->min_reader_version);
    for (i = 0; s->reader_features && s->reader_features[i]; i++) {
        const char *f = s->reader_features[i];

        if (!strcmp(f, "timestampNtz") || !strcmp(f, "vacuumProtocolCheck"))
            continue;
        if (!strcmp(f, "columnMapping") && cm_none)
            continue;
        ju_buf_addf(&b, "%s%s", n++ ? ", " : "", f);
    }
    if (!n)
        return 0;
    rc = jc_err_set(JC_EUNSUPPORTED,
                    "table requires reader version 3 with features [%s]; "
                    "this reader supports version 1",
                    ju_buf_str(&b));
    ju_buf_release(&b);
    return rc;
}

int lake_snapshot_check_writer(const struct lake_snapshot *s)
{
    size_t i;

    if (lake_snapshot_check_reader(s))
        return JC_EUNSUPPORTED;
    if (s->min_writer_version <= 2)
        return 0;
    if (s->min_writer_version == 7) {
        for (i = 0; s->writer_features && s->writer_features[i]; i++) {
            const char *f = s->writer_features[i];

            if (strcmp(f, "appendOnly") && strcmp(f, "timestampNtz") &&
                strcmp(f, "vacuumProtocolCheck"))
                return jc_err_set(JC_EUNSUPPORTED,
                                  "table requires writer feature '%s'; this "
                                  "writer supports version 2",
                                  f);
        }
        return 0;
    }
    return jc_err_set(JC_EUNSUPPORTED,
                      "table requires writer version %d; this writer "
                      "supports version 2",
                      s->min_writer_version);
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

void lake_replay_set_checkpoint(struct lake_replay *r, int64_t v, int parts);
void lake_replay_set_checkpoint(struct lake_replay *r, int64_t v, int parts)
{
    r->checkpoint_version = v;
    r->checkpoint_parts = parts;
}

static int replay_commit_file(struct lake_replay *r, const char *log_dir,
                              int64_t v)
{
    char *p = lake_log_commit_path(log_dir, v);
    char *data = NULL;
    size_t len = 0;
    int rc = lake_fs_read_file(p, LAKE_DELTA_COMMIT_CAP, &data, &len);

    if (rc == 0)
        rc = lake_replay_commit_text(r, p, data, len);
    free(data);
    free(p);
    return rc;
}

/* Replay commits first..last (each must be listed in l) into r, then finish
 * r as the snapshot of version last, stamped with that commit's mtime. */
static int replay_commits(struct lake_replay *r,
                          const struct lake_log_listing *l, const char *log_dir,
                          int64_t first, int64_t last,
                          struct lake_snapshot **out)
{
    int64_t v;
    int rc;

    for (v = first; v <= last; v++) {
        if (!lake_log_has_commit(l, v))
            return jc_err_set(JC_EPARSE,
                              "'%s': log has a gap: commit %020lld.json is "
                              "missing",
                              log_dir, (long long)v);
        rc = replay_commit_file(r, log_dir, v);
        if (rc)
            return rc;
    }
    rc = lake_replay_finish(r, last, out);
    if (rc == 0) {
        char *cp = lake_log_commit_path(log_dir, last);

        if (lake_fs_mtime_ms(cp, &(*out)->timestamp_ms) != 0)
            (*out)->timestamp_ms = 0;
        free(cp);
    }
    return rc;
}

int lake_snapshot_load(const char *path, int64_t version,
                       struct lake_snapshot **out)
{
    char *log_dir = ju_xasprintf("%s/_delta_log", path);
    struct lake_log_listing l;
    int64_t latest = -1;
    int64_t target;
    int64_t start = -1;
    struct lake_replay *r = NULL;
    size_t ci;
    int rc;

    *out = NULL;
    rc = lake_log_list(log_dir, &l);
    if (rc) {
        if (rc == JC_ENOTFOUND)
            jc_err_set(JC_ENOTFOUND,
                       "'%s' is not a Delta table (no _delta_log)", path);
        free(log_dir);
        return rc;
    }
    if (l.ncommits)
        latest = l.commits[l.ncommits - 1];
    for (ci = 0; ci < l.nckpts; ci++) {
        if (l.ckpts[ci].have >= l.ckpts[ci].parts &&
            l.ckpts[ci].version > latest)
            latest = l.ckpts[ci].version;
    }
    if (latest < 0) {
        rc = jc_err_set(JC_ENOTFOUND,
                        "'%s' is not a Delta table (no commits in _delta_log)",
                        path);
        goto out;
    }
    target = version < 0 ? latest : version;
    if (target > latest) {
        rc = jc_err_set(JC_ENOTFOUND,
                        "'%s': version %lld does not exist (latest is %lld)",
                        path, (long long)version, (long long)latest);
        goto out;
    }
    /* newest complete checkpoint <= target that can be read */
    for (ci = l.nckpts; ci-- > 0;) {
        const struct lake_log_ckpt *c = &l.ckpts[ci];

        if (c->version > target || c->have < c->parts)
            continue;
        r = lake_replay_new();
        rc = lake_ckpt_read(r, log_dir, c->version, c->parts);
        if (rc == 0) {
            lake_replay_set_checkpoint(r, c->version, c->parts);
            start = c->version;
            break;
        }
        /* unusable checkpoint: try an older one */
        lake_replay_free(r);
        r = NULL;
    }
    if (!r) {
        r = lake_replay_new();
        if (!lake_log_has_commit(&l, 0)) {
            rc = jc_err_set(JC_ENOTFOUND,
                            "'%s': cannot reconstruct version %lld: no "
                            "checkpoint and commit 0 is missing",
                            path, (long long)target);
            goto out;
        }
    }
    rc = replay_commits(r, &l, log_dir, start + 1, target, out);
out:
    lake_replay_free(r);
    lake_log_listing_release(&l);
    free(log_dir);
    return rc;
}

/* ---- incremental refresh ---- */

static struct lake_kv *kv_dup(const struct lake_kv *kv, size_t n)
{
    struct lake_kv *o = ju_xcalloc(n + 1, sizeof(*o));
    size_t i;

    for (i = 0; i < n; i++) {
        o[i].key = ju_xstrdup(kv[i].key);
        o[i].value = kv[i].value ? ju_xstrdup(kv[i].value) : NULL;
    }
    return o;
}

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
static struct lake_replay *replay_from_snapshot(const struct lake_snapshot *s)
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
        fe->f.part = kv_dup(f->part, f->npart);
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

int lake_snapshot_advance(const char *path, const struct lake_snapshot *base,
                          struct lake_snapshot **out)
{
    char *log_dir = ju_xasprintf("%s/_delta_log", path);
    struct lake_log_listing l;
    struct lake_replay *r = NULL;
    int64_t latest;
    size_t ci;
    int rc = lake_log_list(log_dir, &l);

    *out = NULL;
    if (rc) {
        free(log_dir);
        return rc;
    }
    latest = l.ncommits ? l.commits[l.ncommits - 1] : -1;
    if (latest <= base->version) {
        /* unchanged (a newer checkpoint alone changes nothing) */
        rc = 0;
        goto out;
    }
    for (ci = 0; ci < l.nckpts; ci++) {
        if (l.ckpts[ci].version > base->version &&
            l.ckpts[ci].have >= l.ckpts[ci].parts) {
            /* a newer checkpoint: a full load is as cheap */
            rc = lake_snapshot_load(path, -1, out);
            goto out;
        }
    }
    r = replay_from_snapshot(base);
    if (!r) {
        rc = lake_snapshot_load(path, -1, out);
        goto out;
    }
    rc = replay_commits(r, &l, log_dir, base->version + 1, latest, out);
out:
    lake_replay_free(r);
    lake_log_listing_release(&l);
    free(log_dir);
    return rc;
}
