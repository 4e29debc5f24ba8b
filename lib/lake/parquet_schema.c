/*
 * parquet_schema.c: mapping between lake schemas and Parquet schema trees.
 * Writer side: emit SchemaElements (3-level LIST, MAP key_value, converted
 * type + logicalType). Reader side: turn SchemaElements (incl. legacy
 * 2-level lists, bare repeated fields, INT96, millis) into a lake schema.
 * Both produce the per-leaf layout (nodes, def/rep levels) used to shred
 * and assemble nested columns.
 */
#include "parquet_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "lake/thrift.h"
#include "util/mem.h"

int32_t lake_parquet__decimal_flba_len(int precision)
{
    /* smallest n with 10^precision <= 2^(8n-1) */
    static const int max_prec[17] = {0,  2,  4,  6,  9,  11, 14, 16, 18,
                                     21, 23, 26, 28, 31, 33, 35, 38};
    int32_t n;

    for (n = 1; n <= 16; n++)
        if (precision <= max_prec[n])
            return n;
    return 16;
}

int lake_parquet__phys_for(enum lake_type t, int precision,
                           int32_t *type_length)
{
    *type_length = 0;
    switch (t) {
    case LAKE_TYPE_BOOLEAN:
        return PQ_BOOLEAN;
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_DATE:
        return PQ_INT32;
    case LAKE_TYPE_LONG:
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        return PQ_INT64;
    case LAKE_TYPE_FLOAT:
        return PQ_FLOAT;
    case LAKE_TYPE_DOUBLE:
        return PQ_DOUBLE;
    case LAKE_TYPE_STRING:
    case LAKE_TYPE_BINARY:
        return PQ_BYTE_ARRAY;
    case LAKE_TYPE_DECIMAL:
        if (precision <= 9)
            return PQ_INT32;
        if (precision <= 18)
            return PQ_INT64;
        *type_length = lake_parquet__decimal_flba_len(precision);
        return PQ_FLBA;
    default:
        return -1;
    }
}

/* ------------------------------------------------------------- layout */

struct lo_ctx {
    struct pq_layout *lo;
    struct pq_node stack[LAKE_NESTING_MAX + 1];
    size_t entered_at[LAKE_NESTING_MAX + 1];
    char *names[LAKE_NESTING_MAX + 1];
    size_t top;
    bool in_repeated;
};

static int lo_walk(struct lo_ctx *cx, const struct lake_field *f, size_t depth,
                   int def, int rep, int child_index)
{
    struct pq_node *n;
    size_t i;
    int rc;

    if (depth >= LAKE_NESTING_MAX)
        return jc_err_set(JC_ETOOBIG, "field '%s' nested deeper than %d",
                          f->name, LAKE_NESTING_MAX);
    n = &cx->stack[depth];
    memset(n, 0, sizeof(*n));
    n->nullable = f->nullable;
    n->child_index = child_index;
    n->def_present = def + (f->nullable ? 1 : 0);
    cx->entered_at[depth] = cx->lo->n_leaves;
    cx->names[depth] = f->name;
    switch (f->type) {
    case LAKE_TYPE_STRUCT:
        n->kind = PQN_STRUCT;
        if (f->n_children == 0)
            return jc_err_set(JC_EUNSUPPORTED,
                              "struct '%s' has no fields (not representable "
                              "in Parquet)",
                              f->name);
        for (i = 0; i < f->n_children; i++) {
            rc = lo_walk(cx, &f->children[i], depth + 1, n->def_present, rep,
                         (int)i);
            if (rc)
                return rc;
        }
        return 0;
    case LAKE_TYPE_ARRAY:
    case LAKE_TYPE_MAP: {
        bool saved = cx->in_repeated;
        size_t want = f->type == LAKE_TYPE_ARRAY ? 1 : 2;
        n->kind = PQN_LIST;
        n->is_map = f->type == LAKE_TYPE_MAP;
        n->def_nonempty = n->def_present + 1;
        n->rep = rep + 1;
        if (f->n_children != want)
            return jc_err_set(JC_EINVAL, "%s '%s' must have %zu child fields",
                              lake_type_name(f->type), f->name, want);
        cx->in_repeated = true;
        for (i = 0; i < want; i++) {
            rc = lo_walk(cx, &f->children[i], depth + 1, n->def_nonempty,
                         n->rep, (int)i);
            if (rc)
                return rc;
        }
        cx->in_repeated = saved;
        return 0;
    }
    default: {
        struct pq_leaf *lf;
        struct ju_buf dotted = JU_BUF_INIT;
        size_t k;
        int r;
        n->kind = PQN_LEAF;
        cx->lo->leaves = ju_xrealloc(
            cx->lo->leaves, (cx->lo->n_leaves + 1) * sizeof(*cx->lo->leaves));
        lf = &cx->lo->leaves[cx->lo->n_leaves];
        memset(lf, 0, sizeof(*lf));
        lf->top = cx->top;
        lf->depth = depth + 1;
        memcpy(lf->nodes, cx->stack, (depth + 1) * sizeof(struct pq_node));
        lf->max_def = n->def_present;
        lf->max_rep = rep;
        lf->own_from = depth;
        for (k = 0; k <= depth; k++) {
            if (cx->entered_at[k] == cx->lo->n_leaves) {
                lf->own_from = k;
                break;
            }
        }
        for (r = 0; r <= LAKE_NESTING_MAX; r++)
            lf->start_node[r] = 0;
        for (k = 0; k < depth; k++)
            if (lf->nodes[k].kind == PQN_LIST)
                lf->start_node[lf->nodes[k].rep] = (int)k + 1;
        lf->ltype = f->type;
        lf->precision = f->precision;
        lf->scale = f->scale;
        lf->in_repeated = cx->in_repeated;
        lf->path_len = depth + 1;
        lf->path = ju_xcalloc(depth + 1, sizeof(char *));
        for (k = 0; k <= depth; k++) {
            lf->path[k] = ju_xstrdup(cx->names[k]);
            if (k)
                ju_buf_addc(&dotted, '.');
            ju_buf_adds(&dotted, cx->names[k]);
        }
        lf->dotted = ju_buf_detach(&dotted, NULL);
        lf->phys =
            lake_parquet__phys_for(f->type, f->precision, &lf->type_length);
        lf->conv = PQ_CONV_COPY;
        cx->lo->n_leaves++;
        if (lf->phys < 0)
            return jc_err_set(JC_EUNSUPPORTED, "field '%s' has type %s",
                              f->name, lake_type_name(f->type));
        if (f->type == LAKE_TYPE_DECIMAL &&
            (f->precision < 1 || f->precision > LAKE_DECIMAL_MAX_PRECISION ||
             f->scale < 0 || f->scale > f->precision))
            return jc_err_set(JC_EINVAL,
                              "field '%s' has invalid "
                              "decimal(%d,%d)",
                              f->name, f->precision, f->scale);
        return 0;
    }
    }
}

int lake_parquet__layout_from_schema(struct pq_layout *lo,
                                     const struct lake_schema *s)
{
    struct lo_ctx cx;
    size_t i;
    int rc;

    memset(lo, 0, sizeof(*lo));
    memset(&cx, 0, sizeof(cx));
    cx.lo = lo;
    for (i = 0; i < s->n_fields; i++) {
        cx.top = i;
        cx.in_repeated = false;
        rc = lo_walk(&cx, &s->fields[i], 0, 0, 0, (int)i);
        if (rc) {
            lake_parquet__layout_release(lo);
            return rc;
        }
    }
    if (lo->n_leaves > LAKE_PARQUET_MAX_COLUMNS) {
        lake_parquet__layout_release(lo);
        return jc_err_set(JC_ETOOBIG, "schema has more than %d leaf columns",
                          LAKE_PARQUET_MAX_COLUMNS);
    }
    return 0;
}

void lake_parquet__layout_release(struct pq_layout *lo)
{
    size_t i;
    size_t k;

    if (!lo)
        return;
    for (i = 0; i < lo->n_leaves; i++) {
        for (k = 0; k < lo->leaves[i].path_len; k++)
            free(lo->leaves[i].path[k]);
        free(lo->leaves[i].path);
        free(lo->leaves[i].dotted);
    }
    free(lo->leaves);
    memset(lo, 0, sizeof(*lo));
}

/* ------------------------------------------------------ writer schema */

static size_t count_elems(const struct lake_field *f)
{
    size_t i;
    size_t n = 1;

    if (f->type == LAKE_TYPE_ARRAY || f->type == LAKE_TYPE_MAP)
        n++; /* repeated group list / key_value */
    for (i = 0; i < f->n_children; i++)
        n += count_elems(&f->children[i]);
    return n;
}

size_t lake_parquet__count_schema_elems(const struct lake_schema *s)
{
    size_t i;
    size_t n = 1;

    for (i = 0; i < s->n_fields; i++)
        n += count_elems(&s->fields[i]);
    return n;
}

/* Empty-struct member of a union: field header, then stop. */
static void union_member(struct ju_buf *b, int16_t *last, int16_t id)
{
    lake_thrift_write_field(b, last, LAKE_THRIFT_STRUCT, id);
    lake_thrift_write_stop(b);
}

static void write_elem(struct ju_buf *b, const char *name, int type,
                       int32_t type_length, int repetition, int num_children,
                       int converted, const struct lake_field *f,
                       bool field_ids, int logical)
{
    int16_t last = 0;

    if (type >= 0)
        lake_thrift_field_i32(b, &last, 1, type);
    if (type == PQ_FLBA)
        lake_thrift_field_i32(b, &last, 2, type_length);
    lake_thrift_field_i32(b, &last, 3, repetition);
    lake_thrift_field_string(b, &last, 4, name);
    if (num_children >= 0)
        lake_thrift_field_i32(b, &last, 5, num_children);
    if (converted != PQ_CT_NONE)
        lake_thrift_field_i32(b, &last, 6, converted);
    if (f && f->type == LAKE_TYPE_DECIMAL) {
        lake_thrift_field_i32(b, &last, 7, f->scale);
        lake_thrift_field_i32(b, &last, 8, f->precision);
    }
    if (f && field_ids && f->field_id >= 0)
        lake_thrift_field_i32(b, &last, 9, f->field_id);
    if (logical != PQ_LT_NONE) {
        int16_t l2 = 0;
        lake_thrift_write_field(b, &last, LAKE_THRIFT_STRUCT, 10);
        lake_thrift_write_field(b, &l2, LAKE_THRIFT_STRUCT, (int16_t)logical);
        if (logical == PQ_LT_DECIMAL) {
            int16_t l3 = 0;
            lake_thrift_field_i32(b, &l3, 1, f->scale);
            lake_thrift_field_i32(b, &l3, 2, f->precision);
        } else if (logical == PQ_LT_TIMESTAMP) {
            int16_t l3 = 0;
            int16_t l4 = 0;
            lake_thrift_field_bool(b, &l3, 1, f->type == LAKE_TYPE_TIMESTAMP);
            lake_thrift_write_field(b, &l3, LAKE_THRIFT_STRUCT, 2);
            union_member(b, &l4, PQ_UNIT_MICROS);
            lake_thrift_write_stop(b);
        } else if (logical == PQ_LT_INTEGER) {
            int16_t l3 = 0;
            uint8_t bw = f->type == LAKE_TYPE_BYTE ? 8 : 16;
            lake_thrift_write_field(b, &l3, LAKE_THRIFT_I8, 1);
            if (ju_buf_add(b, &bw, 1))
                JC_BUG("thrift buffer over cap");
            lake_thrift_field_bool(b, &l3, 2, true);
        }
        lake_thrift_write_stop(b); /* end of member struct */
        lake_thrift_write_stop(b); /* end of LogicalType union */
    }
    lake_thrift_write_stop(b);
}

static void write_field(struct ju_buf *b, const struct lake_field *f,
                        bool field_ids, const char *name_override,
                        bool force_required)
{
    int rep = (f->nullable && !force_required) ? PQ_OPTIONAL : PQ_REQUIRED;
    const char *name = name_override ? name_override : f->name;
    int32_t tl = 0;
    int phys;
    int ct = PQ_CT_NONE;
    int lt = PQ_LT_NONE;
    size_t i;

    switch (f->type) {
    case LAKE_TYPE_STRUCT:
        write_elem(b, name, -1, 0, rep, (int)f->n_children, PQ_CT_NONE, f,
                   field_ids, PQ_LT_NONE);
        for (i = 0; i < f->n_children; i++)
            write_field(b, &f->children[i], field_ids, NULL, false);
        return;
    case LAKE_TYPE_ARRAY:
        write_elem(b, name, -1, 0, rep, 1, PQ_CT_LIST, f, field_ids,
                   PQ_LT_LIST);
        write_elem(b, "list", -1, 0, PQ_REPEATED, 1, PQ_CT_NONE, NULL, false,
                   PQ_LT_NONE);
        write_field(b, &f->children[0], field_ids, "element", false);
        return;
    case LAKE_TYPE_MAP:
        write_elem(b, name, -1, 0, rep, 1, PQ_CT_MAP, f, field_ids, PQ_LT_MAP);
        write_elem(b, "key_value", -1, 0, PQ_REPEATED, 2, PQ_CT_NONE, NULL,
                   false, PQ_LT_NONE);
        write_field(b, &f->children[0], field_ids, "key", true);
        write_field(b, &f->children[1], field_ids, "value", false);
        return;
    default:
        break;
    }
    phys = lake_parquet__phys_for(f->type, f->precision, &tl);
    switch (f->type) {
    case LAKE_TYPE_STRING:
        ct = PQ_CT_UTF8;
        lt = PQ_LT_STRING;
        break;
    case LAKE_TYPE_DATE:
        ct = PQ_CT_DATE;
        lt = PQ_LT_DATE;
        break;
    case LAKE_TYPE_TIMESTAMP:
        ct = PQ_CT_TIMESTAMP_MICROS;
        lt = PQ_LT_TIMESTAMP;
        break;
    case LAKE_TYPE_TIMESTAMP_NTZ:
        lt = PQ_LT_TIMESTAMP;
        break;
    case LAKE_TYPE_DECIMAL:
        ct = PQ_CT_DECIMAL;
        lt = PQ_LT_DECIMAL;
        break;
    case LAKE_TYPE_BYTE:
        ct = PQ_CT_INT_8;
        lt = PQ_LT_INTEGER;
        break;
    case LAKE_TYPE_SHORT:
        ct = PQ_CT_INT_16;
        lt = PQ_LT_INTEGER;
        break;
    default:
        break;
    }
    write_elem(b, name, phys, tl, rep, -1, ct, f, field_ids, lt);
}

void lake_parquet__write_schema(struct ju_buf *b, const struct lake_schema *s,
                                bool field_ids)
{
    size_t i;
    int16_t last = 0;

    lake_thrift_write_list(b, LAKE_THRIFT_STRUCT,
                           lake_parquet__count_schema_elems(s));
    /* root */
    lake_thrift_field_string(b, &last, 4, "spark_schema");
    lake_thrift_field_i32(b, &last, 5, (int32_t)s->n_fields);
    lake_thrift_write_stop(b);
    for (i = 0; i < s->n_fields; i++)
        write_field(b, &s->fields[i], field_ids, NULL, false);
}

/* ------------------------------------------------------ reader schema */

struct rd_leaf {
    int phys;
    int32_t type_length;
    int conv;
    int max_def;
    int max_rep;
    const char *name;
};

struct rd_ctx {
    const struct pq_filemeta *m;
    size_t pos; /* next schema element */
    struct rd_leaf *leaves;
    size_t n_leaves;
};

static bool is_string_like(const struct pq_selem *e)
{
    return e->logical == PQ_LT_STRING || e->logical == PQ_LT_ENUM ||
           e->logical == PQ_LT_JSON || e->converted == PQ_CT_UTF8 ||
           e->converted == PQ_CT_ENUM || e->converted == PQ_CT_JSON;
}

static int leaf_type(const struct pq_selem *e, struct lake_field *f, int *conv)
{
    bool dec = e->logical == PQ_LT_DECIMAL || e->converted == PQ_CT_DECIMAL;
    int prec = e->logical == PQ_LT_DECIMAL ? e->l_precision : e->precision;
    int scale = e->logical == PQ_LT_DECIMAL ? e->l_scale : e->scale;

    *conv = PQ_CONV_COPY;
    f->type = LAKE_TYPE_BINARY;
    if (dec) {
        if (prec < 1 || prec > LAKE_DECIMAL_MAX_PRECISION || scale < 0 ||
            scale > prec)
            return jc_err_set(JC_EUNSUPPORTED,
                              "column '%s' has unsupported decimal(%d,%d)",
                              e->name, prec, scale);
        f->type = LAKE_TYPE_DECIMAL;
        f->precision = prec;
        f->scale = scale;
        switch (e->type) {
        case PQ_INT32:
            *conv = prec <= 18 ? PQ_CONV_I32_I64 : PQ_CONV_I32_I128;
            return 0;
        case PQ_INT64:
            *conv = prec <= 18 ? PQ_CONV_COPY : PQ_CONV_I64_I128;
            return 0;
        case PQ_BYTE_ARRAY:
        case PQ_FLBA:
            *conv = prec <= 18 ? PQ_CONV_BE_DEC64 : PQ_CONV_BE_DEC128;
            if (e->type == PQ_FLBA &&
                (e->type_length < 1 || e->type_length > 16))
                return jc_err_set(JC_EUNSUPPORTED,
                                  "decimal column '%s' has %d-byte values",
                                  e->name, e->type_length);
            return 0;
        default:
            return jc_err_set(JC_EUNSUPPORTED,
                              "decimal column '%s' has physical type %d",
                              e->name, e->type);
        }
    }
    switch (e->type) {
    case PQ_BOOLEAN:
        f->type = LAKE_TYPE_BOOLEAN;
        *conv = PQ_CONV_BOOL;
        return 0;
    case PQ_INT32:
        if (e->logical == PQ_LT_DATE || e->converted == PQ_CT_DATE) {
            f->type = LAKE_TYPE_DATE;
        } else if ((e->logical == PQ_LT_INTEGER && e->l_bitwidth == 8 &&
                    e->l_signed) ||
                   e->converted == PQ_CT_INT_8) {
            f->type = LAKE_TYPE_BYTE;
            *conv = PQ_CONV_I32_I8;
        } else if ((e->logical == PQ_LT_INTEGER && e->l_bitwidth == 16 &&
                    e->l_signed) ||
                   e->converted == PQ_CT_INT_16 ||
                   e->converted == PQ_CT_UINT_8 ||
                   (e->logical == PQ_LT_INTEGER && e->l_bitwidth == 8)) {
            f->type = LAKE_TYPE_SHORT;
            *conv = PQ_CONV_I32_I16;
        } else if (e->converted == PQ_CT_UINT_32 ||
                   (e->logical == PQ_LT_INTEGER && e->l_bitwidth == 32 &&
                    !e->l_signed)) {
            f->type = LAKE_TYPE_LONG;
            *conv = PQ_CONV_U32_I64;
        } else {
            f->type = LAKE_TYPE_INTEGER;
        }
        return 0;
    case PQ_INT64:
        f->type = LAKE_TYPE_LONG;
        if (e->logical == PQ_LT_TIMESTAMP) {
            f->type = e->l_utc ? LAKE_TYPE_TIMESTAMP : LAKE_TYPE_TIMESTAMP_NTZ;
            if (e->l_unit == PQ_UNIT_MILLIS)
                *conv = PQ_CONV_I64_MUL1000;
            else if (e->l_unit == PQ_UNIT_NANOS)
                *conv = PQ_CONV_I64_DIV1000;
        } else if (e->converted == PQ_CT_TIMESTAMP_MICROS) {
            f->type = LAKE_TYPE_TIMESTAMP;
        } else if (e->converted == PQ_CT_TIMESTAMP_MILLIS) {
            f->type = LAKE_TYPE_TIMESTAMP;
            *conv = PQ_CONV_I64_MUL1000;
        }
        return 0;
    case PQ_INT96:
        f->type = LAKE_TYPE_TIMESTAMP;
        *conv = PQ_CONV_INT96;
        return 0;
    case PQ_FLOAT:
        f->type = LAKE_TYPE_FLOAT;
        return 0;
    case PQ_DOUBLE:
        f->type = LAKE_TYPE_DOUBLE;
        return 0;
    case PQ_BYTE_ARRAY:
        f->type = is_string_like(e) ? LAKE_TYPE_STRING : LAKE_TYPE_BINARY;
        *conv = PQ_CONV_BYTES;
        return 0;
    case PQ_FLBA:
        if (e->type_length < 0 || e->type_length > (1 << 20))
            return jc_err_set(JC_EPARSE, "column '%s' has type_length %d",
                              e->name, e->type_length);
        f->type = is_string_like(e) ? LAKE_TYPE_STRING : LAKE_TYPE_BINARY;
        *conv = PQ_CONV_BYTES;
        return 0;
    default:
        return jc_err_set(JC_EPARSE,
                          "column '%s' has unknown physical type "
                          "%d",
                          e->name, e->type);
    }
}

static int rd_node(struct rd_ctx *cx, struct lake_field *f, int depth, int def,
                   int rep, bool as_required);

static const struct pq_selem *rd_peek(struct rd_ctx *cx)
{
    return cx->pos < cx->m->n_schema ? &cx->m->schema[cx->pos] : NULL;
}

static int rd_need(struct rd_ctx *cx, const char *parent)
{
    if (cx->pos >= cx->m->n_schema)
        return jc_err_set(JC_EPARSE, "schema ends inside group '%s'", parent);
    return 0;
}

static bool is_group(const struct pq_selem *e)
{
    return e->type < 0 || e->num_children > 0;
}

/* Element of a LIST group: e is the repeated child. */
static int rd_list_elem(struct rd_ctx *cx, struct lake_field *f,
                        const char *list_name, int depth, int def, int rep)
{
    const struct pq_selem *c = rd_peek(cx);
    struct lake_field el;
    int rc;

    if (!c || c->repetition != PQ_REPEATED)
        return jc_err_set(JC_EUNSUPPORTED, "list '%s' has no repeated child",
                          list_name);
    memset(&el, 0, sizeof(el));
    if (is_group(c) && c->num_children == 1 && strcmp(c->name, "array") != 0 &&
        !(strlen(c->name) == strlen(list_name) + 6 &&
          strncmp(c->name, list_name, strlen(list_name)) == 0 &&
          strcmp(c->name + strlen(list_name), "_tuple") == 0)) {
        /* 3-level: repeated group list { element } */
        cx->pos++;
        rc = rd_node(cx, &el, depth + 1, def + 1, rep + 1, false);
    } else {
        /* 2-level: the repeated node is the (required) element */
        rc = rd_node(cx, &el, depth + 1, def + 1, rep + 1, true);
    }
    if (rc == 0) {
        free(el.name);
        el.name = ju_xstrdup("element");
        lake_field_add_child(f, &el);
    }
    lake_field_release(&el);
    return rc;
}

static int rd_map_kv(struct rd_ctx *cx, struct lake_field *f,
                     const char *map_name, int depth, int def, int rep)
{
    const struct pq_selem *c = rd_peek(cx);
    struct lake_field k;
    struct lake_field v;
    int rc;

    if (!c || c->repetition != PQ_REPEATED || !is_group(c) ||
        c->num_children != 2)
        return jc_err_set(JC_EUNSUPPORTED,
                          "map '%s' is not 'repeated group key_value' with "
                          "two fields",
                          map_name);
    cx->pos++;
    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    rc = rd_node(cx, &k, depth + 1, def + 1, rep + 1, false);
    if (rc == 0)
        rc = rd_node(cx, &v, depth + 1, def + 1, rep + 1, false);
    if (rc == 0 && k.nullable)
        rc = jc_err_set(JC_EUNSUPPORTED, "map '%s' has an optional key",
                        map_name);
    if (rc == 0) {
        free(k.name);
        k.name = ju_xstrdup("key");
        free(v.name);
        v.name = ju_xstrdup("value");
        lake_field_add_child(f, &k);
        lake_field_add_child(f, &v);
    }
    lake_field_release(&k);
    lake_field_release(&v);
    return rc;
}

/*
 * Convert the schema element at cx->pos (and its subtree) into f.
 * def/rep: levels of the parent. as_required: treat a REPEATED node as the
 * required element of a 2-level list.
 */
static int rd_node(struct rd_ctx *cx, struct lake_field *f, int depth, int def,
                   int rep, bool as_required)
{
    const struct pq_selem *e = rd_peek(cx);
    int d;
    int i;
    int rc;

    if (!e)
        return jc_err_set(JC_EPARSE, "schema ends early");
    if (depth >= LAKE_NESTING_MAX)
        return jc_err_set(JC_ETOOBIG, "schema nested deeper than %d",
                          LAKE_NESTING_MAX);
    cx->pos++;
    memset(f, 0, sizeof(*f));
    f->name = ju_xstrdup(e->name);
    f->field_id = e->has_field_id ? e->field_id : -1;
    if (e->repetition == PQ_REPEATED && !as_required) {
        /* bare repeated field: a non-null list of required elements */
        struct lake_field el;
        cx->pos--;
        f->type = LAKE_TYPE_ARRAY;
        f->nullable = false;
        memset(&el, 0, sizeof(el));
        rc = rd_node(cx, &el, depth + 1, def + 1, rep + 1, true);
        if (rc == 0) {
            free(el.name);
            el.name = ju_xstrdup("element");
            lake_field_add_child(f, &el);
        }
        lake_field_release(&el);
        return rc;
    }
    /* a REPEATED node here is a 2-level list element whose level the
     * caller already counted */
    f->nullable = !as_required && e->repetition == PQ_OPTIONAL;
    d = def + (f->nullable ? 1 : 0);
    if (is_group(e)) {
        if (e->num_children <= 0)
            return jc_err_set(JC_EPARSE, "group '%s' has no children", e->name);
        if ((size_t)e->num_children > cx->m->n_schema - cx->pos)
            return jc_err_set(JC_EPARSE,
                              "group '%s' claims %d children, more than the "
                              "schema has",
                              e->name, e->num_children);
        if ((e->converted == PQ_CT_LIST || e->logical == PQ_LT_LIST) &&
            e->num_children == 1 && e->repetition != PQ_REPEATED) {
            f->type = LAKE_TYPE_ARRAY;
            return rd_list_elem(cx, f, e->name, depth, d, rep);
        }
        if ((e->converted == PQ_CT_MAP || e->logical == PQ_LT_MAP ||
             e->converted == PQ_CT_MAP_KEY_VALUE) &&
            e->num_children == 1 && e->repetition != PQ_REPEATED) {
            f->type = LAKE_TYPE_MAP;
            return rd_map_kv(cx, f, e->name, depth, d, rep);
        }
        f->type = LAKE_TYPE_STRUCT;
        for (i = 0; i < e->num_children; i++) {
            struct lake_field c;
            rc = rd_need(cx, e->name);
            if (rc)
                return rc;
            rc = rd_node(cx, &c, depth + 1, d, rep, false);
            if (rc == 0)
                lake_field_add_child(f, &c);
            lake_field_release(&c);
            if (rc)
                return rc;
        }
        return 0;
    }
    {
        struct rd_leaf *rl;
        int conv;
        rc = leaf_type(e, f, &conv);
        if (rc)
            return rc;
        cx->leaves =
            ju_xrealloc(cx->leaves, (cx->n_leaves + 1) * sizeof(*cx->leaves));
        rl = &cx->leaves[cx->n_leaves++];
        rl->phys = e->type;
        rl->type_length = e->type_length;
        rl->conv = conv;
        rl->max_def = d;
        rl->max_rep = rep;
        rl->name = e->name;
    }
    return 0;
}

int lake_parquet__layout_from_meta(struct pq_layout *lo,
                                   struct lake_schema *out,
                                   const struct pq_filemeta *m)
{
    struct rd_ctx cx;
    const struct pq_selem *root = &m->schema[0];
    int32_t i;
    size_t k;
    int rc = 0;

    memset(&cx, 0, sizeof(cx));
    memset(lo, 0, sizeof(*lo));
    lake_schema_init(out);
    cx.m = m;
    cx.pos = 1;
    if (root->num_children < 0 || (size_t)root->num_children > m->n_schema - 1)
        return jc_err_set(JC_EPARSE,
                          "root has %d children but the schema "
                          "has %zu elements",
                          root->num_children, m->n_schema);
    for (i = 0; rc == 0 && i < root->num_children; i++) {
        struct lake_field f;
        rc = rd_need(&cx, "root");
        if (rc)
            break;
        rc = rd_node(&cx, &f, 0, 0, 0, false);
        if (rc == 0)
            lake_schema_add(out, &f);
        lake_field_release(&f);
    }
    if (rc == 0 && cx.pos != m->n_schema)
        rc = jc_err_set(JC_EPARSE,
                        "schema has %zu elements after the last "
                        "column",
                        m->n_schema - cx.pos);
    if (rc == 0)
        rc = lake_parquet__layout_from_schema(lo, out);
    if (rc == 0 && lo->n_leaves != cx.n_leaves)
        rc = jc_err_set(JC_EUNSUPPORTED, "schema leaf count mismatch");
    for (k = 0; rc == 0 && k < lo->n_leaves; k++) {
        struct pq_leaf *lf = &lo->leaves[k];
        struct rd_leaf *rl = &cx.leaves[k];
        if (lf->max_def != rl->max_def || lf->max_rep != rl->max_rep) {
            rc = jc_err_set(JC_EUNSUPPORTED,
                            "column '%s': unsupported nesting (levels %d/%d "
                            "vs %d/%d)",
                            rl->name, rl->max_def, rl->max_rep, lf->max_def,
                            lf->max_rep);
            break;
        }
        lf->phys = rl->phys;
        lf->type_length = rl->type_length;
        lf->conv = rl->conv;
    }
    free(cx.leaves);
    if (rc) {
        lake_parquet__layout_release(lo);
        lake_schema_release(out);
    }
    return rc;
}
