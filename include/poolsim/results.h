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

#include "poolsim/schema.h"

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
    int R;                             /* management rules (0 when none) */
    int *years;                        /* [T] calendar years */
    char **line_ids, **line_names;     /* [L] */
    char **county_ids, **county_names; /* [C] */
    char **rule_ids;                   /* [R] management rule ids */
    int *rule_line;                    /* [R] index of the line each rule acts on */

    /* ---- the outputs: one field (or three, for PROB rows) per row of
     * POOLSIM_SCHEMA (schema.h), shaped as the row says ---- */
#define POOLSIM_FIELD_VEC(name)                                   double *name;
#define POOLSIM_FIELD_RATE(name)                                  double *name;
#define POOLSIM_FIELD_PROB(name)                                  double *name##_prob, *name##_lo, *name##_hi;
#define POOLSIM_FIELD_MS(name)                                    poolsim_mean_se name;
#define POOLSIM_FIELD_DIST(name)                                  poolsim_distsum name;
#define POOLSIM_FIELD_TAIL(name)                                  poolsim_tailsum name;
#define POOLSIM_FIELD(name, kind, shape, src, since, units, desc) POOLSIM_FIELD_##kind(name)
    POOLSIM_SCHEMA(POOLSIM_FIELD)
#undef POOLSIM_FIELD
    /* present[row]: 1 (as allocated), 0 when a row of `since` 2 was
     * missing from the file read back (written by an older poolsim), or
     * was not computed (poolsim_engine_opts.rows: sweep and solve runs) */
    unsigned char present[POOLSIM_SCHEMA_NROWS];
} poolsim_results;

/* Per-path values kept with `--save-paths` (written to /paths in HDF5):
 * one array per row of POOLSIM_SAVED (schema.h), [L][P][T] or
 * [L][C][P][T]. */
typedef struct {
    long P;
    int T, L, C;
    int *first_exhaustion; /* [L][P]: first exhaustion year index 1..T, 0 = never */
#define POOLSIM_SAVED_FIELD(name, slot, shape, units, desc) double *name;
    POOLSIM_SAVED(POOLSIM_SAVED_FIELD)
#undef POOLSIM_SAVED_FIELD
} poolsim_saved_paths;

/* Allocate a zeroed results struct with all arrays for T, L, C and no
 * management rules (metadata strings NULL). NULL on failure. */
poolsim_results *poolsim_results_alloc(int T, int L, int C);
/* The same for d->R management rules (rule_ids and rule_line allocated,
 * the ids NULL). */
poolsim_results *poolsim_results_alloc_dims(const poolsim_dims *d);
void poolsim_results_free(poolsim_results *r);

/* Wilson score interval for k successes in n trials, z = 1.959963984540054. */
void poolsim_wilson(double k, double n, double *lo /* OUT */, double *hi /* OUT */);

/* Read a results file written by poolsim_h5out_write. Returns POOLSIM_OK,
 * POOLSIM_EIO (cannot open/read: message on stderr naming the path), or
 * POOLSIM_EINPUT (not a complete poolsim results file). */
int poolsim_results_read(const char *path, poolsim_results **out /* OUT */);

/* The component arrays of schema row `row` in r (see
 * poolsim_schema_components for their order and names). Returns their
 * number. */
int poolsim_results_row(const poolsim_results *r, int row,
                        double *comp[POOLSIM_SCHEMA_MAXCOMP] /* OUT */);

/* ---- Visiting every numeric array (finite checks, comparisons, tests) ---- */
#define POOLSIM_RESULTS_NARRAYS (POOLSIM_SCHEMA_NROWS * POOLSIM_SCHEMA_MAXCOMP)

typedef struct {
    char name[64]; /* "exhaustion_prob", "reserve_balance.q", "county_burden_total.p95" */
    int shape;     /* enum poolsim_schema_shape; POOLSIM_SHAPE_LTQ for the quantiles of LT */
    int nq;        /* values per element: POOLSIM_NQ for the quantiles of a DIST row, else 1 */
    double *data;
    size_t n; /* number of doubles */
} poolsim_results_array;

/* The numeric arrays of r (everything but years), in schema order.
 * Returns their number (at most POOLSIM_RESULTS_NARRAYS). */
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
 * poolsim_fsio_write (fsio.h): an exclusive temporary in the same folder,
 * fsync'ed, renamed, folder fsync'ed; a destination that is not a regular
 * file is refused; inside poolsim_fsio_begin/commit the file is staged and
 * published with the rest of its set. On failure: a message naming `path`,
 * nothing created or replaced under `path`, POOLSIM_EIO. */
int poolsim_results_write_atomic(const char *path, const void *data, size_t n);

/* poolsim_fsio_check_writable: the destination is acceptable and its
 * folder accepts a new file. For checks before a long run. */
int poolsim_results_check_writable(const char *path);

#endif
