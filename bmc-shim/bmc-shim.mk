# bmc-shim/bmc-shim.mk - the BMC shim: a freestanding library (libbmcshim),
# the OpenIPMI ipmi_sim module that serves it to real IPMI clients, and the
# firmware-fit check.  Included by the top-level Makefile.

BMC_SRC  := bmc-shim/bmc_shim.c bmc-shim/bmc_ops.c bmc-shim/bmc_auth.c
BMC_HDRS := $(wildcard bmc-shim/*.h)

# Objects of either flavour see the shim's headers.
$(BUILD)/opt/bmc-shim/%.o $(BUILD)/san/bmc-shim/%.o: INC += -Ibmc-shim
$(BUILD)/opt/bmc-shim/%.o $(BUILD)/san/bmc-shim/%.o: $(BMC_HDRS)
$(BUILD)/san/tests/unit/test_bmc%.o: INC += -Ibmc-shim
$(BUILD)/san/tests/unit/test_bmc%.o: $(BMC_HDRS)

$(BUILD)/opt/libbmcshim.a: $(call objs,opt,$(BMC_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/san/libbmcshim.a: $(call objs,san,$(BMC_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# Unit tests link the shim before the store and format libraries.
BMC_UNIT := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,\
              $(wildcard tests/unit/test_bmc*.c))
$(BMC_UNIT): $(BUILD)/san/libbmcshim.a
$(BMC_UNIT): CMOCKA_LIBS := $(BUILD)/san/libbmcshim.a \
	$(BUILD)/san/libpstate.a $(BUILD)/san/libpsf.a $(CMOCKA_LIBS)

# The ipmi_sim module: a shared object loaded into OpenIPMI's simulator
# (never sanitised: ipmi_sim itself is not).  It compiles the shim, the
# format core and the store parts it uses with -fPIC.
BMC_SIM_SO  := $(BUILD)/opt/bmc-shim/bmc_sim.so
BMC_SIM_SRC := bmc-shim/sim/bmc_sim.c $(BMC_SRC) $(FORMAT_CORE) \
	$(PSTATE_CORE) pstate/ps_sem_linux.c pstate/ps_lockfile.c \
	pstate/ps_part.c pstate/ps_auth_host.c pstate/ps_auth_tpm.c \
	pstate/ps_dl.c pstate/ps_dl_libs.c pstate/ps_media_linux.c
$(BMC_SIM_SO): $(BMC_SIM_SRC) $(BMC_HDRS) $(FORMAT_HDRS) $(PSTATE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -D_DEFAULT_SOURCE $(INC) -Ibmc-shim \
		$(PSTATE_CFLAGS) $(OPT) -fPIC -shared -fvisibility=hidden \
		-o $@ $(BMC_SIM_SRC) \
		$(shell pkg-config --libs blkid fdisk 2>/dev/null) -lc

# A host writer holding the simulated semaphore, for the e2e tests.
SEM_HOLD := $(BUILD)/opt/bmc-shim/sem-hold
# It links the libraries as built, so no source list is typed twice.
$(SEM_HOLD): bmc-shim/sim/sem_hold.c $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(FORMAT_HDRS) $(PSTATE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) -D_DEFAULT_SOURCE $(INC) $(PSTATE_CFLAGS) $(OPT) \
		-o $@ $< $(BUILD)/opt/libpstate.a $(BUILD)/opt/libpsf.a \
		$(PSTATE_SYSLIBS)

# The churn benchmark: psctl's edit layer and the shim's element writes
# under 10,000 random edits (docs/performance.md, docs/store.md 7).
BENCH_CHURN := $(BUILD)/opt/bench/bench_churn
$(BENCH_CHURN): bench/bench_churn.c bench/churn_ops.h bench/bmc_inproc.h \
		$(BUILD)/opt/libbmcshim.a $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(FORMAT_HDRS) $(PSTATE_HDRS) $(BMC_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) -Ibmc-shim $(OPT) -o $@ $< \
		$(BUILD)/opt/libbmcshim.a $(BUILD)/opt/libpstate.a \
		$(BUILD)/opt/libpsf.a $(PSTATE_SYSLIBS)
bench-churn: $(BENCH_CHURN)
	@echo "==== bench churn: 10,000 random edits through psctl and the BMC shim, used bytes and sectors per edit"
	$(BENCH_CHURN)

MODULE_ALL       += $(BUILD)/opt/libbmcshim.a $(BMC_SIM_SO)
MODULE_TEST_BINS += $(BMC_SIM_SO) $(BUILD)/opt/psctl
MODULE_E2E_DEPS  += $(BMC_SIM_SO) $(SEM_HOLD)
MODULE_E2E_ENV   += BMC_SIM_MODULE=$(abspath $(BMC_SIM_SO)) \
                    SEM_HOLD=$(abspath $(SEM_HOLD)) \
                    BMC_SIM=$(abspath scripts/bmc-sim)
MODULE_FIRMWARE  += firmware-bmc-shim
# What `make install` puts besides the library (dist/dist.mk): the
# simulator module, and the simulator script set to find it there.
INSTALL_LIST += 755|$(BMC_SIM_SO)|$(PKGLIBDIR)/bmc_sim.so \
	755|$(BUILD)/dist/pstate-bmc-sim|$(BINDIR)/pstate-bmc-sim
MODULE_BENCH     += bench-churn

$(BUILD)/fuzz/fuzz_oem: FUZZ_EXTRA := $(BMC_SRC) $(PSTATE_CORE) -Ibmc-shim
# Compiled with the fuzz target (no .d files): rebuilt when these change.
$(BUILD)/fuzz/fuzz_oem: $(BMC_SRC) $(BMC_HDRS) $(PSTATE_CORE) $(PSTATE_HDRS)

.PHONY: firmware-bmc-shim bench-churn
firmware-bmc-shim:
	@BMC_SRC="$(BMC_SRC)" FORMAT_CORE="$(FORMAT_CORE)" \
		PSTATE_CORE="$(PSTATE_CORE)" \
		bmc-shim/firmware-fit.sh

