/* poolsim: paired comparison of two scenarios (`poolsim compare`: src/cli_compare.c) -- two
 * scenarios on the same random numbers (same seed and paths: MODEL.md section 6), with paired
 * differences B - A and their intervals (include/poolsim/sweep.h). The two
 * scenarios must have the same years, line ids and county ids, in the same
 * order: path p of A and path p of B then share every random draw. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "poolsim/common.h"
#include "poolsim/mpi.h"
#include "poolsim/sweep.h"

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
    double *xa = malloc(P * sizeof *xa), *xb = malloc(P * sizeof *xb);
    if (!c->exh_a || !c->exh_b || !c->exh || !c->ratio_a || !c->ratio_b || !c->ratio ||
        !c->burden_a || !c->burden_b || !c->burden || !xa || !xb) {
        free(xa);
        free(xb);
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
        }
        for (size_t k = 0; k < C; k++) {
            size_t i = l * C + k;
            poolsim_sweep_paired(a->burden_total + i * P, b->burden_total + i * P, a->P,
                                 &c->burden[i]);
            c->burden_a[i] = a->res->county_burden_total.mean[i];
            c->burden_b[i] = b->res->county_burden_total.mean[i];
        }
    }
    free(xa);
    free(xb);
    return POOLSIM_OK;
}

/* ---- output ------------------------------------------------------------------------ */

static void csv_row(FILE *f, const char *line, const char *county, const char *q, int year,
                    double a, double b, const poolsim_paired *d)
{
    char buf[40];
    poolsim_sweep_csv_field(f, line);
    fputc(',', f);
    poolsim_sweep_csv_field(f, county);
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
        for (int k = 0; k < c->C; k++) {
            size_t i = (size_t)l * (size_t)c->C + (size_t)k;
            csv_row(f, r->line_ids[l], r->county_ids[k], "county_burden_total_mean", 0,
                    c->burden_a[i], c->burden_b[i], &c->burden[i]);
        }
    }
    return ferror(f) ? POOLSIM_EIO : POOLSIM_OK;
}

static json_t *jpair(double a, double b, const poolsim_paired *d)
{
    return json_pack("{s:f,s:f,s:f,s:f,s:[f,f],s:f,s:[f,f]}", "a", a, "b", b, "diff", d->mean, "se",
                     d->se, "ci", d->lo, d->hi, "se_unpaired", d->se_unpaired, "ci_unpaired",
                     d->lo_unpaired, d->hi_unpaired);
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
        for (int k = 0; k < c->C; k++) {
            size_t i = (size_t)l * (size_t)c->C + (size_t)k;
            json_t *jc = json_object();
            json_object_set_new(jc, "county_burden_total_mean",
                                jpair(c->burden_a[i], c->burden_b[i], &c->burden[i]));
            json_object_set_new(cs, r->county_ids[k], jc);
        }
        json_object_set_new(jl, "counties", cs);
        json_object_set_new(lines, r->line_ids[l], jl);
    }
    json_object_set_new(root, "lines", lines);
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
        fprintf(f, "    county-government burden over %d years, mean (yuan):\n", T);
        for (int k = 0; k < c->C; k++) {
            size_t j = (size_t)l * (size_t)c->C + (size_t)k;
            d = &c->burden[j];
            fprintf(f,
                    "      %-12s A %14.0f  B %14.0f  diff %+14.0f [%+.0f, %+.0f]  (%+.0f, %+.0f)\n",
                    r->county_ids[k], c->burden_a[j], c->burden_b[j], d->mean, d->lo, d->hi,
                    d->lo_unpaired, d->hi_unpaired);
        }
    }
    fputc('\n', f);
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
