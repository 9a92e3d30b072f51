#!/bin/sh
# Soak, the profile pool (issue 19's proof, docs/pool.md "Tests"): 8 psctl
# processes doing 1,000 random assigns, moves and failovers (8 x 125) over
# 200 targets (20 hosts x 10 VMs) and 120 profiles on a three-node etcd
# cluster (tests/e2e/etcd_cluster.sh); then every acknowledged move is
# present, no identifier is live twice on any target store, and
# `pool check` agrees (tests/e2e/pool_stress.sh).  Environment: PSCTL
# (make soak: the optimised build), POOL_SOAK_OPS (per process, 125).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PSCTL=${PSCTL:-$ROOT/build/opt/psctl}
export PSCTL
WORK=$(mktemp -d)
PSTATE_SEM_MODE=flock PSTATE_LOCK_DIR=$WORK PSTATE_POOL_TIMEOUT_MS=5000
export PSTATE_SEM_MODE PSTATE_LOCK_DIR PSTATE_POOL_TIMEOUT_MS
URL=$("$ROOT/tests/e2e/etcd_cluster.sh" start "$WORK/etcd") || exit 1
trap '"$ROOT/tests/e2e/etcd_cluster.sh" stop "$WORK/etcd"; rm -rf "$WORK"' EXIT INT TERM
echo "soak pool: work in $WORK"
"$ROOT/tests/e2e/pool_stress.sh" "$URL" "$WORK/s" 8 "${POOL_SOAK_OPS:-125}" 20 10 120
