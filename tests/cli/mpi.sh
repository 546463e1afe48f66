#!/bin/sh
# MPI runs (OpenMPI, this machine's 2 cores oversubscribed): 2- and 3-rank
# jobs must give the single-process results bit for bit, in exact-quantile
# mode, in histogram mode (> 100,000 paths) and with --save-paths.
set -u
B=${BUILD:-build}
MP=build-mpi/poolsim
P=${POOLSIM:-./poolsim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "mpi.sh: $*"; exit 1; }
[ -x "$MP" ] || fail "$MP not built (make MPI=1 build-mpi/poolsim)"
mpirun="mpirun --oversubscribe --allow-run-as-root"
export OMPI_MCA_btl_vader_single_copy_mechanism=none

same() { # same A B: identical JSON and HDF5 datasets
    cmp -s "$1.json" "$2.json" || fail "JSON $1 vs $2 differs"
    h5diff --exclude-attribute / "$1.h5" "$2.h5" >/dev/null 2>&1 || fail "HDF5 $1 vs $2 differs"
}

"$P" run scenarios/zhuzhou.yaml -n 1500 -t 2 -q --save-paths -o "$tmp/s.h5" --json "$tmp/s.json" || fail "single run"
for np in 2 3; do
    $mpirun -np $np "$MP" run scenarios/zhuzhou.yaml -n 1500 -t 1 -q --save-paths \
        -o "$tmp/m$np.h5" --json "$tmp/m$np.json" || fail "mpirun -np $np"
    same "$tmp/s" "$tmp/m$np"
done
h5dump -A -a /ranks "$tmp/m3.h5" | grep -q '(0): 3' || fail "ranks attribute is not 3"

# a transition to 统收统支 (MODEL.md section 10): same bit for bit under MPI
un="pooling.mode={2021: county_accounts, 2024: unified}"
"$P" run scenarios/zhuzhou.yaml -n 900 -t 2 -q --set "$un" --set pooling.gap_key=deficit \
    -o "$tmp/us.h5" --json "$tmp/us.json" || fail "single unified run"
$mpirun -np 3 "$MP" run scenarios/zhuzhou.yaml -n 900 -t 1 -q --set "$un" \
    --set pooling.gap_key=deficit -o "$tmp/um.h5" --json "$tmp/um.json" || fail "mpirun unified"
same "$tmp/us" "$tmp/um"

# histogram mode
"$P" run tests/data/engine_small.yaml -n 110000 -q -o "$tmp/hs.h5" --json "$tmp/hs.json" || fail "single hist run"
$mpirun -np 2 "$MP" run tests/data/engine_small.yaml -n 110000 -t 1 -q -o "$tmp/hm.h5" \
    --json "$tmp/hm.json" || fail "mpirun hist"
same "$tmp/hs" "$tmp/hm"

# sweep and solve under MPI: same CSV, HDF5 datasets and JSON as one process
sw="sweep scenarios/zhuzhou.yaml -n 600 -t 1 --set reserve.levy_rate=0.08,0.10"
"$P" $sw -o "$tmp/sw1.h5" --csv "$tmp/sw1.csv" >/dev/null 2>&1 || fail "single sweep"
$mpirun -np 2 "$MP" $sw -o "$tmp/sw2.h5" --csv "$tmp/sw2.csv" >/dev/null 2>&1 || fail "mpirun sweep"
cmp -s "$tmp/sw1.csv" "$tmp/sw2.csv" || fail "sweep CSV differs under MPI"
h5diff --exclude-attribute / "$tmp/sw1.h5" "$tmp/sw2.h5" >/dev/null 2>&1 || fail "sweep HDF5 differs under MPI"
so="solve scenarios/zhuzhou.yaml -n 600 -t 1 --vary reserve.levy_rate=0:0.1 --target exhaustion_prob[resident,2030]<=0.05"
"$P" $so --json "$tmp/so1.json" >/dev/null 2>&1 || fail "single solve"
$mpirun -np 3 "$MP" $so --json "$tmp/so3.json" >/dev/null 2>&1 || fail "mpirun solve"
cmp -s "$tmp/so1.json" "$tmp/so3.json" || fail "solve JSON differs under MPI"

# bad input under MPI: exit 2, one message (rank 0 only), no file
$mpirun -np 2 "$MP" run scenarios/zhuzhou.yaml --set reserve.levy_rate=2 -o "$tmp/bad.h5" 2>"$tmp/err"
[ $? -ne 0 ] || fail "bad input under mpirun exited 0"
[ "$(grep -c 'reserve.levy_rate' "$tmp/err")" -eq 1 ] || fail "expected one error message"
[ -e "$tmp/bad.h5" ] && fail "bad input under mpirun wrote a file"
echo "mpi.sh: ok"
