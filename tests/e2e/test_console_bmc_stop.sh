# End-to-end: `psctl --bmc HOST console` and a stop of pscon (SIGTERM:
# the service stops for good; docs/console.md "psctl console", NOTICE
# kind 8).  The service tells every session before it closes; over the
# web endpoint the notice must reach each viewer ahead of the
# WebSocket's close, so the viewer says it, does not reconnect and ends
# at once (exit 7) instead of retrying until --retry runs out.  The web
# thread used to be ended before it had read the notices: most of three
# viewers missed it at every stop.  ROUNDS=N repeats (a new service and
# viewers each time).
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e sets them).
echo "== psctl console --bmc: a stop of pscon ends the viewers, no reconnect"
. "$ROOT/tests/e2e/console_lib.sh"

web01_image "bmc stop"

ROUNDS=${ROUNDS:-1} VIEWERS=${VIEWERS:-3}
# stdin held open (a fifo nobody writes): only the service ends a session
mkfifo "$WORK/kbd"; exec 8<>"$WORK/kbd"
bad=0 r=0
while [ $r -lt "$ROUNDS" ] && [ $bad -eq 0 ]; do
    r=$((r + 1))
    : > "$WORK/svc.log" # (web_pscon waits for its line in it)
    web_pscon
    counter_guest
    VIEWS= v=0
    while [ $v -lt "$VIEWERS" ]; do
        v=$((v + 1))
        IPMI_PASSWORD=$APASS "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin \
            console web01 --spy --insecure --retry 30 < "$WORK/kbd" \
            > "$WORK/view$v" 2> "$WORK/view$v.err" &
        VIEWS="$VIEWS $!"; PIDS="$PIDS $!"
    done
    v=0
    for p in $VIEWS; do
        v=$((v + 1))
        file_has "$WORK/view$v" "counter 0000" ||
            { fail "bmc stop: viewer $v: no output: $(cat "$WORK/view$v.err")"; bad=1; }
    done
    kill -TERM "$SVC"; wait "$SVC" 2>/dev/null
    # They end by themselves, long before --retry (30 s) would run out
    # (15 s: ASan on a loaded machine; at once when they work).
    i=0
    while [ $i -lt 150 ]; do
        left=0
        for p in $VIEWS; do kill -0 "$p" 2>/dev/null && left=1; done
        [ $left -eq 0 ] && break
        sleep 0.1; i=$((i + 1))
    done
    v=0
    for p in $VIEWS; do
        v=$((v + 1))
        if kill -0 "$p" 2>/dev/null; then
            kill "$p"; rc=running
        else
            wait "$p"; rc=$?
        fi
        if [ "$rc" != 7 ] || ! grep -q 'console service is stopping' "$WORK/view$v.err" ||
           grep -q 'reconnecting' "$WORK/view$v.err"; then
            fail "bmc stop: round $r viewer $v: exit $rc 15 s after the stop: $(tr '\r' ' ' < "$WORK/view$v.err" | tail -c 200)"
            bad=1
        fi
    done
    kill "$GUEST" 2>/dev/null; wait "$GUEST" 2>/dev/null
    grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" "$WORK"/view*.err &&
        { fail "bmc stop: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log" "$WORK"/view*.err)"; bad=1; }
done
[ $bad -eq 0 ] &&
    pass "bmc stop: $ROUNDS stop(s), $VIEWERS viewers each: every viewer showed the stop notice, did not reconnect, exit 7"
exec 8>&-
for p in $PIDS; do kill "$p" 2>/dev/null; done
