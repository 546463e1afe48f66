/* Tests of src/fsio.c: exclusive temporaries, refused destinations, sets of
 * files, interruption before the rename (issue 12 items 1, 3, 6). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CUnit/CUnit.h>

#include "poolsim/common.h"
#include "poolsim/fsio.h"
#include "poolsim/output.h"
#include "test_util.h"

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* 1 when `path` holds exactly `text` */
static int holds(const char *path, const char *text)
{
    char *d = poolsim_output_read_file(path, NULL);
    int ok = d && strcmp(d, text) == 0;
    free(d);
    return ok;
}

/* The old writers opened "<dir>/.<base>.tmp.<pid>" following links: a link
 * planted there redirected the write into any file the user could write. */
static void test_planted_link(void)
{
    char dir[300], path[400], victim[400], trap[400];
    testutil_scratch_dir(dir, sizeof dir, "fsio");
    snprintf(path, sizeof path, "%s/out.h5", dir);
    snprintf(victim, sizeof victim, "%s/victim", dir);
    snprintf(trap, sizeof trap, "%s/.out.h5.tmp.%ld", dir, (long)getpid());
    put(victim, "precious");
    CU_ASSERT_EQUAL_FATAL(symlink(victim, trap), 0);
    CU_ASSERT_EQUAL(poolsim_fsio_write(path, "new", 3), POOLSIM_OK);
    CU_ASSERT(holds(victim, "precious"));
    CU_ASSERT(holds(path, "new"));
    struct stat sb;
    CU_ASSERT(lstat(trap, &sb) == 0 && S_ISLNK(sb.st_mode)); /* not used, not removed */
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 3);

    /* the temporary is created exclusively, never through a link, and its
     * name is not predictable: two temporaries differ in 12 random places */
    char *t1, *t2;
    int f1, f2;
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_temp(path, &t1, &f1), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_temp(path, &t2, &f2), POOLSIM_OK);
    CU_ASSERT_STRING_NOT_EQUAL(t1, t2);
    size_t n = strlen(dir) + strlen("/.out.h5.tmp.") + 12;
    CU_ASSERT_EQUAL(strlen(t1), n);
    CU_ASSERT_EQUAL(strncmp(t1, trap, strlen(dir) + strlen("/.out.h5.tmp.")), 0);
    CU_ASSERT(lstat(t1, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0);
    close(f1);
    close(f2);
    poolsim_fsio_discard(t1);
    poolsim_fsio_discard(t2);
    CU_ASSERT_EQUAL(access(t1, F_OK), -1);
    free(t1);
    free(t2);
    testutil_rm_tree(dir);
}

/* A destination that exists and is not a regular file is refused: EIO,
 * a message naming it, and it is left as it was. */
static void test_refused_targets(void)
{
    char dir[300], p[400], d2[400];
    testutil_scratch_dir(dir, sizeof dir, "fsio");
    struct {
        const char *name, *what;
    } c[] = {{"fifo", "a FIFO"},
             {"folder", "a folder"},
             {"link-to-folder", "a symbolic link to a folder"},
             {"link-to-fifo", "a symbolic link to a FIFO"},
             {"null", "a device"}};
    snprintf(p, sizeof p, "%s/fifo", dir);
    CU_ASSERT_EQUAL_FATAL(mkfifo(p, 0600), 0);
    snprintf(d2, sizeof d2, "%s/folder", dir);
    CU_ASSERT_EQUAL_FATAL(mkdir(d2, 0700), 0);
    snprintf(p, sizeof p, "%s/link-to-folder", dir);
    CU_ASSERT_EQUAL_FATAL(symlink(d2, p), 0);
    snprintf(p, sizeof p, "%s/link-to-fifo", dir);
    CU_ASSERT_EQUAL_FATAL(symlink("fifo", p), 0);
    snprintf(p, sizeof p, "%s/null", dir);
    CU_ASSERT_EQUAL_FATAL(symlink("/dev/null", p), 0);
    c[4].what = "a symbolic link to a device";
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, c[i].name);
        for (int k = 0; k < 2; k++) {
            testutil_stderr_begin();
            int st = k ? poolsim_fsio_check_writable(p) : poolsim_fsio_write(p, "x", 1);
            char *msg = testutil_stderr_end();
            CU_ASSERT_EQUAL(st, POOLSIM_EIO);
            char want[600];
            snprintf(want, sizeof want,
                     "poolsim: cannot write %s: it exists and is %s; poolsim replaces only "
                     "regular files (remove it or choose another name)\n",
                     p, c[i].what);
            CU_ASSERT_STRING_EQUAL(msg, want);
            free(msg);
        }
    }
    /* all still what they were, no temporary left */
    struct stat sb;
    snprintf(p, sizeof p, "%s/fifo", dir);
    CU_ASSERT(lstat(p, &sb) == 0 && S_ISFIFO(sb.st_mode));
    CU_ASSERT(lstat(d2, &sb) == 0 && S_ISDIR(sb.st_mode));
    CU_ASSERT_EQUAL(testutil_count_entries(d2), 0);
    CU_ASSERT(stat("/dev/null", &sb) == 0 && S_ISCHR(sb.st_mode));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 5);

    /* a link to a regular file: the link is replaced, its file kept */
    char victim[400];
    snprintf(victim, sizeof victim, "%s/victim", dir);
    put(victim, "old");
    snprintf(p, sizeof p, "%s/link-to-file", dir);
    CU_ASSERT_EQUAL_FATAL(symlink("victim", p), 0);
    CU_ASSERT_EQUAL(poolsim_fsio_write(p, "new", 3), POOLSIM_OK);
    CU_ASSERT(lstat(p, &sb) == 0 && S_ISREG(sb.st_mode));
    CU_ASSERT(holds(p, "new"));
    CU_ASSERT(holds(victim, "old"));
    testutil_rm_tree(dir);
}

static void test_sets(void)
{
    char dir[300], a[400], b[400];
    testutil_scratch_dir(dir, sizeof dir, "fsio");
    snprintf(a, sizeof a, "%s/a.h5", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    put(a, "old a");
    put(b, "old b");

    /* staged files are not visible until the commit */
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_begin(), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "new a", 5), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(b, "new b", 5), POOLSIM_OK);
    CU_ASSERT(holds(a, "old a"));
    CU_ASSERT(holds(b, "old b"));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 4);
    CU_ASSERT_EQUAL(poolsim_fsio_commit(), POOLSIM_OK);
    CU_ASSERT(holds(a, "new a"));
    CU_ASSERT(holds(b, "new b"));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 2);

    /* the second file fails (its destination became a folder): the set
     * is abandoned, the first file keeps its old content */
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_begin(), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "newer a", 7), POOLSIM_OK);
    unlink(b);
    CU_ASSERT_EQUAL_FATAL(mkdir(b, 0700), 0);
    testutil_stderr_begin();
    CU_ASSERT_EQUAL(poolsim_fsio_write(b, "newer b", 7), POOLSIM_EIO);
    free(testutil_stderr_end());
    poolsim_fsio_abort();
    CU_ASSERT(holds(a, "new a"));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 2);

    /* a destination that turns into a folder between staging and commit:
     * no file of the set is renamed */
    rmdir(b);
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_begin(), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "newer a", 7), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(b, "newer b", 7), POOLSIM_OK);
    CU_ASSERT_EQUAL_FATAL(mkdir(b, 0700), 0);
    testutil_stderr_begin();
    CU_ASSERT_EQUAL(poolsim_fsio_commit(), POOLSIM_EIO);
    free(testutil_stderr_end());
    CU_ASSERT(holds(a, "new a"));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 2);
    rmdir(b);

    /* the same destination twice in a set is refused */
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_begin(), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "x", 1), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "y", 1), POOLSIM_OK);
    testutil_stderr_begin();
    CU_ASSERT_EQUAL(poolsim_fsio_commit(), POOLSIM_EIO);
    free(testutil_stderr_end());
    CU_ASSERT(holds(a, "new a"));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 1);

    /* a live temporary written by name is replaced at once, even in a set */
    char *t;
    int fd;
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_temp(a, &t, &fd), POOLSIM_OK);
    close(fd);
    CU_ASSERT_EQUAL_FATAL(poolsim_fsio_begin(), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(t, "inner", 5), POOLSIM_OK);
    CU_ASSERT(holds(t, "inner"));
    CU_ASSERT_EQUAL(poolsim_fsio_publish(t, a), POOLSIM_OK);
    CU_ASSERT(holds(a, "new a"));
    CU_ASSERT_EQUAL(poolsim_fsio_commit(), POOLSIM_OK);
    CU_ASSERT(holds(a, "inner"));
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 1);
    free(t);
    testutil_rm_tree(dir);
}

/* A stop flag set before the commit: nothing renamed, temporaries gone,
 * POOLSIM_EINTR; a signal arriving during the renames waits for them. */
static void test_stop(void)
{
    static volatile sig_atomic_t stop;
    char dir[300], a[400], b[400];
    testutil_scratch_dir(dir, sizeof dir, "fsio");
    snprintf(a, sizeof a, "%s/a.h5", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    put(a, "old a");
    poolsim_fsio_set_stop(&stop);
    stop = SIGTERM;
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "new a", 5), POOLSIM_EINTR);
    CU_ASSERT(holds(a, "old a"));
    CU_ASSERT_EQUAL(poolsim_fsio_begin(), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "new a", 5), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_write(b, "new b", 5), POOLSIM_OK);
    CU_ASSERT_EQUAL(poolsim_fsio_commit(), POOLSIM_EINTR);
    CU_ASSERT(holds(a, "old a"));
    CU_ASSERT_EQUAL(access(b, F_OK), -1);
    CU_ASSERT_EQUAL(testutil_count_entries(dir), 1);
    stop = 0;
    CU_ASSERT_EQUAL(poolsim_fsio_write(a, "new a", 5), POOLSIM_OK);
    CU_ASSERT(holds(a, "new a"));
    poolsim_fsio_set_stop(NULL);
    testutil_rm_tree(dir);
}

void poolsim_test_fsio(void)
{
    CU_pSuite s = CU_add_suite("fsio", NULL, NULL);
    CU_add_test(s, "planted link at the old temporary name", test_planted_link);
    CU_add_test(s, "destinations that are not regular files", test_refused_targets);
    CU_add_test(s, "sets of files", test_sets);
    CU_add_test(s, "stop flag before the rename", test_stop);
}
