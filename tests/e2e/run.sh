#!/bin/sh
# End-to-end tests: run the real programs on real files.  Runs every
# tests/e2e/test_*.sh with the helpers below; each test script calls
# `pass`/`fail`.  Prints `e2e: N passed, M failed` and fails if M > 0.
# Environment: PSFTOOL = the psftool binary to test, PSCTL = the psctl
# binary to test; E2E_ONLY = a shell pattern of test names to run (e.g.
# 'test_psctl_*'), all of them when unset; E2E_JOBS = how many tests run
# at once (default: the number of CPUs).  Most tests wait on programs
# (QEMU, libvirt, ipmi_sim, etcd) more than they compute, so running them
# side by side saves wall time; each test has its own $WORK, free ports
# and private daemons, and its output is printed whole when it ends.  A
# test whose script holds the line `# e2e: alone` (it measures response
# times or lease expiry that a busy neighbour would distort) runs after
# the others, with nothing beside it.
set -u
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)

# run.sh --one TEST: run one test script (called by the pool below).
if [ "${1:-}" = --one ]; then
    t=$2 name=$(basename "$2" .sh)
    WORK=$(mktemp -d)
    export WORK
    start=$(date +%s)
    ( . "$E2E_DIR/lib.sh"; . "$t" ) > "$E2E_LOGS/$name.log" 2>&1 </dev/null
    echo "  ($name: $(( $(date +%s) - start )) s)" >> "$E2E_LOGS/$name.log"
    rm -rf "$WORK"
    flock "$E2E_LOGS/.out" cat "$E2E_LOGS/$name.log"
    exit 0
fi

: "${PSFTOOL:?set PSFTOOL to the psftool binary}"
: "${PSCTL:?set PSCTL to the psctl binary}"
case $PSFTOOL in /*) ;; *) PSFTOOL=$ROOT/$PSFTOOL ;; esac
case $PSCTL in /*) ;; *) PSCTL=$ROOT/$PSCTL ;; esac
RESULTS=$(mktemp)
E2E_LOGS=$(mktemp -d)
export PSFTOOL PSCTL ROOT RESULTS E2E_LOGS
trap 'rm -rf "$RESULTS" "$E2E_LOGS"' EXIT

set -- "$E2E_DIR"/${E2E_ONLY:-test_*}.sh
[ -f "$1" ] || { echo "e2e: no test matches ${E2E_ONLY:-}" >&2; exit 2; }
alone=$(grep -lx '# e2e: alone' "$@")
for t in "$@"; do
    case " $(echo $alone) " in *" $t "*) ;; *) echo "$t" ;; esac
done | xargs -r -P "${E2E_JOBS:-$(nproc)}" -n 1 "$E2E_DIR/run.sh" --one
for t in $alone; do "$E2E_DIR/run.sh" --one "$t"; done

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
