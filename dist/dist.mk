# dist/dist.mk - shared libraries, pkg-config files, `make install` and
# `make uninstall`, the Debian package.  Included by the top-level Makefile
# after every component's fragment (they add to INSTALL_LIST).
#
# Shared libraries are built beside the static ones from position-
# independent objects (build/pic/), each with a soname (lib*.so.0) and a
# version script (dist/lib*.map: public names only, one version node).
# The tools stay linked with the static libraries.

PSTATE_VERSION := $(shell sed -n 's/^\#define PSCTL_VERSION "\(.*\)"/\1/p' cli/psctl_main.h)
SOMAJOR := 0

BINDIR      ?= $(PREFIX)/bin
SBINDIR     ?= $(PREFIX)/sbin
LIBDIR      ?= $(PREFIX)/lib
PKGLIBDIR   ?= $(PREFIX)/lib/pstate
INCLUDEDIR  ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/pstate
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= /etc

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(DEFS) $(INC) $(PSTATE_CFLAGS) $(OPT) -fPIC $(DEPFLAGS) -c $< -o $@
$(BUILD)/pic/bmc-shim/%.o: INC += -Ibmc-shim

# $(call shlib,name,objects,libraries): build/opt/libNAME.so.VERSION with
# its soname and the two links, linked with -z defs so that a missing
# library shows here, not in a user's program.
define shlib
SHLIBS += $(BUILD)/opt/lib$(1).so.$(PSTATE_VERSION)
$(BUILD)/opt/lib$(1).so.$(PSTATE_VERSION): $(2) $(filter %.so.$(PSTATE_VERSION),$(3)) dist/lib$(1).map
	@mkdir -p $$(dir $$@)
	$$(CC) $$(OPT) -shared -Wl,-soname,lib$(1).so.$(SOMAJOR) \
		-Wl,--version-script=dist/lib$(1).map -Wl,-z,defs -o $$@ \
		$(2) $(3)
	ln -sfn lib$(1).so.$(PSTATE_VERSION) $(BUILD)/opt/lib$(1).so.$(SOMAJOR)
	ln -sfn lib$(1).so.$(SOMAJOR) $(BUILD)/opt/lib$(1).so
endef
SHLIBS :=
MODULE_ALL += shlibs
SO = $(BUILD)/opt/lib$(1).so.$(PSTATE_VERSION)
$(eval $(call shlib,psf,$(call objs,pic,$(FORMAT_CORE)),))
$(eval $(call shlib,psf-tree,$(call objs,pic,$(FORMAT_HOST)),$(call SO,psf)))
$(eval $(call shlib,pstate,$(call objs,pic,$(PSTATE_SRC)),$(call SO,psf) $(PSTATE_SYSLIBS)))
$(eval $(call shlib,bmcshim,$(call objs,pic,$(BMC_SRC)),$(call SO,pstate) $(call SO,psf)))

# Files that name installed paths are made from templates (@PREFIX@ ...):
# the stamp changes when a directory does, so they are made again.
DIST_GEN := $(BUILD)/dist
DIST_SUBST := sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(PSTATE_VERSION)|g' \
	-e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@PKGLIBDIR@|$(PKGLIBDIR)|g'
DIST_DIRS := $(PREFIX) $(LIBDIR) $(INCLUDEDIR) $(SBINDIR) $(PKGLIBDIR) $(PSTATE_VERSION)
$(DIST_GEN)/dirs.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(DIST_DIRS)' | cmp -s - $@ || echo '$(DIST_DIRS)' > $@
.PHONY: FORCE
FORCE:

PC_FILES := pstate-psf pstate-psf-tree pstate pstate-bmcshim
$(DIST_GEN)/%.pc: dist/%.pc.in $(DIST_GEN)/dirs.stamp
	$(DIST_SUBST) $< > $@
$(DIST_GEN)/hvagent.service: hvagent/hvagent.service $(DIST_GEN)/dirs.stamp
	$(DIST_SUBST) $< > $@
# The installed simulator finds its installed module (PKGLIBDIR) and the
# installed console service (SBINDIR).
$(DIST_GEN)/pstate-bmc-sim: scripts/bmc-sim $(DIST_GEN)/dirs.stamp
	sed -e 's|^PSTATE_PKGLIBDIR=$$|PSTATE_PKGLIBDIR=$(PKGLIBDIR)|' \
	    -e 's|^PSTATE_SBINDIR=$$|PSTATE_SBINDIR=$(SBINDIR)|' $< > $@
	grep -q '^PSTATE_PKGLIBDIR=$(PKGLIBDIR)$$' $@
	grep -q '^PSTATE_SBINDIR=$(SBINDIR)$$' $@
DIST_FILES := $(patsubst %,$(DIST_GEN)/%.pc,$(PC_FILES)) \
	$(DIST_GEN)/hvagent.service $(DIST_GEN)/pstate-bmc-sim

# ---------------------------------------------------------------- install
# MODE|SOURCE|TARGET, one word each (dist/install.sh): what install puts
# and uninstall removes.
PUBLIC_HDRS := format/psf.h format/psf_env.h format/psf_schema.h \
	format/psf_tree.h format/psf_text.h $(PSTATE_PUBLIC_HDRS) \
	bmc-shim/bmc_shim.h bmc-shim/bmc_proto.h
STATIC_LIBS := libpsf libpsf-tree libpstate libbmcshim
INSTALL_LIST += \
	$(foreach l,$(STATIC_LIBS),644|$(BUILD)/opt/$(l).a|$(LIBDIR)/$(l).a) \
	$(foreach l,psf psf-tree pstate bmcshim, \
	  755|$(call SO,$(l))|$(LIBDIR)/lib$(l).so.$(PSTATE_VERSION) \
	  l|lib$(l).so.$(PSTATE_VERSION)|$(LIBDIR)/lib$(l).so.$(SOMAJOR) \
	  l|lib$(l).so.$(SOMAJOR)|$(LIBDIR)/lib$(l).so) \
	$(foreach h,$(PUBLIC_HDRS),644|$(h)|$(INCLUDEDIR)/pstate/$(notdir $(h))) \
	$(foreach p,$(PC_FILES),644|$(DIST_GEN)/$(p).pc|$(PKGCONFIGDIR)/$(p).pc) \
	755|$(BUILD)/opt/psftool|$(BINDIR)/psftool \
	755|$(BUILD)/opt/psctl|$(BINDIR)/psctl \
	644|docs/psctl.1|$(MANDIR)/man1/psctl.1 \
	644|docs/psftool.1|$(MANDIR)/man1/psftool.1 \
	644|scripts/psctl-completion.bash|$(COMPLETIONDIR)/psctl \
	$(foreach d,$(wildcard docs/*.md),644|$(d)|$(DOCDIR)/$(notdir $(d)))

.PHONY: shlibs install uninstall install-list
shlibs: $(SHLIBS) $(DIST_FILES)

# One quoted word per entry: `|` is the shell's pipe.
INSTALL_WORDS = $(foreach e,$(INSTALL_LIST),'$(e)')
install-list:
	@printf '%s\n' $(INSTALL_WORDS)

install: all shlibs
	@printf '%s\n' $(INSTALL_WORDS) | dist/install.sh install '$(DESTDIR)'

uninstall:
	@printf '%s\n' $(INSTALL_WORDS) | dist/install.sh uninstall '$(DESTDIR)'

# make install / uninstall as a library user sees them: a program built
# with pkg-config against the staged files runs (tests/install/).
.PHONY: install-test
install-test: all shlibs
	@tests/install/test_install.sh

# ---------------------------------------------------------------- package
# The Debian packages (debian/), built on a copy of the tree.
.PHONY: package package-test
package:
	@dist/package.sh $(BUILD)/package

# The packages build, install and run (tests/install/test_package.sh).
package-test: all shlibs
	@tests/install/test_package.sh $(BUILD)/package
