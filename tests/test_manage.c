/* Tests of src/manage.c (MODEL.md sections 11 and 12): the indicators and
 * the firing of management rules, against hand arithmetic. */
#include <math.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"
#include "poolsim/engine.h"
#include "poolsim/manage.h"
#include "poolsim/rules.h"
#include "poolsim/scenario.h"

#define EQ(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), 1e-12)

static poolsim_mgmt_rule rule(double below, double change, int max_times, int lag, int from_year)
{
    poolsim_mgmt_rule r;
    memset(&r, 0, sizeof r);
    r.indicator = POOLSIM_IND_MONTHS_COVERED;
    r.below = below;
    r.change = change;
    r.max_times = max_times;
    r.lag = lag;
    r.from_year = from_year;
    return r;
}

static void test_health(void)
{
    poolsim_health h;
    /* PB 600 (reserve 250 + county balances 350), F 1200, E 1000:
     * months 12 * 600 / 1000 = 7.2; surplus (1200 - 1000) / 1200 = 1/6;
     * reserve ratio 250 / 1200 */
    CU_ASSERT_EQUAL(poolsim_manage_health(600, 250, 1200, 1000, &h), POOLSIM_OK);
    EQ(h.pooled_balance, 600);
    EQ(h.months_covered, 7.2);
    EQ(h.surplus_rate, 1.0 / 6.0);
    EQ(h.reserve_ratio, 250.0 / 1200.0);
    EQ(poolsim_manage_indicator(&h, POOLSIM_IND_MONTHS_COVERED), 7.2);
    EQ(poolsim_manage_indicator(&h, POOLSIM_IND_SURPLUS_RATE), 1.0 / 6.0);
    EQ(poolsim_manage_indicator(&h, POOLSIM_IND_RESERVE_RATIO), 250.0 / 1200.0);
    /* spending above financing: surplus (1000 - 1250) / 1000 = -0.25 */
    CU_ASSERT_EQUAL(poolsim_manage_health(0, 0, 1000, 1250, &h), POOLSIM_OK);
    EQ(h.surplus_rate, -0.25);
    EQ(h.months_covered, 0);
    /* no spending or no financing: undefined */
    CU_ASSERT_EQUAL(poolsim_manage_health(600, 250, 1200, 0, &h), POOLSIM_ENUM);
    CU_ASSERT_EQUAL(poolsim_manage_health(600, 250, 0, 1000, &h), POOLSIM_ENUM);
}

/* Run rule r over the indicator series v of years 2021.. (T years) and
 * return the pending factors and the number of firings. */
static int run_rule(const poolsim_mgmt_rule *r, const double *v, int T, double *pending,
                    int *fired_years)
{
    int times = 0, n = 0;
    for (int t = 0; t < T; t++) pending[t] = 1;
    for (int t = 0; t < T; t++)
        if (poolsim_manage_decide(r, 2021 + t, v[t], &times)) {
            poolsim_manage_schedule(r, t, T, pending);
            fired_years[n++] = 2021 + t;
        }
    CU_ASSERT_EQUAL(times, n);
    return n;
}

static void test_fires_once_with_lag(void)
{
    /* months 8, 7, 5.5, 4, 3 in 2021..2025; below 6, once, lag 2: decided
     * at the end of 2023 (5.5 < 6), effective from 2023 + 2 = 2025 */
    const double v[5] = {8, 7, 5.5, 4, 3};
    poolsim_mgmt_rule r = rule(6, 0.05, 1, 2, 0);
    double pend[5];
    int years[5];
    CU_ASSERT_EQUAL(run_rule(&r, v, 5, pend, years), 1);
    CU_ASSERT_EQUAL(years[0], 2023);
    EQ(pend[0], 1);
    EQ(pend[1], 1);
    EQ(pend[2], 1);
    EQ(pend[3], 1);
    EQ(pend[4], 1.05);
    /* "strictly below": 6 itself does not fire */
    const double at[5] = {6, 6, 6, 6, 6};
    CU_ASSERT_EQUAL(run_rule(&r, at, 5, pend, years), 0);
}

static void test_max_times(void)
{
    /* always below; max_times 2, lag 1, change -0.1: fires 2021 and 2022,
     * effects in 2022 and 2023; the multiplier from 2023 on is 0.9^2 */
    const double v[5] = {1, 1, 1, 1, 1};
    poolsim_mgmt_rule r = rule(6, -0.1, 2, 1, 0);
    double pend[5];
    int years[5];
    CU_ASSERT_EQUAL(run_rule(&r, v, 5, pend, years), 2);
    CU_ASSERT_EQUAL(years[0], 2021);
    CU_ASSERT_EQUAL(years[1], 2022);
    double m = 1, want[5] = {1, 0.9, 0.81, 0.81, 0.81};
    for (int t = 0; t < 5; t++) {
        m *= pend[t];
        EQ(m, want[t]);
    }
}

static void test_from_year_and_horizon(void)
{
    /* always below, from 2024, three times, lag 1: fires 2024 (effect in
     * 2025) and 2025 (its effect falls after the 2021-2025 horizon, but
     * the decision counts) */
    const double v[5] = {1, 1, 1, 1, 1};
    poolsim_mgmt_rule r = rule(6, 0.2, 3, 1, 2024);
    double pend[5];
    int years[5];
    CU_ASSERT_EQUAL(run_rule(&r, v, 5, pend, years), 2);
    CU_ASSERT_EQUAL(years[0], 2024);
    CU_ASSERT_EQUAL(years[1], 2025);
    for (int t = 0; t < 4; t++) EQ(pend[t], 1);
    EQ(pend[4], 1.2);
    /* a lag near INT_MAX does not overflow */
    r.lag = 2147483647;
    poolsim_manage_schedule(&r, 3, 5, pend);
    for (int t = 0; t < 4; t++) EQ(pend[t], 1);
    EQ(pend[4], 1.2);
}

static void test_never_fires(void)
{
    const double v[5] = {8, 7, 5.5, 4, 3};
    poolsim_mgmt_rule r = rule(0, 0.05, 5, 1, 0);
    double pend[5];
    int years[5];
    CU_ASSERT_EQUAL(run_rule(&r, v, 5, pend, years), 0);
    for (int t = 0; t < 5; t++) CU_ASSERT(pend[t] == 1.0);
    /* NaN never fires */
    int times = 0;
    CU_ASSERT_EQUAL(poolsim_manage_decide(&r, 2021, NAN, &times), 0);
}

/* ---- the engine with rules: tests/data/engine_det.yaml by closed form ---- */

/* One rule, written out for the closed form (a second implementation of
 * section 12, kept deliberately plain). */
typedef struct {
    int indicator; /* 0 months, 1 reserve ratio, 2 surplus rate */
    double below, change;
    int benefits, max_times, lag, from_year;
} hand_rule;

typedef struct {
    double R[8], PB[8], months[8], surplus[8], ratio[8], Ftot[8], Etot[8];
    double mC[8], mB[8], S[8][2], E[8][2];
    int fired_year[4][8], nfired[4];
} hand_path;

/* The deterministic projection of test_engine.c's test_deterministic, with
 * the contribution multiplier on contributions (not subsidies) and the
 * benefits multiplier on claims (not the per-capita premium). */
static void hand_projection(const poolsim_scenario *s, const hand_rule *ru, int nr, hand_path *h)
{
    int unified = 0;
    const double nres1[2] = {1000, 2000}, nw[2] = {200, 100}, wage[2] = {50000, 40000};
    const double ui[2] = {1.2, 0.9}, ci[2] = {1.1, 0.9};
    double R = 0, S[2] = {10000, 50000}, Fprev[2];
    double pend[2][9];
    for (int k = 0; k < 9; k++) pend[0][k] = pend[1][k] = 1;
    double mC = 1, mB = 1;
    memset(h, 0, sizeof *h);
    for (int c = 0; c < 2; c++) Fprev[c] = nres1[c] * (300 * 0.9 + 500) + nw[c] * 0.05 * wage[c];
    for (int t = 1; t <= 8; t++) {
        mC *= pend[0][t];
        mB *= pend[1][t];
        h->mC[t - 1] = mC;
        h->mB[t - 1] = mB;
        double P = pow(1.05, t - 1), W = pow(1.04, t - 1);
        poolsim_rules_county cty[2];
        memset(cty, 0, sizeof cty);
        for (int c = 0; c < 2; c++) {
            double nres = nres1[c] * pow(1.01, t - 1);
            double contrib = nres * 300 * pow(1.05, t - 1) * 0.9 + nw[c] * 0.05 * wage[c] * W;
            double sub = nres * 500 * pow(1.02, t - 1);
            double claims =
                (0.2 * nres + 0.1 * nw[c]) * ui[c] * pow(1.01, t - 1) * 0.7 * 6000 * ci[c] * P;
            cty[c].financing = mC * contrib + sub;
            cty[c].expenditure = 50 * pow(1.03, t - 1) * nres + mB * claims;
            cty[c].levy_basis = Fprev[c];
            Fprev[c] = cty[c].financing;
        }
        poolsim_rules_params p;
        poolsim_scenario_rules_params(s, 0, 2020 + t, &p);
        poolsim_rules_line lo;
        if (p.pooling_mode == POOLSIM_POOLING_UNIFIED) {
            /* one city fund B (kept in R), the balances moved up once */
            if (!unified) R = poolsim_rules_move_up(2, &R, S);
            unified = 1;
            double wts[2];
            CU_ASSERT_EQUAL(poolsim_rules_unified_year(&p, 2, &R, cty, wts, &lo), POOLSIM_OK);
        } else {
            CU_ASSERT_EQUAL(poolsim_rules_year(&p, 2, &R, S, cty, &lo), POOLSIM_OK);
        }
        double F = cty[0].financing + cty[1].financing;
        double E = cty[0].expenditure + cty[1].expenditure;
        h->R[t - 1] = R;
        for (int c = 0; c < 2; c++) {
            h->S[t - 1][c] = S[c];
            h->E[t - 1][c] = cty[c].expenditure;
        }
        h->PB[t - 1] = R + S[0] + S[1];
        h->Ftot[t - 1] = F;
        h->Etot[t - 1] = E;
        h->months[t - 1] = 12 * (R + S[0] + S[1]) / E;
        h->surplus[t - 1] = (F - E) / F;
        h->ratio[t - 1] = R / F;
        for (int k = 0; k < nr; k++) {
            double v = ru[k].indicator == 0   ? h->months[t - 1]
                       : ru[k].indicator == 1 ? h->ratio[t - 1]
                                              : h->surplus[t - 1];
            if (v < ru[k].below && h->nfired[k] < ru[k].max_times && 2020 + t >= ru[k].from_year) {
                h->fired_year[k][h->nfired[k]++] = 2020 + t;
                if (t + ru[k].lag <= 8) pend[ru[k].benefits][t + ru[k].lag] *= 1 + ru[k].change;
            }
        }
    }
}

static poolsim_scenario *load_with(const char *path, int nsets, const char *const *sets)
{
    poolsim_load_opts o = {.nsets = nsets, .sets = sets, .paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    CU_ASSERT_EQUAL(poolsim_scenario_load(path, &o, stderr, &s), POOLSIM_OK);
    return s;
}

static int close_rel(double a, double b, double rel)
{
    return fabs(a - b) <= rel * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static const hand_rule det_rules[3] = {
    {2, 0, 0.10, 0, 2, 2, 0},       /* raise */
    {0, 2.5, -0.05, 1, 1, 1, 2027}, /* cut */
    {1, 0, -0.5, 1, 8, 1, 0},       /* never */
};

static poolsim_results *run_det(const poolsim_scenario *s)
{
    poolsim_engine_opts o = {.paths = 3, .seed = 7, .threads = 2};
    poolsim_results *r = NULL;
    CU_ASSERT_EQUAL(poolsim_engine_run(s, &o, &r, NULL), POOLSIM_OK);
    return r;
}

/* Rules fire in known years with their lags; max_times stops `raise`;
 * from_year holds `cut` back; the engine's balances follow the closed
 * form with the multipliers. */
/* The engine's outputs against the closed form h (1e-12 relative). */
static void check_engine(const poolsim_scenario *s, const hand_path *h)
{
    poolsim_results *r = run_det(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (int t = 0; t < 8; t++) {
        size_t lt = POOLSIM_LT(r, 0, t);
        CU_ASSERT(close_rel(r->reserve_balance.mean[lt], h->R[t], 1e-12));
        CU_ASSERT(close_rel(r->financing_total.mean[lt], h->Ftot[t], 1e-12));
        CU_ASSERT(close_rel(r->expenditure_total.mean[lt], h->Etot[t], 1e-12));
        CU_ASSERT(close_rel(r->pooled_balance.mean[lt], h->PB[t], 1e-12));
        CU_ASSERT(close_rel(r->months_covered.mean[lt], h->months[t], 1e-12));
        CU_ASSERT(close_rel(r->surplus_rate.mean[lt], h->surplus[t], 1e-12));
        CU_ASSERT(close_rel(r->contribution_factor.mean[lt], h->mC[t], 1e-12));
        CU_ASSERT(close_rel(r->benefit_factor.mean[lt], h->mB[t], 1e-12));
        for (int k = 0; k < 3; k++) {
            int n = 0;
            for (int j = 0; j < h->nfired[k]; j++) n += h->fired_year[k][j] <= 2021 + t;
            CU_ASSERT_EQUAL(r->times_mean[(size_t)k * 8 + (size_t)t], (double)n);
        }
    }
    poolsim_results_free(r);
}

/* Both actions under the unified design (MODEL.md section 10): the same
 * rules on B, the one city fund; and under a transition in 2024. */
static void test_engine_rules_unified(void)
{
    static const char *const uni[] = {"pooling.mode=unified"};
    static const char *const tr[] = {"pooling.mode={2021: county_accounts, 2024: unified}"};
    const char *const *sets[2] = {uni, tr};
    for (int k = 0; k < 2; k++) {
        poolsim_scenario *s = load_with("tests/data/manage_det.yaml", 1, sets[k]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        hand_path h;
        hand_projection(s, det_rules, 3, &h);
        /* both actions take effect on this path */
        int c = 0, b = 0;
        for (int t = 0; t < 8; t++) c |= h.mC[t] != 1, b |= h.mB[t] != 1;
        CU_ASSERT(c && b);
        check_engine(s, &h);
        poolsim_scenario_free(s);
    }
}

static void test_engine_rules(void)
{
    poolsim_scenario *s = load_with("tests/data/manage_det.yaml", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_EQUAL_FATAL(s->nrules, 3);
    hand_path h;
    hand_projection(s, det_rules, 3, &h);
    check_engine(s, &h);
    /* the years stated in the data file */
    CU_ASSERT_EQUAL(h.nfired[0], 2);
    CU_ASSERT_EQUAL(h.fired_year[0][0], 2025);
    CU_ASSERT_EQUAL(h.fired_year[0][1], 2026);
    CU_ASSERT_EQUAL(h.nfired[1], 1);
    CU_ASSERT_EQUAL(h.fired_year[1][0], 2027);
    CU_ASSERT_EQUAL(h.nfired[2], 0);
    /* multipliers: contribution 1.1 from 2027, 1.21 from 2028; benefits
     * 0.95 from 2028 */
    for (int t = 0; t < 8; t++) {
        CU_ASSERT_DOUBLE_EQUAL(h.mC[t], t < 6 ? 1 : t == 6 ? 1.1 : 1.21, 1e-12);
        CU_ASSERT_DOUBLE_EQUAL(h.mB[t], t < 7 ? 1 : 0.95, 1e-12);
    }
    poolsim_results *r = run_det(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (int t = 0; t < 8; t++) {
        size_t lt = POOLSIM_LT(r, 0, t);
        CU_ASSERT(close_rel(r->reserve_balance.mean[lt], h.R[t], 1e-12));
        CU_ASSERT(close_rel(r->financing_total.mean[lt], h.Ftot[t], 1e-12));
        double e = r->expenditure.mean[POOLSIM_LCT(r, 0, 0, t)] +
                   r->expenditure.mean[POOLSIM_LCT(r, 0, 1, t)];
        CU_ASSERT(close_rel(e, h.Etot[t], 1e-12));
        /* the indicators (MODEL.md section 12) and the rules' outputs */
        CU_ASSERT(close_rel(r->pooled_balance.mean[lt], h.PB[t], 1e-12));
        CU_ASSERT(close_rel(r->pooled_balance.q[lt * POOLSIM_NQ + 1], h.PB[t], 1e-12));
        CU_ASSERT(close_rel(r->months_covered.mean[lt], h.months[t], 1e-12));
        CU_ASSERT(close_rel(r->months_covered.q[lt * POOLSIM_NQ + 3], h.months[t], 1e-12));
        CU_ASSERT(close_rel(r->surplus_rate.mean[lt], h.surplus[t], 1e-12));
        /* warn_months 2.5 (set in the data file): low when months < 2.5 */
        CU_ASSERT_EQUAL(r->low_months_prob[lt], h.months[t] < 2.5 ? 1.0 : 0.0);
        CU_ASSERT(close_rel(r->contribution_factor.mean[lt], h.mC[t], 1e-12));
        CU_ASSERT(close_rel(r->benefit_factor.q[lt * POOLSIM_NQ + 5], h.mB[t], 1e-12));
        for (int c = 0; c < 2; c++)
            CU_ASSERT(close_rel(r->county_months_covered.mean[POOLSIM_LCT(r, 0, c, t)],
                                12 * h.S[t][c] / h.E[t][c], 1e-12));
        for (int k = 0; k < 3; k++) {
            int n = 0;
            for (int j = 0; j < h.nfired[k]; j++) n += h.fired_year[k][j] <= 2021 + t;
            CU_ASSERT_EQUAL(r->fired_prob[(size_t)k * 8 + (size_t)t], n > 0 ? 1.0 : 0.0);
            CU_ASSERT_EQUAL(r->times_mean[(size_t)k * 8 + (size_t)t], (double)n);
        }
    }
    /* low in 2021 (1.33 months) and in 2026-2027 after the rules; the
     * closed form's own months give the pattern, checked here by hand */
    CU_ASSERT(h.months[0] < 2.5 && h.months[1] < 2.5 && !(h.months[2] < 2.5));
    CU_ASSERT_EQUAL(r->R, 3);
    CU_ASSERT_STRING_EQUAL(r->rule_ids[1], "cut");
    CU_ASSERT_EQUAL(r->rule_line[1], 0);
    poolsim_results_free(r);
    poolsim_scenario_free(s);
}

/* Rules that never fire leave every result bit-identical to the run
 * without rules. */
static void test_engine_never_fires(void)
{
    static const char *const sets[] = {"management.raise.below=-10", "management.cut.below=-10",
                                       "health.warn_months=6"};
    poolsim_scenario *s = load_with("tests/data/manage_det.yaml", 3, sets);
    poolsim_scenario *base = load_with("tests/data/engine_det.yaml", 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(base);
    poolsim_results *a = run_det(s), *b = run_det(base);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    poolsim_results_array x[POOLSIM_RESULTS_NARRAYS], y[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(a, x);
    CU_ASSERT_EQUAL(n, poolsim_results_arrays(b, y));
    for (int k = 0; k < n; k++) {
        if (x[k].shape == POOLSIM_SHAPE_RT) continue; /* the rules' own outputs */
        int same = x[k].n == y[k].n && memcmp(x[k].data, y[k].data, x[k].n * sizeof(double)) == 0;
        if (!same) fprintf(stderr, "\n  %s differs\n", x[k].name);
        CU_ASSERT(same);
    }
    for (size_t i = 0; i < (size_t)a->R * (size_t)a->T; i++) {
        CU_ASSERT_EQUAL(a->fired_prob[i], 0.0);
        CU_ASSERT_EQUAL(a->times_mean[i], 0.0);
    }
    /* and the rules that do fire change them */
    poolsim_scenario *f = load_with("tests/data/manage_det.yaml", 0, NULL);
    poolsim_results *c = run_det(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT(c->reserve_balance.mean[POOLSIM_LT(c, 0, 7)] !=
              b->reserve_balance.mean[POOLSIM_LT(b, 0, 7)]);
    poolsim_results_free(a);
    poolsim_results_free(b);
    poolsim_results_free(c);
    poolsim_scenario_free(s);
    poolsim_scenario_free(base);
    poolsim_scenario_free(f);
}

void poolsim_test_manage(void);
void poolsim_test_manage(void)
{
    CU_pSuite s = CU_add_suite("manage", NULL, NULL);
    CU_add_test(s, "indicators", test_health);
    CU_add_test(s, "fires once with a lag", test_fires_once_with_lag);
    CU_add_test(s, "max_times reached", test_max_times);
    CU_add_test(s, "from_year and the horizon", test_from_year_and_horizon);
    CU_add_test(s, "never fires", test_never_fires);
    CU_add_test(s, "engine with rules, closed form", test_engine_rules);
    CU_add_test(s, "engine with rules, unified pooling", test_engine_rules_unified);
    CU_add_test(s, "rules that never fire change nothing", test_engine_never_fires);
}
