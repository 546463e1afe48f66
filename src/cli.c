/* poolsim: command dispatch and shared command-line helpers. */
#include "poolsim/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <jansson.h>
#include <yaml.h>

#include "poolsim/common.h"

#ifndef POOLSIM_GIT_COMMIT
#define POOLSIM_GIT_COMMIT "unknown"
#endif
#ifndef POOLSIM_CFLAGS
#define POOLSIM_CFLAGS "unknown"
#endif

volatile sig_atomic_t poolsim_cli_stop = 0;

static void on_signal(int sig)
{
    poolsim_cli_stop = sig;
}

void poolsim_cli_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit must give a write error (EFBIG), not kill us */
    signal(SIGXFSZ, SIG_IGN);
}

int poolsim_cli_signal_exit(void)
{
    return poolsim_cli_stop == SIGTERM ? POOLSIM_EXIT_SIGTERM : POOLSIM_EXIT_SIGINT;
}

int poolsim_setlist_add(poolsim_setlist *sl, const char *kv)
{
    if (sl->n == sl->cap) {
        int cap = sl->cap ? 2 * sl->cap : 8;
        const char **v = realloc(sl->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        sl->v = v;
        sl->cap = cap;
    }
    sl->v[sl->n++] = kv;
    return 0;
}

void poolsim_setlist_free(poolsim_setlist *sl)
{
    free(sl->v);
    sl->v = NULL;
    sl->n = sl->cap = 0;
}

int poolsim_cli_parse_long(const char *opt, const char *text, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < lo || v > hi) {
        fprintf(stderr, "poolsim: %s: '%s' is not a whole number in %ld..%ld\n", opt, text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

void poolsim_cli_now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *dup_or_null(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

int poolsim_cli_provenance(poolsim_results *r, double run_seconds, const char *start_time)
{
    char build[1024];
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(build, sizeof build,
             "compiler: gcc %s; flags: %s; GSL %s; HDF5 %u.%u.%u; jansson %s; libyaml %s",
             __VERSION__, POOLSIM_CFLAGS, GSL_VERSION, maj, min, rel, JANSSON_VERSION,
             yaml_get_version_string());
    free(r->version);
    free(r->git_commit);
    free(r->build_info);
    free(r->start_time);
    r->version = dup_or_null(POOLSIM_VERSION);
    r->git_commit = dup_or_null(POOLSIM_GIT_COMMIT);
    r->build_info = dup_or_null(build);
    r->start_time = dup_or_null(start_time);
    r->run_seconds = run_seconds;
    return (r->version && r->git_commit && r->build_info && r->start_time) ? POOLSIM_OK
                                                                           : POOLSIM_ENOMEM;
}

char *poolsim_cli_default_output(const char *scenario_path, const char *suffix)
{
    const char *base = strrchr(scenario_path, '/');
    base = base ? base + 1 : scenario_path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base) n = (size_t)(dot - base);
    size_t len = strlen("results/") + n + strlen(suffix) + 1;
    char *out = malloc(len);
    if (out) snprintf(out, len, "results/%.*s%s", (int)n, base, suffix);
    return out;
}

static void usage(FILE *f)
{
    fputs("usage: poolsim COMMAND [ARGS]\n"
          "\n"
          "Projects the pooled medical-insurance funds of a city's counties and\n"
          "applies the city-level pooling rules (levy, reserve, tiered sharing).\n"
          "\n"
          "commands:\n"
          "  check SCENARIO [--set K=V]...        validate; print parameters and year-1 ratios\n"
          "  settle SCENARIO FLOWS.csv [--csv OUT] apply the rules to actual yearly figures\n"
          "  run SCENARIO [options]                Monte Carlo projection -> results/*.h5\n"
          "  schema [--markdown]                  every output of a run (docs/RESULTS.md)\n",
          f);
    if (poolsim_cmd_plot) fputs("  plot RESULTS.h5 [-o DIR]             charts (gnuplot)\n", f);
    if (poolsim_cmd_report)
        fputs("  report RESULTS.h5 [-o FILE.html]     self-contained HTML report\n", f);
    if (poolsim_cmd_summary)
        fputs("  summary RESULTS.h5 [--csv DIR] [--xlsx FILE] [--json FILE]\n", f);
    if (poolsim_cmd_sweep)
        fputs("  sweep SCENARIO --set K=V1,V2,...     lever grid on common random numbers\n", f);
    if (poolsim_cmd_solve)
        fputs("  solve SCENARIO --vary K=LO:HI --target EXPR   goal-seek a lever\n", f);
    if (poolsim_cmd_compare)
        fputs("  compare A.yaml B.yaml                paired comparison of two scenarios\n", f);
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
    struct {
        const char *name;
        int (*fn)(int, char **);
    } cmds[] = {
        {"run", poolsim_cmd_run},         {"check", poolsim_cmd_check},
        {"settle", poolsim_cmd_settle},   {"plot", poolsim_cmd_plot},
        {"report", poolsim_cmd_report},   {"summary", poolsim_cmd_summary},
        {"sweep", poolsim_cmd_sweep},     {"solve", poolsim_cmd_solve},
        {"compare", poolsim_cmd_compare}, {"schema", poolsim_cmd_schema},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(cmd, cmds[i].name) != 0) continue;
        if (!cmds[i].fn) break;
        return cmds[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "poolsim: unknown command '%s' (expected check, settle, run%s%s%s%s%s%s)\n",
            cmd, poolsim_cmd_plot ? ", plot" : "", poolsim_cmd_report ? ", report" : "",
            poolsim_cmd_summary ? ", summary" : "", poolsim_cmd_sweep ? ", sweep" : "",
            poolsim_cmd_solve ? ", solve" : "", poolsim_cmd_compare ? ", compare" : "");
    return POOLSIM_EXIT_INPUT;
}
