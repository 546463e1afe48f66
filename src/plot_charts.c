/* poolsim: what each chart shows, as a gnuplot script (MODEL.md section 7
 * quantities). Numbers reach gnuplot through inline data blocks; names
 * only through single-quoted strings (poolsim_plot_put_quoted). Every
 * range is set explicitly, so gnuplot has nothing to warn about on empty
 * data. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot_internal.h"
#include "poolsim/common.h"
#include "poolsim/output.h"

#define FONT      "Noto Sans CJK SC"
#define FONT_SIZE 11

/* Chart texts in English and Chinese; %s are filled in order. */
typedef struct {
    const char *year;
    const char *subtitle;  /* scenario, paths, seed */
    const char *fan_title; /* line name */
    const char *fan_ylabel;
    const char *band90, *band50, *median, *cap, *cap_at; /* cap_at: %s = "30%" */
    const char *exh_title, *exh_ylabel, *interval;
    const char *first_title, *first_ylabel, *never; /* never: %s = share */
    const char *none_exhausted;
    const char *burden_title;  /* line name, first year, last year */
    const char *burden_xlabel; /* first year, last year, unit */
    const char *mean, *p95, *p99, *no_burden;
    const char *heat_title; /* line name */
    const char *heat_cblabel;
    /* 统收统支 (MODEL.md section 11): a line unified in every year, one
     * moving to it (%s line name, then the first unified year twice), and
     * the titles when some line is unified */
    const char *fan_title_unified, *fan_title_transition, *fan_ylabel_unified;
    const char *exh_title_unified, *first_title_unified;
} texts;

static const texts TX[2] = {
    {
        .year = "Year",
        .subtitle = "Scenario: %s  ·  %s simulated paths  ·  seed %s",
        .fan_title = "%s: reserve ratio (year-end reserve / the year's financing)",
        .fan_ylabel = "Reserve ratio",
        .band90 = "5th-95th percentile",
        .band50 = "25th-75th percentile",
        .median = "median",
        .cap = "cap ratio (no levy at or above)",
        .cap_at = "cap ratio %s (no levy at or above)",
        .exh_title = "Probability that the city risk reserve is exhausted by each year",
        .exh_ylabel = "P(exhausted by year)",
        .interval = "%s: 95% interval",
        .first_title = "Year in which the reserve is first exhausted",
        .first_ylabel = "Share of simulated paths",
        .never = "%s (not exhausted within the horizon: %s)",
        .none_exhausted = "No simulated path exhausted the reserve within the horizon",
        .burden_title = "%s: county government burden, total %s-%s",
        .burden_xlabel = "Burden summed over %s-%s (%s)",
        .mean = "expected (mean)",
        .p95 = "95th percentile",
        .p99 = "99th percentile",
        .no_burden = "No county government burden in any simulated path",
        .heat_title = "%s: probability that a county has a shortfall after its own balance",
        .heat_cblabel = "P(shortfall > 0), %",
        .fan_title_unified = "%s: pooled fund balance ratio (统收统支: year-end pooled fund "
                             "balance / the year's financing)",
        .fan_title_transition = "%s: reserve ratio before %s, pooled fund balance ratio from "
                                "%s (统收统支)",
        .fan_ylabel_unified = "Pooled fund balance ratio",
        .exh_title_unified = "Probability that the fund is exhausted by each year (the risk "
                             "reserve; the pooled fund in 统收统支 years)",
        .first_title_unified = "Year in which the fund is first exhausted",
    },
    {
        .year = "年份",
        .subtitle = "情景：%s  ·  模拟路径 %s 条  ·  随机种子 %s",
        .fan_title = "%s：储备金比率（年末储备金 / 当年筹资总额）",
        .fan_ylabel = "储备金比率",
        .band90 = "5%–95% 分位区间",
        .band50 = "25%–75% 分位区间",
        .median = "中位数",
        .cap = "上限比率（达到即停止上解）",
        .cap_at = "上限比率 %s（达到即停止上解）",
        .exh_title = "市级风险储备金截至各年已耗尽的概率",
        .exh_ylabel = "截至当年已耗尽的概率",
        .interval = "%s：95% 置信区间",
        .first_title = "风险储备金首次耗尽的年份",
        .first_ylabel = "模拟路径占比",
        .never = "%s（期内未耗尽：%s）",
        .none_exhausted = "所有模拟路径在预测期内均未耗尽储备金",
        .burden_title = "%s：各县（市、区）政府负担，%s–%s 年合计",
        .burden_xlabel = "%s–%s 年合计负担（%s）",
        .mean = "期望值（均值）",
        .p95 = "95% 分位数",
        .p99 = "99% 分位数",
        .no_burden = "所有模拟路径中县级政府均无负担",
        .heat_title = "%s：各县（市、区）动用自身结余后仍有缺口的概率",
        .heat_cblabel = "出现缺口的概率（%）",
        .fan_title_unified = "%s：统筹基金累计结余比率（统收统支：年末累计结余 / 当年筹资总额）",
        .fan_title_transition =
            "%s：%s年前为风险储备金比率，%s年起为统筹基金累计结余比率（统收统支）",
        .fan_ylabel_unified = "累计结余比率",
        .exh_title_unified =
            "基金截至各年已耗尽的概率（风险储备金；统收统支年份为统筹基金累计结余）",
        .first_title_unified = "基金首次耗尽的年份",
    }};

static const char *const COLORS[] = {"#1f5fa8", "#c8402a", "#2e8b57", "#7b4fa0",
                                     "#d08a00", "#3b9bb3", "#8c564b", "#5c5c5c"};
#define NCOLORS (sizeof COLORS / sizeof COLORS[0])

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

/* The template `t` with its successive "%s" replaced by a, b, c
 * (poolsim_output_template). Caller frees; NULL on failure. */
static char *subst(const char *t, const char *a, const char *b, const char *c)
{
    const char *arg[3] = {a, b, c};
    return poolsim_output_template(t, 3, arg);
}

static char *subst_years(const char *t, const char *name, int y0, int y1)
{
    char a[16], b[16];
    snprintf(a, sizeof a, "%d", y0);
    snprintf(b, sizeof b, "%d", y1);
    return subst(t, name, a, b);
}

/* Chart file names come from line ids, which are identifiers; anything
 * else is replaced so a name can never leave the folder. */
static char *safe_name(const char *prefix, const char *id)
{
    char *s = fmt("%s%s", prefix, id ? id : "");
    if (!s) return NULL;
    for (char *p = s + strlen(prefix); *p; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '_' || ch == '-';
        if (!ok) *p = '_';
    }
    return s;
}

/* s cut to about `maxw` terminal columns (CJK characters count 2) at a
 * character boundary, with "…" appended when cut. Caller frees. */
static char *clip(const char *s, int maxw)
{
    int w = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int len = *p < 0x80             ? 1
                  : (*p & 0xE0) == 0xC0 ? 2
                  : (*p & 0xF0) == 0xE0 ? 3
                  : (*p & 0xF8) == 0xF0 ? 4
                                        : 1;
        int cw = len >= 3 ? 2 : 1;
        if (w + cw > maxw) return fmt("%.*s…", (int)(p - (const unsigned char *)s), s);
        w += cw;
        for (int i = 0; i < len && *p; i++) p++;
    }
    return fmt("%s", s);
}

int poolsim_plot_charts_list(const poolsim_results *r, int lang, poolsim_chart_set *out)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    int n = 2 + 3 * r->L;
    out->n = 0;
    out->chart = calloc((size_t)n, sizeof *out->chart);
    if (!out->chart) return POOLSIM_ENOMEM;
    int y0 = r->years[0], yT = r->years[r->T - 1];
    int ok = 1;
#define ADD(k, l, nm, ti)                                                                          \
    do {                                                                                           \
        poolsim_chart *c = &out->chart[out->n++];                                                  \
        c->kind = (k), c->line = (l), c->name = (nm), c->title = (ti);                             \
        ok &= c->name != NULL && c->title != NULL;                                                 \
    } while (0)
    int any_unified = 0;
    for (int l = 0; l < r->L; l++) {
        const char *ln = poolsim_output_name_or(r->line_names[l], r->line_ids[l]);
        int nu = poolsim_output_unified_years(r, l), t0 = poolsim_output_first_unified(r, l);
        char y[16];
        snprintf(y, sizeof y, "%d", t0 >= 0 ? r->years[t0] : 0);
        any_unified |= nu > 0;
        ADD(POOLSIM_CHART_FAN, l, safe_name("fan-", r->line_ids[l]),
            nu == r->T ? subst(tx->fan_title_unified, ln, NULL, NULL)
            : nu > 0   ? subst(tx->fan_title_transition, ln, y, y)
                       : subst(tx->fan_title, ln, NULL, NULL));
    }
    ADD(POOLSIM_CHART_EXHAUSTION, -1, fmt("exhaustion"),
        fmt("%s", any_unified ? tx->exh_title_unified : tx->exh_title));
    ADD(POOLSIM_CHART_FIRST_YEAR, -1, fmt("first-exhaustion"),
        fmt("%s", any_unified ? tx->first_title_unified : tx->first_title));
    for (int l = 0; l < r->L; l++) {
        const char *ln = poolsim_output_name_or(r->line_names[l], r->line_ids[l]);
        ADD(POOLSIM_CHART_BURDEN, l, safe_name("burden-", r->line_ids[l]),
            subst_years(tx->burden_title, ln, y0, yT));
    }
    for (int l = 0; l < r->L; l++) {
        const char *ln = poolsim_output_name_or(r->line_names[l], r->line_ids[l]);
        ADD(POOLSIM_CHART_SHORTFALL, l, safe_name("shortfall-", r->line_ids[l]),
            subst(tx->heat_title, ln, NULL, NULL));
    }
#undef ADD
    if (!ok) {
        poolsim_chart_set_free(out);
        return POOLSIM_ENOMEM;
    }
    return POOLSIM_OK;
}

/* ---- data blocks ---- */

static double qv(const poolsim_distsum *d, size_t i, int k)
{
    return d->q[i * POOLSIM_NQ + (size_t)k];
}

static void data_blocks(FILE *f, const poolsim_results *r)
{
    const int T = r->T, L = r->L;
    const double paths = r->paths > 0 ? (double)r->paths : 1.0;
    for (int l = 0; l < L; l++) {
        /* year p05 p25 p50 p75 p95 cap, ratios in % */
        fprintf(f, "$fan%d << EOD\n", l);
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            fprintf(f, "%d", r->years[t]);
            for (int k = 1; k <= 5; k++) fprintf(f, " %.10g", 100 * qv(&r->reserve_ratio, i, k));
            if (r->pooling_mode[i] == 1)
                fputs(" NaN\n", f); /* 统收统支: no reserve, no cap */
            else
                fprintf(f, " %.10g\n", 100 * r->cap_ratio[i]);
        }
        fputs("EOD\n", f);
    }
    /* year, then per line: P lo hi in % */
    fputs("$exh << EOD\n", f);
    for (int t = 0; t < T; t++) {
        fprintf(f, "%d", r->years[t]);
        for (int l = 0; l < L; l++) {
            size_t i = POOLSIM_LT(r, l, t);
            fprintf(f, " %.10g %.10g %.10g", 100 * r->exhaustion_prob[i], 100 * r->exhaustion_lo[i],
                    100 * r->exhaustion_hi[i]);
        }
        fputc('\n', f);
    }
    fputs("EOD\n", f);
    /* year, then per line: share of paths first exhausted that year, in % */
    fputs("$first << EOD\n", f);
    for (int t = 0; t < T; t++) {
        fprintf(f, "%d", r->years[t]);
        for (int l = 0; l < L; l++)
            fprintf(f, " %.10g",
                    100 * r->first_exhaustion_count[(size_t)l * (size_t)(T + 1) + (size_t)t] /
                        paths);
        fputc('\n', f);
    }
    fputs("EOD\n", f);
}

/* Burden data of line l in `unit`: position (first county on top), mean,
 * p95, p99 summed over the horizon. */
static void burden_block(FILE *f, const poolsim_results *r, int l, double div)
{
    fprintf(f, "$bur%d << EOD\n", l);
    for (int c = 0; c < r->C; c++) {
        size_t j = POOLSIM_LC(r, l, c);
        fprintf(f, "%d %.10g %.10g %.10g\n", r->C - 1 - c, r->county_burden_total.mean[j] / div,
                r->county_burden_total.p95[j] / div, r->county_burden_total.p99[j] / div);
    }
    fputs("EOD\n", f);
}

/* Shortfall probability of line l in %: year, position, value, cell text;
 * one block per county. */
static void heat_block(FILE *f, const poolsim_results *r, int l)
{
    fprintf(f, "$heat%d << EOD\n", l);
    for (int c = 0; c < r->C; c++) {
        for (int t = 0; t < r->T; t++) {
            double v = 100 * r->shortfall_prob[POOLSIM_LCT(r, l, c, t)];
            char cell[32];
            if (v == 0)
                snprintf(cell, sizeof cell, "0");
            else if (v < 0.1)
                snprintf(cell, sizeof cell, "<0.1");
            else if (v < 9.95)
                snprintf(cell, sizeof cell, "%.1f", v);
            else
                snprintf(cell, sizeof cell, "%.0f", v);
            fprintf(f, "%d %d %.10g %s\n", r->years[t], r->C - 1 - c, v, cell);
        }
        fputc('\n', f);
    }
    fputs("EOD\n", f);
}

/* ---- chart bodies ---- */

static void year_axis(FILE *f, const poolsim_results *r, int lang, double pad)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    int y0 = r->years[0], yT = r->years[r->T - 1];
    /* in 64 bits: the years of a results file can be any int */
    long long span = (long long)yT - (long long)y0, step = 1;
    while (span / step > 15) step = step == 1 ? 2 : step == 2 ? 5 : step * 2;
    fprintf(f, "set xrange [%g:%g]\nset xtics %lld format '%%.0f' nomirror out\n", y0 - pad,
            yT + pad, step);
    fputs("set xlabel ", f);
    poolsim_plot_put_quoted(f, tx->year);
    fputc('\n', f);
}

static void common(FILE *f, const poolsim_results *r, int lang, const char *title)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    char paths[48], seed[32];
    poolsim_plot_group((double)r->paths, 0, paths, sizeof paths);
    snprintf(seed, sizeof seed, "%llu", r->seed);
    char *scen = clip(poolsim_output_name_or(r->scenario_name, "?"), 48);
    char *sub = subst(tx->subtitle, scen ? scen : "?", paths, seed);
    free(scen);
    fputs("set encoding utf8\n", f);
    fputs("set title ", f);
    poolsim_plot_put_quoted(f, title);
    fputs(".\"\\n\".", f); /* a fixed "\n" between two single-quoted strings */
    poolsim_plot_put_quoted(f, sub ? sub : "");
    fputs(" font ',13'\n", f);
    free(sub);
    fputs("set border 3 lc rgb '#555555'\n"
          "set tics nomirror textcolor rgb '#333333'\n"
          "set key outside bottom center horizontal samplen 2.5 spacing 1.2 width 1\n"
          "set grid ytics lc rgb '#dddddd' lw 1 dt 1\n"
          "set style fill solid 1.0 noborder\n",
          f);
}

static double max_of(const double *v, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i]) && v[i] > m) m = v[i];
    return m;
}

/* Upper end of a percent axis holding values up to m (in %). */
static double pct_top(double m)
{
    double top = m * 1.1;
    if (top < 1) top = 1;
    if (top > 100 && m <= 100) top = 100;
    return top;
}

static void body_fan(FILE *f, const poolsim_results *r, int lang, const poolsim_chart *c)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    int l = c->line, T = r->T;
    double top = 0, cap0 = r->cap_ratio[POOLSIM_LT(r, l, 0)];
    int cap_const = 1;
    for (int t = 0; t < T; t++) {
        size_t i = POOLSIM_LT(r, l, t);
        top = fmax(top, qv(&r->reserve_ratio, i, 5));
        if (r->pooling_mode[i] != 1) top = fmax(top, r->cap_ratio[i]);
        if (r->cap_ratio[i] != cap0) cap_const = 0;
    }
    top = 100 * top * 1.12;
    if (!(top > 0)) top = 1;
    common(f, r, lang, c->title);
    year_axis(f, r, lang, T > 1 ? 0.2 : 0.6);
    const int no_cap =
        poolsim_output_unified_years(r, l) == T; /* 统收统支 throughout: no reserve cap */
    if (T == 1 && !no_cap) /* one year: the cap as a segment (a stepped line needs two) */
        fprintf(f, "set arrow from %g,%.10g to %g,%.10g nohead dt 2 lw 2 lc rgb '#d62728' front\n",
                r->years[0] - 0.5, 100 * cap0, r->years[0] + 0.5, 100 * cap0);
    fprintf(f, "set yrange [0:%.10g]\nset format y '%%g%%%%'\nset ylabel ", top);
    poolsim_plot_put_quoted(f, poolsim_output_unified_years(r, l) == T ? tx->fan_ylabel_unified
                                                                       : tx->fan_ylabel);
    /* bands between the years; with one year, as boxes around it */
    const char *band =
        T > 1 ? "1:2:6 with filledcurves" : "1:4:($1-0.2):($1+0.2):2:6 with boxxyerror";
    const char *band2 =
        T > 1 ? "1:3:5 with filledcurves" : "1:4:($1-0.2):($1+0.2):3:5 with boxxyerror";
    fprintf(f, "\nplot $fan%d using %s fc rgb '#c6dbef' title ", l, band);
    poolsim_plot_put_quoted(f, tx->band90);
    fprintf(f, ", \\\n  $fan%d using %s fc rgb '#6fa8d6' title ", l, band2);
    poolsim_plot_put_quoted(f, tx->band50);
    fprintf(f,
            ", \\\n  $fan%d using 1:4 with linespoints lw 2.5 pt 7 ps 0.6 lc rgb '#08306b' title ",
            l);
    poolsim_plot_put_quoted(f, tx->median);
    if (no_cap) {
        fputc('\n', f);
        return;
    }
    fprintf(f, ", \\\n  $fan%d using 1:7 with steps lw 2 dt 2 lc rgb '#d62728' title ", l);
    if (cap_const) {
        char pct[32], *s;
        snprintf(pct, sizeof pct, "%g%%", 100 * cap0);
        s = subst(tx->cap_at, pct, NULL, NULL);
        poolsim_plot_put_quoted(f, s ? s : tx->cap);
        free(s);
    } else {
        poolsim_plot_put_quoted(f, tx->cap);
    }
    fputc('\n', f);
}

static void body_exhaustion(FILE *f, const poolsim_results *r, int lang, const poolsim_chart *c)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    size_t lt = (size_t)r->L * (size_t)r->T;
    common(f, r, lang, c->title);
    year_axis(f, r, lang, 0.2);
    fprintf(f, "set yrange [0:%.10g]\nset format y '%%g%%%%'\nset ylabel ",
            pct_top(100 * max_of(r->exhaustion_hi, lt)));
    poolsim_plot_put_quoted(f, tx->exh_ylabel);
    fputs("\nplot ", f);
    for (int l = 0; l < r->L; l++) {
        const char *col = COLORS[(size_t)l % NCOLORS];
        const char *ln = poolsim_output_name_or(r->line_names[l], r->line_ids[l]);
        char *band = subst(tx->interval, ln, NULL, NULL);
        fprintf(
            f,
            "%s$exh using 1:%d:%d with filledcurves fc rgb '%s' fs transparent solid 0.22 title ",
            l ? ", \\\n  " : "", 3 + 3 * l, 4 + 3 * l, col);
        poolsim_plot_put_quoted(f, band ? band : ln);
        free(band);
        fprintf(f, ", \\\n  $exh using 1:%d with linespoints lw 2.5 pt 7 ps 0.7 lc rgb '%s' title ",
                2 + 3 * l, col);
        poolsim_plot_put_quoted(f, ln);
    }
    fputc('\n', f);
}

static void body_first(FILE *f, const poolsim_results *r, int lang, const poolsim_chart *c)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    const int T = r->T, L = r->L;
    const double paths = r->paths > 0 ? (double)r->paths : 1.0;
    double top = 0;
    for (int l = 0; l < L; l++)
        for (int t = 0; t < T; t++)
            top =
                fmax(top, 100 * r->first_exhaustion_count[(size_t)l * (size_t)(T + 1) + (size_t)t] /
                              paths);
    common(f, r, lang, c->title);
    year_axis(f, r, lang, 0.6);
    fprintf(f, "set yrange [0:%.10g]\nset format y '%%g%%%%'\nset ylabel ", pct_top(top));
    poolsim_plot_put_quoted(f, tx->first_ylabel);
    fputc('\n', f);
    if (top == 0) {
        fputs("set label 1 ", f);
        poolsim_plot_put_quoted(f, tx->none_exhausted);
        fputs(" at graph 0.5, graph 0.6 center textcolor rgb '#333333'\n", f);
    }
    double w = 0.8 / L;
    fputs("plot ", f);
    for (int l = 0; l < L; l++) {
        const char *ln = poolsim_output_name_or(r->line_names[l], r->line_ids[l]);
        char share[32];
        snprintf(share, sizeof share, "%.1f%%",
                 100 * r->first_exhaustion_count[(size_t)l * (size_t)(T + 1) + (size_t)T] / paths);
        char *key = subst(tx->never, ln, share, NULL);
        fprintf(f,
                "%s$first using ($1%+.6f):%d:(%.6f) with boxes fs solid 0.85 noborder lc rgb '%s' "
                "title ",
                l ? ", \\\n  " : "", (l - (L - 1) / 2.0) * w, l + 2, w,
                COLORS[(size_t)l % NCOLORS]);
        poolsim_plot_put_quoted(f, key ? key : ln);
        free(key);
    }
    fputc('\n', f);
}

/* County names as tics, first county on top. */
static void county_tics(FILE *f, const poolsim_results *r)
{
    fputs("set ytics nomirror (", f);
    for (int c = 0; c < r->C; c++) {
        if (c) fputs(", ", f);
        poolsim_plot_put_tic(f, poolsim_output_name_or(r->county_names[c], r->county_ids[c]));
        fprintf(f, " %d", r->C - 1 - c);
    }
    fprintf(f, ")\nset yrange [-0.6:%g]\n", r->C - 0.4);
}

static void body_burden(FILE *f, const poolsim_results *r, int lang, const poolsim_chart *c)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    int l = c->line;
    double m = 0;
    for (int k = 0; k < r->C; k++) {
        size_t j = POOLSIM_LC(r, l, k);
        m = fmax(m, fmax(r->county_burden_total.p99[j], r->county_burden_total.p95[j]));
        m = fmax(m, r->county_burden_total.mean[j]);
    }
    poolsim_unit u = poolsim_plot_unit(m, lang);
    burden_block(f, r, l, u.div);
    common(f, r, lang, c->title);
    county_tics(f, r);
    double top = m / u.div * 1.08;
    if (!(top > 0)) top = 1;
    fprintf(f,
            "set xrange [0:%.10g]\nset format x '%%g'\nset grid noytics xtics\nset xtics nomirror "
            "out\n",
            top);
    char ya[16], yb[16];
    snprintf(ya, sizeof ya, "%d", r->years[0]);
    snprintf(yb, sizeof yb, "%d", r->years[r->T - 1]);
    char *xl = subst(tx->burden_xlabel, ya, yb, u.name);
    fputs("set xlabel ", f);
    poolsim_plot_put_quoted(f, xl ? xl : u.name);
    fputc('\n', f);
    free(xl);
    if (m == 0) {
        fputs("set label 1 ", f);
        poolsim_plot_put_quoted(f, tx->no_burden);
        fputs(" at graph 0.5, graph 0.5 center textcolor rgb '#333333' front\n", f);
    }
    fprintf(
        f,
        "plot $bur%d using (0):1:(0):2:($1-0.32):($1+0.32) with boxxyerror fs solid 0.85 noborder "
        "lc rgb '#4a7fb5' title ",
        l);
    poolsim_plot_put_quoted(f, tx->mean);
    fprintf(f, ", \\\n  $bur%d using 3:1 with points pt 7 ps 1.3 lc rgb '#e6550d' title ", l);
    poolsim_plot_put_quoted(f, tx->p95);
    fprintf(f, ", \\\n  $bur%d using 4:1 with points pt 9 ps 1.6 lc rgb '#7f0000' title ", l);
    poolsim_plot_put_quoted(f, tx->p99);
    fputc('\n', f);
}

static void body_heat(FILE *f, const poolsim_results *r, int lang, const poolsim_chart *c)
{
    const texts *tx = &TX[lang == POOLSIM_LANG_ZH];
    int l = c->line;
    double m = 0;
    for (int k = 0; k < r->C; k++)
        for (int t = 0; t < r->T; t++)
            m = fmax(m, 100 * r->shortfall_prob[POOLSIM_LCT(r, l, k, t)]);
    double top = m < 1 ? 1 : m;
    common(f, r, lang, c->title);
    fputs("set grid noytics\nset key off\nset border 0\nset tics scale 0\n", f);
    county_tics(f, r);
    year_axis(f, r, lang, 0.5);
    fprintf(f, "set yrange [-0.5:%d.5]\nset cbrange [0:%.10g]\nset format cb '%%g'\nset cblabel ",
            r->C - 1, top);
    poolsim_plot_put_quoted(f, tx->heat_cblabel);
    fputs(" offset 1,0\nset palette defined (0 '#fffaf2', 0.2 '#fdd9a8', 0.45 '#fc9a5b', 0.7 "
          "'#dc3f25', 1 '#7f0000')\n",
          f);
    /* one filled rectangle per cell (vector output stays crisp at any zoom,
     * and a single year or county still draws its cells), a thin white gap
     * between cells */
    fprintf(f,
            "plot $heat%d using 1:2:(0.48):(0.46):3 with boxxyerror fs solid 1 noborder "
            "lc palette notitle",
            l);
    if (r->T <= 20 && r->C <= 40) {
        /* cell values: dark text on light cells, white on dark ones */
        double thr = 0.55 * top;
        int fs = r->T <= 12 ? 11 : 9; /* wide cells take a larger label */
        fprintf(f,
                ", \\\n  $heat%d using 1:2:($3 > %.10g ? '' : stringcolumn(4)) with labels "
                "font ',%d' textcolor rgb '#222222' notitle",
                l, thr, fs);
        fprintf(f,
                ", \\\n  $heat%d using 1:2:($3 > %.10g ? stringcolumn(4) : '') with labels "
                "font ',%d' textcolor rgb '#ffffff' notitle",
                l, thr, fs);
    }
    fputc('\n', f);
}

/* Canvas size in pixels (PNG, SVG; the PDF page is the same at 128 px per
 * inch, so text and lines keep their proportions). */
static void chart_size(const poolsim_results *r, const poolsim_chart *c, int *w, int *h)
{
    *w = 1000;
    *h = 560;
    if (c->kind == POOLSIM_CHART_BURDEN || c->kind == POOLSIM_CHART_SHORTFALL) {
        int need = 170 + 36 * r->C;
        *h = need > 460 ? need : 460;
    }
}

int poolsim_plot_charts_script(const poolsim_results *r, int lang, const poolsim_chart_set *set,
                               FILE *f)
{
    fputs("# poolsim charts (generated)\nset encoding utf8\n", f);
    data_blocks(f, r);
    for (int i = 0; i < set->n; i++) {
        const poolsim_chart *c = &set->chart[i];
        if (c->kind == POOLSIM_CHART_BURDEN) {
            /* the burden block depends on the unit chosen in body_burden; it
             * is written there, once per format (identical each time) */
        } else if (c->kind == POOLSIM_CHART_SHORTFALL) {
            heat_block(f, r, c->line);
        }
    }
    for (int i = 0; i < set->n; i++) {
        const poolsim_chart *c = &set->chart[i];
        int w, h;
        chart_size(r, c, &w, &h);
        for (int k = 0; k < POOLSIM_PLOT_NFMT; k++) {
            if (!c->file[k]) continue;
            fprintf(f, "\n# %s\nreset\n", c->name);
            if (k == 0)
                fprintf(f,
                        "set terminal pngcairo size %d,%d font '%s,%d' noenhanced background rgb "
                        "'white'\n",
                        w, h, FONT, FONT_SIZE);
            else if (k == 1)
                fprintf(
                    f,
                    "set terminal svg size %d,%d font '%s,%d' noenhanced background rgb 'white'\n",
                    w, h, FONT, FONT_SIZE);
            else
                fprintf(f,
                        "set terminal pdfcairo size %.3fin,%.3fin font '%s,%d' noenhanced "
                        "background rgb 'white'\n",
                        w / 128.0, h / 128.0, FONT, FONT_SIZE);
            fputs("set output ", f);
            poolsim_plot_put_quoted(f, c->file[k]);
            fputc('\n', f);
            switch (c->kind) {
            case POOLSIM_CHART_FAN: body_fan(f, r, lang, c); break;
            case POOLSIM_CHART_EXHAUSTION: body_exhaustion(f, r, lang, c); break;
            case POOLSIM_CHART_FIRST_YEAR: body_first(f, r, lang, c); break;
            case POOLSIM_CHART_BURDEN: body_burden(f, r, lang, c); break;
            default: body_heat(f, r, lang, c); break;
            }
            fputs("unset output\n", f);
        }
    }
    return POOLSIM_OK;
}
