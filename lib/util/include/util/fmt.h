/*
 * fmt.h: number formatting shared by every layer that prints values
 * (SQL results, jsonl output, partition values).
 */
#ifndef JOBCTL_UTIL_FMT_H
#define JOBCTL_UTIL_FMT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Shortest text that reads back as exactly v (as a float when single),
 * without an exponent for magnitudes in [1e-4, 1e16): 510 -> "510",
 * 0.1 -> "0.1", 1e-7 -> "1e-07". NaN and infinities as "NaN",
 * "Infinity", "-Infinity". Writes at most n bytes (n >= 32 always fits).
 */
void ju_fmt_double(char *out, size_t n, double v, bool single);

#endif
