/* Tests of src/summary.c: terminal width of CJK text, CSV quoting, the CSV
 * files (BOM, header, record counts, a value by hand, quoting of a hostile
 * name), the Excel workbook (a zip) and the aligned terminal tables. */
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
#include "poolsim/results.h"
#include "poolsim/summary.h"
#include "poolsim/text.h"
#include "test_util.h"

static int has_bytes(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return 1;
    return 0;
}

static void test_width(void)
{
    CU_ASSERT_EQUAL(poolsim_summary_width(""), 0);
    CU_ASSERT_EQUAL(poolsim_summary_width("abc"), 3);
    CU_ASSERT_EQUAL(poolsim_summary_width("荷塘区"), 6); /* 3 CJK ideographs */
    CU_ASSERT_EQUAL(poolsim_summary_width("a荷b"), 4);
    CU_ASSERT_EQUAL(poolsim_summary_width("县（市、区）"),
                    12); /* fullwidth brackets, ideographic comma */
    CU_ASSERT_EQUAL(poolsim_summary_width("\xc3\xa9"), 1);  /* é, U+00E9 */
    CU_ASSERT_EQUAL(poolsim_summary_width("e\xcc\x81"), 1); /* e + combining acute U+0301 */
    CU_ASSERT_EQUAL(poolsim_summary_width("\xff"
                                          "a"),
                    2);                                    /* invalid byte counts 1 */
    CU_ASSERT_EQUAL(poolsim_summary_width("\xe4\xb8"), 2); /* truncated sequence: 2 bytes */
    CU_ASSERT_EQUAL(poolsim_summary_width("–"), 1);        /* en dash U+2013: narrow */
}

/* One CSV field (text.h): RFC 4180 quoting and the OWASP formula guard. */
static void test_csv_quote(void)
{
    struct {
        const char *in, *out;
    } c[] = {{"plain", "plain"},
             {"", ""},
             {"荷塘区", "荷塘区"},
             {"a,b", "\"a,b\""},
             {"say \"hi\"", "\"say \"\"hi\"\"\""},
             {"two\nlines", "\"two\nlines\""},
             {"cr\rhere", "\"cr\rhere\""},
             {" lead", "\" lead\""},
             {"trail ", "\"trail \""},
             {"in side", "in side"},
             {"a'b", "a'b"},
             /* formulas: a leading ' and quotes (OWASP CSV injection) */
             {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
             {"=1+2", "\"'=1+2\""},
             {"@SUM(A1)", "\"'@SUM(A1)\""},
             {"+cmd", "\"'+cmd\""},
             {"-2+3", "\"'-2+3\""},
             {"\tx", "\"'\tx\""},
             {"\rx", "\"'\rx\""},
             {"-inf", "\"'-inf\""},
             /* plain numbers stay numbers */
             {"-1", "-1"},
             {"+5", "+5"},
             {"-0.25", "-0.25"},
             {"-1e3", "-1e3"},
             {"a=b", "a=b"}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *q = poolsim_text_csv_quote(c[i].in);
        CU_ASSERT_PTR_NOT_NULL_FATAL(q);
        if (strcmp(q, c[i].out) != 0) fprintf(stderr, "\n'%s' -> '%s'", c[i].in, q);
        CU_ASSERT_STRING_EQUAL(q, c[i].out);
        free(q);
    }
}

/* The terminal filter (text.h): no control character, C1 control, bidi
 * override or invalid byte reaches the terminal; text is kept. */
static void test_clean(void)
{
    struct {
        const char *in, *out;
    } c[] = {{"plain 荷塘区", "plain 荷塘区"},
             {"esc\x1b[31mred\x1b[0m", "esc [31mred [0m"},
             {"two\nlines\r\t", "two lines  "},
             {"del\x7f", "del "},
             {"csi\xc2\x9b"
              "31m",
              "csi 31m"}, /* U+009B, the 8-bit CSI */
             {"bidi\xe2\x80\xae"
              "evil",
              "bidi evil"}, /* U+202E */
             {"bad\x9b\xff", "bad??"},
             {"", ""}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *d = poolsim_text_clean_dup(c[i].in);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        CU_ASSERT_STRING_EQUAL(d, c[i].out);
        free(d);
    }
}

static int count_records(const char *text, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = text; p; p = strchr(p, '\n')) {
        if (*p == '\n') p++;
        if (strncmp(p, prefix, pl) == 0) n++;
    }
    return n;
}

static void test_csv_files(void)
{
    char dir[300], path[800];
    testutil_scratch_dir(dir, sizeof dir, "summarytest");
    poolsim_results *r = testutil_results(4, 2, 3);
    free(r->county_names[0]);
    r->county_names[0] = strdup("A \"big\", county");
    /* values checked by hand below */
    r->exhaustion_prob[POOLSIM_LT(r, 0, 0)] = 0.0125;
    r->county_burden_total.mean[POOLSIM_LC(r, 1, 2)] = 123456789.5;
    r->reserve_ratio.q[POOLSIM_LT(r, 1, 3) * POOLSIM_NQ + 6] = 0.1; /* p99, line 1, year 4 */
    r->balance.mean[POOLSIM_LCT(r, 0, 1, 0)] = -0.0;                /* written "-0": sign kept */
    char out[400];
    snprintf(out, sizeof out, "%s/csv", dir);
    CU_ASSERT_EQUAL_FATAL(poolsim_summary_write_csv(r, out, NULL), POOLSIM_OK);
    /* records per table: L*T, L*(T+1), L*T x 3, L*C*T x 2, L*C, L*C*T, L*(T+1); the last
     * table (county_all_lines, C*(T+1) = 15 records) has no line column */
    const int want[POOLSIM_SUMMARY_NTABLES] = {8, 10, 8, 8, 8, 24, 24, 6, 24, 10, 15};
    for (int i = 0; i < POOLSIM_SUMMARY_NTABLES - 1; i++) {
        snprintf(path, sizeof path, "%s/%s.csv", out, poolsim_summary_tables[i]);
        size_t n;
        char *t = poolsim_output_read_file(path, &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT(strncmp(t, POOLSIM_CSV_BOM "line_id,line_name,", 21) == 0);
        CU_ASSERT_EQUAL(count_records(t, "employee,") + count_records(t, "resident,"), want[i]);
        CU_ASSERT(n >= 2 && t[n - 2] == '\r' && t[n - 1] == '\n'); /* CRLF records */
        if (i == 0) {
            CU_ASSERT(strncmp(t, POOLSIM_CSV_BOM "line_id,line_name,year,prob,lo,hi,year_prob\r\n",
                              47) == 0);
            CU_ASSERT_PTR_NOT_NULL(strstr(t, "\r\nemployee,城镇职工基本医疗保险,2021,0.0125,"));
        }
        if (i == 2) {
            CU_ASSERT_PTR_NOT_NULL(strstr(
                t, "line_id,line_name,year,mean,se,p01,p05,p25,p50,p75,p95,p99,cap_ratio\r\n"));
            CU_ASSERT_PTR_NOT_NULL(strstr(t, ",0.1,")); /* shortest form of 0.1 */
        }
        if (i == 7) {
            CU_ASSERT_PTR_NOT_NULL(
                strstr(t, "employee,城镇职工基本医疗保险,hetang,\"A \"\"big\"\", county\","));
            CU_ASSERT_PTR_NOT_NULL(
                strstr(t, "resident,城乡居民基本医疗保险,shifeng,石峰区,123456789.5,"));
        }
        if (i == 8) { /* balance_mean, then balance_se */
            CU_ASSERT_PTR_NOT_NULL(strstr(t, ",-0,"));
        }
        if (i == 1) { /* the "never" row has an empty year */
            CU_ASSERT_PTR_NOT_NULL(strstr(t, "\r\nemployee,城镇职工基本医疗保险,,"));
        }
        free(t);
    }
    snprintf(path, sizeof path, "%s/county_all_lines.csv", out);
    size_t nc;
    char *tc = poolsim_output_read_file(path, &nc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
    CU_ASSERT(strncmp(tc, POOLSIM_CSV_BOM "county_id,county_name,year,burden_mean,", 42) == 0);
    int recs = 0;
    for (size_t i = 0; i < nc; i++) recs += tc[i] == '\n';
    CU_ASSERT_EQUAL(recs, 1 + want[POOLSIM_SUMMARY_NTABLES - 1]);
    free(tc);
    /* unwritable folder: a file where the folder should be */
    snprintf(path, sizeof path, "%s/file", dir);
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    fprintf(stderr, "\n  (expected message follows)\n");
    CU_ASSERT_EQUAL(poolsim_summary_write_csv(r, path, NULL), POOLSIM_EIO);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

static void test_xlsx(void)
{
    char dir[300], path[400];
    testutil_scratch_dir(dir, sizeof dir, "xlsxtest");
    snprintf(path, sizeof path, "%s/t.xlsx", dir);
    poolsim_results *r = testutil_results(5, 2, 9);
    for (int lang = 0; lang < 2; lang++) {
        CU_ASSERT_EQUAL_FATAL(poolsim_summary_write_xlsx(r, lang, path), POOLSIM_OK);
        size_t n;
        char *t = poolsim_output_read_file(path, &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t);
        CU_ASSERT(n > 1000 && memcmp(t, "PK\x03\x04", 4) == 0);
        /* zip entry names are stored uncompressed in the local headers */
        CU_ASSERT(has_bytes(t, n, "xl/worksheets/sheet1.xml"));
        CU_ASSERT(has_bytes(t, n, "xl/worksheets/sheet12.xml")); /* about + 11 tables */
        CU_ASSERT(!has_bytes(t, n, "xl/worksheets/sheet13.xml"));
        free(t);
    }
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 1); /* no temporary file left */
    snprintf(path, sizeof path, "%s/missing/t.xlsx", dir);
    fprintf(stderr, "\n  (expected message follows)\n");
    CU_ASSERT_EQUAL(poolsim_summary_write_xlsx(r, 0, path), POOLSIM_EIO);
    poolsim_results_free(r);
    testutil_rm_tree(dir);
}

/* Column k of a table line starts at the same terminal column on every
 * row: checked on the county table, whose names mix CJK and ASCII. */
static void test_print_aligned(void)
{
    poolsim_results *r = testutil_results(3, 1, 3);
    free(r->county_names[1]);
    r->county_names[1] = strdup("Lusong District");
    free(r->county_names[2]);
    r->county_names[2] = strdup("石峰\n区"); /* a line break becomes a space */
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    poolsim_summary_print(r, POOLSIM_LANG_EN, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    const char *rows[3] = {"  荷塘区", "  Lusong District", "  石峰 区"};
    int end_col[3];
    for (int i = 0; i < 3; i++) {
        const char *p = strstr(buf, rows[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        const char *eol = strchr(p, '\n');
        CU_ASSERT_PTR_NOT_NULL_FATAL(eol);
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)(eol - p), p);
        end_col[i] = poolsim_summary_width(line); /* numbers right-aligned: same end */
    }
    CU_ASSERT_EQUAL(end_col[0], end_col[1]);
    CU_ASSERT_EQUAL(end_col[1], end_col[2]);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "county government burden summed over 2021-2023"));
    free(buf);
    poolsim_results_free(r);
}

void poolsim_test_summary(void)
{
    CU_pSuite s = CU_add_suite("summary", NULL, NULL);
    CU_add_test(s, "terminal width of CJK text", test_width);
    CU_add_test(s, "CSV quoting (RFC 4180) and formula guard", test_csv_quote);
    CU_add_test(s, "terminal filter", test_clean);
    CU_add_test(s, "CSV files: BOM, headers, records, values", test_csv_files);
    CU_add_test(s, "Excel workbook", test_xlsx);
    CU_add_test(s, "terminal tables aligned", test_print_aligned);
}
