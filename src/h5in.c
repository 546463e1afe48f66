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

/* Sticky-error reader: after the first failure every helper does nothing. */
typedef struct {
    int status; /* POOLSIM_OK, or the first failure's code */
    char what[512];
} reader;

static void fail(reader *rd, int status, hid_t loc, const char *name, const char *why)
{
    if (rd->status != POOLSIM_OK) return;
    rd->status = status;
    poolsim_h5util_where(loc, name, rd->what, sizeof rd->what);
    size_t k = strlen(rd->what);
    snprintf(rd->what + k, sizeof rd->what - k, ": %s", why);
}

static void fail_msg(reader *rd, int status, const char *why)
{
    if (rd->status != POOLSIM_OK) return;
    rd->status = status;
    snprintf(rd->what, sizeof rd->what, "%s", why);
}

static hid_t open_group(reader *rd, hid_t loc, const char *name)
{
    if (rd->status != POOLSIM_OK) return H5I_INVALID_HID;
    const char *why = poolsim_h5util_hard_link(loc, name);
    hid_t g = why ? H5I_INVALID_HID : H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        fail(rd, POOLSIM_EINPUT, loc, name, why && strcmp(why, "missing") ? why : "missing group");
    return g;
}

/* A string from a string-typed object of one element (attribute or scalar
 * dataset) or element data; fixed or variable length. Returns a malloc'ed
 * copy, NULL on failure (recorded). */
static char *copy_str(reader *rd, hid_t loc, const char *name, const char *s, size_t max)
{
    size_t n = strnlen(s, max);
    char *d = malloc(n + 1);
    if (!d) {
        fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* Memory type matching a file string type: same length kind and cset. */
static hid_t string_memtype(hid_t ftype, size_t *fixed /* OUT: 0 when variable */)
{
    hid_t mt = H5Tcopy(H5T_C_S1);
    if (mt < 0) return mt;
    htri_t var = H5Tis_variable_str(ftype);
    size_t sz = H5Tget_size(ftype);
    H5T_cset_t cs = H5Tget_cset(ftype);
    if (var < 0 || sz == 0 || cs < 0 || H5Tset_cset(mt, cs) < 0 ||
        H5Tset_size(mt, var ? H5T_VARIABLE : sz) < 0 ||
        (!var && H5Tset_strpad(mt, H5Tget_strpad(ftype)) < 0)) {
        H5Tclose(mt);
        return H5I_INVALID_HID;
    }
    *fixed = var ? 0 : sz;
    return mt;
}

/* An open attribute with its file type and dataspace (each
 * H5I_INVALID_HID when HDF5 could not give it). */
typedef struct {
    hid_t id, type, space;
} attribute;

/* Open attribute `name` of loc. Returns -1 when there is nothing to read
 * (an earlier failure, or the attribute is missing: recorded), else 0 and
 * the caller checks h and calls attr_close. */
static int attr_open(reader *rd, hid_t loc, const char *name, attribute *h /* OUT */)
{
    h->id = h->type = h->space = H5I_INVALID_HID;
    if (rd->status != POOLSIM_OK) return -1;
    if (H5Aexists(loc, name) <= 0) {
        fail(rd, POOLSIM_EINPUT, loc, name, "missing attribute");
        return -1;
    }
    h->id = H5Aopen(loc, name, H5P_DEFAULT);
    if (h->id >= 0) {
        h->type = H5Aget_type(h->id);
        h->space = H5Aget_space(h->id);
    }
    return 0;
}

static void attr_close(attribute *h)
{
    if (h->space >= 0) H5Sclose(h->space);
    if (h->type >= 0) H5Tclose(h->type);
    if (h->id >= 0) H5Aclose(h->id);
}

static void attr_str(reader *rd, hid_t loc, const char *name, char **out /* OUT */)
{
    attribute h;
    if (attr_open(rd, loc, name, &h) < 0) return;
    size_t fixed = 0;
    hid_t mt = H5I_INVALID_HID;
    char why[160];
    const char *big = NULL;
    if (h.type < 0 || h.space < 0 || H5Tget_class(h.type) != H5T_STRING ||
        H5Sget_simple_extent_npoints(h.space) != 1 || (mt = string_memtype(h.type, &fixed)) < 0) {
        fail(rd, POOLSIM_EINPUT, loc, name, "not a string attribute");
    } else if ((big = poolsim_h5util_string_size(h.type, 1, POOLSIM_H5_MAX_STRING, why,
                                                 sizeof why))) {
        fail(rd, POOLSIM_EINPUT, loc, name, big);
    } else if (fixed) {
        char *buf = calloc(fixed + 1, 1);
        if (!buf)
            fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        else if (H5Aread(h.id, mt, buf) < 0)
            fail(rd, POOLSIM_EIO, loc, name, "cannot read attribute");
        else
            *out = copy_str(rd, loc, name, buf, fixed);
        free(buf);
    } else {
        char *s = NULL;
        if (H5Aread(h.id, mt, &s) < 0)
            fail(rd, POOLSIM_EIO, loc, name, "cannot read attribute");
        else
            *out = copy_str(rd, loc, name, s ? s : "", (size_t)-1);
        if (s) H5Dvlen_reclaim(mt, h.space, H5P_DEFAULT, &s);
    }
    if (mt >= 0) H5Tclose(mt);
    attr_close(&h);
}

/* A numeric scalar attribute (integer or float class), converted to mtype. */
static void attr_num(reader *rd, hid_t loc, const char *name, hid_t mtype, void *out /* OUT */)
{
    attribute h;
    if (attr_open(rd, loc, name, &h) < 0) return;
    H5T_class_t cls = h.type < 0 ? H5T_NO_CLASS : H5Tget_class(h.type);
    if (h.space < 0 || (cls != H5T_INTEGER && cls != H5T_FLOAT) ||
        H5Sget_simple_extent_npoints(h.space) != 1)
        fail(rd, POOLSIM_EINPUT, loc, name, "not a numeric scalar attribute");
    else if (H5Aread(h.id, mtype, out) < 0)
        fail(rd, POOLSIM_EIO, loc, name, "cannot read attribute");
    attr_close(&h);
}

/* Open a dataset and check its class and shape (rank 0: scalar). When
 * dims_out is given the extent is returned instead of checked. */
static hid_t open_ds(reader *rd, hid_t loc, const char *name, H5T_class_t cls, int rank,
                     const hsize_t *dims, hsize_t *dims_out /* OUT */)
{
    if (rd->status != POOLSIM_OK) return H5I_INVALID_HID;
    const char *bad = poolsim_h5util_hard_link(loc, name);
    hid_t d = bad ? H5I_INVALID_HID : H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) {
        fail(rd, POOLSIM_EINPUT, loc, name,
             bad && strcmp(bad, "missing") ? bad : "missing dataset");
        return d;
    }
    if ((bad = poolsim_h5util_own_storage(d))) {
        fail(rd, POOLSIM_EINPUT, loc, name, bad);
        H5Dclose(d);
        return H5I_INVALID_HID;
    }
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    hsize_t got[H5S_MAX_RANK];
    int ok = ft >= 0 && sp >= 0 && H5Tget_class(ft) == cls;
    int r = ok ? H5Sget_simple_extent_ndims(sp) : -1;
    ok = ok && r == rank && H5Sget_simple_extent_dims(sp, got, NULL) == r;
    for (int i = 0; ok && i < rank; i++) {
        if (dims_out)
            dims_out[i] = got[i];
        else
            ok = got[i] == dims[i];
    }
    if (!ok) {
        char why[160];
        const char *kind = cls == H5T_STRING ? "string" : cls == H5T_INTEGER ? "integer" : "float";
        int m = snprintf(why, sizeof why, "expected a %s dataset of ", kind);
        if (!dims)
            snprintf(why + m, sizeof why - (size_t)m, "rank %d", rank);
        else if (rank == 0)
            snprintf(why + m, sizeof why - (size_t)m, "one value (scalar)");
        for (int i = 0; dims && i < rank && m > 0 && (size_t)m < sizeof why; i++)
            m += snprintf(why + m, sizeof why - (size_t)m, i ? "x%llu" : "shape %llu",
                          (unsigned long long)dims[i]);
        fail(rd, POOLSIM_EINPUT, loc, name, why);
        H5Dclose(d);
        d = H5I_INVALID_HID;
    }
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    return d;
}

static void read_num(reader *rd, hid_t loc, const char *name, H5T_class_t cls, hid_t mtype,
                     int rank, const hsize_t *dims, void *out /* OUT */)
{
    hid_t d = open_ds(rd, loc, name, cls, rank, dims, NULL);
    if (d < 0) return;
    if (H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0)
        fail(rd, POOLSIM_EIO, loc, name, "cannot read dataset");
    H5Dclose(d);
}

static void vec(reader *rd, hid_t loc, const char *name, size_t n, double *out /* OUT */)
{
    hsize_t dims[1] = {n};
    read_num(rd, loc, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, 1, dims, out);
}

static void scalar(reader *rd, hid_t loc, const char *name, double *out /* OUT */)
{
    read_num(rd, loc, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, 0, NULL, out);
}

/* A 1-D string dataset of n elements into out[n] (malloc'ed copies). */
static void strings(reader *rd, hid_t loc, const char *name, int n, char **out /* OUT */)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t d = open_ds(rd, loc, name, H5T_STRING, 1, dims, NULL);
    if (d < 0) return;
    hid_t ft = H5Dget_type(d), sp = H5Dget_space(d);
    size_t fixed = 0;
    hid_t mt = ft < 0 ? H5I_INVALID_HID : string_memtype(ft, &fixed);
    char why[160];
    const char *big = NULL;
    if (mt < 0 || sp < 0) {
        fail(rd, POOLSIM_EINPUT, loc, name, "unreadable string type");
    } else if ((big = poolsim_h5util_string_size(ft, (size_t)n, POOLSIM_H5_MAX_STRINGS, why,
                                                 sizeof why))) {
        fail(rd, POOLSIM_EINPUT, loc, name, big);
    } else if (fixed) {
        char *buf = calloc((size_t)n, fixed);
        if (!buf)
            fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
            fail(rd, POOLSIM_EIO, loc, name, "cannot read dataset");
        for (int i = 0; buf && rd->status == POOLSIM_OK && i < n; i++)
            out[i] = copy_str(rd, loc, name, buf + (size_t)i * fixed, fixed);
        free(buf);
    } else {
        char **s = calloc((size_t)n, sizeof *s);
        if (!s)
            fail(rd, POOLSIM_ENOMEM, loc, name, "out of memory");
        else if (H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, s) < 0)
            fail(rd, POOLSIM_EIO, loc, name, "cannot read dataset");
        else {
            for (int i = 0; rd->status == POOLSIM_OK && i < n; i++)
                out[i] = copy_str(rd, loc, name, s[i] ? s[i] : "", (size_t)-1);
            H5Dvlen_reclaim(mt, sp, H5P_DEFAULT, s);
        }
        free(s);
    }
    if (mt >= 0) H5Tclose(mt);
    if (sp >= 0) H5Sclose(sp);
    if (ft >= 0) H5Tclose(ft);
    H5Dclose(d);
}

/* Length of a 1-D dataset (0 on failure, recorded). */
static hsize_t length(reader *rd, hid_t loc, const char *name, H5T_class_t cls)
{
    hsize_t n[1] = {0};
    hid_t d = open_ds(rd, loc, name, cls, 1, NULL, n);
    if (d >= 0) H5Dclose(d);
    return n[0];
}

static void interval(reader *rd, hid_t loc, const char *name, size_t n, double *buf,
                     double *lo /* OUT */, double *hi /* OUT */)
{
    hsize_t dims[2] = {n, 2};
    read_num(rd, loc, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, 2, dims, buf);
    if (rd->status != POOLSIM_OK) return;
    for (size_t i = 0; i < n; i++) lo[i] = buf[2 * i], hi[i] = buf[2 * i + 1];
}

/* n values into x: a vector, or a scalar when `one` is set. */
static void values(reader *rd, hid_t loc, const char *name, size_t n, int one, double *x /* OUT */)
{
    if (one)
        scalar(rd, loc, name, x);
    else
        vec(rd, loc, name, n, x);
}

/* Values [off, off + n) of schema row `row` from loc, laid out as
 * h5out.c's write_row writes them. */
static void read_row(reader *rd, hid_t loc, poolsim_results *r, int row, size_t off, size_t n,
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
    hid_t g = open_group(rd, loc, sr->name);
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
static void read_rows(reader *rd, hid_t loc, poolsim_results *r, int a, int b, size_t index,
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

static void county(reader *rd, hid_t counties, poolsim_results *r, int l, int c, double *buf)
{
    hid_t g = open_group(rd, counties, r->county_ids[c]);
    read_rows(rd, g, r, POOLSIM_SHAPE_LCT, POOLSIM_SHAPE_LC, POOLSIM_LC(r, l, c), buf);
    poolsim_h5util_close(g);
}

static void line(reader *rd, hid_t lines, poolsim_results *r, int l, double *buf)
{
    hid_t g = open_group(rd, lines, r->line_ids[l]);
    read_rows(rd, g, r, POOLSIM_SHAPE_LT, POOLSIM_SHAPE_LT1, (size_t)l, buf);
    read_rows(rd, g, r, POOLSIM_SHAPE_L, -1, (size_t)l, buf);
    hid_t cs = open_group(rd, g, "counties");
    for (int c = 0; c < r->C && rd->status == POOLSIM_OK; c++) county(rd, cs, r, l, c, buf);
    poolsim_h5util_close(cs);
    int rules = 0;
    for (int k = 0; k < r->R; k++) rules += r->rule_line[k] == l;
    if (rules && rd->status == POOLSIM_OK) {
        hid_t ms = open_group(rd, g, "management");
        for (int k = 0; k < r->R && rd->status == POOLSIM_OK; k++) {
            if (r->rule_line[k] != l) continue;
            hid_t rg = open_group(rd, ms, r->rule_ids[k]);
            read_rows(rd, rg, r, POOLSIM_SHAPE_RT, -1, (size_t)k, buf);
            poolsim_h5util_close(rg);
        }
        poolsim_h5util_close(ms);
    }
    poolsim_h5util_close(g);
}

/* Rows per county over all lines, /county_totals (absent in older files:
 * those rows are marked absent). */
static void county_totals(reader *rd, hid_t file, poolsim_results *r, double *buf)
{
    if (H5Lexists(file, "county_totals", H5P_DEFAULT) <= 0) {
        for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
            int sh = poolsim_schema[row].shape;
            if (sh != POOLSIM_SHAPE_CT && sh != POOLSIM_SHAPE_C) continue;
            if (poolsim_schema[row].since < 2)
                fail(rd, POOLSIM_EINPUT, file, "county_totals", "missing group");
            r->present[row] = 0;
        }
        return;
    }
    hid_t g = open_group(rd, file, "county_totals");
    for (int c = 0; c < r->C && rd->status == POOLSIM_OK; c++) {
        hid_t cg = open_group(rd, g, r->county_ids[c]);
        read_rows(rd, cg, r, POOLSIM_SHAPE_CT, POOLSIM_SHAPE_C, (size_t)c, buf);
        poolsim_h5util_close(cg);
    }
    poolsim_h5util_close(g);
}

static void metadata(reader *rd, hid_t file, poolsim_results *r)
{
    attr_str(rd, file, "poolsim_version", &r->version);
    attr_str(rd, file, "git_commit", &r->git_commit);
    attr_str(rd, file, "build_info", &r->build_info);
    attr_str(rd, file, "scenario_name", &r->scenario_name);
    attr_str(rd, file, "scenario_path", &r->scenario_path);
    attr_str(rd, file, "scenario_text", &r->scenario_text);
    attr_str(rd, file, "resolved_parameters", &r->resolved_text);
    attr_str(rd, file, "lang", &r->lang);
    attr_str(rd, file, "quantile_method", &r->quantile_method);
    attr_str(rd, file, "start_time", &r->start_time);
    long long paths = 0;
    attr_num(rd, file, "seed", H5T_NATIVE_ULLONG, &r->seed);
    attr_num(rd, file, "paths", H5T_NATIVE_LLONG, &paths);
    r->paths = (long)paths;
    attr_num(rd, file, "threads", H5T_NATIVE_INT, &r->threads);
    attr_num(rd, file, "ranks", H5T_NATIVE_INT, &r->ranks);
    attr_num(rd, file, "claims_noise", H5T_NATIVE_INT, &r->claims_noise);
    attr_num(rd, file, "run_seconds", H5T_NATIVE_DOUBLE, &r->run_seconds);
}

/* format and complete: what makes a file a finished poolsim results file. */
static void check_kind(reader *rd, hid_t file)
{
    char *format = NULL;
    if (H5Aexists(file, "format") <= 0) {
        fail_msg(rd, POOLSIM_EINPUT, "not a poolsim results file (no 'format' attribute)");
        return;
    }
    attr_str(rd, file, "format", &format);
    if (rd->status == POOLSIM_OK && strcmp(format, FORMAT) != 0) {
        char why[200];
        snprintf(why, sizeof why, "unsupported format '%.60s' (expected '%s')", format, FORMAT);
        fail_msg(rd, POOLSIM_EINPUT, why);
    }
    free(format);
    int complete = 0;
    if (rd->status == POOLSIM_OK && H5Aexists(file, "complete") <= 0) {
        fail_msg(rd, POOLSIM_EINPUT,
                 "incomplete results file (no 'complete' attribute: its write did not finish)");
        return;
    }
    attr_num(rd, file, "complete", H5T_NATIVE_INT, &complete);
    if (rd->status == POOLSIM_OK && complete != 1)
        fail_msg(rd, POOLSIM_EINPUT, "incomplete results file ('complete' is not 1)");
}

/* Rule index (optional): ids and the line each acts on. */
static void rules_index(reader *rd, hid_t mi, poolsim_results *r)
{
    char **lids = calloc((size_t)r->R + 1, sizeof *lids);
    if (!lids) {
        fail_msg(rd, POOLSIM_ENOMEM, "out of memory");
        return;
    }
    strings(rd, mi, "ids", r->R, r->rule_ids);
    strings(rd, mi, "lines", r->R, lids);
    for (int k = 0; rd->status == POOLSIM_OK && k < r->R; k++) {
        r->rule_line[k] = -1;
        for (int l = 0; l < r->L; l++)
            if (strcmp(lids[k], r->line_ids[l]) == 0) r->rule_line[k] = l;
        if (r->rule_line[k] < 0 || !r->rule_ids[k][0] || strchr(r->rule_ids[k], '/'))
            fail(rd, POOLSIM_EINPUT, mi, "lines",
                 "a rule names no line of the file, or has a bad id");
    }
    for (int k = 0; k < r->R; k++) free(lids[k]);
    free(lids);
}

static poolsim_results *contents(reader *rd, hid_t file)
{
    hid_t li = open_group(rd, file, "lines_index"), ci = open_group(rd, file, "counties");
    hid_t mi = H5I_INVALID_HID;
    hsize_t T = length(rd, file, "years", H5T_INTEGER);
    hsize_t L = length(rd, li, "ids", H5T_STRING), C = length(rd, ci, "ids", H5T_STRING), R = 0;
    if (rd->status == POOLSIM_OK && H5Lexists(file, "management_index", H5P_DEFAULT) > 0) {
        mi = open_group(rd, file, "management_index");
        R = length(rd, mi, "ids", H5T_STRING);
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
        fail_msg(rd, POOLSIM_EINPUT, why);
    }
    poolsim_dims dims = {(int)T, (int)L, (int)C, (int)R};
    if (rd->status == POOLSIM_OK && !(r = poolsim_results_alloc_dims(&dims)))
        fail_msg(rd, POOLSIM_ENOMEM, "out of memory");
    double *buf = r ? malloc(2 * (size_t)(T + 1) * sizeof *buf) : NULL;
    if (r && !buf) fail_msg(rd, POOLSIM_ENOMEM, "out of memory");
    if (rd->status == POOLSIM_OK) {
        metadata(rd, file, r);
        hsize_t dt[1] = {T};
        read_num(rd, file, "years", H5T_INTEGER, H5T_NATIVE_INT, 1, dt, r->years);
        strings(rd, li, "ids", r->L, r->line_ids);
        strings(rd, li, "names", r->L, r->line_names);
        strings(rd, ci, "ids", r->C, r->county_ids);
        strings(rd, ci, "names", r->C, r->county_names);
        if (r->R > 0) rules_index(rd, mi, r);
        hid_t lines = open_group(rd, file, "lines");
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
    reader rd = {.status = POOLSIM_OK};
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
