/*
 * cmd_model.c: `jobctl model` - import a scikit-learn IsolationForest
 * (exported by lib/ml/export_sklearn_iforest.py) into the MLflow registry,
 * list registered versions, and score a CSV with a model URI. Uses only
 * lib/ml (ml/iforest.h, ml/mlflow.h).
 */
#include "cli/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "jobctl/err.h"
#include "ml/iforest.h"
#include "ml/mlflow.h"
#include "util/buf.h"
#include "util/mem.h"

#define CSV_CAP ((size_t)1 << 31)
#define DEFAULT_EXPERIMENT "jobctl-model-imports"

static int fail(const char *what)
{
    fprintf(stderr, "jobctl: model %s: %s\n", what, jc_err_last());
    return 1;
}

/* Remove a downloaded model directory (files + dir; no recursion). */
static void remove_download(const char *dir)
{
    const char *files[] = {"MLmodel", ML_MODEL_FILE, "input_example.json"};
    for (size_t i = 0; i < 3; i++) {
        char *p = ju_xasprintf("%s/%s", dir, files[i]);
        unlink(p);
        free(p);
    }
    rmdir(dir);
}

static void rmtree_shallow(const char *dir)
{
    remove_download(dir);
}

extern char **environ;

/* lib/ml/export_sklearn_iforest.py: $JOBCTL_SOURCE_DIR, then relative to
 * the jobctl executable (<build>/bin/jobctl -> <src>/lib/ml), then
 * /usr/share/jobctl. Caller frees; NULL if not found. */
static char *find_exporter(void)
{
    const char *rel = "lib/ml/export_sklearn_iforest.py";
    const char *src = getenv("JOBCTL_SOURCE_DIR");
    char *p;
    if (src && *src) {
        p = ju_xasprintf("%s/%s", src, rel);
        if (access(p, R_OK) == 0)
            return p;
        free(p);
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            p = ju_xasprintf("%s/../../%s", exe, rel);
            if (access(p, R_OK) == 0)
                return p;
            free(p);
        }
    }
    p = ju_xstrdup("/usr/share/jobctl/export_sklearn_iforest.py");
    if (access(p, R_OK) == 0)
        return p;
    free(p);
    return NULL;
}

/* A pickled/joblib sklearn model: convert it with the exporter (python3,
 * argv only, no shell) into out. */
static int export_pickle(const char *in, const char *out)
{
    char *script = find_exporter();
    if (!script)
        return jc_err_set(JC_ENOTFOUND,
                          "'%s' is not a jobctl model file and "
                          "export_sklearn_iforest.py was not found to "
                          "convert it (set JOBCTL_SOURCE_DIR)",
                          in);
    /* the python that has scikit-learn: $JOBCTL_PYTHON, Debian's
     * /usr/bin/python3 (python3-sklearn), else python3 on PATH */
    const char *py = getenv("JOBCTL_PYTHON");
    if (!py || !*py)
        py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
                                                   : "python3";
    char *args[] = {(char *)py, script, (char *)in, (char *)out, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, py, NULL, NULL, args, environ);
    if (rc != 0) {
        rc = jc_err_set(JC_EIO, "cannot run '%s': %s", py, strerror(rc));
    } else {
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
            ;
        rc = WIFEXITED(st) && WEXITSTATUS(st) == 0
                 ? 0
                 : jc_err_set(JC_EINVAL,
                              "cannot convert '%s' with '%s' (is it a "
                              "fitted sklearn IsolationForest?)",
                              in, script);
    }
    free(script);
    return rc;
}

static int is_model_file(const char *path)
{
    char magic[8] = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 1; /* let the loader report it */
    ssize_t n = read(fd, magic, sizeof(magic));
    close(fd);
    return n == 8 && memcmp(magic, "JCIFRST\n", 8) == 0;
}

static int cmd_import(int argc, char **argv)
{
    const char *file = NULL, *name = NULL, *experiment = DEFAULT_EXPERIMENT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc)
            name = argv[++i];
        else if (!strncmp(argv[i], "--name=", 7))
            name = argv[i] + 7;
        else if (!strcmp(argv[i], "--experiment") && i + 1 < argc)
            experiment = argv[++i];
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            goto usage;
    }
    if (!file || !name)
        goto usage;

    struct ml_iforest *f = NULL;
    char *converted = NULL;
    if (!is_model_file(file)) {
        const char *tmp = getenv("TMPDIR");
        converted = ju_xasprintf("%s/jobctl-export-XXXXXX",
                                 tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(converted);
        if (fd < 0) {
            jc_err_set(JC_EIO, "cannot create a temporary file: %s",
                       strerror(errno));
            free(converted);
            return fail("import-sklearn");
        }
        close(fd);
        if (export_pickle(file, converted) != 0) {
            unlink(converted);
            free(converted);
            return fail("import-sklearn");
        }
    }
    int lrc = ml_iforest_load(&f, converted ? converted : file);
    if (converted) {
        unlink(converted);
        free(converted);
    }
    if (lrc != 0)
        return fail("import-sklearn");
    struct ml_mlflow *m = NULL;
    char *exp = NULL, *run = NULL, *art = NULL, *source = NULL;
    char *tdir = NULL;
    int64_t version = -1;
    int rc = ml_mlflow_open(&m, NULL);
    if (rc == 0)
        rc = ml_mlflow_experiment_ensure(m, experiment, &exp);
    if (rc == 0)
        rc = ml_mlflow_run_create(m, exp, "import-sklearn", &run);
    if (rc == 0) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%zu", ml_iforest_n_estimators(f));
        rc = ml_mlflow_log_param(m, run, "n_estimators", buf);
        snprintf(buf, sizeof(buf), "%zu", ml_iforest_max_samples(f));
        if (rc == 0)
            rc = ml_mlflow_log_param(m, run, "max_samples", buf);
        if (ml_iforest_contamination(f) < 0)
            snprintf(buf, sizeof(buf), "auto");
        else
            snprintf(buf, sizeof(buf), "%g", ml_iforest_contamination(f));
        if (rc == 0)
            rc = ml_mlflow_log_param(m, run, "contamination", buf);
        if (rc == 0)
            rc = ml_mlflow_set_tag(m, run, "jobctl.imported_from", file);
    }
    if (rc == 0) {
        const char *tmp = getenv("TMPDIR");
        tdir = ju_xasprintf("%s/jobctl-import-XXXXXX",
                            tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(tdir))
            rc = jc_err_set(JC_EIO, "cannot create a temporary directory: %s",
                            strerror(errno));
    }
    if (rc == 0) {
        /* name the features generically unless it is the pipeline's 2 */
        size_t nf = ml_iforest_n_features(f);
        char **names = ju_xcalloc(nf, sizeof(*names));
        const char **types = ju_xcalloc(nf, sizeof(*types));
        for (size_t i = 0; i < nf; i++) {
            if (nf == 2)
                names[i] = ju_xstrdup(i == 0 ? "value" : "timestamp_unix");
            else
                names[i] = ju_xasprintf("f%zu", i);
            types[i] = nf == 2 && i == 1 ? "long" : "double";
        }
        char *mdir = ju_xasprintf("%s/model", tdir);
        rc = ml_model_dir_write(mdir, f, (const char *const *)names, types,
                                nf, NULL, run);
        if (rc == 0)
            rc = ml_mlflow_log_artifact(m, run, mdir, "");
        rmtree_shallow(mdir);
        free(mdir);
        for (size_t i = 0; i < nf; i++)
            free(names[i]);
        free(names);
        free(types);
        rmdir(tdir);
    }
    if (rc == 0)
        rc = ml_mlflow_run_artifact_uri(m, run, &art);
    if (rc == 0) {
        source = ju_xasprintf("%s/model", art);
        rc = ml_mlflow_register_version(m, name, source, run, &version);
    }
    if (run)
        ml_mlflow_run_end(m, run, rc == 0 ? ML_RUN_FINISHED : ML_RUN_FAILED);
    if (rc == 0)
        printf("registered model '%s' version %" PRId64 " (run %s)\n"
               "model URI: models:/%s/%" PRId64 "\n",
               name, version, run, name, version);
    else
        fail("import-sklearn");
    free(tdir);
    free(source);
    free(art);
    free(run);
    free(exp);
    ml_mlflow_free(m);
    ml_iforest_free(f);
    return rc == 0 ? 0 : 1;
usage:
    fprintf(stderr, "usage: jobctl model import-sklearn FILE --name NAME "
                    "[--experiment NAME]\n"
                    "FILE: a model file from export_sklearn_iforest.py, or "
                    "a pickled/joblib IsolationForest\n");
    return 2;
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static int cmd_list(int argc, char **argv)
{
    const char *name = NULL;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] != '-' && !name)
            name = argv[i];
        else {
            fprintf(stderr, "usage: jobctl model list [NAME] [--json]\n");
            return 2;
        }
    }
    struct ml_mlflow *m;
    if (ml_mlflow_open(&m, NULL) != 0)
        return fail("list");
    struct ml_model_version *v;
    size_t n;
    int rc = ml_mlflow_list_versions(m, name, &v, &n);
    if (rc) {
        ml_mlflow_free(m);
        return fail("list");
    }
    if (json) {
        printf("[");
        for (size_t i = 0; i < n; i++) {
            printf("%s{\"name\":", i ? "," : "");
            json_str(stdout, v[i].name);
            printf(",\"version\":%" PRId64 ",\"run_id\":", v[i].version);
            json_str(stdout, v[i].run_id);
            printf(",\"source\":");
            json_str(stdout, v[i].source);
            printf(",\"current_stage\":");
            json_str(stdout, v[i].stage);
            printf(",\"creation_timestamp\":%" PRId64 "}",
                   v[i].creation_timestamp);
        }
        printf("]\n");
    } else {
        printf("%-34s %7s  %-32s  %-20s  %s\n", "NAME", "VERSION", "RUN_ID",
               "CREATED (UTC)", "STAGE");
        for (size_t i = 0; i < n; i++) {
            time_t t = (time_t)(v[i].creation_timestamp / 1000);
            struct tm tm;
            char ts[32];
            gmtime_r(&t, &tm);
            strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
            printf("%-34s %7" PRId64 "  %-32s  %-20s  %s\n", v[i].name,
                   v[i].version, v[i].run_id, ts, v[i].stage);
        }
    }
    ml_model_versions_free(v, n);
    ml_mlflow_free(m);
    return 0;
}

/* ---- CSV scoring ---- */

/* Split one CSV line into fields (RFC 4180 quotes); returns count. Fields
 * point into line, which is modified in place. */
static size_t csv_split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return n;
        if (*p == '"') {
            char *w = ++p;
            fields[n++] = w;
            while (*p) {
                if (*p == '"' && p[1] == '"') {
                    *w++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            }
            while (*p && *p != ',')
                p++;
            char c = *p;
            *w = '\0';
            if (c == ',') {
                p++;
                continue;
            }
            return n;
        }
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            return n;
        *comma = '\0';
        p = comma + 1;
    }
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(s, &end);
    while (*end == ' ' || *end == '\r')
        end++;
    return end != s && *end == '\0' && errno != ERANGE;
}

static int cmd_score(int argc, char **argv)
{
    const char *uri = NULL, *in = NULL, *outp = NULL;
    int threads = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc)
            in = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc)
            outp = argv[++i];
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (int)strtol(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && !uri)
            uri = argv[i];
        else
            goto usage;
    }
    if (!uri || !in || !outp)
        goto usage;

    struct ml_mlflow *m = NULL;
    struct ml_iforest *f = NULL;
    char *dir = NULL;
    bool downloaded = false;
    int rc = ml_mlflow_open(&m, NULL);
    if (rc == 0)
        rc = ml_mlflow_resolve_model(m, uri, &dir, NULL, &downloaded);
    if (rc == 0)
        rc = ml_model_dir_load(dir, &f);
    if (downloaded)
        remove_download(dir);
    free(dir);
    ml_mlflow_free(m);
    if (rc)
        return fail("score");
    if (ml_iforest_n_features(f) != 2) {
        fprintf(stderr,
                "jobctl: model score: model has %zu features; CSV scoring "
                "expects the two features value,timestamp_unix\n",
                ml_iforest_n_features(f));
        ml_iforest_free(f);
        return 1;
    }

    FILE *fp = fopen(in, "re");
    if (!fp) {
        fprintf(stderr, "jobctl: model score: cannot open '%s': %s\n", in,
                strerror(errno));
        ml_iforest_free(f);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    struct ju_buf lines = JU_BUF_INIT; /* kept input lines, NUL-separated */
    size_t *starts = NULL, n_alloc = 0, nrows = 0;
    double *x = NULL;
    size_t x_alloc = 0;
    int col_v = -1, col_t = -1;
    size_t lineno = 0;
    char *header = NULL;
    rc = 0;
    while ((len = getline(&line, &cap, fp)) > 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (lines.len + (size_t)len > CSV_CAP) {
            fprintf(stderr, "jobctl: model score: '%s' is too large\n", in);
            rc = 1;
            break;
        }
        char *copy = ju_xstrdup(line);
        char *fields[256];
        size_t nfields = csv_split(copy, fields, 256);
        if (!header) {
            header = ju_xstrdup(line);
            for (size_t i = 0; i < nfields; i++) {
                if (!strcmp(fields[i], "value"))
                    col_v = (int)i;
                else if (!strcmp(fields[i], "timestamp_unix"))
                    col_t = (int)i;
            }
            free(copy);
            if (col_v < 0 || col_t < 0) {
                fprintf(stderr,
                        "jobctl: model score: '%s':1: header needs columns "
                        "'value' and 'timestamp_unix'\n",
                        in);
                rc = 1;
                break;
            }
            continue;
        }
        double v, t;
        if ((size_t)col_v >= nfields || (size_t)col_t >= nfields ||
            !parse_num(fields[col_v], &v) || !parse_num(fields[col_t], &t)) {
            fprintf(stderr,
                    "jobctl: model score: '%s':%zu: invalid or missing "
                    "value/timestamp_unix\n",
                    in, lineno);
            free(copy);
            rc = 1;
            break;
        }
        free(copy);
        JU_ALLOC_GROW(x, 2 * (nrows + 1), x_alloc);
        JU_ALLOC_GROW(starts, nrows + 1, n_alloc);
        x[2 * nrows] = v;
        x[2 * nrows + 1] = t;
        starts[nrows] = lines.len;
        ju_buf_add(&lines, line, (size_t)len + 1);
        nrows++;
    }
    free(line);
    fclose(fp);
    if (!header && rc == 0) {
        fprintf(stderr, "jobctl: model score: '%s' is empty\n", in);
        rc = 1;
    }
    if (rc == 0) {
        double *s = ju_xmalloc((nrows ? nrows : 1) * sizeof(*s));
        double *d = ju_xmalloc((nrows ? nrows : 1) * sizeof(*d));
        int32_t *p = ju_xmalloc((nrows ? nrows : 1) * sizeof(*p));
        ml_iforest_score(f, x, nrows, s, d, p, threads);
        FILE *o = strcmp(outp, "-") == 0 ? stdout : fopen(outp, "we");
        if (!o) {
            fprintf(stderr, "jobctl: model score: cannot create '%s': %s\n",
                    outp, strerror(errno));
            rc = 1;
        } else {
            fprintf(o, "%s,score_samples,decision_function,predict\n",
                    header);
            for (size_t i = 0; i < nrows; i++)
                fprintf(o, "%s,%.17g,%.17g,%d\n", lines.data + starts[i],
                        s[i], d[i], p[i]);
            if (o != stdout && fclose(o) != 0) {
                fprintf(stderr, "jobctl: model score: cannot write '%s'\n",
                        outp);
                rc = 1;
            }
        }
        if (rc == 0 && o != stdout)
            fprintf(stderr, "scored %zu rows -> %s\n", nrows, outp);
        free(s);
        free(d);
        free(p);
    }
    free(header);
    free(x);
    free(starts);
    ju_buf_release(&lines);
    ml_iforest_free(f);
    return rc;
usage:
    fprintf(stderr, "usage: jobctl model score MODEL_URI --input FILE.csv "
                    "--output FILE.csv [--threads N]\n");
    return 2;
}

int cmd_model(int argc, char **argv)
{
    if (argc < 2)
        return jc_cli_usage("model");
    if (!strcmp(argv[1], "import-sklearn"))
        return cmd_import(argc - 1, argv + 1);
    if (!strcmp(argv[1], "list"))
        return cmd_list(argc - 1, argv + 1);
    if (!strcmp(argv[1], "score"))
        return cmd_score(argc - 1, argv + 1);
    fprintf(stderr, "jobctl: model: unknown subcommand '%s'\n", argv[1]);
    return jc_cli_usage("model");
}
