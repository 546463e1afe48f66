#!/bin/sh
# Kill `poolsim run -o X.h5 --json X.json` at random moments and check the
# promises of docs/RESULTS.md: a final name never holds a partial file; with
# SIGINT/SIGTERM the exit status is 130/143 and neither file is written, or
# the run had finished (exit 0, both files complete).
# Usage: scripts/kill-loop.sh KILL|INT|TERM [ITERATIONS] [POOLSIM]
set -u
sig=${1:-KILL}
n=${2:-50}
P=${3:-./poolsim}
S=tests/data/engine_small.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
complete() { # both files of the set complete
    h5dump -a /complete "$tmp/r.h5" 2>/dev/null | grep -q '(0): 1' &&
        python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/r.json" 2>/dev/null
}
stopped=0 finished=0 bad=0 leftover=0
i=0
while [ $i -lt $n ]; do
    i=$((i + 1))
    rm -f "$tmp"/r.h5 "$tmp"/r.json "$tmp"/.r.*
    "$P" run $S -n 150000 -t 2 -q --save-paths -o "$tmp/r.h5" --json "$tmp/r.json" 2>/dev/null &
    pid=$!
    # a random moment in 0 .. 6 s (the run takes about 4-6 s here)
    ms=$(awk -v s="$i$$" 'BEGIN { srand(s); printf "%.3f", rand() * 6 }')
    sleep "$ms"
    kill -s "$sig" $pid 2>/dev/null
    wait $pid
    rc=$?
    ls -A "$tmp" | grep -q '^\.r\.' && leftover=$((leftover + 1))
    if [ -e "$tmp/r.h5" ] || [ -e "$tmp/r.json" ]; then
        if complete; then
            finished=$((finished + 1))
            [ "$sig" = KILL ] || [ $rc -eq 0 ] || { bad=$((bad + 1)); echo "files with exit $rc"; }
        else
            bad=$((bad + 1))
            echo "iteration $i: a partial or unpaired file under a final name (exit $rc)"
        fi
    else
        stopped=$((stopped + 1))
        case $sig in
        INT) [ $rc -eq 130 ] || { bad=$((bad + 1)); echo "SIGINT: exit $rc"; } ;;
        TERM) [ $rc -eq 143 ] || { bad=$((bad + 1)); echo "SIGTERM: exit $rc"; } ;;
        esac
    fi
done
echo "SIG$sig x $n: stopped with no file $stopped, finished (complete files) $finished," \
    "temporaries left $leftover, violations $bad"
[ $bad -eq 0 ]
