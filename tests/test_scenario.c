/* Tests of the scenario loader (src/scenario*.c): typed values of a full
 * scenario, defaults, extends, --set, dated values, CSV details, Chinese
 * names, every bad-input file of tests/bad/, and load time.
 *
 * The expected values are read off the scenario files in tests/data/ (the
 * numbers written there), the defaults off the format's documentation
 * (docs/SCENARIO.md "Defaults"). Run from the repository root. */
#include <dirent.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/scenario.h"

#include "../src/scenario_internal.h" /* the key tables (sc_table) */
#include "test_util.h"

#define EQ(a, b) CU_ASSERT_DOUBLE_EQUAL((a), (b), 1e-12 * fmax(1.0, fabs((double)(b))))

/* Load with diagnostics captured; returns the status, the text in *msg
 * (caller frees). */
static int load_capture(const char *path, int nsets, const char *const *sets, long paths,
                        long long seed, poolsim_scenario **s, char **msg)
{
    poolsim_load_opts o = {.nsets = nsets, .sets = sets, .paths = paths, .seed = seed};
    FILE *diag = tmpfile();
    int rc = poolsim_scenario_load(path, &o, diag, s);
    long n = diag ? ftell(diag) : 0;
    char *text = calloc((size_t)(n > 0 ? n : 0) + 1, 1);
    if (diag && text && n > 0) {
        rewind(diag);
        size_t got = fread(text, 1, (size_t)n, diag);
        text[got] = '\0';
    }
    if (diag) fclose(diag);
    if (msg)
        *msg = text;
    else
        free(text);
    return rc;
}

static poolsim_scenario *load_ok(const char *path, int nsets, const char *const *sets)
{
    poolsim_scenario *s = NULL;
    char *msg = NULL;
    int rc = load_capture(path, nsets, sets, -1, -1, &s, &msg);
    if (rc != POOLSIM_OK) fprintf(stderr, "\n%s: unexpected errors:\n%s", path, msg ? msg : "");
    CU_ASSERT_EQUAL(rc, POOLSIM_OK);
    free(msg);
    return s;
}

static int class_index(const poolsim_scenario *s, const char *id)
{
    for (int m = 0; m < s->nclasses; m++)
        if (strcmp(s->classes[m].id, id) == 0) return m;
    return -1;
}

static const poolsim_benefit *benefit(const poolsim_scenario *s, const char *line, const char *id)
{
    int l = poolsim_scenario_line_index(s, line);
    if (l < 0) return NULL;
    for (int k = 0; k < s->lines[l].nbenefits; k++)
        if (strcmp(s->lines[l].benefits[k].id, id) == 0) return &s->lines[l].benefits[k];
    return NULL;
}

static int is_const(const poolsim_param *p, double v)
{
    return p->n == 1 && p->val[0] == v;
}

/* ---- tests/data/full.yaml + full-counties.csv: every key ---------------- */

static void test_full(void)
{
    poolsim_scenario *s = load_ok("tests/data/full.yaml", 0, NULL);
    if (!s) return;
    CU_ASSERT_STRING_EQUAL(s->name, "Zhuzhou 2020 city-level pooling, full test");
    CU_ASSERT_STRING_EQUAL(s->path, "tests/data/full.yaml");
    CU_ASSERT_STRING_EQUAL(s->lang, "zh");
    CU_ASSERT_EQUAL(s->start_year, 2021);
    CU_ASSERT_EQUAL(s->horizon_years, 10);
    CU_ASSERT_EQUAL(s->paths, 20000);
    CU_ASSERT_EQUAL(s->seed, 20200518ULL);
    CU_ASSERT_EQUAL(s->claims_noise, POOLSIM_NOISE_NORMAL);
    EQ(s->medical_inflation.mean, 0.05);
    EQ(s->medical_inflation.ar1, 0.5);
    EQ(s->medical_inflation.sd, 0.02);
    EQ(s->wage_growth.mean, 0.06);
    EQ(s->wage_growth.ar1, 0.6);
    EQ(s->wage_growth.sd, 0.015);
    EQ(s->wage_inflation_corr, 0.3);
    EQ(s->balance_interest, 0.015);
    EQ(s->utilisation.ar1, 0.6);
    EQ(s->utilisation.sd, 0.04);
    EQ(s->utilisation.rho, 0.7);
    EQ(s->epidemic.prob, 0.03);
    EQ(s->epidemic.mean, 1.15);
    EQ(s->epidemic.sd, 0.05);

    /* sharing: marginal, 4 brackets, the 2nd bound dated */
    CU_ASSERT_EQUAL(s->sharing.mode, POOLSIM_SHARING_MARGINAL);
    CU_ASSERT_EQUAL(s->sharing.nbrackets, 4);
    CU_ASSERT(is_const(&s->sharing.up_to[0], 0.10));
    CU_ASSERT_EQUAL(s->sharing.up_to[1].n, 2);
    CU_ASSERT_EQUAL(s->sharing.up_to[1].year[0], 2021);
    CU_ASSERT_EQUAL(s->sharing.up_to[1].year[1], 2025);
    EQ(s->sharing.up_to[1].val[0], 0.30);
    EQ(s->sharing.up_to[1].val[1], 0.35);
    CU_ASSERT(isinf(s->sharing.up_to[3].val[0]));
    CU_ASSERT(is_const(&s->sharing.reserve[0], 1.0));
    CU_ASSERT(is_const(&s->sharing.reserve[1], 0.7));
    CU_ASSERT(is_const(&s->sharing.reserve[2], 0.3));
    CU_ASSERT(is_const(&s->sharing.reserve[3], 0.0));

    /* lines, with the city-wide reserve and the employee line's override */
    CU_ASSERT_EQUAL(s->nlines, 2);
    CU_ASSERT_EQUAL(poolsim_scenario_line_index(s, "employee"), 0);
    CU_ASSERT_EQUAL(poolsim_scenario_line_index(s, "resident"), 1);
    CU_ASSERT_EQUAL(poolsim_scenario_line_index(s, "maternity"), -1);
    const poolsim_line *E = &s->lines[0], *R = &s->lines[1];
    CU_ASSERT_STRING_EQUAL(E->name, "职工基本医疗保险");
    CU_ASSERT_STRING_EQUAL(R->name, "城乡居民基本医疗保险");
    CU_ASSERT_EQUAL(E->reserve.levy_rate.n, 2);
    EQ(poolsim_param_at(&E->reserve.levy_rate, 2023), 0.10);
    EQ(poolsim_param_at(&E->reserve.levy_rate, 2024), 0.12);
    CU_ASSERT(is_const(&E->reserve.cap_ratio, 0.30));
    CU_ASSERT_EQUAL(E->reserve.cap_mode, POOLSIM_CAP_STOP);   /* line override */
    CU_ASSERT_EQUAL(R->reserve.cap_mode, POOLSIM_CAP_TOP_UP); /* city-wide */
    CU_ASSERT(is_const(&E->reserve.interest, 0.015));
    CU_ASSERT_EQUAL(E->reserve.uncovered, POOLSIM_UNCOVERED_CITY);
    CU_ASSERT(is_const(&E->reserve.initial, 0));     /* line override */
    CU_ASSERT(is_const(&R->reserve.initial, 1.5e8)); /* city-wide */
    CU_ASSERT_EQUAL(E->global_budget.enabled, 0);
    CU_ASSERT_EQUAL(R->global_budget.enabled, 1);
    CU_ASSERT(is_const(&R->global_budget.share_of_financing, 0.92));
    CU_ASSERT(is_const(&R->global_budget.retention, 1.0));
    CU_ASSERT(is_const(&R->global_budget.overspend_paid, 0.0));

    /* classes: all lines' classes in order, each line indexing its own */
    CU_ASSERT_EQUAL(s->nclasses, 3);
    CU_ASSERT_EQUAL(E->nclasses, 2);
    CU_ASSERT_EQUAL(R->nclasses, 1);
    int act = class_index(s, "active"), ret = class_index(s, "retired"),
        res = class_index(s, "resident");
    CU_ASSERT(act == 0 && ret == 1 && res == 2);
    CU_ASSERT(E->classes[0] == act && E->classes[1] == ret && R->classes[0] == res);
    CU_ASSERT_EQUAL(s->classes[res].line, 1);
    const poolsim_class_params *pa = &s->classes[act].p, *pr = &s->classes[res].p;
    CU_ASSERT(is_const(&pa->wage_rate, 0.065));
    CU_ASSERT(is_const(&pa->collection_rate, 0.97));
    CU_ASSERT(is_const(&pa->enrol_growth, 0.01));
    CU_ASSERT(is_const(&s->classes[ret].p.collection_rate, 1.0)); /* default */
    CU_ASSERT_EQUAL(pr->per_capita.n, 2);
    CU_ASSERT(pr->per_capita.year[0] == 2021 && pr->per_capita.year[1] == 2024);
    EQ(pr->per_capita.val[0], 280);
    EQ(pr->per_capita.val[1], 380);
    CU_ASSERT(is_const(&pr->per_capita_growth, 0.05));
    CU_ASSERT(is_const(&pr->subsidy, 550));
    CU_ASSERT(is_const(&pr->subsidy_growth, 0.04));
    CU_ASSERT(is_const(&pr->collection_rate, 0.98));
    CU_ASSERT(is_const(&pr->enrol_growth, -0.005));
    /* the SCENARIO.md example: 280, 294, 308.7, 380, 399 */
    EQ(poolsim_param_grown(&pr->per_capita, &pr->per_capita_growth, 2021, 2023), 308.7);
    EQ(poolsim_param_grown(&pr->per_capita, &pr->per_capita_growth, 2021, 2024), 380);

    /* benefits */
    const poolsim_benefit *bi = benefit(s, "employee", "inpatient");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bi);
    CU_ASSERT_EQUAL(bi->kind, POOLSIM_BENEFIT_CLAIMS);
    CU_ASSERT(is_const(&bi->rate[0], 0.08) && is_const(&bi->rate[1], 0.30));
    CU_ASSERT(is_const(&bi->cost_mean, 11000));
    CU_ASSERT(is_const(&bi->cv, 1.6));
    CU_ASSERT(is_const(&bi->deductible, 800));
    CU_ASSERT_EQUAL(bi->coinsurance.n, 2);
    EQ(poolsim_param_at(&bi->coinsurance, 2023), 0.85);
    EQ(poolsim_param_at(&bi->coinsurance, 2024), 0.90);
    CU_ASSERT(is_const(&bi->ceiling, 300000));
    CU_ASSERT(is_const(&bi->util_trend, 0.01));
    CU_ASSERT_EQUAL(bi->epidemic, 1);
    CU_ASSERT_EQUAL(bi->index_limits, 1);
    const poolsim_benefit *bo = benefit(s, "employee", "outpatient");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bo);
    CU_ASSERT(is_const(&bo->rate[0], 2.0) && is_const(&bo->rate[1], 6.0));
    CU_ASSERT_EQUAL(bo->epidemic, 0);
    CU_ASSERT(is_const(&bo->ceiling, 2000));
    const poolsim_benefit *bc = benefit(s, "resident", "catastrophic");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bc);
    CU_ASSERT_EQUAL(bc->kind, POOLSIM_BENEFIT_PER_CAPITA);
    CU_ASSERT(is_const(&bc->amount, 65));
    CU_ASSERT(is_const(&bc->growth, 0.05));
    CU_ASSERT_EQUAL(bc->applies[0], 1);
    const poolsim_benefit *br = benefit(s, "resident", "inpatient");
    CU_ASSERT_PTR_NOT_NULL_FATAL(br);
    CU_ASSERT(br->ceiling.n == 1 && isinf(br->ceiling.val[0]) && br->ceiling.val[0] > 0);

    /* counties from the CSV (BOM, CRLF header, quoted field with a comma and
     * doubled quotes, empty optional cells) */
    CU_ASSERT_EQUAL(s->ncounties, 3);
    int city = poolsim_scenario_county_index(s, "city");
    int ll = poolsim_scenario_county_index(s, "liling");
    int yx = poolsim_scenario_county_index(s, "you_county");
    CU_ASSERT(city == 0 && ll == 1 && yx == 2);
    CU_ASSERT_EQUAL(poolsim_scenario_county_index(s, "nowhere"), -1);
    const poolsim_county *c0 = &s->counties[0], *c1 = &s->counties[1], *c2 = &s->counties[2];
    CU_ASSERT_STRING_EQUAL(c0->name, "株洲市本级");
    CU_ASSERT_STRING_EQUAL(c1->name, "醴陵市");
    CU_ASSERT_STRING_EQUAL(c2->name, "攸县, \"有\" 县");
    EQ(c0->enrol[act], 210000);
    EQ(c0->enrol[ret], 95000);
    EQ(c0->enrol[res], 150000);
    EQ(c0->wage, 92000);
    EQ(c0->cost_index, 1.1);
    EQ(c0->util_index, 1.05);
    EQ(c0->balance[0], 3.2e8);
    EQ(c0->balance[1], 0.5e8);
    CU_ASSERT(c0->has_prior[0] == 1 && c0->has_prior[1] == 0);
    EQ(c0->prior_financing[0], 1.9e9);
    CU_ASSERT_EQUAL(c1->has_prior[0], 0); /* empty cell: not given */
    EQ(c1->enrol[res], 820000);
    /* liling overrides resident.enrol_growth; the others keep the class's */
    CU_ASSERT(is_const(&c1->cls[res].enrol_growth, -0.01));
    CU_ASSERT(is_const(&c0->cls[res].enrol_growth, -0.005));
    CU_ASSERT(is_const(&c1->cls[act].wage_rate, 0.065));
    CU_ASSERT_EQUAL(c1->cls[res].per_capita.n, 2);

    /* the loaded text: the YAML and the CSV, each under a file line */
    CU_ASSERT_PTR_NOT_NULL(strstr(s->source_text, "# ---- file: tests/data/full.yaml\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s->source_text, "# ---- file: tests/data/full-counties.csv\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s->source_text, "liling,醴陵市,60000"));
    poolsim_scenario_free(s);
}

/* ---- defaults -------------------------------------------------------------- */

static void test_defaults(void)
{
    poolsim_scenario *s = load_ok("tests/data/minimal.yaml", 0, NULL);
    if (!s) return;
    CU_ASSERT_STRING_EQUAL(s->name, "minimal"); /* the file name */
    CU_ASSERT_STRING_EQUAL(s->lang, "en");
    CU_ASSERT_EQUAL(s->paths, 10000);
    CU_ASSERT_EQUAL(s->seed, 1ULL);
    CU_ASSERT_EQUAL(s->claims_noise, POOLSIM_NOISE_COMPOUND);
    CU_ASSERT(s->medical_inflation.mean == 0 && s->medical_inflation.ar1 == 0 &&
              s->medical_inflation.sd == 0);
    CU_ASSERT(s->wage_growth.mean == 0 && s->wage_growth.ar1 == 0 && s->wage_growth.sd == 0);
    CU_ASSERT(s->wage_inflation_corr == 0 && s->balance_interest == 0);
    CU_ASSERT(s->utilisation.ar1 == 0 && s->utilisation.sd == 0 && s->utilisation.rho == 0);
    CU_ASSERT(s->epidemic.prob == 0 && s->epidemic.mean == 1 && s->epidemic.sd == 0);
    const poolsim_line *L = &s->lines[0];
    CU_ASSERT_STRING_EQUAL(L->name, "resident");
    CU_ASSERT(is_const(&L->reserve.levy_rate, 0.10));
    CU_ASSERT(is_const(&L->reserve.cap_ratio, 0.30));
    CU_ASSERT_EQUAL(L->reserve.cap_mode, POOLSIM_CAP_STOP);
    CU_ASSERT(is_const(&L->reserve.interest, 0));
    CU_ASSERT_EQUAL(L->reserve.uncovered, POOLSIM_UNCOVERED_COUNTY);
    CU_ASSERT(is_const(&L->reserve.initial, 0));
    CU_ASSERT_EQUAL(L->global_budget.enabled, 0);
    /* the brackets of the Zhuzhou rule */
    CU_ASSERT_EQUAL(s->sharing.mode, POOLSIM_SHARING_BRACKET);
    CU_ASSERT_EQUAL(s->sharing.nbrackets, 4);
    double up[] = {0.10, 0.30, 0.50, INFINITY}, rs[] = {1.0, 0.7, 0.3, 0.0};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT(is_const(&s->sharing.up_to[i], up[i]));
        CU_ASSERT(is_const(&s->sharing.reserve[i], rs[i]));
    }
    const poolsim_class_params *p = &s->classes[0].p;
    CU_ASSERT(is_const(&p->per_capita, 0) && is_const(&p->per_capita_growth, 0));
    CU_ASSERT(is_const(&p->wage_rate, 0) && is_const(&p->collection_rate, 1));
    CU_ASSERT(is_const(&p->enrol_growth, 0) && is_const(&p->subsidy, 0) &&
              is_const(&p->subsidy_growth, 0));
    const poolsim_benefit *b = benefit(s, "resident", "inpatient");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT(is_const(&b->deductible, 0));
    CU_ASSERT(b->ceiling.n == 1 && isinf(b->ceiling.val[0]));
    CU_ASSERT(is_const(&b->util_trend, 0));
    CU_ASSERT_EQUAL(b->epidemic, 1);
    CU_ASSERT_EQUAL(b->index_limits, 0);
    const poolsim_benefit *pc = benefit(s, "resident", "catastrophic");
    CU_ASSERT_PTR_NOT_NULL_FATAL(pc);
    CU_ASSERT(is_const(&pc->growth, 0));
    CU_ASSERT_EQUAL(pc->applies[0], 1); /* every class of the line */
    const poolsim_county *c = &s->counties[0];
    CU_ASSERT_STRING_EQUAL(c->name, "liling");
    CU_ASSERT(c->cost_index == 1 && c->util_index == 1 && c->wage == 0);
    CU_ASSERT(c->balance[0] == 0 && c->has_prior[0] == 0);
    EQ(c->enrol[0], 820000);
    poolsim_scenario_free(s);

    /* opts may be NULL, diag may be NULL */
    s = NULL;
    CU_ASSERT_EQUAL(poolsim_scenario_load("tests/data/minimal.yaml", NULL, NULL, &s), POOLSIM_OK);
    poolsim_scenario_free(s);
    CU_ASSERT_EQUAL(poolsim_scenario_load("tests/bad/nan.yaml", NULL, NULL, &s), POOLSIM_EINPUT);
    CU_ASSERT_PTR_NULL(s);
    poolsim_scenario_free(NULL);
}

/* ---- extends ---------------------------------------------------------------- */

static void test_extends(void)
{
    poolsim_scenario *s = load_ok("tests/data/ext-derived.yaml", 0, NULL);
    if (!s) return;
    CU_ASSERT_STRING_EQUAL(s->name, "derived");
    /* reserve: map merged key by key */
    const poolsim_line *E = &s->lines[0];
    CU_ASSERT(is_const(&E->reserve.levy_rate, 0.10));
    CU_ASSERT(is_const(&E->reserve.cap_ratio, 0.2));
    CU_ASSERT(is_const(&E->reserve.interest, 0.01));
    /* brackets: a list without ids, replaced whole */
    CU_ASSERT_EQUAL(s->sharing.nbrackets, 2);
    CU_ASSERT(is_const(&s->sharing.up_to[0], 0.5) && is_const(&s->sharing.reserve[0], 0.5));
    /* lines merged by id: base order kept, new id appended */
    CU_ASSERT_EQUAL(s->nlines, 3);
    CU_ASSERT_STRING_EQUAL(s->lines[0].id, "employee");
    CU_ASSERT_STRING_EQUAL(s->lines[1].id, "resident");
    CU_ASSERT_STRING_EQUAL(s->lines[2].id, "maternity");
    CU_ASSERT_EQUAL(s->lines[0].nbenefits, 2);
    CU_ASSERT_STRING_EQUAL(s->lines[0].benefits[0].id, "inpatient");
    CU_ASSERT_STRING_EQUAL(s->lines[0].benefits[1].id, "outpatient");
    const poolsim_benefit *bo = benefit(s, "employee", "outpatient");
    CU_ASSERT(is_const(&bo->coinsurance, 0.6)); /* derived */
    CU_ASSERT(is_const(&bo->ceiling, 2000));    /* kept from the base */
    CU_ASSERT(is_const(&bo->cost_mean, 220));
    /* a dated value is a map: the derived file's year is added */
    const poolsim_benefit *bi = benefit(s, "employee", "inpatient");
    CU_ASSERT_EQUAL(bi->coinsurance.n, 2);
    EQ(poolsim_param_at(&bi->coinsurance, 2021), 0.85);
    EQ(poolsim_param_at(&bi->coinsurance, 2024), 0.90);
    CU_ASSERT_EQUAL(s->lines[1].nbenefits, 2);
    CU_ASSERT_STRING_EQUAL(s->lines[1].benefits[0].id, "catastrophic");
    CU_ASSERT_STRING_EQUAL(s->lines[1].benefits[1].id, "inpatient");
    /* inline counties merged by id onto the base's CSV counties */
    CU_ASSERT_EQUAL(s->ncounties, 3);
    CU_ASSERT_STRING_EQUAL(s->counties[0].id, "liling");
    CU_ASSERT_STRING_EQUAL(s->counties[1].id, "lukou");
    CU_ASSERT_STRING_EQUAL(s->counties[2].id, "xinqu");
    CU_ASSERT_STRING_EQUAL(s->counties[2].name, "新区");
    int res = class_index(s, "resident"), ins = class_index(s, "insured");
    EQ(s->counties[1].balance[1], 5e6);    /* derived (nested form) */
    EQ(s->counties[0].balance[1], 2e8);    /* from the CSV */
    EQ(s->counties[1].enrol[res], 300000); /* from the CSV */
    EQ(s->counties[1].enrol[ins], 100);    /* derived */
    CU_ASSERT_PTR_NOT_NULL(strstr(s->source_text, "# ---- file: tests/data/ext-base.yaml\n"));
    poolsim_scenario_free(s);

    /* a derived counties_csv replaces the base's counties */
    s = load_ok("tests/data/ext-csv.yaml", 0, NULL);
    if (!s) return;
    CU_ASSERT_EQUAL(s->ncounties, 1);
    CU_ASSERT_STRING_EQUAL(s->counties[0].id, "youxian");
    CU_ASSERT_STRING_EQUAL(s->counties[0].name, "攸县");
    CU_ASSERT_STRING_EQUAL(s->name, "base");
    poolsim_scenario_free(s);

    /* cycles are detected and reported */
    char *msg = NULL;
    s = NULL;
    CU_ASSERT_EQUAL(load_capture("tests/bad/extends-cycle.yaml", 0, NULL, -1, -1, &s, &msg),
                    POOLSIM_EINPUT);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_PTR_NOT_NULL(msg && strstr(msg, "tests/bad/inc/cycle-b.yaml:2:10: extends: extends "
                                              "cycle: tests/bad/extends-cycle.yaml -> "));
    free(msg);
}

/* ---- --set, --paths, --seed --------------------------------------------------- */

static void test_set(void)
{
    const char *sets[] = {
        "lines.resident.benefits.inpatient.coinsurance=0.75",
        "counties.liling.resident=820001",           /* a CSV county */
        "counties.liling.balance.employee=5",        /* flat key */
        "counties.you_county.balance={resident: 7}", /* nested form */
        "counties.city.resident.enrol_growth=0.02",  /* class override */
        "sharing.brackets.2.reserve=0.6",            /* list item by index */
        "reserve.levy_rate.2026=0.2",                /* one more year */
        "lines.employee.reserve.interest={2021: 0.01, 2030: 0.02}",
        "lines.employee.reserve.cap_ratio=1.5", /* a ratio, not a share: > 1 allowed */
        "lines.employee.benefits.outpatient.util_trend=0.02", /* absent: added */
        "simulation.claims_noise=none",
        "name=\"a: b\"",
    };
    int n = (int)(sizeof sets / sizeof sets[0]);
    poolsim_scenario *s = NULL;
    char *msg = NULL;
    int rc = load_capture("tests/data/full.yaml", n, sets, 7, 0, &s, &msg);
    if (rc) fprintf(stderr, "\n%s", msg);
    free(msg);
    CU_ASSERT_EQUAL_FATAL(rc, POOLSIM_OK);
    CU_ASSERT(is_const(&benefit(s, "resident", "inpatient")->coinsurance, 0.75));
    int ll = poolsim_scenario_county_index(s, "liling"),
        yx = poolsim_scenario_county_index(s, "you_county");
    int res = class_index(s, "resident");
    EQ(s->counties[ll].enrol[res], 820001);
    EQ(s->counties[ll].balance[0], 5);
    EQ(s->counties[yx].balance[1], 7);
    EQ(s->counties[yx].balance[0], 0.6e8); /* untouched */
    CU_ASSERT(is_const(&s->counties[0].cls[res].enrol_growth, 0.02));
    CU_ASSERT(is_const(&s->sharing.reserve[1], 0.6));
    const poolsim_param *lv = &s->lines[1].reserve.levy_rate;
    CU_ASSERT_EQUAL(lv->n, 3);
    EQ(poolsim_param_at(lv, 2025), 0.12);
    EQ(poolsim_param_at(lv, 2026), 0.2);
    const poolsim_param *ie = &s->lines[0].reserve.interest;
    CU_ASSERT(ie->n == 2 && ie->year[1] == 2030);
    CU_ASSERT(is_const(&s->lines[1].reserve.interest, 0.015)); /* other line: city-wide */
    CU_ASSERT(is_const(&s->lines[0].reserve.cap_ratio, 1.5));
    CU_ASSERT(is_const(&benefit(s, "employee", "outpatient")->util_trend, 0.02));
    CU_ASSERT_EQUAL(s->claims_noise, POOLSIM_NOISE_NONE);
    CU_ASSERT_STRING_EQUAL(s->name, "a: b");
    CU_ASSERT_EQUAL(s->paths, 7);   /* --paths */
    CU_ASSERT_EQUAL(s->seed, 0ULL); /* --seed */
    CU_ASSERT_PTR_NOT_NULL(strstr(s->source_text, "--set counties.liling.resident=820001\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s->source_text, "# ---- --paths 7\n"));
    poolsim_scenario_free(s);

    /* an inline county of a derived file */
    const char *s2[] = {"counties.xinqu.wage=51000", "lines.maternity.name=生育保险"};
    s = load_ok("tests/data/ext-derived.yaml", 2, s2);
    if (!s) return;
    EQ(s->counties[2].wage, 51000);
    CU_ASSERT_STRING_EQUAL(s->lines[2].name, "生育保险");
    poolsim_scenario_free(s);
}

/* YAML 1.2 core-schema numbers, through --set values. */
static void test_numbers(void)
{
    const char *sets[] = {
        "simulation.paths=1e5",   "simulation.seed=0x10",
        "reserve.cap_ratio=+.5",  "lines.resident.benefits.inpatient.ceiling=.Inf",
        "reserve.interest=-0.25", "economy.balance_interest=0o7",
    };
    poolsim_scenario *s = load_ok("tests/data/minimal.yaml", 6, sets);
    if (!s) return;
    CU_ASSERT_EQUAL(s->paths, 100000);
    CU_ASSERT_EQUAL(s->seed, 16ULL);
    CU_ASSERT(is_const(&s->lines[0].reserve.cap_ratio, 0.5));
    CU_ASSERT(isinf(benefit(s, "resident", "inpatient")->ceiling.val[0]));
    CU_ASSERT(is_const(&s->lines[0].reserve.interest, -0.25));
    EQ(s->balance_interest, 7);
    poolsim_scenario_free(s);

    const char *big[] = {"simulation.seed=18446744073709551615"}; /* 2^64 - 1, exact */
    s = load_ok("tests/data/minimal.yaml", 1, big);
    if (!s) return;
    CU_ASSERT_EQUAL(s->seed, 18446744073709551615ULL);
    poolsim_scenario_free(s);

    /* not numbers: quoted, nan spellings, trailing text */
    const char *bad[] = {"reserve.levy_rate='0.1'", "reserve.cap_ratio=nan",
                         "reserve.interest=1.5x", "economy.balance_interest=1e400"};
    char *msg = NULL;
    s = NULL;
    CU_ASSERT_EQUAL(load_capture("tests/data/minimal.yaml", 4, bad, -1, -1, &s, &msg),
                    POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--set:1:1: reserve.levy_rate: '0.1' is quoted"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--set:2:1: reserve.cap_ratio: 'nan' is not a number"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--set:3:1: reserve.interest: '1.5x' is not a number"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "--set:4:1: economy.balance_interest: 1e400 is too large"));
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "poolsim: 4 errors in tests/data/minimal.yaml\n"));
    free(msg);
}

/* ---- printing --------------------------------------------------------------------- */

static void test_print(void)
{
    poolsim_scenario *s = load_ok("tests/data/full.yaml", 0, NULL);
    if (!s) return;
    char *t = poolsim_scenario_resolved_text(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    const char *want[] = {
        "name: \"Zhuzhou 2020 city-level pooling, full test\"\n",
        "lang: zh\n",
        "  seed: 20200518\n",
        "  medical_inflation: {mean: 0.05, ar1: 0.5, sd: 0.02}\n",
        "    - {up_to: {2021: 0.3, 2025: 0.35}, reserve: 0.7}\n",
        "    - {up_to: .inf, reserve: 0}\n",
        "    name: 职工基本医疗保险\n",
        "    reserve: {levy_rate: {2021: 0.1, 2024: 0.12}, cap_ratio: 0.3, cap_mode: stop, "
        "interest: 0.015, uncovered: city, initial: 0}\n",
        "coinsurance: {2021: 0.85, 2024: 0.9}",
        "      - {id: catastrophic, kind: per_capita, amount: 65, growth: 0.05, applies_to: "
        "[resident]}\n",
        "    global_budget: {share_of_financing: 0.92, retention: 1, overspend_paid: 0}\n",
        "    name: 醴陵市\n",
        "    name: \"攸县, \\\"有\\\" 县\"\n",
        "    active: 60000\n    retired: 30000\n    resident: 820000\n",
        "    balance: {employee: 320000000, resident: 50000000}\n",
        "    prior_financing: {employee: 1900000000}\n",
        "    resident.enrol_growth: -0.01\n",
        "      - {id: inpatient, kind: claims, rate: {active: 0.08, retired: 0.3}, cost_mean: "
        "11000, cv: 1.6, deductible: 800, coinsurance: {2021: 0.85, 2024: 0.9}, ceiling: 300000, "
        "util_trend: 0.01, epidemic: true, index_limits: true}\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int found = strstr(t, want[i]) != NULL;
        if (!found) fprintf(stderr, "\nmissing in the printed scenario: %s", want[i]);
        CU_ASSERT(found);
    }
    free(t);
    poolsim_scenario_free(s);
}

/* Every key of every table appears in the printed full scenario, except
 * those the loader resolves away (extends, counties_csv, and the city-wide
 * reserve and pooling, written into each line). */
static void test_print_every_key(void)
{
    poolsim_scenario *s = load_ok("tests/data/full.yaml", 0, NULL);
    if (!s) return;
    char *t = poolsim_scenario_resolved_text(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    for (int table = 0; table < SC_T_COUNT; table++) {
        size_t n;
        const sc_row *rows = sc_table(table, &n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(rows);
        for (size_t i = 0; i < n; i++) {
            const char *k = rows[i].key;
            if (table == SC_T_TOP && (strcmp(k, "extends") == 0 || strcmp(k, "counties_csv") == 0 ||
                                      strcmp(k, "reserve") == 0 || strcmp(k, "pooling") == 0))
                continue;
            char want[64];
            snprintf(want, sizeof want, "%s:", k);
            /* at the start of a line or after "{" or ", " */
            int found = 0;
            for (const char *p = strstr(t, want); p && !found; p = strstr(p + 1, want))
                found = p == t || p[-1] == '\n' || p[-1] == ' ' || p[-1] == '{';
            if (!found) fprintf(stderr, "\nkey %s (table %d) not printed", k, table);
            CU_ASSERT(found);
        }
    }
    free(t);
    poolsim_scenario_free(s);
}

/* ---- load -> print -> load ---------------------------------------------------------- */

static int param_same(const poolsim_param *a, const poolsim_param *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->val[i] != b->val[i] || (a->n > 1 && a->year[i] != b->year[i])) return 0;
    return 1;
}

/* Every row of a table (not K_SUB, not of the other benefit kind) holds the
 * same value in a and b; the differing keys are named on stderr. */
static int rows_same(int table, const void *a, const void *b, unsigned variant, const char *file,
                     const char *where)
{
    size_t n;
    const sc_row *rows = sc_table(table, &n);
    int same = 1;
    for (size_t i = 0; rows && i < n; i++) {
        const sc_row *r = &rows[i];
        unsigned kf = r->flags & (F_CLAIMS | F_PERCAP);
        if (r->type == K_SUB || (variant && kf && !(kf & variant))) continue;
        const char *pa = (const char *)a + r->off, *pb = (const char *)b + r->off;
        int eq;
        switch (r->type) {
        case K_NUM:
            eq = *(const double *)(const void *)pa == *(const double *)(const void *)pb;
            break;
        case K_PARAM:
        case K_DENUM:
            eq = param_same((const poolsim_param *)(const void *)pa,
                            (const poolsim_param *)(const void *)pb);
            break;
        case K_INT:
        case K_BOOL:
        case K_ENUM: eq = *(const int *)(const void *)pa == *(const int *)(const void *)pb; break;
        case K_LONG: eq = *(const long *)(const void *)pa == *(const long *)(const void *)pb; break;
        case K_SEED:
            eq = *(const unsigned long long *)(const void *)pa ==
                 *(const unsigned long long *)(const void *)pb;
            break;
        default: {
            const char *sa = *(char *const *)(const void *)pa,
                       *sb = *(char *const *)(const void *)pb;
            eq = sa && sb && strcmp(sa, sb) == 0;
        }
        }
        if (!eq) fprintf(stderr, "\n%s: %s%s differs after print -> load", file, where, r->key);
        same &= eq;
    }
    return same;
}

#define SAME(cond, what)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "\n%s: %s differs after print -> load", file, what);                   \
            same = 0;                                                                              \
        }                                                                                          \
    } while (0)

/* Two loaded scenarios hold the same values, field by field (the tables'
 * rows, then the lists and per-county values the code below them reads). */
static int scenario_same(const poolsim_scenario *a, const poolsim_scenario *b, const char *file)
{
    int same = rows_same(SC_T_TOP, a, b, 0, file, "");
    same &= rows_same(SC_T_SIMULATION, a, b, 0, file, "simulation.");
    same &= rows_same(SC_T_ECONOMY, a, b, 0, file, "economy.");
    same &= rows_same(SC_T_AR1, &a->medical_inflation, &b->medical_inflation, 0, file,
                      "economy.medical_inflation.");
    same &= rows_same(SC_T_AR1, &a->wage_growth, &b->wage_growth, 0, file, "economy.wage_growth.");
    same &= rows_same(SC_T_UTILISATION, a, b, 0, file, "shocks.utilisation.");
    same &= rows_same(SC_T_EPIDEMIC, a, b, 0, file, "shocks.epidemic.");
    same &= rows_same(SC_T_SHARING, &a->sharing, &b->sharing, 0, file, "sharing.");
    SAME(a->sharing.nbrackets == b->sharing.nbrackets, "sharing.brackets");
    for (int i = 0; same && i < a->sharing.nbrackets; i++) {
        sc_bracket x = {a->sharing.up_to[i], a->sharing.reserve[i]};
        sc_bracket y = {b->sharing.up_to[i], b->sharing.reserve[i]};
        same &= rows_same(SC_T_BRACKET, &x, &y, 0, file, "sharing.brackets.");
    }
    same &= rows_same(SC_T_HEALTH, a, b, 0, file, "health.");
    SAME(a->nrules == b->nrules, "the number of management rules");
    for (int i = 0; same && i < a->nrules; i++) {
        SAME(a->rules[i].line == b->rules[i].line, "management.line");
        sc_rule x = {a->rules[i], NULL}, y = {b->rules[i], NULL};
        x.line_id = y.line_id = (char *)(uintptr_t) "";
        same &= rows_same(SC_T_RULE, &x, &y, 0, file, "management.");
    }
    SAME(a->nlines == b->nlines && a->nclasses == b->nclasses && a->ncounties == b->ncounties,
         "the number of lines, classes or counties");
    if (!same) return 0;
    for (int m = 0; m < a->nclasses; m++) {
        SAME(strcmp(a->classes[m].id, b->classes[m].id) == 0 &&
                 a->classes[m].line == b->classes[m].line,
             "a class id or line");
        same &= rows_same(SC_T_CLASS, &a->classes[m].p, &b->classes[m].p, 0, file, "class.");
    }
    for (int l = 0; l < a->nlines; l++) {
        const poolsim_line *x = &a->lines[l], *y = &b->lines[l];
        same &= rows_same(SC_T_LINE, x, y, 0, file, "lines.");
        same &= rows_same(SC_T_RESERVE, &x->reserve, &y->reserve, 0, file, "lines.reserve.");
        same &= rows_same(SC_T_POOLING, &x->pooling, &y->pooling, 0, file, "lines.pooling.");
        SAME(x->global_budget.enabled == y->global_budget.enabled, "lines.global_budget");
        if (x->global_budget.enabled)
            same &= rows_same(SC_T_BUDGET, &x->global_budget, &y->global_budget, 0, file,
                              "lines.global_budget.");
        SAME(x->nclasses == y->nclasses && x->nbenefits == y->nbenefits,
             "a line's classes or benefits");
        if (!same) return 0;
        for (int j = 0; j < x->nclasses; j++) SAME(x->classes[j] == y->classes[j], "lines.classes");
        for (int k = 0; k < x->nbenefits; k++) {
            const poolsim_benefit *p = &x->benefits[k], *q = &y->benefits[k];
            SAME(p->kind == q->kind, "lines.benefits.kind");
            unsigned v = p->kind == POOLSIM_BENEFIT_CLAIMS ? F_CLAIMS : F_PERCAP;
            same &= rows_same(SC_T_BENEFIT, p, q, v, file, "lines.benefits.");
            for (int j = 0; j < x->nclasses; j++) {
                if (v == F_CLAIMS)
                    SAME(param_same(&p->rate[j], &q->rate[j]), "lines.benefits.rate");
                else
                    SAME(p->applies[j] == q->applies[j], "lines.benefits.applies_to");
            }
        }
    }
    for (int c = 0; c < a->ncounties; c++) {
        const poolsim_county *x = &a->counties[c], *y = &b->counties[c];
        same &= rows_same(SC_T_COUNTY, x, y, 0, file, "counties.");
        for (int m = 0; m < a->nclasses; m++) {
            SAME(x->enrol[m] == y->enrol[m], "counties.<class> (enrolment)");
            same &= rows_same(SC_T_CLASS, &x->cls[m], &y->cls[m], 0, file, "counties.<class>.");
        }
        for (int l = 0; l < a->nlines; l++) {
            SAME(x->balance[l] == y->balance[l], "counties.balance");
            SAME(x->has_prior[l] == y->has_prior[l] &&
                     (!x->has_prior[l] || x->prior_financing[l] == y->prior_financing[l]),
                 "counties.prior_financing");
        }
    }
    return same;
}

/* The printed text without its first line (# path: ...). */
static const char *after_path(const char *t)
{
    const char *nl = strchr(t, '\n');
    return nl ? nl + 1 : t;
}

/* Every test and shipped scenario: load, print, load the printed text:
 * the same scenario, field by field, and the same text again. */
static void test_print_load(void)
{
    const char *pats[] = {"tests/data/*.yaml", "scenarios/*.yaml", "scenarios/*/*.yaml"};
    char dir[512], tmp[600];
    testutil_scratch_dir(dir, sizeof dir, "print_load");
    snprintf(tmp, sizeof tmp, "%s/printed.yaml", dir);
    int done = 0;
    for (size_t g = 0; g < sizeof pats / sizeof pats[0]; g++) {
        glob_t gl;
        if (glob(pats[g], 0, NULL, &gl) != 0) continue;
        for (size_t i = 0; i < gl.gl_pathc; i++) {
            const char *file = gl.gl_pathv[i];
            poolsim_scenario *a = NULL, *b = NULL;
            if (load_capture(file, 0, NULL, -1, -1, &a, NULL) != POOLSIM_OK) continue;
            char *ta = poolsim_scenario_resolved_text(a);
            FILE *f = fopen(tmp, "w");
            CU_ASSERT_PTR_NOT_NULL_FATAL(f);
            CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
            fputs(ta, f);
            fclose(f);
            char *msg = NULL;
            int rc = load_capture(tmp, 0, NULL, -1, -1, &b, &msg);
            if (rc != POOLSIM_OK) fprintf(stderr, "\n%s printed does not load:\n%s", file, msg);
            CU_ASSERT_EQUAL(rc, POOLSIM_OK);
            free(msg);
            if (b) {
                CU_ASSERT(scenario_same(a, b, file));
                char *tb = poolsim_scenario_resolved_text(b);
                CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
                CU_ASSERT_STRING_EQUAL(after_path(ta), after_path(tb));
                free(tb);
                done++;
            }
            free(ta);
            poolsim_scenario_free(a);
            poolsim_scenario_free(b);
        }
        globfree(&gl);
    }
    /* 18 in tests/data, 9 shipped at the time of writing */
    CU_ASSERT(done >= 25);
    testutil_rm_tree(dir);
}

/* ---- every bad-input file ----------------------------------------------------------- */

/* Drop every "tests/bad/" from text (messages name files by the path given). */
static void strip_dir(char *t)
{
    const char *d = "tests/bad/";
    size_t dl = strlen(d);
    char *p;
    while ((p = strstr(t, d)) != NULL) memmove(p, p + dl, strlen(p + dl) + 1);
}

static int check_bad_file(const char *name)
{
    char path[512], side[600], line[2048];
    snprintf(path, sizeof path, "tests/bad/%s", name);
    char *expects[16], *sets[16];
    int ne = 0, ns = 0, ok = 1;
    snprintf(side, sizeof side, "%s.expect", path);
    FILE *f = fopen(side, "r");
    int sidecar = f != NULL;
    if (!f) f = fopen(path, "r");
    if (!f) return 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (sidecar && ne < 16 && *line)
            expects[ne++] = strdup(line);
        else if (!sidecar && strncmp(line, "# expect: ", 10) == 0 && ne < 16)
            expects[ne++] = strdup(line + 10);
        else if (!sidecar && strncmp(line, "# set: ", 7) == 0 && ns < 16)
            sets[ns++] = strdup(line + 7);
    }
    fclose(f);
    if (ne == 0) {
        fprintf(stderr, "\n%s: no expected message\n", name);
        ok = 0;
    }
    poolsim_scenario *s = (poolsim_scenario *)1;
    char *msg = NULL;
    int rc = load_capture(path, ns, (const char *const *)sets, -1, -1, &s, &msg);
    if (rc != POOLSIM_EINPUT || s != NULL) {
        fprintf(stderr, "\n%s: status %d (expected %d, no scenario)\n", name, rc, POOLSIM_EINPUT);
        ok = 0;
        if (s && s != (poolsim_scenario *)1) poolsim_scenario_free(s);
    }
    if (msg) {
        strip_dir(msg);
        for (int i = 0; i < ne; i++) {
            if (!strstr(msg, expects[i])) {
                fprintf(stderr, "\n%s: missing message: %s\ngot:\n%s", name, expects[i], msg);
                ok = 0;
            }
        }
        char count[64];
        snprintf(count, sizeof count, "poolsim: %d error%s in %s\n", ne, ne == 1 ? "" : "s", name);
        if (!strstr(msg, count)) {
            fprintf(stderr, "\n%s: missing count line: %sgot:\n%s", name, count, msg);
            ok = 0;
        }
    }
    free(msg);
    for (int i = 0; i < ne; i++) free(expects[i]);
    for (int i = 0; i < ns; i++) free(sets[i]);
    return ok;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad_files(void)
{
    DIR *d = opendir("tests/bad");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    char *names[512];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 512) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], name_cmp);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        if (!check_bad_file(names[i])) failed++;
        free(names[i]);
    }
    CU_ASSERT(n >= 35);
    CU_ASSERT_EQUAL(failed, 0);
    /* the base the bad files break is itself valid, with inline or CSV counties */
    poolsim_scenario *s = load_ok("tests/bad/inc/base.yaml", 0, NULL);
    poolsim_scenario_free(s);
    s = load_ok("tests/bad/inc/base-csv.yaml", 0, NULL);
    if (s) CU_ASSERT_STRING_EQUAL(s->counties[1].name, "渌口区");
    poolsim_scenario_free(s);
}

/* Errors are all reported, in file order, with the count. */
static void test_all_errors(void)
{
    char *msg = NULL;
    poolsim_scenario *s = NULL;
    const char *sets[] = {"reserve.levy_rate=1.5", "reserve.cap_mode=full"};
    CU_ASSERT_EQUAL(load_capture("tests/bad/share-range.yaml", 2, sets, 0, -1, &s, &msg),
                    POOLSIM_EINPUT);
    const char *a = strstr(
        msg, "tests/bad/share-range.yaml:6:38: lines.resident.benefits.inpatient.coinsurance: 1.2");
    const char *b = strstr(msg, "--set:1:1: reserve.levy_rate: 1.5 is out of range");
    const char *c = strstr(msg, "--set:2:1: reserve.cap_mode: 'full' is not a valid choice "
                                "(expected one of: stop, top_up)");
    const char *d = strstr(msg, "--paths:1:1: simulation.paths: 0 is out of range");
    CU_ASSERT(a && b && c && d && a < b && b < c);
    CU_ASSERT_PTR_NOT_NULL(strstr(msg, "poolsim: 4 errors in tests/bad/share-range.yaml\n"));
    free(msg);
}

/* ---- load time ------------------------------------------------------------------------ */

static void test_many_counties(void)
{
    char dir[] = "/tmp/poolsim-scenario-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char yaml[128], csv[128];
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    snprintf(csv, sizeof csv, "%s/c.csv", dir);
    FILE *f = fopen(yaml, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("start_year: 2021\nhorizon_years: 10\nlines:\n"
          "  - id: employee\n    classes: [{id: active, wage_rate: 0.065}, {id: retired}]\n"
          "    benefits: [{id: inpatient, kind: claims, rate: {active: 0.08, retired: 0.3},"
          " cost_mean: 11000, cv: 1.6, coinsurance: 0.85}]\n"
          "  - id: resident\n    classes: [{id: resident, per_capita: 280}]\n"
          "    benefits: [{id: catastrophic, kind: per_capita, amount: 65}]\n"
          "counties_csv: c.csv\n",
          f);
    fclose(f);
    f = fopen(csv, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("id,name,active,retired,resident,wage,cost_index,balance.employee,balance.resident,"
          "resident.enrol_growth\n",
          f);
    for (int i = 0; i < 200; i++)
        fprintf(f, "c%d,县%d,%d,%d,%d,60000,1.0%d,1e7,2e7,0.01\n", i, i, 1000 + i, 500 + i,
                20000 + i, i % 10);
    fclose(f);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    poolsim_scenario *s = load_ok(yaml, 0, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CU_ASSERT(secs < 0.5);
    if (s) {
        CU_ASSERT_EQUAL(s->ncounties, 200);
        EQ(s->counties[199].enrol[0], 1199);
        CU_ASSERT_EQUAL(poolsim_scenario_county_index(s, "c150"), 150);
    }
    poolsim_scenario_free(s);
    remove(yaml);
    remove(csv);
    rmdir(dir);
}

/* A YAML file with a byte-order mark and CR LF line ends, written here. */
static void test_bom_crlf(void)
{
    char dir[] = "/tmp/poolsim-scenario-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char yaml[128];
    snprintf(yaml, sizeof yaml, "%s/bom.yaml", dir);
    FILE *f = fopen(yaml, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("\xEF\xBB\xBFname: 株洲\r\nstart_year: 2021\r\nhorizon_years: 2\r\nlines:\r\n"
          "  - {id: resident, name: 居民, classes: [{id: resident}],\r\n"
          "     benefits: [{id: b, kind: per_capita, amount: 1}]}\r\n"
          "counties: [{id: liling, name: 醴陵市, resident: 5}]\r\n",
          f);
    fclose(f);
    poolsim_scenario *s = load_ok(yaml, 0, NULL);
    if (s) {
        CU_ASSERT_STRING_EQUAL(s->name, "株洲");
        CU_ASSERT_STRING_EQUAL(s->lines[0].name, "居民");
        CU_ASSERT_STRING_EQUAL(s->counties[0].name, "醴陵市");
        CU_ASSERT_EQUAL(s->horizon_years, 2);
    }
    poolsim_scenario_free(s);
    remove(yaml);
    rmdir(dir);
}

/* 10001 counties: more than allowed, refused before anything is allocated
 * per county. */
static void test_too_many_counties(void)
{
    char dir[] = "/tmp/poolsim-scenario-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char yaml[128], csv[128];
    snprintf(yaml, sizeof yaml, "%s/s.yaml", dir);
    snprintf(csv, sizeof csv, "%s/c.csv", dir);
    FILE *f = fopen(yaml, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("start_year: 2021\nhorizon_years: 2\nlines: [{id: resident, classes: [{id: resident}], "
          "benefits: [{id: b, kind: per_capita, amount: 1}]}]\ncounties_csv: c.csv\n",
          f);
    fclose(f);
    f = fopen(csv, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("id,resident\n", f);
    for (int i = 0; i < 10001; i++) fprintf(f, "c%d,%d\n", i, i);
    fclose(f);
    poolsim_scenario *s = NULL;
    char *msg = NULL;
    CU_ASSERT_EQUAL(load_capture(yaml, 0, NULL, -1, -1, &s, &msg), POOLSIM_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(
        msg && strstr(msg, "c.csv:1:1: counties: 10001 counties (expected at most 10000)"));
    free(msg);
    remove(yaml);
    remove(csv);
    rmdir(dir);
}

void poolsim_test_scenario(void)
{
    CU_pSuite s = CU_add_suite("scenario", NULL, NULL);
    CU_add_test(s, "full scenario: every key", test_full);
    CU_add_test(s, "defaults", test_defaults);
    CU_add_test(s, "extends: merge by id, lists replaced, CSV replaced, cycles", test_extends);
    CU_add_test(s, "--set on lines, benefits, CSV and inline counties; --paths --seed", test_set);
    CU_add_test(s, "YAML 1.2 core-schema numbers", test_numbers);
    CU_add_test(s, "resolved text", test_print);
    CU_add_test(s, "resolved text: every key of the tables", test_print_every_key);
    CU_add_test(s, "load -> print -> load: the same scenario", test_print_load);
    CU_add_test(s, "every file in tests/bad", test_bad_files);
    CU_add_test(s, "every error reported, in order, counted", test_all_errors);
    CU_add_test(s, "200 counties load quickly", test_many_counties);
    CU_add_test(s, "YAML with BOM and CR LF, Chinese names", test_bom_crlf);
    CU_add_test(s, "too many counties", test_too_many_counties);
}
