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
}
