/* Tests of src/common.c: dated values and growth (SCENARIO.md "Dated
 * values"), large zeroed arrays. */
#define _DEFAULT_SOURCE /* sscanf of /proc, SIZE_MAX */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

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

#if defined(__linux__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define CHECK_MAPPING 1
/* The VmFlags line of the mapping of /proc/self/smaps holding address p
 * into flags ("" when not found). */
static void vm_flags(const void *p, char *flags, size_t size)
{
    flags[0] = 0;
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return;
    char line[512];
    int in = 0;
    uintptr_t a = (uintptr_t)p;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in = a >= lo && a < hi;
        } else if (in && strncmp(line, "VmFlags:", 8) == 0) {
            size_t k = strlen(line + 8);
            if (k >= size) k = size - 1;
            memcpy(flags, line + 8, k);
            flags[k] = 0;
            break;
        }
    }
    fclose(f);
}
#endif

/* Every byte of the n * size zero, every byte writable (a pattern written
 * and read back at both ends and across the whole array). */
static void check_big(size_t n, size_t size)
{
    unsigned char *p = poolsim_big_calloc(n, size);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t bytes = n * size, bad = 0;
    for (size_t i = 0; i < bytes; i++) bad += p[i] != 0;
    CU_ASSERT_EQUAL(bad, 0);
    for (size_t i = 0; i < bytes; i++) p[i] = (unsigned char)(i * 131 + 7);
    for (size_t i = 0; i < bytes; i++) bad += p[i] != (unsigned char)(i * 131 + 7);
    CU_ASSERT_EQUAL(bad, 0);
#ifdef CHECK_MAPPING
    if (bytes >= POOLSIM_BIG_BYTES) {
        /* its own mapping at a 2 MiB boundary, marked for huge pages ("hg":
         * the kernel's mark of MADV_HUGEPAGE, whatever it then gives) */
        CU_ASSERT_EQUAL((uintptr_t)p % ((uintptr_t)2 << 20), 0);
        char flags[256];
        vm_flags(p, flags, sizeof flags);
        CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
        vm_flags(p + bytes - 1, flags, sizeof flags);
        CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
    }
#endif
    poolsim_big_free(p, n, size);
}

static void test_big_calloc(void)
{
    check_big(1, 1);
    check_big(0, 8); /* a usable pointer, freed */
    check_big(1000, 8);
    check_big(POOLSIM_BIG_BYTES / 8 - 1, 8); /* just below: calloc */
    check_big(POOLSIM_BIG_BYTES / 8, 8);
    check_big(POOLSIM_BIG_BYTES / 8 + 1, 8); /* a second unit, one value of it used */
    check_big(5000001, 1);
    check_big(3, (size_t)3 << 20);
    /* a count and size whose product overflows */
    CU_ASSERT_PTR_NULL(poolsim_big_calloc(SIZE_MAX / 8 + 2, 8));
    poolsim_big_free(NULL, 10, 8); /* nothing */
}

void poolsim_test_common(void)
{
    CU_pSuite s = CU_add_suite("common", NULL, NULL);
    CU_add_test(s, "dated value lookup", test_param_at);
    CU_add_test(s, "growth with dated levels", test_param_grown);
    CU_add_test(s, "large zeroed arrays", test_big_calloc);
}
