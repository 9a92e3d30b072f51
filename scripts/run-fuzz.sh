#!/bin/sh
# Run each libFuzzer binary for FUZZ_TIME seconds (default 60), seeded with
# the golden vectors and the example text stores.  Fails on any crash.
# Usage: FUZZ_TIME=N [FUZZ_JOBS=J] scripts/run-fuzz.sh build/fuzz/fuzz_*
# FUZZ_JOBS targets run at once (default: the number of CPUs): each is one
# single-threaded process, so each still gets FUZZ_TIME seconds of a CPU
# while the phase takes 1/FUZZ_JOBS of the time.  A target's line is
# printed when it ends.
set -eu
FUZZ_TIME=${FUZZ_TIME:-60}
root=$(cd "$(dirname "$0")/.." && pwd)

# run-fuzz.sh --one BIN: one target (called by the pool below); prints its
# line, and its log's tail when it failed; exit 1 then.
if [ "${1:-}" = --one ]; then
    bin=$2
    name=$(basename "$bin")
    corpus=$root/build/fuzz/corpus-$name
    mkdir -p "$corpus"
    case $name in
    fuzz_binary) cp "$root"/tests/vectors/*.bin "$corpus"/ 2>/dev/null || true ;;
    fuzz_text)   cp "$root"/docs/examples/*.txt "$root"/tests/e2e/*.txt "$corpus"/ 2>/dev/null || true ;;
    esac
    # Hand-written seeds for a target, where it has some.
    cp "$root"/tests/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null || true
    log=$root/build/fuzz/$name.log
    if (cd "$root/build/fuzz" && "$bin" -max_total_time="$FUZZ_TIME" \
            -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            "$corpus") >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "fuzz: $name for ${FUZZ_TIME}s ... ok, ${runs:-?} runs"
    else
        { echo "fuzz: $name for ${FUZZ_TIME}s ... FAILED (log: $log)"; tail -40 "$log"; } |
            flock "$root/build/fuzz" cat
        exit 1
    fi
    exit 0
fi

mkdir -p "$root/build/fuzz"
status=0
for bin in "$@"; do
    case $bin in /*) echo "$bin" ;; *) echo "$PWD/$bin" ;; esac
done | xargs -r -P "${FUZZ_JOBS:-$(nproc)}" -n 1 "$root/scripts/run-fuzz.sh" --one || status=1
exit $status
