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

/* Draws kept between runs (see poolsim_engine_cache_alloc). */
typedef struct poolsim_engine_cache poolsim_engine_cache;

typedef struct {
    long paths; /* >= 1 */
    unsigned long long seed;
    int threads;                 /* <= 0: OpenMP default (OMP_NUM_THREADS) */
    int save_paths;              /* keep per-path values (poolsim_saved_paths) */
    int progress;                /* 1: progress bar on stderr when it is a terminal */
    volatile sig_atomic_t *stop; /* set by a signal handler: stop soon; may be NULL */
    poolsim_engine_cache *cache; /* reuse and keep paths' draws; may be NULL */
    /* NULL: every summary; else only those of the schema rows with
     * rows[row] != 0 (POOLSIM_SCHEMA_NROWS flags), the others marked not
     * present; exhaustion probabilities and counts always (what sweep and
     * solve read, at a fraction of the cost) */
    const unsigned char *rows;
    /* with save_paths: 0 keeps every per-path array, else only first
     * exhaustion and the POOLSIM_SAVED arrays whose bit
     * (POOLSIM_SAVED_BIT(name)) is set, the others NULL
     * (POOLSIM_SAVED_SELECT alone: none) */
    unsigned saved_only;
    /* side work (may be NULL): side(side_arg) is called once, by one of the
     * run's threads, as the others start on the paths (the dynamic
     * schedule gives that thread fewer paths); the engine itself calls no
     * HDF5, so `run` builds the results file's skeleton there (h5out.h).
     * Called only where it can overlap paths (two threads or more and at
     * least two blocks of paths on this rank: more than
     * POOLSIM_STATS_BLOCK_UNIT paths), and not when the run fails before its
     * threads start. */
    void (*side)(void *side_arg);
    void *side_arg;
} poolsim_engine_opts;

/* Runs that differ only in the yearly rules' parameters (levy, cap,
 * brackets, uncovered, pooling terms, management rules, budget, initial
 * reserve and balances) or in financing terms share every path's drawn
 * wage index and claims. A cache given to poolsim_engine_run keeps them
 * for paths [0, N) with N as many as fit in max_bytes (T + L C T doubles
 * a path); a later run with the same draws' inputs (seed, drivers,
 * enrolment and benefit terms: compared exactly) takes them
 * from it and runs only the rules for those paths, with results bit for
 * bit equal to a full simulation. A run with other inputs empties it. Use
 * from one run at a time. */
#define POOLSIM_ENGINE_CACHE_BYTES ((size_t)1 << 30) /* default bound: 1 GiB */
poolsim_engine_cache *poolsim_engine_cache_alloc(size_t max_bytes);
void poolsim_engine_cache_free(poolsim_engine_cache *c);
/* Paths whose draws c holds. */
long poolsim_engine_cache_paths(const poolsim_engine_cache *c);

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

/* Precision on request (`run --target-ci H`, `solve --target-ci H`): runs
 * of POOLSIM_CI_FIRST, 2x, 4x, ... paths (the k-th count, k = 0, 1, ...,
 * capped at max_paths), until the metric's 95% half-width is <= H or the
 * cap is reached. Paths are keyed by their global index, so each run
 * extends the one before, and the result depends only on scenario, seed,
 * H and the cap, never on threads or ranks. */
#define POOLSIM_CI_FIRST     1000L
#define POOLSIM_CI_MAX_PATHS 1000000L /* default cap */
long poolsim_engine_ci_paths(int k, long max_paths);

/* Largest half-width (hi - lo) / 2 of the Wilson 95% intervals of
 * P(exhausted by year) over every line and year of r. */
double poolsim_engine_exhaustion_halfwidth(const poolsim_results *r);

/* Fill the structure metadata of r from s (years, ids, names, cap ratios). */
int poolsim_engine_fill_meta(const poolsim_scenario *s, poolsim_results *r);

/* The frame of a run of s with o: results holding what poolsim_engine_run's
 * will hold besides the values (dimensions, rows present, the metadata of
 * poolsim_engine_fill_meta, seed, paths, threads, ranks, quantile method),
 * computed by the same code. For the results file's skeleton (h5out.h),
 * built while the paths run. POOLSIM_OK or POOLSIM_ENOMEM (nothing
 * printed). */
int poolsim_engine_frame(const poolsim_scenario *s, const poolsim_engine_opts *o,
                         poolsim_results **res /* OUT */);

#endif
