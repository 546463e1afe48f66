/* poolsim: provenance of a run (version, commit, build, start time), as
 * recorded in its results. */
#include "poolsim/provenance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <jansson.h>
#include <yaml.h>

#include "poolsim/common.h"

#ifndef POOLSIM_GIT_COMMIT
#define POOLSIM_GIT_COMMIT "unknown"
#endif
#ifndef POOLSIM_CFLAGS
#define POOLSIM_CFLAGS "unknown"
#endif

void poolsim_now_iso(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int poolsim_provenance_fill(poolsim_results *r, double run_seconds, const char *start_time)
{
    char build[1024];
    unsigned maj, min, rel;
    H5get_libversion(&maj, &min, &rel);
    snprintf(build, sizeof build,
             "compiler: gcc %s; flags: %s; GSL %s; HDF5 %u.%u.%u; jansson %s; libyaml %s",
             __VERSION__, POOLSIM_CFLAGS, GSL_VERSION, maj, min, rel, JANSSON_VERSION,
             yaml_get_version_string());
    free(r->version);
    free(r->git_commit);
    free(r->build_info);
    free(r->start_time);
    r->version = strdup(POOLSIM_VERSION);
    r->git_commit = strdup(POOLSIM_GIT_COMMIT);
    r->build_info = strdup(build);
    r->start_time = strdup(start_time);
    r->run_seconds = run_seconds;
    return (r->version && r->git_commit && r->build_info && r->start_time) ? POOLSIM_OK
                                                                           : POOLSIM_ENOMEM;
}
