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
 * HDF5 here is the serial, non-thread-safe build: call from one thread. */
#include "poolsim/h5out.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hdf5.h>

#include "poolsim/common.h"
#include "poolsim/scenario.h"

#define FORMAT        "poolsim-results/1"
#define PATH_CHUNK    4096 /* paths per chunk of the /paths datasets */
#define DEFLATE_LEVEL 4

/* Sticky-error writer: after the first failure every helper does nothing,
 * so the layout code reads straight through and is checked once. */
typedef struct {
    hid_t gcpl, dcpl; /* creation properties without timestamps */
    hid_t str;        /* variable-length UTF-8 string */
    int failed;
    char what[768]; /* first failure: object and reason */
} writer;

/* HDF5 keeps the most specific reason in the innermost error of its stack
 * (file drivers add the system's: "... error message = 'File too large'"). */
static herr_t innermost_error(unsigned n, const H5E_error2_t *e, void *data)
{
    char *out = data;
    if (n != 0 || !e->desc) return 0;
    const char *m = strstr(e->desc, "error message = '");
    if (m) {
        m += strlen("error message = '");
        const char *end = strchr(m, '\'');
        size_t len = end ? (size_t)(end - m) : strlen(m);
        if (len > 255) len = 255;
        memcpy(out, m, len);
        out[len] = '\0';
    } else {
        snprintf(out, 256, "%s", e->desc);
    }
    return 0;
}

/* Record the first failure: `doing` names the object, the reason comes
 * from HDF5's error stack (which the failing call just filled). */
static void fail(writer *w, hid_t loc, const char *doing, const char *name)
{
    if (w->failed) return;
    w->failed = 1;
    char reason[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, reason);
    char where[256] = "";
    if (loc >= 0 && H5Iget_name(loc, where, sizeof where) < 0) where[0] = '\0';
    const char *sep = (where[0] && strcmp(where, "/") != 0) ? "/" : "";
    snprintf(w->what, sizeof w->what, "%s %s%s%s: %s", doing, where[0] ? where : "/", sep, name,
             reason[0] ? reason : "HDF5 error");
}

static void close_obj(hid_t id)
{
    if (id >= 0) H5Oclose(id);
}

static hid_t group(writer *w, hid_t loc, const char *name)
{
    if (w->failed) return H5I_INVALID_HID;
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, w->gcpl, H5P_DEFAULT);
    if (g < 0) fail(w, loc, "creating group", name);
    return g;
}

static void attr(writer *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *v)
{
    if (w->failed) return;
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? H5I_INVALID_HID : H5Acreate2(loc, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0 || H5Awrite(a, mtype, v) < 0) fail(w, loc, "writing attribute", name);
    if (a >= 0 && H5Aclose(a) < 0) fail(w, loc, "closing attribute", name);
    if (sp >= 0) H5Sclose(sp);
}

static void attr_str(writer *w, hid_t loc, const char *name, const char *s)
{
    const char *v = s ? s : "";
    attr(w, loc, name, w->str, w->str, &v);
}

static void attr_int(writer *w, hid_t loc, const char *name, int v)
{
    attr(w, loc, name, H5T_STD_I32LE, H5T_NATIVE_INT, &v);
}

/* A dataset of `rank` dims (rank 0: scalar) with its units and description.
 * dcpl: w->dcpl, or a chunked one for /paths. */
static void dataset(writer *w, hid_t loc, const char *name, hid_t ftype, hid_t mtype, int rank,
                    const hsize_t *dims, hid_t dcpl, const void *data, const char *units,
                    const char *description)
{
    if (w->failed) return;
    hid_t sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, NULL);
    hid_t d =
        sp < 0 ? H5I_INVALID_HID : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (d < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail(w, loc, "writing dataset", name);
    if (d >= 0) {
        attr_str(w, d, "units", units);
        attr_str(w, d, "description", description);
        if (H5Dclose(d) < 0) fail(w, loc, "closing dataset", name);
    }
    if (sp >= 0) H5Sclose(sp);
}

static void vec(writer *w, hid_t loc, const char *name, const double *x, size_t n,
                const char *units, const char *description)
{
    hsize_t dims[1] = {n};
    dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, dims, w->dcpl, x, units,
            description);
}

static void scalar(writer *w, hid_t loc, const char *name, double x, const char *units,
                   const char *description)
{
    dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, w->dcpl, &x, units,
            description);
}

static void strings(writer *w, hid_t loc, const char *name, char *const *s, int n,
                    const char *description)
{
    if (w->failed) return;
    const char **v = malloc((size_t)n * sizeof *v);
    if (!v) {
        snprintf(w->what, sizeof w->what, "writing %s: out of memory", name);
        w->failed = 1;
        return;
    }
    for (int i = 0; i < n; i++) v[i] = s[i] ? s[i] : "";
    hsize_t dims[1] = {(hsize_t)n};
    dataset(w, loc, name, w->str, w->str, 1, dims, w->dcpl, v, "", description);
    free(v);
}

/* Interval [n][2] from separate lo and hi arrays. */
static void interval(writer *w, hid_t loc, const char *name, const double *lo, const double *hi,
                     size_t n, double *buf, const char *description)
{
    for (size_t i = 0; i < n; i++) buf[2 * i] = lo[i], buf[2 * i + 1] = hi[i];
    hsize_t dims[2] = {n, 2};
    dataset(w, loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, w->dcpl, buf, "1",
            description);
}

static void mean_se(writer *w, hid_t loc, const char *name, const poolsim_mean_se *m, size_t off,
                    size_t n, const char *units, const char *description)
{
    hid_t g = group(w, loc, name);
    attr_str(w, g, "description", description);
    vec(w, g, "mean", m->mean + off, n, units, "mean over paths");
    vec(w, g, "se", m->se + off, n, units, "standard error of the mean (sample sd / sqrt(paths))");
    close_obj(g);
}

/* mean, se and the seven quantiles of T years starting at index off. */
static void distsum(writer *w, hid_t loc, const char *name, const poolsim_distsum *d, size_t off,
                    size_t T, double *buf, const char *units, const char *description)
{
    hid_t g = group(w, loc, name);
    attr_str(w, g, "description", description);
    vec(w, g, "mean", d->mean + off, T, units, "mean over paths");
    vec(w, g, "se", d->se + off, T, units, "standard error of the mean (sample sd / sqrt(paths))");
    for (int k = 0; k < POOLSIM_NQ; k++) {
        for (size_t t = 0; t < T; t++) buf[t] = d->q[(off + t) * POOLSIM_NQ + (size_t)k];
        char desc[96];
        snprintf(desc, sizeof desc, "quantile at probability %.2f over paths (type 7)",
                 poolsim_quantile_probs[k]);
        vec(w, g, poolsim_quantile_names[k], buf, T, units, desc);
    }
    close_obj(g);
}

static void tailsum_years(writer *w, hid_t loc, const char *name, const poolsim_tailsum *s,
                          size_t off, size_t T, const char *description)
{
    hid_t g = group(w, loc, name);
    attr_str(w, g, "description", description);
    vec(w, g, "mean", s->mean + off, T, "yuan", "mean over paths");
    vec(w, g, "se", s->se + off, T, "yuan", "standard error of the mean (sample sd / sqrt(paths))");
    vec(w, g, "p95", s->p95 + off, T, "yuan", "quantile at probability 0.95 over paths (type 7)");
    vec(w, g, "p99", s->p99 + off, T, "yuan", "quantile at probability 0.99 over paths (type 7)");
    vec(w, g, "cvar95", s->cvar95 + off, T, "yuan",
        "CVaR95: mean of the worst ceil(0.05 paths) path values");
    close_obj(g);
}

static void tailsum_total(writer *w, hid_t loc, const char *name, const poolsim_tailsum *s,
                          size_t i, const char *description)
{
    hid_t g = group(w, loc, name);
    attr_str(w, g, "description", description);
    scalar(w, g, "mean", s->mean[i], "yuan", "mean over paths");
    scalar(w, g, "se", s->se[i], "yuan", "standard error of the mean (sample sd / sqrt(paths))");
    scalar(w, g, "p95", s->p95[i], "yuan", "quantile at probability 0.95 over paths (type 7)");
    scalar(w, g, "p99", s->p99[i], "yuan", "quantile at probability 0.99 over paths (type 7)");
    scalar(w, g, "cvar95", s->cvar95[i], "yuan",
           "CVaR95: mean of the worst ceil(0.05 paths) path values");
    close_obj(g);
}

static void county(writer *w, hid_t counties, const poolsim_results *r, int l, int c, double *buf)
{
    const size_t T = (size_t)r->T, o = POOLSIM_LCT(r, l, c, 0);
    hid_t g = group(w, counties, r->county_ids[c]);
    attr_str(w, g, "name", r->county_names[c]);
    vec(w, g, "shortfall_prob", r->shortfall_prob + o, T, "1",
        "P(G > 0): probability that the county's shortfall after its own balance is positive "
        "(MODEL.md section 5 step 3)");
    interval(
        w, g, "shortfall_ci", r->shortfall_lo + o, r->shortfall_hi + o, T, buf,
        "Wilson 95% score interval of shortfall_prob (z = 1.959963984540054), [T][2] = lo, hi");
    tailsum_years(w, g, "county_burden", &r->county_burden, o, T,
                  "county-government burden g + miss (g when reserve.uncovered is city), per year");
    tailsum_total(w, g, "county_burden_total", &r->county_burden_total, POOLSIM_LC(r, l, c),
                  "county-government burden summed over the horizon (per path, then summarised)");
    mean_se(w, g, "reserve_paid", &r->reserve_paid, o, T, "yuan",
            "reserve share received from the city risk reserve");
    mean_se(w, g, "levy", &r->levy, o, T, "yuan", "levy actually paid to the city risk reserve");
    mean_se(w, g, "city_uncovered", &r->city_uncovered, o, T, "yuan",
            "unpaid reserve share carried by the city's finance (reserve.uncovered: city)");
    mean_se(w, g, "financing", &r->financing, o, T, "yuan", "pooled financing F");
    mean_se(w, g, "expenditure", &r->expenditure, o, T, "yuan",
            "expenditure E of the pooled fund, without the levy");
    mean_se(w, g, "balance", &r->balance, o, T, "yuan", "year-end accumulated county balance S");
    close_obj(g);
}

static void line(writer *w, hid_t lines, const poolsim_results *r, int l, double *buf)
{
    const size_t T = (size_t)r->T, o = POOLSIM_LT(r, l, 0);
    hid_t g = group(w, lines, r->line_ids[l]);
    attr_str(w, g, "name", r->line_names[l]);
    vec(w, g, "exhaustion_prob", r->exhaustion_prob + o, T, "1",
        "P(exhausted by year): share of paths whose first exhaustion year is <= this year");
    interval(
        w, g, "exhaustion_ci", r->exhaustion_lo + o, r->exhaustion_hi + o, T, buf,
        "Wilson 95% score interval of exhaustion_prob (z = 1.959963984540054), [T][2] = lo, hi");
    vec(w, g, "exhaustion_year_prob", r->exhaustion_year_prob + o, T, "1",
        "P(this year is an exhaustion year: the reserve cannot pay all reserve shares)");
    vec(w, g, "first_exhaustion_count", r->first_exhaustion_count + (size_t)l * (T + 1), T + 1,
        "paths", "paths whose first exhaustion year is this year; last element: never exhausted");
    vec(w, g, "cap_ratio", r->cap_ratio + o, T, "1",
        "reserve cap ratio in force (levy stops when R >= cap_ratio * Ftot)");
    distsum(w, g, "reserve_balance", &r->reserve_balance, o, T, buf, "yuan",
            "year-end city risk reserve balance R");
    distsum(w, g, "reserve_ratio", &r->reserve_ratio, o, T, buf, "1",
            "year-end reserve balance over the year's total financing, R / Ftot");
    mean_se(w, g, "financing_total", &r->financing_total, o, T, "yuan",
            "total pooled financing of the line, Ftot = sum over counties of F");
    mean_se(w, g, "expenditure_total", &r->expenditure_total, o, T, "yuan",
            "total expenditure of the line, sum over counties of E (without the levy)");
    hid_t cs = group(w, g, "counties");
    for (int c = 0; c < r->C; c++) county(w, cs, r, l, c, buf);
    close_obj(cs);
    close_obj(g);
}

/* Per-path datasets (--save-paths): chunked along paths, shuffle + deflate. */
static void saved_paths(writer *w, hid_t file, const poolsim_saved_paths *p)
{
    hid_t g = group(w, file, "paths");
    long long P = p->P;
    attr(w, g, "paths", H5T_STD_I64LE, H5T_NATIVE_LLONG, &P);
    attr_str(
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
            fail(w, g, "setting up compression for", "per-path datasets");
    }
    dataset(w, g, "first_exhaustion", H5T_STD_I32LE, H5T_NATIVE_INT, s2.rank, s2.dims, dcpl[0],
            p->first_exhaustion, "year index",
            "[L][P] first exhaustion year index 1..T of each path, 0 = never exhausted");
    dataset(w, g, "reserve_balance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s3.rank, s3.dims, dcpl[1],
            p->reserve_balance, "yuan", "[L][P][T] year-end city risk reserve balance R");
    dataset(w, g, "reserve_ratio", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s3.rank, s3.dims, dcpl[1],
            p->reserve_ratio, "1", "[L][P][T] year-end R / Ftot");
    dataset(w, g, "county_burden", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s4.rank, s4.dims, dcpl[2],
            p->county_burden, "yuan", "[L][C][P][T] county-government burden");
    dataset(w, g, "shortfall", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s4.rank, s4.dims, dcpl[2],
            p->shortfall, "yuan", "[L][C][P][T] shortfall G after the county's own balance");
    dataset(w, g, "balance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s4.rank, s4.dims, dcpl[2],
            p->balance, "yuan", "[L][C][P][T] year-end county balance S");
    for (int i = 0; i < 3; i++)
        if (dcpl[i] >= 0) H5Pclose(dcpl[i]);
    close_obj(g);
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

static void contents(writer *w, hid_t file, const poolsim_results *r, const poolsim_saved_paths *p,
                     double *buf)
{
    attr_str(w, file, "format", FORMAT);
    attr_str(w, file, "poolsim_version", r->version);
    attr_str(w, file, "git_commit", r->git_commit);
    attr_str(w, file, "build_info", r->build_info);
    attr_str(w, file, "scenario_name", r->scenario_name);
    attr_str(w, file, "scenario_path", r->scenario_path);
    attr_str(w, file, "scenario_text", r->scenario_text);
    attr_str(w, file, "resolved_parameters", r->resolved_text);
    attr_str(w, file, "lang", r->lang);
    attr(w, file, "seed", H5T_STD_U64LE, H5T_NATIVE_ULLONG, &r->seed);
    long long paths = r->paths;
    attr(w, file, "paths", H5T_STD_I64LE, H5T_NATIVE_LLONG, &paths);
    attr_int(w, file, "threads", r->threads);
    attr_int(w, file, "ranks", r->ranks);
    attr_int(w, file, "claims_noise", r->claims_noise);
    attr_str(w, file, "claims_noise_name", noise_name(r->claims_noise));
    attr_str(w, file, "quantile_method", r->quantile_method);
    attr_str(w, file, "start_time", r->start_time);
    attr(w, file, "run_seconds", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &r->run_seconds);

    hsize_t nt[1] = {(hsize_t)r->T}, nq[1] = {POOLSIM_NQ};
    dataset(w, file, "years", H5T_STD_I32LE, H5T_NATIVE_INT, 1, nt, w->dcpl, r->years, "year",
            "calendar year of each projection year t = 1..T");
    dataset(w, file, "quantile_probs", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, nq, w->dcpl,
            poolsim_quantile_probs, "1",
            "probabilities of the quantiles p01 p05 p25 p50 p75 p95 p99");
    hid_t g = group(w, file, "counties");
    strings(w, g, "ids", r->county_ids, r->C, "county ids in scenario order");
    strings(w, g, "names", r->county_names, r->C, "county names in scenario order");
    close_obj(g);
    g = group(w, file, "lines_index");
    strings(w, g, "ids", r->line_ids, r->L, "fund line ids in scenario order");
    strings(w, g, "names", r->line_names, r->L, "fund line names in scenario order");
    close_obj(g);
    g = group(w, file, "lines");
    for (int l = 0; l < r->L; l++) line(w, g, r, l, buf);
    close_obj(g);
    if (p) saved_paths(w, file, p);
}

/* Ids become HDF5 link names: non-empty, no '/', not "." (the scenario's
 * identifier rule is stricter). */
static int bad_id(const char *s)
{
    return !s || !s[0] || strchr(s, '/') || strcmp(s, ".") == 0;
}

static int check_input(const poolsim_results *r, const poolsim_saved_paths *p, const char *path)
{
    if (r->T < 1 || r->L < 1 || r->C < 1)
        POOLSIM_ERROR(POOLSIM_EINPUT,
                      "cannot write %s: no years, lines or counties (T=%d L=%d C=%d)", path, r->T,
                      r->L, r->C);
    for (int l = 0; l < r->L; l++) {
        if (bad_id(r->line_ids[l]))
            POOLSIM_ERROR(POOLSIM_EINPUT, "cannot write %s: line %d has an invalid id", path,
                          l + 1);
        for (int k = 0; k < l; k++)
            if (strcmp(r->line_ids[k], r->line_ids[l]) == 0)
                POOLSIM_ERROR(POOLSIM_EINPUT, "cannot write %s: duplicated line id '%s'", path,
                              r->line_ids[l]);
    }
    for (int c = 0; c < r->C; c++) {
        if (bad_id(r->county_ids[c]))
            POOLSIM_ERROR(POOLSIM_EINPUT, "cannot write %s: county %d has an invalid id", path,
                          c + 1);
        for (int k = 0; k < c; k++)
            if (strcmp(r->county_ids[k], r->county_ids[c]) == 0)
                POOLSIM_ERROR(POOLSIM_EINPUT, "cannot write %s: duplicated county id '%s'", path,
                              r->county_ids[c]);
    }
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

/* Build the whole file in memory (HDF5's core driver, no backing store)
 * and return its image (malloc'ed). HDF5 never touches the disk, so a full
 * disk or a file size limit cannot leave the library holding a half-written
 * file (RELIABILITY.md: its exit handler then crashes). */
static unsigned char *build_image(writer *w, const poolsim_results *r, const poolsim_saved_paths *p,
                                  const char *label, size_t *size /* OUT */)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t file = H5I_INVALID_HID;
    double *buf = malloc(2 * (size_t)(r->T + 1) * sizeof *buf);
    unsigned char *image = NULL;
    w->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    w->dcpl = H5Pcreate(H5P_DATASET_CREATE);
    w->str = H5Tcopy(H5T_C_S1);
    if (!buf) {
        snprintf(w->what, sizeof w->what, "out of memory");
        w->failed = 1;
    } else if (w->gcpl < 0 || w->dcpl < 0 || fcpl < 0 || fapl < 0 || w->str < 0 ||
               H5Pset_obj_track_times(w->gcpl, 0) < 0 || H5Pset_obj_track_times(w->dcpl, 0) < 0 ||
               H5Pset_obj_track_times(fcpl, 0) < 0 ||
               H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 ||
               H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0 ||
               H5Tset_size(w->str, H5T_VARIABLE) < 0 || H5Tset_cset(w->str, H5T_CSET_UTF8) < 0) {
        fail(w, H5I_INVALID_HID, "setting up", "HDF5 properties");
    } else if ((file = H5Fcreate(label, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
        fail(w, H5I_INVALID_HID, "creating", "the file in memory");
    }
    if (p && !w->failed && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) {
        snprintf(w->what, sizeof w->what, "this HDF5 library has no deflate filter");
        w->failed = 1;
    }
    contents(w, file, r, p, buf);
    attr_int(w, file, "complete", 1); /* last: marks a finished file */
    if (!w->failed && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) fail(w, file, "flushing", "file");
    ssize_t n = w->failed ? -1 : H5Fget_file_image(file, NULL, 0);
    if (!w->failed && n <= 0) fail(w, file, "taking the image of", "file");
    if (!w->failed && !(image = malloc((size_t)n))) {
        snprintf(w->what, sizeof w->what, "out of memory for a %zd-byte file", n);
        w->failed = 1;
    }
    if (!w->failed && H5Fget_file_image(file, image, (size_t)n) != n)
        fail(w, file, "taking the image of", "file");
    if (file >= 0 && H5Fclose(file) < 0) fail(w, H5I_INVALID_HID, "closing", "file");
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    if (w->gcpl >= 0) H5Pclose(w->gcpl);
    if (w->dcpl >= 0) H5Pclose(w->dcpl);
    if (w->str >= 0) H5Tclose(w->str);
    free(buf);
    if (w->failed) {
        free(image);
        return NULL;
    }
    *size = (size_t)n;
    return image;
}

int poolsim_h5out_write(const poolsim_results *r, const poolsim_saved_paths *paths,
                        const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int st = check_input(r, paths, path);
    if (st != POOLSIM_OK) return st;
    writer w = {.gcpl = H5I_INVALID_HID, .dcpl = H5I_INVALID_HID, .str = H5I_INVALID_HID};
    size_t size = 0;
    unsigned char *image = build_image(&w, r, paths, path, &size);
    if (!image) POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: %s", path, w.what);
    st = poolsim_results_write_atomic(path, image, size);
    free(image);
    return st;
}
