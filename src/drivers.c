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

#include "poolsim/rng.h"

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
    if (!d->P || !d->W || !d->J || !d->U || !d->x || !d->who) {
        poolsim_drivers_free(d);
        return NULL;
    }
    for (int i = 0; i < C; i++) d->who[i] = poolsim_rng_who(s->counties[i].id, NULL, NULL);
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
    free(d);
}

/* Price and wage indices: pi[1] = mean, P[1] = 1; for t >= 2
 * pi[t] = mean + ar1 (pi[t-1] - mean) + sd eps[t], P[t] = P[t-1] (1 + pi[t]). */
static void draw_economy(const poolsim_scenario *s, unsigned long long seed, uint32_t path,
                         poolsim_rng *r, poolsim_drivers *d)
{
    const poolsim_ar1 *mp = &s->medical_inflation, *wp = &s->wage_growth;
    double corr = s->wage_inflation_corr;
    double corr_c = sqrt(fmax(0.0, 1 - corr * corr));
    double pi = mp->mean, g = wp->mean;
    d->P[0] = 1;
    d->W[0] = 1;
    for (int t = 2; t <= d->T; t++) {
        poolsim_rng_set(r, seed, path, POOLSIM_STREAM_ECONOMY, (uint32_t)t, 0);
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
static void draw_utilisation(const poolsim_scenario *s, unsigned long long seed, uint32_t path,
                             poolsim_rng *r, poolsim_drivers *d)
{
    double ar1 = s->utilisation.ar1, sd = s->utilisation.sd, rho = s->utilisation.rho;
    double wc = sqrt(rho), wi = sqrt(1 - rho);
    double v = 0;
    int T = d->T;
    for (int c = 0; c < d->C; c++) d->x[c] = 0;
    for (int t = 1; t <= T; t++) {
        v = ar1 * ar1 * v + sd * sd;
        poolsim_rng_set(r, seed, path, POOLSIM_STREAM_UTIL_COMMON, (uint32_t)t, 0);
        double z = poolsim_rng_normal(r);
        for (int c = 0; c < d->C; c++) {
            poolsim_rng_set(r, seed, path, POOLSIM_STREAM_UTIL_COUNTY, (uint32_t)t, d->who[c]);
            double e = poolsim_rng_normal(r);
            d->x[c] = ar1 * d->x[c] + sd * (wc * z + wi * e);
            d->U[c * T + t - 1] = exp(d->x[c] - 0.5 * v);
        }
    }
}

/* Epidemic: J[t] = lognormal with mean `mean` and sd `sd` when u < prob,
 * else 1; s^2 = ln(1 + (sd/mean)^2), m = ln(mean) - s^2/2. */
static void draw_epidemic(const poolsim_scenario *s, unsigned long long seed, uint32_t path,
                          poolsim_rng *r, poolsim_drivers *d)
{
    double prob = s->epidemic.prob, mean = s->epidemic.mean, sd = s->epidemic.sd;
    double cv = sd / mean;
    double s2 = log1p(cv * cv), sl = sqrt(s2), m = log(mean) - 0.5 * s2;
    for (int t = 1; t <= d->T; t++) {
        poolsim_rng_set(r, seed, path, POOLSIM_STREAM_EPIDEMIC, (uint32_t)t, 0);
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
    draw_economy(s, seed, path, r, d);
    draw_utilisation(s, seed, path, r, d);
    draw_epidemic(s, seed, path, r, d);
}

void poolsim_drivers_draw(const poolsim_scenario *s, uint32_t path, poolsim_rng *r,
                          poolsim_drivers *d /* OUT */)
{
    poolsim_drivers_draw_seed(s, s->seed, path, r, d);
}
