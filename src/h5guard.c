/* poolsim: reading results and sweep files in a child process, so that a
 * corrupt or crafted HDF5 file cannot crash, hang or exhaust the memory of
 * `plot`, `report`, `summary` and `compare` (docs/RESULTS.md "Reading").
 *
 * Why a child process: the readers (src/h5in.c, src/sweep_h5.c) check
 * every object's link kind, storage, type, rank, extent and string size
 * before reading it, but libhdf5 itself parses the file's metadata (object
 * headers, B-trees, heaps) and a crafted file can still crash it (abort in
 * free, segfault) or make it loop. No validator can be kept in step with
 * the library's own parser, so the read runs where a failure costs
 * nothing: a forked child with
 *   - RLIMIT_AS: its address space at fork plus 512 MiB for HDF5's own
 *     bookkeeping, raised by the size of the results once /years,
 *     /lines_index/ids and /counties/ids give T, L and C;
 *   - alarm() and RLIMIT_CPU: the read's time limit (60 s plus 1 s per MiB
 *     of file, or POOLSIM_READ_TIMEOUT seconds); the parent also stops
 *     waiting then and kills the child.
 * The child sends the parsed struct back over a pipe; the parent checks
 * every size again while it rebuilds it (the child's output is no more
 * trusted than the file). Every failure is POOLSIM_EIO (exit 3) with a
 * message naming the file: the child's own message for a refused file, or
 * the parent's for a crash, a time-out or the memory limit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hdf5.h>

#include "poolsim/common.h"
#include "poolsim/results.h"
#include "poolsim/schema.h"
#include "poolsim/sweep.h"

#include "h5guard.h"
#include "h5util.h"

#define META_BUDGET   ((size_t)512 << 20)   /* HDF5's own allocations in the child */
#define WIRE_MAGIC    0x706f6f6c73696d31ULL /* "poolsim1" */
#define WIRE_END      0x656e64656e64656eULL
#define MAX_T         1000
#define MAX_L         10000
#define MAX_C         100000
#define MAX_N         100000
#define MAX_K         1000
#define MAX_R         1000
#define STRING_BUDGET ((size_t)2 << 30) /* all strings of one file, parent side */
/* The child exits 0, or CHILD_STATUS + a POOLSIM_E* status (it printed the
 * reason); any other exit status is a failure of its own (a sanitizer's
 * report, an exit() inside a library). */
#define CHILD_STATUS 100

/* ---- the wire: one function per struct serves both directions ---------- */

typedef struct {
    FILE *w;                    /* writing (child), else reading (parent) */
    int fd;                     /* reading */
    struct timespec deadline;   /* reading */
    unsigned char buf[1 << 16]; /* reading */
    size_t pos, len;
    size_t strings; /* bytes of strings read so far */
    int err;        /* 0, or the first failure: */
    int timed_out;  /*   the deadline passed */
    int stopped;    /*   SIGINT or SIGTERM asked the process to stop */
} chan;

static double until(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(t->tv_sec - now.tv_sec) + 1e-9 * (double)(t->tv_nsec - now.tv_nsec);
}

static int fill(chan *c)
{
    for (;;) {
        if (poolsim_stop_signal) {
            c->stopped = 1;
            return -1;
        }
        double left = until(&c->deadline);
        if (left <= 0) {
            c->timed_out = 1;
            return -1;
        }
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        int ms = left > 1e6 ? 1000000000 : (int)(left * 1000.0) + 1;
        int k = poll(&p, 1, ms);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return -1;
        if (k == 0) continue;
        ssize_t n = read(c->fd, c->buf, sizeof c->buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        c->pos = 0;
        c->len = (size_t)n;
        return 0;
    }
}

static void xbytes(chan *c, void *p, size_t n)
{
    if (c->err) return;
    if (c->w) {
        if (n && fwrite(p, 1, n, c->w) != n) c->err = 1;
        return;
    }
    unsigned char *d = p;
    while (n) {
        if (c->pos == c->len && fill(c) < 0) {
            c->err = 1;
            return;
        }
        size_t k = c->len - c->pos < n ? c->len - c->pos : n;
        memcpy(d, c->buf + c->pos, k);
        c->pos += k;
        d += k;
        n -= k;
    }
}

static void xu64(chan *c, uint64_t *v)
{
    xbytes(c, v, sizeof *v);
}

/* An int within [lo, hi] (checked when reading). */
static void xint(chan *c, int *v, int lo, int hi)
{
    int64_t x = *v;
    xbytes(c, &x, sizeof x);
    if (!c->w && !c->err) {
        if (x < lo || x > hi)
            c->err = 1;
        else
            *v = (int)x;
    }
}

static void xdbl(chan *c, double *v, size_t n)
{
    xbytes(c, v, n * sizeof *v);
}

/* n ints, each within [lo, hi] when reading. */
static void xints(chan *c, int *v, size_t n, int lo, int hi)
{
    xbytes(c, v, n * sizeof *v);
    for (size_t i = 0; !c->w && !c->err && i < n; i++)
        if (v[i] < lo || v[i] > hi) c->err = 1;
}

/* A string (NULL allowed); reading allocates it. */
static void xstr(chan *c, char **s)
{
    uint64_t n = *s || !c->w ? 0 : UINT64_MAX;
    if (c->w && *s) n = strlen(*s);
    xu64(c, &n);
    if (c->err || n == UINT64_MAX) return;
    if (c->w) {
        xbytes(c, *s, (size_t)n);
        return;
    }
    if (n > POOLSIM_H5_MAX_STRING || n > STRING_BUDGET - c->strings) {
        c->err = 1;
        return;
    }
    c->strings += (size_t)n;
    char *d = malloc((size_t)n + 1);
    if (!d) {
        c->err = 1;
        return;
    }
    xbytes(c, d, (size_t)n);
    d[n] = '\0';
    if (strlen(d) != n) c->err = 1; /* no NUL inside */
    *s = d;
}

static void xstrs(chan *c, char **s, size_t n)
{
    for (size_t i = 0; i < n && !c->err; i++) xstr(c, &s[i]);
}

static void xmark(chan *c, uint64_t mark)
{
    uint64_t m = mark;
    xu64(c, &m);
    if (!c->w && !c->err && m != mark) c->err = 1;
}

/* ---- results -------------------------------------------------------------- */

static void x_results(chan *c, poolsim_results *r)
{
    char **str[] = {&r->scenario_name, &r->scenario_path,  &r->scenario_text, &r->resolved_text,
                    &r->lang,          &r->version,        &r->git_commit,    &r->build_info,
                    &r->start_time,    &r->quantile_method};
    for (size_t i = 0; i < sizeof str / sizeof *str; i++) xstr(c, str[i]);
    xdbl(c, &r->run_seconds, 1);
    uint64_t seed = r->seed;
    int64_t paths = r->paths;
    xu64(c, &seed);
    xbytes(c, &paths, sizeof paths);
    r->seed = seed;
    r->paths = (long)paths;
    xint(c, &r->threads, INT_MIN, INT_MAX);
    xint(c, &r->ranks, INT_MIN, INT_MAX);
    xint(c, &r->claims_noise, INT_MIN, INT_MAX);
    xints(c, r->years, (size_t)r->T, INT_MIN, INT_MAX);
    xstrs(c, r->line_ids, (size_t)r->L);
    xstrs(c, r->line_names, (size_t)r->L);
    xstrs(c, r->county_ids, (size_t)r->C);
    xstrs(c, r->county_names, (size_t)r->C);
    xstrs(c, r->rule_ids, (size_t)r->R);
    xints(c, r->rule_line, (size_t)r->R, 0, r->L - 1);
    xbytes(c, r->present, sizeof r->present);
    for (size_t i = 0; !c->w && i < sizeof r->present; i++)
        if (r->present[i] > 1) c->err = 1;
    poolsim_results_array a[POOLSIM_RESULTS_NARRAYS];
    int na = poolsim_results_arrays(r, a);
    for (int k = 0; k < na; k++) {
        uint64_t n = a[k].n;
        xu64(c, &n);
        if (!c->w && n != a[k].n) c->err = 1;
        xdbl(c, a[k].data, a[k].n);
    }
}

/* Bytes the results of these sizes take (an upper bound: every row of the
 * schema as a DIST of its shape, 9 doubles per element). */
static double results_bytes(double T, double L, double C, double R)
{
    double per = 9.0 * 8.0 * POOLSIM_SCHEMA_NROWS;
    return per * (L * (T + 1) + L * C * (T + 1) + C * (T + 1) + R * T) + 4.0 * T;
}

/* ---- sweep ----------------------------------------------------------------- */

static void x_paired(chan *c, poolsim_paired_arr *a, size_t n)
{
    double *v[] = {a->mean, a->se, a->lo, a->hi, a->se_unpaired, a->lo_unpaired, a->hi_unpaired};
    for (size_t k = 0; k < 7; k++) xdbl(c, v[k], n);
}

static void x_sweep(chan *c, poolsim_sweep_results *w)
{
    size_t N = (size_t)w->N, K = (size_t)w->K, T = (size_t)w->T, L = (size_t)w->L;
    size_t C = (size_t)w->C;
    xstr(c, &w->scenario_name);
    xstr(c, &w->scenario_path);
    xstr(c, &w->lang);
    uint64_t seed = w->seed;
    int64_t paths = w->paths;
    xu64(c, &seed);
    xbytes(c, &paths, sizeof paths);
    w->seed = seed;
    w->paths = (long)paths;
    for (size_t k = 0; k < K && !c->err; k++) {
        poolsim_sweep_lever *lv = &w->levers[k];
        xstr(c, &lv->key);
        int n = lv->n;
        xint(c, &n, 1, MAX_N);
        xint(c, &lv->numeric, 0, 1);
        if (c->err) break;
        if (!c->w) {
            lv->text = calloc((size_t)n, sizeof *lv->text);
            lv->value = lv->numeric ? calloc((size_t)n, sizeof *lv->value) : NULL;
            if (!lv->text || (lv->numeric && !lv->value)) {
                c->err = 1;
                break;
            }
            lv->n = n;
        }
        xstrs(c, lv->text, (size_t)n);
        if (lv->numeric) xdbl(c, lv->value, (size_t)n);
    }
    int nfixed = w->nfixed;
    xint(c, &nfixed, 0, MAX_N);
    if (!c->w && !c->err && nfixed) {
        if (!(w->fixed = calloc((size_t)nfixed, sizeof *w->fixed)))
            c->err = 1;
        else
            w->nfixed = nfixed;
    }
    if (!c->err) xstrs(c, w->fixed, (size_t)w->nfixed);
    xints(c, w->grid, N * K, 0, MAX_N);
    for (size_t i = 0; !c->w && !c->err && i < N * K; i++)
        if (w->grid[i] >= w->levers[i % K].n) c->err = 1;
    xints(c, w->years, T, INT_MIN, INT_MAX);
    xstrs(c, w->line_ids, L);
    xstrs(c, w->line_names, L);
    xstrs(c, w->county_ids, C);
    xstrs(c, w->county_names, C);
    xdbl(c, w->exh_prob, N * L * T);
    xdbl(c, w->exh_lo, N * L * T);
    xdbl(c, w->exh_hi, N * L * T);
    x_paired(c, &w->exh_diff, N * L);
    xdbl(c, w->burden_mean, N * L * C);
    xdbl(c, w->burden_se, N * L * C);
    xdbl(c, w->burden_p95, N * L * C);
    x_paired(c, &w->burden_diff, N * L * C);
}

static double sweep_bytes(double N, double K, double T, double L, double C)
{
    return 8.0 * (5.0 * N * L * T + 2.0 * N * T + 7.0 * N * L + 13.0 * N * L * C) + 4.0 * N * K;
}

/* ---- sizes before reading (child) ------------------------------------------- */

/* Extent of the 1-D dataset at `path` (one hard link per component), 0
 * when there is none. */
static double extent_of(hid_t file, const char *path)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", path);
    hid_t loc = file, d = H5I_INVALID_HID;
    double n = 0;
    char *save = NULL;
    for (char *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (poolsim_h5util_hard_link(loc, part)) break;
        hid_t o = H5Oopen(loc, part, H5P_DEFAULT);
        if (loc != file) H5Oclose(loc);
        loc = o;
        if (o < 0) break;
        if (H5Iget_type(o) == H5I_DATASET) {
            d = o;
            break;
        }
    }
    if (d >= 0) {
        hid_t sp = H5Dget_space(d);
        hsize_t dims[1];
        if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
            H5Sget_simple_extent_dims(sp, dims, NULL) == 1)
            n = (double)dims[0];
        if (sp >= 0) H5Sclose(sp);
    }
    if (loc >= 0 && loc != file) H5Oclose(loc);
    return n;
}

/* A numeric scalar attribute as a number, 0 when it is missing or not one
 * (an array attribute must not be read into one int). */
static double int_attr(hid_t loc, const char *name)
{
    int v = 0;
    poolsim_h5r rd = {.status = POOLSIM_OK};
    if (H5Aexists(loc, name) > 0) poolsim_h5r_attr_num(&rd, loc, name, H5T_NATIVE_INT, &v);
    return rd.status == POOLSIM_OK ? v : 0;
}

static double clamp(double x, double hi)
{
    return x < 0 ? 0 : x > hi ? hi : x;
}

/* Bytes the file's results will need once read: 0 when the sizes are not
 * readable (the reader then fails on its own, within the base budget). */
static double needed_bytes(const char *path, int sweep)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0) return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    double b;
    if (!sweep) {
        b = results_bytes(clamp(extent_of(f, "years"), MAX_T),
                          clamp(extent_of(f, "lines_index/ids"), MAX_L),
                          clamp(extent_of(f, "counties/ids"), MAX_C),
                          clamp(extent_of(f, "management_index/ids"), MAX_R));
    } else {
        double N = 0, K = 0;
        if (!poolsim_h5util_hard_link(f, "sweep")) {
            hid_t g = H5Gopen2(f, "sweep", H5P_DEFAULT);
            if (g >= 0) {
                N = int_attr(g, "points");
                K = int_attr(g, "levers");
                H5Gclose(g);
            }
        }
        b = sweep_bytes(clamp(N, MAX_N), clamp(K, MAX_K), clamp(extent_of(f, "sweep/years"), MAX_T),
                        clamp(extent_of(f, "sweep/line_ids"), MAX_L),
                        clamp(extent_of(f, "sweep/county_ids"), MAX_C));
    }
    H5Fclose(f);
    return b;
}

/* ---- the child ------------------------------------------------------------------ */

static size_t address_space(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1) pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

static void set_memory(size_t bytes)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0) return;
    if (rl.rlim_max != RLIM_INFINITY && bytes > rl.rlim_max) bytes = rl.rlim_max;
    rl.rlim_cur = bytes;
    setrlimit(RLIMIT_AS, &rl);
}

enum job { JOB_RESULTS, JOB_SWEEP, JOB_PRESENT, JOB_TEST };

static int (*test_job)(const char *path); /* JOB_TEST */

/* Status of the read; the results written to f. */
static int child_job(enum job job, const char *path, FILE *f, size_t base)
{
    if (job == JOB_PRESENT) return poolsim_sweep_h5_present(path) ? POOLSIM_OK : POOLSIM_EINPUT;
    if (job == JOB_TEST) return test_job(path);
    double need = needed_bytes(path, job == JOB_SWEEP);
    if (need > 0) set_memory(base + META_BUDGET + (size_t)(2.0 * need));
    chan c = {.w = f};
    int st;
    if (job == JOB_RESULTS) {
        poolsim_results *r = NULL;
        st = poolsim_h5in_read(path, &r);
        if (st) return st;
        uint64_t magic = WIRE_MAGIC;
        xu64(&c, &magic);
        xint(&c, &r->T, 0, MAX_T);
        xint(&c, &r->L, 0, MAX_L);
        xint(&c, &r->C, 0, MAX_C);
        xint(&c, &r->R, 0, MAX_R);
        x_results(&c, r);
        poolsim_results_free(r);
    } else {
        poolsim_sweep_results *w = NULL;
        st = poolsim_sweep_h5_read(path, &w);
        if (st) return st;
        uint64_t magic = WIRE_MAGIC;
        xu64(&c, &magic);
        int sz[] = {w->N, w->K, w->T, w->L, w->C};
        for (int i = 0; i < 5; i++) xint(&c, &sz[i], 0, INT_MAX);
        x_sweep(&c, w);
        poolsim_sweep_results_free(w);
    }
    xmark(&c, WIRE_END);
    return c.err || fflush(f) != 0 ? POOLSIM_EIO : POOLSIM_OK;
}

static void child_main(enum job job, const char *path, int fd, double seconds, pid_t parent)
{
    /* die with the parent (killed by a signal before it could kill us) */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(CHILD_STATUS + POOLSIM_EINTR);
    signal(SIGALRM, SIG_DFL);
    signal(SIGXCPU, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    size_t base = address_space();
    set_memory(base + META_BUDGET);
    struct rlimit cpu = {(rlim_t)seconds + 1, (rlim_t)seconds + 2};
    struct rlimit old;
    if (getrlimit(RLIMIT_CPU, &old) == 0 &&
        (old.rlim_max == RLIM_INFINITY || old.rlim_max > cpu.rlim_max))
        setrlimit(RLIMIT_CPU, &cpu);
    alarm((unsigned)seconds + 1);
    FILE *f = fdopen(fd, "w");
    int st = f ? child_job(job, path, f, base) : POOLSIM_ENOMEM;
    fflush(stderr);
    _exit(st == POOLSIM_OK ? 0 : CHILD_STATUS + st);
}

/* ---- the parent ------------------------------------------------------------------ */

/* Seconds the read of a file of `size` bytes may take. */
static double time_limit(off_t size)
{
    const char *e = getenv("POOLSIM_READ_TIMEOUT");
    char *end = NULL;
    double s = e && *e ? strtod(e, &end) : 0;
    if (e && *e && end && !*end && s > 0 && s < 1e6) return s;
    return 60.0 + (double)size / (1 << 20);
}

/* NULL when path is a regular file we can open (a FIFO or a device would
 * block or never end), with its size; otherwise why not. */
static const char *file_problem(const char *path, off_t *size)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return strerror(errno);
    struct stat st;
    int ok = fstat(fd, &st) == 0, err = errno;
    close(fd);
    if (!ok) return strerror(err);
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    *size = st.st_size;
    return NULL;
}

typedef struct {
    poolsim_results *r;
    poolsim_sweep_results *w;
} received;

static void parent_receive(enum job job, chan *c, received *got)
{
    uint64_t magic = 0;
    xu64(c, &magic);
    if (magic != WIRE_MAGIC) c->err = 1;
    if (c->err) return;
    if (job == JOB_RESULTS) {
        poolsim_dims d = {0, 0, 0, 0};
        xint(c, &d.T, 1, MAX_T);
        xint(c, &d.L, 1, MAX_L);
        xint(c, &d.C, 1, MAX_C);
        xint(c, &d.R, 0, MAX_R);
        if (c->err) return;
        if (!(got->r = poolsim_results_alloc_dims(&d))) {
            c->err = 1;
            return;
        }
        x_results(c, got->r);
    } else {
        int N = 0, K = 0, T = 0, L = 0, C = 0;
        xint(c, &N, 1, MAX_N);
        xint(c, &K, 1, MAX_K);
        xint(c, &T, 1, MAX_T);
        xint(c, &L, 1, MAX_L);
        xint(c, &C, 1, MAX_C);
        if (c->err) return;
        if (!(got->w = poolsim_sweep_results_alloc(N, K, T, L, C))) {
            c->err = 1;
            return;
        }
        x_sweep(c, got->w);
    }
    xmark(c, WIRE_END);
}

static const char *signame(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    default: return "a signal";
    }
}

/* Run `job` on path in a child; the results into got. */
static int guarded(enum job job, const char *path, received *got)
{
    off_t size = 0;
    const char *why = file_problem(path, &size);
    if (why) POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: %s", path, why);
    double seconds = time_limit(size);
    int fds[2];
    if (pipe(fds) != 0)
        POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: cannot create a pipe: %s", path,
                      strerror(errno));
    fflush(NULL);
    pid_t self = getpid(), pid = fork();
    if (pid < 0) {
        int err = errno;
        close(fds[0]);
        close(fds[1]);
        POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: cannot start the reader: %s", path,
                      strerror(err));
    }
    if (pid == 0) {
        close(fds[0]);
        child_main(job, path, fds[1], seconds, self);
    }
    close(fds[1]);
    chan *c = calloc(1, sizeof *c);
    if (c) {
        c->fd = fds[0];
        clock_gettime(CLOCK_MONOTONIC, &c->deadline);
        c->deadline.tv_sec += (time_t)seconds + 2;
        if (job == JOB_RESULTS || job == JOB_SWEEP)
            parent_receive(job, c, got);
        else if (fill(c) == 0) /* the child sends nothing: wait for its end */
            c->err = 1;
    }
    int bad = !c || c->err, timed_out = c && c->timed_out, stopped = c && c->stopped;
    if (bad) kill(pid, SIGKILL);
    free(c);
    close(fds[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && !bad) return POOLSIM_OK;
    poolsim_results_free(got->r);
    poolsim_sweep_results_free(got->w);
    got->r = NULL;
    got->w = NULL;
    int said = WIFEXITED(ws) ? WEXITSTATUS(ws) - CHILD_STATUS : -1; /* the child's status */
    if (said < POOLSIM_EINPUT || said > POOLSIM_ETOOL) said = -1;
    if (job == JOB_PRESENT) return said == POOLSIM_EINPUT ? POOLSIM_EINPUT : POOLSIM_EIO;
    if (stopped || (WIFSIGNALED(ws) && (WTERMSIG(ws) == SIGINT || WTERMSIG(ws) == SIGTERM)))
        return POOLSIM_EINTR;
    if (timed_out || (WIFSIGNALED(ws) && (WTERMSIG(ws) == SIGALRM || WTERMSIG(ws) == SIGXCPU)))
        POOLSIM_ERROR(POOLSIM_EIO,
                      "cannot read %s: reading it took longer than %.0f s (a corrupt or "
                      "hostile HDF5 file?)",
                      path, seconds);
    if (WIFSIGNALED(ws))
        POOLSIM_ERROR(POOLSIM_EIO,
                      "cannot read %s: the HDF5 library crashed reading it (%s): a corrupt or "
                      "hostile file",
                      path, signame(WTERMSIG(ws)));
    if (said == POOLSIM_ENOMEM)
        POOLSIM_ERROR(POOLSIM_EIO,
                      "cannot read %s: it needs more memory than its sizes allow (a corrupt or "
                      "hostile HDF5 file?)",
                      path);
    if (said > 0) return POOLSIM_EIO; /* the child said why */
    if (WIFEXITED(ws) && WEXITSTATUS(ws) != 0)
        POOLSIM_ERROR(POOLSIM_EIO,
                      "cannot read %s: the HDF5 library failed reading it (its process exited "
                      "with status %d): a corrupt or hostile file",
                      path, WEXITSTATUS(ws));
    POOLSIM_ERROR(POOLSIM_EIO, "cannot read %s: the reader's output is malformed", path);
}

int poolsim_h5guard_test(const char *path, int (*job)(const char *path))
{
    received got = {0};
    test_job = job;
    return guarded(JOB_TEST, path, &got);
}

int poolsim_results_read(const char *path, poolsim_results **out)
{
    received got = {0};
    int st = guarded(JOB_RESULTS, path, &got);
    *out = got.r;
    return st;
}

int poolsim_sweep_read(const char *path, poolsim_sweep_results **out)
{
    received got = {0};
    int st = guarded(JOB_SWEEP, path, &got);
    *out = got.w;
    return st;
}

int poolsim_sweep_present(const char *path)
{
    off_t size;
    if (file_problem(path, &size)) return 0;
    received got = {0};
    int st = guarded(JOB_PRESENT, path, &got);
    /* a crash or time-out: say present, so that poolsim_sweep_read runs and
     * reports it */
    return st != POOLSIM_EINPUT;
}
