/* Tests of src/common.c: dated values and growth (SCENARIO.md "Dated values"). */
#include <math.h>

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

void poolsim_test_common(void)
{
    CU_pSuite s = CU_add_suite("common", NULL, NULL);
    CU_add_test(s, "dated value lookup", test_param_at);
    CU_add_test(s, "growth with dated levels", test_param_grown);
}
