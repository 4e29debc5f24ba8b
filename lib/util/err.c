/*
 * err.c: thread-local error messages and jc_strerror().
 * Library code sets a message and returns the code; only the layer that
 * decides (CLI command, REST handler, task main) reports it.
 */
#include "jobctl/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERR_MSG_MAX 1024

static _Thread_local char err_msg[ERR_MSG_MAX];
static _Thread_local int err_code;

int jc_err_vset(int code, const char *fmt, va_list ap)
{
    vsnprintf(err_msg, sizeof(err_msg), fmt, ap);
    err_code = code;
    return code;
}

int jc_err_set(int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    jc_err_vset(code, fmt, ap);
    va_end(ap);
    return code;
}

int jc_err_wrap(int code, const char *fmt, ...)
{
    char prefix[ERR_MSG_MAX];
    char old[ERR_MSG_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    memcpy(old, err_msg, sizeof(old));
    if (old[0])
        snprintf(err_msg, sizeof(err_msg), "%s: %s", prefix, old);
    else
        snprintf(err_msg, sizeof(err_msg), "%s", prefix);
    err_code = code;
    return code;
}

const char *jc_err_last(void)
{
    return err_msg;
}

int jc_err_last_code(void)
{
    return err_code;
}

void jc_err_clear(void)
{
    err_msg[0] = '\0';
    err_code = 0;
}

const char *jc_strerror(int code)
{
    switch (code) {
    case JC_OK:
        return "success";
    case JC_ERR:
        return "failure";
    case JC_ENOTFOUND:
        return "not found";
    case JC_EEXIST:
        return "already exists";
    case JC_EINVAL:
        return "invalid argument";
    case JC_EPARSE:
        return "malformed input";
    case JC_ETOOBIG:
        return "input too large";
    case JC_EBUSY:
        return "resource busy";
    case JC_ECONFLICT:
        return "concurrent commit conflict";
    case JC_ESTATE:
        return "illegal state transition";
    case JC_ETIMEDOUT:
        return "timed out";
    case JC_EIO:
        return "I/O error";
    case JC_EUNSUPPORTED:
        return "unsupported feature";
    default:
        return "unknown error code";
    }
}

void jc_bug_(const char *file, int line, const char *msg)
{
    fprintf(stderr, "BUG: %s:%d: %s\n", file, line, msg);
    abort();
}
