#!/bin/sh
# `poolsim run` honours the levers the rules name: the global budget and
# dated values (tests/data/levers_det.yaml, deterministic; the expected
# figures are derived by hand in that file) -- read back from the summary
# JSON with Python's json module.
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-levers.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

"$POOLSIM" run tests/data/levers_det.yaml -o "$tmp/r.h5" --json "$tmp/r.json" -q \
    >"$tmp/stdout" 2>"$tmp/stderr" || { echo "levers_run.sh: run failed"; cat "$tmp/stderr"; exit 1; }
python3 - "$tmp/r.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
def county(line):
    return j["lines"][line]["counties"]["a"]
expect = {
    ("budget", "expenditure"): [950000] * 5,
    ("budget2", "expenditure"): [325000, 325000, 375000, 375000, 375000],
    ("coins", "expenditure"): [350000, 350000, 350000, 375000, 375000],
    ("levy", "financing"): [1000000, 1050000, 1102500, 1357625, 1415506.25],
    ("levy", "levy"): [100000, 100000, 52500, 55125, 67881.25],
}
bad = 0
for (line, key), want in expect.items():
    got = county(line)[key]["mean"]
    for t, (g, w) in enumerate(zip(got, want)):
        if abs(g - w) > 1e-9 * w:
            print("levers_run.sh: %s %s year %d: %r, expected %r" % (line, key, j["years"][t], g, w))
            bad = 1
sys.exit(bad)
PY
