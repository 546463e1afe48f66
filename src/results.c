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

const double poolsim_quantile_probs[POOLSIM_NQ] = {0.01, 0.05, 0.25, 0.50, 0.75, 0.95, 0.99};
const char *const poolsim_quantile_names[POOLSIM_NQ] = {"p01", "p05", "p25", "p50",
                                                        "p75", "p95", "p99"};

static int alloc_ms(poolsim_mean_se *m, size_t n)
{
    m->mean = calloc(n, sizeof(double));
    m->se = calloc(n, sizeof(double));
    return m->mean && m->se;
}

static void free_ms(poolsim_mean_se *m)
{
    free(m->mean);
    free(m->se);
}

static int alloc_dist(poolsim_distsum *d, size_t n)
{
    d->mean = calloc(n, sizeof(double));
    d->se = calloc(n, sizeof(double));
    d->q = calloc(n * POOLSIM_NQ, sizeof(double));
    return d->mean && d->se && d->q;
}

static void free_dist(poolsim_distsum *d)
{
    free(d->mean);
    free(d->se);
    free(d->q);
}

static int alloc_tail(poolsim_tailsum *t, size_t n)
{
    t->mean = calloc(n, sizeof(double));
    t->se = calloc(n, sizeof(double));
    t->p95 = calloc(n, sizeof(double));
    t->p99 = calloc(n, sizeof(double));
    t->cvar95 = calloc(n, sizeof(double));
    return t->mean && t->se && t->p95 && t->p99 && t->cvar95;
}

static void free_tail(poolsim_tailsum *t)
{
    free(t->mean);
    free(t->se);
    free(t->p95);
    free(t->p99);
    free(t->cvar95);
}

poolsim_results *poolsim_results_alloc(int T, int L, int C)
{
    poolsim_results *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->T = T;
    r->L = L;
    r->C = C;
    size_t lt = (size_t)L * (size_t)T, lct = lt * (size_t)C, lc = (size_t)L * (size_t)C;
    int ok = 1;
    ok &= (r->years = calloc((size_t)T, sizeof(int))) != NULL;
    ok &= (r->line_ids = calloc((size_t)L, sizeof(char *))) != NULL;
    ok &= (r->line_names = calloc((size_t)L, sizeof(char *))) != NULL;
    ok &= (r->county_ids = calloc((size_t)C, sizeof(char *))) != NULL;
    ok &= (r->county_names = calloc((size_t)C, sizeof(char *))) != NULL;
    ok &= (r->cap_ratio = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_prob = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_lo = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_hi = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->exhaustion_year_prob = calloc(lt, sizeof(double))) != NULL;
    ok &= (r->first_exhaustion_count = calloc((size_t)L * (size_t)(T + 1), sizeof(double))) != NULL;
    ok &= alloc_dist(&r->reserve_balance, lt);
    ok &= alloc_dist(&r->reserve_ratio, lt);
    ok &= alloc_ms(&r->financing_total, lt);
    ok &= alloc_ms(&r->expenditure_total, lt);
    ok &= (r->shortfall_prob = calloc(lct, sizeof(double))) != NULL;
    ok &= (r->shortfall_lo = calloc(lct, sizeof(double))) != NULL;
    ok &= (r->shortfall_hi = calloc(lct, sizeof(double))) != NULL;
    ok &= alloc_tail(&r->county_burden, lct);
    ok &= alloc_tail(&r->county_burden_total, lc);
    ok &= alloc_ms(&r->reserve_paid, lct);
    ok &= alloc_ms(&r->levy, lct);
    ok &= alloc_ms(&r->city_uncovered, lct);
    ok &= alloc_ms(&r->financing, lct);
    ok &= alloc_ms(&r->expenditure, lct);
    ok &= alloc_ms(&r->balance, lct);
    if (!ok) {
        poolsim_results_free(r);
        return NULL;
    }
    return r;
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
    free(r->line_ids);
    free(r->line_names);
    free(r->county_ids);
    free(r->county_names);
    free(r->years);
    free(r->cap_ratio);
    free(r->exhaustion_prob);
    free(r->exhaustion_lo);
    free(r->exhaustion_hi);
    free(r->exhaustion_year_prob);
    free(r->first_exhaustion_count);
    free_dist(&r->reserve_balance);
    free_dist(&r->reserve_ratio);
    free_ms(&r->financing_total);
    free_ms(&r->expenditure_total);
    free(r->shortfall_prob);
    free(r->shortfall_lo);
    free(r->shortfall_hi);
    free_tail(&r->county_burden);
    free_tail(&r->county_burden_total);
    free_ms(&r->reserve_paid);
    free_ms(&r->levy);
    free_ms(&r->city_uncovered);
    free_ms(&r->financing);
    free_ms(&r->expenditure);
    free_ms(&r->balance);
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
    size_t lt = (size_t)r->L * (size_t)r->T, lct = lt * (size_t)r->C;
    size_t lc = (size_t)r->L * (size_t)r->C, lt1 = (size_t)r->L * (size_t)(r->T + 1);
    int k = 0;
#define A(nm, sh, ptr, cnt) out[k++] = (poolsim_results_array){nm, sh, ptr, cnt}
#define MS(nm, sh, m, cnt)  A(nm ".mean", sh, (m).mean, cnt), A(nm ".se", sh, (m).se, cnt)
#define TAIL(nm, sh, m, cnt)                                                                       \
    MS(nm, sh, m, cnt), A(nm ".p95", sh, (m).p95, cnt), A(nm ".p99", sh, (m).p99, cnt),            \
        A(nm ".cvar95", sh, (m).cvar95, cnt)
    A("cap_ratio", POOLSIM_SHAPE_LT, r->cap_ratio, lt);
    A("exhaustion_prob", POOLSIM_SHAPE_LT, r->exhaustion_prob, lt);
    A("exhaustion_lo", POOLSIM_SHAPE_LT, r->exhaustion_lo, lt);
    A("exhaustion_hi", POOLSIM_SHAPE_LT, r->exhaustion_hi, lt);
    A("exhaustion_year_prob", POOLSIM_SHAPE_LT, r->exhaustion_year_prob, lt);
    A("first_exhaustion_count", POOLSIM_SHAPE_LT1, r->first_exhaustion_count, lt1);
    MS("reserve_balance", POOLSIM_SHAPE_LT, r->reserve_balance, lt);
    A("reserve_balance.q", POOLSIM_SHAPE_LTQ, r->reserve_balance.q, lt * POOLSIM_NQ);
    MS("reserve_ratio", POOLSIM_SHAPE_LT, r->reserve_ratio, lt);
    A("reserve_ratio.q", POOLSIM_SHAPE_LTQ, r->reserve_ratio.q, lt * POOLSIM_NQ);
    MS("financing_total", POOLSIM_SHAPE_LT, r->financing_total, lt);
    MS("expenditure_total", POOLSIM_SHAPE_LT, r->expenditure_total, lt);
    A("shortfall_prob", POOLSIM_SHAPE_LCT, r->shortfall_prob, lct);
    A("shortfall_lo", POOLSIM_SHAPE_LCT, r->shortfall_lo, lct);
    A("shortfall_hi", POOLSIM_SHAPE_LCT, r->shortfall_hi, lct);
    TAIL("county_burden", POOLSIM_SHAPE_LCT, r->county_burden, lct);
    TAIL("county_burden_total", POOLSIM_SHAPE_LC, r->county_burden_total, lc);
    MS("reserve_paid", POOLSIM_SHAPE_LCT, r->reserve_paid, lct);
    MS("levy", POOLSIM_SHAPE_LCT, r->levy, lct);
    MS("city_uncovered", POOLSIM_SHAPE_LCT, r->city_uncovered, lct);
    MS("financing", POOLSIM_SHAPE_LCT, r->financing, lct);
    MS("expenditure", POOLSIM_SHAPE_LCT, r->expenditure, lct);
    MS("balance", POOLSIM_SHAPE_LCT, r->balance, lct);
#undef TAIL
#undef MS
#undef A
    return k;
}

int poolsim_results_check_finite(const poolsim_results *r, const char *what_for)
{
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS];
    int na = poolsim_results_arrays(r, a);
    size_t T = (size_t)r->T, C = (size_t)r->C;
    for (int k = 0; k < na; k++) {
        for (size_t i = 0; i < a[k].n; i++) {
            if (isfinite(a[k].data[i])) continue;
            const char *v = isnan(a[k].data[i]) ? "NaN" : "infinite";
            size_t l = 0, c = 0, t = 0, q = 0;
            int has_c = 0, has_t = 1, has_q = 0;
            switch (a[k].shape) {
            case POOLSIM_SHAPE_LT: l = i / T, t = i % T; break;
            case POOLSIM_SHAPE_LT1: l = i / (T + 1), t = i % (T + 1); break;
            case POOLSIM_SHAPE_LTQ:
                q = i % POOLSIM_NQ, t = i / POOLSIM_NQ % T, l = i / POOLSIM_NQ / T, has_q = 1;
                break;
            case POOLSIM_SHAPE_LCT: t = i % T, c = i / T % C, l = i / T / C, has_c = 1; break;
            default: c = i % C, l = i / C, has_c = 1, has_t = 0; break;
            }
            char where[256];
            int m = snprintf(where, sizeof where, "line '%s'",
                             r->line_ids && r->line_ids[l] ? r->line_ids[l] : "?");
            if (has_c && m > 0 && (size_t)m < sizeof where)
                m += snprintf(where + m, sizeof where - (size_t)m, ", county '%s'",
                              r->county_ids && r->county_ids[c] ? r->county_ids[c] : "?");
            if (has_t && m > 0 && (size_t)m < sizeof where) {
                if (t == T)
                    m += snprintf(where + m, sizeof where - (size_t)m, ", never exhausted");
                else if (r->years)
                    m += snprintf(where + m, sizeof where - (size_t)m, ", year %d", r->years[t]);
            }
            if (has_q && m > 0 && (size_t)m < sizeof where)
                snprintf(where + m, sizeof where - (size_t)m, ", quantile %s",
                         poolsim_quantile_names[q]);
            poolsim_error_report(__FILE__, __LINE__, "%s: %s is %s for %s", what_for, a[k].name, v,
                                 where);
            return POOLSIM_ENUM;
        }
    }
    return POOLSIM_OK;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static char *dup_num(const char *prefix, int i)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s%d", prefix, i);
    return dup_str(buf);
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
    ok &= (r->scenario_name = dup_str("株洲市测试情景")) != NULL;
    ok &= (r->scenario_path = dup_str("scenarios/test-数据.yaml")) != NULL;
    ok &= (r->scenario_text = dup_str(
               "name: 株洲市测试情景\nsimulation: {paths: 10000, seed: 20200518}\n")) != NULL;
    ok &= (r->resolved_text = dup_str("simulation.paths = 10000\nsimulation.seed = 20200518\n")) !=
          NULL;
    ok &= (r->lang = dup_str("zh")) != NULL;
    ok &= (r->version = dup_str("0.1.0")) != NULL;
    ok &= (r->git_commit = dup_str("0123456789ab")) != NULL;
    ok &= (r->build_info = dup_str("test data (poolsim_results_fill_test)")) != NULL;
    ok &= (r->start_time = dup_str("2024-01-02T03:04:05Z")) != NULL;
    ok &= (r->quantile_method = dup_str("exact-type7")) != NULL;
    for (int l = 0; l < L; l++) {
        ok &= (r->line_ids[l] = l < 2 ? dup_str(lid[l]) : dup_num("line", l)) != NULL;
        ok &= (r->line_names[l] = l < 2 ? dup_str(lname[l]) : dup_num("险种", l)) != NULL;
    }
    for (int c = 0; c < C; c++) {
        ok &= (r->county_ids[c] = c < 9 ? dup_str(cid[c]) : dup_num("county", c)) != NULL;
        ok &= (r->county_names[c] = c < 9 ? dup_str(cname[c]) : dup_num("县", c)) != NULL;
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
    return POOLSIM_OK;
}

/* "<dir>/.<base>.tmp.<pid>" beside `path`, and the folder (for its fsync). */
static int temp_names(const char *path, char **tmp /* OUT */, char **dir /* OUT */)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;
    size_t n = strlen(path) + 48;
    *tmp = malloc(n);
    *dir = malloc(dlen + 2);
    if (!*tmp || !*dir) {
        free(*tmp);
        free(*dir);
        *tmp = *dir = NULL;
        return POOLSIM_ENOMEM;
    }
    if (!slash) {
        strcpy(*dir, ".");
    } else {
        size_t k = dlen ? dlen : 1; /* "/x.h5": the folder is "/" */
        memcpy(*dir, path, k);
        (*dir)[k] = '\0';
    }
    snprintf(*tmp, n, "%.*s.%s.tmp.%ld", (int)(slash ? dlen + 1 : 0), path, base, (long)getpid());
    return POOLSIM_OK;
}

/* 0 or an errno. Folders on file systems that cannot sync them (EINVAL)
 * count as synced. */
static int sync_folder(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
    if (fd < 0) return errno;
    int err = 0;
    if (fsync(fd) != 0 && errno != EINVAL) err = errno;
    if (close(fd) != 0 && !err) err = errno;
    return err;
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int poolsim_results_write_atomic(const char *path, const void *data, size_t n)
{
    char *tmp, *dir;
    if (temp_names(path, &tmp, &dir) != POOLSIM_OK)
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: out of memory", path);
    int err = 0;
    const char *step = "";
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        err = errno;
    } else {
        if ((err = write_all(fd, data, n)) != 0)
            step = "writing: ";
        else if (fsync(fd) != 0)
            err = errno, step = "syncing: ";
        if (close(fd) != 0 && !err) err = errno, step = "closing: ";
        if (!err && rename(tmp, path) != 0)
            err = errno, step = "renaming the temporary file: ";
        else if (!err && (err = sync_folder(dir)) != 0) {
            step = "syncing its folder: ";
            unlink(path); /* not durable: take it back rather than leave a doubtful file */
        }
        if (err) unlink(tmp);
    }
    if (err)
        poolsim_error_report(__FILE__, __LINE__, "cannot write %s: %s%s", path, step,
                             strerror(err));
    free(tmp);
    free(dir);
    return err ? POOLSIM_EIO : POOLSIM_OK;
}

int poolsim_results_check_writable(const char *path)
{
    char *tmp, *dir;
    if (temp_names(path, &tmp, &dir) != POOLSIM_OK)
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: out of memory", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (err) poolsim_error_report(__FILE__, __LINE__, "cannot write %s: %s", path, strerror(err));
    free(tmp);
    free(dir);
    return err ? POOLSIM_EIO : POOLSIM_OK;
}
