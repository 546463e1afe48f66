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

/* Years of line l of r pooled as 统收统支 (pooling_mode 1), and the index
 * of the first of them (-1: none): what charts and reports word by. */
int poolsim_output_unified_years(const poolsim_results *r, int l);
int poolsim_output_first_unified(const poolsim_results *r, int l);

/* Write the template `t` to f with its successive "%s" replaced by
 * args[0], args[1], ... (a NULL argument, or one beyond n, as nothing).
 * There is no other directive: a lone '%' is literal. */
void poolsim_output_put_template(FILE *f, const char *t, int n, const char *const *args);

/* The same as a new string. Caller frees; NULL on allocation failure. */
char *poolsim_output_template(const char *t, int n, const char *const *args);

#endif
