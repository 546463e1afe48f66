/* Allocation-failure injection (issue 12, "Keep it that way"), in the
 * manner of Lua's memerr and SQLite's OOM loop: every operation below is
 * run with its 1st, 2nd, 3rd, ... allocation failing (malloc, calloc,
 * realloc, strdup, strndup of poolsim's own code, wrapped at link time
 * with -Wl,--wrap), until it runs through without reaching the failing
 * allocation. Each failing run must
 *   - return a status other than POOLSIM_OK (or succeed, when the
 *     allocation was optional) and leave *out NULL,
 *   - print a message on stderr,
 *   - leave no output file and no temporary behind (writers),
 *   - leak nothing: in the AddressSanitizer build (build-asan/oom_tests)
 *     LeakSanitizer checks the heap after every run,
 * and must not crash (a crash ends the program: the test fails).
 * Allocations inside libyaml, libcsv, jansson and libhdf5 are not
 * injected (their calls are not poolsim's).
 *
 * Usage: oom_tests [OPERATION]   (run from the repository's root) */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/engine.h"
#include "poolsim/h5out.h"
#include "poolsim/jsonout.h"
#include "poolsim/results.h"
#include "poolsim/scenario.h"
#include "poolsim/settle.h"
#include "poolsim/stats.h"
#include "poolsim/summary.h"

/* ---- the wrappers ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long fail_at = -1; /* index of the allocation to fail; -1: none */
static long seen;         /* allocations since the run started */
static int injected;      /* the failing allocation was reached */

static int inject(void)
{
    if (fail_at < 0) return 0;
    if (seen++ != fail_at) return 0;
    injected = 1;
    return 1;
}

void *__wrap_malloc(size_t n)
{
    return inject() ? NULL : __real_malloc(n);
}
void *__wrap_calloc(size_t n, size_t m)
{
    return inject() ? NULL : __real_calloc(n, m);
}
void *__wrap_realloc(void *p, size_t n)
{
    return inject() ? NULL : __real_realloc(p, n);
}
char *__wrap_strdup(const char *s)
{
    return inject() ? NULL : __real_strdup(s);
}
char *__wrap_strndup(const char *s, size_t n)
{
    return inject() ? NULL : __real_strndup(s, n);
}

/* LeakSanitizer's check (build-asan only; weak: absent otherwise). */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* ---- the operations ---- */
static char dir[] = "/tmp/poolsim-oom-XXXXXX";
static char out[600];
static poolsim_results *res;
static poolsim_scenario *scen;
static poolsim_settlement settled;
static char *reference; /* resolved text of the scenario loaded without failures */

static int op_load(void)
{
    poolsim_load_opts o = {.paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load("scenarios/zhuzhou.yaml", &o, stderr, &s);
    if ((st == POOLSIM_OK) != (s != NULL)) {
        fprintf(stderr, "oom_tests: load: status %d with scenario %p\n", st, (void *)s);
        abort();
    }
    if (s && reference) {
        /* a run that survived an injected failure must have loaded the
         * same scenario (the resolved parameters, without injection) */
        long keep = fail_at;
        fail_at = -1;
        char *text = poolsim_scenario_resolved_text(s);
        if (!text || strcmp(text, reference) != 0) {
            fprintf(stderr, "oom_tests: load: a different scenario after a failed allocation\n");
            st = -1;
        }
        free(text);
        fail_at = keep;
    }
    poolsim_scenario_free(s);
    return st;
}

static int op_flows(void)
{
    poolsim_flows f = {0};
    int st = poolsim_settle_read(scen, "scenarios/zhuzhou-flows.csv", stderr, &f);
    poolsim_settle_flows_free(&f);
    return st;
}

static int op_h5(void)
{
    return poolsim_h5out_write(res, NULL, out);
}
/* the results file through its skeleton (h5out.h), built inline: a
 * failure in the skeleton falls back to the old way */
static poolsim_results *frame;
static int op_h5_skeleton(void)
{
    poolsim_h5out_skeleton *k = poolsim_h5out_begin(frame, NULL, NULL);
    poolsim_h5out_build(k);
    return poolsim_h5out_finish(k, res, NULL, out, NULL);
}
static int op_json(void)
{
    return poolsim_jsonout_write(res, out);
}
/* the engine on one thread (so the allocations come in one order): 600
 * paths, three blocks of the fold queue */
static int op_engine(void)
{
    poolsim_engine_opts o = {.paths = 600, .seed = 5, .threads = 1};
    poolsim_results *r = NULL;
    int st = poolsim_engine_run(scen, &o, &r, NULL);
    if ((st == POOLSIM_OK) != (r != NULL)) st = -1;
    poolsim_results_free(r);
    return st;
}
/* the statistics of a 20,000-path run of 10 years, 2 lines, 4 counties
 * (32 MB of kept values, the TAIL candidates of the run and a thread) */
static int op_stats(void)
{
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, 10, 2, 4);
    poolsim_stats *st = poolsim_stats_alloc(&lay, 20000);
    poolsim_block *b = st ? poolsim_block_alloc(st) : NULL;
    int status = st && b ? POOLSIM_OK : POOLSIM_ENOMEM;
    if (status != POOLSIM_OK) fprintf(stderr, "oom_tests: stats: out of memory\n");
    poolsim_block_free(b);
    poolsim_stats_free(st);
    return status;
}
static int op_csv(void)
{
    return poolsim_summary_write_csv(res, out, NULL);
}
static int op_settle_csv(void)
{
    return poolsim_settle_write_file(scen, &settled, out);
}

/* ---- the loop ---- */

/* Files (not folders: `summary --csv` may have made its folder) under
 * path, err.txt aside, for "nothing left behind". */
static int entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "err.txt"))
            continue;
        char sub[1200];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
            n += entries(sub);
        else
            n++;
    }
    if (d) closedir(d);
    return n;
}

static void rm_out(void)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
    if (system(cmd) != 0) abort();
}

/* Run op failing allocation 0, 1, 2, ...; 0 when every run behaved. */
static int loop(const char *name, int (*op)(void), int writes)
{
    char errpath[600];
    snprintf(errpath, sizeof errpath, "%s/err.txt", dir);
    snprintf(out, sizeof out, "%s/%s.out", dir, name);
    int bad = 0;
    long n;
    long failures = 0, survived = 0;
    for (n = 0;; n++) {
        if (writes) rm_out();
        fflush(stderr);
        int saved = dup(2);
        FILE *e = fopen(errpath, "w");
        if (!e || saved < 0) abort();
        dup2(fileno(e), 2);
        seen = 0;
        injected = 0;
        fail_at = n;
        int st = op();
        fail_at = -1;
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
        long msg = ftell(e);
        fclose(e);
        if (!injected) {
            if (st != POOLSIM_OK) {
                printf("oom_tests: %s: fails (status %d) without an injected failure\n", name, st);
                bad = 1;
            }
            break;
        }
        if (st == -1) {
            printf("oom_tests: %s: allocation %ld fails: the operation succeeds with a different "
                   "result\n",
                   name, n + 1);
            bad = 1;
        } else if (st == POOLSIM_OK) {
            survived++; /* an optional allocation (a fallback exists) */
            if (getenv("OOM_VERBOSE"))
                printf("oom_tests: %s: survived allocation %ld\n", name, n + 1);
        } else {
            failures++;
            if (msg <= 0) {
                printf("oom_tests: %s: allocation %ld fails: status %d and no message\n", name,
                       n + 1, st);
                bad = 1;
            }
            if (writes && entries(dir) != 0) {
                printf("oom_tests: %s: allocation %ld fails: a file is left behind\n", name, n + 1);
                bad = 1;
            }
        }
        if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check()) {
            printf("oom_tests: %s: allocation %ld fails: memory leaked (report above)\n", name,
                   n + 1);
            bad = 1;
        }
        if (bad) break;
    }
    if (writes) rm_out();
    printf("oom_tests: %-10s %5ld allocations, %5ld failing runs refused cleanly, %ld survived%s\n",
           name, n, failures, survived, __lsan_do_recoverable_leak_check ? ", leak-checked" : "");
    return bad;
}

int main(int argc, char **argv)
{
    const char *only = argc > 1 ? argv[1] : NULL;
    if (!mkdtemp(dir)) return 2;
    res = poolsim_results_alloc(3, 2, 3);
    frame = poolsim_results_alloc(3, 2, 3);
    poolsim_load_opts o = {.paths = -1, .seed = -1};
    poolsim_flows f = {0};
    if (!res || poolsim_results_fill_test(res) != POOLSIM_OK || !frame ||
        poolsim_results_fill_test(frame) != POOLSIM_OK ||
        poolsim_scenario_load("scenarios/zhuzhou.yaml", &o, stderr, &scen) != POOLSIM_OK ||
        poolsim_settle_read(scen, "scenarios/zhuzhou-flows.csv", stderr, &f) != POOLSIM_OK ||
        poolsim_settle_compute(scen, &f, stderr, &settled) != POOLSIM_OK) {
        fprintf(stderr, "oom_tests: setup failed (run from the repository's root)\n");
        return 2;
    }
    poolsim_settle_flows_free(&f);
    reference = poolsim_scenario_resolved_text(scen);
    struct {
        const char *name;
        int (*op)(void);
        int writes;
    } ops[] = {{"load", op_load, 0}, {"flows", op_flows, 0},           {"engine", op_engine, 0},
               {"stats", op_stats, 0}, {"hdf5", op_h5, 1},   {"hdf5-skel", op_h5_skeleton, 1}, {"json", op_json, 1},
               {"csv", op_csv, 1},   {"settle-csv", op_settle_csv, 1}};
    int bad = 0;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (!only || !strcmp(only, ops[i].name)) bad |= loop(ops[i].name, ops[i].op, ops[i].writes);
    poolsim_settle_free(&settled);
    free(reference);
    poolsim_scenario_free(scen);
    poolsim_results_free(res);
    poolsim_results_free(frame);
    rmdir(dir);
    return bad;
}
