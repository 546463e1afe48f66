#!/bin/sh
# `poolsim fit`: the shipped illustrative history (scenarios/zhuzhou-history.csv)
# fits (exit 0), the fitted scenario extends the base, starts in the year
# after the history, loads (`check`) and runs; the chart is drawn. Too few
# years and a gap in the years are refused (exit 2, nothing written).
# Recovery of known parameters is tested in tests/test_fit.c.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-fit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
hist=scenarios/zhuzhou-history.csv

"$POOLSIM" fit "$hist" --scenario scenarios/zhuzhou.yaml -o "$tmp/fitted.yaml" \
    --bootstrap 199 >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "fit.sh: fitting the shipped history exited $rc"; cat "$tmp/stderr"; fail=1
else
    grep -q '^start_year: 2027 ' "$tmp/fitted.yaml" || { echo "fit.sh: start_year is not 2027"; fail=1; }
    # extends names the base relative to the fitted file's folder
    base=$(sed -n 's/^extends: "\(.*\)"$/\1/p' "$tmp/fitted.yaml")
    if [ ! -f "$tmp/$base" ] || ! cmp -s "$tmp/$base" scenarios/zhuzhou.yaml; then
        echo "fit.sh: extends '$base' does not name scenarios/zhuzhou.yaml"; fail=1
    fi
    grep -q 'economy.medical_inflation.mean' "$tmp/stdout" || { echo "fit.sh: no report"; fail=1; }
    [ -s "$tmp/fitted-fit.png" ] || { echo "fit.sh: no chart $tmp/fitted-fit.png"; fail=1; }
    # every fitted inflation value carries its interval
    n=$(grep -c '# 95% interval' "$tmp/fitted.yaml")
    [ "$n" -ge 15 ] || { echo "fit.sh: only $n values with an interval"; fail=1; }
    "$POOLSIM" check "$tmp/fitted.yaml" -q >"$tmp/check" 2>&1 || { echo "fit.sh: the fitted scenario does not check"; cat "$tmp/check"; fail=1; }
    "$POOLSIM" run "$tmp/fitted.yaml" --paths 200 -q -o "$tmp/fitted.h5" 2>"$tmp/stderr" ||
        { echo "fit.sh: the fitted scenario does not run"; cat "$tmp/stderr"; fail=1; }
fi

# four years: refused
awk -F, 'NR == 1 || $1 <= 2024' "$hist" >"$tmp/four.csv"
"$POOLSIM" fit "$tmp/four.csv" --scenario scenarios/zhuzhou.yaml -o "$tmp/four.yaml" >/dev/null 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 2 ] || [ -e "$tmp/four.yaml" ] ||
    ! grep -qF "line employee has 4 years (2021..2024): too few" "$tmp/stderr"; then
    echo "fit.sh: four years not refused (rc $rc)"; cat "$tmp/stderr"; fail=1
fi
# a gap: 2023 left out
awk -F, '$1 != 2023' "$hist" >"$tmp/gap.csv"
"$POOLSIM" fit "$tmp/gap.csv" --scenario scenarios/zhuzhou.yaml -o "$tmp/gap.yaml" >/dev/null 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 2 ] || [ -e "$tmp/gap.yaml" ] ||
    ! grep -qE "^$tmp/gap.csv:[0-9]+:1: year: line employee has 2024 after 2022" "$tmp/stderr"; then
    echo "fit.sh: a gap not refused (rc $rc)"; cat "$tmp/stderr"; fail=1
fi
# a county missing in a year: the flows reader's message
grep -v '^2024,lukou,resident' "$hist" >"$tmp/hole.csv"
"$POOLSIM" fit "$tmp/hole.csv" --scenario scenarios/zhuzhou.yaml -o "$tmp/hole.yaml" >/dev/null 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 2 ] || [ -e "$tmp/hole.yaml" ] ||
    ! grep -qF "no row for county 'lukou' in year 2024, line resident" "$tmp/stderr"; then
    echo "fit.sh: a missing county not refused (rc $rc)"; cat "$tmp/stderr"; fail=1
fi
exit $fail
