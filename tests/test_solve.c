/* Tests of src/solve.c: the target grammar, and bisection on common random
 * numbers finding boundaries computed by hand (the derivations are in the
 * scenario files): levy rate 0.02 (tests/data/solve_levy.yaml), cap ratio
 * just above 0.2 (solve_cap.yaml), global budget share 1.02 with random
 * claims (solve_budget.yaml), the 2023 levy rate of a dated schedule 0.02
 * (solve_dated.yaml), p95 burden targets, refusals, the monotonicity
 * warning (solve_nonmono.yaml) and --max-evals. Run from the repository
 * root. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/sweep.h"

static FILE *quiet_diag(void)
{
    FILE *f = tmpfile();
    return f ? f : stderr;
}

/* ---- target grammar -------------------------------------------------------- */

static void test_target_parse(void)
{
    poolsim_target t;
    CU_ASSERT_EQUAL(poolsim_solve_target_parse("exhaustion_prob[resident,2030] <= 0.05", &t),
                    POOLSIM_OK);
    CU_ASSERT_EQUAL(t.metric, POOLSIM_TARGET_EXHAUSTION);
    CU_ASSERT_STRING_EQUAL(t.line, "resident");
    CU_ASSERT_EQUAL(t.year, 2030);
    CU_ASSERT_EQUAL(t.ge, 0);
    CU_ASSERT_EQUAL(t.bound, 0.05);
    CU_ASSERT_STRING_EQUAL(t.text, "exhaustion_prob[resident,2030] <= 0.05");
    CU_ASSERT_EQUAL(
        poolsim_solve_target_parse("  county_burden_p95 [ employee , shi-feng ,2025 ]>=1e6 ", &t),
        POOLSIM_OK);
    CU_ASSERT_EQUAL(t.metric, POOLSIM_TARGET_BURDEN_P95);
    CU_ASSERT_STRING_EQUAL(t.county, "shi-feng");
    CU_ASSERT_EQUAL(t.year, 2025);
    CU_ASSERT_EQUAL(t.ge, 1);
    CU_ASSERT_EQUAL(t.bound, 1e6);
    CU_ASSERT_STRING_EQUAL(t.text, "county_burden_p95[employee,shi-feng,2025] >= 1000000");
    CU_ASSERT_EQUAL(
        poolsim_solve_target_parse("county_burden_total_p95[resident,liling]<=2.5e7", &t),
        POOLSIM_OK);
    CU_ASSERT_EQUAL(t.metric, POOLSIM_TARGET_BURDEN_TOTAL_P95);
    CU_ASSERT_EQUAL(t.year, 0);
    CU_ASSERT_EQUAL(t.bound, 2.5e7);
    CU_ASSERT_EQUAL(poolsim_solve_target_parse("low_months_prob[resident,2030]<=0.3", &t),
                    POOLSIM_OK);
    CU_ASSERT_EQUAL(t.metric, POOLSIM_TARGET_LOW_MONTHS);
    CU_ASSERT_EQUAL(t.year, 2030);
    CU_ASSERT_STRING_EQUAL(t.text, "low_months_prob[resident,2030] <= 0.3");
    const char *bad[] = {
        "",                                              /* nothing */
        "exhaustion[resident,2030] <= 0.05",             /* unknown metric */
        "exhaustion_prob(resident,2030) <= 0.05",        /* parentheses */
        "exhaustion_prob[resident] <= 0.05",             /* one argument */
        "exhaustion_prob[resident,2030,x] <= 0.05",      /* three */
        "exhaustion_prob[resident,year] <= 0.05",        /* year not a number */
        "exhaustion_prob[resident,2030] < 0.05",         /* strict */
        "exhaustion_prob[resident,2030] <= ",            /* no number */
        "exhaustion_prob[resident,2030] <= 0.05x",       /* junk */
        "exhaustion_prob[resident,2030] <= 5%",          /* percent */
        "exhaustion_prob[resident,2030] <= 1.5",         /* not a probability */
        "exhaustion_prob[resident,2030] <= nan",         /* nan */
        "exhaustion_prob[resident,2030] <= 0x1p-4",      /* hex */
        "county_burden_p95[resident,a] <= 1",            /* year missing */
        "county_burden_total_p95[resident,a,2030] <= 1", /* year not taken */
        "exhaustion_prob[1resident,2030] <= 0.05",       /* bad id */
        "exhaustion_prob[resident,2030] <= 0.05 and more",
        "low_months_prob[resident] <= 0.3",      /* year missing */
        "low_months_prob[resident,2030] <= 1.5", /* not a probability */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(poolsim_solve_target_parse(bad[i], &t), POOLSIM_EINPUT);
}

/* ---- bisection --------------------------------------------------------------- */

static int solve(const char *scen, const char *key, double lo, double hi, const char *target,
                 int max_evals, poolsim_solve_result *r)
{
    poolsim_solve_opts o = {
        .key = key, .lo = lo, .hi = hi, .max_evals = max_evals, .eval = {.threads = 2}};
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_target_parse(target, &o.target), POOLSIM_OK);
    FILE *d = quiet_diag();
    int st = poolsim_solve_run(scen, &o, d, r);
    if (d != stderr) fclose(d);
    return st;
}

static void test_levy_boundary(void)
{
    /* exhausted iff levy_rate < 0.02 (tests/data/solve_levy.yaml): the
     * smallest feasible value is 0.02; tolerance 1e-3 * 0.1 = 1e-4 */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value >= 0.02);
    CU_ASSERT(r.value <= 0.02 + 1e-4);
    CU_ASSERT(r.infeasible < 0.02);
    CU_ASSERT(r.value - r.infeasible <= 1e-4);
    CU_ASSERT_EQUAL(r.metric, 0.0);
    CU_ASSERT_EQUAL(r.lo, 0.0);
    CU_ASSERT(r.hi > 0);
    CU_ASSERT(r.converged);
    CU_ASSERT(r.monotone);
    /* 2 ends + bisection of 0.1 down to 1e-4: ceil(log2(1000)) = 10 */
    CU_ASSERT_EQUAL(r.evaluations, 12);
    CU_ASSERT_EQUAL(r.x[0], 0.0);
    CU_ASSERT_EQUAL(r.x[1], 0.1);
    CU_ASSERT_EQUAL(r.m[0], 1.0);
    CU_ASSERT_EQUAL(r.m[1], 0.0);
    CU_ASSERT_EQUAL(r.paths, 4);
    CU_ASSERT_EQUAL(r.seed, 11);
    poolsim_solve_result_free(&r);
    /* a tighter tolerance */
    poolsim_solve_opts o = {.key = "reserve.levy_rate", .lo = 0, .hi = 0.1, .tol = 1e-7};
    CU_ASSERT_EQUAL_FATAL(
        poolsim_solve_target_parse("exhaustion_prob[fund,2021] <= 0.5", &o.target), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_run("tests/data/solve_levy.yaml", &o, stderr, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value >= 0.02 && r.value <= 0.02 + 1e-7);
    CU_ASSERT(r.evaluations <= 30);
    poolsim_solve_result_free(&r);
    /* a bound the metric reaches exactly: <= 0 holds where P = 0 (levy >=
     * 0.02), >= 1 where P = 1 (levy < 0.02): the comparisons include the
     * bound */
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "exhaustion_prob[fund,2025] <= 0", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value >= 0.02 && r.value <= 0.02 + 1e-4);
    CU_ASSERT_EQUAL(r.metric, 0.0);
    poolsim_solve_result_free(&r);
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "exhaustion_prob[fund,2025] >= 1", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value < 0.02 && r.value >= 0.02 - 1e-4);
    CU_ASSERT_EQUAL(r.metric, 1.0);
    poolsim_solve_result_free(&r);
}

static void test_cap_boundary(void)
{
    /* exhausted iff cap_ratio <= 0.2 (tests/data/solve_cap.yaml) */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_cap.yaml", "reserve.cap_ratio", 0, 1,
                                "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value > 0.2);
    CU_ASSERT(r.value <= 0.2 + 1e-3);
    CU_ASSERT(r.infeasible <= 0.2);
    CU_ASSERT_EQUAL(r.metric, 0.0);
    CU_ASSERT(r.monotone);
    poolsim_solve_result_free(&r);
}

static void test_budget_boundary(void)
{
    /* exhausted iff share_of_financing > 1.02 (tests/data/solve_budget.yaml,
     * random claims): the largest feasible share is 1.02 */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_budget.yaml",
                                "lines.fund.global_budget.share_of_financing", 0.9, 1.2,
                                "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value <= 1.02);
    CU_ASSERT(r.value >= 1.02 - 3e-4);
    CU_ASSERT(r.infeasible > 1.02);
    CU_ASSERT_EQUAL(r.metric, 0.0);
    CU_ASSERT_EQUAL(r.paths, 200);
    poolsim_solve_result_free(&r);
}

static void test_dated_boundary(void)
{
    /* the 2023 levy rate of a dated schedule (tests/data/solve_dated.yaml):
     * exhausted (in 2023) iff it is below 0.02 */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_dated.yaml", "reserve.levy_rate.2023", 0, 0.1,
                                "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value >= 0.02 && r.value <= 0.02 + 1e-4);
    CU_ASSERT(r.infeasible < 0.02);
    poolsim_solve_result_free(&r);
    /* and before 2023 nothing happens: P(exhausted by 2022) is 0 at both ends */
    CU_ASSERT_EQUAL(solve("tests/data/solve_dated.yaml", "reserve.levy_rate.2023", 0, 0.1,
                          "exhaustion_prob[fund,2022] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
}

static void test_burden_targets(void)
{
    /* tests/data/solve_levy.yaml, year-1 burden: 20,000 for x < 0.02 and
     * (10,000 + 500,000 x) from 0.02: <= 22,000 iff x <= 0.024. Every path
     * is equal, so the p95 and its interval are that value. */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "county_burden_p95[fund,a,2021] <= 22000", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value <= 0.024 && r.value >= 0.024 - 1e-4);
    CU_ASSERT(r.infeasible > 0.024);
    CU_ASSERT_DOUBLE_EQUAL(r.metric, 10000 + 500000 * r.value, 1e-6);
    CU_ASSERT_EQUAL(r.lo, r.metric);
    CU_ASSERT_EQUAL(r.hi, r.metric);
    CU_ASSERT(r.monotone);
    poolsim_solve_result_free(&r);
    /* the same over the horizon: 5 years, <= 110,000 */
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "county_burden_total_p95[fund,a] <= 110000", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value <= 0.024 && r.value >= 0.024 - 1e-4);
    CU_ASSERT_DOUBLE_EQUAL(r.metric, 5 * (10000 + 500000 * r.value), 1e-6);
    poolsim_solve_result_free(&r);
    /* >=: the burden at least 40,000 a year from x = 0.06 */
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "county_burden_p95[fund,a,2023] >= 40000", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(r.value >= 0.06 && r.value <= 0.06 + 1e-4);
    poolsim_solve_result_free(&r);
}

static void test_burden_interval(void)
{
    /* a random scenario: the p95's distribution-free interval holds it */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/sweep_small.yaml", "reserve.levy_rate", 0.0, 0.3,
                                "county_burden_total_p95[fund,a] <= 1e12", 2, &r),
                          POOLSIM_EINPUT);
    poolsim_sweep_eval_opts eo = {.paths = 2000, .threads = 2};
    poolsim_sweep_eval *e = NULL;
    CU_ASSERT_EQUAL_FATAL(
        poolsim_sweep_eval_run("tests/data/sweep_small.yaml", 0, NULL, &eo, stderr, &e),
        POOLSIM_OK);
    poolsim_target t;
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_target_parse("county_burden_total_p95[fund,a] <= 1", &t),
                          POOLSIM_OK);
    double v, lo, hi;
    CU_ASSERT_EQUAL(poolsim_solve_metric(&t, e, &v, &lo, &hi), POOLSIM_OK);
    CU_ASSERT(v > 0);
    CU_ASSERT(lo < v && v < hi);
    /* ranks 1900 -+ 1.96 sqrt(95) = 1880.9 .. 1919.1 -> 1880 and 1921 of
     * 2000 (1-based): the interval spans about 40 order statistics */
    poolsim_target u;
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_target_parse("county_burden_p95[fund,zz,2021] <= 1", &u),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_solve_metric(&u, e, &v, &lo, &hi), POOLSIM_EINPUT);
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_target_parse("exhaustion_prob[nofund,2021] <= 1", &u),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_solve_metric(&u, e, &v, &lo, &hi), POOLSIM_EINPUT);
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_target_parse("exhaustion_prob[fund,2040] <= 1", &u),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_solve_metric(&u, e, &v, &lo, &hi), POOLSIM_EINPUT);
    poolsim_sweep_eval_free(e);
}

static void test_refusals(void)
{
    poolsim_solve_result r;
    /* both ends meet it (levy >= 0.02 everywhere in [0.05, 0.1]) */
    CU_ASSERT_EQUAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0.05, 0.1,
                          "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
    CU_ASSERT_PTR_NULL(r.x);
    /* neither does (levy < 0.02 everywhere in [0, 0.01]) */
    CU_ASSERT_EQUAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.01,
                          "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
    /* an unknown key, a value out of range, an empty range */
    CU_ASSERT_EQUAL(solve("tests/data/solve_levy.yaml", "reserve.no_such_key", 0, 0.1,
                          "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
    CU_ASSERT_EQUAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 2,
                          "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
    CU_ASSERT_EQUAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0.1, 0.1,
                          "exhaustion_prob[fund,2025] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
    /* a target on a line the scenario does not have */
    CU_ASSERT_EQUAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                          "exhaustion_prob[resident,2025] <= 0.05", 0, &r),
                    POOLSIM_EINPUT);
}

static void test_monotone_warning(void)
{
    /* tests/data/solve_nonmono.yaml: the burden rises on (0.1, 0.15] and
     * drops to 250,000 above 0.15: the boundary is at 0.15 and the
     * evaluated points are not monotone */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_nonmono.yaml", "reserve.levy_rate", 0.1, 0.2,
                                "county_burden_total_p95[fund,a] <= 500000", 0, &r),
                          POOLSIM_OK);
    CU_ASSERT(!r.monotone);
    CU_ASSERT(fabs(r.value - 0.15) <= 1e-4 + 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(r.metric, 250000, 1e-6);
    poolsim_solve_result_free(&r);
}

static void test_max_evals(void)
{
    /* 4 evaluations: the ends and two midpoints 0.05, 0.025; not converged */
    poolsim_solve_result r;
    CU_ASSERT_EQUAL_FATAL(solve("tests/data/solve_levy.yaml", "reserve.levy_rate", 0, 0.1,
                                "exhaustion_prob[fund,2025] <= 0.05", 4, &r),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL(r.evaluations, 4);
    CU_ASSERT(!r.converged);
    CU_ASSERT_DOUBLE_EQUAL(r.value, 0.025, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(r.infeasible, 0.0, 1e-15);
    poolsim_solve_result_free(&r);
}

static void test_conservative(void)
{
    /* on sweep_small.yaml the conservative answer (upper 95% bound of
     * P(exhausted) <= 0.05) needs a higher levy than the estimate's */
    poolsim_solve_opts o = {.key = "reserve.levy_rate",
                            .lo = 0.05,
                            .hi = 0.3,
                            .tol = 1e-3,
                            .eval = {.paths = 2000, .threads = 2}};
    CU_ASSERT_EQUAL_FATAL(
        poolsim_solve_target_parse("exhaustion_prob[fund,2028] <= 0.05", &o.target), POOLSIM_OK);
    poolsim_solve_result a, b;
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_run("tests/data/sweep_small.yaml", &o, stderr, &a),
                          POOLSIM_OK);
    o.conservative = 1;
    CU_ASSERT_EQUAL_FATAL(poolsim_solve_run("tests/data/sweep_small.yaml", &o, stderr, &b),
                          POOLSIM_OK);
    CU_ASSERT(a.metric <= 0.05);
    CU_ASSERT(b.hi <= 0.05);
    CU_ASSERT(b.value > a.value);
    poolsim_solve_result_free(&a);
    poolsim_solve_result_free(&b);
}

void poolsim_test_solve(void)
{
    CU_pSuite s = CU_add_suite("solve", NULL, NULL);
    CU_add_test(s, "target grammar, strict", test_target_parse);
    CU_add_test(s, "levy boundary 0.02 by hand", test_levy_boundary);
    CU_add_test(s, "cap boundary 0.2 by hand", test_cap_boundary);
    CU_add_test(s, "global budget boundary 1.02 by hand", test_budget_boundary);
    CU_add_test(s, "dated levy boundary 0.02 by hand", test_dated_boundary);
    CU_add_test(s, "p95 burden targets by hand", test_burden_targets);
    CU_add_test(s, "p95 interval; unknown line, county, year", test_burden_interval);
    CU_add_test(s, "refuses without a boundary in the range", test_refusals);
    CU_add_test(s, "warns when not monotone", test_monotone_warning);
    CU_add_test(s, "stops at --max-evals", test_max_evals);
    CU_add_test(s, "conservative: on the interval bound", test_conservative);
}
