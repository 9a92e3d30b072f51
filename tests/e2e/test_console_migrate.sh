# e2e: alone
# A VM's console across a live migration's handover (issue 16, seed 002;
# docs/console.md "Live migration"): pscon-test mig plays the source's and
# the destination's QEMU, the hvagents and a typing user against a real
# pscon, on libvirt's timeline (begin, source paused, destination resumed,
# source gone), for a good migration, an aborted one, a wrong token, the
# destination's hvagent down throughout (no begin: the source's pause
# begins), each side (hvagent, source, destination) killed right after
# each step, and pscon itself restarted right after BEGIN and after
# PAUSED (SIGUSR2, and SIGKILL of its worker under pscon --hold): the
# migration goes on in the new process.
# A psctl console viewer attached throughout and the port's log must hold
# every counter line exactly once, in order; the typed input must reach
# the guest once, in order (a prefix of it when the VM itself died).
# Timing-sensitive (2 ms counters, 50 ms steps): runs alone.
# Environment: PSCON, PSCON_TEST (make e2e sets them).
echo "== pscon: a live migration's console handover"
. "$ROOT/tests/e2e/console_lib.sh"

SCEN="ok abort badtoken nobegin kill-hvagent-begin kill-hvagent-paused
kill-hvagent-resumed kill-source-begin kill-source-paused kill-source-resumed
kill-dest-begin kill-dest-paused kill-dest-resumed kill-both-begin
restart-usr2-begin restart-kill-begin restart-usr2-paused restart-kill-paused"
N=$(echo $SCEN | wc -w)
# (a VM has at most 16 serial ports: the restart scenarios' on a second)
L init >/dev/null 2>&1 && L vm create mig >/dev/null 2>&1 &&
    L serial allocate mig 14 --first 7101 >/dev/null 2>&1 &&
    L vm create mig2 >/dev/null 2>&1 &&
    L serial allocate mig2 $((N - 14)) --first 7115 >/dev/null 2>&1 ||
    fail "migrate: preparing the image"
mkdir -m 700 "$WORK/run"
setsid "$PSCON" --hold --run-dir "$WORK/run" --socket "$S" --log-dir "$WORK/logs" \
    --store "$IMG" 2> "$WORK/svc.log" & PIDS="$PIDS $!"
file_has "$WORK/svc.log" "serving" 10 && pass "migrate: pscon serving" ||
    fail "migrate: not serving: $(cat "$WORK/svc.log")"

# counters FILE: the counter numbers of FILE's counter lines, one a line.
counters() { sed -n 's/^.*counter \([0-9]*\) .*$/\1/p' "$1"; }
# is_prefix A B: file A is the start of file B.
is_prefix() { [ "$(head -c "$(wc -c < "$1")" "$2" | cmp - "$1" 2>&1)" = "" ]; }

conc=7101
for sc in $SCEN; do
    d=$WORK/$sc; mkdir "$d"
    "$PSCTL" console --socket "$S" "$conc" < /dev/null > "$d/view" 2> "$d/view.err" &
    VIEW=$!; PIDS="$PIDS $VIEW"
    file_has "$d/view.err" "attached rw" 5 || fail "migrate $sc: viewer: $(cat "$d/view.err")"
    PSCON_MIG_PID=$(worker) "$PSCON_TEST" mig "$S" "$WORK/run/port-$conc" "$conc" "$sc" "$d/sent" \
        "$d/in" "$d/typed" > "$d/replies" 2>&1
    # The viewer catches up (after a restart it reconnects first).
    i=0; while [ $i -lt 100 ] && ! cmp -s "$d/sent" "$d/view"; do sleep 0.1; i=$((i + 1)); done
    kill "$VIEW" 2>/dev/null; wait "$VIEW" 2>/dev/null
    sent=$(grep -c '^counter' "$d/sent")
    if cmp -s "$d/sent" "$d/view"; then
        pass "migrate $sc: the viewer saw all $sent counter lines once, in order"
    else
        fail "migrate $sc: viewer differs from what the guest wrote: $(cmp "$d/sent" "$d/view" 2>&1) ($sent sent, $(grep -c '^counter' "$d/view") seen)"
    fi
    log=$(ls "$WORK/logs"/*"$conc"*.log 2>/dev/null | head -n 1)
    sed 's/^\[[^]]*\] //' "$log" > "$d/log"
    cmp -s "$d/sent" "$d/log" && pass "migrate $sc: the port's log holds them once, in order" ||
        fail "migrate $sc: log differs: $(cmp "$d/sent" "$d/log" 2>&1)"
    case $sc in
    nobegin)   # written to the source before its pause was known: lost
        # with it, and only those (the bytes it left unread).
        miss=$(awk 'NR == FNR { t++; next } { n = substr($0, 4) + 0
                    if (n <= last && FNR > 1) { print "out of order"; exit 1 } last = n; r++ }
                    END { print t - r }' "$d/typed" "$d/in")
        unread=$(sed -n 's/^source-unread //p' "$d/replies")
        [ "$miss" -ge 0 ] 2>/dev/null &&
            [ $(( $(wc -c < "$d/typed") - $(wc -c < "$d/in") )) = "${unread:-x}" ] &&
            pass "migrate $sc: typed lines reached the guest once, in order, but the $miss the paused source left unread" ||
            fail "migrate $sc: input: $miss lines missing, the source left ${unread:-?} bytes unread" ;;
    kill-source-begin|kill-dest-resumed|kill-both-begin)   # the VM died
        is_prefix "$d/in" "$d/typed" && pass "migrate $sc: input read once, in order, up to the VM's death ($(wc -c < "$d/in") of $(wc -c < "$d/typed") bytes)" ||
            fail "migrate $sc: input is no prefix of what was typed" ;;
    *)  cmp -s "$d/typed" "$d/in" && pass "migrate $sc: all $(wc -c < "$d/typed") typed bytes reached the guest once, in order" ||
            fail "migrate $sc: input: $(cmp "$d/typed" "$d/in" 2>&1) ($(wc -c < "$d/typed") typed, $(wc -c < "$d/in") read)" ;;
    esac
    conc=$((conc + 1))
done

# What each step answered, and what the service logged.
grep -q "resumed-badtoken error 11 not this migration's token" "$WORK/badtoken/replies" &&
    grep -q "^resumed ok" "$WORK/badtoken/replies" &&
    pass "migrate: a wrong token cannot claim the port (error token), the right one can" ||
    fail "migrate: badtoken: $(cat "$WORK/badtoken/replies")"
for sc in ok kill-hvagent-resumed; do
    grep -q "^begin ok" "$WORK/$sc/replies" && grep -q "^paused ok" "$WORK/$sc/replies" &&
        grep -q "^resumed ok" "$WORK/$sc/replies" && pass "migrate $sc: begin, paused, resumed answered ok" ||
        fail "migrate $sc: $(cat "$WORK/$sc/replies")"
done
has_log() { grep -q -- "$2" "$WORK/svc.log" && pass "migrate: $1" || fail "migrate: $1: no '$2'"; }
has_log "the destination attached, queued input delivered, then the source released" \
    "destination attached at output offset [0-9]* (resumed), [0-9]* bytes of queued input delivered, source released"
has_log "hvagent dead: the source's exit hands the port to the destination" \
    "destination attached at output offset [0-9]* (the source's connection closed)"
grep -q "^paused ok" "$WORK/nobegin/replies" && ! grep -q "^begin" "$WORK/nobegin/replies" &&
    pass "migrate nobegin: the source's pause alone begins the handover" ||
    fail "migrate nobegin: $(cat "$WORK/nobegin/replies")"
has_log "the destination dead: back to the source" \
    "migration aborted (the destination's connection closed): back to the source"
has_log "an abort returns to the source" "migration aborted (asked): back to the source"
grep -q "^abort-source error 1 no migration" "$WORK/kill-dest-paused/replies" &&
    pass "migrate: the source's late abort after the automatic one is refused, harmless" ||
    fail "migrate: kill-dest-paused: $(cat "$WORK/kill-dest-paused/replies")"
for sc in restart-usr2-begin restart-kill-begin restart-usr2-paused restart-kill-paused; do
    grep -q "^begin ok" "$WORK/$sc/replies" && grep -q "^paused ok" "$WORK/$sc/replies" &&
        grep -q "^resumed ok" "$WORK/$sc/replies" &&
        pass "migrate $sc: the hvagents' steps answered ok across the restart (the token kept)" ||
        fail "migrate $sc: $(cat "$WORK/$sc/replies")"
done
[ "$(grep -c 'a migration (begun) kept across the restart; its destination held' "$WORK/svc.log")" = 2 ] &&
    [ "$(grep -c 'a migration (begun, source paused) kept across the restart; its destination held' "$WORK/svc.log")" = 2 ] &&
    pass "migrate: each restart (after begin, after paused; SIGUSR2, SIGKILL) kept the migration and its held destination" ||
    fail "migrate: restarts: $(grep 'kept across\|restart' "$WORK/svc.log")"
grep -q "runtime error\|AddressSanitizer" "$WORK/svc.log" &&
    fail "migrate: sanitizer: $(grep -m3 'runtime error\|Sanitizer' "$WORK/svc.log")" ||
    pass "migrate: no sanitizer report from pscon"
