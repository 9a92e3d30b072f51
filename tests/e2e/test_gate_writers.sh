# One gate (docs/architecture.md, issue 12): every rule the edit layer
# enforces, tried through every writer -- a psctl edit, an import of the
# text form, of JSON and of a binary store, a BMC element write and a BMC
# profile push through the simulated BMC (scripts/bmc-sim, ipmitool) --
# is refused: the edit with its exit code and reason, an import with exit
# 3 and the check's line carrying the same reason, the BMC with 0x82; the
# image byte-identical (sha256) after each.  (hvagent's write-back:
# test_gate_hvagent.sh.)  Environment: BMC_SIM, BMC_SIM_MODULE.
echo "== gate: every writer refuses what an edit refuses"
: "${BMC_SIM:?set BMC_SIM to scripts/bmc-sim}"
: "${BMC_SIM_MODULE:?set BMC_SIM_MODULE to bmc_sim.so}"
export BMC_SIM_MODULE

IMG=$WORK/gate.img
SIM=$WORK/sim
PORT=$(( 30000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
trap '"$BMC_SIM" stop "$SIM" >/dev/null 2>&1' EXIT INT TERM
L() { "$PSCTL" -q -i "$IMG" "$@"; }

L init --size 8M >/dev/null 2>&1 && L net create lan && L image create disk1 --size 1GiB &&
    L image create disk2 --size 1GiB && L vm create web --cpus 2 &&
    L nic add web n0 --mac 02:00:00:00:00:01 --network lan &&
    L storage add web c0 --image disk1 --disk && L vm create db --cpus 1 &&
    L storage add db c1 --image disk2 --disk &&
    L reserve create r1 --kind cpu --first 0 --count 4 &&
    L reserve create r2 --kind cpu --first 8 --count 2 &&
    L profile create gold --macs 02:00:00:00:00:09 &&
    L serial map web 0 --hostname web-con &&
    L pool create macs --kind mac --first 02:00:5e:40:00:01 --last 02:00:5e:40:00:ff &&
    L export -o "$WORK/good.txt" && L export --json -o "$WORK/good.json" ||
    fail "gate: preparing the image"
expect_exit 0 "gate: the prepared store is valid" -- L check

mkdir -p "$SIM"
if BMC_SIM_IMAGE=$IMG BMC_SIM_GATE=host-off BMC_SIM_ADMIN_PASS=adm1n-pw \
    BMC_SIM_OPER_PASS=0per-pw "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/out" 2>&1
then pass "gate: bmc-sim on 127.0.0.1:$PORT"
else fail "gate: bmc-sim start: $(cat "$WORK/out")"; return 0 2>/dev/null || exit 0
fi

# root_child SIG FILE: the hex bytes of FILE's (a binary store) first root
# child with signature SIG; with PROFILE, its first profile instead.
root_child() {
    python3 - "$1" "$2" <<'PY'
import struct, sys
sig, d = int(sys.argv[1], 16), open(sys.argv[2], "rb").read()
def kids(off):
    n = struct.unpack_from("<I", d, off + 8)[0]
    o, end = off + 12, off + 12 + n
    while o < end:
        s = struct.unpack_from("<I", d, o)[0]
        ln = (12 + struct.unpack_from("<I", d, o + 8)[0]) if s >> 31 \
            else 8 + struct.unpack_from("<I", d, o + 4)[0]
        yield s, o, ln
        o += ln
root = struct.unpack_from("<H", d, 10)[0]
want = 0x8000010f if sig == 0x80000110 else sig
for s, o, ln in kids(root):
    if s == want:
        if sig == 0x80000110:
            s, o, ln = next(k for k in kids(o) if k[0] == sig)
        print(d[o:o + ln].hex())
        break
PY
}

# unchanged WHAT: the image is as it was before the case.
unchanged() {
    [ "$(hash_of "$IMG")" = "$h0" ] && pass "$1: image byte-identical" ||
        fail "$1: image changed"
}

# gcase NAME EXIT WHY EDIT TEXT-SED JSON-SED ROOT-SIG [push]
#   EXIT, EDIT: the psctl edit (words of one command, or -) and its exit
#   status; WHY: the reason every refusal carries; TEXT-SED / JSON-SED:
#   the same change made to the exported text / JSON; ROOT-SIG: the root
#   child the BMC element write replaces with the changed one; push: also
#   push the changed profile to this host.
gcase() {
    gname=$1 ex=$2 why=$3 edit=$4 tsed=$5 jsed=$6 rsig=$7 push=${8:-}
    h0=$(hash_of "$IMG")
    if [ "$edit" != - ]; then
        # shellcheck disable=SC2086
        expect_exit "$ex" "$gname: psctl $edit" -- L $edit
        expect_err "$gname: psctl edit" "$why"
        unchanged "$gname: psctl edit"
    fi
    sed -e "$tsed" "$WORK/good.txt" > "$WORK/bad.txt"
    sed -e "$jsed" "$WORK/good.json" > "$WORK/bad.json"
    ! cmp -s "$WORK/good.txt" "$WORK/bad.txt" && ! cmp -s "$WORK/good.json" "$WORK/bad.json" ||
        fail "$gname: the case's sed changed nothing"
    "$PSFTOOL" compile "$WORK/bad.txt" -o "$WORK/bad.psf" 2>"$WORK/err" ||
        fail "$gname: psftool compile: $(cat "$WORK/err")"
    for f in bad.txt bad.json bad.psf; do
        expect_exit 3 "$gname: import $f" -- L import "$WORK/$f"
        expect_err "$gname: import $f" "$why"
        expect_err "$gname: import $f names the problem" "problem: "
        unchanged "$gname: import $f"
    done
    hex=$(root_child "$rsig" "$WORK/bad.psf")
    if [ -z "$hex" ]; then fail "$gname: no root child $rsig"
    elif bmc_write 1 "00$hex" >/dev/null; then fail "$gname: BMC element write accepted"
    else
        [ "$(cc_of)" = 0x82 ] && pass "$gname: BMC element write refused (0x82)" ||
            fail "$gname: BMC element write: $(cat "$WORK/err")"
    fi
    unchanged "$gname: BMC element write"
    [ -n "$push" ] || return 0
    hex=$(root_child 0x80000110 "$WORK/bad.psf")
    if bmc_write 2 "0100$hex" >/dev/null; then fail "$gname: BMC profile push accepted"
    else
        [ "$(cc_of)" = 0x82 ] && pass "$gname: BMC profile push refused (0x82)" ||
            fail "$gname: BMC profile push: $(cat "$WORK/err")"
    fi
    unchanged "$gname: BMC profile push"
}

Z=00000000-0000-0000-0000-000000000000
VMS=0x80000101
gcase "cpus 0" 3 "cpus '0': out of range (1-4096)" "vm set web --cpus 0" \
    's/vcpus = 2;/vcpus = 0;/' 's/"vcpus": 2,/"vcpus": 0,/' $VMS
gcase "cpus 5000" 3 "cpus '5000': out of range (1-4096)" "vm set web --cpus 5000" \
    's/vcpus = 2;/vcpus = 5000;/' 's/"vcpus": 2,/"vcpus": 5000,/' $VMS
gcase "memory out of range" 3 "memory '17TiB': out of range" "vm set web --memory 17TiB" \
    '0,/memory-kib = 0;/s//memory-kib = 18253611008;/' \
    '0,/"memory-kib": 0,/s//"memory-kib": 18253611008,/' $VMS
gcase "multicast MAC" 3 "mac '01:00:00:00:00:01': multicast address" \
    "nic set web n0 --mac 01:00:00:00:00:01" \
    's/mac = 02:00:00:00:00:01;/mac = 01:00:00:00:00:01;/' \
    's/"mac": "02:00:00:00:00:01"/"mac": "01:00:00:00:00:01"/' $VMS
gcase "all-zero MAC" 3 "mac '00:00:00:00:00:00': all-zero address" \
    "nic set web n0 --mac 00:00:00:00:00:00" \
    's/mac = 02:00:00:00:00:01;/mac = 00:00:00:00:00:00;/' \
    's/"mac": "02:00:00:00:00:01"/"mac": "00:00:00:00:00:00"/' $VMS
gcase "all-zero VM UUID" 3 "uuid '$Z': nil UUID" "vm set web --uuid $Z" \
    "0,/uuid = [0-9a-f-]*;/s//uuid = $Z;/" \
    "0,/\"uuid\": \"[0-9a-f-]*\"/s//\"uuid\": \"$Z\"/" $VMS
gcase "bad enum word" 3 "not one of: off, on, last" "vm set web --power sometimes" \
    '0,/power = off;/s//power = 7;/' '0,/"power": "off"/s//"power": 7/' $VMS
gcase "bad name" 3 "characters other than A-Z a-z 0-9 . _ -" "vm set web --name bad/name" \
    's/name = "web";/name = "bad\/name";/' \
    's/"name", "value": "web"}/"name", "value": "bad\/name"}/' $VMS
gcase "host name a path" 3 "hostname '../../run/x': empty label or '-' at its end" \
    "serial set web 0 --hostname ../../run/x" \
    's/hostname = "web-con";/hostname = "..\/..\/run\/x";/' \
    's/"value": "web-con"/"value": "..\/..\/run\/x"/' $VMS
gcase "pxe-nic names no NIC" 3 "no such nic" "vm set web --pxe-nic 3" \
    '0,/pxe-nic = 0;/s//pxe-nic = 3;/' '0,/"pxe-nic": 0}/s//"pxe-nic": 3}/' $VMS
gcase "image not shareable on two VMs" 4 "not shareable" "storage set db c1 --image disk1" \
    's/image-ref = "disk2";/image-ref = "disk1";/' \
    's/"image-ref", "value": "disk2"/"image-ref", "value": "disk1"/' $VMS
gcase "overlapping reservations" 4 "range overlaps" "reserve set r2 --first 2" \
    's/first = 8;/first = 2;/' 's/"first": 8,/"first": 2,/' 0x8000010d
gcase "duplicate identity" 4 "02:00:00:00:00:09" "nic set web n0 --mac 02:00:00:00:00:09" \
    's/mac = 02:00:00:00:00:01;/mac = 02:00:00:00:00:09;/' \
    's/"mac": "02:00:00:00:00:01"/"mac": "02:00:00:00:00:09"/' $VMS
gcase "multicast MAC in a profile" 3 "multicast address" \
    "profile set gold --macs 03:00:00:00:00:01" \
    's/mac-list = 02:00:00:00:00:09;/mac-list = 03:00:00:00:00:01;/' \
    's/"items": \["02:00:00:00:00:09"\]/"items": ["03:00:00:00:00:01"]/' 0x8000010f push
# The address pools' records (pool namespace, POOL_STATE at the root).
WIDE=$(printf 'wide mac 02:00:5e:40:00:f0 02:00:5e:40:01:ff' | od -An -tx1 | tr -d ' \n')
gcase "overlapping address pools" 4 "ranges never overlap" \
    "pool create wide --kind mac --first 02:00:5e:40:00:f0 --last 02:00:5e:40:01:ff" \
    's/^\t@0x80030100 {$/&\n\t\t@0x00030001 = "wide mac 02:00:5e:40:00:f0 02:00:5e:40:01:ff";/' \
    "s/{\"element\": \"0x80030100\", \"children\": \[/&\n      {\"element\": \"0x00030001\", \"hex\": \"$WIDE\"},/" \
    0x80030100
gcase "a reservation in no range" - "in no mac range" - \
    's/^\t@0x80030100 {$/&\n\t\t@0x00030002 = "mac 02:00:5e:41:00:01 -";/' \
    "s/{\"element\": \"0x80030100\", \"children\": \[/&\n      {\"element\": \"0x00030002\", \"hex\": \"$(printf 'mac 02:00:5e:41:00:01 -' | od -An -tx1 | tr -d ' \n')\"},/" \
    0x80030100
gcase "a NAME straight under the root" - "root: name: not allowed here" - \
    's/^root {$/root {\n\tname = "stray";/' \
    's/"root": {"element": "root", "children": \[/&\n    {"element": "name", "value": "stray"},/' \
    0x00000001
gcase "a VM under networks" - "network set: vm 'ghost': not allowed here" - \
    's/^\tnetworks {$/&\n\t\tvm { name = "ghost"; vm-config { uuid = 5e5e5e5e-0000-4000-8000-000000000001; vcpus = 1; } }/' \
    's/{"element": "networks", "children": \[/&\n      {"element": "vm", "children": [{"element": "name", "value": "ghost"}]},/' \
    0x80000109

expect_exit 0 "gate: the store is still valid after every refusal" -- L check
