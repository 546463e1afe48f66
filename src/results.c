/* poolsim: results struct allocation and small statistics helpers. */
#include "poolsim/results.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"

const double poolsim_quantile_probs[POOLSIM_NQ] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};
const char *const poolsim_quantile_names[POOLSIM_NQ] = {"p01", "p05", "p25", "p50",
                                                        "p75", "p95", "p99"};

/* The component pointers of row `row`, by kind (schema.h). */
#define COMP_VEC(f)  (c[0] = &r->f, 1)
#define COMP_RATE(f) (c[0] = &r->f, 1)
#define COMP_PROB(f) (c[0] = &r->f##_prob, c[1] = &r->f##_lo, c[2] = &r->f##_hi, 3)
#define COMP_MS(f)   (c[0] = &r->f.mean, c[1] = &r->f.se, 2)
#define COMP_DIST(f) (c[0] = &r->f.mean, c[1] = &r->f.se, c[2] = &r->f.q, 3)
#define COMP_TAIL(f)                                                                               \
    (c[0] = &r->f.mean, c[1] = &r->f.se, c[2] = &r->f.p95, c[3] = &r->f.p99, c[4] = &r->f.cvar95, 5)
static int row_slots(poolsim_results *r, int row, double **c[POOLSIM_SCHEMA_MAXCOMP])
{
    switch (row) {
#define ROW_CASE(name, kind, shape, src, since, units, desc)                                       \
    case POOLSIM_ROW_##name: return COMP_##kind(name);
        POOLSIM_SCHEMA(ROW_CASE)
#undef ROW_CASE
    default: return 0;
    }
}

int poolsim_results_row(const poolsim_results *r, int row, double *comp[POOLSIM_SCHEMA_MAXCOMP])
{
    double **slot[POOLSIM_SCHEMA_MAXCOMP];
    int n = row_slots((poolsim_results *)r, row, slot);
    for (int i = 0; i < n; i++) comp[i] = *slot[i];
    return n;
}

/* Values of component i of a row: its shape's size, times POOLSIM_NQ for
 * the quantiles of a DIST row. */
static size_t comp_size(const poolsim_results *r, int row, int i)
{
    poolsim_dims d = {r->T, r->L, r->C, r->R};
    size_t n = poolsim_schema_shape_size(poolsim_schema[row].shape, &d);
    return poolsim_schema[row].kind == POOLSIM_KIND_DIST && i == 2 ? n * POOLSIM_NQ : n;
}

poolsim_results *poolsim_results_alloc_dims(const poolsim_dims *d)
{
    poolsim_results *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->T = d->T;
    r->L = d->L;
    r->C = d->C;
    r->R = d->R;
    memset(r->present, 1, sizeof r->present);
    int ok = 1;
    ok &= (r->years = calloc((size_t)d->T, sizeof(int))) != NULL;
    ok &= (r->line_ids = calloc((size_t)d->L, sizeof(char *))) != NULL;
    ok &= (r->line_names = calloc((size_t)d->L, sizeof(char *))) != NULL;
    ok &= (r->county_ids = calloc((size_t)d->C, sizeof(char *))) != NULL;
    ok &= (r->county_names = calloc((size_t)d->C, sizeof(char *))) != NULL;
    ok &= (r->rule_ids = calloc((size_t)d->R + 1, sizeof(char *))) != NULL;
    ok &= (r->rule_line = calloc((size_t)d->R + 1, sizeof(int))) != NULL;
    for (int row = 0; ok && row < POOLSIM_SCHEMA_NROWS; row++) {
        double **slot[POOLSIM_SCHEMA_MAXCOMP];
        int n = row_slots(r, row, slot);
        for (int i = 0; ok && i < n; i++) {
            size_t k = comp_size(r, row, i);
            ok &= (*slot[i] = calloc(k ? k : 1, sizeof(double))) != NULL;
        }
    }
    if (!ok) {
        poolsim_results_free(r);
        return NULL;
    }
    return r;
}

poolsim_results *poolsim_results_alloc(int T, int L, int C)
{
    poolsim_dims d = {T, L, C, 0};
    return poolsim_results_alloc_dims(&d);
}

void poolsim_results_free(poolsim_results *r)
{
    if (!r) return;
    free(r->scenario_name);
    free(r->scenario_path);
    free(r->scenario_text);
    free(r->resolved_text);
    free(r->lang);
    free(r->version);
    free(r->git_commit);
    free(r->build_info);
    free(r->start_time);
    free(r->quantile_method);
    for (int l = 0; r->line_ids && l < r->L; l++) free(r->line_ids[l]);
    for (int l = 0; r->line_names && l < r->L; l++) free(r->line_names[l]);
    for (int c = 0; r->county_ids && c < r->C; c++) free(r->county_ids[c]);
    for (int c = 0; r->county_names && c < r->C; c++) free(r->county_names[c]);
    for (int k = 0; r->rule_ids && k < r->R; k++) free(r->rule_ids[k]);
    free(r->line_ids);
    free(r->line_names);
    free(r->county_ids);
    free(r->county_names);
    free(r->rule_ids);
    free(r->rule_line);
    free(r->years);
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        double **slot[POOLSIM_SCHEMA_MAXCOMP];
        int n = row_slots(r, row, slot);
        for (int i = 0; i < n; i++) free(*slot[i]);
    }
    free(r);
}

void poolsim_wilson(double k, double n, double *lo, double *hi)
{
    const double z = 1.959963984540054;
    if (n <= 0) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double p = k / n, z2 = z * z;
    double denom = 1 + z2 / n;
    double centre = (p + z2 / (2 * n)) / denom;
    double half = z / denom * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
    if (k == 0) *lo = 0;
    if (k == n) *hi = 1;
}

int poolsim_results_arrays(const poolsim_results *r,
                           poolsim_results_array out[POOLSIM_RESULTS_NARRAYS])
{
    int k = 0;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        double *comp[POOLSIM_SCHEMA_MAXCOMP];
        const char *names[POOLSIM_SCHEMA_MAXCOMP];
        int n = poolsim_results_row(r, row, comp);
        poolsim_schema_components(w->kind, names);
        for (int i = 0; i < n; i++, k++) {
            poolsim_results_array *a = &out[k];
            if (w->kind == POOLSIM_KIND_PROB)
                snprintf(a->name, sizeof a->name, "%s_%s", w->name, names[i]);
            else if (names[i][0])
                snprintf(a->name, sizeof a->name, "%s.%s", w->name, names[i]);
            else
                snprintf(a->name, sizeof a->name, "%s", w->name);
            int q = w->kind == POOLSIM_KIND_DIST && i == 2;
            a->shape = q && w->shape == POOLSIM_SHAPE_LT ? POOLSIM_SHAPE_LTQ : w->shape;
            a->nq = q ? POOLSIM_NQ : 1;
            a->data = comp[i];
            a->n = comp_size(r, row, i);
        }
    }
    return k;
}

/* "line 'x', county 'y', year 2025, quantile p95" for value i of a. */
static void describe(const poolsim_results *r, const poolsim_results_array *a, size_t i,
                     char *where, size_t size)
{
    size_t T = (size_t)r->T, C = (size_t)r->C, L = (size_t)r->L;
    size_t e = i / (size_t)a->nq, q = i % (size_t)a->nq;
    long l = -1, c = -1, t = -1, k = -1;
    int shape = a->shape == POOLSIM_SHAPE_LTQ ? POOLSIM_SHAPE_LT : a->shape;
    switch (shape) {
    case POOLSIM_SHAPE_LT: l = (long)(e / T), t = (long)(e % T); break;
    case POOLSIM_SHAPE_LT1: l = (long)(e / (T + 1)), t = (long)(e % (T + 1)); break;
    case POOLSIM_SHAPE_L: l = (long)e; break;
    case POOLSIM_SHAPE_LCT: t = (long)(e % T), c = (long)(e / T % C), l = (long)(e / T / C); break;
    case POOLSIM_SHAPE_LC: c = (long)(e % C), l = (long)(e / C); break;
    case POOLSIM_SHAPE_CT: t = (long)(e % T), c = (long)(e / T); break;
    case POOLSIM_SHAPE_C: c = (long)e; break;
    case POOLSIM_SHAPE_RT: t = (long)(e % T), k = (long)(e / T); break;
    default: break;
    }
    size_t m = 0;
    where[0] = '\0';
#define ADD(...)                                                                                   \
    do {                                                                                           \
        if (m < size) {                                                                            \
            int w_ = snprintf(where + m, size - m, __VA_ARGS__);                                   \
            if (w_ > 0) m += (size_t)w_;                                                           \
        }                                                                                          \
    } while (0)
    if (l >= 0 && (size_t)l < L)
        ADD("line '%s'", r->line_ids && r->line_ids[l] ? r->line_ids[l] : "?");
    if (k >= 0 && k < r->R)
        ADD("%srule '%s'", m ? ", " : "", r->rule_ids && r->rule_ids[k] ? r->rule_ids[k] : "?");
    if (c >= 0 && (size_t)c < C)
        ADD("%scounty '%s'", m ? ", " : "",
            r->county_ids && r->county_ids[c] ? r->county_ids[c] : "?");
    if (t >= 0 && (size_t)t == T)
        ADD(", never exhausted");
    else if (t >= 0 && r->years)
        ADD("%syear %d", m ? ", " : "", r->years[t]);
    if (a->nq > 1) ADD(", quantile %s", poolsim_quantile_names[q]);
#undef ADD
}

int poolsim_results_check_finite(const poolsim_results *r, const char *what_for)
{
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS];
    int na = poolsim_results_arrays(r, a);
    for (int k = 0; k < na; k++) {
        for (size_t i = 0; i < a[k].n; i++) {
            if (isfinite(a[k].data[i])) continue;
            char where[256];
            describe(r, &a[k], i, where, sizeof where);
            poolsim_error_report(__FILE__, __LINE__, "%s: %s is %s for %s", what_for, a[k].name,
                                 isnan(a[k].data[i]) ? "NaN" : "infinite", where);
            return POOLSIM_ENUM;
        }
    }
    return POOLSIM_OK;
}

static char *dup_num(const char *prefix, int i)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s%d", prefix, i);
    return strdup(buf);
}

/* Rows added after results format 1 (`since` 2): value i of row `row`
 * is v = (row + 1) * 1000 + i + 0.25, probabilities (i + 1) / (n + 2) with
 * their Wilson interval, quantiles v (1 + 0.1 k), tails above the mean. */
static void fill_test_later_rows(poolsim_results *r)
{
    const double paths = (double)r->paths;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        if (w->since < 2) continue;
        double *c[POOLSIM_SCHEMA_MAXCOMP];
        poolsim_results_row(r, row, c);
        size_t n = comp_size(r, row, 0);
        for (size_t i = 0; i < n; i++) {
            double v = (row + 1) * 1000.0 + (double)i + 0.25;
            switch (w->kind) {
            case POOLSIM_KIND_PROB: {
                double p = floor(paths * (double)(i + 1) / (double)(n + 2)) / paths;
                c[0][i] = p;
                poolsim_wilson(p * paths, paths, &c[1][i], &c[2][i]);
                break;
            }
            case POOLSIM_KIND_RATE: c[0][i] = (double)(i + 1) / (double)(n + 2); break;
            case POOLSIM_KIND_DIST:
                c[0][i] = v, c[1][i] = 0.01 * v;
                for (size_t k = 0; k < POOLSIM_NQ; k++)
                    c[2][i * POOLSIM_NQ + k] = v * (1 + 0.1 * (double)k);
                break;
            case POOLSIM_KIND_TAIL:
                c[0][i] = v, c[1][i] = 0.01 * v, c[2][i] = 2 * v, c[3][i] = 3 * v, c[4][i] = 4 * v;
                break;
            case POOLSIM_KIND_MS: c[0][i] = v, c[1][i] = 0.01 * v; break;
            default: c[0][i] = v; break;
            }
        }
    }
}

/* Synthetic data: see the header. Quantities follow simple closed forms so
 * that values differ by array, line, county and year. */
int poolsim_results_fill_test(poolsim_results *r)
{
    static const char *const lid[] = {"employee", "resident"};
    static const char *const lname[] = {"城镇职工基本医疗保险", "城乡居民基本医疗保险"};
    static const char *const cid[] = {"hetang", "lusong",  "shifeng", "tianyuan", "lukou",
                                      "liling", "youxian", "chaling", "yanling"};
    static const char *const cname[] = {"荷塘区", "芦淞区", "石峰区", "天元区", "渌口区",
                                        "醴陵市", "攸县",   "茶陵县", "炎陵县"};
    const int T = r->T, L = r->L, C = r->C;
    int ok = 1;
    ok &= (r->scenario_name = strdup("株洲市测试情景")) != NULL;
    ok &= (r->scenario_path = strdup("scenarios/test-数据.yaml")) != NULL;
    ok &= (r->scenario_text = strdup(
               "name: 株洲市测试情景\nsimulation: {paths: 10000, seed: 20200518}\n")) != NULL;
    ok &= (r->resolved_text = strdup("simulation.paths = 10000\nsimulation.seed = 20200518\n")) !=
          NULL;
    ok &= (r->lang = strdup("zh")) != NULL;
    ok &= (r->version = strdup("0.1.0")) != NULL;
    ok &= (r->git_commit = strdup("0123456789ab")) != NULL;
    ok &= (r->build_info = strdup("test data (poolsim_results_fill_test)")) != NULL;
    ok &= (r->start_time = strdup("2024-01-02T03:04:05Z")) != NULL;
    ok &= (r->quantile_method = strdup("exact-type7")) != NULL;
    for (int l = 0; l < L; l++) {
        ok &= (r->line_ids[l] = l < 2 ? strdup(lid[l]) : dup_num("line", l)) != NULL;
        ok &= (r->line_names[l] = l < 2 ? strdup(lname[l]) : dup_num("险种", l)) != NULL;
    }
    for (int c = 0; c < C; c++) {
        ok &= (r->county_ids[c] = c < 9 ? strdup(cid[c]) : dup_num("county", c)) != NULL;
        ok &= (r->county_names[c] = c < 9 ? strdup(cname[c]) : dup_num("县", c)) != NULL;
    }
    if (!ok) return POOLSIM_ENOMEM;
    r->run_seconds = 1.25;
    r->seed = 20200518ULL;
    r->paths = 10000;
    r->threads = 4;
    r->ranks = 1;
    r->claims_noise = 0;
    const double n = (double)r->paths;
    for (int t = 0; t < T; t++) r->years[t] = 2021 + t;
    for (int l = 0; l < L; l++) {
        double prev = 0, counted = 0;
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            /* P(exhausted by t) = u^2 (0.3 + 0.6 (l+1)/(L+1)), u = (t+1)/(T+1),
             * rounded down to a multiple of 1/paths */
            double u = (double)(t + 1) / (T + 1);
            double p = floor(n * u * u * (0.3 + 0.6 * (l + 1) / (L + 1))) / n;
            r->cap_ratio[i] = 0.30 + 0.01 * l;
            r->exhaustion_prob[i] = p;
            poolsim_wilson(p * n, n, &r->exhaustion_lo[i], &r->exhaustion_hi[i]);
            r->exhaustion_year_prob[i] = p - prev;
            r->first_exhaustion_count[(size_t)l * (size_t)(T + 1) + (size_t)t] =
                round((p - prev) * n);
            counted += round((p - prev) * n);
            prev = p;
            double mb = 1.0e8 * (l + 1) * (1 - 0.1 * t) + 1.0 / 3.0,
                   mr = 0.25 - 0.02 * t + 0.001 * l;
            r->reserve_balance.mean[i] = mb;
            r->reserve_balance.se[i] = 0.01 * mb;
            r->reserve_ratio.mean[i] = mr;
            r->reserve_ratio.se[i] = 0.001 + 1e-4 * t + 1e-5 * l;
            for (int k = 0; k < POOLSIM_NQ; k++) {
                double z = (poolsim_quantile_probs[k] - 0.5) * 2; /* ascending in k */
                r->reserve_balance.q[i * POOLSIM_NQ + (size_t)k] = mb * (1 + 0.5 * z);
                r->reserve_ratio.q[i * POOLSIM_NQ + (size_t)k] = mr * (1 + 0.5 * z);
            }
            r->financing_total.mean[i] = 2.0e9 * (l + 1) * pow(1.05, t);
            r->financing_total.se[i] = 1.0e6 * (l + 1) + t;
            r->expenditure_total.mean[i] = 1.9e9 * (l + 1) * pow(1.07, t);
            r->expenditure_total.se[i] = 2.0e6 * (l + 1) + t;
        }
        r->first_exhaustion_count[(size_t)l * (size_t)(T + 1) + (size_t)T] = n - counted;
        for (int c = 0; c < C; c++) {
            double total[5] = {0, 0, 0, 0, 0};
            for (int t = 0; t < T; t++) {
                size_t i = POOLSIM_LCT(r, l, c, t);
                double f = (l + 1) * 1.0e3 + (c + 1) * 1.0e2 + (t + 1);
                double p = floor(n * 0.02 * (c + 1) * (t + 1) * (t + 1) / T * (1 + 0.1 * l)) / n;
                if (p > 1) p = 1;
                r->shortfall_prob[i] = p;
                poolsim_wilson(p * n, n, &r->shortfall_lo[i], &r->shortfall_hi[i]);
                double b = 1.0e4 * f;
                r->county_burden.mean[i] = b;
                r->county_burden.se[i] = 0.02 * b;
                r->county_burden.p95[i] = 3 * b;
                r->county_burden.p99[i] = 5 * b;
                r->county_burden.cvar95[i] = 6 * b;
                total[0] += b, total[1] += 0.02 * b, total[2] += 3 * b, total[3] += 5 * b,
                    total[4] += 6 * b;
                r->reserve_paid.mean[i] = 2.0e4 * f, r->reserve_paid.se[i] = 20 * f;
                r->levy.mean[i] = 3.0e4 * f, r->levy.se[i] = 30 * f;
                r->city_uncovered.mean[i] = 0.5 * f, r->city_uncovered.se[i] = 0.01 * f;
                r->financing.mean[i] = 1.0e6 * f, r->financing.se[i] = 1.0e3 * f + 0.1;
                r->expenditure.mean[i] = 0.9e6 * f, r->expenditure.se[i] = 1.1e3 * f + 0.1;
                r->balance.mean[i] = 5.0e5 * f - 1.0 / 7.0, r->balance.se[i] = 5.0e2 * f;
            }
            size_t j = POOLSIM_LC(r, l, c);
            r->county_burden_total.mean[j] = total[0];
            r->county_burden_total.se[j] = total[1];
            r->county_burden_total.p95[j] = total[2];
            r->county_burden_total.p99[j] = total[3];
            r->county_burden_total.cvar95[j] = total[4];
        }
    }
    fill_test_later_rows(r);
    return POOLSIM_OK;
}

/* The one atomic writer is poolsim_fsio_write (fsio.h): temporaries created
 * exclusively, non-regular destinations refused, sets of files. */
int poolsim_results_write_atomic(const char *path, const void *data, size_t n)
{
    return poolsim_fsio_write(path, data, n);
}

int poolsim_results_check_writable(const char *path)
{
    return poolsim_fsio_check_writable(path);
}
