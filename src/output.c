/* poolsim: helpers shared by `plot`, `report` and `summary`
 * (include/poolsim/output.h). */
#include "poolsim/output.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "poolsim/common.h"

const poolsim_output_labels poolsim_output_label[2] = {{
                                                           .scenario_file = "Scenario file",
                                                           .years = "Projection years",
                                                           .paths = "Simulated paths",
                                                           .seed = "Random seed",
                                                           .version = "poolsim version",
                                                           .commit = "Source commit",
                                                           .build = "Build",
                                                           .quantiles = "Quantile method",
                                                           .started = "Run started (UTC)",
                                                       },
                                                       {
                                                           .scenario_file = "情景文件",
                                                           .years = "预测期",
                                                           .paths = "模拟路径数",
                                                           .seed = "随机种子",
                                                           .version = "poolsim 版本",
                                                           .commit = "源代码版本",
                                                           .build = "编译信息",
                                                           .quantiles = "分位数方法",
                                                           .started = "运行开始时间（UTC）",
                                                       }};

int poolsim_output_make_dirs(const char *dir)
{
    size_t n = strlen(dir);
    char *d = malloc(n + 1);
    if (!d) return POOLSIM_ENOMEM;
    memcpy(d, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (d[i] != '/' && d[i] != '\0') continue;
        char keep = d[i];
        d[i] = '\0';
        if (mkdir(d, 0777) != 0 && errno != EEXIST) {
            fprintf(stderr, "poolsim: cannot create folder %s: %s\n", d, strerror(errno));
            free(d);
            return POOLSIM_EIO;
        }
        d[i] = keep;
    }
    free(d);
    return POOLSIM_OK;
}

char *poolsim_output_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? 2 * cap : 1 << 17;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                errno = ENOMEM;
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + len, 1, 65536, f);
        len += got;
        if (got < 65536) break;
    }
    if (ferror(f)) {
        int err = errno ? errno : EIO;
        fclose(f);
        free(buf);
        errno = err;
        return NULL;
    }
    fclose(f);
    buf[len] = '\0';
    if (n) *n = len;
    return buf;
}

const char *poolsim_output_name_or(const char *s, const char *fallback)
{
    return s && s[0] ? s : fallback;
}

int poolsim_output_unified_years(const poolsim_results *r, int l)
{
    int n = 0;
    for (int t = 0; t < r->T; t++) n += r->pooling_mode[POOLSIM_LT(r, l, t)] == 1;
    return n;
}

int poolsim_output_first_unified(const poolsim_results *r, int l)
{
    for (int t = 0; t < r->T; t++)
        if (r->pooling_mode[POOLSIM_LT(r, l, t)] == 1) return t;
    return -1;
}

void poolsim_output_put_template(FILE *f, const char *t, int n, const char *const *args)
{
    int k = 0;
    for (const char *p = t; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            if (k < n && args[k]) fputs(args[k], f);
            k++;
            p++;
        } else {
            fputc(*p, f);
        }
    }
}

char *poolsim_output_template(const char *t, int n, const char *const *args)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    poolsim_output_put_template(f, t, n, args);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
