# BIOS setup power cut (docs/setup.md "Saving"): QEMU is killed at a
# random moment of a save (SIGKILL 0-50 ms after the Enter of the save;
# the commit takes about 30 ms under TCG); the key then opens at the old
# generation or the new one, whole, and psctl check passes.  SETUP_CUTS
# runs (default 2; `make soak` runs SETUP_SOAK_CUTS, default 40).
echo "setup power cut"
. "$ROOT/tests/e2e/setup_lib.sh"
if setup_ready && make_key "$WORK/key.img" web1; then
    i=0 old=0 new=0
    while [ "$i" -lt "${SETUP_CUTS:-2}" ]; do
        i=$((i + 1))
        gen=$("$PSCTL_KEY" -i "$WORK/key.img" info 2>/dev/null | awk '$1 == "generation" { print $2 }')
        mem=$((i + 1))G
        ms=$(awk -v s="$i$$" 'BEGIN { srand(s); print 20 + int(rand() * 51) }')
        {
            steps_open 1
            steps_set "memory=$mem"
            steps_back
            printf 'kill-after-ms %s\nsend s\nwait-exit\n' "$ms"
        } > "$WORK/s.txt"
        if ! setup_run "$WORK/s.txt" "$WORK/key.img"; then
            fail "setup cut $i: the run did not reach the save: $(tail -c 600 "$WORK/drive.err")"
            continue
        fi
        "$PSCTL_KEY" -i "$WORK/key.img" check >/dev/null 2>&1 ||
            { fail "setup cut $i (${ms} ms): psctl check fails"; continue; }
        now=$("$PSCTL_KEY" -i "$WORK/key.img" info 2>/dev/null | awk '$1 == "generation" { print $2 }')
        m=$("$PSCTL_KEY" -i "$WORK/key.img" vm show web1 2>/dev/null | awk '$1 == "memory" { print $2 }')
        if [ "$now" = "$gen" ] && [ "$m" != "${mem}iB" ]; then
            old=$((old + 1)); pass "setup cut $i (${ms} ms): old generation $gen, whole"
        elif [ "$now" = $((gen + 1)) ] && [ "$m" = "${mem}iB" ]; then
            new=$((new + 1)); pass "setup cut $i (${ms} ms): new generation $now with memory $m"
        else
            fail "setup cut $i (${ms} ms): generation $gen -> $now, memory $m (set ${mem})"
        fi
    done
    echo "  setup power cuts: $old at the old generation, $new at the new"
else
    fail "setup: preparing the keys (setup_ready, psctl init/vm create)"
fi
