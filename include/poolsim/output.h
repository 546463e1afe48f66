/* poolsim: helpers shared by the output commands `plot`, `report` and
 * `summary` (docs/REPORTS.md): folders and files, the labels and text
 * templates of the language tables, display names, and the checks that
 * end their option parsing. The presentation helpers proper (language, money unit, digit
 * grouping) are in poolsim/plot.h. */
#ifndef POOLSIM_OUTPUT_H
#define POOLSIM_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "poolsim/results.h"

/* mkdir -p: create `dir` and any missing parent (mode 0777 before the
 * umask). POOLSIM_OK, POOLSIM_ENOMEM, or POOLSIM_EIO with the message
 * "poolsim: cannot create folder PATH: REASON". An existing file named
 * `dir` is not reported here: writing into it fails later. */
int poolsim_output_make_dirs(const char *dir);

/* The whole file at `path` with a '\0' appended (not counted in *n; n may
 * be NULL). Caller frees. NULL with errno set (by the failed open or read,
 * or ENOMEM) when the file cannot be read; no message. */
char *poolsim_output_read_file(const char *path, size_t *n /* OUT */);

/* Labels of a run's facts and provenance, shown by the report (scenario
 * table, provenance) and the workbook's about sheet. Index: enum
 * poolsim_lang (0 English, 1 Chinese). */
typedef struct {
    const char *scenario_file, *years, *paths, *seed, *version, *commit, *build, *quantiles,
        *started;
} poolsim_output_labels;
extern const poolsim_output_labels poolsim_output_label[2];

/* `s` unless it is NULL or empty, else `fallback` (display names: a line's
 * or county's name, else its id). */
const char *poolsim_output_name_or(const char *s, const char *fallback);

/* Write the template `t` to f with its successive "%s" replaced by
 * args[0], args[1], ... (a NULL argument, or one beyond n, as nothing).
 * There is no other directive: a lone '%' is literal. */
void poolsim_output_put_template(FILE *f, const char *t, int n, const char *const *args);

/* The same as a new string. Caller frees; NULL on allocation failure. */
char *poolsim_output_template(const char *t, int n, const char *const *args);

/* The checks after an output command's options are parsed: exactly one
 * argument (nargs = argc - optind), the results file, and `lang` (the
 * --lang value, NULL when not given) en or zh. 0 when both hold; else -1
 * after "poolsim CMD: expected one RESULTS.h5 argument" and usage(stderr),
 * or the --lang message, on stderr. */
int poolsim_output_check_args(const char *cmd, int nargs, const char *lang, void (*usage)(FILE *));

/* Read the results file `in` for a command that writes to `out`, or, when
 * `out` is NULL, to poolsim_cli_default_output(in, suffix), returned in
 * *def (caller frees; NULL when `out` is given). POOLSIM_EXIT_OK, else
 * the exit code after the message (nothing left to free). */
int poolsim_output_read_results(const char *in, const char *out, const char *suffix,
                                poolsim_results **r /* OUT */, char **def /* OUT */);

#endif
