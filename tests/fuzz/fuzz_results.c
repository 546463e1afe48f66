/* Fuzz target: the results-file reader (src/h5in.c) in this process,
 * without the child-process guard, so that the reader's own checks are
 * what is fuzzed. libhdf5 is not instrumented and can crash on crafted
 * metadata by itself: scripts/fuzz.sh runs this target with -fork and
 * -ignore_crashes, then checks that `poolsim summary` contains every crash
 * found (exit 3). Seed: a results file that scripts/fuzz.sh writes from
 * tests/fuzz/results-seed.yaml. */
#include <hdf5.h>

#include "poolsim/common.h"
#include "poolsim/results.h"

#include "../../src/h5guard.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    fuzz_write("r.h5", data, size, path, sizeof path);
    poolsim_results *r = NULL;
    int st = poolsim_h5in_read(path, &r);
    if ((st == POOLSIM_OK) != (r != NULL)) abort();
    poolsim_results_free(r);
    return 0;
}
