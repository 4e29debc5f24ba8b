/*
 * testsupport.c: see testsupport.h.
 */
#include "testsupport.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mem.h"

char *jt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *p = ju_xasprintf("%s/jobctl-test-XXXXXX", base ? base : "/tmp");

    if (!mkdtemp(p)) {
        fprintf(stderr, "mkdtemp failed: %s\n", strerror(errno));
        abort();
    }
    return p;
}

static int rm_cb(const char *path, const struct stat *st, int flag,
                 struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void jt_rmtree(const char *path)
{
    nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkparents(const char *path)
{
    char *p = ju_xstrdup(path);
    char *s;

    for (s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            mkdir(p, 0755);
            *s = '/';
        }
    }
    free(p);
}

void jt_write_file(const char *path, const char *content)
{
    FILE *f;

    mkparents(path);
    f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(content, 1, strlen(content), f);
    fclose(f);
}

char *jt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = ju_xmalloc((size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static const char *env_or(const char *k, const char *dflt)
{
    const char *v = getenv(k);

    return v && *v ? v : dflt;
}

const char *jt_source_dir(void)
{
    return env_or("JOBCTL_SOURCE_DIR", ".");
}

const char *jt_shared_dir(void)
{
    return env_or("JOBCTL_SHARED_DIR", "../shared");
}

const char *jt_bin_dir(void)
{
    return env_or("JOBCTL_BIN_DIR", ".");
}
