/* poolsim: reduction of per-path records into summary results.
 *
 * Moments. Within a block of POOLSIM_STATS_BLOCK paths the sums of
 * d = x - shift and d^2 are accumulated in path order, the shift being the
 * block's first path value (so the sums stay small and the variance does
 * not cancel). Blocks are folded into the run's (n, mean, M2) strictly in
 * block order with the pairwise update of Chan, Golub and LeVeque (1979):
 *   delta = mean_b - mean_a, n = n_a + n_b,
 *   mean = mean_a + delta n_b / n,  M2 = M2_a + M2_b + delta^2 n_a n_b / n.
 * The fold is the same whoever computed the blocks, so results are
 * bit-identical for any thread or rank count.
 *
 * Quantiles. The type-7 quantile at p of the sorted values x[0..n) is
 *   h = (n - 1) p, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]),
 * and CVaR95 is the mean of the largest ceil(0.05 n) values. The values of
 * the quantile channels of DIST rows (seven quantiles from p01 to p99) are
 * kept per path at the path's own index; of their sorted order only the
 * positions read are computed (see "order statistics" below). TAIL rows
 * (p95, p99, CVaR95) read only the largest K values of a channel (K, about
 * 0.05 n, from the positions read): each block accumulator keeps, per
 * channel, candidates that include the K largest values it has seen (see
 * "tail candidates"), and those of every thread and rank are merged. The
 * K largest of n values are the same multiset whatever the order they
 * arrive in, so the results do not depend on thread or rank counts. */
#define _DEFAULT_SOURCE /* madvise */
#include "poolsim/stats.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/qhist.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define STATS_AVX2 1
#include <immintrin.h>
#else
#define STATS_AVX2 0
#endif

/* 1: the AVX2 loops (poolsim_stats_simd) */
static int stats_simd;

__attribute__((constructor)) static void stats_simd_init(void)
{
    stats_simd = STATS_AVX2 && poolsim_simd_default();
}

int poolsim_stats_simd(int on)
{
    int was = stats_simd;
    if (on >= 0) stats_simd = STATS_AVX2 && on && poolsim_cpu_avx2();
    return was;
}

struct poolsim_stats {
    poolsim_stats_layout lay;
    long paths, nblocks, bsize;
    int exact;                    /* 1: exact order statistics (qv, tail); 0: histograms (hist) */
    double *qv;                   /* [nd][paths]: the DIST channels' values */
    struct poolsim_tailset *tail; /* the TAIL channels' largest values, merged */
    /* the threads' candidate sets absorbed after the first: merged into
     * tail channel by channel in poolsim_stats_finish's parallel loop
     * (tail_settle where tail is read before) */
    struct poolsim_tailset **pending;
    size_t npending, cap_pending;
    size_t nd, nt;                /* DIST and TAIL quantile channels */
    size_t *col;                  /* [nq] column of each channel in qv (DIST) or in tail (TAIL) */
    /* exact mode: DIST channels the caller declared to hold one value on
     * every path (poolsim_stats_alloc_fixed): no column (col SIZE_MAX),
     * their order statistics are that value */
    double *fixv; /* [nq] the value; NULL: none fixed */
    size_t tk;                    /* largest values read per TAIL channel */
    poolsim_qhist *hist;          /* nq channels, merged from the blocks' histograms */
    /* run totals, folded in block order */
    double n;
    double *mean, *m2;    /* [lay.n] */
    int64_t *first_count; /* [L][T+1] */
    long next_block;      /* next block to fold */
    int finished;         /* poolsim_stats_finish has run (the kept values are gone) */
    /* rows whose summaries are computed (poolsim_stats_select): the record
     * ranges [off, off + len) whose moments are accumulated, and the
     * quantile rows (channel, record offset, channels, 1 for TAIL, column)
     * whose values are kept */
    unsigned char want[POOLSIM_SCHEMA_NROWS];
    size_t (*mr)[2], nmr;
    size_t (*qr)[5], nqr;
};

/* ---- order statistics ------------------------------------------------------
 *
 * The quantiles and the CVaR read a few positions of the sorted values of
 * a channel: x[lo] and x[lo + 1] for each probability, and the largest
 * ceil(0.05 n) values in ascending order. Those positions are filled
 * exactly as a full sort would fill them, without sorting the rest:
 * doubles are mapped to order-preserving 64-bit keys (sign bit flipped
 * for positives, all bits for negatives: -0 sorts before +0, as in a sort
 * on the keys), the keys are distributed into 2^11 buckets by the 11 bits
 * below the highest bit in which the smallest and largest key differ
 * (a stable counting pass), and only the buckets holding a wanted position
 * are treated again, down to buckets of equal keys or of at most 32 keys
 * (insertion sort). Keys in a later bucket are larger, so every wanted
 * position ends with its order statistic; equal keys are equal doubles,
 * so the values read are bit for bit those of a full sort. */

static inline uint64_t dkey(double x)
{
    uint64_t k;
    memcpy(&k, &x, sizeof k);
    return (k >> 63) ? ~k : (k | 0x8000000000000000ull);
}

static inline double dval(uint64_t k)
{
    k = (k >> 63) ? (k & 0x7fffffffffffffffull) : ~k;
    double x;
    memcpy(&x, &k, sizeof x);
    return x;
}

#define SEL_BITS 11

/* Key i of w: w holds keys (doubles = 0) or doubles (doubles = 1). */
static inline uint64_t wkey(const void *w, size_t i, int doubles)
{
    uint64_t k;
    memcpy(&k, (const char *)w + 8 * i, sizeof k);
    return doubles ? (k >> 63 ? ~k : k | 0x8000000000000000ull) : k;
}

/* The smallest and largest of the n >= 1 keys of w (see wkey). */
static inline void key_range_scalar(const void *w, size_t n, int doubles, uint64_t *lo,
                                    uint64_t *hi)
{
    uint64_t l = UINT64_MAX, h = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = wkey(w, i, doubles);
        l = k < l ? k : l;
        h = k > h ? k : h;
    }
    *lo = l;
    *hi = h;
}

/* Adds 1 to start[((key - lo) >> shift) + 1] for each key as above. */
static inline void key_count_scalar(const void *w, size_t n, int doubles, uint64_t lo, int shift,
                                    size_t *start)
{
    for (size_t i = 0; i < n; i++) start[((wkey(w, i, doubles) - lo) >> shift) + 1]++;
}

#if STATS_AVX2
#define STATS_AVX2_FN __attribute__((target("avx2")))

/* Four keys in signed order (key ^ sign bit, compared as int64): of
 * doubles' bits, the bits with all but the sign bit flipped for negatives
 * (dkey ^ sign bit); of keys, the key ^ sign bit. */
STATS_AVX2_FN static inline __m256i skey4(const void *w, size_t i, int doubles)
{
    __m256i k = _mm256_loadu_si256((const __m256i *)(const void *)((const char *)w + 8 * i));
    if (doubles)
        return _mm256_xor_si256(k, _mm256_and_si256(_mm256_cmpgt_epi64(_mm256_setzero_si256(), k),
                                                    _mm256_set1_epi64x(0x7fffffffffffffffll)));
    return _mm256_xor_si256(k, _mm256_set1_epi64x((long long)0x8000000000000000ull));
}

/* key_range_scalar eight keys at a time (signed minima and maxima, two
 * chains each), the rest one by one. */
STATS_AVX2_FN static void key_range_avx2(const void *w, size_t n, int doubles, uint64_t *lo,
                                         uint64_t *hi)
{
    size_t i = 0;
    uint64_t l = UINT64_MAX, h = 0;
    if (n >= 8) {
        __m256i k0 = skey4(w, 0, doubles), k1 = skey4(w, 4, doubles);
        __m256i mn0 = k0, mx0 = k0, mn1 = k1, mx1 = k1;
        for (i = 8; i + 8 <= n; i += 8) {
            k0 = skey4(w, i, doubles);
            k1 = skey4(w, i + 4, doubles);
            mn0 = _mm256_blendv_epi8(mn0, k0, _mm256_cmpgt_epi64(mn0, k0));
            mx0 = _mm256_blendv_epi8(mx0, k0, _mm256_cmpgt_epi64(k0, mx0));
            mn1 = _mm256_blendv_epi8(mn1, k1, _mm256_cmpgt_epi64(mn1, k1));
            mx1 = _mm256_blendv_epi8(mx1, k1, _mm256_cmpgt_epi64(k1, mx1));
        }
        mn0 = _mm256_blendv_epi8(mn0, mn1, _mm256_cmpgt_epi64(mn0, mn1));
        mx0 = _mm256_blendv_epi8(mx0, mx1, _mm256_cmpgt_epi64(mx1, mx0));
        uint64_t a[4], b[4];
        _mm256_storeu_si256((__m256i *)a, mn0);
        _mm256_storeu_si256((__m256i *)b, mx0);
        for (int j = 0; j < 4; j++) {
            uint64_t kl = a[j] ^ 0x8000000000000000ull, kh = b[j] ^ 0x8000000000000000ull;
            l = kl < l ? kl : l;
            h = kh > h ? kh : h;
        }
    }
    uint64_t l2, h2;
    key_range_scalar((const char *)w + 8 * i, n - i, doubles, &l2, &h2);
    *lo = l2 < l ? l2 : l;
    *hi = h2 > h ? h2 : h;
}

/* key_count_scalar with the buckets of four keys computed at once. */
STATS_AVX2_FN static void key_count_avx2(const void *w, size_t n, int doubles, uint64_t lo,
                                         int shift, size_t *start)
{
    const __m256i slo = _mm256_set1_epi64x((long long)(lo ^ 0x8000000000000000ull));
    const __m128i sh = _mm_cvtsi32_si128(shift);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        /* key - lo = (key ^ sign) - (lo ^ sign) modulo 2^64 */
        __m256i v = _mm256_srl_epi64(_mm256_sub_epi64(skey4(w, i, doubles), slo), sh);
        uint64_t b[4];
        _mm256_storeu_si256((__m256i *)b, v);
        start[b[0] + 1]++;
        start[b[1] + 1]++;
        start[b[2] + 1]++;
        start[b[3] + 1]++;
    }
    key_count_scalar((const char *)w + 8 * i, n - i, doubles, lo, shift, start);
}
#endif

/* ---- the bins of select_values ---------------------------------------------
 *
 * select_values puts each value of a channel into one of SEL_NB bins, in
 * the order of the keys (every key of a bin below every key of the next
 * one), counts them, and gathers only the bins that hold a wanted
 * position. Two kinds of bins:
 *
 * - key bins: (key - lo) >> shift, lo and hi the smallest and largest key.
 *   Keys are logarithmic in the value, so where the values lie far apart
 *   (zero and 1e8, both signs, one outlier) most of them share a few bins,
 *   which are gathered and selected again: up to every value of a channel.
 * - value bins, linear in the value between the smallest and largest of
 *   the first SEL_SAMPLE values x1 < x2 (the paths are independent draws,
 *   so a channel's first values are a sample of it): 0 below x1, 1 for x1
 *   itself, 2 + fl((x - x1) scale) (at most SEL_NB - 3) between, SEL_NB - 2
 *   for x2 itself and SEL_NB - 1 above it. IEEE rounding is monotone, so
 *   the bin does not decrease as the key grows (-0 and +0, two keys of one
 *   value, share a bin). Values equal to x1 or x2, often many (zeros, a
 *   cap), have bins of one key, which need no selection. Used when x1 and
 *   x2 are finite, x2 - x1 > 0 and the scale (SEL_NB - 4) / (x2 - x1) are
 *   finite; else key bins.
 *
 * In the four-county case, a bin holding a wanted position held 9,000 of
 * 20,000 values on average with key bins, 190 with value bins. */

#define SEL_NB (1 << SEL_BITS)
#define SEL_SAMPLE 512

typedef struct sel_bins {
    int by_value;
    uint64_t lo; /* key bins */
    int shift;
    uint64_t k1, k2; /* value bins: the keys of x1 and x2 */
    double x1, scale;
} sel_bins;

static inline size_t bin_of(const sel_bins *g, uint64_t k, double x)
{
    if (!g->by_value) return (size_t)((k - g->lo) >> g->shift);
    if (k <= g->k1) return k == g->k1 ? 1 : 0;
    if (k >= g->k2) return k == g->k2 ? SEL_NB - 2 : SEL_NB - 1;
    double d = (x - g->x1) * g->scale;
    return 2 + (size_t)(d < SEL_NB - 5 ? d : SEL_NB - 5);
}

/* Adds 1 to start[bin + 1] for each of the n doubles of x, and with value
 * bins writes each bin to bins[i] (read again by the gather). */
static inline void bin_count_scalar(const double *x, size_t n, const sel_bins *g, size_t *start,
                                    uint16_t *bins)
{
    for (size_t i = 0; i < n; i++) {
        size_t v = bin_of(g, dkey(x[i]), x[i]);
        start[v + 1]++;
        if (g->by_value) bins[i] = (uint16_t)v;
    }
}

/* Writes the key k of each of the n doubles of x whose bin v is wanted
 * (at[v] != SIZE_MAX) to a[at[v]++], in the order of x; with value bins,
 * the bins written by the count. */
static inline void bin_gather_scalar(const double *x, size_t n, const sel_bins *g,
                                     const uint16_t *bins, size_t *at, uint64_t *a)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t k = dkey(x[i]);
        size_t v = g->by_value ? bins[i] : bin_of(g, k, x[i]);
        if (at[v] != SIZE_MAX) a[at[v]++] = k;
    }
}

/* Wanted bins the AVX2 gather compares with each key's (more: the scalar
 * loop) */
#define GATHER_MAXW 16

#if STATS_AVX2
/* The value bins of x[i..i + 4), sk their keys in signed order (skey4);
 * s1, s2: the keys of x1 and x2 in signed order. The lanes outside
 * (x1, x2) get a number from the conversion, replaced by the blends. */
STATS_AVX2_FN static inline __m256i vbins4(const double *x, size_t i, __m256i sk, __m256i s1,
                                           __m256i s2, __m256d x1, __m256d scale)
{
    __m256d d = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(x + i), x1), scale);
    /* d < SEL_NB - 5 ? d : SEL_NB - 5, as bin_of */
    d = _mm256_min_pd(d, _mm256_set1_pd(SEL_NB - 5));
    __m256i v = _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(d)),
                                 _mm256_set1_epi64x(2));
    v = _mm256_blendv_epi8(v, _mm256_set1_epi64x(1), _mm256_cmpeq_epi64(sk, s1));
    v = _mm256_blendv_epi8(v, _mm256_setzero_si256(), _mm256_cmpgt_epi64(s1, sk));
    v = _mm256_blendv_epi8(v, _mm256_set1_epi64x(SEL_NB - 2), _mm256_cmpeq_epi64(sk, s2));
    return _mm256_blendv_epi8(v, _mm256_set1_epi64x(SEL_NB - 1), _mm256_cmpgt_epi64(sk, s2));
}

/* bin_count_scalar of value bins, four values at a time */
STATS_AVX2_FN static void vbin_count_avx2(const double *x, size_t n, const sel_bins *g,
                                          size_t *start, uint16_t *bins)
{
    /* the low halves of the four 64-bit bins, then four 16-bit ones */
    const __m256i low = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    const __m256i s1 = _mm256_set1_epi64x((long long)(g->k1 ^ 0x8000000000000000ull));
    const __m256i s2 = _mm256_set1_epi64x((long long)(g->k2 ^ 0x8000000000000000ull));
    const __m256d x1 = _mm256_set1_pd(g->x1), scale = _mm256_set1_pd(g->scale);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i v = vbins4(x, i, skey4(x, i, 1), s1, s2, x1, scale);
        uint64_t b[4];
        _mm256_storeu_si256((__m256i *)b, v);
        start[b[0] + 1]++;
        start[b[1] + 1]++;
        start[b[2] + 1]++;
        start[b[3] + 1]++;
        __m128i v32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, low));
        _mm_storel_epi64((__m128i *)(void *)(bins + i), _mm_packus_epi32(v32, v32));
    }
    bin_count_scalar(x + i, n - i, g, start, bins + i);
}

/* The keys (sk in signed order) of four values whose bins v are among the
 * nw wanted ones (want[]) to a[at[v]++]. */
STATS_AVX2_FN static inline void gather4(__m256i v, __m256i sk, const __m256i *want, size_t nw,
                                         size_t *at, uint64_t *a)
{
    __m256i hit = _mm256_cmpeq_epi64(v, want[0]);
    for (size_t j = 1; j < nw; j++) hit = _mm256_or_si256(hit, _mm256_cmpeq_epi64(v, want[j]));
    unsigned bits = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(hit));
    if (!bits) return;
    uint64_t k[4], b[4];
    _mm256_storeu_si256((__m256i *)k,
                        _mm256_xor_si256(sk, _mm256_set1_epi64x((long long)0x8000000000000000ull)));
    _mm256_storeu_si256((__m256i *)b, v);
    do {
        unsigned l = (unsigned)__builtin_ctz(bits);
        bits &= bits - 1;
        a[at[b[l]]++] = k[l];
    } while (bits);
}

/* bin_gather_scalar four doubles at a time: their bins are compared with
 * the nw (1..GATHER_MAXW) wanted ones wb[], and only the keys of the
 * wanted bins are written one by one. */
STATS_AVX2_FN static void bin_gather_avx2(const double *x, size_t n, const sel_bins *g,
                                          const uint16_t *bins, size_t *at, uint64_t *a,
                                          const size_t *wb, size_t nw)
{
    __m256i want[GATHER_MAXW];
    size_t i = 0;
    if (g->by_value) {
        /* sixteen stored bins at a time */
        for (size_t j = 0; j < nw; j++) want[j] = _mm256_set1_epi16((short)wb[j]);
        for (; i + 16 <= n; i += 16) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(bins + i));
            __m256i hit = _mm256_cmpeq_epi16(v, want[0]);
            for (size_t j = 1; j < nw; j++)
                hit = _mm256_or_si256(hit, _mm256_cmpeq_epi16(v, want[j]));
            /* two bits per hit */
            unsigned bits = (unsigned)_mm256_movemask_epi8(hit) & 0x55555555u;
            while (bits) {
                size_t l = i + (size_t)__builtin_ctz(bits) / 2;
                bits &= bits - 1;
                a[at[bins[l]]++] = dkey(x[l]);
            }
        }
    } else {
        for (size_t j = 0; j < nw; j++) want[j] = _mm256_set1_epi64x((long long)wb[j]);
        const __m256i slo = _mm256_set1_epi64x((long long)(g->lo ^ 0x8000000000000000ull));
        const __m128i sh = _mm_cvtsi32_si128(g->shift);
        for (; i + 4 <= n; i += 4) {
            __m256i sk = skey4(x, i, 1);
            gather4(_mm256_srl_epi64(_mm256_sub_epi64(sk, slo), sh), sk, want, nw, at, a);
        }
    }
    bin_gather_scalar(x + i, n - i, g, bins + i, at, a);
}
#endif

/* bin_gather_scalar; wb[0..nw): the wanted bins */
static void bin_gather(const double *x, size_t n, const sel_bins *g, const uint16_t *bins,
                       size_t *at, uint64_t *a, const size_t *wb, size_t nw)
{
#if STATS_AVX2
    if (stats_simd && nw >= 1 && nw <= GATHER_MAXW) {
        bin_gather_avx2(x, n, g, bins, at, a, wb, nw);
        return;
    }
#endif
    (void)wb, (void)nw;
    bin_gather_scalar(x, n, g, bins, at, a);
}

static void key_range(const void *w, size_t n, int doubles, uint64_t *lo, uint64_t *hi)
{
#if STATS_AVX2
    if (stats_simd) {
        key_range_avx2(w, n, doubles, lo, hi);
        return;
    }
#endif
    key_range_scalar(w, n, doubles, lo, hi);
}

static void key_count(const void *w, size_t n, int doubles, uint64_t lo, int shift, size_t *start)
{
#if STATS_AVX2
    if (stats_simd) {
        key_count_avx2(w, n, doubles, lo, shift, start);
        return;
    }
#endif
    key_count_scalar(w, n, doubles, lo, shift, start);
}

/* Put into each position need[j] - base (need ascending, within
 * [base, base + n)) of a[0..n) the key a sorted a would hold there; the
 * other positions keep the remaining keys. tmp: n scratch keys. */
static void select_keys(uint64_t *a, uint64_t *tmp, size_t n, const size_t *need, size_t nn,
                        size_t base)
{
    if (nn == 0 || n < 2) return;
    if (n <= 32) {
        for (size_t i = 1; i < n; i++) {
            uint64_t v = a[i];
            size_t j = i;
            for (; j > 0 && a[j - 1] > v; j--) a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    uint64_t lo, hi;
    key_range(a, n, 0, &lo, &hi);
    if (lo == hi) return; /* all equal: every position holds its statistic */
    int bits = 64 - __builtin_clzll(hi - lo), shift = bits > SEL_BITS ? bits - SEL_BITS : 0;
    size_t start[(1 << SEL_BITS) + 1];
    memset(start, 0, sizeof start);
    key_count(a, n, 0, lo, shift, start);
    for (int v = 0; v < (1 << SEL_BITS); v++) start[v + 1] += start[v];
    size_t pos[1 << SEL_BITS];
    memcpy(pos, start, sizeof pos);
    for (size_t i = 0; i < n; i++) tmp[pos[(a[i] - lo) >> shift]++] = a[i];
    memcpy(a, tmp, n * sizeof *a);
    size_t j = 0, v = 0;
    while (j < nn) {
        size_t p = need[j] - base;
        while (start[v + 1] <= p) v++;
        size_t m = j;
        while (m < nn && need[m] - base < start[v + 1]) m++;
        select_keys(a + start[v], tmp, start[v + 1] - start[v], need + j, m - j, base + start[v]);
        j = m;
    }
}

/* Positions of the sorted values read by poolsim_quantile7 at probs[0..np)
 * (ascending) and, when tail > 0, by poolsim_cvar_upper(x, n, tail): into
 * need (room for 2 np + n), ascending; returns their number. */
static size_t order_positions(size_t n, const double *probs, int np, double tail, size_t *need)
{
    size_t m = 0, top = n;
    if (tail > 0) {
        size_t k = (size_t)ceil(tail * (double)n - 1e-9);
        if (k < 1) k = 1;
        if (k > n) k = n;
        top = n - k;
    }
    for (int i = 0; i < np; i++) {
        double h = (double)(n - 1) * probs[i];
        size_t lo = (size_t)floor(h);
        if (lo >= n - 1) lo = n - 1;
        for (size_t p = lo; p <= lo + 1 && p < n; p++)
            if (p < top && (m == 0 || need[m - 1] < p)) need[m++] = p;
    }
    for (size_t p = top; p < n; p++) need[m++] = p;
    return m;
}

/* Value bins for the n > 0 doubles of x (see sel_bins), if the first of
 * them allow; returns 0 if not. */
static int value_bins(sel_bins *g, const double *x, size_t n)
{
    uint64_t k1, k2;
    key_range(x, n < SEL_SAMPLE ? n : SEL_SAMPLE, 1, &k1, &k2);
    double x1 = dval(k1), x2 = dval(k2), w = x2 - x1, scale = (SEL_NB - 4) / w;
    if (!isfinite(x1) || !isfinite(x2) || !(w > 0) || !isfinite(w) || !isfinite(scale)) return 0;
    *g = (sel_bins){.by_value = 1, .k1 = k1, .k2 = k2, .x1 = x1, .scale = scale};
    return 1;
}

/* bins: n, written with value bins */
static void bin_count(const double *x, size_t n, const sel_bins *g, size_t *start, uint16_t *bins)
{
    if (!g->by_value) {
        key_count(x, n, 1, g->lo, g->shift, start);
        return;
    }
#if STATS_AVX2
    if (stats_simd) {
        vbin_count_avx2(x, n, g, start, bins);
        return;
    }
#endif
    bin_count_scalar(x, n, g, start, bins);
}

/* Into each position need[j] (ascending, within [0, n)) of x[0..n) the
 * value a sorted x would hold there; the other positions are left as
 * they are. The values are counted in bins (sel_bins), and only the keys
 * of the bins holding a wanted position are written out (into a, bin
 * after bin), where select_keys goes on; a bin of one key is not written
 * out. a, tmp: n scratch keys each. */
static void select_values(double *x, size_t n, const size_t *need, size_t nn, uint64_t *a,
                          uint64_t *tmp)
{
    if (nn == 0 || n < 2) return;
    if (n <= 32) {
        for (size_t i = 0; i < n; i++) a[i] = dkey(x[i]);
        select_keys(a, tmp, n, need, nn, 0);
        for (size_t j = 0; j < nn; j++) x[need[j]] = dval(a[need[j]]);
        return;
    }
    sel_bins g;
    if (!value_bins(&g, x, n)) {
        uint64_t lo, hi;
        key_range(x, n, 1, &lo, &hi);
        if (lo == hi) return; /* all the same double: every position holds its statistic */
        int bits = 64 - __builtin_clzll(hi - lo);
        g = (sel_bins){.lo = lo, .shift = bits > SEL_BITS ? bits - SEL_BITS : 0};
    }
    size_t start[SEL_NB + 1];
    memset(start, 0, sizeof start);
    /* the value bins, in tmp until the gather */
    uint16_t *bins = (uint16_t *)(void *)tmp;
    bin_count(x, n, &g, start, bins);
    for (int v = 0; v < SEL_NB; v++) start[v + 1] += start[v];
    /* bins of one key: x1's and x2's */
#define ONE_KEY(v) (g.by_value && ((v) == 1 || (v) == SEL_NB - 2))
    /* where each wanted bin's keys go in a (SIZE_MAX: not wanted) */
    size_t pos[SEL_NB];
    for (int v = 0; v < SEL_NB; v++) pos[v] = SIZE_MAX;
    size_t w = 0, wb[GATHER_MAXW], nw = 0;
    for (size_t j = 0, v = 0; j < nn; j++) {
        while (start[v + 1] <= need[j]) v++;
        if (!ONE_KEY(v) && pos[v] == SIZE_MAX) {
            pos[v] = w, w += start[v + 1] - start[v];
            if (nw < GATHER_MAXW) wb[nw] = v;
            nw++;
        }
    }
    if (nw > 0) {
        size_t at[SEL_NB];
        memcpy(at, pos, sizeof at);
        bin_gather(x, n, &g, bins, at, a, wb, nw);
    }
    size_t j = 0, v = 0;
    while (j < nn) {
        while (start[v + 1] <= need[j]) v++;
        size_t m = j;
        while (m < nn && need[m] < start[v + 1]) m++;
        if (ONE_KEY(v)) {
            for (size_t i = j; i < m; i++) x[need[i]] = dval(v == 1 ? g.k1 : g.k2);
        } else {
            uint64_t *b = a + pos[v];
            select_keys(b, tmp, start[v + 1] - start[v], need + j, m - j, start[v]);
            for (size_t i = j; i < m; i++) x[need[i]] = dval(b[need[i] - start[v]]);
        }
        j = m;
    }
#undef ONE_KEY
}

/* Fill the positions of x[0..n) that poolsim_quantile7 and
 * poolsim_cvar_upper read (see order_positions) with the sorted values;
 * a, tmp: n scratch keys each, need: 2 np + n positions. */
static void order_stats(double *x, size_t n, const double *probs, int np, double tail, uint64_t *a,
                        uint64_t *tmp, size_t *need)
{
    if (n < 2) return;
    size_t m = order_positions(n, probs, np, tail, need);
    select_values(x, n, need, m, a, tmp);
}

/* ---- tail candidates -------------------------------------------------------
 *
 * For each TAIL channel, keys (dkey) of values among which are the K
 * largest seen: a key is added unless the channel has been pruned and the
 * key is at most the smallest key kept then (the K kept are all at least
 * as large, and an equal key is the same double, so the K largest stay
 * the same multiset); when a channel holds cap = 2K keys it is pruned to
 * its K largest (select_keys). Any order of the same values leaves the
 * same K largest among the candidates. */

typedef struct poolsim_tailset {
    size_t nt, K, cap;
    uint64_t *key;         /* [nt][cap] */
    size_t *cnt;           /* [nt] keys held */
    uint64_t *thr;         /* [nt] smallest key kept at the last pruning */
    unsigned char *pruned; /* [nt] */
    /* [nt] the test of the AVX2 loop: thr ^ sign bit (compared as int64)
     * once pruned, else INT64_MIN, which lets every key in (a pruned
     * channel whose smallest key is 0 then takes every key too: more
     * candidates, the same K largest) */
    int64_t *gate;
    uint64_t *tmp; /* [cap] scratch */
} poolsim_tailset;

static void tailset_free(poolsim_tailset *ts)
{
    if (!ts) return;
    free(ts->key);
    free(ts->cnt);
    free(ts->thr);
    free(ts->pruned);
    free(ts->gate);
    free(ts->tmp);
    free(ts);
}

static poolsim_tailset *tailset_alloc(size_t nt, size_t K)
{
    poolsim_tailset *ts = calloc(1, sizeof *ts);
    if (!ts) return NULL;
    ts->nt = nt;
    ts->K = K;
    ts->cap = 2 * K > 2 ? 2 * K : 2;
    ts->key = malloc((nt ? nt : 1) * ts->cap * sizeof *ts->key);
    ts->cnt = calloc(nt ? nt : 1, sizeof *ts->cnt);
    ts->thr = calloc(nt ? nt : 1, sizeof *ts->thr);
    ts->pruned = calloc(nt ? nt : 1, 1);
    ts->gate = malloc((nt ? nt : 1) * sizeof *ts->gate);
    ts->tmp = malloc(ts->cap * sizeof *ts->tmp);
    if (!ts->key || !ts->cnt || !ts->thr || !ts->pruned || !ts->gate || !ts->tmp) {
        tailset_free(ts);
        return NULL;
    }
    for (size_t j = 0; j < nt; j++) ts->gate[j] = INT64_MIN;
    return ts;
}

/* Keep the K largest keys of channel j (the first K of its buffer). The
 * keys are bucketed as in select_keys; those of the buckets above the one
 * holding position p = n - K of the sorted keys are kept (moved down in
 * place), those of that bucket go to tmp, where select_keys puts the
 * largest of them from position p - start[v] on, and those follow. */
static void tail_prune(poolsim_tailset *ts, size_t j, uint64_t *t /* cap keys of scratch */)
{
    uint64_t *a = ts->key + j * ts->cap;
    size_t n = ts->cnt[j], K = ts->K, p = n - K;
    uint64_t lo, hi;
    key_range(a, n, 0, &lo, &hi);
    if (lo == hi) { /* all equal: any K of them */
        ts->cnt[j] = K;
        ts->thr[j] = lo;
        ts->pruned[j] = 1;
        ts->gate[j] = (int64_t)(lo ^ 0x8000000000000000ull);
        return;
    }
    int bits = 64 - __builtin_clzll(hi - lo), shift = bits > SEL_BITS ? bits - SEL_BITS : 0;
    size_t start[(1 << SEL_BITS) + 1];
    memset(start, 0, sizeof start);
    key_count(a, n, 0, lo, shift, start);
    for (int v = 0; v < (1 << SEL_BITS); v++) start[v + 1] += start[v];
    size_t v = 0;
    while (start[v + 1] <= p) v++;
    /* without branches (a key is kept about half the time): every key is
     * written to both places, the counts advance by 0 or 1; w <= i, and
     * m < n since lo and hi fall in different buckets */
    size_t w = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t k = a[i], b = (k - lo) >> shift;
        a[w] = k;
        w += b > v;
        t[m] = k;
        m += b == v;
    }
    /* w + m = n - start[v] keys: a[w..n) is scratch for the bucket's keys */
    size_t q = p - start[v];
    select_keys(t, a + w, m, &q, 1, 0); /* t[q] in place, t[q..m) the largest */
    memcpy(a + w, t + q, (m - q) * sizeof *a);
    ts->cnt[j] = K;
    ts->thr[j] = t[q];
    ts->pruned[j] = 1;
    ts->gate[j] = (int64_t)(t[q] ^ 0x8000000000000000ull);
}

static inline void tail_put(poolsim_tailset *ts, size_t j, uint64_t key, uint64_t *tmp)
{
    if (ts->pruned[j] && key <= ts->thr[j]) return;
    ts->key[j * ts->cap + ts->cnt[j]++] = key;
    if (ts->cnt[j] == ts->cap) tail_prune(ts, j, tmp);
}

/* tail_put of the keys of x[0..n) into channels j0, j0 + 1, ... */
static void tail_put_row_scalar(poolsim_tailset *ts, size_t j0, const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++) tail_put(ts, j0 + i, dkey(x[i]), ts->tmp);
}

#if STATS_AVX2
/* The same, the candidate test four channels at a time: a key goes in when
 * its signed form is above the channel's gate or the gate is INT64_MIN
 * (not pruned), the same keys as tail_put takes. */
STATS_AVX2_FN static void tail_put_row_avx2(poolsim_tailset *ts, size_t j0, const double *x,
                                            size_t n)
{
    const __m256i sign = _mm256_set1_epi64x((long long)0x8000000000000000ull);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256i sk = skey4(x, i, 1);
        __m256i g = _mm256_loadu_si256((const __m256i *)(const void *)(ts->gate + j0 + i));
        __m256i in = _mm256_or_si256(_mm256_cmpgt_epi64(sk, g), _mm256_cmpeq_epi64(g, sign));
        unsigned bits = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(in));
        if (!bits) continue;
        uint64_t k[4];
        _mm256_storeu_si256((__m256i *)k, _mm256_xor_si256(sk, sign));
        do {
            size_t l = (size_t)__builtin_ctz(bits), j = j0 + i + l;
            bits &= bits - 1;
            ts->key[j * ts->cap + ts->cnt[j]++] = k[l];
            if (ts->cnt[j] == ts->cap) tail_prune(ts, j, ts->tmp);
        } while (bits);
    }
    tail_put_row_scalar(ts, j0 + i, x + i, n - i);
}
#endif

static void tail_put_row(poolsim_tailset *ts, size_t j0, const double *x, size_t n)
{
#if STATS_AVX2
    if (stats_simd) {
        tail_put_row_avx2(ts, j0, x, n);
        return;
    }
#endif
    tail_put_row_scalar(ts, j0, x, n);
}

/* Add src's candidates of channel j to dst's (same K); into an empty
 * channel they are copied with their threshold (the same candidates,
 * without adding them one by one). tmp: cap keys of scratch. Channels
 * apart touch nothing in common but tmp. */
static void tail_merge_channel(poolsim_tailset *dst, const poolsim_tailset *src, size_t j,
                               uint64_t *tmp)
{
    const uint64_t *a = src->key + j * src->cap;
    if (dst->cnt[j] == 0) {
        memcpy(dst->key + j * dst->cap, a, src->cnt[j] * sizeof *a);
        dst->cnt[j] = src->cnt[j];
        dst->thr[j] = src->thr[j];
        dst->pruned[j] = src->pruned[j];
        dst->gate[j] = src->gate[j];
        return;
    }
    for (size_t i = 0; i < src->cnt[j]; i++) tail_put(dst, j, a[i], tmp);
}

/* tail_merge_channel of every channel, with dst's scratch */
static void tail_merge(poolsim_tailset *dst, const poolsim_tailset *src)
{
    for (size_t j = 0; j < src->nt; j++) tail_merge_channel(dst, src, j, dst->tmp);
}

/* Into x[n - K..n) the K largest values of channel j in ascending order:
 * there the sorted values of the n added are read (tail_keep). tmp: cap
 * keys, need: K positions. POOLSIM_ENUM when fewer than K are held (not
 * every value added and merged). */
static int tail_sorted(poolsim_tailset *ts, size_t j, size_t n, double *x, uint64_t *tmp,
                       size_t *need)
{
    uint64_t *a = ts->key + j * ts->cap;
    size_t m = ts->cnt[j], K = ts->K;
    if (m < K || K > n) return POOLSIM_ENUM;
    for (size_t i = 0; i < K; i++) need[i] = m - K + i;
    select_keys(a, tmp, m, need, K, 0);
    for (size_t i = 0; i < K; i++) x[n - K + i] = dval(a[m - K + i]);
    return POOLSIM_OK;
}

/* The largest values read by poolsim_quantile7 at 0.95 and 0.99 and by
 * poolsim_cvar_upper at 0.05 among n values: n minus the first position
 * read (order_positions). */
static const double tail_probs[2] = {0.95, 0.99};
#define TAIL_ALPHA 0.05

static size_t tail_keep(size_t n)
{
    if (n < 2) return n;
    size_t *need = malloc((4 + n) * sizeof *need);
    if (!need) return 0;
    order_positions(n, tail_probs, 2, TAIL_ALPHA, need);
    size_t K = n - need[0];
    free(need);
    return K;
}

void poolsim_stats_layout_init_dims(poolsim_stats_layout *lay, const poolsim_dims *d)
{
    memset(lay, 0, sizeof *lay);
    lay->T = d->T;
    lay->L = d->L;
    lay->C = d->C;
    lay->R = d->R;
    size_t o = 0, q = 0;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        lay->slot[row] = lay->qchan[row] = POOLSIM_NO_SLOT;
        if (w->source != POOLSIM_SRC_REC) continue;
        size_t n = poolsim_schema_shape_size(w->shape, d);
        lay->slot[row] = o;
        o += n;
        if (w->kind == POOLSIM_KIND_DIST || w->kind == POOLSIM_KIND_TAIL) {
            lay->qchan[row] = q;
            q += n;
        }
    }
#define POOLSIM_LAYOUT_SET(name, kind, shape, src, since, units, desc)                             \
    lay->name = lay->slot[POOLSIM_ROW_##name];
    POOLSIM_SCHEMA(POOLSIM_LAYOUT_SET)
#undef POOLSIM_LAYOUT_SET
    lay->shortfall_amount = o, o += (size_t)d->L * (size_t)d->C * (size_t)d->T;
    lay->first_exh = o, o += (size_t)d->L;
    lay->n = o;
    lay->nq = q;
}

void poolsim_stats_layout_init(poolsim_stats_layout *lay, int T, int L, int C)
{
    poolsim_dims d = {T, L, C, 0};
    poolsim_stats_layout_init_dims(lay, &d);
}

/* Calls f(channel, record offset, n, arg) for each run of quantile
 * channels: the DIST and TAIL rows, in schema order. */
#define FOR_QROWS(lay, row)                                                                        \
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++)                                           \
        if ((lay)->qchan[row] != POOLSIM_NO_SLOT)

static size_t row_size(const poolsim_stats_layout *lay, int row)
{
    poolsim_dims d = {lay->T, lay->L, lay->C, lay->R};
    return poolsim_schema_shape_size(poolsim_schema[row].shape, &d);
}

int poolsim_stats_exact_for(const poolsim_stats_layout *lay, long paths)
{
    return paths <= POOLSIM_STATS_EXACT_MAX &&
           8.0 * (double)lay->nq * (double)paths <= POOLSIM_STATS_EXACT_BYTES;
}

poolsim_stats *poolsim_stats_alloc(const poolsim_stats_layout *lay, long paths)
{
    return poolsim_stats_alloc_fixed(lay, paths, NULL, NULL);
}

poolsim_stats *poolsim_stats_alloc_fixed(const poolsim_stats_layout *lay, long paths,
                                         const unsigned char *fixed, const double *value)
{
    poolsim_stats *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->lay = *lay;
    st->paths = paths;
    /* blocks of 256 paths, grown in steps of 256 so there are at most 1024 */
    long unit = POOLSIM_STATS_BLOCK_UNIT, maxb = POOLSIM_STATS_MAX_BLOCKS;
    st->bsize = unit * ((paths + unit * maxb - 1) / (unit * maxb));
    if (st->bsize < unit) st->bsize = unit;
    st->nblocks = (paths + st->bsize - 1) / st->bsize;
    st->exact = poolsim_stats_exact_for(lay, paths);
    /* columns: DIST channels in qv, TAIL channels in the tail sets */
    st->col = malloc((lay->nq ? lay->nq : 1) * sizeof *st->col);
    int bad = !st->col;
    if (!bad && fixed && st->exact) {
        bad = !(st->fixv = malloc((lay->nq ? lay->nq : 1) * sizeof *st->fixv));
        for (size_t q = 0; !bad && q < lay->nq; q++) st->fixv[q] = value[q];
    }
    FOR_QROWS(lay, row)
    {
        int tail = poolsim_schema[row].kind == POOLSIM_KIND_TAIL;
        for (size_t i = 0, n = row_size(lay, row); !bad && i < n; i++) {
            size_t q = lay->qchan[row] + i;
            /* a value v whose type-7 quantiles v + f (v - v) and mean are
             * v itself: finite, and not -0 (-0 + 0 is +0) */
            int fix = st->fixv && fixed[q] && isfinite(value[q]) &&
                      !(value[q] == 0 && signbit(value[q]));
            st->col[q] = tail ? st->nt++ : fix ? SIZE_MAX : st->nd++;
        }
    }
    if (!bad && st->exact) {
        st->tk = tail_keep((size_t)paths);
        /* zero: rows not selected */
        st->qv = calloc((st->nd ? st->nd : 1) * (size_t)paths, sizeof(double));
        st->tail = tailset_alloc(st->nt, st->tk);
        bad = !st->qv || !st->tail || (paths >= 2 && st->tk == 0);
    } else if (!bad) {
        bad = !(st->hist = poolsim_qhist_alloc(lay->nq));
    }
    st->mean = calloc(lay->n, sizeof(double));
    st->m2 = calloc(lay->n, sizeof(double));
    st->first_count = calloc((size_t)lay->L * (size_t)(lay->T + 1), sizeof(int64_t));
    if (bad || !st->mean || !st->m2 || !st->first_count ||
        poolsim_stats_select(st, NULL) != POOLSIM_OK) {
        poolsim_stats_free(st);
        return NULL;
    }
    return st;
}

int poolsim_stats_select(poolsim_stats *st, const unsigned char *rows)
{
    const poolsim_stats_layout *lay = &st->lay;
    size_t(*mr)[2] = malloc((POOLSIM_SCHEMA_NROWS + 1) * sizeof *mr);
    size_t(*qr)[5] = malloc((POOLSIM_SCHEMA_NROWS + 1) * sizeof *qr);
    if (!mr || !qr) {
        free(mr);
        free(qr);
        return POOLSIM_ENOMEM;
    }
    size_t nmr = 0, nqr = 0, cap = POOLSIM_SCHEMA_NROWS + 1;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        st->want[row] = !rows || rows[row];
        if (!st->want[row] || lay->slot[row] == POOLSIM_NO_SLOT) continue;
        size_t o = lay->slot[row], n = row_size(lay, row);
        if (nmr > 0 && mr[nmr - 1][0] + mr[nmr - 1][1] == o)
            mr[nmr - 1][1] += n; /* adjacent: one range */
        else
            mr[nmr][0] = o, mr[nmr++][1] = n;
        if (lay->qchan[row] == POOLSIM_NO_SLOT) continue;
        int tail = poolsim_schema[row].kind == POOLSIM_KIND_TAIL;
        /* runs of channels with columns (all of them but fixed ones) */
        for (size_t i = 0; i < n;) {
            size_t q = lay->qchan[row] + i, m = 0;
            while (i + m < n && st->col[q + m] != SIZE_MAX) m++;
            if (m == 0) {
                i++;
                continue;
            }
            if (nqr == cap) {
                cap *= 2;
                size_t(*g)[5] = realloc(qr, cap * sizeof *qr);
                if (!g) {
                    free(mr);
                    free(qr);
                    return POOLSIM_ENOMEM;
                }
                qr = g;
            }
            qr[nqr][0] = q;
            qr[nqr][1] = o + i;
            qr[nqr][2] = m;
            qr[nqr][3] = (size_t)tail;
            qr[nqr++][4] = st->col[q];
            i += m;
        }
    }
    if (!rows) { /* every slot, including those that feed no summary */
        mr[0][0] = 0;
        mr[0][1] = lay->n;
        nmr = 1;
    }
    free(st->mr);
    free(st->qr);
    st->mr = mr;
    st->nmr = nmr;
    st->qr = qr;
    st->nqr = nqr;
    return POOLSIM_OK;
}

void poolsim_stats_free(poolsim_stats *st)
{
    if (!st) return;
    free(st->qv);
    tailset_free(st->tail);
    for (size_t k = 0; k < st->npending; k++) tailset_free(st->pending[k]);
    free(st->pending);
    free(st->col);
    free(st->fixv);
    poolsim_qhist_free(st->hist);
    free(st->mean);
    free(st->m2);
    free(st->first_count);
    free(st->mr);
    free(st->qr);
    free(st);
}

long poolsim_stats_nblocks(const poolsim_stats *st)
{
    return st->nblocks;
}

void poolsim_stats_block_range(const poolsim_stats *st, long b, long *first, long *end)
{
    *first = b * st->bsize;
    *end = *first + st->bsize;
    if (*end > st->paths) *end = st->paths;
}

int poolsim_stats_exact(const poolsim_stats *st)
{
    return st->exact;
}

static poolsim_block *block_alloc(const poolsim_stats *st, int kept)
{
    const poolsim_stats_layout *lay = &st->lay;
    poolsim_block *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    if (kept && !st->exact &&
        (!(b->hist = poolsim_qhist_alloc(lay->nq)) ||
         !(b->hstage = malloc(POOLSIM_STATS_HSTAGE * (lay->nq ? lay->nq : 1) * sizeof(double))))) {
        poolsim_qhist_free(b->hist);
        free(b);
        return NULL;
    }
    b->n = lay->n;
    b->L = lay->L;
    b->T = lay->T;
    b->shift = calloc(lay->n, sizeof(double));
    b->s1 = calloc(lay->n, sizeof(double));
    b->s2 = calloc(lay->n, sizeof(double));
    b->first_count = calloc((size_t)lay->L * (size_t)(lay->T + 1), sizeof(int64_t));
    if (kept && st->exact) b->tail = tailset_alloc(st->nt, st->tk);
    if (!b->shift || !b->s1 || !b->s2 || !b->first_count || (kept && st->exact && !b->tail)) {
        poolsim_block_free(b);
        return NULL;
    }
    return b;
}

poolsim_block *poolsim_block_alloc(const poolsim_stats *st)
{
    return block_alloc(st, 1);
}

poolsim_block *poolsim_block_alloc_sums(const poolsim_stats *st)
{
    return block_alloc(st, 0);
}

void poolsim_block_free(poolsim_block *b)
{
    if (!b) return;
    free(b->shift);
    free(b->s1);
    free(b->s2);
    free(b->first_count);
    tailset_free(b->tail);
    poolsim_qhist_free(b->hist);
    free(b->hstage);
    free(b);
}

void poolsim_block_reset(poolsim_block *b, long index)
{
    b->index = index;
    b->count = 0;
    memset(b->s1, 0, b->n * sizeof(double));
    memset(b->s2, 0, b->n * sizeof(double));
    memset(b->first_count, 0, (size_t)b->L * (size_t)(b->T + 1) * sizeof(int64_t));
}

/* s1 += x - shift, s2 += (x - shift)^2 element by element (vectorised:
 * each element's arithmetic is the same as one at a time). */
static void add_moments_scalar(double *restrict s1, double *restrict s2,
                               const double *restrict shift, const double *restrict x, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - shift[i];
        s1[i] += d;
        s2[i] += d * d;
    }
}

#if STATS_AVX2
/* The same four elements at a time (eight per turn): the same IEEE
 * operations, no FMA, so the same sums bit for bit. (Which operand of an
 * addition comes first, which decides only the payload kept when both are
 * NaN, is the compiler's choice in either loop; records are finite.) */
__attribute__((target("avx2"))) static void add_moments_avx2(double *restrict s1,
                                                             double *restrict s2,
                                                             const double *restrict shift,
                                                             const double *restrict x, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(x + i), _mm256_loadu_pd(shift + i));
        __m256d d1 = _mm256_sub_pd(_mm256_loadu_pd(x + i + 4), _mm256_loadu_pd(shift + i + 4));
        _mm256_storeu_pd(s1 + i, _mm256_add_pd(_mm256_loadu_pd(s1 + i), d0));
        _mm256_storeu_pd(s1 + i + 4, _mm256_add_pd(_mm256_loadu_pd(s1 + i + 4), d1));
        _mm256_storeu_pd(s2 + i, _mm256_add_pd(_mm256_mul_pd(d0, d0), _mm256_loadu_pd(s2 + i)));
        _mm256_storeu_pd(s2 + i + 4,
                         _mm256_add_pd(_mm256_mul_pd(d1, d1), _mm256_loadu_pd(s2 + i + 4)));
    }
    for (; i < n; i++) {
        __m128d d = _mm_sub_sd(_mm_load_sd(x + i), _mm_load_sd(shift + i));
        _mm_store_sd(s1 + i, _mm_add_sd(_mm_load_sd(s1 + i), d));
        _mm_store_sd(s2 + i, _mm_add_sd(_mm_mul_sd(d, d), _mm_load_sd(s2 + i)));
    }
}
#endif

static void add_moments(double *restrict s1, double *restrict s2, const double *restrict shift,
                        const double *restrict x, size_t n)
{
#if STATS_AVX2
    if (stats_simd) {
        add_moments_avx2(s1, s2, shift, x, n);
        return;
    }
#endif
    add_moments_scalar(s1, s2, shift, x, n);
}

/* Exact mode: the path's DIST values go to qv at the path's index, its
 * TAIL values to the block's tail candidates. */
static void exact_add(poolsim_block *b, poolsim_stats *st, long path, const double *rec)
{
    for (size_t k = 0; k < st->nqr; k++) {
        size_t o = st->qr[k][1], n = st->qr[k][2], c0 = st->qr[k][4];
        if (st->qr[k][3]) {
            tail_put_row(b->tail, c0, rec + o, n);
        } else {
            double *x = st->qv + c0 * (size_t)st->paths + (size_t)path;
            for (size_t i = 0; i < n; i++) x[i * (size_t)st->paths] = rec[o + i];
        }
    }
}

/* Histogram mode: count the staged values, channel by channel. */
static int hist_flush(poolsim_block *b, poolsim_stats *st)
{
    size_t at = 0, m = b->hcount;
    b->hcount = 0;
    for (size_t k = 0; k < st->nqr; k++) {
        size_t q0 = st->qr[k][0], n = st->qr[k][2];
        for (size_t i = 0; i < n; i++, at++) {
            int rc = poolsim_qhist_add_many(b->hist, q0 + i, b->hstage + at, m, st->lay.nq);
            if (rc != POOLSIM_OK) return rc;
        }
    }
    return POOLSIM_OK;
}

int poolsim_block_add_to(poolsim_block *b, poolsim_block *acc, poolsim_stats *st, long path,
                         const double *rec)
{
    const poolsim_stats_layout *lay = &st->lay;
    if (b->count == 0) memcpy(b->shift, rec, b->n * sizeof(double));
    for (size_t k = 0; k < st->nmr; k++) {
        size_t o = st->mr[k][0];
        add_moments(b->s1 + o, b->s2 + o, b->shift + o, rec + o, st->mr[k][1]);
    }
    for (int l = 0; l < lay->L; l++) {
        int fe = (int)rec[lay->first_exh + (size_t)l];
        int slot = fe == 0 ? lay->T : fe - 1;
        b->first_count[(size_t)l * (size_t)(lay->T + 1) + (size_t)slot]++;
    }
    b->count++;
    if (st->exact) {
        exact_add(acc, st, path, rec);
        return POOLSIM_OK;
    }
    double *row = acc->hstage + acc->hcount * st->lay.nq;
    for (size_t k = 0; k < st->nqr; k++) {
        size_t o = st->qr[k][1], n = st->qr[k][2];
        memcpy(row, rec + o, n * sizeof(double));
        row += n;
    }
    return ++acc->hcount == POOLSIM_STATS_HSTAGE ? hist_flush(acc, st) : POOLSIM_OK;
}

int poolsim_block_add(poolsim_block *b, poolsim_stats *st, long path, const double *rec)
{
    return poolsim_block_add_to(b, b, st, path, rec);
}

/* 1 when ts holds no key yet */
static int tailset_empty(const poolsim_tailset *ts)
{
    for (size_t j = 0; j < ts->nt; j++)
        if (ts->cnt[j]) return 0;
    return 1;
}

/* Merge channel j of every pending set into st->tail (tmp: cap keys). */
static void tail_settle_channel(poolsim_stats *st, size_t j, uint64_t *tmp)
{
    for (size_t k = 0; k < st->npending; k++) tail_merge_channel(st->tail, st->pending[k], j, tmp);
}

/* Every pending set merged into st->tail, and freed. */
static void tail_settle(poolsim_stats *st)
{
    for (size_t k = 0; k < st->npending; k++) {
        tail_merge(st->tail, st->pending[k]);
        tailset_free(st->pending[k]);
    }
    st->npending = 0;
}

int poolsim_stats_absorb(poolsim_stats *st, poolsim_block *b)
{
    if (st->exact) {
        if (!b->tail) return POOLSIM_OK;
        if (tailset_empty(st->tail) && b->tail->cap == st->tail->cap) {
            /* the first: take its set as it is (what merging it into an
             * empty set copies, channel by channel), not a copy of it */
            poolsim_tailset *t = st->tail;
            st->tail = b->tail;
            b->tail = t;
            return POOLSIM_OK;
        }
        if (st->npending == st->cap_pending) {
            size_t cap = st->cap_pending ? 2 * st->cap_pending : 4;
            poolsim_tailset **p = realloc(st->pending, cap * sizeof *p);
            if (!p) { /* merged now instead */
                tail_merge(st->tail, b->tail);
                return POOLSIM_OK;
            }
            st->pending = p;
            st->cap_pending = cap;
        }
        /* taken as it is, merged by poolsim_stats_finish */
        st->pending[st->npending++] = b->tail;
        b->tail = NULL;
        return POOLSIM_OK;
    }
    if (!b->hist) return POOLSIM_OK;
    int rc = hist_flush(b, st);
    return rc != POOLSIM_OK ? rc : poolsim_qhist_merge(st->hist, b->hist);
}

int poolsim_stats_fold(poolsim_stats *st, const poolsim_block *b)
{
    if (b->index != st->next_block) return POOLSIM_ENUM; /* caller bug: out of order */
    double nb = (double)b->count, na = st->n, n = na + nb;
    if (b->count > 0) {
        for (size_t i = 0; i < b->n; i++) {
            double mb = b->shift[i] + b->s1[i] / nb;
            double m2b = b->s2[i] - b->s1[i] * b->s1[i] / nb;
            if (m2b < 0) m2b = 0;
            if (na == 0) {
                st->mean[i] = mb;
                st->m2[i] = m2b;
            } else {
                double delta = mb - st->mean[i];
                st->mean[i] += delta * nb / n;
                st->m2[i] += m2b + delta * delta * na * nb / n;
            }
        }
        size_t nf = (size_t)st->lay.L * (size_t)(st->lay.T + 1);
        for (size_t i = 0; i < nf; i++) st->first_count[i] += b->first_count[i];
    }
    st->n = n;
    st->next_block++;
    return POOLSIM_OK;
}

double poolsim_quantile7(const double *x, size_t n, double p)
{
    if (n == 0) return NAN;
    if (n == 1) return x[0];
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) return x[n - 1];
    double frac = h - (double)lo;
    return x[lo] + frac * (x[lo + 1] - x[lo]);
}

double poolsim_cvar_upper(const double *x, size_t n, double alpha)
{
    if (n == 0) return NAN;
    size_t k = (size_t)ceil(alpha * (double)n - 1e-9);
    if (k < 1) k = 1;
    if (k > n) k = n;
    double s = 0;
    for (size_t i = n - k; i < n; i++) s += x[i];
    return s / (double)k;
}

/* The whole pages inside [*a, *e) (rounded in; *pg: the page size); 1
 * when there are some. */
static int whole_pages(uintptr_t *a, uintptr_t *e, uintptr_t *pg)
{
    long pl = sysconf(_SC_PAGESIZE);
    if (pl <= 0) return 0;
    *pg = (uintptr_t)pl;
    *a = (*a + *pg - 1) / *pg * *pg;
    *e = *e / *pg * *pg;
    return *e > *a;
}

/* Map in advance the pages [a, e) (whole pages) that the run will write
 * (madvise MADV_POPULATE_WRITE, Linux 5.14); 1 when done. A page written
 * for the first time otherwise costs a page fault: on the virtual
 * machines measured, 1.6 to 9 us each, and the kept values of a
 * four-county run at 20,000 paths are 6,300 pages; mapped in one call the
 * same pages cost a half to a fifth of that (docs/PERFORMANCE.md). Only
 * the time changes: a failure (an older kernel, no memory) leaves the
 * pages to be faulted in as before, and the values are written over the
 * zeros either way. */
static int populate(uintptr_t a, uintptr_t e)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    return madvise((void *)a, e - a, MADV_POPULATE_WRITE) == 0;
#else
    (void)a, (void)e;
    return 0;
#endif
}

/* Read one byte of each page of [a, e) (whole pages of pg bytes; relaxed
 * atomic loads: other threads may be writing there). On the virtual
 * machines measured, the first access to a page that MADV_POPULATE_WRITE
 * has mapped still costs about 4 us (the hypervisor maps it in turn);
 * once read, writes to it cost nothing more. */
static void touch(uintptr_t a, uintptr_t e, uintptr_t pg, const int *stop)
{
    unsigned n = 0;
    for (; a < e; a += pg) {
        /* *stop: the run no longer needs it (checked every 256 pages) */
        if ((++n & 255) == 0 && stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) return;
        (void)__atomic_load_n((const char *)a, __ATOMIC_RELAXED);
    }
}

/* Ranges [a, e) given one by one (in increasing order), joined where they
 * touch (so that a page across two is mapped too), populated and, with
 * touch_too, read. */
typedef struct {
    uintptr_t a, e;
    int touch_too;
    const int *stop;
} pop_run;

static void pop_flush(pop_run *r)
{
    uintptr_t a = r->a, e = r->e, pg;
    r->a = r->e = 0;
    /* read only pages mapped for writing: a page read before would be
     * mapped to the zero page, and written then, faulted in again */
    if (whole_pages(&a, &e, &pg) && populate(a, e) && r->touch_too) touch(a, e, pg, r->stop);
}

static void pop_add(pop_run *r, uintptr_t a, uintptr_t e)
{
    if (e <= a) return;
    if (r->e > r->a && a == r->e) {
        r->e = e;
        return;
    }
    pop_flush(r);
    r->a = a, r->e = e;
}

/* Part k of nparts of the kept values of paths [first, end) of the
 * selected DIST channels, in column order, to pop_add. */
static void kept_values_part(poolsim_stats *st, long first, long end, int k, int nparts,
                             int touch_too, const int *stop)
{
    if (!st->exact || !st->qv || end <= first || nparts < 1 || k < 0 || k >= nparts) return;
    size_t m = (size_t)(end - first), cols = 0;
    for (size_t r = 0; r < st->nqr; r++)
        if (!st->qr[r][3]) cols += st->qr[r][2];
    size_t total = cols * m, lo = total / (size_t)nparts * (size_t)k,
           hi = k == nparts - 1 ? total : total / (size_t)nparts * (size_t)(k + 1), at = 0;
    pop_run run = {0, 0, touch_too, stop};
    for (size_t r = 0; r < st->nqr && at < hi; r++) {
        if (st->qr[r][3]) continue;
        for (size_t i = 0; i < st->qr[r][2] && at < hi; i++, at += m) {
            size_t s = lo > at ? lo - at : 0, t = hi - at < m ? hi - at : m;
            if (s >= t) continue;
            const double *x = st->qv + (st->qr[r][4] + i) * (size_t)st->paths + (size_t)first;
            pop_add(&run, (uintptr_t)(x + s), (uintptr_t)(x + t));
        }
    }
    pop_flush(&run);
}

void poolsim_stats_prefault(poolsim_stats *st, long first, long end, int k, int nparts)
{
    kept_values_part(st, first, end, k, nparts, 0, NULL);
}

void poolsim_stats_warm(poolsim_stats *st, long first, long end, const int *stop)
{
    kept_values_part(st, first, end, 0, 1, 1, stop);
}

void poolsim_block_prefault(poolsim_block *b, const poolsim_stats *st)
{
    if (!b->tail) return;
    const poolsim_tailset *ts = b->tail;
    pop_run run = {0, 0, 0, NULL};
    for (size_t r = 0; r < st->nqr; r++) {
        if (!st->qr[r][3]) continue;
        const uint64_t *x = ts->key + st->qr[r][4] * ts->cap;
        pop_add(&run, (uintptr_t)x, (uintptr_t)(x + st->qr[r][2] * ts->cap));
    }
    pop_flush(&run);
}

/* Kept values of at least this many bytes are handed back to the system
 * by the threads of poolsim_stats_finish (release_part). */
#define RELEASE_BYTES ((size_t)4 << 20)

/* Part k of nparts of the whole pages of p[0..len) back to the system
 * (madvise MADV_DONTNEED: read again, they would be zeros). free(p) then
 * unmaps pages that are already gone: each thread gives back its part in
 * parallel, instead of one thread page by page after the run (32 MB of
 * kept values in the four-county case: about 3 ms). A failure changes
 * nothing but the time. */
static void release_part(void *p, size_t len, int k, int nparts)
{
#if defined(__linux__) && defined(MADV_DONTNEED)
    uintptr_t a = (uintptr_t)p, e = a + len, pg;
    if (nparts < 1 || !whole_pages(&a, &e, &pg)) return;
    uintptr_t pages = (e - a) / pg;
    uintptr_t s0 = a + pages * (uintptr_t)k / (uintptr_t)nparts * pg;
    uintptr_t s1 = a + pages * (uintptr_t)(k + 1) / (uintptr_t)nparts * pg;
    if (s1 > s0) (void)madvise((void *)s0, s1 - s0, MADV_DONTNEED);
#else
    (void)p, (void)len, (void)k, (void)nparts;
#endif
}

/* Row whose quantile channels hold channel q. */
static int qchan_row(const poolsim_stats_layout *lay, size_t q)
{
    int found = -1;
    FOR_QROWS(lay, row)
    {
        if (lay->qchan[row] <= q) found = row;
    }
    return found;
}

int poolsim_stats_finish(poolsim_stats *st, int threads, poolsim_results *r)
{
    const poolsim_stats_layout *lay = &st->lay;
    if (st->finished || st->next_block != st->nblocks || st->n != (double)st->paths)
        return POOLSIM_ENUM;
    st->finished = 1;
    size_t T = (size_t)lay->T, L = (size_t)lay->L, n = (size_t)st->paths;
    double dn = (double)n;

    /* moments and shares, row by row */
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        if (w->source != POOLSIM_SRC_REC) continue;
        if (!st->want[row]) {
            r->present[row] = 0; /* not computed (poolsim_stats_select) */
            continue;
        }
        double *c[POOLSIM_SCHEMA_MAXCOMP];
        poolsim_results_row(r, row, c);
        size_t o = lay->slot[row], cnt = row_size(lay, row);
        for (size_t i = 0; i < cnt; i++) {
            double m = st->mean[o + i];
            switch (w->kind) {
            case POOLSIM_KIND_RATE:
                /* flags are 0/1: the mean times n is an integer up to rounding */
                c[0][i] = round(m * dn) / dn;
                break;
            case POOLSIM_KIND_PROB: {
                double k = round(m * dn);
                c[0][i] = k / dn;
                poolsim_wilson(k, dn, &c[1][i], &c[2][i]);
                break;
            }
            default: /* MS, DIST, TAIL: mean and its standard error */
                c[0][i] = m;
                c[1][i] = n > 1 ? sqrt(st->m2[o + i] / (dn - 1) / dn) : 0.0;
                break;
            }
        }
    }

    /* from the first exhaustion year of each path */
    for (size_t l = 0; l < L; l++) {
        int64_t cum = 0;
        for (size_t t = 0; t <= T; t++)
            r->first_exhaustion_count[l * (T + 1) + t] = (double)st->first_count[l * (T + 1) + t];
        for (size_t t = 0; t < T; t++) {
            cum += st->first_count[l * (T + 1) + t];
            r->exhaustion_prob[l * T + t] = (double)cum / dn;
            poolsim_wilson((double)cum, dn, &r->exhaustion_lo[l * T + t],
                           &r->exhaustion_hi[l * T + t]);
        }
    }

    /* quantiles: exact (each channel sorted independently, in parallel) or
     * from the merged histograms */
    long nq = (long)lay->nq;
    int sort_status = POOLSIM_OK;
#pragma omp parallel num_threads(threads > 0 ? threads : 1)
    {
        /* per thread: keys, scratch and positions for the exact order
         * statistics, values of a TAIL channel */
        uint64_t *a = NULL, *tmp = NULL;
        size_t *need = NULL;
        double *xs = NULL;
        if (st->exact) {
            size_t nt = n > st->tail->cap ? n : st->tail->cap;
            a = malloc((n ? n : 1) * sizeof *a);
            tmp = malloc(nt * sizeof *tmp);
            need = malloc((2 * POOLSIM_NQ + n + 1) * sizeof *need);
            xs = malloc((n ? n : 1) * sizeof *xs);
            if (!a || !tmp || !need || !xs) {
                free(need);
                need = NULL;
#pragma omp atomic write
                sort_status = POOLSIM_ENOMEM;
            }
        }
#pragma omp for schedule(dynamic, 4)
        for (long q = 0; q < nq; q++) {
            size_t uq = (size_t)q;
            int row = qchan_row(lay, uq);
            if (!st->want[row] || (st->exact && !need)) continue;
            int dist = poolsim_schema[row].kind == POOLSIM_KIND_DIST;
            double *x = NULL;
            if (st->exact && dist && st->col[uq] == SIZE_MAX) {
                /* fixed: every order statistic is the value, which the
                 * moments confirm (mean the value, no spread) */
                size_t i = uq - lay->qchan[row], o = lay->slot[row] + i;
                double v = st->fixv[uq], *c[POOLSIM_SCHEMA_MAXCOMP];
                if (memcmp(&st->mean[o], &v, sizeof v) != 0 || st->m2[o] != 0) {
#pragma omp critical(poolsim_stats_report)
                    poolsim_error_report(__FILE__, __LINE__,
                                         "internal error: channel %zu of %s was declared to hold "
                                         "%g on every path, but it varies",
                                         i, poolsim_schema[row].name, v);
#pragma omp atomic write
                    sort_status = POOLSIM_ENUM;
                    continue;
                }
                poolsim_results_row(r, row, c);
                for (int k = 0; k < POOLSIM_NQ; k++) c[2][i * POOLSIM_NQ + (size_t)k] = v;
                continue;
            }
            if (st->exact && dist) {
                x = st->qv + st->col[uq] * n;
                order_stats(x, n, poolsim_quantile_probs, POOLSIM_NQ, 0, a, tmp, need);
            } else if (st->exact) {
                x = xs;
                tail_settle_channel(st, st->col[uq], tmp);
                if (tail_sorted(st->tail, st->col[uq], n, x, tmp, need) != POOLSIM_OK) {
#pragma omp atomic write
                    sort_status = POOLSIM_ENUM;
                    continue;
                }
            }
            size_t i = uq - lay->qchan[row];
            double *c[POOLSIM_SCHEMA_MAXCOMP];
            poolsim_results_row(r, row, c);
            if (dist) {
                for (int k = 0; k < POOLSIM_NQ; k++)
                    c[2][i * POOLSIM_NQ + (size_t)k] =
                        x ? poolsim_quantile7(x, n, poolsim_quantile_probs[k])
                          : poolsim_qhist_quantile7(st->hist, uq, poolsim_quantile_probs[k]);
            } else {
                c[2][i] =
                    x ? poolsim_quantile7(x, n, 0.95) : poolsim_qhist_quantile7(st->hist, uq, 0.95);
                c[3][i] =
                    x ? poolsim_quantile7(x, n, 0.99) : poolsim_qhist_quantile7(st->hist, uq, 0.99);
                c[4][i] = x ? poolsim_cvar_upper(x, n, TAIL_ALPHA)
                            : poolsim_qhist_cvar_upper(st->hist, uq, TAIL_ALPHA);
            }
        }
        /* every channel has been read (the barrier ending the loop): the
         * kept values go back to the system, each thread its part */
        size_t qbytes = st->exact ? st->nd * n * sizeof(double) : 0;
        if (qbytes >= RELEASE_BYTES)
            release_part(st->qv, qbytes, omp_get_thread_num(), omp_get_num_threads());
        free(a);
        free(tmp);
        free(need);
        free(xs);
    }
    return sort_status;
}

/* ---- transfer between processes (MPI): plain arrays of doubles ---- */

size_t poolsim_block_packed_size(const poolsim_stats *st)
{
    return 2 + 3 * st->lay.n + (size_t)st->lay.L * (size_t)(st->lay.T + 1);
}

void poolsim_block_pack(const poolsim_block *b, double *buf)
{
    size_t i = 0, nf = (size_t)b->L * (size_t)(b->T + 1);
    buf[i++] = (double)b->index;
    buf[i++] = (double)b->count;
    memcpy(&buf[i], b->shift, b->n * sizeof(double)), i += b->n;
    memcpy(&buf[i], b->s1, b->n * sizeof(double)), i += b->n;
    memcpy(&buf[i], b->s2, b->n * sizeof(double)), i += b->n;
    for (size_t k = 0; k < nf; k++) buf[i++] = (double)b->first_count[k]; /* exact below 2^53 */
}

void poolsim_block_unpack(poolsim_block *b, const double *buf)
{
    size_t i = 0, nf = (size_t)b->L * (size_t)(b->T + 1);
    b->index = (long)buf[i++];
    b->count = (long)buf[i++];
    memcpy(b->shift, &buf[i], b->n * sizeof(double)), i += b->n;
    memcpy(b->s1, &buf[i], b->n * sizeof(double)), i += b->n;
    memcpy(b->s2, &buf[i], b->n * sizeof(double)), i += b->n;
    for (size_t k = 0; k < nf; k++) b->first_count[k] = (int64_t)buf[i++];
}

size_t poolsim_stats_values_packed_size(const poolsim_stats *st, long first, long end)
{
    return st->nd * (size_t)(end - first) + st->nt * (1 + st->tail->cap);
}

void poolsim_stats_values_pack(poolsim_stats *st, long first, long end, double *buf)
{
    tail_settle(st);
    size_t m = (size_t)(end - first), i = st->nd * m;
    for (size_t q = 0; q < st->nd; q++)
        memcpy(&buf[q * m], &st->qv[q * (size_t)st->paths + (size_t)first], m * sizeof(double));
    const poolsim_tailset *ts = st->tail;
    for (size_t j = 0; j < ts->nt; j++) {
        buf[i++] = (double)ts->cnt[j];
        for (size_t k = 0; k < ts->cap; k++)
            buf[i++] = k < ts->cnt[j] ? dval(ts->key[j * ts->cap + k]) : 0.0;
    }
}

void poolsim_stats_values_unpack(poolsim_stats *st, long first, long end, const double *buf)
{
    size_t m = (size_t)(end - first), i = st->nd * m;
    for (size_t q = 0; q < st->nd; q++)
        memcpy(&st->qv[q * (size_t)st->paths + (size_t)first], &buf[q * m], m * sizeof(double));
    poolsim_tailset *ts = st->tail;
    for (size_t j = 0; j < ts->nt; j++) {
        size_t c = (size_t)buf[i];
        for (size_t k = 0; k < c && k < ts->cap; k++) tail_put(ts, j, dkey(buf[i + 1 + k]), ts->tmp);
        i += 1 + ts->cap;
    }
}

struct poolsim_qhist *poolsim_stats_hist(poolsim_stats *st)
{
    return st->hist;
}
