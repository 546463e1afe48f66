/* Tests of src/fit.c (`poolsim fit`, docs/MODEL.md, "Calibration from a history"): the
 * estimators on panels built by hand, refusals, and recovery: histories
 * simulated by the engine from known parameters (tests/data/fit_truth.yaml)
 * are fitted back, and each (nominal) 95% interval must cover the truth in
 * 90% to 95% of the histories, within three binomial standard errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/engine.h"
#include "poolsim/fit.h"
#include "poolsim/plan.h"
#include "poolsim/stats.h"
#include "test_util.h"

#define TOL 1e-12

/* ---- estimators by hand ---------------------------------------------------- */

/* A panel without noise: y = Y[t] + a[c], Y growing by A + B pi[t] with pi
 * a known series. The trend is the mean growth; the levels a come back
 * exactly (sum 0); sigma_u is 0; m is the mean of pi. */
static void test_point_exact(void)
{
    enum { L = 2, C = 3, T = 6 };
    const double a[L][C] = {{0.1, -0.3, 0.2}, {-0.05, 0.0, 0.05}};
    const double pi[T] = {0, 0.05, 0.07, 0.06, 0.03, 0.04};
    const double A[L] = {0.01, 0.02}, B[L] = {1.0, 0.8}, w[L] = {0.6, 0.4};
    double y[L * C * T];
    for (int l = 0; l < L; l++) {
        double Y = 5.0 + l;
        for (int t = 0; t < T; t++) {
            if (t) Y += A[l] + B[l] * pi[t];
            for (int c = 0; c < C; c++) y[(l * C + c) * T + t] = Y + a[l][c];
        }
    }
    double trend[L], pa[L * C];
    poolsim_fit_point p = {.trend = trend, .a = pa};
    poolsim_fit_point_estimate(L, C, T, y, A, B, w, &p);
    /* mean growth of pi over t = 1..5: (0.05+0.07+0.06+0.03+0.04)/5 = 0.05 */
    CU_ASSERT_DOUBLE_EQUAL(p.m, 0.05, TOL);
    CU_ASSERT_DOUBLE_EQUAL(trend[0], 0.01 + 1.0 * 0.05, TOL);
    CU_ASSERT_DOUBLE_EQUAL(trend[1], 0.02 + 0.8 * 0.05, TOL);
    for (int l = 0; l < L; l++)
        for (int c = 0; c < C; c++) CU_ASSERT_DOUBLE_EQUAL(pa[l * C + c], a[l][c], 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(p.sigma_u, 0, 1e-12);
    /* AR(1) of pi by hand: deviations d = 0, .02, .01, -.02, -.01;
     * phi = sum d_t d_{t-1} / sum d_{t-1}^2 over t = 2..5
     *     = (0 + .0002 - .0002 + .0002) / (0 + .0004 + .0001 + .0004) = 0.0002/0.0009;
     * sigma^2 = (d_1^2 + sum (d_t - phi d_{t-1})^2) / (5 - 2) */
    const double d[5] = {0, 0.02, 0.01, -0.02, -0.01};
    const double phi = 0.0002 / 0.0009;
    double rss = d[0] * d[0];
    for (int t = 1; t < 5; t++) rss += (d[t] - phi * d[t - 1]) * (d[t] - phi * d[t - 1]);
    CU_ASSERT_DOUBLE_EQUAL(p.phi, phi, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(p.sigma, sqrt(rss / 3), 1e-12);
}

/* County deviations from an AR(1) with phi 0.5: the estimator's phi_u
 * must be the minimiser of the profile residual sum of squares, found here
 * by brute force on a grid ten times finer, with each county's level
 * fitted by a second method (numerical minimisation over a grid of
 * levels), within the estimator's grid step. */
static double rss_brute(const double *d, int T, double ph, double *abest)
{
    double best = INFINITY;
    for (double a = -0.2; a <= 0.2; a += 0.0005) {
        double r = 0, prev = 0;
        for (int t = 0; t < T; t++) {
            double e = t ? (d[t] - a) - ph * (prev - a) : d[t] - a;
            r += e * e;
            prev = d[t];
        }
        if (r < best) {
            best = r;
            *abest = a;
        }
    }
    return best;
}

static void test_point_ar1_u(void)
{
    enum { L = 1, C = 2, T = 8 };
    /* county 0: level 0.05, x_t = 0.5 x_{t-1} + e_t; county 1 its mirror
     * (city mean 0) */
    const double e[T] = {0.03, -0.02, 0.04, 0.01, -0.03, 0.02, -0.01, 0.025};
    double y[L * C * T], x = 0;
    for (int t = 0; t < T; t++) {
        x = 0.5 * x + e[t];
        y[0 * T + t] = 0.05 + x;
        y[1 * T + t] = -0.05 - x;
    }
    const double A[1] = {0}, B[1] = {1}, w[1] = {1};
    double trend[1], pa[2];
    poolsim_fit_point p = {.trend = trend, .a = pa};
    poolsim_fit_point_estimate(L, C, T, y, A, B, w, &p);
    double best = INFINITY, bphi = 0, ba = 0;
    for (int g = 0; g <= 980; g++) {
        double a0, a1;
        double r = rss_brute(y, T, g / 1000.0, &a0) + rss_brute(y + T, T, g / 1000.0, &a1);
        if (r < best) {
            best = r;
            bphi = g / 1000.0;
            ba = a0;
        }
    }
    CU_ASSERT_DOUBLE_EQUAL(p.phi_u, bphi, 0.0101);
    CU_ASSERT_DOUBLE_EQUAL(pa[0], ba, 0.01);
    CU_ASSERT_DOUBLE_EQUAL(pa[1], -ba, 0.01);
    /* sigma_u^2 = RSS / (L C T) at the minimum */
    CU_ASSERT_DOUBLE_EQUAL(p.sigma_u, sqrt(best / (L * C * T)), 0.002);
}

/* ---- refusals ------------------------------------------------------------- */

static char *fit_text(const poolsim_scenario *s, const char *csv, int *st)
{
    poolsim_flows f;
    FILE *d = tmpfile();
    *st = poolsim_settle_parse(s, "h.csv", csv, strlen(csv), d, &f);
    if (*st == POOLSIM_OK) {
        poolsim_fit fit;
        poolsim_fit_opts o = {.B = 99, .seed = 1};
        *st = poolsim_fit_estimate(s, &f, "h.csv", &o, d, &fit);
        if (*st == POOLSIM_OK) poolsim_fit_free(&fit);
        poolsim_settle_flows_free(&f);
    }
    long n = ftell(d);
    rewind(d);
    char *m = calloc((size_t)n + 1, 1);
    if (fread(m, 1, (size_t)n, d) != (size_t)n) m[0] = '\0';
    fclose(d);
    return m;
}

static void test_refusals(void)
{
    poolsim_load_opts lo = {.paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_scenario_load("tests/data/settle_small.yaml", &lo, NULL, &s),
                          POOLSIM_OK);
    /* four years */
    char csv[8192] = "year,county,line,financing,expenditure\n";
    for (int y = 2021; y <= 2024; y++)
        for (int c = 0; c < 3; c++)
            for (int l = 0; l < 2; l++)
                sprintf(csv + strlen(csv), "%d,%c,%s,1000,%d\n", y, 'a' + c,
                        l ? "resident" : "employee", 900 + 10 * y - 20000 + c);
    int st;
    char *m = fit_text(s, csv, &st);
    CU_ASSERT_EQUAL(st, POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "h.csv: line employee has 4 years (2021..2024): too few"));
    free(m);
    /* a gap: 2021..2024 and 2026..2027 */
    for (int y = 2026; y <= 2027; y++)
        for (int c = 0; c < 3; c++)
            for (int l = 0; l < 2; l++)
                sprintf(csv + strlen(csv), "%d,%c,%s,1000,900\n", y, 'a' + c,
                        l ? "resident" : "employee");
    m = fit_text(s, csv, &st);
    CU_ASSERT_EQUAL(st, POOLSIM_EINPUT);
    /* the first 2026 row of employee is file line 2 + 24 = 26 */
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "h.csv:26:1: year: line employee has 2026 after 2024"));
    free(m);
    /* a county missing in a year: the flows reader refuses it */
    m = fit_text(s, "year,county,line,financing,expenditure\n2021,a,employee,1,1\n", &st);
    CU_ASSERT_EQUAL(st, POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(m, "no row for county 'b' in year 2021"));
    free(m);
    poolsim_scenario_free(s);
}

/* ---- recovery ------------------------------------------------------------- */

#define NREP   200 /* simulated histories */
#define NBOOT  199 /* bootstrap replications per fit */
#define NYEARS 8

typedef struct {
    long hit, n;
} cover;

/* The intervals are nominal 95%; in histories of 8 years, where the AR(1)
 * coefficients are poorly determined, they are approximate. Required: a
 * coverage of at least 90% and at most 95%, each within three binomial
 * standard errors (the measured figures are printed, and recorded in
 * docs/MODEL.md, "Calibration from a history"). */
static void check_cover(const char *what, cover cv)
{
    const double p = (double)cv.hit / (double)cv.n;
    const double se90 = sqrt(0.90 * 0.10 / (double)cv.n), se95 = sqrt(0.95 * 0.05 / (double)cv.n);
    fprintf(stderr, "\n    recovery: %-28s 95%% interval covers the truth in %ld of %ld (%.3f)",
            what, cv.hit, cv.n, p);
    CU_ASSERT(p >= 0.90 - 3 * se90);
    CU_ASSERT(p <= 0.95 + 3 * se95);
}

static void test_recovery(void)
{
    poolsim_load_opts lo = {.paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_scenario_load("tests/data/fit_truth.yaml", &lo, NULL, &s),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(s->horizon_years, NYEARS);
    poolsim_plan *pl = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build(s, &pl), POOLSIM_OK);
    const int L = pl->L, C = pl->C, T = pl->T;
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, T, L, C);
    double *rec = malloc(lay.n * sizeof *rec);
    poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
    poolsim_flows f = {.n = (size_t)L * C * T};
    f.rows = calloc(f.n, sizeof *f.rows);
    /* truth: levels log(cost_index * util_index) less their mean */
    double truth_a[2][8], mean = 0;
    for (int c = 0; c < C; c++)
        mean += log(s->counties[c].cost_index * s->counties[c].util_index) / C;
    for (int l = 0; l < L; l++)
        for (int c = 0; c < C; c++)
            truth_a[l][c] = log(s->counties[c].cost_index * s->counties[c].util_index) - mean;
    cover cm = {0}, ca = {0}, cs = {0}, cua = {0}, cus = {0}, clev = {0}, ctr = {0};
    for (int r = 0; r < NREP; r++) {
        CU_ASSERT_EQUAL_FATAL(poolsim_engine_path(pl, &lay, s->seed, (uint32_t)r, w, rec),
                              POOLSIM_OK);
        /* rows sorted by line, year, county, as poolsim_settle_read gives */
        size_t k = 0;
        for (int l = 0; l < L; l++)
            for (int t = 0; t < T; t++)
                for (int c = 0; c < C; c++) {
                    const size_t i = ((size_t)l * C + c) * T + t;
                    poolsim_flow *fl = &f.rows[k++];
                    fl->year = s->start_year + t;
                    fl->county = c;
                    fl->line = l;
                    fl->financing = rec[lay.financing + i];
                    fl->expenditure = rec[lay.expenditure + i];
                    fl->enrolment = NAN;
                    fl->src_line = (long)k + 1;
                }
        poolsim_fit fit;
        poolsim_fit_opts o = {.B = NBOOT, .seed = 1000 + (unsigned)r};
        CU_ASSERT_EQUAL_FATAL(poolsim_fit_estimate(s, &f, "sim", &o, NULL, &fit), POOLSIM_OK);
#define IN(v, x) ((v).lo <= (x) && (x) <= (v).hi)
        cm.hit += IN(fit.infl_mean, 0.05), cm.n++;
        ca.hit += IN(fit.infl_ar1, 0.5), ca.n++;
        cs.hit += IN(fit.infl_sd, 0.02), cs.n++;
        cua.hit += IN(fit.util_ar1, 0.5), cua.n++;
        cus.hit += IN(fit.util_sd, 0.03), cus.n++;
        for (int l = 0; l < L; l++) {
            /* the line's trend: log(1 + pi) on average plus its util trend */
            const double tr = log(1.05) + log(1.0 + (l ? 0.02 : 0.01));
            ctr.hit += IN(fit.trend[l], tr), ctr.n++;
            for (int c = 0; c < C; c++) clev.hit += IN(fit.a[l * C + c], truth_a[l][c]), clev.n++;
        }
        poolsim_fit_free(&fit);
    }
    check_cover("medical_inflation.mean", cm);
    check_cover("medical_inflation.ar1", ca);
    check_cover("medical_inflation.sd", cs);
    check_cover("utilisation.ar1", cua);
    check_cover("utilisation.sd", cus);
    check_cover("line trends", ctr);
    check_cover("county levels", clev);
    fputc('\n', stderr);
    free(f.rows);
    free(rec);
    poolsim_path_ws_free(w);
    poolsim_plan_free(pl);
    poolsim_scenario_free(s);
}

void poolsim_test_fit(void)
{
    CU_pSuite s = CU_add_suite("fit", NULL, NULL);
    CU_add_test(s, "estimators on an exact panel", test_point_exact);
    CU_add_test(s, "utilisation AR(1) by profile likelihood", test_point_ar1_u);
    CU_add_test(s, "refusals: too few years, a gap, a missing county", test_refusals);
    CU_add_test(s, "recovery: intervals cover the truth at their rate", test_recovery);
}
