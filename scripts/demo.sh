#!/bin/sh
# The main job on the embedded default image: create it with `psctl init`,
# define networks, disk images and VMs (NICs, storage, serial mappings) with
# psctl, show them, check the store, see an invalid edit refused with the
# image unchanged; then, at the format level, dump the exported binary with
# psftool, prove the text form lossless and that damage is caught; then the
# other two writers: a simulated BMC edits the image over IPMI while the host
# is "off" (and refuses while it runs), and hvagent's boot pass defines the
# VMs in libvirt.
#
# Usage: scripts/demo.sh PSFTOOL IMAGE [PSCTL]
# Environment: HVAGENT (default: next to PSCTL), BMC_SIM_MODULE (default:
# DIR-OF-PSCTL/bmc-shim/bmc_sim.so).
# The image is (re)created from scratch; it is also $PSTATE_IMAGE for every
# psctl command below, so they open it as the embedded default store (no
# -i option), exactly as a new user without a USB key would.
set -eu
PSFTOOL=${1:?psftool path}
IMAGE=${2:?image path}
PSCTL=${3:-$(dirname "$PSFTOOL")/psctl}
HVAGENT=${HVAGENT:-$(dirname "$PSCTL")/hvagent}
BMC_SIM_MODULE=${BMC_SIM_MODULE:-$(dirname "$PSCTL")/bmc-shim/bmc_sim.so}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
case $BMC_SIM_MODULE in /*) ;; *) BMC_SIM_MODULE=$PWD/$BMC_SIM_MODULE ;; esac
export BMC_SIM_MODULE
cleanup() {
    "$ROOT/scripts/bmc-sim" stop "$WORK/bmc" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
PSTATE_IMAGE=$IMAGE
export PSTATE_IMAGE

die() { printf '\ndemo: FAILED: %s\n' "$*" >&2; exit 1; }
step() { printf '\n== %s\n' "$*"; }
# run CMD...: show the command line, run it, stop the demo if it fails.
run() {
    line='$'
    for a in "$@"; do
        case $a in
        "$PSCTL") a=psctl ;;
        "$PSFTOOL") a=psftool ;;
        "$HVAGENT") a=hvagent ;;
        *[!A-Za-z0-9_./:,=@-]*) a="'$a'" ;;
        esac
        line="$line $a"
    done
    printf '%s\n' "$line"
    "$@" || die "'$*' exited with status $?"
}
# pc ARGS...: psctl on the default image, the "store:" line suppressed
# after the first command (it names the same image every time).
pc() { run "$PSCTL" -q "$@"; }
hash_of() { sha256sum "$1" | cut -d' ' -f1; }

[ -x "$PSCTL" ] || die "no psctl at $PSCTL (make $PSCTL)"
[ -x "$PSFTOOL" ] || die "no psftool at $PSFTOOL"
mkdir -p "$(dirname "$IMAGE")"
rm -f "$IMAGE"

step "1. create the default image \$PSTATE_IMAGE=$IMAGE: partition table + empty store"
run "$PSCTL" init
run "$PSCTL" info >/dev/null    # names the store it opened, on stderr

step "2. networks and disk images"
pc net create lan --kind bridged --uplink eno1 --vlan 10 --description "front-end LAN"
pc net create backend --kind isolated --mtu 9000
pc image create web01-root --size 20GiB --format qcow2 --path /var/lib/pstate/images/web01.qcow2
pc image create db01-root --size 40GiB --format raw --path /dev/vg0/db01
pc image create installer --size 4GiB --media cdrom --path /var/lib/pstate/images/debian-12.iso --shareable on
pc net list
pc image list

step "3. VMs (UUIDs generated)"
pc vm create web01 --description "front-end web server" --memory 4GiB --cpus 2 \
    --power on --boot disk,cdrom,network --serial VM-WEB01-0001
pc vm create db01 --description "database" --memory 16GiB --cpus 8 --power last \
    --serial VM-DB01-0002
pc vm create build01 --description "CI worker, PXE installed" --memory 8G --cpus 4 \
    --pxe on --boot network,disk

step "4. NICs (MACs given, or generated as locally administered unicast)"
pc nic add web01 eth0 --network lan --model virtio
pc nic add web01 eth1 --network backend --mac 02:50:53:00:01:01
pc nic add db01 eth0 --network backend --model virtio
pc nic add build01 eth0 --network lan --model e1000

step "5. storage controllers"
pc storage add web01 root --image web01-root --disk --bootable on --bus virtio
pc storage add web01 dvd --image installer --cdrom --writable off --bus sata
pc storage add db01 root --image db01-root --disk --bootable on --bus scsi
pc storage add build01 dvd --image installer --cdrom --writable off

step "6. serial ports mapped to the console concentrator"
pc serial map web01 0 --concentrator 1 --hostname web01-console --mode observer
pc serial map db01 0 --concentrator 2 --hostname db01-console --mode privacy
pc serial map build01 0 --concentrator 3 --mode free

step "7. an edit: more memory for web01 (--dry-run first: the diff, nothing written)"
pc vm set web01 --memory 6GiB --dry-run
pc vm set web01 --memory 6GiB

step "8. show them"
pc vm list
pc vm show web01
pc serial list
step "   the same, machine-readable (--json)"
pc vm show db01 --json

step "9. psctl info"
pc info

step "10. psctl check (exit status is the verdict)"
pc check

step "11. an invalid edit is refused, the image is unchanged"
before=$(hash_of "$IMAGE")
printf '$ psctl nic set web01 eth0 --mac 01:00:5e:00:00:01\n'
set +e
"$PSCTL" -q nic set web01 eth0 --mac 01:00:5e:00:00:01 2>"$WORK/err"
status=$?
set -e
cat "$WORK/err"
[ "$status" -eq 3 ] || die "expected exit status 3 (invalid value), got $status"
grep -q "multicast" "$WORK/err" || die "the refusal does not say why"
after=$(hash_of "$IMAGE")
[ "$before" = "$after" ] || die "the refused edit changed the image"
echo "exit status $status (invalid value); image sha256 before and after: ${after%"${after#????????????????}"}..., unchanged"

step "12. export the store as a raw PSF store; psftool check, info and dump it"
pc export --binary -o "$WORK/store.psf"
run "$PSFTOOL" check "$WORK/store.psf"
run "$PSFTOOL" info "$WORK/store.psf"
run "$PSFTOOL" dump "$WORK/store.psf" -o "$WORK/dump.txt"
cat "$WORK/dump.txt"

step "13. lossless: dump -> compile reproduces the store byte for byte"
run "$PSFTOOL" compile "$WORK/dump.txt" -o "$WORK/again.psf"
cmp "$WORK/store.psf" "$WORK/again.psf" || die "round trip differs"
echo "identical ($(wc -c < "$WORK/store.psf") bytes)"

step "14. damage is caught: one flipped bit in a copy"
cp "$WORK/store.psf" "$WORK/damaged.psf"
printf '\001' | dd of="$WORK/damaged.psf" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$PSFTOOL" check "$WORK/damaged.psf"; then
    die "damaged copy was accepted"
fi
echo "rejected, as it must be; the store on $IMAGE is untouched:"
pc check

step "15. the BMC on auxiliary power edits the same image over IPMI (simulated BMC: ipmi_sim + the shim)"
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000))
BMC_SIM_IMAGE=$IMAGE BMC_SIM_GATE=host-off BMC_SIM_ADMIN_PASS=demo-pw \
    run "$ROOT/scripts/bmc-sim" start "$WORK/bmc" "$port"
IPMI_PASSWORD=demo-pw
export IPMI_PASSWORD
bmc() { run "$PSCTL" -q --bmc "127.0.0.1:$port" -U admin "$@"; }
bmc bmc info
bmc vm set db01 --memory 32GiB
pc vm show db01
bmc bmc power on
before=$(hash_of "$IMAGE")
printf '$ psctl --bmc 127.0.0.1:%s -U admin vm set db01 --memory 64GiB\n' "$port"
set +e
"$PSCTL" -q --bmc "127.0.0.1:$port" -U admin vm set db01 --memory 64GiB 2>"$WORK/err"
status=$?
set -e
cat "$WORK/err"
[ "$status" -eq 8 ] || die "expected exit status 8 (host powered on), got $status"
[ "$before" = "$(hash_of "$IMAGE")" ] || die "the refused BMC edit changed the image"
echo "exit status 8: this platform's BMC writes only while the host is off; image unchanged"
bmc bmc power off
run "$ROOT/scripts/bmc-sim" stop "$WORK/bmc"

step "16. the hypervisor boots: hvagent defines the VMs in libvirt (test driver, on a copy)"
cp "$IMAGE" "$WORK/host.img"
run "$HVAGENT" --once -i "$WORK/host.img" -u test:///default --stats

printf '\ndemo: all steps passed; try it yourself: PSTATE_IMAGE=%s %s help\n' \
    "$IMAGE" "$PSCTL"
