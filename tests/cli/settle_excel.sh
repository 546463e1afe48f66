#!/bin/sh
# `poolsim settle` on inputs as Excel writes them and carried forward:
# the golden flows re-encoded in GBK (iconv) with county names, CRLF and
# quoted thousands separators give the golden CSV; the golden settlement
# split into single years with --opening gives the same CSV to the byte;
# a row spending more than 5 times its financing warns, and --strict makes
# that an error (exit 2, no output).
set -u
: "${POOLSIM:?set POOLSIM to the poolsim binary}"
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-cli-settle-excel.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
sc=tests/data/settle_small.yaml

# names for ids, 20000 -> "20,000", CRLF, then GBK
sed -e 's/,a,/,荷塘区,/; s/,b,/,芦淞区,/; s/,c,/,醴陵市,/' \
    -e 's/,20000,/,"20,000",/' -e 's/$/\r/' tests/data/settle_small_flows.csv |
    iconv -f UTF-8 -t GBK >"$tmp/gbk.csv" || { echo "settle_excel.sh: iconv failed"; exit 1; }
for enc in "" "--encoding=gbk"; do
    # shellcheck disable=SC2086
    "$POOLSIM" settle $enc -q "$sc" "$tmp/gbk.csv" --csv "$tmp/out.csv" 2>"$tmp/stderr"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "settle_excel.sh: GBK flows ($enc) exited $rc"; cat "$tmp/stderr"; fail=1
    elif ! cmp -s tests/golden/settle_small.csv "$tmp/out.csv"; then
        echo "settle_excel.sh: GBK flows ($enc) differ from the golden CSV"; fail=1
    fi
done
"$POOLSIM" settle --encoding=utf-8 -q "$sc" "$tmp/gbk.csv" 2>"$tmp/stderr"
if [ $? -ne 2 ] || ! grep -qF "$tmp/gbk.csv:2:6: encoding: byte 0xF5 is not UTF-8 text" "$tmp/stderr"; then
    echo "settle_excel.sh: GBK read as UTF-8 not refused at 2:6"; cat "$tmp/stderr"; fail=1
fi

# split by year, each opened from the previous CSV
for y in 2021 2022 2023; do
    { head -n 1 tests/data/settle_small_flows.csv; grep "^$y," tests/data/settle_small_flows.csv; } \
        >"$tmp/f$y.csv"
done
"$POOLSIM" settle -q "$sc" "$tmp/f2021.csv" --csv "$tmp/s2021.csv" &&
    "$POOLSIM" settle -q "$sc" "$tmp/f2022.csv" --opening "$tmp/s2021.csv" --csv "$tmp/s2022.csv" &&
    "$POOLSIM" settle -q "$sc" "$tmp/f2023.csv" --opening "$tmp/s2022.csv" --csv "$tmp/s2023.csv"
rc=$?
{ cat "$tmp/s2021.csv"; tail -n +2 "$tmp/s2022.csv"; tail -n +2 "$tmp/s2023.csv"; } >"$tmp/split.csv"
if [ "$rc" -ne 0 ] || ! cmp -s tests/golden/settle_small.csv "$tmp/split.csv"; then
    echo "settle_excel.sh: the settlement split by year differs from the golden CSV (rc $rc)"
    diff tests/golden/settle_small.csv "$tmp/split.csv" | head; fail=1
fi
"$POOLSIM" settle -q "$sc" "$tmp/f2023.csv" --opening "$tmp/s2021.csv" --csv "$tmp/x.csv" 2>"$tmp/stderr"
if [ $? -ne 2 ] || [ -e "$tmp/x.csv" ] || ! grep -qF "starts in 2023, but the opening settlement ends in 2021" "$tmp/stderr"; then
    echo "settle_excel.sh: a year gap after --opening not refused"; cat "$tmp/stderr"; fail=1
fi

# plausibility: expenditure 10 times financing
sed 's/^2021,a,employee,10000,9500$/2021,a,employee,10000,100000/' tests/data/settle_small_flows.csv >"$tmp/big.csv"
"$POOLSIM" settle -q "$sc" "$tmp/big.csv" --csv "$tmp/big_out.csv" 2>"$tmp/stderr"
if [ $? -ne 0 ] || ! grep -qF "$tmp/big.csv:3:23: warning: expenditure: 100000 is more than 5 times the row's financing 10000" "$tmp/stderr"; then
    echo "settle_excel.sh: no warning for expenditure 10x financing"; cat "$tmp/stderr"; fail=1
fi
"$POOLSIM" settle --strict -q "$sc" "$tmp/big.csv" --csv "$tmp/strict_out.csv" 2>"$tmp/stderr"
if [ $? -ne 2 ] || [ -e "$tmp/strict_out.csv" ] || ! grep -qF "$tmp/big.csv:3:23: expenditure: 100000 is more than 5" "$tmp/stderr"; then
    echo "settle_excel.sh: --strict did not make the warning an error"; cat "$tmp/stderr"; fail=1
fi
exit $fail
