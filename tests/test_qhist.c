/* Tests of src/qhist.c: accuracy of histogram quantiles against exact
 * type-7 order statistics, and exact merging. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include "poolsim/common.h"
#include "poolsim/qhist.h"
#include "poolsim/stats.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Lognormal values with 30% zeros: every quantile and CVaR within the
 * documented bound 2^-11 (0.049%) of the exact value on the same sample. */
static void test_accuracy(void)
{
    const size_t n = 200000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12345);
    double *x = malloc(n * sizeof *x);
    poolsim_qhist *h = poolsim_qhist_alloc(1);
    for (size_t i = 0; i < n; i++) {
        x[i] = gsl_rng_uniform(r) < 0.3 ? 0.0 : gsl_ran_lognormal(r, 18.0, 1.2);
        CU_ASSERT_EQUAL(poolsim_qhist_add(h, 0, x[i]), 0);
    }
    qsort(x, n, sizeof *x, cmp_d);
    const double ps[] = {0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99, 0.999};
    for (int k = 0; k < 8; k++) {
        double ex = poolsim_quantile7(x, n, ps[k]), ap = poolsim_qhist_quantile7(h, 0, ps[k]);
        CU_ASSERT(fabs(ap - ex) <= 4.9e-4 * fabs(ex) + 1e-300);
    }
    double ex = poolsim_cvar_upper(x, n, 0.05), ap = poolsim_qhist_cvar_upper(h, 0, 0.05);
    CU_ASSERT(fabs(ap - ex) <= 4.9e-4 * ex);
    CU_ASSERT_EQUAL(poolsim_qhist_quantile7(h, 0, 0.0), x[0]);
    CU_ASSERT_EQUAL(poolsim_qhist_quantile7(h, 0, 1.0), x[n - 1]);
    CU_ASSERT_EQUAL(poolsim_qhist_count(h, 0), (int64_t)n);
    CU_ASSERT_NOT_EQUAL(poolsim_qhist_add(h, 0, -1.0), 0);
    CU_ASSERT_NOT_EQUAL(poolsim_qhist_add(h, 0, NAN), 0);
    poolsim_qhist_free(h);
    free(x);
    gsl_rng_free(r);
}

/* Merging two halves (directly and through pack/unpack) gives exactly the
 * histogram of the whole. */
static void test_merge(void)
{
    poolsim_qhist *a = poolsim_qhist_alloc(2), *b = poolsim_qhist_alloc(2),
                  *all = poolsim_qhist_alloc(2), *viapack = poolsim_qhist_alloc(2);
    for (int i = 0; i < 5000; i++) {
        double v = exp(0.01 * i), w = i % 3 ? 0.0 : 1e6 / (i + 1);
        poolsim_qhist *half = i % 2 ? a : b;
        poolsim_qhist_add(half, 0, v);
        poolsim_qhist_add(half, 1, w);
        poolsim_qhist_add(all, 0, v);
        poolsim_qhist_add(all, 1, w);
    }
    size_t na = poolsim_qhist_packed_size(a), nb = poolsim_qhist_packed_size(b);
    int64_t *pa = malloc(na * sizeof *pa), *pb = malloc(nb * sizeof *pb);
    poolsim_qhist_pack(a, pa);
    poolsim_qhist_pack(b, pb);
    CU_ASSERT_EQUAL(poolsim_qhist_unpack_add(viapack, pb, nb), 0);
    CU_ASSERT_EQUAL(poolsim_qhist_unpack_add(viapack, pa, na), 0);
    CU_ASSERT_EQUAL(poolsim_qhist_merge(a, b), 0);
    for (size_t c = 0; c < 2; c++)
        for (int k = 0; k <= 100; k++) {
            double p = k / 100.0;
            CU_ASSERT_EQUAL(poolsim_qhist_quantile7(a, c, p), poolsim_qhist_quantile7(all, c, p));
            CU_ASSERT_EQUAL(poolsim_qhist_quantile7(viapack, c, p),
                            poolsim_qhist_quantile7(all, c, p));
        }
    CU_ASSERT_EQUAL(poolsim_qhist_cvar_upper(a, 1, 0.05), poolsim_qhist_cvar_upper(all, 1, 0.05));
    free(pa);
    free(pb);
    poolsim_qhist_free(a);
    poolsim_qhist_free(b);
    poolsim_qhist_free(all);
    poolsim_qhist_free(viapack);
}

static int same_hist(const poolsim_qhist *a, const poolsim_qhist *b)
{
    size_t na = poolsim_qhist_packed_size(a), nb = poolsim_qhist_packed_size(b);
    if (na != nb) return 0;
    int64_t *pa = malloc(na * sizeof *pa), *pb = malloc(nb * sizeof *pb);
    poolsim_qhist_pack(a, pa);
    poolsim_qhist_pack(b, pb);
    int same = memcmp(pa, pb, na * sizeof *pa) == 0;
    free(pa);
    free(pb);
    return same;
}

/* Counting a strided run of values at once gives the histogram of counting
 * them one by one: zeros, values alternating between exponents (the page
 * looked up again), runs within one exponent; a negative value stops both
 * at the same place with POOLSIM_ENUM. */
static void test_add_many(void)
{
    enum { N = 3000, STRIDE = 3 };
    double *x = calloc((size_t)N * STRIDE, sizeof *x);
    for (int i = 0; i < N; i++)
        x[(size_t)i * STRIDE] = i % 7 == 0  ? 0.0
                                : i % 2     ? ldexp(1.0 + (i % 97) / 97.0, i % 5)
                                : i < N / 2 ? 1e6 + i
                                            : 3.5e-300 * i;
    poolsim_qhist *one = poolsim_qhist_alloc(2), *many = poolsim_qhist_alloc(2);
    for (int i = 0; i < N; i++)
        CU_ASSERT_EQUAL(poolsim_qhist_add(one, 1, x[(size_t)i * STRIDE]), 0);
    CU_ASSERT_EQUAL(poolsim_qhist_add_many(many, 1, x, 1000, STRIDE), 0);
    CU_ASSERT_EQUAL(poolsim_qhist_add_many(many, 1, x + 1000 * STRIDE, N - 1000, STRIDE), 0);
    CU_ASSERT_TRUE(same_hist(one, many));
    CU_ASSERT_EQUAL(poolsim_qhist_count(many, 1), N);
    CU_ASSERT_EQUAL(poolsim_qhist_count(many, 0), 0);
    x[(size_t)10 * STRIDE] = -1.0;
    for (int i = 0; i < 10; i++) poolsim_qhist_add(one, 0, x[(size_t)i * STRIDE]);
    CU_ASSERT_EQUAL(poolsim_qhist_add(one, 0, -1.0), POOLSIM_ENUM);
    CU_ASSERT_EQUAL(poolsim_qhist_add_many(many, 0, x, 20, STRIDE), POOLSIM_ENUM);
    CU_ASSERT_TRUE(same_hist(one, many));
    poolsim_qhist_free(one);
    poolsim_qhist_free(many);
    free(x);
}

/* The bucket by the definition in qhist.h, with frexp */
static void bucket_ref(double x, int *ei, int *sub)
{
    int e;
    double m = frexp(x, &e);
    double s = floor((m - 0.5) * 2048.0);
    *ei = e - POOLSIM_QHIST_EMIN;
    *sub = s > 1023 ? 1023 : (int)s;
}

static int bucket_matches(double x)
{
    int e1, s1, e2, s2;
    poolsim_qhist_bucket(x, &e1, &s1);
    bucket_ref(x, &e2, &s2);
    return e1 == e2 && s1 == s2 && e1 >= 0 && e1 < POOLSIM_QHIST_NEXP && s1 >= 0 &&
           s1 < POOLSIM_QHIST_SUB;
}

/* The bucket read from the bits equals frexp's definition: at every binary
 * exponent (subnormals included) for the smallest, largest and a random
 * mantissa and their neighbours, at the sub-bucket edges, and for a
 * million random bit patterns of positive finite doubles. */
static void test_bucket(void)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 777);
    long bad = 0;
    for (int e = -1074; e <= 1023; e++) {
        double p = ldexp(1.0, e);
        double xs[] = {p,
                       nextafter(p, 0),
                       nextafter(p, INFINITY),
                       p * (1 + gsl_rng_uniform(r)),
                       p * (1 + 1.0 / 1024),
                       p * (1 + 1.0 / 1024) - ldexp(1.0, e - 52),
                       p * (2 - ldexp(1.0, -52))};
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++)
            if (xs[i] > 0 && isfinite(xs[i]) && !bucket_matches(xs[i])) bad++;
    }
    for (long i = 0; i < 1000000; i++) {
        uint64_t u = ((uint64_t)gsl_rng_get(r) << 32 | (uint64_t)gsl_rng_get(r)) >> 1;
        double x;
        memcpy(&x, &u, sizeof x);
        if (x > 0 && isfinite(x) && !bucket_matches(x)) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_TRUE(bucket_matches(DBL_MAX));
    CU_ASSERT_TRUE(bucket_matches(DBL_TRUE_MIN));
    CU_ASSERT_TRUE(bucket_matches(DBL_MIN));
    CU_ASSERT_TRUE(bucket_matches(1.0));
    gsl_rng_free(r);
}

void poolsim_test_qhist(void)
{
    CU_pSuite s = CU_add_suite("qhist", NULL, NULL);
    CU_add_test(s, "histogram quantiles within 0.049% of exact", test_accuracy);
    CU_add_test(s, "exact merge and pack/unpack", test_merge);
    CU_add_test(s, "buckets from the bits equal frexp's", test_bucket);
    CU_add_test(s, "counting a strided run equals one by one", test_add_many);
}
