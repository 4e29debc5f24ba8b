/*
 * yaml.c: YAML (libyaml document API) -> json_t for bundle files. Plain
 * scalars get YAML 1.2 core typing (no yes/no booleans, leading-zero ints
 * read as decimal), quoted scalars stay strings; anchors/aliases and
 * merge keys (<<) with an expansion limit; duplicate keys are errors;
 * every produced node keeps its file:line:col.
 */
#include "core/spec_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "jobctl/err.h"
#include "util/mem.h"

#define YAML_MAX_DEPTH 64
#define YAML_MAX_NODES 200000 /* alias expansion limit (billion laughs) */

struct yctx {
    yaml_document_t *doc;
    const char *file;
    struct jc_spec_priv *p;
    struct jc_diags *diags;
    size_t budget;
    int failed;
};

static void yerr(struct yctx *c, const yaml_mark_t *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void yerr(struct yctx *c, const yaml_mark_t *m, const char *fmt, ...)
{
    struct jc_src_loc loc = {c->file, (int)m->line + 1, (int)m->column + 1};
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!c->failed)
        jc_diags_add(c->diags, &loc, "%s", msg);
    c->failed = 1;
}

static bool all_digits(const char *s, size_t n, int base)
{
    size_t i;

    if (!n)
        return false;
    for (i = 0; i < n; i++) {
        char ch = s[i];
        bool ok = base == 16
                      ? ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                         (ch >= 'A' && ch <= 'F'))
                  : base == 8 ? (ch >= '0' && ch <= '7')
                              : (ch >= '0' && ch <= '9');

        if (!ok)
            return false;
    }
    return true;
}

/* YAML 1.2 core float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool is_float(const char *s, size_t n)
{
    size_t i = 0, d1 = 0, d2 = 0;

    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
        d1++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            d2++;
        }
    }
    if (!d1 && !d2)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t d3 = 0;

        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
            d3++;
        }
        if (!d3)
            return false;
    }
    return i == n;
}

static json_t *plain_scalar(const char *s, size_t n)
{
    const char *d = s;
    size_t dn = n;
    int sign = 1;

    if (n == 0 || (n == 1 && s[0] == '~') ||
        (n == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) ||
                    !memcmp(s, "NULL", 4))))
        return json_null();
    if (n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "True", 4) ||
                   !memcmp(s, "TRUE", 4)))
        return json_true();
    if (n == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "False", 5) ||
                   !memcmp(s, "FALSE", 5)))
        return json_false();
    if (dn && (d[0] == '-' || d[0] == '+')) {
        sign = d[0] == '-' ? -1 : 1;
        d++;
        dn--;
    }
    if (dn > 2 && d == s && d[0] == '0' && (d[1] == 'x' || d[1] == 'o') &&
        all_digits(d + 2, dn - 2, d[1] == 'x' ? 16 : 8)) {
        char buf[32];
        unsigned long long v;

        if (dn - 2 >= sizeof(buf))
            return NULL;
        memcpy(buf, d + 2, dn - 2);
        buf[dn - 2] = '\0';
        errno = 0;
        v = strtoull(buf, NULL, d[1] == 'x' ? 16 : 8);
        if (errno || v > (unsigned long long)LLONG_MAX)
            return NULL;
        return json_integer((json_int_t)v);
    }
    if (all_digits(d, dn, 10)) {
        char buf[32];
        long long v;
        size_t skip = 0;

        /* leading zeros are decimal (the Databricks CLI strips them) */
        while (skip + 1 < dn && d[skip] == '0')
            skip++;
        if (dn - skip >= sizeof(buf) - 1)
            return NULL;
        memcpy(buf, d + skip, dn - skip);
        buf[dn - skip] = '\0';
        errno = 0;
        v = strtoll(buf, NULL, 10);
        if (errno)
            return NULL; /* too big: keep the text */
        return json_integer((json_int_t)(sign * v));
    }
    if (is_float(s, n)) {
        char buf[64];

        if (n >= sizeof(buf))
            return NULL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        return json_real(strtod(buf, NULL));
    }
    /* .inf / .nan have no JSON form: kept as strings */
    return NULL;
}

static json_t *conv(struct yctx *c, yaml_node_t *node, int depth);

static bool is_merge_key(const yaml_node_t *k)
{
    return k && k->type == YAML_SCALAR_NODE &&
           k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
           k->data.scalar.length == 2 && !memcmp(k->data.scalar.value, "<<", 2);
}

static void merge_from(struct yctx *c, json_t *obj, yaml_node_t *src, int depth)
{
    json_t *m;
    const char *k;
    json_t *v;

    m = conv(c, src, depth + 1);
    if (!m)
        return;
    if (!json_is_object(m)) {
        yerr(c, &src->start_mark,
             "merge key '<<' needs a mapping or a list "
             "of mappings");
        json_decref(m);
        return;
    }
    json_object_foreach(m, k, v)
    {
        if (!json_object_get(obj, k))
            json_object_set(obj, k, v);
    }
    json_decref(m);
}

static json_t *conv_map(struct yctx *c, yaml_node_t *node, int depth)
{
    json_t *obj = json_object();
    yaml_node_pair_t *pair;

    jc_spec__loc_set(c->p, obj, c->file, (int)node->start_mark.line + 1,
                     (int)node->start_mark.column + 1);
    /* explicit keys first, so they win over merged ones */
    for (pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top && !c->failed; pair++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pair->value);
        char *key;
        json_t *val;

        if (!k || !v)
            continue;
        if (is_merge_key(k))
            continue;
        if (k->type != YAML_SCALAR_NODE) {
            yerr(c, &k->start_mark, "mapping keys must be scalars");
            break;
        }
        key = ju_xstrndup((const char *)k->data.scalar.value,
                          k->data.scalar.length);
        if (strlen(key) != k->data.scalar.length) {
            yerr(c, &k->start_mark, "mapping key contains a NUL byte");
            free(key);
            break;
        }
        if (json_object_get(obj, key)) {
            struct jc_src_loc first;

            if (jc_spec__loc_get(c->p, json_object_get(obj, key), &first) &&
                first.file == c->file)
                yerr(c, &k->start_mark, "duplicate key '%s' (first at line %d)",
                     key, first.line);
            else
                yerr(c, &k->start_mark, "duplicate key '%s'", key);
            free(key);
            break;
        }
        val = conv(c, v, depth + 1);
        if (val)
            json_object_set_new(obj, key, val);
        free(key);
    }
    for (pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top && !c->failed; pair++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pair->value);

        if (!is_merge_key(k) || !v)
            continue;
        if (v->type == YAML_SEQUENCE_NODE) {
            yaml_node_item_t *it;

            for (it = v->data.sequence.items.start;
                 it < v->data.sequence.items.top && !c->failed; it++)
                merge_from(c, obj, yaml_document_get_node(c->doc, *it),
                           depth + 1);
        } else {
            merge_from(c, obj, v, depth);
        }
    }
    if (c->failed) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *conv(struct yctx *c, yaml_node_t *node, int depth)
{
    json_t *out = NULL;

    if (!node || c->failed)
        return NULL;
    if (depth > YAML_MAX_DEPTH) {
        yerr(c, &node->start_mark,
             "YAML nested deeper than %d levels (cyclic alias?)",
             YAML_MAX_DEPTH);
        return NULL;
    }
    if (++c->budget > YAML_MAX_NODES) {
        yerr(c, &node->start_mark,
             "YAML expands to more than %d nodes (alias expansion limit)",
             YAML_MAX_NODES);
        return NULL;
    }
    switch (node->type) {
    case YAML_SCALAR_NODE: {
        const char *s = (const char *)node->data.scalar.value;
        size_t n = node->data.scalar.length;

        if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            out = plain_scalar(s, n);
        if (!out)
            out = json_stringn(s, n);
        if (!out) {
            yerr(c, &node->start_mark, "scalar is not valid UTF-8");
            return NULL;
        }
        break;
    }
    case YAML_SEQUENCE_NODE: {
        yaml_node_item_t *it;

        out = json_array();
        for (it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++) {
            json_t *v = conv(c, yaml_document_get_node(c->doc, *it), depth + 1);

            if (!v) {
                json_decref(out);
                return NULL;
            }
            json_array_append_new(out, v);
        }
        break;
    }
    case YAML_MAPPING_NODE:
        return conv_map(c, node, depth);
    default:
        return NULL;
    }
    jc_spec__loc_set(c->p, out, c->file, (int)node->start_mark.line + 1,
                     (int)node->start_mark.column + 1);
    return out;
}

int jc_yaml__load(json_t **out, const char *text, size_t len, const char *name,
                  struct jc_spec_priv *p, struct jc_diags *diags)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    struct yctx c;

    *out = NULL;
    if (!yaml_parser_initialize(&parser))
        return jc_err_set(JC_ERR, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        struct jc_src_loc loc = {name, (int)parser.problem_mark.line + 1,
                                 (int)parser.problem_mark.column + 1};
        const char *problem = parser.problem ? parser.problem : "bad YAML";

        if (parser.context)
            jc_diags_add(diags, &loc, "%s %s", parser.context, problem);
        else
            jc_diags_add(diags, &loc, "%s", problem);
        yaml_parser_delete(&parser);
        return jc_err_set(JC_EPARSE, "%s:%d:%d: %s", name, loc.line, loc.col,
                          problem);
    }
    root = yaml_document_get_root_node(&doc);
    if (!root) {
        struct jc_src_loc loc = {name, 0, 0};

        jc_diags_add(diags, &loc, "empty YAML document");
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        return jc_err_set(JC_EPARSE, "%s: empty YAML document", name);
    }
    memset(&c, 0, sizeof(c));
    c.doc = &doc;
    c.file = name;
    c.p = p;
    c.diags = diags;
    *out = conv(&c, root, 0);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (!*out || c.failed) {
        json_decref(*out);
        *out = NULL;
        return jc_err_set(JC_EPARSE, "%s: invalid YAML", name);
    }
    return 0;
}
