# BIOS setup (docs/setup.md): pstate-setup.efi boots in OVMF under QEMU
# (TCG) from a FAT image, with six keys on xHCI ports: port 1 damaged,
# port 2 and port 3 valid, port 4 a newer superblock version, port 5 a
# store in a logical partition, port 6 a GPT whose primary header is gone
# (OVMF's partition driver restores it from the backup before the
# application runs; the application falls back to the backup itself on
# firmware that does not).  One boot:
# the keys screen says why each key was taken or skipped (port 2 chosen); a bad memory value is refused with
# the edit layer's message; memory and boot order changed and saved.
# Then psctl sees the change written by "BIOS setup", check passes, the
# keys not chosen (damaged, lower priority, newer) are byte-identical, and
# hvagent's next pass (it defined the VMs before setup ran) applies the
# new memory and boot order in libvirt.
echo "setup ui"
. "$ROOT/tests/e2e/setup_lib.sh"
if setup_ready && make_key "$WORK/k1.img" bad1 && make_key "$WORK/k2.img" web1 db1 &&
   make_key "$WORK/k3.img" other && make_key "$WORK/k4.img" newer &&
   make_logical_key "$WORK/k5.img" logi && make_backup_gpt_key "$WORK/k6.img" gptb; then
    damage "$WORK/k1.img"
    newer "$WORK/k4.img"
    hv_embed_conf
    k2() { "$PSCTL_KEY" -q -i "$WORK/k2.img" "$@" >/dev/null 2>&1; }
    k2 net create lan --kind nat && k2 nic add web1 eth0 --network lan &&
        k2 image create web-root --size 1GiB --format qcow2 --path /srv/web1.qcow2 &&
        k2 storage add web1 root --image web-root --disk --bootable on ||
        fail "setup: giving web1 a NIC and a bootable disk"
    hv() { "$HVAGENT" -c "$CONF" -i "$WORK/k2.img" --once >> "$WORK/hv.out" 2>&1; }
    expect_exit 0 "setup: hvagent defines the key's VMs before setup" -- hv
    h1=$(hash_of "$WORK/k1.img") h3=$(hash_of "$WORK/k3.img") h4=$(hash_of "$WORK/k4.img")
    cat > "$WORK/s.txt" <<'STEPS'
expect usb 1 (pci
expect invalid  skipped: dos partition #4: store invalid: 
expect usb 2 (pci
expect chosen  chosen: dos partition #4: valid store
expect usb 3 (pci
expect valid  skipped: dos partition #4: valid store
expect usb 4 (pci
expect invalid  skipped: dos partition #4: store invalid: superblocks damaged
expect valid  skipped: dos partition #5: valid store
expect valid  skipped: gpt partition #128
expect startup to VM list:
expect setup>
send 1
expect vm>
send memory=lots
expect error: vm set: memory 'lots': not a number
expect vm>
send cpus=0
expect error: vm set: cpus '0':
expect vm>
STEPS
    {
        steps_set memory=3G boot=network,disk pxe=on
        printf 'send b\nexpect (changed, not saved)\n'
        steps_save_quit "no semaphore marker: saving alone"
    } >> "$WORK/s.txt"
    start=$(date +%s)
    if setup_run "$WORK/s.txt" "$WORK/k1.img" "$WORK/k2.img" "$WORK/k3.img" "$WORK/k4.img" "$WORK/k5.img" "$WORK/k6.img"; then
        pass "setup: keys screen, bad value refused, edits saved ($(( $(date +%s) - start )) s)"
    else
        fail "setup: UI run: $(tail -c 1500 "$WORK/drive.err")"
    fi
    grep -o 'startup to VM list: [0-9]* ms' "$WORK/console.log" | head -1
    "$PSCTL_KEY" -i "$WORK/k2.img" vm show web1 > "$WORK/show" 2>/dev/null
    if grep -q '^memory *3GiB$' "$WORK/show" && grep -q '^boot *network,disk$' "$WORK/show"; then
        pass "setup: psctl vm show sees memory 3GiB and boot network,disk"
    else
        fail "setup: vm show after save: $(grep -E '^(memory|boot) ' "$WORK/show")"
    fi
    "$PSCTL_KEY" -i "$WORK/k2.img" vm show db1 > "$WORK/show" 2>/dev/null
    if grep -q '^memory *1GiB$' "$WORK/show"; then pass "setup: the other VM unchanged"
    else fail "setup: db1 changed: $(grep '^memory' "$WORK/show")"; fi
    expect_exit 0 "setup: psctl check passes on the saved key" -- \
        "$PSCTL_KEY" -i "$WORK/k2.img" check
    "$PSCTL_KEY" -i "$WORK/k2.img" info > "$WORK/info" 2>/dev/null
    if grep -q '^last-writer *BIOS setup$' "$WORK/info"; then
        pass "setup: the commit's owner is BIOS setup"
    else fail "setup: owner: $(grep last-writer "$WORK/info")"; fi
    expect_exit 0 "setup: hvagent's next pass after the save" -- hv
    virsh -c "$U" dumpxml web1 > "$WORK/web1.xml" 2>&1
    awk '/<interface/{d="nic"} /<disk/{d="disk"} /<boot order=/{print d, $0}' \
        "$WORK/web1.xml" > "$WORK/boots"
    if grep -q "<memory unit='KiB'>3145728</memory>" "$WORK/web1.xml" &&
       grep -q "nic.*order='1'" "$WORK/boots" && grep -q "disk.*order='2'" "$WORK/boots"; then
        pass "setup: hvagent applied memory 3GiB and boot network,disk in libvirt"
    else
        fail "setup: libvirt after hvagent: $(grep '<memory' "$WORK/web1.xml") $(cat "$WORK/boots")"
    fi
    unchanged "$WORK/k1.img" "$h1" "setup: the damaged key is byte-identical"
    unchanged "$WORK/k3.img" "$h3" "setup: the lower-priority valid key is byte-identical"
    unchanged "$WORK/k4.img" "$h4" "setup: the key with a newer superblock version is byte-identical"
else
    fail "setup: preparing the keys (setup_ready, psctl init/vm create)"
fi
