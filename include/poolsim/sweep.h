/* poolsim: lever sweeps, goal-seeking and paired comparisons on common
 * random numbers (MODEL.md section 6; user documentation docs/STRESS.md).
 *
 * Every random number of a path is keyed by (seed, path, driver, year,
 * county/line/benefit ids), never by a lever's value. Two runs of the
 * engine with the same seed and number of paths on two lever settings are
 * therefore paired path by path: path p of both runs sees the same price,
 * wage, utilisation and epidemic draws and the same claims sub-streams.
 * The statistics here exploit that pairing:
 *
 *   paired difference of a per-path quantity x between runs k and 0:
 *     d_p = x_k,p - x_0,p,  mean(d),  SE = sd(d) / sqrt(n)  (sample sd, n - 1),
 *     95% interval mean -+ z SE,  z = POOLSIM_Z95;
 *   unpaired interval of the same difference (for comparison):
 *     SE_u = sqrt(SE_k^2 + SE_0^2),  SE_j = sd(x_j) / sqrt(n).
 *
 * For exhaustion indicators (x = 1 when the line's first exhaustion year is
 * <= t) this is the paired difference of proportions with the normal
 * (Wald) interval. Every reduction runs in path order, so results do not
 * depend on the thread count.
 *
 * Ownership: _alloc/_run/_read return malloc'ed structs released by the
 * matching _free (which accepts NULL). */
#ifndef POOLSIM_SWEEP_H
#define POOLSIM_SWEEP_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "poolsim/engine.h"
#include "poolsim/results.h"

#define POOLSIM_Z95 1.959963984540054

/* ---- paired statistics ------------------------------------------------ */

typedef struct {
    double mean;        /* mean over paths of x1 - x0 */
    double se;          /* paired: sd(x1 - x0) / sqrt(n) */
    double lo, hi;      /* mean -+ z se */
    double se_unpaired; /* sqrt(se(x1)^2 + se(x0)^2) */
    double lo_unpaired, hi_unpaired;
} poolsim_paired;

/* Mean and standard error (sample sd / sqrt(n); 0 when n == 1) of x[0..n-1],
 * in path order. n >= 1. */
void poolsim_sweep_mean_se(const double *x, long n, double *mean /* OUT */, double *se /* OUT */);

/* Paired difference x1 - x0 over n >= 1 paths (see the file comment). */
void poolsim_sweep_paired(const double *x0, const double *x1, long n,
                          poolsim_paired *out /* OUT */);

/* Arrays of paired differences (each [n] for the same n). */
typedef struct {
    double *mean, *se, *lo, *hi, *se_unpaired, *lo_unpaired, *hi_unpaired;
} poolsim_paired_arr;

/* ---- one evaluation: a scenario run kept with per-path values ----------- */

/* A run of one scenario (plus `--set` overrides) on a given seed and number
 * of paths, with the per-path values the paired statistics need. */
typedef struct {
    poolsim_scenario *s;        /* the loaded scenario */
    poolsim_results *res;       /* summary, provenance filled */
    poolsim_saved_paths *saved; /* per-path values (kept only when asked) */
    long P;
    int T, L, C;
    int *first_exh;       /* [L][P] first exhaustion year index 1..T, 0 never */
    double *burden_total; /* [L][C][P] county burden summed over the horizon, yuan */
} poolsim_sweep_eval;

typedef struct {
    long paths;     /* <= 0: the scenario's simulation.paths */
    int seed_given; /* 1: use `seed`; 0: the scenario's simulation.seed */
    unsigned long long seed;
    int threads;                 /* <= 0: OpenMP default */
    int progress;                /* progress bar on a terminal */
    int keep_saved;              /* keep eval->saved (else freed after reduction) */
    volatile sig_atomic_t *stop; /* may be NULL */
    poolsim_engine_cache *cache; /* paths' draws shared by evaluations; may be NULL */
    int no_reuse;                /* sweep/solve: 1 = no cache (--no-reuse) */
    /* NULL: every summary in eval->res; else only the schema rows flagged
     * (poolsim_engine_opts.rows; exhaustion always) */
    const unsigned char *rows;
    /* 0: eval->saved keeps every per-path array; else only first exhaustion
     * and the arrays of these POOLSIM_SAVED_BIT bits (as
     * poolsim_engine_opts.saved_only); eval->burden_total needs county_burden */
    unsigned saved_only;
} poolsim_sweep_eval_opts;

/* Load `scenario` with the overrides sets[0..nsets-1] (applied in order,
 * "KEY=VALUE"), run it and reduce. Scenario errors go to diag
 * (POOLSIM_EINPUT); POOLSIM_EINTR when stopped; other engine statuses as
 * poolsim_engine_run. */
int poolsim_sweep_eval_run(const char *scenario, int nsets, const char *const *sets,
                           const poolsim_sweep_eval_opts *o, FILE *diag,
                           poolsim_sweep_eval **out /* OUT */);
void poolsim_sweep_eval_free(poolsim_sweep_eval *e);

/* POOLSIM_OK when b has the same years, line ids and county ids as a (so
 * the runs can be paired); else POOLSIM_EINPUT with a message on stderr
 * naming `what` and the first difference. */
int poolsim_sweep_same_shape(const poolsim_sweep_eval *a, const poolsim_sweep_eval *b,
                             const char *what);

/* Later evaluations with o run on e's seed and number of paths, so that
 * they are paired with e. */
void poolsim_sweep_eval_pin(poolsim_sweep_eval_opts *o, const poolsim_sweep_eval *e);

/* The stream for scenario diagnostics under MPI: stderr on rank 0,
 * /dev/null on the other ranks (stderr when it cannot be opened). Close
 * with poolsim_sweep_diag_close. */
FILE *poolsim_sweep_diag_open(void);
void poolsim_sweep_diag_close(FILE *diag);

/* ---- sweep ---------------------------------------------------------------- */

/* One `--set KEY=V1,V2,...`: values are separated by commas outside
 * quotes, braces and brackets, so a dated value
 * `{2021: 0.63, 2024: 0.70}` is one value. */
typedef struct {
    char *key;     /* dotted scenario key */
    int n;         /* values, >= 1 */
    char **text;   /* [n] value texts (YAML), trimmed */
    int numeric;   /* 1: every value is a plain finite decimal number */
    double *value; /* [n] the numbers when numeric, else NULL */
} poolsim_sweep_lever;

/* Parse "KEY=V1,V2,...". POOLSIM_EINPUT with a message on stderr naming the
 * option when the key or a value is empty or a quote/bracket is unbalanced. */
int poolsim_sweep_lever_parse(const char *arg, poolsim_sweep_lever *out /* OUT */);
void poolsim_sweep_lever_free(poolsim_sweep_lever *lv);

/* Sweep results (the /sweep group of a sweep file, docs/STRESS.md).
 * Index helpers: point i (0..N-1), lever k, line l, county c, year t. */
#define POOLSIM_SW_NLT(w, i, l, t)                                                                 \
    (((size_t)(i) * (size_t)(w)->L + (size_t)(l)) * (size_t)(w)->T + (size_t)(t))
#define POOLSIM_SW_NL(w, i, l) ((size_t)(i) * (size_t)(w)->L + (size_t)(l))
#define POOLSIM_SW_NLC(w, i, l, c)                                                                 \
    (((size_t)(i) * (size_t)(w)->L + (size_t)(l)) * (size_t)(w)->C + (size_t)(c))

typedef struct {
    char *scenario_name, *scenario_path, *lang;
    unsigned long long seed;
    long paths;
    int K;                       /* levers (--set with two or more values), >= 1 */
    poolsim_sweep_lever *levers; /* [K] in command-line order */
    int nfixed;                  /* single-valued --set overrides */
    char **fixed;                /* [nfixed] "KEY=VALUE" */
    int N;                       /* grid points: product of the levers' n */
    int *grid;                   /* [N][K] value index of lever k at point i; point 0 =
                                    every lever's first value; the last lever varies fastest */
    int T, L, C;
    int *years;                                   /* [T] */
    char **line_ids, **line_names;                /* [L] */
    char **county_ids, **county_names;            /* [C] */
    double *exh_prob, *exh_lo, *exh_hi;           /* [N][L][T] P(exhausted by year t), Wilson 95% */
    poolsim_paired_arr exh_diff;                  /* [N][L] paired difference from point 0 of the
                                                     indicator "exhausted by the last year" */
    double *burden_mean, *burden_se, *burden_p95; /* [N][L][C] county burden summed over
                                                     the horizon: mean, se, type-7 p95 */
    poolsim_paired_arr burden_diff;               /* [N][L][C] paired difference from point 0 */
} poolsim_sweep_results;

/* Allocate with every array for the sizes (strings NULL, levers zeroed). */
poolsim_sweep_results *poolsim_sweep_results_alloc(int N, int K, int T, int L, int C);
void poolsim_sweep_results_free(poolsim_sweep_results *w);

typedef struct {
    int nsets;                       /* every --set in command-line order */
    const poolsim_sweep_lever *sets; /* n >= 2: a lever; n == 1: a fixed override */
    poolsim_sweep_eval_opts eval;    /* paths, seed (not given: point 0's scenario's), threads */
    FILE *log;                       /* one line per finished point; NULL: none */
} poolsim_sweep_opts;

/* Run the full grid on common random numbers: point 0 fixes the seed and
 * number of paths for every point. *base gets point 0's summary results
 * (provenance filled) when base is not NULL. POOLSIM_EINPUT (messages on
 * stderr/diag) when no --set has two values, the grid exceeds 100000
 * points, a point's scenario is invalid or changes the years, lines or
 * counties. */
int poolsim_sweep_run(const char *scenario, const poolsim_sweep_opts *o, FILE *diag,
                      poolsim_sweep_results **out /* OUT */, poolsim_results **base /* OUT */);

/* The sweep CSV: header then one row per grid point, lever values first
 * (docs/STRESS.md). POOLSIM_EIO when the stream reports an error. */
int poolsim_sweep_write_csv(const poolsim_sweep_results *w, FILE *f);

/* Write what `fill(f, ctx)` prints to `path` atomically (built in memory,
 * then poolsim_results_write_atomic). POOLSIM_EIO with a message naming the
 * path and the system's reason; nothing left behind. */
int poolsim_sweep_write_atomic(const char *path, int (*fill)(FILE *f, const void *ctx),
                               const void *ctx);

/* ---- solve: goal-seeking a lever by bisection (src/solve.c) ----------------- */

enum poolsim_target_metric {
    POOLSIM_TARGET_EXHAUSTION = 0,      /* exhaustion_prob[LINE,YEAR] */
    POOLSIM_TARGET_BURDEN_P95 = 1,      /* county_burden_p95[LINE,COUNTY,YEAR] */
    POOLSIM_TARGET_BURDEN_TOTAL_P95 = 2, /* county_burden_total_p95[LINE,COUNTY] */
    POOLSIM_TARGET_CITY_TOTAL_P95 = 3,   /* city_burden_total_p95[LINE] */
    POOLSIM_TARGET_GOV_TOTAL_P95 = 4,    /* government_burden_total_p95[LINE] */
    POOLSIM_TARGET_LOW_MONTHS = 5        /* low_months_prob[LINE,YEAR] */
};

/* A target "METRIC[ARGS] <= X" or ">= X". */
typedef struct {
    int metric;       /* enum poolsim_target_metric */
    char line[128];   /* line id */
    char county[128]; /* county id (burden metrics) */
    int year;         /* calendar year (0 for the totals over the horizon) */
    int ge;           /* 0: metric <= bound; 1: metric >= bound */
    double bound;
    char text[512]; /* canonical text, e.g. "exhaustion_prob[resident,2030] <= 0.05" */
} poolsim_target;

/* Parse a target strictly. POOLSIM_EINPUT with a message on stderr saying
 * what was expected where. */
int poolsim_solve_target_parse(const char *text, poolsim_target *out /* OUT */);

/* The target's metric in an evaluation, with its 95% interval: Wilson for
 * exhaustion_prob and low_months_prob; for a p95 the distribution-free order-statistic
 * interval [x_(j), x_(k)], j, k = n q -+ z sqrt(n q (1 - q)) (rounded
 * outwards, clamped to 1..n). Yearly burden targets need e->saved.
 * POOLSIM_EINPUT (message) for an unknown line or county or a year outside
 * the horizon. */
int poolsim_solve_metric(const poolsim_target *tg, const poolsim_sweep_eval *e,
                         double *value /* OUT */, double *lo /* OUT */, double *hi /* OUT */);

typedef struct {
    const char *key; /* the varied scenario key */
    double lo, hi;   /* range, lo < hi */
    double tol;      /* stop when the bracket is narrower; <= 0: 1e-3 (hi - lo) */
    int max_evals;   /* <= 0: 30 */
    poolsim_target target;
    int conservative; /* 1: test the 95% interval's end on the failing side
                         (hi for <=, lo for >=) instead of the estimate */
    int nsets;        /* fixed overrides, applied before the varied key */
    const char *const *sets;
    poolsim_sweep_eval_opts eval;
    FILE *log;        /* one line per evaluation; NULL: none */
    double target_ci; /* > 0: solve again with 1,000, 2,000, 4,000, ... paths (the
                         engine's --target-ci schedule) until the metric's 95% interval
                         at the answer has half-width (hi - lo)/2 <= target_ci */
    long max_paths;   /* cap of that schedule (<= 0: POOLSIM_CI_MAX_PATHS) */
} poolsim_solve_opts;

typedef struct {
    double value;          /* boundary value on the feasible side */
    double metric, lo, hi; /* the metric there and its 95% interval */
    double infeasible;     /* the nearest evaluated value where the target fails */
    int evaluations;
    int converged; /* 1: |value - infeasible| <= tol */
    int monotone;  /* 1: the metric is monotone over the evaluated points */
    long paths;
    unsigned long long seed;
    int n;                     /* evaluated points, in evaluation order */
    double *x, *m, *mlo, *mhi; /* [n] value, metric, interval */
    int rounds;                /* solves made (1 without target_ci) */
    double halfwidth;          /* (hi - lo) / 2 at the answer */
} poolsim_solve_result;

/* Bisection on common random numbers (every evaluation runs the seed and
 * paths of the first). Evaluates both ends first; POOLSIM_EINPUT with a
 * message when the target holds at both ends or at neither. Prints a
 * warning on stderr when the metric is not monotone over the evaluated
 * points. */
int poolsim_solve_run(const char *scenario, const poolsim_solve_opts *o, FILE *diag,
                      poolsim_solve_result *out /* OUT */);
void poolsim_solve_result_free(poolsim_solve_result *r);

/* ---- sweep files (src/sweep_h5.c) ---------------------------------------- */

/* Write a sweep file: point 0's results as a complete results file
 * (docs/RESULTS.md, readable by poolsim_results_read) plus the /sweep
 * group, atomically (temporary name, `complete` attribute on /sweep last,
 * fsync, rename, folder fsync). POOLSIM_EIO with a message on failure;
 * callers should then leave with _exit (HDF5 exit handlers). */
int poolsim_sweep_write(const poolsim_sweep_results *w, const poolsim_results *base,
                        const char *path);

/* Read the /sweep group. POOLSIM_EIO (cannot open or read: message names
 * the path), POOLSIM_EINPUT (no complete /sweep group: message). */
int poolsim_sweep_read(const char *path, poolsim_sweep_results **out /* OUT */);

/* 1 when `path` is an HDF5 file with a /sweep group (complete or not:
 * poolsim_sweep_read then refuses an incomplete one with a message), else 0
 * (silent). */
int poolsim_sweep_present(const char *path);

/* ---- sweep charts (src/plot_sweep.c) -------------------------------------- */

/* Chart of P(exhausted by the last year) over the grid with gnuplot: one
 * lever -> a line chart with the Wilson intervals, one series per line
 * (file `sweep_exhaustion.<format>`); two levers -> a heat map per line
 * (`sweep_exhaustion_<line>.<format>`); more levers -> a line chart over
 * the grid points. format: "png" or "svg". Each file written is printed on
 * `log` (may be NULL) as one line "chart: PATH" (src/plot.c relies on it). POOLSIM_ETOOL when
 * gnuplot is missing or fails, POOLSIM_EIO when the folder is not writable, POOLSIM_EINPUT for a
 * bad format. */
int poolsim_sweep_plot(const poolsim_sweep_results *w, const char *outdir, const char *format,
                       FILE *log);

/* ---- paired comparison of two scenarios (`poolsim compare`) ---------- */

/* A total over the horizon in A and B: means with the paired difference,
 * p95s with a paired percentile-bootstrap 95% interval of their difference
 * (400 resamples of whole paths, fixed seed). */
typedef struct {
    double mean_a, mean_b;
    poolsim_paired diff;
    double p95_a, p95_b, p95_lo, p95_hi;
} poolsim_compare_tail;

/* Paired comparison of two evaluations. Per line l and year t:
 * exhaustion indicator (first exhaustion <= t) and year-end reserve ratio;
 * per line and county: burden summed over the horizon. */
typedef struct {
    int T, L, C;
    long P;
    double *exh_a, *exh_b;       /* [L][T] P(exhausted by t) */
    poolsim_paired *exh;         /* [L][T] */
    double *ratio_a, *ratio_b;   /* [L][T] mean year-end reserve ratio */
    poolsim_paired *ratio;       /* [L][T] */
    double *burden_a, *burden_b; /* [L][C] mean burden total */
    poolsim_paired *burden;      /* [L][C] */
    /* who pays over the horizon (MODEL.md section 11), per path then
     * summarised: per line the city's and all governments' payment, per
     * county its burden over all lines */
    poolsim_compare_tail *city;   /* [L] */
    poolsim_compare_tail *gov;    /* [L] */
    poolsim_compare_tail *county; /* [C] */
    /* fund health (MODEL.md section 12): P(months covered < warn_months)
     * and mean months covered per year; financing summed over the horizon
     * (what contributors and subsidies pay in) */
    double *low_a, *low_b, *months_a, *months_b; /* [L][T] */
    poolsim_paired *low, *months;                /* [L][T] */
    double *fin_a, *fin_b;                       /* [L] */
    poolsim_paired *fin;                         /* [L] */
} poolsim_compare;

/* What the comparison writers and the table read. */
typedef struct {
    const char *a, *b;
    const poolsim_sweep_eval *ea, *eb;
    const poolsim_compare *c;
} poolsim_compare_out;

/* Paired differences B - A of two evaluations of the same shape (each
 * kept with its per-path reserve ratios). c is zeroed first. */
int poolsim_compare_compute(const poolsim_sweep_eval *a, const poolsim_sweep_eval *b,
                            poolsim_compare *c /* OUT */);
void poolsim_compare_free(poolsim_compare *c);
/* The comparison as CSV and JSON (ctx: a poolsim_compare_out), for
 * poolsim_sweep_write_atomic; the table on the terminal. */
int poolsim_compare_fill_csv(FILE *f, const void *ctx);
int poolsim_compare_fill_json(FILE *f, const void *ctx);
void poolsim_compare_print(const poolsim_compare_out *o, FILE *f);
/* Charts of the comparison into dir (created if missing; formats: mask
 * of POOLSIM_FMT_SVG and POOLSIM_FMT_PNG): compare_exhaustion and
 * compare_burden (src/compare_plot.c); with html not NULL also an HTML
 * report with the differences and the charts inlined. Each file written
 * is named on stderr. POOLSIM_ETOOL (gnuplot), POOLSIM_EIO, POOLSIM_ENOMEM. */
int poolsim_compare_charts_write(const poolsim_compare_out *o, const char *dir, unsigned formats,
                                 const char *html);
/* Keep only the per-path reserve ratios of an evaluation's saved values. */
void poolsim_compare_trim(poolsim_sweep_eval *e);

#endif
