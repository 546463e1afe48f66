/* Tests of src/sweep.c and src/sweep_h5.c: paired statistics by hand, lever
 * parsing, common random numbers (a lever that cannot touch county b leaves
 * b bit-identical), paired intervals narrower than unpaired ones and
 * honest over seeds, sweep results computed by hand, the levers named by
 * the rules (global budget, dated values) through the engine, thread
 * independence, and the sweep file round trip.
 *
 * Scenarios: tests/data/{levers_det,sweep_crn,sweep_small,solve_levy,
 * solve_budget,solve_dated}.yaml; each carries its hand derivation. Run
 * from the repository root. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/engine.h"
#include "poolsim/plan.h"
#include "poolsim/results.h"
#include "poolsim/scenario.h"
#include "poolsim/stats.h"
#include "poolsim/sweep.h"
#include "poolsim/text.h"
#include "test_util.h"

#define REL(a, b) CU_ASSERT(fabs((a) - (b)) <= 1e-12 * fmax(1.0, fabs(b)))

/* Scenario diagnostics go here, not to the terminal. */
static FILE *quiet_diag(void)
{
    FILE *f = tmpfile();
    return f ? f : stderr;
}

static void close_diag(FILE *f)
{
    if (f != stderr) fclose(f);
}

static poolsim_sweep_eval *eval(const char *path, int nsets, const char *const *sets, long paths,
                                int keep)
{
    poolsim_sweep_eval_opts o = {.paths = paths, .threads = 2, .keep_saved = keep};
    poolsim_sweep_eval *e = NULL;
    FILE *d = quiet_diag();
    int st = poolsim_sweep_eval_run(path, nsets, sets, &o, d, &e);
    close_diag(d);
    CU_ASSERT_EQUAL(st, POOLSIM_OK);
    return e;
}

/* ---- paired statistics ---------------------------------------------------- */

static void test_paired_hand(void)
{
    /* x0 = 1 2 3 4, x1 = 2 2 5 4: d = 1 0 2 0, mean 0.75; deviations
     * .25 -.75 1.25 -.75, squares sum 2.75, var 2.75/3, se = sqrt(2.75/12)
     * = 0.47871355387816905. Unpaired: var(x0) = 5/3, var(x1) = 6.75/3 =
     * 2.25; se_u = sqrt(5/12 + 2.25/4) = sqrt(0.97916666...) = 0.98952850...
     * Intervals mean -+ 1.959963984540054 se. */
    const double x0[] = {1, 2, 3, 4}, x1[] = {2, 2, 5, 4};
    poolsim_paired p;
    poolsim_sweep_paired(x0, x1, 4, &p);
    CU_ASSERT_DOUBLE_EQUAL(p.mean, 0.75, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.se, sqrt(2.75 / 12), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.se, 0.47871355387816905, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.se_unpaired, sqrt(5.0 / 12 + 2.25 / 4), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.lo, 0.75 - 1.959963984540054 * 0.47871355387816905, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(p.hi, 0.75 + 1.959963984540054 * 0.47871355387816905, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(p.hi_unpaired - p.lo_unpaired,
                           2 * 1.959963984540054 * sqrt(5.0 / 12 + 2.25 / 4), 1e-14);
    /* one path: no spread */
    poolsim_sweep_paired(x0, x1, 1, &p);
    CU_ASSERT_EQUAL(p.mean, 1.0);
    CU_ASSERT_EQUAL(p.se, 0.0);
    CU_ASSERT_EQUAL(p.se_unpaired, 0.0);
    double m, se;
    poolsim_sweep_mean_se(x1, 4, &m, &se);
    CU_ASSERT_DOUBLE_EQUAL(m, 3.25, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(se, 0.75, 1e-15); /* sqrt(2.25 / 4) */
}

/* ---- lever parsing ---------------------------------------------------------- */

/* One CSV field as the sweep and compare CSVs write it (text.h, RFC 4180):
 * quoted when it holds a comma, a quote, CR or LF, quotes doubled; a
 * formula (leading = + - @, not a plain number) guarded with a '. */
static void test_csv_field(void)
{
    const char *cases[][2] = {
        {"plain", "plain"},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"x\ny", "\"x\ny\""},
        {"x\ry", "\"x\ry\""},
        {"\"", "\"\"\"\""},
        {"", ""},
        {"=1+2", "\"'=1+2\""},
        {"@x", "\"'@x\""},
        {"-1", "-1"},
        {"株洲, 市", "\"株洲, 市\""},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        poolsim_text_csv_field(f, cases[k][0]);
        fclose(f);
        if (strcmp(buf, cases[k][1]) != 0)
            fprintf(stderr, "\nCSV field of '%s': got '%s', expected '%s'", cases[k][0], buf,
                    cases[k][1]);
        CU_ASSERT_STRING_EQUAL(buf, cases[k][1]);
        free(buf);
    }
}

static void test_lever_parse(void)
{
    poolsim_sweep_lever lv;
    CU_ASSERT_EQUAL(poolsim_sweep_lever_parse("reserve.levy_rate=0.08, 0.10,0.12", &lv),
                    POOLSIM_OK);
    CU_ASSERT_STRING_EQUAL(lv.key, "reserve.levy_rate");
    CU_ASSERT_EQUAL(lv.n, 3);
    CU_ASSERT(lv.numeric);
    CU_ASSERT_STRING_EQUAL(lv.text[1], "0.10");
    CU_ASSERT_EQUAL(lv.value[2], 0.12);
    poolsim_sweep_lever_free(&lv);
    /* dated values: commas inside braces do not split */
    CU_ASSERT_EQUAL(
        poolsim_sweep_lever_parse("k={2021: 0.63, 2024: 0.70},{2021: 0.63, 2024: 0.75}", &lv),
        POOLSIM_OK);
    CU_ASSERT_EQUAL(lv.n, 2);
    CU_ASSERT(!lv.numeric);
    CU_ASSERT_PTR_NULL(lv.value);
    CU_ASSERT_STRING_EQUAL(lv.text[1], "{2021: 0.63, 2024: 0.75}");
    poolsim_sweep_lever_free(&lv);
    CU_ASSERT_EQUAL(poolsim_sweep_lever_parse("k=stop,top_up,'a,b',[1, 2]", &lv), POOLSIM_OK);
    CU_ASSERT_EQUAL(lv.n, 4);
    CU_ASSERT_STRING_EQUAL(lv.text[2], "'a,b'");
    CU_ASSERT_STRING_EQUAL(lv.text[3], "[1, 2]");
    poolsim_sweep_lever_free(&lv);
    CU_ASSERT_EQUAL(poolsim_sweep_lever_parse("k=0.1", &lv), POOLSIM_OK);
    CU_ASSERT_EQUAL(lv.n, 1);
    poolsim_sweep_lever_free(&lv);
    /* hex and inf are not plain numbers (kept as text for the loader to judge) */
    CU_ASSERT_EQUAL(poolsim_sweep_lever_parse("k=0x10,1", &lv), POOLSIM_OK);
    CU_ASSERT(!lv.numeric);
    poolsim_sweep_lever_free(&lv);
    const char *bad[] = {"k=", "=1,2", "k=1,,2", "k={1, 2", "k=1,2]", "k='a,b", "novalue", "k=1,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(poolsim_sweep_lever_parse(bad[i], &lv), POOLSIM_EINPUT);
        CU_ASSERT_PTR_NULL(lv.key);
    }
}

/* ---- levers through the engine, by hand (tests/data/levers_det.yaml) ------- */

static void test_levers_by_hand(void)
{
    poolsim_sweep_eval *e = eval("tests/data/levers_det.yaml", 0, NULL, 0, 0);
    CU_ASSERT_FATAL(e != NULL);
    const poolsim_results *r = e->res;
    CU_ASSERT_EQUAL_FATAL(r->L, 4);
    CU_ASSERT_EQUAL_FATAL(r->T, 5);
    for (int t = 0; t < 5; t++) {
        /* budget, retention 1, overspend 0: E = 50 * 1000 + 0.9 * 1e6 */
        REL(r->expenditure.mean[POOLSIM_LCT(r, 0, 0, t)], 950000.0);
        /* budget2: 325,000 until 2022, 375,000 from 2023 */
        REL(r->expenditure.mean[POOLSIM_LCT(r, 1, 0, t)], t < 2 ? 325000.0 : 375000.0);
        /* coinsurance 0.70 -> 0.75 in 2024 (t = 3) */
        REL(r->expenditure.mean[POOLSIM_LCT(r, 2, 0, t)], t < 3 ? 350000.0 : 375000.0);
        CU_ASSERT_EQUAL(r->expenditure.se[POOLSIM_LCT(r, 2, 0, t)], 0.0);
    }
    /* the year-4 ratio of the coinsurance rise: 0.75 / 0.70 */
    CU_ASSERT_DOUBLE_EQUAL(r->expenditure.mean[POOLSIM_LCT(r, 2, 0, 3)] /
                               r->expenditure.mean[POOLSIM_LCT(r, 2, 0, 2)],
                           0.75 / 0.70, 1e-12);
    /* levy schedule and subsidy step */
    const double F[] = {1000000, 1050000, 1102500, 1357625, 1415506.25};
    const double levy[] = {100000, 100000, 52500, 55125, 67881.25};
    for (int t = 0; t < 5; t++) {
        REL(r->financing.mean[POOLSIM_LCT(r, 3, 0, t)], F[t]);
        REL(r->levy.mean[POOLSIM_LCT(r, 3, 0, t)], levy[t]);
    }
    /* every line's levy of the other lines: 10% of last year's 1,000,000 */
    REL(r->levy.mean[POOLSIM_LCT(r, 0, 0, 4)], 100000.0);
    poolsim_sweep_eval_free(e);
}

/* Global budget with random claims: retention 1 and overspend 0 make the
 * fund pay exactly B = share * F on every path (tests/data/solve_budget.yaml:
 * share 0.95, F = 1,000,000). */
static void test_budget_random_claims(void)
{
    poolsim_sweep_eval *e = eval("tests/data/solve_budget.yaml", 0, NULL, 0, 0);
    CU_ASSERT_FATAL(e != NULL);
    const poolsim_results *r = e->res;
    for (int t = 0; t < r->T; t++) {
        REL(r->expenditure.mean[POOLSIM_LCT(r, 0, 0, t)], 950000.0);
        CU_ASSERT(r->expenditure.se[POOLSIM_LCT(r, 0, 0, t)] < 1e-6);
    }
    poolsim_sweep_eval_free(e);
}

/* ---- common random numbers --------------------------------------------------- */

/* Per-path records of paths [0, n) of a scenario with overrides. */
static double *records(const char *path, const char *set, long n, poolsim_stats_layout *lay)
{
    poolsim_load_opts lo = {
        .nsets = set ? 1 : 0, .sets = set ? &set : NULL, .paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    FILE *d = quiet_diag();
    int st = poolsim_scenario_load(path, &lo, d, &s);
    close_diag(d);
    CU_ASSERT_EQUAL_FATAL(st, POOLSIM_OK);
    poolsim_plan *pl = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_plan_build(s, &pl), POOLSIM_OK);
    poolsim_stats_layout_init(lay, pl->T, pl->L, pl->C);
    poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
    double *rec = malloc((size_t)n * lay->n * sizeof *rec);
    CU_ASSERT_FATAL(w && rec);
    for (long p = 0; p < n; p++)
        CU_ASSERT_EQUAL(
            poolsim_engine_path(pl, lay, s->seed, (uint32_t)p, w, rec + (size_t)p * lay->n),
            POOLSIM_OK);
    poolsim_path_ws_free(w);
    poolsim_plan_free(pl);
    poolsim_scenario_free(s);
    return rec;
}

static void test_crn_bit_identical(void)
{
    /* sweep_crn.yaml: the reserve never runs out and the cap always stops the
     * levy, so county a's cost index cannot reach county b. */
    const long n = 300;
    poolsim_stats_layout lay;
    double *r0 = records("tests/data/sweep_crn.yaml", "counties.a.cost_index=1.0", n, &lay);
    double *r1 = records("tests/data/sweep_crn.yaml", "counties.a.cost_index=1.3", n, &lay);
    size_t T = (size_t)lay.T;
    int a_changed = 0, b_same = 1;
    for (long p = 0; p < n; p++) {
        const double *x = r0 + (size_t)p * lay.n, *y = r1 + (size_t)p * lay.n;
        size_t a = 0 * T, b = 1 * T; /* line 0: county a at 0, b at T */
        size_t offs[] = {lay.financing, lay.expenditure,  lay.county_burden, lay.shortfall_amount,
                         lay.balance,   lay.reserve_paid, lay.levy,          lay.shortfall};
        for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++)
            b_same &= memcmp(x + offs[k] + b, y + offs[k] + b, T * sizeof(double)) == 0;
        b_same &= memcmp(x + lay.county_burden_total + 1, y + lay.county_burden_total + 1,
                         sizeof(double)) == 0;
        a_changed |=
            memcmp(x + lay.expenditure + a, y + lay.expenditure + a, T * sizeof(double)) != 0;
        /* the levy never runs: the cap stops it */
        for (size_t t = 0; t < T; t++) CU_ASSERT_EQUAL(x[lay.levy + b + t], 0.0);
    }
    CU_ASSERT(b_same);
    CU_ASSERT(a_changed);
    free(r0);
    free(r1);

    /* the same through whole runs: saved per-path values and summaries of b */
    const char *s0 = "counties.a.cost_index=1.0", *s1 = "counties.a.cost_index=1.3";
    poolsim_sweep_eval *e0 = eval("tests/data/sweep_crn.yaml", 1, &s0, 0, 1);
    poolsim_sweep_eval *e1 = eval("tests/data/sweep_crn.yaml", 1, &s1, 0, 1);
    CU_ASSERT_FATAL(e0 && e1);
    size_t P = (size_t)e0->P, bo = (size_t)1 * P * T; /* [L=0][C=1][P][T] */
    CU_ASSERT(memcmp(e0->saved->county_burden + bo, e1->saved->county_burden + bo,
                     P * T * sizeof(double)) == 0);
    CU_ASSERT(
        memcmp(e0->saved->shortfall + bo, e1->saved->shortfall + bo, P * T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(e0->saved->balance + bo, e1->saved->balance + bo, P * T * sizeof(double)) ==
              0);
    CU_ASSERT(memcmp(e0->saved->county_burden, e1->saved->county_burden, P * T * sizeof(double)) !=
              0);
    const poolsim_results *a = e0->res, *b = e1->res;
    size_t i = POOLSIM_LCT(a, 0, 1, 0);
    CU_ASSERT(memcmp(a->financing.mean + i, b->financing.mean + i, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(a->expenditure.mean + i, b->expenditure.mean + i, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(a->expenditure.se + i, b->expenditure.se + i, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(a->county_burden.p95 + i, b->county_burden.p95 + i, T * sizeof(double)) == 0);
    CU_ASSERT(a->county_burden_total.mean[1] > 0);
    CU_ASSERT(memcmp(&a->county_burden_total.mean[1], &b->county_burden_total.mean[1],
                     sizeof(double)) == 0);
    /* and the paired difference of b's burden is exactly zero */
    poolsim_paired pd;
    poolsim_sweep_paired(e0->burden_total + P, e1->burden_total + P, e0->P, &pd);
    CU_ASSERT_EQUAL(pd.mean, 0.0);
    CU_ASSERT_EQUAL(pd.se, 0.0);
    CU_ASSERT(pd.se_unpaired > 0);
    poolsim_sweep_eval_free(e0);
    poolsim_sweep_eval_free(e1);
}

/* ---- sweeps ------------------------------------------------------------------------- */

static poolsim_sweep_results *sweep(const char *path, const char *const *args, int nargs,
                                    long paths, int threads, poolsim_results **base)
{
    poolsim_sweep_lever lv[8];
    CU_ASSERT_FATAL(nargs <= 8);
    for (int i = 0; i < nargs; i++)
        CU_ASSERT_EQUAL_FATAL(poolsim_sweep_lever_parse(args[i], &lv[i]), POOLSIM_OK);
    poolsim_sweep_opts o = {
        .nsets = nargs, .sets = lv, .eval = {.paths = paths, .threads = threads}};
    poolsim_sweep_results *w = NULL;
    FILE *d = quiet_diag();
    int st = poolsim_sweep_run(path, &o, d, &w, base);
    close_diag(d);
    for (int i = 0; i < nargs; i++) poolsim_sweep_lever_free(&lv[i]);
    CU_ASSERT_EQUAL(st, POOLSIM_OK);
    return w;
}

static void test_sweep_by_hand(void)
{
    /* solve_levy.yaml: levy 0.01 -> exhausted in 2021, burden 20,000 a year
     * (100,000 over 5 years); levy 0.03 -> never, burden 0.5 * 0.05 F =
     * 25,000 a year (125,000). Every path is the same, so se = 0. */
    const char *a1[] = {"reserve.levy_rate=0.01,0.03"};
    poolsim_sweep_results *w = sweep("tests/data/solve_levy.yaml", a1, 1, 0, 1, NULL);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(w->N, 2);
    CU_ASSERT_EQUAL(w->K, 1);
    for (int t = 0; t < 5; t++) {
        CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 0, 0, t)], 1.0);
        CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 1, 0, t)], 0.0);
    }
    CU_ASSERT_EQUAL(w->exh_diff.mean[0], 0.0);
    CU_ASSERT_EQUAL(w->exh_diff.mean[1], -1.0);
    CU_ASSERT_EQUAL(w->exh_diff.se[1], 0.0);
    CU_ASSERT_EQUAL(w->exh_diff.lo[1], -1.0);
    REL(w->burden_mean[0], 100000.0);
    REL(w->burden_mean[1], 125000.0);
    REL(w->burden_diff.mean[1], 25000.0);
    CU_ASSERT(fabs(w->burden_diff.se[1]) < 1e-9);
    poolsim_sweep_results_free(w);

    /* solve_budget.yaml (random claims): budget share 1.00 -> P 0, burden
     * 50,000; 1.04 -> P 1, burden 200,000 over 5 years */
    const char *a2[] = {"lines.fund.global_budget.share_of_financing=1.0,1.04"};
    w = sweep("tests/data/solve_budget.yaml", a2, 1, 0, 2, NULL);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 0, 0, 4)], 0.0);
    CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 1, 0, 4)], 1.0);
    CU_ASSERT_EQUAL(w->exh_diff.mean[1], 1.0);
    REL(w->burden_mean[0], 50000.0);
    REL(w->burden_mean[1], 200000.0);
    REL(w->burden_diff.mean[1], 150000.0);
    poolsim_sweep_results_free(w);

    /* solve_dated.yaml: the 2023 levy rate as the lever, 0.01 -> exhausted
     * in 2023 (not before), burden 60,000; 0.03 -> never, 75,000 */
    const char *a3[] = {"reserve.levy_rate.2023=0.01,0.03"};
    w = sweep("tests/data/solve_dated.yaml", a3, 1, 0, 1, NULL);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 0, 0, 1)], 0.0); /* 2022 */
    CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 0, 0, 2)], 1.0); /* 2023 */
    CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, 1, 0, 4)], 0.0);
    REL(w->burden_mean[0], 60000.0);
    REL(w->burden_mean[1], 75000.0);
    poolsim_sweep_results_free(w);

    /* a dated value as a whole per grid point, with a fixed override first */
    const char *a4[] = {"reserve.interest=0",
                        "reserve.levy_rate={2021: 0.0, 2023: 0.01},{2021: 0.0, 2023: 0.03}"};
    w = sweep("tests/data/solve_dated.yaml", a4, 2, 0, 1, NULL);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(w->K, 1);
    CU_ASSERT_EQUAL(w->nfixed, 1);
    CU_ASSERT_STRING_EQUAL(w->fixed[0], "reserve.interest=0");
    REL(w->burden_mean[0], 60000.0);
    REL(w->burden_mean[1], 75000.0);
    poolsim_sweep_results_free(w);
}

static void test_grid_order(void)
{
    /* 2 x 3 grid: point i has lever 1 index i / 3 and lever 2 index i % 3 */
    const char *a[] = {"reserve.levy_rate=0.01,0.03", "reserve.cap_ratio=0.8,0.9,1"};
    poolsim_sweep_results *w = sweep("tests/data/solve_levy.yaml", a, 2, 0, 1, NULL);
    CU_ASSERT_FATAL(w != NULL);
    CU_ASSERT_EQUAL(w->N, 6);
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(w->grid[2 * i], i / 3);
        CU_ASSERT_EQUAL(w->grid[2 * i + 1], i % 3);
        /* the cap never binds here: exhaustion depends on the levy only */
        CU_ASSERT_EQUAL(w->exh_prob[POOLSIM_SW_NLT(w, i, 0, 4)], i < 3 ? 1.0 : 0.0);
    }
    poolsim_sweep_results_free(w);
}

static void test_sweep_errors(void)
{
    poolsim_sweep_lever lv[2];
    CU_ASSERT_EQUAL_FATAL(poolsim_sweep_lever_parse("reserve.levy_rate=0.1", &lv[0]), POOLSIM_OK);
    poolsim_sweep_opts o = {.nsets = 1, .sets = lv};
    poolsim_sweep_results *w = NULL;
    FILE *d = quiet_diag();
    CU_ASSERT_EQUAL(poolsim_sweep_run("tests/data/solve_levy.yaml", &o, d, &w, NULL),
                    POOLSIM_EINPUT);
    CU_ASSERT_PTR_NULL(w);
    /* a lever that changes the horizon cannot be paired */
    CU_ASSERT_EQUAL_FATAL(poolsim_sweep_lever_parse("horizon_years=5,6", &lv[1]), POOLSIM_OK);
    o.sets = &lv[1];
    CU_ASSERT_EQUAL(poolsim_sweep_run("tests/data/solve_levy.yaml", &o, d, &w, NULL),
                    POOLSIM_EINPUT);
    CU_ASSERT_PTR_NULL(w);
    /* a bad value is a scenario error */
    poolsim_sweep_lever_free(&lv[1]);
    CU_ASSERT_EQUAL_FATAL(poolsim_sweep_lever_parse("reserve.levy_rate=0.1,1.5", &lv[1]),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_sweep_run("tests/data/solve_levy.yaml", &o, d, &w, NULL),
                    POOLSIM_EINPUT);
    close_diag(d);
    poolsim_sweep_lever_free(&lv[0]);
    poolsim_sweep_lever_free(&lv[1]);
}

/* Paired intervals are narrower than unpaired ones on the same runs. */
static void test_paired_narrower(void)
{
    const char *a[] = {"reserve.levy_rate=0.10,0.08,0.12"};
    poolsim_sweep_results *w = sweep("tests/data/sweep_small.yaml", a, 1, 2000, 2, NULL);
    CU_ASSERT_FATAL(w != NULL);
    for (int i = 1; i < 3; i++) {
        size_t d = POOLSIM_SW_NL(w, i, 0);
        CU_ASSERT(w->exh_diff.mean[d] != 0);
        CU_ASSERT(w->exh_diff.se[d] > 0);
        CU_ASSERT(w->exh_diff.se[d] < w->exh_diff.se_unpaired[d]);
        CU_ASSERT(w->exh_diff.hi[d] - w->exh_diff.lo[d] <
                  w->exh_diff.hi_unpaired[d] - w->exh_diff.lo_unpaired[d]);
        for (int c = 0; c < w->C; c++) {
            size_t j = POOLSIM_SW_NLC(w, i, 0, c);
            if (w->burden_diff.se_unpaired[j] == 0) continue;
            CU_ASSERT(w->burden_diff.se[j] < 0.5 * w->burden_diff.se_unpaired[j]);
        }
    }
    /* a lower levy: more exhaustion; a higher one: less (paired, resolved) */
    CU_ASSERT(w->exh_diff.lo[POOLSIM_SW_NL(w, 1, 0)] > 0);
    CU_ASSERT(w->exh_diff.hi[POOLSIM_SW_NL(w, 2, 0)] < 0);
    poolsim_sweep_results_free(w);
}

/* The paired standard error is honest: over 10 seeds, the spread of the
 * paired difference estimate matches the mean reported SE within a factor
 * (GSL's Monte Carlo test style; with 10 seeds the sample sd is within
 * [0.45, 1.6] of the true sd with probability > 0.99 for normal estimates). */
static void test_paired_se_honest(void)
{
    double est[10], se = 0;
    for (int k = 0; k < 10; k++) {
        char seed[64];
        snprintf(seed, sizeof seed, "simulation.seed=%d", 1000 + k);
        const char *a[] = {seed, "reserve.levy_rate=0.10,0.08"};
        poolsim_sweep_results *w = sweep("tests/data/sweep_small.yaml", a, 2, 1000, 2, NULL);
        CU_ASSERT_FATAL(w != NULL);
        est[k] = w->exh_diff.mean[POOLSIM_SW_NL(w, 1, 0)];
        se += w->exh_diff.se[POOLSIM_SW_NL(w, 1, 0)] / 10;
        poolsim_sweep_results_free(w);
    }
    double m = 0, ss = 0;
    for (int k = 0; k < 10; k++) m += est[k] / 10;
    for (int k = 0; k < 10; k++) ss += (est[k] - m) * (est[k] - m);
    double sd = sqrt(ss / 9);
    CU_ASSERT(sd > 0.45 * se);
    CU_ASSERT(sd < 1.6 * se);
}

static void test_threads(void)
{
    const char *a[] = {"reserve.levy_rate=0.10,0.08", "reserve.cap_ratio=0.3,0.2"};
    poolsim_sweep_results *w1 = sweep("tests/data/sweep_small.yaml", a, 2, 700, 1, NULL);
    poolsim_sweep_results *w2 = sweep("tests/data/sweep_small.yaml", a, 2, 700, 2, NULL);
    CU_ASSERT_FATAL(w1 && w2);
    size_t nlt = (size_t)w1->N * (size_t)w1->L * (size_t)w1->T;
    size_t nl = (size_t)w1->N * (size_t)w1->L, nlc = nl * (size_t)w1->C;
    CU_ASSERT(memcmp(w1->exh_prob, w2->exh_prob, nlt * sizeof(double)) == 0);
    CU_ASSERT(memcmp(w1->exh_diff.se, w2->exh_diff.se, nl * sizeof(double)) == 0);
    CU_ASSERT(memcmp(w1->burden_mean, w2->burden_mean, nlc * sizeof(double)) == 0);
    CU_ASSERT(memcmp(w1->burden_diff.mean, w2->burden_diff.mean, nlc * sizeof(double)) == 0);
    CU_ASSERT(memcmp(w1->burden_diff.se, w2->burden_diff.se, nlc * sizeof(double)) == 0);
    poolsim_sweep_results_free(w1);
    poolsim_sweep_results_free(w2);
}

/* ---- sweep file ------------------------------------------------------------------------ */

static int same(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof(double)) == 0;
}

static int fill_csv(FILE *f, const void *ctx)
{
    return poolsim_sweep_write_csv(ctx, f);
}

static void test_file_round_trip(void)
{
    char dir[200];
    testutil_scratch_dir(dir, sizeof dir, "sweep-test");
    char path[256], csv[256], plain[256];
    snprintf(path, sizeof path, "%s/s.h5", dir);
    snprintf(csv, sizeof csv, "%s/s.csv", dir);
    snprintf(plain, sizeof plain, "%s/missing.h5", dir);
    const char *a[] = {"reserve.levy_rate=0.10,0.08", "reserve.cap_mode=stop,top_up"};
    poolsim_results *base = NULL;
    poolsim_sweep_results *w = sweep("tests/data/sweep_small.yaml", a, 2, 300, 2, &base);
    CU_ASSERT_FATAL(w && base);
    CU_ASSERT_EQUAL(poolsim_sweep_write(w, base, path), POOLSIM_OK);
    CU_ASSERT(poolsim_sweep_present(path));
    CU_ASSERT(!poolsim_sweep_present(plain));
    poolsim_sweep_results *r = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_sweep_read(path, &r), POOLSIM_OK);
    CU_ASSERT_EQUAL(r->N, w->N);
    CU_ASSERT_EQUAL(r->K, 2);
    CU_ASSERT_EQUAL(r->paths, 300);
    CU_ASSERT_EQUAL(r->seed, w->seed);
    CU_ASSERT_STRING_EQUAL(r->lang, "zh");
    CU_ASSERT_STRING_EQUAL(r->line_names[0], "城乡居民");
    CU_ASSERT_STRING_EQUAL(r->county_names[2], "丙县");
    CU_ASSERT_STRING_EQUAL(r->levers[1].key, "reserve.cap_mode");
    CU_ASSERT_STRING_EQUAL(r->levers[1].text[1], "top_up");
    CU_ASSERT(!r->levers[1].numeric);
    CU_ASSERT(r->levers[0].numeric);
    CU_ASSERT_EQUAL(r->levers[0].value[1], 0.08);
    size_t N = (size_t)w->N, nlt = N * (size_t)w->T, nlc = N * (size_t)w->C;
    CU_ASSERT(memcmp(r->grid, w->grid, N * 2 * sizeof(int)) == 0);
    CU_ASSERT(memcmp(r->years, w->years, (size_t)w->T * sizeof(int)) == 0);
    CU_ASSERT(same(r->exh_prob, w->exh_prob, nlt));
    CU_ASSERT(same(r->exh_lo, w->exh_lo, nlt));
    CU_ASSERT(same(r->exh_hi, w->exh_hi, nlt));
    CU_ASSERT(same(r->exh_diff.mean, w->exh_diff.mean, N));
    CU_ASSERT(same(r->exh_diff.lo_unpaired, w->exh_diff.lo_unpaired, N));
    CU_ASSERT(same(r->exh_diff.hi, w->exh_diff.hi, N));
    CU_ASSERT(same(r->burden_mean, w->burden_mean, nlc));
    CU_ASSERT(same(r->burden_p95, w->burden_p95, nlc));
    CU_ASSERT(same(r->burden_diff.se, w->burden_diff.se, nlc));
    CU_ASSERT(same(r->burden_diff.hi_unpaired, w->burden_diff.hi_unpaired, nlc));
    /* the file is also point 0's complete results file */
    poolsim_results *rr = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_results_read(path, &rr), POOLSIM_OK);
    CU_ASSERT(same(rr->exhaustion_prob, base->exhaustion_prob, (size_t)base->T));
    CU_ASSERT(same(rr->exhaustion_prob, w->exh_prob, (size_t)base->T));
    poolsim_results_free(rr);
    /* CSV: lever values first, one row per point */
    CU_ASSERT_EQUAL(poolsim_sweep_write_atomic(csv, fill_csv, w), POOLSIM_OK);
    FILE *f = fopen(csv, "r");
    CU_ASSERT_FATAL(f != NULL);
    char line[8192];
    int rows = 0;
    CU_ASSERT(fgets(line, sizeof line, f) != NULL);
    const char *head = "reserve.levy_rate,reserve.cap_mode,point,fund.exhaustion_prob,";
    CU_ASSERT(strncmp(line, head, strlen(head)) == 0);
    while (fgets(line, sizeof line, f)) rows++;
    fclose(f);
    CU_ASSERT_EQUAL(rows, 4);
    /* no leftovers (hidden temporary files included): the sweep file and
     * the CSV only */
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 2);
    /* unwritable folder */
    char bad[300];
    snprintf(bad, sizeof bad, "%s/missing/s.h5", dir);
    CU_ASSERT_EQUAL(poolsim_sweep_write(w, base, bad), POOLSIM_EIO);
    poolsim_sweep_results_free(r);
    poolsim_sweep_results_free(w);
    poolsim_results_free(base);
    testutil_rm_tree(dir);
}

void poolsim_test_sweep(void)
{
    CU_pSuite s = CU_add_suite("sweep", NULL, NULL);
    CU_add_test(s, "paired difference by hand", test_paired_hand);
    CU_add_test(s, "lever values split outside braces", test_lever_parse);
    CU_add_test(s, "CSV fields quoted (RFC 4180)", test_csv_field);
    CU_add_test(s, "global budget and dated levers by hand (engine)", test_levers_by_hand);
    CU_add_test(s, "global budget pays exactly B with random claims", test_budget_random_claims);
    CU_add_test(s, "common random numbers: county b bit-identical", test_crn_bit_identical);
    CU_add_test(s, "sweep results by hand (levy, budget, dated)", test_sweep_by_hand);
    CU_add_test(s, "grid order, last lever fastest", test_grid_order);
    CU_add_test(s, "sweep refuses what cannot be paired", test_sweep_errors);
    CU_add_test(s, "paired intervals narrower than unpaired", test_paired_narrower);
    CU_add_test(s, "paired SE honest over seeds", test_paired_se_honest);
    CU_add_test(s, "same results for 1 and 2 threads", test_threads);
    CU_add_test(s, "sweep file round trip, CSV, atomic", test_file_round_trip);
}
