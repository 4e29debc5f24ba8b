/*
 * mlflow.c: the MLflow client front: tracking URI parsing, dispatch to the
 * file store or REST backend, model URI resolution (models:/, runs:/) and
 * model directories (MLmodel + model file + input example). Backends live
 * in mlflow_file.c and mlflow_rest.c.
 */
#include "ml/mlflow.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "ml/iforest.h"
#include "mlflow_int.h"
#include "util/mem.h"

#define META_CAP (1u << 20)

/* ------------------------------------------------------------ helpers */

int64_t ml_mlflow__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ml_mlflow__new_id(char out[33])
{
    unsigned char r[16];
    size_t got = 0;
    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n <= 0) {
            /* fall back to time + pid mixing; ids only need uniqueness */
            uint64_t x = (uint64_t)ml_mlflow__now_ms() ^
                         ((uint64_t)getpid() << 32) ^ (uint64_t)clock();
            for (size_t i = got; i < sizeof(r); i++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                r[i] = (unsigned char)(x >> 56);
            }
            break;
        }
        got += (size_t)n;
    }
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[32] = '\0';
}

int ml_mlflow__mkdirs(const char *path)
{
    char *p = ju_xstrdup(path);
    int rc = 0;
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                rc = jc_err_set(JC_EIO, "cannot create directory '%s': %s",
                                p, strerror(errno));
                break;
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    return rc;
}

int ml_mlflow__write_file(const char *path, const char *data, size_t len)
{
    char *tmp = ju_xasprintf("%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = jc_err_set(JC_EIO, "cannot create '%s': %s", path,
                            strerror(errno));
        free(tmp);
        return rc;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int rc = jc_err_set(JC_EIO, "cannot write '%s': %s", path,
                                strerror(errno));
            close(fd);
            unlink(tmp);
            free(tmp);
            return rc;
        }
        off += (size_t)w;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int rc = jc_err_set(JC_EIO, "cannot rename '%s': %s", tmp,
                            strerror(errno));
        unlink(tmp);
        free(tmp);
        return rc;
    }
    free(tmp);
    return 0;
}

int ml_mlflow__read_file(const char *path, struct ju_buf *out, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jc_err_set(errno == ENOENT ? JC_ENOTFOUND : JC_EIO,
                          "cannot open '%s': %s", path, strerror(errno));
    char tmp[65536];
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = jc_err_set(JC_EIO, "cannot read '%s': %s", path,
                            strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (out->len + (size_t)n > cap) {
            rc = jc_err_set(JC_ETOOBIG, "'%s' is larger than %zu bytes",
                            path, cap);
            break;
        }
        ju_buf_add(out, tmp, (size_t)n);
    }
    close(fd);
    return rc;
}

int ml_mlflow__copy_file(const char *from, const char *to)
{
    struct ju_buf b = JU_BUF_INIT;
    int rc = ml_mlflow__read_file(from, &b, (size_t)1 << 31);
    if (rc == 0)
        rc = ml_mlflow__write_file(to, b.data ? b.data : "", b.len);
    ju_buf_release(&b);
    return rc;
}

void ml_mlflow__yaml_str(struct ju_buf *b, const char *s)
{
    ju_buf_addc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            ju_buf_addc(b, '\'');
        if (*s == '\n' || *s == '\r')
            ju_buf_addc(b, ' '); /* values are single-line */
        else
            ju_buf_addc(b, *s);
    }
    ju_buf_addc(b, '\'');
}

char *ml_mlflow__yaml_get(const char *text, const char *key)
{
    size_t kl = strlen(key);
    const char *p = text;
    while (p && *p) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > kl && strncmp(p, key, kl) == 0 && p[kl] == ':') {
            const char *v = p + kl + 1;
            const char *end = p + ll;
            while (v < end && (*v == ' ' || *v == '\t'))
                v++;
            while (end > v && (end[-1] == ' ' || end[-1] == '\r'))
                end--;
            size_t vl = (size_t)(end - v);
            if (vl == 0 || (vl == 4 && memcmp(v, "null", 4) == 0) ||
                (vl == 1 && *v == '~'))
                return NULL;
            struct ju_buf b = JU_BUF_INIT;
            if (*v == '\'' && vl >= 2 && end[-1] == '\'') {
                for (const char *q = v + 1; q < end - 1; q++) {
                    ju_buf_addc(&b, *q);
                    if (*q == '\'' && q + 1 < end - 1 && q[1] == '\'')
                        q++;
                }
            } else if (*v == '"' && vl >= 2 && end[-1] == '"') {
                for (const char *q = v + 1; q < end - 1; q++) {
                    if (*q == '\\' && q + 1 < end - 1) {
                        q++;
                        ju_buf_addc(&b, *q == 'n' ? '\n' : *q);
                    } else {
                        ju_buf_addc(&b, *q);
                    }
                }
            } else {
                ju_buf_add(&b, v, vl);
            }
            return ju_buf_detach(&b, NULL);
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

int ml_mlflow__check_key(const char *what, const char *key)
{
    if (!key || !*key)
        return jc_err_set(JC_EINVAL, "empty %s", what);
    if (strlen(key) > 250)
        return jc_err_set(JC_EINVAL, "%s '%.40s...' is too long", what, key);
    if (key[0] == '/' || strstr(key, "..") || strstr(key, "//"))
        return jc_err_set(JC_EINVAL, "invalid %s '%s'", what, key);
    for (const char *p = key; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
              c == ' ' || c == '/'))
            return jc_err_set(JC_EINVAL, "invalid character in %s '%s'",
                              what, key);
    }
    return 0;
}

char *ml_mlflow__file_uri_path(const char *uri)
{
    const char *p = uri;
    if (strncmp(p, "file://", 7) == 0) {
        p += 7;
        if (*p != '/') { /* file://host/path: keep the path part */
            const char *s = strchr(p, '/');
            p = s ? s : "/";
        }
    } else if (strncmp(p, "file:", 5) == 0) {
        p += 5;
    }
    if (*p == '/')
        return ju_xstrdup(p);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof(cwd)))
        return ju_xstrdup(p);
    if (p[0] == '.' && p[1] == '/')
        p += 2;
    return ju_xasprintf("%s/%s", cwd, p);
}

char *ml_mlflow__path_to_file_uri(const char *abs_path)
{
    return ju_xasprintf("file://%s", abs_path);
}

/* ----------------------------------------------------------- dispatch */

int ml_mlflow_open(struct ml_mlflow **out, const char *uri)
{
    *out = NULL;
    char *dflt = NULL;
    if (!uri || !*uri)
        uri = getenv("MLFLOW_TRACKING_URI");
    if (!uri || !*uri) {
        const char *home = getenv("JOBCTL_HOME");
        dflt = ju_xasprintf("file:%s/mlruns",
                            home && *home ? home : "./.jobctl");
        uri = dflt;
    }
    struct ml_mlflow *m = ju_xcalloc(1, sizeof(*m));
    int rc;
    if (strncmp(uri, "http://", 7) == 0 || strncmp(uri, "https://", 8) == 0) {
        m->ops = &ml_mlflow__rest_ops;
        rc = ml_mlflow__rest_init(m, uri);
    } else if (strstr(uri, "://") && strncmp(uri, "file://", 7) != 0) {
        rc = jc_err_set(JC_EUNSUPPORTED,
                        "unsupported tracking URI scheme in '%.*s'",
                        (int)(strstr(uri, "://") - uri), uri);
    } else if (strcmp(uri, "databricks") == 0) {
        rc = jc_err_set(JC_EUNSUPPORTED,
                        "tracking URI 'databricks' is not supported; use "
                        "https://<workspace>");
    } else {
        m->ops = &ml_mlflow__file_ops;
        char *path = ml_mlflow__file_uri_path(uri);
        rc = ml_mlflow__file_init(m, path);
        free(path);
    }
    free(dflt);
    if (rc) {
        ml_mlflow_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void ml_mlflow_free(struct ml_mlflow *m)
{
    if (!m)
        return;
    if (m->ops && m->ops->release)
        m->ops->release(m);
    free(m->uri);
    free(m->root);
    free(m->base);
    if (m->token) {
        memset(m->token, 0, strlen(m->token));
        free(m->token);
    }
    free(m->cache_run_id);
    free(m->cache_value);
    free(m);
}

bool ml_mlflow_is_rest(const struct ml_mlflow *m)
{
    return m->ops == &ml_mlflow__rest_ops;
}

const char *ml_mlflow_uri(const struct ml_mlflow *m)
{
    return m->uri;
}

int ml_mlflow_experiment_ensure(struct ml_mlflow *m, const char *name,
                                char **id)
{
    *id = NULL;
    if (!name || !*name || strlen(name) > 500 || strchr(name, '\n'))
        return jc_err_set(JC_EINVAL, "invalid experiment name");
    return m->ops->experiment_ensure(m, name, id);
}

int ml_mlflow_run_create(struct ml_mlflow *m, const char *experiment_id,
                         const char *run_name, char **run_id)
{
    *run_id = NULL;
    return m->ops->run_create(m, experiment_id, run_name, run_id);
}

int ml_mlflow_log_param(struct ml_mlflow *m, const char *run_id,
                        const char *key, const char *value)
{
    int rc = ml_mlflow__check_key("param key", key);
    if (rc)
        return rc;
    if (strlen(value) > 6000)
        return jc_err_set(JC_EINVAL, "param '%s' value is too long", key);
    return m->ops->log_param(m, run_id, key, value);
}

int ml_mlflow_log_metric(struct ml_mlflow *m, const char *run_id,
                         const char *key, double value, int64_t ts_ms,
                         int64_t step)
{
    int rc = ml_mlflow__check_key("metric key", key);
    if (rc)
        return rc;
    if (ts_ms == 0)
        ts_ms = ml_mlflow__now_ms();
    return m->ops->log_metric(m, run_id, key, value, ts_ms, step);
}

int ml_mlflow_set_tag(struct ml_mlflow *m, const char *run_id,
                      const char *key, const char *value)
{
    int rc = ml_mlflow__check_key("tag key", key);
    if (rc)
        return rc;
    return m->ops->set_tag(m, run_id, key, value);
}

static int log_artifact_rec(struct ml_mlflow *m, const char *run_id,
                            const char *local, const char *rel, int depth)
{
    struct stat st;
    if (depth > 16)
        return jc_err_set(JC_ETOOBIG, "artifact directory '%s' is too deep",
                          local);
    if (stat(local, &st) != 0)
        return jc_err_set(errno == ENOENT ? JC_ENOTFOUND : JC_EIO,
                          "cannot stat '%s': %s", local, strerror(errno));
    if (S_ISREG(st.st_mode))
        return m->ops->put_artifact(m, run_id, local, rel);
    if (!S_ISDIR(st.st_mode))
        return jc_err_set(JC_EINVAL, "'%s' is not a file or directory",
                          local);
    DIR *d = opendir(local);
    if (!d)
        return jc_err_set(JC_EIO, "cannot open directory '%s': %s", local,
                          strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *sub = ju_xasprintf("%s/%s", local, e->d_name);
        char *srel = ju_xasprintf("%s/%s", rel, e->d_name);
        rc = log_artifact_rec(m, run_id, sub, srel, depth + 1);
        free(sub);
        free(srel);
    }
    closedir(d);
    return rc;
}

int ml_mlflow_log_artifact(struct ml_mlflow *m, const char *run_id,
                           const char *local_path, const char *artifact_path)
{
    const char *base = strrchr(local_path, '/');
    base = base ? base + 1 : local_path;
    if (!*base)
        return jc_err_set(JC_EINVAL, "invalid artifact path '%s'",
                          local_path);
    char *rel = artifact_path && *artifact_path
                    ? ju_xasprintf("%s/%s", artifact_path, base)
                    : ju_xstrdup(base);
    int rc = ml_mlflow__check_key("artifact path", rel);
    if (rc == 0)
        rc = log_artifact_rec(m, run_id, local_path, rel, 0);
    free(rel);
    return rc;
}

int ml_mlflow_run_end(struct ml_mlflow *m, const char *run_id,
                      enum ml_run_status status)
{
    return m->ops->run_end(m, run_id, status);
}

int ml_mlflow_run_artifact_uri(struct ml_mlflow *m, const char *run_id,
                               char **uri)
{
    *uri = NULL;
    return m->ops->run_artifact_uri(m, run_id, uri);
}

int ml_mlflow_register_version(struct ml_mlflow *m, const char *name,
                               const char *source, const char *run_id,
                               int64_t *version)
{
    *version = -1;
    if (!name || !*name || strchr(name, '/') || strchr(name, '%') ||
        strstr(name, "..") || strlen(name) > 250 || strchr(name, '\n'))
        return jc_err_set(JC_EINVAL, "invalid registered model name '%s'",
                          name ? name : "");
    return m->ops->register_version(m, name, source, run_id ? run_id : "",
                                    version);
}

int ml_mlflow_list_versions(struct ml_mlflow *m, const char *name,
                            struct ml_model_version **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    return m->ops->list_versions(m, name, out, n);
}

void ml_model_versions_free(struct ml_model_version *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].run_id);
        free(v[i].source);
        free(v[i].stage);
        free(v[i].status);
    }
    free(v);
}

int ml_mlflow_resolve_model(struct ml_mlflow *m, const char *model_uri,
                            char **dir, int64_t *version_out,
                            bool *downloaded)
{
    *dir = NULL;
    *downloaded = false;
    if (version_out)
        *version_out = -1;
    if (strncmp(model_uri, "models:/", 8) == 0) {
        const char *rest = model_uri + 8;
        const char *slash = strrchr(rest, '/');
        if (!slash || slash == rest || !slash[1])
            return jc_err_set(JC_EINVAL,
                              "invalid model URI '%s' (expected "
                              "models:/NAME/VERSION or models:/NAME/latest)",
                              model_uri);
        char *name = ju_xstrndup(rest, (size_t)(slash - rest));
        const char *ver = slash + 1;
        int64_t want = -1;
        if (strcmp(ver, "latest") != 0) {
            char *end;
            errno = 0;
            long long v = strtoll(ver, &end, 10);
            if (errno || *end || v < 1) {
                free(name);
                return jc_err_set(JC_EINVAL,
                                  "invalid version '%s' in model URI '%s'",
                                  ver, model_uri);
            }
            want = v;
        }
        struct ml_model_version *vs = NULL;
        size_t n = 0;
        int rc = m->ops->list_versions(m, name, &vs, &n);
        if (rc) {
            free(name);
            return rc;
        }
        const struct ml_model_version *pick = NULL;
        for (size_t i = 0; i < n; i++) {
            if (want < 0 ? (!pick || vs[i].version > pick->version)
                         : vs[i].version == want)
                pick = &vs[i];
        }
        if (!pick) {
            rc = jc_err_set(JC_ENOTFOUND,
                            want < 0 ? "registered model '%s' has no versions"
                                     : "model version '%s/%s' not found",
                            name, ver);
        } else {
            if (version_out)
                *version_out = pick->version;
            rc = m->ops->fetch_model(m, pick->source, dir, downloaded);
        }
        ml_model_versions_free(vs, n);
        free(name);
        return rc;
    }
    if (strncmp(model_uri, "runs:/", 6) == 0) {
        const char *rest = model_uri + 6;
        const char *slash = strchr(rest, '/');
        if (!slash || slash == rest || !slash[1])
            return jc_err_set(JC_EINVAL,
                              "invalid model URI '%s' (expected "
                              "runs:/RUN_ID/PATH)",
                              model_uri);
        char *run = ju_xstrndup(rest, (size_t)(slash - rest));
        char *base = NULL;
        int rc = m->ops->run_artifact_uri(m, run, &base);
        if (rc == 0) {
            char *src = ju_xasprintf("%s/%s", base, slash + 1);
            rc = m->ops->fetch_model(m, src, dir, downloaded);
            free(src);
        }
        free(base);
        free(run);
        return rc;
    }
    struct stat st;
    char *path = ml_mlflow__file_uri_path(model_uri);
    if (stat(path, &st) != 0) {
        int rc = jc_err_set(JC_ENOTFOUND, "model '%s' not found", model_uri);
        free(path);
        return rc;
    }
    *dir = path;
    return 0;
}

/* ---------------------------------------------------- model directory */

int ml_model_dir_write(const char *dir, const struct ml_iforest *f,
                       const char *const *features,
                       const char *const *feature_types, size_t n_features,
                       const double *example, const char *run_id)
{
    int rc = ml_mlflow__mkdirs(dir);
    if (rc)
        return rc;
    char *path = ju_xasprintf("%s/%s", dir, ML_MODEL_FILE);
    rc = ml_iforest_save(f, path);
    free(path);
    if (rc)
        return rc;

    struct ju_buf b = JU_BUF_INIT;
    char uuid[33];
    ml_mlflow__new_id(uuid);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char ts[64];
    strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S.000000", &tm);

    ju_buf_adds(&b, "artifact_path: model\n");
    ju_buf_adds(&b, "flavors:\n  " ML_MODEL_FLAVOR ":\n");
    ju_buf_adds(&b, "    model_file: " ML_MODEL_FILE "\n");
    ju_buf_adds(&b, "    format_version: 1\n");
    ju_buf_adds(&b, "    estimator: IsolationForest\n");
    ju_buf_adds(&b, "    sklearn_compatible: '1.2'\n");
    ju_buf_addf(&b, "    n_estimators: %zu\n", ml_iforest_n_estimators(f));
    ju_buf_addf(&b, "    max_samples: %zu\n", ml_iforest_max_samples(f));
    ju_buf_addf(&b, "    offset: %.17g\n", ml_iforest_offset(f));
    ju_buf_adds(&b, "    score_output: decision_function\n");
    ju_buf_addf(&b, "model_uuid: %s\n", uuid);
    if (run_id && *run_id)
        ju_buf_addf(&b, "run_id: %s\n", run_id);
    ju_buf_adds(&b, "saved_input_example_info:\n"
                    "  artifact_path: input_example.json\n"
                    "  pandas_orient: split\n"
                    "  type: dataframe\n");
    /* MLflow keeps the column specs as a JSON string inside the YAML */
    struct ju_buf spec = JU_BUF_INIT;
    ju_buf_addc(&spec, '[');
    for (size_t i = 0; i < n_features; i++)
        ju_buf_addf(&spec, "%s{\"type\": \"%s\", \"name\": \"%s\", "
                           "\"required\": true}",
                    i ? ", " : "", feature_types[i], features[i]);
    ju_buf_addc(&spec, ']');
    ju_buf_adds(&b, "signature:\n  inputs: ");
    ml_mlflow__yaml_str(&b, ju_buf_str(&spec));
    ju_buf_adds(&b, "\n  outputs: '[{\"type\": \"tensor\", \"tensor-spec\": "
                    "{\"dtype\": \"int64\", \"shape\": [-1]}}]'\n");
    ju_buf_adds(&b, "  params: null\n");
    ju_buf_addf(&b, "utc_time_created: '%s'\n", ts);
    ju_buf_release(&spec);

    path = ju_xasprintf("%s/MLmodel", dir);
    rc = ml_mlflow__write_file(path, b.data, b.len);
    free(path);
    ju_buf_release(&b);
    if (rc)
        return rc;

    if (example) {
        ju_buf_adds(&b, "{\"columns\": [");
        for (size_t i = 0; i < n_features; i++)
            ju_buf_addf(&b, "%s\"%s\"", i ? ", " : "", features[i]);
        ju_buf_adds(&b, "], \"data\": [[");
        for (size_t i = 0; i < n_features; i++) {
            if (strcmp(feature_types[i], "long") == 0)
                ju_buf_addf(&b, "%s%lld", i ? ", " : "",
                            (long long)example[i]);
            else
                ju_buf_addf(&b, "%s%.17g", i ? ", " : "", example[i]);
        }
        ju_buf_adds(&b, "]]}");
        path = ju_xasprintf("%s/input_example.json", dir);
        rc = ml_mlflow__write_file(path, b.data, b.len);
        free(path);
        ju_buf_release(&b);
    }
    return rc;
}

int ml_model_dir_load(const char *path, struct ml_iforest **out)
{
    struct stat st;
    *out = NULL;
    if (stat(path, &st) != 0)
        return jc_err_set(JC_ENOTFOUND, "model '%s' not found", path);
    if (!S_ISDIR(st.st_mode))
        return ml_iforest_load(out, path);
    char *mlmodel = ju_xasprintf("%s/MLmodel", path);
    struct ju_buf b = JU_BUF_INIT;
    int rc = ml_mlflow__read_file(mlmodel, &b, META_CAP);
    free(mlmodel);
    char *file = NULL;
    if (rc == 0) {
        if (!strstr(ju_buf_str(&b), ML_MODEL_FLAVOR ":")) {
            rc = jc_err_set(JC_EUNSUPPORTED,
                            "model '%s' has no '" ML_MODEL_FLAVOR
                            "' flavor in its MLmodel",
                            path);
        } else {
            /* model_file is nested under the flavor: find it textually */
            const char *k = strstr(ju_buf_str(&b), "model_file:");
            if (k) {
                k += strlen("model_file:");
                while (*k == ' ')
                    k++;
                size_t l = strcspn(k, "\r\n");
                file = ju_xstrndup(k, l);
            }
        }
    } else if (rc == JC_ENOTFOUND) {
        rc = 0; /* a plain directory holding model.jcif */
        jc_err_clear();
    }
    ju_buf_release(&b);
    if (rc)
        return rc;
    if (!file)
        file = ju_xstrdup(ML_MODEL_FILE);
    if (strchr(file, '/') || strstr(file, "..")) {
        rc = jc_err_set(JC_EPARSE, "invalid model_file '%s' in MLmodel",
                        file);
        free(file);
        return rc;
    }
    char *mp = ju_xasprintf("%s/%s", path, file);
    rc = ml_iforest_load(out, mp);
    free(mp);
    free(file);
    return rc;
}
