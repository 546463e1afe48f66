#!/bin/sh
# Whose bug a sanitizer (ASan, LSan, UBSan) or libFuzzer report shows when
# poolsim reads an HDF5 file: prints `poolsim` or `libhdf5`.
#   - The innermost stack frame that is in poolsim's own code (src/ or
#     tests/fuzz/, relative or under ROOT) or in libhdf5 decides, whichever
#     comes first; frames of libc, zlib, the sanitizers and libFuzzer do
#     not (a memcpy or an inflate called by libhdf5 is libhdf5's).
#   - When that is libhdf5 but the memory it overran is poolsim's (the
#     report's "located in stack of ... frame" or "allocated by ... here"
#     names poolsim's code first), poolsim passed too small a buffer: its
#     bug.
#   - Memory that libhdf5 allocated converting variable-length strings for
#     poolsim (H5T__conv_vlen in a leak report) is poolsim's to free.
#   - A report naming neither counts as poolsim's.
# Used by scripts/fuzz.sh and tests/cli/hostile_h5.sh.
#
# Usage: scripts/sanitizer-owner.sh REPORT [ROOT]   (ROOT: the checkout, default this one)
set -u
report=$1
root=${2:-$(cd "$(dirname "$0")/.." && pwd)}
ours="( |$root/)(src|tests/fuzz)/[^ ]+\.c:"
# first of: a poolsim frame (P) or a libhdf5 frame (H), in the frames read on stdin
first() {
    grep -E '^ *#[0-9]+ ' | sed -nE "s#.*${ours}.*#P#p; s#.*libhdf5.*#H#p" | head -1
}
owner=$(first < "$report")
if [ "$owner" = H ]; then
    if grep -q 'LeakSanitizer' "$report" && grep -q 'H5T__conv_vlen' "$report"; then
        owner=P
    elif [ "$(sed -n '/is located in stack of thread\|allocated by thread/,$p' "$report" | first)" = P ]; then
        owner=P
    fi
fi
if [ "$owner" = H ]; then echo libhdf5; else echo poolsim; fi
