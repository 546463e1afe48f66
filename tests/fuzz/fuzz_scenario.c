/* Fuzz target: the scenario loader (YAML, extends, --set, validation) on
 * one file. Seeds: tests/fuzz/corpus/scenario. */
#include "poolsim/common.h"
#include "poolsim/scenario.h"

#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* relative `extends` and `counties_csv` resolve beside the input */
    if (chdir(fuzz_dir()) != 0) abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    fuzz_write("s.yaml", data, size, path, sizeof path);
    poolsim_load_opts o = {.paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(path, &o, fuzz_null(), &s);
    if ((st == POOLSIM_OK) != (s != NULL)) abort();
    poolsim_scenario_free(s);
    return 0;
}
