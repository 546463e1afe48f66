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

#endif
