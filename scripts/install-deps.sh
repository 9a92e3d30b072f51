#!/bin/sh
# Install every Debian package pstate needs to build, test, benchmark and run.
# Idempotent: packages already present are left alone and apt-get is skipped.
# Usage: scripts/install-deps.sh   (as root, or through sudo when available)
set -eu

PACKAGES="build-essential pkg-config clang llvm libclang-rt-14-dev
libcmocka-dev libedit-dev libjson-c-dev libusb-1.0-0-dev libudev-dev libblkid-dev
libfdisk-dev fdisk umockdev libumockdev-dev
libxml2-dev libvirt-dev libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86
ipmitool openipmi libopenipmi-dev tmux
gcc-arm-none-eabi gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user
libfdt-dev device-tree-compiler valgrind strace debhelper dpkg-dev fakeroot
etcd-server etcd-client libcurl4-openssl-dev
python3 python3-jsonschema util-linux mount
gnu-efi ovmf mtools dosfstools acpica-tools
busybox-static linux-image-cloud-amd64 conserver-server conserver-client
libwebsockets-dev libcrypt-dev openssl nodejs npm chromium
libtss2-dev swtpm swtpm-tools tpm2-tools"

missing=""
for p in $PACKAGES; do
    # npm comes with some builds of nodejs (NodeSource's): Debian's npm
    # package would conflict with them.
    [ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

# Sets SUDO so the commands below run as root, or stops.
SUDO=""
as_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    if command -v sudo >/dev/null 2>&1; then SUDO=sudo; return 0; fi
    echo "install-deps: need root to install:${missing:- the libvirt-qemu user}" >&2
    exit 1
}

# libvirt's QEMU driver, run as root (hvagent tests use qemu:///embed),
# refuses to open until its unprivileged user and group exist.
ensure_qemu_user() {
    getent group libvirt-qemu >/dev/null 2>&1 && getent passwd libvirt-qemu >/dev/null 2>&1 && return 0
    as_root
    getent group libvirt-qemu >/dev/null 2>&1 || $SUDO groupadd -r libvirt-qemu
    getent passwd libvirt-qemu >/dev/null 2>&1 || \
        $SUDO useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    echo "install-deps: added the libvirt-qemu user and group"
}

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    ensure_qemu_user
    exit 0
fi


as_root
echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
ensure_qemu_user
