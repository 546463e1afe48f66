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
    c.warn = diag;
    c.strict = opts && opts->strict;
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
    for (int i = 0; i < s->nrules && s->rules; i++) free(s->rules[i].id);
    free(s->rules);
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

static const char *choice_name(const char *const *choices, double v)
{
    int k = (int)v, n = 0;
    while (choices[n]) n++;
    return k >= 0 && k < n && k == v ? choices[k] : "?";
}

/* A dated choice (pooling.mode, gap_key): its value names, like put_param. */
static void put_choice(FILE *f, const poolsim_param *p, const char *const *choices)
{
    if (p->n <= 1) {
        fputs(choice_name(choices, p->val[0]), f);
        return;
    }
    fputc('{', f);
    for (int i = 0; i < p->n; i++)
        fprintf(f, "%s%d: %s", i ? ", " : "", p->year[i], choice_name(choices, p->val[i]));
    fputc('}', f);
}

#define AT(T, base, r) ((const T *)(const void *)((const char *)(base) + (r)->off))

/* The value of a row that is not K_SUB, as the loader reads it back. */
static void put_value(FILE *f, const sc_row *r, const void *base)
{
    switch (r->type) {
    case K_NUM: put_num(f, *AT(double, base, r)); break;
    case K_PARAM: put_param(f, AT(poolsim_param, base, r)); break;
    case K_DENUM: put_choice(f, AT(poolsim_param, base, r), r->choices); break;
    case K_INT: fprintf(f, "%d", *AT(int, base, r)); break;
    case K_LONG: fprintf(f, "%ld", *AT(long, base, r)); break;
    case K_SEED: fprintf(f, "%llu", *AT(unsigned long long, base, r)); break;
    case K_BOOL: fputs(*AT(int, base, r) ? "true" : "false", f); break;
    case K_ENUM: fputs(choice_name(r->choices, *AT(int, base, r)), f); break;
    case K_LANG:
    case K_STR:
    case K_ID: {
        const char *t = *AT(char *, base, r);
        put_text(f, t ? t : "");
        break;
    }
    default: break;
    }
}

/* 1 when two structs of one table hold the same value for row r. */
static int value_eq(const sc_row *r, const void *a, const void *b)
{
    switch (r->type) {
    case K_PARAM:
    case K_DENUM: return param_eq(AT(poolsim_param, a, r), AT(poolsim_param, b, r));
    case K_NUM: return *AT(double, a, r) == *AT(double, b, r);
    default: return 0; /* not needed: only class parameters are compared */
    }
}

typedef struct printer printer;
/* A K_SUB row's value (maps and lists handled by code). Called with
 * pr->f == NULL to ask whether the key is written at all (1 or 0), then to
 * write what follows "KEY:" ("KEY: value" in a flow map, or a nested block
 * ending in a newline: then it returns 2). */
typedef int (*sub_fn)(const printer *pr, const sc_row *r, const void *obj);

struct printer {
    FILE *f;
    const poolsim_scenario *s;
};

/* The rows of a table over base: a flow map "{k: v, ...}" (ind == NULL) or
 * block lines "IND key: value" (the first line with prefix `first`, e.g.
 * "  - " for a list item). Rows of the other benefit kind are left out
 * (variant F_CLAIMS or F_PERCAP; 0: all). */
static void put_rows(const printer *pr, int table, const void *base, unsigned variant,
                     const char *ind, const char *first, sub_fn sub, const void *obj)
{
    FILE *f = pr->f;
    size_t n;
    const sc_row *rows = sc_table(table, &n);
    int k = 0;
    if (!ind) fputc('{', f);
    for (size_t i = 0; i < n; i++) {
        const sc_row *r = &rows[i];
        unsigned kf = r->flags & (F_CLAIMS | F_PERCAP);
        if (variant && kf && !(kf & variant)) continue;
        if (r->type == K_SUB) {
            printer ask = {NULL, pr->s};
            if (!sub || !sub(&ask, r, obj)) continue;
        }
        if (!ind)
            fputs(k ? ", " : "", f);
        else
            fputs(k == 0 && first ? first : ind, f);
        fprintf(f, "%s:", r->key);
        k++;
        int done = 0;
        if (r->type == K_SUB) {
            done = sub(pr, r, obj) == 2;
        } else {
            fputc(' ', f);
            put_value(f, r, base);
        }
        if (ind && !done) fputc('\n', f);
    }
    if (!ind) fputc('}', f);
}

static int is_key(const sc_row *r, const char *key)
{
    return strcmp(r->key, key) == 0;
}

/* ---- K_SUB values, by table ---- */

static int sub_economy(const printer *pr, const sc_row *r, const void *obj)
{
    const poolsim_scenario *s = obj;
    const poolsim_ar1 *a = is_key(r, "medical_inflation") ? &s->medical_inflation
                           : is_key(r, "wage_growth")     ? &s->wage_growth
                                                          : NULL;
    if (!pr->f || !a) return a != NULL;
    fputc(' ', pr->f);
    put_rows(pr, SC_T_AR1, a, 0, NULL, NULL, NULL, NULL);
    return 1;
}

static int sub_shocks(const printer *pr, const sc_row *r, const void *obj)
{
    int t = is_key(r, "utilisation") ? SC_T_UTILISATION
            : is_key(r, "epidemic")  ? SC_T_EPIDEMIC
                                     : -1;
    if (!pr->f || t < 0) return t >= 0;
    fputc(' ', pr->f);
    put_rows(pr, t, obj, 0, NULL, NULL, NULL, NULL);
    return 1;
}

static int sub_sharing(const printer *pr, const sc_row *r, const void *obj)
{
    const poolsim_sharing_cfg *sh = obj;
    if (!is_key(r, "brackets")) return 0;
    if (!pr->f) return 1;
    fputc('\n', pr->f);
    for (int i = 0; i < sh->nbrackets; i++) {
        sc_bracket bk = {sh->up_to[i], sh->reserve[i]};
        fputs("    - ", pr->f);
        put_rows(pr, SC_T_BRACKET, &bk, 0, NULL, NULL, NULL, NULL);
        fputc('\n', pr->f);
    }
    return 2;
}

typedef struct {
    const poolsim_line *L;
    const poolsim_class *cl;
    const poolsim_benefit *bn;
} line_obj;

static int sub_class(const printer *pr, const sc_row *r, const void *obj)
{
    const line_obj *o = obj;
    if (!is_key(r, "id")) return 0;
    if (!pr->f) return 1;
    fputc(' ', pr->f);
    put_text(pr->f, o->cl->id);
    return 1;
}

static int sub_benefit(const printer *pr, const sc_row *r, const void *obj)
{
    const line_obj *o = obj;
    const poolsim_scenario *s = pr->s;
    FILE *f = pr->f;
    int rate = is_key(r, "rate"), applies = is_key(r, "applies_to");
    if (!f || !(rate || applies)) return rate || applies;
    fputs(rate ? " {" : " [", f);
    int first = 1;
    for (int j = 0; j < o->L->nclasses; j++) {
        if (applies && !o->bn->applies[j]) continue;
        fputs(first ? "" : ", ", f);
        put_text(f, s->classes[o->L->classes[j]].id);
        if (rate) {
            fputs(": ", f);
            put_param(f, &o->bn->rate[j]);
        }
        first = 0;
    }
    fputs(rate ? "}" : "]", f);
    return 1;
}

static int sub_line(const printer *pr, const sc_row *r, const void *obj)
{
    const line_obj *o = obj;
    const poolsim_line *L = o->L;
    const poolsim_scenario *s = pr->s;
    FILE *f = pr->f;
    int known = is_key(r, "reserve") || is_key(r, "pooling") || is_key(r, "classes") ||
                is_key(r, "benefits") || (is_key(r, "global_budget") && L->global_budget.enabled);
    if (!f || !known) return known;
    if (is_key(r, "reserve") || is_key(r, "pooling") || is_key(r, "global_budget")) {
        fputc(' ', f);
        if (is_key(r, "reserve"))
            put_rows(pr, SC_T_RESERVE, &L->reserve, 0, NULL, NULL, NULL, NULL);
        else if (is_key(r, "pooling"))
            put_rows(pr, SC_T_POOLING, &L->pooling, 0, NULL, NULL, NULL, NULL);
        else
            put_rows(pr, SC_T_BUDGET, &L->global_budget, 0, NULL, NULL, NULL, NULL);
        return 1;
    }
    fputc('\n', f);
    if (is_key(r, "classes")) {
        for (int j = 0; j < L->nclasses; j++) {
            line_obj co = {L, &s->classes[L->classes[j]], NULL};
            fputs("      - ", f);
            put_rows(pr, SC_T_CLASS, &co.cl->p, 0, NULL, NULL, sub_class, &co);
            fputc('\n', f);
        }
    } else {
        for (int k = 0; k < L->nbenefits; k++) {
            line_obj bo = {L, NULL, &L->benefits[k]};
            unsigned variant = L->benefits[k].kind == POOLSIM_BENEFIT_CLAIMS ? F_CLAIMS : F_PERCAP;
            fputs("      - ", f);
            put_rows(pr, SC_T_BENEFIT, bo.bn, variant, NULL, NULL, sub_benefit, &bo);
            fputc('\n', f);
        }
    }
    return 2;
}

/* A county's keys beyond its table: the enrolment of each class, opening
 * balances, prior financing, and class parameters that differ from the
 * class's own (<class>.<parameter>). */
static void put_county_keys(const printer *pr, const poolsim_county *co)
{
    FILE *f = pr->f;
    const poolsim_scenario *s = pr->s;
    for (int m = 0; m < s->nclasses; m++) {
        fputs("    ", f);
        put_text(f, s->classes[m].id);
        fputs(": ", f);
        put_num(f, co->enrol[m]);
        fputc('\n', f);
    }
    for (int pf = 0; pf < 2; pf++) {
        int first = 1;
        for (int l = 0; l < s->nlines; l++) {
            if (pf && !co->has_prior[l]) continue;
            fputs(first ? (pf ? "    prior_financing: {" : "    balance: {") : ", ", f);
            put_text(f, s->lines[l].id);
            fputs(": ", f);
            put_num(f, pf ? co->prior_financing[l] : co->balance[l]);
            first = 0;
        }
        if (!first) fputs("}\n", f);
    }
    size_t n;
    const sc_row *rows = sc_table(SC_T_CLASS, &n);
    for (int m = 0; m < s->nclasses; m++) {
        for (size_t i = 0; i < n; i++) {
            if (rows[i].type == K_SUB || value_eq(&rows[i], &co->cls[m], &s->classes[m].p))
                continue;
            fprintf(f, "    %s.%s: ", s->classes[m].id, rows[i].key);
            put_value(f, &rows[i], &co->cls[m]);
            fputc('\n', f);
        }
    }
}

/* Top level: `extends` and `counties_csv` are resolved away, and the
 * city-wide `reserve` and `pooling` are written into every line. */
static int sub_top(const printer *pr, const sc_row *r, const void *obj)
{
    const poolsim_scenario *s = obj;
    FILE *f = pr->f;
    int block = is_key(r, "simulation") || is_key(r, "economy") || is_key(r, "shocks") ||
                is_key(r, "sharing") || is_key(r, "health");
    int list = is_key(r, "lines") || is_key(r, "counties") || is_key(r, "management");
    if (!f || !(block || list)) return block || list;
    if (is_key(r, "management") && s->nrules == 0) {
        fputs(" []", f);
        return 1;
    }
    fputc('\n', f);
    if (is_key(r, "simulation"))
        put_rows(pr, SC_T_SIMULATION, s, 0, "  ", NULL, NULL, NULL);
    else if (is_key(r, "economy"))
        put_rows(pr, SC_T_ECONOMY, s, 0, "  ", NULL, sub_economy, s);
    else if (is_key(r, "shocks"))
        put_rows(pr, SC_T_SHOCKS, s, 0, "  ", NULL, sub_shocks, s);
    else if (is_key(r, "sharing"))
        put_rows(pr, SC_T_SHARING, &s->sharing, 0, "  ", NULL, sub_sharing, &s->sharing);
    else if (is_key(r, "health"))
        put_rows(pr, SC_T_HEALTH, s, 0, "  ", NULL, NULL, NULL);
    else if (is_key(r, "management"))
        for (int i = 0; i < s->nrules; i++) {
            sc_rule ru = {s->rules[i], s->lines[s->rules[i].line].id};
            fputs("  - ", f);
            put_rows(pr, SC_T_RULE, &ru, 0, NULL, NULL, NULL, NULL);
            fputc('\n', f);
        }
    else if (is_key(r, "lines"))
        for (int l = 0; l < s->nlines; l++) {
            line_obj lo = {&s->lines[l], NULL, NULL};
            put_rows(pr, SC_T_LINE, lo.L, 0, "    ", "  - ", sub_line, &lo);
        }
    else
        for (int c = 0; c < s->ncounties; c++) {
            put_rows(pr, SC_T_COUNTY, &s->counties[c], 0, "    ", "  - ", NULL, NULL);
            put_county_keys(pr, &s->counties[c]);
        }
    return 2;
}

void poolsim_scenario_print(const poolsim_scenario *s, FILE *f)
{
    c_locale loc;
    c_locale_enter(&loc);
    printer pr = {f, s};
    fputs("# path: ", f);
    put_text(f, s->path ? s->path : "");
    fputc('\n', f);
    put_rows(&pr, SC_T_TOP, s, 0, "", NULL, sub_top, s);
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
