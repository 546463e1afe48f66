/* poolsim: the settlement CSV (MODEL.md section 8 columns). */
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

/* ---- Output ----------------------------------------------------------------- */

void poolsim_settle_format_number(double x, char *buf /* OUT */, size_t size)
{
    poolsim_format_double(x, buf, size);
}

static void put_num(FILE *f, double x)
{
    /* an undefined value (shortfall_ratio without financing) is an empty
     * field: spreadsheets and CSV readers take "inf" for text */
    if (!isfinite(x)) return;
    char b[40];
    poolsim_settle_format_number(x, b, sizeof b);
    fputs(b, f);
}

/* Money is written rounded to the fen (0.01 yuan): 45219999.99999999 is not
 * a figure a finance bureau can book (year-end balances and reserves are
 * already booked at the fen by fen()). Ratios are written in full. */
static void put_money(FILE *f, double x)
{
    if (isfinite(x) && fabs(x) < 1e13) x = round(x * 100.0) / 100.0;
    put_num(f, x);
}

int poolsim_settle_write_csv(const poolsim_scenario *s, const poolsim_settlement *st, FILE *f)
{
    fputs("year,county,line,financing,levy,expenditure,result,balance_used,shortfall,"
          "shortfall_ratio,bracket,reserve_share,county_share,city_share,uncovered,"
          "balance_end,reserve_end\n",
          f);
    for (size_t i = 0; i < st->n && !ferror(f); i++) {
        const poolsim_settle_row *r = &st->rows[i];
        const poolsim_rules_county *k = &r->fig;
        fprintf(f, "%d,%s,%s", r->year, s->counties[r->county].id, s->lines[r->line].id);
        const double v1[] = {k->financing,    k->levy,      k->expenditure,    k->result,
                             k->balance_used, k->shortfall, k->shortfall_ratio};
        for (size_t j = 0; j < sizeof v1 / sizeof v1[0]; j++) {
            fputc(',', f);
            if (j == sizeof v1 / sizeof v1[0] - 1)
                put_num(f, v1[j]); /* shortfall_ratio */
            else
                put_money(f, v1[j]);
        }
        fprintf(f, ",%d", k->bracket);
        const double v2[] = {k->reserve_paid, k->county_share, k->city_share,
                             k->miss,         k->balance_end,  r->reserve_end};
        for (size_t j = 0; j < sizeof v2 / sizeof v2[0]; j++) {
            fputc(',', f);
            put_money(f, v2[j]);
        }
        fputc('\n', f);
    }
    return ferror(f) ? POOLSIM_EIO : POOLSIM_OK;
}

int poolsim_settle_write_file(const poolsim_scenario *s, const poolsim_settlement *st,
                              const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: out of memory", path);
    int rc = poolsim_settle_write_csv(s, st, f);
    if (fclose(f) != 0 && rc == POOLSIM_OK) rc = POOLSIM_EIO;
    if (rc == POOLSIM_OK) {
        rc = poolsim_fsio_write(path, buf, len);
    } else {
        poolsim_error_report(__FILE__, __LINE__, "cannot write %s: out of memory", path);
        rc = POOLSIM_EIO;
    }
    free(buf);
    return rc;
}
