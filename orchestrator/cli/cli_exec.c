/*
 * cli_exec.c: exec a program that sits next to the running jobctl
 * (/proc/self/exe), with the same arguments and no shell, so the
 * orchestrator itself never links what that program needs (librdkafka).
 */
#include "cli/cli_exec.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/mem.h"

int jc_cli_exec_sibling(const char *name, int argc, char **argv)
{
    char self[PATH_MAX], *slash, *prog;
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char **args;
    int i;

    if (n <= 0) {
        fprintf(stderr, "jobctl: cannot resolve /proc/self/exe: %s\n",
                strerror(errno));
        return 1;
    }
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash)
        *slash = '\0';
    prog = ju_xasprintf("%s/%s", self, name);
    args = ju_xcalloc((size_t)argc + 1, sizeof(*args));
    args[0] = prog;
    for (i = 1; i < argc; i++)
        args[i] = argv[i];
    fflush(stdout);
    fflush(stderr);
    execv(prog, args);
    fprintf(stderr, "jobctl: cannot run '%s': %s\n", prog, strerror(errno));
    free(args);
    free(prog);
    return 1;
}
