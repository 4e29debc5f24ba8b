/*
 * fuzz_config.c: fuzz target for the price-table parser (the `pricing:`
 * section of $JOBCTL_HOME/config.yaml, orchestrator/core/pricing.c).
 * Any input must parse or fail with JC_EPARSE/JC_ETOOBIG, never crash.
 */
#include "jobctl/err.h"
#include "jobctl/pricing.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jc_pricing p;
    struct jc_remote_cost rc;
    int r;

    if (size > (1u << 20))
        return 0;
    r = jc_pricing_parse(&p, (const char *)data, size, "fuzz.yaml");
    if (r != 0 && r != JC_EPARSE && r != JC_ETOOBIG)
        abort();
    jc_pricing_remote_cost(&p, NULL, "c", 3600, &rc);
    if (jc_pricing_local_cost(&p, 1, 1, 1024, 10) < 0)
        abort();
    jc_pricing_release(&p);
    return 0;
}
