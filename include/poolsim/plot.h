/* poolsim: charts of a run's results with gnuplot (docs/REPORTS.md).
 *
 * gnuplot is found on PATH at run time and run as a child process on a
 * script written to a hidden file in the output folder; its exit status
 * and its messages (stderr, captured in a file) are checked. User text
 * (scenario, line and county names) only ever reaches gnuplot inside
 * single-quoted strings (poolsim_plot_quote), where gnuplot neither
 * expands backquotes nor interprets escapes; numbers go through inline
 * data blocks. Charts are written under temporary names and renamed once
 * gnuplot has finished without error, so a failed run leaves no chart.
 *
 * Also the presentation helpers shared by `plot`, `report` and `summary`:
 * the chart language and the money unit chosen by magnitude. */
#ifndef POOLSIM_PLOT_H
#define POOLSIM_PLOT_H

#include <stddef.h>
#include <stdio.h>

#include "poolsim/results.h"

/* ---- Presentation helpers ---- */

/* Language of charts and reports. */
enum poolsim_lang { POOLSIM_LANG_EN = 0, POOLSIM_LANG_ZH = 1 };

/* The language to use: `override` ("en" or "zh") when not NULL, else the
 * results' lang, else English. -1 when `override` is neither. */
int poolsim_plot_lang(const poolsim_results *r, const char *override);

/* A money unit: values in yuan are divided by `div` and labelled `name`. */
typedef struct {
    double div;
    const char *name; /* static: "万元", "million yuan", ... */
} poolsim_unit;

/* The unit for money values whose largest magnitude is `maxabs` yuan: the
 * largest unit not exceeding maxabs. zh: 元 (below 1e4), 万元 (1e4..1e8),
 * 亿元 (from 1e8); en: yuan (below 1e3), thousand yuan (1e3..1e6), million
 * yuan (1e6..1e9), billion yuan (from 1e9). Non-finite or zero: 元 / yuan. */
poolsim_unit poolsim_plot_unit(double maxabs, int lang);

/* A gnuplot string expression equal to `s`: runs of text in single quotes
 * (no backquote substitution, no escapes there), joined by "'" for each
 * quote and "\n" for each line break, e.g. 'it'."'".'s'; other control
 * characters become spaces. Caller frees; NULL on allocation failure. */
char *poolsim_plot_quote(const char *s);

/* The same expression written to f. */
void poolsim_plot_put_quoted(FILE *f, const char *s);

/* The same for a tic label, with every % doubled (gnuplot formats the
 * tic's value with its label: "Top 10%" must not be a format). */
void poolsim_plot_put_tic(FILE *f, const char *s);

/* Format v with `decimals` digits after the point and ',' between thousands
 * ("-1,234,567.8"). Returns buf. */
char *poolsim_plot_group(double v, int decimals, char *buf, size_t n);

/* Full path of an executable `name` found in the ':'-separated list
 * `path_env` (an empty entry means the current folder), or NULL. Caller
 * frees. */
char *poolsim_plot_find_program(const char *name, const char *path_env);

/* ---- Charts ---- */

enum poolsim_plot_format { POOLSIM_FMT_PNG = 1, POOLSIM_FMT_SVG = 2, POOLSIM_FMT_PDF = 4 };
#define POOLSIM_PLOT_NFMT 3 /* png, svg, pdf: index of file[] below */

/* Parse a comma-separated list of png, svg, pdf into a mask of
 * enum poolsim_plot_format. -1 (message on stderr) when an entry is
 * unknown or the list is empty. */
int poolsim_plot_parse_formats(const char *list, unsigned *mask /* OUT */);

enum poolsim_chart_kind {
    POOLSIM_CHART_FAN,        /* reserve ratio fan chart of one line */
    POOLSIM_CHART_EXHAUSTION, /* P(exhausted by year) of every line, with intervals */
    POOLSIM_CHART_FIRST_YEAR, /* histogram of the first exhaustion year, every line */
    POOLSIM_CHART_BURDEN,     /* county government burden over the horizon, one line */
    POOLSIM_CHART_SHORTFALL,  /* county x year shortfall probability heat map, one line */
    POOLSIM_CHART_SWEEP       /* a sweep's P(exhausted by the last year) over the lever grid
                                 (drawn by poolsim_sweep_plot, src/plot_sweep.c) */
};
#define POOLSIM_CHART_NKINDS 6

typedef struct {
    int kind;                      /* enum poolsim_chart_kind */
    int line;                      /* line index; -1 for charts of every line */
    char *name;                    /* file base name, e.g. "fan-employee" */
    char *title;                   /* chart title in the chart language */
    char *file[POOLSIM_PLOT_NFMT]; /* files written (png, svg, pdf); NULL if not asked */
} poolsim_chart;

typedef struct {
    int n;
    poolsim_chart *chart;
} poolsim_chart_set;

void poolsim_chart_set_free(poolsim_chart_set *s);

typedef struct {
    const char *dir;      /* output folder (created if missing) */
    unsigned formats;     /* mask of enum poolsim_plot_format */
    int lang;             /* enum poolsim_lang */
    const char *path_env; /* where to look for gnuplot; NULL: getenv("PATH") */
} poolsim_plot_opts;

/* Draw every chart of r. On success `out` lists them with the files
 * written (names `<dir>/<chart name>.<format>`). Returns POOLSIM_OK,
 * POOLSIM_ETOOL (gnuplot missing: "poolsim: gnuplot not found on PATH
 * (install the Debian package gnuplot-nox)"; or gnuplot failed: its exit
 * status and messages are printed), POOLSIM_EIO (cannot create or write
 * the folder), POOLSIM_ENOMEM. On failure no chart file is left behind. */
int poolsim_plot_render(const poolsim_results *r, const poolsim_plot_opts *opt,
                        poolsim_chart_set *out /* OUT */);

/* When the file `results_path` holds a sweep (a complete /sweep group,
 * docs/STRESS.md), draw its charts into opt->dir with poolsim_sweep_plot in
 * the requested formats it supports (png, svg; a note on stderr for pdf)
 * and append them to `set` (kind POOLSIM_CHART_SWEEP). The sweep charts
 * follow the sweep's own language. POOLSIM_OK and nothing appended when
 * the file holds no sweep; else as poolsim_sweep_plot (POOLSIM_ETOOL,
 * POOLSIM_EIO) or POOLSIM_EINPUT when the /sweep group cannot be read. */
int poolsim_plot_sweep_charts(const char *results_path, const poolsim_plot_opts *opt,
                              poolsim_chart_set *set /* IN/OUT */);

#endif
