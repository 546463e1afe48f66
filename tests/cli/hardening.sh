#!/bin/sh
# Hardening reproducers (issue 12): destinations that are not regular files,
# links planted at predictable temporary names, signals in every phase,
# names that could break charts, CSV formulas or the terminal, sets of files.
set -u
P=${POOLSIM:-./poolsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "hardening.sh: $*"; exit 1; }
S=tests/data/engine_small.yaml

# ---- 1. destinations that are not regular files: exit 3, a clear message,
# the destination untouched, nothing else written
mkdir "$tmp/dest" "$tmp/dest/folder"
mkfifo "$tmp/dest/fifo"
ln -s folder "$tmp/dest/link-to-folder"
ln -s /dev/null "$tmp/dest/null"
"$P" run $S -n 50 -q -o "$tmp/ok.h5" || fail "reference run"
for d in fifo folder link-to-folder null; do
    t="$tmp/dest/$d"
    for cmd in "run $S -n 50 -q -o $t" "run $S -n 50 -q -o $tmp/x.h5 --json $t" \
        "summary $tmp/ok.h5 -q --xlsx $t" "summary $tmp/ok.h5 -q --json $t" \
        "report $tmp/ok.h5 -o $t" "settle tests/data/settle_small.yaml tests/data/settle_small_flows.csv -q --csv $t" \
        "sweep $S -n 50 -q --set reserve.levy_rate=0.1,0.2 -o $t" \
        "sweep $S -n 50 -q --set reserve.levy_rate=0.1,0.2 -o $tmp/x.h5 --csv $t" \
        "compare $S $S -n 50 -q --json $t"; do
        # shellcheck disable=SC2086
        timeout 120 "$P" $cmd 2>"$tmp/err" </dev/null
        rc=$?
        [ $rc -eq 3 ] || fail "$cmd: exit $rc, expected 3"
        grep -q "cannot write $t: it exists and is .*poolsim replaces only regular files" "$tmp/err" ||
            fail "$cmd: no clear message: $(cat "$tmp/err")"
        [ -e "$tmp/x.h5" ] && fail "$cmd wrote the other file of its set"
    done
done
[ -p "$tmp/dest/fifo" ] || fail "the FIFO was replaced"
[ -c /dev/null ] || fail "/dev/null was replaced"
[ -L "$tmp/dest/null" ] || fail "the link to /dev/null was replaced"
[ "$(ls -A "$tmp/dest/folder")" = "" ] || fail "something was written into the folder"
[ "$(ls -A "$tmp/dest" | wc -l)" -eq 4 ] || fail "temporary files left: $(ls -A "$tmp/dest")"

# ---- 1. a link planted at the old predictable temporary name
# ".<name>.tmp.<pid>" (exec keeps the shell's pid) does not redirect the write
echo precious >"$tmp/victim"
for w in "run $S -n 50 -q -o $tmp/p.h5" "run $S -n 50 -q -o $tmp/q.h5 --json $tmp/p.h5" \
    "summary $tmp/ok.h5 -q --xlsx $tmp/p.h5"; do
    rm -f "$tmp/p.h5"
    # shellcheck disable=SC2016
    sh -c 'ln -s "$1/victim" "$1/.p.h5.tmp.$$"; ln -s "$1/victim" "$1/.poolsim-xlsx-$$.tmp"
           shift; exec "$@"' sh "$tmp" $P $w >/dev/null || fail "$w with planted links"
    [ "$(cat "$tmp/victim")" = precious ] || fail "$w wrote through a planted link"
    [ -f "$tmp/p.h5" ] && [ ! -L "$tmp/p.h5" ] || fail "$w did not write p.h5"
    rm -f "$tmp"/.p.h5.tmp.* "$tmp"/.poolsim-xlsx-*.tmp "$tmp/q.h5"
done

echo "hardening.sh: ok"
