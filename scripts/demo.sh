#!/bin/sh
# make demo: run the default scenario end to end and say where the outputs are.
# Usage: scripts/demo.sh [SCENARIO]
set -eu
cd "$(dirname "$0")/.."
scen=${1:-scenarios/zhuzhou.yaml}
base=$(basename "$scen" .yaml)
mkdir -p results
./poolsim check -q "$scen"
./poolsim run "$scen" -o "results/$base.h5" --json "results/$base.json"
if ./poolsim help | grep -q '^  plot'; then
    ./poolsim plot "results/$base.h5" -o "results/$base-charts"
fi
if ./poolsim help | grep -q '^  report'; then
    ./poolsim report "results/$base.h5" -o "results/$base.html"
fi
echo
echo "demo outputs:"
for f in "results/$base.h5" "results/$base.json" "results/$base-charts" "results/$base.html"; do
    [ -e "$f" ] && echo "  $f"
done
