/*
 * mem.h: allocation that aborts on out-of-memory (git xmalloc), so callers
 * need no NULL checks; JU_FREE frees and clears a pointer.
 */
#ifndef JOBCTL_UTIL_MEM_H
#define JOBCTL_UTIL_MEM_H

#include <stddef.h>

void *ju_xmalloc(size_t n);
void *ju_xcalloc(size_t nmemb, size_t size);
void *ju_xrealloc(void *p, size_t n);
char *ju_xstrdup(const char *s);
char *ju_xstrndup(const char *s, size_t n);
/* printf into a new string owned by the caller. */
char *ju_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define JU_FREE(p)                                                             \
    do {                                                                       \
        free(p);                                                               \
        (p) = NULL;                                                            \
    } while (0)

/* Grow an array to hold at least n elements (git ALLOC_GROW). */
#define JU_ALLOC_GROW(arr, n, alloc)                                           \
    do {                                                                       \
        if ((size_t)(n) > (size_t)(alloc)) {                                   \
            size_t ju_na_ = (alloc) ? (size_t)(alloc) * 2 : 16;                \
            if (ju_na_ < (size_t)(n))                                          \
                ju_na_ = (size_t)(n);                                          \
            (arr) = ju_xrealloc((arr), ju_na_ * sizeof(*(arr)));               \
            (alloc) = ju_na_;                                                  \
        }                                                                      \
    } while (0)

#endif
