/* poolsim: `poolsim run`'s terminal summary, in English or Chinese. */
#include "poolsim/runsum.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "poolsim/plot.h"
#include "poolsim/text.h"

/* the English or the Chinese format (both literals, so both are checked) */
#define SAY(en, zh, ...) fprintf(f, lz ? zh : en, __VA_ARGS__)

/* The three counties of line l with the highest expected burden over the
 * horizon (-1 where there are fewer). */
static void top_counties(const poolsim_results *r, int l, int top[3])
{
    top[0] = top[1] = top[2] = -1;
    for (int k = 0; k < 3 && k < r->C; k++) {
        double best = -1;
        for (int c = 0; c < r->C; c++) {
            int used = 0;
            for (int j = 0; j < k; j++) used |= top[j] == c;
            double v = r->county_burden_total.mean[POOLSIM_LC(r, l, c)];
            if (!used && v > best) {
                best = v;
                top[k] = c;
            }
        }
    }
}

void poolsim_runsum_print(const poolsim_results *r, int lang, FILE *f)
{
    int lz = lang == POOLSIM_LANG_ZH, T = r->T;
    /* names from the scenario reach the terminal through the one filter */
    char *nm = poolsim_text_clean_dup(r->scenario_name);
    SAY("\n%s: %ld paths, seed %llu, %d-%d\n", "\n%s：模拟路径 %ld 条，随机种子 %llu，%d-%d 年\n",
        nm ? nm : "", r->paths, r->seed, r->years[0], r->years[T - 1]);
    free(nm);
    for (int l = 0; l < r->L; l++) {
        size_t last = POOLSIM_LT(r, l, T - 1);
        nm = poolsim_text_clean_dup(r->line_names[l]);
        SAY("\n  line %s (%s)\n", "\n  基金 %s（%s）\n", r->line_ids[l], nm ? nm : "");
        free(nm);
        if (r->present[POOLSIM_ROW_months_covered]) {
            /* fund health first (MODEL.md section 12) */
            const double *q = &r->months_covered.q[last * POOLSIM_NQ];
            SAY("    months of payment covered %d  p05 %.1f, median %.1f\n",
                "    %d 年可支付月数  p05 %.1f，中位数 %.1f\n", r->years[T - 1], q[1], q[3]);
            SAY("    P(months covered < %g in %d)  %.4f  [%.4f, %.4f]\n",
                "    %2$d 年可支付月数低于 %1$g 个月的概率  %3$.4f  [%4$.4f, %5$.4f]\n",
                r->warn_months[l], r->years[T - 1], r->low_months_prob[last],
                r->low_months_lo[last], r->low_months_hi[last]);
        }
        /* 统收统支 in the last year (MODEL.md section 11): the pooled fund */
        const int unified = r->pooling_mode[last] == 1;
        if (unified)
            SAY("    统收统支 (unified pooling): the pooled fund replaces the reserve\n"
                "    P(fund exhausted by %d)      %.4f  [%.4f, %.4f]\n",
                "    统收统支：统筹基金累计结余替代风险储备金\n"
                "    %d 年前统筹基金耗尽的概率   %.4f  [%.4f, %.4f]\n",
                r->years[T - 1], r->exhaustion_prob[last], r->exhaustion_lo[last],
                r->exhaustion_hi[last]);
        else
            SAY("    P(reserve exhausted by %d)   %.4f  [%.4f, %.4f]\n",
                "    %d 年前风险储备金耗尽的概率   %.4f  [%.4f, %.4f]\n", r->years[T - 1],
                r->exhaustion_prob[last], r->exhaustion_lo[last], r->exhaustion_hi[last]);
        /* who pays: the county governments together, and the county with
         * the highest 95th percentile */
        double all = 0, worst = -1;
        int wc = -1;
        for (int c = 0; c < r->C; c++) {
            size_t i = POOLSIM_LC(r, l, c);
            all += r->county_burden_total.mean[i];
            if (r->county_burden_total.p95[i] > worst)
                worst = r->county_burden_total.p95[i], wc = c;
        }
        int gov = r->present[POOLSIM_ROW_government_burden_total];
        double gp95 = gov ? r->government_burden_total.p95[l] : 0;
        poolsim_unit u = poolsim_plot_unit(fmax(fmax(all, worst), gp95), lang);
        SAY("    county governments pay over %d-%d: %.2f %s expected; highest p95 %s %.2f %s\n",
            "    %d-%d 年县级政府合计负担：期望 %.2f %s；p95 最高 %s %.2f %s\n", r->years[0],
            r->years[T - 1], all / u.div, u.name, wc >= 0 ? r->county_names[wc] : "-",
            fmax(worst, 0.0) / u.div, u.name);
        if (gov && r->present[POOLSIM_ROW_city_burden_total]) {
            /* who pays, all governments (MODEL.md section 11) */
            SAY("    city government: %.2f %s expected, p95 %.2f %s; city and counties together: "
                "%.2f %s expected, p95 %.2f %s\n",
                "    市级政府负担：期望 %.2f %s，p95 %.2f %s；市县两级政府合计：期望 %.2f %s，p95 "
                "%.2f %s\n",
                r->city_burden_total.mean[l] / u.div, u.name, r->city_burden_total.p95[l] / u.div,
                u.name, r->government_burden_total.mean[l] / u.div, u.name, gp95 / u.div, u.name);
        }
        int first5 = 0;
        for (int t = 0; t < T && !first5; t++)
            if (r->exhaustion_prob[POOLSIM_LT(r, l, t)] > 0.05) first5 = r->years[t];
        if (first5)
            SAY("    first year P(exhausted) > 5%%  %d\n", "    耗尽概率首次超过 5%% 的年份  %d\n",
                first5);
        else
            SAY("    first year P(exhausted) > 5%%  %s\n", "    耗尽概率首次超过 5%% 的年份  %s\n",
                lz ? "预测期内没有" : "none within the horizon");
        if (unified)
            SAY("    median pooled balance ratio %d  %.4f\n",
                "    %d 年统筹基金累计结余比率中位数   %.4f\n", r->years[T - 1],
                r->reserve_ratio.q[last * POOLSIM_NQ + 3]);
        else
            SAY("    median reserve ratio %d       %.4f (cap %.2f)\n",
                "    %d 年储备金比率中位数   %.4f（上限 %.2f）\n", r->years[T - 1],
                r->reserve_ratio.q[last * POOLSIM_NQ + 3], r->cap_ratio[last]);
        int top[3];
        top_counties(r, l, top);
        SAY("    highest expected county-government burden over %d years (yuan):\n",
            "    %d 年内县级政府预期负担最高的县（元）：\n", T);
        for (int k = 0; k < 3 && top[k] >= 0; k++) {
            size_t i = POOLSIM_LC(r, l, top[k]);
            /* pad by display width: CJK characters take two columns */
            nm = poolsim_text_clean_dup(r->county_names[top[k]]);
            int pad = 10 - (int)poolsim_text_width(nm ? nm : "");
            SAY("      %-12s %s%*s mean %14.0f  p95 %14.0f\n",
                "      %-12s %s%*s 均值 %14.0f  p95 %14.0f\n", r->county_ids[top[k]], nm ? nm : "",
                pad > 0 ? pad : 0, "", r->county_burden_total.mean[i],
                r->county_burden_total.p95[i]);
            free(nm);
        }
    }
    fputc('\n', f);
}
