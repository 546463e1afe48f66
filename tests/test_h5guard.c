/* Tests of src/h5guard.c: the results and sweep readers run in a child
 * process, so that a crash, a hang or a memory blow-up inside libhdf5
 * becomes POOLSIM_EIO (exit 3) with a message naming the file, within the
 * time limit. The jobs below stand in for a libhdf5 failure (a crafted
 * file that does this to libhdf5 1.10.8 is not portable across library
 * versions; tests/cli/hostile_h5.sh reads real hostile files). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"
#include "poolsim/h5out.h"
#include "poolsim/output.h"
#include "poolsim/results.h"
#include "test_util.h"

#include "../src/h5guard.h"

static char dir[512], file[600], errpath[600];

/* Under AddressSanitizer (build-asan/run_tests), a failed malloc returns
 * NULL as it does without it, so job_greedy's report is the same. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

/* Run the guard on `job` with stderr into errpath; the status, the message
 * (malloc'ed) and the seconds it took. */
static int run(int (*job)(const char *), char **msg, double *seconds)
{
    fflush(stderr);
    int saved = dup(2);
    FILE *e = fopen(errpath, "w");
    CU_ASSERT_FATAL(e != NULL && saved >= 0);
    dup2(fileno(e), 2);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int st = poolsim_h5guard_test(file, job);
    clock_gettime(CLOCK_MONOTONIC, &b);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(e);
    size_t n = 0;
    *msg = poolsim_output_read_file(errpath, &n);
    if (seconds) *seconds = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
    return st;
}

static int job_ok(const char *path)
{
    (void)path;
    return POOLSIM_OK;
}

static int job_segv(const char *path)
{
    (void)path;
    raise(SIGSEGV);
    return POOLSIM_OK;
}

static int job_abort(const char *path)
{
    (void)path;
    abort();
}

static int job_spin(const char *path)
{
    (void)path;
    for (volatile unsigned long i = 0;; i++) {
    }
    return POOLSIM_OK;
}

static int job_sleep(const char *path)
{
    (void)path;
    for (;;) pause();
    return POOLSIM_OK;
}

/* Wants 8 GiB: beyond the 512 MiB the child has before it knows the sizes. */
static int job_greedy(const char *path)
{
    (void)path;
    size_t n = (size_t)8 << 30;
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "poolsim: cannot read %s: out of memory\n", path);
        return POOLSIM_ENOMEM;
    }
    memset(p, 1, n);
    free(p);
    return POOLSIM_OK;
}

/* A library that calls exit() (or a sanitizer's report, exit status 1). */
static int job_exit(const char *path)
{
    (void)path;
    _exit(1);
}

/* A refused file: the reader's own message and status. */
static int job_refuse(const char *path)
{
    fprintf(stderr, "poolsim: cannot read %s: /years: missing dataset\n", path);
    return POOLSIM_EINPUT;
}

static void expect(int (*job)(const char *), int want, const char *text, double max_seconds)
{
    char *msg = NULL;
    double s = 0;
    int st = run(job, &msg, &s);
    CU_ASSERT_EQUAL(st, want);
    if (text) {
        CU_ASSERT(msg && strstr(msg, file) && strstr(msg, text));
        if (!msg || !strstr(msg, text)) printf("\n  message: %s\n", msg ? msg : "(none)");
    }
    CU_ASSERT(s < max_seconds);
    free(msg);
}

static void test_isolation(void)
{
    testutil_scratch_dir(dir, sizeof dir, "h5guard");
    snprintf(file, sizeof file, "%s/some.h5", dir);
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", dir);
    FILE *f = fopen(file, "w");
    CU_ASSERT_FATAL(f != NULL);
    fputs("x", f);
    fclose(f);
    setenv("POOLSIM_READ_TIMEOUT", "1", 1);
    expect(job_ok, POOLSIM_OK, NULL, 5);
    expect(job_segv, POOLSIM_EIO, "the HDF5 library crashed reading it (SIGSEGV)", 5);
    expect(job_abort, POOLSIM_EIO, "the HDF5 library crashed reading it (SIGABRT)", 5);
    /* limit 1 s: the child's alarm at 2 s, the parent kills at 3 s */
    expect(job_spin, POOLSIM_EIO, "reading it took longer than 1 s", 6);
    expect(job_sleep, POOLSIM_EIO, "reading it took longer than 1 s", 6);
    expect(job_greedy, POOLSIM_EIO, "it needs more memory than its sizes allow", 10);
    expect(job_refuse, POOLSIM_EIO, "/years: missing dataset", 5);
    expect(job_exit, POOLSIM_EIO, "its process exited with status 1", 5);
    unsetenv("POOLSIM_READ_TIMEOUT");

    /* not a regular file: refused before any reading (a FIFO would block) */
    char fifo[600];
    snprintf(fifo, sizeof fifo, "%s/fifo.h5", dir);
    CU_ASSERT_FATAL(mkfifo(fifo, 0600) == 0);
    poolsim_results *r = NULL;
    char *msg = NULL;
    snprintf(file, sizeof file, "%s", fifo);
    fflush(stderr);
    int saved = dup(2);
    FILE *e = fopen(errpath, "w");
    CU_ASSERT_FATAL(e != NULL);
    dup2(fileno(e), 2);
    int st = poolsim_results_read(fifo, &r);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(e);
    size_t n = 0;
    msg = poolsim_output_read_file(errpath, &n);
    CU_ASSERT_EQUAL(st, POOLSIM_EIO);
    CU_ASSERT(r == NULL);
    CU_ASSERT(msg && strstr(msg, fifo) && strstr(msg, "not a regular file"));
    free(msg);
    CU_ASSERT(poolsim_sweep_present(fifo) == 0);
    testutil_rm_tree(dir);
}

/* Everything the child reads crosses the pipe: management rules (R > 0),
 * present flags and every array, bit for bit. */
static void test_round_trip_rules(void)
{
    testutil_scratch_dir(dir, sizeof dir, "h5guard");
    snprintf(file, sizeof file, "%s/rules.h5", dir);
    poolsim_dims d = {4, 2, 3, 3};
    poolsim_results *r = poolsim_results_alloc_dims(&d);
    CU_ASSERT_FATAL(r && poolsim_results_fill_test(r) == POOLSIM_OK);
    const char *ids[] = {"cut", "raise", "freeze"};
    for (int k = 0; k < 3; k++) {
        r->rule_ids[k] = strdup(ids[k]);
        r->rule_line[k] = k % 2;
    }
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS], b[POOLSIM_RESULTS_NARRAYS];
    int na = poolsim_results_arrays(r, a);
    for (int k = 0; k < na; k++)
        for (size_t i = 0; i < a[k].n; i++) a[k].data[i] = 1000.0 * k + (double)i + 0.25;
    CU_ASSERT_FATAL(poolsim_h5out_write(r, NULL, file) == POOLSIM_OK);
    poolsim_results *back = NULL;
    CU_ASSERT_FATAL(poolsim_results_read(file, &back) == POOLSIM_OK && back);
    CU_ASSERT_EQUAL(back->R, 3);
    for (int k = 0; k < 3 && back->R == 3; k++) {
        CU_ASSERT_STRING_EQUAL(back->rule_ids[k], ids[k]);
        CU_ASSERT_EQUAL(back->rule_line[k], k % 2);
    }
    CU_ASSERT(memcmp(back->present, r->present, sizeof r->present) == 0);
    CU_ASSERT_STRING_EQUAL(back->county_names[2], r->county_names[2]);
    CU_ASSERT_STRING_EQUAL(back->scenario_text, r->scenario_text);
    CU_ASSERT_EQUAL(back->seed, r->seed);
    int nb = poolsim_results_arrays(back, b);
    CU_ASSERT_EQUAL_FATAL(na, nb);
    for (int k = 0; k < na; k++) {
        CU_ASSERT_EQUAL_FATAL(a[k].n, b[k].n);
        CU_ASSERT(memcmp(a[k].data, b[k].data, a[k].n * sizeof(double)) == 0);
    }
    poolsim_results_free(back);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

void poolsim_test_h5guard(void)
{
    CU_pSuite s = CU_add_suite("h5guard", NULL, NULL);
    CU_add_test(s, "crash, hang and memory blow-up in the reader: EIO, message, bounded time",
                test_isolation);
    CU_add_test(s, "rules, present flags and every array cross the pipe", test_round_trip_rules);
}
