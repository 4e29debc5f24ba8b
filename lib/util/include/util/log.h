/*
 * log.h: logfmt lines on stderr (redis LL_* levels). Context keys job=,
 * run=, task= are attached with ju_log_set_context(). Secrets never go
 * through here: callers pass redacted values (see ju_redact).
 */
#ifndef JOBCTL_UTIL_LOG_H
#define JOBCTL_UTIL_LOG_H

enum ju_log_level {
    JU_LOG_DEBUG = 0,
    JU_LOG_INFO = 1,
    JU_LOG_WARN = 2,
    JU_LOG_ERROR = 3,
    JU_LOG_OFF = 4
};

void ju_log(enum ju_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ju_log_set_level(enum ju_log_level level);
/* Reads JOBCTL_LOG_LEVEL (debug|info|warn|error|off). */
void ju_log_init_from_env(void);
/* Context printed on every line; NULL clears a key. Copied. */
void ju_log_set_context(const char *job, const char *run, const char *task);

#define log_debug(...) ju_log(JU_LOG_DEBUG, __VA_ARGS__)
#define log_info(...) ju_log(JU_LOG_INFO, __VA_ARGS__)
#define log_warn(...) ju_log(JU_LOG_WARN, __VA_ARGS__)
#define log_error(...) ju_log(JU_LOG_ERROR, __VA_ARGS__)

#endif
