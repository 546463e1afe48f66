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
echo
echo "groups: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
