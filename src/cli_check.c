/* poolsim: `poolsim check` -- validate a scenario, print the resolved
 * parameters and each county's year-1 financing against its expected
 * expenditure (MODEL.md sections 2-3, lognormal limited moments). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolsim/cli.h"
#include "poolsim/plan.h"
#include "poolsim/text.h"

int poolsim_cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {{"set", required_argument, NULL, 'S'},
                                         {"strict", no_argument, NULL, 'T'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    poolsim_setlist sets = {0};
    int quiet = 0, strict = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'S':
            if (poolsim_setlist_add(&sets, optarg)) return POOLSIM_EXIT_FAIL;
            break;
        case 'q': quiet = 1; break;
        case 'T': strict = 1; break;
        case 'h':
            puts("usage: poolsim check SCENARIO [--set KEY=VALUE]... [--strict] [-q]\n"
                 "Validates the scenario (all errors, exit 2), prints the resolved parameters\n"
                 "and, per county and line, year-1 financing, expected expenditure and ratio.\n"
                 "-q prints only the ratio table. Plausibility warnings (a rate above 0.5 a\n"
                 "year, a year-1 expenditure/financing ratio outside 0.3..3) go to stderr;\n"
                 "--strict makes them errors (exit 2).");
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_OK;
        default:
            poolsim_setlist_free(&sets);
            fputs("usage: poolsim check SCENARIO [--set KEY=VALUE]... [-q]\n", stderr);
            return POOLSIM_EXIT_INPUT;
        }
    }
    if (optind != argc - 1) {
        poolsim_setlist_free(&sets);
        fputs("usage: poolsim check SCENARIO [--set KEY=VALUE]... [-q]\n", stderr);
        return POOLSIM_EXIT_INPUT;
    }
    poolsim_load_opts lo = {
        .nsets = sets.n, .sets = sets.v, .paths = -1, .seed = -1, .strict = strict};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(argv[optind], &lo, stderr, &s);
    poolsim_setlist_free(&sets);
    if (st != POOLSIM_OK) return poolsim_status_exit(st);
    poolsim_plan *pl = NULL; /* year-1 terms: no moment tables (exact moments), as run's check */
    st = poolsim_plan_build_ex(s, POOLSIM_PLAN_NO_TABLES, 1, &pl);
    if (st != POOLSIM_OK) {
        poolsim_scenario_free(s);
        return poolsim_status_exit(st);
    }
    if (poolsim_cli_ratio_warnings(s, pl, strict, stderr) > 0 && strict) {
        poolsim_plan_free(pl);
        poolsim_scenario_free(s);
        return POOLSIM_EXIT_INPUT;
    }
    if (!quiet) {
        poolsim_scenario_print(s, stdout);
        putchar('\n');
    }
    int y1 = s->start_year;
    printf("# year-1 (%d) financing and expected expenditure, yuan (E[U] = 1, E[J] = %.4f, "
           "price index 1)\n",
           y1, 1.0 + s->epidemic.prob * (s->epidemic.mean - 1.0));
    for (int l = 0; l < s->nlines; l++) {
        printf("line %s (", s->lines[l].id);
        poolsim_text_put_clean(stdout, s->lines[l].name);
        printf(")\n");
        printf("  %-14s %18s %18s %8s\n", "county", "financing", "expenditure", "ratio");
        double ft = 0, et = 0;
        for (int k = 0; k < s->ncounties; k++) {
            size_t i = POOLSIM_PLAN_LCT(pl, l, k, 0);
            double F = pl->fin_fixed[i] + pl->fin_wage[i];
            double E = poolsim_cli_expected_expenditure(pl, l, k, F);
            ft += F;
            et += E;
            printf("  %-14s %18.0f %18.0f %8.4f  ", s->counties[k].id, F, E, F > 0 ? E / F : 0.0);
            poolsim_text_put_clean(stdout, s->counties[k].name);
            putchar('\n');
        }
        printf("  %-14s %18.0f %18.0f %8.4f\n", "total", ft, et, ft > 0 ? et / ft : 0.0);
    }
    poolsim_plan_free(pl);
    poolsim_scenario_free(s);
    return POOLSIM_EXIT_OK;
}
