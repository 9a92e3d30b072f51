# End-to-end: psctl console exec, the out-of-band path (issue 16): a guest
# stand-in with a login prompt and a real shell on a pseudo-terminal
# (pscon-test shell) behind a pscon port.  Login from a root-only
# credentials file, output and exit status framed by a random marker (a
# command printing a fake one does not fool it), refused in privacy mode
# held by another user, a timeout, and the service's log of the write.
echo "== psctl console exec: commands on the guest's serial shell"
. "$ROOT/tests/e2e/console_lib.sh"
X() { "$PSCTL" console exec web01 --socket "$S" --credentials "$WORK/cred" "$@"; }

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L vm create web02 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con >/dev/null 2>&1 &&
    L serial allocate web02 1 --first 7002 --hostnames web02-con >/dev/null 2>&1 ||
    fail "exec: preparing the image"
"$PSCON" --run-dir "$WORK/run" --socket "$S" --log-dir "$WORK/logs" \
    --store "$IMG" 2> "$WORK/svc.log" & PIDS="$PIDS $!"
file_has "$WORK/svc.log" serving || fail "exec: pscon: $(cat "$WORK/svc.log")"
"$PSCON_TEST" shell "$WORK/run/port-7001" admin s3cret & PIDS="$PIDS $!"
"$PSCON_TEST" shell "$WORK/run/port-7002" admin s3cret & PIDS="$PIDS $!"
file_has "$WORK/svc.log" "port 7002 (web02-con): guest connected" ||
    fail "exec: guests: $(cat "$WORK/svc.log")"

# The credentials file must be root's alone.
printf '# target user password\nweb01 admin s3cret\nweb02 admin s3cret\n' > "$WORK/cred"
chmod 644 "$WORK/cred"
expect_exit 3 "exec: a credentials file others may read is refused" -- X -- true
expect_err "exec: says why (mode)" "readable only by it (mode 0644"
chmod 600 "$WORK/cred"

X -- echo hello from the guest > "$WORK/o1" 2> "$WORK/e1"; rc=$?
[ $rc -eq 0 ] && [ "$(cat "$WORK/o1")" = "hello from the guest" ] &&
    pass "exec: logs in, runs the command, returns its output (status 0)" ||
    fail "exec: rc=$rc out=$(cat "$WORK/o1") err=$(cat "$WORK/e1")"
X -- 'printf "a\nb\n"; exit_code() { return 7; }; exit_code' > "$WORK/o2" 2>&1; rc=$?
[ $rc -eq 7 ] && [ "$(cat "$WORK/o2")" = "$(printf 'a\nb')" ] &&
    pass "exec: the command's exit status (7) and multi-line output" ||
    fail "exec: rc=$rc out=$(cat "$WORK/o2")"
# A command that prints end markers of its own (any token it can know)
# and a status: the real status and all of its output come back.
exec_fake_marker X false 1
X --port web01-con -- uname -s > "$WORK/o4" 2>&1 &&
    [ "$(cat "$WORK/o4")" = "$(uname -s)" ] &&
    pass "exec: --port by host name; a second command in the same shell" ||
    fail "exec: --port: $(cat "$WORK/o4")"

# Wrong credentials: the guest refuses the login.
printf 'web02 admin wrong\n' > "$WORK/cred2"; chmod 600 "$WORK/cred2"
"$PSCTL" console exec web02 --socket "$S" --credentials "$WORK/cred2" -- true \
    > "$WORK/o5" 2>&1; rc=$?
[ $rc -eq 4 ] && grep -q "refused the login" "$WORK/o5" &&
    pass "exec: a refused login is an error (4)" ||
    fail "exec: wrong password: rc=$rc $(cat "$WORK/o5")"

# Privacy held by another user: refused, nothing typed.
privacy_hold "$S" web02 || fail "exec: privacy: $(cat "$WORK/priv.err")"
expect_exit 4 "exec: refused in privacy mode held by someone else" -- \
    "$PSCTL" console exec web02 --socket "$S" --credentials "$WORK/cred" -- true
expect_err "exec: says private" "refused (private)"
printf '\005c.' >&8; exec 8>&-

# A command that does not end in time.
expect_exit 7 "exec: a timeout is an error" -- X --timeout 1 -- sleep 3
expect_err "exec: says no end marker" "no end marker within 1 s"
sleep 2.5

# Logged like a write: the service's log names the writer, the port's
# log has the typed line.
grep -q 'port 7001 (web01-con): uid 0 writes' "$WORK/svc.log" &&
    grep -q 'echo "PSB""EGIN-' "$WORK/logs/web01-con.log" &&
    pass "exec: logged like a write (service log and port log)" ||
    fail "exec: logs: $(grep 7001 "$WORK/svc.log" | tail -3)"
expect_exit 2 "exec: without a command: usage" -- X
for p in $PIDS; do kill "$p" 2>/dev/null; done
