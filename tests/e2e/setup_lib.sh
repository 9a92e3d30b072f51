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

# make_logical_key IMG VM: a key whose store is in a logical partition
# (dos #5, behind an extended partition and a data partition #1).
make_logical_key() {
    make_key "$WORK/src.img" "$2" || return 1
    st=$(sfdisk -d "$WORK/src.img" | sed -n 's/^[^ ]*4 : start= *\([0-9]*\),.*/\1/p')
    truncate -s 64M "$1"
    printf 'label: dos\nstart=2048, size=8192, type=83\nstart=16384, size=40960, type=5\nstart=18432, size=8192, type=6b\n' |
        sfdisk -q "$1" || return 1
    dd if="$WORK/src.img" of="$1" bs=512 skip="$st" seek=18432 count=8192 \
        conv=notrunc status=none && rm -f "$WORK/src.img"
}

# make_backup_gpt_key IMG VM: a GPT key whose primary GPT header is zeroed
# (the backup header at the last sector still names the partition).
make_backup_gpt_key() {
    truncate -s 64M "$1"
    "$PSCTL_KEY" -i "$1" init --gpt >/dev/null 2>&1 &&
        "$PSCTL_KEY" -i "$1" vm create "$2" --memory 1G --cpus 2 >/dev/null 2>&1 &&
        dd if=/dev/zero of="$1" bs=512 seek=1 count=1 conv=notrunc status=none
}

# setup_run SCRIPT KEY...: boot the application with the keys on xHCI
# ports 1, 2, ... and run SCRIPT (setup_drive.py steps); the console
# goes to $WORK/console.log; $SETUP_QEMU_EXTRA adds QEMU options.  Returns
# the driver's status.
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
        -device qemu-xhci,id=xhci,p2=8,p3=8 $keys ${SETUP_QEMU_EXTRA:-} 2>"$WORK/drive.err"
}

# damage IMG, newer IMG, put_store IMG PSF: see tests/e2e/setup_key.py.
damage() { python3 "$ROOT/tests/e2e/setup_key.py" damage "$1"; }
newer() { python3 "$ROOT/tests/e2e/setup_key.py" newer "$1"; }
put_store() { python3 "$ROOT/tests/e2e/setup_key.py" put "$1" "$2"; }

# unchanged FILE HASH NAME: pass NAME when FILE still has that sha256.
unchanged() {
    if [ "$(hash_of "$1")" = "$2" ]; then pass "$3"; else fail "$3: it changed"; fi
}

# Steps for setup_drive.py.  steps_open N: open VM number N from the list.
# steps_set FIELD=VALUE...: each change accepted.  steps_back: back to the
# list.  steps_save_quit SAYS: save (the application says SAYS about the
# semaphore first), quit, end QEMU.
steps_open() { printf 'expect setup>\nsend %s\nexpect vm>\n' "$1"; }
steps_set() {
    for a in "$@"; do printf 'send %s\nexpect changed\nexpect vm>\n' "$a"; done
}
steps_back() { printf 'send b\nexpect setup>\n'; }
steps_save_quit() {
    printf 'send s\nexpect %s\nexpect saved: generation\nexpect setup>\n' "$1"
    printf 'send q\nexpect bye\nkill\n'
}
