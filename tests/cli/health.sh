#!/bin/sh
# Fund health and management rules from the command line (MODEL.md
# sections 11-12): `check` lists the rules, `--set management.ID.KEY`
# changes one, and a year without spending stops `run` (exit 1, no file).
set -u
P=${POOLSIM:-./poolsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "health.sh: $*"; exit 1; }

out=$("$P" check tests/data/manage_det.yaml) || fail "check manage_det.yaml"
echo "$out" | grep -q '^health:$' || fail "check: no health section"
echo "$out" | grep -q '^  warn_months: 2.5$' || fail "check: warn_months is not 2.5"
echo "$out" | grep -qF -- '- {id: raise, line: res, indicator: surplus_rate, below: 0, action: contribution, change: 0.1, max_times: 2, lag: 2, from_year: 1000}' ||
    fail "check does not list rule raise"
echo "$out" | grep -qF -- '- {id: cut, line: res, indicator: months_covered, below: 2.5, action: benefits, change: -0.05, max_times: 1, lag: 1, from_year: 2027}' ||
    fail "check does not list rule cut with its defaults"
out=$("$P" check tests/data/manage_det.yaml --set management.raise.below=5 --set health.warn_months=9) ||
    fail "check with --set"
echo "$out" | grep -qF -- '- {id: raise, line: res, indicator: surplus_rate, below: 5,' ||
    fail "--set management.raise.below=5 not applied"
echo "$out" | grep -q '^  warn_months: 9$' || fail "--set health.warn_months=9 not applied"
"$P" check tests/data/engine_det.yaml | grep -q '^management: \[\]$' || fail "no rules: not 'management: []'"
"$P" check tests/data/engine_det.yaml | grep -q '^  warn_months: 6$' || fail "warn_months default is not 6"

# no spending in a year: exit 1, the message names the line and the year
"$P" run tests/data/engine_det.yaml --set lines.res.benefits.inpatient.rate.resident=0 \
    --set lines.res.benefits.inpatient.rate.worker=0 --set lines.res.benefits.catastrophic.amount=0 \
    -q -o "$tmp/z.h5" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "zero spending: exit $rc, expected 1"
grep -q 'total expenditure is zero, so the months of payment covered are undefined for line res, year 2021' "$tmp/err" ||
    fail "zero spending: message was: $(cat "$tmp/err")"
[ -e "$tmp/z.h5" ] && fail "zero spending left a results file"
# one county without spending (the line's total is not zero): the message names it
"$P" run tests/data/engine_det.yaml --set lines.res.benefits.catastrophic.amount=0 \
    --set counties.b.util_index=0 -q -o "$tmp/z.h5" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "zero county spending: exit $rc, expected 1"
grep -q 'expenditure of county b is zero, so the months of payment its balance covers are undefined for line res, year 2021' "$tmp/err" ||
    fail "zero county spending: message was: $(cat "$tmp/err")"
[ -e "$tmp/z.h5" ] && fail "zero county spending left a results file"
# the report says when expected spending outgrows financing, and the year
# the ratio of the means passes 1, computed here from the JSON's county means
"$P" run scenarios/zhuzhou.yaml -n 200 -q -o "$tmp/z.h5" --json "$tmp/z.json" || fail "run zhuzhou"
"$P" report "$tmp/z.h5" -o "$tmp/z.html" --lang en > /dev/null || fail "report"
drift=$(python3 - "$tmp/z.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
years = d["years"]
for lid, ln in d["lines"].items():
    cs = ln["counties"].values()
    f = [sum(c["financing"]["mean"][t] for c in cs) for t in range(len(years))]
    cs = ln["counties"].values()
    e = [sum(c["expenditure"]["mean"][t] for c in cs) for t in range(len(years))]
    q = [e[t] / f[t] for t in range(len(years))]
    if q[-1] > q[0]:
        cross = [years[t] for t in range(len(years)) if e[t] > f[t]]
        print(lid, "%.2f" % q[0], "%.2f" % q[-1], cross[0] if cross else "none")
PY
)
# resident: about 0.90 -> 1.08, crossing 1 in 2026 or 2027 (near 1.00 in
# 2026: the year depends on the paths); employee: 0.82 -> about 1.00 (on
# these 200 paths 0.99 with the generator before issue 14, which stayed
# below 1, and 1.00 after it, passing 1 in 2030): the report's sentences
# must say what the JSON's means say
"$P" report "$tmp/z.h5" -o "$tmp/zh.html" > /dev/null || fail "report zh"
set -- $(echo "$drift" | grep '^resident ')
[ "$2" = 0.90 ] && { [ "$3" = 1.08 ] || [ "$3" = 1.09 ]; } && { [ "$4" = 2026 ] || [ "$4" = 2027 ]; } ||
    fail "resident drift not as expected: $drift"
grep -q "In 2021 expected expenditure over financing is $2; in 2030 it is $3; it passes 1 in <b>$4</b>" "$tmp/z.html" ||
    fail "report: no resident drift sentence passing 1 in $4"
grep -q "预期支出与筹资之比从 2021 年的 $2 升至 2030 年的 $3，并在 <b>$4</b> 年超过 1" "$tmp/zh.html" ||
    fail "zh report: no resident drift sentence"
set -- $(echo "$drift" | grep '^employee ')
[ "$2" = 0.82 ] && { [ "$3" = 0.99 ] || [ "$3" = 1.00 ]; } || fail "employee drift: $drift"
if [ "$4" = none ]; then
    grep -q "In 2021 expected expenditure over financing is $2; in 2030 it is $3; it stays below 1" "$tmp/z.html" ||
        fail "report: no employee drift sentence"
else
    grep -q "In 2021 expected expenditure over financing is $2; in 2030 it is $3; it passes 1 in <b>$4</b>" "$tmp/z.html" ||
        fail "report: no employee drift sentence passing 1 in $4"
fi
# the report leads with fund health and who pays, then the readings that
# change results, with the values in force: defaults, then changed by --set
h=$(grep -n 'Fund health and who pays' "$tmp/z.html" | head -1 | cut -d: -f1)
k=$(grep -n 'class="findings"' "$tmp/z.html" | head -1 | cut -d: -f1)
[ -n "$h" ] && [ -n "$k" ] && [ "$h" -lt "$k" ] || fail "report: fund health does not come first"
grep -q '<th>City and county governments, 2021–2030: expected / 95th percentile' "$tmp/z.html" ||
    fail "report: who pays has no city and county governments column"
grep -q 'bracket: the whole shortfall is shared at the rate of the bracket holding its size' "$tmp/z.html" ||
    fail "report: default sharing mode not named"
grep -q 'above 50% of the county'"'"'s financing the county government pays <b>100%</b>, the reserve 0%' "$tmp/z.html" ||
    fail "report: default share above 50% not named"
grep -q '<td>the county government (default)</td>' "$tmp/z.html" || fail "report: default uncovered not named"
grep -q 'stop: no levy at all in a year the reserve holds 30% of the year'"'"'s financing' "$tmp/z.html" ||
    fail "report: default cap mode not named"
grep -q '2021–2030 (10 years)' "$tmp/z.html" || fail "report: horizon not named"
"$P" run scenarios/zhuzhou.yaml -n 100 -q -o "$tmp/s.h5" --set sharing.mode=marginal \
    --set sharing.brackets.4.reserve=0.25 --set reserve.uncovered=city --set reserve.cap_mode=top_up \
    --set reserve.cap_ratio=0.4 --set health.warn_months=8 --set horizon_years=12 --set lang=en ||
    fail "run with --set readings"
"$P" report "$tmp/s.h5" -o "$tmp/s.html" > /dev/null || fail "report with --set readings"
grep -q 'marginal: each slice of a shortfall is shared at its own bracket&#39;s rate' "$tmp/s.html" ||
    fail "report: --set sharing.mode=marginal not shown"
grep -q 'the county government pays <b>75%</b>, the reserve 25%' "$tmp/s.html" ||
    fail "report: --set sharing.brackets.4.reserve=0.25 not shown"
grep -q '<td>the city&#39;s finance</td>' "$tmp/s.html" || fail "report: --set reserve.uncovered=city not shown"
grep -q 'top_up: the levy only tops the reserve up to 40% of the year'"'"'s financing' "$tmp/s.html" ||
    fail "report: --set reserve.cap_mode=top_up not shown"
grep -q '<td>8 months</td>' "$tmp/s.html" || fail "report: --set health.warn_months=8 not shown"
grep -q 'P(fewer than 8 months), 2032' "$tmp/s.html" || fail "report: low-months column not at 8 months, 2032"
grep -q '2021–2032 (12 years)' "$tmp/s.html" || fail "report: --set horizon_years=12 not shown"
"$P" run scenarios/zhuzhou.yaml -n 100 -q -o "$tmp/u.h5" --set 'pooling.mode={2021: county_accounts, 2025: unified}' \
    --set pooling.city_share=0.6 --set lang=en || fail "run with a transition"
"$P" report "$tmp/u.h5" -o "$tmp/u.html" > /dev/null || fail "report with a transition"
grep -q 'county accounts with a city risk reserve (default); unified: one city fund (统收统支); the city government pays <b>60%</b> of a gap, the counties the rest (from 2025)' "$tmp/u.html" ||
    fail "report: the pooling transition and city_share not shown"
"$P" report "$tmp/s.h5" -o "$tmp/sz.html" --lang zh > /dev/null || fail "report zh"
grep -q '影响结果的关键假设' "$tmp/sz.html" || fail "zh report: no readings table"
grep -q '县级政府承担 <b>75%</b>，储备金承担 25%' "$tmp/sz.html" || fail "zh report: share above 50%"
grep -q '<td>市级财政</td>' "$tmp/sz.html" || fail "zh report: uncovered city"
# run's terminal summary leads each line with fund health and who pays
out=$("$P" run scenarios/zhuzhou.yaml -n 100 -o "$tmp/t.h5" --set lang=en 2>/dev/null) || fail "run with summary"
first=$(echo "$out" | grep -A1 '^  line resident' | tail -1)
echo "$first" | grep -q '^    months of payment covered 2030  p05 [0-9.]*, median [0-9.]*$' ||
    fail "summary: the resident line does not start with months covered: $first"
echo "$out" | grep -q '^    P(months covered < 6 in 2030)  0\.[0-9]*  \[' || fail "summary: no P(months < 6)"
echo "$out" | grep -q '^    county governments pay over 2021-2030: ' || fail "summary: no county governments' burden"
echo "$out" | grep -q '^    city government: .* expected, p95 .*; city and counties together: .* expected, p95 ' ||
    fail "summary: no city and government burden"
out=$("$P" run scenarios/zhuzhou.yaml -n 100 -o "$tmp/t.h5" 2>/dev/null) || fail "run with summary (zh)"
echo "$out" | grep -q '^    2030 年可支付月数  p05 ' || fail "zh summary: no months covered"
echo "$out" | grep -q '^    2030 年可支付月数低于 6 个月的概率  ' || fail "zh summary: no P(months < 6)"
# a rule's threshold as a sweep lever: below -1 (raise never fires) and 0
# (fires in 2025 and 2026); the higher contributions lower county a's burden
"$P" sweep tests/data/manage_det.yaml --set management.raise.below=-1,0 -n 3 -q \
    -o "$tmp/sw.h5" --csv "$tmp/sw.csv" || fail "sweep over management.raise.below"
python3 - "$tmp/sw.csv" <<'PY' || fail "sweep over management.raise.below: $(cat "$tmp/sw.csv")"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [r["management.raise.below"] for r in rows] == ["-1", "0"], rows
assert float(rows[1]["res.a.burden_total_diff"]) < 0, rows[1]
PY

# solve a rule's threshold for a fund-health target: in manage_det.yaml the
# 2028 fund is low (months < 2.5) unless raise fires in 2025, i.e. unless
# below exceeds the 2025 surplus rate, -0.021647619772150965 by the closed
# form of test_manage.c; the bisection must bracket that value
out=$("$P" solve tests/data/manage_det.yaml --vary management.raise.below=-1:0 \
    --target 'low_months_prob[res,2028] <= 0' -n 3 --tol 1e-6 -q 2>&1) || fail "solve: $out"
echo "$out" | python3 -c '
import re, sys
t = sys.stdin.read()
m = re.search(r"= (-?[0-9.e-]+) +\(target holds here; fails at (-?[0-9.e-]+)\)", t)
assert m, t
hold, fails = float(m.group(1)), float(m.group(2))
s = -0.021647619772150965
assert fails <= s < hold and hold - fails < 1e-5, (fails, s, hold)
' || fail "solve over management.raise.below: $out"

# the stress library's management file loads and lists its rule
"$P" check scenarios/stress/keep_six_months.yaml | grep -qF -- '- {id: keep_six_months, line: resident, indicator: months_covered, below: 6, action: contribution, change: 0.05, max_times: 10, lag: 1, from_year: 1000}' ||
    fail "scenarios/stress/keep_six_months.yaml: rule not listed by check"
echo "health.sh: ok"
