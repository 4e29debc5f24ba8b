/*
 * fuzz_delta_action.c: fuzz target for Delta commit files (JSON lines of
 * actions): replay into a fresh state and, when that succeeds, freeze it
 * into a snapshot (protocol check, schemaString parse).
 */
#include <stddef.h>
#include <stdint.h>

#include "delta_int.h"
#include "jobctl/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lake_replay *r;
    struct lake_snapshot *s = NULL;

    if (size > ((size_t)1 << 20))
        return 0;
    r = lake_replay_new();
    if (lake_replay_commit_text(r, "fuzz.json", (const char *)data, size) ==
        0) {
        if (lake_replay_finish(r, 0, &s) == 0) {
            (void)lake_snapshot_check_reader(s);
            (void)lake_snapshot_check_writer(s);
            lake_snapshot_free(s);
        }
    }
    lake_replay_free(r);
    jc_err_clear();
    return 0;
}
