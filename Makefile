# poolsim -- plain Makefile. Targets:
#   make            build ./poolsim
#   make demo       install Debian packages if missing, build, run the default scenario
#   make test       install packages if missing (incl. test tools), build, run all tests
#   make bench      build and run the benchmarks (prints figures)
#   make MPI=1      build with MPI (Debian's OpenMPI, mpicc)
#   make SANITIZE=address,undefined   sanitizer build (then make test as usual)
#   make HDF5_SHARED=1  link the shared HDF5 library (default: Debian's static libhdf5.a)
#   make valgrind   unit suites under valgrind (memcheck; definite leaks fail, libgomp's
#                   thread-pool "possibly lost" blocks are reported, not failed)
#   make coverage   line coverage of the unit suites (gcov), in build-cov/
#   make check-layers  no call goes from a module to the same or a higher layer (docs/DESIGN.md)
#   make mutants    scripts/mutants.sh: one-line bugs applied to a scratch copy, tests run,
#                   killed/survived reported (slow; not part of make test;
#                   MUTANTS_OPTS="-b 1800 -c 'summary.sh'" and mutant ids pass options)
#   make fuzz [FUZZ_SECONDS=60]  libFuzzer targets of tests/fuzz/ (clang, ASan, UBSan),
#                   in build-fuzz/, each run for FUZZ_SECONDS from its seed corpus
#   make asan       ./poolsim, the unit suites and the allocation-failure loop
#                   (tests/oom/) with ASan+UBSan, in build-asan/
#   make clean
.SUFFIXES:
.DEFAULT_GOAL := all

SCENARIO ?= scenarios/zhuzhou.yaml
PATHS ?=

ifeq ($(MPI),1)
CC = mpicc
MPIFLAGS = -DPOOLSIM_MPI=1
BUILD = build-mpi
else
CC ?= cc
MPIFLAGS =
BUILD = build
endif
ifeq ($(CC),cc)
CC = gcc
endif

PKGS = gsl yaml-0.1 jansson hdf5
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) xlsxwriter 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# libxlsxwriter is not linked: `summary --xlsx` opens it (dlopen, in
# src/summary.c), so that no other command loads it and what it needs
# (libcrypto, libminizip): 4.0 -> 1.8 ms for a process that links the
# same libraries and does nothing. Its soname is the one of the library
# beside the headers.
XLSX_SONAME := $(shell readelf -d "$$($(CC) -print-file-name=libxlsxwriter.so)" 2>/dev/null | \
               sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null)

WARN = -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes \
       -Wformat=2 -Wundef -Wno-sign-conversion
OPT ?= -O3 -g
CFLAGS += -std=c17 $(OPT) $(WARN) -ffp-contract=off -fopenmp -D_POSIX_C_SOURCE=200809L \
          -Iinclude -isystem /usr/include/Random123 $(PKG_CFLAGS) $(MPIFLAGS) \
          $(if $(XLSX_SONAME),-DPOOLSIM_XLSX_SONAME='"$(XLSX_SONAME)"')
# HDF5 from its static archive (Debian's libhdf5-dev ships one): the shared
# library's own dependencies (curl, TLS, Kerberos, LDAP: 28 libraries that
# poolsim never calls) took half of every process start, 6 -> 3 ms. The
# archive needs only szip (libaec-dev) and zlib. The shared library as
# pkg-config says without the archive, with HDF5_SHARED=1, and in the
# sanitizer and fuzzing builds: their reports tell libhdf5's faults on
# hostile files from poolsim's by the library a frame is in
# (scripts/sanitizer-owner.sh). The allocation-failure tests always link it
# shared: their wrappers must catch poolsim's allocations, not HDF5's.
LDLIBS_SHARED = $(PKG_LIBS) -lcsv -lunistring -lm
HDF5_A := $(if $(HDF5_SHARED)$(SANITIZE)$(filter 1,$(FUZZ)),,$(firstword $(wildcard \
          $(addsuffix /libhdf5.a,$(patsubst -L%,%,$(filter -L%,$(PKG_LIBS)))))))
# With it, the small libraries from their archives too, where the -dev
# package ships one (all of them on Debian 12): each shared library is
# mapped and relocated at every process start, and the nine of them
# (GSL and its CBLAS, libyaml, jansson, libcsv, libunistring, szip,
# libaec, zlib) took 1.4 of the 4.1 ms of `poolsim --version` (the
# four-county case at one path: 27.9 -> 26.2 ms). libc, libm and
# libgomp stay shared.
# (Found once, when the Makefile is read: LDLIBS is expanded at every link.)
lib_archive = $(abspath $(filter /%,$(shell $(CC) -print-file-name=lib$(1).a 2>/dev/null)))
STATIC_NAMES = gsl gslcblas yaml jansson csv unistring sz aec z
LDLIBS_STATIC := $(if $(HDF5_A),$(foreach w,$(patsubst -lhdf5,$(HDF5_A) -lsz -laec -lz,\
                 $(LDLIBS_SHARED)),$(or $(and $(filter $(STATIC_NAMES:%=-l%),$w),\
                 $(call lib_archive,$(w:-l%=%))),$w)))
LDLIBS += $(if $(HDF5_A),$(LDLIBS_STATIC),$(LDLIBS_SHARED))
LDFLAGS += -fopenmp
ifeq ($(COVERAGE),1)
BUILD = build-cov
CFLAGS += --coverage
LDFLAGS += --coverage
endif
ifneq ($(SANITIZE),)
CFLAGS += -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
LDFLAGS += -fsanitize=$(SANITIZE)
endif
# coverage instrumentation for libFuzzer (make fuzz: clang only); at
# -O1 clang does not vectorise, and says so of every `omp simd' loop
ifeq ($(FUZZ),1)
CFLAGS += -fsanitize=fuzzer-no-link -Wno-pass-failed
endif

LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ := $(LIB_SRC:src/%.c=$(BUILD)/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_OBJ := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%.o)
BENCH_SRC := $(wildcard bench/*.c)

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
GIT_DIRTY := $(shell git diff --quiet HEAD 2>/dev/null || echo -dirty)
# The objects that print or record the commit (--version, the results'
# provenance) depend on this file, rewritten only when the commit changes:
# otherwise they kept the commit of the last time their own source changed.
COMMIT_STAMP := $(BUILD)/commit.stamp
$(shell mkdir -p $(BUILD))
ifneq ($(file <$(COMMIT_STAMP)),$(GIT_COMMIT)$(GIT_DIRTY))
$(file >$(COMMIT_STAMP),$(GIT_COMMIT)$(GIT_DIRTY))
endif
$(BUILD)/cli.o $(BUILD)/provenance.o: $(COMMIT_STAMP)
# Every object depends on the compiler and its flags in the same way: a
# change of OPT (or CC, MPI, SANITIZE, ...) rebuilds them all, where make
# had kept the objects built with the old flags.
FLAGS_STAMP := $(BUILD)/flags.stamp
FLAGS_NOW := $(CC) $(CFLAGS)
ifneq ($(file <$(FLAGS_STAMP)),$(FLAGS_NOW))
$(file >$(FLAGS_STAMP),$(FLAGS_NOW))
endif

all: poolsim

$(BUILD)/%.o: src/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DPOOLSIM_GIT_COMMIT='"$(GIT_COMMIT)$(GIT_DIRTY)"' \
	  -DPOOLSIM_CFLAGS='"$(strip $(OPT) -ffp-contract=off -fopenmp $(MPIFLAGS))"' -MMD -MP -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c $(FLAGS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -MMD -MP -c $< -o $@

$(BUILD)/libpoolsim.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/poolsim: $(BUILD)/main.o $(BUILD)/libpoolsim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ./poolsim is the binary of the last build (plain or MPI=1)
poolsim: $(BUILD)/poolsim FORCE
	@cmp -s $< $@ || cp $< $@

FORCE:

$(BUILD)/run_tests: $(TEST_OBJ) $(BUILD)/libpoolsim.a
	$(CC) $(LDFLAGS) -o $@ $^ $(CUNIT_LIBS) $(LDLIBS)

$(BUILD)/bench: $(BENCH_SRC) $(BUILD)/libpoolsim.a $(FLAGS_STAMP)
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) -o $@ $(BENCH_SRC) $(BUILD)/libpoolsim.a $(LDLIBS)

deps:
	@scripts/install-deps.sh

deps-test:
	@scripts/install-deps.sh --test --mpi

demo: deps
	$(MAKE) poolsim
	scripts/demo.sh $(SCENARIO)

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
ASAN_BUILD = $(MAKE) BUILD=build-asan SANITIZE=address,undefined OPT="-O1 -g"
FUZZ_BUILD = $(MAKE) CC=clang BUILD=build-fuzz FUZZ=1 SANITIZE=address,undefined OPT="-O1 -g"

# the CLI tests run twice: with ./poolsim, then with the ASan+UBSan build
# (build-asan/); the fuzz targets' smoke run (tests/cli/zz_fuzz_smoke.sh)
# needs clang and is skipped without it
test: deps-test
	$(MAKE) poolsim $(BUILD)/run_tests
	$(MAKE) MPI=1 build-mpi/poolsim
	$(ASAN_BUILD) build-asan/poolsim build-asan/oom_tests
	if command -v clang >/dev/null 2>&1; then $(FUZZ_BUILD) fuzz-targets; fi
	scripts/run-tests.sh $(BUILD)

asan:
	$(ASAN_BUILD) build-asan/poolsim build-asan/run_tests build-asan/oom_tests

fuzz: deps-test
	$(MAKE) poolsim
	$(FUZZ_BUILD) fuzz-targets
	scripts/fuzz.sh $(FUZZ_SECONDS)

fuzz-targets: $(FUZZ_TARGETS:%=$(BUILD)/fuzz_%)

# allocation-failure injection (tests/oom/oom_tests.c): poolsim's own
# malloc, calloc, realloc, strdup and strndup calls go through wrappers
OOM_WRAP = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
$(BUILD)/oom_tests: tests/oom/oom_tests.c $(BUILD)/libpoolsim.a $(FLAGS_STAMP)
	$(CC) $(CFLAGS) -Wno-missing-prototypes $(LDFLAGS) $(OOM_WRAP) -o $@ $< \
	  $(BUILD)/libpoolsim.a $(LDLIBS_SHARED)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(BUILD)/libpoolsim.a $(FLAGS_STAMP)
	$(CC) $(CFLAGS) -Wno-missing-prototypes -fsanitize=fuzzer $(LDFLAGS) -o $@ $< \
	  $(BUILD)/libpoolsim.a $(LDLIBS)

bench: deps-test
	$(MAKE) poolsim $(BUILD)/bench
	$(MAKE) MPI=1 build-mpi/poolsim
	$(BUILD)/bench
	/usr/bin/python3 scripts/bench-numpy.py
	scripts/bench-mpi.sh

valgrind: deps-test
	$(MAKE) $(BUILD)/run_tests
	valgrind --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 $(BUILD)/run_tests common
	for s in rules settle scenario claims drivers plan stats qhist jsonout; do \
	    valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9 $(BUILD)/run_tests $$s >/dev/null || exit 1; done
	@echo "valgrind: no errors, no leaks"

coverage: deps-test
	$(MAKE) COVERAGE=1 build-cov/run_tests
	build-cov/run_tests >/dev/null 2>&1
	@cd build-cov && for f in ../src/*.c; do gcov -n -o . $$f 2>/dev/null | head -2; done | \
	    awk '/^File/ { f = $$2 } /^Lines/ { sub("executed:", "", $$2); printf "%-28s %8s of %s lines\n", f, $$2, $$4 }'

# every call between object files goes to a lower layer (docs/DESIGN.md)
check-layers: poolsim
	scripts/check-layers.sh $(BUILD)

mutants: deps-test
	$(MAKE) poolsim $(BUILD)/run_tests
	scripts/mutants.sh $(MUTANTS_OPTS)

clean:
	rm -rf build build-mpi build-cov build-asan build-fuzz poolsim

.PHONY: all deps deps-test demo test asan fuzz fuzz-targets bench valgrind coverage check-layers mutants clean FORCE

-include $(LIB_OBJ:.o=.d) $(TEST_OBJ:.o=.d) $(BUILD)/main.d
