#!/bin/sh
# Pooling designs from the command line (MODEL.md section 11): run, check,
# sweep, solve and compare honour `pooling` keys given by --set; compare's
# who-pays rows (hand values on tests/data/solve_levy.yaml, and its p95s
# against run's); compare's charts and HTML report; a switch back is an
# input error.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-pooling.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "pooling.sh: $*"; fail=1; }

# run: unified with a line override; no levy anywhere, a city burden row
"$POOLSIM" run scenarios/zhuzhou.yaml -n 300 -t 2 -q --set pooling.mode=unified \
    --set lines.resident.pooling.city_share=0.3 -o "$tmp/u.h5" --json "$tmp/u.json" \
    >"$tmp/out" 2>&1 || { say "unified run failed"; cat "$tmp/out"; }
python3 - "$tmp/u.json" <<'PY' || say "unified run JSON"
import json, sys
d = json.load(open(sys.argv[1]))
for l in d["lines"].values():
    for c in l["counties"].values():
        assert all(v == 0 for v in c["levy"]["mean"]), "levy"
        assert all(v == 0 for v in c["balance"]["mean"]), "balance"
    assert "city_burden" in l and "government_burden_total" in l
assert "burden_worst_year" in d["counties"]["chaling"]
PY

# check: the resolved text shows the override
"$POOLSIM" check scenarios/zhuzhou.yaml --set pooling.mode=unified \
    --set lines.resident.pooling.city_share=0.3 >"$tmp/check" 2>&1 || say "check failed"
grep -q 'pooling: {mode: unified, city_share: 0.3, gap_key: financing' "$tmp/check" ||
    { say "check does not show the resident line's pooling"; grep pooling "$tmp/check"; }

# a switch back: exit 2, nothing run
"$POOLSIM" run scenarios/zhuzhou.yaml -n 10 -q -o "$tmp/bad.h5" \
    --set 'pooling.mode={2021: unified, 2024: county_accounts}' >"$tmp/out" 2>&1
rc=$?
[ "$rc" -eq 2 ] || say "a switch back exited $rc (expected 2)"
grep -q 'switches back from unified to county_accounts in 2024' "$tmp/out" ||
    { say "no switch-back message"; cat "$tmp/out"; }
[ ! -e "$tmp/bad.h5" ] || say "a results file was written for a bad scenario"

# sweep: city_share is a lever; it changes no draw, so P(exhausted) is the
# same at both points while the county burdens differ
"$POOLSIM" sweep scenarios/zhuzhou.yaml -n 300 -t 2 --set pooling.mode=unified \
    --set pooling.city_share=0.2,0.8 --csv "$tmp/sw.csv" -o "$tmp/sw.h5" >/dev/null 2>&1 ||
    say "sweep over pooling.city_share failed"
python3 - "$tmp/sw.csv" <<'PY' || say "sweep over city_share: exhaustion should match, burdens differ"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 2
exh = [k for k in rows[0] if k.endswith(".exhaustion_prob")]
bur = [k for k in rows[0] if k.endswith("burden_total_mean")]
assert exh and bur
assert all(rows[0][k] == rows[1][k] for k in exh)
assert any(rows[0][k] != rows[1][k] for k in bur)
PY
"$POOLSIM" sweep scenarios/zhuzhou.yaml -n 200 -t 2 --set pooling.mode=county_accounts,unified \
    --set pooling.gap_key=financing,deficit --csv "$tmp/sw2.csv" -o "$tmp/sw2.h5" >/dev/null 2>&1 ||
    say "sweep over pooling.mode and gap_key failed"
[ "$(wc -l <"$tmp/sw2.csv")" -eq 5 ] || say "sweep over mode x gap_key: expected 4 points"

# solve: county_liability is a lever (more liability, less exhaustion)
"$POOLSIM" solve scenarios/zhuzhou.yaml -n 300 -t 2 -q --set pooling.mode=unified \
    --vary pooling.county_liability=0:1 --target 'exhaustion_prob[resident,2030] <= 0.1' \
    --json "$tmp/solve.json" >"$tmp/out" 2>&1 || { say "solve over county_liability"; cat "$tmp/out"; }

# compare: who pays, by hand on solve_levy.yaml (every path alike): county
# a pays 100,000 under A, 125,000 under B over 5 years; the city nothing
base="$PWD/tests/data/solve_levy.yaml"
printf 'extends: %s\nreserve: {levy_rate: 0.01}\n' "$base" >"$tmp/a.yaml"
printf 'extends: %s\nreserve: {levy_rate: 0.03}\n' "$base" >"$tmp/b.yaml"
"$POOLSIM" compare "$tmp/a.yaml" "$tmp/b.yaml" -q --csv "$tmp/c.csv" >/dev/null 2>&1 ||
    say "compare solve_levy failed"
grep -q '^,a,burden_total_mean,,100000,125000,25000,0,25000,25000,' "$tmp/c.csv" ||
    { say "burden_total_mean row"; grep burden_total "$tmp/c.csv"; }
grep -q '^,a,burden_total_p95,,100000,125000,25000,,25000,25000,,,$' "$tmp/c.csv" ||
    { say "burden_total_p95 row"; grep burden_total "$tmp/c.csv"; }
grep -q '^fund,,city_burden_total_mean,,0,0,0,0,0,0,' "$tmp/c.csv" ||
    { say "city_burden_total_mean row"; grep city_burden "$tmp/c.csv"; }
grep -q '^fund,,government_burden_total_p95,,100000,125000,25000,,25000,25000,,,$' "$tmp/c.csv" ||
    { say "government_burden_total_p95 row"; grep government "$tmp/c.csv"; }

# compare: baseline against 统收统支, the p95s are run's (same seed and paths)
"$POOLSIM" compare scenarios/zhuzhou.yaml scenarios/unified.yaml -n 400 -t 2 -q \
    --json "$tmp/cu.json" --plot "$tmp/charts" --format svg,png --html "$tmp/charts/r.html" \
    >"$tmp/out" 2>&1 || { say "compare unified failed"; cat "$tmp/out"; }
"$POOLSIM" run scenarios/unified.yaml -n 400 -s 20200518 -t 2 -q -o "$tmp/ru.h5" \
    --json "$tmp/ru.json" >/dev/null 2>&1 || say "run unified failed"
python3 - "$tmp/cu.json" "$tmp/ru.json" <<'PY' || say "compare p95 differs from run's"
import json, sys
c, r = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for l, v in c["lines"].items():
    want = r["lines"][l]["government_burden_total"]["p95"]
    got = v["government_burden_total"]["p95_b"]
    assert abs(got - want) <= 1e-9 * max(1, abs(want)), (l, got, want)
    lo, hi = v["government_burden_total"]["p95_ci"]
    assert lo <= v["government_burden_total"]["p95_diff"] <= hi
for k, v in c["counties"].items():
    want = r["counties"][k]["burden_total"]["p95"]
    assert abs(v["burden_total"]["p95_b"] - want) <= 1e-9 * max(1, abs(want)), k
PY
for f in compare_exhaustion.svg compare_exhaustion.png compare_burden.svg compare_burden.png r.html; do
    [ -s "$tmp/charts/$f" ] || say "compare did not write $f"
done
grep -q '<svg' "$tmp/charts/r.html" || say "the HTML report holds no chart"
grep -q '统收统支' "$tmp/charts/r.html" || say "the HTML report does not name scenario B"
# reports and charts speak the design's language (MODEL.md section 11)
"$POOLSIM" report "$tmp/ru.h5" -o "$tmp/ru.html" --lang zh >/dev/null 2>&1 || say "report failed"
for w in '统筹基金风险评估（统收统支）' '各险种统筹基金累计结余' '统筹基金累计结余比率（统收统支' \
    '市级财政承担 50%' '2030 年末统筹基金累计结余比率中位数'; do
    grep -q "$w" "$tmp/ru.html" || say "the unified report lacks: $w"
done
if grep -q '上限比率 30%' "$tmp/ru.html"; then say "the unified report shows a reserve cap"; fi
"$POOLSIM" run scenarios/transition-2024.yaml -n 200 -t 2 -q -o "$tmp/rt.h5" >/dev/null 2>&1 ||
    say "transition run failed"
"$POOLSIM" report "$tmp/rt.h5" -o "$tmp/rt.html" --lang en >/dev/null 2>&1 || say "report failed"
for w in '统收统支 from 2024' 'moved up into the pooled fund' \
    'reserve ratio before 2024, pooled fund balance ratio from 2024'; do
    grep -q "$w" "$tmp/rt.html" || say "the transition report lacks: $w"
done
# a transition's headings name both funds, never the reserve alone
for w in 'Risk of the city risk reserve and of the pooled fund' \
    '<th>P(pooled fund exhausted by 2030)</th>' \
    '<th>P(reserve, or pooled fund in 统收统支 years, exhausted by then)</th>' \
    'county governments are not liable for their own overspend'; do
    grep -qF "$w" "$tmp/rt.html" || say "the transition report lacks: $w"
done
for w in '<th>P(reserve exhausted by' 'Reserve of each fund line'; do
    if grep -qF "$w" "$tmp/rt.html"; then say "the transition report says: $w"; fi
done
# terms that change in a later unified year are stated with their year
"$POOLSIM" run scenarios/transition-2024.yaml -n 200 -q -o "$tmp/rt2.h5" \
    --set 'pooling.city_share={2024: 0.5, 2027: 0.3}' \
    --set lines.resident.pooling.county_liability=0.2 \
    --set lines.resident.pooling.tolerance=0.05 >/dev/null 2>&1 || say "dated terms run failed"
"$POOLSIM" report "$tmp/rt2.h5" -o "$tmp/rt2.html" --lang zh >/dev/null 2>&1 || say "report failed"
for w in '2027 年起，缺口由市级财政承担 30%' '县级超支超过本县筹资 5% 的部分，由县级政府承担 20%'; do
    grep -qF "$w" "$tmp/rt2.html" || say "the dated-terms report lacks: $w"
done
"$POOLSIM" run scenarios/zhuzhou.yaml -n 200 -t 2 -q -o "$tmp/rb.h5" >/dev/null 2>&1
"$POOLSIM" report "$tmp/rb.h5" -o "$tmp/rb.html" --lang en >/dev/null 2>&1 || say "report failed"
if grep -q '统收统支' "$tmp/rb.html"; then say "the baseline report mentions 统收统支"; fi
# summary tables of who pays, by hand on tests/data/pooling_det.yaml
# (tests/test_pooling.c): city 37.8875 in 2024; all governments 100 in
# 2023, 3151.55 in 2024, 3251.55 in all; county b 2410.246875 in all,
# worst year 2335.246875
"$POOLSIM" run tests/data/pooling_det.yaml -q -o "$tmp/det.h5" >/dev/null 2>&1 || say "det run"
"$POOLSIM" summary "$tmp/det.h5" --csv "$tmp/sum" -q >/dev/null 2>&1 || say "summary failed"
python3 - "$tmp/sum" <<'PY' || say "summary who-pays tables differ from the hand values"
import csv, sys
def rows(name):
    return list(csv.DictReader(open(sys.argv[1] + "/" + name, encoding="utf-8-sig")))
near = lambda a, b: abs(float(a) - b) <= 1e-9 * max(1, abs(b))
g = {r["year"]: r for r in rows("government_burden.csv")}
assert near(g["2024"]["city_mean"], 37.8875) and near(g["2023"]["government_p95"], 100)
assert near(g["2024"]["government_mean"], 3151.55) and near(g[""]["government_cvar95"], 3251.55)
c = [r for r in rows("county_all_lines.csv") if r["county_id"] == "b" and r["year"] == ""][0]
assert near(c["burden_mean"], 2410.246875) and near(c["worst_year_p95"], 2335.246875)
t = rows("county_burden_total.csv")[1]
assert t["county_id"] == "b" and near(t["worst_year_p99"], 2335.246875)
PY
# run's terminal summary names the pooled fund
"$POOLSIM" run scenarios/unified.yaml -n 100 -t 2 -o "$tmp/rs.h5" >"$tmp/rs.txt" 2>&1 ||
    say "unified run (summary) failed"
grep -q '统筹基金耗尽的概率' "$tmp/rs.txt" || { say "run's summary does not name the pooled fund"; cat "$tmp/rs.txt"; }
grep -q '上限' "$tmp/rs.txt" && say "run's summary shows a cap for a unified line"
grep -q '统收统支下不上解' "$tmp/ru.html" || say "the unified report's fan caption speaks of the reserve"
# solve on who pays, by hand on tests/data/pooling_det.yaml: the city
# pays city_share x 151.55 (the 2024 gap, which city_share does not
# change), so city_burden_total_p95[fund] <= 30 holds up to 30 / 151.55 =
# 0.19795...; all governments pay 3251.55 whatever city_share is
"$POOLSIM" solve tests/data/pooling_det.yaml --vary pooling.city_share=0:1 -q \
    --target 'city_burden_total_p95[fund] <= 30' --json "$tmp/sc.json" >/dev/null 2>&1 ||
    say "solve on city_burden_total_p95 failed"
python3 - "$tmp/sc.json" <<'PY' || say "solve on the city's burden: boundary not at 30 / 151.55"
import json, sys
d = json.load(open(sys.argv[1]))
x = 30 / 151.55
assert d["value"] <= x <= d["infeasible_value"], d
assert abs(d["metric"] - d["value"] * 151.55) < 1e-6
PY
"$POOLSIM" solve tests/data/pooling_det.yaml --vary pooling.city_share=0:1 -q \
    --target 'government_burden_total_p95[fund] <= 3000' >"$tmp/out" 2>&1
[ $? -eq 2 ] && grep -q 'gives 3251.55' "$tmp/out" ||
    { say "solve on government_burden_total_p95"; cat "$tmp/out"; }
# summary's terminal tables: the fund ratio and who pays
"$POOLSIM" summary "$tmp/rt.h5" --lang en >"$tmp/sum.txt" 2>&1 || say "summary (terminal) failed"
for w in '统收统支 from 2024: the ratio is the pooled fund balance' 'city government: mean' \
    'all governments: mean'; do
    grep -q "$w" "$tmp/sum.txt" || { say "summary lacks: $w"; cat "$tmp/sum.txt"; }
done
[ $fail -eq 0 ] && echo "pooling.sh: ok"
exit $fail
