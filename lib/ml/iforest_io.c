/*
 * iforest_io.c: the isolation forest model file (docs/MODEL-FORMAT.md):
 * a little-endian binary dump of sklearn's tree_ arrays plus the forest's
 * max_samples_ and offset_. The reader validates every field (caps, child
 * order, feature range) so a hostile file cannot make scoring misbehave.
 */
#include "ml/iforest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iforest_int.h"
#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define MAGIC "JCIFRST\n"
#define FORMAT_VERSION 1
#define HEADER_SIZE 56
#define NODE_SIZE 24
#define MAX_FILE_SIZE ((size_t)1 << 31)

static void put_u32(struct ju_buf *b, uint32_t v)
{
    unsigned char p[4];
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    ju_buf_add(b, p, 4);
}

static void put_f64(struct ju_buf *b, double d)
{
    uint64_t v;
    unsigned char p[8];
    memcpy(&v, &d, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
    ju_buf_add(b, p, 8);
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static double get_f64(const unsigned char *p)
{
    uint64_t v = 0;
    double d;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    memcpy(&d, &v, 8);
    return d;
}

int ml_iforest_write_mem(const struct ml_iforest *f, char **data, size_t *len)
{
    struct ju_buf b = JU_BUF_INIT;
    ju_buf_add(&b, MAGIC, 8);
    put_u32(&b, FORMAT_VERSION);
    put_u32(&b, (uint32_t)f->n_features);
    put_u32(&b, (uint32_t)f->n_estimators);
    put_u32(&b, (uint32_t)f->max_samples);
    put_f64(&b, f->offset);
    put_f64(&b, f->contamination);
    put_u32(&b, 0); /* flags */
    put_u32(&b, 0); /* reserved */
    put_u32(&b, 0);
    put_u32(&b, 0);
    for (size_t t = 0; t < f->n_estimators; t++) {
        const struct ml_itree *tr = &f->trees[t];
        put_u32(&b, (uint32_t)tr->n_nodes);
        for (size_t i = 0; i < tr->n_nodes; i++) {
            const struct ml_inode *nd = &tr->nodes[i];
            put_u32(&b, (uint32_t)nd->left);
            put_u32(&b, (uint32_t)nd->right);
            put_u32(&b, (uint32_t)nd->feature);
            put_u32(&b, nd->n_samples);
            put_f64(&b, nd->threshold);
        }
    }
    *data = ju_buf_detach(&b, len);
    return 0;
}

int ml_iforest_read_mem(struct ml_iforest **out, const void *data, size_t len)
{
    const unsigned char *p = data;
    *out = NULL;
    if (len < HEADER_SIZE || memcmp(p, MAGIC, 8) != 0)
        return jc_err_set(JC_EPARSE,
                          "not an isolation forest model file (bad magic)");
    uint32_t version = get_u32(p + 8);
    if (version != FORMAT_VERSION)
        return jc_err_set(JC_EUNSUPPORTED,
                          "unsupported model format version %u", version);
    uint32_t nf = get_u32(p + 12);
    uint32_t ne = get_u32(p + 16);
    uint32_t ms = get_u32(p + 20);
    double offset = get_f64(p + 24);
    double contamination = get_f64(p + 32);
    if (nf == 0 || nf > ML_IFOREST_MAX_FEATURES)
        return jc_err_set(JC_EPARSE, "byte 12: invalid n_features %u", nf);
    if (ne == 0 || ne > ML_IFOREST_MAX_ESTIMATORS)
        return jc_err_set(JC_EPARSE, "byte 16: invalid n_estimators %u", ne);
    if (ms == 0)
        return jc_err_set(JC_EPARSE, "byte 20: invalid max_samples 0");
    if (!isfinite(offset))
        return jc_err_set(JC_EPARSE, "byte 24: offset is not finite");
    if (get_u32(p + 40) != 0)
        return jc_err_set(JC_EUNSUPPORTED, "byte 40: unknown flags 0x%x",
                          get_u32(p + 40));
    for (size_t off = 44; off < HEADER_SIZE; off += 4)
        if (get_u32(p + off) != 0)
            return jc_err_set(JC_EUNSUPPORTED,
                              "byte %zu: reserved field is not zero", off);

    struct ml_iforest *f = ml_iforest__new(nf, ne);
    f->max_samples = ms;
    f->offset = offset;
    f->contamination = contamination;
    size_t pos = HEADER_SIZE;
    size_t total_nodes = 0;
    int rc = 0;
    for (size_t t = 0; t < ne; t++) {
        if (len - pos < 4) {
            rc = jc_err_set(JC_EPARSE, "byte %zu: truncated (tree %zu)", pos,
                            t);
            goto fail;
        }
        uint32_t nn = get_u32(p + pos);
        if (nn == 0 || nn > ML_IFOREST_MAX_NODES ||
            (total_nodes += nn) > ML_IFOREST_MAX_NODES) {
            rc = jc_err_set(JC_ETOOBIG, "byte %zu: invalid node count %u",
                            pos, nn);
            goto fail;
        }
        pos += 4;
        if ((len - pos) / NODE_SIZE < nn) {
            rc = jc_err_set(JC_EPARSE, "byte %zu: truncated (tree %zu)", pos,
                            t);
            goto fail;
        }
        struct ml_itree *tr = &f->trees[t];
        tr->nodes = ju_xmalloc(nn * sizeof(*tr->nodes));
        tr->n_nodes = nn;
        for (uint32_t i = 0; i < nn; i++, pos += NODE_SIZE) {
            struct ml_inode *nd = &tr->nodes[i];
            nd->left = (int32_t)get_u32(p + pos);
            nd->right = (int32_t)get_u32(p + pos + 4);
            nd->feature = (int32_t)get_u32(p + pos + 8);
            nd->n_samples = get_u32(p + pos + 12);
            nd->threshold = get_f64(p + pos + 16);
            if (nd->left == -1 && nd->right == -1)
                continue; /* leaf; feature/threshold ignored */
            /* invariant (1): children come after the parent */
            if (nd->left <= (int32_t)i || nd->right <= (int32_t)i ||
                (uint32_t)nd->left >= nn || (uint32_t)nd->right >= nn ||
                nd->left == nd->right) {
                rc = jc_err_set(JC_EPARSE,
                                "byte %zu: tree %zu node %u has invalid "
                                "children %d, %d",
                                pos, t, i, nd->left, nd->right);
                goto fail;
            }
            if (nd->feature < 0 || (uint32_t)nd->feature >= nf) {
                rc = jc_err_set(JC_EPARSE,
                                "byte %zu: tree %zu node %u has invalid "
                                "feature %d",
                                pos + 8, t, i, nd->feature);
                goto fail;
            }
            if (isnan(nd->threshold)) {
                rc = jc_err_set(JC_EPARSE,
                                "byte %zu: tree %zu node %u threshold is NaN",
                                pos + 16, t, i);
                goto fail;
            }
        }
        /* every node must be reachable exactly once (a tree, not a DAG) */
        uint8_t *seen = ju_xcalloc(nn, 1);
        for (uint32_t i = 0; i < nn && rc == 0; i++) {
            const struct ml_inode *nd = &tr->nodes[i];
            if (nd->left < 0)
                continue;
            if (seen[nd->left]++ || seen[nd->right]++)
                rc = jc_err_set(JC_EPARSE,
                                "tree %zu: node %u shares a child", t, i);
        }
        free(seen);
        if (rc)
            goto fail;
    }
    if (pos != len) {
        rc = jc_err_set(JC_EPARSE, "byte %zu: trailing data after last tree",
                        pos);
        goto fail;
    }
    ml_iforest__compile(f);
    *out = f;
    return 0;
fail:
    ml_iforest_free(f);
    return rc;
}

int ml_iforest_save(const struct ml_iforest *f, const char *path)
{
    char *data;
    size_t len;
    ml_iforest_write_mem(f, &data, &len);
    char *tmp = ju_xasprintf("%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int rc = 0;
    if (fd < 0) {
        rc = jc_err_set(JC_EIO, "cannot create '%s': %s", tmp,
                        strerror(errno));
        goto out;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            rc = jc_err_set(JC_EIO, "cannot write '%s': %s", tmp,
                            strerror(errno));
            close(fd);
            unlink(tmp);
            goto out;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        rc = jc_err_set(JC_EIO, "cannot write '%s': %s", tmp,
                        strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = jc_err_set(JC_EIO, "cannot rename '%s': %s", tmp,
                        strerror(errno));
        unlink(tmp);
    }
out:
    free(tmp);
    free(data);
    return rc;
}

int ml_iforest_load(struct ml_iforest **out, const char *path)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return jc_err_set(errno == ENOENT ? JC_ENOTFOUND : JC_EIO,
                          "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return jc_err_set(JC_EIO, "cannot read '%s': not a regular file",
                          path);
    }
    if ((size_t)st.st_size > MAX_FILE_SIZE) {
        close(fd);
        return jc_err_set(JC_ETOOBIG, "model file '%s' is too big", path);
    }
    size_t len = (size_t)st.st_size;
    char *data = ju_xmalloc(len ? len : 1);
    size_t off = 0;
    while (off < len) {
        ssize_t r = read(fd, data + off, len - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    int rc = ml_iforest_read_mem(out, data, off);
    free(data);
    if (rc)
        jc_err_wrap(rc, "'%s'", path);
    return rc;
}
