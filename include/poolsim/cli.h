/* poolsim: command-line front end. Each command is a function taking the
 * arguments after the command name (argv[0] is the command) and returning
 * a process exit code (enum poolsim_exit). */
#ifndef POOLSIM_CLI_H
#define POOLSIM_CLI_H

#include <signal.h>
#include <stdio.h>

#include "poolsim/plan.h"
#include "poolsim/results.h"
#include "poolsim/scenario.h"
#include "poolsim/sweep.h"

int poolsim_cli_main(int argc, char **argv);

/* The commands, one file each: src/cli_<command>.c. */
int poolsim_cmd_run(int argc, char **argv);
int poolsim_cmd_check(int argc, char **argv);
int poolsim_cmd_settle(int argc, char **argv);
int poolsim_cmd_fit(int argc, char **argv);

/* Expected year-1 expenditure of county c on line l with financing F:
 * per_capita benefits plus, per claims benefit, lambda * E[J] * EY at
 * P = 1 and U = 1 (E[U] = 1), then the global budget applied to the
 * expected claims. */
double poolsim_cli_expected_expenditure(const poolsim_plan *pl, int l, int c, double F);

#define POOLSIM_RATIO_LO 0.3
#define POOLSIM_RATIO_HI 3.0
/* Plausibility: each county and line whose year-1 expected expenditure
 * over financing is outside POOLSIM_RATIO_LO..POOLSIM_RATIO_HI gets a
 * line on diag ("warning: " unless strict). Returns their number. */
int poolsim_cli_ratio_warnings(const poolsim_scenario *s, const poolsim_plan *pl, int strict,
                               FILE *diag);
int poolsim_cmd_schema(int argc, char **argv);
int poolsim_cmd_plot(int argc, char **argv);
int poolsim_cmd_report(int argc, char **argv);
int poolsim_cmd_summary(int argc, char **argv);
int poolsim_cmd_sweep(int argc, char **argv);
int poolsim_cmd_solve(int argc, char **argv);
int poolsim_cmd_compare(int argc, char **argv);

/* Shared helpers for commands. */

/* poolsim_stop_signal (common.h) is set on SIGINT/SIGTERM by the handler
 * poolsim_cli_signals installs. */
#define poolsim_cli_stop poolsim_stop_signal
void poolsim_cli_signals(void);
/* Exit code for the signal that set poolsim_cli_stop (130 or 143). */
int poolsim_cli_signal_exit(void);
/* Exit code for a command's final status: POOLSIM_EINTR (a write stopped
 * by a signal) prints "interrupted; no file written" and gives 130 or 143,
 * anything else poolsim_status_exit. */
int poolsim_cli_exit(int status);
/* 1 when the two output paths name the same file (the same string, the
 * same existing file, or the same name in the same real folder). */
int poolsim_cli_same_file(const char *a, const char *b);

/* Collects repeated `--set K=V` options. */
typedef struct {
    int n, cap;
    const char **v;
} poolsim_setlist;
int poolsim_setlist_add(poolsim_setlist *sl, const char *kv);
void poolsim_setlist_free(poolsim_setlist *sl);

/* Parse a whole number in [lo, hi] from a command-line option; prints
 * "poolsim: OPTION: ..." and returns -1 on failure. */
int poolsim_cli_parse_long(const char *opt, const char *text, long lo, long hi,
                           long *out /* OUT */);

/* Parse a plain decimal number v with lo < v <= hi (no nan, inf or hex);
 * prints "poolsim: OPTION: ..." and returns -1 on failure. */
int poolsim_cli_parse_double(const char *opt, const char *text, double lo, double hi,
                             double *out /* OUT */);

/* -n/--paths, -s/--seed, -t/--threads as every command takes them. */
typedef struct {
    long paths;     /* <= 0: not given */
    int seed_given; /* 1: seed was given */
    unsigned long long seed;
    int threads; /* <= 0: not given */
} poolsim_cli_size;

/* The options -n/--paths N (1..2000000000), -s/--seed S (a whole number in
 * 0..ULLONG_MAX) and -t/--threads T (1..1024), given as the getopt code c
 * ('n', 's' or 't') and its argument, into o. 0 when taken; -1 after a
 * message on stderr for a bad value; 1 when c is none of them. */
int poolsim_cli_size_option(int c, const char *arg, poolsim_cli_size *o /* OUT */);

/* Those three in a command's getopt_long table (with <getopt.h>). */
/* clang-format off */
#define POOLSIM_CLI_SIZE_LONGOPTS \
    {"paths", required_argument, NULL, 'n'}, \
    {"seed", required_argument, NULL, 's'}, \
    {"threads", required_argument, NULL, 't'}
/* clang-format on */

/* When o->threads <= 0 (not given): o->threads from OMP_NUM_THREADS when it
 * holds a whole number in 1..1024 (else a message on stderr when it is set
 * but not one, and o->threads unchanged). */
void poolsim_cli_size_env_threads(poolsim_cli_size *o);

/* The same, then the size into the options of sweep, solve and compare
 * evaluations. */
void poolsim_cli_size_to_eval(poolsim_cli_size *size, poolsim_sweep_eval_opts *o /* OUT */);

/* plot, report, summary: exactly one RESULTS.h5 argument and a valid
 * --lang (NULL: not given); else a message (and usage) on stderr, -1. */
int poolsim_cli_check_args(const char *cmd, int nargs, const char *lang, void (*usage)(FILE *));

/* Read the results file `in` for plot, report or summary. When `out` is
 * NULL, *def is the default output (results/<base of in><suffix>). Returns
 * an exit code (0 ok) after printing any error. */
int poolsim_cli_read_results(const char *in, const char *out, const char *suffix,
                             poolsim_results **r /* OUT */, char **def /* OUT */);

/* Default results path for a scenario: results/<base name>.h5 */
char *poolsim_cli_default_output(const char *scenario_path, const char *suffix);

#endif
