# Profile edits, moves and failovers on a large etcd pool read only the
# keys they need (docs/pool.md "Reads that do not take the whole pool"):
# a pool of 20,000 profiles and 2,000 servers seeded straight into etcd
# (bench_pool --seed: psctl's client and key layout), then create, set,
# assign, move, failover (to a spare, from a spare pool), unassign and
# delete with psctl itself; each must read a handful of keys
# ($PSTATE_POOL_STATS), never the pool's 62,000, and a clash with a
# seeded profile's MAC must still name that profile.  So must profile
# show of a placed profile, the server commands (show, create, set,
# delete) and the address pool commands.
echo "== pool on etcd at scale: edits, moves and failovers read their own keys"
[ -x "${BENCH_POOL:-}" ] || { fail "pool scale: BENCH_POOL (build/opt/bench/bench_pool) not built"; return 0; }

etcd_pool "pool scale" || return 0
export PSTATE_POOL_TIMEOUT_MS=5000 PSTATE_POOL_STATS=1
N=20000

# An empty pool lists as an empty file pool does: the header alone (its
# one empty page once reached memcpy with no array: UBSan stopped it).
"$PSCTL" -q --pool "$URL" profile list > "$WORK/empty" 2> "$WORK/empty.err"
[ $? = 0 ] && [ "$(wc -l < "$WORK/empty")" = 1 ] && grep -q '^NAME ' "$WORK/empty" &&
    pass "pool scale: profile list of an empty pool: the header alone" ||
    fail "pool scale: empty list: $(cat "$WORK/empty" "$WORK/empty.err")"
t0=$(date +%s)
if "$BENCH_POOL" --seed "$URL" $N 2000 0; then
    pass "pool scale: $N profiles and 2000 servers seeded in $(( $(date +%s) - t0 )) s"
else
    fail "pool scale: seeding failed"
fi
for h in h1 h2; do
    "$PSCTL" -q -i "$WORK/$h.img" init >/dev/null 2>&1
    for v in vm1 vm2 vm3; do
        "$PSCTL" -q -i "$WORK/$h.img" vm create $v --memory 256MiB >/dev/null &&
            "$PSCTL" -q -i "$WORK/$h.img" nic add $v eth0 >/dev/null ||
            fail "pool scale: preparing $h"
    done
done
T1="image:$WORK/h1.img" T2="image:$WORK/h2.img"

# run WANT-EXIT WHAT ARGS...: psctl on the pool; its exit code and the keys
# it read (at most 20: the command's own, not the pool's).
run() {
    want=$1 what=$2; shift 2
    "$PSCTL" -q --pool "$URL" "$@" > "$WORK/out" 2> "$WORK/err"
    rc=$?
    keys=$(sed -n 's/^psctl: pool: [0-9]* requests, \([0-9]*\) keys read.*/\1/p' "$WORK/err")
    if [ "$rc" = "$want" ] && [ -n "$keys" ] && [ "$keys" -le 20 ]; then
        pass "pool scale: $what (exit $rc, $keys keys read)"
    else
        fail "pool scale: $what: exit $rc (want $want), keys read '${keys}'"
        cat "$WORK/out" "$WORK/err"
    fi
}
run 0 "profile create" profile create big --macs 02:00:5e:70:00:01
run 4 "profile create with a seeded profile's MAC" profile create big2 --macs 02:10:00:00:00:05
grep -q "already in use by profile 'p5'" "$WORK/err" &&
    pass "pool scale: the clash names the seeded holder p5" ||
    fail "pool scale: clash message: $(cat "$WORK/err")"
run 4 "profile set to a seeded profile's MAC" profile set big --macs 02:10:00:00:01:00
grep -q "already in use by profile 'p256'" "$WORK/err" &&
    pass "pool scale: set's clash names p256" || fail "pool scale: set's clash: $(cat "$WORK/err")"
run 0 "profile set" profile set big --description scale
run 0 "profile assign" profile assign big "$T1#vm1"
run 4 "profile assign of another profile to a taken VM" profile assign p7 "$T1#vm1"
grep -q "already carries profile 'big' (per the pool)" "$WORK/err" &&
    pass "pool scale: the taken target is named by its key" ||
    fail "pool scale: taken target: $(cat "$WORK/err")"
run 0 "profile move" profile move big "$T1#vm2"
run 0 "profile failover to a spare" profile failover "$T1#vm2" "$T2#vm1"
# Its requests: the target and move keys, the profile's keys, lease
# grant, mark, settle -- no lease revoke (docs/pool.md).
grep -q "^psctl: pool: 5 requests," "$WORK/err" &&
    pass "pool scale: a failover of two full targets is 5 requests" ||
    fail "pool scale: failover requests: $(cat "$WORK/err")"
run 5 "profile failover of a target carrying nothing" profile failover "$T1#vm3" "$T2#vm2"
run 0 "spare-pool create" spare-pool create rack "$T2#vm1" "$T2#vm2" "$T2#vm3"
run 0 "profile failover --spare-pool" profile failover "$T2#vm1" --spare-pool rack
run 0 "spare-pool list" spare-pool list
grep -q "^rack  *$T2#vm1 $T2#vm2 $T2#vm3" "$WORK/out" &&
    pass "pool scale: spare-pool list prints the spare pool" ||
    fail "pool scale: spare-pool list: $(cat "$WORK/out")"
run 0 "profile show of a placed profile" profile show big
grep -q "^target  *$T2#vm2: carries it" "$WORK/out" &&
    pass "pool scale: the spare pool's next member took it; its store carries it" ||
    fail "pool scale: show after the spare failover: $(cat "$WORK/out")"
# A failover stopped after "mark" (its psctl killed) is finished by running
# it again: the profile in transit away from the failed target is found by
# its source key (/pstate/source/TARGET), not by reading every move.
( PSTATE_POOL_LEASE_TTL=2 PSCTL_TEST_PAUSE_AT=mark:60000 exec "$PSCTL" -q \
    --pool "$URL" profile failover "$T2#vm2" "$T1#vm3" > /dev/null 2>&1 ) &
fpid=$!
i=0
until etcdctl --endpoints "$(cat "$CL/endpoints")" get --print-value-only \
        "/pstate/source/$T2#vm2" 2>/dev/null | grep -qx big || [ $i -ge 300 ]; do
    sleep 0.1; i=$((i + 1))
done
kill -9 $fpid 2>/dev/null; wait $fpid 2>/dev/null
[ $i -lt 300 ] && pass "pool scale: in transit, the source key names the profile moving away" ||
    fail "pool scale: no source key while in transit"
i=0
until PSTATE_POOL_STATS= "$PSCTL" -q --pool "$URL" profile show big 2>/dev/null |
        grep -q "lease expired" || [ $i -ge 100 ]; do
    sleep 0.1; i=$((i + 1))
done
run 0 "profile failover finishing a stopped one" profile failover "$T2#vm2" "$T1#vm3"
etcdctl --endpoints "$(cat "$CL/endpoints")" get --prefix --keys-only /pstate/source/ \
    2>/dev/null | grep -q . && fail "pool scale: a source key left after the move" ||
    pass "pool scale: the settled move's source key is gone"
run 0 "profile move back" profile move big "$T2#vm2"
# The server directory and the address pools: each command its own keys
# (a server by name, a target's server by the index /pstate/srvtarget/,
# a range's reservation and identifier keys), whatever the pool's size.
run 0 "server show" server show s7
run 0 "server create" server create sbig --target "$T1"
run 4 "server create on a seeded server's target" server create sdup --target bmc://10.0.0.9
grep -q "already in use by server 's9'" "$WORK/err" &&
    pass "pool scale: the target clash names the seeded server s9" ||
    fail "pool scale: server target clash: $(cat "$WORK/err")"
run 0 "server set" server set sbig --description scale
run 0 "profile move to a server's VM" profile move big sbig#vm3
run 4 "server delete of a server a profile is placed on" server delete sbig
grep -q "still referenced by profile 'big'" "$WORK/err" &&
    pass "pool scale: the placed profile is found by its target key" ||
    fail "pool scale: server delete: $(cat "$WORK/err")"
run 0 "profile show of a profile on a server's VM" profile show big
grep -q "^server  *sbig" "$WORK/out" &&
    pass "pool scale: profile show names the server (by the server index)" ||
    fail "pool scale: profile show's server: $(cat "$WORK/out")"
run 0 "pool create" pool create rmac --kind mac --first 02:00:5e:71:00:01 --last 02:00:5e:71:00:ff
run 0 "pool allocate" pool allocate rmac --count 2 --for big
run 0 "pool reserve" pool reserve rmac 02:00:5e:71:00:07 --for big
run 0 "pool release" pool release rmac 02:00:5e:71:00:07
run 0 "pool show" pool show rmac
run 0 "pool list" pool list
run 0 "pool reclaim" pool reclaim rmac
run 4 "pool delete with reservations" pool delete rmac
run 0 "pool release" pool release rmac 02:00:5e:71:00:01
run 0 "pool release" pool release rmac 02:00:5e:71:00:02
run 0 "pool delete" pool delete rmac
run 0 "profile unassign" profile unassign big
run 0 "profile delete" profile delete big
run 0 "server delete" server delete sbig
etcdctl --endpoints "$(cat "$CL/endpoints")" get --prefix --keys-only /pstate/ 2>/dev/null |
    grep -E '^/pstate/(id/mac/02:00:5e:70|target/|move/|lease/|profile/big)' > "$WORK/left"
[ ! -s "$WORK/left" ] && pass "pool scale: no key of big, its target or its move left" ||
    fail "pool scale: keys left: $(cat "$WORK/left")"
# The whole-pool read still serves the commands that need it.
"$PSCTL" -q --pool "$URL" profile list 2>/dev/null | grep -c '^p' > "$WORK/n"
[ "$(cat "$WORK/n")" = $N ] && pass "pool scale: profile list prints all $N" ||
    fail "pool scale: profile list printed $(cat "$WORK/n")"
# It reads the profiles as parallel streams of pages, one a member, over
# key spans cut where a count_only txn found the keys (docs/pool.md
# "Reads"): the very rows of one stream, each key read once, and pages of
# a span that ends before the prefix does (a cut) as well as of the last.
PSTATE_POOL_STATS=2 "$PSCTL" -q --pool "$URL" profile list > "$WORK/l3" 2> "$WORK/l3.err"
PSTATE_POOL_STREAMS=1 "$PSCTL" -q --pool "$URL" profile list > "$WORK/l1" 2> "$WORK/l1.err"
cut=$(grep -c "range from '/pstate/profile/[^']*' to '/pstate/profile/" "$WORK/l3.err")
last=$(grep -c "range from '/pstate/profile/[^']*' to '/pstate/profile0'" "$WORK/l3.err")
if cmp -s "$WORK/l1" "$WORK/l3" && [ "$(wc -l < "$WORK/l3")" = $((N + 1)) ] &&
    grep -q "requests, $((N + 2000)) keys read" "$WORK/l3.err" &&
    grep -q "requests, $((N + 2000)) keys read" "$WORK/l1.err" &&
    grep -q "count 98 ranges" "$WORK/l3.err" && [ "$cut" -gt 0 ] && [ "$last" -gt 0 ]; then
    pass "pool scale: profile list in 3 streams ($cut + $last pages) = 1 stream, each key once"
else
    fail "pool scale: streamed list differs or reads twice: $(tail -2 "$WORK/l3.err" "$WORK/l1.err"; cmp "$WORK/l1" "$WORK/l3")"
fi
"$ROOT/tests/e2e/etcd_cluster.sh" stop "$CL"
trap - EXIT INT TERM
