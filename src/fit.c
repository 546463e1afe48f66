/* poolsim: calibration from a history of actual flows (`poolsim fit`).
 * The model, the estimators and the bootstrap are described in
 * include/poolsim/fit.h and docs/MODEL.md, "Calibration from a history". */
#include "poolsim/fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "poolsim/claims.h"

#define PHI_U_MAX  0.98 /* grid of the utilisation AR(1) coefficient: 0 .. PHI_U_MAX */
#define PHI_U_STEP 0.01
#define PHI_MAX    0.98 /* |phi| of medical inflation kept below this */
#define LEVEL_Q    0.025

#define IDX(l, c, t) (((size_t)(l) * (size_t)C + (size_t)(c)) * (size_t)T + (size_t)(t))

/* ---- The estimators ---------------------------------------------------- */

static double clampd(double x, double lo, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* Conditional least squares of an AR(1) around its mean, started at the
 * mean (the first value's deviation has variance sigma^2): x[0..n). */
static void ar1_fit(const double *x, int n, double *m, double *phi, double *sigma)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *m = s / n;
    double num = 0, den = 0;
    for (int i = 1; i < n; i++) {
        num += (x[i] - *m) * (x[i - 1] - *m);
        den += (x[i - 1] - *m) * (x[i - 1] - *m);
    }
    *phi = den > 0 ? clampd(num / den, -PHI_MAX, PHI_MAX) : 0.0;
    double rss = (x[0] - *m) * (x[0] - *m);
    for (int i = 1; i < n; i++) {
        double e = (x[i] - *m) - *phi * (x[i - 1] - *m);
        rss += e * e;
    }
    *sigma = n > 2 ? sqrt(rss / (n - 2)) : 0.0;
}

/* Residual sum of squares of the county deviations at phi_u = ph, each
 * county's level profiled out. */
static double profile_rss(int L, int C, int T, const double *y, const double *ybar, double ph)
{
    double rss = 0;
    for (int l = 0; l < L; l++)
        for (int c = 0; c < C; c++) {
            /* r_0 = d_0 (k 1), r_t = d_t - ph d_{t-1} (k 1 - ph) */
            double skr = 0, skk = 0, srr = 0, dprev = 0;
            for (int t = 0; t < T; t++) {
                double d = y[IDX(l, c, t)] - ybar[l * T + t];
                double r = t ? d - ph * dprev : d, k = t ? 1 - ph : 1;
                skr += k * r;
                skk += k * k;
                srr += r * r;
                dprev = d;
            }
            rss += srr - skr * skr / skk;
        }
    return rss;
}

void poolsim_fit_point_estimate(int L, int C, int T, const double *y, const double *A,
                                const double *B, const double *w, poolsim_fit_point *p)
{
    /* city means and their growth */
    double ybar[64 * 64]; /* [L][T]; T <= 64 and L <= 64 checked by the caller */
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++) {
            double s = 0;
            for (int c = 0; c < C; c++) s += y[IDX(l, c, t)];
            ybar[l * T + t] = s / C;
        }
    double pi[64];
    for (int t = 1; t < T; t++) pi[t - 1] = 0;
    for (int l = 0; l < L; l++) {
        double s = 0;
        for (int t = 1; t < T; t++) {
            double g = ybar[l * T + t] - ybar[l * T + t - 1];
            s += g;
            pi[t - 1] += w[l] * (g - A[l]) / B[l];
        }
        p->trend[l] = s / (T - 1);
    }
    ar1_fit(pi, T - 1, &p->m, &p->phi, &p->sigma);

    /* county deviations: profile likelihood over phi_u, a coarse grid and
     * then a fine one around its best point */
    double best_rss = INFINITY, best_phi = 0;
    for (int pass = 0; pass < 2; pass++) {
        const double step = pass ? PHI_U_STEP : 10 * PHI_U_STEP;
        const double from = pass ? fmax(0, best_phi - 10 * PHI_U_STEP) : 0;
        const double to = pass ? fmin(PHI_U_MAX, best_phi + 10 * PHI_U_STEP) : PHI_U_MAX;
        for (int g = 0; from + g * step <= to + 1e-12; g++) {
            const double ph = from + g * step;
            const double rss = profile_rss(L, C, T, y, ybar, ph);
            if (rss < best_rss) {
                best_rss = rss;
                best_phi = ph;
            }
        }
    }
    p->phi_u = best_phi;
    p->sigma_u = sqrt(fmax(best_rss, 0) / ((double)L * C * T));
    for (int l = 0; l < L; l++)
        for (int c = 0; c < C; c++) {
            double skr = 0, skk = 0, dprev = 0;
            for (int t = 0; t < T; t++) {
                double d = y[IDX(l, c, t)] - ybar[l * T + t];
                double r = t ? d - best_phi * dprev : d, k = t ? 1 - best_phi : 1;
                skr += k * r;
                skk += k * k;
                dprev = d;
            }
            p->a[l * C + c] = skr / skk;
        }

    /* common share of the county growth residuals */
    double common = 0;
    for (int l = 0; l < L; l++) {
        double vtot = 0, vmean = 0;
        double rbar[64] = {0};
        for (int c = 0; c < C; c++) {
            double mg = (y[IDX(l, c, T - 1)] - y[IDX(l, c, 0)]) / (T - 1);
            double v = 0;
            for (int t = 1; t < T; t++) {
                double r = y[IDX(l, c, t)] - y[IDX(l, c, t - 1)] - mg;
                v += r * r;
                rbar[t] += r / C;
            }
            vtot += v / C;
        }
        for (int t = 1; t < T; t++) vmean += rbar[t] * rbar[t];
        double rho = C > 1 && vtot > 0 ? (C * vmean / vtot - 1) / (C - 1) : 0;
        common += w[l] * rho;
    }
    p->common = common;
}

/* ---- Data ----------------------------------------------------------------- */

/* Members of line l in county c in calendar year y by the scenario's
 * projection, extended backwards before start_year by its growth. */
static double scen_enrol(const poolsim_scenario *s, int c, int l, int y)
{
    const poolsim_line *ln = &s->lines[l];
    const poolsim_county *k = &s->counties[c];
    double n = 0;
    for (int j = 0; j < ln->nclasses; j++) {
        const int m = ln->classes[j];
        poolsim_param n1 = poolsim_param_const(k->enrol[m]);
        double v = poolsim_param_grown(&n1, &k->cls[m].enrol_growth, s->start_year,
                                       y > s->start_year ? y : s->start_year);
        for (int yy = s->start_year; yy > y; yy--)
            v /= 1.0 + poolsim_param_at(&k->cls[m].enrol_growth, yy);
        n += v;
    }
    return n;
}

/* Expected expenditure of county c on line l in the scenario's year 1 at
 * P = 1, U = 1 and E[J] (as `poolsim check`), split into claims and
 * per-capita parts; with cost_index ci instead of the county's and per
 * class enrolment enrol (NULL: the county's), amounts of year y. */
static void expected_parts(const poolsim_scenario *s, int c, int l, double ci, const double *enrol,
                           int y, double *claims, double *percap)
{
    const poolsim_line *ln = &s->lines[l];
    const poolsim_county *k = &s->counties[c];
    const double ej = 1.0 + s->epidemic.prob * (s->epidemic.mean - 1.0);
    *claims = *percap = 0;
    for (int b = 0; b < ln->nbenefits; b++) {
        const poolsim_benefit *bn = &ln->benefits[b];
        double n = 0, lam = 0;
        for (int j = 0; j < ln->nclasses; j++) {
            const int m = ln->classes[j];
            const double nm = enrol ? enrol[m] : k->enrol[m];
            if (bn->kind == POOLSIM_BENEFIT_CLAIMS)
                lam += poolsim_param_at(&bn->rate[j], y) * nm;
            else if (bn->applies[j])
                n += nm;
        }
        if (bn->kind == POOLSIM_BENEFIT_CLAIMS) {
            poolsim_claims_moments mo;
            poolsim_claims_payment_moments(
                poolsim_param_at(&bn->cost_mean, y) * ci, poolsim_param_at(&bn->cv, y),
                poolsim_param_at(&bn->deductible, y), poolsim_param_at(&bn->ceiling, y),
                poolsim_param_at(&bn->coinsurance, y), &mo);
            *claims += lam * k->util_index * (bn->epidemic ? ej : 1.0) * mo.ey;
        } else {
            *percap += poolsim_param_at(&bn->amount, y) * n;
        }
    }
}

/* The growth of a line that is not the price index (A) and the claims
 * share (B), from the scenario's own projection between its years 1
 * and 2 at fixed prices: utilisation trends, class mix, per-capita
 * benefit growth. */
static void growth_adjust(const poolsim_scenario *s, int l, double *A, double *B)
{
    double cl[2] = {0, 0}, pc[2] = {0, 0}, nn[2] = {0, 0};
    const poolsim_line *ln = &s->lines[l];
    for (int t = 0; t < 2; t++) {
        const int y = s->start_year + t;
        for (int c = 0; c < s->ncounties; c++) {
            const poolsim_county *k = &s->counties[c];
            for (int b = 0; b < ln->nbenefits; b++) {
                const poolsim_benefit *bn = &ln->benefits[b];
                double lam = 0, n = 0;
                for (int j = 0; j < ln->nclasses; j++) {
                    const int m = ln->classes[j];
                    poolsim_param n1 = poolsim_param_const(k->enrol[m]);
                    double nm = poolsim_param_grown(&n1, &k->cls[m].enrol_growth, s->start_year, y);
                    if (b == 0) nn[t] += nm;
                    if (bn->kind == POOLSIM_BENEFIT_CLAIMS)
                        lam += poolsim_param_at(&bn->rate[j], y) * nm;
                    else if (bn->applies[j])
                        n += nm;
                }
                if (bn->kind == POOLSIM_BENEFIT_CLAIMS) {
                    poolsim_claims_moments mo;
                    poolsim_claims_payment_moments(
                        poolsim_param_at(&bn->cost_mean, s->start_year) * k->cost_index,
                        poolsim_param_at(&bn->cv, s->start_year),
                        poolsim_param_at(&bn->deductible, s->start_year),
                        poolsim_param_at(&bn->ceiling, s->start_year),
                        poolsim_param_at(&bn->coinsurance, s->start_year), &mo);
                    double tr = poolsim_param_grown(&(poolsim_param){.n = 1, .val = {1.0}},
                                                    &bn->util_trend, s->start_year, y);
                    cl[t] += lam * k->util_index * tr * mo.ey;
                } else {
                    pc[t] += poolsim_param_grown(&bn->amount, &bn->growth, s->start_year, y) * n;
                }
            }
        }
    }
    const double tot = cl[0] + pc[0];
    if (!(tot > 0) || !(nn[0] > 0) || !(nn[1] > 0)) {
        *A = 0;
        *B = 1;
        return;
    }
    const double sc = cl[0] / tot, sp = pc[0] / tot, dn = log(nn[1] / nn[0]);
    *B = sc > 0.05 ? sc : 1.0; /* a line of (almost) only per-capita benefits: no price part */
    *A = (sp > 0 && pc[1] > 0 ? sp * log(pc[1] / pc[0]) : 0) +
         (sc > 0 && cl[1] > 0 ? sc * log(cl[1] / cl[0]) : 0) - dn;
}

void poolsim_fit_free(poolsim_fit *fit)
{
    if (!fit) return;
    free(fit->E);
    free(fit->F);
    free(fit->N);
    free(fit->y);
    free(fit->A);
    free(fit->Bl);
    free(fit->w);
    free(fit->ybar);
    free(fit->fitted);
    free(fit->resid_sd);
    free(fit->trend);
    free(fit->a);
    memset(fit, 0, sizeof *fit);
}

/* ---- Bootstrap ------------------------------------------------------------ */

typedef struct {
    int L, C, T;
    double *trend, *a; /* point arrays */
} point_buf;

static int point_alloc(poolsim_fit_point *p, int L, int C)
{
    p->trend = calloc((size_t)L, sizeof *p->trend);
    p->a = calloc((size_t)L * (size_t)C, sizeof *p->a);
    return p->trend && p->a ? 0 : -1;
}

static void point_free(poolsim_fit_point *p)
{
    free(p->trend);
    free(p->a);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The parameters the bootstrap simulates from, on the estimator's scale:
 * [0] m, [1] phi, [2] sigma, [3] phi_u, [4] sigma_u (the innovation sd of
 * a county's own shock, before the city mean is taken out). */
#define NPAR 5
static const double par_lo[NPAR] = {-1.0, 0.0, 0.0, 0.0, 0.0};
static const double par_hi[NPAR] = {1.0, PHI_MAX, 1.0, PHI_U_MAX, 1.0};

static void point_params(const poolsim_fit_point *p, int C, double th[NPAR])
{
    th[0] = p->m;
    th[1] = p->phi;
    th[2] = p->sigma;
    th[3] = p->phi_u;
    th[4] = C > 1 ? p->sigma_u / sqrt(1.0 - 1.0 / C) : p->sigma_u;
}

/* Simulate one panel from th (and the data's levels a0, lines' growth
 * adjustment, line deviations sd) into y, with normals from z (a fixed
 * stream: common random numbers across parameter values). */
static void simulate(const poolsim_fit *fit, const double th[NPAR], const double *a0,
                     const double *z, double *y)
{
    const int L = fit->L, C = fit->C, T = fit->T;
    double pi[64], e = 0, eta[64][64];
    size_t k = 0;
    for (int t = 1; t < T; t++) {
        e = th[1] * e + th[2] * z[k++];
        pi[t] = th[0] + e;
    }
    for (int t = 1; t < T; t++) {
        double sw = 0;
        for (int l = 0; l < L; l++) {
            eta[l][t] = fit->resid_sd[l] * z[k++];
            sw += fit->w[l] * eta[l][t];
        }
        for (int l = 0; l < L; l++) eta[l][t] -= sw;
    }
    for (int l = 0; l < L; l++) {
        double Y = fit->ybar[(size_t)l * T];
        for (int t = 0; t < T; t++) {
            if (t) Y += fit->A[l] + fit->Bl[l] * (pi[t] + eta[l][t]);
            for (int c = 0; c < C; c++) y[IDX(l, c, t)] = Y + a0[l * C + c];
        }
    }
    /* a county's utilisation shock is the same on every line (as in the
     * engine: U[c,t] multiplies every claims benefit of the county) */
    for (int c = 0; c < C; c++) {
        double x = 0;
        for (int t = 0; t < T; t++) {
            x = th[3] * x + th[4] * z[k++];
            for (int l = 0; l < L; l++) y[IDX(l, c, t)] += x;
        }
    }
}

/* Estimates of B panels simulated from th; reps[j * B + b] holds value j
 * (NPAR parameters, then L trends, then L*C levels) of replicate b. */
static void replicate_ar(const poolsim_fit *fit, const double th[NPAR], const double *a0,
                         const double *z, size_t nz, int B, double *y, poolsim_fit_point *p,
                         double *reps, const double *ar /* NULL, or [B][2] phi, phi_u */)
{
    const int L = fit->L, C = fit->C, T = fit->T;
    for (int b = 0; b < B; b++) {
        double tb[NPAR];
        memcpy(tb, th, sizeof tb);
        if (ar) {
            tb[1] = ar[2 * b];
            tb[3] = ar[2 * b + 1];
        }
        simulate(fit, tb, a0, z + (size_t)b * nz, y);
        poolsim_fit_point_estimate(L, C, T, y, fit->A, fit->Bl, fit->w, p);
        double v[NPAR];
        point_params(p, C, v);
        for (int j = 0; j < NPAR; j++) reps[(size_t)j * B + b] = v[j];
        for (int l = 0; l < L; l++) reps[(size_t)(NPAR + l) * B + b] = p->trend[l];
        for (int i = 0; i < L * C; i++) reps[(size_t)(NPAR + L + i) * B + b] = p->a[i];
    }
}

static void replicate(const poolsim_fit *fit, const double th[NPAR], const double *a0,
                      const double *z, size_t nz, int B, double *y, poolsim_fit_point *p,
                      double *reps)
{
    replicate_ar(fit, th, a0, z, nz, B, y, p, reps, NULL);
}

static double mean_of(const double *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += v[i];
    return s / n;
}

/* The B replicates of each parameter (reps[j*B + b]) around their mean,
 * their deviations multiplied by Di (the inverse slopes): the spread an
 * interval is read from. */
static void rescale_spread(double *reps, int B, const double Di[NPAR][NPAR])
{
    double mu[NPAR];
    for (int j = 0; j < NPAR; j++) mu[j] = mean_of(reps + (size_t)j * B, B);
    for (int b = 0; b < B; b++) {
        double dv[NPAR], m2[NPAR];
        for (int j = 0; j < NPAR; j++) dv[j] = reps[(size_t)j * B + b] - mu[j];
        for (int i = 0; i < NPAR; i++) {
            m2[i] = 0;
            for (int j = 0; j < NPAR; j++) m2[i] += Di[i][j] * dv[j];
        }
        for (int j = 0; j < NPAR; j++) reps[(size_t)j * B + b] = mu[j] + m2[j];
    }
}

/* An interval from replicates: est, and est - (q(0.975) - mean) / slope ..
 * est - (q(0.025) - mean) / slope, clamped. v is sorted in place. */
static poolsim_fit_value interval(double raw, double est, double *v, int B, double slope, double lo,
                                  double hi)
{
    poolsim_fit_value r;
    const double mean = mean_of(v, B);
    double s2 = 0;
    for (int i = 0; i < B; i++) s2 += (v[i] - mean) * (v[i] - mean);
    qsort(v, (size_t)B, sizeof *v, cmp_double);
    double h = (B - 1) * LEVEL_Q, qlo, qhi;
    int i = (int)h;
    qlo = v[i] + (h - i) * (v[i + 1 < B ? i + 1 : i] - v[i]);
    h = (B - 1) * (1 - LEVEL_Q);
    i = (int)h;
    qhi = v[i] + (h - i) * (v[i + 1 < B ? i + 1 : i] - v[i]);
    r.raw = raw;
    r.est = clampd(est, lo, hi);
    r.lo = clampd(est - (qhi - mean) / slope, lo, hi);
    r.hi = clampd(est - (qlo - mean) / slope, lo, hi);
    r.se = B > 1 ? sqrt(s2 / (B - 1)) / slope : 0;
    return r;
}

/* Indirect inference by the parametric bootstrap: find the parameters th
 * whose simulated estimates average to the data's estimates (fixed-point
 * iterations with common random numbers), the slope of each estimate in
 * its own parameter, then intervals from the spread of the estimates at
 * th divided by that slope. Trends and levels are unbiased: their
 * intervals are the spread about their mean. */
static int bootstrap(poolsim_fit *fit, const poolsim_fit_point *p0, int B, unsigned long long seed)
{
    const int L = fit->L, C = fit->C, T = fit->T;
    const int nv = NPAR + L + L * C;
    const size_t nz = (size_t)(T - 1) * (size_t)(1 + L) + (size_t)L * (size_t)C * (size_t)T;
    double *reps = malloc((size_t)B * (size_t)nv * sizeof *reps);
    double *z = malloc((size_t)B * nz * sizeof *z);
    double *y = malloc((size_t)L * (size_t)C * (size_t)T * sizeof *y);
    poolsim_fit_point p = {0};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (!reps || !z || !y || !r || point_alloc(&p, L, C) != 0) {
        free(reps), free(z), free(y), point_free(&p);
        if (r) gsl_rng_free(r);
        return POOLSIM_ENOMEM;
    }
    gsl_rng_set(r, (unsigned long)(seed ^ 0x9E3779B97F4A7C15ull));
    for (size_t i = 0; i < (size_t)B * nz; i++) z[i] = gsl_ran_gaussian_ziggurat(r, 1.0);

    double obs[NPAR], th[NPAR];
    point_params(p0, C, obs);
    for (int j = 0; j < NPAR; j++) th[j] = clampd(obs[j], par_lo[j], par_hi[j]);
    for (int it = 0; it < 6; it++) {
        replicate(fit, th, p0->a, z, nz, B, y, &p, reps);
        for (int j = 0; j < NPAR; j++)
            th[j] = clampd(th[j] + obs[j] - mean_of(reps + (size_t)j * B, B), par_lo[j], par_hi[j]);
    }
    /* slopes D[i][j] = d mean(estimate i) / d th[j] */
    double base[NPAR], D[NPAR][NPAR];
    replicate(fit, th, p0->a, z, nz, B, y, &p, reps);
    for (int j = 0; j < NPAR; j++) base[j] = mean_of(reps + (size_t)j * B, B);
    for (int j = 0; j < NPAR; j++) {
        double t2[NPAR];
        memcpy(t2, th, sizeof t2);
        const double h = j == 0 ? 0.005 : j == 2 || j == 4 ? 0.1 * th[j] + 1e-4 : 0.05;
        t2[j] = th[j] + h <= par_hi[j] ? th[j] + h : th[j] - h;
        replicate(fit, t2, p0->a, z, nz, B, y, &p, reps);
        for (int i = 0; i < NPAR; i++)
            D[i][j] = (mean_of(reps + (size_t)i * B, B) - base[i]) / (t2[j] - th[j]);
    }
    /* Each estimate's deviations are divided by its slope in its own
     * parameter (cross effects are left out: including them made the
     * intervals of sigma far too wide when a parameter sits at a bound of
     * its range). A slope below 0.5 (an estimate that hardly responds, at
     * a bound) is taken as 0.5: an interval is at most twice its spread. */
    double Di[NPAR][NPAR];
    for (int i = 0; i < NPAR; i++)
        for (int j = 0; j < NPAR; j++) Di[i][j] = i == j ? 1.0 / fmax(D[i][i], 0.5) : 0.0;
    /* the spread at th, with fresh random numbers, divided by the slopes */
    for (size_t i = 0; i < (size_t)B * nz; i++) z[i] = gsl_ran_gaussian_ziggurat(r, 1.0);
    replicate(fit, th, p0->a, z, nz, B, y, &p, reps);
    rescale_spread(reps, B, Di);
    /* the AR(1) coefficients are bounded and their estimators far from
     * normal in short histories: their intervals by test inversion, the
     * values whose simulated estimates (2.5% .. 97.5%) hold the data's,
     * and their estimates median-unbiased (the value whose simulated
     * median is the data's), on a grid with common random numbers */
    double ar_est[2], ar_lo[2], ar_hi[2], cdist[2][12];
    static const double cgrid[12] = {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98};
    for (int which = 0; which < 2; which++) {
        const int j = which ? 3 : 1;
        enum { NG = 12 };
        const double *grid = cgrid;
        double qlo[NG], qmed[NG], qhi[NG];
        cdist[which][0] = 0;
        for (int g = 0; g < NG; g++) {
            double t2[NPAR];
            memcpy(t2, th, sizeof t2);
            t2[j] = grid[g];
            replicate(fit, t2, p0->a, z, nz, B, y, &p, reps);
            double *vj = reps + (size_t)j * B;
            qsort(vj, (size_t)B, sizeof *vj, cmp_double);
            qlo[g] = vj[(int)((B - 1) * LEVEL_Q)];
            qmed[g] = vj[(B - 1) / 2];
            qhi[g] = vj[(int)ceil((B - 1) * (1 - LEVEL_Q))];
            /* the confidence distribution: share of estimates at grid[g]
             * at or above the data's */
            int ge = 0;
            for (int b = 0; b < B; b++) ge += vj[b] >= obs[j];
            cdist[which][g] = (double)ge / B;
        }
        for (int g = 1; g < NG; g++) cdist[which][g] = fmax(cdist[which][g], cdist[which][g - 1]);
            /* where a curve q(grid) crosses obs: linear between grid points */
#define CROSS(q, out, dflt)                                                                        \
    do {                                                                                           \
        out = dflt;                                                                                \
        for (int g = 0; g + 1 < NG; g++)                                                           \
            if ((q[g] - obs[j]) * (q[g + 1] - obs[j]) <= 0 && q[g + 1] != q[g]) {                  \
                out = grid[g] + (grid[g + 1] - grid[g]) * (obs[j] - q[g]) / (q[g + 1] - q[g]);     \
                break;                                                                             \
            }                                                                                      \
    } while (0)
        const double below = obs[j] < qmed[0] ? 0 : grid[NG - 1];
        CROSS(qmed, ar_est[which], below);
        /* lower bound: where the 97.5% curve reaches obs (0 if it is above
         * obs already at 0); upper: where the 2.5% curve reaches obs */
        CROSS(qhi, ar_lo[which], qhi[0] >= obs[j] ? 0 : grid[NG - 1]);
        if (qhi[0] >= obs[j]) ar_lo[which] = 0;
        CROSS(qlo, ar_hi[which], qlo[NG - 1] <= obs[j] ? grid[NG - 1] : 0);
        if (qlo[NG - 1] <= obs[j]) ar_hi[which] = grid[NG - 1];
#undef CROSS
    }
    /* the spread of the other values at th again, with the AR(1)
     * coefficients drawn from their confidence distributions (so that the
     * intervals of means, trends and levels allow for how little the
     * persistence is known) */
    th[1] = ar_est[0];
    th[3] = ar_est[1];
    double *ar = malloc(2 * (size_t)B * sizeof *ar);
    if (!ar) {
        gsl_rng_free(r), point_free(&p), free(reps), free(z), free(y);
        return POOLSIM_ENOMEM;
    }
    for (int b = 0; b < B; b++)
        for (int which = 0; which < 2; which++) {
            const double u = gsl_rng_uniform(r);
            const double *cd = cdist[which];
            double v = cgrid[11];
            if (u <= cd[0])
                v = cgrid[0];
            else
                for (int g = 0; g + 1 < 12; g++)
                    if (u <= cd[g + 1]) {
                        v = cd[g + 1] > cd[g] ? cgrid[g] + (cgrid[g + 1] - cgrid[g]) * (u - cd[g]) /
                                                               (cd[g + 1] - cd[g])
                                              : cgrid[g + 1];
                        break;
                    }
            ar[2 * b + which] = v;
        }
    replicate_ar(fit, th, p0->a, z, nz, B, y, &p, reps, ar);
    free(ar);
    rescale_spread(reps, B, Di);
    /* engine scale: 1 + pi = exp(log growth) */
    const double em = exp(th[0]);
    double *v = reps;
    fit->infl_mean = interval(expm1(obs[0]), th[0], v, B, 1.0, -1, 1);
    fit->infl_mean.est = expm1(fit->infl_mean.est);
    fit->infl_mean.lo = expm1(fit->infl_mean.lo);
    fit->infl_mean.hi = expm1(fit->infl_mean.hi);
    fit->infl_mean.se *= em;
    fit->infl_ar1 = interval(obs[1], th[1], v + (size_t)B, B, 1.0, 0, PHI_MAX);
    fit->infl_sd = interval(obs[2] * exp(obs[0]), th[2], v + 2 * (size_t)B, B, 1.0, 0, 1);
    fit->infl_sd.est *= em;
    fit->infl_sd.lo *= em;
    fit->infl_sd.hi *= em;
    fit->infl_sd.se *= em;
    fit->util_ar1 = interval(obs[3], th[3], v + 3 * (size_t)B, B, 1.0, 0, PHI_U_MAX);
    fit->infl_ar1.est = ar_est[0];
    fit->infl_ar1.lo = fmin(ar_lo[0], ar_est[0]);
    fit->infl_ar1.hi = fmax(ar_hi[0], ar_est[0]);
    fit->util_ar1.est = ar_est[1];
    fit->util_ar1.lo = fmin(ar_lo[1], ar_est[1]);
    fit->util_ar1.hi = fmax(ar_hi[1], ar_est[1]);
    fit->util_sd = interval(obs[4], th[4], v + 4 * (size_t)B, B, 1.0, 0, 1);
    for (int l = 0; l < L; l++)
        fit->trend[l] = interval(p0->trend[l], p0->trend[l], v + (size_t)(NPAR + l) * B, B, 1.0,
                                 -INFINITY, INFINITY);
    for (int i = 0; i < L * C; i++)
        fit->a[i] = interval(p0->a[i], p0->a[i], v + (size_t)(NPAR + L + i) * B, B, 1.0, -INFINITY,
                             INFINITY);
    /* the cross-county correlation: its spread at th, plain basic bootstrap */
    {
        double *cv = z; /* reuse: B values */
        for (int b = 0; b < B; b++) {
            simulate(fit, th, p0->a, z + (size_t)b * nz, y);
            poolsim_fit_point_estimate(L, C, T, y, fit->A, fit->Bl, fit->w, &p);
            cv[b] = p.common;
        }
        fit->common = interval(p0->common, p0->common, cv, B, 1.0, -1, 1);
    }
    fit->B = B;
    gsl_rng_free(r);
    point_free(&p);
    free(reps);
    free(z);
    free(y);
    return POOLSIM_OK;
}

/* ---- Estimation ------------------------------------------------------------- */

int poolsim_fit_estimate(const poolsim_scenario *s, const poolsim_flows *f, const char *name,
                         const poolsim_fit_opts *o, FILE *diag, poolsim_fit *out /* OUT */)
{
    memset(out, 0, sizeof *out);
    const int L = s->nlines, C = s->ncounties;
    /* years of each line: flows are sorted by line, year, county */
    int first = 0, last = -1, nerr = 0;
    for (int l = 0; l < L; l++) {
        int lo = 0, hi = -1, prev = 0;
        long prev_line = 0;
        for (size_t i = 0; i < f->n; i++) {
            const poolsim_flow *r = &f->rows[i];
            if (r->line != l || r->county != 0) continue;
            if (hi < 0)
                lo = r->year;
            else if (r->year != prev + 1) {
                fprintf(diag,
                        "%s:%ld:1: year: line %s has %d after %d (line %ld), a gap (expected "
                        "consecutive years: fit needs an unbroken history)\n",
                        name, r->src_line, s->lines[l].id, r->year, prev, prev_line);
                nerr++;
            }
            hi = r->year;
            prev = r->year;
            prev_line = r->src_line;
        }
        if (hi < 0) {
            fprintf(diag,
                    "%s: line %s has no rows (expected at least %d years of every line of the "
                    "scenario)\n",
                    name, s->lines[l].id, POOLSIM_FIT_MIN_YEARS);
            nerr++;
            continue;
        }
        if (hi - lo + 1 < POOLSIM_FIT_MIN_YEARS) {
            fprintf(diag,
                    "%s: line %s has %d year%s (%d..%d): too few to estimate a trend, its "
                    "volatility and its AR(1) (expected at least %d consecutive years)\n",
                    name, s->lines[l].id, hi - lo + 1, hi == lo ? "" : "s", lo, hi,
                    POOLSIM_FIT_MIN_YEARS);
            nerr++;
        }
        if (l == 0) {
            first = lo;
            last = hi;
        } else if (lo != first || hi != last) {
            fprintf(diag,
                    "%s: line %s covers %d..%d but line %s covers %d..%d (expected the same "
                    "years for every line)\n",
                    name, s->lines[l].id, lo, hi, s->lines[0].id, first, last);
            nerr++;
        }
    }
    const int T = last - first + 1;
    if (nerr == 0 && (T > 64 || L > 64)) {
        fprintf(diag, "%s: %d years and %d lines (expected at most 64 of each)\n", name, T, L);
        nerr++;
    }
    int has_enrol = f->n > 0 && !isnan(f->rows[0].enrolment);
    if (nerr == 0)
        for (size_t i = 0; i < f->n; i++) {
            const poolsim_flow *r = &f->rows[i];
            if (!(r->expenditure > 0)) {
                fprintf(diag,
                        "%s:%ld:1: expenditure: 0 (expected > 0: fit works on the log of "
                        "expenditure per enrolee)\n",
                        name, r->src_line);
                nerr++;
            }
            if (has_enrol && !(r->enrolment > 0)) {
                fprintf(diag, "%s:%ld:1: enrolment: 0 (expected > 0)\n", name, r->src_line);
                nerr++;
            }
            if (nerr >= 20) break;
        }
    if (nerr) {
        fprintf(diag, "poolsim: fit: %d problem%s in %s; nothing written\n", nerr,
                nerr == 1 ? "" : "s", name);
        return POOLSIM_EINPUT;
    }

    const size_t n = (size_t)L * (size_t)C * (size_t)T;
    out->L = L;
    out->C = C;
    out->T = T;
    out->first_year = first;
    out->has_enrol = has_enrol;
    out->E = calloc(n, sizeof(double));
    out->F = calloc(n, sizeof(double));
    out->N = calloc(n, sizeof(double));
    out->y = calloc(n, sizeof(double));
    out->fitted = calloc(n, sizeof(double));
    out->A = calloc((size_t)L, sizeof(double));
    out->Bl = calloc((size_t)L, sizeof(double));
    out->w = calloc((size_t)L, sizeof(double));
    out->resid_sd = calloc((size_t)L, sizeof(double));
    out->ybar = calloc((size_t)L * (size_t)T, sizeof(double));
    out->trend = calloc((size_t)L, sizeof *out->trend);
    out->a = calloc((size_t)L * (size_t)C, sizeof *out->a);
    poolsim_fit_point p = {0};
    if (!out->E || !out->F || !out->N || !out->y || !out->fitted || !out->A || !out->Bl ||
        !out->w || !out->resid_sd || !out->ybar || !out->trend || !out->a ||
        point_alloc(&p, L, C) != 0) {
        point_free(&p);
        poolsim_fit_free(out);
        fprintf(diag, "poolsim: out of memory fitting\n");
        return POOLSIM_ENOMEM;
    }
    for (size_t i = 0; i < f->n; i++) {
        const poolsim_flow *r = &f->rows[i];
        const size_t k = IDX(r->line, r->county, r->year - first);
        out->E[k] = r->expenditure;
        out->F[k] = r->financing;
        out->N[k] = has_enrol ? r->enrolment : scen_enrol(s, r->county, r->line, r->year);
        out->y[k] = log(out->E[k] / out->N[k]);
    }
    double etot = 0;
    for (int l = 0; l < L; l++) {
        growth_adjust(s, l, &out->A[l], &out->Bl[l]);
        for (int c = 0; c < C; c++) out->w[l] += out->E[IDX(l, c, T - 1)];
        etot += out->w[l];
    }
    for (int l = 0; l < L; l++) out->w[l] /= etot;
    poolsim_fit_point_estimate(L, C, T, out->y, out->A, out->Bl, out->w, &p);

    /* city means, the line deviations eta from the common series, the
     * fitted levels */
    double pi[64] = {0};
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++) {
            double sum = 0;
            for (int c = 0; c < C; c++) sum += out->y[IDX(l, c, t)];
            out->ybar[(size_t)l * T + t] = sum / C;
        }
    for (int l = 0; l < L; l++)
        for (int t = 1; t < T; t++)
            pi[t] +=
                out->w[l] *
                ((out->ybar[(size_t)l * T + t] - out->ybar[(size_t)l * T + t - 1]) - out->A[l]) /
                out->Bl[l];
    for (int l = 0; l < L; l++) {
        double ss = 0;
        for (int t = 1; t < T; t++) {
            double h =
                ((out->ybar[(size_t)l * T + t] - out->ybar[(size_t)l * T + t - 1]) - out->A[l]) /
                out->Bl[l];
            ss += (h - pi[t]) * (h - pi[t]);
        }
        out->resid_sd[l] = L > 1 && T > 2 ? sqrt(ss / (T - 2)) : 0;
        for (int c = 0; c < C; c++)
            for (int t = 0; t < T; t++)
                out->fitted[IDX(l, c, t)] = out->ybar[(size_t)l * T + t] + p.a[(size_t)l * C + c];
    }
    const int B = o && o->B > 0 ? o->B : 999;
    int st = bootstrap(out, &p, B, o ? o->seed : 1);
    point_free(&p);
    if (st != POOLSIM_OK) {
        poolsim_fit_free(out);
        fprintf(diag, "poolsim: out of memory fitting\n");
    }
    return st;
}

/* ---- The fitted scenario -------------------------------------------------- */

/* Is the scenario text safe in a YAML double-quoted string? Writes it
 * escaped. */
static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\x%02X", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void put_g(FILE *f, double v)
{
    char b[40];
    poolsim_format_double(v, b, sizeof b);
    fputs(b, f);
}

/* "%.4g" text of a value's interval for a comment. */
static void ci_comment(FILE *f, const poolsim_fit_value *v)
{
    fprintf(f, "# 95%% interval %.4g .. %.4g (bootstrap se %.2g)", v->lo, v->hi, v->se);
}

/* `lead`, then the estimate rounded to 1/scale, then its interval as a
 * YAML comment. */
static void put_fitted(FILE *f, const char *lead, const poolsim_fit_value *v, double scale)
{
    fputs(lead, f);
    put_g(f, round(v->est * scale) / scale);
    fputs("   ", f);
    ci_comment(f, v);
}

int poolsim_fit_scenario_text(const poolsim_scenario *s, const poolsim_flows *f,
                              const poolsim_fit *fit, const char *base_ref, const char *flows_name,
                              FILE *diag, char **text /* OUT */)
{
    *text = NULL;
    const int L = fit->L, C = fit->C, T = fit->T;
    const int last = fit->first_year + T - 1, start = last + 1;
    poolsim_settlement st;
    int rc = poolsim_settle_compute(s, f, diag, &st);
    if (rc != POOLSIM_OK) return rc;

    const int M = s->nclasses;
    double *enrol = calloc((size_t)C * (size_t)M, sizeof *enrol);
    double *kfin = calloc((size_t)C * (size_t)L, sizeof *kfin);
    double *ci = calloc((size_t)C, sizeof *ci);
    double *etarget = calloc((size_t)C * (size_t)L, sizeof *etarget);
    char *buf = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&buf, &len);
    if (!enrol || !kfin || !ci || !etarget || !o) {
        free(enrol), free(kfin), free(ci), free(etarget);
        if (o) fclose(o);
        free(buf);
        poolsim_settle_free(&st);
        fprintf(diag, "poolsim: out of memory fitting\n");
        return POOLSIM_ENOMEM;
    }

    /* enrolment of the first projected year: the last observed (or the
     * base's projection) grown by one year, split into classes by the
     * base's shares */
    for (int l = 0; l < L; l++) {
        double gN = 0;
        if (fit->has_enrol) {
            double n0 = 0, n1 = 0;
            for (int c = 0; c < C; c++) {
                n0 += fit->N[IDX(l, c, 0)];
                n1 += fit->N[IDX(l, c, T - 1)];
            }
            gN = log(n1 / n0) / (T - 1);
        }
        const poolsim_line *ln = &s->lines[l];
        for (int c = 0; c < C; c++) {
            double tot = 0;
            for (int j = 0; j < ln->nclasses; j++) {
                const int m = ln->classes[j];
                poolsim_param n1 = poolsim_param_const(s->counties[c].enrol[m]);
                enrol[(size_t)c * M + m] =
                    poolsim_param_grown(&n1, &s->counties[c].cls[m].enrol_growth, s->start_year,
                                        start > s->start_year ? start : s->start_year);
                tot += enrol[(size_t)c * M + m];
            }
            if (fit->has_enrol && tot > 0) {
                const double want = fit->N[IDX(l, c, T - 1)] * exp(gN);
                for (int j = 0; j < ln->nclasses; j++)
                    enrol[(size_t)c * M + ln->classes[j]] *= want / tot;
            }
        }
    }
    /* financing: the last year's grown by the line's mean growth; the
     * per-member contribution and subsidy of each class scaled by kfin */
    for (int l = 0; l < L; l++) {
        double f0 = 0, f1 = 0;
        for (int c = 0; c < C; c++) {
            f0 += fit->F[IDX(l, c, 0)];
            f1 += fit->F[IDX(l, c, T - 1)];
        }
        const double gF = f0 > 0 && f1 > 0 ? log(f1 / f0) / (T - 1) : 0;
        const poolsim_line *ln = &s->lines[l];
        for (int c = 0; c < C; c++) {
            const poolsim_county *k = &s->counties[c];
            double model = 0;
            for (int j = 0; j < ln->nclasses; j++) {
                const int m = ln->classes[j];
                const poolsim_class_params *cp = &k->cls[m];
                const int y0 = s->start_year, y1 = start > y0 ? start : y0;
                double pcap = poolsim_param_grown(&cp->per_capita, &cp->per_capita_growth, y0, y1);
                double sub = poolsim_param_grown(&cp->subsidy, &cp->subsidy_growth, y0, y1);
                double contrib = pcap + poolsim_param_at(&cp->wage_rate, y1) * k->wage;
                model += enrol[(size_t)c * M + m] *
                         (contrib * poolsim_param_at(&cp->collection_rate, y1) + sub);
            }
            const double want = fit->F[IDX(l, c, T - 1)] * exp(gF);
            kfin[(size_t)c * L + l] = model > 0 ? want / model : 1.0;
            /* expenditure: the fitted level of the last year, one year of
             * the line's trend on, times next year's members */
            double nn = 0;
            for (int j = 0; j < ln->nclasses; j++) nn += enrol[(size_t)c * M + ln->classes[j]];
            etarget[(size_t)c * L + l] = exp(fit->ybar[(size_t)l * T + T - 1] +
                                             fit->a[(size_t)l * C + c].est + fit->trend[l].est) *
                                         nn;
        }
    }
    /* cost_index: per county, the expenditure-weighted log ratio of target
     * to the scenario's expected expenditure, iterated (limits make the
     * claims part not quite proportional) */
    for (int c = 0; c < C; c++) {
        ci[c] = s->counties[c].cost_index;
        for (int it = 0; it < 8; it++) {
            double lr = 0;
            for (int l = 0; l < L; l++) {
                double cl, pc;
                expected_parts(s, c, l, ci[c], enrol + (size_t)c * M, start, &cl, &pc);
                const double tgt = etarget[(size_t)c * L + l];
                /* the claims part must carry what the per-capita part does not */
                const double ratio = cl > 0 && tgt > pc ? (tgt - pc) / cl : 1.0;
                lr += fit->w[l] * log(ratio);
            }
            ci[c] *= exp(lr);
        }
    }

    /* ---- the text ---- */
    fprintf(o, "# Fitted by `poolsim fit` from %s (%d..%d, %d counties, %d line%s)\n", flows_name,
            fit->first_year, last, C, L, L == 1 ? "" : "s");
    fprintf(o,
            "# on the base scenario below. Every fitted value carries its 95%% interval\n"
            "# from a parametric bootstrap (%d replications: data simulated from the fitted\n"
            "# model and refitted); estimates are bias-corrected by the same bootstrap.\n"
            "# Identified by the data: the trend of expenditure per enrolee per line, its\n"
            "# year-to-year volatility and AR(1) (as medical inflation, net of the base's\n"
            "# utilisation trends), each county's level (cost_index) and its own\n"
            "# year-to-year deviations (utilisation). NOT separately identified: price\n"
            "# against utilisation (both move expenditure per enrolee alike; the base's\n"
            "# util_trend values are kept), a common utilisation shock against medical\n"
            "# inflation (all common variation is put in medical_inflation, so\n"
            "# shocks.utilisation.rho is 0), cost against use within a county\n"
            "# (util_index kept), and the epidemic process (kept from the base).\n",
            fit->B);
    fputs("extends: ", o);
    yaml_quoted(o, base_ref);
    fputc('\n', o);
    {
        char *nm = NULL;
        size_t nl = 0;
        FILE *g = open_memstream(&nm, &nl);
        if (g) {
            fprintf(g, "%s (fitted to %d..%d)", s->name ? s->name : "scenario", fit->first_year,
                    last);
            fclose(g);
            fputs("name: ", o);
            yaml_quoted(o, nm);
            fputc('\n', o);
        }
        free(nm);
    }
    fprintf(o, "start_year: %d   # the year after the history\n\n", start);
    put_fitted(o, "economy:\n  medical_inflation:\n    mean: ", &fit->infl_mean, 1e6);
    put_fitted(o, "\n    ar1: ", &fit->infl_ar1, 1e4);
    put_fitted(o, "\n    sd: ", &fit->infl_sd, 1e6);
    put_fitted(o, "\n\nshocks:\n  utilisation:\n    ar1: ", &fit->util_ar1, 1e4);
    put_fitted(o, "\n    sd: ", &fit->util_sd, 1e6);
    fprintf(o,
            "\n    rho: 0   # common variation is in medical_inflation; the cross-county "
            "correlation\n"
            "             # of growth residuals is %.3f (95%% interval %.3f .. %.3f)\n\n",
            fit->common.est, fit->common.lo, fit->common.hi);

    fputs("lines:\n", o);
    for (int l = 0; l < L; l++) {
        const poolsim_line *ln = &s->lines[l];
        double res = 0;
        for (size_t i = 0; i < st.n; i++)
            if (st.rows[i].year == last && st.rows[i].line == l) res = st.rows[i].reserve_end;
        fprintf(o, "  - id: %s\n", ln->id);
        fprintf(o,
                "    # expenditure per enrolee grew %.4f a year in log terms (95%% interval "
                "%.4f .. %.4f)\n",
                fit->trend[l].est, fit->trend[l].lo, fit->trend[l].hi);
        fputs("    reserve: {initial: ", o);
        put_g(o, res);
        fprintf(o, "}   # reserve_end of %d, settling the history on the base\n", last);
        /* per-capita benefits at the new start year's amount */
        int any = 0;
        for (int b = 0; b < ln->nbenefits; b++) {
            const poolsim_benefit *bn = &ln->benefits[b];
            if (bn->kind != POOLSIM_BENEFIT_PER_CAPITA) continue;
            if (!any) fputs("    benefits:\n", o);
            any = 1;
            fprintf(o, "      - {id: %s, amount: ", bn->id);
            put_g(o, round(poolsim_param_grown(&bn->amount, &bn->growth, s->start_year,
                                               start > s->start_year ? start : s->start_year) *
                           100) /
                         100);
            fprintf(o, "}   # the base's amount grown to %d\n", start);
        }
    }
    fputs("\ncounties:\n", o);
    for (int c = 0; c < C; c++) {
        const poolsim_county *k = &s->counties[c];
        fprintf(o, "  - id: %s\n    cost_index: ", k->id);
        put_g(o, round(ci[c] * 1e5) / 1e5);
        /* interval: the county's level intervals, weighted as the index */
        double lo = 0, hi = 0;
        for (int l = 0; l < L; l++) {
            const poolsim_fit_value *a = &fit->a[(size_t)l * C + c];
            lo += fit->w[l] * (a->lo - a->est);
            hi += fit->w[l] * (a->hi - a->est);
        }
        fprintf(o,
                "   # 95%% interval %.4g .. %.4g (level relative to the city, and prices of %d)\n",
                ci[c] * exp(lo), ci[c] * exp(hi), start);
        for (int m = 0; m < M; m++) {
            const int l = s->classes[m].line;
            const poolsim_class_params *cp = &k->cls[m];
            const int y0 = s->start_year, y1 = start > y0 ? start : y0;
            const double kk = kfin[(size_t)c * L + l];
            fprintf(o, "    %s: ", s->classes[m].id);
            put_g(o, round(enrol[(size_t)c * M + m]));
            fprintf(o, "   # members in %d\n", start);
            double pcap = poolsim_param_grown(&cp->per_capita, &cp->per_capita_growth, y0, y1);
            double sub = poolsim_param_grown(&cp->subsidy, &cp->subsidy_growth, y0, y1);
            double wr = poolsim_param_at(&cp->wage_rate, y1);
            if (pcap > 0) {
                fprintf(o, "    %s.per_capita: ", s->classes[m].id);
                put_g(o, round(pcap * kk * 100) / 100);
                fputc('\n', o);
            }
            if (sub > 0) {
                fprintf(o, "    %s.subsidy: ", s->classes[m].id);
                put_g(o, round(sub * kk * 100) / 100);
                fputc('\n', o);
            }
            if (wr > 0) {
                fprintf(o, "    %s.wage_rate: ", s->classes[m].id);
                put_g(o, round(wr * kk * 1e6) / 1e6);
                fputc('\n', o);
            }
        }
        fprintf(o, "    # financing scaled to %d's, grown by the line's mean growth\n", last);
        for (int l = 0; l < L; l++) {
            double bal = 0, fin = 0;
            for (size_t i = 0; i < st.n; i++)
                if (st.rows[i].year == last && st.rows[i].line == l && st.rows[i].county == c) {
                    bal = st.rows[i].fig.balance_end;
                    fin = st.rows[i].fig.financing;
                }
            fprintf(o, "    balance.%s: ", s->lines[l].id);
            put_g(o, bal);
            fprintf(o, "\n    prior_financing.%s: ", s->lines[l].id);
            put_g(o, fin);
            fputc('\n', o);
        }
    }
    free(enrol), free(kfin), free(ci), free(etarget);
    poolsim_settle_free(&st);
    if (fclose(o) != 0) {
        free(buf);
        fprintf(diag, "poolsim: out of memory fitting\n");
        return POOLSIM_ENOMEM;
    }
    *text = buf;
    return POOLSIM_OK;
}

/* ---- Report ------------------------------------------------------------------ */

static void row(FILE *f, const char *what, const poolsim_fit_value *v, const char *note)
{
    fprintf(f, "  %-34s %9.4f   [%9.4f, %9.4f]   %s\n", what, v->est, v->lo, v->hi, note);
}

void poolsim_fit_print_report(const poolsim_scenario *s, const poolsim_fit *fit, FILE *f)
{
    const int L = fit->L, C = fit->C, T = fit->T;
    fprintf(f, "Fit: %d years (%d..%d), %d counties, %d line%s; enrolment %s\n", T, fit->first_year,
            fit->first_year + T - 1, C, L, L == 1 ? "" : "s",
            fit->has_enrol ? "from the flows" : "from the base scenario's projection");
    fprintf(f,
            "Estimates (bias-corrected) with 95%% intervals, parametric bootstrap, %d "
            "replications:\n",
            fit->B);
    for (int l = 0; l < L; l++) {
        char what[128];
        snprintf(what, sizeof what, "trend of cost/enrolee, %s", s->lines[l].id);
        row(f, what, &fit->trend[l], "log growth a year");
    }
    row(f, "economy.medical_inflation.mean", &fit->infl_mean, "net of the base's util trends");
    row(f, "economy.medical_inflation.ar1", &fit->infl_ar1, "");
    row(f, "economy.medical_inflation.sd", &fit->infl_sd, "all common variation");
    row(f, "shocks.utilisation.ar1", &fit->util_ar1, "county-specific");
    row(f, "shocks.utilisation.sd", &fit->util_sd, "county-specific (rho = 0)");
    row(f, "cross-county correlation", &fit->common, "diagnostic, not a key");
    fputs("County levels relative to the city (log; 0 = the city's mean):\n", f);
    fprintf(f, "  %-14s", "county");
    for (int l = 0; l < L; l++) fprintf(f, " %28s", s->lines[l].id);
    fputc('\n', f);
    for (int c = 0; c < C; c++) {
        fprintf(f, "  %-14s", s->counties[c].id);
        for (int l = 0; l < L; l++) {
            const poolsim_fit_value *a = &fit->a[(size_t)l * C + c];
            fprintf(f, "   %7.4f [%7.4f, %7.4f]", a->est, a->lo, a->hi);
        }
        fputc('\n', f);
    }
    fputs("Not separately identified from these data: price against utilisation trend,\n"
          "a common utilisation shock against medical inflation, cost against use within a\n"
          "county, the epidemic process. The base scenario's values are kept for those.\n",
          f);
}
