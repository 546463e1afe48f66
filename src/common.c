/* poolsim: shared helpers (error reporting, dated values, hashing). */
#include "poolsim/common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void poolsim_error_report(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("poolsim: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
#ifdef POOLSIM_DEBUG_LOCATIONS
    fprintf(stderr, " [%s:%d]", file, line);
#else
    (void)file;
    (void)line;
#endif
    fputc('\n', stderr);
}

int poolsim_status_exit(int status)
{
    switch (status) {
    case POOLSIM_OK: return POOLSIM_EXIT_OK;
    case POOLSIM_EINPUT: return POOLSIM_EXIT_INPUT;
    case POOLSIM_EIO: return POOLSIM_EXIT_IO;
    case POOLSIM_ETOOL: return POOLSIM_EXIT_TOOL;
    case POOLSIM_EINTR: return POOLSIM_EXIT_SIGINT;
    default: return POOLSIM_EXIT_FAIL;
    }
}

poolsim_param poolsim_param_const(double v)
{
    poolsim_param p = {0};
    p.n = 1;
    p.val[0] = v;
    return p;
}

double poolsim_param_at(const poolsim_param *p, int y)
{
    int i = 0;
    while (i + 1 < p->n && p->year[i + 1] <= y) i++;
    return p->val[i];
}

int poolsim_param_set_in(const poolsim_param *p, int y)
{
    /* the first value holds from the start (years before the first key use
     * it), so only later keys set a new level */
    for (int i = 1; i < p->n; i++)
        if (p->year[i] == y) return 1;
    return 0;
}

double poolsim_param_grown(const poolsim_param *level, const poolsim_param *growth, int start_year,
                           int y)
{
    double v = poolsim_param_at(level, start_year);
    for (int k = start_year + 1; k <= y; k++) {
        if (poolsim_param_set_in(level, k))
            v = poolsim_param_at(level, k);
        else
            v *= 1.0 + poolsim_param_at(growth, k);
    }
    return v;
}

void poolsim_format_double(double x, char *buf, size_t size)
{
    if (isnan(x)) {
        snprintf(buf, size, "nan");
        return;
    }
    if (isinf(x)) {
        snprintf(buf, size, x > 0 ? "inf" : "-inf");
        return;
    }
    if (x == 0) x = 0.0; /* -0 -> 0 */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

double poolsim_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

uint32_t poolsim_hash32(const char *s, uint32_t h)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

volatile sig_atomic_t poolsim_stop_signal = 0;

int poolsim_cpu_avx2(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

int poolsim_simd_default(void)
{
    const char *e = getenv("POOLSIM_SIMD");
    return e && strcmp(e, "0") == 0 ? 0 : poolsim_cpu_avx2();
}
