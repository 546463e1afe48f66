/* poolsim: the `poolsim plot` command (options, messages, exit status) over
 * the library in src/plot.c. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/sweep.h"

#include "plot_internal.h"

/* ---- poolsim plot ---- */

static void plot_usage(FILE *f)
{
    fputs("usage: poolsim plot RESULTS.h5 [options]\n"
          "  -o, --output DIR     folder for the charts (default: results/<results name>-charts)\n"
          "  -f, --format LIST    comma-separated: png (default), svg, pdf\n"
          "      --lang en|zh     language of titles and labels (default: the scenario's lang)\n"
          "Draws the reserve ratio fan chart and the county burden and shortfall charts\n"
          "of each fund line, the exhaustion probability and the first-exhaustion-year\n"
          "histogram with gnuplot (Debian package gnuplot-nox) and lists the files.\n",
          f);
}

int poolsim_cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"lang", required_argument, NULL, 'L'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *dir = NULL, *lang = NULL;
    unsigned formats = POOLSIM_FMT_PNG;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': dir = optarg; break;
        case 'f':
            if (poolsim_plot_parse_formats(optarg, &formats)) return POOLSIM_EXIT_INPUT;
            break;
        case 'L': lang = optarg; break;
        case 'h': plot_usage(stdout); return POOLSIM_EXIT_OK;
        default: plot_usage(stderr); return POOLSIM_EXIT_INPUT;
        }
    }
    if (poolsim_cli_check_args("plot", argc - optind, lang, plot_usage)) return POOLSIM_EXIT_INPUT;
    const char *in = argv[optind];
    poolsim_cli_signals();
    poolsim_results *r;
    char *def;
    int ex = poolsim_cli_read_results(in, dir, "-charts", &r, &def);
    if (ex) return ex;
    poolsim_plot_opts o = {.dir = dir ? dir : def,
                           .formats = formats,
                           .lang = poolsim_plot_lang(r, lang),
                           .path_env = NULL};
    poolsim_chart_set set;
    /* every chart of the command is one set (fsio.h): a signal or a failure
     * leaves none of them */
    int st = poolsim_fsio_begin();
    if (!st) st = poolsim_plot_render(r, &o, &set);
    if (!st) st = poolsim_plot_sweep_charts(in, &o, &set);
    if (!st)
        st = poolsim_fsio_commit();
    else
        poolsim_fsio_abort();
    if (!st) {
        printf("charts written to %s:\n", o.dir);
        for (int i = 0; i < set.n; i++)
            for (int k = 0; k < POOLSIM_PLOT_NFMT; k++)
                if (set.chart[i].file[k]) printf("  %s\n", set.chart[i].file[k]);
        if (fflush(stdout) != 0) st = POOLSIM_EIO;
    }
    poolsim_chart_set_free(&set);
    poolsim_results_free(r);
    free(def);
    return poolsim_cli_exit(st);
}
