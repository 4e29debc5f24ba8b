/*
 * fuzz_kafka_payload.c: fuzz target for the bronze payload scanner
 * (tasks/kafka_ingest/parse.c). Accepted events must have sane slices and
 * a timestamp that formats; nothing may crash or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ingest_scratch scratch;
    struct ingest_event ev;
    char err[160];
    char *copy;

    if (size > (1 << 20))
        return 0;
    /* Exact-size heap copy so ASan catches any over-read. */
    copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    if (size)
        memcpy(copy, data, size);
    if (ingest_parse_event(copy, size, &ev, &scratch, err, sizeof(err)) == 0) {
        if (ev.event_id.n > INGEST_MAX_FIELD || ev.value.n > INGEST_MAX_FIELD ||
            ev.event_type.n > INGEST_MAX_FIELD)
            abort();
        if (ev.event_id.n)
            (void)((volatile const char *)ev.event_id.p)[ev.event_id.n - 1];
    } else if (!memchr(err, '\0', sizeof(err))) {
        abort();
    }
    free(copy);
    return 0;
}
