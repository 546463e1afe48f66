/* poolsim: `poolsim settle` -- apply the yearly rules to actual figures
 * (MODEL.md section 8). */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "poolsim/cli.h"
#include "poolsim/settle.h"

static void settle_usage(FILE *f)
{
    fputs("usage: poolsim settle SCENARIO FLOWS.csv [--csv OUT.csv] [--opening PREVIOUS.csv]\n"
          "                      [--encoding auto|utf-8|gbk] [--strict] [--set KEY=VALUE]... [-q]\n"
          "FLOWS.csv has the header year,county,line,financing,expenditure (yuan; optional\n"
          "column enrolment); county by id or name; UTF-8 (BOM or not) or GBK, detected.\n"
          "Prints a table per year and line; --csv writes one row per year, county and line.\n"
          "--opening: carry reserve, balances and levy basis forward from the last year of\n"
          "a previous settlement's CSV (FLOWS.csv must start in the next year).\n"
          "--strict: plausibility warnings are errors. -q: no table.\n",
          f);
}

int poolsim_cmd_settle(int argc, char **argv)
{
    static const struct option opts[] = {
        {"csv", required_argument, NULL, 'c'},     {"set", required_argument, NULL, 'S'},
        {"opening", required_argument, NULL, 'O'}, {"encoding", required_argument, NULL, 'E'},
        {"strict", no_argument, NULL, 's'},        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    const char *csv = NULL;
    poolsim_settle_opts so = {0};
    int quiet = 0, c;
    poolsim_setlist sets = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': csv = optarg; break;
        case 'O': so.opening = optarg; break;
        case 's': so.strict = 1; break;
        case 'E':
            if (poolsim_settle_encoding(optarg) < 0) {
                fprintf(stderr,
                        "poolsim settle: --encoding: '%s' is not known (expected auto, "
                        "utf-8 or gbk)\n",
                        optarg);
                poolsim_setlist_free(&sets);
                return POOLSIM_EXIT_INPUT;
            }
            so.encoding = optarg;
            break;
        case 'S':
            if (poolsim_setlist_add(&sets, optarg)) return POOLSIM_EXIT_FAIL;
            break;
        case 'q': quiet = 1; break;
        case 'h':
            settle_usage(stdout);
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_OK;
        default:
            settle_usage(stderr);
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_INPUT;
        }
    }
    if (optind != argc - 2) {
        fputs("poolsim settle: expected SCENARIO and FLOWS.csv\n", stderr);
        settle_usage(stderr);
        poolsim_setlist_free(&sets);
        return POOLSIM_EXIT_INPUT;
    }
    poolsim_load_opts lo = {
        .nsets = sets.n, .sets = sets.v, .paths = -1, .seed = -1, .strict = so.strict};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(argv[optind], &lo, stderr, &s);
    poolsim_setlist_free(&sets);
    if (st != POOLSIM_OK) return poolsim_status_exit(st);
    poolsim_cli_signals();
    st = poolsim_settle_cmd(s, argv[optind + 1], &so, csv, quiet ? NULL : stdout, stderr);
    poolsim_scenario_free(s);
    return poolsim_cli_exit(st);
}
