/*
 * spec.c: loading job definitions into struct jc_job. Reads the file,
 * detects the input shape (get-job response, JobSettings / jobs/create
 * body, runs/submit body, jobs/list response, bundle YAML or JSON) and
 * hands the settings to spec_model.c; locations and diagnostics are
 * spec_loc.c, YAML and bundles yaml.c and bundle.c.
 */
#include "jobctl/spec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/spec_int.h"
#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define SPEC_MAX_FILE (64u * 1024u * 1024u)

/* ---- shape detection -------------------------------------------------- */

static bool looks_like_yaml(const char *name, const char *text, size_t len)
{
    size_t i;
    size_t nl = name ? strlen(name) : 0;

    if (nl >= 4 && !strcmp(name + nl - 4, ".yml"))
        return true;
    if (nl >= 5 && !strcmp(name + nl - 5, ".yaml"))
        return true;
    if (nl >= 5 && !strcmp(name + nl - 5, ".json"))
        return false;
    for (i = 0; i < len; i++) {
        char ch = text[i];

        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
            continue;
        return ch != '{' && ch != '[';
    }
    return false;
}

static int load_doc(struct jc_job **out, json_t *doc, const char *name,
                    const struct jc_spec_load_opts *opts,
                    struct jc_spec_priv *p, struct jc_diags *diags)
{
    struct jc_src_loc loc = {name, 0, 0};
    json_t *settings = NULL;
    int64_t job_id = 0;
    char *job_key = NULL;
    int rc;

    if (!json_is_object(doc)) {
        jc_spec__loc_get(p, doc, &loc);
        jc_diags_add(diags, &loc, "job file must contain an object");
        rc = jc_err_set(JC_EPARSE, "%s: job file must contain an object", name);
        jc_spec__priv_free(p);
        return rc;
    }
    if (json_is_object(json_object_get(doc, "settings"))) {
        json_t *id = json_object_get(doc, "job_id");

        settings = json_incref(json_object_get(doc, "settings"));
        if (json_is_integer(id))
            job_id = json_integer_value(id);
    } else if (json_is_array(json_object_get(doc, "jobs"))) {
        json_t *jobs = json_object_get(doc, "jobs");
        size_t i;

        for (i = 0; i < json_array_size(jobs); i++) {
            json_t *j = json_array_get(jobs, i);
            json_t *s = json_object_get(j, "settings");
            json_t *nm = json_object_get(s, "name");

            if (!json_is_object(s))
                continue;
            if (opts && opts->job_key &&
                (!json_is_string(nm) ||
                 strcmp(json_string_value(nm), opts->job_key)))
                continue;
            settings = json_incref(s);
            if (json_is_integer(json_object_get(j, "job_id")))
                job_id = json_integer_value(json_object_get(j, "job_id"));
            break;
        }
        if (!settings) {
            jc_diags_add(diags, &loc,
                         opts && opts->job_key
                             ? "no job named '%s' in 'jobs'"
                             : "no job with 'settings' in 'jobs'%s",
                         opts && opts->job_key ? opts->job_key : "");
            rc = jc_err_set(JC_EPARSE, "%s: no job found in 'jobs'", name);
            jc_spec__priv_free(p);
            return rc;
        }
    } else if (json_object_get(doc, "tasks")) {
        settings = json_incref(doc);
    } else if (json_is_object(json_object_get(doc, "resources")) ||
               json_object_get(doc, "bundle")) {
        rc = jc_bundle__resolve(&settings, &job_key, doc, name, opts, p, diags);
        if (rc < 0) {
            jc_spec__priv_free(p);
            return rc;
        }
    } else {
        jc_diags_add(diags, &loc,
                     "cannot tell the job format: expected 'settings', "
                     "'tasks', 'jobs' or 'resources' at the top level");
        rc = jc_err_set(JC_EPARSE, "%s: unknown job format", name);
        jc_spec__priv_free(p);
        return rc;
    }
    rc = jc_spec__build(out, doc, settings, job_id, name, p);
    json_decref(settings);
    if (rc == 0)
        (*out)->bundle_job_key = job_key;
    else
        free(job_key);
    return rc;
}

int jc_spec_load_buffer(struct jc_job **out, const char *text, size_t len,
                        const char *name, const struct jc_spec_load_opts *opts,
                        struct jc_diags *diags)
{
    struct jc_spec_priv *p;
    const char *fname;
    json_t *doc = NULL;
    int rc;

    *out = NULL;
    if (!name)
        name = "<input>";
    if (len > SPEC_MAX_FILE) {
        struct jc_src_loc loc = {name, 0, 0};

        jc_diags_add(diags, &loc, "file is larger than %u bytes",
                     SPEC_MAX_FILE);
        return jc_err_set(JC_ETOOBIG, "'%s' is too large", name);
    }
    /* a UTF-8 byte order mark is not JSON; editors on Windows add one */
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
        text += 3;
        len -= 3;
    }
    p = jc_spec__priv_new();
    fname = jc_spec__intern_file(p, name);
    if (looks_like_yaml(name, text, len)) {
        rc = jc_yaml__load(&doc, text, len, fname, p, diags);
        if (rc < 0) {
            jc_spec__priv_free(p);
            return rc;
        }
    } else {
        json_error_t e;

        doc =
            json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &e);
        if (!doc) {
            struct jc_src_loc loc = {fname, e.line > 0 ? e.line : 1,
                                     e.column > 0 ? e.column : 1};

            jc_diags_add(diags, &loc, "%s", e.text);
            rc = jc_err_set(JC_EPARSE, "%s:%d:%d: %s", name, loc.line, loc.col,
                            e.text);
            jc_spec__priv_free(p);
            return rc;
        }
        /* bundles are rewritten while resolving: locate everything now */
        jc_spec__index_json(p, fname, text, len, doc,
                            !json_is_object(doc) ||
                                json_object_get(doc, "resources") ||
                                json_object_get(doc, "bundle"));
    }
    rc = load_doc(out, doc, fname, opts, p, diags);
    json_decref(doc);
    return rc;
}

int jc_spec_load_file(struct jc_job **out, const char *path,
                      const struct jc_spec_load_opts *opts,
                      struct jc_diags *diags)
{
    struct jc_src_loc loc = {path, 0, 0};
    struct ju_buf b = JU_BUF_INIT;
    struct stat st;
    FILE *f;
    char chunk[65536];
    size_t n;
    int rc;

    *out = NULL;
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;

        jc_diags_add(diags, &loc, "cannot open: %s", strerror(e));
        return jc_err_set(e == ENOENT ? JC_ENOTFOUND : JC_EIO,
                          "cannot open '%s': %s", path, strerror(e));
    }
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        jc_diags_add(diags, &loc, "is a directory");
        return jc_err_set(JC_EIO, "cannot read '%s': is a directory", path);
    }
    ju_buf_init(&b, SPEC_MAX_FILE);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ju_buf_add(&b, chunk, n) < 0) {
            fclose(f);
            ju_buf_release(&b);
            jc_diags_add(diags, &loc, "file is larger than %u bytes",
                         SPEC_MAX_FILE);
            return jc_err_set(JC_ETOOBIG, "'%s' is too large", path);
        }
    }
    if (ferror(f)) {
        int e = errno;

        fclose(f);
        ju_buf_release(&b);
        jc_diags_add(diags, &loc, "cannot read: %s", strerror(e));
        return jc_err_set(JC_EIO, "cannot read '%s': %s", path, strerror(e));
    }
    fclose(f);
    rc = jc_spec_load_buffer(out, b.data ? b.data : "", b.len, path, opts,
                             diags);
    ju_buf_release(&b);
    return rc;
}
