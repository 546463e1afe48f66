#!/bin/sh
# poolsim run from the command line: outputs, thread invariance of the
# written files, interrupted runs (SIGINT/SIGTERM leave no results file),
# bad options.
set -u
P=${POOLSIM:-./poolsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "run.sh: $*"; exit 1; }

# 1 and 2 threads (and OMP_NUM_THREADS) give byte-identical JSON and the same HDF5 datasets
"$P" run scenarios/zhuzhou.yaml -n 600 -t 1 -q -o "$tmp/a.h5" --json "$tmp/a.json" || fail "run -t 1"
"$P" run scenarios/zhuzhou.yaml -n 600 -t 2 -q -o "$tmp/b.h5" --json "$tmp/b.json" || fail "run -t 2"
OMP_NUM_THREADS=2 "$P" run scenarios/zhuzhou.yaml -n 600 -q -o "$tmp/c.h5" --json "$tmp/c.json" || fail "run OMP"
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "JSON differs between 1 and 2 threads"
cmp -s "$tmp/a.json" "$tmp/c.json" || fail "JSON differs with OMP_NUM_THREADS=2"
# attributes hold run time and thread count; every dataset must match
h5diff --exclude-attribute / "$tmp/a.h5" "$tmp/b.h5" >/dev/null 2>&1 || \
    fail "HDF5 datasets differ between 1 and 2 threads"
h5dump -a /complete "$tmp/a.h5" | grep -q '(0): 1' || fail "complete attribute missing"

# --version and the results' provenance name the commit the binary was
# built from (make rebuilds them when it changes), checked in a git tree
if head=$(git rev-parse --short=12 HEAD 2>/dev/null); then
    "$P" --version | grep -q "(commit $head" || fail "--version does not name commit $head"
    h5dump -a /git_commit "$tmp/a.h5" | grep -q "\"$head" ||
        fail "the results do not record commit $head"
fi

# the summary on the terminal names each line's exhaustion probability, in
# the scenario's language (zhuzhou.yaml has lang: zh)
out=$("$P" run scenarios/zhuzhou.yaml --set lang=en -n 300 -o "$tmp/d.h5" 2>/dev/null) ||
    fail "run with summary"
echo "$out" | grep -q "P(reserve exhausted by 2030)" || fail "summary lacks exhaustion line"
echo "$out" | grep -q "median reserve ratio" || fail "summary lacks reserve ratio"
echo "$out" | grep -q "^results: $tmp/d.h5" || fail "summary lacks the results line"
out=$("$P" run scenarios/zhuzhou.yaml -n 300 -o "$tmp/d.h5" 2>/dev/null) || fail "run with summary (zh)"
echo "$out" | grep -q "2030 年前风险储备金耗尽的概率" || fail "zh summary lacks exhaustion line"
echo "$out" | grep -q "2030 年储备金比率中位数" || fail "zh summary lacks reserve ratio"
echo "$out" | grep -q "^结果：$tmp/d.h5" || fail "zh summary lacks the results line"
echo "$out" | grep -Eq "paths|median|exhausted|line " && fail "zh summary has English text"

# interrupted: exit 130 (SIGINT) / 143 (SIGTERM), no results file, no temp file
for sig in INT TERM; do
    "$P" run scenarios/zhuzhou.yaml -n 2000000 -q -o "$tmp/int.h5" &
    pid=$!
    sleep 1.5
    kill -s $sig $pid
    wait $pid
    rc=$?
    want=130; [ $sig = TERM ] && want=143
    [ $rc -eq $want ] || fail "SIG$sig: exit $rc, expected $want"
    [ -e "$tmp/int.h5" ] && fail "SIG$sig left a results file"
    ls -a "$tmp" | grep -q '\.tmp\.' && fail "SIG$sig left a temporary file"
done

# bad options: exit 2, nothing written
"$P" run scenarios/zhuzhou.yaml -n 0 -o "$tmp/bad.h5" 2>/dev/null; [ $? -eq 2 ] || fail "-n 0 not exit 2"
"$P" run scenarios/zhuzhou.yaml -t abc -o "$tmp/bad.h5" 2>/dev/null; [ $? -eq 2 ] || fail "-t abc not exit 2"
"$P" run scenarios/zhuzhou.yaml --set reserve.levy_rate=1.3 -o "$tmp/bad.h5" 2>"$tmp/err"
[ $? -eq 2 ] || fail "--set out of range not exit 2"
grep -q "reserve.levy_rate" "$tmp/err" || fail "--set error does not name the key"
[ -e "$tmp/bad.h5" ] && fail "bad input wrote a file"
# unwritable destination: exit 3 before running
"$P" run scenarios/zhuzhou.yaml -n 10 -o /nonexistent-dir/x.h5 2>/dev/null; [ $? -eq 3 ] || fail "missing folder not exit 3"
# a financing that overflows: exit 1, no file, the county, line and year named (county a's
# 200 workers pay 5% of 1.75e307 = 1.75e308 yuan in 2021 and, with 4% wage growth, inf in 2022)
"$P" run tests/data/engine_det.yaml --set counties.a.wage=1.75e307 -q -o "$tmp/inf.h5" 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] || fail "overflowing financing: exit $rc, expected 1"
grep -q 'financing is not finite for county a, line res, year 2022 (path 0)' "$tmp/err" ||
    fail "overflowing financing: message was: $(cat "$tmp/err")"
[ -e "$tmp/inf.h5" ] && fail "overflowing financing left a results file"
echo "run.sh: ok"
