/*
 * daemon.h: `jobctl serve`: one libuv loop running the HTTP server and
 * REST API, the Quartz scheduler, the job directory watcher and the run
 * engine (max_concurrent_runs, queues), with SIGTERM shutdown.
 */
#ifndef JOBCTL_DAEMON_DAEMON_H
#define JOBCTL_DAEMON_DAEMON_H

#include <stdint.h>

struct jc_daemon_opts {
    const char *listen;         /* "127.0.0.1:8080" */
    const char *jobs_dir;       /* NULL = none; default "jobs" in the CLI */
    const char *workspace;      /* NULL = "jobs/workspace" */
    const char *home;           /* NULL = jc_store_home() */
    const char *token;          /* JOBCTL_TOKEN or NULL */
    const char *webhook_secret; /* JOBCTL_WEBHOOK_SECRET or NULL */
    int64_t shutdown_grace_ms;  /* SIGTERM: let runs finish this long */
    int64_t catchup_window_s;   /* missed ticks younger than this fire once */
    const char *port_file;      /* write the bound port here (tests) */
    int parallel;               /* per-run task parallelism; 0 = CPUs */
    unsigned request_timeout_ms; /* slow clients; 0 = http default */
    unsigned idle_timeout_ms;    /* keep-alive idle; 0 = http default */
};

/* Run until SIGTERM/SIGINT. Returns 0 on a clean shutdown. */
int jc_daemon_run(const struct jc_daemon_opts *opts);

#endif
