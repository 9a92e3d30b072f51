# Consoles across hvagent restarts (issue 16, the hvagent part), with
# console = local (no BMC: the allocation is made in the store) and pscon
# serving the store's ports.  Two real TCG guests under a session libvirtd
# (32 MiB, a 1 MiB raw disk: they sit in the firmware, their serial ports
# connected to pscon): web01 with a restart policy, web02 without.
#
#   the daemon's boot pass allocates both in the store, pscon serves them,
#   both guests connect; SIGTERM and restart: the same ports, nothing freed
#   or allocated again, the guests never disconnected; SIGKILL, then while
#   the agent is down web01's qemu is killed (a crash) and web02 destroyed:
#   at its start the agent applies web01's restart policy (restarted from
#   its consistency image, its ports kept) and frees web02's port.
# Environment: HVAGENT, PSCON (make e2e).
echo "console: allocations across hvagent restarts (console = local)"
: "${HVAGENT:?set HVAGENT}" "${PSCON:?set PSCON}"
. "$E2E_DIR/libvirtd_session.sh"

IMG=$WORK/store.img
CONF=$WORK/hvagent.conf
DISKS=$WORK/disks
PRUN=$WORK/prun
PSOCK=$WORK/psock/c.sock
PIDS= DPID=
cleanup() {
    lv_kill_guests web01 web02
    stop_pid "$DPID"
    for p in $PIDS; do stop_pid "$p"; done
    stop_pid "$LVPID"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP
ps() { "$PSCTL" -q -i "$IMG" "$@"; }
vsh() { virsh -c "$U" "$@"; }
has() { grep -qF -- "$2" "$1" 2>/dev/null; }
check() { # check NAME FILE TEXT [SECONDS]
    if wait_for "${4:-15}" has "$2" "$3"; then pass "$1"
    else fail "$1: $2 lacks '$3': $(tail -n 4 "$2" 2>/dev/null)"; fi
}
mappings() { ps serial mappings | awk 'NR > 1 { print $1, $2, $3, $5 }'; }
start_daemon() {
    : > "$WORK/d.err"
    "$HVAGENT" -c "$CONF" -i "$IMG" > "$WORK/d.out" 2>> "$WORK/d.err" &
    DPID=$!
}
qpid() { f=$LV/run/libvirt/qemu/run/$1.pid; [ -s "$f" ] && cat "$f"; }

mkdir -p "$DISKS" "$WORK/run" "$WORK/log" "$WORK/psock" "$WORK/plog"
mkdir -m 700 "$PRUN"
for d in root cons boot root2; do truncate -s 1M "$DISKS/$d.img"; done
lv_start "$DISKS" "$WORK/log" "$PRUN" "$WORK/psock" "$WORK/plog"

ps init > /dev/null
ps image create root --size 1MiB --format raw --path "$DISKS/root.img"
ps image create cons --size 1MiB --format raw --path "$DISKS/cons.img"
ps image create boot --size 1MiB --format raw --path "$DISKS/boot.img"
ps image create root2 --size 1MiB --format raw --path "$DISKS/root2.img"
ps vm create web01 --memory 32MiB --cpus 1 --power on
ps storage add web01 root --image root --disk --bootable on
ps vm set web01 --restart-consistency-image cons --restart-boot-image boot \
    --restart-window 10m --restart-limit 2
ps vm create web02 --memory 32MiB --cpus 1 --power on
ps storage add web02 root --image root2 --disk --bootable on
chmod 644 "$IMG"

setpriv --reuid=nobody --regid=nogroup --clear-groups "$PSCON" \
    --run-dir "$PRUN" --socket "$PSOCK" --log-dir "$WORK/plog" --store "$IMG" \
    2> "$WORK/pscon.log" &
PIDS="$PIDS $!"
wait_for 10 test -S "$PSOCK" && pass "pscon serving (as nobody)" ||
    fail "pscon: $(cat "$WORK/pscon.log")"
lv_hv_conf "$CONF" "console = local" "console_first = 7001" \
    "console_endpoints = $PRUN" "console_socket = $PSOCK"

# --- first start: both allocated in the store, served, connected
start_daemon
check "hvagent: web01 allocated" "$WORK/d.err" "vm 'web01': serial port 0 on concentrator port 700"
check "hvagent: web02 allocated" "$WORK/d.err" "vm 'web02': serial port 0 on concentrator port 700"
mappings > "$WORK/m1"
[ "$(wc -l < "$WORK/m1")" -eq 2 ] && grep -q "^web01 0 700[12] web01$" "$WORK/m1" &&
    grep -q "^web02 0 700[12] web02$" "$WORK/m1" &&
    pass "store: one port each, host names web01, web02" || fail "mappings: $(cat "$WORK/m1")"
wait_for 20 sh -c "[ \$(grep -c 'guest connected' '$WORK/pscon.log') -ge 2 ]" &&
    pass "both guests connected to pscon" || fail "pscon: $(tail -n 5 "$WORK/pscon.log")"

# web02 stays down once stopped (a boot pass starts power-on VMs).
ps vm set web02 --power off

# --- SIGTERM, start again: nothing freed, nothing allocated
kill -TERM "$DPID"; wait "$DPID"
mappings > "$WORK/m2"
cmp -s "$WORK/m1" "$WORK/m2" && pass "SIGTERM: the allocations stay" ||
    fail "after SIGTERM: $(cat "$WORK/m2")"
start_daemon
check "hvagent restarted (pass)" "$WORK/d.err" "pass (boot)"
sleep 1
mappings > "$WORK/m3"
cmp -s "$WORK/m1" "$WORK/m3" && ! grep -q "console port.* freed\|on concentrator port" "$WORK/d.err" &&
    pass "restart: the same ports, no free and no re-allocation" ||
    fail "after restart: $(cat "$WORK/m3"); $(grep -i console "$WORK/d.err")"
! grep -q "guest disconnected" "$WORK/pscon.log" &&
    pass "the guests' console connections never closed" ||
    fail "pscon: $(grep disconnected "$WORK/pscon.log")"

# --- SIGKILL; meanwhile web01 crashes and web02 is destroyed
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
p1=$(qpid web01)
[ -n "$p1" ] && kill -KILL "$p1"
vsh destroy web02 > /dev/null 2>&1
wait_for 10 sh -c "virsh -c '$U' domstate web01 | grep -q 'shut off'" &&
    pass "agent down: web01's qemu killed ($(vsh domstate --reason web01 | head -n 1)), web02 destroyed" ||
    fail "web01: $(vsh domstate --reason web01)"
start_daemon
check "hvagent: the crash found at its start" "$WORK/d.err" \
    "while the agent was not running"
check "hvagent: web01's restart policy applied" "$WORK/d.err" \
    "vm 'web01': crashed; restarted from the consistency image 'cons'"
wait_for 10 sh -c "virsh -c '$U' domstate web01 | grep -q running" &&
    pass "web01 running again" || fail "web01: $(vsh domstate web01)"
ps vm show web01 | grep -q "^restart-log.*consistency" &&
    pass "store: the restart logged" || fail "restart log: $(ps vm show web01 | grep restart-log)"
check "hvagent: web02's port freed" "$WORK/d.err" "vm 'web02': stopped: 1 console port freed"
mappings > "$WORK/m4"
grep -q "^web01 " "$WORK/m4" && ! grep -q "^web02 " "$WORK/m4" &&
    pass "store: web01 keeps a port, web02's is gone" || fail "mappings: $(cat "$WORK/m4")"
check "pscon: web02's port removed" "$WORK/pscon.log" "(web02): no longer mapped"
[ -L "$WORK/run/web01.sock" ] && [ ! -e "$WORK/run/web02.sock" ] &&
    pass "links: web01's kept, web02's removed" || fail "links: $(ls -l "$WORK/run")"

# --- someone else starts web02 (virsh start): allocated at the event,
# QEMU reconnects to the new link within a second.
n0=$(grep -c "(web02): guest connected" "$WORK/pscon.log")
vsh start web02 > /dev/null 2>&1 || fail "virsh start web02"
check "hvagent: web02 allocated after its start event" "$WORK/d.err" \
    "vm 'web02': serial port 0 on concentrator port 700"
wait_for 15 sh -c "[ \$(grep -c '(web02): guest connected' '$WORK/pscon.log') -gt $n0 ]" &&
    pass "web02's QEMU reached its console (reconnect)" ||
    fail "pscon: $(tail -n 4 "$WORK/pscon.log")"

# --- console keys are read at start: a SIGHUP that changes them keeps them
sed -i 's/^console_first = 7001$/console_first = 7100/' "$CONF"
kill -HUP "$DPID"
check "SIGHUP: changed console keys kept, with a warning" "$WORK/d.err" \
    "console keys changed: they take effect when the agent starts again"

# --- a BMC that does not answer: one error, not one per pass
printf 'pw\n' > "$WORK/pw" && chmod 600 "$WORK/pw"
BPORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
lv_hv_conf "$WORK/bad.conf" "uri = test:///default" "domain_type = auto" \
    "console = bmc" \
    "console_bmc = 127.0.0.1:$BPORT" "console_bmc_password_file = $WORK/pw"
"$PSCTL" -q -i "$WORK/bad.img" init > /dev/null 2>&1 &&
    "$PSCTL" -q -i "$WORK/bad.img" vm create t1 --power on > /dev/null 2>&1
"$HVAGENT" -c "$WORK/bad.conf" -i "$WORK/bad.img" --once > /dev/null \
    2> "$WORK/bad.err"
[ "$(grep -c "console: .*(the BMC is asked again in 30 s)" "$WORK/bad.err")" -eq 1 ] &&
    grep -q "vm 't1': started" "$WORK/bad.err" &&
    pass "an unreachable BMC: one error, the VM still started" ||
    fail "unreachable BMC: $(grep -i 'console\|start' "$WORK/bad.err" | head -5)"

# --- everything stopped: nothing left running from $WORK
cleanup; trap - EXIT INT TERM HUP
! pgrep -f "$WORK/" > /dev/null && pass "nothing left running from \$WORK" ||
    fail "left running: $(pgrep -af "$WORK/")"
