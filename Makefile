# pstate - top-level, non-recursive Makefile.
#
#   make            libraries and tools (optimised, build/opt)
#   make test       every test, under AddressSanitizer + UBSan (build/san)
#   make demo       build the embedded default store image and show it
#   make bench      benchmarks (optimised build, libfdt as the peer)
#   make soak       writers on every path of one store with SIGKILLs, for
#                   SOAK_TIME seconds (default 300; root: loop devices)
#   make fuzz       libFuzzer targets for FUZZ_TIME seconds each
#   make firmware   cross-compile the format core for ARM Thumb-2, print sizes
#   make install    PREFIX=/usr/local DESTDIR= (make uninstall: the same
#                   files removed; dist/dist.mk, also shared libraries)
#   make package    the Debian packages (debian/, dpkg-buildpackage)
#
# `make demo` and `make test` first run scripts/install-deps.sh, which
# installs the Debian packages the project needs (idempotent).

CC       ?= gcc
CLANG    ?= clang
PREFIX   ?= /usr/local
FUZZ_TIME ?= 60
BUILD    := build

WARN     := -std=c11 -Wall -Wextra -Werror
DEFS     := -D_POSIX_C_SOURCE=200809L -DPSF_CRC_FAST
INC      := -Iformat -Ipstate
OPT      := -O2 -g
SAN      := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer

# Header dependencies: each compile writes the headers its object read
# to a .d file beside it (included at the end); -MP adds an empty rule per
# header so that a header deleted since does not stop the build.
DEPFLAGS := -MMD -MP

CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

# Objects for a build flavour: $(call objs,flavour,sources)
objs = $(patsubst %.c,$(BUILD)/$(1)/%.o,$(2))

# ---------------------------------------------------------------- sources
# Each library and tool folder brings its sources and rules in a make
# fragment, in dependency order: format/, pstate/, then (below, after
# the generic rules) cli/, hvagent/, bmc-shim/.
include format/format.mk

# pstate/: the store on media and the edit layer (PSTATE_CORE, PSTATE_HOST).
include pstate/pstate.mk

UNIT_SRC    := $(wildcard tests/unit/test_*.c)

# Discovery tests run the real libusb/sysfs/libblkid code on fake devices
# (umockdev); the binary re-executes itself under the umockdev preload.
UMOCKDEV_CFLAGS := $(shell pkg-config --cflags umockdev-1.0 2>/dev/null)
UMOCKDEV_LIBS   := $(shell pkg-config --libs umockdev-1.0 2>/dev/null)
$(BUILD)/san/tests/unit/test_discover.o: PSTATE_CFLAGS += $(UMOCKDEV_CFLAGS)
$(BUILD)/san/tests/unit/test_discover: CMOCKA_LIBS += $(UMOCKDEV_LIBS)
FUZZ_SRC    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS   := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all test test-build unit e2e fuzz fuzz-smoke bench bench-callgrind \
        soak demo firmware deps clean be-test
.DEFAULT_GOAL := all

# Components in their own folders (hvagent/, bmc-shim/) bring a make
# fragment each, included at the end.  A fragment adds to these lists:
#   MODULE_ALL        what `make` builds         MODULE_TEST_BINS  built by test-build
#   MODULE_E2E_DEPS   what e2e needs built       MODULE_E2E_ENV    VAR=path for e2e scripts
#   MODULE_FIRMWARE   targets run by `firmware`  MODULE_BENCH      targets run by `bench`
#   INSTALL_LIST      MODE|SOURCE|TARGET of each file `install` puts
#                     (dist/dist.mk, dist/install.sh)
# and sets FUZZ_EXTRA (extra sources) on its own fuzz targets.
MODULE_ALL :=
MODULE_TEST_BINS :=
MODULE_E2E_DEPS :=
MODULE_E2E_ENV :=
MODULE_FIRMWARE :=
MODULE_BENCH :=
INSTALL_LIST =
FUZZ_EXTRA :=

all: $(BUILD)/opt/libpsf.a $(BUILD)/opt/libpsf-tree.a $(BUILD)/opt/libpstate.a \
     $(BUILD)/opt/psftool $(BUILD)/opt/psctl module-all

deps:
	@scripts/install-deps.sh

# ---------------------------------------------------------------- rules
$(BUILD)/opt/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(PSTATE_CFLAGS) $(OPT) $(DEPFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(PSTATE_CFLAGS) $(SAN) $(DEPFLAGS) -c $< -o $@

PSF_LIBS = $(BUILD)/$(1)/libpsf-tree.a $(BUILD)/$(1)/libpsf.a
ALL_LIBS = $(BUILD)/$(1)/libpstate.a $(call PSF_LIBS,$(1))

include cli/cli.mk

# ---------------------------------------------------------------- tests
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,$(UNIT_SRC))
# Test objects are kept, not removed as intermediates: their .d files
# name them, so a removed one would be compiled again by every make.
.SECONDARY: $(patsubst %.c,$(BUILD)/san/%.o,$(UNIT_SRC))

$(BUILD)/san/tests/unit/%: $(BUILD)/san/tests/unit/%.o $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(CMOCKA_LIBS) $(PSTATE_SYSLIBS)
# test_auth checks the MAC against OpenSSL's.
$(BUILD)/san/tests/unit/test_auth: PSTATE_SYSLIBS += -lcrypto

# Build everything in parallel, then run the suites one after another so
# their output stays readable; the last lines say how long each phase took
# (scripts/run-phases.sh), also when one failed.
test:
	@scripts/run-phases.sh "$(MAKE)" deps build=test-build unit e2e be=be-test \
		fuzz=fuzz-smoke firmware install=install-test package=package-test
	@echo "make test: all suites passed"

test-build: $(UNIT_BINS) $(BUILD)/san/psftool $(BUILD)/san/psctl $(BE_BIN) \
            $(FUZZ_BINS) module-test-bins module-e2e-deps all shlibs

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

# `all`: scripts/bmc-sim runs the optimised pscon beside ipmi_sim.
e2e: $(BUILD)/san/psftool $(BUILD)/san/psctl module-e2e-deps all
	@PSFTOOL=$(BUILD)/san/psftool PSCTL=$(BUILD)/san/psctl $(MODULE_E2E_ENV) \
		tests/e2e/run.sh

# Not part of `make test`: minutes long, needs root, ipmi_sim and libvirtd.
soak: $(BUILD)/opt/psctl $(BUILD)/opt/hvagent $(BUILD)/opt/bmc-shim/bmc_sim.so
	@PSCTL=$(BUILD)/opt/psctl HVAGENT=$(BUILD)/opt/hvagent BMC_SIM=scripts/bmc-sim \
		BMC_SIM_MODULE=$(abspath $(BUILD)/opt/bmc-shim/bmc_sim.so) \
		tests/soak/soak.sh
	@PSCTL=$(BUILD)/opt/psctl tests/soak/soak_pool.sh

# ---------------------------------------------------------------- fuzzing
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
              -fno-sanitize-recover=all -D_POSIX_C_SOURCE=200809L

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FORMAT_SRC) $(FORMAT_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) $(WARN) $(DEFS) $(INC) $(FUZZ_FLAGS) -o $@ $< $(FORMAT_SRC) \
		$(FUZZ_EXTRA)

fuzz: deps $(FUZZ_BINS)
	@FUZZ_TIME=$(FUZZ_TIME) scripts/run-fuzz.sh $(FUZZ_BINS)

fuzz-smoke: $(FUZZ_BINS)
	@FUZZ_TIME=15 scripts/run-fuzz.sh $(FUZZ_BINS)

# ---------------------------------------------------------------- firmware
firmware:
	@FORMAT_CORE="$(FORMAT_CORE)" scripts/firmware-size.sh
	@PSTATE_CORE="$(PSTATE_CORE)" PSTATE_HOST="$(PSTATE_HOST)" \
		scripts/check-headers.sh
	@$(if $(strip $(MODULE_FIRMWARE)),$(MAKE) --no-print-directory $(MODULE_FIRMWARE),true)

# ---------------------------------------------------------------- bench
# A benchmark program compiled from one source and linked with libpsf.a
# (BENCH and BENCH_NOHW, the format's, come from format/format.mk).
$(BUILD)/opt/bench/%: bench/%.c $(BUILD)/opt/libpsf.a $(FORMAT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(OPT) -o $@ $< $(BUILD)/opt/libpsf.a -lfdt

BENCH_COMMIT := $(BUILD)/opt/bench/bench_commit
$(BENCH_COMMIT): bench/bench_commit.c $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(FORMAT_HDRS) $(PSTATE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(OPT) -o $@ $< $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(PSTATE_SYSLIBS)

# psctl vm set against fdtput on 1000 VMs: whole commands, fork/exec to exit.
BENCH_PSCTL := $(BUILD)/opt/bench/bench_psctl

# The whole-store check on 20,000 VMs: pairwise vs workspace, then psctl.
BENCH_CHECK := $(BUILD)/opt/bench/bench_check
$(BENCH_CHECK): bench/bench_check.c $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(FORMAT_HDRS) $(PSTATE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(OPT) -o $@ $< $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(PSTATE_SYSLIBS)
.PHONY: bench-check
bench-check: $(BENCH_CHECK) $(BUILD)/opt/psctl
	@echo "==== bench check: ps_cfg_check on 20,000 VMs, pairwise vs workspace; psctl check"
	$(BENCH_CHECK) $(BUILD)/opt/psctl
MODULE_BENCH += bench-check

bench: deps $(BENCH) $(BENCH_NOHW) $(BENCH_COMMIT) $(BENCH_PSCTL) $(BUILD)/opt/psctl
	@echo "==== bench 1/4: format, core as built (hardware CRC-32C where available)"
	$(BENCH)
	@echo "==== bench 2/4: format, portable CRC-32C tables (core built with -DPSF_CRC_NO_HW)"
	$(BENCH_NOHW)
	@echo "==== bench 3/4: store commits, sectors written per edit"
	$(BENCH_COMMIT)
	@echo "==== bench 4/4: psctl vm set vs fdtput, 1000 VMs (image in $${TMPDIR:-/tmp}, fsync as in real use)"
	$(BENCH_PSCTL) $(BUILD)/opt/psctl
	@echo "==== bench 4/4, again on tmpfs (/dev/shm): fsync costs nothing there (no-fsync figure)"
	TMPDIR=/dev/shm $(BENCH_PSCTL) $(BUILD)/opt/psctl
	@$(if $(strip $(MODULE_BENCH)),$(MAKE) --no-print-directory $(MODULE_BENCH),true)

# Instruction counts (valgrind): stable on a noisy machine.
bench-callgrind: deps $(BENCH) $(BENCH_NOHW)
	@echo "==== bench-callgrind 1/2: core as built (hardware CRC-32C where available)"
	$(BENCH) --callgrind
	@echo "==== bench-callgrind 2/2: portable CRC-32C tables (core built with -DPSF_CRC_NO_HW)"
	$(BENCH_NOHW) --callgrind

# ---------------------------------------------------------------- demo
DEMO_IMAGE ?= $(BUILD)/pstate-default.img
demo: deps $(BUILD)/opt/psftool $(BUILD)/opt/psctl module-all
	@scripts/demo.sh $(BUILD)/opt/psftool $(DEMO_IMAGE) $(BUILD)/opt/psctl

clean:
	rm -rf $(BUILD)

# ---------------------------------------------------------------- components
include $(wildcard hvagent/hvagent.mk bmc-shim/bmc-shim.mk bmc-shim/console/console.mk)
# Shared libraries, pkg-config files, install/uninstall, the package.
include dist/dist.mk
include cli/setup/setup.mk

# Phony hooks expanded after the fragments have added to the lists.
.PHONY: module-all module-test-bins module-e2e-deps
module-all: $(MODULE_ALL)
module-test-bins: $(MODULE_TEST_BINS)
module-e2e-deps: $(MODULE_E2E_DEPS)

# What is linked or archived from a make file's lists (programs, archives,
# test binaries, the simulator module) is made again when a make file
# changes: a source added to a list, or a flag, would otherwise leave it
# stale (the new object can be older than it).  Objects are not: they
# follow their sources and the headers they read (.d files below), so a
# make file's change relinks but compiles nothing again.  The web page's
# files (an npm install) follow their own inputs.
# (.EXTRA_PREREQS: prerequisites outside $^; GNU make takes it per target,
# not per pattern, hence the list.)
MK_FILES := $(filter %.mk Makefile,$(MAKEFILE_LIST))
MK_BUILT := $(foreach f,opt san,$(call ALL_LIBS,$(f)) $(BUILD)/$(f)/psftool \
              $(BUILD)/$(f)/psctl $(BUILD)/$(f)/libbmcshim.a) \
            $(MODULE_ALL) $(MODULE_TEST_BINS) $(MODULE_E2E_DEPS) $(UNIT_BINS) \
            $(FUZZ_BINS) $(BENCH) $(BENCH_NOHW) $(BENCH_COMMIT) $(BENCH_PSCTL) \
            $(BENCH_CHECK) $(BENCH_CHURN) $(BENCH_POOL) $(BENCH_HVAGENT) \
            $(BENCH_CONSOLE)
$(sort $(filter-out %.o $(BUILD)/web/%,$(filter $(BUILD)/%,$(MK_BUILT)))): \
	.EXTRA_PREREQS := $(MK_FILES)

# The headers each object read, as its compile recorded them.
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
