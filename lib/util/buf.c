/*
 * buf.c: growable, capped byte buffers.
 */
#include "util/buf.h"

#include "jobctl/err.h"
#include "util/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ju_buf_init(struct ju_buf *b, size_t cap)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void ju_buf_release(struct ju_buf *b)
{
    free(b->data);
    ju_buf_init(b, b->cap);
}

void ju_buf_reset(struct ju_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int ju_buf_grow(struct ju_buf *b, size_t n)
{
    size_t cap = b->cap ? b->cap : SIZE_MAX - 1;
    size_t need;
    size_t na;

    if (n > cap || b->len > cap - n)
        return jc_err_set(JC_ETOOBIG, "buffer would exceed %zu bytes", cap);
    need = b->len + n + 1;
    if (need <= b->alloc)
        return 0;
    na = b->alloc ? b->alloc : 64;
    while (na < need)
        na = na * 2;
    b->data = ju_xrealloc(b->data, na);
    b->alloc = na;
    return 0;
}

int ju_buf_add(struct ju_buf *b, const void *p, size_t n)
{
    int rc = ju_buf_grow(b, n);

    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ju_buf_adds(struct ju_buf *b, const char *s)
{
    return ju_buf_add(b, s, strlen(s));
}

int ju_buf_addc(struct ju_buf *b, char c)
{
    return ju_buf_add(b, &c, 1);
}

int ju_buf_vaddf(struct ju_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;
    int rc;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return jc_err_set(JC_EINVAL, "bad format string");
    rc = ju_buf_grow(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int ju_buf_addf(struct ju_buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = ju_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *ju_buf_detach(struct ju_buf *b, size_t *len_out)
{
    char *p = b->data;

    if (!p)
        p = ju_xstrdup("");
    if (len_out)
        *len_out = b->len;
    ju_buf_init(b, b->cap);
    return p;
}

const char *ju_buf_str(const struct ju_buf *b)
{
    return b->data ? b->data : "";
}
