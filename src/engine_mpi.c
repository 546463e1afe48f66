/* poolsim: gathering the ranks' blocks under MPI. Ranks > 0 send their
 * packed blocks (and exact-mode values, histograms, saved paths) to rank 0,
 * which folds them in block order, rank after rank, so the result is the
 * same for any rank count. */
#include <stdint.h>
#include <stdlib.h>

#include "poolsim/common.h"
#include "poolsim/engine.h"
#include "poolsim/mpi.h"
#include "poolsim/qhist.h"

#include "engine_internal.h"

enum { TAG_BLOCKS = 11, TAG_VALUES = 12, TAG_HIST = 13, TAG_SAVED = 14 };

/* Send this rank's partial results to rank 0 (rank > 0). */
int poolsim_engine_mpi_send(poolsim_stats *stats, poolsim_saved_paths *sp, const double *stash,
                            long b0, long b1)
{
    size_t bps = poolsim_block_packed_size(stats);
    long f0, e0, f1, e1;
    poolsim_stats_block_range(stats, b0, &f0, &e0);
    poolsim_stats_block_range(stats, b1 - 1, &f1, &e1);
    int st = poolsim_mpi_send_doubles(stash, (size_t)(b1 - b0) * bps, 0, TAG_BLOCKS);
    if (st == POOLSIM_OK && poolsim_stats_exact(stats)) {
        size_t nv = poolsim_stats_values_packed_size(stats, f0, e1);
        double *buf = malloc((nv ? nv : 1) * sizeof(double));
        if (!buf) return POOLSIM_ENOMEM;
        poolsim_stats_values_pack(stats, f0, e1, buf);
        st = poolsim_mpi_send_doubles(buf, nv, 0, TAG_VALUES);
        free(buf);
    } else if (st == POOLSIM_OK) {
        poolsim_qhist *h = poolsim_stats_hist(stats);
        size_t n = poolsim_qhist_packed_size(h);
        int64_t *buf = malloc((n ? n : 1) * sizeof(int64_t));
        if (!buf) return POOLSIM_ENOMEM;
        poolsim_qhist_pack(h, buf);
        st = poolsim_mpi_send_i64(buf, n, 0, TAG_HIST);
        free(buf);
    }
    if (st == POOLSIM_OK && sp) {
        size_t n = poolsim_engine_saved_xfer(sp, f0, e1, NULL, 1);
        double *buf = malloc((n ? n : 1) * sizeof(double));
        if (!buf) return POOLSIM_ENOMEM;
        poolsim_engine_saved_xfer(sp, f0, e1, buf, 1);
        st = poolsim_mpi_send_doubles(buf, n, 0, TAG_SAVED);
        free(buf);
    }
    return st;
}

/* On rank 0: receive every other rank's part, in rank order, folding its
 * blocks in block order. */
int poolsim_engine_mpi_recv(poolsim_stats *stats, poolsim_saved_paths *sp, poolsim_block *tmp,
                            long nblocks, int size)
{
    size_t bps = poolsim_block_packed_size(stats);
    for (int r = 1; r < size; r++) {
        long b0 = nblocks * r / size, b1 = nblocks * (r + 1) / size;
        if (b1 <= b0) continue;
        long f0, e0, f1, e1;
        poolsim_stats_block_range(stats, b0, &f0, &e0);
        poolsim_stats_block_range(stats, b1 - 1, &f1, &e1);
        size_t nb = (size_t)(b1 - b0) * bps;
        double *buf = malloc(nb * sizeof(double));
        if (!buf) return POOLSIM_ENOMEM;
        int st = poolsim_mpi_recv_doubles(buf, nb, r, TAG_BLOCKS);
        for (long b = b0; st == POOLSIM_OK && b < b1; b++) {
            poolsim_block_unpack(tmp, buf + (size_t)(b - b0) * bps);
            st = poolsim_stats_fold(stats, tmp);
        }
        free(buf);
        if (st != POOLSIM_OK) return st;
        if (poolsim_stats_exact(stats)) {
            size_t nv = poolsim_stats_values_packed_size(stats, f0, e1);
            double *vb = malloc((nv ? nv : 1) * sizeof(double));
            if (!vb) return POOLSIM_ENOMEM;
            st = poolsim_mpi_recv_doubles(vb, nv, r, TAG_VALUES);
            if (st == POOLSIM_OK) poolsim_stats_values_unpack(stats, f0, e1, vb);
            free(vb);
        } else {
            int64_t *hb = NULL;
            size_t n = 0;
            st = poolsim_mpi_recv_i64_any(&hb, &n, r, TAG_HIST);
            if (st == POOLSIM_OK) st = poolsim_qhist_unpack_add(poolsim_stats_hist(stats), hb, n);
            free(hb);
        }
        if (st == POOLSIM_OK && sp) {
            size_t n = poolsim_engine_saved_xfer(sp, f0, e1, NULL, 0);
            double *sb = malloc((n ? n : 1) * sizeof(double));
            if (!sb) return POOLSIM_ENOMEM;
            st = poolsim_mpi_recv_doubles(sb, n, r, TAG_SAVED);
            if (st == POOLSIM_OK) poolsim_engine_saved_xfer(sp, f0, e1, sb, 0);
            free(sb);
        }
        if (st != POOLSIM_OK) return st;
    }
    return POOLSIM_OK;
}

/* Give every rank rank 0's summary (so sweep and solve decide alike). */
int poolsim_engine_mpi_bcast(poolsim_results *r)
{
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(r, a);
    for (int i = 0; i < n; i++) {
        int st = poolsim_mpi_bcast_doubles(a[i].data, a[i].n);
        if (st != POOLSIM_OK) return st;
    }
    return POOLSIM_OK;
}
