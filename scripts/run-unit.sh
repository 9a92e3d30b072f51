#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments (make unit does).
#
#   scripts/run-unit.sh build/san/tests/unit/test_core build/san/tests/unit/...
#
# Each binary's output (cmocka's, stdout and stderr together) is shown as it
# runs.  The test counts come from cmocka's summary lines
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed below:";
# a binary that exits non-zero without reporting a failed test (a crash, a
# sanitizer abort, a leak report at exit) counts as one failed test.  Every
# binary runs; the last line is
#
#   unit: N passed, M failed
#
# and the exit status is non-zero when anything failed.  Run from the
# repository root (test_vectors reads tests/vectors unless PSF_VECTORS says
# otherwise).
set -u

root=$(cd "$(dirname "$0")/.." && pwd)
export PSF_VECTORS="${PSF_VECTORS:-$root/tests/vectors}"
export CMOCKA_MESSAGE_OUTPUT=STDOUT

if [ "$#" -eq 0 ]; then
    echo "run-unit: no test binaries given" >&2
    echo "unit: 0 passed, 1 failed"
    exit 2
fi

passed=0
failed=0
bad_bins=""
log=$(mktemp "${TMPDIR:-/tmp}/run-unit.XXXXXX")
trap 'rm -f "$log"' EXIT

for bin in "$@"; do
    echo "== $bin"
    if [ ! -x "$bin" ]; then
        echo "run-unit: $bin: not an executable" >&2
        failed=$((failed + 1))
        bad_bins="$bad_bins $bin"
        continue
    fi
    "$bin" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    p=$(sed -n 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\..*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' "$log" | tail -n 1)
    p=${p:-0}
    f=${f:-0}
    if ! grep -q '^\[==========\] .* test(s) run\.' "$log"; then
        # No summary at all: the binary died before the end of its run.
        echo "run-unit: $bin stopped before cmocka's summary (exit $rc)" >&2
        f=$((f + 1))
    elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "run-unit: $bin exited with $rc after its tests passed" >&2
        f=1
    fi
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
        bad_bins="$bad_bins $bin"
    fi
done

if [ -n "$bad_bins" ]; then
    echo "run-unit: failing:$bad_bins"
fi
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$bad_bins" ]
