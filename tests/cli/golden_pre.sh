#!/bin/sh
# A scenario without the keys of the pooling designs computes exactly what
# it computed before them (MODEL.md section 10): tests/golden/pre/ holds
# the summary JSON and HDF5 results of five scenarios written by poolsim
# before pooling designs existed (`poolsim run S -n 3000 -s 7 -t 2`),
# regenerated for the generator of issue 14 (inline Philox streams and own
# samplers change every random number) by that change built on the engine
# before pooling designs, so the comparison still spans the pooling change.
# Every JSON value and every HDF5 dataset there must be identical in a new
# run; keys and datasets added since (new outputs) are not compared, and
# neither are file attributes (commit, run time, resolved text).
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-golden-pre.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
. tests/cli/lib/python.sh
h5py=$(h5py_python)

for sc in scenarios/zhuzhou.yaml tests/data/engine_small.yaml tests/data/full.yaml \
    scenarios/stress/dated_policy.yaml scenarios/stress/global_budget.yaml; do
    b=$(basename "$sc" .yaml)
    if ! "$POOLSIM" run "$sc" -n 3000 -s 7 -t 2 -q -o "$tmp/$b.h5" --json "$tmp/$b.json" \
        >"$tmp/out" 2>&1; then
        echo "golden_pre.sh: $sc: run failed"; cat "$tmp/out"; fail=1; continue
    fi
    # JSON: every key of the old file, with the same value (floats compared
    # exactly: Python reads the shortest round-trip text to the same double)
    if ! python3 - "tests/golden/pre/$b.json" "$tmp/$b.json" <<'PY'
import json, sys
old = json.load(open(sys.argv[1]))
new = json.load(open(sys.argv[2]))
bad = []
def walk(o, n, path):
    if isinstance(o, dict):
        if not isinstance(n, dict):
            bad.append(path); return
        for k, v in o.items():
            if k not in n: bad.append(path + "/" + k + " (missing)")
            else: walk(v, n[k], path + "/" + k)
    elif isinstance(o, list):
        if not isinstance(n, list) or len(n) != len(o):
            bad.append(path); return
        for i, (a, b) in enumerate(zip(o, n)): walk(a, b, "%s[%d]" % (path, i))
    elif type(o) != type(n) or o != n:
        bad.append("%s: %r != %r" % (path, o, n))
for b in bad[:10]: print("  " + b)
sys.exit(1 if bad else 0)
PY
    then
        echo "golden_pre.sh: $sc: the summary JSON differs from tests/golden/pre/$b.json"; fail=1
    fi
    # HDF5: every dataset of the old file, identical (h5py when installed,
    # else h5diff object by object, slower)
    if [ -n "$h5py" ]; then
        if ! "$h5py" - "tests/golden/pre/$b.h5" "$tmp/$b.h5" <<'PY'
import sys, h5py, numpy
old, new = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
names, bad = [], []
old.visititems(lambda k, o: names.append(k) if isinstance(o, h5py.Dataset) else None)
for k in names:
    if k not in new or not isinstance(new[k], h5py.Dataset):
        bad.append(k + " (missing)"); continue
    a, b = old[k][()], new[k][()]
    if old[k].dtype != new[k].dtype or numpy.shape(a) != numpy.shape(b) or \
            not numpy.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
        bad.append(k)
for k in bad[:10]: print("  dataset " + k)
sys.exit(1 if bad or len(names) < 10 else 0)
PY
        then
            echo "golden_pre.sh: $sc: datasets differ from tests/golden/pre/$b.h5"; fail=1
        fi
        continue
    fi
    h5ls -r "tests/golden/pre/$b.h5" | awk '$2 == "Dataset" {print $1}' >"$tmp/sets"
    n=$(wc -l <"$tmp/sets")
    if [ "$n" -lt 10 ]; then
        echo "golden_pre.sh: $b.h5: only $n datasets listed"; fail=1
    fi
    while read -r d; do
        if ! h5diff -q "tests/golden/pre/$b.h5" "$tmp/$b.h5" "$d" "$d" >/dev/null 2>&1; then
            echo "golden_pre.sh: $sc: dataset $d differs from tests/golden/pre/$b.h5"; fail=1
        fi
    done <"$tmp/sets"
done
[ $fail -eq 0 ] && echo "golden_pre.sh: ok"
exit $fail
