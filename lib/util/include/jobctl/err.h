/*
 * err.h: jobctl's error codes and the thread-local error message.
 * Every fallible function returns 0 or a negative JC_E* code; the detail
 * goes into jc_err_set() and is read back with jc_err_last().
 * This is the one header shared by every component (lib, tasks, orchestrator).
 */
#ifndef JOBCTL_JOBCTL_ERR_H
#define JOBCTL_JOBCTL_ERR_H

#include <stdarg.h>

enum jc_err_code {
    JC_OK = 0,
    JC_ERR = -1,        /* generic failure */
    JC_ENOTFOUND = -2,  /* a named thing does not exist */
    JC_EEXIST = -3,     /* it already exists */
    JC_EINVAL = -4,     /* invalid argument or configuration */
    JC_EPARSE = -5,     /* malformed input (message has file:line:col) */
    JC_ETOOBIG = -6,    /* an input size cap was hit */
    JC_EBUSY = -7,      /* resource busy, try later */
    JC_ECONFLICT = -8,  /* lost a Delta commit race */
    JC_ESTATE = -9,     /* illegal state transition */
    JC_ETIMEDOUT = -10, /* deadline passed */
    JC_EIO = -11,       /* operating system I/O error */
    JC_EUNSUPPORTED = -12, /* valid input using a feature we refuse */
    JC_ERR_COUNT_ = 13  /* number of codes including JC_OK; keep last */
};

/* Store a printf-style message for the calling thread and return code. */
int jc_err_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int jc_err_vset(int code, const char *fmt, va_list ap);
/* Prefix the current message with "prefix: " (adds context while unwinding). */
int jc_err_wrap(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Last message of the calling thread; "" when none. Borrowed. */
const char *jc_err_last(void);
/* Code stored with the last message. */
int jc_err_last_code(void);
void jc_err_clear(void);
/* Static description of a code; never NULL, unique per code. */
const char *jc_strerror(int code);

/* Abort with file and line on a state that cannot happen (git BUG()). */
#define JC_BUG(msg) jc_bug_(__FILE__, __LINE__, (msg))
void jc_bug_(const char *file, int line, const char *msg)
    __attribute__((noreturn));

#endif
