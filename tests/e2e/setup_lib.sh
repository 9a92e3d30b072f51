# Helpers for the BIOS setup e2e tests (sourced by test_setup_*.sh):
# pstate-setup.efi under QEMU (TCG) with OVMF, keys as USB mass storage
# on an xHCI controller, driven over the serial console (setup_drive.py).
SETUP_EFI=${SETUP_EFI:-$ROOT/build/efi/pstate-setup.efi}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
PSCTL_KEY=${PSCTL_OPT:-$PSCTL}
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE

# setup_ready: every part the tests need is there (a missing one fails).
setup_ready() {
    for f in "$SETUP_EFI" "$OVMF_CODE" "$OVMF_VARS"; do
        [ -f "$f" ] || { fail "setup: $f missing (make setup-efi; make deps)"; return 1; }
    done
    command -v qemu-system-x86_64 >/dev/null ||
        { fail "setup: qemu-system-x86_64 missing (make deps)"; return 1; }
    "$ROOT/scripts/setup-image.sh" "$SETUP_EFI" "$WORK/boot.img" ||
        { fail "setup: FAT image"; return 1; }
}

# make_key IMG VM...: a 64 MiB key image with a store holding the VMs.
make_key() {
    img=$1; shift
    truncate -s 64M "$img"
    "$PSCTL_KEY" -i "$img" init >/dev/null 2>&1 || return 1
    for vm in "$@"; do
        "$PSCTL_KEY" -i "$img" vm create "$vm" --memory 1G --cpus 2 \
            >/dev/null 2>&1 || return 1
    done
}

# setup_run SCRIPT KEY...: boot the application with the keys on xHCI
# ports 1, 2, ... and run SCRIPT (setup_drive.py steps); the console
# goes to $WORK/console.log.  Returns the driver's status.
setup_run() {
    script=$1; shift
    cp "$OVMF_VARS" "$WORK/vars.fd"
    set -- "$script" "$@"
    n=0 keys=""
    shift
    for k in "$@"; do
        n=$((n + 1))
        keys="$keys -drive if=none,id=k$n,format=raw,file=$k"
        keys="$keys -device usb-storage,bus=xhci.0,port=$n,drive=k$n"
    done
    # shellcheck disable=SC2086
    SETUP_LOG=$WORK/console.log python3 "$ROOT/tests/e2e/setup_drive.py" \
        "$script" -- qemu-system-x86_64 -machine q35,accel=tcg -m 256 \
        -nodefaults -display none -serial stdio -monitor none -nic none \
        -drive if=pflash,format=raw,unit=0,readonly=on,file="$OVMF_CODE" \
        -drive if=pflash,format=raw,unit=1,file="$WORK/vars.fd" \
        -drive if=none,id=boot,format=raw,file="$WORK/boot.img" \
        -device virtio-blk-pci,drive=boot,bootindex=0 \
        -device qemu-xhci,id=xhci $keys 2>"$WORK/drive.err"
}

# damage IMG: overwrite every slot of the store in IMG's MBR partition 4
# (the superblocks stay): no slot is valid.
damage() {
    python3 - "$1" <<'PY'
import struct, sys
f = open(sys.argv[1], 'r+b')
f.seek(446 + 3 * 16 + 8)
start, size = struct.unpack('<II', f.read(8))
f.seek(start * 512 + 512)
f.write(b'\x5a' * (size * 512 - 1024))
PY
}

# newer IMG: both superblock copies of the store in IMG's MBR partition 4
# say version 2 (a newer major layout), their CRCs fixed: a reader of
# version 1 must refuse it.
newer() {
    python3 - "$1" <<'PY'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1))
    return crc ^ 0xffffffff
f = open(sys.argv[1], 'r+b')
f.seek(446 + 3 * 16 + 8)
start, size = struct.unpack('<II', f.read(8))
for lba in (start, start + size - 1):
    f.seek(lba * 512)
    sb = bytearray(f.read(512))
    struct.pack_into('<I', sb, 8, 2)
    struct.pack_into('<I', sb, 508, crc32c(bytes(sb[:508])))
    f.seek(lba * 512)
    f.write(sb)
PY
}

# put_store IMG PSF: the store of IMG's MBR partition 4 (a fresh `psctl
# init`, generation 1 in slot 0) becomes the PSF file's bytes, the slot
# header's length and CRCs fixed: a store from elsewhere, as read.
put_store() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 & -(crc & 1))
    return crc ^ 0xffffffff
f = open(sys.argv[1], 'r+b')
body = open(sys.argv[2], 'rb').read()
f.seek(446 + 3 * 16 + 8)
start = struct.unpack('<I', f.read(4))[0] * 512
f.seek(start)
sb = f.read(512)
lba = struct.unpack_from('<Q', sb, 64)[0]
f.seek(start + lba * 512)
h = bytearray(f.read(64))
struct.pack_into('<II', h, 24, len(body), crc32c(body))
struct.pack_into('<I', h, 60, crc32c(bytes(h[:60])))
f.seek(start + lba * 512)
f.write(h)
f.seek(start + (lba + 1) * 512)
f.write(body)
PY
}
