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

static void mean_se(poolsim_h5w *w, hid_t loc, const char *name, const poolsim_mean_se *m,
                    size_t off, size_t n, const char *units, const char *description)
{
    hid_t g = poolsim_h5util_group(w, loc, name);
    poolsim_h5util_attr_str(w, g, "description", description);
    poolsim_h5util_vec(w, g, "mean", m->mean + off, n, units, "mean over paths");
    poolsim_h5util_vec(w, g, "se", m->se + off, n, units,
                       "standard error of the mean (sample sd / sqrt(paths))");
    poolsim_h5util_close(g);
}

/* mean, se and the seven quantiles of T years starting at index off. */
static void distsum(poolsim_h5w *w, hid_t loc, const char *name, const poolsim_distsum *d,
                    size_t off, size_t T, double *buf, const char *units, const char *description)
{
    hid_t g = poolsim_h5util_group(w, loc, name);
    poolsim_h5util_attr_str(w, g, "description", description);
    poolsim_h5util_vec(w, g, "mean", d->mean + off, T, units, "mean over paths");
    poolsim_h5util_vec(w, g, "se", d->se + off, T, units,
                       "standard error of the mean (sample sd / sqrt(paths))");
    for (int k = 0; k < POOLSIM_NQ; k++) {
        for (size_t t = 0; t < T; t++) buf[t] = d->q[(off + t) * POOLSIM_NQ + (size_t)k];
        char desc[96];
        snprintf(desc, sizeof desc, "quantile at probability %.2f over paths (type 7)",
                 poolsim_quantile_probs[k]);
        poolsim_h5util_vec(w, g, poolsim_quantile_names[k], buf, T, units, desc);
    }
    poolsim_h5util_close(g);
}

static void tailsum_years(poolsim_h5w *w, hid_t loc, const char *name, const poolsim_tailsum *s,
                          size_t off, size_t T, const char *description)
{
    hid_t g = poolsim_h5util_group(w, loc, name);
    poolsim_h5util_attr_str(w, g, "description", description);
    poolsim_h5util_vec(w, g, "mean", s->mean + off, T, "yuan", "mean over paths");
    poolsim_h5util_vec(w, g, "se", s->se + off, T, "yuan",
                       "standard error of the mean (sample sd / sqrt(paths))");
    poolsim_h5util_vec(w, g, "p95", s->p95 + off, T, "yuan",
                       "quantile at probability 0.95 over paths (type 7)");
    poolsim_h5util_vec(w, g, "p99", s->p99 + off, T, "yuan",
                       "quantile at probability 0.99 over paths (type 7)");
    poolsim_h5util_vec(w, g, "cvar95", s->cvar95 + off, T, "yuan",
                       "CVaR95: mean of the worst ceil(0.05 paths) path values");
    poolsim_h5util_close(g);
}

static void tailsum_total(poolsim_h5w *w, hid_t loc, const char *name, const poolsim_tailsum *s,
                          size_t i, const char *description)
{
    hid_t g = poolsim_h5util_group(w, loc, name);
    poolsim_h5util_attr_str(w, g, "description", description);
    scalar(w, g, "mean", s->mean[i], "yuan", "mean over paths");
    scalar(w, g, "se", s->se[i], "yuan", "standard error of the mean (sample sd / sqrt(paths))");
    scalar(w, g, "p95", s->p95[i], "yuan", "quantile at probability 0.95 over paths (type 7)");
    scalar(w, g, "p99", s->p99[i], "yuan", "quantile at probability 0.99 over paths (type 7)");
    scalar(w, g, "cvar95", s->cvar95[i], "yuan",
           "CVaR95: mean of the worst ceil(0.05 paths) path values");
    poolsim_h5util_close(g);
}

static void county(poolsim_h5w *w, hid_t counties, const poolsim_results *r, int l, int c,
                   double *buf)
{
    const size_t T = (size_t)r->T, o = POOLSIM_LCT(r, l, c, 0);
    hid_t g = poolsim_h5util_group(w, counties, r->county_ids[c]);
    poolsim_h5util_attr_str(w, g, "name", r->county_names[c]);
    poolsim_h5util_vec(
        w, g, "shortfall_prob", r->shortfall_prob + o, T, "1",
        "P(G > 0): probability that the county's shortfall after its own balance is positive "
        "(MODEL.md section 5 step 3)");
    poolsim_h5util_pairs(
        w, g, "shortfall_ci", r->shortfall_lo + o, r->shortfall_hi + o, T, buf, "1",
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
    poolsim_h5util_close(g);
}

static void line(poolsim_h5w *w, hid_t lines, const poolsim_results *r, int l, double *buf)
{
    const size_t T = (size_t)r->T, o = POOLSIM_LT(r, l, 0);
    hid_t g = poolsim_h5util_group(w, lines, r->line_ids[l]);
    poolsim_h5util_attr_str(w, g, "name", r->line_names[l]);
    poolsim_h5util_vec(
        w, g, "exhaustion_prob", r->exhaustion_prob + o, T, "1",
        "P(exhausted by year): share of paths whose first exhaustion year is <= this year");
    poolsim_h5util_pairs(
        w, g, "exhaustion_ci", r->exhaustion_lo + o, r->exhaustion_hi + o, T, buf, "1",
        "Wilson 95% score interval of exhaustion_prob (z = 1.959963984540054), [T][2] = lo, hi");
    poolsim_h5util_vec(
        w, g, "exhaustion_year_prob", r->exhaustion_year_prob + o, T, "1",
        "P(this year is an exhaustion year: the reserve cannot pay all reserve shares)");
    poolsim_h5util_vec(
        w, g, "first_exhaustion_count", r->first_exhaustion_count + (size_t)l * (T + 1), T + 1,
        "paths", "paths whose first exhaustion year is this year; last element: never exhausted");
    poolsim_h5util_vec(w, g, "cap_ratio", r->cap_ratio + o, T, "1",
                       "reserve cap ratio in force (levy stops when R >= cap_ratio * Ftot)");
    distsum(w, g, "reserve_balance", &r->reserve_balance, o, T, buf, "yuan",
            "year-end city risk reserve balance R");
    distsum(w, g, "reserve_ratio", &r->reserve_ratio, o, T, buf, "1",
            "year-end reserve balance over the year's total financing, R / Ftot");
    mean_se(w, g, "financing_total", &r->financing_total, o, T, "yuan",
            "total pooled financing of the line, Ftot = sum over counties of F");
    mean_se(w, g, "expenditure_total", &r->expenditure_total, o, T, "yuan",
            "total expenditure of the line, sum over counties of E (without the levy)");
    hid_t cs = poolsim_h5util_group(w, g, "counties");
    for (int c = 0; c < r->C; c++) county(w, cs, r, l, c, buf);
    poolsim_h5util_close(cs);
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
    poolsim_h5util_dataset(w, g, "reserve_balance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s3.rank,
                           s3.dims, dcpl[1], p->reserve_balance, "yuan",
                           "[L][P][T] year-end city risk reserve balance R");
    poolsim_h5util_dataset(w, g, "reserve_ratio", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s3.rank,
                           s3.dims, dcpl[1], p->reserve_ratio, "1", "[L][P][T] year-end R / Ftot");
    poolsim_h5util_dataset(w, g, "county_burden", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s4.rank,
                           s4.dims, dcpl[2], p->county_burden, "yuan",
                           "[L][C][P][T] county-government burden");
    poolsim_h5util_dataset(w, g, "shortfall", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s4.rank, s4.dims,
                           dcpl[2], p->shortfall, "yuan",
                           "[L][C][P][T] shortfall G after the county's own balance");
    poolsim_h5util_dataset(w, g, "balance", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, s4.rank, s4.dims,
                           dcpl[2], p->balance, "yuan", "[L][C][P][T] year-end county balance S");
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

static void contents(poolsim_h5w *w, hid_t file, const poolsim_results *r,
                     const poolsim_saved_paths *p, double *buf)
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
    hid_t g = poolsim_h5util_group(w, file, "lines");
    for (int l = 0; l < r->L; l++) line(w, g, r, l, buf);
    poolsim_h5util_close(g);
    if (p) saved_paths(w, file, p);
}

/* Ids become HDF5 link names: non-empty, no '/', not "." (the scenario's
 * identifier rule is stricter). */
static int bad_id(const char *s)
{
    return !s || !s[0] || strchr(s, '/') || strcmp(s, ".") == 0;
}

/* ids[n] of one kind ("line", "county"): valid link names, no two alike. */
static int check_ids(char *const *ids, int n, const char *kind, const char *path)
{
    for (int i = 0; i < n; i++) {
        if (bad_id(ids[i]))
            POOLSIM_ERROR(POOLSIM_EINPUT, "cannot write %s: %s %d has an invalid id", path, kind,
                          i + 1);
        for (int k = 0; k < i; k++)
            if (strcmp(ids[k], ids[i]) == 0)
                POOLSIM_ERROR(POOLSIM_EINPUT, "cannot write %s: duplicated %s id '%s'", path, kind,
                              ids[i]);
    }
    return POOLSIM_OK;
}

static int check_input(const poolsim_results *r, const poolsim_saved_paths *p, const char *path)
{
    if (r->T < 1 || r->L < 1 || r->C < 1)
        POOLSIM_ERROR(POOLSIM_EINPUT,
                      "cannot write %s: no years, lines or counties (T=%d L=%d C=%d)", path, r->T,
                      r->L, r->C);
    int st = check_ids(r->line_ids, r->L, "line", path);
    if (st == POOLSIM_OK) st = check_ids(r->county_ids, r->C, "county", path);
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

/* Build the whole file in memory (HDF5's core driver, no backing store)
 * and return its image (malloc'ed). HDF5 never touches the disk, so a full
 * disk or a file size limit cannot leave the library holding a half-written
 * file (RELIABILITY.md: its exit handler then crashes). */
static unsigned char *build_image(poolsim_h5w *w, const poolsim_results *r,
                                  const poolsim_saved_paths *p, const char *label,
                                  size_t *size /* OUT */)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE);
    hid_t file = H5I_INVALID_HID;
    double *buf = malloc(2 * (size_t)(r->T + 1) * sizeof *buf);
    unsigned char *image = NULL;
    int props = poolsim_h5util_writer_open(w, 1);
    if (!buf) {
        poolsim_h5util_fail_msg(w, "out of memory");
    } else if (props < 0 || fcpl < 0 || fapl < 0 || H5Pset_obj_track_times(fcpl, 0) < 0 ||
               H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) < 0 ||
               H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) < 0) {
        poolsim_h5util_fail(w, H5I_INVALID_HID, "setting up", "HDF5 properties");
    } else if ((file = H5Fcreate(label, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
        poolsim_h5util_fail(w, H5I_INVALID_HID, "creating", "the file in memory");
    }
    if (p && !w->failed && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
        poolsim_h5util_fail_msg(w, "this HDF5 library has no deflate filter");
    contents(w, file, r, p, buf);
    poolsim_h5util_attr_int(w, file, "complete", 1); /* last: marks a finished file */
    if (!w->failed && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0)
        poolsim_h5util_fail(w, file, "flushing", "file");
    ssize_t n = w->failed ? -1 : H5Fget_file_image(file, NULL, 0);
    if (!w->failed && n <= 0) poolsim_h5util_fail(w, file, "taking the image of", "file");
    if (!w->failed && !(image = malloc((size_t)n)))
        poolsim_h5util_fail_msg(w, "out of memory for a %zd-byte file", n);
    if (!w->failed && H5Fget_file_image(file, image, (size_t)n) != n)
        poolsim_h5util_fail(w, file, "taking the image of", "file");
    if (file >= 0 && H5Fclose(file) < 0) poolsim_h5util_fail(w, H5I_INVALID_HID, "closing", "file");
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    poolsim_h5util_writer_close(w);
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
    poolsim_h5w w;
    size_t size = 0;
    unsigned char *image = build_image(&w, r, paths, path, &size);
    if (!image) POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: %s", path, w.what);
    st = poolsim_results_write_atomic(path, image, size);
    free(image);
    return st;
}
