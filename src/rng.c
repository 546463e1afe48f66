/* poolsim: counter-based random numbers (MODEL.md section 6).
 *
 * Philox4x32-10 from Random123, wrapped as a gsl_rng_type by Random123's own
 * GSL adaptor (gsl_microrng.h). The adaptor keeps the draw index in the LAST
 * counter word (it ORs the block number into counter word 3 and returns the
 * four 32-bit words of each block last-to-first), so the sub-stream address
 * occupies the first three words and word 3 starts at 0:
 *
 *     counter = (path, kind << 24 | year, who, 0)
 *     key     = (seed & 0xffffffff, seed >> 32)
 *
 * A generator from gsl_rng_alloc(poolsim_rng_type()) holds only its own
 * state; nothing here is shared between threads. */
#include "poolsim/rng.h"

#include "poolsim/common.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#include <Random123/philox.h>
#include <Random123/gsl_microrng.h>

/* Declares the static state type, the gsl_rng_type `poolsim_philox_type`,
 * the exported pointer gsl_rng_poolsim_philox (never written after its
 * initialisation) and poolsim_philox_reset(). */
GSL_MICRORNG(poolsim_philox, philox4x32);
#pragma GCC diagnostic pop

const gsl_rng_type *poolsim_rng_type(void)
{
    return &poolsim_philox_type;
}

void poolsim_rng_reset(gsl_rng *r, uint64_t seed, uint32_t path, uint32_t kind, uint32_t year,
                       uint32_t who)
{
    philox4x32_ctr_t c = {{path, (kind << 24) | (year & 0xffffffu), who, 0}};
    philox4x32_key_t k = {{(uint32_t)(seed & 0xffffffffu), (uint32_t)(seed >> 32)}};
    poolsim_philox_reset(r, c, k);
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
