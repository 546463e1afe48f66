/* poolsim benchmarks (`make bench`): prints figures, asserts nothing.
 *
 * For the default scenario and each claims_noise mode:
 *   - microseconds per path and county-line-years per second (1 thread);
 *   - the ratio of the simulator's time to a draws-only replay: the same
 *     sub-stream resets and the same samplers on the same generator with
 *     the same parameters (drivers, then per county, line, benefit and
 *     year a Poisson count and a gamma, or one normal), without financing,
 *     rules or statistics;
 *   - the 2-thread speedup of a whole run;
 *   - whole runs (engine and statistics) of the two cases of
 *     docs/PERFORMANCE.md at 20,000 paths on 2 threads, wall and CPU
 *     seconds (the CPU figure stays meaningful on a busy machine);
 *   - the resident levy solve of the default scenario (issue 14: 20,000
 *     paths, 2 threads, draws reused), wall and CPU seconds and answer;
 *   - peak resident memory;
 *   - first, the machine in this minute: the time of a first write to a
 *     fresh page of memory (which every page of an exact run's kept values
 *     pays) and the speed-up of two threads on independent arithmetic
 *     (below 2 when the second core is busy elsewhere). Both vary from
 *     one machine, and one minute, to another, and the figures after them
 *     with them (docs/PERFORMANCE.md).
 * Usage: build/bench [SCENARIO] [PATHS] */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_errno.h>
#include <omp.h>

#include "poolsim/common.h"
#include "poolsim/claims.h"
#include "poolsim/engine.h"
#include "poolsim/rng.h"
#include "poolsim/sweep.h"

static double peak_mib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Microseconds per page to write one byte to each page of 32 MiB of fresh
 * memory (mapped, never touched), the median of three; -1 if it cannot be
 * mapped. */
static double fresh_page_us(void)
{
    size_t len = (size_t)32 << 20, pg = (size_t)sysconf(_SC_PAGESIZE);
    double us[3];
    for (int r = 0; r < 3; r++) {
        volatile char *p =
            mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return -1;
        double t = omp_get_wtime();
        for (size_t i = 0; i < len; i += pg) p[i] = 1;
        us[r] = 1e6 * (omp_get_wtime() - t) / (double)(len / pg);
        munmap((void *)p, len);
    }
    qsort(us, 3, sizeof *us, cmp_d);
    return us[1];
}

/* Seconds for `threads` threads to do the same independent arithmetic
 * each (16 chains of multiply-add, no memory), the fastest of three. */
static double time_arith(int threads)
{
    double best = -1, sink = 0;
    for (int r = 0; r < 3; r++) {
        double t = omp_get_wtime(), tot = 0;
#pragma omp parallel num_threads(threads) reduction(+ : tot)
        {
            double a[16];
            for (int k = 0; k < 16; k++) a[k] = 1.0 + k + omp_get_thread_num();
            for (long i = 0; i < 20000000L; i++)
                for (int k = 0; k < 16; k++) a[k] = a[k] * 1.0000001 + 1e-9;
            for (int k = 0; k < 16; k++) tot += a[k];
        }
        t = omp_get_wtime() - t;
        sink += tot;
        if (best < 0 || t < best) best = t;
    }
    return sink != sink ? -1 : best;
}

/* Simulator alone, one thread: seconds for paths [0, n). */
static double time_sim(const poolsim_plan *pl, const poolsim_stats_layout *lay, long n,
                       unsigned long long seed, double *checksum)
{
    poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
    double *rec = malloc(lay->n * sizeof(double));
    double t0 = poolsim_now_seconds(), cs = 0;
    for (long p = 0; p < n; p++) {
        poolsim_engine_path(pl, lay, seed, (uint32_t)p, w, rec);
        cs += rec[lay->reserve_balance];
    }
    double t = poolsim_now_seconds() - t0;
    *checksum = cs;
    free(rec);
    poolsim_path_ws_free(w);
    return t;
}

/* Draws-only replay of the same variates, one thread: the floor set by
 * the random numbers. An untimed first pass computes, per path, the
 * parameters of every claims draw exactly as the engine does (lambda, and
 * the payment moments at the path's price index); the timed pass then
 * repeats only the drivers and the draws, in the engine's batched order
 * and with the engine's batched samplers (all sub-streams of the path
 * positioned four at a time as poolsim_claims_streams does, then
 * poolsim_claims_compound_count_all and _amount_all over all benefits of
 * the path: four at a time with AVX2 where the processor has it). */
static double time_replay(const poolsim_plan *pl, long n, unsigned long long seed, double *checksum)
{
    const poolsim_scenario *s = pl->s;
    poolsim_rng rr;
    poolsim_drivers *d = poolsim_drivers_alloc(s);
    int noise = s->claims_noise;
    size_t per = (size_t)pl->T * (size_t)pl->L * (size_t)pl->C * (size_t)pl->K;
    double *lam = calloc(per * (size_t)n, sizeof *lam);
    poolsim_claims_moments *mo = calloc(per * (size_t)n, sizeof *mo);
    uint32_t *who = calloc(per, sizeof *who), *year = calloc(per, sizeof *year);
    poolsim_rng *r = calloc(per, sizeof *r);
    poolsim_claims_draw *q = calloc(per, sizeof *q);
    if (!d || !lam || !mo || !who || !year || !r || !q) {
        fprintf(stderr, "bench: out of memory for the replay of %ld paths\n", n);
        exit(1);
    }
    size_t m = 0; /* draws per path */
    for (long p = 0; p < n; p++) {
        poolsim_drivers_draw(s, (uint32_t)p, &rr, d);
        size_t i = per * (size_t)p, j = 0;
        for (int l = 0; l < pl->L; l++)
            for (int c = 0; c < pl->C; c++)
                for (int kk = 0; kk < pl->nclaims[l]; kk++)
                    for (int t = 0; t < pl->T; t++, i++, j++) {
                        const poolsim_plan_claim *pc = &POOLSIM_PLAN_CLAIM(pl, l, c, kk, t);
                        lam[i] = pc->lam0 * d->U[(size_t)c * (size_t)pl->T + (size_t)t] *
                                 (pl->epidemic[l * pl->K + kk] ? d->J[t] : 1.0);
                        poolsim_plan_moments(pl, pl->mode[l * pl->K + kk], pc, d->P[t],
                                             log(d->P[t]), &mo[i]);
                        year[j] = (uint32_t)(t + 1);
                        who[j] = pl->who[((size_t)l * (size_t)pl->C + (size_t)c) * (size_t)pl->K +
                                         (size_t)kk];
                    }
        m = j;
    }
    double t0 = poolsim_now_seconds(), cs = 0;
    for (long p = 0; p < n; p++) {
        poolsim_drivers_draw(s, (uint32_t)p, &rr, d);
        if (noise == POOLSIM_NOISE_NONE) continue;
        for (size_t j = 0; j < m; j++) {
            q[j].lambda = lam[per * (size_t)p + j];
            q[j].m = mo[per * (size_t)p + j];
        }
        /* the sub-streams as the engine positions them */
        poolsim_claims_streams(r, seed, (uint32_t)p, year, who, m);
        if (noise == POOLSIM_NOISE_NORMAL) {
            for (size_t j = 0; j < m; j++) cs += poolsim_rng_normal(&r[j]);
            continue;
        }
        poolsim_claims_compound_count_all(q, r, m);
        poolsim_claims_compound_amount_all(q, r, m); /* lambda now holds the amount */
        for (size_t j = 0; j < m; j++) cs += q[j].lambda;
    }
    double t = poolsim_now_seconds() - t0;
    *checksum = cs;
    free(lam);
    free(mo);
    free(q);
    free(r);
    free(who);
    free(year);
    poolsim_drivers_free(d);
    return t;
}

/* CPU seconds (user + system) of the process so far */
static double cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

/* Wall seconds of a whole run (engine and statistics); *cpu its CPU seconds. */
static double time_run_cpu(const poolsim_scenario *s, long paths, int threads, double *cpu)
{
    poolsim_engine_opts o = {.paths = paths, .seed = s->seed, .threads = threads};
    poolsim_results *res = NULL;
    double c0 = cpu_seconds(), t0 = poolsim_now_seconds();
    int st = poolsim_engine_run(s, &o, &res, NULL);
    double t = poolsim_now_seconds() - t0;
    if (cpu) *cpu = cpu_seconds() - c0;
    poolsim_results_free(res);
    return st == POOLSIM_OK ? t : -1;
}

static double time_run(const poolsim_scenario *s, long paths, int threads)
{
    return time_run_cpu(s, paths, threads, NULL);
}

/* The resident levy solve of issue 14 on the default scenario: wall
 * seconds, *cpu CPU seconds, *value the answer (NAN on failure). */
static double time_solve(const char *path, double *cpu, double *value)
{
    poolsim_solve_opts so = {.key = "reserve.levy_rate", .lo = 0, .hi = 0.3};
    so.eval.threads = 2;
    so.eval.paths = 20000;
    *value = NAN;
    if (poolsim_solve_target_parse("exhaustion_prob[resident,2030] <= 0.05", &so.target) !=
        POOLSIM_OK)
        return -1;
    poolsim_solve_result r;
    double c0 = cpu_seconds(), t0 = poolsim_now_seconds();
    int st = poolsim_solve_run(path, &so, stderr, &r);
    double t = poolsim_now_seconds() - t0;
    *cpu = cpu_seconds() - c0;
    if (st != POOLSIM_OK) return -1;
    *value = r.value;
    poolsim_solve_result_free(&r);
    return t;
}

/* Histogram quantiles against exact ones at `paths` paths (> 100,000): the
 * engine's run in histogram mode, and an independent pass over the same
 * paths keeping every value of the reserve-ratio and reserve-balance
 * channels of each line and year and of the horizon burden of each county,
 * sorted for exact type-7 quantiles. Prints the largest relative error. */
static int accuracy(const char *path, long paths)
{
    poolsim_scenario *s = NULL;
    if (poolsim_scenario_load(path, NULL, stderr, &s) != POOLSIM_OK) return 2;
    poolsim_engine_opts o = {.paths = paths, .seed = s->seed, .threads = 0};
    poolsim_results *r = NULL;
    if (poolsim_engine_run(s, &o, &r, NULL) != POOLSIM_OK) return 1;
    poolsim_plan *pl = NULL;
    if (poolsim_plan_build(s, &pl) != POOLSIM_OK) return 1;
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, pl->T, pl->L, pl->C);
    size_t lt = (size_t)pl->L * (size_t)pl->T, lc = (size_t)pl->L * (size_t)pl->C;
    size_t nch = 2 * lt + lc, P = (size_t)paths;
    double *v = malloc(nch * P * sizeof(double));
    if (!v) return 1;
#pragma omp parallel
    {
        poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
        double *rec = malloc(lay.n * sizeof(double));
#pragma omp for schedule(dynamic, 256)
        for (long p = 0; p < paths; p++) {
            poolsim_engine_path(pl, &lay, s->seed, (uint32_t)p, w, rec);
            for (size_t i = 0; i < lt; i++) {
                v[i * P + (size_t)p] = rec[lay.reserve_ratio + i];
                v[(lt + i) * P + (size_t)p] = rec[lay.reserve_balance + i];
            }
            for (size_t i = 0; i < lc; i++)
                v[(2 * lt + i) * P + (size_t)p] = rec[lay.county_burden_total + i];
        }
        free(rec);
        poolsim_path_ws_free(w);
    }
    double worst[3] = {0, 0, 0};
    for (size_t ch = 0; ch < nch; ch++) {
        double *x = v + ch * P;
        qsort(x, P, sizeof(double), cmp_d);
        int kind = ch < lt ? 0 : ch < 2 * lt ? 1 : 2;
        for (int k = 0; k < POOLSIM_NQ; k++) {
            double p = poolsim_quantile_probs[k], ex = poolsim_quantile7(x, P, p), ap;
            if (kind == 2) {
                if (p != 0.95 && p != 0.99) continue;
                ap = p == 0.95 ? r->county_burden_total.p95[ch - 2 * lt]
                               : r->county_burden_total.p99[ch - 2 * lt];
            } else {
                const poolsim_distsum *d = kind == 0 ? &r->reserve_ratio : &r->reserve_balance;
                ap = d->q[(ch - (size_t)kind * lt) * POOLSIM_NQ + (size_t)k];
            }
            double rel = ex != 0 ? fabs(ap - ex) / fabs(ex) : fabs(ap);
            if (rel > worst[kind]) worst[kind] = rel;
        }
    }
    printf("histogram vs exact quantiles at %ld paths (%s):\n", paths, r->quantile_method);
    printf("  reserve ratio p01..p99, every line and year: max relative error %.2e\n", worst[0]);
    printf("  reserve balance p01..p99, every line and year: max relative error %.2e\n", worst[1]);
    printf("  county burden over the horizon p95, p99: max relative error %.2e (goal 1e-3)\n",
           worst[2]);
    printf("peak resident memory: %.1f MiB (including the exact pass's %zu values)\n", peak_mib(),
           nch * P);
    free(v);
    poolsim_plan_free(pl);
    poolsim_results_free(r);
    poolsim_scenario_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (argc > 1 && strcmp(argv[1], "--accuracy") == 0)
        return accuracy(argc > 2 ? argv[2] : "scenarios/zhuzhou.yaml",
                        argc > 3 ? atol(argv[3]) : 1000000);
    const char *path = argc > 1 ? argv[1] : "scenarios/zhuzhou.yaml";
    long paths = argc > 2 ? atol(argv[2]) : 4000;
    const char *modes[] = {"compound", "normal", "none"};
    {
        double a1 = time_arith(1), a2 = time_arith(2);
        printf("machine, this minute: first write to a fresh page %.2f us; 2 threads on "
               "independent arithmetic x%.2f\n",
               fresh_page_us(), a1 > 0 && a2 > 0 ? 2 * a1 / a2 : 0.0);
    }
    printf("poolsim benchmark: %s, %ld paths per figure\n", path, paths);
    printf("%-9s %10s %16s %12s %10s %10s %9s\n", "noise", "us/path", "cty-line-yr/s", "replay us",
           "ratio", "target", "2-thr x");
    for (int m = 0; m < 3; m++) {
        char set[64];
        snprintf(set, sizeof set, "simulation.claims_noise=%s", modes[m]);
        const char *sets[] = {set};
        poolsim_load_opts lo = {.nsets = 1, .sets = sets, .paths = -1, .seed = -1};
        poolsim_scenario *s = NULL;
        if (poolsim_scenario_load(path, &lo, stderr, &s) != POOLSIM_OK) return 2;
        poolsim_plan *pl = NULL;
        if (poolsim_plan_build(s, &pl) != POOLSIM_OK) return 1;
        poolsim_stats_layout lay;
        poolsim_stats_layout_init(&lay, pl->T, pl->L, pl->C);
        double cs1, cs2;
        time_sim(pl, &lay, paths / 10, s->seed, &cs1); /* warm-up */
        double ts = time_sim(pl, &lay, paths, s->seed, &cs1);
        double tr = time_replay(pl, paths, s->seed, &cs2);
        double t1 = time_run(s, paths, 1), t2 = time_run(s, paths, 2);
        double cly = (double)paths * pl->C * pl->L * pl->T;
        const char *target = m == 0 ? "<= 1.3" : m == 1 ? "<= 1.5" : "-";
        printf("%-9s %10.2f %16.3g %12.2f %10.2f %10s %9.2f\n", modes[m], 1e6 * ts / (double)paths,
               cly / ts, 1e6 * tr / (double)paths, tr > 0 ? ts / tr : 0.0, target,
               t2 > 0 ? t1 / t2 : 0.0);
        if (cs1 != cs1 || cs2 != cs2) printf("  (checksum is NaN)\n");
        poolsim_plan_free(pl);
        poolsim_scenario_free(s);
    }
    /* the two cases of docs/PERFORMANCE.md: engine and statistics, no file */
    const char *cases[2] = {path, "bench/four-counties.yaml"};
    for (int k = 0; k < 2; k++) {
        poolsim_scenario *s = NULL;
        poolsim_load_opts lo = {.paths = -1, .seed = -1};
        if (poolsim_scenario_load(cases[k], &lo, stderr, &s) != POOLSIM_OK) return 2;
        double t[3], c[3];
        for (int i = 0; i < 3; i++) t[i] = time_run_cpu(s, 20000, 2, &c[i]);
        qsort(t, 3, sizeof(double), cmp_d);
        qsort(c, 3, sizeof(double), cmp_d);
        printf("whole run, 20,000 paths, 2 threads, median of 3 (no process start or file): "
               "%.3f s (CPU %.3f s)  %s\n",
               t[1], c[1], cases[k]);
        poolsim_scenario_free(s);
    }
    if (strcmp(path, "scenarios/zhuzhou.yaml") == 0) {
        double cpu = 0, value = 0, t = time_solve(path, &cpu, &value);
        printf("solve reserve.levy_rate=0:0.3 for exhaustion_prob[resident,2030] <= 0.05, 20,000 "
               "paths, 2 threads: %.3f s (CPU %.3f s), answer %.10g\n",
               t, cpu, value);
    }
    printf("peak resident memory: %.1f MiB; cores: %d\n", peak_mib(), omp_get_num_procs());
    return 0;
}
