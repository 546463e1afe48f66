/* poolsim: the in-process HDF5 readers that src/h5guard.c runs in a child
 * process (time and memory limits). Not installed. Call these only from
 * the guard (or from tests of the readers themselves): a crafted file can
 * crash or hang libhdf5 inside them. */
#ifndef POOLSIM_H5GUARD_H
#define POOLSIM_H5GUARD_H

#include "poolsim/results.h"
#include "poolsim/sweep.h"

/* src/h5in.c: poolsim_results_read without isolation. POOLSIM_OK,
 * POOLSIM_EIO, POOLSIM_EINPUT or POOLSIM_ENOMEM (message on stderr). */
int poolsim_h5in_read(const char *path, poolsim_results **out /* OUT */);

/* src/sweep_h5.c: poolsim_sweep_read and poolsim_sweep_present without
 * isolation. */
int poolsim_sweep_h5_read(const char *path, poolsim_sweep_results **out /* OUT */);
int poolsim_sweep_h5_present(const char *path);

/* For tests of the isolation itself: run job(path) in the child exactly as
 * a results read would run (limits, time-out, crash and memory reports),
 * for a regular file `path`. Returns what a failed read would. */
int poolsim_h5guard_test(const char *path, int (*job)(const char *path));

#endif
