#!/bin/sh
# Every bad scenario in tests/bad/ through `poolsim check FILE [--set K=V]...`:
# exit status 2, each expected message on stderr, the error count line
# matching the number of expected messages, nothing on stdout.
#
# A bad file names its expectations in comment lines
#   # expect: FILE:LINE:COL: KEY: message (a prefix of the full line)
#   # set: KEY=VALUE                      (passed as --set KEY=VALUE)
# A file that cannot hold comments (empty, binary) has them, one per line,
# in FILE.expect. Files under tests/bad/inc/ are bases and CSVs only.
set -u
: "${POOLSIM:?POOLSIM must name the poolsim binary}"
cd "$(dirname "$0")/../bad" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
nfiles=0
nfail=0
fail() {
    echo "FAIL $1: $2"
    nfail=$((nfail + 1))
}
for f in *.yaml; do
    nfiles=$((nfiles + 1))
    if [ -f "$f.expect" ]; then
        cp "$f.expect" "$tmp/expect"
    else
        LC_ALL=C sed -n 's/^# expect: //p' "$f" >"$tmp/expect"
    fi
    LC_ALL=C sed -n 's/^# set: //p' "$f" >"$tmp/sets"
    if [ ! -s "$tmp/expect" ]; then
        fail "$f" "no expected message"
        continue
    fi
    set -- check "$f"
    while IFS= read -r kv; do
        set -- "$@" --set "$kv"
    done <"$tmp/sets"
    "$POOLSIM" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || fail "$f" "exit status $rc (expected 2)"
    [ -s "$tmp/out" ] && fail "$f" "wrote to stdout"
    n=0
    while IFS= read -r want; do
        n=$((n + 1))
        grep -F -q -e "$want" "$tmp/err" || fail "$f" "missing on stderr: $want"
    done <"$tmp/expect"
    grep -q "^poolsim: $n errors\{0,1\} in " "$tmp/err" ||
        fail "$f" "expected the count line 'poolsim: $n error(s) in ...'"
    if [ "$nfail" -gt 0 ] && [ -n "${VERBOSE:-}" ]; then cat "$tmp/err"; fi
done
echo "bad_inputs: $nfiles files, $nfail failures"
[ "$nfiles" -ge 35 ] && [ "$nfail" -eq 0 ]
