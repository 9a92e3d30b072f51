#!/bin/sh
# End-to-end tests: run the real programs on real files.  Runs every
# tests/e2e/test_*.sh with the helpers below; each test script calls
# `pass`/`fail`.  Prints `e2e: N passed, M failed` and fails if M > 0.
# Environment: PSFTOOL = the psftool binary to test, PSCTL = the psctl
# binary to test; E2E_ONLY = a shell pattern of test names to run (e.g.
# 'test_psctl_*'), all of them when unset.
set -u
E2E_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
: "${PSFTOOL:?set PSFTOOL to the psftool binary}"
: "${PSCTL:?set PSCTL to the psctl binary}"
case $PSFTOOL in /*) ;; *) PSFTOOL=$ROOT/$PSFTOOL ;; esac
case $PSCTL in /*) ;; *) PSCTL=$ROOT/$PSCTL ;; esac
export PSFTOOL PSCTL ROOT
RESULTS=$(mktemp)
export RESULTS
trap 'rm -f "$RESULTS"' EXIT

for t in "$E2E_DIR"/${E2E_ONLY:-test_*}.sh; do
    [ -f "$t" ] || { echo "e2e: no test matches ${E2E_ONLY:-}" >&2; exit 2; }
    WORK=$(mktemp -d)
    export WORK
    ( . "$E2E_DIR/lib.sh"; . "$t" )
    rm -rf "$WORK"
done

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
