/*
 * iforest_int.h: the in-memory layout of a fitted isolation forest, shared
 * by iforest.c (fit, score) and iforest_io.c (model file). Not for other
 * components: they use ml/iforest.h.
 */
#ifndef JOBCTL_ML_IFOREST_INT_H
#define JOBCTL_ML_IFOREST_INT_H

#include "ml/iforest.h"

/* One node as sklearn stores it (tree_ arrays). Leaves: left == right ==
 * -1, feature == -1. Invariant (1): children indexes are > the parent's,
 * so every path ends at a leaf. */
struct ml_inode {
    int32_t left;
    int32_t right;
    int32_t feature;   /* global feature index */
    double threshold;  /* go left when (double)(float)x <= threshold */
    uint32_t n_samples;
};

/* Compact form used by scoring: float threshold t_f = the largest float
 * <= threshold (so float x <= threshold iff x <= t_f); leaves store the
 * index of their path-length term in `right`. */
struct ml_cnode {
    float thr;
    int32_t feature; /* -1 for leaves */
    int32_t left;
    int32_t right;
};

struct ml_itree {
    size_t n_nodes;
    struct ml_inode *nodes;
    struct ml_cnode *cnodes;
    double *leaf_term; /* per node: depth + 1 + c(n_samples) - 1 */
    uint32_t depth;    /* deepest leaf (root = 0) */
};

/* Complete-tree ("heap") form used by the fast scorer when every tree is
 * at most ML_HEAP_MAX_DEPTH deep: node h has children 2h+1 and 2h+2;
 * leaves shallower than heap_depth become pass-through nodes (threshold
 * +inf, always left) whose subtrees repeat the leaf's term. Traversal is
 * then exactly heap_depth branch-free steps. Per tree: 2^D - 1 internal
 * nodes (hfeat, hthr) and 2^D leaves (hleaf). */
#define ML_HEAP_MAX_DEPTH 12

struct ml_iforest {
    size_t n_features;
    size_t n_estimators;
    size_t max_samples;
    double offset;
    double contamination;
    struct ml_itree *trees;
    int heap_depth;  /* 0: heap form unused (too deep) */
    uint16_t *hfeat;
    float *hthr;
    double *hleaf;
    /* Feature-masked thresholds for n_features <= ML_MASKED_MAX_FEATURES:
     * hmask[(t * ni + h) * nf + g] = threshold if g is node h's feature,
     * else +inf; then "go left" = AND over g of (x_g <= hmask[...]),
     * which needs no per-step feature lookup (finite/inf x only). */
    float *hmask;
    /* two-feature planes of hmask (hplane[g][t * ni + h]), padded by 16 */
    float *hplane[2];
};

#define ML_MASKED_MAX_FEATURES 4

/* Build cnodes/leaf_term of every tree from nodes (after fit or load). */
void ml_iforest__compile(struct ml_iforest *f);
struct ml_iforest *ml_iforest__new(size_t n_features, size_t n_estimators);

#endif
