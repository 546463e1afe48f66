/* Tests of src/drivers.c (MODEL.md section 4). Scenarios are built by hand
 * (only the fields the drivers read). Statistical checks use fixed seeds and
 * accept within 5 standard errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "poolsim/drivers.h"
#include "poolsim/rng.h"

#define NC 3
static char id_a[] = "a", id_b[] = "b", id_c[] = "county-c";

static void make_scenario(poolsim_scenario *s, poolsim_county *cs, int T)
{
    memset(s, 0, sizeof *s);
    memset(cs, 0, NC * sizeof *cs);
    cs[0].id = id_a;
    cs[1].id = id_b;
    cs[2].id = id_c;
    s->horizon_years = T;
    s->start_year = 2021;
    s->seed = 20240601;
    s->paths = 1;
    s->ncounties = NC;
    s->counties = cs;
    s->medical_inflation = (poolsim_ar1){0.05, 0.5, 0.02};
    s->wage_growth = (poolsim_ar1){0.07, 0.3, 0.03};
    s->wage_inflation_corr = 0.6;
    s->utilisation.ar1 = 0.6;
    s->utilisation.sd = 0.1;
    s->utilisation.rho = 0.7;
    s->epidemic.prob = 0.1;
    s->epidemic.mean = 1.15;
    s->epidemic.sd = 0.05;
}

static void test_alloc(void)
{
    poolsim_scenario s;
    poolsim_county cs[NC];
    make_scenario(&s, cs, 7);
    poolsim_drivers *d = poolsim_drivers_alloc(&s);
    CU_ASSERT_FATAL(d != NULL);
    CU_ASSERT_EQUAL(d->T, 7);
    CU_ASSERT_EQUAL(d->C, NC);
    CU_ASSERT_EQUAL(d->who[0], poolsim_rng_who("a", NULL, NULL));
    CU_ASSERT_EQUAL(d->who[2], poolsim_rng_who("county-c", NULL, NULL));
    poolsim_drivers_free(d);
    poolsim_drivers_free(NULL);
}

/* Every sd = 0: pi[t] = mean, so P[t] = (1 + mean)^(t-1) (multiplied in the
 * same order here, so exactly equal), U = 1 exactly, J = 1 when prob = 0
 * and J = mean exactly when prob = 1. */
static void test_deterministic(void)
{
    const int T = 12;
    poolsim_scenario s;
    poolsim_county cs[NC];
    make_scenario(&s, cs, T);
    s.medical_inflation.sd = 0;
    s.wage_growth.sd = 0;
    s.utilisation.sd = 0;
    s.epidemic.prob = 0;
    s.epidemic.sd = 0;
    poolsim_drivers *d = poolsim_drivers_alloc(&s);
    poolsim_rng rr, *r = &rr;
    CU_ASSERT_FATAL(d != NULL && r != NULL);
    for (uint32_t path = 0; path < 3; path++) {
        poolsim_drivers_draw(&s, path, r, d);
        double p = 1, w = 1;
        for (int t = 1; t <= T; t++) {
            if (t > 1) {
                p *= 1 + 0.05;
                w *= 1 + 0.07;
            }
            CU_ASSERT_EQUAL(d->P[t - 1], p);
            CU_ASSERT_EQUAL(d->W[t - 1], w);
            CU_ASSERT_DOUBLE_EQUAL(d->P[t - 1], pow(1.05, t - 1), 1e-14 * p);
            CU_ASSERT_EQUAL(d->J[t - 1], 1.0);
            for (int c = 0; c < NC; c++) CU_ASSERT_EQUAL(d->U[c * T + t - 1], 1.0);
        }
    }
    s.epidemic.prob = 1;
    poolsim_drivers_draw(&s, 5, r, d);
    for (int t = 0; t < T; t++) CU_ASSERT_EQUAL(d->J[t], 1.15);
    poolsim_drivers_free(d);
}

/* Same path twice: identical values; a different path differs; a county's
 * U depends on its id, not on its position in the county list; the policy
 * lever epidemic.prob does not move P, W or U. */
static void test_reproducible(void)
{
    const int T = 6;
    poolsim_scenario s;
    poolsim_county cs[NC];
    make_scenario(&s, cs, T);
    poolsim_drivers *d1 = poolsim_drivers_alloc(&s), *d2 = poolsim_drivers_alloc(&s);
    poolsim_rng rr, *r = &rr;
    CU_ASSERT_FATAL(d1 != NULL && d2 != NULL && r != NULL);
    poolsim_drivers_draw(&s, 11, r, d1);
    poolsim_drivers_draw(&s, 11, r, d2);
    CU_ASSERT(memcmp(d1->P, d2->P, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(d1->W, d2->W, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(d1->J, d2->J, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(d1->U, d2->U, NC * T * sizeof(double)) == 0);
    poolsim_drivers_draw(&s, 12, r, d2);
    CU_ASSERT(d1->P[T - 1] != d2->P[T - 1]);
    CU_ASSERT(d1->U[T - 1] != d2->U[T - 1]);

    poolsim_county swapped[NC] = {cs[2], cs[0], cs[1]};
    poolsim_scenario s2 = s;
    s2.counties = swapped;
    poolsim_drivers *d3 = poolsim_drivers_alloc(&s2);
    CU_ASSERT_FATAL(d3 != NULL);
    poolsim_drivers_draw(&s2, 11, r, d3);
    CU_ASSERT(memcmp(d1->U + 0 * T, d3->U + 1 * T, T * sizeof(double)) == 0); /* a */
    CU_ASSERT(memcmp(d1->U + 2 * T, d3->U + 0 * T, T * sizeof(double)) == 0); /* county-c */

    s2 = s; /* same counties as d2 was allocated for */
    s2.epidemic.prob = 0.9;
    poolsim_drivers_draw(&s2, 11, r, d2);
    CU_ASSERT(memcmp(d1->P, d2->P, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(d1->W, d2->W, T * sizeof(double)) == 0);
    CU_ASSERT(memcmp(d1->U, d2->U, NC * T * sizeof(double)) == 0);
    poolsim_drivers_free(d1);
    poolsim_drivers_free(d2);
    poolsim_drivers_free(d3);
}

/* Utilisation with ar1 = 0.6, sd = 0.1, rho = 0.7 over n paths:
 *   E[U[c,t]] = 1, SE sqrt((e^v - 1)/n) (U lognormal with log-variance v);
 *   Var x[c,t] = v[t] = sd^2 sum_{j<t} 0.36^j, SE v sqrt(2/n) (normal);
 *   corr(x[a,t], x[b,t]) = rho (both counties share ar1, so at every t),
 *   SE about (1 - rho^2)/sqrt(n). x is recovered as ln U + v/2. */
static void test_utilisation(void)
{
    const int T = 10, n = 20000;
    const int ts[] = {1, 5, 10};
    poolsim_scenario s;
    poolsim_county cs[NC];
    make_scenario(&s, cs, T);
    poolsim_drivers *d = poolsim_drivers_alloc(&s);
    poolsim_rng rr, *r = &rr;
    double *xs = malloc((size_t)n * NC * 3 * sizeof *xs),
           *us = malloc((size_t)n * NC * 3 * sizeof *us);
    CU_ASSERT_FATAL(d != NULL && r != NULL && xs != NULL && us != NULL);
    double v[3];
    for (int k = 0; k < 3; k++) {
        v[k] = 0;
        for (int j = 0; j < ts[k]; j++) v[k] += 0.01 * pow(0.36, j);
    }
    for (int p = 0; p < n; p++) {
        poolsim_drivers_draw(&s, (uint32_t)p, r, d);
        for (int c = 0; c < NC; c++)
            for (int k = 0; k < 3; k++) {
                double u = d->U[c * T + ts[k] - 1];
                us[(p * NC + c) * 3 + k] = u;
                xs[(p * NC + c) * 3 + k] = log(u) + v[k] / 2;
            }
    }
    for (int k = 0; k < 3; k++) {
        for (int c = 0; c < NC; c++) {
            double mu = 0, mx = 0, vx = 0;
            for (int p = 0; p < n; p++) {
                mu += us[(p * NC + c) * 3 + k];
                mx += xs[(p * NC + c) * 3 + k];
            }
            mu /= n;
            mx /= n;
            for (int p = 0; p < n; p++) {
                double e = xs[(p * NC + c) * 3 + k] - mx;
                vx += e * e;
            }
            vx /= n;
            CU_ASSERT(fabs(mu - 1) < 5 * sqrt(expm1(v[k]) / n));
            CU_ASSERT(fabs(mx) < 5 * sqrt(v[k] / n));
            CU_ASSERT(fabs(vx - v[k]) < 5 * v[k] * sqrt(2.0 / n));
        }
        /* correlation of x between counties a and b */
        double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
        for (int p = 0; p < n; p++) {
            double a = xs[(p * NC + 0) * 3 + k], b = xs[(p * NC + 1) * 3 + k];
            sa += a;
            sb += b;
            saa += a * a;
            sbb += b * b;
            sab += a * b;
        }
        double ca = saa / n - (sa / n) * (sa / n), cb = sbb / n - (sb / n) * (sb / n);
        double corr = (sab / n - (sa / n) * (sb / n)) / sqrt(ca * cb);
        CU_ASSERT(fabs(corr - 0.7) < 5 * (1 - 0.49) / sqrt(n));
    }
    free(xs);
    free(us);
    poolsim_drivers_free(d);
}

/* Price and wage shocks. With ar1 = 0 for both, year 2 gives
 * eps_pi = (P[2] - 1 - mean_pi)/sd_pi and eps_w = (W[2] - 1 - mean_w)/sd_w:
 * each N(0,1) and corr(eps_pi, eps_w) = wage_inflation_corr. With
 * ar1 = 0.5, pi[3] = P[3]/P[2] - 1 has variance sd^2 (1 + 0.25) and mean
 * `mean` (pi[1] = mean, shocks from year 2). SEs: mean 1/sqrt(n), variance
 * sqrt(2/n), correlation (1 - corr^2)/sqrt(n). */
static void test_economy(void)
{
    const int T = 3, n = 40000;
    poolsim_scenario s;
    poolsim_county cs[NC];
    make_scenario(&s, cs, T);
    s.medical_inflation.ar1 = 0;
    s.wage_growth.ar1 = 0;
    poolsim_drivers *d = poolsim_drivers_alloc(&s);
    poolsim_rng rr, *r = &rr;
    CU_ASSERT_FATAL(d != NULL && r != NULL);
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    int base_ok = 1;
    for (int p = 0; p < n; p++) {
        poolsim_drivers_draw(&s, (uint32_t)p, r, d);
        base_ok &= d->P[0] == 1.0 && d->W[0] == 1.0;
        double a = (d->P[1] - 1 - 0.05) / 0.02, b = (d->W[1] - 1 - 0.07) / 0.03;
        sa += a;
        sb += b;
        saa += a * a;
        sbb += b * b;
        sab += a * b;
    }
    CU_ASSERT(base_ok);
    double ma = sa / n, mb = sb / n;
    double va = saa / n - ma * ma, vb = sbb / n - mb * mb;
    double corr = (sab / n - ma * mb) / sqrt(va * vb);
    CU_ASSERT(fabs(ma) < 5 / sqrt(n));
    CU_ASSERT(fabs(mb) < 5 / sqrt(n));
    CU_ASSERT(fabs(va - 1) < 5 * sqrt(2.0 / n));
    CU_ASSERT(fabs(vb - 1) < 5 * sqrt(2.0 / n));
    CU_ASSERT(fabs(corr - 0.6) < 5 * (1 - 0.36) / sqrt(n));

    s.medical_inflation.ar1 = 0.5;
    double m = 0, m2 = 0;
    for (int p = 0; p < n; p++) {
        poolsim_drivers_draw(&s, (uint32_t)p, r, d);
        double pi3 = d->P[2] / d->P[1] - 1;
        m += pi3;
        m2 += (pi3 - 0.05) * (pi3 - 0.05);
    }
    double want = 0.02 * 0.02 * 1.25;
    m /= n;
    CU_ASSERT(fabs(m - 0.05) < 5 * sqrt(want / n));
    CU_ASSERT(fabs(m2 / n - want) < 5 * want * sqrt(2.0 / n));
    poolsim_drivers_free(d);
}

/* Epidemic: frequency prob (SE sqrt(p(1-p)/N) over N = n T path-years);
 * J given an epidemic has mean `mean` (SE sd/sqrt(k)) and sd `sd`; raising
 * prob keeps every epidemic year (u < 0.1 implies u < 0.3) with the same
 * size, and adds others. */
static void test_epidemic(void)
{
    const int T = 10, n = 20000;
    poolsim_scenario s, s2;
    poolsim_county cs[NC];
    make_scenario(&s, cs, T);
    s2 = s;
    s2.epidemic.prob = 0.3;
    poolsim_drivers *d = poolsim_drivers_alloc(&s), *d2 = poolsim_drivers_alloc(&s2);
    poolsim_rng rr, *r = &rr;
    CU_ASSERT_FATAL(d != NULL && d2 != NULL && r != NULL);
    long k = 0, k2 = 0, kept = 0, changed = 0;
    double sj = 0, sjj = 0;
    for (int p = 0; p < n; p++) {
        poolsim_drivers_draw(&s, (uint32_t)p, r, d);
        poolsim_drivers_draw(&s2, (uint32_t)p, r, d2);
        for (int t = 0; t < T; t++) {
            if (d->J[t] != 1.0) {
                k++;
                sj += d->J[t];
                sjj += (d->J[t] - 1.15) * (d->J[t] - 1.15);
                kept += d2->J[t] == d->J[t];
            }
            if (d2->J[t] != 1.0) k2++;
            if (d->J[t] != 1.0 && d2->J[t] != d->J[t]) changed++;
        }
    }
    double N = (double)n * T;
    CU_ASSERT(fabs((double)k / N - 0.1) < 5 * sqrt(0.1 * 0.9 / N));
    CU_ASSERT(fabs((double)k2 / N - 0.3) < 5 * sqrt(0.3 * 0.7 / N));
    CU_ASSERT(fabs(sj / (double)k - 1.15) < 5 * 0.05 / sqrt((double)k));
    /* sd of J: SE of a lognormal's sample variance is about var sqrt((kurt - 1)/k);
     * its kurtosis at cv 0.043 is about 3.03, so 5 SE is within 5 * var * sqrt(2.1/k) */
    CU_ASSERT(fabs(sjj / (double)k - 0.0025) < 5 * 0.0025 * sqrt(2.1 / (double)k));
    CU_ASSERT_EQUAL(kept, k);
    CU_ASSERT_EQUAL(changed, 0);
    poolsim_drivers_free(d);
    poolsim_drivers_free(d2);
}

/* The drivers as MODEL.md section 4 defines them, each sub-stream
 * positioned with poolsim_rng_set and drawn from with rng.h's samplers
 * one by one (the arithmetic written in the same order as drivers.c, so
 * the values must be equal bit for bit); slow[0] counts the county
 * streams whose first normal needs more than the first word, slow[1]
 * those where it needs more than the first block. */
static void reference_draw(const poolsim_scenario *s, unsigned long long seed, uint32_t path,
                           const uint32_t *who, double *P, double *W, double *J, double *U,
                           long slow[2])
{
    int T = s->horizon_years, C = s->ncounties;
    poolsim_rng r;
    const poolsim_ar1 *mp = &s->medical_inflation, *wp = &s->wage_growth;
    double corr = s->wage_inflation_corr, corr_c = sqrt(fmax(0.0, 1 - corr * corr));
    double pi = mp->mean, g = wp->mean;
    P[0] = W[0] = 1;
    for (int t = 2; t <= T; t++) {
        poolsim_rng_set(&r, seed, path, POOLSIM_STREAM_ECONOMY, (uint32_t)t, 0);
        double z1 = poolsim_rng_normal(&r), z2 = poolsim_rng_normal(&r);
        double eps_w = corr * z1 + corr_c * z2;
        pi = mp->mean + mp->ar1 * (pi - mp->mean) + mp->sd * z1;
        g = wp->mean + wp->ar1 * (g - wp->mean) + wp->sd * eps_w;
        P[t - 1] = P[t - 2] * (1 + pi);
        W[t - 1] = W[t - 2] * (1 + g);
    }
    double ar1 = s->utilisation.ar1, sd = s->utilisation.sd, rho = s->utilisation.rho;
    double wc = sqrt(rho), wi = sqrt(1 - rho), v = 0, x[NC] = {0};
    for (int t = 1; t <= T; t++) {
        v = ar1 * ar1 * v + sd * sd;
        poolsim_rng_set(&r, seed, path, POOLSIM_STREAM_UTIL_COMMON, (uint32_t)t, 0);
        double z = poolsim_rng_normal(&r);
        for (int c = 0; c < C; c++) {
            poolsim_rng_set(&r, seed, path, POOLSIM_STREAM_UTIL_COUNTY, (uint32_t)t, who[c]);
            double e = poolsim_rng_normal(&r);
            slow[0] += r.left < 3 || r.ctr[3] > 1;
            slow[1] += r.ctr[3] > 1;
            x[c] = ar1 * x[c] + sd * (wc * z + wi * e);
            U[c * T + t - 1] = exp(x[c] - 0.5 * v);
        }
    }
    double cv = s->epidemic.sd / s->epidemic.mean, s2 = log1p(cv * cv);
    double sl = sqrt(s2), m = log(s->epidemic.mean) - 0.5 * s2;
    for (int t = 1; t <= T; t++) {
        poolsim_rng_set(&r, seed, path, POOLSIM_STREAM_EPIDEMIC, (uint32_t)t, 0);
        double u = poolsim_rng_uniform(&r), z = poolsim_rng_normal(&r);
        J[t - 1] = u < s->epidemic.prob ? exp(m + sl * z) : 1;
    }
}

/* Every driver value equals the reference's bit for bit, with the first
 * blocks computed four at a time (AVX2, when the processor has it) and
 * one by one, for horizons whose number of sub-streams is and is not a
 * multiple of four, a seed using both key words, and enough paths that
 * the ziggurat's slow cases occur in county streams, some of them beyond
 * the first block. */
static void test_streams(void)
{
    poolsim_scenario s;
    poolsim_county cs[NC];
    int was = poolsim_drivers_simd(-1);
    for (int T = 1; T <= 8; T++) {
        int n = T == 8 ? 12000 : 400;
        make_scenario(&s, cs, T);
        s.epidemic.prob = 0.4;
        unsigned long long seed = T % 2 ? 0x9E3779B97F4A7C15ull : 20240601ull;
        poolsim_drivers *d = poolsim_drivers_alloc(&s);
        double *ref = malloc((size_t)(3 + NC) * (size_t)T * sizeof *ref);
        CU_ASSERT_FATAL(d != NULL && ref != NULL);
        double *P = ref, *W = P + T, *J = W + T, *U = J + T;
        long slow[2] = {0, 0}, bad = 0;
        poolsim_rng r;
        for (int simd = 0; simd <= 1; simd++) {
            poolsim_drivers_simd(simd);
            for (uint32_t p = 0; p < (uint32_t)n; p++) {
                reference_draw(&s, seed, p, d->who, P, W, J, U, slow);
                poolsim_drivers_draw_seed(&s, seed, p, &r, d);
                bad += memcmp(P, d->P, (size_t)T * sizeof *P) != 0;
                bad += memcmp(W, d->W, (size_t)T * sizeof *W) != 0;
                bad += memcmp(J, d->J, (size_t)T * sizeof *J) != 0;
                bad += memcmp(U, d->U, (size_t)(NC * T) * sizeof *U) != 0;
            }
        }
        CU_ASSERT_EQUAL(bad, 0);
        if (T >= 4) CU_ASSERT(slow[0] > 0);
        if (T == 8) CU_ASSERT(slow[1] > 0);
        free(ref);
        poolsim_drivers_free(d);
    }
    poolsim_drivers_simd(was);
}

/* exp four at a time (the utilisation shocks' lanes) against the C
 * library's exp, bit for bit, on 2^20 points: uniform in (-1, 1) (where
 * the shocks are), in (-750, 750) (overflow and underflow, exp's own
 * branches), tiny values around 2^-54 and values around +-512 (the edges
 * of the main branch), +-0, infinities and a NaN. With glibc 2.28 or
 * later on a processor with AVX2 and FMA the lanes must be in use (their
 * start-up check passed); elsewhere they may not be, and the test says
 * so. */
static void test_exp_lanes(void)
{
    size_t n = (size_t)1 << 20;
    double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    CU_ASSERT_FATAL(x != NULL && y != NULL);
    uint64_t st = 0x243F6A8885A308D3ull;
    for (size_t i = 0; i < n; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double u = (double)(st >> 11) * 0x1p-53; /* [0, 1) */
        switch (i % 4) {
        case 0:
        case 1: x[i] = 2 * u - 1; break;
        case 2: x[i] = 1500 * u - 750; break;
        default:
            x[i] = (i & 4 ? ldexp(1 + u, -55 + (int)(i >> 3 & 3)) : 510 + 4 * u) * (i & 8 ? -1 : 1);
        }
    }
    const double special[] = {0.0, -0.0, INFINITY, -INFINITY, NAN, 512, -512, 0x1p-54, -0x1p-54};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) x[1000 + 4 * i] = special[i];
    int used = poolsim_drivers_exp_lanes(x, y, n);
#if defined(__x86_64__) && defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 28)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) CU_ASSERT(used);
#endif
    if (!used) {
        fprintf(stderr, "(exp lanes not in use here) ");
    } else {
        size_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            double e = exp(x[i]);
            bad += memcmp(&e, &y[i], sizeof e) != 0 && !(isnan(e) && isnan(y[i]));
        }
        CU_ASSERT_EQUAL(bad, 0);
    }
    free(x);
    free(y);
}

void poolsim_test_drivers(void)
{
    CU_pSuite s = CU_add_suite("drivers", NULL, NULL);
    CU_add_test(s, "alloc and who", test_alloc);
    CU_add_test(s, "deterministic when sd = 0", test_deterministic);
    CU_add_test(s, "reproducible sub-streams", test_reproducible);
    CU_add_test(s, "utilisation moments and correlation", test_utilisation);
    CU_add_test(s, "price and wage shocks", test_economy);
    CU_add_test(s, "epidemic frequency, size and common random numbers", test_epidemic);
    CU_add_test(s, "sub-streams and first blocks, one by one and four at a time", test_streams);
    CU_add_test(s, "exp four at a time equals the C library's", test_exp_lanes);
}
