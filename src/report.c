/* poolsim: the HTML report (include/poolsim/report.h) and `poolsim report`.
 *
 * Everything on the page comes from the results file: the findings are the
 * MODEL.md section 7 summaries, the charts those of src/plot_charts.c, the
 * assumptions the resolved parameters recorded by `poolsim run`. User text
 * is escaped on the way in (poolsim_report_escape); the page has no script
 * and refers to nothing outside itself, so it can be mailed or archived
 * and opened without network access. */
#include "poolsim/report.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/output.h"

/* ---- texts ---- */

typedef struct {
    const char *html_lang;
    const char *doc_title; /* after the scenario name */
    const char *subtitle;
    const char *toc[6];
    const poolsim_output_labels *label; /* shared with the workbook */
    const char *scenario, *years_fmt, *lines, *counties;
    const char *fund_scale, *fund_scale_note, *line, *financing, *expenditure, *exp_over_fin;
    const char *reading; /* HTML paragraph(s) */
    const char *findings_intro;
    const char *tab_line_title, *proj_year, *year_n, *p_exh, *interval, *median_ratio, *p05_ratio;
    const char *na;
    const char *tab_county_title, *county, *expected, *p95;
    const char *caption[POOLSIM_CHART_NKINDS]; /* by enum poolsim_chart_kind */
    const char *assumptions_intro, *scenario_as_loaded;
    const char *prov_intro, *results_file, *threads, *noise, *run_time, *generated;
    const char *noise_names[3];
    /* summary sentences: HTML with %s placeholders (poolsim_output_put_template) */
    const char *s_exh1; /* year, p, lo, hi */
    const char *s_exh2; /* year, p, lo, hi */
    const char *s_end;
    const char *s_first5; /* year */
    const char *s_no5;
    const char *s_ratio;       /* year, median, cap, p05 */
    const char *s_burden;      /* years, list */
    const char *s_burden_item; /* county, mean, p95 */
    const char *s_burden_all;  /* total of the expected burdens */
    const char *s_drift;       /* line, year 1, ratio 1, last year, last ratio */
    const char *s_drift_pass;  /* year the ratio passes 1 */
    const char *s_drift_above; /* first year: already above 1 */
    const char *s_drift_below; /* stays below 1 within the horizon */
    const char *list_sep;
    const char *footer;
} rtexts;

static const rtexts RT[2] = {
    {
        .html_lang = "en",
        .doc_title = "Risk of the city risk reserve",
        .subtitle = "Monte Carlo projection of the pooled basic medical insurance funds (poolsim)",
        .toc = {"Summary", "How to read this report", "Key findings", "Charts",
                "Assumptions and rule parameters", "Provenance"},
        .label = &poolsim_output_label[POOLSIM_LANG_EN],
        .scenario = "Scenario",
        .years_fmt = "%s–%s (%s years)",
        .lines = "Fund lines",
        .counties = "Counties (incl. the city's own level)",
        .fund_scale = "Size of the funds (expected values)",
        .fund_scale_note =
            "Financing is the pooled income of all counties of the line in the year; expenditure "
            "is their benefit spending (without the levy).",
        .line = "Fund line",
        .financing = "Financing",
        .expenditure = "Expenditure",
        .exp_over_fin = "Expenditure / financing",
        .reading = "<p>Each county keeps its own accumulated balance. Every year it pays a "
                   "<b>levy</b> (a share of last "
                   "year's financing) into the city <b>risk reserve</b>, except in years when the "
                   "reserve already holds "
                   "the <b>cap ratio</b> of the year's financing. When a county spends more than "
                   "it takes in, its own "
                   "balance pays first; what remains (its <b>shortfall</b>) is shared between the "
                   "reserve and the county "
                   "government by the size of the shortfall. When the reserve cannot pay its full "
                   "share in a year, the "
                   "reserve is <b>exhausted</b> that year and the unpaid part falls on the county "
                   "governments (or the "
                   "city, as the scenario says).</p>"
                   "<p>The future is uncertain, so the projection is repeated on many simulated "
                   "<b>paths</b>, each with "
                   "its own prices, wages, use of care, epidemics and claims. A <b>probability</b> "
                   "is the share of paths "
                   "in which something happens; its <b>95% interval</b> shows how precisely the "
                   "number of paths pins it "
                   "down. A <b>percentile</b> is a level: the 5th percentile of the reserve ratio "
                   "is the value that only "
                   "5% of paths fall below; the 95th percentile of a burden is exceeded in only 5% "
                   "of paths. The "
                   "<b>reserve ratio</b> is the reserve at the end of a year divided by that "
                   "year's financing of the "
                   "line. Money is in yuan, in the unit shown with each table or chart.</p>",
        .findings_intro =
            "The probabilities below are shares of simulated paths, with their 95% intervals.",
        .tab_line_title = "Reserve of each fund line",
        .proj_year = "Projection year",
        .year_n = "year %s (%s)",
        .p_exh = "P(reserve exhausted by then)",
        .interval = "95% interval",
        .median_ratio = "Median reserve ratio",
        .p05_ratio = "Reserve ratio, 5th percentile",
        .na = "n/a",
        .tab_county_title = "County government burden, summed over %s–%s",
        .county = "County",
        .expected = "expected",
        .p95 = "95th percentile",
        .caption =
            {"The light band holds 90% of the simulated reserve ratios (5th to 95th percentile), "
             "the dark band "
             "the middle half, the line is the median. While the reserve is below the dashed cap "
             "line the "
             "counties pay the levy; a ratio of 0 means the reserve is empty.",
             "Share of simulated paths in which the reserve has been exhausted in that year or "
             "earlier; the "
             "shaded band is the 95% interval of this estimate.",
             "Year in which the reserve is exhausted for the first time, as a share of all "
             "simulated paths; the "
             "legend gives the share of paths in which it is not exhausted within the projection "
             "years.",
             "What each county government pays from its own budget, over all projection years, for "
             "shortfalls "
             "that its balance and the reserve do not cover: the bar is the expected value, the "
             "dots the levels "
             "exceeded in only 5% and 1% of the paths.",
             "Probability (in %) that a county's own accumulated balance does not cover its "
             "deficit in a year, so "
             "that the reserve and the county government must share the shortfall.",
             "The same projection repeated for each value of the levers, on the same simulated "
             "paths (common "
             "random numbers), so differences between values are not noise of the simulation: the "
             "probability "
             "that the reserve is exhausted by the last projection year, with its 95% interval."},
        .assumptions_intro =
            "The parameters the run used, after defaults, files and command-line overrides were "
            "applied:",
        .scenario_as_loaded = "Scenario as loaded (all files and overrides)",
        .prov_intro = "The same scenario, seed and version give exactly the same numbers; this is "
                      "what reproduces this report.",
        .results_file = "Results file",
        .threads = "Threads / processes",
        .noise = "Claims noise",
        .run_time = "Run time",
        .generated = "Report generated (UTC)",
        .noise_names = {"compound", "normal", "none"},
        .s_exh1 = "the reserve is exhausted by %s with probability <b>%s</b> (95% interval %s–%s)",
        .s_exh2 = " and by %s with probability <b>%s</b> (%s–%s)",
        .s_end = ".",
        .s_first5 = "The probability first exceeds 5% in %s.",
        .s_no5 = "It stays at or below 5% in every projection year.",
        .s_ratio = "At the end of %s the median reserve ratio is %s (cap %s); in 5% of the paths "
                   "it is below %s.",
        .s_burden = "highest expected county government burden over %s: %s.",
        .s_burden_item = "%s (%s expected; %s at the 95th percentile)",
        .s_burden_all = " All counties together: %s expected.",
        .s_drift = "<b>%s: spending grows faster than financing.</b> In %s expected expenditure "
                   "over financing is %s; in %s it is %s",
        .s_drift_pass = "; it passes 1 in <b>%s</b>, after which the fund spends more than it "
                        "takes in and lives on its balances.",
        .s_drift_above = "; it is above 1 from the first year.",
        .s_drift_below = "; it stays below 1 within the projection years.",
        .list_sep = "; ",
        .footer = "Produced by poolsim from the results file named under Provenance. Illustrative "
                  "scenarios use "
                  "illustrative figures: read the scenario's own notes.",
    },
    {
        .html_lang = "zh-CN",
        .doc_title = "市级风险储备金风险评估",
        .subtitle = "基本医疗保险基金市级统筹的蒙特卡洛预测（poolsim）",
        .toc = {"概要", "阅读说明", "主要结果", "图表", "假设与规则参数", "数据来源"},
        .label = &poolsim_output_label[POOLSIM_LANG_ZH],
        .scenario = "情景",
        .years_fmt = "%s–%s 年（%s 年）",
        .lines = "基金险种",
        .counties = "统筹县（市、区，含市本级）",
        .fund_scale = "基金规模（期望值）",
        .fund_scale_note =
            "筹资为该险种各县当年统筹基金收入合计；支出为各县基金支出合计（不含上解风险储备金）。",
        .line = "险种",
        .financing = "筹资",
        .expenditure = "支出",
        .exp_over_fin = "支出 / 筹资",
        .reading =
            "<p>各县（市、区）保留各自的累计结余。每年各县按上年筹资的一定比例<b>上解风险储备金</"
            "b>；"
            "当储备金已达到当年筹资的<b>上限比率</"
            "b>时，当年停止上解。某县当年收不抵支时，先动用本县累计结余；"
            "仍不足的部分（<b>缺口</"
            "b>）按缺口大小由风险储备金和县级政府分担。某年储备金不足以支付应分担的金额时，"
            "称为储备金<b>耗尽</b>，未支付部分由县级政府（或按情景规定由市级财政）承担。</p>"
            "<p>未来存在不确定性，因此预测在大量<b>模拟路径</"
            "b>上重复进行，每条路径有各自的价格、工资、就医量、"
            "疫情和理赔情况。<b>概率</b>是发生某事件的路径所占比例，<b>95% "
            "置信区间</b>表示该估计的精度。"
            "<b>分位数</b>是一个水平：储备金比率的 5% 分位数表示只有 5% 的路径低于该值；负担的 95% "
            "分位数表示"
            "只有 5% "
            "的路径超过该值。<b>储备金比率</b>为年末储备金除以该险种当年筹资总额。金额单位为元，"
            "各表和图标明所用单位。</p>",
        .findings_intro = "以下概率为模拟路径中的比例，并给出 95% 置信区间。",
        .tab_line_title = "各险种风险储备金",
        .proj_year = "预测年份",
        .year_n = "第 %s 年（%s）",
        .p_exh = "截至该年储备金已耗尽的概率",
        .interval = "95% 置信区间",
        .median_ratio = "储备金比率中位数",
        .p05_ratio = "储备金比率 5% 分位数",
        .na = "无",
        .tab_county_title = "县级政府负担，%s–%s 年合计",
        .county = "县（市、区）",
        .expected = "期望值",
        .p95 = "95% 分位数",
        .caption =
            {"浅色带为 90% 的模拟路径所在范围（5%–95% "
             "分位数），深色带为中间一半的路径，实线为中位数。"
             "储备金比率低于红色虚线（上限比率）时各县上解；比率为 0 表示储备金已用完。",
             "截至该年储备金已耗尽的模拟路径所占比例；阴影为该估计的 95% 置信区间。",
             "储备金首次耗尽的年份（占全部模拟路径的比例）；图例给出预测期内未耗尽的路径比例。",
             "预测期内各县级政府为本县结余和储备金都未能覆盖的缺口所承担的金额合计：条形为期望值，"
             "圆点和三角分别为只有 5% 和 1% 的路径会超过的水平。",
             "某县当年累计结余不足以弥补收支缺口、需要由储备金和县级政府分担的概率（%）。",
             "对政策参数的每个取值重复同一预测，并使用相同的模拟路径（共同随机数），因此不同取值之"
             "间的差异不是模拟误差："
             "图中为截至预测期最后一年储备金耗尽的概率及其 95% 置信区间。"},
        .assumptions_intro = "本次运行所用参数（已代入默认值、所有文件和命令行覆盖）：",
        .scenario_as_loaded = "载入的情景文件（含所有文件和覆盖）",
        .prov_intro = "相同的情景、随机种子和版本得到完全相同的结果；以下信息可用于复现本报告。",
        .results_file = "结果文件",
        .threads = "线程 / 进程数",
        .noise = "理赔随机性",
        .run_time = "运行时间",
        .generated = "报告生成时间（UTC）",
        .noise_names = {"compound（复合分布）", "normal（正态近似）", "none（无）"},
        .s_exh1 = "截至 %s 年储备金已耗尽的概率为 <b>%s</b>（95% 置信区间 %s–%s）",
        .s_exh2 = "，截至 %s 年为 <b>%s</b>（%s–%s）",
        .s_end = "。",
        .s_first5 = "该概率在 %s 年首次超过 5%。",
        .s_no5 = "各预测年份该概率均不超过 5%。",
        .s_ratio = "%s 年末储备金比率中位数为 %s（上限比率 %s）；5% 的路径低于 %s。",
        .s_burden = "%s 年县级政府负担期望值最高的是：%s。",
        .s_burden_item = "%s（期望 %s，95% 分位数 %s）",
        .s_burden_all = "全部县（市、区）合计期望 %s。",
        .s_drift = "<b>%s：支出增长快于筹资。</b>预期支出与筹资之比从 %s 年的 %s 升至 %s 年的 %s",
        .s_drift_pass = "，并在 <b>%s</b> 年超过 1，此后基金收不抵支，依靠累计结余运行。",
        .s_drift_above = "，自第一年起即高于 1。",
        .s_drift_below = "，预测期内仍低于 1。",
        .list_sep = "；",
        .footer =
            "本报告由 poolsim "
            "根据“数据来源”中所列结果文件生成。示例情景使用示意性数据，请参阅情景文件中的说明。",
    }};

/* ---- small helpers ---- */

void poolsim_report_escape(FILE *f, const char *s)
{
    if (!s) return;
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*p, f);
        }
    }
}

#define ESC(f, s) poolsim_report_escape((f), (s))

/* Escaped copy of s (for template arguments). Caller frees. */
static char *esc_dup(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    ESC(f, s ? s : "");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* A probability as a percentage with enough decimals to be read. */
static char *pct(double p, char *buf, size_t n)
{
    double v = 100 * p;
    if (v == 0)
        snprintf(buf, n, "0%%");
    else if (v < 0.01)
        snprintf(buf, n, "&lt;0.01%%");
    else if (v < 1)
        snprintf(buf, n, "%.2f%%", v);
    else
        snprintf(buf, n, "%.1f%%", v);
    return buf;
}

/* Money in unit u: 2 decimals, thousands grouped. */
static char *money(double v, poolsim_unit u, char *buf, size_t n)
{
    return poolsim_plot_group(v / u.div, u.div > 1 ? 2 : 0, buf, n);
}

static const char *const KIND_ID[POOLSIM_CHART_NKINDS] = {
    "fan", "exhaustion", "first-exhaustion", "burden", "shortfall", "sweep"};

/* ---- SVG inlining ---- */

static int starts(const char *p, const char *s)
{
    return strncmp(p, s, strlen(s)) == 0;
}

char *poolsim_report_inline_svg(const char *svg, const char *id_prefix, const char *title)
{
    const char *p = strstr(svg, "<svg");
    if (!p) return NULL;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    /* the root tag: keep every attribute but the namespace declarations */
    const char *end = strchr(p, '>');
    if (!end) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fputs("<svg", f);
    const char *a = p + 4;
    while (a < end) {
        while (a < end && (*a == ' ' || *a == '\n' || *a == '\t' || *a == '\r')) a++;
        if (a >= end || *a == '/') break;
        const char *eq = a;
        while (eq < end && *eq != '=' && *eq != ' ' && *eq != '\n') eq++;
        const char *stop = eq;
        if (eq < end && *eq == '=' && (eq[1] == '"' || eq[1] == '\'')) {
            const char *close = strchr(eq + 2, eq[1]);
            stop = close && close < end ? close + 1 : end;
        }
        if (!starts(a, "xmlns")) {
            fputc(' ', f);
            fwrite(a, 1, (size_t)(stop - a), f);
        }
        a = stop;
    }
    fputs(" role=\"img\" aria-label=\"", f);
    ESC(f, title);
    fputs("\">", f);
    p = end + 1;
    int titled = 0;
    while (*p) {
        if (!titled && starts(p, "<title>")) {
            const char *te = strstr(p, "</title>");
            if (te) {
                fputs("<title>", f);
                ESC(f, title);
                fputs("</title>", f);
                p = te + strlen("</title>");
                titled = 1;
                continue;
            }
        }
        if ((p[0] == ' ' || p[0] == '\t' || p[0] == '\n') && starts(p + 1, "id=") &&
            (p[4] == '"' || p[4] == '\'')) {
            fwrite(p, 1, 5, f);
            fputs(id_prefix, f);
            p += 5;
            continue;
        }
        if (starts(p, "href=") && (p[5] == '"' || p[5] == '\'') && p[6] == '#') {
            fwrite(p, 1, 7, f);
            fputs(id_prefix, f);
            p += 7;
            continue;
        }
        if (starts(p, "url(#")) {
            fputs("url(#", f);
            fputs(id_prefix, f);
            p += 5;
            continue;
        }
        fputc(*p, f);
        p++;
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- the page ---- */

static const char CSS[] =
    "body{margin:0;background:#f4f5f7;color:#1d2330;font:15px/1.55 \"Noto Sans CJK SC\",\"Noto "
    "Sans SC\","
    "\"Source Han Sans SC\",\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\",\"WenQuanYi "
    "Micro Hei\","
    "\"Segoe UI\",Arial,sans-serif}\n"
    "main{max-width:1080px;margin:0 auto;padding:24px 32px 48px;background:#fff}\n"
    "header{border-bottom:3px solid #1f5fa8;margin-bottom:16px;padding-bottom:8px}\n"
    "h1{font-size:26px;margin:8px 0 4px}h2{font-size:20px;margin:32px 0 8px;color:#1f3f6e;"
    "border-bottom:1px solid #d5dbe5;padding-bottom:4px}h3{font-size:16px;margin:20px 0 6px}\n"
    ".sub{color:#4a5568;margin:0}.meta{color:#4a5568;font-size:13px;margin:4px 0 0}\n"
    "nav ol{margin:4px 0;padding-left:22px;columns:2}\n"
    "ul.findings li{margin:6px 0}\n"
    "table{border-collapse:collapse;margin:8px 0 4px;font-size:14px}\n"
    "th,td{border:1px solid #d5dbe5;padding:4px 10px;text-align:left;vertical-align:top}\n"
    "th{background:#eef2f8;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "table.kv th{width:30%}\n"
    ".note{color:#4a5568;font-size:13px;margin:2px 0 12px}\n"
    "figure{margin:20px 0 28px;page-break-inside:avoid;break-inside:avoid}\n"
    ".chart svg{display:block;width:100%;height:auto;max-width:1000px;border:1px solid #e2e6ee;"
    "background:#fff}\n"
    ".chart svg text,.chart svg tspan,.chart svg g{font-family:\"Noto Sans CJK SC\",\"Noto Sans "
    "SC\","
    "\"Source Han Sans SC\",\"PingFang SC\",\"Hiragino Sans GB\",\"Microsoft YaHei\",\"WenQuanYi "
    "Micro Hei\","
    "Arial,sans-serif}\n"
    "figcaption{font-size:14px;color:#333;margin-top:6px;max-width:1000px}\n"
    "figcaption b{color:#1d2330}\n"
    "pre{background:#f6f8fa;border:1px solid "
    "#e2e6ee;padding:10px;font-size:12.5px;line-height:1.45;"
    "white-space:pre-wrap;overflow-wrap:anywhere;font-family:\"Noto Sans Mono CJK SC\",\"DejaVu "
    "Sans Mono\","
    "Consolas,monospace}\n"
    "details summary{cursor:pointer;margin:10px 0;color:#1f3f6e}\n"
    "footer{margin-top:36px;color:#4a5568;font-size:12.5px;border-top:1px solid "
    "#d5dbe5;padding-top:8px}\n"
    "@media print{body{background:#fff}main{padding:0;max-width:none}h2{page-break-after:avoid}}\n";

static void kv_row(FILE *f, const char *k, const char *v_html)
{
    fputs("<tr><th>", f);
    ESC(f, k);
    fputs("</th><td>", f);
    fputs(v_html, f);
    fputs("</td></tr>\n", f);
}

static void kv_text(FILE *f, const char *k, const char *v)
{
    fputs("<tr><th>", f);
    ESC(f, k);
    fputs("</th><td>", f);
    ESC(f, v ? v : "");
    fputs("</td></tr>\n", f);
}

static void section(FILE *f, const rtexts *tx, int i, const char *id)
{
    fprintf(f, "\n<section id=\"%s\">\n<h2>%d. ", id, i + 1);
    ESC(f, tx->toc[i]);
    fputs("</h2>\n", f);
}

/* ---- 统收统支 (MODEL.md section 11): the design's own words ---- */

typedef struct {
    const char *doc_title, *reading, *tab_line_title, *p_exh, *median_ratio, *p05_ratio;
    const char *s_exh1;      /* as rtexts.s_exh1, for a line with unified years */
    const char *s_ratio;     /* year, median, (nothing), p05 */
    const char *design;      /* line, first unified year, city %, key */
    const char *design_from; /* a later change of the terms: year, city %, key */
    const char *liab;        /* liability %, tolerance % (zh: tolerance %, liability %) */
    const char *tail;        /* no levy in these years */
    const char *moved;       /* year: the balances moved up */
    const char *keys[3];     /* gap_key names */
    const char *cap_fan, *cap_exh, *cap_first; /* chart captions */
    const char *no_liab; /* as the liability clause of design when the liability is 0 */
    /* some lines or years under county accounts, others unified (a
     * transition): words that cover both */
    const char *mx_doc_title, *mx_tab_line_title, *mx_p_exh, *mx_median_ratio, *mx_p05_ratio;
    const char *mx_cap_exh, *mx_cap_first;
    const char *h_p_exh, *mx_h_p_exh; /* the health table's column: year */
} utexts;

static const utexts UT[2] = {
    {
        .doc_title = "Risk of the pooled fund (统收统支)",
        .reading = "<p>Under <b>统收统支</b> (unified pooling) every county's financing goes into "
                   "one city fund per fund line and every claim is paid from it: there is no "
                   "county balance, no levy and no separate risk reserve. The fund's accumulated "
                   "balance (<b>pooled fund balance</b>, 统筹基金累计结余) carries the risk. When "
                   "it cannot cover a year's deficit the fund is <b>exhausted</b> that year and "
                   "the gap is shared by the city and the county governments on the terms "
                   "below. A <b>percentile</b> is a level: the 5th percentile of the balance "
                   "ratio is the value only 5% of the simulated paths fall below. The "
                   "<b>balance ratio</b> is the pooled fund balance at the end of a year divided "
                   "by that year's financing. Money is in yuan.</p>",
        .tab_line_title = "Pooled fund of each fund line",
        .p_exh = "P(fund exhausted by then)",
        .median_ratio = "Median balance ratio",
        .p05_ratio = "5th percentile of the balance ratio",
        .s_exh1 = "the fund is exhausted by %s with probability <b>%s</b> (95% interval %s–%s)",
        .s_ratio = "At the end of %s the median pooled fund balance ratio is %s%s; in 5% of the "
                   "paths it is below %s.",
        .design = "<p><b>%s</b>: 统收统支 from %s. A gap of the pooled fund is paid %s by the "
                  "city government, the rest by the county governments in proportion to their "
                  "%s",
        .design_from = " From %s a gap is paid %s by the city government, the rest by the "
                       "county governments in proportion to their %s",
        .liab = "; a county government pays %s of its own overspend above %s of its "
                "financing into the fund.",
        .tail = " No levy is collected in these years.",
        .moved = " At the start of %s the risk reserve and every county's accumulated balance "
                 "moved up into the pooled fund (上划).",
        .keys = {"financing", "enrolees", "deficits"},
        .cap_fan = "The light band holds 90% of the simulated pooled fund balance ratios (5th to "
                   "95th percentile), the dark band the middle half, the line is the median. "
                   "There is no levy and no cap under 统收统支; a ratio of 0 means the pooled "
                   "fund is empty.",
        .cap_exh = "Share of simulated paths in which the pooled fund has been exhausted in that "
                   "year or earlier; the shaded band is the 95% interval of this estimate.",
        .cap_first = "Year in which the pooled fund is exhausted for the first time, as a share "
                     "of all simulated paths; the legend gives the share of paths in which it is "
                     "not exhausted within the projection years.",
        .no_liab = "; county governments are not liable for their own overspend.",
        .mx_doc_title = "Risk of the city risk reserve and of the pooled fund (统收统支)",
        .mx_tab_line_title = "Reserve, or pooled fund in 统收统支 years, of each fund line",
        .mx_p_exh = "P(reserve, or pooled fund in 统收统支 years, exhausted by then)",
        .mx_median_ratio = "Median reserve or pooled balance ratio",
        .mx_p05_ratio = "Reserve or pooled balance ratio, 5th percentile",
        .mx_cap_exh = "Share of simulated paths in which the fund (the reserve, or the pooled "
                      "fund in 统收统支 years) has been exhausted in that year or earlier; the "
                      "shaded band is the 95% interval of this estimate.",
        .mx_cap_first = "Year in which the fund (the reserve, or the pooled fund in 统收统支 "
                        "years) is exhausted for the first time, as a share of all simulated "
                        "paths; the legend gives the share of paths in which it is not exhausted "
                        "within the projection years.",
        .h_p_exh = "P(pooled fund exhausted by %s)",
        .mx_h_p_exh = "P(reserve, or pooled fund in 统收统支 years, exhausted by %s)",
    },
    {
        .doc_title = "统筹基金风险评估（统收统支）",
        .reading =
            "<p>实行<b>统收统支</b>后，各县（市、区）筹资全部纳入市级统筹基金，基金支出全部由"
            "统筹基金支付：不再保留县级累计结余，不再上解，也不另设风险储备金，由"
            "<b>统筹基金累计结余</b>承担风险。某年累计结余不足以弥补当年收支缺口时，称为基金"
            "<b>耗尽</b>，缺口按下述办法由市、县两级政府分担。<b>分位数</b>是一个水平："
            "累计结余比率的 5% 分位数表示只有 5% 的路径低于该值。<b>累计结余比率</b>为年末统筹"
            "基金累计结余除以该险种当年筹资总额。金额单位为元。</p>",
        .tab_line_title = "各险种统筹基金累计结余",
        .p_exh = "截至该年统筹基金已耗尽的概率",
        .median_ratio = "累计结余比率中位数",
        .p05_ratio = "累计结余比率 5% 分位数",
        .s_exh1 = "截至 %s 年基金已耗尽的概率为 <b>%s</b>（95% 置信区间 %s–%s）",
        .s_ratio = "%s 年末统筹基金累计结余比率中位数为 %s%s；5% 的路径低于 %s。",
        .design = "<p><b>%s</b>：%s 年起统收统支。统筹基金出现缺口时，市级财政承担 %s，其余由各县"
                  "（市、区）政府按%s分担",
        .design_from = "%s 年起，缺口由市级财政承担 %s，其余由各县（市、区）政府按%s分担",
        .liab = "；县级超支超过本县筹资 %s 的部分，由县级政府承担 %s 并缴入统筹基金。",
        .tail = "统收统支年份不再上解风险储备金。",
        .moved = "%s 年初，风险储备金和各县累计结余全部上划统筹基金。",
        .keys = {"筹资额", "参保人数", "赤字"},
        .cap_fan =
            "浅色带为 90% 的模拟累计结余比率（5%–95% 分位），深色带为中间 50%，实线为中位数。"
            "统收统支下不上解、不设上限比率；比率为 0 表示统筹基金累计结余已用完。",
        .cap_exh = "截至该年统筹基金已耗尽的模拟路径所占比例；阴影为该估计的 95% 置信区间。",
        .cap_first =
            "统筹基金首次耗尽的年份（占全部模拟路径的比例）；图例给出预测期内未耗尽的路径比例。",
        .no_liab = "；县级政府不承担本县超支责任。",
        .mx_doc_title = "市级风险储备金与统筹基金（统收统支）风险评估",
        .mx_tab_line_title = "各险种风险储备金（统收统支年份为统筹基金累计结余）",
        .mx_p_exh = "截至该年基金已耗尽的概率（风险储备金；统收统支年份为统筹基金）",
        .mx_median_ratio = "储备金比率或累计结余比率中位数",
        .mx_p05_ratio = "储备金比率或累计结余比率 5% 分位数",
        .mx_cap_exh = "截至该年基金（风险储备金；统收统支年份为统筹基金）已耗尽的模拟路径所占比例；"
                      "阴影为该估计的 95% 置信区间。",
        .mx_cap_first = "基金（风险储备金；统收统支年份为统筹基金）首次耗尽的年份（占全部模拟路径的"
                        "比例）；图例给出预测期内未耗尽的路径比例。",
        .h_p_exh = "截至 %s 年统筹基金耗尽的概率",
        .mx_h_p_exh = "截至 %s 年基金（风险储备金；统收统支年份为统筹基金）耗尽的概率",
    }};

/* One paragraph per line with unified years: the gap-sharing terms in
 * force from its first unified year, each later change of them with its
 * year, and, for a transition, the move up. */
static void write_pooling(FILE *f, const poolsim_results *r, int lang)
{
    const utexts *u = &UT[lang == POOLSIM_LANG_ZH];
    for (int l = 0; l < r->L; l++) {
        const int t0 = poolsim_output_first_unified(r, l);
        if (t0 < 0) continue;
        char *ln = esc_dup(poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        for (int t = t0; t < r->T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            if (r->pooling_mode[i] != 1) continue;
            if (t > t0) {
                size_t p = POOLSIM_LT(r, l, t - 1);
                if (r->gap_city_share[i] == r->gap_city_share[p] &&
                    r->gap_key[i] == r->gap_key[p] &&
                    r->county_liability[i] == r->county_liability[p] &&
                    r->tolerance[i] == r->tolerance[p])
                    continue;
            }
            char yr[16], city[32], liab[32], tol[32];
            snprintf(yr, sizeof yr, "%d", r->years[t]);
            snprintf(city, sizeof city, "%g%%", 100 * r->gap_city_share[i]);
            snprintf(liab, sizeof liab, "%g%%", 100 * r->county_liability[i]);
            snprintf(tol, sizeof tol, "%g%%", 100 * r->tolerance[i]);
            int key = (int)r->gap_key[i];
            const char *kn = u->keys[key >= 0 && key <= 2 ? key : 0];
            if (t == t0) {
                const char *a[] = {ln, yr, city, kn};
                poolsim_output_put_template(f, u->design, 4, a);
            } else {
                const char *a[] = {yr, city, kn};
                poolsim_output_put_template(f, u->design_from, 3, a);
            }
            if (r->county_liability[i] > 0) {
                const char *zh[] = {tol, liab}, *en[] = {liab, tol};
                poolsim_output_put_template(f, u->liab, 2, lang == POOLSIM_LANG_ZH ? zh : en);
            } else {
                fputs(u->no_liab, f);
            }
        }
        fputs(u->tail, f);
        if (t0 > 0) {
            char yr[16];
            snprintf(yr, sizeof yr, "%d", r->years[t0]);
            const char *a[] = {yr};
            poolsim_output_put_template(f, u->moved, 1, a);
        }
        fputs("</p>\n", f);
        free(ln);
    }
}

/* When expected spending outgrows expected financing over the horizon (the
 * ratio of the means is higher in the last year than in the first), say so
 * and give the first year the ratio is above 1. */
static void write_drift(FILE *f, const poolsim_results *r, const rtexts *tx, int l)
{
    const int T = r->T;
    double q[2];
    for (int k = 0; k < 2; k++) {
        size_t i = POOLSIM_LT(r, l, k ? T - 1 : 0);
        double fin = r->financing_total.mean[i];
        q[k] = fin > 0 ? r->expenditure_total.mean[i] / fin : NAN;
    }
    if (T < 2 || !(q[1] > q[0])) return;
    int pass = 0;
    for (int t = 0; t < T && !pass; t++) {
        size_t i = POOLSIM_LT(r, l, t);
        if (r->expenditure_total.mean[i] > r->financing_total.mean[i]) pass = r->years[t];
    }
    char y0[16], y1[16], a[32], b[32], yp[16];
    snprintf(y0, sizeof y0, "%d", r->years[0]);
    snprintf(y1, sizeof y1, "%d", r->years[T - 1]);
    snprintf(a, sizeof a, "%.2f", q[0]);
    snprintf(b, sizeof b, "%.2f", q[1]);
    snprintf(yp, sizeof yp, "%d", pass);
    char *ln = esc_dup(poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
    const char *args[] = {ln, y0, a, y1, b};
    fputs("<li class=\"drift\">", f);
    poolsim_output_put_template(f, tx->s_drift, 5, args);
    if (pass == r->years[0])
        fputs(tx->s_drift_above, f);
    else if (pass) {
        const char *pa[] = {yp};
        poolsim_output_put_template(f, tx->s_drift_pass, 1, pa);
    } else
        fputs(tx->s_drift_below, f);
    fputs("</li>\n", f);
    free(ln);
}

/* ---- fund health, who pays, and the readings that change results ---- */

/* the English or the Chinese text */
#define TXT(en, zh) (lz ? (zh) : (en))

/* Fund health and who pays, per line, in the last year (MODEL.md sections
 * 11 and 13): the first thing the report shows. */
static void write_health(FILE *f, const poolsim_results *r, int lang)
{
    const int lz = lang == POOLSIM_LANG_ZH, T = r->T;
    char a[64], b[64], c[64];
    double mx = 0;
    for (int l = 0; l < r->L; l++)
        for (int cc = 0; cc < r->C; cc++) {
            size_t i = POOLSIM_LC(r, l, cc);
            mx = fmax(mx, fmax(r->county_burden_total.p95[i], r->county_burden_total.mean[i]));
        }
    for (int l = 0; l < r->L && r->present[POOLSIM_ROW_government_burden_total]; l++)
        mx = fmax(mx, r->government_burden_total.p95[l]);
    poolsim_unit u = poolsim_plot_unit(mx, lang);
    fprintf(f, "<h3>%s</h3>\n<table class=\"health\">\n<tr><th>%s</th>",
            TXT("Fund health and who pays", "基金运行状况与负担承担"), TXT("Fund line", "基金"));
    int hm = r->present[POOLSIM_ROW_months_covered];
    if (hm)
        fprintf(f,
                TXT("<th>Months of payment covered, %d: 5th percentile / median</th>"
                    "<th>P(fewer than %g months), %d</th>",
                    "<th>%1$d 年可支付月数：5%% 分位数 / 中位数</th><th>%3$d 年可支付月数低于 "
                    "%2$g 个月的概率</th>"),
                r->years[T - 1], r->warn_months[0], r->years[T - 1]);
    /* the fund the probability is about in the last year */
    int nu = 0;
    for (int l = 0; l < r->L; l++) nu += r->pooling_mode[POOLSIM_LT(r, l, T - 1)] == 1;
    const utexts *ut = &UT[lang == POOLSIM_LANG_ZH];
    fputs("<th>", f);
    if (nu == 0)
        fprintf(f, TXT("P(reserve exhausted by %d)", "截至 %d 年储备金耗尽的概率"),
                r->years[T - 1]);
    else {
        char yl[16];
        snprintf(yl, sizeof yl, "%d", r->years[T - 1]);
        const char *ya[] = {yl};
        poolsim_output_put_template(f, nu == r->L ? ut->h_p_exh : ut->mx_h_p_exh, 1, ya);
    }
    fputs("</th>", f);
    int gov = r->present[POOLSIM_ROW_government_burden_total] &&
              r->present[POOLSIM_ROW_city_burden_total];
    if (gov)
        fprintf(f,
                TXT("<th>City and county governments, %d–%d: expected / 95th percentile (%s)</th>"
                    "<th>of which the city: expected / 95th percentile (%s)</th>",
                    "<th>%d–%d 年市县两级政府负担：期望 / 95%% 分位数（%s）</th>"
                    "<th>其中市级：期望 / 95%% 分位数（%s）</th>"),
                r->years[0], r->years[T - 1], u.name, u.name);
    fprintf(f,
            TXT("<th>County governments, %d–%d: expected total (%s)</th>"
                "<th>Highest county, 95th percentile (%s)</th></tr>\n",
                "<th>%d–%d 年县级政府负担合计期望（%s）</th><th>负担 95%% 分位数最高的县（%s）</th>"
                "</tr>\n"),
            r->years[0], r->years[T - 1], u.name, u.name);
    for (int l = 0; l < r->L; l++) {
        size_t last = POOLSIM_LT(r, l, T - 1);
        fputs("<tr><td>", f);
        ESC(f, poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        fputs("</td>", f);
        if (hm) {
            const double *q = &r->months_covered.q[last * POOLSIM_NQ];
            fprintf(f, "<td class=\"n\">%.1f / %.1f</td>", q[1], q[3]);
            fprintf(f, "<td class=\"n\"><b>%s</b> (%s–%s)</td>",
                    pct(r->low_months_prob[last], a, sizeof a),
                    pct(r->low_months_lo[last], b, sizeof b),
                    pct(r->low_months_hi[last], c, sizeof c));
        }
        fprintf(f, "<td class=\"n\"><b>%s</b> (%s–%s)</td>",
                pct(r->exhaustion_prob[last], a, sizeof a),
                pct(r->exhaustion_lo[last], b, sizeof b), pct(r->exhaustion_hi[last], c, sizeof c));
        double all = 0, worst = -1;
        int wc = -1;
        for (int cc = 0; cc < r->C; cc++) {
            size_t i = POOLSIM_LC(r, l, cc);
            all += r->county_burden_total.mean[i];
            if (r->county_burden_total.p95[i] > worst)
                worst = r->county_burden_total.p95[i], wc = cc;
        }
        if (gov) {
            fprintf(f, "<td class=\"n\">%s / <b>%s</b></td>",
                    money(r->government_burden_total.mean[l], u, a, sizeof a),
                    money(r->government_burden_total.p95[l], u, b, sizeof b));
            fprintf(f, "<td class=\"n\">%s / %s</td>",
                    money(r->city_burden_total.mean[l], u, a, sizeof a),
                    money(r->city_burden_total.p95[l], u, b, sizeof b));
        }
        fprintf(f, "<td class=\"n\">%s</td><td>", money(all, u, a, sizeof a));
        if (wc >= 0) {
            ESC(f, poolsim_output_name_or(r->county_names[wc], r->county_ids[wc]));
            fprintf(f, " %s", money(worst, u, b, sizeof b));
        }
        fputs("</td></tr>\n", f);
    }
    fputs("</table>\n", f);
}

/* A META series of line l as text: "v" when constant over the years,
 * else "v (y0–), w (y1–), ...". fmt formats one value into buf. */
typedef void (*fmt_fn)(double v, int lz, char *buf, size_t n);

static void put_series(FILE *f, const poolsim_results *r, const double *x, int l, int lz,
                       fmt_fn fmt)
{
    char buf[160];
    int changes = 0;
    for (int t = 1; t < r->T; t++) changes += x[POOLSIM_LT(r, l, t)] != x[POOLSIM_LT(r, l, t - 1)];
    for (int t = 0; t < r->T; t++) {
        double v = x[POOLSIM_LT(r, l, t)];
        if (t > 0 && v == x[POOLSIM_LT(r, l, t - 1)]) continue;
        fmt(v, lz, buf, sizeof buf);
        if (t > 0) fputs(lz ? "；" : "; ", f);
        ESC(f, buf);
        if (changes) fprintf(f, lz ? "（%d 年起）" : " (from %d)", r->years[t]);
    }
}

static void fmt_sharing(double v, int lz, char *buf, size_t n)
{
    snprintf(buf, n, "%s",
             v != 0 ? TXT("marginal: each slice of a shortfall is shared at its own bracket's "
                          "rate, like tax brackets",
                          "分段累进（marginal）：缺口按所在各段分别适用各段比例，类似累进税率")
                    : TXT("bracket: the whole shortfall is shared at the rate of the bracket "
                          "holding its size (as the rule's text reads)",
                          "按档（bracket）：整个缺口按其所在档次的比例分担（按规则原文理解）"));
}

static void fmt_uncovered(double v, int lz, char *buf, size_t n)
{
    snprintf(buf, n, "%s",
             v != 0 ? TXT("the city's finance", "市级财政")
                    : TXT("the county government (default)", "县级政府（默认）"));
}

/* One reading of the table below for line l (k: the row). */
static void put_reading(FILE *f, const poolsim_results *r, int k, int l, int lz)
{
    const int T = r->T;
    switch (k) {
    case 0: put_series(f, r, r->sharing_marginal, l, lz, fmt_sharing); break;
    case 1:
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            if (t > 0 && r->top_bracket_from[i] == r->top_bracket_from[i - 1] &&
                r->top_bracket_reserve[i] == r->top_bracket_reserve[i - 1])
                continue;
            if (t > 0) fputs(lz ? "；" : "; ", f);
            fprintf(f,
                    TXT("above %g%% of the county's financing the county government pays "
                        "<b>%g%%</b>, the reserve %g%%",
                        "超过县级筹资的 %g%% 的缺口：县级政府承担 <b>%g%%</b>，储备金承担 %g%%"),
                    100 * r->top_bracket_from[i], 100 * (1 - r->top_bracket_reserve[i]),
                    100 * r->top_bracket_reserve[i]);
            if (t > 0) fprintf(f, lz ? "（%d 年起）" : " (from %d)", r->years[t]);
        }
        break;
    case 2: put_series(f, r, r->uncovered_city, l, lz, fmt_uncovered); break;
    case 3:
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            if (t > 0 && r->cap_top_up[i] == r->cap_top_up[i - 1] &&
                r->cap_ratio[i] == r->cap_ratio[i - 1])
                continue;
            if (t > 0) fputs(lz ? "；" : "; ", f);
            if (r->cap_top_up[i] != 0)
                fprintf(f,
                        TXT("top_up: the levy only tops the reserve up to %g%% of the year's "
                            "financing",
                            "补足（top_up）：上解只补足到当年筹资的 %g%%"),
                        100 * r->cap_ratio[i]);
            else
                fprintf(f,
                        TXT("stop: no levy at all in a year the reserve holds %g%% of the year's "
                            "financing",
                            "停止（stop）：储备金达到当年筹资的 %g%% 时当年不再上解"),
                        100 * r->cap_ratio[i]);
            if (t > 0) fprintf(f, lz ? "（%d 年起）" : " (from %d)", r->years[t]);
        }
        break;
    case 4:
        for (int t = 0; t < T; t++) {
            size_t i = POOLSIM_LT(r, l, t);
            int uni = r->pooling_mode[i] != 0;
            if (t > 0 && r->pooling_mode[i] == r->pooling_mode[i - 1] &&
                (!uni || r->gap_city_share[i] == r->gap_city_share[i - 1]))
                continue;
            if (t > 0) fputs(lz ? "；" : "; ", f);
            if (uni)
                fprintf(
                    f,
                    TXT("unified: one city fund (统收统支); the city government pays "
                        "<b>%g%%</b> of a gap, the counties the rest",
                        "统收统支（unified）：基金缺口由市级政府承担 <b>%g%%</b>，其余由各县承担"),
                    100 * r->gap_city_share[i]);
            else
                fputs(TXT("county accounts with a city risk reserve (default)",
                          "县级核算 + 市级风险储备金（默认）"),
                      f);
            if (t > 0) fprintf(f, lz ? "（%d 年起）" : " (from %d)", r->years[t]);
        }
        break;
    case 5: {
        size_t l0 = POOLSIM_LT(r, l, 0), lT = POOLSIM_LT(r, l, T - 1);
        double f0 = r->financing_total.mean[l0], fT = r->financing_total.mean[lT];
        double q0 = f0 > 0 ? r->expenditure_total.mean[l0] / f0 : NAN;
        double qT = fT > 0 ? r->expenditure_total.mean[lT] / fT : NAN;
        fprintf(f,
                TXT("expected expenditure / financing %.2f in %d, %.2f in %d",
                    "预期支出 / 筹资：%2$d 年 %1$.2f，%4$d 年 %3$.2f"),
                q0, r->years[0], qT, r->years[T - 1]);
        break;
    }
    case 6: fprintf(f, TXT("%g months", "%g 个月"), r->warn_months[l]); break;
    default: {
        int nr = 0;
        for (int j = 0; j < r->R; j++) {
            if (r->rule_line[j] != l) continue;
            if (nr++) fputs(lz ? "、" : ", ", f);
            ESC(f, r->rule_ids[j]);
        }
        if (!nr) fputs(TXT("none", "无"), f);
        break;
    }
    }
}

/* The readings that change results most, in plain words, with the values
 * in force for each line, and the horizon. */
static void write_readings(FILE *f, const poolsim_results *r, int lang)
{
    const int lz = lang == POOLSIM_LANG_ZH, T = r->T;
    static const char *const label[2][8] = {
        {"How a shortfall is shared between the reserve and the county government (sharing.mode)",
         "Shortfalls above the last bracket (the source text is cut off above 50%)",
         "Who pays what an exhausted reserve cannot (reserve.uncovered)",
         "Levy cap (reserve.cap_mode, cap_ratio)", "Pooling design (pooling.mode)",
         "Growth of spending against financing",
         "A fund is low below this many months of payment (health.warn_months)",
         "Management rules (management)"},
        {"缺口在储备金与县级政府之间的分担方式（sharing.mode）",
         "超过最后一档的缺口（原文 50% 以上部分缺失）",
         "储备金耗尽后未能支付的部分由谁承担（reserve.uncovered）",
         "上解封顶方式（reserve.cap_mode、cap_ratio）", "统筹模式（pooling.mode）",
         "支出增长与筹资增长", "可支付月数低于此值视为基金偏低（health.warn_months）",
         "待遇动态调整规则（management）"}};
    fprintf(f, "<h3>%s</h3>\n<table class=\"readings\">\n<tr><th>%s</th>",
            TXT("Readings that change the results", "影响结果的关键假设"), TXT("Reading", "假设"));
    for (int l = 0; l < r->L; l++) {
        fputs("<th>", f);
        ESC(f, poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    /* the horizon, common to all lines */
    fprintf(f, "<tr><th>%s</th><td colspan=\"%d\">", TXT("Horizon", "预测期"), r->L);
    fprintf(f,
            TXT("%d–%d (%d years): risks that build up later are not shown",
                "%d–%d 年（%d 年）：更晚出现的风险不在其中"),
            r->years[0], r->years[T - 1], T);
    fputs("</td></tr>\n", f);
    int meta = r->present[POOLSIM_ROW_sharing_marginal];
    for (int k = 0; k < 8; k++) {
        if (!meta && k != 5 && k != 7) continue; /* results of an older poolsim */
        fputs("<tr><th>", f);
        ESC(f, label[lz][k]);
        fputs("</th>", f);
        for (int l = 0; l < r->L; l++) {
            fputs("<td>", f);
            put_reading(f, r, k, l, lz);
            fputs("</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void write_summary(FILE *f, const poolsim_results *r, const rtexts *tx, int lang)
{
    const utexts *ut = &UT[lang == POOLSIM_LANG_ZH];
    const int T = r->T;
    char a[64], b[64], c[64], d[64];
    fputs("<ul class=\"findings\">\n", f);
    for (int l = 0; l < r->L; l++) {
        char *ln = esc_dup(poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        fputs("<li><b>", f);
        fputs(ln, f);
        fputs(lang == POOLSIM_LANG_ZH ? "</b>：" : "</b>: ", f);
        /* year 5 (or the last year when shorter) and the last year */
        int ts[2] = {T >= 5 ? 4 : T - 1, T - 1};
        for (int k = 0; k < 2; k++) {
            if (k == 1 && ts[1] == ts[0]) break;
            size_t i = POOLSIM_LT(r, l, ts[k]);
            char yr[16];
            snprintf(yr, sizeof yr, "%d", r->years[ts[k]]);
            const char *args[] = {yr, pct(r->exhaustion_prob[i], a, sizeof a),
                                  pct(r->exhaustion_lo[i], b, sizeof b),
                                  pct(r->exhaustion_hi[i], c, sizeof c)};
            poolsim_output_put_template(f,
                                        k                                    ? tx->s_exh2
                                        : poolsim_output_unified_years(r, l) ? ut->s_exh1
                                                                             : tx->s_exh1,
                                        4, args);
        }
        fputs(tx->s_end, f);
        fputc(' ', f);
        int first5 = 0;
        for (int t = 0; t < T && !first5; t++)
            if (r->exhaustion_prob[POOLSIM_LT(r, l, t)] > 0.05) first5 = r->years[t];
        if (first5) {
            char yr[16];
            snprintf(yr, sizeof yr, "%d", first5);
            const char *args[] = {yr};
            poolsim_output_put_template(f, tx->s_first5, 1, args);
        } else {
            fputs(tx->s_no5, f);
        }
        fputc(' ', f);
        size_t last = POOLSIM_LT(r, l, T - 1);
        char yr[16];
        snprintf(yr, sizeof yr, "%d", r->years[T - 1]);
        const int unified_end = r->pooling_mode[last] == 1; /* no cap under 统收统支 */
        const char *args[] = {yr, pct(r->reserve_ratio.q[last * POOLSIM_NQ + 3], a, sizeof a),
                              unified_end ? NULL : pct(r->cap_ratio[last], b, sizeof b),
                              pct(r->reserve_ratio.q[last * POOLSIM_NQ + 1], d, sizeof d)};
        poolsim_output_put_template(f, unified_end ? ut->s_ratio : tx->s_ratio, 4, args);
        fputs("</li>\n", f);

        /* the three counties with the highest expected burden */
        int top[3] = {-1, -1, -1};
        double mx = 0;
        for (int k = 0; k < 3 && k < r->C; k++) {
            double best = -1;
            for (int cc = 0; cc < r->C; cc++) {
                int used = 0;
                for (int j = 0; j < k; j++) used |= top[j] == cc;
                double v = r->county_burden_total.mean[POOLSIM_LC(r, l, cc)];
                if (!used && v > best) best = v, top[k] = cc;
            }
            if (best <= 0) top[k] = -1;
            if (top[k] >= 0) mx = fmax(mx, r->county_burden_total.p95[POOLSIM_LC(r, l, top[k])]);
        }
        if (top[0] >= 0) {
            poolsim_unit u = poolsim_plot_unit(mx, lang);
            char *list = NULL;
            size_t ln_n = 0;
            FILE *lf = open_memstream(&list, &ln_n);
            if (lf) {
                for (int k = 0; k < 3 && top[k] >= 0; k++) {
                    size_t j = POOLSIM_LC(r, l, top[k]);
                    char *cn = esc_dup(
                        poolsim_output_name_or(r->county_names[top[k]], r->county_ids[top[k]]));
                    char m1[64], m2[64];
                    snprintf(m1, sizeof m1, "%s %s",
                             money(r->county_burden_total.mean[j], u, a, sizeof a), u.name);
                    snprintf(m2, sizeof m2, "%s %s",
                             money(r->county_burden_total.p95[j], u, b, sizeof b), u.name);
                    const char *args3[] = {cn, m1, m2};
                    if (k) fputs(tx->list_sep, lf);
                    poolsim_output_put_template(lf, tx->s_burden_item, 3, args3);
                    free(cn);
                }
                fclose(lf);
                char span[64];
                snprintf(span, sizeof span, "%d–%d", r->years[0], r->years[T - 1]);
                fputs("<li>", f);
                fputs(ln, f);
                fputs(lang == POOLSIM_LANG_ZH ? "：" : ": ", f);
                const char *args2[] = {span, list ? list : ""};
                poolsim_output_put_template(f, tx->s_burden, 2, args2);
                double all = 0;
                for (int cc = 0; cc < r->C; cc++)
                    all += r->county_burden_total.mean[POOLSIM_LC(r, l, cc)];
                char tot[96];
                snprintf(tot, sizeof tot, "%s %s", money(all, u, a, sizeof a), u.name);
                const char *args4[] = {tot};
                poolsim_output_put_template(f, tx->s_burden_all, 1, args4);
                fputs("</li>\n", f);
            }
            free(list);
        }
        free(ln);
    }
    for (int l = 0; l < r->L; l++) write_drift(f, r, tx, l);
    fputs("</ul>\n", f);
}

static void write_scenario_table(FILE *f, const poolsim_results *r, const rtexts *tx, int lang)
{
    char a[64], b[64], c[64];
    fputs("<table class=\"kv\">\n", f);
    kv_text(f, tx->scenario, r->scenario_name);
    kv_text(f, tx->label->scenario_file, r->scenario_path);
    snprintf(a, sizeof a, "%d", r->years[0]);
    snprintf(b, sizeof b, "%d", r->years[r->T - 1]);
    snprintf(c, sizeof c, "%d", r->T);
    const char *span_args[] = {a, b, c};
    char *span = poolsim_output_template(tx->years_fmt, 3, span_args);
    if (span) kv_row(f, tx->label->years, span);
    free(span);
    fputs("<tr><th>", f);
    ESC(f, tx->lines);
    fputs("</th><td>", f);
    for (int l = 0; l < r->L; l++) {
        if (l) fputs(lang == POOLSIM_LANG_ZH ? "；" : "; ", f);
        ESC(f, poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        fputs(" (", f);
        ESC(f, r->line_ids[l]);
        fputc(')', f);
    }
    fputs("</td></tr>\n<tr><th>", f);
    ESC(f, tx->counties);
    fprintf(f, "</th><td>%d: ", r->C);
    for (int cc = 0; cc < r->C; cc++) {
        if (cc) fputs(lang == POOLSIM_LANG_ZH ? "、" : ", ", f);
        ESC(f, poolsim_output_name_or(r->county_names[cc], r->county_ids[cc]));
    }
    fputs("</td></tr>\n", f);
    kv_text(f, tx->label->paths, poolsim_plot_group((double)r->paths, 0, a, sizeof a));
    snprintf(a, sizeof a, "%llu", r->seed);
    kv_text(f, tx->label->seed, a);
    fputs("</table>\n", f);

    /* the size of the funds: first and last year */
    double mx = 0;
    for (size_t i = 0; i < (size_t)r->L * (size_t)r->T; i++)
        mx = fmax(mx, fmax(r->financing_total.mean[i], r->expenditure_total.mean[i]));
    poolsim_unit u = poolsim_plot_unit(mx, lang);
    fputs("<h3>", f);
    ESC(f, tx->fund_scale);
    fputs("</h3>\n<table>\n<tr><th>", f);
    ESC(f, tx->line);
    fputs("</th>", f);
    int ts[2] = {0, r->T - 1};
    for (int k = 0; k < 2; k++) {
        if (k == 1 && r->T == 1) break;
        fprintf(f, "<th>%d ", r->years[ts[k]]);
        ESC(f, tx->financing);
        fputs(" (", f);
        ESC(f, u.name);
        fprintf(f, ")</th><th>%d ", r->years[ts[k]]);
        ESC(f, tx->expenditure);
        fputs(" (", f);
        ESC(f, u.name);
        fprintf(f, ")</th><th>%d ", r->years[ts[k]]);
        ESC(f, tx->exp_over_fin);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int l = 0; l < r->L; l++) {
        fputs("<tr><td>", f);
        ESC(f, poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        fputs("</td>", f);
        for (int k = 0; k < 2; k++) {
            if (k == 1 && r->T == 1) break;
            size_t i = POOLSIM_LT(r, l, ts[k]);
            double fin = r->financing_total.mean[i], ex = r->expenditure_total.mean[i];
            fprintf(f, "<td class=\"n\">%s</td>", money(fin, u, a, sizeof a));
            fprintf(f, "<td class=\"n\">%s</td>", money(ex, u, b, sizeof b));
            if (fin > 0)
                fprintf(f, "<td class=\"n\">%.3f</td>", ex / fin);
            else
                fputs("<td class=\"n\">–</td>", f);
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n<p class=\"note\">", f);
    ESC(f, tx->fund_scale_note);
    fputs("</p>\n", f);
}

static void write_findings(FILE *f, const poolsim_results *r, const rtexts *tx, int lang)
{
    char a[64], b[64], c[64];
    fputs("<p>", f);
    ESC(f, tx->findings_intro);
    fputs("</p>\n<h3>", f);
    ESC(f, tx->tab_line_title);
    fputs("</h3>\n<table>\n<tr><th>", f);
    ESC(f, tx->line);
    fputs("</th><th>", f);
    ESC(f, tx->proj_year);
    fputs("</th><th>", f);
    ESC(f, tx->p_exh);
    fputs("</th><th>", f);
    ESC(f, tx->interval);
    fputs("</th><th>", f);
    ESC(f, tx->median_ratio);
    fputs("</th><th>", f);
    ESC(f, tx->p05_ratio);
    fputs("</th></tr>\n", f);
    const int yrs[2] = {5, 10};
    for (int l = 0; l < r->L; l++) {
        for (int k = 0; k < 2; k++) {
            fputs("<tr>", f);
            if (k == 0) {
                fputs("<td rowspan=\"2\">", f);
                ESC(f, poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
                fputs("</td>", f);
            }
            int t = yrs[k] - 1;
            char n[16], y[16];
            snprintf(n, sizeof n, "%d", yrs[k]);
            if (t < r->T)
                snprintf(y, sizeof y, "%d", r->years[t]);
            else
                snprintf(y, sizeof y, "%s", tx->na);
            const char *args[] = {n, y};
            fputs("<td>", f);
            poolsim_output_put_template(f, tx->year_n, 2, args);
            fputs("</td>", f);
            if (t >= r->T) {
                for (int j = 0; j < 4; j++) {
                    fputs("<td class=\"n\">", f);
                    ESC(f, tx->na);
                    fputs("</td>", f);
                }
            } else {
                size_t i = POOLSIM_LT(r, l, t);
                fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s – %s</td>",
                        pct(r->exhaustion_prob[i], a, sizeof a),
                        pct(r->exhaustion_lo[i], b, sizeof b),
                        pct(r->exhaustion_hi[i], c, sizeof c));
                fprintf(f, "<td class=\"n\">%.1f%%</td><td class=\"n\">%.1f%%</td>",
                        100 * r->reserve_ratio.q[i * POOLSIM_NQ + 3],
                        100 * r->reserve_ratio.q[i * POOLSIM_NQ + 1]);
            }
            fputs("</tr>\n", f);
        }
    }
    fputs("</table>\n", f);

    /* county burden, summed over the horizon */
    double mx = 0;
    for (size_t i = 0; i < (size_t)r->L * (size_t)r->C; i++)
        mx = fmax(mx, fmax(r->county_burden_total.mean[i], r->county_burden_total.p95[i]));
    poolsim_unit u = poolsim_plot_unit(mx, lang);
    snprintf(a, sizeof a, "%d", r->years[0]);
    snprintf(b, sizeof b, "%d", r->years[r->T - 1]);
    const char *args[] = {a, b};
    fputs("<h3>", f);
    poolsim_output_put_template(f, tx->tab_county_title, 2, args);
    fputs(lang == POOLSIM_LANG_ZH ? "（" : " (", f);
    ESC(f, u.name);
    fputs(lang == POOLSIM_LANG_ZH ? "）" : ")", f);
    fputs("</h3>\n<table>\n<tr><th rowspan=\"2\">", f);
    ESC(f, tx->county);
    fputs("</th>", f);
    for (int l = 0; l < r->L; l++) {
        fputs("<th colspan=\"2\">", f);
        ESC(f, poolsim_output_name_or(r->line_names[l], r->line_ids[l]));
        fputs("</th>", f);
    }
    fputs("</tr>\n<tr>", f);
    for (int l = 0; l < r->L; l++) {
        fputs("<th>", f);
        ESC(f, tx->expected);
        fputs("</th><th>", f);
        ESC(f, tx->p95);
        fputs("</th>", f);
    }
    fputs("</tr>\n", f);
    for (int cc = 0; cc < r->C; cc++) {
        fputs("<tr><td>", f);
        ESC(f, poolsim_output_name_or(r->county_names[cc], r->county_ids[cc]));
        fputs("</td>", f);
        for (int l = 0; l < r->L; l++) {
            size_t j = POOLSIM_LC(r, l, cc);
            fprintf(f, "<td class=\"n\">%s</td><td class=\"n\">%s</td>",
                    money(r->county_burden_total.mean[j], u, a, sizeof a),
                    money(r->county_burden_total.p95[j], u, b, sizeof b));
        }
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

static void write_provenance(FILE *f, const poolsim_results *r, const poolsim_report_opts *o,
                             const rtexts *tx)
{
    char a[96];
    fputs("<p>", f);
    ESC(f, tx->prov_intro);
    fputs("</p>\n<table class=\"kv\">\n", f);
    kv_text(f, tx->label->version, r->version);
    kv_text(f, tx->label->commit, r->git_commit);
    kv_text(f, tx->label->scenario_file, r->scenario_path);
    kv_text(f, tx->results_file, o->results_path);
    snprintf(a, sizeof a, "%llu", r->seed);
    kv_text(f, tx->label->seed, a);
    kv_text(f, tx->label->paths, poolsim_plot_group((double)r->paths, 0, a, sizeof a));
    snprintf(a, sizeof a, "%d / %d", r->threads, r->ranks);
    kv_text(f, tx->threads, a);
    kv_text(f, tx->noise,
            r->claims_noise >= 0 && r->claims_noise < 3 ? tx->noise_names[r->claims_noise] : "?");
    kv_text(f, tx->label->quantiles, r->quantile_method);
    kv_text(f, tx->label->started, r->start_time);
    snprintf(a, sizeof a, "%.1f s", r->run_seconds);
    kv_text(f, tx->run_time, a);
    kv_text(f, tx->generated, o->generated);
    kv_text(f, tx->label->build, r->build_info);
    fputs("</table>\n", f);
}

char *poolsim_report_html(const poolsim_results *r, const poolsim_report_opts *o,
                          const poolsim_chart_set *charts, char *const *svg)
{
    const int lang = o->lang == POOLSIM_LANG_ZH ? POOLSIM_LANG_ZH : POOLSIM_LANG_EN;
    /* every line unified in every year: the design's words throughout */
    rtexts local = RT[lang];
    int all_unified = r->L > 0;
    int any_unified = 0;
    for (int l = 0; l < r->L; l++) {
        all_unified &= poolsim_output_unified_years(r, l) == r->T;
        any_unified |= poolsim_output_unified_years(r, l) > 0;
    }
    if (all_unified) {
        const utexts *u = &UT[lang];
        local.doc_title = u->doc_title;
        local.reading = u->reading;
        local.tab_line_title = u->tab_line_title;
        local.p_exh = u->p_exh;
        local.median_ratio = u->median_ratio;
        local.p05_ratio = u->p05_ratio;
        local.caption[POOLSIM_CHART_FAN] = u->cap_fan;
        local.caption[POOLSIM_CHART_EXHAUSTION] = u->cap_exh;
        local.caption[POOLSIM_CHART_FIRST_YEAR] = u->cap_first;
    } else if (any_unified) {
        /* a transition, or lines under different designs */
        const utexts *u = &UT[lang];
        local.doc_title = u->mx_doc_title;
        local.tab_line_title = u->mx_tab_line_title;
        local.p_exh = u->mx_p_exh;
        local.median_ratio = u->mx_median_ratio;
        local.p05_ratio = u->mx_p05_ratio;
        local.caption[POOLSIM_CHART_EXHAUSTION] = u->mx_cap_exh;
        local.caption[POOLSIM_CHART_FIRST_YEAR] = u->mx_cap_first;
    }
    const rtexts *tx = &local;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    int ok = 1;
    const char *scen = poolsim_output_name_or(r->scenario_name, "poolsim");

    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n",
            tx->html_lang);
    fputs("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
    ESC(f, scen);
    fputs(" — ", f);
    ESC(f, tx->doc_title);
    fputs("</title>\n<style>\n", f);
    fputs(CSS, f);
    fputs("</style>\n</head>\n<body>\n<main>\n<header>\n<h1>", f);
    ESC(f, scen);
    fputs("</h1>\n<p class=\"sub\">", f);
    ESC(f, tx->doc_title);
    fputs(" · ", f);
    ESC(f, tx->subtitle);
    fputs("</p>\n<p class=\"meta\">", f);
    {
        char a[64];
        ESC(f, tx->label->paths);
        fprintf(f, ": %s · ", poolsim_plot_group((double)r->paths, 0, a, sizeof a));
        ESC(f, tx->label->seed);
        fprintf(f, ": %llu · %d–%d · poolsim ", r->seed, r->years[0], r->years[r->T - 1]);
        ESC(f, r->version ? r->version : "?");
        fputs(" · ", f);
        ESC(f, o->generated ? o->generated : "");
    }
    fputs("</p>\n</header>\n<nav><ol>\n", f);
    static const char *const ids[6] = {"summary", "reading",     "findings",
                                       "charts",  "assumptions", "provenance"};
    for (int i = 0; i < 6; i++) {
        fprintf(f, "<li><a href=\"#%s\">", ids[i]);
        ESC(f, tx->toc[i]);
        fputs("</a></li>\n", f);
    }
    fputs("</ol></nav>\n", f);

    section(f, tx, 0, ids[0]);
    write_health(f, r, lang);
    write_readings(f, r, lang);
    write_summary(f, r, tx, lang);
    write_scenario_table(f, r, tx, lang);
    fputs("</section>\n", f);

    section(f, tx, 1, ids[1]);
    fputs(tx->reading, f);
    write_pooling(f, r, lang);
    fputs("\n</section>\n", f);

    section(f, tx, 2, ids[2]);
    write_findings(f, r, tx, lang);
    fputs("</section>\n", f);

    section(f, tx, 3, ids[3]);
    for (int i = 0; i < charts->n; i++) {
        const poolsim_chart *c = &charts->chart[i];
        char prefix[32];
        snprintf(prefix, sizeof prefix, "c%d_", i + 1);
        char *inl = svg[i] ? poolsim_report_inline_svg(svg[i], prefix, c->title) : NULL;
        if (!inl) {
            ok = 0;
            break;
        }
        fprintf(f, "<figure id=\"chart-%s\" class=\"chart-%s\">\n<div class=\"chart\">\n", c->name,
                KIND_ID[c->kind]);
        fputs(inl, f);
        free(inl);
        fprintf(f, "\n</div>\n<figcaption><b>%s %d.</b> ",
                lang == POOLSIM_LANG_ZH ? "图" : "Figure", i + 1);
        ESC(f, c->title);
        fputs(lang == POOLSIM_LANG_ZH ? "。" : ". ", f);
        ESC(f, tx->caption[c->kind]);
        fputs("</figcaption>\n</figure>\n", f);
    }
    fputs("</section>\n", f);

    section(f, tx, 4, ids[4]);
    fputs("<p>", f);
    ESC(f, tx->assumptions_intro);
    fputs("</p>\n<pre>", f);
    ESC(f, r->resolved_text ? r->resolved_text : "");
    fputs("</pre>\n", f);
    if (r->scenario_text && r->scenario_text[0]) {
        fputs("<details><summary>", f);
        ESC(f, tx->scenario_as_loaded);
        fputs("</summary>\n<pre>", f);
        ESC(f, r->scenario_text);
        fputs("</pre></details>\n", f);
    }
    fputs("</section>\n", f);

    section(f, tx, 5, ids[5]);
    write_provenance(f, r, o, tx);
    fputs("</section>\n<footer>", f);
    ESC(f, tx->footer);
    fputs("</footer>\n</main>\n</body>\n</html>\n", f);

    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* ---- writing ---- */

/* A chart gnuplot wrote; NULL after a message when it cannot be read. */
static char *read_chart(const char *path)
{
    char *buf = poolsim_output_read_file(path, NULL);
    if (!buf && errno != ENOMEM)
        fprintf(stderr, "poolsim: cannot read %s: %s\n", path, strerror(errno));
    return buf;
}

int poolsim_report_write(const poolsim_results *r, const poolsim_report_opts *o, const char *path)
{
    /* charts go to a temporary folder beside the report */
    const char *slash = strrchr(path, '/');
    size_t dn = slash ? (size_t)(slash - path) : 1;
    char *tmpdir = malloc(dn + 40);
    if (!tmpdir) return POOLSIM_ENOMEM;
    if (slash)
        snprintf(tmpdir, dn + 40, "%.*s/.poolsim-report-XXXXXX", (int)(dn ? dn : 1),
                 dn ? path : "/");
    else
        snprintf(tmpdir, dn + 40, "./.poolsim-report-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "poolsim: cannot write %s: %s\n", path, strerror(errno));
        free(tmpdir);
        return POOLSIM_EIO;
    }
    poolsim_plot_opts po = {
        .dir = tmpdir, .formats = POOLSIM_FMT_SVG, .lang = o->lang, .path_env = o->path_env};
    poolsim_chart_set set;
    int st = poolsim_plot_render(r, &po, &set);
    if (!st && o->results_path) st = poolsim_plot_sweep_charts(o->results_path, &po, &set);
    char **svg = NULL;
    if (!st) {
        svg = calloc((size_t)set.n, sizeof *svg);
        if (!svg) st = POOLSIM_ENOMEM;
        for (int i = 0; !st && i < set.n; i++) {
            svg[i] = read_chart(set.chart[i].file[1]);
            if (!svg[i]) st = POOLSIM_EIO;
        }
    }
    if (!st) {
        char *html = poolsim_report_html(r, o, &set, svg);
        if (!html) {
            fprintf(stderr, "poolsim: cannot build the report (out of memory or a chart gnuplot "
                            "wrote is not SVG)\n");
            st = POOLSIM_ENOMEM;
        } else {
            st = poolsim_results_write_atomic(path, html, strlen(html));
            free(html);
        }
    }
    if (svg)
        for (int i = 0; i < set.n; i++) free(svg[i]);
    free(svg);
    if (set.chart)
        for (int i = 0; i < set.n; i++)
            if (set.chart[i].file[1]) unlink(set.chart[i].file[1]);
    poolsim_chart_set_free(&set);
    if (rmdir(tmpdir) != 0)
        fprintf(stderr, "poolsim: cannot remove %s: %s\n", tmpdir, strerror(errno));
    free(tmpdir);
    return st;
}
