/*
 * jobsdir.c: loads every job file (*.json, *.yml, *.yaml) in the jobs
 * directory and its immediate subdirectories (not workspace/) into the
 * store, and reloads a file when its mtime or size changes. A removed
 * file removes its job's schedule (the job row stays for run history).
 */
#include "daemon/daemon_int.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "jobctl/err.h"
#include "util/log.h"
#include "util/mem.h"

#define MAX_JOB_FILES 4096

struct jobfile {
    char *path;
    struct timespec mtime;
    off_t size;
    int64_t job_id;
    bool seen;
    bool bad; /* last load failed (logged once per change) */
    struct jobfile *next;
};

static bool job_ext(const char *name)
{
    const char *dot = strrchr(name, '.');

    return dot && (!strcmp(dot, ".json") || !strcmp(dot, ".yml") ||
                   !strcmp(dot, ".yaml"));
}

static struct jobfile *find_file(struct jc_daemon *d, const char *path)
{
    struct jobfile *f;

    for (f = d->files; f; f = f->next)
        if (!strcmp(f->path, path))
            return f;
    return NULL;
}

static void load_file(struct jc_daemon *d, struct jobfile *f)
{
    struct jc_job *job = NULL;
    struct jc_diags diags = JC_DIAGS_INIT;
    int64_t id;
    char *settings;
    int rc;

    rc = jc_spec_load_file(&job, f->path, NULL, &diags);
    if (!rc && (jc_spec_validate(job, &diags) || diags.n))
        rc = JC_EINVAL;
    if (rc) {
        log_warn("job file not loaded: file='%s' error='%s'",
                 f->path, diags.n ? diags.items[0].msg : jc_err_last());
        jc_diags_release(&diags);
        jc_job_free(job);
        f->bad = true;
        return;
    }
    jc_diags_release(&diags);
    f->bad = false;
    id = job->job_id > 0 ? job->job_id : f->job_id;
    settings = json_dumps(job->settings, JSON_COMPACT);
    rc = jc_store_job_put(d->store, &id, job->name ? job->name : "Untitled",
                          settings ? settings : "{}", f->path);
    free(settings);
    if (rc) {
        log_warn("cannot store job: file='%s' error='%s'", f->path,
                 jc_err_last());
    } else {
        f->job_id = id;
        log_info("job loaded: file='%s' job=%lld name='%s'",
                 f->path, (long long)id, job->name ? job->name : "");
        d->sched_dirty = true;
    }
    jc_job_free(job);
}

static void visit(struct jc_daemon *d, const char *path, size_t *count)
{
    struct stat sb;
    struct jobfile *f;

    if (stat(path, &sb) || !S_ISREG(sb.st_mode))
        return;
    if (++*count > MAX_JOB_FILES)
        return;
    f = find_file(d, path);
    if (!f) {
        f = ju_xcalloc(1, sizeof(*f));
        f->path = ju_xstrdup(path);
        f->next = d->files;
        d->files = f;
    } else if (f->mtime.tv_sec == sb.st_mtim.tv_sec &&
               f->mtime.tv_nsec == sb.st_mtim.tv_nsec &&
               f->size == sb.st_size) {
        f->seen = true;
        return;
    }
    f->seen = true;
    f->mtime = sb.st_mtim;
    f->size = sb.st_size;
    load_file(d, f);
}

static void scan_dir(struct jc_daemon *d, const char *dir, int depth,
                     size_t *count)
{
    DIR *dh = opendir(dir);
    struct dirent *de;

    if (!dh)
        return;
    while ((de = readdir(dh))) {
        char path[4096];
        struct stat sb;

        if (de->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) >=
            (int)sizeof(path))
            continue;
        if (stat(path, &sb))
            continue;
        if (S_ISDIR(sb.st_mode)) {
            if (depth == 0 && strcmp(de->d_name, "workspace"))
                scan_dir(d, path, depth + 1, count);
            continue;
        }
        if (job_ext(de->d_name))
            visit(d, path, count);
    }
    closedir(dh);
}

void dm_jobsdir_scan(struct jc_daemon *d)
{
    struct jobfile *f;
    struct jobfile **pp;
    size_t count = 0;

    for (f = d->files; f; f = f->next)
        f->seen = false;
    scan_dir(d, d->opts.jobs_dir, 0, &count);
    for (pp = &d->files; *pp;) {
        f = *pp;
        if (f->seen) {
            pp = &f->next;
            continue;
        }
        log_info("job file removed: file='%s' job=%lld", f->path,
                 (long long)f->job_id);
        if (f->job_id) {
            struct jc_job_row row;

            /* keep the job (run history) but drop its schedule */
            if (!jc_store_job_get(d->store, f->job_id, &row)) {
                json_t *s = json_loads(row.settings_json, 0, NULL);
                char *txt;
                int64_t id = f->job_id;

                json_object_del(s, "schedule");
                txt = json_dumps(s, JSON_COMPACT);
                if (txt)
                    jc_store_job_put(d->store, &id, row.name, txt,
                                     row.source_path);
                free(txt);
                json_decref(s);
                jc_job_row_release(&row);
            }
            d->sched_dirty = true;
        }
        *pp = f->next;
        free(f->path);
        free(f);
    }
}

void dm_jobsdir_free(struct jc_daemon *d)
{
    while (d->files) {
        struct jobfile *f = d->files;

        d->files = f->next;
        free(f->path);
        free(f);
    }
}
