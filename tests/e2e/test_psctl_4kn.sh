# A key with 4096-byte logical sectors (a 4Kn loop device, losetup -b
# 4096): `psctl init -d` makes its partition in the device's sectors, and
# a byte copy of the key in an image file opens with -i like the key:
# the file's sector size is the one its store's superblock records
# (docs/discovery.md).  MBR, GPT, and the partition alone (no table).
echo "== psctl on 4096-byte sectors: a 4Kn key and its copy in a file"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE PSTATE_LOCK_FILE
LOOP=
trap '[ -n "$LOOP" ] && losetup -d "$LOOP" >/dev/null 2>&1' EXIT INT TERM

out_has() {
    if grep -qF -- "$2" "$WORK/out"; then pass "$1 (prints '$2')"
    else fail "$1: stdout lacks '$2': $(head -c 300 "$WORK/out")"; fi
}

# every_command LABEL FILE: the commands a user runs, on an image file.
every_command() {
    expect_exit 0 "$1: info" -- "$PSCTL" -i "$2" info
    out_has "$1: 4096-byte sectors" "sector-size    4096"
    expect_exit 0 "$1: vm list" -- "$PSCTL" -i "$2" vm list
    out_has "$1: the key's VM" "web1"
    expect_exit 0 "$1: vm create" -- "$PSCTL" -i "$2" vm create web2 --cpus 2
    expect_exit 0 "$1: vm set" -- "$PSCTL" -i "$2" vm set web2 --memory 2G
    expect_exit 0 "$1: vm show" -- "$PSCTL" -i "$2" vm show web2
    out_has "$1: the edit is there" "2G"
    expect_exit 0 "$1: dump" -- "$PSCTL" -i "$2" dump
    expect_exit 0 "$1: export --json" -- "$PSCTL" -i "$2" export --json
    expect_exit 0 "$1: check" -- "$PSCTL" -i "$2" check
    out_has "$1: check verdict" "valid store, generation 4"
}

for label in dos gpt; do
    opt=; [ $label = gpt ] && opt=--gpt
    IMG=$WORK/key-$label.img
    truncate -s 64M "$IMG"
    LOOP=$(losetup -f --show -b 4096 "$IMG" 2>"$WORK/err") ||
        { fail "losetup -b 4096 (needs root and loop devices): $(cat "$WORK/err")"; break; }
    expect_exit 0 "$label: init on the 4Kn device" -- "$PSCTL" -d "$LOOP" init $opt
    # 4 MiB = 1024 sectors of 4 KiB, 1 MiB aligned (256 sectors).
    if sfdisk -d "$LOOP" 2>/dev/null | grep -q 'size= *1024,'; then
        pass "$label: partition of 4 MiB in 4 KiB sectors"
    else fail "$label: table $(sfdisk -d "$LOOP" 2>&1 | tail -1)"; fi
    start=$(sfdisk -d "$LOOP" 2>/dev/null | sed -n 's/.*start= *\([0-9]*\),.*/\1/p')
    [ -n "$start" ] && [ $((start % 256)) -eq 0 ] &&
        pass "$label: start $start is 1 MiB aligned" ||
        fail "$label: start '$start' not 1 MiB aligned"
    expect_exit 0 "$label: vm create on the device" -- "$PSCTL" -d "$LOOP" vm create web1
    losetup -d "$LOOP"; LOOP=
    cp "$IMG" "$WORK/copy-$label.img"
    every_command "$label copy" "$WORK/copy-$label.img"
    expect_err "$label copy: the partition at its real offset" \
        "$label partition #"
    [ "$start" ] && expect_err "$label copy: at byte $((start * 4096))" \
        "at byte $((start * 4096))"
    # The partition alone, no table: the whole file, 4096-byte sectors.
    dd if="$IMG" of="$WORK/part-$label.img" bs=4096 skip="$start" count=1024 2>/dev/null
    every_command "$label partition" "$WORK/part-$label.img"
    expect_err "$label partition: whole file" "(whole file, no partition table)"
    # The default image (scan's check) reads 4096-byte sectors too.
    expect_exit 0 "$label copy: scan chooses it as the default image" -- \
        env PSTATE_IMAGE="$WORK/copy-$label.img" "$PSCTL" scan
    out_has "$label copy: scan verdict" "valid store, generation 4"
    # Primary superblock damaged: the backup (last 4 KiB) still tells.
    dd if=/dev/zero of="$WORK/part-$label.img" bs=4096 count=1 conv=notrunc 2>/dev/null
    expect_exit 6 "$label partition, primary zeroed: check" -- \
        "$PSCTL" -i "$WORK/part-$label.img" check
    expect_err "$label partition: names the primary" "primary superblock damaged"
    expect_exit 0 "$label partition, primary zeroed: vm list" -- \
        "$PSCTL" -i "$WORK/part-$label.img" vm list
    out_has "$label partition, primary zeroed: the VMs" "web2"
done
losetup -a | grep -qF "$WORK/" && fail "loop devices left attached" ||
    pass "loop devices detached"
