/*
 * fuzz_cron.c: fuzz target for the Quartz cron parser and next-fire search
 * (cron.c, tz.c) in UTC and in a DST zone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/cron.h"
#include "jobctl/tz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jc_cron *c = NULL;
    const struct jc_tz *tz = NULL;
    char expr[2048];
    char err[256];
    int64_t t = 1767225600; /* 2026-01-01T00:00:00Z */
    int i;

    if (size >= sizeof(expr))
        return 0;
    memcpy(expr, data, size);
    expr[size] = '\0';
    if (jc_cron_parse(&c, expr, err, sizeof(err)) < 0)
        return 0;
    if (size)
        t += (int64_t)data[0] * 86400 * 30;
    jc_tz_load(&tz, (size & 1) ? "America/New_York" : "UTC");
    for (i = 0; i < 3; i++)
        if (jc_cron_next(c, tz, t, &t) < 0)
            break;
    jc_cron_free(c);
    return 0;
}
