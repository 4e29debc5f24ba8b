/*
 * dag.h: the task graph of a job: task_key -> index map, parents and
 * children, topological order, cycle path, leaves and downstream closure.
 * Built in O(V+E) with a hash map; task index i is job->tasks[i].
 */
#ifndef JOBCTL_JOBCTL_DAG_H
#define JOBCTL_JOBCTL_DAG_H

#include <stdbool.h>
#include <stddef.h>

#include "jobctl/spec.h"

struct jc_dag;

/* Flags for jc_dag_new. */
#define JC_DAG_LENIENT                                                         \
    1u /* ignore duplicate keys (first wins) and unknown                       \
        * depends_on (dropped) instead of failing */

/*
 * Build the graph of job (borrowed; must outlive the dag). Strict mode
 * fails with JC_EINVAL (jc_err_set message) on a duplicate task_key or an
 * unknown depends_on; then parents of task i are exactly
 * job->tasks[i].deps in order (parents[k] is the index of deps[k]).
 * A cycle is not an error here: see jc_dag_has_cycle().
 */
int jc_dag_new(struct jc_dag **out, const struct jc_job *job, unsigned flags);
void jc_dag_free(struct jc_dag *dag);

size_t jc_dag_size(const struct jc_dag *dag);
/* Index of a task_key; false when unknown. */
bool jc_dag_lookup(const struct jc_dag *dag, const char *task_key, size_t *idx);
const char *jc_dag_key(const struct jc_dag *dag, size_t idx);
const size_t *jc_dag_parents(const struct jc_dag *dag, size_t idx, size_t *n);
const size_t *jc_dag_children(const struct jc_dag *dag, size_t idx, size_t *n);
/* Tasks nothing depends on (they decide the run result), in file order. */
const size_t *jc_dag_leaves(const struct jc_dag *dag, size_t *n);
/* Tasks without dependencies, in file order. */
const size_t *jc_dag_roots(const struct jc_dag *dag, size_t *n);

bool jc_dag_has_cycle(const struct jc_dag *dag);
/*
 * Topological order (parents before children, ties in file order).
 * JC_EINVAL when the graph has a cycle.
 */
int jc_dag_topo(const struct jc_dag *dag, const size_t **order, size_t *n);
/*
 * One cycle as "a -> b -> c -> a" (each task depends on the one before;
 * starts at the cycle's first task in file order). Caller frees; NULL
 * when acyclic. *first (may be NULL) gets the index of the first task.
 */
char *jc_dag_cycle_path(const struct jc_dag *dag, size_t *first);
/*
 * Downstream closure: mark[] has jc_dag_size() entries; every task
 * reachable from a marked task through children gets marked too.
 */
void jc_dag_downstream(const struct jc_dag *dag, bool *mark);
/* Upstream closure: every ancestor of a marked task gets marked. */
void jc_dag_upstream(const struct jc_dag *dag, bool *mark);

#endif
