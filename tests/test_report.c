/* Tests of src/report.c: HTML escaping, SVG inlining, the page's contents
 * (self-contained, findings from the results, n/a for short horizons,
 * both languages, hostile names escaped) and writing it with gnuplot (or
 * failing cleanly without). Rendering in Chromium: tests/cli/report.sh. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/report.h"
#include "poolsim/results.h"
#include "test_util.h"

static int count_of(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

static char *escaped(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    poolsim_report_escape(f, s);
    fclose(f);
    return buf;
}

static void test_escape(void)
{
    char *e = escaped("<a href=\"x\">&'</a>");
    CU_ASSERT_STRING_EQUAL(e, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    free(e);
    e = escaped("荷塘区 plain");
    CU_ASSERT_STRING_EQUAL(e, "荷塘区 plain");
    free(e);
}

/* Shaped like gnuplot 5.4's svg terminal output. */
static const char SVG[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"  standalone=\"no\"?>\n"
    "<svg \n width=\"1000\" height=\"560\"\n viewBox=\"0 0 1000 560\"\n"
    " xmlns=\"http://www.w3.org/2000/svg\"\n xmlns:xlink=\"http://www.w3.org/1999/xlink\"\n>\n\n"
    "<title>Gnuplot</title>\n<desc>Produced by GNUPLOT 5.4 patchlevel 4 </desc>\n\n"
    "<g id=\"gnuplot_canvas\">\n<defs>\n\t<circle id='gpDot' r='0.5'/>\n"
    "\t<use xlink:href='#gpDot' id='gpPt6' fill='currentColor'/>\n"
    "\t<clipPath id=\"gpPlot1\"><rect x=\"1\" y=\"2\" width=\"3\" "
    "height=\"4\"/></clipPath>\n</defs>\n"
    "<g clip-path=\"url(#gpPlot1)\"><title>key &lt;b&gt;</title><text>x&lt;y</text></g>\n"
    "<g gid=\"1\" fid=\"2\"></g>\n</g>\n</svg>\n";

static void test_inline_svg(void)
{
    char *s = poolsim_report_inline_svg(SVG, "c3_", "Fan <chart> & 'co'");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT(strncmp(s, "<svg width=\"1000\" height=\"560\" viewBox=\"0 0 1000 560\" role=\"img\"",
                      64) == 0);
    CU_ASSERT_PTR_NULL(strstr(s, "<?xml"));
    CU_ASSERT_PTR_NULL(strstr(s, "xmlns"));
    CU_ASSERT_PTR_NULL(strstr(s, "http"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "aria-label=\"Fan &lt;chart&gt; &amp; &#39;co&#39;\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "<title>Fan &lt;chart&gt; &amp; &#39;co&#39;</title>"));
    CU_ASSERT_PTR_NULL(strstr(s, "Gnuplot</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "<title>key &lt;b&gt;</title>")); /* later titles kept */
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "id=\"c3_gnuplot_canvas\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "id='c3_gpDot'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "xlink:href='#c3_gpDot' id='c3_gpPt6'"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "id=\"c3_gpPlot1\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "clip-path=\"url(#c3_gpPlot1)\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "gid=\"1\" fid=\"2\"")); /* only id= itself */
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "</svg>"));
    free(s);
    CU_ASSERT_PTR_NULL(poolsim_report_inline_svg("<html>no svg</html>", "c1_", "t"));
}

/* The charts of r with stand-in SVG documents, and the page built on them. */
static char *page(const poolsim_results *r, int lang)
{
    poolsim_chart_set set = {0};
    /* the real list: same kinds and titles as the renderer uses */
    int n = 2 + 3 * r->L;
    set.chart = calloc((size_t)n, sizeof *set.chart);
    char **svg = calloc((size_t)n, sizeof *svg);
    if (!set.chart || !svg) return NULL;
    static const char *const kn[5] = {"fan", "exhaustion", "first-exhaustion", "burden",
                                      "shortfall"};
    int k = 0;
    for (int kind = 0; kind < 5; kind++) {
        int per_line = kind == POOLSIM_CHART_FAN || kind == POOLSIM_CHART_BURDEN ||
                       kind == POOLSIM_CHART_SHORTFALL;
        for (int l = 0; l < (per_line ? r->L : 1); l++, k++) {
            char name[64];
            snprintf(name, sizeof name, "%s-%d", kn[kind], l);
            set.chart[k].kind = kind;
            set.chart[k].line = per_line ? l : -1;
            set.chart[k].name = strdup(name);
            set.chart[k].title = strdup("title <x>");
            svg[k] = strdup(SVG);
        }
    }
    set.n = k;
    poolsim_report_opts o = {
        .lang = lang, .results_path = "build/x.h5", .generated = "2024-05-06T07:08:09Z"};
    char *html = poolsim_report_html(r, &o, &set, svg);
    for (int i = 0; i < k; i++) free(svg[i]);
    free(svg);
    poolsim_chart_set_free(&set);
    return html;
}

static void test_page(void)
{
    poolsim_results *r = testutil_results(10, 2, 3);
    free(r->county_names[1]);
    r->county_names[1] = strdup("<script>alert(1)</script> & 'x'");
    /* findings checked by hand: line 0, year 5 (2025): 625 of 10000 paths
     * -> 6.25% shown with one decimal, half to even of the binary value
     * 6.25 -> "6.2%"; year 10: 0.25 -> "25.0%"; median reserve ratio in
     * 2025: 0.1234 -> "12.3%", 5th percentile 0.05 -> "5.0%" */
    r->exhaustion_prob[POOLSIM_LT(r, 0, 4)] = 0.0625;
    r->exhaustion_prob[POOLSIM_LT(r, 0, 9)] = 0.25;
    r->reserve_ratio.q[POOLSIM_LT(r, 0, 4) * POOLSIM_NQ + 3] = 0.1234;
    r->reserve_ratio.q[POOLSIM_LT(r, 0, 4) * POOLSIM_NQ + 1] = 0.05;
    char *html = page(r, POOLSIM_LANG_EN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT(strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 32) == 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<meta charset=\"utf-8\">"));
    /* self-contained, script-free */
    CU_ASSERT_PTR_NULL(strstr(html, "http:"));
    CU_ASSERT_PTR_NULL(strstr(html, "https:"));
    CU_ASSERT_PTR_NULL(strstr(html, "<script"));
    CU_ASSERT_PTR_NULL(strstr(html, "<link"));
    CU_ASSERT_PTR_NULL(strstr(html, "src="));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;x&#39;"));
    /* every chart, ids distinct per chart */
    CU_ASSERT_EQUAL(count_of(html, "<svg "), 8);
    CU_ASSERT_EQUAL(count_of(html, "id=\"c1_gnuplot_canvas\""), 1);
    CU_ASSERT_EQUAL(count_of(html, "id=\"c8_gnuplot_canvas\""), 1);
    CU_ASSERT_EQUAL(count_of(html, "<figcaption>"), 8);
    /* sections */
    const char *sec[] = {"summary", "reading", "findings", "charts", "assumptions", "provenance"};
    for (int i = 0; i < 6; i++) {
        char id[64];
        snprintf(id, sizeof id, "<section id=\"%s\">", sec[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(html, id));
    }
    /* key findings */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>year 5 (2025)</td><td class=\"n\">6.2%</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>year 10 (2030)</td><td class=\"n\">25.0%</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td class=\"n\">12.3%</td><td class=\"n\">5.0%</td>"));
    /* assumptions and provenance */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "simulation.seed = 20200518"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>0123456789ab</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>build/x.h5</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>2024-05-06T07:08:09Z</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>20200518</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>10,000</td>"));
    free(html);

    html = page(r, POOLSIM_LANG_ZH);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<html lang=\"zh-CN\">"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "主要结果"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>第 5 年（2025）</td>"));
    CU_ASSERT_PTR_NULL(strstr(html, "Key findings"));
    free(html);
    poolsim_results_free(r);
}

static void test_page_short_horizon(void)
{
    poolsim_results *r = testutil_results(3, 1, 2);
    char *html = page(r, POOLSIM_LANG_EN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    /* no 5th or 10th projection year: n/a in each of the four value columns */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>year 5 (n/a)</td>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<td>year 10 (n/a)</td>"));
    CU_ASSERT_EQUAL(count_of(html, "<td class=\"n\">n/a</td>"), 8);
    CU_ASSERT_EQUAL(count_of(html, "<svg "), 5);
    free(html);
    poolsim_results_free(r);
}

static void test_write(void)
{
    char dir[300], path[400];
    testutil_scratch_dir(dir, sizeof dir, "reporttest");
    snprintf(path, sizeof path, "%s/report.html", dir);
    poolsim_results *r = testutil_results(10, 2, 9);
    poolsim_report_opts o = {.lang = POOLSIM_LANG_ZH, .results_path = "x.h5", .generated = "now"};
    CU_ASSERT_EQUAL_FATAL(poolsim_report_write(r, &o, path), POOLSIM_OK);
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 1); /* charts' temporary folder removed */
    size_t n = 0;
    char *buf = poolsim_output_read_file(path, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    CU_ASSERT_EQUAL(count_of(buf, "<svg "), 8);
    CU_ASSERT_PTR_NULL(strstr(buf, "http"));
    CU_ASSERT_PTR_NULL(strstr(buf, "<?xml"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "荷塘区"));

    /* gnuplot missing: ETOOL, the old report untouched, nothing else left */
    char empty[400];
    snprintf(empty, sizeof empty, "%s/bin", dir);
    CU_ASSERT_FATAL(mkdir(empty, 0755) == 0);
    o.path_env = empty;
    fprintf(stderr, "\n  (expected message follows)\n");
    CU_ASSERT_EQUAL(poolsim_report_write(r, &o, path), POOLSIM_ETOOL);
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 2); /* report.html and bin */
    struct stat st;
    CU_ASSERT(stat(path, &st) == 0 && (size_t)st.st_size == n);
    free(buf);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

void poolsim_test_report(void)
{
    CU_pSuite s = CU_add_suite("report", NULL, NULL);
    CU_add_test(s, "HTML escaping", test_escape);
    CU_add_test(s, "SVG made fit for inlining", test_inline_svg);
    CU_add_test(s, "page contents, both languages", test_page);
    CU_add_test(s, "n/a beyond a short horizon", test_page_short_horizon);
    CU_add_test(s, "writing with gnuplot, and without", test_write);
}
