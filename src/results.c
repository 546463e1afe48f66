/* poolsim: results struct allocation and small statistics helpers. */
#include "poolsim/results.h"

#include <math.h>
#include <stdlib.h>

const double poolsim_quantile_probs[POOLSIM_NQ] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};
const char *const poolsim_quantile_names[POOLSIM_NQ] = {"p01", "p05", "p25", "p50",
                                                        "p75", "p95", "p99"};

static int alloc_ms(poolsim_mean_se *m, size_t n)
{
    m->mean = calloc(n, sizeof(double));
    m->se = calloc(n, sizeof(double));
    return m->mean && m->se;
}

static void free_ms(poolsim_mean_se *m)
{
    free(m->mean);
    free(m->se);
}

static int alloc_dist(poolsim_distsum *d, size_t n)
{
    d->mean = calloc(n, sizeof(double));
    d->se = calloc(n, sizeof(double));
    d->q = calloc(n * POOLSIM_NQ, sizeof(double));
    return d->mean && d->se && d->q;
}

static void free_dist(poolsim_distsum *d)
{
    free(d->mean);
    free(d->se);
    free(d->q);
}

static int alloc_tail(poolsim_tailsum *t, size_t n)
{
    t->mean = calloc(n, sizeof(double));
    t->se = calloc(n, sizeof(double));
    t->p95 = calloc(n, sizeof(double));
    t->p99 = calloc(n, sizeof(double));
    t->cvar95 = calloc(n, sizeof(double));
    return t->mean && t->se && t->p95 && t->p99 && t->cvar95;
}

static void free_tail(poolsim_tailsum *t)
{
    free(t->mean);
    free(t->se);
    free(t->p95);
    free(t->p99);
    free(t->cvar95);
}

poolsim_results *poolsim_results_alloc(int T, int L, int C)
{
    poolsim_results *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->T = T;
    r->L = L;
    r->C = C;
    size_t lt = (size_t)L * (size_t)T, lct = lt * (size_t)C, lc = (size_t)L * (size_t)C;
    int ok = 1;
    ok &= (r->years = calloc((size_t)T, sizeof(int))) != NULL;
    ok &= (r->line_ids = calloc((size_t)L, sizeof(char *))) != NULL;
    ok &= (r->line_names = calloc((size_t)L, sizeof(char *))) != NULL;
    ok &= (r->county_ids = calloc((size_t)C, sizeof(char *))) != NULL;
    ok &= (r->county_names = calloc((size_t)C, sizeof(char *))) != NULL;
    ok &= (r->cap_ratio = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_prob = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_lo = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_hi = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_year_prob = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->first_exhaustion_count = calloc((size_t)L * (size_t)(T + 1), sizeof(double))) != NULL;
    ok &= alloc_dist(&r->reserve_balance, lt);
    ok &= alloc_dist(&r->reserve_ratio, lt);
    ok &= alloc_ms(&r->financing_total, lt);
    ok &= alloc_ms(&r->expenditure_total, lt);
    ok &= (r->shortfall_prob = calloc(lct, sizeof(double))) != NULL;
    ok &= (r->shortfall_lo = calloc(lct, sizeof(double))) != NULL;
    ok &= (r->shortfall_hi = calloc(lct, sizeof(double))) != NULL;
    ok &= alloc_tail(&r->county_burden, lct);
    ok &= alloc_tail(&r->county_burden_total, lc);
    ok &= alloc_ms(&r->reserve_paid, lct);
    ok &= alloc_ms(&r->levy, lct);
    ok &= alloc_ms(&r->city_uncovered, lct);
    ok &= alloc_ms(&r->financing, lct);
    ok &= alloc_ms(&r->expenditure, lct);
    ok &= alloc_ms(&r->balance, lct);
    if (!ok) {
        poolsim_results_free(r);
        return NULL;
    }
    return r;
}

void poolsim_results_free(poolsim_results *r)
{
    if (!r) return;
    free(r->scenario_name);
    free(r->scenario_path);
    free(r->scenario_text);
    free(r->resolved_text);
    free(r->lang);
    free(r->version);
    free(r->git_commit);
    free(r->build_info);
    free(r->start_time);
    free(r->quantile_method);
    for (int l = 0; r->line_ids && l < r->L; l++) free(r->line_ids[l]);
    for (int l = 0; r->line_names && l < r->L; l++) free(r->line_names[l]);
    for (int c = 0; r->county_ids && c < r->C; c++) free(r->county_ids[c]);
    for (int c = 0; r->county_names && c < r->C; c++) free(r->county_names[c]);
    free(r->line_ids);
    free(r->line_names);
    free(r->county_ids);
    free(r->county_names);
    free(r->years);
    free(r->cap_ratio);
    free(r->exhaustion_prob);
    free(r->exhaustion_lo);
    free(r->exhaustion_hi);
    free(r->exhaustion_year_prob);
    free(r->first_exhaustion_count);
    free_dist(&r->reserve_balance);
    free_dist(&r->reserve_ratio);
    free_ms(&r->financing_total);
    free_ms(&r->expenditure_total);
    free(r->shortfall_prob);
    free(r->shortfall_lo);
    free(r->shortfall_hi);
    free_tail(&r->county_burden);
    free_tail(&r->county_burden_total);
    free_ms(&r->reserve_paid);
    free_ms(&r->levy);
    free_ms(&r->city_uncovered);
    free_ms(&r->financing);
    free_ms(&r->expenditure);
    free_ms(&r->balance);
    free(r);
}

void poolsim_wilson(double k, double n, double *lo, double *hi)
{
    const double z = 1.959963984540054;
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = k / n, z2 = z * z;
    double denom = 1 + z2 / n;
    double centre = (p + z2 / (2 * n)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
    if (k == 0) *lo = 0;
    if (k == n) *hi = 1;
}
