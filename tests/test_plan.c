/* Tests of src/plan.c: the interpolated payment-moment tables against the
 * exact lognormal limited moments; the plan's tables built on several
 * threads, and without tables. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/plan.h"
#include "poolsim/scenario.h"

/* For several benefits (deductible 0 or not, ceiling finite or not, cv from
 * 0.6 to 3), at 2000 points spread over the grid and off the nodes, the
 * table's EY and EY2 match poolsim_claims_payment_moments to 1e-9 relative
 * (plus 1e-12 of the scale for values that are nearly 0), and outside the
 * grid it falls back to the exact formula bit for bit. */
static void test_mtable_accuracy(void)
{
    const double par[][4] = {/* cv, d, u, c */
                             {1.6, 800, 300000, 0.82}, {1.0, 0, 3000, 0.5},
                             {0.6, 0, INFINITY, 1.0},  {1.5, 500, 150000, 0.63},
                             {3.0, 2000, 50000, 0.9},  {1.2, 300, 20000, 0.65}};
    double worst = 0;
    for (size_t k = 0; k < sizeof par / sizeof par[0]; k++) {
        poolsim_plan_mtable t;
        double lo = log(50.0), hi = log(200000.0);
        CU_ASSERT_EQUAL_FATAL(
            poolsim_plan_mtable_build(&t, par[k][0], par[k][1], par[k][2], par[k][3], lo, hi), 0);
        for (int i = 0; i < 2000; i++) {
            double m = lo + (hi - lo) * (i + 0.37) / 2000.0, x = exp(m);
            poolsim_claims_moments a, e;
            poolsim_plan_mtable_eval(&t, m, x, &a);
            poolsim_claims_payment_moments(x, par[k][0], par[k][1], par[k][2], par[k][3], &e);
            double scale1 = par[k][3] * x, scale2 = scale1 * scale1;
            double r1 = fabs(a.ey - e.ey) / (fabs(e.ey) + 1e-3 * scale1);
            double r2 = fabs(a.ey2 - e.ey2) / (fabs(e.ey2) + 1e-3 * scale2);
            worst = fmax(worst, fmax(r1, r2));
            CU_ASSERT(fabs(a.ey - e.ey) <= 1e-9 * fabs(e.ey) + 1e-12 * scale1);
            CU_ASSERT(fabs(a.ey2 - e.ey2) <= 1e-9 * fabs(e.ey2) + 1e-12 * scale2);
        }
        poolsim_claims_moments a, e;
        poolsim_plan_mtable_eval(&t, log(1e7), 1e7, &a); /* beyond the grid */
        poolsim_claims_payment_moments(1e7, par[k][0], par[k][1], par[k][2], par[k][3], &e);
        CU_ASSERT(a.ey == e.ey && a.ey2 == e.ey2);
        free(t.v);
    }
    CU_ASSERT(worst < 1e-9);
}

/* The default scenario's plan (stochastic prices, limits not indexed: one
 * table per benefit and run of years with the same terms), built on 1 and
 * on 3 threads and without tables. Every claim in POOLSIM_MOMENTS_PATH
 * mode has a table with its own terms whose grid covers ln(cost0) +
 * ln P_det +- 3, each table holds what poolsim_plan_mtable_build gives
 * for the range the test computes from the claims (a second
 * computation), the same on any number of threads; without tables every
 * claim's tab is NULL and the other terms are the same. */
static void test_plan_tables(void)
{
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_scenario_load("scenarios/zhuzhou.yaml", NULL, stderr, &s),
                          POOLSIM_OK);
    poolsim_plan *p1 = NULL, *p3 = NULL, *p0 = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build_ex(s, 0, 1, &p1), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build_ex(s, 0, 3, &p3), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build_ex(s, POOLSIM_PLAN_NO_TABLES, 1, &p0), POOLSIM_OK);
    CU_ASSERT_FATAL(p1->ntables > 1 && p1->ntables == p3->ntables && p0->ntables == 0);
    int seen = 0;
    for (int l = 0; l < p1->L; l++)
        for (int kk = 0; kk < p1->nclaims[l]; kk++) {
            if (p1->mode[l * p1->K + kk] != POOLSIM_MOMENTS_PATH) continue;
            for (int t = 0; t < p1->T; t++) {
                /* the claims that share this year's table: every county, and
                 * the neighbouring years with the same terms */
                const poolsim_plan_mtable *tb = POOLSIM_PLAN_CLAIM(p1, l, 0, kk, t).tab;
                CU_ASSERT_FATAL(tb != NULL);
                double lo = INFINITY, hi = -INFINITY;
                for (int u = 0; u < p1->T; u++)
                    for (int c = 0; c < p1->C; c++) {
                        const poolsim_plan_claim *q = &POOLSIM_PLAN_CLAIM(p1, l, c, kk, u);
                        if (q->tab != tb) continue;
                        CU_ASSERT(q->cv == tb->cv && q->deductible == tb->d &&
                                  q->ceiling == tb->u && q->coinsurance == tb->c);
                        double lc = q->lncost0 + log(p1->P_det[u]);
                        lo = fmin(lo, lc), hi = fmax(hi, lc);
                    }
                CU_ASSERT(tb->m0 <= lo - 3.0 && tb->m0 + (tb->n - 1) * tb->h >= hi + 3.0);
                poolsim_plan_mtable ref;
                CU_ASSERT_EQUAL_FATAL(poolsim_plan_mtable_build(&ref, tb->cv, tb->d, tb->u, tb->c,
                                                                lo - 3.0, hi + 3.0),
                                      POOLSIM_OK);
                CU_ASSERT(ref.n == tb->n && ref.m0 == tb->m0 &&
                          memcmp(ref.v, tb->v, (size_t)ref.n * 4 * sizeof(double)) == 0);
                free(ref.v);
                const poolsim_plan_mtable *t3 = POOLSIM_PLAN_CLAIM(p3, l, 0, kk, t).tab;
                CU_ASSERT_FATAL(t3 != NULL);
                CU_ASSERT(t3->n == tb->n && t3->m0 == tb->m0 &&
                          memcmp(t3->v, tb->v, (size_t)tb->n * 4 * sizeof(double)) == 0);
                for (int c = 0; c < p0->C; c++) CU_ASSERT(!POOLSIM_PLAN_CLAIM(p0, l, c, kk, t).tab);
                seen++;
            }
        }
    CU_ASSERT(seen > 0);
    size_t lct = (size_t)p1->L * (size_t)p1->C * (size_t)p1->T;
    CU_ASSERT(memcmp(p0->fin_fixed, p1->fin_fixed, lct * sizeof(double)) == 0);
    CU_ASSERT(memcmp(p0->per_capita_exp, p1->per_capita_exp, lct * sizeof(double)) == 0);
    poolsim_plan_free(p0);
    poolsim_plan_free(p1);
    poolsim_plan_free(p3);
    poolsim_scenario_free(s);
}

/* poolsim_plan_moments_row against poolsim_plan_moments claim by claim,
 * bit for bit, in every mode of the default scenario's plan and on a row
 * longer than its chunk: price indices on the grid, off it (far below
 * and above: the exact formula) and NaN. */
static void test_moments_row(void)
{
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_scenario_load("scenarios/zhuzhou.yaml", NULL, stderr, &s),
                          POOLSIM_OK);
    poolsim_plan *pl = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build_ex(s, 0, 1, &pl), POOLSIM_OK);
    enum { N = 150 }; /* more than one chunk of the row */
    poolsim_plan_claim pc[N];
    double P[N], lnP[N];
    poolsim_claims_draw q[N];
    poolsim_claims_moments want;
    unsigned long long x = 88172645463325252ull;
    int modes = 0, bad = 0, off = 0;
    for (int l = 0; l < pl->L; l++)
        for (int kk = 0; kk < pl->nclaims[l]; kk++) {
            int mode = pl->mode[l * pl->K + kk];
            modes |= 1 << mode;
            for (int i = 0; i < N; i++) {
                /* claims of every county and year, in a scrambled order */
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                int c = (int)(x % (unsigned)pl->C), t = (int)(x / 7 % (unsigned)pl->T);
                pc[i] = POOLSIM_PLAN_CLAIM(pl, l, c, kk, t);
                double u = (double)(x >> 11) * 0x1p-53;
                P[i] = i % 10 == 3 ? 1e-4 : i % 10 == 7 ? 1e4 : pl->P_det[t] * exp(0.6 * (u - 0.5));
                if (i == 41) P[i] = NAN;
                lnP[i] = log(P[i]);
            }
            memset(q, 0, sizeof q);
            poolsim_plan_moments_row(pl, mode, pc, P, lnP, N, q);
            for (int i = 0; i < N; i++) {
                poolsim_plan_moments(pl, mode, &pc[i], P[i], lnP[i], &want);
                bad += memcmp(&want, &q[i].m, sizeof want) != 0;
                if (mode == POOLSIM_MOMENTS_PATH && pc[i].tab) {
                    double g = (pc[i].lncost0 + lnP[i] - pc[i].tab->m0) * pc[i].tab->inv_h;
                    off += !(g >= 0 && g < pc[i].tab->n - 1);
                }
            }
        }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(modes & 1 << POOLSIM_MOMENTS_PATH);
    CU_ASSERT(off > 0); /* the fallback was exercised */
    poolsim_plan_free(pl);
    poolsim_scenario_free(s);
}

/* poolsim_plan_moments_rows against poolsim_plan_moments claim by claim,
 * bit for bit, with the AVX2 loop and without: every line's benefits in
 * 1 to C counties (the real layout: a benefit's table shared by the
 * counties), and rows whose claims come from different benefits (tables
 * differing between lanes); price paths on the grid, off it and NaN. */
static void test_moments_rows(void)
{
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_scenario_load("scenarios/zhuzhou.yaml", NULL, stderr, &s),
                          POOLSIM_OK);
    poolsim_plan *pl = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build_ex(s, 0, 1, &pl), POOLSIM_OK);
    int T = pl->T, C = pl->C, K = pl->K;
    CU_ASSERT_FATAL(C >= 5); /* a group of four and a shorter one */
    size_t Q = (size_t)C * ((size_t)T + 1) + 3;
    poolsim_claims_draw *q = calloc(Q, sizeof *q);
    poolsim_plan_claim *mix = calloc((size_t)C * (size_t)T, sizeof *mix);
    double *P = calloc((size_t)T, sizeof *P), *lnP = calloc((size_t)T, sizeof *lnP);
    CU_ASSERT_FATAL(q && mix && P && lnP);
    poolsim_claims_moments want;
    unsigned long long x = 0x9e3779b97f4a7c15ull;
    int was = poolsim_plan_simd(-1);
    long bad = 0, checked = 0, path_rows = 0, mixed = 0;
    for (int simd = 0; simd < 2; simd++) {
        poolsim_plan_simd(simd);
        for (int trial = 0; trial < 40; trial++) {
            for (int t = 0; t < T; t++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                double u = (double)(x >> 11) * 0x1p-53;
                P[t] = pl->P_det[t] * exp(0.8 * (u - 0.5));
                if (trial % 5 == 1 && t == 2) P[t] = 1e-5; /* off the grid */
                if (trial % 7 == 3 && t == 4) P[t] = NAN;
                lnP[t] = log(P[t]);
            }
            for (int l = 0; l < pl->L; l++)
                for (int kk = 0; kk < pl->nclaims[l]; kk++) {
                    int mode = pl->mode[l * K + kk], rows = 1 + trial % C;
                    size_t ps = (size_t)K * (size_t)T, qs = (size_t)T + 1;
                    const poolsim_plan_claim *pc = &POOLSIM_PLAN_CLAIM(pl, l, 0, kk, 0);
                    /* the first of the line's benefits, in a lane of its own */
                    for (int c = 0; c < rows; c++)
                        for (int t = 0; t < T; t++) {
                            int k2 = c == 1 && trial % 2 ? 0 : kk;
                            mix[(size_t)c * (size_t)T + (size_t)t] =
                                POOLSIM_PLAN_CLAIM(pl, l, c, k2, t);
                            mixed += k2 != kk && pl->mode[l * K + k2] == mode;
                        }
                    for (int pass = 0; pass < 2; pass++) {
                        const poolsim_plan_claim *src = pass ? mix : pc;
                        size_t st = pass ? (size_t)T : ps;
                        memset(q, 0xff, Q * sizeof *q);
                        poolsim_plan_moments_rows(pl, mode, src, st, P, lnP, T, rows, q, qs);
                        for (int c = 0; c < rows; c++)
                            for (int t = 0; t < T; t++) {
                                poolsim_plan_moments(pl, mode, &src[(size_t)c * st + (size_t)t],
                                                     P[t], lnP[t], &want);
                                const poolsim_claims_draw *g = &q[(size_t)c * qs + (size_t)t];
                                bad += memcmp(&want, &g->m, sizeof want) != 0;
                                /* nothing else of the draw written */
                                bad += !isnan(g->lambda) || !isnan(g->b);
                                checked++;
                            }
                        /* nor past the rows */
                        for (size_t i = (size_t)rows * qs; i < Q; i++)
                            bad += !isnan(q[i].m.ey);
                        path_rows += mode == POOLSIM_MOMENTS_PATH;
                    }
                }
        }
    }
    poolsim_plan_simd(was);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT(checked > 10000);
    CU_ASSERT(path_rows > 0);
    CU_ASSERT(mixed > 0);
    free(q);
    free(mix);
    free(P);
    free(lnP);
    poolsim_plan_free(pl);
    poolsim_scenario_free(s);
}

void poolsim_test_plan(void)
{
    CU_pSuite s = CU_add_suite("plan", NULL, NULL);
    CU_add_test(s, "moment tables match exact limited moments", test_mtable_accuracy);
    CU_add_test(s, "plan tables on several threads, and none", test_plan_tables);
    CU_add_test(s, "moments of a row equal those claim by claim", test_moments_row);
    CU_add_test(s, "moments of rows at once equal those claim by claim", test_moments_rows);
}
