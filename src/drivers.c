/* poolsim: the stochastic drivers of one path (MODEL.md section 4).
 *
 * Each driver draws from its own sub-stream (rng.h), reset before use:
 *   ECONOMY     (year t >= 2):       z1, z2 -> eps_pi = z1,
 *                                     eps_w = corr z1 + sqrt(1 - corr^2) z2
 *   UTIL_COMMON (year t >= 1):       z[t]
 *   UTIL_COUNTY (year t >= 1, who):  e[c,t], who = poolsim_rng_who(county id)
 *   EPIDEMIC    (year t >= 1):       u, then one normal, both always drawn,
 *                                     so changing `prob` leaves the size of
 *                                     an epidemic unchanged (common random
 *                                     numbers across scenarios).
 * All normals are poolsim_rng_normal (ziggurat). A driver whose sd is 0 is
 * exactly deterministic: pi[t] = mean, P[t] = prod (1 + mean), U = exp(0) = 1,
 * J = mean in an epidemic year. */
#include "poolsim/drivers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DRIVERS_AVX2 1
#include <immintrin.h>
#else
#define DRIVERS_AVX2 0
#endif

#include "poolsim/rng.h"

/* A path's sub-streams in the workspace (c1, c2, blk): the county
 * utilisation streams year-major, then the common utilisation and the
 * epidemic streams of years 1..T, then the economy streams of years
 * 2..T. */
#define STREAM_COUNTY(d, y, c) ((size_t)((y)-1) * (size_t)(d)->C + (size_t)(c))
#define STREAM_COMMON(d, y)    ((size_t)(d)->T * (size_t)(d)->C + (size_t)((y)-1))
#define STREAM_EPIDEMIC(d, y)  (STREAM_COMMON(d, y) + (size_t)(d)->T)
#define STREAM_ECONOMY(d, y)   (STREAM_COMMON(d, y) + 2 * (size_t)(d)->T - 1)
#define STREAMS(d)             STREAM_ECONOMY(d, (d)->T + 1)

poolsim_drivers *poolsim_drivers_alloc(const poolsim_scenario *s)
{
    int T = s->horizon_years, C = s->ncounties;
    if (T < 1 || C < 0) return NULL;
    poolsim_drivers *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->T = T;
    d->C = C;
    size_t t = (size_t)T, c = (size_t)C;
    d->P = malloc(t * sizeof *d->P);
    d->W = malloc(t * sizeof *d->W);
    d->J = malloc(t * sizeof *d->J);
    d->U = malloc((c * t > 0 ? c * t : 1) * sizeof *d->U);
    d->x = malloc((c > 0 ? c : 1) * sizeof *d->x);
    d->who = malloc((c > 0 ? c : 1) * sizeof *d->who);
    size_t ns = c * t + 3 * t - 1; /* sub-streams of a path (see STREAM_*) */
    d->c1 = malloc(ns * sizeof *d->c1);
    d->c2 = malloc(ns * sizeof *d->c2);
    d->blk = malloc(ns * 4 * sizeof *d->blk);
    if (!d->P || !d->W || !d->J || !d->U || !d->x || !d->who || !d->c1 || !d->c2 || !d->blk) {
        poolsim_drivers_free(d);
        return NULL;
    }
    for (int i = 0; i < C; i++) d->who[i] = poolsim_rng_who(s->counties[i].id, NULL, NULL);
    /* counter words 1 and 2 of each sub-stream (as poolsim_rng_set) */
    for (int y = 1; y <= T; y++) {
        for (int i = 0; i < C; i++) {
            d->c1[STREAM_COUNTY(d, y, i)] =
                (uint32_t)POOLSIM_STREAM_UTIL_COUNTY << 24 | (uint32_t)y;
            d->c2[STREAM_COUNTY(d, y, i)] = d->who[i];
        }
        d->c1[STREAM_COMMON(d, y)] = (uint32_t)POOLSIM_STREAM_UTIL_COMMON << 24 | (uint32_t)y;
        d->c2[STREAM_COMMON(d, y)] = 0;
        d->c1[STREAM_EPIDEMIC(d, y)] = (uint32_t)POOLSIM_STREAM_EPIDEMIC << 24 | (uint32_t)y;
        d->c2[STREAM_EPIDEMIC(d, y)] = 0;
        if (y >= 2) {
            d->c1[STREAM_ECONOMY(d, y)] = (uint32_t)POOLSIM_STREAM_ECONOMY << 24 | (uint32_t)y;
            d->c2[STREAM_ECONOMY(d, y)] = 0;
        }
    }
    return d;
}

void poolsim_drivers_free(poolsim_drivers *d)
{
    if (!d) return;
    free(d->P);
    free(d->W);
    free(d->J);
    free(d->U);
    free(d->x);
    free(d->who);
    free(d->c1);
    free(d->c2);
    free(d->blk);
    free(d);
}

/* ---- first blocks ----------------------------------------------------------
 *
 * The first Philox block of each of a path's sub-streams is computed at
 * once, before any draw (their counters differ from one path to the next
 * only in the path, so the other counter words are a per-run table): four
 * at a time with AVX2 when the processor has it (unless POOLSIM_SIMD=0,
 * as for the claims' samplers, or poolsim_drivers_simd(0)), else one by
 * one. Either way the same words as
 * poolsim_rng_refill's; a draw that needs more words goes on from there
 * (stream_at). */

static int simd_on; /* 1: AVX2 blocks */

__attribute__((constructor)) static void simd_init(void)
{
#if DRIVERS_AVX2
    __builtin_cpu_init();
    simd_on = __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    const char *e = getenv("POOLSIM_SIMD");
    if (e && strcmp(e, "0") == 0) simd_on = 0;
}

int poolsim_drivers_simd(int on)
{
    int was = simd_on;
    if (on >= 0) {
        simd_on = 0;
#if DRIVERS_AVX2
        if (on && __builtin_cpu_supports("avx2")) simd_on = 1;
#endif
    }
    return was;
}

#if DRIVERS_AVX2
/* Philox4x32-10 (rng.h) of the counters (path, c1[i], c2[i], 0), i < n,
 * in the 64-bit lanes of AVX2 registers (_mm256_mul_epu32 multiplies the
 * low words; the high words of the other lanes are don't-cares that no
 * product or result reads); out[4 i + j] = word j. n a multiple of 4. */
__attribute__((target("avx2"))) static void blocks_avx2(uint32_t path, const uint32_t *key,
                                                        const uint32_t *c1, const uint32_t *c2,
                                                        size_t n, uint32_t *out)
{
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
    const __m256i w0 = _mm256_set1_epi64x(0x9E3779B9), w1 = _mm256_set1_epi64x(0xBB67AE85);
    const __m256i lo32 = _mm256_set1_epi64x(0xffffffff);
    for (size_t i = 0; i < n; i += 4) {
        __m256i c0 = _mm256_set1_epi64x(path), c3 = _mm256_setzero_si256();
        __m256i a1 = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)&c1[i]));
        __m256i a2 = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)&c2[i]));
        __m256i k0 = _mm256_set1_epi64x(key[0]), k1 = _mm256_set1_epi64x(key[1]);
        for (int r = 0; r < 10; r++) {
            __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(a2, m1);
            __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), a1), k0);
            __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), k1);
            a1 = p1;
            c3 = p0;
            c0 = n0;
            a2 = n2;
            k0 = _mm256_add_epi64(k0, w0);
            k1 = _mm256_add_epi64(k1, w1);
        }
        /* words (c0, a1, a2, c3) of lane j: the low halves, transposed */
        __m256i a = _mm256_or_si256(_mm256_and_si256(c0, lo32), _mm256_slli_epi64(a1, 32));
        __m256i b = _mm256_or_si256(_mm256_and_si256(a2, lo32), _mm256_slli_epi64(c3, 32));
        __m256i x01 = _mm256_unpacklo_epi64(a, b), x23 = _mm256_unpackhi_epi64(a, b);
        /* x01 = lanes 0 and 2, x23 = lanes 1 and 3 (128 bits each) */
        _mm256_storeu2_m128i((__m128i *)&out[4 * i + 8], (__m128i *)&out[4 * i], x01);
        _mm256_storeu2_m128i((__m128i *)&out[4 * i + 12], (__m128i *)&out[4 * i + 4], x23);
    }
}
#endif

static void blocks(uint32_t path, const uint32_t *key, const uint32_t *c1, const uint32_t *c2,
                   size_t n, uint32_t *out)
{
#if DRIVERS_AVX2
    if (simd_on) {
        blocks_avx2(path, key, c1, c2, n & ~(size_t)3, out);
        for (size_t i = n & ~(size_t)3; i < n; i++) {
            uint32_t ctr[4] = {path, c1[i], c2[i], 0};
            poolsim_philox4x32(ctr, key, &out[4 * i]);
        }
        return;
    }
#endif
    for (size_t i = 0; i < n; i++) {
        uint32_t ctr[4] = {path, c1[i], c2[i], 0};
        poolsim_philox4x32(ctr, key, &out[4 * i]);
    }
}

/* r positioned on sub-stream i of the path just after its first block
 * was computed: as poolsim_rng_set and poolsim_rng_refill would leave it. */
static void stream_at(poolsim_rng *r, const poolsim_drivers *d, uint32_t path, const uint32_t *key,
                      size_t i)
{
    *r = (poolsim_rng){{path, d->c1[i], d->c2[i], 1},
                       {key[0], key[1]},
                       {d->blk[4 * i], d->blk[4 * i + 1], d->blk[4 * i + 2], d->blk[4 * i + 3]},
                       4};
}

/* The first normal of the sub-stream (path, c1, c2) whose first block is
 * blk: poolsim_rng_normal's value, the stream continued from blk when the
 * ziggurat needs more words. */
static inline double first_normal(uint32_t path, const uint32_t *key, uint32_t c1, uint32_t c2,
                                  const uint32_t *blk)
{
    uint32_t w = blk[0], i = w & 127u;
    double x = ((double)(w >> 8) + 0.5) * 0x1p-24 * poolsim_rng_zig_x[i];
    if (x < poolsim_rng_zig_x[i + 1]) return x * (double)(1 - (int)(w >> 6 & 2u));
    poolsim_rng r = {{path, c1, c2, 1}, {key[0], key[1]}, {blk[0], blk[1], blk[2], blk[3]}, 3};
    return poolsim_rng_normal_slow(&r, w);
}

/* Price and wage indices: pi[1] = mean, P[1] = 1; for t >= 2
 * pi[t] = mean + ar1 (pi[t-1] - mean) + sd eps[t], P[t] = P[t-1] (1 + pi[t]). */
static void draw_economy(const poolsim_scenario *s, uint32_t path, const uint32_t *key,
                         poolsim_rng *r, poolsim_drivers *d)
{
    const poolsim_ar1 *mp = &s->medical_inflation, *wp = &s->wage_growth;
    double corr = s->wage_inflation_corr;
    double corr_c = sqrt(fmax(0.0, 1 - corr * corr));
    double pi = mp->mean, g = wp->mean;
    d->P[0] = 1;
    d->W[0] = 1;
    for (int t = 2; t <= d->T; t++) {
        stream_at(r, d, path, key, STREAM_ECONOMY(d, t));
        double z1 = poolsim_rng_normal(r);
        double z2 = poolsim_rng_normal(r);
        double eps_w = corr * z1 + corr_c * z2;
        pi = mp->mean + mp->ar1 * (pi - mp->mean) + mp->sd * z1;
        g = wp->mean + wp->ar1 * (g - wp->mean) + wp->sd * eps_w;
        d->P[t - 1] = d->P[t - 2] * (1 + pi);
        d->W[t - 1] = d->W[t - 2] * (1 + g);
    }
}

/* Utilisation: x[c,0] = 0,
 * x[c,t] = ar1 x[c,t-1] + sd (sqrt(rho) z[t] + sqrt(1-rho) e[c,t]),
 * U[c,t] = exp(x[c,t] - v[t]/2), v[t] = sd^2 sum_{j<t} ar1^(2j)
 * (= ar1^2 v[t-1] + sd^2), so E[U[c,t]] = 1. */
static void draw_utilisation(const poolsim_scenario *s, uint32_t path, const uint32_t *key,
                             poolsim_rng *r, poolsim_drivers *d)
{
    double ar1 = s->utilisation.ar1, sd = s->utilisation.sd, rho = s->utilisation.rho;
    double wc = sqrt(rho), wi = sqrt(1 - rho);
    double v = 0;
    int T = d->T, C = d->C;
    for (int c = 0; c < C; c++) d->x[c] = 0;
    for (int t = 1; t <= T; t++) {
        v = ar1 * ar1 * v + sd * sd;
        stream_at(r, d, path, key, STREAM_COMMON(d, t));
        double z = poolsim_rng_normal(r);
        for (int c = 0; c < C; c++) {
            size_t i = STREAM_COUNTY(d, t, c);
            double e = first_normal(path, key, d->c1[i], d->c2[i], &d->blk[4 * i]);
            d->x[c] = ar1 * d->x[c] + sd * (wc * z + wi * e);
            d->U[c * T + t - 1] = exp(d->x[c] - 0.5 * v);
        }
    }
}

/* Epidemic: J[t] = lognormal with mean `mean` and sd `sd` when u < prob,
 * else 1; s^2 = ln(1 + (sd/mean)^2), m = ln(mean) - s^2/2. */
static void draw_epidemic(const poolsim_scenario *s, uint32_t path, const uint32_t *key,
                          poolsim_rng *r, poolsim_drivers *d)
{
    double prob = s->epidemic.prob, mean = s->epidemic.mean, sd = s->epidemic.sd;
    double cv = sd / mean;
    double s2 = log1p(cv * cv), sl = sqrt(s2), m = log(mean) - 0.5 * s2;
    for (int t = 1; t <= d->T; t++) {
        stream_at(r, d, path, key, STREAM_EPIDEMIC(d, t));
        double u = poolsim_rng_uniform(r);
        double z = poolsim_rng_normal(r);
        if (u < prob)
            d->J[t - 1] = sd > 0 ? exp(m + sl * z) : mean;
        else
            d->J[t - 1] = 1;
    }
}

void poolsim_drivers_draw_seed(const poolsim_scenario *s, unsigned long long seed, uint32_t path,
                               poolsim_rng *r, poolsim_drivers *d /* OUT */)
{
    uint32_t key[2] = {(uint32_t)(seed & 0xffffffffu), (uint32_t)(seed >> 32)};
    blocks(path, key, d->c1, d->c2, STREAMS(d), d->blk);
    draw_economy(s, path, key, r, d);
    draw_utilisation(s, path, key, r, d);
    draw_epidemic(s, path, key, r, d);
}

void poolsim_drivers_draw(const poolsim_scenario *s, uint32_t path, poolsim_rng *r,
                          poolsim_drivers *d /* OUT */)
{
    poolsim_drivers_draw_seed(s, s->seed, path, r, d);
}
