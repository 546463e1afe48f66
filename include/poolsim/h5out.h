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

/* ---- The file's skeleton, built while the paths run ----
 * Most of a results file's cost is creating its objects (about 1,100
 * datasets with their attributes, 300 groups), which depend only on the
 * results' metadata. poolsim_h5out_build builds the whole file in memory
 * from a frame (results whose metadata is what the run will give:
 * poolsim_engine_frame), with placeholders in place of the values of the
 * schema rows and of run_seconds; `run` has one of the engine's threads
 * call it while the others start on the paths (poolsim_engine_opts.side).
 * poolsim_h5out_finish checks that the results' metadata (everything the
 * file holds but those values) is the frame's, copies the values over the
 * placeholders and publishes the file as poolsim_h5out_write would. When
 * the metadata differ, the skeleton was not built or failed, or there are
 * per-path values (their datasets are compressed), the file is built the
 * old way: the file is always poolsim_h5out_write's, byte for byte.
 *
 * HDF5 here is not thread-safe: while poolsim_h5out_build runs no other
 * thread may call HDF5, nor touch the frame, which must live until finish
 * or discard. Nothing is printed before finish. */
typedef struct poolsim_h5out_skeleton poolsim_h5out_skeleton;
/* prepare (may be NULL): run first by poolsim_h5out_build, to complete
 * the frame (provenance: it may call HDF5); not POOLSIM_OK: no skeleton. */
typedef int (*poolsim_h5out_prepare_fn)(poolsim_results *frame, void *arg);
/* A skeleton to build from frame; NULL when out of memory (finish then
 * writes the old way). */
poolsim_h5out_skeleton *poolsim_h5out_begin(poolsim_results *frame,
                                            poolsim_h5out_prepare_fn prepare, void *arg);
/* Build the skeleton (a poolsim_h5out_skeleton *; NULL: nothing); only the
 * first call does anything. */
void poolsim_h5out_build(void *skeleton);
/* poolsim_h5out_write of r and paths to `path`, using k (NULL: none) when
 * it can; k is released either way. *used (when not NULL): 1 when the
 * skeleton was used, 0 when the file was built the old way. */
int poolsim_h5out_finish(poolsim_h5out_skeleton *k, const poolsim_results *r,
                         const poolsim_saved_paths *paths, const char *path, int *used /* OUT */);
/* Release k (NULL: nothing) without writing anything. */
void poolsim_h5out_discard(poolsim_h5out_skeleton *k);

#endif
