/*
 * spec_int.h: internals shared by the job loaders (spec.c JSON, yaml.c,
 * bundle.c), the model builder (spec_model.c) and the validator
 * (spec_validate.c): the node -> file:line:col map (spec_loc.c) and the
 * notes collected while building the model.
 */
#ifndef JOBCTL_CORE_SPEC_INT_H
#define JOBCTL_CORE_SPEC_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>

#include "jobctl/spec.h"

struct jc_spec_loc_entry {
    const json_t *node;
    uint32_t line;
    uint16_t col;  /* capped at 65535 */
    uint16_t file; /* index into files[] */
};

struct jc_spec_priv {
    struct jc_spec_loc_entry *locs; /* open addressing, cap a power of 2 */
    size_t nlocs;
    size_t cap;
    char **files;
    size_t nfiles;
    struct jc_diags notes; /* model problems; jc_spec_validate reports them */
    /*
     * Lazy JSON index: only task objects are located while loading; the
     * text is kept and every other node is located on the first lookup
     * that misses (in practice: only when there is something to report).
     */
    char *lazy_text;
    size_t lazy_len;
    const char *lazy_file;
    json_t *lazy_root; /* borrowed: the job's document */
    pthread_mutex_t lock;
};

/* spec_loc.c */
struct jc_spec_priv *jc_spec__priv_new(void);
void jc_spec__priv_free(struct jc_spec_priv *p);
/* Keep a copy of a file name for the lifetime of the job; returns it. */
const char *jc_spec__intern_file(struct jc_spec_priv *p, const char *path);
void jc_spec__loc_set(struct jc_spec_priv *p, const json_t *node,
                      const char *file, int line, int col);
bool jc_spec__loc_get(const struct jc_spec_priv *p, const json_t *node,
                      struct jc_src_loc *out);
/*
 * Record the position of the values of root (parsed from text by jansson):
 * all of them now when full, else task objects now and the rest lazily
 * (root must then stay alive and unmodified as long as p).
 */
void jc_spec__index_json(struct jc_spec_priv *p, const char *file,
                         const char *text, size_t len, json_t *root, bool full);

/*
 * spec_model.c: build the model from a settings object (borrowed; a reference
 * is taken) and the document it came from. Takes ownership of priv.
 */
int jc_spec__build(struct jc_job **out, json_t *document, json_t *settings,
                   int64_t job_id, const char *source,
                   struct jc_spec_priv *priv);

/* yaml.c: YAML text -> json_t with locations; JC_EPARSE + diags on error. */
int jc_yaml__load(json_t **out, const char *text, size_t len, const char *name,
                  struct jc_spec_priv *p, struct jc_diags *diags);

/*
 * bundle.c: a bundle document (root of databricks.yml, already converted)
 * -> the selected job's settings (new reference) and its resources key.
 * root_path is the root file (for include: globs), may be NULL.
 */
int jc_bundle__resolve(json_t **settings_out, char **job_key_out, json_t *root,
                       const char *root_path,
                       const struct jc_spec_load_opts *opts,
                       struct jc_spec_priv *p, struct jc_diags *diags);

#endif
