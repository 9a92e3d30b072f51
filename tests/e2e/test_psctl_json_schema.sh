# The --json output contract (docs/psctl.1.md JSON OUTPUT): every list
# and show, info, scan and the serial mappings, on a store holding every
# kind of object and every type of field, validate against
# docs/psctl-output.schema.json (tests/e2e/json_schema.py, python3-jsonschema);
# values are typed (sizes in bytes, booleans, null for absent, arrays
# for lists); documents that break the contract fail the validation.
echo "== psctl --json: typed, versioned, validated against the schema"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
SCHEMA=$ROOT/docs/psctl-output.schema.json
VALIDATE="python3 $ROOT/tests/e2e/json_schema.py $SCHEMA"
IMG=$WORK/s.img
P() { "$PSCTL" -q -i "$IMG" "$@"; }
P init --size 8M >/dev/null 2>&1 &&
    P net create lan0 --kind bridged --uplink eno1 --vlan 10 --mtu 9000 >/dev/null 2>&1 &&
    P image create disk1 --path /var/lib/a.qcow2 --size 10G --format qcow2 >/dev/null 2>&1 &&
    P image create iso --path /var/lib/b.iso --media cdrom --shareable on >/dev/null 2>&1 &&
    P vm create web1 --memory 4GiB --cpus 2 --boot disk,network \
        --description "front end" >/dev/null 2>&1 &&
    P vm create bare >/dev/null 2>&1 &&
    P nic add web1 eth0 --network lan0 --model virtio >/dev/null 2>&1 &&
    P storage add web1 d0 --image disk1 --bootable on >/dev/null 2>&1 &&
    P storage add web1 cd --image iso --cdrom >/dev/null 2>&1 &&
    P serial map web1 0 --concentrator 7 --hostname web1-con >/dev/null 2>&1 &&
    P serial map web1 1 --concentrator 8 >/dev/null 2>&1 &&
    P vm set web1 --restart-policy on --restart-window 10m --restart-limit 3 \
        --restart-boot-image disk1 >/dev/null 2>&1 &&
    P reserve create r1 --kind memory --first 1G --count 512M >/dev/null 2>&1 &&
    P profile create gold --serial SN-1 --macs 02:00:00:00:00:01,02:00:00:00:00:02 \
        --wwns 20:00:00:00:00:00:00:01/21:00:00:00:00:00:00:01 \
        --fc-boot 21:00:00:00:00:00:00:01/3 --boot network,disk >/dev/null 2>&1 &&
    P profile create silver --serial SN-2 >/dev/null 2>&1 &&
    P server create s1 --target image:/tmp/elsewhere.img >/dev/null 2>&1 &&
    P profile assign gold web1 >/dev/null 2>&1 &&
    P export -o "$WORK/s.txt" 2>/dev/null ||
    fail "json schema: preparing the image"
# Two restart-log entries (no edit writes them: hvagent does), through
# import: 2024-12-22T12:06:24Z boot#1 crashed, then an unknown action 9.
sed 's/^\(\t*\)restart-policy {/&\n\1\trestart-log = c0:00:68:67:00:00:00:00 02:01:01:00:00:00:00:00, c1:00:68:67:00:00:00:00 09:02:03:00:00:00:00:00;/' \
    "$WORK/s.txt" > "$WORK/s2.txt"
expect_exit 0 "json schema: import a restart log" -- P import "$WORK/s2.txt"

# Address and spare pools (docs/pool.md).
P pool create macs --kind mac --first 02:00:5e:40:00:01 --last 02:00:5e:40:00:ff >/dev/null 2>&1 &&
    P spare-pool create sp web1 bare >/dev/null 2>&1 || fail "json schema: preparing the pools"

# Every command that prints a document, one file each.
n=0
for cmd in "vm list" "vm show web1" "vm show bare" "nic list web1" \
    "storage list web1" "serial list" "serial list web1" "net list" \
    "net show lan0" "image list" "image show disk1" "image show iso" \
    "reserve list" "reserve show r1" "profile list" "profile show gold" \
    "profile show silver" "server list" "server show s1" "info" \
    "serial mappings" "serial mappings web1" "pool list" "pool show macs" \
    "pool allocate macs --count 2 --for gold" "spare-pool list"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    P $cmd --json > "$WORK/d$n.json" 2>"$WORK/err" ||
        fail "$cmd --json: exit $?: $(head -c 200 "$WORK/err")"
    echo "$cmd" > "$WORK/d$n.cmd"
done
# scan's exit says whether a store would be opened (none here): its
# document is printed either way.
P scan --json > "$WORK/d0.json" 2>/dev/null
if got=$($VALIDATE "$WORK"/d*.json 2>&1); then
    pass "json schema: $((n + 1)) documents valid (every list, show, info, scan, mappings)"
else
    fail "json schema: $got"
fi
# Each schema definition of a psctl store command was exercised.
got=$(python3 - "$SCHEMA" "$WORK" <<'EOF'
import json, sys, glob
s = json.load(open(sys.argv[1]))
made = {json.load(open(f))["command"] for f in glob.glob(sys.argv[2] + "/d*.json")}
want = {s["$defs"][a["$ref"].split("/")[-1]]["properties"]["command"]["const"]
        for a in s["oneOf"]}
# Made elsewhere: through a BMC (test_psctl_bmc.sh), by hvagent
# (test_hvagent_outcomes.sh), by serial allocate (below), by vm move
# between two stores (test_vm_move.sh, validated there).
other = {"bmc info", "bmc power", "bmc profile pull", "hvagent stats",
         "serial allocate", "vm move"}
print(" ".join(sorted(want - made - other)) or "all")
EOF
)
[ "$got" = all ] && pass "json schema: every command the schema names was run" ||
    fail "json schema: never run: $got"

# j FILE PY: PY (an expression of j, the document) holds.
j() {
    if got=$(python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$WORK/$1" 2>&1) &&
        [ "$got" = True ]; then pass "json: $2"
    else fail "json: $2: $got: $(head -c 300 "$WORK/$1")"; fi
}
j d2.json "j['pstate-json'] == 1 and j['command'] == 'vm show'"
j d2.json "j['item']['memory'] == 4 << 30 and j['item']['cpus'] == 2"
j d2.json "j['item']['boot'] == ['network', 'disk'] and j['item']['serial'] == 'SN-1'"
j d2.json "j['item']['restart-window'] == 600 and j['item']['restart-limit'] == 3"
j d2.json "j['item']['restart-log'][0] == {'time': '2024-12-22T12:06:24Z', 'action': 'boot', 'attempt': 1, 'cause': 'crashed'}"
j d2.json "j['item']['restart-log'][1]['action'] == 9 and j['item']['restart-log'][1]['cause'] == 'stopped'"
j d2.json "[s['hostname'] for s in j['item']['serial-ports']] == ['web1-con', None]"
j d3.json "j['item']['description'] is None and j['item']['restart-policy'] is False"
j d3.json "j['item']['restart-limit'] is None and j['item']['restart-log'] == []"
j d12.json "j['item']['size'] == 0 and j['item']['shareable'] is True and j['item']['media'] == 'cdrom'"
j d11.json "j['item']['size'] == 10 << 30"
j d14.json "j['item']['first'] == 1 << 30 and j['item']['count'] == 512 << 20"
j d16.json "j['item']['macs'] == ['02:00:00:00:00:01', '02:00:00:00:00:02']"
j d16.json "j['item']['fc-boot'] == [{'wwpn': '21:00:00:00:00:00:00:01', 'lun': 3}]"
j d16.json "j['item']['wwns'][0]['wwnn'] == '20:00:00:00:00:00:00:01' and j['item']['server'] is None"
j d17.json "j['item']['uuid'] is None and j['item']['move-source'] is None"
j d20.json "j['used-bytes'] > 0 and isinstance(j['last-commit-epoch'], int)"
j d20.json "__import__('datetime').datetime.strptime(j['last-commit'], '%Y-%m-%dT%H:%M:%SZ').timestamp() > 0"
j d4.json "j['vm'] == 'web1' and j['items'][0]['model'] == 'virtio'"
expect_exit 0 "serial allocate --json" -- P serial allocate bare 2 --first 100 --json
cp "$WORK/out" "$WORK/alloc.json"
if got=$($VALIDATE "$WORK/alloc.json" 2>&1); then pass "serial allocate --json valid"
else fail "serial allocate --json: $got"; fi

# The text form shows the same date.
P info > "$WORK/out" 2>&1
grep -Eq '^last-commit +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$WORK/out" &&
    pass "info: last commit as an ISO 8601 date" ||
    fail "info last-commit: $(grep last-commit "$WORK/out")"

# Documents that break the contract fail: the validation is real.
bad() {
    python3 -c "import json,sys
j = json.load(open(sys.argv[1]))
$2
json.dump(j, open(sys.argv[2], 'w'))" "$WORK/$1" "$WORK/bad.json"
    if got=$($VALIDATE "$WORK/bad.json" 2>&1); then
        fail "json schema accepts a wrong document ($3)"
    else
        case $got in *"$4"*) pass "json schema refuses $3 ($got)" ;;
        *) fail "json schema refuses $3 for another reason: $got" ;; esac
    fi
}
bad d2.json "j['item']['memory'] = '4GiB'" "a size as a string" "item/memory"
bad d3.json "j['item']['description'] = ''" '"" for an absent value' "item/description"
bad d2.json "j['item']['boot'] = 'disk,network'" "a list as a string" "item/boot"
bad d2.json "j['item']['pxe'] = 'off'" "a boolean as a word" "item/pxe"
bad d2.json "del j['pstate-json']" "a document without its version" "pstate-json"
bad d2.json "j['pstate-json'] = 2" "another version" "pstate-json"
bad d2.json "j['item']['new-field'] = 1" "a member the schema does not name" "new-field"
bad d2.json "j['item']['power'] = 'maybe'" "a word no field allows" "item/power"
bad d1.json "del j['items'][0]['cores']" "an object without a field" "cores"
