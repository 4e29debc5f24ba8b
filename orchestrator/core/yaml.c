/*
 * yaml.c: YAML (libyaml) -> json_t for bundle files, with YAML 1.2 core
 * typing and node locations. Placeholder until the converter lands.
 */
#include "core/spec_int.h"

#include "jobctl/err.h"

int jc_yaml__load(json_t **out, const char *text, size_t len,
                  const char *name, struct jc_spec_priv *p,
                  struct jc_diags *diags)
{
    struct jc_src_loc loc = {name, 0, 0};

    (void)text;
    (void)len;
    (void)p;
    *out = NULL;
    jc_diags_add(diags, &loc, "YAML job files are not supported yet");
    return jc_err_set(JC_EUNSUPPORTED, "'%s': YAML not supported yet", name);
}
