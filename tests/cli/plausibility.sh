#!/bin/sh
# Plausibility warnings (not errors; --strict makes them errors, exit 2):
# a yearly rate above 0.5 ("written as a percentage?") names its key and
# position; a year-1 expenditure/financing ratio outside 0.3..3 names the
# county and line (here resident contributions typed in 万元: 0.028 for
# 280 yuan). The shipped scenario draws no warning.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-plaus.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
sc=scenarios/zhuzhou.yaml

"$POOLSIM" check "$sc" -q >/dev/null 2>"$tmp/err"
if [ $? -ne 0 ] || [ -s "$tmp/err" ]; then echo "plausibility.sh: warnings on $sc"; cat "$tmp/err"; fail=1; fi

"$POOLSIM" check "$sc" -q --set economy.medical_inflation.mean=5 >/dev/null 2>"$tmp/err"
if [ $? -ne 0 ] || ! grep -qF -- "--set:1:1: warning: economy.medical_inflation.mean: 5 a year is above 0.5, unusual for a growth, inflation or interest rate (written as a percentage? 5% a year is 0.05)" "$tmp/err"; then
    echo "plausibility.sh: no rate warning"; cat "$tmp/err"; fail=1
fi
"$POOLSIM" check "$sc" -q --strict --set economy.medical_inflation.mean=5 >/dev/null 2>"$tmp/err"
if [ $? -ne 2 ] || ! grep -qF "[--strict]" "$tmp/err"; then
    echo "plausibility.sh: --strict did not refuse the rate"; cat "$tmp/err"; fail=1
fi
# a rate in a file: its own position
sed 's/subsidy_growth: 0.04/subsidy_growth: 4/' "$sc" >"$tmp/pct.yaml"
cp scenarios/zhuzhou-counties.csv "$tmp/"
"$POOLSIM" check "$tmp/pct.yaml" -q >/dev/null 2>"$tmp/err"
line=$(grep -n 'subsidy_growth: 4' "$tmp/pct.yaml" | cut -d: -f1)
if ! grep -qE "^$tmp/pct.yaml:$line:[0-9]+: warning: lines.resident.classes.resident.subsidy_growth: 4 a year" "$tmp/err"; then
    echo "plausibility.sh: no positioned warning for subsidy_growth: 4"; cat "$tmp/err"; fail=1
fi

set -- --set lines.resident.classes.resident.per_capita=0.028 --set lines.resident.classes.resident.subsidy=0.055
"$POOLSIM" check "$sc" -q "$@" >/dev/null 2>"$tmp/err"
if [ $? -ne 0 ] || ! grep -qE "warning: counties.hetang: line resident: year-1 expected expenditure [0-9]+ over financing 17312 is 9[0-9]{3}, outside 0.3..3 \(money in 万元 instead of yuan" "$tmp/err"; then
    echo "plausibility.sh: no ratio warning"; cat "$tmp/err"; fail=1
fi
"$POOLSIM" run "$sc" --paths 10 -q --strict -o "$tmp/x.h5" "$@" >/dev/null 2>"$tmp/err"
if [ $? -ne 2 ] || [ -e "$tmp/x.h5" ]; then
    echo "plausibility.sh: run --strict did not refuse the ratio"; cat "$tmp/err"; fail=1
fi
exit $fail
