# A VM that hvagent found undefined in libvirt and kept in the store
# (libvirt_delete = keep, docs/hvagent.md) says so in `vm show`: a
# `libvirt-undefined yes: ...` line naming the confirmation, and
# "libvirt-undefined": true in --json (valid against the schema); a VM
# without the mark has no line and false.  The mark is hvagent's record
# in the agent state, written here through import as hvagent writes it.
echo "== psctl vm show: the kept-deletion mark"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
IMG=$WORK/k.img
P() { "$PSCTL" -q -i "$IMG" "$@"; }
P init --size 8M >/dev/null 2>&1 && P vm create web1 >/dev/null 2>&1 &&
    P vm create bare >/dev/null 2>&1 && P export -o "$WORK/k.txt" 2>/dev/null ||
    fail "vm kept: preparing the image"
uuid=$(P vm show web1 | sed -n 's/^uuid *//p')
# The export's last line closes the root: the agent state goes before it.
{ sed '$d' "$WORK/k.txt"
  printf '\tagent-state {\n\t\tagent-doms {\n\t\t\tagent-dom {\n'
  printf '\t\t\t\tagent-dom-record {\n\t\t\t\t\tuuid = %s;\n' "$uuid"
  printf '\t\t\t\t\tflags = libvirt-undefined;\n\t\t\t\t}\n\t\t\t}\n\t\t}\n\t}\n}\n'
} > "$WORK/k2.txt"
expect_exit 0 "vm kept: import the agent's mark" -- P import "$WORK/k2.txt"

expect_exit 0 "vm kept: vm show web1" -- P vm show web1
if grep -q "^libvirt-undefined *yes: kept in the store (libvirt_delete = keep); confirm with 'psctl vm delete web1'" "$WORK/out"
then pass "vm kept: show says the VM is kept and how to confirm"
else fail "vm kept: show: $(grep -i libvirt "$WORK/out")"; fi
expect_exit 0 "vm kept: vm show bare" -- P vm show bare
grep -q "libvirt-undefined" "$WORK/out" &&
    fail "vm kept: an unmarked VM shows the mark" ||
    pass "vm kept: no line for an unmarked VM"

for vm in web1 bare; do
    P vm show "$vm" --json > "$WORK/kept-$vm.json" 2>/dev/null ||
        fail "vm kept: vm show $vm --json"
done
got=$(python3 -c 'import json, sys
print(*(json.load(open(f))["item"]["libvirt-undefined"] for f in sys.argv[1:]))' \
    "$WORK/kept-web1.json" "$WORK/kept-bare.json" 2>&1)
[ "$got" = "True False" ] && pass "vm kept: --json libvirt-undefined true, false" ||
    fail "vm kept: --json libvirt-undefined: $got"
P vm list --json > "$WORK/kept-list.json" 2>/dev/null
if out=$(python3 "$ROOT/tests/e2e/json_schema.py" "$ROOT/docs/psctl-output.schema.json" \
    "$WORK/kept-web1.json" "$WORK/kept-bare.json" "$WORK/kept-list.json" 2>&1)
then pass "vm kept: show and list documents valid against the schema"
else fail "vm kept: schema: $out"; fi

# Confirming deletes the VM (the mark goes with it on hvagent's next pass).
expect_exit 0 "vm kept: confirm with vm delete" -- P vm delete web1
expect_exit 5 "vm kept: gone after the confirmation" -- P vm show web1
