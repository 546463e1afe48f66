/* poolsim: the summary JSON of MODEL.md section 7 (`poolsim run --json`).
 *
 * The keys and nesting of MODEL.md section 7 are a stable contract; extra
 * keys are allowed and added here: `name` on lines and counties, `se`
 * beside every `mean`, `exhaustion_year_prob`, `first_exhaustion_count`
 * (T+1 values, the last one: never exhausted), `cap_ratio`,
 * `financing_total`, `expenditure_total`, `shortfall_ci` and `se` in
 * `county_burden_total`. docs/RESULTS.md lists them. Lines and counties
 * keep scenario order. Nothing run-dependent (time, threads, commit) is
 * written, so identical runs give identical files.
 *
 * The document is built as a jansson tree (insertion order is kept by
 * jansson >= 2.8) and printed by our own printer: each real as the
 * shortest of %.15g, %.16g, %.17g that reads back to the same double (so
 * 0.1 prints as 0.1 and every value round-trips exactly), arrays on one
 * line, object members one per line. JSON has no NaN or Inf: results
 * holding one are refused with the quantity, line, county and year named. */
#include "poolsim/jsonout.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "poolsim/common.h"

/* ---- building the tree ---- */

/* Sticky failure: after the first NULL every helper gives NULL, and
 * json_object_set_new / json_array_append_new free what they are handed. */
static json_t *reals(const double *x, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_real(x[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* Counts (first_exhaustion_count): integers when exactly integral. */
static json_t *counts(const double *x, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *v = (x[i] == floor(x[i]) && fabs(x[i]) < 9007199254740992.0)
                        ? json_integer((json_int_t)x[i])
                        : json_real(x[i]);
        if (json_array_append_new(a, v) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *pairs(const double *lo, const double *hi, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *p = json_pack("[ff]", lo[i], hi[i]);
        if (json_array_append_new(a, p) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

/* Adds key: v to o, consuming v in every case; 0 on failure (o is then
 * freed by the caller). */
static int set(json_t *o, const char *key, json_t *v)
{
    if (!o) {
        json_decref(v);
        return 0;
    }
    return json_object_set_new(o, key, v) == 0;
}

static json_t *mean_se(const poolsim_mean_se *m, size_t off, size_t n)
{
    json_t *o = json_object();
    if (!(set(o, "mean", reals(m->mean + off, n)) && set(o, "se", reals(m->se + off, n)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *distsum(const poolsim_distsum *d, size_t off, size_t T, double *buf)
{
    json_t *o = json_object();
    int ok = set(o, "mean", reals(d->mean + off, T)) && set(o, "se", reals(d->se + off, T));
    for (int k = 0; ok && k < POOLSIM_NQ; k++) {
        for (size_t t = 0; t < T; t++) buf[t] = d->q[(off + t) * POOLSIM_NQ + (size_t)k];
        ok = set(o, poolsim_quantile_names[k], reals(buf, T));
    }
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *tailsum(const poolsim_tailsum *s, size_t off, size_t n)
{
    json_t *o = json_object();
    if (!(set(o, "mean", reals(s->mean + off, n)) && set(o, "se", reals(s->se + off, n)) &&
          set(o, "p95", reals(s->p95 + off, n)) && set(o, "p99", reals(s->p99 + off, n)) &&
          set(o, "cvar95", reals(s->cvar95 + off, n)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *tail_total(const poolsim_tailsum *s, size_t i)
{
    return json_pack("{sfsfsfsfsf}", "mean", s->mean[i], "se", s->se[i], "p95", s->p95[i], "p99",
                     s->p99[i], "cvar95", s->cvar95[i]);
}

static json_t *county(const poolsim_results *r, int l, int c)
{
    const size_t T = (size_t)r->T, o = POOLSIM_LCT(r, l, c, 0);
    json_t *j = json_object();
    int ok =
        set(j, "name", json_string(r->county_names[c])) &&
        set(j, "shortfall_prob", reals(r->shortfall_prob + o, T)) &&
        set(j, "shortfall_ci", pairs(r->shortfall_lo + o, r->shortfall_hi + o, T)) &&
        set(j, "county_burden", tailsum(&r->county_burden, o, T)) &&
        set(j, "county_burden_total", tail_total(&r->county_burden_total, POOLSIM_LC(r, l, c))) &&
        set(j, "reserve_paid", mean_se(&r->reserve_paid, o, T)) &&
        set(j, "levy", mean_se(&r->levy, o, T)) &&
        set(j, "city_uncovered", mean_se(&r->city_uncovered, o, T)) &&
        set(j, "financing", mean_se(&r->financing, o, T)) &&
        set(j, "expenditure", mean_se(&r->expenditure, o, T)) &&
        set(j, "balance", mean_se(&r->balance, o, T));
    if (!ok) {
        json_decref(j);
        return NULL;
    }
    return j;
}

static json_t *line(const poolsim_results *r, int l, double *buf)
{
    const size_t T = (size_t)r->T, o = POOLSIM_LT(r, l, 0);
    json_t *j = json_object(), *cs = json_object();
    int ok = set(j, "name", json_string(r->line_names[l])) &&
             set(j, "exhaustion_prob", reals(r->exhaustion_prob + o, T)) &&
             set(j, "exhaustion_ci", pairs(r->exhaustion_lo + o, r->exhaustion_hi + o, T)) &&
             set(j, "exhaustion_year_prob", reals(r->exhaustion_year_prob + o, T)) &&
             set(j, "first_exhaustion_count",
                 counts(r->first_exhaustion_count + (size_t)l * (T + 1), T + 1)) &&
             set(j, "cap_ratio", reals(r->cap_ratio + o, T)) &&
             set(j, "reserve_balance", distsum(&r->reserve_balance, o, T, buf)) &&
             set(j, "reserve_ratio", distsum(&r->reserve_ratio, o, T, buf)) &&
             set(j, "financing_total", mean_se(&r->financing_total, o, T)) &&
             set(j, "expenditure_total", mean_se(&r->expenditure_total, o, T));
    for (int c = 0; ok && c < r->C; c++) ok = set(cs, r->county_ids[c], county(r, l, c));
    if (ok && set(j, "counties", cs)) return j;
    if (!ok) json_decref(cs);
    json_decref(j);
    return NULL;
}

/* The document; the seed is a raw number node (see print), returned with
 * a reference of its own. */
static json_t *document(const poolsim_results *r, json_t **seed /* OUT */)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", r->seed);
    double *buf = malloc((size_t)r->T * sizeof *buf);
    json_t *doc = json_object(), *years = json_array(), *lines = json_object();
    *seed = json_string(digits);
    int ok = buf && years && lines && *seed;
    for (int t = 0; ok && t < r->T; t++)
        ok = json_array_append_new(years, json_integer(r->years[t])) == 0;
    for (int l = 0; ok && l < r->L; l++) ok = set(lines, r->line_ids[l], line(r, l, buf));
    free(buf);
    json_incref(*seed);
    /* `&`, not `&&`: every set consumes its value, so nothing leaks */
    ok &= set(doc, "scenario", json_string(r->scenario_name ? r->scenario_name : ""));
    ok &= set(doc, "seed", *seed);
    ok &= set(doc, "paths", json_integer(r->paths));
    ok &= set(doc, "years", years);
    ok &= set(doc, "lines", lines);
    if (!ok) {
        json_decref(doc);
        json_decref(*seed);
        *seed = NULL;
        return NULL;
    }
    return doc;
}

/* ---- printing ---- */

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->oom = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void puts_(sbuf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* Shortest of %.15g/%.16g/%.17g that reads back as x (%.17g always
 * does); a ".0" keeps integral values real, as jansson does. */
static void put_real(sbuf *b, double x)
{
    char s[40];
    if (x == 0 && signbit(x)) {
        puts_(b, "-0.0"); /* keep the sign: values read back bit for bit */
        return;
    }
    poolsim_format_double(x, s, sizeof s - 2);
    if (!strpbrk(s, ".eE")) strcat(s, ".0");
    puts_(b, s);
}

/* JSON string with escapes; the text is valid UTF-8 (jansson checked it). */
static void put_string(sbuf *b, const char *s)
{
    put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char e[8];
        switch (*p) {
        case '"': puts_(b, "\\\""); break;
        case '\\': puts_(b, "\\\\"); break;
        case '\n': puts_(b, "\\n"); break;
        case '\r': puts_(b, "\\r"); break;
        case '\t': puts_(b, "\\t"); break;
        default:
            if (*p < 0x20) {
                snprintf(e, sizeof e, "\\u%04x", *p);
                puts_(b, e);
            } else {
                put(b, (const char *)p, 1);
            }
        }
    }
    put(b, "\"", 1);
}

static void indent(sbuf *b, int depth)
{
    static const char spaces[] = "                                ";
    put(b, "\n", 1);
    put(b, spaces,
        (size_t)(2 * depth) < sizeof spaces - 1 ? (size_t)(2 * depth) : sizeof spaces - 1);
}

/* Objects one member per line, arrays on one line. `raw`: a string node
 * printed without quotes (the seed, which may exceed jansson's signed
 * integers). */
static void print(sbuf *b, const json_t *v, int depth, const json_t *raw)
{
    char s[32];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *m;
        size_t i = 0;
        put(b, "{", 1);
        json_object_foreach((json_t *)v, key, m)
        {
            if (i++) put(b, ",", 1);
            indent(b, depth + 1);
            put_string(b, key);
            put(b, ": ", 2);
            print(b, m, depth + 1, raw);
        }
        if (i) indent(b, depth);
        put(b, "}", 1);
        break;
    }
    case JSON_ARRAY:
        put(b, "[", 1);
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i) put(b, ", ", 2);
            print(b, json_array_get(v, i), depth + 1, raw);
        }
        put(b, "]", 1);
        break;
    case JSON_STRING:
        if (v == raw)
            puts_(b, json_string_value(v));
        else
            put_string(b, json_string_value(v));
        break;
    case JSON_INTEGER:
        snprintf(s, sizeof s, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        puts_(b, s);
        break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_TRUE: puts_(b, "true"); break;
    case JSON_FALSE: puts_(b, "false"); break;
    case JSON_NULL: puts_(b, "null"); break;
    }
}

/* Text of the document, or NULL (ENOMEM, or a string that is not UTF-8). */
static char *text(const poolsim_results *r, const char *what_for)
{
    json_t *seed = NULL;
    json_t *doc = document(r, &seed);
    if (!doc) {
        poolsim_error_report(__FILE__, __LINE__,
                             "%s: out of memory, or a name that is not valid UTF-8", what_for);
        return NULL;
    }
    sbuf b = {0};
    print(&b, doc, 0, seed);
    put(&b, "\n", 1);
    json_decref(seed);
    json_decref(doc);
    if (b.oom) {
        free(b.s);
        poolsim_error_report(__FILE__, __LINE__, "%s: out of memory", what_for);
        return NULL;
    }
    return b.s;
}

char *poolsim_jsonout_text(const poolsim_results *r)
{
    const char *what = "cannot build the summary JSON";
    if (poolsim_results_check_finite(r, what) != POOLSIM_OK) return NULL;
    return text(r, what);
}

int poolsim_jsonout_write(const poolsim_results *r, const char *path)
{
    char what[600];
    snprintf(what, sizeof what, "cannot write %s", path);
    int st = poolsim_results_check_finite(r, what);
    if (st != POOLSIM_OK) return st;
    char *s = text(r, what);
    if (!s) return POOLSIM_ENOMEM;
    st = poolsim_results_write_atomic(path, s, strlen(s));
    free(s);
    return st;
}
