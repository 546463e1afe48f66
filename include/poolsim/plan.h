/* poolsim: the plan -- every deterministic per-year term of a scenario
 * (MODEL.md sections 2 and 3), computed once before the paths run.
 *
 * Financing splits into a part independent of wages and a part that
 * scales with the wage index W[t]:   F[c,l,t] = fin_fixed + fin_wage * W[t].
 * Under a contribution multiplier m_C (management rules, MODEL.md section
 * 12) F = m_C (fin_contrib + fin_wage W[t]) + fin_sub; fin_fixed is the
 * same sum with m_C = 1, kept so that runs without rules are unchanged.
 * Claims benefits keep their expected episode count before shocks,
 *   lambda = lam0[c,l,k,t] * U[c,t] * (J[t] if the benefit is epidemic),
 * and the episode-cost base cost0 = cost_mean * cost_index (times P[t]).
 * Payment moments are precomputed when they do not depend on the path
 * (price index deterministic, or limits indexed to prices: then
 * EY(P) = P EY(1), EY2(P) = P^2 EY2(1) exactly). */
#ifndef POOLSIM_PLAN_H
#define POOLSIM_PLAN_H

#include <stdint.h>

#include <math.h>

#include "poolsim/claims.h"
#include "poolsim/rules.h"
#include "poolsim/scenario.h"

/* Payment moments of one claims benefit in one year as functions of
 * m = ln(mean episode cost), tabulated for cubic Hermite interpolation with
 * exact derivatives (d LEV1/d mu = e^(mu + s^2/2) Phi(a - s),
 * d LEV2/d mu = 2 e^(2mu + 2s^2) Phi(a - 2s), a = (ln x - mu)/s). Grid
 * step 2^-8 in m: interpolation error below 1e-9 relative (tests). Used
 * when the price index is stochastic and limits are not indexed, where the
 * exact moments would cost ~180 ns per county, benefit and year. */
typedef struct {
    double m0, h, inv_h; /* grid start and step in ln(mean cost) */
    int n;               /* grid points */
    double *v;           /* [n][4]: EY, dEY/dm, EY2, dEY2/dm */
    double cv, d, u, c;  /* the benefit's parameters for this year */
} poolsim_plan_mtable;

/* One claims benefit of one line, one county, one year. */
typedef struct {
    double lam0;    /* expected episodes before U and J */
    double cost0;   /* cost_mean * cost_index, yuan (times P[t] in the path) */
    double lncost0; /* ln(cost0) */
    double cv, deductible, ceiling, coinsurance;
    poolsim_claims_moments m;       /* at P = P_det[t] (fixed moments) or P = 1 (scaled) */
    const poolsim_plan_mtable *tab; /* PATH mode: the benefit-year table, or NULL */
} poolsim_plan_claim;

typedef struct {
    const poolsim_scenario *s;
    int T, L, C;
    int K;                      /* max claims benefits of a line */
    int *mode;                  /* [L*K] moments mode per benefit */
    double *P_det;              /* [T] price index when medical_inflation.sd = 0 */
    double *fin_fixed;          /* [L][C][T] */
    double *fin_contrib;        /* [L][C][T] the contributions in fin_fixed (no subsidy) */
    double *fin_sub;            /* [L][C][T] the subsidies in fin_fixed */
    double *fin_wage;           /* [L][C][T] */
    double *per_capita_exp;     /* [L][C][T] per_capita benefits, yuan */
    double *enrolees;           /* [L][C][T] members of the line (unified gap_key enrolees) */
    double *levy_basis1;        /* [L][C] levy basis of year 1 */
    int *nclaims;               /* [L] claims benefits of the line */
    int **claim_benefit;        /* [L][nclaims] benefit index within the line */
    int *epidemic;              /* [L*K] */
    poolsim_plan_claim *claims; /* [L][C][K][T] */
    uint32_t *who;              /* [L][C][K] sub-stream address */
    double *budget_share, *budget_retention, *budget_overspend; /* [L][T]; share < 0: no budget */
    poolsim_rules_params *rules;                                /* [L][T] */
    double *reserve_initial;                                    /* [L] */
    int ntables;
    poolsim_plan_mtable *tables; /* [L][K][T] for PATH-mode benefits */
} poolsim_plan;

enum {
    POOLSIM_MOMENTS_FIXED = 0,  /* m holds the moments for the (deterministic) path */
    POOLSIM_MOMENTS_SCALED = 1, /* m holds moments at P = 1; multiply by P, P^2 */
    POOLSIM_MOMENTS_PATH = 2    /* recompute from cost0 * P[t] per path */
};

#define POOLSIM_PLAN_CLAIM(pl, l, c, k, t)                                                         \
    ((pl)->claims[(((size_t)(l) * (size_t)(pl)->C + (size_t)(c)) * (size_t)(pl)->K +               \
                   (size_t)(k)) *                                                                  \
                      (size_t)(pl)->T +                                                            \
                  (size_t)(t)])
#define POOLSIM_PLAN_LCT(pl, l, c, t)                                                              \
    (((size_t)(l) * (size_t)(pl)->C + (size_t)(c)) * (size_t)(pl)->T + (size_t)(t))

/* Build the plan. Returns POOLSIM_OK, POOLSIM_ENOMEM, or POOLSIM_ENUM
 * (a term is not finite: message names the quantity, county, line, year). */
int poolsim_plan_build(const poolsim_scenario *s, poolsim_plan **out /* OUT */);
/* The same with flags and threads: POOLSIM_PLAN_NO_TABLES builds no moment
 * tables (every claim's tab NULL: poolsim_plan_moments computes the exact
 * moments; for year-1 checks, not for paths), and the tables are built on
 * up to `threads` threads (the same values for any number).
 * poolsim_plan_build is poolsim_plan_build_ex(s, 0, 1, out). */
enum { POOLSIM_PLAN_NO_TABLES = 1u };
int poolsim_plan_build_ex(const poolsim_scenario *s, unsigned flags, int threads,
                          poolsim_plan **out /* OUT */);
void poolsim_plan_free(poolsim_plan *p);

/* Enrolment of class m (global index) in county c, projection year t (1-based). */
double poolsim_plan_enrol(const poolsim_scenario *s, int c, int m, int t);

/* Build / evaluate a moments table (exposed for tests). build: grid over
 * m in [m_lo, m_hi]. eval: interpolated moments at mean cost e^m, or the
 * exact formula outside the grid. */
int poolsim_plan_mtable_build(poolsim_plan_mtable *t, double cv, double d, double u, double c,
                              double m_lo, double m_hi);
/* The interpolated moments at grid point i plus the fraction w in [0, 1)
 * of the step (cubic Hermite between points i and i + 1). */
static inline void poolsim_plan_mtable_at(const poolsim_plan_mtable *t, int i, double w,
                                          poolsim_claims_moments *out /* OUT */)
{
    double w2 = w * w, w3 = w2 * w;
    double h00 = 2 * w3 - 3 * w2 + 1, h10 = (w3 - 2 * w2 + w) * t->h;
    double h01 = -2 * w3 + 3 * w2, h11 = (w3 - w2) * t->h;
    const double *a = &t->v[(size_t)i * 4], *b = a + 4;
    out->ey = h00 * a[0] + h10 * a[1] + h01 * b[0] + h11 * b[1];
    out->ey2 = h00 * a[2] + h10 * a[3] + h01 * b[2] + h11 * b[3];
    if (out->ey < 0) out->ey = 0;
    if (out->ey2 < 0) out->ey2 = 0;
    double vy = out->ey2 - out->ey * out->ey;
    out->vy = vy > 0 ? vy : 0;
}

/* (inline: evaluated for every county, benefit and year of every path) */
static inline void poolsim_plan_mtable_eval(const poolsim_plan_mtable *t, double m, double mean_x,
                                            poolsim_claims_moments *out /* OUT */)
{
    double x = (m - t->m0) * t->inv_h;
    if (!(x >= 0) || x >= (double)(t->n - 1)) {
        poolsim_claims_payment_moments(mean_x, t->cv, t->d, t->u, t->c, out);
        return;
    }
    int i = (int)x;
    poolsim_plan_mtable_at(t, i, x - i, out);
}

/* Expected payment moments of claim q at price index P (lnP = ln P). */
static inline void poolsim_plan_moments(const poolsim_plan *pl, int mode,
                                        const poolsim_plan_claim *q, double P, double lnP,
                                        poolsim_claims_moments *out /* OUT */)
{
    (void)pl;
    switch (mode) {
    case POOLSIM_MOMENTS_FIXED: *out = q->m; break;
    case POOLSIM_MOMENTS_SCALED:
        out->ey = q->m.ey * P;
        out->ey2 = q->m.ey2 * P * P;
        out->vy = q->m.vy * P * P;
        break;
    default:
        if (q->tab)
            poolsim_plan_mtable_eval(q->tab, q->lncost0 + lnP, q->cost0 * P, out);
        else
            poolsim_claims_payment_moments(q->cost0 * P, q->cv, q->deductible, q->ceiling,
                                           q->coinsurance, out);
        break;
    }
}

/* poolsim_plan_moments for the claims pc[0..n) at price indices P[0..n)
 * (lnP[t] = ln P[t]) into q[t].m, in mode `mode`: the same values, faster
 * for a row (plan.c). */
void poolsim_plan_moments_row(const poolsim_plan *pl, int mode, const poolsim_plan_claim *pc,
                              const double *P, const double *lnP, int n,
                              poolsim_claims_draw *q /* OUT: m */);

/* poolsim_plan_moments_row for `rows` rows sharing the price path P:
 * row j reads the claims pc[j pstride + t] and writes q[j qstride + t].m,
 * t in [0, n). The same values as row by row; with AVX2, in PATH mode,
 * four rows at a time (one lane per row: the rows of a line's benefit
 * in four counties share each year's table). */
void poolsim_plan_moments_rows(const poolsim_plan *pl, int mode, const poolsim_plan_claim *pc,
                               size_t pstride, const double *P, const double *lnP, int n,
                               int rows, poolsim_claims_draw *q /* OUT: m */, size_t qstride);

/* 1: poolsim_plan_moments_rows' AVX2 loop is used (the default where the
 * processor has AVX2, unless POOLSIM_SIMD=0). on: 1 or 0 to switch (1
 * only takes effect with AVX2), -1 to leave as is. Returns the previous
 * state. For tests. */
int poolsim_plan_simd(int on);

#endif
