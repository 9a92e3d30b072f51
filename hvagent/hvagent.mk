# hvagent/: the hypervisor agent (libvirt + libxml2).  Included by the
# top-level Makefile; adds to its MODULE_* lists.

HV_PKGS    := libvirt libxml-2.0
HV_CFLAGS  := $(shell pkg-config --cflags $(HV_PKGS) 2>/dev/null || echo -I/usr/include/libxml2)
HV_LIBS    := $(shell pkg-config --libs $(HV_PKGS) 2>/dev/null || echo -lvirt -lxml2)
HV_LIB_SRC := hvagent/hv_kv.c hvagent/hv_log.c hvagent/hv_conf.c \
              hvagent/hv_map_store.c hvagent/hv_map_dom.c \
              hvagent/hv_dom_xml.c hvagent/hv_dom_apply.c \
              hvagent/hv_state.c hvagent/hv_sync.c hvagent/hv_plan.c \
              hvagent/hv_apply.c hvagent/hv_writeback.c hvagent/hv_restart.c \
              hvagent/hv_host.c hvagent/hv_stats.c hvagent/hv_console.c hvagent/hv_migrate.c \
              hvagent/hv_auth.c hvagent/hv_index.c hvagent/hv_vmmove.c
HV_HDRS    := hvagent/hv.h hvagent/hv_sync.h hvagent/hv_dom.h \
              hvagent/hv_console.h hvagent/hv_vmmove.h
# Consoles: the BMC's OEM serial commands through psctl's OEM client, and
# the concentrator's frames (one implementation of each protocol).
HV_SHARED  := cli/psctl_bmc.c cli/psctl_bmc_run.c cli/psctl_bmc_serial.c \
              cli/psctl_util.c bmc-shim/console/con_proto.c
# Objects go to build/FLAVOUR/hvagent-obj/: build/FLAVOUR/hvagent is the
# binary.
hv_objs = $(patsubst hvagent/%.c,$(BUILD)/$(1)/hvagent-obj/%.o,$(2))
HV_OPT_OBJS := $(call hv_objs,opt,$(HV_LIB_SRC)) $(call objs,opt,$(HV_SHARED))
HV_SAN_OBJS := $(call hv_objs,san,$(HV_LIB_SRC)) $(call objs,san,$(HV_SHARED))
HV_UNIT_SRC := $(wildcard tests/unit/test_hv*.c)
HV_UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,$(HV_UNIT_SRC))

$(BUILD)/opt/hvagent-obj/%.o: hvagent/%.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(PSTATE_CFLAGS) $(HV_CFLAGS) $(OPT) $(DEPFLAGS) -c $< -o $@

$(BUILD)/san/hvagent-obj/%.o: hvagent/%.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(PSTATE_CFLAGS) $(HV_CFLAGS) $(SAN) $(DEPFLAGS) -c $< -o $@

# The unit tests see libvirt's and libxml2's headers and ours.
$(patsubst %.c,$(BUILD)/san/%.o,$(HV_UNIT_SRC)): PSTATE_CFLAGS += $(HV_CFLAGS) -Ihvagent

$(BUILD)/opt/hvagent: $(HV_OPT_OBJS) $(BUILD)/opt/hvagent-obj/hvagent.o $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS) $(HV_LIBS)

$(BUILD)/san/hvagent: $(HV_SAN_OBJS) $(BUILD)/san/hvagent-obj/hvagent.o $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS) $(HV_LIBS)

# Unit tests link the agent's objects and libvirt.
$(HV_UNIT_BINS): $(HV_SAN_OBJS)
# (the libraries again after our objects, which come last in $^)
$(HV_UNIT_BINS): CMOCKA_LIBS += $(call ALL_LIBS,san) $(PSTATE_SYSLIBS) $(HV_LIBS)

# Benchmark: N VMs reconciled against N bare defines, N = 1,000 and 5,000
# (the per-VM times must not grow with N: docs/performance.md).
BENCH_HVAGENT := $(BUILD)/opt/bench/bench_hvagent
$(BUILD)/opt/bench/bench_hvagent.o: PSTATE_CFLAGS += $(HV_CFLAGS) -Ihvagent
$(BENCH_HVAGENT): $(BUILD)/opt/bench/bench_hvagent.o $(HV_OPT_OBJS) $(call ALL_LIBS,opt)
	@mkdir -p $(dir $@)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS) $(HV_LIBS)

# The agent's parsers (synced-record text, domain XML, agent state) under
# the fuzzer: its mapping sources and the edit layer they call, compiled
# with the fuzz target (so no .d files: the headers are listed).
FUZZ_HV_SRC := hvagent/hv_kv.c hvagent/hv_log.c hvagent/hv_map_store.c hvagent/hv_index.c \
	hvagent/hv_map_dom.c hvagent/hv_dom_xml.c hvagent/hv_dom_apply.c \
	hvagent/hv_state.c $(PSTATE_CORE)
$(BUILD)/fuzz/fuzz_hvagent: FUZZ_EXTRA := $(FUZZ_HV_SRC) -Ihvagent $(HV_CFLAGS) $(HV_LIBS)
$(BUILD)/fuzz/fuzz_hvagent: $(FUZZ_HV_SRC) $(HV_HDRS) $(PSTATE_HDRS)

.PHONY: bench-hvagent
bench-hvagent: $(BENCH_HVAGENT)
	@echo "==== bench hvagent: reconcile N VMs vs N bare virDomainDefineXML (qemu:///embed), N = 1000, 5000"
	$(BENCH_HVAGENT) 1000
	$(BENCH_HVAGENT) 5000

MODULE_ALL       += $(BUILD)/opt/hvagent
MODULE_TEST_BINS += $(BUILD)/san/hvagent $(HV_UNIT_BINS)
MODULE_E2E_DEPS  += $(BUILD)/san/hvagent
MODULE_E2E_ENV   += HVAGENT=$(BUILD)/san/hvagent
MODULE_BENCH     += bench-hvagent
# What `make install` puts (dist/dist.mk makes the unit from its template).
INSTALL_LIST += 755|$(BUILD)/opt/hvagent|$(SBINDIR)/hvagent \
	644|docs/hvagent.8|$(MANDIR)/man8/hvagent.8 \
	644|hvagent/hvagent.conf|$(SYSCONFDIR)/pstate/hvagent.conf.example \
	644|$(BUILD)/dist/hvagent.service|$(UNITDIR)/hvagent.service
