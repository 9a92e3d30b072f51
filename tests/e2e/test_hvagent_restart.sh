# e2e: alone
# hvagent's restart policy with a real guest.  As in
# test_hvagent_daemon.sh, the test starts its own libvirtd in session mode
# (as root: under the uid of `nobody`) with everything under $WORK; here its
# QEMU driver really runs the VM: qemu-system-x86_64 with TCG (no KVM),
# 32 MiB, a 1 MiB raw disk.  A crash is `kill -9` of the qemu process, which
# libvirt reports as STOPPED/FAILED.  The hvagent daemon (interval 1 s,
# default crash_events) and virsh share the libvirtd through its socket.
#
#   psctl: images root, cons, boot; VM web01 (power on, bootable disk on
#   root, restart policy cons/boot, window 10m, limit 2) -> the daemon's
#   boot pass defines and starts it;
#   virsh destroy, and a guest shutdown (QEMU quits on its monitor), are
#   not crashes: left down, nothing logged, nothing restarted;
#   kill -9 -> restarted from cons (dumpxml, running, store log and image);
#   the daemon restarted; kill -9 -> restarted from boot (attempt 2: the
#   count came from the store); kill -9 -> left stopped, limit reached;
#   nothing left running, nothing written outside $WORK.
echo "hvagent restart policy with a real guest"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
. "$E2E_DIR/libvirtd_session.sh"

IMG=$WORK/hvr.img
CONF=$WORK/hvagent-restart.conf
DISKS=$WORK/disks
QPID=$LV/run/libvirt/qemu/run/web01.pid
DPID=
T_START=$(date +%s)

# Guests first (libvirtd would leave them running), then the agent and
# libvirtd.
cleanup() {
    lv_kill_guests web01
    stop_pid "$DPID"; stop_pid "$LVPID"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

# --- libvirtd (libvirtd_session.sh), which may use the guest disks
mkdir -p "$DISKS"
for d in root cons boot; do truncate -s 1M "$DISKS/$d.img"; done
lv_start "$DISKS"

cat > "$CONF" <<EOC
uri = $U
domain_type = qemu
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
interval = 1
log_level = debug
EOC
ps() { "$PSCTL" -q -i "$IMG" "$@"; }
vsh() { virsh -c "$U" "$@"; }
state() { vsh domstate web01 2>/dev/null | head -n 1; }
is_state() { [ "$(state)" = "$1" ]; }
store_has() { ps vm show web01 | grep -q "$1"; }
rlog() { ps vm show web01 | sed -n 's/^restart-log *//p'; }
ctl_image() { ps vm show web01 | sed -n '/^controller root:/,$s/^  image *//p'; }
disk_path() { vsh dumpxml web01 | sed -n "s|.*<source file='\([^']*\)'.*|\1|p"; }
# qemu_pid: the running guest's qemu (a live process named in the pid file).
qemu_pid() {
    [ -s "$QPID" ] && kill -0 "$(cat "$QPID")" 2>/dev/null && cat "$QPID"
}
# Daemon log lines after line $MARK (set by mark).
mark() { MARK=$(wc -l < "$WORK/d.err"); }
since() { tail -n +"$((MARK + 1))" "$WORK/d.err"; }
logged() { since | grep -q -- "$1"; }
# A pass that ran after a line matching $1 (logged since the mark).
pass_after() {
    since | awk -v m="$1" 'index($0, m) { s = 1 } s && /hvagent: info: pass: / { f = 1 } END { exit !f }'
}
start_daemon() {
    : > "$WORK/d.err"
    "$HVAGENT" -c "$CONF" -i "$IMG" > "$WORK/d.out" 2>> "$WORK/d.err" &
    DPID=$!
    MARK=0
}

# running_from PATH WHAT: the domain runs (a live qemu) with its disk on PATH.
running_from() {
    if wait_for 10 is_state running && [ "$(disk_path)" = "$1" ] && qemu_pid > /dev/null; then
        pass "$2: running again (qemu pid $(qemu_pid)), disk $1"
    else
        fail "$2: state '$(state)', disk '$(disk_path)'; $(since | tail -n 5)"
    fi
}

# crash WHAT: kill -9 the guest's qemu; wait until libvirt has seen it and
# the daemon has handled the event (STOPPED/FAILED = 5/5).
crash() {
    p=$(qemu_pid)
    if [ -z "$p" ]; then
        fail "$1: no running qemu to kill (state '$(state)')"
        return
    fi
    mark
    kill -KILL "$p"
    if wait_for 10 pass_after "libvirt event 5/5 on 'web01'"; then
        pass "$1: kill -9 of qemu $p raised STOPPED/FAILED in the daemon"
    else
        fail "$1: no STOPPED/FAILED handled: $(since | tail -n 5)"
    fi
    [ "$(qemu_pid)" != "$p" ] && ! kill -0 "$p" 2>/dev/null \
        && pass "$1: qemu $p is gone" || fail "$1: qemu $p still alive"
}

# --- the store: three raw images, a VM booting from root with a policy
ps init
ps image create root --size 1MiB --format raw --path "$DISKS/root.img"
ps image create cons --size 1MiB --format raw --path "$DISKS/cons.img"
ps image create boot --size 1MiB --format raw --path "$DISKS/boot.img"
ps vm create web01 --memory 32MiB --cpus 1 --power on
ps storage add web01 root --image root --disk --bootable on
expect_exit 0 "psctl vm set: restart policy" -- "$PSCTL" -q -i "$IMG" vm set web01 \
    --restart-consistency-image cons --restart-boot-image boot \
    --restart-window 10m --restart-limit 2
store_has "^restart-consistency-image cons" && store_has "^restart-boot-image boot" \
    && store_has "^restart-window 10m" && store_has "^restart-limit 2" && [ -z "$(rlog)" ] \
    && pass "psctl vm show: the policy, empty log" || fail "policy: $(ps vm show web01 | grep restart)"

# --- the daemon's boot pass defines the VM and starts it (power on)
start_daemon
wait_for 15 grep -q "hvagent: info: watching" "$WORK/d.err" && pass "hvagent daemon watching libvirtd" \
    || fail "daemon did not start: $(tail -c 400 "$WORK/d.err")"
running_from "$DISKS/root.img" "boot pass"
grep -q "hvagent: info: pass (boot): 1 VMs, 1 defined,.* 1 started" "$WORK/d.err" \
    && pass "boot pass: 1 defined, 1 started" || fail "boot pass: $(grep 'pass (boot)' "$WORK/d.err")"
vsh dumpxml web01 > "$WORK/dx"
grep -q "<domain type='qemu'" "$WORK/dx" && grep -q "<memory unit='KiB'>32768</memory>" "$WORK/dx" \
    && pass "dumpxml: a TCG guest of 32 MiB" || fail "dumpxml: $(head -c 300 "$WORK/dx")"
grep -q -- "-accel tcg" "$LV/cache/libvirt/qemu/log/web01.log" \
    && pass "qemu runs with -accel tcg" || fail "qemu command line: $(grep -c accel "$LV/cache/libvirt/qemu/log/web01.log" 2>&1)"

# --- operator stops are not crashes
mark
vsh destroy web01 > /dev/null 2>&1
if wait_for 10 pass_after "libvirt event 5/1 on 'web01'"; then
    pass "virsh destroy: STOPPED/DESTROYED seen by the daemon, a pass after it"
else
    fail "virsh destroy: event not seen: $(since | tail -n 5)"
fi
is_state "shut off" && ! qemu_pid > /dev/null && [ -z "$(rlog)" ] \
    && ! logged "restart" && ! logged "crash" && [ "$(ctl_image)" = root ] \
    && pass "virsh destroy: left shut off, no restart-log entry, image root" \
    || fail "virsh destroy: state '$(state)', log '$(rlog)', image '$(ctl_image)'; $(since | grep -i 'restart\|crash')"

# A guest shutdown.  `virsh shutdown` presses the ACPI power button, which
# this firmware-only guest ignores; QEMU told to quit on its monitor ends
# the same way as a guest that powers off: a SHUTDOWN event, then exit,
# which libvirt reports as STOPPED/SHUTDOWN (5/0).
vsh start web01 > /dev/null 2>&1
wait_for 10 qemu_pid && pass "virsh start: running again" || fail "virsh start: state '$(state)'"
mark
vsh qemu-monitor-command web01 --hmp quit > /dev/null 2>&1
if wait_for 10 pass_after "libvirt event 5/0 on 'web01'"; then
    pass "guest power-off: STOPPED/SHUTDOWN seen by the daemon, a pass after it"
else
    fail "guest power-off: event not seen: $(since | tail -n 5)"
fi
is_state "shut off" && ! qemu_pid > /dev/null && [ -z "$(rlog)" ] \
    && ! logged "restart" && ! logged "crash" \
    && pass "guest power-off: left shut off, no restart-log entry" \
    || fail "guest power-off: state '$(state)', log '$(rlog)'; $(since | grep -i 'restart\|crash')"

# --- first crash: the consistency image
vsh start web01 > /dev/null 2>&1
wait_for 10 qemu_pid || fail "virsh start: state '$(state)'"
crash "crash 1"
running_from "$DISKS/cons.img" "crash 1"
logged "vm 'web01': failed; restarted from the consistency image 'cons' (attempt 1 of 2 within 600 s)" \
    && pass "crash 1: daemon logged the restart from 'cons', attempt 1 of 2" \
    || fail "crash 1: no restart line: $(since | grep -v 'hvagent: debug: ' | tail -n 5)"
rlog > "$WORK/rlog1"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z consistency#1 failed$' "$WORK/rlog1" \
    && pass "psctl vm show: restart-log '$(cat "$WORK/rlog1")'" || fail "restart-log: '$(cat "$WORK/rlog1")'"
[ "$(ctl_image)" = cons ] && pass "psctl vm show: controller root now on image cons" \
    || fail "controller image '$(ctl_image)', expected cons"
# The pass after the restart finds the switch on both sides: nothing to do.
wait_for 5 pass_after "restarted from the consistency image" \
    && since | awk '/restarted from the consistency image/ { s = 1 } s' | grep "hvagent: info: pass: " | head -n 1 \
        | grep -q "0 defined, 0 undefined, 0 fields to libvirt, 0 to the store,.* 0 errors" \
    && pass "the pass after the restart pushes and pulls nothing" \
    || fail "pass after restart: $(since | grep 'hvagent: info: pass: ')"

# --- the daemon restarted between crashes: the count is the store's
kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
[ $rc -eq 0 ] && pass "daemon stops on SIGTERM (exit 0)" || fail "daemon exit $rc"
! grep -q "hvagent: error: " "$WORK/d.err" && pass "first daemon logged no errors" \
    || fail "daemon errors: $(grep "hvagent: error: " "$WORK/d.err" | head -3)"
cp "$WORK/d.err" "$WORK/d1.err"
is_state running && pass "the guest outlives the daemon" || fail "state '$(state)'"
start_daemon
wait_for 15 grep -q "hvagent: info: watching" "$WORK/d.err" && pass "second daemon watching" \
    || fail "second daemon did not start: $(tail -c 400 "$WORK/d.err")"
grep -q "hvagent: info: pass (boot): 1 VMs, 0 defined,.* 0 fields to libvirt, 0 to the store,.* 0 started" "$WORK/d.err" \
    && pass "second daemon's boot pass: nothing to do (disk stays on cons)" \
    || fail "second boot pass: $(grep 'pass (boot)' "$WORK/d.err")"

# --- second crash: the boot image
crash "crash 2"
running_from "$DISKS/boot.img" "crash 2"
logged "vm 'web01': failed; restarted from the boot image 'boot' (attempt 2 of 2 within 600 s)" \
    && pass "crash 2: new daemon counted attempt 2 from the store, image 'boot'" \
    || fail "crash 2: $(since | grep -v 'hvagent: debug: ' | tail -n 5)"
rlog > "$WORK/rlog2"
grep -Eq "^$(cat "$WORK/rlog1"), [0-9T:Z-]+ boot#2 failed$" "$WORK/rlog2" \
    && pass "psctl vm show: restart-log '$(cat "$WORK/rlog2")'" || fail "restart-log: '$(cat "$WORK/rlog2")'"
[ "$(ctl_image)" = boot ] && pass "psctl vm show: controller root now on image boot" \
    || fail "controller image '$(ctl_image)', expected boot"

# --- third crash: past the limit, left stopped
crash "crash 3"
logged "vm 'web01': failed again; 2 restarts within 600 s reached the limit (2): left stopped" \
    && pass "crash 3: daemon logged the limit reached" \
    || fail "crash 3: $(since | grep -v 'hvagent: debug: ' | tail -n 5)"
wait_for 5 pass_after "reached the limit" || fail "crash 3: no pass after the limit"
is_state "shut off" && ! qemu_pid > /dev/null \
    && pass "crash 3: left shut off ($(vsh domstate --reason web01 2>/dev/null | head -n 1))" \
    || fail "crash 3: state '$(state)'"
rlog > "$WORK/rlog3"
grep -Eq "^$(cat "$WORK/rlog2"), [0-9T:Z-]+ stopped-limit#3 failed$" "$WORK/rlog3" \
    && pass "psctl vm show: restart-log '$(cat "$WORK/rlog3")'" || fail "restart-log: '$(cat "$WORK/rlog3")'"
[ "$(ctl_image)" = boot ] && [ "$(disk_path)" = "$DISKS/boot.img" ] \
    && pass "crash 3: disk left on image boot" || fail "crash 3: image '$(ctl_image)', disk '$(disk_path)'"

kill -TERM "$DPID"; wait "$DPID"; rc=$?; DPID=
[ $rc -eq 0 ] && pass "second daemon stops on SIGTERM (exit 0)" || fail "daemon exit $rc"
! grep -q "hvagent: error: " "$WORK/d.err" && pass "second daemon logged no errors" \
    || fail "daemon errors: $(grep "hvagent: error: " "$WORK/d.err" | head -3)"

# --- libvirtd stops and leaves nothing running, nothing outside $WORK
lv_stop
T=$(($(date +%s) - T_START))
[ "$T" -le 40 ] && pass "restart scenario took $T s" || fail "restart scenario took $T s (> 40)"
