/* poolsim: the `poolsim summary` command (options, messages, exit status) over
 * the library in src/summary.c. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/jsonout.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/summary.h"

/* ---- poolsim summary ---- */

static void summary_usage(FILE *f)
{
    fputs("usage: poolsim summary RESULTS.h5 [options]\n"
          "      --csv DIR        one CSV file per summary table (UTF-8 with BOM)\n"
          "      --xlsx FILE      one Excel workbook, a sheet per table\n"
          "      --json FILE      the summary JSON (as poolsim run --json)\n"
          "      --lang en|zh     language of the terminal tables and sheet headers\n"
          "  -q, --quiet          no tables on the terminal\n"
          "Prints the key tables: per fund line, the probability that the reserve is\n"
          "exhausted by each year and the reserve ratio; per county, the burden.\n",
          f);
}

int poolsim_cmd_summary(int argc, char **argv)
{
    static const struct option opts[] = {{"csv", required_argument, NULL, 'c'},
                                         {"xlsx", required_argument, NULL, 'x'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"lang", required_argument, NULL, 'L'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *csv = NULL, *xlsx = NULL, *json = NULL, *lang = NULL;
    int quiet = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'c': csv = optarg; break;
        case 'x': xlsx = optarg; break;
        case 'j': json = optarg; break;
        case 'L': lang = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': summary_usage(stdout); return POOLSIM_EXIT_OK;
        default: summary_usage(stderr); return POOLSIM_EXIT_INPUT;
        }
    }
    if (poolsim_cli_check_args("summary", argc - optind, lang, summary_usage))
        return POOLSIM_EXIT_INPUT;
    /* SIGINT/SIGTERM: files not yet renamed are not written (exit 130/143) */
    if (csv || xlsx || json) poolsim_cli_signals();
    signal(SIGPIPE, SIG_IGN);
    poolsim_results *r = NULL;
    int st = poolsim_results_read(argv[optind], &r);
    if (st) return poolsim_status_exit(st);
    int lg = poolsim_plot_lang(r, lang);
    if (!quiet) {
        poolsim_summary_print(r, lg, stdout);
        if (fflush(stdout) != 0 || ferror(stdout)) {
            fprintf(stderr, "poolsim: cannot write to standard output: %s\n", strerror(errno));
            st = POOLSIM_EIO;
        }
    }
    /* every file of the command is one set (fsio.h): the nine tables, the
     * workbook and the JSON are renamed together once all are written, so
     * a failure or a signal leaves the old ones (or none), never a mix */
    if (!st && (csv || xlsx || json)) {
        st = poolsim_fsio_begin();
        if (!st && csv) st = poolsim_summary_write_csv(r, csv, NULL);
        if (!st && xlsx) st = poolsim_summary_write_xlsx(r, lg, xlsx);
        if (!st && json) st = poolsim_jsonout_write(r, json);
        if (!st)
            st = poolsim_fsio_commit();
        else
            poolsim_fsio_abort();
    }
    if (!st && csv) {
        printf("%sCSV files written to %s:\n", quiet ? "" : "\n", csv);
        for (int i = 0; i < POOLSIM_SUMMARY_NTABLES; i++)
            printf("  %s/%s.csv\n", csv, poolsim_summary_tables[i]);
    }
    if (!st && xlsx) printf("Excel workbook written to %s\n", xlsx);
    if (!st && json) printf("summary JSON written to %s\n", json);
    poolsim_results_free(r);
    return poolsim_cli_exit(st);
}
