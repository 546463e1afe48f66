/* poolsim: the summary results of a run (MODEL.md section 7), in memory.
 *
 * Produced by the engine (poolsim_stats_finish), written by h5out (HDF5)
 * and jsonout (the summary JSON), read back by poolsim_results_read for
 * `plot`, `report` and `summary`.
 *
 * Index helpers: line l (0..L-1), county c (0..C-1), year t (0..T-1),
 * quantile k (0..POOLSIM_NQ-1):
 *   [L][T]       -> l*T + t                    (POOLSIM_LT)
 *   [L][T][NQ]   -> (l*T + t)*NQ + k
 *   [L][C][T]    -> (l*C + c)*T + t            (POOLSIM_LCT)
 *   [L][C]       -> l*C + c
 * Money in yuan; ratios are plain numbers; probabilities in [0,1]. */
#ifndef POOLSIM_RESULTS_H
#define POOLSIM_RESULTS_H

#include <stddef.h>

#define POOLSIM_NQ 7
/* p01 p05 p25 p50 p75 p95 p99 */
extern const double poolsim_quantile_probs[POOLSIM_NQ];
extern const char *const poolsim_quantile_names[POOLSIM_NQ];

#define POOLSIM_LT(r, l, t) ((size_t)(l) * (size_t)(r)->T + (size_t)(t))
#define POOLSIM_LCT(r, l, c, t)                                                                    \
    (((size_t)(l) * (size_t)(r)->C + (size_t)(c)) * (size_t)(r)->T + (size_t)(t))
#define POOLSIM_LC(r, l, c) ((size_t)(l) * (size_t)(r)->C + (size_t)(c))

/* Mean with its standard error. */
typedef struct {
    double *mean; /* [n] */
    double *se;   /* [n] */
} poolsim_mean_se;

/* Distribution summary: mean, se and the seven quantiles. */
typedef struct {
    double *mean; /* [n] */
    double *se;   /* [n] */
    double *q;    /* [n][POOLSIM_NQ] type-7 quantiles */
} poolsim_distsum;

/* Tail summary of a cost: mean, se, p95, p99, CVaR95. */
typedef struct {
    double *mean, *se, *p95, *p99, *cvar95; /* [n] each */
} poolsim_tailsum;

typedef struct {
    /* ---- metadata ---- */
    char *scenario_name;
    char *scenario_path;
    char *scenario_text; /* as loaded (all files and --set) */
    char *resolved_text; /* resolved parameters */
    char *lang;          /* "en" | "zh" */
    char *version;       /* poolsim version */
    char *git_commit;
    char *build_info; /* compiler, flags, library versions */
    char *start_time; /* ISO 8601 UTC */
    double run_seconds;
    unsigned long long seed;
    long paths;
    int threads, ranks;    /* informational only; results do not depend on them */
    int claims_noise;      /* enum poolsim_noise */
    char *quantile_method; /* "exact-type7" or a description of the approximation */

    int T, L, C;
    int *years;                        /* [T] calendar years */
    char **line_ids, **line_names;     /* [L] */
    char **county_ids, **county_names; /* [C] */
    double *cap_ratio;                 /* [L][T] cap ratio in force (reference line on charts) */

    /* ---- per line and year ---- */
    double *exhaustion_prob;               /* [L][T] P(first exhaustion year <= t) */
    double *exhaustion_lo, *exhaustion_hi; /* [L][T] Wilson 95% interval */
    double *exhaustion_year_prob;          /* [L][T] P(year t is an exhaustion year) */
    double
        *first_exhaustion_count; /* [L][T+1]: paths whose first exhaustion is year t; [T]: never */
    poolsim_distsum reserve_balance;   /* [L][T] year-end R */
    poolsim_distsum reserve_ratio;     /* [L][T] year-end R / Ftot */
    poolsim_mean_se financing_total;   /* [L][T] Ftot */
    poolsim_mean_se expenditure_total; /* [L][T] sum_c E */

    /* ---- per line, county and year ---- */
    double *shortfall_prob;              /* [L][C][T] P(G > 0) */
    double *shortfall_lo, *shortfall_hi; /* [L][C][T] Wilson 95% */
    poolsim_tailsum county_burden;       /* [L][C][T] g + miss (or g, uncovered: city) */
    poolsim_tailsum county_burden_total; /* [L][C] summed over the horizon */
    poolsim_mean_se reserve_paid;        /* [L][C][T] */
    poolsim_mean_se levy;                /* [L][C][T] */
    poolsim_mean_se city_uncovered;      /* [L][C][T] */
    poolsim_mean_se financing;           /* [L][C][T] */
    poolsim_mean_se expenditure;         /* [L][C][T] without the levy */
    poolsim_mean_se balance;             /* [L][C][T] year-end county balance */
} poolsim_results;

/* Per-path values kept with `--save-paths` (written to /paths in HDF5). */
typedef struct {
    long P;
    int T, L, C;
    int *first_exhaustion;   /* [L][P]: first exhaustion year index 1..T, 0 = never */
    double *reserve_balance; /* [L][P][T] year-end R */
    double *reserve_ratio;   /* [L][P][T] */
    double *county_burden;   /* [L][C][P][T] */
    double *shortfall;       /* [L][C][P][T] G after the own balance */
    double *balance;         /* [L][C][P][T] year-end county balance */
} poolsim_saved_paths;

/* Allocate a zeroed results struct with all arrays for T, L, C (metadata
 * strings NULL). NULL on failure. */
poolsim_results *poolsim_results_alloc(int T, int L, int C);
void poolsim_results_free(poolsim_results *r);

/* Wilson score interval for k successes in n trials, z = 1.959963984540054. */
void poolsim_wilson(double k, double n, double *lo /* OUT */, double *hi /* OUT */);

/* Read a results file written by poolsim_h5out_write. Returns POOLSIM_OK,
 * POOLSIM_EIO (cannot open/read: message on stderr naming the path), or
 * POOLSIM_EINPUT (not a complete poolsim results file). */
int poolsim_results_read(const char *path, poolsim_results **out /* OUT */);

/* ---- Visiting every numeric array (finite checks, comparisons, tests) ---- */
enum poolsim_results_shape {
    POOLSIM_SHAPE_LT,  /* [L][T] */
    POOLSIM_SHAPE_LT1, /* [L][T+1] */
    POOLSIM_SHAPE_LTQ, /* [L][T][POOLSIM_NQ] */
    POOLSIM_SHAPE_LCT, /* [L][C][T] */
    POOLSIM_SHAPE_LC   /* [L][C] */
};
#define POOLSIM_RESULTS_NARRAYS 41

typedef struct {
    const char *name; /* "exhaustion_prob", "reserve_balance.q", "county_burden_total.p95" */
    int shape;        /* enum poolsim_results_shape */
    double *data;
    size_t n; /* number of doubles */
} poolsim_results_array;

/* The numeric arrays of r (everything but years), in struct order. Returns
 * their number, POOLSIM_RESULTS_NARRAYS. */
int poolsim_results_arrays(const poolsim_results *r,
                           poolsim_results_array out[POOLSIM_RESULTS_NARRAYS] /* OUT */);

/* POOLSIM_OK when every numeric array of r is finite; otherwise POOLSIM_ENUM
 * with a message on stderr naming the quantity, line, county and year, and
 * `what_for` (e.g. "cannot write out/run.json"). */
int poolsim_results_check_finite(const poolsim_results *r, const char *what_for);

/* Fill r (from poolsim_results_alloc) with synthetic, self-consistent values
 * for tests of writers, readers and charts: every metadata string set (line
 * and county names in Chinese), years from 2021, probabilities increasing
 * in [0,1] with Wilson intervals, ascending quantiles, values differing
 * between arrays, lines, counties and years. NOT model output.
 * POOLSIM_ENOMEM on failure. */
int poolsim_results_fill_test(poolsim_results *r);

/* ---- Atomic output files (RELIABILITY.md promise 2) ----
 * Write n bytes to `path`: under "<dir>/.<base>.tmp.<pid>" in the same
 * folder, fsync'ed, closed, renamed, folder fsync'ed. On failure: a message
 * naming `path` and the system's reason on stderr, the temporary file
 * removed, nothing created or replaced under `path`, POOLSIM_EIO. (The one
 * exception: if only the final folder fsync fails, the renamed file is
 * removed, so an older file of that name is gone too.) */
int poolsim_results_write_atomic(const char *path, const void *data, size_t n);

/* Whether `path` can be written later (its folder exists and accepts a new
 * file): creates and removes its temporary name. POOLSIM_OK, or POOLSIM_EIO
 * with a message naming the path. For checks before a long run. */
int poolsim_results_check_writable(const char *path);

#endif
