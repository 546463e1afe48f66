/* poolsim: one diagnostic line, as every input error and warning is
 * written: "FILE:LINE:COL: KEY: message" (STYLE: report every input error
 * as FILE:LINE:COL: KEY: what is wrong (expected ...)). The scenario
 * loader collects its lines and prints them sorted; settle's flows reader
 * prints each as it reads. Both format them here. */
#ifndef POOLSIM_DIAG_H
#define POOLSIM_DIAG_H

#include <stdarg.h>

/* The line (malloc'ed, no newline; NULL when out of memory):
 * "FILE:LINE:COL: PREFIXKEY: message", without ":LINE:COL" when line <= 0
 * and without "KEY: " when key is NULL or empty; prefix ("warning: ") may
 * be NULL; file NULL prints "?". Control characters from any part become
 * '?', so a message is always one line of plain text. */
char *poolsim_diag_vformat(const char *file, long line, long col, const char *prefix,
                           const char *key, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));

#endif
