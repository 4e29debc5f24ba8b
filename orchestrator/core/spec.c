/*
 * spec.c: loading job definitions into struct jc_job. Detects the input
 * shape (get-job response, JobSettings / jobs/create body, runs/submit
 * body, jobs/list response, bundle YAML or JSON), keeps the raw JSON with
 * unknown keys, and records file:line:col of every node for messages.
 */
#include "jobctl/spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/spec_int.h"
#include "jobctl/err.h"
#include "util/buf.h"
#include "util/mem.h"

#define SPEC_MAX_FILE (64u * 1024u * 1024u)

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

/* ---- small enums ------------------------------------------------------ */

static const char *const run_if_names[] = {
    "ALL_SUCCESS", "AT_LEAST_ONE_SUCCESS", "NONE_FAILED",
    "ALL_DONE",    "AT_LEAST_ONE_FAILED",  "ALL_FAILED"};

const char *jc_run_if_name(enum jc_run_if r)
{
    if ((unsigned)r < sizeof(run_if_names) / sizeof(run_if_names[0]))
        return run_if_names[r];
    return "ALL_SUCCESS";
}

int jc_run_if_parse(const char *s, enum jc_run_if *out)
{
    size_t i;

    for (i = 0; s && i < sizeof(run_if_names) / sizeof(run_if_names[0]); i++) {
        if (!strcmp(s, run_if_names[i])) {
            *out = (enum jc_run_if)i;
            return 0;
        }
    }
    return JC_EINVAL;
}

struct type_entry {
    const char *key;
    enum jc_task_type type;
};

static const struct type_entry task_types[] = {
    {"notebook_task", JC_TASK_NOTEBOOK},
    {"spark_python_task", JC_TASK_SPARK_PYTHON},
    {"python_wheel_task", JC_TASK_PYTHON_WHEEL},
    {"spark_jar_task", JC_TASK_SPARK_JAR},
    {"spark_submit_task", JC_TASK_SPARK_SUBMIT},
    {"sql_task", JC_TASK_SQL},
    {"dbt_task", JC_TASK_DBT},
    {"run_job_task", JC_TASK_RUN_JOB},
    {"condition_task", JC_TASK_CONDITION},
    {"for_each_task", JC_TASK_FOR_EACH},
    {"pipeline_task", JC_TASK_PIPELINE},
    {"command_task", JC_TASK_COMMAND},
    {"dashboard_task", JC_TASK_OTHER},
    {"power_bi_task", JC_TASK_OTHER},
    {"alert_task", JC_TASK_OTHER},
    {"clean_rooms_notebook_task", JC_TASK_OTHER},
    {"dbt_cloud_task", JC_TASK_OTHER},
    {"dbt_platform_task", JC_TASK_OTHER},
    {"gen_ai_compute_task", JC_TASK_OTHER},
    {"ai_runtime_task", JC_TASK_OTHER},
    {"python_operator_task", JC_TASK_OTHER},
};

#define NTASK_TYPES (sizeof(task_types) / sizeof(task_types[0]))

const char *jc_task_type_name(enum jc_task_type t)
{
    size_t i;

    if (t == JC_TASK_NONE)
        return "none";
    if (t == JC_TASK_OTHER)
        return "other";
    for (i = 0; i < NTASK_TYPES; i++)
        if (task_types[i].type == t)
            return task_types[i].key;
    return "none";
}

/* ---- typed field helpers ---------------------------------------------- */

struct bctx {
    struct jc_job *job;
    struct jc_spec_priv *p;
    const char *what; /* "task 'x'" or "job" */
};

static void note(struct bctx *c, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note(struct bctx *c, const json_t *node, const char *fmt, ...)
{
    struct jc_src_loc loc;
    char msg[1024];
    va_list ap;

    jc_spec_loc(c->job, node, &loc);
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    jc_diags_add(&c->p->notes, &loc, "%s: %s", c->what, msg);
}

/* Scalars become strings (numbers printed); NULL when absent or not scalar. */
static char *scalar_to_str(const json_t *v)
{
    char num[64];

    if (json_is_string(v))
        return ju_xstrndup(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        return ju_xstrdup(num);
    }
    if (json_is_real(v)) {
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return ju_xstrdup(num);
    }
    if (json_is_true(v))
        return ju_xstrdup("true");
    if (json_is_false(v))
        return ju_xstrdup("false");
    return NULL;
}

static char *get_str(struct bctx *c, json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v)) {
        note(c, v, "'%s' must be a string", key);
        return NULL;
    }
    return ju_xstrndup(json_string_value(v), json_string_length(v));
}

static int64_t get_int(struct bctx *c, json_t *obj, const char *key,
                       int64_t def)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return def;
    if (json_is_integer(v))
        return (int64_t)json_integer_value(v);
    if (json_is_real(v)) {
        double d = json_real_value(v);

        /* 5.0 is accepted as 5; the range check keeps the cast defined */
        if (d > -9.2e18 && d < 9.2e18 && d == (double)(int64_t)d)
            return (int64_t)d;
    }
    note(c, v, "'%s' must be an integer", key);
    return def;
}

static bool get_bool(struct bctx *c, json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v))
        return def;
    if (json_is_boolean(v))
        return json_is_true(v);
    note(c, v, "'%s' must be true or false", key);
    return def;
}

static void get_str_array(struct bctx *c, json_t *obj, const char *key,
                          char ***out, size_t *n)
{
    json_t *v = json_object_get(obj, key);
    size_t i;

    if (!v || json_is_null(v))
        return;
    if (!json_is_array(v)) {
        note(c, v, "'%s' must be a list of strings", key);
        return;
    }
    *out = ju_xcalloc(json_array_size(v) + 1, sizeof(char *));
    for (i = 0; i < json_array_size(v); i++) {
        json_t *e = json_array_get(v, i);
        char *s = scalar_to_str(e);

        if (!s) {
            note(c, json_is_null(e) || json_is_boolean(e) ? v : e,
                 "'%s' entries must be strings", key);
            s = ju_xstrdup("");
        }
        (*out)[(*n)++] = s;
    }
}

static void get_kv_map(struct bctx *c, json_t *obj, const char *key,
                       struct jc_kv **out, size_t *n)
{
    json_t *v = json_object_get(obj, key);
    const char *k;
    json_t *val;

    if (!v || json_is_null(v))
        return;
    if (!json_is_object(v)) {
        note(c, v, "'%s' must be a map of strings", key);
        return;
    }
    *out = ju_xcalloc(json_object_size(v) + 1, sizeof(**out));
    json_object_foreach(v, k, val)
    {
        char *s = scalar_to_str(val);

        if (!s) {
            note(c, json_is_null(val) ? v : val, "'%s.%s' must be a string",
                 key, k);
            s = ju_xstrdup("");
        }
        (*out)[*n].key = ju_xstrdup(k);
        (*out)[*n].value = s;
        (*n)++;
    }
}

/* ---- tasks ------------------------------------------------------------ */

static void task_release(struct jc_task *t);

static void parse_task(struct jc_job *job, struct jc_spec_priv *p,
                       struct jc_task *t, json_t *obj, bool nested, size_t idx);

static void parse_type(struct bctx *c, struct jc_task *t, json_t *obj,
                       bool nested)
{
    size_t i;
    json_t *body = NULL;
    const char *first = NULL;

    for (i = 0; i < NTASK_TYPES; i++) {
        json_t *v = json_object_get(obj, task_types[i].key);

        if (!v || json_is_null(v))
            continue;
        if (first) {
            note(c, v, "more than one task type ('%s' and '%s')", first,
                 task_types[i].key);
            continue;
        }
        first = task_types[i].key;
        t->type = task_types[i].type;
        t->type_key = task_types[i].key;
        body = v;
        if (!json_is_object(v)) {
            note(c, v, "'%s' must be an object", first);
            body = NULL;
        }
    }
    if (!body)
        return;
    switch (t->type) {
    case JC_TASK_NOTEBOOK:
        t->notebook_path = get_str(c, body, "notebook_path");
        get_kv_map(c, body, "base_parameters", &t->base_parameters,
                   &t->nbase_parameters);
        break;
    case JC_TASK_SPARK_PYTHON:
        t->python_file = get_str(c, body, "python_file");
        get_str_array(c, body, "parameters", &t->parameters, &t->nparameters);
        break;
    case JC_TASK_PYTHON_WHEEL:
    case JC_TASK_SPARK_JAR:
    case JC_TASK_SPARK_SUBMIT:
        get_str_array(c, body, "parameters", &t->parameters, &t->nparameters);
        break;
    case JC_TASK_COMMAND:
        get_str_array(c, body, "command", &t->command, &t->ncommand);
        get_kv_map(c, body, "env", &t->env, &t->nenv);
        t->cwd = get_str(c, body, "cwd");
        break;
    case JC_TASK_CONDITION: {
        json_t *l = json_object_get(body, "left");
        json_t *r = json_object_get(body, "right");

        t->cond_op = get_str(c, body, "op");
        t->cond_left = scalar_to_str(l);
        t->cond_right = scalar_to_str(r);
        break;
    }
    case JC_TASK_FOR_EACH: {
        json_t *in = json_object_get(body, "inputs");
        json_t *nt = json_object_get(body, "task");

        if (json_is_string(in))
            t->for_each_inputs = ju_xstrdup(json_string_value(in));
        else if (json_is_array(in))
            t->for_each_inputs = json_dumps(in, JSON_COMPACT);
        t->for_each_concurrency = get_int(c, body, "concurrency", 1);
        if (nested) {
            note(c, body,
                 "a for_each_task cannot be nested in a for_each_task");
        } else if (json_is_object(nt)) {
            t->for_each_task = ju_xcalloc(1, sizeof(*t->for_each_task));
            parse_task(c->job, c->p, t->for_each_task, nt, true, 0);
        } else {
            note(c, body, "for_each_task needs a 'task' object");
        }
        break;
    }
    case JC_TASK_RUN_JOB:
        t->run_job_id = get_int(c, body, "job_id", 0);
        break;
    case JC_TASK_PIPELINE:
        t->pipeline_id = get_str(c, body, "pipeline_id");
        break;
    default:
        break;
    }
}

static void parse_task(struct jc_job *job, struct jc_spec_priv *p,
                       struct jc_task *t, json_t *obj, bool nested, size_t idx)
{
    struct bctx c;
    char what[320];
    json_t *v;
    size_t i;
    static const char *const compute_keys[] = {"existing_cluster_id",
                                               "new_cluster", "job_cluster_key",
                                               "environment_key"};
    const char *compute_first = NULL;

    t->raw = json_incref(obj);
    jc_spec_loc(job, obj, &t->loc);
    c.job = job;
    c.p = p;
    c.what = what;
    v = json_object_get(obj, "task_key");
    if (json_is_string(v)) {
        t->task_key = ju_xstrdup(json_string_value(v));
    } else {
        t->task_key = ju_xstrdup("");
        if (nested)
            snprintf(what, sizeof(what), "for_each_task task");
        else
            snprintf(what, sizeof(what), "task #%zu", idx + 1);
        if (!v)
            note(&c, obj, "missing 'task_key'");
        else
            note(&c, v, "'task_key' must be a string");
    }
    snprintf(what, sizeof(what), "task '%.256s'", t->task_key);
    t->description = get_str(&c, obj, "description");

    v = json_object_get(obj, "depends_on");
    if (v && !json_is_null(v)) {
        if (!json_is_array(v)) {
            note(&c, v, "'depends_on' must be a list of {task_key}");
        } else {
            t->deps = ju_xcalloc(json_array_size(v) + 1, sizeof(*t->deps));
            for (i = 0; i < json_array_size(v); i++) {
                json_t *d = json_array_get(v, i);
                json_t *k = json_object_get(d, "task_key");
                json_t *o = json_object_get(d, "outcome");

                if (!json_is_string(k)) {
                    note(&c, d,
                         "'depends_on' entries need a string "
                         "'task_key'");
                    continue;
                }
                t->deps[t->ndeps].task_key = ju_xstrdup(json_string_value(k));
                if (o && !json_is_null(o))
                    t->deps[t->ndeps].outcome = scalar_to_str(o);
                t->ndeps++;
            }
        }
    }

    v = json_object_get(obj, "run_if");
    t->run_if = JC_RUN_IF_ALL_SUCCESS;
    if (v && !json_is_null(v)) {
        if (!json_is_string(v) ||
            jc_run_if_parse(json_string_value(v), &t->run_if) < 0) {
            char *s = scalar_to_str(v);

            note(&c, v,
                 "invalid run_if '%s' (expected ALL_SUCCESS, "
                 "AT_LEAST_ONE_SUCCESS, NONE_FAILED, ALL_DONE, "
                 "AT_LEAST_ONE_FAILED or ALL_FAILED)",
                 s ? s : "?");
            free(s);
        }
    }
    t->disabled = get_bool(&c, obj, "disabled", false);
    t->timeout_seconds = get_int(&c, obj, "timeout_seconds", 0);
    t->max_retries = get_int(&c, obj, "max_retries", 0);
    t->min_retry_interval_millis =
        get_int(&c, obj, "min_retry_interval_millis", 0);
    t->retry_on_timeout = get_bool(&c, obj, "retry_on_timeout", false);
    t->for_each_concurrency = 1;

    parse_type(&c, t, obj, nested);

    for (i = 0; i < sizeof(compute_keys) / sizeof(compute_keys[0]); i++) {
        v = json_object_get(obj, compute_keys[i]);
        if (!v || json_is_null(v))
            continue;
        if (compute_first) {
            note(&c, v,
                 "only one of existing_cluster_id, new_cluster, "
                 "job_cluster_key, environment_key may be set "
                 "(found '%s' and '%s')",
                 compute_first, compute_keys[i]);
            continue;
        }
        compute_first = compute_keys[i];
        switch (i) {
        case 0:
            t->compute = JC_COMPUTE_EXISTING_CLUSTER;
            t->existing_cluster_id = get_str(&c, obj, compute_keys[i]);
            break;
        case 1:
            t->compute = JC_COMPUTE_NEW_CLUSTER;
            if (!json_is_object(v))
                note(&c, v, "'new_cluster' must be an object");
            break;
        case 2:
            t->compute = JC_COMPUTE_JOB_CLUSTER;
            t->job_cluster_key = get_str(&c, obj, compute_keys[i]);
            break;
        default:
            t->compute = JC_COMPUTE_ENVIRONMENT;
            t->environment_key = get_str(&c, obj, compute_keys[i]);
            break;
        }
    }
}

static void free_kvs(struct jc_kv *kv, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

static void free_strv(char **v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void task_release(struct jc_task *t)
{
    size_t i;

    free(t->task_key);
    free(t->description);
    for (i = 0; i < t->ndeps; i++) {
        free(t->deps[i].task_key);
        free(t->deps[i].outcome);
    }
    free(t->deps);
    free(t->notebook_path);
    free_kvs(t->base_parameters, t->nbase_parameters);
    free(t->python_file);
    free_strv(t->parameters, t->nparameters);
    free_strv(t->command, t->ncommand);
    free_kvs(t->env, t->nenv);
    free(t->cwd);
    free(t->cond_op);
    free(t->cond_left);
    free(t->cond_right);
    free(t->existing_cluster_id);
    free(t->job_cluster_key);
    free(t->environment_key);
    free(t->for_each_inputs);
    if (t->for_each_task) {
        task_release(t->for_each_task);
        free(t->for_each_task);
    }
    free(t->pipeline_id);
    json_decref(t->raw);
}

void jc_job_free(struct jc_job *job)
{
    size_t i;

    if (!job)
        return;
    for (i = 0; i < job->ntasks; i++)
        task_release(&job->tasks[i]);
    free(job->tasks);
    for (i = 0; i < job->nparams; i++) {
        free(job->params[i].name);
        free(job->params[i].default_value);
    }
    free(job->params);
    free(job->name);
    free(job->schedule.quartz_cron_expression);
    free(job->schedule.timezone_id);
    json_decref(job->settings);
    json_decref(job->document);
    free(job->source_path);
    free(job->bundle_job_key);
    jc_spec__priv_free(job->priv);
    free(job);
}

const struct jc_task *jc_job_find_task(const struct jc_job *job,
                                       const char *task_key)
{
    size_t i;

    if (!job || !task_key)
        return NULL;
    for (i = 0; i < job->ntasks; i++)
        if (!strcmp(job->tasks[i].task_key, task_key))
            return &job->tasks[i];
    return NULL;
}

/* ---- job -------------------------------------------------------------- */

int jc_spec__build(struct jc_job **out, json_t *document, json_t *settings,
                   int64_t job_id, const char *source,
                   struct jc_spec_priv *priv)
{
    struct jc_job *job = ju_xcalloc(1, sizeof(*job));
    struct bctx c;
    json_t *v;
    size_t i;

    job->priv = priv ? priv : jc_spec__priv_new();
    job->source_path = source ? ju_xstrdup(source) : NULL;
    job->document = json_incref(document ? document : settings);
    job->settings = json_incref(settings);
    job->job_id = job_id;
    c.job = job;
    c.p = job->priv;
    c.what = "job";

    job->name = get_str(&c, settings, "name");
    if (!job->name) {
        v = json_object_get(settings, "run_name");
        if (json_is_string(v))
            job->name = ju_xstrdup(json_string_value(v));
    }
    job->timeout_seconds = get_int(&c, settings, "timeout_seconds", 0);
    job->max_concurrent_runs = get_int(&c, settings, "max_concurrent_runs", 1);
    v = json_object_get(settings, "queue");
    if (json_is_object(v))
        job->queue_enabled = get_bool(&c, v, "enabled", false);
    v = json_object_get(settings, "x-jobctl");
    if (json_is_object(v))
        job->remote = get_bool(&c, v, "remote", false);

    v = json_object_get(settings, "schedule");
    if (v && !json_is_null(v)) {
        if (!json_is_object(v)) {
            note(&c, v, "'schedule' must be an object");
        } else {
            json_t *ps = json_object_get(v, "pause_status");

            job->schedule.present = true;
            job->schedule.quartz_cron_expression =
                get_str(&c, v, "quartz_cron_expression");
            job->schedule.timezone_id = get_str(&c, v, "timezone_id");
            job->schedule.paused =
                json_is_string(ps) && !strcmp(json_string_value(ps), "PAUSED");
        }
    }

    v = json_object_get(settings, "parameters");
    if (v && !json_is_null(v)) {
        if (!json_is_array(v)) {
            note(&c, v, "'parameters' must be a list of {name, default}");
        } else {
            job->params =
                ju_xcalloc(json_array_size(v) + 1, sizeof(*job->params));
            for (i = 0; i < json_array_size(v); i++) {
                json_t *pe = json_array_get(v, i);
                json_t *nm = json_object_get(pe, "name");

                if (!json_is_string(nm)) {
                    note(&c, pe, "job parameters need a string 'name'");
                    continue;
                }
                job->params[job->nparams].name =
                    ju_xstrdup(json_string_value(nm));
                job->params[job->nparams].default_value =
                    scalar_to_str(json_object_get(pe, "default"));
                if (!job->params[job->nparams].default_value)
                    job->params[job->nparams].default_value = ju_xstrdup("");
                job->nparams++;
            }
        }
    }

    v = json_object_get(settings, "tasks");
    if (v && !json_is_null(v) && !json_is_array(v)) {
        note(&c, v, "'tasks' must be a list");
    } else if (v) {
        job->tasks = ju_xcalloc(json_array_size(v) + 1, sizeof(*job->tasks));
        for (i = 0; i < json_array_size(v); i++) {
            json_t *to = json_array_get(v, i);

            if (!json_is_object(to)) {
                note(&c, to, "'tasks' entries must be objects");
                continue;
            }
            parse_task(job, job->priv, &job->tasks[job->ntasks], to, false, i);
            job->ntasks++;
        }
    }
    *out = job;
    return 0;
}

int jc_spec_from_settings(struct jc_job **out, json_t *settings,
                          struct jc_diags *diags)
{
    *out = NULL;
    if (!json_is_object(settings)) {
        jc_diags_add(diags, NULL, "job settings must be a JSON object");
        return jc_err_set(JC_EINVAL, "job settings must be a JSON object");
    }
    return jc_spec__build(out, settings, settings, 0, NULL, NULL);
}

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
