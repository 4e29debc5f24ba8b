/*
 * iforest.c: Isolation Forest fit and scoring, following scikit-learn 1.2's
 * IsolationForest / ExtraTreeRegressor(splitter="random", max_features=1)
 * definitions so that imported sklearn models score identically and our
 * own fits have the same statistical behaviour. File I/O is iforest_io.c.
 */
#include "ml/iforest.h"

#include <math.h>
#include <pthread.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define ML_HAVE_AVX2_PATH 1
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iforest_int.h"
#include "jobctl/err.h"
#include "ml/rng.h"
#include "util/mem.h"

#define EULER_GAMMA 0.57721566490153286060651209008240243
#define FEATURE_THRESHOLD 1e-7 /* sklearn _splitter.pyx */
#define SCORE_BLOCK 512

double ml_iforest_average_path_length(double n)
{
    if (n <= 1.0)
        return 0.0;
    if (n == 2.0)
        return 1.0;
    return 2.0 * (log(n - 1.0) + EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

struct ml_iforest *ml_iforest__new(size_t n_features, size_t n_estimators)
{
    struct ml_iforest *f = ju_xcalloc(1, sizeof(*f));
    f->n_features = n_features;
    f->n_estimators = n_estimators;
    f->contamination = -1.0;
    f->offset = -0.5;
    f->trees = ju_xcalloc(n_estimators ? n_estimators : 1, sizeof(*f->trees));
    return f;
}

void ml_iforest_free(struct ml_iforest *f)
{
    if (!f)
        return;
    for (size_t t = 0; t < f->n_estimators; t++) {
        free(f->trees[t].nodes);
        free(f->trees[t].cnodes);
        free(f->trees[t].leaf_term);
    }
    free(f->trees);
    free(f->hfeat);
    free(f->hthr);
    free(f->hleaf);
    free(f->hmask);
    free(f->hplane[0]);
    free(f->hplane[1]);
    free(f);
}

size_t ml_iforest_n_features(const struct ml_iforest *f)
{
    return f->n_features;
}

size_t ml_iforest_n_estimators(const struct ml_iforest *f)
{
    return f->n_estimators;
}

size_t ml_iforest_max_samples(const struct ml_iforest *f)
{
    return f->max_samples;
}

double ml_iforest_offset(const struct ml_iforest *f)
{
    return f->offset;
}

double ml_iforest_contamination(const struct ml_iforest *f)
{
    return f->contamination;
}

size_t ml_iforest_n_nodes(const struct ml_iforest *f)
{
    size_t n = 0;
    for (size_t t = 0; t < f->n_estimators; t++)
        n += f->trees[t].n_nodes;
    return n;
}

/* Largest float <= d (so (double)x <= d iff x <= result, for float x). */
static float float_floor(double d)
{
    float r = (float)d;
    if ((double)r > d)
        r = nextafterf(r, -INFINITY);
    return r;
}

static void heap_fill(struct ml_iforest *f, const struct ml_itree *tr,
                      int32_t node, size_t h, int depth, uint16_t *feat,
                      float *thr, double *leaf)
{
    size_t n_internal = ((size_t)1 << f->heap_depth) - 1;
    const struct ml_inode *nd = &tr->nodes[node];
    if (depth == f->heap_depth) {
        leaf[h - n_internal] = tr->leaf_term[node];
        return;
    }
    if (nd->left < 0) {
        feat[h] = 0;
        thr[h] = INFINITY; /* pass-through: x <= inf goes left */
        heap_fill(f, tr, node, 2 * h + 1, depth + 1, feat, thr, leaf);
        heap_fill(f, tr, node, 2 * h + 2, depth + 1, feat, thr, leaf);
        return;
    }
    feat[h] = (uint16_t)nd->feature;
    thr[h] = tr->cnodes[node].thr;
    heap_fill(f, tr, nd->left, 2 * h + 1, depth + 1, feat, thr, leaf);
    heap_fill(f, tr, nd->right, 2 * h + 2, depth + 1, feat, thr, leaf);
}

static void compile_heap(struct ml_iforest *f)
{
    JU_FREE(f->hfeat);
    JU_FREE(f->hthr);
    JU_FREE(f->hleaf);
    JU_FREE(f->hmask);
    JU_FREE(f->hplane[0]);
    JU_FREE(f->hplane[1]);
    f->heap_depth = 0;
    int d = 1;
    for (size_t t = 0; t < f->n_estimators; t++) {
        int td = (int)f->trees[t].depth;
        if (f->trees[t].depth > ML_HEAP_MAX_DEPTH)
            return;
        if (td > d)
            d = td;
    }
    f->heap_depth = d;
    size_t ni = ((size_t)1 << d) - 1, nl = (size_t)1 << d;
    f->hfeat = ju_xmalloc(f->n_estimators * ni * sizeof(*f->hfeat));
    f->hthr = ju_xmalloc(f->n_estimators * ni * sizeof(*f->hthr));
    f->hleaf = ju_xmalloc(f->n_estimators * nl * sizeof(*f->hleaf));
    for (size_t t = 0; t < f->n_estimators; t++)
        heap_fill(f, &f->trees[t], 0, 0, 0, f->hfeat + t * ni,
                  f->hthr + t * ni, f->hleaf + t * nl);
    size_t nf = f->n_features;
    if (nf <= ML_MASKED_MAX_FEATURES) {
        f->hmask = ju_xmalloc(f->n_estimators * ni * nf * sizeof(*f->hmask));
        for (size_t i = 0; i < f->n_estimators * ni; i++)
            for (size_t g = 0; g < nf; g++)
                f->hmask[i * nf + g] =
                    f->hfeat[i] == g ? f->hthr[i] : INFINITY;
    }
    if (nf == 2) {
        size_t tot = f->n_estimators * ni;
        for (int g = 0; g < 2; g++) {
            /* padded: the scorer loads nodes 0..7 and 7..14 of a tree
             * as vectors even when the tree is shallower */
            f->hplane[g] = ju_xmalloc((tot + 16) * sizeof(float));
            for (size_t i = 0; i < tot; i++)
                f->hplane[g][i] = f->hmask[i * 2 + (size_t)g];
            for (size_t i = tot; i < tot + 16; i++)
                f->hplane[g][i] = INFINITY;
        }
    }
}

#ifdef ML_HAVE_AVX2_PATH
/* AVX2 form of score8_masked for two features: 64 rows as 8 independent
 * vectors of 8 (gathers are latency-bound, so 8 chains are kept in
 * flight); the first four levels use in-register permutes, deeper levels
 * two threshold gathers each. Same per-row summation order
 * (tree by tree) as the scalar code, so results are bit-identical. */
#define G 8
__attribute__((target("avx2"))) static void
score64_masked2_avx2(const struct ml_iforest *f, const float *xr,
                     double *acc)
{
    int hd = f->heap_depth;
    int ni = (1 << hd) - 1, nl = 1 << hd;
    __m256 x0[G], x1[G];
    __m256d a_lo[G], a_hi[G];
    const __m256i two = _mm256_set1_epi32(2);
    const __m256i vni = _mm256_set1_epi32(ni);
    const __m256i even = _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14);
    for (int g = 0; g < G; g++) {
        x0[g] = _mm256_i32gather_ps(xr + 16 * g, even, 4);
        x1[g] = _mm256_i32gather_ps(xr + 16 * g + 1, even, 4);
        a_lo[g] = _mm256_setzero_pd();
        a_hi[g] = _mm256_setzero_pd();
    }
    const __m256i seven = _mm256_set1_epi32(7);
    for (size_t t = 0; t < f->n_estimators; t++) {
        const float *P0 = f->hplane[0] + t * (size_t)ni;
        const float *P1 = f->hplane[1] + t * (size_t)ni;
        const double *leaf = f->hleaf + t * (size_t)nl;
        __m256i id[G];
        for (int g = 0; g < G; g++)
            id[g] = _mm256_setzero_si256();
        /* levels 0-2 (nodes 0..6) and 3 (nodes 7..14) sit in registers:
         * permutes instead of gathers */
        __m256 a0 = _mm256_loadu_ps(P0), a1 = _mm256_loadu_ps(P1);
        __m256 b0 = _mm256_loadu_ps(P0 + 7), b1 = _mm256_loadu_ps(P1 + 7);
        int d = 0;
        for (; d < hd && d < 4; d++) {
            for (int g = 0; g < G; g++) {
                __m256 t0, t1;
                if (d < 3) {
                    t0 = _mm256_permutevar8x32_ps(a0, id[g]);
                    t1 = _mm256_permutevar8x32_ps(a1, id[g]);
                } else {
                    __m256i r = _mm256_sub_epi32(id[g], seven);
                    t0 = _mm256_permutevar8x32_ps(b0, r);
                    t1 = _mm256_permutevar8x32_ps(b1, r);
                }
                __m256 m = _mm256_and_ps(
                    _mm256_cmp_ps(x0[g], t0, _CMP_LE_OQ),
                    _mm256_cmp_ps(x1[g], t1, _CMP_LE_OQ));
                /* left: 2h + 1 (mask -1), right: 2h + 2 */
                id[g] = _mm256_add_epi32(
                    _mm256_add_epi32(_mm256_slli_epi32(id[g], 1), two),
                    _mm256_castps_si256(m));
            }
        }
        for (; d < hd; d++) {
            for (int g = 0; g < G; g++) {
                __m256 t0 = _mm256_i32gather_ps(P0, id[g], 4);
                __m256 t1 = _mm256_i32gather_ps(P1, id[g], 4);
                __m256 m = _mm256_and_ps(
                    _mm256_cmp_ps(x0[g], t0, _CMP_LE_OQ),
                    _mm256_cmp_ps(x1[g], t1, _CMP_LE_OQ));
                id[g] = _mm256_add_epi32(
                    _mm256_add_epi32(_mm256_slli_epi32(id[g], 1), two),
                    _mm256_castps_si256(m));
            }
        }
        for (int g = 0; g < G; g++) {
            __m256i li = _mm256_sub_epi32(id[g], vni);
            a_lo[g] = _mm256_add_pd(
                a_lo[g],
                _mm256_i32gather_pd(leaf, _mm256_castsi256_si128(li), 8));
            a_hi[g] = _mm256_add_pd(
                a_hi[g],
                _mm256_i32gather_pd(leaf, _mm256_extracti128_si256(li, 1),
                                    8));
        }
    }
    for (int g = 0; g < G; g++) {
        _mm256_storeu_pd(acc + 8 * g, a_lo[g]);
        _mm256_storeu_pd(acc + 8 * g + 4, a_hi[g]);
    }
}
#undef G
#endif

/* Sum of leaf terms over all trees for 8 rows (xr: 8 x nf floats, all
 * non-NaN), masked-threshold form, exactly the trees' arithmetic order. */
static void score8_masked(const struct ml_iforest *f, const float *xr,
                          size_t nf, double *acc)
{
    int hd = f->heap_depth;
    size_t ni = ((size_t)1 << hd) - 1, nl = (size_t)1 << hd;
    for (int k = 0; k < 8; k++)
        acc[k] = 0.0;
    if (nf == 2) {
        float x0[8], x1[8];
        for (int k = 0; k < 8; k++) {
            x0[k] = xr[2 * k];
            x1[k] = xr[2 * k + 1];
        }
        for (size_t t = 0; t < f->n_estimators; t++) {
            const float *T = f->hmask + t * ni * 2;
            const double *leaf = f->hleaf + t * nl;
            uint32_t id[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            for (int d = 0; d < hd; d++) {
                for (int k = 0; k < 8; k++) {
                    uint32_t h = id[k];
                    uint32_t left = (uint32_t)(x0[k] <= T[2 * h]) &
                                    (uint32_t)(x1[k] <= T[2 * h + 1]);
                    id[k] = 2 * h + 2 - left;
                }
            }
            for (int k = 0; k < 8; k++)
                acc[k] += leaf[id[k] - ni];
        }
        return;
    }
    for (size_t t = 0; t < f->n_estimators; t++) {
        const float *T = f->hmask + t * ni * nf;
        const double *leaf = f->hleaf + t * nl;
        uint32_t id[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        for (int d = 0; d < hd; d++) {
            for (int k = 0; k < 8; k++) {
                uint32_t h = id[k];
                uint32_t left = 1;
                for (size_t g = 0; g < nf; g++)
                    left &= (uint32_t)(xr[(size_t)k * nf + g] <=
                                       T[h * nf + g]);
                id[k] = 2 * h + 2 - left;
            }
        }
        for (int k = 0; k < 8; k++)
            acc[k] += leaf[id[k] - ni];
    }
}

void ml_iforest__compile(struct ml_iforest *f)
{
    for (size_t t = 0; t < f->n_estimators; t++) {
        struct ml_itree *tr = &f->trees[t];
        size_t n = tr->n_nodes;
        uint32_t *depth = ju_xcalloc(n ? n : 1, sizeof(*depth));
        free(tr->cnodes);
        free(tr->leaf_term);
        tr->cnodes = ju_xcalloc(n ? n : 1, sizeof(*tr->cnodes));
        tr->leaf_term = ju_xcalloc(n ? n : 1, sizeof(*tr->leaf_term));
        tr->depth = 0;
        for (size_t i = 0; i < n; i++) {
            const struct ml_inode *nd = &tr->nodes[i];
            struct ml_cnode *c = &tr->cnodes[i];
            if (nd->left < 0) {
                /* sklearn: node_indicator.sum (= depth + 1) +
                 * _average_path_length(n_node_samples) - 1.0 */
                double term = (double)(depth[i] + 1) +
                              ml_iforest_average_path_length(nd->n_samples);
                tr->leaf_term[i] = term - 1.0;
                if (depth[i] > tr->depth)
                    tr->depth = depth[i];
                c->feature = -1;
                c->left = -1;
                c->right = (int32_t)i;
                c->thr = 0.0f;
            } else {
                /* invariant (1): children after the parent */
                depth[nd->left] = depth[i] + 1;
                depth[nd->right] = depth[i] + 1;
                c->feature = nd->feature;
                c->left = nd->left;
                c->right = nd->right;
                c->thr = float_floor(nd->threshold);
            }
        }
        free(depth);
    }
    compile_heap(f);
}

/* ---------------------------------------------------------------- fit */

struct builder {
    const float *xf; /* n_rows x n_features, float32 */
    size_t n_features;
    size_t max_depth;
    struct ml_rng *rng;
    const uint32_t *feat; /* candidate features for this tree */
    size_t n_feat;
    uint32_t *fperm;      /* scratch, n_feat */
    struct ml_inode *nodes;
    size_t n_nodes;
    size_t alloc;
};

static int32_t add_node(struct builder *b)
{
    JU_ALLOC_GROW(b->nodes, b->n_nodes + 1, b->alloc);
    struct ml_inode *nd = &b->nodes[b->n_nodes];
    memset(nd, 0, sizeof(*nd));
    nd->left = -1;
    nd->right = -1;
    nd->feature = -1;
    nd->threshold = -2.0; /* sklearn TREE_UNDEFINED */
    return (int32_t)b->n_nodes++;
}

/* Depth-first like sklearn's DepthFirstTreeBuilder: node ids are assigned
 * parent first, then the whole left subtree, then the right one. */
static void build_node(struct builder *b, int32_t id, uint32_t *idx, size_t n,
                       size_t depth)
{
    b->nodes[id].n_samples = (uint32_t)n;
    if (n < 2 || depth >= b->max_depth)
        return;
    /* Draw features without replacement until a non-constant one. */
    memcpy(b->fperm, b->feat, b->n_feat * sizeof(*b->fperm));
    size_t left_to_draw = b->n_feat;
    int32_t feature = -1;
    float fmin = 0, fmax = 0;
    while (left_to_draw > 0) {
        size_t j = (size_t)ml_rng_below(b->rng, left_to_draw);
        uint32_t fcand = b->fperm[j];
        b->fperm[j] = b->fperm[left_to_draw - 1];
        left_to_draw--;
        const float *col = b->xf + fcand;
        float lo = col[(size_t)idx[0] * b->n_features];
        float hi = lo;
        for (size_t i = 1; i < n; i++) {
            float v = col[(size_t)idx[i] * b->n_features];
            if (v < lo)
                lo = v;
            if (v > hi)
                hi = v;
        }
        if (hi > lo + FEATURE_THRESHOLD) {
            feature = (int32_t)fcand;
            fmin = lo;
            fmax = hi;
            break;
        }
    }
    if (feature < 0)
        return; /* all features constant here: leaf */
    double thr = (double)fmin + ml_rng_uniform(b->rng) *
                                    ((double)fmax - (double)fmin);
    if (thr >= (double)fmax)
        thr = (double)fmin;
    /* partition: x <= thr to the left */
    size_t lo = 0, hi = n;
    const float *col = b->xf + feature;
    while (lo < hi) {
        if ((double)col[(size_t)idx[lo] * b->n_features] <= thr) {
            lo++;
        } else {
            hi--;
            uint32_t tmp = idx[lo];
            idx[lo] = idx[hi];
            idx[hi] = tmp;
        }
    }
    if (lo == 0 || lo == n)
        return; /* cannot happen with thr in [min, max); stay safe */
    b->nodes[id].feature = feature;
    b->nodes[id].threshold = thr;
    int32_t l = add_node(b);
    b->nodes[id].left = l;
    build_node(b, l, idx, lo, depth + 1);
    int32_t r = add_node(b);
    b->nodes[id].right = r;
    build_node(b, r, idx + lo, n - lo, depth + 1);
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    if (n > 64)
        return 64;
    return (int)n;
}

int ml_iforest_fit(struct ml_iforest **out, const double *x, size_t n_rows,
                   size_t n_features, const struct ml_iforest_opts *opts,
                   double *train_scores)
{
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    if (opts)
        o = *opts;
    *out = NULL;
    if (n_rows == 0 || n_rows > UINT32_MAX)
        return jc_err_set(JC_EINVAL, "cannot fit on %zu rows", n_rows);
    if (n_features == 0 || n_features > ML_IFOREST_MAX_FEATURES)
        return jc_err_set(JC_EINVAL, "invalid number of features %zu",
                          n_features);
    if (o.n_estimators < 1 || o.n_estimators > ML_IFOREST_MAX_ESTIMATORS)
        return jc_err_set(JC_EINVAL, "invalid n_estimators %d",
                          o.n_estimators);
    if (o.max_samples < 0)
        return jc_err_set(JC_EINVAL, "invalid max_samples %d",
                          o.max_samples);
    if (!(o.max_features > 0.0 && o.max_features <= 1.0))
        return jc_err_set(JC_EINVAL, "invalid max_features %g",
                          o.max_features);
    if (o.contamination >= 0.0 &&
        !(o.contamination > 0.0 && o.contamination <= 0.5))
        return jc_err_set(JC_EINVAL,
                          "contamination %g not in (0, 0.5]",
                          o.contamination);

    size_t max_samples = o.max_samples == 0
                             ? (n_rows < 256 ? n_rows : 256)
                             : (size_t)o.max_samples;
    if (max_samples > n_rows)
        max_samples = n_rows; /* sklearn warns and does the same */
    size_t n_feat = (size_t)(o.max_features * (double)n_features);
    if (n_feat < 1)
        n_feat = 1;
    size_t max_depth = (size_t)ceil(log2((double)(max_samples > 2
                                                      ? max_samples
                                                      : 2)));

    float *xf = ju_xmalloc(n_rows * n_features * sizeof(*xf));
    for (size_t i = 0; i < n_rows * n_features; i++)
        xf[i] = (float)x[i];

    struct ml_iforest *f = ml_iforest__new(n_features, (size_t)o.n_estimators);
    f->max_samples = max_samples;
    f->contamination = o.contamination < 0 ? -1.0 : o.contamination;

    struct ml_rng rng;
    ml_rng_init(&rng, o.seed);
    uint32_t *perm = NULL;
    if (!o.bootstrap) {
        perm = ju_xmalloc(n_rows * sizeof(*perm));
        for (size_t i = 0; i < n_rows; i++)
            perm[i] = (uint32_t)i;
    }
    uint32_t *idx = ju_xmalloc(max_samples * sizeof(*idx));
    uint32_t *fall = ju_xmalloc(n_features * sizeof(*fall));
    uint32_t *fperm = ju_xmalloc(n_features * sizeof(*fperm));
    struct builder b = {0};
    b.xf = xf;
    b.n_features = n_features;
    b.max_depth = max_depth;
    b.rng = &rng;
    b.fperm = fperm;

    for (size_t t = 0; t < f->n_estimators; t++) {
        /* rows: a partial Fisher-Yates shuffle of the running permutation
         * is a uniform sample without replacement */
        if (o.bootstrap) {
            for (size_t i = 0; i < max_samples; i++)
                idx[i] = (uint32_t)ml_rng_below(&rng, n_rows);
        } else {
            for (size_t i = 0; i < max_samples; i++) {
                size_t j = i + (size_t)ml_rng_below(&rng, n_rows - i);
                uint32_t tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
                idx[i] = perm[i];
            }
        }
        /* features of this tree (estimators_features_) */
        for (size_t i = 0; i < n_features; i++)
            fall[i] = (uint32_t)i;
        for (size_t i = 0; i < n_feat; i++) {
            size_t j = i + (size_t)ml_rng_below(&rng, n_features - i);
            uint32_t tmp = fall[i];
            fall[i] = fall[j];
            fall[j] = tmp;
        }
        b.feat = fall;
        b.n_feat = n_feat;
        b.nodes = NULL;
        b.n_nodes = 0;
        b.alloc = 0;
        int32_t root = add_node(&b);
        build_node(&b, root, idx, max_samples, 0);
        f->trees[t].nodes = b.nodes;
        f->trees[t].n_nodes = b.n_nodes;
    }
    free(perm);
    free(idx);
    free(fall);
    free(fperm);
    free(xf);
    ml_iforest__compile(f);

    if (f->contamination < 0) {
        f->offset = -0.5;
        if (train_scores)
            ml_iforest_score(f, x, n_rows, train_scores, NULL, NULL,
                             o.n_threads);
    } else {
        double *s = train_scores ? train_scores
                                 : ju_xmalloc(n_rows * sizeof(*s));
        ml_iforest_score(f, x, n_rows, s, NULL, NULL, o.n_threads);
        double *tmp = ju_xmalloc(n_rows * sizeof(*tmp));
        memcpy(tmp, s, n_rows * sizeof(*tmp));
        f->offset = ml_percentile(tmp, n_rows, 100.0 * f->contamination);
        free(tmp);
        if (s != train_scores)
            free(s);
    }
    *out = f;
    return 0;
}

/* ------------------------------------------------------------ scoring */

struct score_job {
    const struct ml_iforest *f;
    const double *x;
    size_t begin, end;
    double *score;
    double *decision;
    int32_t *predict;
};

static void score_range(const struct score_job *j)
{
#ifdef ML_HAVE_AVX2_PATH
    int use_avx2 = __builtin_cpu_supports("avx2") &&
                   !getenv("JOBCTL_ML_NO_AVX2");
#endif
    const struct ml_iforest *f = j->f;
    size_t nf = f->n_features;
    double denom = (double)f->n_estimators *
                   ml_iforest_average_path_length((double)f->max_samples);
    float xf[SCORE_BLOCK * 4];
    float *xb = nf <= 4 ? xf : ju_xmalloc(SCORE_BLOCK * nf * sizeof(*xb));
    double depths[SCORE_BLOCK];

    for (size_t b0 = j->begin; b0 < j->end; b0 += SCORE_BLOCK) {
        size_t nb = j->end - b0 < SCORE_BLOCK ? j->end - b0 : SCORE_BLOCK;
        for (size_t i = 0; i < nb * nf; i++)
            xb[i] = (float)j->x[b0 * nf + i];
        for (size_t i = nb * nf; i < SCORE_BLOCK * nf; i++)
            xb[i] = 0.0f; /* padding rows for the groups of 8 */
        for (size_t i = 0; i < nb; i++)
            depths[i] = 0.0;
        int has_nan = 0;
        for (size_t i = 0; i < nb * nf; i++)
            has_nan |= isnan(xb[i]);
        if (f->hmask && !has_nan) {
            size_t step = 8;
#ifdef ML_HAVE_AVX2_PATH
            if (nf == 2 && use_avx2 && f->hplane[0])
                step = 64;
#endif
            for (size_t i0 = 0; i0 < nb; i0 += step) {
                double acc[64];
#ifdef ML_HAVE_AVX2_PATH
                if (step == 64)
                    score64_masked2_avx2(f, xb + i0 * nf, acc);
                else
#endif
                    score8_masked(f, xb + i0 * nf, nf, acc);
                size_t lim = nb - i0 < step ? nb - i0 : step;
                for (size_t k = 0; k < lim; k++)
                    depths[i0 + k] = acc[k];
            }
        } else if (f->heap_depth > 0) {
            int hd = f->heap_depth;
            size_t ni = ((size_t)1 << hd) - 1, nl = (size_t)1 << hd;
            for (size_t t = 0; t < f->n_estimators; t++) {
                const uint16_t *feat = f->hfeat + t * ni;
                const float *thr = f->hthr + t * ni;
                const double *leaf = f->hleaf + t * nl;
                for (size_t i0 = 0; i0 < nb; i0 += 8) {
                    uint32_t id[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                    const float *rows = xb + i0 * nf;
                    for (int d = 0; d < hd; d++) {
                        for (int k = 0; k < 8; k++) {
                            uint32_t h = id[k];
                            float v = rows[(size_t)k * nf + feat[h]];
                            /* left iff x <= thr (NaN goes right) */
                            id[k] = 2 * h + 2 - (uint32_t)(v <= thr[h]);
                        }
                    }
                    size_t lim = nb - i0 < 8 ? nb - i0 : 8;
                    for (size_t k = 0; k < lim; k++)
                        depths[i0 + k] += leaf[id[k] - ni];
                }
            }
        } else {
            for (size_t t = 0; t < f->n_estimators; t++) {
                const struct ml_cnode *cn = f->trees[t].cnodes;
                const double *term = f->trees[t].leaf_term;
                for (size_t i = 0; i < nb; i++) {
                    const float *row = xb + i * nf;
                    const struct ml_cnode *c = cn;
                    while (c->feature >= 0)
                        c = cn + (row[c->feature] <= c->thr ? c->left
                                                            : c->right);
                    depths[i] += term[c->right];
                }
            }
        }
        for (size_t i = 0; i < nb; i++) {
            /* sklearn: 2 ** -(depths / denominator), 1 when denominator 0;
             * score_samples is its opposite */
            double s = denom != 0.0 ? pow(2.0, -(depths[i] / denom)) : 1.0;
            s = -s;
            size_t r = b0 + i;
            if (j->score)
                j->score[r] = s;
            double d = s - f->offset;
            if (j->decision)
                j->decision[r] = d;
            if (j->predict)
                j->predict[r] = d < 0 ? -1 : 1;
        }
    }
    if (xb != xf)
        free(xb);
}

static void *score_thread(void *arg)
{
    score_range(arg);
    return NULL;
}

int ml_iforest_score(const struct ml_iforest *f, const double *x,
                     size_t n_rows, double *score, double *decision,
                     int32_t *predict, int n_threads)
{
    if (n_threads <= 0)
        n_threads = online_cpus();
    if ((size_t)n_threads > n_rows / 4096 + 1)
        n_threads = (int)(n_rows / 4096 + 1);
    struct score_job jobs[64];
    pthread_t th[64];
    if (n_threads > 64)
        n_threads = 64;
    size_t per = (n_rows + (size_t)n_threads - 1) / (size_t)n_threads;
    int started = 0;
    for (int k = 0; k < n_threads; k++) {
        jobs[k].f = f;
        jobs[k].x = x;
        jobs[k].begin = per * (size_t)k < n_rows ? per * (size_t)k : n_rows;
        jobs[k].end = per * (size_t)(k + 1) < n_rows ? per * (size_t)(k + 1)
                                                     : n_rows;
        jobs[k].score = score;
        jobs[k].decision = decision;
        jobs[k].predict = predict;
    }
    for (int k = 1; k < n_threads; k++) {
        if (pthread_create(&th[k], NULL, score_thread, &jobs[k]) != 0)
            break;
        started = k;
    }
    score_range(&jobs[0]);
    for (int k = started + 1; k < n_threads; k++)
        score_range(&jobs[k]); /* thread creation failed: do it here */
    for (int k = 1; k <= started; k++)
        pthread_join(th[k], NULL);
    return 0;
}

/* --------------------------------------------------------- percentile */

static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double pivot = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                i++;
            while (v[j] > pivot)
                j--;
            if (i <= j) {
                double tmp = v[i];
                v[i] = v[j];
                v[j] = tmp;
                i++;
                if (j == 0)
                    break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

double ml_percentile(double *v, size_t n, double q)
{
    /* numpy 1.24 _quantile, method 'linear': virtual index (n-1) * q,
     * then _lerp(previous, next, gamma) */
    double quant = q / 100.0;
    double vi = (double)(n - 1) * quant;
    if (vi <= 0.0)
        return select_kth(v, n, 0);
    if (vi >= (double)(n - 1))
        return select_kth(v, n, n - 1);
    double prev_d = floor(vi);
    size_t prev = (size_t)prev_d;
    double a = select_kth(v, n, prev);
    /* the next order statistic is the minimum of the upper part */
    double b = v[prev + 1];
    for (size_t i = prev + 2; i < n; i++)
        if (v[i] < b)
            b = v[i];
    double gamma = vi - prev_d;
    double diff = b - a;
    if (gamma >= 0.5)
        return b - diff * (1.0 - gamma);
    return a + diff * gamma;
}
