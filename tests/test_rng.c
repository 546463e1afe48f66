/* Tests of src/rng.c: Philox4x32-10 behind the gsl_rng interface, sub-stream
 * addressing (MODEL.md section 6). */
#include <math.h>
#include <stdint.h>

#include <CUnit/CUnit.h>
#include <gsl/gsl_rng.h>

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

/* Through the gsl_rng interface: the all-zero address (seed 0, path 0,
 * kind 0, year 0, who 0) is the all-zero KAT block, returned last word
 * first by Random123's GSL adaptor. */
static void test_kat_through_gsl(void)
{
    gsl_rng *r = gsl_rng_alloc(poolsim_rng_type());
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_EQUAL(gsl_rng_min(r), 0);
    CU_ASSERT_EQUAL(gsl_rng_max(r), 0xffffffffUL);
    poolsim_rng_reset(r, 0, 0, 0, 0, 0);
    for (int j = 3; j >= 0; j--) CU_ASSERT_EQUAL(gsl_rng_get(r), kat[0][6 + j]);
    gsl_rng_free(r);
}

/* The layout documented in rng.h: counter (path, kind<<24 | year, who, block),
 * key (seed low, seed high), words of each block taken last to first. */
static void test_layout(void)
{
    gsl_rng *r = gsl_rng_alloc(poolsim_rng_type());
    CU_ASSERT_FATAL(r != NULL);
    uint64_t seed = 0x299f31d0a4093822ull;
    uint32_t path = 77, kind = POOLSIM_STREAM_CLAIMS, year = 12, who = 0xdeadbeefu;
    poolsim_rng_reset(r, seed, path, kind, year, who);
    philox4x32_key_t k = {{0xa4093822u, 0x299f31d0u}};
    for (uint32_t block = 0; block < 3; block++) {
        philox4x32_ctr_t c = {{path, (5u << 24) | 12u, who, block}};
        philox4x32_ctr_t y = philox4x32(c, k);
        for (int j = 3; j >= 0; j--) CU_ASSERT_EQUAL(gsl_rng_get(r), y.v[j]);
    }
    gsl_rng_free(r);
}

static void draw(gsl_rng *r, uint64_t seed, uint32_t path, uint32_t kind, uint32_t year,
                 uint32_t who, unsigned long *out, int n)
{
    poolsim_rng_reset(r, seed, path, kind, year, who);
    for (int i = 0; i < n; i++) out[i] = gsl_rng_get(r);
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
    gsl_rng *r = gsl_rng_alloc(poolsim_rng_type());
    gsl_rng *r2 = gsl_rng_alloc(poolsim_rng_type());
    CU_ASSERT_FATAL(r != NULL && r2 != NULL);
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
    /* reset mid-way restarts the sub-stream from its first draw */
    poolsim_rng_reset(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who);
    for (int i = 0; i < 7; i++) (void)gsl_rng_get(r2);
    draw(r2, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who, b, N);
    CU_ASSERT_TRUE(same(a, b, N));
    /* interleaving another sub-stream does not disturb a sequence */
    poolsim_rng_reset(r, 42, 3, POOLSIM_STREAM_CLAIMS, 5, who);
    for (int i = 0; i < N; i++) {
        b[i] = gsl_rng_get(r);
        poolsim_rng_reset(r2, 42, 3, POOLSIM_STREAM_ECONOMY, (uint32_t)i, 0);
        (void)gsl_rng_get(r2);
    }
    CU_ASSERT_TRUE(same(a, b, N));
    gsl_rng_free(r);
    gsl_rng_free(r2);
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
    gsl_rng *r = gsl_rng_alloc(poolsim_rng_type());
    CU_ASSERT_FATAL(r != NULL);
    poolsim_rng_reset(r, 20240601, 9, POOLSIM_STREAM_ECONOMY, 1, 0);
    double s = 0, s2 = 0;
    long below = 0, outside = 0;
    for (int i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        outside += !(u >= 0 && u < 1);
        s += u;
        s2 += (u - 0.5) * (u - 0.5);
        below += u < 0.5;
    }
    double mean = s / n, var = s2 / n;
    CU_ASSERT_EQUAL(outside, 0);
    CU_ASSERT_TRUE(fabs(mean - 0.5) < 5 * sqrt(1.0 / 12 / n));
    CU_ASSERT_TRUE(fabs((double)below / n - 0.5) < 5 * 0.5 / sqrt(n));
    CU_ASSERT_TRUE(fabs(var - 1.0 / 12) < 5 * sqrt((1.0 / 80 - 1.0 / 144) / n));
    gsl_rng_free(r);
}

void poolsim_test_rng(void)
{
    CU_pSuite s = CU_add_suite("rng", NULL, NULL);
    CU_add_test(s, "Philox4x32-10 known answers", test_kat_block);
    CU_add_test(s, "known answer through gsl_rng", test_kat_through_gsl);
    CU_add_test(s, "counter and key layout", test_layout);
    CU_add_test(s, "sub-stream addressing and reset", test_addressing);
    CU_add_test(s, "who hash", test_who);
    CU_add_test(s, "uniformity", test_uniform);
}
