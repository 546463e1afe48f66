/* poolsim: per-path values kept by `run --save-paths` (POOLSIM_SAVED in
 * schema.h): allocation, copying a path's record slots, and packing paths
 * for the transfer between ranks. */
#include <stdlib.h>
#include <string.h>

#include "poolsim/engine.h"

#include "engine_internal.h"

/* The saved arrays of POOLSIM_SAVED with their record slot and whether
 * they are per county ([L][C][P][T]) or per line ([L][P][T]). */
typedef struct {
    double **data;
    size_t slot;
    int per_county;
} saved_array;

#define SAVED_MAX 32
static int saved_arrays(poolsim_saved_paths *sp, const poolsim_stats_layout *lay,
                        saved_array out[SAVED_MAX])
{
    int n = 0;
#define SAVED_ITEM(name, rslot, shape, units, desc)                                                \
    out[n++] = (saved_array){&sp->name, lay ? lay->rslot : 0,                                      \
                             POOLSIM_SHAPE_##shape == POOLSIM_SHAPE_LCT};
    POOLSIM_SAVED(SAVED_ITEM)
#undef SAVED_ITEM
    return n;
}

void poolsim_saved_paths_free(poolsim_saved_paths *sp)
{
    if (!sp) return;
    saved_array a[SAVED_MAX];
    int n = saved_arrays(sp, NULL, a);
    for (int i = 0; i < n; i++) free(*a[i].data);
    free(sp->first_exhaustion);
    free(sp);
}

poolsim_saved_paths *poolsim_engine_saved_alloc(long P, int T, int L, int C, unsigned only)
{
    poolsim_saved_paths *sp = calloc(1, sizeof *sp);
    if (!sp) return NULL;
    sp->P = P;
    sp->T = T;
    sp->L = L;
    sp->C = C;
    size_t lp = (size_t)L * (size_t)P, lpt = lp * (size_t)T, lcpt = lpt * (size_t)C;
    int ok = (sp->first_exhaustion = calloc(lp, sizeof(int))) != NULL;
    saved_array a[SAVED_MAX];
    int n = saved_arrays(sp, NULL, a);
    for (int i = 0; ok && i < n; i++)
        if (!only || (only & (1u << i)))
            ok = (*a[i].data = calloc(a[i].per_county ? lcpt : lpt, sizeof(double))) != NULL;
    if (!ok) {
        poolsim_saved_paths_free(sp);
        return NULL;
    }
    return sp;
}

void poolsim_engine_saved_put(poolsim_saved_paths *sp, const poolsim_stats_layout *lay, long p,
                              const double *rec)
{
    size_t P = (size_t)sp->P, T = (size_t)sp->T, C = (size_t)sp->C, up = (size_t)p;
    saved_array a[SAVED_MAX];
    int na = saved_arrays(sp, lay, a);
    for (size_t l = 0; l < (size_t)sp->L; l++) {
        sp->first_exhaustion[l * P + up] = (int)rec[lay->first_exh + l];
        for (int k = 0; k < na; k++) {
            if (!*a[k].data) continue; /* not kept */
            if (!a[k].per_county) {
                memcpy(&(*a[k].data)[(l * P + up) * T], &rec[a[k].slot + l * T],
                       T * sizeof(double));
                continue;
            }
            for (size_t c = 0; c < C; c++)
                memcpy(&(*a[k].data)[((l * C + c) * P + up) * T], &rec[a[k].slot + (l * C + c) * T],
                       T * sizeof(double));
        }
    }
}

/* Copy the saved values of paths [f, e) between sp and a flat buffer
 * (to_buf: sp -> buf, else buf -> sp; buf NULL: only count). Returns the
 * number of doubles. */
size_t poolsim_engine_saved_xfer(poolsim_saved_paths *sp, long f, long e, double *buf, int to_buf)
{
    size_t P = (size_t)sp->P, T = (size_t)sp->T, C = (size_t)sp->C, m = (size_t)(e - f), i = 0;
    size_t uf = (size_t)f;
    saved_array a[SAVED_MAX];
    int na = saved_arrays(sp, NULL, a);
    for (size_t l = 0; l < (size_t)sp->L; l++) {
        for (size_t p = 0; p < m; p++, i++)
            if (buf) {
                if (to_buf)
                    buf[i] = sp->first_exhaustion[l * P + uf + p];
                else
                    sp->first_exhaustion[l * P + uf + p] = (int)buf[i];
            }
        for (int k = 0; k < na; k++) {
            if (!*a[k].data) continue; /* not kept */
            size_t nc = a[k].per_county ? C : 1;
            for (size_t c = 0; c < nc; c++) {
                double *ptr = &(*a[k].data)[((l * nc + c) * P + uf) * T];
                if (buf && to_buf)
                    memcpy(&buf[i], ptr, m * T * sizeof(double));
                else if (buf)
                    memcpy(ptr, &buf[i], m * T * sizeof(double));
                i += m * T;
            }
        }
    }
    return i;
}
