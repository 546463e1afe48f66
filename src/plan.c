/* poolsim: the plan of deterministic per-year terms (MODEL.md sections 2-3). */
#include "poolsim/plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "poolsim/common.h"
#include "poolsim/rng.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define PLAN_AVX2 1
#include <immintrin.h>
#define PLAN_AVX2_FN __attribute__((target("avx2")))
#else
#define PLAN_AVX2 0
#endif

double poolsim_plan_enrol(const poolsim_scenario *s, int c, int m, int t)
{
    const poolsim_county *cty = &s->counties[c];
    poolsim_param n1 = poolsim_param_const(cty->enrol[m]);
    return poolsim_param_grown(&n1, &cty->cls[m].enrol_growth, s->start_year,
                               poolsim_scenario_year(s, t));
}

void poolsim_plan_free(poolsim_plan *p)
{
    if (!p) return;
    free(p->mode);
    free(p->P_det);
    free(p->fin_fixed);
    free(p->fin_contrib);
    free(p->fin_sub);
    free(p->fin_wage);
    free(p->per_capita_exp);
    free(p->enrolees);
    free(p->levy_basis1);
    if (p->claim_benefit)
        for (int l = 0; l < p->L; l++) free(p->claim_benefit[l]);
    free(p->claim_benefit);
    free(p->nclaims);
    free(p->epidemic);
    free(p->claims);
    free(p->who);
    free(p->budget_share);
    free(p->budget_retention);
    free(p->budget_overspend);
    free(p->rules);
    free(p->reserve_initial);
    for (int i = 0; p->tables && i < p->ntables; i++) free(p->tables[i].v);
    free(p->tables);
    free(p);
}

/* d/dmu of LEV1 and LEV2 at x (see plan.h). */
static void dlev(double x, double mu, double s, double *d1, double *d2)
{
    if (x <= 0) {
        *d1 = *d2 = 0;
        return;
    }
    double e1 = exp(mu + 0.5 * s * s), e2 = 2.0 * exp(2.0 * mu + 2.0 * s * s);
    if (isinf(x)) {
        *d1 = e1;
        *d2 = e2;
        return;
    }
    double a = (log(x) - mu) / s;
    *d1 = e1 * gsl_cdf_ugaussian_P(a - s);
    *d2 = e2 * gsl_cdf_ugaussian_P(a - 2.0 * s);
}

int poolsim_plan_mtable_build(poolsim_plan_mtable *t, double cv, double d, double u, double c,
                              double m_lo, double m_hi)
{
    t->cv = cv, t->d = d, t->u = u, t->c = c;
    t->h = 1.0 / 256.0;
    t->inv_h = 256.0;
    t->m0 = floor(m_lo * 256.0) / 256.0;
    t->n = (int)ceil((m_hi - t->m0) * 256.0) + 2;
    t->v = malloc((size_t)t->n * 4 * sizeof(double));
    if (!t->v) return POOLSIM_ENOMEM;
    double s2 = log1p(cv * cv), s = sqrt(s2);
    for (int i = 0; i < t->n; i++) {
        double m = t->m0 + i * t->h, mu = m - 0.5 * s2;
        poolsim_claims_moments mm;
        poolsim_claims_payment_moments(exp(m), cv, d, u, c, &mm);
        double du1, du2, dd1, dd2;
        dlev(u, mu, s, &du1, &du2);
        dlev(d, mu, s, &dd1, &dd2);
        double *v = &t->v[(size_t)i * 4];
        v[0] = mm.ey;
        v[1] = c * (du1 - dd1);
        v[2] = mm.ey2;
        v[3] = c * c * (du2 - dd2 - 2.0 * d * (du1 - dd1));
    }
    return POOLSIM_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Fill the financing, per_capita and claims terms of line l, county c. */
static int plan_county_line(poolsim_plan *pl, int l, int c)
{
    const poolsim_scenario *s = pl->s;
    const poolsim_line *ln = &s->lines[l];
    const poolsim_county *cty = &s->counties[c];
    for (int t = 1; t <= pl->T; t++) {
        int y = poolsim_scenario_year(s, t);
        double ff = 0, fw = 0, pce = 0, nn = 0, fc = 0, fs = 0;
        for (int j = 0; j < ln->nclasses; j++) {
            int m = ln->classes[j];
            const poolsim_class_params *cp = &cty->cls[m];
            double n = poolsim_plan_enrol(s, c, m, t);
            nn += n;
            double pc =
                poolsim_param_grown(&cp->per_capita, &cp->per_capita_growth, s->start_year, y);
            double sub = poolsim_param_grown(&cp->subsidy, &cp->subsidy_growth, s->start_year, y);
            double coll = poolsim_param_at(&cp->collection_rate, y);
            double wr = poolsim_param_at(&cp->wage_rate, y);
            ff += n * (pc * coll + sub);
            fc += n * pc * coll;
            fs += n * sub;
            fw += n * wr * coll * cty->wage;
        }
        for (int k = 0; k < ln->nbenefits; k++) {
            const poolsim_benefit *b = &ln->benefits[k];
            if (b->kind != POOLSIM_BENEFIT_PER_CAPITA) continue;
            double amount = poolsim_param_grown(&b->amount, &b->growth, s->start_year, y);
            double members = 0;
            for (int j = 0; j < ln->nclasses; j++)
                if (b->applies[j]) members += poolsim_plan_enrol(s, c, ln->classes[j], t);
            pce += amount * members;
        }
        size_t i = POOLSIM_PLAN_LCT(pl, l, c, t - 1);
        pl->fin_fixed[i] = ff;
        pl->fin_contrib[i] = fc;
        pl->fin_sub[i] = fs;
        pl->fin_wage[i] = fw;
        pl->per_capita_exp[i] = pce;
        pl->enrolees[i] = nn;
        if (!isfinite(ff) || !isfinite(fw) || !isfinite(pce)) {
            poolsim_error_report(__FILE__, __LINE__,
                                 "financing or per-capita spending of county %s, line %s, year %d "
                                 "is not finite",
                                 cty->id, ln->id, y);
            return POOLSIM_ENUM;
        }
        for (int kk = 0; kk < pl->nclaims[l]; kk++) {
            const poolsim_benefit *b = &ln->benefits[pl->claim_benefit[l][kk]];
            poolsim_plan_claim *q = &POOLSIM_PLAN_CLAIM(pl, l, c, kk, t - 1);
            double lam = 0;
            for (int j = 0; j < ln->nclasses; j++)
                lam += poolsim_param_grown(&b->rate[j], &b->util_trend, s->start_year, y) *
                       poolsim_plan_enrol(s, c, ln->classes[j], t);
            q->lam0 = lam * cty->util_index;
            q->cost0 = poolsim_param_at(&b->cost_mean, y) * cty->cost_index;
            q->lncost0 = log(q->cost0);
            q->cv = poolsim_param_at(&b->cv, y);
            q->deductible = poolsim_param_at(&b->deductible, y);
            q->ceiling = poolsim_param_at(&b->ceiling, y);
            q->coinsurance = poolsim_param_at(&b->coinsurance, y);
            int mode = pl->mode[l * pl->K + kk];
            double P = mode == POOLSIM_MOMENTS_FIXED ? pl->P_det[t - 1] : 1.0;
            if (mode != POOLSIM_MOMENTS_PATH) {
                /* index_limits: d and u move with P, so at P = 1 they are nominal */
                double scale = b->index_limits ? P : 1.0;
                poolsim_claims_payment_moments(q->cost0 * P, q->cv, q->deductible * scale,
                                               q->ceiling * scale, q->coinsurance, &q->m);
            } else {
                memset(&q->m, 0, sizeof q->m);
            }
            if (!isfinite(q->lam0) || !isfinite(q->m.ey) || !isfinite(q->m.ey2)) {
                poolsim_error_report(
                    __FILE__, __LINE__,
                    "claims of benefit %s, county %s, line %s, year %d are not finite", b->id,
                    cty->id, ln->id, y);
                return POOLSIM_ENUM;
            }
            pl->who[((size_t)l * (size_t)pl->C + (size_t)c) * (size_t)pl->K + (size_t)kk] =
                poolsim_rng_who(cty->id, ln->id, b->id);
        }
    }
    return POOLSIM_OK;
}

/* Moments tables for PATH-mode benefits: one per line, benefit and run of
 * years with the same parameters (cv, deductible, ceiling, coinsurance),
 * over ln(cost) of every county plus ln P within a factor e^3 of the
 * deterministic price path in those years (outside it the exact formula
 * is used). */
static int build_tables(poolsim_plan *pl, int threads)
{
    size_t n = (size_t)pl->L * (size_t)pl->K * (size_t)pl->T;
    pl->tables = calloc(n, sizeof *pl->tables);
    double *range = malloc(2 * (n ? n : 1) * sizeof *range); /* [table][lo, hi] */
    if (!pl->tables || !range) {
        free(range);
        return POOLSIM_ENOMEM;
    }
    for (int l = 0; l < pl->L; l++)
        for (int kk = 0; kk < pl->nclaims[l]; kk++) {
            if (pl->mode[l * pl->K + kk] != POOLSIM_MOMENTS_PATH) continue;
            int t0 = 0;
            while (t0 < pl->T) {
                const poolsim_plan_claim *q0 = &POOLSIM_PLAN_CLAIM(pl, l, 0, kk, t0);
                int t1 = t0 + 1;
                while (t1 < pl->T) {
                    const poolsim_plan_claim *q = &POOLSIM_PLAN_CLAIM(pl, l, 0, kk, t1);
                    if (q->cv != q0->cv || q->deductible != q0->deductible ||
                        q->ceiling != q0->ceiling || q->coinsurance != q0->coinsurance)
                        break;
                    t1++;
                }
                double lo = INFINITY, hi = -INFINITY;
                for (int t = t0; t < t1; t++) {
                    double lp = log(pl->P_det[t]);
                    for (int c = 0; c < pl->C; c++) {
                        double lc = POOLSIM_PLAN_CLAIM(pl, l, c, kk, t).lncost0 + lp;
                        lo = fmin(lo, lc);
                        hi = fmax(hi, lc);
                    }
                }
                int k = pl->ntables++;
                poolsim_plan_mtable *tb = &pl->tables[k];
                /* the parameters now, the grid below */
                tb->cv = q0->cv, tb->d = q0->deductible, tb->u = q0->ceiling;
                tb->c = q0->coinsurance;
                range[2 * k] = lo - 3.0;
                range[2 * k + 1] = hi + 3.0;
                for (int t = t0; t < t1; t++)
                    for (int c = 0; c < pl->C; c++) POOLSIM_PLAN_CLAIM(pl, l, c, kk, t).tab = tb;
                t0 = t1;
            }
        }
    /* each table on its own: the same values for any number of threads */
    int st = POOLSIM_OK;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)                                 \
    reduction(max                                                                                  \
              : st) if (pl->ntables > 1 && threads > 1)
    for (int k = 0; k < pl->ntables; k++) {
        poolsim_plan_mtable *tb = &pl->tables[k];
        int r = poolsim_plan_mtable_build(tb, tb->cv, tb->d, tb->u, tb->c, range[2 * k],
                                          range[2 * k + 1]);
        if (r > st) st = r;
    }
    free(range);
    return st;
}

int poolsim_plan_build(const poolsim_scenario *s, poolsim_plan **out)
{
    return poolsim_plan_build_ex(s, 0, 1, out);
}

int poolsim_plan_build_ex(const poolsim_scenario *s, unsigned flags, int threads,
                          poolsim_plan **out)
{
    *out = NULL;
    poolsim_plan *pl = calloc(1, sizeof *pl);
    if (!pl) return POOLSIM_ENOMEM;
    pl->s = s;
    pl->T = s->horizon_years;
    pl->L = s->nlines;
    pl->C = s->ncounties;
    int K = 1;
    for (int l = 0; l < s->nlines; l++) {
        int k = 0;
        for (int b = 0; b < s->lines[l].nbenefits; b++)
            k += s->lines[l].benefits[b].kind == POOLSIM_BENEFIT_CLAIMS;
        if (k > K) K = k;
    }
    pl->K = K;
    size_t T = (size_t)pl->T, L = (size_t)pl->L, C = (size_t)pl->C, KK = (size_t)K;
    int ok = 1;
    ok &= (pl->mode = calloc(L * KK, sizeof(int))) != NULL;
    ok &= (pl->P_det = calloc(T, sizeof(double))) != NULL;
    ok &= (pl->fin_fixed = calloc(L * C * T, sizeof(double))) != NULL;
    ok &= (pl->fin_contrib = calloc(L * C * T, sizeof(double))) != NULL;
    ok &= (pl->fin_sub = calloc(L * C * T, sizeof(double))) != NULL;
    ok &= (pl->fin_wage = calloc(L * C * T, sizeof(double))) != NULL;
    ok &= (pl->per_capita_exp = calloc(L * C * T, sizeof(double))) != NULL;
    ok &= (pl->enrolees = calloc(L * C * T, sizeof(double))) != NULL;
    ok &= (pl->levy_basis1 = calloc(L * C, sizeof(double))) != NULL;
    ok &= (pl->nclaims = calloc(L, sizeof(int))) != NULL;
    ok &= (pl->claim_benefit = calloc(L, sizeof(int *))) != NULL;
    ok &= (pl->epidemic = calloc(L * KK, sizeof(int))) != NULL;
    ok &= (pl->claims = calloc(L * C * KK * T, sizeof(poolsim_plan_claim))) != NULL;
    ok &= (pl->who = calloc(L * C * KK, sizeof(uint32_t))) != NULL;
    ok &= (pl->budget_share = calloc(L * T, sizeof(double))) != NULL;
    ok &= (pl->budget_retention = calloc(L * T, sizeof(double))) != NULL;
    ok &= (pl->budget_overspend = calloc(L * T, sizeof(double))) != NULL;
    ok &= (pl->rules = calloc(L * T, sizeof(poolsim_rules_params))) != NULL;
    ok &= (pl->reserve_initial = calloc(L, sizeof(double))) != NULL;
    if (!ok) {
        poolsim_plan_free(pl);
        return POOLSIM_ENOMEM;
    }
    /* deterministic price path, computed exactly as the drivers do with sd = 0 */
    const poolsim_ar1 *mi = &s->medical_inflation;
    double pi = mi->mean, P = 1.0;
    pl->P_det[0] = 1.0;
    for (size_t t = 1; t < T; t++) {
        pi = mi->mean + mi->ar1 * (pi - mi->mean);
        P = P * (1.0 + pi);
        pl->P_det[t] = P;
    }
    for (int l = 0; l < pl->L; l++) {
        const poolsim_line *ln = &s->lines[l];
        pl->claim_benefit[l] = calloc((size_t)ln->nbenefits + 1, sizeof(int));
        if (!pl->claim_benefit[l]) {
            poolsim_plan_free(pl);
            return POOLSIM_ENOMEM;
        }
        for (int b = 0; b < ln->nbenefits; b++) {
            if (ln->benefits[b].kind != POOLSIM_BENEFIT_CLAIMS) continue;
            int kk = pl->nclaims[l]++;
            pl->claim_benefit[l][kk] = b;
            pl->epidemic[l * K + kk] = ln->benefits[b].epidemic;
            pl->mode[l * K + kk] = mi->sd == 0                    ? POOLSIM_MOMENTS_FIXED
                                   : ln->benefits[b].index_limits ? POOLSIM_MOMENTS_SCALED
                                                                  : POOLSIM_MOMENTS_PATH;
        }
        pl->reserve_initial[l] = poolsim_param_at(&ln->reserve.initial, s->start_year);
        for (int t = 1; t <= pl->T; t++) {
            int y = poolsim_scenario_year(s, t);
            size_t i = (size_t)l * T + (size_t)(t - 1);
            poolsim_scenario_rules_params(s, l, y, &pl->rules[i]);
            const poolsim_global_budget *gb = &ln->global_budget;
            pl->budget_share[i] = gb->enabled ? poolsim_param_at(&gb->share_of_financing, y) : -1.0;
            pl->budget_retention[i] = gb->enabled ? poolsim_param_at(&gb->retention, y) : 0.0;
            pl->budget_overspend[i] = gb->enabled ? poolsim_param_at(&gb->overspend_paid, y) : 0.0;
        }
        for (int c = 0; c < pl->C; c++) {
            int st = plan_county_line(pl, l, c);
            if (st != POOLSIM_OK) {
                poolsim_plan_free(pl);
                return st;
            }
            const poolsim_county *cty = &s->counties[c];
            size_t i0 = POOLSIM_PLAN_LCT(pl, l, c, 0);
            pl->levy_basis1[(size_t)l * C + (size_t)c] =
                cty->has_prior[l] ? cty->prior_financing[l] : pl->fin_fixed[i0] + pl->fin_wage[i0];
        }
    }
    /* A line whose counties have no financing at all in a year has no
     * reserve ratio: refuse it here (check and run alike, exit 2) rather
     * than in the middle of a run */
    for (int l = 0; l < pl->L; l++)
        for (int t = 0; t < pl->T; t++) {
            double f = 0;
            for (int c = 0; c < pl->C; c++) {
                size_t i = POOLSIM_PLAN_LCT(pl, l, c, t);
                f += pl->fin_fixed[i] + pl->fin_wage[i];
            }
            if (!(f > 0)) {
                poolsim_error_report(__FILE__, __LINE__,
                                     "%s: lines: %s: total financing of the line is zero in %d "
                                     "(expected a per_capita, contribution or subsidy above 0 "
                                     "for at least one county)",
                                     s->path ? s->path : "scenario", s->lines[l].id,
                                     poolsim_scenario_year(s, t + 1));
                poolsim_plan_free(pl);
                return POOLSIM_EINPUT;
            }
        }
    int st = flags & POOLSIM_PLAN_NO_TABLES ? POOLSIM_OK : build_tables(pl, threads);
    if (st != POOLSIM_OK) {
        poolsim_plan_free(pl);
        return st;
    }
    /* Two claims sub-streams with the same address would be correlated:
     * refuse (probability ~ n^2 / 2^33 for n streams). */
    size_t nw = L * C * KK;
    uint32_t *w = malloc(nw * sizeof *w);
    if (!w) {
        poolsim_plan_free(pl);
        return POOLSIM_ENOMEM;
    }
    size_t m = 0;
    for (int l = 0; l < pl->L; l++)
        for (int c = 0; c < pl->C; c++)
            for (int kk = 0; kk < pl->nclaims[l]; kk++)
                w[m++] = pl->who[((size_t)l * C + (size_t)c) * KK + (size_t)kk];
    qsort(w, m, sizeof *w, cmp_u32);
    for (size_t i = 1; i < m; i++)
        if (w[i] == w[i - 1]) {
            free(w);
            poolsim_plan_free(pl);
            POOLSIM_ERROR(POOLSIM_EINPUT,
                          "two (county, line, benefit) triples hash to the same random "
                          "sub-stream; rename a county or benefit id");
        }
    free(w);
    *out = pl;
    return POOLSIM_OK;
}

/* Two passes over chunks of the row: first every claim's place on its
 * table's grid (a chain of dependent operations ending in the index), then
 * the interpolation with the table rows' addresses already known; the
 * processor overlaps more claims than in one pass. The same operations as
 * poolsim_plan_mtable_eval (both end in poolsim_plan_mtable_at), so the
 * same values. */
void poolsim_plan_moments_row(const poolsim_plan *pl, int mode, const poolsim_plan_claim *pc,
                              const double *P, const double *lnP, int n, poolsim_claims_draw *q)
{
    if (mode != POOLSIM_MOMENTS_PATH) {
        for (int t = 0; t < n; t++) poolsim_plan_moments(pl, mode, &pc[t], P[t], lnP[t], &q[t].m);
        return;
    }
    enum { CH = 64 };
    int at[CH];
    double frac[CH];
    for (int t0 = 0; t0 < n; t0 += CH) {
        int m = n - t0 < CH ? n - t0 : CH;
        for (int j = 0; j < m; j++) {
            const poolsim_plan_claim *c = &pc[t0 + j];
            const poolsim_plan_mtable *tb = c->tab;
            at[j] = -1; /* no table, or off its grid: the exact formula */
            if (!tb) continue;
            double x = (c->lncost0 + lnP[t0 + j] - tb->m0) * tb->inv_h;
            if (!(x >= 0) || x >= (double)(tb->n - 1)) continue;
            at[j] = (int)x;
            frac[j] = x - at[j];
        }
        for (int j = 0; j < m; j++) {
            int t = t0 + j;
            poolsim_claims_moments *out = &q[t].m;
            if (at[j] < 0) {
                poolsim_plan_moments(pl, mode, &pc[t], P[t], lnP[t], out);
                continue;
            }
            poolsim_plan_mtable_at(pc[t].tab, at[j], frac[j], out);
        }
    }
}

/* ---- four rows at a time (AVX2) --------------------------------------- */

/* 1: poolsim_plan_moments_rows takes the AVX2 loop */
static int plan_simd;

__attribute__((constructor)) static void plan_simd_init(void)
{
    plan_simd = PLAN_AVX2 && poolsim_simd_default();
}

int poolsim_plan_simd(int on)
{
    int was = plan_simd;
    if (on >= 0) plan_simd = PLAN_AVX2 && on && poolsim_cpu_avx2();
    return was;
}

#if PLAN_AVX2
/* Rows j = 0..m-1 (1 <= m <= 4) of poolsim_plan_moments_rows in PATH mode,
 * one lane per row (a short group repeats its last row in the unused
 * lanes: computed, not stored). Where the four claims of a year share a
 * table and lie on its grid, the lanes evaluate poolsim_plan_mtable_eval's
 * operations in its order (no operation contracted or reordered, so the
 * same bits); otherwise each claim goes through poolsim_plan_moments. */
PLAN_AVX2_FN static void rows4_avx2(const poolsim_plan *pl, const poolsim_plan_claim *pc,
                                    size_t pstride, const double *P, const double *lnP, int n,
                                    int m, poolsim_claims_draw *q, size_t qstride)
{
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1);
    const __m256d two = _mm256_set1_pd(2), three = _mm256_set1_pd(3);
    const __m256d mtwo = _mm256_set1_pd(-2);
    for (int t = 0; t < n; t++) {
        const poolsim_plan_claim *c[4];
        for (int j = 0; j < 4; j++) c[j] = &pc[(size_t)(j < m ? j : m - 1) * pstride + (size_t)t];
        const poolsim_plan_mtable *tb = c[0]->tab;
        if (tb && c[1]->tab == tb && c[2]->tab == tb && c[3]->tab == tb) {
            __m256d lc = _mm256_set_pd(c[3]->lncost0, c[2]->lncost0, c[1]->lncost0, c[0]->lncost0);
            /* x = (lncost0 + lnP - m0) inv_h, on the grid when 0 <= x < n - 1 */
            __m256d x = _mm256_mul_pd(
                _mm256_sub_pd(_mm256_add_pd(lc, _mm256_set1_pd(lnP[t])), _mm256_set1_pd(tb->m0)),
                _mm256_set1_pd(tb->inv_h));
            __m256d on = _mm256_and_pd(
                _mm256_cmp_pd(x, zero, _CMP_GE_OQ),
                _mm256_cmp_pd(x, _mm256_set1_pd((double)(tb->n - 1)), _CMP_LT_OQ));
            if (_mm256_movemask_pd(on) == 15) {
                /* poolsim_plan_mtable_at(tb, (int)x, x - (int)x) */
                __m128i i = _mm256_cvttpd_epi32(x);
                __m256d w = _mm256_sub_pd(x, _mm256_cvtepi32_pd(i));
                __m256d w2 = _mm256_mul_pd(w, w), w3 = _mm256_mul_pd(w2, w);
                __m256d h = _mm256_set1_pd(tb->h);
                __m256d h00 =
                    _mm256_add_pd(_mm256_sub_pd(_mm256_mul_pd(two, w3), _mm256_mul_pd(three, w2)), one);
                __m256d h10 = _mm256_mul_pd(
                    _mm256_add_pd(_mm256_sub_pd(w3, _mm256_mul_pd(two, w2)), w), h);
                __m256d h01 = _mm256_add_pd(_mm256_mul_pd(mtwo, w3), _mm256_mul_pd(three, w2));
                __m256d h11 = _mm256_mul_pd(_mm256_sub_pd(w3, w2), h);
                _Alignas(16) int32_t ix[4];
                _mm_store_si128((__m128i *)ix, i);
                /* the grid rows a = v + 4 i, b = a + 4 of each lane, transposed */
                const double *v = tb->v;
                const double *r0 = &v[(size_t)ix[0] * 4], *r1 = &v[(size_t)ix[1] * 4];
                const double *r2 = &v[(size_t)ix[2] * 4], *r3 = &v[(size_t)ix[3] * 4];
                __m256d x0 = _mm256_loadu_pd(r0), x1 = _mm256_loadu_pd(r1);
                __m256d x2 = _mm256_loadu_pd(r2), x3 = _mm256_loadu_pd(r3);
                __m256d lo01 = _mm256_unpacklo_pd(x0, x1), hi01 = _mm256_unpackhi_pd(x0, x1);
                __m256d lo23 = _mm256_unpacklo_pd(x2, x3), hi23 = _mm256_unpackhi_pd(x2, x3);
                __m256d a0 = _mm256_permute2f128_pd(lo01, lo23, 0x20);
                __m256d a1 = _mm256_permute2f128_pd(hi01, hi23, 0x20);
                __m256d a2 = _mm256_permute2f128_pd(lo01, lo23, 0x31);
                __m256d a3 = _mm256_permute2f128_pd(hi01, hi23, 0x31);
                x0 = _mm256_loadu_pd(r0 + 4), x1 = _mm256_loadu_pd(r1 + 4);
                x2 = _mm256_loadu_pd(r2 + 4), x3 = _mm256_loadu_pd(r3 + 4);
                lo01 = _mm256_unpacklo_pd(x0, x1), hi01 = _mm256_unpackhi_pd(x0, x1);
                lo23 = _mm256_unpacklo_pd(x2, x3), hi23 = _mm256_unpackhi_pd(x2, x3);
                __m256d b0 = _mm256_permute2f128_pd(lo01, lo23, 0x20);
                __m256d b1 = _mm256_permute2f128_pd(hi01, hi23, 0x20);
                __m256d b2 = _mm256_permute2f128_pd(lo01, lo23, 0x31);
                __m256d b3 = _mm256_permute2f128_pd(hi01, hi23, 0x31);
                /* h00 a0 + h10 a1 + h01 b0 + h11 b1, left to right */
                __m256d ey = _mm256_add_pd(
                    _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(h00, a0), _mm256_mul_pd(h10, a1)),
                                  _mm256_mul_pd(h01, b0)),
                    _mm256_mul_pd(h11, b1));
                __m256d ey2 = _mm256_add_pd(
                    _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(h00, a2), _mm256_mul_pd(h10, a3)),
                                  _mm256_mul_pd(h01, b2)),
                    _mm256_mul_pd(h11, b3));
                /* `if (y < 0) y = 0` (NaN and -0 kept); `vy > 0 ? vy : 0` */
                ey = _mm256_blendv_pd(ey, zero, _mm256_cmp_pd(ey, zero, _CMP_LT_OQ));
                ey2 = _mm256_blendv_pd(ey2, zero, _mm256_cmp_pd(ey2, zero, _CMP_LT_OQ));
                __m256d vy = _mm256_sub_pd(ey2, _mm256_mul_pd(ey, ey));
                vy = _mm256_and_pd(vy, _mm256_cmp_pd(vy, zero, _CMP_GT_OQ));
                /* lane j's (ey, ey2) and vy into its claim */
                __m256d p02 = _mm256_unpacklo_pd(ey, ey2), p13 = _mm256_unpackhi_pd(ey, ey2);
                __m128d pr[4] = {_mm256_castpd256_pd128(p02), _mm256_castpd256_pd128(p13),
                                 _mm256_extractf128_pd(p02, 1), _mm256_extractf128_pd(p13, 1)};
                __m128d vlo = _mm256_castpd256_pd128(vy), vhi = _mm256_extractf128_pd(vy, 1);
                __m128d vv[4] = {vlo, _mm_unpackhi_pd(vlo, vlo), vhi, _mm_unpackhi_pd(vhi, vhi)};
                for (int j = 0; j < m; j++) {
                    poolsim_claims_moments *out = &q[(size_t)j * qstride + (size_t)t].m;
                    _mm_storeu_pd(&out->ey, pr[j]); /* ey, ey2 */
                    _mm_store_sd(&out->vy, vv[j]);
                }
                continue;
            }
        }
        for (int j = 0; j < m; j++)
            poolsim_plan_moments(pl, POOLSIM_MOMENTS_PATH, c[j], P[t], lnP[t],
                                 &q[(size_t)j * qstride + (size_t)t].m);
    }
}
#endif

void poolsim_plan_moments_rows(const poolsim_plan *pl, int mode, const poolsim_plan_claim *pc,
                               size_t pstride, const double *P, const double *lnP, int n,
                               int rows, poolsim_claims_draw *q, size_t qstride)
{
#if PLAN_AVX2
    if (plan_simd && mode == POOLSIM_MOMENTS_PATH) {
        for (int j = 0; j < rows; j += 4)
            rows4_avx2(pl, &pc[(size_t)j * pstride], pstride, P, lnP, n,
                       rows - j < 4 ? rows - j : 4, &q[(size_t)j * qstride], qstride);
        return;
    }
#endif
    for (int j = 0; j < rows; j++)
        poolsim_plan_moments_row(pl, mode, &pc[(size_t)j * pstride], P, lnP, n,
                                 &q[(size_t)j * qstride]);
}
