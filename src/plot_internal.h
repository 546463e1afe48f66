/* poolsim: internal interface between src/plot.c (running gnuplot) and
 * src/plot_charts.c (what the charts show). Not installed. */
#ifndef POOLSIM_PLOT_INTERNAL_H
#define POOLSIM_PLOT_INTERNAL_H

#include <stdio.h>

#include "poolsim/plot.h"

/* The charts of r (kind, line, name, title in `lang`), files all NULL. */
int poolsim_plot_charts_list(const poolsim_results *r, int lang, poolsim_chart_set *out /* OUT */);

/* Write the gnuplot script drawing every chart of `set` to each file set
 * in chart.file[] (index: png, svg, pdf) to f. */
int poolsim_plot_charts_script(const poolsim_results *r, int lang, const poolsim_chart_set *set,
                               FILE *f);

#endif
