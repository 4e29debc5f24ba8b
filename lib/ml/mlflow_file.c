/*
 * mlflow_file.c: MLflow's FileStore layout (mlflow/store/tracking/
 * file_store.py and mlflow/store/model_registry/file_store.py):
 * <root>/<exp_id>/meta.yaml, <root>/<exp>/<run_id>/{meta.yaml, params/,
 * metrics/ ("ts value step" lines), tags/, artifacts/}, and the registry
 * under <root>/models/<name>/{meta.yaml, version-<n>/meta.yaml}.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "mlflow_int.h"
#include "util/mem.h"

#define META_CAP (1u << 20)

static int write_str(const char *path, const char *s)
{
    return ml_mlflow__write_file(path, s, strlen(s));
}

static char *read_str(const char *path)
{
    struct ju_buf b = JU_BUF_INIT;
    if (ml_mlflow__read_file(path, &b, META_CAP) != 0) {
        ju_buf_release(&b);
        return NULL;
    }
    if (!b.data)
        ju_buf_adds(&b, "");
    return ju_buf_detach(&b, NULL);
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void experiment_meta(struct ju_buf *b, const char *root,
                            const char *id, const char *name, int64_t now)
{
    ju_buf_adds(b, "artifact_location: ");
    char *loc = ju_xasprintf("file://%s/%s", root, id);
    ml_mlflow__yaml_str(b, loc);
    free(loc);
    ju_buf_addf(b, "\ncreation_time: %" PRId64 "\nexperiment_id: ", now);
    ml_mlflow__yaml_str(b, id);
    ju_buf_addf(b, "\nlast_update_time: %" PRId64
                   "\nlifecycle_stage: active\nname: ",
                now);
    ml_mlflow__yaml_str(b, name);
    ju_buf_addc(b, '\n');
}

/* Root, .trash, models/ and the Default experiment, like FileStore(). */
static int ensure_root(struct ml_mlflow *m)
{
    char *p = ju_xasprintf("%s/.trash", m->root);
    int rc = ml_mlflow__mkdirs(p);
    free(p);
    if (rc)
        return rc;
    p = ju_xasprintf("%s/models", m->root);
    rc = ml_mlflow__mkdirs(p);
    free(p);
    if (rc)
        return rc;
    p = ju_xasprintf("%s/0/meta.yaml", m->root);
    if (access(p, F_OK) != 0) {
        char *d = ju_xasprintf("%s/0", m->root);
        rc = ml_mlflow__mkdirs(d);
        free(d);
        if (rc == 0) {
            struct ju_buf b = JU_BUF_INIT;
            experiment_meta(&b, m->root, "0", "Default", ml_mlflow__now_ms());
            rc = ml_mlflow__write_file(p, b.data, b.len);
            ju_buf_release(&b);
        }
    }
    free(p);
    return rc;
}

static int is_number(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int file_experiment_ensure(struct ml_mlflow *m, const char *name,
                                  char **id)
{
    int rc = ensure_root(m);
    if (rc)
        return rc;
    for (int attempt = 0; attempt < 5; attempt++) {
        DIR *d = opendir(m->root);
        if (!d)
            return jc_err_set(JC_EIO, "cannot open '%s': %s", m->root,
                              strerror(errno));
        long long max_id = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!is_number(e->d_name))
                continue;
            long long v = strtoll(e->d_name, NULL, 10);
            if (v > max_id)
                max_id = v;
            char *mp = ju_xasprintf("%s/%s/meta.yaml", m->root, e->d_name);
            char *meta = read_str(mp);
            free(mp);
            if (!meta)
                continue;
            char *n = ml_mlflow__yaml_get(meta, "name");
            char *stage = ml_mlflow__yaml_get(meta, "lifecycle_stage");
            int match = n && strcmp(n, name) == 0 &&
                        !(stage && strcmp(stage, "deleted") == 0);
            free(n);
            free(stage);
            free(meta);
            if (match) {
                *id = ju_xstrdup(e->d_name);
                closedir(d);
                return 0;
            }
        }
        closedir(d);
        char idbuf[32];
        snprintf(idbuf, sizeof(idbuf), "%lld", max_id + 1);
        char *dir = ju_xasprintf("%s/%s", m->root, idbuf);
        if (mkdir(dir, 0755) != 0) {
            free(dir);
            if (errno == EEXIST)
                continue; /* raced with another creator */
            return jc_err_set(JC_EIO, "cannot create experiment in '%s': %s",
                              m->root, strerror(errno));
        }
        struct ju_buf b = JU_BUF_INIT;
        experiment_meta(&b, m->root, idbuf, name, ml_mlflow__now_ms());
        char *mp = ju_xasprintf("%s/meta.yaml", dir);
        rc = ml_mlflow__write_file(mp, b.data, b.len);
        free(mp);
        free(dir);
        ju_buf_release(&b);
        if (rc)
            return rc;
        *id = ju_xstrdup(idbuf);
        return 0;
    }
    return jc_err_set(JC_EBUSY, "cannot create experiment '%s'", name);
}

/* Directory of a run: <root>/<exp>/<run_id>. */
static int find_run(struct ml_mlflow *m, const char *run_id, char **dir)
{
    if (!run_id || strlen(run_id) != 32 || strspn(run_id,
                                                  "0123456789abcdef") != 32)
        return jc_err_set(JC_EINVAL, "invalid run id '%s'",
                          run_id ? run_id : "");
    if (m->cache_run_id && strcmp(m->cache_run_id, run_id) == 0) {
        *dir = ju_xstrdup(m->cache_value);
        return 0;
    }
    DIR *d = opendir(m->root);
    if (!d)
        return jc_err_set(JC_ENOTFOUND, "run '%s' not found", run_id);
    struct dirent *e;
    char *found = NULL;
    while (!found && (e = readdir(d)) != NULL) {
        if (!is_number(e->d_name))
            continue;
        char *p = ju_xasprintf("%s/%s/%s", m->root, e->d_name, run_id);
        if (is_dir(p))
            found = p;
        else
            free(p);
    }
    closedir(d);
    if (!found)
        return jc_err_set(JC_ENOTFOUND, "run '%s' not found", run_id);
    free(m->cache_run_id);
    free(m->cache_value);
    m->cache_run_id = ju_xstrdup(run_id);
    m->cache_value = ju_xstrdup(found);
    *dir = found;
    return 0;
}

static void run_meta(struct ju_buf *b, const char *artifact_uri,
                     const char *end_time, const char *exp_id,
                     const char *run_id, const char *run_name,
                     int64_t start, int status, const char *user)
{
    ju_buf_adds(b, "artifact_uri: ");
    ml_mlflow__yaml_str(b, artifact_uri);
    ju_buf_addf(b, "\nend_time: %s\nentry_point_name: ''\nexperiment_id: ",
                end_time);
    ml_mlflow__yaml_str(b, exp_id);
    ju_buf_adds(b, "\nlifecycle_stage: active\nrun_id: ");
    ju_buf_adds(b, run_id);
    ju_buf_adds(b, "\nrun_name: ");
    ml_mlflow__yaml_str(b, run_name);
    ju_buf_addf(b, "\nrun_uuid: %s\nsource_name: ''\nsource_type: 4\n"
                   "source_version: ''\nstart_time: %" PRId64
                   "\nstatus: %d\ntags: []\nuser_id: ",
                run_id, start, status);
    ml_mlflow__yaml_str(b, user);
    ju_buf_addc(b, '\n');
}

static int file_run_create(struct ml_mlflow *m, const char *exp_id,
                           const char *run_name, char **run_id)
{
    int rc = ensure_root(m);
    if (rc)
        return rc;
    if (!is_number(exp_id))
        return jc_err_set(JC_EINVAL, "invalid experiment id '%s'", exp_id);
    char *edir = ju_xasprintf("%s/%s", m->root, exp_id);
    if (!is_dir(edir)) {
        rc = jc_err_set(JC_ENOTFOUND, "experiment '%s' not found", exp_id);
        free(edir);
        return rc;
    }
    char id[33];
    ml_mlflow__new_id(id);
    char *rdir = ju_xasprintf("%s/%s", edir, id);
    const char *subs[] = {"params", "metrics", "tags", "artifacts"};
    for (size_t i = 0; i < 4 && rc == 0; i++) {
        char *p = ju_xasprintf("%s/%s", rdir, subs[i]);
        rc = ml_mlflow__mkdirs(p);
        free(p);
    }
    const char *user = getenv("USER");
    if (!user || !*user)
        user = "jobctl";
    char name_buf[64];
    if (!run_name || !*run_name) {
        snprintf(name_buf, sizeof(name_buf), "run-%.8s", id);
        run_name = name_buf;
    }
    if (rc == 0) {
        struct ju_buf b = JU_BUF_INIT;
        char *art = ju_xasprintf("file://%s/artifacts", rdir);
        run_meta(&b, art, "null", exp_id, id, run_name, ml_mlflow__now_ms(),
                 1, user);
        free(art);
        char *p = ju_xasprintf("%s/meta.yaml", rdir);
        rc = ml_mlflow__write_file(p, b.data, b.len);
        free(p);
        ju_buf_release(&b);
    }
    if (rc == 0) {
        char *p = ju_xasprintf("%s/tags/mlflow.runName", rdir);
        rc = write_str(p, run_name);
        free(p);
    }
    if (rc == 0) {
        char *p = ju_xasprintf("%s/tags/mlflow.user", rdir);
        rc = write_str(p, user);
        free(p);
    }
    if (rc == 0) {
        free(m->cache_run_id);
        free(m->cache_value);
        m->cache_run_id = ju_xstrdup(id);
        m->cache_value = ju_xstrdup(rdir);
        *run_id = ju_xstrdup(id);
    }
    free(rdir);
    free(edir);
    return rc;
}

static int write_run_item(struct ml_mlflow *m, const char *run_id,
                          const char *sub, const char *key, const char *value,
                          int immutable)
{
    char *dir;
    int rc = find_run(m, run_id, &dir);
    if (rc)
        return rc;
    char *p = ju_xasprintf("%s/%s/%s", dir, sub, key);
    if (immutable) {
        char *old = read_str(p);
        if (old && strcmp(old, value) != 0)
            rc = jc_err_set(JC_EINVAL,
                            "param '%s' already logged with value '%s' "
                            "(params are immutable)",
                            key, old);
        free(old);
    }
    if (rc == 0 && strchr(key, '/')) {
        char *slash = strrchr(p, '/');
        *slash = '\0';
        rc = ml_mlflow__mkdirs(p);
        *slash = '/';
    }
    if (rc == 0)
        rc = write_str(p, value);
    free(p);
    free(dir);
    return rc;
}

static int file_log_param(struct ml_mlflow *m, const char *run_id,
                          const char *key, const char *value)
{
    return write_run_item(m, run_id, "params", key, value, 1);
}

static int file_set_tag(struct ml_mlflow *m, const char *run_id,
                        const char *key, const char *value)
{
    return write_run_item(m, run_id, "tags", key, value, 0);
}

static int file_log_metric(struct ml_mlflow *m, const char *run_id,
                           const char *key, double value, int64_t ts_ms,
                           int64_t step)
{
    char *dir;
    int rc = find_run(m, run_id, &dir);
    if (rc)
        return rc;
    char *p = ju_xasprintf("%s/metrics/%s", dir, key);
    if (strchr(key, '/')) {
        char *slash = strrchr(p, '/');
        *slash = '\0';
        rc = ml_mlflow__mkdirs(p);
        *slash = '/';
    }
    FILE *fp = rc ? NULL : fopen(p, "ae");
    if (!rc && !fp)
        rc = jc_err_set(JC_EIO, "cannot open '%s': %s", p, strerror(errno));
    if (fp) {
        /* MLflow writes "timestamp value step"; value as Python repr */
        fprintf(fp, "%" PRId64 " %.17g %" PRId64 "\n", ts_ms, value, step);
        if (fclose(fp) != 0)
            rc = jc_err_set(JC_EIO, "cannot write '%s': %s", p,
                            strerror(errno));
    }
    free(p);
    free(dir);
    return rc;
}

static int file_put_artifact(struct ml_mlflow *m, const char *run_id,
                             const char *local_file, const char *rel)
{
    char *dir;
    int rc = find_run(m, run_id, &dir);
    if (rc)
        return rc;
    char *dst = ju_xasprintf("%s/artifacts/%s", dir, rel);
    char *slash = strrchr(dst, '/');
    *slash = '\0';
    rc = ml_mlflow__mkdirs(dst);
    *slash = '/';
    if (rc == 0)
        rc = ml_mlflow__copy_file(local_file, dst);
    free(dst);
    free(dir);
    return rc;
}

static int file_run_end(struct ml_mlflow *m, const char *run_id,
                        enum ml_run_status status)
{
    char *dir;
    int rc = find_run(m, run_id, &dir);
    if (rc)
        return rc;
    char *p = ju_xasprintf("%s/meta.yaml", dir);
    char *meta = read_str(p);
    if (!meta) {
        rc = jc_err_set(JC_EIO, "cannot read '%s'", p);
    } else {
        char *art = ml_mlflow__yaml_get(meta, "artifact_uri");
        char *exp = ml_mlflow__yaml_get(meta, "experiment_id");
        char *name = ml_mlflow__yaml_get(meta, "run_name");
        char *start = ml_mlflow__yaml_get(meta, "start_time");
        char *user = ml_mlflow__yaml_get(meta, "user_id");
        char end[32];
        snprintf(end, sizeof(end), "%" PRId64, ml_mlflow__now_ms());
        struct ju_buf b = JU_BUF_INIT;
        run_meta(&b, art ? art : "", end, exp ? exp : "0", run_id,
                 name ? name : "", start ? strtoll(start, NULL, 10) : 0,
                 (int)status, user ? user : "");
        rc = ml_mlflow__write_file(p, b.data, b.len);
        ju_buf_release(&b);
        free(art);
        free(exp);
        free(name);
        free(start);
        free(user);
    }
    free(meta);
    free(p);
    free(dir);
    return rc;
}

static int file_run_artifact_uri(struct ml_mlflow *m, const char *run_id,
                                 char **uri)
{
    char *dir;
    int rc = find_run(m, run_id, &dir);
    if (rc)
        return rc;
    *uri = ju_xasprintf("file://%s/artifacts", dir);
    free(dir);
    return 0;
}

static void registered_model_meta(struct ju_buf *b, const char *name,
                                  int64_t created, int64_t updated)
{
    ju_buf_addf(b, "aliases: []\ncreation_timestamp: %" PRId64
                   "\ndescription: null\nlast_updated_timestamp: %" PRId64
                   "\nname: ",
                created, updated);
    ml_mlflow__yaml_str(b, name);
    ju_buf_addc(b, '\n');
}

static int file_register_version(struct ml_mlflow *m, const char *name,
                                 const char *source, const char *run_id,
                                 int64_t *version)
{
    int rc = ensure_root(m);
    if (rc)
        return rc;
    char *mdir = ju_xasprintf("%s/models/%s", m->root, name);
    char *mmeta = ju_xasprintf("%s/meta.yaml", mdir);
    int64_t now = ml_mlflow__now_ms();
    int64_t created = now;
    char *old = read_str(mmeta);
    if (old) {
        char *c = ml_mlflow__yaml_get(old, "creation_timestamp");
        if (c)
            created = strtoll(c, NULL, 10);
        free(c);
        free(old);
    } else {
        rc = ml_mlflow__mkdirs(mdir);
    }
    if (rc == 0) {
        struct ju_buf b = JU_BUF_INIT;
        registered_model_meta(&b, name, created, now);
        rc = ml_mlflow__write_file(mmeta, b.data, b.len);
        ju_buf_release(&b);
    }
    /* next version = max + 1; mkdir is the atomic claim */
    int64_t v = 0;
    if (rc == 0) {
        DIR *d = opendir(mdir);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (strncmp(e->d_name, "version-", 8) == 0 &&
                is_number(e->d_name + 8)) {
                long long x = strtoll(e->d_name + 8, NULL, 10);
                if (x > v)
                    v = x;
            }
        }
        if (d)
            closedir(d);
    }
    char *vdir = NULL;
    for (int attempt = 0; rc == 0 && attempt < 100; attempt++) {
        v++;
        free(vdir);
        vdir = ju_xasprintf("%s/version-%" PRId64, mdir, v);
        if (mkdir(vdir, 0755) == 0)
            break;
        if (errno != EEXIST)
            rc = jc_err_set(JC_EIO, "cannot create '%s': %s", vdir,
                            strerror(errno));
    }
    if (rc == 0) {
        struct ju_buf b = JU_BUF_INIT;
        ju_buf_addf(&b, "aliases: []\ncreation_timestamp: %" PRId64
                        "\ncurrent_stage: None\ndescription: null\n"
                        "last_updated_timestamp: %" PRId64 "\nname: ",
                    now, now);
        ml_mlflow__yaml_str(&b, name);
        ju_buf_adds(&b, "\nrun_id: ");
        ml_mlflow__yaml_str(&b, run_id);
        ju_buf_adds(&b, "\nrun_link: null\nsource: ");
        ml_mlflow__yaml_str(&b, source);
        ju_buf_adds(&b, "\nstatus: READY\nstatus_message: null\n"
                        "storage_location: ");
        ml_mlflow__yaml_str(&b, source);
        ju_buf_addf(&b, "\nuser_id: null\nversion: %" PRId64 "\n", v);
        char *p = ju_xasprintf("%s/meta.yaml", vdir);
        rc = ml_mlflow__write_file(p, b.data, b.len);
        free(p);
        ju_buf_release(&b);
    }
    if (rc == 0)
        *version = v;
    free(vdir);
    free(mmeta);
    free(mdir);
    return rc;
}

static int cmp_version(const void *a, const void *b)
{
    const struct ml_model_version *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return (x->version > y->version) - (x->version < y->version);
}

static void list_model(const char *mdir, struct ml_model_version **out,
                       size_t *n, size_t *alloc)
{
    DIR *d = opendir(mdir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "version-", 8) != 0)
            continue;
        char *p = ju_xasprintf("%s/%s/meta.yaml", mdir, e->d_name);
        char *meta = read_str(p);
        free(p);
        if (!meta)
            continue;
        char *stage = ml_mlflow__yaml_get(meta, "current_stage");
        char *ver = ml_mlflow__yaml_get(meta, "version");
        char *name = ml_mlflow__yaml_get(meta, "name");
        if (!ver || !name ||
            (stage && strcmp(stage, "Deleted_Internal") == 0)) {
            free(stage);
            free(ver);
            free(name);
            free(meta);
            continue;
        }
        JU_ALLOC_GROW(*out, *n + 1, *alloc);
        struct ml_model_version *v = &(*out)[(*n)++];
        memset(v, 0, sizeof(*v));
        v->name = name;
        v->version = strtoll(ver, NULL, 10);
        v->stage = stage ? stage : ju_xstrdup("None");
        v->run_id = ml_mlflow__yaml_get(meta, "run_id");
        if (!v->run_id)
            v->run_id = ju_xstrdup("");
        v->source = ml_mlflow__yaml_get(meta, "source");
        if (!v->source)
            v->source = ju_xstrdup("");
        v->status = ml_mlflow__yaml_get(meta, "status");
        if (!v->status)
            v->status = ju_xstrdup("READY");
        char *c = ml_mlflow__yaml_get(meta, "creation_timestamp");
        v->creation_timestamp = c ? strtoll(c, NULL, 10) : 0;
        free(c);
        free(ver);
        free(meta);
    }
    closedir(d);
}

static int file_list_versions(struct ml_mlflow *m, const char *name,
                              struct ml_model_version **out, size_t *n)
{
    size_t alloc = 0;
    char *models = ju_xasprintf("%s/models", m->root);
    if (name) {
        if (strchr(name, '/') || strstr(name, "..")) {
            free(models);
            return jc_err_set(JC_EINVAL, "invalid registered model name '%s'",
                              name);
        }
        char *mdir = ju_xasprintf("%s/%s", models, name);
        int exists = is_dir(mdir);
        if (exists)
            list_model(mdir, out, n, &alloc);
        free(mdir);
        free(models);
        if (!exists)
            return jc_err_set(JC_ENOTFOUND,
                              "registered model '%s' not found", name);
    } else {
        DIR *d = opendir(models);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char *mdir = ju_xasprintf("%s/%s", models, e->d_name);
            list_model(mdir, out, n, &alloc);
            free(mdir);
        }
        if (d)
            closedir(d);
        free(models);
    }
    if (*n > 1)
        qsort(*out, *n, sizeof(**out), cmp_version);
    return 0;
}

static int file_fetch_model(struct ml_mlflow *m, const char *source,
                            char **dir, bool *downloaded)
{
    *downloaded = false;
    if (strncmp(source, "runs:/", 6) == 0) {
        const char *rest = source + 6;
        const char *slash = strchr(rest, '/');
        if (!slash)
            return jc_err_set(JC_EINVAL, "invalid source '%s'", source);
        char *run = ju_xstrndup(rest, (size_t)(slash - rest));
        char *rdir;
        int rc = find_run(m, run, &rdir);
        free(run);
        if (rc)
            return rc;
        *dir = ju_xasprintf("%s/artifacts/%s", rdir, slash + 1);
        free(rdir);
        return 0;
    }
    if (strstr(source, "://") && strncmp(source, "file://", 7) != 0)
        return jc_err_set(JC_EUNSUPPORTED,
                          "model source '%s' is not a local file URI",
                          source);
    *dir = ml_mlflow__file_uri_path(source);
    if (!is_dir(*dir) && access(*dir, R_OK) != 0) {
        int rc = jc_err_set(JC_ENOTFOUND, "model source '%s' not found",
                            source);
        JU_FREE(*dir);
        return rc;
    }
    return 0;
}

int ml_mlflow__file_init(struct ml_mlflow *m, const char *path)
{
    m->root = ju_xstrdup(path);
    size_t l = strlen(m->root);
    while (l > 1 && m->root[l - 1] == '/')
        m->root[--l] = '\0';
    m->uri = ju_xasprintf("file://%s", m->root);
    return 0;
}

const struct ml_mlflow_ops ml_mlflow__file_ops = {
    file_experiment_ensure, file_run_create,     file_log_param,
    file_log_metric,        file_set_tag,        file_put_artifact,
    file_run_end,           file_run_artifact_uri, file_register_version,
    file_list_versions,     file_fetch_model,    NULL,
};
