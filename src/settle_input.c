/* poolsim: reading the inputs of a settlement: the flows CSV (as Excel
 * writes it: UTF-8 or GBK, CRLF, names or ids, thousands separators) and
 * the opening values from a previous settlement (include/poolsim/settle.h). */
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

#include <csv.h>

#include <iconv.h>

#include "poolsim/common.h"
#include "poolsim/diag.h"
#include "poolsim/fsio.h"
#include "poolsim/plan.h"

#define NREQ         5                   /* required columns */
#define NCOLS        6                   /* required + optional */
#define MAX_FIELD    4096                /* bytes; a longer field is an error, not a memory hog */
#define MAX_FILE     ((size_t)256 << 20) /* bytes of a flows or opening file */
#define YEAR_MIN     1
#define YEAR_MAX     9999
#define EXP_FIN_WARN 5.0 /* a row spending more than this times its financing is unusual */

enum { COL_YEAR, COL_COUNTY, COL_LINE, COL_FIN, COL_EXP, COL_ENROL };
static const char *const col_name[NCOLS] = {"year",      "county",      "line",
                                            "financing", "expenditure", "enrolment"};
#define HEADER_TEXT "year,county,line,financing,expenditure (and optionally enrolment)"

/* ---- Flows parser -------------------------------------------------------
 *
 * libcsv reports fields and records but not where they are, so the text is
 * fed to it one byte at a time while we track line and column (columns
 * count UTF-8 characters, 1-based). A field starts at the first byte after
 * the previous field or record ended, except that line breaks between
 * records (which libcsv skips) do not start one. Messages go straight to
 * diag, in file order; errors about missing and duplicated rows follow,
 * ordered by line and year. */

typedef struct {
    const poolsim_scenario *s;
    const char *name;
    FILE *diag;
    int strict; /* warnings count as errors */
    struct csv_parser csv;

    long line, col;   /* position of the next byte */
    int prev_cr;      /* the previous byte was '\r' */
    int pending;      /* the next byte starts a field */
    int row_start;    /* ... and a record */
    long fline, fcol; /* start of the current field */
    size_t fbytes;    /* bytes in the current field so far */

    long nrecords;    /* records seen (the header is record 1) */
    int nfields;      /* fields of the current record so far */
    long rline, rcol; /* start of the current record */
    int header_ok;
    int ncols;         /* columns of the header */
    int colmap[NCOLS]; /* header position -> column id */
    int seen[NCOLS];   /* column id -> header position + 1 (0: absent) */
    char field[NCOLS][MAX_FIELD + 1];
    long field_line[NCOLS], field_col[NCOLS];

    long nerrors, nwarnings;
    int fatal; /* stop parsing (malformed CSV, bad header, no memory) */
    int nomem;

    poolsim_flow *rows;
    long *county_col; /* column of the county field of each row */
    size_t nrows, caprows;
} flows_ctx;

static void flow_error(flows_ctx *x, long line, long col, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void flow_error(flows_ctx *x, long line, long col, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = poolsim_diag_vformat(x->name, line, col, NULL, key, fmt, ap);
    va_end(ap);
    fprintf(x->diag, "%s\n", m ? m : "poolsim: out of memory formatting a message");
    free(m);
    x->nerrors++;
}

/* A plausibility warning: "FILE:LINE:COL: warning: KEY: ..."; an error
 * (without "warning: ") under strict. */
static void flow_warning(flows_ctx *x, long line, long col, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void flow_warning(flows_ctx *x, long line, long col, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m =
        poolsim_diag_vformat(x->name, line, col, x->strict ? NULL : "warning: ", key, fmt, ap);
    va_end(ap);
    fprintf(x->diag, "%s%s\n", m ? m : "poolsim: out of memory formatting a message",
            x->strict ? " [--strict]" : "");
    free(m);
    if (x->strict)
        x->nerrors++;
    else
        x->nwarnings++;
}

/* Quote user text for a message: at most 40 bytes, control bytes as '?'. */
static const char *shown(const char *v, char buf[64])
{
    size_t n = strlen(v), k = 0;
    for (size_t i = 0; i < n && k < 40; i++)
        buf[k++] = ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) ? '?' : v[i];
    if (n > 40) {
        memcpy(buf + k, "...", 3);
        k += 3;
    }
    buf[k] = '\0';
    return buf;
}

/* A county by id, else by name (Excel sheets carry 荷塘区, not hetang):
 * its index, -1 when unknown, -2 when the name is shared by two counties. */
static int county_lookup(const poolsim_scenario *s, const char *id)
{
    for (int i = 0; i < s->ncounties; i++)
        if (strcmp(s->counties[i].id, id) == 0) return i;
    int found = -1;
    for (int i = 0; i < s->ncounties; i++)
        if (s->counties[i].name && strcmp(s->counties[i].name, id) == 0) {
            if (found >= 0) return -2;
            found = i;
        }
    return found;
}

static int line_lookup(const poolsim_scenario *s, const char *id)
{
    for (int i = 0; i < s->nlines; i++)
        if (strcmp(s->lines[i].id, id) == 0) return i;
    return -1;
}

/* "a, b, c" or "a, b, c, ... (12 in all)" into buf. */
static const char *id_list(const poolsim_scenario *s, int lines, char *buf, size_t size)
{
    const int n = lines ? s->nlines : s->ncounties;
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && i < 8; i++) {
        const char *id = lines ? s->lines[i].id : s->counties[i].id;
        int w = snprintf(buf + k, size - k, "%s%s", i ? ", " : "", id);
        if (w < 0 || (size_t)w >= size - k) return buf;
        k += (size_t)w;
    }
    if (n > 8) snprintf(buf + k, size - k, ", ... (%d in all)", n);
    return buf;
}

static void on_field(void *data, size_t len, void *vx)
{
    flows_ctx *x = vx;
    const char *v = data ? data : "";
    const int k = x->nfields++;
    if (k == 0) {
        x->rline = x->fline;
        x->rcol = x->fcol;
    }
    if (x->fatal) return;
    if (len > MAX_FIELD) {
        flow_error(x, x->fline, x->fcol, "csv",
                   "field longer than %d bytes (expected a short value)", MAX_FIELD);
        x->fatal = 1;
        return;
    }
    if (memchr(v, '\0', len)) {
        flow_error(x, x->fline, x->fcol, k < NCOLS && x->header_ok ? col_name[x->colmap[k]] : "csv",
                   "contains a NUL byte (expected text)");
        v = "\x01"; /* recorded as a value that fails every check below */
        len = 1;
    }
    if (x->nrecords == 0) {
        /* header */
        char b[64];
        int id = -1;
        for (int c = 0; c < NCOLS; c++)
            if (strcmp(v, col_name[c]) == 0) id = c;
        if (id < 0) {
            flow_error(x, x->fline, x->fcol, "header",
                       "unknown column '%s' (expected exactly the columns " HEADER_TEXT
                       ", in any order)",
                       shown(v, b));
        } else if (x->seen[id]) {
            flow_error(x, x->fline, x->fcol, "header",
                       "column '%s' appears twice (expected each of " HEADER_TEXT " once)",
                       col_name[id]);
        } else {
            x->seen[id] = k + 1;
            if (k < NCOLS) x->colmap[k] = id;
        }
        return;
    }
    if (k < NCOLS) {
        memcpy(x->field[k], v, len);
        x->field[k][len] = '\0';
        x->field_line[k] = x->fline;
        x->field_col[k] = x->fcol;
    }
}

/* Parse an integer year; 0 on success. */
static int parse_year(flows_ctx *x, const char *v, long line, long col, int *out)
{
    char b[64];
    if (!*v) {
        flow_error(x, line, col, "year", "empty value (expected an integer year)");
        return -1;
    }
    errno = 0;
    char *end;
    long y = strtol(v, &end, 10);
    if (end == v || *end != '\0') {
        flow_error(x, line, col, "year", "'%s' is not an integer (expected an integer year)",
                   shown(v, b));
        return -1;
    }
    if (errno == ERANGE || y < YEAR_MIN || y > YEAR_MAX) {
        flow_error(x, line, col, "year", "%s is out of range (expected %d..%d)", shown(v, b),
                   YEAR_MIN, YEAR_MAX);
        return -1;
    }
    *out = (int)y;
    return 0;
}

/* Strip thousands separators from a number written as Excel writes it in
 * a quoted cell ("364,910,000.50"): groups of three digits after the first
 * group of one to three, all before the decimal point. 0 and the plain
 * number in out (size > strlen(v)), or -1 when commas are misplaced. */
static int strip_thousands(const char *v, char *out)
{
    const char *p = v;
    size_t k = 0;
    if (*p == '+' || *p == '-') out[k++] = *p++;
    size_t lead = strspn(p, "0123456789");
    if (lead < 1 || lead > 3 || p[lead] != ',') return -1;
    memcpy(out + k, p, lead);
    k += lead;
    p += lead;
    while (*p == ',') {
        if (strspn(p + 1, "0123456789") != 3) return -1;
        memcpy(out + k, p + 1, 3);
        k += 3;
        p += 4;
    }
    if (strchr(p, ',')) return -1;
    strcpy(out + k, p);
    return 0;
}

/* Parse an amount (finite decimal >= 0, thousands separators allowed) in
 * `unit`; 0 on success. */
static int parse_amount(flows_ctx *x, const char *v, long line, long col, const char *key,
                        const char *unit, double *out)
{
    char b[64], plain[MAX_FIELD + 1];
    const char *orig = v; /* as written, for messages */
    if (!*v) {
        flow_error(x, line, col, key, "empty value (expected a number >= 0, in %s)", unit);
        return -1;
    }
    if (strchr(v, ',')) {
        if (strip_thousands(v, plain) != 0) {
            flow_error(x, line, col, key,
                       "'%s' has misplaced thousands separators (expected a number >= 0 in %s, "
                       "commas only between groups of three digits, as in 364,910,000)",
                       shown(orig, b), unit);
            return -1;
        }
        v = plain;
    }
    /* only decimal notation: strtod would also take hex, nan and inf */
    if (strspn(v, "0123456789+-.eE") != strlen(v)) {
        flow_error(x, line, col, key, "'%s' is not a number (expected a number >= 0, in %s)",
                   shown(orig, b), unit);
        return -1;
    }
    errno = 0;
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end != '\0') {
        flow_error(x, line, col, key, "'%s' is not a number (expected a number >= 0, in %s)",
                   shown(orig, b), unit);
        return -1;
    }
    if (errno == ERANGE || !isfinite(d)) {
        flow_error(x, line, col, key,
                   "%s is out of the range of a double (expected a number >= 0, in %s)",
                   shown(orig, b), unit);
        return -1;
    }
    if (d < 0) {
        flow_error(x, line, col, key, "%s is negative (expected a number >= 0, in %s)",
                   shown(orig, b), unit);
        return -1;
    }
    *out = d + 0.0; /* -0 -> +0 */
    return 0;
}

static int parse_money(flows_ctx *x, const char *v, long line, long col, const char *key,
                       double *out)
{
    return parse_amount(x, v, line, col, key, "yuan", out);
}

static void header_done(flows_ctx *x, int nfields)
{
    int ok = 1, known = 0;
    for (int c = 0; c < NCOLS; c++) known += x->seen[c] != 0;
    for (int c = 0; c < NREQ; c++)
        if (!x->seen[c]) {
            flow_error(x, x->rline, x->rcol, "header",
                       "column '%s' is missing (expected exactly the columns " HEADER_TEXT
                       ", in any order)",
                       col_name[c]);
            ok = 0;
        }
    if (nfields != known) ok = 0; /* unknown or duplicate columns: reported already */
    x->ncols = nfields;
    x->header_ok = ok;
    if (!ok) x->fatal = 1;
}

static int push_row(flows_ctx *x, const poolsim_flow *r, long ccol)
{
    if (x->nrows == x->caprows) {
        size_t cap = x->caprows ? 2 * x->caprows : 64;
        poolsim_flow *nr = realloc(x->rows, cap * sizeof *nr);
        if (!nr) return -1;
        x->rows = nr;
        long *nc = realloc(x->county_col, cap * sizeof *nc);
        if (!nc) return -1;
        x->county_col = nc;
        x->caprows = cap;
    }
    x->county_col[x->nrows] = ccol;
    x->rows[x->nrows++] = *r;
    return 0;
}

static void on_record(int term, void *vx)
{
    flows_ctx *x = vx;
    (void)term;
    const int nf = x->nfields;
    x->nfields = 0;
    if (x->fatal) return;
    if (x->nrecords++ == 0) {
        header_done(x, nf);
        return;
    }
    if (nf != x->ncols) {
        flow_error(x, x->rline, x->rcol, "row", "%d field%s (expected %d, as in the header)", nf,
                   nf == 1 ? "" : "s", x->ncols);
        return;
    }
    const char *v[NCOLS] = {0};
    long vl[NCOLS] = {0}, vc[NCOLS] = {0};
    for (int k = 0; k < x->ncols; k++) {
        const int id = x->colmap[k];
        v[id] = x->field[k];
        vl[id] = x->field_line[k];
        vc[id] = x->field_col[k];
    }
    poolsim_flow r = {0};
    r.src_line = x->rline;
    char b[64], b2[64], ids[512];
    int ok = parse_year(x, v[COL_YEAR], vl[COL_YEAR], vc[COL_YEAR], &r.year) == 0;
    r.county = county_lookup(x->s, v[COL_COUNTY]);
    if (r.county == -2) {
        flow_error(x, vl[COL_COUNTY], vc[COL_COUNTY], "county",
                   "'%s' is the name of more than one county (expected a county id, or a "
                   "name that only one county has)",
                   shown(v[COL_COUNTY], b));
        ok = 0;
    } else if (r.county < 0) {
        flow_error(x, vl[COL_COUNTY], vc[COL_COUNTY], "county",
                   "unknown county '%s' (expected a county id or name of the scenario: %s)",
                   shown(v[COL_COUNTY], b), id_list(x->s, 0, ids, sizeof ids));
        ok = 0;
    }
    r.line = line_lookup(x->s, v[COL_LINE]);
    if (r.line < 0) {
        flow_error(x, vl[COL_LINE], vc[COL_LINE], "line",
                   "unknown line '%s' (expected a line id of the scenario: %s)",
                   shown(v[COL_LINE], b), id_list(x->s, 1, ids, sizeof ids));
        ok = 0;
    }
    /* amounts: checked even when the row cannot be placed, to report all */
    const int fin_ok =
        parse_money(x, v[COL_FIN], vl[COL_FIN], vc[COL_FIN], "financing", &r.financing) == 0;
    const int exp_ok =
        parse_money(x, v[COL_EXP], vl[COL_EXP], vc[COL_EXP], "expenditure", &r.expenditure) == 0;
    r.enrolment = NAN;
    if (x->seen[COL_ENROL] && parse_amount(x, v[COL_ENROL], vl[COL_ENROL], vc[COL_ENROL],
                                           "enrolment", "members", &r.enrolment) != 0)
        r.enrolment = NAN;
    if (fin_ok && exp_ok && r.expenditure > EXP_FIN_WARN * r.financing)
        flow_warning(x, vl[COL_EXP], vc[COL_EXP], "expenditure",
                     "%s is more than %g times the row's financing %s (unusual: a typing "
                     "slip, or the two in different units?)",
                     shown(v[COL_EXP], b), EXP_FIN_WARN, shown(v[COL_FIN], b2));
    /* a row with a known year, county and line takes part in the
     * completeness checks even when an amount is bad */
    if (ok && push_row(x, &r, vc[COL_COUNTY]) != 0) {
        x->nomem = 1;
        x->fatal = 1;
    }
}

/* Feed one byte to libcsv, keeping track of positions. */
static int feed(flows_ctx *x, unsigned char ch)
{
    const int brk = ch == '\n' || ch == '\r';
    if (x->pending && !(x->row_start && brk)) {
        x->fline = x->line;
        x->fcol = x->col;
        x->fbytes = 0;
        x->pending = 0;
        x->row_start = 0;
    }
    /* raw bytes, quotes included (a quote inside a field is doubled) */
    if (!x->pending && ++x->fbytes > 2 * MAX_FIELD + 3) {
        flow_error(x, x->fline, x->fcol, "csv",
                   "field longer than %d bytes (expected a short value)", MAX_FIELD);
        x->fatal = 1;
        return -1;
    }
    const long fields_before = x->nfields, records_before = x->nrecords;
    if (csv_parse(&x->csv, &ch, 1, on_field, on_record, x) != 1) {
        flow_error(x, x->line, x->col, "csv",
                   "malformed CSV: %s (expected RFC 4180 quoting: a quoted field is enclosed "
                   "in double quotes, with \"\" for a quote inside it)",
                   csv_error(&x->csv) == CSV_ENOMEM ? "out of memory"
                                                    : "stray quote or text after a closing quote");
        x->fatal = 1;
        return -1;
    }
    if (x->nrecords != records_before) {
        x->pending = 1;
        x->row_start = 1;
    } else if (x->nfields != fields_before) {
        x->pending = 1;
    }
    if (ch == '\n') {
        if (!x->prev_cr) x->line++;
        x->col = 1;
    } else if (ch == '\r') {
        x->line++;
        x->col = 1;
    } else if ((ch & 0xC0) != 0x80) {
        x->col++;
    }
    x->prev_cr = ch == '\r';
    return x->fatal ? -1 : 0;
}

/* Order used for the completeness checks and for settlement. */
static int cmp_flow(const void *a, const void *b)
{
    const poolsim_flow *p = a, *q = b;
    if (p->line != q->line) return p->line < q->line ? -1 : 1;
    if (p->year != q->year) return p->year < q->year ? -1 : 1;
    if (p->county != q->county) return p->county < q->county ? -1 : 1;
    return (p->src_line > q->src_line) - (p->src_line < q->src_line);
}

/* Each (year, line) present: exactly one row per county. Rows sorted. */
static void check_groups(flows_ctx *x)
{
    const int nc = x->s->ncounties;
    size_t a = 0;
    while (a < x->nrows) {
        size_t b = a;
        long first = x->rows[a].src_line;
        while (b < x->nrows && x->rows[b].line == x->rows[a].line &&
               x->rows[b].year == x->rows[a].year) {
            if (x->rows[b].src_line < first) first = x->rows[b].src_line;
            b++;
        }
        const char *lid = x->s->lines[x->rows[a].line].id;
        const int year = x->rows[a].year;
        /* duplicates: adjacent equal counties (sorted by county, then line number) */
        for (size_t i = a + 1; i < b; i++)
            if (x->rows[i].county == x->rows[i - 1].county)
                flow_error(x, x->rows[i].src_line, x->county_col[i], "county",
                           "second row for county '%s', line %s, year %d (first at line %ld; "
                           "expected one row per county, line and year)",
                           x->s->counties[x->rows[i].county].id, lid, year,
                           x->rows[i - 1].src_line);
        /* missing counties */
        size_t i = a;
        for (int c = 0; c < nc; c++) {
            while (i < b && x->rows[i].county < c) i++;
            if (i >= b || x->rows[i].county != c)
                flow_error(x, first, 1, "county",
                           "no row for county '%s' in year %d, line %s (expected one row per "
                           "county for each year and line present)",
                           x->s->counties[c].id, year, lid);
        }
        a = b;
    }
}

/* The county column of each row travels with it through the sort. */
typedef struct {
    poolsim_flow f;
    long ccol;
} flow_sort_item;

static int cmp_item(const void *a, const void *b)
{
    return cmp_flow(&((const flow_sort_item *)a)->f, &((const flow_sort_item *)b)->f);
}

static int sort_rows(flows_ctx *x)
{
    if (x->nrows == 0) return 0;
    flow_sort_item *it = malloc(x->nrows * sizeof *it);
    if (!it) return -1;
    for (size_t i = 0; i < x->nrows; i++) {
        it[i].f = x->rows[i];
        it[i].ccol = x->county_col[i];
    }
    qsort(it, x->nrows, sizeof *it, cmp_item);
    for (size_t i = 0; i < x->nrows; i++) {
        x->rows[i] = it[i].f;
        x->county_col[i] = it[i].ccol;
    }
    free(it);
    return 0;
}

static void ctx_init(flows_ctx *x, const poolsim_scenario *s, const char *name, FILE *diag)
{
    memset(x, 0, sizeof *x);
    x->s = s;
    x->name = name;
    x->diag = diag;
    x->line = 1;
    x->col = 1;
    x->pending = 1;
    x->row_start = 1;
    x->fline = 1;
    x->fcol = 1;
}

static int ctx_begin(flows_ctx *x)
{
    if (csv_init(&x->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) return -1;
    return 0;
}

/* Feed a chunk; `first` marks the file's first chunk (BOM check). A BOM
 * split across chunks is not recognised: read_file reads >= 3 bytes first. */
static void ctx_feed(flows_ctx *x, const unsigned char *p, size_t n, int first)
{
    size_t i = 0;
    if (first && n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) i = 3;
    for (; i < n && !x->fatal; i++) feed(x, p[i]);
}

static int ctx_end(flows_ctx *x, poolsim_flows *out)
{
    if (!x->fatal) {
        if (csv_fini(&x->csv, on_field, on_record, x) != 0) {
            flow_error(x, x->fline, x->fcol, "csv",
                       "unterminated quoted field (expected a closing double quote)");
            x->fatal = 1;
        }
    }
    csv_free(&x->csv);
    if (x->nomem) {
        fprintf(x->diag, "poolsim: out of memory reading %s\n", x->name);
        free(x->rows);
        free(x->county_col);
        return POOLSIM_ENOMEM;
    }
    if (!x->fatal) {
        if (x->nrecords == 0)
            flow_error(x, 1, 1, "header",
                       "the file is empty (expected the header " HEADER_TEXT ")");
        else if (x->nrecords == 1 && x->nerrors == 0)
            flow_error(x, x->line, 1, "row", "no data rows (expected at least one row)");
        else {
            if (sort_rows(x) != 0) {
                fprintf(x->diag, "poolsim: out of memory reading %s\n", x->name);
                free(x->rows);
                free(x->county_col);
                return POOLSIM_ENOMEM;
            }
            check_groups(x);
        }
    }
    free(x->county_col);
    if (x->nerrors > 0) {
        fprintf(x->diag, "poolsim: %ld error%s in %s\n", x->nerrors, x->nerrors == 1 ? "" : "s",
                x->name);
        free(x->rows);
        return POOLSIM_EINPUT;
    }
    out->n = x->nrows;
    out->rows = x->rows;
    return POOLSIM_OK;
}

/* ---- Encodings --------------------------------------------------------------
 *
 * Excel saves "CSV UTF-8" with a byte-order mark and plain "CSV" in the
 * system code page, which on Chinese Windows is GBK (code page 936).
 * GB18030 is a superset of GBK and GB2312, so one iconv conversion from
 * GB18030 reads all three. */

enum { ENC_AUTO, ENC_UTF8, ENC_GB };

static int ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        int x = (unsigned char)*a, y = (unsigned char)*b;
        if (x >= 'A' && x <= 'Z') x += 'a' - 'A';
        if (y >= 'A' && y <= 'Z') y += 'a' - 'A';
        if (x != y) return 0;
    }
    return *a == *b;
}

int poolsim_settle_encoding(const char *name)
{
    if (!name || ascii_ieq(name, "auto")) return ENC_AUTO;
    if (ascii_ieq(name, "utf-8") || ascii_ieq(name, "utf8")) return ENC_UTF8;
    if (ascii_ieq(name, "gbk") || ascii_ieq(name, "gb18030") || ascii_ieq(name, "gb2312") ||
        ascii_ieq(name, "cp936"))
        return ENC_GB;
    return -1;
}

/* Length of the longest valid UTF-8 prefix of p[0, n) (no overlong forms,
 * no surrogates, nothing above U+10FFFF). */
static size_t utf8_valid_prefix(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const unsigned c = p[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF)
            len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else
            return i;
        if (i + len > n) return i;
        if (p[i + 1] < lo || p[i + 1] > hi) return i;
        for (size_t k = 2; k < len; k++)
            if ((p[i + k] & 0xC0) != 0x80) return i;
        i += len;
    }
    return n;
}

/* Line and column (characters, 1-based) just after UTF-8 text p[0, n). */
static void text_position(const unsigned char *p, size_t n, long *line, long *col)
{
    long l = 1, c = 1;
    int prev_cr = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            if (!prev_cr) l++;
            c = 1;
        } else if (p[i] == '\r') {
            l++;
            c = 1;
        } else if ((p[i] & 0xC0) != 0x80)
            c++;
        prev_cr = p[i] == '\r';
    }
    *line = l;
    *col = c;
}

/* GB18030 -> UTF-8 into a malloc'ed buffer. 0 on success; -1 with *bad the
 * offset of the first byte that is not GB18030 and *done the UTF-8 made of
 * the text before it (caller frees *out either way); -2 out of memory or
 * no converter. */
static int gb_to_utf8(const unsigned char *in, size_t n, char **out, size_t *outlen, size_t *bad)
{
    *out = NULL;
    *outlen = 0;
    iconv_t cd = iconv_open("UTF-8", "GB18030");
    if (cd == (iconv_t)-1) return -2;
    const size_t cap = 2 * n + 16;
    char *buf = malloc(cap);
    if (!buf) {
        iconv_close(cd);
        return -2;
    }
    char *ip = (char *)(uintptr_t)in, *op = buf;
    size_t il = n, ol = cap;
    int rc = 0;
    if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
        rc = errno == E2BIG ? -2 : -1;
        *bad = (size_t)((const unsigned char *)ip - in);
    }
    iconv_close(cd);
    *out = buf;
    *outlen = (size_t)(op - buf);
    return rc;
}

/* Text of a flows or opening file, in any accepted encoding, as UTF-8
 * without a BOM in a malloc'ed buffer (*out, *outlen). POOLSIM_EINPUT with
 * a FILE:LINE:COL message when the text is in no accepted encoding. */
static int decode_text(const char *name, const unsigned char *p, size_t n, int enc, FILE *diag,
                       char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    int bom = n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF;
    if (bom) {
        p += 3;
        n -= 3;
    }
    long line, col;
    const size_t valid = utf8_valid_prefix(p, n);
    if (enc == ENC_GB && !bom) {
        size_t bad = 0, done = 0;
        char *u;
        int rc = gb_to_utf8(p, n, &u, &done, &bad);
        if (rc == 0) {
            *out = u;
            *outlen = done;
            return POOLSIM_OK;
        }
        if (rc == -2) {
            free(u);
            fprintf(diag, "poolsim: cannot convert %s from GBK: %s\n", name, strerror(errno));
            return POOLSIM_ENOMEM;
        }
        text_position((const unsigned char *)u, done, &line, &col);
        fprintf(diag,
                "%s:%ld:%ld: encoding: byte 0x%02X is not GBK/GB18030 text (expected the "
                "file in the encoding given by --encoding)\n",
                name, line, col, p[bad]);
        free(u);
        fprintf(diag, "poolsim: 1 error in %s\n", name);
        return POOLSIM_EINPUT;
    }
    if (valid == n) {
        char *u = malloc(n + 1);
        if (!u) {
            fprintf(diag, "poolsim: out of memory reading %s\n", name);
            return POOLSIM_ENOMEM;
        }
        memcpy(u, p, n);
        u[n] = '\0';
        *out = u;
        *outlen = n;
        return POOLSIM_OK;
    }
    if (enc == ENC_AUTO && !bom) {
        size_t bad = 0, done = 0;
        char *u;
        int rc = gb_to_utf8(p, n, &u, &done, &bad);
        if (rc == 0) {
            *out = u;
            *outlen = done;
            return POOLSIM_OK;
        }
        free(u);
        if (rc == -2) {
            fprintf(diag, "poolsim: cannot convert %s from GBK: %s\n", name, strerror(errno));
            return POOLSIM_ENOMEM;
        }
    }
    text_position(p, valid, &line, &col);
    fprintf(diag, "%s:%ld:%ld: encoding: byte 0x%02X is not %s (expected a CSV saved as UTF-8%s)\n",
            name, line, col, p[valid],
            enc == ENC_AUTO && !bom ? "UTF-8 text, nor GBK/GB18030 text" : "UTF-8 text",
            enc == ENC_AUTO && !bom ? " or GBK, or --encoding naming its encoding" : "");
    fprintf(diag, "poolsim: 1 error in %s\n", name);
    return POOLSIM_EINPUT;
}

/* The whole file into a malloc'ed buffer (at most MAX_FILE bytes). */
static int slurp(const char *path, FILE *diag, unsigned char **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(diag, "poolsim: cannot read %s: %s\n", path, strerror(errno));
        return POOLSIM_EIO;
    }
    size_t cap = 65536, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= MAX_FILE) {
                free(buf);
                fclose(f);
                fprintf(diag,
                        "poolsim: cannot read %s: larger than %zu MiB (expected a flows "
                        "file of a few thousand rows)\n",
                        path, MAX_FILE >> 20);
                return POOLSIM_EINPUT;
            }
            unsigned char *nb = realloc(buf, 2 * cap);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0) break;
    }
    if (!buf) {
        fclose(f);
        fprintf(diag, "poolsim: out of memory reading %s\n", path);
        return POOLSIM_ENOMEM;
    }
    if (ferror(f)) {
        int e = errno;
        fclose(f);
        free(buf);
        fprintf(diag, "poolsim: cannot read %s: %s\n", path, strerror(e));
        return POOLSIM_EIO;
    }
    fclose(f);
    *out = buf;
    *outlen = n;
    return POOLSIM_OK;
}

int poolsim_flows_parse(const poolsim_scenario *s, const char *name, const char *text, size_t len,
                        const poolsim_settle_opts *o, FILE *diag, poolsim_flows *out /* OUT */)
{
    out->n = 0;
    out->rows = NULL;
    const int enc = poolsim_settle_encoding(o ? o->encoding : NULL);
    if (enc < 0) {
        fprintf(diag, "poolsim: encoding '%s' is not known (expected auto, utf-8 or gbk)\n",
                o->encoding);
        return POOLSIM_EINPUT;
    }
    char *u;
    size_t ulen;
    int st = decode_text(name, (const unsigned char *)text, len, enc, diag, &u, &ulen);
    if (st != POOLSIM_OK) return st;
    flows_ctx *x = malloc(sizeof *x);
    if (!x) {
        free(u);
        fprintf(diag, "poolsim: out of memory reading %s\n", name);
        return POOLSIM_ENOMEM;
    }
    ctx_init(x, s, name, diag);
    x->strict = o ? o->strict : 0;
    if (ctx_begin(x) != 0) {
        free(x);
        free(u);
        fprintf(diag, "poolsim: out of memory reading %s\n", name);
        return POOLSIM_ENOMEM;
    }
    ctx_feed(x, (const unsigned char *)u, ulen, 0);
    free(u);
    st = ctx_end(x, out);
    free(x);
    return st;
}

int poolsim_flows_read(const poolsim_scenario *s, const char *path, const poolsim_settle_opts *o,
                       FILE *diag, poolsim_flows *out /* OUT */)
{
    out->n = 0;
    out->rows = NULL;
    unsigned char *buf;
    size_t n;
    int st = slurp(path, diag, &buf, &n);
    if (st != POOLSIM_OK) return st;
    st = poolsim_flows_parse(s, path, (const char *)buf, n, o, diag, out);
    free(buf);
    return st;
}

int poolsim_settle_parse(const poolsim_scenario *s, const char *name, const char *text, size_t len,
                         FILE *diag, poolsim_flows *out /* OUT */)
{
    return poolsim_flows_parse(s, name, text, len, NULL, diag, out);
}

int poolsim_settle_read(const poolsim_scenario *s, const char *path, FILE *diag,
                        poolsim_flows *out /* OUT */)
{
    return poolsim_flows_read(s, path, NULL, diag, out);
}

void poolsim_settle_flows_free(poolsim_flows *f)
{
    if (!f) return;
    free(f->rows);
    f->rows = NULL;
    f->n = 0;
}

/* ---- Opening values from a previous settlement ------------------------------
 *
 * The previous settlement's CSV is read into cells with their positions
 * (libcsv fed byte by byte, as above), then checked. */

typedef struct {
    char *text;
    long line, col;
} tcell;

typedef struct {
    struct csv_parser csv;
    long line, col, fline, fcol;
    int prev_cr, pending, row_start;
    tcell *cells;
    size_t ncells, cap;
    size_t *rows; /* index of each record's first cell; rows[nrows] = ncells */
    size_t nrows, rowcap;
    int nomem;
} table_ctx;

static void table_field(void *data, size_t len, void *vt)
{
    table_ctx *t = vt;
    if (t->nomem) return;
    if (t->ncells == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        tcell *nc = realloc(t->cells, cap * sizeof *nc);
        if (!nc) {
            t->nomem = 1;
            return;
        }
        t->cells = nc;
        t->cap = cap;
    }
    char *v = malloc(len + 1);
    if (!v) {
        t->nomem = 1;
        return;
    }
    if (len) memcpy(v, data, len);
    v[len] = '\0';
    if (memchr(v, '\0', len)) v[0] = '\x01'; /* fails every check */
    t->cells[t->ncells++] = (tcell){v, t->fline, t->fcol};
}

static void table_record(int term, void *vt)
{
    table_ctx *t = vt;
    (void)term;
    if (t->nomem) return;
    if (t->nrows + 2 > t->rowcap) {
        size_t cap = t->rowcap ? 2 * t->rowcap : 64;
        size_t *nr = realloc(t->rows, cap * sizeof *nr);
        if (!nr) {
            t->nomem = 1;
            return;
        }
        t->rows = nr;
        t->rowcap = cap;
    }
    t->rows[++t->nrows] = t->ncells;
}

static void table_free(table_ctx *t)
{
    for (size_t i = 0; i < t->ncells; i++) free(t->cells[i].text);
    free(t->cells);
    free(t->rows);
}

/* Cells of UTF-8 text; POOLSIM_EINPUT (message written) on malformed CSV. */
static int table_parse(table_ctx *t, const char *name, const unsigned char *p, size_t n, FILE *diag)
{
    memset(t, 0, sizeof *t);
    t->line = t->col = t->fline = t->fcol = 1;
    t->pending = t->row_start = 1;
    t->rows = malloc(64 * sizeof *t->rows);
    if (!t->rows || csv_init(&t->csv, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) != 0) {
        free(t->rows);
        fprintf(diag, "poolsim: out of memory reading %s\n", name);
        return POOLSIM_ENOMEM;
    }
    t->rowcap = 64;
    t->rows[0] = 0;
    int bad = 0;
    for (size_t i = 0; i < n && !bad && !t->nomem; i++) {
        const unsigned char ch = p[i];
        const int brk = ch == '\n' || ch == '\r';
        if (t->pending && !(t->row_start && brk)) {
            t->fline = t->line;
            t->fcol = t->col;
            t->pending = t->row_start = 0;
        }
        const size_t cells_before = t->ncells, rows_before = t->nrows;
        if (csv_parse(&t->csv, &ch, 1, table_field, table_record, t) != 1) {
            fprintf(diag,
                    "%s:%ld:%ld: csv: malformed CSV: stray quote or text after a closing quote "
                    "(expected RFC 4180 quoting)\n",
                    name, t->line, t->col);
            bad = 1;
            break;
        }
        if (t->nrows != rows_before)
            t->pending = t->row_start = 1;
        else if (t->ncells != cells_before)
            t->pending = 1;
        if (ch == '\n') {
            if (!t->prev_cr) t->line++;
            t->col = 1;
        } else if (ch == '\r') {
            t->line++;
            t->col = 1;
        } else if ((ch & 0xC0) != 0x80)
            t->col++;
        t->prev_cr = ch == '\r';
    }
    if (!bad && !t->nomem && csv_fini(&t->csv, table_field, table_record, t) != 0) {
        fprintf(diag,
                "%s:%ld:%ld: csv: unterminated quoted field (expected a closing double "
                "quote)\n",
                name, t->fline, t->fcol);
        bad = 1;
    }
    csv_free(&t->csv);
    if (t->nomem) {
        table_free(t);
        fprintf(diag, "poolsim: out of memory reading %s\n", name);
        return POOLSIM_ENOMEM;
    }
    if (bad) {
        table_free(t);
        fprintf(diag, "poolsim: 1 error in %s\n", name);
        return POOLSIM_EINPUT;
    }
    return POOLSIM_OK;
}

void poolsim_settle_opening_free(poolsim_settle_opening *op)
{
    if (!op) return;
    free(op->reserve);
    free(op->balance);
    free(op->financing);
    memset(op, 0, sizeof *op);
}

enum { OP_YEAR, OP_COUNTY, OP_LINE, OP_FIN, OP_BAL, OP_RES, OP_NCOLS };
static const char *const op_col[OP_NCOLS] = {"year",      "county",      "line",
                                             "financing", "balance_end", "reserve_end"};

/* Check the table's cells and fill op; errors through x (counted). */
static void opening_check(flows_ctx *x, const table_ctx *t, poolsim_settle_opening *op,
                          signed char *seen)
{
    const poolsim_scenario *s = x->s;
    const size_t nl = (size_t)s->nlines;
    if (t->nrows == 0) {
        flow_error(x, 1, 1, "header",
                   "the file is empty (expected a settlement CSV written by poolsim settle)");
        return;
    }
    int pos[OP_NCOLS];
    const size_t ncol = t->rows[1] - t->rows[0];
    for (int k = 0; k < OP_NCOLS; k++) {
        pos[k] = -1;
        for (size_t j = 0; j < ncol; j++)
            if (strcmp(t->cells[j].text, op_col[k]) == 0 && pos[k] < 0) pos[k] = (int)j;
        if (pos[k] < 0)
            flow_error(x, 1, 1, "header",
                       "column '%s' is missing (expected a settlement CSV written by poolsim "
                       "settle)",
                       op_col[k]);
    }
    if (x->nerrors) return;
    if (t->nrows < 2) {
        flow_error(x, t->cells[0].line + 1, 1, "row", "no data rows (expected at least one row)");
        return;
    }
    /* the last year */
    int last = 0;
    for (size_t r = 1; r < t->nrows; r++) {
        const tcell *c = &t->cells[t->rows[r]];
        if (t->rows[r + 1] - t->rows[r] != ncol) {
            flow_error(x, c->line, c->col, "row", "%zu fields (expected %zu, as in the header)",
                       t->rows[r + 1] - t->rows[r], ncol);
            continue;
        }
        int y;
        const tcell *cy = &t->cells[t->rows[r] + (size_t)pos[OP_YEAR]];
        if (parse_year(x, cy->text, cy->line, cy->col, &y) == 0 && y > last) last = y;
    }
    if (x->nerrors) return;
    op->year = last;
    char b[64], ids[512];
    for (size_t r = 1; r < t->nrows; r++) {
        const tcell *row = &t->cells[t->rows[r]];
        int y;
        parse_year(x, row[pos[OP_YEAR]].text, row[pos[OP_YEAR]].line, row[pos[OP_YEAR]].col, &y);
        if (y != last) continue;
        const tcell *cc = &row[pos[OP_COUNTY]], *cl = &row[pos[OP_LINE]];
        const int c = county_lookup(s, cc->text);
        const int l = line_lookup(s, cl->text);
        if (c < 0)
            flow_error(x, cc->line, cc->col, "county",
                       "unknown county '%s' (expected the counties of the scenario: %s)",
                       shown(cc->text, b), id_list(s, 0, ids, sizeof ids));
        if (l < 0)
            flow_error(x, cl->line, cl->col, "line",
                       "unknown line '%s' (expected the lines of the scenario: %s)",
                       shown(cl->text, b), id_list(s, 1, ids, sizeof ids));
        double v[3];
        int ok = 1;
        for (int k = 0; k < 3; k++) {
            const tcell *cv = &row[pos[OP_FIN + k]];
            ok &= parse_money(x, cv->text, cv->line, cv->col, op_col[OP_FIN + k], &v[k]) == 0;
        }
        if (c < 0 || l < 0 || !ok) continue;
        const size_t i = (size_t)c * nl + (size_t)l;
        if (seen[i]) {
            flow_error(x, cc->line, cc->col, "county",
                       "second row for county '%s', line %s in %d (expected one row per county "
                       "and line)",
                       s->counties[c].id, s->lines[l].id, last);
            continue;
        }
        seen[i] = 1;
        op->financing[i] = v[0];
        op->balance[i] = v[1];
        if (seen[(size_t)s->ncounties * nl + (size_t)l] == 0) {
            op->reserve[l] = v[2];
            seen[(size_t)s->ncounties * nl + (size_t)l] = 1;
        } else if (op->reserve[l] != v[2]) {
            const tcell *cv = &row[pos[OP_RES]];
            flow_error(x, cv->line, cv->col, "reserve_end",
                       "%s differs from the line's reserve_end on an earlier row of %d (%.17g; "
                       "expected the same reserve on every county's row)",
                       shown(cv->text, b), last, op->reserve[l]);
        }
    }
    for (int c = 0; c < s->ncounties; c++)
        for (int l = 0; l < s->nlines; l++)
            if (!seen[(size_t)c * nl + (size_t)l])
                flow_error(x, t->cells[t->rows[1]].line, 1, "county",
                           "no row for county '%s', line %s in %d, the last year (expected the "
                           "settlement of the same counties and lines as the scenario)",
                           s->counties[c].id, s->lines[l].id, last);
}

int poolsim_settle_opening_read(const poolsim_scenario *s, const char *path,
                                const poolsim_settle_opts *o, FILE *diag,
                                poolsim_settle_opening *out /* OUT */)
{
    memset(out, 0, sizeof *out);
    const int enc = poolsim_settle_encoding(o ? o->encoding : NULL);
    if (enc < 0) {
        fprintf(diag, "poolsim: encoding '%s' is not known (expected auto, utf-8 or gbk)\n",
                o->encoding);
        return POOLSIM_EINPUT;
    }
    unsigned char *raw;
    size_t n;
    int st = slurp(path, diag, &raw, &n);
    if (st != POOLSIM_OK) return st;
    char *u;
    size_t ulen;
    st = decode_text(path, raw, n, enc, diag, &u, &ulen);
    free(raw);
    if (st != POOLSIM_OK) return st;
    table_ctx t;
    st = table_parse(&t, path, (const unsigned char *)u, ulen, diag);
    free(u);
    if (st != POOLSIM_OK) return st;
    const size_t nl = (size_t)s->nlines, ncl = (size_t)s->ncounties * nl;
    flows_ctx *x = malloc(sizeof *x);
    out->reserve = calloc(nl ? nl : 1, sizeof *out->reserve);
    out->balance = calloc(ncl ? ncl : 1, sizeof *out->balance);
    out->financing = calloc(ncl ? ncl : 1, sizeof *out->financing);
    signed char *seen = calloc(ncl + nl + 1, 1);
    if (!x || !out->reserve || !out->balance || !out->financing || !seen) {
        free(x);
        free(seen);
        table_free(&t);
        poolsim_settle_opening_free(out);
        fprintf(diag, "poolsim: out of memory reading %s\n", path);
        return POOLSIM_ENOMEM;
    }
    out->nlines = s->nlines;
    out->ncounties = s->ncounties;
    ctx_init(x, s, path, diag);
    opening_check(x, &t, out, seen);
    table_free(&t);
    free(seen);
    const long nerr = x->nerrors;
    free(x);
    if (nerr > 0) {
        fprintf(diag, "poolsim: %ld error%s in %s\n", nerr, nerr == 1 ? "" : "s", path);
        poolsim_settle_opening_free(out);
        return POOLSIM_EINPUT;
    }
    return POOLSIM_OK;
}
