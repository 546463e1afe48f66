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

# ---- 3. signals in every phase: 130 (SIGINT) / 143 (SIGTERM), no file
# A gnuplot that draws, then signals the poolsim process that started it
# (found up the parent chain): the signal arrives after the charts are
# drawn and before they are renamed.
mkdir "$tmp/sigbin"
cat >"$tmp/sigbin/gnuplot" <<EOF2
#!/bin/sh
/usr/bin/gnuplot "\$@" || exit \$?
p=\$PPID
while [ "\$p" -gt 1 ]; do
    [ "\$(cat /proc/\$p/comm)" = poolsim ] && break
    p=\$(awk '{print \$4}' /proc/\$p/stat)
done
kill -s "\$SIG" "\$p"
EOF2
chmod +x "$tmp/sigbin/gnuplot"
"$P" sweep $S -n 50 -q --set reserve.levy_rate=0.1,0.2 -o "$tmp/sw.h5" >/dev/null || fail "sweep for plot"
if [ -x /usr/bin/gnuplot ]; then
    for sig in INT TERM; do
        want=130; [ $sig = TERM ] && want=143
        for cmd in "plot $tmp/ok.h5 -o $tmp/sig/charts" "plot $tmp/sw.h5 -o $tmp/sig/charts" \
            "report $tmp/ok.h5 -o $tmp/sig/r.html" "report $tmp/sw.h5 -o $tmp/sig/r.html" \
            "sweep $S -n 50 -q --set reserve.levy_rate=0.1,0.2 -o $tmp/sig/s.h5 --csv $tmp/sig/s.csv --plot $tmp/sig/charts"; do
            rm -rf "$tmp/sig"
            mkdir -p "$tmp/sig/charts"
            # shellcheck disable=SC2086
            SIG=$sig PATH="$tmp/sigbin:$PATH" timeout 120 "$P" $cmd >/dev/null 2>"$tmp/err"
            rc=$?
            [ $rc -eq $want ] || fail "SIG$sig after gnuplot in '$cmd': exit $rc, expected $want ($(cat "$tmp/err"))"
            left=$(find "$tmp/sig" -type f)
            [ -z "$left" ] || fail "SIG$sig after gnuplot in '$cmd' left files: $left"
        done
    done
fi

# run: a signal in the write phase (the engine's worker thread has stopped
# using CPU, the file is being built and written) gives 130/143 and no file.
# 1,000,000 paths so that the write phase outlasts the 0.2 s polling below
# (at 200,000 it took about 0.1 s once the engine drew faster, issue 14).
worker_ticks() { # CPU ticks of every thread but the main one
    for t in /proc/"$1"/task/*; do
        [ "${t##*/}" = "$1" ] && continue
        awk '{print $14 + $15}' "$t/stat" 2>/dev/null
    done | awk '{s += $1} END {print s + 0}'
}
hit=0
for sig in INT TERM; do
    want=130; [ $sig = TERM ] && want=143
    rm -f "$tmp/w.h5" "$tmp/w.json"
    "$P" run $S -n 1000000 -t 2 -q --save-paths -o "$tmp/w.h5" --json "$tmp/w.json" 2>/dev/null &
    pid=$!
    prev=-1; busy=0; sent=0
    while kill -0 $pid 2>/dev/null; do
        cur=$(worker_ticks $pid)
        if [ "$cur" -gt 0 ] && [ "$cur" = "$prev" ] && [ $busy -eq 1 ]; then
            kill -s $sig $pid; sent=1; break
        fi
        [ "$prev" -ge 0 ] && [ "$cur" -gt "$prev" ] && busy=1
        prev=$cur
        sleep 0.2
    done
    wait $pid
    rc=$?
    [ $sent -eq 1 ] || continue # finished before the write phase was seen
    hit=$((hit + 1))
    [ $rc -eq $want ] || fail "SIG$sig in the write phase: exit $rc, expected $want"
    [ -e "$tmp/w.h5" ] || [ -e "$tmp/w.json" ] && fail "SIG$sig in the write phase left a file"
    ls -a "$tmp" | grep -q '\.tmp\.' && fail "SIG$sig in the write phase left a temporary file"
done
[ $hit -gt 0 ] || echo "hardening.sh: note: no signal landed in run's write phase"

# ---- 4. names that could break a chart draw as written: county names with
# %, a format (%s, %n), quotes, =, ESC, a line break, backquotes; a line name
# starting with a quote; an output folder with a line break, a backquote, %
cat >"$tmp/names.yaml" <<'EOF2'
name: "hostile 'names' %s"
start_year: 2021
horizon_years: 3
simulation: {paths: 200, seed: 11}
reserve: {initial: 20000, levy_rate: 0.10, cap_ratio: 0.30}
lines:
  - id: res
    name: "'Resident %n `id` line"
    classes:
      - {id: resident, per_capita: 800}
    benefits:
      - {id: inpatient, kind: claims, rate: {resident: 0.15}, cost_mean: 5000, cv: 1.5,
         coinsurance: 0.85, deductible: 500, ceiling: 100000}
counties:
  - {id: a, name: "Top 10%", resident: 1000, balance.res: 2000}
  - {id: b, name: "Town %s", resident: 1000, balance.res: 2000}
  - {id: c, name: "=HYPERLINK(\"http://x\",\"y\")", resident: 1000, balance.res: 2000}
  - {id: d, name: "esc\e[31mred", resident: 1000, balance.res: 2000}
  - {id: e, name: "two\nlines 'q'", resident: 1000, balance.res: 2000}
  - {id: f, name: "@SUM(A1) `touch PWNED`", resident: 1000, balance.res: 2000}
EOF2
"$P" run "$tmp/names.yaml" -q -o "$tmp/names.h5" || fail "run with hostile names"
cdir="$tmp/$(printf 'charts\n`touch PWNED` %%s')"
(cd "$tmp" && "$P" plot names.h5 -o "$cdir" -f svg,png >/dev/null 2>"$tmp/err") ||
    fail "plot with hostile names: $(cat "$tmp/err")"
[ -e "$tmp/PWNED" ] && fail "a backquoted command ran"
svg="$cdir/burden-res.svg"
[ -s "$svg" ] && [ -s "$cdir/burden-res.png" ] || fail "plot did not write into the folder with a line break"
texts=$(sed -n 's/.*<text[^>]*>\([^<]*\)<\/text>.*/\1/p' "$svg")
for want in "Top 10%" "Town %s" '=HYPERLINK("http://x","y")' "esc [31mred" "two" "lines 'q'" \
    '@SUM(A1) `touch PWNED`' "'Resident %n \`id\` line: county government burden, total 2021-2023"; do
    printf '%s\n' "$texts" | grep -qxF -- "$want" || fail "chart text '$want' not drawn as written"
done

# ---- 5. formula and terminal injection: summary CSVs guard formulas
# (OWASP: a leading ', quoted); check, run, settle and summary print no
# escape sequence from a name
"$P" summary "$tmp/names.h5" -q --csv "$tmp/ntab" >/dev/null || fail "summary --csv with hostile names"
python3 - "$tmp/ntab/county_burden_total.csv" <<'EOF2' || fail "summary CSV formula guard"
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8-sig")))
col = rows[0].index("county_name")
names = [r[col] for r in rows[1:]]
want = ["Top 10%", "Town %s", "'=HYPERLINK(\"http://x\",\"y\")", "esc\x1b[31mred",
        "two\nlines 'q'", "'@SUM(A1) `touch PWNED`"]
if names != want:
    print(names)
    sys.exit(1)
EOF2
printf 'year,county,line,financing,expenditure\n' >"$tmp/nflows.csv"
for c in a b c d e f; do echo "2021,$c,res,100000,90000" >>"$tmp/nflows.csv"; done
esc=$(printf '\033')
for cmd in "check $tmp/names.yaml" "run $tmp/names.yaml -n 50 -o $tmp/n2.h5" \
    "settle $tmp/names.yaml $tmp/nflows.csv" "summary $tmp/names.h5"; do
    # shellcheck disable=SC2086
    "$P" $cmd >"$tmp/out" 2>&1 || fail "$cmd failed: $(cat "$tmp/out")"
    grep -q "$esc" "$tmp/out" && fail "$cmd printed an escape sequence from a name"
    case $cmd in run*) ;; # run names only the three highest burdens
    *) grep -q "esc \[31mred" "$tmp/out" || fail "$cmd did not print the name's text" ;;
    esac
done

# ---- 6. sets of files
# run -o X --json X (same file, however spelled): exit 2, nothing written
"$P" run $S -n 50 -q -o "$tmp/same.h5" --json "$tmp/../${tmp##*/}/same.h5" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || fail "-o X --json X: exit $rc, expected 2"
grep -q "name the same file" "$tmp/err" || fail "-o X --json X: message was $(cat "$tmp/err")"
[ -e "$tmp/same.h5" ] && fail "-o X --json X wrote a file"
# summary --csv: a table that cannot be written (file size limit, like a
# full disk) leaves the previous eleven tables, not a mix of new and old
"$P" run $S -n 100 -q -s 1 -o "$tmp/s1.h5" || fail "run s1"
"$P" run $S -n 100 -q -s 2 -o "$tmp/s2.h5" || fail "run s2"
"$P" summary "$tmp/s1.h5" -q --csv "$tmp/tables" >/dev/null || fail "summary s1"
"$P" summary "$tmp/s2.h5" -q --csv "$tmp/tables2" >/dev/null || fail "summary s2"
cp -r "$tmp/tables" "$tmp/tables1"
big=$(ls -S "$tmp/tables2" | head -1)
small=$(ls -Sr "$tmp/tables2" | head -1)
cmp -s "$tmp/tables1/$small" "$tmp/tables2/$small" && fail "the two runs give the same $small"
lim=$(($(wc -c <"$tmp/tables2/$big") - 1))
(ulimit -f $((lim / 512)) 2>/dev/null || exit 0
    "$P" summary "$tmp/s2.h5" -q --csv "$tmp/tables" >/dev/null 2>"$tmp/err"
    echo $? >"$tmp/rc")
[ "$(cat "$tmp/rc" 2>/dev/null)" = 3 ] || fail "summary under a file size limit: exit $(cat "$tmp/rc"), expected 3"
for f in "$tmp"/tables1/*.csv; do
    cmp -s "$f" "$tmp/tables/${f##*/}" || fail "a failed summary --csv replaced ${f##*/}"
done
[ "$(ls -A "$tmp/tables" | wc -l)" -eq 11 ] || fail "temporary tables left: $(ls -A "$tmp/tables")"

# ---- 7. smaller items
# zero financing: refused by check and run alike (exit 2, message, no file)
sed 's/per_capita: 800/per_capita: 0/' "$tmp/names.yaml" >"$tmp/zero.yaml"
for cmd in "check $tmp/zero.yaml" "run $tmp/zero.yaml -o $tmp/zero.h5"; do
    # shellcheck disable=SC2086
    "$P" $cmd >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] || fail "zero financing: $cmd exit $rc, expected 2"
    grep -q "zero.yaml: lines: res: total financing of the line is zero in 2021" "$tmp/err" ||
        fail "zero financing: $cmd message was $(cat "$tmp/err")"
done
[ -e "$tmp/zero.h5" ] && fail "zero financing: run wrote a file"
# counties CSV duplicate-header check in n log n: 200,000 columns (89 s
# with the pairwise check) take well under a second of it
cp tests/data/ext-base.yaml "$tmp/wide.yaml"
sed -i 's/^counties_csv: .*/counties_csv: wide.csv/' "$tmp/wide.yaml"
python3 - "$tmp/wide.csv" <<'EOF2'
import sys
cols = ["id", "name", "active", "retired", "resident"] + ["x%d" % i for i in range(200000)] + ["x7"]
with open(sys.argv[1], "w") as f:
    f.write(",".join(cols) + "\n")
    f.write(",".join(["a", "A", "1", "1", "1"] + ["0"] * 200001) + "\n")
EOF2
t0=$(date +%s)
timeout 60 "$P" check "$tmp/wide.yaml" >/dev/null 2>"$tmp/err"
rc=$?
t1=$(date +%s)
[ $rc -eq 2 ] || fail "wide counties CSV: exit $rc, expected 2"
grep -q "wide.csv:1:.*: counties: duplicate column 'x7' (first at column " "$tmp/err" ||
    fail "wide counties CSV: message was $(head -3 "$tmp/err")"
[ $((t1 - t0)) -le 20 ] || fail "wide counties CSV took $((t1 - t0)) s"
# XLSX: a name over Excel's 32,767 characters is cut (with a warning), not
# dropped from the workbook
python3 - "$tmp/names.yaml" "$tmp/long.yaml" <<'EOF2'
import sys
s = open(sys.argv[1], encoding="utf-8").read().replace('name: "Top 10%"', 'name: "' + "长" * 40000 + '"')
open(sys.argv[2], "w", encoding="utf-8").write(s)
EOF2
"$P" run "$tmp/long.yaml" -n 20 -q -o "$tmp/long.h5" || fail "run with a long name"
"$P" summary "$tmp/long.h5" -q --xlsx "$tmp/long.xlsx" >/dev/null 2>"$tmp/err" || fail "summary --xlsx long name"
grep -q "warning: a text of 40000 characters is cut to 32767" "$tmp/err" || fail "no warning for the long name"
python3 - "$tmp/long.xlsx" <<'EOF2' || fail "the long name is not in the workbook, cut to 32,767 characters"
import re, sys, zipfile
s = zipfile.ZipFile(sys.argv[1]).read("xl/sharedStrings.xml").decode("utf-8")
sys.exit(0 if [len(x) for x in re.findall("长+…", s)] == [32767] else 1)
EOF2
# one --seed parser: 0..2^64-1 (as simulation.seed) everywhere, no sign
"$P" run $S -n 20 -q -s 18446744073709551615 -o "$tmp/seed.h5" || fail "run -s 2^64-1"
h5dump -a /seed "$tmp/seed.h5" | grep -q '(0): 18446744073709551615' || fail "seed 2^64-1 not recorded"
for cmd in "run $S -o $tmp/s.h5" "sweep $S --set reserve.levy_rate=0.1,0.2 -o $tmp/s.h5" \
    "compare $S $S" "solve $S --vary reserve.levy_rate=0:0.5 --target exhaustion_prob[res,2023]<=0.5"; do
    for bad in +5 -5 18446744073709551616 5x; do
        # shellcheck disable=SC2086
        "$P" $cmd -n 20 -q -s $bad >/dev/null 2>"$tmp/err"
        rc=$?
        [ $rc -eq 2 ] || fail "$cmd -s $bad: exit $rc, expected 2"
        grep -q "^poolsim: --seed: '$bad' is not a whole number in 0..18446744073709551615" "$tmp/err" ||
            fail "$cmd -s $bad: message was $(head -1 "$tmp/err")"
    done
done

echo "hardening.sh: ok"
