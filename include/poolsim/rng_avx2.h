/* poolsim: Philox4x32-10 (rng.h) on four counters at once, in the 64-bit
 * lanes of AVX2 registers, for the AVX2 paths of claims.c and drivers.c.
 * x86-64 with GCC or Clang only; it is inlined into their functions
 * compiled for AVX2. _mm256_mul_epu32 gives the full 32 x 32 -> 64-bit
 * products of the lanes' low words; their high words are don't-cares that
 * no product or result reads. The same words as poolsim_philox4x32
 * (tests/test_claims.c and tests/test_drivers.c compare them). */
#ifndef POOLSIM_RNG_AVX2_H
#define POOLSIM_RNG_AVX2_H

#include <immintrin.h>
#include <stdint.h>

/* Lane j of c0..c3 holds word 0..3 of counter j and lane j of k0, k1 its
 * key (in the low 32 bits). On return *x01 holds the four words of block
 * 0, then those of block 2 (128 bits each), *x23 those of blocks 1 and 3. */
__attribute__((target("avx2"))) static inline void poolsim_philox4x32_x4(__m256i c0, __m256i c1,
                                                                         __m256i c2, __m256i c3,
                                                                         __m256i k0, __m256i k1,
                                                                         __m256i *x01, __m256i *x23)
{
    const __m256i m0 = _mm256_set1_epi64x(0xD2511F53), m1 = _mm256_set1_epi64x(0xCD9E8D57);
    const __m256i w0 = _mm256_set1_epi64x(0x9E3779B9), w1 = _mm256_set1_epi64x(0xBB67AE85);
    const __m256i lo32 = _mm256_set1_epi64x(0xffffffff);
    for (int i = 0; i < 10; i++) {
        __m256i p0 = _mm256_mul_epu32(c0, m0), p1 = _mm256_mul_epu32(c2, m1);
        __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), c1), k0);
        __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), c3), k1);
        c1 = p1;
        c3 = p0;
        c0 = n0;
        c2 = n2;
        k0 = _mm256_add_epi64(k0, w0);
        k1 = _mm256_add_epi64(k1, w1);
    }
    /* words (c0, c1, c2, c3) of lane j: the low halves, transposed */
    __m256i a = _mm256_or_si256(_mm256_and_si256(c0, lo32), _mm256_slli_epi64(c1, 32));
    __m256i b = _mm256_or_si256(_mm256_and_si256(c2, lo32), _mm256_slli_epi64(c3, 32));
    *x01 = _mm256_unpacklo_epi64(a, b);
    *x23 = _mm256_unpackhi_epi64(a, b);
}

/* The four blocks of poolsim_philox4x32_x4 in lane order: out[4 j + i] =
 * word i of block j (x01 holds blocks 0 and 2, x23 blocks 1 and 3). */
__attribute__((target("avx2"))) static inline void
poolsim_philox4x32_x4_store(__m256i x01, __m256i x23, uint32_t out[16])
{
    _mm256_storeu2_m128i((__m128i *)&out[8], (__m128i *)&out[0], x01);
    _mm256_storeu2_m128i((__m128i *)&out[12], (__m128i *)&out[4], x23);
}

#endif
