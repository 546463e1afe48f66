/* poolsim: the yearly pooling rules of one fund line (MODEL.md section 5).
 *
 * Pure arithmetic on the structs of include/poolsim/rules.h: no randomness,
 * no I/O, no allocation, no globals, so `run` (per path and thread),
 * `settle` and the tests share it unchanged. Money in yuan. */
#include "poolsim/rules.h"

#include <assert.h>
#include <float.h>
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

/* The levy of one county given the line's decision (levy_mode below):
 * nothing (stopped), in full, or in full times frac (top_up, scaled). */
enum { LEVY_NONE, LEVY_FULL, LEVY_SCALED };

/* Decide the line's levy from Ftot, the sum due and the reserve after
 * interest; *frac is set for LEVY_SCALED. */
static int levy_mode(const poolsim_rules_params *p, double ftot, double due, double reserve,
                     double *frac /* OUT */)
{
    const double cap = p->cap_ratio * ftot;
    *frac = 1.0;
    if (p->cap_mode == POOLSIM_CAP_TOP_UP) {
        const double room = dmax(0.0, cap - reserve);
        /* the whole levy fits under the cap: everybody pays in full */
        if (due <= room) return LEVY_FULL;
        /* due > room >= 0, so due > 0 and the division is safe */
        *frac = room / due;
        return LEVY_SCALED;
    }
    return reserve >= cap ? LEVY_NONE : LEVY_FULL;
}

static inline double levy_one(const poolsim_rules_params *p, int mode, double frac, double basis)
{
    if (mode == LEVY_NONE) return 0.0;
    if (mode == LEVY_FULL) return p->levy_rate * basis;
    return p->levy_rate * basis * frac;
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
    double frac;
    const int mode = levy_mode(p, ftot, due, reserve, &frac);
    double total = 0.0;
    for (size_t c = 0; c < n; c++) {
        cty[c].levy = levy_one(p, mode, frac, cty[c].levy_basis);
        total += cty[c].levy;
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
/* The share for G > 0 with q = G / F (or +inf when F = 0) already
 * computed, as poolsim_rules_share below and poolsim_rules_year use it. */
static inline double share_q(const poolsim_rules_params *p, double g, double f, double q,
                             int *bracket /* OUT */)
{
    const int nb = p->nbrackets;
    /* the first i with q <= up_to[i] (the last one, +inf, if none): as
     * up_to ascends, the brackets below q are a prefix; counted without
     * branches */
    int i = 0;
    for (int k = 0; k < nb - 1; k++) i += !(q <= p->up_to[k]);
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

double poolsim_rules_share(const poolsim_rules_params *p, double shortfall, double financing,
                           int *bracket /* OUT */)
{
    const double g = shortfall;
    const double f = financing;
    const int nb = p->nbrackets;
    assert(nb >= 1 && nb <= 16);
    assert(isinf(p->up_to[nb - 1]) && p->up_to[nb - 1] > 0);
    assert(g >= 0 && f >= 0);
    (void)nb;

    if (!(g > 0)) {
        *bracket = 0;
        return 0.0;
    }
    return share_q(p, g, f, f > 0 ? g / f : INFINITY, bracket);
}

/* Step 5 for one county with shortfall G = k->shortfall and reserve share
 * r = k->reserve_due, the reserve R before payment and the line's sum of r
 * (exhausted: R < sum r): county_gov = G - r, reserve_paid = r, or
 * min(r R / sum r, r) in an exhaustion year, miss = r - reserve_paid, and
 * the shares as below. */
static inline void pay_one(poolsim_rules_county *k, int exhausted, int city, double R, double rdue)
{
    const double g = k->shortfall, r = k->reserve_due;
    const double gov = g - r;
    const double rp = exhausted ? dmin(r * R / rdue, r) : r;
    const double miss = r - rp;
    k->county_gov = gov;
    k->reserve_paid = rp;
    k->miss = miss;
    k->county_share = city ? gov : gov + miss;
    k->city_share = city ? miss : 0.0;
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
    const int city = p->uncovered == POOLSIM_UNCOVERED_CITY;
    for (size_t c = 0; c < n; c++) pay_one(&cty[c], exhausted, city, have, due);
    /* have >= due implies have - due >= 0 in IEEE arithmetic */
    *reserve = exhausted ? 0.0 : have - due;
    return exhausted;
}

/* !isfinite(x) || x < 0, without branches (NaN fails both comparisons) */
static inline int bad_amount(double x)
{
    return !((x >= 0) & (x <= DBL_MAX));
}

static inline int is_fin(double x)
{
    return fabs(x) <= DBL_MAX;
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
 * DBL_MAX); the outputs are then unspecified.
 *
 * The steps are those of poolsim_rules_interest, _levy, _share and _pay,
 * fused into three passes over the counties with the same operations in
 * the same order (so the same bits): the inputs' checks and the line's
 * sums (levy due, Ftot); per county interest, levy, result, own balance
 * and share; per county the payment.
 *
 * The checks are folded into running sums and minima. A sum of terms is
 * finite only if every term is, so a finite Ftot, levy due, levy total,
 * sum of r and sum paid vouch for every F, levy basis, levy, r and
 * reserve_paid (and a finite sum that overflows is an error as before).
 * D = F - levy - E with those finite is finite unless it overflows: to
 * -inf, and then G = inf (or NaN), or to +inf, and then the year-end
 * balance is +inf (or NaN); so checking G and the balance checks D. Of
 * check_county's invariants, these hold by construction whatever the
 * parameters: G >= 0 (G = x - min(S, x)), 0 <= r <= G (clamped),
 * reserve_paid <= r (r, or min(..., r)), hence miss, g and both shares
 * >= 0, and the bracket is 0 exactly when G = 0; those that rest on the
 * parameters' ranges (balance interest > -1, reserve interest > -1,
 * levy rate >= 0) are checked: year-end balance, levy, balance used,
 * reserve_paid >= 0. check_county runs in full when one fails. */
int poolsim_rules_year(const poolsim_rules_params *p, size_t n, double *reserve /* IN-OUT */,
                       double *balance /* IN-OUT [n] */, poolsim_rules_county *cty /* IN-OUT [n] */,
                       poolsim_rules_line *line /* OUT */)
{
    /* inputs, and the line's sums for step 1 */
    const double rate = p->levy_rate;
    double due = 0.0, ftot = 0.0;
    /* every input finite and >= 0: F and the levy basis when the sums
     * are finite (rate * inf and 0 * inf are not); E and S when the sum
     * of x - x is 0 (else NaN); then the least of them is >= 0 */
    double nfi = 0.0, loi = *reserve;
    for (size_t c = 0; c < n; c++) {
        const double f = cty[c].financing, lb = cty[c].levy_basis, e = cty[c].expenditure;
        const double b = balance[c];
        nfi += (e - e) + (b - b);
        loi = dmin(loi, dmin(dmin(f, lb), dmin(e, b)));
        due += rate * lb;
        ftot += f;
    }
    if (bad_amount(*reserve) | !(nfi == 0) | !(loi >= 0) | !is_fin(due) | !is_fin(ftot))
        return POOLSIM_ENUM;
    assert(p->nbrackets >= 1 && p->nbrackets <= 16);
    assert(isinf(p->up_to[p->nbrackets - 1]) && p->up_to[p->nbrackets - 1] > 0);

    /* step 0 on the reserve (the balances' in the county pass) */
    const double R0 = *reserve;
    double R = R0 * (1.0 + p->reserve_interest);
    const double gb = 1.0 + p->balance_interest;

    /* step 1: the line's decision */
    double frac;
    const int mode = levy_mode(p, ftot, due, R, &frac);

    /* steps 0-4 per county */
    double levy_total = 0.0, rdue = 0.0;
    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        const double F = k->financing, E = k->expenditure;
        const double levy = levy_one(p, mode, frac, k->levy_basis);
        const double d = F - levy - E;
        double b = balance[c] * gb, used = 0.0, g = 0.0;
        if (d >= 0) {
            b += d;
        } else {
            const double x = -d;
            used = dmin(b, x);
            b -= used;
            g = x - used;
        }
        double q = 0.0, r = 0.0;
        int bracket = 0;
        if (g > 0) {
            q = F > 0 ? g / F : INFINITY;
            r = share_q(p, g, F, q, &bracket);
        }
        levy_total += levy;
        rdue += r;
        balance[c] = b;
        k->levy = levy;
        k->result = d;
        k->balance_used = used;
        k->shortfall = g;
        k->shortfall_ratio = q;
        k->bracket = bracket;
        k->reserve_due = r;
        k->overspend = k->liability = k->gap_share = 0.0;
    }
    R += levy_total;

    /* step 5, as poolsim_rules_pay */
    const int exhausted = R < rdue;
    const int city = p->uncovered == POOLSIM_UNCOVERED_CITY;
    double paid = 0.0, cburden = 0.0;
    /* nf: the sum of x - x over the figures checked, 0 when all are
     * finite, else NaN; lo: the least of those >= 0 by the parameters */
    double nf = 0.0, lo = 0.0;
    for (size_t c = 0; c < n; c++) {
        poolsim_rules_county *k = &cty[c];
        pay_one(k, exhausted, city, R, rdue);
        const double g = k->shortfall, b = balance[c], rp = k->reserve_paid;
        const double cs = k->county_share, ys = k->city_share;
        paid += rp;
        cburden += ys;
        nf += ((g - g) + (b - b)) + ((cs - cs) + (ys - ys));
        lo = dmin(lo, dmin(dmin(b, k->levy), dmin(k->balance_used, rp)));
        k->balance_end = b;
    }
    /* have >= due implies have - due >= 0 in IEEE arithmetic */
    *reserve = exhausted ? 0.0 : R - rdue;
    line->reserve_open = R0;
    line->levy_due = due;
    line->financing_total = ftot;
    line->levy_total = levy_total;
    line->exhausted = exhausted;
    line->reserve_due = rdue;
    line->reserve_paid = paid;
    line->reserve_end = *reserve;
    line->gap = 0.0;
    line->city_burden = cburden;

    /* overflow check: every money figure must be finite */
    if (!((nf == 0) & is_fin(*reserve) & is_fin(due) & is_fin(levy_total) & is_fin(ftot) &
          is_fin(rdue) & is_fin(paid)))
        return POOLSIM_ENUM;

    assert(*reserve >= 0);
    if (!(lo >= 0))
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
