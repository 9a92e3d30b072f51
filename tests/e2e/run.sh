#!/bin/sh
# End-to-end tests: run the real programs on real files.  Runs every
# tests/e2e/test_*.sh with the helpers below; each test script calls
# `pass`/`fail`.  Prints `e2e: N passed, M failed` and fails if M > 0.
# Environment: PSFTOOL = the psftool binary to test, PSCTL = the psctl
# binary to test.
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

for t in "$E2E_DIR"/test_*.sh; do
    WORK=$(mktemp -d)
    export WORK
    ( . "$E2E_DIR/lib.sh"; . "$t" )
    rm -rf "$WORK"
done

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
