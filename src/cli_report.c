/* poolsim: the `poolsim report` command (options, messages, exit status) over
 * the library in src/report.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "poolsim/cli.h"
#include "poolsim/provenance.h"
#include "poolsim/common.h"
#include "poolsim/output.h"
#include "poolsim/report.h"

/* ---- poolsim report ---- */

static void report_usage(FILE *f)
{
    fputs("usage: poolsim report RESULTS.h5 [options]\n"
          "  -o, --output FILE    the HTML report (default: results/<results name>.html)\n"
          "      --lang en|zh     language (default: the scenario's lang, else English)\n"
          "One self-contained HTML file (charts inlined as SVG, no network access needed):\n"
          "scenario summary, key findings, charts, assumptions and rule parameters,\n"
          "provenance. Needs gnuplot (Debian package gnuplot-nox).\n",
          f);
}

int poolsim_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"lang", required_argument, NULL, 'L'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *out = NULL, *lang = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'L': lang = optarg; break;
        case 'h': report_usage(stdout); return POOLSIM_EXIT_OK;
        default: report_usage(stderr); return POOLSIM_EXIT_INPUT;
        }
    }
    if (poolsim_cli_check_args("report", argc - optind, lang, report_usage))
        return POOLSIM_EXIT_INPUT;
    const char *in = argv[optind];
    poolsim_cli_signals();
    poolsim_results *r;
    char *def;
    int ex = poolsim_cli_read_results(in, out, ".html", &r, &def);
    if (ex) return ex;
    const char *path = out ? out : def;
    if (!out) mkdir("results", 0777);
    char now[32];
    poolsim_now_iso(now, sizeof now);
    poolsim_report_opts o = {
        .lang = poolsim_plot_lang(r, lang), .results_path = in, .generated = now, .path_env = NULL};
    int st = poolsim_report_write(r, &o, path);
    if (!st) printf("report written to %s\n", path);
    poolsim_results_free(r);
    free(def);
    return poolsim_cli_exit(st);
}
