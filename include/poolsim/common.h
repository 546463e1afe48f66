/* poolsim: shared definitions (exit codes, status codes, dated values).
 *
 * Conventions used across the project:
 *   - money is in yuan, as double; rates are per year;
 *   - functions return an int status (POOLSIM_OK or a POOLSIM_E* code);
 *   - output parameters are marked OUT in their prototypes.
 */
#ifndef POOLSIM_COMMON_H
#define POOLSIM_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define POOLSIM_VERSION "0.1.0"

/* Process exit codes (documented in README.md). */
enum poolsim_exit {
    POOLSIM_EXIT_OK = 0,
    POOLSIM_EXIT_FAIL = 1,     /* internal or numerical failure */
    POOLSIM_EXIT_INPUT = 2,    /* bad input or bad command line */
    POOLSIM_EXIT_IO = 3,       /* I/O failure writing or reading files */
    POOLSIM_EXIT_TOOL = 4,     /* an external tool (gnuplot, chromium) failed or is missing */
    POOLSIM_EXIT_SIGINT = 130, /* stopped by SIGINT */
    POOLSIM_EXIT_SIGTERM = 143 /* stopped by SIGTERM */
};

/* Function status codes. */
enum poolsim_status {
    POOLSIM_OK = 0,
    POOLSIM_EINPUT = 1, /* invalid input (messages already reported) */
    POOLSIM_ENOMEM = 2,
    POOLSIM_EIO = 3,
    POOLSIM_ENUM = 4,  /* NaN/Inf or other numerical failure */
    POOLSIM_EINTR = 5, /* interrupted by a signal */
    POOLSIM_ETOOL = 6  /* external tool failure */
};

/* Report an error with the source location of the reporting code and return
 * the status code from the enclosing function (GSL_ERROR style). */
void poolsim_error_report(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define POOLSIM_ERROR(status, ...)                                                                 \
    do {                                                                                           \
        poolsim_error_report(__FILE__, __LINE__, __VA_ARGS__);                                     \
        return (status);                                                                           \
    } while (0)

/* Map a status to a process exit code. */
int poolsim_status_exit(int status);

/* ---- Dated values (SCENARIO.md "Dated values") -------------------------
 * A numeric parameter is either a constant (n == 1, year[0] ignored) or a
 * schedule of up to POOLSIM_MAX_SCHED (year, value) pairs, years strictly
 * ascending. The value in force in calendar year y is the value of the last
 * key <= y; years before the first key use the first value. */
#define POOLSIM_MAX_SCHED 16

typedef struct {
    int n;                       /* 1 .. POOLSIM_MAX_SCHED */
    int year[POOLSIM_MAX_SCHED]; /* calendar years, ascending (n > 1) */
    double val[POOLSIM_MAX_SCHED];
} poolsim_param;

/* A constant parameter. */
poolsim_param poolsim_param_const(double v);
/* Value in force in calendar year y. */
double poolsim_param_at(const poolsim_param *p, int y);
/* 1 when a key after the first is exactly at year y (a new level is set
 * then; the first value holds from the start, whatever its key year). */
int poolsim_param_set_in(const poolsim_param *p, int y);

/* Value of a growing quantity in calendar year y (y >= start_year):
 *   v(start) = level(start);
 *   v(y) = level(y) if the level has a key exactly at y (a new level is set),
 *          v(y-1) * (1 + growth(y)) otherwise.
 * So a constant level L with constant growth g gives L (1+g)^(y-start), and
 * {2021: 280, 2024: 380} with g = 0.05 gives 280, 294, 308.7, 380, 399.
 * The first key only gives the starting level: {2023: 300, 2025: 400}
 * from 2021 gives 300, 315, 330.75, 347.29, 400. */
double poolsim_param_grown(const poolsim_param *level, const poolsim_param *growth, int start_year,
                           int y);

/* The shortest of %.15g, %.16g, %.17g that reads back as x (so 0.1 prints
 * as 0.1 and every double round-trips); -0 prints as 0, infinities as inf
 * and -inf, NaN as nan. buf should hold at least 32 bytes. */
void poolsim_format_double(double x, char *buf /* OUT */, size_t size);

/* Monotonic clock in seconds (for elapsed times and rates). */
double poolsim_now_seconds(void);

/* The AVX2 code paths (claims.c, drivers.c): poolsim_cpu_avx2 is 1 when
 * the processor has AVX2 (x86-64, GCC or Clang builds), else 0;
 * poolsim_simd_default is the same unless the environment sets
 * POOLSIM_SIMD=0, which selects the scalar loops everywhere. Either way the
 * same numbers. */
int poolsim_cpu_avx2(void);
int poolsim_simd_default(void);

/* 32-bit FNV-1a hash of a string (used to address random sub-streams). */
uint32_t poolsim_hash32(const char *s, uint32_t h);
#define POOLSIM_HASH_INIT 2166136261u

/* The signal (SIGINT, SIGTERM) that asked the process to stop, 0 while
 * none did: set by the command layer's handler, polled by long loops
 * (engine, charts) so they end early with POOLSIM_EINTR. */
#include <signal.h>
extern volatile sig_atomic_t poolsim_stop_signal;

#endif
