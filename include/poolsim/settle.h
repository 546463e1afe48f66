/* poolsim: settlement of actual figures (`poolsim settle`, MODEL.md
 * section 8).
 *
 * Input: a validated scenario (rules, counties, opening balances) and a CSV
 * of actual flows. Its header must hold the five columns
 *     year,county,line,financing,expenditure
 * and optionally `enrolment` (members of the line), in any order (no other
 * columns); UTF-8 with or without a BOM, or GBK/GB18030 (detected when the
 * text is not valid UTF-8, or named), converted with iconv; CRLF or LF;
 * RFC 4180 quoting (parsed strictly with libcsv). `year` is an integer
 * (1..9999); `county` is a county id or name (荷塘区), `line` a line id;
 * `financing`, `expenditure` and `enrolment` are finite decimal numbers >= 0
 * (yuan; members), thousands separators allowed as Excel writes them in a
 * quoted cell ("364,910,000"; no hex, nan or inf). Rows may come in any
 * order, but each (year, line) present must have exactly one row per
 * county of the scenario. A row whose expenditure is more than 5 times its
 * financing is a warning (an error under strict).
 *
 * Settlement: each line is settled on its own, in ascending order of its
 * years, by poolsim_rules_year (MODEL.md section 5). At the line's first
 * year the reserve opens at the line's reserve.initial (its value in force
 * in that year) and the county balances at balance.<line>, or, with
 * opening values from a previous settlement (--opening), at that
 * settlement's last-year reserve_end and balance_end, with its financing as
 * the first levy basis. Year-end balances and reserves are booked at the
 * fen (rounded as written to the CSV) before they are carried into the next
 * year, so that a settlement continued from its own CSV is the same to the
 * last digit as one run over all years. The levy basis
 * for year y is the county's financing of year y-1 in the CSV for that
 * line, else -- in the line's first settled year only -- its
 * prior_financing for the line when given, else its own financing of y
 * (MODEL.md section 8; prior_financing is the financing of the year before
 * the first, so a year after a gap in the years uses its own financing).
 * Rule values are those in
 * force in year y (dated values resolved). A year in which the line's
 * pooling.mode is `unified` is settled by poolsim_rules_unified_year
 * (MODEL.md section 10); in the line's first unified year the reserve and
 * the county balances first move up into one fund, kept from then on in
 * reserve_end. Its rows: levy, balance_used, bracket, reserve_share,
 * uncovered and balance_end 0; result D = F - E; shortfall max(0, -D);
 * county_share the county's liability plus its part of a gap; city_share
 * the city's part of a gap attributed by the same weights (so the
 * identity below holds for county-accounts rows only). When a line's years are not
 * consecutive (2021, 2023), interest is applied once per settled year, not
 * once per calendar year elapsed.
 *
 * Output CSV, one row per year, county and line, sorted by year, then
 * county, then line (both in scenario order):
 *     year,county,line,financing,levy,expenditure,result,balance_used,
 *     shortfall,shortfall_ratio,bracket,reserve_share,county_share,
 *     city_share,uncovered,balance_end,reserve_end
 * Money in yuan, printed with the fewest significant digits (15 to 17) that
 * read back as the same double. shortfall_ratio = shortfall / financing,
 * 0 when there is no shortfall and `inf` when financing is 0 with a
 * shortfall. bracket is 1-based, 0 without a shortfall. reserve_share is
 * what the reserve actually paid, uncovered what it owed but could not pay
 * (in an exhaustion year), so reserve_share + county_share + city_share =
 * shortfall. reserve_end is the line's reserve at year end (the same on
 * every county's row).
 *
 * Ownership: the _read/_parse and _compute functions fill caller-provided
 * structs with malloc'ed arrays, released by the matching _free (which
 * accepts a zeroed or already freed struct). */
#ifndef POOLSIM_SETTLE_H
#define POOLSIM_SETTLE_H

#include <stddef.h>
#include <stdio.h>

#include "poolsim/rules.h"
#include "poolsim/scenario.h"

/* One row of a flows CSV. */
typedef struct {
    int year;           /* calendar year */
    int county;         /* index into scenario.counties */
    int line;           /* index into scenario.lines */
    double financing;   /* F, yuan, >= 0 */
    double expenditure; /* E without the levy, yuan, >= 0 */
    double enrolment;   /* members of the line in the county (optional column), NAN: absent */
    long src_line;      /* 1-based line of the row in the flows file */
} poolsim_flow;

/* A validated flows file: complete (year, line) groups, no duplicates;
 * rows sorted by line, year, county. */
typedef struct {
    size_t n;
    poolsim_flow *rows;
} poolsim_flows;

/* One output row: a county's figures for one line and year. */
typedef struct {
    int year;
    int county;               /* index into scenario.counties */
    int line;                 /* index into scenario.lines */
    poolsim_rules_county fig; /* inputs and everything section 5 computes */
    double reserve_end;       /* the line's reserve at year end, yuan */
    int exhausted;            /* 1: the year is an exhaustion year of the line */
} poolsim_settle_row;

/* A settlement: rows sorted by year, county index, line index. */
typedef struct {
    size_t n;
    poolsim_settle_row *rows;
} poolsim_settlement;

/* How flows (and opening) files are read. A NULL pointer means the
 * defaults (all zero). */
typedef struct {
    /* NULL or "auto": UTF-8 (a BOM is skipped), else GBK/GB18030 when the
     * text is not valid UTF-8; "utf-8"; "gbk" (also "gb18030", "gb2312",
     * "cp936": all read as GB18030, their superset, through iconv). */
    const char *encoding;
    int strict;          /* 1: plausibility warnings are errors */
    const char *opening; /* poolsim_settle_cmd: previous settlement CSV, NULL: none */
} poolsim_settle_opts;

/* Opening values taken from the last year of a previous settlement. */
typedef struct {
    int year; /* the previous settlement's last year */
    int nlines, ncounties;
    double *reserve;   /* [nlines] reserve_end of that year */
    double *balance;   /* [ncounties * nlines] balance_end, index c * nlines + l */
    double *financing; /* [ncounties * nlines] financing of that year: the next levy basis */
} poolsim_settle_opening;

/* `poolsim settle SCENARIO FLOWS [--csv OUT]`: read and check the flows
 * file, settle, write the CSV to out_csv (NULL: none) and a readable table
 * to term (NULL: none). Returns
 *   POOLSIM_OK;
 *   POOLSIM_EINPUT  the flows file is bad: every problem written to diag as
 *                   FILE:LINE:COL: COLUMN: what is wrong (expected ...),
 *                   then "poolsim: N errors in FILE"; nothing written;
 *   POOLSIM_EIO     the flows file cannot be read, or out_csv or term
 *                   cannot be written (message names the path and the
 *                   system's reason; no file is left under out_csv's name
 *                   unless it is complete: written to a temporary name in
 *                   the same folder, closed, fsync'ed and renamed);
 *   POOLSIM_ENUM    a figure overflowed (message names year, line, county
 *                   and quantity); POOLSIM_ENOMEM. */
int poolsim_settle_cmd(const poolsim_scenario *s, const char *flows_csv,
                       const poolsim_settle_opts *o /* NULL: defaults */,
                       const char *out_csv /* NULL: none */, FILE *term /* NULL: none */,
                       FILE *diag);

/* The encoding code of a name accepted by poolsim_settle_opts.encoding,
 * -1 when the name is not known. */
int poolsim_settle_encoding(const char *name);

/* Read and check a flows file with options (encoding, strict). Errors as
 * for poolsim_settle_cmd; a text in no accepted encoding is EINPUT with
 * FILE:LINE:COL naming the first offending byte. Warnings (a row whose
 * expenditure is more than 5 times its financing) are written to diag as
 * FILE:LINE:COL: warning: KEY: ...; with o->strict they are errors. */
int poolsim_flows_read(const poolsim_scenario *s, const char *path, const poolsim_settle_opts *o,
                       FILE *diag, poolsim_flows *out /* OUT */);
int poolsim_flows_parse(const poolsim_scenario *s, const char *name, const char *text, size_t len,
                        const poolsim_settle_opts *o, FILE *diag, poolsim_flows *out /* OUT */);

/* Read the opening values from a previous settlement's CSV (the output of
 * poolsim_settle_write_csv; at least the columns year, county, line,
 * financing, balance_end, reserve_end; others are ignored): its last year
 * must have one row per county and line of the scenario, and reserve_end
 * must be the same on every row of a line. EINPUT with FILE:LINE:COL
 * messages, EIO, ENOMEM. */
int poolsim_settle_opening_read(const poolsim_scenario *s, const char *path,
                                const poolsim_settle_opts *o, FILE *diag,
                                poolsim_settle_opening *out /* OUT */);
void poolsim_settle_opening_free(poolsim_settle_opening *op);

/* Read and check a flows file. Errors as for poolsim_settle_cmd (EINPUT,
 * EIO when the file cannot be read, ENOMEM). On failure *out is empty. */
int poolsim_settle_read(const poolsim_scenario *s, const char *path, FILE *diag,
                        poolsim_flows *out /* OUT */);

/* The same on text in memory; `name` is used as FILE in messages. */
int poolsim_settle_parse(const poolsim_scenario *s, const char *name, const char *text, size_t len,
                         FILE *diag, poolsim_flows *out /* OUT */);

void poolsim_settle_flows_free(poolsim_flows *f);

/* Settle validated flows (MODEL.md sections 5 and 8). Returns POOLSIM_OK,
 * POOLSIM_EINPUT (the scenario holds a negative or non-finite opening
 * balance, reserve or prior_financing), POOLSIM_ENUM (overflow) or
 * POOLSIM_ENOMEM, with a message on diag; on failure *out is empty. */
int poolsim_settle_compute(const poolsim_scenario *s, const poolsim_flows *f, FILE *diag,
                           poolsim_settlement *out /* OUT */);

/* The same, opening every line at op (NULL: the scenario's values): the
 * reserve at op->reserve, balances at op->balance, and the levy basis of
 * the first year at op->financing. Every line of the flows must then start
 * in op->year + 1 (EINPUT naming the line otherwise). */
int poolsim_settle_compute_from(const poolsim_scenario *s, const poolsim_flows *f,
                                const poolsim_settle_opening *op, FILE *diag,
                                poolsim_settlement *out /* OUT */);

void poolsim_settle_free(poolsim_settlement *st);

/* The settlement CSV on a stream. Money columns are rounded to the fen
 * (0.01 yuan, half away from zero) for output only; shortfall_ratio is
 * written in full. POOLSIM_EIO when the stream reports an
 * error (no message: the caller knows the path). */
int poolsim_settle_write_csv(const poolsim_scenario *s, const poolsim_settlement *st, FILE *f);

/* The settlement CSV under `path`, atomically (poolsim_fsio_write).
 * POOLSIM_EIO (or POOLSIM_EINTR) with a message on stderr naming path
 * and the system's reason. */
int poolsim_settle_write_file(const poolsim_scenario *s, const poolsim_settlement *st,
                              const char *path);

/* The readable table: one block per year and line, money in 10^4 yuan
 * (万元) when s->lang is "zh", else in thousands of yuan, 2 decimals;
 * columns aligned by display width (CJK characters count 2). POOLSIM_EIO
 * if the stream reports an error. */
int poolsim_settle_print_table(const poolsim_scenario *s, const poolsim_settlement *st, FILE *term);

/* Shortest of %.15g, %.16g, %.17g that reads back (strtod) as x; "inf" /
 * "-inf" / "nan" for non-finite values; -0 printed as 0. buf needs 32
 * bytes. */
void poolsim_settle_format_number(double x, char *buf /* OUT */, size_t size);

#endif
