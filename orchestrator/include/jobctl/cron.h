/*
 * cron.h: Quartz cron expressions (6 or 7 fields: seconds minutes hours
 * day-of-month month day-of-week [year]) as used by Databricks job
 * schedules, and next-fire computation in a time zone with Quartz DST
 * rules: nonexistent local times are skipped, repeated ones fire once.
 */
#ifndef JOBCTL_JOBCTL_CRON_H
#define JOBCTL_JOBCTL_CRON_H

#include <stddef.h>
#include <stdint.h>

#include "jobctl/tz.h"

struct jc_cron;

/*
 * Parse expr. On error returns JC_EPARSE and writes a message naming the
 * field and 1-based column into err (e.g. "day-of-week field at column
 * 11: unknown name 'FUN'"); err may be NULL.
 */
int jc_cron_parse(struct jc_cron **out, const char *expr, char *err,
                  size_t errlen);
void jc_cron_free(struct jc_cron *cron);
/*
 * First fire time strictly after after_utc (seconds since the epoch, UTC)
 * evaluated in zone tz (NULL = UTC). JC_ENOTFOUND when it never fires
 * again (years are limited to 1970-2099).
 */
int jc_cron_next(const struct jc_cron *cron, const struct jc_tz *tz,
                 int64_t after_utc, int64_t *next);

#endif
