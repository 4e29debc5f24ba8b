/*
 * cmd_table_import.c: `jobctl table import T --from FILE.jsonl`: parse a
 * --schema spec (Spark simple types) or infer one from the first rows, then
 * stream JSON lines into a Delta table in batches (one commit).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_table_int.h"
#include "jobctl/err.h"
#include "lake/column.h"
#include "lake/delta.h"
#include "util/buf.h"
#include "util/mem.h"

#define IMPORT_BATCH_ROWS 100000
#define IMPORT_LINE_CAP ((size_t)16 << 20)
#define INFER_ROWS 1000

/* -------------------------------------------------------------- import */

static void skip_ws(const char **p)
{
    while (**p == ' ')
        (*p)++;
}

/* Parse a Spark simple type string ("long", "decimal(10,2)",
 * "array<int>", "map<string,long>", "struct<a:int,b:string>"). */
static int parse_type_str(const char **pp, const char *name,
                          struct lake_field *out, int depth)
{
    static const struct {
        const char *n;
        enum lake_type t;
    } prims[] = {
        {"string", LAKE_TYPE_STRING},
        {"long", LAKE_TYPE_LONG},
        {"bigint", LAKE_TYPE_LONG},
        {"integer", LAKE_TYPE_INTEGER},
        {"int", LAKE_TYPE_INTEGER},
        {"short", LAKE_TYPE_SHORT},
        {"smallint", LAKE_TYPE_SHORT},
        {"byte", LAKE_TYPE_BYTE},
        {"tinyint", LAKE_TYPE_BYTE},
        {"float", LAKE_TYPE_FLOAT},
        {"double", LAKE_TYPE_DOUBLE},
        {"boolean", LAKE_TYPE_BOOLEAN},
        {"bool", LAKE_TYPE_BOOLEAN},
        {"binary", LAKE_TYPE_BINARY},
        {"date", LAKE_TYPE_DATE},
        {"timestamp", LAKE_TYPE_TIMESTAMP},
        {"timestamp_ntz", LAKE_TYPE_TIMESTAMP_NTZ},
    };
    const char *p = *pp;
    char word[32];
    size_t n = 0, k;

    if (depth > 16)
        return jc_err_set(JC_EINVAL, "column '%s': type nested too deep", name);
    skip_ws(&p);
    while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
           p[n] == '_') {
        if (n + 1 >= sizeof(word))
            break;
        word[n] = (char)(p[n] | 0x20);
        n++;
    }
    word[n] = '\0';
    p += n;
    if (!strcmp(word, "decimal")) {
        char *end;
        long prec = 10, sc = 0;

        if (*p == '(') {
            prec = strtol(p + 1, &end, 10);
            p = end;
            skip_ws(&p);
            if (*p++ != ',')
                goto bad;
            sc = strtol(p, &end, 10);
            p = end;
            if (*p++ != ')')
                goto bad;
        }
        if (prec < 1 || prec > 38 || sc < 0 || sc > prec)
            goto bad;
        lake_field_init_decimal(out, name, (int)prec, (int)sc, true);
        *pp = p;
        return 0;
    }
    if (!strcmp(word, "array") && *p == '<') {
        struct lake_field el;

        p++;
        if (parse_type_str(&p, "element", &el, depth + 1))
            return JC_EINVAL;
        skip_ws(&p);
        if (*p++ != '>') {
            lake_field_release(&el);
            goto bad;
        }
        lake_field_init_array(out, name, &el, true);
        lake_field_release(&el);
        *pp = p;
        return 0;
    }
    if (!strcmp(word, "map") && *p == '<') {
        struct lake_field kf, vf;

        p++;
        if (parse_type_str(&p, "key", &kf, depth + 1))
            return JC_EINVAL;
        skip_ws(&p);
        if (*p++ != ',' || parse_type_str(&p, "value", &vf, depth + 1)) {
            lake_field_release(&kf);
            goto bad;
        }
        skip_ws(&p);
        if (*p++ != '>') {
            lake_field_release(&kf);
            lake_field_release(&vf);
            goto bad;
        }
        lake_field_init_map(out, name, &kf, &vf, true);
        lake_field_release(&kf);
        lake_field_release(&vf);
        *pp = p;
        return 0;
    }
    if (!strcmp(word, "struct") && *p == '<') {
        p++;
        lake_field_init(out, name, LAKE_TYPE_STRUCT, true);
        for (;;) {
            char cname[256];
            size_t cn = 0;
            struct lake_field cf;

            skip_ws(&p);
            while (*p && *p != ':' && *p != '>' && *p != ',' &&
                   cn + 1 < sizeof(cname))
                cname[cn++] = *p++;
            cname[cn] = '\0';
            if (*p++ != ':' || !cn ||
                parse_type_str(&p, cname, &cf, depth + 1)) {
                lake_field_release(out);
                goto bad;
            }
            lake_field_add_child(out, &cf);
            lake_field_release(&cf);
            skip_ws(&p);
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p++ != '>') {
                lake_field_release(out);
                goto bad;
            }
            break;
        }
        *pp = p;
        return 0;
    }
    for (k = 0; k < sizeof(prims) / sizeof(prims[0]); k++) {
        if (!strcmp(word, prims[k].n)) {
            lake_field_init(out, name, prims[k].t, true);
            *pp = p;
            return 0;
        }
    }
bad:
    return jc_err_set(JC_EINVAL, "column '%s': invalid type near '%s'", name,
                      *pp);
}

/* "a:long,b:decimal(10,2),c:array<string>" */
static int parse_schema_spec(const char *spec, struct lake_schema *s)
{
    const char *p = spec;

    while (*p) {
        char name[256];
        size_t n = 0;
        struct lake_field f;

        skip_ws(&p);
        while (*p && *p != ':' && *p != ',' && n + 1 < sizeof(name))
            name[n++] = *p++;
        name[n] = '\0';
        if (*p != ':' || !n)
            return jc_err_set(JC_EINVAL, "schema item '%s': expected NAME:TYPE",
                              name);
        p++;
        if (parse_type_str(&p, name, &f, 0))
            return JC_EINVAL;
        if (lake_schema_find(s, name) >= 0) {
            lake_field_release(&f);
            return jc_err_set(JC_EINVAL, "duplicate column '%s'", name);
        }
        lake_schema_add(s, &f);
        lake_field_release(&f);
        skip_ws(&p);
        if (*p == ',')
            p++;
        else if (*p)
            return jc_err_set(JC_EINVAL, "schema: unexpected '%s'", p);
    }
    if (!s->n_fields)
        return jc_err_set(JC_EINVAL, "empty schema");
    return 0;
}

static int looks_like_ts(const char *s)
{
    size_t n = strlen(s);

    return n >= 19 && s[4] == '-' && s[7] == '-' &&
           (s[10] == 'T' || s[10] == ' ') && s[13] == ':' && s[16] == ':';
}

static int looks_like_date(const char *s)
{
    return strlen(s) == 10 && s[4] == '-' && s[7] == '-' && s[0] >= '0' &&
           s[0] <= '9';
}

/* Widen types seen in JSON values: long < double; string wins. */
static int infer_schema(json_t **rows, size_t n, struct lake_schema *s)
{
    json_t *order = json_array();
    json_t *types = json_object();
    size_t i, k;
    json_t *v;
    const char *key;

    for (i = 0; i < n; i++) {
        json_object_foreach(rows[i], key, v)
        {
            const char *cur;
            const char *t;

            if (!json_object_get(types, key)) {
                json_array_append_new(order, json_string(key));
                json_object_set_new(types, key, json_string("null"));
            }
            cur = json_string_value(json_object_get(types, key));
            if (json_is_null(v))
                continue;
            if (json_is_integer(v))
                t = "long";
            else if (json_is_real(v))
                t = "double";
            else if (json_is_boolean(v))
                t = "boolean";
            else if (json_is_string(v))
                t = looks_like_ts(json_string_value(v))     ? "timestamp"
                    : looks_like_date(json_string_value(v)) ? "date"
                                                            : "string";
            else
                t = "string";
            if (!strcmp(cur, "null") || !strcmp(cur, t))
                ;
            else if ((!strcmp(cur, "long") && !strcmp(t, "double")) ||
                     (!strcmp(cur, "double") && !strcmp(t, "long")))
                t = "double";
            else
                t = "string";
            json_object_set_new(types, key, json_string(t));
        }
    }
    json_array_foreach(order, k, v)
    {
        const char *name = json_string_value(v);
        const char *t = json_string_value(json_object_get(types, name));
        enum lake_type lt = LAKE_TYPE_STRING;

        if (!strcmp(t, "long"))
            lt = LAKE_TYPE_LONG;
        else if (!strcmp(t, "double"))
            lt = LAKE_TYPE_DOUBLE;
        else if (!strcmp(t, "boolean"))
            lt = LAKE_TYPE_BOOLEAN;
        else if (!strcmp(t, "timestamp"))
            lt = LAKE_TYPE_TIMESTAMP;
        else if (!strcmp(t, "date"))
            lt = LAKE_TYPE_DATE;
        lake_schema_add_simple(s, name, lt, true);
    }
    json_decref(order);
    json_decref(types);
    if (!s->n_fields)
        return jc_err_set(JC_EINVAL, "cannot infer a schema: no columns");
    return 0;
}

static int hexv(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Append JSON value v to column c of field f. */
static int append_json(struct lake_column *c, const struct lake_field *f,
                       json_t *v, int depth)
{
    if (!v || json_is_null(v)) {
        lake_batch_append_null(c);
        return 0;
    }
    if (depth > LAKE_NESTING_MAX)
        return jc_err_set(JC_ETOOBIG, "value nested too deep");
    switch (f->type) {
    case LAKE_TYPE_BOOLEAN:
        if (!json_is_boolean(v))
            goto bad;
        lake_batch_append_bool(c, json_is_true(v));
        return 0;
    case LAKE_TYPE_BYTE:
    case LAKE_TYPE_SHORT:
    case LAKE_TYPE_INTEGER:
    case LAKE_TYPE_LONG: {
        json_int_t x;

        if (!json_is_integer(v))
            goto bad;
        x = json_integer_value(v);
        if ((f->type == LAKE_TYPE_BYTE && (x < -128 || x > 127)) ||
            (f->type == LAKE_TYPE_SHORT && (x < -32768 || x > 32767)) ||
            (f->type == LAKE_TYPE_INTEGER &&
             (x < -2147483648LL || x > 2147483647LL)))
            goto bad;
        if (f->type == LAKE_TYPE_BYTE)
            lake_batch_append_i8(c, (int8_t)x);
        else if (f->type == LAKE_TYPE_SHORT)
            lake_batch_append_i16(c, (int16_t)x);
        else if (f->type == LAKE_TYPE_INTEGER)
            lake_batch_append_i32(c, (int32_t)x);
        else
            lake_batch_append_i64(c, (int64_t)x);
        return 0;
    }
    case LAKE_TYPE_FLOAT:
    case LAKE_TYPE_DOUBLE: {
        double d;

        if (json_is_number(v))
            d = json_number_value(v);
        else if (json_is_string(v) && !strcmp(json_string_value(v), "NaN"))
            d = __builtin_nan("");
        else if (json_is_string(v) && !strcmp(json_string_value(v), "Infinity"))
            d = __builtin_inf();
        else if (json_is_string(v) &&
                 !strcmp(json_string_value(v), "-Infinity"))
            d = -__builtin_inf();
        else
            goto bad;
        if (f->type == LAKE_TYPE_FLOAT)
            lake_batch_append_f32(c, (float)d);
        else
            lake_batch_append_f64(c, d);
        return 0;
    }
    case LAKE_TYPE_STRING:
        if (json_is_string(v)) {
            lake_batch_append_str(c, json_string_value(v),
                                  json_string_length(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

            lake_batch_append_str(c, s, strlen(s));
            free(s);
        }
        return 0;
    case LAKE_TYPE_BINARY: {
        const char *s;
        size_t n, i;
        char *out;

        if (!json_is_string(v))
            goto bad;
        s = json_string_value(v);
        n = json_string_length(v);
        if (n % 2)
            goto bad;
        out = ju_xmalloc(n / 2 + 1);
        for (i = 0; i < n / 2; i++) {
            int hi = hexv((unsigned char)s[2 * i]);
            int lo = hexv((unsigned char)s[2 * i + 1]);

            if (hi < 0 || lo < 0) {
                free(out);
                goto bad;
            }
            out[i] = (char)(hi * 16 + lo);
        }
        lake_batch_append_str(c, out, n / 2);
        free(out);
        return 0;
    }
    case LAKE_TYPE_DATE: {
        int32_t d;

        if (!json_is_string(v) ||
            lake_delta_parse_date(json_string_value(v), &d) < 0)
            goto bad;
        lake_batch_append_i32(c, d);
        return 0;
    }
    case LAKE_TYPE_TIMESTAMP:
    case LAKE_TYPE_TIMESTAMP_NTZ: {
        int64_t us;

        if (json_is_integer(v))
            us = json_integer_value(v);
        else if (!json_is_string(v) ||
                 lake_delta_parse_timestamp(json_string_value(v), &us) < 0)
            goto bad;
        lake_batch_append_i64(c, us);
        return 0;
    }
    case LAKE_TYPE_DECIMAL: {
        lake_i128 x;
        char tmp[64];
        const char *s;

        if (json_is_string(v)) {
            s = json_string_value(v);
        } else if (json_is_integer(v)) {
            snprintf(tmp, sizeof(tmp), "%lld",
                     (long long)json_integer_value(v));
            s = tmp;
        } else if (json_is_real(v)) {
            snprintf(tmp, sizeof(tmp), "%.*f", f->scale, json_real_value(v));
            s = tmp;
        } else {
            goto bad;
        }
        if (lake_delta_parse_decimal(s, f->scale, &x) < 0)
            goto bad;
        if (f->precision <= 18)
            lake_batch_append_i64(c, (int64_t)x);
        else
            lake_batch_append_i128(c, x);
        return 0;
    }
    case LAKE_TYPE_STRUCT: {
        size_t i;

        if (!json_is_object(v))
            goto bad;
        lake_batch_append_struct(c);
        for (i = 0; i < f->n_children; i++) {
            int rc =
                append_json(&c->children[i], &f->children[i],
                            json_object_get(v, f->children[i].name), depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    }
    case LAKE_TYPE_ARRAY: {
        size_t i;
        json_t *e;

        if (!json_is_array(v))
            goto bad;
        json_array_foreach(v, i, e)
        {
            int rc =
                append_json(&c->children[0], &f->children[0], e, depth + 1);
            if (rc)
                return rc;
        }
        lake_batch_end_list(c);
        return 0;
    }
    case LAKE_TYPE_MAP: {
        /* object (string keys) or list of [key, value] pairs */
        size_t i;
        json_t *e;
        const char *k;

        if (json_is_object(v) && f->children[0].type == LAKE_TYPE_STRING) {
            json_object_foreach(v, k, e)
            {
                json_t *kj = json_string(k);
                int rc = append_json(&c->children[0], &f->children[0], kj,
                                     depth + 1);

                json_decref(kj);
                if (rc == 0)
                    rc = append_json(&c->children[1], &f->children[1], e,
                                     depth + 1);
                if (rc)
                    return rc;
            }
        } else if (json_is_array(v)) {
            json_array_foreach(v, i, e)
            {
                int rc;

                if (!json_is_array(e) || json_array_size(e) != 2 ||
                    json_is_null(json_array_get(e, 0)))
                    goto bad;
                rc = append_json(&c->children[0], &f->children[0],
                                 json_array_get(e, 0), depth + 1);
                if (rc == 0)
                    rc = append_json(&c->children[1], &f->children[1],
                                     json_array_get(e, 1), depth + 1);
                if (rc)
                    return rc;
            }
        } else {
            goto bad;
        }
        lake_batch_end_list(c);
        return 0;
    }
    default:
        break;
    }
bad:
    return jc_err_set(JC_EINVAL, "column '%s': value does not fit type %s",
                      f->name, lake_type_name(f->type));
}

struct jsonl {
    FILE *fp;
    const char *name;
    char *line;
    size_t cap;
    long lineno;
};

/* Next JSON object of the file: 1 = *out set, 0 = end, -1 = error. */
static int jsonl_next(struct jsonl *r, json_t **out)
{
    ssize_t len;

    *out = NULL;
    while ((len = getline(&r->line, &r->cap, r->fp)) >= 0) {
        json_error_t jerr;
        json_t *j;

        r->lineno++;
        while (len && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
            r->line[--len] = '\0';
        if (len == 0)
            continue;
        if ((size_t)len > IMPORT_LINE_CAP) {
            jc_err_set(JC_ETOOBIG, "'%s':%ld: line longer than %zu bytes",
                       r->name, r->lineno, IMPORT_LINE_CAP);
            return -1;
        }
        j = json_loadb(r->line, (size_t)len, 0, &jerr);
        if (!j || !json_is_object(j)) {
            jc_err_set(JC_EPARSE, "'%s':%ld:%d: %s", r->name, r->lineno,
                       j ? 1 : jerr.column,
                       j ? "expected a JSON object" : jerr.text);
            json_decref(j);
            return -1;
        }
        *out = j;
        return 1;
    }
    return 0;
}

static int append_row(struct lake_batch *b, json_t *row, const char *from,
                      long lineno)
{
    size_t c;

    for (c = 0; c < b->schema.n_fields; c++) {
        if (append_json(&b->columns[c], &b->schema.fields[c],
                        json_object_get(row, b->schema.fields[c].name), 0))
            return jc_err_wrap(JC_EINVAL, "'%s': row %ld", from, lineno);
    }
    return 0;
}

static int flush_batch(struct lake_txn *tx, struct lake_batch *b,
                       int64_t *total)
{
    if (b->columns[0].length == 0)
        return 0;
    if (lake_batch_seal(b) || lake_txn_append(tx, b))
        return -1;
    *total += (int64_t)b->num_rows;
    lake_batch_reset(b);
    return 0;
}

int jc_cli__table_import(int argc, char **argv)
{
    const char *name = NULL, *from = NULL, *spec = NULL, *app = NULL;
    const char *codec = NULL;
    const char **pcols = NULL;
    size_t npc = 0;
    int overwrite = 0;
    struct lake_schema schema = LAKE_SCHEMA_INIT;
    json_t **rows = NULL;
    long *rowline = NULL;
    size_t nrows = 0, arows = 0, arl = 0;
    struct jsonl rd;
    struct lake_table *t = NULL;
    struct lake_txn *tx = NULL;
    struct lake_batch *b = NULL;
    char *path = NULL;
    int64_t version = -1;
    int64_t total = 0;
    int rc = 0;
    int i, more;
    size_t k;

    memset(&rd, 0, sizeof(rd));
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--from") && i + 1 < argc)
            from = argv[++i];
        else if (!strcmp(argv[i], "--schema") && i + 1 < argc)
            spec = argv[++i];
        else if (!strcmp(argv[i], "--app-txn") && i + 1 < argc)
            app = argv[++i];
        else if (!strcmp(argv[i], "--codec") && i + 1 < argc)
            codec = argv[++i];
        else if (!strcmp(argv[i], "--partition-by") && i + 1 < argc) {
            pcols = ju_xrealloc(pcols, (npc + 1) * sizeof(char *));
            pcols[npc++] = argv[++i];
        } else if (!strcmp(argv[i], "--mode") && i + 1 < argc) {
            i++;
            if (!strcmp(argv[i], "overwrite"))
                overwrite = 1;
            else if (strcmp(argv[i], "append")) {
                free(pcols);
                return jc_cli__table_usage();
            }
        } else if (!name && argv[i][0] != '-')
            name = argv[i];
        else {
            free(pcols);
            return jc_cli__table_usage();
        }
    }
    if (!name || !from) {
        free(pcols);
        return jc_cli__table_usage();
    }
    rd.name = from;
    rd.fp = strcmp(from, "-") ? fopen(from, "r") : stdin;
    if (!rd.fp) {
        fprintf(stderr, "jobctl: table import: cannot open '%s': %s\n", from,
                strerror(errno));
        free(pcols);
        return 1;
    }
    /* buffer the first rows (schema inference), stream the rest */
    for (;;) {
        json_t *j = NULL;

        if (nrows >= INFER_ROWS)
            break;
        more = jsonl_next(&rd, &j);
        if (more < 0) {
            rc = 1;
            goto out;
        }
        if (more == 0)
            break;
        JU_ALLOC_GROW(rows, nrows + 1, arows);
        JU_ALLOC_GROW(rowline, nrows + 1, arl);
        rows[nrows] = j;
        rowline[nrows++] = rd.lineno;
    }
    if (spec)
        rc = parse_schema_spec(spec, &schema) ? 1 : 0;
    else
        rc = infer_schema(rows, nrows, &schema) ? 1 : 0;
    if (rc)
        goto out;
    path = lake_table_resolve(name);
    if (lake_table_create_if_absent(&t, path, &schema, pcols, npc, NULL)) {
        rc = 1;
        goto out;
    }
    if (app) {
        const char *colon = strrchr(app, ':');
        int64_t av, have;
        char *id;

        if (!colon || colon == app || jc_cli__parse_i64(colon + 1, &av) < 0) {
            jc_err_set(JC_EINVAL, "--app-txn wants APP_ID:VERSION, got '%s'",
                       app);
            rc = 1;
            goto out;
        }
        id = ju_xstrndup(app, (size_t)(colon - app));
        if (lake_table_txn_version(t, id, &have) == 0 && have >= av) {
            printf("already committed: '%s' has txn '%s' version %lld\n",
                   lake_table_path(t), id, (long long)have);
            free(id);
            goto out;
        }
        if (lake_txn_begin(t, &tx)) {
            free(id);
            rc = 1;
            goto out;
        }
        lake_txn_set_app_txn(tx, id, av);
        free(id);
    } else if (lake_txn_begin(t, &tx)) {
        rc = 1;
        goto out;
    }
    if (overwrite)
        lake_txn_remove_all(tx);
    if (codec && lake_txn_set_codec(tx, codec)) {
        rc = 1;
        goto out;
    }
    b = lake_batch_new(lake_table_schema(t));
    for (k = 0; k < nrows; k++) {
        if (append_row(b, rows[k], from, rowline[k])) {
            rc = 1;
            goto out;
        }
        json_decref(rows[k]);
        rows[k] = NULL;
        if (b->columns[0].length >= IMPORT_BATCH_ROWS &&
            flush_batch(tx, b, &total)) {
            rc = 1;
            goto out;
        }
    }
    for (;;) {
        json_t *j = NULL;

        more = jsonl_next(&rd, &j);
        if (more < 0) {
            rc = 1;
            goto out;
        }
        if (more == 0)
            break;
        rc = append_row(b, j, from, rd.lineno) ? 1 : 0;
        json_decref(j);
        if (rc)
            goto out;
        if (b->columns[0].length >= IMPORT_BATCH_ROWS &&
            flush_batch(tx, b, &total)) {
            rc = 1;
            goto out;
        }
    }
    if (flush_batch(tx, b, &total)) {
        rc = 1;
        goto out;
    }
    rc = lake_txn_commit(tx, "WRITE", NULL, &version);
    tx = NULL;
    if (rc == JC_EEXIST) {
        printf("already committed: %s\n", jc_err_last());
        rc = 0;
        goto out;
    }
    rc = rc ? 1 : 0;
    if (rc == 0)
        printf("imported %lld rows into '%s' (version %lld)\n",
               (long long)total, lake_table_path(t), (long long)version);
out:
    if (rc)
        jc_cli__table_fail("import");
    if (tx)
        lake_txn_abort(tx);
    if (b)
        lake_batch_free(b);
    for (k = 0; k < nrows; k++)
        json_decref(rows[k]);
    free(rows);
    free(rowline);
    free(rd.line);
    if (rd.fp && rd.fp != stdin)
        fclose(rd.fp);
    free(pcols);
    free(path);
    lake_schema_release(&schema);
    lake_table_close(t);
    return rc;
}
