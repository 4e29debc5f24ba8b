/*
 * log.c: one logfmt line per event on stderr:
 *   ts=2026-01-01T00:00:00.000Z level=info job=.. run=.. task=.. msg="..."
 */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum ju_log_level log_level = JU_LOG_INFO;
static char ctx_job[128];
static char ctx_run[64];
static char ctx_task[128];

void ju_log_set_level(enum ju_log_level level)
{
    log_level = level;
}

void ju_log_init_from_env(void)
{
    const char *v = getenv("JOBCTL_LOG_LEVEL");

    if (!v)
        return;
    if (!strcmp(v, "debug"))
        log_level = JU_LOG_DEBUG;
    else if (!strcmp(v, "info"))
        log_level = JU_LOG_INFO;
    else if (!strcmp(v, "warn"))
        log_level = JU_LOG_WARN;
    else if (!strcmp(v, "error"))
        log_level = JU_LOG_ERROR;
    else if (!strcmp(v, "off"))
        log_level = JU_LOG_OFF;
}

static void set_ctx(char *dst, size_t n, const char *v)
{
    if (v)
        snprintf(dst, n, "%s", v);
    else
        dst[0] = '\0';
}

void ju_log_set_context(const char *job, const char *run, const char *task)
{
    set_ctx(ctx_job, sizeof(ctx_job), job);
    set_ctx(ctx_run, sizeof(ctx_run), run);
    set_ctx(ctx_task, sizeof(ctx_task), task);
}

void ju_log(enum ju_log_level level, const char *fmt, ...)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    char msg[2048];
    char ts[32];
    struct timespec now;
    struct tm tm;
    va_list ap;
    char *p;

    if (level < log_level || level >= JU_LOG_OFF)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (p = msg; *p; p++) {
        if (*p == '"' || *p == '\n')
            *p = *p == '"' ? '\'' : ' ';
    }
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "ts=%s.%03ldZ level=%s", ts, now.tv_nsec / 1000000,
            names[level]);
    if (ctx_job[0])
        fprintf(stderr, " job=%s", ctx_job);
    if (ctx_run[0])
        fprintf(stderr, " run=%s", ctx_run);
    if (ctx_task[0])
        fprintf(stderr, " task=%s", ctx_task);
    fprintf(stderr, " msg=\"%s\"\n", msg);
}
