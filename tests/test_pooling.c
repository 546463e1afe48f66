/* Tests of the pooling designs (MODEL.md section 10): the `pooling`
 * scenario keys, the unified yearly rules and the transition year of
 * src/rules.c. Every expected figure is hand arithmetic, written out in
 * the comment beside it. Run from the repository root. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/engine.h"
#include "poolsim/rules.h"
#include "poolsim/scenario.h"

#define TOL      1e-9
#define EQ(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), TOL)

/* ---- scenario keys ------------------------------------------------------------ */

static poolsim_scenario *load(const char *path, int nsets, const char *const *sets)
{
    poolsim_load_opts o = {.nsets = nsets, .sets = sets, .paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    FILE *diag = tmpfile();
    int rc = poolsim_scenario_load(path, &o, diag, &s);
    if (rc != POOLSIM_OK && diag) {
        rewind(diag);
        char buf[512];
        while (fgets(buf, sizeof buf, diag)) fputs(buf, stderr);
    }
    if (diag) fclose(diag);
    CU_ASSERT_EQUAL(rc, POOLSIM_OK);
    return s;
}

/* tests/bad/inc/base.yaml has no pooling keys: the defaults of
 * SCENARIO.md (county_accounts, city_share 0.5, gap_key financing,
 * county_liability 0, tolerance 0), on every line and in every year. */
static void test_defaults(void)
{
    poolsim_scenario *s = load("tests/bad/inc/base.yaml", 0, NULL);
    if (!s) return;
    for (int l = 0; l < s->nlines; l++) {
        poolsim_rules_params p;
        poolsim_scenario_rules_params(s, l, 2023, &p);
        CU_ASSERT_EQUAL(p.pooling_mode, POOLSIM_POOLING_COUNTY_ACCOUNTS);
        EQ(p.city_share, 0.5);
        CU_ASSERT_EQUAL(p.gap_key, POOLSIM_GAP_FINANCING);
        EQ(p.county_liability, 0);
        EQ(p.tolerance, 0);
        CU_ASSERT_EQUAL(poolsim_scenario_unified_from(s, l), 0);
    }
    CU_ASSERT_FALSE(poolsim_scenario_any_unified(s));
    poolsim_scenario_free(s);
}

/* City-wide dated keys, a line's override, and --set on both. */
static void test_dated_and_override(void)
{
    const char *sets[] = {"pooling.mode={2021: county_accounts, 2024: unified}",
                          "pooling.gap_key={2021: financing, 2025: deficit}",
                          "pooling.tolerance=0.02", "lines.resident.pooling.city_share=0.3",
                          "lines.resident.pooling.county_liability={2021: 0, 2023: 0.5}"};
    poolsim_scenario *s = load("tests/bad/inc/base.yaml", 5, sets);
    if (!s) return;
    int emp = poolsim_scenario_line_index(s, "employee");
    int res = poolsim_scenario_line_index(s, "resident");
    poolsim_rules_params p;
    /* employee: city-wide values only */
    poolsim_scenario_rules_params(s, emp, 2023, &p);
    CU_ASSERT_EQUAL(p.pooling_mode, POOLSIM_POOLING_COUNTY_ACCOUNTS);
    EQ(p.city_share, 0.5);
    EQ(p.tolerance, 0.02);
    poolsim_scenario_rules_params(s, emp, 2024, &p);
    CU_ASSERT_EQUAL(p.pooling_mode, POOLSIM_POOLING_UNIFIED);
    CU_ASSERT_EQUAL(p.gap_key, POOLSIM_GAP_FINANCING);
    poolsim_scenario_rules_params(s, emp, 2025, &p);
    CU_ASSERT_EQUAL(p.gap_key, POOLSIM_GAP_DEFICIT);
    /* resident: its own city_share and dated liability, the city's mode */
    poolsim_scenario_rules_params(s, res, 2022, &p);
    EQ(p.city_share, 0.3);
    EQ(p.county_liability, 0);
    poolsim_scenario_rules_params(s, res, 2023, &p);
    EQ(p.county_liability, 0.5);
    CU_ASSERT_EQUAL(p.pooling_mode, POOLSIM_POOLING_COUNTY_ACCOUNTS);
    CU_ASSERT_EQUAL(poolsim_scenario_unified_from(s, res), 2024);
    CU_ASSERT_TRUE(poolsim_scenario_any_unified(s));

    char *t = poolsim_scenario_resolved_text(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "    pooling: {mode: {2021: county_accounts, 2024: unified}, "
                                     "city_share: 0.3, gap_key: {2021: financing, 2025: deficit}, "
                                     "county_liability: {2021: 0, 2023: 0.5}, tolerance: 0.02}\n"));
    free(t);
    poolsim_scenario_free(s);

    /* the whole horizon (2021-2025) unified when the only key is later:
     * years before the first key use the first value */
    const char *later[] = {"pooling.mode={2030: unified}"};
    s = load("tests/bad/inc/base.yaml", 1, later);
    if (!s) return;
    CU_ASSERT_EQUAL(poolsim_scenario_unified_from(s, emp), 2021);
    poolsim_scenario_free(s);
}

/* ---- unified rules ---------------------------------------------------------------- */

/* balance_interest 10%, city_share 0.4, county_liability 0.5, tolerance 0.1 */
static poolsim_rules_params unified(int key)
{
    poolsim_rules_params p;
    memset(&p, 0, sizeof p);
    p.pooling_mode = POOLSIM_POOLING_UNIFIED;
    p.balance_interest = 0.1;
    p.city_share = 0.4;
    p.gap_key = key;
    p.county_liability = 0.5;
    p.tolerance = 0.1;
    p.nbrackets = 1;
    p.up_to[0] = INFINITY;
    return p;
}

static void county(poolsim_rules_county *k, double F, double E, double N)
{
    memset(k, 0, sizeof *k);
    k->financing = F;
    k->expenditure = E;
    k->enrolees = N;
    k->levy = k->balance_end = -1; /* must be overwritten with 0 */
}

static void test_move_up(void)
{
    double r = 100, s[3] = {10, 20, 30};
    double b = poolsim_rules_move_up(3, &r, s);
    EQ(b, 160); /* 100 + 10 + 20 + 30 */
    EQ(r, 0);
    EQ(s[0], 0);
    EQ(s[1], 0);
    EQ(s[2], 0);
}

/* Tolerance and liability, no gap:
 *   c0 F 1000 E  800: D  200, O = max(0, -200 - 100) = 0,  a = 0
 *   c1 F  500 E  600: D -100, O = max(0,  100 -  50) = 50, a = 25
 *   c2 F  200 E  300: D -100, O = max(0,  100 -  20) = 80, a = 40
 * B = 1000 * 1.1 = 1100; + sum D (0) + sum a (65) = 1165. */
static void test_tolerance_liability(void)
{
    poolsim_rules_params p = unified(POOLSIM_GAP_FINANCING);
    poolsim_rules_county c[3];
    county(&c[0], 1000, 800, 1), county(&c[1], 500, 600, 1), county(&c[2], 200, 300, 1);
    double B = 1000, w[3];
    poolsim_rules_line ln;
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 3, &B, c, w, &ln), POOLSIM_OK);
    EQ(B, 1165);
    EQ(ln.reserve_open, 1000);
    EQ(ln.reserve_end, 1165);
    EQ(ln.financing_total, 1700);
    CU_ASSERT_EQUAL(ln.exhausted, 0);
    EQ(ln.gap, 0);
    EQ(ln.city_burden, 0);
    EQ(c[0].result, 200);
    EQ(c[1].result, -100);
    EQ(c[2].result, -100);
    EQ(c[0].overspend, 0);
    EQ(c[1].overspend, 50);
    EQ(c[2].overspend, 80);
    EQ(c[0].county_share, 0);
    EQ(c[1].county_share, 25);
    EQ(c[2].county_share, 40);
    /* row mapping of MODEL.md section 10 */
    EQ(c[1].shortfall, 100);
    EQ(c[1].shortfall_ratio, 0.2); /* 100 / 500 */
    EQ(c[2].shortfall_ratio, 0.5); /* 100 / 200 */
    EQ(c[0].shortfall, 0);
    EQ(c[0].shortfall_ratio, 0);
    for (int i = 0; i < 3; i++) {
        EQ(c[i].levy, 0);
        EQ(c[i].balance_end, 0);
        EQ(c[i].balance_used, 0);
        EQ(c[i].reserve_paid, 0);
        EQ(c[i].miss, 0);
        EQ(c[i].city_share, 0);
        CU_ASSERT_EQUAL(c[i].bracket, 0);
    }
}

/* An exhaustion year, shared with each gap_key. B = 100 * 1.1 = 110;
 *   c0 F 1000 E 1400: D -400, O = 400 - 100 = 300, a = 150
 *   c1 F  500 E  500: D    0, O = 0,               a = 0
 *   c2 F  500 E  700: D -200, O = 200 -  50 = 150, a = 75
 * B = 110 - 600 + 225 = -265: Gap 265, city 0.4 * 265 = 106, counties 159. */
static void exhaustion_case(int key, const double h[3], const double city[3])
{
    poolsim_rules_params p = unified(key);
    poolsim_rules_county c[3];
    county(&c[0], 1000, 1400, 100), county(&c[1], 500, 500, 300), county(&c[2], 500, 700, 600);
    double B = 100, w[3];
    poolsim_rules_line ln;
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 3, &B, c, w, &ln), POOLSIM_OK);
    EQ(B, 0);
    CU_ASSERT_EQUAL(ln.exhausted, 1);
    EQ(ln.gap, 265);
    EQ(ln.city_burden, 106);
    const double a[3] = {150, 0, 75};
    double hs = 0, cs = 0;
    for (int i = 0; i < 3; i++) {
        EQ(c[i].liability, a[i]);
        EQ(c[i].gap_share, h[i]);
        EQ(c[i].county_share, a[i] + h[i]);
        EQ(c[i].city_share, city[i]);
        hs += c[i].gap_share;
        cs += c[i].city_share;
    }
    EQ(hs, 159);
    EQ(cs, 106);
}

static void test_gap_financing(void)
{
    /* weights F 1000, 500, 500 (sum 2000): h = 159 * (1/2, 1/4, 1/4),
     * city 106 * (1/2, 1/4, 1/4) */
    const double h[3] = {79.5, 39.75, 39.75}, city[3] = {53, 26.5, 26.5};
    exhaustion_case(POOLSIM_GAP_FINANCING, h, city);
}

static void test_gap_enrolees(void)
{
    /* weights 100, 300, 600 (sum 1000): h = 159 * (0.1, 0.3, 0.6) */
    const double h[3] = {15.9, 47.7, 95.4}, city[3] = {10.6, 31.8, 63.6};
    exhaustion_case(POOLSIM_GAP_ENROLEES, h, city);
}

static void test_gap_deficit(void)
{
    /* weights max(0, -D) 400, 0, 200 (sum 600): h = 159 * (2/3, 0, 1/3) */
    const double h[3] = {106, 0, 53}, city[3] = {106.0 * 2 / 3, 0, 106.0 / 3};
    exhaustion_case(POOLSIM_GAP_DEFICIT, h, city);
}

/* Weights with nothing to weigh: deficit with no county in deficit falls
 * back to financing; no financing either gives equal shares. */
static void test_weights_fallback(void)
{
    poolsim_rules_params p = unified(POOLSIM_GAP_DEFICIT);
    poolsim_rules_county c[3];
    county(&c[0], 300, 100, 0), county(&c[1], 100, 100, 0), county(&c[2], 600, 0, 0);
    poolsim_rules_unified_result(&p, 3, c);
    double w[3];
    EQ(poolsim_rules_gap_weights(&p, 3, c, w), 1000); /* F: 300 + 100 + 600 */
    EQ(w[0], 300);
    EQ(w[1], 100);
    EQ(w[2], 600);
    p.gap_key = POOLSIM_GAP_ENROLEES; /* no enrolees: financing too */
    EQ(poolsim_rules_gap_weights(&p, 3, c, w), 1000);
    EQ(w[2], 600);
    county(&c[0], 0, 0, 0), county(&c[1], 0, 0, 0), county(&c[2], 0, 0, 0);
    p.gap_key = POOLSIM_GAP_FINANCING;
    EQ(poolsim_rules_gap_weights(&p, 3, c, w), 3);
    EQ(w[0], 1);
    EQ(w[1], 1);
    EQ(w[2], 1);
}

/* A fund ending exactly at 0 is not an exhaustion year (B < 0 strictly);
 * city_share 1 leaves the counties nothing of a gap. */
static void test_edges(void)
{
    poolsim_rules_params p = unified(POOLSIM_GAP_FINANCING);
    p.balance_interest = 0;
    p.county_liability = 0;
    poolsim_rules_county c[2];
    county(&c[0], 100, 150, 0), county(&c[1], 100, 50, 0);
    double B = 0, w[2];
    poolsim_rules_line ln;
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 2, &B, c, w, &ln), POOLSIM_OK);
    EQ(B, 0);
    CU_ASSERT_EQUAL(ln.exhausted, 0);
    EQ(c[0].county_share, 0);

    /* B 10, D -150 and +50: B = -90, city pays all 90 */
    p.city_share = 1;
    county(&c[0], 100, 250, 0), county(&c[1], 100, 50, 0);
    B = 10;
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 2, &B, c, w, &ln), POOLSIM_OK);
    CU_ASSERT_EQUAL(ln.exhausted, 1);
    EQ(ln.gap, 90);
    EQ(ln.city_burden, 90);
    EQ(c[0].county_share, 0);
    EQ(c[1].county_share, 0);
    EQ(c[0].city_share, 45);
    EQ(c[1].city_share, 45); /* F 100 each */

    /* a negative or non-finite input is refused */
    B = -1;
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 2, &B, c, w, &ln), POOLSIM_ENUM);
    B = 0;
    c[1].expenditure = NAN;
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 2, &B, c, w, &ln), POOLSIM_ENUM);
}

/* The transition year: a county-accounts year, then the move up and a
 * unified year, as run and settle chain them.
 * 2023 (county accounts, Zhuzhou brackets, no levy: levy_rate 0):
 *   R 50; c0 S 30, F 100 E 120: D -20, uses 20 of S -> S 10;
 *         c1 S 40, F 100 E  90: D +10 -> S 50.
 * 2024 unified: B = 50 + 10 + 50 = 110, interest 10% -> 121;
 *   c0 F 100 E 300: D -200, O = 200 - 10 = 190, a = 95
 *   c1 F 100 E 100: D 0
 *   B = 121 - 200 + 95 = 16: no gap. */
static void test_transition(void)
{
    poolsim_rules_params ca = unified(POOLSIM_GAP_FINANCING);
    ca.pooling_mode = POOLSIM_POOLING_COUNTY_ACCOUNTS;
    ca.balance_interest = 0;
    ca.levy_rate = 0;
    double R = 50, S[2] = {30, 40};
    poolsim_rules_county c[2];
    county(&c[0], 100, 120, 0), county(&c[1], 100, 90, 0);
    poolsim_rules_line ln;
    CU_ASSERT_EQUAL(poolsim_rules_year(&ca, 2, &R, S, c, &ln), POOLSIM_OK);
    EQ(S[0], 10);
    EQ(S[1], 50);
    EQ(R, 50);

    poolsim_rules_params un = unified(POOLSIM_GAP_FINANCING);
    double B = poolsim_rules_move_up(2, &R, S);
    EQ(B, 110);
    county(&c[0], 100, 300, 0), county(&c[1], 100, 100, 0);
    double w[2];
    CU_ASSERT_EQUAL(poolsim_rules_unified_year(&un, 2, &B, c, w, &ln), POOLSIM_OK);
    EQ(ln.reserve_open, 110);
    EQ(B, 16);
    CU_ASSERT_EQUAL(ln.exhausted, 0);
    EQ(c[0].county_share, 95);
    EQ(c[1].county_share, 0);
}

/* ---- engine ------------------------------------------------------------------- */

/* tests/data/pooling_det.yaml by hand. F: a 100 * 10 = 1000, b 3000; E:
 * 100 (300) times the amount 9, 9, 10.5, 25 in 2021-2024.
 * 2021 county accounts, no levy: interest S_a = 550, S_b = 0, R = 1000;
 *   D_a = 100 -> S_a 650; D_b = 300 -> S_b 300.
 * 2022: interest S_a 715, S_b 330; D_a 100 -> 815; D_b 300 -> 630; R 1000.
 * 2023 unified: move up B = 1000 + 815 + 630 = 2445; interest 2689.5;
 *   D_a = 1000 - 1050 = -50, D_b = 3000 - 3150 = -150; liabilities 25,
 *   75; B = 2689.5 - 200 + 100 = 2589.5.
 * 2024: interest 2848.45; D_a = -1500, D_b = -4500; liabilities 750,
 *   2250; B = 2848.45 - 6000 + 3000 = -151.55: a gap year. City 0.25 *
 *   151.55 = 37.8875; counties 113.6625 by enrolees 1 : 3 -> a 28.415625,
 *   b 85.246875. Burdens: a 778.415625, b 2335.246875. */
static void test_engine_closed_form(void)
{
    poolsim_scenario *s = load("tests/data/pooling_det.yaml", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    poolsim_engine_opts o = {.paths = 3, .seed = 7, .threads = 2};
    poolsim_results *r = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r, NULL), POOLSIM_OK);
    const double B[4] = {1000, 1000, 2589.5, 0};
    const double Sa[4] = {650, 815, 0, 0}, Sb[4] = {300, 630, 0, 0};
    const double ga[4] = {0, 0, 25, 778.415625}, gb[4] = {0, 0, 75, 2335.246875};
    const double exh[4] = {0, 0, 0, 1}, sf[4] = {0, 0, 1, 1};
    for (int t = 0; t < 4; t++) {
        EQ(r->reserve_balance.mean[POOLSIM_LT(r, 0, t)], B[t]);
        EQ(r->reserve_ratio.mean[POOLSIM_LT(r, 0, t)], B[t] / 4000);
        EQ(r->exhaustion_prob[POOLSIM_LT(r, 0, t)], exh[t]);
        EQ(r->balance.mean[POOLSIM_LCT(r, 0, 0, t)], Sa[t]);
        EQ(r->balance.mean[POOLSIM_LCT(r, 0, 1, t)], Sb[t]);
        EQ(r->county_burden.mean[POOLSIM_LCT(r, 0, 0, t)], ga[t]);
        EQ(r->county_burden.mean[POOLSIM_LCT(r, 0, 1, t)], gb[t]);
        EQ(r->county_burden.p95[POOLSIM_LCT(r, 0, 1, t)], gb[t]);
        EQ(r->shortfall_prob[POOLSIM_LCT(r, 0, 0, t)], sf[t]);
        for (int c = 0; c < 2; c++) {
            EQ(r->levy.mean[POOLSIM_LCT(r, 0, c, t)], 0);
            EQ(r->reserve_paid.mean[POOLSIM_LCT(r, 0, c, t)], 0);
            EQ(r->city_uncovered.mean[POOLSIM_LCT(r, 0, c, t)], 0);
        }
    }
    EQ(r->county_burden_total.mean[POOLSIM_LC(r, 0, 0)], 25 + 778.415625);
    EQ(r->county_burden_total.mean[POOLSIM_LC(r, 0, 1)], 75 + 2335.246875);
    /* who pays (MODEL.md section 13): the city 37.8875 in 2024; the
     * governments 25 + 75 = 100 in 2023 and 778.415625 + 2335.246875 +
     * 37.8875 = 3151.55 in 2024; worst years 778.415625 and 2335.246875;
     * one line, so the county totals over all lines are the line's */
    EQ(r->city_burden.mean[POOLSIM_LT(r, 0, 3)], 37.8875);
    EQ(r->city_burden.p95[POOLSIM_LT(r, 0, 2)], 0);
    EQ(r->city_burden_total.p99[0], 37.8875);
    EQ(r->government_burden.mean[POOLSIM_LT(r, 0, 2)], 100);
    EQ(r->government_burden.cvar95[POOLSIM_LT(r, 0, 3)], 3151.55);
    EQ(r->government_burden_total.mean[0], 3251.55);
    EQ(r->county_burden_worst_year.p95[POOLSIM_LC(r, 0, 0)], 778.415625);
    EQ(r->county_burden_worst_year.mean[POOLSIM_LC(r, 0, 1)], 2335.246875);
    EQ(r->burden.mean[1 * 4 + 2], 75); /* [C][T]: county b, 2023 */
    EQ(r->burden_total.mean[0], 803.415625);
    EQ(r->burden_worst_year.p99[1], 2335.246875);
    poolsim_results_free(r);

    /* unified from the start: B opens at R + sum S = 1000 + 500 = 1500;
     * 2021: interest 1650, D 100 + 300 -> 2050 */
    poolsim_scenario_free(s);
    const char *un[] = {"pooling.mode=unified"};
    s = load("tests/data/pooling_det.yaml", 1, un);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r, NULL), POOLSIM_OK);
    EQ(r->reserve_balance.mean[POOLSIM_LT(r, 0, 0)], 2050);
    EQ(r->balance.mean[POOLSIM_LCT(r, 0, 0, 0)], 0);
    poolsim_results_free(r);
    poolsim_scenario_free(s);
}

/* A stochastic unified scenario: the default city with 统收统支 from 2024,
 * every line; county_liability 0 so a county's burden is its part of a
 * gap, (1 - city_share) Gap w / sum w. */
static const char *const stoch[] = {"pooling.mode={2021: county_accounts, 2024: unified}",
                                    "pooling.gap_key=deficit", "pooling.city_share=0.3",
                                    "shocks.epidemic.prob=0.3"};

static int same_arrays(const poolsim_results *x, const poolsim_results *y, const char *what)
{
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS], b[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(x, a), ok = 1;
    poolsim_results_arrays(y, b);
    for (int k = 0; k < n; k++) {
        int same = a[k].n == b[k].n && memcmp(a[k].data, b[k].data, a[k].n * sizeof(double)) == 0;
        if (!same) fprintf(stderr, "\n  %s differs (%s)\n", a[k].name, what);
        ok &= same;
    }
    return ok;
}

/* Same summary, bit for bit, for 1, 2 and 3 threads. */
static void test_engine_threads(void)
{
    poolsim_scenario *s = load("scenarios/zhuzhou.yaml", 4, stoch);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    poolsim_results *r[3] = {NULL, NULL, NULL};
    const int threads[3] = {1, 2, 3};
    for (int i = 0; i < 3; i++) {
        poolsim_engine_opts o = {.paths = 600, .seed = 5, .threads = threads[i]};
        CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r[i], NULL), POOLSIM_OK);
    }
    CU_ASSERT(same_arrays(r[0], r[1], "2 threads"));
    CU_ASSERT(same_arrays(r[0], r[2], "3 threads"));
    /* the scenario does exhaust the unified fund on some paths */
    int T = r[0]->T;
    CU_ASSERT(r[0]->exhaustion_prob[POOLSIM_LT(r[0], 1, T - 1)] > 0);
    for (int i = 0; i < 3; i++) poolsim_results_free(r[i]);
    poolsim_scenario_free(s);
}

/* Common random numbers: changing city_share changes no draw. Flows, the
 * fund and exhaustion are identical on every path; the county-accounts
 * years' burdens are identical, and each county's burden in a unified year scales by (1 - 0.6) / (1
 * - 0.3) = 4/7 exactly up to rounding. */
static void test_engine_crn(void)
{
    const char *other[5] = {stoch[0], stoch[1], stoch[2], stoch[3], "pooling.city_share=0.6"};
    poolsim_scenario *s1 = load("scenarios/zhuzhou.yaml", 4, stoch);
    poolsim_scenario *s2 = load("scenarios/zhuzhou.yaml", 5, other);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
    poolsim_engine_opts o = {.paths = 400, .seed = 3, .threads = 2, .save_paths = 1};
    poolsim_results *r1 = NULL, *r2 = NULL;
    poolsim_saved_paths *p1 = NULL, *p2 = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s1, &o, &r1, &p1), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s2, &o, &r2, &p2), POOLSIM_OK);
    size_t lct = (size_t)r1->L * (size_t)r1->C * (size_t)r1->T, lt = (size_t)r1->L * r1->T;
    size_t lpt = (size_t)p1->L * (size_t)p1->P * (size_t)p1->T;
    CU_ASSERT(memcmp(r1->expenditure.mean, r2->expenditure.mean, lct * sizeof(double)) == 0);
    CU_ASSERT(memcmp(r1->financing.mean, r2->financing.mean, lct * sizeof(double)) == 0);
    CU_ASSERT(memcmp(r1->exhaustion_prob, r2->exhaustion_prob, lt * sizeof(double)) == 0);
    CU_ASSERT(memcmp(p1->reserve_balance, p2->reserve_balance, lpt * sizeof(double)) == 0);
    int nonzero = 0, ratio_ok = 1;
    for (size_t i = 0; i < lpt * (size_t)p1->C; i++) {
        double a = p1->county_burden[i], b = p2->county_burden[i];
        if ((int)(i % (size_t)p1->T) < 2024 - 2021) {
            ratio_ok &= a == b; /* county accounts: city_share plays no part */
        } else if (a > 0) {
            nonzero++;
            ratio_ok &= fabs(b - a * 4.0 / 7.0) <= 1e-9 * a;
        } else {
            ratio_ok &= b == 0;
        }
    }
    CU_ASSERT(nonzero > 0);
    CU_ASSERT(ratio_ok);
    poolsim_saved_paths_free(p1);
    poolsim_saved_paths_free(p2);
    poolsim_results_free(r1);
    poolsim_results_free(r2);
    poolsim_scenario_free(s1);
    poolsim_scenario_free(s2);
}

/* Who pays, on a stochastic run under both designs: per line and year
 * the mean city burden is the sum of the counties' mean city_uncovered
 * under county accounts (uncovered: city), the government burden the
 * city's plus every county's; over all lines a county's burden is the sum
 * of its lines' (means add exactly up to rounding); worst years bound
 * every year's quantile. */
static void test_engine_who_pays(void)
{
    const char *sets[] = {"reserve.uncovered=city", stoch[0], stoch[1], stoch[2], stoch[3]};
    poolsim_scenario *s = load("scenarios/zhuzhou.yaml", 5, sets);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    poolsim_engine_opts o = {.paths = 500, .seed = 2, .threads = 2};
    poolsim_results *r = NULL;
    CU_ASSERT_EQUAL_FATAL(poolsim_engine_run(s, &o, &r, NULL), POOLSIM_OK);
    int T = r->T, L = r->L, C = r->C, ok = 1, city_paid = 0;
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++) {
            double unc = 0, cb = 0;
            for (int c = 0; c < C; c++) {
                unc += r->city_uncovered.mean[POOLSIM_LCT(r, l, c, t)];
                cb += r->county_burden.mean[POOLSIM_LCT(r, l, c, t)];
            }
            double city = r->city_burden.mean[POOLSIM_LT(r, l, t)];
            double gov = r->government_burden.mean[POOLSIM_LT(r, l, t)];
            if (r->years[t] < 2024) ok &= fabs(city - unc) <= 1e-9 * fmax(1, unc);
            city_paid |= city > 0;
            ok &= fabs(gov - city - cb) <= 1e-9 * fmax(1, gov);
        }
    for (int c = 0; c < C; c++) {
        double tot = 0;
        for (int t = 0; t < T; t++) {
            double sum = 0;
            for (int l = 0; l < L; l++) sum += r->county_burden.mean[POOLSIM_LCT(r, l, c, t)];
            ok &= fabs(r->burden.mean[(size_t)c * T + t] - sum) <= 1e-9 * fmax(1, sum);
            ok &= r->burden.p95[(size_t)c * T + t] <= r->burden_worst_year.p95[c] * (1 + 1e-12);
            tot += sum;
        }
        ok &= fabs(r->burden_total.mean[c] - tot) <= 1e-9 * fmax(1, tot);
    }
    CU_ASSERT(ok);
    CU_ASSERT(city_paid);
    poolsim_results_free(r);
    poolsim_scenario_free(s);
}

void poolsim_test_pooling(void);
void poolsim_test_pooling(void)
{
    CU_pSuite s = CU_add_suite("pooling", NULL, NULL);
    CU_add_test(s, "scenario: defaults", test_defaults);
    CU_add_test(s, "scenario: dated keys, line override, --set", test_dated_and_override);
    CU_add_test(s, "rules: move up", test_move_up);
    CU_add_test(s, "rules: tolerance and county liability", test_tolerance_liability);
    CU_add_test(s, "rules: gap by financing", test_gap_financing);
    CU_add_test(s, "rules: gap by enrolees", test_gap_enrolees);
    CU_add_test(s, "rules: gap by deficit", test_gap_deficit);
    CU_add_test(s, "rules: weights fallback", test_weights_fallback);
    CU_add_test(s, "rules: edges", test_edges);
    CU_add_test(s, "rules: transition year", test_transition);
    CU_add_test(s, "engine: closed form over a transition", test_engine_closed_form);
    CU_add_test(s, "engine: 1, 2, 3 threads bit-identical", test_engine_threads);
    CU_add_test(s, "engine: CRN across city_share", test_engine_crn);
    CU_add_test(s, "engine: who pays", test_engine_who_pays);
}
