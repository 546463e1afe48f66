/* poolsim: fund-health indicators and management rules (MODEL.md section
 * 12). */
#include "poolsim/manage.h"

#include <math.h>

#include "poolsim/common.h"

int poolsim_manage_health(double pooled_balance, double reserve_end, double fin_total,
                          double exp_total, poolsim_health *out)
{
    out->pooled_balance = pooled_balance;
    if (!(exp_total > 0) || !(fin_total > 0)) {
        out->months_covered = out->surplus_rate = out->reserve_ratio = NAN;
        return POOLSIM_ENUM;
    }
    out->months_covered = 12.0 * pooled_balance / exp_total;
    out->surplus_rate = (fin_total - exp_total) / fin_total;
    out->reserve_ratio = reserve_end / fin_total;
    return POOLSIM_OK;
}

double poolsim_manage_indicator(const poolsim_health *h, int which)
{
    switch (which) {
    case POOLSIM_IND_RESERVE_RATIO: return h->reserve_ratio;
    case POOLSIM_IND_SURPLUS_RATE: return h->surplus_rate;
    default: return h->months_covered;
    }
}

int poolsim_manage_decide(const poolsim_mgmt_rule *r, int year, double indicator, int *times)
{
    if (*times >= r->max_times) return 0;
    if (r->from_year && year < r->from_year) return 0;
    if (!(indicator < r->below)) return 0;
    (*times)++;
    return 1;
}

void poolsim_manage_schedule(const poolsim_mgmt_rule *r, int t, int T, double *pending)
{
    if (r->lag >= T - t) return; /* t + lag >= T, written without overflow */
    pending[t + r->lag] *= 1.0 + r->change;
}
