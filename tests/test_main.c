/* poolsim test runner: one CUnit suite per module. Each module's test file
 * defines `void poolsim_test_<module>(void)` which adds its suite; suites
 * not linked in are skipped (weak symbols), so modules can land one by one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>
#include <gsl/gsl_errno.h>

#define SUITES(X)                                                                                  \
    X(common)                                                                                      \
    X(scenario)                                                                                    \
    X(rules) X(manage) X(settle) X(rng) X(claims) X(drivers) X(plan) X(stats) X(qhist) X(engine)   \
        X(h5out) X(h5guard) X(jsonout) X(plot) X(report) X(summary) X(sweep) X(solve) X(pooling)   \
            X(fsio) X(fit)

#define DECLARE(name) void poolsim_test_##name(void) __attribute__((weak));
SUITES(DECLARE)
#undef DECLARE

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    if (CU_initialize_registry() != CUE_SUCCESS) return 1;
#define ADD(name)                                                                                  \
    if (poolsim_test_##name && (argc < 2 || strcmp(argv[1], #name) == 0)) poolsim_test_##name();
    SUITES(ADD)
#undef ADD
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* a suite whose fixture (init) fails counts as failed */
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
                      CU_get_number_of_suites_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return (failed == 0 && run > 0) ? 0 : 1;
}
