/*
 * hist.c: a dependency-free SVG histogram of anomaly scores, the jobctl
 * counterpart of the seed's matplotlib anomaly_score_hist.png. Bars left of
 * zero (decision_function < 0, flagged anomalies) are drawn in red.
 */
#include "score.h"

#include <math.h>
#include <stdlib.h>

#include "util/buf.h"
#include "util/mem.h"

void score_histogram_svg(struct ju_buf *out, const double *v, size_t n,
                         int bins, const char *title)
{
    const int w = 640, h = 360, ml = 50, mr = 20, mt = 40, mb = 50;
    double lo = 0, hi = 1;
    if (n > 0) {
        lo = hi = v[0];
        for (size_t i = 1; i < n; i++) {
            if (v[i] < lo)
                lo = v[i];
            if (v[i] > hi)
                hi = v[i];
        }
    }
    if (hi <= lo)
        hi = lo + 1e-9;
    size_t *count = ju_xcalloc((size_t)bins, sizeof(*count));
    size_t maxc = 1;
    for (size_t i = 0; i < n; i++) {
        int b = (int)((v[i] - lo) / (hi - lo) * bins);
        if (b >= bins)
            b = bins - 1;
        if (b < 0)
            b = 0;
        if (++count[b] > maxc)
            maxc = count[b];
    }
    ju_buf_addf(out,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
                "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif"
                "\" font-size=\"12\">\n",
                w, h, w, h);
    ju_buf_addf(out, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", w,
                h);
    ju_buf_addf(out,
                "<text x=\"%d\" y=\"22\" text-anchor=\"middle\" "
                "font-size=\"15\">%s (n=%zu)</text>\n",
                w / 2, title, n);
    double pw = (double)(w - ml - mr), ph = (double)(h - mt - mb);
    for (int b = 0; b < bins; b++) {
        double bh = ph * (double)count[b] / (double)maxc;
        double x = ml + pw * b / bins;
        double center = lo + (hi - lo) * (b + 0.5) / bins;
        ju_buf_addf(out,
                    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                    "height=\"%.1f\" fill=\"%s\"><title>%zu</title></rect>\n",
                    x + 0.5, mt + ph - bh, pw / bins - 1.0, bh,
                    center < 0 ? "#d9534f" : "#4a7bd0", count[b]);
    }
    /* axes and labels */
    ju_buf_addf(out,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "stroke=\"black\"/>\n",
                ml, h - mb, w - mr, h - mb);
    ju_buf_addf(out,
                "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
                "stroke=\"black\"/>\n",
                ml, mt, ml, h - mb);
    for (int k = 0; k <= 4; k++) {
        double xv = lo + (hi - lo) * k / 4.0;
        ju_buf_addf(out,
                    "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.3f"
                    "</text>\n",
                    ml + pw * k / 4.0, h - mb + 16, xv);
    }
    ju_buf_addf(out,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">anomaly_score "
                "(decision_function; &lt; 0 = anomaly)</text>\n",
                ml + (int)pw / 2, h - 12);
    ju_buf_addf(out,
                "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
                "text-anchor=\"middle\">events (max %zu)</text>\n",
                mt + (int)ph / 2, mt + (int)ph / 2, maxc);
    ju_buf_adds(out, "</svg>\n");
    free(count);
}
