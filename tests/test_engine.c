/* Tests of the engine (src/engine.c, src/plan.c): deterministic projection
 * by closed form, thread-count invariance, histogram-mode quantiles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <CUnit/CUnit.h>
#include <gsl/gsl_cdf.h>
#include <omp.h>

#include "poolsim/claims.h"
#include "poolsim/engine.h"
#include "poolsim/plan.h"
#include "poolsim/qhist.h"
#include "poolsim/rng.h"
#include "poolsim/rules.h"
#include "poolsim/scenario.h"
#include "poolsim/stats.h"

#include "../src/engine_internal.h" /* the fold queue */

static poolsim_scenario *load(const char *path)
{
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(path, NULL, stderr, &s);
    CU_ASSERT_EQUAL(st, POOLSIM_OK);
    return s;
}

static int close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(1.0, fmax(fabs(a), fabs(b)));
}

/* tests/data/engine_det.yaml by closed form. With every sd 0, P[t] =
 * 1.05^(t-1), W[t] = 1.04^(t-1), U = J = 1, and with d = 0, u = inf the fund
 * pays EY = 0.7 * cost per episode. For county a (b in brackets), year t:
 *   N_res = 1000 (2000) * 1.01^(t-1), N_worker = 200 (100)
 *   F = N_res (300*1.05^(t-1)*0.9 + 500*1.02^(t-1)) + N_worker*0.05*50000 (40000)*W
 *   E = 50*1.03^(t-1)*N_res
 *     + (0.2 N_res + 0.1 N_worker) * 1.2 (0.9) * 1.01^(t-1) * 0.7*6000*1.1 (0.9)*P
 * (year 1 of county a: F = 1,270,000, E = 1,269,680 as in the scenario's
 * `poolsim check`). The rules are then applied year by year. */
static void test_deterministic(void)
{
    poolsim_scenario *s = load("tests/data/engine_det.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    poolsim_engine_opts o = {.paths = 3, .seed = 7, .threads = 2};
    poolsim_results *r = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r, NULL), POOLSIM_OK);

    const double nres1[2] = {1000, 2000}, nw[2] = {200, 100}, wage[2] = {50000, 40000};
    const double ui[2] = {1.2, 0.9}, ci[2] = {1.1, 0.9};
    double R = 0, S[2] = {10000, 50000}, Fprev[2];
    poolsim_rules_county cty[2];
    for (int c = 0; c < 2; c++) {
        /* no prior_financing: the year-1 levy basis is year-1 financing */
        Fprev[c] = nres1[c] * (300 * 0.9 + 500) + nw[c] * 0.05 * wage[c];
    }
    int exhausted_first = 0;
    for (int t = 1; t <= 8; t++) {
        double P = pow(1.05, t - 1), W = pow(1.04, t - 1);
        memset(cty, 0, sizeof cty);
        for (int c = 0; c < 2; c++) {
            double nres = nres1[c] * pow(1.01, t - 1);
            double F = nres * (300 * pow(1.05, t - 1) * 0.9 + 500 * pow(1.02, t - 1)) +
                       nw[c] * 0.05 * wage[c] * W;
            double E = 50 * pow(1.03, t - 1) * nres + (0.2 * nres + 0.1 * nw[c]) * ui[c] *
                                                          pow(1.01, t - 1) * 0.7 * 6000 * ci[c] * P;
            cty[c].financing = F;
            cty[c].expenditure = E;
            cty[c].levy_basis = Fprev[c];
            Fprev[c] = F;
        }
        poolsim_rules_params p;
        poolsim_scenario_rules_params(s, 0, 2020 + t, &p);
        poolsim_rules_line lo;
        CU_ASSERT_EQUAL(poolsim_rules_year(&p, 2, &R, S, cty, &lo), POOLSIM_OK);
        if (lo.exhausted && !exhausted_first) exhausted_first = t;
        size_t lt = POOLSIM_LT(r, 0, t - 1);
        CU_ASSERT(close_rel(r->reserve_balance.mean[lt], R, 1e-12));
        CU_ASSERT_EQUAL(r->reserve_balance.se[lt], 0.0);
        for (int k = 0; k < POOLSIM_NQ; k++)
            CU_ASSERT(close_rel(r->reserve_balance.q[lt * POOLSIM_NQ + (size_t)k], R, 1e-12));
        CU_ASSERT(close_rel(r->reserve_ratio.mean[lt], R / lo.financing_total, 1e-12));
        CU_ASSERT(close_rel(r->financing_total.mean[lt], lo.financing_total, 1e-12));
        CU_ASSERT_EQUAL(r->exhaustion_year_prob[lt], lo.exhausted ? 1.0 : 0.0);
        for (int c = 0; c < 2; c++) {
            size_t i = POOLSIM_LCT(r, 0, c, t - 1);
            CU_ASSERT(close_rel(r->financing.mean[i], cty[c].financing, 1e-12));
            CU_ASSERT(close_rel(r->expenditure.mean[i], cty[c].expenditure, 1e-12));
            CU_ASSERT(close_rel(r->levy.mean[i], cty[c].levy, 1e-12));
            CU_ASSERT(close_rel(r->balance.mean[i], cty[c].balance_end, 1e-12));
            CU_ASSERT(close_rel(r->reserve_paid.mean[i], cty[c].reserve_paid, 1e-12));
            CU_ASSERT(close_rel(r->county_burden.mean[i], cty[c].county_share, 1e-12));
            CU_ASSERT(close_rel(r->county_burden.p99[i], cty[c].county_share, 1e-12));
            CU_ASSERT_EQUAL(r->shortfall_prob[i], cty[c].shortfall > 0 ? 1.0 : 0.0);
            /* its Wilson 95% interval over the 3 paths, by the formula */
            double k = cty[c].shortfall > 0 ? 3 : 0, z = 1.959963984540054, n = 3;
            double ctr = (k / n + z * z / (2 * n)) / (1 + z * z / n);
            double half = z / (1 + z * z / n) * sqrt(k / n * (1 - k / n) / n + z * z / (4 * n * n));
            CU_ASSERT(close_rel(r->shortfall_lo[i], k == 0 ? 0 : ctr - half, 1e-12));
            CU_ASSERT(close_rel(r->shortfall_hi[i], k == n ? 1 : ctr + half, 1e-12));
        }
    }
    /* the scenario is built to run county a into shortfalls */
    CU_ASSERT(r->shortfall_prob[POOLSIM_LCT(r, 0, 0, 7)] == 1.0);
    double want = exhausted_first ? 1.0 : 0.0;
    CU_ASSERT_EQUAL(r->exhaustion_prob[POOLSIM_LT(r, 0, 7)], want);
    poolsim_results_free(r);
    poolsim_scenario_free(s);
}

static poolsim_scenario *load_set(const char *path, int n, const char *const *sets)
{
    poolsim_load_opts lo = {.nsets = n, .sets = sets, .paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL(poolsim_scenario_load(path, &lo, stderr, &s), POOLSIM_OK);
    return s;
}

/* Claims expenditure of county c in year index t (the per-capita benefit of
 * tests/data/engine_det.yaml, 50 * 1.03^t per resident, taken off). */
static double claims_part(const poolsim_results *r, int c, int t)
{
    const double nres1[2] = {1000, 2000};
    double nres = nres1[c] * pow(1.01, t);
    return r->expenditure.mean[POOLSIM_LCT(r, 0, c, t)] - 50 * pow(1.03, t) * nres;
}

/* Episodes of county c in year index t relative to year 1: rates 0.2 per
 * resident (growing 1% a year) and 0.1 per worker, util_trend 1%. */
static double episodes_rel(int c, int t)
{
    const double nres1[2] = {1000, 2000}, nw[2] = {200, 100};
    return (0.2 * nres1[c] * pow(1.01, t) + 0.1 * nw[c]) * pow(1.01, t) /
           (0.2 * nres1[c] + 0.1 * nw[c]);
}

/* tests/data/engine_det.yaml again, by two properties rather than formulas:
 *  - an epidemic every year with sd 0 (J = 1.25 exactly) multiplies the
 *    claims expenditure of the epidemic-sensitive benefit by 1.25 and
 *    leaves the per-capita benefit alone;
 *  - with a deductible and a ceiling indexed to prices (index_limits), the
 *    payment per episode scales exactly with P[t] = 1.05^(t-1) (payment(P X;
 *    P d, P u) = P payment(X; d, u)), so year t's claims are year 1's times
 *    P[t] times the episodes' growth; without indexing they are not. */
static void test_epidemic_index_limits(void)
{
    poolsim_scenario *s0 = load("tests/data/engine_det.yaml");
    const char *epi[] = {"shocks.epidemic={prob: 1, mean: 1.25, sd: 0}"};
    poolsim_scenario *s1 = load_set("tests/data/engine_det.yaml", 1, epi);
    const char *idx[] = {"lines.res.benefits.inpatient.deductible=800",
                         "lines.res.benefits.inpatient.ceiling=20000",
                         "lines.res.benefits.inpatient.index_limits=true"};
    poolsim_scenario *s2 = load_set("tests/data/engine_det.yaml", 3, idx);
    poolsim_scenario *s3 = load_set("tests/data/engine_det.yaml", 2, idx);
    CU_ASSERT_FATAL(s0 && s1 && s2 && s3);
    poolsim_engine_opts o = {.paths = 3, .seed = 7, .threads = 1};
    poolsim_results *r0 = NULL, *r1 = NULL, *r2 = NULL, *r3 = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s0, &o, &r0, NULL), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s1, &o, &r1, NULL), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s2, &o, &r2, NULL), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s3, &o, &r3, NULL), POOLSIM_OK);
    double worst_unindexed = 0;
    for (int c = 0; c < 2; c++)
        for (int t = 0; t < 8; t++) {
            CU_ASSERT(close_rel(claims_part(r1, c, t), 1.25 * claims_part(r0, c, t), 1e-12));
            double want = claims_part(r2, c, 0) * pow(1.05, t) * episodes_rel(c, t);
            CU_ASSERT(close_rel(claims_part(r2, c, t), want, 1e-9));
            double plain = claims_part(r3, c, 0) * pow(1.05, t) * episodes_rel(c, t);
            worst_unindexed = fmax(worst_unindexed, fabs(claims_part(r3, c, t) / plain - 1));
        }
    /* unindexed limits: the payment grows faster than prices (the fixed
     * deductible is worth less each year), by more than 1% by year 8 */
    CU_ASSERT(worst_unindexed > 0.01);
    poolsim_results_free(r0);
    poolsim_results_free(r1);
    poolsim_results_free(r2);
    poolsim_results_free(r3);
    poolsim_scenario_free(s0);
    poolsim_scenario_free(s1);
    poolsim_scenario_free(s2);
    poolsim_scenario_free(s3);
}

/* A record for path p of the fold-queue test: spread values, and a valid
 * first-exhaustion year per line. */
static void fold_rec(const poolsim_stats_layout *lay, long p, double *rec)
{
    for (size_t i = 0; i < lay->n; i++)
        rec[i] = (double)((p * 7919 + (long)i * 104729) % 100003) / 7.0 - 2000.0;
    for (int l = 0; l < lay->L; l++) rec[lay->first_exh + (size_t)l] = (double)(p % (lay->T + 1));
}

static void fold_draw(poolsim_block *blk, poolsim_block *acc, poolsim_stats *st,
                      const poolsim_stats_layout *lay, long b, double *rec)
{
    long first, end;
    poolsim_stats_block_range(st, b, &first, &end);
    poolsim_block_reset(blk, b);
    for (long p = first; p < end; p++) {
        fold_rec(lay, p, rec);
        CU_ASSERT_EQUAL(poolsim_block_add_to(blk, acc, st, p, rec), POOLSIM_OK);
    }
}

typedef struct {
    poolsim_fold_queue *q;
    poolsim_stats *st;
    const poolsim_stats_layout *lay;
    int released, waited_after;
} fold_wait_ctx;

/* The fold queue (engine_fold.c) without threads: ten blocks parked in a
 * scrambled order are folded in block order (poolsim_stats_fold refuses
 * any other), the paths folded advance only when the next block has come,
 * the summary equals folding the blocks in order directly, bit for bit,
 * and structures are reused. A failed block stops the folds after the
 * blocks before it. Then with two threads: a thread past the limit waits
 * until the next block is folded, and the next block's drawer never waits. */
static void test_fold_queue(void)
{
    poolsim_dims dims = {.T = 4, .L = 2, .C = 3, .R = 0};
    poolsim_stats_layout lay;
    poolsim_stats_layout_init_dims(&lay, &dims);
    enum { NB = 10 };
    long P = NB * 256 - 100; /* the last block partial */
    poolsim_stats *ref = poolsim_stats_alloc(&lay, P), *st = poolsim_stats_alloc(&lay, P);
    CU_ASSERT_FATAL(ref && st && poolsim_stats_nblocks(st) == NB);
    double *rec = malloc(lay.n * sizeof(double));
    poolsim_block *one = poolsim_block_alloc(ref);
    CU_ASSERT_FATAL(rec && one);
    for (long b = 0; b < NB; b++) {
        fold_draw(one, one, ref, &lay, b, rec);
        CU_ASSERT_EQUAL(poolsim_stats_fold(ref, one), POOLSIM_OK);
    }
    CU_ASSERT_EQUAL(poolsim_stats_absorb(ref, one), POOLSIM_OK);
    poolsim_block_free(one);

    /* the thread's TAIL candidates, whichever blocks it draws */
    poolsim_block *acc = poolsim_block_alloc(st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(acc);
    poolsim_fold_queue q;
    CU_ASSERT_EQUAL_FATAL(poolsim_fold_queue_init(&q, 0, NB, 2), POOLSIM_OK);
    const long order[NB] = {3, 1, 0, 2, 5, 4, 9, 6, 7, 8};
    /* blocks folded after each park: the run of parked blocks from 0 */
    const long folded_after[NB] = {0, 0, 2, 4, 4, 6, 6, 7, 8, 10};
    for (int i = 0; i < NB; i++) {
        poolsim_block *blk = poolsim_fold_queue_block(&q, st);
        CU_ASSERT_PTR_NOT_NULL_FATAL(blk);
        fold_draw(blk, acc, st, &lay, order[i], rec);
        CU_ASSERT_EQUAL(
            poolsim_fold_queue_park(&q, order[i], blk, POOLSIM_OK, POOLSIM_OK, st, NULL, 0),
            POOLSIM_OK);
        long want = folded_after[i] < NB ? folded_after[i] * 256 : P;
        CU_ASSERT_EQUAL(q.folded_paths, want);
        CU_ASSERT_EQUAL(q.next, folded_after[i]);
    }
    /* at most two blocks waited at once (3 and 1), so three structures */
    CU_ASSERT(q.nall == 3 && q.nspare == q.nall && q.nparked == 0);
    CU_ASSERT_EQUAL(poolsim_stats_absorb(st, acc), POOLSIM_OK);
    poolsim_block_free(acc);
    poolsim_results *ra = poolsim_results_alloc_dims(&dims),
                    *rb = poolsim_results_alloc_dims(&dims);
    CU_ASSERT_FATAL(ra && rb);
    CU_ASSERT_EQUAL_FATAL(poolsim_stats_finish(ref, 1, ra), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_stats_finish(st, 1, rb), POOLSIM_OK);
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS], b[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(ra, a);
    CU_ASSERT_EQUAL(poolsim_results_arrays(rb, b), n);
    int compared = 0;
    for (int k = 0; k < n; k++) {
        CU_ASSERT(a[k].n == b[k].n && memcmp(a[k].data, b[k].data, a[k].n * sizeof(double)) == 0);
        compared += a[k].n > 0;
    }
    CU_ASSERT(compared > 10);
    poolsim_fold_queue_free(&q);
    poolsim_results_free(ra);
    poolsim_results_free(rb);
    poolsim_stats_free(ref);
    poolsim_stats_free(st);

    /* a failed block stops the folds after the blocks before it: block 2
     * interrupted (EINTR), or block 2 not drawn for want of a structure
     * (NULL: out of memory); the blocks after it are given back unfolded */
    for (int fail = 0; fail < 2; fail++) {
        st = poolsim_stats_alloc(&lay, P);
        acc = poolsim_block_alloc(st);
        CU_ASSERT_EQUAL_FATAL(poolsim_fold_queue_init(&q, 0, NB, 2), POOLSIM_OK);
        int now = POOLSIM_OK, want = fail ? POOLSIM_ENOMEM : POOLSIM_EINTR;
        const long order2[5] = {1, 3, 2, 0, 4};
        for (int i = 0; i < 5; i++) {
            poolsim_block *blk = poolsim_fold_queue_block(&q, st);
            fold_draw(blk, acc, st, &lay, order2[i], rec);
            int bst = order2[i] == 2 && !fail ? POOLSIM_EINTR : POOLSIM_OK;
            if (order2[i] == 2 && fail) {
                poolsim_fold_queue_return(&q, blk);
                blk = NULL;
            }
            now = poolsim_fold_queue_park(&q, order2[i], blk, bst, now, st, NULL, 0);
            CU_ASSERT_EQUAL(now, i < 3 ? POOLSIM_OK : want);
        }
        CU_ASSERT_EQUAL(q.folded_paths, 2 * 256);
        CU_ASSERT(q.next == 5 && q.nparked == 0 && q.nspare == q.nall);
        poolsim_fold_queue_free(&q);
        poolsim_block_free(acc);
        poolsim_stats_free(st);
    }

    /* the limit (2 per thread: 4): with blocks 1-4 parked, a thread about
     * to draw block 5 waits until block 0 is folded; block 0's drawer
     * does not wait */
    st = poolsim_stats_alloc(&lay, P);
    acc = poolsim_block_alloc(st);
    CU_ASSERT_EQUAL_FATAL(poolsim_fold_queue_init(&q, 0, NB, 2), POOLSIM_OK);
    for (long k = 1; k <= 4; k++) {
        poolsim_block *blk = poolsim_fold_queue_block(&q, st);
        fold_draw(blk, acc, st, &lay, k, rec);
        poolsim_fold_queue_park(&q, k, blk, POOLSIM_OK, POOLSIM_OK, st, NULL, 0);
    }
    CU_ASSERT_EQUAL_FATAL(q.nparked, 4);
    int released = 0, seen = -1;
#pragma omp parallel num_threads(2) shared(released, seen)
    {
        if (omp_get_thread_num() == 1) {
            poolsim_fold_queue_wait(&q, 5);
            int r;
#pragma omp atomic read
            r = released;
            seen = r;
        } else {
            poolsim_fold_queue_wait(&q, 0); /* the next block: at once */
            struct timespec ts = {0, 50000000};
            nanosleep(&ts, NULL);
            poolsim_block *blk;
#pragma omp critical(poolsim_fold)
            blk = poolsim_fold_queue_block(&q, st);
            fold_draw(blk, acc, st, &lay, 0, rec);
#pragma omp atomic write
            released = 1;
#pragma omp critical(poolsim_fold)
            poolsim_fold_queue_park(&q, 0, blk, POOLSIM_OK, POOLSIM_OK, st, NULL, 0);
        }
    }
    CU_ASSERT_EQUAL(seen, 1);
    CU_ASSERT(q.next == 5 && q.nparked == 0);
    poolsim_fold_queue_free(&q);
    poolsim_block_free(acc);
    poolsim_stats_free(st);
    free(rec);
}

/* Same scenario and seed: every summary array bit-identical for 1, 2 and
 * 4 threads (the default scenario, 700 paths = 3 blocks, the last
 * partial), and for 1 and 7 threads on 3,000 paths (12 blocks: with more
 * threads than cores, blocks finish out of turn and wait parked). */
static void test_thread_invariance(void)
{
    poolsim_scenario *s = load("scenarios/zhuzhou.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    poolsim_results *w[2] = {NULL, NULL};
    for (int i = 0; i < 2; i++) {
        poolsim_engine_opts o = {.paths = 3000, .seed = 98, .threads = i ? 7 : 1};
        CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &w[i], NULL), POOLSIM_OK);
    }
    poolsim_results_array wa[POOLSIM_RESULTS_NARRAYS], wb[POOLSIM_RESULTS_NARRAYS];
    int nw = poolsim_results_arrays(w[0], wa);
    CU_ASSERT_EQUAL(poolsim_results_arrays(w[1], wb), nw);
    for (int k = 0; k < nw; k++) {
        int same =
            wa[k].n == wb[k].n && memcmp(wa[k].data, wb[k].data, wa[k].n * sizeof(double)) == 0;
        if (!same) fprintf(stderr, "\n  %s differs with 7 threads\n", wa[k].name);
        CU_ASSERT(same);
    }
    for (int i = 0; i < 2; i++) poolsim_results_free(w[i]);
    poolsim_results *r[3] = {NULL, NULL, NULL};
    const int threads[3] = {1, 2, 4};
    for (int i = 0; i < 3; i++) {
        poolsim_engine_opts o = {.paths = 700, .seed = 99, .threads = threads[i]};
        CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r[i], NULL), POOLSIM_OK);
    }
    for (int i = 1; i < 3; i++) {
        poolsim_results_array a[POOLSIM_RESULTS_NARRAYS], b[POOLSIM_RESULTS_NARRAYS];
        int n = poolsim_results_arrays(r[0], a);
        poolsim_results_arrays(r[i], b);
        for (int k = 0; k < n; k++) {
            int same =
                a[k].n == b[k].n && memcmp(a[k].data, b[k].data, a[k].n * sizeof(double)) == 0;
            if (!same) fprintf(stderr, "\n  %s differs with %d threads\n", a[k].name, threads[i]);
            CU_ASSERT(same);
        }
    }
    /* a different seed gives different results */
    poolsim_engine_opts o = {.paths = 700, .seed = 100, .threads = 2};
    poolsim_results *other = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &other, NULL), POOLSIM_OK);
    size_t n = (size_t)r[0]->L * (size_t)r[0]->C * (size_t)r[0]->T;
    CU_ASSERT(memcmp(other->expenditure.mean, r[0]->expenditure.mean, n * sizeof(double)) != 0);
    poolsim_results_free(other);
    for (int i = 0; i < 3; i++) poolsim_results_free(r[i]);
    poolsim_scenario_free(s);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Above 100,000 paths quantiles come from histograms: compare them with the
 * exact type-7 quantiles of the same run's saved per-path values, within
 * the documented 0.049%; means are unaffected. */
static void test_histogram_mode(void)
{
    poolsim_scenario *s = load("tests/data/engine_small.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    long P = POOLSIM_STATS_EXACT_MAX + 20000;
    poolsim_engine_opts o = {.paths = P, .seed = 5, .threads = 2, .save_paths = 1};
    poolsim_results *r = NULL;
    poolsim_saved_paths *sp = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r, &sp), POOLSIM_OK);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
    CU_ASSERT_PTR_NOT_NULL(strstr(r->quantile_method, "histogram"));
    double *x = malloc((size_t)P * sizeof *x);
    for (int t = 0; t < r->T; t++) {
        double sum = 0;
        for (long p = 0; p < P; p++)
            x[p] = sp->reserve_balance[(size_t)p * (size_t)r->T + (size_t)t];
        for (long p = 0; p < P; p++) sum += x[p];
        qsort(x, (size_t)P, sizeof *x, cmp_d);
        for (int k = 0; k < POOLSIM_NQ; k++) {
            double ex = poolsim_quantile7(x, (size_t)P, poolsim_quantile_probs[k]);
            double ap = r->reserve_balance.q[POOLSIM_LT(r, 0, t) * POOLSIM_NQ + (size_t)k];
            CU_ASSERT(fabs(ap - ex) <= 4.9e-4 * fabs(ex) + 1e-9);
        }
        CU_ASSERT(close_rel(r->reserve_balance.mean[POOLSIM_LT(r, 0, t)], sum / (double)P, 1e-9));
        for (long p = 0; p < P; p++) x[p] = sp->county_burden[(size_t)p * (size_t)r->T + (size_t)t];
        qsort(x, (size_t)P, sizeof *x, cmp_d);
        double ex95 = poolsim_quantile7(x, (size_t)P, 0.95),
               exc = poolsim_cvar_upper(x, (size_t)P, 0.05);
        size_t i = POOLSIM_LCT(r, 0, 0, t);
        CU_ASSERT(fabs(r->county_burden.p95[i] - ex95) <= 4.9e-4 * fabs(ex95) + 1e-9);
        CU_ASSERT(fabs(r->county_burden.cvar95[i] - exc) <= 4.9e-4 * fabs(exc) + 1e-9);
    }
    free(x);
    poolsim_saved_paths_free(sp);
    poolsim_results_free(r);
    poolsim_scenario_free(s);
}

/* The reported standard errors are honest: over K seeds the spread of the
 * estimated means matches the mean reported SE. The estimates of K seeds
 * are K independent draws of a (nearly normal, 400 paths) estimator with
 * standard deviation sigma = the true SE, so (K-1) s^2 / sigma^2 is
 * chi-square with K-1 degrees of freedom, and s / SE lies in
 * [sqrt(chi2_(a/2) / (K-1)), sqrt(chi2_(1-a/2) / (K-1))] with probability
 * 1 - a. With a = 1e-4 (a false failure for one seed set in 10,000) and
 * K = 150 that is [0.78, 1.23]: an SE off by sqrt(2) either way (a
 * variance for a standard deviation over n, n - 1 paths for 2n...) fails,
 * which 30 seeds ([0.53, 1.54]) could not tell. Checked for the reserve
 * balance and a county's expenditure in the last year. */
static void test_se_honest(void)
{
    poolsim_scenario *s = load("tests/data/engine_small.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    enum { K = 150 };
    const double a = 1e-4, df = K - 1;
    const double lo = sqrt(gsl_cdf_chisq_Pinv(a / 2, df) / df),
                 hi = sqrt(gsl_cdf_chisq_Pinv(1 - a / 2, df) / df);
    CU_ASSERT(lo > 0.78 && lo < 0.79 && hi > 1.23 && hi < 1.24);
    double m1[K], m2[K], se1 = 0, se2 = 0;
    for (int k = 0; k < K; k++) {
        poolsim_engine_opts o = {.paths = 400, .seed = 1000u + (unsigned)k, .threads = 2};
        poolsim_results *r = NULL;
        CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r, NULL), POOLSIM_OK);
        size_t lt = POOLSIM_LT(r, 0, r->T - 1), i = POOLSIM_LCT(r, 0, 0, r->T - 1);
        m1[k] = r->reserve_balance.mean[lt];
        se1 += r->reserve_balance.se[lt] / K;
        m2[k] = r->expenditure.mean[i];
        se2 += r->expenditure.se[i] / K;
        poolsim_results_free(r);
    }
    double a1 = 0, a2 = 0, v1 = 0, v2 = 0;
    for (int k = 0; k < K; k++) a1 += m1[k] / K, a2 += m2[k] / K;
    for (int k = 0; k < K; k++)
        v1 += (m1[k] - a1) * (m1[k] - a1), v2 += (m2[k] - a2) * (m2[k] - a2);
    double sd1 = sqrt(v1 / (K - 1)), sd2 = sqrt(v2 / (K - 1));
    if (!(sd1 / se1 > lo && sd1 / se1 < hi && sd2 / se2 > lo && sd2 / se2 < hi))
        fprintf(stderr, "\nspread / reported SE: %g and %g (expected in [%g, %g])", sd1 / se1,
                sd2 / se2, lo, hi);
    CU_ASSERT(sd1 / se1 > lo && sd1 / se1 < hi);
    CU_ASSERT(sd2 / se2 > lo && sd2 / se2 < hi);
    poolsim_scenario_free(s);
}

/* The engine draws all claims of a path in batched passes: each county,
 * line and year's expenditure must equal, bit for bit, the per-capita
 * benefits plus the one-by-one draws of poolsim_claims_aggregate on each
 * benefit's documented sub-stream (MODEL.md section 6), with the
 * expected count and the payment moments at the path's own drivers, for
 * the default scenario in compound and normal modes (no global budget). */
static void test_claims_one_by_one(void)
{
    const char *modes[2] = {"simulation.claims_noise=compound", "simulation.claims_noise=normal"};
    for (int m = 0; m < 2; m++) {
        const char *sets[1] = {modes[m]};
        poolsim_load_opts lo = {.nsets = 1, .sets = sets, .paths = -1, .seed = -1};
        poolsim_scenario *s = NULL;
        CU_ASSERT_EQUAL_FATAL(poolsim_scenario_load("scenarios/zhuzhou.yaml", &lo, stderr, &s),
                              POOLSIM_OK);
        poolsim_plan *pl = NULL;
        CU_ASSERT_EQUAL_FATAL(poolsim_plan_build(s, &pl), POOLSIM_OK);
        poolsim_stats_layout lay;
        poolsim_stats_layout_init(&lay, pl->T, pl->L, pl->C);
        poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
        poolsim_drivers *d = poolsim_drivers_alloc(s);
        double *rec = malloc(lay.n * sizeof(double));
        CU_ASSERT_FATAL(w != NULL && d != NULL && rec != NULL);
        long differ = 0;
        for (uint32_t p = 0; p < 5; p++) {
            CU_ASSERT_EQUAL(poolsim_engine_path(pl, &lay, s->seed, p, w, rec), POOLSIM_OK);
            poolsim_rng r;
            poolsim_drivers_draw(s, p, &r, d);
            for (int l = 0; l < pl->L; l++)
                for (int c = 0; c < pl->C; c++)
                    for (int t = 0; t < pl->T; t++) {
                        double A = 0;
                        for (int k = 0; k < pl->nclaims[l]; k++) {
                            const poolsim_plan_claim *q = &POOLSIM_PLAN_CLAIM(pl, l, c, k, t);
                            double lam = q->lam0 * d->U[c * pl->T + t] *
                                         (pl->epidemic[l * pl->K + k] ? d->J[t] : 1.0);
                            poolsim_claims_moments mo;
                            poolsim_plan_moments(pl, pl->mode[l * pl->K + k], q, d->P[t],
                                                 log(d->P[t]), &mo);
                            poolsim_rng_set(
                                &r, s->seed, p, POOLSIM_STREAM_CLAIMS, (uint32_t)(t + 1),
                                poolsim_rng_who(s->counties[c].id, s->lines[l].id,
                                                s->lines[l].benefits[pl->claim_benefit[l][k]].id));
                            A += poolsim_claims_aggregate(s->claims_noise, lam, &mo, &r);
                        }
                        size_t i = POOLSIM_PLAN_LCT(pl, l, c, t);
                        differ += rec[lay.expenditure + i] != pl->per_capita_exp[i] + A;
                    }
        }
        CU_ASSERT_EQUAL(differ, 0);
        free(rec);
        poolsim_drivers_free(d);
        poolsim_path_ws_free(w);
        poolsim_plan_free(pl);
        poolsim_scenario_free(s);
    }
}

/* A path's record against its own yearly slots summed and compared a
 * second way, bit for bit (the same additions in the same order): per line
 * and county the total and worst year of the county's burden; per county
 * over the lines the burden of each year, its total and worst year; per
 * line and year the pooled balance, total expenditure, the governments'
 * burden and the months a county's balance covers. The default scenario,
 * 300 paths; in many of them a worst year is not the last one. */
static void test_record_sums(void)
{
    poolsim_scenario *s = load("scenarios/zhuzhou.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    poolsim_plan *pl = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build(s, &pl), POOLSIM_OK);
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, pl->T, pl->L, pl->C);
    poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
    double *rec = malloc(lay.n * sizeof(double));
    CU_ASSERT_FATAL(w != NULL && rec != NULL);
    const int T = pl->T, L = pl->L, C = pl->C;
    long bad = 0, early_worst = 0, nonzero = 0;
    for (uint32_t p = 0; p < 300; p++) {
        CU_ASSERT_EQUAL_FATAL(poolsim_engine_path(pl, &lay, s->seed, p, w, rec), POOLSIM_OK);
        for (int c = 0; c < C; c++) {
            double tot = 0, worst = 0;
            for (int t = 0; t < T; t++) {
                double b = 0;
                for (int l = 0; l < L; l++)
                    b += rec[lay.county_burden + ((size_t)(l * C + c)) * T + t];
                bad += rec[lay.burden + (size_t)c * T + t] != b;
                tot += b;
                worst = fmax(worst, b);
            }
            bad += rec[lay.burden_total + c] != tot;
            bad += rec[lay.burden_worst_year + c] != worst;
        }
        for (int l = 0; l < L; l++) {
            for (int c = 0; c < C; c++) {
                const double *g = &rec[lay.county_burden + ((size_t)(l * C + c)) * T];
                double tot = 0, worst = 0;
                int tw = -1;
                for (int t = 0; t < T; t++) {
                    tot += g[t];
                    if (g[t] > worst) worst = g[t], tw = t;
                }
                bad += rec[lay.county_burden_total + (size_t)(l * C + c)] != tot;
                bad += rec[lay.county_burden_worst_year + (size_t)(l * C + c)] != worst;
                early_worst += tw >= 0 && tw < T - 1 && g[T - 1] < worst;
                nonzero += tw >= 0;
            }
            for (int t = 0; t < T; t++) {
                size_t lt = (size_t)l * T + t;
                double pb = rec[lay.reserve_balance + lt], e = 0, gov = rec[lay.city_burden + lt];
                for (int c = 0; c < C; c++) {
                    size_t i = ((size_t)(l * C + c)) * T + t;
                    pb += rec[lay.balance + i];
                    e += rec[lay.expenditure + i];
                    gov += rec[lay.county_burden + i];
                    bad += rec[lay.county_months_covered + i] !=
                           12.0 * rec[lay.balance + i] / rec[lay.expenditure + i];
                }
                bad += rec[lay.pooled_balance + lt] != pb;
                bad += rec[lay.expenditure_total + lt] != e;
                bad += rec[lay.government_burden + lt] != gov;
            }
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* the worst year is often not the last: a record keeping the last
     * year's burden instead would fail */
    CU_ASSERT(early_worst > 100 && nonzero > early_worst);
    free(rec);
    poolsim_path_ws_free(w);
    poolsim_plan_free(pl);
    poolsim_scenario_free(s);
}

/* Draws kept between runs: runs that differ only in the yearly rules (levy,
 * cap) reuse the cached financing and claims and give results bit for bit
 * equal to full runs; a run that changes a driver (utilisation sd) or the
 * seed refills the cache and equals its own full run; a cache too small
 * for every path keeps the first ones and simulates the rest. */
static int same_results(const poolsim_results *a, const poolsim_results *b)
{
    poolsim_results_array x[POOLSIM_RESULTS_NARRAYS], y[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays((poolsim_results *)a, x);
    if (poolsim_results_arrays((poolsim_results *)b, y) != n) return 0;
    for (int k = 0; k < n; k++)
        if (x[k].n != y[k].n || memcmp(x[k].data, y[k].data, x[k].n * sizeof(double)) != 0) {
            fprintf(stderr, "\n  %s differs\n", x[k].name);
            return 0;
        }
    return 1;
}

static poolsim_results *run_with(const char *set, unsigned long long seed, poolsim_engine_cache *c)
{
    const char *sets[1] = {set};
    poolsim_load_opts lo = {.nsets = set ? 1 : 0, .sets = sets, .paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    if (poolsim_scenario_load("scenarios/zhuzhou.yaml", &lo, stderr, &s) != POOLSIM_OK) return NULL;
    poolsim_engine_opts o = {.paths = 300, .seed = seed, .threads = 2, .cache = c};
    poolsim_results *r = NULL;
    int st = poolsim_engine_run(s, &o, &r, NULL);
    poolsim_scenario_free(s);
    return st == POOLSIM_OK ? r : NULL;
}

static void test_cache_reuse(void)
{
    poolsim_engine_cache *c = poolsim_engine_cache_alloc(POOLSIM_ENGINE_CACHE_BYTES);
    CU_ASSERT_FATAL(c != NULL);
    const char *sets[4] = {"reserve.levy_rate=0.10", "reserve.levy_rate=0.04",
                           "reserve.cap_ratio=0.12", "shocks.utilisation.sd=0.07"};
    poolsim_results *base = run_with(sets[0], 5, c);
    CU_ASSERT_FATAL(base != NULL);
    CU_ASSERT_EQUAL(poolsim_engine_cache_paths(c), 300);
    for (int i = 1; i < 4; i++) {
        poolsim_results *a = run_with(sets[i], 5, c), *b = run_with(sets[i], 5, NULL);
        CU_ASSERT_FATAL(a != NULL && b != NULL);
        CU_ASSERT(same_results(a, b));
        /* the rules changed the outcome, so a stale reuse would show */
        CU_ASSERT(memcmp(a->reserve_balance.mean, base->reserve_balance.mean,
                         (size_t)a->L * (size_t)a->T * sizeof(double)) != 0);
        poolsim_results_free(a);
        poolsim_results_free(b);
    }
    /* another seed: the cache is refilled */
    poolsim_results *a = run_with(sets[1], 6, c), *b = run_with(sets[1], 6, NULL);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    CU_ASSERT(same_results(a, b));
    poolsim_results_free(a);
    poolsim_results_free(b);
    poolsim_engine_cache_free(c);
    /* room for 100 paths (T + L C T doubles each): the first 100 are kept */
    c = poolsim_engine_cache_alloc(100 * (10 + 2 * 10 * 10) * sizeof(double));
    CU_ASSERT_FATAL(c != NULL);
    poolsim_results_free(run_with(sets[0], 5, c));
    CU_ASSERT_EQUAL(poolsim_engine_cache_paths(c), 100);
    a = run_with(sets[2], 5, c);
    b = run_with(sets[2], 5, NULL);
    CU_ASSERT_FATAL(a != NULL && b != NULL);
    CU_ASSERT(same_results(a, b));
    poolsim_results_free(a);
    poolsim_results_free(b);
    poolsim_engine_cache_free(c);
    poolsim_results_free(base);
}

/* Summaries of selected rows only (what sweep and solve read): those rows
 * and the exhaustion figures are bit for bit those of the full run, every
 * other record row is marked not present, and only the asked per-path
 * arrays are kept. The paths must be identical, so a row computed from a
 * wrong record range or a quantile of another channel would show. */
static void test_selected_rows(void)
{
    poolsim_scenario *s = load("scenarios/zhuzhou.yaml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    unsigned char rows[POOLSIM_SCHEMA_NROWS] = {0};
    const int pick[3] = {POOLSIM_ROW_county_burden_total, POOLSIM_ROW_low_months,
                         POOLSIM_ROW_county_months_covered};
    for (int i = 0; i < 3; i++) rows[pick[i]] = 1;
    poolsim_engine_opts o = {.paths = 600, .seed = 11, .threads = 2, .save_paths = 1};
    poolsim_results *full = NULL, *sel = NULL;
    poolsim_saved_paths *sfull = NULL, *ssel = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &full, &sfull), POOLSIM_OK);
    o.rows = rows;
    o.saved_only = POOLSIM_SAVED_BIT(county_burden);
    o.threads = 3;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &sel, &ssel), POOLSIM_OK);
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        int want = w->source != POOLSIM_SRC_REC || rows[row];
        CU_ASSERT_EQUAL(sel->present[row], want);
        if (!want) continue;
        double *a[POOLSIM_SCHEMA_MAXCOMP], *b[POOLSIM_SCHEMA_MAXCOMP];
        int n = poolsim_results_row(full, row, a);
        poolsim_results_row(sel, row, b);
        const char *names[POOLSIM_SCHEMA_MAXCOMP];
        int nc = poolsim_schema_components(w->kind, names);
        CU_ASSERT_EQUAL(n, nc);
        poolsim_dims d = {full->T, full->L, full->C, full->R};
        size_t m = poolsim_schema_shape_size(w->shape, &d);
        for (int k = 0; k < n; k++) {
            size_t len = m * (w->kind == POOLSIM_KIND_DIST && k == 2 ? POOLSIM_NQ : 1);
            int same = memcmp(a[k], b[k], len * sizeof(double)) == 0;
            if (!same) fprintf(stderr, "\n  %s.%s differs\n", w->name, names[k]);
            CU_ASSERT(same);
        }
    }
    size_t L = (size_t)full->L, C = (size_t)full->C, T = (size_t)full->T, P = 600;
    CU_ASSERT(memcmp(full->exhaustion_prob, sel->exhaustion_prob, L * T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(sfull->county_burden, ssel->county_burden, L * C * P * T * sizeof(double)) ==
              0);
    CU_ASSERT(memcmp(sfull->first_exhaustion, ssel->first_exhaustion, L * P * sizeof(int)) == 0);
    CU_ASSERT_PTR_NULL(ssel->balance);
    CU_ASSERT_PTR_NULL(ssel->city_burden);
    poolsim_saved_paths_free(sfull);
    poolsim_saved_paths_free(ssel);
    poolsim_results_free(full);
    poolsim_results_free(sel);
    poolsim_scenario_free(s);
}

void poolsim_test_engine(void)
{
    CU_pSuite s = CU_add_suite("engine", NULL, NULL);
    CU_add_test(s, "deterministic run equals closed-form projection", test_deterministic);
    CU_add_test(s, "bit-identical results for 1, 2, 4 threads", test_thread_invariance);
    CU_add_test(s, "blocks parked out of turn are folded in block order", test_fold_queue);
    CU_add_test(s, "batched claims equal one-by-one draws", test_claims_one_by_one);
    CU_add_test(s, "draws kept between rule-only runs", test_cache_reuse);
    CU_add_test(s, "a path's totals and worst years from its yearly slots", test_record_sums);
    CU_add_test(s, "selected rows equal the full run's", test_selected_rows);
    CU_add_test(s, "histogram quantiles above 100k paths vs exact", test_histogram_mode);
    CU_add_test(s, "epidemic factor and price-indexed limits", test_epidemic_index_limits);
    CU_add_test(s, "standard errors match the spread over seeds", test_se_honest);
}
