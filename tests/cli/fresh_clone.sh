#!/bin/sh
# What is committed builds and runs on its own: clone HEAD into a temporary
# folder, build there, run the unit suites and the default scenario check.
# (Catches files that exist only in a working tree. CI runs from a fresh
# clone already; this matters most in a developer's checkout.)
set -u
command -v git >/dev/null || { echo "fresh_clone.sh: git not found, skipped"; exit 0; }
git rev-parse --git-dir >/dev/null 2>&1 || { echo "fresh_clone.sh: not a git checkout, skipped"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "fresh_clone.sh: $*"; exit 1; }
git clone -q . "$tmp/poolsim" || fail "git clone failed"
cd "$tmp/poolsim" || fail "no clone"
# a plain `make` (the README's build) builds ./poolsim
make -s >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build failed in a fresh clone"; }
[ -x poolsim ] || fail "a plain make did not build ./poolsim"
make -s build/run_tests >>"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; fail "build failed in a fresh clone"; }
grep -q 'warning:' "$tmp/build.log" && { cat "$tmp/build.log"; fail "warnings in a fresh clone"; }
build/run_tests common >/dev/null 2>&1 || fail "unit suites fail in a fresh clone"
./poolsim check -q scenarios/zhuzhou.yaml >/dev/null || fail "default scenario does not check in a fresh clone"
./poolsim run scenarios/zhuzhou.yaml -n 200 -q -o "$tmp/x.h5" || fail "default scenario does not run in a fresh clone"
# objects follow the flags: asked for again with other flags, an object
# is rebuilt with them; asked for again with the same, it is not
make -s BUILD=build-flags build-flags/common.o >/dev/null 2>&1 || fail "cannot build an object"
make BUILD=build-flags OPT="-O1 -g" build-flags/common.o 2>&1 | grep -q -- "-O1 -g .*-c src/common.c" ||
    fail "an object was not rebuilt when the flags changed"
make BUILD=build-flags OPT="-O1 -g" build-flags/common.o 2>&1 | grep -q -- "-c src/common.c" &&
    fail "an object was rebuilt with the same flags"
echo "fresh_clone.sh: ok"
