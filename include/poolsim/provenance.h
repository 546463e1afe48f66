/* poolsim: provenance of a run, recorded in its results (RELIABILITY:
 * "version" includes compiler flags and library versions). */
#ifndef POOLSIM_PROVENANCE_H
#define POOLSIM_PROVENANCE_H

#include <stddef.h>

#include "poolsim/results.h"

/* Fill r's version, git commit, build info (compiler, flags, GSL, HDF5,
 * jansson, libyaml versions), start time and run seconds. POOLSIM_OK or
 * POOLSIM_ENOMEM. */
int poolsim_provenance_fill(poolsim_results *r, double run_seconds, const char *start_time);
/* Current UTC time as ISO 8601 into buf (>= 32 bytes). */
void poolsim_now_iso(char *buf, size_t n);

#endif
