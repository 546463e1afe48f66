#!/bin/sh
# poolsim report: one self-contained HTML file, rendered in headless
# Chromium (Debian's chromium). Uses $BUILD/test_report_results.h5 (written
# by the CUnit suite plot: synthetic data with hostile scenario and county
# names) and $BUILD/test_results.h5 (suite h5out: 3 projection years, so the
# year-5 and year-10 findings are "n/a").
set -eu
build=${BUILD:-build}
h5=$PWD/$build/test_report_results.h5
short=$PWD/$build/test_results.h5
for f in "$h5" "$short"; do
    if [ ! -f "$f" ]; then
        echo "report.sh: $f is missing (written by $build/run_tests)" >&2
        exit 1
    fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "report.sh: $*" >&2; exit 1; }
"$POOLSIM" help | grep -q '^  report ' ||
    fail "$POOLSIM has no 'report' command ('poolsim help' does not list it: src/report.c not linked in)"

# ---- the file ----
"$POOLSIM" report "$h5" -o "$tmp/r.html" --lang en > "$tmp/out.txt"
grep -q "report written to $tmp/r.html" "$tmp/out.txt" || fail "no 'report written' line"
[ -s "$tmp/r.html" ] || fail "no report"
ls -A "$tmp" | grep -q '^\.' && fail "temporary files left: $(ls -A "$tmp")"
grep -q '<meta charset="utf-8">' "$tmp/r.html" || fail "no charset"
grep -q '<html lang="en">' "$tmp/r.html" || fail "not English"
# self-contained: no URL, no external script, stylesheet, image or font
if grep -Eiq 'https?:|<script|<link|<iframe|@import|src=' "$tmp/r.html"; then
    grep -Eion 'https?:[^ "]*|<script|<link|<iframe|@import|src=' "$tmp/r.html" | head -5 >&2
    fail "report has an external reference"
fi
[ "$(grep -c '<svg' "$tmp/r.html")" -eq 8 ] || fail "expected 8 inline charts"
grep -q '<?xml' "$tmp/r.html" && fail "XML prolog left in the HTML"
for s in summary reading findings charts assumptions provenance; do
    grep -q "<section id=\"$s\">" "$tmp/r.html" || fail "section $s missing"
done
for h in "Key findings" "Assumptions and rule parameters" "Provenance" "simulation.seed = 20200518"; do
    grep -q "$h" "$tmp/r.html" || fail "'$h' missing"
done
# hostile names arrive escaped, backquotes inert
grep -q "荷塘区 &#39;x&#39; &lt;b&gt;&quot;&amp;&quot;&lt;/b&gt;" "$tmp/r.html" || fail "county name not escaped"
grep -q '<b>"&"</b>' "$tmp/r.html" && fail "raw markup from a county name"
[ -e "$PWD/$build/PWNED-by-a-name" ] && fail "a backquoted name ran a command"

# Chinese, and the n/a findings of a 3-year run
"$POOLSIM" report "$short" -o "$tmp/zh.html" > /dev/null
grep -q '<html lang="zh-CN">' "$tmp/zh.html" || fail "results' lang zh not used"
grep -q '主要结果' "$tmp/zh.html" || fail "no Chinese headings"
"$POOLSIM" report "$short" -o "$tmp/na.html" --lang en > /dev/null
grep -q '>n/a<' "$tmp/na.html" || fail "no n/a for a 3-year horizon"

# errors: bad language (2), missing file (3), gnuplot missing (4, no file left)
set +e
"$POOLSIM" report "$h5" -o "$tmp/x.html" --lang fr 2> "$tmp/err"; rc=$?
[ $rc -eq 2 ] || fail "--lang fr: exit $rc, expected 2"
"$POOLSIM" report "$tmp/nonexistent.h5" -o "$tmp/x.html" 2> "$tmp/err"; rc=$?
[ $rc -eq 3 ] || fail "missing results file: exit $rc, expected 3"
mkdir "$tmp/nobin" "$tmp/out4"
PATH="$tmp/nobin" "$POOLSIM" report "$h5" -o "$tmp/out4/x.html" 2> "$tmp/err"; rc=$?
set -e
[ $rc -eq 4 ] || fail "gnuplot missing: exit $rc, expected 4"
grep -q 'poolsim: gnuplot not found on PATH (install the Debian package gnuplot-nox)' "$tmp/err" ||
    fail "gnuplot missing: message was: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/out4")" ] || fail "gnuplot missing: files left: $(ls -A "$tmp/out4")"

# a sweep file: the sweep chart is a ninth figure
if "$POOLSIM" help | grep -q '^  sweep '; then
    "$POOLSIM" sweep scenarios/zhuzhou.yaml --set reserve.cap_ratio=0.2,0.3 -n 100 -q \
        -o "$tmp/sweep.h5" > /dev/null
    "$POOLSIM" report "$tmp/sweep.h5" -o "$tmp/sweep.html" > /dev/null
    [ "$(grep -c '<svg' "$tmp/sweep.html")" -eq 9 ] || fail "sweep report: expected 9 charts"
    grep -q '<figure id="chart-sweep_exhaustion" class="chart-sweep">' "$tmp/sweep.html" ||
        fail "sweep report: no sweep figure"
    grep -Eiq 'https?:|<script|<link' "$tmp/sweep.html" && fail "sweep report has an external reference"
    rm -f "$tmp/sweep.h5" "$tmp/sweep.html"
fi

# heat maps are vector cells (not a bitmap the browser blurs when it
# scales), also for a 1-year horizon with a single county
grep -q '<image' "$tmp/r.html" && fail "a chart embeds a bitmap"
"$POOLSIM" run tests/data/minimal.yaml --set horizon_years=1 \
    --set lines.resident.classes.resident.per_capita=300 -n 200 -q -o "$tmp/one.h5"
"$POOLSIM" report "$tmp/one.h5" -o "$tmp/one.html" --lang en > /dev/null
awk '/<figure id="chart-shortfall-resident"/ { p = 1 } p { print } p && /<\/figure>/ { exit }' \
    "$tmp/one.html" > "$tmp/one-heat.html"
grep -q '<image' "$tmp/one-heat.html" && fail "1-year heat map is a bitmap"
# one county, one year: one filled cell (the colour box adds its own strips)
# and the cell's label, 100 (every path has a shortfall with no financing
# but the 300 yuan contribution against about 860 yuan of claims)
grep -q "<polygon fill = 'rgb(127,   0,   0)'" "$tmp/one-heat.html" ||
    fail "1-year heat map: no dark cell for a 100% shortfall probability"
grep -A1 'fill="rgb(255,255,255)"' "$tmp/one-heat.html" | grep -q '<text>100</text>' ||
    fail "1-year heat map: no white cell label 100"
rm -f "$tmp/one.h5" "$tmp/one.html" "$tmp/one-heat.html"

# ---- rendering in headless Chromium ----
chrome=""
for c in chromium chromium-browser; do
    if command -v "$c" > /dev/null 2>&1; then chrome=$c; break; fi
done
[ -n "$chrome" ] || fail "chromium not found (scripts/install-deps.sh --test installs it)"
render() {   # render URL OUTPUT-OPTION... ; chromium's log in $tmp/log
    url=$1
    shift
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 "$@" "$url" 2> "$tmp/log"
}
png_size() {   # width and height from the PNG header
    od -An -tu1 -j16 -N8 "$1" | awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}'
}
is_png() { [ "$(od -An -tx1 -N8 "$1" | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

render "file://$tmp/r.html" --dump-dom > "$tmp/dom.html" || fail "chromium --dump-dom failed: $(tail -3 "$tmp/log")"
grep -E 'CONSOLE|Uncaught|Failed to load' "$tmp/log" && fail "errors while loading the page"
[ "$(grep -c '<svg' "$tmp/dom.html")" -eq 8 ] || fail "the rendered DOM does not hold 8 charts"
for k in fan-employee fan-resident exhaustion first-exhaustion burden-employee burden-resident \
         shortfall-employee shortfall-resident; do
    grep -q "<figure id=\"chart-$k\"" "$tmp/dom.html" || fail "chart $k missing from the DOM"
done

render "file://$tmp/r.html" --screenshot="$tmp/page.png" --window-size=1200,6000 > /dev/null ||
    fail "chromium --screenshot failed: $(tail -3 "$tmp/log")"
grep -E 'CONSOLE|Uncaught|Failed to load' "$tmp/log" && fail "errors while rendering the page"
is_png "$tmp/page.png" || fail "no PNG screenshot"
[ "$(png_size "$tmp/page.png")" = "1200 6000" ] || fail "screenshot size $(png_size "$tmp/page.png")"
# a blank 1200x6000 page compresses to a few kB; text, tables and charts to far more
[ "$(wc -c < "$tmp/page.png")" -gt 200000 ] || fail "screenshot looks empty ($(wc -c < "$tmp/page.png") bytes)"

# every chart on its own: the report's head (styles) and one figure's SVG,
# rendered; a drawn chart (45-90 kB) is far larger than an empty figure
# with its caption (about 9 kB)
sed -n '1,/<\/head>/p' "$tmp/r.html" > "$tmp/head.html"
awk -v dir="$tmp" '
    /^<figure id="chart-/ { n++; f = dir "/fig" n ".html"; system("cp " dir "/head.html " f); inside = 1 }
    inside { print >> f }
    /^<\/figure>/ { inside = 0; close(f) }' "$tmp/r.html"
n=0
for f in "$tmp"/fig*.html; do
    n=$((n + 1))
    echo '</body></html>' >> "$f"
    render "file://$f" --screenshot="$f.png" --window-size=1100,900 > /dev/null || fail "rendering $f failed"
    is_png "$f.png" || fail "no screenshot of $f"
    size=$(wc -c < "$f.png")
    [ "$size" -gt 25000 ] || fail "chart $n looks empty in its screenshot ($size bytes)"
done
[ $n -eq 8 ] || fail "extracted $n charts, expected 8"
echo "report.sh: ok"
