# psctl's object commands on an image: every noun and verb, --json output
# that parses, and a table of invalid inputs each checked for its exit
# code, its one-line message, and an image byte for byte unchanged.
echo "psctl object commands"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE
A=$WORK/obj.img

ps() { "$PSCTL" -q -i "$A" "$@"; }
out_has() {
    if grep -qF -- "$2" "$WORK/out"; then pass "$1 (prints '$2')"
    else fail "$1: stdout lacks '$2': $(head -c 300 "$WORK/out")"; fi
}
json_ok() {
    if python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['pstate-json'] == 1" "$WORK/out" >/dev/null 2>&1
    then pass "$1: valid JSON, pstate-json 1"
    else fail "$1: invalid JSON: $(head -c 300 "$WORK/out")"; fi
}
# jq_is NAME PYEXPR WANT: python expression over the JSON in $WORK/out, j
# being its payload: a list's items, or the object a show prints.
jq_is() {
    got=$(python3 -c "import json,sys; d=json.load(open('$WORK/out')); j=d.get('items', d.get('item')); print($2)" 2>&1)
    if [ "$got" = "$3" ]; then pass "$1 ($2 = $3)"
    else fail "$1: $2 = '$got', expected '$3'"; fi
}

expect_exit 0 "init" -- "$PSCTL" -q -i "$A" init

# ---- networks, images, reservations, profiles
expect_exit 0 "net create" -- ps net create lan --uplink br0 --vlan 10 --kind bridged
expect_exit 0 "net create 2" -- ps net create wan --kind nat
expect_exit 0 "net set" -- ps net set wan --mtu 9000 --description "outside"
expect_exit 0 "net list" -- ps net list
out_has "net list" "lan"
expect_exit 0 "net list --json" -- ps net list --json
json_ok "net list"
jq_is "net list" "len(j)" 2
expect_exit 0 "net show --json" -- ps net show wan --json
jq_is "net show" "j['mtu']" 9000
expect_exit 0 "image create" -- ps image create deb12 --path /var/img/deb12.qcow2 --size 20GiB --format qcow2
expect_exit 0 "image create iso" -- ps image create inst --path /var/img/inst.iso --media cdrom
expect_exit 0 "image set" -- ps image set deb12 --shareable on
expect_exit 0 "image show" -- ps image show deb12
out_has "image show" "20GiB"
expect_exit 0 "image list --json" -- ps image list --json
json_ok "image list"
expect_exit 0 "profile create" -- ps profile create gold --serial PRO-1 \
    --uuid 11111111-2222-4333-8444-555555555555 --macs 02:00:00:00:00:01,02:00:00:00:00:02 \
    --wwns 20:00:00:25:b5:00:00:01/20:00:00:25:b5:00:00:02 \
    --fc-boot 50:06:01:60:3b:a0:00:01/1 --boot network,disk
expect_exit 0 "profile set" -- ps profile set gold --target bmc://10.0.0.5 --target-kind physical
expect_exit 0 "profile show --json" -- ps profile show gold --json
json_ok "profile show"
jq_is "profile show" "','.join(j['macs'])" "02:00:00:00:00:01,02:00:00:00:00:02"
expect_exit 0 "profile list" -- ps profile list
out_has "profile list" "PRO-1"

# ---- VMs and their parts
expect_exit 0 "vm create" -- ps vm create web1 --memory 4GiB --cpus 2 --power on \
    --boot network,disk --description "front end" --serial SN-0001
expect_exit 0 "vm create 2" -- ps vm create db1 --memory 16384 --cpus 8 --power last
# A VM created without --cpus stores 0, the default, which means 1 vCPU
# (schema.md): show, list and --json say 1.
expect_exit 0 "vm create, default cpus" -- ps vm create onecpu
expect_exit 0 "vm show, default cpus" -- ps vm show onecpu
if grep -q '^cpus  *1$' "$WORK/out"; then pass "vm show: default cpus reads 1"
else fail "vm show: default cpus: $(grep '^cpus' "$WORK/out")"; fi
expect_exit 0 "vm show --json, default cpus" -- ps vm show onecpu --json
jq_is "vm show --json: default cpus" "j['cpus']" 1
expect_exit 0 "vm list, default cpus" -- ps vm list
if awk '$1 == "onecpu" { print $4 }' "$WORK/out" | grep -qx 1; then
    pass "vm list: CPUS column reads 1"
else fail "vm list: $(grep onecpu "$WORK/out")"; fi
expect_exit 0 "vm list --json, default cpus" -- ps vm list --json
jq_is "vm list --json: default cpus" "[v['cpus'] for v in j if v['name'] == 'onecpu'][0]" 1
expect_exit 0 "vm delete onecpu" -- ps vm delete onecpu
expect_exit 0 "vm show --json" -- ps vm show web1 --json
json_ok "vm show"
jq_is "vm uuid generated" "len(j['uuid'])" 36
jq_is "vm memory (bytes)" "j['memory']" 4294967296
jq_is "vm memory bare = MiB" "1" 1
expect_exit 0 "vm set" -- ps vm set web1 --pxe on --memory 8G --power last
expect_exit 0 "vm set uuid" -- ps vm set db1 --uuid 00112233-4455-6677-8899-aabbccddeeff
expect_exit 0 "nic add" -- ps nic add web1 eth0 --network lan
expect_exit 0 "nic add with mac" -- ps nic add web1 eth1 --network wan --mac 52:54:00:12:34:56 --model virtio
expect_exit 0 "nic set" -- ps nic set web1 eth1 --link off
expect_exit 0 "nic list --json" -- ps nic list web1 --json
json_ok "nic list"
jq_is "nic count" "len(j)" 2
jq_is "generated MAC is local unicast" "int(j[0]['mac'][:2],16) & 3" 2
jq_is "given MAC" "j[1]['mac']" "52:54:00:12:34:56"
expect_exit 0 "storage add" -- ps storage add web1 sda --image deb12 --bootable on
expect_exit 0 "storage add cdrom" -- ps storage add web1 cd0 --image inst --cdrom --writable off
expect_exit 0 "storage set" -- ps storage set web1 sda --bus virtio
# inst is not shareable: one VM's controllers only.
h=$(hash_of "$A")
expect_exit 4 "storage add: unshareable image of another vm" -- ps storage add db1 cd1 --image inst
expect_err "unshareable image" "image 'inst': controller 'cd1' of vm 'db1' cannot use it: image not shareable and already used by controller 'cd0' of vm 'web1'"
if [ "$(hash_of "$A")" = "$h" ]; then pass "refused unshareable image: image unchanged"
else fail "refused unshareable image changed the image"; fi
expect_exit 0 "storage list" -- ps storage list web1
out_has "storage list" "cdrom"
expect_exit 0 "serial map" -- ps serial map web1 0 --concentrator 3 --hostname web1-con --mode privacy
expect_exit 0 "serial map 2" -- ps serial map db1 1 --concentrator 4
expect_exit 0 "serial map again updates" -- ps serial map db1 1 --mode observer
expect_exit 0 "serial list" -- ps serial list
out_has "serial list" "web1-con"
out_has "serial list" "observer"
expect_exit 0 "serial list --json" -- ps serial list --json
json_ok "serial list"
jq_is "serial ports" "len(j)" 2
expect_exit 0 "reserve create" -- ps reserve create r1 --kind memory --first 4GiB --count 2GiB --owner db1
expect_exit 0 "reserve set" -- ps reserve set r1 --count 1GiB
h=$(hash_of "$A")
expect_exit 4 "reserve create: overlapping range" -- ps reserve create r2 --kind memory --first 4GiB --count 1MiB
expect_err "overlapping reservation" "reservation 'r1'"
if [ "$(hash_of "$A")" = "$h" ]; then pass "refused overlapping reservation: image unchanged"
else fail "refused overlapping reservation changed the image"; fi
expect_exit 0 "reserve list --json" -- ps reserve list --json
jq_is "reserve owner" "j[0]['owner']" db1
expect_exit 0 "vm list" -- ps vm list
out_has "vm list" "web1"
out_has "vm list" "db1"
expect_exit 0 "vm list --json" -- ps vm list --json
json_ok "vm list"
jq_is "vm list" "[v['name'] for v in j]" "['web1', 'db1']"
expect_exit 0 "vm show text" -- ps vm show web1
out_has "vm show text" "nic eth0:"
expect_exit 0 "check after edits" -- "$PSCTL" -q -i "$A" check

# ---- JSON escaping of awkward strings
expect_exit 0 "description with quotes" -- ps vm set db1 --description 'say "hi" \ back'
expect_exit 0 "vm show json escaping" -- ps vm show db1 --json
json_ok "escaped description"
jq_is "escaped description" "j['description']" 'say "hi" \ back'

# ---- the edited store exports as text (vendor-element survival across
# every edit is checked byte for byte in tests/unit/test_config.c)
"$PSCTL" -q -i "$A" export -o "$WORK/x.txt" 2>/dev/null
if [ -s "$WORK/x.txt" ] && grep -q '^root' "$WORK/x.txt"; then
    pass "export text"
else
    fail "export text: $(head -c 200 "$WORK/x.txt")"
fi

# ---- deletes
expect_exit 0 "serial unmap" -- ps serial unmap db1 1
expect_exit 0 "storage delete" -- ps storage delete web1 cd0
expect_exit 0 "nic delete" -- ps nic delete web1 eth1
expect_exit 0 "image delete (unused)" -- ps image delete inst
expect_exit 0 "net delete (unused)" -- ps net delete wan
expect_exit 0 "reserve delete" -- ps reserve delete r1
expect_exit 0 "vm create tmp" -- ps vm create tmp
expect_exit 0 "vm delete" -- ps vm delete tmp
expect_exit 0 "profile create tmp" -- ps profile create tmp
expect_exit 0 "profile delete" -- ps profile delete tmp
expect_exit 0 "vm list after deletes" -- ps vm list --json
jq_is "vm list after deletes" "[v['name'] for v in j]" "['web1', 'db1']"
expect_exit 0 "check after deletes" -- "$PSCTL" -q -i "$A" check

# ---- dry run writes nothing
h=$(hash_of "$A")
expect_exit 0 "dry run" -- ps --dry-run vm set web1 --cpus 3
if [ "$(hash_of "$A")" = "$h" ]; then pass "dry run: image unchanged"
else fail "dry run changed the image"; fi

# ---- profile assign / unassign
expect_exit 0 "profile create silver" -- ps profile create silver --serial PRO-S \
    --uuid 22222222-3333-4444-8555-666666666666 --macs 02:00:00:00:01:01,02:00:00:00:01:02
expect_exit 0 "vm create asg" -- ps vm create asg --serial SN-ASG
expect_exit 0 "nic add asg eth0" -- ps nic add asg eth0
expect_exit 0 "nic add asg eth1" -- ps nic add asg eth1
expect_exit 0 "nic add asg eth2" -- ps nic add asg eth2 --mac 02:00:00:00:01:99
expect_exit 0 "profile assign to vm" -- ps profile assign silver asg
expect_exit 0 "vm show after assign" -- ps vm show asg --json
jq_is "assign: vm uuid is the profile's" "j['uuid']" 22222222-3333-4444-8555-666666666666
jq_is "assign: vm serial is the profile's" "j['serial']" PRO-S
jq_is "assign: vm profile-ref" "j['profile']" silver
jq_is "assign: MACs in NIC order" "[n['mac'] for n in j['nics']]" \
    "['02:00:00:00:01:01', '02:00:00:00:01:02', '02:00:00:00:01:99']"
expect_exit 0 "profile show after assign" -- ps profile show silver --json
jq_is "assign: profile state" "j['state'] + ' ' + j['target-kind'] + ' ' + j['target']" "assigned vm asg"
expect_exit 0 "check after assign (VM carries the profile)" -- ps check
expect_exit 0 "vm create asg2" -- ps vm create asg2
expect_exit 0 "nic add asg2 eth0" -- ps nic add asg2 eth0
expect_exit 0 "nic add asg2 eth1" -- ps nic add asg2 eth1
expect_exit 0 "profile create bronze" -- ps profile create bronze \
    --uuid 33333333-4444-4555-8666-777777777777 --macs 02:00:00:00:03:01
expect_exit 0 "profile create cmac" -- ps profile create cmac --macs 02:00:00:00:04:01
# A VM may hold the values of the profile it references; it cannot then
# drop or change the reference (vm set --profile=) and keep them, which
# would leave one identity on two holders: profile unassign does that.
expect_exit 0 "vm create ghost" -- ps vm create ghost --profile bronze
expect_exit 0 "ghost takes bronze's uuid" -- ps vm set ghost --uuid 33333333-4444-4555-8666-777777777777
expect_exit 0 "vm create ghost2" -- ps vm create ghost2 --profile cmac
expect_exit 0 "nic add ghost2 eth0 with cmac's MAC" -- ps nic add ghost2 eth0 --mac 02:00:00:00:04:01
# Refusals: exit code, one-line message, image unchanged.
while IFS='|' read -r code msg args; do
    [ -z "$code" ] && continue
    h=$(hash_of "$A")
    # shellcheck disable=SC2086
    "$PSCTL" -q -i "$A" $args >"$WORK/out" 2>"$WORK/err"
    got=$?
    if [ "$got" -ne "$code" ]; then
        fail "assign refusal '$args': exit $got, expected $code: $(cat "$WORK/err")"
    elif ! grep -qF -- "$msg" "$WORK/err" || [ "$(wc -l < "$WORK/err")" -ne 1 ]; then
        fail "assign refusal '$args': stderr lacks '$msg' (or not one line): $(cat "$WORK/err")"
    elif [ "$(hash_of "$A")" != "$h" ]; then
        fail "assign refusal '$args': image changed"
    else
        pass "assign refusal '$args' (exit $code, '$msg', unchanged)"
    fi
done <<'XEOF'
4|profile 'silver' already assigned to vm 'asg'; unassign it first|profile assign silver asg2
4|profile 'silver' already assigned to vm 'asg'|profile assign silver bmc://10.0.0.9
4|target 'asg': vm 'asg' already carries profile 'silver'|profile assign bronze asg
4|profile '': vm 'ghost' cannot use it: without profile unassign it would keep the identity given by profile 'bronze'|vm set ghost --profile=
4|profile 'silver': vm 'ghost2' cannot use it: without profile unassign it would keep the identity given by profile 'cmac'|vm set ghost2 --profile silver
5|name 'nosuch': no such profile|profile assign nosuch asg2
5|target 'nosuch': neither a server nor a VM of the pool|profile assign bronze nosuch
5|target 'vm:nosuch': no such vm|profile assign bronze vm:nosuch
3|target 'bmc://': empty host|profile assign bronze bmc://
3|target 'bmc://:623': empty host|profile assign bronze bmc://:623
3|target 'bmc://h:0': port not 1-65535|profile assign bronze bmc://h:0
3|target 'bmc://h:65536': port not 1-65535|profile assign bronze bmc://h:65536
3|target 'bmc://h_x': characters other than|profile assign bronze bmc://h_x
7|image:/x.img#vm: unreachable|profile assign bronze image:/x.img#vm
2|usage: profile assign PROFILE TARGET|profile assign bronze
2|usage: profile unassign PROFILE|profile unassign
5|name 'nosuch': no such profile|profile unassign nosuch
XEOF
for x in ghost ghost2; do expect_exit 0 "vm delete $x" -- ps vm delete $x; done
expect_exit 0 "profile unassign" -- ps profile unassign silver
expect_exit 0 "vm show after unassign" -- ps vm show asg --json
python3 - "$WORK/out" > "$WORK/chk" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))['item']
macs = [n['mac'] for n in j['nics']]
ok = (j['profile'] is None and j['serial'] is None and len(j['uuid']) == 36
      and j['uuid'] != '22222222-3333-4444-8555-666666666666'
      and not set(macs[:2]) & {'02:00:00:00:01:01', '02:00:00:00:01:02'}
      and all(int(m[:2], 16) & 3 == 2 for m in macs[:2])
      and macs[2] == '02:00:00:00:01:99')
print('ok' if ok else 'bad ' + json.dumps(j))
PYEOF
if [ "$(cat "$WORK/chk")" = ok ]; then
    pass "unassign: vm has a fresh UUID and MACs, no serial, no profile; extra NIC kept"
else
    fail "unassign: $(cat "$WORK/chk")"
fi
expect_exit 0 "profile show after unassign" -- ps profile show silver --json
jq_is "unassign: profile cleared" "j['state'] + ' ' + j['target-kind'] + ' ' + str(j['target'])" "unassigned none None"
jq_is "unassign: profile keeps its identity" "j['uuid'] + ' ' + ','.join(j['macs'])" \
    "22222222-3333-4444-8555-666666666666 02:00:00:00:01:01,02:00:00:00:01:02"
expect_exit 0 "check after unassign (no identity shared)" -- ps check
# A physical server whose key is in hand (profiles across BMCs and hosts:
# test_profiles.sh).
"$PSCTL" -q -i "$WORK/srv.img" init >/dev/null 2>&1
expect_exit 0 "profile assign to a server's key" -- ps profile assign silver "image:$WORK/srv.img"
expect_exit 0 "profile show physical" -- ps profile show silver --json
jq_is "assign physical" "j['state'] + ' ' + j['target-kind'] + ' ' + j['target']" \
    "assigned physical image:$(realpath "$WORK/srv.img")"
expect_exit 0 "profile unassign physical" -- ps profile unassign silver
expect_exit 0 "profile re-assign to the VM" -- ps profile assign silver asg
expect_exit 0 "profile unassign again" -- ps profile unassign silver
h=$(hash_of "$A")
expect_exit 0 "unassign an unassigned profile: no change" -- ps profile unassign silver
if [ "$(hash_of "$A")" = "$h" ]; then pass "unassign of unassigned: image unchanged"
else fail "unassign of unassigned changed the image"; fi
for x in asg asg2; do expect_exit 0 "vm delete $x" -- ps vm delete $x; done
for x in silver bronze cmac; do expect_exit 0 "profile delete $x" -- ps profile delete $x; done

# ---- invalid inputs: exit code, message, image unchanged
# Each line: EXIT|MESSAGE|ARGS (ARGS split on spaces).
bad=0
while IFS='|' read -r code msg args; do
    [ -z "$code" ] && continue
    case $code in \#*) continue ;; esac
    h=$(hash_of "$A")
    # shellcheck disable=SC2086
    "$PSCTL" -q -i "$A" $args >"$WORK/out" 2>"$WORK/err"
    got=$?
    lines=$(wc -l < "$WORK/err")
    if [ "$got" -ne "$code" ]; then
        fail "bad input '$args': exit $got, expected $code: $(cat "$WORK/err")"
    elif ! grep -qF -- "$msg" "$WORK/err"; then
        fail "bad input '$args': stderr lacks '$msg': $(cat "$WORK/err")"
    elif [ "$lines" -ne 1 ]; then
        fail "bad input '$args': $lines lines of error: $(cat "$WORK/err")"
    elif [ "$(hash_of "$A")" != "$h" ]; then
        fail "bad input '$args': image changed"
    else
        pass "bad input '$args' (exit $code, '$msg', unchanged)"
    fi
    bad=$((bad + 1))
done <<'EOF'
3|memory '4XB': unknown unit|vm set web1 --memory 4XB
3|memory '1.5G': unknown unit|vm set web1 --memory 1.5G
3|memory '': empty value|vm set web1 --memory=
3|memory '1000B': not a whole number of KiB|vm set web1 --memory 1000B
3|memory '17TiB': out of range|vm set web1 --memory 17TiB
3|cpus '0': out of range (1-4096)|vm set web1 --cpus 0
3|cpus '4097': out of range (1-4096)|vm set web1 --cpus 4097
3|cpus 'two': not a number|vm set web1 --cpus two
3|cpus '-1': not a number|vm set web1 --cpus=-1
3|power 'reboot': not one of: off, on, last|vm set web1 --power reboot
3|pxe 'maybe': not on|vm set web1 --pxe maybe
3|pxe-nic '99': no such nic|vm set web1 --pxe-nic 99
3|uuid 'nope': not a UUID|vm set web1 --uuid nope
3|uuid '00000000-0000-0000-0000-000000000000': nil UUID|vm set web1 --uuid 00000000-0000-0000-0000-000000000000
3|uuid '00112233-4455-6677-8899-aabbccddeexx': not a hex digit|vm set web1 --uuid 00112233-4455-6677-8899-aabbccddeexx
3|uuid '00112233+4455-6677-8899-aabbccddeeff': dashes|vm set web1 --uuid 00112233+4455-6677-8899-aabbccddeeff
3|boot 'disk,usb': unknown boot device|vm set web1 --boot disk,usb
3|boot 'disk,disk': boot device listed twice|vm set web1 --boot disk,disk
3|boot 'disk,': empty item|vm set web1 --boot disk,
3|name '.web': starts with|vm create .web
3|name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa': longer than 64|vm create aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
3|name 'a/b': characters other than|vm create a/b
3|name 'web1_x,y': characters other than|vm set web1 --name web1_x,y
3|serial 'SÜN': not printable ASCII|vm set web1 --serial SÜN
3|mac '01:00:5e:00:00:01': multicast address|nic add web1 eth9 --mac 01:00:5e:00:00:01
3|mac 'ff:ff:ff:ff:ff:ff': multicast address|nic set web1 eth0 --mac ff:ff:ff:ff:ff:ff
3|mac '00:00:00:00:00:00': all-zero|nic set web1 eth0 --mac 00:00:00:00:00:00
3|mac '52:54:00:12:34': not six octets|nic set web1 eth0 --mac 52:54:00:12:34
3|mac '52:54-00:12:34:56': mixed separators|nic set web1 eth0 --mac 52:54-00:12:34:56
3|mac '52.54.00.12.34.56': bad separator|nic set web1 eth0 --mac 52.54.00.12.34.56
3|model 'ne2000': not one of|nic set web1 eth0 --model ne2000
3|media 'tape': not one of|storage set web1 sda --media tape
3|bootable 'perhaps': not on|storage set web1 sda --bootable perhaps
3|port '256': out of range|serial map web1 256 --concentrator 9
3|mode 'shared': not one of|serial map web1 2 --mode shared
3|hostname '-con': label starts with|serial map web1 2 --hostname -con
3|hostname 'a_b': characters other than|serial map web1 2 --hostname a_b
3|vlan '4095': out of range (0-4094)|net set lan --vlan 4095
3|kind 'routed': not one of|net set lan --kind routed
3|size '20XiB': unknown unit|image set deb12 --size 20XiB
3|wwns '20:00:00:25:b5:00:00:01': item is not WWNN/WWPN|profile set gold --wwns 20:00:00:25:b5:00:00:01
3|wwns '20-00-00-25-b5-00-00-01/20:00:00:25:b5:00:00:02': bad separator|profile set gold --wwns 20-00-00-25-b5-00-00-01/20:00:00:25:b5:00:00:02
3|fc-boot '50:06:01:60:3b:a0:00:01/99999': LUN|profile set gold --fc-boot 50:06:01:60:3b:a0:00:01/99999
3|macs '02:00:00:00:00:01,': empty item|profile set gold --macs 02:00:00:00:00:01,
3|state 'lost': not one of|profile set gold --state lost
3|hostname 'a..b': empty label|serial map web1 2 --hostname a..b
3|hostname '../../run/x': empty label|serial map web1 2 --hostname ../../run/x
3|hostname 'run/x': characters other than|serial map web1 2 --hostname run/x
4|name 'web1': already exists|vm create web1
4|name 'eth0': already exists|nic add web1 eth0
4|name 'gold': already exists|profile create gold
4|uuid '00112233-4455-6677-8899-aabbccddeeff': vm 'web1' cannot use it: already in use by vm 'db1'|vm set web1 --uuid 00112233-4455-6677-8899-aabbccddeeff
4|uuid '11111111-2222-4333-8444-555555555555': vm 'web1' cannot use it: already in use by profile 'gold'|vm set web1 --uuid 11111111-2222-4333-8444-555555555555
4|serial 'PRO-1': vm 'web1' cannot use it: already in use by profile 'gold'|vm set web1 --serial PRO-1
4|serial 'SN-0001': profile 'gold' cannot use it: already in use by vm 'web1'|profile set gold --serial SN-0001
4|mac '02:00:00:00:00:01': nic 'eth5' of vm 'db1' cannot use it: already in use by profile 'gold'|nic add db1 eth5 --mac 02:00:00:00:00:01
4|concentrator '3': serial-port '5' of vm 'db1' cannot use it: concentrator port already mapped by serial-port '0' of vm 'web1'|serial map db1 5 --concentrator 3
4|network 'lan' still referenced by nic 'eth0' of vm 'web1'|net delete lan
4|image 'deb12' still referenced by controller 'sda' of vm 'web1'|image delete deb12
4|macs '02:00:00:00:00:07,02:00:00:00:00:07': listed twice|profile set gold --macs 02:00:00:00:00:07,02:00:00:00:00:07
5|vm 'nosuch': no such vm|nic add nosuch eth0
5|name 'nosuch': no such vm|vm set nosuch --cpus 2
5|name 'nosuch': no such vm|vm delete nosuch
5|name 'nosuch': no such network|net show nosuch
5|name 'eth7': no such nic|nic delete web1 eth7
5|port '7': no such serial-port|serial unmap web1 7
5|network 'mars': no such network|nic add web1 eth9 --network mars
5|image 'nosuch': no such image|storage add web1 sdb --image nosuch
5|restart-consistency-image 'nosuch': no such image|vm set web1 --restart-consistency-image nosuch
5|restart-boot-image 'nosuch': no such image|vm set web1 --restart-boot-image nosuch
5|owner 'nosuch': no such vm|reserve create r9 --owner nosuch
5|profile 'nosuch': no such profile|vm set web1 --profile nosuch
2|colour: no such field for vm|vm set web1 --colour red
2|nothing to set|vm set web1
2|usage: vm delete NAME|vm delete
2|usage: nic add VM NAME|nic add web1
2|memory: needs a value|vm set web1 --memory
2|unexpected argument|vm set web1 extra
2|unknown verb|vm frobnicate x
2|usage: nic list VM|nic list
EOF
if [ "$bad" -ge 50 ]; then pass "invalid-input table has $bad cases (>= 50)"
else fail "invalid-input table has only $bad cases"; fi

# ---- whole-store schema check on import: a text store whose NIC reuses
# a profile's MAC (and refers to a missing network) is refused with exit 3
# (the input is invalid), one "problem:" line each, and the image is
# unchanged.
cat > "$WORK/dupmac.txt" <<'XEOF'
psf 1.0 schema 1 flags 0x00000000;
root {
	vms {
		vm {
			name = "x";
			vm-config { uuid = 5e5e5e5e-0000-4000-8000-000000000001; vcpus = 1; }
			nics {
				nic {
					name = "eth0";
					nic-config { mac = 02:00:00:00:00:01; model = default; flags = 0; }
					network-ref = "mars";
				}
			}
		}
	}
	profiles { profile { name = "p"; mac-list = 02:00:00:00:00:01; } }
}
XEOF
h=$(hash_of "$A")
expect_exit 3 "import refuses a duplicate MAC" -- ps import "$WORK/dupmac.txt"
expect_err "import duplicate MAC" "mac 02:00:00:00:00:01 used by both nic 'eth0' of vm 'x' and profile 'p'"
expect_err "import missing network" "nic 'eth0' of vm 'x': network 'mars': no such network"
expect_err "import summary" "2 problems in the new store; nothing written"
if [ "$(hash_of "$A")" = "$h" ]; then pass "refused import: image unchanged"
else fail "refused import changed the image"; fi
"$PSFTOOL" compile "$WORK/dupmac.txt" -o "$WORK/dupmac.psf" 2>/dev/null
expect_exit 3 "import refuses a binary store with a duplicate MAC" -- ps import "$WORK/dupmac.psf"
if [ "$(hash_of "$A")" = "$h" ]; then pass "refused binary import: image unchanged"
else fail "refused binary import changed the image"; fi

# A serial host name becomes a socket file name: an import naming a path
# is refused like an edit would be, the image unchanged.
cat > "$WORK/hostpath.txt" <<'XEOF'
psf 1.0 schema 1 flags 0x00000000;
root {
	vms {
		vm {
			name = "x";
			vm-config { uuid = 5e5e5e5e-0000-4000-8000-000000000001; vcpus = 1; }
			serial-ports {
				serial-port {
					serial-config { port = 0; concentrator = 9; mode = observer; }
					hostname = "../../run/x";
				}
			}
		}
	}
}
XEOF
expect_exit 3 "import refuses a serial host name that is a path" -- ps import "$WORK/hostpath.txt"
expect_err "import host path" "serial-port '0' of vm 'x': hostname '../../run/x': empty label"
if [ "$(hash_of "$A")" = "$h" ]; then pass "refused host-path import: image unchanged"
else fail "refused host-path import changed the image"; fi
expect_exit 0 "check still clean" -- ps check
out_has "check clean" "valid store"
