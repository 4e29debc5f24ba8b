/*
 * pricing.c: the price table (pricing.h). Parses the `pricing:` section
 * of config.yaml with libyaml's document API, rejecting unknown keys,
 * wrong types and out-of-range numbers with name:line:col, and computes
 * local and Databricks attempt costs. Defaults are documented in
 * docs/COSTS.md; keep the two in step.
 */
#include "jobctl/pricing.h"

#include "jobctl/err.h"
#include "util/mem.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const struct {
    const char *type;
    double dbu, vm;
} builtin_nodes[] = {
    /* Illustrative list-price approximations; see docs/COSTS.md. */
    {"i3.xlarge", 1.0, 0.312},
    {"i3.2xlarge", 2.0, 0.624},
    {"m5.xlarge", 0.69, 0.192},
    {"m5d.large", 0.34, 0.113},
    {"r5.xlarge", 0.9, 0.252},
    {"Standard_DS3_v2", 0.75, 0.293},
    {"Standard_D4ds_v5", 0.75, 0.226},
    {"n2-standard-4", 0.87, 0.194},
};

static void add_node(struct jc_pricing *p, const char *type, double dbu,
                     double vm)
{
    size_t i;

    for (i = 0; i < p->nnodes; i++) {
        if (!strcmp(p->nodes[i].node_type, type)) {
            p->nodes[i].dbu_per_hour = dbu;
            p->nodes[i].vm_per_hour = vm;
            return;
        }
    }
    p->nodes = ju_xrealloc(p->nodes, (p->nnodes + 1) * sizeof(*p->nodes));
    p->nodes[p->nnodes].node_type = ju_xstrdup(type);
    p->nodes[p->nnodes].dbu_per_hour = dbu;
    p->nodes[p->nnodes].vm_per_hour = vm;
    p->nnodes++;
}

void jc_pricing_defaults(struct jc_pricing *p)
{
    size_t i;

    memset(p, 0, sizeof(*p));
    snprintf(p->currency, sizeof(p->currency), "USD");
    p->local_core_hour = 0.04;
    p->local_gib_hour = 0.005;
    p->dbu_price = 0.15;
    p->spot_discount = 0.6;
    p->default_dbu_per_hour = 1.0;
    p->default_vm_per_hour = 0.25;
    p->default_workers = 2;
    for (i = 0; i < sizeof(builtin_nodes) / sizeof(builtin_nodes[0]); i++)
        add_node(p, builtin_nodes[i].type, builtin_nodes[i].dbu,
                 builtin_nodes[i].vm);
}

void jc_pricing_release(struct jc_pricing *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->nnodes; i++)
        free(p->nodes[i].node_type);
    free(p->nodes);
    p->nodes = NULL;
    p->nnodes = 0;
}

/* ---- YAML ----------------------------------------------------------- */

struct pctx {
    yaml_document_t *doc;
    const char *name;
};

static int node_err(struct pctx *c, yaml_node_t *n, const char *fmt,
                    const char *arg)
{
    char msg[256];

    snprintf(msg, sizeof(msg), fmt, arg);
    return jc_err_set(JC_EPARSE, "%s:%lu:%lu: %s", c->name,
                      (unsigned long)n->start_mark.line + 1,
                      (unsigned long)n->start_mark.column + 1, msg);
}

static const char *scalar(yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                       : NULL;
}

static int get_number(struct pctx *c, yaml_node_t *n, const char *key,
                      double lo, double hi, double *out)
{
    const char *s = scalar(n);
    char *end;
    double v;

    if (!s || !*s)
        return node_err(c, n, "'%s' must be a number", key);
    errno = 0;
    v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return node_err(c, n, "'%s' must be a number", key);
    if (v < lo || v > hi)
        return node_err(c, n, "'%s' is out of range", key);
    *out = v;
    return 0;
}

typedef int (*pair_cb)(struct pctx *c, const char *key, yaml_node_t *k,
                       yaml_node_t *v, void *ud);

static int each_pair(struct pctx *c, yaml_node_t *map, const char *what,
                     pair_cb cb, void *ud)
{
    yaml_node_pair_t *pr;
    int rc;

    if (map->type == YAML_SCALAR_NODE && !*scalar(map))
        return 0; /* "key:" with nothing below */
    if (map->type != YAML_MAPPING_NODE)
        return node_err(c, map, "'%s' must be a mapping", what);
    for (pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(c->doc, pr->value);

        if (!k || !v)
            return jc_err_set(JC_EPARSE, "%s: broken YAML document", c->name);
        if (!scalar(k))
            return node_err(c, k, "keys of '%s' must be scalars", what);
        rc = cb(c, scalar(k), k, v, ud);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int on_node_type(struct pctx *c, const char *key, yaml_node_t *k,
                        yaml_node_t *v, void *ud)
{
    struct jc_pricing *p = ud;
    double dbu = 0, vm = 0;
    yaml_node_pair_t *pr;
    int rc;

    if (!*key || strlen(key) > 100)
        return node_err(c, k, "bad node type name '%s'", "");
    if (p->nnodes >= JC_PRICING_MAX_NODES)
        return node_err(c, k, "too many node types (max %s)", "1024");
    if (scalar(v))
        return (rc = get_number(c, v, key, 0, 1e6, &dbu)) < 0
                   ? rc
                   : (add_node(p, key, dbu, 0), 0);
    if (v->type != YAML_MAPPING_NODE)
        return node_err(c, v, "node type '%s' must be a number or mapping",
                        key);
    for (pr = v->data.mapping.pairs.start; pr < v->data.mapping.pairs.top;
         pr++) {
        yaml_node_t *kk = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *vv = yaml_document_get_node(c->doc, pr->value);
        const char *ks = kk ? scalar(kk) : NULL;

        if (!kk || !vv || !ks)
            return jc_err_set(JC_EPARSE, "%s: bad node type entry", c->name);
        if (!strcmp(ks, "dbu_per_hour"))
            rc = get_number(c, vv, ks, 0, 1e6, &dbu);
        else if (!strcmp(ks, "vm_per_hour"))
            rc = get_number(c, vv, ks, 0, 1e6, &vm);
        else
            rc = node_err(c, kk, "unknown key '%s' in node type", ks);
        if (rc < 0)
            return rc;
    }
    add_node(p, key, dbu, vm);
    return 0;
}

static int on_local(struct pctx *c, const char *key, yaml_node_t *k,
                    yaml_node_t *v, void *ud)
{
    struct jc_pricing *p = ud;

    if (!strcmp(key, "core_hour"))
        return get_number(c, v, key, 0, 1e6, &p->local_core_hour);
    if (!strcmp(key, "gib_hour"))
        return get_number(c, v, key, 0, 1e6, &p->local_gib_hour);
    return node_err(c, k, "unknown key '%s' in pricing.local", key);
}

static int on_dbx(struct pctx *c, const char *key, yaml_node_t *k,
                  yaml_node_t *v, void *ud)
{
    struct jc_pricing *p = ud;
    double w;
    int rc;

    if (!strcmp(key, "dbu_price"))
        return get_number(c, v, key, 0, 1e6, &p->dbu_price);
    if (!strcmp(key, "spot_discount"))
        return get_number(c, v, key, 0, 1, &p->spot_discount);
    if (!strcmp(key, "default_dbu_per_hour"))
        return get_number(c, v, key, 0, 1e6, &p->default_dbu_per_hour);
    if (!strcmp(key, "default_vm_per_hour"))
        return get_number(c, v, key, 0, 1e6, &p->default_vm_per_hour);
    if (!strcmp(key, "default_workers")) {
        rc = get_number(c, v, key, 0, 100000, &w);
        if (rc < 0)
            return rc;
        if (w != floor(w))
            return node_err(c, v, "'%s' must be an integer", key);
        p->default_workers = (int)w;
        return 0;
    }
    if (!strcmp(key, "node_types"))
        return each_pair(c, v, "node_types", on_node_type, p);
    return node_err(c, k, "unknown key '%s' in pricing.databricks", key);
}

static int on_pricing(struct pctx *c, const char *key, yaml_node_t *k,
                      yaml_node_t *v, void *ud)
{
    struct jc_pricing *p = ud;

    if (!strcmp(key, "currency")) {
        const char *s = scalar(v);

        if (!s || !*s || strlen(s) >= sizeof(p->currency))
            return node_err(c, v, "'%s' must be a short currency code", key);
        snprintf(p->currency, sizeof(p->currency), "%s", s);
        return 0;
    }
    if (!strcmp(key, "local"))
        return each_pair(c, v, "local", on_local, p);
    if (!strcmp(key, "databricks"))
        return each_pair(c, v, "databricks", on_dbx, p);
    return node_err(c, k, "unknown key '%s' in pricing", key);
}

static int on_top(struct pctx *c, const char *key, yaml_node_t *k,
                  yaml_node_t *v, void *ud)
{
    (void)k;
    if (strcmp(key, "pricing"))
        return 0; /* other sections belong to other modules */
    return each_pair(c, v, "pricing", on_pricing, ud);
}

int jc_pricing_parse(struct jc_pricing *p, const char *text, size_t len,
                     const char *name)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    struct pctx c;
    int rc = 0;

    jc_pricing_defaults(p);
    if (!name)
        name = "config.yaml";
    if (len > JC_PRICING_MAX_INPUT)
        return jc_err_set(JC_ETOOBIG, "%s: larger than %u bytes", name,
                          JC_PRICING_MAX_INPUT);
    if (!yaml_parser_initialize(&parser))
        JC_BUG("yaml_parser_initialize failed");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = jc_err_set(JC_EPARSE, "%s:%lu:%lu: %s", name,
                        (unsigned long)parser.problem_mark.line + 1,
                        (unsigned long)parser.problem_mark.column + 1,
                        parser.problem ? parser.problem : "bad YAML");
        yaml_parser_delete(&parser);
        return rc;
    }
    c.doc = &doc;
    c.name = name;
    root = yaml_document_get_root_node(&doc);
    if (root && !(root->type == YAML_SCALAR_NODE && !*scalar(root)))
        rc = each_pair(&c, root, "config", on_top, p);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (rc < 0) {
        jc_pricing_release(p);
        jc_pricing_defaults(p);
    }
    return rc;
}

int jc_pricing_load(struct jc_pricing *p, const char *home)
{
    char *path;
    FILE *f;
    char *buf;
    size_t n;
    int rc;

    if (!home) {
        home = getenv("JOBCTL_HOME");
        if (!home || !*home)
            home = "./.jobctl";
    }
    path = ju_xasprintf("%s/config.yaml", home);
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;

        jc_pricing_defaults(p);
        rc = e == ENOENT ? 0
                         : jc_err_set(JC_EIO, "cannot open '%s': %s", path,
                                      strerror(e));
        free(path);
        return rc;
    }
    buf = ju_xmalloc(JC_PRICING_MAX_INPUT + 1);
    n = fread(buf, 1, JC_PRICING_MAX_INPUT + 1, f);
    fclose(f);
    rc = jc_pricing_parse(p, buf, n, path);
    free(buf);
    free(path);
    return rc;
}

void jc_pricing_node(const struct jc_pricing *p, const char *node_type,
                     double *dbu_per_hour, double *vm_per_hour)
{
    size_t i;

    for (i = 0; node_type && i < p->nnodes; i++) {
        if (!strcmp(p->nodes[i].node_type, node_type)) {
            *dbu_per_hour = p->nodes[i].dbu_per_hour;
            *vm_per_hour = p->nodes[i].vm_per_hour;
            return;
        }
    }
    *dbu_per_hour = p->default_dbu_per_hour;
    *vm_per_hour = p->default_vm_per_hour;
}

/* ---- costs ---------------------------------------------------------- */

double jc_pricing_local_cost(const struct jc_pricing *p, double cpu_user_s,
                             double cpu_sys_s, int64_t max_rss_kb,
                             double wall_s)
{
    double cpu_h = (cpu_user_s + cpu_sys_s) / 3600.0;
    double gib = max_rss_kb > 0 ? (double)max_rss_kb / (1024.0 * 1024.0) : 0;
    double wall_h = wall_s > 0 ? wall_s / 3600.0 : 0;

    if (cpu_h < 0)
        cpu_h = 0;
    return cpu_h * p->local_core_hour + gib * wall_h * p->local_gib_hour;
}

static bool is_spot(json_t *cluster)
{
    static const char *const attrs[] = {"aws_attributes", "azure_attributes",
                                        "gcp_attributes"};
    size_t i;

    for (i = 0; i < 3; i++) {
        json_t *a = json_object_get(cluster, attrs[i]);
        const char *av =
            json_string_value(json_object_get(a, "availability"));

        if (av && (!strncmp(av, "SPOT", 4) || !strncmp(av, "PREEMPTIBLE", 11)))
            return true;
        if (json_is_true(json_object_get(a, "use_preemptible_executors")))
            return true;
    }
    return false;
}

void jc_pricing_remote_cost(const struct jc_pricing *p, json_t *cluster,
                            const char *existing_cluster_id, double seconds,
                            struct jc_remote_cost *out)
{
    const char *node = NULL;
    const char *driver = NULL;
    int64_t workers;
    double wdbu, wvm, ddbu, dvm;
    bool spot = false;
    double disc;

    memset(out, 0, sizeof(*out));
    out->hours = seconds > 0 ? seconds / 3600.0 : 0;
    if (json_is_object(cluster)) {
        json_t *as = json_object_get(cluster, "autoscale");

        node = json_string_value(json_object_get(cluster, "node_type_id"));
        driver =
            json_string_value(json_object_get(cluster, "driver_node_type_id"));
        if (json_is_object(as))
            workers = json_integer_value(json_object_get(as, "max_workers"));
        else
            workers = json_integer_value(json_object_get(cluster,
                                                         "num_workers"));
        spot = is_spot(cluster);
    } else {
        workers = p->default_workers;
    }
    if (workers < 0)
        workers = 0;
    if (workers > 100000)
        workers = 100000;
    if (!driver)
        driver = node;
    jc_pricing_node(p, node, &wdbu, &wvm);
    jc_pricing_node(p, driver, &ddbu, &dvm);
    out->nodes = (int)workers + 1;
    out->dbus = out->hours * (ddbu + (double)workers * wdbu);
    out->dbu_cost = out->dbus * p->dbu_price;
    disc = spot ? 1.0 - p->spot_discount : 1.0;
    out->vm_cost = out->hours * (dvm + (double)workers * wvm * disc);
    out->total = out->dbu_cost + out->vm_cost;
    if (json_is_object(cluster))
        snprintf(out->cluster, sizeof(out->cluster), "%s x%lld%s",
                 node ? node : "default", (long long)workers + 1,
                 spot ? " (spot)" : "");
    else
        snprintf(out->cluster, sizeof(out->cluster), "%s",
                 existing_cluster_id ? existing_cluster_id : "existing");
}
