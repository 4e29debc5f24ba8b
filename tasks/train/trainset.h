/*
 * trainset.h: reading the model features (value, timestamp_unix) of
 * silver_events into a row-major float64 matrix, shared by the gold train
 * task (and the same logic in tasks/score for its own columns).
 */
#ifndef JOBCTL_TASKS_TRAIN_TRAINSET_H
#define JOBCTL_TASKS_TRAIN_TRAINSET_H

#include <stddef.h>

#define TRAIN_N_FEATURES 2

/* Read every row of the Delta table at path with non-null value and
 * timestamp_unix. *x is n x 2 (caller frees). *version gets the table
 * version read. */
int train_read_features(const char *path, double **x, size_t *n,
                        long long *version);

#endif
