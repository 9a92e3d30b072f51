#!/bin/sh
# The pool's concurrency test (docs/pool.md "Tests"): WORKERS psctl
# processes doing random assigns, moves and failovers against one etcd
# pool, then the verdict: every acknowledged move present, no identifier
# live twice on the targets, `pool check` finds every record agreeing.
#   pool_stress.sh URL DIR WORKERS OPS HOSTS VMS PROFILES
# HOSTS x VMS targets (VMs of host images h1..hHOSTS, servers h1..).
# Needs PSCTL.  Prints one line per phase; exit 0 on a clean verdict.
set -u
URL=$1 D=$2 W=$3 OPS=$4 H=$5 V=$6 NP=$7
HERE=$(cd "$(dirname "$0")" && pwd)
PY="python3 $HERE/pool_stress.py"
P() { "$PSCTL" -q --pool "$URL" "$@"; }
mkdir -p "$D/hosts"
i=1
while [ $i -le "$H" ]; do
    $PY host h$i "$V" > "$D/h$i.txt"
    "$PSCTL" -q -i "$D/h$i.img" init --size 8M >/dev/null 2>&1 &&
        "$PSCTL" -q -i "$D/h$i.img" import "$D/h$i.txt" &&
        P server create h$i --target "image:$D/h$i.img" || exit 1
    i=$((i + 1))
done
i=0
while [ $i -lt "$NP" ]; do
    P profile create p$i --uuid "$(printf '6a0f1e2d-3c4b-4a59-8687-%012x' $i)" \
        --macs "$(printf '02:00:5e:7%x:%02x:%02x' $((i / 65536 % 16)) $((i / 256 % 256)) $((i % 256)))" || exit 1
    i=$((i + 1))
done
$PY plan "$W" "$OPS" "$NP" "$H" "$V" 4242 "$D"
echo "pool stress: $W workers x $OPS ops, $((H * V)) targets, $NP profiles"
worker() { # N: run planN, log every op and its output
    while read -r op a b; do
        s=$(date +%s%N)
        out=$("$PSCTL" --pool "$URL" profile "$op" "$a" "$b" 2>&1)
        rc=$?
        e=$(date +%s%N)
        echo "$1 $s $e $rc $op $a $b"
        printf '%s\n' "$out" | grep -v '^psctl: store:' | sed 's/^/> /'
    done < "$D/plan$1" > "$D/log$1"
}
t0=$(date +%s)
n=0
while [ $n -lt "$W" ]; do
    worker $n &
    n=$((n + 1))
done
wait
t1=$(date +%s)
echo "pool stress: ran in $((t1 - t0)) s; $(cat "$D"/log* | grep -c '^[0-9]* [0-9]* [0-9]* 0 ') of $((W * OPS)) ops succeeded"
# Moves interrupted by a refusal elsewhere (the profile stays in transit)
# are finished, as an operator would (profile show says how).  Logged as
# the workers' ops are (DIR/cleanup): a finished move is an operation the
# verdict counts, after every worker's; one that fails is a problem.
P profile list --json > "$D/mid.json"
for p in $(python3 -c 'import json,sys
for x in json.load(open(sys.argv[1]))["items"]:
    if x["state"] == "in-transit": print(x["name"] + " " + (x["target"] or "-"))' "$D/mid.json" | tr ' ' ':'); do
    name=${p%%:*} t=${p#*:}
    s=$(date +%s%N) tries=0
    # Every worker has exited: a move still held on a lease is a dead
    # process's (its revoke at exit did not reach etcd), so wait for the
    # lease to expire (PSTATE_POOL_LEASE_TTL, 30 s), as the operator
    # `profile show` tells would.
    while :; do
        if [ "$t" = - ]; then out=$(P profile unassign "$name" 2>&1); else out=$(P profile move "$name" "$t" 2>&1); fi
        rc=$?
        case $out in *"another operator is moving it"*) ;; *) break ;; esac
        tries=$((tries + 1))
        [ $tries -le 20 ] || break
        sleep 2
    done
    echo "cleanup $s $(date +%s%N) $rc $([ "$t" = - ] && echo unassign || echo move) $name $t"
    printf '%s\n' "$out" | grep -v '^$' | sed 's/^/> /'
done > "$D/cleanup"
P profile list --json > "$D/final.json"
i=1
while [ $i -le "$H" ]; do
    "$PSCTL" -q -i "$D/h$i.img" export -o "$D/hosts/h$i.txt" || exit 1
    i=$((i + 1))
done
$PY verdict "$D" || exit 1
P pool check > "$D/check.out"
rc=$?
tail -1 "$D/check.out"
[ $rc = 0 ] || { cat "$D/check.out"; exit 1; }
