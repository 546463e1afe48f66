/* poolsim: counter-based random numbers (MODEL.md section 6).
 *
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
 * 3", SC11), written out here so that a draw is a few inline instructions:
 * one Philox block of ten rounds yields four 32-bit words, taken first to
 * last. Each driver draws from its own sub-stream addressed by (seed, path,
 * stream kind, year, who), where `who` is a hash of the ids the driver
 * depends on (county, line, benefit) or 0. A sub-stream's draws therefore
 * never depend on thread or rank count, path scheduling, or on how many
 * draws any other driver consumed.
 *
 * Layout of the Philox input: key = (seed low 32 bits, seed high 32 bits);
 * counter = (path, kind << 24 | year, who, block index). One sub-stream
 * holds up to 4 * 2^32 32-bit words. Positioning a stream
 * (poolsim_rng_set) only writes the counter: no block is computed until
 * the first draw.
 *
 * Samplers (exact, see rng.c): uniforms on the open interval (0,1) with
 * 32-bit resolution, standard normals by a 128-layer ziggurat (one word in
 * about 99% of draws), gamma variates by Marsaglia and Tsang's method. */
#ifndef POOLSIM_RNG_H
#define POOLSIM_RNG_H

#include <stdint.h>

enum poolsim_stream {
    POOLSIM_STREAM_ECONOMY = 1,     /* price and wage shocks; year */
    POOLSIM_STREAM_UTIL_COMMON = 2, /* common utilisation factor z[t]; year */
    POOLSIM_STREAM_UTIL_COUNTY = 3, /* idiosyncratic e[c,t]; year, county */
    POOLSIM_STREAM_EPIDEMIC = 4,    /* epidemic occurrence and size; year */
    POOLSIM_STREAM_CLAIMS = 5       /* aggregate claims; year, county, line, benefit */
};

/* A position in one sub-stream. Plain data: copy or put on the stack
 * freely; nothing is shared between threads. */
typedef struct {
    uint32_t ctr[4]; /* counter of the NEXT block: (path, kind<<24|year, who, block) */
    uint32_t key[2]; /* (seed low, seed high) */
    uint32_t buf[4]; /* words of the current block */
    uint32_t left;   /* words of buf not yet used (taken from buf[4 - left]) */
} poolsim_rng;

/* One Philox4x32-10 block: out = philox4x32_10(ctr, key). */
static inline void poolsim_philox4x32(const uint32_t ctr[4], const uint32_t key[2],
                                      uint32_t out[4] /* OUT */)
{
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
#pragma GCC unroll 10
    for (int i = 0; i < 10; i++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c1 = (uint32_t)p1;
        c3 = (uint32_t)p0;
        c0 = n0;
        c2 = n2;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
    out[3] = c3;
}

/* Position r at the start of a sub-stream. year is the projection year
 * (1..T, < 2^24); who is 0 or a poolsim_rng_who hash. */
static inline void poolsim_rng_set(poolsim_rng *r, uint64_t seed, uint32_t path, uint32_t kind,
                                   uint32_t year, uint32_t who)
{
    r->ctr[0] = path;
    r->ctr[1] = (kind << 24) | (year & 0xffffffu);
    r->ctr[2] = who;
    r->ctr[3] = 0;
    r->key[0] = (uint32_t)(seed & 0xffffffffu);
    r->key[1] = (uint32_t)(seed >> 32);
    for (int i = 0; i < 4; i++)
        r->buf[i] = 0; /* not read before a refill; keeps gcc's
                          -Wmaybe-uninitialized quiet */
    r->left = 0;
}

/* Compute the next block when every word of the current one has been used
 * (or none computed yet): calling it early changes no value. */
static inline void poolsim_rng_refill(poolsim_rng *r)
{
    if (r->left == 0) {
        poolsim_philox4x32(r->ctr, r->key, r->buf);
        r->ctr[3]++;
        r->left = 4;
    }
}

/* The next 32-bit word of the sub-stream. */
static inline uint32_t poolsim_rng_u32(poolsim_rng *r)
{
    poolsim_rng_refill(r);
    return r->buf[4 - r->left--];
}

/* Uniform on (0,1): (k + 1/2) / 2^32 for the next word k, so never 0 or 1. */
static inline double poolsim_rng_uniform(poolsim_rng *r)
{
    return ((double)poolsim_rng_u32(r) + 0.5) * 0x1p-32;
}

/* Ziggurat tables (rng.c): layer right edges x[0..128] (x[1] = r, the tail
 * start; x[128] = 0) and f[i] = exp(-x[i]^2 / 2). */
extern double poolsim_rng_zig_x[129];
extern double poolsim_rng_zig_f[129];

/* Draws that fall outside the layer's rectangle (about 1% of them). */
double poolsim_rng_normal_slow(poolsim_rng *r, uint32_t w);

/* The ziggurat's fast case for one word w: layer i = w & 127, sign = bit
 * 7, position j = w >> 8 (24 bits); v = (j + 1/2) 2^-24 x[i] is accepted
 * at once when v < x[i+1] (the part of the layer under the density, about
 * 99% of words): returns 1 with *x the signed v, else 0 (then
 * poolsim_rng_normal_slow goes on from w). */
static inline int poolsim_rng_normal_fast(uint32_t w, double *x /* OUT */)
{
    uint32_t i = w & 127u;
    double v = ((double)(w >> 8) + 0.5) * 0x1p-24 * poolsim_rng_zig_x[i];
    if (!(v < poolsim_rng_zig_x[i + 1])) return 0;
    *x = v * (double)(1 - (int)(w >> 6 & 2u)); /* bit 7: -v */
    return 1;
}

/* Standard normal (the fast case above, else poolsim_rng_normal_slow). */
static inline double poolsim_rng_normal(poolsim_rng *r)
{
    uint32_t w = poolsim_rng_u32(r);
    double x;
    return poolsim_rng_normal_fast(w, &x) ? x : poolsim_rng_normal_slow(r, w);
}

/* Gamma variate with shape a > 0 and scale b > 0 (mean a b, variance a b^2). */
double poolsim_rng_gamma(poolsim_rng *r, double a, double b);

/* The core of poolsim_rng_gamma for shape a >= 1, given d = a - 1/3 and
 * c = 1/sqrt(9d) (computed by the caller, e.g. for many draws at once):
 * a Gamma(a, 1) variate. */
double poolsim_rng_gamma_mt(poolsim_rng *r, double d, double c);

/* Address of a (county, line, benefit) triple; NULL parts are skipped. */
uint32_t poolsim_rng_who(const char *county, const char *line, const char *benefit);

#endif
