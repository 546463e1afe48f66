/* Tests of src/rng.c and rng.h: the inline Philox4x32-10 against Random123,
 * sub-stream addressing (MODEL.md section 6), and the exactness of the
 * uniform, normal and gamma samplers (chi-square against the exact cdf from
 * GSL, moments against closed forms). */
#include <math.h>
#include <stdint.h>

#include <stdlib.h>

#include <CUnit/CUnit.h>
#include <gsl/gsl_cdf.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#include <Random123/philox.h>
#pragma GCC diagnostic pop

#include "poolsim/common.h"
#include "poolsim/rng.h"

/* Known answers from Random123's tests/kat_vectors (D. E. Shaw Research,
 * the three "philox4x32 10" lines; columns CTR[4] KEY[2] -> EXPECTED[4]):
 *   philox4x32 10 00000000 00000000 00000000 00000000 00000000 00000000
 *                 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8
 *   philox4x32 10 ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff
 *                 -> 408f276d 41c83b0e a20bc7c6 6d5451fd
 *   philox4x32 10 243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0
 *                 -> d16cfe09 94fdcceb 5001e420 24126ea1 */
static const uint32_t kat[3][10] = {
    {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
    {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e,
     0xa20bc7c6, 0x6d5451fd},
    {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb,
     0x5001e420, 0x24126ea1},
};

static void test_kat_block(void)
{
    for (int i = 0; i < 3; i++) {
        philox4x32_ctr_t c = {{kat[i][0], kat[i][1], kat[i][2], kat[i][3]}};
        philox4x32_key_t k = {{kat[i][4], kat[i][5]}};
        philox4x32_ctr_t y = philox4x32(c, k);
        for (int j = 0; j < 4; j++) CU_ASSERT_EQUAL(y.v[j], kat[i][6 + j]);
    }
}

/* The inline block function against Random123's own, on the KAT inputs
 * and on 1,000 more counters and keys. */
static void test_inline_block(void)
{
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        poolsim_philox4x32(kat[i], kat[i] + 4, out);
        for (int j = 0; j < 4; j++) CU_ASSERT_EQUAL(out[j], kat[i][6 + j]);
    }
    uint32_t x = 12345;
    int bad = 0;
    for (int n = 0; n < 1000; n++) {
        uint32_t ctr[4], key[2], one[4];
        for (int j = 0; j < 4; j++) ctr[j] = x = x * 1664525u + 1013904223u;
        for (int j = 0; j < 2; j++) key[j] = x = x * 1664525u + 1013904223u;
        philox4x32_ctr_t c = {{ctr[0], ctr[1], ctr[2], ctr[3]}};
        philox4x32_key_t k = {{key[0], key[1]}};
        philox4x32_ctr_t y = philox4x32(c, k);
        poolsim_philox4x32(ctr, key, one);
        for (int j = 0; j < 4; j++) bad += one[j] != y.v[j];
    }
    CU_ASSERT_EQUAL(bad, 0);
}

/* The all-zero address (seed 0, path 0, kind 0, year 0, who 0) is the
 * all-zero KAT block, first word first. */
static void test_kat_stream(void)
{
    poolsim_rng r;
    poolsim_rng_set(&r, 0, 0, 0, 0, 0);
    for (int j = 0; j < 4; j++) CU_ASSERT_EQUAL(poolsim_rng_u32(&r), kat[0][6 + j]);
}

/* The layout documented in rng.h: counter (path, kind<<24 | year, who, block),
 * key (seed low, seed high), words of each block taken first to last. */
static void test_layout(void)
{
    poolsim_rng r;
    uint64_t seed = 0x299f31d0a4093822ull;
    uint32_t path = 77, kind = POOLSIM_STREAM_CLAIMS, year = 12, who = 0xdeadbeefu;
    poolsim_rng_set(&r, seed, path, kind, year, who);
    philox4x32_key_t k = {{0xa4093822u, 0x299f31d0u}};
    for (uint32_t block = 0; block < 5; block++) {
        philox4x32_ctr_t c = {{path, (5u << 24) | 12u, who, block}};
        philox4x32_ctr_t y = philox4x32(c, k);
        for (int j = 0; j < 4; j++) CU_ASSERT_EQUAL(poolsim_rng_u32(&r), y.v[j]);
    }
    /* refilling early changes nothing */
    poolsim_rng r2;
    poolsim_rng_set(&r2, seed, path, kind, year, who);
    poolsim_rng_refill(&r2);
    poolsim_rng_refill(&r2);
    philox4x32_ctr_t c0 = {{path, (5u << 24) | 12u, who, 0}};
    CU_ASSERT_EQUAL(poolsim_rng_u32(&r2), philox4x32(c0, k).v[0]);
    /* uniform: (k + 1/2) 2^-32 of the next word */
    poolsim_rng_set(&r2, seed, path, kind, year, who);
    CU_ASSERT_EQUAL(poolsim_rng_uniform(&r2),
                    ((double)philox4x32(c0, k).v[0] + 0.5) / 4294967296.0);
}

static void draw(poolsim_rng *r, uint64_t seed, uint32_t path, uint32_t kind, uint32_t year,
                 uint32_t who, unsigned long *out, int n)
{
    poolsim_rng_set(r, seed, path, kind, year, who);
    for (int i = 0; i < n; i++) out[i] = poolsim_rng_u32(r);
}

static int same(const unsigned long *a, const unsigned long *b, int n)
{
    for (int i = 0; i < n; i++)
        if (a[i] != b[i]) return 0;
    return 1;
}

static void test_addressing(void)
{
    enum { N = 40 };
    poolsim_rng r_, r2_, *r = &r_, *r2 = &r2_;
    unsigned long a[N], b[N];
    uint32_t who = poolsim_rng_who("c1", "employee", "inpatient");
    draw(r, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who, a, N);
    /* same address, other generator object: same sequence */
    draw(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who, b, N);
    CU_ASSERT_TRUE(same(a, b, N));
    /* any part of the address changed: a different sequence */
    draw(r2, 43, 3, POOLSIM_STREAM_CLAIMS, 5, who, b, N);
    CU_ASSERT_FALSE(same(a, b, N));
    draw(r2, 42ull | (1ull << 40), 3, POOLSIM_STREAM_CLAIMS, 5, who, b, N); /* seed high word */
    CU_ASSERT_FALSE(same(a, b, N));
    draw(r2, 42, 4, POOLSIM_STREAM_CLAIMS, 5, who, b, N);
    CU_ASSERT_FALSE(same(a, b, N));
    draw(r2, 42, 3, POOLSIM_STREAM_EPIDEMIC, 5, who, b, N);
    CU_ASSERT_FALSE(same(a, b, N));
    draw(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 6, who, b, N);
    CU_ASSERT_FALSE(same(a, b, N));
    draw(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 5, poolsim_rng_who("c2", "employee", "inpatient"), b, N);
    CU_ASSERT_FALSE(same(a, b, N));
    /* set mid-way restarts the sub-stream from its first draw */
    poolsim_rng_set(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who);
    for (int i = 0; i < 7; i++) (void)poolsim_rng_u32(r2);
    draw(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who, b, N);
    CU_ASSERT_TRUE(same(a, b, N));
    /* interleaving another sub-stream does not disturb a sequence */
    poolsim_rng_set(r, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who);
    for (int i = 0; i < N; i++) {
        b[i] = poolsim_rng_u32(r);
        poolsim_rng_set(r2, 42, 3, POOLSIM_STREAM_ECONOMY, (uint32_t)i, 0);
        (void)poolsim_rng_u32(r2);
    }
    CU_ASSERT_TRUE(same(a, b, N));
}

static void test_who(void)
{
    /* FNV-1a of the '/'-joined non-NULL parts */
    CU_ASSERT_EQUAL(poolsim_rng_who("c1", NULL, NULL), poolsim_hash32("c1", POOLSIM_HASH_INIT));
    CU_ASSERT_EQUAL(poolsim_rng_who("c1", "emp", "inp"),
                    poolsim_hash32("c1/emp/inp", POOLSIM_HASH_INIT));
    CU_ASSERT_EQUAL(poolsim_rng_who("c1", NULL, "inp"),
                    poolsim_hash32("c1/inp", POOLSIM_HASH_INIT));
    CU_ASSERT_EQUAL(poolsim_rng_who(NULL, NULL, NULL), POOLSIM_HASH_INIT);
    CU_ASSERT_NOT_EQUAL(poolsim_rng_who("ab", "c", NULL), poolsim_rng_who("a", "bc", NULL));
    CU_ASSERT_NOT_EQUAL(poolsim_rng_who("c1", NULL, NULL), poolsim_rng_who("c2", NULL, NULL));
}

/* Mean of n uniforms: SE = sqrt(1/12 / n); accept within 5 SE. Also the
 * share below 1/2 (SE 1/(2 sqrt n)) and the variance 1/12 (SE of the sample
 * variance of U(0,1): sqrt((mu4 - sigma^4)/n) with mu4 = 1/80). */
static void test_uniform(void)
{
    const int n = 1000000;
    poolsim_rng rr, *r = &rr;
    poolsim_rng_set(r, 20240601, 9, POOLSIM_STREAM_ECONOMY, 1, 0);
    double s = 0, s2 = 0;
    long below = 0, outside = 0;
    for (int i = 0; i < n; i++) {
        double u = poolsim_rng_uniform(r);
        outside += !(u > 0 && u < 1);
        s += u;
        s2 += (u - 0.5) * (u - 0.5);
        below += u < 0.5;
    }
    double mean = s / n, var = s2 / n;
    CU_ASSERT_EQUAL(outside, 0);
    CU_ASSERT_TRUE(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / n));
    CU_ASSERT_TRUE(fabs((double)below / n - 0.5) < 5 * 0.5 / sqrt(n));
    CU_ASSERT_TRUE(fabs(var - 1.0 / 12) < 5 * sqrt((1.0 / 80 - 1.0 / 144) / n));
}

/* Probability-integral-transform chi-square: u = F(x) of each draw counted
 * in B equal cells; the p-value of the statistic with B - 1 degrees of
 * freedom. For an exact sampler the p-value is uniform on (0,1); each
 * check below fails p > 1e-4 with probability 1e-4 for a random seed (the
 * seeds are fixed, so outcomes are reproducible). */
struct pit {
    long *cells;
    int B;
    long n;
};

static void pit_add(struct pit *p, double u)
{
    int j = (int)(u * p->B);
    if (j < 0) j = 0;
    if (j >= p->B) j = p->B - 1;
    p->cells[j]++;
    p->n++;
}

static double pit_pvalue(const struct pit *p)
{
    double e = (double)p->n / p->B, chi2 = 0;
    for (int j = 0; j < p->B; j++)
        chi2 += ((double)p->cells[j] - e) * ((double)p->cells[j] - e) / e;
    return gsl_cdf_chisq_Q(chi2, p->B - 1);
}

/* Standard normal, 2e6 draws from three sub-streams: PIT chi-square over
 * 1,000 cells; mean 0 (SE 1/sqrt n), variance 1 (SE sqrt(2/n)), fourth
 * moment 3 (SE sqrt(96/n)); the frequency beyond the ziggurat's tail start
 * r = 3.442619855899 (exact 2 Q(r), drawn by the tail method) and beyond 4
 * (2 Q(4)), each within 5 binomial SE; both signs equally often. */
static void test_normal(void)
{
    const long n = 2000000;
    struct pit p = {calloc(1000, sizeof(long)), 1000, 0};
    CU_ASSERT_FATAL(p.cells != NULL);
    poolsim_rng r;
    double s1 = 0, s2 = 0, s4 = 0;
    long tail_r = 0, tail_4 = 0, neg = 0;
    for (long i = 0; i < n; i++) {
        if (i % 700000 == 0) poolsim_rng_set(&r, 99, (uint32_t)(i / 700000), 1, 1, 0);
        double z = poolsim_rng_normal(&r);
        pit_add(&p, gsl_cdf_ugaussian_P(z));
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
        tail_r += fabs(z) > 3.442619855899;
        tail_4 += fabs(z) > 4;
        neg += z < 0;
    }
    double dn = (double)n;
    CU_ASSERT(pit_pvalue(&p) > 1e-4);
    CU_ASSERT(fabs(s1 / dn) < 5 / sqrt(dn));
    CU_ASSERT(fabs(s2 / dn - 1) < 5 * sqrt(2 / dn));
    CU_ASSERT(fabs(s4 / dn - 3) < 5 * sqrt(96 / dn));
    double pr = 2 * gsl_cdf_ugaussian_Q(3.442619855899), p4 = 2 * gsl_cdf_ugaussian_Q(4);
    CU_ASSERT(fabs((double)tail_r / dn - pr) < 5 * sqrt(pr * (1 - pr) / dn));
    CU_ASSERT(fabs((double)tail_4 / dn - p4) < 5 * sqrt(p4 * (1 - p4) / dn));
    CU_ASSERT(fabs((double)neg / dn - 0.5) < 5 * 0.5 / sqrt(dn));
    free(p.cells);
}

/* The tail beyond r = 3.442619855899 (the ziggurat's own tail method):
 * of 2e7 normals, those with |z| > r, by PIT chi-square over 50 cells on
 * the conditional cdf 1 - Q(|z|)/Q(r), and their mean against the exact
 * phi(r)/Q(r) (SE from the exact conditional variance
 * 1 + r phi(r)/Q(r) - (phi(r)/Q(r))^2). */
static void test_normal_tail(void)
{
    const double r0 = 3.442619855899, qr = gsl_cdf_ugaussian_Q(r0);
    const double phi = exp(-0.5 * r0 * r0) / 2.5066282746310002 /* sqrt(2 pi) */, m = phi / qr;
    struct pit p = {calloc(50, sizeof(long)), 50, 0};
    CU_ASSERT_FATAL(p.cells != NULL);
    poolsim_rng r;
    poolsim_rng_set(&r, 5, 5, 1, 2, 0);
    double s = 0;
    for (long i = 0; i < 20000000; i++) {
        double z = fabs(poolsim_rng_normal(&r));
        if (z <= r0) continue;
        pit_add(&p, 1 - gsl_cdf_ugaussian_Q(z) / qr);
        s += z;
    }
    double k = (double)p.n, v = 1 + r0 * m - m * m;
    CU_ASSERT(p.n > 10000);
    CU_ASSERT(pit_pvalue(&p) > 1e-4);
    CU_ASSERT(fabs(s / k - m) < 5 * sqrt(v / k));
    free(p.cells);
}

/* Gamma(a, b) at shapes from below 1 (the u^(1/a) branch) to thousands
 * (the engine's use: n EY^2/VY): PIT chi-square against GSL's incomplete
 * gamma over 500 cells; mean a b (SE b sqrt(a/n)) and variance a b^2 (SE
 * of the sample variance b^2 sqrt((2a^2 + 6a)/n), from the fourth central
 * moment 3a^2 + 6a). */
static void test_gamma(void)
{
    const double shapes[] = {0.05, 0.3, 1, 2.5, 50, 5000};
    const double b = 2.5;
    const long n = 200000;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        double a = shapes[k];
        struct pit p = {calloc(500, sizeof(long)), 500, 0};
        CU_ASSERT_FATAL(p.cells != NULL);
        poolsim_rng r;
        poolsim_rng_set(&r, 7, (uint32_t)k, POOLSIM_STREAM_CLAIMS, 3, 11);
        double s1 = 0, s2 = 0;
        long bad = 0;
        for (long i = 0; i < n; i++) {
            double x = poolsim_rng_gamma(&r, a, b);
            bad += !(x >= 0) || !isfinite(x);
            pit_add(&p, gsl_cdf_gamma_P(x, a, b));
            s1 += x;
            s2 += (x - a * b) * (x - a * b);
        }
        double dn = (double)n, mean = s1 / dn, var = s2 / dn - (mean - a * b) * (mean - a * b);
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT(pit_pvalue(&p) > 1e-4);
        CU_ASSERT(fabs(mean - a * b) < 5 * b * sqrt(a / dn));
        CU_ASSERT(fabs(var - a * b * b) < 5 * b * b * sqrt((2 * a * a + 6 * a) / dn));
        free(p.cells);
    }
}

void poolsim_test_rng(void)
{
    CU_pSuite s = CU_add_suite("rng", NULL, NULL);
    CU_add_test(s, "Philox4x32-10 known answers", test_kat_block);
    CU_add_test(s, "inline block against Random123", test_inline_block);
    CU_add_test(s, "known answer through a stream", test_kat_stream);
    CU_add_test(s, "counter and key layout", test_layout);
    CU_add_test(s, "sub-stream addressing and reset", test_addressing);
    CU_add_test(s, "who hash", test_who);
    CU_add_test(s, "uniformity", test_uniform);
    CU_add_test(s, "normal: chi-square, moments, tails", test_normal);
    CU_add_test(s, "normal: the tail beyond r", test_normal_tail);
    CU_add_test(s, "gamma: chi-square and moments at several shapes", test_gamma);
}
