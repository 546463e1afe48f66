/* poolsim: the self-contained HTML report of a run (docs/REPORTS.md).
 *
 * One UTF-8 HTML file, no script and no external reference (no URL, no
 * <link>, no <script>): the charts of src/plot.c are drawn with gnuplot's
 * svg terminal and inlined. Sections: scenario summary, key findings
 * tables, charts with how to read them, assumptions and rule parameters
 * (the resolved parameters), provenance. English or Chinese. */
#ifndef POOLSIM_REPORT_H
#define POOLSIM_REPORT_H

#include <stdio.h>

#include "poolsim/plot.h"
#include "poolsim/results.h"

typedef struct {
    int lang;                 /* enum poolsim_lang */
    const char *results_path; /* shown under provenance */
    const char *generated;    /* report time, ISO 8601 (shown under provenance) */
    const char *path_env;     /* where to look for gnuplot; NULL: getenv("PATH") */
} poolsim_report_opts;

/* Draw the charts (svg, in a temporary folder beside `path`, removed
 * afterwards) and write the report to `path` atomically. POOLSIM_OK,
 * POOLSIM_ETOOL (gnuplot missing or failed), POOLSIM_EIO, POOLSIM_ENOMEM;
 * messages on stderr. */
int poolsim_report_write(const poolsim_results *r, const poolsim_report_opts *o, const char *path);

/* The report text given the charts and their SVG documents (svg[i] for
 * charts->chart[i], as gnuplot wrote them). Caller frees; NULL on
 * allocation failure. */
char *poolsim_report_html(const poolsim_results *r, const poolsim_report_opts *o,
                          const poolsim_chart_set *charts, char *const *svg);

/* An SVG document made fit to sit inside HTML: XML prolog, doctype and
 * namespace declarations dropped, every id (and its references through
 * href="#..." and url(#...)) prefixed with `id_prefix`, the document's
 * <title> replaced by `title` (escaped). Caller frees; NULL when `svg` has
 * no <svg element or on allocation failure. */
char *poolsim_report_inline_svg(const char *svg, const char *id_prefix, const char *title);

/* Write s to f with &, <, >, " and ' escaped for HTML text and attributes. */
void poolsim_report_escape(FILE *f, const char *s);

#endif
