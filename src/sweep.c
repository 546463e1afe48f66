/* poolsim: lever sweeps on common random numbers (`poolsim sweep`), the
 * paired statistics shared with `solve` and `compare`, and one-scenario
 * evaluations kept with per-path values. See include/poolsim/sweep.h. */
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

#define MAX_POINTS 100000L

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
                              .stop = o->stop};
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
    e->burden_total = malloc(L * C * P * sizeof *e->burden_total);
    if (!e->first_exh || !e->burden_total) {
        poolsim_sweep_eval_free(e);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory keeping per-path values of %ld paths",
                      (long)P);
    }
    memcpy(e->first_exh, sp->first_exhaustion, L * P * sizeof *e->first_exh);
    for (size_t lc = 0; lc < L * C; lc++)
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

void poolsim_sweep_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (const char *p = s; *p; p++) {
        if (*p == '"') fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

/* ---- levers ------------------------------------------------------------------ */

static char *dup_trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A plain decimal number (no hex, inf, nan; the whole text). */
static int plain_number(const char *s, double *v)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

int poolsim_sweep_lever_parse(const char *arg, poolsim_sweep_lever *out)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        POOLSIM_ERROR(
            POOLSIM_EINPUT,
            "--set: '%s' is not KEY=V1,V2,... (expected e.g. reserve.levy_rate=0.08,0.10)", arg);
    if (!(out->key = dup_trim(arg, (size_t)(eq - arg)))) goto nomem;
    if (!out->key[0]) {
        poolsim_sweep_lever_free(out);
        POOLSIM_ERROR(POOLSIM_EINPUT, "--set: '%s': empty key", arg);
    }
    const char *v = eq + 1;
    size_t len = strlen(v);
    int depth = 0, cap = 0;
    char quote = 0;
    size_t from = 0;
    for (size_t i = 0; i <= len; i++) {
        char ch = v[i];
        if (quote) {
            if (ch == quote) quote = 0;
            if (ch) continue;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
            continue;
        } else if (ch == '{' || ch == '[') {
            depth++;
            continue;
        } else if (ch == '}' || ch == ']') {
            if (--depth < 0) break;
            continue;
        }
        if ((ch == ',' && depth == 0) || ch == '\0') {
            if (quote || depth != 0) break;
            if (out->n == cap) {
                cap = cap ? 2 * cap : 8;
                char **t = realloc(out->text, (size_t)cap * sizeof *t);
                if (!t) goto nomem;
                out->text = t;
            }
            if (!(out->text[out->n] = dup_trim(v + from, i - from))) goto nomem;
            if (!out->text[out->n++][0]) {
                int which = out->n;
                poolsim_sweep_lever_free(out);
                POOLSIM_ERROR(POOLSIM_EINPUT, "--set: '%s': value %d is empty", arg, which);
            }
            from = i + 1;
        }
    }
    if (quote || depth != 0) {
        poolsim_sweep_lever_free(out);
        POOLSIM_ERROR(POOLSIM_EINPUT, "--set: '%s': unbalanced %s", arg,
                      quote ? "quote" : "brackets or braces");
    }
    out->numeric = 1;
    if (!(out->value = malloc((size_t)out->n * sizeof *out->value))) goto nomem;
    for (int i = 0; i < out->n && out->numeric; i++)
        out->numeric = plain_number(out->text[i], &out->value[i]);
    if (!out->numeric) {
        free(out->value);
        out->value = NULL;
    }
    return POOLSIM_OK;
nomem:
    poolsim_sweep_lever_free(out);
    POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
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
    if (!sets || !owned || !idx) {
        st = POOLSIM_ENOMEM;
        goto done;
    }
    poolsim_sweep_eval_opts eo = o->eval;
    eo.keep_saved = 0;
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
        poolsim_sweep_csv_field(f, w->levers[k].key);
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
            poolsim_sweep_csv_field(f, name);
        }
        for (int c = 0; c < w->C; c++)
            for (size_t j = 0; j < sizeof ccols / sizeof ccols[0]; j++) {
                fputc(',', f);
                char name[384];
                snprintf(name, sizeof name, "%s.%s.%s", w->line_ids[l], w->county_ids[c], ccols[j]);
                poolsim_sweep_csv_field(f, name);
            }
    }
    fputc('\n', f);
    for (int i = 0; i < w->N; i++) {
        for (int k = 0; k < w->K; k++) {
            if (k) fputc(',', f);
            poolsim_sweep_csv_field(
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

/* ---- `poolsim sweep` --------------------------------------------------------------- */
