/* poolsim: the yearly pooling rules of one fund line (MODEL.md section 5).
 *
 * Pure arithmetic on the structs of include/poolsim/rules.h: no randomness,
 * no I/O, no allocation, no globals, so `run` (per path and thread),
 * `settle` and the tests share it unchanged. Money in yuan. */
#include "poolsim/rules.h"

#include <assert.h>
#include <math.h>

/* max and min of finite numbers, inlined (libm's fmax/fmin are calls) */
static inline double dmax(double a, double b)
{
    return a > b ? a : b;
}
static inline double dmin(double a, double b)
{
    return a < b ? a : b;
}

/* Step 0 (MODEL.md 5.0). A rate > -1 keeps a non-negative balance
 * non-negative. */
void poolsim_rules_interest(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                            double *balance /* IN-OUT [n] */)
{
    *reserve *= 1.0 + p->reserve_interest;
    for (size_t c = 0; c < n; c++) balance[c] *= 1.0 + p->balance_interest;
}

/* Step 1 (MODEL.md 5.1). Reads cty[c].financing (this year's F, for the cap
 * test) and cty[c].levy_basis; sets cty[c].levy to what is actually paid.
 *   stop:   no levy at all when reserve >= cap_ratio * Ftot, else every
 *           county pays levy_rate * basis in full;
 *   top_up: the levy only fills the gap up to the cap,
 *           total = min(sum due, max(0, cap_ratio * Ftot - reserve)),
 *           shared pro rata to what each county owes.
 * Returns the total actually paid (the sum of cty[c].levy). */
double poolsim_rules_levy(const poolsim_rules_params *p, size_t n, double reserve,
                          poolsim_rules_county *cty /* IN-OUT [n] */)
{
    double ftot = 0.0, due = 0.0;
    for (size_t c = 0; c < n; c++) {
        ftot += cty[c].financing;
        due += p->levy_rate * cty[c].levy_basis;
    }
    const double cap = p->cap_ratio * ftot;
    double total = 0.0;

    if (p->cap_mode == POOLSIM_CAP_TOP_UP) {
        const double room = dmax(0.0, cap - reserve);
        if (due <= room) {
            /* the whole levy fits under the cap: everybody pays in full */
            for (size_t c = 0; c < n; c++) {
                cty[c].levy = p->levy_rate * cty[c].levy_basis;
                total += cty[c].levy;
            }
        } else {
            /* due > room >= 0, so due > 0 and the division is safe */
            const double frac = room / due;
            for (size_t c = 0; c < n; c++) {
                cty[c].levy = p->levy_rate * cty[c].levy_basis * frac;
                total += cty[c].levy;
            }
        }
    } else {
        const int stopped = reserve >= cap;
        for (size_t c = 0; c < n; c++) {
            cty[c].levy = stopped ? 0.0 : p->levy_rate * cty[c].levy_basis;
            total += cty[c].levy;
        }
    }
    return total;
}

/* ---- Step 4: tiered sharing of a shortfall ---------------------------------
 *
 * After its own balance is used up, a county is left with a shortfall G.
 * The rule measures it against the county's own financing F, q = G / F, and
 * splits G between the city reserve and the county government using
 * brackets (up_to_i, reserve_i) with up_to ascending and the last one +inf
 * (the Zhuzhou text: under 10% -> the reserve pays all; 10-30% -> 70/30;
 * 30-50% -> 30/70; above: assumed the county pays all). The text does not
 * say which side an edge falls on; MODEL.md puts it in the lower bracket.
 *
 * Two readings of "brackets" exist and both are offered:
 *
 *  - bracket (the rule as written): the whole of G gets the share of the
 *    bracket that q falls in, r = reserve_i * G with i the first bracket
 *    with q <= up_to_i. So a shortfall exactly at 10% of financing is
 *    still paid in full by the reserve, and one a hair above it gets only
 *    70%: r drops at every edge (from 0.1 F to about 0.07 F at q = 10%),
 *    so r is not monotone in G and a county gains by reporting a gap just
 *    under an edge.
 *
 *  - marginal (like income-tax brackets, in money): each slice of G pays
 *    its own bracket's share, r = sum_i reserve_i (min(G, up_to_i F) -
 *    lo_i F)^+ with lo_1 = 0, lo_i = up_to_(i-1). r is continuous and
 *    non-decreasing in G. `bracket` is still reported as the bracket
 *    holding q, for the tables.
 *
 * Edge cases. q is a ratio of two non-negative yuan amounts:
 *  - G = 0: nothing to share, bracket 0, r = 0 (whatever F is);
 *  - F > 0: q finite; an edge belongs to the lower bracket (q <= up_to);
 *  - F = 0 and G > 0 (a county with no financing at all but spending):
 *    q = +inf, which only the last bracket (up_to = +inf) holds, so both
 *    modes give r = reserve_last * G. In marginal mode every finite
 *    up_to_i F is 0, so only the last slice [0, G] is non-empty; it is
 *    computed as such rather than as inf * 0.
 * r is clamped to [0, G] so that rounding in the marginal sum can never
 * make the reserve owe more than the shortfall. */
double poolsim_rules_share(const poolsim_rules_params *p, double shortfall, double financing,
                           int *bracket /* OUT */)
{
    const double g = shortfall;
    const double f = financing;
    const int nb = p->nbrackets;
    assert(nb >= 1 && nb <= 16);
    assert(isinf(p->up_to[nb - 1]) && p->up_to[nb - 1] > 0);
    assert(g >= 0 && f >= 0);

    if (!(g > 0)) {
        *bracket = 0;
        return 0.0;
    }
    const double q = f > 0 ? g / f : INFINITY;
    int i = 0;
    while (i < nb - 1 && !(q <= p->up_to[i])) i++;
    *bracket = i + 1;

    double r;
    if (p->sharing_mode == POOLSIM_SHARING_MARGINAL) {
        r = 0.0;
        double lo = 0.0; /* lo_i F in yuan */
        for (int k = 0; k < nb && lo < g; k++) {
            const double hi = (k == nb - 1) ? g : dmin(g, p->up_to[k] * f);
            if (hi > lo) r += p->reserve_share[k] * (hi - lo);
            lo = dmax(lo, hi);
        }
    } else {
        r = p->reserve_share[i] * g;
    }
    return dmin(dmax(r, 0.0), g);
}

/* Step 5 (MODEL.md 5.5). Reads cty[c].shortfall (G) and cty[c].reserve_due
 * (r); sets county_gov (g = G - r), reserve_paid, miss, county_share and
 * city_share, so that reserve_paid + county_share + city_share = G.
 * When the reserve holds at least sum r it pays every r in full; otherwise
 * (strictly less: an exhaustion year) it pays each county r * R / sum r,
 * is left at exactly 0, and the unpaid rest goes to the county government
 * (uncovered: county) or to the city's finance (uncovered: city). */
int poolsim_rules_pay(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                      poolsim_rules_county *cty /* IN-OUT [n] */)
{
    double due = 0.0;
    for (size_t c = 0; c < n; c++) due += cty[c].reserve_due;

    const double have = *reserve;
    const int exhausted = have < due;
    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        k->county_gov = k->shortfall - k->reserve_due;
        if (exhausted)
            k->reserve_paid = dmin(k->reserve_due * have / due, k->reserve_due);
        else
            k->reserve_paid = k->reserve_due;
        k->miss = k->reserve_due - k->reserve_paid;
        if (p->uncovered == POOLSIM_UNCOVERED_CITY) {
            k->county_share = k->county_gov;
            k->city_share = k->miss;
        } else {
            k->county_share = k->county_gov + k->miss;
            k->city_share = 0.0;
        }
    }
    /* have >= due implies have - due >= 0 in IEEE arithmetic */
    *reserve = exhausted ? 0.0 : have - due;
    return exhausted;
}

static int bad_amount(double x)
{
    return !isfinite(x) || x < 0;
}

/* Invariants of one county's year (SQLite-style: checked in debug builds). */
static void check_county(const poolsim_rules_county *k)
{
    (void)k;
    assert(k->balance_end >= 0);
    assert(k->levy >= 0);
    assert(k->balance_used >= 0 && k->shortfall >= 0);
    assert(k->reserve_paid >= 0 && k->reserve_paid <= k->reserve_due);
    assert(k->reserve_due <= k->shortfall);
    assert(k->miss >= 0 && k->county_share >= 0 && k->city_share >= 0);
    assert(k->bracket >= 0 && k->bracket <= 16);
    assert((k->shortfall > 0) == (k->bracket > 0));
}

/* The whole year, steps 0-5, for one line (MODEL.md section 5).
 * Inputs per county: financing, levy_basis, expenditure (yuan, finite,
 * >= 0); opening reserve and balances (finite, >= 0). Any other input
 * gives POOLSIM_ENUM with nothing changed. POOLSIM_ENUM is also returned
 * when the year's figures overflow to a non-finite value (inputs near
 * DBL_MAX); the outputs are then unspecified. */
int poolsim_rules_year(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                       double *balance /* IN-OUT [n] */, poolsim_rules_county *cty /* IN-OUT [n] */,
                       poolsim_rules_line *line /* OUT */)
{
    if (bad_amount(*reserve)) return POOLSIM_ENUM;
    for (size_t c = 0; c < n; c++)
        if (bad_amount(balance[c]) || bad_amount(cty[c].financing) ||
            bad_amount(cty[c].levy_basis) || bad_amount(cty[c].expenditure))
            return POOLSIM_ENUM;

    line->reserve_open = *reserve;
    poolsim_rules_interest(p, n, reserve, balance);

    line->levy_due = 0.0;
    line->financing_total = 0.0;
    for (size_t c = 0; c < n; c++) {
        line->levy_due += p->levy_rate * cty[c].levy_basis;
        line->financing_total += cty[c].financing;
    }
    line->levy_total = poolsim_rules_levy(p, n, *reserve, cty);
    *reserve += line->levy_total;

    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        k->result = k->financing - k->levy - k->expenditure;
        if (k->result >= 0) {
            balance[c] += k->result;
            k->balance_used = 0.0;
            k->shortfall = 0.0;
        } else {
            const double x = -k->result;
            k->balance_used = dmin(balance[c], x);
            balance[c] -= k->balance_used;
            k->shortfall = x - k->balance_used;
        }
        if (k->shortfall > 0)
            k->shortfall_ratio = k->financing > 0 ? k->shortfall / k->financing : INFINITY;
        else
            k->shortfall_ratio = 0.0;
        k->reserve_due = poolsim_rules_share(p, k->shortfall, k->financing, &k->bracket);
        k->overspend = k->liability = k->gap_share = 0.0;
    }

    line->exhausted = poolsim_rules_pay(p, n, reserve, cty);

    line->reserve_due = 0.0;
    line->reserve_paid = 0.0;
    for (size_t c = 0; c < n; c++) {
        cty[c].balance_end = balance[c];
        line->reserve_due += cty[c].reserve_due;
        line->reserve_paid += cty[c].reserve_paid;
    }
    line->reserve_end = *reserve;
    line->gap = 0.0;
    line->city_burden = 0.0;
    for (size_t c = 0; c < n; c++) line->city_burden += cty[c].city_share;

    /* overflow check: every money figure must be finite */
    if (!isfinite(*reserve) || !isfinite(line->levy_due) || !isfinite(line->levy_total) ||
        !isfinite(line->financing_total) || !isfinite(line->reserve_due) ||
        !isfinite(line->reserve_paid))
        return POOLSIM_ENUM;
    for (size_t c = 0; c < n; c++) {
        const poolsim_rules_county *k = &cty[c];
        if (!isfinite(k->levy) || !isfinite(k->result) || !isfinite(k->shortfall) ||
            !isfinite(k->reserve_due) || !isfinite(k->reserve_paid) || !isfinite(k->county_share) ||
            !isfinite(k->city_share) || !isfinite(k->balance_end))
            return POOLSIM_ENUM;
    }

    assert(*reserve >= 0);
    for (size_t c = 0; c < n; c++) check_county(&cty[c]);
    return POOLSIM_OK;
}

/* ---- unified lines (MODEL.md section 10) ----------------------------------- */

double poolsim_rules_move_up(size_t n, double *reserve /* IN-OUT */, double *balance /* IN-OUT */)
{
    double b = *reserve;
    for (size_t c = 0; c < n; c++) {
        b += balance[c];
        balance[c] = 0.0;
    }
    *reserve = 0.0;
    return b;
}

/* Step 1: no levy under 统收统支, so D = F - E. The part of an overspend
 * within tolerance * F is not charged; of the rest the county government
 * pays county_liability into the fund (责任分级负责). */
void poolsim_rules_unified_result(const poolsim_rules_params *p, size_t n,
                                  poolsim_rules_county *cty /* IN-OUT [n] */)
{
    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        k->result = k->financing - k->expenditure;
        k->overspend = dmax(0.0, -k->result - p->tolerance * k->financing);
        k->liability = p->county_liability * k->overspend;
    }
}

double poolsim_rules_gap_weights(const poolsim_rules_params *p, size_t n,
                                 const poolsim_rules_county *cty, double *w /* OUT [n] */)
{
    double sum = 0.0;
    for (size_t c = 0; c < n; c++) {
        switch (p->gap_key) {
        case POOLSIM_GAP_ENROLEES: w[c] = cty[c].enrolees; break;
        case POOLSIM_GAP_DEFICIT: w[c] = dmax(0.0, -cty[c].result); break;
        default: w[c] = cty[c].financing; break;
        }
        sum += w[c];
    }
    if (sum > 0) return sum;
    /* all zero: financing (MODEL.md), then equal shares */
    sum = 0.0;
    for (size_t c = 0; c < n; c++) sum += (w[c] = cty[c].financing);
    if (sum > 0) return sum;
    for (size_t c = 0; c < n; c++) w[c] = 1.0;
    return (double)n;
}

int poolsim_rules_unified_gap(const poolsim_rules_params *p, size_t n, double *fund /* IN-OUT */,
                              poolsim_rules_county *cty /* IN-OUT [n] */, double *w /* [n] */,
                              double *gap /* OUT */)
{
    double sd = 0.0, sa = 0.0;
    for (size_t c = 0; c < n; c++) {
        sd += cty[c].result;
        sa += cty[c].liability;
    }
    const double b = *fund + (sd + sa);
    for (size_t c = 0; c < n; c++) cty[c].gap_share = cty[c].city_share = 0.0;
    if (!(b < 0)) {
        *fund = b;
        *gap = 0.0;
        return 0;
    }
    const double g = -b;
    const double sw = poolsim_rules_gap_weights(p, n, cty, w);
    const double city = p->city_share * g, counties = (1.0 - p->city_share) * g;
    for (size_t c = 0; c < n; c++) {
        cty[c].gap_share = counties * w[c] / sw;
        cty[c].city_share = city * w[c] / sw;
    }
    *fund = 0.0;
    *gap = g;
    return 1;
}

int poolsim_rules_unified_year(const poolsim_rules_params *p, size_t n, double *fund /* IN-OUT */,
                               poolsim_rules_county *cty /* IN-OUT [n] */, double *w /* [n] */,
                               poolsim_rules_line *line /* OUT */)
{
    if (bad_amount(*fund)) return POOLSIM_ENUM;
    for (size_t c = 0; c < n; c++)
        if (bad_amount(cty[c].financing) || bad_amount(cty[c].expenditure) ||
            bad_amount(cty[c].enrolees))
            return POOLSIM_ENUM;

    line->reserve_open = *fund;
    *fund *= 1.0 + p->balance_interest;
    line->levy_due = line->levy_total = 0.0;
    line->reserve_due = line->reserve_paid = 0.0;
    line->financing_total = 0.0;
    for (size_t c = 0; c < n; c++) line->financing_total += cty[c].financing;

    poolsim_rules_unified_result(p, n, cty);
    line->exhausted = poolsim_rules_unified_gap(p, n, fund, cty, w, &line->gap);
    line->reserve_end = *fund;
    line->city_burden = p->city_share * line->gap;

    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        k->levy = 0.0;
        k->balance_used = 0.0;
        k->shortfall = dmax(0.0, -k->result);
        if (k->shortfall > 0)
            k->shortfall_ratio = k->financing > 0 ? k->shortfall / k->financing : INFINITY;
        else
            k->shortfall_ratio = 0.0;
        k->bracket = 0;
        k->reserve_due = k->reserve_paid = k->miss = 0.0;
        k->county_gov = k->county_share = k->liability + k->gap_share;
        k->balance_end = 0.0;
        if (!isfinite(k->result) || !isfinite(k->county_share) || !isfinite(k->city_share))
            return POOLSIM_ENUM;
    }
    if (!isfinite(*fund) || !isfinite(line->financing_total) || !isfinite(line->gap))
        return POOLSIM_ENUM;
    assert(*fund >= 0);
    return POOLSIM_OK;
}
