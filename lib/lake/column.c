/*
 * column.c: lake_field / lake_schema / lake_column / lake_batch lifecycle,
 * growth of column buffers, null appends and row-wise access. The append
 * fast paths are inline in lake/column.h; formatting lives in
 * column_format.c.
 */
#include "lake/column.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

static const char *const type_names[LAKE_TYPE_COUNT_] = {
    "boolean", "byte",   "short",  "integer", "long",      "float",
    "double",  "string", "binary", "date",    "timestamp", "timestamp_ntz",
    "decimal", "struct", "array",  "map",
};

const char *lake_type_name(enum lake_type t)
{
    if ((unsigned)t >= LAKE_TYPE_COUNT_)
        return "unknown";
    return type_names[t];
}

size_t lake_type_width(enum lake_type t, int precision)
{
    switch (t) {
    case LAKE_TYPE_BOOLEAN:
    case LAKE_TYPE_BYTE:
        return 1;
    case LAKE_TYPE_SHORT:
        return 2;
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_DATE:
    case LAKE_TYPE_FLOAT:
        return 4;
    case LAKE_TYPE_LONG:
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
    case LAKE_TYPE_DOUBLE:
        return 8;
    case LAKE_TYPE_DECIMAL:
        return precision <= LAKE_DECIMAL64_MAX_PRECISION ? 8 : 16;
    default:
        return 0;
    }
}

bool lake_type_is_nested(enum lake_type t)
{
    return t == LAKE_TYPE_STRUCT || t == LAKE_TYPE_ARRAY || t == LAKE_TYPE_MAP;
}

/* ---------------------------------------------------------------- fields */

void lake_field_init(struct lake_field *f, const char *name,
                     enum lake_type type, bool nullable)
{
    memset(f, 0, sizeof(*f));
    f->name = ju_xstrdup(name ? name : "");
    f->type = type;
    f->nullable = nullable;
    f->field_id = -1;
    if (type == LAKE_TYPE_DECIMAL) {
        f->precision = 10;
        f->scale = 0;
    }
}

void lake_field_init_decimal(struct lake_field *f, const char *name,
                             int precision, int scale, bool nullable)
{
    lake_field_init(f, name, LAKE_TYPE_DECIMAL, nullable);
    f->precision = precision;
    f->scale = scale;
}

void lake_field_copy(struct lake_field *dst, const struct lake_field *src)
{
    size_t i;

    *dst = *src;
    dst->name = ju_xstrdup(src->name ? src->name : "");
    dst->children = NULL;
    if (src->n_children) {
        dst->children = ju_xcalloc(src->n_children, sizeof(*dst->children));
        for (i = 0; i < src->n_children; i++)
            lake_field_copy(&dst->children[i], &src->children[i]);
    }
}

struct lake_field *lake_field_add_child(struct lake_field *f,
                                        const struct lake_field *child)
{
    f->children =
        ju_xrealloc(f->children, (f->n_children + 1) * sizeof(*f->children));
    lake_field_copy(&f->children[f->n_children], child);
    return &f->children[f->n_children++];
}

void lake_field_init_array(struct lake_field *f, const char *name,
                           const struct lake_field *element, bool nullable)
{
    struct lake_field *e;

    lake_field_init(f, name, LAKE_TYPE_ARRAY, nullable);
    e = lake_field_add_child(f, element);
    free(e->name);
    e->name = ju_xstrdup("element");
}

void lake_field_init_map(struct lake_field *f, const char *name,
                         const struct lake_field *key,
                         const struct lake_field *value, bool nullable)
{
    struct lake_field *k;
    struct lake_field *v;

    lake_field_init(f, name, LAKE_TYPE_MAP, nullable);
    k = lake_field_add_child(f, key);
    free(k->name);
    k->name = ju_xstrdup("key");
    k->nullable = false;
    v = lake_field_add_child(f, value);
    free(v->name);
    v->name = ju_xstrdup("value");
}

void lake_field_release(struct lake_field *f)
{
    size_t i;

    if (!f)
        return;
    for (i = 0; i < f->n_children; i++)
        lake_field_release(&f->children[i]);
    free(f->children);
    free(f->name);
    memset(f, 0, sizeof(*f));
}

bool lake_field_equal(const struct lake_field *a, const struct lake_field *b)
{
    size_t i;

    if (a->type != b->type || a->nullable != b->nullable ||
        a->n_children != b->n_children || strcmp(a->name, b->name) != 0)
        return false;
    if (a->type == LAKE_TYPE_DECIMAL &&
        (a->precision != b->precision || a->scale != b->scale))
        return false;
    for (i = 0; i < a->n_children; i++)
        if (!lake_field_equal(&a->children[i], &b->children[i]))
            return false;
    return true;
}

/* ---------------------------------------------------------------- schema */

void lake_schema_init(struct lake_schema *s)
{
    s->n_fields = 0;
    s->fields = NULL;
}

struct lake_field *lake_schema_add(struct lake_schema *s,
                                   const struct lake_field *f)
{
    s->fields = ju_xrealloc(s->fields, (s->n_fields + 1) * sizeof(*s->fields));
    lake_field_copy(&s->fields[s->n_fields], f);
    return &s->fields[s->n_fields++];
}

struct lake_field *lake_schema_add_simple(struct lake_schema *s,
                                          const char *name, enum lake_type type,
                                          bool nullable)
{
    s->fields = ju_xrealloc(s->fields, (s->n_fields + 1) * sizeof(*s->fields));
    lake_field_init(&s->fields[s->n_fields], name, type, nullable);
    return &s->fields[s->n_fields++];
}

void lake_schema_copy(struct lake_schema *dst, const struct lake_schema *src)
{
    size_t i;

    dst->n_fields = src->n_fields;
    dst->fields = NULL;
    if (src->n_fields) {
        dst->fields = ju_xcalloc(src->n_fields, sizeof(*dst->fields));
        for (i = 0; i < src->n_fields; i++)
            lake_field_copy(&dst->fields[i], &src->fields[i]);
    }
}

void lake_schema_release(struct lake_schema *s)
{
    size_t i;

    if (!s)
        return;
    for (i = 0; i < s->n_fields; i++)
        lake_field_release(&s->fields[i]);
    free(s->fields);
    s->fields = NULL;
    s->n_fields = 0;
}

struct lake_schema *lake_schema_new(void)
{
    struct lake_schema *s = ju_xcalloc(1, sizeof(*s));

    lake_schema_init(s);
    return s;
}

void lake_schema_free(struct lake_schema *s)
{
    if (!s)
        return;
    lake_schema_release(s);
    free(s);
}

int lake_schema_find(const struct lake_schema *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->n_fields; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool lake_schema_equal(const struct lake_schema *a, const struct lake_schema *b)
{
    size_t i;

    if (a->n_fields != b->n_fields)
        return false;
    for (i = 0; i < a->n_fields; i++)
        if (!lake_field_equal(&a->fields[i], &b->fields[i]))
            return false;
    return true;
}

static int format_type(struct ju_buf *out, const struct lake_field *f)
{
    size_t i;
    int rc = 0;

    switch (f->type) {
    case LAKE_TYPE_DECIMAL:
        return ju_buf_addf(out, "decimal(%d,%d)", f->precision, f->scale);
    case LAKE_TYPE_STRUCT:
        rc = ju_buf_adds(out, "struct<");
        for (i = 0; rc == 0 && i < f->n_children; i++) {
            if (i)
                rc = ju_buf_adds(out, ", ");
            if (rc == 0)
                rc = ju_buf_addf(out, "%s: ", f->children[i].name);
            if (rc == 0)
                rc = format_type(out, &f->children[i]);
        }
        return rc ? rc : ju_buf_adds(out, ">");
    case LAKE_TYPE_ARRAY:
        rc = ju_buf_adds(out, "array<");
        if (rc == 0 && f->n_children == 1)
            rc = format_type(out, &f->children[0]);
        return rc ? rc : ju_buf_adds(out, ">");
    case LAKE_TYPE_MAP:
        rc = ju_buf_adds(out, "map<");
        if (rc == 0 && f->n_children == 2) {
            rc = format_type(out, &f->children[0]);
            if (rc == 0)
                rc = ju_buf_adds(out, ", ");
            if (rc == 0)
                rc = format_type(out, &f->children[1]);
        }
        return rc ? rc : ju_buf_adds(out, ">");
    default:
        return ju_buf_adds(out, lake_type_name(f->type));
    }
}

int lake_schema_format(struct ju_buf *out, const struct lake_schema *s)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < s->n_fields; i++) {
        if (i)
            rc = ju_buf_adds(out, ", ");
        if (rc == 0)
            rc = ju_buf_addf(out, "%s: ", s->fields[i].name);
        if (rc == 0)
            rc = format_type(out, &s->fields[i]);
        if (rc == 0 && !s->fields[i].nullable)
            rc = ju_buf_adds(out, " not null");
    }
    return rc;
}

/* ---------------------------------------------------------------- column */

void lake_column_init(struct lake_column *c, const struct lake_field *f)
{
    size_t i;

    memset(c, 0, sizeof(*c));
    c->type = f->type;
    c->precision = f->precision;
    c->scale = f->scale;
    c->width = lake_type_width(f->type, f->precision);
    if (f->n_children) {
        c->n_children = f->n_children;
        c->children = ju_xcalloc(f->n_children, sizeof(*c->children));
        for (i = 0; i < f->n_children; i++)
            lake_column_init(&c->children[i], &f->children[i]);
    }
}

void lake_column_release(struct lake_column *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->n_children; i++)
        lake_column_release(&c->children[i]);
    free(c->children);
    free(c->valid);
    free(c->values);
    free(c->offsets);
    free(c->data);
    memset(c, 0, sizeof(*c));
}

void lake_column_reset(struct lake_column *c)
{
    size_t i;

    c->length = 0;
    c->null_count = 0;
    c->data_len = 0;
    if (c->offsets)
        c->offsets[0] = 0;
    if (c->valid) {
        free(c->valid);
        c->valid = NULL;
    }
    for (i = 0; i < c->n_children; i++)
        lake_column_reset(&c->children[i]);
}

static bool has_offsets(enum lake_type t)
{
    return t == LAKE_TYPE_STRING || t == LAKE_TYPE_BINARY ||
           t == LAKE_TYPE_ARRAY || t == LAKE_TYPE_MAP;
}

void lake_column__grow(struct lake_column *c, size_t need)
{
    size_t ncap;

    if (need <= c->cap)
        return;
    ncap = c->cap ? c->cap * 2 : 1024;
    while (ncap < need)
        ncap *= 2;
    if (c->width)
        c->values = ju_xrealloc(c->values, ncap * c->width);
    if (has_offsets(c->type)) {
        c->offsets = ju_xrealloc(c->offsets, (ncap + 1) * sizeof(int64_t));
        if (c->cap == 0)
            c->offsets[0] = 0;
    }
    if (c->valid)
        c->valid = ju_xrealloc(c->valid, ncap);
    c->cap = ncap;
}

void lake_column__grow_data(struct lake_column *c, size_t need)
{
    size_t ncap;

    if (need <= c->data_cap)
        return;
    ncap = c->data_cap ? c->data_cap * 2 : 4096;
    while (ncap < need)
        ncap *= 2;
    c->data = ju_xrealloc(c->data, ncap);
    c->data_cap = ncap;
}

void lake_column__make_valid(struct lake_column *c)
{
    if (c->valid)
        return;
    c->valid = ju_xmalloc(c->cap ? c->cap : 1);
    if (c->length)
        memset(c->valid, 1, c->length);
}

void lake_column_reserve(struct lake_column *c, size_t n)
{
    lake_column__grow(c, c->length + n);
    if (c->offsets && c->length == 0)
        c->offsets[0] = 0;
}

void lake_column_reserve_data(struct lake_column *c, size_t n)
{
    lake_column__grow_data(c, c->data_len + n);
}

void lake_batch_append_null(struct lake_column *c)
{
    size_t i;

    lake_column__ensure(c);
    lake_column__make_valid(c);
    c->valid[c->length] = 0;
    if (c->width)
        memset((char *)c->values + c->length * c->width, 0, c->width);
    if (c->type == LAKE_TYPE_STRING || c->type == LAKE_TYPE_BINARY)
        c->offsets[c->length + 1] = (int64_t)c->data_len;
    else if (c->type == LAKE_TYPE_ARRAY || c->type == LAKE_TYPE_MAP)
        c->offsets[c->length + 1] = c->offsets[c->length];
    else if (c->type == LAKE_TYPE_STRUCT)
        for (i = 0; i < c->n_children; i++)
            lake_batch_append_null(&c->children[i]);
    c->length++;
    c->null_count++;
}

void lake_batch_append_nulls(struct lake_column *c, size_t n)
{
    size_t i;
    size_t base = c->length;

    if (n == 0)
        return;
    lake_column__grow(c, c->length + n);
    lake_column__make_valid(c);
    memset(c->valid + base, 0, n);
    if (c->width)
        memset((char *)c->values + base * c->width, 0, n * c->width);
    if (has_offsets(c->type))
        for (i = 0; i < n; i++)
            c->offsets[base + i + 1] = c->offsets[base];
    if (c->type == LAKE_TYPE_STRUCT)
        for (i = 0; i < c->n_children; i++)
            lake_batch_append_nulls(&c->children[i], n);
    c->length += n;
    c->null_count += n;
}

/* ---------------------------------------------------------------- batch */

struct lake_batch *lake_batch_new(const struct lake_schema *schema)
{
    struct lake_batch *b = ju_xcalloc(1, sizeof(*b));
    size_t i;

    lake_schema_copy(&b->schema, schema);
    b->n_columns = schema->n_fields;
    if (b->n_columns) {
        b->columns = ju_xcalloc(b->n_columns, sizeof(*b->columns));
        for (i = 0; i < b->n_columns; i++)
            lake_column_init(&b->columns[i], &b->schema.fields[i]);
    }
    return b;
}

void lake_batch_free(struct lake_batch *b)
{
    size_t i;

    if (!b)
        return;
    for (i = 0; i < b->n_columns; i++)
        lake_column_release(&b->columns[i]);
    free(b->columns);
    lake_schema_release(&b->schema);
    free(b);
}

void lake_batch_reset(struct lake_batch *b)
{
    size_t i;

    for (i = 0; i < b->n_columns; i++)
        lake_column_reset(&b->columns[i]);
    b->num_rows = 0;
}

struct lake_column *lake_batch_column(struct lake_batch *b, const char *name)
{
    int i = lake_schema_find(&b->schema, name);

    return i < 0 ? NULL : &b->columns[i];
}

static int check_struct_lengths(const struct lake_column *c,
                                const struct lake_field *f)
{
    size_t i;

    if (c->type == LAKE_TYPE_STRUCT) {
        for (i = 0; i < c->n_children; i++) {
            if (c->children[i].length != c->length)
                return jc_err_set(JC_EINVAL,
                                  "struct field '%s.%s' has %zu entries, "
                                  "expected %zu",
                                  f->name, f->children[i].name,
                                  c->children[i].length, c->length);
        }
    }
    if (c->type == LAKE_TYPE_MAP && c->n_children == 2 &&
        c->children[0].length != c->children[1].length)
        return jc_err_set(JC_EINVAL, "map '%s' has %zu keys but %zu values",
                          f->name, c->children[0].length,
                          c->children[1].length);
    for (i = 0; i < c->n_children; i++) {
        int rc = check_struct_lengths(&c->children[i], &f->children[i]);
        if (rc)
            return rc;
    }
    return 0;
}

int lake_batch_seal(struct lake_batch *b)
{
    size_t i;
    int rc;

    if (b->n_columns == 0) {
        b->num_rows = 0;
        return 0;
    }
    for (i = 0; i < b->n_columns; i++) {
        if (b->columns[i].length != b->columns[0].length)
            return jc_err_set(JC_EINVAL,
                              "column '%s' has %zu rows but '%s' has %zu",
                              b->schema.fields[i].name, b->columns[i].length,
                              b->schema.fields[0].name, b->columns[0].length);
        rc = check_struct_lengths(&b->columns[i], &b->schema.fields[i]);
        if (rc)
            return rc;
    }
    b->num_rows = b->columns[0].length;
    return 0;
}

/* ---------------------------------------------------------------- access */

int64_t lake_column_get_i64(const struct lake_column *c, size_t i)
{
    if (i >= c->length || lake_column_is_null(c, i))
        return 0;
    switch (c->type) {
    case LAKE_TYPE_BOOLEAN:
        return ((const uint8_t *)c->values)[i];
    case LAKE_TYPE_BYTE:
        return ((const int8_t *)c->values)[i];
    case LAKE_TYPE_SHORT:
        return ((const int16_t *)c->values)[i];
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_DATE:
        return ((const int32_t *)c->values)[i];
    case LAKE_TYPE_LONG:
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ:
        return ((const int64_t *)c->values)[i];
    case LAKE_TYPE_DECIMAL:
        if (c->width == 8)
            return ((const int64_t *)c->values)[i];
        return (int64_t)lake_column_get_i128(c, i);
    case LAKE_TYPE_FLOAT:
        return (int64_t)((const float *)c->values)[i];
    case LAKE_TYPE_DOUBLE:
        return (int64_t)((const double *)c->values)[i];
    default:
        return 0;
    }
}

lake_i128 lake_column_get_i128(const struct lake_column *c, size_t i)
{
    lake_i128 v = 0;

    if (i >= c->length || lake_column_is_null(c, i))
        return 0;
    if (c->type == LAKE_TYPE_DECIMAL && c->width == 16) {
        memcpy(&v, (const char *)c->values + i * 16, 16);
        return v;
    }
    return lake_column_get_i64(c, i);
}

double lake_column_get_f64(const struct lake_column *c, size_t i)
{
    double v;
    int s;

    if (i >= c->length || lake_column_is_null(c, i))
        return 0;
    switch (c->type) {
    case LAKE_TYPE_FLOAT:
        return ((const float *)c->values)[i];
    case LAKE_TYPE_DOUBLE:
        return ((const double *)c->values)[i];
    case LAKE_TYPE_DECIMAL:
        v = (double)lake_column_get_i128(c, i);
        for (s = 0; s < c->scale; s++)
            v /= 10.0;
        return v;
    default:
        return (double)lake_column_get_i64(c, i);
    }
}

const char *lake_column_get_str(const struct lake_column *c, size_t i,
                                size_t *n)
{
    if (i >= c->length || !c->offsets ||
        (c->type != LAKE_TYPE_STRING && c->type != LAKE_TYPE_BINARY)) {
        *n = 0;
        return "";
    }
    *n = (size_t)(c->offsets[i + 1] - c->offsets[i]);
    return c->data ? c->data + c->offsets[i] : "";
}

void lake_column_get_range(const struct lake_column *c, size_t i, size_t *begin,
                           size_t *end)
{
    if (i >= c->length || !c->offsets) {
        *begin = 0;
        *end = 0;
        return;
    }
    *begin = (size_t)c->offsets[i];
    *end = (size_t)c->offsets[i + 1];
}
