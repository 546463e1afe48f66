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

#include "poolsim/rng_avx2.h"
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
static int exp_on;  /* 1: exp four at a time (exp_all) */
static int exp_ok;  /* 1: the processor has AVX2 and FMA and exp_check passed */

#if DRIVERS_AVX2
static int exp_check(void);
#endif

__attribute__((constructor)) static void simd_init(void)
{
#if DRIVERS_AVX2
    exp_ok = poolsim_cpu_avx2() && __builtin_cpu_supports("fma") && exp_check();
#endif
    simd_on = DRIVERS_AVX2 && poolsim_simd_default();
    exp_on = simd_on && exp_ok;
}

int poolsim_drivers_simd(int on)
{
    int was = simd_on;
    if (on >= 0) {
        simd_on = DRIVERS_AVX2 && on && poolsim_cpu_avx2();
        exp_on = simd_on && exp_ok;
    }
    return was;
}

#if DRIVERS_AVX2
/* Philox4x32-10 (rng.h) of the counters (path, c1[i], c2[i], 0), i < n,
 * four at a time (poolsim_philox4x32_x4, rng_avx2.h); out[4 i + j] = word
 * j. n a multiple of 4. */
__attribute__((target("avx2"))) static void blocks_avx2(uint32_t path, const uint32_t *key,
                                                        const uint32_t *c1, const uint32_t *c2,
                                                        size_t n, uint32_t *out)
{
    for (size_t i = 0; i < n; i += 4) {
        __m256i a1 = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)&c1[i]));
        __m256i a2 = _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)&c2[i]));
        __m256i x01, x23;
        poolsim_philox4x32_x4(_mm256_set1_epi64x(path), a1, a2, _mm256_setzero_si256(),
                              _mm256_set1_epi64x(key[0]), _mm256_set1_epi64x(key[1]), &x01, &x23);
        poolsim_philox4x32_x4_store(x01, x23, &out[4 * i]);
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
    uint32_t w = blk[0];
    double x;
    if (poolsim_rng_normal_fast(w, &x)) return x;
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

/* ---- exp four at a time ------------------------------------------------------
 *
 * U = exp(x) for a path's C T utilisation values, four at a time with
 * AVX2 and FMA, computed exactly as the C library's exp computes it
 * (glibc 2.28 and later on FMA processors, which take the exp of ARM's
 * optimized routines): k = round(128 x / ln 2) = 128 i + j (by adding
 * 1.5 2^52), r = x - k ln2/128 (two FMAs, ln2/128 split in two), and
 * exp(x) = 2^i H[j] (1 + T[j] + r + r^2 (C2 + r C3) + r^4 (C4 + r C5)),
 * H[j] the double nearest 2^(j/128), T[j] the rest relative to it (the
 * table below, printed by scripts/gen-exp-table.py from 80-digit
 * arithmetic: word for word glibc's), C2..C5 glibc's polynomial; every
 * operation and FMA as glibc's, so the same bits. Values outside
 * 2^-54 <= |x| < 512 (glibc's other branches, e.g. x = 0) are passed to
 * exp itself. The lanes are used only if the C library's exp gives the
 * same bits on a check of 4,096 points spread over every j (exp_check);
 * else, or without AVX2 and FMA, or with
 * POOLSIM_SIMD=0, exp is called for each value. */

static const uint64_t exp_tab[256] = {
    0x0000000000000000, 0x3ff0000000000000, 0x3c9b3b4f1a88bf6e, 0x3feff63da9fb3335,
    0xbc7160139cd8dc5d, 0x3fefec9a3e778061, 0xbc905e7a108766d1, 0x3fefe315e86e7f85,
    0x3c8cd2523567f613, 0x3fefd9b0d3158574, 0xbc8bce8023f98efa, 0x3fefd06b29ddf6de,
    0x3c60f74e61e6c861, 0x3fefc74518759bc8, 0x3c90a3e45b33d399, 0x3fefbe3ecac6f383,
    0x3c979aa65d837b6d, 0x3fefb5586cf9890f, 0x3c8eb51a92fdeffc, 0x3fefac922b7247f7,
    0x3c3ebe3d702f9cd1, 0x3fefa3ec32d3d1a2, 0xbc6a033489906e0b, 0x3fef9b66affed31b,
    0xbc9556522a2fbd0e, 0x3fef9301d0125b51, 0xbc5080ef8c4eea55, 0x3fef8abdc06c31cc,
    0xbc91c923b9d5f416, 0x3fef829aaea92de0, 0x3c80d3e3e95c55af, 0x3fef7a98c8a58e51,
    0xbc801b15eaa59348, 0x3fef72b83c7d517b, 0xbc8f1ff055de323d, 0x3fef6af9388c8dea,
    0x3c8b898c3f1353bf, 0x3fef635beb6fcb75, 0xbc96d99c7611eb26, 0x3fef5be084045cd4,
    0x3c9aecf73e3a2f60, 0x3fef54873168b9aa, 0xbc8fe782cb86389d, 0x3fef4d5022fcd91d,
    0x3c8a6f4144a6c38d, 0x3fef463b88628cd6, 0x3c807a05b0e4047d, 0x3fef3f49917ddc96,
    0x3c968efde3a8a894, 0x3fef387a6e756238, 0x3c875e18f274487d, 0x3fef31ce4fb2a63f,
    0x3c80472b981fe7f2, 0x3fef2b4565e27cdd, 0xbc96b87b3f71085e, 0x3fef24dfe1f56381,
    0x3c82f7e16d09ab31, 0x3fef1e9df51fdee1, 0xbc3d219b1a6fbffa, 0x3fef187fd0dad990,
    0x3c8b3782720c0ab4, 0x3fef1285a6e4030b, 0x3c6e149289cecb8f, 0x3fef0cafa93e2f56,
    0x3c834d754db0abb6, 0x3fef06fe0a31b715, 0x3c864201e2ac744c, 0x3fef0170fc4cd831,
    0x3c8fdd395dd3f84a, 0x3feefc08b26416ff, 0xbc86a3803b8e5b04, 0x3feef6c55f929ff1,
    0xbc924aedcc4b5068, 0x3feef1a7373aa9cb, 0xbc9907f81b512d8e, 0x3feeecae6d05d866,
    0xbc71d1e83e9436d2, 0x3feee7db34e59ff7, 0xbc991919b3ce1b15, 0x3feee32dc313a8e5,
    0x3c859f48a72a4c6d, 0x3feedea64c123422, 0xbc9312607a28698a, 0x3feeda4504ac801c,
    0xbc58a78f4817895b, 0x3feed60a21f72e2a, 0xbc7c2c9b67499a1b, 0x3feed1f5d950a897,
    0x3c4363ed60c2ac11, 0x3feece086061892d, 0x3c9666093b0664ef, 0x3feeca41ed1d0057,
    0x3c6ecce1daa10379, 0x3feec6a2b5c13cd0, 0x3c93ff8e3f0f1230, 0x3feec32af0d7d3de,
    0x3c7690cebb7aafb0, 0x3feebfdad5362a27, 0x3c931dbdeb54e077, 0x3feebcb299fddd0d,
    0xbc8f94340071a38e, 0x3feeb9b2769d2ca7, 0xbc87deccdc93a349, 0x3feeb6daa2cf6642,
    0xbc78dec6bd0f385f, 0x3feeb42b569d4f82, 0xbc861246ec7b5cf6, 0x3feeb1a4ca5d920f,
    0x3c93350518fdd78e, 0x3feeaf4736b527da, 0x3c7b98b72f8a9b05, 0x3feead12d497c7fd,
    0x3c9063e1e21c5409, 0x3feeab07dd485429, 0x3c34c7855019c6ea, 0x3feea9268a5946b7,
    0x3c9432e62b64c035, 0x3feea76f15ad2148, 0xbc8ce44a6199769f, 0x3feea5e1b976dc09,
    0xbc8c33c53bef4da8, 0x3feea47eb03a5585, 0xbc845378892be9ae, 0x3feea34634ccc320,
    0xbc93cedd78565858, 0x3feea23882552225, 0x3c5710aa807e1964, 0x3feea155d44ca973,
    0xbc93b3efbf5e2228, 0x3feea09e667f3bcd, 0xbc6a12ad8734b982, 0x3feea012750bdabf,
    0xbc6367efb86da9ee, 0x3fee9fb23c651a2f, 0xbc80dc3d54e08851, 0x3fee9f7df9519484,
    0xbc781f647e5a3ecf, 0x3fee9f75e8ec5f74, 0xbc86ee4ac08b7db0, 0x3fee9f9a48a58174,
    0xbc8619321e55e68a, 0x3fee9feb564267c9, 0x3c909ccb5e09d4d3, 0x3feea0694fde5d3f,
    0xbc7b32dcb94da51d, 0x3feea11473eb0187, 0x3c94ecfd5467c06b, 0x3feea1ed0130c132,
    0x3c65ebe1abd66c55, 0x3feea2f336cf4e62, 0xbc88a1c52fb3cf42, 0x3feea427543e1a12,
    0xbc9369b6f13b3734, 0x3feea589994cce13, 0xbc805e843a19ff1e, 0x3feea71a4623c7ad,
    0xbc94d450d872576e, 0x3feea8d99b4492ed, 0x3c90ad675b0e8a00, 0x3feeaac7d98a6699,
    0x3c8db72fc1f0eab4, 0x3feeace5422aa0db, 0xbc65b6609cc5e7ff, 0x3feeaf3216b5448c,
    0x3c7bf68359f35f44, 0x3feeb1ae99157736, 0xbc93091fa71e3d83, 0x3feeb45b0b91ffc6,
    0xbc5da9b88b6c1e29, 0x3feeb737b0cdc5e5, 0xbc6c23f97c90b959, 0x3feeba44cbc8520f,
    0xbc92434322f4f9aa, 0x3feebd829fde4e50, 0xbc85ca6cd7668e4b, 0x3feec0f170ca07ba,
    0x3c71affc2b91ce27, 0x3feec49182a3f090, 0x3c6dd235e10a73bb, 0x3feec86319e32323,
    0xbc87c50422622263, 0x3feecc667b5de565, 0x3c8b1c86e3e231d5, 0x3feed09bec4a2d33,
    0xbc91bbd1d3bcbb15, 0x3feed503b23e255d, 0x3c90cc319cee31d2, 0x3feed99e1330b358,
    0x3c8469846e735ab3, 0x3feede6b5579fdbf, 0xbc82dfcd978e9db4, 0x3feee36bbfd3f37a,
    0x3c8c1a7792cb3387, 0x3feee89f995ad3ad, 0xbc907b8f4ad1d9fa, 0x3feeee07298db666,
    0xbc55c3d956dcaeba, 0x3feef3a2b84f15fb, 0xbc90a40e3da6f640, 0x3feef9728de5593a,
    0xbc68d6f438ad9334, 0x3feeff76f2fb5e47, 0xbc91eee26b588a35, 0x3fef05b030a1064a,
    0x3c74ffd70a5fddcd, 0x3fef0c1e904bc1d2, 0xbc91bdfbfa9298ac, 0x3fef12c25bd71e09,
    0x3c736eae30af0cb3, 0x3fef199bdd85529c, 0x3c8ee3325c9ffd94, 0x3fef20ab5fffd07a,
    0x3c84e08fd10959ac, 0x3fef27f12e57d14b, 0x3c63cdaf384e1a67, 0x3fef2f6d9406e7b5,
    0x3c676b2c6c921968, 0x3fef3720dcef9069, 0xbc808a1883ccb5d2, 0x3fef3f0b555dc3fa,
    0xbc8fad5d3ffffa6f, 0x3fef472d4a07897c, 0xbc900dae3875a949, 0x3fef4f87080d89f2,
    0x3c74a385a63d07a7, 0x3fef5818dcfba487, 0xbc82919e2040220f, 0x3fef60e316c98398,
    0x3c8e5a50d5c192ac, 0x3fef69e603db3285, 0x3c843a59ac016b4b, 0x3fef7321f301b460,
    0xbc82d52107b43e1f, 0x3fef7c97337b9b5f, 0xbc892ab93b470dc9, 0x3fef864614f5a129,
    0x3c74b604603a88d3, 0x3fef902ee78b3ff6, 0x3c83c5ec519d7271, 0x3fef9a51fbc74c83,
    0xbc8ff7128fd391f0, 0x3fefa4afa2a490da, 0xbc8dae98e223747d, 0x3fefaf482d8e67f1,
    0x3c8ec3bc41aa2008, 0x3fefba1bee615a27, 0x3c842b94c3a9eb32, 0x3fefc52b376bba97,
    0x3c8a64a931d185ee, 0x3fefd0765b6e4540, 0xbc8e37bae43be3ed, 0x3fefdbfdad9cbe14,
    0x3c77893b4d91cd9d, 0x3fefe7c1819e90d8, 0x3c5305c14160cc89, 0x3feff3c22b8f71f1};

#define EXP_INVLN2N 0x1.71547652b82fep7 /* 128 / ln 2 */
#define EXP_SHIFT   0x1.8p52
#define EXP_NLN2HI  (-0x1.62e42fefa0000p-8)  /* -ln 2 / 128, 36 bits */
#define EXP_NLN2LO  (-0x1.cf79abc9e3b3ap-47) /* the rest */
#define EXP_C2      0x1.ffffffffffdbdp-2
#define EXP_C3      0x1.555555555543cp-3
#define EXP_C4      0x1.55555cf172b91p-5
#define EXP_C5      0x1.1111167a4d017p-7

#if DRIVERS_AVX2
/* y[i] = exp(x[i]), i < n (n a multiple of 4; x and y may be the same) */
__attribute__((target("avx2,fma"))) static void exp_avx2(const double *x, double *y, size_t n)
{
    const __m256d inv = _mm256_set1_pd(EXP_INVLN2N), shift = _mm256_set1_pd(EXP_SHIFT);
    const __m256d nhi = _mm256_set1_pd(EXP_NLN2HI), nlo = _mm256_set1_pd(EXP_NLN2LO);
    const __m256d c2 = _mm256_set1_pd(EXP_C2), c3 = _mm256_set1_pd(EXP_C3);
    const __m256d c4 = _mm256_set1_pd(EXP_C4), c5 = _mm256_set1_pd(EXP_C5);
    const __m256i m127 = _mm256_set1_epi64x(127), m7ff = _mm256_set1_epi64x(0x7ff);
    const __m256i lo = _mm256_set1_epi64x(0x3c9), hi = _mm256_set1_epi64x(0x3c9 + 0x3e);
    const long long *tab = (const long long *)exp_tab;
    for (size_t i = 0; i < n; i += 4) {
        __m256d vx = _mm256_loadu_pd(&x[i]);
        __m256d kd = _mm256_fmadd_pd(vx, inv, shift);
        __m256i ki = _mm256_castpd_si256(kd);
        kd = _mm256_sub_pd(kd, shift);
        __m256d r = _mm256_fmadd_pd(kd, nhi, vx);
        r = _mm256_fmadd_pd(kd, nlo, r);
        __m256i idx = _mm256_slli_epi64(_mm256_and_si256(ki, m127), 1);
        __m256d tail = _mm256_castsi256_pd(_mm256_i64gather_epi64(tab, idx, 8));
        __m256i sb = _mm256_i64gather_epi64(tab + 1, idx, 8);
        __m256i sbits = _mm256_add_epi64(sb, _mm256_slli_epi64(ki, 45));
        __m256d a = _mm256_fmadd_pd(r, c3, c2);
        __m256d tr = _mm256_add_pd(r, tail);
        __m256d r2 = _mm256_mul_pd(r, r);
        __m256d b = _mm256_fmadd_pd(r, c5, c4);
        __m256d a2 = _mm256_fmadd_pd(a, r2, tr);
        __m256d tmp = _mm256_fmadd_pd(_mm256_mul_pd(r2, r2), b, a2);
        __m256d scale = _mm256_castsi256_pd(sbits);
        /* lanes outside glibc's main branch (2^-54 <= |x| < 512): exp itself */
        __m256i top = _mm256_and_si256(_mm256_srli_epi64(_mm256_castpd_si256(vx), 52), m7ff);
        __m256i out = _mm256_or_si256(_mm256_cmpgt_epi64(lo, top), _mm256_cmpgt_epi64(top, hi));
        int m = _mm256_movemask_pd(_mm256_castsi256_pd(out));
        double xs[4];
        _mm256_storeu_pd(xs, vx);
        _mm256_storeu_pd(&y[i], _mm256_fmadd_pd(scale, tmp, scale));
        for (int j = 0; j < 4; j++)
            if (m >> j & 1) y[i + (size_t)j] = exp(xs[j]);
    }
}

/* 1 when exp_avx2 gives exp's bits on 4,096 points: 2,048 in (-1, 1) and
 * 2,048 in (-64, 64), at steps that are no multiple of ln 2 / 128 (so
 * every k of the table is met), and 0 (exp's own branch) */
__attribute__((target("avx2,fma"))) static int exp_check(void)
{
    double x[4096], y[4096];
    for (int j = 0; j < 4096; j++)
        x[j] = j < 2048 ? (j - 1024) * 0x1.0123456789abcp-10 : (j - 3072) * 0x1.0fedcba987654p-4;
    x[1024] = 0;
    exp_avx2(x, y, 4096);
    for (int j = 0; j < 4096; j++) {
        double e = exp(x[j]);
        if (memcmp(&e, &y[j], sizeof e) != 0) return 0;
    }
    return 1;
}
#endif

int poolsim_drivers_exp_lanes(const double *x, double *y, size_t n)
{
#if DRIVERS_AVX2
    if (exp_ok) {
        exp_avx2(x, y, n & ~(size_t)3);
        for (size_t i = n & ~(size_t)3; i < n; i++) y[i] = exp(x[i]);
        return 1;
    }
#endif
    (void)x;
    (void)y;
    (void)n;
    return 0;
}

/* y[i] = exp(x[i]), i < n */
static void exp_all(const double *x, double *y, size_t n)
{
    size_t i = 0;
#if DRIVERS_AVX2
    if (exp_on) {
        exp_avx2(x, y, n & ~(size_t)3);
        i = n & ~(size_t)3;
    }
#endif
    for (; i < n; i++) y[i] = exp(x[i]);
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
            d->U[c * T + t - 1] = d->x[c] - 0.5 * v;
        }
    }
    exp_all(d->U, d->U, (size_t)C * (size_t)T);
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
