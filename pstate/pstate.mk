# pstate/pstate.mk - libpstate: the store on media and the configuration
# edit layer.  Included by the top-level Makefile (after BUILD is set).
#
# PSTATE_CORE is freestanding (the format core and psf_env.h only: no
# libc, no malloc, no recursion): BMC firmware, the BMC simulator and the
# fuzzers compile exactly this list.  PSTATE_HOST is the Linux side
# (image/block-device backends, partitions, discovery, semaphore mapping,
# lock files).  pstate/pstate.h lists both; scripts/check-headers.sh
# (make firmware) checks that the two agree.
PSTATE_CORE := pstate/ps_commit.c pstate/ps_format.c pstate/ps_media.c \
	pstate/ps_media_fault.c pstate/ps_strerror.c pstate/ps_sem.c \
	pstate/ps_serial.c pstate/ps_restart.c pstate/ps_profile.c \
	pstate/ps_util.c pstate/ps_value.c pstate/ps_fields.c \
	pstate/ps_field_text.c pstate/ps_room.c pstate/ps_obj.c \
	pstate/ps_obj_set.c pstate/ps_ident.c pstate/ps_target.c \
	pstate/ps_assign.c pstate/ps_check.c \
	pstate/ps_check_ws.c pstate/ps_check_rules.c pstate/ps_pool_rules.c \
	pstate/ps_check_pool.c \
	pstate/ps_compact.c \
	pstate/ps_sha256.c pstate/ps_auth.c pstate/ps_move.c
PSTATE_HOST := pstate/ps_media_linux.c pstate/ps_store.c pstate/ps_locate.c \
	pstate/ps_part.c pstate/ps_discover.c pstate/ps_sem_linux.c \
	pstate/ps_lockfile.c pstate/ps_open.c pstate/ps_check_host.c \
	pstate/ps_auth_host.c pstate/ps_auth_tpm.c pstate/ps_auth_sess.c \
	pstate/ps_dl.c pstate/ps_dl_libs.c pstate/ps_move_host.c
PSTATE_SRC  := $(PSTATE_CORE) $(PSTATE_HOST)
PSTATE_HDRS := $(wildcard pstate/*.h)
# What `make install` installs: every header but the library's own.
PSTATE_PUBLIC_HDRS := $(filter-out %_internal.h,$(PSTATE_HDRS))
PSTATE_PKGS := blkid fdisk libusb-1.0
PSTATE_SYSLIBS := $(shell pkg-config --libs $(PSTATE_PKGS) 2>/dev/null)
PSTATE_CFLAGS  := $(shell pkg-config --cflags $(PSTATE_PKGS) 2>/dev/null)

# libpstate.a: everything; libpstate-core.a: the freestanding part alone.
# Archives are made anew: `ar r` would keep the members of files since
# removed or renamed.
$(BUILD)/opt/libpstate.a: $(patsubst %.c,$(BUILD)/opt/%.o,$(PSTATE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/san/libpstate.a: $(patsubst %.c,$(BUILD)/san/%.o,$(PSTATE_SRC))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/opt/libpstate-core.a: $(patsubst %.c,$(BUILD)/opt/%.o,$(PSTATE_CORE))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^
$(BUILD)/san/libpstate-core.a: $(patsubst %.c,$(BUILD)/san/%.o,$(PSTATE_CORE))
	@mkdir -p $(dir $@)
	rm -f $@ && $(AR) rcs $@ $^

# fuzz_auth: the auth trailer and verdict on a RAM disk (the freestanding
# core only).
$(BUILD)/fuzz/fuzz_auth: FUZZ_EXTRA := $(PSTATE_CORE)
