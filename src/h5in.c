/* poolsim: reading HDF5 results files back (docs/RESULTS.md) for `plot`,
 * `report` and `summary`.
 *
 * The file is untrusted input: every object's presence, type class, rank
 * and dimensions are checked before it is read, sizes are bounded before
 * anything is allocated, and a file that is not a complete
 * "poolsim-results/1" file is refused. Line and county order come from the
 * order datasets /lines_index/ids and /counties/ids (HDF5 lists group
 * members alphabetically). Serial HDF5: call from one thread only. */
#include "poolsim/results.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>

#include "poolsim/common.h"

#include "h5guard.h"
#include "h5util.h"

#define FORMAT "poolsim-results/1"
/* Bounds on what a results file may declare (SCENARIO.md: horizon_years
 * 1..1000). They keep a corrupt file from requesting absurd allocations. */
#define MAX_T   1000
#define MAX_L   1000
#define MAX_C   100000
#define MAX_R   1000
#define MAX_LCT 20000000.0 /* L * C * (T + 1) */

static void vec(poolsim_h5r *rd, hid_t loc, const char *name, size_t n, double *out /* OUT */)
{
    hsize_t dims[1] = {n};
    poolsim_h5r_read(rd, loc, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, out);
}

static void scalar(poolsim_h5r *rd, hid_t loc, const char *name, double *out /* OUT */)
{
    poolsim_h5r_read(rd, loc, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, 0, NULL, out);
}

static void interval(poolsim_h5r *rd, hid_t loc, const char *name, size_t n, double *buf,
                     double *lo /* OUT */, double *hi /* OUT */)
{
    hsize_t dims[2] = {n, 2};
    poolsim_h5r_read(rd, loc, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, 2, dims, buf);
    if (rd->status != POOLSIM_OK) return;
    for (size_t i = 0; i < n; i++) lo[i] = buf[2 * i], hi[i] = buf[2 * i + 1];
}

/* n values into x: a vector, or a scalar when `one` is set. */
static void values(poolsim_h5r *rd, hid_t loc, const char *name, size_t n, int one,
                   double *x /* OUT */)
{
    if (one)
        scalar(rd, loc, name, x);
    else
        vec(rd, loc, name, n, x);
}

/* Values [off, off + n) of schema row `row` from loc, laid out as
 * h5out.c's write_row writes them. */
static void read_row(poolsim_h5r *rd, hid_t loc, poolsim_results *r, int row, size_t off, size_t n,
                     int one, double *buf)
{
    const poolsim_schema_row *sr = &poolsim_schema[row];
    double *c[POOLSIM_SCHEMA_MAXCOMP];
    const char *names[POOLSIM_SCHEMA_MAXCOMP];
    int nc = poolsim_results_row(r, row, c);
    poolsim_schema_components(sr->kind, names);
    if (sr->kind == POOLSIM_KIND_VEC || sr->kind == POOLSIM_KIND_RATE) {
        values(rd, loc, sr->name, n, one, c[0] + off);
        return;
    }
    char name[96];
    if (sr->kind == POOLSIM_KIND_PROB) {
        snprintf(name, sizeof name, "%s_prob", sr->name);
        values(rd, loc, name, n, one, c[0] + off);
        snprintf(name, sizeof name, "%s_ci", sr->name);
        interval(rd, loc, name, n, buf, c[1] + off, c[2] + off);
        return;
    }
    hid_t g = poolsim_h5r_group(rd, loc, sr->name);
    values(rd, g, "mean", n, one, c[0] + off);
    values(rd, g, "se", n, one, c[1] + off);
    if (sr->kind == POOLSIM_KIND_DIST) {
        for (int k = 0; k < POOLSIM_NQ && rd->status == POOLSIM_OK; k++) {
            values(rd, g, poolsim_quantile_names[k], n, one, buf);
            for (size_t t = 0; rd->status == POOLSIM_OK && t < n; t++)
                c[2][(off + t) * POOLSIM_NQ + (size_t)k] = buf[t];
        }
    } else {
        for (int i = 2; i < nc; i++) values(rd, g, names[i], n, one, c[i] + off);
    }
    poolsim_h5util_close(g);
}

/* Whether row `row` is stored under loc (its first object exists). */
static int row_stored(hid_t loc, int row)
{
    const poolsim_schema_row *sr = &poolsim_schema[row];
    char name[96];
    snprintf(name, sizeof name, sr->kind == POOLSIM_KIND_PROB ? "%s_prob" : "%s", sr->name);
    return H5Lexists(loc, name, H5P_DEFAULT) > 0;
}

/* Every row of shapes a, b (-1: none) at location index `index`, as
 * h5out.c's write_rows. A row of `since` 2 missing at its first location
 * is marked absent (an older file) and skipped everywhere. */
static void read_rows(poolsim_h5r *rd, hid_t loc, poolsim_results *r, int a, int b, size_t index,
                      double *buf)
{
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS && rd->status == POOLSIM_OK; row++) {
        int sh = poolsim_schema[row].shape;
        if ((sh != a && sh != b) || !r->present[row]) continue;
        if (poolsim_schema[row].since > 1 && !row_stored(loc, row)) {
            r->present[row] = 0;
            continue;
        }
        size_t off, n;
        int one = poolsim_schema_span(sh, index, r->T, &off, &n);
        read_row(rd, loc, r, row, off, n, one, buf);
    }
}

static void county(poolsim_h5r *rd, hid_t counties, poolsim_results *r, int l, int c, double *buf)
{
    hid_t g = poolsim_h5r_group(rd, counties, r->county_ids[c]);
    read_rows(rd, g, r, POOLSIM_SHAPE_LCT, POOLSIM_SHAPE_LC, POOLSIM_LC(r, l, c), buf);
    poolsim_h5util_close(g);
}

static void line(poolsim_h5r *rd, hid_t lines, poolsim_results *r, int l, double *buf)
{
    hid_t g = poolsim_h5r_group(rd, lines, r->line_ids[l]);
    read_rows(rd, g, r, POOLSIM_SHAPE_LT, POOLSIM_SHAPE_LT1, (size_t)l, buf);
    read_rows(rd, g, r, POOLSIM_SHAPE_L, -1, (size_t)l, buf);
    hid_t cs = poolsim_h5r_group(rd, g, "counties");
    for (int c = 0; c < r->C && rd->status == POOLSIM_OK; c++) county(rd, cs, r, l, c, buf);
    poolsim_h5util_close(cs);
    int rules = 0;
    for (int k = 0; k < r->R; k++) rules += r->rule_line[k] == l;
    if (rules && rd->status == POOLSIM_OK) {
        hid_t ms = poolsim_h5r_group(rd, g, "management");
        for (int k = 0; k < r->R && rd->status == POOLSIM_OK; k++) {
            if (r->rule_line[k] != l) continue;
            hid_t rg = poolsim_h5r_group(rd, ms, r->rule_ids[k]);
            read_rows(rd, rg, r, POOLSIM_SHAPE_RT, -1, (size_t)k, buf);
            poolsim_h5util_close(rg);
        }
        poolsim_h5util_close(ms);
    }
    poolsim_h5util_close(g);
}

/* Rows per county over all lines, /county_totals (absent in older files:
 * those rows are marked absent). */
static void county_totals(poolsim_h5r *rd, hid_t file, poolsim_results *r, double *buf)
{
    if (H5Lexists(file, "county_totals", H5P_DEFAULT) <= 0) {
        for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
            int sh = poolsim_schema[row].shape;
            if (sh != POOLSIM_SHAPE_CT && sh != POOLSIM_SHAPE_C) continue;
            if (poolsim_schema[row].since < 2)
                poolsim_h5r_fail(rd, POOLSIM_EINPUT, file, "county_totals", "missing group");
            r->present[row] = 0;
        }
        return;
    }
    hid_t g = poolsim_h5r_group(rd, file, "county_totals");
    for (int c = 0; c < r->C && rd->status == POOLSIM_OK; c++) {
        hid_t cg = poolsim_h5r_group(rd, g, r->county_ids[c]);
        read_rows(rd, cg, r, POOLSIM_SHAPE_CT, POOLSIM_SHAPE_C, (size_t)c, buf);
        poolsim_h5util_close(cg);
    }
    poolsim_h5util_close(g);
}

static void metadata(poolsim_h5r *rd, hid_t file, poolsim_results *r)
{
    poolsim_h5r_attr_str(rd, file, "poolsim_version", &r->version);
    poolsim_h5r_attr_str(rd, file, "git_commit", &r->git_commit);
    poolsim_h5r_attr_str(rd, file, "build_info", &r->build_info);
    poolsim_h5r_attr_str(rd, file, "scenario_name", &r->scenario_name);
    poolsim_h5r_attr_str(rd, file, "scenario_path", &r->scenario_path);
    poolsim_h5r_attr_str(rd, file, "scenario_text", &r->scenario_text);
    poolsim_h5r_attr_str(rd, file, "resolved_parameters", &r->resolved_text);
    poolsim_h5r_attr_str(rd, file, "lang", &r->lang);
    poolsim_h5r_attr_str(rd, file, "quantile_method", &r->quantile_method);
    poolsim_h5r_attr_str(rd, file, "start_time", &r->start_time);
    long long paths = 0;
    poolsim_h5r_attr_num(rd, file, "seed", H5T_NATIVE_ULLONG, &r->seed);
    poolsim_h5r_attr_num(rd, file, "paths", H5T_NATIVE_LLONG, &paths);
    r->paths = (long)paths;
    poolsim_h5r_attr_num(rd, file, "threads", H5T_NATIVE_INT, &r->threads);
    poolsim_h5r_attr_num(rd, file, "ranks", H5T_NATIVE_INT, &r->ranks);
    poolsim_h5r_attr_num(rd, file, "claims_noise", H5T_NATIVE_INT, &r->claims_noise);
    poolsim_h5r_attr_num(rd, file, "run_seconds", H5T_NATIVE_DOUBLE, &r->run_seconds);
}

/* format and complete: what makes a file a finished poolsim results file. */
static void check_kind(poolsim_h5r *rd, hid_t file)
{
    char *format = NULL;
    if (H5Aexists(file, "format") <= 0) {
        poolsim_h5r_fail_msg(rd, POOLSIM_EINPUT,
                             "not a poolsim results file (no 'format' attribute)");
        return;
    }
    poolsim_h5r_attr_str(rd, file, "format", &format);
    if (rd->status == POOLSIM_OK && strcmp(format, FORMAT) != 0) {
        char why[200];
        snprintf(why, sizeof why, "unsupported format '%.60s' (expected '%s')", format, FORMAT);
        poolsim_h5r_fail_msg(rd, POOLSIM_EINPUT, why);
    }
    free(format);
    int complete = 0;
    if (rd->status == POOLSIM_OK && H5Aexists(file, "complete") <= 0) {
        poolsim_h5r_fail_msg(
            rd, POOLSIM_EINPUT,
            "incomplete results file (no 'complete' attribute: its write did not finish)");
        return;
    }
    poolsim_h5r_attr_num(rd, file, "complete", H5T_NATIVE_INT, &complete);
    if (rd->status == POOLSIM_OK && complete != 1)
        poolsim_h5r_fail_msg(rd, POOLSIM_EINPUT, "incomplete results file ('complete' is not 1)");
}

/* Rule index (optional): ids and the line each acts on. */
static void rules_index(poolsim_h5r *rd, hid_t mi, poolsim_results *r)
{
    char **lids = calloc((size_t)r->R + 1, sizeof *lids);
    if (!lids) {
        poolsim_h5r_fail_msg(rd, POOLSIM_ENOMEM, "out of memory");
        return;
    }
    poolsim_h5r_strings(rd, mi, "ids", r->R, r->rule_ids);
    poolsim_h5r_strings(rd, mi, "lines", r->R, lids);
    for (int k = 0; rd->status == POOLSIM_OK && k < r->R; k++) {
        r->rule_line[k] = -1;
        for (int l = 0; l < r->L; l++)
            if (strcmp(lids[k], r->line_ids[l]) == 0) r->rule_line[k] = l;
        if (r->rule_line[k] < 0 || !r->rule_ids[k][0] || strchr(r->rule_ids[k], '/'))
            poolsim_h5r_fail(rd, POOLSIM_EINPUT, mi, "lines",
                             "a rule names no line of the file, or has a bad id");
    }
    for (int k = 0; k < r->R; k++) free(lids[k]);
    free(lids);
}

static poolsim_results *contents(poolsim_h5r *rd, hid_t file)
{
    hid_t li = poolsim_h5r_group(rd, file, "lines_index"),
          ci = poolsim_h5r_group(rd, file, "counties");
    hid_t mi = H5I_INVALID_HID;
    hsize_t T = poolsim_h5r_length(rd, file, "years", H5T_INTEGER);
    hsize_t L = poolsim_h5r_length(rd, li, "ids", H5T_STRING),
            C = poolsim_h5r_length(rd, ci, "ids", H5T_STRING), R = 0;
    if (rd->status == POOLSIM_OK && H5Lexists(file, "management_index", H5P_DEFAULT) > 0) {
        mi = poolsim_h5r_group(rd, file, "management_index");
        R = poolsim_h5r_length(rd, mi, "ids", H5T_STRING);
    }
    poolsim_results *r = NULL;
    if (rd->status == POOLSIM_OK &&
        (T < 1 || T > MAX_T || L < 1 || L > MAX_L || C < 1 || C > MAX_C || R > MAX_R ||
         (double)L * (double)C * (double)(T + 1) > MAX_LCT)) {
        char why[200];
        snprintf(why, sizeof why,
                 "sizes out of range: %llu years, %llu lines, %llu counties, %llu rules "
                 "(limits %d, %d, %d, %d)",
                 (unsigned long long)T, (unsigned long long)L, (unsigned long long)C,
                 (unsigned long long)R, MAX_T, MAX_L, MAX_C, MAX_R);
        poolsim_h5r_fail_msg(rd, POOLSIM_EINPUT, why);
    }
    poolsim_dims dims = {(int)T, (int)L, (int)C, (int)R};
    if (rd->status == POOLSIM_OK && !(r = poolsim_results_alloc_dims(&dims)))
        poolsim_h5r_fail_msg(rd, POOLSIM_ENOMEM, "out of memory");
    double *buf = r ? malloc(2 * (size_t)(T + 1) * sizeof *buf) : NULL;
    if (r && !buf) poolsim_h5r_fail_msg(rd, POOLSIM_ENOMEM, "out of memory");
    if (rd->status == POOLSIM_OK) {
        metadata(rd, file, r);
        hsize_t dt[1] = {T};
        poolsim_h5r_read(rd, file, "years", H5T_INTEGER, H5T_NATIVE_INT, 1, dt, r->years);
        poolsim_h5r_strings(rd, li, "ids", r->L, r->line_ids);
        poolsim_h5r_strings(rd, li, "names", r->L, r->line_names);
        poolsim_h5r_strings(rd, ci, "ids", r->C, r->county_ids);
        poolsim_h5r_strings(rd, ci, "names", r->C, r->county_names);
        if (r->R > 0) rules_index(rd, mi, r);
        hid_t lines = poolsim_h5r_group(rd, file, "lines");
        for (int l = 0; l < r->L && rd->status == POOLSIM_OK; l++) line(rd, lines, r, l, buf);
        poolsim_h5util_close(lines);
        if (rd->status == POOLSIM_OK) county_totals(rd, file, r, buf);
    }
    free(buf);
    poolsim_h5util_close(li);
    poolsim_h5util_close(ci);
    poolsim_h5util_close(mi);
    if (rd->status != POOLSIM_OK) {
        poolsim_results_free(r);
        r = NULL;
    }
    return r;
}

int poolsim_h5in_read(const char *path, poolsim_results **out)
{
    *out = NULL;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || close(fd) != 0)
        POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: %s", path, strerror(errno));
    if (H5Fis_hdf5(path) <= 0)
        POOLSIM_ERROR(POOLSIM_EINPUT, "cannot read %s: not an HDF5 file", path);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0 || H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        if (fapl >= 0) H5Pclose(fapl);
        POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: HDF5 setup failed", path);
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (file < 0) POOLSIM_ERROR(POOLSIM_EINPUT, "cannot read %s: HDF5 cannot open it", path);
    poolsim_h5r rd = {.status = POOLSIM_OK};
    check_kind(&rd, file);
    poolsim_results *r = rd.status == POOLSIM_OK ? contents(&rd, file) : NULL;
    H5Fclose(file);
    if (rd.status != POOLSIM_OK) {
        poolsim_error_report(__FILE__, __LINE__, "cannot read %s: %s", path, rd.what);
        return rd.status;
    }
    *out = r;
    return POOLSIM_OK;
}
