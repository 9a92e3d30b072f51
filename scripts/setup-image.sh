#!/bin/sh
# setup-image.sh - a FAT image that UEFI firmware boots pstate-setup.efi
# from (its removable-media path \EFI\BOOT\BOOTX64.EFI), made with
# dosfstools and mtools: no root, no mount.  docs/setup.md.
# Usage: scripts/setup-image.sh EFI OUT.img [SIZE_KIB]
set -eu
[ $# -ge 2 ] || { echo "usage: $0 EFI OUT.img [SIZE_KIB]" >&2; exit 2; }
efi=$1 out=$2 kib=${3:-4096}
if ! command -v mkfs.vfat >/dev/null || ! command -v mcopy >/dev/null; then
    echo "setup-image: needs dosfstools and mtools (make deps)" >&2
    exit 1
fi
rm -f "$out"
mkfs.vfat -C -n PSSETUP "$out" "$kib" >/dev/null
mmd -i "$out" ::/EFI ::/EFI/BOOT
mcopy -i "$out" "$efi" ::/EFI/BOOT/BOOTX64.EFI
# Also by its own name, for a boot entry made with efibootmgr.
mcopy -i "$out" "$efi" ::/EFI/BOOT/pstate-setup.efi
