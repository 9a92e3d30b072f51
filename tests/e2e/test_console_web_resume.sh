# End-to-end: the console web page resumes across a restart of pscon
# (issue 16; protocol v2 on the page's WebSocket, docs/console.md "The
# web page"): a guest stand-in writes a counter line every 20 ms; the
# page in headless Chromium (tests/e2e/console_web_resume.js) shows it,
# pscon (under pscon --hold) is restarted (SIGUSR2: re-exec keeping the
# ports), then its worker is killed (SIGKILL: the holder starts another
# with the fds); each time the page reconnects by itself with its login
# kept, and its terminal's buffer holds every counter line exactly once,
# in order; what was typed before and during each event reaches the
# guest once.  A second console away
# while its guest writes more than the backlog holds shows the gap's
# exact size when it is back.
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e).
echo "== pscon: the web page resumes across a restart"
. "$ROOT/tests/e2e/console_lib.sh"
LINES=500

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L vm create web02 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 &&
    L serial allocate web02 1 --first 7002 --hostnames web02-con \
        >/dev/null 2>&1 || fail "web resume: preparing the image"
web_pscon --hold
: > "$WORK/sent"; : > "$WORK/in"
# (it holds at lines 200 and 400 until the page has resumed: go.1, go.2)
python3 "$ROOT/tests/e2e/console_counter.py" "$WORK/run/port-7001" "$LINES" 20 \
    "$WORK/sent" "$WORK/in" "$WORK/go" 200 & PIDS="$PIDS $!"

BASE="https://127.0.0.1:$PORT" PW="$PSCON_WEB/node_modules/playwright-core" \
    ADMIN_PASS=$APASS SVCLOG="$WORK/svc.log" SENT="$WORK/sent" LINES=$LINES HOST=web01-con \
    GO="$WORK/go" HOST2=web02-con FLOOD=400000 PSCON_TEST="$PSCON_TEST" \
    SOCK2="$WORK/run/port-7002" \
    timeout -s KILL 240 node "$ROOT/tests/e2e/console_web_resume.js" \
    > "$WORK/browser.out" 2>&1
report_lines "$WORK/browser.out"
[ $TAP_OK -eq 12 ] || fail "web resume: $TAP_OK of 12 browser checks passed"
grep -q "restart: re-exec" "$WORK/svc.log" && grep -q "killed by signal 9" "$WORK/svc.log" &&
    kill -0 "$SVC" 2>/dev/null &&
    pass "web resume: pscon restarted (re-exec), then its worker killed and started again" ||
    fail "web resume: no restart: $(tail -5 "$WORK/svc.log")"
[ "$(grep -c "web: 1 login session kept" "$WORK/svc.log")" -ge 2 ] &&
    pass "web resume: the login session kept across both" ||
    fail "web resume: sessions: $(grep 'web:' "$WORK/svc.log" | tail -3)"
[ "$(stat -c %a "$WORK/run/web-sessions")" = 600 ] &&
    grep -qx '[0-9a-f]\{64\} 4293918721 1 [0-9]* [0-9]* admin' "$WORK/run/web-sessions" &&
    pass "web resume: kept in the run directory, mode 600 (token hashes)" ||
    fail "web resume: $(ls -l "$WORK/run")"
# (acknowledged input may reach the guest's copy a moment later)
file_has "$WORK/in" "crash" 20
[ "$(tr '\r' ' ' < "$WORK/in")" = "before during crash " ] &&
    pass "web resume: typed before and during each event: each once, in order" ||
    fail "web resume: the guest got '$(cat -A "$WORK/in")'"
grep -q "resuming" "$WORK/svc.log" && pass "web resume: pscon logs the resuming attach" ||
    fail "web resume: $(grep attached "$WORK/svc.log")"
kill "$SVC"; wait "$SVC" 2>/dev/null
grep -q "AddressSanitizer\|runtime error" "$WORK/svc.log" &&
    fail "web resume: sanitizer: $(grep -m3 'Sanitizer\|runtime error' "$WORK/svc.log")" ||
    pass "web resume: no sanitizer report"
for p in $PIDS; do kill "$p" 2>/dev/null; done
