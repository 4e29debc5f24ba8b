/*
 * bundle.c: Databricks Asset Bundle resolution on the converted document:
 * include: globs, target selection (-t or default: true), target
 * overrides deep-merged (tasks by task_key, job_clusters by
 * job_cluster_key, parameters by name), variables (--var > BUNDLE_VAR_x >
 * target > default) and ${var.x} / ${bundle.*} / ${workspace.*}
 * interpolation, then picks resources.jobs.<key>.
 */
#include "core/spec_int.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define BUNDLE_MAX_INCLUDES 200
#define BUNDLE_MAX_VAR_DEPTH 10

struct bctx {
    json_t *root;
    const char *root_path;
    const char *target;
    json_t *vars; /* name -> value (resolved lazily) */
    const struct jc_spec_load_opts *opts;
    struct jc_spec_priv *p;
    struct jc_diags *diags;
    int failed;
};

static void berr(struct bctx *c, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void berr(struct bctx *c, const json_t *node, const char *fmt, ...)
{
    struct jc_src_loc loc = {c->root_path, 0, 0};
    char msg[512];
    va_list ap;

    if (node)
        jc_spec__loc_get(c->p, node, &loc);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jc_diags_add(c->diags, &loc, "%s", msg);
    c->failed = 1;
}

/* ---- merging ---------------------------------------------------------- */

static const char *merge_id_key(const char *array_key)
{
    if (!array_key)
        return NULL;
    if (!strcmp(array_key, "tasks"))
        return "task_key";
    if (!strcmp(array_key, "job_clusters"))
        return "job_cluster_key";
    if (!strcmp(array_key, "parameters"))
        return "name";
    if (!strcmp(array_key, "environments"))
        return "environment_key";
    return NULL;
}

/* Merge over into base; returns the merged value (new reference). */
static json_t *merge_value(json_t *base, json_t *over, const char *key)
{
    const char *idk = merge_id_key(key);

    if (json_is_object(base) && json_is_object(over)) {
        const char *k;
        json_t *v;

        json_object_foreach(over, k, v)
        {
            json_t *m = merge_value(json_object_get(base, k), v, k);

            json_object_set_new(base, k, m);
        }
        return json_incref(base);
    }
    if (idk && json_is_array(base) && json_is_array(over)) {
        size_t i, j;

        for (i = 0; i < json_array_size(over); i++) {
            json_t *o = json_array_get(over, i);
            json_t *oid = json_object_get(o, idk);
            bool done = false;

            for (j = 0; json_is_string(oid) && j < json_array_size(base); j++) {
                json_t *b = json_array_get(base, j);
                json_t *bid = json_object_get(b, idk);

                if (json_is_string(bid) &&
                    !strcmp(json_string_value(bid), json_string_value(oid))) {
                    json_array_set_new(base, j, merge_value(b, o, NULL));
                    done = true;
                    break;
                }
            }
            if (!done)
                json_array_append(base, o);
        }
        return json_incref(base);
    }
    return json_incref(over);
}

/* ---- includes --------------------------------------------------------- */

static int read_file(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct ju_buf b = JU_BUF_INIT;
    char chunk[16384];
    size_t n;

    if (!f)
        return JC_EIO;
    ju_buf_init(&b, 64u * 1024u * 1024u);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (ju_buf_add(&b, chunk, n) < 0) {
            fclose(f);
            ju_buf_release(&b);
            return JC_ETOOBIG;
        }
    }
    fclose(f);
    *out = ju_buf_detach(&b, len);
    return 0;
}

static void do_includes(struct bctx *c)
{
    json_t *inc = json_object_get(c->root, "include");
    char dir[4096];
    const char *slash;
    size_t i, total = 0;

    if (!inc || json_is_null(inc))
        return;
    if (!json_is_array(inc)) {
        berr(c, inc, "'include' must be a list of glob patterns");
        return;
    }
    slash = c->root_path ? strrchr(c->root_path, '/') : NULL;
    if (slash)
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - c->root_path),
                 c->root_path);
    else
        snprintf(dir, sizeof(dir), ".");
    for (i = 0; i < json_array_size(inc) && !c->failed; i++) {
        json_t *pat = json_array_get(inc, i);
        char full[8192];
        glob_t g;
        size_t k;
        int grc;

        if (!json_is_string(pat)) {
            berr(c, pat, "'include' entries must be strings");
            return;
        }
        if (json_string_value(pat)[0] == '/')
            snprintf(full, sizeof(full), "%s", json_string_value(pat));
        else
            snprintf(full, sizeof(full), "%s/%s", dir, json_string_value(pat));
        memset(&g, 0, sizeof(g));
        grc = glob(full, 0, NULL, &g);
        if (grc == GLOB_NOMATCH || (grc == 0 && g.gl_pathc == 0)) {
            berr(c, pat, "include '%s' matched no files",
                 json_string_value(pat));
            globfree(&g);
            return;
        }
        if (grc != 0) {
            berr(c, pat, "include '%s': cannot expand the pattern",
                 json_string_value(pat));
            globfree(&g);
            return;
        }
        for (k = 0; k < g.gl_pathc && !c->failed; k++) {
            const char *fname = jc_spec__intern_file(c->p, g.gl_pathv[k]);
            char *text = NULL;
            size_t len = 0;
            json_t *doc = NULL, *m;
            int rc;

            if (++total > BUNDLE_MAX_INCLUDES) {
                berr(c, pat, "more than %d included files",
                     BUNDLE_MAX_INCLUDES);
                break;
            }
            if (read_file(fname, &text, &len) < 0) {
                berr(c, pat, "cannot read included file '%s'", fname);
                break;
            }
            rc = jc_yaml__load(&doc, text, len, fname, c->p, c->diags);
            free(text);
            if (rc < 0) {
                c->failed = 1;
                break;
            }
            if (!json_is_object(doc)) {
                berr(c, doc, "included file must contain a mapping");
                json_decref(doc);
                break;
            }
            json_object_del(doc, "include"); /* one level only */
            m = merge_value(c->root, doc, NULL);
            json_decref(m);
            json_decref(doc);
        }
        globfree(&g);
    }
}

/* ---- targets and variables -------------------------------------------- */

static json_t *select_target(struct bctx *c)
{
    json_t *targets = json_object_get(c->root, "targets");
    const char *k;
    json_t *v;

    if (!targets)
        targets = json_object_get(c->root, "environments");
    if (c->opts && c->opts->target) {
        json_t *t = json_object_get(targets, c->opts->target);

        if (!json_is_object(t)) {
            struct ju_buf names = JU_BUF_INIT;

            json_object_foreach(targets, k, v)
                ju_buf_addf(&names, "%s%s", names.len ? ", " : "", k);
            berr(c, targets ? targets : c->root,
                 "unknown target '%s' (defined: %s)", c->opts->target,
                 names.len ? ju_buf_str(&names) : "none");
            ju_buf_release(&names);
            return NULL;
        }
        c->target = c->opts->target;
        return t;
    }
    json_object_foreach(targets, k, v)
    {
        if (json_is_object(v) && json_is_true(json_object_get(v, "default"))) {
            c->target = k;
            return v;
        }
    }
    c->target = "default";
    return NULL;
}

static void apply_target(struct bctx *c, json_t *t)
{
    const char *k;
    json_t *v;

    json_object_foreach(t, k, v)
    {
        json_t *m;

        if (!strcmp(k, "default") || !strcmp(k, "mode") ||
            !strcmp(k, "variables") || !strcmp(k, "presets"))
            continue;
        m = merge_value(json_object_get(c->root, k), v, k);
        json_object_set_new(c->root, k, m);
    }
}

/*
 * Databricks bundle targets with `mode: development` prefix the job name
 * with "[dev <user>] " and pause its schedule and triggers, so a dev copy
 * never fires on its own (jobs-api.md 9.3).
 */
static void apply_dev_mode(json_t *target, json_t *job)
{
    static const char *const paused[] = {"schedule", "trigger", "continuous"};
    const char *mode = json_string_value(json_object_get(target, "mode"));
    const char *user = getenv("USER");
    const char *name;
    size_t i;

    if (!mode || strcmp(mode, "development"))
        return;
    for (i = 0; i < sizeof(paused) / sizeof(paused[0]); i++) {
        json_t *o = json_object_get(job, paused[i]);

        if (json_is_object(o))
            json_object_set_new(o, "pause_status", json_string("PAUSED"));
    }
    name = json_string_value(json_object_get(job, "name"));
    if (name && strncmp(name, "[dev ", 5)) {
        char *n = ju_xasprintf("[dev %s] %s", user && *user ? user : "local",
                               name);

        json_object_set_new(job, "name", json_string(n));
        free(n);
    }
}

static void collect_vars(struct bctx *c, json_t *target)
{
    json_t *decl = json_object_get(c->root, "variables");
    json_t *tv = json_object_get(target, "variables");
    const char *k;
    json_t *v;
    size_t i;

    c->vars = json_object();
    if (decl && !json_is_object(decl)) {
        berr(c, decl, "'variables' must be a mapping");
        return;
    }
    json_object_foreach(decl, k, v)
    {
        if (json_is_object(v)) {
            json_t *d = json_object_get(v, "default");

            if (d)
                json_object_set(c->vars, k, d);
        } else {
            json_object_set(c->vars, k, v);
        }
    }
    json_object_foreach(tv, k, v)
    {
        json_t *val = v;

        if (!json_object_get(decl, k)) {
            berr(c, v, "target '%s' sets undeclared variable '%s'", c->target,
                 k);
            return;
        }
        if (json_is_object(v) && json_object_get(v, "default"))
            val = json_object_get(v, "default");
        json_object_set(c->vars, k, val);
    }
    json_object_foreach(decl, k, v)
    {
        char env[300];
        const char *e;

        snprintf(env, sizeof(env), "BUNDLE_VAR_%s", k);
        e = getenv(env);
        if (e)
            json_object_set_new(c->vars, k, json_string(e));
    }
    for (i = 0; c->opts && i < c->opts->nvars; i++) {
        const char *eq = strchr(c->opts->vars[i], '=');
        char name[256];

        if (!eq || eq == c->opts->vars[i] ||
            (size_t)(eq - c->opts->vars[i]) >= sizeof(name)) {
            berr(c, NULL, "--var needs name=value, not '%s'", c->opts->vars[i]);
            return;
        }
        snprintf(name, sizeof(name), "%.*s", (int)(eq - c->opts->vars[i]),
                 c->opts->vars[i]);
        if (!json_object_get(decl, name)) {
            berr(c, NULL,
                 "--var '%s': variable is not declared in "
                 "'variables'",
                 name);
            return;
        }
        json_object_set_new(c->vars, name, json_string(eq + 1));
    }
}

/* ---- interpolation ---------------------------------------------------- */

static json_t *interp(struct bctx *c, json_t *node, int depth);

/* Length of a valid ${...} reference path at s (after "${"), 0 if none. */
static size_t ref_len(const char *s)
{
    size_t i = 0;

    for (;;) {
        size_t seg = i;

        while ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
               (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-')
            i++;
        if (i == seg)
            return 0;
        while (s[i] == '[') {
            i++;
            while (s[i] >= '0' && s[i] <= '9')
                i++;
            if (s[i] != ']')
                return 0;
            i++;
        }
        if (s[i] == '.') {
            i++;
            continue;
        }
        return s[i] == '}' ? i : 0;
    }
}

/*
 * Resolve one reference path. Returns a new reference, or NULL with
 * *keep = true when it must stay literal (remote-only values).
 */
static json_t *resolve_ref(struct bctx *c, const json_t *at, const char *path,
                           int depth, bool *keep)
{
    *keep = false;
    if (!strncmp(path, "var.", 4)) {
        const char *name = path + 4;
        json_t *v = json_object_get(c->vars, name);
        json_t *decl =
            json_object_get(json_object_get(c->root, "variables"), name);

        if (!v) {
            if (json_object_get(decl, "lookup"))
                berr(c, at,
                     "variable '%s' uses 'lookup', which needs a "
                     "workspace; set it with --var or "
                     "BUNDLE_VAR_%s",
                     name, name);
            else if (decl)
                berr(c, at,
                     "variable '%s' has no value (no default, "
                     "--var or BUNDLE_VAR_%s)",
                     name, name);
            else
                berr(c, at, "reference to undeclared variable '%s'", name);
            return NULL;
        }
        if (depth > BUNDLE_MAX_VAR_DEPTH) {
            berr(c, at, "variable '%s' refers to itself", name);
            return NULL;
        }
        return interp(c, json_deep_copy(v), depth + 1);
    }
    if (!strcmp(path, "bundle.target"))
        return json_string(c->target);
    if (!strncmp(path, "bundle.", 7) || !strncmp(path, "workspace.", 10)) {
        const char *dot = strchr(path, '.');
        char sect[16];
        json_t *v;

        snprintf(sect, sizeof(sect), "%.*s", (int)(dot - path), path);
        v = json_object_get(json_object_get(c->root, sect), dot + 1);
        if (json_is_string(v) || json_is_number(v) || json_is_boolean(v))
            return interp(c, json_deep_copy(v), depth + 1);
        if (!strncmp(path, "workspace.current_user", 22)) {
            *keep = true;
            return NULL;
        }
        berr(c, at, "cannot resolve '${%s}'", path);
        return NULL;
    }
    if (!strncmp(path, "resources.", 10)) {
        *keep = true; /* ids exist only after a deploy */
        return NULL;
    }
    berr(c, at, "cannot resolve '${%s}'", path);
    return NULL;
}

static json_t *interp_string(struct bctx *c, json_t *node, int depth)
{
    const char *s = json_string_value(node);
    struct ju_buf b = JU_BUF_INIT;
    const char *p = s;
    size_t n = strlen(s);
    json_t *res;

    /* a string that is exactly one reference takes the value's type */
    if (n > 3 && s[0] == '$' && s[1] == '{' && ref_len(s + 2) == n - 3) {
        char *path = ju_xstrndup(s + 2, n - 3);
        bool keep;

        res = resolve_ref(c, node, path, depth, &keep);
        free(path);
        if (keep)
            return json_incref(node);
        return res;
    }
    if (!strstr(s, "${"))
        return json_incref(node);
    while (*p) {
        const char *q = strstr(p, "${");
        size_t rl;
        char *path;
        json_t *v;
        bool keep;

        if (!q) {
            ju_buf_adds(&b, p);
            break;
        }
        ju_buf_add(&b, p, (size_t)(q - p));
        rl = ref_len(q + 2);
        if (!rl) {
            ju_buf_add(&b, q, 2);
            p = q + 2;
            continue;
        }
        path = ju_xstrndup(q + 2, rl);
        v = resolve_ref(c, node, path, depth, &keep);
        if (keep) {
            ju_buf_add(&b, q, rl + 3);
        } else if (json_is_string(v)) {
            ju_buf_adds(&b, json_string_value(v));
        } else if (json_is_integer(v)) {
            ju_buf_addf(&b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        } else if (json_is_real(v)) {
            ju_buf_addf(&b, "%.17g", json_real_value(v));
        } else if (json_is_boolean(v)) {
            ju_buf_adds(&b, json_is_true(v) ? "true" : "false");
        } else if (v && !json_is_null(v)) {
            berr(c, node,
                 "'${%s}' is a complex value and cannot be part of "
                 "a longer string",
                 path);
        }
        json_decref(v);
        free(path);
        if (c->failed) {
            ju_buf_release(&b);
            return NULL;
        }
        p = q + rl + 3;
    }
    res = json_string(ju_buf_str(&b));
    ju_buf_release(&b);
    return res;
}

/* Returns the interpolated value (new reference); consumes nothing. */
static json_t *interp(struct bctx *c, json_t *node, int depth)
{
    json_t *res;
    struct jc_src_loc loc;

    if (c->failed || !node)
        return node;
    if (json_is_string(node)) {
        res = interp_string(c, node, depth);
        if (res && res != node && jc_spec__loc_get(c->p, node, &loc))
            jc_spec__loc_set(c->p, res, loc.file, loc.line, loc.col);
        json_decref(node);
        return res;
    }
    if (json_is_object(node)) {
        const char *k;
        json_t *v;

        json_object_foreach(node, k, v)
        {
            json_t *nv = interp(c, json_incref(v), depth);

            if (nv != v && nv)
                json_object_set(node, k, nv);
            json_decref(nv);
            if (c->failed)
                break;
        }
    } else if (json_is_array(node)) {
        size_t i;

        for (i = 0; i < json_array_size(node) && !c->failed; i++) {
            json_t *v = json_array_get(node, i);
            json_t *nv = interp(c, json_incref(v), depth);

            if (nv != v && nv)
                json_array_set(node, i, nv);
            json_decref(nv);
        }
    }
    return node;
}

int jc_bundle__resolve(json_t **settings_out, char **job_key_out, json_t *root,
                       const char *root_path,
                       const struct jc_spec_load_opts *opts,
                       struct jc_spec_priv *p, struct jc_diags *diags)
{
    struct bctx c;
    json_t *target, *jobs, *job = NULL;
    const char *key = NULL, *k;
    json_t *v;

    *settings_out = NULL;
    *job_key_out = NULL;
    memset(&c, 0, sizeof(c));
    c.root = root;
    c.root_path = root_path;
    c.opts = opts;
    c.p = p;
    c.diags = diags;

    do_includes(&c);
    target = c.failed ? NULL : select_target(&c);
    if (!c.failed && target)
        apply_target(&c, target);
    if (!c.failed)
        collect_vars(&c, target);
    jobs = json_object_get(json_object_get(root, "resources"), "jobs");
    if (!c.failed && !json_is_object(jobs))
        berr(&c, json_object_get(root, "resources"),
             "bundle has no 'resources.jobs'");
    if (!c.failed) {
        json_object_foreach(jobs, k, v)
        {
            if (opts && opts->job_key && strcmp(k, opts->job_key))
                continue;
            key = k;
            job = v;
            break;
        }
        if (!job) {
            struct ju_buf names = JU_BUF_INIT;

            json_object_foreach(jobs, k, v)
                ju_buf_addf(&names, "%s%s", names.len ? ", " : "", k);
            berr(&c, jobs, "no job '%s' in resources.jobs (defined: %s)",
                 opts && opts->job_key ? opts->job_key : "",
                 names.len ? ju_buf_str(&names) : "none");
            ju_buf_release(&names);
        } else if (!json_is_object(job)) {
            berr(&c, job, "resources.jobs.%s must be a mapping", key);
        }
    }
    if (!c.failed) {
        json_t *r = interp(&c, json_incref(job), 0);

        json_decref(r);
        if (!c.failed && json_is_object(job))
            apply_dev_mode(target, job);
    }
    json_decref(c.vars);
    if (c.failed)
        return jc_err_set(JC_EPARSE, "'%s': invalid bundle",
                          root_path ? root_path : "<input>");
    *settings_out = json_incref(job);
    *job_key_out = ju_xstrdup(key);
    return 0;
}
