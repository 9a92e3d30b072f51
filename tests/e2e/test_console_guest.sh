# A real guest on the concentrator (issue 15): Debian's cloud kernel with a
# busybox initramfs (tests/e2e/guest/build-guest.sh) under QEMU TCG through
# a session libvirtd (libvirtd_session.sh), its ttyS0 on the concentrator
# port hvagent allocates at the simulated BMC (console = bmc, OEM serial
# allocate through ipmitool) when its boot pass starts the VM.  pscon runs
# as the guests' uid (nobody: QEMU connects to its port sockets) on the
# BMC's store and tells hvagent its faults (--notify).
#
#   the boot log reaches two `psctl console` users; typed input reaches the
#   guest and its output both users; observer mode refuses the second
#   user's keystrokes; a mode change is seen by all; privacy refuses a
#   second attach; `echo c > /proc/sysrq-trigger` gives a fault with the
#   panic text in `psctl console list`, hvagent is told, stops the guest
#   and its restart policy logs the cause; the stopped VM's port is freed
#   at the BMC (OEM serial list) and no longer served.
# Environment: HVAGENT, PSCON, BMC_SIM, BMC_SIM_MODULE (make e2e).
echo "console: a real guest, its port allocated by hvagent at the BMC"
: "${HVAGENT:?set HVAGENT}" "${PSCON:?set PSCON}"
: "${BMC_SIM:?set BMC_SIM}" "${BMC_SIM_MODULE:?set BMC_SIM_MODULE}"
export BMC_SIM_MODULE
. "$E2E_DIR/console_guest_lib.sh"

IMG=$WORK/store.img
SIM=$WORK/sim
GUEST=$WORK/guest
CONF=$WORK/hvagent.conf
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
PIDS= DPID=
cleanup() {
    lv_kill_guests web01
    stop_pid "$DPID"
    for p in $PIDS; do stop_pid "$p"; done
    "$BMC_SIM" stop "$SIM" > /dev/null 2>&1
    stop_pid "$LVPID"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP
L() { "$PSCTL" -q -i "$IMG" "$@"; }
C() { "$PSCTL" console --socket "$PSOCK" "$@"; }
B() { IPMI_PASSWORD=adm1n-pw "$PSCTL" --bmc "127.0.0.1:$PORT" "$@"; }
vsh() { virsh -c "$U" "$@"; }

# client N ARGS...: user N's psctl console; type_in N TEXT types.
client() {
    n=$1; shift
    mkfifo "$WORK/in$n"
    C "$@" < "$WORK/in$n" > "$WORK/c$n.out" 2> "$WORK/c$n.err" &
    PIDS="$PIDS $!"
    eval "exec $((n + 2))<>\"\$WORK/in$n\""
}
type_in() { printf "$2" >&$(( $1 + 2 )); }

# --- the guest, libvirtd, the store, the BMC
guest_build "$GUEST" || { return 0 2>/dev/null || exit 0; }
guest_start_libvirtd "$GUEST"
L init > /dev/null && L vm create web01 --memory 128MiB --cpus 1 \
    --power off > /dev/null || fail "store: web01"
mkdir -p "$SIM"
if BMC_SIM_IMAGE=$IMG BMC_SIM_ADMIN_PASS=adm1n-pw BMC_SIM_OPER_PASS=0per-pw \
    BMC_SIM_CONSOLE=0 "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/out" 2>&1
then pass "bmc-sim on 127.0.0.1:$PORT, on the hypervisor's store"
else fail "bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi
# hvagent, psctl and the BMC share the store's (simulated) semaphore.
PSTATE_SEM_MODE=sim PSTATE_SEM_BIOS=$SIM/sem-bios PSTATE_SEM_SHM=$SIM/sem-shm
export PSTATE_SEM_MODE PSTATE_SEM_BIOS PSTATE_SEM_SHM
chmod 644 "$IMG"

# --- pscon as nobody, on the store the BMC edits, with its web page (the
# BMC's users, bmc-sim's web-users; files the service's user owns)
WPORT=$(( PORT + 1 ))
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$WORK/key.pem" -out "$WORK/cert.pem" -days 1 -subj /CN=localhost \
    >/dev/null 2>&1 || fail "web: certificate"
cp "$SIM/web-users" "$WORK/users"
chown nobody "$WORK/users" "$WORK/key.pem" "$WORK/cert.pem"
chmod 600 "$WORK/users" "$WORK/key.pem"
pscon_as_nobody "$WORK/pscon.log" "$IMG" --notify "$WORK/hv-events.sock" \
    --web "127.0.0.1:$WPORT" --web-users "$WORK/users" --web-cert "$WORK/cert.pem" \
    --web-key "$WORK/key.pem" --web-root "$PSCON_WEB/root"
PIDS="$PIDS $PSCON_PID"

printf 'adm1n-pw\n' > "$WORK/bmc-pass" && chmod 600 "$WORK/bmc-pass"
lv_hv_conf "$CONF" "console = bmc" "console_bmc = 127.0.0.1:$PORT" \
    "console_bmc_password_file = $WORK/bmc-pass" \
    "console_endpoints = $PRUN" "console_socket = $PSOCK" \
    "console_events = $WORK/hv-events.sock"

# --- defined by a boot pass (power off); the kernel added in libvirt
# (hvagent leaves what the store does not model as it is).
expect_exit 0 "hvagent --once defines web01" -- "$HVAGENT" -c "$CONF" -i "$IMG" --once
vsh dumpxml web01 > "$WORK/dom.xml"
grep -q "<source mode='connect' path='$WORK/run/web01.sock'>" "$WORK/dom.xml" &&
    grep -q "<reconnect enabled='yes' timeout='1'/>" "$WORK/dom.xml" &&
    pass "domain: ttyS0 connects to $WORK/run/web01.sock (reconnecting)" ||
    fail "domain serial: $(grep -A4 '<serial' "$WORK/dom.xml")"
B serial mappings > "$WORK/map0" 2>&1
! grep -q web01 "$WORK/map0" && pass "BMC: nothing allocated while web01 is off" ||
    fail "BMC: $(cat "$WORK/map0")"
guest_kernel_xml "$WORK/dom.xml" "$WORK/dom2.xml" "$GUEST"
vsh define "$WORK/dom2.xml" > /dev/null 2>&1 || fail "virsh define with the kernel"
L vm set web01 --power on

# --- the daemon's boot pass: allocate at the BMC, then start
"$HVAGENT" -c "$CONF" -i "$IMG" > "$WORK/d.out" 2> "$WORK/d.err" &
DPID=$!
T0=$(date +%s)
check "hvagent: web01 on a concentrator port" "$WORK/d.err" \
    "vm 'web01': serial port 0 on concentrator port"
B serial mappings web01 > "$WORK/map1" 2>&1
CPORT=$(awk '$1 == "web01" { print $3 }' "$WORK/map1")
[ -n "$CPORT" ] && grep -q "web01 *0 *$CPORT *free *web01" "$WORK/map1" &&
    pass "BMC (OEM serial list): web01 port 0 -> $CPORT, host name web01" ||
    fail "BMC mappings: $(cat "$WORK/map1")"
[ "$(readlink "$WORK/run/web01.sock")" = "$PRUN/port-$CPORT" ] &&
    pass "link web01.sock -> pscon's port-$CPORT" ||
    fail "link: $(ls -l "$WORK/run")"
check "hvagent: started web01 after the allocation" "$WORK/d.err" \
    "vm 'web01': started"
check "pscon: the guest connected" "$WORK/pscon.log" "guest connected"

# --- two users and the web page, the boot log, input
client 1 web01
client 2 web01
curl -sk -D "$WORK/hdr" -o /dev/null -d "user=admin&password=adm1n-pw" \
    "https://127.0.0.1:$WPORT/api/login"
TOK=$(sed -n 's/^set-cookie: pscon_session=\([0-9a-f]*\);.*/\1/ip' "$WORK/hdr" | tr -d '\r')
[ -n "$TOK" ] && pass "web: admin logged in to the console page" ||
    fail "web: login: $(cat "$WORK/hdr") $(tail -3 "$WORK/pscon.log")"
python3 "$E2E_DIR/console_ws_raw.py" "$WPORT" "$TOK" web01 show 30 \
    > "$WORK/web.out" 2>&1 &
WEBPID=$!
PIDS="$PIDS $WEBPID"
check "user 1 sees the boot log" "$WORK/c1.out" "Linux version" 30
check "user 2 sees the boot log" "$WORK/c2.out" "Linux version" 30
check "the web page's console sees the boot log at the same time" "$WORK/web.out" "Linux version" 30
check "the guest's init ran (user 1)" "$WORK/c1.out" "guest: up" 60
check "the guest's init ran (user 2)" "$WORK/c2.out" "guest: up" 5
check "the guest's shell prompts" "$WORK/c1.out" "guest# " 10
type_in 1 'echo answer-$((6*7))\r'
check "typed input ran in the guest: output to user 1" "$WORK/c1.out" "answer-42"
check "... and to user 2" "$WORK/c2.out" "answer-42"

# --- observer: user 1 writes (it typed first), user 2 refused
type_in 1 '\005cmo'
check "mode change seen by its author" "$WORK/c1.err" "mode observer"
check "mode change seen by the other user" "$WORK/c2.err" "mode observer"
type_in 2 'echo second-$((2+3))\r'
check "observer refuses the second user's keystrokes" "$WORK/c2.err" \
    "refused (not-writer)"
sleep 0.5
! grep -q "second-5" "$WORK/c1.out" && pass "the refused command never ran" ||
    fail "second user's command ran: $(grep second "$WORK/c1.out")"

# --- privacy: user 2 leaves, user 1 takes privacy, no one else attaches
type_in 2 '\005c.'
check "user 2 detached" "$WORK/pscon.log" "uid 0 detached"
type_in 1 '\005cmp'
check "privacy set by the only user" "$WORK/c1.err" "mode privacy"
expect_exit 4 "privacy refuses a second attach" -- C web01 --spy
expect_err "says private" "refused (private)"
type_in 1 '\005cmf'
check "back to free" "$WORK/c1.err" "mode free"

# --- hvagent SIGKILLed and started again (issue 16): the BMC's allocation
# stays as it is (no free, no allocation again), the console keeps working,
# and the restarted agent is the one told of the panic below.
kill -KILL "$DPID"; wait "$DPID" 2>/dev/null
mv "$WORK/d.err" "$WORK/d1.err"
"$HVAGENT" -c "$CONF" -i "$IMG" > "$WORK/d.out" 2> "$WORK/d.err" &
DPID=$!
check "hvagent SIGKILLed and started again: its boot pass" "$WORK/d.err" "pass (boot)"
B serial mappings web01 > "$WORK/map1b" 2>&1
cmp -s "$WORK/map1" "$WORK/map1b" &&
    ! grep -q "on concentrator port\|console port.* freed" "$WORK/d.err" &&
    pass "hvagent restart: the BMC's allocation unchanged, nothing freed or allocated again" ||
    fail "hvagent restart: BMC $(cat "$WORK/map1b"); $(grep -i console "$WORK/d.err")"
type_in 1 'echo after-$((40+2))\r'
check "hvagent restart: the console still works (typed, ran, seen)" "$WORK/c1.out" "after-42"
! grep -q "guest disconnected" "$WORK/pscon.log" &&
    pass "hvagent restart: the guest's console connection never closed" ||
    fail "pscon: $(grep disconnected "$WORK/pscon.log")"

# --- a kernel panic: fault event, hvagent told, the guest stopped
type_in 1 'echo c > /proc/sysrq-trigger\r'
check "user 1 sees the panic" "$WORK/c1.out" \
    "Kernel panic - not syncing: sysrq triggered crash"
check "pscon: fault recorded and told to hvagent" "$WORK/pscon.log" \
    "fault told to $WORK/hv-events.sock"
C list > "$WORK/list" 2>&1
grep -q "Kernel panic - not syncing" "$WORK/list" &&
    pass "psctl console list shows the fault" || fail "list: $(cat "$WORK/list")"
C list --json > "$WORK/list.json" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
p=[x for x in d if x["vm"]=="web01"][0]
assert p["faults"]>=1 and "sysrq triggered crash" in p["last_fault"], p' \
    "$WORK/list.json" 2> "$WORK/err" &&
    pass "console list --json: the panic text" ||
    fail "list --json: $(cat "$WORK/err")"
check "hvagent: told the cause" "$WORK/d.err" \
    "vm 'web01': console fault: "
check "hvagent: stops the panicked guest" "$WORK/d.err" \
    "vm 'web01': stopped after a kernel panic on its console"
check "hvagent: restart policy logs the console's cause" "$WORK/d.err" \
    "vm 'web01': crashed (cause on its console: "
grep -q "crashed (cause on its console: .*Kernel panic - not syncing: sysrq triggered crash); no restart policy: left stopped" \
    "$WORK/d.err" && pass "... the panic line, and the policy's outcome" ||
    fail "cause: $(grep 'cause on its console' "$WORK/d.err")"
wait_for 10 sh -c "virsh -c '$U' domstate web01 | grep -q 'shut off'" &&
    pass "web01 stopped" || fail "web01: $(vsh domstate web01)"

# --- stopped: the port freed at the BMC, no longer served
check "hvagent: the port freed" "$WORK/d.err" "vm 'web01': stopped: 1 console port freed"
B serial mappings > "$WORK/map2" 2>&1
! grep -q web01 "$WORK/map2" && grep -q "^VM" "$WORK/map2" &&
    pass "BMC (OEM serial list): web01's port gone" || fail "BMC: $(cat "$WORK/map2")"
[ ! -e "$WORK/run/web01.sock" ] && [ ! -L "$WORK/run/web01.sock" ] &&
    pass "link removed" || fail "link left: $(ls -l "$WORK/run")"
check "pscon: the port removed" "$WORK/pscon.log" "port $CPORT (web01): no longer mapped"
echo "  (guest part: $(( $(date +%s) - T0 )) s)"

# --- everything stopped: nothing left running from $WORK
cleanup; trap - EXIT INT TERM HUP
! pgrep -f "$WORK/" > /dev/null && pass "nothing left running from \$WORK" ||
    fail "left running: $(pgrep -af "$WORK/")"
