/*
 * delta_schema.c: Delta's schemaString (Spark StructType JSON) to and from
 * struct lake_schema: primitive names, decimal(p,s), struct/array/map.
 */
#include "delta_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

static int parse_type(json_t *type, const char *name, bool nullable,
                      struct lake_field *out, int depth);

static int parse_primitive(const char *s, const char *name, bool nullable,
                           struct lake_field *out)
{
    static const struct {
        const char *n;
        enum lake_type t;
    } prims[] = {
        {"string", LAKE_TYPE_STRING},
        {"long", LAKE_TYPE_LONG},
        {"integer", LAKE_TYPE_INTEGER},
        {"short", LAKE_TYPE_SHORT},
        {"byte", LAKE_TYPE_BYTE},
        {"float", LAKE_TYPE_FLOAT},
        {"double", LAKE_TYPE_DOUBLE},
        {"boolean", LAKE_TYPE_BOOLEAN},
        {"binary", LAKE_TYPE_BINARY},
        {"date", LAKE_TYPE_DATE},
        {"timestamp", LAKE_TYPE_TIMESTAMP},
        {"timestamp_ntz", LAKE_TYPE_TIMESTAMP_NTZ},
    };
    size_t i;
    int p, sc;
    char tail;

    for (i = 0; i < sizeof(prims) / sizeof(prims[0]); i++) {
        if (!strcmp(s, prims[i].n)) {
            lake_field_init(out, name, prims[i].t, nullable);
            return 0;
        }
    }
    if (!strcmp(s, "decimal")) {
        lake_field_init_decimal(out, name, 10, 0, nullable);
        return 0;
    }
    if (sscanf(s, "decimal(%d,%d)%c", &p, &sc, &tail) == 2 ||
        sscanf(s, "decimal(%d, %d)%c", &p, &sc, &tail) == 2) {
        if (p < 1 || p > LAKE_DECIMAL_MAX_PRECISION || sc < 0 || sc > p)
            return jc_err_set(JC_EPARSE, "column '%s': invalid type '%s'", name,
                              s);
        lake_field_init_decimal(out, name, p, sc, nullable);
        return 0;
    }
    return jc_err_set(JC_EUNSUPPORTED, "column '%s': unsupported type '%s'",
                      name, s);
}

static int parse_struct_fields(json_t *fields, struct lake_field *parent,
                               struct lake_schema *schema, int depth)
{
    size_t i;
    json_t *fj;

    if (!json_is_array(fields))
        return jc_err_set(JC_EPARSE, "struct without a 'fields' list");
    json_array_foreach(fields, i, fj)
    {
        json_t *jn = json_object_get(fj, "name");
        json_t *jt = json_object_get(fj, "type");
        json_t *jnull = json_object_get(fj, "nullable");
        struct lake_field f;
        int rc;

        if (!json_is_string(jn) || !jt)
            return jc_err_set(JC_EPARSE, "field %zu: missing 'name' or 'type'",
                              i);
        rc = parse_type(jt, json_string_value(jn),
                        jnull ? json_is_true(jnull) : true, &f, depth + 1);
        if (rc)
            return rc;
        if (parent)
            lake_field_add_child(parent, &f);
        else
            lake_schema_add(schema, &f);
        lake_field_release(&f);
    }
    return 0;
}

static int parse_type(json_t *type, const char *name, bool nullable,
                      struct lake_field *out, int depth)
{
    const char *t;
    int rc;

    if (depth > LAKE_NESTING_MAX)
        return jc_err_set(JC_ETOOBIG, "column '%s': schema nested too deep",
                          name);
    if (json_is_string(type))
        return parse_primitive(json_string_value(type), name, nullable, out);
    if (!json_is_object(type) || !json_is_string(json_object_get(type, "type")))
        return jc_err_set(JC_EPARSE, "column '%s': invalid type", name);
    t = json_string_value(json_object_get(type, "type"));
    if (!strcmp(t, "struct")) {
        lake_field_init(out, name, LAKE_TYPE_STRUCT, nullable);
        rc = parse_struct_fields(json_object_get(type, "fields"), out, NULL,
                                 depth);
        if (rc) {
            lake_field_release(out);
            return jc_err_wrap(rc, "column '%s'", name);
        }
        return 0;
    }
    if (!strcmp(t, "array")) {
        struct lake_field el;
        json_t *cn = json_object_get(type, "containsNull");

        rc = parse_type(json_object_get(type, "elementType"), "element",
                        cn ? json_is_true(cn) : true, &el, depth + 1);
        if (rc)
            return rc;
        lake_field_init_array(out, name, &el, nullable);
        lake_field_release(&el);
        return 0;
    }
    if (!strcmp(t, "map")) {
        struct lake_field k, v;
        json_t *vn = json_object_get(type, "valueContainsNull");

        rc = parse_type(json_object_get(type, "keyType"), "key", false, &k,
                        depth + 1);
        if (rc)
            return rc;
        rc = parse_type(json_object_get(type, "valueType"), "value",
                        vn ? json_is_true(vn) : true, &v, depth + 1);
        if (rc) {
            lake_field_release(&k);
            return rc;
        }
        lake_field_init_map(out, name, &k, &v, nullable);
        lake_field_release(&k);
        lake_field_release(&v);
        return 0;
    }
    return jc_err_set(JC_EUNSUPPORTED, "column '%s': unsupported type '%s'",
                      name, t);
}

int lake_delta_schema_parse(const char *schema_string, struct lake_schema **out)
{
    json_error_t jerr;
    json_t *root = json_loads(schema_string, 0, &jerr);
    struct lake_schema *s;
    int rc;

    *out = NULL;
    if (!root)
        return jc_err_set(JC_EPARSE, "schemaString: %d:%d: %s", jerr.line,
                          jerr.column, jerr.text);
    if (!json_is_object(root) ||
        !json_is_string(json_object_get(root, "type")) ||
        strcmp(json_string_value(json_object_get(root, "type")), "struct")) {
        json_decref(root);
        return jc_err_set(JC_EPARSE, "schemaString: not a struct type");
    }
    s = lake_schema_new();
    rc = parse_struct_fields(json_object_get(root, "fields"), NULL, s, 0);
    json_decref(root);
    if (rc) {
        lake_schema_free(s);
        return jc_err_wrap(rc, "schemaString");
    }
    *out = s;
    return 0;
}

static json_t *type_json(const struct lake_field *f);

static json_t *field_json(const struct lake_field *f)
{
    json_t *o = json_object();

    json_object_set_new(o, "name", json_string(f->name));
    json_object_set_new(o, "type", type_json(f));
    json_object_set_new(o, "nullable", json_boolean(f->nullable));
    json_object_set_new(o, "metadata", json_object());
    return o;
}

static json_t *type_json(const struct lake_field *f)
{
    json_t *o;
    size_t i;

    switch (f->type) {
    case LAKE_TYPE_DECIMAL: {
        char b[32];

        snprintf(b, sizeof(b), "decimal(%d,%d)", f->precision, f->scale);
        return json_string(b);
    }
    case LAKE_TYPE_STRUCT: {
        json_t *arr = json_array();

        o = json_object();
        json_object_set_new(o, "type", json_string("struct"));
        for (i = 0; i < f->n_children; i++)
            json_array_append_new(arr, field_json(&f->children[i]));
        json_object_set_new(o, "fields", arr);
        return o;
    }
    case LAKE_TYPE_ARRAY:
        o = json_object();
        json_object_set_new(o, "type", json_string("array"));
        json_object_set_new(o, "elementType", type_json(&f->children[0]));
        json_object_set_new(o, "containsNull",
                            json_boolean(f->children[0].nullable));
        return o;
    case LAKE_TYPE_MAP:
        o = json_object();
        json_object_set_new(o, "type", json_string("map"));
        json_object_set_new(o, "keyType", type_json(&f->children[0]));
        json_object_set_new(o, "valueType", type_json(&f->children[1]));
        json_object_set_new(o, "valueContainsNull",
                            json_boolean(f->children[1].nullable));
        return o;
    default:
        return json_string(lake_type_name(f->type));
    }
}

char *lake_delta_schema_string(const struct lake_schema *schema)
{
    json_t *root = json_object();
    json_t *arr = json_array();
    char *s;
    char *r;
    size_t i;

    json_object_set_new(root, "type", json_string("struct"));
    for (i = 0; i < schema->n_fields; i++)
        json_array_append_new(arr, field_json(&schema->fields[i]));
    json_object_set_new(root, "fields", arr);
    s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    r = ju_xstrdup(s);
    free(s);
    return r;
}
