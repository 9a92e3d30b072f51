# Server profiles over the target paths test_profiles.sh leaves out, end
# to end with the real programs:
#  1. bmc://HOST:PORT#VM -- VMs of a powered-off hypervisor host reached
#     through the host's (simulated) BMC: assign, move between its VMs,
#     a crash after every step of a move and the rerun, unassign; no UUID
#     or MAC is ever on two VMs;
#  2. failover from a physical server whose BMC is down: refused without
#     --force (exit 7, nothing changed), done with it;
#  3. dev:DEVICE and dev:DEVICE#VM -- keys attached to loop devices (as
#     root), checked with psctl -d.
# The BMC simulators start once; the trap stops them and detaches the
# loop devices.
echo "== profiles: bmc://HOST#VM, --force failover, dev:DEVICE[#VM]"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
export BMC_SIM_MODULE

POOL=$WORK/pool.img HOST=$WORK/host.img IMG_A=$WORK/a.img IMG_S=$WORK/spare.img
DEVK=$WORK/devkey.img DEVH=$WORK/devhost.img
PW=adm1n-pw
export IPMI_PASSWORD=$PW
BASE=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
PH=$BASE PA=$((BASE + 1))
HT=bmc://127.0.0.1:$PH AT=bmc://127.0.0.1:$PA
U1=7b1f2e3d-4c5b-4a69-9788-a6b5c4d3e2f1 SN1=SN-VMP-0001
M10=02:00:5e:20:00:01 M11=02:00:5e:20:00:02
U2=8c2f3e4d-5c6b-4b7a-a899-b7c6d5e4f302 SN2=SN-PHY-0002 M20=02:00:5e:20:01:01
U3=9d3f4e5d-6c7b-4c8b-b9aa-c8d7e6f50413 M30=02:00:5e:20:02:01
U4=ae4f5e6d-7c8b-4d9c-8abb-d9e8f7061524 M40=02:00:5e:20:03:01 M41=02:00:5e:20:03:02
LOOPK= LOOPH=

cleanup() {
    "$BMC_SIM" stop "$WORK/simH" >/dev/null 2>&1
    "$BMC_SIM" stop "$WORK/simA" >/dev/null 2>&1
    for l in $LOOPK $LOOPH; do
        partx -d "$l" >/dev/null 2>&1
        losetup -d "$l" >/dev/null 2>&1
    done
}
trap cleanup EXIT INT TERM

ps() { "$PSCTL" -q "$@"; }
pool() { "$PSCTL" -q -i "$POOL" "$@"; }
sim_start() { # NAME IMAGE PORT
    mkdir -p "$WORK/sim$1"
    BMC_SIM_IMAGE=$2 BMC_SIM_GATE=host-off BMC_SIM_POWER=off BMC_SIM_ADMIN_PASS=$PW \
        BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$WORK/sim$1" "$3" > "$WORK/out" 2>&1
}
# the pool's record of a profile
pstate() { pool profile show "$1" | sed -n 's/^state *//p'; }
ptarget() { pool profile show "$1" | sed -n 's/^target  *//p' | head -1; }
# every VM of the stores given (-i IMG or -d DEV pairs): "ID STORE:VM"
# for its UUID and each MAC, and "PROFILE STORE:VM" for a VM carrying one
# (an image's list is read again only when the image changed)
vm_ids() {
    while [ $# -ge 2 ]; do
        c=$WORK/ids.$(echo "$2" | tr / _) k=
        [ "$1" = -i ] && k=$(stat -c %.9Y:%s "$2")
        if [ -n "$k" ] && [ -f "$c" ] && [ "$(head -1 "$c")" = "$k" ]; then
            tail -n +2 "$c"; shift 2; continue
        fi
        { echo "$k"; "$PSCTL" -q "$1" "$2" vm list --json 2>/dev/null | python3 -c "
import json, sys
for v in json.load(sys.stdin)['items']:
    w = sys.argv[1] + ':' + v['name']
    print(v['uuid'].lower(), w)
    for n in v['nics']:
        print(n['mac'].lower(), w)
    if v['profile']:
        print('profile=' + v['profile'], w)" "$2" 2>/dev/null; } > "$c"
        tail -n +2 "$c"
        shift 2
    done
}
# no UUID, MAC or profile on two VMs of the host store and the pool
no_dups() { # LABEL STORES...
    l=$1; shift
    vm_ids "$@" > "$WORK/ids"
    d=$(cut -d' ' -f1 "$WORK/ids" | sort | uniq -d)
    [ -s "$WORK/ids" ] && [ -z "$d" ] && pass "$l: no UUID, MAC or profile on two VMs" ||
        fail "$l: on two VMs: $d ($(tr '\n' ' ' < "$WORK/ids"))"
}
# the VMs that carry UUID or profile P, in one line (sorted)
holders() { # ID STORES...
    id=$1; shift
    vm_ids "$@" | awk -v id="$id" '$1 == id { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
vm_field() { ps "$1" "$2" vm show "$3" | sed -n "s/^$4  *//p"; }
copies() { ps "$1" "$2" profile list | awk -v p="$3" '$1 == p' | wc -l; }

for i in "$POOL" "$HOST" "$IMG_A" "$IMG_S"; do ps -i "$i" init --size 8M >/dev/null 2>&1 || fail "init $i"; done
for v in vm1 vm2; do
    { ps -i "$HOST" vm create $v --memory 256MiB && ps -i "$HOST" nic add $v eth0 &&
        ps -i "$HOST" nic add $v eth1; } || fail "preparing host VM $v"
done
pool vm create pv1 --memory 256MiB && pool nic add pv1 eth0 || fail "preparing pool VM pv1"
pool profile create vp --uuid "$U1" --serial "$SN1" --macs "$M10,$M11" --boot network,disk &&
    pool profile create phy --uuid "$U2" --serial "$SN2" --macs "$M20" &&
    pool profile create other --macs 02:00:5e:20:09:01 || fail "creating the profiles"
sim_start H "$HOST" "$PH" && sim_start A "$IMG_A" "$PA" &&
    pass "BMC simulators: hypervisor host on :$PH, server A on :$PA" ||
    { fail "bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0; }
expect_exit 0 "server create H (hypervisor host behind its BMC)" -- pool server create H --target "$HT"

# ---------------------------------------------------------------- 1. bmc://HOST#VM
expect_exit 0 "assign vp to $HT#vm1" -- pool profile assign vp "$HT#vm1"
[ "$(pstate vp)" = assigned ] && [ "$(ptarget vp)" = "$HT#vm1" ] &&
    pass "pool: vp assigned to $HT#vm1" || fail "pool after assign: $(pstate vp) $(ptarget vp)"
ps -i "$HOST" vm show vm1 > "$WORK/vm1" 2>&1
grep -q "^uuid  *$U1$" "$WORK/vm1" && grep -q "^serial  *$SN1$" "$WORK/vm1" &&
    grep -q "^profile  *vp$" "$WORK/vm1" && pass "host vm1: the profile's UUID, serial, profile field" ||
    fail "host vm1 after assign: $(cat "$WORK/vm1")"
[ "$(ps -i "$HOST" vm list --json | python3 -c "import json,sys; print(' '.join(n['mac'] for n in json.load(sys.stdin)['items'][0]['nics']))")" = "$M10 $M11" ] &&
    pass "host vm1: the profile's MACs in NIC order" || fail "host vm1 MACs: $(grep mac "$WORK/vm1")"
[ "$(copies -i "$HOST" vp)" = 1 ] && pass "host store holds the profile's copy" ||
    fail "host store: $(ps -i "$HOST" profile list)"
no_dups "after assign to vm1" -i "$HOST" -i "$POOL"

# refusals: a VM that carries another profile, a VM the host lacks
HP=$(hash_of "$POOL") HH=$(hash_of "$HOST")
expect_exit 4 "assign other to H#vm1 (carries vp) refused" -- pool profile assign other H#vm1
expect_err "carried VM: names the profile there" "profile 'vp'"
expect_exit 5 "assign other to $HT#nosuch refused" -- pool profile assign other "$HT#nosuch"
expect_err "missing VM: says so" "nosuch"
[ "$(hash_of "$POOL")" = "$HP" ] && [ "$(hash_of "$HOST")" = "$HH" ] &&
    pass "refusals on H: pool and host image unchanged" || fail "a refusal on H changed a store"

expect_exit 0 "move vp to H#vm2" -- pool profile move vp H#vm2
[ "$(pstate vp)" = assigned ] && [ "$(ptarget vp)" = "$HT#vm2" ] &&
    pass "pool: vp on $HT#vm2 (the full target)" || fail "pool after move: $(pstate vp) $(ptarget vp)"
u=$(vm_field -i "$HOST" vm1 uuid)
[ -n "$u" ] && [ "$u" != "$U1" ] && [ -z "$(vm_field -i "$HOST" vm1 profile)" ] &&
    [ -z "$(vm_field -i "$HOST" vm1 serial)" ] && pass "vm1 released: fresh UUID, no serial, no profile" ||
    fail "vm1 after move: $(ps -i "$HOST" vm show vm1)"
[ "$(holders "$M10" -i "$HOST" -i "$POOL")" = "$HOST:vm2" ] &&
    [ "$(holders "$(echo "$U1" | tr A-F a-f)" -i "$HOST" -i "$POOL")" = "$HOST:vm2" ] &&
    [ "$(vm_field -i "$HOST" vm2 profile)" = vp ] && pass "vm2 carries vp (UUID, MACs, profile), vm1 not" ||
    fail "after move: $(tr '\n' ' ' < "$WORK/ids")"
[ "$(copies -i "$HOST" vp)" = 1 ] && pass "host store: one copy of vp" || fail "host copies: $(copies -i "$HOST" vp)"
no_dups "after move vm1 -> vm2" -i "$HOST" -i "$POOL"

# a crash after every step of a move between the host's VMs, then the rerun
from=vm2 to=vm1
for step in mark release-host release apply; do
    PSCTL_TEST_CRASH_AT=$step "$PSCTL" -q -i "$POOL" profile move vp "H#$to" >/dev/null 2>"$WORK/err"
    rc=$?
    [ $rc = 99 ] && pass "crash after $step (H#$from -> H#$to): killed" ||
        fail "crash after $step: exit $rc: $(cat "$WORK/err")"
    no_dups "crash after $step" -i "$HOST" -i "$POOL"
    h=$(holders profile=vp -i "$HOST" -i "$POOL")
    case $step in
    mark) want=$HOST:$from ;;   # nothing released yet
    *) want= ;;                 # released; the apply's pool record not settled
    esac
    [ "$step" = apply ] && want=$HOST:$to
    [ "$h" = "$want" ] && pass "crash after $step: carried by '${want:-no VM}'" ||
        fail "crash after $step: carried by '$h', expected '$want'"
    [ "$(pstate vp)" = in-transit ] && pool profile show vp | grep -q "^rerun .*move vp $HT#$to" &&
        pass "crash after $step: in transit, show gives the rerun" ||
        fail "crash after $step: show: $(pool profile show vp)"
    HP=$(hash_of "$POOL") HH=$(hash_of "$HOST")
    expect_exit 4 "crash after $step: another target refused until finished" -- \
        pool profile move vp "$HT#$from"
    expect_err "crash after $step: refusal names the recorded move" "finish it first"
    [ "$(hash_of "$POOL")" = "$HP" ] && [ "$(hash_of "$HOST")" = "$HH" ] &&
        pass "crash after $step: refusal changed nothing" || fail "crash after $step: refusal changed a store"
    expect_exit 0 "crash after $step: rerun finishes" -- pool profile move vp "H#$to"
    [ "$(pstate vp)" = assigned ] && [ "$(ptarget vp)" = "$HT#$to" ] &&
        [ "$(holders profile=vp -i "$HOST" -i "$POOL")" = "$HOST:$to" ] &&
        [ "$(holders "$M11" -i "$HOST" -i "$POOL")" = "$HOST:$to" ] && [ "$(copies -i "$HOST" vp)" = 1 ] &&
        pass "crash after $step: vp on $to alone, one copy" ||
        fail "crash after $step: $(pstate vp) $(ptarget vp) $(tr '\n' ' ' < "$WORK/ids")"
    no_dups "crash after $step: rerun" -i "$HOST" -i "$POOL"
    t=$from from=$to to=$t
done
# from the host's VM to a VM of the pool, and unassign there
expect_exit 0 "move vp from $HT#$from to the pool's VM pv1" -- pool profile move vp vm:pv1
[ "$(holders profile=vp -i "$HOST" -i "$POOL")" = "$POOL:pv1" ] && [ "$(copies -i "$HOST" vp)" = 0 ] &&
    pass "host released (no VM, no copy); pool VM pv1 carries vp" ||
    fail "after move to pv1: $(tr '\n' ' ' < "$WORK/ids"); copies $(copies -i "$HOST" vp)"
no_dups "after move to pv1" -i "$HOST" -i "$POOL"
expect_exit 0 "move vp back to H#vm1" -- pool profile move vp H#vm1
expect_exit 0 "unassign vp from H#vm1" -- pool profile unassign vp
[ "$(pstate vp)" = unassigned ] && [ -z "$(holders profile=vp -i "$HOST" -i "$POOL")" ] &&
    [ -z "$(holders "$M10" -i "$HOST" -i "$POOL")" ] && [ "$(copies -i "$HOST" vp)" = 0 ] &&
    pass "unassigned: no VM carries vp, the host's copy gone" ||
    fail "after unassign: $(pstate vp) $(tr '\n' ' ' < "$WORK/ids")"

# ---------------------------------------------------------------- 2. --force failover
expect_exit 0 "server create A" -- pool server create A --target "$AT"
expect_exit 0 "server create SPARE" -- pool server create SPARE --target "image:$IMG_S"
expect_exit 0 "assign phy to server A" -- pool profile assign phy A
ps -i "$IMG_A" export | grep -q "$U2" && pass "server A's key carries phy" || fail "A's key lacks phy"
"$BMC_SIM" stop "$WORK/simA" >/dev/null 2>&1
"$BMC_SIM" status "$WORK/simA" > "$WORK/out" 2>&1
grep -q "not running" "$WORK/out" && pass "server A's BMC stopped" ||
    fail "server A's BMC: $(cat "$WORK/out")"
HP=$(hash_of "$POOL") HS=$(hash_of "$IMG_S") HA=$(hash_of "$IMG_A")
expect_exit 7 "failover A SPARE (A unreachable) refused" -- pool profile failover A SPARE
expect_err "unreachable source: says --force" "--force"
expect_err "unreachable source: names it" "$AT"
[ "$(hash_of "$POOL")" = "$HP" ] && [ "$(hash_of "$IMG_S")" = "$HS" ] &&
    pass "refused failover: pool and spare unchanged" || fail "refused failover changed a store"
expect_exit 0 "failover A SPARE --force" -- pool profile failover A SPARE --force
expect_err "--force: says the source is taken as fenced" "taken as fenced"
[ "$(pstate phy)" = assigned ] && [ "$(ptarget phy)" = "image:$IMG_S" ] &&
    pool profile show phy | grep -q "^server  *SPARE$" &&
    pass "pool: phy assigned to SPARE" || fail "pool after forced failover: $(pool profile show phy)"
ps -i "$IMG_S" export | grep -q "$U2" && ps -i "$IMG_S" profile list | grep -q "^phy " &&
    pass "SPARE's key carries phy" || fail "SPARE's key lacks phy"
[ "$(hash_of "$IMG_A")" = "$HA" ] && pass "--force: A's key left as it was (its stale copy)" ||
    fail "--force wrote A's key"
expect_exit 5 "failover A SPARE again: nothing on A" -- pool profile failover A SPARE

# ---------------------------------------------------------------- 3. dev:DEVICE[#VM]
ps -i "$DEVK" init --size 16M >/dev/null 2>&1 && ps -i "$DEVH" init --size 16M >/dev/null 2>&1 ||
    fail "init the device images"
for v in vm1 vm2; do
    { ps -i "$DEVH" vm create $v --memory 256MiB && ps -i "$DEVH" nic add $v eth0 &&
        ps -i "$DEVH" nic add $v eth1; } || fail "preparing device host VM $v"
done
LOOPK=$(losetup -f --show "$DEVK" 2>"$WORK/err") && LOOPH=$(losetup -f --show "$DEVH" 2>>"$WORK/err") ||
    fail "losetup (needs root and loop devices): $(cat "$WORK/err")"
partx -a "$LOOPK" 2>/dev/null; partx -a "$LOOPH" 2>/dev/null
n=0
until [ -b "${LOOPK}p4" ] && [ -b "${LOOPH}p4" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
[ -b "$LOOPK" ] && [ -b "${LOOPK}p4" ] && [ -b "${LOOPH}p4" ] &&
    pass "keys on $LOOPK and $LOOPH, partition nodes present" ||
    fail "loop devices: '$LOOPK' '$LOOPH': $(ls /dev/loop* 2>&1 | tr '\n' ' ')"
# the checks read the keys through their pstate partitions' nodes
DK=${LOOPK}p4 DH=${LOOPH}p4
ps -d "$DK" profile list >/dev/null 2>&1 && pass "psctl -d $DK: the key's store" ||
    fail "psctl -d $DK: $(ps -d "$DK" profile list 2>&1)"

pool profile create key --uuid "$U3" --macs "$M30" >/dev/null 2>&1 || fail "profile key"
pool profile create dvm --uuid "$U4" --macs "$M40,$M41" >/dev/null 2>&1 || fail "profile dvm"
expect_exit 0 "assign key to dev:$LOOPK" -- pool profile assign key "dev:$LOOPK"
[ "$(ptarget key)" = "dev:$LOOPK" ] && [ "$(pstate key)" = assigned ] &&
    pass "pool: key assigned to dev:$LOOPK" || fail "pool: $(pstate key) $(ptarget key)"
ps -d "$DK" profile list > "$WORK/dl" 2>&1
grep -q "^key .*$U3 .*assigned" "$WORK/dl" && ps -d "$DK" export | grep -q "bmc-state" &&
    pass "psctl -d $LOOPK: the key's copy, assigned, with the host's record" ||
    fail "psctl -d $LOOPK: $(cat "$WORK/dl")"
HP=$(hash_of "$POOL") HK=$(hash_of "$DK")
expect_exit 4 "assign other to dev:$LOOPK (carries key) refused" -- pool profile assign other "dev:$LOOPK"
expect_err "carried device: names the profile" "profile 'key'"
expect_exit 7 "assign other to a missing device refused" -- pool profile assign other dev:/dev/nonexistent-key
expect_err "missing device: named" "/dev/nonexistent-key"
[ "$(hash_of "$POOL")" = "$HP" ] && [ "$(hash_of "$DK")" = "$HK" ] &&
    pass "device refusals: pool and device unchanged" || fail "a device refusal changed a store"

expect_exit 0 "assign dvm to dev:$LOOPH#vm1" -- pool profile assign dvm "dev:$LOOPH#vm1"
[ "$(vm_field -d "$DH" vm1 uuid)" = "$U4" ] && [ "$(vm_field -d "$DH" vm1 profile)" = dvm ] &&
    [ "$(holders "$M41" -d "$DH")" = "$DH:vm1" ] &&
    pass "psctl -d $LOOPH: vm1 carries dvm (UUID, MACs, profile)" ||
    fail "device vm1: $(ps -d "$DH" vm show vm1)"
PSCTL_TEST_CRASH_AT=release "$PSCTL" -q -i "$POOL" profile move dvm "dev:$LOOPH#vm2" >/dev/null 2>&1
rc=$?
[ $rc = 99 ] && [ -z "$(holders profile=dvm -d "$DH")" ] && [ "$(pstate dvm)" = in-transit ] &&
    pass "device VM move cut after release: no VM carries dvm, in transit" ||
    fail "device crash after release: exit $rc, $(holders profile=dvm -d "$DH") $(pstate dvm)"
no_dups "device host after the cut" -d "$DH" -i "$POOL"
expect_exit 0 "rerun: move dvm to dev:$LOOPH#vm2" -- pool profile move dvm "dev:$LOOPH#vm2"
[ "$(holders profile=dvm -d "$DH")" = "$DH:vm2" ] && [ "$(holders "$M40" -d "$DH")" = "$DH:vm2" ] &&
    [ "$(ptarget dvm)" = "dev:$LOOPH#vm2" ] && [ "$(copies -d "$DH" dvm)" = 1 ] &&
    pass "dvm on device vm2 alone, one copy" || fail "after the device rerun: $(tr '\n' ' ' < "$WORK/ids")"
no_dups "device host after the move" -d "$DH" -i "$POOL"
expect_exit 0 "move key from dev:$LOOPK to a VM of dev:$LOOPH" -- pool profile move key "dev:$LOOPH#vm1"
[ "$(copies -d "$DK" key)" = 0 ] && ! ps -d "$DK" export | grep -q "$U3" &&
    [ "$(vm_field -d "$DH" vm1 uuid)" = "$U3" ] &&
    pass "key: the device released (no copy), device vm1 carries it" ||
    fail "after the move off dev:$LOOPK: $(ps -d "$DK" profile list)"
no_dups "after key's move" -d "$DH" -i "$POOL"
expect_exit 0 "unassign key" -- pool profile unassign key
expect_exit 0 "unassign dvm" -- pool profile unassign dvm
[ -z "$(holders profile=key -d "$DH")$(holders profile=dvm -d "$DH")" ] &&
    [ "$(copies -d "$DH" key)$(copies -d "$DH" dvm)" = 00 ] &&
    pass "unassigned: no device VM carries a profile, no copies" || fail "device host after unassign: $(ps -d "$DH" profile list)"
cleanup
losetup -a | grep -qF "$WORK/" && fail "loop devices left attached" || pass "loop devices detached"
LOOPK= LOOPH=
