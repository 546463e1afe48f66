/* poolsim: entry point. */
#include <locale.h>

#include <gsl/gsl_errno.h>

#include "poolsim/cli.h"
#include "poolsim/mpi.h"

int main(int argc, char **argv)
{
    /* numbers are always read and written with '.' as decimal point */
    setlocale(LC_ALL, "C");
    /* GSL must never abort the process: every return code is checked */
    gsl_set_error_handler_off();
    if (poolsim_mpi_init(&argc, &argv) != 0) return 1;
    int rc = poolsim_cli_main(argc, argv);
    poolsim_mpi_finalize();
    return rc;
}
