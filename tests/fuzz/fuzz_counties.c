/* Fuzz target: the counties CSV of a scenario (`counties_csv: c.csv`),
 * read by the scenario loader. Seeds: tests/fuzz/corpus/counties. */
#include "poolsim/common.h"
#include "poolsim/scenario.h"

#include "fuzz_util.h"

static char yaml[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char text[] =
        "start_year: 2021\nhorizon_years: 5\nlines:\n"
        "  - id: employee\n    classes: [{id: active, wage_rate: 0.065}, {id: retired}]\n"
        "    benefits: [{id: inpatient, kind: claims, rate: {active: 0.08, retired: 0.3},"
        " cost_mean: 11000, cv: 1.6, coinsurance: 0.85}]\n"
        "  - id: resident\n    classes: [{id: resident, per_capita: 280}]\n"
        "    benefits: [{id: catastrophic, kind: per_capita, amount: 65}]\n"
        "counties_csv: c.csv\n";
    fuzz_write("s.yaml", (const uint8_t *)text, sizeof text - 1, yaml, sizeof yaml);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char csv[128];
    fuzz_write("c.csv", data, size, csv, sizeof csv);
    poolsim_load_opts o = {.paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(yaml, &o, fuzz_null(), &s);
    if ((st == POOLSIM_OK) != (s != NULL)) abort();
    poolsim_scenario_free(s);
    return 0;
}
