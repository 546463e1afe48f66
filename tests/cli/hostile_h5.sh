#!/bin/sh
# Hostile and corrupt results files (issue 12 item 2): every file written by
# scripts/make-hostile-h5.py from a good file must make `summary` exit 3
# with a message naming the file, quickly, never crash or hang; a copy with
# random bytes flipped may also still be a valid file (exit 0: the flips hit
# numbers). `plot` and `report` read through the same reader. Uses
# $BUILD/test_report_results.h5 (CUnit suite plot) and Debian's python3-h5py.
set -u
build=${BUILD:-build}
good=$PWD/$build/test_report_results.h5
if [ ! -f "$good" ]; then
    echo "hostile_h5.sh: $good is missing (written by $build/run_tests plot)" >&2
    exit 1
fi
. "$(dirname "$0")/lib/python.sh"
if ! py=$(h5py_python); then
    echo "hostile_h5.sh: no python3 with h5py (Debian package python3-h5py)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
say() { echo "hostile_h5.sh: $*" >&2; fail=1; }
# Under the ASan build a sanitizer report from the reader's child process
# still ends in exit 3; it is a poolsim bug unless scripts/sanitizer-owner.sh
# finds it is libhdf5's own (NAME: the case, for the message)
asan_check() {
    if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/err" &&
        [ "$(scripts/sanitizer-owner.sh "$tmp/err")" = poolsim ]; then
        say "$1: a sanitizer report in poolsim's code: $(grep -m1 -E 'ERROR: |runtime error:' "$tmp/err")"
    fi
}

"$py" scripts/make-hostile-h5.py "$good" "$tmp/h" 48 || { echo "hostile_h5.sh: generator failed" >&2; exit 1; }
# the time limit of a read: the parent gives up 2 s after it
export POOLSIM_READ_TIMEOUT=10
n=0
crashed=0
for c in $(cat "$tmp/h/cases.txt"); do
    n=$((n + 1))
    f=$tmp/h/$c.h5
    start=$(date +%s)
    timeout -s KILL 60 "$POOLSIM" summary -q "$f" > /dev/null 2> "$tmp/err"
    rc=$?
    secs=$(($(date +%s) - start))
    [ "$secs" -le 15 ] || say "$c: took $secs s (limit 10 s + 2 s)"
    grep -q 'crashed' "$tmp/err" && crashed=$((crashed + 1))
    asan_check "$c"
    case "$c" in
        flip-*)
            # a flip in the numbers leaves a valid file
            [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || say "$c: exit $rc (expected 0 or 3)" ;;
        *) [ "$rc" -eq 3 ] || say "$c: exit $rc (expected 3)" ;;
    esac
    if [ "$rc" -eq 3 ]; then
        grep -q "^poolsim: cannot read $f: ." "$tmp/err" || say "$c: no message naming the file: $(head -c 300 "$tmp/err")"
    fi
done
[ "$n" -ge 80 ] || say "only $n hostile files were made"

# the files that libhdf5 1.10.8 alone got wrong: a 1 GiB fixed-length
# string (6 GB and minutes before), raw data in another file (read
# /etc/hostname as numbers), an external link to a FIFO (hung)
for c in string-fixed-1g:'fixed-length strings of 1073741824 bytes' \
    external-storage:'data stored in external files' \
    external-link-fifo:'an external link (only hard links are read)' \
    cycle-soft:'/lines: a soft link' id-with-slash:'not a plain name'; do
    name=${c%%:*}
    want=${c#*:}
    "$POOLSIM" summary -q "$tmp/h/$name.h5" 2> "$tmp/err"
    rc=$?
    [ "$rc" -eq 3 ] || say "$name: exit $rc (expected 3)"
    grep -qF "$want" "$tmp/err" || say "$name: message '$(cat "$tmp/err")' lacks '$want'"
done

# files found by fuzzing (scripts/fuzz.sh) on which libhdf5 1.10.8 itself
# loops forever (a global heap read) or segfaults: exit 3 within the time
# limit (a later libhdf5 may refuse them outright: still exit 3)
for f in tests/data/hostile/*.h5; do
    start=$(date +%s)
    POOLSIM_READ_TIMEOUT=3 timeout -s KILL 60 "$POOLSIM" summary -q "$f" > /dev/null 2> "$tmp/err"
    rc=$?
    secs=$(($(date +%s) - start))
    [ "$rc" -eq 3 ] || say "$f: exit $rc (expected 3)"
    [ "$secs" -le 8 ] || say "$f: took $secs s (limit 3 s + 2 s)"
    asan_check "$f"
    grep -q "^poolsim: cannot read $f: ." "$tmp/err" || say "$f: no message naming the file: $(cat "$tmp/err")"
    echo "hostile_h5.sh: $f:$(grep -m1 '^poolsim: cannot read' "$tmp/err" | cut -d: -f3-)"
done

# SIGTERM while the reader's child loops in libhdf5: exit 143 at once, and
# the child goes with the parent (no process left reading the file)
cp tests/data/hostile/hdf5-heap-loop.h5 "$tmp/loop-term.h5"
POOLSIM_READ_TIMEOUT=60 "$POOLSIM" summary -q "$tmp/loop-term.h5" 2> /dev/null &
pid=$!
sleep 1
kill -TERM "$pid"
# (the shell's own "Terminated" notice is not ours to print)
wait "$pid" 2> /dev/null
rc=$?
[ "$rc" -eq 143 ] || say "SIGTERM during a read: exit $rc (expected 143)"
sleep 1
if pgrep -f "$tmp/loop-term.h5" > /dev/null; then
    say "the reader's child outlived its parent"
    pkill -KILL -f "$tmp/loop-term.h5"
fi

# sweep files: every variant of scripts/make-hostile-h5.py --sweep (a /sweep
# dataset missing, of 2^41 elements, a string, of one more dimension or
# longer; an attribute missing or an array; a group made a dataset, a soft
# link loop) makes `plot` exit 3 with a message naming the file and draw
# no chart
"$POOLSIM" sweep tests/data/sweep_small.yaml -n 50 --set reserve.cap_ratio=0.2,0.3 \
    -o "$tmp/sweep.h5" -q > /dev/null 2>&1 || say "the sweep for the hostile sweep files failed"
"$py" scripts/make-hostile-h5.py --sweep "$tmp/sweep.h5" "$tmp/s" || say "the sweep generator failed"
ns=0
for c in $(cat "$tmp/s/cases.txt"); do
    ns=$((ns + 1))
    f=$tmp/s/$c.h5
    rm -rf "$tmp/sc"
    timeout -s KILL 60 "$POOLSIM" plot "$f" -o "$tmp/sc" > /dev/null 2> "$tmp/err"
    rc=$?
    [ "$rc" -eq 3 ] || say "sweep $c: plot exited $rc (expected 3)"
    asan_check "sweep $c"
    grep -q "^poolsim: cannot read $f: ." "$tmp/err" || say "sweep $c: no message naming the file: $(head -c 300 "$tmp/err")"
    [ ! -e "$tmp/sc" ] || [ -z "$(ls -A "$tmp/sc")" ] || say "sweep $c: plot wrote charts"
done
[ "$ns" -ge 100 ] || say "only $ns hostile sweep files were made"
# the good sweep file still draws its sweep charts
"$POOLSIM" plot "$tmp/sweep.h5" -o "$tmp/sc-good" > /dev/null 2>&1 || say "the good sweep file is refused"
ls "$tmp/sc-good" | grep -q sweep || say "no sweep chart from the good sweep file"

# plot and report read through the same guard: exit 3, nothing written
"$POOLSIM" plot "$tmp/h/external-storage.h5" -o "$tmp/charts" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || say "plot of a hostile file exited $rc (expected 3)"
[ ! -e "$tmp/charts" ] || [ -z "$(ls -A "$tmp/charts")" ] || say "plot wrote charts from a hostile file"
"$POOLSIM" report "$tmp/h/string-fixed-1g.h5" -o "$tmp/r.html" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 3 ] || say "report of a hostile file exited $rc (expected 3)"
[ ! -e "$tmp/r.html" ] || say "report wrote a file from a hostile file"
# a FIFO as the results file: refused at once, not waited on
mkfifo "$tmp/fifo.h5"
timeout -s KILL 20 "$POOLSIM" summary -q "$tmp/fifo.h5" 2> "$tmp/err"
rc=$?
[ "$rc" -eq 3 ] && grep -q 'not a regular file' "$tmp/err" || say "a FIFO: exit $rc, $(cat "$tmp/err")"
# the good file still reads
"$POOLSIM" summary -q "$good" || say "the good file is refused"

echo "hostile_h5.sh: $n hostile files, $crashed crashed libhdf5 in the reader's child process; $ns hostile sweep files"
exit $fail
