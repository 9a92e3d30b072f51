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
# Longest first: tests/e2e/times holds each test's seconds from a full
# run (a test not in it counts as longest), so that no long test starts
# last while the other jobs idle.  Each run writes its own figures to
# build/e2e-times (the same form: `cp build/e2e-times tests/e2e/times`
# after a full run refreshes the order) and ends with the longest tests
# and the time of each part.
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
# The tests' python3 is the system's, the one scripts/install-deps.sh
# installs with the modules they import: a python3 found earlier in PATH
# may be a wrapper that costs a shell script or more per call (hundreds of
# calls here), or lack those modules.
if [ -x /usr/bin/python3 ]; then
    mkdir "$E2E_LOGS/bin" && ln -s /usr/bin/python3 "$E2E_LOGS/bin/python3" &&
        PATH=$E2E_LOGS/bin:$PATH
fi
trap 'rm -rf "$RESULTS" "$E2E_LOGS"' EXIT

set -- "$E2E_DIR"/${E2E_ONLY:-test_*}.sh
[ -f "$1" ] || { echo "e2e: no test matches ${E2E_ONLY:-}" >&2; exit 2; }
alone=$(grep -lx '# e2e: alone' "$@")

# longest_first: test paths on stdin, those of tests/e2e/times by their
# seconds there, longest first, after the ones it does not name.
longest_first() {
    awk -v times="$E2E_DIR/times" '
        BEGIN { while ((getline l < times) > 0) { split(l, f, " "); s[f[1]] = f[2] } }
        { n = $0; sub(/.*\//, "", n); sub(/\.sh$/, "", n)
          print (n in s ? s[n] : 1e9), $0 }' |
        sort -s -k1,1nr | cut -d' ' -f2-
}

jobs=${E2E_JOBS:-$(nproc)}
t0=$(date +%s)
for t in "$@"; do
    case " $(echo $alone) " in *" $t "*) ;; *) echo "$t" ;; esac
done | longest_first | xargs -r -P "$jobs" -n 1 "$E2E_DIR/run.sh" --one
t1=$(date +%s)
for t in $(printf '%s\n' $alone | longest_first); do "$E2E_DIR/run.sh" --one "$t"; done
t2=$(date +%s)

# Each test's seconds, from the line --one added to its log.
sed -n 's/^  (\(test_[^:]*\): \([0-9]*\) s)$/\1 \2/p' "$E2E_LOGS"/*.log 2>/dev/null |
    sort -k2,2nr -k1,1 > "$E2E_LOGS/times"
mkdir -p "$ROOT/build" && cp "$E2E_LOGS/times" "$ROOT/build/e2e-times"
echo "e2e: longest: $(head -n 10 "$E2E_LOGS/times" | sed 's/ \(.*\)/ \1 s/' |
    paste -sd, - | sed 's/,/, /g')"
echo "e2e: $((t2 - t0)) s: $((t1 - t0)) s side by side ($jobs jobs)," \
    "$((t2 - t1)) s for the $(echo $alone | wc -w) alone"
passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
