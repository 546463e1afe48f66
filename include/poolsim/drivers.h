/* poolsim: the stochastic drivers of one path (MODEL.md section 4):
 * medical price index P[t], wage index W[t], epidemic multiplier J[t]
 * (city-wide) and utilisation shocks U[c,t] per county. */
#ifndef POOLSIM_DRIVERS_H
#define POOLSIM_DRIVERS_H

#include <stddef.h>

#include "poolsim/rng.h"

#include "poolsim/scenario.h"

/* One path's driver values; arrays indexed by projection year t-1. */
typedef struct {
    int T, C;
    double *P;     /* [T] price index, P[0] = 1 */
    double *W;     /* [T] wage index, W[0] = 1 */
    double *J;     /* [T] epidemic multiplier (1 in ordinary years) */
    double *U;     /* [C*T] utilisation shock, U[c*T + t-1] */
    double *x;     /* [C] workspace: AR(1) state of the utilisation factor */
    uint32_t *who; /* [C] sub-stream address of each county */
    /* workspace of the county utilisation streams, [T][C] year-major:
     * their counter words 1 and 2 (the same on every path) and first
     * Philox blocks (4 words each) */
    uint32_t *c1, *c2, *blk;
} poolsim_drivers;

/* Allocate for scenario s (T years, C counties). NULL on failure. */
poolsim_drivers *poolsim_drivers_alloc(const poolsim_scenario *s);
void poolsim_drivers_free(poolsim_drivers *d);

/* Draw every driver of path `path` (seed s->seed) using generator r (positioned
 * on each sub-stream here). Deterministic given (scenario, path). */
void poolsim_drivers_draw(const poolsim_scenario *s, uint32_t path, poolsim_rng *r,
                          poolsim_drivers *d /* OUT */);

/* The same with the seed given (the run's seed, which `sweep --seed` and
 * the engine options may set apart from simulation.seed). */
void poolsim_drivers_draw_seed(const poolsim_scenario *s, unsigned long long seed, uint32_t path,
                               poolsim_rng *r, poolsim_drivers *d /* OUT */);

/* The first Philox blocks of a path's sub-streams are computed four at a
 * time with AVX2 when the processor has it, unless the environment
 * variable POOLSIM_SIMD is "0" at start (the same values either way).
 * poolsim_drivers_simd(0) selects the one-by-one loop, (1) AVX2 where
 * available, (-1) changes nothing; returns the previous setting. Not
 * thread-safe: for tests. */
int poolsim_drivers_simd(int on);

/* Tests: y[i] = exp(x[i]) (i < n) computed four at a time as the
 * utilisation shocks are (the C library's exp, reproduced bit for bit;
 * see drivers.c) and 1, or 0 and nothing computed when those lanes are
 * not in use on this machine (no AVX2 and FMA, or the C library's exp
 * differs). */
int poolsim_drivers_exp_lanes(const double *x, double *y, size_t n);

#endif
