/*
 * bundle.c: Asset Bundle resolution (targets, variables, includes).
 * Placeholder until the bundle loader lands.
 */
#include "core/spec_int.h"

#include "jobctl/err.h"

int jc_bundle__resolve(json_t **settings_out, char **job_key_out,
                       json_t *root, const char *root_path,
                       const struct jc_spec_load_opts *opts,
                       struct jc_spec_priv *p, struct jc_diags *diags)
{
    struct jc_src_loc loc = {root_path, 0, 0};

    (void)root;
    (void)opts;
    (void)p;
    *settings_out = NULL;
    *job_key_out = NULL;
    jc_diags_add(diags, &loc, "bundle files are not supported yet");
    return jc_err_set(JC_EUNSUPPORTED, "bundles not supported yet");
}
