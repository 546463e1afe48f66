/* poolsim: scenario loader, part 2: the counties CSV (libcsv, strict
 * RFC 4180 quoting, optional UTF-8 BOM) -> a list of flat maps, one per
 * row, keyed by the header cells. Every cell keeps its FILE:LINE:COL, so
 * the CSV's counties go through --set and validation exactly like inline
 * ones. An empty cell means "not given" (the key is left out of the row). */
#include <string.h>

#include <csv.h>

#include "scenario_internal.h"

typedef struct {
    char *text;
    size_t len;
    int line, col;
} csv_cell;

typedef struct {
    sc_ctx *c;
    const char *file;
    int line, col;           /* position of the byte being parsed */
    int sline, scol, svalid; /* where the current field started */
    csv_cell *cells;
    size_t ncells, cap;
    sc_node **header;
    size_t nheader;
    int have_header;
    sc_node *list;
    int fail;
} csv_state;

/* Offset of the first byte that is not valid UTF-8 or is a control
 * character other than tab, CR, LF; len when the text is clean. */
static size_t utf8_bad(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char b = s[i];
        if (b < 0x80) {
            if ((b < 0x20 && b != '\t' && b != '\r' && b != '\n') || b == 0x7F) return i;
            i++;
            continue;
        }
        size_t n;
        unsigned cp;
        if (b >= 0xC2 && b <= 0xDF) {
            n = 1;
            cp = b & 0x1Fu;
        } else if (b >= 0xE0 && b <= 0xEF) {
            n = 2;
            cp = b & 0x0Fu;
        } else if (b >= 0xF0 && b <= 0xF4) {
            n = 3;
            cp = b & 0x07u;
        } else {
            return i;
        }
        for (size_t k = 1; k <= n; k++) {
            if (i + k >= len || (s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n + 1;
    }
    return len;
}

static void on_field(void *field, size_t len, void *data)
{
    csv_state *st = data;
    if (st->fail) return;
    if (st->ncells == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 16;
        csv_cell *nc = sc_alloc(st->c, cap * sizeof *nc);
        if (!nc) {
            st->fail = 1;
            return;
        }
        if (st->ncells) memcpy(nc, st->cells, st->ncells * sizeof *nc);
        st->cells = nc;
        st->cap = cap;
    }
    csv_cell *cell = &st->cells[st->ncells++];
    cell->text = sc_strndup(st->c, field ? (const char *)field : "", field ? len : 0);
    cell->len = field ? len : 0;
    cell->line = st->svalid ? st->sline : st->line;
    cell->col = st->svalid ? st->scol : st->col;
    st->svalid = 0;
    if (!cell->text) st->fail = 1;
}

/* For each header cell i, the first column with the same non-empty text
 * (i itself when it is the first); NULL on allocation failure or n < 2. */
static const csv_cell *sort_cells;

static int cmp_cell(const void *a, const void *b)
{
    const csv_cell *x = &sort_cells[*(const size_t *)a], *y = &sort_cells[*(const size_t *)b];
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    int k = memcmp(x->text, y->text, x->len);
    if (k) return k;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    return i < j ? -1 : i > j;
}

static size_t *header_first(const csv_cell *cells, size_t n)
{
    if (n < 2) return NULL;
    size_t *order = malloc(n * sizeof *order), *first = malloc(n * sizeof *first);
    if (!order || !first) {
        free(order);
        free(first);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) order[i] = first[i] = i;
    sort_cells = cells;
    qsort(order, n, sizeof *order, cmp_cell);
    for (size_t k = 1; k < n; k++) {
        const csv_cell *a = &cells[order[k - 1]], *b = &cells[order[k]];
        if (b->len && a->len == b->len && memcmp(a->text, b->text, a->len) == 0)
            first[order[k]] = first[order[k - 1]];
    }
    free(order);
    return first;
}

static void on_header(csv_state *st)
{
    sc_ctx *c = st->c;
    st->have_header = 1;
    st->header = sc_alloc(c, (st->ncells ? st->ncells : 1) * sizeof *st->header);
    if (!st->header) {
        st->fail = 1;
        return;
    }
    st->nheader = st->ncells;
    /* duplicates by sorting (n log n: a header of 200,000 columns took 89 s
     * with the pairwise comparison) */
    size_t *first = header_first(st->cells, st->ncells);
    if (!first && st->ncells > 1) {
        st->fail = 1;
        c->nomem = 1;
        return;
    }
    int has_id = 0;
    for (size_t i = 0; i < st->ncells; i++) {
        csv_cell *h = &st->cells[i];
        if (h->len == 0) {
            sc_error(c, st->file, h->line, h->col,
                     "counties: empty column name (expected id, name, a class id, wage, ...)");
            st->fail = 1;
            continue;
        }
        if (first && first[i] != i) {
            const csv_cell *f0 = &st->cells[first[i]];
            sc_error(c, st->file, h->line, h->col,
                     "counties: duplicate column '%s' (first at column %d)", h->text, f0->col);
            st->fail = 1;
        }
        st->header[i] = sc_new_scalar(c, h->text, h->len, SC_PLAIN, st->file, h->line, h->col);
        if (!st->header[i]) {
            st->fail = 1;
            return;
        }
        if (strcmp(h->text, "id") == 0) has_id = 1;
    }
    free(first);
    if (!has_id && st->ncells) {
        sc_error(c, st->file, st->cells[0].line, st->cells[0].col,
                 "counties: no 'id' column in the header (expected a column named id)");
        st->fail = 1;
    }
}

static void on_row(int term, void *data)
{
    (void)term;
    csv_state *st = data;
    sc_ctx *c = st->c;
    if (st->fail) return;
    if (!st->have_header) {
        on_header(st);
        st->ncells = 0;
        return;
    }
    if (st->ncells != st->nheader) {
        sc_error(c, st->file, st->cells[0].line, st->cells[0].col,
                 "counties: a row with %zu field%s (expected %zu, as in the header)", st->ncells,
                 st->ncells == 1 ? "" : "s", st->nheader);
        st->ncells = 0;
        return;
    }
    sc_node *row = sc_new(c, SC_MAP, st->file, st->cells[0].line, st->cells[0].col);
    if (!row || sc_push(c, st->list, NULL, row)) {
        st->fail = 1;
        return;
    }
    for (size_t i = 0; i < st->ncells; i++) {
        csv_cell *cell = &st->cells[i];
        if (cell->len == 0) continue;
        sc_node *v =
            sc_new_scalar(c, cell->text, cell->len, SC_CSV, st->file, cell->line, cell->col);
        if (!v || sc_push(c, row, st->header[i], v)) {
            st->fail = 1;
            return;
        }
    }
    st->ncells = 0;
}

int sc_load_csv(sc_ctx *c, const char *path, const sc_node *at, sc_node **list)
{
    char *text;
    size_t len;
    *list = NULL;
    if (sc_read_file(c, path, at, "counties_csv", &text, &len)) return -1;
    const char *file = sc_file(c, path);
    sc_add_source(c, file, text, len);

    const unsigned char *s = (const unsigned char *)text;
    size_t start = 0;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) start = 3;

    csv_state st;
    memset(&st, 0, sizeof st);
    st.c = c;
    st.file = file;
    st.line = 1;
    st.col = 1;

    size_t bad = utf8_bad(s + start, len - start);
    if (bad < len - start) {
        int line = 1, col = 1;
        for (size_t i = start; i < start + bad; i++) {
            if (s[i] == '\n')
                line++, col = 1;
            else if ((s[i] & 0xC0) != 0x80)
                col++;
        }
        sc_error(c, file, line, col,
                 "not UTF-8 text (byte 0x%02X; expected a UTF-8 CSV file "
                 "without control characters)",
                 s[start + bad]);
        free(text);
        return -1;
    }

    st.list = sc_new(c, SC_SEQ, file, 1, 1);
    if (!st.list) {
        free(text);
        return -1;
    }
    st.list->replace = 1;

    struct csv_parser p;
    if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        c->nomem = 1;
        free(text);
        return -1;
    }
    int prev_cr = 0, syntax = 0;
    for (size_t i = start; i < len && !st.fail; i++) {
        unsigned char b = s[i];
        if (!st.svalid && b != '\r' && b != '\n') {
            st.sline = st.line;
            st.scol = st.col;
            st.svalid = 1;
        }
        if (csv_parse(&p, s + i, 1, on_field, on_row, &st) != 1) {
            if (csv_error(&p) == CSV_ENOMEM)
                c->nomem = 1;
            else
                sc_error(c, file, st.line, st.col,
                         "CSV syntax error: a quote inside an unquoted "
                         "field or text after a closing quote (expected RFC 4180 quoting: "
                         "\"...\" with \"\" for a quote)");
            syntax = 1;
            break;
        }
        if (b == '\n') {
            if (!prev_cr) st.line++;
            st.col = 1;
            prev_cr = 0;
        } else if (b == '\r') {
            st.line++;
            st.col = 1;
            prev_cr = 1;
        } else {
            prev_cr = 0;
            if ((b & 0xC0) != 0x80) st.col++;
        }
    }
    if (!syntax && !st.fail) {
        if (csv_fini(&p, on_field, on_row, &st) != 0) {
            if (csv_error(&p) == CSV_ENOMEM)
                c->nomem = 1;
            else
                sc_error(c, file, st.svalid ? st.sline : st.line, st.svalid ? st.scol : st.col,
                         "CSV syntax error: a quoted field is not closed (expected a closing \")");
            syntax = 1;
        }
    }
    csv_free(&p);
    free(text);
    if (syntax || st.fail || c->nomem) return -1;
    if (!st.have_header) {
        sc_error(c, file, 1, 1,
                 "counties: empty CSV file (expected a header row, then one row "
                 "per county)");
        return -1;
    }
    *list = st.list;
    return 0;
}
