#!/bin/sh
# run --target-ci H: runs of 1,000, 2,000, 4,000, ... paths until the 95%
# half-width of every P(exhausted by year) is <= H. Checked here: the stop
# is the first count of the schedule whose Wilson intervals (recomputed
# from the counts in Python) are all within H; the result is exactly the
# plain run with that many paths; it does not depend on threads or ranks;
# --max-paths caps it with a warning; bad options are refused. The same
# for solve --target-ci, on the metric's interval at the answer.
set -u
P=${POOLSIM:-./poolsim}
MP=build-mpi/poolsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "target_ci.sh: $*"; exit 1; }
S=scenarios/zhuzhou.yaml
H=0.006

out=$("$P" run $S --set lang=en --target-ci $H -t 1 -o "$tmp/a.h5" --json "$tmp/a.json") ||
    fail "run --target-ci"
n=$(echo "$out" | sed -n 's/^precision: --target-ci [0-9.e-]* reached with \([0-9]*\) paths.*/\1/p')
[ -n "$n" ] || fail "no precision line: $out"
"$P" run $S --target-ci $H -t 2 -q -o "$tmp/b.h5" --json "$tmp/b.json" || fail "run -t 2"
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "--target-ci differs between 1 and 2 threads"
# the same as a plain run of n paths
"$P" run $S -n "$n" -t 2 -q -o "$tmp/c.h5" --json "$tmp/c.json" || fail "run -n $n"
cmp -s "$tmp/a.json" "$tmp/c.json" || fail "--target-ci result differs from run -n $n"
# n is the first count of 1000 * 2^k whose intervals are all within H
half=$((n / 2))
[ "$n" -ge 2000 ] || fail "expected more than one run at H=$H, got $n paths"
"$P" run $S -n "$half" -t 2 -q -o "$tmp/h.h5" --json "$tmp/h.json" || fail "run -n $half"
python3 - "$tmp/c.json" "$tmp/h.json" "$H" "$n" <<'PY' || fail "stopping rule"
import json, math, sys
def widest(path):
    r = json.load(open(path))
    n = r["paths"]
    z = 1.959963984540054
    w = 0.0
    for line in r["lines"].values():
        k = 0
        for c in line["first_exhaustion_count"][:-1]:
            k += c  # paths exhausted by this year
            q = k / n
            d = 1 + z * z / n
            c = (q + z * z / (2 * n)) / d
            h = z / d * math.sqrt(q * (1 - q) / n + z * z / (4 * n * n))
            lo, hi = max(0.0, c - h), min(1.0, c + h)
            if k == 0:
                lo = 0.0
            w = max(w, (hi - lo) / 2)
    return n, w
H = float(sys.argv[3])
n, w = widest(sys.argv[1])
m, v = widest(sys.argv[2])
assert n == int(sys.argv[4]) and m == n // 2, (n, m)
assert n in [1000 * 2 ** k for k in range(20)], n
assert w <= H, ("not within H at n", w)
assert v > H, ("already within H at n/2", v)
PY

# MPI: 2 ranks give the single-process result
if [ -x "$MP" ]; then
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    mpirun --oversubscribe --allow-run-as-root -np 2 "$MP" run $S --target-ci $H -t 1 -q \
        -o "$tmp/m.h5" --json "$tmp/m.json" || fail "mpirun --target-ci"
    cmp -s "$tmp/a.json" "$tmp/m.json" || fail "--target-ci differs under 2 MPI ranks"
fi

# --max-paths caps the schedule (1000, then 1500) with a warning
"$P" run $S --target-ci 0.001 --max-paths 1500 -q -o "$tmp/x.h5" --json "$tmp/x.json" \
    2>"$tmp/err" || fail "run --max-paths"
grep -q "not reached with --max-paths 1500" "$tmp/err" || fail "no warning: $(cat "$tmp/err")"
python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['paths'] == 1500" "$tmp/x.json" ||
    fail "--max-paths 1500 did not give 1500 paths"

# solve --target-ci: the whole solve on 1,000, 2,000, ... paths until the
# metric's 95% interval at the answer is within H; the same as solve -n n,
# for any thread count; the solve at n/2 was not yet within H
T='exhaustion_prob[resident,2030] <= 0.05'
V=reserve.levy_rate=0:0.3
"$P" solve $S --vary $V --target "$T" --max-evals 6 --tol 0.02 --target-ci 0.008 -t 1 -q \
    --json "$tmp/sa.json" >"$tmp/sa.out" || fail "solve --target-ci"
grep -q "precision   --target-ci 0.008 reached with" "$tmp/sa.out" || fail "no precision line"
"$P" solve $S --vary $V --target "$T" --max-evals 6 --tol 0.02 --target-ci 0.008 -t 2 -q \
    --json "$tmp/sb.json" >/dev/null || fail "solve --target-ci -t 2"
cmp -s "$tmp/sa.json" "$tmp/sb.json" || fail "solve --target-ci differs between 1 and 2 threads"
sn=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['paths'])" "$tmp/sa.json")
"$P" solve $S --vary $V --target "$T" --max-evals 6 --tol 0.02 -n "$sn" -t 2 -q --json "$tmp/sc.json" \
    >/dev/null || fail "solve -n $sn"
"$P" solve $S --vary $V --target "$T" --max-evals 6 --tol 0.02 -n $((sn / 2)) -t 2 -q \
    --json "$tmp/sd.json" >/dev/null || fail "solve -n $((sn / 2))"
python3 - "$tmp/sa.json" "$tmp/sc.json" "$tmp/sd.json" <<'PY' || fail "solve stopping rule"
import json, sys
a, c, d = (json.load(open(f)) for f in sys.argv[1:4])
for k in ("value", "metric", "ci", "evaluations", "points", "paths"):
    assert a[k] == c[k], k
assert a["paths"] in [1000 * 2 ** k for k in range(20)] and a["paths"] >= 2000, a["paths"]
assert a["halfwidth"] == (a["ci"][1] - a["ci"][0]) / 2 and a["halfwidth"] <= 0.008
assert (d["ci"][1] - d["ci"][0]) / 2 > 0.008, d["ci"]
PY

# bad options: exit 2, no file
for args in "--target-ci 0" "--target-ci -0.1" "--target-ci 0.6" "--target-ci nan" \
    "--target-ci abc" "--target-ci 0.01 -n 500" "--max-paths 5000" "--target-ci 0.01 --max-paths 0"; do
    # shellcheck disable=SC2086
    "$P" run $S $args -q -o "$tmp/bad.h5" 2>/dev/null
    [ $? -eq 2 ] || fail "'$args' not refused with exit 2"
    [ -e "$tmp/bad.h5" ] && fail "'$args' wrote a file"
done
for args in "--target-ci 0" "--target-ci 0.01 -n 500" "--max-paths 5000"; do
    # shellcheck disable=SC2086
    "$P" solve $S --vary $V --target "$T" $args -q 2>/dev/null
    [ $? -eq 2 ] || fail "solve '$args' not refused with exit 2"
done
exit 0
