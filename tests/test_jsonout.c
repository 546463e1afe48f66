/* Tests of src/jsonout.c: the summary JSON of MODEL.md section 7, parsed
 * back with jansson; exact reals; scenario order; NaN refused; atomic
 * writes. Leaves <build>/test_results.json for tests/cli/h5py_read.sh. */
#include <fcntl.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>
#include <jansson.h>

#include "poolsim/common.h"
#include "poolsim/jsonout.h"
#include "poolsim/results.h"
#include "test_util.h"

/* Swap the first two lines' and counties' ids and names, so that scenario
 * order is not alphabetical. */
static void unsort(poolsim_results *r)
{
    char *t;
    t = r->line_ids[0], r->line_ids[0] = r->line_ids[1], r->line_ids[1] = t;
    t = r->line_names[0], r->line_names[0] = r->line_names[1], r->line_names[1] = t;
    t = r->county_ids[0], r->county_ids[0] = r->county_ids[1], r->county_ids[1] = t;
    t = r->county_names[0], r->county_names[0] = r->county_names[1], r->county_names[1] = t;
}

/* stderr into a file while `fn` runs; returns the text (caller frees). */
static char *captured(void (*fn)(void *), void *arg)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/poolsim_jsonout_err.%ld", (long)getpid());
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(path, "r");
    char *text = calloc(4096, 1);
    if (f && text) {
        size_t n = fread(text, 1, 4095, f);
        text[n] = '\0';
    }
    if (f) fclose(f);
    unlink(path);
    return text;
}

/* Array of n numbers equal bit for bit to x[0..n-1]. */
static int same_array(const json_t *a, const double *x, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(a, i);
        if (!json_is_number(v)) return 0;
        double d = json_number_value(v);
        if (memcmp(&d, &x[i], sizeof d) != 0) return 0;
    }
    return 1;
}

/* Interval array [[lo, hi], ...] */
static int same_pairs(const json_t *a, const double *lo, const double *hi, size_t n)
{
    if (!json_is_array(a) || json_array_size(a) != n) return 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(a, i);
        double pair[2] = {lo[i], hi[i]};
        if (!same_array(p, pair, 2)) return 0;
    }
    return 1;
}

static int same_number(const json_t *v, double x)
{
    return json_is_number(v) && json_number_value(v) == x;
}

/* Keys of object o, in order, are exactly keys[0..n-1]. */
static int keys_in_order(json_t *o, char *const *keys, int n)
{
    if (!json_is_object(o) || (int)json_object_size(o) != n) return 0;
    int i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        (void)v;
        if (i >= n || strcmp(k, keys[i]) != 0) return 0;
        i++;
    }
    return i == n;
}

/* Every contract key of MODEL.md section 7, with values bit for bit. */
static void check_document(json_t *doc, const poolsim_results *r)
{
    const size_t T = (size_t)r->T;
    CU_ASSERT_FATAL(json_is_object(doc));
    CU_ASSERT(json_is_string(json_object_get(doc, "scenario")) &&
              strcmp(json_string_value(json_object_get(doc, "scenario")), r->scenario_name) == 0);
    CU_ASSERT(json_is_integer(json_object_get(doc, "seed")) &&
              (unsigned long long)json_integer_value(json_object_get(doc, "seed")) == r->seed);
    CU_ASSERT(json_is_integer(json_object_get(doc, "paths")) &&
              json_integer_value(json_object_get(doc, "paths")) == r->paths);
    json_t *years = json_object_get(doc, "years");
    CU_ASSERT_FATAL(json_is_array(years) && json_array_size(years) == T);
    for (size_t t = 0; t < T; t++)
        CU_ASSERT(json_is_integer(json_array_get(years, t)) &&
                  json_integer_value(json_array_get(years, t)) == r->years[t]);
    json_t *lines = json_object_get(doc, "lines");
    CU_ASSERT_FATAL(keys_in_order(lines, r->line_ids, r->L));
    for (int l = 0; l < r->L; l++) {
        json_t *j = json_object_get(lines, r->line_ids[l]);
        size_t o = POOLSIM_LT(r, l, 0);
        CU_ASSERT(strcmp(json_string_value(json_object_get(j, "name")), r->line_names[l]) == 0);
        CU_ASSERT(same_array(json_object_get(j, "exhaustion_prob"), r->exhaustion_prob + o, T));
        CU_ASSERT(same_pairs(json_object_get(j, "exhaustion_ci"), r->exhaustion_lo + o,
                             r->exhaustion_hi + o, T));
        CU_ASSERT(
            same_array(json_object_get(j, "exhaustion_year_prob"), r->exhaustion_year_prob + o, T));
        CU_ASSERT(same_array(json_object_get(j, "first_exhaustion_count"),
                             r->first_exhaustion_count + (size_t)l * (T + 1), T + 1));
        CU_ASSERT(same_array(json_object_get(j, "cap_ratio"), r->cap_ratio + o, T));
        const poolsim_distsum *ds[2] = {&r->reserve_balance, &r->reserve_ratio};
        const char *dn[2] = {"reserve_balance", "reserve_ratio"};
        for (int k = 0; k < 2; k++) {
            json_t *d = json_object_get(j, dn[k]);
            CU_ASSERT(same_array(json_object_get(d, "mean"), ds[k]->mean + o, T));
            CU_ASSERT(same_array(json_object_get(d, "se"), ds[k]->se + o, T));
            for (int q = 0; q < POOLSIM_NQ; q++) {
                double buf[64];
                for (size_t t = 0; t < T; t++) buf[t] = ds[k]->q[(o + t) * POOLSIM_NQ + (size_t)q];
                CU_ASSERT(same_array(json_object_get(d, poolsim_quantile_names[q]), buf, T));
            }
        }
        CU_ASSERT(same_array(json_object_get(json_object_get(j, "financing_total"), "mean"),
                             r->financing_total.mean + o, T));
        CU_ASSERT(same_array(json_object_get(json_object_get(j, "expenditure_total"), "se"),
                             r->expenditure_total.se + o, T));
        json_t *cs = json_object_get(j, "counties");
        CU_ASSERT_FATAL(keys_in_order(cs, r->county_ids, r->C));
        for (int c = 0; c < r->C; c++) {
            json_t *k = json_object_get(cs, r->county_ids[c]);
            size_t oc = POOLSIM_LCT(r, l, c, 0), lc = POOLSIM_LC(r, l, c);
            CU_ASSERT(strcmp(json_string_value(json_object_get(k, "name")), r->county_names[c]) ==
                      0);
            CU_ASSERT(same_array(json_object_get(k, "shortfall_prob"), r->shortfall_prob + oc, T));
            CU_ASSERT(same_pairs(json_object_get(k, "shortfall_ci"), r->shortfall_lo + oc,
                                 r->shortfall_hi + oc, T));
            json_t *b = json_object_get(k, "county_burden");
            CU_ASSERT(same_array(json_object_get(b, "mean"), r->county_burden.mean + oc, T));
            CU_ASSERT(same_array(json_object_get(b, "se"), r->county_burden.se + oc, T));
            CU_ASSERT(same_array(json_object_get(b, "p95"), r->county_burden.p95 + oc, T));
            CU_ASSERT(same_array(json_object_get(b, "p99"), r->county_burden.p99 + oc, T));
            CU_ASSERT(same_array(json_object_get(b, "cvar95"), r->county_burden.cvar95 + oc, T));
            json_t *bt = json_object_get(k, "county_burden_total");
            CU_ASSERT(same_number(json_object_get(bt, "mean"), r->county_burden_total.mean[lc]));
            CU_ASSERT(same_number(json_object_get(bt, "se"), r->county_burden_total.se[lc]));
            CU_ASSERT(same_number(json_object_get(bt, "p95"), r->county_burden_total.p95[lc]));
            CU_ASSERT(same_number(json_object_get(bt, "p99"), r->county_burden_total.p99[lc]));
            CU_ASSERT(
                same_number(json_object_get(bt, "cvar95"), r->county_burden_total.cvar95[lc]));
            const char *mn[6] = {"reserve_paid", "levy",        "city_uncovered",
                                 "financing",    "expenditure", "balance"};
            const poolsim_mean_se *ms[6] = {&r->reserve_paid, &r->levy,        &r->city_uncovered,
                                            &r->financing,    &r->expenditure, &r->balance};
            for (int m = 0; m < 6; m++) {
                json_t *x = json_object_get(k, mn[m]);
                CU_ASSERT(same_array(json_object_get(x, "mean"), ms[m]->mean + oc, T));
                CU_ASSERT(same_array(json_object_get(x, "se"), ms[m]->se + oc, T));
            }
        }
    }
}

static void test_contract(void)
{
    poolsim_results *r = testutil_results(3, 2, 2);
    unsort(r);
    char *s = poolsim_jsonout_text(r);
    CU_ASSERT_FATAL(s != NULL);
    json_error_t err;
    json_t *doc = json_loads(s, 0, &err);
    if (!doc) printf("\n  parse error line %d: %s\n", err.line, err.text);
    CU_ASSERT_FATAL(doc != NULL);
    check_document(doc, r);
    /* the contract keys, in the order of MODEL.md section 7 */
    CU_ASSERT(strstr(s, "{\n  \"scenario\": \"株洲市测试情景\",\n  \"seed\": 20200518,\n"
                        "  \"paths\": 10000,\n  \"years\": [2021, 2022, 2023],\n  \"lines\": {\n"
                        "    \"resident\": {") == s);
    json_decref(doc);
    free(s);
    poolsim_results_free(r);
}

static void test_larger(void)
{
    poolsim_results *r = testutil_results(12, 3, 9);
    char *s = poolsim_jsonout_text(r);
    CU_ASSERT_FATAL(s != NULL);
    json_t *doc = json_loads(s, 0, NULL);
    CU_ASSERT_FATAL(doc != NULL);
    check_document(doc, r);
    json_decref(doc);
    free(s);
    poolsim_results_free(r);
}

/* Reals print in their shortest exact form; strings are escaped. */
static void test_numbers_and_strings(void)
{
    poolsim_results *r = testutil_results(3, 2, 2);
    r->cap_ratio[0] = 0.1, r->cap_ratio[1] = 1.0 / 3.0, r->cap_ratio[2] = 2e9;
    volatile double a = 0.1, b = 0.2;
    r->cap_ratio[POOLSIM_LT(r, 1, 0)] = a + b;
    r->levy.mean[0] = -0.0;
    r->levy.mean[1] = 1e-300;
    r->levy.mean[2] = DBL_MAX;
    free(r->scenario_name);
    r->scenario_name = strdup("quote \" backslash \\ newline \n tab \t bell \a 株洲");
    char *s = poolsim_jsonout_text(r);
    CU_ASSERT_FATAL(s != NULL);
    /* 0.1 -> "0.1" (%.15g), 1/3 -> 16 digits, 2e9 stays real (Python's repr
     * gives the same digits); 0.1 + 0.2 and DBL_MAX need 17 digits */
    CU_ASSERT(strstr(s, "\"cap_ratio\": [0.1, 0.3333333333333333, 2000000000.0]") != NULL);
    CU_ASSERT(strstr(s, "\"cap_ratio\": [0.30000000000000004, 0.31, 0.31]") != NULL);
    CU_ASSERT(strstr(s, "\"mean\": [-0.0, 1e-300, 1.7976931348623157e+308]") != NULL);
    CU_ASSERT(strstr(s, "\\\" backslash \\\\ newline \\n tab \\t bell \\u0007 株洲") != NULL);
    json_t *doc = json_loads(s, 0, NULL);
    CU_ASSERT_FATAL(doc != NULL);
    check_document(doc, r); /* includes -0.0, 1e-300 and the largest double, bit for bit */
    json_decref(doc);
    free(s);
    /* seeds above the signed 64-bit range are printed exactly */
    r->seed = 18446744073709551615ULL;
    s = poolsim_jsonout_text(r);
    CU_ASSERT(s && strstr(s, "\"seed\": 18446744073709551615,\n"));
    free(s);
    poolsim_results_free(r);
}

static void text_nan(void *arg)
{
    char **out = arg;
    poolsim_results *r = poolsim_results_alloc(3, 2, 2);
    poolsim_results_fill_test(r);
    r->county_burden_total.cvar95[POOLSIM_LC(r, 1, 0)] = NAN;
    out[0] = poolsim_jsonout_text(r);
    r->county_burden_total.cvar95[POOLSIM_LC(r, 1, 0)] = 1;
    r->exhaustion_hi[POOLSIM_LT(r, 0, 2)] = -INFINITY;
    out[1] = (char *)(intptr_t)poolsim_jsonout_write(r, out[2]);
    poolsim_results_free(r);
}

static void test_nonfinite_refused(void)
{
    char dir[300], path[400];
    testutil_scratch_dir(dir, sizeof dir, "jsontest");
    snprintf(path, sizeof path, "%s/nan.json", dir);
    char *out[3] = {NULL, NULL, path};
    char *msg = captured(text_nan, out);
    CU_ASSERT(out[0] == NULL);
    CU_ASSERT((int)(intptr_t)out[1] == POOLSIM_ENUM);
    CU_ASSERT(
        msg &&
        strstr(msg, "county_burden_total.cvar95 is NaN for line 'resident', county 'hetang'"));
    CU_ASSERT(msg && strstr(msg, path) &&
              strstr(msg, "exhaustion_hi is infinite for line 'employee', year 2023"));
    CU_ASSERT(testutil_count_entries(dir) == 0);
    free(msg);
    rmdir(dir);
}

static void text_bad_utf8(void *arg)
{
    char **out = arg;
    poolsim_results *r = poolsim_results_alloc(3, 2, 2);
    poolsim_results_fill_test(r);
    free(r->county_names[1]);
    r->county_names[1] = strdup("\xff\xfe");
    *out = poolsim_jsonout_text(r);
    poolsim_results_free(r);
}

static void test_bad_utf8(void)
{
    char *s = (char *)1;
    char *msg = captured(text_bad_utf8, &s);
    CU_ASSERT(s == NULL);
    CU_ASSERT(msg && strstr(msg, "not valid UTF-8"));
    free(msg);
}

static void test_write(void)
{
    char dir[300], path[400], keep[400];
    testutil_build_dir(dir, sizeof dir);
    snprintf(keep, sizeof keep, "%s/test_results.json", dir);
    testutil_scratch_dir(dir, sizeof dir, "jsontest");
    snprintf(path, sizeof path, "%s/run.json", dir);
    poolsim_results *r = testutil_results(3, 2, 2);
    CU_ASSERT(poolsim_results_check_writable(path) == POOLSIM_OK);
    CU_ASSERT(testutil_count_entries(dir) == 0);
    CU_ASSERT_FATAL(poolsim_jsonout_write(r, path) == POOLSIM_OK);
    CU_ASSERT(testutil_count_entries(dir) == 1); /* no temporary file left */
    char *s = poolsim_jsonout_text(r);
    FILE *f = fopen(path, "rb");
    CU_ASSERT_FATAL(s && f);
    size_t n = strlen(s);
    char *got = calloc(n + 2, 1);
    CU_ASSERT_FATAL(got != NULL);
    CU_ASSERT(fread(got, 1, n + 1, f) == n && memcmp(got, s, n) == 0);
    fclose(f);
    free(got);
    unlink(path);
    rmdir(dir);
    /* kept for tests/cli/h5py_read.sh (checked with Python's json) */
    CU_ASSERT(poolsim_jsonout_write(r, keep) == POOLSIM_OK);
    /* a missing folder: EIO, message naming the path, nothing created */
    snprintf(path, sizeof path, "%s/run.json", dir);
    CU_ASSERT(poolsim_results_check_writable(path) == POOLSIM_EIO);
    CU_ASSERT(poolsim_jsonout_write(r, path) == POOLSIM_EIO);
    struct stat st;
    CU_ASSERT(stat(dir, &st) != 0);
    free(s);
    poolsim_results_free(r);
}

void poolsim_test_jsonout(void)
{
    CU_pSuite s = CU_add_suite("jsonout", NULL, NULL);
    CU_add_test(s, "MODEL.md section 7 keys, values bit for bit, scenario order", test_contract);
    CU_add_test(s, "12 years, 3 lines, 9 counties", test_larger);
    CU_add_test(s, "shortest exact reals, escaped strings, large seeds", test_numbers_and_strings);
    CU_add_test(s, "NaN and Inf refused with the quantity named", test_nonfinite_refused);
    CU_add_test(s, "names that are not UTF-8 refused", test_bad_utf8);
    CU_add_test(s, "atomic write, missing folder", test_write);
}
