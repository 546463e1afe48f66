/* poolsim: the settlement as a readable table on the terminal. */
#include "poolsim/settle.h"

#include "poolsim/text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/plan.h"

/* ---- Readable table --------------------------------------------------------- */

/* Print text padded to `width` columns; right-aligned when `right`. */
static void put_cell(FILE *f, const char *text, size_t width, int right)
{
    size_t w = poolsim_text_width(text);
    size_t pad = w < width ? width - w : 0;
    if (right)
        for (size_t i = 0; i < pad; i++) fputc(' ', f);
    fputs(text, f);
    if (!right)
        for (size_t i = 0; i < pad; i++) fputc(' ', f);
}

#define TCOLS 11
#define CELL  328 /* "%.2f" of any double fits */

/* Copy at most max bytes of UTF-8 text, never cutting a character. */
static void copy_utf8(char *dst, const char *src, size_t max)
{
    size_t n = strlen(src);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* yuan -> table unit; a value that prints as 0.00 has no sign */
static double in_unit(double yuan, double unit)
{
    const double v = yuan / unit;
    return fabs(v) < 0.005 ? 0.0 : v;
}

/* One block: the rows of year `year` and line `l` among rows[a, b). */
static void print_block(const poolsim_scenario *s, const poolsim_settle_row *rows, size_t a,
                        size_t b, int l, int zh, double unit, FILE *f)
{
    static const char *const head_en[TCOLS] = {
        "county",  "financing",     "levy",         "expenditure", "result",     "shortfall",
        "bracket", "reserve share", "county share", "city share",  "balance end"};
    static const char *const head_zh[TCOLS] = {"县（区）", "筹资",     "上解储备金",  "支出",
                                               "当年结余", "缺口",     "档次",        "储备金分担",
                                               "县级分担", "市级分担", "年末累计结余"};
    const char *const *head = zh ? head_zh : head_en;

    size_t width[TCOLS];
    for (int j = 0; j < TCOLS; j++) width[j] = poolsim_text_width(head[j]);
    char cell[TCOLS][CELL];
    const poolsim_settle_row *last = NULL;

    /* two passes: widths, then printing */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            const poolsim_line *ln = &s->lines[l];
            fprintf(f, zh ? "%d年  " : "%d  ", rows[a].year);
            poolsim_text_put_clean(f, ln->name ? ln->name : ln->id);
            fputs(zh ? "（" : " (", f);
            poolsim_text_put_clean(f, ln->id);
            fputs(zh ? "）\n" : ")\n", f);
            for (int j = 0; j < TCOLS; j++) {
                if (j) fputs("  ", f);
                put_cell(f, head[j], width[j], j > 0);
            }
            fputc('\n', f);
        }
        for (size_t i = a; i < b; i++) {
            if (rows[i].line != l) continue;
            last = &rows[i];
            const poolsim_rules_county *k = &rows[i].fig;
            const poolsim_county *cty = &s->counties[rows[i].county];
            const double money[] = {k->financing, k->levy, k->expenditure, k->result, k->shortfall};
            const double shares[] = {k->reserve_paid, k->county_share, k->city_share,
                                     k->balance_end};
            copy_utf8(cell[0], cty->name ? cty->name : cty->id, 64);
            poolsim_text_clean(cell[0]);
            for (int j = 0; j < 5; j++)
                snprintf(cell[1 + j], sizeof cell[0], "%.2f", in_unit(money[j], unit));
            if (k->bracket > 0)
                snprintf(cell[6], sizeof cell[0], "%d", k->bracket);
            else
                snprintf(cell[6], sizeof cell[0], "-");
            for (int j = 0; j < 4; j++)
                snprintf(cell[7 + j], sizeof cell[0], "%.2f", in_unit(shares[j], unit));
            for (int j = 0; j < TCOLS; j++) {
                if (pass == 0) {
                    size_t w = poolsim_text_width(cell[j]);
                    if (w > width[j]) width[j] = w;
                } else {
                    if (j) fputs("  ", f);
                    put_cell(f, cell[j], width[j], j > 0);
                }
            }
            if (pass == 1) fputc('\n', f);
        }
    }
    poolsim_rules_params p;
    poolsim_scenario_rules_params(s, l, rows[a].year, &p);
    if (last && p.pooling_mode == POOLSIM_POOLING_UNIFIED) {
        /* 统收统支 (MODEL.md section 10): one pooled fund, no reserve or levy */
        static const char *const key_en[] = {"financing", "enrolees", "deficit"};
        static const char *const key_zh[] = {"筹资", "参保人数", "赤字"};
        int gk = p.gap_key >= 0 && p.gap_key <= 2 ? p.gap_key : 0;
        if (zh)
            fprintf(f,
                    "统收统支：年末统筹基金累计结余：%.2f；基金缺口年：%s"
                    "（缺口由市级承担 %.0f%%，其余按%s分摊到县；县级超支超过筹资 %.1f%% "
                    "的部分由县级承担 %.0f%%）\n\n",
                    in_unit(last->reserve_end, unit), last->exhausted ? "是" : "否",
                    100 * p.city_share, key_zh[gk], 100 * p.tolerance, 100 * p.county_liability);
        else
            fprintf(f,
                    "unified fund (统收统支): pooled fund balance at year end: %.2f; gap year: "
                    "%s (a gap is paid %.0f%% by the city, the rest by the counties by %s; a "
                    "county pays %.0f%% of its overspend above %.1f%% of its financing)\n\n",
                    in_unit(last->reserve_end, unit), last->exhausted ? "yes" : "no",
                    100 * p.city_share, key_en[gk], 100 * p.county_liability, 100 * p.tolerance);
    } else if (last) {
        if (zh)
            fprintf(f, "年末风险储备金：%.2f；储备金耗尽年：%s\n\n",
                    in_unit(last->reserve_end, unit), last->exhausted ? "是" : "否");
        else
            fprintf(f, "reserve at year end: %.2f; exhaustion year: %s\n\n",
                    in_unit(last->reserve_end, unit), last->exhausted ? "yes" : "no");
    }
}

int poolsim_settle_print_table(const poolsim_scenario *s, const poolsim_settlement *st, FILE *term)
{
    const int zh = s->lang && strcmp(s->lang, "zh") == 0;
    const double unit = zh ? 1e4 : 1e3;
    fputs(zh ? "结算：" : "Settlement: ", term);
    poolsim_text_put_clean(term, s->name);
    fputs(zh ? "（金额单位：万元）\n\n" : " (money in thousands of yuan)\n\n", term);
    size_t a = 0;
    while (a < st->n) {
        size_t b = a;
        while (b < st->n && st->rows[b].year == st->rows[a].year) b++;
        for (int l = 0; l < s->nlines; l++) {
            int any = 0;
            for (size_t i = a; i < b && !any; i++) any = st->rows[i].line == l;
            if (any) print_block(s, st->rows, a, b, l, zh, unit, term);
        }
        a = b;
    }
    if (fflush(term) != 0 || ferror(term)) return POOLSIM_EIO;
    return POOLSIM_OK;
}
