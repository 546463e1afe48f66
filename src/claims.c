/* poolsim: claims benefits (MODEL.md section 3).
 *
 * Episode cost X ~ lognormal(mu, s) with s^2 = ln(1 + cv^2),
 * mu = ln(mean_x) - s^2/2; the fund pays Y = c (min(X,u) - d)^+ per episode.
 * Its moments come from the lognormal limited expected values LEV1/LEV2; the
 * aggregate over a year is drawn in one of three modes (claims_noise). */
#include "poolsim/claims.h"

#include <math.h>

#include <gsl/gsl_cdf.h>

#include "poolsim/scenario.h"

/* LEV1(x) = E[min(X,x)]
 *         = e^(mu + s^2/2) Phi((ln x - mu - s^2)/s) + x (1 - Phi((ln x - mu)/s)).
 * The upper tail 1 - Phi is taken as Q for accuracy. LEV1(0) = 0,
 * LEV1(inf) = e^(mu + s^2/2). */
double poolsim_claims_lev1(double x, double mu, double s)
{
    if (x <= 0) return 0.0;
    double m1 = exp(mu + 0.5 * s * s);
    if (isinf(x)) return m1;
    double lx = log(x);
    return m1 * gsl_cdf_ugaussian_P((lx - mu - s * s) / s) + x * gsl_cdf_ugaussian_Q((lx - mu) / s);
}

/* LEV2(x) = E[min(X,x)^2]
 *         = e^(2mu + 2s^2) Phi((ln x - mu - 2s^2)/s) + x^2 (1 - Phi((ln x - mu)/s)).
 * LEV2(0) = 0, LEV2(inf) = e^(2mu + 2s^2). */
double poolsim_claims_lev2(double x, double mu, double s)
{
    if (x <= 0) return 0.0;
    double m2 = exp(2 * mu + 2 * s * s);
    if (isinf(x)) return m2;
    double lx = log(x);
    return m2 * gsl_cdf_ugaussian_P((lx - mu - 2 * s * s) / s) +
           x * x * gsl_cdf_ugaussian_Q((lx - mu) / s);
}

/* LEV1(x) and LEV2(x) together, sharing ln x and the upper tail
 * Q((ln x - mu)/s): three normal-cdf evaluations instead of four. */
static void lev12(double x, double mu, double s, double *l1 /* OUT */, double *l2 /* OUT */)
{
    if (x <= 0) {
        *l1 = *l2 = 0.0;
        return;
    }
    double m1 = exp(mu + 0.5 * s * s), m2 = exp(2 * mu + 2 * s * s);
    if (isinf(x)) {
        *l1 = m1;
        *l2 = m2;
        return;
    }
    double z = (log(x) - mu) / s;
    double q = gsl_cdf_ugaussian_Q(z);
    *l1 = m1 * gsl_cdf_ugaussian_P(z - s) + x * q;
    *l2 = m2 * gsl_cdf_ugaussian_P(z - 2 * s) + x * x * q;
}

/* EY  = c (LEV1(u) - LEV1(d)),
 * EY2 = c^2 (LEV2(u) - LEV2(d) - 2 d (LEV1(u) - LEV1(d))),
 * VY  = max(0, EY2 - EY^2).
 * Rounding can leave a difference of LEV values a few ulps below zero when
 * d is close to u: EY and EY2 are clamped at 0. cv = 0 (a fixed cost, not
 * reachable from a validated scenario) gives the deterministic payment. */
void poolsim_claims_payment_moments(double mean_x, double cv, double d, double u, double c,
                                    poolsim_claims_moments *out /* OUT */)
{
    double ey, ey2;
    if (cv <= 0) {
        double y = c * fmax(0.0, fmin(mean_x, u) - d);
        ey = y;
        ey2 = y * y;
    } else {
        double s2 = log1p(cv * cv);
        double s = sqrt(s2);
        double mu = log(mean_x) - 0.5 * s2;
        double u1, u2, d1, d2;
        lev12(u, mu, s, &u1, &u2);
        lev12(d, mu, s, &d1, &d2);
        double l1 = u1 - d1, l2 = u2 - d2;
        ey = fmax(0.0, c * l1);
        ey2 = fmax(0.0, c * c * (l2 - 2 * d * l1));
    }
    out->ey = ey;
    out->ey2 = ey2;
    out->vy = fmax(0.0, ey2 - ey * ey);
}

/* ---- Poisson variates ---------------------------------------------------- */

/* ln k! for k < 10, exactly rounded (ln of 1, 1, 2, 6, 24, 120, 720, 5040,
 * 40320, 362880). */
static const double lnfact_small[10] = {
    0.0,
    0.0,
    0.69314718055994530942,
    1.79175946922805500081,
    3.17805383034794561965,
    4.78749174278204599425,
    6.57925121201010099506,
    8.52516136106541430017,
    10.60460290274525022842,
    12.80182748008146961121,
};

/* ln k! for k >= 0. For k >= 10 Stirling's series
 *   ln k! = (k + 1/2) ln k - k + ln sqrt(2 pi)
 *           + 1/(12k) - 1/(360k^3) + 1/(1260k^5) - 1/(1680k^7) + 1/(1188k^9),
 * whose first omitted term, 691/(360360 k^11), is below 2e-14 at k = 10.
 * (Own code rather than lgamma: lgamma writes the global signgam.) */
static double lnfact(double k)
{
    if (k < 10) return lnfact_small[(int)k];
    double r = 1.0 / k, r2 = r * r;
    double series =
        r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
    return (k + 0.5) * log(k) - k + 0.91893853320467274178 + series;
}

/* Inversion by sequential search from 0 (mu < 10): at most a few dozen
 * steps since P(N > 60 | mu < 10) < 1e-25; the step cap only guards against
 * an endless loop if the pmf underflows. */
static unsigned long poisson_inversion(poolsim_rng *r, double mu)
{
    double u = poolsim_rng_uniform(r);
    double p = exp(-mu);
    double F = p;
    unsigned long k = 0;
    while (u > F && k < 1000) {
        k++;
        p *= mu / (double)k;
        F += p;
    }
    return k;
}

/* PTRS: transformed rejection with squeeze, W. Hoermann (1993), "The
 * transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12, 39-45 (valid for mu >= 10).
 *   setup: b = 0.931 + 2.53 sqrt(mu), a = -0.059 + 0.02483 b,
 *          1/alpha = 1.1239 + 1.1328/(b - 3.4), v_r = 0.9277 - 3.6224/(b - 2)
 *          (poolsim_claims_compound_prepare);
 *   1. U ~ U(-1/2, 1/2), V ~ U(0,1), us = 1/2 - |U|,
 *      k = floor((2a/us + b) U + mu + 0.43);
 *   2. if us >= 0.07 and V <= v_r: accept k (squeeze, most draws);
 *   3. if k < 0 or (us < 0.013 and V > us): reject;
 *   4. accept if ln(V (1/alpha) / (a/us^2 + b)) <= -mu + k ln mu - ln k!.
 * k < 0 (y < 0 before the floor) is rejected before the squeeze (it never
 * passes it for mu >= 10; testing first keeps the conversion to unsigned
 * well defined). The uniforms lie strictly inside (0,1), so us > 0.
 * 1/alpha and ln mu are needed only in step 4 and computed when reached. */
static double poisson_ptrs(poolsim_rng *r, double mu, double b, double a, double vr)
{
    double inv_alpha = 0, lmu = 0;
    for (;;) {
        double U = poolsim_rng_uniform(r) - 0.5;
        double V = poolsim_rng_uniform(r);
        double us = 0.5 - fabs(U);
        double y = (2 * a / us + b) * U + mu + 0.43;
        if (y < 0) continue;
        /* floor(y), without a libm call below 2^63 */
        double k = y < 0x1p63 ? (double)(unsigned long long)y : floor(y);
        if (us >= 0.07 && V <= vr) return k;
        if (us < 0.013 && V > us) continue;
        if (inv_alpha == 0) {
            inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
            lmu = log(mu);
        }
        if (log(V * inv_alpha / (a / (us * us) + b)) <= -mu + k * lmu - lnfact(k)) return k;
    }
}

unsigned long poolsim_claims_poisson(poolsim_rng *r, double mu)
{
    poolsim_claims_draw q = {.lambda = mu};
    poolsim_claims_compound_prepare(&q);
    poolsim_claims_compound_count(&q, r);
    return (unsigned long)q.n;
}

void poolsim_claims_compound_count(poolsim_claims_draw *q, poolsim_rng *r)
{
    double mu = q->lambda;
    if (!(mu > 0))
        q->n = 0;
    else if (mu < 10)
        q->n = (double)poisson_inversion(r, mu);
    else
        q->n = poisson_ptrs(r, mu, q->b, q->a, q->vr);
}

double poolsim_claims_compound_amount(const poolsim_claims_draw *q, poolsim_rng *r)
{
    if (q->n == 0) return 0.0;
    if (!(q->m.vy > 0)) return q->n * q->m.ey;
    double g = poolsim_rng_gamma_mt(r, q->gd, q->gc);
    if (q->ginv > 0) g *= pow(poolsim_rng_uniform(r), q->ginv);
    return g * q->scale;
}

/* ---- Aggregate claims (MODEL.md section 3 table) ----------------------- */

double poolsim_claims_aggregate(int mode, double lambda, const poolsim_claims_moments *m,
                                poolsim_rng *r)
{
    switch (mode) {
    case POOLSIM_NOISE_NONE: return lambda * m->ey;
    case POOLSIM_NOISE_NORMAL: {
        double z = poolsim_rng_normal(r);
        return fmax(0.0, lambda * m->ey + sqrt(lambda * m->ey2) * z);
    }
    default: /* POOLSIM_NOISE_COMPOUND */ break;
    }
    if (!(lambda > 0) || !(m->ey > 0)) return 0.0;
    poolsim_claims_draw q = {.lambda = lambda, .m = *m};
    poolsim_claims_compound_prepare(&q);
    poolsim_claims_compound_count(&q, r);
    poolsim_claims_compound_shape(&q);
    return poolsim_claims_compound_amount(&q, r);
}
