/* Tests of src/h5out.c and src/h5in.c: the HDF5 results file of
 * docs/RESULTS.md (round trip, determinism, atomic writes, refusal of
 * unfinished or foreign files, I/O failures).
 *
 * Leaves <build>/test_results.h5 (T=3, L=2, C=2, Chinese names) for
 * tests/cli/h5py_read.sh, which runs after the CUnit suites. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <hdf5.h>

#include "poolsim/common.h"
#include "poolsim/engine.h"
#include "poolsim/h5out.h"
#include "poolsim/provenance.h"
#include "poolsim/scenario.h"
#include "poolsim/output.h"
#include "poolsim/results.h"
#include "test_util.h"

#include "../src/h5util.h" /* the writer's helpers and settings */

static int file_exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

/* Arrays a results struct holds: one per component of each schema row
 * (VEC, RATE 1; PROB 3; MS 2; DIST 3; TAIL 5), counted from the table. */
static int expected_arrays(void)
{
    static const int per_kind[] = {1, 1, 3, 2, 3, 5};
    int n = 0;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) n += per_kind[poolsim_schema[row].kind];
    return n;
}

static int same_str(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Every string, number and array of a and b, bit for bit. */
static void assert_same(const poolsim_results *a, const poolsim_results *b)
{
    CU_ASSERT_FATAL(a->T == b->T && a->L == b->L && a->C == b->C);
    CU_ASSERT(same_str(a->scenario_name, b->scenario_name));
    CU_ASSERT(same_str(a->scenario_path, b->scenario_path));
    CU_ASSERT(same_str(a->scenario_text, b->scenario_text));
    CU_ASSERT(same_str(a->resolved_text, b->resolved_text));
    CU_ASSERT(same_str(a->lang, b->lang));
    CU_ASSERT(same_str(a->version, b->version));
    CU_ASSERT(same_str(a->git_commit, b->git_commit));
    CU_ASSERT(same_str(a->build_info, b->build_info));
    CU_ASSERT(same_str(a->start_time, b->start_time));
    CU_ASSERT(same_str(a->quantile_method, b->quantile_method));
    CU_ASSERT(memcmp(&a->run_seconds, &b->run_seconds, sizeof(double)) == 0);
    CU_ASSERT(a->seed == b->seed);
    CU_ASSERT(a->paths == b->paths);
    CU_ASSERT(a->threads == b->threads && a->ranks == b->ranks);
    CU_ASSERT(a->claims_noise == b->claims_noise);
    CU_ASSERT(memcmp(a->years, b->years, (size_t)a->T * sizeof(int)) == 0);
    for (int l = 0; l < a->L; l++) {
        CU_ASSERT(same_str(a->line_ids[l], b->line_ids[l]));
        CU_ASSERT(same_str(a->line_names[l], b->line_names[l]));
    }
    for (int c = 0; c < a->C; c++) {
        CU_ASSERT(same_str(a->county_ids[c], b->county_ids[c]));
        CU_ASSERT(same_str(a->county_names[c], b->county_names[c]));
    }
    poolsim_results_array x[POOLSIM_RESULTS_NARRAYS], y[POOLSIM_RESULTS_NARRAYS];
    int nx = poolsim_results_arrays(a, x), ny = poolsim_results_arrays(b, y);
    CU_ASSERT_FATAL(nx == expected_arrays() && ny == nx);
    for (int k = 0; k < nx; k++) {
        CU_ASSERT(x[k].n == y[k].n);
        int same = memcmp(x[k].data, y[k].data, x[k].n * sizeof(double)) == 0;
        if (!same) printf("\n  array %s differs after the round trip\n", x[k].name);
        CU_ASSERT(same);
    }
}

static void test_fill_distinct(void)
{
    /* The round trip can only catch swapped arrays, lines, counties or
     * years if the test data differs between them. */
    poolsim_results *r = testutil_results(3, 2, 2);
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(r, a);
    CU_ASSERT(n == expected_arrays());
    for (int k = 0; k < n; k++) {
        CU_ASSERT(a[k].data != NULL);
        if (strcmp(a[k].name, "cap_ratio") == 0 || strcmp(a[k].name, "first_exhaustion_count") == 0)
            continue; /* a constant per line; counts may repeat */
        int dup = 0;
        for (size_t i = 0; i < a[k].n; i++)
            for (size_t j = 0; j < i; j++) dup |= a[k].data[i] == a[k].data[j];
        if (dup) printf("\n  test data %s has repeated values\n", a[k].name);
        CU_ASSERT(!dup);
    }
    poolsim_results_free(r);
}

static void test_round_trip(void)
{
    char dir[512], path[600];
    testutil_build_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/test_results.h5", dir);
    poolsim_results *r = testutil_results(3, 2, 2);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, path) == POOLSIM_OK);
    poolsim_results *back = NULL;
    CU_ASSERT_FATAL(poolsim_results_read(path, &back) == POOLSIM_OK);
    CU_ASSERT_FATAL(back != NULL);
    assert_same(r, back);
    CU_ASSERT(strcmp(back->county_names[0], "荷塘区") == 0);
    poolsim_results_free(back);

    /* Larger shape: 9 counties, 3 lines, 12 years. */
    poolsim_results *big = testutil_results(12, 3, 9);
    char d2[512], p2[600];
    testutil_scratch_dir(d2, sizeof d2, "h5test");
    snprintf(p2, sizeof p2, "%s/big.h5", d2);
    CU_ASSERT_FATAL(poolsim_h5out_write(big, NULL, p2) == POOLSIM_OK);
    CU_ASSERT_FATAL(poolsim_results_read(p2, &back) == POOLSIM_OK);
    assert_same(big, back);
    poolsim_results_free(back);
    poolsim_results_free(big);
    CU_ASSERT(testutil_count_entries(d2) == 1); /* no temporary file left */
    testutil_rm_tree(d2);
    poolsim_results_free(r);
}

/* Root attribute `complete` = 1 and `format`, read with the HDF5 API. */
static void test_complete_attribute(void)
{
    char dir[512], path[600];
    testutil_build_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/test_results.h5", dir);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    CU_ASSERT(H5Aexists(f, "complete") > 0);
    hid_t a = H5Aopen(f, "complete", H5P_DEFAULT);
    int v = 0;
    CU_ASSERT(a >= 0 && H5Aread(a, H5T_NATIVE_INT, &v) >= 0 && v == 1);
    H5Aclose(a);
    /* `complete` is the last attribute created on the root group (native
     * order: the order in the object header, creation order here). */
    H5O_info_t info;
    CU_ASSERT(H5Oget_info2(f, &info, H5O_INFO_NUM_ATTRS) >= 0);
    char name[64] = "";
    CU_ASSERT(H5Aget_name_by_idx(f, ".", H5_INDEX_NAME, H5_ITER_NATIVE, info.num_attrs - 1, name,
                                 sizeof name, H5P_DEFAULT) > 0);
    CU_ASSERT(strcmp(name, "complete") == 0);
    /* UTF-8 names on the county groups */
    hid_t g = H5Gopen2(f, "/lines/employee/counties/hetang", H5P_DEFAULT);
    CU_ASSERT(g >= 0);
    hid_t na = H5Aopen(g, "name", H5P_DEFAULT);
    hid_t t = H5Aget_type(na);
    CU_ASSERT(H5Tget_cset(t) == H5T_CSET_UTF8);
    H5Tclose(t);
    H5Aclose(na);
    H5Gclose(g);
    H5Fclose(f);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Two writes of the same results (more than a second apart, so that any
 * timestamp would differ) give byte-identical files. */
static void test_deterministic(void)
{
    char dir[512], a[600], b[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    snprintf(a, sizeof a, "%s/a.h5", dir);
    snprintf(b, sizeof b, "%s/b.h5", dir);
    poolsim_results *r = testutil_results(4, 2, 3);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, a) == POOLSIM_OK);
    sleep_ms(1100);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, b) == POOLSIM_OK);
    size_t na = 0, nb = 0;
    char *x = poolsim_output_read_file(a, &na), *y = poolsim_output_read_file(b, &nb);
    CU_ASSERT_FATAL(x && y);
    CU_ASSERT(na == nb && memcmp(x, y, na) == 0);
    free(x);
    free(y);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* Saved paths: values, chunking along paths, shuffle + deflate. */
static void test_saved_paths(void)
{
    const int T = 3, L = 2, C = 2;
    const long P = 5000;
    poolsim_results *r = testutil_results(T, L, C);
    poolsim_saved_paths sp = {.P = P, .T = T, .L = L, .C = C};
    size_t nlp = (size_t)L * (size_t)P, nlpt = nlp * (size_t)T, nlcpt = nlpt * (size_t)C;
    sp.first_exhaustion = malloc(nlp * sizeof(int));
    sp.reserve_balance = malloc(nlpt * sizeof(double));
    sp.reserve_ratio = malloc(nlpt * sizeof(double));
    sp.county_burden = malloc(nlcpt * sizeof(double));
    sp.shortfall = malloc(nlcpt * sizeof(double));
    sp.balance = malloc(nlcpt * sizeof(double));
    sp.city_burden = malloc(nlpt * sizeof(double));
    sp.months_covered = malloc(nlpt * sizeof(double));
    sp.financing_total = malloc(nlpt * sizeof(double));
    CU_ASSERT_FATAL(sp.first_exhaustion && sp.reserve_balance && sp.reserve_ratio &&
                    sp.county_burden && sp.shortfall && sp.balance && sp.city_burden &&
                    sp.months_covered && sp.financing_total);
    for (size_t i = 0; i < nlp; i++) sp.first_exhaustion[i] = (int)(i % (size_t)(T + 1));
    for (size_t i = 0; i < nlpt; i++) sp.reserve_balance[i] = 1e6 + (double)i / 3;
    for (size_t i = 0; i < nlpt; i++) sp.reserve_ratio[i] = (double)i / (double)nlpt;
    for (size_t i = 0; i < nlcpt; i++) sp.county_burden[i] = (double)(i % 977) * 10.5;
    for (size_t i = 0; i < nlcpt; i++) sp.shortfall[i] = (double)i / 7;
    for (size_t i = 0; i < nlcpt; i++) sp.balance[i] = -(double)i;
    for (size_t i = 0; i < nlpt; i++) sp.city_burden[i] = (double)i * 2.25;
    for (size_t i = 0; i < nlpt; i++) sp.months_covered[i] = (double)i / 11;
    for (size_t i = 0; i < nlpt; i++) sp.financing_total[i] = 2e9 + (double)i;
    char dir[512], path[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    snprintf(path, sizeof path, "%s/paths.h5", dir);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, &sp, path) == POOLSIM_OK);

    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    double *buf = malloc(nlcpt * sizeof(double));
    int *ib = malloc(nlp * sizeof(int));
    CU_ASSERT_FATAL(buf && ib);
    const char *names[] = {"reserve_balance", "reserve_ratio", "county_burden",  "shortfall",
                           "balance",         "city_burden",   "months_covered", "financing_total"};
    const double *src[] = {sp.reserve_balance, sp.reserve_ratio,  sp.county_burden,
                           sp.shortfall,       sp.balance,        sp.city_burden,
                           sp.months_covered,  sp.financing_total};
    const size_t cnt[] = {nlpt, nlpt, nlcpt, nlcpt, nlcpt, nlpt, nlpt, nlpt};
    for (int k = 0; k < 8; k++) {
        char p[64];
        snprintf(p, sizeof p, "/paths/%s", names[k]);
        hid_t d = H5Dopen2(f, p, H5P_DEFAULT);
        CU_ASSERT_FATAL(d >= 0);
        CU_ASSERT(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
        CU_ASSERT(memcmp(buf, src[k], cnt[k] * sizeof(double)) == 0);
        hid_t pl = H5Dget_create_plist(d);
        hsize_t chunk[4] = {0, 0, 0, 0};
        int rank = H5Pget_chunk(pl, 4, chunk);
        CU_ASSERT(H5Pget_layout(pl) == H5D_CHUNKED);
        CU_ASSERT(rank == (cnt[k] == nlpt ? 3 : 4));
        CU_ASSERT(rank >= 3 && chunk[rank - 2] == 4096 && chunk[rank - 1] == (hsize_t)T);
        CU_ASSERT(H5Pget_nfilters(pl) == 2);
        unsigned flags, cd[4];
        size_t ncd = 4;
        CU_ASSERT(H5Pget_filter2(pl, 0, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_SHUFFLE);
        ncd = 4;
        CU_ASSERT(H5Pget_filter2(pl, 1, &flags, &ncd, cd, 0, NULL, NULL) == H5Z_FILTER_DEFLATE);
        CU_ASSERT(ncd >= 1 && cd[0] == 4);
        H5Pclose(pl);
        H5Dclose(d);
    }
    hid_t d = H5Dopen2(f, "/paths/first_exhaustion", H5P_DEFAULT);
    CU_ASSERT(d >= 0 && H5Dread(d, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, ib) >= 0);
    CU_ASSERT(memcmp(ib, sp.first_exhaustion, nlp * sizeof(int)) == 0);
    H5Dclose(d);
    H5Fclose(f);
    /* the summary part reads back unchanged */
    poolsim_results *back = NULL;
    CU_ASSERT(poolsim_results_read(path, &back) == POOLSIM_OK);
    if (back) assert_same(r, back);
    poolsim_results_free(back);

    /* mismatched shapes are refused before any file is created */
    sp.C = 3;
    char p2[600];
    snprintf(p2, sizeof p2, "%s/bad.h5", dir);
    CU_ASSERT(poolsim_h5out_write(r, &sp, p2) == POOLSIM_EINPUT);
    CU_ASSERT(!file_exists(p2));
    CU_ASSERT(testutil_count_entries(dir) == 1);
    free(buf);
    free(ib);
    free(sp.first_exhaustion);
    free(sp.reserve_balance);
    free(sp.reserve_ratio);
    free(sp.county_burden);
    free(sp.shortfall);
    free(sp.balance);
    free(sp.city_burden);
    free(sp.months_covered);
    free(sp.financing_total);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* A file with the HDF5 API: `format` (NULL: none; a fixed-length ASCII
 * string when it starts with "fixed:"), `complete` (< 0: none). */
static void write_stub(const char *path, const char *format, int complete)
{
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT_FATAL(f >= 0);
    hid_t sp = H5Screate(H5S_SCALAR);
    if (format && strncmp(format, "fixed:", 6) == 0) {
        const char *v = format + 6;
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, strlen(v));
        H5Tset_strpad(t, H5T_STR_NULLPAD);
        hid_t a = H5Acreate2(f, "format", t, sp, H5P_DEFAULT, H5P_DEFAULT);
        CU_ASSERT(H5Awrite(a, t, v) >= 0);
        H5Aclose(a);
        H5Tclose(t);
    } else if (format) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5T_CSET_UTF8);
        hid_t a = H5Acreate2(f, "format", t, sp, H5P_DEFAULT, H5P_DEFAULT);
        CU_ASSERT(H5Awrite(a, t, &format) >= 0);
        H5Aclose(a);
        H5Tclose(t);
    }
    if (complete >= 0) {
        hid_t a = H5Acreate2(f, "complete", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT);
        CU_ASSERT(H5Awrite(a, H5T_NATIVE_INT, &complete) >= 0);
        H5Aclose(a);
    }
    H5Sclose(sp);
    H5Fclose(f);
}

/* Runs fn(arg) in a child with stderr sent to err_path; returns the wait
 * status. The child leaves with exit(), so HDF5's exit handler runs: after
 * a failed write to disk by HDF5 itself that handler crashes (status 139,
 * RELIABILITY.md); the writer builds the file in memory to avoid it. */
static int in_child(int (*fn)(void *), void *arg, const char *err_path)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if (fd >= 0) dup2(fd, 2);
        exit(fn(arg));
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
    return status;
}

struct read_case {
    const char *path;
    int want;
    const char *msg; /* expected in the message */
};

static int child_read(void *arg)
{
    const struct read_case *c = arg;
    poolsim_results *r = NULL;
    int st = poolsim_results_read(c->path, &r);
    poolsim_results_free(r);
    return st == c->want && r == NULL ? 0 : 10 + st;
}

static void expect_refused(const char *dir, const char *path, int want, const char *msg)
{
    char err[600];
    snprintf(err, sizeof err, "%s/stderr.txt", dir);
    struct read_case c = {path, want, msg};
    int status = in_child(child_read, &c, err);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n = 0;
    char *text = poolsim_output_read_file(err, &n);
    CU_ASSERT(text && strstr(text, path) && strstr(text, msg));
    if (!text || !strstr(text, msg))
        printf("\n  message for %s: %s\n", path, text ? text : "(none)");
    free(text);
    unlink(err);
}

static void test_reader_refuses(void)
{
    char dir[512], p[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    /* no complete attribute: an interrupted write */
    snprintf(p, sizeof p, "%s/nocomplete.h5", dir);
    write_stub(p, "poolsim-results/1", -1);
    expect_refused(dir, p, POOLSIM_EIO, "incomplete results file");
    snprintf(p, sizeof p, "%s/zero.h5", dir);
    write_stub(p, "poolsim-results/1", 0);
    expect_refused(dir, p, POOLSIM_EIO, "'complete' is not 1");
    snprintf(p, sizeof p, "%s/otherformat.h5", dir);
    write_stub(p, "poolsim-results/2", 1);
    expect_refused(dir, p, POOLSIM_EIO, "unsupported format 'poolsim-results/2'");
    snprintf(p, sizeof p, "%s/fixedformat.h5", dir); /* fixed-length string, as h5py may write */
    write_stub(p, "fixed:netcdf", 1);
    expect_refused(dir, p, POOLSIM_EIO, "unsupported format 'netcdf'");
    snprintf(p, sizeof p, "%s/fixedformat1.h5", dir);
    write_stub(p, "fixed:poolsim-results/1", -1);
    expect_refused(dir, p, POOLSIM_EIO, "incomplete results file");
    snprintf(p, sizeof p, "%s/noformat.h5", dir);
    write_stub(p, NULL, 1);
    expect_refused(dir, p, POOLSIM_EIO, "not a poolsim results file");
    /* complete and formatted but empty: the first missing object is named */
    snprintf(p, sizeof p, "%s/empty.h5", dir);
    write_stub(p, "poolsim-results/1", 1);
    expect_refused(dir, p, POOLSIM_EIO, "missing group");
    snprintf(p, sizeof p, "%s/text.h5", dir);
    FILE *f = fopen(p, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("not hdf5\n", f);
    fclose(f);
    expect_refused(dir, p, POOLSIM_EIO, "not an HDF5 file");
    snprintf(p, sizeof p, "%s/missing.h5", dir);
    expect_refused(dir, p, POOLSIM_EIO, "No such file or directory");

    /* a good file with one dataset removed */
    poolsim_results *r = testutil_results(3, 2, 2);
    snprintf(p, sizeof p, "%s/holed.h5", dir);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, p) == POOLSIM_OK);
    hid_t h = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT(H5Ldelete(h, "/lines/resident/counties/lusong/levy/se", H5P_DEFAULT) >= 0);
    H5Fclose(h);
    expect_refused(dir, p, POOLSIM_EIO, "/lines/resident/counties/lusong/levy/se: missing dataset");
    /* a dataset of the wrong shape */
    snprintf(p, sizeof p, "%s/shape.h5", dir);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, p) == POOLSIM_OK);
    h = H5Fopen(p, H5F_ACC_RDWR, H5P_DEFAULT);
    CU_ASSERT(H5Ldelete(h, "/lines/employee/cap_ratio", H5P_DEFAULT) >= 0);
    hsize_t two[1] = {2};
    double v[2] = {0.3, 0.3};
    hid_t s = H5Screate_simple(1, two, NULL);
    hid_t d = H5Dcreate2(h, "/lines/employee/cap_ratio", H5T_IEEE_F64LE, s, H5P_DEFAULT,
                         H5P_DEFAULT, H5P_DEFAULT);
    CU_ASSERT(H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(h);
    expect_refused(dir, p, POOLSIM_EIO, "cap_ratio: expected a float dataset of shape 3");
    /* truncated copies of a good file never crash the reader */
    snprintf(p, sizeof p, "%s/holed.h5", dir);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, p) == POOLSIM_OK);
    size_t n = 0;
    char *bytes = poolsim_output_read_file(p, &n);
    CU_ASSERT_FATAL(bytes != NULL);
    for (int k = 1; k < 8; k++) {
        char t[600], err[600];
        snprintf(t, sizeof t, "%s/cut%d.h5", dir, k);
        snprintf(err, sizeof err, "%s/stderr.txt", dir);
        f = fopen(t, "wb");
        CU_ASSERT_FATAL(f != NULL);
        fwrite(bytes, 1, n * (size_t)k / 8, f);
        fclose(f);
        struct read_case c = {t, POOLSIM_EIO, ""};
        int status = in_child(child_read, &c, err);
        /* EIO (every unreadable results file is exit status 3) and no crash */
        CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    free(bytes);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

struct write_case {
    const char *path;
    int as_nobody;    /* drop root so that folder permissions apply */
    long fsize_limit; /* > 0: RLIMIT_FSIZE in bytes, SIGXFSZ ignored */
    int with_paths;
};

/* Writes the test results (with big per-path data when asked); exit
 * status 0 when the write failed with POOLSIM_EIO, 20 + status otherwise,
 * 99 when privileges cannot be dropped. */
static int child_write(void *arg)
{
    const struct write_case *c = arg;
    if (c->as_nobody && geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 99;
    if (c->fsize_limit > 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {(rlim_t)c->fsize_limit, (rlim_t)c->fsize_limit};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) return 98;
    }
    poolsim_results *r = poolsim_results_alloc(3, 2, 2);
    if (!r || poolsim_results_fill_test(r) != POOLSIM_OK) return 97;
    poolsim_saved_paths sp = {.P = 20000, .T = 3, .L = 2, .C = 2};
    if (c->with_paths) {
        size_t n = 2 * 2 * 20000 * 3;
        sp.first_exhaustion = calloc(2 * 20000, sizeof(int));
        sp.reserve_balance = malloc(n * sizeof(double));
        sp.reserve_ratio = malloc(n * sizeof(double));
        sp.county_burden = sp.shortfall = sp.balance = malloc(n * sizeof(double));
        sp.city_burden = sp.reserve_ratio; /* [L][P][T], the same size as the first ones */
        sp.months_covered = sp.financing_total = sp.reserve_ratio;
        if (!sp.first_exhaustion || !sp.reserve_balance || !sp.reserve_ratio || !sp.balance)
            return 96;
        unsigned long long x = 88172645463325252ULL; /* xorshift64: incompressible */
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            sp.balance[i] = (double)(x >> 11) * 0x1.0p-53 * 1e6;
            sp.reserve_balance[i] = sp.reserve_ratio[i] = sp.balance[i];
        }
    }
    int st = poolsim_h5out_write(r, c->with_paths ? &sp : NULL, c->path);
    free(sp.first_exhaustion);
    free(sp.reserve_balance);
    free(sp.reserve_ratio);
    free(sp.balance);
    poolsim_results_free(r);
    return st == POOLSIM_EIO ? 0 : 20 + st;
}

/* A failed write: exit status below 128 (no crash), POOLSIM_EIO, a message
 * naming the path and the reason, nothing left in the folder except what
 * was there before. */
static void expect_write_fails(const char *dir, const struct write_case *c, const char *reason,
                               int entries_before)
{
    char err[600];
    snprintf(err, sizeof err, "/tmp/poolsim_h5out_stderr.%ld", (long)getpid());
    int status = in_child(child_write, (void *)c, err);
    CU_ASSERT(WIFEXITED(status));
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) < 128);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 99) {
        printf("\n  (cannot drop privileges: read-only folder case not checked)\n");
        unlink(err);
        return;
    }
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    size_t n = 0;
    char *text = poolsim_output_read_file(err, &n);
    CU_ASSERT(text && strstr(text, c->path) && strstr(text, reason));
    if (!text || !strstr(text, reason)) printf("\n  message: %s\n", text ? text : "(none)");
    free(text);
    unlink(err);
    if (dir) CU_ASSERT(testutil_count_entries(dir) == entries_before);
}

static void test_write_failures(void)
{
    char dir[400], p[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    /* missing folder */
    snprintf(p, sizeof p, "%s/no/such/folder/run.h5", dir);
    struct write_case c = {p, 0, 0, 0};
    expect_write_fails(dir, &c, "No such file or directory", 0);
    /* a "folder" that is a file */
    char plain[600];
    snprintf(plain, sizeof plain, "%s/plain", dir);
    FILE *f = fopen(plain, "w");
    CU_ASSERT_FATAL(f != NULL);
    fclose(f);
    snprintf(p, sizeof p, "%s/plain/run.h5", dir);
    expect_write_fails(dir, &c, "Not a directory", 1);
    unlink(plain);
    /* read-only folder */
    char ro[500];
    snprintf(ro, sizeof ro, "%s/ro", dir);
    CU_ASSERT_FATAL(chmod(dir, 0755) == 0); /* mkdtemp's 0700 would stop "nobody" earlier */
    CU_ASSERT_FATAL(mkdir(ro, 0755) == 0);
    CU_ASSERT_FATAL(chmod(ro, 0555) == 0);
    snprintf(p, sizeof p, "%s/run.h5", ro);
    struct write_case nobody = {p, 1, 0, 0};
    expect_write_fails(ro, &nobody, "Permission denied", 0);
    chmod(ro, 0755);
    /* file size limit hit in the middle of HDF5's writes; an older file
     * under the final name stays as it was */
    snprintf(p, sizeof p, "%s/run.h5", dir);
    f = fopen(p, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("older results\n", f);
    fclose(f);
    struct write_case big = {p, 0, 256 * 1024, 1};
    expect_write_fails(dir, &big, "File too large", 2); /* run.h5 and ro/ */
    size_t n = 0;
    char *old = poolsim_output_read_file(p, &n);
    CU_ASSERT(old && strcmp(old, "older results\n") == 0);
    free(old);
    /* the same write without the limit succeeds and replaces the old file */
    big.fsize_limit = 0;
    char err[600];
    snprintf(err, sizeof err, "%s/stderr.txt", dir);
    int status = in_child(child_write, &big, err);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 20 + POOLSIM_OK);
    CU_ASSERT(H5Fis_hdf5(p) > 0);
    testutil_rm_tree(dir);
}

static int child_write_nan(void *arg)
{
    poolsim_results *r = arg;
    char p[600];
    snprintf(p, sizeof p, "%s", r->scenario_path);
    return poolsim_h5out_write(r, NULL, p);
}

static void test_nonfinite_refused(void)
{
    char dir[512], p[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    snprintf(p, sizeof p, "%s/nan.h5", dir);
    poolsim_results *r = testutil_results(3, 2, 2);
    /* line 2 (resident), year 2 (2022), quantile p95 */
    r->reserve_ratio.q[(POOLSIM_LT(r, 1, 1)) * POOLSIM_NQ + 5] = NAN;
    free(r->scenario_path);
    r->scenario_path = strdup(p); /* the child's output path */
    char err[600];
    snprintf(err, sizeof err, "/tmp/poolsim_h5out_stderr.%ld", (long)getpid());
    int status = in_child(child_write_nan, r, err);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == POOLSIM_ENUM);
    size_t n = 0;
    char *text = poolsim_output_read_file(err, &n);
    CU_ASSERT(text && strstr(text, p) &&
              strstr(text, "reserve_ratio.q is NaN for line 'resident', year 2022, quantile p95"));
    if (text) printf("\n  message: %s", text);
    free(text);
    unlink(err);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    r->reserve_ratio.q[(POOLSIM_LT(r, 1, 1)) * POOLSIM_NQ + 5] = 0.2;
    r->balance.mean[POOLSIM_LCT(r, 0, 1, 2)] = INFINITY;
    CU_ASSERT(poolsim_h5out_write(r, NULL, p) == POOLSIM_ENUM);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* Writing over an existing results file never opens or reads it (HDF5's
 * core driver read the whole file under the in-memory file's name into
 * memory before creating it, when that name was the output path); the new
 * file replaces it. */
static void test_old_file_not_read(void)
{
    char dir[512], p[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    snprintf(p, sizeof p, "%s/run.h5", dir);
    poolsim_results *old = testutil_results(3, 2, 2), *r = testutil_results(4, 1, 3);
    CU_ASSERT_FATAL(poolsim_h5out_write(old, NULL, p) == POOLSIM_OK);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (in < 0 || inotify_add_watch(in, p, IN_OPEN | IN_ACCESS | IN_MODIFY) < 0) {
        /* the system's inotify instances or watches exhausted (shared by
         * every process of the user): nothing to observe with */
        printf("\n  inotify unavailable (%s): not checked\n", strerror(errno));
        if (in >= 0) close(in);
        poolsim_results_free(old);
        poolsim_results_free(r);
        testutil_rm_tree(dir);
        return;
    }
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, p) == POOLSIM_OK);
    /* the events of the old file's inode (now unlinked: IN_IGNORED) */
    char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n = read(in, ev, sizeof ev);
    int touched = 0;
    for (ssize_t off = 0; n > 0 && off < n;) {
        const struct inotify_event *e = (const struct inotify_event *)(ev + off);
        touched |= (e->mask & (IN_OPEN | IN_ACCESS | IN_MODIFY)) != 0;
        off += (ssize_t)(sizeof *e + e->len);
    }
    CU_ASSERT(!touched);
    close(in);
    poolsim_results *back = NULL;
    CU_ASSERT_FATAL(poolsim_results_read(p, &back) == POOLSIM_OK);
    assert_same(r, back);
    poolsim_results_free(back);
    poolsim_results_free(old);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* The writer's helpers on an in-memory file whose metadata cache is
 * poolsim_h5util_small_cache's: the cache stays at its fixed size while
 * far more object headers are written than it holds (with HDF5's default
 * cache they all stay), and every dataset read back afterwards, through
 * headers evicted to the file and loaded again, has its own shape, values
 * and attributes. */
static hid_t memory_file(int small)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    CU_ASSERT_FATAL(fapl >= 0 && H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0);
    if (small) CU_ASSERT_FATAL(poolsim_h5util_small_cache(fapl, POOLSIM_H5UTIL_CACHE_BYTES) >= 0);
    hid_t f = H5Fcreate("/", H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    CU_ASSERT_FATAL(f >= 0);
    H5Pclose(fapl);
    return f;
}

enum { CACHE_GROUPS = 12, CACHE_DATASETS = 40 };

static size_t cache_bytes_after_writes(hid_t f)
{
    poolsim_h5w w;
    CU_ASSERT_FATAL(poolsim_h5util_writer_open(&w, 1) == 0);
    double x[CACHE_DATASETS + 1];
    for (int g = 0; g < CACHE_GROUPS; g++) {
        char name[32], units[32];
        snprintf(name, sizeof name, "g%d", g);
        hid_t grp = poolsim_h5util_group(&w, f, name);
        for (int d = 0; d < CACHE_DATASETS; d++) {
            /* dataset d of group g: d + 1 values g * 1000 + d + i / 8 */
            for (int i = 0; i <= d; i++) x[i] = g * 1000 + d + i / 8.0;
            snprintf(name, sizeof name, "d%d", d);
            snprintf(units, sizeof units, "u%d.%d", g, d);
            poolsim_h5util_vec(&w, grp, name, x, (size_t)d + 1, units, name);
        }
        poolsim_h5util_close(grp);
    }
    CU_ASSERT(!w.failed);
    poolsim_h5util_writer_close(&w);
    size_t max = 0, min_clean = 0, cur = 0;
    int entries = 0;
    CU_ASSERT(H5Fget_mdc_size(f, &max, &min_clean, &cur, &entries) >= 0);
    return cur;
}

static void test_small_cache(void)
{
    hid_t f = memory_file(1);
    H5AC_cache_config_t c = {.version = H5AC__CURR_CACHE_CONFIG_VERSION};
    CU_ASSERT(H5Fget_mdc_config(f, &c) >= 0);
    CU_ASSERT(c.max_size == POOLSIM_H5UTIL_CACHE_BYTES && c.min_size == c.max_size);
    CU_ASSERT(c.incr_mode == H5C_incr__off && c.decr_mode == H5C_decr__off);
    size_t cur = cache_bytes_after_writes(f);
    CU_ASSERT(cur <= POOLSIM_H5UTIL_CACHE_BYTES);
    size_t max_now = 0;
    CU_ASSERT(H5Fget_mdc_size(f, &max_now, NULL, NULL, NULL) >= 0);
    CU_ASSERT(max_now == POOLSIM_H5UTIL_CACHE_BYTES); /* never resized */
    /* every dataset back, written long before and evicted since */
    int bad = 0;
    for (int g = 0; g < CACHE_GROUPS; g++) {
        for (int d = 0; d < CACHE_DATASETS; d++) {
            char name[48], units[32];
            snprintf(name, sizeof name, "g%d/d%d", g, d);
            hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
            hid_t sp = ds < 0 ? H5I_INVALID_HID : H5Dget_space(ds);
            hsize_t n = 0;
            double x[CACHE_DATASETS + 1];
            if (sp < 0 || H5Sget_simple_extent_ndims(sp) != 1 ||
                H5Sget_simple_extent_dims(sp, &n, NULL) != 1 || n != (hsize_t)d + 1 ||
                H5Dread(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) {
                bad++;
            } else {
                for (int i = 0; i <= d; i++) bad += x[i] != g * 1000 + d + i / 8.0;
                poolsim_h5r rd = {POOLSIM_OK, ""};
                char *u = NULL, *desc = NULL;
                poolsim_h5r_attr_str(&rd, ds, "units", &u);
                poolsim_h5r_attr_str(&rd, ds, "description", &desc);
                snprintf(units, sizeof units, "u%d.%d", g, d);
                bad += rd.status != POOLSIM_OK || !same_str(u, units) ||
                       !same_str(desc, strchr(name, '/') + 1);
                free(u);
                free(desc);
            }
            if (sp >= 0) H5Sclose(sp);
            if (ds >= 0) H5Dclose(ds);
        }
    }
    CU_ASSERT(bad == 0);
    H5Fclose(f);
    /* the same writes with HDF5's default cache keep more than that */
    f = memory_file(0);
    CU_ASSERT(cache_bytes_after_writes(f) > POOLSIM_H5UTIL_CACHE_BYTES);
    H5Fclose(f);
}

/* A string dataset longer than the writer's conversion buffer is converted
 * in pieces: every string arrives. */
static void test_strings_in_pieces(void)
{
    enum { N = 2000 };
    CU_ASSERT_FATAL(N * sizeof(char *) > 2 * POOLSIM_H5UTIL_TCONV_BYTES);
    hid_t f = memory_file(1);
    poolsim_h5w w;
    CU_ASSERT_FATAL(poolsim_h5util_writer_open(&w, 1) == 0);
    CU_ASSERT(H5Pget_buffer(w.dxpl, NULL, NULL) == POOLSIM_H5UTIL_TCONV_BYTES);
    static char text[N][16];
    char *s[N];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "县%d", i * 7);
        s[i] = text[i];
    }
    s[N / 2] = NULL; /* written as "" */
    poolsim_h5util_strings(&w, f, "ids", s, N, "ids");
    CU_ASSERT(!w.failed);
    poolsim_h5util_writer_close(&w);
    poolsim_h5r rd = {POOLSIM_OK, ""};
    char *back[N] = {NULL};
    poolsim_h5r_strings(&rd, f, "ids", N, back);
    CU_ASSERT(rd.status == POOLSIM_OK);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        bad += !same_str(back[i], i == N / 2 ? "" : text[i]);
        free(back[i]);
    }
    CU_ASSERT(bad == 0);
    H5Fclose(f);
}

/* ---- The skeleton (h5out.h): built from a frame, values filled in ---- */

static int same_bytes(const char *a, const char *b)
{
    size_t na = 0, nb = 0;
    char *x = poolsim_output_read_file(a, &na), *y = poolsim_output_read_file(b, &nb);
    int same = x && y && na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return same;
}

/* Every value of r (all numeric arrays, years aside, and run_seconds)
 * replaced: a frame with r's metadata and none of its values. */
static void other_values(poolsim_results *r)
{
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS];
    int n = poolsim_results_arrays(r, a);
    for (int k = 0; k < n; k++)
        for (size_t i = 0; i < a[k].n; i++) a[k].data[i] = -(double)(k * 1000 + (int)i) - 0.5;
    r->run_seconds = 99.0;
}

/* The file of r written through a skeleton built from `frame` equals,
 * byte for byte, the file poolsim_h5out_write gives; *used says whether
 * the skeleton was used. */
static void skeleton_file(const char *dir, const char *tag, const poolsim_results *r,
                          poolsim_results *frame, int threaded, int *used)
{
    char a[600], b[600];
    snprintf(a, sizeof a, "%s/%s-write.h5", dir, tag);
    snprintf(b, sizeof b, "%s/%s-skeleton.h5", dir, tag);
    poolsim_h5out_skeleton *k = poolsim_h5out_begin(frame, NULL, NULL);
    CU_ASSERT_FATAL(k != NULL);
    if (threaded) { /* by one of OpenMP's threads, another one busy */
#pragma omp parallel sections num_threads(2)
        {
#pragma omp section
            poolsim_h5out_build(k);
#pragma omp section
            for (volatile int i = 0; i < 1000000; i = i + 1) {
            }
        }
    } else {
        poolsim_h5out_build(k);
    }
    poolsim_h5out_build(k); /* again: nothing */
    *used = -1;
    CU_ASSERT_FATAL(poolsim_h5out_finish(k, r, NULL, b, used) == POOLSIM_OK);
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, a) == POOLSIM_OK);
    CU_ASSERT(same_bytes(a, b));
    if (!same_bytes(a, b)) printf("\n  %s: the files differ\n", tag);
    /* and it reads back as r (absent rows read back as zeros) */
    poolsim_results *back = NULL;
    CU_ASSERT_FATAL(poolsim_results_read(b, &back) == POOLSIM_OK);
    if (!memchr(r->present, 0, sizeof r->present)) assert_same(r, back);
    poolsim_results_free(back);
}

static void test_skeleton_same_file(void)
{
    char dir[512];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    poolsim_results *r = testutil_results(5, 2, 3), *frame = testutil_results(5, 2, 3);
    other_values(frame);
    r->run_seconds = 0.123456789;
    int used;
    skeleton_file(dir, "threaded", r, frame, 1, &used);
    CU_ASSERT(used == 1);
    skeleton_file(dir, "inline", r, frame, 0, &used);
    CU_ASSERT(used == 1);
    /* not built (the run failed before its threads started): the old way */
    char p[600];
    snprintf(p, sizeof p, "%s/unbuilt.h5", dir);
    CU_ASSERT(poolsim_h5out_finish(poolsim_h5out_begin(frame, NULL, NULL), r, NULL, p, &used) ==
              POOLSIM_OK);
    CU_ASSERT(used == 0);
    snprintf(p, sizeof p, "%s/inline-write.h5", dir);
    char q[600];
    snprintf(q, sizeof q, "%s/unbuilt.h5", dir);
    CU_ASSERT(same_bytes(p, q));
    /* rows absent (an older file read back): the first and the last
     * added after format 1 */
    int first = -1, last = -1;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++)
        if (poolsim_schema[row].since >= 2) last = row, first = first < 0 ? row : first;
    CU_ASSERT_FATAL(first >= 0 && last > first);
    r->present[first] = frame->present[first] = 0;
    r->present[last] = frame->present[last] = 0;
    skeleton_file(dir, "rows", r, frame, 1, &used);
    CU_ASSERT(used == 1);
    poolsim_results_free(r);
    poolsim_results_free(frame);
    testutil_rm_tree(dir);
}

/* A frame whose metadata differ from the results' in any one way: the
 * skeleton is not used and the file is still poolsim_h5out_write's. */
static void test_skeleton_mismatch(void)
{
    char dir[512];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    poolsim_results *r = testutil_results(4, 2, 3);
    int used;
    for (int c = 0; c < 12; c++) {
        poolsim_results *f = testutil_results(4, 2, c == 11 ? 2 : 3);
        const char *what = "";
        switch (c) {
        case 0:
            what = "county name", free(f->county_names[1]), f->county_names[1] = strdup("x");
            break;
        case 1: what = "line id", free(f->line_ids[0]), f->line_ids[0] = strdup("other"); break;
        case 2: what = "paths", f->paths++; break;
        case 3: what = "threads", f->threads++; break;
        case 4: what = "ranks", f->ranks++; break;
        case 5: what = "seed", f->seed ^= 1; break;
        case 6:
            what = "quantile method", free(f->quantile_method), f->quantile_method = strdup("h");
            break;
        case 7: what = "start time", f->start_time[0] = '1'; break;
        case 8: what = "a row", f->present[3] = 0; break;
        case 9: what = "years", f->years[2]++; break;
        case 10:
            what = "resolved text", free(f->resolved_text), f->resolved_text = strdup("x = 1\n");
            break;
        case 11: what = "counties"; break;
        }
        char tag[32];
        snprintf(tag, sizeof tag, "case%d", c);
        skeleton_file(dir, tag, r, f, 1, &used);
        CU_ASSERT(used == 0);
        if (used != 0) printf("\n  a different %s: skeleton used\n", what);
        poolsim_results_free(f);
    }
    /* a name holding a placeholder's high half: found where no value is,
     * so the placeholders cannot be told apart: not used */
    poolsim_results *f = testutil_results(4, 2, 3);
    free(r->county_names[2]);
    r->county_names[2] = strdup("AAAA\xB7\x9D\xE1\x5F");
    free(f->county_names[2]);
    f->county_names[2] = strdup(r->county_names[2]);
    skeleton_file(dir, "stray", r, f, 0, &used);
    CU_ASSERT(used == 0);
    poolsim_results_free(f);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* Under a memory limit no skeleton is started (HDF5 does not survive
 * every failed allocation, and the skeleton is built at the run's peak):
 * exit status 0 when begin refuses, 1 when it does not. The limit is
 * finite but far above any use (AddressSanitizer's shadow included). */
static int child_limited_begin(void *arg)
{
    struct rlimit rl = {(rlim_t)1 << 60, (rlim_t)1 << 60};
    if (setrlimit(RLIMIT_DATA, &rl) != 0) return 2;
    poolsim_h5out_skeleton *k = poolsim_h5out_begin(arg, NULL, NULL);
    poolsim_h5out_discard(k);
    /* _exit: no leak check in a child forked from a process with threads
     * (LeakSanitizer cannot stop them and fails the exit) */
    _exit(k ? 1 : 0);
}

static poolsim_h5out_skeleton *built(poolsim_results *frame)
{
    poolsim_h5out_skeleton *k = poolsim_h5out_begin(frame, NULL, NULL);
    poolsim_h5out_build(k);
    return k;
}

/* Failures between begin and finish leave no file, and print what
 * poolsim_h5out_write prints. */
static void test_skeleton_errors(void)
{
    char dir[512], p[600];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    poolsim_results *r = testutil_results(3, 2, 2), *f = testutil_results(3, 2, 2);
    char errp[600];
    snprintf(errp, sizeof errp, "%s/limited.txt", dir);
    int status = in_child(child_limited_begin, f, errp);
    CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        size_t n = 0;
        char *text = poolsim_output_read_file(errp, &n);
        printf("\n  limited child: status %d (exit %d, signal %d): %s\n", status,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1,
               WIFSIGNALED(status) ? WTERMSIG(status) : 0, text ? text : "");
        free(text);
    }
    unlink(errp);
    /* the run failed: discarded */
    poolsim_h5out_discard(poolsim_h5out_begin(f, NULL, NULL));
    poolsim_h5out_skeleton *k = poolsim_h5out_begin(f, NULL, NULL);
    poolsim_h5out_build(k);
    poolsim_h5out_discard(k);
    poolsim_h5out_discard(NULL);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    /* a value not finite */
    snprintf(p, sizeof p, "%s/nan.h5", dir);
    r->balance.mean[POOLSIM_LCT(r, 1, 0, 2)] = NAN;
    testutil_stderr_begin();
    int st = poolsim_h5out_finish(built(f), r, NULL, p, NULL);
    char *err = testutil_stderr_end();
    CU_ASSERT(st == POOLSIM_ENUM);
    CU_ASSERT(strstr(err, p) && strstr(err, "balance.mean is NaN"));
    free(err);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    r->balance.mean[POOLSIM_LCT(r, 1, 0, 2)] = 1;
    /* no such folder */
    snprintf(p, sizeof p, "%s/no/such/run.h5", dir);
    testutil_stderr_begin();
    st = poolsim_h5out_finish(built(f), r, NULL, p, NULL);
    err = testutil_stderr_end();
    CU_ASSERT(st == POOLSIM_EIO);
    CU_ASSERT(strstr(err, p) && strstr(err, "No such file or directory"));
    free(err);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    /* ids that cannot be link names: no skeleton, refused as by write */
    free(r->county_ids[1]);
    r->county_ids[1] = strdup("a/b");
    free(f->county_ids[1]);
    f->county_ids[1] = strdup("a/b");
    snprintf(p, sizeof p, "%s/ids.h5", dir);
    testutil_stderr_begin();
    st = poolsim_h5out_finish(built(f), r, NULL, p, NULL);
    err = testutil_stderr_end();
    CU_ASSERT(st == POOLSIM_EINPUT && strstr(err, "invalid id"));
    free(err);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    poolsim_results_free(r);
    poolsim_results_free(f);
    testutil_rm_tree(dir);
}

static int read_doubles(hid_t loc, const char *name, double *x)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    int ok = d >= 0 && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0;
    if (d >= 0) H5Dclose(d);
    return ok;
}

/* h5util's placeholders: FILL takes the datasets in SKELETON's order,
 * name and size checked; a value twice in the image is refused. */
static void test_placeholders(void)
{
    for (int round = 0; round < 3; round++) {
        hid_t f = memory_file(1);
        poolsim_h5w w;
        CU_ASSERT_FATAL(poolsim_h5util_writer_open(&w, 1) == 0);
        double one = 7.5, two[2] = {1, 2};
        if (round == 2) { /* a frame value that is a placeholder's */
            double ph;
            poolsim_h5w tmp = {.failed = 0};
            poolsim_h5util_placeholder(&tmp, "x", &ph, 1);
            poolsim_h5util_slots_free(&tmp);
            poolsim_h5util_vec(&w, f, "frame", &ph, 1, "1", "a frame value");
        }
        w.mode = POOLSIM_H5W_SKELETON;
        poolsim_h5util_vec(&w, f, "a", two, 2, "1", "two values");
        poolsim_h5util_vec(&w, f, "b", &one, 1, "1", "one value");
        CU_ASSERT_FATAL(!w.failed && w.nslots == 2 && w.nvalues == 3);
        w.mode = POOLSIM_H5W_WHOLE;
        CU_ASSERT_FATAL(H5Fflush(f, H5F_SCOPE_GLOBAL) >= 0);
        ssize_t n = H5Fget_file_image(f, NULL, 0);
        unsigned char *image = malloc((size_t)n);
        CU_ASSERT_FATAL(image && H5Fget_file_image(f, image, (size_t)n) == n);
        H5Fclose(f);
        int located = poolsim_h5util_locate(&w, image, (size_t)n);
        CU_ASSERT(located == (round == 2 ? -1 : 0));
        if (located == 0) {
            w.mode = POOLSIM_H5W_FILL;
            poolsim_h5util_vec(&w, H5I_INVALID_HID, "a", two, 2, "1", "two values");
            poolsim_h5util_vec(&w, H5I_INVALID_HID, round ? "c" : "b", &one, 1, "1", "x");
            CU_ASSERT(w.failed == (round == 1) && w.mismatch == (round == 1));
            CU_ASSERT(w.next == (round == 1 ? 1u : 2u));
        }
        if (round == 0) { /* the values read back from the patched image */
            hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
            CU_ASSERT_FATAL(H5Pset_fapl_core(fapl, (size_t)1 << 20, 0) >= 0);
            CU_ASSERT_FATAL(H5Pset_file_image(fapl, image, (size_t)n) >= 0);
            hid_t g = H5Fopen("/patched", H5F_ACC_RDONLY, fapl);
            double x[3] = {0, 0, 0};
            CU_ASSERT(g >= 0 && read_doubles(g, "a", x) && read_doubles(g, "b", x + 2));
            CU_ASSERT(x[0] == 1 && x[1] == 2 && x[2] == 7.5);
            if (g >= 0) H5Fclose(g);
            H5Pclose(fapl);
        }
        free(image);
        poolsim_h5util_writer_close(&w);
        poolsim_h5util_slots_free(&w);
    }
}

/* The frame poolsim_engine_frame gives is what poolsim_engine_run's
 * results hold: the skeleton built from it during the run is used, and
 * the file is byte for byte poolsim_h5out_write's (scenarios with
 * management rules, unified pooling, several counties). */
typedef struct {
    const poolsim_scenario *s;
} prov_arg;

static int provenance(poolsim_results *r, void *arg)
{
    const poolsim_scenario *s = ((const prov_arg *)arg)->s;
    int st = poolsim_provenance_fill(r, r->run_seconds, "2026-12-07T05:00:00Z");
    free(r->scenario_text);
    free(r->resolved_text);
    r->scenario_text = strdup(s->source_text ? s->source_text : "");
    r->resolved_text = poolsim_scenario_resolved_text(s);
    return st == POOLSIM_OK && r->scenario_text && r->resolved_text ? POOLSIM_OK : POOLSIM_ENOMEM;
}

/* One run of scenario `path` with a skeleton given to the engine: the
 * file is byte for byte poolsim_h5out_write's; *used as finish says. */
static void engine_case(const char *dir, const char *path, long paths, int threads, int *used)
{
    poolsim_scenario *s = NULL;
    CU_ASSERT_FATAL(poolsim_scenario_load(path, NULL, stderr, &s) == POOLSIM_OK);
    poolsim_engine_opts o = {.paths = paths, .seed = s->seed, .threads = threads};
    poolsim_results *frame = NULL, *r = NULL;
    CU_ASSERT_FATAL(poolsim_engine_frame(s, &o, &frame) == POOLSIM_OK);
    prov_arg a = {s};
    poolsim_h5out_skeleton *k = poolsim_h5out_begin(frame, provenance, &a);
    CU_ASSERT_FATAL(k != NULL);
    o.side = poolsim_h5out_build;
    o.side_arg = k;
    CU_ASSERT_FATAL(poolsim_engine_run(s, &o, &r, NULL) == POOLSIM_OK);
    r->run_seconds = 0.25;
    CU_ASSERT_FATAL(provenance(r, &a) == POOLSIM_OK);
    char p[600], q[600];
    snprintf(p, sizeof p, "%s/engine.h5", dir);
    snprintf(q, sizeof q, "%s/engine-write.h5", dir);
    *used = -1;
    CU_ASSERT(poolsim_h5out_finish(k, r, NULL, p, used) == POOLSIM_OK);
    CU_ASSERT(poolsim_h5out_write(r, NULL, q) == POOLSIM_OK);
    CU_ASSERT(same_bytes(p, q));
    if (strstr(path, "keep_six")) CU_ASSERT(r->R > 0);
    poolsim_results_free(r);
    poolsim_results_free(frame);
    poolsim_scenario_free(s);
}

static void test_skeleton_engine(void)
{
    const char *scen[] = {"bench/four-counties.yaml", "scenarios/stress/keep_six_months.yaml",
                          "scenarios/unified.yaml"};
    char dir[512];
    testutil_scratch_dir(dir, sizeof dir, "h5test");
    int used;
    for (size_t i = 0; i < sizeof scen / sizeof *scen; i++) {
        engine_case(dir, scen[i], 300, 2, &used);
        CU_ASSERT(used == 1);
        if (used != 1) printf("\n  %s: the skeleton was not used\n", scen[i]);
    }
    /* nothing to overlap (one thread, or one block of paths): not built,
     * the file built the old way */
    engine_case(dir, scen[0], 300, 1, &used);
    CU_ASSERT(used == 0);
    engine_case(dir, scen[0], POOLSIM_STATS_BLOCK_UNIT, 2, &used);
    CU_ASSERT(used == 0);
    testutil_rm_tree(dir);
}

void poolsim_test_h5out(void)
{
    CU_pSuite s = CU_add_suite("h5out", NULL, NULL);
    CU_add_test(s, "test data differs between arrays and indices", test_fill_distinct);
    CU_add_test(s, "write and read back bit for bit", test_round_trip);
    CU_add_test(s, "complete attribute last, UTF-8 names", test_complete_attribute);
    CU_add_test(s, "identical results give byte-identical files", test_deterministic);
    CU_add_test(s, "saved paths: values, chunks, filters", test_saved_paths);
    CU_add_test(s, "reader refuses unfinished, foreign and damaged files", test_reader_refuses);
    CU_add_test(s, "failed writes: EIO, message, no file, no crash", test_write_failures);
    CU_add_test(s, "NaN and Inf are refused", test_nonfinite_refused);
    CU_add_test(s, "an older file under the output path is not read", test_old_file_not_read);
    CU_add_test(s, "small metadata cache: evicted objects read back", test_small_cache);
    CU_add_test(s, "strings longer than the conversion buffer", test_strings_in_pieces);
    CU_add_test(s, "skeleton: the same file byte for byte", test_skeleton_same_file);
    CU_add_test(s, "skeleton: other metadata, the file built the old way", test_skeleton_mismatch);
    CU_add_test(s, "skeleton: failures leave no file", test_skeleton_errors);
    CU_add_test(s, "placeholders: order, names, sizes, uniqueness", test_placeholders);
    CU_add_test(s, "skeleton from the engine's frame: used, same file", test_skeleton_engine);
}
