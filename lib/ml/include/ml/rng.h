/*
 * rng.h: the deterministic random number generator of lib/ml
 * (xoshiro256** seeded through splitmix64). Same seed, same stream on every
 * platform; not for cryptography.
 */
#ifndef JOBCTL_ML_RNG_H
#define JOBCTL_ML_RNG_H

#include <stdint.h>

struct ml_rng {
    uint64_t s[4];
};

void ml_rng_init(struct ml_rng *r, uint64_t seed);
uint64_t ml_rng_next(struct ml_rng *r);
/* Uniform double in [0, 1) with 53 random bits. */
double ml_rng_uniform(struct ml_rng *r);
/* Uniform integer in [0, n); n > 0 (unbiased, Lemire's method). */
uint64_t ml_rng_below(struct ml_rng *r, uint64_t n);

#endif
