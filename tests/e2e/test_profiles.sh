# Server profiles across physical and virtual servers, end to end: a pool
# image on the management station, two simulated BMCs (ipmi_sim with the
# bmc-shim module, each over its own server's key image, on their own
# loopback ports) for physical servers A and C, and a hypervisor host B
# (an image plus libvirt qemu:///embed, run by hvagent), all named in the
# pool's server directory (A, host-B, C).  A profile goes to A, A fails,
# failover A -> host-B#vm1, hvagent gives vm1 the identity (virsh
# dumpxml), then it moves to C through C's BMC.  Refusals: a powered-on
# target, a clashing MAC (both holders named), an unreachable source, an
# unknown server, an ambiguous name, a target named twice, deleting a
# server a profile is on.  A move killed after every step (PSCTL_TEST_CRASH_AT) and rerun
# finishes, and no identifier is ever carried by two targets.
echo "== profiles: assign, failover, move across BMCs and a hypervisor"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
export BMC_SIM_MODULE

POOL=$WORK/pool.img IMG_A=$WORK/a.img IMG_C=$WORK/c.img IMG_B=$WORK/hostb.img
PW=adm1n-pw
export IPMI_PASSWORD=$PW
BASE=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
PA=$BASE PC=$((BASE + 1))
A=bmc://127.0.0.1:$PA C=bmc://127.0.0.1:$PC B1=image:$IMG_B#vm1
UUID=6a0f1e2d-3c4b-4a59-8687-96a5b4c3d2e1 SN=SN-WEB-0001
MAC0=02:00:5e:10:00:01 MAC1=02:00:5e:10:00:02
trap '"$BMC_SIM" stop "$WORK/simA" >/dev/null 2>&1; "$BMC_SIM" stop "$WORK/simC" >/dev/null 2>&1' EXIT INT TERM

ps() { "$PSCTL" -q "$@"; }
pool() { "$PSCTL" -q -i "$POOL" "$@"; }
power() { ipmitool -I lanplus -C 3 -H 127.0.0.1 -p "$1" -U admin -E chassis power "$2"; }

for i in "$POOL" "$IMG_A" "$IMG_C" "$IMG_B"; do ps -i "$i" init >/dev/null 2>&1; done
ps -i "$IMG_B" vm create vm1 --memory 256MiB &&
    ps -i "$IMG_B" nic add vm1 eth0 && ps -i "$IMG_B" nic add vm1 eth1 &&
    ps -i "$IMG_B" vm create vm2 --memory 256MiB &&
    ps -i "$IMG_B" nic add vm2 eth0 --mac 52:54:00:77:00:01 ||
    fail "profiles: preparing host B"
pool profile create web --uuid "$UUID" --serial "$SN" --macs "$MAC0,$MAC1" \
    --wwns 20:00:00:25:b5:00:00:0f/21:00:00:25:b5:00:00:0f --boot network,disk ||
    fail "profiles: creating the profile"
for s in A C; do
    eval "img=\$IMG_$s port=\$P$s"
    mkdir -p "$WORK/sim$s"
    BMC_SIM_IMAGE=$img BMC_SIM_GATE=host-off BMC_SIM_POWER=off BMC_SIM_ADMIN_PASS=$PW \
        BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$WORK/sim$s" "$port" > "$WORK/out" 2>&1 ||
        { fail "bmc-sim $s start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0; }
done
pass "two simulated BMCs on 127.0.0.1:$PA and :$PC"

# --- the pool's server directory: the servers by name
expect_exit 0 "server create A" -- pool server create A --target "bmc://127.0.0.1:$PA"
expect_exit 0 "server create host-B" -- pool server create host-B --target "image:$IMG_B"
expect_exit 0 "server create C" -- pool server create C --target "bmc://127.0.0.1:$PC" \
    --description "spare, rack 2"
pool server list --json > "$WORK/srv.json" 2>&1
got=$(python3 -c "import json; print(' '.join(s['name'] + '=' + s['target'] for s in json.load(open('$WORK/srv.json'))['items']))" 2>&1)
[ "$got" = "A=$A host-B=image:$IMG_B C=$C" ] && pass "server list --json: three servers, full targets" ||
    fail "server list --json: $got"
H=$(hash_of "$POOL")
expect_exit 4 "a second name for A's target refused" -- pool server create A2 --target "BMC://127.0.0.1:$PA"
expect_err "duplicate target names the holder" "server 'A'"
[ "$(hash_of "$POOL")" = "$H" ] && pass "duplicate target: pool unchanged" || fail "duplicate target changed the pool"

# carriers: the target stores whose own data holds the UUID, serial or a
# MAC of the profile (each key image read directly, as a technician would).
carriers() {
    n=0
    for i in "$IMG_A" "$IMG_C" "$IMG_B"; do
        # hvagent's own record of what libvirt last had is not the store's
        # identity: it is left out.
        ps -i "$i" export 2>/dev/null |
            awk '/^\tagent-state \{/{s=1} !s; s && /^\t\}/{s=0}' |
            grep -qiE "$UUID|$MAC0|$MAC1|$SN" && n=$((n + 1))
    done
    echo $n
}
state() { pool profile show web | sed -n 's/^state *//p'; }
target() { pool profile show web | sed -n 's/^target  *//p' | head -1; }

# --- assign to physical server A through its BMC
expect_exit 0 "assign web to server A ($A)" -- pool profile assign web A
[ "$(state)" = assigned ] && [ "$(target)" = "$A" ] &&
    pass "pool: web assigned to $A" || fail "pool after assign: $(state) $(target)"
ps -i "$IMG_A" export > "$WORK/a.txt" 2>&1
grep -q "$UUID" "$WORK/a.txt" && grep -qi "$MAC0" "$WORK/a.txt" &&
    pass "server A's key carries the profile (pushed through its BMC)" ||
    fail "server A's key lacks the profile: $(head -c 300 "$WORK/a.txt")"
pool profile show web > "$WORK/show" 2>&1
grep -q "target .*$A: carries it" "$WORK/show" && pass "profile show: A's BMC says it carries web" ||
    fail "profile show: $(cat "$WORK/show")"
grep -q "^server  *A$" "$WORK/show" && pool profile list | grep -q "$A (server A)" &&
    pass "profile show and list name server A" || fail "server name not shown: $(cat "$WORK/show")"
H=$(hash_of "$POOL")
expect_exit 4 "deleting a server a profile is on refused" -- pool server delete A
expect_err "server delete names the profile" "profile 'web'"
[ "$(hash_of "$POOL")" = "$H" ] && pass "server delete refused: pool unchanged" || fail "server delete changed the pool"

# --- refusals that change nothing
power "$PC" on >/dev/null 2>&1
H=$(hash_of "$POOL")
expect_exit 4 "move to a powered-on server refused" -- pool profile move web "$C"
expect_err "power refusal says why" "is powered on"
[ "$(hash_of "$POOL")" = "$H" ] && pass "power refusal: pool unchanged" || fail "power refusal changed the pool"
power "$PC" off >/dev/null 2>&1
pool profile create db --macs 52:54:00:77:00:01 >/dev/null 2>&1
H=$(hash_of "$POOL")
expect_exit 4 "clashing MAC refused" -- pool profile assign db "image:$IMG_B#vm1"
expect_err "clash names the profile" "profile 'db'"
expect_err "clash names the other holder" "nic 'eth0' of vm 'vm2' in image:"
expect_exit 2 "move without a target: usage" -- pool profile move web
expect_exit 3 "malformed target refused" -- pool profile move web "bmc://127.0.0.1:99999"
expect_exit 5 "unknown server refused" -- pool profile move web nosuch#vm1
expect_err "unknown server says so" "no server of the pool"
expect_exit 5 "unknown bare word refused" -- pool profile move web nosuch
expect_err "unknown word: names both possibilities" "neither a server nor a VM"
[ "$(hash_of "$POOL")" = "$H" ] && pass "refusals so far: pool unchanged" || fail "a refusal changed the pool"
pool vm create C >/dev/null 2>&1 || fail "pool vm C"
H=$(hash_of "$POOL")
expect_exit 4 "a name both a server and a pool VM have: refused" -- pool profile move web C
expect_err "ambiguity says how to write it" "vm:NAME"
[ "$(hash_of "$POOL")" = "$H" ] && pass "refusals: pool unchanged" || fail "a refusal changed the pool"

# --- server A fails; failover to VM vm1 of hypervisor host B
power "$PA" on >/dev/null 2>&1
expect_exit 0 "failover A -> host-B#vm1" -- pool profile failover A host-B#vm1
power "$PA" status 2>&1 | grep -q "is off" && pass "failover powered A off (fenced)" ||
    fail "A not fenced: $(power "$PA" status 2>&1)"
[ "$(target)" = "image:$IMG_B#vm1" ] && [ "$(state)" = assigned ] &&
    pass "pool: web on host B's vm1 (the full target recorded)" || fail "pool after failover: $(state) $(target)"
[ "$(carriers)" = 1 ] && pass "after failover: one target carries the identity" ||
    fail "after failover: $(carriers) carriers"

EMB=$WORK/embed U="qemu:///embed?root=$WORK/embed"
mkdir -p "$EMB"
printf 'uri = %s\ndomain_type = qemu\nserial_run_dir = %s\nserial_log_dir = %s\n' \
    "$U" "$WORK/run" "$WORK/log" > "$WORK/hv.conf"
expect_exit 0 "hvagent on host B" -- "$HVAGENT" -c "$WORK/hv.conf" -i "$IMG_B" --once
virsh -c "$U" dumpxml vm1 > "$WORK/vm1.xml" 2>&1
grep -q "<uuid>$UUID</uuid>" "$WORK/vm1.xml" && pass "dumpxml vm1: the profile's UUID" ||
    fail "dumpxml vm1 lacks $UUID: $(head -c 400 "$WORK/vm1.xml")"
grep -q "<entry name='serial'>$SN</entry>" "$WORK/vm1.xml" && pass "dumpxml vm1: SMBIOS serial" ||
    fail "dumpxml vm1 lacks serial $SN"
grep -q "<mac address='$MAC0'/>" "$WORK/vm1.xml" && grep -q "<mac address='$MAC1'/>" "$WORK/vm1.xml" &&
    pass "dumpxml vm1: both MACs" || fail "dumpxml vm1 lacks the MACs"
awk '/<interface/{d="nic"} /<\/interface>/{d=""} /<boot order=.1./{print d}' "$WORK/vm1.xml" | grep -q nic &&
    pass "dumpxml vm1: boots from the network first" || fail "vm1 boot order: $(grep boot "$WORK/vm1.xml")"

# --- move back to physical server C through its BMC
pool vm delete C >/dev/null 2>&1 || fail "pool vm C delete"
expect_exit 0 "move web to server C ($C)" -- pool profile move web C
ps -i "$IMG_C" export | grep -q "$UUID" && pass "server C carries the profile" || fail "server C lacks it"
ps -i "$IMG_B" vm show vm1 > "$WORK/vm1" 2>&1
grep -q "$UUID" "$WORK/vm1" || grep -qi "$MAC0" "$WORK/vm1" && fail "vm1 kept the identity" ||
    pass "vm1 released: fresh UUID and MACs"
[ "$(carriers)" = 1 ] && pass "after move: one target carries the identity" ||
    fail "after move: $(carriers) carriers"

# --- unreachable source: refused unless --force
"$BMC_SIM" stop "$WORK/simC" >/dev/null 2>&1
H=$(hash_of "$POOL")
expect_exit 7 "failover from an unreachable BMC refused" -- pool profile failover "$C" "$B1"
expect_err "unreachable source: says --force" "--force"
[ "$(hash_of "$POOL")" = "$H" ] && pass "unreachable source: pool unchanged" || fail "pool changed"
BMC_SIM_IMAGE=$IMG_C BMC_SIM_GATE=host-off BMC_SIM_POWER=off BMC_SIM_ADMIN_PASS=$PW \
    BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$WORK/simC" "$PC" >/dev/null 2>&1 ||
    fail "bmc-sim C restart"

# --- crash after every step of a move (physical -> physical, then
#     physical -> VM), rerun, and never two carriers
from=$C to=$A
for step in mark fence release-host release apply; do
    PSCTL_TEST_CRASH_AT=$step "$PSCTL" -q -i "$POOL" profile move web "$to" >/dev/null 2>"$WORK/err"
    rc=$?
    [ $rc = 99 ] && pass "crash after $step ($from -> $to): killed" ||
        fail "crash after $step: exit $rc: $(cat "$WORK/err")"
    [ "$(carriers)" -le 1 ] && pass "crash after $step: at most one carrier" ||
        fail "crash after $step: $(carriers) carriers"
    [ "$(state)" = in-transit ] && pool profile show web | grep -q "^rerun .*move web $to" &&
        pass "crash after $step: show explains the rerun" ||
        fail "crash after $step: show: $(pool profile show web)"
    expect_exit 0 "crash after $step: rerun finishes" -- pool profile move web "$to"
    [ "$(state)" = assigned ] && [ "$(target)" = "$to" ] && [ "$(carriers)" = 1 ] &&
        pass "crash after $step: assigned to $to, one carrier" ||
        fail "crash after $step: $(state) $(target) $(carriers)"
    t=$from from=$to to=$t
done
for step in mark fence release apply; do
    PSCTL_TEST_CRASH_AT=$step "$PSCTL" -q -i "$POOL" profile move web "$B1" >/dev/null 2>&1
    [ "$(carriers)" -le 1 ] || fail "crash after $step (-> $B1): two carriers"
    expect_exit 0 "crash after $step (-> vm1): rerun finishes" -- pool profile move web "$B1"
    [ "$(carriers)" = 1 ] && [ "$(target)" = "image:$IMG_B#vm1" ] &&
        pass "crash after $step (-> vm1): one carrier" || fail "crash after $step (-> vm1)"
    pool profile move web "$from" >/dev/null 2>&1 || fail "moving back to $from"
done
pool profile show web > "$WORK/show"
expect_exit 0 "unassign" -- pool profile unassign web
[ "$(state)" = unassigned ] && [ "$(carriers)" = 0 ] && pass "unassigned: no carrier" ||
    fail "after unassign: $(state) $(carriers)"
