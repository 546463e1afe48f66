/* poolsim: claims benefits (MODEL.md section 3): lognormal limited moments,
 * per-episode payment moments, and the aggregate-claims draw of the three
 * claims_noise modes, including a fast Poisson sampler for large means. */
#ifndef POOLSIM_CLAIMS_H
#define POOLSIM_CLAIMS_H

#include <math.h>
#include <stddef.h>

#include "poolsim/rng.h"

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
                                poolsim_rng *r);

/* The compound draw in four steps, for callers drawing many at once (the
 * engine runs each step over all claims benefits of a path, so that the
 * processor overlaps their square roots and divisions). Given lambda and m:
 *   prepare: the Poisson sampler's constants (square root, division);
 *   count:   n ~ Poisson(lambda) from r;
 *   shape:   the gamma's constants for shape n EY^2/VY, scale VY/EY;
 *   amount:  the gamma variate from r (0 when n = 0, n EY when VY = 0).
 * The four steps draw exactly what poolsim_claims_aggregate draws, which
 * calls them in turn (lambda > 0 and EY > 0; otherwise it draws nothing). */
typedef struct {
    double lambda;            /* expected episodes */
    poolsim_claims_moments m; /* payment moments per episode */
    double b, a, vr;          /* PTRS constants when lambda >= 10 */
    double n;                 /* episodes drawn */
    double gd, gc; /* Marsaglia-Tsang d = a' - 1/3, c = 1/sqrt(9d), a' = max(shape, shape + 1) */
    double ginv;   /* 1/shape when shape < 1, else 0 */
    double scale;  /* VY/EY */
} poolsim_claims_draw;

static inline void poolsim_claims_compound_prepare(poolsim_claims_draw *q)
{
    double b = 0.931 + 2.53 * sqrt(q->lambda > 10 ? q->lambda : 10);
    q->b = b;
    q->a = -0.059 + 0.02483 * b;
    q->vr = 0.9277 - 3.6224 / (b - 2);
}

void poolsim_claims_compound_count(poolsim_claims_draw *q, poolsim_rng *r);

static inline void poolsim_claims_compound_shape(poolsim_claims_draw *q)
{
    double ey = q->m.ey, vy = q->m.vy;
    double shape = vy > 0 ? q->n * ey * ey / vy : 1;
    double a1 = shape < 1 ? shape + 1 : shape;
    q->gd = a1 - 1.0 / 3;
    q->gc = 1 / sqrt(9 * q->gd);
    q->ginv = shape < 1 && shape > 0 ? 1 / shape : 0;
    q->scale = vy > 0 ? vy / ey : 0;
}

double poolsim_claims_compound_amount(const poolsim_claims_draw *q, poolsim_rng *r);

/* r[t], t < T: the claims sub-stream (path, year t + 1, who) with its
 * first block computed, as poolsim_rng_set(r + t, seed, path,
 * POOLSIM_STREAM_CLAIMS, t + 1, who) and poolsim_rng_refill leave it; four
 * years at a time with AVX2 (the same words). */
void poolsim_claims_year_streams(poolsim_rng *r, uint64_t seed, uint32_t path, uint32_t who, int T);

/* r[i], i < n: the claims sub-stream (path, year[i], who[i]) with its
 * first block computed, as poolsim_rng_set and poolsim_rng_refill leave
 * it; four streams at a time with AVX2 (the same words). */
void poolsim_claims_streams(poolsim_rng *r, uint64_t seed, uint32_t path, const uint32_t *year,
                            const uint32_t *who, size_t n);

/* The four steps over q[0..n) (lambda and m set), draw i from r[i] where
 * q[i].lambda > 0 and q[i].m.ey > 0 (else no draw: n = 0, amount 0):
 *   count_all:  prepare, then q[i].n as poolsim_claims_compound_count;
 *   amount_all: shape, then q[i].lambda := the amount of
 *               poolsim_claims_compound_amount.
 * Bit for bit the one-at-a-time results; on processors with AVX2 the
 * samplers' first tries, with their logarithmic tests, are taken four at a
 * time (claims.c), and count_all may already compute the next block of a
 * stream it used up whose amount draws a gamma variate (as
 * poolsim_rng_refill: the words drawn afterwards are the same). */
void poolsim_claims_compound_count_all(poolsim_claims_draw *q, poolsim_rng *r, size_t n);
void poolsim_claims_compound_amount_all(poolsim_claims_draw *q, poolsim_rng *r, size_t n);

/* Select the scalar loops (on = 0) or the AVX2 ones where the processor
 * has AVX2 (on = 1; on < 0 changes nothing); returns the previous setting
 * (1 when AVX2 was in use). Default: AVX2 when available, unless the
 * environment variable POOLSIM_SIMD is "0" at start. Not thread-safe: for
 * tests, outside parallel regions. */
int poolsim_claims_simd(int on);

/* For tests of the AVX2 loops' log tests (claims.c), not thread-safe:
 * poolsim_claims_simd_margin multiplies the margins by scale >= 0 (1 is
 * the derived margin; a huge scale sends every tested lane to the scalar
 * code; scale < 0 changes nothing) and returns the previous scale;
 * poolsim_claims_simd_count(c) adds the lanes of each outcome to *c from
 * then on (NULL stops). */
typedef struct {
    long ptrs_squeeze;                        /* PTRS first tries kept by the squeeze */
    long ptrs_accept, ptrs_reject, ptrs_near; /* PTRS log test: kept, rejected, too close */
    long mt_squeeze;                          /* gamma first tries kept by the squeeze */
    long mt_accept, mt_reject, mt_near;       /* gamma log test */
    long refill;                              /* blocks computed early for a gamma first try */
} poolsim_claims_simd_counts;
double poolsim_claims_simd_margin(double scale);
void poolsim_claims_simd_count(poolsim_claims_simd_counts *c);

/* ln x for the positive normal doubles x[0..n) into y[0..n) by the AVX2
 * loops' logarithm (|y - ln x| <= 2^-50 |ln x|); returns 0 (and computes
 * nothing) without AVX2. For tests. */
int poolsim_claims_simd_log(const double *x, double *y, size_t n);

/* The log tests on one lane, for tests: D approximates the scalar code's
 * right side minus left side (PTRS step 4 from mu, b, a of prepare and the
 * first try's V, us, k; Marsaglia-Tsang from d, x^2, v, u), M is the
 * margin: the scalar code accepts when D > M and rejects when D < -M.
 * Return 0 (and set nothing) without AVX2. */
int poolsim_claims_simd_ptrs_test(double mu, double b, double a, double V, double us, double k,
                                  double *D /* OUT */, double *M /* OUT */);
int poolsim_claims_simd_mt_test(double d, double x2, double v, double u, double *D /* OUT */,
                                double *M /* OUT */);

/* Poisson variate with mean mu >= 0: inversion for mu < 10, PTRS
 * (Hoermann 1993, transformed rejection with squeeze) for mu >= 10. */
unsigned long poolsim_claims_poisson(poolsim_rng *r, double mu);

#endif
