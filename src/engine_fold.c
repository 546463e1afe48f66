/* poolsim: blocks of paths drawn in any order, folded in block order
 * (engine_internal.h). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "poolsim/common.h"
#include "poolsim/stats.h"

#include "engine_internal.h"

int poolsim_fold_queue_init(poolsim_fold_queue *q, long b0, long b1, int nthreads)
{
    memset(q, 0, sizeof *q);
    q->b0 = b0, q->b1 = b1, q->next = b0;
    if (nthreads < 1) nthreads = 1;
    q->limit = POOLSIM_FOLD_AHEAD * nthreads;
    /* in use at once: one per thread, at most limit + nthreads parked
     * (threads past the wait at once), so never more than cap */
    q->cap = 2 * nthreads + q->limit + 1;
    size_t nb = (size_t)(b1 > b0 ? b1 - b0 : 1);
    q->parked = calloc(nb, sizeof *q->parked);
    q->pstat = calloc(nb, sizeof *q->pstat);
    q->all = calloc((size_t)q->cap, sizeof *q->all);
    q->spare = calloc((size_t)q->cap, sizeof *q->spare);
    return q->parked && q->pstat && q->all && q->spare ? POOLSIM_OK : POOLSIM_ENOMEM;
}

void poolsim_fold_queue_free(poolsim_fold_queue *q)
{
    for (int i = 0; i < q->nall; i++) poolsim_block_free(q->all[i]);
    free(q->parked);
    free(q->pstat);
    free(q->all);
    free(q->spare);
}

/* A free block structure, or a new one (NULL: out of memory). */
poolsim_block *poolsim_fold_queue_block(poolsim_fold_queue *q, const poolsim_stats *stats)
{
    if (!q->all) return NULL;
    if (q->nspare > 0) return q->spare[--q->nspare];
    if (q->nall == q->cap) return NULL; /* not reached (see cap) */
    poolsim_block *b = poolsim_block_alloc_sums(stats);
    if (b) q->all[q->nall++] = b;
    return b;
}

void poolsim_fold_queue_return(poolsim_fold_queue *q, poolsim_block *b)
{
    if (b) q->spare[q->nspare++] = b;
}

/* Before drawing block b: wait while POOLSIM_FOLD_AHEAD blocks per
 * thread are parked, unless b is the next to fold (its drawer never
 * waits, so the folds go on). */
void poolsim_fold_queue_wait(poolsim_fold_queue *q, long b)
{
    for (;;) {
        int n;
        long next;
#pragma omp atomic read
        n = q->nparked;
#pragma omp atomic read
        next = q->next;
        if (n < q->limit || b == next) return;
        sched_yield();
    }
}

/* Park block b (drawn into blk with status bst) and fold every block from
 * the next one on that is parked: into stats (stash NULL) or packed into
 * stash. Returns the run's status, `now` or the first failure. */
int poolsim_fold_queue_park(poolsim_fold_queue *q, long b, poolsim_block *blk, int bst, int now,
                            poolsim_stats *stats, double *stash, size_t bps)
{
    size_t i = (size_t)(b - q->b0);
    q->parked[i] = blk;
    q->pstat[i] = blk ? bst : POOLSIM_ENOMEM;
#pragma omp atomic update
    q->nparked++;
    while (q->next < q->b1) {
        size_t j = (size_t)(q->next - q->b0);
        poolsim_block *x = q->parked[j];
        if (!x && q->pstat[j] == POOLSIM_OK) break; /* not drawn yet */
        if (now == POOLSIM_OK) now = q->pstat[j];
        if (now == POOLSIM_OK) {
            if (!stash)
                now = poolsim_stats_fold(stats, x);
            else
                poolsim_block_pack(x, stash + j * bps);
            long first, end;
            poolsim_stats_block_range(stats, q->next, &first, &end);
            q->folded_paths += end - first;
        }
        poolsim_fold_queue_return(q, x);
        q->parked[j] = NULL;
#pragma omp atomic update
        q->nparked--;
#pragma omp atomic update
        q->next++;
    }
    return now;
}
