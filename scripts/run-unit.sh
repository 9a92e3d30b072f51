#!/usr/bin/env bash
# Run the cmocka unit-test binaries given as arguments (make unit does).
#
#   scripts/run-unit.sh build/san/tests/unit/test_core build/san/tests/unit/...
#
# UNIT_JOBS binaries run at once (default: the number of CPUs; most are
# one single-threaded process), each one's output (cmocka's, stdout and
# stderr together) shown whole when it ends.  The test counts come from
# cmocka's summary lines
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
dir=$(mktemp -d "${TMPDIR:-/tmp}/run-unit.XXXXXX")
trap 'rm -rf "$dir"' EXIT

# run_one BIN LOG: BIN's output in LOG, its exit status in LOG.rc; LOG
# shown whole once BIN ended.
run_one() {
    "$1" > "$2" 2>&1
    echo $? > "$2.rc"
    flock "$dir" sh -c 'echo "== $1"; cat "$2"' sh "$1" "$2"
}
i=0
for bin in "$@"; do
    i=$((i + 1))
    [ -x "$bin" ] || continue
    while [ "$(jobs -rp | wc -l)" -ge "${UNIT_JOBS:-$(nproc)}" ]; do wait -n; done
    run_one "$bin" "$dir/$i" &
done
wait

i=0
for bin in "$@"; do
    i=$((i + 1))
    if [ ! -x "$bin" ]; then
        echo "run-unit: $bin: not an executable" >&2
        failed=$((failed + 1))
        bad_bins="$bad_bins $bin"
        continue
    fi
    log=$dir/$i
    rc=$(cat "$log.rc")
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
