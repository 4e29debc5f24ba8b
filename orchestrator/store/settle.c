/*
 * settle.c: crash settling. A run records its owner (pid, /proc start
 * time, boot id); any jobctl that opens the store finds non-terminal runs
 * whose owner is gone, kills their leftover task process groups and marks
 * open attempts and the run FAILED, so nothing stays RUNNING forever.
 */
#include "jobctl/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "store/store_int.h"
#include "util/log.h"
#include "util/mem.h"

static int64_t proc_start_time(int pid)
{
    char path[64];
    char buf[1024];
    FILE *f;
    size_t n;
    char *p;
    int field;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* p is at the blank before field 3 (state); starttime is field 22. */
    for (field = 3; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    if (!p)
        return -1;
    return strtoll(p + 1, NULL, 10);
}

static void boot_id(char *out, size_t n)
{
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    size_t len;

    out[0] = '\0';
    if (!f)
        return;
    if (fgets(out, (int)n, f)) {
        len = strlen(out);
        while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
            out[--len] = '\0';
    }
    fclose(f);
}

void jc_store_self_owner(int *pid, int64_t *start, char *bid, size_t n)
{
    *pid = (int)getpid();
    *start = proc_start_time(*pid);
    boot_id(bid, n);
}

bool jc_store_owner_alive(int pid, int64_t start, const char *bid)
{
    char cur[64];

    if (pid <= 0)
        return false;
    boot_id(cur, sizeof(cur));
    if (bid && *bid && *cur && strcmp(bid, cur))
        return false;
    if (kill(pid, 0) && errno == ESRCH)
        return false;
    if (start > 0 && proc_start_time(pid) != start)
        return false;
    return true;
}

/* Does NUL-separated env block contain exactly "entry"? */
static bool env_has(const char *env, size_t n, const char *entry)
{
    size_t len = strlen(entry), i = 0;

    while (i < n) {
        size_t l = strnlen(env + i, n - i);
        if (l == len && !memcmp(env + i, entry, len))
            return true;
        i += l + 1;
    }
    return false;
}

/*
 * Kill every process whose environment says it belongs to run_id in this
 * home (tasks and their children inherit JOBCTL_RUN_ID/JOBCTL_HOME), so
 * processes started just before the owner died, whose pid never reached
 * the database, and ones that left their process group go too.
 */
static void kill_run_processes(const char *home, int64_t run_id)
{
    char want_run[64], *want_home, abs[4096];
    DIR *d = opendir("/proc");
    struct dirent *de;
    char *buf;

    if (!d)
        return;
    if (!realpath(home, abs))
        snprintf(abs, sizeof(abs), "%s", home);
    snprintf(want_run, sizeof(want_run), "JOBCTL_RUN_ID=%lld",
             (long long)run_id);
    want_home = ju_xasprintf("JOBCTL_HOME=%s", abs);
    buf = ju_xmalloc(256 * 1024);
    while ((de = readdir(d))) {
        char path[64];
        long pid;
        char *end;
        int fd;
        ssize_t n;

        pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 1 || pid == (long)getpid())
            continue;
        snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        n = read(fd, buf, 256 * 1024);
        close(fd);
        if (n <= 0)
            continue;
        if (env_has(buf, (size_t)n, want_run) &&
            env_has(buf, (size_t)n, want_home)) {
            pid_t pg = getpgid((pid_t)pid);
            if (pg > 1 && pg != getpgrp())
                kill(-pg, SIGKILL);
            kill((pid_t)pid, SIGKILL);
        }
    }
    closedir(d);
    free(buf);
    free(want_home);
}

static int settle_run(struct jc_store *s, const struct jc_run_row *run)
{
    struct jc_task_run_row *trs;
    size_t ntr, i;
    int64_t now = jc_now_ms();
    char *msg;
    int rc;

    if ((rc = jc_store_task_run_list(s, run->run_id, &trs, &ntr)))
        return rc;
    kill_run_processes(jc_store_home_dir(s), run->run_id);
    if ((rc = jc_store_begin(s))) {
        jc_task_run_rows_free(trs, ntr);
        return rc;
    }
    for (i = 0; i < ntr; i++) {
        struct jc_task_run_row *t = &trs[i];

        if (jc_life_cycle_terminal(t->life_cycle_state))
            continue;
        if (t->pgid > 0 && !kill(-t->pgid, 0))
            kill(-t->pgid, SIGKILL);
        free(t->life_cycle_state);
        free(t->result_state);
        free(t->state_message);
        t->life_cycle_state = ju_xstrdup("TERMINATED");
        t->result_state = ju_xstrdup("FAILED");
        t->state_message = ju_xasprintf(
            "orphaned: jobctl process %d died while the task ran",
            run->owner_pid);
        if (!t->end_ms)
            t->end_ms = now;
        if ((rc = jc_store_task_run_update(s, t)))
            goto fail;
        jc_store_event_add(s, run->run_id, t->task_key, "task.orphaned",
                           t->state_message);
    }
    msg = ju_xasprintf("orphaned: jobctl process %d died; run settled as "
                       "FAILED", run->owner_pid);
    rc = jc_store_run_set_state(s, run->run_id, "TERMINATED", "FAILED", msg,
                                now);
    if (!rc)
        rc = jc_store_event_add(s, run->run_id, NULL, "run.settled", msg);
    free(msg);
    if (rc)
        goto fail;
    jc_task_run_rows_free(trs, ntr);
    log_warn("settled orphaned run %lld (owner pid %d)",
             (long long)run->run_id, run->owner_pid);
    return jc_store_commit(s);
fail:
    jc_task_run_rows_free(trs, ntr);
    jc_store_rollback(s);
    return rc;
}

int jc_store_settle_orphans_ex(struct jc_store *s, int64_t **ids, size_t *nids)
{
    struct jc_run_filter f = {0, true, 100000, 0};
    struct jc_run_row *runs;
    size_t n, i;
    int settled = 0;
    int rc;

    if (ids) {
        *ids = NULL;
        *nids = 0;
    }
    if ((rc = jc_store_run_list(s, &f, &runs, &n)))
        return rc;
    for (i = 0; i < n; i++) {
        if (jc_store_owner_alive(runs[i].owner_pid, runs[i].owner_start,
                                 runs[i].owner_boot_id))
            continue;
        if ((rc = settle_run(s, &runs[i])))
            break;
        if (ids) {
            *ids = ju_xrealloc(*ids, (*nids + 1) * sizeof(**ids));
            (*ids)[(*nids)++] = runs[i].run_id;
        }
        settled++;
    }
    jc_run_rows_free(runs, n);
    return rc ? rc : settled;
}

int jc_store_settle_orphans(struct jc_store *s)
{
    return jc_store_settle_orphans_ex(s, NULL, NULL);
}

int jc_store_active_runs(struct jc_store *s, int64_t job_id,
                         int64_t except_run_id, size_t *count)
{
    struct jc_run_filter f = {job_id, true, 100000, 0};
    struct jc_run_row *runs;
    size_t n, i;
    int rc;

    *count = 0;
    if ((rc = jc_store_run_list(s, &f, &runs, &n)))
        return rc;
    for (i = 0; i < n; i++) {
        if (runs[i].run_id == except_run_id)
            continue;
        if (jc_store_owner_alive(runs[i].owner_pid, runs[i].owner_start,
                                 runs[i].owner_boot_id))
            (*count)++;
    }
    jc_run_rows_free(runs, n);
    return 0;
}
