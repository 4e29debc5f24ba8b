/*
 * cleanse.h: internal interface of jobctl-silver-cleanse: the row rules
 * (rules.c: filter, cast) and the event_id index used for dedup (dedup.c).
 */
#ifndef JOBCTL_CLEANSE_CLEANSE_H
#define JOBCTL_CLEANSE_CLEANSE_H

#include <stddef.h>
#include <stdint.h>

#include "lake/column.h"

#define CLEANSE_NTYPES 3
extern const char *const cleanse_types[CLEANSE_NTYPES];

/* rules.c */
/* Index of an accepted event_type, or -1. */
int cleanse_event_type(const char *p, size_t n);
/* Value text -> finite double; 0 ok, -1 rejected. */
int cleanse_parse_value(const char *p, size_t n, double *out);
/* Seconds since the epoch, floored (Spark unix_timestamp). */
int64_t cleanse_unix_seconds(int64_t micros);
/* Silver and benchmark_logs schemas. */
void cleanse_silver_schema(struct lake_schema *s);
void cleanse_benchmark_schema(struct lake_schema *s);

/*
 * dedup.c: open-addressing map from event_id to a row. A row is
 * CLEANSE_ROW(k, i): row i of keys[k], the key columns passed to every
 * call (one per stage batch; a single column uses k = 0).
 */
#define CLEANSE_ROW_BITS 40
#define CLEANSE_ROW(k, i) ((int64_t)(k) << CLEANSE_ROW_BITS | (int64_t)(i))
#define CLEANSE_ROW_COL(r) ((size_t)((r) >> CLEANSE_ROW_BITS))
#define CLEANSE_ROW_IDX(r)                                                     \
    ((size_t)((r) & (((int64_t)1 << CLEANSE_ROW_BITS) - 1)))

struct cleanse_slot {
    uint64_t hash;
    int64_t row; /* -1 = empty */
};

struct cleanse_index {
    struct cleanse_slot *slots;
    size_t cap; /* power of two */
    size_t n;
};

typedef const struct lake_column *const cleanse_keys[];

/* expect: rows expected (pre-sizes the table; 0 = small). */
void cleanse_index_init(struct cleanse_index *ix, size_t expect);
void cleanse_index_release(struct cleanse_index *ix);
/* Find the row for key; -1 none. */
int64_t cleanse_index_get(const struct cleanse_index *ix, cleanse_keys keys,
                          const char *p, size_t n);
/*
 * One probe for lookup-then-insert: returns the slot of key (its row in
 * *found, or -1 when absent) with room for one insertion guaranteed;
 * *hash receives the key's hash for cleanse_index_set.
 */
size_t cleanse_index_find(struct cleanse_index *ix, cleanse_keys keys,
                          const char *p, size_t n, uint64_t *hash,
                          int64_t *found);
/* The hash cleanse_index_find uses (exposed for prefetching). */
uint64_t cleanse_index_hash(const char *p, size_t n);
/* Make room for k insertions, then prefetch the home slot of hash. */
void cleanse_index_reserve(struct cleanse_index *ix, size_t k);
void cleanse_index_prefetch(const struct cleanse_index *ix, uint64_t hash);
/* cleanse_index_find with a precomputed hash; room must be reserved. */
size_t cleanse_index_find_h(const struct cleanse_index *ix, cleanse_keys keys,
                            const char *p, size_t n, uint64_t hash,
                            int64_t *found);
/* Store row in the slot returned by the last cleanse_index_find. */
void cleanse_index_set(struct cleanse_index *ix, size_t slot, uint64_t hash,
                       int64_t row);
/* Insert or overwrite the row for key. */
void cleanse_index_put(struct cleanse_index *ix, cleanse_keys keys,
                       const char *p, size_t n, int64_t row);

#endif
