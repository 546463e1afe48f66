/* poolsim: the chart of `poolsim fit` (gnuplot, as src/plot_sweep.c runs
 * it): per line, the city's total expenditure of the history (actual, and
 * fitted: the fitted levels without the counties' yearly deviations), and
 * the fitted scenario's projection continuing it as a fan (5-95% and
 * 25-75% of the simulated totals, median), from POOLSIM_FITPLOT_PATHS
 * paths of the engine. */
#ifndef POOLSIM_FITPLOT_H
#define POOLSIM_FITPLOT_H

#include <stdio.h>

#include "poolsim/fit.h"
#include "poolsim/scenario.h"

#define POOLSIM_FITPLOT_PATHS 1000

/* Draw the chart to `path` (.png or .svg; gnuplot writes a temporary of
 * poolsim_fsio_temp, published when gnuplot succeeds). POOLSIM_OK, POOLSIM_EINPUT (an
 * unknown extension), POOLSIM_ETOOL (gnuplot missing or failing),
 * POOLSIM_EIO, POOLSIM_ENUM, POOLSIM_ENOMEM; messages on diag. */
int poolsim_fitplot_draw(const poolsim_scenario *base, const poolsim_fit *fit,
                         const poolsim_scenario *fitted, const char *path, FILE *diag);

/* The simulated city totals of expenditure of `fitted`: q [L][T][5] the
 * 5, 25, 50, 75 and 95% quantiles (type 7) over `paths` engine paths.
 * Exposed for tests. */
int poolsim_fitplot_fan(const poolsim_scenario *fitted, long paths, double *q /* OUT */);

#endif
