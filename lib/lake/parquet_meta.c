/*
 * parquet_meta.c: decode FileMetaData and PageHeader from Thrift compact
 * bytes into the plain structs of parquet_int.h. Unknown fields are
 * skipped; every count is capped by the bytes available. Writing the
 * footer is in parquet_write.c.
 */
#include "parquet_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/thrift.h"
#include "util/mem.h"

#define TRY(x)                                                                 \
    do {                                                                       \
        int rc_ = (x);                                                         \
        if (rc_)                                                               \
            return rc_;                                                        \
    } while (0)

static int want(struct lake_thrift_reader *r, int type, int expect)
{
    if (type != expect)
        return jc_err_set(
            JC_EPARSE, "thrift at byte %llu: field has type %d, expected %d",
            (unsigned long long)(r->origin + r->pos), type, expect);
    return 0;
}

static int read_i32f(struct lake_thrift_reader *r, int type, int32_t *v)
{
    if (type != LAKE_THRIFT_I32 && type != LAKE_THRIFT_I16 &&
        type != LAKE_THRIFT_I8)
        TRY(want(r, type, LAKE_THRIFT_I32));
    if (type == LAKE_THRIFT_I8) {
        int8_t x;
        TRY(lake_thrift_read_i8(r, &x));
        *v = x;
        return 0;
    }
    return lake_thrift_read_i32(r, v);
}

static int read_i64f(struct lake_thrift_reader *r, int type, int64_t *v)
{
    if (type != LAKE_THRIFT_I64 && type != LAKE_THRIFT_I32)
        TRY(want(r, type, LAKE_THRIFT_I64));
    return lake_thrift_read_i64(r, v);
}

static int read_bool(struct lake_thrift_reader *r, int type, bool *v)
{
    if (type != LAKE_THRIFT_TRUE && type != LAKE_THRIFT_FALSE)
        return want(r, type, LAKE_THRIFT_TRUE);
    *v = type == LAKE_THRIFT_TRUE;
    return 0;
}

static int read_str(struct lake_thrift_reader *r, int type, char **out)
{
    const uint8_t *p;
    size_t n;

    TRY(want(r, type, LAKE_THRIFT_BINARY));
    TRY(lake_thrift_read_binary(r, &p, &n));
    free(*out);
    *out = ju_xstrndup((const char *)p, n);
    return 0;
}

/* Iterate the fields of a struct: body uses id/ft, must consume the value
 * or `continue` after skipping. */
#define FOR_FIELDS(r, id, ft)                                                  \
    int16_t last_ = 0;                                                         \
    TRY(lake_thrift_struct_begin(r));                                          \
    for (;;) {                                                                 \
        TRY(lake_thrift_field((r), &last_, &(ft), &(id)));                     \
        if ((ft) == LAKE_THRIFT_STOP)                                          \
            break;
#define END_FIELDS(r)                                                          \
    }                                                                          \
    lake_thrift_struct_end(r)

/* TimeUnit / empty-struct unions: returns the id of the set member. */
static int read_union_id(struct lake_thrift_reader *r, int *member)
{
    int16_t id;
    int ft;

    *member = 0;
    FOR_FIELDS(r, id, ft)
    *member = id;
    TRY(lake_thrift_skip(r, ft));
    END_FIELDS(r);
    return 0;
}

static int read_lt_decimal(struct lake_thrift_reader *r, struct pq_selem *e)
{
    int16_t id;
    int ft;

    FOR_FIELDS(r, id, ft)
    if (id == 1)
        TRY(read_i32f(r, ft, &e->l_scale));
    else if (id == 2)
        TRY(read_i32f(r, ft, &e->l_precision));
    else
        TRY(lake_thrift_skip(r, ft));
    END_FIELDS(r);
    return 0;
}

static int read_lt_time(struct lake_thrift_reader *r, struct pq_selem *e)
{
    int16_t id;
    int ft;

    FOR_FIELDS(r, id, ft)
    if (id == 1)
        TRY(read_bool(r, ft, &e->l_utc));
    else if (id == 2 && ft == LAKE_THRIFT_STRUCT)
        TRY(read_union_id(r, &e->l_unit));
    else
        TRY(lake_thrift_skip(r, ft));
    END_FIELDS(r);
    return 0;
}

static int read_lt_int(struct lake_thrift_reader *r, struct pq_selem *e)
{
    int16_t id;
    int ft;
    int32_t bw;

    FOR_FIELDS(r, id, ft)
    if (id == 1) {
        TRY(read_i32f(r, ft, &bw));
        e->l_bitwidth = bw;
    } else if (id == 2) {
        TRY(read_bool(r, ft, &e->l_signed));
    } else {
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    return 0;
}

static int read_logical(struct lake_thrift_reader *r, struct pq_selem *e)
{
    int16_t id;
    int ft;

    FOR_FIELDS(r, id, ft)
    if (ft != LAKE_THRIFT_STRUCT) {
        TRY(lake_thrift_skip(r, ft));
        continue;
    }
    e->logical = id;
    if (id == PQ_LT_DECIMAL)
        TRY(read_lt_decimal(r, e));
    else if (id == PQ_LT_TIMESTAMP || id == PQ_LT_TIME)
        TRY(read_lt_time(r, e));
    else if (id == PQ_LT_INTEGER)
        TRY(read_lt_int(r, e));
    else
        TRY(lake_thrift_skip(r, ft));
    END_FIELDS(r);
    return 0;
}

static int read_selem(struct lake_thrift_reader *r, struct pq_selem *e)
{
    int16_t id;
    int ft;
    int32_t v;

    memset(e, 0, sizeof(*e));
    e->type = -1;
    e->repetition = -1;
    e->converted = PQ_CT_NONE;
    e->field_id = -1;
    FOR_FIELDS(r, id, ft)
    switch (id) {
    case 1:
        TRY(read_i32f(r, ft, &v));
        e->type = v;
        break;
    case 2:
        TRY(read_i32f(r, ft, &e->type_length));
        break;
    case 3:
        TRY(read_i32f(r, ft, &v));
        e->repetition = v;
        break;
    case 4:
        TRY(read_str(r, ft, &e->name));
        break;
    case 5:
        TRY(read_i32f(r, ft, &e->num_children));
        break;
    case 6:
        TRY(read_i32f(r, ft, &v));
        e->converted = v;
        break;
    case 7:
        TRY(read_i32f(r, ft, &e->scale));
        break;
    case 8:
        TRY(read_i32f(r, ft, &e->precision));
        break;
    case 9:
        TRY(read_i32f(r, ft, &e->field_id));
        e->has_field_id = true;
        break;
    case 10:
        if (ft == LAKE_THRIFT_STRUCT)
            TRY(read_logical(r, e));
        else
            TRY(lake_thrift_skip(r, ft));
        break;
    default:
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    if (!e->name)
        e->name = ju_xstrdup("");
    return 0;
}

static int read_stats(struct lake_thrift_reader *r, struct pq_stats *s)
{
    int16_t id;
    int ft;
    const uint8_t *p;
    size_t n;
    const uint8_t *lmin = NULL;
    const uint8_t *lmax = NULL;
    size_t lmin_n = 0;
    size_t lmax_n = 0;

    FOR_FIELDS(r, id, ft)
    if ((id == 1 || id == 2 || id == 5 || id == 6) &&
        ft == LAKE_THRIFT_BINARY) {
        TRY(lake_thrift_read_binary(r, &p, &n));
        if (id == 1) {
            lmax = p;
            lmax_n = n;
        } else if (id == 2) {
            lmin = p;
            lmin_n = n;
        } else if (id == 5) {
            s->max = p;
            s->max_len = n;
            s->has_max = true;
        } else {
            s->min = p;
            s->min_len = n;
            s->has_min = true;
        }
    } else if (id == 3) {
        TRY(read_i64f(r, ft, &s->null_count));
        s->has_null_count = true;
    } else {
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    if (!s->has_min && !s->has_max && lmin && lmax) {
        s->min = lmin;
        s->min_len = lmin_n;
        s->max = lmax;
        s->max_len = lmax_n;
        s->has_min = s->has_max = true;
        s->legacy = true;
    }
    return 0;
}

static int read_colmeta(struct lake_thrift_reader *r, struct pq_chunk *c)
{
    int16_t id;
    int ft;
    int32_t v;

    c->has_meta = true;
    FOR_FIELDS(r, id, ft)
    switch (id) {
    case 1:
        TRY(read_i32f(r, ft, &v));
        c->type = v;
        break;
    case 4:
        TRY(read_i32f(r, ft, &v));
        c->codec = v;
        break;
    case 5:
        TRY(read_i64f(r, ft, &c->num_values));
        break;
    case 6:
        TRY(read_i64f(r, ft, &c->total_uncompressed));
        break;
    case 7:
        TRY(read_i64f(r, ft, &c->total_compressed));
        break;
    case 9:
        TRY(read_i64f(r, ft, &c->data_page_offset));
        break;
    case 11:
        TRY(read_i64f(r, ft, &c->dictionary_page_offset));
        c->has_dict_offset = true;
        break;
    case 12:
        if (ft == LAKE_THRIFT_STRUCT)
            TRY(read_stats(r, &c->stats));
        else
            TRY(lake_thrift_skip(r, ft));
        break;
    default:
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    return 0;
}

static int read_chunk(struct lake_thrift_reader *r, struct pq_chunk *c)
{
    int16_t id;
    int ft;

    memset(c, 0, sizeof(*c));
    FOR_FIELDS(r, id, ft)
    if (id == 3 && ft == LAKE_THRIFT_STRUCT)
        TRY(read_colmeta(r, c));
    else if (id == 1 && ft == LAKE_THRIFT_BINARY)
        return jc_err_set(JC_EUNSUPPORTED,
                          "column chunk in an external file (file_path) is "
                          "not supported");
    else
        TRY(lake_thrift_skip(r, ft));
    END_FIELDS(r);
    if (!c->has_meta)
        return jc_err_set(JC_EPARSE, "column chunk without meta_data");
    return 0;
}

static int read_rowgroup(struct lake_thrift_reader *r, struct pq_rowgroup *g)
{
    int16_t id;
    int ft;
    int et;
    size_t n;
    size_t i;

    FOR_FIELDS(r, id, ft)
    if (id == 1 && ft == LAKE_THRIFT_LIST) {
        TRY(lake_thrift_read_list(r, &et, &n));
        TRY(want(r, et, LAKE_THRIFT_STRUCT));
        if (g->chunks)
            return jc_err_set(JC_EPARSE, "row group has two column lists");
        g->chunks = ju_xcalloc(n ? n : 1, sizeof(*g->chunks));
        g->n_chunks = n;
        for (i = 0; i < n; i++)
            TRY(read_chunk(r, &g->chunks[i]));
    } else if (id == 3) {
        TRY(read_i64f(r, ft, &g->num_rows));
    } else {
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    return 0;
}

static int read_kv(struct lake_thrift_reader *r, char **k, char **v)
{
    int16_t id;
    int ft;

    FOR_FIELDS(r, id, ft)
    if (id == 1)
        TRY(read_str(r, ft, k));
    else if (id == 2)
        TRY(read_str(r, ft, v));
    else
        TRY(lake_thrift_skip(r, ft));
    END_FIELDS(r);
    return 0;
}

static int meta_parse(struct pq_filemeta *m, struct lake_thrift_reader *r)
{
    int16_t id;
    int ft;
    int et;
    size_t n;
    size_t i;
    bool have_schema = false;

    FOR_FIELDS(r, id, ft)
    switch (id) {
    case 1:
        TRY(read_i32f(r, ft, &m->version));
        break;
    case 2:
        TRY(want(r, ft, LAKE_THRIFT_LIST));
        TRY(lake_thrift_read_list(r, &et, &n));
        TRY(want(r, et, LAKE_THRIFT_STRUCT));
        if (have_schema)
            return jc_err_set(JC_EPARSE, "footer has two schema lists");
        if (n > LAKE_PARQUET_MAX_COLUMNS * 2)
            return jc_err_set(JC_ETOOBIG, "schema has %zu elements", n);
        have_schema = true;
        m->schema = ju_xcalloc(n ? n : 1, sizeof(*m->schema));
        for (i = 0; i < n; i++) {
            m->n_schema = i + 1;
            TRY(read_selem(r, &m->schema[i]));
        }
        m->n_schema = n;
        break;
    case 3:
        TRY(read_i64f(r, ft, &m->num_rows));
        break;
    case 4:
        TRY(want(r, ft, LAKE_THRIFT_LIST));
        TRY(lake_thrift_read_list(r, &et, &n));
        TRY(want(r, et, LAKE_THRIFT_STRUCT));
        if (m->rgs)
            return jc_err_set(JC_EPARSE, "footer has two row group lists");
        m->rgs = ju_xcalloc(n ? n : 1, sizeof(*m->rgs));
        for (i = 0; i < n; i++) {
            m->n_rg = i + 1;
            TRY(read_rowgroup(r, &m->rgs[i]));
        }
        m->n_rg = n;
        break;
    case 5:
        TRY(want(r, ft, LAKE_THRIFT_LIST));
        TRY(lake_thrift_read_list(r, &et, &n));
        TRY(want(r, et, LAKE_THRIFT_STRUCT));
        if (m->kv_keys)
            return jc_err_set(JC_EPARSE, "footer has two key/value lists");
        m->kv_keys = ju_xcalloc(n ? n : 1, sizeof(char *));
        m->kv_vals = ju_xcalloc(n ? n : 1, sizeof(char *));
        for (i = 0; i < n; i++) {
            m->n_kv = i + 1;
            TRY(read_kv(r, &m->kv_keys[i], &m->kv_vals[i]));
        }
        break;
    case 6:
        TRY(read_str(r, ft, &m->created_by));
        break;
    default:
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    if (!have_schema || m->n_schema == 0)
        return jc_err_set(JC_EPARSE, "footer has no schema");
    return 0;
}

int lake_parquet__meta_parse(struct pq_filemeta *m, const uint8_t *p, size_t n,
                             uint64_t origin)
{
    struct lake_thrift_reader r;

    memset(m, 0, sizeof(*m));
    lake_thrift_reader_init(&r, p, n, origin);
    return meta_parse(m, &r);
}

void lake_parquet__meta_release(struct pq_filemeta *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->n_schema; i++)
        free(m->schema[i].name);
    free(m->schema);
    for (i = 0; i < m->n_rg; i++)
        free(m->rgs[i].chunks);
    free(m->rgs);
    for (i = 0; i < m->n_kv; i++) {
        free(m->kv_keys[i]);
        free(m->kv_vals[i]);
    }
    free(m->kv_keys);
    free(m->kv_vals);
    free(m->created_by);
    memset(m, 0, sizeof(*m));
}

static int read_data_header(struct lake_thrift_reader *r,
                            struct pq_page_header *h, bool v2)
{
    int16_t id;
    int ft;
    int32_t v;

    FOR_FIELDS(r, id, ft)
    if (id == 1) {
        TRY(read_i32f(r, ft, &h->num_values));
    } else if (!v2 && id == 2) {
        TRY(read_i32f(r, ft, &v));
        h->encoding = v;
    } else if (v2 && id == 2) {
        TRY(read_i32f(r, ft, &h->num_nulls));
    } else if (v2 && id == 3) {
        TRY(read_i32f(r, ft, &h->num_rows));
    } else if (v2 && id == 4) {
        TRY(read_i32f(r, ft, &v));
        h->encoding = v;
    } else if (v2 && id == 5) {
        TRY(read_i32f(r, ft, &h->def_len));
    } else if (v2 && id == 6) {
        TRY(read_i32f(r, ft, &h->rep_len));
    } else if (v2 && id == 7) {
        TRY(read_bool(r, ft, &h->is_compressed));
    } else {
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    return 0;
}

static int page_header_parse(struct pq_page_header *h,
                             struct lake_thrift_reader *r)
{
    int16_t id;
    int ft;
    int32_t v;

    FOR_FIELDS(r, id, ft)
    switch (id) {
    case 1:
        TRY(read_i32f(r, ft, &v));
        h->type = v;
        break;
    case 2:
        TRY(read_i32f(r, ft, &h->uncompressed));
        break;
    case 3:
        TRY(read_i32f(r, ft, &h->compressed));
        break;
    case 5:
        TRY(want(r, ft, LAKE_THRIFT_STRUCT));
        TRY(read_data_header(r, h, false));
        h->has_data = true;
        break;
    case 7:
        TRY(want(r, ft, LAKE_THRIFT_STRUCT));
        TRY(read_data_header(r, h, false));
        h->has_dict = true;
        break;
    case 8:
        TRY(want(r, ft, LAKE_THRIFT_STRUCT));
        TRY(read_data_header(r, h, true));
        h->has_v2 = true;
        break;
    default:
        TRY(lake_thrift_skip(r, ft));
    }
    END_FIELDS(r);
    return 0;
}

int lake_parquet__page_header_parse(struct pq_page_header *h, const uint8_t *p,
                                    size_t n, uint64_t origin, size_t *consumed)
{
    struct lake_thrift_reader r;
    int rc;

    memset(h, 0, sizeof(*h));
    h->type = -1;
    h->is_compressed = true;
    lake_thrift_reader_init(&r, p, n, origin);
    rc = page_header_parse(h, &r);
    *consumed = r.pos;
    if (rc)
        return rc;
    if (h->uncompressed < 0 || h->compressed < 0 || h->num_values < 0 ||
        h->def_len < 0 || h->rep_len < 0 || h->num_nulls < 0)
        return jc_err_set(JC_EPARSE, "page header at byte %llu: negative size",
                          (unsigned long long)origin);
    return 0;
}
