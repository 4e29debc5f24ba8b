/*
 * dag.c: task graph for the runner, repair and validation. A string hash
 * map (open addressing, FNV-1a) indexes task keys; edges are stored in
 * CSR arrays; Kahn's algorithm gives the order and exposes cycles.
 */
#include "jobctl/dag.h"

#include <stdint.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

struct jc_dag {
    const struct jc_job *job;
    size_t n;
    size_t *slots; /* hash table of index+1, 0 = empty */
    size_t nslots;
    size_t *par_off; /* n+1 */
    size_t *par;
    size_t *chi_off; /* n+1 */
    size_t *chi;
    size_t *order;
    size_t norder; /* < n when cyclic */
    size_t *leaves;
    size_t nleaves;
    size_t *roots;
    size_t nroots;
    bool *in_order;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

bool jc_dag_lookup(const struct jc_dag *dag, const char *task_key, size_t *idx)
{
    size_t i;

    if (!dag || !task_key || !dag->nslots)
        return false;
    i = (size_t)fnv1a(task_key) & (dag->nslots - 1);
    while (dag->slots[i]) {
        size_t t = dag->slots[i] - 1;

        if (!strcmp(dag->job->tasks[t].task_key, task_key)) {
            if (idx)
                *idx = t;
            return true;
        }
        i = (i + 1) & (dag->nslots - 1);
    }
    return false;
}

void jc_dag_free(struct jc_dag *dag)
{
    if (!dag)
        return;
    free(dag->slots);
    free(dag->par_off);
    free(dag->par);
    free(dag->chi_off);
    free(dag->chi);
    free(dag->order);
    free(dag->leaves);
    free(dag->roots);
    free(dag->in_order);
    free(dag);
}

int jc_dag_new(struct jc_dag **out, const struct jc_job *job, unsigned flags)
{
    struct jc_dag *d = ju_xcalloc(1, sizeof(*d));
    bool lenient = (flags & JC_DAG_LENIENT) != 0;
    size_t i, k, nedges = 0, head = 0;
    size_t *indeg, *fill;

    *out = NULL;
    d->job = job;
    d->n = job->ntasks;
    d->nslots = 16;
    while (d->nslots < d->n * 2)
        d->nslots *= 2;
    d->slots = ju_xcalloc(d->nslots, sizeof(size_t));
    for (i = 0; i < d->n; i++) {
        const char *key = job->tasks[i].task_key;
        size_t s = (size_t)fnv1a(key) & (d->nslots - 1);
        bool dup = false;

        while (d->slots[s]) {
            if (!strcmp(job->tasks[d->slots[s] - 1].task_key, key)) {
                dup = true;
                break;
            }
            s = (s + 1) & (d->nslots - 1);
        }
        if (dup) {
            if (lenient)
                continue;
            jc_dag_free(d);
            return jc_err_set(JC_EINVAL, "duplicate task_key '%s'", key);
        }
        d->slots[s] = i + 1;
    }

    /* parents (CSR) */
    d->par_off = ju_xcalloc(d->n + 1, sizeof(size_t));
    for (i = 0; i < d->n; i++)
        nedges += job->tasks[i].ndeps;
    d->par = ju_xcalloc(nedges + 1, sizeof(size_t));
    nedges = 0;
    for (i = 0; i < d->n; i++) {
        const struct jc_task *t = &job->tasks[i];

        d->par_off[i] = nedges;
        for (k = 0; k < t->ndeps; k++) {
            size_t p;

            if (!jc_dag_lookup(d, t->deps[k].task_key, &p)) {
                if (lenient)
                    continue;
                jc_err_set(JC_EINVAL, "task '%s' depends on unknown task '%s'",
                           t->task_key, t->deps[k].task_key);
                jc_dag_free(d);
                return JC_EINVAL;
            }
            d->par[nedges++] = p;
        }
    }
    d->par_off[d->n] = nedges;

    /* children (CSR, parents visited in index order -> stable) */
    d->chi_off = ju_xcalloc(d->n + 1, sizeof(size_t));
    d->chi = ju_xcalloc(nedges + 1, sizeof(size_t));
    for (i = 0; i < nedges; i++)
        d->chi_off[d->par[i] + 1]++;
    for (i = 0; i < d->n; i++)
        d->chi_off[i + 1] += d->chi_off[i];
    fill = ju_xcalloc(d->n + 1, sizeof(size_t));
    for (i = 0; i < d->n; i++) {
        for (k = d->par_off[i]; k < d->par_off[i + 1]; k++) {
            size_t p = d->par[k];

            d->chi[d->chi_off[p] + fill[p]++] = i;
        }
    }
    free(fill);

    /* leaves and roots */
    d->leaves = ju_xcalloc(d->n + 1, sizeof(size_t));
    d->roots = ju_xcalloc(d->n + 1, sizeof(size_t));
    for (i = 0; i < d->n; i++) {
        if (d->chi_off[i] == d->chi_off[i + 1])
            d->leaves[d->nleaves++] = i;
        if (d->par_off[i] == d->par_off[i + 1])
            d->roots[d->nroots++] = i;
    }

    /* Kahn: a FIFO seeded in file order keeps ties in file order */
    indeg = ju_xcalloc(d->n + 1, sizeof(size_t));
    d->order = ju_xcalloc(d->n + 1, sizeof(size_t));
    d->in_order = ju_xcalloc(d->n + 1, sizeof(bool));
    for (i = 0; i < d->n; i++) {
        indeg[i] = d->par_off[i + 1] - d->par_off[i];
        if (!indeg[i])
            d->order[d->norder++] = i;
    }
    while (head < d->norder) {
        size_t u = d->order[head++];

        d->in_order[u] = true;
        for (k = d->chi_off[u]; k < d->chi_off[u + 1]; k++) {
            size_t c = d->chi[k];

            if (--indeg[c] == 0)
                d->order[d->norder++] = c;
        }
    }
    free(indeg);
    *out = d;
    return 0;
}

size_t jc_dag_size(const struct jc_dag *dag)
{
    return dag ? dag->n : 0;
}

const char *jc_dag_key(const struct jc_dag *dag, size_t idx)
{
    if (!dag || idx >= dag->n)
        return NULL;
    return dag->job->tasks[idx].task_key;
}

const size_t *jc_dag_parents(const struct jc_dag *dag, size_t idx, size_t *n)
{
    *n = dag->par_off[idx + 1] - dag->par_off[idx];
    return dag->par + dag->par_off[idx];
}

const size_t *jc_dag_children(const struct jc_dag *dag, size_t idx, size_t *n)
{
    *n = dag->chi_off[idx + 1] - dag->chi_off[idx];
    return dag->chi + dag->chi_off[idx];
}

const size_t *jc_dag_leaves(const struct jc_dag *dag, size_t *n)
{
    *n = dag->nleaves;
    return dag->leaves;
}

const size_t *jc_dag_roots(const struct jc_dag *dag, size_t *n)
{
    *n = dag->nroots;
    return dag->roots;
}

bool jc_dag_has_cycle(const struct jc_dag *dag)
{
    return dag->norder < dag->n;
}

int jc_dag_topo(const struct jc_dag *dag, const size_t **order, size_t *n)
{
    *order = dag->order;
    *n = dag->norder;
    if (dag->norder < dag->n)
        return jc_err_set(JC_EINVAL, "the task graph has a cycle");
    return 0;
}

char *jc_dag_cycle_path(const struct jc_dag *dag, size_t *first)
{
    size_t *pos, *path;
    size_t start, u, len = 0, cstart, clen, best, i;
    struct ju_buf b = JU_BUF_INIT;

    if (!jc_dag_has_cycle(dag))
        return NULL;
    /*
     * Every task left out of the order has a parent also left out; walk
     * parents from the first such task until one repeats.
     */
    for (start = 0; start < dag->n && dag->in_order[start]; start++)
        ;
    pos = ju_xcalloc(dag->n + 1, sizeof(size_t)); /* position+1 in path */
    path = ju_xcalloc(dag->n + 1, sizeof(size_t));
    u = start;
    while (!pos[u]) {
        size_t k;

        pos[u] = ++len;
        path[len - 1] = u;
        for (k = dag->par_off[u]; k < dag->par_off[u + 1]; k++)
            if (!dag->in_order[dag->par[k]])
                break;
        u = dag->par[k];
    }
    /* path[cstart..len-1] is the cycle, each entry depends on the next */
    cstart = pos[u] - 1;
    clen = len - cstart;
    best = cstart;
    for (i = cstart; i < len; i++)
        if (path[i] < path[best])
            best = i;
    /* print in dependency direction: reverse walk starting at best */
    for (i = 0; i <= clen; i++) {
        size_t off = (best - cstart + clen - (i % clen)) % clen;

        if (i)
            ju_buf_adds(&b, " -> ");
        ju_buf_adds(&b, dag->job->tasks[path[cstart + off]].task_key);
    }
    if (first)
        *first = path[best];
    free(pos);
    free(path);
    return ju_buf_detach(&b, NULL);
}

static void closure(const struct jc_dag *dag, bool *mark, bool down)
{
    size_t *stack = ju_xcalloc(dag->n + 1, sizeof(size_t));
    size_t sp = 0, i, k;

    for (i = 0; i < dag->n; i++)
        if (mark[i])
            stack[sp++] = i;
    while (sp) {
        size_t u = stack[--sp];
        const size_t *adj =
            down ? dag->chi + dag->chi_off[u] : dag->par + dag->par_off[u];
        size_t nadj = down ? dag->chi_off[u + 1] - dag->chi_off[u]
                           : dag->par_off[u + 1] - dag->par_off[u];

        for (k = 0; k < nadj; k++) {
            if (!mark[adj[k]]) {
                mark[adj[k]] = true;
                stack[sp++] = adj[k];
            }
        }
    }
    free(stack);
}

void jc_dag_downstream(const struct jc_dag *dag, bool *mark)
{
    closure(dag, mark, true);
}

void jc_dag_upstream(const struct jc_dag *dag, bool *mark)
{
    closure(dag, mark, false);
}
