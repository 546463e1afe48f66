#!/bin/sh
# poolsim summary: terminal tables, CSV files (UTF-8 BOM, header, RFC 4180
# quoting of a hostile county name), the Excel workbook (a zip with a sheet
# per table; libxlsxwriter opened only for it) and the summary JSON. Uses $BUILD/test_report_results.h5 (CUnit
# suite plot: synthetic data, T=10, L=2, C=9).
set -eu
build=${BUILD:-build}
h5=$PWD/$build/test_report_results.h5
if [ ! -f "$h5" ]; then
    echo "summary.sh: $h5 is missing (written by $build/run_tests plot)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "summary.sh: $*" >&2; exit 1; }
"$POOLSIM" help | grep -q '^  summary ' ||
    fail "$POOLSIM has no 'summary' command ('poolsim help' does not list it: src/summary.c not linked in)"

"$POOLSIM" summary "$h5" --csv "$tmp/csv" --xlsx "$tmp/t.xlsx" --json "$tmp/t.json" --lang en > "$tmp/out.txt"
# terminal: both lines, every year, every county
grep -q '^城镇职工基本医疗保险 (employee)$' "$tmp/out.txt" || fail "line heading missing"
grep -q '^  year  P(exhausted by)' "$tmp/out.txt" || fail "exhaustion table header missing"
[ "$(grep -c '^  2030 ' "$tmp/out.txt")" -eq 2 ] || fail "year rows missing"
grep -q '^  炎陵县 ' "$tmp/out.txt" || fail "county rows missing"
# line employee of the test file: P(exhausted by year t) = 0.0025 t^2 (t = 1 for 2021)
grep -q '^  2021 *0\.25% ' "$tmp/out.txt" || fail "P(exhausted by 2021) is not 0.25%"
grep -q '^  2030 *25\.00% ' "$tmp/out.txt" || fail "P(exhausted by 2030) is not 25%"
# CJK names take two columns: in every county table (one per line) the
# right-aligned numbers of each column end in the same display column on
# every row and under their header, counted with Unicode's East Asian Width
# (W and F: two columns; combining marks: none), and the names start in
# column 2
python3 - "$tmp/out.txt" <<'EOF' || fail "county tables do not line up (display width)"
import re, sys, unicodedata

def width(s):
    return sum(0 if unicodedata.combining(ch) else
               2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)

tables, cur = [], None
for ln in open(sys.argv[1], encoding="utf-8").read().split("\n"):
    if re.match(r"^  county +mean +p95 +p99 +CVaR95$", ln):
        cur = [ln]
        tables.append(cur)
    elif cur is not None:
        if ln.strip():
            cur.append(ln)
        else:
            cur = None
bad = 0
if len(tables) != 2 or any(len(t) != 10 for t in tables):
    print("expected 2 county tables of a header and 9 rows:", [len(t) for t in tables])
    sys.exit(1)
for t in tables:
    want = None
    for ln in t:
        cells = [m.end() for m in re.finditer(r"\S+", ln)][-4:]
        ends = [width(ln[:e]) for e in cells]
        want = want or ends
        if ends != want or not ln.startswith("  ") or ln[2] == " ":
            print("misaligned:", ln, ends, "expected", want)
            bad = 1
sys.exit(bad)
EOF

for t in exhaustion first_exhaustion reserve_ratio reserve_balance line_totals shortfall county_burden \
         county_burden_total county_means; do
    f=$tmp/csv/$t.csv
    [ -s "$f" ] || fail "$f missing"
    [ "$(od -An -tx1 -N3 "$f" | tr -d ' \n')" = "efbbbf" ] || fail "$f has no UTF-8 BOM"
    grep -q "^  $f\$" "$tmp/out.txt" || fail "$f not listed"
done
head -1 "$tmp/csv/exhaustion.csv" | tr -d '\r' | grep -qx "$(printf '\357\273\277')line_id,line_name,year,prob,lo,hi,year_prob" ||
    fail "exhaustion.csv header"
# 2 lines x 10 years + header; first row computed by hand as above
[ "$(wc -l < "$tmp/csv/exhaustion.csv")" -eq 21 ] || fail "exhaustion.csv rows"
sed -n 2p "$tmp/csv/exhaustion.csv" | grep -q '^employee,城镇职工基本医疗保险,2021,0.0025,' || fail "exhaustion.csv first row"
# 2 lines x 9 counties x 10 years (one county name holds a line break, so
# count records, not physical lines)
[ "$(grep -c -E '^(employee|resident),' "$tmp/csv/county_burden.csv")" -eq 180 ] || fail "county_burden.csv rows"
# hostile county name 荷塘区 'x' <b>"&"</b>: quoted, quotes doubled (RFC 4180)
grep -q ',"荷塘区 '"'x'"' <b>""&""</b>",' "$tmp/csv/county_burden_total.csv" || fail "CSV quoting"
# a county name with a line break stays inside one quoted field
[ "$(awk -F, 'NR > 1' "$tmp/csv/county_burden_total.csv" | grep -c '^employee,')" -eq 9 ] ||
    fail "county_burden_total.csv: a record split by a line break"

# Excel: a zip holding the workbook and a sheet per table plus the about sheet
[ "$(od -An -tx1 -N4 "$tmp/t.xlsx" | tr -d ' \n')" = "504b0304" ] || fail "xlsx is not a zip"
if command -v unzip > /dev/null 2>&1; then
    unzip -l "$tmp/t.xlsx" > "$tmp/zip.txt" || fail "unzip -l failed"
    for n in 1 2 10; do
        grep -q "xl/worksheets/sheet$n.xml" "$tmp/zip.txt" || fail "sheet$n.xml missing"
    done
    unzip -p "$tmp/t.xlsx" xl/workbook.xml | grep -q 'name="county_burden_total"' || fail "sheet names"
    unzip -p "$tmp/t.xlsx" xl/styles.xml | grep -q 'formatCode="#,##0"' || fail "yuan number format"
    unzip -p "$tmp/t.xlsx" xl/styles.xml | grep -q 'formatCode="0.0000"' || fail "probability number format"
    unzip -p "$tmp/t.xlsx" xl/sharedStrings.xml | grep -q '炎陵县' || fail "Chinese names in the workbook"
fi

# JSON: the same as poolsim run --json (MODEL.md section 7 keys)
grep -q '"lines"' "$tmp/t.json" && grep -q '"exhaustion_prob"' "$tmp/t.json" || fail "summary JSON"

# Chinese headings by default (the results' lang), quiet mode, errors
"$POOLSIM" summary "$h5" > "$tmp/zh.txt"
grep -q '截至当年耗尽概率' "$tmp/zh.txt" || fail "no Chinese headers"
[ -z "$("$POOLSIM" summary "$h5" -q --csv "$tmp/csv2" | grep -v -e '^CSV files' -e '^  ')" ] || fail "-q printed tables"
set +e
"$POOLSIM" summary "$h5" --lang xx 2> /dev/null; rc=$?
[ $rc -eq 2 ] || fail "--lang xx: exit $rc, expected 2"
"$POOLSIM" summary "$tmp/nonexistent.h5" 2> /dev/null; rc=$?
[ $rc -eq 3 ] || fail "missing results: exit $rc, expected 3"
"$POOLSIM" summary "$h5" -q --xlsx "$tmp/no/such/folder/t.xlsx" 2> "$tmp/err"; rc=$?
set -e
[ $rc -eq 3 ] || fail "unwritable xlsx: exit $rc, expected 3"
grep -q "$tmp/no/such/folder/t.xlsx" "$tmp/err" || fail "unwritable xlsx: message does not name the path"

# libxlsxwriter is opened by --xlsx (dlopen), not linked: no other command
# loads it (or its libcrypto and libminizip: the sanitizer build's shared
# HDF5 brings a libcrypto of its own); a library of its name that is not
# it gives a clear message, exit 3 and no workbook
! ldd "$POOLSIM" | grep -q -e libxlsxwriter -e libminizip ||
    fail "$POOLSIM links libxlsxwriter (expected: opened by --xlsx only)"
soname=$(readelf -d "$(gcc -print-file-name=libxlsxwriter.so)" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ -n "$soname" ] || fail "no soname for libxlsxwriter.so"
mkdir "$tmp/fakelib"
echo 'int not_xlsxwriter = 1;' > "$tmp/fake.c"
gcc -shared -fPIC -o "$tmp/fakelib/$soname" "$tmp/fake.c"
set +e
LD_LIBRARY_PATH="$tmp/fakelib" "$POOLSIM" summary "$h5" -q --xlsx "$tmp/fake.xlsx" 2> "$tmp/err"; rc=$?
set -e
[ $rc -eq 3 ] || fail "a library that is not libxlsxwriter: exit $rc, expected 3"
grep -q "cannot write $tmp/fake.xlsx: libxlsxwriter cannot be opened ($soname has no workbook_new)" "$tmp/err" ||
    fail "a library that is not libxlsxwriter: message $(cat "$tmp/err")"
[ ! -e "$tmp/fake.xlsx" ] || fail "a library that is not libxlsxwriter: a workbook was written"
[ -z "$(ls -A "$tmp" | grep '^\.fake')" ] || fail "a library that is not libxlsxwriter: a temporary was left"
echo "summary.sh: ok"
