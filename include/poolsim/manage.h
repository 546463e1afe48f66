/* poolsim: fund-health indicators and management rules (MODEL.md section
 * 12).
 *
 * Pure functions on plain structs: no randomness, no I/O, no allocation.
 *
 * A management rule watches one indicator of its line at each year end; when
 * the indicator is strictly below `below`, the rule has fired fewer than
 * `max_times` times and the calendar year is >= `from_year`, it fires: the
 * line's multiplier for its action (contribution m_C or benefits m_B) is
 * multiplied by (1 + change) from year t + lag on. Multipliers start at 1;
 * several rules multiply. The multipliers of year t are therefore the
 * products of the pending factors of years 1..t, which
 * poolsim_manage_schedule keeps per line and action. */
#ifndef POOLSIM_MANAGE_H
#define POOLSIM_MANAGE_H

enum poolsim_mgmt_indicator {
    POOLSIM_IND_MONTHS_COVERED = 0,
    POOLSIM_IND_RESERVE_RATIO = 1,
    POOLSIM_IND_SURPLUS_RATE = 2
};
enum poolsim_mgmt_action { POOLSIM_ACT_CONTRIBUTION = 0, POOLSIM_ACT_BENEFITS = 1 };

/* One rule of the scenario's `management` list (validated). */
typedef struct {
    char *id;
    int line;      /* index into scenario.lines */
    int indicator; /* enum poolsim_mgmt_indicator */
    double below;  /* fires when the indicator is strictly below */
    int action;    /* enum poolsim_mgmt_action */
    double change; /* > -1: the multiplier is multiplied by 1 + change */
    int max_times; /* >= 1 */
    int lag;       /* >= 1: years from the decision to the effect */
    int from_year; /* first calendar year of a decision; 0: no limit */
} poolsim_mgmt_rule;

/* The fund-health indicators of one line and year (MODEL.md section 12). */
typedef struct {
    double pooled_balance; /* PB = R + sum S (county accounts) or B (unified) */
    double months_covered; /* 12 PB / sum E */
    double surplus_rate;   /* (Ftot - sum E) / Ftot */
    double reserve_ratio;  /* R / Ftot (B / Ftot unified) */
} poolsim_health;

/* Indicators from the year-end pooled balance, the line's total financing
 * and total expenditure (without the levy). Returns POOLSIM_ENUM when
 * exp_total or fin_total is not > 0 (the indicators are undefined). */
int poolsim_manage_health(double pooled_balance, double reserve_end, double fin_total,
                          double exp_total, poolsim_health *out /* OUT */);

/* The value of indicator `which` (enum poolsim_mgmt_indicator). */
double poolsim_manage_indicator(const poolsim_health *h, int which);

/* Decide rule r at the end of the year `year` (calendar) with the given
 * indicator value; *times is how often the rule has fired on this path so
 * far. Returns 1 (and increments *times) when it fires, else 0. */
int poolsim_manage_decide(const poolsim_mgmt_rule *r, int year, double indicator,
                          int *times /* IN/OUT */);

/* Record the effect of rule r fired at the end of projection year index t
 * (0-based): pending[t + lag] *= 1 + change, when t + lag < T (a later
 * effect falls after the horizon). pending: [T] factors of one line and
 * action, all 1 at the start of a path. */
void poolsim_manage_schedule(const poolsim_mgmt_rule *r, int t, int T, double *pending);

#endif
