/* poolsim: mergeable quantile histograms for runs too large to keep every
 * path's value (bounded memory, see docs/ACCURACY in README).
 *
 * Each channel counts non-negative values in logarithmic buckets: a value
 * x = m 2^e (m in [0.5, 1)) falls in bucket (e, floor((m - 0.5) 2048)), so a
 * bucket spans a relative width between 2^-11/1 and 2^-11/0.5, i.e. at most
 * 0.098%. A value is represented by its bucket's midpoint, clamped to the
 * channel's exact minimum and maximum: the relative error of any quantile
 * or tail mean is at most 0.049%. Zeros are counted exactly. Counts are
 * integers, so merging histograms (threads, MPI ranks) is exact and
 * order-independent. Bucket pages (1024 counts for one exponent) are
 * allocated on first use: memory grows with the range of values seen, not
 * with their number. */
#ifndef POOLSIM_QHIST_H
#define POOLSIM_QHIST_H

#include <stddef.h>
#include <stdint.h>

#define POOLSIM_QHIST_SUB  1024 /* buckets per binary exponent */
#define POOLSIM_QHIST_EMIN (-1074)
#define POOLSIM_QHIST_EMAX 1025
#define POOLSIM_QHIST_NEXP (POOLSIM_QHIST_EMAX - POOLSIM_QHIST_EMIN + 1)

typedef struct poolsim_qhist poolsim_qhist;

poolsim_qhist *poolsim_qhist_alloc(size_t nchan);
void poolsim_qhist_free(poolsim_qhist *h);

/* Count x (finite, >= 0) in channel chan. POOLSIM_ENOMEM when a bucket
 * page cannot be allocated, POOLSIM_ENUM for a negative or non-finite x. */
int poolsim_qhist_add(poolsim_qhist *h, size_t chan, double x);

/* Count x[0], x[stride], ..., x[(n - 1) stride] in channel chan, as n
 * calls of poolsim_qhist_add would (the values before a bad one are
 * counted; poolsim_qhist_add is this with n = 1): the channel's pages are
 * looked up once per exponent run and the counts prefetched 64 at a time
 * before they are incremented. */
int poolsim_qhist_add_many(poolsim_qhist *h, size_t chan, const double *x, size_t n, size_t stride);

/* The bucket of x (finite, > 0): exponent index ei (e - POOLSIM_QHIST_EMIN)
 * and sub-bucket, as described above (exposed for tests). */
void poolsim_qhist_bucket(double x, int *ei, int *sub);

/* dst += src (same channel count). */
int poolsim_qhist_merge(poolsim_qhist *dst, const poolsim_qhist *src);

/* Number of values counted in chan. */
int64_t poolsim_qhist_count(const poolsim_qhist *h, size_t chan);

/* Type-7 quantile at p of channel chan (NAN when empty). */
double poolsim_qhist_quantile7(const poolsim_qhist *h, size_t chan, double p);

/* Mean of the largest ceil(alpha n) values of channel chan. */
double poolsim_qhist_cvar_upper(const poolsim_qhist *h, size_t chan, double alpha);

/* Flat export for message passing: the number of int64 words needed, and
 * pack/unpack-and-add. Layout per channel: zeros, min and max (as bit
 * patterns), page count, then (exponent, 1024 counts) per page. */
size_t poolsim_qhist_packed_size(const poolsim_qhist *h);
void poolsim_qhist_pack(const poolsim_qhist *h, int64_t *buf /* OUT */);
int poolsim_qhist_unpack_add(poolsim_qhist *h, const int64_t *buf, size_t n);

#endif
