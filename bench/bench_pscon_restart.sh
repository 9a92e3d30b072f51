#!/bin/sh
# bench_pscon_restart.sh - what a viewer sees of a console service restart
# (docs/performance.md, "Console restarts"; docs/console.md "Restarts").
# A guest stand-in writes a counter line every 10 ms (with its send time);
# one psctl console viewer stays attached, its output timed line by line
# (pscon-test lat).  RUNS deliberate restarts (SIGUSR2) then RUNS SIGKILLs
# of the worker under pscon --hold, 1.5 s apart.  Per event: the viewer's
# downtime (the largest delay of a counter line from the guest's write to
# the viewer's output), the client's own "resumed after T ms" and the
# bytes queued (the counter lines delayed past the largest delay of the
# half second before the events: they waited in the guest's socket while no service read
# it, times the line's length).  At the
# end: the viewer's and the log's bytes against what the guest sent.
# VIA=bmc: the viewer is `psctl --bmc 127.0.0.1:PORT console` on pscon's
# web endpoint (HTTPS + WebSocket, a self-signed certificate; the page's
# files from $PSCON_WEB/root) instead of the unix socket.
# Usage (make bench-pscon-restart): PSCON=... PSCTL=... PSCON_TEST=...
# [VIA=bmc PSCON_WEB=build/web] $0
set -eu
: "${PSCON:?}" "${PSCTL:?}" "${PSCON_TEST:?}"
RUNS=${RUNS:-5}
VIA=${VIA:-socket}
W=$(mktemp -d)
PIDS=
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT INT TERM

"$PSCTL" -q -i "$W/store.img" init >/dev/null
"$PSCTL" -q -i "$W/store.img" vm create web01 >/dev/null
"$PSCTL" -q -i "$W/store.img" serial allocate web01 1 --first 7001 \
    --hostnames web01-con >/dev/null
WEB=
if [ "$VIA" = bmc ]; then
    : "${PSCON_WEB:?VIA=bmc: set PSCON_WEB to the page's build directory}"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -keyout "$W/key.pem" -out "$W/cert.pem" -days 1 -subj /CN=127.0.0.1 \
        >/dev/null 2>&1
    mkdir "$W/bmc"
    IPMI_PASSWORD=bench-$$-pw
    export IPMI_PASSWORD
    printf 'admin %s\n' "$IPMI_PASSWORD" > "$W/bmc/passwords"
    "$(dirname "$0")/../scripts/bmc-sim" users "$W/bmc"
    PORT=$(( 20000 + $(od -An -tu2 -N2 /dev/urandom) % 20000 ))
    WEB="--web 127.0.0.1:$PORT --web-users $W/bmc/web-users --web-cert $W/cert.pem
         --web-key $W/key.pem --web-root $PSCON_WEB/root"
fi
# shellcheck disable=SC2086 # WEB: the options, split on purpose
setsid "$PSCON" --hold --run-dir "$W/run" --socket "$W/c.sock" \
    --log-dir "$W/logs" --store "$W/store.img" $WEB 2> "$W/svc.log" & PIDS="$PIDS $!"
until grep -q serving "$W/svc.log" 2>/dev/null; do sleep 0.05; done
"$PSCON_TEST" counter "$W/run/port-7001" 10 "$W/sent" "$W/gin" & GUEST=$!
PIDS="$PIDS $GUEST"
mkfifo "$W/kbd"
exec 8<>"$W/kbd"
viewer() {
    if [ "$VIA" = bmc ]; then
        "$PSCTL" --bmc "127.0.0.1:$PORT" -U admin console web01 --insecure
    else
        "$PSCTL" console --socket "$W/c.sock" web01
    fi
}
{ viewer < "$W/kbd" 2> "$W/view.err" |
    tee "$W/view" | "$PSCON_TEST" lat > "$W/lat"; } & PIDS="$PIDS $!"
sleep 1.5
# the largest delay of the last 50 lines before the events (not the
# backlog the viewer was given as it attached)
base=$(tail -n 50 "$W/lat" | awk '$1 ~ /^[0-9]+$/ && $2 > m { m = $2 } END { print m + 0 }')
worker() { sed -n 's/^pscon --hold: worker \([0-9]*\)$/\1/p' "$W/svc.log" | tail -n 1; }

# event SIGNAL: one event; prints its downtime and the client's resume time.
event() {
    mark=$(wc -l < "$W/lat")
    kill "-$1" "$(worker)"
    sleep 1.5
    down=$(tail -n +"$((mark + 1))" "$W/lat" | awk '$1 ~ /^[0-9]+$/ && $2 > m { m = $2 } END { print m + 0 }')
    res=$(grep -o 'after [0-9]* ms' "$W/view.err" | tail -n 1 | tr -dc 0-9)
    q=$(tail -n +"$((mark + 1))" "$W/lat" | awk -v b="$base" '$1 ~ /^[0-9]+$/ && $2 > b { n++ } END { print n + 0 }')
    echo "$down $res $((q * $(wc -c < "$W/sent") / $(wc -l < "$W/sent")))"
}
for kind in USR2 KILL; do
    i=0; all=
    while [ $i -lt "$RUNS" ]; do all="$all $(event $kind | tr ' ' ,)"; i=$((i + 1)); done
    echo "$all" | tr ' ' '\n' | awk -F, -v k="$kind" -v v="$VIA" 'NF == 3 {
        n++; d += $1; r += $2; q += $3; if ($1 > dm) dm = $1; if ($2 > rm) rm = $2
        if ($3 > qm) qm = $3 }
        END { printf "%s %-5s %d events: viewer downtime mean %.0f ms, max %d ms; " \
              "client resumed after mean %.0f ms, max %d ms; " \
              "bytes queued mean %.0f B, max %d B\n", \
              v, (k == "USR2" ? "USR2" : "KILL"), n, d / n, dm, r / n, rm, q / n, qm }'
done

kill "$GUEST"; wait "$GUEST" 2>/dev/null || true
sleep 0.5
lines=$(wc -l < "$W/sent")
sed 's/^\[[0-9T:Z-]*\] //' "$W/logs/web01-con.log" > "$W/logged"
v=same; cmp -s "$W/sent" "$W/view" || v=DIFFERENT
l=same; cmp -s "$W/sent" "$W/logged" || l=DIFFERENT
echo "$VIA: guest wrote $lines lines ($(wc -c < "$W/sent") B): viewer output $v, log $l;" \
    "guest input port closed: $(grep -c 'PORT CLOSED' "$W/gin" || true) times"
[ "$v" = same ] && [ "$l" = same ]
