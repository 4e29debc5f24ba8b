/*
 * fuzz_spec_yaml.c: fuzz target for the bundle YAML loader (yaml.c,
 * bundle.c) and validation. The name points into a directory that does
 * not exist, so include: globs never read real files.
 */
#include <stdint.h>
#include <stdlib.h>

#include "jobctl/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    if (size > (1u << 20))
        return 0;
    if (jc_spec_load_buffer(&job, (const char *)data, size,
                            "/nonexistent-jobctl-fuzz/databricks.yml", NULL,
                            &d) == 0) {
        jc_spec_validate(job, &d);
        jc_job_free(job);
    }
    jc_diags_release(&d);
    return 0;
}
