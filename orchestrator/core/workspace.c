/*
 * workspace.c: local resolution of notebook_task.notebook_path and
 * spark_python_task.python_file: the basename, with or without its
 * extension (also .py, .sh), looked up in the workspace directory.
 * .py runs with python3, .sh with sh, another executable file is exec'd.
 */
#include "core/run_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "util/mem.h"

void jc_strv_free(char **v)
{
    size_t i;

    if (!v)
        return;
    for (i = 0; v[i]; i++)
        free(v[i]);
    free(v);
}

static bool has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);

    return a >= b && !strcmp(s + a - b, suf);
}

static int regular(const char *path)
{
    struct stat st;

    return !stat(path, &st) && S_ISREG(st.st_mode);
}

static int make_argv(char *path, char ***argv, size_t *n)
{
    char **v = ju_xcalloc(3, sizeof(*v));

    if (has_suffix(path, ".py")) {
        v[0] = ju_xstrdup("python3");
        v[1] = path;
        *n = 2;
    } else if (has_suffix(path, ".sh")) {
        v[0] = ju_xstrdup("sh");
        v[1] = path;
        *n = 2;
    } else if (!access(path, X_OK)) {
        v[0] = path;
        *n = 1;
    } else {
        free(v);
        jc_err_set(JC_EINVAL, "workspace file '%s' is not executable and "
                              "has no .py or .sh extension", path);
        free(path);
        return JC_EINVAL;
    }
    *argv = v;
    return 0;
}

int jc_workspace_resolve(const char *workspace, const char *path,
                         char ***argv, size_t *n)
{
    static const char *const exts[] = {"", ".py", ".sh"};
    const char *base;
    char *stem, *dot;
    size_t i;

    *argv = NULL;
    *n = 0;
    if (!path || !*path)
        return jc_err_set(JC_EINVAL, "empty workspace path");
    if (!workspace || !*workspace)
        workspace = "jobs/workspace";
    base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (!*base)
        return jc_err_set(JC_EINVAL, "workspace path '%s' has no file name",
                          path);
    stem = ju_xstrdup(base);
    dot = strrchr(stem, '.');
    /* As given first, then with extensions, then without the extension. */
    for (i = 0; i < 3; i++) {
        char *p = ju_xasprintf("%s/%s%s", workspace, base, exts[i]);
        if (regular(p)) {
            free(stem);
            return make_argv(p, argv, n);
        }
        free(p);
    }
    if (dot && dot != stem) {
        *dot = '\0';
        for (i = 0; i < 3; i++) {
            char *p = ju_xasprintf("%s/%s%s", workspace, stem, exts[i]);
            if (regular(p)) {
                free(stem);
                return make_argv(p, argv, n);
            }
            free(p);
        }
    }
    free(stem);
    return jc_err_set(JC_ENOTFOUND,
                      "'%s' not found in workspace '%s' (looked for '%s' with "
                      "and without extension)", path, workspace, base);
}
