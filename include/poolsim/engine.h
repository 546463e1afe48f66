/* poolsim: the Monte Carlo engine (MODEL.md sections 2-7): for each path,
 * draw the drivers, draw each county's claims, apply the yearly rules, and
 * reduce the outcomes into summary results. Paths run on OpenMP threads in
 * fixed blocks; results do not depend on the thread count. */
#ifndef POOLSIM_ENGINE_H
#define POOLSIM_ENGINE_H

#include <signal.h>

#include "poolsim/drivers.h"
#include "poolsim/plan.h"
#include "poolsim/results.h"
#include "poolsim/scenario.h"
#include "poolsim/stats.h"

typedef struct {
    long paths; /* >= 1 */
    unsigned long long seed;
    int threads;                 /* <= 0: OpenMP default (OMP_NUM_THREADS) */
    int save_paths;              /* keep per-path values (poolsim_saved_paths) */
    int progress;                /* 1: progress bar on stderr when it is a terminal */
    volatile sig_atomic_t *stop; /* set by a signal handler: stop soon; may be NULL */
} poolsim_engine_opts;

/* Per-thread workspace for simulating paths (allocated once per thread). */
typedef struct poolsim_path_ws poolsim_path_ws;
poolsim_path_ws *poolsim_path_ws_alloc(const poolsim_plan *pl);
void poolsim_path_ws_free(poolsim_path_ws *w);

/* Simulate path `path` with seed `seed`, writing its record (layout lay) to
 * rec. Returns POOLSIM_OK, or POOLSIM_ENUM with a message naming the
 * quantity, county, line and year when a value is not finite. */
int poolsim_engine_path(const poolsim_plan *pl, const poolsim_stats_layout *lay,
                        unsigned long long seed, uint32_t path, poolsim_path_ws *w,
                        double *rec /* OUT [lay->n] */);

/* Run all paths. *res gets the summary (structure metadata filled: years,
 * ids, names, seed, paths, threads, claims_noise, cap ratios); *saved the
 * per-path values when opts->save_paths (else NULL). POOLSIM_EINTR when
 * stopped by opts->stop. */
int poolsim_engine_run(const poolsim_scenario *s, const poolsim_engine_opts *opts,
                       poolsim_results **res /* OUT */, poolsim_saved_paths **saved /* OUT */);

void poolsim_saved_paths_free(poolsim_saved_paths *sp);

/* Fill the structure metadata of r from s (years, ids, names, cap ratios). */
int poolsim_engine_fill_meta(const poolsim_scenario *s, poolsim_results *r);

#endif
