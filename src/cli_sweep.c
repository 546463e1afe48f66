/* poolsim: the `poolsim sweep` command (options, messages, exit status) over
 * the library in src/sweep.c. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/mpi.h"
#include "poolsim/sweep.h"

static void sweep_usage(FILE *f)
{
    fputs("usage: poolsim sweep SCENARIO --set KEY=V1,V2,... [--set KEY2=...] [options]\n"
          "Runs every point of the lever grid on the same random numbers (same seed and\n"
          "paths) and reports, per point, P(exhausted by the last year) with its interval\n"
          "and the paired difference from the first point.\n"
          "  --set KEY=V1,V2,...  a lever (two or more values) or a fixed override (one\n"
          "                       value); applied in the order given. Values are split at\n"
          "                       commas outside {} [] and quotes: a dated value is\n"
          "                       written '{2021: 0.63, 2024: 0.70}'\n"
          "  -n, --paths N        paths per point (default: simulation.paths)\n"
          "  -s, --seed S         seed of every point (default: simulation.seed)\n"
          "  -t, --threads T      threads (default: OMP_NUM_THREADS, else all cores)\n"
          "  -o, --output FILE    sweep file (HDF5; default: results/<scenario>-sweep.h5)\n"
          "      --csv FILE       also a CSV table, one row per grid point\n"
          "      --plot DIR       also draw the chart into DIR (gnuplot)\n"
          "      --format F       chart format: png (default) or svg\n"
          "  -q, --quiet          no progress and no table\n"
          "      --no-reuse       simulate every path at every point (by default points that\n"
          "                       change only the yearly rules reuse point 0's draws: the\n"
          "                       same results, faster)\n",
          f);
}

static void print_table(const poolsim_sweep_results *w, FILE *f)
{
    int T = w->T;
    fprintf(f, "\n%s: %d grid points, %ld paths each, seed %llu (common random numbers)\n",
            w->scenario_name, w->N, w->paths, w->seed);
    for (int j = 0; j < w->nfixed; j++) fprintf(f, "  fixed: %s\n", w->fixed[j]);
    for (int l = 0; l < w->L; l++) {
        fprintf(f, "\n  line %s (%s): P(exhausted by %d), paired difference from point 1\n",
                w->line_ids[l], w->line_names[l], w->years[T - 1]);
        fprintf(f, "    %5s", "point");
        for (int k = 0; k < w->K; k++) fprintf(f, "  %-14.40s", w->levers[k].key);
        fprintf(f, "  %8s %19s  %9s %21s\n", "P", "95% interval", "diff", "paired 95% interval");
        for (int i = 0; i < w->N; i++) {
            fprintf(f, "    %5d", i + 1);
            for (int k = 0; k < w->K; k++) {
                fprintf(f, "  %-14.40s",
                        w->levers[k].text[w->grid[(size_t)i * (size_t)w->K + (size_t)k]]);
            }
            size_t a = POOLSIM_SW_NLT(w, i, l, T - 1), d = POOLSIM_SW_NL(w, i, l);
            fprintf(f, "  %8.4f [%7.4f, %7.4f]  %+9.4f [%+8.4f, %+8.4f]\n", w->exh_prob[a],
                    w->exh_lo[a], w->exh_hi[a], w->exh_diff.mean[d], w->exh_diff.lo[d],
                    w->exh_diff.hi[d]);
        }
    }
    fputc('\n', f);
}

static int fill_csv(FILE *f, const void *ctx)
{
    return poolsim_sweep_write_csv(ctx, f);
}

int poolsim_cmd_sweep(int argc, char **argv)
{
    static const struct option opts[] = {POOLSIM_CLI_SIZE_LONGOPTS,
                                         {"set", required_argument, NULL, 'S'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"csv", required_argument, NULL, 'c'},
                                         {"plot", required_argument, NULL, 'p'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"no-reuse", no_argument, NULL, 'R'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    poolsim_sweep_opts so = {0};
    poolsim_sweep_lever *levers = calloc((size_t)argc + 1, sizeof *levers);
    const char *output = NULL, *csv = NULL, *plotdir = NULL, *format = "png";
    int quiet = 0, c, nlev = 0, rc = POOLSIM_EXIT_INPUT;
    if (!levers) return POOLSIM_EXIT_FAIL;
    poolsim_cli_size size = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
        case 's':
        case 't':
            if (poolsim_cli_size_option(c, optarg, &size)) goto bad;
            break;
        case 'S':
            if (poolsim_sweep_lever_parse(optarg, &levers[nlev]) != POOLSIM_OK) goto bad;
            nlev++;
            break;
        case 'o': output = optarg; break;
        case 'c': csv = optarg; break;
        case 'p': plotdir = optarg; break;
        case 'f':
            if (strcmp(optarg, "png") != 0 && strcmp(optarg, "svg") != 0) {
                fprintf(stderr, "poolsim: --format: '%s' is not png or svg\n", optarg);
                goto bad;
            }
            format = optarg;
            break;
        case 'q': quiet = 1; break;
        case 'R': so.eval.no_reuse = 1; break;
        case 'h':
            sweep_usage(stdout);
            rc = POOLSIM_EXIT_OK;
            goto out;
        default: goto bad;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "poolsim sweep: expected one SCENARIO argument\n");
        goto bad;
    }
    {
        const char *scen = argv[optind];
        so.nsets = nlev;
        so.sets = levers;
        /* under MPI every rank runs every point (the engine splits the
         * paths); only rank 0 holds all per-path values, writes and prints */
        int root = poolsim_mpi_rank() == 0;
        so.eval.progress = !quiet;
        so.eval.stop = &poolsim_cli_stop;
        so.log = quiet || !root ? NULL : stderr;
        poolsim_cli_size_to_eval(&size, &so.eval);
        char *outpath = output ? strdup(output) : poolsim_cli_default_output(scen, "-sweep.h5");
        if (!outpath) {
            rc = POOLSIM_EXIT_FAIL;
            goto out;
        }
        if (!output && strncmp(outpath, "results/", 8) == 0) mkdir("results", 0777);
        if (poolsim_results_check_writable(outpath) != POOLSIM_OK ||
            (csv && poolsim_results_check_writable(csv) != POOLSIM_OK)) {
            free(outpath);
            rc = POOLSIM_EXIT_IO;
            goto out;
        }
        poolsim_cli_signals();
        poolsim_sweep_results *w = NULL;
        poolsim_results *base = NULL;
        FILE *diag = poolsim_sweep_diag_open();
        int st = poolsim_sweep_run(scen, &so, diag, &w, &base);
        poolsim_sweep_diag_close(diag);
        if (st == POOLSIM_OK && !root) {
            poolsim_sweep_results_free(w);
            poolsim_results_free(base);
            free(outpath);
            rc = POOLSIM_EXIT_OK;
            goto out;
        }
        if (st == POOLSIM_EINTR || (st == POOLSIM_OK && poolsim_cli_stop)) {
            if (root) fprintf(stderr, "poolsim: interrupted; no results written\n");
            poolsim_sweep_results_free(w);
            poolsim_results_free(base);
            free(outpath);
            rc = poolsim_cli_signal_exit();
            goto out;
        }
        /* the sweep file, the CSV and the charts are one set (fsio.h) */
        if (st == POOLSIM_OK && (st = poolsim_fsio_begin()) == POOLSIM_OK) {
            st = poolsim_sweep_write(w, base, outpath);
            if (st == POOLSIM_OK && csv) st = poolsim_sweep_write_atomic(csv, fill_csv, w);
            if (st == POOLSIM_OK && plotdir)
                st = poolsim_sweep_plot(w, plotdir, format, quiet ? NULL : stdout);
            if (st == POOLSIM_OK)
                st = poolsim_fsio_commit();
            else
                poolsim_fsio_abort();
        }
        if (st != POOLSIM_OK && st != POOLSIM_EINPUT && w) {
            /* HDF5's exit handlers can crash after a failed write: leave at once */
            fflush(stdout);
            fflush(stderr);
            int ex = poolsim_cli_exit(st);
            fflush(stderr);
            _exit(ex);
        }
        if (st == POOLSIM_OK && !quiet) {
            print_table(w, stdout);
            printf("sweep: %s%s%s\n", outpath, csv ? "  table: " : "", csv ? csv : "");
        }
        rc = poolsim_cli_exit(st);
        poolsim_sweep_results_free(w);
        poolsim_results_free(base);
        free(outpath);
        goto out;
    }
bad:
    sweep_usage(stderr);
    rc = POOLSIM_EXIT_INPUT;
out:
    for (int i = 0; i < nlev; i++) poolsim_sweep_lever_free(&levers[i]);
    free(levers);
    return rc;
}
