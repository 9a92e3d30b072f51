# End-to-end: the console service survives its own restart (issue 16).
# A guest stand-in writes a counter line every 10 ms into a port; a
# psctl console viewer stays attached across (a) a deliberate restart
# (SIGUSR2: re-exec keeping the fds) and (b) a SIGKILL of the worker
# under pscon --hold.  The viewer and the port's log must each hold
# exactly the bytes the guest sent; input typed during each event reaches
# the guest once, in order; the guest never sees its port close.
# Environment: PSCON, PSCON_TEST (make e2e sets them).
echo "== pscon: restarts keep every byte"
. "$ROOT/tests/e2e/console_lib.sh"

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 || fail "restart: preparing the image"

mkdir "$WORK/crash"
PSCON_CRASH_DIR=$WORK/crash setsid "$PSCON" --hold --run-dir "$WORK/run" --socket "$S" \
    --log-dir "$WORK/logs" --store "$IMG" 2> "$WORK/svc.log" & HOLD=$!
PIDS="$PIDS $HOLD"
file_has "$WORK/svc.log" "serving" 10 && pass "restart: pscon --hold serving" ||
    fail "restart: not serving: $(cat "$WORK/svc.log")"

"$PSCON_TEST" counter "$WORK/run/port-7001" 10 "$WORK/sent" "$WORK/gin" &
GUEST=$!; PIDS="$PIDS $GUEST"
mkfifo "$WORK/kbd"
"$PSCTL" console --socket "$S" web01 --retry 20 < "$WORK/kbd" \
    > "$WORK/view" 2> "$WORK/view.err" & VIEW=$!; PIDS="$PIDS $VIEW"
exec 8<>"$WORK/kbd"
file_has "$WORK/view" "counter 000010" && pass "restart: the viewer sees the counter" ||
    fail "restart: viewer: $(cat "$WORK/view.err")"
printf 'one\r' >&8
file_has "$WORK/gin" "one" && pass "restart: input reaches the guest" ||
    fail "restart: input: $(cat "$WORK/gin")"

# (a) A deliberate restart; keys typed right after it.
W1=$(worker)
kill -USR2 "$W1"
printf 'two\r' >&8
file_has "$WORK/svc.log" "re-exec" && pass "restart: SIGUSR2 re-execs" ||
    fail "restart: no re-exec: $(tail -5 "$WORK/svc.log")"
file_has "$WORK/view.err" "resumed at offset" &&
    pass "restart: the viewer reconnected and resumed (a)" ||
    fail "restart: viewer after (a): $(cat "$WORK/view.err")"
[ "$(worker)" = "$W1" ] && kill -0 "$W1" 2>/dev/null &&
    pass "restart: the same process after the re-exec" ||
    fail "restart: worker changed: $W1 -> $(worker)"
sleep 0.5
printf 'three\r' >&8
sleep 0.3

# (b) SIGKILL of the worker; the holder starts another with the fds.
kill -KILL "$W1"
printf 'four\r' >&8
file_has "$WORK/svc.log" "killed by signal 9" &&
    pass "restart: the holder saw the crash" ||
    fail "restart: holder: $(tail -5 "$WORK/svc.log")"
i=0; while [ $i -lt 100 ] && [ "$(grep -c 'resumed at offset' "$WORK/view.err")" -lt 2 ]; do
    sleep 0.1; i=$((i + 1)); done
[ "$(grep -c 'resumed at offset' "$WORK/view.err")" -ge 2 ] &&
    pass "restart: the viewer reconnected and resumed (b)" ||
    fail "restart: viewer after (b): $(cat "$WORK/view.err")"
grep -q 'port 7001: resumed at output offset .* gap 0 bytes' "$WORK/svc.log" &&
    pass "restart: the log states the crash's gap ($(grep -o 'gap [0-9]* bytes' "$WORK/svc.log" | tail -n 1))" ||
    fail "restart: no gap line: $(grep 'resumed' "$WORK/svc.log")"
sleep 0.5
printf 'five\r' >&8
sleep 0.5

# (c) Crashes at the worst steps (crash points armed by a file, see
# con_crash_point): output committed to the ring but still in the guest's
# socket; taken out of the socket but not yet recorded so; a log write
# done but not recorded.  Each restart must settle them exactly.
n=1
for point in read consume log; do
    touch "$WORK/crash/$point"
    n=$((n + 1)); i=0
    while [ $i -lt 100 ] && [ "$(grep -c 'killed by signal 9' "$WORK/svc.log")" -lt $n ]; do
        sleep 0.1; i=$((i + 1)); done
    while [ $i -lt 150 ] && [ "$(grep -c 'resumed at offset' "$WORK/view.err")" -lt $((n + 1)) ]; do
        sleep 0.1; i=$((i + 1)); done
    [ "$(grep -c 'resumed at offset' "$WORK/view.err")" -ge $((n + 1)) ] &&
        grep -q "crash point '$point': killed" "$WORK/svc.log" &&
        pass "restart: killed at step '$point', restarted, the viewer resumed" ||
        fail "restart: crash point $point: $(tail -4 "$WORK/svc.log")"
    sleep 0.3
done
grep -A8 "crash point 'read'" "$WORK/svc.log" | grep -Eq 'gap 0 bytes .*; [1-9][0-9]* bytes were being read' &&
    pass "restart: bytes committed but still in the socket taken out once" ||
    fail "restart: read point: $(grep -A8 "crash point 'read'" "$WORK/svc.log")"
grep -A8 "crash point 'log'" "$WORK/svc.log" | grep -q 'a log write redone' &&
    pass "restart: a log write cut short is done again" ||
    fail "restart: log point: $(grep -A8 "crash point 'log'" "$WORK/svc.log")"

# Stop the guest, let the last lines through, stop the viewer.
kill "$GUEST"; wait "$GUEST" 2>/dev/null
sleep 0.5
kill "$VIEW" 2>/dev/null; wait "$VIEW" 2>/dev/null
exec 8>&-

n=$(counters_ok "$WORK/sent")
[ "${n:-0}" -gt 100 ] && pass "restart: the guest wrote $n counter lines" ||
    fail "restart: guest wrote ${n:-0}"
! grep -q 'PORT CLOSED' "$WORK/gin" &&
    pass "restart: the guest never saw its port close" ||
    fail "restart: the guest's port closed"
v=$(counters_ok "$WORK/view") && cmp -s "$WORK/sent" "$WORK/view" &&
    pass "restart: the viewer saw every counter once, in order ($v lines, byte-identical)" ||
    fail "restart: viewer output differs: $v; $(cmp "$WORK/sent" "$WORK/view" 2>&1)"
sed 's/^\[[0-9T:Z-]*\] //' "$WORK/logs/web01-con.log" > "$WORK/logged"
cmp -s "$WORK/sent" "$WORK/logged" &&
    pass "restart: the log has every byte once ($(wc -c < "$WORK/logged") bytes)" ||
    fail "restart: log differs: $(cmp "$WORK/sent" "$WORK/logged" 2>&1)"
[ "$(tr -d '\r' < "$WORK/gin")" = "onetwothreefourfive" ] &&
    pass "restart: input typed across both events reached the guest once, in order" ||
    fail "restart: guest input: $(od -c "$WORK/gin" | head -3)"

kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null

# A plain pscon (no holder, no systemd): SIGUSR2 alone keeps the port.
"$PSCON" --run-dir "$WORK/run2" --socket "$WORK/c2.sock" --store "$IMG" \
    --log-dir "$WORK/logs2" 2> "$WORK/svc2.log" & SVC2=$!; PIDS="$PIDS $SVC2"
file_has "$WORK/svc2.log" "serving" || fail "restart: plain pscon: $(cat "$WORK/svc2.log")"
"$PSCON_TEST" counter "$WORK/run2/port-7001" 10 "$WORK/sent2" "$WORK/gin2" &
GUEST=$!; PIDS="$PIDS $GUEST"
"$PSCTL" console --socket "$WORK/c2.sock" web01 --spy < /dev/null \
    > "$WORK/view2" 2> "$WORK/view2.err" & VIEW=$!; PIDS="$PIDS $VIEW"
file_has "$WORK/view2" "counter 000005"
kill -USR2 "$SVC2"
file_has "$WORK/view2.err" "resumed at offset" &&
    pass "restart: a plain pscon re-execs on SIGUSR2; the spy resumed" ||
    fail "restart: plain re-exec: $(cat "$WORK/view2.err"; tail -3 "$WORK/svc2.log")"
sleep 0.5
kill "$GUEST"; wait "$GUEST" 2>/dev/null; sleep 0.3
# A stop is no restart: the service says so and the viewer ends.
kill "$SVC2"; wait "$SVC2" 2>/dev/null
i=0; while [ $i -lt 30 ] && kill -0 "$VIEW" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
! kill -0 "$VIEW" 2>/dev/null && grep -q 'service is stopping' "$WORK/view2.err" &&
    pass "restart: a stop (SIGTERM) ends the viewer at once, no reconnecting" ||
    fail "restart: after a stop: $(cat "$WORK/view2.err")"
kill "$VIEW" 2>/dev/null; wait "$VIEW" 2>/dev/null
! grep -q 'PORT CLOSED' "$WORK/gin2" && cmp -s "$WORK/sent2" "$WORK/view2" &&
    pass "restart: plain re-exec: port kept open, viewer byte-identical ($(wc -l < "$WORK/sent2") lines)" ||
    fail "restart: plain re-exec: $(cat "$WORK/gin2"; cmp "$WORK/sent2" "$WORK/view2" 2>&1)"
kill "$SVC2" 2>/dev/null; wait "$SVC2" 2>/dev/null
cat "$WORK/svc2.log" >> "$WORK/svc.log"

# A service of protocol version 1 (older than this psctl): the client
# falls back to version 1 and works, without resuming.
"$PSCON_TEST" oldsvc "$WORK/old.sock" & OLD=$!; PIDS="$PIDS $OLD"
i=0; while [ ! -S "$WORK/old.sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
timeout 10 "$PSCTL" console --socket "$WORK/old.sock" web01 < /dev/null \
    > "$WORK/old.out" 2> "$WORK/old.err"
grep -q 'hello from a v1 service' "$WORK/old.out" &&
    ! grep -q reconnecting "$WORK/old.err" &&
    pass "restart: psctl console speaks version 1 to a v1-only service" ||
    fail "restart: v1 fallback: $(cat "$WORK/old.out" "$WORK/old.err")"
kill "$OLD" 2>/dev/null
! grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" &&
    pass "restart: no sanitizer report" ||
    fail "restart: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log")"
for p in $PIDS; do kill "$p" 2>/dev/null; done
