/* poolsim: rule values in force for a line and calendar year. */
#include <math.h>

#include "poolsim/scenario.h"

void poolsim_scenario_rules_params(const poolsim_scenario *s, int l, int y,
                                   poolsim_rules_params *out /* OUT */)
{
    const poolsim_reserve_cfg *rc = &s->lines[l].reserve;
    out->levy_rate = poolsim_param_at(&rc->levy_rate, y);
    out->cap_ratio = poolsim_param_at(&rc->cap_ratio, y);
    out->cap_mode = rc->cap_mode;
    out->reserve_interest = poolsim_param_at(&rc->interest, y);
    out->balance_interest = s->balance_interest;
    out->uncovered = rc->uncovered;
    out->sharing_mode = s->sharing.mode;
    out->nbrackets = s->sharing.nbrackets;
    for (int i = 0; i < s->sharing.nbrackets; i++) {
        out->up_to[i] = poolsim_param_at(&s->sharing.up_to[i], y);
        out->reserve_share[i] = poolsim_param_at(&s->sharing.reserve[i], y);
    }
    /* the last bracket is open-ended whatever was written */
    out->up_to[s->sharing.nbrackets - 1] = INFINITY;
    const poolsim_pooling_cfg *po = &s->lines[l].pooling;
    out->pooling_mode = (int)poolsim_param_at(&po->mode, y);
    out->city_share = poolsim_param_at(&po->city_share, y);
    out->gap_key = (int)poolsim_param_at(&po->gap_key, y);
    out->county_liability = poolsim_param_at(&po->county_liability, y);
    out->tolerance = poolsim_param_at(&po->tolerance, y);
}

int poolsim_scenario_unified_from(const poolsim_scenario *s, int l)
{
    const poolsim_param *md = &s->lines[l].pooling.mode;
    for (int t = 1; t <= s->horizon_years; t++) {
        int y = poolsim_scenario_year(s, t);
        if ((int)poolsim_param_at(md, y) == POOLSIM_POOLING_UNIFIED) return y;
    }
    return 0;
}

int poolsim_scenario_any_unified(const poolsim_scenario *s)
{
    for (int l = 0; l < s->nlines; l++)
        if (poolsim_scenario_unified_from(s, l)) return 1;
    return 0;
}
