#!/bin/sh
# `poolsim compare A B`: two variants of tests/data/solve_levy.yaml on the
# same random numbers, differences B - A computed by hand (derivation in
# that file): A levy 0.01 -> exhausted every year, reserve 0 at each year
# end, county burden 20,000 a year (100,000 over 5 years); B levy 0.03 ->
# never exhausted, the reserve gains (0.5 * 0.03 - 0.01) F = 5,000 a year
# (year-end ratio 0.005 t), burden 25,000 a year (125,000). Every path is
# the same, so every paired se is 0. Also: scenarios that cannot be paired
# (different horizon) exit 2.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-compare.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "compare.sh: $*"; fail=1; }

base="$PWD/tests/data/solve_levy.yaml"
printf 'extends: %s\nreserve: {levy_rate: 0.01}\n' "$base" >"$tmp/a.yaml"
printf 'extends: %s\nreserve: {levy_rate: 0.03}\n' "$base" >"$tmp/b.yaml"
printf 'extends: %s\nhorizon_years: 4\n' "$base" >"$tmp/short.yaml"

"$POOLSIM" compare "$tmp/a.yaml" "$tmp/b.yaml" --csv "$tmp/c.csv" --json "$tmp/c.json" \
    >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 0 ] || { say "exited $rc"; cat "$tmp/stderr"; }
head -1 "$tmp/c.csv" | grep -q '^line,county,quantity,year,a,b,diff,diff_se,diff_lo,diff_hi,diff_se_unpaired,diff_lo_unpaired,diff_hi_unpaired$' ||
    { say "CSV header"; head -1 "$tmp/c.csv"; }
awk -F, '
function near(x, y) { return (x - y < 1e-12 && y - x < 1e-12) }
$3 == "exhaustion_prob" { n1++; if (!($5 == 1 && $6 == 0 && $7 == -1 && $8 == 0 && $9 == -1 && $10 == -1)) bad = bad " " NR }
$3 == "reserve_ratio_mean" { n2++; t = $4 - 2020; if (!($5 == 0 && near($6, 0.005 * t) && near($7, 0.005 * t) && near($8, 0))) bad = bad " " NR }
$3 == "county_burden_total_mean" { n3++; if (!($2 == "a" && $5 == 100000 && $6 == 125000 && $7 == 25000 && $8 == 0 && $9 == 25000 && $10 == 25000)) bad = bad " " NR }
END { if (bad != "" || n1 != 5 || n2 != 5 || n3 != 1) { print "rows:" bad, n1, n2, n3; exit 1 } }' "$tmp/c.csv" ||
    { say "CSV values differ from the hand computation"; cat "$tmp/c.csv"; }
# read as CSV (RFC 4180, the same field writer as the sweep CSV, whose
# quoting tests/cli/sweep.sh and the sweep suite check): 28 records of 13
# fields (5 + 5 + 1 as above; the mean and p95 rows of city_burden_total,
# government_burden_total and the county's burden_total; low months and
# months covered per year and the financing total) and the header
python3 - "$tmp/c.csv" <<'EOF' || say "CSV records"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
sys.exit(0 if len(rows) == 29 and all(len(r) == 13 for r in rows) else 1)
EOF
grep -q '"exhaustion_prob"' "$tmp/c.json" || say "JSON lacks exhaustion_prob"
grep -q 'P(exhausted by 2025)' "$tmp/stdout" || { say "no table"; cat "$tmp/stdout"; }

# management rules (tests/data/manage_det.yaml on engine_det.yaml, both
# deterministic): contributions x1.1 in 2027 and x1.21 in 2028, so the
# financing over 2021-2028 rises by 0.1 C(2027) + 0.21 C(2028), with C(t)
# the contributions of both counties (test_manage.c's closed form):
#   C = N_res (300 * 1.05^(t-1) * 0.9) + N_worker * 0.05 * wage * 1.04^(t-1)
"$POOLSIM" compare tests/data/engine_det.yaml tests/data/manage_det.yaml --csv "$tmp/m.csv" \
    >"$tmp/stdout" 2>"$tmp/stderr" || { say "compare with rules exited $?"; cat "$tmp/stderr"; }
awk -F, '
function contrib(t,  g) {
    g = 300 * 1.05 ^ (t - 1) * 0.9
    return (1000 + 2000) * 1.01 ^ (t - 1) * g + (200 * 50000 + 100 * 40000) * 0.05 * 1.04 ^ (t - 1)
}
function rel(x, y) { d = x - y; if (d < 0) d = -d; return d <= 1e-9 * (y < 0 ? -y : y) }
$3 == "financing_total_sum_mean" { n++; want = 0.1 * contrib(7) + 0.21 * contrib(8)
    if (!(rel($7, want) && $8 == 0 && rel($9, want))) { print "financing diff", $7, "want", want; exit 1 } }
$3 == "low_months_prob" { m++; if ($8 != 0) { print "low_months se", $8; exit 1 } }
$3 == "months_covered_mean" { k++ }
END { if (n != 1 || m != 8 || k != 8) { print "rows", n, m, k; exit 1 } }' "$tmp/m.csv" ||
    { say "management compare differs from the hand computation"; cat "$tmp/m.csv"; }
grep -q 'P(months < 6) 2028' "$tmp/stdout" || { say "no P(months < 6) in the table"; cat "$tmp/stdout"; }
grep -q 'financing over 8 years' "$tmp/stdout" || say "no financing line in the table"

"$POOLSIM" compare "$tmp/a.yaml" "$tmp/short.yaml" -q >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
[ "$rc" -eq 2 ] || say "different horizons exited $rc (expected 2)"
grep -q 'cannot be paired' "$tmp/stderr" || { say "no pairing message"; cat "$tmp/stderr"; }
"$POOLSIM" compare "$tmp/a.yaml" >"$tmp/stdout" 2>"$tmp/stderr"
[ $? -eq 2 ] || say "one scenario not refused with 2"
exit $fail
