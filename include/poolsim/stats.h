/* poolsim: reduction of per-path outcomes into the summary results
 * (MODEL.md section 7), independent of thread and rank counts.
 *
 * Each path produces a record: a vector of doubles laid out by
 * poolsim_stats_layout. Paths are grouped in fixed blocks whose size depends
 * only on the number of paths. Within a block, moments are accumulated in
 * path order (Welford); blocks are combined in block order (Chan et al.'s
 * pairwise update), so the result never depends on which thread or rank
 * ran which block. Up to POOLSIM_STATS_EXACT_MAX paths, quantiles are exact
 * type-7 order statistics over all paths (the values of DIST rows are kept
 * per path, at the path's own index; of TAIL rows, which read only the
 * largest 5%, candidates that include the largest values seen, merged
 * across threads and ranks); above it they come from mergeable logarithmic
 * histograms (qhist.h: relative error at most 0.049%) and memory no longer
 * grows with the number of paths. */
#ifndef POOLSIM_STATS_H
#define POOLSIM_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "poolsim/results.h"

/* Offsets of each quantity in a path record: one slot per schema row of
 * source REC (schema.h), named as the row and shaped as it ([L][T]
 * quantities indexed l*T + t, [L][C][T] ones (l*C + c)*T + t, [L][C]
 * ones l*C + c, [C][T] c*T + t, [R][T] k*T + t), plus two slots that feed
 * no summary of their own: the shortfall amount G ([L][C][T], kept for
 * --save-paths) and the first exhaustion year ([L]: 0 never, else 1..T).
 * Rows that are not REC get offset POOLSIM_NO_SLOT. */
#define POOLSIM_NO_SLOT ((size_t)-1)
typedef struct {
    int T, L, C, R;
#define POOLSIM_LAYOUT_SLOT(name, kind, shape, src, since, units, desc) size_t name;
    POOLSIM_SCHEMA(POOLSIM_LAYOUT_SLOT)
#undef POOLSIM_LAYOUT_SLOT
    size_t shortfall_amount; /* [L][C][T] */
    size_t first_exh;        /* [L] */
    size_t n;                /* record length */
    /* quantile channels: the slots of the DIST and TAIL rows, in schema
     * order; nq values per path */
    size_t nq;
    size_t slot[POOLSIM_SCHEMA_NROWS];  /* offset of each row (POOLSIM_NO_SLOT) */
    size_t qchan[POOLSIM_SCHEMA_NROWS]; /* first quantile channel of each DIST/TAIL row */
} poolsim_stats_layout;

/* Layout for T years, L lines, C counties and no management rules. */
void poolsim_stats_layout_init(poolsim_stats_layout *lay, int T, int L, int C);
void poolsim_stats_layout_init_dims(poolsim_stats_layout *lay, const poolsim_dims *d);

/* Welford moments of a block or of the whole run. */
typedef struct {
    double n;
    double *mean; /* [lay.n] */
    double *m2;   /* [lay.n] sum of squared deviations */
} poolsim_moments;

/* Paths up to which quantiles are exact, provided the kept values fit in
 * POOLSIM_STATS_EXACT_BYTES (8 bytes per path and quantile channel: a
 * province of 200 counties x 30 years x 2 lines would need 10 GB at
 * 100,000 paths; it switches to histograms at about 40,000). */
#define POOLSIM_STATS_EXACT_MAX   100000L
#define POOLSIM_STATS_EXACT_BYTES (4.0 * 1024 * 1024 * 1024)
/* Block size is a multiple of this, and there are at most MAX_BLOCKS. */
#define POOLSIM_STATS_BLOCK_UNIT 256L
#define POOLSIM_STATS_MAX_BLOCKS 1024L

typedef struct poolsim_stats poolsim_stats;
struct poolsim_qhist;
struct poolsim_tailset;

/* Accumulator for `paths` paths. Block size and count depend only on paths. */
poolsim_stats *poolsim_stats_alloc(const poolsim_stats_layout *lay, long paths);
/* The same, where the caller knows before the run that DIST quantile
 * channel q (fixed[q] != 0, lay->nq flags) holds value[q] on every path
 * (the engine: the management multipliers of a line without rules, 1):
 * in exact mode its values are not kept and its quantiles are value[q],
 * which a full sort of its values would give bit for bit (a value that is
 * not finite, or -0, is kept as any other);
 * poolsim_stats_finish fails (POOLSIM_ENUM) if its moments say otherwise.
 * TAIL channels and histogram mode ignore the flags. */
poolsim_stats *poolsim_stats_alloc_fixed(const poolsim_stats_layout *lay, long paths,
                                         const unsigned char *fixed, const double *value);
void poolsim_stats_free(poolsim_stats *st);
/* Compute only the summaries of the schema rows with rows[row] != 0 (rows:
 * POOLSIM_SCHEMA_NROWS flags; NULL: every row, the default): the moments
 * and quantile values of the other rows are not accumulated, and
 * poolsim_stats_finish marks them not present (r->present[row] = 0). The
 * first exhaustion counts are always kept. Call before adding paths.
 * POOLSIM_ENOMEM or POOLSIM_OK. */
int poolsim_stats_select(poolsim_stats *st, const unsigned char *rows);
long poolsim_stats_nblocks(const poolsim_stats *st);
void poolsim_stats_block_range(const poolsim_stats *st, long b, long *first /* OUT */,
                               long *end /* OUT */);

/* Paths whose histogram-mode values are counted together, channel by
 * channel (each channel's histogram pages stay in cache for the run). */
#define POOLSIM_STATS_HSTAGE 64

/* A block accumulator (one per thread, reused block after block). */
typedef struct {
    long index; /* block number */
    long count; /* paths added */
    size_t n;   /* record length */
    int L, T;
    double *shift;              /* [n] first path's record */
    double *s1, *s2;            /* [n] sums of (x - shift) and (x - shift)^2 */
    int64_t *first_count;       /* [L][T+1] first exhaustion year counts; [T] = never */
    struct poolsim_qhist *hist; /* histogram mode: this thread's counts (kept across blocks) */
    /* histogram mode: the quantile-channel values of up to
     * POOLSIM_STATS_HSTAGE paths not yet counted, path by path (rows of
     * lay.nq, channels in the order of the selected rows) */
    double *hstage;
    size_t hcount;
    /* exact mode: candidates for the largest values of the TAIL channels
     * (kept across blocks, merged by poolsim_stats_absorb) */
    struct poolsim_tailset *tail;
} poolsim_block;

/* 1 when quantiles are exact (paths <= POOLSIM_STATS_EXACT_MAX). */
int poolsim_stats_exact(const poolsim_stats *st);
/* Whether poolsim_stats_alloc(lay, paths) keeps exact order statistics
 * (1) or histograms (0): the rule it applies. */
int poolsim_stats_exact_for(const poolsim_stats_layout *lay, long paths);
poolsim_block *poolsim_block_alloc(const poolsim_stats *st);
/* Map in advance the memory a run will write (a hint: only the time
 * changes). poolsim_stats_prefault: part k of nparts of the kept values
 * of paths [first, end) of the selected DIST channels (exact mode);
 * poolsim_block_prefault: b's TAIL candidates of the selected channels. */
void poolsim_stats_prefault(poolsim_stats *st, long first, long end, int k, int nparts);
/* All of what poolsim_stats_prefault maps, then read page by page (one
 * byte each, relaxed atomic loads): for a thread of its own, which may
 * run while the paths write there. It stops reading early once *stop
 * (read atomically; NULL: never) is nonzero. */
void poolsim_stats_warm(poolsim_stats *st, long first, long end, const int *stop);
void poolsim_block_prefault(poolsim_block *b, const poolsim_stats *st);
/* A block for sums only (no TAIL candidates, no histograms): only as the
 * b of poolsim_block_add_to, and for poolsim_stats_fold or _pack. */
poolsim_block *poolsim_block_alloc_sums(const poolsim_stats *st);
void poolsim_block_free(poolsim_block *b);
void poolsim_block_reset(poolsim_block *b, long index);
/* Add one path's record (paths of a block in path order, by one thread);
 * also stores its quantile-channel values: in exact mode those of DIST
 * rows at the path's index in st, those of TAIL rows among the block's
 * tail candidates (poolsim_stats_absorb merges them). */
int poolsim_block_add(poolsim_block *b, poolsim_stats *st, long path, const double *rec);
/* The same with the sums in b and the quantile channels' kept values
 * (TAIL candidates, staged histogram rows) in acc, another block whose own
 * sums are not touched: a thread keeps one acc while its blocks' sums wait
 * to be folded (acc == b is poolsim_block_add). */
int poolsim_block_add_to(poolsim_block *b, poolsim_block *acc, poolsim_stats *st, long path,
                         const double *rec);
/* Merge a thread's block histogram (histogram mode) or TAIL candidates
 * (exact mode) into the run's (order-independent); call once per block
 * accumulator, serialised, after its last block. The first block's
 * candidates are taken over as they are (b is left an empty set). */
int poolsim_stats_absorb(poolsim_stats *st, poolsim_block *b);
/* Fold a finished block into the run totals. Blocks must be folded in
 * block order 0, 1, 2, ...; POOLSIM_ENUM otherwise. */
int poolsim_stats_fold(poolsim_stats *st, const poolsim_block *b);

/* Transfer between processes: a block as a flat array of doubles
 * (poolsim_block_packed_size of them), and the exact-mode values of paths
 * [first, end) (poolsim_stats_values_packed_size doubles: the DIST
 * channels' values [channel][end - first], then the TAIL channels'
 * candidates); packing first merges the candidates the threads left
 * for poolsim_stats_finish, unpacking merges the candidates into st's. */
size_t poolsim_block_packed_size(const poolsim_stats *st);
void poolsim_block_pack(const poolsim_block *b, double *buf /* OUT */);
void poolsim_block_unpack(poolsim_block *b /* OUT */, const double *buf);
size_t poolsim_stats_values_packed_size(const poolsim_stats *st, long first, long end);
void poolsim_stats_values_pack(poolsim_stats *st, long first, long end, double *buf /* OUT */);
void poolsim_stats_values_unpack(poolsim_stats *st, long first, long end, const double *buf);
/* Histogram mode: the run's merged histogram (NULL in exact mode). */
struct poolsim_qhist *poolsim_stats_hist(poolsim_stats *st);

/* Combine block moments in block order and compute every summary into r
 * (r allocated for the same T, L, C). Once per accumulator: the kept
 * quantile values are rearranged in place (the positions read hold the
 * sorted values; see stats.c) and, when large, handed back to the system
 * at the end; a second call returns POOLSIM_ENUM. */
int poolsim_stats_finish(poolsim_stats *st, int threads, poolsim_results *r /* OUT */);

/* Select the scalar loops (on = 0) or the AVX2 ones where the processor
 * has AVX2 (on = 1; on < 0 changes nothing); returns the previous setting
 * (1 when AVX2 was in use). Default: AVX2 when available, unless the
 * environment variable POOLSIM_SIMD is "0" at start. Either way the same
 * numbers. Not thread-safe: for tests, outside parallel regions. */
int poolsim_stats_simd(int on);

/* Type-7 quantile of sorted x[0..n-1] at probability p (R's default). */
double poolsim_quantile7(const double *sorted, size_t n, double p);
/* Mean of the worst ceil(alpha n) values of sorted x (CVaR at 1 - alpha). */
double poolsim_cvar_upper(const double *sorted, size_t n, double alpha);

#endif
