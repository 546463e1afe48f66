#!/bin/sh
# `poolsim sweep`: a grid computed by hand (tests/data/solve_levy.yaml: levy
# 0.01 -> reserve exhausted in 2021, county burden 20,000 a year = 100,000
# over 5 years; levy 0.03 -> never exhausted, burden 25,000 a year =
# 125,000), its CSV (lever values first, paired differences from the first
# point), the HDF5 sweep file, a dated lever, a two-lever heat map, and
# refusals: nothing to sweep (2), unknown key (2), unwritable output (3).
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-sweep.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "sweep.sh: $*"; fail=1; }

"$POOLSIM" sweep tests/data/solve_levy.yaml --set reserve.levy_rate=0.01,0.03 \
    -o "$tmp/s.h5" --csv "$tmp/s.csv" -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 0 ] || { say "hand grid exited $rc"; cat "$tmp/stderr"; }
[ -f "$tmp/s.h5" ] || say "no sweep file"
[ "$(wc -l <"$tmp/s.csv")" -eq 3 ] || say "CSV should have a header and 2 rows"
head -1 "$tmp/s.csv" | grep -q '^reserve.levy_rate,point,fund.exhaustion_prob,fund.exhaustion_lo,fund.exhaustion_hi,fund.exhaustion_diff,fund.exhaustion_diff_lo,fund.exhaustion_diff_hi,fund.exhaustion_diff_lo_unpaired,fund.exhaustion_diff_hi_unpaired,fund.a.burden_total_mean,fund.a.burden_total_p95,fund.a.burden_total_diff,fund.a.burden_total_diff_lo,fund.a.burden_total_diff_hi$' ||
    { say "unexpected CSV header"; head -1 "$tmp/s.csv"; }
# row fields: lever, point, P, lo, hi, diff, diff_lo, diff_hi, ulo, uhi, burden, p95, bdiff, blo, bhi
awk -F, 'NR == 2 && !($1 == "0.01" && $2 == 0 && $3 == 1 && $6 == 0 && $11 == 100000 && $12 == 100000 && $13 == 0) { exit 1 }
         NR == 3 && !($1 == "0.03" && $2 == 1 && $3 == 0 && $6 == -1 && $7 == -1 && $8 == -1 && $11 == 125000 && $13 == 25000 && $14 == 25000 && $15 == 25000) { exit 1 }' \
    "$tmp/s.csv" || { say "CSV values differ from the hand computation"; cat "$tmp/s.csv"; }
if command -v h5dump >/dev/null 2>&1; then
    h5dump -a /sweep/complete "$tmp/s.h5" | grep -q '(0): 1' || say "/sweep/complete is not 1"
    h5dump -d /sweep/lines/fund/exhaustion_prob "$tmp/s.h5" >"$tmp/dump" 2>&1 || say "h5dump failed"
    grep -q '(0,0): 1, 1, 1, 1, 1,' "$tmp/dump" && grep -q '(1,0): 0, 0, 0, 0, 0' "$tmp/dump" ||
        { say "exhaustion_prob in the sweep file differs"; cat "$tmp/dump"; }
    # the same file is point 0's results file
    h5dump -a /complete "$tmp/s.h5" | grep -q '(0): 1' || say "root attribute complete missing"
fi
ls -a "$tmp" | grep -q '\.tmp\.\|\.sweep\.' && say "temporary files left behind"

# a dated lever: the 2023 levy rate (tests/data/solve_dated.yaml), and a
# two-lever grid drawn as heat maps
"$POOLSIM" sweep tests/data/solve_dated.yaml --set reserve.levy_rate.2023=0.01,0.03 \
    --set reserve.cap_ratio=0.8,0.9,1 -o "$tmp/d.h5" --csv "$tmp/d.csv" --plot "$tmp/charts" \
    >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 0 ] || { say "dated two-lever sweep exited $rc"; cat "$tmp/stderr"; }
[ "$(wc -l <"$tmp/d.csv")" -eq 7 ] || say "2 x 3 grid should give 6 rows"
awk -F, 'NR > 1 && $3 < 3 && $4 != 1 { exit 1 } NR > 1 && $3 >= 3 && $4 != 0 { exit 1 }' "$tmp/d.csv" ||
    { say "dated lever: P should be 1 for 0.01 and 0 for 0.03"; cat "$tmp/d.csv"; }
[ -s "$tmp/charts/sweep_exhaustion_fund.png" ] || say "heat map not drawn"
grep -q 'paired difference from point 1' "$tmp/stdout" || say "no table on stdout"

# refusals
"$POOLSIM" sweep tests/data/solve_levy.yaml --set reserve.levy_rate=0.1 -o "$tmp/x.h5" \
    >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 2 ] || say "nothing to sweep exited $rc (expected 2)"
grep -q 'nothing to sweep' "$tmp/stderr" || { say "no 'nothing to sweep' message"; cat "$tmp/stderr"; }
"$POOLSIM" sweep tests/data/solve_levy.yaml --set reserve.levy_ratio=0.1,0.2 -o "$tmp/x.h5" \
    >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 2 ] || say "unknown key exited $rc (expected 2)"
grep -q 'reserve.levy_ratio' "$tmp/stderr" || { say "unknown key not named"; cat "$tmp/stderr"; }
"$POOLSIM" sweep tests/data/solve_levy.yaml --set 'reserve.levy_rate=0.1,{0.2' -o "$tmp/x.h5" \
    >"$tmp/stdout" 2>"$tmp/stderr"
[ $? -eq 2 ] || say "unbalanced braces not refused"
[ -e "$tmp/x.h5" ] && say "a sweep file was written for bad input"
"$POOLSIM" sweep tests/data/solve_levy.yaml --set reserve.levy_rate=0.1,0.2 -o "$tmp/no/x.h5" \
    >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 3 ] || say "unwritable output exited $rc (expected 3)"
grep -qF "cannot write $tmp/no/x.h5: No such file or directory" "$tmp/stderr" ||
    { say "no I/O message naming the path"; cat "$tmp/stderr"; }
# --seed S: point 0 of a sweep is `run --seed S` (every random driver on
# the run's seed, not on simulation.seed)
if command -v h5dump >/dev/null 2>&1; then
    "$POOLSIM" sweep tests/data/sweep_small.yaml -n 300 --seed 7 --set reserve.levy_rate=0.1,0.08 \
        -o "$tmp/s7.h5" -q >/dev/null 2>&1 || say "sweep --seed 7 failed"
    "$POOLSIM" run tests/data/sweep_small.yaml -n 300 --seed 7 --set reserve.levy_rate=0.1 \
        -o "$tmp/r7.h5" -q >/dev/null 2>&1 || say "run --seed 7 failed"
    for d in /lines/fund/reserve_balance/mean /lines/fund/counties/a/expenditure/mean; do
        a=$(h5dump -m %.17g -d "$d" "$tmp/s7.h5" | sed -n '/DATA {/,/}/p')
        b=$(h5dump -m %.17g -d "$d" "$tmp/r7.h5" | sed -n '/DATA {/,/}/p')
        [ -n "$a" ] && [ "$a" = "$b" ] || say "sweep --seed 7 point 0 differs from run --seed 7 ($d)"
    done
fi

# CSV quoting (RFC 4180): lever texts with a comma, quotes, a line break
# and leading = + - @ come back from a CSV reader exactly as given, one
# record per grid point, every record as wide as the header. `name` does
# not change the simulation, so every point has the same numbers. A text
# starting with = + - @ that is not a number comes back with a leading '
# (OWASP guard against formula injection: a spreadsheet shows it as text).
"$POOLSIM" sweep tests/data/sweep_small.yaml -n 50 --set "name=plain,'a, \"b\" c',=1+2,'@x',+y,-z,'x
y'" -o "$tmp/q.h5" --csv "$tmp/q.csv" -q >"$tmp/stdout" 2>"$tmp/stderr" ||
    { say "sweep over hostile names failed"; cat "$tmp/stderr"; }
python3 - "$tmp/q.csv" <<'EOF' || say "CSV quoting of lever texts"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
want = ["plain", "'a, \"b\" c'", "'=1+2", "'@x'", "'+y", "'-z", "'x\ny'"]
ok = rows[0][:2] == ["name", "point"] and len(rows) == 1 + len(want)
ok = ok and [r[0] for r in rows[1:]] == want and [r[1] for r in rows[1:]] == [str(i) for i in range(7)]
ok = ok and all(len(r) == len(rows[0]) for r in rows) and all(r[2:] == rows[1][2:] for r in rows[1:])
if not ok:
    print(rows)
sys.exit(0 if ok else 1)
EOF
exit $fail
