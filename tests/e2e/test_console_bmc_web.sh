# End-to-end: `psctl --bmc HOST:PORT console` through the BMC's console web
# endpoint (docs/console.md "psctl console over --bmc"): pscon --web with a
# self-signed certificate, a stand-in guest on web01-con, the login with
# -U and $IPMI_PASSWORD, the list, a session both ways, a wrong password,
# and the certificate check without --insecure.
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e sets them).
echo "== psctl console --bmc: the web transport"
. "$ROOT/tests/e2e/console_lib.sh"

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 || fail "bmc web: preparing the image"
web_pscon
python3 "$ROOT/tests/e2e/console_guest.py" "$WORK/run/port-7001" \
    "guest web01 booted" "$WORK/in1" & PIDS="$PIDS $!"

B() { IPMI_PASSWORD=$APASS "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin "$@"; }

# The list, over HTTPS.
expect_exit 0 "bmc web: console list over --bmc" -- B console list --insecure
grep -q "^web01-con *web01 *7001 " "$WORK/out" &&
    pass "bmc web: the list shows web01-con on port 7001" ||
    fail "bmc web: list: $(cat "$WORK/out" "$WORK/err")"
expect_exit 0 "bmc web: console list --json over --bmc" -- \
    B --json console list --insecure
grep -q '"hostname": *"web01-con"' "$WORK/out" &&
    grep -qF "\"store\": \"$IMG\"" "$WORK/out" &&
    pass "bmc web: the JSON list names web01-con and its store" ||
    fail "bmc web: JSON list: $(cat "$WORK/out")"

# A session: the guest's output on the terminal, typed input at the port.
mkfifo "$WORK/kin"
B console web01-con --insecure < "$WORK/kin" > "$WORK/s.out" \
    2> "$WORK/s.err" & SP=$!; PIDS="$PIDS $SP"
exec 7<>"$WORK/kin"
file_has "$WORK/s.out" "guest web01 booted" &&
    pass "bmc web: the session shows the guest's output (backlog)" ||
    fail "bmc web: no guest output: $(cat "$WORK/s.out" "$WORK/s.err")"
printf 'echo bmc-typed\r' >&7
file_has "$WORK/in1" "echo bmc-typed" &&
    pass "bmc web: typed input reached the port" ||
    fail "bmc web: port input: $(cat "$WORK/in1" 2>/dev/null)"
file_has "$WORK/s.out" "reply: echo bmc-typed" &&
    pass "bmc web: the guest's answer came back live" ||
    fail "bmc web: no live answer: $(cat "$WORK/s.out")"
exec 8>&7
detach_view $SP; rc=$?
[ $rc -eq 0 ] && pass "bmc web: ^Ec. detaches, exit 0" ||
    fail "bmc web: detach exit $rc (124: still running 10 s later): $(cat "$WORK/s.err")"
exec 7>&- 8>&-

# A mode change (a MODE frame as a JSON message), seen in the list.  The
# session stays (stdin at its end leaves it showing output): wait for the
# list to show the mode (30 s, a loaded machine), not for a fixed time.
B console web01-con --insecure --mode observer < /dev/null > "$WORK/m.out" 2>&1 &
MP=$!; PIDS="$PIDS $MP"
i=0; while [ $i -lt 300 ] && ! { B console list --insecure > "$WORK/out" 2>&1 &&
    grep -q "^web01-con *web01 *7001 observer " "$WORK/out"; }; do
    sleep 0.1; i=$((i + 1)); done
kill $MP 2>/dev/null; wait $MP 2>/dev/null
expect_exit 0 "bmc web: list after --mode observer" -- B console list --insecure
grep -q "^web01-con *web01 *7001 observer " "$WORK/out" &&
    pass "bmc web: --mode over --bmc changed the port's mode" ||
    fail "bmc web: mode: $(cat "$WORK/out" "$WORK/m.out")"

# Refusals: an unknown port, a wrong password, an unverified certificate,
# --insecure without --bmc.
expect_exit 5 "bmc web: an unknown port is not found" -- \
    B console nosuch --insecure
expect_exit 7 "bmc web: a wrong password is refused" -- \
    env IPMI_PASSWORD=wrong "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin \
    console list --insecure
expect_err "bmc web: says the login was refused" \
    "wrong user name or password for user 'admin'"
expect_exit 7 "bmc web: a self-signed certificate is refused by default" -- \
    B console list
expect_err "bmc web: says the certificate does not verify" \
    "--insecure skips the check"
# Verification is real: the same certificate given as trusted (--ca) is
# accepted for the name it carries (IP 127.0.0.1), refused for another.
expect_exit 0 "bmc web: the certificate trusted with --ca is accepted" -- \
    B console list --ca "$WORK/cert.pem"
IPMI_PASSWORD=$APASS expect_exit 7 \
    "bmc web: a trusted certificate for another name is refused" -- \
    "$PSCTL" --bmc "localhost:$PORT" -U admin console list --ca "$WORK/cert.pem"
expect_err "bmc web: says so" "its name differs"
expect_exit 2 "bmc web: console exec is refused over --bmc" -- \
    B console exec web01 -- true
expect_exit 2 "bmc web: --insecure needs --bmc" -- \
    "$PSCTL" console list --insecure --socket "$S"

# libwebsockets is opened by the console's web transport alone (psctl_lws.c):
# the optimised psctl does not link it, and a --bmc console list opens it.
OPT=${PSCTL_OPT:-$ROOT/build/opt/psctl}
case $OPT in /*) ;; *) OPT=$ROOT/$OPT ;; esac
ldd "$OPT" | grep -q libwebsockets &&
    fail "bmc web: psctl links libwebsockets" ||
    pass "bmc web: psctl does not link libwebsockets"
IPMI_PASSWORD=$APASS strace -f -e trace=openat -o "$WORK/strace-lws" \
    "$OPT" --bmc "127.0.0.1:$PORT" -U admin console list --insecure \
    >/dev/null 2>&1 &&
    grep -q 'libwebsockets\.so' "$WORK/strace-lws" &&
    pass "bmc web: console list over --bmc opens libwebsockets on use" ||
    fail "bmc web: the optimised psctl's --bmc console list"
