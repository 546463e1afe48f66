/* poolsim: the charts of `poolsim compare A B` (src/compare_plot.c): the
 * exhaustion curves of both scenarios and the burdens of the county
 * governments and of the city side by side (MODEL.md section 11, "who
 * pays"). */
#ifndef POOLSIM_COMPARE_H
#define POOLSIM_COMPARE_H

#define POOLSIM_COMPARE_NCHARTS 2 /* compare_exhaustion, compare_burden */

typedef struct {
    int lang; /* enum poolsim_lang */
    int T, L, C;
    const int *years;                  /* [T] */
    const char *const *line_names;     /* [L] */
    const char *const *county_names;   /* [C] */
    const char *name_a, *name_b;       /* scenario names */
    const double *exh_a, *exh_b;       /* [L][T] P(exhausted by year) */
    const double *county_a, *county_b; /* [C] mean county-government burden, all lines, horizon */
    double city_a, city_b;             /* mean city-government payment, all lines, horizon */
} poolsim_compare_charts;

/* Draw both charts into dir (created if missing) in the formats asked
 * (mask of POOLSIM_FMT_SVG and POOLSIM_FMT_PNG); files[c][0] gets the SVG
 * path and files[c][1] the PNG path of chart c (malloc'ed, NULL when not
 * asked; the caller frees). POOLSIM_ETOOL when gnuplot is missing or
 * fails, POOLSIM_EIO, POOLSIM_ENOMEM; on failure no chart is left. */
int poolsim_compare_plot(const poolsim_compare_charts *d, const char *dir, unsigned formats,
                         char *files[POOLSIM_COMPARE_NCHARTS][2] /* OUT */);

#endif
