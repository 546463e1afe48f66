/* poolsim: presentation helpers, running gnuplot, and `poolsim plot`.
 * The chart scripts themselves are in src/plot_charts.c. */
#include "poolsim/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plot_internal.h"
#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/output.h"
#include "poolsim/sweep.h"

extern char **environ;

/* ---- Presentation helpers ---- */

int poolsim_plot_lang(const poolsim_results *r, const char *override)
{
    if (override) {
        if (!strcmp(override, "en")) return POOLSIM_LANG_EN;
        if (!strcmp(override, "zh")) return POOLSIM_LANG_ZH;
        return -1;
    }
    if (r && r->lang && !strcmp(r->lang, "zh")) return POOLSIM_LANG_ZH;
    return POOLSIM_LANG_EN;
}

poolsim_unit poolsim_plot_unit(double maxabs, int lang)
{
    static const poolsim_unit zh[] = {{1e8, "亿元"}, {1e4, "万元"}, {1, "元"}};
    static const poolsim_unit en[] = {
        {1e9, "billion yuan"}, {1e6, "million yuan"}, {1e3, "thousand yuan"}, {1, "yuan"}};
    const poolsim_unit *u = lang == POOLSIM_LANG_ZH ? zh : en;
    size_t n = lang == POOLSIM_LANG_ZH ? sizeof zh / sizeof zh[0] : sizeof en / sizeof en[0];
    double m = fabs(maxabs);
    if (!isfinite(m)) return u[n - 1];
    for (size_t i = 0; i + 1 < n; i++)
        if (m >= u[i].div) return u[i];
    return u[n - 1];
}

/* `s` as a gnuplot string expression: runs of ordinary characters in
 * single quotes (where gnuplot does no backquote substitution and no
 * escapes), joined with "'" for a quote and "\n" for a line break, so any
 * text, one starting with a quote included, reads back as written. Other
 * control characters become spaces. With `tic`, % is doubled: gnuplot
 * uses a tic label as a format for the tic's value. */
static void put_expr(FILE *f, const char *s, int tic)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    int open = 0, pieces = 0;
    for (; *p; p++) {
        if (*p == '\'' || *p == '\n') {
            if (open) fputc('\'', f);
            if (pieces++) fputc('.', f);
            fputs(*p == '\'' ? "\"'\"" : "\"\\n\"", f);
            open = 0;
            continue;
        }
        if (!open) {
            if (pieces++) fputc('.', f);
            fputc('\'', f);
            open = 1;
        }
        if (*p < 0x20 || *p == 0x7f)
            fputc(' ', f);
        else if (*p == '%' && tic)
            fputs("%%", f);
        else
            fputc(*p, f);
    }
    if (open)
        fputc('\'', f);
    else if (!pieces)
        fputs("''", f);
}

void poolsim_plot_put_quoted(FILE *f, const char *s)
{
    put_expr(f, s, 0);
}

void poolsim_plot_put_tic(FILE *f, const char *s)
{
    put_expr(f, s, 1);
}

char *poolsim_plot_quote(const char *s)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    poolsim_plot_put_quoted(f, s);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

char *poolsim_plot_group(double v, int decimals, char *buf, size_t n)
{
    char raw[64];
    if (!isfinite(v)) {
        snprintf(buf, n, "%g", v);
        return buf;
    }
    snprintf(raw, sizeof raw, "%.*f", decimals, v);
    const char *digits = raw[0] == '-' ? raw + 1 : raw;
    const char *dot = strchr(digits, '.');
    size_t nint = dot ? (size_t)(dot - digits) : strlen(digits);
    char out[96];
    size_t o = 0;
    /* "-0" or "-0.0" after rounding: drop the sign */
    int neg = raw[0] == '-' && strspn(digits, "0.") != strlen(digits);
    if (neg) out[o++] = '-';
    for (size_t i = 0; i < nint; i++) {
        if (i > 0 && (nint - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    if (dot) {
        size_t rest = strlen(dot);
        memcpy(out + o, dot, rest);
        o += rest;
    }
    out[o] = '\0';
    snprintf(buf, n, "%s", out);
    return buf;
}

char *poolsim_plot_find_program(const char *name, const char *path_env)
{
    if (!path_env) return NULL;
    const char *p = path_env;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        size_t need = len + strlen(name) + 3;
        char *full = malloc(need);
        if (!full) return NULL;
        if (len == 0)
            snprintf(full, need, "./%s", name);
        else
            snprintf(full, need, "%.*s/%s", (int)len, p, name);
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) return full;
        free(full);
        if (!end) return NULL;
        p = end + 1;
    }
}

int poolsim_plot_parse_formats(const char *list, unsigned *mask)
{
    static const char *const names[POOLSIM_PLOT_NFMT] = {"png", "svg", "pdf"};
    unsigned m = 0;
    const char *p = list;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        int found = -1;
        for (int i = 0; i < POOLSIM_PLOT_NFMT; i++)
            if (len == strlen(names[i]) && !strncmp(p, names[i], len)) found = i;
        if (found < 0) {
            fprintf(stderr,
                    "poolsim: --format: '%.*s' is not a chart format (expected png, svg or pdf, "
                    "comma-separated)\n",
                    (int)len, p);
            return -1;
        }
        m |= 1u << found;
        if (!end) break;
        p = end + 1;
    }
    *mask = m;
    return 0;
}

void poolsim_chart_set_free(poolsim_chart_set *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        free(s->chart[i].name);
        free(s->chart[i].title);
        for (int f = 0; f < POOLSIM_PLOT_NFMT; f++) free(s->chart[i].file[f]);
    }
    free(s->chart);
    s->chart = NULL;
    s->n = 0;
}

/* ---- Running gnuplot ---- */

/* mkdir -p, then `dir` must be a folder; POOLSIM_EIO with a message
 * naming it. */
static int make_dirs(const char *dir)
{
    int st = poolsim_output_make_dirs(dir);
    if (st) return st;
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "poolsim: %s is not a folder\n", dir);
        return POOLSIM_EIO;
    }
    return POOLSIM_OK;
}

static char *read_small_file(const char *path, size_t max)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max, f) : 0;
    fclose(f);
    if (buf) buf[n] = '\0';
    return buf;
}

/* Print gnuplot's messages, each line prefixed. */
static void print_messages(const char *text)
{
    const char *p = text;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) fprintf(stderr, "poolsim: gnuplot: %.*s\n", (int)len, p);
        if (!end) break;
        p = end + 1;
    }
}

/* Run `gnuplot SCRIPT` with stdin from /dev/null and stdout+stderr to
 * `log_path`. POOLSIM_OK when it exits with status 0 (its messages, if
 * any, are printed as warnings); otherwise POOLSIM_ETOOL (or POOLSIM_EINTR
 * when we were asked to stop) after printing the status and messages. */
static int run_gnuplot(const char *gnuplot, const char *script, const char *log_path)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) return POOLSIM_ENOMEM;
    int rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, 2, log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (!rc) rc = posix_spawn_file_actions_adddup2(&fa, 2, 1);
    pid_t pid;
    char *const args[] = {(char *)"gnuplot", (char *)script, NULL};
    if (!rc) rc = posix_spawn(&pid, gnuplot, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        fprintf(stderr, "poolsim: cannot run %s: %s\n", gnuplot, strerror(rc));
        return POOLSIM_ETOOL;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "poolsim: waiting for gnuplot: %s\n", strerror(errno));
            return POOLSIM_ETOOL;
        }
    }
    char *msg = read_small_file(log_path, 1 << 16);
    int st = POOLSIM_OK;
    if (poolsim_stop_signal) {
        st = POOLSIM_EINTR;
        fprintf(stderr, "poolsim: interrupted while gnuplot was drawing\n");
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        if (msg && msg[0]) print_messages(msg);
    } else {
        st = POOLSIM_ETOOL;
        if (WIFEXITED(status))
            fprintf(stderr, "poolsim: gnuplot (%s) failed with exit status %d%s\n", gnuplot,
                    WEXITSTATUS(status), msg && msg[0] ? "; its messages:" : " and no message");
        else
            fprintf(stderr, "poolsim: gnuplot (%s) was killed by signal %d%s\n", gnuplot,
                    WIFSIGNALED(status) ? WTERMSIG(status) : 0,
                    msg && msg[0] ? "; its messages:" : "");
        if (msg && msg[0]) print_messages(msg);
    }
    free(msg);
    return st;
}

static const char *const fmt_ext[POOLSIM_PLOT_NFMT] = {"png", "svg", "pdf"};

static char *path_join(const char *dir, const char *prefix, const char *name, const char *ext,
                       const char *suffix)
{
    size_t n = strlen(dir) + strlen(prefix) + strlen(name) + strlen(ext) + strlen(suffix) + 4;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s%s.%s%s", dir, prefix, name, ext, suffix);
    return p;
}

int poolsim_plot_render(const poolsim_results *r, const poolsim_plot_opts *opt,
                        poolsim_chart_set *out)
{
    out->n = 0;
    out->chart = NULL;
    const char *path_env = opt->path_env ? opt->path_env : getenv("PATH");
    char *gnuplot = poolsim_plot_find_program("gnuplot", path_env);
    if (!gnuplot) {
        fprintf(stderr,
                "poolsim: gnuplot not found on PATH (install the Debian package gnuplot-nox)\n");
        return POOLSIM_ETOOL;
    }
    int st = make_dirs(opt->dir);
    if (st) {
        free(gnuplot);
        return st;
    }
    /* charts are drawn into exclusive temporaries (poolsim_fsio_temp) and
     * published together once every one is drawn */
    st = poolsim_plot_charts_list(r, opt->lang, out);
    if (st) goto done;
    for (int i = 0; i < out->n; i++)
        for (int f = 0; f < POOLSIM_PLOT_NFMT; f++) {
            if (!(opt->formats & (1u << f))) continue;
            char *final = path_join(opt->dir, "", out->chart[i].name, fmt_ext[f], "");
            int fd = -1;
            st = final ? poolsim_fsio_temp(final, &out->chart[i].file[f], &fd) : POOLSIM_ENOMEM;
            free(final);
            if (fd >= 0) close(fd);
            if (st) goto done;
        }

    size_t dn = strlen(opt->dir);
    char *script = malloc(dn + 40), *log = malloc(dn + 40);
    if (!script || !log) {
        free(script);
        free(log);
        st = POOLSIM_ENOMEM;
        goto done;
    }
    snprintf(script, dn + 40, "%s/.poolsim-plot-XXXXXX", opt->dir);
    snprintf(log, dn + 40, "%s/.poolsim-plot-log-XXXXXX", opt->dir);
    int fd = mkstemp(script);
    int lfd = fd >= 0 ? mkstemp(log) : -1;
    if (lfd < 0) {
        fprintf(stderr, "poolsim: cannot write in %s: %s\n", opt->dir, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(script);
        }
        free(script);
        free(log);
        st = POOLSIM_EIO;
        goto done;
    }
    close(lfd);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        st = POOLSIM_EIO;
    } else {
        st = poolsim_plot_charts_script(r, opt->lang, out, f);
        if (ferror(f)) st = st ? st : POOLSIM_EIO;
        if (fclose(f) != 0 && !st) st = POOLSIM_EIO;
        if (st == POOLSIM_EIO)
            fprintf(stderr, "poolsim: cannot write %s: %s\n", script, strerror(errno));
    }
    if (!st) st = run_gnuplot(gnuplot, script, log);
    unlink(script);
    unlink(log);
    free(script);
    free(log);
    if (st) goto done;

    /* every chart must exist and be non-empty before any is renamed */
    for (int i = 0; i < out->n && !st; i++)
        for (int k = 0; k < POOLSIM_PLOT_NFMT && !st; k++) {
            struct stat sb;
            const char *p = out->chart[i].file[k];
            if (p && (stat(p, &sb) != 0 || sb.st_size == 0)) {
                fprintf(stderr, "poolsim: gnuplot did not write %s\n", p);
                st = POOLSIM_ETOOL;
            }
        }
    /* staged one by one, renamed together; names switch to the final ones
     * once the set is committed */
    char **finals = st ? NULL : calloc((size_t)out->n * POOLSIM_PLOT_NFMT + 1, sizeof *finals);
    if (!st && !finals) st = POOLSIM_ENOMEM;
    if (!st) st = poolsim_fsio_begin();
    int staged = 0;
    for (int i = 0; i < out->n && !st; i++)
        for (int k = 0; k < POOLSIM_PLOT_NFMT && !st; k++) {
            char *tmp = out->chart[i].file[k];
            if (!tmp) continue;
            char **final = &finals[i * POOLSIM_PLOT_NFMT + k];
            *final = path_join(opt->dir, "", out->chart[i].name, fmt_ext[k], "");
            st = *final ? poolsim_fsio_publish(tmp, *final) : POOLSIM_ENOMEM;
            staged = 1;
        }
    if (staged) {
        if (!st) {
            st = poolsim_fsio_commit();
        } else {
            poolsim_fsio_abort();
        }
        /* published or removed: either way no temporary is left */
        for (int i = 0; i < out->n; i++)
            for (int k = 0; k < POOLSIM_PLOT_NFMT; k++) {
                char **final = &finals[i * POOLSIM_PLOT_NFMT + k];
                if (!out->chart[i].file[k]) continue;
                if (st) poolsim_fsio_discard(out->chart[i].file[k]);
                free(out->chart[i].file[k]);
                out->chart[i].file[k] = st ? NULL : *final;
                if (!st) *final = NULL;
            }
    }
    if (finals)
        for (int j = 0; j < out->n * POOLSIM_PLOT_NFMT; j++) free(finals[j]);
    free(finals);
done:
    if (st) {
        /* leave no chart of this run behind, temporary or renamed */
        for (int i = 0; i < out->n; i++)
            for (int k = 0; k < POOLSIM_PLOT_NFMT; k++)
                if (out->chart[i].file[k]) poolsim_fsio_discard(out->chart[i].file[k]);
        poolsim_chart_set_free(out);
    }
    free(gnuplot);
    return st;
}

/* ---- sweep charts ---- */

/* The chart entry named `name` in set, appended when missing. */
static poolsim_chart *chart_named(poolsim_chart_set *set, const char *name)
{
    for (int i = 0; i < set->n; i++)
        if (!strcmp(set->chart[i].name, name)) return &set->chart[i];
    poolsim_chart *c = realloc(set->chart, (size_t)(set->n + 1) * sizeof *c);
    if (!c) return NULL;
    set->chart = c;
    c = &set->chart[set->n];
    memset(c, 0, sizeof *c);
    c->kind = POOLSIM_CHART_SWEEP;
    c->line = -1;
    c->name = strdup(name);
    if (!c->name) return NULL;
    set->n++;
    return c;
}

/* Title of a sweep chart: the levers, and the line for per-line heat maps
 * (named sweep_exhaustion_<line id>). */
static char *sweep_title(const poolsim_sweep_results *w, const char *name, int lang)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f) return NULL;
    const char *prefix = "sweep_exhaustion_";
    if (!strncmp(name, prefix, strlen(prefix)))
        for (int l = 0; l < w->L; l++)
            if (!strcmp(name + strlen(prefix), w->line_ids[l]))
                fprintf(f, "%s%s", poolsim_output_name_or(w->line_names[l], w->line_ids[l]),
                        lang == POOLSIM_LANG_ZH ? "：" : ": ");
    if (lang == POOLSIM_LANG_ZH)
        fprintf(f, "参数敏感性：截至 %d 年储备金耗尽的概率（", w->years[w->T - 1]);
    else
        fprintf(f, "Sweep: probability that the reserve is exhausted by %d, by lever value (",
                w->years[w->T - 1]);
    for (int k = 0; k < w->K; k++) fprintf(f, "%s%s", k ? " × " : "", w->levers[k].key);
    fputs(lang == POOLSIM_LANG_ZH ? "）" : ")", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int poolsim_plot_sweep_charts(const char *results_path, const poolsim_plot_opts *opt,
                              poolsim_chart_set *set)
{
    if (!poolsim_sweep_present(results_path)) return POOLSIM_OK;
    poolsim_sweep_results *w = NULL;
    int st = poolsim_sweep_read(results_path, &w);
    if (st) return st;
    if (opt->formats & POOLSIM_FMT_PDF)
        fprintf(stderr, "poolsim: note: the sweep charts of %s are drawn in png and svg only\n",
                results_path);
    for (int k = 0; k < 2 && !st; k++) {
        if (!(opt->formats & (1u << k))) continue;
        char *log = NULL;
        size_t n = 0;
        FILE *lf = open_memstream(&log, &n);
        if (!lf) {
            st = POOLSIM_ENOMEM;
            break;
        }
        st = poolsim_sweep_plot(w, opt->dir, fmt_ext[k], lf);
        fclose(lf);
        /* one "chart: PATH" line per file written */
        for (char *line = log; !st && line && *line;) {
            char *end = strchr(line, '\n');
            if (end) *end = '\0';
            if (!strncmp(line, "chart: ", 7)) {
                const char *path = line + 7;
                const char *base = strrchr(path, '/');
                base = base ? base + 1 : path;
                const char *dot = strrchr(base, '.');
                size_t bl = dot ? (size_t)(dot - base) : strlen(base);
                char name[256];
                snprintf(name, sizeof name, "%.*s", (int)bl, base);
                poolsim_chart *c = chart_named(set, name);
                char *file = strdup(path);
                if (!c || !file) {
                    free(file);
                    st = POOLSIM_ENOMEM;
                    break;
                }
                free(c->file[k]);
                c->file[k] = file;
                if (!c->title && !(c->title = sweep_title(w, name, opt->lang))) st = POOLSIM_ENOMEM;
            }
            line = end ? end + 1 : NULL;
        }
        free(log);
    }
    poolsim_sweep_results_free(w);
    return st;
}
