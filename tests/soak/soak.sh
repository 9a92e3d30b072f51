#!/bin/sh
# Soak: writers on every path of one key, at once, for SOAK_TIME seconds,
# with SIGKILLs of random holders.  One store image, reached as
#   - an image file            psctl -i IMG          (writer "img")
#   - its loop device's        psctl -d LOOPpN       (writer "dev")
#     pstate partition
#   - the simulated BMC        psctl --bmc over ipmitool, host powered on,
#     (ipmi_sim + bmc-shim)    writes allowed under the semaphore ("bmc")
#   - the whole loop device    the hvagent daemon, -d LOOP (as it picks a
#                              USB key), on a session libvirtd; the
#                              driver changes a domain's memory with
#                              virsh, the daemon writes it back ("hv")
# and every host writer and the BMC serialise through one simulated
# semaphore (the BMC's files, PSTATE_SEM_BIOS / PSTATE_SEM_SHM).
#
# Each writer sets unique descriptions on its own networks and logs each
# outcome:
# "ack" (exit 0), "fail RC" (any other exit), "unknown" (it was killed:
# either outcome is allowed).  A killer sends SIGKILL to the running
# psctl of the img or dev writer at random moments, and restarts the
# hvagent daemon with SIGKILL now and then.  At the end:
#   - each network holds its writer's last acknowledged description, or
#     a later one whose outcome is unknown (no acknowledged update lost,
#     no update reported failed committed);
#   - the daemon's last libvirt-side memory value reached the store;
#   - psctl check passes through both paths.
# Then it prints the figures.  Exit 0 when all hold, 1 otherwise.
#
# Environment: SOAK_TIME (seconds, default 300), PSCTL, HVAGENT, BMC_SIM,
# BMC_SIM_MODULE (make soak sets them to the optimised build).  Needs
# root (loop devices), ipmi_sim, ipmitool, libvirtd and virsh.
set -u
SOAK_TIME=${SOAK_TIME:-300}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PSCTL=${PSCTL:-$ROOT/build/opt/psctl}
HVAGENT=${HVAGENT:-$ROOT/build/opt/hvagent}
BMC_SIM=${BMC_SIM:-$ROOT/scripts/bmc-sim}
BMC_SIM_MODULE=${BMC_SIM_MODULE:-$ROOT/build/opt/bmc-shim/bmc_sim.so}
export BMC_SIM_MODULE
for v in PSCTL HVAGENT BMC_SIM BMC_SIM_MODULE; do
    eval "p=\$$v"
    case $p in /*) ;; *) p=$ROOT/$p; eval "$v=\$p" ;; esac
    [ -e "$p" ] || { echo "soak: $v: $p not found (make soak builds it)" >&2; exit 2; }
done
[ "$(id -u)" -eq 0 ] || { echo "soak: needs root (loop devices)" >&2; exit 2; }

WORK=$(mktemp -d /tmp/pstate-soak.XXXXXX)
IMG=$WORK/key.img
SIM=$WORK/sim
LOOP=
DPID=
KPID=
WPIDS=
BAD=0

# The session libvirtd of the e2e tests (sets LV, U, LVPID; lv_start,
# stop_pid, wait_for); its pass/fail lines go to the soak's log.
pass() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; BAD=1; }
. "$ROOT/tests/e2e/libvirtd_session.sh"

cleanup() {
    touch "$WORK/stop"
    [ -n "$KPID" ] && kill "$KPID" 2>/dev/null
    for p in $WPIDS; do kill "$p" 2>/dev/null; done
    for w in img dev bmc; do
        [ -f "$WORK/$w.pid" ] && kill -9 "$(cat "$WORK/$w.pid")" 2>/dev/null
    done
    for p in $KPID $WPIDS; do wait "$p" 2>/dev/null; done
    [ -f "$WORK/hv.dpid" ] && stop_pid "$(cat "$WORK/hv.dpid")"
    stop_pid "$LVPID"
    "$BMC_SIM" stop "$SIM" >/dev/null 2>&1
    if [ -n "$LOOP" ]; then
        partx -d "$LOOP" >/dev/null 2>&1
        losetup -d "$LOOP" >/dev/null 2>&1
    fi
    [ -n "${SOAK_KEEP:-}" ] && echo "soak: kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

rnd() { echo $(( $(od -An -tu4 -N4 /dev/urandom) % $1 )); }
now() { date +%s; }

# ---------------------------------------------------------------- set-up
echo "soak: ${SOAK_TIME} s, work in $WORK"
"$PSCTL" -q -i "$IMG" init --size 16M >/dev/null &&
    "$PSCTL" -q -i "$IMG" vm create hv0 --memory 1GiB >/dev/null ||
    { echo "soak: cannot make the image" >&2; exit 1; }
LOOP=$(losetup -fP --show "$IMG") || { echo "soak: losetup failed" >&2; exit 1; }
partx -a "$LOOP" 2>/dev/null
n=0
until [ -b "${LOOP}p4" ] || [ $n -ge 50 ]; do sleep 0.1; n=$((n + 1)); done
[ -b "${LOOP}p4" ] || { echo "soak: no ${LOOP}p4" >&2; exit 1; }
P4=${LOOP}p4

mkdir -p "$SIM"
PORT=$(( 30000 + $(rnd 20000) ))
BMC_SIM_IMAGE=$IMG BMC_SIM_GATE=semaphore BMC_SIM_POWER=on \
    BMC_SIM_ADMIN_PASS=soak-adm1n BMC_SIM_OPER_PASS=soak-0per \
    "$BMC_SIM" start "$SIM" "$PORT" > "$WORK/sim.out" 2>&1 ||
    { echo "soak: bmc-sim: $(cat "$WORK/sim.out")" >&2; exit 1; }
# Every host tool takes the BMC's (simulated) semaphore, not a flock.
PSTATE_SEM_MODE=sim PSTATE_SEM_BIOS=$SIM/sem-bios PSTATE_SEM_SHM=$SIM/sem-shm
export PSTATE_SEM_MODE PSTATE_SEM_BIOS PSTATE_SEM_SHM

lv_start
cat > "$WORK/hvagent.conf" <<EOC
uri = $U
domain_type = qemu
serial_run_dir = $WORK/run
serial_log_dir = $WORK/log
interval = 1
EOC
hv_start() {
    "$HVAGENT" -c "$WORK/hvagent.conf" -d "$LOOP" >> "$WORK/hv.out" 2>> "$WORK/hv.err" &
    echo $! > "$WORK/hv.dpid"
}
hv_start
wait_for 20 virsh -c "$U" dominfo hv0 ||
    { echo "soak: the daemon did not define hv0: $(tail -c 400 "$WORK/hv.err")" >&2; exit 1; }

# ---------------------------------------------------------------- writers
# writer NAME CMD...: until $WORK/stop exists, set a unique description
# ("NAME-0000001", ...) on its networks NAME-0 .. NAME-7 in turn, with
# CMD; the running psctl's pid in $WORK/NAME.pid for the killer;
# outcomes in $WORK/NAME.log ("ack|fail RC|unknown NET DESCRIPTION").
# Descriptions of one width rewrite the element in place, so the soak
# measures commits, not compactions (creating and deleting reuses and
# compacts pads: docs/store.md section 7, bench/bench_churn.c).
NETS=8
run() {
    t=$(date +%s%N)
    "$@" >/dev/null 2>> "$WORK/$w.err" &
    p=$!; echo "$p" > "$WORK/$w.pid"
    wait "$p"; rc=$?
    rm -f "$WORK/$w.pid"
    echo $(( ($(date +%s%N) - t) / 1000000 )) >> "$WORK/$w.ms"
    case $rc in
        0) echo "ack $n $d" ;;
        137) echo "unknown $n $d" ;;
        *) echo "fail $n $d $rc" ;;
    esac >> "$WORK/$w.log"
}
writer() {
    w=$1; shift; i=0
    exec 2>> "$WORK/$w.shell"   # the shell's "Killed" notes
    while [ ! -e "$WORK/stop" ]; do
        n=$w-$((i % NETS)) d=$(printf '%s-%07d' "$w" "$i")
        run "$@" net set "$n" --description "$d"
        i=$((i + 1))
    done
}
for w in img dev bmc; do
    k=0
    while [ $k -lt $NETS ]; do
        "$PSCTL" -q -i "$IMG" net create "$w-$k" --kind nat >/dev/null ||
            { echo "soak: cannot create $w-$k" >&2; exit 1; }
        k=$((k + 1))
    done
done
: > "$WORK/img.log"; : > "$WORK/dev.log"; : > "$WORK/bmc.log"; : > "$WORK/hv.log"
writer img "$PSCTL" -q -i "$IMG" & WPIDS="$WPIDS $!"
writer dev "$PSCTL" -q -d "$P4" & WPIDS="$WPIDS $!"
( export IPMI_PASSWORD=soak-adm1n
  writer bmc "$PSCTL" -q --bmc "127.0.0.1:$PORT" -U admin ) & WPIDS="$WPIDS $!"

# The daemon's side: memory of hv0 changed in libvirt (1025 MiB, 1026
# MiB, ...), written back by the daemon.  Only the last value must land
# (each one replaces the one before).
( i=1
  while [ ! -e "$WORK/stop" ]; do
      m=$((1024 + i))
      if virsh -c "$U" setmaxmem hv0 $((m * 1024)) --config >/dev/null 2>&1; then
          echo "ack $m"
      else
          echo "fail $m"
      fi >> "$WORK/hv.log"
      i=$((i + 1))
      sleep 1.$(rnd 10)
  done ) & WPIDS="$WPIDS $!"

# The killer: every 2-8 s, wait (up to 2 s) until the semaphore's owner
# is the one to kill, then SIGKILL: the running psctl of img or dev (one
# of the two "OS tools" holds it: a holder half of the time, a waiter
# the other half), or on every fifth round the hvagent daemon (then
# restart it).  A killed holder's lease must be broken by the next.
sem_owner() {   # the lock word's owner (ps_sem.c: word 2 at 0xFD000100)
    echo $(( $(od -An -tu4 -j 264 -N4 "$SIM/sem-shm") & 15 ))
}
wait_owner() {
    wo_n=0
    while [ "$(sem_owner)" != "$1" ] && [ $wo_n -lt 400 ]; do wo_n=$((wo_n + 1)); done
}
( while [ ! -e "$WORK/stop" ]; do
      sleep $((2 + $(rnd 6))).$(rnd 10)
      [ -e "$WORK/stop" ] && break
      case $(rnd 5) in
          0) wait_owner 2
             p=$(cat "$WORK/hv.dpid" 2>/dev/null)
             [ -n "$p" ] && kill -9 "$p" 2>/dev/null &&
                 echo "hv $p owner $(sem_owner)" >> "$WORK/kills" && hv_start ;;
          *) w=img; [ "$(rnd 2)" -eq 1 ] && w=dev
             wait_owner 4
             p=$(cat "$WORK/$w.pid" 2>/dev/null)
             [ -n "$p" ] && kill -9 "$p" 2>/dev/null &&
                 echo "$w $p owner $(sem_owner)" >> "$WORK/kills" ;;
      esac
  done ) &
KPID=$!

T0=$(now)
while [ $(( $(now) - T0 )) -lt "$SOAK_TIME" ]; do
    sleep 10
    echo "soak: $(( $(now) - T0 )) s: $(cat "$WORK"/img.log "$WORK"/dev.log "$WORK"/bmc.log | grep -c '^ack') acknowledged writes"
done
touch "$WORK/stop"
wait $KPID 2>/dev/null; KPID=
for p in $WPIDS; do wait "$p" 2>/dev/null; done; WPIDS=
T1=$(now)
# A killed daemon may have been restarted by the killer's last round.
p=$(cat "$WORK/hv.dpid"); kill -0 "$p" 2>/dev/null || hv_start

# ---------------------------------------------------------------- checks
last=$(sed -n 's/^ack //p' "$WORK/hv.log" | tail -n 1)
mem_mib() {
    "$PSCTL" -q -i "$IMG" vm show hv0 --json 2>/dev/null | python3 -c '
import json, sys
print(json.load(sys.stdin)["item"]["memory"] // 1048576)'
}
n=0
while [ -n "$last" ] && [ "$(mem_mib)" != "$last" ] && [ $n -lt 300 ]; do
    sleep 0.1; n=$((n + 1))
done
got=$(mem_mib)
[ -z "$last" ] || [ "$got" = "$last" ] &&
    pass "hvagent: the last libvirt-side memory (${last:-none} MiB) is in the store" ||
    fail "hvagent: store has ${got} MiB, libvirt's last was $last MiB"
stop_pid "$(cat "$WORK/hv.dpid")"; rm -f "$WORK/hv.dpid"

"$PSCTL" -q -i "$IMG" net list --json > "$WORK/nets.json" ||
    fail "net list: $(cat "$WORK/nets.json")"
python3 - "$WORK" > "$WORK/verdict" <<'PY'
import json, sys, os
# Per network, in the writer's order: the final description must be the
# last acknowledged one (or "" when none was), or one whose outcome is
# unknown (killed) that came after it.  An earlier acknowledged one is a
# lost update; a later failed one is a failure that committed.
work = sys.argv[1]
final = {n["name"]: n["description"] or ""
         for n in json.load(open(os.path.join(work, "nets.json")))["items"]}
bad = 0
for w in ("img", "dev", "bmc"):
    count = {}; kinds = {}; ops = {}
    for line in open(os.path.join(work, w + ".log")):
        f = line.split()
        res, n, d = f[0], f[1], f[2]
        count[res] = count.get(res, 0) + 1
        if res == "fail":
            kinds[f[3]] = kinds.get(f[3], 0) + 1
        ops.setdefault(n, []).append((res, d))
    lost = []; failed_landed = []
    for n, seq in ops.items():
        last = max([i for i, (r, _) in enumerate(seq) if r == "ack"], default=-1)
        ok = {seq[last][1] if last >= 0 else ""}
        ok |= {d for r, d in seq[last + 1:] if r == "unknown"}
        got = final.get(n)
        if got in ok:
            continue
        if any(d == got and r == "fail" for r, d in seq):
            failed_landed.append("%s=%s" % (n, got))
        else:
            lost.append("%s: %s, want %s" % (n, got, " or ".join(sorted(ok))))
    print("%s: %d acknowledged, %d failed %s, %d unknown (killed)"
          % (w, count.get("ack", 0), count.get("fail", 0),
             "(by exit status %s)" % kinds if kinds else "", count.get("unknown", 0)))
    for x in lost:
        print("  LOST acknowledged update: %s" % x); bad = 1
    for x in failed_landed:
        print("  REPORTED FAILED BUT COMMITTED: %s" % x); bad = 1
sys.exit(bad)
PY
[ $? -eq 0 ] || BAD=1
"$PSCTL" -q -i "$IMG" check > "$WORK/check" 2>&1 && pass "psctl -i IMG check" ||
    fail "psctl -i IMG check: $(head -c 400 "$WORK/check")"
"$PSCTL" -q -d "$P4" check > "$WORK/check" 2>&1 && pass "psctl -d $P4 check" ||
    fail "psctl -d $P4 check: $(head -c 400 "$WORK/check")"

# ---------------------------------------------------------------- figures
hvk=$(grep -c '^hv ' "$WORK/kills" 2>/dev/null); hvk=${hvk:-0}
pk=$(grep -c -v '^hv ' "$WORK/kills" 2>/dev/null); pk=${pk:-0}
gen=$("$PSCTL" -q -i "$IMG" info --json | sed -n 's/.*"generation": \([0-9]*\).*/\1/p')
echo "---- soak figures"
echo "duration:         $((T1 - T0)) s"
cat "$WORK/verdict" | sed 's/^/writer /'
echo "writer hv:        $(grep -c '^ack' "$WORK/hv.log") libvirt-side changes, $(grep -c '^fail' "$WORK/hv.log") failed virsh calls, $(grep -c 'changed in libvirt' "$WORK/hv.err") written back by the daemon"
echo "kills:            $pk psctl writers (SIGKILL), $hvk hvagent daemon restarts (SIGKILL)"
echo "failure kinds:    $(cat "$WORK"/img.err "$WORK"/dev.err "$WORK"/bmc.err 2>/dev/null | sed 's/[0-9a-f]\{8,\}/N/g; s/[0-9][0-9]*/N/g' | sort | uniq -c | sort -rn | head -n 8 | tr -s ' ' | sed 's/^/\n   /' | tr -d '\n')"
echo "daemon errors:    $(grep -c 'hvagent: error: ' "$WORK/hv.err")$(grep 'hvagent: error: ' "$WORK/hv.err" | sed 's/[0-9][0-9]*/N/g' | sort | uniq -c | sed 's/^/\n   /' | tr -d '\n')"
# The semaphore's own counters (docs/semaphore.md; ps_sem.c's layout):
# the simulated BMC's shared memory holds it at 0xFD000100.
python3 - "$SIM/sem-shm" <<'PY'
import struct, sys
w = struct.unpack_from("<48I", open(sys.argv[1], "rb").read(), 0x100)
own = {1: "BMC", 2: "hvagent", 4: "OS tools"}
# Per owner: acquisitions, and breaks of a dead holder's lease it made.
print("semaphore:        %d acquisitions (token), %d lock breaks; %s"
      % (w[4] | w[5] << 32, w[6],
         "; ".join("%s %d acquired, broke %d" % (n, w[16 + 4 * o + 2], w[16 + 4 * o + 3])
                   for o, n in own.items())))
PY
for w in img dev bmc; do
    sort -n "$WORK/$w.ms" | awk -v w="$w" '{a[NR] = $1; s += $1}
        END {if (NR) printf "latency %-9s median %d ms, p99 %d ms, max %d ms (%d runs)\n",
             w ":", a[int((NR + 1) / 2)], a[(NR >= 100) ? int(NR * 0.99) : NR], a[NR], NR}'
done
echo "bmc info:         $(IPMI_PASSWORD=soak-adm1n "$PSCTL" -q --bmc "127.0.0.1:$PORT" -U admin bmc info 2>&1 | tr -s ' ' | tr '\n' ';')"
echo "final generation: $gen"
echo "networks:         $(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/nets.json")"
[ $BAD -eq 0 ] && echo "soak: PASS" || echo "soak: FAIL"
exit $BAD
