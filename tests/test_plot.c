/* Tests of src/plot.c and src/plot_charts.c: unit choice, gnuplot quoting
 * (checked by gnuplot itself), PATH search, format lists, the missing
 * gnuplot error, a full render (files with the right magic bytes,
 * hostile names harmless), and the data gnuplot is given (the inline data
 * blocks of the script against closed forms of the synthetic results). Also the helpers of
 * src/output.c that plot, report and summary share (folders, reading files, templates, display
 * names, argument checks, reading the results file).
 *
 * The suite's fixture (not a test) writes <build>/test_report_results.h5
 * (synthetic data, T=10 L=2 C=9, hostile scenario and county names) for
 * tests/cli/plot.sh, report.sh and summary.sh, which run after the CUnit
 * suites. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/h5out.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/results.h"
#include "test_util.h"
#include "../src/plot_internal.h" /* the gnuplot script */

static int file_starts_with(const char *path, const void *magic, size_t n)
{
    unsigned char buf[16];
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    return got == n && memcmp(buf, magic, n) == 0;
}

static void test_unit(void)
{
    /* zh: 元 below 1e4, 万元 in [1e4, 1e8), 亿元 from 1e8 (largest unit <= |max|) */
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(0, POOLSIM_LANG_ZH).name, "元");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(9999.99, POOLSIM_LANG_ZH).name, "元");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(1e4, POOLSIM_LANG_ZH).name, "万元");
    CU_ASSERT_EQUAL(poolsim_plot_unit(1e4, POOLSIM_LANG_ZH).div, 1e4);
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(99999999, POOLSIM_LANG_ZH).name, "万元");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(1e8, POOLSIM_LANG_ZH).name, "亿元");
    CU_ASSERT_EQUAL(poolsim_plot_unit(3.5e11, POOLSIM_LANG_ZH).div, 1e8);
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(-5e8, POOLSIM_LANG_ZH).name, "亿元"); /* magnitude */
    /* en: yuan, thousand (1e3), million (1e6), billion (1e9) */
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(999, POOLSIM_LANG_EN).name, "yuan");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(1000, POOLSIM_LANG_EN).name, "thousand yuan");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(2.5e6, POOLSIM_LANG_EN).name, "million yuan");
    CU_ASSERT_EQUAL(poolsim_plot_unit(2.5e6, POOLSIM_LANG_EN).div, 1e6);
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(999999999, POOLSIM_LANG_EN).name, "million yuan");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(3.2e12, POOLSIM_LANG_EN).name, "billion yuan");
    /* not finite: plain yuan */
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(NAN, POOLSIM_LANG_EN).name, "yuan");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_unit(INFINITY, POOLSIM_LANG_ZH).name, "元");
}

static void test_group(void)
{
    char b[64];
    CU_ASSERT_STRING_EQUAL(poolsim_plot_group(1234567.891, 1, b, sizeof b), "1,234,567.9");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_group(-1234, 0, b, sizeof b), "-1,234");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_group(999, 0, b, sizeof b), "999");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_group(1000, 2, b, sizeof b), "1,000.00");
    CU_ASSERT_STRING_EQUAL(poolsim_plot_group(-0.001, 0, b, sizeof b), "0"); /* no "-0" */
    CU_ASSERT_STRING_EQUAL(poolsim_plot_group(20000, 0, b, sizeof b), "20,000");
}

static void test_quote(void)
{
    char *q = poolsim_plot_quote("a'b");
    CU_ASSERT_STRING_EQUAL(q, "'a'.\"'\".'b'");
    free(q);
    q = poolsim_plot_quote("'lead"); /* doubling would give '' then 'lead' to gnuplot */
    CU_ASSERT_STRING_EQUAL(q, "\"'\".'lead'");
    free(q);
    q = poolsim_plot_quote("`rm -rf /`");
    CU_ASSERT_STRING_EQUAL(q, "'`rm -rf /`'"); /* inside single quotes: literal */
    free(q);
    q = poolsim_plot_quote("line1\nline2\r\tend");
    CU_ASSERT_STRING_EQUAL(q, "'line1'.\"\\n\".'line2  end'");
    free(q);
    q = poolsim_plot_quote("");
    CU_ASSERT_STRING_EQUAL(q, "''");
    free(q);
    q = poolsim_plot_quote("''");
    CU_ASSERT_STRING_EQUAL(q, "\"'\".\"'\"");
    free(q);
    q = poolsim_plot_quote("荷塘区 \"x\" \\n 10%");
    CU_ASSERT_STRING_EQUAL(q, "'荷塘区 \"x\" \\n 10%'");
    free(q);
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    poolsim_plot_put_tic(f, "Top 10% 'x' %s");
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "'Top 10%% '.\"'\".'x'.\"'\".' %%s'");
    free(buf);
}

/* gnuplot itself reads the quoted strings back as the original text and
 * runs none of the backquoted commands; tic labels with % and names with
 * quotes are drawn as written. */
static void test_quote_gnuplot(void)
{
    char *gp = poolsim_plot_find_program("gnuplot", getenv("PATH"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(gp);
    char dir[300], script[400], out[400], flag[400], svg[400];
    testutil_scratch_dir(dir, sizeof dir, "plotq");
    snprintf(script, sizeof script, "%s/q.gp", dir);
    snprintf(out, sizeof out, "%s/out\nfile `x`.txt", dir); /* a name gnuplot must keep */
    snprintf(svg, sizeof svg, "%s/t.svg", dir);
    snprintf(flag, sizeof flag, "%s/PWNED", dir);
    char hostile[5][1024];
    snprintf(hostile[0], sizeof hostile[0], "a'b");
    snprintf(hostile[1], sizeof hostile[1], "`touch %s`", flag);
    snprintf(hostile[2], sizeof hostile[2], "x\n`touch %s` '\"$(touch %s)\"'", flag, flag);
    snprintf(hostile[3], sizeof hostile[3], "'lead and trail''");
    snprintf(hostile[4], sizeof hostile[4], "Top 10%% %%s %%n");
    FILE *f = fopen(script, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("set print ", f);
    poolsim_plot_put_quoted(f, out);
    fputc('\n', f);
    for (int i = 0; i < 5; i++) {
        char *q = poolsim_plot_quote(hostile[i]);
        fprintf(f, "print %s\n", q);
        fprintf(f, "set title %s\n", q);
        free(q);
    }
    fputs("set print\nset terminal svg noenhanced\nset output ", f);
    poolsim_plot_put_quoted(f, svg);
    fputs("\nset ytics (", f);
    poolsim_plot_put_tic(f, hostile[4]);
    fputs(" 0, ", f);
    poolsim_plot_put_tic(f, hostile[3]);
    fputs(" 1)\nplot x title ", f);
    poolsim_plot_put_quoted(f, hostile[0]);
    fputs("\nset output\n", f);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' '%s' 2>&1", gp, script);
    int rc = system(cmd);
    CU_ASSERT(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
    char *got = poolsim_output_read_file(out, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    char want[5200];
    snprintf(want, sizeof want, "%s\n%s\n%s\n%s\n%s\n", hostile[0], hostile[1], hostile[2],
             hostile[3], hostile[4]);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    char *s = poolsim_output_read_file(svg, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT(strstr(s, ">Top 10% %s %n</text>") != NULL);
    CU_ASSERT(strstr(s, ">'lead and trail''</text>") != NULL);
    CU_ASSERT(strstr(s, ">a'b</text>") != NULL);
    free(s);
    CU_ASSERT(access(flag, F_OK) != 0); /* no command ran */
    free(gp);
    testutil_rm_tree(dir);
}

static void test_find_program(void)
{
    char b[256], dir[300], exe[400], plain[400], path[800];
    testutil_build_dir(b, sizeof b);
    testutil_scratch_dir(dir, sizeof dir, "plotpath");
    snprintf(exe, sizeof exe, "%s/gnuplot", dir);
    snprintf(plain, sizeof plain, "%s/notexec", dir);
    FILE *f = fopen(exe, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    chmod(exe, 0755);
    f = fopen(plain, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    chmod(plain, 0644);
    snprintf(path, sizeof path, "/nonexistent-poolsim:%s:/bin", dir);
    char *p = poolsim_plot_find_program("gnuplot", path);
    CU_ASSERT_PTR_NOT_NULL(p);
    if (p) CU_ASSERT_STRING_EQUAL(p, exe);
    free(p);
    CU_ASSERT_PTR_NULL(poolsim_plot_find_program("notexec", path)); /* not executable */
    CU_ASSERT_PTR_NULL(poolsim_plot_find_program("gnuplot", "/nonexistent-poolsim"));
    CU_ASSERT_PTR_NULL(poolsim_plot_find_program("gnuplot", NULL));
    /* a folder named like the program is not the program */
    snprintf(path, sizeof path, "%s", b);
    CU_ASSERT_PTR_NULL(poolsim_plot_find_program(strrchr(dir, '/') + 1, path));
    testutil_rm_tree(dir);
}

static void test_formats_lang(void)
{
    unsigned m = 0;
    CU_ASSERT_EQUAL(poolsim_plot_parse_formats("png,svg,pdf", &m), 0);
    CU_ASSERT_EQUAL(m, POOLSIM_FMT_PNG | POOLSIM_FMT_SVG | POOLSIM_FMT_PDF);
    CU_ASSERT_EQUAL(poolsim_plot_parse_formats("svg", &m), 0);
    CU_ASSERT_EQUAL(m, POOLSIM_FMT_SVG);
    fprintf(stderr, "\n  (expected messages follow)\n");
    CU_ASSERT_EQUAL(poolsim_plot_parse_formats("jpg", &m), -1);
    CU_ASSERT_EQUAL(poolsim_plot_parse_formats("", &m), -1);
    CU_ASSERT_EQUAL(poolsim_plot_parse_formats("png,", &m), -1);
    CU_ASSERT_EQUAL(poolsim_plot_parse_formats("PNG", &m), -1);

    poolsim_results *r = poolsim_results_alloc(3, 1, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(poolsim_plot_lang(r, NULL), POOLSIM_LANG_EN); /* no lang: English */
    CU_ASSERT_EQUAL(poolsim_results_fill_test(r), POOLSIM_OK);    /* lang "zh" */
    CU_ASSERT_EQUAL(poolsim_plot_lang(r, NULL), POOLSIM_LANG_ZH);
    CU_ASSERT_EQUAL(poolsim_plot_lang(r, "en"), POOLSIM_LANG_EN);
    CU_ASSERT_EQUAL(poolsim_plot_lang(r, "zh"), POOLSIM_LANG_ZH);
    CU_ASSERT_EQUAL(poolsim_plot_lang(r, "fr"), -1);
    poolsim_results_free(r);
}

static char *dup_s(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

static void set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = dup_s(s);
}

/* Synthetic results with names that would break a careless writer. */
static poolsim_results *hostile_results(const char *flag)
{
    poolsim_results *r = poolsim_results_alloc(10, 2, 9);
    if (!r || poolsim_results_fill_test(r) != POOLSIM_OK) return r;
    char buf[600];
    snprintf(buf, sizeof buf, "株洲 a'b `touch %s` <i>&amp;</i>\nsecond line", flag);
    set_str(&r->scenario_name, buf);
    set_str(&r->county_names[0], "荷塘区 'x' <b>\"&\"</b>");
    snprintf(buf, sizeof buf, "`touch %s`", flag);
    set_str(&r->county_names[1], buf);
    set_str(&r->county_names[2], "石峰\n区");
    set_str(&r->line_names[1], "居民 EOD ' $data");
    /* line 0's exhaustion, for checks by hand in tests/cli: P(exhausted by
     * year t+1) = 0.0025 (t+1)^2 of 10000 paths (25, 100, 225, ... paths),
     * so 0.25% by 2021, 6.25% by 2025, 25% by 2030 */
    const double n = 10000;
    double prev = 0, counted = 0;
    r->paths = 10000;
    for (int t = 0; t < r->T; t++) {
        size_t i = POOLSIM_LT(r, 0, t);
        double p = 0.0025 * (t + 1) * (t + 1);
        r->exhaustion_prob[i] = p;
        poolsim_wilson(p * n, n, &r->exhaustion_lo[i], &r->exhaustion_hi[i]);
        r->exhaustion_year_prob[i] = p - prev;
        r->first_exhaustion_count[t] = round((p - prev) * n);
        counted += r->first_exhaustion_count[t];
        prev = p;
    }
    r->first_exhaustion_count[r->T] = n - counted;
    return r;
}

/* ---- src/output.c ---- */

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void test_make_dirs(void)
{
    char dir[300], p[400];
    testutil_scratch_dir(dir, sizeof dir, "outdirs");
    snprintf(p, sizeof p, "%s/a/b/c", dir);
    CU_ASSERT_EQUAL(poolsim_output_make_dirs(p), POOLSIM_OK);
    CU_ASSERT(is_dir(p));
    CU_ASSERT_EQUAL(poolsim_output_make_dirs(p), POOLSIM_OK); /* already there */
    snprintf(p, sizeof p, "%s/x/y/", dir);                    /* trailing slash */
    CU_ASSERT_EQUAL(poolsim_output_make_dirs(p), POOLSIM_OK);
    CU_ASSERT(is_dir(p));
    snprintf(p, sizeof p, "%s/f", dir);
    FILE *f = fopen(p, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    CU_ASSERT_EQUAL(poolsim_output_make_dirs(p), POOLSIM_OK); /* a file: left to the writer */
    snprintf(p, sizeof p, "%s/f/g", dir);
    fprintf(stderr, "\n  (expected message follows)\n");
    CU_ASSERT_EQUAL(poolsim_output_make_dirs(p), POOLSIM_EIO); /* below a file */
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 3);           /* a, x, f */
    testutil_rm_tree(dir);
}

static void test_read_file(void)
{
    char dir[300], p[400];
    testutil_scratch_dir(dir, sizeof dir, "outread");
    /* 200000 bytes (several read chunks), NULs included: byte i = (7 i + 3) mod 256 */
    const size_t big = 200000;
    unsigned char *want = malloc(big);
    CU_ASSERT_PTR_NOT_NULL_FATAL(want);
    for (size_t i = 0; i < big; i++) want[i] = (unsigned char)((7 * i + 3) % 256);
    snprintf(p, sizeof p, "%s/big", dir);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fwrite(want, 1, big, f), big);
    fclose(f);
    size_t n = 1;
    char *got = poolsim_output_read_file(p, &n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_EQUAL(n, big);
    CU_ASSERT(memcmp(got, want, big) == 0);
    CU_ASSERT_EQUAL(got[big], '\0');
    free(got);
    free(want);
    /* empty file: "" and length 0; the length is optional */
    snprintf(p, sizeof p, "%s/empty", dir);
    f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    got = poolsim_output_read_file(p, &n);
    CU_ASSERT(got && n == 0 && got[0] == '\0');
    free(got);
    snprintf(p, sizeof p, "%s/abc", dir);
    f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("abc", f);
    fclose(f);
    got = poolsim_output_read_file(p, NULL);
    CU_ASSERT(got && strcmp(got, "abc") == 0);
    free(got);
    /* missing: NULL, errno from the open */
    snprintf(p, sizeof p, "%s/missing", dir);
    errno = 0;
    CU_ASSERT_PTR_NULL(poolsim_output_read_file(p, &n));
    CU_ASSERT_EQUAL(errno, ENOENT);
    testutil_rm_tree(dir);
}

static void expect_template(const char *t, int n, const char *const *args, const char *want)
{
    char *got = poolsim_output_template(t, n, args);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
    free(got);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    poolsim_output_put_template(f, t, n, args);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, want);
    free(buf);
}

static void test_template(void)
{
    const char *const xy[] = {"x", "yy"};
    expect_template("a %s b %s.", 2, xy, "a x b yy.");
    expect_template("%s：%s", 2, xy, "x：yy");
    expect_template("100% %s", 1, xy, "100% x");     /* a lone % is literal */
    expect_template("%d %s 50%", 1, xy, "%d x 50%"); /* no other directive */
    expect_template("%s-%s-%s", 2, xy, "x-yy-");     /* beyond n: nothing */
    const char *const null_b[] = {NULL, "b"};
    expect_template("%s|%s", 2, null_b, "|b"); /* NULL: nothing */
    expect_template("", 0, NULL, "");
    expect_template("no args", 0, NULL, "no args");
    CU_ASSERT_STRING_EQUAL(poolsim_output_name_or(NULL, "id"), "id");
    CU_ASSERT_STRING_EQUAL(poolsim_output_name_or("", "id"), "id");
    CU_ASSERT_STRING_EQUAL(poolsim_output_name_or("荷塘区", "id"), "荷塘区");
}

static int usage_calls; /* calls of fake_usage */

static void fake_usage(FILE *f)
{
    (void)f;
    usage_calls++;
}

static void test_check_args(void)
{
    usage_calls = 0;
    CU_ASSERT_EQUAL(poolsim_cli_check_args("plot", 1, NULL, fake_usage), 0);
    CU_ASSERT_EQUAL(poolsim_cli_check_args("plot", 1, "en", fake_usage), 0);
    CU_ASSERT_EQUAL(poolsim_cli_check_args("plot", 1, "zh", fake_usage), 0);
    CU_ASSERT_EQUAL(usage_calls, 0);
    fprintf(stderr, "\n  (expected messages follow)\n");
    CU_ASSERT_EQUAL(poolsim_cli_check_args("plot", 0, NULL, fake_usage), -1);
    CU_ASSERT_EQUAL(poolsim_cli_check_args("report", 2, "en", fake_usage), -1);
    CU_ASSERT_EQUAL(usage_calls, 2); /* usage after a wrong argument count */
    CU_ASSERT_EQUAL(poolsim_cli_check_args("summary", 1, "fr", fake_usage), -1);
    CU_ASSERT_EQUAL(poolsim_cli_check_args("summary", 1, "", fake_usage), -1);
    CU_ASSERT_EQUAL(usage_calls, 2); /* not after a bad --lang */
}

static void test_read_results(void)
{
    char dir[300], p[400];
    testutil_scratch_dir(dir, sizeof dir, "outresults");
    snprintf(p, sizeof p, "%s/run.h5", dir);
    poolsim_results *w = testutil_results(3, 2, 2);
    CU_ASSERT_EQUAL_FATAL(poolsim_h5out_write(w, NULL, p), POOLSIM_OK);
    poolsim_results *r = NULL;
    char *def = (char *)"unset";
    /* output given: no default */
    CU_ASSERT_EQUAL(poolsim_cli_read_results(p, "x.html", ".html", &r, &def), POOLSIM_EXIT_OK);
    CU_ASSERT(r && r->T == 3 && r->L == 2 && r->C == 2);
    CU_ASSERT_PTR_NULL(def);
    poolsim_results_free(r);
    /* no output: results/<base name><suffix> */
    CU_ASSERT_EQUAL(poolsim_cli_read_results(p, NULL, "-charts", &r, &def), POOLSIM_EXIT_OK);
    CU_ASSERT_PTR_NOT_NULL(r);
    CU_ASSERT(def && strcmp(def, "results/run-charts") == 0);
    poolsim_results_free(r);
    free(def);
    /* unreadable: the exit code of POOLSIM_EIO, nothing to free */
    snprintf(p, sizeof p, "%s/missing.h5", dir);
    fprintf(stderr, "\n  (expected message follows)\n");
    CU_ASSERT_EQUAL(poolsim_cli_read_results(p, NULL, ".html", &r, &def), POOLSIM_EXIT_IO);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT_PTR_NULL(def);
    poolsim_results_free(w);
    testutil_rm_tree(dir);
}

static void test_render_missing_gnuplot(void)
{
    char dir[300], empty[320];
    testutil_scratch_dir(dir, sizeof dir, "plotmiss");
    snprintf(empty, sizeof empty, "%s/bin", dir);
    CU_ASSERT_FATAL(mkdir(empty, 0755) == 0);
    poolsim_results *r = testutil_results(4, 1, 2);
    char out[400];
    snprintf(out, sizeof out, "%s/charts", dir);
    poolsim_plot_opts o = {
        .dir = out, .formats = POOLSIM_FMT_PNG, .lang = POOLSIM_LANG_EN, .path_env = empty};
    poolsim_chart_set set;
    fprintf(stderr, "\n  (expected message follows)\n");
    CU_ASSERT_EQUAL(poolsim_plot_render(r, &o, &set), POOLSIM_ETOOL);
    CU_ASSERT_EQUAL(set.n, 0);
    CU_ASSERT(access(out, F_OK) != 0); /* nothing created */
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

static void test_render(void)
{
    char dir[300], flag[400], out[400];
    testutil_scratch_dir(dir, sizeof dir, "plotrender");
    snprintf(flag, sizeof flag, "%s/PWNED", dir);
    snprintf(out, sizeof out, "%s/charts 'q'", dir); /* a quote in the folder name too */
    poolsim_results *r = hostile_results(flag);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (int lang = 0; lang < 2; lang++) {
        poolsim_plot_opts o = {.dir = out,
                               .formats = POOLSIM_FMT_PNG | POOLSIM_FMT_SVG | POOLSIM_FMT_PDF,
                               .lang = lang,
                               .path_env = NULL};
        poolsim_chart_set set;
        CU_ASSERT_EQUAL_FATAL(poolsim_plot_render(r, &o, &set), POOLSIM_OK);
        /* 2 fan + exhaustion + first year + 2 burden + 2 shortfall */
        CU_ASSERT_EQUAL(set.n, 8);
        int kinds[POOLSIM_CHART_NKINDS] = {0};
        for (int i = 0; i < set.n; i++) {
            kinds[set.chart[i].kind]++;
            CU_ASSERT(file_starts_with(set.chart[i].file[0], "\x89PNG\r\n\x1a\n", 8));
            CU_ASSERT(file_starts_with(set.chart[i].file[1], "<?xml", 5));
            CU_ASSERT(file_starts_with(set.chart[i].file[2], "%PDF-", 5));
        }
        CU_ASSERT(kinds[POOLSIM_CHART_FAN] == 2 && kinds[POOLSIM_CHART_EXHAUSTION] == 1 &&
                  kinds[POOLSIM_CHART_FIRST_YEAR] == 1 && kinds[POOLSIM_CHART_BURDEN] == 2 &&
                  kinds[POOLSIM_CHART_SHORTFALL] == 2);
        CU_ASSERT_STRING_EQUAL(set.chart[0].name, "fan-employee");
        poolsim_chart_set_free(&set);
        /* 24 charts, no temporary file left */
        CU_ASSERT_EQUAL(testutil_count_entries(out), 24);
    }
    CU_ASSERT(access(flag, F_OK) != 0); /* no backquoted command ran */
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* gnuplot failing (a stand-in that prints a message and exits 1): the
 * status and message are reported, POOLSIM_ETOOL, no chart left. */
static void test_render_gnuplot_fails(void)
{
    char dir[300], bin[400], fake[500], out[400];
    testutil_scratch_dir(dir, sizeof dir, "plotfail");
    snprintf(bin, sizeof bin, "%s/bin", dir);
    CU_ASSERT_FATAL(mkdir(bin, 0755) == 0);
    snprintf(fake, sizeof fake, "%s/gnuplot", bin);
    FILE *f = fopen(fake, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("#!/bin/sh\necho 'line 7: simulated gnuplot failure' >&2\nexit 1\n", f);
    fclose(f);
    chmod(fake, 0755);
    snprintf(out, sizeof out, "%s/charts", dir);
    poolsim_results *r = testutil_results(4, 1, 2);
    poolsim_plot_opts o = {
        .dir = out, .formats = POOLSIM_FMT_PNG, .lang = POOLSIM_LANG_EN, .path_env = bin};
    poolsim_chart_set set;
    fprintf(stderr, "\n  (expected messages follow)\n");
    CU_ASSERT_EQUAL(poolsim_plot_render(r, &o, &set), POOLSIM_ETOOL);
    CU_ASSERT_EQUAL(testutil_count_entries(out), 0); /* no chart, no script, no log */
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* ---- the data gnuplot is given ---- */

/* The gnuplot script of every chart of r (files named, not drawn). */
static char *chart_script(const poolsim_results *r, int lang)
{
    poolsim_chart_set set;
    CU_ASSERT_EQUAL_FATAL(poolsim_plot_charts_list(r, lang, &set), POOLSIM_OK);
    for (int i = 0; i < set.n; i++) {
        char name[200];
        snprintf(name, sizeof name, "/nonexistent/%s.png", set.chart[i].name);
        set_str(&set.chart[i].file[0], name);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(poolsim_plot_charts_script(r, lang, &set, f), POOLSIM_OK);
    fclose(f);
    poolsim_chart_set_free(&set);
    return text;
}

/* Years at the ends of int (a results file is untrusted input): the year
 * axis step is computed without overflow (UBSan: signed overflow in
 * yT - y0 before). Span 2^32 - 1: the step is the first of 1, 2, 5, 10,
 * 20, ... with at most 15 steps, 5 * 2^26 = 335544320 (span / step = 12.8;
 * 5 * 2^25 gives 25.6). */
static void test_extreme_years(void)
{
    poolsim_results *r = testutil_results(2, 1, 2);
    r->years[0] = INT_MIN;
    r->years[1] = INT_MAX;
    char *text = chart_script(r, POOLSIM_LANG_EN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "set xtics 335544320 format"));
    free(text);
    poolsim_results_free(r);
}

/* The rows of the inline data block `name` (e.g. "$fan0"): up to maxrows
 * rows of ncol numbers into v; returns the number of rows (-1: no block,
 * or a row without ncol numbers). */
static int data_block(const char *script, const char *name, int ncol, double *v, int maxrows)
{
    char head[64];
    snprintf(head, sizeof head, "%s << EOD\n", name);
    const char *p = strstr(script, head);
    if (!p) return -1;
    p += strlen(head);
    int rows = 0;
    while (strncmp(p, "EOD\n", 4) != 0 && rows < maxrows) {
        for (int j = 0; j < ncol; j++) {
            char *end;
            v[rows * ncol + j] = strtod(p, &end);
            if (end == p) return -1;
            p = end;
        }
        if (*p != '\n') return -1;
        p++;
        rows++;
    }
    return strncmp(p, "EOD\n", 4) == 0 ? rows : -1;
}

#define NEAR(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), 1e-9 * fmax(1.0, fabs(b)))

/* Fan charts: year, p05 p25 p50 p75 p95 of the reserve ratio and the cap,
 * in %, drawn as the 90% band (columns 2:6), the 50% band (3:5), the median
 * (4) and the cap (7). The synthetic results (poolsim_results_fill_test)
 * have quantile(p) = m (1 + (p - 0.5)), m = 0.25 - 0.02 t + 0.001 l, and
 * the cap 0.30 + 0.01 l: the expected numbers come from that closed form,
 * not from the results struct. */
static void test_fan_data(void)
{
    poolsim_results *r = hostile_results("/nonexistent/flag");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    char *sc = chart_script(r, POOLSIM_LANG_EN);
    const double probs[5] = {0.05, 0.25, 0.50, 0.75, 0.95};
    for (int l = 0; l < 2; l++) {
        char name[16];
        double v[10 * 7];
        snprintf(name, sizeof name, "$fan%d", l);
        CU_ASSERT_EQUAL_FATAL(data_block(sc, name, 7, v, 10), 10);
        for (int t = 0; t < 10; t++) {
            const double *row = &v[t * 7];
            double m = 0.25 - 0.02 * t + 0.001 * l;
            CU_ASSERT_EQUAL(row[0], 2021 + t);
            for (int k = 0; k < 5; k++) NEAR(row[1 + k], 100 * m * (1 + (probs[k] - 0.5)));
            NEAR(row[6], 100 * (0.30 + 0.01 * l));
        }
        /* the columns each layer draws */
        char want[200];
        snprintf(want, sizeof want, "plot $fan%d using 1:2:6 with filledcurves", l);
        CU_ASSERT_PTR_NOT_NULL(strstr(sc, want));
        snprintf(want, sizeof want, "$fan%d using 1:3:5 with filledcurves", l);
        CU_ASSERT_PTR_NOT_NULL(strstr(sc, want));
        snprintf(want, sizeof want, "$fan%d using 1:4 with linespoints", l);
        CU_ASSERT_PTR_NOT_NULL(strstr(sc, want));
        snprintf(want, sizeof want, "$fan%d using 1:7 with steps", l);
        CU_ASSERT_PTR_NOT_NULL(strstr(sc, want));
    }
    free(sc);
    poolsim_results_free(r);
}

/* Wilson score interval, 95% (z = 1.959963984540054), by its formula. */
static void wilson95(double k, double n, double *lo, double *hi)
{
    const double z = 1.959963984540054, p = k / n, z2 = z * z;
    double c = (p + z2 / (2 * n)) / (1 + z2 / n);
    double h = z / (1 + z2 / n) * sqrt(p * (1 - p) / n + z2 / (4 * n * n));
    *lo = c - h;
    *hi = c + h;
}

/* Exhaustion and first-year charts: line 0 of the test results has
 * P(exhausted by year t+1) = 0.0025 (t+1)^2 of 10000 paths; its interval
 * is the Wilson interval; first exhausted in year t+1: 0.25 (2t+1) %.
 * Burden charts: per county (first on top) the mean, p95 and p99 of the
 * horizon's total, which the test results set at 1 : 3 : 5, each in
 * proportion to sum_t f(l,c,t), f = 1000 (l+1) + 100 (c+1) + t + 1. */
static void test_exhaustion_burden_data(void)
{
    poolsim_results *r = hostile_results("/nonexistent/flag");
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    char *sc = chart_script(r, POOLSIM_LANG_ZH);
    double v[10 * 9];
    CU_ASSERT_EQUAL_FATAL(data_block(sc, "$exh", 7, v, 10), 10);
    for (int t = 0; t < 10; t++) {
        double p = 0.0025 * (t + 1) * (t + 1), lo, hi;
        wilson95(p * 10000, 10000, &lo, &hi);
        CU_ASSERT_EQUAL(v[t * 7], 2021 + t);
        NEAR(v[t * 7 + 1], 100 * p);
        CU_ASSERT_DOUBLE_EQUAL(v[t * 7 + 2], 100 * lo, 1e-7);
        CU_ASSERT_DOUBLE_EQUAL(v[t * 7 + 3], 100 * hi, 1e-7);
        /* line 1: the results' own values, in % */
        size_t i = POOLSIM_LT(r, 1, t);
        NEAR(v[t * 7 + 4], 100 * r->exhaustion_prob[i]);
        NEAR(v[t * 7 + 5], 100 * r->exhaustion_lo[i]);
        NEAR(v[t * 7 + 6], 100 * r->exhaustion_hi[i]);
    }
    CU_ASSERT_EQUAL_FATAL(data_block(sc, "$first", 3, v, 10), 10);
    for (int t = 0; t < 10; t++) {
        CU_ASSERT_EQUAL(v[t * 3], 2021 + t);
        NEAR(v[t * 3 + 1], 0.25 * (2 * t + 1));
    }
    for (int l = 0; l < 2; l++) {
        char name[16];
        snprintf(name, sizeof name, "$bur%d", l);
        CU_ASSERT_EQUAL_FATAL(data_block(sc, name, 4, v, 9), 9);
        double f0 = 0;
        for (int t = 0; t < 10; t++) f0 += 1000.0 * (l + 1) + 100.0 + t + 1;
        double unit = v[1] / f0; /* rows in county order */
        for (int c = 0; c < 9; c++) {
            double fc = 0;
            for (int t = 0; t < 10; t++) fc += 1000.0 * (l + 1) + 100.0 * (c + 1) + t + 1;
            const double *row = &v[c * 4];
            CU_ASSERT_EQUAL(row[0], 8 - c); /* first county on top */
            NEAR(row[1], unit * fc);
            NEAR(row[2], 3 * unit * fc);
            NEAR(row[3], 5 * unit * fc);
        }
    }
    free(sc);
    poolsim_results_free(r);
}

/* Suite fixture, not a test: the results file the command-line tests use
 * (written when the suite starts; CUnit reports the suite as failed to
 * initialise when it cannot be written). */
static int write_cli_file(void)
{
    char b[256], path[400], flag[400];
    testutil_build_dir(b, sizeof b);
    snprintf(path, sizeof path, "%s/test_report_results.h5", b);
    snprintf(flag, sizeof flag, "%s/PWNED-by-a-name", b);
    poolsim_results *r = hostile_results(flag);
    int st = r ? poolsim_h5out_write(r, NULL, path) : POOLSIM_ENOMEM;
    poolsim_results_free(r);
    if (st != POOLSIM_OK) fprintf(stderr, "plot suite: cannot write %s\n", path);
    return st != POOLSIM_OK;
}

void poolsim_test_plot(void)
{
    CU_pSuite s = CU_add_suite("plot", write_cli_file, NULL);
    CU_add_test(s, "money unit by magnitude", test_unit);
    CU_add_test(s, "thousands grouping", test_group);
    CU_add_test(s, "gnuplot quoting", test_quote);
    CU_add_test(s, "gnuplot reads quoted hostile text literally", test_quote_gnuplot);
    CU_add_test(s, "PATH search", test_find_program);
    CU_add_test(s, "year axis of extreme years", test_extreme_years);
    CU_add_test(s, "format lists and language", test_formats_lang);
    CU_add_test(s, "output helpers: mkdir -p", test_make_dirs);
    CU_add_test(s, "output helpers: reading a whole file", test_read_file);
    CU_add_test(s, "output helpers: templates and display names", test_template);
    CU_add_test(s, "output helpers: argument checks", test_check_args);
    CU_add_test(s, "output helpers: reading the results file", test_read_results);
    CU_add_test(s, "missing gnuplot", test_render_missing_gnuplot);
    CU_add_test(s, "gnuplot failure reported", test_render_gnuplot_fails);
    CU_add_test(s, "all charts in png, svg, pdf with hostile names", test_render);
    CU_add_test(s, "fan chart data: the quantiles, cap and columns drawn", test_fan_data);
    CU_add_test(s, "exhaustion, first-year and burden chart data", test_exhaustion_burden_data);
}
