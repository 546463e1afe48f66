/* Tests of src/stats.c and the Wilson interval in src/results.c. */
#define _DEFAULT_SOURCE /* madvise, getrusage */
#include <malloc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"
#include "poolsim/results.h"
#include "poolsim/qhist.h"
#include "poolsim/stats.h"

static void test_wilson(void)
{
    double lo, hi;
    /* Reference values from the closed form evaluated independently in
     * Python: p = k/n, d = 1 + z^2/n, centre = (p + z^2/2n)/d,
     * half = z/d sqrt(p(1-p)/n + z^2/4n^2), z = 1.959963984540054. */
    poolsim_wilson(5, 100, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(lo, 0.02154367915436796, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(hi, 0.11175046923191913, 1e-15);
    poolsim_wilson(1, 3, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(lo, 0.06149194472039615, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(hi, 0.7923403991979523, 1e-15);
    /* k = 0: [0, (z^2/n) / (1 + z^2/n)] = [0, 0.0768293/1.0768293] */
    poolsim_wilson(0, 50, &lo, &hi);
    CU_ASSERT_EQUAL(lo, 0.0);
    CU_ASSERT_DOUBLE_EQUAL(hi, 0.07134759913335872, 1e-15);
    poolsim_wilson(50, 50, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(lo, 1 - 0.07134759913335872, 1e-15);
    CU_ASSERT_EQUAL(hi, 1.0);
}

static void test_quantile7(void)
{
    /* sorted 1 1 2 3 4 5 6 9 (n = 8), h = 7p:
     * p=.01: h=.07 -> 1;  p=.25: h=1.75 -> 1 + .75*(2-1) = 1.75;
     * p=.5: h=3.5 -> 3 + .5*(4-3) = 3.5;  p=.95: h=6.65 -> 6 + .65*(9-6) = 7.95;
     * p=.99: h=6.93 -> 6 + .93*3 = 8.79;  p=1 -> 9;  p=0 -> 1 */
    const double x[] = {1, 1, 2, 3, 4, 5, 6, 9};
    CU_ASSERT_DOUBLE_EQUAL(poolsim_quantile7(x, 8, 0.01), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(poolsim_quantile7(x, 8, 0.25), 1.75, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(poolsim_quantile7(x, 8, 0.50), 3.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(poolsim_quantile7(x, 8, 0.95), 7.95, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(poolsim_quantile7(x, 8, 0.99), 8.79, 1e-12);
    CU_ASSERT_EQUAL(poolsim_quantile7(x, 8, 1.0), 9.0);
    CU_ASSERT_EQUAL(poolsim_quantile7(x, 8, 0.0), 1.0);
    CU_ASSERT_EQUAL(poolsim_quantile7(x, 1, 0.5), 1.0);
    /* CVaR: worst ceil(0.05*8) = 1 value -> 9; worst ceil(.25*8) = 2 -> (6+9)/2 */
    CU_ASSERT_EQUAL(poolsim_cvar_upper(x, 8, 0.05), 9.0);
    CU_ASSERT_EQUAL(poolsim_cvar_upper(x, 8, 0.25), 7.5);
    /* n = 100: worst ceil(5) = 5 values of 1..100 -> (96+...+100)/5 = 98 */
    double y[100];
    for (int i = 0; i < 100; i++) y[i] = i + 1;
    CU_ASSERT_EQUAL(poolsim_cvar_upper(y, 100, 0.05), 98.0);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The block fold must give the two-pass mean and variance, and the same
 * bits whatever blocks the paths were grouped in (blocks are fixed). */
static void test_moments_fold(void)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 2, 1, 1);
    long P = 1000; /* 4 blocks of 256, the last partial */
    poolsim_stats *st = poolsim_stats_alloc(&lay, P);
    poolsim_block *b = poolsim_block_alloc(st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    double *rec = calloc(lay.n, sizeof(double));
    double sum = 0;
    double *vals = malloc((size_t)P * sizeof(double));
    for (long p = 0; p < P; p++) vals[p] = 1e9 + 1000.0 * sin((double)p) + (double)(p % 7);
    for (long p = 0; p < P; p++) sum += vals[p];
    double mean = sum / (double)P, ss = 0;
    for (long p = 0; p < P; p++) ss += (vals[p] - mean) * (vals[p] - mean);
    for (long bi = 0; bi < poolsim_stats_nblocks(st); bi++) {
        long f, e;
        poolsim_stats_block_range(st, bi, &f, &e);
        poolsim_block_reset(b, bi);
        for (long p = f; p < e; p++) {
            memset(rec, 0, lay.n * sizeof(double));
            rec[lay.financing_total] = vals[p];
            rec[lay.reserve_balance] = vals[p];
            /* mixed signs, zeros and ties for the radix sort */
            rec[lay.reserve_ratio] = p % 5 == 0 ? 0.0 : (p % 3 ? -1.0 : 1.0) * cos((double)p) * 1e3;
            poolsim_block_add(b, st, p, rec);
        }
        CU_ASSERT_EQUAL(poolsim_stats_fold(st, b), 0);
    }
    CU_ASSERT_EQUAL(poolsim_stats_absorb(st, b), 0);
    poolsim_results *r = poolsim_results_alloc(2, 1, 1);
    CU_ASSERT_EQUAL(poolsim_stats_finish(st, 2, r), 0);
    /* once: the kept values may have been given back */
    CU_ASSERT_EQUAL(poolsim_stats_finish(st, 2, r), POOLSIM_ENUM);
    /* mean of a large offset plus small variation: relative accuracy 1e-15 */
    CU_ASSERT_DOUBLE_EQUAL(r->financing_total.mean[0], mean, 1e9 * 1e-14);
    double se = sqrt(ss / (double)(P - 1) / (double)P);
    CU_ASSERT_DOUBLE_EQUAL(r->financing_total.se[0], se, se * 1e-9);
    /* median of the reserve channel: type-7 median of the sorted values */
    qsort(vals, (size_t)P, sizeof(double), cmp_d);
    CU_ASSERT_DOUBLE_EQUAL(r->reserve_balance.q[3], 0.5 * (vals[499] + vals[500]), 1e-6);
    CU_ASSERT_EQUAL(r->reserve_balance.q[0], poolsim_quantile7(vals, (size_t)P, 0.01));
    /* the radix-sorted quantiles equal those of qsort */
    double *mixed = malloc((size_t)P * sizeof(double));
    for (long p = 0; p < P; p++)
        mixed[p] = p % 5 == 0 ? 0.0 : (p % 3 ? -1.0 : 1.0) * cos((double)p) * 1e3;
    qsort(mixed, (size_t)P, sizeof(double), cmp_d);
    for (int k = 0; k < POOLSIM_NQ; k++)
        CU_ASSERT_EQUAL(r->reserve_ratio.q[k],
                        poolsim_quantile7(mixed, (size_t)P, poolsim_quantile_probs[k]));
    free(mixed);
    /* folding out of order is refused */
    poolsim_block_reset(b, 7);
    CU_ASSERT_NOT_EQUAL(poolsim_stats_fold(st, b), 0);
    poolsim_results_free(r);
    free(vals);
    free(rec);
    poolsim_block_free(b);
    poolsim_stats_free(st);
}

/* Values of one kind for the order-statistics test: ties, zeros of both
 * signs, values far apart and close together. */
static double os_value(int kind, long p)
{
    double u = sin((double)p * 12.9898) * 43758.5453;
    u -= floor(u); /* in [0, 1) */
    switch (kind) {
    case 0: return u * 1e9;                                  /* spread */
    case 1: return p % 10 ? 0.0 : u * 1e6;                   /* mostly zeros */
    case 2: return (p % 3 == 0 ? -0.0 : 0.0) + (p % 7 == 0); /* -0, +0 and 1 */
    case 3: return 1e8 + u * 1e-6;                           /* close together */
    case 4:
        return (u - 0.5) * pow(10, (double)(p % 40) - 20); /* huge range, both signs */
    /* 100 paths keep the largest 6 values and prune at 12 candidates: 0..11
     * leave 6..11, then 6.5 must still be taken (it is among the largest 6) */
    case 5: return p < 12 ? (double)p : p == 12 ? 6.5 : -1.0;
    /* 1000 paths keep the largest 51 and prune at 102: block 0 leaves
     * 1000..1050 (the smallest kept 1000), then block 1 (another
     * accumulator or rank) brings the next double above 1000, which must be
     * among the largest 51 */
    case 6:
        if (p < 51) return 1000.0 + (double)p;
        if (p < 102) return 0.001 * (double)p;
        return p == 256 ? nextafter(1000.0, 2000.0) : -1.0;
    /* 1000 paths: the first 102 candidates are equal (pruned to 51 of them,
     * the smallest kept 7), then twenty of the next double above 7 must be
     * taken (the largest twenty: p99 reads two of them) */
    case 7:
        if (p < 102) return 7.0;
        return p >= 300 && p < 320 ? nextafter(7.0, 8.0) : 1.0;
    case 8: return 5.0; /* all equal */
    /* DIST rows bin the values between the smallest and largest of the
     * first 512 (value bins): many values equal to those two (a floor and
     * a cap), both signs, and, after the first 512, values below and above
     * them and next to them */
    /* (the double below the cap 1 is binned at 2044 before the clamp) */
    case 9:
        if (p % 10 < 3) return p < 512 || p % 10 == 0 ? -2.0 : nextafter(-2.0, -3.0);
        if (p % 10 >= 7) return p < 512 || p % 10 == 7 ? 1.0 : nextafter(1.0, p % 10 == 8 ? 0 : 2);
        if (p > 2000 && p % 97 == 0) return nextafter(-2.0, 0.0);
        return -2.0 + 3.0 * (0.001 + 0.998 * u);
    /* the first 512 all equal, the rest spread (key bins) */
    case 10: return p < 512 ? 3.0 : u;
    /* first values +0 and -0 only: equal values, two keys (key bins),
     * then both zeros among spread values */
    case 11: return p < 600 ? (p % 2 ? -0.0 : 0.0) : p % 3 ? u - 0.5 : (p % 2 ? -0.0 : 0.0);
    /* a range wider than the largest double (x2 - x1 overflows: key bins) */
    case 12: return p % 2 ? -1.5e308 * u : 1.7e308 * u;
    /* values a few doubles apart (the scale overflows: key bins) */
    case 13: return nextafter(nextafter(4.9e-324 * (double)(p % 3), 1.0), 1.0);
    /* a clustered mass with rare outliers, which set the first 512's range */
    case 14: return p % 300 == 1 ? 1e9 * u : p % 300 == 2 ? -1e3 : 1e6 + u;
    default: return 0.0;
    }
}

/* Run P paths of one DIST channel (reserve_balance[0]) holding v[p] and
 * GROUPED_C TAIL channels (county_burden[c]) holding v rotated through
 * the accumulators as
 * the engine may: `nacc` block accumulators (threads) taking the blocks
 * in a scrambled order, and `ranks` accumulators of their own (ranks),
 * each with its contiguous range of blocks, whose values rank 0 unpacks;
 * blocks are folded in block order from their packed form. Into got:
 * the seven quantiles, then p95, p99 and CVaR95 of channel 0. Returns 0
 * on success (every TAIL channel's summaries equal to channel 0's). */
#define GROUPED_C 6 /* counties: six TAIL channels, four in a vector, two left */
static int grouped_run(const double *v, long P, int nacc, int ranks, double *got)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 1, 1, GROUPED_C);
    poolsim_stats *st[3] = {NULL, NULL, NULL};
    poolsim_block *acc[3] = {NULL, NULL, NULL};
    int bad = ranks > 3 || nacc > 3;
    for (int k = 0; !bad && k < ranks; k++) bad = !(st[k] = poolsim_stats_alloc(&lay, P));
    for (int a = 0; !bad && a < nacc; a++) bad = !(acc[a] = poolsim_block_alloc(st[0]));
    poolsim_block *tmp = bad ? NULL : poolsim_block_alloc(st[0]);
    long nb = bad ? 0 : poolsim_stats_nblocks(st[0]);
    size_t bps = bad ? 0 : poolsim_block_packed_size(st[0]);
    double *stash = malloc(((size_t)nb * bps + 1) * sizeof(double));
    double *rec = calloc(lay.n, sizeof(double));
    poolsim_results *r = poolsim_results_alloc(1, 1, GROUPED_C);
    bad = bad || !tmp || !stash || !rec || !r;
    for (int k = 0; !bad && k < ranks; k++) {
        long b0 = nb * k / ranks, b1 = nb * (k + 1) / ranks, m = b1 - b0;
        /* blocks in the order b0 + (i * 7 mod m): every block once when m is
         * not a multiple of 7, else in order */
        for (long i = 0; i < m; i++) {
            long bi = b0 + (m % 7 ? (i * 7) % m : i), f, e;
            poolsim_block *b = acc[i % nacc];
            poolsim_stats_block_range(st[k], bi, &f, &e);
            poolsim_block_reset(b, bi);
            for (long p = f; p < e; p++) {
                rec[lay.reserve_balance] = v[p];
                /* TAIL channel c: the values rotated by 101 c (the same
                 * order statistics); channel 0 in the first lane */
                for (long c = 0; c < GROUPED_C; c++)
                    rec[lay.county_burden + (size_t)c] = v[(p + 101 * c) % P];
                bad |= poolsim_block_add(b, st[k], p, rec) != 0;
            }
            poolsim_block_pack(b, stash + (size_t)bi * bps);
        }
        for (int a = 0; a < nacc; a++) {
            bad |= poolsim_stats_absorb(st[k], acc[a]) != 0;
            /* the next rank's accumulators start empty */
            poolsim_block_free(acc[a]);
            acc[a] = poolsim_block_alloc(st[0]);
            bad |= !acc[a];
        }
        if (k > 0 && m > 0) {
            long f0, e0, f1, e1;
            poolsim_stats_block_range(st[k], b0, &f0, &e0);
            poolsim_stats_block_range(st[k], b1 - 1, &f1, &e1);
            size_t nv = poolsim_stats_values_packed_size(st[k], f0, e1);
            double *buf = malloc((nv + 1) * sizeof(double));
            bad |= !buf;
            if (buf) {
                poolsim_stats_values_pack(st[k], f0, e1, buf);
                poolsim_stats_values_unpack(st[0], f0, e1, buf);
            }
            free(buf);
        }
    }
    for (long bi = 0; !bad && bi < nb; bi++) {
        poolsim_block_unpack(tmp, stash + (size_t)bi * bps);
        bad |= poolsim_stats_fold(st[0], tmp) != 0;
    }
    bad = bad || poolsim_stats_finish(st[0], 2, r) != 0;
    if (!bad) {
        memcpy(got, r->reserve_balance.q, POOLSIM_NQ * sizeof(double));
        got[POOLSIM_NQ] = r->county_burden.p95[0];
        got[POOLSIM_NQ + 1] = r->county_burden.p99[0];
        got[POOLSIM_NQ + 2] = r->county_burden.cvar95[0];
        for (size_t c = 1; c < GROUPED_C; c++)
            bad |= memcmp(&r->county_burden.p95[c], &got[POOLSIM_NQ], sizeof(double)) ||
                   memcmp(&r->county_burden.p99[c], &got[POOLSIM_NQ + 1], sizeof(double)) ||
                   memcmp(&r->county_burden.cvar95[c], &got[POOLSIM_NQ + 2], sizeof(double));
    }
    poolsim_results_free(r);
    free(rec);
    free(stash);
    poolsim_block_free(tmp);
    for (int a = 0; a < 3; a++) poolsim_block_free(acc[a]);
    for (int k = 0; k < 3; k++) poolsim_stats_free(st[k]);
    return bad;
}

/* The exact quantiles and CVaR come from a partial selection of order
 * statistics (DIST rows) and from the candidates for the largest values
 * (TAIL rows): they must equal, bit for bit, those of the fully sorted
 * values (qsort here), for several kinds of values and path counts
 * (including a single path, the smallest buckets, partial blocks and
 * counts where the candidates are pruned many times), however the blocks
 * are spread over threads and ranks. */
static void test_order_statistics(void)
{
    const long counts[] = {1, 2, 3, 31, 33, 100, 257, 1000, 4099, 20000};
    const int groupings[][2] = {{1, 1}, {3, 1}, {2, 3}}; /* accumulators, ranks */
    int was = poolsim_stats_simd(-1);
    for (int mode = 0; mode < 2; mode++) {
        poolsim_stats_simd(mode); /* the scalar loops, then the AVX2 ones */
        for (int kind = 0; kind < 15; kind++)
            for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
                long P = counts[ci];
                double *v = malloc((size_t)P * sizeof(double));
                CU_ASSERT_PTR_NOT_NULL_FATAL(v);
                for (long p = 0; p < P; p++) v[p] = os_value(kind, p);
                double got[3][POOLSIM_NQ + 3];
                for (int g = 0; g < 3; g++)
                    CU_ASSERT_EQUAL_FATAL(
                        grouped_run(v, P, groupings[g][0], groupings[g][1], got[g]), 0);
                qsort(v, (size_t)P, sizeof(double), cmp_d);
                /* qsort leaves -0 and +0 in any order; the program orders -0 first */
                for (long p = 0, z = 0; p <= P; p++) {
                    if (p < P && v[p] == 0) continue;
                    long neg = 0; /* the run of zeros [z, p) */
                    for (long k = z; k < p; k++) neg += signbit(v[k]) != 0;
                    for (long k = z; k < p; k++) v[k] = k - z < neg ? -0.0 : 0.0;
                    z = p + 1;
                }
                size_t n = (size_t)P;
                double want[POOLSIM_NQ + 3];
                for (int k = 0; k < POOLSIM_NQ; k++)
                    want[k] = poolsim_quantile7(v, n, poolsim_quantile_probs[k]);
                want[POOLSIM_NQ] = poolsim_quantile7(v, n, 0.95);
                want[POOLSIM_NQ + 1] = poolsim_quantile7(v, n, 0.99);
                want[POOLSIM_NQ + 2] = poolsim_cvar_upper(v, n, 0.05);
                for (int g = 0; g < 3; g++) {
                    int same = memcmp(got[g], want, sizeof want) == 0;
                    if (!same)
                        fprintf(
                            stderr,
                            "\n  kind %d, %ld paths, %d accumulators, %d ranks: order statistics "
                            "differ\n",
                            kind, P, groupings[g][0], groupings[g][1]);
                    CU_ASSERT(same);
                }
                free(v);
            }
    }
    poolsim_stats_simd(was);
}

/* Histogram mode (more paths than POOLSIM_STATS_EXACT_MAX): two block
 * accumulators (threads) taking alternate blocks, the last one partial and
 * the paths not a multiple of the staging size. Every channel must have
 * counted every path, and the reserve channel's quantiles must be those of
 * a histogram filled value by value. */
static void test_hist_mode(void)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 1, 1, 1);
    long P = POOLSIM_STATS_EXACT_MAX + 101;
    poolsim_stats *st = poolsim_stats_alloc(&lay, P);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st);
    CU_ASSERT_FALSE(poolsim_stats_exact(st));
    poolsim_block *acc[2] = {poolsim_block_alloc(st), poolsim_block_alloc(st)};
    poolsim_qhist *direct = poolsim_qhist_alloc(1);
    double *rec = calloc(lay.n, sizeof(double));
    CU_ASSERT_FATAL(acc[0] && acc[1] && direct && rec);
    for (long bi = 0; bi < poolsim_stats_nblocks(st); bi++) {
        long f, e;
        poolsim_block *b = acc[bi % 2];
        poolsim_stats_block_range(st, bi, &f, &e);
        poolsim_block_reset(b, bi);
        for (long p = f; p < e; p++) {
            double v = p % 11 == 0 ? 0.0 : os_value(0, p) + (p >= P - 40 ? 1e10 : 0.0);
            rec[lay.reserve_balance] = v;
            CU_ASSERT_EQUAL(poolsim_qhist_add(direct, 0, v), 0);
            CU_ASSERT_EQUAL(poolsim_block_add(b, st, p, rec), 0);
        }
        CU_ASSERT_EQUAL(poolsim_stats_fold(st, b), 0);
    }
    for (int a = 0; a < 2; a++) CU_ASSERT_EQUAL(poolsim_stats_absorb(st, acc[a]), 0);
    poolsim_qhist *h = poolsim_stats_hist(st);
    long short_counts = 0;
    for (size_t c = 0; c < lay.nq; c++) short_counts += poolsim_qhist_count(h, c) != P;
    CU_ASSERT_EQUAL(short_counts, 0);
    poolsim_results *r = poolsim_results_alloc(1, 1, 1);
    CU_ASSERT_EQUAL(poolsim_stats_finish(st, 1, r), 0);
    for (int k = 0; k < POOLSIM_NQ; k++)
        CU_ASSERT_EQUAL(r->reserve_balance.q[k],
                        poolsim_qhist_quantile7(direct, 0, poolsim_quantile_probs[k]));
    poolsim_results_free(r);
    free(rec);
    poolsim_qhist_free(direct);
    for (int a = 0; a < 2; a++) poolsim_block_free(acc[a]);
    poolsim_stats_free(st);
}

/* Bits of a double (compared bit for bit; NaN against NaN only as NaN:
 * which NaN an addition of two keeps is the compiler's choice). */
static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b)) return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Values for the moments test, by element: every fourth mixes finite
 * values with infinities, NaN, -0 and subnormals (its sums end non-finite),
 * the next only subnormals and zeros of both signs, the others finite
 * values of both signs. */
static double moment_value(long p, size_t i)
{
    static const double special[] = {0.0,    -0.0,     1e-310,    -4.9e-324, 1e308,
                                     -1e308, INFINITY, -INFINITY, NAN,       2.5e-320};
    static const double tiny[] = {0.0, -0.0, 4.9e-324, -1e-310, 2.2e-308, -3e-320, 1.5e-315};
    double u = (double)((long)(i * 2654435761u + (size_t)p * 40503u) % 100003);
    switch (i % 4) {
    case 0: return (p + (long)i) % 7 == 0 ? special[(size_t)p % 10] : u * 1.25e3 - 6e7;
    case 1: return tiny[(i + (size_t)p * 3) % 7];
    default: return u * 1.25e3 - 6e7 + sin((double)(p + (long)i));
    }
}

/* The block sums s1 = sum of (x - shift) and s2 = sum of (x - shift)^2
 * (shift: the block's first record) must be, element by element, those of
 * a plain loop adding one path after the other, with the AVX2 loops and
 * without, over a record whose ranges end off the vector width and
 * values including NaN, infinities, -0 and subnormals. */
static void test_block_sums(void)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 3, 2, 3); /* a record length not a multiple of 8 */
    CU_ASSERT_NOT_EQUAL(lay.n % 8, 0);
    long P = 300;
    double *rec = malloc(lay.n * sizeof(double));
    double *s1 = malloc(lay.n * sizeof(double)), *s2 = malloc(lay.n * sizeof(double));
    double *sh = malloc(lay.n * sizeof(double));
    CU_ASSERT_FATAL(rec && s1 && s2 && sh);
    int was = poolsim_stats_simd(-1);
    for (int mode = 0; mode < 2; mode++) {
        poolsim_stats_simd(mode);
        /* the whole record, and odd ranges from a selection of rows */
        for (int sel = 0; sel < 2; sel++) {
            poolsim_stats *st = poolsim_stats_alloc(&lay, P);
            CU_ASSERT_PTR_NOT_NULL_FATAL(st);
            unsigned char rows[POOLSIM_SCHEMA_NROWS];
            for (int r = 0; r < POOLSIM_SCHEMA_NROWS; r++) rows[r] = r % 3 != 1;
            if (sel) CU_ASSERT_EQUAL(poolsim_stats_select(st, rows), 0);
            poolsim_block *b = poolsim_block_alloc(st);
            CU_ASSERT_PTR_NOT_NULL_FATAL(b);
            poolsim_block_reset(b, 0);
            for (size_t i = 0; i < lay.n; i++) s1[i] = s2[i] = 0;
            long bad = 0;
            for (long p = 0; p < 256; p++) {
                for (size_t i = 0; i < lay.n; i++) rec[i] = moment_value(p, i);
                for (int l = 0; l < lay.L; l++) rec[lay.first_exh + (size_t)l] = (double)(p % 4);
                if (p == 0) memcpy(sh, rec, lay.n * sizeof(double));
                for (size_t i = 0; i < lay.n; i++) {
                    double d = rec[i] - sh[i];
                    s1[i] = s1[i] + d;
                    s2[i] = s2[i] + d * d;
                }
                CU_ASSERT_EQUAL(poolsim_block_add(b, st, p, rec), 0);
            }
            /* with a selection, only the slots of selected rows are summed */
            for (int r = 0; r < POOLSIM_SCHEMA_NROWS; r++) {
                if (lay.slot[r] == POOLSIM_NO_SLOT) continue;
                poolsim_dims d = {lay.T, lay.L, lay.C, lay.R};
                size_t o = lay.slot[r], m = poolsim_schema_shape_size(poolsim_schema[r].shape, &d);
                for (size_t i = o; i < o + m; i++) {
                    int on = !sel || rows[r];
                    bad += !same_double(b->s1[i], on ? s1[i] : 0.0) ||
                           !same_double(b->s2[i], on ? s2[i] : 0.0);
                }
            }
            if (bad) fprintf(stderr, "\n  block sums differ (avx2 %d, selection %d)\n", mode, sel);
            CU_ASSERT_EQUAL(bad, 0);
            poolsim_block_free(b);
            poolsim_stats_free(st);
        }
    }
    poolsim_stats_simd(was);
    free(rec);
    free(s1);
    free(s2);
    free(sh);
}

/* IEEE 754 totalOrder of the bits (-NaN < -inf < ... < -0 < +0 < ... <
 * +inf < +NaN): negative patterns in reverse order of their magnitude
 * bits, below the positive ones. */
static int cmp_total(const void *pa, const void *pb)
{
    uint64_t a, b;
    memcpy(&a, pa, sizeof a);
    memcpy(&b, pb, sizeof b);
    int na = (int)(a >> 63), nb = (int)(b >> 63);
    if (na != nb) return na ? -1 : 1;
    uint64_t ma = a & 0x7fffffffffffffffull, mb = b & 0x7fffffffffffffffull;
    int c = (ma > mb) - (ma < mb);
    return na ? -c : c;
}

/* Values with infinities, NaNs of both signs, subnormals and both zeros. */
static double special_value(int kind, long p)
{
    double u = sin((double)p * 78.233) * 43758.5453;
    u -= floor(u);
    switch (kind) {
    case 0: /* subnormals, zeros and infinities among spread values */
        switch (p % 9) {
        case 0: return u * 4.9e-322;
        case 1: return -u * 2e-310;
        case 2: return p % 2 ? -0.0 : 0.0;
        case 3: return p % 4 == 3 ? INFINITY : -INFINITY;
        default: return (u - 0.3) * 1e6;
        }
    case 1: /* NaNs of both signs at both ends */
        if (p % 13 == 0) return p % 2 ? -NAN : NAN;
        return (u - 0.5) * pow(2, (double)(p % 60) - 30);
    case 2: { /* mostly the NaN of all bits set, the smallest in totalOrder */
        uint64_t ones = UINT64_MAX;
        double m;
        memcpy(&m, &ones, sizeof m);
        return p % 10 == 0 ? -1.0 : m;
    }
    default: /* a few distinct values far apart, mostly one subnormal */
        return p % 17 == 0 ? 1e300 : p % 5 == 0 ? -1e-300 : 4.9e-324;
    }
}

/* The order statistics of values with infinities, NaNs, subnormals and
 * both zeros, with and without the AVX2 loops, must be those of the
 * values sorted by qsort in IEEE totalOrder (the order the program
 * documents: -0 before +0, NaNs beyond the infinities by sign). */
static void test_order_special(void)
{
    const long counts[] = {7, 40, 333, 1000, 5003, 20000};
    int was = poolsim_stats_simd(-1);
    for (int mode = 0; mode < 2; mode++) {
        poolsim_stats_simd(mode);
        for (int kind = 0; kind < 4; kind++)
            for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
                long P = counts[ci];
                double *v = malloc((size_t)P * sizeof(double));
                CU_ASSERT_PTR_NOT_NULL_FATAL(v);
                for (long p = 0; p < P; p++) v[p] = special_value(kind, p);
                double got[POOLSIM_NQ + 3], want[POOLSIM_NQ + 3];
                CU_ASSERT_EQUAL_FATAL(grouped_run(v, P, 2, 1, got), 0);
                qsort(v, (size_t)P, sizeof(double), cmp_total);
                size_t n = (size_t)P;
                for (int k = 0; k < POOLSIM_NQ; k++)
                    want[k] = poolsim_quantile7(v, n, poolsim_quantile_probs[k]);
                want[POOLSIM_NQ] = poolsim_quantile7(v, n, 0.95);
                want[POOLSIM_NQ + 1] = poolsim_quantile7(v, n, 0.99);
                want[POOLSIM_NQ + 2] = poolsim_cvar_upper(v, n, 0.05);
                int same = memcmp(got, want, sizeof want) == 0;
                if (!same)
                    fprintf(stderr, "\n  avx2 %d, kind %d, %ld paths: order statistics differ\n",
                            mode, kind, P);
                CU_ASSERT(same);
                free(v);
            }
    }
    poolsim_stats_simd(was);
}


/* Channels declared fixed (poolsim_stats_alloc_fixed) give every summary
 * bit for bit as when their values are kept and sorted; a value that is
 * not finite or is -0 is kept as any other; a declared channel whose
 * values vary makes poolsim_stats_finish fail. */
static int fixed_run(long P, const unsigned char *fixed, const double *value, const double *cval,
                     int vary, poolsim_results *r)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 2, 2, 3);
    poolsim_stats *st = fixed ? poolsim_stats_alloc_fixed(&lay, P, fixed, value)
                              : poolsim_stats_alloc(&lay, P);
    poolsim_block *b = st ? poolsim_block_alloc(st) : NULL;
    double *rec = calloc(lay.n, sizeof(double));
    int bad = !st || !b || !rec;
    for (long bi = 0; !bad && bi < poolsim_stats_nblocks(st); bi++) {
        long f, e;
        poolsim_stats_block_range(st, bi, &f, &e);
        poolsim_block_reset(b, bi);
        for (long p = f; p < e; p++) {
            for (size_t i = 0; i < lay.n; i++) rec[i] = sin((double)p * 0.37 + (double)i) * 1e3;
            for (int l = 0; l < lay.L; l++) rec[lay.first_exh + (size_t)l] = (double)(p % 3);
            /* contribution_factor: channel q0 + j holds cval[j] (path 5
             * of channel 1 otherwise when vary) */
            for (size_t j = 0; j < 4; j++)
                rec[lay.contribution_factor + j] = vary && j == 1 && p == 5 ? 2.0 : cval[j];
            bad |= poolsim_block_add(b, st, p, rec) != 0;
        }
        bad |= poolsim_stats_fold(st, b) != 0;
    }
    bad = bad || poolsim_stats_absorb(st, b) != 0;
    int fin = bad ? -1 : poolsim_stats_finish(st, 2, r);
    free(rec);
    poolsim_block_free(b);
    poolsim_stats_free(st);
    return bad ? -1 : fin;
}

static void test_fixed_channels(void)
{
    const long counts[] = {1, 2, 257, 1000};
    /* contribution_factor [line][year]: 1, 0, -0, inf */
    const double cval[4] = {1.0, 0.0, -0.0, INFINITY};
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 2, 2, 3);
    unsigned char *fixed = calloc(lay.nq, 1);
    double *value = calloc(lay.nq, sizeof(double));
    CU_ASSERT_FATAL(fixed && value);
    size_t q0 = lay.qchan[POOLSIM_ROW_contribution_factor];
    for (size_t j = 0; j < 4; j++) fixed[q0 + j] = 1, value[q0 + j] = cval[j];
    for (size_t ci = 0; ci < sizeof counts / sizeof *counts; ci++) {
        long P = counts[ci];
        poolsim_results *a = poolsim_results_alloc(2, 2, 3), *b = poolsim_results_alloc(2, 2, 3);
        CU_ASSERT_FATAL(a && b);
        CU_ASSERT_EQUAL(fixed_run(P, NULL, NULL, cval, 0, a), POOLSIM_OK);
        CU_ASSERT_EQUAL(fixed_run(P, fixed, value, cval, 0, b), POOLSIM_OK);
        /* every DIST row's quantiles and moments the same bits */
        for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
            double *ca[POOLSIM_SCHEMA_MAXCOMP], *cb[POOLSIM_SCHEMA_MAXCOMP];
            int nc = poolsim_results_row(a, row, ca);
            poolsim_results_row(b, row, cb);
            size_t n = poolsim_schema_shape_size(poolsim_schema[row].shape,
                                                 &(poolsim_dims){2, 2, 3, 0});
            for (int k = 0; k < nc; k++) {
                size_t m = n * (poolsim_schema[row].kind == POOLSIM_KIND_DIST && k == 2
                                    ? (size_t)POOLSIM_NQ
                                    : 1);
                if (ca[k] && cb[k]) CU_ASSERT_EQUAL(memcmp(ca[k], cb[k], m * sizeof(double)), 0);
            }
        }
        /* the fixed ones hold their value: 1 and +0 */
        for (int k = 0; k < POOLSIM_NQ; k++) {
            CU_ASSERT_EQUAL(b->contribution_factor.q[k], 1.0);
            CU_ASSERT_EQUAL(b->contribution_factor.q[POOLSIM_NQ + k], 0.0);
            CU_ASSERT_FALSE(signbit(b->contribution_factor.q[POOLSIM_NQ + k]));
        }
        poolsim_results_free(a);
        poolsim_results_free(b);
        /* declared fixed, but one path differs */
        if (P > 5) {
            poolsim_results *c = poolsim_results_alloc(2, 2, 3);
            CU_ASSERT_EQUAL(fixed_run(P, fixed, value, cval, 1, c), POOLSIM_ENUM);
            poolsim_results_free(c);
        }
    }
    free(fixed);
    free(value);
}


/* Made-up record values of path p, slot i. */
static double wave_sin(long p, size_t i)
{
    return sin((double)p * 0.61 + (double)i * 1.7) * (1.0 + (double)i);
}

static double wave_cos(long p, size_t i)
{
    return cos((double)p * 0.37 + (double)i) * (2.0 + (double)(i % 7));
}

/* Every path of st, block by block, with the values value(p, i) and no
 * line ever exhausted, each block folded as it ends (rec: lay->n). */
static void add_blocks(poolsim_stats *st, poolsim_block *b, const poolsim_stats_layout *lay,
                       double *rec, double (*value)(long, size_t))
{
    for (long bi = 0; bi < poolsim_stats_nblocks(st); bi++) {
        long f, e;
        poolsim_stats_block_range(st, bi, &f, &e);
        poolsim_block_reset(b, bi);
        for (long p = f; p < e; p++) {
            for (size_t i = 0; i < lay->n; i++) rec[i] = value(p, i);
            for (int l = 0; l < lay->L; l++) rec[lay->first_exh + (size_t)l] = 0;
            CU_ASSERT_EQUAL(poolsim_block_add(b, st, p, rec), 0);
        }
        CU_ASSERT_EQUAL(poolsim_stats_fold(st, b), 0);
    }
}

/* The kept values are given back (madvise) by each thread of
 * poolsim_stats_finish only after every thread has read its channels:
 * with more threads (32) than chunks of channels (one county, line and
 * year: 17 channels, chunks of 4), threads without work reach the
 * release at once, and giving back before the loop's barrier would zero
 * most of the channels while the others read them (a race: four such
 * runs). The summaries must be those of a one-thread finish; 100,000
 * paths keep well over the 4 MB from which the values are given back. */
static void test_release_after_all_read(void)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 1, 1, 1);
    const long P = POOLSIM_STATS_EXACT_MAX;
    enum { RUNS = 5 }; /* a one-thread finish, then four of 32 threads */
    double *rec = calloc(lay.n, sizeof(double));
    CU_ASSERT_FATAL(rec != NULL);
    CU_ASSERT_FATAL(8.0 * (double)lay.nq * (double)P >= 8.0 * 1024 * 1024);
    CU_ASSERT_FATAL(lay.nq < 64);
    poolsim_results *ref = NULL;
    for (int k = 0; k < RUNS; k++) {
        poolsim_results *r = poolsim_results_alloc(1, 1, 1);
        poolsim_stats *st = poolsim_stats_alloc(&lay, P);
        poolsim_block *b = st ? poolsim_block_alloc(st) : NULL;
        CU_ASSERT_FATAL(r && st && b);
        CU_ASSERT_FATAL(poolsim_stats_exact(st));
        add_blocks(st, b, &lay, rec, wave_sin);
        CU_ASSERT_EQUAL(poolsim_stats_absorb(st, b), 0);
        CU_ASSERT_EQUAL(poolsim_stats_finish(st, k ? 32 : 1, r), 0);
        poolsim_block_free(b);
        poolsim_stats_free(st);
        if (!ref) {
            ref = r;
            continue;
        }
        poolsim_results_array a[POOLSIM_RESULTS_NARRAYS], c[POOLSIM_RESULTS_NARRAYS];
        int n = poolsim_results_arrays(ref, a);
        CU_ASSERT_EQUAL(poolsim_results_arrays(r, c), n);
        for (int j = 0; j < n; j++) {
            int same =
                a[j].n == c[j].n && memcmp(a[j].data, c[j].data, a[j].n * sizeof(double)) == 0;
            if (!same) fprintf(stderr, "\n  %s differs with 32 threads\n", a[j].name);
            CU_ASSERT(same);
        }
        poolsim_results_free(r);
    }
    poolsim_results_free(ref);
    free(rec);
}

/* Page faults taken so far by this process (minor: no disk). */
static long minor_faults(void)
{
    struct rusage u;
    return getrusage(RUSAGE_SELF, &u) == 0 ? u.ru_minflt : -1;
}

/* Add paths [f, e) of a run (values made up), timing nothing: the page
 * faults they take. */
static long faults_adding(poolsim_stats *st, poolsim_block *b, const poolsim_stats_layout *lay,
                          long f, long e, double *rec)
{
    long before = minor_faults();
    for (long p = f; p < e; p++) {
        for (size_t i = 0; i < lay->n; i++) rec[i] = (double)((p * 7 + (long)i) % 1000);
        for (int l = 0; l < lay->L; l++) rec[lay->first_exh + (size_t)l] = 0; /* never */
        if (poolsim_block_add(b, st, p, rec) != 0) return -1;
    }
    return minor_faults() - before;
}

/* poolsim_stats_prefault and _block_prefault map the memory the paths
 * will write, and only that: with it, adding every path of a four-county
 * run takes almost no page fault where without it each page of the kept
 * values takes one; with a row selected, the other rows' values are not
 * mapped; with a range of paths (an MPI rank's), the other paths' are
 * not. Needs MADV_POPULATE_WRITE (Linux 5.14); not under AddressSanitizer,
 * whose shadow memory takes faults of its own. */
static void test_prefault(void)
{
#if defined(MADV_POPULATE_WRITE) && !defined(__SANITIZE_ADDRESS__)
    long pg = sysconf(_SC_PAGESIZE);
    void *probe = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(probe != MAP_FAILED);
    int can = madvise(probe, (size_t)pg, MADV_POPULATE_WRITE) == 0 && minor_faults() >= 0;
    munmap(probe, (size_t)pg);
    if (!can) {
        fprintf(stderr, "\n  (skipped: this kernel has no MADV_POPULATE_WRITE)\n");
        return;
    }
    /* each run's kept values in fresh pages: glibc would otherwise raise
     * its mmap threshold past 25 MB once they are freed, and give the next
     * run pages of its heap already mapped (the threshold fixed at its
     * initial value changes nothing else) */
    CU_ASSERT_FATAL(mallopt(M_MMAP_THRESHOLD, 128 * 1024) == 1);
    const long P = 20000;
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 2, 10, 4);
    /* the DIST channels: every one is kept (none declared fixed) */
    size_t nd = 0, nrb = 0;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        if (poolsim_schema[row].kind != POOLSIM_KIND_DIST || lay.qchan[row] == POOLSIM_NO_SLOT)
            continue;
        size_t n = poolsim_schema_shape_size(poolsim_schema[row].shape, &(poolsim_dims){2, 10, 4, 0});
        nd += n;
        if (row == POOLSIM_ROW_reserve_balance) nrb = n;
    }
    CU_ASSERT_FATAL(nd > 100 && nrb == 20);
    long pages = (long)(nd * (size_t)P * sizeof(double) / (size_t)pg);
    double *rec = calloc(lay.n, sizeof(double));
    unsigned char rows[POOLSIM_SCHEMA_NROWS] = {0};
    rows[POOLSIM_ROW_reserve_balance] = 1;
    CU_ASSERT_FATAL(rec != NULL);
    for (int mode = 0; mode < 5; mode++) {
        poolsim_stats *st = poolsim_stats_alloc(&lay, P);
        poolsim_block *b = st ? poolsim_block_alloc(st) : NULL;
        CU_ASSERT_FATAL(st && b && poolsim_stats_exact(st));
        if (mode == 0) { /* none: one fault per page at least */
            long f = faults_adding(st, b, &lay, 0, P, rec);
            CU_ASSERT(f >= pages);
        } else if (mode == 1) { /* all of it, in three parts */
            for (int k = 0; k < 3; k++) poolsim_stats_prefault(st, 0, P, k, 3);
            poolsim_block_prefault(b, st);
            long f = faults_adding(st, b, &lay, 0, P, rec);
            if (f * 50 >= pages) fprintf(stderr, "\n  %ld faults, %ld pages\n", f, pages);
            CU_ASSERT(f * 50 < pages);
        } else if (mode == 2) { /* one row: the other rows' values fault */
            CU_ASSERT_EQUAL(poolsim_stats_select(st, rows), 0);
            poolsim_stats_prefault(st, 0, P, 0, 1);
            CU_ASSERT_EQUAL(poolsim_stats_select(st, NULL), 0);
            poolsim_block_prefault(b, st);
            long f = faults_adding(st, b, &lay, 0, P, rec);
            long other = (long)((nd - nrb) * (size_t)P * sizeof(double) / (size_t)pg);
            CU_ASSERT(f >= other - 2 * (long)nd);
            CU_ASSERT(f < other + pages / 20);
        } else if (mode == 4) { /* warmed: mapped and read, no fault either */
            poolsim_stats_warm(st, 0, P, NULL);
            poolsim_block_prefault(b, st);
            long f = faults_adding(st, b, &lay, 0, P, rec);
            CU_ASSERT(f * 50 < pages);
        } else { /* paths [P/2, P) (parts in any order): only the others fault */
            poolsim_stats_prefault(st, P / 2, P, 1, 2);
            poolsim_stats_prefault(st, P / 2, P, 0, 2);
            poolsim_block_prefault(b, st);
            long f1 = faults_adding(st, b, &lay, P / 2, P, rec);
            long f0 = faults_adding(st, b, &lay, 0, P / 2, rec);
            CU_ASSERT(f1 < 2 * (long)nd + pages / 50); /* a part page at each end */
            CU_ASSERT(f0 >= pages / 2 - 2 * (long)nd);
        }
        poolsim_block_free(b);
        poolsim_stats_free(st);
    }
    free(rec);
#endif
}

/* poolsim_stats_warm only reads: run on values already kept (the helper
 * thread may read pages the paths have written), the summaries are those
 * of the same run without it, bit for bit. */
static void test_warm_reads_only(void)
{
    const long P = 3000;
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 2, 3, 2);
    double *rec = calloc(lay.n, sizeof(double));
    CU_ASSERT_FATAL(rec != NULL);
    poolsim_results *r[2];
    double *kept[2];
    size_t nv = 0;
    for (int k = 0; k < 2; k++) {
        r[k] = poolsim_results_alloc(2, 3, 2);
        poolsim_stats *st = poolsim_stats_alloc(&lay, P);
        poolsim_block *b = st ? poolsim_block_alloc(st) : NULL;
        CU_ASSERT_FATAL(r[k] && st && b && poolsim_stats_exact(st));
        add_blocks(st, b, &lay, rec, wave_cos);
        if (k == 1) poolsim_stats_warm(st, 0, P, NULL);
        CU_ASSERT_EQUAL(poolsim_stats_absorb(st, b), 0);
        /* the kept values themselves, then their summaries */
        nv = poolsim_stats_values_packed_size(st, 0, P);
        CU_ASSERT_FATAL((kept[k] = malloc(nv * sizeof(double))) != NULL);
        poolsim_stats_values_pack(st, 0, P, kept[k]);
        CU_ASSERT_EQUAL(poolsim_stats_finish(st, 1, r[k]), 0);
        poolsim_block_free(b);
        poolsim_stats_free(st);
    }
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS], c[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(r[0], a);
    CU_ASSERT_EQUAL(poolsim_results_arrays(r[1], c), n);
    int nonzero = 0;
    for (int j = 0; j < n; j++) {
        CU_ASSERT(a[j].n == c[j].n && memcmp(a[j].data, c[j].data, a[j].n * sizeof(double)) == 0);
        for (size_t i = 0; i < a[j].n; i++) nonzero += a[j].data[i] != 0;
    }
    CU_ASSERT(nonzero > 100);
    CU_ASSERT(memcmp(kept[0], kept[1], nv * sizeof(double)) == 0);
    free(kept[0]);
    free(kept[1]);
    poolsim_results_free(r[0]);
    poolsim_results_free(r[1]);
    free(rec);
}

void poolsim_test_stats(void)
{
    CU_pSuite s = CU_add_suite("stats", NULL, NULL);
    CU_add_test(s, "Wilson interval vs closed form", test_wilson);
    CU_add_test(s, "type-7 quantiles and CVaR by hand", test_quantile7);
    CU_add_test(s, "block-ordered moments vs two-pass", test_moments_fold);
    CU_add_test(s, "selected order statistics equal a full sort", test_order_statistics);
    CU_add_test(s, "histogram mode counts every path of every channel", test_hist_mode);
    CU_add_test(s, "channels declared fixed: the same summaries, or an error", test_fixed_channels);
    CU_add_test(s, "kept values given back only after every channel is read",
                test_release_after_all_read);
    CU_add_test(s, "block sums (AVX2 and scalar) vs a plain loop", test_block_sums);
    CU_add_test(s, "prefault maps what the paths write, and only that", test_prefault);
    CU_add_test(s, "warming the kept values changes none of them", test_warm_reads_only);
    CU_add_test(s, "order statistics of special values vs qsort in totalOrder", test_order_special);
}
