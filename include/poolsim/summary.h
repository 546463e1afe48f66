/* poolsim: the summary tables of a run (docs/REPORTS.md): on the terminal,
 * as CSV files (one per summary dataset, UTF-8 with BOM, RFC 4180) and as
 * one Excel workbook (libxlsxwriter; a sheet per table, bold headers with
 * units, number formats). Money in yuan, probabilities in [0,1]. */
#ifndef POOLSIM_SUMMARY_H
#define POOLSIM_SUMMARY_H

#include <stdio.h>

#include "poolsim/results.h"

/* Columns `s` takes on a terminal: East Asian wide and fullwidth
 * characters 2, combining marks 0, everything else 1 (an invalid UTF-8
 * byte counts 1). */
int poolsim_summary_width(const char *s);

/* The UTF-8 byte order mark that starts every CSV file. */
#define POOLSIM_CSV_BOM "\xEF\xBB\xBF"

/* Number of summary tables and their names (CSV file base names and sheet
 * names): exhaustion, first_exhaustion, reserve_ratio, reserve_balance,
 * line_totals, shortfall, county_burden, county_burden_total,
 * county_means, government_burden (who pays per line: the city and all
 * governments), county_all_lines (each county's burden over all lines). */
#define POOLSIM_SUMMARY_NTABLES 11
extern const char *const poolsim_summary_tables[POOLSIM_SUMMARY_NTABLES];

/* The key tables on f (lang: enum poolsim_lang): per line, P(exhausted by
 * year) with its interval and the reserve ratio's median and 5th
 * percentile; per line and county, the burden summed over the horizon. */
void poolsim_summary_print(const poolsim_results *r, int lang, FILE *f);

/* Write <dir>/<table>.csv for every table (dir created if missing), each
 * atomically. Paths written are listed on `log` (may be NULL).
 * POOLSIM_OK, POOLSIM_EIO (message naming the path), POOLSIM_ENOMEM. */
int poolsim_summary_write_csv(const poolsim_results *r, const char *dir, FILE *log);

/* Write the Excel workbook to `path` atomically: an "about" sheet
 * (scenario, seed, paths, provenance) then one sheet per table; headers in
 * `lang` with units, yuan as #,##0, probabilities and ratios as 0.0000.
 * POOLSIM_OK, POOLSIM_EIO (message), POOLSIM_ENOMEM. */
int poolsim_summary_write_xlsx(const poolsim_results *r, int lang, const char *path);

#endif
