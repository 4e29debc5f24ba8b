/*
 * delta_snapshot.c: the snapshot API: loading a version (newest usable
 * checkpoint, then the commits after it), advancing a snapshot by the
 * commits after it, reader/writer protocol checks, and freeing.
 */
#include "delta_int.h"

#include <stdlib.h>
#include <string.h>

#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

void lake_snapshot_free(struct lake_snapshot *s)
{
    size_t i;

    if (!s)
        return;
    lake_delta__strv_free(s->reader_features);
    lake_delta__strv_free(s->writer_features);
    free(s->metadata_id);
    free(s->name);
    free(s->schema_string);
    if (s->schema)
        lake_schema_free(s->schema);
    for (i = 0; i < s->npartition_cols; i++)
        free(s->partition_cols[i]);
    free(s->partition_cols);
    for (i = 0; i < s->nconfig; i++) {
        free(s->config[i].key);
        free(s->config[i].value);
    }
    free(s->config);
    for (i = 0; i < s->nfiles; i++)
        lake_delta__file_release(&s->files[i]);
    free(s->files);
    for (i = 0; i < s->ntombstones; i++)
        free(s->tombstones[i].path);
    free(s->tombstones);
    for (i = 0; i < s->ntxns; i++)
        free(s->txns[i].app_id);
    free(s->txns);
    free(s);
}

static const char *cfg_get(const struct lake_snapshot *s, const char *k)
{
    size_t i;

    for (i = 0; i < s->nconfig; i++) {
        if (!strcmp(s->config[i].key, k))
            return s->config[i].value;
    }
    return NULL;
}

int lake_snapshot_check_reader(const struct lake_snapshot *s)
{
    const char *cm = cfg_get(s, "delta.columnMapping.mode");
    int cm_none = !cm || !strcmp(cm, "none");
    struct ju_buf b = JU_BUF_INIT;
    size_t i;
    int n = 0;
    int rc;

    if (s->min_reader_version <= 1)
        return 0;
    if (s->min_reader_version == 2) {
        if (cm_none)
            return 0;
        return jc_err_set(JC_EUNSUPPORTED,
                          "table requires reader version 2 with features "
                          "[columnMapping] (delta.columnMapping.mode '%s'); "
                          "this reader supports version 1",
                          cm);
    }
    if (s->min_reader_version > 3)
        return jc_err_set(JC_EUNSUPPORTED,
                          "table requires reader version %d; this reader "
                          "supports version 1",
                          s->min_reader_version);
    for (i = 0; s->reader_features && s->reader_features[i]; i++) {
        const char *f = s->reader_features[i];

        if (!strcmp(f, "timestampNtz") || !strcmp(f, "vacuumProtocolCheck"))
            continue;
        if (!strcmp(f, "columnMapping") && cm_none)
            continue;
        ju_buf_addf(&b, "%s%s", n++ ? ", " : "", f);
    }
    if (!n)
        return 0;
    rc = jc_err_set(JC_EUNSUPPORTED,
                    "table requires reader version 3 with features [%s]; "
                    "this reader supports version 1",
                    ju_buf_str(&b));
    ju_buf_release(&b);
    return rc;
}

int lake_snapshot_check_writer(const struct lake_snapshot *s)
{
    size_t i;

    if (lake_snapshot_check_reader(s))
        return JC_EUNSUPPORTED;
    if (s->min_writer_version <= 2)
        return 0;
    if (s->min_writer_version == 7) {
        for (i = 0; s->writer_features && s->writer_features[i]; i++) {
            const char *f = s->writer_features[i];

            if (strcmp(f, "appendOnly") && strcmp(f, "timestampNtz") &&
                strcmp(f, "vacuumProtocolCheck"))
                return jc_err_set(JC_EUNSUPPORTED,
                                  "table requires writer feature '%s'; this "
                                  "writer supports version 2",
                                  f);
        }
        return 0;
    }
    return jc_err_set(JC_EUNSUPPORTED,
                      "table requires writer version %d; this writer "
                      "supports version 2",
                      s->min_writer_version);
}

static int replay_commit_file(struct lake_replay *r, const char *log_dir,
                              int64_t v)
{
    char *p = lake_log_commit_path(log_dir, v);
    char *data = NULL;
    size_t len = 0;
    int rc = lake_fs_read_file(p, LAKE_DELTA_COMMIT_CAP, &data, &len);

    if (rc == 0)
        rc = lake_replay_commit_text(r, p, data, len);
    free(data);
    free(p);
    return rc;
}

/* Replay commits first..last (each must be listed in l) into r, then finish
 * r as the snapshot of version last, stamped with that commit's mtime. */
static int replay_commits(struct lake_replay *r,
                          const struct lake_log_listing *l, const char *log_dir,
                          int64_t first, int64_t last,
                          struct lake_snapshot **out)
{
    int64_t v;
    int rc;

    for (v = first; v <= last; v++) {
        if (!lake_log_has_commit(l, v))
            return jc_err_set(JC_EPARSE,
                              "'%s': log has a gap: commit %020lld.json is "
                              "missing",
                              log_dir, (long long)v);
        rc = replay_commit_file(r, log_dir, v);
        if (rc)
            return rc;
    }
    rc = lake_replay_finish(r, last, out);
    if (rc == 0) {
        char *cp = lake_log_commit_path(log_dir, last);

        if (lake_fs_mtime_ms(cp, &(*out)->timestamp_ms) != 0)
            (*out)->timestamp_ms = 0;
        free(cp);
    }
    return rc;
}

int lake_snapshot_load(const char *path, int64_t version,
                       struct lake_snapshot **out)
{
    char *log_dir = ju_xasprintf("%s/_delta_log", path);
    struct lake_log_listing l;
    int64_t latest = -1;
    int64_t target;
    int64_t start = -1;
    struct lake_replay *r = NULL;
    size_t ci;
    int rc;

    *out = NULL;
    rc = lake_log_list(log_dir, &l);
    if (rc) {
        if (rc == JC_ENOTFOUND)
            jc_err_set(JC_ENOTFOUND,
                       "'%s' is not a Delta table (no _delta_log)", path);
        free(log_dir);
        return rc;
    }
    if (l.ncommits)
        latest = l.commits[l.ncommits - 1];
    for (ci = 0; ci < l.nckpts; ci++) {
        if (l.ckpts[ci].have >= l.ckpts[ci].parts &&
            l.ckpts[ci].version > latest)
            latest = l.ckpts[ci].version;
    }
    if (latest < 0) {
        rc = jc_err_set(JC_ENOTFOUND,
                        "'%s' is not a Delta table (no commits in _delta_log)",
                        path);
        goto out;
    }
    target = version < 0 ? latest : version;
    if (target > latest) {
        rc = jc_err_set(JC_ENOTFOUND,
                        "'%s': version %lld does not exist (latest is %lld)",
                        path, (long long)version, (long long)latest);
        goto out;
    }
    /* newest complete checkpoint <= target that can be read */
    for (ci = l.nckpts; ci-- > 0;) {
        const struct lake_log_ckpt *c = &l.ckpts[ci];

        if (c->version > target || c->have < c->parts)
            continue;
        r = lake_replay_new();
        rc = lake_ckpt_read(r, log_dir, c->version, c->parts);
        if (rc == 0) {
            lake_replay_set_checkpoint(r, c->version, c->parts);
            start = c->version;
            break;
        }
        /* unusable checkpoint: try an older one */
        lake_replay_free(r);
        r = NULL;
    }
    if (!r) {
        r = lake_replay_new();
        if (!lake_log_has_commit(&l, 0)) {
            rc = jc_err_set(JC_ENOTFOUND,
                            "'%s': cannot reconstruct version %lld: no "
                            "checkpoint and commit 0 is missing",
                            path, (long long)target);
            goto out;
        }
    }
    rc = replay_commits(r, &l, log_dir, start + 1, target, out);
out:
    lake_replay_free(r);
    lake_log_listing_release(&l);
    free(log_dir);
    return rc;
}

int lake_snapshot_advance(const char *path, const struct lake_snapshot *base,
                          struct lake_snapshot **out)
{
    char *log_dir = ju_xasprintf("%s/_delta_log", path);
    struct lake_log_listing l;
    struct lake_replay *r = NULL;
    int64_t latest;
    size_t ci;
    int rc = lake_log_list(log_dir, &l);

    *out = NULL;
    if (rc) {
        free(log_dir);
        return rc;
    }
    latest = l.ncommits ? l.commits[l.ncommits - 1] : -1;
    if (latest <= base->version) {
        /* unchanged (a newer checkpoint alone changes nothing) */
        rc = 0;
        goto out;
    }
    for (ci = 0; ci < l.nckpts; ci++) {
        if (l.ckpts[ci].version > base->version &&
            l.ckpts[ci].have >= l.ckpts[ci].parts) {
            /* a newer checkpoint: a full load is as cheap */
            rc = lake_snapshot_load(path, -1, out);
            goto out;
        }
    }
    r = lake_replay_from_snapshot(base);
    if (!r) {
        rc = lake_snapshot_load(path, -1, out);
        goto out;
    }
    rc = replay_commits(r, &l, log_dir, base->version + 1, latest, out);
out:
    lake_replay_free(r);
    lake_log_listing_release(&l);
    free(log_dir);
    return rc;
}
