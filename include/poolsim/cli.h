/* poolsim: command-line front end. Each command is a function taking the
 * arguments after the command name (argv[0] is the command) and returning
 * a process exit code (enum poolsim_exit). */
#ifndef POOLSIM_CLI_H
#define POOLSIM_CLI_H

#include <signal.h>

#include "poolsim/results.h"
#include "poolsim/scenario.h"

int poolsim_cli_main(int argc, char **argv);

int poolsim_cmd_run(int argc, char **argv);
int poolsim_cmd_check(int argc, char **argv);
int poolsim_cmd_settle(int argc, char **argv);
int poolsim_cmd_schema(int argc, char **argv);
/* Commands provided by other modules; weak so the dispatcher can tell
 * whether this build has them. */
int poolsim_cmd_plot(int argc, char **argv) __attribute__((weak));
int poolsim_cmd_report(int argc, char **argv) __attribute__((weak));
int poolsim_cmd_summary(int argc, char **argv) __attribute__((weak));
int poolsim_cmd_sweep(int argc, char **argv) __attribute__((weak));
int poolsim_cmd_solve(int argc, char **argv) __attribute__((weak));
int poolsim_cmd_compare(int argc, char **argv) __attribute__((weak));

/* Shared helpers for commands. */

/* Set on SIGINT/SIGTERM by the handler poolsim_cli_signals installs. */
extern volatile sig_atomic_t poolsim_cli_stop;
void poolsim_cli_signals(void);
/* Exit code for the signal that set poolsim_cli_stop (130 or 143). */
int poolsim_cli_signal_exit(void);

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

/* Fill provenance metadata (version, commit, build info, start time). */
int poolsim_cli_provenance(poolsim_results *r, double run_seconds, const char *start_time);
/* Current UTC time as ISO 8601 into buf (>= 32 bytes). */
void poolsim_cli_now_iso(char *buf, size_t n);

/* Default results path for a scenario: results/<base name>.h5 */
char *poolsim_cli_default_output(const char *scenario_path, const char *suffix);

#endif
