/* poolsim: safe file output -- the one place every writer publishes a file.
 *
 * A file is built under a temporary name in its destination's folder,
 *   "<folder>/.<name>.tmp.<12 random characters>",
 * created exclusively (O_CREAT | O_EXCL | O_NOFOLLOW: a planted file or
 * link of that name makes creation fail and another random name is tried,
 * never followed), written, fsync'ed, renamed over the destination, and the
 * folder fsync'ed.
 *
 * A destination that exists and is not a regular file (a folder, a device
 * such as /dev/null, a FIFO, a socket, or a symbolic link to one of these)
 * is refused with a message and POOLSIM_EIO (exit 3) before anything is
 * written. A symbolic link to a regular file is replaced by the new file
 * (the file it pointed to is left as it was).
 *
 * Sets of files: between poolsim_fsio_begin and poolsim_fsio_commit, every
 * poolsim_fsio_write (and poolsim_results_write_atomic, which calls it)
 * only stages its file; commit renames the whole set at once, holding an
 * exclusive lock (flock) on each destination folder so that two poolsim
 * processes never interleave their sets, and with SIGINT/SIGTERM blocked.
 * Nothing is renamed unless every file of the set was written and synced.
 *
 * Interruption: after poolsim_fsio_set_stop(flag), a commit (of a single
 * file or of a set) that finds *flag set removes its temporaries, renames
 * nothing and returns POOLSIM_EINTR. The flag is checked with the signals
 * blocked, so a signal either stops the commit (no file) or arrives after
 * every rename of the set is done (complete files).
 */
#ifndef POOLSIM_FSIO_H
#define POOLSIM_FSIO_H

#include <signal.h>
#include <stddef.h>

/* POOLSIM_OK when `path` does not exist or is a regular file (or a link to
 * one); POOLSIM_EIO with "cannot write PATH: ..." otherwise. */
int poolsim_fsio_check_target(const char *path);

/* poolsim_fsio_check_target, then whether the folder accepts a new file
 * (creates and removes a temporary). For checks before a long run. */
int poolsim_fsio_check_writable(const char *path);

/* Create an empty temporary for `path` (see above), open for writing.
 * *tmp (malloc'ed) is its name, *fd its descriptor. POOLSIM_OK, or
 * POOLSIM_EIO/POOLSIM_ENOMEM with a message naming `path`. */
int poolsim_fsio_temp(const char *path, char **tmp /* OUT */, int *fd /* OUT */);

/* Publish the finished temporary `tmp` (made by poolsim_fsio_temp, closed
 * by the caller) under `path`: fsync, then rename (or stage it when a set
 * is open). On failure `tmp` is removed. The caller frees the name.
 * Writing into a live temporary (poolsim_fsio_write(tmp, ...), e.g. a
 * library that writes a file by name) replaces it at once, even in a set. */
int poolsim_fsio_publish(const char *tmp, const char *path);

/* Remove a temporary made by poolsim_fsio_temp without publishing it. */
void poolsim_fsio_discard(const char *tmp);

/* Write `n` bytes to `path` atomically (temporary, fsync, rename, folder
 * fsync), or stage them when a set is open. On failure nothing is created
 * or replaced under `path` and a message is printed. */
int poolsim_fsio_write(const char *path, const void *data, size_t n);

/* Open a set (see above). Sets nest: a begin/commit pair inside an open
 * set (a library function writing several files, called by a command
 * that writes more) joins the outer set; only the outermost commit
 * renames. */
int poolsim_fsio_begin(void);
/* Close the innermost set; the outermost renames every staged file. On
 * failure no file of the set is left under its final name (files renamed
 * before the failure are removed again), temporaries are removed. */
int poolsim_fsio_commit(void);
/* Remove the staged temporaries of the open set and close it; inside an
 * outer set, the outer set fails too (its commit returns POOLSIM_EIO). */
void poolsim_fsio_abort(void);

/* The flag checked before renaming (NULL: none). */
void poolsim_fsio_set_stop(volatile sig_atomic_t *flag);
/* 1 when that flag is set (a long step, e.g. an external tool, can stop). */
int poolsim_fsio_stopped(void);

#endif
