#!/bin/sh
# `poolsim settle` honours a dated levy rate (SCENARIO.md "Dated values"):
# tests/data/settle_dated.yaml has levy_rate {2021: 0.10, 2023: 0.05}, cap
# 30% (stop), Zhuzhou brackets, no interest, reserve 0; flows in
# tests/data/settle_dated_flows.csv. Expected rows computed by hand:
#
# 2021 (rate 0.10). Levy basis: a's prior_financing 1,000,000 -> 100,000;
#   b has none -> its own 2021 financing 2,000,000 -> 200,000. Reserve 0 is
#   below 0.3 * 3,000,000: levies paid, R = 300,000.
#   a: D = 1,000,000 - 100,000 - 950,000 = -50,000; balance 0; G = 50,000,
#      q = 0.05 -> bracket 1, reserve pays all: r = 50,000.
#   b: D = 2,000,000 - 200,000 - 1,700,000 = 100,000 -> balance 150,000.
#   R = 300,000 - 50,000 = 250,000.
# 2022 (rate 0.10). Basis: 2021 financing: a 100,000, b 200,000; R 250,000
#   < 900,000: paid, R = 550,000.
#   a: D = -100,000, G = 100,000, q = 0.1 -> bracket 1 (q <= 0.10): r = 100,000.
#   b: D = 2,000,000 - 200,000 - 1,900,000 = -100,000, paid from its
#      balance 150,000 -> 50,000; no shortfall.
#   R = 550,000 - 100,000 = 450,000.
# 2023 (rate 0.05, the scheduled cut). Basis: 2022 financing: a 50,000,
#   b 100,000; R 450,000 < 0.3 * 3,200,000 = 960,000: paid, R = 600,000.
#   a: D = 1,100,000 - 50,000 - 1,100,000 = -50,000, G = 50,000,
#      q = 50,000 / 1,100,000 = 0.045454545454545456 -> bracket 1, r = 50,000.
#   b: D = 2,100,000 - 100,000 - 1,900,000 = 100,000 -> balance 150,000.
#   R = 550,000.
# With the 2021 rate kept in 2023, a's levy would be 100,000 and b's
# 200,000: the last check makes sure the schedule is what changed them.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-settle-dated.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

cat >"$tmp/expected.csv" <<'CSV'
year,county,line,financing,levy,expenditure,result,balance_used,shortfall,shortfall_ratio,bracket,reserve_share,county_share,city_share,uncovered,balance_end,reserve_end
2021,a,fund,1000000,100000,950000,-50000,0,50000,0.05,1,50000,0,0,0,0,250000
2021,b,fund,2000000,200000,1700000,100000,0,0,0,0,0,0,0,0,150000,250000
2022,a,fund,1000000,100000,1000000,-100000,0,100000,0.1,1,100000,0,0,0,0,450000
2022,b,fund,2000000,200000,1900000,-100000,100000,0,0,0,0,0,0,0,50000,450000
2023,a,fund,1100000,50000,1100000,-50000,0,50000,0.045454545454545456,1,50000,0,0,0,0,550000
2023,b,fund,2100000,100000,1900000,100000,0,0,0,0,0,0,0,0,150000,550000
CSV

"$POOLSIM" settle tests/data/settle_dated.yaml tests/data/settle_dated_flows.csv \
    --csv "$tmp/out.csv" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "settle_dated.sh: exited $rc (expected 0)"; cat "$tmp/stderr"; fail=1
elif ! diff -u "$tmp/expected.csv" "$tmp/out.csv"; then
    echo "settle_dated.sh: output differs from the hand-computed rows"; fail=1
fi

# the same flows with the schedule replaced by a constant 10%: 2023 levies
# become 10% of 2022 financing (a 100,000, b 200,000)
"$POOLSIM" settle tests/data/settle_dated.yaml tests/data/settle_dated_flows.csv \
    --set reserve.levy_rate=0.10 --csv "$tmp/const.csv" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "settle_dated.sh: constant-rate run exited $rc"; cat "$tmp/stderr"; fail=1
else
    if ! grep -q '^2023,a,fund,1100000,100000,' "$tmp/const.csv" ||
       ! grep -q '^2023,b,fund,2100000,200000,' "$tmp/const.csv"; then
        echo "settle_dated.sh: constant 10% did not give 2023 levies 100000 and 200000"
        cat "$tmp/const.csv"; fail=1
    fi
fi
exit $fail
