#!/bin/sh
# Install every Debian package pstate needs to build, test, benchmark and run.
# Idempotent: packages already present are left alone and apt-get is skipped.
# Usage: scripts/install-deps.sh   (as root, or through sudo when available)
set -eu

PACKAGES="build-essential pkg-config clang llvm libclang-rt-14-dev
libcmocka-dev libedit-dev libjson-c-dev libusb-1.0-0-dev libudev-dev libblkid-dev
libfdisk-dev fdisk umockdev libumockdev-dev
libvirt-dev libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu
ipmitool openipmi libopenipmi-dev tmux
gcc-arm-none-eabi gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user
libfdt-dev device-tree-compiler valgrind
python3 util-linux mount"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
        echo "install-deps: need root to install:$missing" >&2; exit 1
    fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
