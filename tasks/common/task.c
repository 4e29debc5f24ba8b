/*
 * task.c: task protocol helpers (parameters, lake root, task values,
 * clocks) shared by the pipeline programs. See taskcommon/task.h.
 */
#include "taskcommon/task.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/log.h"
#include "util/mem.h"

static const char *param_env(const char *name)
{
    char key[128];
    size_t i, n = strlen(name);
    int len;

    if (n > 100)
        return NULL;
    len = snprintf(key, sizeof(key), "JOBCTL_PARAM_");
    for (i = 0; i < n; i++) {
        char c = name[i];
        key[len++] = c == '-' ? '_' : (char)toupper((unsigned char)c);
    }
    key[len] = '\0';
    return getenv(key);
}

/* Option names match with '-' and '_' treated alike (job parameters are
 * often spelled batch_size). */
static int name_eq(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char x = a[i] == '_' ? '-' : a[i];
        char y = b[i] == '_' ? '-' : b[i];
        if (x != y || !x)
            return 0;
    }
    return 1;
}

const char *task_param(int argc, char **argv, const char *name)
{
    const char *found = NULL;
    size_t n = strlen(name);
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-' || !name_eq(a + 2, name, n))
            continue;
        if (a[2 + n] == '=')
            found = a + 3 + n;
        else if (a[2 + n] == '\0')
            found = i + 1 < argc && strncmp(argv[i + 1], "--", 2) ? argv[i + 1]
                                                                  : "";
    }
    if (found)
        return found;
    return param_env(name);
}

int task_flag(int argc, char **argv, const char *name)
{
    const char *v = task_param(argc, argv, name);

    if (!v)
        return 0;
    return !*v || !strcmp(v, "1") || !strcasecmp(v, "true") ||
           !strcasecmp(v, "yes");
}

int task_param_long(int argc, char **argv, const char *name, long def, long min,
                    long max, long *out)
{
    const char *v = task_param(argc, argv, name);
    char *end;
    long x;

    if (!v || !*v) {
        *out = def;
        return 0;
    }
    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || *end || x < min || x > max)
        return jc_err_set(JC_EINVAL,
                          "invalid --%s '%s' (want an integer %ld..%ld)", name,
                          v, min, max);
    *out = x;
    return 0;
}

int task_param_double(int argc, char **argv, const char *name, double def,
                      double min, double max, double *out)
{
    const char *v = task_param(argc, argv, name);
    char *end;
    double x;

    if (!v || !*v) {
        *out = def;
        return 0;
    }
    errno = 0;
    x = strtod(v, &end);
    if (errno || *end || !isfinite(x) || x < min || x > max)
        return jc_err_set(JC_EINVAL, "invalid --%s '%s' (want %g..%g)", name, v,
                          min, max);
    *out = x;
    return 0;
}

int task_check_args(int argc, char **argv, const char *const *known)
{
    return task_check_args_ex(argc, argv, known, 1);
}

int task_check_args_ex(int argc, char **argv, const char *const *known,
                       int strict)
{
    int i;

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        size_t k, n;
        int ok = 0;

        if (a[0] != '-' || a[1] != '-') {
            if (i > 1 && !strncmp(argv[i - 1], "--", 2) &&
                !strchr(argv[i - 1], '='))
                continue; /* the value of "--name value" */
            return jc_err_set(JC_EINVAL, "unexpected argument '%s'", a);
        }
        n = strcspn(a + 2, "=");
        for (k = 0; known[k]; k++) {
            if (strlen(known[k]) == n && name_eq(a + 2, known[k], n)) {
                ok = 1;
                break;
            }
        }
        if (!ok && strict)
            return jc_err_set(JC_EINVAL, "unknown option '%.*s'", (int)n + 2,
                              a);
        if (!ok)
            log_warn("ignoring unknown parameter '%.*s'", (int)n + 2, a);
    }
    return 0;
}

char *task_home(void)
{
    const char *h = getenv("JOBCTL_HOME");

    return ju_xstrdup(h && *h ? h : "./.jobctl");
}

char *task_lake(void)
{
    const char *l = getenv("JOBCTL_LAKE");
    char *home, *r;

    if (l && *l)
        return ju_xstrdup(l);
    home = task_home();
    r = ju_xasprintf("%s/lake", home);
    free(home);
    return r;
}

char *task_table_path(const char *table)
{
    char *lake = task_lake();
    char *r = ju_xasprintf("%s/%s", lake, table);

    free(lake);
    return r;
}

int task_value_set(const char *name, const char *value)
{
    const char *path = getenv("JOBCTL_TASK_VALUES");
    char *line;
    int fd;
    size_t n;
    ssize_t w;

    if (!path || !*path)
        return 0;
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return jc_err_set(JC_EIO, "cannot open '%s': %s", path,
                          strerror(errno));
    line = ju_xasprintf("%s=%s\n", name, value);
    n = strlen(line);
    w = write(fd, line, n);
    free(line);
    close(fd);
    if (w != (ssize_t)n)
        return jc_err_set(JC_EIO, "cannot write '%s'", path);
    return 0;
}

int task_mkdirs(const char *path)
{
    char *p = ju_xstrdup(path);
    char *s;

    for (s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) && errno != EEXIST) {
            int e = errno;
            jc_err_set(JC_EIO, "cannot create '%s': %s", p, strerror(e));
            free(p);
            return JC_EIO;
        }
        *s = '/';
    }
    if (mkdir(p, 0755) && errno != EEXIST) {
        int e = errno;
        jc_err_set(JC_EIO, "cannot create '%s': %s", p, strerror(e));
        free(p);
        return JC_EIO;
    }
    free(p);
    return 0;
}

int64_t task_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double task_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void task_fmt_ts(int64_t us, char *buf, size_t n)
{
    time_t secs = (time_t)(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
    int64_t frac = us - (int64_t)secs * 1000000;
    struct tm tm;

    gmtime_r(&secs, &tm);
    snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(frac / 1000));
}
