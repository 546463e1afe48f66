/* poolsim: the charts of `poolsim compare` (docs/STRESS.md): the
 * exhaustion curves of both scenarios, and the county-government and city
 * burdens side by side. gnuplot reads the script on its standard input;
 * user text (scenario, line and county names) only reaches it inside
 * single-quoted strings (poolsim_plot_put_quoted), numbers through inline
 * data blocks. Each chart is drawn under a temporary name in the output
 * folder and renamed once gnuplot has exited with status 0. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "poolsim/common.h"
#include "poolsim/compare.h"
#include "poolsim/output.h"
#include "poolsim/plot.h"

static void terminal(FILE *g, int svg, const char *tmp, int w, int h)
{
    if (svg)
        fprintf(g,
                "set terminal svg size %d,%d dynamic noenhanced font 'Noto Sans CJK SC,11' "
                "background rgb 'white'\n",
                w, h);
    else
        fprintf(g,
                "set terminal pngcairo size %d,%d noenhanced font 'Noto Sans CJK SC,11' "
                "background rgb 'white'\n",
                w, h);
    fputs("set encoding utf8\nset output ", g);
    poolsim_plot_put_quoted(g, tmp);
    fputs("\nset grid\n", g);
}

static int run_script(const char *script, size_t len)
{
    void (*old)(int) = signal(SIGPIPE, SIG_IGN);
    FILE *g = popen("gnuplot 2>/dev/null", "w");
    if (!g) {
        signal(SIGPIPE, old);
        POOLSIM_ERROR(POOLSIM_ETOOL, "cannot start gnuplot for the compare charts: %s",
                      strerror(errno));
    }
    size_t n = fwrite(script, 1, len, g);
    int status = pclose(g);
    signal(SIGPIPE, old);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || n != len) {
        if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
            POOLSIM_ERROR(POOLSIM_ETOOL, "gnuplot is not installed (needed for the compare "
                                         "charts; Debian package gnuplot-nox)");
        POOLSIM_ERROR(POOLSIM_ETOOL, "gnuplot failed drawing the compare charts");
    }
    return POOLSIM_OK;
}

/* Exhaustion curves: per line, A solid and B dashed, same colour. */
static void exhaustion_chart(FILE *g, const poolsim_compare_charts *d)
{
    int zh = d->lang == POOLSIM_LANG_ZH;
    fputs("$exh << EOD\n", g);
    for (int t = 0; t < d->T; t++) {
        fprintf(g, "%d", d->years[t]);
        for (int l = 0; l < d->L; l++) {
            size_t i = (size_t)l * (size_t)d->T + (size_t)t;
            fprintf(g, " %.17g %.17g", d->exh_a[i], d->exh_b[i]);
        }
        fputc('\n', g);
    }
    fputs("EOD\nset title ", g);
    poolsim_plot_put_quoted(g, zh ? "基金耗尽概率（截至当年）：A 与 B"
                                  : "P(exhausted by year): A and B");
    fputs("\nset key outside bottom center horizontal\nset yrange [0:*]\nset xlabel ", g);
    poolsim_plot_put_quoted(g, zh ? "年份" : "year");
    fputs("\nset ylabel ", g);
    poolsim_plot_put_quoted(g, zh ? "概率" : "probability");
    fputs("\nset xtics 1\nplot ", g);
    for (int l = 0; l < d->L; l++)
        for (int s = 0; s < 2; s++) {
            char title[512];
            snprintf(title, sizeof title, "%s — %s: %s", d->line_names[l], s ? "B" : "A",
                     s ? d->name_b : d->name_a);
            if (l || s) fputs(", ", g);
            fprintf(g, "$exh using 1:%d with linespoints lw 2 pt %d dt %d lc %d title ",
                    2 + 2 * l + s, s ? 6 : 7, s ? 2 : 1, l + 1);
            poolsim_plot_put_quoted(g, title);
        }
    fputc('\n', g);
}

/* Burdens side by side: one group per county (all lines, over the
 * horizon) plus the city government, bars A and B. */
static void burden_chart(FILE *g, const poolsim_compare_charts *d, const char *what_mean)
{
    int zh = d->lang == POOLSIM_LANG_ZH;
    double mx = 0;
    for (int k = 0; k < d->C; k++) mx = fmax(mx, fmax(d->county_a[k], d->county_b[k]));
    mx = fmax(mx, fmax(d->city_a, d->city_b));
    poolsim_unit u = poolsim_plot_unit(mx, d->lang);
    fputs("$bur << EOD\n", g);
    for (int k = 0; k <= d->C; k++) {
        double a = k < d->C ? d->county_a[k] : d->city_a, b = k < d->C ? d->county_b[k] : d->city_b;
        fprintf(g, "%d %.17g %.17g\n", k, a / u.div, b / u.div);
    }
    fputs("EOD\nset title ", g);
    char title[256];
    snprintf(title, sizeof title,
             zh ? "县级政府与市级财政负担（%d年合计，%s）"
                : "Who pays: county governments and the city (%d years, %s)",
             d->T, what_mean);
    poolsim_plot_put_quoted(g, title);
    fputs("\nset key outside bottom center horizontal\nset style data histogram\n"
          "set style histogram clustered gap 1\nset style fill solid 0.8 border -1\n"
          "set boxwidth 0.9\nset yrange [0:*]\nset xtics rotate by -30\nset ylabel ",
          g);
    poolsim_plot_put_quoted(g, u.name);
    fputs("\nset xtics (", g);
    for (int k = 0; k <= d->C; k++) {
        if (k) fputs(", ", g);
        poolsim_plot_put_tic(g, k < d->C ? d->county_names[k] : (zh ? "市级财政" : "city"));
        fprintf(g, " %d", k);
    }
    fputs(")\nplot $bur using 2 title ", g);
    char t2[512];
    snprintf(t2, sizeof t2, "A: %s", d->name_a);
    poolsim_plot_put_quoted(g, t2);
    fputs(" lc rgb '#4477aa', '' using 3 title ", g);
    snprintf(t2, sizeof t2, "B: %s", d->name_b);
    poolsim_plot_put_quoted(g, t2);
    fputs(" lc rgb '#ee6677'\n", g);
}

int poolsim_compare_plot(const poolsim_compare_charts *d, const char *dir, unsigned formats,
                         char *files[POOLSIM_COMPARE_NCHARTS][2] /* OUT */)
{
    static const char *const base[POOLSIM_COMPARE_NCHARTS] = {"compare_exhaustion",
                                                              "compare_burden"};
    static const char *const ext[2] = {"svg", "png"};
    memset(files, 0, sizeof(char *) * POOLSIM_COMPARE_NCHARTS * 2);
    if (poolsim_output_make_dirs(dir) != POOLSIM_OK) return POOLSIM_EIO;
    char *tmp[POOLSIM_COMPARE_NCHARTS][2] = {{NULL}};
    char *script = NULL;
    size_t len = 0;
    FILE *g = open_memstream(&script, &len);
    if (!g) return POOLSIM_ENOMEM;
    int st = POOLSIM_OK;
    for (int c = 0; c < POOLSIM_COMPARE_NCHARTS && st == POOLSIM_OK; c++)
        for (int f = 0; f < 2 && st == POOLSIM_OK; f++) {
            if (!(formats & (f == 0 ? POOLSIM_FMT_SVG : POOLSIM_FMT_PNG))) continue;
            size_t n = strlen(dir) + strlen(base[c]) + 32;
            files[c][f] = malloc(n);
            tmp[c][f] = malloc(n + 16);
            if (!files[c][f] || !tmp[c][f]) {
                st = POOLSIM_ENOMEM;
                break;
            }
            snprintf(files[c][f], n, "%s/%s.%s", dir, base[c], ext[f]);
            snprintf(tmp[c][f], n + 16, "%s/.%s.%ld.tmp.%s", dir, base[c], (long)getpid(), ext[f]);
            fputs("reset\n", g);
            terminal(g, f == 0, tmp[c][f], 900, 560);
            if (c == 0)
                exhaustion_chart(g, d);
            else
                burden_chart(g, d, d->lang == POOLSIM_LANG_ZH ? "均值" : "mean");
            fputs("unset output\n", g);
        }
    if (fclose(g) != 0 && st == POOLSIM_OK) st = POOLSIM_ENOMEM;
    if (st == POOLSIM_OK) st = run_script(script, len);
    free(script);
    for (int c = 0; c < POOLSIM_COMPARE_NCHARTS; c++)
        for (int f = 0; f < 2; f++) {
            if (!tmp[c][f]) continue;
            if (st == POOLSIM_OK && rename(tmp[c][f], files[c][f]) != 0) {
                fprintf(stderr, "poolsim: cannot write %s: %s\n", files[c][f], strerror(errno));
                st = POOLSIM_EIO;
            }
            if (st != POOLSIM_OK) unlink(tmp[c][f]);
            free(tmp[c][f]);
        }
    if (st != POOLSIM_OK) {
        for (int c = 0; c < POOLSIM_COMPARE_NCHARTS; c++)
            for (int f = 0; f < 2; f++) {
                if (files[c][f]) unlink(files[c][f]);
                free(files[c][f]);
                files[c][f] = NULL;
            }
    }
    return st;
}
