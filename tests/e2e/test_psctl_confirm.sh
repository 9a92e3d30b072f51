# An edit that is written says so in one line on stdout, naming what was
# made (a generated UUID or MAC too); -q, anywhere on the line, hides it;
# an edit that changes nothing, a dry run and a failed edit print none.
echo "== psctl: one-line confirmations, -q anywhere"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
IMG=$WORK/c.img
P() { "$PSCTL" -i "$IMG" "$@"; }
P -q init >/dev/null 2>&1 || fail "confirm: init"

# said NAME REGEX: the last command's stdout is exactly one line matching.
said() {
    if [ "$(wc -l < "$WORK/out")" -eq 1 ] && grep -Eq "^$2\$" "$WORK/out"
    then pass "$1: '$(cat "$WORK/out")'"
    else fail "$1: stdout '$(cat "$WORK/out")'"; fi
}
silent() {
    [ ! -s "$WORK/out" ] && pass "$1: nothing on stdout" ||
        fail "$1: stdout '$(cat "$WORK/out")'"
}
U='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
M='[0-9a-f]{2}(:[0-9a-f]{2}){5}'
expect_exit 0 "vm create" -- P vm create web01 --memory 1G
said "vm create" "vm 'web01' created, uuid $U"
uuid=$(sed 's/.*uuid //' "$WORK/out")
[ "$(P -q vm show web01 | sed -n 's/^uuid *//p')" = "$uuid" ] &&
    pass "the UUID said is the VM's" || fail "uuid said $uuid"
expect_exit 0 "nic add" -- P nic add web01 eth0
said "nic add" "nic 'eth0' added to vm 'web01', mac $M"
expect_exit 0 "nic add --mac" -- P nic add web01 eth1 --mac 52:54:00:00:00:01
said "nic add --mac" "nic 'eth1' added to vm 'web01', mac 52:54:00:00:00:01"
expect_exit 0 "storage add" -- P storage add web01 d0
said "storage add" "storage 'd0' added to vm 'web01'"
expect_exit 0 "serial map" -- P serial map web01 0 --concentrator 9
said "serial map" "serial port 0 of vm 'web01' mapped"
expect_exit 0 "vm set" -- P vm set web01 --cpus 2
said "vm set" "vm 'web01' updated"
expect_exit 0 "nic set" -- P nic set web01 eth0 --model virtio
said "nic set" "nic 'eth0' of vm 'web01' updated"
expect_exit 0 "net create" -- P net create lan
said "net create" "network 'lan' created"
expect_exit 0 "serial unmap" -- P serial unmap web01 0
said "serial unmap" "serial port 0 of vm 'web01' unmapped"
expect_exit 0 "nic delete" -- P nic delete web01 eth1
said "nic delete" "nic 'eth1' deleted from vm 'web01'"

# Nothing said: no change, a dry run, a failure, -q before or after.
expect_exit 0 "vm set, no change" -- P vm set web01 --cpus 2
silent "vm set, no change"
expect_err "vm set, no change: noted on stderr" "no change"
expect_exit 0 "vm create --dry-run" -- P vm create web02 --dry-run
grep -q "created" "$WORK/out" && fail "dry run confirms: $(cat "$WORK/out")" ||
    pass "dry run: the diff, no confirmation"
expect_exit 4 "vm create of an existing name" -- P vm create web01
silent "failed edit"
for q in "-q vm create q1" "vm create q2 -q" "vm create q3 --quiet --memory 1G" \
    "vm set q3 -q --memory 2G"; do
    # shellcheck disable=SC2086
    expect_exit 0 "$q" -- P $q
    silent "$q"
    [ ! -s "$WORK/err" ] && pass "$q: no store line either" ||
        fail "$q: stderr $(cat "$WORK/err")"
done
P -q vm show q3 | grep -q '^memory *2GiB' && pass "-q after a field: the edit still made" ||
    fail "vm set q3 -q --memory 2G: $(P -q vm show q3 | grep memory)"
expect_exit 0 "--FIELD=-q keeps -q a value" -- P vm set q3 --description=-q
P -q vm show q3 | grep -q '^description *-q$' && pass "description '-q' given as --description=-q" ||
    fail "description: $(P -q vm show q3 | grep description)"

# A profile move is several edits, one confirmation.
P -q profile create gold >/dev/null 2>&1 && P -q vm create p1 >/dev/null 2>&1 ||
    fail "confirm: profile set-up"
expect_exit 0 "profile assign" -- P profile assign gold p1
said "profile assign" "profile 'gold' assigned to p1"
expect_exit 0 "profile move" -- P profile move gold q1
said "profile move" "profile 'gold' moved to q1"
expect_exit 0 "profile unassign" -- P profile unassign gold
said "profile unassign" "profile 'gold' unassigned"
expect_exit 0 "profile unassign, not assigned" -- P profile unassign gold
silent "profile unassign, not assigned"
expect_exit 0 "profile assign -q" -- P profile assign gold p1 -q
silent "profile assign -q"
