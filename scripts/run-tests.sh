#!/bin/sh
# Run every test: the CUnit suites, then the command-line tests in tests/cli/.
# Usage: scripts/run-tests.sh [BUILD_DIR]
set -u
build=${1:-build}
cd "$(dirname "$0")/.." || exit 1
passed=0
failed=0

echo "== CUnit suites"
if "$build/run_tests"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: CUnit suites"; fi

for t in tests/cli/*.sh; do
    [ -f "$t" ] || continue
    echo "== $t"
    if POOLSIM="$PWD/poolsim" BUILD="$build" sh "$t"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAILED: $t"
    fi
done

# The command-line tests again with the AddressSanitizer + UBSan build
# (make test builds build-asan/poolsim): any sanitizer report fails them.
# Skipped: the fresh clone (it builds its own binary), MPI (build-mpi), the
# fuzz smoke run and the allocation-failure loop (sanitized already).
if [ -x build-asan/poolsim ]; then
    for t in tests/cli/*.sh; do
        case "$t" in *fresh_clone.sh | *mpi.sh | *zz_fuzz_smoke.sh | *oom.sh) continue ;; esac
        echo "== $t (ASan+UBSan)"
        if POOLSIM="$PWD/build-asan/poolsim" BUILD="$build" \
            ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
            sh "$t"; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "FAILED: $t (ASan+UBSan)"
        fi
    done
fi
echo
echo "groups: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
