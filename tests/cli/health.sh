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
echo "$out" | grep -q '^  warn_months: 6$' || fail "check: warn_months default is not 6"
echo "$out" | grep -qF -- '- {id: raise, line: res, indicator: surplus_rate, below: 0, action: contribution, change: 0.1, max_times: 2, lag: 2}' ||
    fail "check does not list rule raise"
echo "$out" | grep -qF -- '- {id: cut, line: res, indicator: months_covered, below: 2.5, action: benefits, change: -0.05, max_times: 1, lag: 1, from_year: 2027}' ||
    fail "check does not list rule cut with its defaults"
out=$("$P" check tests/data/manage_det.yaml --set management.raise.below=5 --set health.warn_months=9) ||
    fail "check with --set"
echo "$out" | grep -qF -- '- {id: raise, line: res, indicator: surplus_rate, below: 5,' ||
    fail "--set management.raise.below=5 not applied"
echo "$out" | grep -q '^  warn_months: 9$' || fail "--set health.warn_months=9 not applied"
"$P" check tests/data/engine_det.yaml | grep -q '^management: \[\]$' || fail "no rules: not 'management: []'"

# no spending in a year: exit 1, the message names the line and the year
"$P" run tests/data/engine_det.yaml --set lines.res.benefits.inpatient.rate.resident=0 \
    --set lines.res.benefits.inpatient.rate.worker=0 --set lines.res.benefits.catastrophic.amount=0 \
    -q -o "$tmp/z.h5" 2> "$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "zero spending: exit $rc, expected 1"
grep -q 'total expenditure is zero, so the months of payment covered are undefined for line res, year 2021' "$tmp/err" ||
    fail "zero spending: message was: $(cat "$tmp/err")"
[ -e "$tmp/z.h5" ] && fail "zero spending left a results file"
echo "health.sh: ok"
