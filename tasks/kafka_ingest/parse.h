/*
 * parse.h: the hand-written scanner for event payloads on the bronze hot
 * path: {"event_id": str, "event_type": str, "timestamp": str (ISO-8601),
 * "value": str} in any order, unknown fields skipped. Strict JSON (escapes,
 * whitespace, UTF-8); anything else is rejected with a reason and offset.
 */
#ifndef JOBCTL_INGEST_PARSE_H
#define JOBCTL_INGEST_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define INGEST_MAX_PAYLOAD (64 * 1024) /* larger payloads are quarantined */
#define INGEST_MAX_FIELD 4096          /* bytes per decoded string field */
#define INGEST_MAX_DEPTH 32            /* nesting of skipped unknown fields */

struct ingest_str {
    const char *p; /* into the payload, or into the scratch when unescaped */
    size_t n;
};

struct ingest_event {
    struct ingest_str event_id;
    struct ingest_str event_type;
    struct ingest_str timestamp;
    struct ingest_str value;
    int64_t ts_us; /* timestamp as microseconds since the epoch (UTC) */
};

/* Scratch space for decoded escapes: 4 fields of INGEST_MAX_FIELD, and a
 * one-entry cache of the last timestamp's date part ("YYYY-MM-DD", already
 * validated) with its day number: events of one batch share a few dates.
 * Zero-initialise before first use. */
struct ingest_scratch {
    char buf[4 * INGEST_MAX_FIELD];
    size_t used;
    char date[10];
    int date_ok;
    int64_t date_days;
};

/*
 * Parse one payload. Returns 0 and fills ev (pointing into p or scratch),
 * or -1 and writes a reason such as "byte 17: expected ':'" or
 * "missing field 'value'" into err (errn bytes, NUL-terminated).
 */
int ingest_parse_event(const char *p, size_t n, struct ingest_event *ev,
                       struct ingest_scratch *scratch, char *err, size_t errn);

/*
 * ISO-8601 "YYYY-MM-DD[T ]HH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]" to
 * microseconds UTC (no zone = UTC). 0 ok, -1 invalid.
 */
int ingest_parse_timestamp(const char *s, size_t n, int64_t *us);

#endif
