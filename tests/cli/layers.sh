#!/bin/sh
# make check-layers: the library's calls go from higher to lower layers
# (docs/DESIGN.md), and the check does fail on an upward edge.
set -eu
build=${BUILD:-build}
scripts/check-layers.sh "$build"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# move plan above engine: engine's calls into plan become upward edges
sed 's/^| 5 | plan |/| 7 | plan |/' docs/DESIGN.md > "$tmp/DESIGN.md"
if LAYERS_TABLE="$tmp/DESIGN.md" scripts/check-layers.sh "$build" 2> "$tmp/err"; then
    echo "layers.sh: an upward edge was not reported" >&2
    exit 1
fi
grep -q "engine (layer 6, engine) calls poolsim_plan_build_ex in plan (layer 7, plan)" "$tmp/err"
# an object file the table does not name is refused
grep -v '^| 2 | text |' docs/DESIGN.md > "$tmp/DESIGN.md"
if LAYERS_TABLE="$tmp/DESIGN.md" scripts/check-layers.sh "$build" 2> "$tmp/err"; then
    echo "layers.sh: an unlisted object file was not reported" >&2
    exit 1
fi
grep -q "text.o is in no layer" "$tmp/err"
echo "layers.sh: ok"
