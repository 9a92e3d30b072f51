# End-to-end: pscon serves several stores (issue 16; docs/console.md
# "Several stores"): ports from both served; a port number claimed by
# another VM in the second store refused (logged once, shown in LIST,
# never served twice); a VM's mapping moved from store A to store B and
# back by psctl edits (B first then A, and A first then B: a moment in
# no store) while a guest stand-in writes a counter and a viewer stays
# attached: every counter line seen once in order, the guest's
# connection never closed, input typed around each move reaching the
# guest once; a third move with a restart of pscon (SIGUSR2) while the
# port is in no store; a port left in no store removed after the grace.
# Environment: PSCON, PSCON_TEST (make e2e sets them).
echo "== pscon: several stores, a mapping moving between them"
. "$ROOT/tests/e2e/console_lib.sh"

A=$WORK/a.img B=$WORK/b.img
LA() { "$PSCTL" -q -i "$A" "$@"; }
LB() { "$PSCTL" -q -i "$B" "$@"; }
LA init && LB init && LA vm create va && LA serial map va 0 --concentrator 7001 \
    --hostname va-con && LB vm create vb && LB serial map vb 0 --concentrator 7002 \
    --hostname vb-con && LA vm create vx && LA serial map vx 0 --concentrator 7005 &&
    LB vm create vy && LB serial map vy 0 --concentrator 7005 ||
    fail "stores: preparing the images"
U=$("$PSCTL" -i "$A" vm show va 2>/dev/null | awk '$1 == "uuid" { print $2 }')
mkdir -m 700 "$WORK/run"
setsid "$PSCON" --run-dir "$WORK/run" --socket "$S" --log-dir "$WORK/logs" \
    --store "$A" --store "$B" --move-grace 15 2> "$WORK/svc.log" & SVC=$!; PIDS="$PIDS $SVC"
file_has "$WORK/svc.log" "serving" && pass "stores: pscon serving two stores" ||
    fail "stores: not serving: $(cat "$WORK/svc.log")"
C() { "$PSCTL" console --socket "$S" "$@"; }

# Ports from both stores; the clash refused, named, shown, logged once.
C list --json > "$WORK/list.json" 2> "$WORK/err"
python3 - "$WORK/list.json" "$A" "$B" <<'EOF' 2> "$WORK/err" &&
import json, sys
d = {p["concentrator"]: p for p in json.load(open(sys.argv[1]))}
a, b = sys.argv[2], sys.argv[3]
assert sorted(d) == [7001, 7002, 7005], sorted(d)
assert d[7001]["store"] == a and d[7002]["store"] == b, d
assert d[7005]["vm"] == "vx" and d[7005]["store"] == a, d[7005]
assert d[7005]["claims"] == [{"kind": "clash", "store": b, "vm": "vy"}], d[7005]
assert d[7001]["claims"] == [] and not d[7001]["leaving"], d[7001]
assert d[7002]["writer"] is None and d[7002]["last_fault"] is None, d[7002]
EOF
    pass "stores: ports of both stores listed with their store; 7005's clash shown" ||
    fail "stores: list: $(cat "$WORK/err") $(cat "$WORK/list.json")"
C list > "$WORK/list" 2>&1
grep -q "clash, refused: store $B, vm vy" "$WORK/list" &&
    pass "stores: console list names the refused claim" ||
    fail "stores: console list: $(cat "$WORK/list")"
# Two more reloads (a change of B, a SIGHUP); a LIST after each: done.
LB vm set vy --description touched; C list > /dev/null 2>&1
kill -HUP "$SVC"; file_has "$WORK/svc.log" "SIGHUP: reloading"; C list > /dev/null 2>&1
[ "$(grep -c "port 7005: store $B maps it to vm vy, but it is vm vx's of store $A: refused" "$WORK/svc.log")" = 1 ] &&
    pass "stores: the clash logged once, both stores and VMs named" ||
    fail "stores: clash log: $(grep 7005 "$WORK/svc.log")"
[ "$(grep -c 'served at .*/port-7005' "$WORK/svc.log")" = 1 ] &&
    pass "stores: port 7005 served once" || fail "stores: 7005: $(grep 7005 "$WORK/svc.log")"

# A guest on 7001, a viewer, typing.
"$PSCON_TEST" counter "$WORK/run/port-7001" 10 "$WORK/sent" "$WORK/gin" &
GUEST=$!; PIDS="$PIDS $GUEST"
mkfifo "$WORK/kbd"
C va-con --retry 20 < "$WORK/kbd" > "$WORK/view" 2> "$WORK/view.err" &
VIEW=$!; PIDS="$PIDS $VIEW"
exec 8<>"$WORK/kbd"
file_has "$WORK/view" "counter 000010" && pass "stores: the viewer sees the counter" ||
    fail "stores: viewer: $(cat "$WORK/view.err")"
printf 'one\r' >&8
file_has "$WORK/gin" "one" && pass "stores: input reaches the guest" ||
    fail "stores: input: $(cat "$WORK/gin")"

# listed PORT FIELD: a member of port PORT in console list --json.
listed() {
    C list --json 2>/dev/null | python3 -c 'import json,sys
print([p for p in json.load(sys.stdin) if p["concentrator"] == int(sys.argv[1])][0][sys.argv[2]])' "$1" "$2"
}
# logged N TEXT: the service log holds TEXT N times within 10 s.
logged() {
    i=0
    while [ "$(grep -cF -- "$2" "$WORK/svc.log")" -lt "$1" ]; do
        [ $i -lt 100 ] || return 1
        sleep 0.1; i=$((i + 1))
    done
}
# add_va IMG: the VM va (its UUID) and its port 7001 into store IMG.
add_va() {
    "$PSCTL" -q -i "$1" vm create va --uuid "$U" &&
        "$PSCTL" -q -i "$1" serial map va 0 --concentrator 7001 --hostname va-con ||
        fail "stores: adding va to $1"
}
# moved FROM TO NAME: pscon logged port 7001's move from store FROM to TO.
moved() {
    file_has "$WORK/svc.log" "port 7001 (va-con, vm va): moved from store $1 to store $2" &&
        pass "stores: $3: served from $2" || fail "stores: $3: $(grep 7001 "$WORK/svc.log")"
}
# A port left in no store (its grace runs during the moves below).
LB vm delete vb
# Move 1: B gets the VM (same UUID, same port) first, then A drops it.
add_va "$B"
file_has "$WORK/svc.log" "port 7001 (vm va): also mapped in store $B (a move in progress)" &&
    pass "stores: the same VM in both stores: one port, a move shown" ||
    fail "stores: $(grep 7001 "$WORK/svc.log")"
printf 'two\r' >&8
LA vm delete va || fail "stores: deleting va from A"
moved "$A" "$B" "move 1 (add to B, then delete from A)"
[ "$(listed 7001 store)" = "$B" ] && pass "stores: LIST says store B" ||
    fail "stores: LIST after move 1: $(listed 7001 store)"
printf 'three\r' >&8
sleep 0.3
# Move 2: B drops it first (a moment in no store), then A gets it.
LB vm delete va || fail "stores: deleting va from B"
file_has "$WORK/svc.log" "port 7001 (va-con, vm va): in no store now; kept 15 s" &&
    pass "stores: in no store: kept for the grace" ||
    fail "stores: move 2: $(grep 7001 "$WORK/svc.log")"
[ "$(listed 7001 leaving)" = True ] && pass "stores: LIST says leaving" ||
    fail "stores: leaving: $(listed 7001 leaving)"
printf 'four\r' >&8
# B gives the number it freed to another VM meanwhile: refused, the
# moving VM keeps its port.
LB vm create vz && LB serial map vz 0 --concentrator 7001 || fail "stores: vz"
file_has "$WORK/svc.log" "port 7001: store $B maps it to vm vz, but it is vm va's of store $B: refused" &&
    pass "stores: the freed number given to another VM in the grace: a clash, refused" ||
    fail "stores: vz: $(grep 7001 "$WORK/svc.log")"
LB vm delete vz || fail "stores: deleting vz"
add_va "$A"
moved "$B" "$A" "move 2 (delete from B, then add to A)"
printf 'five\r' >&8
sleep 0.3
# Move 3: A drops it, pscon restarts (SIGUSR2) in the grace, B gets it.
LA vm delete va || fail "stores: deleting va from A"
logged 2 "port 7001 (va-con, vm va): in no store now" ||
    fail "stores: move 3: $(grep 7001 "$WORK/svc.log")"
kill -USR2 "$SVC"
file_has "$WORK/svc.log" "port 7001 (va-con, vm va): in a move's grace at the restart: kept" &&
    pass "stores: a restart in the grace keeps the port in no store" ||
    fail "stores: restart in the grace: $(tail -n 8 "$WORK/svc.log")"
printf 'six\r' >&8
add_va "$B"
logged 2 "port 7001 (va-con, vm va): moved from store $A to store $B" &&
    pass "stores: move 3 across the restart: served from B" ||
    fail "stores: move 3: $(grep 7001 "$WORK/svc.log")"
file_has "$WORK/view.err" "resumed at offset" &&
    pass "stores: the viewer resumed after the restart" || fail "stores: viewer: $(cat "$WORK/view.err")"
printf 'seven\r' >&8
sleep 0.5

# The port left in no store before the moves: removed after the grace.
file_has "$WORK/svc.log" "port 7002 (vb-con): no longer mapped, removed" 25 &&
    pass "stores: a port in no store removed after the grace" ||
    fail "stores: 7002: $(grep 7002 "$WORK/svc.log")"

! grep -q 'PORT CLOSED' "$WORK/gin" && ! grep -q 'port 7001.*removed\|port 7001.*guest disconnected' "$WORK/svc.log" &&
    pass "stores: the guest's connection never closed across the three moves" ||
    fail "stores: the port closed: $(grep 7001 "$WORK/svc.log")"
kill "$GUEST"; wait "$GUEST" 2>/dev/null
sleep 0.5
kill "$VIEW" 2>/dev/null; wait "$VIEW" 2>/dev/null
exec 8>&-
n=$(counters_ok "$WORK/sent")
[ "${n:-0}" -gt 50 ] && pass "stores: the guest wrote $n counter lines" ||
    fail "stores: guest wrote ${n:-0}"
! grep -q 'gone\|removed' "$WORK/view.err" && cmp -s "$WORK/sent" "$WORK/view" &&
    pass "stores: the viewer stayed (resumed across the restart) and saw every counter once, in order" ||
    fail "stores: viewer: $(cmp "$WORK/sent" "$WORK/view" 2>&1) $(cat "$WORK/view.err")"
sed 's/^\[[0-9T:Z-]*\] //' "$WORK/logs/va-con.log" > "$WORK/logged"
cmp -s "$WORK/sent" "$WORK/logged" && pass "stores: the port's log has every byte once" ||
    fail "stores: log differs: $(cmp "$WORK/sent" "$WORK/logged" 2>&1)"
[ "$(tr -d '\r' < "$WORK/gin")" = "onetwothreefourfivesixseven" ] &&
    pass "stores: input typed around the moves reached the guest once, in order" ||
    fail "stores: guest input: $(od -c "$WORK/gin" | head -3)"
grep -q "runtime error\|AddressSanitizer" "$WORK/svc.log" &&
    fail "stores: sanitizer: $(grep -m3 'runtime error\|Sanitizer' "$WORK/svc.log")" ||
    pass "stores: no sanitizer report from pscon"
