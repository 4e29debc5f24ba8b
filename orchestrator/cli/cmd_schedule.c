/*
 * cmd_schedule.c: `jobctl schedule next FILE [-n N] [--from ISO] [-t T]`:
 * print the next N (default 5) fire times of a job's Quartz schedule, in
 * UTC and in the schedule's time zone. Exit 1 when the job has no valid
 * schedule, 2 on usage errors.
 */
#include "cli/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jobctl/cron.h"
#include "jobctl/err.h"
#include "jobctl/spec.h"
#include "jobctl/tz.h"

/* "2026-01-01T00:00:00Z" or "2026-01-01" (UTC) -> epoch seconds */
static int parse_iso(const char *s, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, se = 0, n = 0;

    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
        return -1;
    if (s[n] == 'T' || s[n] == ' ') {
        int n2 = 0;

        if (sscanf(s + n + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n2) != 3)
            return -1;
        n += 1 + n2;
        if (s[n] == 'Z')
            n++;
    }
    if (s[n] || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return -1;
    *out = jc_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 +
           mi * 60 + se;
    return 0;
}

int cmd_schedule(int argc, char **argv)
{
    struct jc_spec_load_opts o = JC_SPEC_LOAD_OPTS_INIT;
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;
    struct jc_cron *cron = NULL;
    const struct jc_tz *tz = NULL;
    const char *file = NULL;
    long count = 5;
    int64_t t = (int64_t)time(NULL);
    char err[256];
    int a, i, rc = 0;

    if (argc < 2 || strcmp(argv[1], "next"))
        return jc_cli_usage("schedule");
    for (a = 2; a < argc; a++) {
        if (!strcmp(argv[a], "-n") && a + 1 < argc) {
            char *end;

            errno = 0;
            count = strtol(argv[++a], &end, 10);
            if (errno || *end || count < 1 || count > 10000) {
                fprintf(stderr, "jobctl schedule: -n needs a number from 1 "
                                "to 10000\n");
                return 2;
            }
        } else if (!strcmp(argv[a], "--from") && a + 1 < argc) {
            if (parse_iso(argv[++a], &t) < 0) {
                fprintf(stderr,
                        "jobctl schedule: --from needs "
                        "YYYY-MM-DD[THH:MM:SSZ], not '%s'\n",
                        argv[a]);
                return 2;
            }
            t--; /* a fire exactly at --from is included */
        } else if ((!strcmp(argv[a], "-t") || !strcmp(argv[a], "--target")) &&
                   a + 1 < argc) {
            o.target = argv[++a];
        } else if (argv[a][0] == '-' && argv[a][1]) {
            fprintf(stderr, "jobctl schedule: unknown option '%s'\n", argv[a]);
            return jc_cli_usage("schedule");
        } else if (!file) {
            file = argv[a];
        } else {
            return jc_cli_usage("schedule");
        }
    }
    if (!file)
        return jc_cli_usage("schedule");
    if (jc_spec_load_file(&job, file, &o, &d) < 0) {
        for (i = 0; i < (int)d.n; i++)
            fprintf(stderr, "%s\n", d.items[i].msg);
        jc_diags_release(&d);
        return 1;
    }
    if (!job->schedule.present || !job->schedule.quartz_cron_expression) {
        fprintf(stderr, "%s: job '%s' has no schedule\n", file,
                job->name ? job->name : "");
        jc_job_free(job);
        return 1;
    }
    if (jc_cron_parse(&cron, job->schedule.quartz_cron_expression, err,
                      sizeof(err)) < 0) {
        fprintf(stderr, "%s: invalid quartz_cron_expression '%s': %s\n", file,
                job->schedule.quartz_cron_expression, err);
        jc_job_free(job);
        return 1;
    }
    if (jc_tz_load(&tz, job->schedule.timezone_id ? job->schedule.timezone_id
                                                  : "UTC") < 0) {
        fprintf(stderr, "%s: unknown timezone_id '%s'\n", file,
                job->schedule.timezone_id);
        jc_cron_free(cron);
        jc_job_free(job);
        return 1;
    }
    if (job->schedule.paused)
        fprintf(stderr, "%s: note: the schedule is PAUSED\n", file);
    for (i = 0; i < count; i++) {
        char u[40], l[40];

        if (jc_cron_next(cron, tz, t, &t) < 0) {
            if (i == 0) {
                fprintf(stderr, "%s: the schedule never fires again\n", file);
                rc = 1;
            }
            break;
        }
        jc_tz_format(tz, t, false, u, sizeof(u));
        jc_tz_format(tz, t, true, l, sizeof(l));
        printf("%s  %s (%s)\n", u, l, jc_tz_name(tz));
    }
    jc_cron_free(cron);
    jc_job_free(job);
    jc_diags_release(&d);
    return rc;
}
