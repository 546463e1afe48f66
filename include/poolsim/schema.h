/* poolsim: the results schema -- one table that every output follows.
 *
 * Each row of POOLSIM_SCHEMA is one output of a run (MODEL.md sections 7
 * and 13). From the row alone come:
 *   - the field(s) of poolsim_results (results.h) and their allocation;
 *   - the per-path record slot lay->NAME (stats.h) that the engine fills,
 *     and how the paths are summarised (stats.c);
 *   - the HDF5 datasets (h5out.c) and their reading back (h5in.c);
 *   - the summary JSON (jsonout.c);
 *   - the table in docs/RESULTS.md (`poolsim schema --markdown`; a test
 *     checks the document against it).
 * A new output is one row here plus the engine line that fills its record
 * slot on each path.
 *
 * Columns: X(name, kind, shape, source, since, units, description)
 *
 * kind: how the paths are summarised and what the results hold
 *   VEC   a plain array (name), not a path summary
 *   RATE  share of paths whose 0/1 flag is set (name)
 *   PROB  share of paths with the flag, and its Wilson 95% interval:
 *         fields name_prob, name_lo, name_hi; stored as name_prob and
 *         name_ci ([n][2] = lo, hi)
 *   MS    mean and standard error (poolsim_mean_se)
 *   DIST  mean, se and the seven quantiles p01..p99 (poolsim_distsum)
 *   TAIL  mean, se, p95, p99 and CVaR95 (poolsim_tailsum)
 * shape: the dimensions, T years, L lines, C counties, R management rules
 *   LT [L][T], LT1 [L][T+1], L [L], LCT [L][C][T], LC [L][C],
 *   CT [C][T], C [C], RT [R][T]
 *   and where it is stored (HDF5 group / JSON object):
 *   LT LT1 L   /lines/<line>/NAME               lines.<line>.NAME
 *   LCT LC     /lines/<line>/counties/<c>/NAME  lines.<line>.counties.<c>.NAME
 *   CT C       /county_totals/<c>/NAME          counties.<c>.NAME
 *   RT         /lines/<line>/management/<rule>/NAME   lines.<line>.management.<rule>.NAME
 *   (a rule's line is the line it names)
 * source: REC a per-path record slot of the row's shape, summarised by kind;
 *   FIRST computed from the first exhaustion year of each path;
 *   META filled from the scenario (engine).
 * since: 1 for the outputs of results format 1 (required when reading),
 *   2 for outputs added later (read when present, else left zero and
 *   poolsim_results.present[row] is 0).
 * units: "yuan", "1" (ratios, probabilities), "months", "times", "paths".
 *
 * Rows are in output order within each group: new rows go at the end of
 * their group so that earlier outputs keep their place in the JSON. */
#ifndef POOLSIM_SCHEMA_H
#define POOLSIM_SCHEMA_H

#include <stddef.h>
#include <stdio.h>

/* clang-format off */
#define POOLSIM_SCHEMA(X)                                                                          \
    X(exhaustion, PROB, LT, FIRST, 1, "1",                                                         \
      "P(exhausted by year): share of paths whose first exhaustion year is <= this year")          \
    X(exhaustion_year_prob, RATE, LT, REC, 1, "1",                                                 \
      "P(this year is an exhaustion year: the reserve cannot pay all reserve shares)")             \
    X(first_exhaustion_count, VEC, LT1, FIRST, 1, "paths",                                         \
      "paths whose first exhaustion year is this year; last element: never exhausted")             \
    X(cap_ratio, VEC, LT, META, 1, "1",                                                            \
      "reserve cap ratio in force (levy stops when R >= cap_ratio * Ftot)")                        \
    X(reserve_balance, DIST, LT, REC, 1, "yuan", "year-end city risk reserve balance R")           \
    X(reserve_ratio, DIST, LT, REC, 1, "1",                                                        \
      "year-end reserve balance over the year's total financing, R / Ftot")                        \
    X(financing_total, MS, LT, REC, 1, "yuan",                                                     \
      "total pooled financing of the line, Ftot = sum over counties of F")                         \
    X(expenditure_total, MS, LT, REC, 1, "yuan",                                                   \
      "total expenditure of the line, sum over counties of E (without the levy)")                  \
    X(shortfall, PROB, LCT, REC, 1, "1",                                                           \
      "P(G > 0): probability that the county's shortfall after its own balance is positive "       \
      "(MODEL.md section 5 step 3)")                                                               \
    X(county_burden, TAIL, LCT, REC, 1, "yuan",                                                    \
      "county-government burden g + miss (g when reserve.uncovered is city), per year")            \
    X(county_burden_total, TAIL, LC, REC, 1, "yuan",                                               \
      "county-government burden summed over the horizon (per path, then summarised)")             \
    X(reserve_paid, MS, LCT, REC, 1, "yuan", "reserve share received from the city risk reserve") \
    X(levy, MS, LCT, REC, 1, "yuan", "levy actually paid to the city risk reserve")                \
    X(city_uncovered, MS, LCT, REC, 1, "yuan",                                                     \
      "unpaid reserve share carried by the city's finance (reserve.uncovered: city)")              \
    X(financing, MS, LCT, REC, 1, "yuan", "pooled financing F")                                    \
    X(expenditure, MS, LCT, REC, 1, "yuan",                                                        \
      "expenditure E of the pooled fund, without the levy")                                        \
    X(balance, MS, LCT, REC, 1, "yuan", "year-end accumulated county balance S")                   \
    X(city_burden, TAIL, LT, REC, 2, "yuan",                                                       \
      "city-government payment: its share of a unified fund's gap, or the unpaid reserve shares "  \
      "it carries under county accounts (reserve.uncovered: city)")                                \
    X(city_burden_total, TAIL, L, REC, 2, "yuan",                                                  \
      "city-government payment summed over the horizon (per path, then summarised)")              \
    X(government_burden, TAIL, LT, REC, 2, "yuan",                                                 \
      "payment of the city and all county governments for the line, per year")                     \
    X(government_burden_total, TAIL, L, REC, 2, "yuan",                                            \
      "payment of the city and all county governments summed over the horizon")                    \
    X(county_burden_worst_year, TAIL, LC, REC, 2, "yuan",                                          \
      "the largest yearly county-government burden of the path")                                   \
    X(burden, TAIL, CT, REC, 2, "yuan",                                                            \
      "county-government burden over all lines (both funds together), per year")                   \
    X(burden_total, TAIL, C, REC, 2, "yuan",                                                       \
      "county-government burden over all lines summed over the horizon")                           \
    X(burden_worst_year, TAIL, C, REC, 2, "yuan",                                                  \
      "the largest yearly county-government burden over all lines of the path")                       \
    X(pooling_mode, VEC, LT, META, 2, "1",                                                         \
      "pooling design in force: 0 county accounts, 1 unified (统收统支)")                          \
    X(gap_city_share, VEC, LT, META, 2, "1",                                                       \
      "unified: share of a fund gap the city government pays (pooling.city_share)")               \
    X(gap_key, VEC, LT, META, 2, "1",                                                              \
      "unified: split of the counties' part of a gap: 0 financing, 1 enrolees, 2 deficit")        \
    X(county_liability, VEC, LT, META, 2, "1",                                                     \
      "unified: share of its overspend above the tolerance a county government pays")             \
    X(tolerance, VEC, LT, META, 2, "1",                                                            \
      "unified: overspend free of charge, as a share of the county's financing") \
    X(pooled_balance, DIST, LT, REC, 2, "yuan",                                                    \
      "year-end pooled balance PB: reserve plus county balances, R + sum S (MODEL.md section 12)") \
    X(months_covered, DIST, LT, REC, 2, "months",                                                  \
      "months of payment covered (可支付月数), 12 PB / sum E, E without the levy")                 \
    X(surplus_rate, MS, LT, REC, 2, "1",                                                           \
      "current-year surplus rate (当年结余率), (Ftot - sum E) / Ftot")                             \
    X(low_months, PROB, LT, REC, 2, "1", "P(months_covered < health.warn_months) in the year")     \
    X(contribution_factor, DIST, LT, REC, 2, "1",                                                  \
      "contribution multiplier m_C of the management rules in force in the year (section 12)")    \
    X(benefit_factor, DIST, LT, REC, 2, "1",                                                       \
      "benefits multiplier m_B of the management rules in force in the year")                      \
    X(fired, PROB, RT, REC, 2, "1", "P(the management rule has fired by this year)")               \
    X(times_mean, RATE, RT, REC, 2, "times",                                                       \
      "mean over paths of the number of times the rule has fired by this year")                    \
    X(county_months_covered, DIST, LCT, REC, 2, "months",                                          \
      "months of its own spending the county's year-end balance covers, 12 S / E")               \
    X(warn_months, VEC, L, META, 2, "months",                                                      \
      "health.warn_months in force: low_months counts the years below it")                        \
    X(sharing_marginal, VEC, LT, META, 2, "1",                                                     \
      "1 when shortfalls are shared by marginal brackets, 0 by the bracket holding the ratio")     \
    X(top_bracket_from, VEC, LT, META, 2, "1",                                                     \
      "shortfall / financing above which the last sharing bracket applies")                        \
    X(top_bracket_reserve, VEC, LT, META, 2, "1",                                                  \
      "share of a shortfall in the last bracket that the reserve pays (the county the rest)")      \
    X(uncovered_city, VEC, LT, META, 2, "1",                                                       \
      "1 when the city pays what an exhausted reserve cannot, 0 when the county government does")  \
    X(cap_top_up, VEC, LT, META, 2, "1",                                                           \
      "1 when the levy tops the reserve up to the cap, 0 when the cap stops the whole levy")

/* Per-path values kept by `run --save-paths` (HDF5 group /paths), each a
 * copy of a record slot: X(name, record slot, shape, units, description).
 * Stored as [L][P][T] (shape LT) or [L][C][P][T] (shape LCT). The first
 * exhaustion year ([L][P], integers) is always kept as well. */
#define POOLSIM_SAVED(X)                                                                           \
    X(reserve_balance, reserve_balance, LT, "yuan", "year-end city risk reserve balance R")        \
    X(reserve_ratio, reserve_ratio, LT, "1", "year-end R / Ftot")                                  \
    X(county_burden, county_burden, LCT, "yuan", "county-government burden")                       \
    X(shortfall, shortfall_amount, LCT, "yuan", "shortfall G after the county's own balance")      \
    X(balance, balance, LCT, "yuan", "year-end county balance S")                                  \
    X(city_burden, city_burden, LT, "yuan", "city-government payment of the line")                 \
    X(months_covered, months_covered, LT, "months", "months of payment covered, 12 PB / sum E")    \
    X(financing_total, financing_total, LT, "yuan", "the line's financing Ftot")
/* clang-format on */

/* Index of each POOLSIM_SAVED array, and its bit for poolsim_engine_opts.saved_only. */
#define POOLSIM_SAVED_ENUM(name, slot, shape, units, desc) POOLSIM_SAVED_##name,
enum poolsim_saved_id { POOLSIM_SAVED(POOLSIM_SAVED_ENUM) POOLSIM_SAVED_N };
#undef POOLSIM_SAVED_ENUM
#define POOLSIM_SAVED_BIT(name) (1u << POOLSIM_SAVED_##name)
/* with the bits of the arrays kept: the selection is given (it may keep none) */
#define POOLSIM_SAVED_SELECT (1u << 31)

enum poolsim_schema_kind {
    POOLSIM_KIND_VEC,
    POOLSIM_KIND_RATE,
    POOLSIM_KIND_PROB,
    POOLSIM_KIND_MS,
    POOLSIM_KIND_DIST,
    POOLSIM_KIND_TAIL
};
enum poolsim_schema_shape {
    POOLSIM_SHAPE_LT,
    POOLSIM_SHAPE_LT1,
    POOLSIM_SHAPE_L,
    POOLSIM_SHAPE_LCT,
    POOLSIM_SHAPE_LC,
    POOLSIM_SHAPE_CT,
    POOLSIM_SHAPE_C,
    POOLSIM_SHAPE_RT,
    POOLSIM_SHAPE_LTQ /* [L][T][POOLSIM_NQ]: the quantiles of an LT DIST row */
};
enum poolsim_schema_source { POOLSIM_SRC_REC, POOLSIM_SRC_FIRST, POOLSIM_SRC_META };

#define POOLSIM_SCHEMA_ROW_ENUM(name, kind, shape, src, since, units, desc) POOLSIM_ROW_##name,
enum poolsim_schema_row_id { POOLSIM_SCHEMA(POOLSIM_SCHEMA_ROW_ENUM) POOLSIM_SCHEMA_NROWS };
#undef POOLSIM_SCHEMA_ROW_ENUM

typedef struct {
    const char *name;
    int kind;   /* enum poolsim_schema_kind */
    int shape;  /* enum poolsim_schema_shape */
    int source; /* enum poolsim_schema_source */
    int since;
    const char *units;
    const char *description;
} poolsim_schema_row;

extern const poolsim_schema_row poolsim_schema[POOLSIM_SCHEMA_NROWS];

/* Quantiles of a DIST row: p01 p05 p25 p50 p75 p95 p99. */
#define POOLSIM_NQ 7

/* The sizes of a run: years, lines, counties, management rules. */
typedef struct {
    int T, L, C, R;
} poolsim_dims;

/* Number of values of a shape (POOLSIM_SHAPE_LTQ included). */
size_t poolsim_schema_shape_size(int shape, const poolsim_dims *d);

/* The values of a row of `shape` at location `index` (line l, line and
 * county l*C + c, county c or rule k, as the shape says) in a run of T
 * years: they start at *off and there are *n of them; returns 1 when the
 * location holds a single value (shapes L, LC, C: stored as scalars). */
int poolsim_schema_span(int shape, size_t index, int T, size_t *off /* OUT */, size_t *n /* OUT */);

/* The component arrays of a kind, in storage order, and their names
 * ("mean", "se", "p95", ...; for DIST the quantiles are one component "q"
 * of POOLSIM_NQ values per element). Returns the count (at most 5). */
#define POOLSIM_SCHEMA_MAXCOMP 5
int poolsim_schema_components(int kind, const char *names[POOLSIM_SCHEMA_MAXCOMP] /* OUT */);

/* The table of docs/RESULTS.md ("The schema"), in Markdown. */
void poolsim_schema_markdown(FILE *f);

const char *poolsim_schema_kind_name(int kind);
const char *poolsim_schema_shape_name(int shape);

#endif
