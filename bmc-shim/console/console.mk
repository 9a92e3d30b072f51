# bmc-shim/console/console.mk - pscon, the console service (the BMC's
# virtual serial concentrator, docs/console.md), its test driver and
# tests.  Included by the top-level Makefile.

CON_LIB_SRC := bmc-shim/console/con_proto.c bmc-shim/console/con_core.c
CON_SRC     := $(CON_LIB_SRC) bmc-shim/console/con_port.c \
               bmc-shim/console/con_client.c bmc-shim/console/con_keep.c \
               bmc-shim/console/con_hold.c bmc-shim/console/pscon.c
CON_HDRS    := $(wildcard bmc-shim/console/*.h)
CON_UNIT    := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,\
                 $(wildcard tests/unit/test_console*.c))

$(BUILD)/opt/bmc-shim/console/%.o $(BUILD)/san/bmc-shim/console/%.o: INC += -Ibmc-shim/console
$(patsubst %.c,$(BUILD)/san/%.o,$(wildcard tests/unit/test_console*.c)): INC += -Ibmc-shim/console
$(BUILD)/opt/cli/psctl_console.o $(BUILD)/san/cli/psctl_console.o \
$(BUILD)/opt/cli/psctl_console_exec.o $(BUILD)/san/cli/psctl_console_exec.o: INC += -Ibmc-shim/console

$(BUILD)/opt/pscon: $(call objs,opt,$(CON_SRC)) $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS)
$(BUILD)/san/pscon: $(call objs,san,$(CON_SRC)) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS)

# The e2e driver: a fake guest on a port, a flood, a stuck viewer, raw
# frames (bmc-shim/console/pscon_test.c).
$(BUILD)/san/pscon-test: $(call objs,san,bmc-shim/console/pscon_test.c $(CON_LIB_SRC)) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS)

$(CON_UNIT): $(call objs,san,$(CON_LIB_SRC))
# (the libraries again after the objects, which come last in $^)
$(CON_UNIT): CMOCKA_LIBS := $(call ALL_LIBS,san) $(CMOCKA_LIBS)

$(BUILD)/fuzz/fuzz_console: FUZZ_EXTRA := $(CON_LIB_SRC) $(PSTATE_CORE) -Ibmc-shim/console
$(BUILD)/fuzz/fuzz_console: $(CON_LIB_SRC) $(CON_HDRS) $(PSTATE_CORE) $(PSTATE_HDRS)

MODULE_ALL       += $(BUILD)/opt/pscon
MODULE_TEST_BINS += $(BUILD)/san/pscon $(BUILD)/san/pscon-test
MODULE_E2E_DEPS  += $(BUILD)/san/pscon $(BUILD)/san/pscon-test
MODULE_E2E_ENV   += PSCON=$(abspath $(BUILD)/san/pscon) \
                    PSCON_TEST=$(abspath $(BUILD)/san/pscon-test)
MODULE_INSTALL   += install-pscon

.PHONY: install-pscon
install-pscon: $(BUILD)/opt/pscon
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 755 $(BUILD)/opt/pscon $(DESTDIR)$(PREFIX)/sbin/pscon
	install -m 644 docs/pscon.8 $(DESTDIR)$(PREFIX)/share/man/man8/pscon.8
	install -m 644 bmc-shim/console/pscon.service \
		$(DESTDIR)$(PREFIX)/lib/systemd/system/pscon.service

# psctl console speaks the protocol through con_proto.c.
$(BUILD)/opt/psctl: $(call objs,opt,bmc-shim/console/con_proto.c)
$(BUILD)/san/psctl: $(call objs,san,bmc-shim/console/con_proto.c)
# The completion test links psctl's objects (cli/cli.mk).
$(BUILD)/san/tests/unit/test_complete: $(call objs,san,bmc-shim/console/con_proto.c)

# The restart benchmark (bench/bench_pscon_restart.sh, docs/performance.md
# "Console restarts"): optimised service, client and driver.
$(BUILD)/opt/pscon-test: $(call objs,opt,bmc-shim/console/pscon_test.c $(CON_LIB_SRC)) $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS)
.PHONY: bench-pscon-restart
bench-pscon-restart: $(BUILD)/opt/pscon $(BUILD)/opt/psctl $(BUILD)/opt/pscon-test
	@echo "==== bench: pscon restarts (viewer downtime, time to resume, exactness)"
	@PSCON=$(abspath $(BUILD)/opt/pscon) PSCTL=$(abspath $(BUILD)/opt/psctl) \
		PSCON_TEST=$(abspath $(BUILD)/opt/pscon-test) bench/bench_pscon_restart.sh
MODULE_BENCH += bench-pscon-restart
