/*
 * fmt.c: shortest round-trip formatting of doubles for people and JSON.
 * printf's %g picks an exponent as soon as the precision is shorter than
 * the integer part ("5.1e+02" for 510); we widen the precision instead.
 */
#include "util/fmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static bool reads_back(const char *s, double v, bool single)
{
    if (single)
        return strtof(s, NULL) == (float)v;
    return strtod(s, NULL) == v;
}

void ju_fmt_double(char *out, size_t n, double v, bool single)
{
    double a = fabs(v);
    int prec;

    if (isnan(v)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, n, v > 0 ? "Infinity" : "-Infinity");
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (reads_back(out, v, single))
            break;
    }
    if (a >= 1.0 && a < 1e16) {
        int digits = (int)floor(log10(a)) + 1;

        if (digits > prec)
            snprintf(out, n, "%.*g", digits, v);
    }
}
