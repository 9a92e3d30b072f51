# bmc-shim/console/console.mk - pscon, the console service (the BMC's
# virtual serial concentrator, docs/console.md), its test driver and
# tests.  Included by the top-level Makefile.

CON_LIB_SRC := bmc-shim/console/con_proto.c bmc-shim/console/con_core.c
# The web page (con_web*.c): libwebsockets, json-c, libxcrypt, a thread.
CON_WEB_SRC := bmc-shim/console/con_web.c bmc-shim/console/con_web_api.c \
               bmc-shim/console/con_web_auth.c \
               bmc-shim/console/con_web_msg.c bmc-shim/console/con_wq.c
CON_SRC     := $(CON_LIB_SRC) bmc-shim/console/con_port.c \
               bmc-shim/console/con_client.c bmc-shim/console/con_keep.c \
               bmc-shim/console/con_hold.c bmc-shim/console/con_notify.c \
               bmc-shim/console/con_migrate.c bmc-shim/console/con_store.c \
               bmc-shim/console/pscon.c \
               $(CON_WEB_SRC)
CON_WEB_CFLAGS := $(shell pkg-config --cflags libwebsockets json-c 2>/dev/null)
CON_WEB_LIBS   := $(shell pkg-config --libs libwebsockets json-c 2>/dev/null || \
                    echo -lwebsockets -ljson-c) -lcrypt -lpthread
# Where the page's files are served from unless --web-root says.
PSCON_WEB_DIR  := $(PREFIX)/share/pscon/web
CON_HDRS    := $(wildcard bmc-shim/console/*.h)
CON_UNIT    := $(patsubst tests/unit/%.c,$(BUILD)/san/tests/unit/%,\
                 $(wildcard tests/unit/test_console*.c))

$(BUILD)/opt/bmc-shim/console/%.o $(BUILD)/san/bmc-shim/console/%.o: INC += -Ibmc-shim/console
$(BUILD)/opt/bmc-shim/console/%.o $(BUILD)/san/bmc-shim/console/%.o: PSTATE_CFLAGS += \
	$(CON_WEB_CFLAGS) -DPSCON_WEB_ROOT='"$(PSCON_WEB_DIR)"'
$(patsubst %.c,$(BUILD)/san/%.o,$(wildcard tests/unit/test_console*.c)): INC += -Ibmc-shim/console
$(BUILD)/opt/cli/psctl_console.o $(BUILD)/san/cli/psctl_console.o \
$(BUILD)/opt/cli/psctl_console_exec.o $(BUILD)/san/cli/psctl_console_exec.o \
$(BUILD)/opt/cli/psctl_console_tty.o $(BUILD)/san/cli/psctl_console_tty.o \
$(BUILD)/opt/cli/psctl_console_ports.o $(BUILD)/san/cli/psctl_console_ports.o: INC += -Ibmc-shim/console
PSCTL_CON_WEB := $(wildcard cli/psctl_console_web*.c)
$(call objs,opt,$(PSCTL_CON_WEB)) $(call objs,san,$(PSCTL_CON_WEB)): INC += -Ibmc-shim/console

$(BUILD)/opt/pscon: $(call objs,opt,$(CON_SRC)) $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS) $(CON_WEB_LIBS)
$(BUILD)/san/pscon: $(call objs,san,$(CON_SRC)) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS) $(CON_WEB_LIBS)

# The page's npm packages (package-lock.json) and its served files,
# gathered in build/web/root (bmc-shim/console/web/npm-install.sh).
CON_WEB_FILES := $(addprefix bmc-shim/console/web/,index.html app.js style.css)
$(BUILD)/web/root/index.html: bmc-shim/console/web/package-lock.json \
		bmc-shim/console/web/npm-install.sh $(CON_WEB_FILES)
	bmc-shim/console/web/npm-install.sh $(BUILD)/web

# The e2e driver: a fake guest on a port, a flood, a stuck viewer, raw
# frames (bmc-shim/console/pscon_test.c).
$(BUILD)/san/pscon-test: $(call objs,san,bmc-shim/console/pscon_test.c bmc-shim/console/pscon_mig.c $(CON_LIB_SRC)) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS)

$(CON_UNIT): $(call objs,san,$(CON_LIB_SRC))
$(BUILD)/san/tests/unit/test_console_web: $(call objs,san,bmc-shim/console/con_web_msg.c)
$(BUILD)/san/tests/unit/test_console_web: PSTATE_SYSLIBS += $(CON_WEB_LIBS)
# (the libraries again after the objects, which come last in $^)
$(CON_UNIT): CMOCKA_LIBS := $(call ALL_LIBS,san) $(CMOCKA_LIBS)

$(BUILD)/fuzz/fuzz_console: FUZZ_EXTRA := $(CON_LIB_SRC) $(PSTATE_CORE) -Ibmc-shim/console
$(BUILD)/fuzz/fuzz_console: $(CON_LIB_SRC) $(CON_HDRS) $(PSTATE_CORE) $(PSTATE_HDRS)
# What the web page parses itself (con_web_msg.c): form, users, messages.
$(BUILD)/fuzz/fuzz_console_http: FUZZ_EXTRA := bmc-shim/console/con_web_msg.c \
	$(CON_LIB_SRC) $(PSTATE_CORE) -Ibmc-shim/console $(CON_WEB_CFLAGS) -ljson-c
$(BUILD)/fuzz/fuzz_console_http: bmc-shim/console/con_web_msg.c $(CON_LIB_SRC) \
	$(CON_HDRS) $(PSTATE_CORE) $(PSTATE_HDRS)

MODULE_ALL       += $(BUILD)/opt/pscon $(BUILD)/web/root/index.html
MODULE_TEST_BINS += $(BUILD)/san/pscon $(BUILD)/san/pscon-test
MODULE_E2E_DEPS  += $(BUILD)/san/pscon $(BUILD)/san/pscon-test \
                    $(BUILD)/web/root/index.html
MODULE_E2E_ENV   += PSCON=$(abspath $(BUILD)/san/pscon) \
                    PSCON_TEST=$(abspath $(BUILD)/san/pscon-test) \
                    PSCON_WEB=$(abspath $(BUILD)/web)
# make install (dist/dist.mk): the service, its man page and unit, and
# the page's files (xterm.js from npm's package).
INSTALL_LIST += 755|$(BUILD)/opt/pscon|$(SBINDIR)/pscon \
	644|docs/pscon.8|$(MANDIR)/man8/pscon.8 \
	644|bmc-shim/console/pscon.service|$(UNITDIR)/pscon.service \
	$(foreach f,index.html app.js style.css,644|$(BUILD)/web/root/$(f)|$(PSCON_WEB_DIR)/$(f)) \
	$(foreach f,xterm.js xterm.css,644|$(BUILD)/web/root/xterm/$(f)|$(PSCON_WEB_DIR)/xterm/$(f))
# psctl console speaks the protocol through con_proto.c, and its --bmc
# bridge queues for the WebSocket with the service's queue (con_wq.c).
PSCTL_CON_SRC := bmc-shim/console/con_proto.c bmc-shim/console/con_wq.c
$(BUILD)/opt/psctl: $(call objs,opt,$(PSCTL_CON_SRC))
$(BUILD)/san/psctl: $(call objs,san,$(PSCTL_CON_SRC))
# The completion test links psctl's objects (cli/cli.mk).
$(BUILD)/san/tests/unit/test_complete: $(call objs,san,$(PSCTL_CON_SRC))
# The send queue's own test.
$(BUILD)/san/tests/unit/test_console_wq: $(call objs,san,bmc-shim/console/con_wq.c)

# The restart benchmark (bench/bench_pscon_restart.sh, docs/performance.md
# "Console restarts"): optimised service, client and driver.
$(BUILD)/opt/pscon-test: $(call objs,opt,bmc-shim/console/pscon_test.c bmc-shim/console/pscon_mig.c $(CON_LIB_SRC)) $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS)
.PHONY: bench-pscon-restart
bench-pscon-restart: $(BUILD)/opt/pscon $(BUILD)/opt/psctl $(BUILD)/opt/pscon-test \
		$(BUILD)/web/root/index.html
	@echo "==== bench: pscon restarts (viewer downtime, time to resume, exactness)"
	@PSCON=$(abspath $(BUILD)/opt/pscon) PSCTL=$(abspath $(BUILD)/opt/psctl) \
		PSCON_TEST=$(abspath $(BUILD)/opt/pscon-test) bench/bench_pscon_restart.sh
	@echo "==== bench: the same, the viewer on the web endpoint (psctl --bmc console)"
	@PSCON=$(abspath $(BUILD)/opt/pscon) PSCTL=$(abspath $(BUILD)/opt/psctl) \
		PSCON_TEST=$(abspath $(BUILD)/opt/pscon-test) VIA=bmc \
		PSCON_WEB=$(abspath $(BUILD)/web) bench/bench_pscon_restart.sh
MODULE_BENCH += bench-pscon-restart

# A VM's console across live migrations between two libvirt hosts on this
# machine (viewer downtime, input queued, time to resume, exactness).
.PHONY: bench-pscon-migrate
bench-pscon-migrate: $(BUILD)/opt/pscon $(BUILD)/opt/psctl $(BUILD)/opt/pscon-test \
		$(BUILD)/opt/hvagent
	@echo "==== bench: a console across live migrations (3 round trips, 3 aborts, 3 hvagent kills)"
	@PSCON=$(abspath $(BUILD)/opt/pscon) PSCTL=$(abspath $(BUILD)/opt/psctl) \
		PSCON_TEST=$(abspath $(BUILD)/opt/pscon-test) \
		HVAGENT=$(abspath $(BUILD)/opt/hvagent) bench/bench_pscon_migrate.sh
MODULE_BENCH += bench-pscon-migrate

# The benchmark against conserver (make bench): the real clients on both
# sides, guests played by the benchmark (bench/bench_console.c).
BENCH_CONSOLE := $(BUILD)/opt/bench/bench_console
$(BENCH_CONSOLE): bench/console_procs.h
.PHONY: bench-console
bench-console: $(BENCH_CONSOLE) $(BUILD)/opt/pscon $(BUILD)/opt/psctl
	@echo "==== bench console: pscon vs conserver: throughput to 1/10/100 viewers, keystroke round trip, memory of 1000 ports"
	$(BENCH_CONSOLE) $(BUILD)/opt/pscon $(BUILD)/opt/psctl
MODULE_BENCH     += bench-console
# Its short run in the suite: 1000 ports under 100 MB (test_console_bench.sh).
MODULE_E2E_DEPS  += $(BENCH_CONSOLE)
MODULE_E2E_ENV   += BENCH_CONSOLE=$(abspath $(BENCH_CONSOLE))
