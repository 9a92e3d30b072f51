# A profile moving between VMs of one hypervisor host, through hvagent to
# libvirt (qemu:///embed?root=DIR, definitions kept across processes):
# vm1 and vm2 synced under their own identities; psctl assigns profile P
# to vm1 -> hvagent --once replaces vm1's domain by one with P's UUID,
# serial and MAC (the old UUID undefined); psctl moves P to vm2 -> one
# pass gives vm1 a fresh UUID and vm2 P's.  After every pass no UUID or
# MAC is defined twice across the domains, and the pass after it does
# nothing.  A UUID change without a profile change stays refused
# (test_hvagent.sh).
echo "hvagent: identities moved by a profile"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
# The store's lock files go under $WORK too.
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR

HOST=$WORK/host.img POOL=$WORK/pool.img
U="qemu:///embed?root=$WORK/embed"
CONF=$WORK/hvagent-identity.conf
PU=7b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8 PSN=SN-PROF-1 PMAC=02:00:5e:20:00:01
mkdir -p "$WORK/embed"
cat > "$CONF" <<EOC
uri = $U
domain_type = qemu
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
EOC
ps() { "$PSCTL" -q -i "$HOST" "$@"; }
pool() { "$PSCTL" -q -i "$POOL" "$@"; }
vsh() { virsh -q -c "$U" "$@"; }
hv() { expect_exit 0 "$1" -- "$HVAGENT" -c "$CONF" -i "$HOST" --once --stats; }
stat() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$WORK/out" | tail -1; }
store_uuid() { ps vm show "$1" | sed -n 's/^uuid *//p'; }
dom_uuid() { vsh domuuid "$1" 2>/dev/null; }
defined() { vsh dominfo "$1" > /dev/null 2>&1; }

# quiet WHAT: the pass after WHAT defines nothing and writes nothing.
quiet() {
    "$HVAGENT" -c "$CONF" -i "$HOST" --once --stats > "$WORK/out" 2> "$WORK/err"
    rc=$?
    [ $rc -eq 0 ] && [ "$(stat defines)" = 0 ] && [ "$(stat undefines)" = 0 ] \
        && [ "$(stat sectors_written)" = 0 ] \
        && pass "after $1: the next pass defines and writes nothing" \
        || fail "after $1: next pass exit $rc: $(cat "$WORK/out") $(head -c 300 "$WORK/err")"
}

# each_once WHAT: across every defined domain, no UUID and no MAC twice.
each_once() {
    : > "$WORK/ids"
    for d in $(vsh list --all --name); do
        vsh dumpxml "$d" --inactive | sed -n \
            -e 's|.*<uuid>\(.*\)</uuid>.*|\1|p' \
            -e "s|.*<mac address='\([^']*\)'.*|\1|p" >> "$WORK/ids"
    done
    dup=$(sort "$WORK/ids" | uniq -d)
    [ -s "$WORK/ids" ] && [ -z "$dup" ] \
        && pass "after $1: no UUID or MAC defined twice ($(wc -l < "$WORK/ids") ids)" \
        || fail "after $1: defined twice: '$dup' of $(tr '\n' ' ' < "$WORK/ids")"
}

# carries VM WHAT: VM's domain has P's UUID, serial and MAC.
carries() {
    vsh dumpxml "$1" > "$WORK/dx" 2>&1
    grep -q "<uuid>$PU</uuid>" "$WORK/dx" && grep -q "<entry name='serial'>$PSN</entry>" "$WORK/dx" \
        && grep -q "<mac address='$PMAC'/>" "$WORK/dx" \
        && pass "$2: virsh dumpxml $1 shows P's UUID, serial and MAC" \
        || fail "$2: dumpxml $1: $(grep -E "uuid|serial|mac " "$WORK/dx" | tr -s ' ')"
}

# --- two VMs synced under their own identities
for i in "$HOST" "$POOL"; do "$PSCTL" -q -i "$i" init > /dev/null; done
ps vm create vm1 --memory 256MiB --serial SN-VM1 && ps nic add vm1 eth0 &&
    ps vm create vm2 --memory 256MiB --serial SN-VM2 && ps nic add vm2 eth0 ||
    fail "preparing the host's VMs"
pool profile create P --uuid "$PU" --serial "$PSN" --macs "$PMAC" ||
    fail "creating profile P"
U1=$(store_uuid vm1) U2=$(store_uuid vm2)
hv "first pass defines vm1 and vm2"
[ "$(dom_uuid vm1)" = "$U1" ] && [ "$(dom_uuid vm2)" = "$U2" ] \
    && pass "vm1 and vm2 defined under their own UUIDs" \
    || fail "domains: vm1 '$(dom_uuid vm1)' (store $U1), vm2 '$(dom_uuid vm2)' (store $U2)"

# --- assign: vm1 takes P's identity
expect_exit 0 "profile assign P image:host.img#vm1" -- \
    "$PSCTL" -q -i "$POOL" profile assign P "image:$HOST#vm1"
[ "$(store_uuid vm1)" = "$PU" ] && pass "the host's store: vm1 has P's UUID" \
    || fail "store vm1 uuid '$(store_uuid vm1)'"
hv "hvagent --once after the assign"
[ "$(stat moves)" = 1 ] && [ "$(stat refused)" = 0 ] && pass "the pass moved one identity, refused none" \
    || fail "assign pass: $(cat "$WORK/out")"
grep -q "identity moved by profile ('none' -> 'P')" "$WORK/err" \
    && pass "the move is logged with the profile change" || fail "no move line: $(head -c 400 "$WORK/err")"
carries vm1 "assign"
! defined "$U1" && pass "vm1's old UUID $U1 is no longer defined" || fail "$U1 still defined"
[ "$(dom_uuid vm2)" = "$U2" ] && pass "assign: vm2 untouched" || fail "vm2 now '$(dom_uuid vm2)'"
each_once "assign"
quiet "assign"

# --- move: vm1 released (fresh UUID), vm2 takes P, in one pass
expect_exit 0 "profile move P image:host.img#vm2" -- \
    "$PSCTL" -q -i "$POOL" profile move P "image:$HOST#vm2"
N1=$(store_uuid vm1)
hv "hvagent --once after the move"
[ "$(stat moves)" = 2 ] && [ "$(stat refused)" = 0 ] && pass "the pass moved two identities, refused none" \
    || fail "move pass: $(cat "$WORK/out") $(head -c 400 "$WORK/err")"
carries vm2 "move"
[ -n "$N1" ] && [ "$N1" != "$PU" ] && [ "$N1" != "$U1" ] && [ "$(dom_uuid vm1)" = "$N1" ] \
    && pass "vm1 has a fresh UUID $N1 in libvirt, not P's" \
    || fail "vm1: libvirt '$(dom_uuid vm1)', store '$N1'"
vsh dumpxml vm1 > "$WORK/dx1" 2>&1
! grep -qE "$PMAC|$PSN" "$WORK/dx1" && pass "vm1's domain keeps neither P's MAC nor its serial" \
    || fail "vm1 still has P's MAC or serial: $(grep -E "$PMAC|$PSN" "$WORK/dx1")"
! defined "$U2" && pass "vm2's old UUID $U2 is no longer defined" || fail "$U2 still defined"
each_once "move"
quiet "move"
