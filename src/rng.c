/* poolsim: counter-based random numbers (MODEL.md section 6).
 *
 * The generator itself (Philox4x32-10) and the uniform are inline in
 * rng.h; here are the ziggurat tables, the rare branches of the normal
 * sampler, the gamma sampler and the sub-stream hash. */
#include "poolsim/rng.h"

#include <math.h>

#include "poolsim/common.h"

/* ---- Standard normal: ziggurat ------------------------------------------
 *
 * G. Marsaglia and W. W. Tsang (2000), "The ziggurat method for generating
 * random variables", Journal of Statistical Software 5(8). The area under
 * f(x) = exp(-x^2/2), x >= 0, is covered by 128 layers of equal area v:
 * layer 0 is the rectangle [0, x0] x [0, f(r)] with x0 = v / f(r) (its
 * part beyond r stands for the tail x > r), and layer i >= 1 the rectangle
 * [0, x[i]] x [f(x[i]), f(x[i+1])], with x[1] = r and
 *     x[i+1] = f^-1(v / x[i] + f(x[i])),   x[128] = 0.
 * r and v are Marsaglia and Tsang's constants for 128 layers. A point
 * uniform in a layer with abscissa below x[i+1] lies under f: accepted at
 * once. Otherwise the tail (layer 0) is sampled by Marsaglia's (1964)
 * exact method and a wedge point (x, y) is accepted when y < f(x), or a
 * fresh word is drawn. The result is exact up to the 24-bit resolution of
 * the abscissa within a layer. */

#define ZIG_R 3.442619855899
#define ZIG_V 9.91256303526217e-3

double poolsim_rng_zig_x[129];
double poolsim_rng_zig_f[129];

/* Filled before main (single-threaded), so never written while threads run. */
__attribute__((constructor)) static void zig_init(void)
{
    double *x = poolsim_rng_zig_x, *f = poolsim_rng_zig_f;
    f[1] = exp(-0.5 * ZIG_R * ZIG_R);
    x[0] = ZIG_V / f[1];
    f[0] = 0; /* layer 0 reaches down to y = 0 (not used for wedges) */
    x[1] = ZIG_R;
    for (int i = 1; i < 127; i++) {
        x[i + 1] = sqrt(-2 * log(ZIG_V / x[i] + f[i]));
        f[i + 1] = exp(-0.5 * x[i + 1] * x[i + 1]);
    }
    x[128] = 0;
    f[128] = 1;
}

double poolsim_rng_normal_slow(poolsim_rng *r, uint32_t w)
{
    const double *X = poolsim_rng_zig_x, *F = poolsim_rng_zig_f;
    for (;;) {
        uint32_t i = w & 127u;
        double sign = (w & 128u) ? -1.0 : 1.0;
        double x = ((double)(w >> 8) + 0.5) * 0x1p-24 * X[i];
        if (x < X[i + 1]) return sign * x;
        if (i == 0) {
            /* tail x > r: a = -ln(u1)/r, y = -ln(u2), accept when 2y > a^2 */
            double a, y;
            do {
                a = -log(poolsim_rng_uniform(r)) / ZIG_R;
                y = -log(poolsim_rng_uniform(r));
            } while (2 * y <= a * a);
            return sign * (ZIG_R + a);
        }
        double y = F[i] + poolsim_rng_uniform(r) * (F[i + 1] - F[i]);
        if (y < exp(-0.5 * x * x)) return sign * x;
        w = poolsim_rng_u32(r);
    }
}

/* ---- Gamma: Marsaglia and Tsang ------------------------------------------
 *
 * G. Marsaglia and W. W. Tsang (2000), "A simple method for generating
 * gamma variables", ACM TOMS 26(3), 363-372. For a >= 1, with
 * d = a - 1/3 and c = 1/sqrt(9d): x standard normal, v = (1 + c x)^3
 * (redrawn while 1 + c x <= 0), u uniform; accept d v when
 * u < 1 - 0.0331 x^4 (squeeze, almost always for large a) or
 * ln u < x^2/2 + d (1 - v + ln v). For a < 1: Gamma(a) = Gamma(a + 1) u^(1/a)
 * with u uniform drawn after the Gamma(a + 1) variate. */
double poolsim_rng_gamma_mt(poolsim_rng *r, double d, double c)
{
    for (;;) {
        double x, v;
        do {
            x = poolsim_rng_normal(r);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = poolsim_rng_uniform(r), x2 = x * x;
        if (u < 1 - 0.0331 * x2 * x2) return d * v;
        if (log(u) < 0.5 * x2 + d * (1 - v + log(v))) return d * v;
    }
}

double poolsim_rng_gamma(poolsim_rng *r, double a, double b)
{
    double a1 = a < 1 ? a + 1 : a;
    double d = a1 - 1.0 / 3, g = poolsim_rng_gamma_mt(r, d, 1 / sqrt(9 * d));
    if (a < 1) g *= pow(poolsim_rng_uniform(r), 1 / a);
    return b * g;
}

/* FNV-1a over "county/line/benefit", NULL parts (and their separators)
 * skipped: who("a", NULL, NULL) hashes "a", who("a", "l", NULL) "a/l". */
uint32_t poolsim_rng_who(const char *county, const char *line, const char *benefit)
{
    const char *parts[3] = {county, line, benefit};
    uint32_t h = POOLSIM_HASH_INIT;
    int first = 1;
    for (int i = 0; i < 3; i++) {
        if (!parts[i]) continue;
        if (!first) h = poolsim_hash32("/", h);
        h = poolsim_hash32(parts[i], h);
        first = 0;
    }
    return h;
}
