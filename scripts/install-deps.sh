#!/bin/sh
# Install every Debian 12 package poolsim needs to build, test, run and plot.
# Non-interactive; does nothing when all packages are already present.
# Usage (as root): scripts/install-deps.sh [--mpi] [--test]
set -eu

PKGS="make gcc binutils pkg-config
libgsl-dev librandom123-dev libyaml-dev libcsv-dev libjansson-dev
libhdf5-dev libaec-dev zlib1g-dev hdf5-tools libcunit1-dev libxlsxwriter-dev libunistring-dev
gnuplot-nox fonts-noto-cjk"
TEST_PKGS="chromium python3-h5py python3-numpy python3-yaml valgrind clang libclang-rt-14-dev libomp-dev"
MPI_PKGS="libopenmpi-dev openmpi-bin"

want="$PKGS"
for arg in "$@"; do
    case "$arg" in
        --test) want="$want $TEST_PKGS" ;;
        --mpi) want="$want $MPI_PKGS" ;;
        *) echo "install-deps.sh: unknown option '$arg' (expected --test or --mpi)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $want; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
        "install ok installed") ;;
        *) missing="$missing $p" ;;
    esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: missing Debian packages:$missing" >&2
    echo "install-deps.sh: run as root, or: sudo apt-get install$missing" >&2
    exit 1
fi

echo "install-deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
