/* poolsim tests: shared fixtures (tests/test_util.h). Linked into
 * build/run_tests with the suites; defines no suite. */
#include "test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"

void testutil_build_dir(char *out, size_t n)
{
    ssize_t k = readlink("/proc/self/exe", out, n - 1);
    if (k <= 0) {
        snprintf(out, n, "build");
        return;
    }
    out[k] = '\0';
    char *slash = strrchr(out, '/');
    if (slash) *slash = '\0';
}

void testutil_scratch_dir(char *out, size_t n, const char *name)
{
    char b[256];
    testutil_build_dir(b, sizeof b);
    snprintf(out, n, "%s/%s.XXXXXX", b, name);
    CU_ASSERT_FATAL(mkdtemp(out) != NULL);
}

void testutil_rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0) testutil_rm_tree(p);
    }
    closedir(d);
    rmdir(dir);
}

int testutil_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

poolsim_results *testutil_results(int T, int L, int C)
{
    poolsim_results *r = poolsim_results_alloc(T, L, C);
    CU_ASSERT_FATAL(r != NULL);
    CU_ASSERT_FATAL(poolsim_results_fill_test(r) == POOLSIM_OK);
    return r;
}

static int saved_stderr = -1;
static FILE *capture;

void testutil_stderr_begin(void)
{
    fflush(stderr);
    capture = tmpfile();
    CU_ASSERT_FATAL(capture != NULL);
    saved_stderr = dup(2);
    CU_ASSERT_FATAL(saved_stderr >= 0);
    dup2(fileno(capture), 2);
}

char *testutil_stderr_end(void)
{
    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    saved_stderr = -1;
    long n = ftell(capture);
    char *s = malloc(n > 0 ? (size_t)n + 1 : 1);
    CU_ASSERT_FATAL(s != NULL);
    rewind(capture);
    size_t k = n > 0 ? fread(s, 1, (size_t)n, capture) : 0;
    s[k] = '\0';
    fclose(capture);
    capture = NULL;
    return s;
}
