/* poolsim: paired comparison of two scenarios (`poolsim compare`: src/cli_compare.c) -- two
 * scenarios on the same random numbers (same seed and paths: MODEL.md section 6), with paired
 * differences B - A and their intervals (include/poolsim/sweep.h). The two
 * scenarios must have the same years, line ids and county ids, in the same
 * order: path p of A and path p of B then share every random draw. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "poolsim/common.h"
#include "poolsim/compare.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/mpi.h"
#include "poolsim/sweep.h"
#include "poolsim/text.h"

void poolsim_compare_free(poolsim_compare *c)
{
    free(c->exh_a);
    free(c->exh_b);
    free(c->exh);
    free(c->ratio_a);
    free(c->ratio_b);
    free(c->ratio);
    free(c->burden_a);
    free(c->burden_b);
    free(c->burden);
    free(c->city);
    free(c->gov);
    free(c->county);
    free(c->low_a);
    free(c->low_b);
    free(c->months_a);
    free(c->months_b);
    free(c->low);
    free(c->months);
    free(c->fin_a);
    free(c->fin_b);
    free(c->fin);
}

/* Per-path value of a saved [L][P][T] array, line l, year t. */
static void lpt_of(const double *v, const poolsim_saved_paths *sp, int l, int t, double *x)
{
    size_t P = (size_t)sp->P, T = (size_t)sp->T;
    for (size_t p = 0; p < P; p++) x[p] = v[((size_t)l * P + p) * T + (size_t)t];
}

/* The k-th smallest of x[0..n-1] (0-based), reordering x (quickselect). */
static double kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double piv = x[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (x[i] < piv) i++;
            while (x[j] > piv) j--;
            if (i <= j) {
                double t = x[i];
                x[i] = x[j];
                x[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return x[k];
    }
    return x[k];
}

/* Type-7 p95 of x[0..n-1] (reorders x). */
static double p95_of(double *x, size_t n)
{
    double h = 0.95 * (double)(n - 1);
    size_t k = (size_t)floor(h);
    double lo = kth(x, n, k);
    if (k + 1 >= n) return lo;
    double hi = x[k + 1];
    for (size_t i = k + 2; i < n; i++)
        if (x[i] < hi) hi = x[i]; /* after kth, x[k+1..] are all >= x[k] */
    return lo + (h - (double)k) * (hi - lo);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_dbl(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

#define NBOOT 400

/* Means, paired difference, p95s and a paired percentile-bootstrap 95%
 * interval of p95(b) - p95(a) (NBOOT resamples of whole paths, a fixed
 * seed: the same inputs give the same interval). ws: 2n + NBOOT doubles. */
static void tail_pair(const double *a, const double *b, long n, double *ws, poolsim_compare_tail *o)
{
    size_t N = (size_t)n;
    poolsim_sweep_paired(a, b, n, &o->diff);
    poolsim_sweep_mean_se(a, n, &o->mean_a, &(double){0});
    poolsim_sweep_mean_se(b, n, &o->mean_b, &(double){0});
    double *xa = ws, *xb = ws + N, *d = ws + 2 * N;
    memcpy(xa, a, N * sizeof *xa);
    memcpy(xb, b, N * sizeof *xb);
    o->p95_a = p95_of(xa, N);
    o->p95_b = p95_of(xb, N);
    uint64_t seed = 20200518;
    for (int r = 0; r < NBOOT; r++) {
        for (size_t i = 0; i < N; i++) {
            size_t p = (size_t)(splitmix(&seed) % N);
            xa[i] = a[p];
            xb[i] = b[p];
        }
        d[r] = p95_of(xb, N) - p95_of(xa, N);
    }
    qsort(d, NBOOT, sizeof *d, cmp_dbl);
    o->p95_lo = d[(int)(0.025 * NBOOT)];
    o->p95_hi = d[(int)(0.975 * NBOOT) - 1];
}

/* Per-path reserve ratio of line l, year t: saved [L][P][T]. */
static void ratio_of(const poolsim_saved_paths *sp, int l, int t, double *x)
{
    size_t P = (size_t)sp->P, T = (size_t)sp->T;
    for (size_t p = 0; p < P; p++) x[p] = sp->reserve_ratio[((size_t)l * P + p) * T + (size_t)t];
}

int poolsim_compare_compute(const poolsim_sweep_eval *a, const poolsim_sweep_eval *b,
                            poolsim_compare *c)
{
    memset(c, 0, sizeof *c);
    c->T = a->T;
    c->L = a->L;
    c->C = a->C;
    c->P = a->P;
    size_t T = (size_t)a->T, L = (size_t)a->L, C = (size_t)a->C, P = (size_t)a->P;
    c->exh_a = malloc(L * T * sizeof(double));
    c->exh_b = malloc(L * T * sizeof(double));
    c->exh = malloc(L * T * sizeof *c->exh);
    c->ratio_a = malloc(L * T * sizeof(double));
    c->ratio_b = malloc(L * T * sizeof(double));
    c->ratio = malloc(L * T * sizeof *c->ratio);
    c->burden_a = malloc(L * C * sizeof(double));
    c->burden_b = malloc(L * C * sizeof(double));
    c->burden = malloc(L * C * sizeof *c->burden);
    c->city = calloc(L, sizeof *c->city);
    c->gov = calloc(L, sizeof *c->gov);
    c->county = calloc(C, sizeof *c->county);
    c->low_a = malloc(L * T * sizeof(double));
    c->low_b = malloc(L * T * sizeof(double));
    c->months_a = malloc(L * T * sizeof(double));
    c->months_b = malloc(L * T * sizeof(double));
    c->low = malloc(L * T * sizeof *c->low);
    c->months = malloc(L * T * sizeof *c->months);
    c->fin_a = calloc(L, sizeof(double));
    c->fin_b = calloc(L, sizeof(double));
    c->fin = malloc(L * sizeof *c->fin);
    double *xa = malloc(P * sizeof *xa), *xb = malloc(P * sizeof *xb);
    double *ws = malloc((2 * P + NBOOT) * sizeof *ws);
    double *sa = calloc(P, sizeof *sa), *sb = calloc(P, sizeof *sb);
    if (!c->exh_a || !c->exh_b || !c->exh || !c->ratio_a || !c->ratio_b || !c->ratio ||
        !c->burden_a || !c->burden_b || !c->burden || !xa || !xb || !c->city || !c->gov ||
        !c->county || !ws || !c->low_a || !c->low_b || !c->months_a || !c->months_b || !c->low ||
        !c->months || !c->fin_a || !c->fin_b || !c->fin || !sa || !sb) {
        free(sa);
        free(sb);
        free(xa);
        free(xb);
        free(ws);
        poolsim_compare_free(c);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "compare: out of memory");
    }
    for (size_t l = 0; l < L; l++) {
        for (size_t t = 0; t < T; t++) {
            size_t i = l * T + t;
            for (size_t p = 0; p < P; p++) {
                int fa = a->first_exh[l * P + p], fb = b->first_exh[l * P + p];
                xa[p] = fa != 0 && (size_t)fa <= t + 1;
                xb[p] = fb != 0 && (size_t)fb <= t + 1;
            }
            poolsim_sweep_paired(xa, xb, a->P, &c->exh[i]);
            c->exh_a[i] = a->res->exhaustion_prob[i];
            c->exh_b[i] = b->res->exhaustion_prob[i];
            ratio_of(a->saved, (int)l, (int)t, xa);
            ratio_of(b->saved, (int)l, (int)t, xb);
            poolsim_paired pr;
            poolsim_sweep_paired(xa, xb, a->P, &pr);
            c->ratio[i] = pr;
            c->ratio_a[i] = a->res->reserve_ratio.mean[i];
            c->ratio_b[i] = b->res->reserve_ratio.mean[i];
            /* months covered: below each scenario's own warn_months */
            lpt_of(a->saved->months_covered, a->saved, (int)l, (int)t, xa);
            lpt_of(b->saved->months_covered, b->saved, (int)l, (int)t, xb);
            poolsim_sweep_paired(xa, xb, a->P, &c->months[i]);
            c->months_a[i] = a->res->months_covered.mean[i];
            c->months_b[i] = b->res->months_covered.mean[i];
            for (size_t p = 0; p < P; p++) {
                xa[p] = xa[p] < a->res->warn_months[l];
                xb[p] = xb[p] < b->res->warn_months[l];
            }
            poolsim_sweep_paired(xa, xb, a->P, &c->low[i]);
            c->low_a[i] = a->res->low_months_prob[i];
            c->low_b[i] = b->res->low_months_prob[i];
            /* financing, summed over the years in year order */
            lpt_of(a->saved->financing_total, a->saved, (int)l, (int)t, xa);
            lpt_of(b->saved->financing_total, b->saved, (int)l, (int)t, xb);
            for (size_t p = 0; p < P; p++) {
                sa[p] = t ? sa[p] + xa[p] : xa[p];
                sb[p] = t ? sb[p] + xb[p] : xb[p];
            }
            c->fin_a[l] += a->res->financing_total.mean[i];
            c->fin_b[l] += b->res->financing_total.mean[i];
        }
        poolsim_sweep_paired(sa, sb, a->P, &c->fin[l]);
        for (size_t k = 0; k < C; k++) {
            size_t i = l * C + k;
            poolsim_sweep_paired(a->burden_total + i * P, b->burden_total + i * P, a->P,
                                 &c->burden[i]);
            c->burden_a[i] = a->res->county_burden_total.mean[i];
            c->burden_b[i] = b->res->county_burden_total.mean[i];
        }
    }
    /* who pays: per path totals over the horizon */
    const poolsim_sweep_eval *ev[2] = {a, b};
    double *x[2] = {xa, xb};
    double *y[2] = {NULL, NULL};
    y[0] = malloc(P * sizeof(double));
    y[1] = malloc(P * sizeof(double));
    if (!y[0] || !y[1]) {
        free(y[0]), free(y[1]), free(xa), free(xb), free(ws), free(sa), free(sb);
        poolsim_compare_free(c);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "compare: out of memory");
    }
    for (size_t l = 0; l < L; l++) {
        for (int s = 0; s < 2; s++)
            for (size_t p = 0; p < P; p++) {
                const double *cb = &ev[s]->saved->city_burden[(l * P + p) * T];
                double city = 0, gov;
                for (size_t t = 0; t < T; t++) city += cb[t];
                gov = city;
                for (size_t k = 0; k < C; k++) gov += ev[s]->burden_total[(l * C + k) * P + p];
                x[s][p] = city;
                y[s][p] = gov;
            }
        tail_pair(x[0], x[1], a->P, ws, &c->city[l]);
        tail_pair(y[0], y[1], a->P, ws, &c->gov[l]);
    }
    for (size_t k = 0; k < C; k++) {
        for (int s = 0; s < 2; s++)
            for (size_t p = 0; p < P; p++) {
                double v = 0;
                for (size_t l = 0; l < L; l++) v += ev[s]->burden_total[(l * C + k) * P + p];
                x[s][p] = v;
            }
        tail_pair(x[0], x[1], a->P, ws, &c->county[k]);
    }
    free(y[0]);
    free(y[1]);
    free(ws);
    free(xa);
    free(xb);
    free(sa);
    free(sb);
    return POOLSIM_OK;
}

/* ---- output ------------------------------------------------------------------------ */

static void csv_row(FILE *f, const char *line, const char *county, const char *q, int year,
                    double a, double b, const poolsim_paired *d)
{
    char buf[40];
    poolsim_text_csv_field(f, line);
    fputc(',', f);
    poolsim_text_csv_field(f, county);
    fprintf(f, ",%s,", q);
    if (year) fprintf(f, "%d", year);
    double v[] = {
        a, b, d->mean, d->se, d->lo, d->hi, d->se_unpaired, d->lo_unpaired, d->hi_unpaired};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        poolsim_format_double(v[i], buf, sizeof buf);
        fprintf(f, ",%s", buf);
    }
    fputc('\n', f);
}

/* The two rows of a poolsim_compare_tail: the means with the paired difference, the
 * p95s with the bootstrap interval of their difference (no se). */
static void csv_tail(FILE *f, const char *line, const char *county, const char *q,
                     const poolsim_compare_tail *t)
{
    char name[96], buf[40];
    snprintf(name, sizeof name, "%s_mean", q);
    csv_row(f, line, county, name, 0, t->mean_a, t->mean_b, &t->diff);
    poolsim_text_csv_field(f, line);
    fputc(',', f);
    poolsim_text_csv_field(f, county);
    fprintf(f, ",%s_p95,", q);
    double v[] = {t->p95_a, t->p95_b, t->p95_b - t->p95_a};
    for (size_t i = 0; i < 3; i++) {
        poolsim_format_double(v[i], buf, sizeof buf);
        fprintf(f, ",%s", buf);
    }
    poolsim_format_double(t->p95_lo, buf, sizeof buf);
    fprintf(f, ",,%s", buf);
    poolsim_format_double(t->p95_hi, buf, sizeof buf);
    fprintf(f, ",%s,,,\n", buf);
}

int poolsim_compare_fill_csv(FILE *f, const void *vctx)
{
    const poolsim_compare_out *o = vctx;
    const poolsim_compare *c = o->c;
    const poolsim_results *r = o->ea->res;
    fputs("line,county,quantity,year,a,b,diff,diff_se,diff_lo,diff_hi,diff_se_unpaired,"
          "diff_lo_unpaired,diff_hi_unpaired\n",
          f);
    for (int l = 0; l < c->L; l++) {
        for (int t = 0; t < c->T; t++) {
            size_t i = (size_t)l * (size_t)c->T + (size_t)t;
            csv_row(f, r->line_ids[l], "", "exhaustion_prob", r->years[t], c->exh_a[i], c->exh_b[i],
                    &c->exh[i]);
        }
        for (int t = 0; t < c->T; t++) {
            size_t i = (size_t)l * (size_t)c->T + (size_t)t;
            csv_row(f, r->line_ids[l], "", "reserve_ratio_mean", r->years[t], c->ratio_a[i],
                    c->ratio_b[i], &c->ratio[i]);
        }
        for (int t = 0; t < c->T; t++) {
            size_t i = (size_t)l * (size_t)c->T + (size_t)t;
            csv_row(f, r->line_ids[l], "", "low_months_prob", r->years[t], c->low_a[i], c->low_b[i],
                    &c->low[i]);
        }
        for (int t = 0; t < c->T; t++) {
            size_t i = (size_t)l * (size_t)c->T + (size_t)t;
            csv_row(f, r->line_ids[l], "", "months_covered_mean", r->years[t], c->months_a[i],
                    c->months_b[i], &c->months[i]);
        }
        csv_row(f, r->line_ids[l], "", "financing_total_sum_mean", 0, c->fin_a[l], c->fin_b[l],
                &c->fin[l]);
        for (int k = 0; k < c->C; k++) {
            size_t i = (size_t)l * (size_t)c->C + (size_t)k;
            csv_row(f, r->line_ids[l], r->county_ids[k], "county_burden_total_mean", 0,
                    c->burden_a[i], c->burden_b[i], &c->burden[i]);
        }
        csv_tail(f, r->line_ids[l], "", "city_burden_total", &c->city[l]);
        csv_tail(f, r->line_ids[l], "", "government_burden_total", &c->gov[l]);
    }
    for (int k = 0; k < c->C; k++) csv_tail(f, "", r->county_ids[k], "burden_total", &c->county[k]);
    return ferror(f) ? POOLSIM_EIO : POOLSIM_OK;
}

static json_t *jpair(double a, double b, const poolsim_paired *d)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:[f,f],s:f,s:[f,f]}", "a", a, "b", b, "diff", d->mean, "se",
                     d->se, "ci", d->lo, d->hi, "se_unpaired", d->se_unpaired, "ci_unpaired",
                     d->lo_unpaired, d->hi_unpaired);
}

static json_t *jtail(const poolsim_compare_tail *t)
{
    return json_pack("{s:f,s:f,s:f,s:[f,f],s:f,s:f,s:f,s:[f,f]}", "mean_a", t->mean_a, "mean_b",
                     t->mean_b, "mean_diff", t->diff.mean, "mean_ci", t->diff.lo, t->diff.hi,
                     "p95_a", t->p95_a, "p95_b", t->p95_b, "p95_diff", t->p95_b - t->p95_a,
                     "p95_ci", t->p95_lo, t->p95_hi);
}

static json_t *jseries(const double *a, const double *b, const poolsim_paired *d, size_t n)
{
    json_t *o = json_object(), *ja = json_array(), *jb = json_array(), *jd = json_array(),
           *jci = json_array(), *jcu = json_array();
    if (!o || !ja || !jb || !jd || !jci || !jcu) {
        json_decref(o), json_decref(ja), json_decref(jb), json_decref(jd), json_decref(jci),
            json_decref(jcu);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(ja, json_real(a[i]));
        json_array_append_new(jb, json_real(b[i]));
        json_array_append_new(jd, json_real(d[i].mean));
        json_array_append_new(jci, json_pack("[f,f]", d[i].lo, d[i].hi));
        json_array_append_new(jcu, json_pack("[f,f]", d[i].lo_unpaired, d[i].hi_unpaired));
    }
    json_object_set_new(o, "a", ja);
    json_object_set_new(o, "b", jb);
    json_object_set_new(o, "diff", jd);
    json_object_set_new(o, "ci", jci);
    json_object_set_new(o, "ci_unpaired", jcu);
    return o;
}

int poolsim_compare_fill_json(FILE *f, const void *vctx)
{
    const poolsim_compare_out *o = vctx;
    const poolsim_compare *c = o->c;
    const poolsim_results *r = o->ea->res;
    json_t *root = json_object(), *years = json_array(), *lines = json_object();
    if (!root || !years || !lines) {
        json_decref(root), json_decref(years), json_decref(lines);
        return POOLSIM_ENOMEM;
    }
    json_object_set_new(root, "a", json_string(o->a));
    json_object_set_new(root, "b", json_string(o->b));
    json_object_set_new(root, "paths", json_integer((json_int_t)c->P));
    if (r->seed <= (unsigned long long)LLONG_MAX)
        json_object_set_new(root, "seed", json_integer((json_int_t)r->seed));
    for (int t = 0; t < c->T; t++) json_array_append_new(years, json_integer(r->years[t]));
    json_object_set_new(root, "years", years);
    json_object_set_new(root, "diff",
                        json_string("b - a, paired over paths; ci: 95% normal interval"));
    for (int l = 0; l < c->L; l++) {
        size_t o0 = (size_t)l * (size_t)c->T;
        json_t *jl = json_object(), *cs = json_object();
        json_object_set_new(jl, "exhaustion_prob",
                            jseries(c->exh_a + o0, c->exh_b + o0, c->exh + o0, (size_t)c->T));
        json_object_set_new(jl, "reserve_ratio_mean",
                            jseries(c->ratio_a + o0, c->ratio_b + o0, c->ratio + o0, (size_t)c->T));
        json_object_set_new(jl, "low_months_prob",
                            jseries(c->low_a + o0, c->low_b + o0, c->low + o0, (size_t)c->T));
        json_object_set_new(
            jl, "months_covered_mean",
            jseries(c->months_a + o0, c->months_b + o0, c->months + o0, (size_t)c->T));
        json_object_set_new(jl, "financing_total_sum_mean",
                            jpair(c->fin_a[l], c->fin_b[l], &c->fin[l]));
        for (int k = 0; k < c->C; k++) {
            size_t i = (size_t)l * (size_t)c->C + (size_t)k;
            json_t *jc = json_object();
            json_object_set_new(jc, "county_burden_total_mean",
                                jpair(c->burden_a[i], c->burden_b[i], &c->burden[i]));
            json_object_set_new(cs, r->county_ids[k], jc);
        }
        json_object_set_new(jl, "counties", cs);
        json_object_set_new(jl, "city_burden_total", jtail(&c->city[l]));
        json_object_set_new(jl, "government_burden_total", jtail(&c->gov[l]));
        json_object_set_new(lines, r->line_ids[l], jl);
    }
    json_object_set_new(root, "lines", lines);
    json_t *cts = json_object();
    for (int k = 0; k < c->C; k++) {
        json_t *jc = json_object();
        json_object_set_new(jc, "burden_total", jtail(&c->county[k]));
        json_object_set_new(cts, r->county_ids[k], jc);
    }
    json_object_set_new(root, "counties", cts);
    json_object_set_new(root, "p95_ci",
                        json_string("paired percentile bootstrap, 400 resamples of whole paths"));
    int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(root);
    fputc('\n', f);
    return rc == 0 ? POOLSIM_OK : POOLSIM_EIO;
}

void poolsim_compare_print(const poolsim_compare_out *o, FILE *f)
{
    const poolsim_compare *c = o->c;
    const poolsim_results *r = o->ea->res;
    int T = c->T;
    fprintf(f, "\ncompare  A: %s\n         B: %s\n", o->a, o->b);
    fprintf(f,
            "%ld paths, seed %llu, both on the same random numbers; differences are B - A "
            "with paired 95%% intervals (unpaired in parentheses)\n",
            c->P, r->seed);
    for (int l = 0; l < c->L; l++) {
        size_t i = (size_t)l * (size_t)T + (size_t)(T - 1);
        const poolsim_paired *d = &c->exh[i];
        fprintf(f, "\n  line %s (%s)\n", r->line_ids[l], r->line_names[l]);
        fprintf(f,
                "    P(exhausted by %d)      A %.4f  B %.4f  diff %+.4f [%+.4f, %+.4f]  "
                "(%+.4f, %+.4f)\n",
                r->years[T - 1], c->exh_a[i], c->exh_b[i], d->mean, d->lo, d->hi, d->lo_unpaired,
                d->hi_unpaired);
        d = &c->ratio[i];
        fprintf(f,
                "    mean reserve ratio %d   A %.4f  B %.4f  diff %+.4f [%+.4f, %+.4f]  "
                "(%+.4f, %+.4f)\n",
                r->years[T - 1], c->ratio_a[i], c->ratio_b[i], d->mean, d->lo, d->hi,
                d->lo_unpaired, d->hi_unpaired);
        d = &c->low[i];
        fprintf(f,
                "    P(months < %g) %d     A %.4f  B %.4f  diff %+.4f [%+.4f, %+.4f]  "
                "(%+.4f, %+.4f)\n",
                r->warn_months[l], r->years[T - 1], c->low_a[i], c->low_b[i], d->mean, d->lo, d->hi,
                d->lo_unpaired, d->hi_unpaired);
        d = &c->months[i];
        fprintf(f,
                "    mean months covered %d  A %.3f  B %.3f  diff %+.3f [%+.3f, %+.3f]  "
                "(%+.3f, %+.3f)\n",
                r->years[T - 1], c->months_a[i], c->months_b[i], d->mean, d->lo, d->hi,
                d->lo_unpaired, d->hi_unpaired);
        d = &c->fin[l];
        fprintf(
            f,
            "    financing over %d years, mean (yuan):\n"
            "                   A %14.0f  B %14.0f  diff %+14.0f [%+.0f, %+.0f]  (%+.0f, %+.0f)\n",
            T, c->fin_a[l], c->fin_b[l], d->mean, d->lo, d->hi, d->lo_unpaired, d->hi_unpaired);
        fprintf(f, "    county-government burden over %d years, mean (yuan):\n", T);
        for (int k = 0; k < c->C; k++) {
            size_t j = (size_t)l * (size_t)c->C + (size_t)k;
            d = &c->burden[j];
            fprintf(f,
                    "      %-12s A %14.0f  B %14.0f  diff %+14.0f [%+.0f, %+.0f]  (%+.0f, %+.0f)\n",
                    r->county_ids[k], c->burden_a[j], c->burden_b[j], d->mean, d->lo, d->hi,
                    d->lo_unpaired, d->hi_unpaired);
        }
        const poolsim_compare_tail *w[2] = {&c->city[l], &c->gov[l]};
        const char *what[2] = {"city government", "all governments"};
        for (int j = 0; j < 2; j++)
            fprintf(f,
                    "    %-15s over %d years: mean A %.0f  B %.0f  diff %+.0f [%+.0f, %+.0f];"
                    "  p95 A %.0f  B %.0f  diff %+.0f [%+.0f, %+.0f]\n",
                    what[j], T, w[j]->mean_a, w[j]->mean_b, w[j]->diff.mean, w[j]->diff.lo,
                    w[j]->diff.hi, w[j]->p95_a, w[j]->p95_b, w[j]->p95_b - w[j]->p95_a,
                    w[j]->p95_lo, w[j]->p95_hi);
    }
    fprintf(f, "\n  county governments, all lines, over %d years (yuan): mean and p95\n", T);
    for (int k = 0; k < c->C; k++) {
        const poolsim_compare_tail *w = &c->county[k];
        fprintf(f,
                "      %-12s mean A %14.0f  B %14.0f  diff %+14.0f [%+.0f, %+.0f];  p95 A %.0f  "
                "B %.0f  diff %+.0f [%+.0f, %+.0f]\n",
                r->county_ids[k], w->mean_a, w->mean_b, w->diff.mean, w->diff.lo, w->diff.hi,
                w->p95_a, w->p95_b, w->p95_b - w->p95_a, w->p95_lo, w->p95_hi);
    }
    fprintf(f, "  (p95 intervals: paired percentile bootstrap, %d resamples of whole paths)\n",
            NBOOT);
    fputc('\n', f);
}

/* ---- charts and the HTML report ------------------------------------------------------ */

/* The chart data of a comparison: county burdens over all lines, the
 * city's over all lines. Arrays malloc'ed into *ca, *cb (freed by the
 * caller). */
static int chart_data(const poolsim_compare_out *o, int lang, poolsim_compare_charts *d,
                      double **ca, double **cb)
{
    const poolsim_compare *c = o->c;
    const poolsim_results *ra = o->ea->res, *rb = o->eb->res;
    *ca = malloc(((size_t)c->C + 1) * sizeof **ca);
    *cb = malloc(((size_t)c->C + 1) * sizeof **cb);
    if (!*ca || !*cb) return POOLSIM_ENOMEM;
    memset(d, 0, sizeof *d);
    d->lang = lang;
    d->T = c->T, d->L = c->L, d->C = c->C;
    d->years = ra->years;
    d->line_names = (const char *const *)ra->line_names;
    d->county_names = (const char *const *)ra->county_names;
    d->name_a = ra->scenario_name ? ra->scenario_name : o->a;
    d->name_b = rb->scenario_name ? rb->scenario_name : o->b;
    d->exh_a = c->exh_a, d->exh_b = c->exh_b;
    for (int k = 0; k < c->C; k++) {
        (*ca)[k] = c->county[k].mean_a;
        (*cb)[k] = c->county[k].mean_b;
    }
    d->county_a = *ca, d->county_b = *cb;
    for (int l = 0; l < c->L; l++) {
        d->city_a += c->city[l].mean_a;
        d->city_b += c->city[l].mean_b;
    }
    return POOLSIM_OK;
}

static void html_esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

typedef struct {
    const poolsim_compare_out *o;
    int lang;
    char *svg[POOLSIM_COMPARE_NCHARTS]; /* chart files (SVG) to inline */
} html_ctx;

static int fill_html(FILE *f, const void *vctx)
{
    const html_ctx *h = vctx;
    const poolsim_compare_out *o = h->o;
    const poolsim_compare *c = o->c;
    const poolsim_results *r = o->ea->res, *rb = o->eb->res;
    int zh = h->lang == POOLSIM_LANG_ZH, T = c->T;
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">\n<title>",
            zh ? "zh" : "en");
    fputs(zh ? "情景比较" : "Comparison of two scenarios", f);
    fputs("</title>\n<style>body{font-family:'Noto Sans CJK SC',sans-serif;max-width:980px;"
          "margin:2em auto}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
          "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}"
          "</style></head><body>\n<h1>",
          f);
    fputs(zh ? "情景比较（同一组随机数）" : "Comparison on common random numbers", f);
    fputs("</h1>\n<p>A: ", f);
    html_esc(f, r->scenario_name ? r->scenario_name : o->a);
    fputs(" (", f);
    html_esc(f, o->a);
    fputs(")<br>B: ", f);
    html_esc(f, rb->scenario_name ? rb->scenario_name : o->b);
    fputs(" (", f);
    html_esc(f, o->b);
    fprintf(f, ")</p>\n<p>%s %ld, %s %llu. %s</p>\n", zh ? "路径数" : "Paths", c->P,
            zh ? "种子" : "seed", r->seed,
            zh ? "差值为 B − A，括号内为配对 95% 区间（p95 差值：配对自助法）。"
               : "Differences are B − A with paired 95% intervals (p95 differences: paired "
                 "bootstrap).");
    fprintf(f, "<table><tr><th>%s</th><th>A</th><th>B</th><th>%s</th></tr>\n",
            zh ? "指标" : "quantity", zh ? "差值 [95% 区间]" : "difference [95% interval]");
    for (int l = 0; l < c->L; l++) {
        size_t i = (size_t)l * (size_t)T + (size_t)(T - 1);
        fputs("<tr><td>", f);
        html_esc(f, r->line_names[l]);
        fprintf(f, zh ? "：截至%d年耗尽概率" : ": P(exhausted by %d)", r->years[T - 1]);
        fprintf(f, "</td><td>%.4f</td><td>%.4f</td><td>%+.4f [%+.4f, %+.4f]</td></tr>\n",
                c->exh_a[i], c->exh_b[i], c->exh[i].mean, c->exh[i].lo, c->exh[i].hi);
        const poolsim_compare_tail *w[2] = {&c->city[l], &c->gov[l]};
        const char *what_zh[2] = {"市级财政负担", "各级政府负担合计"};
        const char *what_en[2] = {"city government payment", "all governments' payment"};
        for (int j = 0; j < 2; j++) {
            const char *q[2] = {zh ? "均值" : "mean", "p95"};
            for (int m = 0; m < 2; m++) {
                fputs("<tr><td>", f);
                html_esc(f, r->line_names[l]);
                fprintf(f, zh ? "：%s（%d年合计，%s，元）" : ": %s (%d years, %s, yuan)",
                        zh ? what_zh[j] : what_en[j], T, q[m]);
                if (m == 0)
                    fprintf(f,
                            "</td><td>%.0f</td><td>%.0f</td><td>%+.0f [%+.0f, %+.0f]</td>"
                            "</tr>\n",
                            w[j]->mean_a, w[j]->mean_b, w[j]->diff.mean, w[j]->diff.lo,
                            w[j]->diff.hi);
                else
                    fprintf(f,
                            "</td><td>%.0f</td><td>%.0f</td><td>%+.0f [%+.0f, %+.0f]</td>"
                            "</tr>\n",
                            w[j]->p95_a, w[j]->p95_b, w[j]->p95_b - w[j]->p95_a, w[j]->p95_lo,
                            w[j]->p95_hi);
            }
        }
    }
    for (int k = 0; k < c->C; k++) {
        const poolsim_compare_tail *w = &c->county[k];
        fputs("<tr><td>", f);
        html_esc(f, r->county_names[k]);
        fprintf(f,
                zh ? "：县级政府负担（各险种，%d年合计，p95，元）"
                   : ": county-government burden (all lines, %d years, p95, yuan)",
                T);
        fprintf(f, "</td><td>%.0f</td><td>%.0f</td><td>%+.0f [%+.0f, %+.0f]</td></tr>\n", w->p95_a,
                w->p95_b, w->p95_b - w->p95_a, w->p95_lo, w->p95_hi);
    }
    fputs("</table>\n", f);
    for (int k = 0; k < POOLSIM_COMPARE_NCHARTS; k++) {
        if (!h->svg[k]) continue;
        size_t n = 0;
        char *svg = poolsim_output_read_file(h->svg[k], &n);
        if (!svg) return POOLSIM_EIO;
        const char *start = strstr(svg, "<svg");
        fputs("<figure>\n", f);
        fputs(start ? start : svg, f);
        fputs("</figure>\n", f);
        free(svg);
    }
    fputs("</body></html>\n", f);
    return ferror(f) ? POOLSIM_EIO : POOLSIM_OK;
}

int poolsim_compare_charts_write(const poolsim_compare_out *o, const char *dir, unsigned formats,
                                 const char *html)
{
    int lang = poolsim_plot_lang(o->ea->res, NULL);
    poolsim_compare_charts d;
    double *ca = NULL, *cb = NULL;
    int st = chart_data(o, lang, &d, &ca, &cb);
    char *files[POOLSIM_COMPARE_NCHARTS][2];
    memset(files, 0, sizeof files);
    if (st == POOLSIM_OK)
        st = poolsim_compare_plot(&d, dir, formats | (html ? POOLSIM_FMT_SVG : 0u), files);
    if (st == POOLSIM_OK && html) {
        html_ctx h = {o, lang, {files[0][0], files[1][0]}};
        st = poolsim_sweep_write_atomic(html, fill_html, &h);
    }
    if (st == POOLSIM_OK) {
        for (int k = 0; k < POOLSIM_COMPARE_NCHARTS; k++)
            for (int f = 0; f < 2; f++)
                if (files[k][f]) fprintf(stderr, "poolsim: compare: wrote %s\n", files[k][f]);
        if (html) fprintf(stderr, "poolsim: compare: wrote %s\n", html);
    }
    for (int k = 0; k < POOLSIM_COMPARE_NCHARTS; k++)
        for (int f = 0; f < 2; f++) free(files[k][f]);
    free(ca);
    free(cb);
    return st;
}

/* Keep only the per-path reserve ratios of the saved values. */
void poolsim_compare_trim(poolsim_sweep_eval *e)
{
    free(e->saved->county_burden);
    free(e->saved->shortfall);
    free(e->saved->balance);
    free(e->saved->reserve_balance);
    e->saved->county_burden = e->saved->shortfall = e->saved->balance = NULL;
    e->saved->reserve_balance = NULL;
}
