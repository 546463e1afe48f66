/* poolsim: HDF5 results files (layout documented in docs/RESULTS.md). */
#ifndef POOLSIM_H5OUT_H
#define POOLSIM_H5OUT_H

#include "poolsim/results.h"

/* Write r (and, when not NULL, the per-path datasets) to `path`
 * atomically: written under a temporary name in the same folder, closed,
 * fsync'ed, marked complete, renamed, folder fsync'ed. On failure nothing
 * is left under `path` or the temporary name; a message naming the path and
 * the reason is printed on stderr and POOLSIM_EIO returned. */
int poolsim_h5out_write(const poolsim_results *r, const poolsim_saved_paths *paths,
                        const char *path);

#endif
