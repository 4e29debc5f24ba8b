/*
 * fuzz_refs.c: fuzz target for the run engine's small parsers: dynamic
 * value references ({{ ... }}, back-quoted names), the task values file
 * (name=value and JSON lines) and condition_task operands.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/run_int.h"
#include "jobctl/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lookup(void *arg, char **seg, size_t n, char **val)
{
    (void)arg;
    if (!strcmp(seg[0], "job") && n == 2) {
        *val = strdup(seg[1]);
        return 0;
    }
    if (!strcmp(seg[0], "tasks"))
        return jc_err_set(JC_ENOTFOUND, "no such task value");
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text, *out = NULL;
    char path[] = "/tmp/jc-fuzz-tv-XXXXXX";
    struct jc_tv *vals;
    size_t n, half;
    const char *outcome;
    int fd;

    if (size > (1u << 20))
        return 0;
    text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    if (jc_refs_expand(text, lookup, NULL, &out) == 0 && !out)
        abort();
    free(out);
    half = strlen(text) / 2;
    {
        char *l = strndup(text, half);
        jc_condition_eval("GREATER_THAN", l, text + half, &outcome);
        jc_condition_eval("EQUAL_TO", l, text + half, &outcome);
        free(l);
    }
    fd = mkstemp(path);
    if (fd >= 0) {
        if (write(fd, data, size) == (ssize_t)size &&
            jc_taskvalues_read(path, &vals, &n) == 0)
            jc_tvs_free(vals, n);
        close(fd);
        unlink(path);
    }
    free(text);
    return 0;
}
