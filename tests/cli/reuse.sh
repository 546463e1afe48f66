#!/bin/sh
# sweep and solve over levers that change only the yearly rules reuse the
# first run's draws (financing and claims of every path) and run only the
# rules again: the outputs must be byte for byte those of --no-reuse, which
# simulates every path at every point; also for a lever that changes the
# draws (utilisation sd), where the cache must be refilled, and under 2
# MPI ranks.
set -u
P=${POOLSIM:-./poolsim}
MP=build-mpi/poolsim
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "reuse.sh: $*"; exit 1; }
S=scenarios/zhuzhou.yaml
T='exhaustion_prob[resident,2030] <= 0.05'

"$P" solve $S --vary reserve.levy_rate=0:0.3 --target "$T" -n 2000 -t 2 -q \
    --json "$tmp/a.json" >"$tmp/a.out" || fail "solve"
"$P" solve $S --vary reserve.levy_rate=0:0.3 --target "$T" -n 2000 -t 2 -q --no-reuse \
    --json "$tmp/b.json" >"$tmp/b.out" || fail "solve --no-reuse"
cmp -s "$tmp/a.json" "$tmp/b.json" || fail "solve JSON differs with --no-reuse"
cmp -s "$tmp/a.out" "$tmp/b.out" || fail "solve output differs with --no-reuse"

for lever in "--set reserve.levy_rate=0.02,0.1 --set reserve.cap_ratio=0.1,0.3" \
    "--set shocks.utilisation.sd=0.02,0.08 --set reserve.levy_rate=0.02,0.1"; do
    # shellcheck disable=SC2086
    "$P" sweep $S $lever -n 1000 -t 2 -q -o "$tmp/s1.h5" --csv "$tmp/s1.csv" ||
        fail "sweep $lever"
    # shellcheck disable=SC2086
    "$P" sweep $S $lever -n 1000 -t 2 -q --no-reuse -o "$tmp/s2.h5" --csv "$tmp/s2.csv" ||
        fail "sweep --no-reuse $lever"
    cmp -s "$tmp/s1.csv" "$tmp/s2.csv" || fail "sweep CSV differs with --no-reuse ($lever)"
    h5diff --exclude-attribute / "$tmp/s1.h5" "$tmp/s2.h5" >/dev/null 2>&1 ||
        fail "sweep file differs with --no-reuse ($lever)"
done

if [ -x "$MP" ]; then
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
    mpirun --oversubscribe --allow-run-as-root -np 2 "$MP" solve $S --vary \
        reserve.levy_rate=0:0.3 --target "$T" -n 2000 -t 1 -q --json "$tmp/m.json" >/dev/null ||
        fail "mpirun solve"
    cmp -s "$tmp/a.json" "$tmp/m.json" || fail "solve JSON differs under 2 MPI ranks"
fi
exit 0
