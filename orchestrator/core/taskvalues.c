/*
 * taskvalues.c: reading the file a task writes through $JOBCTL_TASK_VALUES
 * ("name=value" lines, or JSON lines {"key": k, "value": v} as in
 * jobs-api.md 6), with the 48 KiB per-value and 1 MiB per-file caps.
 */
#include "core/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/mem.h"

#define TV_MAX_VALUE (48 * 1024)
#define TV_MAX_FILE (1024 * 1024)

void jc_tvs_free(struct jc_tv *v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(v[i].key);
        free(v[i].value);
    }
    free(v);
}

static void put(struct jc_tv **vals, size_t *n, size_t *alloc, char *key,
                char *value)
{
    size_t i;

    for (i = 0; i < *n; i++) {
        if (!strcmp((*vals)[i].key, key)) {
            free((*vals)[i].value);
            (*vals)[i].value = value;
            free(key);
            return;
        }
    }
    JU_ALLOC_GROW(*vals, *n + 1, *alloc);
    (*vals)[*n].key = key;
    (*vals)[*n].value = value;
    (*n)++;
}

static int parse_json_line(const char *line, size_t lineno, const char *path,
                           char **key, char **value)
{
    json_error_t jerr;
    json_t *j = json_loads(line, 0, &jerr);
    json_t *k, *v;

    if (!j || !json_is_object(j) || !json_is_string(k = json_object_get(j, "key")) ||
        !(v = json_object_get(j, "value"))) {
        json_decref(j);
        return jc_err_set(JC_EPARSE, "%s:%zu: expected {\"key\": ..., "
                          "\"value\": ...}", path, lineno);
    }
    *key = ju_xstrdup(json_string_value(k));
    if (json_is_string(v))
        *value = ju_xstrdup(json_string_value(v));
    else
        *value = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(j);
    if (!*value) {
        free(*key);
        return jc_err_set(JC_EPARSE, "%s:%zu: bad value", path, lineno);
    }
    return 0;
}

int jc_taskvalues_read(const char *path, struct jc_tv **out, size_t *n)
{
    FILE *f;
    char *buf;
    size_t len, alloc = 0, lineno = 0;
    char *line, *save = NULL;
    int rc = 0, fd;

    *out = NULL;
    *n = 0;
    /* Most tasks set no values: one failed open(2), no FILE allocated. */
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0
                               : jc_err_set(JC_EIO, "cannot read '%s': %s",
                                            path, strerror(errno));
    f = fdopen(fd, "r");
    if (!f) {
        close(fd);
        return jc_err_set(JC_EIO, "cannot read '%s': %s", path,
                          strerror(errno));
    }
    buf = ju_xmalloc(TV_MAX_FILE + 2);
    len = fread(buf, 1, TV_MAX_FILE + 1, f);
    fclose(f);
    if (len > TV_MAX_FILE) {
        free(buf);
        return jc_err_set(JC_ETOOBIG, "task values file '%s' is over 1 MiB",
                          path);
    }
    buf[len] = '\0';
    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char *key = NULL, *value = NULL, *eq;
        size_t l;

        lineno++;
        l = strlen(line);
        if (l && line[l - 1] == '\r')
            line[--l] = '\0';
        if (!l || line[0] == '#')
            continue;
        if (line[0] == '{') {
            if ((rc = parse_json_line(line, lineno, path, &key, &value)))
                break;
        } else {
            eq = strchr(line, '=');
            if (!eq || eq == line) {
                rc = jc_err_set(JC_EPARSE, "%s:%zu: expected name=value", path,
                                lineno);
                break;
            }
            key = ju_xstrndup(line, (size_t)(eq - line));
            value = ju_xstrdup(eq + 1);
        }
        if (strlen(value) > TV_MAX_VALUE) {
            rc = jc_err_set(JC_ETOOBIG, "%s:%zu: task value '%s' is over "
                            "48 KiB", path, lineno, key);
            free(key);
            free(value);
            break;
        }
        put(out, n, &alloc, key, value);
    }
    free(buf);
    if (rc) {
        jc_tvs_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}
