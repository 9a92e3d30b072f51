# End-to-end: pscon under systemd's fd store protocol (issue 16), with
# tests/e2e/sd_fdstore.py standing in for systemd (no systemd here): the
# service stores each fd with FDSTORE=1 / FDPOLL=0 / FDNAME=, says
# READY=1, removes what it closes with FDSTOREREMOVE=1; after a SIGKILL it
# is started with the stored fds as LISTEN_FDS / LISTEN_FDNAMES and the
# guest's connection, backlog and offsets go on.
echo "== pscon: the systemd fd store"
. "$ROOT/tests/e2e/console_lib.sh"

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con >/dev/null 2>&1 ||
    fail "sd: preparing the image"
mkfifo "$WORK/ctl"
python3 "$ROOT/tests/e2e/sd_fdstore.py" "$WORK" -- "$PSCON" --run-dir "$WORK/run" \
    --socket "$S" --log-dir "$WORK/logs" --store "$IMG" < "$WORK/ctl" \
    > "$WORK/sd.out" 2> "$WORK/sd.err" & SD=$!; PIDS="$PIDS $SD"
exec 7<>"$WORK/ctl"
file_has "$WORK/sd.out" ready && pass "sd: READY=1 reaches the notify socket" ||
    fail "sd: no READY: $(cat "$WORK/sd.err" "$WORK/svc.log")"
"$PSCON_TEST" counter "$WORK/run/port-7001" 10 "$WORK/sent" "$WORK/gin" &
GUEST=$!; PIDS="$PIDS $GUEST"
file_has "$WORK/svc.log" "guest connected"
# (the store's receiver runs beside its command reader: ask until it has it)
has_names() {
    i=0
    while [ $i -lt 30 ]; do
        echo names >&7; sleep 0.1
        grep -qx "names $1" "$WORK/sd.out" && return 0
        i=$((i + 1))
    done
    return 1
}
has_names "clients gst-7001 lis-7001 mem-7001" &&
    pass "sd: the client socket, the guest, the port listener and its memfd are stored" ||
    fail "sd: stored: $(grep names "$WORK/sd.out")"
"$PSCTL" console --socket "$S" web01 --spy < /dev/null > "$WORK/view" \
    2> "$WORK/view.err" & VIEW=$!; PIDS="$PIDS $VIEW"
file_has "$WORK/view" "counter 000020"
echo kill >&7
file_has "$WORK/svc.log" "restart: 4 file descriptors handed over" &&
    pass "sd: after a SIGKILL the service gets its fds back as LISTEN_FDS" ||
    fail "sd: $(tail -5 "$WORK/svc.log"; cat "$WORK/sd.err")"
file_has "$WORK/view.err" "resumed at offset" &&
    pass "sd: the viewer resumed" || fail "sd: viewer: $(cat "$WORK/view.err")"
sleep 0.5
kill "$GUEST"; wait "$GUEST" 2>/dev/null; sleep 0.3
kill "$VIEW" 2>/dev/null; wait "$VIEW" 2>/dev/null
! grep -q 'PORT CLOSED' "$WORK/gin" && cmp -s "$WORK/sent" "$WORK/view" &&
    pass "sd: port kept open across the crash, viewer byte-identical ($(wc -l < "$WORK/sent") lines)" ||
    fail "sd: $(cat "$WORK/gin"; cmp "$WORK/sent" "$WORK/view" 2>&1)"
file_has "$WORK/svc.log" "guest disconnected"
has_names "clients lis-7001 mem-7001" &&
    pass "sd: the guest's fd is removed from the store when it goes (FDSTOREREMOVE)" ||
    fail "sd: after the guest went: $(grep names "$WORK/sd.out" | tail -n 1)"
echo stop >&7
wait "$SD" 2>/dev/null
[ "$(grep '^names' "$WORK/sd.out" | tail -n 1)" = "names " ] &&
    pass "sd: a stop (SIGTERM) empties the store" ||
    fail "sd: after stop: $(grep names "$WORK/sd.out" | tail -n 1)"
exec 7>&-
! grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" &&
    pass "sd: no sanitizer report" ||
    fail "sd: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log")"
for p in $PIDS; do kill "$p" 2>/dev/null; done
