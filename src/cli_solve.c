/* poolsim: the `poolsim solve` command (options, messages, exit status) over
 * the library in src/solve.c. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/mpi.h"
#include "poolsim/stats.h"
#include "poolsim/sweep.h"

static void solve_usage(FILE *f)
{
    fputs("usage: poolsim solve SCENARIO --vary KEY=LO:HI --target EXPR [options]\n"
          "Finds by bisection, on common random numbers, the value of KEY in [LO, HI]\n"
          "where the target starts to hold, and reports the value on the side where it\n"
          "holds, the metric there with its 95% interval, and the number of runs.\n"
          "  --vary KEY=LO:HI     the lever (any numeric scenario key, as for --set; a\n"
          "                       year of a dated value: KEY.YEAR, see docs/STRESS.md)\n"
          "  --target EXPR        exhaustion_prob[LINE,YEAR] <= X\n"
          "                       county_burden_p95[LINE,COUNTY,YEAR] <= X\n"
          "                       county_burden_total_p95[LINE,COUNTY] <= X   (or >=)\n"
          "                       city_burden_total_p95[LINE] <= X\n"
          "                       government_burden_total_p95[LINE] <= X\n"
          "                       low_months_prob[LINE,YEAR] <= X\n"
          "  --tol X              stop when the bracket is narrower than X\n"
          "                       (default: 0.001 (HI - LO))\n"
          "  --max-evals N        at most N runs, both ends included (default 30)\n"
          "  --conservative       test the end of the metric's 95% interval instead of\n"
          "                       the estimate (the target then holds with confidence)\n"
          "      --set KEY=VALUE  fixed override, applied before the varied key (repeatable)\n"
          "  -n, --paths N        paths per run (default: simulation.paths)\n"
          "  -s, --seed S         seed of every run (default: simulation.seed)\n"
          "  -t, --threads T      threads\n"
          "      --json FILE      {\"value\", \"metric\", \"ci\", \"evaluations\", ...}\n"
          "  -q, --quiet          no progress\n"
          "      --target-ci H    solve on 1,000, 2,000, 4,000, ... paths until the metric's\n"
          "                       95% interval at the answer has half-width <= H (not with -n)\n"
          "      --max-paths M    at most M paths with --target-ci (default 1000000)\n"
          "      --no-reuse       simulate every path at every value (by default a lever\n"
          "                       that changes only the yearly rules reuses the first run's\n"
          "                       draws: the same results, faster)\n"
          "exit status 2 when the target holds at both ends or at neither.\n",
          f);
}

static int parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) goto bad;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) goto bad;
    *out = v;
    return 0;
bad:
    fprintf(stderr, "poolsim: %s: '%s' is not a finite decimal number\n", opt, s);
    return -1;
}

/* "KEY=LO:HI" */
static int parse_vary(const char *arg, char **key, double *lo, double *hi)
{
    const char *eq = strrchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(
            stderr,
            "poolsim: --vary: '%s' is not KEY=LO:HI (expected e.g. reserve.levy_rate=0.02:0.2)\n",
            arg);
        return -1;
    }
    const char *colon = strchr(eq + 1, ':');
    if (!colon) {
        fprintf(stderr, "poolsim: --vary: '%s': no ':' between LO and HI\n", arg);
        return -1;
    }
    char a[64], b[64];
    size_t la = (size_t)(colon - eq - 1), lb = strlen(colon + 1);
    if (la == 0 || lb == 0 || la >= sizeof a || lb >= sizeof b) {
        fprintf(stderr, "poolsim: --vary: '%s': LO and HI must be numbers\n", arg);
        return -1;
    }
    memcpy(a, eq + 1, la);
    a[la] = '\0';
    memcpy(b, colon + 1, lb + 1);
    if (parse_double("--vary LO", a, lo) || parse_double("--vary HI", b, hi)) return -1;
    if (!(*lo < *hi)) {
        fprintf(stderr, "poolsim: --vary: '%s': LO must be below HI\n", arg);
        return -1;
    }
    *key = strndup(arg, (size_t)(eq - arg));
    return *key ? 0 : -1;
}

typedef struct {
    const poolsim_solve_opts *o;
    const poolsim_solve_result *r;
} json_ctx;

static int fill_json(FILE *f, const void *vctx)
{
    const json_ctx *c = vctx;
    const poolsim_solve_result *r = c->r;
    json_t *pts = json_array();
    for (int i = 0; i < r->n && pts; i++)
        json_array_append_new(pts, json_pack("{s:f,s:f,s:[f,f]}", "value", r->x[i], "metric",
                                             r->m[i], "ci", r->mlo[i], r->mhi[i]));
    json_t *j = json_pack("{s:f,s:f,s:[f,f],s:i,s:s,s:s,s:f,s:b,s:b,s:I,s:s,s:o}", "value",
                          r->value, "metric", r->metric, "ci", r->lo, r->hi, "evaluations",
                          r->evaluations, "key", c->o->key, "target", c->o->target.text,
                          "infeasible_value", r->infeasible, "converged", r->converged, "monotone",
                          r->monotone, "paths", (json_int_t)r->paths, "seed", "", "points", pts);
    if (!j) return POOLSIM_ENOMEM;
    json_object_set_new(j, "conservative", json_boolean(c->o->conservative));
    if (c->o->target_ci > 0) {
        json_object_set_new(j, "target_ci", json_real(c->o->target_ci));
        json_object_set_new(j, "halfwidth", json_real(r->halfwidth));
        json_object_set_new(j, "solves", json_integer(r->rounds));
    }
    if (r->seed <= (unsigned long long)LLONG_MAX) {
        json_object_set_new(j, "seed", json_integer((json_int_t)r->seed));
    } else {
        char seed[32];
        snprintf(seed, sizeof seed, "%llu", r->seed);
        json_object_set_new(j, "seed", json_string(seed));
    }
    int rc = json_dumpf(j, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(j);
    fputc('\n', f);
    return rc == 0 ? POOLSIM_OK : POOLSIM_EIO;
}

int poolsim_cmd_solve(int argc, char **argv)
{
    static const struct option opts[] = {{"vary", required_argument, NULL, 'v'},
                                         {"target", required_argument, NULL, 'g'},
                                         {"tol", required_argument, NULL, 'T'},
                                         {"max-evals", required_argument, NULL, 'm'},
                                         {"set", required_argument, NULL, 'S'},
                                         POOLSIM_CLI_SIZE_LONGOPTS,
                                         {"json", required_argument, NULL, 'j'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"conservative", no_argument, NULL, 'C'},
                                         {"no-reuse", no_argument, NULL, 'R'},
                                         {"target-ci", required_argument, NULL, 'I'},
                                         {"max-paths", required_argument, NULL, 'M'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    poolsim_solve_opts so = {0};
    poolsim_setlist sets = {0};
    char *key = NULL;
    const char *json = NULL;
    int have_target = 0, quiet = 0, c, rc = POOLSIM_EXIT_INPUT;
    long v;
    poolsim_cli_size size = {0};
    optind = 1;
    while ((c = getopt_long(argc, argv, "n:s:t:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'v':
            free(key);
            key = NULL;
            if (parse_vary(optarg, &key, &so.lo, &so.hi)) goto bad;
            break;
        case 'g':
            if (poolsim_solve_target_parse(optarg, &so.target) != POOLSIM_OK) goto bad;
            have_target = 1;
            break;
        case 'T':
            if (parse_double("--tol", optarg, &so.tol)) goto bad;
            if (!(so.tol > 0)) {
                fprintf(stderr, "poolsim: --tol: must be positive\n");
                goto bad;
            }
            break;
        case 'm':
            if (poolsim_cli_parse_long("--max-evals", optarg, 2, 1000, &v)) goto bad;
            so.max_evals = (int)v;
            break;
        case 'S':
            if (poolsim_setlist_add(&sets, optarg)) goto bad;
            break;
        case 'n':
        case 's':
        case 't':
            if (poolsim_cli_size_option(c, optarg, &size)) goto bad;
            break;
        case 'j': json = optarg; break;
        case 'q': quiet = 1; break;
        case 'C': so.conservative = 1; break;
        case 'R': so.eval.no_reuse = 1; break;
        case 'I':
            if (poolsim_cli_parse_double("--target-ci", optarg, 0, 0.5, &so.target_ci)) goto bad;
            break;
        case 'M':
            if (poolsim_cli_parse_long("--max-paths", optarg, 1, 2000000000L, &v)) goto bad;
            so.max_paths = v;
            break;
        case 'h':
            solve_usage(stdout);
            rc = POOLSIM_EXIT_OK;
            goto out;
        default: goto bad;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "poolsim solve: expected one SCENARIO argument\n");
        goto bad;
    }
    if (!key || !have_target) {
        fprintf(stderr, "poolsim solve: --vary KEY=LO:HI and --target EXPR are required\n");
        goto bad;
    }
    if (so.target_ci > 0 && size.paths > 0) {
        fprintf(stderr, "poolsim solve: --target-ci chooses the number of paths: give it or -n, "
                        "not both\n");
        goto bad;
    }
    if (so.max_paths > 0 && !(so.target_ci > 0)) {
        fprintf(stderr, "poolsim solve: --max-paths needs --target-ci\n");
        goto bad;
    }
    {
        const char *scen = argv[optind];
        so.key = key;
        so.nsets = sets.n;
        so.sets = sets.v;
        int root = poolsim_mpi_rank() == 0; /* only rank 0 writes and prints */
        so.eval.progress = 0;
        so.eval.stop = &poolsim_cli_stop;
        so.log = quiet || !root ? NULL : stderr;
        poolsim_cli_size_to_eval(&size, &so.eval);
        if (json && poolsim_results_check_writable(json) != POOLSIM_OK) {
            rc = POOLSIM_EXIT_IO;
            goto out;
        }
        poolsim_cli_signals();
        poolsim_solve_result r;
        FILE *diag = poolsim_sweep_diag_open();
        int st = poolsim_solve_run(scen, &so, diag, &r);
        poolsim_sweep_diag_close(diag);
        if (st == POOLSIM_OK && !root) {
            poolsim_solve_result_free(&r);
            rc = POOLSIM_EXIT_OK;
            goto out;
        }
        if (st == POOLSIM_EINTR || (st == POOLSIM_OK && poolsim_cli_stop)) {
            if (root) fprintf(stderr, "poolsim: interrupted\n");
            if (st == POOLSIM_OK) poolsim_solve_result_free(&r);
            rc = poolsim_cli_signal_exit();
            goto out;
        }
        if (st == POOLSIM_OK && json) {
            json_ctx jc = {&so, &r};
            st = poolsim_sweep_write_atomic(json, fill_json, &jc);
        }
        if (st == POOLSIM_EINTR) {
            poolsim_solve_result_free(&r);
            rc = poolsim_cli_exit(st);
            goto out;
        }
        if (st == POOLSIM_OK) {
            char a[40], b[40];
            poolsim_format_double(r.value, a, sizeof a);
            poolsim_format_double(r.infeasible, b, sizeof b);
            printf("solve: %s such that %s%s\n", key, so.target.text,
                   so.conservative ? "  (tested on the 95% interval bound)" : "");
            printf("  value       %s = %s   (target holds here; fails at %s)\n", key, a, b);
            printf("  metric      %.6g   95%% interval [%.6g, %.6g]\n", r.metric, r.lo, r.hi);
            printf("  evaluations %d  (%ld paths each, seed %llu, common random numbers)%s%s\n",
                   r.evaluations, r.paths, r.seed, r.converged ? "" : "  NOT CONVERGED",
                   r.monotone ? "" : "  NOT MONOTONE");
            if (so.target_ci > 0) {
                long cap = so.max_paths > 0 ? so.max_paths : POOLSIM_CI_MAX_PATHS;
                printf("  precision   --target-ci %g %s with %ld paths (%d solves; 95%% "
                       "half-width %.4g)\n",
                       so.target_ci, r.halfwidth <= so.target_ci ? "reached" : "NOT reached",
                       r.paths, r.rounds, r.halfwidth);
                if (r.halfwidth > so.target_ci)
                    fprintf(stderr,
                            "poolsim: warning: --target-ci %g not reached with --max-paths %ld\n",
                            so.target_ci, cap);
            }
            poolsim_solve_result_free(&r);
        }
        rc = poolsim_status_exit(st);
        goto out;
    }
bad:
    solve_usage(stderr);
    rc = POOLSIM_EXIT_INPUT;
out:
    free(key);
    poolsim_setlist_free(&sets);
    return rc;
}
