/* poolsim: private interface of the scenario loader (src/scenario*.c).
 *
 * The loader works on a generic node tree built from YAML (libyaml) and
 * CSV (libcsv). Every node carries the file, line and column (1-based,
 * columns in characters) it came from, so that every later stage (extends
 * merge, --set, validation) can report problems as FILE:LINE:COL.
 *
 * Memory: all nodes, strings and error messages of one load live in an
 * arena owned by the load context and are released together by
 * sc_ctx_free. Nothing in the tree is freed individually; the tree may
 * share nodes after a merge.
 *
 * Limits (documented in docs/SCENARIO.md): every file of one load together
 * at most SC_MAX_FILE_BYTES, nesting at most SC_MAX_DEPTH levels, at most
 * SC_MAX_NODES values, SC_MAX_ANCHORS anchors and SC_MAX_ALIASES aliases,
 * SC_MAX_CHAIN files in an extends chain, and the SC_MAX_LINES ...
 * SC_MAX_PAIRS sizes below. They make every input finish quickly in
 * bounded memory. */
#ifndef POOLSIM_SCENARIO_INTERNAL_H
#define POOLSIM_SCENARIO_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "poolsim/scenario.h"

#define SC_MAX_FILE_BYTES ((size_t)64 << 20)
#define SC_MAX_DEPTH      64
#define SC_MAX_NODES      ((size_t)1 << 20)
#define SC_MAX_ANCHORS    256
#define SC_MAX_ALIASES    10000
#define SC_MAX_CHAIN      32
#define SC_MAX_ERRORS     10000
#define SC_MAX_SET_PARTS  64
/* Sizes of the typed scenario (a county carries a resolved copy of every
 * class's parameters): they bound the memory of the result. */
#define SC_MAX_LINES    64
#define SC_MAX_CLASSES  256
#define SC_MAX_COUNTIES 10000
#define SC_MAX_PAIRS    65536 /* counties x classes; benefits x classes of their line */

enum sc_kind { SC_SCALAR = 0, SC_MAP = 1, SC_SEQ = 2 };

/* How a scalar was written: YAML plain (typed by the YAML 1.2 core
 * schema), YAML quoted or block (always a string), or a CSV cell (a number
 * when it reads as one, else a string; never null or boolean). */
enum sc_style { SC_PLAIN = 0, SC_QUOTED = 1, SC_CSV = 2 };

/* Core-schema class of a scalar. */
enum sc_class { SV_NULL, SV_BOOL, SV_INT, SV_FLOAT, SV_STR };

typedef struct sc_node sc_node;
struct sc_node {
    unsigned char kind;     /* enum sc_kind */
    unsigned char style;    /* enum sc_style (scalars) */
    unsigned char replace;  /* list from a counties CSV: replaces the base's list in a merge */
    unsigned char reported; /* an "unknown key" error was already reported for this key node */
    int line, col;          /* 1-based */
    const char *file;       /* interned display path (sc_file) */
    char *text;             /* scalar text, NUL-terminated */
    size_t len;             /* scalar length in bytes */
    size_t n, cap;          /* children */
    sc_node **keys;         /* map: key scalars */
    sc_node **vals;         /* map: values; seq: items */
};

typedef struct sc_chunk sc_chunk;

typedef struct {
    char *s;
    size_t len, cap;
    int nomem;
} sc_buf;

typedef struct {
    int rank; /* load order of the file (sorting) */
    int line, col;
    size_t seq; /* order of discovery (sorting ties) */
    char *msg;  /* complete line without newline */
} sc_err;

/* One load. */
typedef struct {
    sc_chunk *arena;
    sc_err *errs;
    size_t nerr, errcap, dropped;
    size_t nodes;       /* values created so far (SC_MAX_NODES) */
    size_t bytes;       /* bytes read from files so far (SC_MAX_FILE_BYTES) */
    const char **files; /* interned display paths, in load order */
    size_t nfiles, filecap;
    sc_buf source; /* becomes poolsim_scenario.source_text */
    int nomem;     /* an allocation failed */
    int limit;     /* a resource limit was hit: stop */
    FILE *warn;    /* plausibility warnings (NULL: none printed) */
    int strict;    /* warnings are errors */
    int nsets;     /* --set arguments (for messages) */
    const char *const *sets;
} sc_ctx;

/* ---- context, arena, errors (scenario_tree.c) ---- */
void sc_ctx_free(sc_ctx *c);
void *sc_alloc(sc_ctx *c, size_t size); /* zeroed; NULL + c->nomem */
char *sc_strndup(sc_ctx *c, const char *s, size_t len);
char *sc_sprintf(sc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *sc_file(sc_ctx *c, const char *name); /* intern a display path */
/* "FILE:LINE:COL: message" */
void sc_error(sc_ctx *c, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "FILE:LINE:COL: KEY: message" at node n (KEY may be NULL or empty). */
void sc_error_at(sc_ctx *c, const sc_node *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A plausibility warning at node n: "FILE:LINE:COL: warning: KEY: message"
 * on c->warn, or an error (marked [--strict]) when c->strict. */
void sc_warn_at(sc_ctx *c, const sc_node *n, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Print the errors (sorted by file, line, column; duplicates dropped) and
 * the count line; returns the number printed. */
size_t sc_flush_errors(sc_ctx *c, FILE *diag, const char *path);

/* ---- growable strings ---- */
void sc_buf_add(sc_buf *b, const char *s, size_t len);
void sc_buf_puts(sc_buf *b, const char *s);
void sc_buf_printf(sc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sc_buf_trunc(sc_buf *b, size_t len);
void sc_buf_free(sc_buf *b);
/* Append ".key" (or "key" when empty) to a dotted path; returns the old
 * length for sc_buf_trunc. */
size_t sc_path_push(sc_buf *b, const char *key);
size_t sc_path_index(sc_buf *b, size_t index1);

/* ---- nodes ---- */
sc_node *sc_new(sc_ctx *c, int kind, const char *file, int line, int col);
sc_node *sc_new_scalar(sc_ctx *c, const char *text, size_t len, int style, const char *file,
                       int line, int col);
int sc_push(sc_ctx *c, sc_node *parent, sc_node *key, sc_node *val);
int sc_map_find(const sc_node *map, const char *key); /* index or -1 */
sc_node *sc_map_get(const sc_node *map, const char *key);
void sc_map_remove(sc_node *map, size_t i);
/* The `id` of a list item that is a map with a non-empty scalar id, else NULL. */
const char *sc_item_id(const sc_node *item);
/* Path component for item i (0-based) of a list: its id, else 1-based index. */
size_t sc_path_item(sc_buf *b, const sc_node *seq, size_t i);

/* ---- scalars ---- */
int sc_class(const sc_node *n); /* enum sc_class; containers: -1 */
/* Numeric value of an SV_INT/SV_FLOAT scalar. Returns 0 ok, 1 overflow
 * (beyond double range), -1 not a number. */
int sc_number(const sc_node *n, double *v /* OUT */);
/* Exact unsigned value of an SV_INT scalar; 0 ok, 1 out of range, -1 not an
 * unsigned integer. */
int sc_uint64(const sc_node *n, unsigned long long *v /* OUT */);
int sc_is_null(const sc_node *n);
/* Short printable form of a node for messages ('text', a map, a list). */
const char *sc_show(sc_ctx *c, const sc_node *n);

/* ---- files ---- */
/* Read a whole file (counts towards SC_MAX_FILE_BYTES); on failure reports
 * at `at` (KEY `key`) or at FILE:1:1 when at == NULL, and returns -1. */
int sc_read_file(sc_ctx *c, const char *path, const sc_node *at, const char *key,
                 char **text /* OUT */, size_t *len /* OUT */);
/* Append a loaded file's text to the source text. */
void sc_add_source(sc_ctx *c, const char *path, const char *text, size_t len);
/* Path of `name` relative to the directory of the file `base`. */
char *sc_relative(sc_ctx *c, const char *base, const char *name);

/* ---- YAML (scenario_tree.c) ---- */
/* Parse one YAML document into a tree. set_line > 0: a --set value; every
 * node gets location (set_line, 1). Returns 0 or -1 (errors reported).
 * An empty document gives *root = NULL. */
int sc_parse_yaml(sc_ctx *c, const char *file, const char *text, size_t len, int set_line,
                  sc_node **root /* OUT */);
/* Report duplicate keys anywhere in the tree. Returns the number found. */
size_t sc_check_duplicates(sc_ctx *c, const sc_node *root, sc_buf *path);

/* ---- CSV (scenario_csv.c) ---- */
/* Load a counties CSV as a list of flat maps; `at` is the counties_csv
 * value naming it. Returns 0 or -1 (errors reported). */
int sc_load_csv(sc_ctx *c, const char *path, const sc_node *at, sc_node **list /* OUT */);

/* ---- extends, --set (scenario_merge.c) ---- */
/* Load the top file with its extends chain and CSVs, merge, apply the
 * --set/--paths/--seed overrides. Returns 0, or -1 when the tree cannot be
 * validated (errors reported). */
int sc_load_tree(sc_ctx *c, const char *path, const poolsim_load_opts *opts,
                 sc_node **root /* OUT */);

/* ---- validation (scenario_build.c) ---- */
/* Validate the merged tree and fill s (zeroed on entry). Returns the
 * number of errors reported (0: s is complete). */
int sc_build(sc_ctx *c, const sc_node *root, const char *path, poolsim_scenario *s);

/* ---- key tables (scenario_build.c) ---- */
/* Every map of the format has a table with one row per key: its type
 * (K_*), flags (F_*), range (R_*), default and the offset of its value in
 * the table's struct. The loader reads with them; the printer
 * (poolsim_scenario_print) writes every row back, so a key added to a table
 * is read, defaulted, printed and compared (tests) without more code.
 * K_SUB rows are maps and lists handled by code. */
/* K_DENUM: a choice that may be dated, stored as a poolsim_param of choice
 * indices (pooling.mode, pooling.gap_key). */
enum { K_NUM, K_PARAM, K_INT, K_LONG, K_SEED, K_BOOL, K_ENUM, K_LANG, K_STR, K_ID, K_SUB, K_DENUM };
/* F_RATE: a yearly growth, inflation or interest rate: a value above
 * SC_RATE_WARN draws a plausibility warning ("written as a percentage?") */
enum { F_REQ = 1, F_INF = 2, F_CLAIMS = 4, F_PERCAP = 8, F_RATE = 16 };
#define SC_RATE_WARN 0.5
enum { R_ANY, R_01, R_GE0, R_GT0, R_GTM1, R_PM1, R_HORIZON, R_YEAR, R_PATHS, R_GE1 };

typedef struct {
    const char *key;
    unsigned char type;         /* K_* */
    unsigned char flags;        /* F_* */
    unsigned char range;        /* R_* */
    double def;                 /* default (K_ENUM/K_LANG: index of the choice) */
    size_t off;                 /* destination: offset in the row table's struct */
    const char *const *choices; /* K_ENUM, K_LANG: NULL-terminated */
    const char *what;           /* K_SUB: what the value must be */
} sc_row;

/* The tables, by the struct each one's offsets point into. */
enum {
    SC_T_TOP,         /* poolsim_scenario */
    SC_T_SIMULATION,  /* poolsim_scenario */
    SC_T_ECONOMY,     /* poolsim_scenario */
    SC_T_AR1,         /* poolsim_ar1 */
    SC_T_SHOCKS,      /* poolsim_scenario */
    SC_T_UTILISATION, /* poolsim_scenario */
    SC_T_EPIDEMIC,    /* poolsim_scenario */
    SC_T_RESERVE,     /* poolsim_reserve_cfg */
    SC_T_POOLING,     /* poolsim_pooling_cfg */
    SC_T_SHARING,     /* poolsim_sharing_cfg */
    SC_T_BRACKET,     /* sc_bracket */
    SC_T_LINE,        /* poolsim_line */
    SC_T_CLASS,       /* poolsim_class_params */
    SC_T_BENEFIT,     /* poolsim_benefit */
    SC_T_BUDGET,      /* poolsim_global_budget */
    SC_T_COUNTY,      /* poolsim_county */
    SC_T_HEALTH,      /* poolsim_scenario */
    SC_T_RULE,        /* sc_rule */
    SC_T_COUNT
};

/* One sharing bracket as read (the scenario keeps them as two arrays). */
typedef struct {
    poolsim_param up_to, reserve;
} sc_bracket;

/* One management rule as read: its line by id (the scenario keeps the
 * line's index). */
typedef struct {
    poolsim_mgmt_rule r;
    char *line_id;
} sc_rule;

/* The rows of a table (SC_T_*) and their number. */
const sc_row *sc_table(int table, size_t *nrows /* OUT */);

/* ---- helpers shared with the printer (scenario.c) ---- */
/* Shortest "%.*g" text that reads back as v; ".inf" / "-.inf" / ".nan". */
void sc_fmt_double(char *buf, size_t size, double v);

#endif
