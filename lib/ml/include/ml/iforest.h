/*
 * iforest.h: Isolation Forest with scikit-learn's definitions
 * (sklearn.ensemble.IsolationForest 1.2): fit, score_samples,
 * decision_function, predict, plus the binary model file
 * (docs/MODEL-FORMAT.md). Scoring is multi-threaded (pthreads).
 */
#ifndef JOBCTL_ML_IFOREST_H
#define JOBCTL_ML_IFOREST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ml_iforest; /* opaque */

struct ml_iforest_opts {
    int n_estimators;     /* trees; sklearn default 100 */
    int max_samples;      /* > 0: rows per tree; 0: 'auto' = min(256, n) */
    double max_features;  /* fraction of features per tree, (0, 1] */
    double contamination; /* < 0: 'auto' (offset -0.5); else (0, 0.5] */
    bool bootstrap;       /* sample rows with replacement */
    uint64_t seed;        /* random_state */
    int n_threads;        /* 0: number of online CPUs */
};

#define ML_IFOREST_OPTS_INIT {100, 0, 1.0, -1.0, false, 0, 0}

/* Caps on sizes taken from input (model files, options). */
#define ML_IFOREST_MAX_FEATURES 1024
#define ML_IFOREST_MAX_ESTIMATORS 100000
#define ML_IFOREST_MAX_NODES (1 << 24)

/*
 * Fit on x (n_rows x n_features, row-major doubles). Values are cast to
 * float32 first, as scikit-learn's trees do. When contamination is a
 * fraction, offset_ is that percentile of the training scores; the scores
 * are written to train_scores (n_rows doubles) if it is non-NULL.
 * JC_EINVAL for bad options or empty input.
 */
int ml_iforest_fit(struct ml_iforest **out, const double *x, size_t n_rows,
                   size_t n_features, const struct ml_iforest_opts *opts,
                   double *train_scores);

/*
 * Score n_rows rows. Any of score (score_samples), decision
 * (score_samples - offset_) and predict (-1 anomaly / 1 normal) may be
 * NULL. n_threads 0 = number of online CPUs.
 */
int ml_iforest_score(const struct ml_iforest *f, const double *x,
                     size_t n_rows, double *score, double *decision,
                     int32_t *predict, int n_threads);

size_t ml_iforest_n_features(const struct ml_iforest *f);
size_t ml_iforest_n_estimators(const struct ml_iforest *f);
size_t ml_iforest_max_samples(const struct ml_iforest *f);
double ml_iforest_offset(const struct ml_iforest *f);
/* Contamination the model was fitted with; < 0 for 'auto'. */
double ml_iforest_contamination(const struct ml_iforest *f);
/* Total nodes over all trees. */
size_t ml_iforest_n_nodes(const struct ml_iforest *f);
void ml_iforest_free(struct ml_iforest *f);

/* sklearn's _average_path_length(n): 0 for n <= 1, 1 for n == 2, else
 * 2 (ln(n - 1) + euler_gamma) - 2 (n - 1) / n. */
double ml_iforest_average_path_length(double n);

/* numpy.percentile(v, q) with the default 'linear' method. v is
 * reordered (partial selection). n > 0. */
double ml_percentile(double *v, size_t n, double q);

/* Model file (docs/MODEL-FORMAT.md). Load errors: JC_ENOTFOUND,
 * JC_EPARSE (message has the byte offset), JC_ETOOBIG. */
int ml_iforest_save(const struct ml_iforest *f, const char *path);
int ml_iforest_load(struct ml_iforest **out, const char *path);
int ml_iforest_read_mem(struct ml_iforest **out, const void *data,
                        size_t len);
/* Serialise to a malloc'd buffer (caller frees). */
int ml_iforest_write_mem(const struct ml_iforest *f, char **data,
                         size_t *len);

#endif
