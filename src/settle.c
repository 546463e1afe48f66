/* poolsim: settlement of actual figures (MODEL.md section 8). The contract
 * (input columns, settlement order, output columns) is in
 * include/poolsim/settle.h. */
#include "poolsim/settle.h"

#include "poolsim/text.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/plan.h"

/* ---- Settlement ----------------------------------------------------------- */

static int cmp_out(const void *a, const void *b)
{
    const poolsim_settle_row *p = a, *q = b;
    if (p->year != q->year) return p->year < q->year ? -1 : 1;
    if (p->county != q->county) return p->county < q->county ? -1 : 1;
    return (p->line > q->line) - (p->line < q->line);
}

static int bad_amount(double v)
{
    return !isfinite(v) || v < 0;
}

/* Name the first non-finite figure of a failed year (RELIABILITY.md 5). */
static void report_overflow(const poolsim_scenario *s, int l, int year,
                            const poolsim_rules_county *cty, const poolsim_rules_line *ln,
                            FILE *diag)
{
    static const char *const what[] = {"levy",       "result",        "balance_used",
                                       "shortfall",  "reserve_share", "county_share",
                                       "city_share", "balance_end"};
    for (int c = 0; c < s->ncounties; c++) {
        const poolsim_rules_county *k = &cty[c];
        const double v[] = {k->levy,         k->result,       k->balance_used, k->shortfall,
                            k->reserve_paid, k->county_share, k->city_share,   k->balance_end};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            if (!isfinite(v[i])) {
                fprintf(diag,
                        "poolsim: settle: %s is not finite for county %s, line %s, year %d "
                        "(amounts too large)\n",
                        what[i], s->counties[c].id, s->lines[l].id, year);
                return;
            }
    }
    fprintf(diag,
            "poolsim: settle: a line total (financing, levy or reserve) is not finite for line "
            "%s, year %d (amounts too large; reserve at year end %g)\n",
            s->lines[l].id, year, ln->reserve_end);
}

/* Members of line l in county c in calendar year y by the scenario's
 * projection (years before start_year use the first year's): the weights
 * of gap_key: enrolees when the flows have no enrolment column. */
static double settle_enrolees(const poolsim_scenario *s, int c, int l, int y)
{
    const poolsim_line *ln = &s->lines[l];
    int t = y - s->start_year + 1;
    double n = 0.0;
    for (int j = 0; j < ln->nclasses; j++)
        n += poolsim_plan_enrol(s, c, ln->classes[j], t < 1 ? 1 : t);
    return n;
}

/* Money as booked: rounded to the fen (0.01 yuan, halves away from zero),
 * as written to the CSV. Year-end balances and reserves are carried at this
 * value, so a settlement continued from its own CSV (--opening) is the same
 * to the last digit as one run over all years. */
static double fen(double x)
{
    return isfinite(x) && fabs(x) < 1e13 ? round(x * 100.0) / 100.0 : x;
}

int poolsim_settle_compute(const poolsim_scenario *s, const poolsim_flows *f, FILE *diag,
                           poolsim_settlement *out /* OUT */)
{
    return poolsim_settle_compute_from(s, f, NULL, diag, out);
}

int poolsim_settle_compute_from(const poolsim_scenario *s, const poolsim_flows *f,
                                const poolsim_settle_opening *op, FILE *diag,
                                poolsim_settlement *out /* OUT */)
{
    out->n = 0;
    out->rows = NULL;
    const size_t nc = (size_t)s->ncounties;
    if (op && (op->nlines != s->nlines || op->ncounties != s->ncounties)) {
        fprintf(diag,
                "poolsim: settle: the opening values are for %d lines and %d counties, "
                "the scenario has %d and %d\n",
                op->nlines, op->ncounties, s->nlines, s->ncounties);
        return POOLSIM_EINPUT;
    }

    for (int l = 0; l < s->nlines; l++)
        for (size_t c = 0; c < nc; c++) {
            const poolsim_county *k = &s->counties[c];
            if (bad_amount(k->balance[l]) ||
                (k->has_prior[l] && bad_amount(k->prior_financing[l]))) {
                fprintf(diag,
                        "poolsim: settle: county %s, line %s: opening balance or "
                        "prior_financing is negative or not finite (expected a number >= 0)\n",
                        k->id, s->lines[l].id);
                return POOLSIM_EINPUT;
            }
        }

    poolsim_settle_row *rows = malloc((f->n ? f->n : 1) * sizeof *rows);
    poolsim_rules_county *cty = malloc((nc ? nc : 1) * sizeof *cty);
    double *bal = malloc((nc ? nc : 1) * sizeof *bal);
    double *wts = malloc((nc ? nc : 1) * sizeof *wts); /* unified: gap weights */
    if (!rows || !cty || !bal || !wts) {
        free(rows);
        free(cty);
        free(bal);
        free(wts);
        fprintf(diag, "poolsim: out of memory settling\n");
        return POOLSIM_ENOMEM;
    }

    size_t nout = 0;
    size_t a = 0;
    while (a < f->n) {
        /* rows [a, e) are line l, sorted by year then county, nc per year */
        const int l = f->rows[a].line;
        if (l < 0 || l >= s->nlines || nc == 0) {
            fprintf(diag,
                    "poolsim: settle: flows name line %d of %d, or the scenario has no "
                    "county (expected the output of poolsim_settle_read)\n",
                    l, s->nlines);
            free(rows), free(cty), free(bal), free(wts);
            return POOLSIM_EINPUT;
        }
        size_t e = a;
        while (e < f->n && f->rows[e].line == l) e++;
        const poolsim_line *line = &s->lines[l];

        if (op && f->rows[a].year != op->year + 1) {
            fprintf(diag,
                    "poolsim: settle: line %s starts in %d, but the opening settlement ends in "
                    "%d (expected flows of the next year, %d)\n",
                    line->id, f->rows[a].year, op->year, op->year + 1);
            free(rows), free(cty), free(bal), free(wts);
            return POOLSIM_EINPUT;
        }
        double reserve =
            op ? op->reserve[l] : poolsim_param_at(&line->reserve.initial, f->rows[a].year);
        if (bad_amount(reserve)) {
            fprintf(diag,
                    "poolsim: settle: line %s: reserve.initial is negative or not finite "
                    "(expected a number >= 0)\n",
                    line->id);
            free(rows), free(cty), free(bal), free(wts);
            return POOLSIM_EINPUT;
        }
        for (size_t c = 0; c < nc; c++)
            bal[c] =
                op ? op->balance[c * (size_t)s->nlines + (size_t)l] : s->counties[c].balance[l];
        /* 1 once the line's balances have moved up (unified); an opening
         * settlement already unified has zero balances, so moving them up
         * again changes nothing */
        int pooled = 0;

        const poolsim_flow *prev = NULL;
        for (size_t g = a; g < e; g += nc) {
            const poolsim_flow *cur = &f->rows[g];
            const int year = cur->year;
            /* the shape poolsim_settle_read guarantees */
            int shaped = g + nc <= e && (!prev || prev->year < year);
            for (size_t c = 0; shaped && c < nc; c++)
                shaped = cur[c].county == (int)c && cur[c].year == year;
            if (!shaped) {
                fprintf(diag,
                        "poolsim: settle: flows of line %s are not one row per county and "
                        "year, sorted (expected the output of poolsim_settle_read)\n",
                        line->id);
                free(rows), free(cty), free(bal), free(wts);
                return POOLSIM_EINPUT;
            }
            const int consecutive = prev && prev->year == year - 1;
            for (size_t c = 0; c < nc; c++) {
                memset(&cty[c], 0, sizeof cty[c]);
                cty[c].financing = cur[c].financing;
                cty[c].expenditure = cur[c].expenditure;
                if (consecutive)
                    cty[c].levy_basis = prev[c].financing;
                else if (!prev && op)
                    cty[c].levy_basis = op->financing[c * (size_t)s->nlines + (size_t)l];
                else if (!prev && s->counties[c].has_prior[l])
                    cty[c].levy_basis = s->counties[c].prior_financing[l];
                else
                    cty[c].levy_basis = cur[c].financing;
            }
            poolsim_rules_params p;
            poolsim_scenario_rules_params(s, l, year, &p);
            poolsim_rules_line ln;
            int rc;
            if (p.pooling_mode == POOLSIM_POOLING_UNIFIED) {
                /* MODEL.md section 10: in the first unified year the
                 * reserve and the county balances move up into one fund
                 * (kept in `reserve`); the mode never goes back */
                if (!pooled) reserve = poolsim_rules_move_up(nc, &reserve, bal);
                pooled = 1;
                /* gap_key: enrolees weighs by the members the flows give
                 * (the optional enrolment column), else the projection */
                if (p.gap_key == POOLSIM_GAP_ENROLEES)
                    for (size_t c = 0; c < nc; c++)
                        cty[c].enrolees = isnan(cur[c].enrolment)
                                              ? settle_enrolees(s, (int)c, l, year)
                                              : cur[c].enrolment;
                rc = poolsim_rules_unified_year(&p, nc, &reserve, cty, wts, &ln);
            } else {
                rc = poolsim_rules_year(&p, nc, &reserve, bal, cty, &ln);
            }
            if (rc != POOLSIM_OK) {
                report_overflow(s, l, year, cty, &ln, diag);
                free(rows), free(cty), free(bal), free(wts);
                return POOLSIM_ENUM;
            }
            reserve = fen(reserve);
            for (size_t c = 0; c < nc; c++) {
                bal[c] = fen(bal[c]);
                cty[c].balance_end = bal[c];
            }
            for (size_t c = 0; c < nc; c++) {
                poolsim_settle_row *r = &rows[nout++];
                r->year = year;
                r->county = (int)c;
                r->line = l;
                r->fig = cty[c];
                r->reserve_end = reserve;
                r->exhausted = ln.exhausted;
            }
            prev = cur;
        }
        a = e;
    }
    free(cty);
    free(bal);
    free(wts);
    qsort(rows, nout, sizeof *rows, cmp_out);
    out->n = nout;
    out->rows = rows;
    return POOLSIM_OK;
}

void poolsim_settle_free(poolsim_settlement *st)
{
    if (!st) return;
    free(st->rows);
    st->rows = NULL;
    st->n = 0;
}

/* ---- The command ------------------------------------------------------------ */

int poolsim_settle_cmd(const poolsim_scenario *s, const char *flows_csv,
                       const poolsim_settle_opts *o /* NULL: defaults */,
                       const char *out_csv /* NULL: none */, FILE *term /* NULL: none */,
                       FILE *diag)
{
    poolsim_settle_opening op = {0};
    int st;
    if (o && o->opening) {
        st = poolsim_settle_opening_read(s, o->opening, o, diag, &op);
        if (st != POOLSIM_OK) return st;
    }
    poolsim_flows flows;
    st = poolsim_flows_read(s, flows_csv, o, diag, &flows);
    if (st != POOLSIM_OK) {
        poolsim_settle_opening_free(&op);
        return st;
    }
    poolsim_settlement res;
    st = poolsim_settle_compute_from(s, &flows, o && o->opening ? &op : NULL, diag, &res);
    poolsim_settle_opening_free(&op);
    poolsim_settle_flows_free(&flows);
    if (st != POOLSIM_OK) return st;
    if (out_csv) st = poolsim_settle_write_file(s, &res, out_csv);
    if (st == POOLSIM_OK && term && poolsim_settle_print_table(s, &res, term) != POOLSIM_OK) {
        fprintf(diag, "poolsim: cannot write the settlement table: %s\n", strerror(errno));
        st = POOLSIM_EIO;
    }
    poolsim_settle_free(&res);
    return st;
}
