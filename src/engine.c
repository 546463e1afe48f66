/* poolsim: the Monte Carlo engine: one path (drivers, claims, the yearly
 * rules into a record) and the OpenMP loop over blocks of paths. Saved
 * per-path values: engine_saved.c; gathering ranks under MPI:
 * engine_mpi.c. */
#include "poolsim/common.h"
#include "poolsim/engine.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "poolsim/claims.h"
#include "poolsim/manage.h"
#include "poolsim/rng.h"
#include "poolsim/mpi.h"
#include "poolsim/qhist.h"
#include "poolsim/progress.h"
#include "poolsim/rules.h"

#include "engine_internal.h"

struct poolsim_path_ws {
    poolsim_rng rng;
    poolsim_drivers *drv;
    /* claims of one path, indexed like POOLSIM_PLAN_CLAIM (l, c, k, t) */
    poolsim_rng *crng;           /* [L][C][K][T] sub-streams */
    poolsim_claims_draw *cdraw;  /* [L][C][K][T] expected count, moments, draw constants */
    /* sub-stream of each crng entry (compacted to the claims benefits):
     * year (1-based) and who */
    uint32_t *cyear, *cwho;
    size_t nstreams;
    double *claims;              /* [L][C][T] claims drawn (before rules' multipliers, budget) */
    double *lnP;                 /* [T] ln P[t] */
    poolsim_engine_cache *cache; /* draws kept between runs, or NULL */
    poolsim_rules_county *cty;   /* [C] */
    double *reserve;             /* [L] */
    double *balance;             /* [L][C] */
    double *fin_prev;            /* [L][C] */
    double *wts;                 /* [C] unified: gap weights (scratch) */
    /* management rules (MODEL.md section 12) */
    double *mult;    /* [L][2] multipliers in force: contribution, benefits */
    double *pending; /* [L][2][T] factors taking effect in year t */
    int *times;      /* [nrules] firings so far on this path */
};

poolsim_path_ws *poolsim_path_ws_alloc(const poolsim_plan *pl)
{
    poolsim_path_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t L = (size_t)pl->L, C = (size_t)pl->C;
    size_t K = (size_t)pl->K, T = (size_t)pl->T;
    size_t n = L * C * K * T > 0 ? L * C * K * T : 1;
    w->drv = poolsim_drivers_alloc(pl->s);
    w->crng = malloc(n * sizeof *w->crng);
    w->cdraw = malloc(n * sizeof *w->cdraw);
    w->cyear = malloc(n * sizeof *w->cyear);
    w->cwho = malloc(n * sizeof *w->cwho);
    if (w->cyear && w->cwho)
        for (int l = 0; l < pl->L; l++)
            for (int c = 0; c < pl->C; c++)
                for (int kk = 0; kk < pl->nclaims[l]; kk++)
                    for (int t = 0; t < pl->T; t++, w->nstreams++) {
                        w->cyear[w->nstreams] = (uint32_t)(t + 1);
                        w->cwho[w->nstreams] = pl->who[((size_t)l * C + (size_t)c) * K + (size_t)kk];
                    }
    w->claims = calloc(L * C * T > 0 ? L * C * T : 1, sizeof *w->claims);
    w->lnP = malloc((T > 0 ? T : 1) * sizeof *w->lnP);
    w->cty = calloc(C, sizeof *w->cty);
    w->reserve = calloc(L, sizeof(double));
    w->balance = calloc(L * C, sizeof(double));
    w->fin_prev = calloc(L * C, sizeof(double));
    w->wts = calloc(C ? C : 1, sizeof(double));
    w->mult = calloc(L * 2, sizeof(double));
    w->pending = calloc(L * 2 * (size_t)pl->T, sizeof(double));
    w->times = calloc((size_t)pl->s->nrules + 1, sizeof(int));
    if (!w->drv || !w->crng || !w->cdraw || !w->cyear || !w->cwho || !w->claims || !w->lnP || !w->cty || !w->reserve ||
        !w->balance || !w->fin_prev || !w->wts || !w->mult || !w->pending || !w->times) {
        poolsim_path_ws_free(w);
        return NULL;
    }
    return w;
}

void poolsim_path_ws_free(poolsim_path_ws *w)
{
    if (!w) return;
    poolsim_drivers_free(w->drv);
    free(w->crng);
    free(w->cdraw);
    free(w->cyear);
    free(w->cwho);
    free(w->claims);
    free(w->lnP);
    free(w->cty);
    free(w->reserve);
    free(w->balance);
    free(w->fin_prev);
    free(w->wts);
    free(w->mult);
    free(w->pending);
    free(w->times);
    free(w);
}

/* Claims drawn for every line, county and year of path `path` (MODEL.md
 * section 3), into w->claims[l][c][t]: the aggregates summed over the
 * line's claims benefits, before the benefits multiplier of management
 * rules and the global budget (applied year by year with the rules). The
 * drivers must have been drawn. The draws do not depend on the yearly
 * rules, so they are all taken before them, in passes over every claims
 * benefit of the path, each a loop of independent iterations which the
 * processor overlaps: expected counts; payment moments (a benefit in four
 * counties at a time, poolsim_plan_moments_rows); the sub-streams
 * positioned with their first Philox blocks computed (four at a time,
 * poolsim_claims_streams); then
 * (compound) the Poisson constants and the counts, the gamma constants
 * and the amounts (poolsim_claims_compound_count_all, _amount_all: four
 * at a time with AVX2), as poolsim_claims_aggregate would draw them one
 * by one; then the sum per line, county and year. */
static void claims_draw(const poolsim_plan *pl, unsigned long long seed, uint32_t path,
                        poolsim_path_ws *w)
{
    const poolsim_drivers *d = w->drv;
    int T = pl->T, L = pl->L, C = pl->C, K = pl->K, noise = pl->s->claims_noise;
    size_t uT = (size_t)T, n = 0;
    poolsim_claims_draw *q = w->cdraw;
    poolsim_rng *r = w->crng;
    for (int t = 0; t < T; t++) w->lnP[t] = log(d->P[t]);
    /* pass 1: i runs over (l, c, k, t) in POOLSIM_PLAN_CLAIM order,
     * compacted to the line's claims benefits (row (l, c, k) starts at
     * line l's first + (c nclaims[l] + k) T) */
    for (int l = 0; l < L; l++) {
        size_t nl = n, nk = (size_t)pl->nclaims[l];
        for (int c = 0; c < C; c++)
            for (int kk = 0; kk < pl->nclaims[l]; kk++) {
                int epi = pl->epidemic[l * K + kk];
                const double *U = &d->U[(size_t)c * uT];
                const poolsim_plan_claim *pc = &POOLSIM_PLAN_CLAIM(pl, l, c, kk, 0);
                for (int t = 0; t < T; t++)
                    q[n + (size_t)t].lambda = pc[t].lam0 * U[t] * (epi ? d->J[t] : 1.0);
                n += uT;
            }
        /* the payment moments of a benefit in every county at once */
        for (int kk = 0; kk < pl->nclaims[l]; kk++)
            poolsim_plan_moments_rows(pl, pl->mode[l * K + kk], &POOLSIM_PLAN_CLAIM(pl, l, 0, kk, 0),
                                      (size_t)K * uT, d->P, w->lnP, T, C, &q[nl + (size_t)kk * uT],
                                      nk * uT);
    }
    /* every row's sub-streams with their first blocks */
    if (noise != POOLSIM_NOISE_NONE)
        poolsim_claims_streams(r, seed, path, w->cyear, w->cwho, w->nstreams);
    if (noise == POOLSIM_NOISE_COMPOUND) {
        poolsim_claims_compound_count_all(q, r, n);
        poolsim_claims_compound_amount_all(q, r, n); /* lambda now holds the amount */
    } else {
        for (size_t i = 0; i < n; i++)
            q[i].lambda = poolsim_claims_aggregate(noise, q[i].lambda, &q[i].m, &r[i]);
    }
    n = 0;
    for (int l = 0; l < L; l++)
        for (int c = 0; c < C; c++) {
            double *A = &w->claims[((size_t)l * (size_t)C + (size_t)c) * uT];
            for (int t = 0; t < T; t++) A[t] = 0;
            for (int kk = 0; kk < pl->nclaims[l]; kk++)
                for (int t = 0; t < T; t++, n++) A[t] += q[n].lambda;
        }
}

/* Claims paid by the fund given the drawn aggregate A (MODEL.md section
 * 3): multiplied by the benefits multiplier mB of management rules
 * (section 12), then the global budget with the county's financing F;
 * share, retention and overspend are the line-year's budget terms
 * (share < 0: no budget). */
static inline double claims_paid(double A, double F, double mB, double share, double retention,
                                 double overspend)
{
    if (mB != 1.0) A *= mB;
    if (share >= 0) {
        double B = share * F;
        A = A <= B ? A + retention * (B - A) : B + overspend * (A - B);
    }
    return A;
}

/* ---- draws kept between runs (sweep and solve over rule-only levers) ----
 *
 * A path's random part is its wage index W[t] and its claims drawn
 * A[l][c][t] (before management multipliers and the global budget): the
 * yearly rules take them as given. They are determined by the seed, the
 * path and the inputs serialised by cache_signature (the drivers'
 * parameters, the ids that address the sub-streams, and every plan term
 * that enters A); the rules' parameters (levy, cap, brackets, uncovered,
 * pooling terms, management rules, budget, initial reserve, balances) and
 * the financing terms (applied to W each year) are not among them. A run
 * whose signature equals the cache's reuses the kept W and A of every
 * cached path, and only the rest runs again: the results are bit for bit
 * those of a full simulation. Any new input of W or A must be added to
 * the signature. */
struct poolsim_engine_cache {
    size_t max_bytes;
    unsigned char *sig; /* signature of the kept draws */
    size_t nsig;
    size_t per;          /* doubles per path: T + L C T */
    long cap;            /* paths kept: [0, cap) */
    double *data;        /* [cap][per]: W then A */
    unsigned char *have; /* [cap] 1: path kept */
};

poolsim_engine_cache *poolsim_engine_cache_alloc(size_t max_bytes)
{
    poolsim_engine_cache *c = calloc(1, sizeof *c);
    if (c) c->max_bytes = max_bytes;
    return c;
}

void poolsim_engine_cache_free(poolsim_engine_cache *c)
{
    if (!c) return;
    free(c->sig);
    free(c->data);
    free(c->have);
    free(c);
}

long poolsim_engine_cache_paths(const poolsim_engine_cache *c)
{
    long n = 0;
    for (long p = 0; c && p < c->cap; p++) n += c->have[p];
    return n;
}

typedef struct {
    unsigned char *b;
    size_t n, cap;
    int fail;
} sigbuf;

static void sig_put(sigbuf *s, const void *x, size_t n)
{
    if (s->fail || n == 0) return;
    if (s->n + n > s->cap) {
        size_t nc = (s->n + n) * 2 + 256;
        unsigned char *nb = realloc(s->b, nc);
        if (!nb) {
            s->fail = 1;
            return;
        }
        s->b = nb;
        s->cap = nc;
    }
    memcpy(s->b + s->n, x, n);
    s->n += n;
}

static void sig_d(sigbuf *s, double x)
{
    sig_put(s, &x, sizeof x);
}

static void sig_i(sigbuf *s, long long x)
{
    sig_put(s, &x, sizeof x);
}

static unsigned char *cache_signature(const poolsim_plan *pl, unsigned long long seed, size_t *n)
{
    const poolsim_scenario *s = pl->s;
    sigbuf b = {0};
    size_t LK = (size_t)pl->L * (size_t)pl->K, LCK = LK * (size_t)pl->C;
    sig_i(&b, (long long)seed);
    sig_i(&b, pl->T);
    sig_i(&b, pl->L);
    sig_i(&b, pl->C);
    sig_i(&b, pl->K);
    sig_i(&b, s->claims_noise);
    const poolsim_ar1 *ar[2] = {&s->medical_inflation, &s->wage_growth};
    for (int i = 0; i < 2; i++) {
        sig_d(&b, ar[i]->mean);
        sig_d(&b, ar[i]->ar1);
        sig_d(&b, ar[i]->sd);
    }
    sig_d(&b, s->wage_inflation_corr);
    sig_d(&b, s->utilisation.ar1);
    sig_d(&b, s->utilisation.sd);
    sig_d(&b, s->utilisation.rho);
    sig_d(&b, s->epidemic.prob);
    sig_d(&b, s->epidemic.mean);
    sig_d(&b, s->epidemic.sd);
    for (int c = 0; c < pl->C; c++) sig_i(&b, poolsim_rng_who(s->counties[c].id, NULL, NULL));
    sig_put(&b, pl->P_det, (size_t)pl->T * sizeof(double));
    sig_put(&b, pl->nclaims, (size_t)pl->L * sizeof(int));
    sig_put(&b, pl->mode, LK * sizeof(int));
    sig_put(&b, pl->epidemic, LK * sizeof(int));
    sig_put(&b, pl->who, LCK * sizeof(uint32_t));
    for (size_t i = 0; i < LCK * (size_t)pl->T; i++) {
        const poolsim_plan_claim *q = &pl->claims[i];
        double v[10] = {q->lam0,    q->cost0,       q->lncost0, q->cv,    q->deductible,
                        q->ceiling, q->coinsurance, q->m.ey,    q->m.ey2, q->m.vy};
        sig_put(&b, v, sizeof v);
    }
    if (b.fail) {
        free(b.b);
        return NULL;
    }
    *n = b.n;
    return b.b;
}

/* Make c hold draws for pl and seed, for paths [0, min(paths, what fits)):
 * kept draws stay when the signature is unchanged, else all are dropped. */
static int cache_prepare(poolsim_engine_cache *c, const poolsim_plan *pl, unsigned long long seed,
                         long paths)
{
    size_t n = 0;
    unsigned char *sig = cache_signature(pl, seed, &n);
    if (!sig) return POOLSIM_ENOMEM;
    size_t per = (size_t)pl->T + (size_t)pl->L * (size_t)pl->C * (size_t)pl->T;
    if (!c->sig || c->nsig != n || memcmp(c->sig, sig, n) != 0 || c->per != per) {
        free(c->sig);
        free(c->data);
        free(c->have);
        c->sig = sig;
        c->nsig = n;
        c->per = per;
        c->cap = 0;
        c->data = NULL;
        c->have = NULL;
    } else {
        free(sig);
    }
    long fit = per > 0 ? (long)(c->max_bytes / (per * sizeof(double))) : 0;
    long want = paths < fit ? paths : fit;
    if (want > c->cap) {
        /* on failure keep what there is: the other paths are simulated */
        double *nd = realloc(c->data, (size_t)want * per * sizeof(double));
        if (!nd) return POOLSIM_OK;
        c->data = nd;
        unsigned char *nh = realloc(c->have, (size_t)want);
        if (!nh) return POOLSIM_OK;
        memset(nh + c->cap, 0, (size_t)(want - c->cap));
        c->have = nh;
        c->cap = want;
    }
    return POOLSIM_OK;
}

/* The path's wage index (*W, [T]) and drawn claims (*A, [L][C][T]): read in
 * place from the cache when kept, else drawn into w (and kept when the
 * cache has room for the path). */
static void path_draws(const poolsim_plan *pl, unsigned long long seed, uint32_t path,
                       poolsim_path_ws *w, const double **W, const double **A)
{
    poolsim_engine_cache *c = w->cache;
    size_t T = (size_t)pl->T, n = (size_t)pl->L * (size_t)pl->C * T;
    if (c && (long)path < c->cap && c->have[path]) {
        const double *src = c->data + (size_t)path * c->per;
        *W = src;
        *A = src + T;
        return;
    }
    poolsim_drivers_draw_seed(pl->s, seed, path, &w->rng, w->drv);
    claims_draw(pl, seed, path, w);
    if (c && (long)path < c->cap) {
        double *dst = c->data + (size_t)path * c->per;
        memcpy(dst, w->drv->W, T * sizeof(double));
        memcpy(dst + T, w->claims, n * sizeof(double));
        c->have[path] = 1;
    }
    *W = w->drv->W;
    *A = w->claims;
}

int poolsim_engine_path(const poolsim_plan *pl, const poolsim_stats_layout *lay,
                        unsigned long long seed, uint32_t path, poolsim_path_ws *w, double *rec)
{
    const poolsim_scenario *s = pl->s;
    int T = pl->T, L = pl->L, C = pl->C;
    size_t uT = (size_t)T, uC = (size_t)C;
    const double *W, *A;
    path_draws(pl, seed, path, w, &W, &A);
    for (int l = 0; l < L; l++) {
        w->reserve[l] = pl->reserve_initial[l];
        for (int c = 0; c < C; c++) {
            w->balance[(size_t)l * uC + (size_t)c] = s->counties[c].balance[l];
            w->fin_prev[(size_t)l * uC + (size_t)c] = pl->levy_basis1[(size_t)l * uC + (size_t)c];
            rec[lay->county_burden_total + (size_t)l * uC + (size_t)c] = 0;
            rec[lay->county_burden_worst_year + (size_t)l * uC + (size_t)c] = 0;
        }
        rec[lay->first_exh + (size_t)l] = 0;
        rec[lay->city_burden_total + (size_t)l] = 0;
        rec[lay->government_burden_total + (size_t)l] = 0;
        w->mult[2 * l] = w->mult[2 * l + 1] = 1.0;
        for (int k = 0; k < 2 * T; k++) w->pending[(size_t)l * 2 * uT + (size_t)k] = 1.0;
    }
    /* who pays, per county over all lines (MODEL.md section 13) */
    for (int c = 0; c < C; c++) {
        for (int t = 0; t < T; t++) rec[lay->burden + (size_t)c * uT + (size_t)t] = 0;
        rec[lay->burden_total + (size_t)c] = 0;
    }
    for (int i = 0; i < s->nrules; i++) w->times[i] = 0;
    for (int t = 0; t < T; t++) {
        for (int l = 0; l < L; l++) {
            poolsim_rules_county *cty = w->cty;
            /* the multipliers of management rules decided in earlier years */
            double *mult = &w->mult[2 * l], *pend = &w->pending[(size_t)l * 2 * uT];
            mult[0] *= pend[t];
            mult[1] *= pend[uT + (size_t)t];
            const double mC = mult[0], mB = mult[1], Wt = W[t];
            /* line-year lt; county c's line-county-year POOLSIM_PLAN_LCT is
             * i0 + c T, the index of its record slots too */
            const size_t lt = (size_t)l * uT + (size_t)t, i0 = (size_t)l * uC * uT + (size_t)t;
            const double bshare = pl->budget_share[lt], bret = pl->budget_retention[lt],
                         bover = pl->budget_overspend[lt];
            double *fprev = &w->fin_prev[(size_t)l * uC];
            double nf = 0; /* sum of x - x: NaN once an F or E is not finite */
            for (int c = 0; c < C; c++) {
                const size_t i = i0 + (size_t)c * uT;
                /* with m_C = 1 exactly the sum of a run without rules */
                const double F =
                    mC == 1.0 ? pl->fin_fixed[i] + pl->fin_wage[i] * Wt
                              : mC * (pl->fin_contrib[i] + pl->fin_wage[i] * Wt) + pl->fin_sub[i];
                const double E =
                    pl->per_capita_exp[i] + claims_paid(A[i], F, mB, bshare, bret, bover);
                nf += (F - F) + (E - E);
                cty[c].financing = F;
                cty[c].expenditure = E;
                cty[c].levy_basis = fprev[c];
                fprev[c] = F;
                rec[lay->financing + i] = F;
                rec[lay->expenditure + i] = E;
            }
            for (int c = 0; !(nf == 0) && c < C; c++) {
                const double F = cty[c].financing, E = cty[c].expenditure;
                if (!isfinite(F) || !isfinite(E)) {
                    poolsim_error_report(
                        __FILE__, __LINE__,
                        "%s is not finite for county %s, line %s, year %d (path %u)",
                        isfinite(F) ? "expenditure" : "financing", s->counties[c].id,
                        s->lines[l].id, poolsim_scenario_year(s, t + 1), path);
                    return POOLSIM_ENUM;
                }
            }
            poolsim_rules_line lo;
            const poolsim_rules_params *rp = &pl->rules[lt];
            const int unified = rp->pooling_mode == POOLSIM_POOLING_UNIFIED;
            int st;
            if (unified) {
                /* 统收统支 (MODEL.md section 10): the fund B is kept in
                 * reserve[l]; in the first unified year the reserve and
                 * the county balances move up into it */
                if (t == 0 || rp[-1].pooling_mode != POOLSIM_POOLING_UNIFIED)
                    w->reserve[l] =
                        poolsim_rules_move_up(uC, &w->reserve[l], &w->balance[(size_t)l * uC]);
                for (int c = 0; c < C; c++) cty[c].enrolees = pl->enrolees[i0 + (size_t)c * uT];
                st = poolsim_rules_unified_year(rp, uC, &w->reserve[l], cty, w->wts, &lo);
            } else {
                st = poolsim_rules_year(rp, uC, &w->reserve[l], &w->balance[(size_t)l * uC], cty,
                                        &lo);
            }
            if (st != POOLSIM_OK || !isfinite(lo.reserve_end) || lo.financing_total <= 0) {
                poolsim_error_report(__FILE__, __LINE__, "%s for line %s, year %d (path %u)",
                                     lo.financing_total <= 0
                                         ? "total financing is zero, so the "
                                           "reserve ratio is undefined"
                                         : "the yearly rules produced a non-finite value",
                                     s->lines[l].id, poolsim_scenario_year(s, t + 1), path);
                return POOLSIM_ENUM;
            }
            rec[lay->reserve_balance + lt] = lo.reserve_end;
            rec[lay->reserve_ratio + lt] = lo.reserve_end / lo.financing_total;
            rec[lay->exhaustion_year_prob + lt] = lo.exhausted;
            rec[lay->financing_total + lt] = lo.financing_total;
            /* the counties' records, with the sums for the line and fund
             * health (MODEL.md section 12): total expenditure, government
             * burden, pooled balance */
            double etot = 0, gov = lo.city_burden, pb = lo.reserve_end;
            int zero_e = 0;
            double *cbt = &rec[lay->county_burden_total + (size_t)l * uC];
            double *cbw = &rec[lay->county_burden_worst_year + (size_t)l * uC];
            for (int c = 0; c < C; c++) {
                const size_t i = i0 + (size_t)c * uT;
                const poolsim_rules_county *k = &cty[c];
                const double cs = k->county_share, e = k->expenditure, be = k->balance_end;
                etot += e;
                rec[lay->shortfall + i] = k->shortfall > 0;
                rec[lay->county_burden + i] = cs;
                rec[lay->reserve_paid + i] = k->reserve_paid;
                rec[lay->levy + i] = k->levy;
                rec[lay->city_uncovered + i] = unified ? 0.0 : k->city_share; /* 0: no reserve */
                rec[lay->balance + i] = be;
                rec[lay->shortfall_amount + i] = k->shortfall;
                cbt[c] += cs;
                cbw[c] = cs > cbw[c] ? cs : cbw[c];
                rec[lay->burden + (size_t)c * uT + (size_t)t] += cs;
                gov += cs;
                pb += be;
                /* an expenditure of zero is reported below */
                zero_e |= !(e > 0);
                rec[lay->county_months_covered + i] = 12.0 * be / e;
            }
            rec[lay->expenditure_total + lt] = etot;
            rec[lay->city_burden + lt] = lo.city_burden;
            rec[lay->government_burden + lt] = gov;
            rec[lay->city_burden_total + (size_t)l] += lo.city_burden;
            rec[lay->government_burden_total + (size_t)l] += gov;
            if (lo.exhausted && rec[lay->first_exh + (size_t)l] == 0)
                rec[lay->first_exh + (size_t)l] = t + 1;
            poolsim_health h;
            if (poolsim_manage_health(pb, lo.reserve_end, lo.financing_total, etot, &h) !=
                POOLSIM_OK) {
                poolsim_error_report(__FILE__, __LINE__,
                                     "total expenditure is zero, so the months of payment "
                                     "covered are undefined for line %s, year %d (path %u)",
                                     s->lines[l].id, poolsim_scenario_year(s, t + 1), path);
                return POOLSIM_ENUM;
            }
            for (int c = 0; zero_e && c < C; c++)
                if (!(cty[c].expenditure > 0)) {
                    poolsim_error_report(__FILE__, __LINE__,
                                         "expenditure of county %s is zero, so the months of "
                                         "payment its balance covers are undefined for line %s, "
                                         "year %d (path %u)",
                                         s->counties[c].id, s->lines[l].id,
                                         poolsim_scenario_year(s, t + 1), path);
                    return POOLSIM_ENUM;
                }
            rec[lay->pooled_balance + lt] = pb;
            rec[lay->months_covered + lt] = h.months_covered;
            rec[lay->surplus_rate + lt] = h.surplus_rate;
            rec[lay->low_months + lt] = h.months_covered < s->warn_months;
            rec[lay->contribution_factor + lt] = mC;
            rec[lay->benefit_factor + lt] = mB;
            for (int k = 0; k < s->nrules; k++) {
                const poolsim_mgmt_rule *ru = &s->rules[k];
                if (ru->line != l) continue;
                double v = poolsim_manage_indicator(&h, ru->indicator);
                if (poolsim_manage_decide(ru, poolsim_scenario_year(s, t + 1), v, &w->times[k]))
                    poolsim_manage_schedule(ru, t, T, &pend[(size_t)ru->action * uT]);
                size_t kt = (size_t)k * uT + (size_t)t;
                rec[lay->fired + kt] = w->times[k] > 0;
                rec[lay->times_mean + kt] = w->times[k];
            }
        }
    }
    for (int c = 0; c < C; c++) {
        const double *b = &rec[lay->burden + (size_t)c * uT];
        double tot = 0, worst = 0;
        for (int t = 0; t < T; t++) {
            tot += b[t];
            worst = b[t] > worst ? b[t] : worst;
        }
        rec[lay->burden_total + (size_t)c] = tot;
        rec[lay->burden_worst_year + (size_t)c] = worst;
    }
    return POOLSIM_OK;
}

int poolsim_engine_fill_meta(const poolsim_scenario *s, poolsim_results *r)
{
    for (int t = 0; t < r->T; t++) r->years[t] = poolsim_scenario_year(s, t + 1);
    for (int l = 0; l < r->L; l++) {
        if (!(r->line_ids[l] = strdup(s->lines[l].id))) return POOLSIM_ENOMEM;
        if (!(r->line_names[l] = strdup(s->lines[l].name))) return POOLSIM_ENOMEM;
        for (int t = 0; t < r->T; t++) {
            poolsim_rules_params p;
            poolsim_scenario_rules_params(s, l, r->years[t], &p);
            size_t i = (size_t)l * (size_t)r->T + (size_t)t;
            r->cap_ratio[i] = p.cap_ratio;
            r->pooling_mode[i] = p.pooling_mode;
            r->gap_city_share[i] = p.city_share;
            r->gap_key[i] = p.gap_key;
            r->county_liability[i] = p.county_liability;
            r->tolerance[i] = p.tolerance;
            /* the readings that change results, for the report's table */
            int nb = p.nbrackets;
            r->sharing_marginal[i] = p.sharing_mode == POOLSIM_SHARING_MARGINAL;
            r->top_bracket_from[i] = nb > 1 ? p.up_to[nb - 2] : 0;
            r->top_bracket_reserve[i] = nb > 0 ? p.reserve_share[nb - 1] : 0;
            r->uncovered_city[i] = p.uncovered == POOLSIM_UNCOVERED_CITY;
            r->cap_top_up[i] = p.cap_mode == POOLSIM_CAP_TOP_UP;
        }
    }
    for (int l = 0; l < r->L; l++) r->warn_months[l] = s->warn_months;
    for (int k = 0; k < r->R && k < s->nrules; k++) {
        if (!(r->rule_ids[k] = strdup(s->rules[k].id))) return POOLSIM_ENOMEM;
        r->rule_line[k] = s->rules[k].line;
    }
    for (int c = 0; c < r->C; c++) {
        if (!(r->county_ids[c] = strdup(s->counties[c].id))) return POOLSIM_ENOMEM;
        if (!(r->county_names[c] = strdup(s->counties[c].name))) return POOLSIM_ENOMEM;
    }
    if (!(r->scenario_name = strdup(s->name))) return POOLSIM_ENOMEM;
    if (s->path && !(r->scenario_path = strdup(s->path))) return POOLSIM_ENOMEM;
    if (!(r->lang = strdup(s->lang ? s->lang : "en"))) return POOLSIM_ENOMEM;
    r->claims_noise = s->claims_noise;
    return POOLSIM_OK;
}

/* What a run's results hold besides the values, shared by engine_run and
 * poolsim_engine_frame. */

static int run_threads(const poolsim_engine_opts *o)
{
    return o->threads > 0 ? o->threads : omp_get_max_threads();
}

/* The run's dimensions: the plan's T, L, C (plan.c takes them from s) and
 * the scenario's rules. */
static poolsim_dims run_dims(const poolsim_scenario *s)
{
    return (poolsim_dims){.T = s->horizon_years, .L = s->nlines, .C = s->ncounties, .R = s->nrules};
}

/* Rows not computed: not present on every rank (rank 0's finish marks its own). */
static void mark_rows(poolsim_results *r, const poolsim_engine_opts *o)
{
    for (int row = 0; o->rows && row < POOLSIM_SCHEMA_NROWS; row++)
        if (!o->rows[row] && poolsim_schema[row].source == POOLSIM_SRC_REC) r->present[row] = 0;
}

static int run_meta(poolsim_results *r, const poolsim_engine_opts *o, int nthreads, int ranks,
                    int exact)
{
    r->seed = o->seed;
    r->paths = o->paths;
    r->threads = nthreads;
    r->ranks = ranks;
    free(r->quantile_method);
    r->quantile_method = strdup(exact ? "exact type-7 order statistics over all paths"
                                      : "logarithmic histograms (relative error <= 0.049%), type-7 "
                                        "interpolation between bucket midpoints");
    return r->quantile_method ? POOLSIM_OK : POOLSIM_ENOMEM;
}

int poolsim_engine_frame(const poolsim_scenario *s, const poolsim_engine_opts *o,
                         poolsim_results **res)
{
    *res = NULL;
    poolsim_dims dims = run_dims(s);
    poolsim_stats_layout lay;
    poolsim_stats_layout_init_dims(&lay, &dims);
    poolsim_results *r = poolsim_results_alloc_dims(&dims);
    int st = r ? poolsim_engine_fill_meta(s, r) : POOLSIM_ENOMEM;
    if (st == POOLSIM_OK) {
        mark_rows(r, o);
        st = run_meta(r, o, run_threads(o), poolsim_mpi_size(),
                      poolsim_stats_exact_for(&lay, o->paths));
    }
    if (st != POOLSIM_OK) {
        poolsim_results_free(r);
        return st;
    }
    *res = r;
    return POOLSIM_OK;
}

/* The run's statistics. The management multipliers (contribution_factor,
 * benefit_factor) of a line that no management rule acts on are 1 on
 * every path (poolsim_engine_path): declared so, their values are not
 * kept (poolsim_stats_alloc_fixed). */
static poolsim_stats *stats_alloc(const poolsim_scenario *s, const poolsim_stats_layout *lay,
                                  long paths)
{
    unsigned char *fixed = calloc(lay->nq ? lay->nq : 1, 1);
    double *value = malloc((lay->nq ? lay->nq : 1) * sizeof *value);
    poolsim_stats *st = NULL;
    if (fixed && value) {
        const int rows[2] = {POOLSIM_ROW_contribution_factor, POOLSIM_ROW_benefit_factor};
        size_t T = (size_t)lay->T;
        for (int l = 0; l < lay->L; l++) {
            int ruled = 0;
            for (int k = 0; k < s->nrules; k++) ruled |= s->rules[k].line == l;
            for (int j = 0; j < 2 && !ruled; j++) {
                if (lay->qchan[rows[j]] == POOLSIM_NO_SLOT) continue;
                for (size_t t = 0; t < T; t++) {
                    size_t q = lay->qchan[rows[j]] + (size_t)l * T + t;
                    fixed[q] = 1;
                    value[q] = 1.0;
                }
            }
        }
        st = poolsim_stats_alloc_fixed(lay, paths, fixed, value);
    }
    free(fixed);
    free(value);
    return st;
}

/* A helper thread that maps the memory the paths will write, while the
 * plan is built (poolsim_stats_warm): on the virtual machines measured,
 * the first write to each page costs 4 to 9 us, and the four-county run
 * keeps 6,300 pages of values, which the path threads would otherwise
 * fault in one by one. It only reads; it is joined before the values are
 * read. Only in exact mode (histograms keep no values). Without it (one
 * thread, or a failure to start it) the path threads map their share
 * themselves (poolsim_stats_prefault). */
typedef struct {
    poolsim_stats *st;
    long first, end;
    int running;
    int stop; /* set (atomically) when the run no longer needs it */
    pthread_t t;
} warm_job;

static void *warm_main(void *arg)
{
    warm_job *j = arg;
    poolsim_stats_warm(j->st, j->first, j->end, &j->stop);
    return NULL;
}

static void warm_start(warm_job *j)
{
    pthread_attr_t a;
    sigset_t all, old;
    if (pthread_attr_init(&a) != 0) return;
    /* no signal for it (the handlers' flags are read by the others) */
    if (pthread_attr_setstacksize(&a, (size_t)256 << 10) == 0 && sigfillset(&all) == 0 &&
        pthread_sigmask(SIG_SETMASK, &all, &old) == 0) {
        j->running = pthread_create(&j->t, &a, warm_main, j) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_attr_destroy(&a);
}

/* Stop the helper where it is (a run interrupted, or longer to map than
 * the paths took) and wait for it. */
static void warm_join(warm_job *j)
{
    if (j->running) {
        __atomic_store_n(&j->stop, 1, __ATOMIC_RELAXED);
        pthread_join(j->t, NULL);
    }
    j->running = 0;
}

static int engine_run(const poolsim_scenario *s, const poolsim_engine_opts *o,
                      poolsim_results **res, poolsim_saved_paths **saved)
{
    *res = NULL;
    if (saved) *saved = NULL;
    poolsim_plan *pl = NULL;
    int nthreads = run_threads(o);
    poolsim_stats_layout lay;
    poolsim_dims dims = run_dims(s);
    poolsim_stats_layout_init_dims(&lay, &dims);
    poolsim_stats *stats = stats_alloc(s, &lay, o->paths);
    if (stats && o->rows && poolsim_stats_select(stats, o->rows) != POOLSIM_OK) {
        poolsim_stats_free(stats);
        stats = NULL;
    }
    int rank = poolsim_mpi_rank(), size = poolsim_mpi_size();
    long nblocks = stats ? poolsim_stats_nblocks(stats) : 0;
    long b0 = nblocks * rank / size, b1 = nblocks * (rank + 1) / size;
    long myfirst = 0, myend = 0, tmp;
    if (b1 > b0) {
        poolsim_stats_block_range(stats, b0, &myfirst, &tmp);
        poolsim_stats_block_range(stats, b1 - 1, &tmp, &myend);
    }
    /* the kept values this rank writes (rank 0 also receives the other
     * ranks'), mapped by a helper thread while the plan is built */
    warm_job warm = {.st = stats,
                     .first = rank == 0 ? 0 : myfirst,
                     .end = rank == 0 ? o->paths : myend};
    if (stats && nthreads > 1 && poolsim_stats_exact(stats)) warm_start(&warm);
    int st = poolsim_plan_build_ex(s, 0, nthreads, &pl);
    if (st != POOLSIM_OK) {
        warm_join(&warm);
        poolsim_stats_free(stats);
        return st;
    }
    poolsim_results *r = poolsim_results_alloc_dims(&dims);
    poolsim_saved_paths *sp =
        o->save_paths ? poolsim_engine_saved_alloc(o->paths, pl->T, pl->L, pl->C, o->saved_only)
                      : NULL;
    size_t bps = stats ? poolsim_block_packed_size(stats) : 0;
    double *stash = rank > 0 ? malloc(((size_t)(b1 - b0) * bps + 1) * sizeof(double)) : NULL;
    if (!stats || !r || (o->save_paths && !sp) || (rank > 0 && !stash)) {
        warm_join(&warm);
        poolsim_stats_free(stats);
        poolsim_results_free(r);
        poolsim_saved_paths_free(sp);
        poolsim_plan_free(pl);
        free(stash);
        return POOLSIM_ENOMEM;
    }
    poolsim_engine_cache *cache =
        o->cache && cache_prepare(o->cache, pl, o->seed, o->paths) == POOLSIM_OK ? o->cache : NULL;
    int show = o->progress && rank == 0 && isatty(STDERR_FILENO);
    long mypaths = myend - myfirst;
    double t0 = poolsim_now_seconds(), last = 0;
    int status = POOLSIM_OK;
    /* side work only where it can overlap paths (a thread and a block of
     * paths besides its own) */
    int side = o->side && nthreads > 1 && b1 - b0 >= 2;

    poolsim_fold_queue fq;
    if (poolsim_fold_queue_init(&fq, b0, b1, nthreads) != POOLSIM_OK) status = POOLSIM_ENOMEM;

    if (status == POOLSIM_OK) {
#pragma omp parallel num_threads(nthreads) shared(status, last, fq)
        {
            poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
            if (w) w->cache = cache;
            poolsim_block *blk = NULL;
#pragma omp critical(poolsim_fold)
            blk = poolsim_fold_queue_block(&fq, stats);
            /* the thread's TAIL candidates or histograms, whichever blocks
             * it draws (merged once, at the end) */
            poolsim_block *acc = poolsim_block_alloc(stats);
            double *rec = malloc(lay.n * sizeof(double));
            int mine = (w && blk && acc && rec) ? POOLSIM_OK : POOLSIM_ENOMEM;
            if (mine != POOLSIM_OK) {
#pragma omp atomic write
                status = mine;
            } else {
                /* the memory the paths will write, mapped before they run
                 * (rank 0 also receives the other ranks' values) */
                poolsim_block_prefault(acc, stats);
                if (!warm.running)
                    poolsim_stats_prefault(stats, warm.first, warm.end, omp_get_thread_num(),
                                           omp_get_num_threads());
            }
#pragma omp barrier
            if (side) {
#pragma omp single nowait
                o->side(o->side_arg);
            }
#pragma omp for schedule(dynamic, 1)
            for (long b = b0; b < b1; b++) {
                poolsim_fold_queue_wait(&fq, b);
                int cur;
#pragma omp atomic read
                cur = status;
                int stop = o->stop && *o->stop;
                long first, end;
                poolsim_stats_block_range(stats, b, &first, &end);
                if (cur == POOLSIM_OK && !stop && blk && acc) {
                    poolsim_block_reset(blk, b);
                    for (long p = first; p < end && mine == POOLSIM_OK; p++) {
                        mine = poolsim_engine_path(pl, &lay, o->seed, (uint32_t)p, w, rec);
                        if (mine == POOLSIM_OK)
                            mine = poolsim_block_add_to(blk, acc, stats, p, rec);
                        if (mine == POOLSIM_OK && sp) poolsim_engine_saved_put(sp, &lay, p, rec);
                    }
                }
                int bst = mine != POOLSIM_OK ? mine : stop ? POOLSIM_EINTR : POOLSIM_OK;
#pragma omp critical(poolsim_fold)
                {
                    int now;
#pragma omp atomic read
                    now = status;
                    /* rank 0 folds its blocks (the first ones) in order; the
                     * others keep theirs for rank 0 to fold in order */
                    long before = fq.folded_paths;
                    now = poolsim_fold_queue_park(&fq, b, blk, bst, now, stats,
                                                  rank == 0 ? NULL : stash, bps);
                    long done = fq.folded_paths;
                    if (show && done > before && now == POOLSIM_OK)
                        poolsim_progress_show(done, mypaths, t0, &last, done == mypaths);
#pragma omp atomic write
                    status = now;
                    blk = poolsim_fold_queue_block(&fq, stats);
                    if (!blk && now == POOLSIM_OK) {
                        mine = POOLSIM_ENOMEM;
#pragma omp atomic write
                        status = mine;
                    }
                }
            }
            if (acc) {
                int rc;
#pragma omp critical(poolsim_absorb)
                rc = poolsim_stats_absorb(stats, acc);
                if (rc != POOLSIM_OK) {
#pragma omp atomic write
                    status = rc;
                }
            }
            poolsim_block_free(acc);
            free(rec);
            poolsim_path_ws_free(w);
#pragma omp critical(poolsim_fold)
            poolsim_fold_queue_return(&fq, blk);
        }
    }
    warm_join(&warm);
    poolsim_fold_queue_free(&fq);
    if (show && status != POOLSIM_OK) fputc('\n', stderr);
    status = poolsim_mpi_max_int(status);
    if (status == POOLSIM_OK && size > 1) {
        if (rank > 0) {
            status = poolsim_engine_mpi_send(stats, sp, stash, b0, b1);
        } else {
            poolsim_block *tmpb = poolsim_block_alloc(stats);
            status =
                tmpb ? poolsim_engine_mpi_recv(stats, sp, tmpb, nblocks, size) : POOLSIM_ENOMEM;
            poolsim_block_free(tmpb);
        }
        status = poolsim_mpi_max_int(status);
    }
    free(stash);
    if (status == POOLSIM_OK && rank == 0) status = poolsim_stats_finish(stats, nthreads, r);
    if (size > 1) {
        status = poolsim_mpi_max_int(status);
        if (status == POOLSIM_OK) status = poolsim_engine_mpi_bcast(r);
    }
    if (status == POOLSIM_OK) status = poolsim_engine_fill_meta(s, r);
    mark_rows(r, o);
    int exact = poolsim_stats_exact(stats);
    poolsim_stats_free(stats);
    poolsim_plan_free(pl);
    if (status != POOLSIM_OK) {
        poolsim_results_free(r);
        poolsim_saved_paths_free(sp);
        return status;
    }
    if (run_meta(r, o, nthreads, size, exact) != POOLSIM_OK) {
        poolsim_results_free(r);
        poolsim_saved_paths_free(sp);
        return POOLSIM_ENOMEM;
    }
    *res = r;
    if (saved)
        *saved = sp;
    else
        poolsim_saved_paths_free(sp);
    return POOLSIM_OK;
}

/* One message for every allocation that fails in a run (the plan, the
 * statistics, a thread's workspace or block, the results). */
int poolsim_engine_run(const poolsim_scenario *s, const poolsim_engine_opts *o,
                       poolsim_results **res, poolsim_saved_paths **saved)
{
    int st = engine_run(s, o, res, saved);
    if (st == POOLSIM_ENOMEM)
        poolsim_error_report(__FILE__, __LINE__, "out of memory running %ld paths", o->paths);
    return st;
}

long poolsim_engine_ci_paths(int k, long max_paths)
{
    long p = POOLSIM_CI_FIRST;
    for (int i = 0; i < k && p < max_paths; i++) p = p > max_paths / 2 ? max_paths : 2 * p;
    return p < max_paths ? p : max_paths;
}

double poolsim_engine_exhaustion_halfwidth(const poolsim_results *r)
{
    double h = 0;
    for (size_t i = 0; i < (size_t)r->L * (size_t)r->T; i++)
        h = fmax(h, 0.5 * (r->exhaustion_hi[i] - r->exhaustion_lo[i]));
    return h;
}
