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
 * root are correctly rounded in both), so it is the same double. A draw
 * whose first try is not kept, or which needs another path (lambda < 10,
 * shape < 1, VY = 0, fewer than two words left in the block), is drawn by
 * the scalar code from its untouched stream: the same words in the same
 * order. So the results are bit for bit those of the scalar loops; the
 * unit test "AVX2 compound draws equal the scalar ones" compares both on
 * random parameters. POOLSIM_SIMD=0 in the environment (read once, before
 * main) or poolsim_claims_simd(0) selects the scalar loops. */

static int simd_level; /* 0: scalar loops, 1: AVX2 first tries */

__attribute__((constructor)) static void simd_init(void)
{
#if POOLSIM_CLAIMS_AVX2
    __builtin_cpu_init();
    simd_level = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    const char *e = getenv("POOLSIM_SIMD");
    if (e && strcmp(e, "0") == 0) simd_level = 0;
}

int poolsim_claims_simd(int on)
{
    int was = simd_level;
    if (on >= 0) {
        simd_level = 0;
#if POOLSIM_CLAIMS_AVX2
        if (on && __builtin_cpu_supports("avx2")) simd_level = 1;
#endif
    }
    return was;
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
#define GET4(g, f)    _mm256_set_pd((g)[3].f, (g)[2].f, (g)[1].f, (g)[0].f)

/* The lanes kept (bit j of keep: lane j) have used two words of their
 * streams s[j]; the others are listed in redo[nr..], to be drawn again by
 * the scalar code. Returns the new length of the list. */
static inline size_t keep_lanes(int keep, size_t i, poolsim_rng *s, uint32_t *redo, size_t nr)
{
    for (int j = 0; j < 4; j++) {
        unsigned kj = (unsigned)keep >> j & 1u;
        s[j].left -= 2 * kj;
        redo[nr] = (uint32_t)(i + (size_t)j);
        nr += 1 - kj;
    }
    return nr;
}

/* Draws of a chunk are taken in two passes: the first tries of all (four
 * at a time, no branch on their outcome), then the scalar code for the
 * draws whose first try was not kept, listed in `redo`. */
#define CHUNK 256

AVX2 static void count_all_avx2(poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
    const __m256d half = _mm256_set1_pd(0.5), two = _mm256_set1_pd(2);
    const __m256d c043 = _mm256_set1_pd(0.43), c007 = _mm256_set1_pd(0.07);
    const __m256d zero = _mm256_setzero_pd(), ten = _mm256_set1_pd(10);
    const __m256d c0931 = _mm256_set1_pd(0.931), c253 = _mm256_set1_pd(2.53);
    const __m256d cm059 = _mm256_set1_pd(-0.059), c02483 = _mm256_set1_pd(0.02483);
    const __m256d c9277 = _mm256_set1_pd(0.9277), c36224 = _mm256_set1_pd(3.6224);
    const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    uint32_t redo[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t end = n - i0 < CHUNK ? n : i0 + CHUNK, i = i0, nr = 0;
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
            PUT4(g, b, b);
            PUT4(g, a, a);
            PUT4(g, vr, vr);
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
            __m256d ok = _mm256_and_pd(_mm256_cmp_pd(mu, ten, _CMP_GE_OQ),
                                       _mm256_cmp_pd(ey, zero, _CMP_GT_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(y, zero, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(us, c007, _CMP_GE_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(V, vr, _CMP_LE_OQ));
            int keep = _mm256_movemask_pd(ok) & two_left4(s);
            double kk[4];
            _mm256_storeu_pd(kk, k);
            for (int j = 0; j < 4; j++) g[j].n = kk[j]; /* a lane not kept is drawn again below */
            nr = keep_lanes(keep, i, s, redo, nr);
        }
        for (; i < end; i++) {
            poolsim_claims_compound_prepare(&q[i]);
            redo[nr++] = (uint32_t)i;
        }
        for (size_t j = 0; j < nr; j++) count_one(&q[redo[j]], &r[redo[j]]);
    }
}

AVX2 static void amount_all_avx2(poolsim_claims_draw *q, poolsim_rng *r, size_t n)
{
    const __m256d one = _mm256_set1_pd(1), zero = _mm256_setzero_pd();
    const __m256d half = _mm256_set1_pd(0.5), c24 = _mm256_set1_pd(0x1p-24);
    const __m256d c0331 = _mm256_set1_pd(0.0331), nine = _mm256_set1_pd(9);
    const __m256d third = _mm256_set1_pd(1.0 / 3);
    const __m128i m127 = _mm_set1_epi32(127), m2 = _mm_set1_epi32(2), i1 = _mm_set1_epi32(1);
    const double *X = poolsim_rng_zig_x;
    uint32_t redo[CHUNK];
    for (size_t i0 = 0; i0 < n; i0 += CHUNK) {
        size_t end = n - i0 < CHUNK ? n : i0 + CHUNK, i = i0, nr = 0;
        for (; i + 4 <= end; i += 4) {
            poolsim_claims_draw *g = &q[i];
            poolsim_rng *s = &r[i];
            __m256d lam = GET4(g, lambda), ey = GET4(g, m.ey), vy = GET4(g, m.vy);
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
            PUT4(g, gd, d);
            PUT4(g, gc, c);
            PUT4(g, ginv, ginv);
            PUT4(g, scale, sc);
            __m128i w0, w1;
            words4(s, &w0, &w1);
            /* lanes whose amount is a gamma variate of shape >= 1 (no power
             * of a uniform after it) */
            __m256d ok = _mm256_and_pd(_mm256_cmp_pd(lam, zero, _CMP_GT_OQ),
                                       _mm256_cmp_pd(ey, zero, _CMP_GT_OQ));
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(nn, zero, _CMP_NEQ_UQ));
            ok = _mm256_and_pd(ok, pos);
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(ginv, zero, _CMP_NGT_UQ));
            /* ziggurat normal: layer w & 127, sign bit 7, position w >> 8,
             * kept inside the layer's rectangle */
            __m128i li = _mm_and_si128(w0, m127);
            __m256d xi = _mm256_i32gather_pd(X, li, 8);
            __m256d xi1 = _mm256_i32gather_pd(X, _mm_add_epi32(li, i1), 8);
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
            ok = _mm256_and_pd(ok, _mm256_cmp_pd(u, lim, _CMP_LT_OQ));
            __m256d amt = _mm256_mul_pd(_mm256_mul_pd(d, v), sc);
            int keep = _mm256_movemask_pd(ok) & two_left4(s);
            double av[4];
            _mm256_storeu_pd(av, amt);
            /* a lane not kept keeps its lambda (read by amount_one) */
            for (int j = 0; j < 4; j++) g[j].lambda = (keep >> j & 1) ? av[j] : g[j].lambda;
            nr = keep_lanes(keep, i, s, redo, nr);
        }
        for (; i < end; i++) {
            poolsim_claims_compound_shape(&q[i]);
            redo[nr++] = (uint32_t)i;
        }
        for (size_t j = 0; j < nr; j++) amount_one(&q[redo[j]], &r[redo[j]]);
    }
}
#endif

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
