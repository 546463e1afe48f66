#!/bin/sh
# A short run (10 s each) of the libFuzzer targets of tests/fuzz/ (scenario,
# counties CSV, flows CSV, results file), built by `make test` into
# build-fuzz/ when clang is installed; skipped (passing) without clang.
# Longer runs: make fuzz FUZZ_SECONDS=600. Named zz_ to run last.
set -u
if ! command -v clang >/dev/null 2>&1 || [ ! -x build-fuzz/fuzz_results ]; then
    echo "zz_fuzz_smoke.sh: skipped (no clang, or build-fuzz/ not built: make fuzz)"
    exit 0
fi
FUZZ_UNIT_TIMEOUT=3 scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-10}"
