/* poolsim: the yearly pooling rules of one fund line (MODEL.md section 5).
 *
 * Pure functions on plain structs: no randomness, no I/O, no allocation,
 * no globals. Used unchanged by `run` (per path), `settle` (actual figures),
 * `sweep`, `solve` and the tests. All money in yuan.
 *
 * Order within a year, for each line (section 5):
 *   0 interest on opening balances      poolsim_rules_interest
 *   1 levy with the cap test            poolsim_rules_levy
 *   2 county result D = F - levy - E    (in poolsim_rules_year)
 *   3 own balance first                 (in poolsim_rules_year)
 *   4 tiered sharing of what is left    poolsim_rules_share
 *   5 the reserve pays, pro rata when   poolsim_rules_pay
 *     it cannot pay all (exhaustion)
 *
 * A line pooled as `unified` (统收统支, MODEL.md section 10) has one city
 * fund B instead of the reserve and county balances:
 *   transition: in the first unified     poolsim_rules_move_up
 *     year, B = R + sum S (上划)
 *   0 interest B *= 1 + balance_interest (in poolsim_rules_unified_year)
 *   1 county results D = F - E, overspend poolsim_rules_unified_result
 *     above tolerance, county liability
 *   2 B += sum D + sum a                 poolsim_rules_unified_gap
 *   3 a gap (B < 0) paid by the city and
 *     the counties by gap_key weights
 */
#ifndef POOLSIM_RULES_H
#define POOLSIM_RULES_H

#include <stddef.h>

#include "poolsim/common.h"

/* The rule variants a scenario chooses (MODEL.md section 5). */
#define POOLSIM_MAX_BRACKETS 16
enum poolsim_cap_mode { POOLSIM_CAP_STOP = 0, POOLSIM_CAP_TOP_UP = 1 };
enum poolsim_uncovered { POOLSIM_UNCOVERED_COUNTY = 0, POOLSIM_UNCOVERED_CITY = 1 };
enum poolsim_sharing_mode { POOLSIM_SHARING_BRACKET = 0, POOLSIM_SHARING_MARGINAL = 1 };
enum poolsim_pooling_mode { POOLSIM_POOLING_COUNTY_ACCOUNTS = 0, POOLSIM_POOLING_UNIFIED = 1 };
enum poolsim_gap_key {
    POOLSIM_GAP_FINANCING = 0,
    POOLSIM_GAP_ENROLEES = 1,
    POOLSIM_GAP_DEFICIT = 2
};

/* Rule values in force for one line in one year (schedules resolved). */
typedef struct {
    double levy_rate;        /* [0,1] */
    double cap_ratio;        /* >= 0 */
    int cap_mode;            /* enum poolsim_cap_mode */
    double reserve_interest; /* > -1 */
    double balance_interest; /* > -1 */
    int uncovered;           /* enum poolsim_uncovered */
    int sharing_mode;        /* enum poolsim_sharing_mode */
    int nbrackets;
    double up_to[POOLSIM_MAX_BRACKETS];         /* ascending, last +inf */
    double reserve_share[POOLSIM_MAX_BRACKETS]; /* [0,1] */
    /* pooling design (MODEL.md section 10) */
    int pooling_mode;        /* enum poolsim_pooling_mode */
    double city_share;       /* unified: city government's share of a gap, [0,1] */
    int gap_key;             /* enum poolsim_gap_key */
    double county_liability; /* unified: share of an overspend the county pays in, [0,1] */
    double tolerance;        /* unified: overspend free of charge, share of F, >= 0 */
} poolsim_rules_params;

/* Per-county figures of one year. Inputs are F, levy_basis, E; the rest is
 * filled in by poolsim_rules_year. */
typedef struct {
    /* inputs */
    double financing;   /* F[c,l,t] */
    double levy_basis;  /* F[c,l,t-1], prior_financing or F[c,l,t] for t = 1 */
    double expenditure; /* E[c,l,t], without the levy */
    double enrolees;    /* unified, gap_key enrolees: sum_m N[c,m,t] of the line's classes */
    /* outputs */
    double levy;            /* levy actually paid */
    double result;          /* D = F - levy - E */
    double balance_used;    /* from the county's own balance */
    double shortfall;       /* G, after the own balance */
    double shortfall_ratio; /* q = G / F (inf when F = 0 and G > 0; 0 when G = 0) */
    int bracket;            /* 1-based bracket holding q; 0 when G = 0 */
    double reserve_due;     /* r: what the brackets assign to the reserve */
    double reserve_paid;    /* what the reserve actually paid (r, or pro rata) */
    double county_gov;      /* g = G - r */
    double miss;            /* r - reserve_paid, unpaid because the reserve ran out */
    double county_share;    /* county government's burden: g (+ miss if uncovered: county) */
    double city_share;      /* miss if uncovered: city, else 0 */
    double balance_end;     /* S[c] at year end */
    /* unified years only (0 under county accounts) */
    double overspend; /* O = max(0, -D - tolerance F) */
    double liability; /* a = county_liability O, paid into the fund */
    double gap_share; /* h: the county's part of a gap */
} poolsim_rules_county;

/* Line-level figures of one year. */
typedef struct {
    double reserve_open;    /* R before interest */
    double levy_due;        /* sum of levy_rate * levy_basis */
    double levy_total;      /* levy actually paid */
    double financing_total; /* Ftot */
    double reserve_due;     /* sum r */
    double reserve_paid;    /* what the reserve paid */
    double reserve_end;     /* R at year end */
    int exhausted;          /* 1: R < sum r strictly (an exhaustion year) */
    double city_burden;     /* city government's payment: sum of cty[].city_share
                               (county accounts), city_share Gap (unified) */
    double gap;             /* unified: the fund gap paid by governments (0 otherwise) */
} poolsim_rules_line;

/* Step 0: interest on the reserve and the n county balances (in place). */
void poolsim_rules_interest(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                            double *balance /* IN-OUT [n] */);

/* Step 1: levy. Sets cty[c].levy for all c and returns the total levy;
 * the caller adds it to the reserve. reserve is the balance after interest. */
double poolsim_rules_levy(const poolsim_rules_params *p, size_t n, double reserve,
                          poolsim_rules_county *cty /* IN-OUT [n] */);

/* Step 4 for one county: reserve share r of shortfall G given financing F.
 * Sets *bracket (1-based, 0 when G = 0). */
double poolsim_rules_share(const poolsim_rules_params *p, double shortfall, double financing,
                           int *bracket /* OUT */);

/* Step 5: the reserve pays sum r, or pro rata when it cannot. Fills
 * reserve_paid, miss, county_share, city_share; returns 1 in an exhaustion
 * year. */
int poolsim_rules_pay(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                      poolsim_rules_county *cty /* IN-OUT [n] */);

/* The whole year (steps 0-5) for one line and its n counties. reserve and
 * balance[n] are the opening balances and are updated to year-end values.
 * Returns POOLSIM_OK, or POOLSIM_ENUM if an input is not finite. */
int poolsim_rules_year(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                       double *balance /* IN-OUT [n] */, poolsim_rules_county *cty /* IN-OUT [n] */,
                       poolsim_rules_line *line /* OUT */);

/* ---- unified lines (MODEL.md section 10) ---------------------------------- */

/* The transition year's 上划: returns B = reserve + sum balance[c] and sets
 * the reserve and every balance to 0. */
double poolsim_rules_move_up(size_t n, double *reserve /* IN-OUT */,
                             double *balance /* IN-OUT [n] */);

/* Unified step 1: for each county, result D = F - E (in cty[c].result),
 * overspend O = max(0, -D - tolerance F) and liability a = county_liability
 * O. */
void poolsim_rules_unified_result(const poolsim_rules_params *p, size_t n,
                                  poolsim_rules_county *cty /* IN-OUT [n] */);

/* The weights gap_key gives the counties (MODEL.md section 10 step 3):
 * financing F, enrolees, or deficit max(0, -D). When they are all zero
 * the financing weights are used, and when those are all zero too, equal
 * weights. Writes w[n] and returns their sum (> 0 when n > 0). */
double poolsim_rules_gap_weights(const poolsim_rules_params *p, size_t n,
                                 const poolsim_rules_county *cty, double *w /* OUT [n] */);

/* Unified steps 2-3: B += sum D + sum a; when B < 0 (strictly: an
 * exhaustion year) the gap -B is paid by the city (city_share) and the
 * counties (the rest, by gap_key weights), and B = 0. Sets gap_share (h)
 * and city_share (the city's part attributed by the same weights) of
 * every county; *gap gets the gap (0 when none). Returns 1 in an
 * exhaustion year. w is scratch space for n weights. */
int poolsim_rules_unified_gap(const poolsim_rules_params *p, size_t n, double *fund /* IN-OUT */,
                              poolsim_rules_county *cty /* IN-OUT [n] */, double *w /* [n] */,
                              double *gap /* OUT */);

/* The whole unified year (steps 0-3) for one line: fund is the opening
 * balance B (after any move up), updated to the year-end balance. Fills
 * every field of cty[] and line with the row meaning of MODEL.md section
 * 10 (levy, balance_used, bracket, reserve shares, miss, balance_end 0;
 * shortfall max(0, -D); county_share a + h; city_share the attributed city
 * part; reserve_end B). w: scratch for n weights. Returns POOLSIM_OK, or
 * POOLSIM_ENUM if an input is not finite or >= 0, or a figure overflows. */
int poolsim_rules_unified_year(const poolsim_rules_params *p, size_t n, double *fund /* IN-OUT */,
                               poolsim_rules_county *cty /* IN-OUT [n] */, double *w /* [n] */,
                               poolsim_rules_line *line /* OUT */);

#endif
