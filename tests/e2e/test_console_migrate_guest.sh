# e2e: alone
# A real guest's console across live migrations (issue 16, seed 002):
# two session libvirtds on this machine (host UUIDs of their own), each
# with its hvagent (console = local; host 1's store holds the VM and its
# port, host 2's store is empty), one pscon; Debian's cloud kernel with a
# busybox initramfs printing "counter N" every 10 ms and echoing input
# lines numbered ("got K LINE"; tests/e2e/guest/build-guest.sh,
# rdinit=/counter), under QEMU TCG.  `virsh migrate --live` to host 2 and
# back, and one migration aborted (virsh domjobabort) while input is
# typed: a psctl console viewer attached throughout and the port's log
# each hold every counter exactly once, in order; every typed line
# reached the guest once, in order; the concentrator port stays the same
# and is never freed.  Store side: after each migration the destination's
# hvagent moves the VM's store object (migration_peers; pstate's VM move)
# into its own store -- its serial mapping on the same port -- and it is
# gone from the other; pscon, serving both stores, keeps the port open
# through the move (one port, moved from store to store).
# Environment: HVAGENT, PSCON (make e2e).
echo "console: a real guest's console across live migrations"
. "$E2E_DIR/console_migrate_lib.sh"

migrate "$U1" "$U2" "to host 2"
[ "$(virsh -c "$U2" domstate web01 2>&1)" = running ] && pass "web01 runs on host 2" ||
    fail "host 2: $(virsh -c "$U2" domstate web01 2>&1)"
check "host 2's hvagent began the handover" "$WORK/d2.err" "console port $CPORT: migration begin"
check "host 1's hvagent told the pause" "$WORK/d1.err" "console port $CPORT: migration paused"
check "host 2's hvagent attached its QEMU" "$WORK/d2.err" "console port $CPORT: the destination (this host) attached"
check "host 1's hvagent: migrated away, the ports go with it" "$WORK/d1.err" "vm 'web01': migrated away"
check "pscon: destination attached" "$WORK/pscon.log" "migration: destination attached"
# The store object followed it: in host 2's store (the same port), gone
# from host 1's; pscon moved the port between its stores, never closed it.
L2() { "$PSCTL" -q -i "$IMG2" "$@"; }
# on_host H: web01 at home in host H's store only, its mapping on CPORT.
on_host() {
    if [ "$1" = 2 ]; then A=L2 B=L; else A=L B=L2; fi
    $A vm show web01 > "$WORK/vm.show" 2>&1 && ! grep -q '^move-' "$WORK/vm.show" &&
        ! $B vm show web01 > /dev/null 2>&1 &&
        [ "$($A serial mappings | awk '$1 == "web01" { print $3 }')" = "$CPORT" ]
}
check "host 2's hvagent moved the store object in" "$WORK/d2.err" \
    "vm 'web01': its store object moved here from image:$IMG"
wait_for 10 on_host 2 &&
    pass "web01 is in host 2's store (serial mapping on port $CPORT), gone from host 1's" ||
    fail "after the move: host 1: $(L vm show web01 2>&1 | head -3); host 2: $(L2 serial mappings 2>&1)"
check "pscon: the port moved between its stores, kept" "$WORK/pscon.log" \
    "moved from store $IMG to store $IMG2"
sleep 1
migrate "$U2" "$U1" "back to host 1"
[ "$(virsh -c "$U1" domstate web01 2>&1)" = running ] && pass "web01 runs on host 1 again" ||
    fail "host 1: $(virsh -c "$U1" domstate web01 2>&1)"
i=0; while [ $i -lt 100 ] && [ "$(grep -c 'destination attached' "$WORK/pscon.log")" -lt 2 ]; do
    sleep 0.1; i=$((i + 1)); done
[ "$(grep -c 'destination attached' "$WORK/pscon.log")" -eq 2 ] &&
    pass "pscon: the destination attached again (host 1)" || fail "pscon: $(grep migration "$WORK/pscon.log")"
check "host 1's hvagent moved the store object back" "$WORK/d1.err" \
    "vm 'web01': its store object moved here from image:$IMG2"
wait_for 10 on_host 1 &&
    pass "web01 is in host 1's store again (port $CPORT), gone from host 2's" ||
    fail "after the move back: host 2: $(L2 vm show web01 2>&1 | head -3); host 1: $(L serial mappings 2>&1)"
sleep 1

# An aborted migration: domjobabort once host 2's QEMU holds the port.
n0=$(grep -c 'migration begun' "$WORK/pscon.log")
virsh -c "$U1" migrate --live web01 "$U2" --migrateuri "tcp://127.0.0.1:$MPORT" \
    --bandwidth 16 > "$WORK/mig.out" 2>&1 & M=$!
i=0; while [ $i -lt 100 ] && [ "$(grep -c 'migration begun' "$WORK/pscon.log")" -le "$n0" ]; do
    sleep 0.05; i=$((i + 1)); done
( sleep 0.5; virsh -c "$U1" domjobabort web01 > "$WORK/abort.out" 2>&1 ) &
type_during "$M"
wait "$M" && fail "the aborted migration succeeded" ||
    pass "virsh domjobabort: the migration failed ($(tr -d '\n' < "$WORK/mig.out" | cut -c1-60))"
[ "$(virsh -c "$U1" domstate web01 2>&1)" = running ] && pass "web01 still runs on host 1" ||
    fail "host 1 after the abort: $(virsh -c "$U1" domstate web01 2>&1)"
check "pscon: aborted, back to the source" "$WORK/pscon.log" "migration aborted"
sleep 1

# --- every counter once, in order; every typed line once, in order
r=$(counters_ok "$WORK/view") && pass "viewer: counters $r consecutive, none twice or missing across 3 events" ||
    fail "viewer: counters: $r"
LOGF=$WORK/plog/web01.log
r=$(sed 's/^\[[^]]*\] //' "$LOGF" | counters_ok /dev/stdin) &&
    pass "pscon's log: counters $r consecutive" || fail "log: counters: $r"
check "the guest echoed the last typed line" "$WORK/view" "in-$(printf %04d $((TYPED - 1)))" 10
r=$(got_ok "$WORK/view" "$TYPED") && pass "all $TYPED typed lines reached the guest once, in order" ||
    fail "input: $r"
[ "$(L serial mappings | awk '$1 == "web01" { print $3 }')" = "$CPORT" ] &&
    pass "the concentrator port stayed $CPORT (host 1's store)" || fail "mappings: $(L serial mappings)"
! grep -q "no longer mapped\|in no store now\|console port.* freed" "$WORK/pscon.log" "$WORK/d1.err" "$WORK/d2.err" &&
    pass "the port was never freed" || fail "freed: $(grep 'freed\|no longer' "$WORK/pscon.log" "$WORK/d1.err")"
grep "migration: destination attached\|migration aborted" "$WORK/pscon.log" | sed 's/^pscon: [^ ]* /  pscon: /'
grep -q "runtime error\|AddressSanitizer" "$WORK/pscon.log" "$WORK/d1.err" "$WORK/d2.err" &&
    fail "sanitizer report" || pass "no sanitizer report"

# --- everything stopped: nothing left running from $WORK
cleanup; trap - EXIT INT TERM HUP
! pgrep -f "$WORK/" > /dev/null && pass "nothing left running from \$WORK" ||
    fail "left running: $(pgrep -af "$WORK/")"
