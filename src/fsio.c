/* poolsim: safe file output (see include/poolsim/fsio.h). */
#define _GNU_SOURCE /* getrandom */
#include "poolsim/fsio.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "poolsim/common.h"

static volatile sig_atomic_t *stop_flag;

/* Temporaries handed out by poolsim_fsio_temp and not yet published or
 * discarded: writing into one of them is not publishing (never staged). */
static struct {
    int n, cap;
    char **name;
} live;

static int live_find(const char *name)
{
    for (int i = 0; i < live.n; i++)
        if (strcmp(live.name[i], name) == 0) return i;
    return -1;
}

static void live_drop(const char *name)
{
    int i = live_find(name);
    if (i < 0) return;
    free(live.name[i]);
    live.name[i] = live.name[--live.n];
    if (live.n == 0) {
        free(live.name);
        live.name = NULL;
        live.cap = 0;
    }
}

static int live_add(const char *name)
{
    if (live.n == live.cap) {
        int cap = live.cap ? 2 * live.cap : 4;
        char **v = realloc(live.name, (size_t)cap * sizeof *v);
        if (!v) return -1;
        live.name = v;
        live.cap = cap;
    }
    size_t k = strlen(name) + 1;
    if (!(live.name[live.n] = malloc(k))) return -1;
    memcpy(live.name[live.n++], name, k);
    return 0;
}

void poolsim_fsio_discard(const char *tmp)
{
    unlink(tmp);
    live_drop(tmp);
}

void poolsim_fsio_set_stop(volatile sig_atomic_t *flag)
{
    stop_flag = flag;
}

int poolsim_fsio_stopped(void)
{
    return stop_flag && *stop_flag;
}

/* The folder holding `path` ("." for a bare name, "/" for "/x"). */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t k = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(k + 1);
    if (d) {
        memcpy(d, path, k);
        d[k] = '\0';
    }
    return d;
}

static const char *reason_not_regular(mode_t m)
{
    if (S_ISDIR(m)) return "a folder";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

int poolsim_fsio_check_target(const char *path)
{
    struct stat sb, lb;
    if (*path == '\0') POOLSIM_ERROR(POOLSIM_EIO, "cannot write an empty file name");
    if (stat(path, &sb) == 0) {
        if (S_ISREG(sb.st_mode)) return POOLSIM_OK;
        int link = lstat(path, &lb) == 0 && S_ISLNK(lb.st_mode);
        POOLSIM_ERROR(POOLSIM_EIO,
                      "cannot write %s: it exists and is %s%s; poolsim replaces only regular "
                      "files (remove it or choose another name)",
                      path, link ? "a symbolic link to " : "", reason_not_regular(sb.st_mode));
    }
    /* a name that ends in '/' names a folder even when it does not exist */
    size_t n = strlen(path);
    if (path[n - 1] == '/')
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: it names a folder, not a file", path);
    return POOLSIM_OK;
}

/* 12 characters of [A-Za-z0-9] from the kernel's random source (the clock
 * and a counter when it is unavailable: the exclusive creation, not the
 * name, is what makes the temporary safe). */
static void random_tag(char *out /* 13 bytes */)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static uint64_t counter;
    unsigned char b[12];
    if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
                     ((uint64_t)getpid() << 17) ^ (++counter * 0x9E3779B97F4A7C15u);
        for (size_t i = 0; i < sizeof b; i++) {
            x ^= x >> 31, x *= 0xBF58476D1CE4E5B9u, x ^= x >> 29;
            b[i] = (unsigned char)x;
        }
    }
    for (size_t i = 0; i < sizeof b; i++) out[i] = abc[b[i] % 62];
    out[12] = '\0';
}

int poolsim_fsio_temp(const char *path, char **tmp, int *fd)
{
    *tmp = NULL;
    *fd = -1;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t blen = strlen(base);
    if (blen > 200) blen = 200; /* keep ".<base>.tmp.<tag>" under NAME_MAX */
    size_t n = dlen + blen + 32;
    char *name = malloc(n);
    if (!name) POOLSIM_ERROR(POOLSIM_ENOMEM, "cannot write %s: out of memory", path);
    int err = EEXIST;
    for (int attempt = 0; attempt < 100 && err == EEXIST; attempt++) {
        char tag[13];
        random_tag(tag);
        snprintf(name, n, "%.*s.%.*s.tmp.%s", (int)dlen, path, (int)blen, base, tag);
        int f = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (f >= 0 && live_add(name) != 0) {
            close(f);
            unlink(name);
            free(name);
            POOLSIM_ERROR(POOLSIM_ENOMEM, "cannot write %s: out of memory", path);
        }
        if (f >= 0) {
            *tmp = name;
            *fd = f;
            return POOLSIM_OK;
        }
        err = errno;
    }
    free(name);
    POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: %s", path, strerror(err));
}

int poolsim_fsio_check_writable(const char *path)
{
    int st = poolsim_fsio_check_target(path);
    if (st) return st;
    char *tmp;
    int fd;
    st = poolsim_fsio_temp(path, &tmp, &fd);
    if (st) return st;
    close(fd);
    poolsim_fsio_discard(tmp);
    free(tmp);
    return POOLSIM_OK;
}

/* ---- committing a set ---- */

/* The open set: depth counts nested begin calls (a library function may
 * open a set inside a command's); only the outermost commit renames. */
static struct {
    int depth, failed, n, cap;
    char **tmp, **final;
} set;

typedef struct {
    int fd;
    dev_t dev;
    ino_t ino;
} folder;

/* Open and lock the folders of final[0..n-1], each once, in (dev, ino)
 * order so that two processes cannot deadlock. Returns the count, or -1
 * with *err set. */
static int lock_folders(char *const *final, int n, folder *fo, int *err, const char **which)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        char *d = folder_of(final[i]);
        if (!d) {
            *err = ENOMEM, *which = final[i];
            goto fail;
        }
        int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        free(d);
        struct stat sb;
        if (fd < 0 || fstat(fd, &sb) != 0) {
            *err = errno, *which = final[i];
            if (fd >= 0) close(fd);
            goto fail;
        }
        int dup = 0;
        for (int j = 0; j < k && !dup; j++) dup = fo[j].dev == sb.st_dev && fo[j].ino == sb.st_ino;
        if (dup) {
            close(fd);
            continue;
        }
        /* insertion in (dev, ino) order */
        int j = k++;
        while (j > 0 && (fo[j - 1].dev > sb.st_dev ||
                         (fo[j - 1].dev == sb.st_dev && fo[j - 1].ino > sb.st_ino))) {
            fo[j] = fo[j - 1];
            j--;
        }
        fo[j] = (folder){fd, sb.st_dev, sb.st_ino};
    }
    for (int j = 0; j < k; j++)
        /* file systems without flock (some network ones) are written unlocked */
        while (flock(fo[j].fd, LOCK_EX) != 0 && errno == EINTR) {
        }
    return k;
fail:
    for (int j = 0; j < k; j++) close(fo[j].fd);
    return -1;
}

static int commit(char *const *tmp, char *const *final, int n)
{
    int st = POOLSIM_OK;
    for (int i = 0; i < n && !st; i++) st = poolsim_fsio_check_target(final[i]);
    if (st) {
        for (int i = 0; i < n; i++) unlink(tmp[i]);
        return st;
    }
    folder *fo = malloc((size_t)(n > 0 ? n : 1) * sizeof *fo);
    if (!fo) {
        for (int i = 0; i < n; i++) unlink(tmp[i]);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "cannot write %s: out of memory", n ? final[0] : "");
    }
    int err = 0;
    const char *which = n ? final[0] : "";
    int nf = lock_folders(final, n, fo, &err, &which);
    if (nf < 0) {
        free(fo);
        for (int i = 0; i < n; i++) unlink(tmp[i]);
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: opening its folder: %s", which, strerror(err));
    }
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old);
    int done = 0;
    const char *step = "";
    if (stop_flag && *stop_flag) {
        st = POOLSIM_EINTR;
    } else {
        for (; done < n; done++)
            if (rename(tmp[done], final[done]) != 0) {
                err = errno, which = final[done], step = "renaming the temporary file";
                st = POOLSIM_EIO;
                break;
            }
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    for (int j = 0; j < nf && !st; j++)
        if (fsync(fo[j].fd) != 0 && errno != EINVAL && errno != ENOTSUP) {
            err = errno, step = "syncing its folder";
            st = POOLSIM_EIO;
        }
    if (st) {
        /* no file of the set stays: a partial set is worse than none */
        for (int i = 0; i < done; i++) unlink(final[i]);
        for (int i = done; i < n; i++) unlink(tmp[i]);
    }
    for (int j = 0; j < nf; j++) close(fo[j].fd); /* releases the locks */
    free(fo);
    if (st == POOLSIM_EIO) {
        poolsim_error_report(__FILE__, __LINE__, "cannot write %s: %s: %s", which, step,
                             strerror(err));
        if (n > 1)
            poolsim_error_report(__FILE__, __LINE__,
                                 "none of the %d files written together was kept", n);
    }
    return st;
}

static int stage(const char *tmp, const char *path)
{
    if (set.n == set.cap) {
        int cap = set.cap ? 2 * set.cap : 8;
        char **t = realloc(set.tmp, (size_t)cap * sizeof *t);
        if (t) set.tmp = t;
        char **f = t ? realloc(set.final, (size_t)cap * sizeof *f) : NULL;
        if (f) set.final = f;
        if (!t || !f) POOLSIM_ERROR(POOLSIM_ENOMEM, "cannot write %s: out of memory", path);
        set.cap = cap;
    }
    char *t = strdup(tmp), *f = strdup(path);
    if (!t || !f) {
        free(t);
        free(f);
        POOLSIM_ERROR(POOLSIM_ENOMEM, "cannot write %s: out of memory", path);
    }
    set.tmp[set.n] = t;
    set.final[set.n++] = f;
    return POOLSIM_OK;
}

/* `tmp` is complete and synced: rename it, or stage it in the open set. */
static int publish_synced(const char *tmp, const char *path)
{
    if (set.depth > 0 && live_find(path) < 0) {
        int st = stage(tmp, path);
        if (st) unlink(tmp);
        return st;
    }
    char *t = (char *)tmp, *f = (char *)path;
    return commit(&t, &f, 1);
}

int poolsim_fsio_publish(const char *tmp, const char *path)
{
    live_drop(tmp);
    int fd = open(tmp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0 && fsync(fd) != 0) err = errno;
    if (fd >= 0 && close(fd) != 0 && !err) err = errno;
    if (err) {
        unlink(tmp);
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: syncing: %s", path, strerror(err));
    }
    return publish_synced(tmp, path);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int poolsim_fsio_write(const char *path, const void *data, size_t n)
{
    int st = poolsim_fsio_check_target(path);
    if (st) return st;
    char *tmp;
    int fd;
    st = poolsim_fsio_temp(path, &tmp, &fd);
    if (st) return st;
    int err;
    const char *step = "writing";
    if ((err = write_all(fd, data, n)) == 0 && fsync(fd) != 0) err = errno, step = "syncing";
    if (close(fd) != 0 && !err) err = errno, step = "closing";
    if (err) {
        unlink(tmp);
        free(tmp);
        POOLSIM_ERROR(POOLSIM_EIO, "cannot write %s: %s: %s", path, step, strerror(err));
    }
    st = publish_synced(tmp, path);
    free(tmp);
    return st;
}

static void set_clear(void)
{
    for (int i = 0; i < set.n; i++) {
        free(set.tmp[i]);
        free(set.final[i]);
    }
    free(set.tmp);
    free(set.final);
    set.tmp = set.final = NULL;
    set.n = set.cap = 0;
}

int poolsim_fsio_begin(void)
{
    if (set.depth++ == 0) {
        set_clear();
        set.failed = 0;
    }
    return POOLSIM_OK;
}

int poolsim_fsio_commit(void)
{
    if (set.depth == 0) POOLSIM_ERROR(POOLSIM_EIO, "internal error: no set of files is open");
    if (--set.depth > 0) return set.failed ? POOLSIM_EIO : POOLSIM_OK;
    int st = set.failed ? POOLSIM_EIO : POOLSIM_OK;
    /* the same destination twice in one set would keep only the last */
    for (int i = 0; i < set.n && !st; i++)
        for (int j = 0; j < i && !st; j++)
            if (strcmp(set.final[i], set.final[j]) == 0) {
                poolsim_error_report(__FILE__, __LINE__,
                                     "cannot write %s twice in one set of files", set.final[i]);
                st = POOLSIM_EIO;
            }
    if (st)
        for (int i = 0; i < set.n; i++) unlink(set.tmp[i]);
    else
        st = commit(set.tmp, set.final, set.n);
    set_clear();
    return st;
}

void poolsim_fsio_abort(void)
{
    if (set.depth == 0) return;
    for (int i = 0; i < set.n; i++) unlink(set.tmp[i]);
    set_clear();
    /* an inner failure fails the whole set */
    if (--set.depth > 0) set.failed = 1;
}
