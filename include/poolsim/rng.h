/* poolsim: counter-based random numbers (MODEL.md section 6).
 *
 * A Philox4x32-10 generator (Random123) wrapped as a gsl_rng_type, so every
 * gsl_ran_* sampler can draw from it. Each driver draws from its own
 * sub-stream addressed by (seed, path, stream kind, year, who), where `who`
 * is a hash of the ids the driver depends on (county, line, benefit) or 0.
 * A sub-stream's draws therefore never depend on thread or rank count, path
 * scheduling, or on how many draws any other driver consumed.
 *
 * Layout of the Philox input: key = (seed low 32 bits, seed high 32 bits);
 * counter = (path, kind << 24 | year, who, draw index). One sub-stream holds
 * up to 4 * 2^32 32-bit draws. */
#ifndef POOLSIM_RNG_H
#define POOLSIM_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

enum poolsim_stream {
    POOLSIM_STREAM_ECONOMY = 1,     /* price and wage shocks; year */
    POOLSIM_STREAM_UTIL_COMMON = 2, /* common utilisation factor z[t]; year */
    POOLSIM_STREAM_UTIL_COUNTY = 3, /* idiosyncratic e[c,t]; year, county */
    POOLSIM_STREAM_EPIDEMIC = 4,    /* epidemic occurrence and size; year */
    POOLSIM_STREAM_CLAIMS = 5       /* aggregate claims; year, county, line, benefit */
};

/* The gsl_rng_type of the wrapped generator. gsl_rng_alloc(poolsim_rng_type())
 * gives a generator that must be positioned with poolsim_rng_reset before
 * its first draw. */
const gsl_rng_type *poolsim_rng_type(void);

/* Position r at the start of a sub-stream. year is the projection year
 * (1..T, < 2^24); who is 0 or a poolsim_rng_who hash. */
void poolsim_rng_reset(gsl_rng *r, uint64_t seed, uint32_t path, uint32_t kind, uint32_t year,
                       uint32_t who);

/* Address of a (county, line, benefit) triple; NULL parts are skipped. */
uint32_t poolsim_rng_who(const char *county, const char *line, const char *benefit);

#endif
