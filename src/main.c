/* poolsim: entry point. */
#include <locale.h>

#include <gsl/gsl_errno.h>

#include "poolsim/cli.h"

int main(int argc, char **argv)
{
    /* numbers are always read and written with '.' as decimal point */
    setlocale(LC_ALL, "C");
    /* GSL must never abort the process: every return code is checked */
    gsl_set_error_handler_off();
    return poolsim_cli_main(argc, argv);
}
