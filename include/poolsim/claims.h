/* poolsim: claims benefits (MODEL.md section 3): lognormal limited moments,
 * per-episode payment moments, and the aggregate-claims draw of the three
 * claims_noise modes, including a fast Poisson sampler for large means. */
#ifndef POOLSIM_CLAIMS_H
#define POOLSIM_CLAIMS_H

#include <gsl/gsl_rng.h>

/* Moments of the fund's payment per episode, Y = c (min(X,u) - d)^+. */
typedef struct {
    double ey;  /* E[Y], yuan */
    double ey2; /* E[Y^2], yuan^2 */
    double vy;  /* Var[Y] = ey2 - ey^2 (clamped at 0) */
} poolsim_claims_moments;

/* Lognormal limited expected values with log-mean mu and log-sd s > 0:
 * LEV1(x) = E[min(X,x)], LEV2(x) = E[min(X,x)^2]; x may be 0 or +inf. */
double poolsim_claims_lev1(double x, double mu, double s);
double poolsim_claims_lev2(double x, double mu, double s);

/* Payment moments for an episode cost with mean mean_x > 0 and coefficient
 * of variation cv > 0, deductible d >= 0, ceiling u > d (may be +inf),
 * coinsurance c in [0,1]. */
void poolsim_claims_payment_moments(double mean_x, double cv, double d, double u, double c,
                                    poolsim_claims_moments *out /* OUT */);

/* Aggregate paid amount given the expected episode count lambda >= 0
 * (mode: enum poolsim_noise). `none` draws nothing; `normal` draws one
 * standard normal; `compound` draws n ~ Poisson(lambda), then a gamma. */
double poolsim_claims_aggregate(int mode, double lambda, const poolsim_claims_moments *m,
                                gsl_rng *r);

/* Poisson variate with mean mu >= 0: inversion for mu < 10, PTRS
 * (Hoermann 1993, transformed rejection with squeeze) for mu >= 10. */
unsigned long poolsim_claims_poisson(gsl_rng *r, double mu);

#endif
