#!/bin/sh
# bench_pscon_restart.sh - what a viewer sees of a console service restart
# (docs/performance.md, "Console restarts"; docs/console.md "Restarts").
# A guest stand-in writes a counter line every 10 ms (with its send time);
# one psctl console viewer stays attached, its output timed line by line
# (pscon-test lat).  RUNS deliberate restarts (SIGUSR2) then RUNS SIGKILLs
# of the worker under pscon --hold, 1.5 s apart.  Per event: the viewer's
# downtime (the largest delay of a counter line from the guest's write to
# the viewer's output) and the client's own "resumed after T ms".  At the
# end: the viewer's and the log's bytes against what the guest sent.
# Usage (make bench-pscon-restart): PSCON=... PSCTL=... PSCON_TEST=... $0
set -eu
: "${PSCON:?}" "${PSCTL:?}" "${PSCON_TEST:?}"
RUNS=${RUNS:-5}
W=$(mktemp -d)
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM

"$PSCTL" -q -i "$W/store.img" init >/dev/null
"$PSCTL" -q -i "$W/store.img" vm create web01 >/dev/null
"$PSCTL" -q -i "$W/store.img" serial allocate web01 1 --first 7001 \
    --hostnames web01-con >/dev/null
setsid "$PSCON" --hold --run-dir "$W/run" --socket "$W/c.sock" \
    --log-dir "$W/logs" --store "$W/store.img" 2> "$W/svc.log" & PIDS="$PIDS $!"
until grep -q serving "$W/svc.log" 2>/dev/null; do sleep 0.05; done
"$PSCON_TEST" counter "$W/run/port-7001" 10 "$W/sent" "$W/gin" & GUEST=$!
PIDS="$PIDS $GUEST"
mkfifo "$W/kbd"
exec 8<>"$W/kbd"
{ "$PSCTL" console --socket "$W/c.sock" web01 < "$W/kbd" 2> "$W/view.err" |
    tee "$W/view" | "$PSCON_TEST" lat > "$W/lat"; } & PIDS="$PIDS $!"
sleep 1.5
worker() { sed -n 's/^pscon --hold: worker \([0-9]*\)$/\1/p' "$W/svc.log" | tail -n 1; }

# event SIGNAL: one event; prints its downtime and the client's resume time.
event() {
    mark=$(wc -l < "$W/lat")
    kill "-$1" "$(worker)"
    sleep 1.5
    down=$(tail -n +"$((mark + 1))" "$W/lat" | awk '$1 ~ /^[0-9]+$/ && $2 > m { m = $2 } END { print m + 0 }')
    res=$(grep -o 'after [0-9]* ms' "$W/view.err" | tail -n 1 | tr -dc 0-9)
    echo "$down $res"
}
for kind in USR2 KILL; do
    i=0; all=
    while [ $i -lt "$RUNS" ]; do all="$all $(event $kind | tr ' ' ,)"; i=$((i + 1)); done
    echo "$all" | tr ' ' '\n' | awk -F, -v k="$kind" 'NF == 2 {
        n++; d += $1; r += $2; if ($1 > dm) dm = $1; if ($2 > rm) rm = $2 }
        END { printf "%-5s %d events: viewer downtime mean %.0f ms, max %d ms; " \
              "client resumed after mean %.0f ms, max %d ms\n", \
              (k == "USR2" ? "USR2" : "KILL"), n, d / n, dm, r / n, rm }'
done

kill "$GUEST"; wait "$GUEST" 2>/dev/null || true
sleep 0.5
lines=$(wc -l < "$W/sent")
sed 's/^\[[0-9T:Z-]*\] //' "$W/logs/web01-con.log" > "$W/logged"
v=same; cmp -s "$W/sent" "$W/view" || v=DIFFERENT
l=same; cmp -s "$W/sent" "$W/logged" || l=DIFFERENT
echo "guest wrote $lines lines ($(wc -c < "$W/sent") B): viewer output $v, log $l;" \
    "guest input port closed: $(grep -c 'PORT CLOSED' "$W/gin" || true) times"
[ "$v" = same ] && [ "$l" = same ]
