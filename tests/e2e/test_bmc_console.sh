# The simulated BMC's console service (docs/console.md, scripts/bmc-sim):
# `bmc-sim start` runs pscon beside ipmi_sim on the same store, with the
# web page when BMC_SIM_WEB says where.  A port the BMC allocates over the
# OEM serial command (psctl --bmc serial allocate) is served without a
# SIGHUP (pscon watches the store), a guest stand-in's output reaches a
# `psctl console` viewer, and a port the BMC frees is gone; `bmc-sim stop`
# stops both.
echo "== bmc-sim: the BMC's console service"
BMC_SIM=${BMC_SIM:-$ROOT/scripts/bmc-sim}
IMG=$WORK/store.img SIM=$WORK/sim
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
WPORT=$(( PORT + 1 ))
trap '"$BMC_SIM" stop "$SIM" >/dev/null 2>&1' EXIT INT TERM
L() { "$PSCTL" -q -i "$IMG" "$@"; }
B() { IPMI_PASSWORD=adm1n-pw "$PSCTL" -q --bmc "127.0.0.1:$PORT" -U admin "$@"; }
C() { "$PSCTL" console --socket "$SIM/console/pscon.sock" "$@"; }
wait_until() { # TRIES CMD...: CMD succeeds within TRIES tenths of a second
    n=$1; shift
    while [ "$n" -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done
    return 1
}

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 ||
    fail "bmc console: preparing the image"
mkdir -p "$SIM"
if BMC_SIM_IMAGE=$IMG BMC_SIM_GATE=host-off BMC_SIM_ADMIN_PASS=adm1n-pw \
    BMC_SIM_OPER_PASS=0per-pw BMC_SIM_WEB=127.0.0.1:$WPORT \
    "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/out" 2>&1 &&
    [ -S "$SIM/console/pscon.sock" ]; then
    pass "bmc-sim start: ipmi_sim and pscon ($(grep -c consoles "$WORK/out") console line)"
else
    fail "bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$WPORT/") &&
    [ "$code" = 200 ] && pass "the web page answers over HTTPS (200)" ||
    fail "web page: HTTP '$code'"
"$BMC_SIM" status "$SIM" > "$WORK/st" 2>&1
grep -q 'console service running' "$WORK/st" && pass "bmc-sim status names the console service" ||
    fail "status: $(cat "$WORK/st")"

# The BMC allocates; pscon notices the store change by itself.
B serial allocate web01 1 --first 7001 --hostnames web01-con > "$WORK/out" 2>&1 ||
    fail "psctl --bmc serial allocate: $(cat "$WORK/out")"
listed() { C list 2>/dev/null | grep -q "web01-con"; }
wait_until 50 listed && pass "the port the BMC allocated is served (no SIGHUP)" ||
    fail "pscon did not pick up the allocation: $(C list 2>&1; tail -3 "$SIM/pscon.log")"
sock=$(ls "$SIM"/console/port-* 2>/dev/null | head -1)
if [ -S "$sock" ]; then
    python3 - "$sock" > "$WORK/guest.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for i in range(40):
    s.sendall(b"guest line %d\r\n" % i)
    time.sleep(0.05)
time.sleep(3)
PY
    gp=$!
    timeout -s KILL 5 "$PSCTL" console --socket "$SIM/console/pscon.sock" \
        web01-con --spy < /dev/null > "$WORK/view" 2>&1
    wait "$gp" 2>/dev/null
    grep -q "guest line 3" "$WORK/view" && pass "a viewer sees the guest's output" ||
        fail "viewer: $(head -c 300 "$WORK/view")"
else
    fail "no port socket under $SIM/console"
fi
B serial free web01 > "$WORK/out" 2>&1 || fail "serial free: $(cat "$WORK/out")"
gone() { ! C list 2>/dev/null | grep -q "web01-con"; }
wait_until 50 gone && pass "the port the BMC freed is gone" ||
    fail "port still listed after free: $(C list 2>&1)"
"$BMC_SIM" stop "$SIM" > /dev/null 2>&1
p=$(cat "$SIM/pscon.pid" 2>/dev/null)
[ ! -e "$SIM/pscon.pid" ] && ! pgrep -f "$SIM/console" >/dev/null &&
    pass "bmc-sim stop stops pscon too" || fail "pscon left running ($p)"
