# cli/: the command-line tools.  Included by the top-level Makefile after
# the libraries' rules.

# psftool: the format-level tool (dtc and fdtdump to PSF), on the format
# libraries alone.  cli/cli_file.c (output files) is shared by both tools.
$(BUILD)/opt/psftool: $(call objs,opt,cli/psftool.c cli/cli_file.c) \
		$(call PSF_LIBS,opt)
	$(CC) $(OPT) -o $@ $^

$(BUILD)/san/psftool: $(call objs,san,cli/psftool.c cli/cli_file.c) \
		$(call PSF_LIBS,san)
	$(CC) $(SAN) -o $@ $^

# psctl: the administrator's tool (cli/psctl*.c), with libedit for the shell
# json-c for `import` of JSON, and json-c with libcurl for the etcd pool.
PSCTL_SRC  := $(wildcard cli/psctl*.c) cli/cli_file.c
EDIT_CFLAGS := $(shell pkg-config --cflags libedit json-c libcurl 2>/dev/null)
EDIT_LIBS   := $(shell pkg-config --libs libedit json-c libcurl 2>/dev/null || echo -ledit -ljson-c -lcurl)
# psctl links libedit and json-c (and what they need) statically: each
# shared library costs every run its loading and relocation, and a `psctl
# vm set` is mostly start-up (docs/performance.md).  Nor does it link
# libblkid, libfdisk or libusb (and libuuid, libudev behind them):
# pstate/ps_dl.c opens each when partitions or USB discovery first need
# it, and libcurl (~15 ms with what it pulls in) cli/psctl_curl.c opens
# when the etcd pool first needs it.
PSCTL_LIBS := -Wl,-Bstatic -ledit -ltinfo -lbsd -lmd -ljson-c -Wl,-Bdynamic \
	-lpthread
$(BUILD)/opt/cli/psctl%.o $(BUILD)/san/cli/psctl%.o: PSTATE_CFLAGS += $(EDIT_CFLAGS)

$(BUILD)/opt/psctl: $(call objs,opt,$(PSCTL_SRC)) $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSCTL_LIBS)

# The sanitised psctl links libblkid, libfdisk and libusb as before (the
# loader's dlopen then finds them loaded): LeakSanitizer's exit check
# crashes ("Tracer caught signal 11") once libfdisk was dlopen'd.  Which
# libraries a run loads is tested on the optimised psctl (PSCTL_OPT).
$(BUILD)/san/psctl: $(call objs,san,$(PSCTL_SRC)) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS) $(filter-out -lcurl,$(EDIT_LIBS))
MODULE_E2E_DEPS += $(BUILD)/opt/psctl
MODULE_E2E_ENV  += PSCTL_OPT=$(BUILD)/opt/psctl

# The completion unit test (tests/unit/test_complete.c) links psctl's own
# objects; psctl.c's main is renamed so that the test's is the program's.
PSCTL_NOMAIN = $(BUILD)/san/tests/unit/psctl_nomain.o \
	$(call objs,san,$(filter-out cli/psctl.c,$(PSCTL_SRC)))
$(BUILD)/san/tests/unit/psctl_nomain.o: $(BUILD)/san/cli/psctl.o
	@mkdir -p $(dir $@)
	objcopy --redefine-sym main=psctl_unused_main $< $@
$(BUILD)/san/tests/unit/test_complete: $(BUILD)/san/tests/unit/test_complete.o \
		$(PSCTL_NOMAIN) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(CMOCKA_LIBS) $(PSTATE_SYSLIBS) $(EDIT_LIBS)
$(BUILD)/san/tests/unit/test_complete.o: PSTATE_CFLAGS += -Icli
# The console clients' reconnect schedule (tests/unit/test_console_retry.c):
# psctl_console.h's.
$(BUILD)/san/tests/unit/test_console_retry.o: PSTATE_CFLAGS += -Icli
# The pool records' etcd keys (tests/unit/test_pool_ids.c) link their file.
$(BUILD)/san/tests/unit/test_pool_ids.o: PSTATE_CFLAGS += -Icli
$(BUILD)/san/tests/unit/test_pool_ids: $(BUILD)/san/cli/psctl_pool_ids.o
$(BUILD)/san/tests/unit/test_pool_ids: CMOCKA_LIBS += $(call ALL_LIBS,san)
# The list index's rows (tests/unit/test_pool_index.c) link their file.
$(BUILD)/san/tests/unit/test_pool_index.o: PSTATE_CFLAGS += -Icli $(EDIT_CFLAGS)
$(BUILD)/san/tests/unit/test_pool_index: $(BUILD)/san/cli/psctl_pool_index_rows.o
$(BUILD)/san/tests/unit/test_pool_index: CMOCKA_LIBS += $(call ALL_LIBS,san)
# The etcd client's unit test (tests/unit/test_pool_etcd.c) and fuzz
# target link its code from cli/ with json-c (and libcurl for pe_open).
POOL_ETCD := cli/psctl_pool_etcd.c cli/psctl_pool_etcd_io.c
$(BUILD)/san/tests/unit/test_pool_etcd.o: PSTATE_CFLAGS += -Icli $(EDIT_CFLAGS)
$(BUILD)/san/tests/unit/test_pool_etcd: $(patsubst %.c,$(BUILD)/san/%.o,$(POOL_ETCD))
$(BUILD)/san/tests/unit/test_pool_etcd: CMOCKA_LIBS += $(EDIT_LIBS)
$(BUILD)/fuzz/fuzz_pool_etcd: FUZZ_EXTRA := -Icli $(EDIT_CFLAGS) cli/psctl_pool_etcd.c $(EDIT_LIBS)
$(BUILD)/fuzz/fuzz_pool_etcd: cli/psctl_pool_etcd.c cli/psctl_pool_etcd.h

# The profile pool at scale on a real three-node etcd cluster
# (bench/bench_pool.c, docs/performance.md "Profile pool"): psctl's etcd
# client and key layout; POOL_BENCH_ARGS = PROFILES SERVERS FAILOVERS.
BENCH_POOL := $(BUILD)/opt/bench/bench_pool
POOL_BENCH_ARGS ?= 100000 16000 1000
$(BENCH_POOL): bench/bench_pool.c $(patsubst %.c,$(BUILD)/opt/%.o,$(POOL_ETCD)) \
		$(BUILD)/opt/libpsf.a $(FORMAT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) -Icli $(EDIT_CFLAGS) $(OPT) -o $@ $< \
		$(patsubst %.c,$(BUILD)/opt/%.o,$(POOL_ETCD)) $(BUILD)/opt/libpsf.a \
		$(EDIT_LIBS)
# tests/e2e/test_pool_scale.sh seeds a large pool with it (--seed).
MODULE_E2E_DEPS += $(BENCH_POOL)
MODULE_E2E_ENV  += BENCH_POOL=$(BENCH_POOL)
.PHONY: bench-pool
bench-pool: $(BENCH_POOL) $(BUILD)/opt/psctl
	@echo "==== bench pool: $(POOL_BENCH_ARGS) (profiles servers failovers) on a three-node etcd cluster"
	@d=$$(mktemp -d) && url=$$(tests/e2e/etcd_cluster.sh start $$d/etcd) && \
		PSTATE_POOL_TIMEOUT_MS=120000 $(BENCH_POOL) $$url $(BUILD)/opt/psctl \
		$(POOL_BENCH_ARGS); rc=$$?; \
		tests/e2e/etcd_cluster.sh stop $$d/etcd; rm -rf $$d; exit $$rc
MODULE_BENCH += bench-pool
# psctl's own failovers alone (docs/performance.md "Failover from 8
# processes"): PROFILES and SERVERS seeded, then FAILOVERS psctl profile
# failover from 8 processes and up to 50 from 1.
POOL_FO_ARGS ?= 1000 16000 200
.PHONY: bench-pool-failover
bench-pool-failover: $(BENCH_POOL) $(BUILD)/opt/psctl
	@set -- $(POOL_FO_ARGS); echo "==== bench pool failover: $$1 profiles, $$2 servers, $$3 failovers"; \
	d=$$(mktemp -d) && url=$$(tests/e2e/etcd_cluster.sh start $$d/etcd) && \
		PSTATE_POOL_TIMEOUT_MS=120000 $(BENCH_POOL) --seed $$url $$1 $$2 0 && \
		PSTATE_POOL_TIMEOUT_MS=120000 $(BENCH_POOL) --failover $$url \
		$(BUILD)/opt/psctl $$3; rc=$$?; \
		tests/e2e/etcd_cluster.sh stop $$d/etcd; rm -rf $$d; exit $$rc
