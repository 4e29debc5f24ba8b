/*
 * dedup.c: an open-addressing hash index from event_id to a row of one of
 * a few string columns, used to keep one row per event_id (latest
 * timestamp). Hash and row share one slot so a probe touches one cache
 * line; the table is kept at most 3/4 full.
 */
#include "cleanse.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

uint64_t cleanse_index_hash(const char *p, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    for (; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
    return h;
}

static void alloc_slots(struct cleanse_index *ix, size_t cap)
{
    size_t i;

    ix->cap = cap;
    ix->slots = ju_xmalloc(cap * sizeof(*ix->slots));
    for (i = 0; i < cap; i++)
        ix->slots[i].row = -1;
}

void cleanse_index_init(struct cleanse_index *ix, size_t expect)
{
    size_t cap = 1024;

    while (cap / 4 * 3 < expect)
        cap *= 2;
    ix->n = 0;
    alloc_slots(ix, cap);
}

/* Room for k more keys at most 3/4 full. */
static int full(const struct cleanse_index *ix, size_t k)
{
    return ix->n + k > ix->cap / 4 * 3;
}

void cleanse_index_release(struct cleanse_index *ix)
{
    JU_FREE(ix->slots);
    ix->cap = ix->n = 0;
}

static int key_eq(cleanse_keys keys, int64_t row, const char *p, size_t n)
{
    const struct lake_column *c = keys[CLEANSE_ROW_COL(row)];
    size_t i = CLEANSE_ROW_IDX(row);
    const int64_t *off = c->offsets;
    size_t kn = (size_t)(off[i + 1] - off[i]);

    return kn == n && (n == 0 || !memcmp(c->data + off[i], p, n));
}

static size_t probe(const struct cleanse_index *ix, cleanse_keys keys,
                    uint64_t h, const char *p, size_t n)
{
    size_t mask = ix->cap - 1, i = (size_t)h & mask;

    while (ix->slots[i].row >= 0) {
        if (ix->slots[i].hash == h && key_eq(keys, ix->slots[i].row, p, n))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

int64_t cleanse_index_get(const struct cleanse_index *ix, cleanse_keys keys,
                          const char *p, size_t n)
{
    return ix->slots[probe(ix, keys, cleanse_index_hash(p, n), p, n)].row;
}

static void grow(struct cleanse_index *ix)
{
    struct cleanse_slot *old = ix->slots;
    size_t oldcap = ix->cap, i;

    alloc_slots(ix, oldcap * 2);
    for (i = 0; i < oldcap; i++) {
        size_t j;
        if (old[i].row < 0)
            continue;
        j = (size_t)old[i].hash & (ix->cap - 1);
        while (ix->slots[j].row >= 0)
            j = (j + 1) & (ix->cap - 1);
        ix->slots[j] = old[i];
    }
    free(old);
}

size_t cleanse_index_find(struct cleanse_index *ix, cleanse_keys keys,
                          const char *p, size_t n, uint64_t *hash,
                          int64_t *found)
{
    size_t slot;

    if (full(ix, 1))
        grow(ix);
    *hash = cleanse_index_hash(p, n);
    slot = probe(ix, keys, *hash, p, n);
    *found = ix->slots[slot].row;
    return slot;
}

void cleanse_index_set(struct cleanse_index *ix, size_t slot, uint64_t hash,
                       int64_t row)
{
    if (ix->slots[slot].row < 0)
        ix->n++;
    ix->slots[slot].hash = hash;
    ix->slots[slot].row = row;
}

void cleanse_index_put(struct cleanse_index *ix, cleanse_keys keys,
                       const char *p, size_t n, int64_t row)
{
    uint64_t h;
    int64_t found;
    size_t slot = cleanse_index_find(ix, keys, p, n, &h, &found);

    cleanse_index_set(ix, slot, h, row);
}

void cleanse_index_reserve(struct cleanse_index *ix, size_t k)
{
    while (full(ix, k))
        grow(ix);
}

void cleanse_index_prefetch(const struct cleanse_index *ix, uint64_t hash)
{
    __builtin_prefetch(&ix->slots[(size_t)hash & (ix->cap - 1)]);
}

size_t cleanse_index_find_h(const struct cleanse_index *ix, cleanse_keys keys,
                            const char *p, size_t n, uint64_t hash,
                            int64_t *found)
{
    size_t slot = probe(ix, keys, hash, p, n);

    *found = ix->slots[slot].row;
    return slot;
}
