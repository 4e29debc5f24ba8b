/*
 * fuzz_spec_json.c: fuzz target for the JSON job loader, validation and
 * the DAG built from whatever loads (spec.c, spec_validate.c, dag.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobctl/dag.h"
#include "jobctl/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jc_diags d = JC_DIAGS_INIT;
    struct jc_job *job = NULL;

    if (size > (1u << 20))
        return 0;
    if (jc_spec_load_buffer(&job, (const char *)data, size, "fuzz.json", NULL,
                            &d) == 0) {
        struct jc_dag *dag = NULL;

        jc_spec_validate(job, &d);
        if (jc_dag_new(&dag, job, JC_DAG_LENIENT) == 0) {
            char *cycle = jc_dag_cycle_path(dag, NULL);
            bool *mark = calloc(jc_dag_size(dag) + 1, sizeof(bool));

            if (mark && jc_dag_size(dag)) {
                mark[0] = true;
                jc_dag_downstream(dag, mark);
            }
            free(mark);
            free(cycle);
            jc_dag_free(dag);
        }
        jc_job_free(job);
    }
    jc_diags_release(&d);
    return 0;
}
