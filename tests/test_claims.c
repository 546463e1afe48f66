/* Tests of src/claims.c (MODEL.md section 3): limited moments against closed
 * forms and numerical integration, the Poisson sampler against the exact
 * pmf, and the three aggregate modes against their exact mean and variance.
 * Statistical checks use fixed seeds and accept within 5 standard errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <Random123/philox.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>

#include "poolsim/claims.h"
#include "poolsim/rng.h"
#include "poolsim/scenario.h"

static poolsim_rng *new_rng(uint32_t path)
{
    poolsim_rng *r = malloc(sizeof *r);
    if (r) poolsim_rng_set(r, 12345, path, POOLSIM_STREAM_CLAIMS, 1, 0);
    return r;
}

/* ---- limited moments ---------------------------------------------------- */

static void test_lev_limits(void)
{
    const double cvs[] = {0.2, 1.0, 3.0};
    for (int i = 0; i < 3; i++) {
        double mx = 8000, cv = cvs[i], c = 0.75;
        double s2 = log(1 + cv * cv), s = sqrt(s2), mu = log(mx) - s2 / 2;
        CU_ASSERT_EQUAL(poolsim_claims_lev1(0, mu, s), 0.0);
        CU_ASSERT_EQUAL(poolsim_claims_lev2(0, mu, s), 0.0);
        CU_ASSERT_DOUBLE_EQUAL(poolsim_claims_lev1(INFINITY, mu, s), mx, 1e-12 * mx);
        CU_ASSERT_DOUBLE_EQUAL(poolsim_claims_lev2(INFINITY, mu, s), mx * mx * (1 + cv * cv),
                               1e-12 * mx * mx * (1 + cv * cv));
        /* d = 0, u = inf: Y = c X, so EY = c mu_X, EY2 = c^2 mu_X^2 (1 + cv^2) */
        poolsim_claims_moments m;
        poolsim_claims_payment_moments(mx, cv, 0, INFINITY, c, &m);
        CU_ASSERT_DOUBLE_EQUAL(m.ey, c * mx, 1e-12 * c * mx);
        double ey2 = c * c * mx * mx * (1 + cv * cv);
        CU_ASSERT_DOUBLE_EQUAL(m.ey2, ey2, 1e-12 * ey2);
        CU_ASSERT_DOUBLE_EQUAL(m.vy, c * c * mx * mx * cv * cv, 1e-11 * ey2);
        /* a huge finite ceiling approaches the unlimited moments */
        CU_ASSERT_DOUBLE_EQUAL(poolsim_claims_lev1(1e30, mu, s), mx, 1e-12 * mx);
    }
    /* coinsurance 0 pays nothing */
    poolsim_claims_moments z;
    poolsim_claims_payment_moments(8000, 1.0, 100, 5000, 0.0, &z);
    CU_ASSERT_EQUAL(z.ey, 0.0);
    CU_ASSERT_EQUAL(z.ey2, 0.0);
    CU_ASSERT_EQUAL(z.vy, 0.0);
}

/* Independent check: the moments of Y = c (min(X,u) - d)^+ by adaptive
 * quadrature over t = ln X ~ N(mu, s^2) (density written out here):
 *   E[Y^j] / c^j = int_{ln d}^{ln u} (e^t - d)^j phi_t dt + (u - d)^j int_{ln u}^inf phi_t dt,
 * with ln 0 = -inf and ln inf = inf. */
struct lnpar {
    double mu, s, d;
    int j; /* 0: density only, 1 or 2: (e^t - d)^j times density */
};

static double f_log(double t, void *p)
{
    const struct lnpar *q = p;
    double z = (t - q->mu) / q->s;
    double dens = exp(-0.5 * z * z) / (q->s * sqrt(2 * M_PI));
    double y = exp(t) - q->d;
    return q->j == 0 ? dens : q->j == 1 ? y * dens : y * y * dens;
}

/* int_a^b f_log over t, a = ln(lo), b = ln(hi), lo may be 0, hi may be inf.
 * The range is cut to mu +- 40 s: beyond it the integrand (at most e^(2t)
 * times the density, a normal shape centred at mu + 2 s^2 <= mu + 3.1 s for
 * cv <= 3) is below e^-600 of its peak. */
static double integral(gsl_integration_workspace *w, struct lnpar *q, double lo, double hi)
{
    gsl_function F = {f_log, q};
    double a = lo > 0 ? log(lo) : -INFINITY, b = isinf(hi) ? INFINITY : log(hi);
    a = fmax(a, q->mu - 40 * q->s);
    b = fmin(b, q->mu + 40 * q->s);
    double res = NAN, err = NAN;
    int st = gsl_integration_qags(&F, a, b, 0, 1e-11, 1000, w, &res, &err);
    CU_ASSERT_EQUAL(st, 0);
    return res;
}

static void test_lev_quadrature(void)
{
    const double cvs[] = {0.5, 1.5, 3.0};
    const double du[][2] = {{0, INFINITY}, {0, 20000},     {800, INFINITY},
                            {800, 20000},  {1500, 200000}, {30000, 60000}};
    const double mx = 8000, c = 0.7;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    CU_ASSERT_FATAL(w != NULL);
    for (int i = 0; i < 3; i++) {
        double cv = cvs[i];
        double s2 = log(1 + cv * cv), s = sqrt(s2), mu = log(mx) - s2 / 2;
        for (size_t k = 0; k < sizeof du / sizeof du[0]; k++) {
            double d = du[k][0], u = du[k][1];
            struct lnpar q0 = {mu, s, d, 0}, q1 = {mu, s, d, 1}, q2 = {mu, s, d, 2};
            double tail = isinf(u) ? 0.0 : integral(w, &q0, u, INFINITY);
            double ey = c * (integral(w, &q1, d, u) + (isinf(u) ? 0 : (u - d) * tail));
            double ey2 =
                c * c * (integral(w, &q2, d, u) + (isinf(u) ? 0 : (u - d) * (u - d) * tail));
            poolsim_claims_moments m;
            poolsim_claims_payment_moments(mx, cv, d, u, c, &m);
            CU_ASSERT_DOUBLE_EQUAL(m.ey, ey, 1e-8 * ey);
            CU_ASSERT_DOUBLE_EQUAL(m.ey2, ey2, 1e-8 * ey2);
            CU_ASSERT_DOUBLE_EQUAL(m.vy, ey2 - ey * ey, 1e-7 * ey2);
            /* LEV1(x) alone: int_0^x x f + x P(X > x), at x = u */
            if (!isinf(u)) {
                struct lnpar qx = {mu, s, 0, 1};
                double lev1 = integral(w, &qx, 0, u) + u * tail;
                CU_ASSERT_DOUBLE_EQUAL(poolsim_claims_lev1(u, mu, s), lev1, 1e-9 * lev1);
            }
        }
    }
    gsl_integration_workspace_free(w);
}

/* ---- Poisson ------------------------------------------------------------ */

/* Chi-square goodness of fit of n draws at mean mu against the exact pmf
 * (gsl_ran_poisson_pdf), k outside mu +- (10 sqrt(mu) + 10) folded into
 * the end cells with their exact tail probabilities; adjacent cells merged
 * until each expects >= 5 draws (the usual validity condition of the
 * chi-square approximation). Returns the p-value; also the sample mean and
 * variance. */
static double poisson_gof(poolsim_rng *r, double mu, int n, double *mean, double *var)
{
    double half = 10 * sqrt(mu) + 10;
    long lo = (long)fmax(0.0, floor(mu - half)), hi = (long)ceil(mu + half);
    long m = hi - lo + 1;
    double *obs = calloc((size_t)m, sizeof *obs), *ex = calloc((size_t)m, sizeof *ex);
    CU_ASSERT_FATAL(obs != NULL && ex != NULL);
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        unsigned long k = poolsim_claims_poisson(r, mu);
        double dk = (double)k;
        s += dk;
        s2 += (dk - mu) * (dk - mu);
        long j = (long)k < lo ? 0 : (long)k > hi ? m - 1 : (long)k - lo;
        obs[j] += 1;
    }
    *mean = s / n;
    *var = s2 / n - (*mean - mu) * (*mean - mu);
    for (long j = 0; j < m; j++) ex[j] = n * gsl_ran_poisson_pdf((unsigned)(lo + j), mu);
    if (lo > 0) ex[0] += n * gsl_cdf_poisson_P((unsigned)(lo - 1), mu);
    ex[m - 1] += n * gsl_cdf_poisson_Q((unsigned)hi, mu);
    double total_left = 0;
    for (long j = 0; j < m; j++) total_left += ex[j];
    double chi2 = 0, o = 0, e = 0;
    int cells = 0;
    for (long j = 0; j < m; j++) {
        o += obs[j];
        e += ex[j];
        total_left -= ex[j];
        if ((e >= 5 && total_left >= 5) || j == m - 1) {
            chi2 += (o - e) * (o - e) / e;
            cells++;
            o = e = 0;
        }
    }
    free(obs);
    free(ex);
    CU_ASSERT(cells >= 3);
    return gsl_cdf_chisq_Q(chi2, cells - 1);
}

/* Threshold: a correct sampler gives a p-value uniform on (0,1), so each
 * of the 8 means fails p > 1e-4 with probability 1e-4 and the whole test
 * with at most 8e-4 (Bonferroni) for a seed drawn at random; the seed is
 * fixed, so the outcome is reproducible. Mean and variance: SE of the
 * sample mean sqrt(mu/n); of the sample variance sqrt((mu4 - mu^2)/n) with
 * the Poisson fourth central moment mu4 = mu (1 + 3 mu). */
static void test_poisson(void)
{
    const double mus[] = {3, 9.99, 10, 37.5, 1e3, 1e4, 1e6, 1e8};
    const int n = 200000;
    poolsim_rng *r = new_rng(1);
    CU_ASSERT_FATAL(r != NULL);
    for (size_t i = 0; i < sizeof mus / sizeof mus[0]; i++) {
        double mu = mus[i], mean, var;
        poolsim_rng_set(r, 777, (uint32_t)i, POOLSIM_STREAM_CLAIMS, 1, 0);
        double p = poisson_gof(r, mu, n, &mean, &var);
        CU_ASSERT(p > 1e-4);
        CU_ASSERT(fabs(mean - mu) < 5 * sqrt(mu / n));
        CU_ASSERT(fabs(var - mu) < 5 * sqrt((mu * (1 + 3 * mu) - mu * mu) / n));
    }
    CU_ASSERT_EQUAL(poolsim_claims_poisson(r, 0.0), 0);
    free(r);
}

/* ---- aggregate draws ---------------------------------------------------- */

struct moments4 {
    double mean, var, m4;
};

static struct moments4 sample_moments(const double *a, int n)
{
    struct moments4 out = {0, 0, 0};
    for (int i = 0; i < n; i++) out.mean += a[i];
    out.mean /= n;
    for (int i = 0; i < n; i++) {
        double e = a[i] - out.mean;
        out.var += e * e;
        out.m4 += e * e * e * e;
    }
    out.var /= n;
    out.m4 /= n;
    return out;
}

/* compound: E[A] = lambda EY, Var[A] = lambda EY2 (compound Poisson).
 * SE of the mean sqrt(lambda EY2 / n); of the variance sqrt((m4 - var^2)/n)
 * with the sample fourth central moment m4. */
static void test_compound(void)
{
    const double lambdas[] = {0.4, 3, 25, 4000};
    const int n = 200000;
    double *a = malloc(n * sizeof *a);
    poolsim_rng *r = new_rng(2);
    CU_ASSERT_FATAL(a != NULL && r != NULL);
    poolsim_claims_moments m;
    poolsim_claims_payment_moments(8000, 1.5, 800, 100000, 0.7, &m);
    for (size_t i = 0; i < sizeof lambdas / sizeof lambdas[0]; i++) {
        double lam = lambdas[i];
        long zeros = 0;
        for (int j = 0; j < n; j++) {
            a[j] = poolsim_claims_aggregate(POOLSIM_NOISE_COMPOUND, lam, &m, r);
            zeros += a[j] == 0;
        }
        struct moments4 s = sample_moments(a, n);
        CU_ASSERT(fabs(s.mean - lam * m.ey) < 5 * sqrt(lam * m.ey2 / n));
        CU_ASSERT(fabs(s.var - lam * m.ey2) < 5 * sqrt((s.m4 - s.var * s.var) / n));
        /* A = 0 exactly when n = 0: probability e^-lambda */
        double p0 = exp(-lam);
        CU_ASSERT(fabs((double)zeros / n - p0) <= 5 * sqrt(p0 * (1 - p0) / n) + 1e-12);
    }
    /* VY = 0: A = n EY, so A / EY is the Poisson count */
    poolsim_claims_moments fixed = {3.0, 9.0, 0.0};
    double s = 0;
    int integral_ok = 1;
    for (int j = 0; j < n; j++) {
        double x = poolsim_claims_aggregate(POOLSIM_NOISE_COMPOUND, 12.5, &fixed, r) / 3.0;
        integral_ok &= x == floor(x);
        s += x;
    }
    CU_ASSERT(integral_ok);
    CU_ASSERT(fabs(s / n - 12.5) < 5 * sqrt(12.5 / n));
    /* lambda = 0 or EY = 0: nothing is paid */
    CU_ASSERT_EQUAL(poolsim_claims_aggregate(POOLSIM_NOISE_COMPOUND, 0.0, &m, r), 0.0);
    poolsim_claims_moments zero = {0, 0, 0};
    CU_ASSERT_EQUAL(poolsim_claims_aggregate(POOLSIM_NOISE_COMPOUND, 50.0, &zero, r), 0.0);
    free(r);
    free(a);
}

/* normal: A = max(0, M + S Z), M = lambda EY, S = sqrt(lambda EY2). With
 * t = M/S the censored normal has E[A] = M Phi(t) + S phi(t) and
 * E[A^2] = (M^2 + S^2) Phi(t) + M S phi(t); for lambda = 4000 t is about
 * 27, so the censoring is negligible; for lambda = 0.5 it is not. */
static void test_normal(void)
{
    const double lambdas[] = {0.5, 4000};
    const int n = 200000;
    double *a = malloc(n * sizeof *a);
    poolsim_rng *r = new_rng(3);
    CU_ASSERT_FATAL(a != NULL && r != NULL);
    poolsim_claims_moments m;
    poolsim_claims_payment_moments(8000, 1.5, 800, 100000, 0.7, &m);
    for (size_t i = 0; i < 2; i++) {
        double lam = lambdas[i];
        double M = lam * m.ey, S = sqrt(lam * m.ey2), t = M / S;
        double ea = M * gsl_cdf_ugaussian_P(t) + S * gsl_ran_ugaussian_pdf(t);
        double ea2 = (M * M + S * S) * gsl_cdf_ugaussian_P(t) + M * S * gsl_ran_ugaussian_pdf(t);
        double va = ea2 - ea * ea;
        for (int j = 0; j < n; j++)
            a[j] = poolsim_claims_aggregate(POOLSIM_NOISE_NORMAL, lam, &m, r);
        struct moments4 s = sample_moments(a, n);
        CU_ASSERT(fabs(s.mean - ea) < 5 * sqrt(va / n));
        CU_ASSERT(fabs(s.var - va) < 5 * sqrt((s.m4 - s.var * s.var) / n));
    }
    free(r);
    free(a);
}

/* none: exactly lambda EY, and no draw is taken from the generator. */
static void test_none(void)
{
    poolsim_rng *r = new_rng(4), *r2 = new_rng(4);
    CU_ASSERT_FATAL(r != NULL && r2 != NULL);
    poolsim_claims_moments m;
    poolsim_claims_payment_moments(8000, 1.5, 800, 100000, 0.7, &m);
    CU_ASSERT_EQUAL(poolsim_claims_aggregate(POOLSIM_NOISE_NONE, 1234.5, &m, r), 1234.5 * m.ey);
    CU_ASSERT_EQUAL(poolsim_rng_u32(r), poolsim_rng_u32(r2));
    free(r);
    free(r2);
}

/* ---- many draws at once --------------------------------------------------
 *
 * poolsim_claims_compound_count_all / _amount_all, with AVX2 (first tries
 * four at a time) and with the scalar loops, against poolsim_claims_aggregate
 * one draw at a time from a copy of the same stream: the counts, the
 * amounts and the streams' positions afterwards must be the same bits.
 * Parameters are drawn at random over the cases the samplers distinguish:
 * lambda 0, below 10 (inversion), exactly 10, up to 1e7 (PTRS); EY 0 or
 * positive; VY 0, small (large gamma shapes), or large (shape < 1, the
 * power of a uniform); n = 0; streams with 0 to 4 words of their block
 * used. 4,099 draws: several chunks and a partial group of four. */
enum { NBATCH = 4099 };

static void batch_params(poolsim_rng *pr, poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double u = poolsim_rng_uniform(pr), lam;
        int kind = (int)(poolsim_rng_u32(pr) % 8u);
        if (kind == 0)
            lam = 0;
        else if (kind == 1)
            lam = 10 * u; /* inversion (and lambda near 0) */
        else if (kind == 2)
            lam = 10;
        else
            lam = 10 * pow(1e6, u); /* PTRS, 10 .. 1e7 */
        double ey = poolsim_rng_u32(pr) % 16u == 0 ? 0 : 50 + 5000 * poolsim_rng_uniform(pr);
        double vy;
        switch (poolsim_rng_u32(pr) % 4u) {
        case 0: vy = 0; break;
        case 1: vy = ey * ey * 1e-3 * poolsim_rng_uniform(pr); break;
        case 2: vy = ey * ey * 4 * poolsim_rng_uniform(pr); break;
        default: vy = ey * ey * 1e3 * poolsim_rng_uniform(pr); break; /* shape < 1 often */
        }
        q[i] = (poolsim_claims_draw){.lambda = lam, .m = {ey, vy + ey * ey, vy}};
        poolsim_rng_set(&r[i], 777, (uint32_t)i, POOLSIM_STREAM_CLAIMS, 3, 0xabcdu);
        poolsim_rng_refill(&r[i]);
        unsigned used = poolsim_rng_u32(pr) % 8u; /* mostly a fresh block */
        for (unsigned k = 0; used <= 4 && k < used; k++) (void)poolsim_rng_u32(&r[i]);
    }
}

/* Runs of the batch test: the margin scale of the AVX2 log tests (1: as
 * derived; 1e9 and 1e12 send more and more lanes back to the scalar code
 * as "near"; 1e300 all of them) */
static const double margin_scales[] = {1, 1e9, 1e12, 1e300};
enum { NSCALE = 4, NREP = 25 };

static void test_batch_simd(void)
{
    poolsim_claims_draw *q = malloc(NBATCH * sizeof *q), *q2 = malloc(NBATCH * sizeof *q2);
    poolsim_rng *r = malloc(NBATCH * sizeof *r), *r2 = malloc(NBATCH * sizeof *r2);
    poolsim_rng *r1 = malloc(NBATCH * sizeof *r1);
    double *cnt = malloc(NBATCH * sizeof *cnt), *amt = malloc(NBATCH * sizeof *amt);
    CU_ASSERT_FATAL(q && q2 && r && r2 && r1 && cnt && amt);
    int was = poolsim_claims_simd(-1);
    poolsim_claims_simd(1);
    int avx2 = poolsim_claims_simd(-1);
    if (!avx2) fprintf(stderr, "\n  (no AVX2 on this processor: scalar loops only) ");
    long ptrs = 0, gam = 0, diff_n = 0, diff_a = 0, diff_r = 0;
    poolsim_claims_simd_counts st[NSCALE];
    memset(st, 0, sizeof st);
    for (uint32_t rep = 0; rep < NREP; rep++) {
        poolsim_rng pr;
        poolsim_rng_set(&pr, 99, rep, POOLSIM_STREAM_ECONOMY, 1, 0);
        batch_params(&pr, q, r, NBATCH);
        /* reference: the four steps one draw at a time, as
         * poolsim_claims_aggregate takes them */
        memcpy(r1, r, NBATCH * sizeof *r);
        for (size_t i = 0; i < NBATCH; i++) {
            poolsim_claims_draw d = q[i];
            cnt[i] = amt[i] = 0;
            if (!(d.lambda > 0 && d.m.ey > 0)) continue;
            poolsim_claims_compound_prepare(&d);
            poolsim_claims_compound_count(&d, &r1[i]);
            poolsim_claims_compound_shape(&d);
            cnt[i] = d.n;
            amt[i] = poolsim_claims_compound_amount(&d, &r1[i]);
            ptrs += d.lambda >= 10;
            gam += d.n > 0 && d.m.vy > 0 && d.ginv == 0;
        }
        for (int mode = 0; mode < 1 + NSCALE; mode++) {
            poolsim_claims_simd(mode ? avx2 : 0);
            double was_scale = poolsim_claims_simd_margin(mode ? margin_scales[mode - 1] : 1);
            poolsim_claims_simd_count(mode ? &st[mode - 1] : NULL);
            memcpy(q2, q, NBATCH * sizeof *q);
            memcpy(r2, r, NBATCH * sizeof *r);
            poolsim_claims_compound_count_all(q2, r2, NBATCH);
            for (size_t i = 0; i < NBATCH; i++)
                diff_n += memcmp(&q2[i].n, &cnt[i], sizeof(double)) != 0;
            poolsim_claims_compound_amount_all(q2, r2, NBATCH);
            for (size_t i = 0; i < NBATCH; i++) {
                diff_a += memcmp(&q2[i].lambda, &amt[i], sizeof(double)) != 0;
                diff_r += memcmp(&r2[i], &r1[i], sizeof r2[i]) != 0;
            }
            poolsim_claims_simd_count(NULL);
            poolsim_claims_simd_margin(was_scale);
        }
    }
    poolsim_claims_simd(was);
    if (avx2) {
        /* every outcome of the vector log tests is there in numbers (with
         * the derived margin no lane of these is near the boundary) */
        CU_ASSERT(st[0].ptrs_squeeze > NREP * NBATCH / 4);
        CU_ASSERT(st[0].ptrs_accept > 5000);
        CU_ASSERT(st[0].ptrs_reject > 5000);
        CU_ASSERT(st[0].mt_squeeze > NREP * NBATCH / 8);
        CU_ASSERT(st[0].mt_accept > 2000);
        CU_ASSERT(st[0].refill > 1000);
        CU_ASSERT(st[1].ptrs_near > 100 && st[1].ptrs_accept > 5000);
        CU_ASSERT(st[1].mt_near > 20 && st[1].mt_accept > 1000);
        CU_ASSERT(st[2].ptrs_near > st[1].ptrs_near && st[2].mt_near > st[1].mt_near);
        CU_ASSERT(st[3].ptrs_accept + st[3].ptrs_reject + st[3].mt_accept + st[3].mt_reject == 0);
        for (int k = 0; k < NSCALE; k++)
            fprintf(stderr,
                    "\n  margin x%g: PTRS squeeze %ld, log test accept %ld reject %ld near %ld; "
                    "gamma squeeze %ld, accept %ld reject %ld near %ld; refills %ld",
                    margin_scales[k], st[k].ptrs_squeeze, st[k].ptrs_accept, st[k].ptrs_reject,
                    st[k].ptrs_near, st[k].mt_squeeze, st[k].mt_accept, st[k].mt_reject,
                    st[k].mt_near, st[k].refill);
    }
    CU_ASSERT_EQUAL(diff_n, 0);
    CU_ASSERT_EQUAL(diff_a, 0);
    CU_ASSERT_EQUAL(diff_r, 0);
    /* every case is there in numbers */
    CU_ASSERT(ptrs > NREP * NBATCH / 2);
    CU_ASSERT(gam > NREP * NBATCH / 4);
    free(q);
    free(q2);
    free(r);
    free(r2);
    free(r1);
    free(cnt);
    free(amt);
}

/* ---- the AVX2 loops' logarithm and log tests -----------------------------
 *
 * The vector logarithm against logl (x87 extended precision, 64-bit
 * significand: its own error, about 2^-64 relative, is far below the bound)
 * and against glibc's log, over points near 1, around sqrt(2) and the powers
 * of two, tiny and huge, the sampler's uniforms, and 10^6 random doubles:
 * |y - ln x| <= 2^-50 |ln x| (claims.c). glibc's log is checked within one
 * ulp of logl on the same points (the margins assume it). */
enum { NLOG = 1 << 20 };

static void test_simd_log(void)
{
    double *x = malloc(NLOG * sizeof *x), *y = malloc(NLOG * sizeof *y);
    CU_ASSERT_FATAL(x && y);
    size_t n = 0;
    x[n++] = 1;
    for (int j = 1; j <= 2000; j++) {
        x[n++] = 1 + j * 0x1p-52;
        x[n++] = 1 - j * 0x1p-53;
    }
    for (int k = 1; k <= 15; k++)
        for (int j = 1; j <= 9; j++) {
            x[n++] = 1 + j * pow(10, -k);
            x[n++] = 1 - j * pow(10, -k);
        }
    for (int e = -1022; e <= 1023; e++) {
        double p2 = ldexp(1, e);
        x[n++] = p2;
        x[n++] = nextafter(p2, 0);
        x[n++] = nextafter(p2, INFINITY);
        double r2 = ldexp(1.41421356237309504880, e); /* the reduction's boundary */
        x[n++] = r2;
        x[n++] = nextafter(r2, 0);
        x[n++] = nextafter(r2, INFINITY);
    }
    x[n++] = 0x1p-1022;
    x[n++] = 0x1.fffffffffffffp1023;
    x[n++] = 1e-300;
    x[n++] = 1e300;
    for (uint32_t w = 0; w < 4096; w++) /* the sampler's uniforms (w + 1/2) 2^-32, both ends */
    {
        x[n++] = ((double)w + 0.5) * 0x1p-32;
        x[n++] = ((double)(0xffffffffu - w) + 0.5) * 0x1p-32;
    }
    poolsim_rng pr;
    poolsim_rng_set(&pr, 4321, 0, POOLSIM_STREAM_ECONOMY, 1, 0);
    while (n < NLOG) {
        uint64_t bits = (uint64_t)poolsim_rng_u32(&pr) << 32 | poolsim_rng_u32(&pr);
        uint64_t e = 1 + (bits >> 52) % 2046; /* normal, positive */
        bits = (bits & 0x000fffffffffffffULL) | e << 52;
        double v;
        memcpy(&v, &bits, sizeof v);
        /* a quarter of them within 2^-10 of 1 */
        x[n] = n % 4 == 0 ? 1 + (v / 0x1p1023 - 0.5) * 0x1p-9 : v;
        n++;
    }
    if (!poolsim_claims_simd_log(x, y, n)) {
        fprintf(stderr, "\n  (no AVX2 on this processor: nothing to test) ");
        free(x);
        free(y);
        return;
    }
    long bad = 0, bad_glibc = 0, bad_ref = 0;
    double worst = 0; /* largest |y - ln x| / (2^-53 |ln x|) */
    for (size_t i = 0; i < n; i++) {
        long double L = logl((long double)x[i]);
        long double err = fabsl((long double)y[i] - L), mag = fabsl(L);
        if (mag == 0) {
            bad += y[i] != 0;
            continue;
        }
        if (err > 0x1p-50L * mag * (1 - 0x1p-10L)) bad++;
        if (err / (0x1p-53L * mag) > worst) worst = (double)(err / (0x1p-53L * mag));
        double g = log(x[i]);
        bad_ref += fabsl((long double)g - L) > 0x1p-52L * mag;
        bad_glibc += fabs(y[i] - g) > (0x1p-50 + 0x1p-52) * fabs(g);
    }
    fprintf(stderr, "\n  %zu points, largest error %.2f x 2^-53 |ln x| ", n, worst);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(bad_glibc, 0);
    CU_ASSERT_EQUAL(bad_ref, 0);
    CU_ASSERT(worst > 0.1); /* the comparison measures something */
    /* outside the positive normal doubles: NaN (the log test undecided) */
    double odd[8] = {0, -1, 0x1p-1074, 0x0.fffffffffffffp-1022, INFINITY, NAN, -INFINITY, 1}, ly[8];
    poolsim_claims_simd_log(odd, ly, 8);
    for (int i = 0; i < 7; i++) CU_ASSERT(isnan(ly[i]));
    CU_ASSERT_EQUAL(ly[7], 0.0);
    free(x);
    free(y);
}

/* ln k! as poisson_ptrs takes it (claims.c lnfact): below 10 the exactly
 * rounded value, here from long-double lgamma rounded to double (equal to
 * claims.c's table of constants on glibc); from 10 on, the Stirling series */
static double lnfact_ref(double k)
{
    if (k < 10) return (double)lgammal((long double)k + 1);
    double r = 1.0 / k, r2 = r * r;
    double series =
        r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
    return (k + 0.5) * log(k) - k + 0.91893853320467274178 + series;
}

/* poolsim_claims_year_streams, scalar and AVX2: stream t is the claims
 * sub-stream (path, year t + 1, who) just after its first block, whose
 * words come from Random123's own Philox4x32-10 (an implementation
 * independent of rng.h and rng_avx2.h); nothing past r[T - 1] is written,
 * and the words after the first block continue the stream that
 * poolsim_rng_set starts. */
static void test_year_streams(void)
{
    int was = poolsim_claims_simd(-1);
    poolsim_rng r[17], fresh; /* T <= 13: a group of four past T stays inside */
    uint64_t state = 0x9e3779b97f4a7c15u;
    for (int mode = 0; mode < 2; mode++) {
        poolsim_claims_simd(mode);
        for (int rep = 0; rep < 200; rep++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            uint64_t seed = state;
            state = state * 6364136223846793005u + 1442695040888963407u;
            uint32_t path = (uint32_t)(state >> 32), who = (uint32_t)state;
            int T = 1 + rep % 13;
            memset(r, 0xa5, sizeof r);
            poolsim_claims_year_streams(r, seed, path, who, T);
            const unsigned char *past = (const unsigned char *)&r[T];
            int untouched = 1;
            for (size_t b = 0; b < sizeof r[T] * (size_t)(17 - T); b++)
                untouched &= past[b] == 0xa5;
            CU_ASSERT(untouched);
            for (int t = 0; t < T; t++) {
                uint32_t c1 = (uint32_t)POOLSIM_STREAM_CLAIMS << 24 | (uint32_t)(t + 1);
                philox4x32_ctr_t ctr = {{path, c1, who, 0}};
                philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
                philox4x32_ctr_t want = philox4x32_R(10, ctr, key);
                CU_ASSERT(r[t].ctr[0] == path && r[t].ctr[1] == c1 && r[t].ctr[2] == who &&
                          r[t].ctr[3] == 1);
                CU_ASSERT(r[t].key[0] == key.v[0] && r[t].key[1] == key.v[1]);
                CU_ASSERT(r[t].left == 4);
                CU_ASSERT(memcmp(r[t].buf, want.v, sizeof r[t].buf) == 0);
                poolsim_rng_set(&fresh, seed, path, POOLSIM_STREAM_CLAIMS, (uint32_t)(t + 1), who);
                int same = 1;
                for (int k = 0; k < 9; k++)
                    same &= poolsim_rng_u32(&r[t]) == poolsim_rng_u32(&fresh);
                CU_ASSERT(same);
            }
        }
    }
    poolsim_claims_simd(was);
}

/* poolsim_claims_streams, scalar and AVX2: stream i is the claims
 * sub-stream (path, year[i], who[i]) just after its first block, checked
 * against Random123's own Philox4x32-10, for lists of 1 to 23 streams
 * (groups of four and a shorter last one) with years and addresses
 * changing from stream to stream; nothing past r[n - 1] is written. */
static void test_streams(void)
{
    int was = poolsim_claims_simd(-1);
    enum { N = 23 };
    poolsim_rng r[N + 4];
    uint32_t year[N], who[N];
    uint64_t state = 0x2545f4914f6cdd1du;
    long bad = 0, checked = 0;
    for (int mode = 0; mode < 2; mode++) {
        poolsim_claims_simd(mode);
        for (int rep = 0; rep < 300; rep++) {
            state = state * 6364136223846793005u + 1442695040888963407u;
            uint64_t seed = state;
            state = state * 6364136223846793005u + 1442695040888963407u;
            uint32_t path = (uint32_t)(state >> 32);
            size_t n = 1 + (size_t)rep % N;
            for (size_t i = 0; i < n; i++) {
                state = state * 6364136223846793005u + 1442695040888963407u;
                year[i] = 1 + (uint32_t)(state >> 59); /* 1..32 */
                who[i] = (uint32_t)(state >> 20);
            }
            memset(r, 0xa5, sizeof r);
            poolsim_claims_streams(r, seed, path, year, who, n);
            const unsigned char *past = (const unsigned char *)&r[n];
            for (size_t b = 0; b < sizeof r[0] * (N + 4 - n); b++) bad += past[b] != 0xa5;
            for (size_t i = 0; i < n; i++) {
                uint32_t c1 = (uint32_t)POOLSIM_STREAM_CLAIMS << 24 | year[i];
                philox4x32_ctr_t ctr = {{path, c1, who[i], 0}};
                philox4x32_key_t key = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
                philox4x32_ctr_t want = philox4x32_R(10, ctr, key);
                bad += !(r[i].ctr[0] == path && r[i].ctr[1] == c1 && r[i].ctr[2] == who[i] &&
                         r[i].ctr[3] == 1 && r[i].key[0] == key.v[0] &&
                         r[i].key[1] == key.v[1] && r[i].left == 4);
                bad += memcmp(r[i].buf, want.v, sizeof r[i].buf) != 0;
                checked++;
            }
        }
    }
    poolsim_claims_simd(was);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(checked, 2 * (300 / N * (N * (N + 1) / 2) + (300 % N) * (300 % N + 1) / 2));
}

/* The log tests' D and margin M against the scalar code's own difference
 * (right side minus left side, computed here with glibc's log exactly as
 * poisson_ptrs and poolsim_rng_gamma_mt compute each side): |D - D_scalar|
 * must stay below M, on random first tries that fail their squeeze
 * (lambda 10 .. 1e7 and the gamma's d 2/3 .. 1e7) and on first tries put
 * right at the boundary (V or u solved from the other side). The largest
 * |D - D_scalar| / M found is printed: how much room the margin leaves. */
static void test_simd_margin(void)
{
    double D, M;
    if (!poolsim_claims_simd_ptrs_test(100, 26, 0.6, 0.5, 0.3, 100, &D, &M)) {
        fprintf(stderr, "\n  (no AVX2 on this processor: nothing to test) ");
        return;
    }
    poolsim_rng pr;
    poolsim_rng_set(&pr, 2468, 0, POOLSIM_STREAM_ECONOMY, 1, 0);
    long n_ptrs = 0, n_mt = 0, n_edge = 0, outside = 0, wrong = 0;
    double worst = 0;
    for (int i = 0; i < 400000; i++) {
        int edge = i % 2; /* odd i: solve V (u) for a first try on the boundary */
        double D_s, L_s, R_s;
        if (i % 4 < 2) {
            double mu = i % 64 < 2 ? 10 + (i % 64) * 0.5 : 10 * pow(1e6, poolsim_rng_uniform(&pr));
            poolsim_claims_draw q = {.lambda = mu};
            poolsim_claims_compound_prepare(&q);
            double U = poolsim_rng_uniform(&pr) - 0.5, V = poolsim_rng_uniform(&pr);
            double us = 0.5 - fabs(U), b = q.b, a = q.a;
            double y = (2 * a / us + b) * U + mu + 0.43;
            if (y < 0 || y >= 0x1p50) continue;
            double k = floor(y);
            double ia = 1.1239 + 1.1328 / (b - 3.4);
            R_s = -mu + k * log(mu) - lnfact_ref(k);
            if (edge) {
                V = exp(R_s) * (a / (us * us) + b) / ia;
                V = nextafter(V, poolsim_rng_u32(&pr) & 1 ? 0 : 1);
                if (!(V >= 0x1p-33 && V < 1)) continue; /* the uniforms' range */
            }
            if ((us >= 0.07 && V <= q.vr) || (us < 0.013 && V > us)) continue;
            L_s = log(V * ia / (a / (us * us) + b));
            CU_ASSERT_FATAL(poolsim_claims_simd_ptrs_test(mu, b, a, V, us, k, &D, &M));
            n_ptrs++;
            wrong += (D > M && !(L_s <= R_s)) || (D < -M && L_s <= R_s);
        } else {
            double d = i % 64 < 4 ? 2.0 / 3 + (i % 64) * 0.1 : pow(1e7, poolsim_rng_uniform(&pr));
            double c = 1 / sqrt(9 * d), x = poolsim_rng_normal(&pr), v = 1 + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            double u = poolsim_rng_uniform(&pr), x2 = x * x;
            R_s = 0.5 * x2 + d * (1 - v + log(v));
            if (edge) {
                u = nextafter(exp(R_s), poolsim_rng_u32(&pr) & 1 ? 0 : 1);
                if (!(u >= 0x1p-33 && u < 1)) continue;
            }
            if (u < 1 - 0.0331 * x2 * x2) continue;
            L_s = log(u);
            CU_ASSERT_FATAL(poolsim_claims_simd_mt_test(d, x2, v, u, &D, &M));
            n_mt++;
            wrong += (D > M && !(L_s < R_s)) || (D < -M && L_s < R_s);
        }
        n_edge += edge;
        D_s = R_s - L_s;
        double ratio = fabs(D - D_s) / M;
        outside += !(ratio <= 1);
        if (ratio > worst) worst = ratio;
    }
    fprintf(stderr,
            "\n  %ld PTRS, %ld gamma log tests (%ld on the boundary): largest "
            "|D - D_scalar| = %.3g M ",
            n_ptrs, n_mt, n_edge, worst);
    CU_ASSERT(n_ptrs > 50000 && n_mt > 50000 && n_edge > 50000);
    CU_ASSERT_EQUAL(outside, 0);
    CU_ASSERT_EQUAL(wrong, 0);
}

void poolsim_test_claims(void)
{
    CU_pSuite s = CU_add_suite("claims", NULL, NULL);
    CU_add_test(s, "LEV limits and closed forms", test_lev_limits);
    CU_add_test(s, "payment moments vs quadrature", test_lev_quadrature);
    CU_add_test(s, "Poisson goodness of fit", test_poisson);
    CU_add_test(s, "compound aggregate moments", test_compound);
    CU_add_test(s, "normal aggregate moments", test_normal);
    CU_add_test(s, "none aggregate exact", test_none);
    CU_add_test(s, "AVX2 compound draws equal the scalar ones", test_batch_simd);
    CU_add_test(s, "AVX2 logarithm within its bound", test_simd_log);
    CU_add_test(s, "AVX2 log tests' margins cover both codes", test_simd_margin);
    CU_add_test(s, "claims sub-streams of a path's years", test_year_streams);
    CU_add_test(s, "claims sub-streams of a list of years and addresses", test_streams);
}
