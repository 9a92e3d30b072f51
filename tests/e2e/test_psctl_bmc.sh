# End-to-end: psctl as the management-side client (--bmc) of a simulated
# BMC (OpenIPMI ipmi_sim + the bmc-shim module, scripts/bmc-sim), through
# the real ipmitool, and psctl -i on the same image.  Environment:
# BMC_SIM (scripts/bmc-sim), BMC_SIM_MODULE.
echo "== psctl --bmc: the management-side client"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
export BMC_SIM_MODULE

IMG=$WORK/store.img
SIM=$WORK/sim
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
trap '"$BMC_SIM" stop "$SIM" >/dev/null 2>&1' EXIT INT TERM

L() { "$PSCTL" -q -i "$IMG" "$@"; }
B() { IPMI_PASSWORD=adm1n-pw "$PSCTL" -q --bmc "127.0.0.1:$PORT" -U admin "$@"; }
BO() { IPMI_PASSWORD=0per-pw "$PSCTL" -q --bmc "127.0.0.1:$PORT" -U oper "$@"; }

L init >/dev/null 2>&1 && L vm create web01 >/dev/null 2>&1 &&
    L vm create db >/dev/null 2>&1 &&
    L profile create gold --uuid 00112233-4455-6677-8899-aabbccddeeff \
        --serial SN-GOLD >/dev/null 2>&1 &&
    L profile create silver --uuid 10112233-4455-6677-8899-aabbccddeeff \
        --serial SN-SILVER >/dev/null 2>&1 ||
    fail "psctl --bmc: preparing the image"
mkdir -p "$SIM"
if BMC_SIM_IMAGE=$IMG BMC_SIM_GATE=host-off BMC_SIM_ADMIN_PASS=adm1n-pw \
    BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/out" 2>&1
then pass "psctl --bmc: bmc-sim on 127.0.0.1:$PORT"
else fail "psctl --bmc: bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi

# ---------------------------------------------------------------- reads
t0=$(date +%s%N)
B dump > "$WORK/bdump" 2>"$WORK/err"; rc=$?
t1=$(date +%s%N)
L dump > "$WORK/ldump" 2>&1
[ $rc -eq 0 ] && cmp -s "$WORK/bdump" "$WORK/ldump" &&
    pass "--bmc dump equals psctl -i dump ($(( (t1 - t0) / 1000000 )) ms)" ||
    fail "--bmc dump: rc $rc $(head -c 300 "$WORK/err")"
B vm show web01 > "$WORK/bvm" 2>&1; L vm show web01 > "$WORK/lvm" 2>&1
cmp -s "$WORK/bvm" "$WORK/lvm" && grep -q '^uuid' "$WORK/bvm" &&
    pass "--bmc vm show equals psctl -i vm show" ||
    fail "--bmc vm show: $(diff "$WORK/bvm" "$WORK/lvm" | head -5)"
B info --json > "$WORK/binfo" 2>&1; L info --json > "$WORK/linfo" 2>&1
for k in generation used-bytes vms profiles; do
    bv=$(grep "\"$k\"" "$WORK/binfo" | tr -d ' ,')
    lv=$(grep "\"$k\"" "$WORK/linfo" | tr -d ' ,')
    [ -n "$bv" ] && [ "$bv" = "$lv" ] && pass "--bmc info $k agrees ($bv)" ||
        fail "--bmc info $k: '$bv' vs '$lv'"
done
B bmc info --json > "$WORK/out" 2>&1
grep -q '"host-power": "off"' "$WORK/out" && grep -q '"aux-power": true' "$WORK/out" &&
    grep -q '"write-policy": "host-off"' "$WORK/out" &&
    pass "bmc info --json: host power (off, on aux power), write policy" ||
    fail "bmc info: $(head -c 300 "$WORK/out")"
B check > "$WORK/out" 2>&1 && pass "--bmc check" || fail "--bmc check: $(cat "$WORK/out")"

# ---------------------------------------------------------------- edits
t0=$(date +%s%N)
B vm set web01 --memory 4G > "$WORK/out" 2>&1; rc=$?
t1=$(date +%s%N)
[ $rc -eq 0 ] && L vm show web01 | grep -q '^memory *4GiB' &&
    pass "--bmc vm set --memory lands; psctl -i sees 4GiB ($(( (t1 - t0) / 1000000 )) ms)" ||
    fail "--bmc vm set: rc $rc $(cat "$WORK/out")"
B net create lan0 --kind nat > "$WORK/out" 2>&1 &&
    L net list | grep -q '^lan0 ' && pass "--bmc net create (a new set) lands" ||
    fail "--bmc net create: $(cat "$WORK/out")"
B nic add web01 eth0 --network lan0 > "$WORK/out" 2>&1 &&
    L nic list web01 | grep -q 'lan0' && pass "--bmc nic add referring to the new network" ||
    fail "--bmc nic add: $(cat "$WORK/out")"
B vm create tmp1 >/dev/null 2>&1 && B vm delete tmp1 > "$WORK/out" 2>&1 &&
    ! L vm show tmp1 >/dev/null 2>&1 && pass "--bmc vm create then delete (OEM delete)" ||
    fail "--bmc vm delete: $(cat "$WORK/out")"
L profile create bronze --serial SN-BRONZE >/dev/null 2>&1
B profile assign bronze web01 > "$WORK/out" 2>&1 &&
    L vm show web01 | grep -q '^serial *SN-BRONZE' &&
    L profile show bronze | grep -q '^target .*web01' &&
    pass "--bmc profile assign: two element writes under the BMC lock" ||
    fail "--bmc profile assign: $(cat "$WORK/out")"
B bmc info | grep -q '^lock-holder *none' && pass "the BMC lock is released after the edit" ||
    fail "BMC lock still held: $(B bmc info 2>&1)"
h0=$(hash_of "$IMG")
B vm set web01 --memory 8G --dry-run > "$WORK/out" 2>&1
grep -q 'would send to BMC' "$WORK/out" && grep -q 'nothing sent' "$WORK/out" &&
    [ "$(hash_of "$IMG")" = "$h0" ] && pass "--bmc --dry-run shows the writes, sends nothing" ||
    fail "--bmc --dry-run: $(head -c 300 "$WORK/out")"

# ---------------------------------------------------------------- power gate
# The state after on/off is a confirmation: said without -q, hidden by it.
B bmc power on > "$WORK/out" 2>&1 && [ ! -s "$WORK/out" ] &&
    B bmc power status | grep -q 'power on' &&
    pass "bmc power on -q: on, nothing said" || fail "bmc power on: $(cat "$WORK/out")"
IPMI_PASSWORD=adm1n-pw "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin bmc power on \
    > "$WORK/out" 2>/dev/null && grep -q 'host-power on$' "$WORK/out" &&
    pass "bmc power on without -q: says host-power on" ||
    fail "bmc power on (not quiet): $(cat "$WORK/out")"
h0=$(hash_of "$IMG")
expect_exit 8 "--bmc edit with the host on refused" -- B vm set web01 --memory 2G
expect_err "power-gate refusal names the cause" "host powered on"
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged (host on)" ||
    fail "image changed while the host ran"
B bmc power off > "$WORK/out" 2>&1 && [ ! -s "$WORK/out" ] &&
    B bmc power status | grep -q 'power off' &&
    pass "bmc power off / status" || fail "bmc power off: $(cat "$WORK/out")"
B vm set web01 --memory 2G > "$WORK/out" 2>&1 && L vm show web01 | grep -q '^memory *2GiB' &&
    pass "--bmc edit with the host off accepted" || fail "edit host off: $(cat "$WORK/out")"

# ---------------------------------------------------------------- access
BO vm show web01 > "$WORK/out" 2>&1 && grep -q '^memory *2GiB' "$WORK/out" &&
    pass "operator reads through --bmc" || fail "operator read: $(cat "$WORK/out")"
h0=$(hash_of "$IMG")
expect_exit 7 "operator edit in an operator session refused" -- BO -L operator vm set web01 --memory 1G
expect_err "privilege refusal says so" "insufficient privilege"
expect_exit 7 "operator edit (psctl asks for an administrator session) refused" -- BO vm set web01 --memory 1G
expect_err "operator edit: privilege refusal says so" "insufficient privilege"
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged (operator)" ||
    fail "image changed by an operator"
expect_exit 7 "wrong password refused" -- env IPMI_PASSWORD=nope "$PSCTL" -q --bmc "127.0.0.1:$PORT" vm list
expect_err "wrong password: message names the BMC" "BMC 127.0.0.1:$PORT"
expect_err "wrong password: says why" "wrong password"
t0=$(date +%s)
expect_exit 7 "unreachable BMC refused" -- env IPMI_PASSWORD=x "$PSCTL" -q --bmc 127.0.0.1:$((PORT + 1)) info
t1=$(date +%s)
[ $((t1 - t0)) -le 8 ] && pass "unreachable BMC: gave up in $((t1 - t0)) s" ||
    fail "unreachable BMC took $((t1 - t0)) s"
expect_err "unreachable: says no answer" "no IPMI answer"
expect_exit 2 "--bmc without a password" -- env -u IPMI_PASSWORD "$PSCTL" -q --bmc "127.0.0.1:$PORT" info
expect_exit 3 "--bmc with a bad port" -- "$PSCTL" -q --bmc 127.0.0.1:99999 info
expect_exit 2 "bmc info without --bmc" -- "$PSCTL" -q -i "$IMG" bmc info
expect_err "bmc info without --bmc says what is missing" "needs --bmc"

# ---------------------------------------------------------------- profiles
B -i "$IMG" bmc profile push gold > "$WORK/out" 2>&1 && [ ! -s "$WORK/out" ] &&
    L profile show gold | grep -q 'bmc://localhost' &&
    pass "bmc profile push (local profile) to this host: psctl -i sees bmc://localhost" ||
    fail "profile push host: $(cat "$WORK/out"); $(L profile show gold 2>&1)"
# The host's target in the normal form (docs/schema.md), and "this host":
# profile show, locally or through the BMC, reads it from the store shown
# instead of dialling bmc://localhost.
L profile show gold > "$WORK/out" 2>&1
grep -q '^target *bmc://localhost:623$' "$WORK/out" &&
    pass "pushed host profile: target bmc://localhost:623 (normal form)" ||
    fail "pushed host profile target: $(cat "$WORK/out")"
for via in L B; do
    $via profile show gold > "$WORK/out" 2>&1
    ! grep -q unreachable "$WORK/out" &&
        grep -q '^target *bmc://localhost:623 (this host): carries it$' "$WORK/out" &&
        pass "profile show ($via): this host carries it, not unreachable" ||
        fail "profile show ($via): $(cat "$WORK/out")"
done
L export --json > "$WORK/silver.json" 2>/dev/null
B bmc profile push "$WORK/silver.json" --name silver --vm db > "$WORK/out" 2>&1 &&
    L vm show db | grep -q '^uuid *10112233-4455-6677-8899-aabbccddeeff' &&
    L vm show db | grep -q '^serial *SN-SILVER' &&
    pass "bmc profile push FILE --vm db: the VM took the identity" ||
    fail "profile push vm: $(cat "$WORK/out"); $(L vm show db 2>&1 | head -5)"
B bmc profile pull > "$WORK/out" 2>&1 && grep -q '^serial *SN-GOLD' "$WORK/out" &&
    pass "bmc profile pull: this host's profile" || fail "pull: $(cat "$WORK/out")"
B bmc profile pull --vm db --json > "$WORK/out" 2>&1 && grep -q '"serial": "SN-SILVER"' "$WORK/out" &&
    pass "bmc profile pull --vm db --json" || fail "pull vm: $(cat "$WORK/out")"
expect_exit 5 "bmc profile pull of a missing VM" -- B bmc profile pull --vm nosuch
# The BMC path prints a profile by the local path's JSON rule: same
# members, same values, same JSON types as `profile show --json`.
B bmc profile pull --vm db --json > "$WORK/bpull" 2>&1
L profile show silver --json > "$WORK/lshow" 2>&1
if got=$(python3 -c "
import json, sys
b = json.load(open(sys.argv[1]))['item']; l = json.load(open(sys.argv[2]))['item']
bad = [k for k in b if k not in l or type(b[k]) != type(l[k]) or b[k] != l[k]]
print(bad or 'same')" "$WORK/bpull" "$WORK/lshow" 2>&1) && [ "$got" = same ]
then pass "bmc profile pull --json agrees with profile show --json"
else fail "pull --json vs show --json: $got"; fi
# A profile assigned in a pool (its target, state and pads the pool's)
# travels clean (ps_profile_export): the element pushed is byte for byte
# the one an unassigned copy makes, and it arrives without the pool's
# target.
PX=$WORK/px.img PY=$WORK/py.img
for p in "$PX" "$PY"; do
    "$PSCTL" -q -i "$p" init >/dev/null 2>&1 &&
        "$PSCTL" -q -i "$p" profile create copper --uuid 20112233-4455-6677-8899-aabbccddeeff \
            --serial SN-COPPER >/dev/null 2>&1 || fail "preparing pool $p"
done
"$PSCTL" -q -i "$PX" vm create c1 >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$PX" profile assign copper c1 >/dev/null 2>&1 || fail "assign copper in the pool"
B vm create c2 >/dev/null 2>&1 || fail "vm create c2 through the BMC"
# What goes on the wire: an ipmitool in front of the real one keeps each
# batch script, whose WRITE_CHUNK (0x21) lines carry the staged push.
REAL_IPMITOOL=$(command -v ipmitool)
mkdir -p "$WORK/bin"
printf '#!/bin/sh\nprev=\nfor a; do [ "$prev" = exec ] && cat "$a" >> "$IPMI_LOG"; prev=$a; done\nexec "%s" "$@"\n' \
    "$REAL_IPMITOOL" > "$WORK/bin/ipmitool"
chmod +x "$WORK/bin/ipmitool"
staged() { python3 -c "
import sys
d = []
for l in open(sys.argv[1]):
    w = l.split()
    if len(w) > 8 and w[0] == 'raw' and int(w[2], 16) == 0x21:
        d += [int(x, 16) for x in w[9:]]
print(bytes(d[2 + d[1]:]).hex())" "$1"; }
IPMI_LOG=$WORK/px.log PATH=$WORK/bin:$PATH B -i "$PX" bmc profile push copper --vm c2 > "$WORK/out" 2>&1 ||
    fail "push copper from the pool where it is assigned: $(cat "$WORK/out")"
# The same profile, unassigned, from the other pool: the BMC refuses it
# (copper is on c2 now), but what was sent is what counts here.
IPMI_LOG=$WORK/py.log PATH=$WORK/bin:$PATH B -i "$PY" bmc profile push copper --vm c2 > "$WORK/out" 2>&1
ex=$(staged "$WORK/px.log") ey=$(staged "$WORK/py.log")
[ -n "$ex" ] && [ "$ex" = "$ey" ] &&
    pass "bmc profile push of a pool-assigned profile sends the clean element (as an unassigned one)" ||
    fail "pushed elements differ: assigned $ex vs unassigned $ey"
B bmc profile pull --vm c2 --json > "$WORK/bpull" 2>&1 &&
    got=$(python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))['item']
print(j.get('serial'), j.get('target'), j.get('state'))" "$WORK/bpull" 2>&1) &&
    [ "$got" = "SN-COPPER c2 assigned" ] &&
    pass "pushed from a pool where it is on c1: arrives on c2, not the pool's target" ||
    fail "pull copper: ${got:-$(head -c 300 "$WORK/bpull")}"
B bmc info --json > "$WORK/out" 2>&1
if got=$(python3 -c "
import json, sys
j = json.load(open(sys.argv[1]))
print(all(isinstance(j[k], int) and not isinstance(j[k], bool) for k in
          ('protocol', 'schema', 'generation', 'store-bytes', 'capacity'))
      and all(isinstance(j[k], bool) for k in ('client-lock', 'readable', 'semaphore')))" "$WORK/out" 2>&1) &&
    [ "$got" = True ]
then pass "bmc info --json: numbers as numbers, flags as booleans"
else fail "bmc info --json types: $got $(cat "$WORK/out")"; fi
# The BMC's documents follow the output contract (docs/psctl-output.schema.json).
cp "$WORK/out" "$WORK/v1.json"
B bmc power status --json > "$WORK/v2.json" 2>&1
B info --json > "$WORK/v3.json" 2>&1
B vm show db --json > "$WORK/v4.json" 2>&1
if got=$(python3 "$ROOT/tests/e2e/json_schema.py" "$ROOT/docs/psctl-output.schema.json" \
    "$WORK/v1.json" "$WORK/v2.json" "$WORK/v3.json" "$WORK/v4.json" "$WORK/bpull" 2>&1)
then pass "bmc info, bmc power, bmc profile pull, --bmc info and vm show --json valid against the schema"
else fail "BMC documents against the schema: $got"; fi
grep -q '"host-power": "off"' "$WORK/v2.json" && B bmc info | grep -q '^host-power *off (aux power)$' &&
    pass "bmc power status and bmc info: the same word for the host's power" ||
    fail "power words: $(cat "$WORK/v2.json") / $(B bmc info 2>&1 | grep host-power)"

# ---------------------------------------------------------------- ipmitool's fds
# ipmitool (found on PATH) gets stdin, stdout and stderr and nothing else
# of psctl's: not the pipes of other runs, not the local image.  A fake
# ipmitool lists the descriptors it got (ls's own directory fd aside).
mkdir -p "$WORK/fakebin"
cat > "$WORK/fakebin/ipmitool" <<'FAKE'
#!/bin/sh
exec > "$FD_LOG" 2>&1
exec ls -l /proc/self/fd
FAKE
chmod +x "$WORK/fakebin/ipmitool"
( FD_LOG=$WORK/fds PATH="$WORK/fakebin:$PATH"; export FD_LOG PATH
  B -i "$IMG" bmc profile push gold >/dev/null 2>&1 )
fds=$(grep -- ' -> ' "$WORK/fds" 2>/dev/null | grep -v ' -> /proc/[0-9]*/fd$' |
      awk '{ print $(NF-2) }' | sort -n | tr '\n' ' ')
[ "$fds" = "0 1 2 " ] && pass "ipmitool inherits only fds 0-2 from psctl" ||
    fail "ipmitool inherited fds: '$fds' $(cat "$WORK/fds" 2>/dev/null | head -c 400)"

# ---------------------------------------------------------------- serial
L serial allocate web01 2 --first 7000 --last 7003 --hostname-base web-con > "$WORK/out" 2>&1 &&
    grep -q '7001 *free *web-con-1' "$WORK/out" && pass "serial allocate (local): 2 ports" ||
    fail "local allocate: $(cat "$WORK/out")"
B serial allocate db 2 --first 7000 --last 7003 --mode observer --hostnames d0,d1 > "$WORK/out" 2>&1 &&
    grep -q '7003 *observer *d1' "$WORK/out" && pass "serial allocate --bmc: the next free ports" ||
    fail "bmc allocate: $(cat "$WORK/out")"
L serial mappings > "$WORK/lmap" 2>&1; B serial mappings > "$WORK/bmap" 2>&1
cmp -s "$WORK/lmap" "$WORK/bmap" && [ "$(grep -c '^[a-z]' "$WORK/lmap")" -eq 4 ] &&
    pass "serial mappings: local and --bmc agree (4 ports)" ||
    fail "mappings: $(diff "$WORK/lmap" "$WORK/bmap" | head -5)"
B serial mappings db --json | grep -q '"hostname": "d0"' &&
    pass "serial mappings VM --json over --bmc" || fail "mappings json"
h0=$(hash_of "$IMG")
expect_exit 7 "serial allocate --bmc past the range refused" -- B serial allocate web01 1 --first 7000 --last 7003
expect_err "exhausted range: says why" "no free port"
expect_exit 7 "serial allocate (local) past the range refused" -- L serial allocate web01 2 --first 7003 --last 7004
[ "$(hash_of "$IMG")" = "$h0" ] && pass "image unchanged by refused allocations (all or nothing)" ||
    fail "image changed by a refused allocation"
B serial allocate web01 1 --dry-run > "$WORK/out" 2>&1 && grep -q 'nothing sent' "$WORK/out" &&
    [ "$(hash_of "$IMG")" = "$h0" ] && pass "serial allocate --bmc --dry-run sends nothing" ||
    fail "allocate dry run: $(cat "$WORK/out")"
# "freed N" is a confirmation: said without -q (B and L have it).
IPMI_PASSWORD=adm1n-pw "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin serial free db \
    > "$WORK/out" 2>/dev/null && grep -q 'freed 2' "$WORK/out" &&
    "$PSCTL" -i "$IMG" serial free web01 2>/dev/null | grep -q 'freed 2' &&
    [ "$(L serial mappings | grep -c '^[a-z]')" -eq 0 ] &&
    pass "serial free --bmc and local" || fail "serial free: $(cat "$WORK/out")"
L check > "$WORK/out" 2>&1 && pass "psctl -i check after every --bmc edit" ||
    fail "check: $(cat "$WORK/out")"

# ---------------------------------------------------------------- busy, exit status
# A host writer holds the semaphore: the BMC answers busy at once and
# psctl retries until the holder is gone, then commits.
if [ -n "${SEM_HOLD:-}" ]; then
    PSTATE_SEM_BIOS=$SIM/sem-bios PSTATE_SEM_SHM=$SIM/sem-shm \
        "$SEM_HOLD" 10000 3 > "$WORK/hold" 2>&1 &
    hp=$!
    i=0; while ! grep -q held "$WORK/hold" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    B vm set db --memory 3G > "$WORK/out" 2>&1; rc=$?
    wait $hp
    [ $rc -eq 0 ] && L vm show db | grep -q '^memory *3GiB' &&
        pass "--bmc write while a host writer holds the semaphore: retried, committed" ||
        fail "--bmc write under a host holder: rc $rc $(cat "$WORK/out")"
fi
# Host writers commit all the time: a single-element --bmc write that
# fails as stale is retried under the BMC lock, never starved.
export PSTATE_SEM_BIOS=$SIM/sem-bios PSTATE_SEM_SHM=$SIM/sem-shm
( i=0; while [ ! -f "$WORK/stop-host" ] && [ $i -lt 400 ]; do
      L vm set web01 --memory "$(( i % 7 + 1 ))G" >/dev/null 2>&1
      i=$((i + 1)); done ) &
hw=$!
ok=0; k=1
while [ $k -le 4 ]; do
    B vm set db --cpus $k > "$WORK/out" 2>&1 && ok=$((ok + 1)) ||
        echo "write $k: $(cat "$WORK/out")" >> "$WORK/starve.log"
    k=$((k + 1))
done
touch "$WORK/stop-host"; wait $hw
unset PSTATE_SEM_BIOS PSTATE_SEM_SHM
[ $ok -eq 4 ] && L vm show db | grep -q "^cpus *4" &&
    pass "--bmc single-element writes among host writers: 4 of 4 committed" ||
    fail "--bmc writes starved: $ok of 4 ($(head -c 400 "$WORK/starve.log" 2>/dev/null))"
# ipmitool exits non-zero after every request was answered (closing the
# session failed): the write committed and psctl says so.
mkdir -p "$WORK/bin"
cat > "$WORK/bin/ipmitool" <<WRAP
#!/bin/sh
$(command -v ipmitool) "\$@"
rc=\$?
[ \$rc -eq 0 ] && exit 1
exit \$rc
WRAP
chmod +x "$WORK/bin/ipmitool"
PATH=$WORK/bin:$PATH B vm set db --memory 5G > "$WORK/out" 2>&1; rc=$?
[ $rc -eq 0 ] && L vm show db | grep -q '^memory *5GiB' &&
    pass "ipmitool failing after the FINISH was answered: committed, exit 0" ||
    fail "ipmitool exit after FINISH: rc $rc $(cat "$WORK/out")"

"$BMC_SIM" stop "$SIM" >/dev/null 2>&1

# ---------------------------------------------------------------- no semaphore
# A BMC with no semaphore holds no lock for a client: edits of several
# elements go unlocked, each write expecting the generation the one
# before made.
IMG2=$WORK/nosem.img
SIM2=$WORK/sim-nosem
PORT2=$(( PORT + 1 ))
[ "$PORT2" -lt 50000 ] || PORT2=$(( PORT - 1 ))
trap '"$BMC_SIM" stop "$SIM2" >/dev/null 2>&1' EXIT INT TERM
B2() { IPMI_PASSWORD=adm1n-pw "$PSCTL" -q --bmc "127.0.0.1:$PORT2" -U admin "$@"; }
L2() { "$PSCTL" -q -i "$IMG2" "$@"; }
mkdir -p "$SIM2"
if L2 init >/dev/null 2>&1 && L2 vm create vm1 >/dev/null 2>&1 &&
    L2 profile create tin --serial SN-TIN >/dev/null 2>&1 &&
    BMC_SIM_IMAGE=$IMG2 BMC_SIM_SEM=0 BMC_SIM_ADMIN_PASS=adm1n-pw \
    BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$SIM2" "$PORT2" > "$WORK/out" 2>&1
then
    B2 bmc info > "$WORK/out" 2>&1 && grep -q '^semaphore *absent' "$WORK/out" &&
        pass "bmc info: a BMC without a semaphore says so" ||
        fail "bmc info (no semaphore): $(cat "$WORK/out")"
    B2 net create lan9 --kind nat > "$WORK/out" 2>&1 && L2 net list | grep -q '^lan9 ' &&
        pass "--bmc net create on a BMC without a semaphore" ||
        fail "--bmc net create (no semaphore): $(cat "$WORK/out")"
    B2 profile assign tin vm1 > "$WORK/out" 2>&1; rc=$?
    [ $rc -eq 0 ] && L2 vm show vm1 | grep -q '^serial *SN-TIN' &&
        L2 profile show tin | grep -q '^target .*vm1' &&
        pass "--bmc profile assign (two writes) without a semaphore: no lock asked for" ||
        fail "--bmc profile assign (no semaphore): rc $rc $(cat "$WORK/out")"
    ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$PORT2" -U admin -P adm1n-pw \
        raw 0x2e 0x30 0xd9 0x7e 0x00 0x05 0x00 > "$WORK/out" 2>&1
    grep -qi 'rsp=0xd6' "$WORK/out" && pass "lock take without a semaphore: 0xd6" ||
        fail "lock take (no semaphore): $(head -c 300 "$WORK/out")"
    L2 check > "$WORK/out" 2>&1 && pass "psctl -i check after the unlocked edits" ||
        fail "check (no semaphore): $(cat "$WORK/out")"
else
    fail "bmc-sim without a semaphore: $(cat "$WORK/out")"
fi
"$BMC_SIM" stop "$SIM2" >/dev/null 2>&1
trap - EXIT INT TERM
