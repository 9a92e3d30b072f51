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
$(BUILD)/opt/cli/psctl%.o $(BUILD)/san/cli/psctl%.o: PSTATE_CFLAGS += $(EDIT_CFLAGS)

$(BUILD)/opt/psctl: $(call objs,opt,$(PSCTL_SRC)) $(call ALL_LIBS,opt)
	$(CC) $(OPT) -o $@ $^ $(PSTATE_SYSLIBS) $(EDIT_LIBS)

$(BUILD)/san/psctl: $(call objs,san,$(PSCTL_SRC)) $(call ALL_LIBS,san)
	$(CC) $(SAN) -o $@ $^ $(PSTATE_SYSLIBS) $(EDIT_LIBS)

# The etcd client's unit test (tests/unit/test_pool_etcd.c) and fuzz
# target link its code from cli/ with json-c (and libcurl for pe_open).
POOL_ETCD := cli/psctl_pool_etcd.c cli/psctl_pool_etcd_io.c
$(BUILD)/san/tests/unit/test_pool_etcd.o: PSTATE_CFLAGS += -Icli $(EDIT_CFLAGS)
$(BUILD)/san/tests/unit/test_pool_etcd: $(patsubst %.c,$(BUILD)/san/%.o,$(POOL_ETCD))
$(BUILD)/san/tests/unit/test_pool_etcd: CMOCKA_LIBS += $(EDIT_LIBS)
$(BUILD)/fuzz/fuzz_pool_etcd: FUZZ_EXTRA := -Icli $(EDIT_CFLAGS) cli/psctl_pool_etcd.c $(EDIT_LIBS)
$(BUILD)/fuzz/fuzz_pool_etcd: cli/psctl_pool_etcd.c cli/psctl_pool_etcd.h
