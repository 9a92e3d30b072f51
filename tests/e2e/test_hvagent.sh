# hvagent end to end on libvirt's real QEMU driver, embedded
# (qemu:///embed?root=DIR: definitions persist in DIR across processes, no
# daemon): psctl edits an image offline, hvagent --once honours it, virsh
# shows it; edits on either side and both; deletions; a libvirt-only
# domain left alone, a marked one adopted; an identity change refused;
# a second pass that writes nothing; the daemon applying a store edit
# within one interval and stopping on SIGTERM.
echo "hvagent"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac

hv_embed_conf
# the documented two-way sync of deletions (the default is keep)
echo "libvirt_delete = follow" >> "$CONF"
ps() { "$PSCTL" -q -i "$IMG" "$@"; }
hv() { "$HVAGENT" -c "$CONF" -i "$IMG" --once --stats "$@"; }
# stat NAME: a counter from the last hv run's --stats line
stat() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" "$WORK/out" | tail -1; }

# --- offline set-up with psctl
ps init
ps net create lan --kind bridged --uplink br0
ps net create inner --kind nat
ps image create web-root --size 1GiB --format qcow2 --path /srv/web01.qcow2
ps image create web-iso --media cdrom --path /srv/install.iso
ps vm create web01 --memory 2GiB --cpus 2 --serial SN-WEB01 --pxe on --boot network,disk
ps nic add web01 eth0 --network lan
ps nic add web01 eth1 --network inner --model virtio
ps storage add web01 root --image web-root --disk --bootable on
ps storage add web01 cd --image web-iso --cdrom
ps serial map web01 0 --concentrator 7 --hostname web01-console --mode observer
ps vm create db01 --memory 1GiB
ps vm create tmp01 --memory 512MiB
UUID=$(ps vm show web01 | sed -n 's/^uuid *//p')
MAC0=$(ps vm show web01 | sed -n '/^nic eth0/,/^nic eth1/s/^  mac *//p')

# --- boot pass: the store is honoured
expect_exit 0 "hvagent --once: first pass" -- hv
[ "$(stat defines)" = 3 ] && pass "first pass defines the 3 VMs" || fail "first pass: defines=$(stat defines)"
[ "$(stat commits)" = 1 ] && pass "first pass: one commit for all write-backs" || fail "first pass commits=$(stat commits)"
virsh -c "$U" "dumpxml web01; list --all --name" > "$WORK/x1" 2>&1
grep -q "<uuid>$UUID</uuid>" "$WORK/x1" && pass "dumpxml: UUID from the store" || fail "dumpxml lacks uuid $UUID"
grep -q "<entry name='serial'>SN-WEB01</entry>" "$WORK/x1" && grep -q "<smbios mode='sysinfo'/>" "$WORK/x1" \
    && pass "dumpxml: SMBIOS serial via sysinfo" || fail "dumpxml lacks the SMBIOS serial"
grep -q "<mac address='$MAC0'/>" "$WORK/x1" && pass "dumpxml: MAC $MAC0" || fail "dumpxml lacks mac $MAC0"
grep -q "<source bridge='br0'/>" "$WORK/x1" && grep -q "<source network='inner'/>" "$WORK/x1" \
    && pass "dumpxml: bridged and NAT networks" || fail "dumpxml: network mapping"
# boot order network,disk: eth0 (PXE NIC) first, then the bootable disk
awk '/<interface/{d="nic"} /<disk/{d="disk"} /<boot order=/{print d, $0}' "$WORK/x1" > "$WORK/boots"
grep -q "nic.*order='1'" "$WORK/boots" && grep -q "disk.*order='2'" "$WORK/boots" \
    && pass "dumpxml: boot order network, disk" || fail "boot order: $(cat "$WORK/boots")"
grep -q "path='$WORK/run/web01-console.sock'" "$WORK/x1" && grep -q "$WORK/log/web01-serial0.log" "$WORK/x1" \
    && pass "dumpxml: mapped serial port on a unix socket with a log" || fail "dumpxml: serial mapping"
grep -q "device='cdrom'" "$WORK/x1" && grep -q "<readonly/>" "$WORK/x1" \
    && pass "dumpxml: CD/DVD read-only" || fail "dumpxml: cdrom"

# --- idempotence: nothing to do, nothing written, nothing defined
H0=$(hash_of "$IMG")
expect_exit 0 "hvagent --once: second pass" -- hv
[ "$(stat defines)" = 0 ] && [ "$(stat sectors_written)" = 0 ] && [ "$(stat commits)" = 0 ] \
    && pass "second pass: 0 defines, 0 sectors written" \
    || fail "second pass not idempotent: $(cat "$WORK/out")"
[ "$(hash_of "$IMG")" = "$H0" ] && pass "second pass: image byte-identical" || fail "second pass changed the image"

# --- edits on both sides, one field each, plus a conflict; a domain
#     defined outside (left alone) and a marked one (adopted)
ps vm set web01 --cpus 4 --description "from the store"
cat > "$WORK/alien.xml" <<EOX
<domain type='qemu'><name>alien</name><uuid>0f0f0f0f-1111-4222-8333-444455556666</uuid>
<memory unit='KiB'>262144</memory><os><type>hvm</type></os></domain>
EOX
cat > "$WORK/adoptee.xml" <<EOX
<domain type='qemu'><name>adoptee</name><uuid>0a0a0a0a-1111-4222-8333-444455556666</uuid>
<memory unit='KiB'>393216</memory><vcpu>3</vcpu><os><type>hvm</type></os>
<metadata><hv:adopt xmlns:hv="urn:pstate:hvagent"/></metadata></domain>
EOX
virsh -c "$U" "setmaxmem db01 1572864 --config; desc web01 --config --new-desc 'from libvirt'; define $WORK/alien.xml; define $WORK/adoptee.xml" >/dev/null 2>&1
expect_exit 0 "hvagent --once: both sides edited" -- hv
grep -q "conflict on description: store 'from the store', libvirt 'from libvirt'; the store wins" "$WORK/err" \
    && pass "conflict logged with both values" || fail "no conflict line: $(head -c 600 "$WORK/err")"
ps vm show db01 > "$WORK/db01"
grep -q "^memory *1536MiB" "$WORK/db01" && pass "libvirt-side memory written back to the store" || fail "db01: $(grep memory "$WORK/db01")"
virsh -c "$U" "dumpxml web01; list --all --name" > "$WORK/x2" 2>&1
grep -q "<vcpu placement='static'>4</vcpu>" "$WORK/x2" && pass "store-side vCPUs applied to libvirt" || fail "vcpus not applied"
grep -q "<description>from the store</description>" "$WORK/x2" && pass "conflict: the store's value in libvirt" || fail "conflict: libvirt description"
grep -qx alien "$WORK/x2" && ! ps vm show alien >/dev/null 2>&1 && pass "libvirt-only domain left alone" || fail "alien domain touched"
ps vm show adoptee > "$WORK/adoptee" 2>&1
grep -q "^uuid *0a0a0a0a-1111-4222-8333-444455556666" "$WORK/adoptee" && grep -q "^cpus *3" "$WORK/adoptee" \
    && pass "marked domain adopted into the store" || fail "adoptee: $(cat "$WORK/adoptee")"

# --- deletions both ways, an identity change refused
ps vm delete tmp01
virsh -c "$U" "undefine adoptee" >/dev/null 2>&1
OLD_DB=$(ps vm show db01 | sed -n 's/^uuid *//p')
ps vm set db01 --uuid 12345678-1234-4234-8234-123456789abc
expect_exit 1 "hvagent --once: identity change refused (exit 1)" -- hv
expect_err "identity refusal logged" "UUID changed in the store from $OLD_DB to 12345678-1234-4234-8234-123456789abc; refused"
virsh -c "$U" "list --all --name; domuuid db01" > "$WORK/x3" 2>&1
! grep -qx tmp01 "$WORK/x3" && pass "deleted in the store: domain undefined" || fail "tmp01 still defined"
! ps vm show adoptee >/dev/null 2>&1 && pass "undefined in libvirt: VM deleted from the store" || fail "adoptee still in the store"
grep -qx "$OLD_DB" "$WORK/x3" && pass "refused identity change: libvirt keeps the old UUID" || fail "db01 uuid: $(cat "$WORK/x3")"
ps vm set db01 --uuid "$OLD_DB"
expect_exit 0 "hvagent --once: UUID set back, in sync again" -- hv

# --- daemon: a store edit applied within one interval; SIGTERM stops it
"$HVAGENT" -c "$CONF" -i "$IMG" > "$WORK/d.out" 2> "$WORK/d.err" &
DPID=$!
n=0; while [ $n -lt 100 ] && ! grep -q "watching" "$WORK/d.err"; do sleep 0.1; n=$((n+1)); done
ps vm set web01 --memory 3GiB
# Until it says it applied the edit (20 s bound), not a fixed 2.5 s that a
# loaded machine outran.
n=0; while [ $n -lt 200 ] && ! grep -q "memory-kib '3145728' -> libvirt" "$WORK/d.err"; do
    sleep 0.1; n=$((n+1)); done
kill -TERM $DPID; wait $DPID; rc=$?
[ $rc -eq 0 ] && grep -q stopping "$WORK/d.err" && pass "daemon stops on SIGTERM (exit 0)" || fail "daemon exit $rc: $(tail -c 400 "$WORK/d.err")"
grep -q "memory-kib '3145728' -> libvirt" "$WORK/d.err" && pass "daemon applied the store edit within one interval" \
    || fail "daemon did not apply: $(tail -c 600 "$WORK/d.err")"
virsh -c "$U" "dumpxml web01" > "$WORK/x4" 2>&1
grep -q "<memory unit='KiB'>3145728</memory>" "$WORK/x4" && pass "virsh shows the daemon's define" || fail "memory not in libvirt"

# --- bad input: a broken config file is refused, nothing written
H1=$(hash_of "$IMG")
echo "interval = soon" > "$WORK/bad.conf"
expect_exit 2 "bad config refused" -- "$HVAGENT" -c "$WORK/bad.conf" -i "$IMG" --once
expect_err "bad config names file and line" "bad.conf:1: interval"
[ "$(hash_of "$IMG")" = "$H1" ] && pass "bad config: image unchanged" || fail "bad config changed the image"
