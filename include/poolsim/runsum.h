/* poolsim: the one-screen summary `poolsim run` prints after a run, in the
 * scenario's language (`lang`: en or zh). */
#ifndef POOLSIM_RUNSUM_H
#define POOLSIM_RUNSUM_H

#include <stdio.h>

#include "poolsim/results.h"

/* Print the summary of r to f; lang is enum poolsim_lang (plot.h). */
void poolsim_runsum_print(const poolsim_results *r, int lang, FILE *f);

#endif
