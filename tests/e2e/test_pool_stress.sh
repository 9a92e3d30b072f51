# The pool's concurrency test, short (tests/e2e/pool_stress.sh; the
# issue's 8 x 125 = 1,000 ops over 200 targets run in `make soak`): 8
# psctl processes doing random assigns, moves and failovers over 40
# targets (4 hosts x 10 VMs) and 24 profiles on a three-node etcd
# cluster; then every acknowledged move is present unless a later
# acknowledged or completed operation superseded it (the moves the
# cleanup finishes count), no UUID or MAC is live on two VMs of any host
# store, and `pool check` agrees.
echo "== pool stress: 8 processes, random assigns, moves, failovers on etcd"
# The verdict's own cases first (made-up runs: an unacknowledged failover
# the cleanup finished, overlapping acknowledgements, a refusal, ...).
if python3 "$ROOT/tests/e2e/pool_stress.py" selftest > "$WORK/selftest.out" 2>&1; then
    pass "$(tail -1 "$WORK/selftest.out")"
else
    fail "pool stress checker:"; cat "$WORK/selftest.out"
fi
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK
export PSTATE_SEM_MODE PSTATE_LOCK_DIR
etcd_pool "pool stress" || return 0
export PSTATE_POOL_TIMEOUT_MS=4000
if "$ROOT/tests/e2e/pool_stress.sh" "$URL" "$WORK/s" 8 ${POOL_STRESS_OPS:-6} 4 10 24 > "$WORK/stress.out" 2>&1; then
    pass "$(grep 'acknowledged' "$WORK/stress.out")"
else
    fail "pool stress:"; cat "$WORK/stress.out"
fi
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
