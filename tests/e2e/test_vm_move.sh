# psctl vm move VM --to TARGET between two image files (docs/psctl.1.md
# "vm move", pstate/ps_move.h): the VM object arrives whole (its UUID,
# NICs, serial mapping on the same concentrator port, restart policy) and
# is gone from the source; the refusals (a port, UUID or MAC taken at the
# destination, a missing network, a same-named VM, no such VM, the same
# store, a target with #VM) say what and where, exit non-zero and write
# nothing; a move killed after each step (PSCTL_TEST_CRASH_AT) leaves a
# record (`vm show` of both stores) and is finished by running it again,
# never leaving the VM in both stores at home or in neither.
echo "== psctl vm move"
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
S=$WORK/vs.img D=$WORK/vd.img
PS() { "$PSCTL" -q -i "$S" "$@"; }
PD() { "$PSCTL" -q -i "$D" "$@"; }

# fresh: S has web (network lan, a MAC, serial port 0 on 7101, a restart
# policy), D has db on 7102 and network lan: made once (one psctl shell
# per store, which exits non-zero when a line failed), then copied.
uuid=5e5e5e5e-0000-4000-8000-00000000a001
rm -f "$S" "$D"
{ PS init --size 8M && PD init --size 8M &&
  printf '%s\n' 'net create lan' "vm create web --memory 1G --uuid $uuid" \
      'nic add web eth0 --network lan --mac 52:54:00:aa:00:01' \
      'serial map web 0 --concentrator 7101 --hostname web' \
      'vm set web --restart-limit 3' | PS shell &&
  printf '%s\n' 'net create lan' 'vm create db' 'serial map db 0 --concentrator 7102' | PD shell
} >/dev/null 2>"$WORK/fresh.err" || fail "vm move: preparing: $(head -c 300 "$WORK/fresh.err")"
cp "$S" "$WORK/vs0.img" && cp "$D" "$WORK/vd0.img"
fresh() { cp "$WORK/vs0.img" "$S" && cp "$WORK/vd0.img" "$D"; }

# The VM's state in one store: home, leaving, arriving or absent; its
# `vm show` stays in $WORK/w.out for further checks.
where() { # P VM
    if ! "$1" vm show "$2" >"$WORK/w.out" 2>/dev/null; then echo absent
    elif grep -q '^move-target ' "$WORK/w.out"; then echo leaving
    elif grep -q '^move-source ' "$WORK/w.out"; then echo arriving
    else echo home; fi
}

sum_s=$(hash_of "$S") sum_d=$(hash_of "$D")
sum_s0=$sum_s sum_d0=$sum_d

# ---- refusals: nothing written
expect_exit 5 "vm move: no such vm" -- PS vm move nope --to "image:$D"
expect_err "vm move: no such vm says so" "no such vm"
expect_exit 2 "vm move: to its own store" -- PS vm move web --to "image:$S"
expect_err "vm move: own store" "that is the store it is in"
expect_exit 2 "vm move: a VM target (#VM)" -- PS vm move web --to "image:$D#x"
expect_exit 2 "vm move: no --to" -- PS vm move web
PD vm create web >/dev/null 2>&1
expect_exit 4 "vm move: a same-named vm at the destination" -- PS vm move web --to "image:$D"
expect_err "vm move: same name says so" "already has a vm of that name"
fresh
PD serial map db 1 --concentrator 7101 >/dev/null 2>&1
sum_d=$(hash_of "$D")
expect_exit 4 "vm move: the concentrator port taken at the destination" -- \
    PS vm move web --to "image:$D"
expect_err "vm move: port refusal names the port and both holders" \
    "image:$D: concentrator port 7101 mapped by both"
expect_err "vm move: port refusal: nothing changed" "nothing changed"
[ "$(hash_of "$S")" = "$sum_s" ] && [ "$(hash_of "$D")" = "$sum_d" ] &&
    pass "vm move: refused: neither store written" ||
    fail "vm move: a refused move wrote a store"
fresh
PD vm set db --uuid "$uuid" >/dev/null 2>&1
expect_exit 4 "vm move: the UUID held at the destination" -- PS vm move web --to "image:$D"
expect_err "vm move: UUID refusal names it" "$uuid"
fresh
PD nic add db eth0 --mac 52:54:00:aa:00:01 >/dev/null 2>&1
expect_exit 4 "vm move: a MAC held at the destination" -- PS vm move web --to "image:$D"
expect_err "vm move: MAC refusal names it" "52:54:00:aa:00:01"
fresh
PD net delete lan >/dev/null 2>&1
sum_d=$(hash_of "$D")
expect_exit 4 "vm move: the NIC's network missing at the destination" -- \
    PS vm move web --to "image:$D"
expect_err "vm move: network refusal names it" "lan"
# S as made (web at home), D as before the move (no web): byte for byte.
[ "$(hash_of "$S")" = "$sum_s0" ] && [ "$(hash_of "$D")" = "$sum_d" ] &&
    pass "vm move: refused: the VM at home in the source only" ||
    fail "vm move: refused: source $(where PS web), destination $(where PD web)"

# ---- success, text and JSON
fresh
expect_exit 0 "vm move: --dry-run" -- PS vm move web --to "image:$D" --dry-run
grep -q "copy it, arriving, to image:$D" "$WORK/out" &&
    [ "$(hash_of "$S")" = "$sum_s0" ] && [ "$(hash_of "$D")" = "$sum_d0" ] &&
    pass "vm move: --dry-run plans the steps, writes nothing" ||
    fail "vm move: --dry-run: $(cat "$WORK/out")"
expect_exit 0 "vm move: web to the destination" -- "$PSCTL" -i "$S" vm move web --to "image:$D"
grep -q "vm 'web' moved to image:$D" "$WORK/out" &&
    grep -q "concentrator ports kept: 7101" "$WORK/out" &&
    pass "vm move: says where and the ports kept" ||
    fail "vm move: output: $(cat "$WORK/out")"
[ "$(where PS web)" = absent ] && [ "$(where PD web)" = home ] &&
    pass "vm move: gone from the source, at home in the destination" ||
    fail "vm move: source $(where PS web), destination $(where PD web)"
# $WORK/w.out: the destination's `vm show web` from the where above.
[ "$(sed -n 's/^uuid *//p' "$WORK/w.out")" = "$uuid" ] &&
    PD serial mappings web | grep -q "^web  *0  *7101 .* web" &&
    grep -q "52:54:00:aa:00:01" "$WORK/w.out" &&
    grep -q "^restart-limit *3" "$WORK/w.out" &&
    pass "vm move: UUID, serial mapping (port 7101, host name), MAC, restart policy arrived" ||
    fail "vm move: the object changed: $(head -20 "$WORK/w.out")"
expect_exit 0 "vm move: the destination checks clean" -- PD check
expect_exit 0 "vm move: the source checks clean" -- PS check
expect_exit 0 "vm move: again: nothing to do" -- "$PSCTL" -i "$S" vm move web --to "image:$D"
grep -q "is at image:$D already; nothing written" "$WORK/out" &&
    pass "vm move: again says so" || fail "vm move: again: $(cat "$WORK/out")"
expect_exit 0 "vm move: back, --json" -- PD vm move web --to "image:$S" --json
# One python for both checks (its start costs a second under load): the
# members (exit 3 when wrong or missing), then json_schema.py's
# validation (exit 1; 3: not reached).
out=$(python3 -c 'import json,sys
try:
    d=json.load(open(sys.argv[2]))["item"]
    assert d["vm"]=="web" and d["to"]=="image:"+sys.argv[3], d
    assert d["concentrator-ports"]==[7101] and d["resumed-at"] is None, d
except Exception as e:
    print(repr(e)); sys.exit(3)
sys.path.insert(0, sys.argv[1] + "/tests/e2e")
import json_schema
sys.exit(json_schema.main(["", sys.argv[1] + "/docs/psctl-output.schema.json", sys.argv[2]]))' \
    "$ROOT" "$WORK/out" "$S" 2>&1)
rc=$?
[ $rc = 3 ] && fail "vm move: --json: $(cat "$WORK/out"); $out" ||
    pass "vm move: --json names the vm, the target and the ports"
[ $rc = 0 ] && pass "vm move: --json valid against the schema" ||
    fail "vm move: schema (exit $rc): $out"

# ---- killed after each step, then run again
for step in validate mark apply release; do
    fresh
    PSCTL_TEST_CRASH_AT=$step PS vm move web --to "image:$D" >/dev/null 2>&1
    rc=$?
    s=$(where PS web) d=$(where PD web)
    case $step in
        validate) want="home absent" ;;
        mark) want="leaving absent" ;;
        apply) want="leaving arriving" ;;
        release) want="absent arriving" ;;
    esac
    [ "$rc" = 99 ] && [ "$s $d" = "$want" ] &&
        pass "vm move: killed after $step: source $s, destination $d" ||
        fail "vm move: killed after $step: exit $rc, source $s, destination $d (want $want)"
    if [ "$step" = release ]; then
        # $WORK/w.out: the destination's `vm show web` from where PD.
        grep -q "^move-source *image:$S" "$WORK/w.out" &&
            pass "vm move: killed after release: the destination's record names the source" ||
            fail "vm move: record: $(cat "$WORK/w.out")"
    fi
    if [ "$step" = mark ]; then
        cp "$WORK/vd0.img" "$WORK/other.img" # a third store (its content plays no part)
        expect_exit 4 "vm move: killed after mark: a move elsewhere refused" -- \
            PS vm move web --to "image:$WORK/other.img"
        expect_err "vm move: killed after mark: names the move to finish" "leaving (a move not finished) for 'image:$D'"
    fi
    expect_exit 0 "vm move: after $step, run again" -- "$PSCTL" -i "$S" vm move web --to "image:$D"
    [ "$step" = validate ] || grep -q "interrupted move finished" "$WORK/out" ||
        fail "vm move: resumed after $step: $(cat "$WORK/out")"
    [ "$(where PS web)" = absent ] && [ "$(where PD web)" = home ] &&
        [ "$(sed -n 's/^uuid *//p' "$WORK/w.out")" = "$uuid" ] &&
        pass "vm move: after $step: finished, at home in the destination only" ||
        fail "vm move: after $step: source $(where PS web), destination $(where PD web)"
done
