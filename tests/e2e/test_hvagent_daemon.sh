# hvagent against a real libvirt daemon, shared with virsh.  The test
# starts its own libvirtd in session (unprivileged) mode
# (libvirtd_session.sh): everything, the store's lock file included, under
# $WORK, and the daemon killed on every way out.  hvagent (in daemon mode)
# and virsh reach it through its socket, so what one defines the other
# sees.
#
#   psctl edits offline -> hvagent --once -> virsh dumpxml shows it;
#   another offline edit -> the daemon's boot pass applies it;
#   virsh setmaxmem --config (no libvirt event) -> the running daemon
#   writes it back -> psctl vm show shows it; virsh define (an event)
#   likewise; psctl edits while the daemon runs -> virsh shows it within
#   an interval; SIGTERM stops the daemon; libvirtd leaves nothing behind.
echo "hvagent with a libvirt daemon"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac

. "$E2E_DIR/libvirtd_session.sh"
IMG=$WORK/hvd.img
CONF=$WORK/hvagent-daemon.conf
DPID=

cleanup() { stop_pid "$DPID"; stop_pid "$LVPID"; }
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

lv_start

cat > "$CONF" <<EOC
uri = $U
domain_type = qemu
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
interval = 1
EOC
ps() { "$PSCTL" -q -i "$IMG" "$@"; }
dumpxml() { virsh -c "$U" dumpxml web01 > "$WORK/dx" 2>&1 && grep -q "$1" "$WORK/dx"; }
store_has() { ps vm show web01 | grep -q "$1"; }

# --- offline edits, honoured by a boot pass, visible through the daemon
ps init
ps net create lan --kind bridged --uplink br0
ps image create root --size 1GiB --format qcow2 --path /srv/d01.qcow2
ps vm create web01 --memory 2GiB --cpus 2 --serial SN-D01 --pxe on --boot network,disk
ps nic add web01 eth0 --network lan
ps nic add web01 eth1 --network lan --model virtio
ps storage add web01 root --image root --disk --bootable on
UUID=$(ps vm show web01 | sed -n 's/^uuid *//p')
MAC0=$(ps vm show web01 | sed -n '/^nic eth0/,/^nic eth1/s/^  mac *//p')
MAC1=$(ps vm show web01 | sed -n '/^nic eth1/,$s/^  mac *//p')
expect_exit 0 "hvagent --once through libvirtd" -- "$HVAGENT" -c "$CONF" -i "$IMG" --once
virsh -c "$U" dumpxml web01 > "$WORK/d1" 2>&1
grep -q "<uuid>$UUID</uuid>" "$WORK/d1" && pass "virsh dumpxml: UUID $UUID" || fail "dumpxml lacks uuid $UUID: $(head -c 300 "$WORK/d1")"
grep -q "<entry name='serial'>SN-D01</entry>" "$WORK/d1" && pass "virsh dumpxml: SMBIOS serial" || fail "dumpxml lacks the serial"
[ -n "$MAC0" ] && [ -n "$MAC1" ] && grep -q "<mac address='$MAC0'/>" "$WORK/d1" && grep -q "<mac address='$MAC1'/>" "$WORK/d1" \
    && pass "virsh dumpxml: MACs $MAC0 $MAC1" || fail "dumpxml lacks MACs '$MAC0' '$MAC1'"
awk '/<interface/{d="nic"} /<disk/{d="disk"} /<mac address/{m=$0} /<boot order=/{print d, m, $0}' "$WORK/d1" > "$WORK/boots"
grep -q "nic.*$MAC0.*order='1'" "$WORK/boots" && grep -q "disk.*order='2'" "$WORK/boots" && [ "$(wc -l < "$WORK/boots")" -eq 2 ] \
    && pass "virsh dumpxml: boot order PXE eth0, then the disk" || fail "boot order: $(cat "$WORK/boots")"

# --- the daemon's boot pass applies an edit made while it was down
ps vm set web01 --cpus 3
"$HVAGENT" -c "$CONF" -i "$IMG" > "$WORK/d.out" 2> "$WORK/d.err" &
DPID=$!
wait_for 15 grep -q watching "$WORK/d.err" && pass "hvagent daemon watching libvirtd" \
    || fail "daemon did not start: $(tail -c 400 "$WORK/d.err")"
dumpxml "<vcpu placement='static'>3</vcpu>" && pass "daemon boot pass: offline vCPU edit in libvirt" \
    || fail "daemon boot pass: vcpus not applied: $(grep vcpu "$WORK/dx")"

# --- libvirt-side edits while the daemon runs are written back
virsh -c "$U" setmaxmem web01 3145728 --config > /dev/null 2>&1
if wait_for 10 store_has "^memory *3GiB"; then
    pass "virsh setmaxmem --config: the running daemon wrote 3GiB to the store"
else
    fail "setmaxmem not written back: $(ps vm show web01 | grep memory); $(tail -c 600 "$WORK/d.err")"
fi
grep -q "memory-kib changed in libvirt: '3145728' -> store" "$WORK/d.err" \
    && pass "daemon logged the write-back" || fail "no write-back line: $(tail -c 600 "$WORK/d.err")"
virsh -c "$U" dumpxml web01 --inactive | sed "s|<vcpu placement='static'>3</vcpu>|<vcpu placement='static'>4</vcpu>|" > "$WORK/d2.xml"
virsh -c "$U" define "$WORK/d2.xml" > /dev/null 2>&1
wait_for 10 store_has "^cpus *4" && pass "virsh define of an edited dumpxml: written back (cpus 4)" \
    || fail "define not written back: $(ps vm show web01 | grep cpus)"

# --- a store edit while the daemon runs reaches libvirt within an interval
ps vm set web01 --memory 1GiB
T0=$(date +%s.%N)
if wait_for 4 dumpxml "<memory unit='KiB'>1048576</memory>"; then
    pass "psctl edit reached libvirt in $(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}') s (interval 1 s)"
else
    fail "psctl edit not applied: $(grep memory "$WORK/dx")"
fi
store_has "^memory *1GiB" && store_has "^cpus *4" && pass "store keeps both sides' edits" \
    || fail "store: $(ps vm show web01)"

kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
[ $rc -eq 0 ] && grep -q stopping "$WORK/d.err" && pass "daemon stops on SIGTERM (exit 0)" \
    || fail "daemon exit $rc: $(tail -c 400 "$WORK/d.err")"
! grep -q "hvagent: error: " "$WORK/d.err" && pass "daemon logged no errors" || fail "daemon errors: $(grep "hvagent: error: " "$WORK/d.err" | head -3)"

# --- libvirtd stops and leaves nothing running, nothing outside $WORK
lv_stop
