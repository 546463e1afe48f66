#!/bin/sh
# Run the libFuzzer targets of tests/fuzz/ (built by `make fuzz` into
# build-fuzz/) for SECONDS each (default 60), from copies of their seed
# corpora in tests/fuzz/corpus/ (the seeds in the repository are not
# changed); the results-file target's seed is written by ./poolsim from
# tests/fuzz/results-seed.yaml. Prints per target the executions and findings.
#
# The results-file target runs libhdf5 in-process and libhdf5 (not
# instrumented) can crash on crafted metadata by itself: it runs with
# -fork=1 -ignore_crashes=1, and every crash it finds is then
#   - classified by its sanitizer report (scripts/sanitizer-owner.sh): a
#     poolsim finding (fails) or a libhdf5 one;
#   - read with `poolsim summary`, which must contain it (exit 3, no
#     signal, a message naming the file).
# A finding in the other targets fails at once. Exit status 1 when any
# target found a poolsim bug; findings are kept in build-fuzz/findings/.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (TARGET: scenario counties flows results)
# Environment: FUZZ_UNIT_TIMEOUT (seconds per input, default 10), POOLSIM
# (the binary that must contain the results crashes, default ./poolsim).
set -u
secs=${1:-60}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.." || exit 1
root=$PWD
targets=${*:-scenario counties flows results}
poolsim=${POOLSIM:-$root/poolsim}
work=$(mktemp -d)
trap '[ -n "${FUZZ_KEEP:-}" ] || rm -rf "$work"' EXIT
keep=$root/build-fuzz/findings
# seconds one input may take (also the results reader's time limit)
unit=${FUZZ_UNIT_TIMEOUT:-10}
fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
export POOLSIM_FUZZ_SCENARIO=$root/scenarios/zhuzhou.yaml
# the targets' scratch folders (one per fuzzing process) go with $work
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp

for t in $targets; do
    bin=$root/build-fuzz/fuzz_$t
    if [ ! -x "$bin" ]; then
        echo "fuzz.sh: $bin is missing (make fuzz builds it)" >&2
        exit 1
    fi
    mkdir -p "$work/$t/corpus" "$work/$t/art"
    opts="-max_total_time=$secs -timeout=$unit -rss_limit_mb=2048 -print_final_stats=1"
    if [ "$t" = results ]; then
        # the seed: a complete results file of the current layout, written
        # now by poolsim (about 120 KB, hence the larger max_len)
        if ! "$poolsim" run "$root/tests/fuzz/results-seed.yaml" -n 20 -q \
            -o "$work/$t/corpus/seed.h5" > /dev/null 2> "$work/$t/seed.err"; then
            echo "fuzz.sh: cannot write the results seed with $poolsim:" >&2
            cat "$work/$t/seed.err" >&2
            exit 1
        fi
        opts="$opts -max_len=262144 -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
    else
        cp "$root/tests/fuzz/corpus/$t/"* "$work/$t/corpus/"
        opts="$opts -max_len=65536"
    fi
    # shellcheck disable=SC2086
    (cd "$work/$t" && "$bin" $opts -artifact_prefix="$work/$t/art/" "$work/$t/corpus" > "$work/$t/log" 2>&1)
    rc=$?
    # executions: libFuzzer's final count, else the last "#N" status line
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log" | tail -1)
    [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$work/$t/log" | tr -d '#' | sort -n | tail -1)
    ncrash=0
    ours=0
    hangs=0
    contained=0
    for a in $(find "$work/$t/art" -type f); do
        ncrash=$((ncrash + 1))
        case "$(basename "$a")" in timeout-*) hangs=$((hangs + 1)) ;; esac
        # replay alone, with full stacks, for the report
        (cd "$work/$t" && ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=0 \
            timeout -s KILL 60 "$bin" -timeout=$unit "$a" > "$a.report" 2>&1)
        replay=$?
        # whose bug it is (scripts/sanitizer-owner.sh says how it is decided)
        kind=theirs
        [ "$("$root/scripts/sanitizer-owner.sh" "$a.report" "$root")" = poolsim ] && kind=ours
        [ "$t" != results ] && kind=ours
        # fork mode can name an input that does not fail on its own
        [ "$replay" -eq 0 ] && kind=flaky
        if [ "$kind" = ours ]; then
            ours=$((ours + 1))
            echo "fuzz.sh: $t: poolsim finding $(basename "$a"): $(grep -m1 -E 'ERROR|SUMMARY' "$a.report")" >&2
        fi
        if [ "$t" = results ]; then
            POOLSIM_READ_TIMEOUT=$unit timeout -s KILL 60 "$poolsim" summary -q "$a" > /dev/null 2> "$a.summary"
            src=$?
            if [ "$src" -eq 3 ] && grep -q "cannot read $a" "$a.summary"; then
                contained=$((contained + 1))
            elif [ "$src" -ne 0 ]; then
                echo "fuzz.sh: $t: poolsim summary did not contain $(basename "$a"): exit $src" >&2
                ours=$((ours + 1))
            fi
        fi
    done
    if [ "$t" != results ] && [ "$rc" -ne 0 ] && [ "$ncrash" -eq 0 ]; then
        echo "fuzz.sh: $t: libFuzzer exited $rc without an artifact:" >&2
        tail -20 "$work/$t/log" >&2
        ours=$((ours + 1))
    fi
    echo "fuzz $t: ${execs:-0} executions in ${secs} s, corpus $(ls "$work/$t/corpus" | wc -l) inputs," \
        "$ncrash crashes and hangs ($hangs hangs, $ours poolsim findings$([ "$t" = results ] && echo ", $contained libhdf5 crashes contained by the reader's child process"))"
    if [ "$ours" -gt 0 ]; then
        mkdir -p "$keep/$t"
        cp "$work/$t/art/"* "$keep/$t/" 2>/dev/null
        cp "$work/$t/log" "$keep/$t/log"
        echo "fuzz.sh: $t: findings kept in $keep/$t" >&2
        fail=1
    fi
    [ "$ours" -gt 0 ] && fail=1
done
exit $fail
