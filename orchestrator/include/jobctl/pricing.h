/*
 * pricing.h: the price table used to put a cost on every task attempt,
 * read from the `pricing:` section of $JOBCTL_HOME/config.yaml (libyaml),
 * with documented defaults when the file or a key is absent
 * (docs/COSTS.md). Local attempts cost CPU core-hours and GiB-hours of
 * peak memory; Databricks attempts cost DBUs (rate per node type times
 * the per-DBU price) plus VM time, with a spot discount on VM workers.
 */
#ifndef JOBCTL_JOBCTL_PRICING_H
#define JOBCTL_JOBCTL_PRICING_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define JC_PRICING_MAX_NODES 1024      /* node_types entries */
#define JC_PRICING_MAX_INPUT (1u << 20) /* config.yaml size cap */

struct jc_price_node {
    char *node_type;     /* "i3.xlarge" */
    double dbu_per_hour; /* DBUs one node of this type burns per hour */
    double vm_per_hour;  /* cloud VM price per hour (0 = not counted) */
};

struct jc_pricing {
    char currency[8];          /* "USD" */
    double local_core_hour;    /* per CPU core-hour (user + sys CPU time) */
    double local_gib_hour;     /* per GiB of peak RSS held for an hour */
    double dbu_price;          /* per DBU */
    double spot_discount;      /* 0..1 off the VM price of spot workers */
    double default_dbu_per_hour; /* unknown node type */
    double default_vm_per_hour;
    int default_workers;       /* existing_cluster_id with no spec: workers */
    struct jc_price_node *nodes;
    size_t nnodes;
};

/* Built-in defaults (docs/COSTS.md), including a few node types. */
void jc_pricing_defaults(struct jc_pricing *p);
/*
 * Parse YAML text: defaults first, then the `pricing:` mapping overrides
 * them (other top-level keys are ignored). Errors are JC_EPARSE with
 * "name:line:col: ..." (bad YAML, wrong types, negative prices, a spot
 * discount outside 0..1) or JC_ETOOBIG. On error *p holds the defaults.
 */
int jc_pricing_parse(struct jc_pricing *p, const char *text, size_t len,
                     const char *name);
/* Load $home/config.yaml (home NULL: $JOBCTL_HOME or ./.jobctl); an absent
 * file gives the defaults and returns 0. */
int jc_pricing_load(struct jc_pricing *p, const char *home);
void jc_pricing_release(struct jc_pricing *p);

/* Rates for a node type (falls back to the defaults). */
void jc_pricing_node(const struct jc_pricing *p, const char *node_type,
                     double *dbu_per_hour, double *vm_per_hour);

/* Cost of a local attempt. */
double jc_pricing_local_cost(const struct jc_pricing *p, double cpu_user_s,
                             double cpu_sys_s, int64_t max_rss_kb,
                             double wall_s);

/* Breakdown of a Databricks attempt's cost. */
struct jc_remote_cost {
    double hours;        /* billed cluster time */
    int nodes;           /* driver + workers */
    double dbus;         /* DBUs burned */
    double dbu_cost;
    double vm_cost;
    double total;
    char cluster[128];   /* "i3.xlarge x3 (spot)" or the cluster id */
};
/*
 * Cost of a remote attempt on cluster (a new_cluster spec, or NULL for an
 * existing cluster whose spec is unknown: default node type with
 * default_workers) for seconds of cluster time (setup + execution +
 * cleanup). Workers = num_workers, or autoscale.max_workers (upper bound).
 * Spot applies when aws_attributes.availability is SPOT*, azure
 * SPOT_AZURE* or gcp PREEMPTIBLE*: the discount applies to worker VMs.
 */
void jc_pricing_remote_cost(const struct jc_pricing *p, json_t *cluster,
                            const char *existing_cluster_id, double seconds,
                            struct jc_remote_cost *out);

#endif
