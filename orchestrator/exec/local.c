/*
 * local.c: the local subprocess executor. Each attempt is posix_spawn'ed
 * (glibc: clone(CLONE_VM|CLONE_VFORK), no shell) into a new process group
 * (pgid = pid); stdout/stderr go through a pipe that the loop
 * relays into the attempt's log file, created on the first byte (so a task
 * that prints nothing costs no inode: cheap at 10,000 tasks).
 * The executor keeps one private epoll set (watched by a single uv_poll)
 * holding every attempt's output pipe and pidfd: an exit wakes the loop
 * directly, without SIGCHLD (kernels without pidfd_open fall back to a
 * libuv SIGCHLD watcher). Attempts are reaped with wait4() for exact
 * per-child rusage (uv_spawn reaps internally and drops it);
 * /proc/<pid>/io is read from the zombie first. Stop = SIGTERM to the
 * group, SIGKILL after a grace period; leftovers in the group are killed
 * when the leader exits.
 */
#include "jobctl/executor.h"
#include "jobctl/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/mem.h"

/* argv[0] -> path through PATH, resolved once (a long PATH otherwise costs
 * one failed execve per entry on every spawn). */
struct path_cache {
    char *name;
    char *path_env; /* the PATH it was resolved with */
    char *file;
};

struct local_ex {
    struct jc_executor base;
    struct path_cache *pc;
    size_t npc;
    int ep;                  /* private epoll: pipes and pidfds */
    uv_poll_t ep_poll;
    bool use_pidfd;
    uv_signal_t sigchld;     /* only without pidfd */
    int nhandles;            /* open uv handles of the executor */
    struct jc_attempt *head; /* running attempts, doubly linked */
    size_t nrunning;
    int devnull;
    int outfd;  /* fixed fd slot: the current task's pipe end at spawn */
    posix_spawn_file_actions_t fa;  /* built once: /dev/null, outfd x2 */
    posix_spawnattr_t attr;         /* built once: setsid, signals */
};

struct jc_attempt {
    struct jc_attempt *prev, *next;
    struct local_ex *ex;
    pid_t pid;
    int pidfd;        /* -1 without pidfd support */
    int64_t start_ms;
    int64_t grace_ms;
    jc_attempt_done_cb cb;
    void *arg;
    uv_timer_t kill_timer;
    bool timer_inited;
    int rfd;          /* read end of the output pipe, -1 when closed */
    int logfd;        /* -1 until the first byte arrives */
    char *log_path;
    bool stopping;
    bool exited;      /* reaped, completion pending in this batch */
    enum jc_stop_reason why;
    struct jc_attempt *done_next; /* reap batch */
    int status;
    struct rusage ru;
    int64_t rd, wr;
    int64_t end_ms;
};

#define TAG_PIPE 0u
#define TAG_PID 1u

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool jc_exec_group_alive(int pgid)
{
    return pgid > 0 && kill(-pgid, 0) == 0;
}

void jc_exec_group_kill(int pgid)
{
    if (pgid > 0)
        kill(-pgid, SIGKILL);
}

void jc_exec_proc_io(int pid, int64_t *rd, int64_t *wr)
{
    char path[64];
    char buf[512];
    int fd;
    ssize_t n;
    char *p;

    *rd = -1;
    *wr = -1;
    static int procfd = -2;

    if (procfd == -2)
        procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    snprintf(path, sizeof(path), "%d/io", pid);
    fd = procfd >= 0 ? openat(procfd, path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = '\0';
    if ((p = strstr(buf, "\nread_bytes: ")))
        *rd = strtoll(p + 13, NULL, 10);
    if ((p = strstr(buf, "\nwrite_bytes: ")))
        *wr = strtoll(p + 14, NULL, 10);
}

int jc_exec_mkdirs(const char *path, int mode)
{
    char buf[4096];
    size_t len = strlen(path);
    size_t i;

    if (len >= sizeof(buf))
        return jc_err_set(JC_ETOOBIG, "path too long: '%s'", path);
    memcpy(buf, path, len + 1);
    for (i = 1; i <= len; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, (mode_t)mode) && errno != EEXIST)
            return jc_err_set(JC_EIO, "cannot create '%s': %s", buf,
                              strerror(errno));
        buf[i] = path[i];
    }
    return 0;
}

static void set_running(struct local_ex *ex, int delta)
{
    size_t before = ex->nrunning;

    ex->nrunning = (size_t)((int64_t)ex->nrunning + delta);
    if (!before && ex->nrunning) {
        uv_ref((uv_handle_t *)&ex->ep_poll);
        if (!ex->use_pidfd)
            uv_ref((uv_handle_t *)&ex->sigchld);
    } else if (before && !ex->nrunning) {
        uv_unref((uv_handle_t *)&ex->ep_poll);
        if (!ex->use_pidfd)
            uv_unref((uv_handle_t *)&ex->sigchld);
    }
}

static void unlink_attempt(struct local_ex *ex, struct jc_attempt *a)
{
    if (a->prev)
        a->prev->next = a->next;
    else
        ex->head = a->next;
    if (a->next)
        a->next->prev = a->prev;
    a->prev = a->next = NULL;
    set_running(ex, -1);
}

static void attempt_release(struct jc_attempt *a)
{
    if (a->logfd >= 0)
        close(a->logfd);
    free(a->log_path);
    free(a);
}

static void timer_closed_cb(uv_handle_t *h)
{
    attempt_release(h->data);
}

/*
 * Drop an fd from the private epoll set, then close it. Closing alone is
 * not enough: a vfork child spawned a moment ago may still hold a copy
 * (exec wakes the parent before it closes CLOEXEC fds), which keeps the
 * registration and would report events for a freed attempt.
 */
static void ep_close(struct jc_attempt *a, int *fd)
{
    if (*fd < 0)
        return;
    epoll_ctl(a->ex->ep, EPOLL_CTL_DEL, *fd, NULL);
    close(*fd);
    *fd = -1;
}

static void close_fds(struct jc_attempt *a)
{
    ep_close(a, &a->rfd);
    ep_close(a, &a->pidfd);
}

static void free_attempt(struct jc_attempt *a)
{
    close_fds(a);
    if (a->timer_inited) {
        a->kill_timer.data = a;
        uv_close((uv_handle_t *)&a->kill_timer, timer_closed_cb);
    } else {
        attempt_release(a);
    }
}

static int open_log(const char *path)
{
    int fd;
    char *dir, *slash;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0 || errno != ENOENT)
        return fd;
    dir = ju_xstrdup(path);
    slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (jc_exec_mkdirs(dir, 0755)) {
            free(dir);
            errno = ENOENT;
            return -1;
        }
    }
    free(dir);
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/*
 * Move what the pipe holds into the log; returns 1 on EOF. At most
 * 1 MiB per call unless drain (level-triggered epoll calls again), so a
 * chatty task cannot hold up the loop.
 */
static int relay(struct jc_attempt *a, bool drain)
{
    char buf[65536];
    int rounds = 0;

    while (a->rfd >= 0) {
        ssize_t n;

        /* drain: what is buffered now, bounded against an escaped writer */
        if (++rounds > (drain ? 1024 : 16))
            return 0;
        n = read(a->rfd, buf, sizeof(buf));

        if (n == 0)
            return 1;
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? 0 : 1;
        if (a->logfd < 0 && a->log_path)
            a->logfd = open_log(a->log_path);
        if (a->logfd >= 0) {
            ssize_t off = 0;
            while (off < n) {
                ssize_t w = write(a->logfd, buf + off, (size_t)(n - off));
                if (w <= 0)
                    break;
                off += w;
            }
        }
    }
    return 1;
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGTERM: return "SIGTERM";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGINT: return "SIGINT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGPIPE: return "SIGPIPE";
    case SIGHUP: return "SIGHUP";
    default: return "signal";
    }
}

static void complete(struct jc_attempt *a)
{
    struct jc_attempt_result res;

    memset(&res, 0, sizeof(res));
    res.exit_code = -1;
    res.pid = a->pid;
    res.pgid = a->pid;
    res.start_ms = a->start_ms;
    res.end_ms = a->end_ms;
    res.cpu_user_s = (double)a->ru.ru_utime.tv_sec +
                     (double)a->ru.ru_utime.tv_usec / 1e6;
    res.cpu_sys_s = (double)a->ru.ru_stime.tv_sec +
                    (double)a->ru.ru_stime.tv_usec / 1e6;
    res.max_rss_kb = a->ru.ru_maxrss;
    res.read_bytes = a->rd;
    res.write_bytes = a->wr;
    snprintf(res.executor, sizeof(res.executor), "local");
    if (WIFEXITED(a->status)) {
        res.exit_code = WEXITSTATUS(a->status);
        if (res.exit_code == 0) {
            res.outcome = JC_ATTEMPT_SUCCESS;
        } else {
            res.outcome = res.exit_code == 75 ? JC_ATTEMPT_RETRYABLE
                                              : JC_ATTEMPT_FAILED;
            snprintf(res.state_message, sizeof(res.state_message),
                     "exit code %d", res.exit_code);
        }
    } else if (WIFSIGNALED(a->status)) {
        res.term_signal = WTERMSIG(a->status);
        res.outcome = JC_ATTEMPT_FAILED;
        snprintf(res.state_message, sizeof(res.state_message),
                 "killed by signal %d (%s)", res.term_signal,
                 sig_name(res.term_signal));
    } else {
        res.outcome = JC_ATTEMPT_FAILED;
        snprintf(res.state_message, sizeof(res.state_message),
                 "unexpected wait status %d", a->status);
    }
    if (a->stopping) {
        if (a->why == JC_STOP_TIMEOUT) {
            res.outcome = JC_ATTEMPT_TIMEDOUT;
            snprintf(res.state_message, sizeof(res.state_message),
                     "timed out");
        } else {
            res.outcome = JC_ATTEMPT_CANCELED;
            snprintf(res.state_message, sizeof(res.state_message),
                     "canceled");
        }
    }
    /* Whatever the group wrote before it died is in the pipe: keep it. */
    relay(a, true);
    close_fds(a);
    a->cb(a, &res, a->arg);
    free_attempt(a);
}

/* a's leader has exited (zombie): measure, reap, clear its group. */
static bool reap(struct jc_attempt *a)
{
    jc_exec_proc_io(a->pid, &a->rd, &a->wr);
    if (wait4(a->pid, &a->status, 0, &a->ru) != a->pid)
        return false;
    a->end_ms = now_ms();
    /* The leader is gone: anything left in its group goes too. */
    kill(-a->pid, SIGKILL);
    unlink_attempt(a->ex, a);
    if (a->timer_inited)
        uv_timer_stop(&a->kill_timer);
    a->exited = true;
    return true;
}

static void complete_batch(struct jc_attempt *done)
{
    struct jc_attempt *a, *next;

    for (a = done; a; a = next) {
        next = a->done_next;
        complete(a);
    }
}

static void on_sigchld(uv_signal_t *h, int signum)
{
    struct local_ex *ex = h->data;
    struct jc_attempt *a, *next, *done = NULL, **tail = &done;

    (void)signum;
    for (a = ex->head; a; a = next) {
        siginfo_t si;

        next = a->next;
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, (id_t)a->pid, &si, WEXITED | WNOHANG | WNOWAIT) ||
            si.si_pid != a->pid)
            continue;
        if (!reap(a))
            continue;
        *tail = a;
        tail = &a->done_next;
    }
    complete_batch(done);
}

static void on_ep(uv_poll_t *h, int status, int events)
{
    struct local_ex *ex = h->data;
    struct epoll_event evs[64];
    struct jc_attempt *done = NULL, **tail = &done;
    int n, i;

    (void)status;
    (void)events;
    n = epoll_wait(ex->ep, evs, 64, 0);
    /* Pipes first: an attempt completed below is freed. */
    for (i = 0; i < n; i++) {
        struct jc_attempt *a = (struct jc_attempt *)(uintptr_t)(evs[i].data.u64 & ~(uint64_t)1);

        if ((evs[i].data.u64 & 1) == TAG_PIPE && a->rfd >= 0 &&
            relay(a, false))
            ep_close(a, &a->rfd); /* EOF: every writer is gone */
    }
    for (i = 0; i < n; i++) {
        struct jc_attempt *a = (struct jc_attempt *)(uintptr_t)(evs[i].data.u64 & ~(uint64_t)1);

        if ((evs[i].data.u64 & 1) != TAG_PID || a->exited)
            continue;
        if (!reap(a))
            continue;
        *tail = a;
        tail = &a->done_next;
    }
    complete_batch(done);
}

static void on_kill_timer(uv_timer_t *t)
{
    struct jc_attempt *a = t->data;

    kill(-a->pid, SIGKILL);
}

static int ep_add(struct local_ex *ex, int fd, struct jc_attempt *a,
                  unsigned tag)
{
    struct epoll_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t)(uintptr_t)a | tag;
    return epoll_ctl(ex->ep, EPOLL_CTL_ADD, fd, &ev);
}

static const char *env_path(char *const *env)
{
    size_t i;

    if (!env)
        return getenv("PATH");
    for (i = 0; env[i]; i++) {
        if (!strncmp(env[i], "PATH=", 5))
            return env[i] + 5;
    }
    return NULL;
}

/* Resolved file for argv0, or NULL to let posix_spawnp search. */
static const char *resolve(struct local_ex *ex, const char *argv0,
                           char *const *env)
{
    const char *path = env_path(env);
    const char *p;
    size_t i, nlen = strlen(argv0);
    char buf[4096];

    if (strchr(argv0, '/') || !path || !*argv0)
        return NULL;
    for (i = 0; i < ex->npc; i++) {
        if (!strcmp(ex->pc[i].name, argv0) && !strcmp(ex->pc[i].path_env, path))
            return ex->pc[i].file;
    }
    if (ex->npc >= 64)
        return NULL;
    for (p = path; *p;) {
        const char *e = strchr(p, ':');
        size_t dl = e ? (size_t)(e - p) : strlen(p);
        struct stat st;

        if (dl && dl + nlen + 2 < sizeof(buf)) {
            memcpy(buf, p, dl);
            buf[dl] = '/';
            memcpy(buf + dl + 1, argv0, nlen + 1);
            if (!stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK)) {
                ex->pc = ju_xrealloc(ex->pc, (ex->npc + 1) * sizeof(*ex->pc));
                ex->pc[ex->npc].name = ju_xstrdup(argv0);
                ex->pc[ex->npc].path_env = ju_xstrdup(path);
                ex->pc[ex->npc].file = ju_xstrdup(buf);
                return ex->pc[ex->npc++].file;
            }
        }
        if (!e)
            break;
        p = e + 1;
    }
    return NULL;
}

static int local_start(struct jc_executor *base, const struct jc_attempt_req *req,
                       jc_attempt_done_cb cb, void *arg, struct jc_attempt **out)
{
    struct local_ex *ex = (struct local_ex *)base;
    posix_spawn_file_actions_t fa;
    struct jc_attempt *a;
    pid_t pid;
    int pfd[2], rc;

    *out = NULL;
    if (!req->argv || !req->argv[0])
        return jc_err_set(JC_EINVAL, "task '%s' has an empty command",
                          req->task_key ? req->task_key : "");
    if (pipe2(pfd, O_CLOEXEC))
        return jc_err_set(JC_EIO, "cannot create a pipe: %s", strerror(errno));
    /*
     * The file actions and attributes are built once (adddup2 checks each
     * fd against the fd limit, two getrlimit calls apiece): the pipe end
     * goes into the executor's fixed fd slot for the spawn.
     */
    if (dup3(pfd[1], ex->outfd, O_CLOEXEC) < 0) {
        rc = jc_err_set(JC_EIO, "cannot dup the output pipe: %s",
                        strerror(errno));
        close(pfd[0]);
        close(pfd[1]);
        return rc;
    }
    if (req->cwd && *req->cwd) {
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, ex->devnull, 0);
        posix_spawn_file_actions_adddup2(&fa, ex->outfd, 1);
        posix_spawn_file_actions_adddup2(&fa, ex->outfd, 2);
        posix_spawn_file_actions_addchdir_np(&fa, req->cwd);
    }
    {
        const char *file = resolve(ex, req->argv[0], req->env);
        char *const *envp = req->env ? req->env : (char *const *)environ;
        const posix_spawn_file_actions_t *fap =
            req->cwd && *req->cwd ? &fa : &ex->fa;

        if (file)
            rc = posix_spawn(&pid, file, fap, &ex->attr, req->argv, envp);
        else
            rc = posix_spawnp(&pid, req->argv[0], fap, &ex->attr, req->argv,
                              envp);
    }
    if (req->cwd && *req->cwd)
        posix_spawn_file_actions_destroy(&fa);
    /* Drop our copies of the write end: EOF comes when the task's go. */
    dup3(ex->devnull, ex->outfd, O_CLOEXEC);
    close(pfd[1]);
    if (rc) {
        /* Leave the reason in the attempt's log too. */
        int logfd = req->log_path ? open_log(req->log_path) : -1;
        if (logfd >= 0) {
            dprintf(logfd, "jobctl: cannot run '%s': %s\n", req->argv[0],
                    strerror(rc));
            close(logfd);
        }
        close(pfd[0]);
        return jc_err_set(JC_EINVAL, "cannot run '%s': %s", req->argv[0],
                          strerror(rc));
    }
    a = ju_xcalloc(1, sizeof(*a));
    a->ex = ex;
    a->pid = pid;
    a->pidfd = -1;
    a->start_ms = now_ms();
    a->grace_ms = req->kill_grace_ms > 0 ? req->kill_grace_ms : 10000;
    a->cb = cb;
    a->arg = arg;
    a->logfd = -1;
    a->rfd = pfd[0];
    a->log_path = req->log_path ? ju_xstrdup(req->log_path) : NULL;
    fcntl(a->rfd, F_SETFL, O_NONBLOCK);
    if (ep_add(ex, a->rfd, a, TAG_PIPE))
        ep_close(a, &a->rfd); /* unwatchable: never block the task on it */
    if (ex->use_pidfd) {
        a->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (a->pidfd < 0 || ep_add(ex, a->pidfd, a, TAG_PID)) {
            /* Should not happen (checked at start); never lose the exit. */
            kill(-pid, SIGKILL);
            ep_close(a, &a->pidfd);
            waitpid(pid, &a->status, 0);
            close_fds(a);
            attempt_release(a);
            return jc_err_set(JC_EIO, "cannot watch process %d: %s",
                              (int)pid, strerror(errno));
        }
    }
    a->next = ex->head;
    if (ex->head)
        ex->head->prev = a;
    ex->head = a;
    set_running(ex, +1);
    *out = a;
    /*
     * The pidfd (or the SIGCHLD watcher, installed before the spawn) makes
     * even an exit that already happened show up later from the loop,
     * never in here.
     */
    return 0;
}

static int local_stop(struct jc_executor *base, struct jc_attempt *a,
                      enum jc_stop_reason why)
{
    if (a->stopping)
        return 0;
    a->stopping = true;
    a->why = why;
    kill(-a->pid, SIGTERM);
    if (!a->timer_inited) {
        uv_timer_init(base->loop, &a->kill_timer);
        a->kill_timer.data = a;
        a->timer_inited = true;
    }
    uv_timer_start(&a->kill_timer, on_kill_timer, (uint64_t)a->grace_ms, 0);
    return 0;
}

static void local_info(struct jc_executor *base, struct jc_attempt *a,
                       struct jc_attempt_result *out)
{
    (void)base;
    out->pid = a->pid;
    out->pgid = a->pid;
    out->start_ms = a->start_ms;
    snprintf(out->executor, sizeof(out->executor), "local");
    out->remote_run_id[0] = '\0';
}

static void ex_close_cb(uv_handle_t *h)
{
    struct local_ex *ex = h->data;

    if (--ex->nhandles == 0)
        free(ex);
}

static void ex_release_fds(struct local_ex *ex)
{
    size_t i;

    if (ex->devnull >= 0)
        close(ex->devnull);
    if (ex->outfd >= 0)
        close(ex->outfd);
    posix_spawn_file_actions_destroy(&ex->fa);
    posix_spawnattr_destroy(&ex->attr);
    for (i = 0; i < ex->npc; i++) {
        free(ex->pc[i].name);
        free(ex->pc[i].path_env);
        free(ex->pc[i].file);
    }
    free(ex->pc);
}

static void local_destroy(struct jc_executor *base)
{
    struct local_ex *ex = (struct local_ex *)base;
    struct jc_attempt *a, *next;

    /* Attempts still running are killed and forgotten. */
    for (a = ex->head; a; a = next) {
        next = a->next;
        kill(-a->pid, SIGKILL);
        waitpid(a->pid, NULL, 0);
        if (a->timer_inited)
            uv_timer_stop(&a->kill_timer);
        free_attempt(a);
    }
    ex->head = NULL;
    ex_release_fds(ex);
    ex->nhandles = 1;
    ex->ep_poll.data = ex;
    uv_close((uv_handle_t *)&ex->ep_poll, ex_close_cb);
    close(ex->ep);
    if (!ex->use_pidfd) {
        ex->nhandles++;
        uv_signal_stop(&ex->sigchld);
        uv_close((uv_handle_t *)&ex->sigchld, ex_close_cb);
    }
}

static const struct jc_executor_ops local_ops = {
    "local", local_start, local_stop, local_info, local_destroy,
};

int jc_executor_local_new(struct jc_executor **out, uv_loop_t *loop)
{
    struct local_ex *ex = ju_xcalloc(1, sizeof(*ex));
    sigset_t none, all;
    int probe, rc;

    ex->base.ops = &local_ops;
    ex->base.loop = loop;
    ex->base.impl = ex;
    ex->devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    ex->outfd = ex->devnull >= 0 ? fcntl(ex->devnull, F_DUPFD_CLOEXEC, 3) : -1;
    ex->ep = epoll_create1(EPOLL_CLOEXEC);
    if (ex->devnull < 0 || ex->outfd < 0 || ex->ep < 0) {
        rc = jc_err_set(JC_EIO, "cannot set up the local executor: %s",
                        strerror(errno));
        if (ex->devnull >= 0)
            close(ex->devnull);
        if (ex->outfd >= 0)
            close(ex->outfd);
        if (ex->ep >= 0)
            close(ex->ep);
        free(ex);
        return rc;
    }
    posix_spawn_file_actions_init(&ex->fa);
    posix_spawn_file_actions_adddup2(&ex->fa, ex->devnull, 0);
    posix_spawn_file_actions_adddup2(&ex->fa, ex->outfd, 1);
    posix_spawn_file_actions_adddup2(&ex->fa, ex->outfd, 2);
    posix_spawnattr_init(&ex->attr);
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&ex->attr, &none);
    posix_spawnattr_setsigdefault(&ex->attr, &all);
    /*
     * A new process group (pgid = pid), not a new session: setsid() would
     * also create a scheduler autogroup per task, costly to set up and
     * tear down at thousands of tasks. Tasks stay out of the terminal's
     * foreground group either way (Ctrl-C reaches only jobctl).
     */
    posix_spawnattr_setpgroup(&ex->attr, 0);
    posix_spawnattr_setflags(&ex->attr, POSIX_SPAWN_SETPGROUP |
                                            POSIX_SPAWN_SETSIGMASK |
                                            POSIX_SPAWN_SETSIGDEF);
    /* pidfd_open (Linux 5.3): exits arrive on the epoll set. */
    probe = (int)syscall(SYS_pidfd_open, getpid(), 0);
    ex->use_pidfd = probe >= 0 && !getenv("JOBCTL_NO_PIDFD");
    if (probe >= 0)
        close(probe);
    uv_poll_init(loop, &ex->ep_poll, ex->ep);
    ex->ep_poll.data = ex;
    uv_poll_start(&ex->ep_poll, UV_READABLE, on_ep);
    uv_unref((uv_handle_t *)&ex->ep_poll);
    if (!ex->use_pidfd) {
        uv_signal_init(loop, &ex->sigchld);
        ex->sigchld.data = ex;
        rc = uv_signal_start(&ex->sigchld, on_sigchld, SIGCHLD);
        if (rc) {
            ex_release_fds(ex);
            ex->nhandles = 2;
            uv_close((uv_handle_t *)&ex->ep_poll, ex_close_cb);
            close(ex->ep);
            uv_close((uv_handle_t *)&ex->sigchld, ex_close_cb);
            return jc_err_set(JC_EIO, "cannot watch SIGCHLD: %s",
                              uv_strerror(rc));
        }
        uv_unref((uv_handle_t *)&ex->sigchld);
    }
    *out = &ex->base;
    return 0;
}

const char *jc_attempt_outcome_name(enum jc_attempt_outcome o)
{
    switch (o) {
    case JC_ATTEMPT_SUCCESS: return "SUCCESS";
    case JC_ATTEMPT_FAILED: return "FAILED";
    case JC_ATTEMPT_RETRYABLE: return "RETRYABLE";
    case JC_ATTEMPT_TIMEDOUT: return "TIMEDOUT";
    case JC_ATTEMPT_CANCELED: return "CANCELED";
    case JC_ATTEMPT_START_FAILED: return "START_FAILED";
    case JC_ATTEMPT_INTERNAL_ERROR: return "INTERNAL_ERROR";
    }
    return "UNKNOWN";
}
