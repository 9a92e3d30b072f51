# Elements from an unknown vendor namespace survive every psctl edit byte
# for byte, under the same parent and in the same place among their known
# siblings; and a store edited by psctl reads back identically through the
# format library's text form (psftool dump of `psctl export --binary`
# versus `psctl dump`).
echo "psctl vendor elements"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
unset PSTATE_IMAGE
V=$WORK/vendor.img

ps() { "$PSCTL" -q -i "$V" "$@"; }

# Vendor elements at the root (a structure and a container), inside a VM
# (between its known children) and inside a NIC (after its record).
cat > "$WORK/vendor.txt" <<'EOF'
psf 1.0 schema 1 flags 0x00000000;
root {
	@0x01230007 = [de ad be ef];
	networks {
		network {
			name = "lan";
			network-config {
				kind = bridged;
				flags = 0;
				vlan = 0;
				mtu = 0;
			}
		}
	}
	vms {
		vm {
			name = "web1";
			@0x01230008 = [01 02 03];
			vm-config {
				uuid = 526144b4-1f61-4fd8-a99f-b4cc30e14f9b;
				memory-kib = 1048576;
				vcpus = 1;
				sockets = 0;
				cores = 0;
				threads = 0;
				power = off;
				pxe = off;
				pxe-nic = 0;
			}
			@0x81230001 {
				@0x01230002 = [76 65 6e 64 6f 72];
				@0x01230003 = [];
			}
			nics {
				nic {
					name = "eth0";
					nic-config {
						mac = 02:00:00:00:aa:01;
						model = default;
						flags = 0;
					}
					@0x01230009 = [ca fe];
					network-ref = "lan";
				}
			}
		}
	}
	@0x81230004 {
		@0x01230005 = [00 11 22 33 44 55 66 77 88 99];
	}
}
EOF

expect_exit 0 "vendor: init" -- "$PSCTL" -q -i "$V" init
expect_exit 0 "vendor: psftool compile" -- "$PSFTOOL" compile "$WORK/vendor.txt" -o "$WORK/vendor.psf"
expect_exit 0 "vendor: psctl import" -- ps import "$WORK/vendor.psf"

# snapshot FILE: one line per vendor element (outermost only): its parent
# path, its text (children included), and the known siblings before and
# after it -- each known sibling named by keyword and, for an object, its
# name.  Pads are not siblings (edits may turn room into content).
cat > "$WORK/snap.py" <<'EOF'
import sys, re
lines = [l.rstrip('\n') for l in open(sys.argv[1])][1:]
def parse(i):
    """children of the container opened before line i; returns (kids, i)"""
    kids = []
    while i < len(lines):
        s = lines[i].strip()
        if s == '}':
            return kids, i + 1
        if s.endswith('{ }'):
            kids.append({'key': s[:-3].strip(), 'text': [s], 'kids': []}); i += 1
        elif s.endswith('{'):
            start = i
            sub, i = parse(i + 1)
            kids.append({'key': s[:-1].strip(), 'text': [l.strip() for l in lines[start:i]], 'kids': sub})
        else:
            kids.append({'key': s.split(' ')[0], 'text': [s], 'kids': []}); i += 1
    return kids, i
def ident(n):
    for k in n['kids']:
        if k['key'] == 'name' or k['key'] == 'serial-config':
            return n['key'] + '[' + ' '.join(k['text']) + ']'
    return n['key']
out = []
def walk(n, path):
    kids = [k for k in n['kids'] if k['key'] != 'pad']
    for j, k in enumerate(kids):
        if k['key'].startswith('@'):
            before = [ident(x) for x in kids[:j] if not x['key'].startswith('@')]
            after = [ident(x) for x in kids[j+1:] if not x['key'].startswith('@')]
            out.append((path, ' | '.join(k['text']), before, after))
        else:
            walk(k, path + '/' + ident(k))
root, _ = parse(1)
walk({'kids': root}, 'root')
for p, t, b, a in out:
    print(p + ' :: ' + t + ' :: before=' + ','.join(b) + ' :: after=' + ','.join(a))
EOF

# compare SNAP-BEFORE SNAP-AFTER: the same vendor elements, each with the
# same text under the same parent; every known sibling that is still there
# keeps its side (new siblings may appear, deleted ones may go).
cat > "$WORK/cmp.py" <<'EOF'
import sys
def load(f):
    r = []
    for l in open(f):
        p, t, b, a = l.rstrip('\n').split(' :: ')
        r.append((p, t, [x for x in b[7:].split(',') if x], [x for x in a[6:].split(',') if x]))
    return r
old, new = load(sys.argv[1]), load(sys.argv[2])
if [(p, t) for p, t, _, _ in old] != [(p, t) for p, t, _, _ in new]:
    print('vendor elements differ:', [(p, t) for p, t, _, _ in new]); sys.exit(1)
for (p, t, b0, a0), (_, _, b1, a1) in zip(old, new):
    for x in b0:
        if x in a1: print(p, t, ': known sibling', x, 'moved after it'); sys.exit(1)
    for x in a0:
        if x in b1: print(p, t, ': known sibling', x, 'moved before it'); sys.exit(1)
EOF

snap() { ps dump > "$WORK/dump.txt" 2>"$WORK/err" && python3 "$WORK/snap.py" "$WORK/dump.txt" > "$1"; }
snap "$WORK/base.snap"
if [ "$(wc -l < "$WORK/base.snap")" -eq 5 ] && grep -q '@0x01230009 = \[ca fe\]' "$WORK/base.snap"; then
    pass "vendor: 5 vendor elements imported"
else
    fail "vendor: snapshot after import: $(cat "$WORK/base.snap")"
fi

# Byte identity of the raw payloads: the elements' bytes, found in the
# binary export, unchanged (the text comparison covers the rest).
raw_has() {
    ps export --binary -o "$WORK/cur.psf" 2>/dev/null
    python3 - "$WORK/cur.psf" <<'EOF'
import sys, struct
b = open(sys.argv[1], 'rb').read()
for sig, data in ((0x01230007, bytes.fromhex('deadbeef')), (0x01230008, bytes.fromhex('010203')),
                  (0x01230009, bytes.fromhex('cafe')), (0x01230002, b'vendor'),
                  (0x01230005, bytes.fromhex('00112233445566778899'))):
    found = False
    for end in ('<', '>'):
        if struct.pack(end + 'I', sig) in b and data in b:
            found = True
    if not found:
        print('missing %08x' % sig); sys.exit(1)
EOF
}

# after NAME: the vendor elements are as they were at import
after() {
    if snap "$WORK/now.snap" && python3 "$WORK/cmp.py" "$WORK/base.snap" "$WORK/now.snap" > "$WORK/cmp.out" 2>&1 \
       && raw_has > "$WORK/raw.out" 2>&1; then
        pass "vendor elements intact after $1"
    else
        fail "vendor elements after $1: $(cat "$WORK/cmp.out" "$WORK/raw.out" 2>/dev/null | head -c 400)"
    fi
}

edit() {
    what=$1; shift
    expect_exit 0 "vendor: $what" -- ps "$@"
    after "$what"
}

edit "vm create" vm create db1 --memory 2GiB --cpus 2
edit "vm set (other VM)" vm set db1 --description "database" --serial SN-DB1 --boot disk,network
edit "vm set (vendor VM)" vm set web1 --memory 8GiB --cpus 4 --description "front end with vendor data"
# A rename changes the parent's identity in the snapshot: rename there
# and back, then compare.
expect_exit 0 "vendor: vm set rename (vendor VM)" -- ps vm set web1 --name web01
edit "vm set rename back" vm set web01 --name web1
edit "net create" net create wan --kind nat --uplink br1
edit "net set" net set lan --vlan 42 --mtu 9000 --uplink eth0
edit "nic add (vendor VM)" nic add web1 eth1 --network wan --mac 02:00:00:00:aa:02
edit "nic set (vendor NIC)" nic set web1 eth0 --network wan --model virtio --link off
edit "nic set (vendor NIC) mac" nic set web1 eth0 --mac 02:00:00:00:aa:03
edit "nic add (other VM)" nic add db1 eth0 --network lan
edit "nic delete (vendor VM)" nic delete web1 eth1
edit "image create" image create deb12 --path /var/img/deb12.qcow2 --size 20GiB --format qcow2
edit "image set" image set deb12 --shareable on --description "debian"
edit "storage add (vendor VM)" storage add web1 sda --image deb12 --bootable on
edit "storage set (vendor VM)" storage set web1 sda --bus virtio --writable off
edit "storage delete (vendor VM)" storage delete web1 sda
edit "serial map (vendor VM)" serial map web1 0 --concentrator 3 --hostname web1-con
edit "serial set (vendor VM)" serial set web1 0 --mode observer
edit "serial unmap (vendor VM)" serial unmap web1 0
edit "reserve create" reserve create r1 --kind memory --first 4GiB --count 1GiB --owner web1
edit "reserve set" reserve set r1 --count 2GiB
edit "reserve delete" reserve delete r1
edit "profile create" profile create gold --serial PRO-1 \
    --uuid 11111111-2222-4333-8444-555555555555 --macs 02:00:00:00:00:01,02:00:00:00:00:02
edit "profile set" profile set gold --boot network,disk --description "gold profile"
edit "profile assign (vendor VM)" profile assign gold web1
edit "profile unassign" profile unassign gold
"$PSCTL" -q -i "$WORK/srv.img" init >/dev/null 2>&1  # a server's key in hand
edit "profile assign (physical)" profile assign gold "image:$WORK/srv.img"
edit "profile unassign (physical)" profile unassign gold
edit "profile delete" profile delete gold
edit "image delete" image delete deb12
edit "vm delete (other VM)" vm delete db1
edit "net delete" net delete lan
expect_exit 0 "vendor: check after every edit" -- ps check

# ---- the edited store reads back identically through the format
# library's text form: psftool dump of the binary export == psctl dump.
expect_exit 0 "vendor: export --binary" -- ps export --binary -o "$WORK/final.psf"
expect_exit 0 "vendor: psftool check export" -- "$PSFTOOL" check "$WORK/final.psf"
"$PSFTOOL" dump "$WORK/final.psf" -o "$WORK/final.psftool.txt" 2>"$WORK/err"
ps dump -o "$WORK/final.psctl.txt" 2>>"$WORK/err"
if [ -s "$WORK/final.psctl.txt" ] && cmp -s "$WORK/final.psftool.txt" "$WORK/final.psctl.txt"; then
    pass "vendor: psftool dump of export --binary == psctl dump"
else
    fail "vendor: dumps differ: $(diff "$WORK/final.psftool.txt" "$WORK/final.psctl.txt" | head -c 400) $(cat "$WORK/err")"
fi
# ... and the text round-trips: compile the dump, import it, dump again.
"$PSFTOOL" compile "$WORK/final.psctl.txt" -o "$WORK/again.psf" 2>"$WORK/err"
if cmp -s "$WORK/again.psf" "$WORK/final.psf"; then
    pass "vendor: psftool compile of psctl dump == export --binary"
else
    fail "vendor: recompiled dump differs from the binary export $(cat "$WORK/err")"
fi
