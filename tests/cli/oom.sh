#!/bin/sh
# Allocation-failure injection (tests/oom/oom_tests.c): the scenario
# loader, the flows reader and the HDF5, JSON, summary CSV and settle CSV
# writers with their 1st, 2nd, ... allocation failing; each failure must be
# a clear error (status and message), leave no file and leak nothing. Runs
# the AddressSanitizer build (build-asan/oom_tests: LeakSanitizer checks
# after every run) when make test has built it, else $BUILD/oom_tests.
set -u
build=${BUILD:-build}
bin=build-asan/oom_tests
[ -x "$bin" ] || bin=$build/oom_tests
if [ ! -x "$bin" ]; then
    echo "oom.sh: no oom_tests binary (make test builds build-asan/oom_tests)" >&2
    exit 1
fi
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$bin"
