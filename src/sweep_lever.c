/* poolsim: sweep levers: `KEY=V1,V2,...` lists and their values
 * (include/poolsim/sweep.h). */
#include "poolsim/sweep.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "poolsim/provenance.h"
#include "poolsim/common.h"
#include "poolsim/mpi.h"

/* ---- levers ------------------------------------------------------------------ */

static char *dup_trim(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    char *d = malloc(n + 1);
    if (!d) return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* A plain decimal number (no hex, inf, nan; the whole text). */
static int plain_number(const char *s, double *v)
{
    if (!*s) return 0;
    for (const char *p = s; *p; p++)
        if (!strchr("0123456789+-.eE", *p)) return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

int poolsim_sweep_lever_parse(const char *arg, poolsim_sweep_lever *out)
{
    memset(out, 0, sizeof *out);
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        POOLSIM_ERROR(
            POOLSIM_EINPUT,
            "--set: '%s' is not KEY=V1,V2,... (expected e.g. reserve.levy_rate=0.08,0.10)", arg);
    if (!(out->key = dup_trim(arg, (size_t)(eq - arg)))) goto nomem;
    if (!out->key[0]) {
        poolsim_sweep_lever_free(out);
        POOLSIM_ERROR(POOLSIM_EINPUT, "--set: '%s': empty key", arg);
    }
    const char *v = eq + 1;
    size_t len = strlen(v);
    int depth = 0, cap = 0;
    char quote = 0;
    size_t from = 0;
    for (size_t i = 0; i <= len; i++) {
        char ch = v[i];
        if (quote) {
            if (ch == quote) quote = 0;
            if (ch) continue;
        } else if (ch == '\'' || ch == '"') {
            quote = ch;
            continue;
        } else if (ch == '{' || ch == '[') {
            depth++;
            continue;
        } else if (ch == '}' || ch == ']') {
            if (--depth < 0) break;
            continue;
        }
        if ((ch == ',' && depth == 0) || ch == '\0') {
            if (quote || depth != 0) break;
            if (out->n == cap) {
                cap = cap ? 2 * cap : 8;
                char **t = realloc(out->text, (size_t)cap * sizeof *t);
                if (!t) goto nomem;
                out->text = t;
            }
            if (!(out->text[out->n] = dup_trim(v + from, i - from))) goto nomem;
            if (!out->text[out->n++][0]) {
                int which = out->n;
                poolsim_sweep_lever_free(out);
                POOLSIM_ERROR(POOLSIM_EINPUT, "--set: '%s': value %d is empty", arg, which);
            }
            from = i + 1;
        }
    }
    if (quote || depth != 0) {
        poolsim_sweep_lever_free(out);
        POOLSIM_ERROR(POOLSIM_EINPUT, "--set: '%s': unbalanced %s", arg,
                      quote ? "quote" : "brackets or braces");
    }
    out->numeric = 1;
    if (!(out->value = malloc((size_t)out->n * sizeof *out->value))) goto nomem;
    for (int i = 0; i < out->n && out->numeric; i++)
        out->numeric = plain_number(out->text[i], &out->value[i]);
    if (!out->numeric) {
        free(out->value);
        out->value = NULL;
    }
    return POOLSIM_OK;
nomem:
    poolsim_sweep_lever_free(out);
    POOLSIM_ERROR(POOLSIM_ENOMEM, "out of memory");
}
