# hvagent on a real host without KVM (this machine has no /dev/kvm):
#   --version; log lines timestamped (ISO 8601 UTC) unless stderr is the
#   journald stream named by JOURNAL_STREAM ("<N>" prefixes then);
#   the README's own `hvagent --once ... qemu:///embed` example, as written
#   (domain_type = auto, the default: TCG with one warning); an explicit
#   `domain_type = kvm` refused with a clear message, nothing written or
#   defined; `qemu` works;
#   a session libvirtd (libvirtd_session.sh): domain_type = auto defines
#   and starts a real TCG guest;
#   network VLAN and MTU both ways (psctl -> virsh dumpxml; virsh define ->
#   psctl net show), removal included;
#   libvirt_delete = keep (default): a domain undefined with virsh leaves
#   the store VM, marked libvirt-undefined in the agent's record (psctl
#   dump), not defined again; a store edit defines it again; psctl vm
#   delete confirms; libvirt_delete = follow deletes it from the store.
echo "hvagent on a host without KVM"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
. "$E2E_DIR/libvirtd_session.sh"

cleanup() {
    lv_kill_guests g1
    stop_pid "$LVPID"
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM HUP

IMG=$WORK/h.img
EMB=$WORK/e
EU="qemu:///embed?root=$EMB"
ps() { "$PSCTL" -q -i "$IMG" "$@"; }
stat() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$WORK/out" | tail -1; }
KVM=no
[ -r /dev/kvm ] && [ -w /dev/kvm ] && KVM=yes

# --- --version
expect_exit 0 "hvagent --version" -- "$HVAGENT" --version
grep -Eq '^hvagent [0-9]+\.[0-9]+ \(format [0-9]+\.[0-9]+, schema [0-9]+; libvirt [0-9]+\.[0-9]+\.[0-9]+\)$' "$WORK/out" \
    && pass "--version: '$(cat "$WORK/out")'" || fail "--version printed '$(cat "$WORK/out")'"

# --- the README example, as written (no -c: defaults, domain_type = auto)
ps init
ps vm create web01 --memory 64MiB
mkdir -p "$EMB"
[ ! -e /etc/pstate/hvagent.conf ] && pass "no /etc/pstate/hvagent.conf: the defaults apply" \
    || fail "/etc/pstate/hvagent.conf exists: the README example would read it"
expect_exit 0 "README: hvagent --once -i IMG -u qemu:///embed --stats" -- \
    "$HVAGENT" --once -i "$IMG" -u "$EU" --stats
[ "$(stat defines)" = 1 ] && [ "$(stat errors)" = 0 ] && pass "README example: 1 defined, 0 errors" \
    || fail "README example: $(cat "$WORK/out") $(head -c 400 "$WORK/err")"
virsh -c "$EU" dumpxml web01 > "$WORK/x1" 2>&1
if [ $KVM = no ]; then
    grep -q "<domain type='qemu'>" "$WORK/x1" && pass "auto without KVM: <domain type='qemu'>" \
        || fail "auto: $(head -n 1 "$WORK/x1")"
    [ "$(grep -c "domain_type = auto: no KVM for" "$WORK/err")" = 1 ] \
        && grep -q "hvagent: warning: domain_type = auto: no KVM for .*defining domains with type 'qemu'" "$WORK/err" \
        && pass "auto without KVM: one warning naming the fallback" \
        || fail "auto warning: $(grep -c 'no KVM' "$WORK/err") lines: $(head -c 400 "$WORK/err")"
else
    grep -q "<domain type='kvm'>" "$WORK/x1" && pass "auto with KVM: <domain type='kvm'>" \
        || fail "auto: $(head -n 1 "$WORK/x1")"
fi

# --- log lines: ISO 8601 time stamps off journald, "<N>" on it
! grep -Evq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z hvagent: (error|warning|info|debug): ' "$WORK/err" \
    && [ -s "$WORK/err" ] && pass "stderr to a file: every line starts with an ISO 8601 UTC time" \
    || fail "log lines: $(head -n 2 "$WORK/err")"
"$HVAGENT" --once -i "$IMG" -u "$EU" -c /dev/null > "$WORK/out" 2> "$WORK/j.err"
JOURNAL_STREAM=$(command stat -c '%d:%i' "$WORK/j.err") \
    "$HVAGENT" --once -i "$IMG" -u "$EU" -c /dev/null > "$WORK/out" 2> "$WORK/j.err"
! grep -Evq '^<[3-7]>' "$WORK/j.err" && grep -q '^<6>pass (boot): ' "$WORK/j.err" \
    && pass "JOURNAL_STREAM naming stderr: '<N>' priority prefixes, no time stamp" \
    || fail "journald lines: $(head -n 2 "$WORK/j.err")"
JOURNAL_STREAM=1:2 "$HVAGENT" --once -i "$IMG" -u "$EU" -c /dev/null > "$WORK/out" 2> "$WORK/j.err"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T.*Z hvagent: info: pass \(boot\): ' "$WORK/j.err" && ! grep -q '^<' "$WORK/j.err" \
    && pass "JOURNAL_STREAM of another stream (stderr redirected): time stamps" \
    || fail "redirected stderr: $(head -n 2 "$WORK/j.err")"

# --- explicit kvm: refused on this host, nothing written or defined;
#     explicit qemu works; a bad value refused with its line
printf 'domain_type = kvm\n' > "$WORK/kvm.conf"
printf 'domain_type = qemu\n' > "$WORK/qemu.conf"
printf '# x\ndomain_type = xen\n' > "$WORK/bad.conf"
ps vm create web02 --memory 64MiB
H0=$(hash_of "$IMG")
if [ $KVM = no ]; then
    expect_exit 2 "domain_type = kvm without KVM: refused" -- "$HVAGENT" --once -i "$IMG" -u "$EU" -c "$WORK/kvm.conf"
    expect_err "kvm refusal says why and what to use" "domain_type = kvm: libvirt offers no KVM for"
    expect_err "kvm refusal suggests auto or qemu" "use domain_type = auto or qemu"
    [ "$(hash_of "$IMG")" = "$H0" ] && ! virsh -c "$EU" list --all --name | grep -qx web02 \
        && pass "kvm refused: image unchanged, web02 not defined" || fail "kvm refusal changed something"
fi
expect_exit 2 "domain_type = xen: refused" -- "$HVAGENT" --once -i "$IMG" -u "$EU" -c "$WORK/bad.conf"
expect_err "bad domain_type names file and line" "bad.conf:2: domain_type: domain_type: auto, kvm or qemu"
expect_exit 0 "domain_type = qemu" -- "$HVAGENT" --once -i "$IMG" -u "$EU" -c "$WORK/qemu.conf" --stats
virsh -c "$EU" dumpxml web02 | grep -q "<domain type='qemu'>" && [ "$(stat defines)" = 1 ] \
    && ! grep -q "no KVM" "$WORK/err" \
    && pass "domain_type = qemu: web02 defined as qemu, no warning" || fail "qemu: $(cat "$WORK/out")"

# --- a session libvirtd: auto defines and starts a real TCG guest
IMG=$WORK/s.img
DISKS=$WORK/disks
mkdir -p "$DISKS"
truncate -s 1M "$DISKS/g1.img"
lv_start "$DISKS"
CONF=$WORK/hv.conf
cat > "$CONF" <<EOC
uri = $U
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
EOC
hv() { "$HVAGENT" -c "$CONF" -i "$IMG" --once --stats "$@"; }
vsh() { virsh -c "$U" "$@"; }
ps init
ps image create g1 --size 1MiB --format raw --path "$DISKS/g1.img"
ps vm create g1 --memory 32MiB --cpus 1 --power on
ps storage add g1 root --image g1 --disk --bootable on
expect_exit 0 "auto on libvirtd: boot pass" -- hv
[ "$(stat defines)" = 1 ] && [ "$(stat starts)" = 1 ] && pass "auto: g1 defined and started" \
    || fail "auto start: $(cat "$WORK/out") $(tail -c 300 "$WORK/err")"
wait_for 10 sh -c "virsh -c '$U' domstate g1 | grep -qx running" \
    && vsh dumpxml g1 | grep -q "<domain type='$( [ $KVM = no ] && echo qemu || echo kvm )'" \
    && pass "auto: g1 runs ($(vsh dumpxml g1 | sed -n "s/.*<domain type='\([a-z]*\)'.*/\1/p"))" \
    || fail "g1 state '$(vsh domstate g1 2>&1 | head -n 1)'"
vsh destroy g1 > /dev/null 2>&1
ps vm set g1 --power off
expect_exit 0 "power off synced" -- hv

# --- VLAN and MTU: store -> libvirt
ps net create lan --kind bridged --uplink br0 --vlan 42 --mtu 9000
ps net create inner --kind nat
ps vm create n1 --memory 64MiB
ps nic add n1 eth0 --network lan
ps nic add n1 eth1 --network inner
expect_exit 0 "VLAN/MTU: pass defines n1" -- hv
vsh dumpxml --inactive n1 > "$WORK/n1.xml"
sed -n '/<interface/,/<\/interface>/p' "$WORK/n1.xml" | awk '/<interface/{i++} {print i": "$0}' > "$WORK/ifs"
grep -q "^1: *<tag id='42'/>" "$WORK/ifs" && grep -q "^1: *<mtu size='9000'/>" "$WORK/ifs" \
    && pass "dumpxml: eth0 on lan has <vlan><tag id='42'/></vlan> and <mtu size='9000'/>" \
    || fail "eth0 vlan/mtu: $(grep '^1:' "$WORK/ifs" | tr -d '\n')"
! grep -q "^2: *<tag\|^2: *<mtu" "$WORK/ifs" && pass "dumpxml: eth1 on inner (no VLAN, default MTU): neither" \
    || fail "eth1: $(grep '^2:' "$WORK/ifs" | tr -d '\n')"
expect_exit 0 "VLAN/MTU: next pass quiet" -- hv
[ "$(stat pushed)" = 0 ] && [ "$(stat pulled)" = 0 ] && [ "$(stat sectors_written)" = 0 ] \
    && pass "VLAN/MTU: second pass pushes, pulls and writes nothing" || fail "not quiet: $(cat "$WORK/out")"
ps net set inner --vlan 7
expect_exit 0 "VLAN/MTU: psctl net set inner --vlan 7, pass" -- hv
vsh dumpxml --inactive n1 | sed -n '/<interface/,/<\/interface>/p' | awk '/<interface/{i++} {print i": "$0}' > "$WORK/ifs"
grep -q "^2: *<tag id='7'/>" "$WORK/ifs" && pass "dumpxml: eth1 tagged 7 after the store edit" \
    || fail "eth1 after edit: $(grep '^2:' "$WORK/ifs" | tr -d '\n')"

# --- a trunk in libvirt whose first tag is the store's VLAN is left as it is
vsh dumpxml --inactive n1 | perl -0pe "s{<vlan>\\s*<tag id='42'/>}{<vlan trunk='yes'><tag id='42'/><tag id='43'/>}" > "$WORK/n1t.xml"
vsh define "$WORK/n1t.xml" > /dev/null
ps vm set n1 --cpus 2
expect_exit 0 "VLAN: trunk in libvirt, a store edit pushed" -- hv
vsh dumpxml --inactive n1 | grep -q "<tag id='43'/>" && [ "$(stat pushed)" = 1 ] \
    && pass "VLAN: a trunk whose first tag agrees survives a push" || fail "trunk: $(cat "$WORK/out")"
vsh dumpxml --inactive n1 | perl -0pe "s{<vlan trunk='yes'>\\s*<tag id='42'/>\\s*<tag id='43'/>}{<vlan><tag id='42'/>}" > "$WORK/n1t.xml"
vsh define "$WORK/n1t.xml" > /dev/null
expect_exit 0 "VLAN: trunk back to one tag in libvirt, pass" -- hv
[ "$(stat pulled)$(stat pushed)" = 00 ] && ! vsh dumpxml --inactive n1 | grep -q "<tag id='43'/>" \
    && pass "VLAN: same first tag: nothing to pull or push" || fail "untrunk: $(cat "$WORK/out")"

# --- VLAN and MTU: libvirt -> store (virsh define of an edited dumpxml)
vsh dumpxml --inactive n1 | sed "s/<tag id='42'\/>/<tag id='100'\/>/; s/<mtu size='9000'\/>/<mtu size='1500'\/>/" > "$WORK/n1e.xml"
vsh define "$WORK/n1e.xml" > /dev/null
expect_exit 0 "VLAN/MTU: virsh changes, pass" -- hv
[ "$(stat pulled)" = 2 ] && pass "pass pulls 2 fields" || fail "pulled: $(cat "$WORK/out")"
ps net show lan > "$WORK/lan"
grep -q "^vlan *100$" "$WORK/lan" && grep -q "^mtu *1500$" "$WORK/lan" \
    && pass "psctl net show lan: vlan 100, mtu 1500 from libvirt" || fail "lan: $(cat "$WORK/lan" | tr '\n' ' ')"
vsh dumpxml --inactive n1 | perl -0pe "s{<vlan>\\s*<tag id='100'/>\\s*</vlan>\\s*}{}; s{<mtu size='1500'/>\\s*}{}" > "$WORK/n1e.xml"
grep -q "<tag id='7'/>" "$WORK/n1e.xml" && ! grep -q "<tag id='100'/>\|<mtu" "$WORK/n1e.xml" \
    || fail "test set-up: eth0's VLAN and MTU not removed alone"
vsh define "$WORK/n1e.xml" > /dev/null
expect_exit 0 "VLAN/MTU: virsh removes them, pass" -- hv
ps net show lan > "$WORK/lan"
grep -q "^vlan *0$" "$WORK/lan" && grep -q "^mtu *0$" "$WORK/lan" \
    && pass "psctl net show lan: untagged, default MTU after the removal in libvirt" || fail "lan: $(cat "$WORK/lan" | tr '\n' ' ')"
ps net show inner | grep -q "^vlan *7$" && pass "inner keeps its VLAN 7 (only eth0's network changed)" \
    || fail "inner: $(ps net show inner | tr '\n' ' ')"
expect_exit 0 "VLAN/MTU: quiet again" -- hv
[ "$(stat pushed)$(stat pulled)$(stat sectors_written)" = 000 ] && pass "VLAN/MTU: quiet after write-back" \
    || fail "not quiet: $(cat "$WORK/out")"

# --- libvirt_delete = keep (the default)
ps vm create k1 --memory 64MiB
expect_exit 0 "delete policy: k1 defined" -- hv
UK=$(ps vm show k1 | sed -n 's/^uuid *//p')
vsh dumpxml --inactive k1 > "$WORK/k1.xml"
vsh undefine k1 > /dev/null
expect_exit 0 "keep: pass after virsh undefine k1" -- hv
ps vm show k1 > /dev/null 2>&1 && [ "$(stat store_deletes)" = 0 ] \
    && pass "keep: k1 still in the store" || fail "keep: k1 deleted: $(cat "$WORK/out")"
expect_err "keep: logged with the way to confirm" "vm 'k1': domain $UK undefined in libvirt; kept in the store (libvirt_delete = keep) and not defined again: confirm with 'psctl vm delete k1'"
! vsh list --all --name | grep -qx k1 && [ "$(stat defines)" = 0 ] \
    && pass "keep: k1 not defined again" || fail "keep: k1 defined again"
"$PSCTL" -i "$IMG" dump 2>/dev/null | grep -A1 "uuid = $UK;" | grep -q "flags = libvirt-undefined;" \
    && pass "keep: psctl dump shows the record flag libvirt-undefined" \
    || fail "keep: no mark: $("$PSCTL" -i "$IMG" dump 2>/dev/null | grep -A2 "$UK")"
ps vm show k1 | grep -q "^libvirt-undefined *yes: kept in the store" &&
    ps vm show k1 --json | grep -q '"libvirt-undefined": true' \
    && pass "keep: psctl vm show (text and --json) shows the mark" \
    || fail "keep: vm show: $(ps vm show k1 | grep -i libvirt)"
H1=$(hash_of "$IMG")
expect_exit 0 "keep: next pass" -- hv
! grep -q "kept in the store" "$WORK/err" && [ "$(stat defines)" = 0 ] && [ "$(hash_of "$IMG")" = "$H1" ] \
    && pass "keep: next pass quiet (no repeat warning, nothing defined, image unchanged)" \
    || fail "keep next pass: $(cat "$WORK/out") $(grep kept "$WORK/err")"
vsh define "$WORK/k1.xml" > /dev/null
expect_exit 0 "keep: virsh defines k1 again (same UUID), pass" -- hv
[ "$(stat defines)" = 0 ] && [ "$(stat errors)" = 0 ] && ! "$PSCTL" -i "$IMG" dump 2>/dev/null | grep -q "libvirt-undefined" \
    && pass "keep: defined again in libvirt: an ordinary pair, mark cleared" \
    || fail "keep after virsh define: $(cat "$WORK/out")"
! ps vm show k1 | grep -q "^libvirt-undefined" &&
    ps vm show k1 --json | grep -q '"libvirt-undefined": false' \
    && pass "keep: vm show no longer shows the mark" \
    || fail "keep: vm show after the mark cleared: $(ps vm show k1 | grep -i libvirt)"
vsh undefine k1 > /dev/null
expect_exit 0 "keep: undefined again, pass" -- hv
"$PSCTL" -i "$IMG" dump 2>/dev/null | grep -q "flags = libvirt-undefined;" && pass "keep: marked again" \
    || fail "keep: not marked again"
ps vm set k1 --cpus 2
expect_exit 0 "keep: a store edit of k1, pass" -- hv
vsh dumpxml k1 2>/dev/null | grep -q "<uuid>$UK</uuid>" && [ "$(stat defines)" = 1 ] \
    && pass "keep: the store edit defines k1 again under its UUID" || fail "k1 not redefined: $(cat "$WORK/out")"
! "$PSCTL" -i "$IMG" dump 2>/dev/null | grep -q "libvirt-undefined" \
    && pass "keep: mark cleared once defined again" || fail "mark still set"
vsh undefine k1 > /dev/null
expect_exit 0 "keep: undefined again, pass" -- hv
ps vm delete k1
expect_exit 0 "keep: psctl vm delete k1 confirms, pass" -- hv
! ps vm show k1 > /dev/null 2>&1 && ! vsh list --all --name | grep -qx k1 && [ "$(stat defines)" = 0 ] \
    && ! "$PSCTL" -i "$IMG" dump 2>/dev/null | grep -q "$UK" \
    && pass "keep: confirmed delete: gone from store, libvirt and the agent's record" \
    || fail "after confirm: $(cat "$WORK/out")"

# --- libvirt_delete = follow
echo "libvirt_delete = follow" >> "$CONF"
ps vm create f1 --memory 64MiB
expect_exit 0 "follow: f1 defined" -- hv
vsh undefine f1 > /dev/null
expect_exit 0 "follow: pass after virsh undefine f1" -- hv
! ps vm show f1 > /dev/null 2>&1 && [ "$(stat store_deletes)" = 1 ] \
    && pass "follow: f1 deleted from the store" || fail "follow: $(cat "$WORK/out")"
echo "libvirt_delete = maybe" >> "$CONF"
expect_exit 2 "libvirt_delete = maybe refused" -- hv
expect_err "bad libvirt_delete named" "libvirt_delete: keep or follow"

lv_stop
