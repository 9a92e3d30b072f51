# End-to-end: `psctl --bmc HOST console` and a stop of pscon (SIGTERM:
# the service stops for good; docs/console.md "psctl console", NOTICE
# kind 8).  The service tells every session before it closes; over the
# web endpoint the notice must reach the viewer ahead of the WebSocket's
# close, so the viewer says it, does not reconnect and ends at once
# (exit 7) instead of retrying until --retry runs out.  Several rounds,
# each a new service and viewer: the notice raced the close.
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e sets them).
echo "== psctl console --bmc: a stop of pscon ends the viewer, no reconnect"
. "$ROOT/tests/e2e/console_lib.sh"

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 || fail "bmc stop: preparing the image"

ROUNDS=${ROUNDS:-5}
ok=0 r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    : > "$WORK/svc.log"
    web_pscon
    "$PSCON_TEST" counter "$WORK/run/port-7001" 10 "$WORK/sent" "$WORK/gin" &
    GUEST=$!; PIDS="$PIDS $GUEST"
    # stdin held open (a fifo), so only the service can end the session
    rm -f "$WORK/kbd"; mkfifo "$WORK/kbd"; exec 8<>"$WORK/kbd"
    IPMI_PASSWORD=$APASS "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin console \
        web01 --insecure --retry 30 < "$WORK/kbd" > "$WORK/view" \
        2> "$WORK/view.err" &
    VIEW=$!; PIDS="$PIDS $VIEW"
    if ! file_has "$WORK/view" "counter 000005"; then
        fail "bmc stop: round $r: no output: $(cat "$WORK/view.err")"
        break
    fi
    kill -TERM "$SVC"; wait "$SVC" 2>/dev/null
    # It ends by itself, long before --retry (30 s) would run out.
    i=0; while kill -0 "$VIEW" 2>/dev/null && [ $i -lt 100 ]; do
        sleep 0.1; i=$((i + 1)); done
    if kill -0 "$VIEW" 2>/dev/null; then
        kill "$VIEW"; wait "$VIEW" 2>/dev/null
        fail "bmc stop: round $r: the viewer still runs 10 s after the stop: $(tr '\r' ' ' < "$WORK/view.err" | tail -c 300)"
        kill "$GUEST" 2>/dev/null; exec 8>&-
        break
    fi
    wait "$VIEW"; rc=$?
    kill "$GUEST" 2>/dev/null; wait "$GUEST" 2>/dev/null
    exec 8>&-
    if [ $rc -eq 7 ] && grep -q 'console service is stopping' "$WORK/view.err" &&
       ! grep -q 'reconnecting' "$WORK/view.err"; then
        ok=$((ok + 1))
    else
        fail "bmc stop: round $r: exit $rc: $(tr '\r' ' ' < "$WORK/view.err" | tail -c 300)"
        break
    fi
done
[ $ok -eq "$ROUNDS" ] &&
    pass "bmc stop: in $ROUNDS rounds the viewer showed the stop notice, did not reconnect, exit 7"
grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" "$WORK/view.err" &&
    fail "bmc stop: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log" "$WORK/view.err")" ||
    pass "bmc stop: no sanitizer report"
for p in $PIDS; do kill "$p" 2>/dev/null; done
