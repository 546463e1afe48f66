/* Tests of src/plan.c: the interpolated payment-moment tables against the
 * exact lognormal limited moments. */
#include <math.h>
#include <stdlib.h>

#include <CUnit/CUnit.h>

#include "poolsim/plan.h"

/* For several benefits (deductible 0 or not, ceiling finite or not, cv from
 * 0.6 to 3), at 2000 points spread over the grid and off the nodes, the
 * table's EY and EY2 match poolsim_claims_payment_moments to 1e-9 relative
 * (plus 1e-12 of the scale for values that are nearly 0), and outside the
 * grid it falls back to the exact formula bit for bit. */
static void test_mtable_accuracy(void)
{
    const double par[][4] = {/* cv, d, u, c */
                             {1.6, 800, 300000, 0.82}, {1.0, 0, 3000, 0.5},
                             {0.6, 0, INFINITY, 1.0},  {1.5, 500, 150000, 0.63},
                             {3.0, 2000, 50000, 0.9},  {1.2, 300, 20000, 0.65}};
    double worst = 0;
    for (size_t k = 0; k < sizeof par / sizeof par[0]; k++) {
        poolsim_plan_mtable t;
        double lo = log(50.0), hi = log(200000.0);
        CU_ASSERT_EQUAL_FATAL(
            poolsim_plan_mtable_build(&t, par[k][0], par[k][1], par[k][2], par[k][3], lo, hi), 0);
        for (int i = 0; i < 2000; i++) {
            double m = lo + (hi - lo) * (i + 0.37) / 2000.0, x = exp(m);
            poolsim_claims_moments a, e;
            poolsim_plan_mtable_eval(&t, m, x, &a);
            poolsim_claims_payment_moments(x, par[k][0], par[k][1], par[k][2], par[k][3], &e);
            double scale1 = par[k][3] * x, scale2 = scale1 * scale1;
            double r1 = fabs(a.ey - e.ey) / (fabs(e.ey) + 1e-3 * scale1);
            double r2 = fabs(a.ey2 - e.ey2) / (fabs(e.ey2) + 1e-3 * scale2);
            worst = fmax(worst, fmax(r1, r2));
            CU_ASSERT(fabs(a.ey - e.ey) <= 1e-9 * fabs(e.ey) + 1e-12 * scale1);
            CU_ASSERT(fabs(a.ey2 - e.ey2) <= 1e-9 * fabs(e.ey2) + 1e-12 * scale2);
        }
        poolsim_claims_moments a, e;
        poolsim_plan_mtable_eval(&t, log(1e7), 1e7, &a); /* beyond the grid */
        poolsim_claims_payment_moments(1e7, par[k][0], par[k][1], par[k][2], par[k][3], &e);
        CU_ASSERT(a.ey == e.ey && a.ey2 == e.ey2);
        free(t.v);
    }
    CU_ASSERT(worst < 1e-9);
}

void poolsim_test_plan(void)
{
    CU_pSuite s = CU_add_suite("plan", NULL, NULL);
    CU_add_test(s, "moment tables match exact limited moments", test_mtable_accuracy);
}
