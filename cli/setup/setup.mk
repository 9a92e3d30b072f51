# cli/setup/setup.mk - pstate-setup.efi, the BIOS setup application
# (docs/setup.md): a UEFI application built with gnu-efi (Debian's
# gnu-efi) from the application (cli/setup/), the Block I/O media backend
# (pstate/ps_media_efi.c) and the freestanding sets FORMAT_CORE and
# PSTATE_CORE, the same sources the BMC firmware links (firmware-fit.sh).
# Nothing of libc: libefi gives memcpy/memset, cli/setup/setup_mem.c the
# memmove/memcmp the core also needs (psf_env.h).
EFI_INC     ?= /usr/include/efi
EFI_LIB     ?= /usr/lib
EFI_ARCH    := x86_64
EFI_DIR     := $(BUILD)/efi
SETUP_EFI   := $(EFI_DIR)/pstate-setup.efi
SETUP_SRC   := $(wildcard cli/setup/*.c) pstate/ps_media_efi.c
SETUP_ALL   := $(SETUP_SRC) $(FORMAT_CORE) $(PSTATE_CORE)
SETUP_OBJS  := $(patsubst %.c,$(EFI_DIR)/%.o,$(SETUP_ALL))
# The UEFI calling environment: position independent, no red zone (firmware
# interrupts use the stack), 16-bit wchar_t for CHAR16 literals.
EFI_CFLAGS  := -std=c11 -Wall -Wextra -Werror -O2 -ffreestanding -fpic \
	-fno-stack-protector -fno-stack-check -fshort-wchar -mno-red-zone \
	-maccumulate-outgoing-args -fno-strict-aliasing -DGNU_EFI_USE_MS_ABI \
	-Iformat -Ipstate -Icli/setup
EFI_APP_CFLAGS := -I$(EFI_INC) -I$(EFI_INC)/$(EFI_ARCH) \
	-I$(EFI_INC)/protocol -Wno-unused-parameter
EFI_LDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc \
	-T $(EFI_LIB)/elf_$(EFI_ARCH)_efi.lds $(EFI_LIB)/crt0-efi-$(EFI_ARCH).o

.PHONY: setup-efi
setup-efi: $(SETUP_EFI)

# The application and the EFI backend see gnu-efi's headers; the core
# compiles exactly as for firmware (its own headers only).
$(EFI_DIR)/cli/setup/%.o $(EFI_DIR)/pstate/ps_media_efi.o: EFI_EXTRA = $(EFI_APP_CFLAGS)
$(EFI_DIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) $(EFI_EXTRA) $(DEPFLAGS) -c $< -o $@

$(EFI_DIR)/pstate-setup.so: $(SETUP_OBJS)
	$(LD) $(EFI_LDFLAGS) -Map=$(EFI_DIR)/pstate-setup.map $^ \
		-L$(EFI_LIB) -lefi -lgnuefi -o $@
	@! nm -u $@ | grep . || { echo "setup: undefined symbols above" >&2; false; }

$(SETUP_EFI): $(EFI_DIR)/pstate-setup.so
	objcopy -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc \
		--target efi-app-$(EFI_ARCH) --subsystem=10 $< $@

MODULE_ALL      += $(SETUP_EFI)
MODULE_E2E_DEPS += $(SETUP_EFI) $(BUILD)/opt/psctl
MODULE_E2E_ENV  += SETUP_EFI=$(abspath $(SETUP_EFI)) \
	PSCTL_OPT=$(abspath $(BUILD)/opt/psctl)

# Power cuts during saves, many runs (one QEMU boot each, ~15 s): part of
# `make soak`.
.PHONY: setup-soak
soak: setup-soak
setup-soak: $(SETUP_EFI) $(BUILD)/opt/psctl $(BUILD)/opt/psftool
	@E2E_ONLY=test_setup_powercut SETUP_CUTS=$${SETUP_SOAK_CUTS:-40} \
		PSFTOOL=$(BUILD)/opt/psftool PSCTL=$(BUILD)/opt/psctl \
		SETUP_EFI=$(abspath $(SETUP_EFI)) tests/e2e/run.sh

# Figures for docs/performance.md ("BIOS setup"): part of `make bench`.
.PHONY: bench-setup
MODULE_BENCH += bench-setup
bench-setup: $(SETUP_EFI) $(BUILD)/opt/psctl
	@SETUP_EFI=$(abspath $(SETUP_EFI)) PSCTL=$(abspath $(BUILD)/opt/psctl) \
		FORMAT_CORE="$(FORMAT_CORE)" PSTATE_CORE="$(PSTATE_CORE)" \
		EFI_DIR=$(EFI_DIR) bench/bench_setup.sh
