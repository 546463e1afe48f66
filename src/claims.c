/* poolsim: claims benefits (MODEL.md section 3).
 *
 * Episode cost X ~ lognormal(mu, s) with s^2 = ln(1 + cv^2),
 * mu = ln(mean_x) - s^2/2; the fund pays Y = c (min(X,u) - d)^+ per episode.
 * Its moments come from the lognormal limited expected values LEV1/LEV2; the
 * aggregate over a year is drawn in one of three modes (claims_noise). */
#include "poolsim/claims.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define POOLSIM_CLAIMS_AVX2 1
#include <immintrin.h>

#include "poolsim/rng_avx2.h"
#else
#define POOLSIM_CLAIMS_AVX2 0
#endif
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "poolsim/scenario.h"

/* LEV1(x) = E[min(X,x)]
 *         = e^(mu + s^2/2) Phi((ln x - mu - s^2)/s) + x (1 - Phi((ln x - mu)/s)).
 * The upper tail 1 - Phi is taken as Q for accuracy. LEV1(0) = 0,
 * LEV1(inf) = e^(mu + s^2/2). */
double poolsim_claims_lev1(double x, double mu, double s)
{
    if (x <= 0) return 0.0;
    double m1 = exp(mu + 0.5 * s * s);
    if (isinf(x)) return m1;
    double lx = log(x);
    return m1 * gsl_cdf_ugaussian_P((lx - mu - s * s) / s) + x * gsl_cdf_ugaussian_Q((lx - mu) / s);
}

/* LEV2(x) = E[min(X,x)^2]
 *         = e^(2mu + 2s^2) Phi((ln x - mu - 2s^2)/s) + x^2 (1 - Phi((ln x - mu)/s)).
 * LEV2(0) = 0, LEV2(inf) = e^(2mu + 2s^2). */
double poolsim_claims_lev2(double x, double mu, double s)
{
    if (x <= 0) return 0.0;
    double m2 = exp(2 * mu + 2 * s * s);
    if (isinf(x)) return m2;
    double lx = log(x);
    return m2 * gsl_cdf_ugaussian_P((lx - mu - 2 * s * s) / s) +
           x * x * gsl_cdf_ugaussian_Q((lx - mu) / s);
}

/* LEV1(x) and LEV2(x) together, sharing ln x and the upper tail
 * Q((ln x - mu)/s): three normal-cdf evaluations instead of four. */
static void lev12(double x, double mu, double s, double *l1 /* OUT */, double *l2 /* OUT */)
{
    if (x <= 0) {
        *l1 = *l2 = 0.0;
        return;
    }
    double m1 = exp(mu + 0.5 * s * s), m2 = exp(2 * mu + 2 * s * s);
    if (isinf(x)) {
        *l1 = m1;
        *l2 = m2;
        return;
    }
    double z = (log(x) - mu) / s;
    double q = gsl_cdf_ugaussian_Q(z);
    *l1 = m1 * gsl_cdf_ugaussian_P(z - s) + x * q;
    *l2 = m2 * gsl_cdf_ugaussian_P(z - 2 * s) + x * x * q;
}

/* EY  = c (LEV1(u) - LEV1(d)),
 * EY2 = c^2 (LEV2(u) - LEV2(d) - 2 d (LEV1(u) - LEV1(d))),
 * VY  = max(0, EY2 - EY^2).
 * Rounding can leave a difference of LEV values a few ulps below zero when
 * d is close to u: EY and EY2 are clamped at 0. cv = 0 (a fixed cost, not
 * reachable from a validated scenario) gives the deterministic payment. */
void poolsim_claims_payment_moments(double mean_x, double cv, double d, double u, double c,
                                    poolsim_claims_moments *out /* OUT */)
{
    double ey, ey2;
    if (cv <= 0) {
        double y = c * fmax(0.0, fmin(mean_x, u) - d);
        ey = y;
        ey2 = y * y;
    } else {
        double s2 = log1p(cv * cv);
        double s = sqrt(s2);
        double mu = log(mean_x) - 0.5 * s2;
        double u1, u2, d1, d2;
        lev12(u, mu, s, &u1, &u2);
        lev12(d, mu, s, &d1, &d2);
        double l1 = u1 - d1, l2 = u2 - d2;
        ey = fmax(0.0, c * l1);
        ey2 = fmax(0.0, c * c * (l2 - 2 * d * l1));
    }
    out->ey = ey;
    out->ey2 = ey2;
    out->vy = fmax(0.0, ey2 - ey * ey);
}

/* ---- Poisson variates ---------------------------------------------------- */

/* ln k! for k < 10, exactly rounded (ln of 1, 1, 2, 6, 24, 120, 720, 5040,
 * 40320, 362880). */
static const double lnfact_small[10] = {
    0.0,
    0.0,
    0.69314718055994530942,
    1.79175946922805500081,
    3.17805383034794561965,
    4.78749174278204599425,
    6.57925121201010099506,
    8.52516136106541430017,
    10.60460290274525022842,
    12.80182748008146961121,
};

/* ln k! for k >= 0. For k >= 10 Stirling's series
 *   ln k! = (k + 1/2) ln k - k + ln sqrt(2 pi)
 *           + 1/(12k) - 1/(360k^3) + 1/(1260k^5) - 1/(1680k^7) + 1/(1188k^9),
 * whose first omitted term, 691/(360360 k^11), is below 2e-14 at k = 10.
 * (Own code rather than lgamma: lgamma writes the global signgam.) */
static double lnfact(double k)
{
    if (k < 10) return lnfact_small[(int)k];
    double r = 1.0 / k, r2 = r * r;
    double series =
        r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
    return (k + 0.5) * log(k) - k + 0.91893853320467274178 + series;
}

/* Inversion by sequential search from 0 (mu < 10): at most a few dozen
 * steps since P(N > 60 | mu < 10) < 1e-25; the step cap only guards against
 * an endless loop if the pmf underflows. */
static unsigned long poisson_inversion(poolsim_rng *r, double mu)
{
    double u = poolsim_rng_uniform(r);
    double p = exp(-mu);
    double F = p;
    unsigned long k = 0;
    while (u > F && k < 1000) {
        k++;
        p *= mu / (double)k;
        F += p;
    }
    return k;
}

/* PTRS: transformed rejection with squeeze, W. Hoermann (1993), "The
 * transformed rejection method for generating Poisson random variables",
 * Insurance: Mathematics and Economics 12, 39-45 (valid for mu >= 10).
 *   setup: b = 0.931 + 2.53 sqrt(mu), a = -0.059 + 0.02483 b,
 *          1/alpha = 1.1239 + 1.1328/(b - 3.4), v_r = 0.9277 - 3.6224/(b - 2)
 *          (poolsim_claims_compound_prepare);
 *   1. U ~ U(-1/2, 1/2), V ~ U(0,1), us = 1/2 - |U|,
 *      k = floor((2a/us + b) U + mu + 0.43);
 *   2. if us >= 0.07 and V <= v_r: accept k (squeeze, most draws);
 *   3. if k < 0 or (us < 0.013 and V > us): reject;
 *   4. accept if ln(V (1/alpha) / (a/us^2 + b)) <= -mu + k ln mu - ln k!.
 * k < 0 (y < 0 before the floor) is rejected before the squeeze (it never
 * passes it for mu >= 10; testing first keeps the conversion to unsigned
 * well defined). The uniforms lie strictly inside (0,1), so us > 0.
 * 1/alpha and ln mu are needed only in step 4 and computed when reached. */
static double poisson_ptrs(poolsim_rng *r, double mu, double b, double a, double vr)
{
    double inv_alpha = 0, lmu = 0;
    for (;;) {
        double U = poolsim_rng_uniform(r) - 0.5;
        double V = poolsim_rng_uniform(r);
        double us = 0.5 - fabs(U);
        double y = (2 * a / us + b) * U + mu + 0.43;
        if (y < 0) continue;
        /* floor(y), without a libm call below 2^63 */
        double k = y < 0x1p63 ? (double)(unsigned long long)y : floor(y);
        if (us >= 0.07 && V <= vr) return k;
        if (us < 0.013 && V > us) continue;
        if (inv_alpha == 0) {
            inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
            lmu = log(mu);
        }
        if (log(V * inv_alpha / (a / (us * us) + b)) <= -mu + k * lmu - lnfact(k)) return k;
    }
}

unsigned long poolsim_claims_poisson(poolsim_rng *r, double mu)
{
    poolsim_claims_draw q = {.lambda = mu};
    poolsim_claims_compound_prepare(&q);
    poolsim_claims_compound_count(&q, r);
    return (unsigned long)q.n;
}

void poolsim_claims_compound_count(poolsim_claims_draw *q, poolsim_rng *r)
{
    double mu = q->lambda;
    if (!(mu > 0))
        q->n = 0;
    else if (mu < 10)
        q->n = (double)poisson_inversion(r, mu);
    else
        q->n = poisson_ptrs(r, mu, q->b, q->a, q->vr);
}

double poolsim_claims_compound_amount(const poolsim_claims_draw *q, poolsim_rng *r)
{
    if (q->n == 0) return 0.0;
    if (!(q->m.vy > 0)) return q->n * q->m.ey;
    double g = poolsim_rng_gamma_mt(r, q->gd, q->gc);
    if (q->ginv > 0) g *= pow(poolsim_rng_uniform(r), q->ginv);
    return g * q->scale;
}

/* ---- Many compound draws at once ---------------------------------------
 *
 * poolsim_claims_compound_count_all and _amount_all do what the one-draw
 * functions do for q[0..n), each draw from its own sub-stream r[i]. With
 * AVX2 (checked at run time; the build itself targets baseline x86-64),
 * the constants (prepare, shape) and the samplers' first tries are
 * computed for four draws side by side, the first tries from the words
 * already in the streams' current blocks:
 *   count (PTRS, lambda >= 10): words w0, w1 give U, V, us and k exactly
 *     as poisson_ptrs does; the draw is kept when y >= 0, us >= 0.07 and
 *     V <= v_r (the squeeze);
 *   amount (Marsaglia-Tsang, shape >= 1): word w0 gives the ziggurat
 *     normal x when it falls inside its layer's rectangle, w1 the uniform
 *     u; the draw d v (times the scale) is kept when 1 + c x > 0 and
 *     u < 1 - 0.0331 x^4.
 * Each value is made by the same IEEE operations in the same order as in
 * the scalar code (no fused multiply-add: the build uses
 * -ffp-contract=off and no FMA intrinsic appears; division and square
 * root are correctly rounded in both), so it is the same double. A first
 * try that fails its squeeze goes to the samplers' logarithmic test,
 * decided in lanes too where that is safe ("The log tests in lanes"
 * below): kept, or rejected (the scalar code then draws on from the
 * stream after the first try's two words), or left to the scalar code. A
 * draw whose first try is not decided, or which needs another path
 * (lambda < 10, shape < 1, VY = 0, fewer than two words left in the
 * block, the ziggurat's slow cases), is drawn by the scalar code from its
 * untouched stream: the same words in the same order. So the results are
 * bit for bit those of the scalar loops; the unit test "AVX2 compound
 * draws equal the scalar ones" compares both on random parameters.
 * POOLSIM_SIMD=0 in the environment (read once, before main) or
 * poolsim_claims_simd(0) selects the scalar loops. */

static int simd_level; /* 0: scalar loops, 1: AVX2 first tries */

__attribute__((constructor)) static void simd_init(void)
{
    simd_level = POOLSIM_CLAIMS_AVX2 && poolsim_simd_default();
}

int poolsim_claims_simd(int on)
{
    int was = simd_level;
    if (on >= 0) simd_level = POOLSIM_CLAIMS_AVX2 && on && poolsim_cpu_avx2();
    return was;
}

/* Scale of the log tests' margins (1; tests only: see
 * poolsim_claims_simd_margin) and, when simd_stats is set, the number of
 * lanes per outcome of those tests. */
static double margin_scale = 1;
static poolsim_claims_simd_counts *simd_stats;

double poolsim_claims_simd_margin(double scale)
{
    double was = margin_scale;
    if (scale >= 0) margin_scale = scale;
    return was;
}

void poolsim_claims_simd_count(poolsim_claims_simd_counts *c)
{
    simd_stats = c;
}

#ifdef __SSE2__
static inline __m128d blend(__m128d mask, __m128d x, __m128d y)
{
    return _mm_or_pd(_mm_and_pd(mask, x), _mm_andnot_pd(mask, y));
}

/* the two lanes of v into *x0 and *x1 */
static inline void put2(double *x0, double *x1, __m128d v)
{
    _mm_storel_pd(x0, v);
    _mm_storeh_pd(x1, v);
}
#endif

/* poolsim_claims_compound_prepare and _shape over q[0..n) for the scalar
 * loops, two at a time with SSE2 (every x86-64 processor has it): the
 * same operations in the same order, each correctly rounded, so the same bits as one at a time;
 * `c ? x : y` is a mask and a blend, `x > 10 ? x : 10` maxpd (which, like
 * the comparison, gives 10 when x is NaN). The shape constants are
 * computed for every benefit, also where no gamma is drawn (n = 0 or
 * VY = 0: poolsim_claims_compound_amount then reads none of them). */
static void prepare_all(poolsim_claims_draw *q, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128d ten = _mm_set1_pd(10), c0 = _mm_set1_pd(0.931), c1 = _mm_set1_pd(2.53);
    const __m128d a0 = _mm_set1_pd(-0.059), a1 = _mm_set1_pd(0.02483);
    const __m128d v0 = _mm_set1_pd(0.9277), v1 = _mm_set1_pd(3.6224), two = _mm_set1_pd(2);
    for (; i + 2 <= n; i += 2) {
        __m128d lam = _mm_set_pd(q[i + 1].lambda, q[i].lambda);
        __m128d b = _mm_add_pd(c0, _mm_mul_pd(c1, _mm_sqrt_pd(_mm_max_pd(lam, ten))));
        __m128d a = _mm_add_pd(a0, _mm_mul_pd(a1, b));
        __m128d vr = _mm_sub_pd(v0, _mm_div_pd(v1, _mm_sub_pd(b, two)));
        put2(&q[i].b, &q[i + 1].b, b);
        put2(&q[i].a, &q[i + 1].a, a);
        put2(&q[i].vr, &q[i + 1].vr, vr);
    }
#endif
    for (; i < n; i++) poolsim_claims_compound_prepare(&q[i]);
}

static void shape_all(poolsim_claims_draw *q, size_t n)
{
    size_t i = 0;
#ifdef __SSE2__
    const __m128d zero = _mm_setzero_pd(), one = _mm_set1_pd(1), nine = _mm_set1_pd(9);
    const __m128d third = _mm_set1_pd(1.0 / 3);
    for (; i + 2 <= n; i += 2) {
        __m128d ey = _mm_set_pd(q[i + 1].m.ey, q[i].m.ey);
        __m128d vy = _mm_set_pd(q[i + 1].m.vy, q[i].m.vy);
        __m128d nn = _mm_set_pd(q[i + 1].n, q[i].n);
        __m128d pos = _mm_cmpgt_pd(vy, zero);
        __m128d shape = blend(pos, _mm_div_pd(_mm_mul_pd(_mm_mul_pd(nn, ey), ey), vy), one);
        __m128d lt1 = _mm_cmplt_pd(shape, one);
        __m128d gd = _mm_sub_pd(blend(lt1, _mm_add_pd(shape, one), shape), third);
        __m128d gc = _mm_div_pd(one, _mm_sqrt_pd(_mm_mul_pd(nine, gd)));
        __m128d ginv =
            blend(_mm_and_pd(lt1, _mm_cmpgt_pd(shape, zero)), _mm_div_pd(one, shape), zero);
        __m128d scale = blend(pos, _mm_div_pd(vy, ey), zero);
        put2(&q[i].gd, &q[i + 1].gd, gd);
        put2(&q[i].gc, &q[i + 1].gc, gc);
        put2(&q[i].ginv, &q[i + 1].ginv, ginv);
        put2(&q[i].scale, &q[i + 1].scale, scale);
    }
#endif
    for (; i < n; i++) poolsim_claims_compound_shape(&q[i]);
}

static void count_one(poolsim_claims_draw *q, poolsim_rng *r)
{
    if (q->lambda > 0 && q->m.ey > 0)
        poolsim_claims_compound_count(q, r);
    else
        q->n = 0;
}

static void amount_one(poolsim_claims_draw *q, poolsim_rng *r)
{
    q->lambda = q->lambda > 0 && q->m.ey > 0 ? poolsim_claims_compound_amount(q, r) : 0.0;
}

#if POOLSIM_CLAIMS_AVX2
#define AVX2 __attribute__((target("avx2")))

/* (double)w for four unsigned words: w - 2^31 as a signed word, converted,
 * plus 2^31 (every step exact). */
AVX2 static inline __m256d u32_to_pd(__m128i w)
{
    __m128i s = _mm_xor_si128(w, _mm_set1_epi32((int)0x80000000u));
    return _mm256_add_pd(_mm256_cvtepi32_pd(s), _mm256_set1_pd(0x1p31));
}

/* the uniform of poolsim_rng_uniform for four words */
AVX2 static inline __m256d uniform4(__m128i w)
{
    return _mm256_mul_pd(_mm256_add_pd(u32_to_pd(w), _mm256_set1_pd(0.5)), _mm256_set1_pd(0x1p-32));
}

/* Position of the next word in r's block, or 0 when fewer than two are
 * left (the lane is then not eligible and its words are not used). */
static inline unsigned word_at(const poolsim_rng *r)
{
    unsigned o = 4u - r->left;
    return o <= 2 ? o : 0;
}

/* The next two words of the four streams s[0..3] (lane j: s[j]). */
AVX2 static inline void words4(const poolsim_rng *s, __m128i *w0 /* OUT */, __m128i *w1 /* OUT */)
{
    unsigned o0 = word_at(&s[0]), o1 = word_at(&s[1]), o2 = word_at(&s[2]), o3 = word_at(&s[3]);
    *w0 = _mm_set_epi32((int)s[3].buf[o3], (int)s[2].buf[o2], (int)s[1].buf[o1], (int)s[0].buf[o0]);
    *w1 = _mm_set_epi32((int)s[3].buf[o3 + 1], (int)s[2].buf[o2 + 1], (int)s[1].buf[o1 + 1],
                        (int)s[0].buf[o0 + 1]);
}

/* mask of the lanes whose stream has at least two words left */
AVX2 static inline int two_left4(const poolsim_rng *s)
{
    return (s[0].left >= 2) | (s[1].left >= 2) << 1 | (s[2].left >= 2) << 2 | (s[3].left >= 2) << 3;
}

/* the four lanes of v into *x0 .. *x3 */
AVX2 static inline void put4(double *x0, double *x1, double *x2, double *x3, __m256d v)
{
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    _mm_storel_pd(x0, lo);
    _mm_storeh_pd(x1, lo);
    _mm_storel_pd(x2, hi);
    _mm_storeh_pd(x3, hi);
}
#define PUT4(g, f, v) put4(&(g)[0].f, &(g)[1].f, &(g)[2].f, &(g)[3].f, v)

/* 4 x 4 transpose: lane j of *x_i becomes lane i of *x_j */
AVX2 static inline void transpose4(__m256d *x0, __m256d *x1, __m256d *x2, __m256d *x3)
{
    __m256d t0 = _mm256_unpacklo_pd(*x0, *x1), t1 = _mm256_unpackhi_pd(*x0, *x1);
    __m256d t2 = _mm256_unpacklo_pd(*x2, *x3), t3 = _mm256_unpackhi_pd(*x2, *x3);
    *x0 = _mm256_permute2f128_pd(t0, t2, 0x20);
    *x1 = _mm256_permute2f128_pd(t1, t3, 0x20);
    *x2 = _mm256_permute2f128_pd(t0, t2, 0x31);
    *x3 = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* Four consecutive fields (f, f + 1, f + 2, f + 3 doubles) of g[0..3]
 * loaded as four vectors (field by field), and stored back. */
AVX2 static inline void get4x4(const double *f0, __m256d *x0, __m256d *x1, __m256d *x2, __m256d *x3)
{
    const size_t st = sizeof(poolsim_claims_draw) / sizeof(double);
    *x0 = _mm256_loadu_pd(f0);
    *x1 = _mm256_loadu_pd(f0 + st);
    *x2 = _mm256_loadu_pd(f0 + 2 * st);
    *x3 = _mm256_loadu_pd(f0 + 3 * st);
    transpose4(x0, x1, x2, x3);
}

AVX2 static inline void put4x4(double *f0, __m256d x0, __m256d x1, __m256d x2, __m256d x3)
{
    const size_t st = sizeof(poolsim_claims_draw) / sizeof(double);
    transpose4(&x0, &x1, &x2, &x3);
    _mm256_storeu_pd(f0, x0);
    _mm256_storeu_pd(f0 + st, x1);
    _mm256_storeu_pd(f0 + 2 * st, x2);
    _mm256_storeu_pd(f0 + 3 * st, x3);
}
/* the fields these are used on, in this order, without padding */
_Static_assert(sizeof(poolsim_claims_draw) == 12 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, m.ey) == 1 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, m.vy) == 3 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, b) == 4 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, a) == 5 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, vr) == 6 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, n) == 7 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, gd) == 8 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, gc) == 9 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, ginv) == 10 * sizeof(double) &&
                   offsetof(poolsim_claims_draw, scale) == 11 * sizeof(double),
               "poolsim_claims_draw layout");
#define GET4(g, f) _mm256_set_pd((g)[3].f, (g)[2].f, (g)[1].f, (g)[0].f)

/* ---- The log tests in lanes ----------------------------------------------
 *
 * About a fifth of the first tries fail their squeeze. Then the scalar code
 * takes a logarithmic test (PTRS step 4, Marsaglia-Tsang's ln u < ...) with
 * glibc's log, whose bits no vector logarithm reproduces. The AVX2 loops
 * decide that test in lanes anyway, with log4 below, but only where the
 * answer cannot differ from the scalar code's: each side of the test is a
 * function of doubles both codes share bit for bit; D, the vector value of
 * right side minus left side, and the scalar code's difference (whose sign
 * decides, the comparison itself being exact) both differ from the exact
 * value of that function by at most a bound computed per lane; M covers the
 * sum of both bounds. D > M: the scalar code accepts; D < -M: it rejects and
 * draws again; otherwise (or NaN) the lane goes back to the scalar code with
 * its stream untouched. A rejected first try has used two words and the
 * samplers' loops keep no state between tries (PTRS's 1/alpha and ln mu are
 * functions of mu), so the scalar code continues from the stream after them.
 *
 * Error bounds, u = 2^-53, every operation correctly rounded (relative
 * error <= u), glibc's log within 1 ulp (<= 2u |ln x|), log4 within
 * 2^-50 |ln x| = 8u |ln x|; |.| of computed values (they differ from the
 * exact ones by relative O(u), absorbed in the factor of 2.5 below).
 *
 * PTRS, D = (-mu + k ln mu - LF(k)) - ln(V ia / (a / us^2 + b)), where
 * ia = 1.1239 + 1.1328 / (b - 3.4) is computed by the same operations as in
 * poisson_ptrs (the same double) and LF(k) is lnfact's table entry for
 * k < 10, else (k + 1/2) ln k - k + C + series(1/k).
 *   left side: the argument is made by five operations on positive values
 *     (relative error <= 5u, i.e. <= 5u absolute after the log), then the
 *     log: scalar 5u + 2u |L|, vector 5u + 8u |L|;
 *   k ln mu: scalar 2u k |ln mu| + u |m1|, vector 8u k |ln mu| + u |m1|;
 *   (k + 1/2) ln k (k + 1/2 exact for k < 2^50): the same with ln k;
 *   each later sum (m2 = m1 - mu, f3 = f2 - k, f4 = f3 + C, f5 = f4 +
 *     series, R = m2 - LF) u of its result per code; D's subtraction u |D|
 *     (vector only); the series (< 0.0084) well below u in both codes.
 *   Total <= 12u (k |ln mu| + (k + 1/2) |ln k|) + 2u (|m2| + |f3| + |f4| +
 *     |f5| + |R|) + 10u |L| + u |D| + 10u + u, so
 *   M = 2^-48 (k |ln mu| + (k + 1/2) |ln k| + |m2| + |f3| + |f4| + |f5| +
 *     |R| + |L| + |D| + 1) (2^-48 = 32u) covers it with a factor >= 2.6.
 *   (M is about 2e-9 at lambda = 1e4, 3e-7 at 1e6, 3e-6 at 1e7, against a
 *   spread of D of order 1: in the default scenario 2 of 2.66 million
 *   PTRS log tests were too close to call.)
 * Marsaglia-Tsang, D = (x^2/2 + d (1 - v + ln v)) - ln u, with d, x^2, v, u
 * shared (x^2/2 exact):
 *   ln u: scalar 2u |L|, vector 8u |L|; ln v: (2u + 8u) d |ln v|;
 *   t = 1 - v: u |t| per code (0 when 1/2 <= v <= 2), times d;
 *   g = t + ln v: u |g| per code, times d (the cancellation near v = 1
 *     only makes |g| small; the absolute errors above stay);
 *   p = d g, R = x^2/2 + p: u of each per code; D: u |D|.
 *   M = 2^-48 (|L| + d (|ln v| + |t| + |g|) + |p| + |R| + |D| + 1), a
 *   factor >= 3 above the total.
 * The unit tests check log4 against logl and log, D against the scalar
 * code's own difference (|D - D_scalar| / M stays far below 1), and the
 * loops against the one-draw functions with the margin as derived, scaled
 * up (more lanes near) and scaled to 0. */

/* ln x for four positive normal doubles: x = 2^e m, m in [sqrt(1/2),
 * sqrt(2)) (from the bits), f = m - 1 (exact: Sterbenz), s = f / (m + 1),
 * ln m = 2 atanh s = 2 s (1 + z/3 + z^2/5 + ... + z^10/21) with z = s^2 <=
 * 0.0295 (the next terms add less than z^11/23/(1 - z) < 7e-19 relative),
 * ln x = e ln2_hi + (e ln2_lo + ln m) with e ln2_hi exact (ln2_hi has 21
 * trailing zero bits, |e| <= 1075). Error: s within 2u (relative), ln m
 * within 2u * 1.02 + 0.1u (the series' rounding) + u, so 3.3u |ln m| when
 * e = 0; for e != 0 |ln x| >= 0.346 >= |ln m| and the two sums add u each:
 * <= 5.5u |ln x|. Documented bound 2^-50 |ln x| = 8u |ln x|. */
AVX2 static inline __m256d log4(__m256d x)
{
    const __m256d one = _mm256_set1_pd(1), half = _mm256_set1_pd(0.5);
    const __m256d sqrt2 = _mm256_set1_pd(1.41421356237309504880);
    const __m256d ln2hi = _mm256_set1_pd(6.93147180369123816490e-01); /* 0x3fe62e42fee00000 */
    const __m256d ln2lo = _mm256_set1_pd(1.90821492927058770002e-10); /* 0x3dea39ef35793c76 */
    const __m256i mant = _mm256_set1_epi64x(0x000fffffffffffffLL);
    const __m256i onebits = _mm256_set1_epi64x(0x3ff0000000000000LL);
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL); /* 2^52 */
    __m256i bits = _mm256_castpd_si256(x);
    __m256d m = _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(bits, mant), onebits));
    /* biased exponent (1..2046) as a double: 2^52 + it, minus 2^52 */
    __m256d e =
        _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 52), magic)),
                      _mm256_set1_pd(0x1p52));
    __m256d big = _mm256_cmp_pd(m, sqrt2, _CMP_GT_OQ);
    m = _mm256_mul_pd(m, _mm256_blendv_pd(one, half, big));
    e = _mm256_sub_pd(e, _mm256_blendv_pd(_mm256_set1_pd(1023), _mm256_set1_pd(1022), big));
    __m256d s = _mm256_div_pd(_mm256_sub_pd(m, one), _mm256_add_pd(m, one));
    __m256d z = _mm256_mul_pd(s, s);
    /* 1/3 + z/5 + ... + z^9/21 by Estrin's scheme (every term positive) */
    __m256d z2 = _mm256_mul_pd(z, z), z4 = _mm256_mul_pd(z2, z2);
#define PAIR(c0, c1) _mm256_add_pd(_mm256_set1_pd(c0), _mm256_mul_pd(_mm256_set1_pd(c1), z))
    __m256d p01 = PAIR(1.0 / 3, 1.0 / 5), p23 = PAIR(1.0 / 7, 1.0 / 9);
    __m256d p45 = PAIR(1.0 / 11, 1.0 / 13), p67 = PAIR(1.0 / 15, 1.0 / 17);
    __m256d p89 = PAIR(1.0 / 19, 1.0 / 21);
#undef PAIR
    __m256d p03 = _mm256_add_pd(p01, _mm256_mul_pd(p23, z2));
    __m256d p47 = _mm256_add_pd(p45, _mm256_mul_pd(p67, z2));
    __m256d p49 = _mm256_add_pd(p47, _mm256_mul_pd(p89, z4));
    __m256d p = _mm256_add_pd(p03, _mm256_mul_pd(p49, z4));
    __m256d s2 = _mm256_add_pd(s, s);
    __m256d lm = _mm256_add_pd(s2, _mm256_mul_pd(s2, _mm256_mul_pd(z, p)));
    __m256d y = _mm256_add_pd(_mm256_mul_pd(e, ln2hi), _mm256_add_pd(_mm256_mul_pd(e, ln2lo), lm));
    /* NaN (all bits set) outside [DBL_MIN, DBL_MAX]: the test is then undecided */
    __m256d out =
        _mm256_or_pd(_mm256_cmp_pd(x, _mm256_set1_pd(0x1p-1022), _CMP_NGE_UQ),
                     _mm256_cmp_pd(x, _mm256_set1_pd(0x1.fffffffffffffp1023), _CMP_GT_OQ));
    return _mm256_or_pd(y, out);
}

AVX2 static inline __m256d abs4(__m256d x)
{
    return _mm256_and_pd(x, _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL)));
}

/* PTRS step 4 for four lanes (see above): *D and *M */
AVX2 static inline void ptrs_test4(__m256d mu, __m256d b, __m256d a, __m256d V, __m256d us,
                                   __m256d k, __m256d *D /* OUT */, __m256d *M /* OUT */)
{
    const __m256d one = _mm256_set1_pd(1), half = _mm256_set1_pd(0.5), ten = _mm256_set1_pd(10);
    __m256d ia =
        _mm256_add_pd(_mm256_set1_pd(1.1239),
                      _mm256_div_pd(_mm256_set1_pd(1.1328), _mm256_sub_pd(b, _mm256_set1_pd(3.4))));
    __m256d arg = _mm256_div_pd(_mm256_mul_pd(V, ia),
                                _mm256_add_pd(_mm256_div_pd(a, _mm256_mul_pd(us, us)), b));
    __m256d L = log4(arg), lmu = log4(mu);
    __m256d m1 = _mm256_mul_pd(k, lmu), m2 = _mm256_sub_pd(m1, mu);
    __m256d kk = _mm256_max_pd(k, ten), lk = log4(kk);
    __m256d r = _mm256_div_pd(one, kk), r2 = _mm256_mul_pd(r, r);
    __m256d ser =
        _mm256_sub_pd(_mm256_set1_pd(1.0 / 1680), _mm256_mul_pd(r2, _mm256_set1_pd(1.0 / 1188)));
    ser = _mm256_sub_pd(_mm256_set1_pd(1.0 / 1260), _mm256_mul_pd(r2, ser));
    ser = _mm256_sub_pd(_mm256_set1_pd(1.0 / 360), _mm256_mul_pd(r2, ser));
    ser = _mm256_mul_pd(r, _mm256_sub_pd(_mm256_set1_pd(1.0 / 12), _mm256_mul_pd(r2, ser)));
    __m256d kh = _mm256_add_pd(kk, half), f2 = _mm256_mul_pd(kh, lk);
    __m256d f3 = _mm256_sub_pd(f2, kk);
    __m256d f4 = _mm256_add_pd(f3, _mm256_set1_pd(0.91893853320467274178));
    __m256d f5 = _mm256_add_pd(f4, ser);
    /* table index: k clamped to [0, 9] (9 also for NaN), whatever the lane holds */
    __m128i ki = _mm256_cvttpd_epi32(
        _mm256_max_pd(_mm256_min_pd(k, _mm256_set1_pd(9)), _mm256_setzero_pd()));
    __m256d lf = _mm256_blendv_pd(f5, _mm256_i32gather_pd(lnfact_small, ki, 8),
                                  _mm256_cmp_pd(k, ten, _CMP_LT_OQ));
    __m256d R = _mm256_sub_pd(m2, lf), d = _mm256_sub_pd(R, L);
    __m256d S = _mm256_add_pd(_mm256_mul_pd(k, abs4(lmu)), _mm256_mul_pd(kh, abs4(lk)));
    S = _mm256_add_pd(S, _mm256_add_pd(abs4(m2), abs4(f3)));
    S = _mm256_add_pd(S, _mm256_add_pd(abs4(f4), abs4(f5)));
    S = _mm256_add_pd(S, _mm256_add_pd(abs4(R), abs4(L)));
    S = _mm256_add_pd(S, _mm256_add_pd(abs4(d), one));
    *D = d;
    *M = _mm256_mul_pd(S, _mm256_set1_pd(0x1p-48 * margin_scale));
}

/* Marsaglia-Tsang's log test for four lanes (see above): *D and *M */
AVX2 static inline void mt_test4(__m256d d, __m256d x2, __m256d v, __m256d u, __m256d *D /* OUT */,
                                 __m256d *M /* OUT */)
{
    const __m256d one = _mm256_set1_pd(1);
    __m256d L = log4(u), lv = log4(v);
    __m256d t = _mm256_sub_pd(one, v), g = _mm256_add_pd(t, lv), p = _mm256_mul_pd(d, g);
    __m256d R = _mm256_add_pd(_mm256_mul_pd(_mm256_set1_pd(0.5), x2), p);
    __m256d dd = _mm256_sub_pd(R, L);
    __m256d S = _mm256_mul_pd(d, _mm256_add_pd(abs4(lv), _mm256_add_pd(abs4(t), abs4(g))));
    S = _mm256_add_pd(S, _mm256_add_pd(abs4(L), abs4(p)));
    S = _mm256_add_pd(S, _mm256_add_pd(abs4(R), abs4(dd)));
    S = _mm256_add_pd(S, one);
    *D = dd;
    *M = _mm256_mul_pd(S, _mm256_set1_pd(0x1p-48 * margin_scale));
}

/* bits of the lanes with D > M and with D < -M */
AVX2 static inline void decide4(__m256d D, __m256d M, int *acc /* OUT */, int *rej /* OUT */)
{
    *acc = _mm256_movemask_pd(_mm256_cmp_pd(D, M, _CMP_GT_OQ));
    *rej = _mm256_movemask_pd(_mm256_cmp_pd(D, _mm256_sub_pd(_mm256_setzero_pd(), M), _CMP_LT_OQ));
}

/* Draws of a chunk are taken in passes: the first tries of all (four at a
 * time, no branch on their outcome); the log tests of the first tries
 * that failed their squeeze, listed in `cand` (four at a time); then the
 * scalar code for the draws listed in `redo`. */
#define CHUNK 256

/* pack[m]: the positions of the set bits of m (0 <= m < 16), first to
 * last (then zeros) */
static const int32_t pack_lut[16][4] = {
    {0, 0, 0, 0}, {0, 0, 0, 0}, {1, 0, 0, 0}, {0, 1, 0, 0}, {2, 0, 0, 0}, {0, 2, 0, 0},
    {1, 2, 0, 0}, {0, 1, 2, 0}, {3, 0, 0, 0}, {0, 3, 0, 0}, {1, 3, 0, 0}, {0, 1, 3, 0},
    {2, 3, 0, 0}, {0, 2, 3, 0}, {1, 2, 3, 0}, {0, 1, 2, 3},
};

/* Append i + j for the lanes j set in mask m to list[len..] (which has
 * room for four entries from len); returns the new length. */
AVX2 static inline size_t append4(uint32_t *list, size_t len, size_t i, unsigned m)
{
    __m128i v =
        _mm_add_epi32(_mm_set1_epi32((int)i), _mm_loadu_si128((const __m128i *)pack_lut[m]));
    _mm_storeu_si128((__m128i *)&list[len], v);
    return len + (size_t)__builtin_popcount(m);
}

/* lane j all ones where bit j of m is set */
AVX2 static inline __m256d mask4(unsigned m)
{
    __m256i bit = _mm256_set_epi64x(8, 4, 2, 1);
    __m256i v = _mm256_and_si256(_mm256_set1_epi64x((long long)m), bit);
    return _mm256_castsi256_pd(_mm256_cmpeq_epi64(v, bit));
}

/* two words used in the streams of the lanes set in m */
static inline void used2(poolsim_rng *s, unsigned m)
{
    s[0].left -= (m & 1u) << 1;
    s[1].left -= m & 2u;
    s[2].left -= m >> 1 & 2u;
    s[3].left -= m >> 2 & 2u;
}

/* four entries of list[c..c+m) (m <= 4; the last repeated) */
static inline void four_of(const uint32_t *list, size_t c, size_t m, uint32_t ix[4] /* OUT */)
{
    for (size_t j = 0; j < 4; j++) ix[j] = list[c + (j < m ? j : m - 1)];
}

/* After the log test of candidates ix[0..m): accepted lanes (acc) keep
 * their first try, rejected ones (rej) have used two words and are drawn
 * on by the scalar code, the others drawn again from their untouched
 * streams. Returns the new length of redo. */
static inline size_t after_test(const uint32_t ix[4], size_t m, int acc, int rej, poolsim_rng *r,
                                uint32_t *redo, size_t nr)
{
    for (size_t j = 0; j < m; j++) {
        unsigned aj = (unsigned)acc >> j & 1u, rj = (unsigned)rej >> j & 1u;
        r[ix[j]].left -= 2 * (aj | rj);
        redo[nr] = ix[j];
        nr += 1 - aj;
    }
    return nr;
}

/* poolsim_rng_refill for the streams r[list[0..n)], whose blocks are all
 * used up, four at a time (poolsim_philox4x32_x4, rng_avx2.h): the same
 * words as the scalar blocks.
 * A list shorter than a multiple of four repeats its last stream in the
 * unused lanes (computed, not stored). */
AVX2 static void refill_all(poolsim_rng *r, const uint32_t *list, size_t n)
{
    for (size_t c = 0; c < n; c += 4) {
        size_t m = n - c < 4 ? n - c : 4;
        uint32_t ix[4];
        four_of(list, c, m, ix);
        poolsim_rng *s0 = &r[ix[0]], *s1 = &r[ix[1]], *s2 = &r[ix[2]], *s3 = &r[ix[3]];
#define LANES(f) _mm256_set_epi64x(s3->f, s2->f, s1->f, s0->f)
        __m256i x01, x23;
        poolsim_philox4x32_x4(LANES(ctr[0]), LANES(ctr[1]), LANES(ctr[2]), LANES(ctr[3]),
                              LANES(key[0]), LANES(key[1]), &x01, &x23);
#undef LANES
        uint32_t out[16];
        poolsim_philox4x32_x4_store(x01, x23, out);
        poolsim_rng *sj[4] = {s0, s1, s2, s3};
        for (size_t j = 0; j < m; j++) { /* the first m are distinct */
            memcpy(sj[j]->buf, &out[4 * j], sizeof sj[j]->buf);
            sj[j]->ctr[3]++;
            sj[j]->left = 4;
        }
    }
}

/* poolsim_claims_streams four streams at a time: the counters (path,
 * kind << 24 | year[i], who[i], 0) of four consecutive streams in the
 * lanes, the blocks stored as poolsim_rng_refill stores them (a last group
 * of fewer than four repeats its last stream: computed and dropped). */
AVX2 static void streams_avx2(poolsim_rng *r, uint64_t seed, uint32_t path, const uint32_t *year,
                              const uint32_t *who, size_t n)
{
    const uint32_t k0 = (uint32_t)(seed & 0xffffffffu), k1 = (uint32_t)(seed >> 32);
    const __m128i kind = _mm_set1_epi32((int)((uint32_t)POOLSIM_STREAM_CLAIMS << 24));
    for (size_t i = 0; i < n; i += 4) {
        __m128i y, h;
        if (i + 4 <= n) {
            y = _mm_loadu_si128((const __m128i *)(const void *)&year[i]);
            h = _mm_loadu_si128((const __m128i *)(const void *)&who[i]);
        } else {
            uint32_t yb[4], hb[4];
            for (size_t j = 0; j < 4; j++) {
                yb[j] = year[i + j < n ? i + j : n - 1];
                hb[j] = who[i + j < n ? i + j : n - 1];
            }
            y = _mm_loadu_si128((const __m128i *)(const void *)yb);
            h = _mm_loadu_si128((const __m128i *)(const void *)hb);
        }
        y = _mm_or_si128(y, kind);
        __m256i x01, x23;
        poolsim_philox4x32_x4(_mm256_set1_epi64x(path), _mm256_cvtepu32_epi64(y),
                              _mm256_cvtepu32_epi64(h), _mm256_setzero_si256(),
                              _mm256_set1_epi64x(k0), _mm256_set1_epi64x(k1), &x01, &x23);
        uint32_t out[16], yv[4], hv[4];
        poolsim_philox4x32_x4_store(x01, x23, out);
        _mm_storeu_si128((__m128i *)(void *)yv, y);
        _mm_storeu_si128((__m128i *)(void *)hv, h);
        for (size_t j = 0; j < 4 && i + j < n; j++) {
            poolsim_rng *s = &r[i + j];
            s->ctr[0] = path;
            s->ctr[1] = yv[j];
            s->ctr[2] = hv[j];
            s->ctr[3] = 1;
            s->key[0] = k0;
            s->key[1] = k1;
            memcpy(s->buf, &out[4 * j], sizeof s->buf);
            s->left = 4;
        }
    }
}

AVX2 static void count_all_avx2(poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
    const __m256d half = _mm256_set1_pd(0.5), two = _mm256_set1_pd(2);
    const __m256d c043 = _mm256_set1_pd(0.43), c007 = _mm256_set1_pd(0.07);
    const __m256d c0013 = _mm256_set1_pd(0.013), k50 = _mm256_set1_pd(0x1p50);
    const __m256d zero = _mm256_setzero_pd(), ten = _mm256_set1_pd(10);
    const __m256d c0931 = _mm256_set1_pd(0.931), c253 = _mm256_set1_pd(2.53);
    const __m256d cm059 = _mm256_set1_pd(-0.059), c02483 = _mm256_set1_pd(0.02483);
    const __m256d c9277 = _mm256_set1_pd(0.9277), c36224 = _mm256_set1_pd(3.6224);
    const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    uint32_t redo[CHUNK], cand[CHUNK], empty[CHUNK];
    _Alignas(32) double cV[CHUNK], cus[CHUNK];
    _Alignas(32) double pmu[CHUNK], pb[CHUNK], pa[CHUNK], pk[CHUNK], pV[CHUNK], pus[CHUNK];
    _Alignas(32) double pD[CHUNK], pM[CHUNK];
    long nsq = 0, nacc = 0, nrej = 0, nnear = 0, nrefill = 0;
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t end = n - i0 < CHUNK ? n : i0 + CHUNK, i = i0, nr = 0, nc = 0;
        for (; i + 4 <= end; i += 4) {
            poolsim_claims_draw *g = &q[i];
            poolsim_rng *s = &r[i];
            __m256d mu = GET4(g, lambda), ey = GET4(g, m.ey);
            /* poolsim_claims_compound_prepare (`x > 10 ? x : 10` is maxpd,
             * 10 also for NaN) */
            __m256d b =
                _mm256_add_pd(c0931, _mm256_mul_pd(c253, _mm256_sqrt_pd(_mm256_max_pd(mu, ten))));
            __m256d a = _mm256_add_pd(cm059, _mm256_mul_pd(c02483, b));
            __m256d vr = _mm256_sub_pd(c9277, _mm256_div_pd(c36224, _mm256_sub_pd(b, two)));
            __m128i w0, w1;
            words4(s, &w0, &w1);
            /* PTRS step 1 (lanes with lambda >= 10 and EY > 0 take PTRS;
             * the others compute on their own values, not used) */
            __m256d U = _mm256_sub_pd(uniform4(w0), half);
            __m256d V = uniform4(w1);
            __m256d us = _mm256_sub_pd(half, _mm256_and_pd(U, absmask));
            __m256d t = _mm256_add_pd(_mm256_div_pd(_mm256_mul_pd(two, a), us), b);
            __m256d y = _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(t, U), mu), c043);
            /* for 0 <= y < 2^63 the scalar conversion to unsigned truncates,
             * which is floor; above, the scalar code calls floor. (y is never
             * -0: y = z + 0.43 is +0 when z = -0.43.) */
            __m256d k = _mm256_round_pd(y, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
            __m256d ptrs = _mm256_and_pd(_mm256_cmp_pd(mu, ten, _CMP_GE_OQ),
                                         _mm256_cmp_pd(ey, zero, _CMP_GT_OQ));
            int elig = _mm256_movemask_pd(ptrs) & two_left4(s);
            int neg = _mm256_movemask_pd(_mm256_cmp_pd(y, zero, _CMP_LT_OQ));
            /* step 2, the squeeze */
            int keep = elig & ~neg &
                       _mm256_movemask_pd(_mm256_and_pd(_mm256_cmp_pd(us, c007, _CMP_GE_OQ),
                                                        _mm256_cmp_pd(V, vr, _CMP_LE_OQ)));
            /* y < 0, or step 3: rejected */
            int rej = elig & ~keep &
                      (neg | _mm256_movemask_pd(_mm256_and_pd(_mm256_cmp_pd(us, c0013, _CMP_LT_OQ),
                                                              _mm256_cmp_pd(V, us, _CMP_GT_OQ))));
            /* step 4 in the log-test pass (k < 2^50: k + 1/2 exact) */
            int cnd = elig & ~keep & ~rej & _mm256_movemask_pd(_mm256_cmp_pd(k, k50, _CMP_LT_OQ));
            /* n: kept, or the candidate's k; a lane not kept is drawn again below */
            put4x4(&g[0].b, b, a, vr, k);
            _mm256_store_pd(&cV[i - i0], V);
            _mm256_store_pd(&cus[i - i0], us);
            used2(s, (unsigned)(keep | rej));
            nr = append4(redo, nr, i, 15u & ~(unsigned)(keep | cnd));
            nc = append4(cand, nc, i, (unsigned)cnd);
            nsq += __builtin_popcount((unsigned)keep);
        }
        for (; i < end; i++) {
            poolsim_claims_compound_prepare(&q[i]);
            redo[nr++] = (uint32_t)i;
        }
        /* the log tests: inputs packed, four at a time, then decided */
        for (size_t c = 0; c < nc; c++) {
            uint32_t ix = cand[c];
            pmu[c] = q[ix].lambda;
            pb[c] = q[ix].b;
            pa[c] = q[ix].a;
            pk[c] = q[ix].n;
            pV[c] = cV[ix - i0];
            pus[c] = cus[ix - i0];
        }
        for (size_t c = nc; c % 4; c++) {
            pmu[c] = pb[c] = pa[c] = 20;
            pk[c] = 20;
            pV[c] = pus[c] = 0.25;
        }
        for (size_t c = 0; c < nc; c += 4) {
            __m256d D, M;
            ptrs_test4(_mm256_load_pd(&pmu[c]), _mm256_load_pd(&pb[c]), _mm256_load_pd(&pa[c]),
                       _mm256_load_pd(&pV[c]), _mm256_load_pd(&pus[c]), _mm256_load_pd(&pk[c]), &D,
                       &M);
            _mm256_store_pd(&pD[c], D);
            _mm256_store_pd(&pM[c], M);
        }
        for (size_t c = 0; c < nc; c++) {
            uint32_t ix = cand[c];
            unsigned aj = pD[c] > pM[c], rj = pD[c] < -pM[c];
            r[ix].left -= 2 * (aj | rj);
            redo[nr] = ix;
            nr += 1 - aj;
            nacc += aj;
            nrej += rj;
            nnear += 1 - (aj | rj);
        }
        /* The scalar draws; then, for amount_all, the next blocks of the
         * streams they used up whose amount is drawn (a gamma variate, its
         * first word taken from that block): computed here four at a time
         * rather than one by one when the amount needs them (the same
         * blocks: refilling early changes no value). */
        size_t ne = 0;
        for (size_t j = 0; j < nr; j++) {
            uint32_t ix = redo[j];
            count_one(&q[ix], &r[ix]);
            empty[ne] = ix;
            ne += r[ix].left == 0 && q[ix].n != 0 && q[ix].m.vy > 0;
        }
        refill_all(r, empty, ne);
        nrefill += (long)ne;
    }
    if (simd_stats) {
        simd_stats->refill += nrefill;
        simd_stats->ptrs_squeeze += nsq;
        simd_stats->ptrs_accept += nacc;
        simd_stats->ptrs_reject += nrej;
        simd_stats->ptrs_near += nnear;
    }
}

#define Q4(f) _mm256_set_pd(q[ix[3]].f, q[ix[2]].f, q[ix[1]].f, q[ix[0]].f)
#define C4(a) _mm256_set_pd(a[ix[3] - i0], a[ix[2] - i0], a[ix[1] - i0], a[ix[0] - i0])
AVX2 static void amount_all_avx2(poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
    const __m256d one = _mm256_set1_pd(1), zero = _mm256_setzero_pd();
    const __m256d half = _mm256_set1_pd(0.5), c24 = _mm256_set1_pd(0x1p-24);
    const __m256d c0331 = _mm256_set1_pd(0.0331), nine = _mm256_set1_pd(9);
    const __m256d third = _mm256_set1_pd(1.0 / 3);
    const __m128i m127 = _mm_set1_epi32(127), m2 = _mm_set1_epi32(2), i1 = _mm_set1_epi32(1);
    const double *X = poolsim_rng_zig_x;
    uint32_t redo[CHUNK], cand[CHUNK];
    _Alignas(32) double cx2[CHUNK], cv[CHUNK], cu[CHUNK];
    long nsq = 0, nacc = 0, nrej = 0, nnear = 0, nrefill = 0;
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t end = n - i0 < CHUNK ? n : i0 + CHUNK, i = i0, nr = 0, nc = 0;
        for (; i + 4 <= end; i += 4) {
            poolsim_claims_draw *g = &q[i];
            poolsim_rng *s = &r[i];
            __m256d lam, ey, ey2, vy;
            get4x4(&g[0].lambda, &lam, &ey, &ey2, &vy);
            __m256d nn = GET4(g, n);
            /* poolsim_claims_compound_shape (`c ? x : y` is a blend) */
            __m256d pos = _mm256_cmp_pd(vy, zero, _CMP_GT_OQ);
            __m256d shape = _mm256_blendv_pd(
                one, _mm256_div_pd(_mm256_mul_pd(_mm256_mul_pd(nn, ey), ey), vy), pos);
            __m256d lt1 = _mm256_cmp_pd(shape, one, _CMP_LT_OQ);
            __m256d d =
                _mm256_sub_pd(_mm256_blendv_pd(shape, _mm256_add_pd(shape, one), lt1), third);
            __m256d c = _mm256_div_pd(one, _mm256_sqrt_pd(_mm256_mul_pd(nine, d)));
            /* 1/shape only where shape < 1 (seldom): the division is skipped
             * when no lane needs it */
            __m256d inv = _mm256_and_pd(lt1, _mm256_cmp_pd(shape, zero, _CMP_GT_OQ));
            __m256d ginv = _mm256_movemask_pd(inv)
                               ? _mm256_blendv_pd(zero, _mm256_div_pd(one, shape), inv)
                               : zero;
            __m256d sc = _mm256_blendv_pd(zero, _mm256_div_pd(vy, ey), pos);
            put4x4(&g[0].gd, d, c, ginv, sc);
            /* lanes whose amount is a gamma variate of shape >= 1 (no power
             * of a uniform after it) */
            __m256d ok = _mm256_and_pd(_mm256_cmp_pd(lam, zero, _CMP_GT_OQ),
                                       _mm256_cmp_pd(ey, zero, _CMP_GT_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(nn, zero, _CMP_NEQ_UQ));
            ok = _mm256_and_pd(ok, pos);
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(ginv, zero, _CMP_NGT_UQ));
            /* Such a lane draws a word first thing: a stream whose block
             * is used up (the count took two tries) gets its next block now
             * rather than in the scalar code (the same block: refilling
             * early changes nothing). */
            int draws = _mm256_movemask_pd(ok);
            int empty = (s[0].left == 0) | (s[1].left == 0) << 1 | (s[2].left == 0) << 2 |
                        (s[3].left == 0) << 3;
            if (draws & empty) {
                for (int j = 0; j < 4; j++)
                    if ((draws & empty) >> j & 1) poolsim_rng_refill(&s[j]);
                nrefill += __builtin_popcount((unsigned)(draws & empty));
            }
            __m128i w0, w1;
            words4(s, &w0, &w1);
            /* ziggurat normal: layer w & 127, sign bit 7, position w >> 8,
             * kept inside the layer's rectangle */
            __m128i li = _mm_and_si128(w0, m127);
            _Alignas(16) int32_t lj[4];
            _mm_store_si128((__m128i *)lj, li);
            __m256d xi = _mm256_set_pd(X[lj[3]], X[lj[2]], X[lj[1]], X[lj[0]]);
            __m256d xi1 = _mm256_set_pd(X[lj[3] + 1], X[lj[2] + 1], X[lj[1] + 1], X[lj[0] + 1]);
            __m256d jpos = _mm256_cvtepi32_pd(_mm_srli_epi32(w0, 8));
            __m256d x = _mm256_mul_pd(_mm256_mul_pd(_mm256_add_pd(jpos, half), c24), xi);
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(x, xi1, _CMP_LT_OQ));
            __m256d sgn =
                _mm256_cvtepi32_pd(_mm_sub_epi32(i1, _mm_and_si128(_mm_srli_epi32(w0, 6), m2)));
            x = _mm256_mul_pd(x, sgn);
            /* Marsaglia-Tsang: v = (1 + c x)^3 with 1 + c x > 0, squeeze
             * u < 1 - 0.0331 x^4 */
            __m256d v = _mm256_add_pd(one, _mm256_mul_pd(c, x));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(v, zero, _CMP_GT_OQ));
            v = _mm256_mul_pd(_mm256_mul_pd(v, v), v);
            __m256d u = uniform4(w1), x2 = _mm256_mul_pd(x, x);
            __m256d lim = _mm256_sub_pd(one, _mm256_mul_pd(_mm256_mul_pd(c0331, x2), x2));
            int first = _mm256_movemask_pd(ok) & two_left4(s);
            int keep = first & _mm256_movemask_pd(_mm256_cmp_pd(u, lim, _CMP_LT_OQ));
            int cnd = first & ~keep; /* to the log test */
            __m256d amt = _mm256_mul_pd(_mm256_mul_pd(d, v), sc);
            /* a lane not kept keeps its lambda (read by amount_one) */
            PUT4(g, lambda, _mm256_blendv_pd(lam, amt, mask4((unsigned)keep)));
            _mm256_store_pd(&cx2[i - i0], x2);
            _mm256_store_pd(&cv[i - i0], v);
            _mm256_store_pd(&cu[i - i0], u);
            used2(s, (unsigned)keep);
            nr = append4(redo, nr, i, 15u & ~(unsigned)(keep | cnd));
            nc = append4(cand, nc, i, (unsigned)cnd);
            nsq += __builtin_popcount((unsigned)keep);
        }
        for (; i < end; i++) {
            poolsim_claims_compound_shape(&q[i]);
            redo[nr++] = (uint32_t)i;
        }
        for (size_t c = 0; c < nc; c += 4) {
            size_t m = nc - c < 4 ? nc - c : 4;
            uint32_t ix[4];
            four_of(cand, c, m, ix);
            __m256d d = Q4(gd), v = C4(cv), D, M;
            mt_test4(d, C4(cx2), v, C4(cu), &D, &M);
            __m256d amt = _mm256_mul_pd(_mm256_mul_pd(d, v), Q4(scale));
            int acc, rej, lanes = (1 << m) - 1;
            decide4(D, M, &acc, &rej);
            acc &= lanes;
            rej &= lanes;
            double av[4];
            _mm256_storeu_pd(av, amt);
            for (size_t j = 0; j < m; j++)
                q[ix[j]].lambda = (acc >> j & 1) ? av[j] : q[ix[j]].lambda;
            nacc += __builtin_popcount((unsigned)acc);
            nrej += __builtin_popcount((unsigned)rej);
            nnear += (long)m - __builtin_popcount((unsigned)(acc | rej));
            nr = after_test(ix, m, acc, rej, r, redo, nr);
        }
#undef Q4
#undef C4
        for (size_t j = 0; j < nr; j++) amount_one(&q[redo[j]], &r[redo[j]]);
    }
    if (simd_stats) {
        simd_stats->mt_squeeze += nsq;
        simd_stats->mt_accept += nacc;
        simd_stats->mt_reject += nrej;
        simd_stats->mt_near += nnear;
        simd_stats->refill += nrefill;
    }
}

AVX2 static void log_avx2(const double *x, double *y, size_t n)
{
    size_t i = 0;
    for (; i + 4 <= n; i += 4) _mm256_storeu_pd(&y[i], log4(_mm256_loadu_pd(&x[i])));
    if (i < n) {
        double xb[4] = {1, 1, 1, 1}, yb[4];
        memcpy(xb, &x[i], (n - i) * sizeof *x);
        _mm256_storeu_pd(yb, log4(_mm256_loadu_pd(xb)));
        memcpy(&y[i], yb, (n - i) * sizeof *y);
    }
}

AVX2 static void ptrs_test1(double mu, double b, double a, double V, double us, double k, double *D,
                            double *M)
{
    __m256d d4, m4;
    ptrs_test4(_mm256_set1_pd(mu), _mm256_set1_pd(b), _mm256_set1_pd(a), _mm256_set1_pd(V),
               _mm256_set1_pd(us), _mm256_set1_pd(k), &d4, &m4);
    *D = _mm256_cvtsd_f64(d4);
    *M = _mm256_cvtsd_f64(m4);
}

AVX2 static void mt_test1(double d, double x2, double v, double u, double *D, double *M)
{
    __m256d d4, m4;
    mt_test4(_mm256_set1_pd(d), _mm256_set1_pd(x2), _mm256_set1_pd(v), _mm256_set1_pd(u), &d4, &m4);
    *D = _mm256_cvtsd_f64(d4);
    *M = _mm256_cvtsd_f64(m4);
}
#endif

void poolsim_claims_streams(poolsim_rng *r, uint64_t seed, uint32_t path, const uint32_t *year,
                            const uint32_t *who, size_t n)
{
#if POOLSIM_CLAIMS_AVX2
    if (simd_level) {
        streams_avx2(r, seed, path, year, who, n);
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) {
        poolsim_rng_set(&r[i], seed, path, POOLSIM_STREAM_CLAIMS, year[i], who[i]);
        poolsim_rng_refill(&r[i]);
    }
}

void poolsim_claims_year_streams(poolsim_rng *r, uint64_t seed, uint32_t path, uint32_t who, int T)
{
    enum { G = 16 };
    uint32_t year[G], wh[G];
    for (int t0 = 0; t0 < T; t0 += G) {
        int m = T - t0 < G ? T - t0 : G;
        for (int j = 0; j < m; j++) year[j] = (uint32_t)(t0 + j + 1), wh[j] = who;
        poolsim_claims_streams(&r[t0], seed, path, year, wh, (size_t)m);
    }
}

int poolsim_claims_simd_log(const double *x, double *y, size_t n)
{
#if POOLSIM_CLAIMS_AVX2
    if (__builtin_cpu_supports("avx2")) {
        log_avx2(x, y, n);
        return 1;
    }
#endif
    (void)x, (void)y, (void)n;
    return 0;
}

int poolsim_claims_simd_ptrs_test(double mu, double b, double a, double V, double us, double k,
                                  double *D, double *M)
{
#if POOLSIM_CLAIMS_AVX2
    if (__builtin_cpu_supports("avx2")) {
        ptrs_test1(mu, b, a, V, us, k, D, M);
        return 1;
    }
#endif
    (void)mu, (void)b, (void)a, (void)V, (void)us, (void)k, (void)D, (void)M;
    return 0;
}

int poolsim_claims_simd_mt_test(double d, double x2, double v, double u, double *D, double *M)
{
#if POOLSIM_CLAIMS_AVX2
    if (__builtin_cpu_supports("avx2")) {
        mt_test1(d, x2, v, u, D, M);
        return 1;
    }
#endif
    (void)d, (void)x2, (void)v, (void)u, (void)D, (void)M;
    return 0;
}

void poolsim_claims_compound_count_all(poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
#if POOLSIM_CLAIMS_AVX2
    if (simd_level) {
        count_all_avx2(q, r, n);
        return;
    }
#endif
    prepare_all(q, n);
    for (size_t i = 0; i < n; i++) count_one(&q[i], &r[i]);
}

void poolsim_claims_compound_amount_all(poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
#if POOLSIM_CLAIMS_AVX2
    if (simd_level) {
        amount_all_avx2(q, r, n);
        return;
    }
#endif
    shape_all(q, n);
    for (size_t i = 0; i < n; i++) amount_one(&q[i], &r[i]);
}

/* ---- Aggregate claims (MODEL.md section 3 table) ----------------------- */

double poolsim_claims_aggregate(int mode, double lambda, const poolsim_claims_moments *m,
                                poolsim_rng *r)
{
    switch (mode) {
    case POOLSIM_NOISE_NONE: return lambda * m->ey;
    case POOLSIM_NOISE_NORMAL: {
        double z = poolsim_rng_normal(r);
        return fmax(0.0, lambda * m->ey + sqrt(lambda * m->ey2) * z);
    }
    default: /* POOLSIM_NOISE_COMPOUND */ break;
    }
    if (!(lambda > 0) || !(m->ey > 0)) return 0.0;
    poolsim_claims_draw q = {.lambda = lambda, .m = *m};
    poolsim_claims_compound_prepare(&q);
    poolsim_claims_compound_count(&q, r);
    poolsim_claims_compound_shape(&q);
    return poolsim_claims_compound_amount(&q, r);
}
