# End-to-end, short: the console benchmark's 1000-port part on pscon
# (bench/bench_console.c --smoke): 1000 ports served by one pscon, each
# given a 16 KiB boot log by a guest, the service under 100 MB RSS
# (issue 15's aim; the backlog rings take memory as output fills them).
# `make bench-console` runs the whole comparison with conserver.
# Environment: PSCON, BENCH_CONSOLE (make e2e sets them).
echo "== pscon: 1000 ports under 100 MB (bench_console --smoke)"
: "${PSCON:?set PSCON to the pscon binary}"
: "${BENCH_CONSOLE:?set BENCH_CONSOLE to bench_console}"

if TMPDIR=$WORK timeout -s KILL 120 "$BENCH_CONSOLE" --smoke "$PSCON" "$PSCTL" \
    > "$WORK/smoke.out" 2>&1; then
    grep -q 'under 100 MB RSS *met' "$WORK/smoke.out" &&
        pass "pscon: 1000 ports with a 16 KiB boot log each: $(grep -o 'RSS [0-9.]* MB' "$WORK/smoke.out")" ||
        fail "pscon: smoke run printed no verdict: $(cat "$WORK/smoke.out")"
else
    fail "pscon: 1000 ports not under 100 MB (or the run failed): $(cat "$WORK/smoke.out")"
fi
