# One gate, hvagent's write-back: a value the edit layer refuses, set on
# the libvirt side with virsh, is logged by hvagent with the edit's reason
# and not written to the store; the other keys of the pass still are.
# libvirt itself refuses a multicast MAC at define (checked below), so the
# refused value is the all-zero MAC, which libvirt takes.  libvirt's QEMU
# driver embedded (qemu:///embed?root=DIR), as in test_hvagent.sh.
echo "== gate: hvagent write-back"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac

hv_embed_conf
ps() { "$PSCTL" -q -i "$IMG" "$@"; }
hv() { "$HVAGENT" -c "$CONF" -i "$IMG" --once "$@"; }

ps init >/dev/null 2>&1 && ps net create lan --kind bridged --uplink br0 &&
    ps vm create web01 --memory 1GiB --cpus 2 &&
    ps nic add web01 eth0 --network lan --mac 52:54:00:00:00:01 ||
    fail "gate hvagent: preparing the image"
expect_exit 0 "gate hvagent: first pass defines web01" -- hv

# libvirt side: an all-zero MAC and a new memory size in one define.
virsh -c "$U" dumpxml web01 > "$WORK/web01.xml" 2>"$WORK/err" ||
    fail "gate hvagent: dumpxml: $(cat "$WORK/err")"
sed -e "s/<mac address='52:54:00:00:00:01'\/>/<mac address='00:00:00:00:00:00'\/>/" \
    -e "s/<memory unit='KiB'>1048576<\/memory>/<memory unit='KiB'>2097152<\/memory>/" \
    -e "s/<currentMemory unit='KiB'>1048576<\/currentMemory>/<currentMemory unit='KiB'>2097152<\/currentMemory>/" \
    "$WORK/web01.xml" > "$WORK/web01.bad.xml"
sed "s/00:00:00:00:00:00/01:00:5e:00:00:01/" "$WORK/web01.bad.xml" > "$WORK/web01.mc.xml"
virsh -c "$U" define "$WORK/web01.mc.xml" >/dev/null 2>&1 &&
    fail "gate hvagent: libvirt took a multicast MAC" ||
    pass "gate hvagent: libvirt refuses a multicast MAC itself"
grep -q "00:00:00:00:00:00" "$WORK/web01.bad.xml" &&
    grep -q ">2097152<" "$WORK/web01.bad.xml" || fail "gate hvagent: the XML edit did not apply"
virsh -c "$U" define "$WORK/web01.bad.xml" >/dev/null 2>"$WORK/err" ||
    fail "gate hvagent: virsh define: $(cat "$WORK/err")"
virsh -c "$U" dumpxml web01 | grep -q "00:00:00:00:00:00" &&
    pass "gate hvagent: libvirt holds the all-zero MAC" ||
    fail "gate hvagent: libvirt normalised the MAC away"

hv > "$WORK/out" 2> "$WORK/err"
grep -q "vm 'web01': store: nic.eth0.mac: mac: all-zero address" "$WORK/err" &&
    pass "gate hvagent: the refused MAC is logged with the edit's reason" ||
    fail "gate hvagent: no log line: $(head -c 600 "$WORK/err")"
ps vm show web01 > "$WORK/show" 2>&1
grep -q "52:54:00:00:00:01" "$WORK/show" && ! grep -q "00:00:00:00:00:00" "$WORK/show" &&
    pass "gate hvagent: the store keeps its MAC" ||
    fail "gate hvagent: store: $(grep mac "$WORK/show")"
grep -q "^memory *2GiB" "$WORK/show" &&
    pass "gate hvagent: the pass's other write-back (memory) landed" ||
    fail "gate hvagent: memory: $(grep memory "$WORK/show")"
expect_exit 0 "gate hvagent: the store is valid" -- ps check
