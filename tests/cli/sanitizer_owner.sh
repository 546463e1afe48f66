#!/bin/sh
# scripts/sanitizer-owner.sh, which decides whether a crash or hang found
# reading an HDF5 file (by the results-file fuzzer, or in the reader's child
# process under ASan) is poolsim's (the run fails) or libhdf5's (poolsim
# must only contain it), on reports kept from real runs in
# tests/data/sanitizer-reports/ (the checkout's path written as @ROOT@):
#   libhdf5-memcpy.txt   SEGV in libc's memcpy called by libhdf5 (H5Aexists)
#   libhdf5-timeout.txt  libFuzzer timeout inside libhdf5's global heap read
#   poolsim-overflow.txt heap overflow planted in src/h5in.c
#   poolsim-attr-stack.txt  libhdf5 copying an array attribute into one int
#                        on poolsim's stack (src/h5guard.c before its fix;
#                        relative src/ paths, as gcc's ASan build prints)
set -eu
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$PWD
fail=0
expect() { # REPORT-FILE EXPECTED
    got=$(scripts/sanitizer-owner.sh "$1" "$root")
    if [ "$got" != "$2" ]; then
        echo "sanitizer_owner.sh: $(basename "$1"): got $got, expected $2" >&2
        fail=1
    fi
}
for f in tests/data/sanitizer-reports/*.txt; do
    sed "s#@ROOT@#$root#g" "$f" > "$tmp/$(basename "$f")"
done
expect "$tmp/libhdf5-memcpy.txt" libhdf5
expect "$tmp/libhdf5-timeout.txt" libhdf5
expect "$tmp/poolsim-overflow.txt" poolsim
expect "$tmp/poolsim-attr-stack.txt" poolsim
# the same overrun into memory that libhdf5 allocated is libhdf5's
sed '/located in stack of thread/,$s#in int_attr src/h5guard.c:356#in H5FL_blk_malloc (/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x1)#' \
    "$tmp/poolsim-attr-stack.txt" > "$tmp/hdf5-owned.txt"
expect "$tmp/hdf5-owned.txt" libhdf5
# the same overflow in another checkout's src/ names neither this
# checkout nor libhdf5, and such a report, like an empty one, counts as poolsim's
sed "s#@ROOT@#/elsewhere#g" tests/data/sanitizer-reports/poolsim-overflow.txt > "$tmp/other.txt"
expect "$tmp/other.txt" poolsim
: > "$tmp/empty.txt"
expect "$tmp/empty.txt" poolsim
# a leak of what libhdf5 allocated converting variable-length strings for
# poolsim is poolsim's to free
{
    echo "==1==ERROR: LeakSanitizer: detected memory leaks"
    echo "    #0 0x1 in malloc ($root/build-fuzz/fuzz_results+0x1)"
    echo "    #1 0x2 in H5T__conv_vlen (/lib/x86_64-linux-gnu/libhdf5_serial.so.103+0x2)"
    echo "    #2 0x3 in poolsim_h5r_attr_str $root/src/h5util.c:361:13"
} > "$tmp/vlen.txt"
expect "$tmp/vlen.txt" poolsim
sed 's/H5T__conv_vlen/H5FL_blk_malloc/' "$tmp/vlen.txt" > "$tmp/other-leak.txt"
expect "$tmp/other-leak.txt" libhdf5
[ "$fail" -eq 0 ] && echo "sanitizer_owner.sh: ok"
exit "$fail"
