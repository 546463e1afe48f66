/* poolsim: lever sweeps on common random numbers: the grid of points, its
 * runs and the sweep CSV (include/poolsim/sweep.h; evaluations and paired
 * statistics: sweep_eval.c; levers: sweep_lever.c). */
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
#include "poolsim/text.h"

#define MAX_POINTS 100000L

/* Element i of a set of paired-difference arrays. */
static void paired_put(poolsim_paired_arr *a, size_t i, const poolsim_paired *p)
{
    a->mean[i] = p->mean;
    a->se[i] = p->se;
    a->lo[i] = p->lo;
    a->hi[i] = p->hi;
    a->se_unpaired[i] = p->se_unpaired;
    a->lo_unpaired[i] = p->lo_unpaired;
    a->hi_unpaired[i] = p->hi_unpaired;
}

/* ---- sweep results ------------------------------------------------------------- */

static char *xstrdup(const char *s)
{
    return strdup(s ? s : "");
}

static int copy_lever(poolsim_sweep_lever *dst, const poolsim_sweep_lever *src)
{
    memset(dst, 0, sizeof *dst);
    dst->key = xstrdup(src->key);
    dst->text = calloc((size_t)src->n, sizeof *dst->text);
    if (!dst->key || !dst->text) return POOLSIM_ENOMEM;
    dst->n = src->n;
    for (int i = 0; i < src->n; i++)
        if (!(dst->text[i] = xstrdup(src->text[i]))) return POOLSIM_ENOMEM;
    dst->numeric = src->numeric;
    if (src->numeric) {
        if (!(dst->value = malloc((size_t)src->n * sizeof *dst->value))) return POOLSIM_ENOMEM;
        memcpy(dst->value, src->value, (size_t)src->n * sizeof *dst->value);
    }
    return POOLSIM_OK;
}

/* Metadata of the sweep from point 0's run. */
static int fill_meta(poolsim_sweep_results *w, const poolsim_sweep_eval *e0)
{
    const poolsim_results *r = e0->res;
    w->seed = r->seed;
    w->paths = r->paths;
    if (!(w->scenario_name = xstrdup(r->scenario_name)) ||
        !(w->scenario_path = xstrdup(r->scenario_path)) || !(w->lang = xstrdup(r->lang)))
        return POOLSIM_ENOMEM;
    memcpy(w->years, r->years, (size_t)r->T * sizeof(int));
    for (int l = 0; l < r->L; l++)
        if (!(w->line_ids[l] = xstrdup(r->line_ids[l])) ||
            !(w->line_names[l] = xstrdup(r->line_names[l])))
            return POOLSIM_ENOMEM;
    for (int c = 0; c < r->C; c++)
        if (!(w->county_ids[c] = xstrdup(r->county_ids[c])) ||
            !(w->county_names[c] = xstrdup(r->county_names[c])))
            return POOLSIM_ENOMEM;
    return POOLSIM_OK;
}

/* Summary of point i against point 0 (x0: point 0's exhaustion indicators
 * [L][P]; e0 holds point 0's burden totals). */
static int reduce_point(poolsim_sweep_results *w, int i, const poolsim_sweep_eval *e,
                        const poolsim_sweep_eval *e0, const double *x0, double *x1)
{
    const poolsim_results *r = e->res;
    size_t P = (size_t)e->P;
    for (int l = 0; l < w->L; l++) {
        for (int t = 0; t < w->T; t++) {
            size_t j = POOLSIM_SW_NLT(w, i, l, t), s = POOLSIM_LT(r, l, t);
            w->exh_prob[j] = r->exhaustion_prob[s];
            w->exh_lo[j] = r->exhaustion_lo[s];
            w->exh_hi[j] = r->exhaustion_hi[s];
        }
        for (size_t p = 0; p < P; p++) x1[p] = e->first_exh[(size_t)l * P + p] != 0;
        poolsim_paired pd;
        poolsim_sweep_paired(x0 + (size_t)l * P, x1, e->P, &pd);
        paired_put(&w->exh_diff, POOLSIM_SW_NL(w, i, l), &pd);
        for (int c = 0; c < w->C; c++) {
            size_t j = POOLSIM_SW_NLC(w, i, l, c), s = POOLSIM_LC(r, l, c);
            size_t off = ((size_t)l * (size_t)w->C + (size_t)c) * P;
            w->burden_mean[j] = r->county_burden_total.mean[s];
            w->burden_se[j] = r->county_burden_total.se[s];
            w->burden_p95[j] = r->county_burden_total.p95[s];
            poolsim_sweep_paired(e0->burden_total + off, e->burden_total + off, e->P, &pd);
            paired_put(&w->burden_diff, j, &pd);
        }
    }
    return POOLSIM_OK;
}

static void log_point(FILE *log, const poolsim_sweep_results *w, int i, double secs)
{
    if (!log) return;
    fprintf(log, "[%d/%d]", i + 1, w->N);
    for (int k = 0; k < w->K; k++)
        fprintf(log, " %s=%s", w->levers[k].key,
                w->levers[k].text[w->grid[(size_t)i * (size_t)w->K + (size_t)k]]);
    for (int l = 0; l < w->L; l++) {
        size_t j = POOLSIM_SW_NLT(w, i, l, w->T - 1);
        fprintf(log, "  %s %.4f", w->line_ids[l], w->exh_prob[j]);
    }
    fprintf(log, "  (%.1f s)\n", secs);
    fflush(log);
}

int poolsim_sweep_run(const char *scenario, const poolsim_sweep_opts *o, FILE *diag,
                      poolsim_sweep_results **out, poolsim_results **base)
{
    *out = NULL;
    if (base) *base = NULL;
    int K = 0, nfixed = 0;
    long N = 1;
    for (int j = 0; j < o->nsets; j++) {
        if (o->sets[j].n >= 2) {
            K++;
            if (N > MAX_POINTS / o->sets[j].n + 1)
                N = MAX_POINTS + 1;
            else
                N *= o->sets[j].n;
        } else {
            nfixed++;
        }
    }
    if (K == 0)
        POOLSIM_ERROR(POOLSIM_EINPUT, "sweep: nothing to sweep (expected at least one --set "
                                      "KEY=V1,V2,... with two or more values)");
    if (N > MAX_POINTS)
        POOLSIM_ERROR(POOLSIM_EINPUT, "sweep: the grid has more than %ld points", MAX_POINTS);

    const char **sets = calloc((size_t)o->nsets + 1, sizeof *sets);
    char **owned = calloc((size_t)o->nsets + 1, sizeof *owned);
    int *idx = calloc((size_t)K + 1, sizeof *idx);
    poolsim_sweep_results *w = NULL;
    poolsim_sweep_eval *e0 = NULL;
    double *x0 = NULL, *x1 = NULL;
    int st = POOLSIM_OK;
    poolsim_sweep_eval_opts eo = o->eval;
    /* points that change only the yearly rules reuse point 0's draws */
    poolsim_engine_cache *cache = NULL;
    if (!eo.no_reuse && !eo.cache)
        eo.cache = cache = poolsim_engine_cache_alloc(POOLSIM_ENGINE_CACHE_BYTES);
    if (!sets || !owned || !idx) {
        st = POOLSIM_ENOMEM;
        goto done;
    }
    eo.keep_saved = 0;
    eo.saved_only = POOLSIM_SAVED_SELECT | POOLSIM_SAVED_BIT(county_burden);
    unsigned char point_rows[POOLSIM_SCHEMA_NROWS] = {0};
    point_rows[POOLSIM_ROW_county_burden_total] = 1;
    for (long i = 0; i < N && st == POOLSIM_OK; i++) {
        /* value indices of point i: the last lever varies fastest */
        long rest = i;
        for (int k = K - 1, j = o->nsets - 1; j >= 0; j--) {
            if (o->sets[j].n < 2) continue;
            idx[k] = (int)(rest % o->sets[j].n);
            rest /= o->sets[j].n;
            k--;
        }
        for (int j = 0, k = 0; j < o->nsets; j++) {
            const poolsim_sweep_lever *lv = &o->sets[j];
            const char *val = lv->n >= 2 ? lv->text[idx[k++]] : lv->text[0];
            size_t n = strlen(lv->key) + strlen(val) + 2;
            free(owned[j]);
            if (!(owned[j] = malloc(n))) {
                st = POOLSIM_ENOMEM;
                goto done;
            }
            snprintf(owned[j], n, "%s=%s", lv->key, val);
            sets[j] = owned[j];
        }
        double t0 = poolsim_now_seconds();
        poolsim_sweep_eval *e = NULL;
        st = poolsim_sweep_eval_run(scenario, o->nsets, sets, &eo, diag, &e);
        if (st != POOLSIM_OK) {
            if (st == POOLSIM_EINPUT) {
                fprintf(stderr, "poolsim: sweep: grid point %ld:", i + 1);
                for (int j = 0; j < o->nsets; j++) fprintf(stderr, " --set %s", sets[j]);
                fputc('\n', stderr);
            }
            goto done;
        }
        if (i == 0) {
            e0 = e;
            poolsim_sweep_eval_pin(&eo, e0);
            /* point 0's summary is the base (every row); the others
             * give only exhaustion and county burden totals */
            eo.rows = point_rows;
            w = poolsim_sweep_results_alloc((int)N, K, e0->T, e0->L, e0->C);
            size_t LP = (size_t)e0->L * (size_t)e0->P;
            x0 = malloc(LP * sizeof *x0);
            x1 = malloc((size_t)e0->P * sizeof *x1);
            if (!w || !x0 || !x1 || fill_meta(w, e0) != POOLSIM_OK) {
                st = POOLSIM_ENOMEM;
                goto done;
            }
            for (size_t p = 0; p < LP; p++) x0[p] = e0->first_exh[p] != 0;
            w->nfixed = nfixed;
            if (nfixed && !(w->fixed = calloc((size_t)nfixed, sizeof *w->fixed))) {
                st = POOLSIM_ENOMEM;
                goto done;
            }
            for (int j = 0, k = 0, f = 0; j < o->nsets; j++) {
                if (o->sets[j].n >= 2)
                    st = copy_lever(&w->levers[k++], &o->sets[j]);
                else if (!(w->fixed[f++] = xstrdup(sets[j])))
                    st = POOLSIM_ENOMEM;
                if (st != POOLSIM_OK) goto done;
            }
        } else {
            char what[64];
            snprintf(what, sizeof what, "sweep: grid point %ld", i + 1);
            st = poolsim_sweep_same_shape(e0, e, what);
        }
        if (st == POOLSIM_OK) {
            memcpy(&w->grid[(size_t)i * (size_t)K], idx, (size_t)K * sizeof *idx);
            st = reduce_point(w, (int)i, e, e0, x0, x1);
            log_point(o->log, w, (int)i, poolsim_now_seconds() - t0);
        }
        if (e != e0) poolsim_sweep_eval_free(e);
    }
done:
    if (st == POOLSIM_ENOMEM) poolsim_error_report(__FILE__, __LINE__, "sweep: out of memory");
    if (sets)
        for (int j = 0; j < o->nsets; j++) free(owned[j]);
    free(owned);
    free(sets);
    free(idx);
    free(x0);
    free(x1);
    if (st == POOLSIM_OK) {
        *out = w;
        if (base) {
            *base = e0->res;
            e0->res = NULL;
        }
    } else {
        poolsim_sweep_results_free(w);
    }
    poolsim_sweep_eval_free(e0);
    poolsim_engine_cache_free(cache);
    return st;
}

/* ---- CSV ------------------------------------------------------------------------ */

static void csv_num(FILE *f, double x)
{
    char b[40];
    poolsim_format_double(x, b, sizeof b);
    fputc(',', f);
    fputs(b, f);
}

int poolsim_sweep_write_csv(const poolsim_sweep_results *w, FILE *f)
{
    for (int k = 0; k < w->K; k++) {
        if (k) fputc(',', f);
        poolsim_text_csv_field(f, w->levers[k].key);
    }
    fputs(",point", f);
    static const char *const lcols[] = {"exhaustion_prob",
                                        "exhaustion_lo",
                                        "exhaustion_hi",
                                        "exhaustion_diff",
                                        "exhaustion_diff_lo",
                                        "exhaustion_diff_hi",
                                        "exhaustion_diff_lo_unpaired",
                                        "exhaustion_diff_hi_unpaired"};
    static const char *const ccols[] = {"burden_total_mean", "burden_total_p95",
                                        "burden_total_diff", "burden_total_diff_lo",
                                        "burden_total_diff_hi"};
    for (int l = 0; l < w->L; l++) {
        for (size_t j = 0; j < sizeof lcols / sizeof lcols[0]; j++) {
            fputc(',', f);
            char name[256];
            snprintf(name, sizeof name, "%s.%s", w->line_ids[l], lcols[j]);
            poolsim_text_csv_field(f, name);
        }
        for (int c = 0; c < w->C; c++)
            for (size_t j = 0; j < sizeof ccols / sizeof ccols[0]; j++) {
                fputc(',', f);
                char name[384];
                snprintf(name, sizeof name, "%s.%s.%s", w->line_ids[l], w->county_ids[c], ccols[j]);
                poolsim_text_csv_field(f, name);
            }
    }
    fputc('\n', f);
    for (int i = 0; i < w->N; i++) {
        for (int k = 0; k < w->K; k++) {
            if (k) fputc(',', f);
            poolsim_text_csv_field(
                f, w->levers[k].text[w->grid[(size_t)i * (size_t)w->K + (size_t)k]]);
        }
        fprintf(f, ",%d", i);
        for (int l = 0; l < w->L; l++) {
            size_t j = POOLSIM_SW_NLT(w, i, l, w->T - 1), d = POOLSIM_SW_NL(w, i, l);
            csv_num(f, w->exh_prob[j]);
            csv_num(f, w->exh_lo[j]);
            csv_num(f, w->exh_hi[j]);
            csv_num(f, w->exh_diff.mean[d]);
            csv_num(f, w->exh_diff.lo[d]);
            csv_num(f, w->exh_diff.hi[d]);
            csv_num(f, w->exh_diff.lo_unpaired[d]);
            csv_num(f, w->exh_diff.hi_unpaired[d]);
            for (int c = 0; c < w->C; c++) {
                size_t b = POOLSIM_SW_NLC(w, i, l, c);
                csv_num(f, w->burden_mean[b]);
                csv_num(f, w->burden_p95[b]);
                csv_num(f, w->burden_diff.mean[b]);
                csv_num(f, w->burden_diff.lo[b]);
                csv_num(f, w->burden_diff.hi[b]);
            }
        }
        fputc('\n', f);
    }
    return ferror(f) ? POOLSIM_EIO : POOLSIM_OK;
}

int poolsim_sweep_write_atomic(const char *path, int (*fill)(FILE *f, const void *ctx),
                               const void *ctx)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) POOLSIM_ERROR(POOLSIM_ENOMEM, "cannot write %s: out of memory", path);
    int st = fill(f, ctx);
    if (fclose(f) != 0 && st == POOLSIM_OK) st = POOLSIM_ENOMEM;
    if (st != POOLSIM_OK) {
        free(buf);
        POOLSIM_ERROR(st, "cannot write %s: out of memory", path);
    }
    st = poolsim_results_write_atomic(path, buf, len);
    free(buf);
    return st;
}
