/* poolsim: sweep files. A sweep file is point 0's complete results file
 * (docs/RESULTS.md, written by poolsim_h5out_write) with one more group,
 * /sweep, described in docs/STRESS.md:
 *
 *   /sweep                 attrs format "poolsim-sweep/1", points, levers,
 *                          paths, seed, scenario_name, scenario_path, lang,
 *                          complete (written last)
 *     years [T]            calendar years
 *     line_ids, line_names, county_ids, county_names
 *     fixed [nfixed]       single-valued --set overrides (absent when none)
 *     grid [N][K]          value index of lever k at point i (0-based)
 *     levers/<k>           k = 1..K: attrs key, numeric; text [n];
 *                          value [n] (numeric levers only)
 *     lines/<line>         attr name
 *       exhaustion_prob [N][T], exhaustion_ci [N][T][2]     (Wilson 95%)
 *       exhaustion_diff/   paired difference from point 0 of the indicator
 *                          "exhausted by the last year": mean, se [N],
 *                          ci [N][2], se_unpaired [N], ci_unpaired [N][2]
 *       counties/<county>  attr name; burden_total_mean, burden_total_se,
 *                          burden_total_p95 [N]; burden_total_diff/ as above
 *
 * Writing: point 0's results go to an exclusive temporary beside the final
 * one (poolsim_fsio_temp), /sweep is added, `complete` set on /sweep last,
 * the file is flushed, closed and published (poolsim_fsio_publish: fsync,
 * rename, folder fsync). HDF5 (serial
 * build): one thread only. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/h5out.h"
#include "poolsim/results.h"
#include "poolsim/sweep.h"

#include "h5guard.h"
#include "h5util.h"

/* ---- the sweep results struct (include/poolsim/sweep.h), which this
 * file writes and reads ---- */

void poolsim_sweep_lever_free(poolsim_sweep_lever *lv)
{
    if (!lv) return;
    free(lv->key);
    if (lv->text)
        for (int i = 0; i < lv->n; i++) free(lv->text[i]);
    free(lv->text);
    free(lv->value);
    memset(lv, 0, sizeof *lv);
}

static int paired_alloc(poolsim_paired_arr *a, size_t n)
{
    double **f[] = {&a->mean,        &a->se,          &a->lo,         &a->hi,
                    &a->se_unpaired, &a->lo_unpaired, &a->hi_unpaired};
    int ok = 1;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        ok &= (*f[i] = calloc(n, sizeof(double))) != NULL;
    return ok;
}

static void paired_free(poolsim_paired_arr *a)
{
    free(a->mean);
    free(a->se);
    free(a->lo);
    free(a->hi);
    free(a->se_unpaired);
    free(a->lo_unpaired);
    free(a->hi_unpaired);
}

poolsim_sweep_results *poolsim_sweep_results_alloc(int N, int K, int T, int L, int C)
{
    poolsim_sweep_results *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->N = N;
    w->K = K;
    w->T = T;
    w->L = L;
    w->C = C;
    size_t n = (size_t)N, nl = n * (size_t)L, nlt = nl * (size_t)T, nlc = nl * (size_t)C;
    int ok = 1;
    ok &= (w->levers = calloc((size_t)K, sizeof *w->levers)) != NULL;
    ok &= (w->grid = calloc(n * (size_t)K, sizeof(int))) != NULL;
    ok &= (w->years = calloc((size_t)T, sizeof(int))) != NULL;
    ok &= (w->line_ids = calloc((size_t)L, sizeof(char *))) != NULL;
    ok &= (w->line_names = calloc((size_t)L, sizeof(char *))) != NULL;
    ok &= (w->county_ids = calloc((size_t)C, sizeof(char *))) != NULL;
    ok &= (w->county_names = calloc((size_t)C, sizeof(char *))) != NULL;
    ok &= (w->exh_prob = calloc(nlt, sizeof(double))) != NULL;
    ok &= (w->exh_lo = calloc(nlt, sizeof(double))) != NULL;
    ok &= (w->exh_hi = calloc(nlt, sizeof(double))) != NULL;
    ok &= paired_alloc(&w->exh_diff, nl);
    ok &= (w->burden_mean = calloc(nlc, sizeof(double))) != NULL;
    ok &= (w->burden_se = calloc(nlc, sizeof(double))) != NULL;
    ok &= (w->burden_p95 = calloc(nlc, sizeof(double))) != NULL;
    ok &= paired_alloc(&w->burden_diff, nlc);
    if (!ok) {
        poolsim_sweep_results_free(w);
        return NULL;
    }
    return w;
}

void poolsim_sweep_results_free(poolsim_sweep_results *w)
{
    if (!w) return;
    free(w->scenario_name);
    free(w->scenario_path);
    free(w->lang);
    if (w->levers)
        for (int k = 0; k < w->K; k++) poolsim_sweep_lever_free(&w->levers[k]);
    free(w->levers);
    if (w->fixed)
        for (int i = 0; i < w->nfixed; i++) free(w->fixed[i]);
    free(w->fixed);
    free(w->grid);
    free(w->years);
    for (int l = 0; l < w->L; l++) {
        if (w->line_ids) free(w->line_ids[l]);
        if (w->line_names) free(w->line_names[l]);
    }
    for (int c = 0; c < w->C; c++) {
        if (w->county_ids) free(w->county_ids[c]);
        if (w->county_names) free(w->county_names[c]);
    }
    free(w->line_ids);
    free(w->line_names);
    free(w->county_ids);
    free(w->county_names);
    free(w->exh_prob);
    free(w->exh_lo);
    free(w->exh_hi);
    paired_free(&w->exh_diff);
    free(w->burden_mean);
    free(w->burden_se);
    free(w->burden_p95);
    paired_free(&w->burden_diff);
    free(w);
}

#define FORMAT "poolsim-sweep/1"

/* [n][2] = lo[i], hi[i] (a workspace of its own). */
static void pairs(poolsim_h5w *w, hid_t loc, const char *name, const double *lo, const double *hi,
                  size_t n, const char *units, const char *desc)
{
    double *b = malloc(2 * n * sizeof *b);
    if (!b) {
        poolsim_h5util_fail_nomem(w, name);
        return;
    }
    poolsim_h5util_pairs(w, loc, name, lo, hi, n, b, units, desc);
    free(b);
}

/* Gather element (i*stride + off) for i < N into buf. */
static const double *gather(const double *x, size_t N, size_t stride, size_t off, double *buf)
{
    for (size_t i = 0; i < N; i++) buf[i] = x[i * stride + off];
    return buf;
}

static void paired_group(poolsim_h5w *w, hid_t loc, const char *name, const poolsim_paired_arr *a,
                         size_t N, size_t stride, size_t off, const char *units, const char *desc)
{
    double *b1 = calloc(N, sizeof *b1), *b2 = calloc(N, sizeof *b2);
    if (!b1 || !b2) {
        free(b1);
        free(b2);
        poolsim_h5util_fail_nomem(w, name);
        return;
    }
    hid_t g = poolsim_h5util_group(w, loc, name);
    poolsim_h5util_attr_str(w, g, "description", desc);
    poolsim_h5util_vec(w, g, "mean", gather(a->mean, N, stride, off, b1), N, units,
                       "mean over paths of (value at point i) - (value at point 0), same path");
    poolsim_h5util_vec(w, g, "se", gather(a->se, N, stride, off, b1), N, units,
                       "paired standard error sd(d)/sqrt(paths), d the per-path difference");
    gather(a->lo, N, stride, off, b1);
    gather(a->hi, N, stride, off, b2);
    pairs(w, g, "ci", b1, b2, N, units, "paired 95% interval mean -+ 1.959963984540054 se, [N][2]");
    poolsim_h5util_vec(w, g, "se_unpaired", gather(a->se_unpaired, N, stride, off, b1), N, units,
                       "unpaired standard error sqrt(se_i^2 + se_0^2), for comparison");
    gather(a->lo_unpaired, N, stride, off, b1);
    gather(a->hi_unpaired, N, stride, off, b2);
    pairs(w, g, "ci_unpaired", b1, b2, N, units, "unpaired 95% interval, [N][2]");
    poolsim_h5util_close(g);
    free(b1);
    free(b2);
}

static void contents(poolsim_h5w *w, hid_t file, const poolsim_sweep_results *s)
{
    size_t N = (size_t)s->N, T = (size_t)s->T, L = (size_t)s->L, C = (size_t)s->C, K = (size_t)s->K;
    hid_t g = poolsim_h5util_group(w, file, "sweep");
    poolsim_h5util_attr_str(w, g, "format", FORMAT);
    poolsim_h5util_attr_str(
        w, g, "description",
        "lever sweep on common random numbers: every grid point runs the same seed and paths");
    poolsim_h5util_attr_int(w, g, "points", s->N);
    poolsim_h5util_attr_int(w, g, "levers", s->K);
    long long paths = s->paths;
    poolsim_h5util_attr(w, g, "paths", H5T_STD_I64LE, H5T_NATIVE_LLONG, &paths);
    poolsim_h5util_attr(w, g, "seed", H5T_STD_U64LE, H5T_NATIVE_ULLONG, &s->seed);
    poolsim_h5util_attr_str(w, g, "scenario_name", s->scenario_name);
    poolsim_h5util_attr_str(w, g, "scenario_path", s->scenario_path);
    poolsim_h5util_attr_str(w, g, "lang", s->lang);
    hsize_t dt[1] = {T};
    poolsim_h5util_dataset(w, g, "years", H5T_STD_I32LE, H5T_NATIVE_INT, 1, dt, w->dcpl, s->years,
                           "year", "calendar years");
    poolsim_h5util_strings(w, g, "line_ids", s->line_ids, L, "fund line ids in scenario order");
    poolsim_h5util_strings(w, g, "line_names", s->line_names, L, "fund line names");
    poolsim_h5util_strings(w, g, "county_ids", s->county_ids, C, "county ids in scenario order");
    poolsim_h5util_strings(w, g, "county_names", s->county_names, C, "county names");
    if (s->nfixed > 0)
        poolsim_h5util_strings(w, g, "fixed", s->fixed, (size_t)s->nfixed,
                               "single-valued --set overrides, KEY=VALUE");
    hsize_t dg[2] = {N, K};
    poolsim_h5util_dataset(
        w, g, "grid", H5T_STD_I32LE, H5T_NATIVE_INT, 2, dg, w->dcpl, s->grid, "index",
        "[N][K] 0-based index of lever k's value at grid point i; the last lever varies fastest");
    hid_t lv = poolsim_h5util_group(w, g, "levers");
    for (int k = 0; k < s->K; k++) {
        char name[16];
        snprintf(name, sizeof name, "%d", k + 1);
        hid_t gk = poolsim_h5util_group(w, lv, name);
        poolsim_h5util_attr_str(w, gk, "key", s->levers[k].key);
        poolsim_h5util_attr_int(w, gk, "numeric", s->levers[k].numeric);
        poolsim_h5util_strings(w, gk, "text", s->levers[k].text, (size_t)s->levers[k].n,
                               "values as given to --set");
        if (s->levers[k].numeric)
            poolsim_h5util_vec(w, gk, "value", s->levers[k].value, (size_t)s->levers[k].n, "",
                               "values as numbers");
        poolsim_h5util_close(gk);
    }
    poolsim_h5util_close(lv);
    double *buf = malloc((N * T > N ? N * T : N) * sizeof *buf);
    double *lo = malloc(N * T * sizeof *lo), *hi = malloc(N * T * sizeof *hi);
    if (!buf || !lo || !hi) poolsim_h5util_fail_nomem(w, "/sweep");
    hid_t ls = poolsim_h5util_group(w, g, "lines");
    for (size_t l = 0; l < L && !w->failed; l++) {
        hid_t gl = poolsim_h5util_group(w, ls, s->line_ids[l]);
        poolsim_h5util_attr_str(w, gl, "name", s->line_names[l]);
        for (size_t i = 0; i < N; i++)
            for (size_t t = 0; t < T; t++) {
                size_t j = POOLSIM_SW_NLT(s, i, l, t);
                buf[i * T + t] = s->exh_prob[j];
                lo[i * T + t] = s->exh_lo[j];
                hi[i * T + t] = s->exh_hi[j];
            }
        hsize_t d2[2] = {N, T};
        poolsim_h5util_dataset(w, gl, "exhaustion_prob", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, d2,
                               w->dcpl, buf, "1", "[N][T] P(exhausted by year) at each grid point");
        double *ci = malloc(2 * N * T * sizeof *ci);
        if (!ci) {
            poolsim_h5util_fail_nomem(w, "exhaustion_ci");
        } else {
            for (size_t k = 0; k < N * T; k++) ci[2 * k] = lo[k], ci[2 * k + 1] = hi[k];
            hsize_t d3[3] = {N, T, 2};
            poolsim_h5util_dataset(w, gl, "exhaustion_ci", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3, d3,
                                   w->dcpl, ci, "1",
                                   "[N][T][2] Wilson 95% score interval of exhaustion_prob");
            free(ci);
        }
        paired_group(w, gl, "exhaustion_diff", &s->exh_diff, N, L, l, "1",
                     "paired difference from point 0 of P(exhausted by the last year)");
        hid_t cs = poolsim_h5util_group(w, gl, "counties");
        for (size_t c = 0; c < C; c++) {
            hid_t gc = poolsim_h5util_group(w, cs, s->county_ids[c]);
            poolsim_h5util_attr_str(w, gc, "name", s->county_names[c]);
            poolsim_h5util_vec(w, gc, "burden_total_mean",
                               gather(s->burden_mean, N, L * C, l * C + c, buf), N, "yuan",
                               "mean county-government burden summed over the horizon");
            poolsim_h5util_vec(w, gc, "burden_total_se",
                               gather(s->burden_se, N, L * C, l * C + c, buf), N, "yuan",
                               "standard error of burden_total_mean");
            poolsim_h5util_vec(w, gc, "burden_total_p95",
                               gather(s->burden_p95, N, L * C, l * C + c, buf), N, "yuan",
                               "type-7 p95 over paths of the burden summed over the horizon");
            paired_group(w, gc, "burden_total_diff", &s->burden_diff, N, L * C, l * C + c, "yuan",
                         "paired difference from point 0 of the burden summed over the horizon");
            poolsim_h5util_close(gc);
        }
        poolsim_h5util_close(cs);
        poolsim_h5util_close(gl);
    }
    poolsim_h5util_close(ls);
    free(buf);
    free(lo);
    free(hi);
    poolsim_h5util_attr_int(w, g, "complete", 1); /* last */
    poolsim_h5util_close(g);
}

static int check_finite(const poolsim_sweep_results *s, const char *path)
{
    size_t N = (size_t)s->N, nl = N * (size_t)s->L, nlt = nl * (size_t)s->T,
           nlc = nl * (size_t)s->C;
    struct {
        const char *name;
        const double *x;
        size_t n;
    } a[] = {{"exhaustion_prob", s->exh_prob, nlt},
             {"exhaustion_ci", s->exh_lo, nlt},
             {"exhaustion_ci", s->exh_hi, nlt},
             {"exhaustion_diff", s->exh_diff.mean, nl},
             {"exhaustion_diff", s->exh_diff.lo, nl},
             {"exhaustion_diff", s->exh_diff.hi, nl},
             {"exhaustion_diff", s->exh_diff.lo_unpaired, nl},
             {"exhaustion_diff", s->exh_diff.hi_unpaired, nl},
             {"burden_total_mean", s->burden_mean, nlc},
             {"burden_total_se", s->burden_se, nlc},
             {"burden_total_p95", s->burden_p95, nlc},
             {"burden_total_diff", s->burden_diff.mean, nlc},
             {"burden_total_diff", s->burden_diff.lo, nlc},
             {"burden_total_diff", s->burden_diff.hi, nlc},
             {"burden_total_diff", s->burden_diff.lo_unpaired, nlc},
             {"burden_total_diff", s->burden_diff.hi_unpaired, nlc}};
    for (size_t k = 0; k < sizeof a / sizeof a[0]; k++)
        for (size_t i = 0; i < a[k].n; i++)
            if (!isfinite(a[k].x[i]))
                POOLSIM_ERROR(POOLSIM_ENUM, "cannot write %s: %s is not finite at grid point %zu",
                              path, a[k].name, i / (a[k].n / N) + 1);
    return POOLSIM_OK;
}

int poolsim_sweep_write(const poolsim_sweep_results *s, const poolsim_results *base,
                        const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int st = check_finite(s, path);
    if (st == POOLSIM_OK) st = poolsim_fsio_check_target(path);
    if (st != POOLSIM_OK) return st;
    /* point 0's results into an exclusive temporary, /sweep added, then
     * published under `path` */
    char *tmp;
    int fd;
    st = poolsim_fsio_temp(path, &tmp, &fd);
    if (st != POOLSIM_OK) return st;
    close(fd);
    st = poolsim_h5out_write(base, NULL, tmp);
    if (st != POOLSIM_OK) {
        fprintf(stderr, "poolsim: cannot write %s (see above)\n", path);
        poolsim_fsio_discard(tmp);
        free(tmp);
        return st;
    }
    poolsim_h5w w;
    hid_t file = H5I_INVALID_HID, fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (poolsim_h5util_writer_open(&w, 0) < 0 || fapl < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0)
        poolsim_h5util_fail(&w, H5I_INVALID_HID, "setting up", "HDF5 properties");
    else if ((file = H5Fopen(tmp, H5F_ACC_RDWR, fapl)) < 0)
        poolsim_h5util_fail(&w, H5I_INVALID_HID, "reopening", tmp);
    contents(&w, file, s);
    if (!w.failed && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
        poolsim_h5util_fail(&w, file, "flushing", "file");
    if (file >= 0 && H5Fclose(file) < 0)
        poolsim_h5util_fail(&w, H5I_INVALID_HID, "closing", "file");
    if (fapl >= 0) H5Pclose(fapl);
    poolsim_h5util_writer_close(&w);
    if (w.failed) {
        poolsim_fsio_discard(tmp);
        poolsim_error_report(__FILE__, __LINE__, "cannot write %s: %s", path, w.what);
        st = POOLSIM_EIO;
    } else {
        st = poolsim_fsio_publish(tmp, path);
    }
    free(tmp);
    return st;
}

/* ---- reader ---------------------------------------------------------------------- */

typedef poolsim_h5r rd;

static void rfail(rd *r, const char *what)
{
    poolsim_h5r_fail_msg(r, POOLSIM_EINPUT, what);
}

static int rattr_int(rd *r, hid_t loc, const char *name)
{
    int v = 0;
    poolsim_h5r_attr_num(r, loc, name, H5T_NATIVE_INT, &v);
    return v;
}

static char *rattr_str(rd *r, hid_t loc, const char *name)
{
    char *v = NULL;
    poolsim_h5r_attr_str(r, loc, name, &v);
    return v;
}

/* Read a paired group into element (i*stride + off) of a. */
static void rpaired(rd *r, hid_t loc, const char *name, poolsim_paired_arr *a, size_t N,
                    size_t stride, size_t off, double *b)
{
    hid_t g = poolsim_h5r_group(r, loc, name);
    if (g < 0) return;
    struct {
        const char *n;
        double *x;
    } one[] = {{"mean", a->mean}, {"se", a->se}, {"se_unpaired", a->se_unpaired}};
    for (size_t k = 0; k < 3; k++) {
        poolsim_h5r_read_count(r, g, one[k].n, H5T_NATIVE_DOUBLE, b, N);
        for (size_t i = 0; i < N && r->status == POOLSIM_OK; i++) one[k].x[i * stride + off] = b[i];
    }
    struct {
        const char *n;
        double *lo, *hi;
    } two[] = {{"ci", a->lo, a->hi}, {"ci_unpaired", a->lo_unpaired, a->hi_unpaired}};
    for (size_t k = 0; k < 2; k++) {
        poolsim_h5r_read_count(r, g, two[k].n, H5T_NATIVE_DOUBLE, b, 2 * N);
        for (size_t i = 0; i < N && r->status == POOLSIM_OK; i++) {
            two[k].lo[i * stride + off] = b[2 * i];
            two[k].hi[i * stride + off] = b[2 * i + 1];
        }
    }
    H5Gclose(g);
}

static int dims_of(rd *r, hid_t loc, const char *name, int rank, hsize_t *dims)
{
    if (r->status != POOLSIM_OK) return -1;
    hid_t d = poolsim_h5util_open_dataset(loc, name);
    hid_t sp = d < 0 ? H5I_INVALID_HID : H5Dget_space(d);
    int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
             H5Sget_simple_extent_dims(sp, dims, NULL) == rank;
    if (sp >= 0) H5Sclose(sp);
    if (d >= 0) H5Dclose(d);
    if (!ok)
        poolsim_h5r_fail(r, POOLSIM_EINPUT, loc, name,
                         rank == 1 ? "missing, or not a 1-D dataset"
                                   : "missing, or not of the expected rank");
    return ok ? 0 : -1;
}

int poolsim_sweep_h5_present(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK) != 0 || H5Fis_hdf5(path) <= 0) return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    int ok = 0;
    /* a /sweep group that is not complete is present: reading it then
     * says what is wrong rather than the charts leaving it out silently */
    if (!poolsim_h5util_hard_link(f, "sweep")) ok = 1;
    H5Fclose(f);
    return ok;
}

int poolsim_sweep_h5_read(const char *path, poolsim_sweep_results **out)
{
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (access(path, R_OK) != 0)
        POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0) POOLSIM_ERROR(POOLSIM_EINPUT, "%s is not an HDF5 file", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) POOLSIM_ERROR(POOLSIM_EIO, "cannot open %s", path);
    if (poolsim_h5util_hard_link(f, "sweep")) {
        H5Fclose(f);
        POOLSIM_ERROR(POOLSIM_EINPUT,
                      "%s has no sweep results (no /sweep group; written by "
                      "`poolsim sweep`)",
                      path);
    }
    rd r = {.status = POOLSIM_OK};
    hid_t g = H5Gopen2(f, "sweep", H5P_DEFAULT);
    if (g < 0 || H5Aexists(g, "complete") <= 0 || rattr_int(&r, g, "complete") != 1) {
        if (g >= 0) H5Gclose(g);
        H5Fclose(f);
        POOLSIM_ERROR(POOLSIM_EINPUT,
                      "cannot read %s: /sweep: incomplete (no attribute `complete` of 1, "
                      "which `poolsim sweep` writes last)",
                      path);
    }
    char *fmt = rattr_str(&r, g, "format");
    if (r.status == POOLSIM_OK && strcmp(fmt, FORMAT) != 0)
        rfail(&r, "/sweep: attribute format is not " FORMAT);
    free(fmt);
    int N = rattr_int(&r, g, "points"), K = rattr_int(&r, g, "levers");
    hsize_t dy[1] = {0}, dl[1] = {0}, dc[1] = {0};
    dims_of(&r, g, "years", 1, dy);
    dims_of(&r, g, "line_ids", 1, dl);
    dims_of(&r, g, "county_ids", 1, dc);
    if (r.status == POOLSIM_OK &&
        (N < 1 || K < 1 || dy[0] < 1 || dl[0] < 1 || dc[0] < 1 || N > 100000 || K > 1000 ||
         dy[0] > 1000 || dl[0] > 10000 || dc[0] > 100000)) {
        char why[200];
        snprintf(why, sizeof why,
                 "/sweep: sizes out of range: %d points, %d levers, %llu years, %llu lines, "
                 "%llu counties",
                 N, K, (unsigned long long)dy[0], (unsigned long long)dl[0],
                 (unsigned long long)dc[0]);
        rfail(&r, why);
    }
    poolsim_sweep_results *s =
        r.status != POOLSIM_OK
            ? NULL
            : poolsim_sweep_results_alloc(N, K, (int)dy[0], (int)dl[0], (int)dc[0]);
    if (r.status == POOLSIM_OK && !s) rfail(&r, "out of memory");
    double *b = NULL;
    if (s) {
        size_t n = (size_t)N, T = (size_t)s->T, L = (size_t)s->L, C = (size_t)s->C;
        b = malloc(2 * n * T * sizeof *b);
        if (!b) rfail(&r, "out of memory");
        long long paths = 0;
        poolsim_h5r_attr_num(&r, g, "paths", H5T_NATIVE_LLONG, &paths);
        poolsim_h5r_attr_num(&r, g, "seed", H5T_NATIVE_ULLONG, &s->seed);
        s->paths = (long)paths;
        s->scenario_name = rattr_str(&r, g, "scenario_name");
        s->scenario_path = rattr_str(&r, g, "scenario_path");
        s->lang = rattr_str(&r, g, "lang");
        poolsim_h5r_read_count(&r, g, "years", H5T_NATIVE_INT, s->years, T);
        poolsim_h5r_strings(&r, g, "line_ids", (int)(L), s->line_ids);
        poolsim_h5r_strings(&r, g, "line_names", (int)(L), s->line_names);
        poolsim_h5r_strings(&r, g, "county_ids", (int)(C), s->county_ids);
        poolsim_h5r_strings(&r, g, "county_names", (int)(C), s->county_names);
        if (r.status == POOLSIM_OK && !poolsim_h5util_hard_link(g, "fixed")) {
            hsize_t df[1];
            if (dims_of(&r, g, "fixed", 1, df) == 0 && df[0] > 0 && df[0] < 100000) {
                s->fixed = calloc(df[0], sizeof *s->fixed);
                if (!s->fixed)
                    rfail(&r, "out of memory");
                else
                    s->nfixed = (int)df[0];
                poolsim_h5r_strings(&r, g, "fixed", s->nfixed, s->fixed);
            }
        }
        poolsim_h5r_read_count(&r, g, "grid", H5T_NATIVE_INT, s->grid, n * (size_t)K);
        hid_t lv = poolsim_h5r_group(&r, g, "levers");
        for (int k = 0; k < K && r.status == POOLSIM_OK; k++) {
            char name[16];
            snprintf(name, sizeof name, "%d", k + 1);
            hid_t gk = poolsim_h5r_group(&r, lv, name);
            if (gk < 0) break;
            poolsim_sweep_lever *x = &s->levers[k];
            x->key = rattr_str(&r, gk, "key");
            x->numeric = rattr_int(&r, gk, "numeric");
            hsize_t dn[1] = {0};
            if (dims_of(&r, gk, "text", 1, dn) == 0 && (dn[0] < 1 || dn[0] > 100000))
                poolsim_h5r_fail(&r, POOLSIM_EINPUT, gk, "text",
                                 "number of lever values out of range (1..100000)");
            if (r.status == POOLSIM_OK) {
                x->n = (int)dn[0];
                x->text = calloc(dn[0], sizeof *x->text);
                if (!x->text) rfail(&r, "out of memory");
                poolsim_h5r_strings(&r, gk, "text", (int)(dn[0]), x->text);
                if (x->numeric) {
                    x->value = malloc(dn[0] * sizeof *x->value);
                    if (!x->value) rfail(&r, "out of memory");
                    poolsim_h5r_read_count(&r, gk, "value", H5T_NATIVE_DOUBLE, x->value, dn[0]);
                }
            }
            H5Gclose(gk);
        }
        if (lv >= 0) H5Gclose(lv);
        for (size_t i = 0; i < n * (size_t)K && r.status == POOLSIM_OK; i++) {
            int k = (int)(i % (size_t)K);
            if (s->grid[i] < 0 || s->grid[i] >= s->levers[k].n)
                rfail(&r, "/sweep/grid: a lever value index out of range");
        }
        hid_t ls = poolsim_h5r_group(&r, g, "lines");
        for (size_t l = 0; l < L && r.status == POOLSIM_OK; l++) {
            hid_t gl = poolsim_h5r_group(&r, ls, s->line_ids[l]);
            if (gl < 0) break;
            poolsim_h5r_read_count(&r, gl, "exhaustion_prob", H5T_NATIVE_DOUBLE, b, n * T);
            for (size_t i = 0; i < n && r.status == POOLSIM_OK; i++)
                for (size_t t = 0; t < T; t++)
                    s->exh_prob[POOLSIM_SW_NLT(s, i, l, t)] = b[i * T + t];
            poolsim_h5r_read_count(&r, gl, "exhaustion_ci", H5T_NATIVE_DOUBLE, b, 2 * n * T);
            for (size_t i = 0; i < n && r.status == POOLSIM_OK; i++)
                for (size_t t = 0; t < T; t++) {
                    s->exh_lo[POOLSIM_SW_NLT(s, i, l, t)] = b[2 * (i * T + t)];
                    s->exh_hi[POOLSIM_SW_NLT(s, i, l, t)] = b[2 * (i * T + t) + 1];
                }
            rpaired(&r, gl, "exhaustion_diff", &s->exh_diff, n, L, l, b);
            hid_t cs = poolsim_h5r_group(&r, gl, "counties");
            for (size_t c = 0; c < C && r.status == POOLSIM_OK; c++) {
                hid_t gc = poolsim_h5r_group(&r, cs, s->county_ids[c]);
                if (gc < 0) break;
                struct {
                    const char *nm;
                    double *x;
                } v[] = {{"burden_total_mean", s->burden_mean},
                         {"burden_total_se", s->burden_se},
                         {"burden_total_p95", s->burden_p95}};
                for (size_t k = 0; k < 3; k++) {
                    poolsim_h5r_read_count(&r, gc, v[k].nm, H5T_NATIVE_DOUBLE, b, n);
                    for (size_t i = 0; i < n && r.status == POOLSIM_OK; i++)
                        v[k].x[POOLSIM_SW_NLC(s, i, l, c)] = b[i];
                }
                rpaired(&r, gc, "burden_total_diff", &s->burden_diff, n, L * C, l * C + c, b);
                H5Gclose(gc);
            }
            if (cs >= 0) H5Gclose(cs);
            H5Gclose(gl);
        }
        if (ls >= 0) H5Gclose(ls);
    }
    free(b);
    H5Gclose(g);
    H5Fclose(f);
    if (r.status != POOLSIM_OK) {
        poolsim_sweep_results_free(s);
        POOLSIM_ERROR(POOLSIM_EINPUT, "cannot read %s: %s", path, r.what);
    }
    *out = s;
    return POOLSIM_OK;
}
