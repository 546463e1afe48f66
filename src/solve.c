/* poolsim: `poolsim solve` -- the lever value at which a target on a
 * result (exhaustion probability, a county's p95 burden) starts to hold,
 * by bisection on common random numbers. See include/poolsim/sweep.h.
 *
 * Why bisection on common random numbers works: every evaluation uses the
 * same seed and paths, so the estimated metric is one fixed function of
 * the lever (a step function for probabilities: the share of a fixed set
 * of paths). When that function is monotone, bisection converges to its
 * crossing of the bound without sampling noise moving the crossing from
 * one evaluation to the next. The metric's own Monte Carlo error (its
 * interval at the answer) remains and is reported. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "poolsim/common.h"
#include "poolsim/mpi.h"
#include "poolsim/stats.h"
#include "poolsim/sweep.h"

#define DEFAULT_MAX_EVALS 30
#define DEFAULT_REL_TOL   1e-3

/* ---- target grammar ------------------------------------------------------------- */

#define NMETRICS 6
static const char *const metric_names[NMETRICS] = {
    "exhaustion_prob",       "county_burden_p95",           "county_burden_total_p95",
    "city_burden_total_p95", "government_burden_total_p95", "low_months_prob"};
static const int metric_args[NMETRICS] = {2, 3, 2, 1, 1, 2};
static const char *const metric_forms[NMETRICS] = {
    "exhaustion_prob[LINE,YEAR]",           "county_burden_p95[LINE,COUNTY,YEAR]",
    "county_burden_total_p95[LINE,COUNTY]", "city_burden_total_p95[LINE]",
    "government_burden_total_p95[LINE]",    "low_months_prob[LINE,YEAR]"};

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t') (*p)++;
}

/* An identifier [A-Za-z_][A-Za-z0-9_-]* into buf. */
static int ident(const char **p, char *buf, size_t n)
{
    const char *s = *p;
    if (!(isalpha((unsigned char)*s) || *s == '_')) return 0;
    size_t k = 0;
    while (isalnum((unsigned char)s[k]) || s[k] == '_' || s[k] == '-') k++;
    if (k >= n) return 0;
    memcpy(buf, s, k);
    buf[k] = '\0';
    *p = s + k;
    return 1;
}

#define TARGET_FAIL(...)                                                                           \
    do {                                                                                           \
        fprintf(stderr, "poolsim: --target '%s': ", text);                                         \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fprintf(stderr, " (expected %s, %s, %s, %s, %s or %s, then <= or >= and a number)\n",      \
                metric_forms[0], metric_forms[1], metric_forms[2], metric_forms[3],                \
                metric_forms[4], metric_forms[5]);                                                 \
        return POOLSIM_EINPUT;                                                                     \
    } while (0)

int poolsim_solve_target_parse(const char *text, poolsim_target *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    char name[64];
    skip_ws(&p);
    if (!ident(&p, name, sizeof name))
        TARGET_FAIL("no metric name at column %d", (int)(p - text) + 1);
    int m = -1;
    for (int i = 0; i < NMETRICS; i++)
        if (strcmp(name, metric_names[i]) == 0) m = i;
    if (m < 0) TARGET_FAIL("unknown metric '%s'", name);
    out->metric = m;
    skip_ws(&p);
    if (*p != '[') TARGET_FAIL("'[' expected after %s at column %d", name, (int)(p - text) + 1);
    p++;
    for (int a = 0; a < metric_args[m]; a++) {
        skip_ws(&p);
        int is_year =
            ((m == POOLSIM_TARGET_EXHAUSTION || m == POOLSIM_TARGET_LOW_MONTHS) && a == 1) ||
            (m == POOLSIM_TARGET_BURDEN_P95 && a == 2);
        if (is_year) {
            if (!isdigit((unsigned char)*p))
                TARGET_FAIL("a calendar year expected at column %d", (int)(p - text) + 1);
            char *end;
            errno = 0;
            long y = strtol(p, &end, 10);
            if (errno || y < 1 || y > 9999)
                TARGET_FAIL("year out of range 1..9999 at column %d", (int)(p - text) + 1);
            out->year = (int)y;
            p = end;
        } else {
            char *dst = a == 0 ? out->line : out->county;
            if (!ident(&p, dst, sizeof out->line))
                TARGET_FAIL("%s id expected at column %d", a == 0 ? "a line" : "a county",
                            (int)(p - text) + 1);
        }
        skip_ws(&p);
        if (a < metric_args[m] - 1) {
            if (*p != ',')
                TARGET_FAIL("',' expected at column %d (%s takes %d arguments)",
                            (int)(p - text) + 1, name, metric_args[m]);
            p++;
        }
    }
    if (*p != ']')
        TARGET_FAIL("']' expected at column %d (%s takes %d arguments)", (int)(p - text) + 1, name,
                    metric_args[m]);
    p++;
    skip_ws(&p);
    if (p[0] == '<' && p[1] == '=')
        out->ge = 0;
    else if (p[0] == '>' && p[1] == '=')
        out->ge = 1;
    else
        TARGET_FAIL("'<=' or '>=' expected at column %d", (int)(p - text) + 1);
    p += 2;
    skip_ws(&p);
    const char *num = p;
    while (*p && strchr("0123456789+-.eE", *p)) p++;
    if (p == num) TARGET_FAIL("a number expected at column %d", (int)(num - text) + 1);
    char buf[64];
    if ((size_t)(p - num) >= sizeof buf)
        TARGET_FAIL("number too long at column %d", (int)(num - text) + 1);
    memcpy(buf, num, (size_t)(p - num));
    buf[p - num] = '\0';
    char *end;
    errno = 0;
    out->bound = strtod(buf, &end);
    if (errno || *end || !isfinite(out->bound)) TARGET_FAIL("'%s' is not a finite number", buf);
    skip_ws(&p);
    if (*p) TARGET_FAIL("unexpected '%s' at column %d", p, (int)(p - text) + 1);
    if ((m == POOLSIM_TARGET_EXHAUSTION || m == POOLSIM_TARGET_LOW_MONTHS) &&
        (out->bound < 0 || out->bound > 1))
        TARGET_FAIL("a probability bound must be in 0..1, not %s", buf);
    char b[40];
    poolsim_format_double(out->bound, b, sizeof b);
    const char *op = out->ge ? ">=" : "<=";
    if (m == POOLSIM_TARGET_EXHAUSTION || m == POOLSIM_TARGET_LOW_MONTHS)
        snprintf(out->text, sizeof out->text, "%s[%s,%d] %s %s", metric_names[m], out->line,
                 out->year, op, b);
    else if (m == POOLSIM_TARGET_BURDEN_P95)
        snprintf(out->text, sizeof out->text, "county_burden_p95[%s,%s,%d] %s %s", out->line,
                 out->county, out->year, op, b);
    else if (m == POOLSIM_TARGET_BURDEN_TOTAL_P95)
        snprintf(out->text, sizeof out->text, "county_burden_total_p95[%s,%s] %s %s", out->line,
                 out->county, op, b);
    else
        snprintf(out->text, sizeof out->text, "%s[%s] %s %s", metric_names[m], out->line, op, b);
    return POOLSIM_OK;
}

/* ---- the metric ---------------------------------------------------------------------- */

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Distribution-free 95% interval of the q-quantile from n sorted values:
 * the number of values below the true quantile is Binomial(n, q); with its
 * normal approximation the ranks j = floor(nq - z sqrt(nq(1-q))) and
 * k = ceil(nq + z sqrt(nq(1-q))) + 1 (1-based, clamped to 1..n) bracket it
 * with probability about 0.95. */
static void quantile_ci(const double *sorted, size_t n, double q, double *lo, double *hi)
{
    double nq = (double)n * q, h = POOLSIM_Z95 * sqrt((double)n * q * (1 - q));
    double j = floor(nq - h), k = ceil(nq + h) + 1;
    if (j < 1) j = 1;
    if (k > (double)n) k = (double)n;
    if (j > (double)n) j = (double)n;
    if (k < 1) k = 1;
    *lo = sorted[(size_t)j - 1];
    *hi = sorted[(size_t)k - 1];
}

int poolsim_solve_metric(const poolsim_target *tg, const poolsim_sweep_eval *e, double *value,
                         double *lo, double *hi)
{
    const poolsim_results *r = e->res;
    int l = -1, c = -1, t = -1;
    for (int i = 0; i < r->L; i++)
        if (strcmp(r->line_ids[i], tg->line) == 0) l = i;
    if (l < 0) {
        fprintf(stderr, "poolsim: --target: unknown line '%s' (expected", tg->line);
        for (int i = 0; i < r->L; i++) fprintf(stderr, "%s %s", i ? "," : "", r->line_ids[i]);
        fputs(")\n", stderr);
        return POOLSIM_EINPUT;
    }
    const int county_metric =
        tg->metric == POOLSIM_TARGET_BURDEN_P95 || tg->metric == POOLSIM_TARGET_BURDEN_TOTAL_P95;
    if (county_metric) {
        for (int i = 0; i < r->C; i++)
            if (strcmp(r->county_ids[i], tg->county) == 0) c = i;
        if (c < 0) {
            fprintf(stderr, "poolsim: --target: unknown county '%s' (expected one of", tg->county);
            for (int i = 0; i < r->C; i++) fprintf(stderr, " %s", r->county_ids[i]);
            fputs(")\n", stderr);
            return POOLSIM_EINPUT;
        }
    }
    if (tg->metric == POOLSIM_TARGET_EXHAUSTION || tg->metric == POOLSIM_TARGET_BURDEN_P95 ||
        tg->metric == POOLSIM_TARGET_LOW_MONTHS) {
        for (int i = 0; i < r->T; i++)
            if (r->years[i] == tg->year) t = i;
        if (t < 0)
            POOLSIM_ERROR(POOLSIM_EINPUT, "--target: year %d is outside the horizon %d-%d",
                          tg->year, r->years[0], r->years[r->T - 1]);
    }
    if (tg->metric == POOLSIM_TARGET_EXHAUSTION) {
        size_t i = POOLSIM_LT(r, l, t);
        *value = r->exhaustion_prob[i];
        *lo = r->exhaustion_lo[i];
        *hi = r->exhaustion_hi[i];
        return POOLSIM_OK;
    }
    if (tg->metric == POOLSIM_TARGET_LOW_MONTHS) {
        /* fund health (MODEL.md section 12): P(months covered < warn_months) */
        size_t i = POOLSIM_LT(r, l, t);
        *value = r->low_months_prob[i];
        *lo = r->low_months_lo[i];
        *hi = r->low_months_hi[i];
        return POOLSIM_OK;
    }
    size_t P = (size_t)e->P;
    double *x = malloc(P * sizeof *x);
    if (!x) POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
    if (tg->metric == POOLSIM_TARGET_BURDEN_P95) {
        if (!e->saved) {
            free(x);
            POOLSIM_ERROR(POOLSIM_ENUM, "internal: yearly burden target without per-path values");
        }
        size_t T = (size_t)e->T, base = ((size_t)l * (size_t)e->C + (size_t)c) * P;
        for (size_t p = 0; p < P; p++) x[p] = e->saved->county_burden[(base + p) * T + (size_t)t];
        *value = r->county_burden.p95[POOLSIM_LCT(r, l, c, t)];
    } else if (tg->metric == POOLSIM_TARGET_CITY_TOTAL_P95 ||
               tg->metric == POOLSIM_TARGET_GOV_TOTAL_P95) {
        /* who pays (MODEL.md section 11): the city's payment over the
         * horizon, plus every county government's for the government */
        if (!e->saved) {
            free(x);
            POOLSIM_ERROR(POOLSIM_ENUM, "internal: city burden target without per-path values");
        }
        size_t T = (size_t)e->T, C = (size_t)e->C;
        int gov = tg->metric == POOLSIM_TARGET_GOV_TOTAL_P95;
        for (size_t p = 0; p < P; p++) {
            const double *cb = &e->saved->city_burden[((size_t)l * P + p) * T];
            double v = 0;
            for (size_t k = 0; k < T; k++) v += cb[k];
            for (size_t k = 0; gov && k < C; k++) v += e->burden_total[((size_t)l * C + k) * P + p];
            x[p] = v;
        }
        *value = gov ? r->government_burden_total.p95[l] : r->city_burden_total.p95[l];
    } else {
        memcpy(x, e->burden_total + ((size_t)l * (size_t)e->C + (size_t)c) * P, P * sizeof *x);
        *value = r->county_burden_total.p95[POOLSIM_LC(r, l, c)];
    }
    qsort(x, P, sizeof *x, cmp_d);
    quantile_ci(x, P, 0.95, lo, hi);
    free(x);
    return POOLSIM_OK;
}

/* ---- bisection ------------------------------------------------------------------------- */

void poolsim_solve_result_free(poolsim_solve_result *r)
{
    if (!r) return;
    free(r->x);
    free(r->m);
    free(r->mlo);
    free(r->mhi);
    memset(r, 0, sizeof *r);
}

/* The value compared with the bound at evaluation i: the estimate, or with
 * `conservative` the end of its 95% interval on the failing side. */
static double tested(const poolsim_solve_opts *o, const poolsim_solve_result *r, int i)
{
    if (!o->conservative) return r->m[i];
    return o->target.ge ? r->mlo[i] : r->mhi[i];
}

static int holds(const poolsim_solve_opts *o, const poolsim_solve_result *r, int i)
{
    double v = tested(o, r, i);
    return o->target.ge ? v >= o->target.bound : v <= o->target.bound;
}

/* One evaluation at lever value x: appends to out. */
static int evaluate(const char *scenario, const poolsim_solve_opts *o, poolsim_sweep_eval_opts *eo,
                    FILE *diag, double x, poolsim_sweep_eval **first, poolsim_solve_result *out)
{
    char num[40];
    poolsim_format_double(x, num, sizeof num);
    size_t n = strlen(o->key) + strlen(num) + 2;
    const char **sets = calloc((size_t)o->nsets + 1, sizeof *sets);
    char *kv = malloc(n);
    if (!sets || !kv) {
        free(sets);
        free(kv);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
    }
    for (int j = 0; j < o->nsets; j++) sets[j] = o->sets[j];
    snprintf(kv, n, "%s=%s", o->key, num);
    sets[o->nsets] = kv;
    poolsim_sweep_eval *e = NULL;
    int st = poolsim_sweep_eval_run(scenario, o->nsets + 1, sets, eo, diag, &e);
    if (st == POOLSIM_EINPUT)
        fprintf(stderr, "poolsim: solve: evaluation at --set %s failed\n", kv);
    free(kv);
    free(sets);
    if (st != POOLSIM_OK) return st;
    if (!*first) {
        *first = e;
        poolsim_sweep_eval_pin(eo, e);
        out->paths = e->P;
        out->seed = e->res->seed;
    } else {
        st = poolsim_sweep_same_shape(*first, e, "solve");
    }
    double m = 0, lo = 0, hi = 0;
    if (st == POOLSIM_OK) st = poolsim_solve_metric(&o->target, e, &m, &lo, &hi);
    if (e != *first) poolsim_sweep_eval_free(e);
    if (st != POOLSIM_OK) return st;
    /* under MPI only rank 0 holds every path's values (the p95 interval):
     * every rank takes rank 0's figures so that all decide alike */
    double b[3] = {m, lo, hi};
    if ((st = poolsim_mpi_bcast_doubles(b, 3)) != POOLSIM_OK) return st;
    m = b[0], lo = b[1], hi = b[2];
    int i = out->n++;
    out->x[i] = x;
    out->m[i] = m;
    out->mlo[i] = lo;
    out->mhi[i] = hi;
    out->evaluations = out->n;
    if (o->log) {
        char m1[40];
        poolsim_format_double(m, m1, sizeof m1);
        fprintf(o->log, "[eval %d] %s=%s  metric %s  [%.6g, %.6g]  target %s\n", out->n, o->key,
                num, m1, lo, hi, holds(o, out, i) ? "holds" : "fails");
        fflush(o->log);
    }
    return POOLSIM_OK;
}

/* Is the metric monotone (in the direction of its ends) over the evaluated
 * points? Prints a warning naming the first violation when not. */
static int check_monotone(const poolsim_solve_opts *o, const poolsim_solve_result *r)
{
    int n = r->n;
    int *ord = malloc((size_t)n * sizeof *ord);
    if (!ord) return 1;
    for (int i = 0; i < n; i++) ord[i] = i;
    for (int i = 1; i < n; i++) /* insertion sort by value: n <= max_evals */
        for (int j = i; j > 0 && r->x[ord[j]] < r->x[ord[j - 1]]; j--) {
            int t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    double dir = tested(o, r, 1) - tested(o, r, 0); /* points 0 and 1 are lo and hi */
    int ok = 1;
    for (int i = 1; i < n && ok; i++) {
        double a = tested(o, r, ord[i - 1]), b = tested(o, r, ord[i]);
        /* rounding noise (1e-9 relative) is not a reversal */
        double slack = 1e-9 * fmax(fabs(a), fabs(b));
        if ((dir >= 0 && b < a - slack) || (dir < 0 && b > a + slack)) {
            ok = 0;
            if (poolsim_mpi_rank() == 0)
                fprintf(
                    stderr,
                    "poolsim: warning: %s is not monotone in %s over the evaluated points: %.6g at "
                    "%.10g but %.6g at %.10g; the boundary found may not be the only one\n",
                    o->target.text, o->key, a, r->x[ord[i - 1]], b, r->x[ord[i]]);
        }
    }
    free(ord);
    return ok;
}

static int solve_once(const char *scenario, const poolsim_solve_opts *o, FILE *diag,
                      poolsim_solve_result *out)
{
    memset(out, 0, sizeof *out);
    if (!(o->lo < o->hi) || !isfinite(o->lo) || !isfinite(o->hi))
        POOLSIM_ERROR(POOLSIM_EINPUT, "solve: the range must be LO:HI with LO < HI, finite");
    int max_evals = o->max_evals > 0 ? o->max_evals : DEFAULT_MAX_EVALS;
    if (max_evals < 2) POOLSIM_ERROR(POOLSIM_EINPUT, "solve: --max-evals must be at least 2");
    double tol = o->tol > 0 ? o->tol : DEFAULT_REL_TOL * (o->hi - o->lo);
    size_t cap = (size_t)max_evals;
    out->x = malloc(cap * sizeof(double));
    out->m = malloc(cap * sizeof(double));
    out->mlo = malloc(cap * sizeof(double));
    out->mhi = malloc(cap * sizeof(double));
    if (!out->x || !out->m || !out->mlo || !out->mhi) {
        poolsim_solve_result_free(out);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
    }
    poolsim_sweep_eval_opts eo = o->eval;
    /* values of a lever that changes only the yearly rules reuse the draws */
    poolsim_engine_cache *cache = NULL;
    if (!eo.no_reuse && !eo.cache)
        eo.cache = cache = poolsim_engine_cache_alloc(POOLSIM_ENGINE_CACHE_BYTES);
    eo.keep_saved = o->target.metric == POOLSIM_TARGET_BURDEN_P95 ||
                    o->target.metric == POOLSIM_TARGET_CITY_TOTAL_P95 ||
                    o->target.metric == POOLSIM_TARGET_GOV_TOTAL_P95;
    /* only the summaries and per-path values the metric reads: the
     * exhaustion probabilities always, one row for the others */
    unsigned char rows[POOLSIM_SCHEMA_NROWS] = {0};
    static const int metric_row[NMETRICS] = {-1,
                                             POOLSIM_ROW_county_burden,
                                             POOLSIM_ROW_county_burden_total,
                                             POOLSIM_ROW_city_burden_total,
                                             POOLSIM_ROW_government_burden_total,
                                             POOLSIM_ROW_low_months};
    if (metric_row[o->target.metric] >= 0) rows[metric_row[o->target.metric]] = 1;
    eo.rows = rows;
    static const unsigned metric_saved[NMETRICS] = {0,
                                                    POOLSIM_SAVED_BIT(county_burden),
                                                    POOLSIM_SAVED_BIT(county_burden),
                                                    POOLSIM_SAVED_BIT(city_burden),
                                                    POOLSIM_SAVED_BIT(city_burden) |
                                                        POOLSIM_SAVED_BIT(county_burden),
                                                    0};
    eo.saved_only = POOLSIM_SAVED_SELECT | metric_saved[o->target.metric];
    poolsim_sweep_eval *first = NULL;
    int st = evaluate(scenario, o, &eo, diag, o->lo, &first, out);
    if (st == POOLSIM_OK) st = evaluate(scenario, o, &eo, diag, o->hi, &first, out);
    if (st != POOLSIM_OK) goto done;
    int hlo = holds(o, out, 0), hhi = holds(o, out, 1);
    if (hlo == hhi) {
        char a[40], b[40];
        poolsim_format_double(o->lo, a, sizeof a);
        poolsim_format_double(o->hi, b, sizeof b);
        poolsim_error_report(__FILE__, __LINE__,
                             "solve: the target %s holds at %s of the range: %s=%s gives %.6g, "
                             "%s=%s gives %.6g%s; no boundary inside [%s, %s] (%s)",
                             o->target.text, hlo ? "both ends" : "neither end", o->key, a,
                             tested(o, out, 0), o->key, b, tested(o, out, 1),
                             o->conservative ? " (interval bounds, --conservative)" : "", a, b,
                             hlo ? "every value in the range meets it; move or widen the range"
                                 : "no value in the range meets it; move or widen the range, or "
                                   "the lever cannot reach the target");
        st = POOLSIM_EINPUT;
        goto done;
    }
    double good = hlo ? o->lo : o->hi, bad = hlo ? o->hi : o->lo;
    int igood = hlo ? 0 : 1;
    while (fabs(good - bad) > tol && out->n < max_evals) {
        double mid = 0.5 * (good + bad);
        if (mid == good || mid == bad) break; /* no double strictly between */
        st = evaluate(scenario, o, &eo, diag, mid, &first, out);
        if (st != POOLSIM_OK) goto done;
        if (holds(o, out, out->n - 1)) {
            good = mid;
            igood = out->n - 1;
        } else {
            bad = mid;
        }
    }
    out->value = good;
    out->infeasible = bad;
    out->metric = out->m[igood];
    out->lo = out->mlo[igood];
    out->hi = out->mhi[igood];
    out->converged =
        fabs(good - bad) <= tol || 0.5 * (good + bad) == good || 0.5 * (good + bad) == bad;
    out->monotone = check_monotone(o, out);
    if (!out->converged && poolsim_mpi_rank() == 0)
        fprintf(stderr,
                "poolsim: warning: stopped after %d evaluations (--max-evals) with the bracket "
                "[%.10g, %.10g] wider than the tolerance %.3g\n",
                out->n, fmin(good, bad), fmax(good, bad), tol);
done:
    poolsim_sweep_eval_free(first);
    poolsim_engine_cache_free(cache);
    if (st != POOLSIM_OK) poolsim_solve_result_free(out);
    return st;
}

int poolsim_solve_run(const char *scenario, const poolsim_solve_opts *o, FILE *diag,
                      poolsim_solve_result *out)
{
    if (!(o->target_ci > 0)) {
        int st = solve_once(scenario, o, diag, out);
        if (st == POOLSIM_OK) {
            out->rounds = 1;
            out->halfwidth = 0.5 * (out->hi - out->lo);
        }
        return st;
    }
    /* precision on request: the whole solve again on 1,000, 2,000, 4,000, ...
     * paths; the draws of the paths already simulated are kept (rule-only
     * levers) */
    long max_paths = o->max_paths > 0 ? o->max_paths : POOLSIM_CI_MAX_PATHS;
    poolsim_solve_opts so = *o;
    poolsim_engine_cache *cache = NULL;
    if (!so.eval.no_reuse && !so.eval.cache)
        so.eval.cache = cache = poolsim_engine_cache_alloc(POOLSIM_ENGINE_CACHE_BYTES);
    int st = POOLSIM_OK;
    for (int k = 0;; k++) {
        so.eval.paths = poolsim_engine_ci_paths(k, max_paths);
        st = solve_once(scenario, &so, diag, out);
        if (st != POOLSIM_OK) break;
        out->rounds = k + 1;
        out->halfwidth = 0.5 * (out->hi - out->lo);
        if (out->halfwidth <= o->target_ci || so.eval.paths >= max_paths) break;
        poolsim_solve_result_free(out);
    }
    poolsim_engine_cache_free(cache);
    return st;
}
