/*
 * delta_checkpoint_rows.c: checkpoint rows applied to the replay state:
 * `add` columns read directly (the bulk of a checkpoint), other actions
 * (and adds with deletion vectors) turned into JSON actions.
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

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
            lake_delta__file_release(&nf);
            continue; /* the generic path reports it */
        }
        lake_replay_insert_add(r, &nf);
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
