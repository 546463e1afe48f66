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

/* n values from x: an array, or a single number when `one` is set;
 * counts (units "paths") as integers. */
static json_t *values(const double *x, size_t n, int one, int count)
{
    if (one) return count ? counts(x, 1) : json_real(x[0]);
    return count ? counts(x, n) : reals(x, n);
}

/* Values [off, off + n) of schema row `row` added to j, as docs/RESULTS.md
 * lays them out by kind (schema.h). buf: n doubles of workspace. */
static int add_row(json_t *j, const poolsim_results *r, int row, size_t off, size_t n, int one,
                   double *buf)
{
    const poolsim_schema_row *sr = &poolsim_schema[row];
    double *c[POOLSIM_SCHEMA_MAXCOMP];
    const char *names[POOLSIM_SCHEMA_MAXCOMP];
    int nc = poolsim_results_row(r, row, c);
    poolsim_schema_components(sr->kind, names);
    if (sr->kind == POOLSIM_KIND_VEC || sr->kind == POOLSIM_KIND_RATE)
        return set(j, sr->name, values(c[0] + off, n, one, strcmp(sr->units, "paths") == 0));
    char key[96];
    if (sr->kind == POOLSIM_KIND_PROB) {
        snprintf(key, sizeof key, "%s_prob", sr->name);
        if (!set(j, key, values(c[0] + off, n, one, 0))) return 0;
        snprintf(key, sizeof key, "%s_ci", sr->name);
        return set(j, key,
                   one ? json_pack("[ff]", c[1][off], c[2][off])
                       : pairs(c[1] + off, c[2] + off, n));
    }
    json_t *o = json_object();
    int ok = set(o, "mean", values(c[0] + off, n, one, 0)) &&
             set(o, "se", values(c[1] + off, n, one, 0));
    if (sr->kind == POOLSIM_KIND_DIST) {
        for (int k = 0; ok && k < POOLSIM_NQ; k++) {
            for (size_t t = 0; t < n; t++) buf[t] = c[2][(off + t) * POOLSIM_NQ + (size_t)k];
            ok = set(o, poolsim_quantile_names[k], values(buf, n, one, 0));
        }
    } else {
        for (int i = 2; ok && i < nc; i++) ok = set(o, names[i], values(c[i] + off, n, one, 0));
    }
    if (!ok) {
        json_decref(o);
        return set(j, sr->name, NULL);
    }
    return set(j, sr->name, o);
}

/* Every row of shapes a, b (-1: none) at location index `index`. */
static int add_rows(json_t *j, const poolsim_results *r, int a, int b, size_t index, double *buf)
{
    int ok = 1;
    for (int row = 0; ok && row < POOLSIM_SCHEMA_NROWS; row++) {
        int sh = poolsim_schema[row].shape;
        if ((sh != a && sh != b) || !r->present[row]) continue;
        size_t off, n;
        int one = poolsim_schema_span(sh, index, r->T, &off, &n);
        ok = add_row(j, r, row, off, n, one, buf);
    }
    return ok;
}

static json_t *county(const poolsim_results *r, int l, int c, double *buf)
{
    json_t *j = json_object();
    if (set(j, "name", json_string(r->county_names[c])) &&
        add_rows(j, r, POOLSIM_SHAPE_LCT, POOLSIM_SHAPE_LC, POOLSIM_LC(r, l, c), buf))
        return j;
    json_decref(j);
    return NULL;
}

static json_t *line(const poolsim_results *r, int l, double *buf)
{
    json_t *j = json_object(), *cs = json_object();
    int ok = set(j, "name", json_string(r->line_names[l])) &&
             add_rows(j, r, POOLSIM_SHAPE_LT, POOLSIM_SHAPE_LT1, (size_t)l, buf) &&
             add_rows(j, r, POOLSIM_SHAPE_L, -1, (size_t)l, buf);
    for (int c = 0; ok && c < r->C; c++) ok = set(cs, r->county_ids[c], county(r, l, c, buf));
    if (!ok) json_decref(cs);
    ok = ok && set(j, "counties", cs);
    int rules = 0;
    for (int k = 0; k < r->R; k++) rules += r->rule_line[k] == l;
    if (ok && rules) {
        json_t *ms = json_object();
        for (int k = 0; ok && k < r->R; k++) {
            if (r->rule_line[k] != l) continue;
            json_t *rj = json_object();
            ok = add_rows(rj, r, POOLSIM_SHAPE_RT, -1, (size_t)k, buf);
            if (!ok) json_decref(rj);
            ok = ok && set(ms, r->rule_ids[k], rj);
        }
        if (!ok) json_decref(ms);
        ok = ok && set(j, "management", ms);
    }
    if (ok) return j;
    json_decref(j);
    return NULL;
}

/* counties.<id>: rows per county over all lines (shapes CT, C); NULL and
 * *none set when there are none. */
static json_t *county_totals(const poolsim_results *r, double *buf, int *none)
{
    *none = 1;
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        int sh = poolsim_schema[row].shape;
        if (r->present[row] && (sh == POOLSIM_SHAPE_CT || sh == POOLSIM_SHAPE_C)) *none = 0;
    }
    if (*none) return NULL;
    json_t *o = json_object();
    int ok = o != NULL;
    for (int c = 0; ok && c < r->C; c++) {
        json_t *j = json_object();
        ok = set(j, "name", json_string(r->county_names[c])) &&
             add_rows(j, r, POOLSIM_SHAPE_CT, POOLSIM_SHAPE_C, (size_t)c, buf);
        if (!ok) json_decref(j);
        ok = ok && set(o, r->county_ids[c], j);
    }
    if (ok) return o;
    json_decref(o);
    return NULL;
}

/* The document; the seed is a raw number node (see print), returned with
 * a reference of its own. */
static json_t *document(const poolsim_results *r, json_t **seed /* OUT */)
{
    char digits[32];
    snprintf(digits, sizeof digits, "%llu", r->seed);
    double *buf = malloc(((size_t)r->T + 1) * sizeof *buf);
    json_t *doc = json_object(), *years = json_array(), *lines = json_object();
    *seed = json_string(digits);
    int ok = buf && years && lines && *seed;
    for (int t = 0; ok && t < r->T; t++)
        ok = json_array_append_new(years, json_integer(r->years[t])) == 0;
    for (int l = 0; ok && l < r->L; l++) ok = set(lines, r->line_ids[l], line(r, l, buf));
    json_incref(*seed);
    /* `&`, not `&&`: every set consumes its value, so nothing leaks */
    ok &= set(doc, "scenario", json_string(r->scenario_name ? r->scenario_name : ""));
    ok &= set(doc, "seed", *seed);
    ok &= set(doc, "paths", json_integer(r->paths));
    ok &= set(doc, "years", years);
    ok &= set(doc, "lines", lines);
    int none = 1;
    json_t *totals = ok ? county_totals(r, buf, &none) : NULL;
    if (ok && !none) ok &= set(doc, "counties", totals);
    free(buf);
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
