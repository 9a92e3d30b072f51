# The console clients' one reconnect schedule (docs/console.md
# "Reconnecting: one schedule"): the numbers are written once, in the
# doc's sentence; psctl console (cli/psctl_console.h) and the web page
# (bmc-shim/console/web/app.js, which cannot share C code) must carry the
# same, and the page's function must give the schedule's waits.  Then
# psctl runs it: a viewer whose service is gone for good tries no more
# often than the schedule allows and gives up at --retry.
# Environment: PSCON, PSCON_TEST (make e2e sets them).
echo "== console clients: one reconnect schedule"
. "$ROOT/tests/e2e/console_lib.sh"
DOC=$ROOT/docs/console.md APP=$ROOT/bmc-shim/console/web/app.js
HDR=$ROOT/cli/psctl_console.h

# The doc's sentence (it may be wrapped): MIN ms, FAST s, MAX s.
set -- $(tr '\n' ' ' < "$DOC" | sed -n 's/.*The schedule: the first try at once, then one every \([0-9]*\) ms until \([0-9]*\) s after the loss, then the wait doubles after each failed try, up to \([0-9]*\) s between tries\..*/\1 \2 \3/p')
if [ $# -eq 3 ]; then
    MIN=$1 FAST=$(($2 * 1000)) MAX=$(($3 * 1000))
    pass "retry: docs/console.md states the schedule ($MIN ms, $FAST ms, $MAX ms)"
else
    fail "retry: no schedule sentence in docs/console.md"; MIN=x FAST=x MAX=x
fi
c=$(sed -n 's/^#define PSCTL_CON_RETRY_\(MIN\|FAST\|MAX\)_MS *\([0-9]*\)u$/\2/p' "$HDR" | tr '\n' ' ')
[ "$c" = "$MIN $FAST $MAX " ] &&
    pass "retry: psctl console's numbers are the doc's" ||
    fail "retry: psctl_console.h has '$c', the doc '$MIN $FAST $MAX'"
j=$(sed -n 's/^const RETRY_MIN = \([0-9]*\), RETRY_FAST = \([0-9]*\), RETRY_MAX = \([0-9]*\);$/\1 \2 \3/p' "$APP")
[ "$j" = "$MIN $FAST $MAX" ] &&
    pass "retry: the web page's numbers are the doc's" ||
    fail "retry: app.js has '$j', the doc '$MIN $FAST $MAX'"

# The waits of a 20 s outage whose tries fail at once: the doc's
# schedule, and the page's retryWait run by node.
expect=$(awk -v min="$MIN" -v fast="$FAST" -v max="$MAX" 'BEGIN {
    t = 0; w = 0
    while (t < 20000) {
        w = (w == 0 || t < fast) ? min : (2 * w < max ? 2 * w : max)
        printf "%d ", w; t += w
    } }')
{ sed -n '/^const RETRY_MIN = /p; /^function retryWait(/,/^}/p' "$APP"
  echo 'let t = 0, w = 0, o = "";'
  echo 'while (t < 20000) { w = retryWait(w, t); o += w + " "; t += w; }'
  echo 'console.log(o);'
} > "$WORK/retry.js"
got=$(node "$WORK/retry.js" 2>&1)
[ "$got" = "$expect" ] && [ -n "$expect" ] &&
    pass "retry: the page's retryWait gives the doc's waits ($(echo $got | wc -w) tries in 20 s)" ||
    fail "retry: page's waits '$(echo $got | cut -c1-120)...' vs the doc's '$(echo $expect | cut -c1-120)...'"

# psctl: its service killed for good (no holder), a viewer gives up at
# --retry 6 (exit 7, no sooner), having tried at most as often as the
# schedule allows (105 tries in 6 s when each fails at once: every 50 ms
# to 5 s, then 5.1, 5.3, 5.7 and the last at 6 s).
web01_image "retry"
"$PSCON" --run-dir "$WORK/run" --socket "$S" --log-dir "$WORK/logs" \
    --store "$IMG" 2> "$WORK/svc.log" & SVC=$!; PIDS="$PIDS $SVC"
file_has "$WORK/svc.log" "serving" || fail "retry: pscon: $(cat "$WORK/svc.log")"
counter_guest
mkfifo "$WORK/kbd"; exec 8<>"$WORK/kbd"
"$PSCTL" console --socket "$S" web01 --retry 6 < "$WORK/kbd" > "$WORK/view" \
    2> "$WORK/view.err" & VIEW=$!; PIDS="$PIDS $VIEW"
file_has "$WORK/view" "counter 000005" || fail "retry: viewer: $(cat "$WORK/view.err")"
kill -KILL "$SVC"; wait "$SVC" 2>/dev/null
t0=$(date +%s%N)
wait "$VIEW"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
exec 8>&-
n=$(sed -n 's/.*the console service is gone (retried 6 s, \([0-9]*\) tries).*/\1/p' "$WORK/view.err")
[ $rc -eq 7 ] && [ "$ms" -ge 5000 ] && [ -n "$n" ] &&
    pass "retry: psctl gave up at --retry 6 ($ms ms after the kill), exit 7" ||
    fail "retry: exit $rc after $ms ms: $(tr '\r' ' ' < "$WORK/view.err" | tail -c 200)"
[ -n "$n" ] && [ "$n" -ge 2 ] && [ "$n" -le 105 ] &&
    pass "retry: psctl tried $n times in 6 s (the schedule allows 105 at most)" ||
    fail "retry: psctl tried '${n:-?}' times in 6 s (the schedule allows 105 at most)"
for p in $PIDS; do kill "$p" 2>/dev/null; done
