/* Tests of src/claims.c (MODEL.md section 3): limited moments against closed
 * forms and numerical integration, the Poisson sampler against the exact
 * pmf, and the three aggregate modes against their exact mean and variance.
 * Statistical checks use fixed seeds and accept within 5 standard errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
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
    for (uint32_t rep = 0; rep < 6; rep++) {
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
        for (int mode = 0; mode < 2; mode++) {
            poolsim_claims_simd(mode ? avx2 : 0);
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
        }
    }
    poolsim_claims_simd(was);
    CU_ASSERT_EQUAL(diff_n, 0);
    CU_ASSERT_EQUAL(diff_a, 0);
    CU_ASSERT_EQUAL(diff_r, 0);
    /* every case is there in numbers */
    CU_ASSERT(ptrs > 6 * NBATCH / 2);
    CU_ASSERT(gam > 6 * NBATCH / 4);
    free(q);
    free(q2);
    free(r);
    free(r2);
    free(r1);
    free(cnt);
    free(amt);
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
}
