/* poolsim: the summary JSON of MODEL.md section 7 (jansson). */
#ifndef POOLSIM_JSONOUT_H
#define POOLSIM_JSONOUT_H

#include "poolsim/results.h"

/* Build the summary JSON text (caller frees with free()); NULL on failure. */
char *poolsim_jsonout_text(const poolsim_results *r);

/* Write it to `path` atomically (temp name, fsync, rename). POOLSIM_EIO on
 * failure with a message naming the path. */
int poolsim_jsonout_write(const poolsim_results *r, const char *path);

#endif
