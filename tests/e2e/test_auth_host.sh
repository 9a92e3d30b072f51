# The authenticated store on its host (docs/security.md "The host's
# TPM", docs/hvagent.md "Authenticated stores"): the key sealed by a TPM
# and the trusted counter in its NV counter (swtpm on a free port, state
# in $WORK/tpm), psctl and hvagent (libvirt's embedded QEMU driver) on the
# host; a laptop without the key or the TPM; the BMC (bmc-sim) reads
# hvagent's alert in its SEL.
echo "== auth: host (TPM), hvagent, laptop"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
case $BMC_SIM in /*) ;; *) BMC_SIM=$ROOT/$BMC_SIM ;; esac
export BMC_SIM_MODULE
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
TPORT=$(free_port)
mkdir -p "$WORK/tpm" "$WORK/host" && chmod 700 "$WORK/host"
setsid timeout -s KILL 300 swtpm socket --tpm2 --tpmstate dir="$WORK/tpm" \
    --server type=tcp,port="$TPORT",bindaddr=127.0.0.1 \
    --ctrl type=tcp,port=$((TPORT + 1)),bindaddr=127.0.0.1 \
    --flags not-need-init,startup-clear --pid file="$WORK/swtpm.pid" \
    > "$WORK/swtpm.log" 2>&1 &
TPID=$!
# swtpm itself (timeout, its parent, does not pass a KILL on).
stop_tpm() { kill -KILL "$(cat "$WORK/swtpm.pid" 2>/dev/null)" $TPID 2>/dev/null; }
SIM=$WORK/sim BPORT=$(free_port)
trap 'stop_tpm; "$BMC_SIM" stop "$SIM" >/dev/null 2>&1' EXIT INT TERM

hv_embed_conf
HOSTENV="PSTATE_TPM=swtpm:host=127.0.0.1,port=$TPORT PSTATE_AUTH_KEY=$WORK/host/key"
LAPENV="PSTATE_TPM=none PSTATE_AUTH_KEY=$WORK/laptop/key PSTATE_AUTH_COUNTER=$WORK/laptop/counter"
host() { env $HOSTENV "$PSCTL" -i "$IMG" "$@"; }
laptop() { env $LAPENV "$PSCTL" -i "$WORK/laptop.img" "$@"; }
hv() { env $HOSTENV IPMI_PASSWORD=adm1n-pw "$HVAGENT" -c "$CONF" -i "$IMG" --once; }
xml() { virsh -c "$U" dumpxml --inactive web01 2>/dev/null; }
sel() { IPMI_PASSWORD=adm1n-pw ipmitool -I lanplus -C 3 -H 127.0.0.1 \
    -p "$BPORT" -U admin -E sel list 2>/dev/null; }
verdict() { host check --verify >/dev/null 2>&1; echo $?; }
for i in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$TPORT") 2>/dev/null && break; sleep 0.1
done

"$PSCTL" -q -i "$IMG" init >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$IMG" vm create web01 --memory 1GiB --cpus 1 ||
    fail "auth host: preparing the image"
mkdir -p "$SIM"
BMC_SIM_IMAGE=$WORK/bmc.img BMC_SIM_SEM=0 BMC_SIM_ADMIN_PASS=adm1n-pw \
    BMC_SIM_OPER_PASS=0per-pw
export BMC_SIM_IMAGE BMC_SIM_SEM BMC_SIM_ADMIN_PASS BMC_SIM_OPER_PASS
"$PSCTL" -q -i "$BMC_SIM_IMAGE" init >/dev/null 2>&1
"$BMC_SIM" start "$SIM" "$BPORT" > "$WORK/out" 2>&1 ||
    fail "auth host: bmc-sim start: $(cat "$WORK/out")"
echo "alert_ipmitool = -I lanplus -C 3 -H 127.0.0.1 -p $BPORT -U admin -E" >> "$CONF"

# Authenticated mode with the TPM: the key file holds a sealed blob.
expect_exit 0 "auth init with the TPM" -- host auth init
host auth status > "$WORK/status" 2>&1
grep -q "^tpm: swtpm:" "$WORK/status" && grep -q "^verdict: verified" "$WORK/status" &&
    pass "status: TPM, NV counter, verified" || fail "status: $(cat "$WORK/status")"
[ "$(stat -c %s "$WORK/host/key")" -gt 32 ] && [ ! -e "$WORK/host/counter" ] &&
    pass "the key file is a TPM blob, no counter file" ||
    fail "key file $(stat -c %s "$WORK/host/key") bytes"
expect_exit 0 "hvagent: boot pass on the verified store" -- hv
expect_exit 0 "hvagent's write-back keeps the store verified" -- host check --verify
xml > "$WORK/d0.xml"
grep -q "<memory unit='KiB'>1048576</memory>" "$WORK/d0.xml" &&
    pass "libvirt holds web01 (1 GiB)" || fail "dumpxml: $(head -c 300 "$WORK/d0.xml")"

# Stolen to a laptop (no key, no TPM), edited there, put back.
cp "$IMG" "$WORK/orig.img"
cp "$IMG" "$WORK/laptop.img"
expect_exit 9 "laptop: edit without --unverified refused" -- \
    laptop vm set web01 --memory 8GiB
expect_exit 0 "laptop: edit with --unverified" -- \
    laptop vm set web01 --memory 8GiB --unverified
cp "$WORK/laptop.img" "$IMG"
expect_exit 6 "hvagent refuses the laptop's edit (exit 6)" -- hv
expect_err "hvagent says why" "is unverified: refused, not applied"
xml | cmp -s - "$WORK/d0.xml" && pass "libvirt unchanged (dumpxml identical)" ||
    fail "libvirt changed: $(xml | grep memory)"
sel > "$WORK/sel"
grep -q "OEM record c0 | 007ed9 | 0103" "$WORK/sel" &&
    pass "the BMC's SEL holds the alert (verdict unverified)" ||
    fail "SEL: $(cat "$WORK/sel")"

# The original back after one more trusted commit: a replay.
cp "$WORK/orig.img" "$IMG"
expect_exit 0 "a trusted commit (TPM)" -- host vm set web01 --cpus 2
cp "$WORK/orig.img" "$IMG"
expect_exit 12 "the replayed copy reads rolled-back" -- host check --verify
expect_exit 6 "hvagent refuses the replay" -- hv
expect_err "hvagent says rolled back" "is rolled-back: refused"
xml | cmp -s - "$WORK/d0.xml" && pass "libvirt unchanged after the replay" ||
    fail "libvirt changed: $(xml | grep -E 'memory|vcpu')"
grep -c "OEM record c0" "$WORK/sel" >/dev/null; sel | grep -q "0105" &&
    pass "a second alert (verdict rolled-back)" || fail "SEL: $(sel)"

# Deleting and re-defining the NV counter does not roll it back.
NVX=$(grep "^counter-nv-index:" "$WORK/status" | cut -d' ' -f2)
T=$(env $HOSTENV "$PSCTL" -i "$WORK/orig.img" auth status | sed -n 's/^counter: //p')
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvundefine "$NVX" >/dev/null 2>&1 &&
    TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvdefine "$NVX" -C o -s 8 \
        -a "ownerread|ownerwrite|authread|no_da|nt=counter" >/dev/null 2>&1 &&
    TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvincrement "$NVX" -C o >/dev/null 2>&1 ||
    fail "tpm2-tools: undefine/define the counter"
T2=$(env $HOSTENV "$PSCTL" -i "$WORK/orig.img" auth status | sed -n 's/^counter: //p')
[ -n "$T" ] && [ -n "$T2" ] && [ "$T2" -ge "$T" ] &&
    pass "a re-defined NV counter starts at $T2 >= $T" || fail "counter $T -> $T2"
expect_exit 12 "the replay still reads rolled-back" -- host check --verify
# A counter index of another type at that handle is refused.
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvundefine "$NVX" >/dev/null 2>&1
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvdefine "$NVX" -C o -s 8 \
    -a "ownerread|ownerwrite|authread|no_da" >/dev/null 2>&1
expect_exit 9 "an ordinary NV index in the counter's place is refused" -- \
    host check --verify
expect_err "says why" "not pstate's counter"
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvundefine "$NVX" >/dev/null 2>&1
expect_exit 9 "a deleted NV counter is refused (the key is here)" -- \
    host check --verify
expect_err "says why" "its NV counter $NVX is not: refused"
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvundefine "$NVX" >/dev/null 2>&1
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvdefine "$NVX" -C o -s 8 \
    -a "ownerread|ownerwrite|authread|no_da|nt=counter" >/dev/null 2>&1
TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPORT" tpm2_nvincrement "$NVX" -C o >/dev/null 2>&1

# Back to the latest store: a trusted edit with the TPM is applied.
env $HOSTENV "$PSCTL" -i "$WORK/orig.img" auth status > /dev/null 2>&1
cp "$WORK/laptop.img" "$IMG"
expect_exit 0 "the host reviews and seals the laptop's edit" -- \
    host vm set web01 --memory 2GiB --cpus 1 --accept-unverified
expect_exit 0 "hvagent applies the trusted edit" -- hv
xml | grep -q "<memory unit='KiB'>2097152</memory>" &&
    pass "libvirt now holds 2 GiB" || fail "dumpxml: $(xml | grep memory)"
expect_exit 0 "verified after hvagent's pass" -- host check --verify

# A power cut between the commit and the counter's increment (T + 1).
env $HOSTENV PSCTL_TEST_CRASH_AT=auth-counter "$PSCTL" -i "$IMG" \
    vm set web01 --memory 3GiB >/dev/null 2>&1
host auth status > "$WORK/status" 2>&1
sc=$(sed -n 's/^slot-counter: //p' "$WORK/status")
tc=$(sed -n 's/^counter: //p' "$WORK/status")
[ -n "$sc" ] && [ "$sc" = $((tc + 1)) ] && pass "cut: the slot is one ahead ($sc, $tc)" ||
    fail "cut: slot $sc, counter $tc"
expect_exit 0 "hvagent accepts T + 1 and applies it" -- hv
xml | grep -q "<memory unit='KiB'>3145728</memory>" &&
    pass "libvirt holds 3 GiB" || fail "dumpxml: $(xml | grep memory)"

# hvagent's write-back (a change made in libvirt) is sealed.
g0=$(host auth status | sed -n 's/^slot-counter: //p')
xml | sed "s/<vcpu placement='static'>1</<vcpu placement='static'>2</" > "$WORK/w.xml"
virsh -c "$U" define "$WORK/w.xml" >/dev/null 2>&1 || fail "virsh define"
expect_exit 0 "hvagent pulls the libvirt change" -- hv
host vm show web01 2>/dev/null | grep -q "^cpus *2" &&
    pass "the store took cpus 2 from libvirt" || fail "$(host vm show web01 | grep cpus)"
g1=$(host auth status | sed -n 's/^slot-counter: //p')
[ "$g1" -gt "$g0" ] && pass "hvagent's commit carries a new counter ($g0 -> $g1)" ||
    fail "counter $g0 -> $g1"
expect_exit 0 "and verifies" -- host check --verify

# Rotation: the old key's stores are refused.
cp "$IMG" "$WORK/prerot.img"
expect_exit 0 "auth rotate (TPM)" -- host auth rotate
expect_exit 0 "verified under the new key" -- host check --verify
cp "$IMG" "$WORK/postrot.img"
cp "$WORK/prerot.img" "$IMG"
expect_exit 11 "the old key's copy reads bad-mac" -- host check --verify
expect_exit 6 "hvagent refuses it" -- hv

# A rotation cut after its commit (before the counter and the key file's
# rename): the next command finishes it with the sealed KEY.new.
cp "$WORK/postrot.img" "$IMG"
cp "$WORK/host/key" "$WORK/key.before"
env $HOSTENV PSCTL_TEST_CRASH_AT=auth-counter "$PSCTL" -i "$IMG" auth rotate \
    >/dev/null 2>&1
[ -e "$WORK/host/key.new" ] && cmp -s "$WORK/host/key" "$WORK/key.before" &&
    pass "rotation cut: the new sealed key waits in key.new" ||
    fail "rotation cut: $(ls "$WORK/host")"
expect_exit 0 "the next command finishes the rotation" -- host auth status
expect_err "says so" "finished an interrupted key rotation"
! cmp -s "$WORK/host/key" "$WORK/key.before" && [ ! -e "$WORK/host/key.new" ] &&
    pass "the key file is the new blob" || fail "key after finishing: $(ls "$WORK/host")"
expect_exit 0 "verified (counter T + 1)" -- host check --verify

# The daemon: a store swapped under it is refused at its next pass, and it
# keeps running; libvirt is left as it was.
xml > "$WORK/d1.xml"
env $HOSTENV IPMI_PASSWORD=adm1n-pw setsid timeout -s KILL 60 "$HVAGENT" \
    -c "$CONF" -i "$IMG" > "$WORK/daemon.log" 2>&1 &
DPID=$!
wait_log() { i=0; while [ $i -lt 100 ] && ! grep -q "$1" "$WORK/daemon.log"; do
    sleep 0.2; i=$((i + 1)); done; grep -q "$1" "$WORK/daemon.log"; }
wait_log "watching" || fail "daemon did not start: $(tail -3 "$WORK/daemon.log")"
cp "$IMG" "$WORK/good.img"
cp "$WORK/laptop.img" "$IMG"
wait_log "is unverified: refused" && kill -0 $DPID 2>/dev/null &&
    pass "daemon: the swapped store refused, the daemon runs on" ||
    fail "daemon: $(tail -3 "$WORK/daemon.log")"
kill -TERM $DPID 2>/dev/null; wait $DPID 2>/dev/null
# (the embedded driver opens in one process at a time: virsh after it)
xml | cmp -s - "$WORK/d1.xml" && pass "daemon: libvirt unchanged" ||
    fail "daemon: libvirt changed: $(xml | diff "$WORK/d1.xml" - | head -8 | tr "\n" " ")"

# The BMC on a store the TPM host seals: the host's key is a TPM blob, so
# the BMC gets the raw key from `psctl auth export-key` (root-only file);
# each side then accepts the other's sealed commits.
TB=$WORK/tb.img SIM2=$WORK/sim2 BPORT2=$(free_port)
tb() { env $HOSTENV PSTATE_AUTH_KEY=$WORK/host/key2 "$PSCTL" -i "$TB" "$@"; }
B2() { IPMI_PASSWORD=adm1n-pw "$PSCTL" -q --bmc "127.0.0.1:$BPORT2" -U admin "$@"; }
"$PSCTL" -q -i "$TB" init >/dev/null 2>&1 &&
    "$PSCTL" -q -i "$TB" vm create tb1 --memory 1GiB --cpus 1 >/dev/null 2>&1 ||
    fail "auth bmc: preparing the second image"
mkdir -p "$WORK/bmc" "$SIM2" && chmod 700 "$WORK/bmc"
expect_exit 0 "auth bmc: auth init with the TPM" -- tb auth init
expect_exit 0 "auth bmc: auth export-key writes the raw key" -- tb auth export-key "$WORK/bmc/key"
[ "$(stat -c '%a %s' "$WORK/bmc/key")" = "600 32" ] &&
    pass "auth bmc: the exported key is 32 bytes, mode 600" ||
    fail "auth bmc: exported key $(stat -c '%a %s' "$WORK/bmc/key")"
expect_exit 4 "auth bmc: export-key never overwrites a file" -- tb auth export-key "$WORK/bmc/key"
if BMC_SIM_IMAGE=$TB BMC_SIM_KEY=$WORK/bmc/key BMC_SIM_CONSOLE=0 \
    "$BMC_SIM" start "$SIM2" "$BPORT2" > "$WORK/out2" 2>&1; then
    expect_exit 0 "auth bmc: an edit through the BMC on the TPM host's sealed store" -- \
        B2 vm set tb1 --memory 2GiB
    expect_exit 0 "auth bmc: the TPM host verifies the BMC's seal" -- tb check --verify
    expect_exit 0 "auth bmc: the TPM host's edit after the BMC's" -- tb vm set tb1 --memory 3GiB
    B2 vm show tb1 > "$WORK/tb1" 2>&1
    grep -q '^memory *3GiB' "$WORK/tb1" && pass "auth bmc: the BMC serves the host's sealed commit" ||
        fail "auth bmc: BMC read after the host's edit: $(head -c 300 "$WORK/tb1")"
    "$BMC_SIM" stop "$SIM2" >/dev/null 2>&1
else
    fail "auth bmc: bmc-sim start with the exported key: $(cat "$WORK/out2")"
fi

"$BMC_SIM" stop "$SIM" >/dev/null 2>&1
stop_tpm
trap - EXIT INT TERM
