/*
 * dedup.c: an open-addressing hash index from event_id to a row number of
 * a string column, used to keep one row per event_id (latest timestamp).
 */
#include "cleanse.h"

#include <stdlib.h>
#include <string.h>

#include "util/mem.h"

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    return h ^ (h >> 29);
}

void cleanse_index_init(struct cleanse_index *ix)
{
    size_t i;

    ix->cap = 1024;
    ix->n = 0;
    ix->hashes = ju_xmalloc(ix->cap * sizeof(*ix->hashes));
    ix->rows = ju_xmalloc(ix->cap * sizeof(*ix->rows));
    for (i = 0; i < ix->cap; i++)
        ix->rows[i] = -1;
}

void cleanse_index_release(struct cleanse_index *ix)
{
    JU_FREE(ix->hashes);
    JU_FREE(ix->rows);
    ix->cap = ix->n = 0;
}

static int key_eq(const struct lake_column *keys, int64_t row, const char *p,
                  size_t n)
{
    size_t kn;
    const char *k = lake_column_get_str(keys, (size_t)row, &kn);

    return kn == n && (n == 0 || !memcmp(k, p, n));
}

static size_t find_slot(const struct cleanse_index *ix,
                        const struct lake_column *keys, uint64_t h,
                        const char *p, size_t n)
{
    size_t mask = ix->cap - 1, i = (size_t)h & mask;

    while (ix->rows[i] >= 0) {
        if (ix->hashes[i] == h && key_eq(keys, ix->rows[i], p, n))
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

int64_t cleanse_index_get(const struct cleanse_index *ix,
                          const struct lake_column *keys, const char *p,
                          size_t n)
{
    uint64_t h = hash_bytes(p, n);

    return ix->rows[find_slot(ix, keys, h, p, n)];
}

static void grow(struct cleanse_index *ix)
{
    size_t oldcap = ix->cap, i;
    uint64_t *oh = ix->hashes;
    int64_t *orow = ix->rows;

    ix->cap *= 2;
    ix->hashes = ju_xmalloc(ix->cap * sizeof(*ix->hashes));
    ix->rows = ju_xmalloc(ix->cap * sizeof(*ix->rows));
    for (i = 0; i < ix->cap; i++)
        ix->rows[i] = -1;
    for (i = 0; i < oldcap; i++) {
        size_t j;
        if (orow[i] < 0)
            continue;
        j = (size_t)oh[i] & (ix->cap - 1);
        while (ix->rows[j] >= 0)
            j = (j + 1) & (ix->cap - 1);
        ix->hashes[j] = oh[i];
        ix->rows[j] = orow[i];
    }
    free(oh);
    free(orow);
}

void cleanse_index_put(struct cleanse_index *ix,
                       const struct lake_column *keys, const char *p,
                       size_t n, int64_t row)
{
    uint64_t h = hash_bytes(p, n);
    size_t slot;

    if ((ix->n + 1) * 2 > ix->cap)
        grow(ix);
    slot = find_slot(ix, keys, h, p, n);
    if (ix->rows[slot] < 0)
        ix->n++;
    ix->hashes[slot] = h;
    ix->rows[slot] = row;
}
