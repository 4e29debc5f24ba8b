/*
 * tool.c: jobctl-iforest, a small offline front to lib/ml for tests and
 * benchmarks: fit a model from a CSV or raw float64 file and score files
 * with a model, reporting in-process timings. Not part of the pipeline
 * (the gold tasks are main.c here and tasks/score).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jobctl/err.h"
#include "ml/iforest.h"
#include "ml/mlflow.h"
#include "util/mem.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Raw little-endian float64 rows (n x nf), or CSV with a header row
 * whose every column is a feature. */
static int read_input(const char *path, size_t nf_raw, double **x, size_t *n,
                      size_t *nf)
{
    FILE *fp = fopen(path, "re");
    if (!fp)
        return jc_err_set(JC_EIO, "cannot open '%s': %s", path,
                          strerror(errno));
    if (!ends_with(path, ".csv")) {
        struct stat st;
        if (fstat(fileno(fp), &st) != 0 || nf_raw == 0 ||
            (size_t)st.st_size % (8 * nf_raw) != 0) {
            fclose(fp);
            return jc_err_set(JC_EINVAL,
                              "'%s': raw input needs --features N and a size "
                              "that is a multiple of 8*N",
                              path);
        }
        *nf = nf_raw;
        *n = (size_t)st.st_size / (8 * nf_raw);
        *x = ju_xmalloc((size_t)st.st_size + 8);
        size_t got = fread(*x, 1, (size_t)st.st_size, fp);
        fclose(fp);
        if (got != (size_t)st.st_size)
            return jc_err_set(JC_EIO, "short read on '%s'", path);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0, alloc = 0, count = 0;
    ssize_t len;
    *nf = 0;
    *x = NULL;
    size_t lineno = 0;
    int rc = 0;
    while ((len = getline(&line, &cap, fp)) > 0) {
        lineno++;
        if (lineno == 1) {
            *nf = 1;
            for (char *p = line; *p; p++)
                if (*p == ',')
                    (*nf)++;
            continue;
        }
        char *p = line;
        for (size_t j = 0; j < *nf; j++) {
            char *end;
            double v = strtod(p, &end);
            if (end == p) {
                rc = jc_err_set(JC_EPARSE, "%s:%zu: expected %zu numbers",
                                path, lineno, *nf);
                break;
            }
            JU_ALLOC_GROW(*x, count + 1, alloc);
            (*x)[count++] = v;
            p = end;
            if (*p == ',')
                p++;
        }
        if (rc)
            break;
    }
    free(line);
    fclose(fp);
    *n = *nf ? count / *nf : 0;
    return rc;
}

static int write_raw(const char *path, const double *v, size_t n)
{
    FILE *fp = fopen(path, "we");
    if (!fp || fwrite(v, 8, n, fp) != n) {
        if (fp)
            fclose(fp);
        return jc_err_set(JC_EIO, "cannot write '%s'", path);
    }
    return fclose(fp) == 0 ? 0 : jc_err_set(JC_EIO, "cannot write '%s'", path);
}

static const char *arg(int argc, char **argv, const char *name)
{
    for (int i = 0; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: jobctl-iforest fit --input FILE(.csv|raw f64) "
            "[--features N] --output MODEL\n"
            "           [--n-estimators 100] [--max-samples N|auto] "
            "[--contamination F|auto]\n"
            "           [--max-features F] [--bootstrap] [--seed 42] "
            "[--threads N] [--scores-out FILE.f64]\n"
            "       jobctl-iforest score MODEL --input FILE [--features N] "
            "--output FILE.f64 [--threads N]\n"
            "(--output of score holds decision_function values)\n");
    return 2;
}

static int cmd_fit(int argc, char **argv)
{
    const char *in = arg(argc, argv, "--input");
    const char *out = arg(argc, argv, "--output");
    if (!in || !out)
        return usage();
    struct ml_iforest_opts o = ML_IFOREST_OPTS_INIT;
    const char *s;
    if ((s = arg(argc, argv, "--n-estimators")))
        o.n_estimators = (int)strtol(s, NULL, 10);
    if ((s = arg(argc, argv, "--max-samples")) && strcmp(s, "auto"))
        o.max_samples = (int)strtol(s, NULL, 10);
    if ((s = arg(argc, argv, "--contamination")) && strcmp(s, "auto"))
        o.contamination = strtod(s, NULL);
    if ((s = arg(argc, argv, "--max-features")))
        o.max_features = strtod(s, NULL);
    if ((s = arg(argc, argv, "--seed")))
        o.seed = strtoull(s, NULL, 10);
    if ((s = arg(argc, argv, "--threads")))
        o.n_threads = (int)strtol(s, NULL, 10);
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--bootstrap"))
            o.bootstrap = true;
    size_t nf_raw = 0;
    if ((s = arg(argc, argv, "--features")))
        nf_raw = strtoul(s, NULL, 10);
    double *x;
    size_t n, nf;
    if (read_input(in, nf_raw, &x, &n, &nf) != 0) {
        fprintf(stderr, "jobctl-iforest: %s\n", jc_err_last());
        return 1;
    }
    const char *scores_out = arg(argc, argv, "--scores-out");
    double *train = scores_out ? ju_xmalloc((n ? n : 1) * 8) : NULL;
    double t0 = mono();
    struct ml_iforest *f;
    int rc = ml_iforest_fit(&f, x, n, nf, &o, train);
    double t1 = mono();
    if (rc) {
        fprintf(stderr, "jobctl-iforest: fit: %s\n", jc_err_last());
        free(x);
        free(train);
        return 1;
    }
    if (train) {
        /* decision_function of the training rows */
        for (size_t i = 0; i < n; i++)
            train[i] -= ml_iforest_offset(f);
        rc = write_raw(scores_out, train, n);
    }
    if (rc == 0)
        rc = ends_with(out, ".jcif") ? ml_iforest_save(f, out)
                                     : ml_model_dir_write(
                                           out, f,
                                           (const char *const[]){
                                               "value", "timestamp_unix"},
                                           (const char *const[]){"double",
                                                                 "long"},
                                           nf == 2 ? 2 : 0, NULL, NULL);
    if (rc)
        fprintf(stderr, "jobctl-iforest: %s\n", jc_err_last());
    else
        printf("fit rows=%zu features=%zu trees=%zu max_samples=%zu "
               "offset=%.17g fit_seconds=%.4f\n",
               n, nf, ml_iforest_n_estimators(f), ml_iforest_max_samples(f),
               ml_iforest_offset(f), t1 - t0);
    ml_iforest_free(f);
    free(train);
    free(x);
    return rc ? 1 : 0;
}

static int cmd_score(int argc, char **argv)
{
    if (argc < 2 || argv[1][0] == '-')
        return usage();
    const char *model = argv[1];
    const char *in = arg(argc, argv, "--input");
    const char *out = arg(argc, argv, "--output");
    if (!in || !out)
        return usage();
    const char *s;
    int threads = 0;
    if ((s = arg(argc, argv, "--threads")))
        threads = (int)strtol(s, NULL, 10);
    size_t nf_raw = 0;
    if ((s = arg(argc, argv, "--features")))
        nf_raw = strtoul(s, NULL, 10);
    struct ml_iforest *f;
    if (ml_model_dir_load(model, &f) != 0) {
        fprintf(stderr, "jobctl-iforest: %s\n", jc_err_last());
        return 1;
    }
    double *x;
    size_t n, nf;
    if (read_input(in, nf_raw ? nf_raw : ml_iforest_n_features(f), &x, &n,
                   &nf) != 0 ||
        nf != ml_iforest_n_features(f)) {
        fprintf(stderr, "jobctl-iforest: %s\n",
                jc_err_last()[0] ? jc_err_last() : "feature count mismatch");
        ml_iforest_free(f);
        return 1;
    }
    double *d = ju_xmalloc((n ? n : 1) * 8);
    double t0 = mono();
    ml_iforest_score(f, x, n, NULL, d, NULL, threads);
    double t1 = mono();
    int rc = write_raw(out, d, n);
    if (rc)
        fprintf(stderr, "jobctl-iforest: %s\n", jc_err_last());
    else
        printf("score rows=%zu score_seconds=%.4f\n", n, t1 - t0);
    free(d);
    free(x);
    ml_iforest_free(f);
    return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (!strcmp(argv[1], "fit"))
        return cmd_fit(argc - 1, argv + 1);
    if (!strcmp(argv[1], "score"))
        return cmd_score(argc - 1, argv + 1);
    return usage();
}
