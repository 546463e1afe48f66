/* poolsim: text on a terminal and in CSV files: the one display width, the
 * one terminal filter and the one CSV field writer of the project. */
#ifndef POOLSIM_TEXT_H
#define POOLSIM_TEXT_H

#include <stddef.h>
#include <stdio.h>

/* Columns a UTF-8 string takes on a terminal (East Asian wide and
 * fullwidth characters two, combining marks none: libunistring's
 * u8_strwidth). Bytes that are not valid UTF-8 count one column each. */
size_t poolsim_text_width(const char *s);

/* Text from a scenario, flows or results file made safe for a terminal,
 * in place (never longer): control characters -- C0 (line breaks, tabs,
 * ESC, so no escape sequence reaches the terminal), DEL, C1 (U+0080..
 * U+009F, e.g. the 8-bit CSI), the line and paragraph separators and the
 * bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
 * -- become one space each; bytes that are not UTF-8 become '?'. */
void poolsim_text_clean(char *s);
/* A cleaned copy (malloc'ed; NULL on allocation failure). */
char *poolsim_text_clean_dup(const char *s);
/* `s` (NULL: "") cleaned, written to f. */
void poolsim_text_put_clean(FILE *f, const char *s);

/* One CSV field (RFC 4180) with the OWASP guard against formula
 * injection: a field that starts with = + - @ TAB or CR and is not a plain
 * number gets a leading ' (a spreadsheet shows it as text, never runs it);
 * the field is double-quoted, quotes doubled, when it holds a comma, a
 * quote, CR or LF, starts or ends with a space, or was guarded. */
void poolsim_text_csv_field(FILE *f, const char *s);
/* The same field as a string (malloc'ed; NULL on allocation failure). */
char *poolsim_text_csv_quote(const char *s);

#endif
