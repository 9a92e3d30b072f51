#!/bin/sh
# bench_pscon_migrate.sh - what a viewer sees of a VM's live migration
# (docs/performance.md, "Live migration"; docs/console.md "Live
# migration"): the real set-up of tests/e2e/console_migrate_lib.sh (two
# libvirt hosts on this machine, their hvagents, pscon, a TCG guest
# printing a counter line every 10 ms), then RUNS round trips (host 1 ->
# host 2 -> host 1, `virsh migrate --live`) and RUNS aborted migrations
# (virsh domjobabort), and RUNS SIGKILLs of host 1's hvagent (down 1 s,
# started again; EVENTS picks the kinds, default "there back abort
# agent"), a line typed every 50 ms throughout.  A second
# viewer's lines are time-stamped as they arrive (pscon-test stamp).  Per
# event: viewer downtime (the largest gap between two counter lines at
# the viewer), bytes of input queued at the concentrator (its log), time
# from the source's pause and from the begin to the destination attached
# (its log), virsh's own time.  At the end: every counter line once, in
# order, at the viewer and in the log, and every typed line once.
# Usage (make bench-pscon-migrate): PSCON=... PSCTL=... PSCON_TEST=...
# HVAGENT=... $0
set -u
: "${PSCON:?}" "${PSCTL:?}" "${PSCON_TEST:?}" "${HVAGENT:?}"
RUNS=${RUNS:-3}
EVENTS=${EVENTS:-there back abort agent}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
E2E_DIR=$ROOT/tests/e2e
WORK=$(mktemp -d)
RESULTS=$WORK/results
export WORK RESULTS
. "$E2E_DIR/lib.sh"
. "$E2E_DIR/console_migrate_lib.sh" > "$WORK/setup.log"
trap 'cleanup; rm -rf "$WORK"' EXIT
trap 'cleanup; rm -rf "$WORK"; exit 1' INT TERM HUP
if grep -q '^FAIL' "$RESULTS"; then
    grep '^FAIL' "$RESULTS"; exit 1
fi
"$PSCTL" console --socket "$PSOCK" web01 --spy < /dev/null 2> /dev/null |
    "$PSCON_TEST" stamp > "$WORK/stamped" & PIDS="$PIDS $!"
sleep 2

# gap_since MARK: the largest gap (ms) between two counter lines that
# arrived after line MARK of the stamped view.
gap_since() {
    tail -n +"$(($1 + 1))" "$WORK/stamped" | tr -d '\r' |
        awk '$2 == "counter" { if (t && $1 - t > m) m = $1 - t; t = $1 } END { print m + 0 }'
}
# event KIND FROM TO: one migration (or an aborted one); prints
# "KIND downtime queued since_pause since_begin virsh_ms".
event() {
    mark=$(wc -l < "$WORK/stamped")
    n0=$(grep -c 'migration begun' "$WORK/pscon.log")
    t0=$(date +%s%N)
    if [ "$1" = abort ]; then
        virsh -c "$2" migrate --live web01 "$3" --migrateuri "tcp://127.0.0.1:$MPORT" \
            --bandwidth 16 > "$WORK/mig.out" 2>&1 & M=$!
        ( i=0; while [ $i -lt 200 ] && [ "$(grep -c 'migration begun' "$WORK/pscon.log")" -le "$n0" ]; do
              sleep 0.05; i=$((i + 1)); done
          sleep 0.5; virsh -c "$2" domjobabort web01 > /dev/null 2>&1 ) &
    else
        virsh -c "$2" migrate --live web01 "$3" --migrateuri "tcp://127.0.0.1:$MPORT" \
            > "$WORK/mig.out" 2>&1 & M=$!
    fi
    type_during "$M"
    wait "$M"
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    MPORT=$((MPORT + 1))
    sleep 1.5
    l=$(grep 'migration: destination attached\|migration aborted' "$WORK/pscon.log" | tail -n 1)
    q=$(echo "$l" | sed -n 's/.* \([0-9]*\) bytes of queued input.*/\1/p')
    p=$(echo "$l" | sed -n 's/.* \([0-9-]*\) ms after the pause.*/\1/p')
    b=$(echo "$l" | sed -n 's/.* \([0-9]*\) ms after the begin.*/\1/p')
    echo "$1 $(gap_since "$mark") ${q:-0} ${p:--} ${b:--} $ms"
}
# agent_event: host 1's hvagent SIGKILLed, started again after 1 s (the
# VM runs on host 1); prints "agent downtime 0 - - MS", MS from the kill
# to the new agent's boot pass.
agent_event() {
    mark=$(wc -l < "$WORK/stamped")
    n0=$(grep -c 'pass (boot)' "$WORK/d1.err")
    t0=$(date +%s%N)
    kill -KILL "$D1"; wait "$D1" 2>/dev/null
    ( sleep 1 ) & type_during $!
    "$HVAGENT" -c "$WORK/hv1.conf" -i "$IMG" > "$WORK/d1.out" 2>> "$WORK/d1.err" & D1=$!
    ( i=0; while [ $i -lt 600 ] && [ "$(grep -c 'pass (boot)' "$WORK/d1.err")" -le "$n0" ]; do
          sleep 0.05; i=$((i + 1)); done ) & type_during $!
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    sleep 1.5
    echo "agent $(gap_since "$mark") 0 - - $ms"
}
normal=$(gap_since 0)
i=0
while [ $i -lt "$RUNS" ]; do
    for e in $EVENTS; do
        case $e in
        there) event there "$U1" "$U2" ;;
        back) event back "$U2" "$U1" ;;
        abort) event abort "$U1" "$U2" ;;
        agent) agent_event ;;
        esac
        sleep 1
    done
    i=$((i + 1))
done > "$WORK/events"
echo "counter lines every $normal ms at most before the events (the guest's own pace here)"
awk '{ n[$1]++; d[$1] += $2; if ($2 > dm[$1]) dm[$1] = $2; q[$1] += $3
       if ($4 != "-") { p[$1] += $4; np[$1]++ } if ($5 != "-") { b[$1] += $5; nb[$1]++ }
       v[$1] += $6 }
     END { for (k in n) printf "%-5s %d events: viewer downtime mean %.0f ms, max %d ms; " \
           "input queued mean %.0f B; attached %s ms after the pause, %s ms after the " \
           "begin (means); %s %.0f ms\n", k, n[k], d[k] / n[k], dm[k], q[k] / n[k], \
           np[k] ? sprintf("%.0f", p[k] / np[k]) : "-", \
           nb[k] ? sprintf("%.0f", b[k] / nb[k]) : "-", \
           k == "agent" ? "kill to the new agent boot pass" : "virsh", v[k] / n[k] }' "$WORK/events" | sort
sleep 1
c=$(counters_ok "$WORK/view"); cr=$?
lg=$(sed 's/^\[[^]]*\] //' "$WORK/plog/web01.log" | counters_ok /dev/stdin); lr=$?
g=$(got_ok "$WORK/view" "$TYPED"); gr=$?
echo "viewer: counters $c; log: counters $lg; typed $TYPED lines: ${g:-each once, in order}"
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg))"
[ $cr -eq 0 ] && [ $lr -eq 0 ] && [ $gr -eq 0 ]
