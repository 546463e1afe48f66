/* poolsim: one-scenario evaluations kept with per-path values, and the
 * paired statistics on common random numbers that sweep, solve and
 * compare share (include/poolsim/sweep.h). */
#include "poolsim/sweep.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "poolsim/provenance.h"
#include "poolsim/common.h"
#include "poolsim/mpi.h"

/* ---- paired statistics ---------------------------------------------------- */

void poolsim_sweep_mean_se(const double *x, long n, double *mean, double *se)
{
    double s = 0;
    for (long p = 0; p < n; p++) s += x[p];
    double m = s / (double)n, ss = 0;
    for (long p = 0; p < n; p++) {
        double d = x[p] - m;
        ss += d * d;
    }
    *mean = m;
    *se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : 0.0;
}

void poolsim_sweep_paired(const double *x0, const double *x1, long n, poolsim_paired *out)
{
    double s = 0;
    for (long p = 0; p < n; p++) s += x1[p] - x0[p];
    double m = s / (double)n, ss = 0;
    for (long p = 0; p < n; p++) {
        double d = (x1[p] - x0[p]) - m;
        ss += d * d;
    }
    double m0, se0, m1, se1;
    poolsim_sweep_mean_se(x0, n, &m0, &se0);
    poolsim_sweep_mean_se(x1, n, &m1, &se1);
    out->mean = m;
    out->se = n > 1 ? sqrt(ss / (double)(n - 1) / (double)n) : 0.0;
    out->lo = m - POOLSIM_Z95 * out->se;
    out->hi = m + POOLSIM_Z95 * out->se;
    out->se_unpaired = sqrt(se0 * se0 + se1 * se1);
    out->lo_unpaired = m - POOLSIM_Z95 * out->se_unpaired;
    out->hi_unpaired = m + POOLSIM_Z95 * out->se_unpaired;
}

/* ---- evaluations ------------------------------------------------------------ */

void poolsim_sweep_eval_free(poolsim_sweep_eval *e)
{
    if (!e) return;
    poolsim_scenario_free(e->s);
    poolsim_results_free(e->res);
    poolsim_saved_paths_free(e->saved);
    free(e->first_exh);
    free(e->burden_total);
    free(e);
}

/* Provenance and texts of a results struct, as `poolsim run` records them. */
static int fill_texts(const poolsim_scenario *s, poolsim_results *r, double secs, const char *start)
{
    int st = poolsim_provenance_fill(r, secs, start);
    free(r->scenario_text);
    r->scenario_text = strdup(s->source_text ? s->source_text : "");
    free(r->resolved_text);
    r->resolved_text = poolsim_scenario_resolved_text(s);
    free(r->quantile_method);
    r->quantile_method = strdup("exact type-7 order statistics over all paths");
    if (st == POOLSIM_OK && (!r->scenario_text || !r->resolved_text || !r->quantile_method))
        st = POOLSIM_ENOMEM;
    return st;
}

int poolsim_sweep_eval_run(const char *scenario, int nsets, const char *const *sets,
                           const poolsim_sweep_eval_opts *o, FILE *diag, poolsim_sweep_eval **out)
{
    *out = NULL;
    poolsim_sweep_eval *e = calloc(1, sizeof *e);
    if (!e) POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
    poolsim_load_opts lo = {.nsets = nsets, .sets = sets, .paths = -1, .seed = -1};
    int st = poolsim_scenario_load(scenario, &lo, diag, &e->s);
    if (st != POOLSIM_OK) {
        poolsim_sweep_eval_free(e);
        return st;
    }
    char start[32];
    poolsim_now_iso(start, sizeof start);
    double t0 = poolsim_now_seconds();
    poolsim_engine_opts eo = {.paths = o->paths > 0 ? o->paths : e->s->paths,
                              .seed = o->seed_given ? o->seed : e->s->seed,
                              .threads = o->threads,
                              .save_paths = 1,
                              .progress = o->progress,
                              .stop = o->stop,
                              .cache = o->cache,
                              .rows = o->rows,
                              .saved_only = o->saved_only};
    st = poolsim_engine_run(e->s, &eo, &e->res, &e->saved);
    if (st == POOLSIM_OK && o->stop && *o->stop) st = POOLSIM_EINTR;
    if (st == POOLSIM_OK) st = fill_texts(e->s, e->res, poolsim_now_seconds() - t0, start);
    if (st != POOLSIM_OK) {
        poolsim_sweep_eval_free(e);
        return st;
    }
    const poolsim_saved_paths *sp = e->saved;
    e->P = sp->P;
    e->T = sp->T;
    e->L = sp->L;
    e->C = sp->C;
    size_t P = (size_t)sp->P, T = (size_t)sp->T, L = (size_t)sp->L, C = (size_t)sp->C;
    e->first_exh = malloc(L * P * sizeof *e->first_exh);
    /* burden totals from the yearly county burdens, when kept */
    e->burden_total = sp->county_burden ? malloc(L * C * P * sizeof *e->burden_total) : NULL;
    if (!e->first_exh || (sp->county_burden && !e->burden_total)) {
        poolsim_sweep_eval_free(e);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory keeping per-path values of %ld paths",
                      (long)P);
    }
    memcpy(e->first_exh, sp->first_exhaustion, L * P * sizeof *e->first_exh);
    for (size_t lc = 0; e->burden_total && lc < L * C; lc++)
        for (size_t p = 0; p < P; p++) {
            const double *b = &sp->county_burden[(lc * P + p) * T];
            double s = 0;
            for (size_t t = 0; t < T; t++) s += b[t];
            e->burden_total[lc * P + p] = s;
        }
    if (!o->keep_saved) {
        poolsim_saved_paths_free(e->saved);
        e->saved = NULL;
    }
    *out = e;
    return POOLSIM_OK;
}

int poolsim_sweep_same_shape(const poolsim_sweep_eval *a, const poolsim_sweep_eval *b,
                             const char *what)
{
    const poolsim_results *x = a->res, *y = b->res;
    if (a->P != b->P)
        POOLSIM_ERROR(POOLSIM_EINPUT, "%s: %ld paths against %ld: runs cannot be paired", what,
                      b->P, a->P);
    if (x->T != y->T || x->years[0] != y->years[0])
        POOLSIM_ERROR(POOLSIM_EINPUT,
                      "%s: the years differ (%d-%d against %d-%d): runs cannot be paired", what,
                      y->years[0], y->years[y->T - 1], x->years[0], x->years[x->T - 1]);
    if (x->L != y->L)
        POOLSIM_ERROR(POOLSIM_EINPUT, "%s: %d fund lines against %d: runs cannot be paired", what,
                      y->L, x->L);
    for (int l = 0; l < x->L; l++)
        if (strcmp(x->line_ids[l], y->line_ids[l]) != 0)
            POOLSIM_ERROR(POOLSIM_EINPUT, "%s: line %d is '%s' against '%s': runs cannot be paired",
                          what, l + 1, y->line_ids[l], x->line_ids[l]);
    if (x->C != y->C)
        POOLSIM_ERROR(POOLSIM_EINPUT, "%s: %d counties against %d: runs cannot be paired", what,
                      y->C, x->C);
    for (int c = 0; c < x->C; c++)
        if (strcmp(x->county_ids[c], y->county_ids[c]) != 0)
            POOLSIM_ERROR(POOLSIM_EINPUT,
                          "%s: county %d is '%s' against '%s': runs cannot be paired", what, c + 1,
                          y->county_ids[c], x->county_ids[c]);
    return POOLSIM_OK;
}

void poolsim_sweep_eval_pin(poolsim_sweep_eval_opts *o, const poolsim_sweep_eval *e)
{
    o->paths = e->P;
    o->seed_given = 1;
    o->seed = e->res->seed;
}

FILE *poolsim_sweep_diag_open(void)
{
    if (poolsim_mpi_rank() == 0) return stderr;
    FILE *f = fopen("/dev/null", "w");
    return f ? f : stderr;
}

void poolsim_sweep_diag_close(FILE *diag)
{
    if (diag != stderr) fclose(diag);
}
