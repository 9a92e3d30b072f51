# console_migrate_lib.sh - two hypervisor hosts and a real guest whose
# console live-migrates between them (issue 16), shared by
# test_console_migrate_guest.sh and bench/bench_pscon_migrate.sh: two
# session libvirtds on this machine (host UUIDs of their own), each with
# its hvagent (console = local; host 1's store holds the VM and its port,
# host 2's store is empty; each names the other's store in
# migration_peers, so the VM's store object follows it), one pscon as
# nobody serving both stores; Debian's cloud kernel with
# a busybox initramfs printing "counter N" every 10 ms and echoing input
# lines numbered ("got K LINE"; guest/build-guest.sh, rdinit=/counter).
# web01 runs on host 1, a psctl console viewer attached ($WORK/view, keys
# on fd 8).  Defines migrate, type_during, counters_ok, got_ok; U1, U2,
# CPORT, PSOCK, TYPED.  Needs pass/fail (lib.sh), WORK, E2E_DIR, PSCTL,
# HVAGENT, PSCON.  Not named test_*.
: "${HVAGENT:?set HVAGENT}" "${PSCON:?set PSCON}"
. "$E2E_DIR/libvirtd_session.sh"

IMG=$WORK/store.img        # host 1's store (pscon serves its ports)
IMG2=$WORK/store2.img      # host 2's store
GUEST=$WORK/guest
PRUN=$WORK/prun
PSOCK=$WORK/psock/c.sock
MPORT=$(( 40000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
PIDS= D1= D2= LV1= LV2=
cleanup() {
    stop_pid "$D1"; stop_pid "$D2"
    for h in 1 2; do
        eval "LV=\$LVD$h LVPID=\$LV$h U=\$U$h"
        if [ -n "$LV" ]; then lv_kill_guests web01; stop_pid "$LVPID"; fi
    done
    for p in $PIDS; do stop_pid "$p"; done
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP
L() { "$PSCTL" -q -i "$IMG" "$@"; }
has() { grep -qF -- "$2" "$1" 2>/dev/null; }
check() { # check NAME FILE TEXT [SECONDS]
    if wait_for "${4:-20}" has "$2" "$3"; then pass "$1"
    else fail "$1: $2 lacks '$3': $(tail -n 3 "$2" 2>/dev/null)"; fi
}
# counters_ok FILE: the counter lines of FILE consecutive; prints
# "FIRST LAST" or why not.
counters_ok() {
    tr -d '\r' < "$1" | awk '/^counter [0-9]+$/ { n = $2 + 0
        if (seen && n != last + 1) { print "after " last " came " n; bad = 1; exit 1 }
        if (!seen) first = n; seen = 1; last = n }
        END { if (!bad) print first, last; exit bad }'
}
# got_ok FILE N: the guest's "got K in-K" lines are exactly 0..N-1.
got_ok() {
    tr -d '\r' < "$1" | awk -v want="$2" '/^got / { if ($2 + 0 != k || $3 != sprintf("in-%04d", k)) { print "line " k ": " $0; exit 1 } k++ }
        END { if (k != want) { print k " of " want " lines"; exit 1 } }'
}
TYPED=0
# type_during PID: a line every 50 ms while PID runs (and 3 more).
type_during() {
    extra=3
    while kill -0 "$1" 2>/dev/null || [ $extra -gt 0 ]; do
        kill -0 "$1" 2>/dev/null || extra=$((extra - 1))
        printf 'in-%04d\r' "$TYPED" >&8
        TYPED=$((TYPED + 1))
        sleep 0.05
    done
}

if "$E2E_DIR/guest/build-guest.sh" "$GUEST" > "$WORK/out" 2>&1; then
    pass "guest: kernel and a busybox initramfs (counter mode)"
else
    fail "guest: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi
mkdir -p "$WORK/run" "$WORK/log" "$WORK/psock" "$WORK/plog"
mkdir -m 700 "$PRUN"
# Two hosts' daemons: their own dirs, sockets and host UUIDs.  Host 1
# probes QEMU's capabilities (seconds per binary under load); host 2
# starts with a copy of that cache (same binaries, same uid, same
# machine; libvirt re-probes an entry it finds stale).
for h in 1 2; do
    LV=$WORK/lv$h SOCK=$LV/sock/libvirt-sock
    U="qemu+unix:///session?socket=$SOCK" LV_HOST_UUID=00000000-0000-4000-8000-00000000000$h
    [ $h = 1 ] || { mkdir -p "$LV/cache/libvirt" &&
        cp -a "$WORK/lv1/cache/libvirt/qemu" "$LV/cache/libvirt/"; } ||
        fail "host 2: host 1's capability cache"
    lv_start "$GUEST" "$WORK/log" "$PRUN" "$WORK/psock" "$WORK/plog"
    virsh -c "$U" capabilities > "$WORK/caps$h" 2>&1 || fail "host $h: capabilities: $(cat "$WORK/caps$h")"
    eval "LVD$h=\$LV LV$h=\$LVPID U$h=\$U"
done
[ "$(grep -o '<uuid>[^<]*' "$WORK/caps1")" != "$(grep -o '<uuid>[^<]*' "$WORK/caps2")" ] &&
    pass "two libvirt hosts with different host UUIDs" || fail "host UUIDs equal"

L init > /dev/null && L vm create web01 --memory 128MiB --cpus 1 --power off > /dev/null ||
    fail "store: web01"
"$PSCTL" -q -i "$IMG2" init > /dev/null || fail "store 2"
chmod 644 "$IMG" "$IMG2"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$PSCON" --run-dir "$PRUN" \
    --socket "$PSOCK" --log-dir "$WORK/plog" --store "$IMG" --store "$IMG2" \
    2> "$WORK/pscon.log" &
PIDS="$PIDS $!"
wait_for 10 test -S "$PSOCK" && pass "pscon serving (as nobody)" ||
    fail "pscon: $(cat "$WORK/pscon.log")"

# Both agents: the same serial_run_dir path (the domain's serial path
# must resolve on either host), the same concentrator.
for h in 1 2; do
    eval "U=\$U$h"
    [ $h = 1 ] && peer=$IMG2 || peer=$IMG
    lv_hv_conf "$WORK/hv$h.conf" "console = local" "console_endpoints = $PRUN" \
        "console_socket = $PSOCK" "migration_peers = image:$peer"
done
U=$U1
expect_exit 0 "host 1: hvagent --once defines web01" -- "$HVAGENT" -c "$WORK/hv1.conf" -i "$IMG" --once
virsh -c "$U1" dumpxml web01 | sed "s|</type>|</type><kernel>$GUEST/vmlinuz</kernel><initrd>$GUEST/initrd.gz</initrd><cmdline>console=ttyS0 panic=0 rdinit=/counter</cmdline>|" \
    > "$WORK/dom.xml"
virsh -c "$U1" define "$WORK/dom.xml" > /dev/null 2>&1 || fail "virsh define with the kernel"
L vm set web01 --power on
"$HVAGENT" -c "$WORK/hv1.conf" -i "$IMG" > "$WORK/d1.out" 2> "$WORK/d1.err" & D1=$!
"$HVAGENT" -c "$WORK/hv2.conf" -i "$IMG2" > "$WORK/d2.out" 2> "$WORK/d2.err" & D2=$!
check "host 1: web01 on a concentrator port" "$WORK/d1.err" "vm 'web01': serial port 0 on concentrator port"
CPORT=$(L serial mappings | awk '$1 == "web01" { print $3 }')
check "host 1: web01 started" "$WORK/d1.err" "vm 'web01': started"
check "pscon: the guest connected" "$WORK/pscon.log" "guest connected"

mkfifo "$WORK/kbd"
"$PSCTL" console --socket "$PSOCK" web01 --retry 30 < "$WORK/kbd" > "$WORK/view" \
    2> "$WORK/view.err" & PIDS="$PIDS $!"
exec 8<>"$WORK/kbd"
check "the viewer sees the guest's counter" "$WORK/view" "counter 20" 120
sleep 0.3
printf 'in-%04d\r' 0 >&8; TYPED=1
check "typed input reaches the guest" "$WORK/view" "got 0 in-0000"

# migrate FROM TO NAME: a live migration while typing; its seconds.
migrate() {
    t0=$(date +%s%N)
    virsh -c "$1" migrate --live web01 "$2" --migrateuri "tcp://127.0.0.1:$MPORT" \
        > "$WORK/mig.out" 2>&1 & M=$!
    type_during "$M"
    wait "$M"; rc=$?
    MPORT=$((MPORT + 1))
    [ $rc -eq 0 ] && pass "$3: virsh migrate --live ($(( ($(date +%s%N) - t0) / 1000000 )) ms)" ||
        fail "$3: virsh migrate: $(cat "$WORK/mig.out")"
}
