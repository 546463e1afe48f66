/* poolsim: the `poolsim compare` command (options, messages, exit status) over
 * the library in src/compare.c. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/mpi.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/sweep.h"

static void compare_usage(FILE *f)
{
    fputs("usage: poolsim compare A.yaml B.yaml [options]\n"
          "Runs both scenarios on the same random numbers (A's seed and paths unless given)\n"
          "and reports B - A with paired 95% intervals (unpaired ones for comparison).\n"
          "  -n, --paths N        paths (default: A's simulation.paths)\n"
          "  -s, --seed S         seed of both runs (default: A's simulation.seed)\n"
          "  -t, --threads T      threads\n"
          "      --set KEY=VALUE  override applied to both scenarios (repeatable)\n"
          "      --json FILE      differences as JSON\n"
          "      --csv FILE       differences as CSV\n"
          "      --plot DIR       charts: exhaustion curves of both, county-government and\n"
          "                       city burdens side by side (compare_exhaustion,\n"
          "                       compare_burden)\n"
          "      --format LIST    chart formats: svg, png (default svg)\n"
          "      --html FILE      an HTML report with the differences and the charts\n"
          "                       (the charts are also written beside it, or into --plot DIR)\n"
          "  -q, --quiet          no table\n",
          f);
}

int poolsim_cmd_compare(int argc, char **argv)
{
    static const struct option opts[] = {POOLSIM_CLI_SIZE_LONGOPTS,
                                         {"set", required_argument, NULL, 'S'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"csv", required_argument, NULL, 'c'},
                                         {"plot", required_argument, NULL, 'P'},
                                         {"format", required_argument, NULL, 'F'},
                                         {"html", required_argument, NULL, 'H'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    poolsim_sweep_eval_opts eo = {0};
    poolsim_setlist sets = {0};
    const char *json = NULL, *csv = NULL, *plotdir = NULL, *html = NULL;
    unsigned formats = POOLSIM_FMT_SVG;
    char *htmldir = NULL;
    int quiet = 0, c, rc = POOLSIM_EXIT_INPUT;
    poolsim_cli_size size = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
        case 's':
        case 't':
            if (poolsim_cli_size_option(c, optarg, &size)) goto bad;
            break;
        case 'S':
            if (poolsim_setlist_add(&sets, optarg)) goto bad;
            break;
        case 'j': json = optarg; break;
        case 'c': csv = optarg; break;
        case 'P': plotdir = optarg; break;
        case 'H': html = optarg; break;
        case 'F':
            if (poolsim_plot_parse_formats(optarg, &formats) != 0 || (formats & POOLSIM_FMT_PDF)) {
                fprintf(stderr, "poolsim compare: --format: expected svg, png or both\n");
                goto bad;
            }
            break;
        case 'q': quiet = 1; break;
        case 'h':
            compare_usage(stdout);
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_OK;
        default: goto bad;
        }
    }
    if (optind != argc - 2) {
        fprintf(stderr, "poolsim compare: expected two scenario arguments A.yaml B.yaml\n");
        goto bad;
    }
    {
        const char *pa = argv[optind], *pb = argv[optind + 1];
        poolsim_cli_size_to_eval(&size, &eo);
        if (plotdir && poolsim_output_make_dirs(plotdir) != POOLSIM_OK) {
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_IO;
        }
        if ((json && poolsim_results_check_writable(json) != POOLSIM_OK) ||
            (csv && poolsim_results_check_writable(csv) != POOLSIM_OK) ||
            (html && poolsim_results_check_writable(html) != POOLSIM_OK)) {
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_IO;
        }
        eo.progress = !quiet;
        eo.keep_saved = 1;
        eo.stop = &poolsim_cli_stop;
        poolsim_cli_signals();
        /* under MPI every rank runs both (the engine splits the paths);
         * only rank 0 holds every path's values, computes and prints */
        int root = poolsim_mpi_rank() == 0;
        FILE *diag = poolsim_sweep_diag_open();
        poolsim_sweep_eval *ea = NULL, *eb = NULL;
        int st = poolsim_sweep_eval_run(pa, sets.n, sets.v, &eo, diag, &ea);
        if (st == POOLSIM_OK) {
            poolsim_compare_trim(ea);
            poolsim_sweep_eval_pin(&eo, ea);
            st = poolsim_sweep_eval_run(pb, sets.n, sets.v, &eo, diag, &eb);
        }
        poolsim_sweep_diag_close(diag);
        if (st == POOLSIM_OK && !root) {
            poolsim_sweep_eval_free(ea);
            poolsim_sweep_eval_free(eb);
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_OK;
        }
        if (st == POOLSIM_OK) poolsim_compare_trim(eb);
        if (st == POOLSIM_OK && (eb->s->seed != ea->res->seed || eb->s->paths != ea->P) && !quiet)
            fprintf(stderr,
                    "poolsim: note: B is run with A's seed %llu and %ld paths (its own: "
                    "seed %llu, %ld paths) so that the runs are paired\n",
                    ea->res->seed, ea->P, eb->s->seed, eb->s->paths);
        if (st == POOLSIM_OK) st = poolsim_sweep_same_shape(ea, eb, "compare: B against A");
        if (st == POOLSIM_EINTR || poolsim_cli_stop) {
            if (root) fprintf(stderr, "poolsim: interrupted\n");
            poolsim_sweep_eval_free(ea);
            poolsim_sweep_eval_free(eb);
            poolsim_setlist_free(&sets);
            return poolsim_cli_signal_exit();
        }
        poolsim_compare cm;
        int have = 0;
        if (st == POOLSIM_OK && (st = poolsim_compare_compute(ea, eb, &cm)) == POOLSIM_OK) have = 1;
        poolsim_compare_out oc = {pa, pb, ea, eb, &cm};
        /* the JSON and the CSV are one set (fsio.h) */
        if (st == POOLSIM_OK && (st = poolsim_fsio_begin()) == POOLSIM_OK) {
            if (json) st = poolsim_sweep_write_atomic(json, poolsim_compare_fill_json, &oc);
            if (st == POOLSIM_OK && csv)
                st = poolsim_sweep_write_atomic(csv, poolsim_compare_fill_csv, &oc);
            if (st == POOLSIM_OK)
                st = poolsim_fsio_commit();
            else
                poolsim_fsio_abort();
        }
        if (st == POOLSIM_OK && !quiet) poolsim_compare_print(&oc, stdout);
        if (st == POOLSIM_OK && (plotdir || html)) {
            if (!plotdir) {
                /* the charts beside the HTML report */
                const char *slash = strrchr(html, '/');
                htmldir = slash ? strndup(html, (size_t)(slash - html)) : strdup(".");
                if (htmldir && !*htmldir) {
                    free(htmldir);
                    htmldir = strdup("/");
                }
                if (!htmldir) st = POOLSIM_ENOMEM;
            }
            if (st == POOLSIM_OK)
                st = poolsim_compare_charts_write(&oc, plotdir ? plotdir : htmldir, formats, html);
            free(htmldir);
        }
        if (have) poolsim_compare_free(&cm);
        poolsim_sweep_eval_free(ea);
        poolsim_sweep_eval_free(eb);
        rc = poolsim_cli_exit(st);
        poolsim_setlist_free(&sets);
        return rc;
    }
bad:
    poolsim_setlist_free(&sets);
    compare_usage(stderr);
    return rc;
}
