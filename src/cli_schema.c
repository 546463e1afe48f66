/* poolsim: `poolsim schema`, the list of every output of a run. */
#include <stdio.h>
#include <string.h>

#include "poolsim/cli.h"
#include "poolsim/common.h"
#include "poolsim/schema.h"

int poolsim_cmd_schema(int argc, char **argv)
{
    int markdown = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--markdown")) {
            markdown = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            puts("usage: poolsim schema [--markdown]\n"
                 "\n"
                 "Lists every output of `poolsim run`: its HDF5 members and JSON keys, how the\n"
                 "paths are summarised, its shape, units and meaning (docs/RESULTS.md).\n"
                 "--markdown prints the table of docs/RESULTS.md.");
            return POOLSIM_EXIT_OK;
        } else {
            fprintf(stderr, "poolsim: schema: unknown option '%s' (expected --markdown)\n",
                    argv[i]);
            return POOLSIM_EXIT_INPUT;
        }
    }
    if (markdown) {
        poolsim_schema_markdown(stdout);
        return POOLSIM_EXIT_OK;
    }
    for (int row = 0; row < POOLSIM_SCHEMA_NROWS; row++) {
        const poolsim_schema_row *w = &poolsim_schema[row];
        printf("%-26s %-4s %-10s %-6s %s\n", w->name, poolsim_schema_kind_name(w->kind),
               poolsim_schema_shape_name(w->shape), w->units, w->description);
    }
    return POOLSIM_EXIT_OK;
}
