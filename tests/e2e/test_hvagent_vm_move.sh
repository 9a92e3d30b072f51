# hvagent finishes, at its start, a VM move toward its store that was cut
# (docs/hvagent.md "Live migration: the store object"; pstate/ps_move.h):
# a psctl vm move from a peer store (migration_peers) killed after mark
# (the peer's VM leaving for this store) and after apply (arriving here)
# is finished by `hvagent --once`: the VM at home in the agent's store
# with its serial mapping on the same concentrator port, gone from the
# peer, and defined in libvirt.  A peer that cannot be opened is logged
# and skipped.  libvirt's embedded QEMU driver, no daemon.
echo "hvagent: a cut VM move toward its store, finished at start"
: "${HVAGENT:?set HVAGENT to the hvagent binary}"
case $HVAGENT in /*) ;; *) HVAGENT=$ROOT/$HVAGENT ;; esac
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR

hv_embed_conf
PEER=$WORK/peer.img
echo "migration_peers = image:$WORK/missing.img image:$PEER" >> "$CONF"
PP() { "$PSCTL" -q -i "$PEER" "$@"; }
PH() { "$PSCTL" -q -i "$IMG" "$@"; }
PP init --size 8M && PH init --size 8M || fail "hvagent vm move: init"
# One psctl shell (exit non-zero when a line failed) for the peer's VMs.
printf '%s\n' 'vm create web01 --memory 128MiB' \
    'serial map web01 0 --concentrator 7201 --hostname web01' \
    'vm create web02 --memory 128MiB' \
    'serial map web02 0 --concentrator 7202 --hostname web02' | PP shell ||
    fail "hvagent vm move: the peer's VMs"
# web01 cut after mark (leaving the peer), web02 after apply (arriving).
PSCTL_TEST_CRASH_AT=mark PP vm move web01 --to "image:$IMG" 2>/dev/null
PSCTL_TEST_CRASH_AT=apply PP vm move web02 --to "image:$IMG" 2>/dev/null
PP vm show web01 | grep -q "^move-target *image:$IMG" &&
    PH vm show web02 | grep -q "^move-source *image:$PEER" &&
    pass "hvagent vm move: two moves cut (after mark, after apply)" ||
    fail "hvagent vm move: the cut moves: $(PP vm show web01 2>&1 | grep move; PH vm show web02 2>&1 | grep move)"

expect_exit 0 "hvagent vm move: hvagent --once" -- "$HVAGENT" -c "$CONF" -i "$IMG" --once
for v in web01 web02; do
    grep -q "vm '$v': a move from image:$PEER was cut; finishing it" "$WORK/err" &&
        grep -q "vm '$v': its store object moved here from image:$PEER (an interrupted move finished)" "$WORK/err" &&
        pass "hvagent vm move: $v: logged, finished" ||
        fail "hvagent vm move: $v: log: $(grep "$v" "$WORK/err" | head -5)"
done
grep -q "migration peer image:$WORK/missing.img: .*cannot open" "$WORK/err" &&
    pass "hvagent vm move: a peer that cannot be opened is logged and skipped" ||
    fail "hvagent vm move: missing peer: $(grep -i peer "$WORK/err")"
ok=1
for v in web01 web02; do
    PH vm show "$v" > "$WORK/show" 2>&1 && ! grep -q "^move-" "$WORK/show" || ok=0
done
# vm list names every VM object, leaving and arriving ones too.
PP vm list > "$WORK/list" 2>&1 && ! grep -q "^web0[12] " "$WORK/list" || ok=0
[ "$(PH serial mappings | awk '$1 ~ /^web0[12]$/ { print $3 }' | sort | tr '\n' ' ')" = "7201 7202 " ] || ok=0
[ $ok = 1 ] && pass "hvagent vm move: both at home in the agent's store (ports 7201, 7202), gone from the peer" ||
    fail "hvagent vm move: agent's store: $(PH serial mappings 2>&1); peer: $(PP vm list 2>&1)"
virsh -c "$U" list --all --name > "$WORK/doms" 2>&1
grep -qx web01 "$WORK/doms" && grep -qx web02 "$WORK/doms" &&
    pass "hvagent vm move: the moved VMs are defined in libvirt by the same pass" ||
    fail "hvagent vm move: libvirt: $(cat "$WORK/doms")"
expect_exit 0 "hvagent vm move: a second run has nothing to finish" -- \
    "$HVAGENT" -c "$CONF" -i "$IMG" --once
grep -q "was cut" "$WORK/err" && fail "hvagent vm move: a second run finished a move again" ||
    pass "hvagent vm move: the second run finds no cut move"
