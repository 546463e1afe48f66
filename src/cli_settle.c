/* poolsim: `poolsim settle` -- apply the yearly rules to actual figures
 * (MODEL.md section 8). */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "poolsim/cli.h"
#include "poolsim/settle.h"

static void settle_usage(FILE *f)
{
    fputs("usage: poolsim settle SCENARIO FLOWS.csv [--csv OUT.csv] [--set KEY=VALUE]... [-q]\n"
          "FLOWS.csv has the header year,county,line,financing,expenditure (yuan).\n"
          "Prints a table per year and line; --csv writes one row per year, county and line.\n"
          "-q: no table.\n",
          f);
}

int poolsim_cmd_settle(int argc, char **argv)
{
    static const struct option opts[] = {{"csv", required_argument, NULL, 'c'},
                                         {"set", required_argument, NULL, 'S'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *csv = NULL;
    int quiet = 0, c;
    poolsim_setlist sets = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': csv = optarg; break;
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
    poolsim_load_opts lo = {.nsets = sets.n, .sets = sets.v, .paths = -1, .seed = -1};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(argv[optind], &lo, stderr, &s);
    poolsim_setlist_free(&sets);
    if (st != POOLSIM_OK) return poolsim_status_exit(st);
    st = poolsim_settle_cmd(s, argv[optind + 1], csv, quiet ? NULL : stdout, stderr);
    poolsim_scenario_free(s);
    return poolsim_status_exit(st);
}
