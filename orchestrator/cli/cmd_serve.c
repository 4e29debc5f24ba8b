/*
 * cmd_serve.c: `jobctl serve [--listen ADDR] [--jobs-dir DIR]
 * [--workspace DIR] [--shutdown-grace SECONDS] [--port-file FILE]
 * [--catchup-window SECONDS] [--request-timeout-ms MS] [--idle-timeout-ms MS]`:
 * runs the scheduler daemon with the REST API and status page.
 */
#include "cli/cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "jobctl/err.h"

static int parse_num(const char *s, long long *out)
{
    char *end;

    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || !*s || *end || *out < 0 ? -1 : 0;
}

int cmd_serve(int argc, char **argv)
{
    struct jc_daemon_opts o;
    int i;
    int rc;
    long long n;

    memset(&o, 0, sizeof(o));
    o.listen = getenv("JOBCTL_LISTEN");
    if (!o.listen || !*o.listen)
        o.listen = "127.0.0.1:8080";
    o.jobs_dir = "jobs";
    o.shutdown_grace_ms = 10000;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(a, "--listen") && v) {
            o.listen = v;
            i++;
        } else if (!strcmp(a, "--jobs-dir") && v) {
            o.jobs_dir = v;
            i++;
        } else if (!strcmp(a, "--workspace") && v) {
            o.workspace = v;
            i++;
        } else if (!strcmp(a, "--port-file") && v) {
            o.port_file = v;
            i++;
        } else if (!strcmp(a, "--parallel") && v && !parse_num(v, &n)) {
            o.parallel = (int)n;
            i++;
        } else if (!strcmp(a, "--shutdown-grace") && v && !parse_num(v, &n)) {
            o.shutdown_grace_ms = n * 1000;
            i++;
        } else if (!strcmp(a, "--request-timeout-ms") && v &&
                   !parse_num(v, &n)) {
            o.request_timeout_ms = (unsigned)n;
            i++;
        } else if (!strcmp(a, "--idle-timeout-ms") && v && !parse_num(v, &n)) {
            o.idle_timeout_ms = (unsigned)n;
            i++;
        } else if (!strcmp(a, "--catchup-window") && v && !parse_num(v, &n)) {
            o.catchup_window_s = n;
            i++;
        } else {
            fprintf(stderr, "jobctl serve: unknown or incomplete option '%s'\n",
                    a);
            return jc_cli_usage("serve");
        }
    }
    o.token = getenv("JOBCTL_TOKEN");
    o.webhook_secret = getenv("JOBCTL_WEBHOOK_SECRET");
    o.home = getenv("JOBCTL_HOME");
    rc = jc_daemon_run(&o);
    if (rc) {
        fprintf(stderr, "jobctl serve: %s\n", jc_err_last());
        return 1;
    }
    return 0;
}
