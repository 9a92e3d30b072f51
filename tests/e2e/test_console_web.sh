# End-to-end: pscon's web page in headless Chromium (playwright-core from
# bmc-shim/console/web/package.json, driving /usr/bin/chromium): HTTPS with
# a self-signed certificate made here, the users file, two consoles with a
# process standing in for each guest (tests/e2e/console_guest.py), an
# administrator and an operator, hostile requests.  The screenshot is kept
# as build/test-artifacts/console_web.png.
# Environment: PSCON, PSCON_TEST, PSCON_WEB (make e2e sets them).
echo "== pscon: the console web page"
: "${PSCON:?set PSCON to the pscon binary}"
: "${PSCON_TEST:?set PSCON_TEST to the pscon-test driver}"
: "${PSCON_WEB:?set PSCON_WEB to the page's build directory (build/web)}"

IMG=$WORK/store.img
PIDS=
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done' EXIT INT TERM
L() { "$PSCTL" -q -i "$IMG" "$@"; }
ART=$ROOT/build/test-artifacts
mkdir -p "$ART"
rm -f "$ART/console_web.png"

L init >/dev/null 2>&1 &&
    L vm create web01 >/dev/null 2>&1 && L vm create web02 >/dev/null 2>&1 &&
    L vm create web03 >/dev/null 2>&1 &&
    L serial allocate web03 1 --first 7003 --hostnames web03-con \
        >/dev/null 2>&1 &&
    L serial allocate web01 1 --first 7001 --hostnames web01-con \
        >/dev/null 2>&1 &&
    L serial allocate web02 1 --first 7002 --hostnames web02-con \
        >/dev/null 2>&1 || fail "web: preparing the image"

# The certificate and the users file (hashes from pscon --hash-password).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/key.pem" \
    -out "$WORK/cert.pem" -days 1 -subj /CN=127.0.0.1 >/dev/null 2>&1 ||
    fail "web: a self-signed certificate"
# The users: the simulated BMC's (scripts/bmc-sim users: its admin and
# oper with hashed passwords), and one more hashed by pscon itself.
APASS=admin-$$-pw OPASS=oper-$$-pw
mkdir -p "$WORK/bmc"
printf 'admin %s\noper %s\n' "$APASS" "$OPASS" > "$WORK/bmc/passwords"
"$ROOT/scripts/bmc-sim" users "$WORK/bmc" &&
    [ "$(stat -c %a "$WORK/bmc/web-users")" = 600 ] &&
    grep -q '^admin admin \$6\$' "$WORK/bmc/web-users" &&
    grep -q '^oper operator \$6\$' "$WORK/bmc/web-users" &&
    ! grep -q "$APASS" "$WORK/bmc/web-users" &&
    pass "web: bmc-sim users: the BMC's users, hashed, mode 600" ||
    fail "web: bmc-sim users: $(cat "$WORK/bmc/web-users" 2>&1)"
cp -p "$WORK/bmc/web-users" "$WORK/users"
LPASS=lab-$$-pw
lh=$(echo "$LPASS" | "$PSCON" --hash-password)
case $lh in '$y$'*) pass "web: pscon --hash-password gives a yescrypt hash" ;;
    *) fail "web: pscon --hash-password: '$lh'" ;; esac
printf '# added by hand\nlab operator %s\n' "$lh" >> "$WORK/users"
expect_exit 2 "web: --hash-password refuses an empty password" -- \
    sh -c "echo | '$PSCON' --hash-password"

PORT=$(( 20000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
start() { # start LOG [extra pscon options]
    log=$1; shift
    setsid timeout -s KILL 400 "$PSCON" --run-dir "$WORK/run" \
        --socket "$WORK/c.sock" --log-dir "$WORK/logs" --store "$IMG" \
        --web "127.0.0.1:$PORT" --web-users "$WORK/users" \
        --web-cert "$WORK/cert.pem" --web-key "$WORK/key.pem" \
        --web-root "$PSCON_WEB/root" "$@" 2> "$log" & SVC=$!
    PIDS="$PIDS $SVC"
}

# Refusals at start: a missing certificate.
expect_exit 1 "web: a missing certificate is refused at start" -- \
    "$PSCON" --run-dir "$WORK/run0" --socket "$WORK/c0.sock" --store "$IMG" \
    --web "127.0.0.1:$PORT" --web-users "$WORK/users" \
    --web-cert "$WORK/nope.pem" --web-key "$WORK/key.pem" \
    --web-root "$PSCON_WEB/root"
expect_err "web: says which file" "nope.pem"

start "$WORK/svc.log"
i=0
while ! curl -sk -o /dev/null "https://127.0.0.1:$PORT/" && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1)); done
curl -sk -o /dev/null "https://127.0.0.1:$PORT/" && pass "web: serving https" ||
    fail "web: no https: $(cat "$WORK/svc.log")"
curl -s -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null &&
    fail "web: plain http answered" || pass "web: no plain http"

# The guests: a process on each port's socket.
python3 "$ROOT/tests/e2e/console_guest.py" "$WORK/run/port-7001" \
    "guest web01 booted" "$WORK/in1" & PIDS="$PIDS $!"
python3 "$ROOT/tests/e2e/console_guest.py" "$WORK/run/port-7002" \
    "guest web02 booted" "$WORK/in2" & PIDS="$PIDS $!"

# Hostile HTTP: a bad WebSocket handshake, a huge login form, a form
# without a password, unknown API paths.
code() { curl -sk -o "$WORK/body" -w '%{http_code}' "$@"; }
c=$(code -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Protocol: pscon-console' \
    "https://127.0.0.1:$PORT/ws/console/web01-con")
[ "$c" != 101 ] && pass "web: a handshake without a key is refused ($c)" ||
    fail "web: a bad handshake was upgraded"
c=$(head -c 5000 /dev/zero | tr '\0' a | sed 's/^/user=admin\&password=/' |
    code --data-binary @- "https://127.0.0.1:$PORT/api/login")
[ "$c" = 400 ] && grep -q "1024 bytes" "$WORK/body" &&
    pass "web: an oversized login form is refused (400)" ||
    fail "web: oversized form: $c $(cat "$WORK/body")"
c=$(code -d 'user=admin' "https://127.0.0.1:$PORT/api/login")
[ "$c" = 400 ] && pass "web: a form without a password is refused (400)" ||
    fail "web: form without password: $c"
c=$(code -m 5 -X POST "https://127.0.0.1:$PORT/api/login")
c2=$(code -m 5 -d '' "https://127.0.0.1:$PORT/api/login")
[ "$c" = 400 ] && [ "$c2" = 400 ] &&
    pass "web: a login without a body is answered at once (400)" ||
    fail "web: login without a body: $c / $c2"
c=$(code "https://127.0.0.1:$PORT/api/ports")
[ "$c" = 401 ] && pass "web: the list needs a login (401)" ||
    fail "web: list without login: $c"
c=$(code -d 'user=admin&password=wrong' -H 'Origin: https://evil.example' \
    "https://127.0.0.1:$PORT/api/login")
[ "$c" = 403 ] && pass "web: a login from another site's page is refused" ||
    fail "web: cross-site login: $c"
c=$(code -d "user=lab&password=$LPASS" "https://127.0.0.1:$PORT/api/login")
[ "$c" = 200 ] && grep -q '"role":"operator"' "$WORK/body" &&
    pass "web: a user hashed by pscon --hash-password logs in" ||
    fail "web: lab login: $c $(cat "$WORK/body")"
c=$(code -D "$WORK/hdr" -d "user=admin&password=$APASS" \
    "https://127.0.0.1:$PORT/api/login")
grep -qi '^set-cookie: pscon_session=[0-9a-f]\{64\}; Path=/; HttpOnly; Secure; SameSite=Strict' \
    "$WORK/hdr" && [ "$c" = 200 ] &&
    pass "web: a login sets an HttpOnly, Secure session cookie" ||
    fail "web: login cookie: $c $(cat "$WORK/hdr")"

# Hostile WebSocket frames (tests/e2e/console_ws_raw.py), with the
# administrator's session.
TOK=$(sed -n 's/^set-cookie: pscon_session=\([0-9a-f]*\);.*/\1/ip' "$WORK/hdr" | tr -d '\r')
python3 "$ROOT/tests/e2e/console_ws_raw.py" "$PORT" "$TOK" web01-con \
    > "$WORK/raw.out" 2>&1
report_lines "$WORK/raw.out"
[ $TAP_OK -eq 5 ] || fail "web: hostile frames: $TAP_OK of 5 cases passed"

# The browser.
if BASE="https://127.0.0.1:$PORT" PW="$PSCON_WEB/node_modules/playwright-core" \
    SHOT="$ART/console_web.png" ADMIN_PASS=$APASS OPER_PASS=$OPASS \
    timeout -s KILL 240 node "$ROOT/tests/e2e/console_web.js" > "$WORK/browser.out" 2>&1
then :; fi
report_lines "$WORK/browser.out"
grep -q '^ok web: the operator' "$WORK/browser.out" ||
    fail "web: the browser run did not reach the operator checks"
[ -s "$ART/console_web.png" ] && pass "web: screenshot kept ($ART/console_web.png)" ||
    fail "web: no screenshot"
grep -q "echo web-typed" "$WORK/in1" &&
    pass "web: the typed command arrived at the port" ||
    fail "web: port input: $(cat "$WORK/in1" 2>/dev/null)"
grep -q "operator-typed" "$WORK/in1" &&
    fail "web: the operator's keystrokes reached the port" ||
    pass "web: nothing the operator typed reached the port"
grep -q "web: login of 'admin' refused" "$WORK/svc.log" &&
    pass "web: the refused login is logged" || fail "web: refused login not logged"

# A browser that stops reading while the guest of web03-con floods 4 MiB:
# the guest is never held up, and the browser, reading again, is told
# what it missed (a skip message) - the core's bounded queue at work.
python3 "$ROOT/tests/e2e/console_ws_raw.py" "$PORT" "$TOK" \
    'web03-con?access=spy' stuck "$WORK/go" > "$WORK/stuck.out" 2>&1 &
SP=$!
i=0; while ! grep -q attached "$WORK/stuck.out" 2>/dev/null && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1)); done
sleep 0.5
secs=$(timeout -s KILL 120 "$PSCON_TEST" flood "$WORK/run/port-7003" 4194304)
touch "$WORK/go"
wait $SP
[ -n "$secs" ] && pass "web: a guest floods 4 MiB past a stuck browser (${secs} s)" ||
    fail "web: the flood did not finish"
grep -q '^skip [1-9]' "$WORK/stuck.out" &&
    pass "web: the stuck browser is told what it missed ($(grep -m1 '^skip' "$WORK/stuck.out"))" ||
    fail "web: no skip for the stuck browser: $(cat "$WORK/stuck.out")"
b=$(sed -n 's/^binary //p' "$WORK/stuck.out")
[ "${b:-0}" -gt 0 ] && [ "${b:-0}" -lt 4194304 ] &&
    pass "web: it then gets output again, less than all ($b bytes)" ||
    fail "web: stuck browser's output: ${b:-none}"

# A users file others can read: logins refused, the service says why.
chmod 640 "$WORK/users"
c=$(code -d "user=admin&password=$APASS" "https://127.0.0.1:$PORT/api/login")
[ "$c" = 401 ] && grep -q "not private" "$WORK/body" &&
    pass "web: a users file readable by others refuses logins" ||
    fail "web: open users file: $c $(cat "$WORK/body")"
chmod 600 "$WORK/users"

# A restart (SIGUSR2, docs/console.md "The web page"): a console's
# WebSocket closes (the page reconnects and resumes by itself:
# test_console_web_resume.sh), the login is kept, the service serves the
# page again in the same process, and a new login attaches to the same
# port with its backlog kept.
python3 "$ROOT/tests/e2e/console_ws_raw.py" "$PORT" "$TOK" web01-con show 30 \
    > "$WORK/before.out" 2>&1 & SP=$!
i=0; while ! grep -q attached "$WORK/before.out" 2>/dev/null && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1)); done
PSCON_PID=$(ps -o pid= --ppid "$SVC" | tr -d ' ') # (SVC: the timeout)
kill -USR2 "$PSCON_PID"
wait $SP
grep -q '^closed' "$WORK/before.out" &&
    pass "web: a restart closes the console's WebSocket" ||
    fail "web: WebSocket at the restart: $(cat "$WORK/before.out")"
i=0
while ! curl -sk -o /dev/null "https://127.0.0.1:$PORT/" && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i + 1)); done
grep -q "restart: re-exec" "$WORK/svc.log" && kill -0 "$PSCON_PID" 2>/dev/null &&
    curl -sk -o /dev/null "https://127.0.0.1:$PORT/" &&
    pass "web: after a re-exec the same process serves https again" ||
    fail "web: not serving after the restart: $(tail -5 "$WORK/svc.log")"
c=$(code -b "pscon_session=$TOK" "https://127.0.0.1:$PORT/api/ports")
[ "$c" = 200 ] && pass "web: the login session survives the restart" ||
    fail "web: old session after the restart: $c"
h=$(printf %s "$TOK" | sha256sum | cut -d' ' -f1)
grep -q "^$h " "$WORK/run/web-sessions" && ! grep -q "$TOK" "$WORK/run/web-sessions" &&
    [ "$(stat -c %a "$WORK/run/web-sessions")" = 600 ] &&
    pass "web: the run directory keeps the token's SHA-256, not the token (mode 600)" ||
    fail "web: web-sessions: $(ls -l "$WORK/run/web-sessions")"
c=$(code -D "$WORK/hdr2" -d "user=admin&password=$APASS" \
    "https://127.0.0.1:$PORT/api/login")
TOK=$(sed -n 's/^set-cookie: pscon_session=\([0-9a-f]*\);.*/\1/ip' "$WORK/hdr2" | tr -d '\r')
python3 "$ROOT/tests/e2e/console_ws_raw.py" "$PORT" "$TOK" web01-con show 2 \
    > "$WORK/after.out" 2>&1
[ "$c" = 200 ] && grep -q '"type": *"attached"' "$WORK/after.out" &&
    grep -q '^output.*guest web01 booted' "$WORK/after.out" &&
    pass "web: a new login attaches after the restart, backlog kept" ||
    fail "web: after the restart: $c $(cat "$WORK/after.out")"

kill -0 "$SVC" 2>/dev/null && pass "web: the service survived all of it" ||
    fail "web: pscon died: $(tail -5 "$WORK/svc.log")"
kill "$SVC" 2>/dev/null
i=0; while kill -0 "$SVC" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
grep -q "AddressSanitizer\|runtime error" "$WORK/svc.log" &&
    fail "web: sanitizer report: $(grep -m3 'Sanitizer\|runtime error' "$WORK/svc.log")" ||
    pass "web: no sanitizer report"
grep -q "stopping" "$WORK/svc.log" && pass "web: the service stopped cleanly" ||
    fail "web: no clean stop: $(tail -3 "$WORK/svc.log")"
