# A real guest's console across a SIGKILL and restart of its hvagent, and
# across a deliberate restart of pscon (issue 16, Proof (c) and (a) with
# the real guest).  The set-up of console_migrate_lib.sh: host 1's hvagent
# runs web01 (Debian's cloud kernel, a busybox initramfs printing
# "counter N" every 10 ms and echoing typed lines numbered), a psctl
# console viewer attached throughout, a line typed every 50 ms during each
# event.  hvagent SIGKILLed, down for a second, started again: the
# concentrator port is neither freed nor allocated again, the guest's
# console connection never closes; pscon re-execs on SIGUSR2.  The viewer
# and the port's log each hold every counter exactly once, in order; every
# typed line reached the guest once, in order.
# Environment: HVAGENT, PSCON (make e2e).
echo "console: a real guest's console across hvagent and pscon restarts"
. "$E2E_DIR/console_migrate_lib.sh"

# (c) hvagent SIGKILL; typed lines while it is down and while it starts.
kill -KILL "$D1"; wait "$D1" 2>/dev/null; D1=
( sleep 1 ) & type_during $!
: > "$WORK/d1.err"
"$HVAGENT" -c "$WORK/hv1.conf" -i "$IMG" > "$WORK/d1.out" 2> "$WORK/d1.err" & D1=$!
( wait_for 30 has "$WORK/d1.err" "pass (boot)" ) & type_during $!
check "hvagent SIGKILLed and started again: its boot pass" "$WORK/d1.err" "pass (boot)"
[ "$(L serial mappings | awk '$1 == "web01" { print $3 }')" = "$CPORT" ] &&
    ! grep -q "on concentrator port\|console port.* freed" "$WORK/d1.err" &&
    pass "hvagent restart: port $CPORT kept, nothing freed or allocated again" ||
    fail "hvagent restart: $(L serial mappings; grep -i console "$WORK/d1.err")"
[ "$(virsh -c "$U1" domstate web01 2>&1)" = running ] &&
    ! grep -q "vm 'web01': \(started\|restarted\|crashed\)" "$WORK/d1.err" &&
    pass "hvagent restart: web01 ran on, not started again" ||
    fail "web01: $(virsh -c "$U1" domstate web01 2>&1); $(grep web01 "$WORK/d1.err")"

# (a) with the real guest: pscon re-execs keeping the guest's connection.
set -- $PIDS; PSC=$1
kill -USR2 "$PSC"
( wait_for 10 has "$WORK/view.err" "resumed at offset" ) & type_during $!
check "pscon SIGUSR2: the viewer resumed" "$WORK/view.err" "resumed at offset"
kill -0 "$PSC" 2>/dev/null && grep -q "re-exec" "$WORK/pscon.log" &&
    pass "pscon: the same process after its re-exec" ||
    fail "pscon: $(tail -n 4 "$WORK/pscon.log")"

# --- every counter once, in order; every typed line once, in order
check "the guest echoed the last typed line" "$WORK/view" "in-$(printf %04d $((TYPED - 1)))" 20
sleep 0.3
! grep -q "guest disconnected" "$WORK/pscon.log" &&
    pass "the guest's console connection never closed" ||
    fail "pscon: $(grep disconnected "$WORK/pscon.log")"
r=$(counters_ok "$WORK/view") && pass "viewer: counters $r consecutive across both events" ||
    fail "viewer: counters: $r"
r=$(sed 's/^\[[^]]*\] //' "$WORK/plog/web01.log" | counters_ok /dev/stdin) &&
    pass "pscon's log: counters $r consecutive" || fail "log: counters: $r"
r=$(got_ok "$WORK/view" "$TYPED") && pass "all $TYPED typed lines reached the guest once, in order" ||
    fail "input: $r"
grep -q "runtime error\|AddressSanitizer" "$WORK/pscon.log" "$WORK/d1.err" &&
    fail "sanitizer report" || pass "no sanitizer report"

cleanup; trap - EXIT INT TERM HUP
! pgrep -f "$WORK/" > /dev/null && pass "nothing left running from \$WORK" ||
    fail "left running: $(pgrep -af "$WORK/")"
