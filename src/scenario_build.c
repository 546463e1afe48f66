/* poolsim: scenario loader, part 4: validation of the merged tree and the
 * typed poolsim_scenario (SCENARIO.md "Required keys, defaults" and
 * "Validation").
 *
 * Table-driven: every map of the format has a table with one row per key
 * (type, flags, range, default, destination offset). apply_rows() sets the
 * defaults, reads each key present, reports unknown keys with the list of
 * valid ones, type and range errors with the row's expectation, and
 * missing required keys at the enclosing map. Lists (lines, classes,
 * benefits, brackets, counties) and cross-references (rate -> class,
 * applies_to, counties columns, deductible < ceiling, ascending brackets,
 * unique ids) are checked by the code below the tables. Every problem is
 * reported and validation goes on, so one run shows them all. */
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

typedef struct {
    double lo, hi;
    unsigned char lo_open, hi_open;
    const char *text;
} sc_range;

static const sc_range ranges[] = {
    [R_ANY] = {-INFINITY, INFINITY, 0, 0, ""},      [R_01] = {0, 1, 0, 0, "in 0..1"},
    [R_GE0] = {0, INFINITY, 0, 0, ">= 0"},          [R_GT0] = {0, INFINITY, 1, 0, "> 0"},
    [R_GTM1] = {-1, INFINITY, 1, 0, "> -1"},        [R_PM1] = {-1, 1, 0, 0, "in -1..1"},
    [R_HORIZON] = {1, 1000, 0, 0, "in 1..1000"},    [R_YEAR] = {1000, 9999, 0, 0, "in 1000..9999"},
    [R_PATHS] = {1, 1e9, 0, 0, "in 1..1000000000"}, [R_GE1] = {1, 1e9, 0, 0, "in 1..1000000000"},
};

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

static const char *const lang_choices[] = {"en", "zh", NULL};
static const char *const noise_choices[] = {"compound", "normal", "none", NULL};
static const char *const cap_choices[] = {"stop", "top_up", NULL};
static const char *const uncovered_choices[] = {"county", "city", NULL};
static const char *const sharing_choices[] = {"bracket", "marginal", NULL};
static const char *const kind_choices[] = {"claims", "per_capita", NULL};
static const char *const pooling_choices[] = {"county_accounts", "unified", NULL};
static const char *const gap_key_choices[] = {"financing", "enrolees", "deficit", NULL};

#define S_(f) offsetof(poolsim_scenario, f)
static const sc_row top_rows[] = {
    {"name", K_STR, 0, 0, 0, S_(name), NULL, NULL},
    {"lang", K_LANG, 0, 0, 0, S_(lang), lang_choices, NULL},
    {"extends", K_SUB, 0, 0, 0, 0, NULL, "the path of a base scenario"},
    {"start_year", K_INT, F_REQ, R_YEAR, 0, S_(start_year), NULL, NULL},
    {"horizon_years", K_INT, F_REQ, R_HORIZON, 0, S_(horizon_years), NULL, NULL},
    {"simulation", K_SUB, 0, 0, 0, 0, NULL, "a map"},
    {"economy", K_SUB, 0, 0, 0, 0, NULL, "a map"},
    {"shocks", K_SUB, 0, 0, 0, 0, NULL, "a map"},
    {"reserve", K_SUB, 0, 0, 0, 0, NULL, "a map"},
    {"sharing", K_SUB, 0, 0, 0, 0, NULL, "a map"},
    {"pooling", K_SUB, 0, 0, 0, 0, NULL, "a map of pooling keys"},
    {"lines", K_SUB, F_REQ, 0, 0, 0, NULL, "a list of fund lines"},
    {"counties", K_SUB, 0, 0, 0, 0, NULL, "a list of counties"},
    {"counties_csv", K_SUB, 0, 0, 0, 0, NULL, "the path of a CSV file"},
    {"health", K_SUB, 0, 0, 0, 0, NULL, "a map with warn_months"},
    {"management", K_SUB, 0, 0, 0, 0, NULL, "a list of management rules"},
};

/* Fund health and management rules (MODEL.md section 11). */
static const sc_row health_rows[] = {
    {"warn_months", K_NUM, 0, R_GT0, 6, S_(warn_months), NULL, NULL},
};

static const char *const indicator_choices[] = {"months_covered", "reserve_ratio", "surplus_rate",
                                                NULL};
static const char *const action_choices[] = {"contribution", "benefits", NULL};

/* from_year defaults to 1000, the first year the format allows: no limit */
#define MR_(f) offsetof(sc_rule, r.f)
static const sc_row rule_rows[] = {
    {"id", K_ID, F_REQ, 0, 0, MR_(id), NULL, NULL},
    {"line", K_ID, F_REQ, 0, 0, offsetof(sc_rule, line_id), NULL, NULL},
    {"indicator", K_ENUM, F_REQ, 0, 0, MR_(indicator), indicator_choices, NULL},
    {"below", K_NUM, F_REQ, R_ANY, 0, MR_(below), NULL, NULL},
    {"action", K_ENUM, F_REQ, 0, 0, MR_(action), action_choices, NULL},
    {"change", K_NUM, F_REQ, R_GTM1, 0, MR_(change), NULL, NULL},
    {"max_times", K_INT, 0, R_GE1, 1, MR_(max_times), NULL, NULL},
    {"lag", K_INT, 0, R_GE1, 1, MR_(lag), NULL, NULL},
    {"from_year", K_INT, 0, R_YEAR, 1000, MR_(from_year), NULL, NULL},
};

static const sc_row simulation_rows[] = {
    {"paths", K_LONG, 0, R_PATHS, 10000, S_(paths), NULL, NULL},
    {"seed", K_SEED, 0, 0, 1, S_(seed), NULL, NULL},
    {"claims_noise", K_ENUM, 0, 0, POOLSIM_NOISE_COMPOUND, S_(claims_noise), noise_choices, NULL},
};

static const sc_row economy_rows[] = {
    {"medical_inflation", K_SUB, 0, 0, 0, 0, NULL, "a map with mean, ar1, sd"},
    {"wage_growth", K_SUB, 0, 0, 0, 0, NULL, "a map with mean, ar1, sd"},
    {"wage_inflation_corr", K_NUM, 0, R_PM1, 0, S_(wage_inflation_corr), NULL, NULL},
    {"balance_interest", K_NUM, F_RATE, R_GTM1, 0, S_(balance_interest), NULL, NULL},
};

#define A_(f) offsetof(poolsim_ar1, f)
static const sc_row ar1_rows[] = {
    {"mean", K_NUM, F_RATE, R_GTM1, 0, A_(mean), NULL, NULL},
    {"ar1", K_NUM, 0, R_PM1, 0, A_(ar1), NULL, NULL},
    {"sd", K_NUM, 0, R_GE0, 0, A_(sd), NULL, NULL},
};

static const sc_row shocks_rows[] = {
    {"utilisation", K_SUB, 0, 0, 0, 0, NULL, "a map with ar1, sd, rho"},
    {"epidemic", K_SUB, 0, 0, 0, 0, NULL, "a map with prob, mean, sd"},
};

static const sc_row utilisation_rows[] = {
    {"ar1", K_NUM, 0, R_PM1, 0, S_(utilisation.ar1), NULL, NULL},
    {"sd", K_NUM, 0, R_GE0, 0, S_(utilisation.sd), NULL, NULL},
    {"rho", K_NUM, 0, R_01, 0, S_(utilisation.rho), NULL, NULL},
};

static const sc_row epidemic_rows[] = {
    {"prob", K_NUM, 0, R_01, 0, S_(epidemic.prob), NULL, NULL},
    {"mean", K_NUM, 0, R_GT0, 1, S_(epidemic.mean), NULL, NULL},
    {"sd", K_NUM, 0, R_GE0, 0, S_(epidemic.sd), NULL, NULL},
};

#define RV_(f) offsetof(poolsim_reserve_cfg, f)
static const sc_row reserve_rows[] = {
    {"levy_rate", K_PARAM, 0, R_01, 0.10, RV_(levy_rate), NULL, NULL},
    {"cap_ratio", K_PARAM, 0, R_GE0, 0.30, RV_(cap_ratio), NULL, NULL},
    {"cap_mode", K_ENUM, 0, 0, POOLSIM_CAP_STOP, RV_(cap_mode), cap_choices, NULL},
    {"interest", K_PARAM, F_RATE, R_GTM1, 0, RV_(interest), NULL, NULL},
    {"uncovered", K_ENUM, 0, 0, POOLSIM_UNCOVERED_COUNTY, RV_(uncovered), uncovered_choices, NULL},
    {"initial", K_PARAM, 0, R_GE0, 0, RV_(initial), NULL, NULL},
};

/* MODEL.md section 10; every key may be dated, a line may override any. */
#define PO_(f) offsetof(poolsim_pooling_cfg, f)
static const sc_row pooling_rows[] = {
    {"mode", K_DENUM, 0, 0, POOLSIM_POOLING_COUNTY_ACCOUNTS, PO_(mode), pooling_choices, NULL},
    {"city_share", K_PARAM, 0, R_01, 0.5, PO_(city_share), NULL, NULL},
    {"gap_key", K_DENUM, 0, 0, POOLSIM_GAP_FINANCING, PO_(gap_key), gap_key_choices, NULL},
    {"county_liability", K_PARAM, 0, R_01, 0, PO_(county_liability), NULL, NULL},
    {"tolerance", K_PARAM, 0, R_GE0, 0, PO_(tolerance), NULL, NULL},
};

static const sc_row sharing_rows[] = {
    {"mode", K_ENUM, 0, 0, POOLSIM_SHARING_BRACKET, offsetof(poolsim_sharing_cfg, mode),
     sharing_choices, NULL},
    {"brackets", K_SUB, 0, 0, 0, 0, NULL, "a list of {up_to, reserve} maps"},
};

static const sc_row bracket_rows[] = {
    {"up_to", K_PARAM, F_REQ | F_INF, R_GE0, 0, offsetof(sc_bracket, up_to), NULL, NULL},
    {"reserve", K_PARAM, F_REQ, R_01, 0, offsetof(sc_bracket, reserve), NULL, NULL},
};

#define L_(f) offsetof(poolsim_line, f)
static const sc_row line_rows[] = {
    {"id", K_ID, F_REQ, 0, 0, L_(id), NULL, NULL},
    {"name", K_STR, 0, 0, 0, L_(name), NULL, NULL},
    {"reserve", K_SUB, 0, 0, 0, 0, NULL, "a map of reserve keys"},
    {"pooling", K_SUB, 0, 0, 0, 0, NULL, "a map of pooling keys"},
    {"classes", K_SUB, F_REQ, 0, 0, 0, NULL, "a list of member classes"},
    {"benefits", K_SUB, F_REQ, 0, 0, 0, NULL, "a list of benefits"},
    {"global_budget", K_SUB, 0, 0, 0, 0, NULL,
     "a map with share_of_financing, retention, overspend_paid"},
};

/* Class parameters; offsets in poolsim_class_params, so the same rows
 * serve the class defaults and the counties' <class>.<parameter>. */
#define CP_(f) offsetof(poolsim_class_params, f)
static const sc_row class_rows[] = {
    {"id", K_SUB, F_REQ, 0, 0, 0, NULL, "an identifier [A-Za-z_][A-Za-z0-9_-]*"},
    {"per_capita", K_PARAM, 0, R_GE0, 0, CP_(per_capita), NULL, NULL},
    {"per_capita_growth", K_PARAM, F_RATE, R_GTM1, 0, CP_(per_capita_growth), NULL, NULL},
    {"wage_rate", K_PARAM, 0, R_01, 0, CP_(wage_rate), NULL, NULL},
    {"collection_rate", K_PARAM, 0, R_01, 1, CP_(collection_rate), NULL, NULL},
    {"enrol_growth", K_PARAM, F_RATE, R_GTM1, 0, CP_(enrol_growth), NULL, NULL},
    {"subsidy", K_PARAM, 0, R_GE0, 0, CP_(subsidy), NULL, NULL},
    {"subsidy_growth", K_PARAM, F_RATE, R_GTM1, 0, CP_(subsidy_growth), NULL, NULL},
};

#define B_(f) offsetof(poolsim_benefit, f)
static const sc_row benefit_rows[] = {
    {"id", K_ID, F_REQ, 0, 0, B_(id), NULL, NULL},
    {"kind", K_ENUM, F_REQ, 0, POOLSIM_BENEFIT_CLAIMS, B_(kind), kind_choices, NULL},
    {"rate", K_SUB, F_REQ | F_CLAIMS, 0, 0, 0, NULL,
     "a map from class id to episodes per member per year"},
    {"cost_mean", K_PARAM, F_REQ | F_CLAIMS, R_GT0, 0, B_(cost_mean), NULL, NULL},
    {"cv", K_PARAM, F_REQ | F_CLAIMS, R_GT0, 0, B_(cv), NULL, NULL},
    {"deductible", K_PARAM, F_CLAIMS, R_GE0, 0, B_(deductible), NULL, NULL},
    {"coinsurance", K_PARAM, F_REQ | F_CLAIMS, R_01, 0, B_(coinsurance), NULL, NULL},
    {"ceiling", K_PARAM, F_CLAIMS | F_INF, R_GT0, INFINITY, B_(ceiling), NULL, NULL},
    {"util_trend", K_PARAM, F_CLAIMS | F_RATE, R_GTM1, 0, B_(util_trend), NULL, NULL},
    {"epidemic", K_BOOL, F_CLAIMS, 0, 1, B_(epidemic), NULL, NULL},
    {"index_limits", K_BOOL, F_CLAIMS, 0, 0, B_(index_limits), NULL, NULL},
    {"amount", K_PARAM, F_REQ | F_PERCAP, R_GE0, 0, B_(amount), NULL, NULL},
    {"growth", K_PARAM, F_PERCAP | F_RATE, R_GTM1, 0, B_(growth), NULL, NULL},
    {"applies_to", K_SUB, F_PERCAP, 0, 0, 0, NULL, "a list of class ids of the line"},
};

#define G_(f) offsetof(poolsim_global_budget, f)
static const sc_row budget_rows[] = {
    {"share_of_financing", K_PARAM, F_REQ, R_GE0, 0, G_(share_of_financing), NULL, NULL},
    {"retention", K_PARAM, 0, R_01, 1, G_(retention), NULL, NULL},
    {"overspend_paid", K_PARAM, 0, R_01, 0, G_(overspend_paid), NULL, NULL},
};

#define C_(f) offsetof(poolsim_county, f)
static const sc_row county_rows[] = {
    {"id", K_ID, F_REQ, 0, 0, C_(id), NULL, NULL},
    {"name", K_STR, 0, 0, 0, C_(name), NULL, NULL},
    {"wage", K_NUM, 0, R_GE0, 0, C_(wage), NULL, NULL},
    {"cost_index", K_NUM, 0, R_GT0, 1, C_(cost_index), NULL, NULL},
    {"util_index", K_NUM, 0, R_GE0, 1, C_(util_index), NULL, NULL},
};

/* ---- the tables, for the printer (scenario.c) ------------------------------------ */

const sc_row *sc_table(int table, size_t *nrows)
{
#define T_(id, t)                                                                                  \
    case id: *nrows = NROWS(t); return t
    switch (table) {
        T_(SC_T_TOP, top_rows);
        T_(SC_T_SIMULATION, simulation_rows);
        T_(SC_T_ECONOMY, economy_rows);
        T_(SC_T_AR1, ar1_rows);
        T_(SC_T_SHOCKS, shocks_rows);
        T_(SC_T_UTILISATION, utilisation_rows);
        T_(SC_T_EPIDEMIC, epidemic_rows);
        T_(SC_T_RESERVE, reserve_rows);
        T_(SC_T_POOLING, pooling_rows);
        T_(SC_T_SHARING, sharing_rows);
        T_(SC_T_BRACKET, bracket_rows);
        T_(SC_T_LINE, line_rows);
        T_(SC_T_CLASS, class_rows);
        T_(SC_T_BENEFIT, benefit_rows);
        T_(SC_T_BUDGET, budget_rows);
        T_(SC_T_COUNTY, county_rows);
        T_(SC_T_HEALTH, health_rows);
        T_(SC_T_RULE, rule_rows);
    default: *nrows = 0; return NULL;
    }
#undef T_
}

/* ---- build context ---------------------------------------------------- */

typedef struct bctx bctx;
typedef int (*other_key_fn)(bctx *b, sc_node *key, const sc_node *val, void *arg);

struct bctx {
    sc_ctx *c;
    sc_buf path; /* dotted KEY of the map being read */
    poolsim_scenario *s;
    /* Some line or class could not be read, so the class list is not
     * complete: names that are not known classes are then not reported
     * (they may be classes of the broken line). */
    int classes_incomplete;
};

static void *xcalloc(bctx *b, size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    if (!p) b->c->nomem = 1;
    return p;
}

static char *xstrdup(bctx *b, const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d) {
        b->c->nomem = 1;
        return NULL;
    }
    memcpy(d, s, n + 1);
    return d;
}

static const char *P(bctx *b)
{
    return b->path.s ? b->path.s : "";
}

static size_t push(bctx *b, const char *key)
{
    return sc_path_push(&b->path, key);
}

static void pop(bctx *b, size_t old)
{
    sc_buf_trunc(&b->path, old);
}

/* Item i of the list l with its path pushed (*mark: for pop). NULL when it
 * is not a map, after a message naming the expected keys (e.g. "id,
 * kind, ...") and with the path popped. */
static const sc_node *map_item(bctx *b, const sc_node *l, size_t i, const char *keys, size_t *mark)
{
    const sc_node *it = l->vals[i];
    *mark = sc_path_item(&b->path, l, i);
    if (it->kind == SC_MAP) return it;
    sc_error_at(b->c, it, P(b), "%s is not allowed here (expected a map with %s)",
                sc_show(b->c, it), keys);
    pop(b, *mark);
    return NULL;
}

static char *choices_text(sc_ctx *c, const char *const *ch)
{
    sc_buf t = {0};
    for (int i = 0; ch[i]; i++) {
        if (i) sc_buf_puts(&t, ", ");
        sc_buf_puts(&t, ch[i]);
    }
    char *s = sc_strndup(c, t.s ? t.s : "", t.len);
    sc_buf_free(&t);
    return s;
}

/* What a row's value must be, for "(expected ...)". */
static const char *expect(sc_ctx *c, const sc_row *r)
{
    const sc_range *g = &ranges[r->range];
    switch (r->type) {
    case K_NUM:
        return sc_sprintf(c, "a number%s%s%s", *g->text ? " " : "", g->text,
                          r->flags & F_INF ? " or .inf" : "");
    case K_PARAM:
        return sc_sprintf(c, "a number%s%s%s, or a map from year to such numbers",
                          *g->text ? " " : "", g->text, r->flags & F_INF ? " or .inf" : "");
    case K_INT:
    case K_LONG: return sc_sprintf(c, "an integer %s", g->text);
    case K_SEED: return "an integer in 0..18446744073709551615";
    case K_BOOL: return "true or false";
    case K_ENUM:
    case K_LANG: return sc_sprintf(c, "one of: %s", choices_text(c, r->choices));
    case K_DENUM:
        return sc_sprintf(c, "one of: %s, or a map from year to one of them",
                          choices_text(c, r->choices));
    case K_STR: return "a text";
    case K_ID: return "an identifier [A-Za-z_][A-Za-z0-9_-]*";
    default: return r->what ? r->what : "a value";
    }
}

/* KEY of a key node for messages: a key created by --set is reported as
 * the --set argument's own key. */
static const char *key_path(bctx *b, const sc_node *key)
{
    sc_ctx *c = b->c;
    if (key && c->sets && key->file && strcmp(key->file, "--set") == 0 && key->line >= 1 &&
        key->line <= c->nsets) {
        /* a key the --set path created (not one inside its value) */
        const char *arg = c->sets[key->line - 1];
        const char *e = strchr(arg, '=');
        size_t kl = e ? (size_t)(e - arg) : strlen(arg), pl = b->path.len;
        if (pl <= kl && memcmp(arg, P(b), pl) == 0 && (pl == kl || arg[pl] == '.'))
            return sc_strndup(c, arg, kl);
    }
    return P(b);
}

/* An error about a key itself (unknown, not allowed): reported once per key
 * node, so a bad CSV column is reported once, not once per row. */
static void key_error(bctx *b, sc_node *key, const char *msg)
{
    if (key->reported) return;
    key->reported = 1;
    sc_error_at(b->c, key, key_path(b, key), "%s", msg);
}

/* 1 when no message need be built for key: already reported, or the
 * error list is full (then it is only counted). */
static int key_done(bctx *b, sc_node *key)
{
    if (key->reported) return 1;
    if (b->c->nerr >= SC_MAX_ERRORS) {
        key->reported = 1;
        b->c->dropped++;
        return 1;
    }
    return 0;
}

static void unknown_key(bctx *b, sc_node *key, const sc_row *rows, size_t nrows, unsigned variant)
{
    if (key_done(b, key)) return;
    sc_buf t = {0};
    int first = 1;
    for (size_t i = 0; i < nrows; i++) {
        unsigned kf = rows[i].flags & (F_CLAIMS | F_PERCAP);
        if (variant && kf && !(kf & variant)) continue;
        if (!first) sc_buf_puts(&t, ", ");
        sc_buf_puts(&t, rows[i].key);
        first = 0;
    }
    char *msg = sc_sprintf(b->c, "unknown key (expected one of: %s)", t.s ? t.s : "");
    sc_buf_free(&t);
    if (msg) key_error(b, key, msg);
}

/* ---- scalar readers (report and return -1 on error) --------------------- */

static int looks_numeric_quoted(const sc_node *n)
{
    if (n->kind != SC_SCALAR || n->style != SC_QUOTED) return 0;
    sc_node t = *n;
    t.style = SC_PLAIN;
    int cls = sc_class(&t);
    return cls == SV_INT || cls == SV_FLOAT;
}

/* What a number and an integer both must be first: a non-empty scalar that
 * is not a quoted number. Reports and returns -1 otherwise. */
static int numeric_scalar(bctx *b, const sc_node *n, const sc_row *r)
{
    sc_ctx *c = b->c;
    if (n->kind != SC_SCALAR) {
        sc_error_at(c, n, P(b), "%s is not allowed here (expected %s)", sc_show(c, n),
                    expect(c, r));
        return -1;
    }
    if (sc_class(n) == SV_NULL || n->len == 0) {
        sc_error_at(c, n, P(b), "empty value (expected %s)", expect(c, r));
        return -1;
    }
    if (looks_numeric_quoted(n)) {
        sc_error_at(c, n, P(b), "%s is quoted, so it is a text, not a number (expected %s)",
                    sc_show(c, n), expect(c, r));
        return -1;
    }
    return 0;
}

static int get_number(bctx *b, const sc_node *n, const sc_row *r, double *out)
{
    sc_ctx *c = b->c;
    if (numeric_scalar(b, n, r) != 0) return -1;
    double v;
    int rc = sc_number(n, &v);
    if (rc < 0) {
        sc_error_at(c, n, P(b), "%s is not a number (expected %s)", sc_show(c, n), expect(c, r));
        return -1;
    }
    if (rc > 0) {
        sc_error_at(c, n, P(b), "%s is too large for a number (expected %s)", sc_show(c, n),
                    expect(c, r));
        return -1;
    }
    if (isnan(v)) {
        sc_error_at(c, n, P(b), "%s is not a number (expected %s)", sc_show(c, n), expect(c, r));
        return -1;
    }
    if (isinf(v) && !((r->flags & F_INF) && v > 0)) {
        sc_error_at(c, n, P(b), "%s is not allowed here (expected %s)", sc_show(c, n),
                    expect(c, r));
        return -1;
    }
    const sc_range *g = &ranges[r->range];
    if (v < g->lo || v > g->hi || (g->lo_open && v == g->lo) || (g->hi_open && v == g->hi)) {
        sc_error_at(c, n, P(b), "%s is out of range (expected %s)", sc_show(c, n), expect(c, r));
        return -1;
    }
    *out = v;
    return 0;
}

static int get_integer(bctx *b, const sc_node *n, const sc_row *r, double *out)
{
    sc_ctx *c = b->c;
    if (numeric_scalar(b, n, r) != 0) return -1;
    double v;
    int rc = sc_number(n, &v);
    if (rc < 0 || isnan(v) || (rc == 0 && isfinite(v) && v != floor(v))) {
        sc_error_at(c, n, P(b), "%s is not an integer (expected %s)", sc_show(c, n), expect(c, r));
        return -1;
    }
    const sc_range *g = &ranges[r->range];
    if (rc > 0 || v < g->lo || v > g->hi) {
        sc_error_at(c, n, P(b), "%s is out of range (expected %s)", sc_show(c, n), expect(c, r));
        return -1;
    }
    *out = v;
    return 0;
}

static int get_seed(bctx *b, const sc_node *n, const sc_row *r, unsigned long long *out)
{
    sc_ctx *c = b->c;
    if (n->kind == SC_SCALAR && sc_class(n) == SV_INT) {
        int rc = sc_uint64(n, out);
        if (rc == 0) return 0;
        sc_error_at(c, n, P(b), "%s is out of range (expected %s)", sc_show(c, n), expect(c, r));
        return -1;
    }
    double v;
    if (n->kind == SC_SCALAR && sc_class(n) == SV_FLOAT && sc_number(n, &v) == 0) {
        if (isfinite(v) && v == floor(v) && v >= 0 && v < 18446744073709551616.0) {
            *out = (unsigned long long)v;
            return 0;
        }
        if (isfinite(v) && v != floor(v))
            sc_error_at(c, n, P(b), "%s is not an integer (expected %s)", sc_show(c, n),
                        expect(c, r));
        else
            sc_error_at(c, n, P(b), "%s is out of range (expected %s)", sc_show(c, n),
                        expect(c, r));
        return -1;
    }
    if (n->kind == SC_SCALAR && (sc_class(n) == SV_NULL || n->len == 0))
        sc_error_at(c, n, P(b), "empty value (expected %s)", expect(c, r));
    else if (looks_numeric_quoted(n))
        sc_error_at(c, n, P(b), "%s is quoted, so it is a text, not a number (expected %s)",
                    sc_show(c, n), expect(c, r));
    else
        sc_error_at(c, n, P(b), "%s is not an integer (expected %s)", sc_show(c, n), expect(c, r));
    return -1;
}

/* A non-empty scalar's text; reports and returns NULL otherwise. */
static const char *get_text(bctx *b, const sc_node *n, const char *exp)
{
    sc_ctx *c = b->c;
    if (n->kind != SC_SCALAR) {
        sc_error_at(c, n, P(b), "%s is not allowed here (expected %s)", sc_show(c, n), exp);
        return NULL;
    }
    if (sc_class(n) == SV_NULL || n->len == 0) {
        sc_error_at(c, n, P(b), "empty value (expected %s)", exp);
        return NULL;
    }
    return n->text;
}

static int valid_id(const char *s)
{
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
    for (s++; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static const char *get_id(bctx *b, const sc_node *n)
{
    static const sc_row idrow = {"id", K_ID, 0, 0, 0, 0, NULL, NULL};
    const char *t = get_text(b, n, expect(b->c, &idrow));
    if (!t) return NULL;
    if (!valid_id(t)) {
        sc_error_at(b->c, n, P(b), "%s is not a valid identifier (expected %s)", sc_show(b->c, n),
                    expect(b->c, &idrow));
        return NULL;
    }
    return t;
}

/* A choice of r->choices as its index; reports and returns -1 otherwise. */
static int get_choice(bctx *b, const sc_node *n, const sc_row *r, int *out)
{
    sc_ctx *c = b->c;
    const char *t = get_text(b, n, expect(c, r));
    if (!t) return -1;
    for (int k = 0; r->choices[k]; k++)
        if (strcmp(r->choices[k], t) == 0) {
            *out = k;
            return 0;
        }
    sc_error_at(c, n, P(b), "%s is not a valid choice (expected %s)", sc_show(c, n), expect(c, r));
    return -1;
}

/* One value of a K_PARAM (a number) or K_DENUM (a choice index) row. */
static int get_scalar_value(bctx *b, const sc_node *n, const sc_row *r, double *out)
{
    if (r->type != K_DENUM) return get_number(b, n, r, out);
    int k;
    if (get_choice(b, n, r, &k)) return -1;
    *out = k;
    return 0;
}

typedef struct {
    int year;
    double val;
    const sc_node *key;
} year_val;

static int year_val_cmp(const void *a, const void *b)
{
    const year_val *x = a, *y = b;
    return (x->year > y->year) - (x->year < y->year);
}

/* A number (a choice for K_DENUM), or (dated) a map from calendar year to
 * such values. */
static int get_param(bctx *b, const sc_node *n, const sc_row *r, poolsim_param *out)
{
    sc_ctx *c = b->c;
    if (n->kind != SC_MAP) {
        double v;
        if (get_scalar_value(b, n, r, &v)) return -1;
        *out = poolsim_param_const(v);
        return 0;
    }
    const char *exp = expect(c, r);
    if (n->n == 0) {
        sc_error_at(c, n, P(b), "empty value (expected %s)", exp);
        return -1;
    }
    if (n->n > POOLSIM_MAX_SCHED) {
        sc_error_at(c, n, P(b), "a dated value with %zu years (expected at most %d years)", n->n,
                    POOLSIM_MAX_SCHED);
        return -1;
    }
    year_val yv[POOLSIM_MAX_SCHED];
    int bad = 0;
    for (size_t i = 0; i < n->n; i++) {
        const sc_node *k = n->keys[i];
        size_t old = push(b, k->text);
        double y;
        if (sc_class(k) != SV_INT || sc_number(k, &y) != 0 || y < ranges[R_YEAR].lo ||
            y > ranges[R_YEAR].hi) {
            sc_error_at(c, k, P(b),
                        "%s is not a year (expected a map from calendar year, an "
                        "integer in 1000..9999, to %s)",
                        sc_show(c, k), r->type == K_DENUM ? "one of the choices" : "a number");
            bad = 1;
        } else {
            yv[i].year = (int)y;
            yv[i].key = k;
            if (get_scalar_value(b, n->vals[i], r, &yv[i].val)) bad = 1;
        }
        pop(b, old);
    }
    if (bad) return -1;
    qsort(yv, n->n, sizeof yv[0], year_val_cmp);
    for (size_t i = 1; i < n->n; i++) {
        if (yv[i].year == yv[i - 1].year) {
            sc_error_at(c, yv[i].key, P(b),
                        "year %d given twice (first at line %d, column %d; expected each "
                        "year once)",
                        yv[i].year, yv[i - 1].key->line, yv[i - 1].key->col);
            return -1;
        }
    }
    memset(out, 0, sizeof *out);
    out->n = (int)n->n;
    for (size_t i = 0; i < n->n; i++) {
        out->year[i] = yv[i].year;
        out->val[i] = yv[i].val;
    }
    return 0;
}

static const sc_row *find_row(const sc_row *rows, size_t nrows, const char *key)
{
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].key, key) == 0) return &rows[i];
    return NULL;
}

static void set_default(bctx *b, const sc_row *r, void *dest)
{
    char *p = (char *)dest + r->off;
    switch (r->type) {
    case K_NUM: *(double *)(void *)p = r->def; break;
    case K_PARAM:
    case K_DENUM: *(poolsim_param *)(void *)p = poolsim_param_const(r->def); break;
    case K_INT:
    case K_BOOL:
    case K_ENUM: *(int *)(void *)p = (int)r->def; break;
    case K_LONG: *(long *)(void *)p = (long)r->def; break;
    case K_SEED: *(unsigned long long *)(void *)p = (unsigned long long)r->def; break;
    case K_LANG: {
        char **sp = (char **)(void *)p;
        free(*sp);
        *sp = xstrdup(b, r->choices[(int)r->def]);
        break;
    }
    default: break;
    }
}

/* Read one value per its row into dest. */
/* A yearly rate above SC_RATE_WARN: a plausibility warning. */
static void rate_warning(bctx *b, const sc_node *v, double d)
{
    sc_warn_at(b->c, v, P(b),
               "%g a year is above %g, unusual for a growth, inflation or interest rate "
               "(written as a percentage? 5%% a year is 0.05)",
               d, SC_RATE_WARN);
}

static void read_value(bctx *b, const sc_row *r, const sc_node *v, void *dest)
{
    sc_ctx *c = b->c;
    char *p = (char *)dest + r->off;
    double d;
    switch (r->type) {
    case K_NUM:
        if (get_number(b, v, r, &d) == 0) {
            *(double *)(void *)p = d;
            if ((r->flags & F_RATE) && d > SC_RATE_WARN) rate_warning(b, v, d);
        }
        break;
    case K_PARAM:
    case K_DENUM: {
        poolsim_param pp;
        if (get_param(b, v, r, &pp) == 0) {
            *(poolsim_param *)(void *)p = pp;
            for (int i = 0; (r->flags & F_RATE) && i < pp.n; i++)
                if (pp.val[i] > SC_RATE_WARN) {
                    rate_warning(b, v, pp.val[i]);
                    break;
                }
        }
        break;
    }
    case K_INT:
        if (get_integer(b, v, r, &d) == 0) *(int *)(void *)p = (int)d;
        break;
    case K_LONG:
        if (get_integer(b, v, r, &d) == 0) *(long *)(void *)p = (long)d;
        break;
    case K_SEED: {
        unsigned long long u;
        if (get_seed(b, v, r, &u) == 0) *(unsigned long long *)(void *)p = u;
        break;
    }
    case K_BOOL:
        if (v->kind == SC_SCALAR && sc_class(v) == SV_BOOL)
            *(int *)(void *)p = v->text[0] == 't' || v->text[0] == 'T';
        else if (v->kind == SC_SCALAR && sc_class(v) == SV_NULL)
            sc_error_at(c, v, P(b), "empty value (expected true or false)");
        else
            sc_error_at(c, v, P(b), "%s is not true or false (expected true or false)",
                        sc_show(c, v));
        break;
    case K_ENUM:
    case K_LANG: {
        const char *t = get_text(b, v, expect(c, r));
        if (!t) break;
        int k;
        for (k = 0; r->choices[k]; k++)
            if (strcmp(r->choices[k], t) == 0) break;
        if (!r->choices[k]) {
            sc_error_at(c, v, P(b), "%s is not a valid choice (expected %s)", sc_show(c, v),
                        expect(c, r));
            break;
        }
        if (r->type == K_ENUM) {
            *(int *)(void *)p = k;
        } else {
            char **sp = (char **)(void *)p;
            free(*sp);
            *sp = xstrdup(b, r->choices[k]);
        }
        break;
    }
    case K_STR:
    case K_ID: {
        const char *t = r->type == K_ID ? get_id(b, v) : get_text(b, v, "a text");
        if (!t) break;
        char **sp = (char **)(void *)p;
        free(*sp);
        *sp = xstrdup(b, t);
        break;
    }
    default: break;
    }
}

/* Check map m (may be NULL: absent) against rows and fill dest. defaults:
 * set every row's default first. variant: F_CLAIMS or F_PERCAP selects
 * kind-specific rows (0: kind unknown, accept both, none required).
 * other: handles keys that are not rows (returns 1 when it knew the key). */
static void apply_rows(bctx *b, const sc_node *m, const sc_row *rows, size_t nrows, void *dest,
                       int defaults, unsigned variant, other_key_fn other, void *arg)
{
    if (defaults)
        for (size_t i = 0; i < nrows; i++) set_default(b, &rows[i], dest);
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) {
        sc_node *k = m->keys[i];
        const sc_row *r = find_row(rows, nrows, k->text);
        size_t old = push(b, k->text);
        if (!r) {
            if (!other || !other(b, k, m->vals[i], arg)) unknown_key(b, k, rows, nrows, variant);
        } else {
            unsigned kf = r->flags & (F_CLAIMS | F_PERCAP);
            if (variant && kf && !(kf & variant)) {
                const char *msg = sc_sprintf(b->c,
                                             "not used by a %s benefit (expected only with "
                                             "kind: %s)",
                                             variant == F_CLAIMS ? "claims" : "per_capita",
                                             kf == F_CLAIMS ? "claims" : "per_capita");
                if (msg) key_error(b, k, msg);
            } else if (r->type != K_SUB) {
                read_value(b, r, m->vals[i], dest);
            }
        }
        pop(b, old);
    }
    for (size_t i = 0; i < nrows; i++) {
        const sc_row *r = &rows[i];
        if (!(r->flags & F_REQ)) continue;
        unsigned kf = r->flags & (F_CLAIMS | F_PERCAP);
        if (kf && !(kf & variant)) continue;
        if (sc_map_find(m, r->key) >= 0) continue;
        size_t old = push(b, r->key);
        sc_error_at(b->c, m, P(b), "missing (expected %s)", expect(b->c, r));
        pop(b, old);
    }
}

/* The map under `key` of parent: NULL when absent or not a map (reported). */
static const sc_node *submap(bctx *b, const sc_node *parent, const char *key, const char *what)
{
    const sc_node *v = sc_map_get(parent, key);
    if (!v) return NULL;
    if (v->kind == SC_MAP) return v;
    size_t old = push(b, key);
    if (sc_is_null(v))
        sc_error_at(b->c, v, P(b), "empty value (expected %s)", what);
    else
        sc_error_at(b->c, v, P(b), "%s is not allowed here (expected %s)", sc_show(b->c, v), what);
    pop(b, old);
    return NULL;
}

/* Same for lists: NULL when absent, not a list or empty (reported). */
static const sc_node *sublist(bctx *b, const sc_node *parent, const char *key, const char *what,
                              int nonempty)
{
    const sc_node *v = sc_map_get(parent, key);
    if (!v) return NULL;
    size_t old = push(b, key);
    const sc_node *res = v;
    if (sc_is_null(v)) {
        sc_error_at(b->c, v, P(b), "empty value (expected %s)", what);
        res = NULL;
    } else if (v->kind != SC_SEQ) {
        sc_error_at(b->c, v, P(b), "%s is not allowed here (expected %s)", sc_show(b->c, v), what);
        res = NULL;
    } else if (nonempty && v->n == 0) {
        sc_error_at(b->c, v, P(b), "an empty list (expected %s, at least one)", what);
        res = NULL;
    }
    pop(b, old);
    return res;
}

/* Read map `key` of parent with rows (defaults always applied). */
static void group(bctx *b, const sc_node *parent, const char *key, const sc_row *rows, size_t nrows,
                  void *dest, const char *what)
{
    const sc_node *m = submap(b, parent, key, what);
    size_t old = push(b, key);
    apply_rows(b, m, rows, nrows, dest, 1, 0, NULL, NULL);
    pop(b, old);
}

/* ---- unique ids ----------------------------------------------------------- */

typedef struct {
    const char *id;
    const sc_node *node; /* the id value */
    const char *path;    /* KEY of the id value */
    size_t i;
} idref;

static int idref_cmp(const void *a, const void *b)
{
    const idref *x = a, *y = b;
    int r = strcmp(x->id, y->id);
    if (r) return r;
    return x->i < y->i ? -1 : (x->i > y->i);
}

typedef struct {
    idref *v;
    size_t n, cap;
} idlist;

static void idlist_add(bctx *b, idlist *l, const char *id, const sc_node *node)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        idref *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            b->c->nomem = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].id = id;
    l->v[l->n].node = node;
    l->v[l->n].path = sc_strndup(b->c, P(b), b->path.len);
    l->v[l->n].i = l->n;
    l->n++;
}

static void idlist_check(bctx *b, idlist *l, const char *what)
{
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, idref_cmp);
    for (size_t i = 1; i < l->n; i++) {
        size_t first = i - 1;
        while (first > 0 && strcmp(l->v[first - 1].id, l->v[i].id) == 0) first--;
        if (strcmp(l->v[i].id, l->v[i - 1].id) == 0)
            sc_error_at(b->c, l->v[i].node, l->v[i].path ? l->v[i].path : "",
                        "duplicate %s id '%s' (first at %s:%d:%d; expected unique ids)", what,
                        l->v[i].id, l->v[first].node->file, l->v[first].node->line,
                        l->v[first].node->col);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* ---- dated-value checks across years ----------------------------------------- */

/* Every calendar year in which any of the np parameters changes, plus one
 * year before all keys (INT_MIN: the first values). */
static int change_years(const poolsim_param *const *ps, int np, int *years)
{
    int n = 0;
    years[n++] = INT_MIN;
    for (int i = 0; i < np; i++) {
        if (ps[i]->n < 2) continue;
        for (int k = 0; k < ps[i]->n; k++) {
            int dup = 0;
            for (int j = 0; j < n; j++) dup |= years[j] == ps[i]->year[k];
            if (!dup) years[n++] = ps[i]->year[k];
        }
    }
    return n;
}

static const char *in_year(sc_ctx *c, int y)
{
    return y == INT_MIN ? "" : sc_sprintf(c, " in %d", y);
}

/* ---- pooling ------------------------------------------------------------------ */

/* The pooling map m (may be NULL) read over *po (defaults: set every row's
 * default first), then the one-way rule of MODEL.md section 10: a dated
 * mode may go from county_accounts to unified, never back. Reported at the
 * mode value of this map, so a line inheriting a bad city-wide schedule
 * does not repeat the message. */
static void read_pooling(bctx *b, const sc_node *m, poolsim_pooling_cfg *po, int defaults)
{
    apply_rows(b, m, pooling_rows, NROWS(pooling_rows), po, defaults, 0, NULL, NULL);
    const sc_node *mv = m ? sc_map_get(m, "mode") : NULL;
    if (!mv) return;
    const poolsim_param *md = &po->mode;
    for (int i = 1; i < md->n; i++) {
        if (md->val[i] >= md->val[i - 1]) continue;
        size_t old = push(b, "mode");
        sc_error_at(b->c, mv, P(b),
                    "switches back from unified to county_accounts in %d (expected a one-way "
                    "transition: county_accounts years, then unified years)",
                    md->year[i]);
        pop(b, old);
        return;
    }
}

/* ---- sharing ------------------------------------------------------------------ */

static void build_sharing(bctx *b, const sc_node *root)
{
    poolsim_sharing_cfg *sh = &b->s->sharing;
    const sc_node *m = submap(b, root, "sharing", "a map with mode, brackets");
    size_t old = push(b, "sharing");
    apply_rows(b, m, sharing_rows, NROWS(sharing_rows), sh, 1, 0, NULL, NULL);
    /* default brackets: the Zhuzhou rule (MODEL.md section 9) */
    static const double def_up[] = {0.10, 0.30, 0.50, INFINITY};
    static const double def_res[] = {1.0, 0.7, 0.3, 0.0};
    sh->nbrackets = 4;
    for (int i = 0; i < 4; i++) {
        sh->up_to[i] = poolsim_param_const(def_up[i]);
        sh->reserve[i] = poolsim_param_const(def_res[i]);
    }
    const sc_node *l = m ? sublist(b, m, "brackets", "a list of {up_to, reserve} maps", 1) : NULL;
    if (l) {
        size_t o2 = push(b, "brackets");
        if (l->n > POOLSIM_MAX_BRACKETS) {
            sc_error_at(b->c, l, P(b), "%zu brackets (expected at most %d)", l->n,
                        POOLSIM_MAX_BRACKETS);
            pop(b, o2);
            pop(b, old);
            return;
        }
        int n = (int)l->n, bad = 0;
        const sc_node *upnode[POOLSIM_MAX_BRACKETS];
        for (int i = 0; i < n; i++) {
            const sc_node *it = l->vals[i];
            size_t o3 = sc_path_index(&b->path, (size_t)i + 1);
            upnode[i] = sc_map_get(it, "up_to");
            if (it->kind != SC_MAP) {
                sc_error_at(b->c, it, P(b),
                            "%s is not allowed here (expected a map {up_to, reserve})",
                            sc_show(b->c, it));
                bad = 1;
            } else {
                size_t before = b->c->nerr + b->c->dropped;
                sc_bracket t;
                apply_rows(b, it, bracket_rows, NROWS(bracket_rows), &t, 1, 0, NULL, NULL);
                if (b->c->nerr + b->c->dropped != before) bad = 1;
                sh->up_to[i] = t.up_to;
                sh->reserve[i] = t.reserve;
                /* only the last bracket is open-ended */
                for (int k = 0; k < t.up_to.n && i < n - 1 && upnode[i]; k++) {
                    if (isinf(t.up_to.val[k])) {
                        size_t o4 = push(b, "up_to");
                        sc_error_at(b->c, upnode[i], P(b),
                                    ".inf is allowed only in the last "
                                    "bracket (expected a finite number >= 0 here)");
                        pop(b, o4);
                        bad = 1;
                        break;
                    }
                }
                for (int k = 0; k < t.up_to.n && i == n - 1 && upnode[i]; k++) {
                    if (!isinf(t.up_to.val[k])) {
                        char num[32];
                        sc_fmt_double(num, sizeof num, t.up_to.val[k]);
                        size_t o4 = push(b, "up_to");
                        sc_error_at(b->c, upnode[i], P(b),
                                    "the last bracket ends at %s (expected "
                                    ".inf: the last bracket is open-ended)",
                                    num);
                        pop(b, o4);
                        break;
                    }
                }
            }
            pop(b, o3);
        }
        sh->nbrackets = n;
        if (!bad) {
            /* strictly ascending in every year any upper bound changes */
            const poolsim_param *ps[POOLSIM_MAX_BRACKETS];
            int years[POOLSIM_MAX_BRACKETS * POOLSIM_MAX_SCHED + 1];
            for (int i = 0; i < n; i++) ps[i] = &sh->up_to[i];
            int ny = change_years(ps, n, years);
            for (int i = 1; i < n; i++) {
                for (int k = 0; k < ny; k++) {
                    double lo = poolsim_param_at(ps[i - 1], years[k]);
                    double hi = poolsim_param_at(ps[i], years[k]);
                    if (!(hi > lo)) {
                        char a[32], z[32];
                        sc_fmt_double(a, sizeof a, hi);
                        sc_fmt_double(z, sizeof z, lo);
                        size_t o3 = sc_path_index(&b->path, (size_t)i + 1);
                        size_t o4 = push(b, "up_to");
                        sc_error_at(b->c, upnode[i], P(b),
                                    "%s is not above the previous "
                                    "bracket's %s%s (expected strictly ascending up_to)",
                                    a, z, in_year(b->c, years[k]));
                        pop(b, o4);
                        pop(b, o3);
                        break;
                    }
                }
            }
        }
        pop(b, o2);
    }
    pop(b, old);
}

/* ---- lines, classes, benefits ------------------------------------------------ */

static const char *const county_columns[] = {
    "id", "name", "wage", "cost_index", "util_index", "balance", "prior_financing", NULL};

static int line_class(const poolsim_scenario *s, const poolsim_line *L, const char *id)
{
    for (int j = 0; j < L->nclasses; j++)
        if (strcmp(s->classes[L->classes[j]].id, id) == 0) return j;
    return -1;
}

static char *line_class_list(bctx *b, const poolsim_line *L)
{
    sc_buf t = {0};
    for (int j = 0; j < L->nclasses; j++) {
        if (j) sc_buf_puts(&t, ", ");
        sc_buf_puts(&t, b->s->classes[L->classes[j]].id);
    }
    char *r = sc_strndup(b->c, t.s ? t.s : "", t.len);
    sc_buf_free(&t);
    return r;
}

static void build_classes(bctx *b, const sc_node *line_map, int li, idlist *class_ids)
{
    poolsim_scenario *s = b->s;
    poolsim_line *L = &s->lines[li];
    const sc_node *l = sublist(b, line_map, "classes", "a list of member classes", 1);
    if (!l) {
        b->classes_incomplete = 1;
        return;
    }
    L->classes = xcalloc(b, l->n, sizeof *L->classes);
    if (!L->classes) return;
    size_t old = push(b, "classes");
    for (size_t j = 0; j < l->n; j++) {
        size_t o2;
        const sc_node *it = map_item(b, l, j, "id, per_capita, ...", &o2);
        if (!it) {
            b->classes_incomplete = 1;
            continue;
        }
        poolsim_class *cl = &s->classes[s->nclasses];
        cl->line = li;
        apply_rows(b, it, class_rows, NROWS(class_rows), &cl->p, 1, 0, NULL, NULL);
        const sc_node *idn = sc_map_get(it, "id");
        const char *id = NULL;
        if (idn) {
            size_t o3 = push(b, "id");
            id = get_id(b, idn);
            if (id) {
                for (int k = 0; county_columns[k]; k++)
                    if (strcmp(id, county_columns[k]) == 0) {
                        sc_error_at(b->c, idn, P(b),
                                    "'%s' cannot be a class id: it names a "
                                    "counties column (expected another identifier)",
                                    id);
                        id = NULL;
                        break;
                    }
            }
            if (id) idlist_add(b, class_ids, id, idn);
            pop(b, o3);
        }
        if (id) {
            cl->id = xstrdup(b, id);
            if (!cl->id) break;
            L->classes[L->nclasses++] = s->nclasses++;
        } else {
            b->classes_incomplete = 1;
        }
        pop(b, o2);
    }
    pop(b, old);
}

static void build_rate(bctx *b, const sc_node *rate, poolsim_benefit *bn, const poolsim_line *L)
{
    poolsim_scenario *s = b->s;
    size_t old = push(b, "rate");
    const sc_row *cm = find_row(benefit_rows, NROWS(benefit_rows), "rate");
    if (rate->kind != SC_MAP || rate->n == 0) {
        if (sc_is_null(rate) || (rate->kind == SC_MAP && rate->n == 0))
            sc_error_at(b->c, rate, P(b), "empty value (expected %s)", cm->what);
        else
            sc_error_at(b->c, rate, P(b), "%s is not allowed here (expected %s)",
                        sc_show(b->c, rate), cm->what);
        pop(b, old);
        return;
    }
    static const sc_row raterow = {"rate", K_PARAM, 0, R_GE0, 0, 0, NULL, NULL};
    for (size_t i = 0; i < rate->n; i++) {
        sc_node *k = rate->keys[i];
        size_t o2 = push(b, k->text);
        int j = line_class(s, L, k->text);
        if (j < 0 && b->classes_incomplete) {
            /* reported where the class list broke */
        } else if (j < 0) {
            const char *other = NULL;
            for (int m = 0; m < s->nclasses; m++)
                if (strcmp(s->classes[m].id, k->text) == 0) other = s->lines[s->classes[m].line].id;
            char *list = line_class_list(b, L);
            char *msg = other ? sc_sprintf(b->c,
                                           "'%s' is a class of line %s, not of this line "
                                           "(expected one of: %s)",
                                           k->text, other, list)
                              : sc_sprintf(b->c,
                                           "'%s' is not a class of this line (expected "
                                           "one of: %s)",
                                           k->text, list);
            if (msg) key_error(b, k, msg);
        } else {
            poolsim_param p;
            if (get_param(b, rate->vals[i], &raterow, &p) == 0) bn->rate[j] = p;
        }
        pop(b, o2);
    }
    pop(b, old);
}

static void build_applies(bctx *b, const sc_node *ap, poolsim_benefit *bn, const poolsim_line *L)
{
    size_t old = push(b, "applies_to");
    char *list = line_class_list(b, L);
    if (ap->kind != SC_SEQ || ap->n == 0) {
        if (sc_is_null(ap) || ap->kind == SC_SEQ)
            sc_error_at(b->c, ap, P(b),
                        "empty value (expected a list of class ids of the line: %s)", list);
        else
            sc_error_at(b->c, ap, P(b),
                        "%s is not allowed here (expected a list of class ids of "
                        "the line: %s)",
                        sc_show(b->c, ap), list);
        pop(b, old);
        return;
    }
    int *applies = xcalloc(b, (size_t)L->nclasses, sizeof *applies);
    if (!applies) {
        pop(b, old);
        return;
    }
    int bad = 0;
    for (size_t i = 0; i < ap->n; i++) {
        const sc_node *v = ap->vals[i];
        size_t o2 = sc_path_index(&b->path, i + 1);
        const char *t = get_text(b, v, "a class id of the line");
        int j = t ? line_class(b->s, L, t) : -1;
        if (t && j < 0 && !b->classes_incomplete)
            sc_error_at(b->c, v, P(b), "%s is not a class of this line (expected one of: %s)",
                        sc_show(b->c, v), list);
        if (j < 0)
            bad = 1;
        else
            applies[j] = 1;
        pop(b, o2);
    }
    if (!bad) memcpy(bn->applies, applies, (size_t)L->nclasses * sizeof *applies);
    free(applies);
    pop(b, old);
}

static unsigned benefit_variant(const sc_node *it)
{
    const sc_node *k = sc_map_get(it, "kind");
    if (!k || k->kind != SC_SCALAR) return 0;
    if (strcmp(k->text, "claims") == 0) return F_CLAIMS;
    if (strcmp(k->text, "per_capita") == 0) return F_PERCAP;
    return 0;
}

static void build_benefits(bctx *b, const sc_node *line_map, poolsim_line *L)
{
    const sc_node *l = sublist(b, line_map, "benefits", "a list of benefits", 1);
    if (!l) return;
    L->benefits = xcalloc(b, l->n, sizeof *L->benefits);
    if (!L->benefits) return;
    idlist ids = {0};
    size_t old = push(b, "benefits");
    for (size_t j = 0; j < l->n; j++) {
        size_t o2;
        const sc_node *it = map_item(b, l, j, "id, kind, ...", &o2);
        if (!it) continue;
        poolsim_benefit *bn = &L->benefits[L->nbenefits++];
        bn->rate = xcalloc(b, (size_t)L->nclasses, sizeof *bn->rate);
        bn->applies = xcalloc(b, (size_t)L->nclasses, sizeof *bn->applies);
        if (!bn->rate || !bn->applies) break;
        for (int k = 0; k < L->nclasses; k++) {
            bn->rate[k] = poolsim_param_const(0);
            bn->applies[k] = 1;
        }
        unsigned variant = benefit_variant(it);
        apply_rows(b, it, benefit_rows, NROWS(benefit_rows), bn, 1, variant, NULL, NULL);
        if (bn->id) idlist_add(b, &ids, bn->id, sc_map_get(it, "id"));
        const sc_node *rate = sc_map_get(it, "rate");
        if (rate && variant == F_CLAIMS) build_rate(b, rate, bn, L);
        const sc_node *ap = sc_map_get(it, "applies_to");
        if (ap && variant == F_PERCAP) build_applies(b, ap, bn, L);
        if (variant == F_CLAIMS) {
            /* deductible < ceiling in every year either changes */
            const poolsim_param *ps[2] = {&bn->deductible, &bn->ceiling};
            int years[2 * POOLSIM_MAX_SCHED + 1];
            int ny = change_years(ps, 2, years);
            for (int k = 0; k < ny; k++) {
                double d = poolsim_param_at(ps[0], years[k]), u = poolsim_param_at(ps[1], years[k]);
                if (!(d < u)) {
                    const sc_node *at = sc_map_get(it, "ceiling");
                    const char *key = "ceiling";
                    if (!at) {
                        at = sc_map_get(it, "deductible");
                        key = "deductible";
                    }
                    char dn[32], un[32];
                    sc_fmt_double(dn, sizeof dn, d);
                    sc_fmt_double(un, sizeof un, u);
                    size_t o3 = push(b, key);
                    sc_error_at(b->c, at ? at : it, P(b),
                                "deductible %s is not below the ceiling "
                                "%s%s (expected deductible < ceiling)",
                                dn, un, in_year(b->c, years[k]));
                    pop(b, o3);
                    break;
                }
            }
        }
        pop(b, o2);
    }
    idlist_check(b, &ids, "benefit");
    pop(b, old);
}

static void build_lines(bctx *b, const sc_node *root, const poolsim_reserve_cfg *city,
                        const poolsim_pooling_cfg *city_pooling)
{
    poolsim_scenario *s = b->s;
    const sc_node *l = sublist(b, root, "lines", "a list of fund lines", 1);
    if (!l) {
        b->classes_incomplete = 1;
        return;
    }
    size_t ncl = 0, pairs = 0;
    for (size_t i = 0; i < l->n; i++) {
        const sc_node *cls = sc_map_get(l->vals[i], "classes");
        const sc_node *ben = sc_map_get(l->vals[i], "benefits");
        size_t nc = cls && cls->kind == SC_SEQ ? cls->n : 0;
        ncl += nc;
        if (ben && ben->kind == SC_SEQ) pairs += ben->n * nc;
    }
    if (l->n > SC_MAX_LINES || ncl > SC_MAX_CLASSES || pairs > SC_MAX_PAIRS) {
        size_t old = push(b, "lines");
        if (l->n > SC_MAX_LINES)
            sc_error_at(b->c, l, P(b), "%zu lines (expected at most %d)", l->n, SC_MAX_LINES);
        else if (ncl > SC_MAX_CLASSES)
            sc_error_at(b->c, l, P(b), "%zu member classes in all (expected at most %d)", ncl,
                        SC_MAX_CLASSES);
        else
            sc_error_at(b->c, l, P(b),
                        "%zu benefit-class pairs (benefits times the classes of "
                        "their line; expected at most %d)",
                        pairs, SC_MAX_PAIRS);
        pop(b, old);
        b->classes_incomplete = 1;
        return;
    }
    s->lines = xcalloc(b, l->n, sizeof *s->lines);
    s->classes = xcalloc(b, ncl, sizeof *s->classes);
    if (!s->lines || !s->classes) return;
    idlist line_ids = {0}, class_ids = {0};
    size_t old = push(b, "lines");
    for (size_t i = 0; i < l->n && !b->c->nomem; i++) {
        size_t o2;
        const sc_node *it = map_item(b, l, i, "id, classes, benefits, ...", &o2);
        if (!it) {
            b->classes_incomplete = 1;
            continue;
        }
        int li = s->nlines++;
        poolsim_line *L = &s->lines[li];
        L->reserve = *city;
        L->pooling = *city_pooling;
        apply_rows(b, it, line_rows, NROWS(line_rows), L, 1, 0, NULL, NULL);
        if (L->id) idlist_add(b, &line_ids, L->id, sc_map_get(it, "id"));
        if (!L->id) L->id = xstrdup(b, "?");
        if (!L->name && L->id) L->name = xstrdup(b, L->id);
        const sc_node *rm = submap(b, it, "reserve", "a map of reserve keys");
        size_t o3 = push(b, "reserve");
        apply_rows(b, rm, reserve_rows, NROWS(reserve_rows), &L->reserve, 0, 0, NULL, NULL);
        pop(b, o3);
        const sc_node *pm = submap(b, it, "pooling", "a map of pooling keys");
        o3 = push(b, "pooling");
        read_pooling(b, pm, &L->pooling, 0);
        pop(b, o3);
        build_classes(b, it, li, &class_ids);
        build_benefits(b, it, L);
        const sc_node *gb = submap(b, it, "global_budget",
                                   "a map with share_of_financing, "
                                   "retention, overspend_paid");
        if (gb) {
            o3 = push(b, "global_budget");
            apply_rows(b, gb, budget_rows, NROWS(budget_rows), &L->global_budget, 1, 0, NULL, NULL);
            L->global_budget.enabled = 1;
            pop(b, o3);
        }
        pop(b, o2);
    }
    idlist_check(b, &line_ids, "line");
    idlist_check(b, &class_ids, "class");
    pop(b, old);
}

/* ---- counties ----------------------------------------------------------------- */

typedef struct {
    poolsim_county *co;
    int *given; /* [nclasses] enrolment given */
    int wage_given;
} county_arg;

static int find_line(const poolsim_scenario *s, const char *id)
{
    for (int l = 0; l < s->nlines; l++)
        if (strcmp(s->lines[l].id, id) == 0) return l;
    return -1;
}

static int find_class(const poolsim_scenario *s, const char *id, size_t len)
{
    for (int m = 0; m < s->nclasses; m++)
        if (strlen(s->classes[m].id) == len && memcmp(s->classes[m].id, id, len) == 0) return m;
    return -1;
}

static char *all_lines(bctx *b)
{
    sc_buf t = {0};
    for (int l = 0; l < b->s->nlines; l++) {
        if (l) sc_buf_puts(&t, ", ");
        sc_buf_puts(&t, b->s->lines[l].id);
    }
    char *r = sc_strndup(b->c, t.s ? t.s : "", t.len);
    sc_buf_free(&t);
    return r;
}

static char *all_classes(bctx *b)
{
    sc_buf t = {0};
    for (int m = 0; m < b->s->nclasses; m++) {
        if (m) sc_buf_puts(&t, ", ");
        sc_buf_puts(&t, b->s->classes[m].id);
    }
    char *r = sc_strndup(b->c, t.s ? t.s : "", t.len);
    sc_buf_free(&t);
    return r;
}

static int county_unknown(bctx *b, sc_node *key)
{
    if (b->classes_incomplete || key_done(b, key)) return 1;
    char *msg = sc_sprintf(b->c,
                           "unknown key (expected id, name, wage, cost_index, util_index, "
                           "a class id (%s), <class>.<parameter>, balance.<line> or "
                           "prior_financing.<line>)",
                           all_classes(b));
    if (msg) key_error(b, key, msg);
    return 1;
}

/* County keys other than the fixed rows: <class>, <class>.<parameter>,
 * balance.<line>, prior_financing.<line>. */
static int county_key(bctx *b, sc_node *key, const sc_node *val, void *argp)
{
    county_arg *a = argp;
    poolsim_scenario *s = b->s;
    const char *name = key->text;
    const char *dot = strchr(name, '.');
    static const sc_row enrow = {"enrolment", K_NUM, 0, R_GE0, 0, 0, NULL, NULL};
    if (!dot) {
        int m = find_class(s, name, strlen(name));
        if (m < 0) return county_unknown(b, key);
        double v;
        if (get_number(b, val, &enrow, &v) == 0) a->co->enrol[m] = v;
        a->given[m] = 1;
        return 1;
    }
    size_t plen = (size_t)(dot - name);
    const char *rest = dot + 1;
    int is_bal = plen == 7 && memcmp(name, "balance", 7) == 0;
    int is_pf = plen == 15 && memcmp(name, "prior_financing", 15) == 0;
    if (is_bal || is_pf) {
        int l = find_line(s, rest);
        if (l < 0) {
            char *msg = sc_sprintf(b->c, "no line '%s' (expected %s.<line> with a line id: %s)",
                                   rest, is_bal ? "balance" : "prior_financing", all_lines(b));
            if (msg) key_error(b, key, msg);
            return 1;
        }
        double v;
        if (get_number(b, val, &enrow, &v) == 0) {
            if (is_bal) {
                a->co->balance[l] = v;
            } else {
                a->co->prior_financing[l] = v;
                a->co->has_prior[l] = 1;
            }
        }
        return 1;
    }
    int m = find_class(s, name, plen);
    if (m < 0) return county_unknown(b, key);
    const sc_row *r = find_row(class_rows, NROWS(class_rows), rest);
    if (!r || r->type == K_SUB) {
        sc_buf t = {0};
        for (size_t i = 0; i < NROWS(class_rows); i++) {
            if (class_rows[i].type == K_SUB) continue;
            if (t.len) sc_buf_puts(&t, ", ");
            sc_buf_puts(&t, class_rows[i].key);
        }
        char *msg = sc_sprintf(b->c,
                               "'%s' is not a class parameter (expected <class>.<parameter> "
                               "with a parameter among: %s)",
                               rest, t.s ? t.s : "");
        sc_buf_free(&t);
        if (msg) key_error(b, key, msg);
        return 1;
    }
    read_value(b, r, val, &a->co->cls[m]);
    return 1;
}

static int any_positive(const poolsim_param *p)
{
    for (int k = 0; k < p->n; k++)
        if (p->val[k] > 0) return 1;
    return 0;
}

static void build_counties(bctx *b, const sc_node *root)
{
    poolsim_scenario *s = b->s;
    const sc_node *l = sc_map_get(root, "counties");
    if (!l) {
        size_t old = push(b, "counties");
        sc_error_at(b->c, root, P(b), "missing (expected an inline counties list or counties_csv)");
        pop(b, old);
        return;
    }
    l = sublist(b, root, "counties", "a list of counties", 1);
    if (!l) return;
    if (l->n > SC_MAX_COUNTIES || l->n * (size_t)s->nclasses > SC_MAX_PAIRS) {
        size_t old = push(b, "counties");
        if (l->n > SC_MAX_COUNTIES)
            sc_error_at(b->c, l, P(b), "%zu counties (expected at most %d)", l->n, SC_MAX_COUNTIES);
        else
            sc_error_at(b->c, l, P(b),
                        "%zu counties with %d member classes (expected at most %d "
                        "county-class pairs)",
                        l->n, s->nclasses, SC_MAX_PAIRS);
        pop(b, old);
        return;
    }
    s->counties = xcalloc(b, l->n, sizeof *s->counties);
    int *given = xcalloc(b, (size_t)s->nclasses, sizeof *given);
    if (!s->counties || !given) {
        free(given);
        return;
    }
    idlist ids = {0};
    size_t old = push(b, "counties");
    for (size_t i = 0; i < l->n && !b->c->nomem; i++) {
        size_t o2;
        const sc_node *it = map_item(b, l, i, "id, name, ...", &o2);
        if (!it) continue;
        poolsim_county *co = &s->counties[s->ncounties++];
        size_t nc = (size_t)s->nclasses, nl = (size_t)s->nlines;
        co->enrol = xcalloc(b, nc, sizeof *co->enrol);
        co->cls = xcalloc(b, nc, sizeof *co->cls);
        co->balance = xcalloc(b, nl, sizeof *co->balance);
        co->prior_financing = xcalloc(b, nl, sizeof *co->prior_financing);
        co->has_prior = xcalloc(b, nl, sizeof *co->has_prior);
        if (!co->enrol || !co->cls || !co->balance || !co->prior_financing || !co->has_prior) break;
        for (int m = 0; m < s->nclasses; m++) co->cls[m] = s->classes[m].p;
        memset(given, 0, nc * sizeof *given);
        county_arg a = {co, given, 0};
        apply_rows(b, it, county_rows, NROWS(county_rows), co, 1, 0, county_key, &a);
        if (co->id) idlist_add(b, &ids, co->id, sc_map_get(it, "id"));
        if (!co->id) co->id = xstrdup(b, "?");
        if (!co->name && co->id) co->name = xstrdup(b, co->id);
        for (int m = 0; m < s->nclasses; m++) {
            if (given[m] || find_class(s, s->classes[m].id, strlen(s->classes[m].id)) != m)
                continue;
            size_t o3 = push(b, s->classes[m].id);
            sc_error_at(b->c, it, P(b),
                        "missing (expected the enrolment of class %s in year 1, "
                        "a number >= 0)",
                        s->classes[m].id);
            pop(b, o3);
        }
        if (sc_map_find(it, "wage") < 0) {
            for (int m = 0; m < s->nclasses; m++) {
                if (!any_positive(&co->cls[m].wage_rate)) continue;
                size_t o3 = push(b, "wage");
                sc_error_at(b->c, it, P(b),
                            "missing (expected the average yearly wage in year 1, "
                            "a number >= 0: class %s has wage_rate > 0)",
                            s->classes[m].id);
                pop(b, o3);
                break;
            }
        }
        pop(b, o2);
    }
    free(given);
    idlist_check(b, &ids, "county");
    pop(b, old);
}

/* ---- fund health, management rules ---------------------------------------------- */

static void build_management(bctx *b, const sc_node *root)
{
    poolsim_scenario *s = b->s;
    group(b, root, "health", health_rows, NROWS(health_rows), s, "a map with warn_months");
    const sc_node *l = sublist(b, root, "management", "a list of management rules", 0);
    if (!l || l->n == 0) return;
    s->rules = xcalloc(b, l->n, sizeof *s->rules);
    if (!s->rules) return;
    idlist ids = {0};
    size_t old = push(b, "management");
    for (size_t i = 0; i < l->n && !b->c->nomem; i++) {
        size_t o2;
        const sc_node *it =
            map_item(b, l, i, "id, line, indicator, below, action, change, ...", &o2);
        if (!it) continue;
        sc_rule t;
        memset(&t, 0, sizeof t);
        apply_rows(b, it, rule_rows, NROWS(rule_rows), &t, 1, 0, NULL, NULL);
        if (t.r.id) idlist_add(b, &ids, t.r.id, sc_map_get(it, "id"));
        t.r.line = -1;
        if (t.line_id) {
            t.r.line = find_line(s, t.line_id);
            if (t.r.line < 0 && s->nlines > 0) {
                size_t o3 = push(b, "line");
                sc_error_at(b->c, sc_map_get(it, "line"), P(b),
                            "no line '%s' (expected a line id: %s)", t.line_id, all_lines(b));
                pop(b, o3);
            }
            free(t.line_id);
        }
        /* kept even when its line is wrong (the load fails then): the id
         * list holds the id until idlist_check */
        if (t.r.line < 0) t.r.line = 0;
        if (t.r.id) s->rules[s->nrules++] = t.r;
        pop(b, o2);
    }
    idlist_check(b, &ids, "management rule");
    pop(b, old);
}

/* ---- top level ----------------------------------------------------------------- */

static char *base_name(bctx *b, const char *path)
{
    const char *p = strrchr(path, '/');
    p = p ? p + 1 : path;
    const char *dot = strrchr(p, '.');
    size_t n = dot && dot != p ? (size_t)(dot - p) : strlen(p);
    char *d = malloc(n + 1);
    if (!d) {
        b->c->nomem = 1;
        return NULL;
    }
    memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

int sc_build(sc_ctx *c, const sc_node *root, const char *path, poolsim_scenario *s)
{
    bctx b;
    memset(&b, 0, sizeof b);
    b.c = c;
    b.s = s;
    size_t before = c->nerr + c->dropped;

    apply_rows(&b, root, top_rows, NROWS(top_rows), s, 1, 0, NULL, NULL);
    if (!s->name) s->name = base_name(&b, path);

    static const char *const file_only[] = {"extends", "counties_csv"};
    for (int i = 0; i < 2; i++) {
        int k = sc_map_find(root, file_only[i]);
        if (k >= 0) {
            size_t old = push(&b, file_only[i]);
            sc_error_at(c, root->keys[k], key_path(&b, root->keys[k]),
                        "can only be given in a scenario file, not with --set");
            pop(&b, old);
        }
    }

    group(&b, root, "simulation", simulation_rows, NROWS(simulation_rows), s,
          "a map with paths, seed, claims_noise");
    const sc_node *eco = submap(&b, root, "economy", "a map");
    size_t old = push(&b, "economy");
    apply_rows(&b, eco, economy_rows, NROWS(economy_rows), s, 1, 0, NULL, NULL);
    apply_rows(&b, NULL, ar1_rows, NROWS(ar1_rows), &s->medical_inflation, 1, 0, NULL, NULL);
    apply_rows(&b, NULL, ar1_rows, NROWS(ar1_rows), &s->wage_growth, 1, 0, NULL, NULL);
    if (eco) {
        group(&b, eco, "medical_inflation", ar1_rows, NROWS(ar1_rows), &s->medical_inflation,
              "a map with mean, ar1, sd");
        group(&b, eco, "wage_growth", ar1_rows, NROWS(ar1_rows), &s->wage_growth,
              "a map with mean, ar1, sd");
    }
    pop(&b, old);
    const sc_node *sh = submap(&b, root, "shocks", "a map");
    old = push(&b, "shocks");
    apply_rows(&b, sh, shocks_rows, NROWS(shocks_rows), s, 1, 0, NULL, NULL);
    apply_rows(&b, NULL, utilisation_rows, NROWS(utilisation_rows), s, 1, 0, NULL, NULL);
    apply_rows(&b, NULL, epidemic_rows, NROWS(epidemic_rows), s, 1, 0, NULL, NULL);
    if (sh) {
        group(&b, sh, "utilisation", utilisation_rows, NROWS(utilisation_rows), s,
              "a map with ar1, sd, rho");
        group(&b, sh, "epidemic", epidemic_rows, NROWS(epidemic_rows), s,
              "a map with prob, mean, sd");
    }
    pop(&b, old);

    poolsim_reserve_cfg city;
    memset(&city, 0, sizeof city);
    group(&b, root, "reserve", reserve_rows, NROWS(reserve_rows), &city, "a map of reserve keys");
    build_sharing(&b, root);
    poolsim_pooling_cfg city_pooling;
    memset(&city_pooling, 0, sizeof city_pooling);
    const sc_node *pm = submap(&b, root, "pooling", "a map of pooling keys");
    old = push(&b, "pooling");
    read_pooling(&b, pm, &city_pooling, 1);
    pop(&b, old);
    build_lines(&b, root, &city, &city_pooling);
    if (!c->nomem) build_counties(&b, root);
    if (!c->nomem) build_management(&b, root);
    sc_buf_free(&b.path);
    return (int)(c->nerr + c->dropped - before);
}
