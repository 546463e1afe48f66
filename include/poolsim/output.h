/* poolsim: helpers shared by the output commands `plot`, `report` and
 * `summary` (docs/REPORTS.md): folders and files. The presentation helpers
 * (language, money unit, digit grouping) are in poolsim/plot.h. */
#ifndef POOLSIM_OUTPUT_H
#define POOLSIM_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

/* mkdir -p: create `dir` and any missing parent (mode 0777 before the
 * umask). POOLSIM_OK, POOLSIM_ENOMEM, or POOLSIM_EIO with the message
 * "poolsim: cannot create folder PATH: REASON". An existing file named
 * `dir` is not reported here: writing into it fails later. */
int poolsim_output_make_dirs(const char *dir);

/* The whole file at `path` with a '\0' appended (not counted in *n; n may
 * be NULL). Caller frees. NULL with errno set (by the failed open or read,
 * or ENOMEM) when the file cannot be read; no message. */
char *poolsim_output_read_file(const char *path, size_t *n /* OUT */);

#endif
