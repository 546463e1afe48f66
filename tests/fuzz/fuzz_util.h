/* poolsim fuzz targets (libFuzzer): shared helpers. Each target writes the
 * input where the code under test reads it (a private folder made once per
 * process) and checks that the parser returns a status and frees what it
 * made; AddressSanitizer, UBSan and LeakSanitizer report the rest. Built
 * and run by `make fuzz` (scripts/fuzz.sh). */
#ifndef POOLSIM_FUZZ_UTIL_H
#define POOLSIM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A private folder for this process's files, under $TMPDIR (scripts/fuzz.sh
 * points it into its own work folder, removed at the end) or /tmp. */
static inline const char *fuzz_dir(void)
{
    static char dir[512];
    if (!dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/poolsim-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(dir)) abort();
    }
    return dir;
}

/* Write data[size] to <fuzz_dir>/name; the path in out[n]. */
static inline void fuzz_write(const char *name, const uint8_t *data, size_t size, char *out,
                              size_t n)
{
    snprintf(out, n, "%s/%s", fuzz_dir(), name);
    FILE *f = fopen(out, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) abort();
}

/* Where diagnostics go (they are expected: most inputs are invalid). */
static inline FILE *fuzz_null(void)
{
    static FILE *f;
    if (!f && !(f = fopen("/dev/null", "w"))) abort();
    return f;
}

#endif
