#!/bin/sh
# Run each libFuzzer binary for FUZZ_TIME seconds (default 60), seeded with
# the golden vectors and the example text stores.  Fails on any crash.
# Usage: FUZZ_TIME=N scripts/run-fuzz.sh build/fuzz/fuzz_*
set -eu
FUZZ_TIME=${FUZZ_TIME:-60}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for bin in "$@"; do
    case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
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
    printf 'fuzz: %s for %ss ... ' "$name" "$FUZZ_TIME"
    if (cd "$root/build/fuzz" && "$bin" -max_total_time="$FUZZ_TIME" \
            -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
            "$corpus") >"$log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "ok, ${runs:-?} runs"
    else
        echo "FAILED (log: $log)"
        tail -40 "$log"
        status=1
    fi
done
exit $status
