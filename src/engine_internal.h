/* poolsim: the engine's files among themselves (engine.c, engine_saved.c,
 * engine_mpi.c). Not installed. */
#ifndef POOLSIM_ENGINE_INTERNAL_H
#define POOLSIM_ENGINE_INTERNAL_H

#include <stddef.h>

#include "poolsim/engine.h"

/* Saved per-path values for P paths (zeroed), NULL on failure. only: 0,
 * every array; else only those whose POOLSIM_SAVED_BIT is set (the others
 * NULL, and skipped by _put and _xfer). */
poolsim_saved_paths *poolsim_engine_saved_alloc(long P, int T, int L, int C, unsigned only);
/* Copy path p's record slots into sp. */
void poolsim_engine_saved_put(poolsim_saved_paths *sp, const poolsim_stats_layout *lay, long p,
                              const double *rec);
/* Copy the saved values of paths [f, e) between sp and a flat buffer
 * (to_buf: sp -> buf, else buf -> sp; buf NULL: only count). Returns the
 * number of doubles. */
size_t poolsim_engine_saved_xfer(poolsim_saved_paths *sp, long f, long e, double *buf, int to_buf);

/* Rank > 0: send this rank's blocks b0..b1-1 (packed in stash) and the
 * values of their paths to rank 0. */
int poolsim_engine_mpi_send(poolsim_stats *stats, poolsim_saved_paths *sp, const double *stash,
                            long b0, long b1);
/* Rank 0: receive every other rank's part, in rank order, folding blocks
 * in block order. */
int poolsim_engine_mpi_recv(poolsim_stats *stats, poolsim_saved_paths *sp, poolsim_block *tmp,
                            long nblocks, int size);
/* Give every rank rank 0's summary (so sweep and solve decide alike). */
int poolsim_engine_mpi_bcast(poolsim_results *r);

/* Blocks drawn in any order, folded in block order (engine_fold.c). The
 * block sums must be folded in block order (the same additions in the
 * same order on any number of threads). A thread that finishes block b
 * while a block before it is still being drawn parks it here and draws on
 * with another block structure, instead of waiting for its turn (with
 * `omp ordered`, a thread on a slower or busier core held every other
 * thread back at every block); the thread that parks the next block to
 * fold folds it and every parked block after it, in order. At most
 * POOLSIM_FOLD_AHEAD blocks per thread wait parked: a thread that would draw
 * further ahead waits for the folds (bounded memory). Block structures
 * hold sums only (poolsim_block_alloc_sums) and are reused; each thread
 * keeps its TAIL candidates or histograms in a block of its own
 * (poolsim_block_add_to), absorbed once at the end.
 * Every call but poolsim_fold_queue_wait is made under one lock (the
 * engine's critical(poolsim_fold)). */
#define POOLSIM_FOLD_AHEAD 2

typedef struct {
    long b0, b1, next;      /* blocks [b0, b1) of this rank; the next to fold */
    poolsim_block **parked; /* [b1 - b0] drawn, not yet folded */
    int *pstat;             /* [b1 - b0] status of the drawing of each */
    int nparked, limit;
    long folded_paths;
    poolsim_block **all, **spare; /* every structure made; those free */
    int nall, nspare, cap;
} poolsim_fold_queue;

/* Blocks [b0, b1) of this rank, for nthreads threads. POOLSIM_ENOMEM. */
int poolsim_fold_queue_init(poolsim_fold_queue *q, long b0, long b1, int nthreads);
/* Free the queue and every block structure it made. */
void poolsim_fold_queue_free(poolsim_fold_queue *q);
/* A free block structure, or a new one; NULL when out of memory. */
poolsim_block *poolsim_fold_queue_block(poolsim_fold_queue *q, const poolsim_stats *stats);
/* Give back a structure not parked (a thread's last one). */
void poolsim_fold_queue_return(poolsim_fold_queue *q, poolsim_block *b);
/* Before drawing block b: wait while the parked blocks reach the limit,
 * unless b is the next to fold. Without the lock. */
void poolsim_fold_queue_wait(poolsim_fold_queue *q, long b);
/* Park block b (drawn into blk, NULL: not drawn, out of memory; bst its
 * drawing's status), then fold every parked block from the next one on in
 * block order: into stats (stash NULL) or packed into stash (bps doubles
 * each, at b - b0). A structure folded is free again. Returns `now`, or the
 * first failure among the blocks folded or the fold itself; after a
 * failure blocks are no longer folded, only given back. */
int poolsim_fold_queue_park(poolsim_fold_queue *q, long b, poolsim_block *blk, int bst, int now,
                            poolsim_stats *stats, double *stash, size_t bps);

#endif
