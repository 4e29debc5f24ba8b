/*
 * tz.h: IANA time zones read from TZif files (/usr/share/zoneinfo, or
 * $TZDIR), extended past the last transition with the file's POSIX TZ
 * footer. Loaded zones are cached for the process and immutable, so they
 * may be shared between threads. No TZ env / mktime / localtime.
 */
#ifndef JOBCTL_JOBCTL_TZ_H
#define JOBCTL_JOBCTL_TZ_H

#include <stdbool.h>
#include <stdint.h>

struct jc_tz;

/*
 * Load (or find in the cache) zone `name`, e.g. "UTC", "Europe/Berlin".
 * JC_ENOTFOUND for an unknown id, JC_EPARSE for a corrupt file.
 * *out stays valid for the life of the process; never free it.
 */
int jc_tz_load(const struct jc_tz **out, const char *name);
const char *jc_tz_name(const struct jc_tz *tz);
/* UTC offset in seconds (local = utc + offset) at instant utc. */
int32_t jc_tz_offset_at(const struct jc_tz *tz, int64_t utc);
/*
 * Local wall-clock seconds (since 1970-01-01T00:00 local) -> UTC. Returns
 * the number of instants with that wall time (0 in a DST gap, 2 in an
 * overlap); *earliest gets the earlier one when > 0.
 */
int jc_tz_local_to_utc(const struct jc_tz *tz, int64_t wall, int64_t *earliest);
/* Smallest and largest UTC offset the zone ever uses. */
void jc_tz_offset_range(const struct jc_tz *tz, int32_t *min, int32_t *max);
/* The same, over the instants from utc on (tighter for old zones). */
void jc_tz_offset_range_from(const struct jc_tz *tz, int64_t utc, int32_t *min,
                             int32_t *max);

/* Civil date helpers (proleptic Gregorian, days since 1970-01-01). */
int64_t jc_days_from_civil(int64_t y, unsigned m, unsigned d);
void jc_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/*
 * Format utc as "2026-01-01T00:30:15Z" (offset < 0 ... pass
 * with_offset=false) or local "2026-01-01T01:30:15+01:00". buf >= 32.
 */
void jc_tz_format(const struct jc_tz *tz, int64_t utc, bool local, char *buf,
                  unsigned long len);

#endif
