#!/bin/sh
# poolsim plot: every chart in png, svg and pdf (checked by their magic
# bytes), the default folder, option errors, and gnuplot missing (exit 4
# with the message naming the package) or failing (exit 4, its message
# shown, no chart left). Uses $BUILD/test_report_results.h5, written by
# the CUnit suite plot (synthetic data with hostile names).
set -eu
build=${BUILD:-build}
h5=$PWD/$build/test_report_results.h5
if [ ! -f "$h5" ]; then
    echo "plot.sh: $h5 is missing (written by $build/run_tests plot)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "plot.sh: $*" >&2; exit 1; }
"$POOLSIM" help | grep -q '^  plot ' ||
    fail "$POOLSIM has no 'plot' command ('poolsim help' does not list it: src/plot.c not linked in)"
magic() { od -An -tx1 -N"$2" "$1" | tr -d ' \n'; }
charts="fan-employee fan-resident exhaustion first-exhaustion burden-employee burden-resident
shortfall-employee shortfall-resident"

"$POOLSIM" plot "$h5" -o "$tmp/charts" --format png,svg,pdf > "$tmp/out.txt"
grep -q "^charts written to $tmp/charts:" "$tmp/out.txt" || fail "no heading line"
[ "$(grep -c "^  $tmp/charts/" "$tmp/out.txt")" -eq 24 ] || fail "expected 24 files listed"
for c in $charts; do
    for ext in png svg pdf; do
        f=$tmp/charts/$c.$ext
        [ -s "$f" ] || fail "$f missing or empty"
        grep -q "^  $f\$" "$tmp/out.txt" || fail "$f not listed"
    done
    [ "$(magic "$tmp/charts/$c.png" 8)" = "89504e470d0a1a0a" ] || fail "$c.png is not a PNG"
    [ "$(magic "$tmp/charts/$c.pdf" 5)" = "255044462d" ] || fail "$c.pdf is not a PDF"
    head -c 200 "$tmp/charts/$c.svg" | grep -q '<svg' || fail "$c.svg is not an SVG"
    grep -q '</svg>' "$tmp/charts/$c.svg" || fail "$c.svg is incomplete"
done
[ -z "$(ls -A "$tmp/charts" | grep '^\.')" ] || fail "temporary files left: $(ls -A "$tmp/charts")"
# Chinese names reach the SVG as text; a backquoted name stays text
grep -q '荷塘区' "$tmp/charts/burden-employee.svg" || fail "county names missing"
grep -q '`touch ' "$tmp/charts/burden-employee.svg" || fail "backquoted county name missing"
[ -e "$PWD/$build/PWNED-by-a-name" ] && fail "a backquoted name ran a command"
# English on request; the results' language (zh) by default
grep -q '年份' "$tmp/charts/exhaustion.svg" || fail "default language is not the results' zh"
"$POOLSIM" plot "$h5" -o "$tmp/en" --format svg --lang en > /dev/null
grep -q '>Year<' "$tmp/en/exhaustion.svg" || fail "--lang en: no English axis label"

# default: png into results/<results name>-charts under the current folder
(cd "$tmp" && "$POOLSIM" plot "$h5" > out-default.txt)
[ "$(magic "$tmp/results/test_report_results-charts/exhaustion.png" 8)" = "89504e470d0a1a0a" ] ||
    fail "default output folder or format wrong"
[ ! -e "$tmp/results/test_report_results-charts/exhaustion.svg" ] || fail "svg written without --format svg"

# bad command lines (2), missing results (3)
set +e
"$POOLSIM" plot "$h5" -o "$tmp/x" --format jpg 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--format jpg: exit $rc, expected 2"
grep -q "'jpg' is not a chart format" "$tmp/err" || fail "--format jpg: message"
"$POOLSIM" plot "$h5" --lang fr 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--lang fr: exit $rc, expected 2"
"$POOLSIM" plot 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "no argument: exit $rc, expected 2"
"$POOLSIM" plot "$tmp/nonexistent.h5" -o "$tmp/x" 2> "$tmp/err"; rc=$?
[ $rc -eq 3 ] || fail "missing results: exit $rc, expected 3"

# gnuplot not on PATH: exit 4, the message names the package, nothing written
mkdir "$tmp/nobin"
PATH="$tmp/nobin" "$POOLSIM" plot "$h5" -o "$tmp/missing" 2> "$tmp/err"; rc=$?
[ $rc -eq 4 ] || fail "gnuplot missing: exit $rc, expected 4"
grep -qx 'poolsim: gnuplot not found on PATH (install the Debian package gnuplot-nox)' "$tmp/err" ||
    fail "gnuplot missing: message was: $(cat "$tmp/err")"
[ ! -e "$tmp/missing" ] || fail "gnuplot missing: output folder created"

# gnuplot failing: its exit status and message are shown, exit 4, no chart left
mkdir "$tmp/fakebin"
printf '#!/bin/sh\necho "gnuplot> simulated failure on line 3" >&2\nexit 1\n' > "$tmp/fakebin/gnuplot"
chmod +x "$tmp/fakebin/gnuplot"
PATH="$tmp/fakebin" "$POOLSIM" plot "$h5" -o "$tmp/failed" 2> "$tmp/err"; rc=$?
set -e
[ $rc -eq 4 ] || fail "gnuplot failing: exit $rc, expected 4"
grep -q 'failed with exit status 1' "$tmp/err" || fail "gnuplot failing: no status in: $(cat "$tmp/err")"
grep -q 'simulated failure on line 3' "$tmp/err" || fail "gnuplot failing: its message not shown"
[ -z "$(ls -A "$tmp/failed")" ] || fail "gnuplot failing: files left: $(ls -A "$tmp/failed")"
# a sweep file: its charts come too (drawn by the sweep module, png and svg)
if "$POOLSIM" help | grep -q '^  sweep '; then
    "$POOLSIM" sweep scenarios/zhuzhou.yaml --set reserve.cap_ratio=0.2,0.3 -n 100 -q \
        -o "$tmp/sweep.h5" > /dev/null
    "$POOLSIM" plot "$tmp/sweep.h5" -o "$tmp/sweepcharts" --format png,svg > "$tmp/out.txt"
    for ext in png svg; do
        [ -s "$tmp/sweepcharts/sweep_exhaustion.$ext" ] || fail "sweep chart $ext missing"
        grep -q "^  $tmp/sweepcharts/sweep_exhaustion.$ext\$" "$tmp/out.txt" || fail "sweep chart not listed"
    done
    [ -s "$tmp/sweepcharts/fan-employee.png" ] || fail "a sweep file's own charts missing"
fi
echo "plot.sh: ok"
