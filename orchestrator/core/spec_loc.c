/*
 * spec_loc.c: where things are in a job file: the diagnostics list
 * (jc_diags), the node -> file:line:col map kept with each job, and the JSON
 * position indexer that fills it (task objects at load time, the rest
 * lazily on the first miss). No parsing into the job model here: that is
 * spec_model.c; YAML locations come from yaml.c.
 */
#include "jobctl/spec.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/spec_int.h"
#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

/* ---- diagnostics ---------------------------------------------------- */

void jc_diags_add(struct jc_diags *d, const struct jc_src_loc *loc,
                  const char *fmt, ...)
{
    struct ju_buf b = JU_BUF_INIT;
    va_list ap;

    if (!d)
        return;
    if (loc && loc->file && loc->line > 0)
        ju_buf_addf(&b, "%s:%d:%d: ", loc->file, loc->line, loc->col);
    else if (loc && loc->file)
        ju_buf_addf(&b, "%s: ", loc->file);
    va_start(ap, fmt);
    ju_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    JU_ALLOC_GROW(d->items, d->n + 1, d->alloc);
    d->items[d->n++].msg = ju_buf_detach(&b, NULL);
}

void jc_diags_release(struct jc_diags *d)
{
    size_t i;

    if (!d)
        return;
    for (i = 0; i < d->n; i++)
        free(d->items[i].msg);
    free(d->items);
    d->items = NULL;
    d->n = 0;
    d->alloc = 0;
}

/* ---- location map ----------------------------------------------------- */

struct jc_spec_priv *jc_spec__priv_new(void)
{
    struct jc_spec_priv *p = ju_xcalloc(1, sizeof(*p));

    pthread_mutex_init(&p->lock, NULL);
    return p;
}

void jc_spec__priv_free(struct jc_spec_priv *p)
{
    size_t i;

    if (!p)
        return;
    free(p->locs);
    for (i = 0; i < p->nfiles; i++)
        free(p->files[i]);
    free(p->files);
    jc_diags_release(&p->notes);
    free(p->lazy_text);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const char *jc_spec__intern_file(struct jc_spec_priv *p, const char *path)
{
    size_t i;

    if (!path)
        return NULL;
    for (i = 0; i < p->nfiles; i++)
        if (!strcmp(p->files[i], path))
            return p->files[i];
    p->files = ju_xrealloc(p->files, (p->nfiles + 1) * sizeof(*p->files));
    p->files[p->nfiles] = ju_xstrdup(path);
    return p->files[p->nfiles++];
}

static size_t ptr_hash(const void *ptr)
{
    uint64_t x = (uint64_t)(uintptr_t)ptr;

    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x;
}

static void loc_put(struct jc_spec_loc_entry *tab, size_t cap,
                    const struct jc_spec_loc_entry *e, size_t *count)
{
    size_t i = ptr_hash(e->node) & (cap - 1);

    while (tab[i].node && tab[i].node != e->node)
        i = (i + 1) & (cap - 1);
    if (!tab[i].node)
        (*count)++;
    tab[i] = *e;
}

static uint16_t file_index(struct jc_spec_priv *p, const char *file)
{
    size_t i;

    for (i = 0; i < p->nfiles && i < 65535; i++)
        if (p->files[i] == file)
            return (uint16_t)i;
    /* not interned (should not happen): intern a copy */
    file = jc_spec__intern_file(p, file);
    for (i = 0; i < p->nfiles && i < 65535; i++)
        if (p->files[i] == file)
            return (uint16_t)i;
    return 0;
}

void jc_spec__loc_set(struct jc_spec_priv *p, const json_t *node,
                      const char *file, int line, int col)
{
    struct jc_spec_loc_entry e;

    if (!node || !file || node == json_true() || node == json_false() ||
        node == json_null())
        return;
    if ((p->nlocs + 1) * 4 > p->cap * 3) {
        size_t ncap = p->cap ? p->cap * 2 : 256;
        struct jc_spec_loc_entry *nt = ju_xcalloc(ncap, sizeof(*nt));
        size_t i, n = 0;

        for (i = 0; i < p->cap; i++)
            if (p->locs[i].node)
                loc_put(nt, ncap, &p->locs[i], &n);
        free(p->locs);
        p->locs = nt;
        p->cap = ncap;
        p->nlocs = n;
    }
    e.node = node;
    e.line = line > 0 ? (uint32_t)line : 0;
    e.col = col > 65535 ? 65535 : col > 0 ? (uint16_t)col : 0;
    e.file = (p->nfiles && p->files[p->nfiles - 1] == file)
                 ? (uint16_t)(p->nfiles - 1)
                 : file_index(p, file);
    loc_put(p->locs, p->cap, &e, &p->nlocs);
}

static void index_full(struct jc_spec_priv *p, const char *file,
                       const char *text, size_t len, json_t *root);

static bool loc_lookup(const struct jc_spec_priv *p, const json_t *node,
                       struct jc_src_loc *out);

bool jc_spec__loc_get(const struct jc_spec_priv *cp, const json_t *node,
                      struct jc_src_loc *out)
{
    struct jc_spec_priv *p = (struct jc_spec_priv *)cp; /* lazy state */
    bool found;

    if (!p || !node)
        return false;
    pthread_mutex_lock(&p->lock);
    found = loc_lookup(p, node, out);
    if (!found && p->lazy_text) {
        char *text = p->lazy_text;

        p->lazy_text = NULL;
        index_full(p, p->lazy_file, text, p->lazy_len, p->lazy_root);
        free(text);
        found = loc_lookup(p, node, out);
    }
    pthread_mutex_unlock(&p->lock);
    return found;
}

static bool loc_lookup(const struct jc_spec_priv *p, const json_t *node,
                       struct jc_src_loc *out)
{
    size_t i;

    if (!p->cap)
        return false;
    i = ptr_hash(node) & (p->cap - 1);
    while (p->locs[i].node) {
        if (p->locs[i].node == node) {
            out->file = p->files[p->locs[i].file];
            out->line = (int)p->locs[i].line;
            out->col = (int)p->locs[i].col;
            return true;
        }
        i = (i + 1) & (p->cap - 1);
    }
    return false;
}

bool jc_spec_loc(const struct jc_job *job, const json_t *node,
                 struct jc_src_loc *out)
{
    out->file = job ? job->source_path : NULL;
    out->line = 0;
    out->col = 0;
    if (!job)
        return false;
    return jc_spec__loc_get(job->priv, node, out);
}

/* ---- JSON position indexer -------------------------------------------- */

/*
 * Walks text already accepted by jansson next to the tree it produced and
 * records where each value starts. Mismatches (duplicate keys) are skipped.
 */
struct jscan {
    const char *s;
    size_t len;
    size_t pos;
    int line;
    size_t line_start;
    const char *file;
    struct jc_spec_priv *p;
    int depth;
    bool tasks_only; /* record only elements of "tasks" arrays and "task" */
};

static void js_ws(struct jscan *j)
{
    while (j->pos < j->len) {
        char c = j->s[j->pos];

        if (c == '\n') {
            j->line++;
            j->line_start = j->pos + 1;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            return;
        }
        j->pos++;
    }
}

static int js_col(const struct jscan *j)
{
    return (int)(j->pos - j->line_start) + 1;
}

/* Skip a string; if key != NULL decode it (simple escapes) into key. */
static void js_string(struct jscan *j, struct ju_buf *key)
{
    j->pos++; /* opening quote */
    while (j->pos < j->len && j->s[j->pos] != '"') {
        char c = j->s[j->pos];

        if (c == '\\' && j->pos + 1 < j->len) {
            char e = j->s[j->pos + 1];

            j->pos += 2;
            if (!key)
                continue;
            switch (e) {
            case 'n':
                ju_buf_addc(key, '\n');
                break;
            case 't':
                ju_buf_addc(key, '\t');
                break;
            case 'r':
                ju_buf_addc(key, '\r');
                break;
            case 'b':
                ju_buf_addc(key, '\b');
                break;
            case 'f':
                ju_buf_addc(key, '\f');
                break;
            case 'u': {
                /* decode \uXXXX (with surrogate pairs) to UTF-8 */
                unsigned long cp = 0;
                char hex[5] = {0};

                if (j->pos + 4 > j->len)
                    return;
                memcpy(hex, j->s + j->pos, 4);
                cp = strtoul(hex, NULL, 16);
                j->pos += 4;
                if (cp >= 0xD800 && cp < 0xDC00 && j->pos + 6 <= j->len &&
                    j->s[j->pos] == '\\' && j->s[j->pos + 1] == 'u') {
                    unsigned long lo;

                    memcpy(hex, j->s + j->pos + 2, 4);
                    lo = strtoul(hex, NULL, 16);
                    j->pos += 6;
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                }
                if (cp < 0x80) {
                    ju_buf_addc(key, (char)cp);
                } else if (cp < 0x800) {
                    ju_buf_addc(key, (char)(0xC0 | (cp >> 6)));
                    ju_buf_addc(key, (char)(0x80 | (cp & 0x3F)));
                } else if (cp < 0x10000) {
                    ju_buf_addc(key, (char)(0xE0 | (cp >> 12)));
                    ju_buf_addc(key, (char)(0x80 | ((cp >> 6) & 0x3F)));
                    ju_buf_addc(key, (char)(0x80 | (cp & 0x3F)));
                } else {
                    ju_buf_addc(key, (char)(0xF0 | (cp >> 18)));
                    ju_buf_addc(key, (char)(0x80 | ((cp >> 12) & 0x3F)));
                    ju_buf_addc(key, (char)(0x80 | ((cp >> 6) & 0x3F)));
                    ju_buf_addc(key, (char)(0x80 | (cp & 0x3F)));
                }
                break;
            }
            default:
                ju_buf_addc(key, e);
                break;
            }
            continue;
        }
        if (c == '\n') {
            j->line++;
            j->line_start = j->pos + 1;
        }
        if (key)
            ju_buf_addc(key, c);
        j->pos++;
    }
    if (j->pos < j->len)
        j->pos++; /* closing quote */
}

/* key: the object key or array name this value is under (for tasks_only) */
static void js_value(struct jscan *j, json_t *node, const char *key, bool elem)
{
    char c;

    js_ws(j);
    if (j->pos >= j->len || j->depth > 4096)
        return;
    if (node && (!j->tasks_only || (key && json_is_object(node) &&
                                    ((elem && !strcmp(key, "tasks")) ||
                                     (!elem && !strcmp(key, "task"))))))
        jc_spec__loc_set(j->p, node, j->file, j->line, js_col(j));
    c = j->s[j->pos];
    if (c == '{') {
        j->pos++;
        j->depth++;
        for (;;) {
            struct ju_buf kb = JU_BUF_INIT;
            json_t *child = NULL;

            js_ws(j);
            if (j->pos >= j->len)
                break;
            if (j->s[j->pos] == '}') {
                j->pos++;
                break;
            }
            if (j->s[j->pos] == ',') {
                j->pos++;
                continue;
            }
            if (j->s[j->pos] != '"')
                break; /* cannot happen for jansson-accepted text */
            js_string(j, &kb);
            if (node && json_is_object(node))
                child = json_object_get(node, ju_buf_str(&kb));
            js_ws(j);
            if (j->pos < j->len && j->s[j->pos] == ':')
                j->pos++;
            js_value(j, child, ju_buf_str(&kb), false);
            ju_buf_release(&kb);
        }
        j->depth--;
    } else if (c == '[') {
        size_t idx = 0;

        j->pos++;
        j->depth++;
        for (;;) {
            js_ws(j);
            if (j->pos >= j->len)
                break;
            if (j->s[j->pos] == ']') {
                j->pos++;
                break;
            }
            if (j->s[j->pos] == ',') {
                j->pos++;
                continue;
            }
            js_value(j,
                     node && json_is_array(node) ? json_array_get(node, idx)
                                                 : NULL,
                     key, true);
            idx++;
        }
        j->depth--;
    } else if (c == '"') {
        js_string(j, NULL);
    } else {
        /* number or literal; always advance so odd bytes cannot stall */
        do {
            j->pos++;
        } while (j->pos < j->len && j->s[j->pos] &&
                 !strchr(",]} \t\r\n", j->s[j->pos]));
    }
}

static void scan(struct jc_spec_priv *p, const char *file, const char *text,
                 size_t len, json_t *root, bool tasks_only)
{
    struct jscan j;

    memset(&j, 0, sizeof(j));
    j.s = text;
    j.len = len;
    j.line = 1;
    j.file = file;
    j.p = p;
    j.tasks_only = tasks_only;
    js_value(&j, root, NULL, false);
}

static void index_full(struct jc_spec_priv *p, const char *file,
                       const char *text, size_t len, json_t *root)
{
    /* pre-size the map: roughly one value per 12 bytes of JSON */
    if (!p->cap && len / 9 > 256) {
        size_t cap = 256;

        while (cap < len / 9 && cap < ((size_t)1 << 26))
            cap *= 2;
        p->locs = ju_xcalloc(cap, sizeof(*p->locs));
        p->cap = cap;
    }
    scan(p, file, text, len, root, false);
}

void jc_spec__index_json(struct jc_spec_priv *p, const char *file,
                         const char *text, size_t len, json_t *root, bool full)
{
    if (full) {
        index_full(p, file, text, len, root);
        return;
    }
    scan(p, file, text, len, root, true);
    free(p->lazy_text);
    p->lazy_text = ju_xmalloc(len + 1);
    memcpy(p->lazy_text, text, len);
    p->lazy_text[len] = '\0';
    p->lazy_len = len;
    p->lazy_file = file;
    p->lazy_root = root;
}
