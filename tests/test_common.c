/* Tests of src/common.c: dated values and growth (SCENARIO.md "Dated
 * values"), large zeroed arrays. */
#define _DEFAULT_SOURCE /* msync */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"

static void test_param_at(void)
{
    poolsim_param p = {.n = 3, .year = {2021, 2024, 2026}, .val = {0.70, 0.75, 0.80}};
    CU_ASSERT_EQUAL(poolsim_param_at(&p, 2019), 0.70); /* before the first key: first value */
    CU_ASSERT_EQUAL(poolsim_param_at(&p, 2021), 0.70);
    CU_ASSERT_EQUAL(poolsim_param_at(&p, 2023), 0.70);
    CU_ASSERT_EQUAL(poolsim_param_at(&p, 2024), 0.75);
    CU_ASSERT_EQUAL(poolsim_param_at(&p, 2025), 0.75);
    CU_ASSERT_EQUAL(poolsim_param_at(&p, 2030), 0.80);
    poolsim_param c = poolsim_param_const(3.5);
    CU_ASSERT_EQUAL(poolsim_param_at(&c, 1900), 3.5);
}

static void test_param_grown(void)
{
    /* The SCENARIO.md example: per_capita {2021: 280, 2024: 380}, growth 0.05:
     * 280, 280*1.05 = 294, 294*1.05 = 308.7, 380 (new level), 380*1.05 = 399. */
    poolsim_param lv = {.n = 2, .year = {2021, 2024}, .val = {280, 380}};
    poolsim_param g = poolsim_param_const(0.05);
    double want[] = {280, 294, 308.7, 380, 399};
    for (int i = 0; i < 5; i++)
        CU_ASSERT_DOUBLE_EQUAL(poolsim_param_grown(&lv, &g, 2021, 2021 + i), want[i], 1e-9);
    /* first key after the start: its value holds from the start and grows;
     * only the second key sets a new level: 300, 315, 330.75, 347.2875, 400 */
    poolsim_param late = {.n = 2, .year = {2023, 2025}, .val = {300, 400}};
    double want2[] = {300, 315, 330.75, 347.2875, 400, 420};
    for (int i = 0; i < 6; i++)
        CU_ASSERT_DOUBLE_EQUAL(poolsim_param_grown(&late, &g, 2021, 2021 + i), want2[i], 1e-9);
    /* constant level L, growth g: L (1+g)^(t-1) */
    poolsim_param c = poolsim_param_const(100);
    CU_ASSERT_DOUBLE_EQUAL(poolsim_param_grown(&c, &g, 2021, 2031), 100 * pow(1.05, 10), 1e-9);
}

/* poolsim_big_calloc: arrays zeroed and writable to their last byte,
 * large ones on a 2 MiB boundary; after poolsim_big_free no page of a large
 * one's mapping is left (msync fails with ENOMEM on an unmapped page: the
 * whole rounded-up length was released, not only n bytes). */
static void test_big_calloc(void)
{
    const size_t mib = (size_t)1 << 20;
    const size_t sizes[] = {0, 1, 4096, 4 * mib - 8, 4 * mib, 5 * mib + 24, 9 * mib};
    long page = sysconf(_SC_PAGESIZE);
    CU_ASSERT_FATAL(page > 0);
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        unsigned char *p = poolsim_big_calloc(n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        int zero = 1;
        for (size_t i = 0; i < n; i++) zero &= p[i] == 0;
        CU_ASSERT(zero);
        if (n > 0) p[n - 1] = 0xab, p[0] = 0xcd;
        if (n < 4 * mib) {
            poolsim_big_free(p, n);
            continue;
        }
        CU_ASSERT((uintptr_t)p % (2 * mib) == 0);
        size_t len = (n + 2 * mib - 1) / (2 * mib) * (2 * mib);
        CU_ASSERT_EQUAL(msync(p, len, MS_ASYNC), 0); /* all of it mapped */
        poolsim_big_free(p, n);
        errno = 0;
        CU_ASSERT(msync(p, (size_t)page, MS_ASYNC) == -1 && errno == ENOMEM);
        errno = 0;
        CU_ASSERT(msync(p + len - (size_t)page, (size_t)page, MS_ASYNC) == -1 && errno == ENOMEM);
    }
    poolsim_big_free(NULL, 8 * mib); /* nothing to do */
}

void poolsim_test_common(void)
{
    CU_pSuite s = CU_add_suite("common", NULL, NULL);
    CU_add_test(s, "dated value lookup", test_param_at);
    CU_add_test(s, "growth with dated levels", test_param_grown);
    CU_add_test(s, "large zeroed arrays", test_big_calloc);
}
