#!/bin/sh
# `poolsim settle`: the golden example (tests/golden/settle_small.csv, every
# figure checked by hand: see tests/test_settle.c), a flows file with an
# unknown county (exit 2, FILE:LINE:COL message, no output file) and an
# unwritable output (exit 3, message naming the path).
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-settle.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

"$POOLSIM" settle tests/data/settle_small.yaml tests/data/settle_small_flows.csv \
    --csv "$tmp/out.csv" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "settle.sh: golden run exited $rc (expected 0)"; cat "$tmp/stderr"; fail=1
elif ! diff -u tests/golden/settle_small.csv "$tmp/out.csv"; then
    echo "settle.sh: output differs from tests/golden/settle_small.csv"; fail=1
fi

# unknown county 'zz' on line 3, column 6
cat >"$tmp/bad.csv" <<'CSV'
year,county,line,financing,expenditure
2021,a,employee,10000,9500
2021,zz,employee,20000,25000
2021,c,employee,10000,10000
CSV
"$POOLSIM" settle tests/data/settle_small.yaml "$tmp/bad.csv" --csv "$tmp/bad_out.csv" \
    >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 2 ]; then
    echo "settle.sh: unknown county exited $rc (expected 2)"; cat "$tmp/stderr"; fail=1
fi
if ! grep -qF "$tmp/bad.csv:3:6: county: unknown county 'zz' (expected a county id or name of the scenario: a, b, c)" "$tmp/stderr"; then
    echo "settle.sh: missing the unknown-county message; got:"; cat "$tmp/stderr"; fail=1
fi
if [ -e "$tmp/bad_out.csv" ]; then
    echo "settle.sh: an output file was written for bad input"; fail=1
fi

# output folder that does not exist
"$POOLSIM" settle tests/data/settle_small.yaml tests/data/settle_small_flows.csv \
    --csv "$tmp/missing/out.csv" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 3 ]; then
    echo "settle.sh: unwritable output exited $rc (expected 3)"; cat "$tmp/stderr"; fail=1
fi
if ! grep -qF "cannot write $tmp/missing/out.csv: No such file or directory" "$tmp/stderr"; then
    echo "settle.sh: missing the I/O message; got:"; cat "$tmp/stderr"; fail=1
fi
exit $fail
