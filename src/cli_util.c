/* poolsim: helpers shared by the commands (src/cli_*.c): signals, option
 * parsing, the results file of plot/report/summary, default paths. */
#define _DEFAULT_SOURCE /* realpath */
#include "poolsim/cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/plan.h"
#include "poolsim/plot.h"
#include "poolsim/sweep.h"

static void on_signal(int sig)
{
    poolsim_stop_signal = sig;
}

void poolsim_cli_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* a file whose commit finds the flag set is not published */
    poolsim_fsio_set_stop(&poolsim_stop_signal);
    signal(SIGPIPE, SIG_IGN);
    /* a file size limit must give a write error (EFBIG), not kill us */
    signal(SIGXFSZ, SIG_IGN);
}

int poolsim_cli_signal_exit(void)
{
    return poolsim_stop_signal == SIGTERM ? POOLSIM_EXIT_SIGTERM : POOLSIM_EXIT_SIGINT;
}

int poolsim_cli_exit(int status)
{
    if (status == POOLSIM_EINTR) {
        fprintf(stderr, "poolsim: interrupted; no file written\n");
        return poolsim_cli_signal_exit();
    }
    return poolsim_status_exit(status);
}

/* "<real folder>/<base name>" of a file that may not exist yet. */
static char *canonical(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dl = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(dl + 2);
    if (!dir) return NULL;
    if (!slash) {
        strcpy(dir, ".");
    } else {
        memcpy(dir, path, dl ? dl : 1);
        dir[dl ? dl : 1] = '\0';
    }
    char *real = realpath(dir, NULL);
    free(dir);
    if (!real) return NULL;
    size_t n = strlen(real) + strlen(base) + 2;
    char *out = malloc(n);
    if (out) snprintf(out, n, "%s/%s", real, base);
    free(real);
    return out;
}

int poolsim_cli_same_file(const char *a, const char *b)
{
    if (!a || !b) return 0;
    if (strcmp(a, b) == 0) return 1;
    struct stat sa, sb;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    char *ca = canonical(a), *cb = canonical(b);
    int same = ca && cb && strcmp(ca, cb) == 0;
    free(ca);
    free(cb);
    return same;
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

int poolsim_cli_parse_double(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    int ok = *text != 0;
    for (const char *p = text; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) ok = 0;
    double v = ok ? strtod(text, &end) : 0;
    if (!ok || errno || end == text || *end || !isfinite(v) || !(v > lo) || v > hi) {
        fprintf(stderr, "poolsim: %s: '%s' is not a decimal number above %g and at most %g\n", opt,
                text, lo, hi);
        return -1;
    }
    *out = v;
    return 0;
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

/* ---- -n/--paths, -s/--seed, -t/--threads: one parser for every command ---- */

static int parse_seed(const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long u = strtoull(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || text[0] == '+') {
        fprintf(stderr, "poolsim: --seed: '%s' is not a whole number in 0..%llu\n", text,
                ULLONG_MAX);
        return -1;
    }
    *out = u;
    return 0;
}

int poolsim_cli_size_option(int c, const char *arg, poolsim_cli_size *o)
{
    long v;
    switch (c) {
    case 'n':
        if (poolsim_cli_parse_long("--paths", arg, 1, 2000000000L, &v)) return -1;
        o->paths = v;
        return 0;
    case 's':
        if (parse_seed(arg, &o->seed)) return -1;
        o->seed_given = 1;
        return 0;
    case 't':
        if (poolsim_cli_parse_long("--threads", arg, 1, 1024, &v)) return -1;
        o->threads = (int)v;
        return 0;
    default: return 1;
    }
}

void poolsim_cli_size_env_threads(poolsim_cli_size *o)
{
    if (o->threads > 0) return;
    const char *env = getenv("OMP_NUM_THREADS");
    long v;
    if (env && *env && poolsim_cli_parse_long("OMP_NUM_THREADS", env, 1, 1024, &v) == 0)
        o->threads = (int)v;
}

void poolsim_cli_size_to_eval(poolsim_cli_size *size, poolsim_sweep_eval_opts *o)
{
    poolsim_cli_size_env_threads(size);
    o->paths = size->paths;
    o->seed_given = size->seed_given;
    o->seed = size->seed;
    o->threads = size->threads;
}

int poolsim_cli_check_args(const char *cmd, int nargs, const char *lang, void (*usage)(FILE *))
{
    if (nargs != 1) {
        fprintf(stderr, "poolsim %s: expected one RESULTS.h5 argument\n", cmd);
        usage(stderr);
        return -1;
    }
    if (lang && poolsim_plot_lang(NULL, lang) < 0) {
        fprintf(stderr, "poolsim: --lang: '%s' is not a language (expected en or zh)\n", lang);
        return -1;
    }
    return 0;
}

int poolsim_cli_read_results(const char *in, const char *out, const char *suffix,
                             poolsim_results **r, char **def)
{
    *r = NULL;
    *def = NULL;
    int st = poolsim_results_read(in, r);
    if (st) return poolsim_status_exit(st);
    if (out) return POOLSIM_EXIT_OK;
    *def = poolsim_cli_default_output(in, suffix);
    if (!*def) {
        poolsim_results_free(*r);
        *r = NULL;
        return POOLSIM_EXIT_FAIL;
    }
    return POOLSIM_EXIT_OK;
}

/* Expected year-1 expenditure of county c on line l: per_capita benefits
 * plus, per claims benefit, lambda * E[J] * EY at P = 1 and U = 1 (E[U] = 1),
 * then the global budget applied to the expected claims. */
double poolsim_cli_expected_expenditure(const poolsim_plan *pl, int l, int c, double F)
{
    const poolsim_scenario *s = pl->s;
    double ej = 1.0 + s->epidemic.prob * (s->epidemic.mean - 1.0);
    double A = 0;
    for (int kk = 0; kk < pl->nclaims[l]; kk++) {
        const poolsim_plan_claim *q = &POOLSIM_PLAN_CLAIM(pl, l, c, kk, 0);
        poolsim_claims_moments m;
        poolsim_plan_moments(pl, pl->mode[l * pl->K + kk], q, 1.0, 0.0, &m);
        A += q->lam0 * (pl->epidemic[l * pl->K + kk] ? ej : 1.0) * m.ey;
    }
    double share = pl->budget_share[(size_t)l * (size_t)pl->T];
    if (share >= 0) {
        double B = share * F;
        A = A <= B ? A + pl->budget_retention[(size_t)l * (size_t)pl->T] * (B - A)
                   : B + pl->budget_overspend[(size_t)l * (size_t)pl->T] * (A - B);
    }
    return pl->per_capita_exp[POOLSIM_PLAN_LCT(pl, l, c, 0)] + A;
}

int poolsim_cli_ratio_warnings(const poolsim_scenario *s, const poolsim_plan *pl, int strict,
                               FILE *diag)
{
    int n = 0;
    for (int l = 0; l < s->nlines; l++)
        for (int k = 0; k < s->ncounties; k++) {
            const size_t i = POOLSIM_PLAN_LCT(pl, l, k, 0);
            const double F = pl->fin_fixed[i] + pl->fin_wage[i];
            const double E = poolsim_cli_expected_expenditure(pl, l, k, F);
            const double r = F > 0 ? E / F : INFINITY;
            if (r >= POOLSIM_RATIO_LO && r <= POOLSIM_RATIO_HI) continue;
            if (E == 0 && F == 0) continue;
            n++;
            if (!diag) continue;
            fprintf(diag,
                    "%s: %scounties.%s: line %s: year-1 expected expenditure %.0f over financing "
                    "%.0f is %.4g, outside %g..%g (money in 万元 instead of yuan, or an "
                    "enrolment or rate in the wrong unit?)%s\n",
                    s->path ? s->path : "scenario", strict ? "" : "warning: ", s->counties[k].id,
                    s->lines[l].id, E, F, r, POOLSIM_RATIO_LO, POOLSIM_RATIO_HI,
                    strict ? " [--strict]" : "");
        }
    return n;
}
