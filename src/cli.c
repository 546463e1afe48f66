/* poolsim: the command table and its dispatch (the commands are src/cli_*.c). */
#include "poolsim/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "poolsim/common.h"

#ifndef POOLSIM_GIT_COMMIT
#define POOLSIM_GIT_COMMIT "unknown"
#endif

/* The commands: name, synopsis for the usage text, function. */
static const struct {
    const char *name, *synopsis;
    int (*fn)(int, char **);
} commands[] = {
    {"check", "check SCENARIO [--set K=V]...        validate; print parameters and year-1 ratios",
     poolsim_cmd_check},
    {"settle", "settle SCENARIO FLOWS.csv [--csv OUT] apply the rules to actual yearly figures",
     poolsim_cmd_settle},
    {"fit", "fit FLOWS.csv --scenario BASE -o OUT  calibrate a scenario from 5+ years of flows",
     poolsim_cmd_fit},
    {"run", "run SCENARIO [options]                Monte Carlo projection -> results/*.h5",
     poolsim_cmd_run},
    {"plot", "plot RESULTS.h5 [-o DIR]             charts (gnuplot)", poolsim_cmd_plot},
    {"report", "report RESULTS.h5 [-o FILE.html]     self-contained HTML report",
     poolsim_cmd_report},
    {"summary", "summary RESULTS.h5 [--csv DIR] [--xlsx FILE] [--json FILE]", poolsim_cmd_summary},
    {"sweep", "sweep SCENARIO --set K=V1,V2,...     lever grid on common random numbers",
     poolsim_cmd_sweep},
    {"solve", "solve SCENARIO --vary K=LO:HI --target EXPR   goal-seek a lever", poolsim_cmd_solve},
    {"compare", "compare A.yaml B.yaml                paired comparison of two scenarios",
     poolsim_cmd_compare},
    {"schema", "schema [--markdown]                  every output of a run (docs/RESULTS.md)",
     poolsim_cmd_schema},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *f)
{
    fputs("usage: poolsim COMMAND [ARGS]\n"
          "\n"
          "Projects the pooled medical-insurance funds of a city's counties and\n"
          "applies the city-level pooling rules (levy, reserve, tiered sharing).\n"
          "\n"
          "commands:\n",
          f);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(f, "  %s\n", commands[i].synopsis);
    fputs("\n'poolsim COMMAND --help' describes a command's options.\n"
          "exit status: 0 ok, 1 internal/numerical failure, 2 bad input, 3 I/O failure,\n"
          "4 external tool missing or failed, 130/143 interrupted.\n",
          f);
}

int poolsim_cli_main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return POOLSIM_EXIT_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        usage(stdout);
        return POOLSIM_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("poolsim %s (commit %s)\n", POOLSIM_VERSION, POOLSIM_GIT_COMMIT);
        return POOLSIM_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "poolsim: unknown command '%s' (expected", cmd);
    for (size_t i = 0; i < NCOMMANDS; i++) fprintf(stderr, "%s %s", i ? "," : "", commands[i].name);
    fputs(")\n", stderr);
    return POOLSIM_EXIT_INPUT;
}
