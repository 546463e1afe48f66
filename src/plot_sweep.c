/* poolsim: charts of a sweep (P(exhausted by the last year) over the lever
 * grid) with gnuplot. See poolsim_sweep_plot in include/poolsim/sweep.h.
 *
 * gnuplot runs backquoted shell commands even inside double-quoted
 * strings: every piece of user text (scenario and line names, lever keys
 * and values, the output path) is passed only inside single-quoted
 * strings, with ' doubled and control characters removed. Data go in
 * datablocks of numbers only. Each chart is written under a temporary
 * name and renamed once gnuplot has exited with status 0. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"
#include "poolsim/sweep.h"

/* A gnuplot string expression (poolsim_plot_put_quoted), and one for a
 * tic label (% doubled). */
static void sq(FILE *f, const char *s)
{
    poolsim_plot_put_quoted(f, s);
}

static void tic(FILE *f, const char *s)
{
    poolsim_plot_put_tic(f, s);
}

static void header(FILE *g, const char *format, const char *tmp)
{
    if (strcmp(format, "svg") == 0)
        fputs("set terminal svg size 900,560 dynamic noenhanced font 'Noto Sans CJK SC,11' "
              "background rgb 'white'\n",
              g);
    else
        fputs("set terminal pngcairo size 900,560 noenhanced font 'Noto Sans CJK SC,11' "
              "background rgb 'white'\n",
              g);
    fputs("set encoding utf8\nset output ", g);
    sq(g, tmp);
    fputs("\nset grid\nset key outside right top\n", g);
}

static const char *value_text(const poolsim_sweep_results *w, int i, int k)
{
    return w->levers[k].text[w->grid[(size_t)i * (size_t)w->K + (size_t)k]];
}

/* Run the script `script` with gnuplot; POOLSIM_ETOOL with a message when
 * gnuplot is missing or fails. */
static int run_gnuplot(const char *script, size_t len, const char *what)
{
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        signal(SIGPIPE, old);
        POOLSIM_ERROR(POOLSIM_ETOOL, "cannot start gnuplot for %s: %s", what, strerror(errno));
    }
    size_t n = fwrite(script, 1, len, g);
    int status = pclose(g);
    signal(SIGPIPE, old);
    /* a signal (which may have stopped gnuplot too) stops the command */
    if (poolsim_fsio_stopped()) return POOLSIM_EINTR;
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != len) {
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            POOLSIM_ERROR(POOLSIM_ETOOL,
                          "gnuplot is not installed (needed for %s; Debian package "
                          "gnuplot-nox)",
                          what);
        POOLSIM_ERROR(POOLSIM_ETOOL, "gnuplot failed drawing %s (exit status %d)", what,
                      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return POOLSIM_OK;
}

/* Build a script with `body`, run it, move the chart to its final name. */
static int draw(const poolsim_sweep_results *w, const char *outdir, const char *name,
                const char *format, FILE *log,
                void (*body)(FILE *g, const poolsim_sweep_results *w, int l), int l)
{
    size_t n = strlen(outdir) + strlen(name) + 64;
    char *final = malloc(n), *tmp = NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *g = open_memstream(&buf, &len);
    if (!final || !g) {
        if (g) fclose(g);
        free(buf);
        free(final);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
    }
    snprintf(final, n, "%s/%s.%s", outdir, name, format);
    int fd = -1;
    int st = poolsim_fsio_temp(final, &tmp, &fd);
    if (st != POOLSIM_OK) {
        fclose(g);
        free(buf);
        free(final);
        return st;
    }
    close(fd);
    header(g, format, tmp);
    body(g, w, l);
    fputs("set output\n", g);
    st = fclose(g) == 0 ? POOLSIM_OK : POOLSIM_ENOMEM;
    if (st == POOLSIM_OK) st = run_gnuplot(buf, len, final);
    if (st == POOLSIM_OK)
        st = poolsim_fsio_publish(tmp, final);
    else
        poolsim_fsio_discard(tmp);
    if (st == POOLSIM_OK && log) fprintf(log, "chart: %s\n", final);
    free(buf);
    free(final);
    free(tmp);
    return st;
}

static int zh(const poolsim_sweep_results *w)
{
    return w->lang && strcmp(w->lang, "zh") == 0;
}

static void title(FILE *g, const poolsim_sweep_results *w, const char *line_name)
{
    char t[160];
    if (zh(w))
        snprintf(t, sizeof t, "风险储备金耗尽概率 (至%d年)", w->years[w->T - 1]);
    else
        snprintf(t, sizeof t, "P(reserve exhausted by %d)", w->years[w->T - 1]);
    fputs("set title ", g);
    if (line_name) {
        size_t n = strlen(t) + strlen(line_name) + 8;
        char *s = malloc(n);
        if (s) {
            snprintf(s, n, "%s: %s", line_name, t);
            sq(g, s);
            free(s);
        } else {
            sq(g, t);
        }
    } else {
        sq(g, t);
    }
    fputs("\nset ylabel ", g);
    sq(g, zh(w) ? "概率" : "probability");
    fputc('\n', g);
}

/* One lever (or several: over the grid points): one series per line with
 * its Wilson interval, and the 5% reference. */
static void line_chart(FILE *g, const poolsim_sweep_results *w, int unused)
{
    (void)unused;
    int numeric = w->K == 1 && w->levers[0].numeric;
    title(g, w, NULL);
    fputs("set xlabel ", g);
    if (w->K == 1)
        sq(g, w->levers[0].key);
    else
        sq(g, zh(w) ? "网格点" : "grid point");
    fputc('\n', g);
    if (!numeric) {
        fputs("set xtics rotate by -30 (", g);
        for (int i = 0; i < w->N; i++) {
            if (i) fputs(", ", g);
            if (w->K == 1) {
                tic(g, value_text(w, i, 0));
            } else {
                char b[16];
                snprintf(b, sizeof b, "%d", i + 1);
                sq(g, b);
            }
            fprintf(g, " %d", i);
        }
        fputs(")\n", g);
        fprintf(g, "set xrange [-0.5:%d.5]\n", w->N - 1);
    } else {
        fputs("set offsets graph 0.03, graph 0.03, 0, 0\n", g);
    }
    fputs("set yrange [0:*]\nset arrow from graph 0, first 0.05 to graph 1, first 0.05 nohead dt 2 "
          "lc rgb 'gray40'\n",
          g);
    for (int l = 0; l < w->L; l++) {
        fprintf(g, "$L%d << EOD\n", l);
        for (int i = 0; i < w->N; i++) {
            size_t j = POOLSIM_SW_NLT(w, i, l, w->T - 1);
            double x = numeric ? w->levers[0].value[w->grid[i]] : (double)i;
            fprintf(g, "%.17g %.17g %.17g %.17g\n", x, w->exh_prob[j], w->exh_lo[j], w->exh_hi[j]);
        }
        fputs("EOD\n", g);
    }
    fputs("plot ", g);
    for (int l = 0; l < w->L; l++) {
        if (l) fputs(", \\\n     ", g);
        fprintf(g, "$L%d using 1:2:3:4 with yerrorlines lw 2 pt 7 title ", l);
        sq(g, w->line_names[l] && w->line_names[l][0] ? w->line_names[l] : w->line_ids[l]);
    }
    fputc('\n', g);
}

/* Two levers: a heat map for line l, cells labelled with the probability. */
static void heat_map(FILE *g, const poolsim_sweep_results *w, int l)
{
    const poolsim_sweep_lever *a = &w->levers[0], *b = &w->levers[1];
    title(g, w, w->line_names[l] && w->line_names[l][0] ? w->line_names[l] : w->line_ids[l]);
    fputs("unset grid\nset xlabel ", g);
    sq(g, a->key);
    fputs("\nset ylabel ", g);
    sq(g, b->key);
    fputs("\nset xtics (", g);
    for (int i = 0; i < a->n; i++) {
        if (i) fputs(", ", g);
        tic(g, a->text[i]);
        fprintf(g, " %d", i);
    }
    fputs(")\nset ytics (", g);
    for (int i = 0; i < b->n; i++) {
        if (i) fputs(", ", g);
        tic(g, b->text[i]);
        fprintf(g, " %d", i);
    }
    fprintf(g, ")\nset xrange [-0.5:%d.5]\nset yrange [-0.5:%d.5]\n", a->n - 1, b->n - 1);
    double top = 0.05; /* a colour scale of at least 0..5% (all-zero grids included) */
    for (int i = 0; i < w->N; i++) top = fmax(top, w->exh_prob[POOLSIM_SW_NLT(w, i, l, w->T - 1)]);
    fprintf(g, "set cbrange [0:%.17g]\n", top);
    fputs("set palette defined (0 '#ffffff', 0.05 '#ffe08a', 0.25 '#f08c3c', 1 '#b2182b')\n"
          "set cblabel 'P'\n",
          g);
    fputs("$H << EOD\n", g);
    for (int i = 0; i < w->N; i++) {
        int ia = w->grid[(size_t)i * 2], ib = w->grid[(size_t)i * 2 + 1];
        fprintf(g, "%d %d %.17g\n", ia, ib, w->exh_prob[POOLSIM_SW_NLT(w, i, l, w->T - 1)]);
    }
    /* cells as filled rectangles: crisp in SVG, and a one-value lever still
     * draws its cells */
    fputs("EOD\nplot $H using 1:2:(0.49):(0.49):3 with boxxyerror fs solid 1 noborder lc palette "
          "notitle, \\\n"
          "     $H using 1:2:(sprintf('%.3f', $3)) with labels notitle\n",
          g);
}

int poolsim_sweep_plot(const poolsim_sweep_results *w, const char *outdir, const char *format,
                       FILE *log)
{
    if (strcmp(format, "png") != 0 && strcmp(format, "svg") != 0)
        POOLSIM_ERROR(POOLSIM_EINPUT, "chart format '%s' is not png or svg", format);
    int st = poolsim_output_make_dirs(outdir);
    if (st != POOLSIM_OK) return st;
    if (access(outdir, W_OK) != 0)
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write into %s: %s", outdir, strerror(errno));
    /* the charts are one set: all drawn, then renamed together */
    if ((st = poolsim_fsio_begin()) != POOLSIM_OK) return st;
    if (w->K != 2) st = draw(w, outdir, "sweep_exhaustion", format, log, line_chart, 0);
    for (int l = 0; w->K == 2 && l < w->L && st == POOLSIM_OK; l++) {
        char name[200];
        snprintf(name, sizeof name, "sweep_exhaustion_%s", w->line_ids[l]);
        st = draw(w, outdir, name, format, log, heat_map, l);
    }
    if (st != POOLSIM_OK) {
        poolsim_fsio_abort();
        return st;
    }
    return poolsim_fsio_commit();
}
