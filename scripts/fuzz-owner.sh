#!/bin/sh
# Whose bug a sanitizer or libFuzzer report of the results-file target shows:
# prints `poolsim` or `libhdf5`. The innermost stack frame that is in
# poolsim's own code (ROOT/src/, ROOT/tests/fuzz/) or in libhdf5 decides,
# whichever comes first; frames of libc, zlib, the sanitizers and libFuzzer
# do not (a memcpy or an inflate called by libhdf5 is libhdf5's). Memory
# that libhdf5 allocated converting variable-length strings for poolsim
# (H5T__conv_vlen in a leak report) is poolsim's to free. A report naming
# neither counts as poolsim's.
#
# Usage: scripts/fuzz-owner.sh REPORT [ROOT]   (ROOT: the checkout, default this one)
set -u
report=$1
root=${2:-$(cd "$(dirname "$0")/.." && pwd)}
owner=$(grep -E '^ *#[0-9]+ ' "$report" | grep -oE "$root/src/|$root/tests/fuzz/|libhdf5" | head -1)
if [ "$owner" = libhdf5 ] &&
    ! { grep -q 'LeakSanitizer' "$report" && grep -q 'H5T__conv_vlen' "$report"; }; then
    echo libhdf5
else
    echo poolsim
fi
