/*
 * fs_ops.c: file system primitives for the Delta layer: put-if-absent
 * creation (link(2), then renameat2 RENAME_NOREPLACE, then O_EXCL),
 * atomic replace, fsync of directories, whole-file reads, UUIDs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "delta_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/mem.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int lake_fs_mkdirs(const char *path)
{
    char *p = ju_xstrdup(path);
    size_t i;
    size_t n = strlen(p);

    for (i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char save = p[i];

            p[i] = '\0';
            if (mkdir(p, 0755) < 0 && errno != EEXIST) {
                int e = errno;

                free(p);
                return jc_err_set(JC_EIO, "cannot create directory '%s': %s",
                                  path, strerror(e));
            }
            p[i] = save;
        }
    }
    free(p);
    return 0;
}

int lake_fs_fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
        return jc_err_set(JC_EIO, "cannot open directory '%s': %s", dir,
                          strerror(errno));
    (void)fsync(fd);
    close(fd);
    return 0;
}

int lake_fs_read_file(const char *path, size_t cap, char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf;
    size_t got = 0;

    *out = NULL;
    if (fd < 0) {
        if (errno == ENOENT)
            return jc_err_set(JC_ENOTFOUND, "cannot open '%s': %s", path,
                              strerror(errno));
        return jc_err_set(JC_EIO, "cannot open '%s': %s", path,
                          strerror(errno));
    }
    if (fstat(fd, &st) < 0) {
        close(fd);
        return jc_err_set(JC_EIO, "cannot stat '%s': %s", path,
                          strerror(errno));
    }
    if ((uint64_t)st.st_size > cap) {
        close(fd);
        return jc_err_set(JC_ETOOBIG, "'%s': file of %lld bytes exceeds %zu",
                          path, (long long)st.st_size, cap);
    }
    buf = ju_xmalloc((size_t)st.st_size + 1);
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;

            free(buf);
            close(fd);
            return jc_err_set(JC_EIO, "cannot read '%s': %s", path,
                              strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    if (len)
        *len = got;
    return 0;
}

static int write_all(int fd, const void *data, size_t n)
{
    const char *p = data;

    while (n) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');

    if (!s)
        return ju_xstrdup(".");
    if (s == path)
        return ju_xstrdup("/");
    return ju_xstrndup(path, (size_t)(s - path));
}

/* Write data to a fresh hidden temp file next to path; returns its name. */
static int write_temp(const char *path, const void *data, size_t n,
                      char **tmp_out)
{
    char *dir = dir_of(path);
    const char *base = strrchr(path, '/');
    char uuid[37];
    char *tmp;
    int fd;

    base = base ? base + 1 : path;
    lake_fs_uuid4(uuid);
    tmp = ju_xasprintf("%s/.%s.%s.tmp", dir, base, uuid);
    free(dir);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;

        jc_err_set(JC_EIO, "cannot create '%s': %s", tmp, strerror(e));
        free(tmp);
        return JC_EIO;
    }
    if (write_all(fd, data, n) < 0 || fsync(fd) < 0) {
        int e = errno;

        close(fd);
        unlink(tmp);
        jc_err_set(JC_EIO, "cannot write '%s': %s", tmp, strerror(e));
        free(tmp);
        return JC_EIO;
    }
    close(fd);
    *tmp_out = tmp;
    return 0;
}

int lake_fs_put_if_absent(const char *path, const void *data, size_t n)
{
    char *tmp = NULL;
    char *dir;
    int rc = write_temp(path, data, n, &tmp);

    if (rc)
        return rc;
    if (link(tmp, path) < 0) {
        int e = errno;

        if (e == EEXIST) {
            unlink(tmp);
            free(tmp);
            return JC_EEXIST;
        }
        /* link not supported here: try rename without replace */
        if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, path,
                    RENAME_NOREPLACE) < 0) {
            e = errno;
            if (e == EEXIST) {
                unlink(tmp);
                free(tmp);
                return JC_EEXIST;
            }
            unlink(tmp);
            free(tmp);
            {
                /* last resort: O_EXCL create then write */
                int fd =
                    open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
                if (fd < 0) {
                    if (errno == EEXIST)
                        return JC_EEXIST;
                    return jc_err_set(JC_EIO, "cannot create '%s': %s", path,
                                      strerror(errno));
                }
                if (write_all(fd, data, n) < 0 || fsync(fd) < 0) {
                    close(fd);
                    return jc_err_set(JC_EIO, "cannot write '%s': %s", path,
                                      strerror(errno));
                }
                close(fd);
            }
            dir = dir_of(path);
            lake_fs_fsync_dir(dir);
            free(dir);
            return 0;
        }
        free(tmp);
        dir = dir_of(path);
        lake_fs_fsync_dir(dir);
        free(dir);
        return 0;
    }
    unlink(tmp);
    free(tmp);
    dir = dir_of(path);
    lake_fs_fsync_dir(dir);
    free(dir);
    return 0;
}

int lake_fs_write_replace(const char *path, const void *data, size_t n)
{
    char *tmp = NULL;
    char *dir;
    int rc = write_temp(path, data, n, &tmp);

    if (rc)
        return rc;
    if (rename(tmp, path) < 0) {
        int e = errno;

        unlink(tmp);
        free(tmp);
        return jc_err_set(JC_EIO, "cannot rename into '%s': %s", path,
                          strerror(e));
    }
    free(tmp);
    dir = dir_of(path);
    lake_fs_fsync_dir(dir);
    free(dir);
    return 0;
}

void lake_fs_uuid4(char out[37])
{
    unsigned char b[16];
    size_t got = 0;
    int i;
    char *p = out;

    while (got < sizeof(b)) {
        ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

        if (r <= 0) {
            /* extremely unlikely; fall back to time + pid mixing */
            uint64_t x =
                (uint64_t)lake_fs_now_ms() ^ ((uint64_t)getpid() << 32);
            for (; got < sizeof(b); got++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                b[got] = (unsigned char)(x >> 56);
            }
            break;
        }
        got += (size_t)r;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    for (i = 0; i < 16; i++) {
        static const char hx[] = "0123456789abcdef";

        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hx[b[i] >> 4];
        *p++ = hx[b[i] & 15];
    }
    *p = '\0';
}

int64_t lake_fs_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lake_fs_mtime_ms(const char *path, int64_t *ms)
{
    struct stat st;

    if (stat(path, &st) < 0) {
        if (errno == ENOENT)
            return JC_ENOTFOUND;
        return jc_err_set(JC_EIO, "cannot stat '%s': %s", path,
                          strerror(errno));
    }
    *ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
    return 0;
}
