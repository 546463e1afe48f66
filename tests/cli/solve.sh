#!/bin/sh
# `poolsim solve`: the known boundary of tests/data/solve_levy.yaml (the
# reserve is exhausted iff the levy rate is below 0.02, derivation in the
# file) on the terminal and in --json; refusal when the target holds at both
# ends or at neither (exit 2, message); a malformed target (exit 2); an
# unwritable --json (exit 3).
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-solve.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "solve.sh: $*"; fail=1; }

"$POOLSIM" solve tests/data/solve_levy.yaml --vary reserve.levy_rate=0:0.1 \
    --target 'exhaustion_prob[fund,2025] <= 0.05' --json "$tmp/s.json" -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 0 ] || { say "exited $rc"; cat "$tmp/stderr"; }
grep -q '^  value       reserve.levy_rate = 0.0200' "$tmp/stdout" || { say "terminal value"; cat "$tmp/stdout"; }
grep -q '^  evaluations 12 ' "$tmp/stdout" || { say "terminal evaluations"; cat "$tmp/stdout"; }
# the JSON keys of the contract, one per line (JSON_INDENT)
value=$(sed -n 's/^  "value": \([0-9.eE+-]*\),$/\1/p' "$tmp/s.json")
awk -v v="$value" 'BEGIN { exit !(v >= 0.02 && v <= 0.0201) }' || say "JSON value '$value' not in [0.02, 0.0201]"
grep -q '^  "metric": 0.0,$' "$tmp/s.json" || say "JSON metric"
grep -q '^  "ci": \[$' "$tmp/s.json" || say "JSON ci"
grep -q '^  "evaluations": 12,$' "$tmp/s.json" || { say "JSON evaluations"; cat "$tmp/s.json"; }

# the target holds at both ends
"$POOLSIM" solve tests/data/solve_levy.yaml --vary reserve.levy_rate=0.05:0.1 \
    --target 'exhaustion_prob[fund,2025] <= 0.05' --json "$tmp/both.json" -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 2 ] || say "both ends exited $rc (expected 2)"
grep -q 'holds at both ends of the range' "$tmp/stderr" || { say "no 'both ends' message"; cat "$tmp/stderr"; }
[ -e "$tmp/both.json" ] && say "JSON written although refused"
# at neither
"$POOLSIM" solve tests/data/solve_levy.yaml --vary reserve.levy_rate=0:0.01 \
    --target 'exhaustion_prob[fund,2025] <= 0.05' -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 2 ] || say "neither end exited $rc (expected 2)"
grep -q 'holds at neither end of the range' "$tmp/stderr" ||
    { say "no 'neither' message"; cat "$tmp/stderr"; }
# malformed target and range
"$POOLSIM" solve tests/data/solve_levy.yaml --vary reserve.levy_rate=0:0.1 \
    --target 'exhaustion_prob[fund] <= 0.05' >"$tmp/stdout" 2>"$tmp/stderr"
[ $? -eq 2 ] || say "malformed target not refused with 2"
grep -q "expected exhaustion_prob\[LINE,YEAR\]" "$tmp/stderr" || { say "target message"; cat "$tmp/stderr"; }
"$POOLSIM" solve tests/data/solve_levy.yaml --vary reserve.levy_rate=0.1:0 \
    --target 'exhaustion_prob[fund,2025] <= 0.05' >"$tmp/stdout" 2>"$tmp/stderr"
[ $? -eq 2 ] || say "reversed range not refused with 2"
# unwritable JSON: refused before any run
"$POOLSIM" solve tests/data/solve_levy.yaml --vary reserve.levy_rate=0:0.1 \
    --target 'exhaustion_prob[fund,2025] <= 0.05' --json "$tmp/no/s.json" -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 3 ] || say "unwritable JSON exited $rc (expected 3)"
grep -qF "cannot write $tmp/no/s.json" "$tmp/stderr" || { say "I/O message"; cat "$tmp/stderr"; }
exit $fail
