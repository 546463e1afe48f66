/* poolsim: scenario loader, part 3: one file with its CSV and its
 * `extends` chain -> one merged tree; then the command-line overrides
 * (--set KEY=VALUE, --paths, --seed).
 *
 * Merge rules (SCENARIO.md "extends"): maps merge key by key; two lists
 * whose items are all maps with distinct `id`s merge by id (a matched item
 * merges recursively and keeps the base's position, new ids are appended);
 * any other value, and a counties list read from a CSV, replaces the
 * base's whole. Inline counties are flattened per file before merging
 * (`balance: {employee: 1}` becomes `balance.employee: 1`), so flat and
 * nested spellings merge alike. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario_internal.h"

/* Files of the extends chain being loaded, identified by device and inode
 * (so different spellings of one path are one file). */
typedef struct {
    dev_t dev[SC_MAX_CHAIN];
    ino_t ino[SC_MAX_CHAIN];
    const char *shown[SC_MAX_CHAIN];
    int n;
} chain_t;

/* A map all of whose keys are integers is a dated value, not a group. */
static int is_dated(const sc_node *m)
{
    if (m->kind != SC_MAP || m->n == 0) return 0;
    for (size_t i = 0; i < m->n; i++)
        if (sc_class(m->keys[i]) != SV_INT) return 0;
    return 1;
}

static int flatten_into(sc_ctx *c, sc_node *out, const char *prefix, const sc_node *m)
{
    for (size_t i = 0; i < m->n; i++) {
        sc_node *k = m->keys[i], *v = m->vals[i];
        if (prefix) {
            char *name = sc_sprintf(c, "%s.%s", prefix, k->text);
            if (!name) return -1;
            sc_node *nk = sc_new_scalar(c, name, strlen(name), SC_PLAIN, k->file, k->line, k->col);
            if (!nk) return -1;
            k = nk;
        }
        if (v->kind == SC_MAP && v->n > 0 && !is_dated(v)) {
            if (flatten_into(c, out, k->text, v)) return -1;
        } else if (sc_push(c, out, k, v)) {
            return -1;
        }
    }
    return 0;
}

/* County maps with nested groups -> flat keys. */
static int flatten_counties(sc_ctx *c, sc_node *list)
{
    if (!list || list->kind != SC_SEQ) return 0;
    for (size_t i = 0; i < list->n; i++) {
        sc_node *m = list->vals[i];
        if (m->kind != SC_MAP) continue;
        sc_node *out = sc_new(c, SC_MAP, m->file, m->line, m->col);
        if (!out || flatten_into(c, out, NULL, m)) return -1;
        list->vals[i] = out;
    }
    return 0;
}

/* ---- merge ------------------------------------------------------------- */

typedef struct {
    const char *s;
    size_t len, i;
} nameref;

static int nameref_cmp(const void *a, const void *b)
{
    const nameref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->s, y->s, n);
    if (r) return r;
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

static long find_name(const nameref *r, size_t n, const char *s, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        nameref key = {s, len, 0};
        int cmp = nameref_cmp(&r[mid], &key);
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n && r[lo].len == len && memcmp(r[lo].s, s, len) == 0) return (long)r[lo].i;
    return -1;
}

/* Names of a map's keys or an id list's ids, sorted; NULL for a list that
 * cannot merge by id (an item without id, or a repeated id). */
static nameref *index_names(sc_ctx *c, const sc_node *n, int *ok)
{
    *ok = 1;
    nameref *r = malloc((n->n ? n->n : 1) * sizeof *r);
    if (!r) {
        c->nomem = 1;
        *ok = 0;
        return NULL;
    }
    for (size_t i = 0; i < n->n; i++) {
        const char *s = n->kind == SC_MAP ? n->keys[i]->text : sc_item_id(n->vals[i]);
        if (!s) {
            *ok = 0;
            free(r);
            return NULL;
        }
        r[i].s = s;
        r[i].len = strlen(s);
        r[i].i = i;
    }
    qsort(r, n->n, sizeof *r, nameref_cmp);
    for (size_t i = 1; i < n->n; i++) {
        if (r[i].len == r[i - 1].len && memcmp(r[i].s, r[i - 1].s, r[i].len) == 0) {
            *ok = 0;
            free(r);
            return NULL;
        }
    }
    return r;
}

static sc_node *merge(sc_ctx *c, sc_node *b, sc_node *d)
{
    if (b->kind == SC_MAP && d->kind == SC_MAP) {
        int ok;
        size_t nb = b->n;
        nameref *r = index_names(c, b, &ok);
        if (!r) return NULL;
        for (size_t i = 0; i < d->n; i++) {
            long j = find_name(r, nb, d->keys[i]->text, d->keys[i]->len);
            if (j >= 0) {
                sc_node *m = merge(c, b->vals[j], d->vals[i]);
                if (!m) {
                    free(r);
                    return NULL;
                }
                b->vals[j] = m;
            } else if (sc_push(c, b, d->keys[i], d->vals[i])) {
                free(r);
                return NULL;
            }
        }
        free(r);
        return b;
    }
    if (b->kind == SC_SEQ && d->kind == SC_SEQ && !d->replace && b->n && d->n) {
        int okb, okd;
        nameref *rb = index_names(c, b, &okb);
        if (c->nomem) return NULL;
        nameref *rd = okb ? index_names(c, d, &okd) : NULL;
        if (c->nomem) {
            free(rb);
            return NULL;
        }
        if (rb && rd) {
            size_t nb = b->n;
            for (size_t i = 0; i < d->n; i++) {
                const char *id = sc_item_id(d->vals[i]);
                long j = find_name(rb, nb, id, strlen(id));
                if (j >= 0) {
                    sc_node *m = merge(c, b->vals[j], d->vals[i]);
                    if (!m) {
                        free(rb);
                        free(rd);
                        return NULL;
                    }
                    b->vals[j] = m;
                } else if (sc_push(c, b, NULL, d->vals[i])) {
                    free(rb);
                    free(rd);
                    return NULL;
                }
            }
            free(rb);
            free(rd);
            return b;
        }
        free(rb);
        free(rd);
    }
    return d;
}

/* ---- one file and its chain ---------------------------------------------- */

static const sc_node *string_value(sc_ctx *c, const sc_node *v, const char *key, const char *what)
{
    int cls = sc_class(v);
    if (cls == SV_NULL || (v->kind == SC_SCALAR && v->len == 0)) {
        sc_error_at(c, v, key, "empty value (expected %s)", what);
        return NULL;
    }
    if (v->kind != SC_SCALAR) {
        sc_error_at(c, v, key, "%s is not a file name (expected %s)", sc_show(c, v), what);
        return NULL;
    }
    return v;
}

static sc_node *load_file(sc_ctx *c, const char *path, const sc_node *at, chain_t *ch)
{
    struct stat st;
    int known = stat(path, &st) == 0;
    if (known) {
        for (int i = 0; i < ch->n; i++) {
            if (ch->dev[i] == st.st_dev && ch->ino[i] == st.st_ino) {
                sc_buf cyc = {0};
                for (int k = i; k < ch->n; k++) {
                    sc_buf_puts(&cyc, ch->shown[k]);
                    sc_buf_puts(&cyc, " -> ");
                }
                sc_buf_puts(&cyc, path);
                sc_error_at(c, at, "extends", "extends cycle: %s (expected a chain that ends)",
                            cyc.s ? cyc.s : path);
                sc_buf_free(&cyc);
                return NULL;
            }
        }
    }
    if (ch->n >= SC_MAX_CHAIN) {
        sc_error_at(c, at, "extends", "extends chain longer than %d files (expected at most %d)",
                    SC_MAX_CHAIN, SC_MAX_CHAIN);
        return NULL;
    }
    char *text;
    size_t len;
    if (sc_read_file(c, path, at, "extends", &text, &len)) return NULL;
    const char *file = sc_file(c, path);
    ch->dev[ch->n] = known ? st.st_dev : 0;
    ch->ino[ch->n] = known ? st.st_ino : 0;
    ch->shown[ch->n] = file;
    ch->n++;
    sc_add_source(c, file, text, len);

    sc_node *root = NULL;
    int rc = sc_parse_yaml(c, file, text, len, 0, &root);
    free(text);
    if (rc) return NULL;
    if (!root || sc_is_null(root)) {
        sc_error(c, file, root ? root->line : 1, root ? root->col : 1,
                 "empty scenario (expected a map of scenario keys: start_year, lines, ...)");
        return NULL;
    }
    if (root->kind != SC_MAP) {
        sc_error(c, file, root->line, root->col,
                 "the top level is %s (expected a map of scenario keys: start_year, lines, ...)",
                 sc_show(c, root));
        return NULL;
    }

    int ci = sc_map_find(root, "counties");
    if (ci >= 0 && flatten_counties(c, root->vals[ci])) return NULL;
    sc_buf path_buf = {0};
    size_t dups = sc_check_duplicates(c, root, &path_buf);
    sc_buf_free(&path_buf);
    if (dups || c->nomem) return NULL;

    int fail = 0;
    int cci = sc_map_find(root, "counties_csv");
    if (cci >= 0 && ci >= 0) {
        sc_error_at(c, root->keys[cci], "counties_csv",
                    "given together with counties in one file (expected one of them)");
        fail = 1;
    } else if (cci >= 0) {
        const sc_node *v =
            string_value(c, root->vals[cci], "counties_csv", "the path of a CSV file");
        char *csv = v ? sc_relative(c, file, v->text) : NULL;
        sc_node *list = NULL;
        if (!csv || sc_load_csv(c, csv, v, &list)) {
            fail = 1;
        } else {
            sc_node *k = sc_new_scalar(c, "counties", 8, SC_PLAIN, root->keys[cci]->file,
                                       root->keys[cci]->line, root->keys[cci]->col);
            if (!k) return NULL;
            root->keys[cci] = k;
            root->vals[cci] = list;
        }
    }

    int ei = sc_map_find(root, "extends");
    if (ei < 0) return fail ? NULL : root;
    const sc_node *v = string_value(c, root->vals[ei], "extends", "the path of a base scenario");
    sc_map_remove(root, (size_t)ei);
    if (!v) return NULL;
    char *base_path = sc_relative(c, file, v->text);
    if (!base_path) return NULL;
    sc_node *base = load_file(c, base_path, v, ch);
    if (!base || fail) return NULL;
    return merge(c, base, root);
}

/* ---- --set ------------------------------------------------------------ */

/* Set `name` (a flat county key, possibly dotted) in county map m. A map
 * value that is not a dated value sets each of its keys. */
static int set_flat(sc_ctx *c, sc_node *m, const char *name, sc_node *v, const sc_node *loc)
{
    if (v->kind == SC_MAP && v->n > 0 && !is_dated(v)) {
        for (size_t i = 0; i < v->n; i++) {
            char *sub = sc_sprintf(c, "%s.%s", name, v->keys[i]->text);
            if (!sub || set_flat(c, m, sub, v->vals[i], loc)) return -1;
        }
        return 0;
    }
    int k = sc_map_find(m, name);
    if (k >= 0) {
        m->vals[k] = v;
        return 0;
    }
    sc_node *key = sc_new_scalar(c, name, strlen(name), SC_PLAIN, loc->file, loc->line, loc->col);
    return key ? sc_push(c, m, key, v) : -1;
}

static char *join_parts(sc_ctx *c, char **parts, int from, int to)
{
    sc_buf b = {0};
    for (int i = from; i <= to; i++) {
        if (i > from) sc_buf_add(&b, ".", 1);
        sc_buf_puts(&b, parts[i]);
    }
    char *s = b.s ? sc_strndup(c, b.s, b.len) : sc_strndup(c, "", 0);
    if (b.nomem) c->nomem = 1;
    sc_buf_free(&b);
    return s;
}

static int positive_index(const char *s, size_t n, size_t *idx)
{
    if (!*s || strlen(s) > 9) return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    long v = strtol(s, NULL, 10);
    if (v < 1 || (size_t)v > n) return 0;
    *idx = (size_t)v - 1;
    return 1;
}

static void apply_set(sc_ctx *c, sc_node *root, int idx, const char *arg)
{
    const char *file = sc_file(c, "--set");
    const char *eqs = strchr(arg, '=');
    if (!eqs || eqs == arg) {
        sc_error(c, file, idx, 1, "'%s' is not KEY=VALUE (expected e.g. reserve.levy_rate=0.12)",
                 arg);
        return;
    }
    char *key = sc_strndup(c, arg, (size_t)(eqs - arg));
    if (!key) return;
    char *parts[SC_MAX_SET_PARTS];
    int np = 0;
    char *save = key;
    char *dup = sc_strndup(c, key, strlen(key));
    if (!dup) return;
    for (char *p = dup;;) {
        char *dot = strchr(p, '.');
        if (dot) *dot = '\0';
        if (!*p) {
            sc_error(c, file, idx, 1,
                     "%s: an empty part in the key (expected names separated "
                     "by single dots)",
                     save);
            return;
        }
        if (np == SC_MAX_SET_PARTS) {
            sc_error(c, file, idx, 1, "%s: more than %d parts in the key (expected at most %d)",
                     save, SC_MAX_SET_PARTS, SC_MAX_SET_PARTS);
            return;
        }
        parts[np++] = p;
        if (!dot) break;
        p = dot + 1;
    }
    const char *value = eqs + 1;
    sc_node *v = NULL;
    if (sc_parse_yaml(c, file, value, strlen(value), idx, &v)) return;
    if (!v) v = sc_new_scalar(c, "", 0, SC_PLAIN, file, idx, 1);
    if (!v) return;
    sc_buf pb = {0};
    size_t dups = sc_check_duplicates(c, v, &pb);
    sc_buf_free(&pb);
    if (dups) return;

    sc_node *cur = root;
    int county = 0; /* cur is an item of the top-level counties list */
    int i = 0;
    while (i < np) {
        if (sc_is_null(cur)) {
            cur->kind = SC_MAP;
            cur->n = cur->cap = 0;
            cur->keys = cur->vals = NULL;
        }
        if (cur->kind == SC_MAP) {
            int j, k = -1;
            for (j = np - 1; j >= i; j--) {
                char *name = join_parts(c, parts, i, j);
                if (!name) return;
                if ((k = sc_map_find(cur, name)) >= 0) break;
            }
            if (county) {
                char *name = join_parts(c, parts, i, np - 1);
                if (!name) return;
                if (k >= 0 && j < np - 1 && cur->vals[k]->kind == SC_MAP) {
                    /* a year inside a dated county value */
                    cur = cur->vals[k];
                    i = j + 1;
                    county = 0;
                    continue;
                }
                set_flat(c, cur, name, v, v);
                return;
            }
            if (k < 0) {
                /* absent: create the remaining levels */
                for (; i < np; i++) {
                    sc_node *kn =
                        sc_new_scalar(c, parts[i], strlen(parts[i]), SC_PLAIN, file, idx, 1);
                    sc_node *val = i == np - 1 ? v : sc_new(c, SC_MAP, file, idx, 1);
                    if (!kn || !val || sc_push(c, cur, kn, val)) return;
                    cur = val;
                }
                return;
            }
            if (j == np - 1) {
                cur->vals[k] = v;
                return;
            }
            county = cur == root && j == i && strcmp(parts[i], "counties") == 0 ? -1 : 0;
            cur = cur->vals[k];
            i = j + 1;
            continue;
        }
        if (cur->kind == SC_SEQ) {
            size_t at = 0;
            int found = 0;
            for (size_t t = 0; t < cur->n && !found; t++) {
                const char *id = sc_item_id(cur->vals[t]);
                if (id && strcmp(id, parts[i]) == 0) {
                    at = t;
                    found = 1;
                }
            }
            if (!found) found = positive_index(parts[i], cur->n, &at);
            if (!found) {
                char *list = join_parts(c, parts, 0, i - 1);
                sc_error(c, file, idx, 1, "%s: unknown key (%s has no item with id '%s')", save,
                         list ? list : "the list", parts[i]);
                return;
            }
            if (i == np - 1) {
                cur->vals[at] = v;
                return;
            }
            county = county == -1 ? 1 : 0;
            cur = cur->vals[at];
            i++;
            continue;
        }
        {
            char *prefix = join_parts(c, parts, 0, i - 1);
            sc_error(c, file, idx, 1, "%s: unknown key (%s is a single value, not a map)", save,
                     prefix ? prefix : "?");
            return;
        }
    }
}

/* Override simulation.<key> with an integer from the command line. */
static void apply_override(sc_ctx *c, sc_node *root, const char *option, const char *key,
                           const char *text)
{
    const char *file = sc_file(c, option);
    sc_node *sim = sc_map_get(root, "simulation");
    if (!sim) {
        sc_node *k = sc_new_scalar(c, "simulation", 10, SC_PLAIN, file, 1, 1);
        sim = sc_new(c, SC_MAP, file, 1, 1);
        if (!k || !sim || sc_push(c, root, k, sim)) return;
    }
    if (sc_is_null(sim)) {
        sim->kind = SC_MAP;
        sim->n = sim->cap = 0;
    }
    if (sim->kind != SC_MAP) return; /* reported by validation */
    sc_node *v = sc_new_scalar(c, text, strlen(text), SC_PLAIN, file, 1, 1);
    if (!v) return;
    int i = sc_map_find(sim, key);
    if (i >= 0) {
        sim->vals[i] = v;
        return;
    }
    sc_node *k = sc_new_scalar(c, key, strlen(key), SC_PLAIN, file, 1, 1);
    if (k) sc_push(c, sim, k, v);
}

int sc_load_tree(sc_ctx *c, const char *path, const poolsim_load_opts *opts, sc_node **root)
{
    chain_t ch;
    memset(&ch, 0, sizeof ch);
    *root = NULL;
    sc_node *r = load_file(c, path, NULL, &ch);
    if (!r || c->nomem || c->limit) return -1;

    if (opts) {
        if (opts->nsets > 0) {
            c->nsets = opts->nsets;
            c->sets = opts->sets;
            sc_buf_puts(&c->source, "# ---- --set\n");
            for (int i = 0; i < opts->nsets; i++)
                sc_buf_printf(&c->source, "--set %s\n", opts->sets[i]);
            for (int i = 0; i < opts->nsets && !c->nomem && !c->limit; i++)
                apply_set(c, r, i + 1, opts->sets[i]);
        }
        /* a --set may have written a county group as a nested map */
        int ci = sc_map_find(r, "counties");
        if (opts->nsets > 0 && ci >= 0 && r->vals[ci]->kind == SC_SEQ) {
            if (flatten_counties(c, r->vals[ci])) return -1;
            sc_buf pb = {0};
            sc_path_push(&pb, "counties");
            for (size_t i = 0; i < r->vals[ci]->n; i++) {
                size_t old = sc_path_item(&pb, r->vals[ci], i);
                sc_check_duplicates(c, r->vals[ci]->vals[i], &pb);
                sc_buf_trunc(&pb, old);
            }
            sc_buf_free(&pb);
        }
        char num[32];
        if (opts->paths >= 0) {
            snprintf(num, sizeof num, "%ld", opts->paths);
            sc_buf_printf(&c->source, "# ---- --paths %s\n", num);
            apply_override(c, r, "--paths", "paths", num);
        }
        if (opts->seed_given || opts->seed >= 0) {
            if (opts->seed_given)
                snprintf(num, sizeof num, "%llu", opts->seed_value);
            else
                snprintf(num, sizeof num, "%lld", opts->seed);
            sc_buf_printf(&c->source, "# ---- --seed %s\n", num);
            apply_override(c, r, "--seed", "seed", num);
        }
    }
    if (c->nomem || c->limit) return -1;
    *root = r;
    return 0;
}
