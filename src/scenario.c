/* poolsim: scenario files -> validated poolsim_scenario (public API).
 *
 * The pipeline lives in four private parts (scenario_internal.h):
 * scenario_tree.c (YAML -> located node tree), scenario_csv.c (counties
 * CSV -> the same tree), scenario_merge.c (extends, --set) and
 * scenario_build.c (validation tables -> typed struct). This file runs them
 * under the "C" numeric locale, turns the collected problems into the
 * FILE:LINE:COL report, and prints a resolved scenario. */
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_internal.h"

/* Numbers are read and written with '.' whatever the process locale:
 * switch this thread to the C locale for the duration of a call. */
typedef struct {
    locale_t c, old;
} c_locale;

static void c_locale_enter(c_locale *l)
{
    l->c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    l->old = l->c ? uselocale(l->c) : (locale_t)0;
}

static void c_locale_leave(c_locale *l)
{
    if (l->c) {
        uselocale(l->old);
        freelocale(l->c);
    }
}

int poolsim_scenario_load(const char *path, const poolsim_load_opts *opts, FILE *diag,
                          poolsim_scenario **out /* OUT */)
{
    *out = NULL;
    c_locale loc;
    c_locale_enter(&loc);
    sc_ctx c;
    memset(&c, 0, sizeof c);
    sc_node *root = NULL;
    poolsim_scenario *s = NULL;
    int rc = POOLSIM_OK;

    if (sc_load_tree(&c, path, opts, &root) == 0) {
        s = calloc(1, sizeof *s);
        if (!s)
            c.nomem = 1;
        else
            sc_build(&c, root, path, s);
    }
    if (c.source.nomem) c.nomem = 1;
    if (c.nomem) {
        if (diag) fprintf(diag, "poolsim: out of memory while loading %s\n", path);
        rc = POOLSIM_ENOMEM;
    } else if (c.nerr || c.dropped || !s) {
        if (!c.nerr && !c.dropped) sc_error(&c, path, 0, 0, "could not be loaded");
        sc_flush_errors(&c, diag, path);
        rc = POOLSIM_EINPUT;
    } else {
        size_t n = strlen(path);
        s->path = malloc(n + 1);
        if (s->path) memcpy(s->path, path, n + 1);
        s->source_text = c.source.s ? c.source.s : calloc(1, 1);
        c.source.s = NULL;
        if (!s->path || !s->source_text) {
            if (diag) fprintf(diag, "poolsim: out of memory while loading %s\n", path);
            rc = POOLSIM_ENOMEM;
        }
    }
    if (rc != POOLSIM_OK) {
        poolsim_scenario_free(s);
        s = NULL;
    }
    sc_ctx_free(&c);
    c_locale_leave(&loc);
    *out = s;
    return rc;
}

void poolsim_scenario_free(poolsim_scenario *s)
{
    if (!s) return;
    free(s->name);
    free(s->path);
    free(s->lang);
    free(s->source_text);
    for (int l = 0; l < s->nlines && s->lines; l++) {
        poolsim_line *L = &s->lines[l];
        free(L->id);
        free(L->name);
        free(L->classes);
        for (int k = 0; k < L->nbenefits && L->benefits; k++) {
            free(L->benefits[k].id);
            free(L->benefits[k].rate);
            free(L->benefits[k].applies);
        }
        free(L->benefits);
    }
    free(s->lines);
    for (int m = 0; m < s->nclasses && s->classes; m++) free(s->classes[m].id);
    free(s->classes);
    for (int c = 0; c < s->ncounties && s->counties; c++) {
        poolsim_county *co = &s->counties[c];
        free(co->id);
        free(co->name);
        free(co->enrol);
        free(co->cls);
        free(co->balance);
        free(co->prior_financing);
        free(co->has_prior);
    }
    free(s->counties);
    free(s);
}

int poolsim_scenario_line_index(const poolsim_scenario *s, const char *id)
{
    for (int l = 0; l < s->nlines; l++)
        if (strcmp(s->lines[l].id, id) == 0) return l;
    return -1;
}

int poolsim_scenario_county_index(const poolsim_scenario *s, const char *id)
{
    for (int c = 0; c < s->ncounties; c++)
        if (strcmp(s->counties[c].id, id) == 0) return c;
    return -1;
}

/* ---- printing ------------------------------------------------------------ */

/* A text as a YAML scalar: plain when it reads back as the same string,
 * else double-quoted. UTF-8 is written as is. */
static void put_text(FILE *f, const char *t)
{
    int plain = *t != '\0' && t[0] != ' ' && t[strlen(t) - 1] != ' ';
    for (const char *p = t; *p && plain; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch == 0x7F || strchr(":#{}[],&*!|>'\"%@`\\", ch)) plain = 0;
    }
    if (plain && strchr("-?", t[0])) plain = 0;
    if (plain) {
        sc_node n;
        memset(&n, 0, sizeof n);
        n.text = (char *)(uintptr_t)t;
        n.len = strlen(t);
        if (sc_class(&n) != SV_STR) plain = 0;
    }
    if (plain) {
        fputs(t, f);
        return;
    }
    fputc('"', f);
    for (const char *p = t; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch == '\n')
            fputs("\\n", f);
        else if (ch == '\t')
            fputs("\\t", f);
        else if (ch < 0x20 || ch == 0x7F)
            fprintf(f, "\\x%02X", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v)
{
    char b[40];
    sc_fmt_double(b, sizeof b, v);
    fputs(b, f);
}

static void put_param(FILE *f, const poolsim_param *p)
{
    if (p->n <= 1) {
        put_num(f, p->val[0]);
        return;
    }
    fputc('{', f);
    for (int i = 0; i < p->n; i++) {
        fprintf(f, "%s%d: ", i ? ", " : "", p->year[i]);
        put_num(f, p->val[i]);
    }
    fputc('}', f);
}

static int param_eq(const poolsim_param *a, const poolsim_param *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++) {
        if (a->val[i] != b->val[i]) return 0;
        if (a->n > 1 && a->year[i] != b->year[i]) return 0;
    }
    return 1;
}

static const char *const class_param_names[] = {"per_capita",      "per_capita_growth", "wage_rate",
                                                "collection_rate", "enrol_growth",      "subsidy",
                                                "subsidy_growth"};

static const poolsim_param *class_param(const poolsim_class_params *p, int k)
{
    const poolsim_param *v[] = {&p->per_capita,      &p->per_capita_growth, &p->wage_rate,
                                &p->collection_rate, &p->enrol_growth,      &p->subsidy,
                                &p->subsidy_growth};
    return v[k];
}

/* A dated choice (pooling.mode, gap_key): its value names, like put_param. */
static void put_choice(FILE *f, const poolsim_param *p, const char *const *names, int nnames)
{
    if (p->n <= 1) {
        int k = (int)p->val[0];
        fputs(k >= 0 && k < nnames ? names[k] : "?", f);
        return;
    }
    fputc('{', f);
    for (int i = 0; i < p->n; i++) {
        int k = (int)p->val[i];
        fprintf(f, "%s%d: %s", i ? ", " : "", p->year[i], k >= 0 && k < nnames ? names[k] : "?");
    }
    fputc('}', f);
}

static void put_pooling(FILE *f, const poolsim_pooling_cfg *po)
{
    static const char *const mode[] = {"county_accounts", "unified"};
    static const char *const key[] = {"financing", "enrolees", "deficit"};
    fputs("    pooling: {mode: ", f);
    put_choice(f, &po->mode, mode, 2);
    fputs(", city_share: ", f);
    put_param(f, &po->city_share);
    fputs(", gap_key: ", f);
    put_choice(f, &po->gap_key, key, 3);
    fputs(", county_liability: ", f);
    put_param(f, &po->county_liability);
    fputs(", tolerance: ", f);
    put_param(f, &po->tolerance);
    fputs("}\n", f);
}

static void put_ar1(FILE *f, const char *name, const poolsim_ar1 *a)
{
    fprintf(f, "  %s: {mean: ", name);
    put_num(f, a->mean);
    fputs(", ar1: ", f);
    put_num(f, a->ar1);
    fputs(", sd: ", f);
    put_num(f, a->sd);
    fputs("}\n", f);
}

static void put_line(FILE *f, const poolsim_scenario *s, const poolsim_line *L)
{
    static const char *const cap[] = {"stop", "top_up"};
    static const char *const unc[] = {"county", "city"};
    fputs("  - id: ", f);
    put_text(f, L->id);
    fputs("\n    name: ", f);
    put_text(f, L->name);
    fputs("\n    reserve: {levy_rate: ", f);
    put_param(f, &L->reserve.levy_rate);
    fputs(", cap_ratio: ", f);
    put_param(f, &L->reserve.cap_ratio);
    fprintf(f, ", cap_mode: %s, interest: ", cap[L->reserve.cap_mode & 1]);
    put_param(f, &L->reserve.interest);
    fprintf(f, ", uncovered: %s, initial: ", unc[L->reserve.uncovered & 1]);
    put_param(f, &L->reserve.initial);
    fputs("}\n", f);
    put_pooling(f, &L->pooling);
    if (L->global_budget.enabled) {
        fputs("    global_budget: {share_of_financing: ", f);
        put_param(f, &L->global_budget.share_of_financing);
        fputs(", retention: ", f);
        put_param(f, &L->global_budget.retention);
        fputs(", overspend_paid: ", f);
        put_param(f, &L->global_budget.overspend_paid);
        fputs("}\n", f);
    }
    fputs("    classes:\n", f);
    for (int j = 0; j < L->nclasses; j++) {
        const poolsim_class *cl = &s->classes[L->classes[j]];
        fputs("      - {id: ", f);
        put_text(f, cl->id);
        for (int k = 0; k < 7; k++) {
            fprintf(f, ", %s: ", class_param_names[k]);
            put_param(f, class_param(&cl->p, k));
        }
        fputs("}\n", f);
    }
    fputs("    benefits:\n", f);
    for (int k = 0; k < L->nbenefits; k++) {
        const poolsim_benefit *bn = &L->benefits[k];
        fputs("      - {id: ", f);
        put_text(f, bn->id);
        if (bn->kind == POOLSIM_BENEFIT_CLAIMS) {
            fputs(", kind: claims, rate: {", f);
            for (int j = 0; j < L->nclasses; j++) {
                fprintf(f, "%s", j ? ", " : "");
                put_text(f, s->classes[L->classes[j]].id);
                fputs(": ", f);
                put_param(f, &bn->rate[j]);
            }
            fputs("}, cost_mean: ", f);
            put_param(f, &bn->cost_mean);
            fputs(", cv: ", f);
            put_param(f, &bn->cv);
            fputs(", deductible: ", f);
            put_param(f, &bn->deductible);
            fputs(", coinsurance: ", f);
            put_param(f, &bn->coinsurance);
            fputs(", ceiling: ", f);
            put_param(f, &bn->ceiling);
            fputs(", util_trend: ", f);
            put_param(f, &bn->util_trend);
            fprintf(f, ", epidemic: %s, index_limits: %s}\n", bn->epidemic ? "true" : "false",
                    bn->index_limits ? "true" : "false");
        } else {
            fputs(", kind: per_capita, amount: ", f);
            put_param(f, &bn->amount);
            fputs(", growth: ", f);
            put_param(f, &bn->growth);
            fputs(", applies_to: [", f);
            int first = 1;
            for (int j = 0; j < L->nclasses; j++) {
                if (!bn->applies[j]) continue;
                fputs(first ? "" : ", ", f);
                put_text(f, s->classes[L->classes[j]].id);
                first = 0;
            }
            fputs("]}\n", f);
        }
    }
}

static void put_county(FILE *f, const poolsim_scenario *s, const poolsim_county *co)
{
    fputs("  - id: ", f);
    put_text(f, co->id);
    fputs("\n    name: ", f);
    put_text(f, co->name);
    fputs("\n    wage: ", f);
    put_num(f, co->wage);
    fputs("\n    cost_index: ", f);
    put_num(f, co->cost_index);
    fputs("\n    util_index: ", f);
    put_num(f, co->util_index);
    fputs("\n    enrolment: {", f);
    for (int m = 0; m < s->nclasses; m++) {
        fputs(m ? ", " : "", f);
        put_text(f, s->classes[m].id);
        fputs(": ", f);
        put_num(f, co->enrol[m]);
    }
    fputs("}\n    balance: {", f);
    for (int l = 0; l < s->nlines; l++) {
        fputs(l ? ", " : "", f);
        put_text(f, s->lines[l].id);
        fputs(": ", f);
        put_num(f, co->balance[l]);
    }
    fputs("}\n    prior_financing: {", f);
    int first = 1;
    for (int l = 0; l < s->nlines; l++) {
        if (!co->has_prior[l]) continue;
        fputs(first ? "" : ", ", f);
        put_text(f, s->lines[l].id);
        fputs(": ", f);
        put_num(f, co->prior_financing[l]);
        first = 0;
    }
    fputs("}\n", f);
    /* class parameters that differ from the class's own */
    first = 1;
    for (int m = 0; m < s->nclasses; m++) {
        for (int k = 0; k < 7; k++) {
            const poolsim_param *v = class_param(&co->cls[m], k);
            if (param_eq(v, class_param(&s->classes[m].p, k))) continue;
            fputs(first ? "    overrides: {" : ", ", f);
            fprintf(f, "%s.%s: ", s->classes[m].id, class_param_names[k]);
            put_param(f, v);
            first = 0;
        }
    }
    if (!first) fputs("}\n", f);
}

void poolsim_scenario_print(const poolsim_scenario *s, FILE *f)
{
    static const char *const noise[] = {"compound", "normal", "none"};
    static const char *const mode[] = {"bracket", "marginal"};
    c_locale loc;
    c_locale_enter(&loc);
    fputs("name: ", f);
    put_text(f, s->name);
    fputs("\npath: ", f);
    put_text(f, s->path ? s->path : "");
    fprintf(f, "\nlang: %s\nstart_year: %d\nhorizon_years: %d\n", s->lang ? s->lang : "en",
            s->start_year, s->horizon_years);
    fprintf(f, "simulation:\n  paths: %ld\n  seed: %llu\n  claims_noise: %s\n", s->paths, s->seed,
            noise[s->claims_noise >= 0 && s->claims_noise <= 2 ? s->claims_noise : 0]);
    fputs("economy:\n", f);
    put_ar1(f, "medical_inflation", &s->medical_inflation);
    put_ar1(f, "wage_growth", &s->wage_growth);
    fputs("  wage_inflation_corr: ", f);
    put_num(f, s->wage_inflation_corr);
    fputs("\n  balance_interest: ", f);
    put_num(f, s->balance_interest);
    fputs("\nshocks:\n  utilisation: {ar1: ", f);
    put_num(f, s->utilisation.ar1);
    fputs(", sd: ", f);
    put_num(f, s->utilisation.sd);
    fputs(", rho: ", f);
    put_num(f, s->utilisation.rho);
    fputs("}\n  epidemic: {prob: ", f);
    put_num(f, s->epidemic.prob);
    fputs(", mean: ", f);
    put_num(f, s->epidemic.mean);
    fputs(", sd: ", f);
    put_num(f, s->epidemic.sd);
    fprintf(f, "}\nsharing:\n  mode: %s\n  brackets:\n", mode[s->sharing.mode & 1]);
    for (int i = 0; i < s->sharing.nbrackets; i++) {
        fputs("    - {up_to: ", f);
        put_param(f, &s->sharing.up_to[i]);
        fputs(", reserve: ", f);
        put_param(f, &s->sharing.reserve[i]);
        fputs("}\n", f);
    }
    fputs("lines:\n", f);
    for (int l = 0; l < s->nlines; l++) put_line(f, s, &s->lines[l]);
    fputs("counties:\n", f);
    for (int c = 0; c < s->ncounties; c++) put_county(f, s, &s->counties[c]);
    c_locale_leave(&loc);
}

char *poolsim_scenario_resolved_text(const poolsim_scenario *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    poolsim_scenario_print(s, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
