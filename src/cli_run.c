/* poolsim: `poolsim run` -- the Monte Carlo projection. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/cli.h"
#include "poolsim/provenance.h"
#include "poolsim/engine.h"
#include "poolsim/fsio.h"
#include "poolsim/h5out.h"
#include "poolsim/jsonout.h"
#include "poolsim/mpi.h"
#include "poolsim/plot.h"
#include "poolsim/runsum.h"

static void run_usage(FILE *f)
{
    fputs("usage: poolsim run SCENARIO [options]\n"
          "  -n, --paths N        number of paths (default: simulation.paths)\n"
          "      --target-ci H    add paths (1,000, 2,000, 4,000, ...) until the 95% half-width\n"
          "                       of every P(exhausted by year) is <= H (instead of -n)\n"
          "      --max-paths M    at most M paths with --target-ci (default 1000000)\n"
          "  -s, --seed S         random seed (default: simulation.seed)\n"
          "  -t, --threads T      threads (default: OMP_NUM_THREADS, else all cores)\n"
          "      --set KEY=VALUE  override a scenario key (repeatable)\n"
          "  -o, --output FILE    HDF5 results (default: results/<scenario>.h5)\n"
          "      --json FILE      also write the summary JSON\n"
          "      --save-paths     keep per-path values in the HDF5 file\n"
          "      --strict         plausibility warnings (rates above 0.5 a year, year-1\n"
          "                       expenditure/financing outside 0.3..3) are errors\n"
          "  -q, --quiet          no progress bar and no summary\n",
          f);
}

/* Create the folder of `path` when it is the default results/ folder. */
static void ensure_results_dir(const char *path)
{
    if (strncmp(path, "results/", 8) == 0) mkdir("results", 0777);
}

/* The run's provenance and scenario texts in r: the frame's before the
 * run (secs 0), the results' after it. */
static int add_provenance(poolsim_results *r, const poolsim_scenario *s, double secs,
                          const char *start)
{
    int st = poolsim_provenance_fill(r, secs, start);
    free(r->scenario_text);
    r->scenario_text = s->source_text ? strdup(s->source_text) : strdup("");
    free(r->resolved_text);
    r->resolved_text = poolsim_scenario_resolved_text(s);
    if (st == POOLSIM_OK && (!r->scenario_text || !r->resolved_text)) st = POOLSIM_ENOMEM;
    return st;
}

/* The frame's provenance (poolsim_h5out_prepare_fn: while the skeleton
 * is built, on the engine's thread that builds it; provenance calls
 * HDF5). */
typedef struct {
    const poolsim_scenario *s;
    const char *start;
} frame_arg;

static int frame_provenance(poolsim_results *frame, void *arg)
{
    const frame_arg *a = arg;
    return add_provenance(frame, a->s, 0, a->start);
}

int poolsim_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {POOLSIM_CLI_SIZE_LONGOPTS,
                                         {"set", required_argument, NULL, 'S'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"json", required_argument, NULL, 'j'},
                                         {"save-paths", no_argument, NULL, 'P'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"strict", no_argument, NULL, 'T'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"target-ci", required_argument, NULL, 'C'},
                                         {"max-paths", required_argument, NULL, 'M'},
                                         {NULL, 0, NULL, 0}};
    long paths = -1, threads = 0, max_paths = -1;
    double target_ci = 0;
    poolsim_cli_size size = {0};
    const char *output = NULL, *json = NULL;
    int save = 0, quiet = 0, strict = 0, c;
    poolsim_setlist sets = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:o:qh", opts, NULL)) != -1) {
        long v;
        switch (c) {
        case 'n':
            if (poolsim_cli_parse_long("--paths", optarg, 1, 2000000000L, &paths)) goto bad;
            break;
        case 's': /* the one seed parser (0..2^64-1, as simulation.seed) */
            if (poolsim_cli_size_option('s', optarg, &size)) goto bad;
            break;
        case 't':
            if (poolsim_cli_parse_long("--threads", optarg, 1, 1024, &v)) goto bad;
            threads = v;
            break;
        case 'C':
            if (poolsim_cli_parse_double("--target-ci", optarg, 0, 0.5, &target_ci)) goto bad;
            break;
        case 'M':
            if (poolsim_cli_parse_long("--max-paths", optarg, 1, 2000000000L, &max_paths)) goto bad;
            break;
        case 'S':
            if (poolsim_setlist_add(&sets, optarg)) goto bad;
            break;
        case 'o': output = optarg; break;
        case 'j': json = optarg; break;
        case 'P': save = 1; break;
        case 'T': strict = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            run_usage(stdout);
            poolsim_setlist_free(&sets);
            return POOLSIM_EXIT_OK;
        default: goto bad;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "poolsim run: expected one SCENARIO argument\n");
        goto bad;
    }
    if (target_ci > 0 && paths > 0) {
        fprintf(stderr, "poolsim run: --target-ci chooses the number of paths: give it or -n, "
                        "not both\n");
        goto bad;
    }
    if (max_paths > 0 && !(target_ci > 0)) {
        fprintf(stderr, "poolsim run: --max-paths needs --target-ci\n");
        goto bad;
    }
    if (target_ci > 0 && max_paths < 0) max_paths = POOLSIM_CI_MAX_PATHS;
    const char *scen_path = argv[optind];
    poolsim_load_opts lo = {.nsets = sets.n,
                            .sets = sets.v,
                            .paths = paths,
                            .seed = -1,
                            .seed_given = size.seed_given,
                            .seed_value = size.seed,
                            .strict = strict};
    poolsim_scenario *s = NULL;
    int root = poolsim_mpi_rank() == 0;
    FILE *diag = root ? stderr : fopen("/dev/null", "w");
    int st = poolsim_scenario_load(scen_path, &lo, diag ? diag : stderr, &s);
    if (!root && diag) fclose(diag);
    poolsim_setlist_free(&sets);
    if (st != POOLSIM_OK) return poolsim_status_exit(st);
    {
        /* plausibility of the year-1 ratios (warnings; errors under --strict) */
        poolsim_plan *pl = NULL;
        if (poolsim_plan_build_ex(s, POOLSIM_PLAN_NO_TABLES, 1, &pl) == POOLSIM_OK) {
            int nw = poolsim_cli_ratio_warnings(s, pl, strict, root ? stderr : NULL);
            poolsim_plan_free(pl);
            if (nw > 0 && strict) {
                poolsim_scenario_free(s);
                return POOLSIM_EXIT_INPUT;
            }
        }
    }

    char *outpath = output ? strdup(output) : poolsim_cli_default_output(scen_path, ".h5");
    if (!outpath) {
        poolsim_scenario_free(s);
        return POOLSIM_EXIT_FAIL;
    }
    if (json && poolsim_cli_same_file(outpath, json)) {
        fprintf(stderr, "poolsim run: -o and --json name the same file %s (expected two files)\n",
                json);
        poolsim_scenario_free(s);
        free(outpath);
        return POOLSIM_EXIT_INPUT;
    }
    if (!output) ensure_results_dir(outpath);
    /* refuse an unwritable destination before a long run, not after */
    if (root && ((st = poolsim_results_check_writable(outpath)) != POOLSIM_OK ||
                 (json && (st = poolsim_results_check_writable(json)) != POOLSIM_OK))) {
        poolsim_scenario_free(s);
        free(outpath);
        return poolsim_status_exit(st);
    }
    if (threads <= 0) {
        const char *env = getenv("OMP_NUM_THREADS");
        long v;
        if (env && *env && poolsim_cli_parse_long("OMP_NUM_THREADS", env, 1, 1024, &v) == 0)
            threads = v;
    }
    poolsim_cli_signals();
    char start[32];
    poolsim_now_iso(start, sizeof start);
    double t0 = poolsim_now_seconds();
    poolsim_engine_opts eo = {.paths = s->paths,
                              .seed = s->seed,
                              .threads = (int)threads,
                              .save_paths = save,
                              .progress = !quiet,
                              .stop = &poolsim_cli_stop};
    poolsim_results *r = NULL;
    poolsim_saved_paths *sp = NULL;
    double halfwidth = 0;
    /* the results file's skeleton is built by one of the engine's threads
     * while the others start on the paths (h5out.h; the engine never calls
     * HDF5); only rank 0 writes, and --target-ci's path count is not known
     * before */
    poolsim_results *frame = NULL;
    poolsim_h5out_skeleton *skel = NULL;
    frame_arg fa = {s, start};
    if (root && !(target_ci > 0) && !save && poolsim_engine_frame(s, &eo, &frame) == POOLSIM_OK &&
        (skel = poolsim_h5out_begin(frame, frame_provenance, &fa))) {
        eo.side = poolsim_h5out_build;
        eo.side_arg = skel;
    }
    if (target_ci > 0) {
        /* runs of 1,000, 2,000, 4,000, ... paths, each extending the one before */
        for (int k = 0;; k++) {
            eo.paths = poolsim_engine_ci_paths(k, max_paths);
            poolsim_results_free(r);
            poolsim_saved_paths_free(sp);
            r = NULL;
            sp = NULL;
            st = poolsim_engine_run(s, &eo, &r, save ? &sp : NULL);
            if (st != POOLSIM_OK || poolsim_cli_stop) break;
            halfwidth = poolsim_engine_exhaustion_halfwidth(r);
            if (halfwidth <= target_ci || eo.paths >= max_paths) break;
        }
    } else {
        st = poolsim_engine_run(s, &eo, &r, save ? &sp : NULL);
    }
    double secs = poolsim_now_seconds() - t0;
    /* peak resident memory of every rank, for the closing line */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    int nranks = poolsim_mpi_size();
    double *peak = calloc((size_t)nranks, sizeof(double));
    if (!peak) {
        poolsim_h5out_discard(skel);
        fprintf(stderr, "poolsim: out of memory\n");
        poolsim_mpi_abort(POOLSIM_EXIT_FAIL);
        return POOLSIM_EXIT_FAIL;
    }
    poolsim_mpi_gather_double((double)ru.ru_maxrss / 1024.0, peak);
    if (st == POOLSIM_OK && !root) {
        /* only rank 0 writes and prints; it holds the same results */
        poolsim_results_free(r);
        poolsim_saved_paths_free(sp);
        poolsim_scenario_free(s);
        free(outpath);
        free(peak);
        return POOLSIM_EXIT_OK;
    }
    if (st != POOLSIM_OK || poolsim_cli_stop) {
        poolsim_h5out_discard(skel);
        skel = NULL;
        poolsim_results_free(frame);
        frame = NULL;
    }
    if (st == POOLSIM_EINTR || (st == POOLSIM_OK && poolsim_cli_stop)) {
        if (root) fprintf(stderr, "poolsim: interrupted; no results written\n");
        poolsim_results_free(r);
        poolsim_saved_paths_free(sp);
        poolsim_scenario_free(s);
        free(outpath);
        free(peak);
        return poolsim_cli_signal_exit();
    }
    if (st != POOLSIM_OK) {
        poolsim_scenario_free(s);
        free(outpath);
        free(peak);
        return poolsim_status_exit(st);
    }
    st = add_provenance(r, s, secs, start);
    /* the .h5 and the JSON are one set: both are written and synced under
     * temporary names, then renamed together (fsio.h), so no reader finds
     * a new .h5 beside an old JSON */
    if (st == POOLSIM_OK) st = poolsim_fsio_begin();
    if (st == POOLSIM_OK) {
        st = poolsim_h5out_finish(skel, r, sp, outpath, NULL);
        skel = NULL;
        if (st == POOLSIM_OK && json) st = poolsim_jsonout_write(r, json);
        if (st == POOLSIM_OK)
            st = poolsim_fsio_commit();
        else
            poolsim_fsio_abort();
    }
    poolsim_h5out_discard(skel);
    poolsim_results_free(frame);
    if (st != POOLSIM_OK) {
        /* HDF5's exit handlers can crash after a failed write: leave at once */
        int ex = poolsim_cli_exit(st);
        fflush(stdout);
        fflush(stderr);
        _exit(ex);
    }
    if (target_ci > 0 && halfwidth > target_ci)
        fprintf(stderr,
                "poolsim: warning: --target-ci %g not reached with --max-paths %ld: the largest "
                "95%% half-width of P(exhausted by year) is %.4g\n",
                target_ci, max_paths, halfwidth);
    if (!quiet) {
        int zh = poolsim_plot_lang(r, NULL) == POOLSIM_LANG_ZH;
        poolsim_runsum_print(r, zh ? POOLSIM_LANG_ZH : POOLSIM_LANG_EN, stdout);
        if (target_ci > 0)
            printf(zh ? "精度：--target-ci %g %s，用了 %ld 条路径（P(到该年已耗尽) 的 95%% "
                        "区间最大半宽 %.4g）\n"
                      : "precision: --target-ci %g %s with %ld paths (largest 95%% half-width "
                        "of P(exhausted by year): %.4g)\n",
                   target_ci,
                   halfwidth <= target_ci ? (zh ? "已达到" : "reached")
                                          : (zh ? "未达到" : "NOT reached"),
                   r->paths, halfwidth);
        printf(zh ? "结果：%s%s%s（%.1f 秒，每秒 %ld 条路径，内存峰值"
                  : "results: %s%s%s  (%.1f s, %ld paths/s, peak memory",
               outpath, json ? (zh ? "  摘要：" : "  summary: ") : "", json ? json : "", secs,
               secs > 0 ? (long)((double)r->paths / secs) : 0L);
        for (int k = 0; k < nranks; k++) printf("%s %.0f", k ? "," : "", peak[k]);
        printf(zh ? " MiB%s）\n" : " MiB%s)\n",
               nranks > 1 ? (zh ? "（每个进程）" : " per rank") : "");
    }
    poolsim_results_free(r);
    poolsim_saved_paths_free(sp);
    poolsim_scenario_free(s);
    free(outpath);
    free(peak);
    return POOLSIM_EXIT_OK;

bad:
    poolsim_setlist_free(&sets);
    run_usage(stderr);
    return POOLSIM_EXIT_INPUT;
}
