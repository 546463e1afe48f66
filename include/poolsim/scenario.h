/* poolsim: scenario files (YAML + counties CSV) -> a validated, typed
 * scenario. The file format is documented in docs/SCENARIO.md.
 *
 * Loading pipeline: YAML (libyaml) -> node tree with file:line:column ->
 * `extends` deep merge -> `--set` overrides -> validation (every problem is
 * reported as FILE:LINE:COL: KEY: what is wrong (expected ...)) -> this
 * struct. Nothing in this struct is unvalidated: ranges, ids and
 * cross-references have all been checked.
 *
 * Ownership: poolsim_scenario_load allocates everything reachable from the
 * returned struct; poolsim_scenario_free releases it. */
#ifndef POOLSIM_SCENARIO_H
#define POOLSIM_SCENARIO_H

#include <stdio.h>

#include "poolsim/common.h"
#include "poolsim/manage.h"
#include "poolsim/rules.h"

enum poolsim_noise { POOLSIM_NOISE_COMPOUND = 0, POOLSIM_NOISE_NORMAL = 1, POOLSIM_NOISE_NONE = 2 };
enum poolsim_benefit_kind { POOLSIM_BENEFIT_CLAIMS = 0, POOLSIM_BENEFIT_PER_CAPITA = 1 };

/* AR(1) index driver (MODEL.md section 4). */
typedef struct {
    double mean, ar1, sd;
} poolsim_ar1;

/* Reserve rules of one line (city-wide `reserve`, merged with the line's
 * own `reserve` overrides). */
typedef struct {
    poolsim_param levy_rate; /* share of last year's financing, [0,1] */
    poolsim_param cap_ratio; /* reserve cap / this year's financing, >= 0 */
    poolsim_param interest;  /* yearly, > -1 */
    poolsim_param initial;   /* reserve balance at the start of year 1, yuan, >= 0 */
    int cap_mode;            /* enum poolsim_cap_mode */
    int uncovered;           /* enum poolsim_uncovered */
} poolsim_reserve_cfg;

/* Pooling design of one line (MODEL.md section 10): city-wide `pooling`
 * merged with the line's own `pooling` overrides. mode and gap_key are
 * dated choices stored as schedules of their enum values (mode never goes
 * back from unified to county_accounts: checked when loading). */
typedef struct {
    poolsim_param mode;             /* enum poolsim_pooling_mode values */
    poolsim_param city_share;       /* unified: city government's share of a gap, [0,1] */
    poolsim_param gap_key;          /* enum poolsim_gap_key values */
    poolsim_param county_liability; /* unified: share of a county's overspend it pays, [0,1] */
    poolsim_param tolerance;        /* unified: overspend free of charge, share of F, >= 0 */
} poolsim_pooling_cfg;

/* Tiered sharing (MODEL.md section 5 step 4). City-wide. */
typedef struct {
    int mode;                                    /* enum poolsim_sharing_mode */
    int nbrackets;                               /* 1 .. POOLSIM_MAX_BRACKETS */
    poolsim_param up_to[POOLSIM_MAX_BRACKETS];   /* ascending, last is +inf */
    poolsim_param reserve[POOLSIM_MAX_BRACKETS]; /* share the reserve pays, [0,1] */
} poolsim_sharing_cfg;

/* Parameters of a member class (MODEL.md section 2). A county may override
 * any of them, so each county carries a resolved copy per class. */
typedef struct {
    poolsim_param per_capita; /* yuan per member per year */
    poolsim_param per_capita_growth;
    poolsim_param wage_rate;       /* share of the wage going to the pooled fund */
    poolsim_param collection_rate; /* [0,1] */
    poolsim_param enrol_growth;
    poolsim_param subsidy; /* yuan per member per year */
    poolsim_param subsidy_growth;
} poolsim_class_params;

typedef struct {
    char *id;
    int line;               /* index into scenario.lines */
    poolsim_class_params p; /* the class defaults */
} poolsim_class;

typedef struct {
    char *id;
    int kind; /* enum poolsim_benefit_kind */
    /* claims: rate[j] is the rate for the line's j-th class (see
     * poolsim_line.classes); episodes per member per year. per_capita:
     * applies[j] is 1 when the benefit applies to that class. */
    poolsim_param *rate;       /* claims; nclasses of the line */
    int *applies;              /* per_capita; nclasses of the line */
    poolsim_param cost_mean;   /* yuan per episode, > 0 */
    poolsim_param cv;          /* > 0 */
    poolsim_param deductible;  /* yuan, >= 0 */
    poolsim_param coinsurance; /* [0,1] */
    poolsim_param ceiling;     /* yuan, may be +inf, > deductible */
    poolsim_param util_trend;  /* > -1 */
    int epidemic;              /* 1: multiplied by J[t] */
    int index_limits;          /* 1: deductible and ceiling scale with P[t] */
    poolsim_param amount;      /* per_capita: yuan per member per year */
    poolsim_param growth;      /* per_capita: yearly growth of amount */
} poolsim_benefit;

typedef struct {
    int enabled;
    poolsim_param share_of_financing; /* >= 0 */
    poolsim_param retention;          /* [0,1] */
    poolsim_param overspend_paid;     /* [0,1] */
} poolsim_global_budget;

typedef struct {
    char *id;
    char *name; /* UTF-8; defaults to id */
    poolsim_reserve_cfg reserve;
    poolsim_pooling_cfg pooling;
    int nclasses;
    int *classes; /* indices into scenario.classes */
    int nbenefits;
    poolsim_benefit *benefits;
    poolsim_global_budget global_budget;
} poolsim_line;

typedef struct {
    char *id;
    char *name;                /* UTF-8; defaults to id */
    double cost_index;         /* > 0, default 1 */
    double util_index;         /* >= 0, default 1 */
    double wage;               /* yuan per year in year 1 (0 when not needed) */
    double *enrol;             /* [nclasses] members in year 1, by global class index */
    poolsim_class_params *cls; /* [nclasses] resolved class parameters */
    double *balance;           /* [nlines] accumulated balance at start of year 1 */
    double *prior_financing;   /* [nlines] levy basis of year 1 */
    int *has_prior;            /* [nlines] 1 when prior_financing was given */
} poolsim_county;

typedef struct {
    char *name;        /* scenario name (defaults to the file name) */
    char *path;        /* path of the top scenario file as given */
    char *lang;        /* "en" or "zh" */
    char *source_text; /* every loaded file's text and the --set list, as loaded */
    int start_year;
    int horizon_years; /* T, 1..1000 */

    long paths;              /* simulation.paths, >= 1 */
    unsigned long long seed; /* simulation.seed */
    int claims_noise;        /* enum poolsim_noise */

    poolsim_ar1 medical_inflation;
    poolsim_ar1 wage_growth;
    double wage_inflation_corr; /* [-1,1] */
    double balance_interest;    /* > -1 */

    struct {
        double ar1, sd, rho;
    } utilisation; /* rho in [0,1] */
    struct {
        double prob, mean, sd;
    } epidemic; /* prob in [0,1], mean > 0 */

    poolsim_sharing_cfg sharing;

    double warn_months;       /* health.warn_months, > 0 (MODEL.md section 11) */
    int nrules;               /* management rules, in file order (section 12) */
    poolsim_mgmt_rule *rules; /* [nrules] */

    int nlines;
    poolsim_line *lines;
    int nclasses;
    poolsim_class *classes; /* all classes of all lines */
    int ncounties;
    poolsim_county *counties;
} poolsim_scenario;

/* Load options: the `--set KEY=VALUE` overrides, applied after `extends`
 * and before validation, plus --paths/--seed (negative = not given). */
typedef struct {
    int nsets;
    const char *const *sets;       /* "KEY=VALUE" strings */
    long paths;                    /* < 0: keep the scenario's */
    long long seed;                /* < 0: keep the scenario's (0..2^63-1) */
    int strict;                    /* 1: plausibility warnings are errors */
    int seed_given;                /* 1: seed_value replaces the scenario's (any */
    unsigned long long seed_value; /* 0..2^64-1, as simulation.seed allows) */
} poolsim_load_opts;

/* Load, merge, override and validate a scenario. On bad input every problem
 * is written to `diag` (one line each, FILE:LINE:COL: KEY: message), then a
 * count line ("poolsim: N errors in scenario"), and POOLSIM_EINPUT is
 * returned with *out == NULL. */
int poolsim_scenario_load(const char *path, const poolsim_load_opts *opts, FILE *diag,
                          poolsim_scenario **out /* OUT */);

void poolsim_scenario_free(poolsim_scenario *s);

/* Write the resolved parameters as readable YAML-like text (used by
 * `poolsim check` and stored in results files). */
void poolsim_scenario_print(const poolsim_scenario *s, FILE *f);

/* Same text in a malloc'ed string (caller frees); NULL on failure. */
char *poolsim_scenario_resolved_text(const poolsim_scenario *s);

/* Index lookups; -1 when absent. */
int poolsim_scenario_line_index(const poolsim_scenario *s, const char *id);
int poolsim_scenario_county_index(const poolsim_scenario *s, const char *id);

/* Rule values in force for line l in calendar year y (reserve keys of the
 * line, city-wide sharing, economy.balance_interest). */
void poolsim_scenario_rules_params(const poolsim_scenario *s, int l, int y,
                                   poolsim_rules_params *out /* OUT */);

/* First calendar year in which line l is pooled as `unified` at or after
 * the scenario's start (the start year itself when it is unified from the
 * start); 0 when the line stays with county accounts over the horizon. */
int poolsim_scenario_unified_from(const poolsim_scenario *s, int l);

/* 1 when some line is unified in some year of the horizon. */
int poolsim_scenario_any_unified(const poolsim_scenario *s);

/* Calendar year of projection year t (1-based). */
static inline int poolsim_scenario_year(const poolsim_scenario *s, int t)
{
    return s->start_year + t - 1;
}

#endif
