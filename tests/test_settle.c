/* Tests of src/settle.c (MODEL.md section 8): flows parsing and its error
 * messages, multi-year settlement by hand arithmetic, the golden CSV, the
 * readable table and atomic writing. Scenarios are built as structs here,
 * independent of the YAML loader. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/output.h"
#include "poolsim/settle.h"
#include "poolsim/text.h"
#include "test_util.h"

#define TOL      1e-9
#define EQ(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), TOL)

/* ---- A scenario as a struct -------------------------------------------------
 * The same as tests/data/settle_small.yaml: counties a (荷塘区), b (芦淞区),
 * c (醴陵市); lines employee (reserve initial 11296, interest 6.25%,
 * uncovered county) and resident (initial 1000, interest 0, uncovered
 * city); levy 10%, cap 30% stop; Zhuzhou brackets; balance interest 0.
 *   opening balances   employee  resident   prior_financing.resident
 *   a                  1000      0          4000
 *   b                  2000      300        -
 *   c                  500       100        6000                          */
typedef struct {
    poolsim_scenario s;
    poolsim_line lines[2];
    poolsim_county counties[3];
    double balance[3][2], prior[3][2];
    int has_prior[3][2];
} fixture;

static void fixture_init(fixture *f)
{
    memset(f, 0, sizeof *f);
    poolsim_scenario *s = &f->s;
    s->name = "settle example, 3 counties, 2 lines";
    s->lang = "en";
    s->start_year = 2021;
    s->horizon_years = 3;
    s->balance_interest = 0;
    s->sharing.mode = POOLSIM_SHARING_BRACKET;
    s->sharing.nbrackets = 4;
    const double up[4] = {0.10, 0.30, 0.50, INFINITY}, rs[4] = {1.0, 0.7, 0.3, 0.0};
    for (int i = 0; i < 4; i++) {
        s->sharing.up_to[i] = poolsim_param_const(up[i]);
        s->sharing.reserve[i] = poolsim_param_const(rs[i]);
    }
    static char *lid[2] = {"employee", "resident"};
    static char *lname[2] = {"Employee insurance", "Resident insurance"};
    const double init[2] = {11296, 1000}, interest[2] = {0.0625, 0};
    const int unc[2] = {POOLSIM_UNCOVERED_COUNTY, POOLSIM_UNCOVERED_CITY};
    for (int l = 0; l < 2; l++) {
        poolsim_line *ln = &f->lines[l];
        ln->id = lid[l];
        ln->name = lname[l];
        ln->reserve.levy_rate = poolsim_param_const(0.10);
        ln->reserve.cap_ratio = poolsim_param_const(0.30);
        ln->reserve.interest = poolsim_param_const(interest[l]);
        ln->reserve.initial = poolsim_param_const(init[l]);
        ln->reserve.cap_mode = POOLSIM_CAP_STOP;
        ln->reserve.uncovered = unc[l];
    }
    static char *cid[3] = {"a", "b", "c"};
    static char *cname[3] = {"荷塘区", "芦淞区", "醴陵市"};
    const double bal[3][2] = {{1000, 0}, {2000, 300}, {500, 100}};
    const double prior[3][2] = {{0, 4000}, {0, 0}, {0, 6000}};
    const int has[3][2] = {{0, 1}, {0, 0}, {0, 1}};
    for (int c = 0; c < 3; c++) {
        poolsim_county *k = &f->counties[c];
        k->id = cid[c];
        k->name = cname[c];
        k->cost_index = k->util_index = 1;
        for (int l = 0; l < 2; l++) {
            f->balance[c][l] = bal[c][l];
            f->prior[c][l] = prior[c][l];
            f->has_prior[c][l] = has[c][l];
        }
        k->balance = f->balance[c];
        k->prior_financing = f->prior[c];
        k->has_prior = f->has_prior[c];
    }
    s->nlines = 2;
    s->lines = f->lines;
    s->ncounties = 3;
    s->counties = f->counties;
}

/* ---- helpers ------------------------------------------------------------- */

typedef struct {
    FILE *f;
    char *buf;
    size_t len;
} memout;

static void mem_open(memout *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
}

static char *mem_close(memout *m)
{
    fclose(m->f);
    return m->buf;
}

/* Parse text; returns the status and the diagnostics in *diag (caller frees). */
static int parse(const poolsim_scenario *s, const char *text, char **diag, poolsim_flows *out)
{
    memout m;
    mem_open(&m);
    int st = poolsim_settle_parse(s, "t.csv", text, strlen(text), m.f, out);
    *diag = mem_close(&m);
    return st;
}

/* Parse text that must fail, and check that `want` is among the messages. */
static void parse_fails(const poolsim_scenario *s, const char *text, const char *want)
{
    poolsim_flows fl;
    char *diag;
    int st = parse(s, text, &diag, &fl);
    CU_ASSERT_EQUAL(st, POOLSIM_EINPUT);
    CU_ASSERT_PTR_NULL(fl.rows);
    if (!strstr(diag, want)) {
        fprintf(stderr, "\nexpected message containing: %s\ngot:\n%s", want, diag);
        CU_FAIL("message not found");
    }
    free(diag);
}

#define HDR "year,county,line,financing,expenditure\n"
/* one complete employee year for 2021 */
#define EMP21 "2021,a,employee,1000,900\n2021,b,employee,2000,1800\n2021,c,employee,1000,900\n"

/* ---- formatting -------------------------------------------------------------- */

static void test_format(void)
{
    char b[40];
    poolsim_settle_format_number(0.1, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "0.1");
    poolsim_settle_format_number(100, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "100");
    poolsim_settle_format_number(-2500, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "-2500");
    poolsim_settle_format_number(-0.0, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "0");
    poolsim_settle_format_number(INFINITY, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "inf");
    poolsim_settle_format_number(539.0625, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "539.0625");
    /* 0.1 + 0.2 needs 17 digits: 0.30000000000000004 */
    poolsim_settle_format_number(0.1 + 0.2, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "0.30000000000000004");
    /* 1/3 and 2/3 need 16 digits (Python's repr gives the same) */
    poolsim_settle_format_number(1.0 / 3, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "0.3333333333333333");
    poolsim_settle_format_number(2.0 / 3, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "0.6666666666666666");
    poolsim_settle_format_number(1e21, b, sizeof b);
    CU_ASSERT_STRING_EQUAL(b, "1e+21");
    /* every value read back is the same double */
    const double v[] = {1.0 / 7, 12345.678901234567, 5e-324, 1.7976931348623157e308, 0.7 * 527};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        poolsim_settle_format_number(v[i], b, sizeof b);
        CU_ASSERT(strtod(b, NULL) == v[i]);
    }
}

static void test_text_width(void)
{
    CU_ASSERT_EQUAL(poolsim_text_width(""), 0);
    CU_ASSERT_EQUAL(poolsim_text_width("abc"), 3);
    CU_ASSERT_EQUAL(poolsim_text_width("荷塘区"), 6); /* 3 CJK x 2 */
    CU_ASSERT_EQUAL(poolsim_text_width("a荷b"), 4);
    CU_ASSERT_EQUAL(poolsim_text_width("县（区）"), 8); /* fullwidth parentheses */
    CU_ASSERT_EQUAL(poolsim_text_width("\xff"
                                       "a"),
                    2);                                  /* invalid byte counts 1 */
    CU_ASSERT_EQUAL(poolsim_text_width("e\xcc\x81"), 1); /* e + combining acute: 1 column */
    CU_ASSERT_EQUAL(poolsim_text_width("ＡＢ"), 4);      /* fullwidth Latin */
}

/* ---- parsing ----------------------------------------------------------------- */

static void test_parse_ok(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_flows fl;
    char *diag;
    /* BOM, CRLF, permuted columns, quoted fields, blank lines, rows in any
     * order: fine. */
    const char *text = "\xEF\xBB\xBF"
                       "line,county,expenditure,year,financing\r\n"
                       "employee,c,900,2021,1000\r\n"
                       "\r\n"
                       "\"employee\",\"a\",\"900.5\",2021,1e3\r\n"
                       "employee,b,1800,2021,2000";
    CU_ASSERT_EQUAL_FATAL(parse(&fx.s, text, &diag, &fl), POOLSIM_OK);
    CU_ASSERT_STRING_EQUAL(diag, "");
    free(diag);
    CU_ASSERT_EQUAL_FATAL(fl.n, 3);
    /* sorted by line, year, county */
    CU_ASSERT_EQUAL(fl.rows[0].county, 0);
    CU_ASSERT_EQUAL(fl.rows[0].src_line, 4);
    EQ(fl.rows[0].financing, 1000);
    EQ(fl.rows[0].expenditure, 900.5);
    CU_ASSERT_EQUAL(fl.rows[1].county, 1);
    CU_ASSERT_EQUAL(fl.rows[1].src_line, 5);
    CU_ASSERT_EQUAL(fl.rows[2].county, 2);
    CU_ASSERT_EQUAL(fl.rows[2].src_line, 2);
    CU_ASSERT_EQUAL(fl.rows[2].year, 2021);
    CU_ASSERT_EQUAL(fl.rows[2].line, 0);
    poolsim_settle_flows_free(&fl);
    CU_ASSERT_PTR_NULL(fl.rows);
}

static void test_parse_errors(void)
{
    fixture fx;
    fixture_init(&fx);
    const poolsim_scenario *s = &fx.s;

    /* unknown county, with its line and column */
    parse_fails(
        s, HDR EMP21 "2021,zz,employee,1,1\n",
        "t.csv:5:6: county: unknown county 'zz' (expected a county id or name of the scenario: "
        "a, b, c)");
    parse_fails(s, HDR EMP21 "2021,a,nurses,1,1\n",
                "t.csv:5:8: line: unknown line 'nurses' (expected a line id of the scenario: "
                "employee, resident)");
    /* missing row: c absent from (2021, employee), reported at the group's
     * first row */
    parse_fails(s, HDR "2021,a,employee,1,1\n2021,b,employee,1,1\n",
                "t.csv:2:1: county: no row for county 'c' in year 2021, line employee");
    /* duplicate row */
    parse_fails(s, HDR EMP21 "2021,b,employee,5,5\n",
                "t.csv:5:6: county: second row for county 'b', line employee, year 2021 "
                "(first at line 3;");
    /* amounts: non-numeric, partly numeric, nan, inf, hex, overflow, negative, empty */
    parse_fails(s,
                HDR "2021,a,employee,abc,1\n"
                    "2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "t.csv:2:17: financing: 'abc' is not a number (expected a number >= 0, in yuan)");
    parse_fails(s, HDR "2021,a,employee,12abc,1\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "financing: '12abc' is not a number");
    parse_fails(s, HDR "2021,a,employee,nan,1\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "financing: 'nan' is not a number");
    parse_fails(s, HDR "2021,a,employee,1,inf\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "t.csv:2:19: expenditure: 'inf' is not a number");
    parse_fails(s, HDR "2021,a,employee,0x10,1\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "financing: '0x10' is not a number");
    parse_fails(s, HDR "2021,a,employee,1e999,1\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "financing: 1e999 is out of the range of a double");
    parse_fails(s, HDR "2021,a,employee,1,-5\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "t.csv:2:19: expenditure: -5 is negative (expected a number >= 0, in yuan)");
    parse_fails(s, HDR "2021,a,employee,,1\n2021,b,employee,1,1\n2021,c,employee,1,1\n",
                "t.csv:2:17: financing: empty value");
    /* years */
    parse_fails(s, HDR "2021.5,a,employee,1,1\n", "t.csv:2:1: year: '2021.5' is not an integer");
    parse_fails(s, HDR "99999,a,employee,1,1\n",
                "t.csv:2:1: year: 99999 is out of range (expected 1..9999)");
    parse_fails(s, HDR "99999999999999999999,a,employee,1,1\n",
                "year: 99999999999999999999 is out of range");
    /* ragged rows */
    parse_fails(s, HDR EMP21 "2021,a,employee,1\n",
                "t.csv:5:1: row: 4 fields (expected 5, as in the header");
    parse_fails(s, HDR EMP21 "2021,a,employee,1,1,1\n", "t.csv:5:1: row: 6 fields (expected 5");
    /* headers */
    parse_fails(s, "year,county,line,financing,spending\n" EMP21,
                "t.csv:1:28: header: unknown column 'spending' (expected exactly the columns "
                "year,county,line,financing,expenditure (and optionally enrolment), in any order)");
    parse_fails(s, "year,county,line,financing,spending\n" EMP21,
                "t.csv:1:1: header: column 'expenditure' is missing");
    parse_fails(s, "year,county,line,financing,expenditure,note\n" EMP21,
                "t.csv:1:40: header: unknown column 'note'");
    parse_fails(s, "year,county,year,financing,expenditure\n" EMP21,
                "t.csv:1:13: header: column 'year' appears twice");
    parse_fails(s, "", "t.csv:1:1: header: the file is empty");
    parse_fails(s, "\xEF\xBB\xBF\n\n", "t.csv:1:1: header: the file is empty");
    parse_fails(s, HDR, "t.csv:2:1: row: no data rows");
    /* malformed CSV (strict libcsv) */
    parse_fails(s, HDR "2021,a\"b,employee,1,1\n", "t.csv:2:7: csv: malformed CSV");
    parse_fails(s, HDR "2021,\"a\"x,employee,1,1\n", "t.csv:2:9: csv: malformed CSV");
    parse_fails(s, HDR "2021,\"a,employee,1,1\n", "csv: unterminated quoted field");
    /* columns count characters, not bytes: 荷塘 is 2 columns of text */
    parse_fails(s, HDR "2021,荷塘,employee,1,x\n", "t.csv:2:20: expenditure: 'x' is not a number");
    /* a NUL byte inside a field */
    {
        poolsim_flows fl;
        memout m;
        mem_open(&m);
        const char text[] = HDR "2021,a\0,employee,1,1\n";
        CU_ASSERT_EQUAL(poolsim_settle_parse(s, "t.csv", text, sizeof text - 1, m.f, &fl),
                        POOLSIM_EINPUT);
        char *d = mem_close(&m);
        CU_ASSERT_PTR_NOT_NULL(strstr(d, "t.csv:2:6: county: contains a NUL byte"));
        free(d);
    }
    /* an over-long field stops parsing with a message, whatever its size */
    {
        size_t n = 100000;
        char *big = malloc(n + 64);
        strcpy(big, HDR "2021,");
        size_t k = strlen(big);
        memset(big + k, '9', n);
        strcpy(big + k + n, ",employee,1,1\n");
        parse_fails(s, big, "t.csv:2:6: csv: field longer than 4096 bytes");
        free(big);
    }

    /* every problem is reported, then the count */
    poolsim_flows fl;
    char *diag;
    CU_ASSERT_EQUAL(parse(s,
                          HDR "2021,a,employee,-1,1\n"
                              "2021,zz,employee,1,1\n"
                              "2021,b,employee,1,1\n"
                              "2021,b,employee,1,x\n",
                          &diag, &fl),
                    POOLSIM_EINPUT);
    const char *want =
        "t.csv:2:17: financing: -1 is negative (expected a number >= 0, in yuan)\n"
        "t.csv:3:6: county: unknown county 'zz' (expected a county id or name of the scenario: "
        "a, b, c)\n"
        "t.csv:5:19: expenditure: 'x' is not a number (expected a number >= 0, in yuan)\n"
        "t.csv:5:6: county: second row for county 'b', line employee, year 2021 (first at "
        "line 4; expected one row per county, line and year)\n"
        "t.csv:2:1: county: no row for county 'c' in year 2021, line employee (expected one "
        "row per county for each year and line present)\n"
        "poolsim: 5 errors in t.csv\n";
    CU_ASSERT_STRING_EQUAL(diag, want);
    if (strcmp(diag, want) != 0) fprintf(stderr, "\ngot:\n%s", diag);
    free(diag);

    /* one error: singular */
    CU_ASSERT_EQUAL(parse(s, HDR "2021,a,employee,1,1\n2021,b,employee,1,1\n", &diag, &fl),
                    POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "poolsim: 1 error in t.csv\n"));
    free(diag);
}

/* Parse with options; status, diagnostics in *diag (caller frees). */
static int parse_opts(const poolsim_scenario *s, const char *text, size_t len,
                      const poolsim_settle_opts *o, char **diag, poolsim_flows *out)
{
    memout m;
    mem_open(&m);
    int st = poolsim_flows_parse(s, "t.csv", text, len, o, m.f, out);
    *diag = mem_close(&m);
    return st;
}

/* Inputs as Excel writes them: GBK (detected or named), county names,
 * thousands separators in quoted cells, an enrolment column. */
static void test_excel_inputs(void)
{
    fixture fx;
    fixture_init(&fx);
    const poolsim_scenario *s = &fx.s;
    poolsim_flows fl;
    char *diag;
    /* GBK bytes of 荷塘区, 芦淞区, 醴陵市, CRLF, quoted "1,000" */
    const char gbk[] = "year,county,line,financing,expenditure,enrolment\r\n"
                       "2021,\xBA\xC9\xCC\xC1\xC7\xF8,employee,\"1,000\",900,\"12,345\"\r\n"
                       "2021,\xC2\xAB\xE4\xC1\xC7\xF8,employee,\"2,000.50\",1800,7\r\n"
                       "2021,\xF5\xB7\xC1\xEA\xCA\xD0,employee,1000,\"1,000,000\",8\r\n";
    for (int named = 0; named < 2; named++) {
        poolsim_settle_opts o = {.encoding = named ? "gbk" : NULL};
        CU_ASSERT_EQUAL_FATAL(parse_opts(s, gbk, sizeof gbk - 1, &o, &diag, &fl), POOLSIM_OK);
        /* 1,000,000 is 1000 times 1000: a warning, not an error, at 4:30 */
        CU_ASSERT_PTR_NOT_NULL(strstr(diag, "t.csv:4:24: warning: expenditure: 1,000,000 is "
                                            "more than 5 times the row's financing 1000"));
        free(diag);
        CU_ASSERT_EQUAL_FATAL(fl.n, 3);
        CU_ASSERT_EQUAL(fl.rows[0].county, 0);
        EQ(fl.rows[0].financing, 1000);
        EQ(fl.rows[0].enrolment, 12345);
        EQ(fl.rows[1].financing, 2000.5);
        EQ(fl.rows[2].expenditure, 1e6);
        poolsim_settle_flows_free(&fl);
    }
    /* the same text in UTF-8 with a BOM; no enrolment column: NAN */
    const char *utf = "\xEF\xBB\xBFyear,county,line,financing,expenditure\n"
                      "2021,荷塘区,employee,\"1,000\",900\n2021,b,employee,2000,1800\n"
                      "2021,醴陵市,employee,1000,1000\n";
    CU_ASSERT_EQUAL_FATAL(parse_opts(s, utf, strlen(utf), NULL, &diag, &fl), POOLSIM_OK);
    CU_ASSERT_STRING_EQUAL(diag, "");
    free(diag);
    CU_ASSERT_EQUAL(fl.rows[0].county, 0);
    CU_ASSERT(isnan(fl.rows[0].enrolment));
    poolsim_settle_flows_free(&fl);
    /* --strict: the warning is an error */
    poolsim_settle_opts strict = {.strict = 1};
    CU_ASSERT_EQUAL(parse_opts(s, gbk, sizeof gbk - 1, &strict, &diag, &fl), POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "t.csv:4:24: expenditure: 1,000,000 is more than 5 "));
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "poolsim: 1 error in t.csv"));
    CU_ASSERT_PTR_NULL(fl.rows);
    free(diag);
    /* GBK text read as UTF-8: the first bad byte, line 2 column 6 */
    poolsim_settle_opts u8 = {.encoding = "utf-8"};
    CU_ASSERT_EQUAL(parse_opts(s, gbk, sizeof gbk - 1, &u8, &diag, &fl), POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "t.csv:2:6: encoding: byte 0xBA is not UTF-8 text"));
    free(diag);
    /* bytes that are neither (0xFF is never GB18030): its position */
    const char junk[] = HDR "2021,a,employee,1,1\n2021,ab\xFF,employee,1,1\n";
    CU_ASSERT_EQUAL(parse_opts(s, junk, sizeof junk - 1, NULL, &diag, &fl), POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "t.csv:3:8: encoding: byte 0xFF is not UTF-8 text, nor "
                                        "GBK/GB18030 text"));
    free(diag);
    poolsim_settle_opts gb = {.encoding = "gbk"};
    CU_ASSERT_EQUAL(parse_opts(s, junk, sizeof junk - 1, &gb, &diag, &fl), POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "t.csv:3:8: encoding: byte 0xFF is not GBK/GB18030"));
    free(diag);
    /* misplaced separators, and a county name two counties share */
    parse_fails(s, HDR "2021,a,employee,\"10,00\",1\n",
                "t.csv:2:17: financing: '10,00' has misplaced thousands separators");
    parse_fails(s, HDR "2021,a,employee,\",100\",1\n", "misplaced thousands separators");
    parse_fails(s, HDR "2021,a,employee,\"1000,000\",1\n", "misplaced thousands separators");
    parse_fails(s, HDR "2021,a,employee,\"1,000.5,0\",1\n", "misplaced thousands separators");
    parse_fails(s, HDR "2021,a,employee,\"-1,000\",1\n", "-1,000 is negative");
    fx.counties[1].name = "荷塘区";
    parse_fails(s, HDR "2021,荷塘区,employee,1,1\n",
                "t.csv:2:6: county: '荷塘区' is the name of more than one county");
}

/* Settle the rows of `flows` whose year is in [y0, y1], opening from the
 * CSV text `prev` (NULL: the scenario's values); the CSV text (caller
 * frees), NULL on failure with the messages in *diag. */
static char *settle_years(const poolsim_scenario *s, const char *flows, int y0, int y1,
                          const char *prev, char **diag)
{
    /* keep the header and the rows of the years */
    size_t n = strlen(flows);
    char *sub = malloc(n + 1), *out = NULL;
    const char *p = flows;
    size_t k = 0;
    for (int first = 1; *p; first = 0) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) + 1 : strlen(p);
        int y = atoi(p);
        if (first || (y >= y0 && y <= y1)) {
            memcpy(sub + k, p, len);
            k += len;
        }
        p += len;
    }
    sub[k] = '\0';
    memout m;
    mem_open(&m);
    poolsim_flows fl;
    poolsim_settle_opening op = {0};
    int st = POOLSIM_OK;
    char path[] = "/tmp/poolsim-opening-XXXXXX";
    if (prev) {
        int fd = mkstemp(path);
        FILE *f = fdopen(fd, "w");
        fputs(prev, f);
        fclose(f);
        st = poolsim_settle_opening_read(s, path, NULL, m.f, &op);
        unlink(path);
    }
    if (st == POOLSIM_OK && poolsim_settle_parse(s, "t.csv", sub, k, m.f, &fl) == POOLSIM_OK) {
        poolsim_settlement res;
        if (poolsim_settle_compute_from(s, &fl, prev ? &op : NULL, m.f, &res) == POOLSIM_OK) {
            memout o;
            mem_open(&o);
            poolsim_settle_write_csv(s, &res, o.f);
            out = mem_close(&o);
            poolsim_settle_free(&res);
        }
        poolsim_settle_flows_free(&fl);
    }
    poolsim_settle_opening_free(&op);
    *diag = mem_close(&m);
    free(sub);
    return out;
}

/* A settlement split into single years, each opened from the previous
 * one's CSV, is the one-run CSV to the byte (balances and reserves are
 * carried at the fen, as written). */
static void test_opening(void)
{
    fixture fx;
    fixture_init(&fx);
    char *flows = poolsim_output_read_file("tests/data/settle_small_flows.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(flows);
    char *d0, *d1, *d2, *d3;
    /* interest on balances and reserves that make sub-fen amounts every
     * year: 200 variants, each split must give the one-run CSV */
    int same = 0;
    for (int v = 0; v < 200; v++) {
        fx.s.balance_interest = 0.01 + 0.000173 * v;
        fx.lines[0].reserve.interest = poolsim_param_const(0.02 + 0.000131 * v);
        char *a = settle_years(&fx.s, flows, 2021, 2023, NULL, &d0);
        char *p1 = settle_years(&fx.s, flows, 2021, 2021, NULL, &d1);
        char *p2 = p1 ? settle_years(&fx.s, flows, 2022, 2022, p1, &d2) : NULL;
        char *p3 = p2 ? settle_years(&fx.s, flows, 2023, 2023, p2, &d3) : NULL;
        if (a && p3) {
            char *cat = malloc(strlen(p1) + strlen(p2) + strlen(p3) + 1);
            strcpy(cat, p1);
            strcat(cat, strchr(p2, '\n') + 1);
            strcat(cat, strchr(p3, '\n') + 1);
            same += strcmp(cat, a) == 0;
            free(cat);
        }
        free(a), free(p1), free(p2), free(p3);
        free(d0), free(d1);
        if (p1) free(d2);
        if (p2) free(d3);
    }
    CU_ASSERT_EQUAL(same, 200);
    fixture_init(&fx);
    fx.s.balance_interest = 0.0137;
    char *all = settle_years(&fx.s, flows, 2021, 2023, NULL, &d0);
    char *y1 = settle_years(&fx.s, flows, 2021, 2021, NULL, &d1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y1);
    char *y2 = settle_years(&fx.s, flows, 2022, 2022, y1, &d2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y2);
    char *y3 = settle_years(&fx.s, flows, 2023, 2023, y2, &d3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y3);
    /* the concatenation, each without its header */
    size_t n = strlen(y1) + strlen(y2) + strlen(y3) + 1;
    char *cat = malloc(n);
    strcpy(cat, y1);
    strcat(cat, strchr(y2, '\n') + 1);
    strcat(cat, strchr(y3, '\n') + 1);
    CU_ASSERT_STRING_EQUAL(cat, all);
    /* and the split really carries values: 2022 opened from the scenario
     * instead differs */
    char *d4;
    char *y2s = settle_years(&fx.s, flows, 2022, 2022, NULL, &d4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y2s);
    CU_ASSERT(strcmp(y2s, y2) != 0);
    free(d4);
    free(y2s);

    /* errors: the wrong year, a missing county, an inconsistent reserve */
    char *bad;
    CU_ASSERT_PTR_NULL(settle_years(&fx.s, flows, 2023, 2023, y1, &bad));
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "line employee starts in 2023, but the opening "
                                       "settlement ends in 2021 (expected flows of the next "
                                       "year, 2022)"));
    free(bad);
    char *cut = strdup(y1);
    char *row = strstr(cut, "2021,c,resident");
    *strchr(row, '\n') = '\0';
    memmove(row, row + strlen(row) + 1, strlen(row + strlen(row) + 1) + 1);
    CU_ASSERT_PTR_NULL(settle_years(&fx.s, flows, 2022, 2022, cut, &bad));
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, ":2:1: county: no row for county 'c', line resident in "
                                       "2021, the last year"));
    free(bad);
    free(cut);
    char *res = strdup(y1);
    row = strstr(res, "2021,b,employee");
    char *last = strrchr(strtok(row, "\n"), ',');
    last[1] = '7'; /* reserve_end on b's row no longer that of a and c */
    row[strlen(row)] = '\n';
    CU_ASSERT_PTR_NULL(settle_years(&fx.s, flows, 2022, 2022, res, &bad));
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "reserve_end: 7"));
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, "differs from the line's reserve_end"));
    free(bad);
    free(res);
    CU_ASSERT_PTR_NULL(
        settle_years(&fx.s, flows, 2022, 2022, "year,county,line\n2021,a,x\n", &bad));
    CU_ASSERT_PTR_NOT_NULL(strstr(bad, ":1:1: header: column 'financing' is missing"));
    free(bad);
    free(cat);
    free(d0), free(d1), free(d2), free(d3);
    free(all), free(y1), free(y2), free(y3);
    free(flows);
}

static void test_read_missing_file(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_flows fl;
    memout m;
    mem_open(&m);
    CU_ASSERT_EQUAL(poolsim_settle_read(&fx.s, "/nonexistent/flows.csv", m.f, &fl), POOLSIM_EIO);
    char *d = mem_close(&m);
    CU_ASSERT_STRING_EQUAL(d, "poolsim: cannot read /nonexistent/flows.csv: No such file or "
                              "directory\n");
    free(d);
}

/* ---- settlement ------------------------------------------------------------ */

static int settle_text(const poolsim_scenario *s, const char *text, poolsim_settlement *st)
{
    poolsim_flows fl;
    char *diag;
    int rc = parse(s, text, &diag, &fl);
    if (rc != POOLSIM_OK) {
        fprintf(stderr, "%s", diag);
        free(diag);
        return rc;
    }
    free(diag);
    memout m;
    mem_open(&m);
    rc = poolsim_settle_compute(s, &fl, m.f, st);
    diag = mem_close(&m);
    if (rc != POOLSIM_OK) fprintf(stderr, "%s", diag);
    free(diag);
    poolsim_settle_flows_free(&fl);
    return rc;
}

/* tests/data/settle_small_flows.csv settled on the fixture (fatal
 * assertions on failure). */
static void settle_small_flows(const fixture *fx, poolsim_settlement *st)
{
    char *text = poolsim_output_read_file("tests/data/settle_small_flows.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    CU_ASSERT_EQUAL_FATAL(settle_text(&fx->s, text, st), POOLSIM_OK);
    free(text);
}

static const poolsim_settle_row *find(const poolsim_settlement *st, int year, int county, int line)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->rows[i].year == year && st->rows[i].county == county && st->rows[i].line == line)
            return &st->rows[i];
    return NULL;
}

/* The golden example by hand (tests/data/settle_small_flows.csv). Its
 * expected output tests/golden/settle_small.csv was written from this
 * arithmetic, every figure checked by hand (and cross-checked with an
 * exact-fraction re-implementation), never copied from the program.
 *
 * employee (R0 11296, interest 6.25%, cap 30% stop):
 *   2021  R = 11296 * 1.0625 = 12002 >= cap 0.3 * 40000 = 12000: no levy.
 *         a: D = 10000 - 9500 = 500, S = 1000 + 500 = 1500.
 *         b: D = 20000 - 25000 = -5000, own balance 2000 used, G = 3000,
 *            q = 0.15 -> bracket 2, r = 0.7 * 3000 = 2100, g = 900.
 *         c: D = 0, S = 500.   R = 12002 - 2100 = 9902.
 *   2022  R = 9902 * 1.0625 = 10520.875 < cap 0.3 * 42000 = 12600: levy on
 *         2021 financing 1000, 2000, 1000 (a's 2022 financing is 12000, not
 *         the basis); R = 14520.875. a: D = 12000 - 1000 - 10000 = 1000,
 *         S = 2500. b: D = 0. c: D = 10000 - 1000 - 9900 = -900, used 500,
 *         G = 400, q = 0.04, bracket 1, r = 400. R = 14120.875, booked at
 *         the fen (half away from zero) as 14120.88.
 *   2023  R = 14120.88 * 1.0625 = 15003.435 >= 12600: no levy;
 *         b: D = 1000, S = 1000. R = 15003.435, booked as 15003.44.
 * (6.25% interest keeps the other figures exactly representable in binary,
 * so the golden file can be compared byte for byte.)
 * resident (R0 1000, interest 0, uncovered city):
 *   2021  cap 0.3 * 20000 = 6000 > 1000: levy on prior_financing for a
 *         (4000 -> 400) and c (6000 -> 600), on its own financing for b
 *         (8000 -> 800); R = 2800.
 *         a: D = 5000 - 400 - 7100 = -2500, G = 2500, q = 0.5, bracket 3,
 *            r = 750, g = 1750.
 *         b: D = 8000 - 800 - 9000 = -1800, used 300, G = 1500, q = 0.1875,
 *            bracket 2, r = 1050, g = 450.
 *         c: D = 7000 - 600 - 7200 = -800, used 100, G = 700, q = 0.1,
 *            bracket 1, r = 700.        sum r = 2500, R = 300.
 *   2022  levy on 2021 financing 500 + 800 + 700; R = 2300.
 *         a: D = 5000 - 500 - 7000 = -2500, G 2500, bracket 3, r = 750.
 *         b: D = 8000 - 800 - 9200 = -2000, G 2000, q 0.25, bracket 2, r = 1400.
 *         c: D = 7000 - 700 - 9800 = -3500, G 3500, q 0.5, bracket 3, r = 1050.
 *         sum r = 3200 > 2300: exhaustion, each paid r * 2300/3200 = r * 23/32:
 *         a 539.0625 (miss 210.9375), b 1006.25 (393.75), c 754.6875
 *         (295.3125); county share g = 1750, 600, 2450; the city pays the
 *         misses. R = 0.
 *   2023  levy on 2022 financing (500, 800, 700; b's own 2023 financing is
 *         9000); R = 2000; a: D = 6000 - 500 - 5000 = 500; b: D = 200; c: 0. */
static void test_settle_small(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_settlement st;
    settle_small_flows(&fx, &st);
    CU_ASSERT_EQUAL_FATAL(st.n, 18);

    /* sorted by year, county, line */
    for (size_t i = 1; i < st.n; i++) {
        const poolsim_settle_row *p = &st.rows[i - 1], *q = &st.rows[i];
        CU_ASSERT(p->year < q->year ||
                  (p->year == q->year &&
                   (p->county < q->county || (p->county == q->county && p->line < q->line))));
    }
    const poolsim_settle_row *r;
    /* employee 2021: levy stopped; b in bracket 2 */
    r = find(&st, 2021, 1, 0);
    EQ(r->fig.levy, 0);
    EQ(r->fig.balance_used, 2000);
    EQ(r->fig.shortfall, 3000);
    EQ(r->fig.shortfall_ratio, 0.15);
    CU_ASSERT_EQUAL(r->fig.bracket, 2);
    EQ(r->fig.reserve_paid, 2100);
    EQ(r->fig.county_share, 900);
    EQ(r->reserve_end, 9902);
    CU_ASSERT_EQUAL(r->exhausted, 0);
    /* employee 2022: levy on last year's financing, not this year's */
    r = find(&st, 2022, 0, 0);
    EQ(r->fig.levy_basis, 10000);
    EQ(r->fig.levy, 1000);
    EQ(r->fig.balance_end, 2500);
    EQ(r->reserve_end, 14120.88);
    r = find(&st, 2022, 2, 0);
    EQ(r->fig.shortfall, 400);
    CU_ASSERT_EQUAL(r->fig.bracket, 1);
    /* employee 2023: stopped again (R = 15003.435 >= 12600) */
    r = find(&st, 2023, 1, 0);
    EQ(r->fig.levy, 0);
    EQ(r->fig.balance_end, 1000);
    EQ(r->reserve_end, 15003.44);
    /* resident 2021: basis prior_financing (a, c) or own financing (b) */
    EQ(find(&st, 2021, 0, 1)->fig.levy_basis, 4000);
    EQ(find(&st, 2021, 1, 1)->fig.levy_basis, 8000);
    EQ(find(&st, 2021, 2, 1)->fig.levy_basis, 6000);
    EQ(find(&st, 2021, 0, 1)->fig.levy, 400);
    EQ(find(&st, 2021, 2, 1)->reserve_end, 300);
    /* resident 2022: the exhaustion year, city pays the misses */
    const double paid[3] = {539.0625, 1006.25, 754.6875};
    const double miss[3] = {210.9375, 393.75, 295.3125};
    const double gov[3] = {1750, 600, 2450};
    for (int c = 0; c < 3; c++) {
        r = find(&st, 2022, c, 1);
        CU_ASSERT_EQUAL(r->exhausted, 1);
        EQ(r->fig.reserve_paid, paid[c]);
        EQ(r->fig.miss, miss[c]);
        EQ(r->fig.county_share, gov[c]);
        EQ(r->fig.city_share, miss[c]);
        EQ(r->fig.reserve_paid + r->fig.county_share + r->fig.city_share, r->fig.shortfall);
        EQ(r->reserve_end, 0);
    }
    /* resident 2023: b's basis is its 2022 financing 8000, not 9000 */
    r = find(&st, 2023, 1, 1);
    EQ(r->fig.levy_basis, 8000);
    EQ(r->fig.levy, 800);
    EQ(r->fig.balance_end, 200);
    EQ(r->reserve_end, 2000);

    /* The CSV, byte for byte, against the golden file. */
    memout m;
    mem_open(&m);
    CU_ASSERT_EQUAL(poolsim_settle_write_csv(&fx.s, &st, m.f), POOLSIM_OK);
    char *csv = mem_close(&m);
    char *golden = poolsim_output_read_file("tests/golden/settle_small.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(golden);
    CU_ASSERT_STRING_EQUAL(csv, golden);
    free(csv);
    free(golden);
    poolsim_settle_free(&st);
}

/* Levy basis fallbacks, a gap in the years, balance interest, top_up and
 * marginal sharing. One line (employee), counties a (prior 900), b (no
 * prior), c (no prior); levy 10%, cap_mode top_up with cap 30%; reserve
 * interest 10%, balance interest 5%; marginal sharing; R0 = 100;
 * balances a 200, b 0, c 0. Years 2021, 2022, 2024 (no 2023).
 *
 * 2021  R = 110; S = 210, 0, 0.  F = 1000, 2000, 1000, Ftot 4000, cap 1200.
 *       basis: a prior 900 -> 90; b own 2000 -> 200; c own 1000 -> 100;
 *       due 390 <= room 1200 - 110 = 1090: all paid; R = 500.
 *       E = 800, 1500, 1300:
 *       a: D = 1000 - 90 - 800 = 110, S = 320.
 *       b: D = 2000 - 200 - 1500 = 300, S = 300.
 *       c: D = 1000 - 100 - 1300 = -400, G = 400, q 0.4, bracket 3;
 *          marginal r = 1.0*100 + 0.7*200 + 0.3*100 = 270; R = 230.
 * 2022  R = 253; S = 336, 315, 0. F = 1000, 2000, 1000, cap 1200.
 *       basis = 2021 financing: due 100 + 200 + 100 = 400 <= room
 *       1200 - 253 = 947, all paid; R = 653.
 *       E = 900, 1800, 900: D = 0, 0, 0. S unchanged. R = 653.
 * 2024  (one settled year after 2022: interest once) R = 718.3;
 *       S = 352.8, 330.75, 0. F = 1000, 2000, 1000, cap 1200,
 *       room 1200 - 718.3 = 481.7.
 *       basis: no 2023 row and 2024 is not the first settled year, so
 *       prior_financing (the year before the first) does not apply: each
 *       county's own 2024 financing -> 100, 200, 100; due 400 <= 481.7:
 *       paid; R = 1118.3. E = 900, 1800, 900: D = 0, 0, 0. */
static void test_settle_basis_gap(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_line *ln = &fx.lines[0];
    ln->reserve.cap_mode = POOLSIM_CAP_TOP_UP;
    ln->reserve.interest = poolsim_param_const(0.10);
    ln->reserve.initial = poolsim_param_const(100);
    fx.s.balance_interest = 0.05;
    fx.s.sharing.mode = POOLSIM_SHARING_MARGINAL;
    fx.prior[0][0] = 900, fx.has_prior[0][0] = 1;
    fx.balance[0][0] = 200, fx.balance[1][0] = 0, fx.balance[2][0] = 0;

    poolsim_settlement st;
    CU_ASSERT_EQUAL_FATAL(settle_text(&fx.s,
                                      HDR "2024,a,employee,1000,900\n"
                                          "2024,b,employee,2000,1800\n"
                                          "2024,c,employee,1000,900\n"
                                          "2021,a,employee,1000,800\n"
                                          "2021,b,employee,2000,1500\n"
                                          "2021,c,employee,1000,1300\n"
                                          "2022,a,employee,1000,900\n"
                                          "2022,b,employee,2000,1800\n"
                                          "2022,c,employee,1000,900\n",
                                      &st),
                          POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(st.n, 9);
    const poolsim_settle_row *r;
    r = find(&st, 2021, 0, 0);
    EQ(r->fig.levy_basis, 900);
    EQ(r->fig.levy, 90);
    EQ(r->fig.balance_end, 320);
    r = find(&st, 2021, 1, 0);
    EQ(r->fig.levy_basis, 2000);
    EQ(r->fig.balance_end, 300);
    r = find(&st, 2021, 2, 0);
    EQ(r->fig.shortfall, 400);
    CU_ASSERT_EQUAL(r->fig.bracket, 3);
    EQ(r->fig.reserve_paid, 270);
    EQ(r->fig.county_share, 130);
    EQ(r->reserve_end, 230);
    r = find(&st, 2022, 0, 0);
    EQ(r->fig.levy_basis, 1000);
    EQ(r->fig.balance_end, 336);
    EQ(r->reserve_end, 653);
    r = find(&st, 2022, 1, 0);
    EQ(r->fig.balance_end, 315);
    r = find(&st, 2024, 0, 0);
    EQ(r->fig.levy_basis, 1000);
    EQ(r->fig.levy, 100);
    EQ(r->fig.balance_end, 352.8);
    r = find(&st, 2024, 1, 0);
    EQ(r->fig.levy_basis, 2000);
    EQ(r->fig.balance_end, 330.75);
    EQ(r->reserve_end, 1118.3);
    poolsim_settle_free(&st);

    /* top_up filling part of the cap: R0 = 1000 -> 1100 after interest,
     * room 1200 - 1100 = 100 < due 90 + 200 + 100 = 390: the 100 is shared
     * 90:200:100 -> 23.0769..., 51.2820..., 25.6410... (= 100 * 90/390 ...);
     * R = 1200. E = 0: no shortfall. */
    ln->reserve.initial = poolsim_param_const(1000);
    CU_ASSERT_EQUAL_FATAL(settle_text(&fx.s,
                                      HDR "2021,a,employee,1000,0\n"
                                          "2021,b,employee,2000,0\n"
                                          "2021,c,employee,1000,0\n",
                                      &st),
                          POOLSIM_OK);
    EQ(find(&st, 2021, 0, 0)->fig.levy, 100.0 * 90 / 390);
    EQ(find(&st, 2021, 1, 0)->fig.levy, 100.0 * 200 / 390);
    EQ(find(&st, 2021, 2, 0)->fig.levy, 100.0 * 100 / 390);
    EQ(find(&st, 2021, 2, 0)->reserve_end, 1200);
    poolsim_settle_free(&st);
}

/* Zero financing with a shortfall: shortfall_ratio inf (an empty CSV field), the last bracket,
 * printed as inf. Employee 2021: R = 12002 >= cap 0.3 * 2000 = 600, no
 * levy. c: F = 0, E = 800, own balance 500 used, G = 300, q = inf,
 * bracket 4, r = 0, county pays 300. */
static void test_settle_zero_financing(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_settlement st;
    CU_ASSERT_EQUAL_FATAL(settle_text(&fx.s,
                                      HDR "2021,a,employee,1000,1000\n"
                                          "2021,b,employee,1000,1000\n"
                                          "2021,c,employee,0,800\n",
                                      &st),
                          POOLSIM_OK);
    const poolsim_settle_row *r = find(&st, 2021, 2, 0);
    CU_ASSERT(isinf(r->fig.shortfall_ratio));
    CU_ASSERT_EQUAL(r->fig.bracket, 4);
    EQ(r->fig.shortfall, 300);
    EQ(r->fig.county_share, 300);
    memout m;
    mem_open(&m);
    poolsim_settle_write_csv(&fx.s, &st, m.f);
    char *csv = mem_close(&m);
    CU_ASSERT_PTR_NOT_NULL(
        strstr(csv, "\n2021,c,employee,0,0,800,-800,500,300,,4,0,300,0,0,0,12002\n"));
    free(csv);
    poolsim_settle_free(&st);
}

/* Amounts whose sum overflows: a message naming the line and year. */
static void test_settle_overflow(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_flows fl;
    char *diag;
    CU_ASSERT_EQUAL_FATAL(parse(&fx.s,
                                HDR "2021,a,employee,1e308,0\n2021,b,employee,1e308,0\n"
                                    "2021,c,employee,0,0\n",
                                &diag, &fl),
                          POOLSIM_OK);
    free(diag);
    memout m;
    mem_open(&m);
    poolsim_settlement st;
    CU_ASSERT_EQUAL(poolsim_settle_compute(&fx.s, &fl, m.f, &st), POOLSIM_ENUM);
    diag = mem_close(&m);
    CU_ASSERT_PTR_NOT_NULL(strstr(diag, "line employee, year 2021"));
    CU_ASSERT_PTR_NULL(st.rows);
    free(diag);
    poolsim_settle_flows_free(&fl);
}

/* ---- table --------------------------------------------------------------- */

/* Every line of each block (header and counties) has the same display
 * width, so the columns line up whatever the county names. */
static void check_aligned(const char *table)
{
    char *copy = strdup(table);
    size_t width = 0;
    int in_block = 0;
    for (char *save = NULL, *ln = strtok_r(copy, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        if (strncmp(ln, "county", 6) == 0 || strncmp(ln, "县（区）", strlen("县（区）")) == 0) {
            width = poolsim_text_width(ln);
            in_block = 1;
        } else if (strncmp(ln, "reserve at", 10) == 0 || strncmp(ln, "年末", strlen("年末")) == 0) {
            in_block = 0;
        } else if (in_block) {
            CU_ASSERT_EQUAL(poolsim_text_width(ln), width);
        }
    }
    free(copy);
}

static void test_table(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_settlement st;
    settle_small_flows(&fx, &st);

    memout m;
    mem_open(&m);
    CU_ASSERT_EQUAL(poolsim_settle_print_table(&fx.s, &st, m.f), POOLSIM_OK);
    char *t = mem_close(&m);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "money in thousands of yuan"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "2022  Resident insurance (resident)\n"));
    /* resident 2022, a: 5000 yuan = 5.00 thousand; reserve share 539.0625 -> 0.54 */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "荷塘区"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "0.54"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "reserve at year end: 0.00; exhaustion year: yes"));
    /* employee 2023: 15003.44 yuan = 15.00 thousand */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "reserve at year end: 15.00; exhaustion year: no"));
    check_aligned(t);
    free(t);

    fx.s.lang = "zh";
    mem_open(&m);
    CU_ASSERT_EQUAL(poolsim_settle_print_table(&fx.s, &st, m.f), POOLSIM_OK);
    t = mem_close(&m);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "金额单位：万元"));
    /* employee 2023, reserve 15003.44 yuan = 1.50 万元 */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "年末风险储备金：1.50；储备金耗尽年：否"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "储备金耗尽年：是"));
    check_aligned(t);
    free(t);
    poolsim_settle_free(&st);
}

/* ---- writing files ------------------------------------------------------- */

static void test_write_file(void)
{
    fixture fx;
    fixture_init(&fx);
    poolsim_settlement st;
    settle_small_flows(&fx, &st);
    char dir[300];
    testutil_scratch_dir(dir, sizeof dir, "settle-test");
    char path[600];

    /* success: the golden content, no temporary file left */
    snprintf(path, sizeof path, "%s/out.csv", dir);
    memout m;
    testutil_stderr_begin();
    CU_ASSERT_EQUAL(poolsim_settle_write_file(&fx.s, &st, path), POOLSIM_OK);
    char *d = testutil_stderr_end();
    CU_ASSERT_STRING_EQUAL(d, "");
    free(d);
    char *got = poolsim_output_read_file(path, NULL);
    char *golden = poolsim_output_read_file("tests/golden/settle_small.csv", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_PTR_NOT_NULL_FATAL(golden);
    CU_ASSERT_STRING_EQUAL(got, golden);
    free(got);
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 1);
    unlink(path);

    /* missing folder: message with path and reason */
    snprintf(path, sizeof path, "%s/no/such/out.csv", dir);
    testutil_stderr_begin();
    CU_ASSERT_EQUAL(poolsim_settle_write_file(&fx.s, &st, path), POOLSIM_EIO);
    d = testutil_stderr_end();
    char want[700];
    snprintf(want, sizeof want, "poolsim: cannot write %s: No such file or directory\n", path);
    CU_ASSERT_STRING_EQUAL(d, want);
    free(d);

    /* a write that fails half way (file size limit, like a full disk):
     * EIO, and neither the final nor the temporary file exists */
    snprintf(path, sizeof path, "%s/big.csv", dir);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 200; /* bytes: the header alone is 160 */
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_FSIZE, &lim), 0);
    testutil_stderr_begin();
    int rc = poolsim_settle_write_file(&fx.s, &st, path);
    setrlimit(RLIMIT_FSIZE, &old);
    d = testutil_stderr_end();
    signal(SIGXFSZ, oldsig);
    CU_ASSERT_EQUAL(rc, POOLSIM_EIO);
    snprintf(want, sizeof want, "poolsim: cannot write %s: writing: File too large\n", path);
    CU_ASSERT_STRING_EQUAL(d, want);
    free(d);
    CU_ASSERT_EQUAL(access(path, F_OK), -1);
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 0);

    /* the whole command: bad flows -> EINPUT, nothing written */
    char flows[600], out[600];
    snprintf(flows, sizeof flows, "%s/flows.csv", dir);
    snprintf(out, sizeof out, "%s/out.csv", dir);
    FILE *f = fopen(flows, "w");
    fputs(HDR "2021,a,employee,1,1\n2021,zz,employee,1,1\n2021,c,employee,1,1\n", f);
    fclose(f);
    mem_open(&m);
    memout term;
    mem_open(&term);
    CU_ASSERT_EQUAL(poolsim_settle_cmd(&fx.s, flows, NULL, out, term.f, m.f), POOLSIM_EINPUT);
    d = mem_close(&m);
    char *tt = mem_close(&term);
    snprintf(want, sizeof want, "%s:3:6: county: unknown county 'zz'", flows);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, want));
    CU_ASSERT_STRING_EQUAL(tt, "");
    CU_ASSERT_EQUAL(access(out, F_OK), -1);
    free(d);
    free(tt);

    /* ... and good flows -> the file and the table */
    f = fopen(flows, "w");
    char *src = poolsim_output_read_file("tests/data/settle_small_flows.csv", NULL);
    fputs(src, f);
    free(src);
    fclose(f);
    mem_open(&m);
    mem_open(&term);
    CU_ASSERT_EQUAL(poolsim_settle_cmd(&fx.s, flows, NULL, out, term.f, m.f), POOLSIM_OK);
    d = mem_close(&m);
    tt = mem_close(&term);
    CU_ASSERT_STRING_EQUAL(d, "");
    CU_ASSERT_PTR_NOT_NULL(strstr(tt, "exhaustion year: yes"));
    got = poolsim_output_read_file(out, NULL);
    CU_ASSERT_PTR_NOT_NULL(got);
    if (got) CU_ASSERT_STRING_EQUAL(got, golden);
    free(got);
    free(d);
    free(tt);
    unlink(out);
    unlink(flows);

    free(golden);
    testutil_rm_tree(dir);
    poolsim_settle_free(&st);
}

void poolsim_test_settle(void)
{
    CU_pSuite s = CU_add_suite("settle", NULL, NULL);
    CU_add_test(s, "number formatting", test_format);
    CU_add_test(s, "display width", test_text_width);
    CU_add_test(s, "flows parsing", test_parse_ok);
    CU_add_test(s, "flows errors", test_parse_errors);
    CU_add_test(s, "unreadable flows file", test_read_missing_file);
    CU_add_test(s, "inputs as Excel writes them", test_excel_inputs);
    CU_add_test(s, "opening from a previous settlement", test_opening);
    CU_add_test(s, "golden example by hand", test_settle_small);
    CU_add_test(s, "levy basis, gaps, interest, top_up, marginal", test_settle_basis_gap);
    CU_add_test(s, "zero financing", test_settle_zero_financing);
    CU_add_test(s, "overflow", test_settle_overflow);
    CU_add_test(s, "readable table", test_table);
    CU_add_test(s, "atomic writing and the command", test_write_file);
}
