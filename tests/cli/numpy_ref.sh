#!/bin/sh
# poolsim against an independent implementation of its model:
# bench/numpy_model.py, written in NumPy from docs/MODEL.md alone (its own
# random numbers, NumPy's Poisson and gamma samplers, exact lognormal
# limited moments through math.erfc). For the benchmark's four counties
# (20,000 paths) and the default scenario (10,000 paths), every mean the
# model reports (financing, expenditure, county balance, county burden,
# levy, reserve payment, shortfall probability per county; reserve balance,
# totals and exhaustion probabilities per line; every year) must agree with
# poolsim's within |z| < 5 of the two standard errors combined
# (bench/numpy_compare.py; about 660 and 1,500 comparisons: if the two
# programs compute the same model, a false alarm has a probability of about
# 1e-3, 2,160 x 5.7e-7). Deterministic values (the
# resident financing) must agree to 1e-9. Seeds are fixed.
#
# What it catches: a county balance without its interest (z = 16), the
# wage shock's sd off by half (z = -12). What it cannot: effects on the
# means below about 0.1% (the utilisation shock's variance correction
# v[t] with ar1 in place of ar1^2 moves expenditure by 0.07%: |z| < 3).
set -u
P=${POOLSIM:-./poolsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "numpy_ref.sh: $*"; exit 1; }

. "$(dirname "$0")/lib/python.sh"
py=$(python_with numpy yaml) || fail "no python3 with numpy and yaml (scripts/install-deps.sh --test installs python3-numpy and python3-yaml)"

check() { # scenario paths numpy-seed
    name=$(basename "$1" .yaml)
    "$P" run "$1" -n "$2" -q -o "$tmp/$name.h5" --json "$tmp/$name-poolsim.json" ||
        fail "poolsim run $1"
    "$py" bench/numpy_model.py "$1" -n "$2" --seed "$3" --json "$tmp/$name-numpy.json" 2>"$tmp/err" ||
        fail "numpy_model.py $1: $(cat "$tmp/err")"
    "$py" bench/numpy_compare.py "$tmp/$name-numpy.json" "$tmp/$name-poolsim.json" >"$tmp/cmp" ||
        { cat "$tmp/cmp"; fail "$1: poolsim and the NumPy model disagree"; }
    tail -1 "$tmp/cmp" | sed "s|^|numpy_ref: $name: |"
}
check bench/four-counties.yaml 20000 1
check scenarios/zhuzhou.yaml 10000 2
echo "numpy_ref: ok"
