/*
 * score.h: pieces of jobctl-gold-score shared between its files: the SVG
 * histogram of anomaly scores (logged to MLflow as anomaly_score_hist.svg).
 */
#ifndef JOBCTL_TASKS_SCORE_SCORE_H
#define JOBCTL_TASKS_SCORE_SCORE_H

#include <stddef.h>

struct ju_buf;

/* An SVG bar chart of v (n values) in `bins` equal-width bins. */
void score_histogram_svg(struct ju_buf *out, const double *v, size_t n,
                         int bins, const char *title);

#endif
