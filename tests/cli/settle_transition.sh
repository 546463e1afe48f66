#!/bin/sh
# `poolsim settle` across the move from county accounts to 统收统支
# (MODEL.md section 10): tests/data/settle_transition.yaml (levy 10%, cap
# 30% stop, Zhuzhou brackets, reserve 0, balance interest 10%; unified
# from 2023 with city_share 0.5, gap_key deficit, county_liability 0.5,
# tolerance 0.05) on tests/data/settle_transition_flows.csv. Expected rows
# computed by hand (golden file tests/golden/settle_transition.csv):
#
# 2021 county accounts. Interest: S_b = 50,000 * 1.1 = 55,000; R 0.
#   Levy basis: a's prior_financing 1,000,000 -> 100,000; b its own
#   2,000,000 -> 200,000. R 0 < 0.3 * 3,000,000: paid, R = 300,000.
#   a: D = 1,000,000 - 100,000 - 950,000 = -50,000, no balance, G 50,000,
#      q = 0.05 -> bracket 1, the reserve pays all 50,000.
#   b: D = 2,000,000 - 200,000 - 1,700,000 = 100,000 -> S_b = 155,000.
#   R = 300,000 - 50,000 = 250,000.
# 2022 county accounts. Interest: S_b = 170,500. Levies 100,000 and
#   200,000 (2021 financing); R 250,000 < 900,000: R = 550,000.
#   a: D = -100,000, G 100,000, q = 0.1 -> bracket 1, reserve pays 100,000.
#   b: D = -100,000, paid from its balance: S_b = 70,500.
#   R = 450,000.
# 2023 unified, first year: move up B = 450,000 + 0 + 70,500 = 520,500;
#   interest B = 572,550. No levy.
#   a: D = 1,100,000 - 1,300,000 = -200,000; overspend above tolerance
#      200,000 - 0.05 * 1,100,000 = 145,000; the county pays 0.5 of it,
#      72,500, into the fund. shortfall 200,000, ratio 2/11.
#   b: D = 2,100,000 - 1,900,000 = 200,000.
#   B = 572,550 - 200,000 + 200,000 + 72,500 = 645,050: no gap.
#   Rows: levy, balance_used, bracket, reserve_share, uncovered,
#   balance_end 0; reserve_end = B.
# 2024 unified: interest B = 709,555.
#   a: D = -1,000,000; overspend 1,000,000 - 50,000 = 950,000, pays 475,000.
#   b: D = 2,000,000 - 2,400,000 = -400,000; overspend 400,000 - 100,000
#      = 300,000, pays 150,000.
#   B = 709,555 - 1,400,000 + 625,000 = -65,445: a gap year, B = 0.
#   Gap 65,445: the city pays 0.5 -> 32,722.5; the counties 32,722.5 by
#   deficit 1,000,000 : 400,000 = 5/7 : 2/7 -> a 23,373.214..., b
#   9,349.285...; the city's part attributed the same way (a 23,373.21,
#   b 9,349.29 to the fen).
#   county_share a = 475,000 + 23,373.21 = 498,373.21,
#                b = 150,000 + 9,349.29 = 159,349.29.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-settle-transition.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

"$POOLSIM" settle tests/data/settle_transition.yaml tests/data/settle_transition_flows.csv \
    --csv "$tmp/out.csv" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "settle_transition.sh: exited $rc (expected 0)"; cat "$tmp/stderr"; fail=1
elif ! diff -u tests/golden/settle_transition.csv "$tmp/out.csv"; then
    echo "settle_transition.sh: output differs from the hand-computed rows"; fail=1
fi
if ! grep -q 'pooled fund balance at year end: 0.00; gap year: yes' "$tmp/stdout"; then
    echo "settle_transition.sh: the table does not describe the 2024 unified gap year"
    cat "$tmp/stdout"; fail=1
fi

# the same flows kept in county accounts: 2023 has a levy again
"$POOLSIM" settle tests/data/settle_transition.yaml tests/data/settle_transition_flows.csv \
    --set pooling.mode=county_accounts --csv "$tmp/ca.csv" >/dev/null 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ] || ! grep -q '^2023,a,fund,1100000,100000,' "$tmp/ca.csv"; then
    echo "settle_transition.sh: --set pooling.mode=county_accounts did not settle 2023 with a levy"
    cat "$tmp/stderr"; fail=1
fi
# gap_key: enrolees weighs the 2024 gap by the flows' enrolment column when
# it is there (a 300, b 100 members: 3/4 and 1/4 of the counties' 32,722.5
# and of the city's 32,722.5 -> 24,541.875 and 8,180.625, to the fen
# 24,541.88 and 8,180.63; county_share a 475,000 + 24,541.88, b 150,000 +
# 8,180.63), and by the scenario's projection without it (a 1,000, b 2,000
# members: 1/3 and 2/3 -> 10,907.5 and 21,815)
awk -F, 'NR == 1 { print $0 ",enrolment"; next } { print $0 "," ($2 == "a" ? 300 : 100) }' \
    tests/data/settle_transition_flows.csv > "$tmp/enrol.csv"
for v in "enrol.csv:2024,a,fund,1000000,0,2000000,-1000000,0,1000000,1,0,0,499541.88,24541.88,0,0,0" \
    "enrol.csv:2024,b,fund,2000000,0,2400000,-400000,0,400000,0.2,0,0,158180.63,8180.63,0,0,0" \
    "proj:2024,a,fund,1000000,0,2000000,-1000000,0,1000000,1,0,0,485907.5,10907.5,0,0,0" \
    "proj:2024,b,fund,2000000,0,2400000,-400000,0,400000,0.2,0,0,171815,21815,0,0,0"; do
    flows=${v%%:*}
    row=${v#*:}
    if [ "$flows" = proj ]; then flows=tests/data/settle_transition_flows.csv; else flows=$tmp/$flows; fi
    "$POOLSIM" settle tests/data/settle_transition.yaml "$flows" --set pooling.gap_key=enrolees \
        --csv "$tmp/en.csv" >/dev/null 2>"$tmp/stderr"
    if ! grep -qx "$row" "$tmp/en.csv"; then
        echo "settle_transition.sh: gap_key enrolees ($(basename "$flows")): no row $row"
        grep '^2024' "$tmp/en.csv"; cat "$tmp/stderr"; fail=1
    fi
done
exit $fail
