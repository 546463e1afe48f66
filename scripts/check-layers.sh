#!/bin/sh
# Checks that every call between object files goes from a higher layer to a
# lower one (docs/DESIGN.md's layer table): no upward or cyclic edges.
# Usage: scripts/check-layers.sh [BUILD_DIR]
set -eu
build=${1:-build}
cd "$(dirname "$0")/.."
table=${LAYERS_TABLE:-docs/DESIGN.md}
[ -d "$build" ] || { echo "check-layers: no $build (build first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# object stem -> "layer module" (exact names first, then globs like cli_*)
sed -n '/<!-- layers:begin/,/<!-- layers:end/p' "$table" |
    awk -F'|' 'NF > 4 && $2 ~ /[0-9]/ { gsub(/ /, "", $2); gsub(/ /, "", $3);
                n = split($4, o, " "); for (i = 1; i <= n; i++) print o[i], $2, $3 }' > "$tmp/layers"
[ -s "$tmp/layers" ] || { echo "check-layers: no layer table in $table" >&2; exit 2; }

status=0
for o in "$build"/*.o; do
    stem=$(basename "$o" .o)
    entry=$(awk -v s="$stem" '$1 == s { print $2, $3; exit }' "$tmp/layers")
    if [ -z "$entry" ]; then
        entry=$(awk -v s="$stem" 'index($1, "*") { p = $1; sub(/\*$/, "", p);
                    if (index(s, p) == 1) { print $2, $3; exit } }' "$tmp/layers")
    fi
    if [ -z "$entry" ]; then
        echo "check-layers: $stem.o is in no layer: add src/$stem.c to the table in $table" >&2
        status=1
        continue
    fi
    echo "$stem $entry" >> "$tmp/objects"
    nm --defined-only "$o" | awk -v s="$stem" '$2 ~ /^[TDBR]$/ { print $3, s }' >> "$tmp/defs"
    nm -u "$o" | awk -v s="$stem" '{ print s, $2 }' >> "$tmp/uses"
done
[ "$status" -eq 0 ] || exit 1

sort -k1,1 "$tmp/defs" > "$tmp/defs.s"
sort -k2,2 "$tmp/uses" > "$tmp/uses.s"
# caller symbol callee -> with layers and modules
join -1 2 -2 1 "$tmp/uses.s" "$tmp/defs.s" |
    awk 'NR == FNR { layer[$1] = $2; mod[$1] = $3; next }
         $2 != $3 && mod[$2] != mod[$3] && layer[$3] + 0 >= layer[$2] + 0 {
             printf "check-layers: %s (layer %s, %s) calls %s in %s (layer %s, %s): not a lower layer\n",
                    $2, layer[$2], mod[$2], $1, $3, layer[$3], mod[$3]; bad = 1 }
         END { exit bad }' "$tmp/objects" - >&2 || status=1
if [ "$status" -eq 0 ]; then
    echo "check-layers: $(wc -l < "$tmp/objects") object files, every call goes to a lower layer"
fi
exit "$status"
