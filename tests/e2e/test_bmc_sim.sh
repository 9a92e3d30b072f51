# e2e: alone
# End-to-end: the simulated BMC (OpenIPMI ipmi_sim + the bmc-shim module)
# driven by the real ipmitool over RMCP+ on 127.0.0.1, and psctl on the
# same image.  Environment: BMC_SIM (scripts/bmc-sim), BMC_SIM_MODULE.
echo "== bmc-shim: ipmi_sim + ipmitool"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
export BMC_SIM_MODULE

IMG=$WORK/store.img
SIM=$WORK/sim
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
trap '"$BMC_SIM" stop "$SIM" >/dev/null 2>&1' EXIT INT TERM

"$PSCTL" -q -i "$IMG" init >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$IMG" vm create web >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$IMG" vm create db >/dev/null 2>&1 ||
    fail "bmc: preparing the image"
mkdir -p "$SIM"
if BMC_SIM_IMAGE=$IMG BMC_SIM_GATE=host-off BMC_SIM_ADMIN_PASS=adm1n-pw \
    BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/out" 2>&1
then pass "bmc-sim start on 127.0.0.1:$PORT"
else fail "bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi
"$BMC_SIM" status "$SIM" | grep -q "running" && pass "bmc-sim status" ||
    fail "bmc-sim status"
# ipmi, oem, cc_of, plan, bmc_write, hexs: tests/e2e/lib.sh.

# ---------------------------------------------------------------- info
r=$(oem 0x01)
case $r in
    "01 01 00 01 00 "*) pass "raw 0x2e 0x01: store info (protocol 1, format 1.0, schema 1)" ;;
    *) fail "raw info: '$r' $(cat "$WORK/err")" ;;
esac
gen=$(echo "$r" | awk '{ print $6 }')

# ---------------------------------------------------------------- privilege
r=$(ipmi oper 0per-pw -L OPERATOR raw 0x2e 0x01 0xd9 0x7e 0x00 2>"$WORK/err")
[ -n "$r" ] && pass "operator reads (info)" || fail "operator info: $(cat "$WORK/err")"
h0=$(hash_of "$IMG")
ipmi oper 0per-pw -L OPERATOR raw 0x2e 0x20 0xd9 0x7e 0x00 3 1 0 0 0 0 0 \
    >/dev/null 2>"$WORK/err"
[ "$(cc_of)" = 0xd4 ] && pass "operator write refused (0xd4)" ||
    fail "operator write: $(cat "$WORK/err")"
# An operator asking for an administrator session gets one from ipmi_sim;
# the user's own limit must still refuse the write.
ipmi oper 0per-pw -L ADMINISTRATOR raw 0x2e 0x20 0xd9 0x7e 0x00 3 1 0 0 0 0 0 \
    >/dev/null 2>"$WORK/err"
[ "$(cc_of)" = 0xd4 ] && pass "operator write in an administrator session refused (0xd4)" ||
    fail "operator write as administrator: $(cat "$WORK/err")"
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged after operator writes" ||
    fail "image changed by an operator"
if ipmi admin wrong-pw raw 0x2e 0x01 0xd9 0x7e 0x00 >/dev/null 2>"$WORK/err"
then fail "wrong password accepted"
else pass "wrong password refused ($(head -c 60 "$WORK/err"))"
fi
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged by refused requests" ||
    fail "image changed by refused requests"

# ---------------------------------------------------------------- power gate
# serial allocate: vm "web", 2 ports, observer, concentrator 7000.., "web-con"
ALLOC=03$(hexs web)0201581b0000$(hexs web-con)
ipmi admin adm1n-pw chassis power on >/dev/null 2>&1
st=$(ipmi admin adm1n-pw chassis power status 2>&1)
case $st in *on*) pass "chassis power on: $st" ;; *) fail "power on: $st" ;; esac
h0=$(hash_of "$IMG")
if bmc_write 3 "$ALLOC" >/dev/null; then fail "write with the host on accepted"
elif [ "$(cc_of)" = 0xd5 ]; then pass "write with the host on refused (0xd5)"
else fail "write with the host on: $(cat "$WORK/err")"
fi
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged (host on)" ||
    fail "image changed while the host ran"
ipmi admin adm1n-pw chassis power off >/dev/null 2>&1
r=$(bmc_write 3 "$ALLOC") && pass "serial allocate with the host off: $r" ||
    fail "serial allocate: $(cat "$WORK/err")"
r=$(oem 0x24 "$(cat "$WORK/sess")" 0 0 0 0 8)
[ "$r" = "00 00 58 1b 01 00 59 1b" ] &&
    pass "write result: ports 0->7000, 1->7001" || fail "write result '$r'"
"$PSCTL" -q -i "$IMG" serial list web > "$WORK/out" 2>&1
grep -q 7001 "$WORK/out" && grep -q web-con-1 "$WORK/out" &&
    pass "psctl -i sees the BMC's mappings" ||
    fail "psctl serial list: $(cat "$WORK/out")"

# ---------------------------------------------------------------- reads
# read VM "db": begin (op 3, 2 bytes), arg, run, chunks
s=$(oem 0x10 3 2 0) && oem 0x11 "0x$s" 0 0 0x64 0x62 >/dev/null &&
    r=$(oem 0x12 "0x$s") && pass "read vm db: length/generation $r" ||
    fail "read vm: $(cat "$WORK/err")"
c=$(oem 0x13 "0x$s" 0 0 0 0 16)
case $c in "02 01 00 80 "*) pass "read chunk: a VM container" ;;
    *) fail "read chunk '$c'" ;; esac
# serial list (op 6, all VMs)
s=$(oem 0x10 6 0 0) && r=$(oem 0x12 "0x$s") &&
    [ "$(echo "$r" | awk '{ print $1 }')" = 26 ] &&
    pass "serial list: 2 entries, 38 bytes" || fail "serial list: $r"
# physical profile push, then pull
PROF=$(python3 - <<'PY'
import struct
def s(sig, b): return struct.pack("<II", sig, len(b)) + b
kids = s(0x1, b"gold") + s(0x3, b"SN-42") + \
       s(0x207, bytes.fromhex("00112233445566778899aabbccddeeff0000"))
print((struct.pack("<III", 0x80000110, 3, len(kids)) + kids).hex())
PY
)
r=$(bmc_write 2 "0100$PROF") && pass "profile push to this host" ||
    fail "profile push: $(cat "$WORK/err")"
"$PSCTL" -q -i "$IMG" profile show gold > "$WORK/out" 2>&1
grep -q "bmc://localhost" "$WORK/out" && grep -q SN-42 "$WORK/out" &&
    pass "psctl -i: profile gold assigned to bmc://localhost" ||
    fail "profile show: $(cat "$WORK/out")"
s=$(oem 0x10 5 1 0) && oem 0x11 "0x$s" 0 0 1 >/dev/null &&
    r=$(oem 0x12 "0x$s") && c=$(oem 0x13 "0x$s" 0 0 0 0 4) &&
    [ "$c" = "10 01 00 80" ] && pass "profile pull: this host's profile" ||
    fail "profile pull: $r $c $(cat "$WORK/err")"

# ---------------------------------------------------------------- malformed
h0=$(hash_of "$IMG")
while read -r want what bytes; do
    # shellcheck disable=SC2086
    oem $bytes >/dev/null
    got=$(cc_of)
    [ "$got" = "$want" ] && pass "malformed: $what -> $want" ||
        fail "malformed: $what: got '$got', want $want"
done <<'TABLE'
0xc1 unknown-command 0x77
0xc7 info-with-data 0x01 0x00
0xc7 read-begin-short 0x10 0x01 0x00
0xcc read-begin-unknown-op 0x10 0x66 0x00 0x00
0xc8 read-begin-args-too-long 0x10 0x02 0x00 0x01
0x80 read-run-no-session 0x12 0xee
0x80 write-chunk-no-session 0x21 0xee 0x00 0x00 0x01
0xc7 write-begin-short 0x20 0x01 0x04
0xcc write-begin-unknown-op 0x20 0x66 0x04 0x00 0x00 0x00 0x00 0x00
0xc8 write-begin-too-long 0x20 0x01 0x01 0x10 0x00 0x00 0x00 0x00
0xc9 lock-lease-too-long 0x30 0x59 0x02
0x80 lock-release-not-held 0x31 0 0 0 0
0xc7 lock-release-without-token 0x31
0x81 write-begin-token-without-lock 0x20 0x01 0x04 0x00 0 0 0 0 1 0 0 0
TABLE
s=$(oem 0x20 1 4 0 0 0 0 0)
oem 0x21 "0x$s" 2 0 1 >/dev/null
[ "$(cc_of)" = 0x80 ] && pass "malformed: chunk out of order -> 0x80" ||
    fail "chunk order: $(cat "$WORK/err")"
oem 0x23 "0x$s" >/dev/null || fail "abort: $(cat "$WORK/err")"
# The IANA number is checked before the shim: another number is not this
# command (0xc1), fewer than 3 bytes of it a bad length (0xc7).
ipmi admin adm1n-pw raw 0x2e 0x01 0xd9 0x7e 0x01 >/dev/null 2>"$WORK/err"
[ "$(cc_of)" = 0xc1 ] && pass "malformed: another IANA number -> 0xc1" ||
    fail "wrong IANA: $(cat "$WORK/err")"
ipmi admin adm1n-pw raw 0x2e 0x01 0xd9 0x7e >/dev/null 2>"$WORK/err"
[ "$(cc_of)" = 0xc7 ] && pass "malformed: IANA number cut short -> 0xc7" ||
    fail "short IANA: $(cat "$WORK/err")"
bmc_write 4 "$(printf '03%s' "$(hexs zzz)")" >/dev/null
[ "$(cc_of)" = 0xcb ] && pass "malformed: serial free of no VM -> 0xcb" ||
    fail "serial free zzz: $(cat "$WORK/err")"
bmc_write 3 "03$(hexs web)11" >/dev/null
[ "$(cc_of)" = 0xc7 ] && pass "malformed: serial allocate cut short -> 0xc7" ||
    fail "alloc cut: $(cat "$WORK/err")"
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged by every malformed request" ||
    fail "image changed by a malformed request"

# ---------------------------------------------------------------- authentication
# Only RMCP+ cipher suite 3: suite 0 (no authentication) and IPMI 1.5
# (authtype none, straight password) are refused, wrong password or not.
for c in 0 1 2; do
    if IPMI_PASSWORD=wrong-pw ipmitool -I lanplus -C $c -H 127.0.0.1 -p "$PORT" \
        -U admin -E raw 0x2e 0x01 0xd9 0x7e 0x00 >/dev/null 2>&1
    then fail "cipher suite $c with a wrong password accepted"
    else pass "cipher suite $c with a wrong password refused"
    fi
done
for a in NONE PASSWORD MD5; do
    if IPMI_PASSWORD=wrong-pw ipmitool -I lan -A $a -H 127.0.0.1 -p "$PORT" \
        -U admin -E raw 0x2e 0x01 0xd9 0x7e 0x00 >/dev/null 2>&1
    then fail "IPMI 1.5 authtype $a with a wrong password accepted"
    else pass "IPMI 1.5 authtype $a with a wrong password refused"
    fi
done
if IPMI_PASSWORD=adm1n-pw ipmitool -I lan -A NONE -H 127.0.0.1 -p "$PORT" \
    -U admin -E raw 0x2e 0x01 0xd9 0x7e 0x00 >/dev/null 2>&1
then fail "IPMI 1.5 authtype NONE accepted"
else pass "IPMI 1.5 sessions refused even with the right password"
fi

# ---------------------------------------------------------------- lock and sessions
# Two clients (two ipmitool sessions): A holds the lock, B is kept out.
FREE=03$(hexs web)
h0=$(hash_of "$IMG")
tok=$(oem 0x30 30 0) && pass "client A: lock taken, token $tok" ||
    fail "lock take: $(cat "$WORK/err")"
T=$(for b in $tok; do printf '0x%s ' "$b"; done)
oem 0x30 30 0 >/dev/null
[ "$(cc_of)" = 0xc0 ] && pass "take while held -> 0xc0" ||
    fail "take while held: $(cat "$WORK/err")"
bmc_write 4 "$FREE" >/dev/null
[ "$(cc_of)" = 0xc0 ] && pass "client B's write without the token -> 0xc0" ||
    fail "B's write under A's lock: $(cat "$WORK/err")"
oem 0x31 0x01 0x02 0x03 0x04 >/dev/null
[ "$(cc_of)" = 0xc0 ] && pass "client B cannot release A's lock (0xc0)" ||
    fail "B released A's lock: $(cat "$WORK/err")"
oem 0x01 > "$WORK/info"
[ "$(awk '{ print $21 }' "$WORK/info")" = 07 ] &&
    pass "INFO: the lock is still held through the BMC" ||
    fail "INFO after B: $(cat "$WORK/info")"
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged by client B" ||
    fail "client B wrote under A's lock"
# shellcheck disable=SC2086
r=$(bmc_write 4 "$FREE" $T) && oem 0x24 "$(cat "$WORK/sess")" 0 0 0 0 1 >/dev/null &&
    pass "client A writes with its token: $r" ||
    fail "A's write: $(cat "$WORK/err")"
# shellcheck disable=SC2086
oem 0x31 $T >/dev/null && pass "client A releases with its token" ||
    fail "A's release: $(cat "$WORK/err")"
# shellcheck disable=SC2086
oem 0x31 $T >/dev/null
[ "$(cc_of)" = 0x80 ] && pass "release with nothing held -> 0x80" ||
    fail "second release: $(cat "$WORK/err")"

# One write session: B's BEGIN is busy while A's is open.
s=$(oem 0x20 1 1 0 0 0 0 0) || fail "begin A: $(cat "$WORK/err")"
oem 0x20 1 1 0 0 0 0 0 >/dev/null
[ "$(cc_of)" = 0xc0 ] && pass "a second client's BEGIN while one is open -> 0xc0" ||
    fail "BEGIN over an open session: $(cat "$WORK/err")"
oem 0x23 "0x$s" >/dev/null || fail "abort A: $(cat "$WORK/err")"

# A refused FINISH ends the session: the right CRC afterwards commits nothing.
h0=$(hash_of "$IMG")
plan "$FREE" > "$WORK/plan"
# shellcheck disable=SC2046
s=$(oem 0x20 4 $(sed -n 's/^len //p' "$WORK/plan") 0 0 0 0)
while read -r kind rest; do
    # shellcheck disable=SC2086
    [ "$kind" = chunk ] && oem 0x21 "0x$s" $rest >/dev/null
done < "$WORK/plan"
oem 0x22 "0x$s" 0 0 0 0 >/dev/null
[ "$(cc_of)" = 0xcc ] && pass "FINISH with a bad CRC -> 0xcc" ||
    fail "bad CRC: $(cat "$WORK/err")"
# shellcheck disable=SC2046
oem 0x22 "0x$s" $(sed -n 's/^crc //p' "$WORK/plan") >/dev/null
[ "$(cc_of)" = 0x80 ] && [ "$(hash_of "$IMG")" = "$h0" ] &&
    pass "the right CRC after a refused FINISH -> 0x80, nothing written" ||
    fail "FINISH after a refused one: $(cat "$WORK/err")"

# ---------------------------------------------------------------- a host writer holds the semaphore
# The BMC answers at once (0xc0), never blocks for the holder, and commits
# once the holder released; a holder that died is broken after its lease.
# The holder holds until its input (fd 9 here) is closed, after the
# checks: a fixed hold ran out before them on a loaded machine (its lease,
# 60 s, is never reached).  "At once" is under 1 s: this test runs alone.
export PSTATE_SEM_BIOS=$SIM/sem-bios PSTATE_SEM_SHM=$SIM/sem-shm
mkfifo "$WORK/hold-in"
"$SEM_HOLD" 60000 - < "$WORK/hold-in" > "$WORK/hold" 2>&1 &
hp=$!
exec 9> "$WORK/hold-in"
i=0; while ! grep -q held "$WORK/hold" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
plan "$FREE" > "$WORK/plan"
# shellcheck disable=SC2046
s=$(oem 0x20 4 $(sed -n 's/^len //p' "$WORK/plan") 0 0 0 0)
while read -r kind rest; do
    # shellcheck disable=SC2086
    [ "$kind" = chunk ] && oem 0x21 "0x$s" $rest >/dev/null
done < "$WORK/plan"
t0=$(date +%s%N)
# shellcheck disable=SC2046
oem 0x22 "0x$s" $(sed -n 's/^crc //p' "$WORK/plan") >/dev/null
cc=$(cc_of); t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ "$cc" = 0xc0 ] && [ $ms -lt 1000 ] &&
    pass "FINISH while a host writer holds the semaphore: 0xc0 in ${ms} ms" ||
    fail "FINISH under a host holder: '$cc' after ${ms} ms $(cat "$WORK/err")"
t0=$(date +%s%N)
oem 0x30 30 0 >/dev/null
cc=$(cc_of); t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
[ "$cc" = 0xc0 ] && [ $ms -lt 1000 ] &&
    pass "LOCK TAKE while a host writer holds it: 0xc0 in ${ms} ms" ||
    fail "LOCK TAKE under a host holder: '$cc' after ${ms} ms"
r=$(oem 0x01) && pass "INFO answers meanwhile (holder $(echo "$r" | awk '{ print $20 }'))" ||
    fail "INFO under a host holder: $(cat "$WORK/err")"
exec 9>&-
wait $hp
# shellcheck disable=SC2046
oem 0x22 "0x$s" $(sed -n 's/^crc //p' "$WORK/plan") >/dev/null &&
    oem 0x24 "0x$s" 0 0 0 0 1 >/dev/null &&
    pass "FINISH retried after the holder released commits" ||
    fail "FINISH retry: $(cat "$WORK/err")"
# A dead holder (lease 2 s): busy until its lease passed, then broken.
"$SEM_HOLD" 2000 0 die > "$WORK/hold" 2>&1
t0=$(date +%s)
r=$(bmc_write 4 "$FREE") && el=$(( $(date +%s) - t0 )) && [ $el -ge 2 ] &&
    pass "a dead holder's hold broken after its lease, not before ($el s)" ||
    fail "write after a dead holder: $(cat "$WORK/err")"
oem 0x24 "$(cat "$WORK/sess")" 0 0 0 0 1 >/dev/null
unset PSTATE_SEM_BIOS PSTATE_SEM_SHM
"$PSCTL" -q -i "$IMG" check >/dev/null 2>&1 && pass "psctl check after the lock tests" ||
    fail "psctl check after the lock tests"

# ---------------------------------------------------------------- concurrency
# The BMC (through ipmi_sim) and psctl (as the host's OS tool) write the
# same image at once, both through the simulated semaphore.
export PSTATE_SEM_BIOS=$SIM/sem-bios PSTATE_SEM_SHM=$SIM/sem-shm
N=8
( i=0; while [ $i -lt $N ]; do
      "$PSCTL" -q -i "$IMG" net create "n$i" --kind nat >/dev/null 2>&1 ||
          echo "psctl $i failed"
      i=$((i + 1)); done ) > "$WORK/psctl.log" &
bg=$!
i=0; bmc_fail=0
while [ $i -lt $N ]; do
    if bmc_write 3 "02$(hexs db)010000000000" >/dev/null; then
        oem 0x24 "$(cat "$WORK/sess")" 0 0 0 0 4 >/dev/null
    else
        bmc_fail=$((bmc_fail + 1)); echo "bmc $i: $(cc_of) $(cat "$WORK/err")" >> "$WORK/bmc.log"
    fi
    i=$((i + 1))
done
wait $bg
nets=$("$PSCTL" -q -i "$IMG" net list 2>/dev/null | grep -c '^ *n[0-9]')
ports=$("$PSCTL" -q -i "$IMG" serial list db 2>/dev/null | grep -c '^[0-9]')
[ "$bmc_fail" -eq 0 ] && [ ! -s "$WORK/psctl.log" ] &&
    pass "concurrent writers: every BMC and psctl commit succeeded" ||
    fail "concurrent writers: bmc failures $bmc_fail ($(head -c 200 "$WORK/bmc.log" 2>/dev/null)), psctl: $(cat "$WORK/psctl.log")"
[ "$nets" -eq $N ] && [ "$ports" -eq $N ] &&
    pass "no lost updates: $nets networks from psctl, $ports serial ports from the BMC" ||
    fail "lost updates: $nets networks, $ports ports (want $N each)"
"$PSCTL" -q -i "$IMG" check >/dev/null 2>&1 && pass "psctl check after the race" ||
    fail "psctl check after the race"
unset PSTATE_SEM_BIOS PSTATE_SEM_SHM

"$BMC_SIM" stop "$SIM" >/dev/null 2>&1
"$BMC_SIM" status "$SIM" >/dev/null 2>&1 && fail "bmc-sim still running" ||
    pass "bmc-sim stop"
trap - EXIT INT TERM
