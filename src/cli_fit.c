#define _XOPEN_SOURCE 700 /* realpath */
/* poolsim: `poolsim fit` -- calibrate a scenario from a history of actual
 * flows (docs/MODEL.md, "Calibration from a history"). The estimation is src/fit.c; this file
 * reads the arguments and files, writes the fitted scenario, the report
 * and the chart. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolsim/cli.h"
#include "poolsim/fit.h"
#include "poolsim/fitplot.h"
#include "poolsim/fsio.h"

static void fit_usage(FILE *f)
{
    fputs(
        "usage: poolsim fit FLOWS.csv --scenario BASE.yaml -o FITTED.yaml [--chart FILE.png|.svg]\n"
        "                   [--bootstrap B] [--seed N] [--encoding auto|utf-8|gbk] [--strict] "
        "[-q]\n"
        "FLOWS.csv: at least 5 consecutive years of year,county,line,financing,expenditure\n"
        "(yuan; optional column enrolment), every county and line of BASE each year.\n"
        "Writes FITTED.yaml (extends BASE: medical inflation, utilisation shocks, cost_index,\n"
        "enrolment, financing level, balances, reserves and levy basis of the year after the\n"
        "history, each fitted value with its 95% interval as a comment), prints the fit\n"
        "report (-q: not), and draws actual against fitted expenditure with the fitted\n"
        "scenario's projection fan (--chart; default FITTED-fit.png; --chart '' for none).\n"
        "--bootstrap: replications for the intervals (default 999); --seed: their seed.\n",
        f);
}

/* `target` as a path relative to the folder of `from_file` when both
 * resolve, else `target` as given. Caller frees. */
static char *relative_to(const char *target, const char *from_file)
{
    char rt[PATH_MAX], rd[PATH_MAX];
    char *dir = strdup(from_file);
    if (!dir) return NULL;
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    if (!realpath(target, rt) || !realpath(dir, rd)) {
        free(dir);
        return strdup(target);
    }
    free(dir);
    /* common prefix of whole components */
    size_t i = 0, k = 0;
    while (rt[i] && rt[i] == rd[i]) {
        if (rt[i] == '/') k = i;
        i++;
    }
    if (rd[i] == '\0' && rt[i] == '/') k = i;
    if (strcmp(rd, "/") == 0) k = 0;
    size_t ups = 0;
    for (const char *p = rd + k; *p; p++)
        if (*p == '/') ups++;
    if (rd[k] == '\0') ups = 0;
    size_t n = ups * 3 + strlen(rt + k) + 2;
    char *out = malloc(n);
    if (!out) return NULL;
    out[0] = '\0';
    for (size_t u = 0; u < ups; u++) strcat(out, "../");
    strcat(out, rt + k + (rt[k] == '/'));
    return out;
}

int poolsim_cmd_fit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"scenario", required_argument, NULL, 's'}, {"output", required_argument, NULL, 'o'},
        {"chart", required_argument, NULL, 'c'},    {"bootstrap", required_argument, NULL, 'B'},
        {"seed", required_argument, NULL, 'S'},     {"encoding", required_argument, NULL, 'E'},
        {"strict", no_argument, NULL, 'T'},         {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    const char *base = NULL, *out = NULL, *chart = NULL;
    poolsim_settle_opts so = {0};
    poolsim_fit_opts fo = {.B = 999, .seed = 20240601};
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:o:qh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's': base = optarg; break;
        case 'o': out = optarg; break;
        case 'c': chart = optarg; break;
        case 'B': {
            long v = strtol(optarg, &end, 10);
            if (*end || v < 99 || v > 100000) {
                fprintf(stderr, "poolsim fit: --bootstrap: '%s' (expected an integer 99..100000)\n",
                        optarg);
                return POOLSIM_EXIT_INPUT;
            }
            fo.B = (int)v;
            break;
        }
        case 'S': {
            unsigned long long v = strtoull(optarg, &end, 10);
            if (*end || !*optarg || *optarg == '-') {
                fprintf(stderr, "poolsim fit: --seed: '%s' (expected an integer >= 0)\n", optarg);
                return POOLSIM_EXIT_INPUT;
            }
            fo.seed = v;
            break;
        }
        case 'E':
            if (poolsim_settle_encoding(optarg) < 0) {
                fprintf(
                    stderr,
                    "poolsim fit: --encoding: '%s' is not known (expected auto, utf-8 or gbk)\n",
                    optarg);
                return POOLSIM_EXIT_INPUT;
            }
            so.encoding = optarg;
            break;
        case 'T': so.strict = 1; break;
        case 'q': quiet = 1; break;
        case 'h': fit_usage(stdout); return POOLSIM_EXIT_OK;
        default: fit_usage(stderr); return POOLSIM_EXIT_INPUT;
        }
    }
    if (optind != argc - 1 || !base || !out) {
        fputs("poolsim fit: expected FLOWS.csv, --scenario BASE.yaml and -o FITTED.yaml\n", stderr);
        fit_usage(stderr);
        return POOLSIM_EXIT_INPUT;
    }
    const char *flows_path = argv[optind];
    char *chart_default = NULL;
    if (!chart) {
        size_t n = strlen(out);
        chart_default = malloc(n + 16);
        if (!chart_default) return POOLSIM_EXIT_FAIL;
        strcpy(chart_default, out);
        if (n > 5 && strcmp(out + n - 5, ".yaml") == 0) chart_default[n - 5] = '\0';
        strcat(chart_default, "-fit.png");
        chart = chart_default;
    }

    poolsim_load_opts lo = {.paths = -1, .seed = -1, .strict = so.strict};
    poolsim_scenario *s = NULL;
    int st = poolsim_scenario_load(base, &lo, stderr, &s);
    poolsim_flows flows = {0};
    poolsim_fit fit = {0};
    char *text = NULL, *ref = NULL;
    if (st == POOLSIM_OK) st = poolsim_flows_read(s, flows_path, &so, stderr, &flows);
    if (st == POOLSIM_OK) st = poolsim_fit_estimate(s, &flows, flows_path, &fo, stderr, &fit);
    if (st == POOLSIM_OK) {
        ref = relative_to(base, out);
        st = ref ? poolsim_fit_scenario_text(s, &flows, &fit, ref, flows_path, stderr, &text)
                 : POOLSIM_ENOMEM;
    }
    if (st == POOLSIM_OK) st = poolsim_fsio_write(out, text, strlen(text));
    if (st == POOLSIM_OK && !quiet) {
        poolsim_fit_print_report(s, &fit, stdout);
        printf("Fitted scenario: %s\n", out);
    }
    /* the written scenario must load; the chart projects it */
    poolsim_scenario *fs = NULL;
    if (st == POOLSIM_OK) {
        poolsim_load_opts fl = {.paths = -1, .seed = -1};
        st = poolsim_scenario_load(out, &fl, stderr, &fs);
        if (st != POOLSIM_OK)
            fprintf(stderr,
                    "poolsim: fit: the fitted scenario %s does not load (a bug: please "
                    "report it with the flows)\n",
                    out);
    }
    if (st == POOLSIM_OK && chart && *chart) {
        st = poolsim_fitplot_draw(s, &fit, fs, chart, stderr);
        if (st == POOLSIM_OK && !quiet) printf("Chart: %s\n", chart);
    }
    poolsim_scenario_free(fs);
    free(text);
    free(ref);
    free(chart_default);
    poolsim_fit_free(&fit);
    poolsim_settle_flows_free(&flows);
    poolsim_scenario_free(s);
    return poolsim_status_exit(st);
}
