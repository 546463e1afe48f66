#!/bin/sh
# Scaling study: wall time and peak memory of `poolsim run` against paths,
# counties, years and MPI ranks on this machine. Writes a table
# (results/scaling/scaling.tsv) and a chart (results/scaling/scaling.png).
# Usage: scripts/scaling.sh [--quick]      (--quick: smaller sizes, for a smoke test)
# Needs ./poolsim and, for the ranks series, build-mpi/poolsim (make MPI=1).
set -eu
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
out=results/scaling
mkdir -p "$out"
tsv="$out/scaling.tsv"
gen="$out/scenarios"
printf 'series\tvalue\tpaths\tcounties\tyears\tranks\tseconds\tus_per_path\tpeak_mib_max\n' > "$tsv"

now() { date +%s.%N; }
# measure SERIES VALUE PATHS COUNTIES YEARS RANKS -- COMMAND...
measure() {
    series=$1 value=$2 paths=$3 counties=$4 years=$5 ranks=$6
    shift 7
    t0=$(now)
    line=$("$@" | grep '^results:')
    t1=$(now)
    peak=$(echo "$line" | sed 's/.*peak memory \([0-9, ]*\) MiB.*/\1/' | tr ',' '\n' | sort -n | tail -1 | tr -d ' ')
    awk -v s="$series" -v v="$value" -v p="$paths" -v c="$counties" -v y="$years" -v r="$ranks" \
        -v t0="$t0" -v t1="$t1" -v m="$peak" \
        'BEGIN { t = t1 - t0; printf "%s\t%s\t%d\t%d\t%d\t%d\t%.3f\t%.2f\t%s\n", s, v, p, c, y, r, t, 1e6 * t / p, m }' \
        | tee -a "$tsv"
}

if [ $quick -eq 1 ]; then
    PATHS_LIST="1000 10000"; COUNTY_LIST="10 20"; YEAR_LIST="10 20"; NP=500; RANKS="1 2"; RP=2000
else
    PATHS_LIST="1000 10000 100000 1000000"; COUNTY_LIST="10 25 50 100 200"; YEAR_LIST="10 20 30 50"
    NP=2000; RANKS="1 2 3 4"; RP=40000
fi

for p in $PATHS_LIST; do
    measure paths "$p" "$p" 10 10 1 -- ./poolsim run scenarios/zhuzhou.yaml -n "$p" -o "$out/run.h5"
done
for c in $COUNTY_LIST; do
    f=$(scripts/gen-province.sh "$c" 10 "$gen")
    measure counties "$c" "$NP" "$c" 10 1 -- ./poolsim run "$f" -n "$NP" -o "$out/run.h5"
done
for y in $YEAR_LIST; do
    f=$(scripts/gen-province.sh 10 "$y" "$gen")
    measure years "$y" "$NP" 10 "$y" 1 -- ./poolsim run "$f" -n "$NP" -o "$out/run.h5"
done
if [ -x build-mpi/poolsim ] && command -v mpirun >/dev/null; then
    for r in $RANKS; do
        measure ranks "$r" "$RP" 10 10 "$r" -- mpirun --allow-run-as-root --oversubscribe -np "$r" \
            build-mpi/poolsim run scenarios/zhuzhou.yaml -n "$RP" -t 1 -o "$out/run.h5"
    done
fi
rm -f "$out/run.h5"

gnuplot <<EOG
set terminal pngcairo size 1200,900 font 'Noto Sans CJK SC,10'
set output '$out/scaling.png'
set datafile separator '\t'
set multiplot layout 2,2 title 'poolsim scaling on this machine (wall time; labels: peak MiB)'
set grid
set key off
set logscale xy
set title 'paths (default scenario, 10 counties x 10 years, all cores)'
set xlabel 'paths'; set ylabel 'seconds'
plot '$tsv' using (strcol(1) eq "paths" ? \$2 : 1/0):7 with linespoints pt 7, \
     '' using (strcol(1) eq "paths" ? \$2 : 1/0):7:(sprintf('%s', strcol(9))) with labels offset 0,1
set title 'counties ($NP paths, 10 years)'
set xlabel 'counties'; set ylabel 'microseconds per path'
plot '$tsv' using (strcol(1) eq "counties" ? \$2 : 1/0):8 with linespoints pt 7
set title 'years ($NP paths, 10 counties)'
set xlabel 'years'
plot '$tsv' using (strcol(1) eq "years" ? \$2 : 1/0):8 with linespoints pt 7
unset logscale
set logscale y
set title 'MPI ranks x 1 thread ($RP paths), 2 cores'
set xlabel 'ranks'; set ylabel 'seconds'; set xtics 1
plot '$tsv' using (strcol(1) eq "ranks" ? \$2 : 1/0):7 with linespoints pt 7
unset multiplot
EOG
echo "table: $tsv"
echo "chart: $out/scaling.png"
