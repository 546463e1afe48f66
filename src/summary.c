/* poolsim: summary tables (include/poolsim/summary.h) and `poolsim summary`.
 *
 * Every numeric array of the results (MODEL.md section 7) lands in exactly
 * one table; a table is built once in memory (cells pointing at the
 * results' strings) and then written as CSV, as an Excel sheet, or both. */
#include "poolsim/summary.h"

#include "poolsim/text.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <dlfcn.h>
#include <xlsxwriter.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/jsonout.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"

const char *const poolsim_summary_tables[POOLSIM_SUMMARY_NTABLES] = {
    "exhaustion",   "first_exhaustion",  "reserve_ratio",   "reserve_balance",
    "line_totals",  "shortfall",         "county_burden",   "county_burden_total",
    "county_means", "government_burden", "county_all_lines"};

/* ---- terminal width and CSV quoting ---- */

int poolsim_summary_width(const char *s)
{
    return (int)poolsim_text_width(s);
}

/* ---- the tables ---- */

enum kind { K_TEXT, K_YEAR, K_COUNT, K_PROB, K_RATIO, K_YUAN, K_YUAN_SE };

typedef struct {
    const char *key; /* CSV header */
    const char *en, *zh;
    int kind;
} col;

typedef struct {
    const char *s; /* text cell when not NULL */
    double v;
} cell;

typedef struct {
    const char *name, *en, *zh; /* file/sheet name, description */
    int ncol;
    const col *cols;
    size_t nrow;
    cell *cells; /* [nrow][ncol] */
} table;

#define LINE_COLS                                                                                  \
    {"line_id", "Line id", "险种代码", K_TEXT},                                                    \
    {                                                                                              \
        "line_name", "Line", "险种", K_TEXT                                                        \
    }
#define COUNTY_COLS                                                                                \
    {"county_id", "County id", "县代码", K_TEXT},                                                  \
    {                                                                                              \
        "county_name", "County", "县（市、区）", K_TEXT                                            \
    }
#define YEAR_COL                                                                                   \
    {                                                                                              \
        "year", "Year", "年份", K_YEAR                                                             \
    }
#define QCOLS(k)                                                                                   \
    {"p01", "1st percentile", "1% 分位数", k}, {"p05", "5th percentile", "5% 分位数", k},          \
        {"p25", "25th percentile", "25% 分位数", k}, {"p50", "median", "中位数", k},               \
        {"p75", "75th percentile", "75% 分位数", k}, {"p95", "95th percentile", "95% 分位数", k},  \
    {                                                                                              \
        "p99", "99th percentile", "99% 分位数", k                                                  \
    }
#define TAIL_COLS                                                                                  \
    {"mean", "Burden, mean", "负担均值", K_YUAN},                                                  \
        {"se", "Burden, standard error of the mean", "负担均值标准误", K_YUAN_SE},                 \
        {"p95", "Burden, 95th percentile", "负担 95% 分位数", K_YUAN},                             \
        {"p99", "Burden, 99th percentile", "负担 99% 分位数", K_YUAN},                             \
    {                                                                                              \
        "cvar95", "Burden, mean of the worst 5% (CVaR95)", "最差 5% 路径平均负担（CVaR95）",       \
            K_YUAN                                                                                 \
    }

static const col C_EXH[] = {LINE_COLS,
                            YEAR_COL,
                            {"prob", "P(exhausted by year)", "截至当年已耗尽的概率", K_PROB},
                            {"lo", "95% interval, low", "95% 置信区间下限", K_PROB},
                            {"hi", "95% interval, high", "95% 置信区间上限", K_PROB},
                            {"year_prob", "P(exhaustion year)", "当年为耗尽年的概率", K_PROB}};
static const col C_FIRST[] = {
    LINE_COLS,
    {"first_exhaustion_year", "First exhaustion year", "首次耗尽年份", K_YEAR},
    {"paths", "Paths", "路径数", K_COUNT},
    {"share", "Share of paths", "路径占比", K_PROB}};
static const col C_RATIO[] = {LINE_COLS,
                              YEAR_COL,
                              {"mean", "Mean", "均值", K_RATIO},
                              {"se", "Standard error of the mean", "均值标准误", K_RATIO},
                              QCOLS(K_RATIO),
                              {"cap_ratio", "Cap ratio", "上限比率", K_RATIO}};
static const col C_BAL[] = {LINE_COLS,
                            YEAR_COL,
                            {"mean", "Mean", "均值", K_YUAN},
                            {"se", "Standard error of the mean", "均值标准误", K_YUAN_SE},
                            QCOLS(K_YUAN)};
static const col C_TOT[] = {
    LINE_COLS,
    YEAR_COL,
    {"financing_mean", "Financing, mean", "筹资均值", K_YUAN},
    {"financing_se", "Financing, standard error", "筹资标准误", K_YUAN_SE},
    {"expenditure_mean", "Expenditure without levy, mean", "支出（不含上解）均值", K_YUAN},
    {"expenditure_se", "Expenditure, standard error", "支出标准误", K_YUAN_SE}};
static const col C_SHORT[] = {LINE_COLS,
                              COUNTY_COLS,
                              YEAR_COL,
                              {"prob", "P(shortfall > 0)", "出现缺口的概率", K_PROB},
                              {"lo", "95% interval, low", "95% 置信区间下限", K_PROB},
                              {"hi", "95% interval, high", "95% 置信区间上限", K_PROB}};
static const col C_BUR[] = {LINE_COLS, COUNTY_COLS, YEAR_COL, TAIL_COLS};
static const col C_BURT[] = {
    LINE_COLS,
    COUNTY_COLS,
    TAIL_COLS,
    {"worst_year_mean", "Worst year's burden, mean", "最大年度负担均值", K_YUAN},
    {"worst_year_p95", "Worst year's burden, 95th percentile", "最大年度负担 95% 分位数", K_YUAN},
    {"worst_year_p99", "Worst year's burden, 99th percentile", "最大年度负担 99% 分位数", K_YUAN}};
/* who pays (MODEL.md section 11): per line and year, the row with an
 * empty year is the horizon's total */
#define WHO_COLS(key, en, zh)                                                                      \
    {key "_mean", en ", mean", zh "均值", K_YUAN},                                                 \
        {key "_p95", en ", 95th percentile", zh " 95% 分位数", K_YUAN},                            \
        {key "_p99", en ", 99th percentile", zh " 99% 分位数", K_YUAN},                            \
    {                                                                                              \
        key "_cvar95", en ", mean of the worst 5%", zh "最差 5% 路径均值", K_YUAN                  \
    }
static const col C_GOV[] = {LINE_COLS, YEAR_COL,
                            WHO_COLS("city", "Paid by the city government", "市级财政负担"),
                            WHO_COLS("government", "Paid by all governments", "各级政府负担合计")};
static const col C_CALL[] = {
    COUNTY_COLS, YEAR_COL,
    WHO_COLS("burden", "County government, all lines", "县级政府负担（各险种）"),
    WHO_COLS("worst_year", "Worst year's burden (total row only)", "最大年度负担（仅合计行）")};
static const col C_MEANS[] = {
    LINE_COLS,
    COUNTY_COLS,
    YEAR_COL,
    {"reserve_paid_mean", "Reserve share received, mean", "储备金分担额均值", K_YUAN},
    {"reserve_paid_se", "Reserve share, standard error", "储备金分担额标准误", K_YUAN_SE},
    {"levy_mean", "Levy paid, mean", "上解额均值", K_YUAN},
    {"levy_se", "Levy, standard error", "上解额标准误", K_YUAN_SE},
    {"city_uncovered_mean", "Paid by the city (uncovered), mean", "市级财政承担额均值", K_YUAN},
    {"city_uncovered_se", "Paid by the city, standard error", "市级财政承担额标准误", K_YUAN_SE},
    {"financing_mean", "Financing, mean", "筹资均值", K_YUAN},
    {"financing_se", "Financing, standard error", "筹资标准误", K_YUAN_SE},
    {"expenditure_mean", "Expenditure without levy, mean", "支出（不含上解）均值", K_YUAN},
    {"expenditure_se", "Expenditure, standard error", "支出标准误", K_YUAN_SE},
    {"balance_mean", "Year-end balance, mean", "年末累计结余均值", K_YUAN},
    {"balance_se", "Year-end balance, standard error", "年末累计结余标准误", K_YUAN_SE}};

#define NC(a) ((int)(sizeof a / sizeof a[0]))

static const struct {
    const col *cols;
    int ncol;
    const char *en, *zh;
} TDEF[POOLSIM_SUMMARY_NTABLES] = {
    {C_EXH, NC(C_EXH),
     "Probability that the line's reserve is exhausted by each year (Wilson 95% interval)",
     "各险种截至各年储备金已耗尽的概率（Wilson 95% 置信区间）"},
    {C_FIRST, NC(C_FIRST),
     "Paths by the year the reserve is first exhausted (empty year: never within the horizon)",
     "按储备金首次耗尽年份统计的路径数（年份为空：预测期内未耗尽）"},
    {C_RATIO, NC(C_RATIO),
     "Year-end reserve / the year's financing of the line: mean and percentiles",
     "年末储备金 / 当年筹资总额：均值与分位数"},
    {C_BAL, NC(C_BAL), "Year-end reserve balance: mean and percentiles",
     "年末储备金余额：均值与分位数"},
    {C_TOT, NC(C_TOT), "Financing and expenditure of the line, all counties",
     "各险种全市筹资与支出"},
    {C_SHORT, NC(C_SHORT),
     "Probability that a county has a shortfall after its own balance (Wilson 95% interval)",
     "各县动用自身结余后仍有缺口的概率（Wilson 95% 置信区间）"},
    {C_BUR, NC(C_BUR), "County government burden by year", "各年县级政府负担"},
    {C_BURT, NC(C_BURT), "County government burden summed over the projection years",
     "预测期内县级政府负担合计"},
    {C_MEANS, NC(C_MEANS), "County flows by year: means with standard errors",
     "各县各年资金流：均值与标准误"},
    {C_GOV, NC(C_GOV),
     "Who pays, per line: the city government and all governments (empty year: the horizon's "
     "total)",
     "各险种市级财政与各级政府负担（年份为空：预测期合计）"},
    {C_CALL, NC(C_CALL),
     "County government burden over all lines, by year (empty year: the horizon's total, with "
     "the worst year)",
     "各县（市、区）政府各险种合计负担（年份为空：预测期合计及最大年度负担）"},
};

static void free_tables(table *t)
{
    for (int i = 0; i < POOLSIM_SUMMARY_NTABLES; i++) free(t[i].cells);
}

/* Fill the nine tables from r. POOLSIM_ENOMEM on failure. */
static int build_tables(const poolsim_results *r, table *t /* OUT [NTABLES] */)
{
    const int T = r->T, L = r->L, C = r->C;
    const size_t lt = (size_t)L * (size_t)T, lct = lt * (size_t)C;
    const size_t rows[POOLSIM_SUMMARY_NTABLES] = {lt,
                                                  (size_t)L * (size_t)(T + 1),
                                                  lt,
                                                  lt,
                                                  lt,
                                                  lct,
                                                  lct,
                                                  (size_t)L * (size_t)C,
                                                  lct,
                                                  (size_t)L * (size_t)(T + 1),
                                                  (size_t)C * (size_t)(T + 1)};
    for (int i = 0; i < POOLSIM_SUMMARY_NTABLES; i++) {
        t[i].name = poolsim_summary_tables[i];
        t[i].en = TDEF[i].en;
        t[i].zh = TDEF[i].zh;
        t[i].cols = TDEF[i].cols;
        t[i].ncol = TDEF[i].ncol;
        t[i].nrow = rows[i];
        t[i].cells = calloc(rows[i] * (size_t)TDEF[i].ncol + 1, sizeof(cell));
        if (!t[i].cells) {
            while (i-- > 0) free(t[i].cells); /* the later tables are not set */
            return POOLSIM_ENOMEM;
        }
    }
    static const char *const never = "";
    size_t row[POOLSIM_SUMMARY_NTABLES] = {0};
    cell *c;
#define ROW(i)      (c = t[i].cells + row[i]++ * (size_t)t[i].ncol)
#define TXT(k, str) (c[k].s = (str) ? (str) : "")
#define NUM(k, x)   (c[k].v = (x))
    for (int l = 0; l < L; l++) {
        const char *lid = r->line_ids[l], *lnm = r->line_names[l];
        for (int y = 0; y < T; y++) {
            size_t i = POOLSIM_LT(r, l, y);
            ROW(0);
            TXT(0, lid), TXT(1, lnm), NUM(2, r->years[y]);
            NUM(3, r->exhaustion_prob[i]), NUM(4, r->exhaustion_lo[i]), NUM(5, r->exhaustion_hi[i]);
            NUM(6, r->exhaustion_year_prob[i]);
            ROW(2);
            TXT(0, lid), TXT(1, lnm), NUM(2, r->years[y]);
            NUM(3, r->reserve_ratio.mean[i]), NUM(4, r->reserve_ratio.se[i]);
            for (int k = 0; k < POOLSIM_NQ; k++)
                NUM(5 + k, r->reserve_ratio.q[i * POOLSIM_NQ + (size_t)k]);
            NUM(12, r->cap_ratio[i]);
            ROW(3);
            TXT(0, lid), TXT(1, lnm), NUM(2, r->years[y]);
            NUM(3, r->reserve_balance.mean[i]), NUM(4, r->reserve_balance.se[i]);
            for (int k = 0; k < POOLSIM_NQ; k++)
                NUM(5 + k, r->reserve_balance.q[i * POOLSIM_NQ + (size_t)k]);
            ROW(4);
            TXT(0, lid), TXT(1, lnm), NUM(2, r->years[y]);
            NUM(3, r->financing_total.mean[i]), NUM(4, r->financing_total.se[i]);
            NUM(5, r->expenditure_total.mean[i]), NUM(6, r->expenditure_total.se[i]);
        }
        for (int y = 0; y <= T; y++) {
            double n = r->first_exhaustion_count[(size_t)l * (size_t)(T + 1) + (size_t)y];
            ROW(1);
            TXT(0, lid), TXT(1, lnm);
            if (y < T)
                NUM(2, r->years[y]);
            else
                TXT(2, never);
            NUM(3, n), NUM(4, r->paths > 0 ? n / (double)r->paths : 0);
        }
        for (int k = 0; k < C; k++) {
            const char *cid = r->county_ids[k], *cnm = r->county_names[k];
            for (int y = 0; y < T; y++) {
                size_t i = POOLSIM_LCT(r, l, k, y);
                ROW(5);
                TXT(0, lid), TXT(1, lnm), TXT(2, cid), TXT(3, cnm), NUM(4, r->years[y]);
                NUM(5, r->shortfall_prob[i]), NUM(6, r->shortfall_lo[i]),
                    NUM(7, r->shortfall_hi[i]);
                ROW(6);
                TXT(0, lid), TXT(1, lnm), TXT(2, cid), TXT(3, cnm), NUM(4, r->years[y]);
                NUM(5, r->county_burden.mean[i]), NUM(6, r->county_burden.se[i]);
                NUM(7, r->county_burden.p95[i]), NUM(8, r->county_burden.p99[i]);
                NUM(9, r->county_burden.cvar95[i]);
                ROW(8);
                TXT(0, lid), TXT(1, lnm), TXT(2, cid), TXT(3, cnm), NUM(4, r->years[y]);
                const poolsim_mean_se *ms[6] = {&r->reserve_paid,   &r->levy,
                                                &r->city_uncovered, &r->financing,
                                                &r->expenditure,    &r->balance};
                for (int m = 0; m < 6; m++)
                    NUM(5 + 2 * m, ms[m]->mean[i]), NUM(6 + 2 * m, ms[m]->se[i]);
            }
            size_t j = POOLSIM_LC(r, l, k);
            ROW(7);
            TXT(0, lid), TXT(1, lnm), TXT(2, cid), TXT(3, cnm);
            NUM(4, r->county_burden_total.mean[j]), NUM(5, r->county_burden_total.se[j]);
            NUM(6, r->county_burden_total.p95[j]), NUM(7, r->county_burden_total.p99[j]);
            NUM(8, r->county_burden_total.cvar95[j]);
            NUM(9, r->county_burden_worst_year.mean[j]),
                NUM(10, r->county_burden_worst_year.p95[j]);
            NUM(11, r->county_burden_worst_year.p99[j]);
        }
        for (int y = 0; y <= T; y++) {
            const poolsim_tailsum *a = y < T ? &r->city_burden : &r->city_burden_total;
            const poolsim_tailsum *g = y < T ? &r->government_burden : &r->government_burden_total;
            size_t i = y < T ? POOLSIM_LT(r, l, y) : (size_t)l;
            ROW(9);
            TXT(0, lid), TXT(1, lnm);
            if (y < T)
                NUM(2, r->years[y]);
            else
                TXT(2, never);
            NUM(3, a->mean[i]), NUM(4, a->p95[i]), NUM(5, a->p99[i]), NUM(6, a->cvar95[i]);
            NUM(7, g->mean[i]), NUM(8, g->p95[i]), NUM(9, g->p99[i]), NUM(10, g->cvar95[i]);
        }
    }
    for (int k = 0; k < C; k++) {
        for (int y = 0; y <= T; y++) {
            const poolsim_tailsum *b = y < T ? &r->burden : &r->burden_total;
            size_t i = y < T ? (size_t)k * (size_t)T + (size_t)y : (size_t)k;
            ROW(10);
            TXT(0, r->county_ids[k]), TXT(1, r->county_names[k]);
            if (y < T) {
                NUM(2, r->years[y]);
            } else {
                TXT(2, never);
            }
            NUM(3, b->mean[i]), NUM(4, b->p95[i]), NUM(5, b->p99[i]), NUM(6, b->cvar95[i]);
            if (y < T) {
                TXT(7, never), TXT(8, never), TXT(9, never), TXT(10, never);
            } else {
                NUM(7, r->burden_worst_year.mean[k]), NUM(8, r->burden_worst_year.p95[k]);
                NUM(9, r->burden_worst_year.p99[k]), NUM(10, r->burden_worst_year.cvar95[k]);
            }
        }
    }
#undef ROW
#undef TXT
#undef NUM
    return POOLSIM_OK;
}

/* ---- CSV ---- */

/* Shortest form that reads back as v (poolsim_format_double); -0 keeps
 * its sign. */
static void put_num(FILE *f, double v)
{
    char b[48];
    if (v == 0 && signbit(v)) {
        fputs("-0", f);
        return;
    }
    poolsim_format_double(v, b, sizeof b);
    fputs(b, f);
}

static int write_field(FILE *f, const char *s)
{
    char *q = poolsim_text_csv_quote(s);
    if (!q) return POOLSIM_ENOMEM;
    fputs(q, f);
    free(q);
    return POOLSIM_OK;
}

static char *csv_text(const table *t)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    int st = POOLSIM_OK;
    fputs(POOLSIM_CSV_BOM, f);
    for (int k = 0; k < t->ncol; k++) {
        if (k) fputc(',', f);
        fputs(t->cols[k].key, f);
    }
    fputs("\r\n", f);
    for (size_t i = 0; i < t->nrow && !st; i++) {
        const cell *c = t->cells + i * (size_t)t->ncol;
        for (int k = 0; k < t->ncol && !st; k++) {
            if (k) fputc(',', f);
            if (c[k].s)
                st = write_field(f, c[k].s);
            else
                put_num(f, c[k].v);
        }
        fputs("\r\n", f);
    }
    if (fclose(f) != 0 || st) {
        free(buf);
        return NULL;
    }
    return buf;
}

int poolsim_summary_write_csv(const poolsim_results *r, const char *dir, FILE *log)
{
    int st = poolsim_output_make_dirs(dir);
    table t[POOLSIM_SUMMARY_NTABLES];
    if (!st) st = build_tables(r, t);
    if (st == POOLSIM_ENOMEM)
        poolsim_error_report(__FILE__, __LINE__, "cannot write the tables in %s: out of memory",
                             dir);
    if (st) return st;
    /* the nine tables are one set: renamed together once all are written */
    st = poolsim_fsio_begin();
    for (int i = 0; i < POOLSIM_SUMMARY_NTABLES && !st; i++) {
        size_t pn = strlen(dir) + strlen(t[i].name) + 8;
        char *path = malloc(pn);
        char *text = csv_text(&t[i]);
        if (!path || !text) {
            st = POOLSIM_ENOMEM;
        } else {
            snprintf(path, pn, "%s/%s.csv", dir, t[i].name);
            st = poolsim_results_write_atomic(path, text, strlen(text));
            if (!st && log) fprintf(log, "  %s\n", path);
        }
        free(path);
        free(text);
    }
    if (!st)
        st = poolsim_fsio_commit();
    else
        poolsim_fsio_abort();
    if (st == POOLSIM_ENOMEM)
        poolsim_error_report(__FILE__, __LINE__, "cannot write the tables in %s: out of memory",
                             dir);
    free_tables(t);
    return st;
}

/* ---- Excel ---- */

/* libxlsxwriter is opened when a workbook is written (dlopen), not linked:
 * every other command, `run` among them, starts without it and the
 * libraries it needs (libcrypto, libminizip, about 2 ms of each process
 * start). The build names its soname: the library these headers are
 * for. */
#ifndef POOLSIM_XLSX_SONAME
#error "POOLSIM_XLSX_SONAME is not set: the Makefile takes it from libxlsxwriter-dev (make deps)"
#endif
#define XLSX_FUNCTIONS(X)                                                                          \
    X(workbook_new)                                                                                \
    X(workbook_add_format)                                                                         \
    X(workbook_add_worksheet)                                                                      \
    X(workbook_set_properties)                                                                     \
    X(workbook_close)                                                                              \
    X(worksheet_write_string)                                                                      \
    X(worksheet_write_number)                                                                      \
    X(worksheet_set_column)                                                                        \
    X(worksheet_set_row)                                                                           \
    X(worksheet_freeze_panes)                                                                      \
    X(worksheet_autofilter)                                                                        \
    X(format_set_bold)                                                                             \
    X(format_set_text_wrap)                                                                        \
    X(format_set_align)                                                                            \
    X(format_set_bottom)                                                                           \
    X(format_set_bg_color)                                                                         \
    X(format_set_num_format)                                                                       \
    X(lxw_strerror)

static struct {
#define XLSX_FIELD(f) __typeof__(f) *f;
    XLSX_FUNCTIONS(XLSX_FIELD)
#undef XLSX_FIELD
} xl;

/* NULL when the functions of xl are there (opened now or before), else
 * why not (dlerror's words, or the missing function's name). */
static const char *xlsx_open(void)
{
    static void *lib;
    if (lib) return NULL;
    void *h = dlopen(POOLSIM_XLSX_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return e ? e : POOLSIM_XLSX_SONAME;
    }
    void *p;
#define XLSX_LOAD(f)                                                                               \
    if (!(p = dlsym(h, #f))) {                                                                     \
        dlclose(h);                                                                                \
        return POOLSIM_XLSX_SONAME " has no " #f;                                                  \
    }                                                                                              \
    memcpy(&xl.f, &p, sizeof p);
    XLSX_FUNCTIONS(XLSX_LOAD)
#undef XLSX_LOAD
    lib = h;
    return NULL;
}

/* A text cell. Excel holds at most 32,767 characters in a cell and
 * libxlsxwriter refuses a longer string (the cell stayed empty, silently):
 * a longer text is cut to 32,766 characters and "…", with one warning. */
#define XLSX_MAX_CHARS 32767
static int xlsx_cut;

static lxw_error put_str(lxw_worksheet *ws, lxw_row_t rr, lxw_col_t cc, const char *s,
                         lxw_format *fmt)
{
    size_t chars = 0, cut = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80 && ++chars == XLSX_MAX_CHARS)
            cut = (size_t)(p - (const unsigned char *)s);
    if (chars <= XLSX_MAX_CHARS) return xl.worksheet_write_string(ws, rr, cc, s, fmt);
    char *t = malloc(cut + 4);
    if (!t) return LXW_ERROR_MEMORY_MALLOC_FAILED;
    memcpy(t, s, cut);
    memcpy(t + cut, "\xe2\x80\xa6", 4); /* U+2026 and the terminator */
    lxw_error e = xl.worksheet_write_string(ws, rr, cc, t, fmt);
    free(t);
    if (!xlsx_cut++)
        fprintf(stderr,
                "poolsim: warning: a text of %zu characters is cut to %d in the workbook "
                "(Excel's limit for a cell)\n",
                chars, XLSX_MAX_CHARS);
    return e;
}

static const char *unit_of(int kind, int zh)
{
    switch (kind) {
    case K_YUAN:
    case K_YUAN_SE: return zh ? "（元）" : " (yuan)";
    case K_PROB: return zh ? "（0–1）" : " (0–1)";
    case K_RATIO: return zh ? "（比率）" : " (ratio)";
    case K_COUNT: return zh ? "（条）" : " (paths)";
    default: return "";
    }
}

static int xlsx_fill(lxw_workbook *wb, const poolsim_results *r, const table *t, int zh)
{
    lxw_format *bold = xl.workbook_add_format(wb);
    xl.format_set_bold(bold);
    lxw_format *head = xl.workbook_add_format(wb);
    xl.format_set_bold(head);
    xl.format_set_text_wrap(head);
    xl.format_set_align(head, LXW_ALIGN_VERTICAL_TOP);
    xl.format_set_bottom(head, LXW_BORDER_THIN);
    xl.format_set_bg_color(head, 0xEEF2F8);
    lxw_format *nf[7] = {NULL};
    static const char *const numfmt[7] = {NULL,     "0",     "#,##0",   "0.0000",
                                          "0.0000", "#,##0", "#,##0.00"};
    for (int k = 1; k < 7; k++) {
        nf[k] = xl.workbook_add_format(wb);
        xl.format_set_num_format(nf[k], numfmt[k]);
    }
    lxw_format *wrap = xl.workbook_add_format(wb);
    xl.format_set_text_wrap(wrap);
    xl.format_set_align(wrap, LXW_ALIGN_VERTICAL_TOP);

    /* about sheet */
    lxw_worksheet *ws = xl.workbook_add_worksheet(wb, zh ? "说明" : "about");
    if (!ws) return -1;
    int row = 0;
    char buf[64];
    put_str(ws, (lxw_row_t)row++, 0, r->scenario_name ? r->scenario_name : "", bold);
    const poolsim_output_labels *lb = &poolsim_output_label[zh ? POOLSIM_LANG_ZH : POOLSIM_LANG_EN];
    struct {
        const char *k, *v;
    } kv[] = {{lb->scenario_file, r->scenario_path}, {lb->version, r->version},
              {lb->commit, r->git_commit},           {lb->started, r->start_time},
              {lb->quantiles, r->quantile_method},   {lb->build, r->build_info}};
    row++;
    snprintf(buf, sizeof buf, "%llu", r->seed);
    put_str(ws, (lxw_row_t)row, 0, lb->seed, bold);
    put_str(ws, (lxw_row_t)row++, 1, buf, NULL);
    put_str(ws, (lxw_row_t)row, 0, lb->paths, bold);
    xl.worksheet_write_number(ws, (lxw_row_t)row++, 1, (double)r->paths, nf[K_COUNT]);
    snprintf(buf, sizeof buf, "%d-%d", r->years[0], r->years[r->T - 1]);
    put_str(ws, (lxw_row_t)row, 0, lb->years, bold);
    put_str(ws, (lxw_row_t)row++, 1, buf, NULL);
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        put_str(ws, (lxw_row_t)row, 0, kv[i].k, bold);
        put_str(ws, (lxw_row_t)row++, 1, kv[i].v ? kv[i].v : "", wrap);
    }
    row++;
    put_str(ws, (lxw_row_t)row, 0, zh ? "工作表" : "Sheet", head);
    put_str(ws, (lxw_row_t)row++, 1,
            zh ? "内容（金额单位：元；概率为 0–1 之间的比例）"
               : "Contents (money in yuan; probabilities as shares 0-1)",
            head);
    for (int i = 0; i < POOLSIM_SUMMARY_NTABLES; i++) {
        put_str(ws, (lxw_row_t)row, 0, t[i].name, NULL);
        put_str(ws, (lxw_row_t)row++, 1, zh ? t[i].zh : t[i].en, wrap);
    }
    xl.worksheet_set_column(ws, 0, 0, 24, NULL);
    xl.worksheet_set_column(ws, 1, 1, 90, NULL);

    for (int i = 0; i < POOLSIM_SUMMARY_NTABLES; i++) {
        ws = xl.workbook_add_worksheet(wb, t[i].name);
        if (!ws) return -1;
        for (int k = 0; k < t[i].ncol; k++) {
            const col *cd = &t[i].cols[k];
            char h[160];
            snprintf(h, sizeof h, "%s%s", zh ? cd->zh : cd->en, unit_of(cd->kind, zh));
            put_str(ws, 0, (lxw_col_t)k, h, head);
            double width = 8;
            if (cd->kind == K_TEXT) {
                for (size_t j = 0; j < t[i].nrow; j++) {
                    const char *s = t[i].cells[j * (size_t)t[i].ncol + (size_t)k].s;
                    double w = s ? poolsim_summary_width(s) : 0;
                    if (w > width) width = w;
                }
                width = fmin(width + 2, 40);
            } else {
                double hw = poolsim_summary_width(h) / 2.0 + 2; /* header wraps on two lines */
                width = fmax(cd->kind == K_YEAR ? 8 : 14, fmin(hw, 24));
            }
            xl.worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k, width, NULL);
        }
        xl.worksheet_set_row(ws, 0, 45, NULL);
        for (size_t j = 0; j < t[i].nrow; j++) {
            const cell *c = t[i].cells + j * (size_t)t[i].ncol;
            for (int k = 0; k < t[i].ncol; k++) {
                lxw_row_t rr = (lxw_row_t)(j + 1);
                lxw_col_t cc = (lxw_col_t)k;
                if (c[k].s) {
                    if (c[k].s[0]) put_str(ws, rr, cc, c[k].s, NULL);
                } else {
                    xl.worksheet_write_number(ws, rr, cc, c[k].v, nf[t[i].cols[k].kind]);
                }
            }
        }
        xl.worksheet_freeze_panes(ws, 1, 0);
        xl.worksheet_autofilter(ws, 0, 0, (lxw_row_t)t[i].nrow, (lxw_col_t)(t[i].ncol - 1));
    }
    return 0;
}

int poolsim_summary_write_xlsx(const poolsim_results *r, int lang, const char *path)
{
    /* a clear message (libxlsxwriter's own would name the temporary file) */
    int st = poolsim_results_check_writable(path);
    if (st) return st;
    const char *why = xlsx_open();
    if (why) {
        fprintf(stderr, "poolsim: cannot write %s: libxlsxwriter cannot be opened (%s)\n", path,
                why);
        return POOLSIM_EIO;
    }
    table t[POOLSIM_SUMMARY_NTABLES];
    st = build_tables(r, t);
    if (st) return st;
    /* libxlsxwriter writes the whole file at workbook_close: build it in an
     * exclusive temporary beside `path`, then publish it */
    char *tmp;
    int fd;
    st = poolsim_fsio_temp(path, &tmp, &fd);
    if (st) {
        free_tables(t);
        return st;
    }
    close(fd);
    lxw_workbook *wb = xl.workbook_new(tmp);
    if (!wb) {
        fprintf(stderr, "poolsim: cannot write %s (libxlsxwriter could not start a workbook)\n",
                path);
        st = POOLSIM_EIO;
    } else {
        lxw_doc_properties props = {0};
        props.title = r->scenario_name;
        props.comments = "poolsim summary tables";
        xl.workbook_set_properties(wb, &props);
        if (xlsx_fill(wb, r, t, lang == POOLSIM_LANG_ZH) != 0) {
            fprintf(stderr, "poolsim: cannot build the workbook %s\n", path);
            st = POOLSIM_ENOMEM;
        }
        lxw_error e = xl.workbook_close(wb);
        if (!st && e != LXW_NO_ERROR) {
            fprintf(stderr, "poolsim: cannot write %s: %s%s%s\n", path, xl.lxw_strerror(e),
                    errno ? "; " : "", errno ? strerror(errno) : "");
            st = POOLSIM_EIO;
        }
    }
    if (!st)
        st = poolsim_fsio_publish(tmp, path);
    else
        poolsim_fsio_discard(tmp);
    free(tmp);
    free_tables(t);
    return st;
}

/* ---- terminal ---- */

/* Print rows of cells aligned: column 0.. left-aligned when left[k]. */
static void print_grid(FILE *f, int ncol, int nrow, char (*cells)[64], const int *left,
                       const char *indent)
{
    int w[16] = {0};
    for (int i = 0; i < nrow; i++)
        for (int k = 0; k < ncol; k++) {
            int x = poolsim_summary_width(cells[i * ncol + k]);
            if (x > w[k]) w[k] = x;
        }
    for (int i = 0; i < nrow; i++) {
        fputs(indent, f);
        for (int k = 0; k < ncol; k++) {
            const char *s = cells[i * ncol + k];
            int pad = w[k] - poolsim_summary_width(s);
            if (k) fputs("  ", f);
            if (!left[k])
                for (int p = 0; p < pad; p++) fputc(' ', f);
            fputs(s, f);
            if (left[k] && k + 1 < ncol)
                for (int p = 0; p < pad; p++) fputc(' ', f);
        }
        fputc('\n', f);
    }
}

static void pct_cell(char *b, double p)
{
    snprintf(b, 64, "%.2f%%", 100 * p);
}

/* Names go to a terminal: the one filter (text.h). */
static void clean(char *s)
{
    poolsim_text_clean(s);
}

static void put_clean(FILE *f, const char *s)
{
    poolsim_text_put_clean(f, s);
}

void poolsim_summary_print(const poolsim_results *r, int lang, FILE *f)
{
    const int zh = lang == POOLSIM_LANG_ZH, T = r->T;
    char paths[48];
    poolsim_plot_group((double)r->paths, 0, paths, sizeof paths);
    put_clean(f, r->scenario_name);
    if (zh)
        fprintf(f, "\n模拟路径 %s 条，随机种子 %llu，%d–%d 年\n", paths, r->seed, r->years[0],
                r->years[T - 1]);
    else
        fprintf(f, "\n%s paths, seed %llu, %d-%d\n", paths, r->seed, r->years[0], r->years[T - 1]);
    int rows = T + 1 > r->C + 1 ? T + 1 : r->C + 1;
    char(*cells)[64] = calloc((size_t)rows * 6, sizeof *cells);
    if (!cells) return;
    for (int l = 0; l < r->L; l++) {
        fputc('\n', f);
        put_clean(f, r->line_names[l]);
        fputs(" (", f);
        put_clean(f, r->line_ids[l]);
        fputs(")\n", f);
        static const char *const hen[5] = {"year", "P(exhausted by)", "95% interval",
                                           "reserve ratio p50", "p05"};
        static const char *const hzh[5] = {"年份", "截至当年耗尽概率", "95% 置信区间",
                                           "储备金比率中位数", "5% 分位数"};
        for (int k = 0; k < 5; k++) snprintf(cells[k], 64, "%s", zh ? hzh[k] : hen[k]);
        /* 统收统支 (MODEL.md section 11): the ratio is the pooled fund's */
        int uy = 0;
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            if (r->pooling_mode[i] == 1 && !uy) uy = r->years[t];
        }
        if (uy)
            snprintf(cells[3], 64, "%s", zh ? "储备金/统筹基金结余比率中位数" : "fund ratio p50");
        if (uy && zh)
            fprintf(f, "  %d 年起统收统支：比率为统筹基金累计结余 / 当年筹资\n", uy);
        else if (uy)
            fprintf(f,
                    "  统收统支 from %d: the ratio is the pooled fund balance / the year's "
                    "financing\n",
                    uy);
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            char(*c)[64] = cells + (size_t)(t + 1) * 5;
            snprintf(c[0], 64, "%d", r->years[t]);
            pct_cell(c[1], r->exhaustion_prob[i]);
            snprintf(c[2], 64, "[%.2f%%, %.2f%%]", 100 * r->exhaustion_lo[i],
                     100 * r->exhaustion_hi[i]);
            snprintf(c[3], 64, "%.1f%%", 100 * r->reserve_ratio.q[i * POOLSIM_NQ + 3]);
            snprintf(c[4], 64, "%.1f%%", 100 * r->reserve_ratio.q[i * POOLSIM_NQ + 1]);
        }
        static const int left5[5] = {1, 0, 0, 0, 0};
        print_grid(f, 5, T + 1, cells, left5, "  ");

        double mx = 0;
        for (int c = 0; c < r->C; c++) {
            size_t j = POOLSIM_LC(r, l, c);
            mx = fmax(mx, fmax(r->county_burden_total.p99[j], r->county_burden_total.cvar95[j]));
        }
        poolsim_unit u = poolsim_plot_unit(mx, lang);
        if (zh)
            fprintf(f, "\n  县级政府负担，%d–%d 年合计（%s）\n", r->years[0], r->years[T - 1],
                    u.name);
        else
            fprintf(f, "\n  county government burden summed over %d-%d (%s)\n", r->years[0],
                    r->years[T - 1], u.name);
        static const char *const ben[5] = {"county", "mean", "p95", "p99", "CVaR95"};
        static const char *const bzh[5] = {"县（市、区）", "期望值", "95% 分位数", "99% 分位数",
                                           "CVaR95"};
        for (int k = 0; k < 5; k++) snprintf(cells[k], 64, "%s", zh ? bzh[k] : ben[k]);
        int dec = u.div > 1 ? 2 : 0;
        for (int c = 0; c < r->C; c++) {
            size_t j = POOLSIM_LC(r, l, c);
            char(*cl)[64] = cells + (size_t)(c + 1) * 5;
            snprintf(cl[0], 64, "%s", poolsim_output_name_or(r->county_names[c], r->county_ids[c]));
            clean(cl[0]);
            poolsim_plot_group(r->county_burden_total.mean[j] / u.div, dec, cl[1], 64);
            poolsim_plot_group(r->county_burden_total.p95[j] / u.div, dec, cl[2], 64);
            poolsim_plot_group(r->county_burden_total.p99[j] / u.div, dec, cl[3], 64);
            poolsim_plot_group(r->county_burden_total.cvar95[j] / u.div, dec, cl[4], 64);
        }
        print_grid(f, 5, r->C + 1, cells, left5, "  ");
        /* who pays: the city and all governments over the horizon */
        const poolsim_tailsum *who[2] = {&r->city_burden_total, &r->government_burden_total};
        static const char *const wen[2] = {"city government", "all governments"};
        static const char *const wzh[2] = {"市级财政", "各级政府合计"};
        fputc('\n', f);
        for (int k = 0; k < 2; k++) {
            char m[48], p95[48];
            poolsim_plot_group(who[k]->mean[l] / u.div, dec, m, sizeof m);
            poolsim_plot_group(who[k]->p95[l] / u.div, dec, p95, sizeof p95);
            if (zh)
                fprintf(f, "  %s：期望值 %s，95%% 分位数 %s\n", wzh[k], m, p95);
            else
                fprintf(f, "  %s: mean %s, p95 %s\n", wen[k], m, p95);
        }
    }
    free(cells);
}
