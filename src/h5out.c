/* poolsim: HDF5 results files. The layout is docs/RESULTS.md; the reader
 * (src/h5in.c) follows it, and tests/test_h5out.c checks the round trip.
 *
 * The file is built in memory (HDF5's core driver, no backing store), the
 * root attribute `complete` set last, flushed, its image taken and closed;
 * the image is then written atomically by poolsim_results_write_atomic
 * (temporary name, fsync, rename, folder fsync: RELIABILITY.md promise 2).
 * HDF5 itself never writes to disk, so a full disk or a file size limit
 * fails in our own write(2) with the system's reason, and HDF5 is not left
 * holding a half-written file (whose exit handler then crashes:
 * RELIABILITY.md). Cost: the file's image is held in memory once.
 *
 * The skeleton (h5out.h, at the end of this file) builds the file during
 * the run, with placeholders for the values, on one of the run's threads.
 *
 * HDF5 here is the serial, non-thread-safe build: one thread at a time. */
#include "poolsim/h5out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <hdf5.h>

#include "poolsim/common.h"
#include "poolsim/scenario.h"

#include "h5util.h"

#define FORMAT        "poolsim-results/1"
#define PATH_CHUNK    4096 /* paths per chunk of the /paths datasets */
#define DEFLATE_LEVEL 4

static void scalar(poolsim_h5w *w, hid_t loc, const char *name, double x, const char *units,
                   const char *description)
{
    poolsim_h5util_dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, w->dcpl, &x,
                           units, description);
}

static const char MEAN_DESC[] = "mean over paths";
static const char SE_DESC[] = "standard error of the mean (sample sd / sqrt(paths))";
static const char CVAR_DESC[] = "CVaR95: mean of the worst ceil(0.05 paths) path values";

/* n values from x, as a vector, or as a scalar when `one` is set. */
static void values(poolsim_h5w *w, hid_t loc, const char *name, const double *x, size_t n, int one,
                   const char *units, const char *description)
{
    if (one)
        scalar(w, loc, name, x[0], units, description);
    else
        poolsim_h5util_vec(w, loc, name, x, n, units, description);
}

/* Values [off, off + n) of schema row `row` of r under loc, as
 * docs/RESULTS.md lays them out by kind (schema.h). `one`: a single value
 * per location (shapes L, LC, C), written as scalars. buf: 2 (n + 1)
 * doubles of workspace. */
static void write_row(poolsim_h5w *w, hid_t loc, const poolsim_results *r, int row, size_t off,
                      size_t n, int one, double *buf)
{
    const poolsim_schema_row *sr = &poolsim_schema[row];
    double *c[POOLSIM_SCHEMA_MAXCOMP];
    const char *names[POOLSIM_SCHEMA_MAXCOMP];
    int nc = poolsim_results_row(r, row, c);
    poolsim_schema_components(sr->kind, names);
    if (sr->kind == POOLSIM_KIND_VEC || sr->kind == POOLSIM_KIND_RATE) {
        values(w, loc, sr->name, c[0] + off, n, one, sr->units, sr->description);
        return;
    }
    char name[96], desc[160];
    if (sr->kind == POOLSIM_KIND_PROB) {
        snprintf(name, sizeof name, "%s_prob", sr->name);
        values(w, loc, name, c[0] + off, n, one, sr->units, sr->description);
        snprintf(desc, sizeof desc,
                 "Wilson 95%% score interval of %s_prob (z = 1.959963984540054), [T][2] = lo, hi",
                 sr->name);
        snprintf(name, sizeof name, "%s_ci", sr->name);
        poolsim_h5util_pairs(w, loc, name, c[1] + off, c[2] + off, n, buf, sr->units, desc);
        return;
    }
    hid_t g = poolsim_h5util_group(w, loc, sr->name);
    poolsim_h5util_attr_str(w, g, "description", sr->description);
    values(w, g, "mean", c[0] + off, n, one, sr->units, MEAN_DESC);
    values(w, g, "se", c[1] + off, n, one, sr->units, SE_DESC);
    if (sr->kind == POOLSIM_KIND_DIST) {
        for (int k = 0; k < POOLSIM_NQ; k++) {
            for (size_t t = 0; t < n; t++) buf[t] = c[2][(off + t) * POOLSIM_NQ + (size_t)k];
            snprintf(desc, sizeof desc, "quantile at probability %.2f over paths (type 7)",
                     poolsim_quantile_probs[k]);
            values(w, g, poolsim_quantile_names[k], buf, n, one, sr->units, desc);
        }
    } else if (sr->kind == POOLSIM_KIND_TAIL) {
        for (int i = 2; i < nc; i++) {
            if (i == 4)
                snprintf(desc, sizeof desc, "%s", CVAR_DESC);
            else
                snprintf(desc, sizeof desc, "quantile at probability %s over paths (type 7)",
                         i == 2 ? "0.95" : "0.99");
            values(w, g, names[i], c[i] + off, n, one, sr->units, desc);
        }
    }
    poolsim_h5util_close(g);
}

/* Every row of one of the shapes a, b (-1: none) at location index i
 * (line l; line and county (l, c); county c; rule k). */
static void write_rows(poolsim_h5w *w, hid_t loc, const poolsim_results *r, int a, int b,
                       size_t index, double *buf)
{
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        int sh = poolsim_schema[row].shape;
        if (sh != a && sh != b) continue;
        if (!r->present[row]) continue;
        size_t off, n;
        int one = poolsim_schema_span(sh, index, r->T, &off, &n);
        write_row(w, loc, r, row, off, n, one, buf);
    }
}

static void county(poolsim_h5w *w, hid_t counties, const poolsim_results *r, int l, int c,
                   double *buf)
{
    hid_t g = poolsim_h5util_group(w, counties, r->county_ids[c]);
    poolsim_h5util_attr_str(w, g, "name", r->county_names[c]);
    write_rows(w, g, r, POOLSIM_SHAPE_LCT, POOLSIM_SHAPE_LC, POOLSIM_LC(r, l, c), buf);
    poolsim_h5util_close(g);
}

static void line(poolsim_h5w *w, hid_t lines, const poolsim_results *r, int l, double *buf)
{
    hid_t g = poolsim_h5util_group(w, lines, r->line_ids[l]);
    poolsim_h5util_attr_str(w, g, "name", r->line_names[l]);
    write_rows(w, g, r, POOLSIM_SHAPE_LT, POOLSIM_SHAPE_LT1, (size_t)l, buf);
    write_rows(w, g, r, POOLSIM_SHAPE_L, -1, (size_t)l, buf);
    hid_t cs = poolsim_h5util_group(w, g, "counties");
    for (int c = 0; c < r->C; c++) county(w, cs, r, l, c, buf);
    poolsim_h5util_close(cs);
    int rules = 0;
    for (int k = 0; k < r->R; k++) rules += r->rule_line[k] == l;
    if (rules) {
        hid_t ms = poolsim_h5util_group(w, g, "management");
        for (int k = 0; k < r->R; k++) {
            if (r->rule_line[k] != l) continue;
            hid_t rg = poolsim_h5util_group(w, ms, r->rule_ids[k]);
            write_rows(w, rg, r, POOLSIM_SHAPE_RT, -1, (size_t)k, buf);
            poolsim_h5util_close(rg);
        }
        poolsim_h5util_close(ms);
    }
    poolsim_h5util_close(g);
}

/* Rows per county over all lines (shapes CT, C): /county_totals/<county>. */
static void county_totals(poolsim_h5w *w, hid_t file, const poolsim_results *r, double *buf)
{
    int any = 0;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        int sh = poolsim_schema[row].shape;
        any |= r->present[row] && (sh == POOLSIM_SHAPE_CT || sh == POOLSIM_SHAPE_C);
    }
    if (!any) return;
    hid_t g = poolsim_h5util_group(w, file, "county_totals");
    poolsim_h5util_attr_str(w, g, "description", "per county, over all fund lines");
    for (int c = 0; c < r->C; c++) {
        hid_t cg = poolsim_h5util_group(w, g, r->county_ids[c]);
        poolsim_h5util_attr_str(w, cg, "name", r->county_names[c]);
        write_rows(w, cg, r, POOLSIM_SHAPE_CT, POOLSIM_SHAPE_C, (size_t)c, buf);
        poolsim_h5util_close(cg);
    }
    poolsim_h5util_close(g);
}

/* Per-path datasets (--save-paths): chunked along paths, shuffle + deflate. */
static void saved_paths(poolsim_h5w *w, hid_t file, const poolsim_saved_paths *p)
{
    hid_t g = poolsim_h5util_group(w, file, "paths");
    long long P = p->P;
    poolsim_h5util_attr(w, g, "paths", H5T_STD_I64LE, H5T_NATIVE_LLONG, &P);
    poolsim_h5util_attr_str(
        w, g, "description",
        "per-path values (--save-paths); path index p is the generator key of MODEL.md section 6");
    hsize_t L = (hsize_t)p->L, C = (hsize_t)p->C, T = (hsize_t)p->T, NP = (hsize_t)p->P;
    hsize_t ch = NP < PATH_CHUNK ? NP : PATH_CHUNK;
    struct {
        int rank;
        hsize_t dims[4], chunk[4];
    } s2 = {2, {L, NP}, {1, ch}}, s3 = {3, {L, NP, T}, {1, ch, T}},
      s4 = {4, {L, C, NP, T}, {1, 1, ch, T}};
    hid_t dcpl[3] = {H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID};
    const hsize_t *chunks[3] = {s2.chunk, s3.chunk, s4.chunk};
    for (int i = 0; i < 3 && !w->failed; i++) {
        dcpl[i] = H5Pcopy(w->dcpl);
        if (dcpl[i] < 0 || H5Pset_chunk(dcpl[i], i + 2, chunks[i]) < 0 ||
            H5Pset_shuffle(dcpl[i]) < 0 || H5Pset_deflate(dcpl[i], DEFLATE_LEVEL) < 0)
            poolsim_h5util_fail(w, g, "setting up compression for", "per-path datasets");
    }
    poolsim_h5util_dataset(
        w, g, "first_exhaustion", H5T_STD_I32LE, H5T_NATIVE_INT, s2.rank, s2.dims, dcpl[0],
        p->first_exhaustion, "year index",
        "[L][P] first exhaustion year index 1..T of each path, 0 = never exhausted");
    char desc[200];
#define SAVED_DS(name, slot, shape, units, description)                                            \
    {                                                                                              \
        int four = POOLSIM_SHAPE_##shape == POOLSIM_SHAPE_LCT;                                     \
        snprintf(desc, sizeof desc, "%s %s", four ? "[L][C][P][T]" : "[L][P][T]", description);    \
        poolsim_h5util_dataset(w, g, #name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,                     \
                               four ? s4.rank : s3.rank, four ? s4.dims : s3.dims,                 \
                               dcpl[four ? 2 : 1], p->name, units, desc);                          \
    }
    POOLSIM_SAVED(SAVED_DS)
#undef SAVED_DS
    for (int i = 0; i < 3; i++)
        if (dcpl[i] >= 0) H5Pclose(dcpl[i]);
    poolsim_h5util_close(g);
}

static const char *noise_name(int mode)
{
    switch (mode) {
    case POOLSIM_NOISE_COMPOUND: return "compound";
    case POOLSIM_NOISE_NORMAL: return "normal";
    case POOLSIM_NOISE_NONE: return "none";
    default: return "unknown";
    }
}

/* Group `name` with the datasets ids[n] and names[n], in scenario order. */
static void index_group(poolsim_h5w *w, hid_t file, const char *name, char *const *ids,
                        char *const *names, int n, const char *ids_desc, const char *names_desc)
{
    hid_t g = poolsim_h5util_group(w, file, name);
    poolsim_h5util_strings(w, g, "ids", ids, (size_t)n, ids_desc);
    poolsim_h5util_strings(w, g, "names", names, (size_t)n, names_desc);
    poolsim_h5util_close(g);
}

/* The file's frame: root attributes (run_seconds included, `complete`
 * not) and the index datasets (years, probabilities, ids, names). It
 * depends on the results' metadata only (frame_differs lists what). */
static void frame_part(poolsim_h5w *w, hid_t file, const poolsim_results *r)
{
    poolsim_h5util_attr_str(w, file, "format", FORMAT);
    poolsim_h5util_attr_str(w, file, "poolsim_version", r->version);
    poolsim_h5util_attr_str(w, file, "git_commit", r->git_commit);
    poolsim_h5util_attr_str(w, file, "build_info", r->build_info);
    poolsim_h5util_attr_str(w, file, "scenario_name", r->scenario_name);
    poolsim_h5util_attr_str(w, file, "scenario_path", r->scenario_path);
    poolsim_h5util_attr_str(w, file, "scenario_text", r->scenario_text);
    poolsim_h5util_attr_str(w, file, "resolved_parameters", r->resolved_text);
    poolsim_h5util_attr_str(w, file, "lang", r->lang);
    poolsim_h5util_attr(w, file, "seed", H5T_STD_U64LE, H5T_NATIVE_ULLONG, &r->seed);
    long long paths = r->paths;
    poolsim_h5util_attr(w, file, "paths", H5T_STD_I64LE, H5T_NATIVE_LLONG, &paths);
    poolsim_h5util_attr_int(w, file, "threads", r->threads);
    poolsim_h5util_attr_int(w, file, "ranks", r->ranks);
    poolsim_h5util_attr_int(w, file, "claims_noise", r->claims_noise);
    poolsim_h5util_attr_str(w, file, "claims_noise_name", noise_name(r->claims_noise));
    poolsim_h5util_attr_str(w, file, "quantile_method", r->quantile_method);
    poolsim_h5util_attr_str(w, file, "start_time", r->start_time);
    poolsim_h5util_attr(w, file, "run_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &r->run_seconds);

    hsize_t nt[1] = {(hsize_t)r->T}, nq[1] = {POOLSIM_NQ};
    poolsim_h5util_dataset(w, file, "years", H5T_STD_I32LE, H5T_NATIVE_INT, 1, nt, w->dcpl,
                           r->years, "year", "calendar year of each projection year t = 1..T");
    poolsim_h5util_dataset(w, file, "quantile_probs", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, nq,
                           w->dcpl, poolsim_quantile_probs, "1",
                           "probabilities of the quantiles p01 p05 p25 p50 p75 p95 p99");
    index_group(w, file, "counties", r->county_ids, r->county_names, r->C,
                "county ids in scenario order", "county names in scenario order");
    index_group(w, file, "lines_index", r->line_ids, r->line_names, r->L,
                "fund line ids in scenario order", "fund line names in scenario order");
    if (r->R > 0) {
        hid_t mi = poolsim_h5util_group(w, file, "management_index");
        char **lids = malloc((size_t)r->R * sizeof *lids);
        if (!lids) poolsim_h5util_fail_nomem(w, "management_index");
        for (int k = 0; lids && k < r->R; k++) lids[k] = r->line_ids[r->rule_line[k]];
        poolsim_h5util_strings(w, mi, "ids", r->rule_ids, (size_t)r->R,
                               "management rule ids in scenario order");
        if (lids)
            poolsim_h5util_strings(w, mi, "lines", lids, (size_t)r->R,
                                   "the fund line each rule acts on");
        free(lids);
        poolsim_h5util_close(mi);
    }
}

/* The groups and datasets of the values: every schema row present, and
 * the per-path datasets. In SKELETON mode (h5util.h) its structure
 * depends on the results' metadata only; FILL then writes the values. */
static void value_part(poolsim_h5w *w, hid_t file, const poolsim_results *r,
                       const poolsim_saved_paths *p, double *buf)
{
    hid_t g = poolsim_h5util_group(w, file, "lines");
    for (int l = 0; l < r->L; l++) line(w, g, r, l, buf);
    poolsim_h5util_close(g);
    county_totals(w, file, r, buf);
    if (p) saved_paths(w, file, p);
}

/* Ids become HDF5 link names: non-empty, no '/', not "." (the scenario's
 * identifier rule is stricter). */
static int bad_id(const char *s)
{
    return !s || !s[0] || strchr(s, '/') || strcmp(s, ".") == 0;
}

/* Report a structure that cannot be written: a message about `path`, or
 * nothing when path is NULL (the skeleton's frame, checked silently). */
#define STRUCTURE_ERROR(path, ...)                                                                 \
    do {                                                                                           \
        if (path) poolsim_error_report(__FILE__, __LINE__, __VA_ARGS__);                           \
        return POOLSIM_EINPUT;                                                                     \
    } while (0)

/* ids[n] of one kind ("line", "county"): valid link names, no two alike. */
static int check_ids(char *const *ids, int n, const char *kind, const char *path)
{
    for (int i = 0; i < n; i++) {
        if (bad_id(ids[i]))
            STRUCTURE_ERROR(path, "cannot write %s: %s %d has an invalid id", path, kind, i + 1);
        for (int k = 0; k < i; k++)
            if (strcmp(ids[k], ids[i]) == 0)
                STRUCTURE_ERROR(path, "cannot write %s: duplicated %s id '%s'", path, kind, ids[i]);
    }
    return POOLSIM_OK;
}

/* r's dimensions, ids and rules can make a file (path NULL: silently). */
static int check_structure(const poolsim_results *r, const char *path)
{
    if (r->T < 1 || r->L < 1 || r->C < 1)
        STRUCTURE_ERROR(path, "cannot write %s: no years, lines or counties (T=%d L=%d C=%d)", path,
                        r->T, r->L, r->C);
    int st = check_ids(r->line_ids, r->L, "line", path);
    if (st == POOLSIM_OK) st = check_ids(r->county_ids, r->C, "county", path);
    if (st == POOLSIM_OK) st = check_ids(r->rule_ids, r->R, "management rule", path);
    for (int k = 0; st == POOLSIM_OK && k < r->R; k++)
        if (r->rule_line[k] < 0 || r->rule_line[k] >= r->L)
            STRUCTURE_ERROR(path, "cannot write %s: rule %d names no line", path, k + 1);
    return st;
}

static int check_input(const poolsim_results *r, const poolsim_saved_paths *p, const char *path)
{
    int st = check_structure(r, path);
    if (st != POOLSIM_OK) return st;
    if (p && (p->T != r->T || p->L != r->L || p->C != r->C || p->P < 1))
        POOLSIM_ERROR(
            POOLSIM_EINPUT,
            "cannot write %s: saved paths (T=%d L=%d C=%d P=%ld) do not match the results "
            "(T=%d L=%d C=%d)",
            path, p->T, p->L, p->C, p->P, r->T, r->L, r->C);
    char what[600];
    snprintf(what, sizeof what, "cannot write %s", path);
    return poolsim_results_check_finite(r, what);
}

/* The in-memory file's name: "/", which no one can open for writing.
 * H5Fcreate (HDF5 1.10) first tries to open an existing file of the name
 * it is given, to refuse truncating one it has open, and the core driver
 * reads such a file whole into memory: named after the output path, every
 * write read the previous results file first (all of it, --save-paths
 * data included). The name is not stored in the file. */
#define MEMORY_NAME "/"

/* The in-memory file grows by this many bytes at a time (the core
 * driver's increment), each step zeroed as it is added: a results file is
 * 0.3 to 1 MB, and a 1 MB step zeroed 1 MB of fresh pages even for the
 * smallest (page faults: 1.6 to 9 us a page on the machines measured). */
#define MEMORY_STEP ((size_t)64 << 10)

/* The in-memory file being built, with the writer and its workspace. */
typedef struct {
    poolsim_h5w w;
    hid_t fapl, fcpl, file;
    double *buf; /* 2 (T + 1) doubles */
} memfile;

/* Properties and an empty in-memory file (HDF5's core driver, no backing
 * store) for results of T years; deflate: the per-path datasets will need
 * it. Failures are recorded in m->w. */
static void memfile_open(memfile *m, int T, int deflate)
{
    m->fapl = H5Pcreate(H5P_FILE_ACCESS);
    m->fcpl = H5Pcreate(H5P_FILE_CREATE);
    m->file = H5I_INVALID_HID;
    m->buf = malloc(2 * (size_t)(T + 1) * sizeof *m->buf);
    poolsim_h5w *w = &m->w;
    int props = poolsim_h5util_writer_open(w, 1);
    if (!m->buf) {
        poolsim_h5util_fail_msg(w, "out of memory");
    } else if (props < 0 || m->fcpl < 0 || m->fapl < 0 || H5Pset_obj_track_times(m->fcpl, 0) < 0 ||
               H5Pset_fapl_core(m->fapl, MEMORY_STEP, 0) < 0 ||
               poolsim_h5util_small_cache(m->fapl, POOLSIM_H5UTIL_CACHE_BYTES) < 0 ||
               H5Pset_fclose_degree(m->fapl, H5F_CLOSE_STRONG) < 0) {
        poolsim_h5util_fail(w, H5I_INVALID_HID, "setting up", "HDF5 properties");
    } else if ((m->file = H5Fcreate(MEMORY_NAME, H5F_ACC_TRUNC, m->fcpl, m->fapl)) < 0) {
        poolsim_h5util_fail(w, H5I_INVALID_HID, "creating", "the file in memory");
    }
    if (deflate && !w->failed && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
        poolsim_h5util_fail_msg(w, "this HDF5 library has no deflate filter");
}

/* Close m's file and properties; free buf. */
static void memfile_release(memfile *m)
{
    poolsim_h5util_writer_close(&m->w);
    if (m->file >= 0 && H5Fclose(m->file) < 0)
        poolsim_h5util_fail(&m->w, H5I_INVALID_HID, "closing", "file");
    if (m->fapl >= 0) H5Pclose(m->fapl);
    if (m->fcpl >= 0) H5Pclose(m->fcpl);
    m->file = m->fapl = m->fcpl = H5I_INVALID_HID;
    free(m->buf);
    m->buf = NULL;
}

/* Set the root attribute `complete` (last: it marks a finished file),
 * flush, take the image (malloc'ed) and release m. NULL after a failure
 * (m->w.what says which). */
static unsigned char *memfile_image(memfile *m, size_t *size /* OUT */)
{
    poolsim_h5w *w = &m->w;
    unsigned char *image = NULL;
    poolsim_h5util_attr_int(w, m->file, "complete", 1);
    if (!w->failed && H5Fflush(m->file, H5F_SCOPE_GLOBAL) < 0)
        poolsim_h5util_fail(w, m->file, "flushing", "file");
    ssize_t n = w->failed ? -1 : H5Fget_file_image(m->file, NULL, 0);
    if (!w->failed && n <= 0) poolsim_h5util_fail(w, m->file, "taking the image of", "file");
    if (!w->failed && !(image = malloc((size_t)n)))
        poolsim_h5util_fail_msg(w, "out of memory for a %zd-byte file", n);
    if (!w->failed && H5Fget_file_image(m->file, image, (size_t)n) != n)
        poolsim_h5util_fail(w, m->file, "taking the image of", "file");
    memfile_release(m);
    if (w->failed) {
        free(image);
        return NULL;
    }
    *size = (size_t)n;
    return image;
}

/* Build the whole file in memory and return its image (malloc'ed). HDF5
 * never touches the disk, so a full disk or a file size limit cannot leave
 * the library holding a half-written file (RELIABILITY.md: its exit
 * handler then crashes). */
static unsigned char *build_image(memfile *m, const poolsim_results *r,
                                  const poolsim_saved_paths *p, size_t *size /* OUT */)
{
    memfile_open(m, r->T, p != NULL);
    if (!m->w.failed) { /* m->buf is there */
        frame_part(&m->w, m->file, r);
        value_part(&m->w, m->file, r, p, m->buf);
    }
    return memfile_image(m, size);
}

/* ---- The skeleton: the file built during the run (h5out.h) ----
 * Built in SKELETON mode (h5util.h): the whole file, flushed, with `complete`
 * set and its image taken, from the frame, with placeholders in place of
 * the values of the schema rows and of run_seconds. The finish copies the
 * values over the placeholders in the image (FILL mode: the same layout
 * code, creating nothing) and writes it. */

struct poolsim_h5out_skeleton {
    memfile m;
    poolsim_results *frame; /* the caller's, until finish or discard */
    poolsim_h5out_prepare_fn prepare;
    void *arg;
    int built;            /* poolsim_h5out_build ran */
    unsigned char *image; /* NULL: no usable skeleton */
    size_t size;
    double *buf; /* FILL's workspace: 2 (T + 1) doubles */
};

static void build_skeleton(poolsim_h5out_skeleton *k)
{
    if ((k->prepare && k->prepare(k->frame, k->arg) != POOLSIM_OK) ||
        check_structure(k->frame, NULL) != POOLSIM_OK)
        return; /* no image */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    memfile *m = &k->m;
    poolsim_h5w *w = &m->w;
    memfile_open(m, k->frame->T, 0);
    poolsim_results f = *k->frame; /* the frame with run_seconds' placeholder */
    poolsim_h5util_placeholder(w, "run_seconds", &f.run_seconds, 1);
    if (!w->failed) {
        frame_part(w, m->file, &f);
        w->mode = POOLSIM_H5W_SKELETON;
        value_part(w, m->file, &f, NULL, m->buf);
        w->mode = POOLSIM_H5W_WHOLE;
    }
    unsigned char *image = memfile_image(m, &k->size);
    if (image && poolsim_h5util_locate(w, image, k->size) != 0) {
        free(image);
        image = NULL;
    }
    k->image = image;
}

static int strings_differ(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
}

static int string_lists_differ(char *const *a, char *const *b, int n)
{
    for (int i = 0; i < n; i++)
        if (strings_differ(a[i], b[i])) return 1;
    return 0;
}

/* 0 when everything of r that frame_part reads, and that value_part's
 * structure depends on (all but the values of the schema rows and
 * run_seconds), is what the frame f held. */
static int frame_differs(const poolsim_results *f, const poolsim_results *r)
{
    if (f->T != r->T || f->L != r->L || f->C != r->C || f->R != r->R ||
        memcmp(f->present, r->present, sizeof f->present) != 0 ||
        memcmp(f->years, r->years, (size_t)r->T * sizeof *r->years) != 0 ||
        memcmp(f->rule_line, r->rule_line, (size_t)r->R * sizeof *r->rule_line) != 0 ||
        string_lists_differ(f->line_ids, r->line_ids, r->L) ||
        string_lists_differ(f->line_names, r->line_names, r->L) ||
        string_lists_differ(f->county_ids, r->county_ids, r->C) ||
        string_lists_differ(f->county_names, r->county_names, r->C) ||
        string_lists_differ(f->rule_ids, r->rule_ids, r->R))
        return 1;
    const char *fs[] = {f->version,         f->git_commit,    f->build_info,    f->scenario_name,
                        f->scenario_path,   f->scenario_text, f->resolved_text, f->lang,
                        f->quantile_method, f->start_time};
    const char *rs[] = {r->version,         r->git_commit,    r->build_info,    r->scenario_name,
                        r->scenario_path,   r->scenario_text, r->resolved_text, r->lang,
                        r->quantile_method, r->start_time};
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++)
        if (strings_differ(fs[i], rs[i])) return 1;
    return f->seed != r->seed || f->paths != r->paths || f->threads != r->threads ||
           f->ranks != r->ranks || f->claims_noise != r->claims_noise;
}

/* 1 when an allocation can fail for want of memory rather than the
 * process being stopped by the kernel: an address-space or data-size
 * limit (ulimit -v, -d), or the kernel's strict overcommit. HDF5 1.10.8
 * does not survive a failed allocation everywhere (measured under ulimit
 * -v: crashes in its start, in its exit handler after a failed call, a
 * corrupted heap). At the end of a run most memory is released; the
 * skeleton is built at the run's peak, so not in these conditions. */
static int allocations_may_fail(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY) return 1;
    if (getrlimit(RLIMIT_DATA, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY) return 1;
    FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
    int mode = 2; /* unknown: as strict */
    if (f) {
        if (fscanf(f, "%d", &mode) != 1) mode = 2;
        fclose(f);
    }
    return mode == 2;
}

poolsim_h5out_skeleton *poolsim_h5out_begin(poolsim_results *frame,
                                            poolsim_h5out_prepare_fn prepare, void *arg)
{
    if (!frame || allocations_may_fail()) return NULL;
    poolsim_h5out_skeleton *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->frame = frame;
    k->prepare = prepare;
    k->arg = arg;
    k->buf = malloc(2 * (size_t)(frame->T + 1) * sizeof *k->buf);
    if (!k->buf) {
        free(k);
        return NULL;
    }
    return k;
}

void poolsim_h5out_build(void *skeleton)
{
    poolsim_h5out_skeleton *k = skeleton;
    if (!k || k->built) return;
    k->built = 1;
    build_skeleton(k);
}

void poolsim_h5out_discard(poolsim_h5out_skeleton *k)
{
    if (!k) return;
    poolsim_h5util_slots_free(&k->m.w);
    free(k->image);
    free(k->buf);
    free(k);
}

/* The skeleton's image with r's values, or NULL when it cannot be used
 * (it failed, r's metadata is not its frame's, or the layout code asked
 * for other values than the skeleton's: then nothing is written). */
static unsigned char *fill_skeleton(poolsim_h5out_skeleton *k, const poolsim_results *r,
                                    size_t *size /* OUT */)
{
    poolsim_h5w *w = &k->m.w;
    if (!k->image || frame_differs(k->frame, r)) return NULL;
    w->mode = POOLSIM_H5W_FILL;
    w->next = 0;
    poolsim_h5util_fill(w, "run_seconds", &r->run_seconds, 1);
    value_part(w, H5I_INVALID_HID, r, NULL, k->buf);
    if (w->failed || w->next != w->nslots) return NULL;
    unsigned char *image = k->image;
    k->image = NULL;
    *size = k->size;
    return image;
}

int poolsim_h5out_finish(poolsim_h5out_skeleton *k, const poolsim_results *r,
                         const poolsim_saved_paths *paths, const char *path, int *used /* OUT */)
{
    if (used) *used = 0;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int st = check_input(r, paths, path);
    size_t size = 0;
    unsigned char *image = st == POOLSIM_OK && k && !paths ? fill_skeleton(k, r, &size) : NULL;
    poolsim_h5out_discard(k);
    if (st != POOLSIM_OK) return st;
    if (image && used) *used = 1;
    if (!image) {
        /* the file the old way: all of it now */
        memfile m;
        image = build_image(&m, r, paths, &size);
        if (!image) POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: %s", path, m.w.what);
    }
    st = poolsim_results_write_atomic(path, image, size);
    free(image);
    return st;
}

int poolsim_h5out_write(const poolsim_results *r, const poolsim_saved_paths *paths,
                        const char *path)
{
    return poolsim_h5out_finish(NULL, r, paths, path, NULL);
}
