# End-to-end: `psctl --bmc HOST console` resumes across restarts of pscon
# (issue 16; docs/console.md "Over --bmc"): a guest stand-in writes a
# counter line every 10 ms; the viewer, on the BMC's web endpoint, stays
# attached across (a) a deliberate restart (SIGUSR2: re-exec) and (b) a
# SIGKILL of the worker under pscon --hold, reconnecting by itself with
# its login kept.  It must show exactly the bytes the guest sent, once,
# in order; input typed around each event reaches the guest once, in
# order.
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e sets them).
echo "== psctl console --bmc: resume across pscon restarts"
. "$ROOT/tests/e2e/console_lib.sh"
resumes() { grep -c 'resumed at offset' "$WORK/view.err"; }
wait_resumes() { # N: the viewer resumed N times (60 s: ASan, a loaded machine)
    i=0; while [ $i -lt 600 ] && [ "$(resumes)" -lt "$1" ]; do sleep 0.1; i=$((i + 1)); done
    [ "$(resumes)" -ge "$1" ]
}

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 || fail "bmc resume: preparing the image"
web_pscon --hold
"$PSCON_TEST" counter "$WORK/run/port-7001" 10 "$WORK/sent" "$WORK/gin" &
GUEST=$!; PIDS="$PIDS $GUEST"

mkfifo "$WORK/kbd"
IPMI_PASSWORD=$APASS "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin console web01 \
    --insecure --retry 20 < "$WORK/kbd" > "$WORK/view" 2> "$WORK/view.err" &
VIEW=$!; PIDS="$PIDS $VIEW"
exec 8<>"$WORK/kbd"
file_has "$WORK/view" "counter 000010" && pass "bmc resume: the viewer sees the counter" ||
    fail "bmc resume: viewer: $(cat "$WORK/view.err")"
printf 'one\r' >&8
file_has "$WORK/gin" "one" && pass "bmc resume: input reaches the guest" ||
    fail "bmc resume: input: $(cat "$WORK/gin")"

# (a) A deliberate restart; keys typed right after it.
W1=$(worker)
kill -USR2 "$W1"
printf 'two\r' >&8
file_has "$WORK/svc.log" "re-exec" && wait_resumes 1 &&
    pass "bmc resume: reconnected and resumed after a SIGUSR2 restart" ||
    fail "bmc resume: after (a): $(cat "$WORK/view.err"; tail -3 "$WORK/svc.log")"
sleep 0.5
printf 'three\r' >&8
sleep 0.3

# (b) SIGKILL of the worker; the holder starts another with the fds.
kill -KILL "$W1"
printf 'four\r' >&8
file_has "$WORK/svc.log" "killed by signal 9" && wait_resumes 2 &&
    pass "bmc resume: reconnected and resumed after a SIGKILL of the worker" ||
    fail "bmc resume: after (b): $(cat "$WORK/view.err"; tail -3 "$WORK/svc.log")"
sleep 0.5
printf 'five\r' >&8
file_has "$WORK/gin" "five" || fail "bmc resume: 'five' not at the guest"

# The guest stops; the last lines through; ^Ec. detaches (exit 0).
# (detached once the viewer has as many bytes as the guest sent: a fixed
# half second was short on a loaded machine)
kill "$GUEST"; wait "$GUEST" 2>/dev/null
i=0
while [ "$(stat -c %s "$WORK/view")" -lt "$(stat -c %s "$WORK/sent")" ] && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1)); done
detach_view "$VIEW"; rc=$?
[ $rc -eq 0 ] && pass "bmc resume: ^Ec. detaches after the resumes, exit 0" ||
    fail "bmc resume: exit $rc: $(cat "$WORK/view.err")"
exec 8>&-

n=$(counters_ok "$WORK/sent")
[ "${n:-0}" -gt 100 ] && pass "bmc resume: the guest wrote $n counter lines" ||
    fail "bmc resume: guest wrote ${n:-0}"
v=$(counters_ok "$WORK/view") && cmp -s "$WORK/sent" "$WORK/view" &&
    pass "bmc resume: every counter line seen once, in order ($v lines, byte-identical)" ||
    fail "bmc resume: viewer output differs: $v; $(cmp "$WORK/sent" "$WORK/view" 2>&1)"
[ "$(tr -d '\r' < "$WORK/gin")" = "onetwothreefourfive" ] &&
    pass "bmc resume: input typed around both events reached the guest once, in order" ||
    fail "bmc resume: guest input: $(od -c "$WORK/gin" | head -3)"
[ "$(grep -c 'web: 1 login session kept' "$WORK/svc.log")" -ge 2 ] &&
    pass "bmc resume: the login session kept across both (no new login)" ||
    fail "bmc resume: sessions: $(grep 'web:' "$WORK/svc.log" | tail -3)"

! grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" "$WORK/view.err" &&
    pass "bmc resume: no sanitizer report" ||
    fail "bmc resume: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log" "$WORK/view.err")"
for p in $PIDS; do kill "$p" 2>/dev/null; done
