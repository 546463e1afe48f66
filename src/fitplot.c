/* poolsim: the chart of `poolsim fit` (include/poolsim/fitplot.h). */
#include "poolsim/fitplot.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "poolsim/engine.h"
#include "poolsim/fsio.h"
#include "poolsim/plan.h"
#include "poolsim/plot.h"
#include "poolsim/stats.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double q7(const double *v, long n, double p)
{
    double h = (double)(n - 1) * p;
    long i = (long)h;
    return i + 1 < n ? v[i] + (h - (double)i) * (v[i + 1] - v[i]) : v[i];
}

int poolsim_fitplot_fan(const poolsim_scenario *fitted, long paths, double *q /* OUT */)
{
    poolsim_plan *pl = NULL;
    int st = poolsim_plan_build(fitted, &pl);
    if (st != POOLSIM_OK) return st;
    const int T = pl->T, L = pl->L;
    poolsim_stats_layout lay;
    poolsim_stats_layout_init(&lay, T, L, pl->C);
    double *rec = malloc(lay.n * sizeof *rec);
    double *tot = malloc((size_t)paths * (size_t)L * (size_t)T * sizeof *tot);
    poolsim_path_ws *w = poolsim_path_ws_alloc(pl);
    if (!rec || !tot || !w) {
        free(rec), free(tot);
        if (w) poolsim_path_ws_free(w);
        poolsim_plan_free(pl);
        return POOLSIM_ENOMEM;
    }
    for (long p = 0; p < paths && st == POOLSIM_OK; p++) {
        st = poolsim_engine_path(pl, &lay, fitted->seed, (uint32_t)p, w, rec);
        for (int l = 0; l < L && st == POOLSIM_OK; l++)
            for (int t = 0; t < T; t++)
                tot[((size_t)l * (size_t)T + (size_t)t) * (size_t)paths + (size_t)p] =
                    rec[lay.expenditure_total + (size_t)l * (size_t)T + (size_t)t];
    }
    static const double P[5] = {0.05, 0.25, 0.5, 0.75, 0.95};
    if (st == POOLSIM_OK)
        for (size_t k = 0; k < (size_t)L * (size_t)T; k++) {
            double *v = tot + k * (size_t)paths;
            qsort(v, (size_t)paths, sizeof *v, cmp_double);
            for (int j = 0; j < 5; j++) q[k * 5 + (size_t)j] = q7(v, paths, P[j]);
        }
    poolsim_path_ws_free(w);
    free(rec);
    free(tot);
    poolsim_plan_free(pl);
    return st;
}

/* Run gnuplot on the script; POOLSIM_ETOOL with a message when it is
 * missing or fails. */
static int run_gnuplot(const char *script, size_t len, const char *what, FILE *diag)
{
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    FILE *g = popen("gnuplot", "w");
    if (!g) {
        signal(SIGPIPE, old);
        fprintf(diag, "poolsim: cannot start gnuplot for %s: %s\n", what, strerror(errno));
        return POOLSIM_ETOOL;
    }
    size_t n = fwrite(script, 1, len, g);
    int status = pclose(g);
    signal(SIGPIPE, old);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != len) {
        if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
            fprintf(diag,
                    "poolsim: gnuplot is not installed (needed for %s; Debian package "
                    "gnuplot-nox)\n",
                    what);
        else
            fprintf(diag, "poolsim: gnuplot failed drawing %s (exit status %d)\n", what,
                    status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return POOLSIM_ETOOL;
    }
    return POOLSIM_OK;
}

int poolsim_fitplot_draw(const poolsim_scenario *base, const poolsim_fit *fit,
                         const poolsim_scenario *fitted, const char *path, FILE *diag)
{
    const size_t plen = strlen(path);
    int svg;
    if (plen > 4 && strcmp(path + plen - 4, ".svg") == 0)
        svg = 1;
    else if (plen > 4 && strcmp(path + plen - 4, ".png") == 0)
        svg = 0;
    else {
        fprintf(diag, "poolsim: fit: --chart %s: expected a file name ending in .png or .svg\n",
                path);
        return POOLSIM_EINPUT;
    }
    const int L = fit->L, C = fit->C, T = fit->T, TP = fitted->horizon_years;
    double *q = malloc((size_t)L * (size_t)TP * 5 * sizeof *q);
    if (!q) {
        fprintf(diag, "poolsim: out of memory drawing %s\n", path);
        return POOLSIM_ENOMEM;
    }
    int st = poolsim_fitplot_fan(fitted, POOLSIM_FITPLOT_PATHS, q);
    if (st != POOLSIM_OK) {
        free(q);
        fprintf(diag, "poolsim: fit: projecting the fitted scenario for %s failed\n", path);
        return st;
    }
    const int zh = base->lang && strcmp(base->lang, "zh") == 0;
    double maxv = 0;
    for (size_t i = 0; i < (size_t)L * (size_t)TP * 5; i++) maxv = fmax(maxv, q[i]);
    poolsim_unit u = poolsim_plot_unit(maxv, zh ? POOLSIM_LANG_ZH : POOLSIM_LANG_EN);

    char *tmp = NULL, *buf = NULL;
    size_t len = 0;
    int fd = -1;
    st = poolsim_fsio_temp(path, &tmp, &fd);
    if (st != POOLSIM_OK) {
        free(q);
        return st;
    }
    close(fd);
    FILE *g = open_memstream(&buf, &len);
    if (!g) {
        poolsim_fsio_discard(tmp);
        free(tmp), free(q);
        fprintf(diag, "poolsim: out of memory drawing %s\n", path);
        return POOLSIM_ENOMEM;
    }
    fprintf(g,
            "set terminal %s size 900,%d noenhanced font 'Noto Sans CJK SC,10' background rgb "
            "'white'\nset encoding utf8\nset output ",
            svg ? "svg" : "pngcairo", 160 + 300 * L);
    poolsim_plot_put_quoted(g, tmp);
    fputs("\nset grid\nset key left top\nset style fill transparent solid 0.25 noborder\n", g);
    fprintf(g, "set multiplot layout %d,1\n", L);
    for (int l = 0; l < L; l++) {
        const poolsim_line *ln = &base->lines[l];
        /* history: actual and fitted city totals */
        fprintf(g, "$hist%d << EOD\n", l);
        for (int t = 0; t < T; t++) {
            double act = 0, fv = 0;
            for (int c = 0; c < C; c++) {
                const size_t k = ((size_t)l * (size_t)C + (size_t)c) * (size_t)T + (size_t)t;
                act += fit->E[k];
                fv += exp(fit->fitted[k]) * fit->N[k];
            }
            fprintf(g, "%d %.10g %.10g\n", fit->first_year + t, act / u.div, fv / u.div);
        }
        fputs("EOD\n", g);
        fprintf(g, "$fan%d << EOD\n", l);
        /* start the fan at the last actual year so that it continues the history */
        double last = 0;
        for (int c = 0; c < C; c++)
            last += fit->E[((size_t)l * (size_t)C + (size_t)c) * (size_t)T + (size_t)(T - 1)];
        fprintf(g, "%d %.10g %.10g %.10g %.10g %.10g\n", fit->first_year + T - 1, last / u.div,
                last / u.div, last / u.div, last / u.div, last / u.div);
        for (int t = 0; t < TP; t++) {
            const double *v = q + ((size_t)l * (size_t)TP + (size_t)t) * 5;
            fprintf(g, "%d %.10g %.10g %.10g %.10g %.10g\n", fitted->start_year + t, v[0] / u.div,
                    v[1] / u.div, v[2] / u.div, v[3] / u.div, v[4] / u.div);
        }
        fputs("EOD\n", g);
        char title[512];
        if (zh)
            snprintf(title, sizeof title, "%s：基金支出 实际、拟合与预测（%s）",
                     ln->name ? ln->name : ln->id, u.name);
        else
            snprintf(title, sizeof title, "%s: expenditure, actual, fitted and projected (%s)",
                     ln->name ? ln->name : ln->id, u.name);
        fputs("set title ", g);
        poolsim_plot_put_quoted(g, title);
        fputs("\nset xtics 1\nset ylabel ", g);
        poolsim_plot_put_quoted(g, u.name);
        fprintf(g, "\nplot $fan%d using 1:2:6 with filledcurves lc rgb '#6baed6' title ", l);
        poolsim_plot_put_quoted(g, zh ? "预测 5–95%" : "projection 5-95%");
        fprintf(g, ", $fan%d using 1:3:5 with filledcurves lc rgb '#2171b5' title ", l);
        poolsim_plot_put_quoted(g, zh ? "预测 25–75%" : "projection 25-75%");
        fprintf(g, ", $fan%d using 1:4 with lines lw 2 lc rgb '#08306b' title ", l);
        poolsim_plot_put_quoted(g, zh ? "预测中位数" : "projection median");
        fprintf(g, ", $hist%d using 1:2 with linespoints pt 7 lw 2 lc rgb '#000000' title ", l);
        poolsim_plot_put_quoted(g, zh ? "实际" : "actual");
        fprintf(g, ", $hist%d using 1:3 with lines dt 2 lw 2 lc rgb '#d94801' title ", l);
        poolsim_plot_put_quoted(g, zh ? "拟合" : "fitted");
        fputc('\n', g);
    }
    fputs("unset multiplot\nset output\n", g);
    free(q);
    if (fclose(g) != 0) {
        poolsim_fsio_discard(tmp);
        free(buf), free(tmp);
        fprintf(diag, "poolsim: out of memory drawing %s\n", path);
        return POOLSIM_ENOMEM;
    }
    st = run_gnuplot(buf, len, path, diag);
    if (st == POOLSIM_OK)
        st = poolsim_fsio_publish(tmp, path);
    else
        poolsim_fsio_discard(tmp);
    free(buf);
    free(tmp);
    return st;
}
