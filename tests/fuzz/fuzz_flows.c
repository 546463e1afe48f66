/* Fuzz target: the settle flows CSV parser (poolsim_flows_parse, UTF-8
 * and GB18030) against the scenario in $POOLSIM_FUZZ_SCENARIO (default
 * scenarios/zhuzhou.yaml, from the repository's root). Seeds:
 * tests/fuzz/corpus/flows. */
#include "poolsim/common.h"
#include "poolsim/scenario.h"
#include "poolsim/settle.h"

#include "fuzz_util.h"

static poolsim_scenario *scen;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *p = getenv("POOLSIM_FUZZ_SCENARIO");
    poolsim_load_opts o = {.paths = -1, .seed = -1};
    if (poolsim_scenario_load(p ? p : "scenarios/zhuzhou.yaml", &o, stderr, &scen) != POOLSIM_OK)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    poolsim_flows f = {0};
    int st = poolsim_flows_parse(scen, "flows.csv", (const char *)data, size, NULL, fuzz_null(), &f);
    if (st != POOLSIM_OK && f.n != 0) abort();
    poolsim_settle_flows_free(&f);
    return 0;
}
