# End-to-end: `psctl --bmc HOST console` when a message for the WebSocket
# cannot be queued (memory ran out; the test hook PSCTL_TEST_WQ_FAIL=N
# makes the bridge's Nth message fail so).  The service numbers the
# bridge's input by counting the bytes it gets, so a message left out
# would shift the stream: the next bytes would take its offsets, be
# acknowledged in its place, and it would never reach the guest.  The
# queue (bmc-shim/console/con_wq.c, the service's own) breaks instead,
# the bridge closes the WebSocket, and the session reconnects and sends
# the unacknowledged input again: every typed line reaches the guest
# once, in order (docs/console.md "Over --bmc").
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e sets them).
echo "== psctl console --bmc: a message that cannot be queued closes the WebSocket"
. "$ROOT/tests/e2e/console_lib.sh"

web01_image "bmc wq"
web_pscon
counter_guest

mkfifo "$WORK/kbd"
PSCTL_TEST_WQ_FAIL=3 IPMI_PASSWORD=$APASS "$PSCTL" --bmc "127.0.0.1:$PORT" \
    -U admin console web01 --insecure --retry 20 < "$WORK/kbd" \
    > "$WORK/view" 2> "$WORK/view.err" &
VIEW=$!; PIDS="$PIDS $VIEW"
exec 8<>"$WORK/kbd"
file_has "$WORK/view" "counter 000005" || fail "bmc wq: no output: $(cat "$WORK/view.err")"
# One message per line: each waits for the one before at the guest.
printf 'one\r' >&8; file_has "$WORK/gin" "one" || fail "bmc wq: 'one' not at the guest"
printf 'two\r' >&8; file_has "$WORK/gin" "two" || fail "bmc wq: 'two' not at the guest"
printf 'three\r' >&8   # the bridge's third message: cannot be queued
file_has "$WORK/view.err" "resumed at offset" &&
    pass "bmc wq: the message that could not be queued closed the WebSocket; the session resumed" ||
    fail "bmc wq: no reconnect after the failed message: $(tr '\r' ' ' < "$WORK/view.err" | tail -c 300)"
printf 'four\r' >&8; file_has "$WORK/gin" "four" || fail "bmc wq: 'four' not at the guest"
[ "$(tr -d '\r' < "$WORK/gin")" = "onetwothreefour" ] &&
    pass "bmc wq: every typed line reached the guest once, in order" ||
    fail "bmc wq: guest input: $(tr '\r' ' ' < "$WORK/gin")"
file_has "$WORK/view" 'counter 000050' 30 && n=$(counters_ok "$WORK/view") &&
    pass "bmc wq: the output stayed exact across the reconnect ($n lines)" ||
    fail "bmc wq: viewer output: $(counters_ok "$WORK/view")"
detach_view "$VIEW"; rc=$?
[ $rc -eq 0 ] && pass "bmc wq: ^Ec. detaches, exit 0" ||
    fail "bmc wq: exit $rc: $(tr '\r' ' ' < "$WORK/view.err" | tail -c 300)"
exec 8>&-
! grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" "$WORK/view.err" &&
    pass "bmc wq: no sanitizer report" ||
    fail "bmc wq: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log" "$WORK/view.err")"
for p in $PIDS; do kill "$p" 2>/dev/null; done
