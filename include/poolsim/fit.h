/* poolsim: calibration from a history of actual flows (`poolsim fit`,
 * docs/MODEL.md, "Calibration from a history").
 *
 * Input: a validated base scenario and flows (poolsim_flows, as `settle`
 * reads them) of at least POOLSIM_FIT_MIN_YEARS consecutive years for
 * every line of the scenario, every county every year (the flows reader
 * already refuses a county missing in a year), expenditure and enrolment
 * > 0. Enrolment comes from the optional `enrolment` column (all rows or
 * none), else from the base scenario's projection of its classes.
 *
 * The reduced-form model, per line l, county c and year t (y is the log of
 * expenditure per enrolee):
 *     y[l,c,t]  = Y[l,t] + a[l,c] + x[l,c,t]
 *     Y[l,t]    - Y[l,t-1] = A[l] + B[l] * (pi[t] + eta[l,t])
 *     pi[t]     = m + e[t],  e[t] = phi e[t-1] + sigma z[t], e[1] = 0
 *     x[l,c,t]  = phi_u x[l,c,t-1] + sigma_u u[l,c,t],      x[l,c,0] = 0
 * where A[l], B[l] carry the base scenario's utilisation trends and
 * per-capita benefit growth (the part of the line's growth that is not
 * the price index), so that pi is the log growth of the price index P,
 * common to all lines (the engine's medical inflation), eta[l,t] the
 * line's own deviation from it (sum over lines weighted by expenditure
 * share is 0), and x the county's own utilisation shock (the engine's
 * utilisation with rho = 0). a[l,c] is the county's level relative to the
 * city's mean of line l (sum over counties 0).
 *
 * Estimators (closed form or one-dimensional profile likelihood):
 *   trend[l]   mean of the yearly growth of the city mean of y;
 *   m          mean of the expenditure-weighted adjusted series pi[t];
 *   phi, sigma conditional least squares of pi (deviations from m);
 *   a, phi_u, sigma_u   Gaussian profile likelihood of the deviations
 *              y - (city mean of y), a grid of phi_u in [0, 0.98];
 *   common     mean cross-county correlation of the county growth
 *              residuals (a diagnostic: the share of year-to-year
 *              variation common to all counties).
 * Every estimate is bias-corrected and given a 95% interval by a
 * parametric bootstrap: B panels simulated from the fitted model, refitted
 * (estimate 2 theta - mean theta*, interval the basic bootstrap
 * [2 theta - q(0.975), 2 theta - q(0.025)]).
 *
 * Ownership: poolsim_fit_estimate fills a caller-provided struct with
 * malloc'ed arrays released by poolsim_fit_free. */
#ifndef POOLSIM_FIT_H
#define POOLSIM_FIT_H

#include <stdio.h>

#include "poolsim/scenario.h"
#include "poolsim/settle.h"

#define POOLSIM_FIT_MIN_YEARS 5

/* An estimate with its 95% interval. */
typedef struct {
    double est;    /* bias-corrected estimate */
    double raw;    /* the estimator on the data */
    double lo, hi; /* basic bootstrap 95% interval */
    double se;     /* bootstrap standard deviation */
} poolsim_fit_value;

typedef struct {
    int B;                   /* bootstrap replications (>= 99; 0: 999) */
    unsigned long long seed; /* bootstrap generator seed */
} poolsim_fit_opts;

/* The estimators on one panel (the data or a bootstrap replicate). */
typedef struct {
    double *trend; /* [L] */
    double m, phi, sigma;
    double phi_u, sigma_u;
    double common;
    double *a; /* [L][C] */
} poolsim_fit_point;

typedef struct {
    int L, C, T;           /* lines, counties, years */
    int first_year;        /* calendar year of t = 0 */
    int has_enrol;         /* 1: enrolment from the flows */
    double *E, *F, *N, *y; /* [L][C][T] expenditure, financing, enrolment, log(E/N) */
    double *A, *Bl;        /* [L] growth not from prices; price share of growth */
    double *w;             /* [L] expenditure share of the line in the last year */
    double *ybar;          /* [L][T] city mean of y */
    double *fitted;        /* [L][C][T] Y + a: the fitted level without x */
    double *resid_sd;      /* [L] sd of eta[l,.] */

    poolsim_fit_value *trend;                       /* [L] */
    poolsim_fit_value infl_mean, infl_ar1, infl_sd; /* engine scale: 1 + pi = exp(log growth) */
    poolsim_fit_value util_ar1, util_sd;            /* engine scale (rho = 0) */
    poolsim_fit_value common;
    poolsim_fit_value *a; /* [L][C] */
    int B;                /* bootstrap replications used */
} poolsim_fit;

/* Estimate from validated flows. POOLSIM_EINPUT with a message on diag
 * (FILE:LINE:COL for a row, else naming what is missing) when the data
 * cannot identify the model: a line without flows, fewer than
 * POOLSIM_FIT_MIN_YEARS years, years that are not consecutive or not the
 * same for every line, an expenditure or enrolment of 0. `name` is the
 * flows file's name for messages. POOLSIM_ENOMEM. */
int poolsim_fit_estimate(const poolsim_scenario *s, const poolsim_flows *f, const char *name,
                         const poolsim_fit_opts *o, FILE *diag, poolsim_fit *out /* OUT */);

void poolsim_fit_free(poolsim_fit *fit);

/* The estimators alone on a panel y [L][C][T] (T >= 3), with the growth
 * adjustment A, B and line weights w ([L]). p's arrays are the caller's
 * (trend [L], a [L][C]). Exposed for tests. */
void poolsim_fit_point_estimate(int L, int C, int T, const double *y, const double *A,
                                const double *B, const double *w, poolsim_fit_point *p);

/* The scenario the fit implies, as YAML text extending `base_ref` (the
 * base scenario's path as the fitted file should name it): start_year the
 * year after the history, medical inflation and utilisation from the fit,
 * per county cost_index, enrolment, financing scaled to the history's
 * level, and the balances, reserves and levy basis of the history's last
 * year from settling it on the base scenario. Each fitted value carries
 * its interval as a comment. `flows_name` is named in the header.
 * POOLSIM_EINPUT (message) when the settlement of the history fails,
 * POOLSIM_ENOMEM. */
int poolsim_fit_scenario_text(const poolsim_scenario *s, const poolsim_flows *f,
                              const poolsim_fit *fit, const char *base_ref, const char *flows_name,
                              FILE *diag, char **text /* OUT */);

/* The fit report (terminal): data, estimates with intervals, what is and
 * is not identified, the fitted scenario's year-1 levels. */
void poolsim_fit_print_report(const poolsim_scenario *s, const poolsim_fit *fit, FILE *f);

#endif
