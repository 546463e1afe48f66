/* poolsim tests: fixtures shared by the suites (folders under the build
 * folder, synthetic results). Not a suite itself. Files are read back
 * with poolsim_output_read_file (tested in the plot suite). */
#ifndef POOLSIM_TEST_UTIL_H
#define POOLSIM_TEST_UTIL_H

#include <stddef.h>

#include "poolsim/results.h"

/* Folder of the test binary (build/ or build-mpi/); "build" when unknown. */
void testutil_build_dir(char *out, size_t n);

/* A new scratch folder <build folder>/<name>.XXXXXX (mkdtemp) into out;
 * a fatal assertion when it cannot be made. Remove with testutil_rm_tree. */
void testutil_scratch_dir(char *out, size_t n, const char *name);

/* rm -r dir (best effort). */
void testutil_rm_tree(const char *dir);

/* Number of entries of a folder, hidden ones included (without . and ..);
 * -1 when it cannot be opened. */
int testutil_count_entries(const char *dir);

/* poolsim_results_alloc(T, L, C) filled by poolsim_results_fill_test
 * (fatal assertions on failure). */
poolsim_results *testutil_results(int T, int L, int C);

/* Send stderr to a scratch file until testutil_stderr_end, which returns
 * what was written (malloc'ed, "" when nothing) and restores stderr. */
void testutil_stderr_begin(void);
char *testutil_stderr_end(void);

#endif
