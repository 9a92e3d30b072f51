# End-to-end: the console service pscon with fake guests (pscon-test) on
# ports mapped in a store image, and psctl console as the users.
# Environment: PSCON, PSCON_TEST (make e2e sets them).
echo "== pscon: the console service"
. "$ROOT/tests/e2e/console_lib.sh"
bg() { PIDS="$PIDS $!"; }
C() { "$PSCTL" console --socket "$S" "$@"; }
wait_for() { file_has "$@"; }
check() { # check NAME FILE TEXT: FILE shows TEXT (within 10 s)
    if wait_for "$2" "$3"; then pass "$1"
    else fail "$1: $2 lacks '$3': $(tail -c 300 "$2" 2>/dev/null)"; fi
}
# A user session: client N on TARGET with options; type into fd N+2 (dash: fds 0-9).
client() {
    n=$1; shift
    mkfifo "$WORK/in$n"
    C "$@" < "$WORK/in$n" > "$WORK/c$n.out" 2> "$WORK/c$n.err" & bg
    eval "exec $((n + 2))<>\"\$WORK/in$n\""
}
type_in() { printf "$2" >&$(( $1 + 2 )); }

chmod 711 "$WORK" # operators (nobody) reach the client socket
L init >/dev/null 2>&1 &&
    for vm in web01 web02 web03; do L vm create $vm >/dev/null 2>&1; done &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 &&
    L serial allocate web02 1 --first 7002 --hostnames web02-con \
        >/dev/null 2>&1 &&
    L serial allocate web03 1 --first 7003 --hostnames web03-con \
        >/dev/null 2>&1 || fail "pscon: preparing the image"

# Refusals at start: a world-writable parent, a group-readable run dir.
mkdir -p "$WORK/ww" && chmod 777 "$WORK/ww"
expect_exit 1 "pscon: run dir under a world-writable parent refused" -- \
    "$PSCON" --run-dir "$WORK/ww/run" --socket "$S" --store "$IMG"
expect_err "pscon: says why (world-writable)" "world-writable"
mkdir -m 750 "$WORK/open"
expect_exit 1 "pscon: a run dir of mode 0750 refused" -- \
    "$PSCON" --run-dir "$WORK/open" --socket "$S" --store "$IMG"
expect_err "pscon: says the mode" "mode 0700"
mkdir -m 700 "$WORK/real" && ln -s "$WORK/real" "$WORK/link"
expect_exit 1 "pscon: a symlinked run dir refused" -- \
    "$PSCON" --run-dir "$WORK/link" --socket "$S" --store "$IMG"
expect_err "pscon: says not a symlink" "not a symlink"

"$PSCON" --run-dir "$WORK/run" --socket "$S" --log-dir "$WORK/logs" \
    --store "$IMG" --ring-size 64K --queue-max 32K --log-max 3M --log-keep 3 \
    --fault 'BUG: soft lockup' 2> "$WORK/svc.log" & SVC=$!; bg
i=0; while [ ! -S "$S" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$S" ] && pass "pscon: serving $S" ||
    fail "pscon: no socket: $(cat "$WORK/svc.log")"

# The fake guest of web01: fd 9 is its console output.
mkfifo "$WORK/gin"
"$PSCON_TEST" guest "$WORK/run/port-7001" "$WORK/gout" < "$WORK/gin" & bg
exec 9<>"$WORK/gin"
check "pscon: the guest connected" "$WORK/svc.log" "guest connected"
printf 'early boot line\r\n' >&9
sleep 0.3

# Two users: an administrator read-write (1) and a spy (2).
client 1 web01
client 2 web01-con --spy
check "console: a user sees the backlog (output before attach)" \
    "$WORK/c1.out" "early boot line"
check "console: a spy sees the backlog too" "$WORK/c2.out" "early boot line"
printf 'login: \r\n' >&9
check "console: live output reaches user 1" "$WORK/c1.out" "login:"
check "console: live output reaches user 2" "$WORK/c2.out" "login:"
type_in 1 'uname -a\r'
check "console: typed input reaches the guest" "$WORK/gout" "uname -a"
type_in 2 'spy-typed\r'
check "console: a spy's keystrokes are refused" "$WORK/c2.err" \
    "refused (spy)"
sleep 0.3
grep -q spy-typed "$WORK/gout" && fail "console: spy input reached the guest" ||
    pass "console: spy input never reached the guest"

# Mode observer (escape ^Ec m o): all attached see it; user 1 writes.
type_in 1 '\005cmo'
check "console: mode change seen by the spy" "$WORK/c2.err" "mode observer"
check "console: mode change seen by its author" "$WORK/c1.err" \
    "mode observer"
client 3 web01
check "console: a third user attaches in observer mode" "$WORK/c3.out" \
    "early boot line"
type_in 3 'second-writer\r'
check "console: observer refuses the second writer" "$WORK/c3.err" \
    "refused (not-writer)"
type_in 3 '\005cf'
check "console: force takes the writer role (seen by the old writer)" \
    "$WORK/c1.err" "(forced)"
type_in 3 'forced-write\r'
check "console: the forcing user's input reaches the guest" "$WORK/gout" \
    "forced-write"
type_in 1 'old-writer\r'
check "console: the old writer is now refused" "$WORK/c1.err" "not-writer"
grep -q 'uid 0 sets mode observer' "$WORK/svc.log" &&
    grep -q 'uid 0 attached as a spy' "$WORK/svc.log" &&
    grep -q 'uid 0 writes' "$WORK/svc.log" &&
    pass "pscon: log says who attached, who wrote, mode changes" ||
    fail "pscon: service log lacks attach/write/mode lines: $(tail -5 "$WORK/svc.log")"

# Operators (not root, not in pscon-admin, not the service's user).
expect_exit 4 "console: an operator may not attach read-write" -- \
    setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$PSCTL" console --socket "$S" web01
expect_err "console: says operators only spy" "operators may only spy"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$PSCTL" console --socket "$S" web01 --spy < /dev/null \
    > "$WORK/op.out" 2>&1 & bg
check "console: an operator spies" "$WORK/op.out" "early boot line"

# Privacy on web02: one user; a second attach, even a spy, refused.
client 4 web02 --mode privacy
check "console: privacy set by its only user" "$WORK/c4.err" "mode privacy"
expect_exit 4 "console: privacy refuses a second attach" -- C web02 --spy
expect_err "console: says private" "refused (private)"

# Fault capture, the panic split over two writes.
printf '[   5.1] Kernel pan' >&9; sleep 0.3
printf 'ic - not syncing: Attempted to kill init!\r\nend trace\r\n' >&9
check "console: the fault is announced to users" "$WORK/c1.err" \
    "fault 'Kernel panic - not syncing'"
sleep 0.3
C list > "$WORK/list" 2>&1
check "console list: the port shows its fault" "$WORK/list" \
    "Kernel panic - not syncing"
C list --json > "$WORK/list.json" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
p=[x for x in d if x["hostname"]=="web01-con"][0]
assert p["faults"]==1 and "Attempted to kill init" in p["last_fault"], p
assert p["mode"]=="observer" and len(p["users"])>=3, p
assert [x for x in d if x["hostname"]=="web02-con"][0]["mode"]=="privacy"' \
    "$WORK/list.json" 2> "$WORK/err" &&
    pass "console list --json: ports, modes, users, fault text" ||
    fail "console list --json: $(cat "$WORK/err") $(head -c 400 "$WORK/list.json")"
printf 'BUG: soft lockup - CPU#0 stuck\r\n' >&9
check "console: a configured fault pattern (--fault)" "$WORK/svc.log" \
    "fault 'BUG: soft lockup'"

# The port's log: timestamps at line starts.
grep -qE '^\[[0-9-]{10}T[0-9:]{8}Z\] early boot line' "$WORK/logs/web01-con.log" &&
    pass "pscon: per-port log with timestamps" ||
    fail "pscon: log: $(head -3 "$WORK/logs/web01-con.log")"

# A stuck viewer on web03 while its guest floods 8 MiB: the guest is not
# slowed, another viewer goes on, the stuck one gets a skip marker, the
# log keeps every byte.
"$PSCON_TEST" stuck "$S" web03-con 6 > "$WORK/stuck.out" & bg; STUCK=$!
client 5 web03 --spy
check "console: the stuck viewer attached" "$WORK/stuck.out" "stuck"
sleep 0.5
if timeout 30 "$PSCON_TEST" flood "$WORK/run/port-7003" 8388608 \
    > "$WORK/flood" 2>&1; then
    pass "console: a stuck viewer does not stop the guest (8 MiB in $(cat "$WORK/flood") s)"
else fail "console: the guest's flood stalled: $(cat "$WORK/flood")"; fi
# (waits on the condition: a loaded machine's viewer takes its time)
i=0; while [ $i -lt 100 ] && [ "$(wc -c < "$WORK/c5.out")" -le 1048576 ]; do
    sleep 0.1; i=$((i + 1)); done
n=$(wc -c < "$WORK/c5.out")
[ "$n" -gt 1048576 ] && pass "console: another viewer went on ($n bytes)" ||
    fail "console: the other viewer got $n bytes"
wait "$STUCK" 2>/dev/null
grep -q '^skip [1-9]' "$WORK/stuck.out" &&
    pass "console: the stuck viewer got a skip marker ($(grep -m1 skip "$WORK/stuck.out"))" ||
    fail "console: no skip marker: $(cat "$WORK/stuck.out")"
# Rotated at 3 MiB (line ends): .2 (oldest), .1, then the current file.
got=$(cat "$WORK/logs/web03-con.log.2" "$WORK/logs/web03-con.log.1" \
    "$WORK/logs/web03-con.log" 2>/dev/null | sed 's/^\[[0-9T:Z-]*\] //' | wc -c)
[ "$got" -eq 8388608 ] && pass "pscon: the rotated logs keep every byte of the flood" ||
    fail "pscon: logs have $got of 8388608 bytes: $(ls -l "$WORK/logs")"
[ ! -e "$WORK/logs/web03-con.log.3" ] &&
    [ "$(wc -c < "$WORK/logs/web03-con.log.1")" -ge 3145728 ] &&
    pass "pscon: log rotation by size" ||
    fail "pscon: rotation: $(ls -l "$WORK/logs")"

# A backlog larger than a session's queue (64 KiB ring, 32 KiB queue)
# is replayed whole, with no further output to push it.
C web03 --spy < /dev/null > "$WORK/late.out" 2>/dev/null & bg
sleep 2
n=$(wc -c < "$WORK/late.out")
[ "$n" -eq 65536 ] && pass "console: a full 64 KiB backlog replayed to a late viewer" ||
    fail "console: late viewer got $n of 65536 backlog bytes"

# Hostile clients: each refused with a code, the service stays up.
"$PSCON_TEST" raw "$S" 04ffff41414141 > "$WORK/raw1"
grep -q 'error protocol' "$WORK/raw1" && grep -q closed "$WORK/raw1" &&
    pass "pscon: an oversized frame refused, session closed" ||
    fail "pscon: oversized: $(cat "$WORK/raw1")"
"$PSCON_TEST" raw "$S" 'deadbeefdeadbeef' > "$WORK/raw2"
grep -q 'error protocol' "$WORK/raw2" &&
    pass "pscon: garbage refused" || fail "pscon: garbage: $(cat "$WORK/raw2")"
"$PSCON_TEST" raw "$S" 02070000"$(printf nosuch | od -An -tx1 | tr -d ' \n')" \
    > "$WORK/raw3"
grep -q 'error no-port' "$WORK/raw3" &&
    pass "pscon: an unknown port refused (no-port)" ||
    fail "pscon: unknown port: $(cat "$WORK/raw3")"
"$PSCON_TEST" raw "$S" --01010000 > "$WORK/raw4"
grep -q 'error version' "$WORK/raw4" &&
    pass "pscon: an unknown protocol version refused" ||
    fail "pscon: version: $(cat "$WORK/raw4")"
"$PSCON_TEST" raw "$S" 020000 > "$WORK/raw5"
grep -q 'error protocol attach' "$WORK/raw5" &&
    pass "pscon: an attach without a target refused" ||
    fail "pscon: empty attach: $(cat "$WORK/raw5")"
kill -0 "$SVC" 2>/dev/null && C list >/dev/null 2>&1 &&
    pass "pscon: still serving after hostile input" ||
    fail "pscon: died: $(tail -5 "$WORK/svc.log")"

# RELOAD on request: administrators only.
"$PSCON_TEST" raw "$S" 080000 > "$WORK/raw6"
grep -q '^frame 82 1$' "$WORK/raw6" &&
    pass "pscon: RELOAD by an administrator (OK)" ||
    fail "pscon: reload: $(cat "$WORK/raw6")"
setpriv --reuid=65534 --regid=65534 --clear-groups \
    "$PSCON_TEST" raw "$S" 080000 > "$WORK/raw7"
grep -q 'error permission' "$WORK/raw7" &&
    pass "pscon: RELOAD by an operator refused (permission)" ||
    fail "pscon: operator reload: $(cat "$WORK/raw7")"

# SIGHUP: mappings read again (a new port appears).
L vm create web04 >/dev/null 2>&1 &&
    L serial allocate web04 1 --first 7004 --hostnames web04-con \
        >/dev/null 2>&1
kill -HUP "$SVC"
check "pscon: SIGHUP serves a newly mapped port" "$WORK/svc.log" \
    "port 7004 (web04-con"

kill "$SVC" 2>/dev/null; wait "$SVC" 2>/dev/null
! grep -q 'runtime error\|AddressSanitizer' "$WORK/svc.log" &&
    pass "pscon: no sanitizer report" ||
    fail "pscon: sanitizer: $(grep -m3 -A3 'runtime error\|Sanitizer' "$WORK/svc.log")"
for p in $PIDS; do kill "$p" 2>/dev/null; done
exec 9>&- 3>&- 4>&- 5>&- 6>&- 7>&-
