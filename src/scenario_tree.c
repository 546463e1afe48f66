/* poolsim: scenario loader, part 1: the load context (arena, errors), the
 * located node tree, YAML 1.2 core-schema scalars, and YAML -> tree with
 * libyaml's event API. See scenario_internal.h for the limits. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "scenario_internal.h"

#include "poolsim/diag.h"

/* ---- arena ------------------------------------------------------------ */

struct sc_chunk {
    sc_chunk *next;
    size_t used, size;
    max_align_t data[];
};

#define SC_CHUNK (64 * 1024)

void *sc_alloc(sc_ctx *c, size_t size)
{
    size_t a = sizeof(max_align_t);
    size = (size + a - 1) / a * a;
    if (size == 0) size = a;
    sc_chunk *h = c->arena;
    if (!h || h->size - h->used < size) {
        size_t cap = size > SC_CHUNK ? size : SC_CHUNK;
        h = malloc(sizeof(sc_chunk) + cap);
        if (!h) {
            c->nomem = 1;
            return NULL;
        }
        h->size = cap;
        h->used = 0;
        h->next = c->arena;
        c->arena = h;
    }
    void *p = (char *)h->data + h->used;
    h->used += size;
    memset(p, 0, size);
    return p;
}

char *sc_strndup(sc_ctx *c, const char *s, size_t len)
{
    char *d = sc_alloc(c, len + 1);
    if (!d) return NULL;
    if (len) memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

__attribute__((format(printf, 2, 0))) static char *sc_vsprintf(sc_ctx *c, const char *fmt,
                                                               va_list ap)
{
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0) return NULL;
    char *s = sc_alloc(c, (size_t)n + 1);
    if (!s) return NULL;
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

char *sc_sprintf(sc_ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = sc_vsprintf(c, fmt, ap);
    va_end(ap);
    return s;
}

void sc_ctx_free(sc_ctx *c)
{
    sc_chunk *h = c->arena;
    while (h) {
        sc_chunk *nx = h->next;
        free(h);
        h = nx;
    }
    c->arena = NULL;
    free(c->errs);
    c->errs = NULL;
    free(c->files);
    c->files = NULL;
    sc_buf_free(&c->source);
}

const char *sc_file(sc_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->nfiles; i++)
        if (strcmp(c->files[i], name) == 0) return c->files[i];
    if (c->nfiles == c->filecap) {
        size_t cap = c->filecap ? 2 * c->filecap : 8;
        const char **f = realloc(c->files, cap * sizeof *f);
        if (!f) {
            c->nomem = 1;
            return "?";
        }
        c->files = f;
        c->filecap = cap;
    }
    char *d = sc_strndup(c, name, strlen(name));
    if (!d) return "?";
    c->files[c->nfiles++] = d;
    return d;
}

/* ---- errors ----------------------------------------------------------- */

static int file_rank(const sc_ctx *c, const char *file)
{
    for (size_t i = 0; i < c->nfiles; i++)
        if (c->files[i] == file) return (int)i;
    return (int)c->nfiles;
}

__attribute__((format(printf, 6, 0))) static void add_error(sc_ctx *c, const char *file, int line,
                                                            int col, const char *key,
                                                            const char *fmt, va_list ap)
{
    if (c->nerr >= SC_MAX_ERRORS) {
        c->dropped++;
        return;
    }
    if (c->nerr == c->errcap) {
        size_t cap = c->errcap ? 2 * c->errcap : 16;
        sc_err *e = realloc(c->errs, cap * sizeof *e);
        if (!e) {
            c->nomem = 1;
            return;
        }
        c->errs = e;
        c->errcap = cap;
    }
    char *line_text = poolsim_diag_vformat(file, line, col, NULL, key, fmt, ap);
    char *msg = line_text ? sc_strndup(c, line_text, strlen(line_text)) : NULL;
    free(line_text);
    if (!msg) {
        c->nomem = 1;
        return;
    }
    sc_err *e = &c->errs[c->nerr];
    e->rank = file_rank(c, file);
    e->line = line;
    e->col = col;
    e->seq = c->nerr;
    e->msg = msg;
    c->nerr++;
}

void sc_error(sc_ctx *c, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_error(c, file, line, col, NULL, fmt, ap);
    va_end(ap);
}

void sc_error_at(sc_ctx *c, const sc_node *n, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (n)
        add_error(c, n->file, n->line, n->col, key, fmt, ap);
    else
        add_error(c, c->nfiles ? c->files[0] : "?", 1, 1, key, fmt, ap);
    va_end(ap);
}

void sc_warn_at(sc_ctx *c, const sc_node *n, const char *key, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->strict) {
        sc_error_at(c, n, key, "%s [--strict]", msg);
        return;
    }
    if (!c->warn) return;
    fprintf(c->warn, "%s:%d:%d: warning: %s%s%s\n", n ? n->file : "?", n ? n->line : 1,
            n ? n->col : 1, key && *key ? key : "", key && *key ? ": " : "", msg);
}

static int err_cmp(const void *a, const void *b)
{
    const sc_err *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->line != y->line) return x->line < y->line ? -1 : 1;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

size_t sc_flush_errors(sc_ctx *c, FILE *diag, const char *path)
{
    if (c->nerr > 1) qsort(c->errs, c->nerr, sizeof *c->errs, err_cmp);
    size_t shown = 0;
    for (size_t i = 0; i < c->nerr; i++) {
        if (i > 0 && strcmp(c->errs[i].msg, c->errs[i - 1].msg) == 0) continue;
        if (diag) fprintf(diag, "%s\n", c->errs[i].msg);
        shown++;
    }
    size_t total = shown + c->dropped;
    if (diag) {
        if (c->dropped) fprintf(diag, "poolsim: %zu more errors not shown\n", c->dropped);
        fprintf(diag, "poolsim: %zu error%s in %s\n", total, total == 1 ? "" : "s", path);
    }
    return total;
}

/* ---- growable strings --------------------------------------------------- */

void sc_buf_add(sc_buf *b, const char *s, size_t len)
{
    if (b->nomem) return;
    if (b->len + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len + 1) cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    if (len) memcpy(b->s + b->len, s, len);
    b->len += len;
    b->s[b->len] = '\0';
}

void sc_buf_puts(sc_buf *b, const char *s)
{
    sc_buf_add(b, s, strlen(s));
}

void sc_buf_printf(sc_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        sc_buf_add(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->nomem = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sc_buf_add(b, big, (size_t)n);
    free(big);
}

void sc_buf_trunc(sc_buf *b, size_t len)
{
    if (b->s && len <= b->len) {
        b->len = len;
        b->s[len] = '\0';
    }
}

void sc_buf_free(sc_buf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

size_t sc_path_push(sc_buf *b, const char *key)
{
    size_t old = b->len, len = strlen(key);
    if (b->len) sc_buf_add(b, ".", 1);
    if (len > 80) {
        /* a path is for messages: shorten absurd keys at a character boundary */
        len = 80;
        while (len > 0 && ((unsigned char)key[len] & 0xC0) == 0x80) len--;
        sc_buf_add(b, key, len);
        sc_buf_puts(b, "...");
    } else {
        sc_buf_add(b, key, len);
    }
    if (!b->s) sc_buf_add(b, "", 0);
    return old;
}

size_t sc_path_index(sc_buf *b, size_t index1)
{
    char num[32];
    snprintf(num, sizeof num, "%zu", index1);
    return sc_path_push(b, num);
}

/* ---- nodes --------------------------------------------------------------- */

sc_node *sc_new(sc_ctx *c, int kind, const char *file, int line, int col)
{
    if (c->nodes >= SC_MAX_NODES) {
        if (!c->limit)
            sc_error(c, file, line, col, "too many values (expected at most %zu in one scenario)",
                     SC_MAX_NODES);
        c->limit = 1;
        return NULL;
    }
    sc_node *n = sc_alloc(c, sizeof *n);
    if (!n) return NULL;
    c->nodes++;
    n->kind = (unsigned char)kind;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

sc_node *sc_new_scalar(sc_ctx *c, const char *text, size_t len, int style, const char *file,
                       int line, int col)
{
    sc_node *n = sc_new(c, SC_SCALAR, file, line, col);
    if (!n) return NULL;
    n->style = (unsigned char)style;
    n->text = sc_strndup(c, text, len);
    if (!n->text) return NULL;
    n->len = len;
    return n;
}

int sc_push(sc_ctx *c, sc_node *parent, sc_node *key, sc_node *val)
{
    if (parent->n == parent->cap) {
        size_t cap = parent->cap ? 2 * parent->cap : 4;
        sc_node **v = sc_alloc(c, cap * sizeof *v);
        sc_node **k = parent->kind == SC_MAP ? sc_alloc(c, cap * sizeof *k) : NULL;
        if (!v || (parent->kind == SC_MAP && !k)) return -1;
        if (parent->n) {
            memcpy(v, parent->vals, parent->n * sizeof *v);
            if (k) memcpy(k, parent->keys, parent->n * sizeof *k);
        }
        parent->vals = v;
        parent->keys = k;
        parent->cap = cap;
    }
    if (parent->kind == SC_MAP) parent->keys[parent->n] = key;
    parent->vals[parent->n] = val;
    parent->n++;
    return 0;
}

int sc_map_find(const sc_node *map, const char *key)
{
    if (!map || map->kind != SC_MAP) return -1;
    size_t len = strlen(key);
    for (size_t i = 0; i < map->n; i++)
        if (map->keys[i]->len == len && memcmp(map->keys[i]->text, key, len) == 0) return (int)i;
    return -1;
}

sc_node *sc_map_get(const sc_node *map, const char *key)
{
    int i = sc_map_find(map, key);
    return i < 0 ? NULL : map->vals[i];
}

void sc_map_remove(sc_node *map, size_t i)
{
    if (i >= map->n) return;
    for (size_t j = i + 1; j < map->n; j++) {
        map->keys[j - 1] = map->keys[j];
        map->vals[j - 1] = map->vals[j];
    }
    map->n--;
}

const char *sc_item_id(const sc_node *item)
{
    const sc_node *v = sc_map_get(item, "id");
    if (!v || v->kind != SC_SCALAR || v->len == 0 || sc_class(v) == SV_NULL) return NULL;
    return v->text;
}

size_t sc_path_item(sc_buf *b, const sc_node *seq, size_t i)
{
    const char *id = sc_item_id(seq->vals[i]);
    return id ? sc_path_push(b, id) : sc_path_index(b, i + 1);
}

/* ---- scalars: YAML 1.2 core schema --------------------------------------- */

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}
static int is_odigit(char ch)
{
    return ch >= '0' && ch <= '7';
}
static int is_xdigit(char ch)
{
    return is_digit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static int eq(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ ; returns 10, 8, 16 or 0 */
static int int_base(const char *s, size_t len)
{
    if (len > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
        int (*ok)(char) = s[1] == 'o' ? is_odigit : is_xdigit;
        for (size_t i = 2; i < len; i++)
            if (!ok(s[i])) return 0;
        return s[1] == 'o' ? 8 : 16;
    }
    size_t i = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    if (i == len) return 0;
    for (; i < len; i++)
        if (!is_digit(s[i])) return 0;
    return 10;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static int is_decimal_float(const char *s, size_t len)
{
    size_t i = 0, nd = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) i++;
    while (i < len && is_digit(s[i])) i++, nd++;
    if (i < len && s[i] == '.') {
        i++;
        size_t frac = 0;
        while (i < len && is_digit(s[i])) i++, frac++;
        if (nd == 0 && frac == 0) return 0;
    } else if (nd == 0) {
        return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < len && (s[i] == '-' || s[i] == '+')) i++;
        size_t ne = 0;
        while (i < len && is_digit(s[i])) i++, ne++;
        if (ne == 0) return 0;
    }
    return i == len;
}

/* 1: +inf, -1: -inf, 2: nan, 0: neither */
static int special_float(const char *s, size_t len)
{
    size_t i = 0;
    int sign = 1;
    if (len && (s[0] == '-' || s[0] == '+')) {
        sign = s[0] == '-' ? -1 : 1;
        i = 1;
    }
    const char *r = s + i;
    size_t rl = len - i;
    if (eq(r, rl, ".inf") || eq(r, rl, ".Inf") || eq(r, rl, ".INF")) return sign;
    if (i == 0 && (eq(s, len, ".nan") || eq(s, len, ".NaN") || eq(s, len, ".NAN"))) return 2;
    return 0;
}

int sc_class(const sc_node *n)
{
    if (!n || n->kind != SC_SCALAR) return -1;
    if (n->style == SC_QUOTED) return SV_STR;
    const char *s = n->text;
    size_t len = n->len;
    if (n->style == SC_PLAIN) {
        if (len == 0 || eq(s, len, "~") || eq(s, len, "null") || eq(s, len, "Null") ||
            eq(s, len, "NULL"))
            return SV_NULL;
        if (eq(s, len, "true") || eq(s, len, "True") || eq(s, len, "TRUE") || eq(s, len, "false") ||
            eq(s, len, "False") || eq(s, len, "FALSE"))
            return SV_BOOL;
    }
    if (len == 0) return SV_STR;
    if (int_base(s, len)) return SV_INT;
    if (is_decimal_float(s, len) || special_float(s, len)) return SV_FLOAT;
    return SV_STR;
}

int sc_is_null(const sc_node *n)
{
    return n && n->kind == SC_SCALAR && sc_class(n) == SV_NULL;
}

int sc_number(const sc_node *n, double *v)
{
    int cls = sc_class(n);
    if (cls != SV_INT && cls != SV_FLOAT) return -1;
    const char *s = n->text;
    size_t len = n->len;
    int sp = special_float(s, len);
    if (sp == 2) {
        *v = NAN;
        return 0;
    }
    if (sp) {
        *v = sp > 0 ? INFINITY : -INFINITY;
        return 0;
    }
    int base = cls == SV_INT ? int_base(s, len) : 10;
    char *end = NULL;
    errno = 0;
    if (base != 10) {
        unsigned long long u = strtoull(s + 2, &end, base);
        if (end != s + len) return -1;
        if (errno == ERANGE) return 1;
        *v = (double)u;
        return 0;
    }
    double d = strtod(s, &end);
    if (end != s + len) return -1;
    if (errno == ERANGE && isinf(d)) return 1;
    *v = d;
    return 0;
}

int sc_uint64(const sc_node *n, unsigned long long *v)
{
    if (sc_class(n) != SV_INT) return -1;
    const char *s = n->text;
    size_t len = n->len;
    int base = int_base(s, len);
    const char *digits = s;
    if (base != 10)
        digits = s + 2;
    else if (s[0] == '+')
        digits = s + 1;
    else if (s[0] == '-') {
        for (size_t i = 1; i < len; i++)
            if (s[i] != '0') return 1;
        *v = 0;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long u = strtoull(digits, &end, base);
    if (end != s + len) return -1;
    if (errno == ERANGE) return 1;
    *v = u;
    return 0;
}

const char *sc_show(sc_ctx *c, const sc_node *n)
{
    if (!n) return "nothing";
    if (n->kind == SC_MAP) return "a map";
    if (n->kind == SC_SEQ) return "a list";
    int cls = sc_class(n);
    if (cls == SV_NULL) return "an empty value";
    char buf[64];
    size_t len = n->len, k = 0;
    int cut = 0;
    if (len > 40) {
        len = 40;
        while (len > 0 && ((unsigned char)n->text[len] & 0xC0) == 0x80) len--;
        cut = 1;
    }
    for (size_t i = 0; i < len && k < sizeof buf - 1; i++) {
        unsigned char ch = (unsigned char)n->text[i];
        buf[k++] = (ch < 0x20 || ch == 0x7F) ? '?' : (char)ch;
    }
    buf[k] = '\0';
    int quote = cls == SV_STR;
    return sc_sprintf(c, "%s%s%s%s", quote ? "'" : "", buf, cut ? "..." : "", quote ? "'" : "");
}

void sc_fmt_double(char *buf, size_t size, double v)
{
    if (isnan(v)) {
        snprintf(buf, size, ".nan");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? ".inf" : "-.inf");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* ---- files ------------------------------------------------------------- */

/* strerror is not thread-safe; the XSI strerror_r is. */
static const char *errtext(int e, char *buf, size_t size)
{
    if (strerror_r(e, buf, size) != 0) snprintf(buf, size, "error %d", e);
    return buf;
}

int sc_read_file(sc_ctx *c, const char *path, const sc_node *at, const char *key, char **text,
                 size_t *len)
{
    *text = NULL;
    *len = 0;
    const char *fpath = sc_file(c, path);
    char eb[128];
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        if (at)
            sc_error_at(c, at, key, "cannot open '%s': %s", path, errtext(e, eb, sizeof eb));
        else
            sc_error(c, fpath, 0, 0, "cannot open '%s': %s", path, errtext(e, eb, sizeof eb));
        return -1;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    int fail = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                c->nomem = 1;
                fail = 1;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - n - 1;
        size_t room =
            SC_MAX_FILE_BYTES - (c->bytes < SC_MAX_FILE_BYTES ? c->bytes : SC_MAX_FILE_BYTES);
        if (want > room - (n < room ? n : room) + 1) want = room - (n < room ? n : room) + 1;
        size_t got = fread(buf + n, 1, want, f);
        n += got;
        if (c->bytes + n > SC_MAX_FILE_BYTES) {
            if (at)
                sc_error_at(c, at, key,
                            "'%s' is too large (expected at most %zu MiB for all the "
                            "files of one scenario together)",
                            path, SC_MAX_FILE_BYTES >> 20);
            else
                sc_error(c, fpath, 0, 0,
                         "file is too large (expected at most %zu MiB for all the "
                         "files of one scenario together)",
                         SC_MAX_FILE_BYTES >> 20);
            c->limit = 1;
            fail = 1;
            break;
        }
        if (got < want) {
            if (ferror(f)) {
                int e = errno;
                if (at)
                    sc_error_at(c, at, key, "cannot read '%s': %s", path,
                                errtext(e, eb, sizeof eb));
                else
                    sc_error(c, fpath, 0, 0, "cannot read '%s': %s", path,
                             errtext(e, eb, sizeof eb));
                fail = 1;
            }
            break;
        }
    }
    fclose(f);
    if (fail) {
        free(buf);
        return -1;
    }
    buf[n] = '\0';
    c->bytes += n;
    *text = buf;
    *len = n;
    return 0;
}

void sc_add_source(sc_ctx *c, const char *path, const char *text, size_t len)
{
    sc_buf_printf(&c->source, "# ---- file: %s\n", path);
    sc_buf_add(&c->source, text, len);
    if (len && text[len - 1] != '\n') sc_buf_add(&c->source, "\n", 1);
}

char *sc_relative(sc_ctx *c, const char *base, const char *name)
{
    const char *slash = strrchr(base, '/');
    if (name[0] == '/' || !slash) return sc_strndup(c, name, strlen(name));
    size_t dl = (size_t)(slash - base) + 1;
    char *p = sc_alloc(c, dl + strlen(name) + 1);
    if (!p) return NULL;
    memcpy(p, base, dl);
    strcpy(p + dl, name);
    return p;
}

/* ---- YAML -> tree -------------------------------------------------------- */

/* line and character column (1-based) of byte offset off */
static void offset_linecol(const char *text, size_t len, size_t off, int *line, int *col)
{
    int l = 1, cl = 1;
    if (off > len) off = len;
    for (size_t i = 0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            cl = 1;
        } else if ((ch & 0xC0) != 0x80) {
            cl++;
        }
    }
    *line = l;
    *col = cl;
}

static void report_yaml_error(sc_ctx *c, const yaml_parser_t *p, const char *file, const char *text,
                              size_t len, int set_line)
{
    if (p->error == YAML_MEMORY_ERROR) {
        c->nomem = 1;
        return;
    }
    int line, col;
    if (p->error == YAML_READER_ERROR)
        offset_linecol(text, len, p->problem_offset, &line, &col);
    else {
        line = (int)p->problem_mark.line + 1;
        col = (int)p->problem_mark.column + 1;
    }
    if (set_line > 0) {
        line = set_line;
        col = 1;
    }
    const char *problem = p->problem ? p->problem : "the YAML parser stopped without a reason";
    if (p->error == YAML_READER_ERROR) {
        if (p->problem_value >= 0)
            sc_error(c, file, line, col,
                     "not UTF-8 text: %s (byte 0x%02X; expected YAML text in UTF-8)", problem,
                     (unsigned)p->problem_value & 0xFFu);
        else
            sc_error(c, file, line, col, "not UTF-8 text: %s (expected YAML text in UTF-8)",
                     problem);
    } else if (p->context) {
        sc_error(c, file, line, col,
                 "YAML syntax error: %s (%s that started at line %d, column %d)", problem,
                 p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    } else {
        sc_error(c, file, line, col, "YAML syntax error: %s", problem);
    }
}

/* How an explicit tag changes a node: 0 keep, 1 string, 2 typed by content,
 * -1 unsupported. */
static int tag_effect(const unsigned char *tag, int container)
{
    if (!tag) return 0;
    const char *t = (const char *)tag;
    if (strcmp(t, "!") == 0) return container ? 0 : 1;
    if (strncmp(t, "tag:yaml.org,2002:", 18) != 0) return -1;
    t += 18;
    if (container) return (strcmp(t, "map") == 0 || strcmp(t, "seq") == 0) ? 0 : -1;
    if (strcmp(t, "str") == 0) return 1;
    if (strcmp(t, "int") == 0 || strcmp(t, "float") == 0 || strcmp(t, "bool") == 0 ||
        strcmp(t, "null") == 0)
        return 2;
    return -1;
}

static int node_height(const sc_node *n)
{
    int h = 0;
    for (size_t i = 0; i < n->n; i++) {
        int k = node_height(n->vals[i]);
        if (k > h) h = k;
    }
    return h + 1;
}

/* Values in n (keys not counted), stopping once above cap. */
static size_t node_count(const sc_node *n, size_t cap)
{
    size_t k = 1;
    for (size_t i = 0; i < n->n && k <= cap; i++) k += node_count(n->vals[i], cap);
    return k;
}

static sc_node *clone_node(sc_ctx *c, const sc_node *n)
{
    sc_node *d = sc_new(c, n->kind, n->file, n->line, n->col);
    if (!d) return NULL;
    d->style = n->style;
    d->text = n->text;
    d->len = n->len;
    for (size_t i = 0; i < n->n; i++) {
        sc_node *k = NULL, *v = clone_node(c, n->vals[i]);
        if (!v) return NULL;
        if (n->kind == SC_MAP) k = n->keys[i];
        if (sc_push(c, d, k, v)) return NULL;
    }
    return d;
}

typedef struct {
    sc_node *node;
    sc_node *key; /* map: key read, value pending */
    char *anchor;
} yframe;

typedef struct {
    char *name;
    sc_node *node;
} yanchor;

int sc_parse_yaml(sc_ctx *c, const char *file, const char *text, size_t len, int set_line,
                  sc_node **root_out)
{
    yaml_parser_t p;
    yaml_event_t ev;
    yframe st[SC_MAX_DEPTH];
    yanchor *anchors = NULL;
    int depth = 0, nanch = 0, naliases = 0, ndocs = 0, done = 0, fail = 0;
    sc_node *root = NULL;

    *root_out = NULL;
    if (!yaml_parser_initialize(&p)) {
        c->nomem = 1;
        return -1;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    while (!done && !fail) {
        if (!yaml_parser_parse(&p, &ev)) {
            report_yaml_error(c, &p, file, text, len, set_line);
            fail = 1;
            break;
        }
        int line = set_line > 0 ? set_line : (int)ev.start_mark.line + 1;
        int col = set_line > 0 ? 1 : (int)ev.start_mark.column + 1;
        sc_node *v = NULL;
        const unsigned char *anchor = NULL;
        int container = 0;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT: done = 1; break;
        case YAML_DOCUMENT_START_EVENT:
            if (++ndocs > 1) {
                sc_error(c, file, line, col, "a second YAML document (expected one document)");
                fail = 1;
            }
            break;
        case YAML_SCALAR_EVENT: {
            int te = tag_effect(ev.data.scalar.tag, 0);
            if (te < 0) {
                sc_error(c, file, line, col, "unsupported YAML tag '%s' (expected no tag)",
                         (const char *)ev.data.scalar.tag);
                fail = 1;
                break;
            }
            int style = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? SC_PLAIN : SC_QUOTED;
            if (te == 1) style = SC_QUOTED;
            if (te == 2) style = SC_PLAIN;
            if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
                sc_error(c, file, line, col, "a NUL character in a value (expected text)");
                fail = 1;
                break;
            }
            v = sc_new_scalar(c, (const char *)ev.data.scalar.value, ev.data.scalar.length, style,
                              file, line, col);
            if (!v) fail = 1;
            anchor = ev.data.scalar.anchor;
            break;
        }
        case YAML_ALIAS_EVENT: {
            const char *name = (const char *)ev.data.alias.anchor;
            sc_node *target = NULL;
            for (int i = nanch - 1; i >= 0 && !target; i--)
                if (strcmp(anchors[i].name, name) == 0) target = anchors[i].node;
            if (!target) {
                sc_error(c, file, line, col,
                         "alias *%s names no complete anchor (expected &%s "
                         "defined before)",
                         name, name);
                fail = 1;
                break;
            }
            if (++naliases > SC_MAX_ALIASES) {
                sc_error(c, file, line, col, "too many aliases (expected at most %d)",
                         SC_MAX_ALIASES);
                c->limit = 1;
                fail = 1;
                break;
            }
            if (depth + node_height(target) > SC_MAX_DEPTH) {
                sc_error(c, file, line, col,
                         "alias *%s nests deeper than %d levels (expected at "
                         "most %d)",
                         name, SC_MAX_DEPTH, SC_MAX_DEPTH);
                c->limit = 1;
                fail = 1;
                break;
            }
            if (c->nodes + node_count(target, SC_MAX_NODES) > SC_MAX_NODES) {
                sc_error(c, file, line, col,
                         "alias *%s expands to too many values (expected at "
                         "most %zu in all)",
                         name, SC_MAX_NODES);
                c->limit = 1;
                fail = 1;
                break;
            }
            v = clone_node(c, target);
            if (!v) fail = 1;
            break;
        }
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT: {
            int is_map = ev.type == YAML_MAPPING_START_EVENT;
            const unsigned char *tag =
                is_map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag;
            if (tag_effect(tag, 1) < 0) {
                sc_error(c, file, line, col, "unsupported YAML tag '%s' (expected no tag)",
                         (const char *)tag);
                fail = 1;
                break;
            }
            if (depth >= SC_MAX_DEPTH) {
                sc_error(c, file, line, col, "nesting deeper than %d levels (expected at most %d)",
                         SC_MAX_DEPTH, SC_MAX_DEPTH);
                c->limit = 1;
                fail = 1;
                break;
            }
            v = sc_new(c, is_map ? SC_MAP : SC_SEQ, file, line, col);
            if (!v) fail = 1;
            anchor = is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
            container = 1;
            break;
        }
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT: {
            yframe *f = &st[--depth];
            if (f->anchor) {
                if (nanch >= SC_MAX_ANCHORS) {
                    sc_error(c, file, line, col, "too many anchors (expected at most %d)",
                             SC_MAX_ANCHORS);
                    c->limit = 1;
                    fail = 1;
                    break;
                }
                anchors[nanch].name = f->anchor;
                anchors[nanch].node = f->node;
                nanch++;
            }
            break;
        }
        default: break;
        }
        if (v && !fail) {
            if (depth == 0) {
                root = v;
            } else {
                yframe *f = &st[depth - 1];
                if (f->node->kind == SC_MAP && !f->key) {
                    if (v->kind != SC_SCALAR) {
                        sc_error(c, file, line, col, "a map key that is a %s (expected a name)",
                                 v->kind == SC_MAP ? "map" : "list");
                        fail = 1;
                    }
                    f->key = v;
                } else {
                    if (sc_push(c, f->node, f->key, v)) fail = 1;
                    f->key = NULL;
                }
            }
            char *aname = NULL;
            if (anchor && !fail) {
                if (!anchors) {
                    anchors = calloc(SC_MAX_ANCHORS, sizeof *anchors);
                    if (!anchors) {
                        c->nomem = 1;
                        fail = 1;
                    }
                }
                aname = sc_strndup(c, (const char *)anchor, strlen((const char *)anchor));
                if (!aname) fail = 1;
            }
            if (container && !fail) {
                st[depth].node = v;
                st[depth].key = NULL;
                st[depth].anchor = aname;
                depth++;
            } else if (aname && !fail) {
                if (nanch >= SC_MAX_ANCHORS) {
                    sc_error(c, file, line, col, "too many anchors (expected at most %d)",
                             SC_MAX_ANCHORS);
                    c->limit = 1;
                    fail = 1;
                } else {
                    anchors[nanch].name = aname;
                    anchors[nanch].node = v;
                    nanch++;
                }
            }
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    free(anchors);
    if (fail || c->nomem) return -1;
    *root_out = root;
    return 0;
}

/* ---- duplicate keys --------------------------------------------------------- */

typedef struct {
    const sc_node *k;
    size_t i;
} keyref;

static int keyref_cmp(const void *a, const void *b)
{
    const keyref *x = a, *y = b;
    size_t n = x->k->len < y->k->len ? x->k->len : y->k->len;
    int r = memcmp(x->k->text, y->k->text, n);
    if (r) return r;
    if (x->k->len != y->k->len) return x->k->len < y->k->len ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

size_t sc_check_duplicates(sc_ctx *c, const sc_node *n, sc_buf *path)
{
    size_t found = 0;
    if (!n || n->kind == SC_SCALAR) return 0;
    if (n->kind == SC_MAP && n->n > 1) {
        keyref *r = malloc(n->n * sizeof *r);
        if (!r) {
            c->nomem = 1;
            return 0;
        }
        for (size_t i = 0; i < n->n; i++) {
            r[i].k = n->keys[i];
            r[i].i = i;
        }
        qsort(r, n->n, sizeof *r, keyref_cmp);
        size_t first = 0;
        for (size_t j = 1; j < n->n; j++) {
            if (r[j].k->len == r[first].k->len &&
                memcmp(r[j].k->text, r[first].k->text, r[j].k->len) == 0) {
                size_t old = sc_path_push(path, r[j].k->text);
                sc_error_at(c, r[j].k, path->s,
                            "duplicate key (first at line %d, column %d; "
                            "expected each key once)",
                            r[first].k->line, r[first].k->col);
                sc_buf_trunc(path, old);
                found++;
            } else {
                first = j;
            }
        }
        free(r);
    }
    for (size_t i = 0; i < n->n; i++) {
        size_t old =
            n->kind == SC_MAP ? sc_path_push(path, n->keys[i]->text) : sc_path_item(path, n, i);
        found += sc_check_duplicates(c, n->vals[i], path);
        sc_buf_trunc(path, old);
    }
    return found;
}
