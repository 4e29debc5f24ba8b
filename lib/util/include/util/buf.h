/*
 * buf.h: a growable byte buffer with a size cap (curl dynbuf, git strbuf).
 * Always NUL-terminated after its len bytes. Appends past the cap fail with
 * JC_ETOOBIG and leave the buffer unchanged.
 */
#ifndef JOBCTL_UTIL_BUF_H
#define JOBCTL_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ju_buf {
    char *data;   /* NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;   /* maximum len; 0 = SIZE_MAX */
};

#define JU_BUF_INIT {NULL, 0, 0, 0}

void ju_buf_init(struct ju_buf *b, size_t cap);
void ju_buf_release(struct ju_buf *b);
void ju_buf_reset(struct ju_buf *b); /* len = 0, keep memory */
int ju_buf_add(struct ju_buf *b, const void *p, size_t n);
int ju_buf_adds(struct ju_buf *b, const char *s);
int ju_buf_addc(struct ju_buf *b, char c);
int ju_buf_addf(struct ju_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ju_buf_vaddf(struct ju_buf *b, const char *fmt, va_list ap);
/* Make room for n more bytes; returns a pointer to write them. */
int ju_buf_grow(struct ju_buf *b, size_t n);
/* Hand the memory to the caller (never NULL); the buffer is re-inited. */
char *ju_buf_detach(struct ju_buf *b, size_t *len_out);
/* Returns data, or "" when empty. Borrowed. */
const char *ju_buf_str(const struct ju_buf *b);

#endif
